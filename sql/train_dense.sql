-- the dense kind end to end: train, catalog, predict, recommend, evaluate,
-- recsys_fit, storage through a new session, damaged rows, cold start, errors
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

-- planted data: ratings from 4 hidden user and item factors, in 1..5
CREATE TABLE dense_ratings AS
SELECT * FROM recsys_synthetic_ratings(200, 100, 6000, 11);
-- a held-out part for evaluate: every 5th row
CREATE TABLE dense_train AS
SELECT * FROM dense_ratings WHERE (user_id * 7 + item_id) % 5 <> 0;
CREATE TABLE dense_test AS
SELECT * FROM dense_ratings WHERE (user_id * 7 + item_id) % 5 = 0;

SELECT recsys_train('dense', 'dense_train', 'dn_a', '{"seed": 1}');
SELECT name, kind, source, n_users > 150 AS users_ok, n_items > 80 AS items_ok
  FROM recsys_models WHERE name = 'dn_a';
-- the options as used, defaults included
SELECT options->'factors' AS factors, options->'hidden' AS hidden,
       options->'layers' AS layers, options->'optimizer' AS optimizer,
       options->'batch_size' AS batch_size, options->'biases' AS biases,
       options->'lazy' AS lazy
  FROM recsys_models WHERE name = 'dn_a';
SELECT (metrics->>'best_epoch')::int BETWEEN 1 AND (metrics->>'n_epochs')::int AS best_ok,
       jsonb_array_length(metrics->'history') = (metrics->>'n_epochs')::int AS history_ok
  FROM recsys_models WHERE name = 'dn_a';
-- the tensors of the network are stored by name
SELECT DISTINCT tensor FROM recsys_tensors
 WHERE model_id = (SELECT id FROM recsys_models WHERE name = 'dn_a')
 ORDER BY tensor;

-- predictions are in the training range
SELECT bool_and(recsys_predict('dn_a', user_id, item_id) BETWEEN 1 AND 5) AS in_range
  FROM dense_test;

-- evaluate on held-out rows beats predicting the training mean
WITH mean AS (SELECT avg(rating) AS mu FROM dense_train)
SELECT e.n = (SELECT count(*) FROM dense_test) AS n_ok,
       e.rmse < (SELECT sqrt(avg((mu - rating) ^ 2)) FROM dense_test, mean) AS beats_mean,
       e.mae <= e.rmse AS mae_ok
  FROM recsys_evaluate('dn_a', 'dense_test') e;

-- recommend: k rows, ordered by score, without rated items
SELECT count(*) AS k,
       bool_and(item_id NOT IN (SELECT item_id FROM dense_train WHERE user_id = 3)) AS unrated
  FROM recsys_recommend('dn_a', 3, 10);
SELECT bool_and(score >= next_score) AS ordered
  FROM (SELECT score, lead(score, 1, '-infinity') OVER (ORDER BY score DESC) AS next_score
          FROM recsys_recommend('dn_a', 3, 10)) s;
SELECT count(*) = (SELECT count(DISTINCT item_id) FROM dense_train) AS all_items
  FROM recsys_recommend('dn_a', 3, 1000, exclude_rated => false);
-- with "objective": "rating" recommend ranks by the network's rating:
-- scores equal to predict (score_items and predict are two code paths)
SELECT recsys_train('dense', 'dense_train', 'dn_rating', '{"seed": 1, "objective": "rating"}');
SELECT bool_and(abs(score - recsys_predict('dn_rating', 3, item_id)) < 1e-4) AS same_as_predict
  FROM recsys_recommend('dn_rating', 3, 10);
-- the default objective ("both") trains the same network, then the ranking
-- head, which recommend ranks by: the same predictions as dn_rating, and
-- scores that are not ratings (the head's, about 0 to 1)
SELECT bool_and(recsys_predict('dn_a', user_id, item_id)
                = recsys_predict('dn_rating', user_id, item_id)) AS same_network
  FROM dense_test;
SELECT bool_and(abs(score - recsys_predict('dn_a', 3, item_id)) > 1e-3) AS not_predictions,
       bool_or(score < 1) AS below_rating_range
  FROM recsys_recommend('dn_a', 3, 10);

-- the same seed gives the same model
SELECT recsys_train('dense', 'dense_train', 'dn_b', '{"seed": 1}');
SELECT bool_and(recsys_predict('dn_a', user_id, item_id)
                = recsys_predict('dn_b', user_id, item_id)) AS reproducible
  FROM dense_test;

-- variants: two layers with dropout, SGD, lazy updates without biases
SELECT recsys_train('dense', 'dense_train', 'dn_deep',
       '{"seed": 1, "layers": 2, "hidden": 32, "dropout": 0.2, "epochs": 20}');
SELECT recsys_train('dense', 'dense_train', 'dn_sgd',
       '{"seed": 1, "optimizer": "sgd", "learning_rate": 0.05, "epochs": 20}');
SELECT recsys_train('dense', 'dense_train', 'dn_lazy',
       '{"seed": 1, "lazy": true, "biases": false, "epochs": 20}');
WITH mean AS (SELECT avg(rating) AS mu FROM dense_train),
     base AS (SELECT sqrt(avg((mu - rating) ^ 2)) AS rmse FROM dense_test, mean)
SELECT m.name, e.rmse < base.rmse AS beats_mean
  FROM (VALUES ('dn_deep'), ('dn_sgd'), ('dn_lazy')) m(name),
       LATERAL recsys_evaluate(m.name, 'dense_test') e, base
 ORDER BY m.name;

-- the recsys_fit aggregate trains the same model as recsys_train
CREATE TABLE dense_fit AS
SELECT recsys_fit('dense', user_id, item_id, rating, '{"seed": 1}') AS model
  FROM dense_train;
SELECT recsys_store('dn_fit', model, 'dense_train') FROM dense_fit;
SELECT bool_and(abs(recsys_predict('dn_fit', user_id, item_id)
                    - recsys_predict('dn_a', user_id, item_id)) < 1e-4) AS fit_same
  FROM dense_test;

-- cold start: an unknown user or item is a zero embedding and bias; the
-- same for every unknown id, in range; recommend for an unknown user works
SELECT recsys_predict('dn_a', 100000, 5) = recsys_predict('dn_a', 200000, 5) AS same_user,
       recsys_predict('dn_a', 5, 100000) = recsys_predict('dn_a', 5, 200000) AS same_item,
       recsys_predict('dn_a', 100000, 100000) BETWEEN 1 AND 5 AS both_in_range;
SELECT count(*) AS k FROM recsys_recommend('dn_a', 100000, 5);
SELECT bool_and(abs(score - recsys_predict('dn_rating', 100000, item_id)) < 1e-4) AS cold_same
  FROM recsys_recommend('dn_rating', 100000, 5);
-- with the ranking head an unknown user's list is the most popular items,
-- scored by their count of training rows
SELECT bool_and(r.score = c.n) AS cold_by_count
  FROM recsys_recommend('dn_a', 100000, 5) r
  JOIN (SELECT item_id, count(*) AS n FROM dense_train GROUP BY item_id) c USING (item_id);
SELECT array_agg(item_id ORDER BY ord) =
       (SELECT array_agg(item_id ORDER BY n DESC, item_id)
          FROM (SELECT item_id, count(*) AS n FROM dense_train GROUP BY item_id
                 ORDER BY n DESC, item_id LIMIT 5) s) AS cold_most_popular
  FROM recsys_recommend('dn_a', 100000, 5) WITH ORDINALITY r(item_id, score, ord);

-- storage: a new session loads the model from the tables
CREATE TABLE dense_before AS
SELECT user_id, item_id, recsys_predict('dn_a', user_id, item_id) AS p FROM dense_test;
CREATE TABLE dense_rec_before AS SELECT * FROM recsys_recommend('dn_a', 7, 10);
\c
SET recsys.threads = 1;
SELECT bool_and(recsys_predict('dn_a', user_id, item_id) = p) AS reloaded
  FROM dense_before;
SELECT count(*) = 10 AS same_recommendations
  FROM recsys_recommend('dn_a', 7, 10) r JOIN dense_rec_before b USING (item_id)
 WHERE abs(r.score - b.score) < 1e-5;

-- damaged rows are reported, never used
\set VERBOSITY terse
BEGIN;
UPDATE recsys_tensors SET data = overlay(data placing '\xdeadbeef' from 20 for 4)
 WHERE tensor = 'hidden1_weight'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'dn_b');
SELECT recsys_predict('dn_b', 3, 4);
ROLLBACK;
BEGIN;
DELETE FROM recsys_tensors WHERE tensor = 'output_weight'
   AND model_id = (SELECT id FROM recsys_models WHERE name = 'dn_b');
SELECT recsys_predict('dn_b', 3, 4);
ROLLBACK;

-- option errors name the option; the hint lists dense's options
\set VERBOSITY default
SELECT recsys_train('dense', 'dense_train', 'dn_err', '{"hiden": 32}');
\set VERBOSITY terse
SELECT recsys_train('dense', 'dense_train', 'dn_err', '{"layers": 9}');
SELECT recsys_train('dense', 'dense_train', 'dn_err', '{"dropout": 1}');
SELECT recsys_train('dense', 'dense_train', 'dn_err', '{"optimizer": "rmsprop"}');
SELECT recsys_train('dense', 'dense_train', 'dn_err', '{"l2": -1}');
SELECT recsys_train('dense', 'dense_train', 'dn_err', '{"hidden": [64, 32]}');
\set VERBOSITY default
SELECT option, type, default_value FROM recsys_options('dense') ORDER BY option;

SELECT recsys_drop(name) FROM recsys_models WHERE name LIKE 'dn\_%' ORDER BY name;
DROP TABLE dense_ratings, dense_train, dense_test, dense_fit, dense_before,
           dense_rec_before;
