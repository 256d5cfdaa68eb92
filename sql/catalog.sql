-- the catalog: stored rows, replacing, dropping, damaged rows, the cache
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE cat_train AS
SELECT u::bigint AS user_id, i::bigint AS item_id,
       (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3)::real AS rating
  FROM generate_series(1, 20) u, generate_series(1, 15) i
 WHERE (u + i) % 4 <> 0;
SELECT recsys_train('mf', 'cat_train', 'cat_m', '{"seed": 1, "factors": 3}');

-- the model's row
SELECT name, kind, source, n_users, n_items, n_ratings,
       owner = current_user AS own, revision,
       options->>'factors' AS factors, options->>'seed' AS seed,
       jsonb_typeof(metrics) AS metrics
  FROM recsys_models WHERE name = 'cat_m';

-- its tensors: names, dtypes and shapes (history: one row per epoch run)
SELECT t.tensor, t.chunk, t.dtype,
       CASE WHEN t.tensor = 'history' THEN t.shape[2:2] ELSE t.shape END AS shape,
       length(t.data) > 0 AS has_data
  FROM recsys_tensors t JOIN recsys_models m ON m.id = t.model_id
 WHERE m.name = 'cat_m'
 ORDER BY t.tensor COLLATE "C", t.chunk;

-- retraining under the same name replaces the model (new id, one row)
CREATE TEMP TABLE cat_old AS
SELECT id, recsys_predict('cat_m', 1, 2) AS p FROM recsys_models WHERE name = 'cat_m';
SELECT recsys_train('mf', 'cat_train', 'cat_m', '{"seed": 1, "factors": 1, "biases": false, "epochs": 2}');
SELECT count(*) AS models, bool_and(id > (SELECT id FROM cat_old)) AS new_id,
       min(options->>'factors') AS factors
  FROM recsys_models WHERE name = 'cat_m';
SELECT count(*) AS orphan_tensors FROM recsys_tensors
 WHERE model_id NOT IN (SELECT id FROM recsys_models);
-- the cache follows: the same backend now predicts with the new model
SELECT recsys_predict('cat_m', 1, 2) <> (SELECT p FROM cat_old) AS new_prediction;
SELECT abs(recsys_predict('cat_m', 1, 2) - recsys_predict('cat_m', 1, 2)) = 0 AS stable;

-- PL/pgSQL keeps a simple expression's call site for the whole transaction:
-- a retraining between two evaluations of the same expression is still seen
CREATE FUNCTION cat_retrain_seen() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	p float8[];
BEGIN
	FOR j IN 1..2 LOOP
		p[j] := recsys_predict('cat_m', 1, 2);
		IF j = 1 THEN
			PERFORM recsys_train('mf', 'cat_train', 'cat_m',
				'{"seed": 1, "factors": 2, "epochs": 3}');
		END IF;
	END LOOP;
	RETURN p[1] <> p[2] AND p[2] = recsys_predict('cat_m', 1, 2);
END
$$;
SELECT cat_retrain_seen();
DROP FUNCTION cat_retrain_seen();

-- damaged rows are reported, never used
\set VERBOSITY terse
CREATE TEMP TABLE cat_good AS SELECT recsys_predict('cat_m', 3, 4) AS p;
BEGIN;
UPDATE recsys_tensors SET data = overlay(data placing '\xdeadbeef' from 40 for 4)
 WHERE tensor = 'item_factors'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT recsys_predict('cat_m', 3, 4);
ROLLBACK;
BEGIN;
DELETE FROM recsys_tensors WHERE tensor = 'user_factors' AND chunk = 0
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT recsys_predict('cat_m', 3, 4);
ROLLBACK;
-- the ranking head's tensors (0.3) are checked like the others: a damaged
-- or missing one is an error, not a model served without its head
BEGIN;
UPDATE recsys_tensors SET data = overlay(data placing '\xdeadbeef' from 40 for 4)
 WHERE tensor = 'rank_item'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT * FROM recsys_recommend('cat_m', 3, 4);
ROLLBACK;
BEGIN;
DELETE FROM recsys_tensors WHERE tensor = 'rank_user'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT * FROM recsys_recommend('cat_m', 3, 4);
ROLLBACK;
BEGIN;
DELETE FROM recsys_tensors WHERE tensor = 'item_count'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT recsys_predict('cat_m', 3, 4);
ROLLBACK;
BEGIN;
UPDATE recsys_tensors SET shape = '{1,2}' WHERE tensor = 'user_ids'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT recsys_predict('cat_m', 3, 4);
ROLLBACK;
BEGIN;
UPDATE recsys_tensors SET dtype = 'float64' WHERE tensor = 'item_ids'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT * FROM recsys_recommend('cat_m', 3, 4);
ROLLBACK;
BEGIN;
UPDATE recsys_tensors SET data = '\x00'::bytea WHERE tensor = '_header'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT recsys_predict('cat_m', 3, 4);
ROLLBACK;
BEGIN;
DELETE FROM recsys_tensors WHERE tensor = '_header'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'cat_m');
SELECT recsys_predict('cat_m', 3, 4);
ROLLBACK;
-- after the rollbacks the stored model is whole again
SELECT recsys_predict('cat_m', 3, 4) = (SELECT p FROM cat_good) AS restored;

-- a model made inside a transaction that rolls back is gone afterwards
BEGIN;
SELECT recsys_train('mf', 'cat_train', 'cat_tx', '{"seed": 1, "factors": 2, "epochs": 2}');
SELECT recsys_predict('cat_tx', 1, 1) BETWEEN 1.3 AND 4.7 AS in_tx;
ROLLBACK;
SELECT count(*) AS rows_left FROM recsys_models WHERE name = 'cat_tx';
SELECT recsys_predict('cat_tx', 1, 1);

-- only the owner (or a superuser) may drop a model
CREATE ROLE regress_recsys_other;
GRANT SELECT, UPDATE, DELETE ON recsys_models, recsys_tensors TO regress_recsys_other;
SET ROLE regress_recsys_other;
SELECT recsys_drop('cat_m');
RESET ROLE;
REVOKE ALL ON recsys_models, recsys_tensors FROM regress_recsys_other;
DROP ROLE regress_recsys_other;

-- dropping
SELECT recsys_drop('cat_m');
SELECT count(*) AS tensors_left FROM recsys_tensors
 WHERE model_id NOT IN (SELECT id FROM recsys_models);
SELECT recsys_drop('cat_m', true);
SELECT recsys_drop('cat_m');
SELECT recsys_drop('cat_m', false);
SELECT recsys_predict('cat_m', 1, 1);
\set VERBOSITY default
SELECT recsys_drop('cat_m');

DROP TABLE cat_train;
