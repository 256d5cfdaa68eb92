#!/usr/bin/env bash
# movielens.sh: issue 2's accuracy acceptance.  Trains mf with DEFAULT options
# on MovieLens-100K u1.base, evaluates on u1.test, passes iff RMSE <= 0.925.
# Exit 0 pass, 1 fail, 77 skip (data not there).  Runs inside pg_virtualenv.
set -uo pipefail
# shellcheck source=test/integration/lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

ml=$(movielens_dir)
if ! movielens_present "$ml"; then
	echo "SKIPPED: MovieLens-100K not found at $ml (set MOVIELENS=/path/to/ml-100k)"
	exit 77
fi

db=recsys_it_movielens
fresh_db "$db" || { echo "FAILED: could not create database $db with the extension"; exit 1; }
psql -X -q -d "$db" -v ml_dir="$ml" -v with_titles=0 \
	-f "$RECSYS_ROOT/scripts/movielens.sql" || { echo "FAILED: could not load $ml"; exit 1; }

start=$(date +%s.%N)
out=$(psql -X -q -At -d "$db" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT recsys_train('mf', 'u1_base', 'mf_u1');
SELECT n || ' ' || rmse FROM recsys_evaluate('mf_u1', 'u1_test');
SQL
) || { echo "FAILED: training or evaluation failed"; echo "$out"; exit 1; }
end=$(date +%s.%N)
read -r n rmse <<<"$(echo "$out" | tail -n 1)"
psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null

secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "mf, default options, u1.base -> u1.test: n = $n, RMSE = $rmse (target <= 0.925), ${secs} s"
if awk -v r="$rmse" 'BEGIN { exit !(r + 0 == r && r <= 0.925) }'; then
	exit 0
fi
echo "FAILED: RMSE $rmse above 0.925"
exit 1
