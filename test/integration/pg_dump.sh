#!/bin/sh
# pg_dump.sh: a stored model survives pg_dump | psql into another database.
#
# Runs inside a pg_virtualenv environment (PGHOST, PGPORT ... set) after
# `make install`.  Creates database a, trains a model there, dumps a into a
# new database b and compares recsys_predict and recsys_recommend results
# across both, a model of uuid users and text items among them; a model of
# an ordinary role, shared with another, keeps its owner and its readers,
# and who may serve it.  Exit 0 on success, non-zero with a message on
# failure.

set -u

A=recsys_dump_a
B=recsys_dump_b
DUMP=$(mktemp)
OWNER=regress_recsys_dump_owner
READER=regress_recsys_dump_reader
OTHER=regress_recsys_dump_other
drop_roles()
{
	for r in $OWNER $READER $OTHER; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
	done
}
trap 'rm -f "$DUMP"; dropdb --if-exists $A 2>/dev/null; dropdb --if-exists $B 2>/dev/null; drop_roles' EXIT

fail()
{
	echo "pg_dump.sh: FAILED: $*" >&2
	exit 1
}

PSQL="psql -X -q -v ON_ERROR_STOP=1 -At"

dropdb --if-exists $A 2>/dev/null
dropdb --if-exists $B 2>/dev/null
drop_roles
# roles belong to the cluster, not to a dump of one database
psql -X -q -d postgres -v ON_ERROR_STOP=1 \
	-c "CREATE ROLE $OWNER; CREATE ROLE $READER; CREATE ROLE $OTHER" >/dev/null ||
	fail "could not create the roles"
createdb $A || fail "could not create database $A"
createdb $B || fail "could not create database $B"

$PSQL -d $A >/dev/null <<'SQL' || fail "could not train a model in database $A"
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
CREATE EXTENSION recsys;
CREATE TABLE ratings AS
SELECT u::bigint AS user_id, i::bigint AS item_id,
       (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3)::real AS rating
  FROM generate_series(1, 50) u, generate_series(1, 40) i
 WHERE (u + i) % 3 <> 0;
SELECT recsys_train('mf', 'ratings', 'dumped', '{"seed": 1, "factors": 4}');
SELECT recsys_train('mf', 'ratings', 'second', '{"seed": 2, "factors": 2, "epochs": 3}');
-- an lstm model, ordered by a made-up time
SELECT recsys_store('seq', recsys_fit('lstm', user_id, item_id, rating,
                                      ((user_id * 7 + item_id * 13) % 101)::float8,
                                      '{"seed": 1, "factors": 4, "hidden": 4, "epochs": 2}'))
  FROM ratings;
-- uuid users and text items
CREATE TABLE keyed AS
SELECT md5(user_id::text)::uuid AS user_id, 'sku-' || item_id AS item_id, rating FROM ratings;
SELECT recsys_train('mf', 'keyed', 'keyed', '{"seed": 4, "factors": 3, "epochs": 3}');
-- a private model of an ordinary role, shared with one other role
GRANT SELECT ON ratings TO regress_recsys_dump_owner, regress_recsys_dump_reader,
                           regress_recsys_dump_other;
SET ROLE regress_recsys_dump_owner;
SELECT recsys_train('mf', 'ratings', 'private', '{"seed": 3, "factors": 2, "epochs": 2}');
SELECT recsys_grant('private', 'regress_recsys_dump_reader');
RESET ROLE;
SQL

pg_dump $A > "$DUMP" || fail "pg_dump of database $A failed"
$PSQL -d $B -f "$DUMP" >/dev/null || fail "restoring the dump into database $B failed"

QUERY="SELECT name || ':' || n_users || ':' || n_items || ':' || n_ratings || ':' || revision
         FROM recsys_models ORDER BY name;
       SELECT count(*) FROM recsys_tensors;
       SELECT string_agg(to_char(recsys_predict(m, u, i), 'FM0.000000000'), ',' ORDER BY m, u, i)
         FROM unnest(ARRAY['dumped', 'second', 'seq']) m, generate_series(0, 51, 3) u,
              generate_series(0, 41, 5) i;
       SELECT string_agg(item_id || '=' || to_char(score, 'FM0.000000000'), ',')
         FROM recsys_recommend('dumped', 7, 10);
       SELECT string_agg(item_id::text, ',') FROM recsys_recommend('dumped', 1000, 5);
       SELECT string_agg(item_id || '=' || to_char(score, 'FM0.000000000'), ',')
         FROM recsys_recommend_text('keyed', md5('7')::uuid, 10);
       SELECT to_char(sum(recsys_predict('keyed', user_id, item_id)), 'FM999999990.000000') FROM keyed;
       SELECT string_agg(item_id || '=' || to_char(score, 'FM0.000000000'), ',')
         FROM recsys_recommend('seq', ARRAY[3, 1, 4, 1, 5], ARRAY[2, 5, 4, 3, 5], 10);"

OUT_A=$(echo "$QUERY" | $PSQL -d $A) || fail "queries in database $A failed"
OUT_B=$(echo "$QUERY" | $PSQL -d $B) || fail "queries in database $B failed"

[ -n "$OUT_A" ] || fail "no output from database $A"
if [ "$OUT_A" != "$OUT_B" ]; then
	echo "database $A:" >&2
	echo "$OUT_A" >&2
	echo "database $B:" >&2
	echo "$OUT_B" >&2
	fail "the restored models differ from the originals"
fi

# the private model keeps its owner and readers, and who may serve it
ACCESS="SELECT owner || ':' || readers::text FROM recsys_models WHERE name = 'private';
        SET ROLE $READER;
        SELECT to_char(sum(recsys_predict('private', user_id, item_id)), 'FM999999990.000000') FROM ratings;
        RESET ROLE;"
ACC_A=$(echo "$ACCESS" | $PSQL -d $A) || fail "the reader could not serve the private model in database $A"
ACC_B=$(echo "$ACCESS" | $PSQL -d $B) || fail "the reader could not serve the private model in database $B"
[ "$ACC_A" = "$ACC_B" ] || fail "owner, readers or served values differ after the restore: '$ACC_A' vs '$ACC_B'"
case $ACC_B in
	"$OWNER:{$READER}"*) ;;
	*) fail "the restored private model has owner and readers '$ACC_B'" ;;
esac
if echo "SET ROLE $OTHER; SELECT recsys_predict('private', 1, 1);" | $PSQL -d $B >/dev/null 2>&1; then
	fail "a role the model was not shared with served it after the restore"
fi

# a new model trained after the restore must get a fresh id (sequence dumped)
$PSQL -d $B -c "SET recsys.epoch_notices = off; SET recsys.threads = 1;
	SELECT recsys_train('mf', 'ratings', 'after', '{\"seed\": 1, \"factors\": 2, \"epochs\": 2}');" \
	>/dev/null || fail "training after the restore failed in database $B"

echo "pg_dump.sh: ok (models restored, predictions identical, owner and readers kept)"
exit 0
