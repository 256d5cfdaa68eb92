#!/usr/bin/env bash
# concurrent_serving.sh: serving stays right while another session replaces
# the model.
#
# pgbench runs 4 clients that call recsys_predict and recsys_recommend on
# model m for 8 s while another session retrains m (same name) three times.
# Each transaction checks its own answers (a prediction inside the rating
# range, a list of 10 distinct items; otherwise it raises division by zero),
# so every transaction must succeed: a reader sees the old model or the
# new one, never an error, an empty or a half-written one.  All three
# retrainings must end while pgbench still runs (else nothing concurrent
# was tested), enough transactions must have run, and the catalog must hold
# exactly the last model.  Then, in one long-lived session: after a
# replacement its next statement serves what a fresh session serves (its
# model cache noticed the new model), while a REPEATABLE READ transaction
# that began before a replacement keeps serving the model its snapshot sees
# until it ends.  Runs inside pg_virtualenv after `make install`; exit 0
# pass, 77 skip (no pgbench), 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

DB=recsys_concurrent
WORK=$(mktemp -d)
bench=""
cleanup() {
	[ -n "$bench" ] && kill "$bench" 2>/dev/null
	dropdb --if-exists $DB >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "concurrent_serving.sh: FAILED: $*" >&2
	exit 1
}

PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
[ -x "$PGBENCH" ] || PGBENCH=/usr/lib/postgresql/15/bin/pgbench
if [ ! -x "$PGBENCH" ]; then
	echo "concurrent_serving.sh: skipped: pgbench not found (it comes with postgresql-client-15)"
	exit 77
fi

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
SETUP="SET recsys.threads = 1; SET recsys.epoch_notices = off;"
# retrain m with the given seed, in a session of its own
retrain() {
	"${PSQL[@]}" -c "$SETUP" -c "SELECT recsys_train('mf', 'ratings', 'm',
		'{\"seed\": $1, \"factors\": 8, \"epochs\": 5}')" >/dev/null
}

fresh_db "$DB" || fail "could not create database $DB"
"${PSQL[@]}" >/dev/null <<SQL || fail "could not train the first model"
$SETUP
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(500, 300, 20000, 5);
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1, "factors": 8, "epochs": 5}');
SQL
range=$("${PSQL[@]}" -c "SELECT min(rating) || ' ' || max(rating) || ' ' || count(DISTINCT user_id)
	|| ' ' || count(DISTINCT item_id) FROM ratings") || fail "could not read the ratings"
read -r lo hi n_users n_items <<<"$range"
[ "$n_users" = 500 ] && [ "$n_items" = 300 ] ||
	fail "the synthetic ratings have $n_users users and $n_items items, not 500 and 300"

# each transaction checks what it got: 1 / false raises division by zero
cat >"$WORK/serve.sql" <<SQL
\set u random(1, 500)
\set i random(1, 300)
SELECT 1 / (recsys_predict('m', :u, :i) BETWEEN $lo AND $hi)::int;
SELECT 1 / (count(*) = 10 AND count(DISTINCT item_id) = 10)::int FROM recsys_recommend('m', :u, 10, exclude_rated => false);
SQL

"$PGBENCH" -n -c 4 -j 2 -T 8 -f "$WORK/serve.sql" "$DB" >"$WORK/pgbench.log" 2>&1 &
bench=$!
sleep 1
for seed in 2 3 4; do
	retrain $seed || fail "retraining $seed failed while pgbench ran"
	kill -0 "$bench" 2>/dev/null ||
		fail "pgbench ended before retraining $seed did: the retrainings were not concurrent with serving"
	sleep 1.5
done
wait "$bench"
rc=$?
bench=""
cat "$WORK/pgbench.log"
[ "$rc" -eq 0 ] || fail "pgbench exited with $rc (a client got an error or a wrong answer, see above)"
grep -q "^number of failed transactions: 0 " "$WORK/pgbench.log" ||
	fail "pgbench reports failed transactions"
n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.log")
[ -n "$n" ] && [ "$n" -ge 1000 ] || fail "only '${n:-no}' transactions in 8 s (at least 1000 expected)"

cat=$("${PSQL[@]}" -c "SELECT count(*) || ':' || min(options->>'seed') FROM recsys_models WHERE name = 'm';
	SELECT count(*) FROM recsys_tensors t
	 WHERE NOT EXISTS (SELECT 1 FROM recsys_models m WHERE m.id = t.model_id)") ||
	fail "could not read the catalog"
[ "$cat" = "$(printf '1:4\n0')" ] ||
	fail "the catalog should hold the last model only (1 row of seed 4, 0 orphan tensors), not '$cat'"

# one long-lived session across replacements
# what m serves, as one value: a sum of predictions and a top-10 list
SERVE="(SELECT to_char(sum(recsys_predict('m', u, i)), 'FM999999990.000000000') || '/' ||
               (SELECT string_agg(item_id::text, ',') FROM recsys_recommend('m', 7, 10))
          FROM generate_series(1, 500, 7) u, generate_series(1, 300, 11) i)"
served() {
	"${PSQL[@]}" -c "SELECT $SERVE"
}
# the other session, run from inside the long-lived one with \!: retrain
# m with seed $1 and leave a mark when that worked
cat >"$WORK/retrain.sh" <<SH
psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$SETUP" \\
	-c "SELECT recsys_train('mf', 'ratings', 'm', '{\\"seed\\": \$1, \\"factors\\": 8, \\"epochs\\": 5}')" \\
	>/dev/null && touch "$WORK/retrained.\$1"
SH
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" <<SQL 2>"$WORK/session.err"
SELECT $SERVE AS before \\gset
\\! bash $WORK/retrain.sh 5
SELECT $SERVE AS after \\gset
SELECT :'before' <> :'after';
SELECT :'after';
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT $SERVE AS in_txn \\gset
\\! bash $WORK/retrain.sh 6
SELECT :'in_txn' = $SERVE;
COMMIT;
SELECT :'after' = :'in_txn';
SELECT $SERVE;
SQL
) || fail "the session across replacements failed: $(cat "$WORK/session.err")"
[ -e "$WORK/retrained.5" ] && [ -e "$WORK/retrained.6" ] ||
	fail "a retraining run from the long-lived session failed"
mapfile -t lines <<<"$out"
fresh=$(served) || fail "a fresh session could not serve m"
[ "${#lines[@]}" -eq 5 ] || fail "the session across replacements printed '$out'"
[ "${lines[0]}" = t ] || fail "after a replacement the session still served the old model ('${lines[1]}')"
[ "${lines[2]}" = t ] ||
	fail "a REPEATABLE READ transaction that began before a replacement served another model within it"
[ "${lines[3]}" = t ] || fail "the REPEATABLE READ transaction did not serve the model of its snapshot"
[ "${lines[4]}" = "$fresh" ] ||
	fail "after the last replacement the long-lived session served '${lines[4]}', a fresh session '$fresh'"
[ "${lines[4]}" != "${lines[1]}" ] || fail "the last replacement did not change what is served"
[[ "$fresh" =~ ^[0-9]+\.[0-9]{9}/([0-9]+,){9}[0-9]+$ ]] ||
	fail "m served '$fresh', not a sum of predictions and a list of 10 items"

echo "concurrent_serving.sh: ok ($n transactions by 4 clients, 0 failed, across 3 replacements; a long-lived session follows replacements, a REPEATABLE READ transaction keeps its model)"
exit 0
