-- options: recsys_options() and every kind of bad option
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

SELECT kind, option, type, default_value, min_value, max_value
  FROM recsys_options() ORDER BY kind, option;
SELECT count(*) = (SELECT count(*) FROM recsys_options() WHERE kind = 'mf') AS mf_rows
  FROM recsys_options('mf');
SELECT bool_and(description <> '') AS described FROM recsys_options();

CREATE TABLE opt_ratings AS
SELECT u::bigint AS user_id, i::bigint AS item_id, (1 + (u * i) % 5)::real AS rating
  FROM generate_series(1, 20) u, generate_series(1, 10) i;

-- every option given explicitly is kept, with its type
SELECT recsys_train('mf', 'opt_ratings', 'opt_all',
                    '{"factors": 3, "epochs": 2, "learning_rate": 0.02, "optimizer": "adam",
                      "batch_size": 16, "l2": 0.01, "bias_l2": 0, "lr_decay": 1,
                      "validation_fraction": 0.1, "patience": 2, "seed": 5,
                      "biases": true, "init_std": 0.1}');
SELECT jsonb_pretty(options) FROM recsys_models WHERE name = 'opt_all';
-- numbers may be written as 3.0 for an integer option
SELECT recsys_train('mf', 'opt_ratings', 'opt_int', '{"factors": 3.0, "epochs": 1, "seed": 1}');
SELECT options->'factors' AS factors FROM recsys_models WHERE name = 'opt_int';

\set VERBOSITY default
-- wrong JSON type or value for each option type (hints say what is valid)
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"factors": "ten"}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"factors": 2.5}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"factors": 0}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"epochs": 100000}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"learning_rate": -1}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"learning_rate": null}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"biases": "yes"}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"biases": 1}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"optimizer": "rmsprop"}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"optimizer": 1}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"seed": [1]}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"user_column": 1}');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"verbose": "on"}');
-- unrecognized option: the hint lists the valid names
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '{"factor": 10}');
-- unrecognized kind: the hint lists the kinds
SELECT recsys_train('svd', 'opt_ratings', 'opt_bad');
SELECT * FROM recsys_options('svd');
-- options must be an object
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '[1, 2]');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', '"factors"');
SELECT recsys_train('mf', 'opt_ratings', 'opt_bad', 'null');
-- the aggregate checks its options on the first row
SELECT recsys_fit('mf', user_id, item_id, rating, '{"epochs": -1}') FROM opt_ratings;
SELECT recsys_fit('svd', user_id, item_id, rating) FROM opt_ratings;
SELECT count(*) FROM recsys_models WHERE name = 'opt_bad';

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE opt_ratings;
