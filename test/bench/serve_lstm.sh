#!/usr/bin/env bash
# serve_lstm.sh: lstm accuracy and serving speed (a benchmark, not a
# test).  MovieLens-100K u1: lstm trained with default options ->
# RMSE on u1.test and training wall time (recsys.threads = 1), predict
# throughput over u1.test (first call in a new session and cached), the
# latency of single recsys_recommend(model, user, 10) calls over all items
# (median and 90th percentile over every user, model cached), and of
# recsys_recommend(model, history_items, history_ratings, 10) with each
# user's newest 10 u1.base ratings as the history (when that function
# exists).  Prints a table and writes it into test/bench/RESULTS.md.
# Run:  MOVIELENS=/path/to/ml-100k bash test/bench/serve_lstm.sh
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
	echo "serve_lstm.sh: MovieLens-100K not found at $ml (set MOVIELENS=/path/to/ml-100k); nothing measured"
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
	RECSYS_BENCH_IN_CLUSTER=1 pg_virtualenv -v 15 bash "$HERE/serve_lstm.sh"
	exit $?
fi

db=recsys_bench_lstm
fresh_db "$db"
psql -X -q -d "$db" -v ml_dir="$ml" -v with_titles=0 -f "$ROOT/scripts/movielens.sql"
PSQL=(psql -X -q -At -F ' ' -d "$db" -v ON_ERROR_STOP=1)

# 1. training with default options, one thread, timed inside the server
read -r train_s core_s epochs rmse rmse01 n <<<"$("${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
SET recsys.threads = 1;
SELECT count(*) AS ignored FROM recsys_options('lstm') \gset
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train('lstm', 'u1_base', 'l') AS ignored \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS train_s \gset
SELECT round(:train_s::numeric, 3), round((m.metrics->>'train_seconds')::numeric, 3),
       m.metrics->>'n_epochs', e.rmse, e.rmse_scaled, e.n
  FROM recsys_evaluate('l', 'u1_test') e, recsys_models m WHERE m.name = 'l';
SQL
)"

# 2. predict over u1.test in a NEW session: run 1 is the first call (model
#    loaded from the catalog), runs 2-6 cached.
# 3. one recsys_recommend(l, u, 10) call per user, each timed on its own
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
		SELECT sum(recsys_predict('l', user_id, item_id)) INTO s FROM u1_test;
		INSERT INTO t VALUES ('predict', i, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
	SELECT count(*) INTO c FROM recsys_recommend('l', 1, 10);
	FOR u IN 1..943 LOOP
		t0 := clock_timestamp();
		SELECT count(*) INTO c FROM recsys_recommend('l', u, 10);
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

# 4. the history form, when present: each user's newest 10 u1.base ratings
#    (oldest first) as the history, one call per user, timed on its own
has_history=$("${PSQL[@]}" -c "SELECT to_regprocedure('recsys_recommend(text, bigint[], real[], integer, boolean)') IS NOT NULL")
hist_med="" hist_p90=""
if [ "$has_history" = t ]; then
	read -r hist_med hist_p90 <<<"$("${PSQL[@]}" <<'SQL'
SET recsys.threads = 1;
CREATE TEMP TABLE hist AS
SELECT user_id, array_agg(item_id::bigint ORDER BY ts, item_id) AS items,
       array_agg(rating ORDER BY ts, item_id) AS ratings
  FROM (SELECT user_id, item_id, rating, ts,
               row_number() OVER (PARTITION BY user_id ORDER BY ts DESC, item_id DESC) AS rn
          FROM u1_base) s
 WHERE rn <= 10
 GROUP BY user_id;
CREATE TEMP TABLE th (run int, secs float8);
DO $$
DECLARE
	t0 timestamptz;
	c bigint;
	h record;
BEGIN
	SELECT count(*) INTO c FROM hist, recsys_recommend('l', hist.items, hist.ratings, 10) WHERE hist.user_id = 1;
	FOR h IN SELECT user_id, items, ratings FROM hist ORDER BY user_id LOOP
		t0 := clock_timestamp();
		SELECT count(*) INTO c FROM recsys_recommend('l', h.items, h.ratings, 10);
		INSERT INTO th VALUES (h.user_id, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
$$;
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY secs), percentile_disc(0.9) WITHIN GROUP (ORDER BY secs) FROM th;
SQL
)"
fi
# 5. the history form of predict over u1.test: each rating from the user's
#    ratings before it in time (u1.base and earlier u1.test rows)
has_hpredict=$("${PSQL[@]}" -c "SELECT to_regprocedure('recsys_predict(text, bigint[], real[], bigint)') IS NOT NULL")
hp_rmse="" hp_rmse01="" hp_s=""
if [ "$has_hpredict" = t ]; then
	read -r hp_rmse hp_rmse01 hp_s <<<"$("${PSQL[@]}" <<'SQL'
SET recsys.threads = 1;
CREATE TEMP TABLE hq AS
SELECT item_id::bigint AS item_id, rating, is_test,
       coalesce(array_agg(item_id::bigint) OVER w, '{}') AS items,
       coalesce(array_agg(rating) OVER w, '{}') AS ratings
  FROM (SELECT user_id, item_id, rating, ts, false AS is_test FROM u1_base
        UNION ALL SELECT user_id, item_id, rating, ts, true FROM u1_test) a
WINDOW w AS (PARTITION BY user_id ORDER BY ts, item_id ROWS BETWEEN 30 PRECEDING AND 1 PRECEDING);
DELETE FROM hq WHERE NOT is_test;
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE hp AS SELECT recsys_predict('l', items, ratings, item_id) AS p, rating FROM hq;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
SELECT sqrt(avg((p - rating) ^ 2)), sqrt(avg((p - rating) ^ 2)) / (SELECT max(rating) - min(rating) FROM u1_base), :secs FROM hp;
SQL
)"
fi
n_test=$("${PSQL[@]}" -c "SELECT count(*) FROM u1_test")
n_items=$("${PSQL[@]}" -c "SELECT n_items FROM recsys_models WHERE name = 'l'")
psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null

fmt() { awk "BEGIN { printf \"$1\", $2 }"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo NO; fi; }
cold_pps=$(fmt "%.0f" "$n_test / $cold_s")
warm_pps=$(fmt "%.0f" "$n_test / $warm_s")
med_ms=$(fmt "%.3f" "$rec_med * 1000")
p90_ms=$(fmt "%.3f" "$rec_p90 * 1000")
if [ -n "$hist_med" ]; then
	hmed_ms=$(fmt "%.3f" "$hist_med * 1000")
	hp90_ms=$(fmt "%.3f" "$hist_p90 * 1000")
	hist_row="| recsys_recommend('l', ARRAY[10 items], ARRAY[10 ratings], 10) over all $n_items items, each user's newest 10 u1.base ratings, 943 users | median $hmed_ms ms, 90th percentile $hp90_ms ms | median ≤ 3 ms | $(verdict "$hmed_ms <= 3") |"
else
	hist_row="| recsys_recommend('l', ARRAY[10 items], ARRAY[10 ratings], 10) | not measured: function not yet present at this commit | median ≤ 3 ms | — |"
fi

if [ -n "$hp_rmse" ]; then
	hp_row="| lstm RMSE on u1.test, each rating from the user's ratings before it (history form, \`recsys_predict(l, items, ratings, item)\`; newest 10 of u1.base and earlier u1.test rows) | $(fmt "%.4f" "$hp_rmse") stars, $(fmt "%.4f" "$hp_rmse01") on [0,1]; $(fmt "%.0f" "$n_test / $hp_s") predictions/s | — | — |"
else
	hp_row="| lstm RMSE on u1.test with the history form of recsys_predict | not measured: function not yet present at this commit | — | — |"
fi

table=$(cat <<EOT
| figure | measured | target | met |
| --- | --- | --- | --- |
| lstm RMSE on u1.test (default options, n = $n) | $(fmt "%.4f" "$rmse") stars, $(fmt "%.4f" "$rmse01") on [0,1] | ≤ 0.945 | $(verdict "$rmse <= 0.945") |
| recsys_train('lstm', 'u1_base') whole call, recsys.threads = 1 | $train_s s ($epochs epochs; training alone $core_s s) | — | — |
| predict over u1.test, first call in a new session | $cold_pps predictions/s ($(fmt "%.2f" "$cold_s * 1000") ms) | — | — |
| predict over u1.test, cached (median of 5) | $warm_pps predictions/s ($(fmt "%.2f" "$warm_s * 1000") ms) | — | — |
| recsys_recommend('l', user, 10) over all $n_items items, one call per user, 943 users | median $med_ms ms, 90th percentile $p90_ms ms | median ≤ 2 ms | $(verdict "$med_ms <= 2") |
$hist_row
$hp_row
EOT
)
echo "$table"

results=$HERE/RESULTS.md
section="## lstm: accuracy and serving speed"
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
	echo "Command: \`MOVIELENS=/path/to/ml-100k bash test/bench/serve_lstm.sh\`."
	echo "Times are taken inside the server (clock_timestamp() in a DO block). Predict runs"
	echo "\`SELECT sum(recsys_predict('l', user_id, item_id)) FROM u1_test\`; recommend times each"
	echo "\`SELECT count(*) FROM recsys_recommend('l', u, 10)\` for u = 1..943 on its own, after one"
	echo "first call that computes the cached item part of the gates; the history form times"
	echo "\`recsys_recommend('l', items, ratings, 10)\` with each user's newest 10 u1.base ratings (oldest first)."
	echo
	echo "$table"
} | cat -s >"$results"
rm -f "$tmp"
echo "written to $results"
