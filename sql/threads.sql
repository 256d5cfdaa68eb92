-- recsys.threads and the mf option "threads": Hogwild SGD on two threads
-- trains a model within 2 % of the single-threaded one; one thread is
-- reproducible bit for bit
SET recsys.epoch_notices = off;

CREATE TABLE threads_all AS
SELECT * FROM recsys_synthetic_ratings(300, 150, 12000, 5);
CREATE TABLE threads_test AS
SELECT * FROM threads_all WHERE hashint8(user_id * 1000003 + item_id) % 10 = 0;
CREATE TABLE threads_train AS
SELECT * FROM threads_all WHERE hashint8(user_id * 1000003 + item_id) % 10 <> 0;

-- the setting: 0 (one thread per core) by default
SHOW recsys.threads;

SET recsys.threads = 1;
SELECT recsys_train('mf', 'threads_train', 'thr_one',
                    '{"seed": 3, "factors": 8, "epochs": 40}');
SELECT recsys_train('mf', 'threads_train', 'thr_one_again',
                    '{"seed": 3, "factors": 8, "epochs": 40}');
SET recsys.threads = 2;
SELECT recsys_train('mf', 'threads_train', 'thr_two',
                    '{"seed": 3, "factors": 8, "epochs": 40}');
-- the option overrides the setting
SET recsys.threads = 1;
SELECT recsys_train('mf', 'threads_train', 'thr_opt',
                    '{"seed": 3, "factors": 8, "epochs": 40, "threads": 2}');
SELECT options->'threads' AS threads FROM recsys_models
 WHERE name IN ('thr_one', 'thr_opt') ORDER BY name;

-- one thread: the same model twice
SELECT bool_and(recsys_predict('thr_one', user_id, item_id)
                = recsys_predict('thr_one_again', user_id, item_id)) AS reproducible
  FROM threads_test;

-- two threads: test RMSE within 2 % of one thread's, and well below the
-- RMSE of predicting the mean
WITH one AS (SELECT rmse FROM recsys_evaluate('thr_one', 'threads_test')),
     two AS (SELECT rmse FROM recsys_evaluate('thr_two', 'threads_test')),
     opt AS (SELECT rmse FROM recsys_evaluate('thr_opt', 'threads_test')),
     base AS (SELECT sqrt(avg((t.rating - m.mu) ^ 2)) AS rmse
                FROM threads_test t, (SELECT avg(rating) AS mu FROM threads_train) m)
SELECT abs(two.rmse - one.rmse) <= 0.02 * one.rmse AS two_threads_close,
       abs(opt.rmse - one.rmse) <= 0.02 * one.rmse AS option_close,
       one.rmse < 0.9 * base.rmse AS one_learns,
       two.rmse < 0.9 * base.rmse AS two_learns
  FROM one, two, opt, base;

-- out of range
\set VERBOSITY terse
SELECT recsys_train('mf', 'threads_train', 'thr_bad', '{"threads": -1}');
SELECT recsys_train('mf', 'threads_train', 'thr_bad', '{"threads": 65}');
SET recsys.threads = -1;
\set VERBOSITY default

RESET recsys.threads;
SELECT recsys_drop(name) FROM recsys_models WHERE name LIKE 'thr\_%' ORDER BY name;
DROP TABLE threads_all, threads_test, threads_train;
