# lib.bash: helpers sourced by the integration tests and benchmarks (not a test:
# the runner only runs test/integration/*.sh).
# Expects to run inside pg_virtualenv (PG* variables set).

RECSYS_ROOT=${RECSYS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# the MovieLens-100K folder: $MOVIELENS, else ../shared/data/ml-100k beside the repo
movielens_dir() {
	echo "${MOVIELENS:-$RECSYS_ROOT/../shared/data/ml-100k}"
}

# true when the folder $1 holds u1.base and u1.test
movielens_present() {
	[ -r "$1/u1.base" ] && [ -r "$1/u1.test" ]
}

# create a fresh database $1 with the extension; prints nothing on success
fresh_db() {
	psql -X -q -d postgres -v ON_ERROR_STOP=1 \
		-c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null &&
		psql -X -q -d "$1" -v ON_ERROR_STOP=1 -c "CREATE EXTENSION recsys" >/dev/null
}

# Benchmarks: outside a cluster, build, install (under the install lock)
# and run the script $1 again inside pg_virtualenv, then exit with its
# status; inside one (RECSYS_BENCH_IN_CLUSTER set), return.  Extra
# arguments go to pg_virtualenv (e.g. -o work_mem=64MB).
bench_in_cluster() {
	local script=$1
	shift
	[ -n "${RECSYS_BENCH_IN_CLUSTER:-}" ] && return 0
	PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
	[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
	bash "$RECSYS_ROOT/scripts/setup.sh" >/dev/null
	make -s -C "$RECSYS_ROOT" PG_CONFIG="$PG_CONFIG"
	local sudo=()
	[ "$(id -u)" = 0 ] || sudo=(sudo)
	exec 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"
	flock 9
	"${sudo[@]}" make -s -C "$RECSYS_ROOT" PG_CONFIG="$PG_CONFIG" install
	RECSYS_BENCH_IN_CLUSTER=1 pg_virtualenv -v 15 "$@" bash "$script"
	exit $?
}

# Replace the section titled $1 ("## ...") of test/bench/RESULTS.md with a
# header naming the machine, the server and the commit, then the text on
# standard input; the other sections stay as they are.
results_section() {
	local section=$1
	local results=$RECSYS_ROOT/test/bench/RESULTS.md
	local tmp
	tmp=$(mktemp)
	awk -v s="$section" '$0 == s { skip = 1; next } skip && /^## / { skip = 0 } !skip' "$results" >"$tmp"
	{
		cat "$tmp"
		echo
		echo "$section"
		echo
		echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), nproc = $(nproc),"
		echo "PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), commit $(git -C "$RECSYS_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
		cat
	} | cat -s >"$results"
	rm -f "$tmp"
	echo "written to $results"
}
