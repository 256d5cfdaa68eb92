#!/usr/bin/env bash
# test.sh: the whole test suite (`make test`, and what CI runs).
#   setup (missing Debian packages) -> build with -Werror -> C unit tests of
#   the numeric core -> make install -> in ONE throw-away cluster
#   (pg_virtualenv): pg_regress (make installcheck) and test/integration/*.sh.
# Ends with exactly one line "N passed, N failed[, N skipped]" and exits
# non-zero when a test failed or a step broke.  Works from any cwd.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
LOCK=${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}
passed=0
failed=0
skipped=0

# print the closing tally (always the very last line) and exit
finish() {
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	if [ "$failed" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

# a step that is not a test broke: count it as one failure and stop
broken() {
	echo "test: STEP FAILED: $*" >&2
	failed=$((failed + 1))
	finish
}

echo "== setup"
bash scripts/setup.sh || broken "scripts/setup.sh could not install the packages"
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config

echo "== build (warnings are errors)"
make -s PG_CONFIG="$PG_CONFIG" COPT=-Werror || broken "the build failed (see the compiler output above)"

echo "== unit tests of the numeric core"
unit_log=$(mktemp)
trap 'rm -f "$unit_log" "${counts:-}"' EXIT
make -s PG_CONFIG="$PG_CONFIG" unitcheck 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
unit_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$unit_log" | tail -n 1)
if [ -n "$unit_line" ]; then
	read -r up _ uf _ <<<"${unit_line//,/}"
	passed=$((passed + up))
	failed=$((failed + uf))
	if [ "$unit_rc" -ne 0 ] && [ "$uf" -eq 0 ]; then
		echo "test: the unit runner exited with $unit_rc" >&2
		failed=$((failed + 1))
	fi
else
	echo "test: the unit tests did not build or did not finish (exit $unit_rc)" >&2
	failed=$((failed + 1))
fi

# the installed .so and the cluster run are shared machine state: hold the
# install lock from make install to the end of the cluster run
counts=$(mktemp)
export RECSYS_COUNTS="$counts" RECSYS_ROOT="$ROOT" PG_CONFIG
echo "== install and test in a throw-away cluster"
run_cluster() {
	SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	"${SUDO[@]}" make -s PG_CONFIG="$PG_CONFIG" install || {
		echo "test: make install failed" >&2
		return 3
	}
	pg_virtualenv -v 15 bash "$ROOT/scripts/test-cluster.sh"
}
if command -v flock >/dev/null 2>&1; then
	exec 9>>"$LOCK"
	flock 9
fi
run_cluster
cluster_rc=$?
if command -v flock >/dev/null 2>&1; then
	flock -u 9
fi

if [ -s "$counts" ]; then
	read -r cp cf cs <"$counts"
	passed=$((passed + cp))
	failed=$((failed + cf))
	skipped=$((skipped + cs))
	if [ "$cluster_rc" -ne 0 ] && [ "$cf" -eq 0 ]; then
		echo "test: the cluster run exited with $cluster_rc" >&2
		failed=$((failed + 1))
	fi
else
	broken "the throw-away cluster run did not complete (exit $cluster_rc)"
fi
finish
