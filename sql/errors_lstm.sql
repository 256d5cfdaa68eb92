-- lstm: bad input to training with time (the time argument and column) and
-- to serving from a history given at query time
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
SET max_parallel_workers_per_gather = 0;

CREATE TABLE el_ratings AS SELECT * FROM recsys_synthetic_ratings(40, 25, 600, 5);

\set VERBOSITY default
-- a sequence kind needs the time: the forms without it are refused
SELECT recsys_fit('lstm', user_id, item_id, rating) FROM el_ratings;
SELECT recsys_fit('lstm', user_id, item_id, rating, '{"epochs": 1}') FROM el_ratings;
-- NaN and infinite times, in both forms and whatever the kind
SELECT recsys_fit('lstm', user_id, item_id, rating, 'NaN'::float8, '{}') FROM el_ratings;
SELECT recsys_fit('lstm', user_id, item_id, rating, 'infinity'::timestamptz, '{}') FROM el_ratings;
SELECT recsys_fit('mf', user_id, item_id, rating, '-infinity'::float8, '{}') FROM el_ratings;
-- rows with a NULL time are skipped like rows with a NULL rating
SELECT recsys_store('el_nulls',
         recsys_fit('lstm', user_id, item_id, rating,
                    CASE WHEN item_id <> 1 THEN ts END,
                    '{"seed": 1, "epochs": 1, "factors": 4, "hidden": 4}'))
  FROM el_ratings;
SELECT n_ratings = (SELECT count(*) FROM el_ratings WHERE item_id <> 1) AS nulls_left_out
  FROM recsys_models WHERE name = 'el_nulls';
SELECT recsys_fit('lstm', user_id, item_id, rating, NULL::timestamptz, '{}') FROM el_ratings;
-- a NULL options object means the defaults, as in the other forms
SELECT recsys_fit('lstm', user_id, item_id, rating, ts, NULL) IS NOT NULL AS trained
  FROM el_ratings WHERE user_id <= 3;

-- recsys_train: the time column is missing
CREATE TABLE el_no_ts AS SELECT user_id, item_id, rating FROM el_ratings;
SELECT recsys_train('lstm', 'el_no_ts');
SELECT recsys_train('lstm', 'el_ratings', options => '{"time_column": "rated_at"}');
-- mf and dense do not read it
SELECT recsys_train('mf', 'el_no_ts', 'el_mf', '{"seed": 1, "epochs": 2}');
SELECT recsys_train('dense', 'el_no_ts', 'el_dense', '{"seed": 1, "epochs": 1}');
-- a time column whose type has no ordering
CREATE TABLE el_point AS SELECT user_id, item_id, rating, point(0, 0) AS ts FROM el_ratings;
SELECT recsys_train('lstm', 'el_point');
CREATE TABLE el_json AS SELECT user_id, item_id, rating, '{}'::json AS ts FROM el_ratings;
SELECT recsys_train('lstm', 'el_json', 'el_json');
-- system columns are not time columns
SELECT recsys_train('lstm', 'el_ratings', options => '{"time_column": "xmin"}');
-- NULL times in the source are skipped, with the NOTICE
CREATE TABLE el_null_ts AS SELECT * FROM el_ratings;
UPDATE el_null_ts SET ts = NULL WHERE item_id = 1;
SELECT recsys_train('lstm', 'el_null_ts', 'el_null_ts',
                    '{"seed": 1, "epochs": 1, "factors": 4, "hidden": 4}');
SELECT n_ratings = (SELECT count(*) FROM el_ratings WHERE item_id <> 1) AS nulls_left_out
  FROM recsys_models WHERE name = 'el_null_ts';
-- every time NULL
UPDATE el_null_ts SET ts = NULL;
SELECT recsys_train('lstm', 'el_null_ts');
-- the identifiers are quoted: odd names and any ordered type (here text)
CREATE TABLE "el Odd ""names""" AS
SELECT user_id AS "User", item_id AS "select", rating AS "Rating; x",
       to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS "when"
  FROM el_ratings;
SELECT recsys_train('lstm', '"el Odd ""names"""', 'el_odd',
                    '{"user_column": "User", "item_column": "select", "rating_column": "Rating; x",
                      "time_column": "when", "seed": 1, "epochs": 1, "factors": 4, "hidden": 4}');
SELECT kind, n_ratings, options->>'time_column' AS time_column
  FROM recsys_models WHERE name = 'el_odd';

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE el_ratings, el_no_ts, el_point, el_json, el_null_ts, "el Odd ""names""";
