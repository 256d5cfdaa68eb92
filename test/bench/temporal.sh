#!/usr/bin/env bash
# temporal.sh: accuracy on a temporal split of MovieLens-100K (a benchmark,
# not a test).  From u.data, each user's newest 20 % of ratings (floor(0.2 n) of
# its n ratings, newest by timestamp, ties broken by item id) are the test
# part and the rest the training part; recsys trains mf, dense and lstm with
# their default options (recsys.threads = 1) and, for information, lstm with
# carry_state true; PyTorch's lstm (test/bench/torch_lstm.py, the same
# options) runs on the same files unless TEMPORAL_TORCH=0.  Prints RMSE (stars
# and [0,1]), epochs and training time of each and writes the table into
# test/bench/RESULTS.md.
# Run:  MOVIELENS=/path/to/ml-100k bash test/bench/temporal.sh
# Outside a cluster it builds, installs (under the install lock) and runs the
# recsys part inside pg_virtualenv; PyTorch runs after the lock is released.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
# shellcheck source=test/integration/lib.bash
. "$ROOT/test/integration/lib.bash"
ml=$(movielens_dir)
if ! [ -r "$ml/u.data" ]; then
	echo "temporal.sh: MovieLens-100K's u.data not found in $ml (set MOVIELENS=/path/to/ml-100k); nothing measured"
	exit 0
fi
ml=$(cd "$ml" && pwd)
export MOVIELENS=$ml
PY=${COMPARE_PYTHON:-/usr/bin/python3}
# repetitions: seeds 42, 43, ... in both systems; the table shows medians
REPS=${TEMPORAL_REPS:-3}
export REPS

# the recsys runs: kind, label, options
RUNS=(
	"mf|mf, defaults|{}"
	"dense|dense, defaults|{}"
	"lstm|lstm, defaults|{}"
	"lstm|lstm, defaults but carry_state true|{\"carry_state\": true}"
)

# ---------- inside the throw-away cluster: the recsys runs ----------
if [ -n "${RECSYS_BENCH_IN_CLUSTER:-}" ]; then
	db=recsys_temporal
	fresh_db "$db"
	PSQL=(psql -X -q -At -F $'\t' -d "$db" -v ON_ERROR_STOP=1)
	RECSYS_SPLIT_DIR=$RECSYS_BENCH_OUT "${PSQL[@]}" <<'SQL'
CREATE TEMP TABLE stage (user_id integer, item_id integer, rating integer, epoch bigint);
CREATE TABLE t_train (user_id integer NOT NULL, item_id integer NOT NULL,
                      rating real NOT NULL, ts timestamptz NOT NULL);
CREATE TABLE t_test (LIKE t_train);
\copy stage FROM PROGRAM 'cat "$RECSYS_SPLIT_DIR/train.tsv"'
INSERT INTO t_train SELECT user_id, item_id, rating, to_timestamp(epoch) FROM stage;
TRUNCATE stage;
\copy stage FROM PROGRAM 'cat "$RECSYS_SPLIT_DIR/test.tsv"'
INSERT INTO t_test SELECT user_id, item_id, rating, to_timestamp(epoch) FROM stage;
ANALYZE t_train;
ANALYZE t_test;
SQL
	has_history=$("${PSQL[@]}" -c "SELECT to_regprocedure('recsys_predict(text, bigint[], real[], bigint)') IS NOT NULL")
	for rep in $(seq 1 "$REPS"); do
	n=0
	for run in "${RUNS[@]}"; do
		IFS='|' read -r kind label opts <<<"$run"
		n=$((n + 1))
		"${PSQL[@]}" -v kind="$kind" -v opts="$opts" -v label="$label" -v n="$n" -v seed=$((41 + rep)) <<'SQL' >>"$RECSYS_BENCH_OUT/recsys.tsv"
SET client_min_messages = warning;
SET recsys.threads = 1;
SELECT count(*) AS ignored FROM recsys_options(:'kind') \gset
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train(:'kind', 't_train', 'm', :'opts'::jsonb || jsonb_build_object('seed', :seed)) AS ignored \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
SELECT :n, :'label', 'recsys', e.rmse, e.rmse_scaled, e.n,
       m.metrics->>'n_epochs', m.metrics->>'best_epoch', round(:secs::numeric, 3)
  FROM recsys_evaluate('m', 't_test') e, recsys_models m WHERE m.name = 'm';
SQL
		# the history form, when present: each test rating from the user's
		# ratings before it (training and earlier test rows; the function keeps
		# the newest seq_len known items), without retraining
		if [ "$kind" = lstm ] && [ "$opts" = '{}' ] && [ "$has_history" = t ]; then
			"${PSQL[@]}" -v label="$label" -v n="$n" <<'SQL' >>"$RECSYS_BENCH_OUT/recsys.tsv"
SET recsys.threads = 1;
WITH allr AS (
	SELECT user_id, item_id, rating, ts, false AS is_test FROM t_train
	UNION ALL
	SELECT user_id, item_id, rating, ts, true FROM t_test
), h AS (
	SELECT item_id, rating, is_test,
	       coalesce(array_agg(item_id::bigint) OVER w, '{}') AS items,
	       coalesce(array_agg(rating) OVER w, '{}') AS ratings
	  FROM allr
	WINDOW w AS (PARTITION BY user_id ORDER BY ts, item_id ROWS BETWEEN 30 PRECEDING AND 1 PRECEDING)
), e AS (
	SELECT sqrt(avg((recsys_predict('m', items, ratings, item_id::bigint) - rating) ^ 2)) AS rmse, count(*) AS n
	  FROM h WHERE is_test
)
SELECT :n + 0.5, :'label' || ', each test rating from the user''s ratings before it (history form)', 'recsys',
       e.rmse, e.rmse / (SELECT max(rating) - min(rating) FROM t_train), e.n, '', '', ''
  FROM e;
SQL
		fi
		"${PSQL[@]}" -c "SELECT recsys_drop('m')" >/dev/null
	done
	done
	psql -X -At -d postgres -c 'SHOW server_version' >"$RECSYS_BENCH_OUT/pg_version"
	psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
	exit 0
fi

# ---------- outside: the split, recsys in a cluster, then PyTorch ----------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# each user's rows by time then item; the last floor(0.2 n) are the test part
sort -t $'\t' -k1,1n -k4,4n -k2,2n "$ml/u.data" >"$work/sorted.tsv"
awk -F '\t' -v train="$work/train.tsv" -v test="$work/test.tsv" '
	NR == FNR { n[$1]++; next }
	{ k[$1]++; if (k[$1] > n[$1] - int(0.2 * n[$1])) print > test; else print > train }
' "$work/sorted.tsv" "$work/sorted.tsv"
echo "temporal.sh: $(wc -l <"$work/train.tsv") training and $(wc -l <"$work/test.tsv") test ratings"

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
bash "$ROOT/scripts/setup.sh" >/dev/null
make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG"
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
echo "temporal.sh: recsys runs ..."
(
	flock 9
	"${SUDO[@]}" make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
	RECSYS_BENCH_IN_CLUSTER=1 RECSYS_BENCH_OUT=$work pg_virtualenv -v 15 bash "$HERE/temporal.sh"
) 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"

if [ "${TEMPORAL_TORCH:-1}" != 0 ] && "$PY" -c 'import torch, numpy' 2>/dev/null; then
	echo "temporal.sh: PyTorch lstm ..."
	for rep in $(seq 1 "$REPS"); do
	# recsys's lstm defaults, spelled out (as compare.sh's ARG_LSTM)
	"$PY" "$HERE/torch_lstm.py" --train "$work/train.tsv" --test "$work/test.tsv" --threads 1 --seed $((41 + rep)) \
		--factors 64 --hidden 128 --seq-len 10 --feedback --no-carry --dropout 0 --optimizer adam \
		--learning-rate 0.001 --weight-decay 0 --batch-size 256 --clip-norm 5 --init-std 0.1 \
		--validation-fraction 0.02 --patience 4 --epochs 100 --eval-next |
		"$PY" -c 'import json, sys
d = json.load(sys.stdin)
s = d["rating_max"] - d["rating_min"]
print("\t".join(str(x) for x in (9, "lstm, defaults", "PyTorch", d["rmse"], d["rmse"] / s,
      d["n_test"], d["epochs"], d["best_epoch"], round(d["train_seconds"], 3))))
print("\t".join(str(x) for x in (9.5, "lstm, defaults, each test rating from the user'"'"'s ratings before it (history form)",
      "PyTorch", d["rmse_next"], d["rmse_next"] / s, d["n_test"], "", "", "")))' >>"$work/recsys.tsv"
	done
fi

# medians over the repetitions of each row (order key, label, system)
table=$("$PY" - "$work/recsys.tsv" <<'PYEOF'
import statistics as st
import sys
rows = {}
for line in open(sys.argv[1]):
    c = line.rstrip("\n").split("\t")
    if len(c) < 9:
        continue
    rows.setdefault((float(c[0]), c[1], c[2]), []).append(c[3:])
print("| model | system | RMSE, stars | RMSE, [0,1] | test ratings | epochs (best) | training time |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for (_k, label, system), rs in sorted(rows.items()):
    med = lambda j: st.median(float(r[j]) for r in rs)
    reps = " (median of %d)" % len(rs) if len(rs) > 1 else ""
    if rs[0][3] == "":
        ep = "(the model above)"
        t = ""
    else:
        ep = "%g (%g)" % (med(3), med(4))
        t = "%.3g s%s, %s" % (med(5), reps, "whole recsys_train call" if system == "recsys" else "training loop")
    print("| %s | %s | %.4f | %.4f | %d | %s | %s |" % (label, system, med(0), med(1), int(rs[0][2]), ep, t))
PYEOF
)
echo "$table"

results=$HERE/RESULTS.md
section="## Temporal split of MovieLens-100K (each user's newest 20 % as test)"
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
	echo "PostgreSQL $(cat "$work/pg_version"), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
	echo "Command: \`MOVIELENS=/path/to/ml-100k bash test/bench/temporal.sh\`."
	echo "Split: u.data sorted by user, timestamp and item id; each user's last floor(0.2 n) of its n ratings"
	echo "are the test part ($(wc -l <"$work/test.tsv") ratings), the rest the training part ($(wc -l <"$work/train.tsv"))."
	echo "Every model with its default options (seeds 42 to $((41 + REPS)), medians; recsys.threads = 1), evaluated on the test part with"
	echo "predictions clipped to the training range; [0,1] = RMSE / (max − min) of the training ratings."
	echo "An lstm predicts each test rating from the user's state after its whole training history (its"
	echo "last seq_len − 1 steps without carry_state), i.e. the next ratings after the training period."
	echo "The \"history form\" rows predict each test rating from the user's ratings before it in time (training"
	echo "rows and earlier test rows, the newest seq_len = 10 known items, from a zero state) with the same"
	echo "trained model (\`recsys_predict(model, items, ratings, item)\` in recsys, the same computation in"
	echo "torch_lstm.py --eval-next): the model sees the user's newer ratings, but is not retrained."
	echo
	echo "$table"
} | cat -s >"$results"
rm -f "$tmp"
echo "written to $results"
