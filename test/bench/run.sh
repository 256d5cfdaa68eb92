#!/usr/bin/env bash
# run.sh (`make bench`): every benchmark: issue 2's serve.sh, then issue 3's
# compare.sh (recsys against PyTorch).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/serve.sh"
bash "$here/compare.sh"
