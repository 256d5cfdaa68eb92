#!/usr/bin/env bash
# predict_memory.sh: a backend's memory stays flat over 10 M recsys_predict
# calls in one session.
#
# After a warm-up (the model loaded and cached), one statement calls
# recsys_predict 10,000,000 times and a PL/pgSQL loop another 200,000 times,
# one statement each (simple expressions keep their call site for the whole
# transaction), and 2,000 separate statements follow; the backend's resident
# memory (VmRSS, read by the backend itself from /proc/self/status) may grow
# by at most 4 MB over all of them.  Runs inside pg_virtualenv after `make
# install`; exit 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

DB=recsys_memory
trap 'dropdb --if-exists $DB >/dev/null 2>&1' EXIT
fail() {
	echo "predict_memory.sh: FAILED: $*" >&2
	exit 1
}
if [ ! -r /proc/self/status ]; then
	echo "predict_memory.sh: skipped: no /proc/self/status to read memory from"
	exit 77
fi

fresh_db "$DB" || fail "could not create database $DB"
start=$(date +%s)
out=$(
	{
		cat <<'SQL'
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
SET client_min_messages = warning;
-- the JIT compiler would load LLVM (tens of MB) into the backend halfway
SET jit = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(500, 300, 20000, 5);
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1, "factors": 8, "epochs": 3}') AS ignored \gset
CREATE FUNCTION pg_temp.rss() RETURNS bigint LANGUAGE sql AS
$$ SELECT substring(pg_read_file('/proc/self/status') FROM 'VmRSS:\s*(\d+) kB')::bigint $$;
-- warm-up: the model loaded, the plans and caches made
SELECT sum(recsys_predict('m', a, b)) AS ignored
  FROM generate_series(1, 500) a, generate_series(1, 300) b \gset
SELECT recsys_predict('m', 1, 1) AS ignored \gset
SELECT pg_temp.rss() AS rss0 \gset
SELECT sum(recsys_predict('m', a, b)) AS ignored
  FROM generate_series(1, 10000) a, generate_series(1, 1000) b \gset
SELECT pg_temp.rss() AS rss1 \gset
DO $$
DECLARE s float8 := 0;
BEGIN
  FOR i IN 1..200000 LOOP
    s := s + recsys_predict('m', i % 500, i % 300);
  END LOOP;
END $$;
SELECT pg_temp.rss() AS rss2 \gset
SQL
		for i in $(seq 1 2000); do
			echo "SELECT recsys_predict('m', $((i % 500)), $((i % 300))) AS ignored \\gset"
		done
		cat <<'SQL'
SELECT pg_temp.rss() AS rss3 \gset
SELECT :rss0, :rss1, :rss2, :rss3;
SQL
	} | psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$DB"
) || fail "the session failed"
secs=$(($(date +%s) - start))
read -r rss0 rss1 rss2 rss3 <<<"$out"
[ -n "${rss3:-}" ] || fail "no memory figures: '$out'"
for r in "$rss1" "$rss2" "$rss3"; do
	[ $((r - rss0)) -le 4096 ] ||
		fail "VmRSS grew from $rss0 kB to $r kB (after 10 M calls: $rss1, a loop of 200,000: $rss2, 2,000 statements: $rss3)"
done
echo "predict_memory.sh: ok (VmRSS $rss0 kB before, $rss1 kB after 10 M calls, $rss2 kB after a loop of 200,000, $rss3 kB after 2,000 statements; ${secs} s)"
exit 0
