#!/usr/bin/env bash
# citus.sh: recsys on a Citus cluster (a coordinator and two workers on this
# machine, beside the throw-away cluster).
#
# Citus 13.2.2 is built from ../shared/vendor/citus when it is not
# installed (one to three minutes, once per machine: citus.bash).  Checked, after
# CREATE EXTENSION recsys on the coordinator and SELECT recsys_distribute():
# - the catalog is a reference table on every node, with a model trained
#   before the call; without the coordinator in Citus's metadata the
#   coordinator reads it from a worker (a clear error in a parallel
#   worker); after citus_set_coordinator_host, recsys_distribute() again
#   gives the coordinator its copy, served in parallel queries too;
# - recsys_train and recsys_fit read a table distributed by user_id and give
#   the RMSE of the same training on a local copy of the table;
# - recsys_predict over a distributed table runs inside the worker tasks
#   (EXPLAIN VERBOSE) and gives exactly the coordinator's predictions, row
#   by row; so does a LATERAL recsys_recommend over a distributed table of
#   users, and recsys_recommend_all on the coordinator gives the same lists;
#   a model with text users and uuid items too;
# - a retraining inside a transaction is served on the workers inside that
#   transaction, the old model again after ROLLBACK, the new one after
#   COMMIT (the workers' caches notice both); after recsys_drop the workers
#   say the model does not exist;
# - in a transaction that read a distributed table in parallel before,
#   storing a model fails with Citus's error and its hint (SET LOCAL
#   citus.multi_shard_modify_mode TO 'sequential'), which then works;
# - ownership and sharing: another role's model does not exist on the
#   workers until it is shared (recsys_grant), and again after
#   recsys_revoke; only the owner may drop it; the catalog rows stay
#   private on the workers; a retraining keeps the reader;
# - DROP EXTENSION recsys CASCADE, then the nodes' copies dropped by
#   name, as README says, leave no recsys table on any node.
# Runs inside test.sh's cluster run; exit 0 pass, 77 skip (no Citus and no
# source to build it), 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"
# shellcheck source=test/integration/citus.bash
. "$HERE/citus.bash"

WORK=$(mktemp -d)
cleanup() {
	citus_stop "$WORK"
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "citus.sh: FAILED: $*" >&2
	for port in "${CITUS_PORTS[@]}"; do
		if [ -f "$WORK/$port.log" ]; then
			echo "---- last lines of node $port's log ----" >&2
			tail -n 10 "$WORK/$port.log" >&2
		fi
	done
	exit 1
}
skip() {
	echo "citus.sh: skipped: $*"
	exit 77
}

citus_install
rc=$?
[ "$rc" = 77 ] && skip "$CITUS_REASON"
[ "$rc" = 0 ] || fail "$CITUS_REASON"
citus_start "$WORK"
rc=$?
[ "$rc" = 77 ] && skip "$CITUS_REASON"
[ "$rc" = 0 ] || fail "$CITUS_REASON"
COORD=${CITUS_PORTS[0]}

# psql on the coordinator (extra arguments: -c ..., or SQL on stdin)
coord() {
	citus_psql "$COORD" -d postgres "$@"
}
# expect the single value "t" from the query $2; $1 says what it checks
# (the last line printed: the SQL may hold several statements and \gset)
check() {
	local out
	out=$(printf '%s\n' "SET recsys.epoch_notices = off;" "$2;" | coord 2>&1) || fail "$1: $out"
	[ "$(echo "$out" | tail -n 1)" = t ] || fail "$1: got '$out'"
	echo "citus.sh: ok: $1"
}
# expect the query $2 to fail with a message matching $3
check_error() {
	local out
	if out=$(printf '%s\n' "$2;" | coord 2>&1); then
		fail "$1: no error (got '$out')"
	fi
	echo "$out" | grep -q -- "$3" || fail "$1: error '$out' does not say '$3'"
	echo "citus.sh: ok: $1"
}

coord -c "CREATE EXTENSION recsys" >/dev/null || fail "CREATE EXTENSION recsys on the coordinator"
check "CREATE EXTENSION recsys reached both workers" \
	"SELECT count(*) = 2 AND bool_and(success AND result = '0.5')
	   FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'recsys'\$\$)"

# the data: MovieLens u1 when present, else the extension's synthetic ratings
ML=$(movielens_dir)
coord >/dev/null <<'SQL' || fail "could not create the tables"
CREATE TABLE ratings_local (user_id bigint, item_id bigint, rating real, ts bigint);
CREATE TABLE test_local (user_id bigint, item_id bigint, rating real, ts bigint);
SQL
if movielens_present "$ML"; then
	coord -c "\\copy ratings_local FROM '$ML/u1.base'" -c "\\copy test_local FROM '$ML/u1.test'" \
		>/dev/null || fail "could not load MovieLens u1"
	echo "citus.sh: data: MovieLens-100K u1 from $ML"
else
	coord >/dev/null <<'SQL' || fail "could not make synthetic ratings"
INSERT INTO ratings_local (user_id, item_id, rating, ts)
SELECT user_id, item_id, rating, extract(epoch FROM ts)::bigint
  FROM recsys_synthetic_ratings(900, 1600, 100000, 11);
INSERT INTO test_local SELECT * FROM ratings_local WHERE hashint8(user_id * 7919 + item_id) % 5 = 0;
DELETE FROM ratings_local WHERE hashint8(user_id * 7919 + item_id) % 5 = 0;
SQL
	echo "citus.sh: data: synthetic ratings (MovieLens not found at $ML)"
fi

NTEST=$(coord -c "SELECT count(*) FROM test_local") || fail "could not count the test rows"

# a model stored before the catalog is distributed
coord >/dev/null <<'SQL' || fail "training before recsys_distribute"
SET recsys.epoch_notices = off;
SELECT recsys_train('mf', 'ratings_local', 'before', '{"seed": 1, "epochs": 3}');
CREATE TABLE before_local AS
SELECT user_id, item_id, recsys_predict('before', user_id, item_id) AS p FROM test_local;
SQL
out=$(coord -c "SELECT recsys_distribute()" 2>&1) || fail "SELECT recsys_distribute(): $out"
echo "$out" | grep -q "the coordinator has no copy" ||
	fail "recsys_distribute() without the coordinator in the metadata said '$out'"
echo "citus.sh: ok: recsys_distribute() says the coordinator has no copy yet"
check "the catalog is a reference table on every node" \
	"SELECT count(*) = 2 AND bool_and(partmethod = 'n') FROM pg_dist_partition
	  WHERE logicalrelid IN ('recsys_models'::regclass, 'recsys_tensors'::regclass)"
# the coordinator then reads the catalog from a worker: fine in a plain
# query, a clear error in PostgreSQL's parallel workers
PARALLEL="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
	SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0"
check "the coordinator without a copy serves a plain query" \
	"SELECT count(*) = $NTEST AND bool_and(recsys_predict('before', user_id, item_id) = p) FROM before_local"
check_error "the coordinator without a copy: a clear error in a parallel worker" \
	"$PARALLEL; SELECT sum(recsys_predict('before', user_id, item_id)) FROM before_local" \
	"cannot serve in a parallel worker of a Citus coordinator that holds no copy"
# the set-up README recommends: the coordinator in the metadata, then again
coord -c "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)" >/dev/null ||
	fail "citus_set_coordinator_host"
out=$(coord -c "SELECT recsys_distribute()" 2>&1) || fail "recsys_distribute() a second time: $out"
echo "$out" | grep -q "on every node, the coordinator included" || fail "recsys_distribute() a second time said '$out'"
check "recsys_distribute() a second time gives the coordinator its copy" \
	"SELECT count(*) = 2 FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid)
	  WHERE p.groupid = 0 AND s.logicalrelid IN ('recsys_models'::regclass, 'recsys_tensors'::regclass)"
plan=$(printf '%s;\n' "$PARALLEL" "EXPLAIN (COSTS OFF) SELECT sum(recsys_predict('before', user_id, item_id)) FROM before_local" | coord)
echo "$plan" | grep -q "Workers Planned" || fail "no parallel plan on the coordinator: $plan"
[ "$(printf '%s;\n' "$PARALLEL" "SELECT abs(sum(recsys_predict('before', user_id, item_id)) - (SELECT sum(p) FROM before_local)) < 1e-6 FROM before_local" | coord | tail -n 1)" = t ] ||
	fail "a parallel sum of predictions on the coordinator differs"
echo "citus.sh: ok: a parallel query on the coordinator serves from its copy"

coord >/dev/null <<'SQL' || fail "could not distribute the ratings"
CREATE TABLE ratings (LIKE ratings_local);
CREATE TABLE ratings_test (LIKE test_local);
CREATE TABLE users (user_id bigint);
SELECT create_distributed_table('ratings', 'user_id');
SELECT create_distributed_table('ratings_test', 'user_id');
SELECT create_distributed_table('users', 'user_id');
INSERT INTO ratings SELECT * FROM ratings_local;
INSERT INTO ratings_test SELECT * FROM test_local;
INSERT INTO users SELECT DISTINCT user_id FROM test_local;
SQL

# (each check keeps what the workers computed in a temporary table first:
# Citus plans a query that mixes distributed and local tables differently)
check "the model stored before recsys_distribute is served on the workers, unchanged" \
	"CREATE TEMP TABLE d AS
	 SELECT user_id, item_id, recsys_predict('before', user_id, item_id) AS p FROM ratings_test;
	 SELECT count(*) = (SELECT count(*) FROM test_local) AND bool_and(d.p = b.p)
	   FROM d JOIN before_local b USING (user_id, item_id)"

# training: from the distributed table and from its local copy
coord >/dev/null <<'SQL' || fail "training from the distributed table"
SET recsys.epoch_notices = off;
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1}');
SELECT recsys_train('mf', 'ratings_local', 'm_local', '{"seed": 1}');
SELECT recsys_store('fit', recsys_fit('mf', user_id, item_id, rating, '{"seed": 1}')) FROM ratings;
SQL
check "recsys_train over the distributed table: the RMSE of the local table's training (within 0.01)" \
	"SELECT abs((SELECT rmse FROM recsys_evaluate('m', 'test_local'))
	            - (SELECT rmse FROM recsys_evaluate('m_local', 'test_local'))) < 0.01
	    AND (SELECT n_ratings = (SELECT count(*) FROM ratings_local) FROM recsys_models WHERE name = 'm')"
check "recsys_fit over the distributed table: the RMSE of the local table's training (within 0.01)" \
	"SELECT abs((SELECT rmse FROM recsys_evaluate('fit', 'test_local'))
	            - (SELECT rmse FROM recsys_evaluate('m_local', 'test_local'))) < 0.01"

# serving pushed down to the workers
plan=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT sum(recsys_predict('m', user_id, item_id)) FROM ratings_test") ||
	fail "EXPLAIN VERBOSE of recsys_predict over the distributed table"
echo "$plan" | grep -q "Task Count: 32" || fail "the plan has no 32 worker tasks: $plan"
echo "$plan" | grep -qE "Query: SELECT sum\(public\.recsys_predict\('m'::text, user_id, item_id\)\).* FROM public\.ratings_test_[0-9]+ " ||
	fail "recsys_predict is not inside the worker tasks: $plan"
echo "citus.sh: ok: EXPLAIN VERBOSE shows recsys_predict inside the worker tasks"
check "recsys_predict on the workers: exactly the coordinator's predictions, row by row" \
	"CREATE TEMP TABLE pushed AS
	 SELECT user_id, item_id, recsys_predict('m', user_id, item_id) AS p FROM ratings_test;
	 SELECT count(*) = (SELECT count(*) FROM test_local)
	        AND bool_and(p.p = recsys_predict('m', t.user_id, t.item_id))
	   FROM pushed p JOIN test_local t USING (user_id, item_id)"
plan=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT u.user_id, r.item_id FROM users u, LATERAL recsys_recommend('m', u.user_id, 10) r") ||
	fail "EXPLAIN VERBOSE of a LATERAL recsys_recommend"
echo "$plan" | grep -qE "Query: .*LATERAL public\.recsys_recommend\('m'::text, u\.user_id, 10\)" ||
	fail "recsys_recommend is not inside the worker tasks: $plan"
echo "citus.sh: ok: EXPLAIN VERBOSE shows the LATERAL recsys_recommend inside the worker tasks"
check "LATERAL recsys_recommend over distributed users: the coordinator's lists, and recsys_recommend_all's" \
	"CREATE TEMP TABLE lists AS
	 SELECT u.user_id, array_agg(r.item_id ORDER BY r.ord) AS items
	   FROM users u, LATERAL recsys_recommend('m', u.user_id, 10) WITH ORDINALITY r(item_id, score, ord)
	  GROUP BY u.user_id;
	 SELECT count(*) = (SELECT count(DISTINCT user_id) FROM test_local)
	        AND bool_and(l.items = (SELECT array_agg(r.item_id ORDER BY r.ord)
	                                  FROM recsys_recommend('m', l.user_id, 10) WITH ORDINALITY r(item_id, score, ord)))
	        AND bool_and(l.items = (SELECT array_agg(a.item_id ORDER BY a.rank)
	                                  FROM recsys_recommend_all('m', 10) a WHERE a.user_id = l.user_id))
	   FROM lists l"

# a model of text users and uuid items
coord >/dev/null <<'SQL' || fail "training a model of text and uuid ids"
SET recsys.epoch_notices = off;
CREATE TABLE keyed (user_id text, item_id uuid, rating real);
SELECT create_distributed_table('keyed', 'user_id');
INSERT INTO keyed SELECT 'user-' || user_id, md5(item_id::text)::uuid, rating FROM ratings_local;
SELECT recsys_train('mf', 'keyed', 'keyed_m', '{"seed": 1, "epochs": 3}');
SQL
check "a model of text users and uuid items: the same predictions on the workers" \
	"CREATE TEMP TABLE kp AS SELECT user_id, item_id, recsys_predict('keyed_m', user_id, item_id) AS p FROM keyed;
	 SELECT count(*) = (SELECT count(*) FROM ratings_local)
	        AND bool_and(p = recsys_predict('keyed_m', user_id, item_id)) FROM kp"

# a retraining reaches the workers inside its transaction, and only then
coord >/dev/null <<'SQL' || fail "could not note the predictions of m"
CREATE TABLE old_p AS SELECT user_id, item_id, recsys_predict('m', user_id, item_id) AS p FROM test_local;
SQL
check "inside the retraining's transaction the workers serve the new model; after ROLLBACK the old one" \
	"BEGIN;
	 SELECT recsys_train('mf', 'ratings', 'm', '{\"seed\": 2, \"epochs\": 4}');
	 CREATE TEMP TABLE in_tx AS
	 SELECT user_id, item_id, recsys_predict('m', user_id, item_id) AS p FROM ratings_test;
	 CREATE TEMP TABLE in_tx_ok AS
	 SELECT bool_and(i.p = recsys_predict('m', t.user_id, t.item_id)) AND bool_or(i.p <> o.p) AS ok
	   FROM in_tx i JOIN test_local t USING (user_id, item_id) JOIN old_p o USING (user_id, item_id);
	 SELECT ok FROM in_tx_ok \\gset

	 ROLLBACK;
	 CREATE TEMP TABLE after AS
	 SELECT user_id, item_id, recsys_predict('m', user_id, item_id) AS p FROM ratings_test;
	 SELECT :'ok'::boolean AND count(*) = $NTEST AND bool_and(a.p = o.p)
	   FROM after a JOIN old_p o USING (user_id, item_id)"
check "after COMMIT of a retraining the workers serve the new model" \
	"SELECT recsys_train('mf', 'ratings', 'm', '{\"seed\": 3, \"epochs\": 4}');
	 CREATE TEMP TABLE after AS
	 SELECT user_id, item_id, recsys_predict('m', user_id, item_id) AS p FROM ratings_test;
	 SELECT count(*) = $NTEST AND bool_and(a.p = recsys_predict('m', t.user_id, t.item_id))
	        AND bool_or(a.p <> o.p)
	   FROM after a JOIN test_local t USING (user_id, item_id) JOIN old_p o USING (user_id, item_id)"
# in a transaction that read a distributed table over several connections
# per node, Citus refuses a write of the catalog, and says what to do
check_error "a model stored after a parallel read in the same transaction: Citus's error and hint" \
	"BEGIN;
	 SELECT count(*) FROM ratings_test WHERE recsys_predict('m', user_id, item_id) > 0;
	 SELECT recsys_train('mf', 'ratings_local', 'later', '{\"epochs\": 1}')" \
	"SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"
check "with that hint followed, recsys_fit stores and the workers serve the model in the transaction" \
	"BEGIN;
	 SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
	 SELECT count(*) FROM ratings_test WHERE recsys_predict('m', user_id, item_id) > 0;
	 SELECT recsys_store('fit2', recsys_fit('mf', user_id, item_id, rating, '{\"seed\": 4, \"epochs\": 2}'))
	   FROM ratings;
	 CREATE TEMP TABLE fit2 AS
	 SELECT user_id, item_id, recsys_predict('fit2', user_id, item_id) AS p FROM ratings_test;
	 SELECT count(*) = $NTEST AND bool_and(f.p = recsys_predict('fit2', t.user_id, t.item_id))
	   FROM fit2 f JOIN test_local t USING (user_id, item_id)"
coord -c "SELECT recsys_drop('m')" >/dev/null || fail "recsys_drop on the coordinator"
check_error "after recsys_drop the workers say the model does not exist" \
	"SELECT sum(recsys_predict('m', user_id, item_id)) FROM ratings_test" \
	'model "m" does not exist'

# ownership and sharing hold on every node (Citus creates the roles there;
# it connects to the workers as the role, so the roles may log in)
coord >/dev/null <<'SQL' || fail "could not create the roles"
CREATE ROLE citus_alice LOGIN;
CREATE ROLE citus_bob LOGIN;
GRANT SELECT ON ratings, ratings_test, users TO citus_alice, citus_bob;
SET ROLE citus_alice;
SET recsys.epoch_notices = off;
SELECT recsys_train('mf', 'ratings', 'alices', '{"seed": 1, "epochs": 2}');
SQL
check "the owner serves its model on the workers" \
	"SET ROLE citus_alice;
	 SELECT count(*) = $NTEST FROM ratings_test WHERE recsys_predict('alices', user_id, item_id) IS NOT NULL"
check_error "another role's model does not exist on the workers" \
	"SET ROLE citus_bob; SELECT sum(recsys_predict('alices', user_id, item_id)) FROM ratings_test" \
	'model "alices" does not exist'
check_error "another role may not drop it" \
	"SET ROLE citus_bob; SELECT recsys_drop('alices')" 'must be owner of model "alices"'
check "the catalog rows stay private on the workers" \
	"SET ROLE citus_bob; SELECT count(*) = 0 FROM recsys_models WHERE name = 'alices'"
check "shared with recsys_grant, the reader serves it on the workers and in LATERAL lists" \
	"SET ROLE citus_alice; SELECT recsys_grant('alices', 'citus_bob');
	 SET ROLE citus_bob;
	 SELECT (SELECT count(*) = $NTEST FROM ratings_test
	          WHERE recsys_predict('alices', user_id, item_id) IS NOT NULL)
	    AND (SELECT count(*) > 0 FROM users u, LATERAL recsys_recommend('alices', u.user_id, 5) r)
	    AND (SELECT readers::text[] = '{citus_bob}' FROM recsys_models WHERE name = 'alices')"
check "a retraining by the owner keeps the reader, on every node" \
	"SET ROLE citus_alice;
	 SELECT recsys_train('mf', 'ratings', 'alices', '{\"seed\": 2, \"epochs\": 2}');
	 SET ROLE citus_bob;
	 SELECT (SELECT count(*) = $NTEST FROM ratings_test
	          WHERE recsys_predict('alices', user_id, item_id) IS NOT NULL)
	    AND (SELECT readers::text[] = '{citus_bob}' FROM recsys_models WHERE name = 'alices')"
check_error "after recsys_revoke it does not exist for the reader again" \
	"SET ROLE citus_alice; SELECT recsys_revoke('alices', 'citus_bob');
	 SET ROLE citus_bob; SELECT sum(recsys_predict('alices', user_id, item_id)) FROM ratings_test" \
	'model "alices" does not exist'

# removing the extension from the cluster, as README says: the nodes'
# copies are no extension's objects, and go by name
check "DROP EXTENSION recsys CASCADE and the nodes' copies dropped leave no recsys table on any node" \
	"RESET ROLE;
	 SELECT pg_catalog.format('DROP TABLE IF EXISTS %s',
	        pg_catalog.string_agg(pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || s.shardid), ', '))
	        AS drop_copies
	   FROM pg_dist_shard s JOIN pg_class c ON c.oid = s.logicalrelid
	   JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE s.logicalrelid IN ('recsys_models'::regclass, 'recsys_tensors'::regclass) \\gset

	 SET client_min_messages = warning;
	 DROP EXTENSION recsys CASCADE;
	 :drop_copies;
	 SELECT bool_and(success) FROM run_command_on_workers(:'drop_copies') \\gset workers_
	 SELECT :'workers_bool_and'::boolean
	    AND (SELECT count(*) = 0 FROM pg_class WHERE relname LIKE 'recsys%')
	    AND (SELECT bool_and(success AND result = '0')
	           FROM run_command_on_workers(\$\$SELECT count(*) FROM pg_class WHERE relname LIKE 'recsys%'\$\$))"

echo "citus.sh: ok (coordinator and two workers on ports ${CITUS_PORTS[*]})"
exit 0
