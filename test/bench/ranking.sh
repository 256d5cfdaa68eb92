#!/usr/bin/env bash
# ranking.sh: top-k lists on MovieLens-100K (a benchmark, not a test).  Three
# splits: "u1" (u1.base -> u1.test), "time" (from u.data, each user's
# newest floor(0.2 n) of its n ratings as test, as temporal.sh) and "synth",
# data of another shape from recsys_synthetic_ratings (3,000 users, 5,000
# items; ids far outside MovieLens's ranges, beyond 32 bits for users;
# half-star ratings from 0.5 to 5; a random 20 % as test), so that nothing is
# judged on MovieLens-100K alone.  The generator picks the items a user rates
# by popularity alone, which leaves nothing personal to rank by, so a row is
# kept with probability (rating / 5)^4, as people rate more of what they like
# (ratings missing not at random): about 195,000 of 600,000 rows remain.  recsys
# trains popularity, mf, dense and lstm with their default options and
# scores them with recsys_evaluate_ranking(model, test, 10, 4) (relevant:
# test ratings >= 4; the protocol of src/core/metrics.h), plus RMSE for the
# rating kinds; test/bench/ease.py runs EASE (lambda 250) on the same files
# with the same protocol, as a strong simple reference, and ranks by
# popularity as a cross-check of the extension's metrics.  Prints a table per
# split and writes them into test/bench/RESULTS.md.
# Run:  [REPS=3] [MOVIELENS=/path/to/ml-100k] bash test/bench/ranking.sh
# REPS (default 1): repetitions with seeds 42, 43, ...; medians when > 1.
# Outside a cluster it builds, installs (under the install lock) and runs the
# recsys part inside pg_virtualenv; ease.py runs after the lock is released.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RECSYS_ROOT=$ROOT
# shellcheck source=test/integration/lib.bash
. "$ROOT/test/integration/lib.bash"
# remember whether the caller chose the data, for the command in RESULTS.md
ml_given=${MOVIELENS:-}
ml=$(movielens_dir)
if ! movielens_present "$ml" || ! [ -r "$ml/u.data" ]; then
	echo "ranking.sh: MovieLens-100K (u.data, u1.base, u1.test) not found in $ml (set MOVIELENS=/path/to/ml-100k); nothing measured"
	exit 0
fi
ml=$(cd "$ml" && pwd)
export MOVIELENS=$ml
# Debian's python3 has numpy; a python3 earlier in PATH (pyenv) may not
PY=${COMPARE_PYTHON:-/usr/bin/python3}
REPS=${REPS:-1}
export REPS
# the list length, the relevance threshold and EASE's L2 weight: fixed, so
# that the command alone says what was measured
K=10
RELEVANT_MIN=4
LAMBDA=250
export K RELEVANT_MIN
SPLITS=(u1 time synth)
KINDS=(popularity mf dense lstm)

# ---------- inside the throw-away cluster: the recsys runs ----------
if [ -n "${RECSYS_BENCH_IN_CLUSTER:-}" ]; then
	db=recsys_ranking
	fresh_db "$db"
	PSQL=(psql -X -q -At -F $'\t' -d "$db" -v ON_ERROR_STOP=1)
	# synth: made here, and written as the TSV files ease.py reads.  Users
	# 10^10 + 7919 u, items 500,000 + 13 i; the 1-5 star ratings moved by
	# -0.5, 0 or +0.5 (a hash of the pair) into [0.5, 5]; a row kept with
	# probability (rating / 5)^4 (a second hash); ts as unix time
	RECSYS_SPLIT_DIR=$RECSYS_BENCH_OUT/synth "${PSQL[@]}" <<'SQL'
CREATE TABLE synth_all AS
SELECT 10000000000 + 7919 * user_id AS user_id, 500000 + 13 * item_id AS item_id,
       least(5, greatest(0.5, rating + 0.5 * (((user_id * 31 + item_id) % 3) - 1)))::real AS rating,
       ts, (hashint8(user_id * 100003 + item_id) % 5) = 0 AS is_test
  FROM recsys_synthetic_ratings(3000, 5000, 600000, 7)
 WHERE (abs(hashint8(user_id * 7 + item_id * 100019)) % 1000) / 1000.0 < power(rating / 5.0, 4);
CREATE TABLE synth_train AS SELECT user_id, item_id, rating, ts FROM synth_all WHERE NOT is_test;
CREATE TABLE synth_test AS SELECT user_id, item_id, rating, ts FROM synth_all WHERE is_test;
\copy (SELECT user_id, item_id, rating, extract(epoch FROM ts)::bigint FROM synth_train) TO PROGRAM 'cat > "$RECSYS_SPLIT_DIR/train.tsv"'
\copy (SELECT user_id, item_id, rating, extract(epoch FROM ts)::bigint FROM synth_test) TO PROGRAM 'cat > "$RECSYS_SPLIT_DIR/test.tsv"'
ANALYZE synth_train;
ANALYZE synth_test;
SQL
	for split in u1 time; do
		# the tables from the same TSV files ease.py reads
		RECSYS_SPLIT_DIR=$RECSYS_BENCH_OUT/$split "${PSQL[@]}" -v train="${split}_train" -v test="${split}_test" <<'SQL'
CREATE TEMP TABLE stage (user_id integer, item_id integer, rating integer, epoch bigint);
CREATE TABLE :"train" (user_id integer NOT NULL, item_id integer NOT NULL,
                       rating real NOT NULL, ts timestamptz NOT NULL);
CREATE TABLE :"test" (LIKE :"train");
\copy stage FROM PROGRAM 'cat "$RECSYS_SPLIT_DIR/train.tsv"'
INSERT INTO :"train" SELECT user_id, item_id, rating, to_timestamp(epoch) FROM stage;
TRUNCATE stage;
\copy stage FROM PROGRAM 'cat "$RECSYS_SPLIT_DIR/test.tsv"'
INSERT INTO :"test" SELECT user_id, item_id, rating, to_timestamp(epoch) FROM stage;
ANALYZE :"train";
ANALYZE :"test";
SQL
	done
	for rep in $(seq 1 "$REPS"); do
		for split in "${SPLITS[@]}"; do
			for kind in "${KINDS[@]}"; do
				# popularity predicts a damped item mean, but it is the list
				# baseline here: RMSE only for the kinds trained on ratings
				if [ "$kind" = popularity ]; then with_rmse=0; else with_rmse=1; fi
				# default options (recsys.threads left at its default, recorded
				# below); only the seed varies with the repetition, and seed 42
				# is the default
				"${PSQL[@]}" -v kind="$kind" -v split="$split" -v train="${split}_train" -v test="${split}_test" -v rep="$rep" -v seed=$((41 + rep)) \
					-v with_rmse="$with_rmse" -v k="$K" -v relmin="$RELEVANT_MIN" <<'SQL' >>"$RECSYS_BENCH_OUT/recsys.tsv"
SET client_min_messages = warning;
-- load the library before the clock starts
SELECT count(*) AS ignored FROM recsys_options(:'kind') \gset
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train(:'kind', :'train', 'rank_m', jsonb_build_object('seed', :seed)) AS ignored \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
SELECT CASE WHEN :with_rmse = 1 THEN (SELECT coalesce(rmse::text, '') FROM recsys_evaluate('rank_m', :'test')) ELSE '' END AS rmse \gset
SELECT :'split', :'kind', :rep, r.users, r.hit_rate, r.precision, r.recall, r.ndcg, r.map, r.coverage,
       :'rmse', round(:secs::numeric, 3), coalesce(m.options->>'objective', '')
  FROM recsys_evaluate_ranking('rank_m', :'test', :k, :relmin) r, recsys_models m
 WHERE m.name = 'rank_m';
SELECT recsys_drop('rank_m') AS ignored \gset
SQL
			done
		done
	done
	# the setting exists once the library is loaded
	"${PSQL[@]}" <<'SQL' >"$RECSYS_BENCH_OUT/threads"
SELECT count(*) AS ignored FROM recsys_options('mf') \gset
SHOW recsys.threads;
SQL
	psql -X -At -d postgres -c 'SHOW server_version' >"$RECSYS_BENCH_OUT/pg_version"
	psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
	exit 0
fi

# ---------- outside: the splits, recsys in a cluster, then ease.py ----------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/u1" "$work/time" "$work/synth"
cp "$ml/u1.base" "$work/u1/train.tsv"
cp "$ml/u1.test" "$work/u1/test.tsv"
# each user's rows by time, then item id (at one timestamp the higher id counts
# as newer); the last floor(0.2 n) of a user's n rows are the test part
sort -t $'\t' -k1,1n -k4,4n -k2,2n "$ml/u.data" >"$work/sorted.tsv"
awk -F '\t' -v train="$work/time/train.tsv" -v test="$work/time/test.tsv" '
	NR == FNR { n[$1]++; next }
	{ k[$1]++; if (k[$1] > n[$1] - int(0.2 * n[$1])) print > test; else print > train }
' "$work/sorted.tsv" "$work/sorted.tsv"
for split in u1 time; do
	echo "ranking.sh: split $split: $(wc -l <"$work/$split/train.tsv") training and $(wc -l <"$work/$split/test.tsv") test ratings"
done

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
bash "$ROOT/scripts/setup.sh" >/dev/null
make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG"
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
echo "ranking.sh: recsys runs ($REPS repetition(s)) ..."
# the installed .so is shared machine state: hold the lock from install to
# the end of the cluster run
(
	flock 9
	"${SUDO[@]}" make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
	RECSYS_BENCH_IN_CLUSTER=1 RECSYS_BENCH_OUT=$work pg_virtualenv -v 15 bash "$HERE/ranking.sh"
) 9>>"${RECSYS_INSTALL_LOCK:-/tmp/recsys-install.lock}"

# EASE is deterministic; the repetitions only give a median time.  The
# popularity cross-check runs once: it has no seed.
echo "ranking.sh: ease.py ..."
for split in "${SPLITS[@]}"; do
	files=(--train "$work/$split/train.tsv" --test "$work/$split/test.tsv" --k "$K" --relevant-min "$RELEVANT_MIN")
	for rep in $(seq 1 "$REPS"); do
		echo "$split ease $rep $("$PY" "$HERE/ease.py" "${files[@]}" --lambda "$LAMBDA")" >>"$work/ease.txt"
	done
	echo "$split ease-popularity 1 $("$PY" "$HERE/ease.py" "${files[@]}" --popularity)" >>"$work/ease.txt"
done

# one table per split (medians over the repetitions), then the cross-check
# lines; exit status 3 from the script means the cross-check failed
set +e
tables=$("$PY" - "$work/recsys.tsv" "$work/ease.txt" "$K" "$LAMBDA" <<'PYEOF'
import statistics as st
import sys

k, lam = sys.argv[3], sys.argv[4]
runs = {}        # (split, list) -> [row of floats]
objective = {}   # (split, kind) -> objective option, '' when the kind has none
for line in open(sys.argv[1]):
    c = line.rstrip("\n").split("\t")
    split, kind = c[0], c[1]
    # users hit_rate precision recall ndcg map coverage rmse seconds
    runs.setdefault((split, kind), []).append([float(x) if x else None for x in c[3:12]])
    objective[(split, kind)] = c[12]
for line in open(sys.argv[2]):
    c = line.split()
    # users hit_rate precision recall ndcg map coverage seconds
    v = [float(x) for x in c[3:]]
    runs.setdefault((c[0], c[1]), []).append(v[:7] + [None, v[7]])

def med(split, lst, j):
    xs = [r[j] for r in runs[(split, lst)] if r[j] is not None]
    return st.median(xs) if xs else None

failed = False
checks = []
for split in ("u1", "time", "synth"):
    pop = med(split, "popularity", 4)
    print("Split %s (%d users with a relevant test rating):" % (split, med(split, "popularity", 0)))
    print()
    print("| list | NDCG@%s | HR@%s | recall@%s | coverage | RMSE | training seconds | NDCG / popularity |" % (k, k, k))
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for lst in ("popularity", "mf", "dense", "lstm", "ease"):
        if lst == "ease":
            label = "EASE, λ = %s (ease.py, numpy)" % lam
        else:
            obj = objective[(split, lst)]
            label = "%s (recsys%s)" % (lst, ", objective " + obj if obj else "")
        rmse = med(split, lst, 7)
        print("| %s | %.4f | %.4f | %.4f | %.4f | %s | %.3g | %.2f |" % (
            label, med(split, lst, 4), med(split, lst, 1), med(split, lst, 3), med(split, lst, 6),
            "%.4f" % rmse if rmse is not None else "—", med(split, lst, 8), med(split, lst, 4) / pop))
    print()
    # say so when two kinds give the same lists (as mf and dense do while
    # their lists come from the ranking head every kind shares)
    same = [(a, b) for a, b in (("mf", "dense"), ("mf", "lstm"), ("dense", "lstm"))
            if all(med(split, a, j) == med(split, b, j) for j in range(7))]
    for a, b in same:
        print("%s and %s give identical list metrics here (objective %s: the lists come from the ranking head "
              "every kind shares, not from the kind's rating model)." % (a, b, objective[(split, a)] or "none"))
        print()
    # popularity has no seed: every repetition gives the same lists
    a, b = runs[(split, "popularity")][0], runs[(split, "ease-popularity")][0]
    diff = max(abs(a[j] - b[j]) for j in range(7))
    ok = diff <= 1e-6
    failed |= not ok
    checks.append("Cross-check, split %s: ease.py --popularity NDCG@%s %.9f, recsys popularity %.9f; "
                  "largest difference over users, HR, precision, recall, NDCG, MAP, coverage %.1e (%s)."
                  % (split, k, b[4], a[4], diff, "agree" if ok else "DISAGREE"))
print("\n".join(checks))
sys.exit(3 if failed else 0)
PYEOF
)
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 3 ] || exit "$rc"
echo "$tables"

# the exact command, with what the caller set
cmd="bash test/bench/ranking.sh"
[ -z "$ml_given" ] || cmd="MOVIELENS=$ml_given $cmd"
cmd="REPS=$REPS $cmd"
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
if [ "$REPS" -gt 1 ]; then
	reps_text="seeds 42 to $((41 + REPS)), medians of $REPS runs"
else
	reps_text="seed 42, one run"
fi

results=$HERE/RESULTS.md
section="## Top-k lists (ranking)"
[ -f "$results" ] || printf '# Benchmark results\n\nMeasured figures only; each section says how to re-run it.\n' >"$results"
new=$(mktemp)
tmp=$(mktemp)
{
	echo "$section"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), nproc = $(nproc),"
	echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the end (the machine is shared),"
	echo "PostgreSQL $(cat "$work/pg_version"), commit $commit."
	echo "Command: \`$cmd\` (MovieLens-100K from \`MOVIELENS\`, default ../shared/data/ml-100k)."
	echo "Splits: \"u1\" is u1.base → u1.test; \"time\" is u.data with each user's newest floor(0.2 n) of its n"
	echo "ratings (by timestamp, at one timestamp the higher item id counts as newer) as test, the rest for training;"
	echo "\"synth\" is recsys_synthetic_ratings(3000, 5000, 600000, 7) with user ids 10^10 + 7919 u, item ids"
	echo "500,000 + 13 i, the ratings moved by −0.5, 0 or +0.5 into half stars from 0.5 to 5, each row kept with"
	echo "probability (rating / 5)⁴ (people rate more of what they like; the generator alone picks items by"
	echo "popularity only), about 195,000 rows, a hash's 20 % as test; its time order carries no signal."
	echo "recsys: \`recsys_train(kind, train, name)\` with default options ($reps_text; recsys.threads = $(cat "$work/threads"),"
	echo "its default: one thread per core), timed with clock_timestamp() around the call;"
	echo "\`recsys_evaluate_ranking(name, test, $K, $RELEVANT_MIN)\`: the users with a test rating ≥ $RELEVANT_MIN, each one's top $K"
	echo "over the training items it has not rated, binary gains (src/core/metrics.h); coverage = distinct listed"
	echo "items / training items; RMSE from \`recsys_evaluate(name, test)\`."
	echo "EASE (Steck, WWW 2019): test/bench/ease.py, X = the binary user × item matrix of every training row,"
	echo "B = −P / diag(P) with P = (XᵀX + $LAMBDA I)⁻¹ and diag(B) = 0, scores X B, the same protocol; its time is"
	echo "building X through B in numpy (OpenBLAS, all cores)."
	echo
	echo "$tables"
	echo
} >"$new"
# put the section where it was (the others' order stays), or at the end
awk -v s="$section" -v new="$new" '
	$0 == s { while ((getline l < new) > 0) print l; skip = 1; done = 1; next }
	skip && /^## / { skip = 0 }
	!skip { print }
	END { if (!done) { print ""; while ((getline l < new) > 0) print l } }
' "$results" | cat -s >"$tmp"
# cat, not mv: RESULTS.md keeps its mode (mktemp's files are 0600)
cat "$tmp" >"$results"
rm -f "$new" "$tmp"
echo "written to $results"
if [ "$rc" = 3 ]; then
	echo "ranking.sh: ease.py's popularity and recsys's popularity kind disagree (see above)" >&2
	exit 1
fi
