-- the upgrade path: 0.1 (as shipped) then ALTER EXTENSION UPDATE gives the
-- same objects as a fresh install of 0.2, and keeps the stored models
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
CREATE TABLE upg_fresh_members AS SELECT * FROM upg_members;
CREATE TABLE upg_fresh_functions AS SELECT * FROM upg_functions;
SELECT count(*) AS members FROM upg_fresh_members;

-- no model is left by the earlier tests, so the extension can go
SELECT count(*) AS models FROM recsys_models;
DROP EXTENSION recsys;

-- version 0.1 as shipped, and a model trained with it
CREATE EXTENSION recsys VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'recsys';
CREATE TABLE upg_ratings AS SELECT * FROM recsys_synthetic_ratings(50, 30, 600, 4);
SELECT recsys_train('mf', 'upg_ratings', 'upg_mf', '{"seed": 1, "factors": 4, "epochs": 5}');
CREATE TABLE upg_before AS
SELECT user_id, item_id, recsys_predict('upg_mf', user_id, item_id) AS p
  FROM upg_ratings;

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

-- the updated extension has exactly the objects of a fresh install
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

-- the training and serving entry points after the update (0.2 adds the
-- forms with a time and with a history)
SELECT oid::regprocedure AS function FROM pg_proc
 WHERE proname IN ('recsys_fit', 'recsys_fit_trans', 'recsys_predict', 'recsys_recommend')
 ORDER BY oid::regprocedure::text COLLATE "C";

-- leave a fresh install of the default version, as the other tests expect
SELECT recsys_drop('upg_mf');
DROP VIEW upg_members, upg_functions;
DROP TABLE upg_fresh_members, upg_fresh_functions, upg_ratings, upg_before;
DROP EXTENSION recsys;
CREATE EXTENSION recsys;
SELECT extversion FROM pg_extension WHERE extname = 'recsys';
