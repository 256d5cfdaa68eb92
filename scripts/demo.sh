#!/usr/bin/env bash
# demo.sh (`make demo`): install what is missing, build, install, then in a
# throw-away cluster train on MovieLens-100K ($MOVIELENS, default
# ../shared/data/ml-100k beside the repo) or on synthetic ratings, and print
# the held-out RMSE and a user's top-10.  Works from any cwd.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
LOCK=${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}

bash scripts/setup.sh
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
echo "== build"
make -s PG_CONFIG="$PG_CONFIG"

ml=${MOVIELENS:-$ROOT/../shared/data/ml-100k}
if [ -r "$ml/u1.base" ] && [ -r "$ml/u1.test" ]; then
	ml=$(cd "$ml" && pwd)
	use_ml=1
	echo "== MovieLens-100K found at $ml"
else
	use_ml=0
	echo "== MovieLens-100K not found at $ml: using synthetic ratings"
fi

SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
# the installed .so and the cluster are shared machine state: hold the lock
if command -v flock >/dev/null 2>&1; then
	exec 9>>"$LOCK"
	flock 9
fi
echo "== install"
"${SUDO[@]}" make -s PG_CONFIG="$PG_CONFIG" install
echo "== demo in a throw-away cluster (pg_virtualenv)"
pg_virtualenv -v 15 psql -X -d postgres -v ml_dir="$ml" -v use_movielens="$use_ml" \
	-f "$ROOT/scripts/demo.sql"
