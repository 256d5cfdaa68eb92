#!/usr/bin/env bash
# setup.sh: install the Debian packages recsys needs to build and test, and
# only those that are missing.  Idempotent: a second run installs nothing.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(postgresql-15 postgresql-server-dev-15 libopenblas-dev make gcc)

# true when the Debian package $1 is installed
is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${PACKAGES[@]}"; do
	if is_installed "$p"; then
		echo "setup: $p is installed"
	else
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	SUDO=()
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO=(sudo)
		else
			echo "setup: missing packages ${missing[*]} and not root (no sudo either);" >&2
			echo "setup: install them as root: apt-get install ${missing[*]}" >&2
			exit 1
		fi
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	"${SUDO[@]}" apt-get update
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi

# the tools the build and the tests call must really be there now
for tool in pg_virtualenv pg_config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "setup: $tool not found after installing the packages" >&2
		exit 1
	fi
done
if [ ! -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
	echo "setup: /usr/lib/postgresql/15/bin/pg_ctl not found" >&2
	exit 1
fi
echo "setup: ready ($(pg_config --version))"
