#!/usr/bin/env bash
# serve_dense.sh: dense accuracy and serving speed (a benchmark, not a
# test).  MovieLens-100K u1: dense trained with default options ->
# RMSE on u1.test and training wall time (recsys.threads = 1), predict
# throughput over u1.test (first call in a new session and cached), and the
# latency of single recsys_recommend(model, user, 10) calls over all items
# (median and 90th percentile over every user, model cached).
# Prints a table and writes it into test/bench/RESULTS.md.
# Run:  MOVIELENS=/path/to/ml-100k bash test/bench/serve_dense.sh
# Outside a cluster it builds, installs (under the install lock) and re-runs
# itself inside pg_virtualenv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
# shellcheck source=test/integration/lib.bash
. "$ROOT/test/integration/lib.bash"
ml=$(movielens_dir)
if ! movielens_present "$ml"; then
	echo "serve_dense.sh: MovieLens-100K not found at $ml (set MOVIELENS=/path/to/ml-100k); nothing measured"
	exit 0
fi
ml=$(cd "$ml" && pwd)
export MOVIELENS=$ml

if [ -z "${RECSYS_BENCH_IN_CLUSTER:-}" ]; then
	PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
	[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
	bash "$ROOT/scripts/setup.sh" >/dev/null
	make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG"
	SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	exec 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"
	flock 9
	"${SUDO[@]}" make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
	RECSYS_BENCH_IN_CLUSTER=1 pg_virtualenv -v 15 bash "$HERE/serve_dense.sh"
	exit $?
fi

db=recsys_bench_dense
fresh_db "$db"
psql -X -q -d "$db" -v ml_dir="$ml" -v with_titles=0 -f "$ROOT/scripts/movielens.sql"
PSQL=(psql -X -q -At -F ' ' -d "$db" -v ON_ERROR_STOP=1)

# 1. training with default options, one thread, timed inside the server
read -r train_s core_s epochs rmse n <<<"$("${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
SET recsys.threads = 1;
SELECT count(*) AS ignored FROM recsys_options('dense') \gset
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train('dense', 'u1_base', 'd') AS ignored \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS train_s \gset
SELECT round(:train_s::numeric, 3), round((m.metrics->>'train_seconds')::numeric, 3),
       m.metrics->>'n_epochs', e.rmse, e.n
  FROM recsys_evaluate('d', 'u1_test') e, recsys_models m WHERE m.name = 'd';
SQL
)"

# 2. predict over u1.test in a NEW session: run 1 is the first call (model
#    loaded from the catalog), runs 2-6 cached.
# 3. one recsys_recommend(d, u, 10) call per user, each timed on its own
#    (the first call, which fills the item-part cache, is run before).
read -r cold_s warm_s rec_med rec_p90 <<<"$("${PSQL[@]}" <<'SQL'
SET recsys.threads = 1;
CREATE TEMP TABLE t (what text, run int, secs float8);
DO $$
DECLARE
	t0 timestamptz;
	s float8;
	c bigint;
BEGIN
	FOR i IN 1..6 LOOP
		t0 := clock_timestamp();
		SELECT sum(recsys_predict('d', user_id, item_id)) INTO s FROM u1_test;
		INSERT INTO t VALUES ('predict', i, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
	SELECT count(*) INTO c FROM recsys_recommend('d', 1, 10);
	FOR u IN 1..943 LOOP
		t0 := clock_timestamp();
		SELECT count(*) INTO c FROM recsys_recommend('d', u, 10);
		INSERT INTO t VALUES ('recommend', u, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
$$;
SELECT (SELECT secs FROM t WHERE what = 'predict' AND run = 1),
       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY secs) FROM t WHERE what = 'predict' AND run > 1),
       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY secs) FROM t WHERE what = 'recommend'),
       (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY secs) FROM t WHERE what = 'recommend');
SQL
)"
n_test=$("${PSQL[@]}" -c "SELECT count(*) FROM u1_test")
n_items=$("${PSQL[@]}" -c "SELECT n_items FROM recsys_models WHERE name = 'd'")
psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null

fmt() { awk "BEGIN { printf \"$1\", $2 }"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo NO; fi; }
cold_pps=$(fmt "%.0f" "$n_test / $cold_s")
warm_pps=$(fmt "%.0f" "$n_test / $warm_s")
med_ms=$(fmt "%.3f" "$rec_med * 1000")
p90_ms=$(fmt "%.3f" "$rec_p90 * 1000")

table=$(cat <<EOT
| figure | measured | target | met |
| --- | --- | --- | --- |
| dense RMSE on u1.test (default options, n = $n) | $(fmt "%.4f" "$rmse") | ≤ 0.930 | $(verdict "$rmse <= 0.930") |
| recsys_train('dense', 'u1_base') whole call, recsys.threads = 1 | $train_s s ($epochs epochs; training alone $core_s s) | — | — |
| predict over u1.test, first call in a new session | $cold_pps predictions/s ($(fmt "%.2f" "$cold_s * 1000") ms) | — | — |
| predict over u1.test, cached (median of 5) | $warm_pps predictions/s ($(fmt "%.2f" "$warm_s * 1000") ms) | ≥ 500,000 /s | $(verdict "$warm_pps >= 500000") |
| recsys_recommend('d', user, 10) over all $n_items items, one call per user, 943 users | median $med_ms ms, 90th percentile $p90_ms ms | median ≤ 2 ms | $(verdict "$med_ms <= 2") |
EOT
)
echo "$table"

results=$HERE/RESULTS.md
section="## dense: accuracy and serving speed"
[ -f "$results" ] || printf '# Benchmark results\n\nMeasured figures only; each section says how to re-run it.\n' >"$results"
tmp=$(mktemp)
awk -v s="$section" '$0 == s { skip = 1; next } skip && /^## / { skip = 0 } !skip' "$results" >"$tmp"
{
	cat "$tmp"
	echo
	echo "$section"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), nproc = $(nproc),"
	echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the end (the machine is shared),"
	echo "PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
	echo "Command: \`MOVIELENS=/path/to/ml-100k bash test/bench/serve_dense.sh\`."
	echo "Times are taken inside the server (clock_timestamp() in a DO block). Predict runs"
	echo "\`SELECT sum(recsys_predict('d', user_id, item_id)) FROM u1_test\`; recommend times each"
	echo "\`SELECT count(*) FROM recsys_recommend('d', u, 10)\` for u = 1..943 on its own, after one"
	echo "first call that computes the cached item part of the first layer."
	echo
	echo "$table"
} | cat -s >"$results"
rm -f "$tmp"
echo "written to $results"
