#!/usr/bin/env bash
# citus.sh: recsys on a Citus cluster against one node, on this machine.
#
# Starts a coordinator and two workers (test/integration/citus.bash; builds
# Citus 13.2.2 from ../shared/vendor/citus when it is not installed), makes
# RATINGS synthetic ratings (default 20 M, the scale of test/bench/scale.sh:
# 138,000 users x 27,000 items) once as a local table of the coordinator
# ("one node": an ordinary table, PostgreSQL's own parallel query) and once
# distributed by user_id over the two workers (32 shards), and measures:
# - scoring: SELECT sum(recsys_predict(...)) over every row, REPS times
#   each, medians (the sums must agree to float rounding); on the
#   distributed table with Citus's default connections (cold) and with two
#   kept per worker (warm);
# - training: recsys_train('mf', ..., '{"epochs": 1, "objective":
#   "rating"}') from each table, so that the time is mostly reading the
#   rows: total seconds minus the model's train_seconds, per million rows;
#   recsys_fit in a statement of its own; COPY of the rows to /dev/null;
# - where the training's rows go: EXPLAIN VERBOSE of its read.
# Writes the section "## Citus: ..." of test/bench/RESULTS.md.
#
#   bash test/bench/citus.sh                 # RATINGS=20000000 REPS=3
#   RATINGS=1000000 REPS=3 bash test/bench/citus.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RECSYS_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/integration/lib.bash
. "$RECSYS_ROOT/test/integration/lib.bash"
# shellcheck source=test/integration/citus.bash
. "$RECSYS_ROOT/test/integration/citus.bash"

RATINGS=${RATINGS:-20000000}
REPS=${REPS:-3}
USERS=${USERS:-138000}
ITEMS=${ITEMS:-27000}

# build and install recsys itself first (the nodes load the installed one)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
bash "$RECSYS_ROOT/scripts/setup.sh" >/dev/null
make -s -C "$RECSYS_ROOT" PG_CONFIG="$PG_CONFIG"
exec 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"
flock 9
citus_as_root make -s -C "$RECSYS_ROOT" PG_CONFIG="$PG_CONFIG" install

citus_install || { echo "citus.sh: $CITUS_REASON" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'citus_stop "$WORK"; rm -rf "$WORK"' EXIT
citus_start "$WORK" || { echo "citus.sh: $CITUS_REASON" >&2; exit 1; }
COORD=${CITUS_PORTS[0]}
coord() {
	citus_psql "$COORD" -d postgres "$@"
}
# seconds of the statement $1 (wall time in the server)
seconds() {
	coord -c "SET recsys.epoch_notices = off" -c "SET client_min_messages = warning" \
		-c "CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t" \
		-c "$1" \
		-c "SELECT round(extract(epoch FROM clock_timestamp() - t)::numeric, 3) FROM t0" |
		tail -n 1
}
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "citus.sh: nodes on ports ${CITUS_PORTS[*]}; making $RATINGS ratings"
coord -c "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)" -c "CREATE EXTENSION recsys" \
	-c "SELECT recsys_distribute()" >/dev/null 2>&1
t_make=$(seconds "CREATE TABLE r_local AS SELECT * FROM recsys_synthetic_ratings($USERS, $ITEMS, $RATINGS, 1)")
coord -c "CREATE TABLE r_dist (LIKE r_local)" -c "SELECT create_distributed_table('r_dist', 'user_id')" >/dev/null
t_dist=$(seconds "INSERT INTO r_dist SELECT * FROM r_local")
coord -c "VACUUM ANALYZE r_local" -c "VACUUM ANALYZE r_dist" >/dev/null
echo "citus.sh: made in $t_make s, distributed in $t_dist s"

# training mostly reads: one epoch, no ranking head
opts='{"epochs": 1, "objective": "rating", "seed": 1}'
train_row() {
	local table=$1 total train
	total=$(seconds "SELECT recsys_train('mf', '$table', 'm_$table', '$opts')")
	train=$(coord -c "SELECT round((metrics->>'train_seconds')::numeric, 3) FROM recsys_models WHERE name = 'm_$table'")
	echo "$total $train"
}
read -r local_total local_train <<<"$(train_row r_local)"
read -r dist_total dist_train <<<"$(train_row r_dist)"
# the aggregate in a statement of its own reads over several connections
# per worker (recsys_train asks for one, see README "On a Citus cluster")
fit_total=$(seconds "SELECT recsys_store('m_fit', recsys_fit('mf', user_id, item_id, rating, '$opts')) FROM r_dist")
fit_train=$(coord -c "SELECT round((metrics->>'train_seconds')::numeric, 3) FROM recsys_models WHERE name = 'm_fit'")
# what moving the rows to the coordinator costs by itself
copy_local=$(seconds "COPY (SELECT user_id, item_id, rating FROM r_local) TO '/dev/null'")
copy_dist=$(seconds "COPY (SELECT user_id, item_id, rating FROM r_dist) TO '/dev/null'")
plan=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT recsys_fit('mf', user_id::int8, item_id::int8, rating::float8, '{}') FROM r_dist" | sed -n '1,12p')

# scoring: the model trained from the local table, on both tables.  Cold:
# a new session per run, which loads the model (one node: in its parallel
# workers too; two workers: in each new connection Citus opens, and with
# Citus's defaults most close after the query).  Warm: the second run of a
# session, Citus keeping two connections per worker open
# (citus.max_adaptive_executor_pool_size, citus.max_cached_conns_per_worker).
PREDICT="SELECT sum(recsys_predict('m_r_local', user_id, item_id)) FROM"
WARM="SET citus.max_adaptive_executor_pool_size = 2; SET citus.max_cached_conns_per_worker = 2"
warm_seconds() {
	coord -c "$WARM" -c "$PREDICT $1" \
		-c "CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t" -c "$PREDICT $1" \
		-c "SELECT round(extract(epoch FROM clock_timestamp() - t)::numeric, 3) FROM t0" | tail -n 1
}
declare -a s_cold_local s_cold_dist s_warm_local s_warm_dist s_serial_dist
for _ in $(seq 1 "$REPS"); do
	s_cold_local+=("$(seconds "$PREDICT r_local")")
	s_cold_dist+=("$(seconds "$PREDICT r_dist")")
	s_warm_local+=("$(warm_seconds r_local)")
	s_warm_dist+=("$(warm_seconds r_dist)")
done
# the workers without PostgreSQL's parallel query: a shard's query then
# runs in the connection's backend, whose cache holds the model
coord -c "SELECT run_command_on_workers('ALTER SYSTEM SET max_parallel_workers_per_gather = 0')" \
	-c "SELECT run_command_on_workers('SELECT pg_reload_conf()')" >/dev/null
sleep 1
for _ in $(seq 1 "$REPS"); do
	s_serial_dist+=("$(warm_seconds r_dist)")
done
same=$(coord -c "SELECT abs((SELECT sum(recsys_predict('m_r_local', user_id, item_id)) FROM r_local)
	- (SELECT sum(recsys_predict('m_r_local', user_id, item_id)) FROM r_dist)) < 1e-6 * $RATINGS")
cold_local=$(printf '%s\n' "${s_cold_local[@]}" | median)
cold_dist=$(printf '%s\n' "${s_cold_dist[@]}" | median)
warm_local=$(printf '%s\n' "${s_warm_local[@]}" | median)
warm_dist=$(printf '%s\n' "${s_warm_dist[@]}" | median)
serial_dist=$(printf '%s\n' "${s_serial_dist[@]}" | median)
workers=$(coord -c "SHOW max_parallel_workers_per_gather")
model_mb=$(coord -c "SELECT round(sum(length(data)) / 1e6) FROM recsys_tensors t JOIN recsys_models m ON m.id = t.model_id WHERE m.name = 'm_r_local'")

rate() { awk -v n="$RATINGS" -v s="$1" 'BEGIN { printf "%.2f", n / s / 1e6 }'; }
per_m() { awk -v n="$RATINGS" -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a - b) / (n / 1e6) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

export PGHOST=127.0.0.1 PGPORT=$COORD PGUSER=postgres
{
	echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
	echo "Command: \`RATINGS=$RATINGS REPS=$REPS bash test/bench/citus.sh\`."
	echo "One machine, three PostgreSQL servers: a Citus coordinator and two workers (test/integration/citus.bash),"
	echo "$RATINGS synthetic ratings ($USERS users × $ITEMS items) as a plain table of the coordinator (\"one node\","
	echo "max_parallel_workers_per_gather = $workers) and as a table distributed by user_id over the two workers (32 shards)."
	echo "Made in $t_make s; INSERT ... SELECT into the distributed table $t_dist s."
	echo
	echo "| what | one node | two workers | one node / two workers |"
	echo "| --- | ---: | ---: | ---: |"
	echo "| scoring, cold (a new session): sum(recsys_predict(...)) over every row, median of $REPS (s) | $cold_local | $cold_dist | $(ratio "$cold_local" "$cold_dist") |"
	echo "| scoring, warm (a session's second run), median of $REPS (s) | $warm_local | $warm_dist | $(ratio "$warm_local" "$warm_dist") |"
	echo "| scoring, warm, the workers with max_parallel_workers_per_gather = 0, median of $REPS (s) | $warm_local | $serial_dist | $(ratio "$warm_local" "$serial_dist") |"
	echo "| scoring rate, warm (M rows/s; two workers: the line above) | $(rate "$warm_local") | $(rate "$serial_dist") | |"
	echo "| moving the rows to the coordinator: COPY (SELECT ...) TO '/dev/null' (s) | $copy_local | $copy_dist | $(ratio "$copy_local" "$copy_dist") |"
	echo "| recsys_train (one connection per worker), 1 epoch, objective rating: total (s) | $local_total | $dist_total | $(ratio "$local_total" "$dist_total") |"
	echo "| of which training (s) | $local_train | $dist_train | |"
	echo "| reading and storing, per million rows (s) | $(per_m "$local_total" "$local_train") | $(per_m "$dist_total" "$dist_train") | $(ratio "$(per_m "$local_total" "$local_train")" "$(per_m "$dist_total" "$dist_train")") |"
	echo "| recsys_fit in a statement of its own (parallel read): total (s) | | $fit_total (training $fit_train) | |"
	echo
	echo "Scoring runs, cold: one node $(printf '%s ' "${s_cold_local[@]}")s, two workers $(printf '%s ' "${s_cold_dist[@]}")s;"
	echo "warm: one node $(printf '%s ' "${s_warm_local[@]}")s, two workers $(printf '%s ' "${s_warm_dist[@]}")s, without the workers' parallel"
	echo "query $(printf '%s ' "${s_serial_dist[@]}")s; the sums agree: $same."
	echo "The model is $model_mb MB of tensors, and every process that serves loads it once. Cold: one node's parallel"
	echo "workers (new processes for each query) and each connection Citus opens to a worker (with Citus's defaults one per"
	echo "worker stays open after a query). Warm, the second run of a session with two connections per worker kept open"
	echo "(SET citus.max_adaptive_executor_pool_size = 2, citus.max_cached_conns_per_worker = 2): the connections' backends"
	echo "keep the model, but at this size PostgreSQL plans each shard's query in parallel on the worker, and those"
	echo "parallel workers load it again for every shard; with max_parallel_workers_per_gather = 0 on the workers (Citus"
	echo "already runs the shards side by side) every shard is scored from the cache. One node's parallel workers still"
	echo "load the model for every query."
	echo "The three servers share the machine's $(nproc) cores: what two workers gain here over one node comes from serving"
	echo "from kept caches, not from more cores; on separate machines each worker scores its own rows with its own cores."
	echo
	echo "Where the training's rows go: Citus runs one task per shard on the workers and sends every row to the coordinator,"
	echo "where the aggregate recsys_fit collects them (EXPLAIN VERBOSE, first lines):"
	echo
	echo '```'
	echo "$plan"
	echo '```'
	echo
	echo "Why the aggregate's state is not built on the workers: Citus 13 ships a partial aggregate state between nodes"
	echo "only for a transition type other than internal, as text through the type's output function. recsys_fit's state"
	echo "is the collected ratings themselves (ids, ratings, the ids' index maps: 12 bytes a rating and more), so a partial"
	echo "state carries every row anyway, now as text, and the coordinator still parses it and re-indexes every id to merge"
	echo "the workers' states. The row above \"moving the rows to the coordinator\" bounds what could be saved: the transfer"
	echo "itself, which a text state would make larger, not smaller."
} | results_section "## Citus: scoring and training on a distributed table"
