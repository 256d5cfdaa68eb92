-- recsys_evaluate: counts, metric relations, NULL rows, errors
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE eval_all AS
SELECT u::bigint AS user_id, i::bigint AS item_id,
       (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3)::real AS rating
  FROM generate_series(1, 40) u, generate_series(1, 30) i;
CREATE TABLE eval_train AS SELECT * FROM eval_all WHERE (user_id + item_id) % 4 <> 0;
CREATE TABLE eval_test AS SELECT * FROM eval_all WHERE (user_id + item_id) % 4 = 0;
SELECT recsys_train('mf', 'eval_train', 'eval_m', '{"seed": 1, "factors": 4}');

SELECT n = (SELECT count(*) FROM eval_test) AS n_ok,
       rmse >= mae AS rmse_ge_mae, mae >= 0 AS mae_ge_0,
       rmse < 0.6 AS rmse_small,
       abs(rmse_scaled - rmse / (4.7 - 1.3)) < 1e-6 AS scaled
  FROM recsys_evaluate('eval_m', 'eval_test');

-- the same numbers computed in SQL
SELECT abs(e.rmse - s.rmse) < 1e-9 AS rmse_same, abs(e.mae - s.mae) < 1e-9 AS mae_same
  FROM recsys_evaluate('eval_m', 'eval_test') e,
       (SELECT sqrt(avg((recsys_predict('eval_m', user_id, item_id) - rating) ^ 2)) AS rmse,
               avg(abs(recsys_predict('eval_m', user_id, item_id) - rating)) AS mae
          FROM eval_test) s;

-- rows with a NULL are skipped; other integer and numeric types work
CREATE TABLE eval_nulls (user_id integer, item_id smallint, rating numeric);
INSERT INTO eval_nulls SELECT user_id, item_id, rating FROM eval_test;
INSERT INTO eval_nulls VALUES (NULL, 1, 3), (1, NULL, 3), (1, 1, NULL);
SELECT n = (SELECT count(*) FROM eval_test) AS n_ok,
       abs(rmse - (SELECT rmse FROM recsys_evaluate('eval_m', 'eval_test'))) < 1e-6 AS same
  FROM recsys_evaluate('eval_m', 'eval_nulls');

-- an empty source: n = 0 and no metrics
CREATE TABLE eval_empty (LIKE eval_test);
SELECT * FROM recsys_evaluate('eval_m', 'eval_empty');

-- the model's column names are used
CREATE TABLE eval_cols AS SELECT user_id AS u, item_id AS i, rating AS r FROM eval_train;
SELECT recsys_train('mf', 'eval_cols', 'eval_m_cols',
       '{"seed": 1, "factors": 4, "user_column": "u", "item_column": "i", "rating_column": "r"}');
SELECT n = (SELECT count(*) FROM eval_cols) AS n_ok
  FROM recsys_evaluate('eval_m_cols', 'eval_cols');

-- errors
\set VERBOSITY terse
SELECT * FROM recsys_evaluate('eval_m_cols', 'eval_test');
SELECT * FROM recsys_evaluate('eval_m', 'eval_cols');
CREATE TABLE eval_badtype (user_id text, item_id bigint, rating real);
SELECT * FROM recsys_evaluate('eval_m', 'eval_badtype');
SELECT * FROM recsys_evaluate_ranking('eval_m', 'eval_badtype');
CREATE TABLE eval_badrating (user_id bigint, item_id bigint, rating text);
SELECT * FROM recsys_evaluate('eval_m', 'eval_badrating');
CREATE TABLE eval_nan (user_id bigint, item_id bigint, rating float8);
INSERT INTO eval_nan VALUES (1, 1, 'NaN');
SELECT * FROM recsys_evaluate('eval_m', 'eval_nan');
SELECT * FROM recsys_evaluate('no_such_model', 'eval_test');
SELECT * FROM recsys_evaluate('eval_m', 'no_such_table');
\set VERBOSITY default

SELECT recsys_drop('eval_m');
SELECT recsys_drop('eval_m_cols');
DROP TABLE eval_all, eval_train, eval_test, eval_nulls, eval_empty, eval_cols,
	eval_badtype, eval_badrating, eval_nan;
