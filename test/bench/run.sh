#!/usr/bin/env bash
# run.sh (`make bench`): every benchmark; today issue 2's serve.sh.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/serve.sh"
