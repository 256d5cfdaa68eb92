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
