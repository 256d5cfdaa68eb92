#!/usr/bin/env bash
# lstm_tune.sh: the PyTorch tuning grid of the lstm kind's defaults
# (test/bench/TUNING.md, "lstm: the PyTorch grid").  Each configuration is
# trained on 90 % of u1.base and evaluated on the other 10 % (torch_lstm.py
# --holdout 0.1; u1.test is not read), for split seeds $TUNE_SPLITS, one
# thread, one run at a time.  Prints one line per run:
#   name split tune_rmse epochs best_epoch seconds_per_epoch train_seconds
# Run:  MOVIELENS=/path/to/ml-100k bash test/bench/lstm_tune.sh [NAME ...]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ML=${MOVIELENS:-/work/shared/data/ml-100k}
PY=${COMPARE_PYTHON:-/usr/bin/python3}
SPLITS=${TUNE_SPLITS:-1 2}
# name and torch_lstm.py options, relative to its defaults (recsys's)
declare -A CFG=(
	[base]=""
	[no_feedback]="--no-feedback"
	[carry_b256]="--carry"
	[carry_b64]="--carry --batch-size 64"
	[dropout03]="--dropout 0.3"
	[lr3e-3]="--learning-rate 0.003"
	[b32]="--batch-size 32"
	[b64]="--batch-size 64"
	[hidden64]="--hidden 64"
	[seq20]="--seq-len 20"
	[carry_b64_no_feedback]="--carry --batch-size 64 --no-feedback"
	[article]="--no-feedback --no-biases --init-std 1 --dropout 0.3"
	[hidden64_b64]="--hidden 64 --batch-size 64"
	[hidden64_b32]="--hidden 64 --batch-size 32"
	[b64_lr3e-3]="--batch-size 64 --learning-rate 0.003"
	[hidden64_lr3e-3]="--hidden 64 --learning-rate 0.003"
	[b32_dropout03]="--batch-size 32 --dropout 0.3"
)
ORDER="base no_feedback carry_b256 carry_b64 dropout03 lr3e-3 b32 b64 hidden64 seq20 carry_b64_no_feedback article"
names=${*:-$ORDER}
for name in $names; do
	for ss in $SPLITS; do
		# shellcheck disable=SC2086
		"$PY" "$HERE/torch_lstm.py" --data "$ML" --holdout 0.1 --split-seed "$ss" --threads 1 ${CFG[$name]} |
			"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(sys.argv[1], sys.argv[2], "%.4f" % d["rmse"], d["epochs"], d["best_epoch"], "%.3f" % d["seconds_per_epoch"], "%.1f" % d["train_seconds"])' "$name" "$ss"
	done
done
