#!/usr/bin/env bash
# predict_memory.sh: a backend's memory stays flat over 10 M recsys_predict
# calls in one session.
#
# recsys_predict is called once per row of big queries, and its model
# lives in a per-backend cache, so a leak of a few bytes a call would grow
# a serving backend without bound.  In one session, after a warm-up (model
# loaded and cached, plans made, PL/pgSQL loaded), it runs:
#   - one statement of 10,000,000 calls over users and items the model
#     knows (so every call takes the full prediction path),
#   - a PL/pgSQL loop of 200,000 calls in one statement (simple expressions
#     keep their call site for the whole transaction),
#   - 2,000 separate statements of one call each, and 500 of recsys_recommend.
# The backend reads its own /proc/self/status: neither VmRSS (resident now)
# nor VmHWM (the peak, which also catches memory a statement leaks and
# frees only at its end) may grow by more than 4 MB over the warm-up's, and
# the backend's memory contexts (pg_backend_memory_contexts) by no more
# than 1 MB.  JIT is off: it would load LLVM (tens of MB) half way.  Also
# prints how long the 10 M calls took.  Runs inside pg_virtualenv after
# `make install`; exit 0 pass, 77 skip (no /proc), 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

DB=recsys_memory
WORK=$(mktemp -d)
trap 'dropdb --if-exists $DB >/dev/null 2>&1; rm -rf "$WORK"' EXIT
fail() {
	echo "predict_memory.sh: FAILED: $*" >&2
	exit 1
}
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")

fresh_db "$DB" || fail "could not create database $DB"
if ! "${PSQL[@]}" -c "SELECT pg_read_file('/proc/self/status') ~ 'VmHWM'" 2>/dev/null | grep -qx t; then
	echo "predict_memory.sh: skipped: the server cannot read its /proc/self/status (VmRSS, VmHWM)"
	exit 77
fi

start=$(date +%s)
{
	cat <<'SQL'
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
SET client_min_messages = warning;
SET jit = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(500, 300, 20000, 5);
SELECT count(DISTINCT user_id) = 500 AND count(DISTINCT item_id) = 300 AS all_ids FROM ratings \gset
\if :all_ids
\else
\echo 'the synthetic ratings do not cover users 1..500 and items 1..300'
\quit
\endif
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1, "factors": 8, "epochs": 5}') AS ignored \gset
-- memory now: resident kB, peak kB, bytes in the backend's memory contexts
CREATE FUNCTION pg_temp.mem() RETURNS text LANGUAGE sql AS $$
SELECT substring(s FROM 'VmRSS:\s*(\d+) kB') || ' ' || substring(s FROM 'VmHWM:\s*(\d+) kB') || ' ' ||
       (SELECT sum(total_bytes) FROM pg_backend_memory_contexts)
  FROM pg_read_file('/proc/self/status') s $$;
-- warm-up: the same kinds of statements, smaller
SELECT sum(recsys_predict('m', a % 500 + 1, b % 300 + 1)) AS ignored
  FROM generate_series(1, 1000) a, generate_series(1, 300) b \gset
DO $$
DECLARE s float8 := 0;
BEGIN
  FOR i IN 1..1000 LOOP
    s := s + recsys_predict('m', i % 500 + 1, i % 300 + 1);
  END LOOP;
END $$;
SELECT recsys_predict('m', 1, 1) AS ignored \gset
SELECT count(*) AS ignored FROM recsys_recommend('m', 1, 10) \gset
SELECT 'warm-up ' || pg_temp.mem();
-- 10 M calls in one statement, every user and item known to the model
SELECT clock_timestamp() AS t0 \gset
SELECT count(recsys_predict('m', a % 500 + 1, b % 300 + 1)) AS n_calls
  FROM generate_series(1, 10000) a, generate_series(1, 1000) b \gset
SELECT 'calls ' || :n_calls || ' ' || round(extract(epoch FROM clock_timestamp() - :'t0') * 1000);
SELECT '10M ' || pg_temp.mem();
DO $$
DECLARE s float8 := 0;
BEGIN
  FOR i IN 1..200000 LOOP
    s := s + recsys_predict('m', i % 500 + 1, i % 300 + 1);
  END LOOP;
END $$;
SELECT 'loop ' || pg_temp.mem();
SQL
	for i in $(seq 1 2000); do
		echo "SELECT recsys_predict('m', $((i % 500 + 1)), $((i % 300 + 1))) AS ignored \\gset"
	done
	echo "SELECT 'statements ' || pg_temp.mem();"
	for i in $(seq 1 500); do
		echo "SELECT count(*) AS ignored FROM recsys_recommend('m', $((i % 500 + 1)), 10) \\gset"
	done
	echo "SELECT 'recommend ' || pg_temp.mem();"
} >"$WORK/session.sql"
"${PSQL[@]}" -f "$WORK/session.sql" >"$WORK/session.out" 2>&1 || fail "the session failed: $(cat "$WORK/session.out")"
secs=$(($(date +%s) - start))

# "label rss_kB hwm_kB context_bytes" lines
figure() {
	awk -v l="$1" -v f="$2" '$1 == l { print $f }' "$WORK/session.out"
}
rss0=$(figure warm-up 2)
hwm0=$(figure warm-up 3)
ctx0=$(figure warm-up 4)
[ -n "$rss0" ] && [ -n "$hwm0" ] && [ -n "$ctx0" ] || fail "no memory figures after the warm-up: $(cat "$WORK/session.out")"
[ "$(figure calls 2)" = 10000000 ] || fail "the big statement made '$(figure calls 2)' calls, not 10000000"
ms=$(figure calls 3)
report="after the warm-up VmRSS $rss0 kB, VmHWM $hwm0 kB, contexts $ctx0 bytes"
for step in 10M loop statements recommend; do
	rss=$(figure $step 2)
	hwm=$(figure $step 3)
	ctx=$(figure $step 4)
	[ -n "$ctx" ] || fail "no memory figures after step $step"
	report="$report; after $step: $rss kB, $hwm kB, $ctx bytes"
	[ $((rss - rss0)) -le 4096 ] || fail "VmRSS grew by $((rss - rss0)) kB by step $step ($report)"
	[ $((hwm - hwm0)) -le 4096 ] || fail "VmHWM grew by $((hwm - hwm0)) kB by step $step ($report)"
	[ $((ctx - ctx0)) -le 1048576 ] || fail "the memory contexts grew by $((ctx - ctx0)) bytes by step $step ($report)"
done
echo "predict_memory.sh: ok (10 M calls in one statement took $ms ms; $report; ${secs} s in all)"
exit 0
