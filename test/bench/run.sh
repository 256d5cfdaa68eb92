#!/usr/bin/env bash
# run.sh (`make bench`): the MovieLens-100K benchmarks, one after the other
# (the machine's cores are shared): issue 2's serve.sh, issue 4's
# serve_dense.sh, issue 5's serve_lstm.sh and temporal.sh, then compare.sh
# (every kind against PyTorch).  Each writes its section of RESULTS.md.
# scale.sh (issue 3, up to 20 M synthetic ratings, about half an hour) is
# run on its own.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/serve.sh"
bash "$here/serve_dense.sh"
bash "$here/serve_lstm.sh"
bash "$here/temporal.sh"
bash "$here/ranking.sh"
bash "$here/compare.sh"
