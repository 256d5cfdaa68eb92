-- the upgrade path: 0.1 (as shipped), then ALTER EXTENSION UPDATE to 0.2,
-- 0.3, 0.4 and 0.5, gives at each step the same objects as a fresh install of
-- that version, and keeps the stored models: one trained under 0.1, and one
-- the 0.2 library itself stored (test/data/recsys-0.2-model.sql), which 0.3
-- loads as objective "rating" and serves as 0.2 did; 0.4 makes them private
-- to their owner
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

-- pg_regress created the extension at its default version: note its objects
SELECT extversion FROM pg_extension WHERE extname = 'recsys';
CREATE VIEW upg_members AS
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND e.extname = 'recsys';
-- every property of a function or aggregate that its CREATE statement sets
CREATE VIEW upg_functions AS
SELECT p.oid::regprocedure::text AS signature, p.prokind, p.provolatile,
       p.proisstrict, p.proparallel, p.prorows, p.prosrc,
       pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result,
       obj_description(p.oid, 'pg_proc') AS comment,
       a.aggtransfn::oid::regprocedure::text AS transfn,
       a.aggfinalfn::oid::regprocedure::text AS finalfn,
       a.aggcombinefn::oid::regprocedure::text AS combinefn,
       a.aggserialfn::oid::regprocedure::text AS serialfn,
       a.aggdeserialfn::oid::regprocedure::text AS deserialfn,
       a.aggfinalmodify, a.aggtranstype::regtype::text AS transtype
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'recsys'
  LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid;
-- the row-level security of the catalog tables, their columns and grants
-- (a function: a view would depend on the tables, and the extension must go)
CREATE FUNCTION upg_security() RETURNS TABLE (object text, detail text)
LANGUAGE sql AS $$
SELECT c.relname::text, c.relrowsecurity::text
  FROM pg_class c WHERE c.relname IN ('recsys_models', 'recsys_tensors')
UNION ALL
SELECT tablename || '.' || policyname, cmd || ' ' || array_to_string(roles, ',') || ' ' || qual
  FROM pg_policies WHERE tablename IN ('recsys_models', 'recsys_tensors')
UNION ALL
SELECT 'recsys_models.' || attname, format_type(atttypid, atttypmod) || ' ' || attnotnull::text
  FROM pg_attribute WHERE attrelid = to_regclass('recsys_models') AND attnum > 0 AND NOT attisdropped
UNION ALL
SELECT c.relname || ' acl', array_to_string(c.relacl, ',')
  FROM pg_class c WHERE c.relname IN ('recsys_models', 'recsys_tensors');
$$;
CREATE TABLE upg_fresh_members AS SELECT * FROM upg_members;
CREATE TABLE upg_fresh_functions AS SELECT * FROM upg_functions;
CREATE TABLE upg_fresh_security AS SELECT * FROM upg_security();
SELECT count(*) AS members FROM upg_fresh_members;

-- no model is left by the earlier tests, so the extension can go
SELECT count(*) AS models FROM recsys_models;
DROP EXTENSION recsys;

-- the objects of a fresh install of 0.2, for the intermediate step
CREATE EXTENSION recsys VERSION '0.2';
CREATE TABLE upg_fresh02_members AS SELECT * FROM upg_members;
CREATE TABLE upg_fresh02_functions AS SELECT * FROM upg_functions;
SELECT count(*) AS members_0_2 FROM upg_fresh02_members;
DROP EXTENSION recsys;

-- version 0.1 as shipped, and a model trained with it
CREATE EXTENSION recsys VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'recsys';
CREATE TABLE upg_ratings AS SELECT * FROM recsys_synthetic_ratings(50, 30, 600, 4);
SELECT recsys_train('mf', 'upg_ratings', 'upg_mf', '{"seed": 1, "factors": 4, "epochs": 5}');
CREATE TABLE upg_before AS
SELECT user_id, item_id, recsys_predict('upg_mf', user_id, item_id) AS p
  FROM upg_ratings;
CREATE TABLE upg_rec_before AS
SELECT u AS user_id, array_agg(r.item_id ORDER BY r.ord) AS items
  FROM generate_series(1, 5) u,
       LATERAL recsys_recommend('upg_mf', u, 5) WITH ORDINALITY r(item_id, score, ord)
 GROUP BY u;

ALTER EXTENSION recsys UPDATE TO '0.2';
SELECT extversion FROM pg_extension WHERE extname = 'recsys';

-- a new session loads the model from the catalog: the same predictions
\c
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
SELECT count(*) AS n,
       bool_and(recsys_predict('upg_mf', user_id, item_id) = p) AS same_predictions
  FROM upg_before;
SELECT count(*) AS k FROM recsys_recommend('upg_mf', 1, 5, false);

-- 0.1 updated to 0.2 has exactly the objects of a fresh install of 0.2
SELECT object AS missing_after_update_to_0_2
  FROM (SELECT object FROM upg_fresh02_members
        EXCEPT SELECT object FROM upg_members) s ORDER BY 1;
SELECT object AS extra_after_update_to_0_2
  FROM (SELECT object FROM upg_members
        EXCEPT SELECT object FROM upg_fresh02_members) s ORDER BY 1;
SELECT signature AS differs_after_update_to_0_2
  FROM (SELECT * FROM upg_fresh02_functions
        EXCEPT SELECT * FROM upg_functions) s ORDER BY 1;
SELECT count(*) = (SELECT count(*) FROM upg_fresh02_functions) AS same_count_0_2
  FROM upg_functions;
-- 0.2 has no ranking metrics
SELECT to_regprocedure('recsys_evaluate_ranking(text,regclass,integer,double precision)') IS NULL
       AS no_evaluate_ranking;

-- a model of the 0.2 library: the catalog rows it wrote for upg_v02 (no
-- "objective" in the header nor in the options, no ranking head), the bytea
-- its recsys_fit returned (upg_v02_fit), and what it served from the model
-- (upg_v02_predict, upg_v02_lists)
\getenv abs_srcdir PG_ABS_SRCDIR
\set model_0_2 :abs_srcdir '/test/data/recsys-0.2-model.sql'
\set ECHO none
\i :model_0_2
\set ECHO all
SELECT name, kind, n_users, n_items, n_ratings, options ? 'objective' AS has_objective
  FROM recsys_models WHERE name = 'upg_v02';
SELECT count(*) AS n,
       bool_and(abs(recsys_predict('upg_v02', user_id, item_id) - p) < 1e-9) AS served_as_0_2
  FROM upg_v02_predict;

ALTER EXTENSION recsys UPDATE TO '0.3';
SELECT extversion FROM pg_extension WHERE extname = 'recsys';

-- a new session loads both models from the catalog
\c
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
-- the model trained under 0.1: the same predictions and lists
SELECT count(*) AS n,
       bool_and(recsys_predict('upg_mf', user_id, item_id) = p) AS same_predictions
  FROM upg_before;
SELECT count(*) AS users,
       bool_and(b.items = (SELECT array_agg(r.item_id ORDER BY r.ord)
                             FROM recsys_recommend('upg_mf', b.user_id, 5)
                                  WITH ORDINALITY r(item_id, score, ord))) AS same_lists
  FROM upg_rec_before b;

-- the model of the 0.2 library serves what 0.2 served: the same
-- predictions, cold start included
SELECT count(*) AS n,
       bool_and(abs(recsys_predict('upg_v02', user_id, item_id) - p) < 1e-9) AS served_as_0_2
  FROM upg_v02_predict;
-- it loads as objective "rating": recommend ranks by predicted rating, the
-- same lists as 0.2, and the scores are 0.2's predictions of those pairs
-- (to float precision: recommend scores items in single precision)
SELECT count(*) AS users,
       bool_and(l.items = (SELECT array_agg(r.item_id ORDER BY r.ord)
                             FROM recsys_recommend('upg_v02', l.user_id, 3)
                                  WITH ORDINALITY r(item_id, score, ord))) AS same_lists
  FROM upg_v02_lists l;
SELECT count(*) AS n, bool_and(abs(r.score - p.p) < 1e-6) AS scores_are_0_2_predictions
  FROM generate_series(0, 7) u
       CROSS JOIN LATERAL recsys_recommend('upg_v02', u, 3) r
       JOIN upg_v02_predict p ON p.user_id = u AND p.item_id = r.item_id;
-- no ranking head: a list after a history ranks by the ratings of the
-- history folded in (the library's, whatever the version of the SQL)
SELECT count(*) AS n FROM recsys_recommend('upg_v02', ARRAY[1, 2], ARRAY[4, 5]);
-- the catalog rows are as 0.2 wrote them (the update rewrites no model)
SELECT options ? 'objective' AS has_objective,
       (SELECT count(*) FROM recsys_tensors t
         WHERE t.model_id = m.id AND t.tensor LIKE 'rank\_%') AS rank_tensors
  FROM recsys_models m WHERE name = 'upg_v02';
-- the bytea of 0.2's recsys_fit stores and serves the same; 0.3's
-- recsys_store writes the options as loaded: objective "rating"
SELECT recsys_store('upg_v02_fit', model, 'upg_v02_ratings') FROM upg_v02_fit;
SELECT options->>'objective' AS objective FROM recsys_models WHERE name = 'upg_v02_fit';
SELECT count(*) AS n,
       bool_and(abs(recsys_predict('upg_v02_fit', user_id, item_id) - p) < 1e-9) AS served_as_0_2
  FROM upg_v02_predict;

-- the new function exists after the update and scores the 0.2 model's
-- lists: with k = 1 they are user 1: (5), user 2: (4), user 3: (3) (the
-- first items of upg_v02_lists); relevant items 2, 4 and 3 give hits for
-- users 2 and 3 only: hit rate 2/3
SELECT to_regprocedure('recsys_evaluate_ranking(text,regclass,integer,double precision)') IS NOT NULL
       AS has_evaluate_ranking;
CREATE TABLE upg_v02_test (user_id bigint, item_id bigint);
INSERT INTO upg_v02_test VALUES (1, 2), (2, 4), (3, 3);
SELECT (SELECT items[1] FROM upg_v02_lists WHERE user_id = 1) = 5
   AND (SELECT items[1] FROM upg_v02_lists WHERE user_id = 2) = 4
   AND (SELECT items[1] FROM upg_v02_lists WHERE user_id = 3) = 3 AS lists_as_said;
SELECT users, round(hit_rate::numeric, 6) = round(2 / 3.0, 6) AS hit_rate_2_of_3,
       round(precision::numeric, 6) = round(2 / 3.0, 6) AS precision_2_of_3
  FROM recsys_evaluate_ranking('upg_v02', 'upg_v02_test', 1);

ALTER EXTENSION recsys UPDATE TO '0.4';
SELECT extversion FROM pg_extension WHERE extname = 'recsys';

-- the models keep their owner and are shared with no one
SELECT name, owner = current_user AS same_owner, readers FROM recsys_models ORDER BY name;
-- a role that does not own them neither sees nor serves them
CREATE ROLE upg_other;
SET ROLE upg_other;
SELECT count(*) AS models_seen, (SELECT count(*) FROM recsys_tensors) AS tensors_seen
  FROM recsys_models;
\set VERBOSITY terse
SELECT recsys_predict('upg_mf', 1, 1);
\set VERBOSITY default
RESET ROLE;
-- until their owner shares them; they serve as before
SELECT recsys_grant('upg_mf', 'upg_other');
GRANT SELECT ON upg_before TO upg_other;
SET ROLE upg_other;
SELECT count(*) AS n,
       bool_and(recsys_predict('upg_mf', user_id, item_id) = p) AS same_predictions
  FROM upg_before;
RESET ROLE;
SELECT recsys_revoke('upg_mf', 'upg_other');
REVOKE SELECT ON upg_before FROM upg_other;
DROP ROLE upg_other;

ALTER EXTENSION recsys UPDATE TO '0.5';
SELECT extversion FROM pg_extension WHERE extname = 'recsys';
-- the models serve as before
SELECT count(*) AS n,
       bool_and(recsys_predict('upg_mf', user_id, item_id) = p) AS same_predictions
  FROM upg_before;
-- recsys_distribute needs Citus, which this server does not have
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT recsys_distribute();
\set SHOW_CONTEXT errors

-- 0.1 updated to 0.2, 0.3, 0.4 and 0.5 has exactly the objects of a fresh
-- install of 0.5, the default version, and the same security
SELECT object AS missing_after_update
  FROM (SELECT object FROM upg_fresh_members
        EXCEPT SELECT object FROM upg_members) s ORDER BY 1;
SELECT object AS extra_after_update
  FROM (SELECT object FROM upg_members
        EXCEPT SELECT object FROM upg_fresh_members) s ORDER BY 1;
SELECT signature AS differs_after_update
  FROM (SELECT * FROM upg_fresh_functions
        EXCEPT SELECT * FROM upg_functions) s ORDER BY 1;
SELECT count(*) = (SELECT count(*) FROM upg_fresh_functions) AS same_count
  FROM upg_functions;
SELECT object AS security_differs_after_update
  FROM ((SELECT * FROM upg_fresh_security EXCEPT SELECT * FROM upg_security())
        UNION ALL
        (SELECT * FROM upg_security() EXCEPT SELECT * FROM upg_fresh_security)) s ORDER BY 1;

-- the training, serving and evaluation entry points after the update (0.2
-- adds the forms with a time and with a history, 0.3 the forms without a
-- rating and recsys_evaluate_ranking, 0.4 the filters of recsys_recommend,
-- recsys_recommend_all, sharing, ids of any type and the _text forms, 0.5
-- recsys_distribute)
SELECT oid::regprocedure AS function FROM pg_proc
 WHERE proname IN ('recsys_fit', 'recsys_fit_trans', 'recsys_predict', 'recsys_recommend',
                   'recsys_evaluate', 'recsys_evaluate_ranking', 'recsys_recommend_all',
                   'recsys_grant', 'recsys_revoke', 'recsys_may_read', 'recsys_recommend_text',
                   'recsys_recommend_all_text', 'recsys_distribute')
 ORDER BY oid::regprocedure::text COLLATE "C";

-- leave a fresh install of the default version, as the other tests expect
SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP VIEW upg_members, upg_functions;
DROP FUNCTION upg_security();
DROP TABLE upg_fresh_members, upg_fresh_functions, upg_fresh_security, upg_fresh02_members,
           upg_fresh02_functions, upg_ratings, upg_before, upg_rec_before,
           upg_v02_fit, upg_v02_predict, upg_v02_lists, upg_v02_test;
DROP EXTENSION recsys;
CREATE EXTENSION recsys;
SELECT extversion FROM pg_extension WHERE extname = 'recsys';
