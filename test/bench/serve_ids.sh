#!/usr/bin/env bash
# serve_ids.sh: serving speed by id type (a benchmark, not a test).
#   MovieLens-100K u1 under three id types: the integers as given, uuid
#   users with text items (md5 of the user id, 'sku-' || item id), and
#   text users with text items; mf with default options on each.  Then
#   predict throughput over u1.test and recommend latency over the 943
#   users, medians of REPS runs, and the ratio to the integer ids.
# Prints a table and writes it into test/bench/RESULTS.md.
# Run:  MOVIELENS=/path/to/ml-100k bash test/bench/serve_ids.sh
# Outside a cluster it builds, installs (under the install lock) and re-runs
# itself inside pg_virtualenv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
REPS=${REPS:-5}
export REPS
# shellcheck source=test/integration/lib.bash
. "$ROOT/test/integration/lib.bash"
ml=$(movielens_dir)
if ! movielens_present "$ml"; then
	echo "serve_ids.sh: MovieLens-100K not found at $ml (set MOVIELENS=/path/to/ml-100k); nothing measured"
	exit 0
fi
ml=$(cd "$ml" && pwd)
export MOVIELENS=$ml

bench_in_cluster "$HERE/serve_ids.sh"

db=recsys_bench_ids
fresh_db "$db"
psql -X -q -d "$db" -v ml_dir="$ml" -v with_titles=0 -f "$ROOT/scripts/movielens.sql"
PSQL=(psql -X -q -At -F ' ' -d "$db" -v ON_ERROR_STOP=1)

"${PSQL[@]}" >/dev/null <<'SQL'
SET recsys.epoch_notices = off;
CREATE TABLE u1_base_uuid AS
SELECT md5(user_id::text)::uuid AS user_id, 'sku-' || item_id AS item_id, rating FROM u1_base;
CREATE TABLE u1_test_uuid AS
SELECT md5(user_id::text)::uuid AS user_id, 'sku-' || item_id AS item_id, rating FROM u1_test;
CREATE TABLE u1_base_text AS
SELECT 'user-' || user_id AS user_id, 'sku-' || item_id AS item_id, rating FROM u1_base;
CREATE TABLE u1_test_text AS
SELECT 'user-' || user_id AS user_id, 'sku-' || item_id AS item_id, rating FROM u1_test;
CREATE TABLE users_int AS SELECT DISTINCT user_id FROM u1_base;
CREATE TABLE users_uuid AS SELECT DISTINCT user_id FROM u1_base_uuid;
CREATE TABLE users_text AS SELECT DISTINCT user_id FROM u1_base_text;
SELECT recsys_train('mf', 'u1_base', 'm_int');
SELECT recsys_train('mf', 'u1_base_uuid', 'm_uuid');
SELECT recsys_train('mf', 'u1_base_text', 'm_text');
SQL

# one timing, in seconds, of a statement run in a DO block (server side)
seconds_of() {
	"${PSQL[@]}" 2>&1 <<SQL | sed -n 's/.*seconds //p'
DO \$\$
DECLARE t0 timestamptz; n float8;
BEGIN
  $1
  t0 := clock_timestamp();
  $1
  RAISE NOTICE 'seconds %', extract(epoch FROM clock_timestamp() - t0);
END \$\$;
SQL
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fmt() { awk "BEGIN { printf \"$1\", $2 }"; }

n_test=$("${PSQL[@]}" -c "SELECT count(*) FROM u1_test")
rows=""
for t in int uuid text; do
	test_table=u1_test; users=users_int; recommend=recsys_recommend
	[ "$t" = int ] || { test_table=u1_test_$t; users=users_$t; recommend=recsys_recommend_text; }
	# the first run of each statement in a session loads the model: timed is the second
	p_s=$(for _ in $(seq "$REPS"); do
		seconds_of "SELECT sum(recsys_predict('m_$t', user_id, item_id)) INTO n FROM $test_table;"
	done | median)
	r_s=$(for _ in $(seq "$REPS"); do
		seconds_of "SELECT count(*) INTO n FROM $users u, LATERAL $recommend('m_$t', u.user_id, 10);"
	done | median)
	rmse=$("${PSQL[@]}" -c "SELECT round(rmse::numeric, 4) FROM recsys_evaluate('m_$t', '$test_table')")
	eval "p_$t=$p_s r_$t=$r_s rmse_$t=$rmse"
done

row() {
	local t=$1 label=$2 p r
	p=$(eval echo "\$p_$t"); r=$(eval echo "\$r_$t")
	echo "| $label | $(fmt "%.0f" "$n_test / $p") /s | $(fmt "%.2f" "$p / $p_int") × | $(fmt "%.3f" "$r / 943 * 1000") ms | $(fmt "%.2f" "$r / $r_int") × | $(eval echo "\$rmse_$t") |"
}
table=$(cat <<EOT
| ids | predict over u1.test (median of $REPS) | time vs integer ids | recommend top-10, per user (median of $REPS) | time vs integer ids | RMSE on u1.test |
|---|---|---|---|---|---|
$(row int "bigint users and items")
$(row uuid "uuid users, text items")
$(row text "text users, text items")
EOT
)
echo "$table"

{
	echo "Command: \`MOVIELENS=/path/to/ml-100k bash test/bench/serve_ids.sh\` (REPS=$REPS)."
	echo "The same u1 ratings under three id types, mf with default options on each; times inside the"
	echo "server with the model cached (each statement runs twice in a DO block and the second run is"
	echo "timed). Predict runs \`SELECT sum(recsys_predict(m, user_id, item_id)) FROM u1_test\`; recommend a"
	echo "LATERAL \`recsys_recommend\` (\`recsys_recommend_text\` for uuid and text items) over the 943 users."
	echo "A uuid or text id is hashed and its bytes compared with the model's key: the targets are"
	echo "predict within 2 × and recommend unchanged. The RMSEs differ because ids order the users and"
	echo "items differently, which changes the shuffles of training."
	echo
	echo "$table"
} | results_section "## Ids of every type: serving speed"
