#!/usr/bin/env bash
# concurrent_serving.sh: serving stays right while another session replaces
# the model.
#
# pgbench runs 4 clients that call recsys_predict and recsys_recommend on
# model m for 8 s while another session retrains m three times.  Every
# transaction must succeed (a reader sees the old model or the new one,
# never an error or a half-written one), and a session that served the old
# model serves the new one on its next statement, as a fresh session does.
# Runs inside pg_virtualenv after `make install`; exit 0 pass, 77 skip,
# 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

DB=recsys_concurrent
WORK=$(mktemp -d)
trap 'dropdb --if-exists $DB >/dev/null 2>&1; rm -rf "$WORK"' EXIT
fail() {
	echo "concurrent_serving.sh: FAILED: $*" >&2
	exit 1
}

PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
if [ ! -x "$PGBENCH" ]; then
	echo "concurrent_serving.sh: skipped: pgbench not found (it comes with postgresql-15)"
	exit 77
fi

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
fresh_db "$DB" || fail "could not create database $DB"
"${PSQL[@]}" >/dev/null <<'SQL' || fail "could not train the first model"
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(500, 300, 20000, 5);
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1, "factors": 8, "epochs": 3}');
SQL

cat >"$WORK/serve.sql" <<'SQL'
\set u random(1, 500)
\set i random(1, 300)
SELECT recsys_predict('m', :u, :i);
SELECT count(*) FROM recsys_recommend('m', :u, 10);
SQL

"$PGBENCH" -n -c 4 -j 2 -T 8 -f "$WORK/serve.sql" "$DB" >"$WORK/pgbench.log" 2>&1 &
bench=$!
sleep 1
for seed in 2 3 4; do
	"${PSQL[@]}" -c "SET recsys.threads = 1; SET recsys.epoch_notices = off;
		SELECT recsys_train('mf', 'ratings', 'm', '{\"seed\": $seed, \"factors\": 8, \"epochs\": 3}')" \
		>/dev/null || fail "retraining $seed failed"
	sleep 1.5
done
wait "$bench"
rc=$?
cat "$WORK/pgbench.log"
[ "$rc" -eq 0 ] || fail "pgbench exited with $rc"
grep -q "number of failed transactions: 0 " "$WORK/pgbench.log" ||
	fail "pgbench reports failed transactions"
n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.log")
[ -n "$n" ] && [ "$n" -ge 1000 ] || fail "only '${n:-no}' transactions in 8 s"
replaced=$("${PSQL[@]}" -c "SELECT options->>'seed' FROM recsys_models WHERE name = 'm'")
[ "$replaced" = 4 ] || fail "the model is not the last one trained (seed '$replaced')"

# one session across a replacement: its next statement serves the new model
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" <<SQL
SELECT recsys_predict('m', 7, 9) AS before \gset
\! psql -X -q -At -d $DB -c "SET recsys.threads = 1; SET recsys.epoch_notices = off; SELECT recsys_train('mf', 'ratings', 'm', '{\"seed\": 5, \"factors\": 8, \"epochs\": 3}')" >/dev/null
SELECT :before <> recsys_predict('m', 7, 9) AS changed, recsys_predict('m', 7, 9) AS after;
SQL
) || fail "the session across a replacement failed"
fresh=$("${PSQL[@]}" -c "SELECT recsys_predict('m', 7, 9)")
[ "$out" = "t|$fresh" ] || fail "after a replacement the old session gave '$out', a fresh one '$fresh'"

echo "concurrent_serving.sh: ok ($n transactions by 4 clients, 0 failed, across 3 replacements)"
exit 0
