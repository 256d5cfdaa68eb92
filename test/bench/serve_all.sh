#!/usr/bin/env bash
# serve_all.sh: every user's list at once (a benchmark, not a test).
#   A synthetic table of USERS x ITEMS (default 100,000 x 20,000, RATINGS
#   ratings), mf trained with default options (ranking head included);
#   then the time per user of recsys_recommend_all(model, 10) over every
#   user against a LATERAL loop of recsys_recommend over SAMPLE users, the
#   agreement of the two on those users, and the backend's memory during
#   recsys_recommend_all.  Medians of REPS runs.
# Prints a table and writes it into test/bench/RESULTS.md.
# Run:  bash test/bench/serve_all.sh   (USERS=, ITEMS=, RATINGS=, SAMPLE=, REPS= to taste)
# Outside a cluster it builds, installs (under the install lock) and re-runs
# itself inside pg_virtualenv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
USERS=${USERS:-100000}
ITEMS=${ITEMS:-20000}
RATINGS=${RATINGS:-2000000}
SAMPLE=${SAMPLE:-5000}
REPS=${REPS:-3}
export USERS ITEMS RATINGS SAMPLE REPS
# shellcheck source=test/integration/lib.bash
. "$ROOT/test/integration/lib.bash"

bench_in_cluster "$HERE/serve_all.sh" -o work_mem=64MB

db=recsys_bench_all
fresh_db "$db"
PSQL=(psql -X -q -At -F ' ' -d "$db" -v ON_ERROR_STOP=1)

"${PSQL[@]}" >/dev/null <<SQL
SET recsys.epoch_notices = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings($USERS, $ITEMS, $RATINGS, 7);
SELECT recsys_train('mf', 'ratings', 'm');
SQL
read -r n_users n_items <<<"$("${PSQL[@]}" -c "SELECT n_users, n_items FROM recsys_models WHERE name = 'm'")"

# one timing, in seconds, of a statement run in a DO block (server side)
server_seconds() {
	"${PSQL[@]}" <<SQL
DO \$\$
DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN
  $1
  RAISE NOTICE 'seconds %', extract(epoch FROM clock_timestamp() - t0);
END \$\$;
SQL
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
seconds_of() { server_seconds "$1" 2>&1 | sed -n 's/.*seconds //p'; }

# the user ids of the sample: the first SAMPLE ids of the model
loop="SELECT count(*) INTO n FROM (SELECT user_id FROM ratings GROUP BY user_id ORDER BY user_id LIMIT $SAMPLE) s, LATERAL recsys_recommend('m', s.user_id, 10);"
all="SELECT count(*) INTO n FROM recsys_recommend_all('m', 10);"
seconds_of "$all" >/dev/null	# load the model into this backend's cache
loop_s=$(for _ in $(seq "$REPS"); do seconds_of "$loop"; done | median)
all_s=$(for _ in $(seq "$REPS"); do seconds_of "$all"; done | median)

# agreement on the sample, and the memory of one recsys_recommend_all
read -r same_items max_diff hwm0 hwm1 <<<"$("${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.vm(field text) RETURNS bigint LANGUAGE sql AS
\$\$ SELECT substring(pg_read_file('/proc/self/status') FROM field || ':\s*(\d+) kB')::bigint \$\$;
SELECT count(*) AS ignored FROM recsys_recommend('m', 1, 10) \gset
SELECT pg_temp.vm('VmHWM') AS hwm0 \gset
SELECT count(*) AS ignored FROM recsys_recommend_all('m', 10) \gset
SELECT pg_temp.vm('VmHWM') AS hwm1 \gset
WITH s AS (SELECT user_id FROM ratings GROUP BY user_id ORDER BY user_id LIMIT $SAMPLE),
one AS (SELECT s.user_id, r.ord::int AS rank, r.item_id, r.score
          FROM s, LATERAL recsys_recommend('m', s.user_id, 10) WITH ORDINALITY r(item_id, score, ord)),
alls AS (SELECT a.* FROM recsys_recommend_all('m', 10) a JOIN s USING (user_id))
SELECT round(avg((o.item_id = a.item_id)::int)::numeric, 6), max(abs(o.score - a.score)), :hwm0, :hwm1
  FROM one o FULL JOIN alls a USING (user_id, rank);
SQL
)"

fmt() { awk "BEGIN { printf \"$1\", $2 }"; }
loop_us=$(fmt "%.1f" "$loop_s / $SAMPLE * 1e6")
all_us=$(fmt "%.1f" "$all_s / $n_users * 1e6")
ratio=$(fmt "%.1f" "($loop_s / $SAMPLE) / ($all_s / $n_users)")
table=$(cat <<EOT
| measure | value |
|---|---|
| model | mf, default options, $n_users users × $n_items items, $RATINGS synthetic ratings |
| LATERAL recsys_recommend(m, u, 10) over $SAMPLE users (median of $REPS) | $loop_us µs per user |
| recsys_recommend_all(m, 10) over all $n_users users (median of $REPS) | $all_us µs per user ($(fmt "%.2f" "$all_s") s in all) |
| speed-up per user | **$ratio ×** (target ≥ 3 ×) |
| same item at the same rank, sample users | $same_items of the pairs (max score difference $max_diff) |
| backend VmHWM before → after recsys_recommend_all (work_mem $("${PSQL[@]}" -c 'SHOW work_mem')) | $((hwm0 / 1024)) MB → $((hwm1 / 1024)) MB |
EOT
)
echo "$table"

{
	echo "Command: \`bash test/bench/serve_all.sh\` (USERS=$USERS ITEMS=$ITEMS RATINGS=$RATINGS SAMPLE=$SAMPLE REPS=$REPS)."
	echo "Times are taken inside the server (clock_timestamp() in a DO block) with the model already"
	echo "cached; the machine was shared with other jobs. recsys_recommend_all scores blocks of users"
	echo "with one sgemm against the ranking head's item factors, keeps each user's top 10 and writes"
	echo "the rows to a tuplestore (spilled to disk past work_mem): its memory does not grow with the users."
	echo
	echo "$table"
} | results_section "## Every user's list at once (recsys_recommend_all)"
