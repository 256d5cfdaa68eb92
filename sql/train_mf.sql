-- recsys_train with the mf kind: name, catalog row, metrics, accuracy, variants
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE train_mf_ratings AS
SELECT * FROM recsys_synthetic_ratings(200, 100, 4000, 7);

-- the model's name is returned
SELECT recsys_train('mf', 'train_mf_ratings', 'tm_a',
                    '{"seed": 1, "factors": 8, "epochs": 30}');

-- without a name: <relation>_<kind>
SELECT recsys_train('mf', 'train_mf_ratings', options => '{"seed": 1, "epochs": 3}');
SELECT name, kind, source FROM recsys_models ORDER BY name;

-- the catalog row: counts, options as used (defaults included), metrics
SELECT name, kind, n_users, n_items, n_ratings, owner = current_user AS owner_ok,
       created_at <= now() AS created_ok
  FROM recsys_models WHERE name = 'tm_a';
SELECT n_users = (SELECT count(DISTINCT user_id) FROM train_mf_ratings) AS users_ok,
       n_items = (SELECT count(DISTINCT item_id) FROM train_mf_ratings) AS items_ok,
       n_ratings = (SELECT count(*) FROM train_mf_ratings) AS ratings_ok
  FROM recsys_models WHERE name = 'tm_a';
SELECT options->'seed' AS seed, options->'factors' AS factors,
       options->'epochs' AS epochs, options->'optimizer' AS optimizer,
       options->'biases' AS biases, options->'user_column' AS user_column,
       options->'rating_column' AS rating_column
  FROM recsys_models WHERE name = 'tm_a';
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(options) k) AS option_keys
  FROM recsys_models WHERE name = 'tm_a';
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(metrics) k) AS metric_keys
  FROM recsys_models WHERE name = 'tm_a';
SELECT jsonb_array_length(metrics->'history') = (metrics->>'n_epochs')::int AS history_ok,
       (metrics->>'n_epochs')::int BETWEEN 1 AND 30 AS n_epochs_ok,
       (metrics->>'best_epoch')::int BETWEEN 1 AND (metrics->>'n_epochs')::int AS best_ok,
       (metrics->>'val_rmse')::float8 BETWEEN 0 AND 2 AS val_rmse_ok,
       (metrics->>'train_seconds')::float8 >= 0 AS seconds_ok
  FROM recsys_models WHERE name = 'tm_a';
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(metrics->'history'->0) k) AS history_keys,
       (metrics->'history'->0->>'epoch')::int AS first_epoch
  FROM recsys_models WHERE name = 'tm_a';
-- the validation RMSE of the best epoch is the smallest of the history
SELECT (metrics->>'val_rmse')::float8 =
       (SELECT min((h->>'val_rmse')::float8) FROM jsonb_array_elements(metrics->'history') h)
       AS best_is_min
  FROM recsys_models WHERE name = 'tm_a';

-- better than the global mean on its training data
WITH mean AS (SELECT avg(rating) AS mu FROM train_mf_ratings)
SELECT sqrt(avg((recsys_predict('tm_a', user_id, item_id) - rating) ^ 2))
       < sqrt(avg((mu - rating) ^ 2)) AS beats_mean
  FROM train_mf_ratings, mean;

-- training again under a name replaces the model: still one row
SELECT recsys_train('mf', 'train_mf_ratings', 'tm_a',
                    '{"seed": 2, "factors": 4, "epochs": 5}');
SELECT count(*), min(options->>'seed') AS seed, min(options->>'factors') AS factors
  FROM recsys_models WHERE name = 'tm_a';

-- the same seed gives the same model
SELECT recsys_train('mf', 'train_mf_ratings', 'tm_b',
                    '{"seed": 2, "factors": 4, "epochs": 5}');
SELECT bool_and(recsys_predict('tm_a', user_id, item_id)
                = recsys_predict('tm_b', user_id, item_id)) AS reproducible
  FROM train_mf_ratings;

-- variants: no biases, Adam with minibatches
SELECT recsys_train('mf', 'train_mf_ratings', 'tm_nobias',
                    '{"seed": 1, "factors": 8, "epochs": 20, "biases": false}');
SELECT recsys_train('mf', 'train_mf_ratings', 'tm_adam',
                    '{"seed": 1, "factors": 8, "epochs": 20, "optimizer": "adam",
                      "batch_size": 64, "learning_rate": 0.01}');
SELECT name, options->'biases' AS biases, options->'optimizer' AS optimizer,
       jsonb_array_length(metrics->'history') >= 1 AS trained
  FROM recsys_models WHERE name IN ('tm_nobias', 'tm_adam') ORDER BY name;
WITH mean AS (SELECT avg(rating) AS mu FROM train_mf_ratings)
SELECT sqrt(avg((recsys_predict('tm_adam', user_id, item_id) - rating) ^ 2))
       < sqrt(avg((mu - rating) ^ 2)) AS adam_beats_mean,
       bool_and(recsys_predict('tm_nobias', user_id, item_id) BETWEEN 1 AND 5) AS nobias_in_range
  FROM train_mf_ratings, mean;

-- other column names and types: int ids, numeric ratings, through a view
CREATE VIEW train_mf_view AS
SELECT user_id::int AS u, item_id::smallint AS i, rating::numeric AS stars
  FROM train_mf_ratings;
SELECT recsys_train('mf', 'train_mf_view', 'tm_view',
                    '{"seed": 1, "epochs": 3, "user_column": "u",
                      "item_column": "i", "rating_column": "stars"}');
SELECT source, options->>'user_column' AS user_column, n_ratings
  FROM recsys_models WHERE name = 'tm_view';

-- names that need quoting: schema, table and columns
CREATE SCHEMA "Train Schema";
CREATE TABLE "Train Schema"."Ratings ""2""" AS
SELECT user_id AS "User", item_id AS "item id", rating AS "Stars" FROM train_mf_ratings;
SELECT recsys_train('mf', '"Train Schema"."Ratings ""2"""', NULL,
                    '{"seed": 1, "epochs": 2, "user_column": "User",
                      "item_column": "item id", "rating_column": "Stars"}');
SELECT name, source, n_ratings FROM recsys_models WHERE source LIKE '"Train%';
DROP SCHEMA "Train Schema" CASCADE;

-- one NOTICE per epoch with verbose on, on a tiny deterministic case
-- (terse: the detail holds the epoch's wall time)
\set VERBOSITY terse
CREATE TABLE train_mf_tiny (user_id bigint, item_id bigint, rating real);
INSERT INTO train_mf_tiny VALUES (1, 1, 5), (1, 2, 3), (2, 1, 4), (2, 2, 1);
SET recsys.epoch_notices = on;
SELECT recsys_train('mf', 'train_mf_tiny', 'tm_tiny',
                    '{"seed": 1, "epochs": 2, "factors": 2, "validation_fraction": 0}');
SELECT jsonb_array_length(metrics->'history') AS epochs
  FROM recsys_models WHERE name = 'tm_tiny';
-- the option overrides the setting, both ways
SELECT recsys_train('mf', 'train_mf_tiny', 'tm_tiny',
                    '{"seed": 1, "epochs": 2, "factors": 2, "validation_fraction": 0,
                      "verbose": false}');
SET recsys.epoch_notices = off;
SELECT recsys_train('mf', 'train_mf_tiny', 'tm_tiny',
                    '{"seed": 1, "epochs": 1, "factors": 2, "validation_fraction": 0,
                      "verbose": true}');

\set VERBOSITY default

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP VIEW train_mf_view;
DROP TABLE train_mf_ratings, train_mf_tiny;
