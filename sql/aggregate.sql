-- the recsys_fit aggregate: any query, recsys_store, parallel reading, GROUP BY
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE agg_ratings AS
SELECT * FROM recsys_synthetic_ratings(150, 80, 3000, 3);
ANALYZE agg_ratings;

-- train on a filtered query and store the result
CREATE TABLE agg_models AS
SELECT recsys_fit('mf', user_id, item_id, rating,
                  '{"seed": 1, "factors": 8, "epochs": 20}') AS model
  FROM agg_ratings WHERE user_id <= 100;
SELECT octet_length(model) > 1000 AS has_bytes FROM agg_models;
SELECT recsys_store('agg_filtered', model, 'agg_ratings where user_id <= 100')
  FROM agg_models;
SELECT kind, source, n_users, n_ratings = (SELECT count(*) FROM agg_ratings WHERE user_id <= 100) AS n_ok,
       options->'factors' AS factors, jsonb_array_length(metrics->'history') >= 1 AS has_history
  FROM recsys_models WHERE name = 'agg_filtered';
-- predictions work and stay in the rating range
SELECT bool_and(recsys_predict('agg_filtered', user_id, item_id) BETWEEN 1 AND 5) AS in_range
  FROM agg_ratings;
-- without options: the 4-argument form with the defaults
SELECT recsys_store('agg_default', recsys_fit('mf', user_id, item_id, rating))
  FROM agg_ratings WHERE user_id <= 20;
SELECT options->'epochs' AS epochs, source FROM recsys_models WHERE name = 'agg_default';

-- one model per group
SELECT g, recsys_store('agg_group_' || g,
                       recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "epochs": 3}'))
  FROM (SELECT user_id % 3 AS g, * FROM agg_ratings) s
 GROUP BY g ORDER BY g;
SELECT name, n_ratings FROM recsys_models WHERE name LIKE 'agg_group_%' ORDER BY name;
SELECT sum(n_ratings) = (SELECT count(*) FROM agg_ratings) AS all_rows
  FROM recsys_models WHERE name LIKE 'agg_group_%';

-- parallel reading: Partial Aggregate in workers, Finalize in the leader
CREATE TABLE agg_serial AS
SELECT recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 8, "epochs": 10}') AS model
  FROM agg_ratings;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 8, "epochs": 10}')
  FROM agg_ratings;
CREATE TABLE agg_parallel AS
SELECT recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 8, "epochs": 10}') AS model
  FROM agg_ratings;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
-- force_parallel_mode runs the whole aggregate, training included, in a
-- worker; recsys_train then gets the model as bytea from the worker
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF)
SELECT recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 8, "epochs": 10}')
  FROM agg_ratings;
CREATE TABLE agg_forced AS
SELECT recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 8, "epochs": 10}') AS model
  FROM agg_ratings;
SELECT recsys_train('mf', 'agg_ratings', 'agg_train_forced', '{"seed": 1, "factors": 8, "epochs": 10}');
RESET force_parallel_mode;
-- and recsys_train gives the same model as the aggregate
SELECT recsys_train('mf', 'agg_ratings', 'agg_train', '{"seed": 1, "factors": 8, "epochs": 10}');
SELECT recsys_store('agg_serial', model) FROM agg_serial;
SELECT recsys_store('agg_parallel', model) FROM agg_parallel;
SELECT recsys_store('agg_forced', model) FROM agg_forced;
-- the same model, whoever read the rows
SELECT bool_and(abs(recsys_predict('agg_serial', user_id, item_id)
                    - recsys_predict('agg_parallel', user_id, item_id)) < 1e-9) AS parallel_same,
       bool_and(abs(recsys_predict('agg_serial', user_id, item_id)
                    - recsys_predict('agg_forced', user_id, item_id)) < 1e-9) AS forced_same,
       bool_and(abs(recsys_predict('agg_serial', user_id, item_id)
                    - recsys_predict('agg_train', user_id, item_id)) < 1e-9) AS train_same,
       bool_and(abs(recsys_predict('agg_serial', user_id, item_id)
                    - recsys_predict('agg_train_forced', user_id, item_id)) < 1e-9) AS train_forced_same
  FROM agg_ratings;
SELECT a.n_users = b.n_users AND a.n_items = b.n_items AND a.n_ratings = b.n_ratings AS same_counts
  FROM recsys_models a, recsys_models b
 WHERE a.name = 'agg_serial' AND b.name = 'agg_parallel';

-- errors
\set VERBOSITY terse
-- not a model
SELECT recsys_store('agg_bad', '\xdeadbeef'::bytea);
SELECT recsys_store('agg_bad', ''::bytea);
-- a damaged model: one byte changed in the middle
SELECT recsys_store('agg_bad', set_byte(model, octet_length(model) / 2,
                                        (get_byte(model, octet_length(model) / 2) + 1) % 256))
  FROM agg_serial;
SELECT recsys_store(NULL, model) FROM agg_serial;
SELECT recsys_store('agg_bad', NULL);
SELECT count(*) FROM recsys_models WHERE name = 'agg_bad';
-- as a window function the final function would see its rows again
SELECT recsys_fit('mf', user_id, item_id, rating) OVER () FROM agg_ratings LIMIT 1;
-- a kind that changes between rows
SELECT recsys_fit(CASE WHEN user_id < 10 THEN 'mf' ELSE 'dense' END, user_id, item_id, rating)
  FROM agg_ratings;
\set VERBOSITY default

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE agg_ratings, agg_models, agg_serial, agg_parallel, agg_forced;
