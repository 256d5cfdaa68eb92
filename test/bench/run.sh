#!/usr/bin/env bash
# run.sh (`make bench`): the MovieLens-100K benchmarks, one after the other
# (the machine's cores are shared): accuracy and serving speed of each kind
# (serve.sh for mf, with training memory; serve_dense.sh; serve_lstm.sh), the
# temporal split (temporal.sh), top-k lists (ranking.sh), then compare.sh
# (every kind against PyTorch).  Each writes its section of RESULTS.md.
# scale.sh (mf from 1 M to 20 M synthetic ratings, about half an hour) is
# run on its own.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/serve.sh"
bash "$here/serve_dense.sh"
bash "$here/serve_lstm.sh"
bash "$here/temporal.sh"
bash "$here/ranking.sh"
bash "$here/compare.sh"
