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

-- serving from a history given at query time
SELECT recsys_train('lstm', 'el_ratings', 'el_lstm',
                    '{"seed": 1, "epochs": 1, "factors": 4, "hidden": 4, "seq_len": 3}');
-- a model that does not take a history: popularity, which has no user
-- weights to fold a history into
SELECT recsys_train('popularity', 'el_no_ts', 'el_pop');
SELECT recsys_predict('el_pop', ARRAY[1, 2], ARRAY[4, 5], 3);
SELECT * FROM recsys_recommend('el_pop', ARRAY[1, 2], ARRAY[4, 5]);
-- mf and dense fold a history in, with or without the ranking head
SELECT recsys_train('mf', 'el_no_ts', 'el_mf_rating', '{"seed": 1, "epochs": 2, "objective": "rating"}');
SELECT recsys_train('dense', 'el_no_ts', 'el_dense_rating', '{"seed": 1, "epochs": 1, "objective": "rating"}');
SELECT count(*) AS n FROM recsys_recommend('el_mf_rating', ARRAY[1, 2], ARRAY[4, 5]);
SELECT count(*) AS n FROM recsys_recommend('el_dense_rating', ARRAY[1, 2], ARRAY[4, 5], 3, false);
SELECT recsys_predict('el_mf', ARRAY[1, 2], ARRAY[4, 5], 3) BETWEEN 1 AND 5 AS rated;
SELECT count(*) AS n FROM recsys_recommend('el_mf', ARRAY[1, 2], ARRAY[4, 5]);
SELECT count(*) AS n FROM recsys_recommend('el_dense', ARRAY[1, 2], ARRAY[4, 5], 3, false);
-- unknown model
SELECT recsys_predict('el_no_such_model', ARRAY[1], ARRAY[4], 3);
SELECT * FROM recsys_recommend('el_no_such_model', ARRAY[1], ARRAY[4]);
-- arrays of different lengths
SELECT recsys_predict('el_lstm', ARRAY[1, 2, 3], ARRAY[4, 5], 3);
SELECT * FROM recsys_recommend('el_lstm', ARRAY[1]::bigint[], '{}'::real[]);
-- NULL elements
SELECT recsys_predict('el_lstm', ARRAY[1, NULL], ARRAY[4, 5], 3);
SELECT * FROM recsys_recommend('el_lstm', ARRAY[1, 2], ARRAY[4, NULL]);
-- more than one dimension
SELECT recsys_predict('el_lstm', ARRAY[[1, 2], [3, 4]], ARRAY[[4, 5], [3, 2]], 3);
SELECT * FROM recsys_recommend('el_lstm', ARRAY[[1, 2]], ARRAY[4, 5]);
-- NaN and infinite ratings
SELECT recsys_predict('el_lstm', ARRAY[1, 2], ARRAY[4, 'NaN']::real[], 3);
SELECT * FROM recsys_recommend('el_lstm', ARRAY[1, 2], ARRAY['-Infinity', 5]::real[]);
-- k below 1, as for a user
\set VERBOSITY terse
SELECT * FROM recsys_recommend('el_lstm', ARRAY[1], ARRAY[4], 0);
SELECT * FROM recsys_recommend('el_lstm', ARRAY[1], ARRAY[4], -3);
\set VERBOSITY default
-- a huge k returns every item once, here all but the history's
SELECT count(*) AS n, count(DISTINCT item_id) AS distinct_items
  FROM recsys_recommend('el_lstm', ARRAY[1], ARRAY[4], 2147483647);
-- STRICT: a NULL array gives NULL, or no rows (the history's items are
-- polymorphic: a NULL needs its type)
SELECT recsys_predict('el_lstm', NULL::bigint[], ARRAY[4], 3) IS NULL AS strict_null;
SELECT count(*) AS strict_no_rows FROM recsys_recommend('el_lstm', ARRAY[1], NULL::real[]);
-- empty arrays are a cold start, not an error
SELECT recsys_predict('el_lstm', '{}'::bigint[], '{}'::real[], 3) BETWEEN 1 AND 5 AS cold_start;
SELECT count(*) AS cold_start_rows FROM recsys_recommend('el_lstm', '{}'::bigint[], '{}'::real[], 5);
-- a history of unknown items only is an empty history
SELECT abs(recsys_predict('el_lstm', ARRAY[-1, 100000], ARRAY[5, 5], 3)
           - recsys_predict('el_lstm', '{}'::bigint[], '{}'::real[], 3)) < 1e-6 AS unknown_dropped;
-- an unknown item to predict: in range
SELECT recsys_predict('el_lstm', ARRAY[1, 2], ARRAY[4, 5], 100000) BETWEEN 1 AND 5 AS unknown_item;
-- the arrays' lower bounds do not matter
SELECT recsys_predict('el_lstm', '[0:1]={1,2}'::bigint[], '[5:6]={4,5}'::real[], 3)
       = recsys_predict('el_lstm', ARRAY[1, 2], ARRAY[4, 5], 3) AS bounds_ignored;

-- the shared error paths hold for lstm too: its options are checked with
-- the valid names or the range in the hint, before anything is read
SELECT recsys_train('lstm', 'el_ratings', 'el_bad', '{"layers": 2}');
SELECT recsys_train('lstm', 'el_ratings', 'el_bad', '{"seq_len": 0}');
SELECT recsys_train('lstm', 'el_ratings', 'el_bad', '{"hidden": 100000}');
SELECT recsys_train('lstm', 'el_ratings', 'el_bad', '{"feedback": "yes"}');
SELECT recsys_train('lstm', 'el_ratings', 'el_bad', '{"optimizer": "rmsprop"}');
-- an empty source, a missing rating column, a NaN rating
CREATE TABLE el_empty (LIKE el_ratings);
SELECT recsys_train('lstm', 'el_empty');
SELECT recsys_train('lstm', 'el_no_ts', options => '{"rating_column": "stars"}');
SELECT recsys_fit('lstm', user_id, item_id, 'NaN'::float8, ts, '{}') FROM el_ratings;
-- nothing half-written was left by any of them
SELECT count(*) AS bad_models FROM recsys_models WHERE name = 'el_bad';

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE el_ratings, el_no_ts, el_point, el_json, el_null_ts, el_empty, "el Odd ""names""";
