#!/usr/bin/env bash
# scale.sh: mf training time, memory and accuracy from 1 M to 20 M synthetic
# ratings (a benchmark, not a test).
#   For 1 M, 5 M and 20 M synthetic ratings (users and items in MovieLens-20M
#   proportions: 138,000 users and 27,000 items at 20 M), 5 % held out by a
#   hash of (user, item): recsys_train('mf', ...) wall time split into
#   reading and training, the backend's peak memory (VmHWM), RMSE on the
#   held-out part next to the planted noise, ratings/s.  Then at 20 M the
#   options that meet the 60 s target, and SELECT recsys_fit(...) over the
#   20 M table with 0 and 2 parallel workers.  Draws test/bench/scale.png and
#   writes the section "Scale: 1 M to 20 M synthetic ratings" of
#   test/bench/RESULTS.md.
# Run:  bash test/bench/scale.sh          (takes 10-15 minutes on 2 cores)
#   SIZES="1000000 5000000" bash test/bench/scale.sh   for a quick look
#   FAST_OPTIONS='{"factors": 16, "epochs": 40}' (default) sets the options of the 20 M target run.
# Outside a cluster it builds, installs (under the install lock, held for
# the whole run so that no other build replaces the library mid-run) and
# re-runs itself inside pg_virtualenv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
SIZES=${SIZES:-"1000000 5000000 20000000"}
FAST_OPTIONS=${FAST_OPTIONS:-'{"factors": 16, "epochs": 40}'}
export SIZES FAST_OPTIONS

# second step, after the cluster is gone: write RESULTS.md from the files in $2
if [ "${1:-}" = --write-results ]; then
	out=$2
	results=$HERE/RESULTS.md
	section="## Scale: 1 M to 20 M synthetic ratings"
	[ -f "$results" ] || printf '# Benchmark results\n\nMeasured figures only; each section says how to re-run it.\n' >"$results"
	tmp=$(mktemp)
	awk -v s="$section" '$0 == s { skip = 1; next } skip && /^## / { skip = 0 } !skip' "$results" >"$tmp"
	{
		cat "$tmp"
		echo
		echo "$section"
		echo
		cat "$out/header.md"
		echo
		cat "$out/table.md"
		echo
		cat "$out/fit.md"
		echo
		echo "![time and memory against ratings](scale.png)"
		echo
		echo "See \"Scale: analysis\" below for what limits each figure."
	} | cat -s >"$results"
	rm -f "$tmp"
	echo "written to $results"
	exit 0
fi

if [ -z "${RECSYS_BENCH_IN_CLUSTER:-}" ]; then
	PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
	[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
	SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	bash "$ROOT/scripts/setup.sh" >/dev/null
	# the plot needs Debian's matplotlib (and Debian's python3, not a pyenv one)
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=python3
	if ! "$PY" -c 'import matplotlib' 2>/dev/null; then
		"${SUDO[@]}" apt-get install -y -q python3-matplotlib >/dev/null
	fi
	make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG"
	out=$(mktemp -d)
	(
		exec 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"
		flock 9
		"${SUDO[@]}" make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
		RECSYS_BENCH_IN_CLUSTER=1 RECSYS_BENCH_OUT=$out pg_virtualenv -v 15 bash "$HERE/scale.sh"
	)
	"$PY" "$HERE/scale_plot.py" "$out/scale.csv" "$HERE/scale.png"
	bash "$HERE/scale.sh" --write-results "$out"
	rm -rf "$out"
	exit 0
fi

out=${RECSYS_BENCH_OUT:?}
db=recsys_scale
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -X -q -d "$db" -c "CREATE EXTENSION recsys" >/dev/null
PSQL=(psql -X -q -At -F ' ' -d "$db" -v ON_ERROR_STOP=1)
load=$(uptime | sed 's/.*load average: //')

# the noise of recsys_synthetic_ratings before rounding to whole stars
# (rs_synth_noise_std() in src/core/synthetic.c); rounding adds the
# variance of a uniform step, 1/12
NOISE=0.5
FLOOR=$(awk "BEGIN { printf \"%.3f\", sqrt($NOISE * $NOISE + 1 / 12) }")

# make train_N and test_N (5 % by hash) for N ratings
make_tables() {
	local n=$1 nu ni
	nu=$(( (138000 * n + 10000000) / 20000000 ))
	ni=$(( (27000 * n + 10000000) / 20000000 ))
	"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE UNLOGGED TABLE all_$n AS
	SELECT user_id, item_id, rating FROM recsys_synthetic_ratings($nu, $ni, $n, 1);
CREATE UNLOGGED TABLE test_$n AS
	SELECT * FROM all_$n WHERE hashint8(user_id * 1000003 + item_id) % 20 = 0;
CREATE UNLOGGED TABLE train_$n AS
	SELECT * FROM all_$n WHERE hashint8(user_id * 1000003 + item_id) % 20 <> 0;
DROP TABLE all_$n;
VACUUM ANALYZE train_$n;
VACUUM ANALYZE test_$n;
SQL
	echo "$nu $ni"
}

# train mf on train_N in a new backend; prints
# total_s train_s epochs hwm_before_kB hwm_after_kB n_train n_users n_items rmse
train_once() {
	local n=$1 name=$2 options=$3
	"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.vm(field text) RETURNS bigint LANGUAGE sql AS
\$\$ SELECT substring(pg_read_file('/proc/self/status') FROM field || ':\s*(\d+) kB')::bigint \$\$;
SELECT pg_temp.vm('VmHWM') AS hwm0, clock_timestamp() AS t0 \gset
SELECT recsys_train('mf', 'train_$n', '$name', '$options') \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS total, pg_temp.vm('VmHWM') AS hwm1 \gset
SELECT :total, (metrics->>'train_seconds')::float8, (metrics->>'n_epochs')::int, :hwm0, :hwm1,
	coalesce((metrics->>'rank_seconds')::float8, 0),
	n_ratings, n_users, n_items, (SELECT rmse FROM recsys_evaluate('$name', 'test_$n'))
	FROM recsys_models WHERE name = '$name';
SQL
}

# time SELECT recsys_fit(...) over train_N with w parallel workers; prints
# seconds and VmHWM of the leader in kB
fit_once() {
	local n=$1 w=$2 options=$3
	"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = $w;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
CREATE FUNCTION pg_temp.vm(field text) RETURNS bigint LANGUAGE sql AS
\$\$ SELECT substring(pg_read_file('/proc/self/status') FROM field || ':\s*(\d+) kB')::bigint \$\$;
SELECT clock_timestamp() AS t0 \gset
SELECT length(recsys_fit('mf', user_id, item_id, rating, '$options')) AS len FROM train_$n \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz),
	pg_temp.vm('VmHWM');
SQL
}

# workers planned for recsys_fit over train_N with w parallel workers
fit_workers() {
	local n=$1 w=$2 options=$3 planned
	planned=$("${PSQL[@]}" <<SQL | sed -n 's/.*Workers Planned: \([0-9]*\).*/\1/p'
SET max_parallel_workers_per_gather = $w;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN SELECT length(recsys_fit('mf', user_id, item_id, rating, '$options')) FROM train_$n;
SQL
)
	echo "${planned:-0}"
}

echo "ratings,users,items,options,n_train,total_s,read_s,train_s,epochs,hwm_mb,rmse" >"$out/scale.csv"
{
	echo "| ratings | users × items | options | train rows | total s | reading s | training s | of which ranking head s | epochs | s/epoch | read rows/s | trained ratings/s | peak MB (VmHWM) | test RMSE |"
	echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$out/table.md"

row() {
	local n=$1 nu=$2 ni=$3 label=$4 options=$5
	local total train epochs hwm0 hwm1 head ntrain users items rmse read
	read -r total train epochs hwm0 hwm1 head ntrain users items rmse <<<"$(train_once "$n" "m_$n" "$options")"
	"${PSQL[@]}" -c "SELECT recsys_drop('m_$n')" >/dev/null
	read=$(awk "BEGIN { printf \"%.1f\", $total - $train }")
	echo "$n,$users,$items,${label//,/;},$ntrain,$total,$read,$train,$epochs,$(awk "BEGIN { print $hwm1 / 1024 }"),$rmse" >>"$out/scale.csv"
	# s/epoch and trained ratings/s are of the rating epochs alone (training
	# less the ranking head)
	awk -v n="$n" -v u="$users" -v i="$ni" -v lab="$label" -v nt="$ntrain" -v tot="$total" -v tr="$train" \
		-v hd="$head" -v ep="$epochs" -v h="$hwm1" -v r="$rmse" -v users="$users" -v items="$items" 'BEGIN {
		rd = tot - tr;
		printf "| %.0f M | %d × %d | %s | %d | %.1f | %.1f | %.1f | %.1f | %d | %.2f | %.2f M | %.2f M | %.0f | %.4f |\n",
			n / 1e6, users, items, lab, nt, tot, rd, tr, hd, ep, (tr - hd) / ep, nt / rd / 1e6, nt * ep / (tr - hd) / 1e6, h / 1024, r }' >>"$out/table.md"
	tail -n 1 "$out/table.md"
}

echo "load before: $load"
last=""
for n in $SIZES; do
	read -r nu ni <<<"$(make_tables "$n")"
	row "$n" "$nu" "$ni" "defaults" '{"verbose": false}'
	last=$n
done

# the 20 M target run, and recsys_fit with 0 and 2 workers, on the largest size
fast=$(echo "$FAST_OPTIONS" | sed 's/^{/{"verbose": false, /')
fast_label=$(echo "$FAST_OPTIONS" | sed 's/[{}"]//g')
row "$last" "" "" "$fast_label" "$fast"
# the same on one thread: what the second core brings, in the server
row "$last" "" "" "$fast_label, threads: 1" "$(echo "$fast" | sed 's/}$/, "threads": 1}/')"
{
	echo "recsys_fit over train_$last (options $fast_label; reading and training, the model returned as bytea):"
	echo
	echo "| max_parallel_workers_per_gather | workers planned | seconds | leader peak MB (VmHWM) |"
	echo "| ---: | ---: | ---: | ---: |"
	for w in 0 2; do
		planned=$(fit_workers "$last" "$w" "$fast")
		read -r secs hwm <<<"$(fit_once "$last" "$w" "$fast")"
		awk -v w="$w" -v p="$planned" -v s="$secs" -v h="$hwm" 'BEGIN { printf "| %d | %d | %.1f | %.0f |\n", w, p, s, h / 1024 }'
	done
} >"$out/fit.md"
cat "$out/fit.md"
load_after=$(uptime | sed 's/.*load average: //')

{
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), nproc = $(nproc),"
	echo "PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown),"
	echo "recsys.threads = 0 (one per core) unless the options say otherwise, load average before $load, after $load_after (the machine is shared)."
	echo "Command: \`bash test/bench/scale.sh\` (SIZES=\"$SIZES\", FAST_OPTIONS='$FAST_OPTIONS')."
	echo "Data: \`recsys_synthetic_ratings(users, items, ratings, 1)\`, users and items in MovieLens-20M proportions;"
	echo "5 % held out as test by \`hashint8(user_id * 1000003 + item_id) % 20 = 0\`; one run per row."
	echo "total = wall time of \`recsys_train('mf', ...)\` in the server; training = the epochs' seconds and the ranking"
	echo "head's (metrics->>'train_seconds'), of which the head's is metrics->>'rank_seconds' (s/epoch and trained"
	echo "ratings/s count the rating epochs alone); reading = total − training (scan, id mapping, sort, rated-items index,"
	echo "storing)."
	echo "Peak memory is VmHWM of the backend, which ran only this training (a new session per row)."
	echo "Planted noise: rs_synth_noise_std() = $NOISE before rounding to whole stars; with the rounding"
	echo "the best achievable RMSE is about sqrt(0.5² + 1/12) = $FLOOR (a little less where 1 and 5 clip)."
} >"$out/header.md"
psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
