# citus.bash: a Citus cluster on one machine, for the integration test
# citus.sh and the benchmark test/bench/citus.sh (sourced; not a test).
#
# citus_install: Citus 13.2.2 built from ../shared/vendor/citus (or
# $CITUS_VENDOR) and installed into this PostgreSQL, unless that version is
# installed already (the build takes one to three minutes on 2 cores, so it is
# done once per machine).  citus_start DIR: a coordinator and two workers,
# each its own initdb in DIR, on three free TCP ports of 127.0.0.1, with
# Citus loaded and the workers added; CITUS_PORTS then holds the ports,
# coordinator first.  citus_stop DIR stops them.  Both need root (or sudo)
# only to install packages and Citus; the servers run as the user "postgres"
# when called by root.
#
# The functions return 77 where the test or benchmark must be skipped
# (no Citus and no source to build it from), 1 on a failure, with the
# reason in CITUS_REASON.

CITUS_VERSION=13.2.2
CITUS_BIN=${CITUS_BIN:-/usr/lib/postgresql/15/bin}
CITUS_PORTS=()
CITUS_REASON=""

# the folder that holds citus-13.2.2.tar.gz and its patch
citus_vendor_dir() {
	echo "${CITUS_VENDOR:-${RECSYS_ROOT:?}/../shared/vendor/citus}"
}

# true when this PostgreSQL has Citus $CITUS_VERSION installed
citus_installed() {
	local pg_config=${PG_CONFIG:-pg_config}
	local lib share
	lib=$("$pg_config" --pkglibdir) || return 1
	share=$("$pg_config" --sharedir) || return 1
	[ -f "$lib/citus.so" ] && [ -f "$share/extension/citus.control" ] &&
		strings "$lib/citus.so" | grep "^Citus $CITUS_VERSION\b" >/dev/null
}

# run as root: directly, or through sudo
citus_as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

citus_install() {
	local vendor tarball build log pg_config=${PG_CONFIG:-pg_config}
	citus_installed && return 0
	vendor=$(citus_vendor_dir)
	tarball=$vendor/citus-$CITUS_VERSION.tar.gz
	if [ ! -r "$tarball" ]; then
		CITUS_REASON="Citus $CITUS_VERSION is not installed and its source ($tarball) is not there"
		return 77
	fi
	if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
		CITUS_REASON="Citus must be built and installed, which needs root or sudo"
		return 77
	fi
	echo "citus: building Citus $CITUS_VERSION from $vendor (one to three minutes, once per machine)"
	# the libraries PostgreSQL's build flags name, and patch (the package
	# lists are fetched first when the install finds none of them)
	local deps=(patch binutils liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev
		libpam0g-dev libxslt1-dev libxml2-dev libreadline-dev libssl-dev zlib1g-dev)
	if ! citus_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${deps[@]}" >/dev/null 2>&1; then
		citus_as_root apt-get update -q >/dev/null 2>&1
		citus_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${deps[@]}" >/dev/null ||
			{ CITUS_REASON="apt-get could not install Citus's build dependencies"; return 1; }
	fi
	# extract into a fresh folder: copied file times make make re-run autoconf
	build=$(mktemp -d)
	log=$build/build.log
	if ! (cd "$build" && tar xzf "$tarball" && cd "citus-$CITUS_VERSION" &&
		patch -p1 <"$vendor/pg15-have_createdb_privilege.patch" &&
		./configure --without-libcurl PG_CONFIG="$pg_config" &&
		make -j"$(nproc)" with_llvm=no) >"$log" 2>&1; then
		echo "---- last lines of the Citus build ----" >&2
		tail -n 30 "$log" >&2
		rm -rf "$build"
		CITUS_REASON="the build of Citus failed"
		return 1
	fi
	if ! citus_as_root make -C "$build/citus-$CITUS_VERSION" install with_llvm=no >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -rf "$build"
		CITUS_REASON="make install of Citus failed"
		return 1
	fi
	rm -rf "$build"
	citus_installed || { CITUS_REASON="Citus was installed but is not found"; return 1; }
}

# run a server program as the user the nodes belong to
citus_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# psql on node $1 (a port) of the cluster in $CITUS_DIR
citus_psql() {
	local port=$1
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

citus_port_taken() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

citus_start() {
	local dir=$1 p port n=0 ready
	CITUS_DIR=$dir
	CITUS_PORTS=()
	for p in $(seq 9700 9799); do
		if ! citus_port_taken "$p"; then
			CITUS_PORTS+=("$p")
			n=$((n + 1))
			[ "$n" = 3 ] && break
		fi
	done
	if [ "${#CITUS_PORTS[@]}" != 3 ]; then
		CITUS_REASON="no three free ports between 9700 and 9799"
		return 77
	fi
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	for port in "${CITUS_PORTS[@]}"; do
		citus_as_owner "$CITUS_BIN/initdb" -D "$dir/$port" -A trust -U postgres \
			>"$dir/initdb-$port.log" 2>&1 ||
			{ CITUS_REASON="initdb failed: $(tail -n 3 "$dir/initdb-$port.log")"; return 1; }
		cat >>"$dir/$port/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
citus.node_conninfo = 'sslmode=disable'
fsync = off
synchronous_commit = off
max_connections = 60
CONF
		citus_as_owner "$CITUS_BIN/pg_ctl" -D "$dir/$port" -l "$dir/$port.log" -w -t 60 start \
			>/dev/null || { CITUS_REASON="node $port did not start: $(tail -n 5 "$dir/$port.log")"; return 1; }
	done
	for port in "${CITUS_PORTS[@]}"; do
		ready=0
		for _ in $(seq 1 100); do
			citus_psql "$port" -d postgres -c "SELECT 1" >/dev/null 2>&1 && { ready=1; break; }
			sleep 0.1
		done
		[ "$ready" = 1 ] || { CITUS_REASON="node $port accepts no connection"; return 1; }
		# a worker without the extension cannot be added
		citus_psql "$port" -d postgres -c "CREATE EXTENSION citus" >/dev/null ||
			{ CITUS_REASON="CREATE EXTENSION citus failed on node $port"; return 1; }
	done
	for port in "${CITUS_PORTS[@]:1}"; do
		citus_psql "${CITUS_PORTS[0]}" -d postgres \
			-c "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null ||
			{ CITUS_REASON="citus_add_node of node $port failed"; return 1; }
	done
}

citus_stop() {
	local dir=$1 port
	for port in "${CITUS_PORTS[@]}"; do
		if [ -f "$dir/$port/postmaster.pid" ]; then
			citus_as_owner "$CITUS_BIN/pg_ctl" -D "$dir/$port" -m immediate -w stop >/dev/null 2>&1
		fi
	done
}
