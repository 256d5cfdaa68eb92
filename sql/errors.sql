-- bad input to training: sources, columns, types, NULLs, NaN, limits, cancel
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
-- one process reads, so that the memory check below fires at the same row
SET max_parallel_workers_per_gather = 0;

CREATE TABLE err_ratings AS
SELECT u::bigint AS user_id, i::bigint AS item_id, (1 + (u + i) % 5)::float8 AS rating
  FROM generate_series(1, 60) u, generate_series(1, 50) i;

\set VERBOSITY default
-- missing table
SELECT recsys_train('mf', 'err_no_such_table');
-- missing column, with and without a column option
CREATE TABLE err_cols (uid bigint, item_id bigint, rating real);
SELECT recsys_train('mf', 'err_cols');
SELECT recsys_train('mf', 'err_cols', options => '{"user_column": "user"}');
SELECT recsys_train('mf', 'err_ratings', options => '{"rating_column": "stars"}');
-- system columns are not ids
SELECT recsys_train('mf', 'err_ratings', options => '{"user_column": "ctid"}');
-- wrong types: numeric ids, text ratings, float ids (text and uuid ids
-- are ids: see the test ids)
CREATE TABLE err_text_ids (user_id numeric, item_id bigint, rating real);
SELECT recsys_train('mf', 'err_text_ids');
CREATE TABLE err_text_rating (user_id int, item_id int, rating text);
SELECT recsys_train('mf', 'err_text_rating');
CREATE TABLE err_float_ids (user_id int, item_id float8, rating real);
SELECT recsys_train('mf', 'err_float_ids');
-- empty source
CREATE TABLE err_empty (user_id bigint, item_id bigint, rating real);
SELECT recsys_train('mf', 'err_empty');
SELECT recsys_fit('mf', user_id, item_id, rating) FROM err_empty;
-- only NULLs
INSERT INTO err_empty VALUES (NULL, 1, 3), (1, NULL, 3), (1, 1, NULL);
SELECT recsys_train('mf', 'err_empty');
-- NULL ids or ratings are skipped, with a NOTICE
CREATE TABLE err_some_nulls AS SELECT * FROM err_ratings;
INSERT INTO err_some_nulls VALUES (NULL, 1, 3), (1, NULL, 3), (1, 2, NULL);
SELECT recsys_train('mf', 'err_some_nulls', 'err_nulls', '{"seed": 1, "epochs": 2}');
SELECT n_ratings = (SELECT count(*) FROM err_ratings) AS nulls_left_out
  FROM recsys_models WHERE name = 'err_nulls';
-- NaN and infinite ratings
CREATE TABLE err_nan AS SELECT * FROM err_ratings;
INSERT INTO err_nan VALUES (7, 8, 'NaN');
SELECT recsys_train('mf', 'err_nan');
UPDATE err_nan SET rating = '-Infinity' WHERE rating = 'NaN';
SELECT recsys_train('mf', 'err_nan');
-- (a literal rating needs its type since 0.3: recsys_fit(kind, user_id,
-- item_id, options jsonb) also takes a fourth argument)
SELECT recsys_fit('mf', user_id, item_id, 'Infinity'::float8) FROM err_ratings;
SELECT recsys_fit('mf', user_id, item_id, 1e300) FROM err_ratings;
-- ids beyond bigint in a numeric column are caught by the column check
CREATE TABLE err_numeric_ids (user_id numeric, item_id bigint, rating real);
SELECT recsys_train('mf', 'err_numeric_ids');
-- the source is read with the caller's privileges
CREATE ROLE regress_recsys_reader;
SET ROLE regress_recsys_reader;
SELECT recsys_train('mf', 'err_ratings');
RESET ROLE;
DROP ROLE regress_recsys_reader;
-- NULL arguments
SELECT recsys_train(NULL, 'err_ratings');
SELECT recsys_train('mf', NULL);
SELECT recsys_train('mf', 'err_ratings', 'x', NULL);
SELECT recsys_fit(NULL, user_id, item_id, rating) FROM err_ratings;
-- a memory limit the user sets: refused before training
SET recsys.max_train_memory = '64kB';
SELECT recsys_train('mf', 'err_ratings', 'err_mem', '{"seed": 1}');
SELECT recsys_fit('mf', user_id, item_id, rating) FROM err_ratings;
SET recsys.max_train_memory = '10kB';
-- larger sources are stopped while they are read, in the aggregate too
CREATE TABLE err_big AS SELECT * FROM recsys_synthetic_ratings(2000, 1000, 200000, 1);
SET recsys.max_train_memory = '1MB';
SELECT recsys_fit('mf', user_id, item_id, rating) FROM err_big;
SET recsys.max_train_memory = '20MB';
SELECT recsys_fit('mf', user_id, item_id, rating, '{"factors": 4096}') FROM err_big;
RESET recsys.max_train_memory;
SHOW recsys.max_train_memory;
-- settings of the recsys prefix are reserved
SET recsys.no_such_setting = 1;
-- a cancelled training leaves nothing behind
SET statement_timeout = '50ms';
\set VERBOSITY terse
-- (the reading takes a few ms, the 10000 epochs of 256 factors seconds)
SELECT recsys_train('mf', 'err_ratings', 'err_cancelled',
                    '{"seed": 1, "epochs": 10000, "factors": 256, "validation_fraction": 0}');
\set VERBOSITY default
RESET statement_timeout;
SELECT count(*) FROM recsys_models WHERE name = 'err_cancelled';
-- so does an error inside a transaction that goes on
BEGIN;
SELECT recsys_train('mf', 'err_ratings', 'err_in_tx', '{"seed": 1, "epochs": 1}');
SAVEPOINT s;
SELECT recsys_train('mf', 'err_ratings', 'err_in_tx', '{"seed": 1, "epochs": 0}');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM recsys_models WHERE name = 'err_in_tx';
ROLLBACK;
SELECT name FROM recsys_models ORDER BY name;

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE err_ratings, err_cols, err_text_ids, err_text_rating, err_float_ids,
  err_empty, err_some_nulls, err_nan, err_numeric_ids, err_big;
