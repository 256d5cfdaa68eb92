#!/usr/bin/env bash
# compare.sh: the side-by-side benchmark of training speed and accuracy,
# recsys against a PyTorch (CPU) reference of the same model
# (test/bench/torch_mf.py, torch_dense.py, torch_lstm.py) on MovieLens-100K
# u1.base -> u1.test.  Rows:
#   a. recsys defaults (per-rating SGD, 100 factors, biases, early stopping);
#      PyTorch runs the same per-rating loop, capped at $COMPARE_SGD_EPOCHS
#      epochs (one epoch is tens of seconds), recsys also runs that cap;
#   b. the tuned PyTorch baseline for mf (lazy Adam, minibatches of
#      1,024, 20 factors, early stopping), both systems, 1 and 2 threads;
#   c. the article's literal set-up (plain dot product, 20 factors, N(0,1)
#      init, per-rating SGD on MSELoss, no early stopping, $COMPARE_ARTICLE_EPOCHS
#      epochs), and PyTorch alone running the article's code as published
#      (lr 1e-6, no zero_grad: $COMPARE_VERBATIM_EPOCHS epoch);
#   d. the dense kind with its default options (20 factors, one hidden
#      layer of 64, Adam lr 0.003, weight decay 0.001, batches of 256, early
#      stopping) against the same model in PyTorch (test/bench/torch_dense.py),
#      1 and 2 threads (recsys.threads = torch.set_num_threads);
#   e. the lstm kind with its default options (item embedding 64 and
#      rating feedback into an LSTM of 128, windows of 10 from zero states,
#      item and user biases, Adam lr 0.001, batches of 256, clip 5, early
#      stopping) against the same model in PyTorch (test/bench/torch_lstm.py),
#      and the article's LSTM (no feedback, no biases, N(0,1) embedding,
#      dropout 0.3) in both; 1 thread only (the time per epoch is the target).
# COMPARE_CONFIGS="dense adam" runs only those configurations and prints the
# table without writing RESULTS.md (COMPARE_CONFIGS=dense writes the dense
# comparison's section, COMPARE_CONFIGS=lstm the lstm one's: lstm and
# lstm_article).
# recsys is timed around the whole recsys_train() call (reading the table and
# storing the model included) inside the server; PyTorch around its training
# loop only.  Repetition r of a configuration uses the seed 41 + r in both
# systems (42 is recsys's default), so medians are over seeds as well.
# Prints the table and writes it into test/bench/RESULTS.md.
# Run:  MOVIELENS=/path/to/ml-100k bash test/bench/compare.sh   (or make bench)
# It installs Debian's python3-torch and python3-numpy when they are missing,
# builds and installs recsys under the install lock, and runs the recsys part
# in a throw-away cluster (pg_virtualenv); the PyTorch part runs after the
# lock is released.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
# shellcheck source=test/integration/lib.bash
. "$ROOT/test/integration/lib.bash"
ml=$(movielens_dir)
if ! movielens_present "$ml"; then
	echo "compare.sh: MovieLens-100K not found at $ml (set MOVIELENS=/path/to/ml-100k); nothing measured"
	exit 0
fi
ml=$(cd "$ml" && pwd)
export MOVIELENS=$ml

# Debian's interpreter: python3-torch is installed for it, not for another
# python3 that may come first on PATH
PY=${COMPARE_PYTHON:-/usr/bin/python3}
REPS=${COMPARE_REPS:-3}
SGD_EPOCHS=${COMPARE_SGD_EPOCHS:-2}
ARTICLE_EPOCHS=${COMPARE_ARTICLE_EPOCHS:-10}
ALL_CONFIGS="defaults defaults_cap adam article verbatim dense lstm lstm_article"
CONFIGS=${COMPARE_CONFIGS:-$ALL_CONFIGS}
[ "$CONFIGS" = lstm ] && CONFIGS="lstm lstm_article"
export COMPARE_CONFIGS=$CONFIGS
# true when configuration $1 is to be run
want() { case " $CONFIGS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# the configurations: name, recsys options (jsonb), torch_mf.py arguments.
# The PyTorch references train a rating model only, so every recsys run set
# against one of them trains with "objective": "rating" (RATING_ONLY); the
# defaults run keeps every head the defaults train, as a user gets them.
OPT_DEFAULTS='{}'
RATING_ONLY='"objective": "rating"'
OPT_DEFAULTS_CAP="{\"epochs\": $SGD_EPOCHS, $RATING_ONLY}"
ARG_DEFAULTS_CAP="--epochs $SGD_EPOCHS"
# the tuned baseline keeps the stopping rule it was tuned with (patience 10)
OPT_ADAM="{\"optimizer\": \"adam\", \"batch_size\": 1024, \"factors\": 20, \"learning_rate\": 0.01, \"l2\": 0.08, \"lr_decay\": 1, \"patience\": 10, $RATING_ONLY}"
ARG_ADAM='--optimizer adam --batch-size 1024 --factors 20 --learning-rate 0.01 --l2 0.08 --lr-decay 1 --patience 10'
# nn.MSELoss on one rating has the gradient 2e, recsys's update uses e: the
# article's learning rate 0.01 is recsys's 0.02
OPT_ARTICLE="{\"biases\": false, \"factors\": 20, \"init_std\": 1, \"learning_rate\": 0.02, \"l2\": 0, \"lr_decay\": 1, \"validation_fraction\": 0, \"epochs\": $ARTICLE_EPOCHS, $RATING_ONLY}"
# the article's code as published: SGD lr 1e-6, rows in order, no zero_grad;
# PyTorch only (recsys has no accumulating-gradient mode), for its time per
# epoch and to show what its published settings give
VERBATIM_EPOCHS=${COMPARE_VERBATIM_EPOCHS:-1}
ARG_VERBATIM="--verbatim --no-biases --factors 20 --init-std 1 --learning-rate 1e-6 --loss mse --l2 0 --lr-decay 1 --validation-fraction 0 --epochs $VERBATIM_EPOCHS"
ARG_ARTICLE="--no-biases --factors 20 --init-std 1 --learning-rate 0.01 --loss mse --l2 0 --lr-decay 1 --validation-fraction 0 --epochs $ARTICLE_EPOCHS"
# dense: recsys's defaults, spelled out for both systems
OPT_DENSE='{"factors": 20, "hidden": 64, "layers": 1, "dropout": 0, "optimizer": "adam", "learning_rate": 0.003, "weight_decay": 0.001, "batch_size": 256, "validation_fraction": 0.02, "patience": 6, "epochs": 100, "init_std": 0.1, "objective": "rating"}'
ARG_DENSE="--factors 20 --hidden 64 --layers 1 --dropout 0 --optimizer adam --learning-rate 0.003 --weight-decay 0.001 --batch-size 256 --validation-fraction 0.02 --patience 6 --epochs 100 --init-std 0.1"
# lstm: recsys's defaults (src/core/lstm.c), spelled out for both systems;
# the cluster part checks them against recsys_options('lstm')
OPT_LSTM='{"factors": 64, "hidden": 128, "seq_len": 10, "feedback": true, "carry_state": false, "dropout": 0, "optimizer": "adam", "learning_rate": 0.001, "weight_decay": 0, "batch_size": 256, "clip_norm": 5, "biases": true, "init_std": 0.1, "validation_fraction": 0.02, "patience": 4, "epochs": 100, "objective": "rating"}'
ARG_LSTM="--factors 64 --hidden 128 --seq-len 10 --feedback --no-carry --dropout 0 --optimizer adam --learning-rate 0.001 --weight-decay 0 --batch-size 256 --clip-norm 5 --init-std 0.1 --validation-fraction 0.02 --patience 4 --epochs 100"
# the article's LSTM: item ids only (no feedback, no biases), N(0,1)
# embedding, dropout 0.3, otherwise as above
OPT_LSTM_ARTICLE=$(echo "$OPT_LSTM" | sed 's/"feedback": true/"feedback": false/; s/"biases": true/"biases": false/; s/"init_std": 0.1/"init_std": 1/; s/"dropout": 0,/"dropout": 0.3,/')
ARG_LSTM_ARTICLE=$(echo "$ARG_LSTM" | sed 's/--feedback/--no-feedback --no-biases/; s/--init-std 0.1/--init-std 1/; s/--dropout 0 /--dropout 0.3 /')

# ---------- inside the throw-away cluster: the recsys runs ----------
if [ -n "${RECSYS_BENCH_IN_CLUSTER:-}" ]; then
	out=$RECSYS_BENCH_OUT/recsys.tsv
	db=recsys_compare
	fresh_db "$db"
	psql -X -q -d "$db" -v ml_dir="$ml" -v with_titles=0 -f "$ROOT/scripts/movielens.sql"

	# one run in a new session: config, threads, rep, options, kind -> a line of $out
	run_recsys() {
		local cfg=$1 threads=$2 rep=$3 opts=$4 kind=${5:-mf}
		want "$cfg" || return 0
		psql -X -q -At -F $'\t' -d "$db" -v ON_ERROR_STOP=1 -v threads="$threads" \
			-v opts="$opts" -v cfg="$cfg" -v rep="$rep" -v seed=$((41 + rep)) -v kind="$kind" <<'SQL' >>"$out"
SET client_min_messages = warning;
SET recsys.threads = :threads;
-- load the library first, so the timing is the training call alone
SELECT count(*) AS ignored FROM recsys_options(:'kind') \gset
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train(:'kind', 'u1_base', 'cmp', :'opts'::jsonb || jsonb_build_object('seed', :seed)) AS ignored \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
SELECT :'cfg', :threads, :rep, :secs, e.rmse, e.rmse_scaled,
       m.metrics->>'n_epochs', m.metrics->>'best_epoch', m.metrics->>'train_seconds'
  FROM recsys_evaluate('cmp', 'u1_test') e, recsys_models m WHERE m.name = 'cmp';
SELECT recsys_drop('cmp') AS ignored \gset
SQL
	}
	# the spelled-out lstm options must be recsys's defaults (but the
	# objective: the reference has no ranking head)
	if want lstm; then
		psql -X -q -At -d "$db" -v opts="$OPT_LSTM" >"$RECSYS_BENCH_OUT/lstm_defaults" <<'SQL'
SELECT o.option || ' ' || o.default_value || ' ' || (:'opts'::jsonb ->> o.option)
  FROM recsys_options('lstm') o
 WHERE :'opts'::jsonb ? o.option AND o.option <> 'objective'
   AND o.default_value IS DISTINCT FROM (:'opts'::jsonb ->> o.option)
   AND NOT (o.default_value ~ '^[0-9.e+-]+$' AND (:'opts'::jsonb ->> o.option) ~ '^[0-9.e+-]+$'
            AND o.default_value::float8 = (:'opts'::jsonb ->> o.option)::float8);
SQL
	fi
	for rep in $(seq 1 "$REPS"); do
		# lstm: one thread (its target is the time per epoch)
		run_recsys lstm 1 "$rep" "$OPT_LSTM" lstm
		run_recsys lstm_article 1 "$rep" "$OPT_LSTM_ARTICLE" lstm
		for threads in 1 2; do
			run_recsys defaults "$threads" "$rep" "$OPT_DEFAULTS"
			run_recsys defaults_cap "$threads" "$rep" "$OPT_DEFAULTS_CAP"
			run_recsys adam "$threads" "$rep" "$OPT_ADAM"
			run_recsys article "$threads" "$rep" "$OPT_ARTICLE"
			run_recsys dense "$threads" "$rep" "$OPT_DENSE" dense
		done
	done
	psql -X -At -d postgres -c 'SHOW server_version' >"$RECSYS_BENCH_OUT/pg_version"
	psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
	exit 0
fi

# ---------- outside: install what is missing, run recsys, then PyTorch ----------
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
	echo "compare.sh: installing Debian's python3-torch and python3-numpy (several hundred MB)"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		python3-torch python3-numpy >/dev/null ||
		{ "${SUDO[@]}" apt-get update >/dev/null &&
			"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
				--no-install-recommends python3-torch python3-numpy >/dev/null; }
fi
"$PY" -c 'import torch, numpy' || { echo "compare.sh: PyTorch is not importable by $PY" >&2; exit 1; }

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
bash "$ROOT/scripts/setup.sh" >/dev/null
make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "compare.sh: recsys runs of $CONFIGS ($REPS repetitions) ..."
(
	flock 9
	"${SUDO[@]}" make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
	RECSYS_BENCH_IN_CLUSTER=1 RECSYS_BENCH_OUT=$work pg_virtualenv -v 15 bash "$HERE/compare.sh"
) 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"

# one PyTorch run: config, threads, rep, arguments -> a JSON line of torch.jsonl
run_torch() {
	local cfg=$1 threads=$2 rep=$3 script=torch_mf.py
	shift 3
	local json
	want "$cfg" || return 0
	[ "$cfg" = dense ] && script=torch_dense.py
	case $cfg in lstm*) script=torch_lstm.py ;; esac
	# OpenBLAS sizes its own thread pool (torch.set_num_threads does not)
	json=$(OPENBLAS_NUM_THREADS=$threads "$PY" "$HERE/$script" --data "$ml" --threads "$threads" --seed $((41 + rep)) --trace "$@")
	echo "{\"cfg\": \"$cfg\", \"threads\": $threads, \"rep\": $rep, \"run\": $json}" >>"$work/torch.jsonl"
}
echo "compare.sh: PyTorch runs of $CONFIGS ($REPS repetitions; per-rating SGD $SGD_EPOCHS epochs, article $ARTICLE_EPOCHS epochs, the article verbatim $VERBATIM_EPOCHS epoch, once each) ..."
for rep in $(seq 1 "$REPS"); do
	# shellcheck disable=SC2086
	run_torch lstm 1 "$rep" $ARG_LSTM
	# shellcheck disable=SC2086
	run_torch lstm_article 1 "$rep" $ARG_LSTM_ARTICLE
	for threads in 1 2; do
		# shellcheck disable=SC2086
		run_torch adam "$threads" "$rep" $ARG_ADAM
		# shellcheck disable=SC2086
		run_torch dense "$threads" "$rep" $ARG_DENSE
	done
done
# the per-rating loops run tens of seconds per epoch: once each, one thread
# (a step is too small for intra-op threads to help)
# shellcheck disable=SC2086
run_torch defaults_cap 1 1 $ARG_DEFAULTS_CAP
# shellcheck disable=SC2086
run_torch article 1 1 $ARG_ARTICLE
# shellcheck disable=SC2086
run_torch verbatim 1 1 $ARG_VERBATIM
load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)

# keep the raw runs next to the table, so it can be checked and re-rendered:
#   python3 test/bench/compare_table.py test/bench/compare_raw/recsys.tsv test/bench/compare_raw/torch.jsonl
if [ "$CONFIGS" = "$ALL_CONFIGS" ]; then
	mkdir -p "$HERE/compare_raw"
	cp "$work/recsys.tsv" "$work/torch.jsonl" "$HERE/compare_raw/"
fi
threaded=0
grep -q pthread "$ROOT/src/core/mf.c" && threaded=1
table=$(COMPARE_MF_THREADED=$threaded "$PY" "$HERE/compare_table.py" "$work/recsys.tsv" "$work/torch.jsonl")
echo "$table"
if [ -s "$work/lstm_defaults" ]; then
	echo "compare.sh: the lstm options spelled out here differ from recsys's defaults (option, default, here):"
	cat "$work/lstm_defaults"
fi
# the full run writes the comparison of every kind; COMPARE_CONFIGS=dense the
# dense one, COMPARE_CONFIGS=lstm the lstm one; any other subset only prints
section="## recsys vs PyTorch on MovieLens-100K u1"
if [ "$CONFIGS" = dense ]; then
	section="## recsys vs PyTorch on MovieLens-100K u1: dense"
elif [ "$CONFIGS" = "lstm lstm_article" ]; then
	section="## recsys vs PyTorch on MovieLens-100K u1: lstm"
elif [ "$CONFIGS" != "$ALL_CONFIGS" ]; then
	echo "compare.sh: COMPARE_CONFIGS=\"$CONFIGS\": RESULTS.md not written"
	exit 0
fi

# replace this section of RESULTS.md, keep the others
results=$HERE/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n\nMeasured figures only; each section says how to re-run it.\n' >"$results"
tmp=$(mktemp)
awk -v s="$section" '$0 == s { skip = 1; next } skip && /^## / { skip = 0 } !skip' "$results" >"$tmp"
{
	cat "$tmp"
	echo
	echo "$section"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), nproc = $(nproc),"
	echo "load average (1, 5, 15 min) $load_before before and $load_after after (the machine is shared),"
	echo "PostgreSQL $(cat "$work/pg_version"), PyTorch $("$PY" -c 'import torch; print(torch.__version__)') (Debian python3-torch, CPU),"
	echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
	echo "Command: \`MOVIELENS=/path/to/ml-100k bash test/bench/compare.sh\` (also \`make bench\`);"
	echo "COMPARE_CONFIGS=\"$CONFIGS\" COMPARE_REPS=$REPS COMPARE_SGD_EPOCHS=$SGD_EPOCHS COMPARE_ARTICLE_EPOCHS=$ARTICLE_EPOCHS COMPARE_VERBATIM_EPOCHS=$VERBATIM_EPOCHS."
	echo
	echo "$table"
} | cat -s >"$results"
rm -f "$tmp"
echo "written to $results"
