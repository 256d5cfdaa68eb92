-- recsys_predict: range, accuracy on planted data, NULLs, errors, caching
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

-- planted data: rating = 3 + user effect + item effect; user u skips some items
CREATE TABLE predict_train AS
SELECT u::bigint AS user_id, i::bigint AS item_id,
       (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3)::real AS rating
  FROM generate_series(1, 40) u, generate_series(1, 30) i
 WHERE (u + i) % 4 <> 0;
SELECT recsys_train('mf', 'predict_train', 'predict_m', '{"seed": 1, "factors": 4}');

-- every prediction lies in the training range
SELECT bool_and(p BETWEEN 1.3 - 1e-6 AND 4.7 + 1e-6) AS in_range, count(*)
  FROM (SELECT recsys_predict('predict_m', u, i) AS p
          FROM generate_series(0, 41) u, generate_series(0, 31) i) s;

-- close to the truth on rated pairs
SELECT avg(abs(recsys_predict('predict_m', user_id, item_id) - rating)) < 0.25 AS close
  FROM predict_train;
-- and on the held-out pairs of the planted model
SELECT avg(abs(recsys_predict('predict_m', u, i)
               - (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3))) < 0.5 AS close
  FROM generate_series(1, 40) u, generate_series(1, 30) i
 WHERE (u + i) % 4 = 0;

-- predict over a table, into a table
CREATE TABLE predict_out AS
SELECT user_id, item_id, recsys_predict('predict_m', user_id, item_id) AS p
  FROM predict_train;
SELECT count(*) = (SELECT count(*) FROM predict_train) AS all_rows,
       count(p) = count(*) AS no_nulls
  FROM predict_out;

-- stable across repeated calls and after the cache is warm
SELECT bool_and(o.p = recsys_predict('predict_m', o.user_id, o.item_id)) AS stable
  FROM predict_out o;
SELECT recsys_predict('predict_m', 1, 1) = recsys_predict('predict_m', 1, 1) AS same;

-- a different model name per row is fine (the call site follows the name)
SELECT recsys_train('mf', 'predict_train', 'predict_m2', '{"seed": 1, "factors": 2, "epochs": 3}');
SELECT count(DISTINCT m) AS models, count(*)
  FROM (SELECT m, recsys_predict(m, 1, 2) AS p
          FROM unnest(ARRAY['predict_m', 'predict_m2', 'predict_m', 'predict_m2']) m) s;
SELECT bool_and(a = b) AS same_per_name
  FROM (SELECT recsys_predict(m, 3, 5) AS a,
               (SELECT recsys_predict(m, 3, 5)) AS b
          FROM unnest(ARRAY['predict_m', 'predict_m2', 'predict_m']) m) s;

-- STRICT: NULL arguments give NULL
SELECT recsys_predict(NULL, 1, 1) IS NULL AS n1,
       recsys_predict('predict_m', NULL, 1) IS NULL AS n2,
       recsys_predict('predict_m', 1, NULL) IS NULL AS n3;

-- parallel query: the workers load the model themselves
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET force_parallel_mode = on;
CREATE TABLE predict_par AS
SELECT user_id, item_id, recsys_predict('predict_m', user_id, item_id) AS p
  FROM predict_train;
SELECT bool_and(recsys_predict('predict_m', user_id, item_id) = p) AS same_in_workers
  FROM predict_out;
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
SELECT count(*) AS n, bool_and(a.p = b.p) AS same
  FROM predict_par a JOIN predict_out b USING (user_id, item_id);

-- errors
\set VERBOSITY terse
SELECT recsys_predict('no_such_model', 1, 1);
SELECT recsys_predict('', 1, 1);
\set VERBOSITY default

SELECT recsys_drop('predict_m');
SELECT recsys_drop('predict_m2');
DROP TABLE predict_train, predict_out, predict_par;
