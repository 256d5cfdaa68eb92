#!/usr/bin/env bash
# test-cluster.sh: run by scripts/test.sh INSIDE pg_virtualenv (PG* variables
# point at a throw-away cluster).  Runs pg_regress (make installcheck) and
# each test/integration/*.sh (exit 0 pass, 77 skip, else fail), then writes
# "passed failed skipped" into $RECSYS_COUNTS.
set -uo pipefail

ROOT=${RECSYS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT" || exit 1
PG_CONFIG=${PG_CONFIG:-pg_config}
passed=0
failed=0
skipped=0

# write the tallies for test.sh (also on an early exit)
save_counts() {
	if [ -n "${RECSYS_COUNTS:-}" ]; then
		echo "$passed $failed $skipped" >"$RECSYS_COUNTS"
	fi
}
trap save_counts EXIT

echo "== regression tests (pg_regress)"
rm -f regression.diffs regression.out
log=$(mktemp)
make -s PG_CONFIG="$PG_CONFIG" installcheck 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# PG15 prints one line per test: "test name ... ok  12 ms" or "... FAILED"
n_ok=$(grep -cE '\.\.\. +ok( |$)' "$log")
n_bad=$(grep -cE '\.\.\. +FAILED' "$log")
rm -f "$log"
passed=$((passed + n_ok))
failed=$((failed + n_bad))
if [ "$rc" -ne 0 ]; then
	if [ -f regression.diffs ]; then
		echo "---- regression.diffs ----"
		cat regression.diffs
		echo "---- end of regression.diffs ----"
	fi
	if [ "$n_bad" -eq 0 ]; then
		echo "test: pg_regress failed (exit $rc) without a failed test line" >&2
		failed=$((failed + 1))
	fi
fi

echo "== integration tests"
for t in test/integration/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	echo "-- $name"
	bash "$t"
	rc=$?
	case $rc in
		0)  echo "ok      $name"; passed=$((passed + 1)) ;;
		77) echo "SKIPPED $name"; skipped=$((skipped + 1)) ;;
		*)  echo "FAILED  $name (exit $rc)"; failed=$((failed + 1)) ;;
	esac
done

[ "$failed" -eq 0 ]
