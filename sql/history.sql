-- every kind with user weights serves a history given at query time: mf and
-- dense fold it in (the user's weights solved against the fixed item
-- weights; lists by the ranking head's fold-in when the model has one).
-- A training user's own history, passed as arrays, gives nearly what the
-- user gets by id; a list follows the history it is given.
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE hst_ratings AS SELECT * FROM recsys_synthetic_ratings(150, 120, 6000, 11);
SELECT recsys_train('mf', 'hst_ratings', 'hst_mf', '{"seed": 1, "factors": 8}');
SELECT recsys_train('mf', 'hst_ratings', 'hst_mf_rating', '{"seed": 1, "factors": 8, "objective": "rating"}');
SELECT recsys_train('dense', 'hst_ratings', 'hst_dense', '{"seed": 1, "factors": 8, "hidden": 16, "epochs": 10}');
SELECT recsys_train('dense', 'hst_ratings', 'hst_dense_rating', '{"seed": 1, "factors": 8, "hidden": 16, "epochs": 10, "objective": "rating"}');
CREATE TABLE hst_models (m text);
INSERT INTO hst_models VALUES ('hst_mf'), ('hst_mf_rating'), ('hst_dense'), ('hst_dense_rating');
CREATE TABLE hst_histories AS
SELECT user_id, array_agg(item_id ORDER BY ts, item_id) AS items,
       array_agg(rating ORDER BY ts, item_id) AS ratings
  FROM hst_ratings WHERE user_id <= 30 GROUP BY user_id;

-- the lists: by id and by the user's own history (training items left out
-- in both), as item arrays
CREATE TABLE hst_lists AS
SELECT m, h.user_id,
       ARRAY(SELECT item_id FROM recsys_recommend(m, h.user_id, 10)) AS by_id,
       ARRAY(SELECT item_id FROM recsys_recommend(m, h.items, h.ratings, 10)) AS by_history
  FROM hst_models, hst_histories h;
-- agreement: the share of the id list that the history list holds (on
-- data this small it moves with the seed: mf by predicted rating gave 0.78
-- to 0.94 over seeds 1-8)
SELECT m, count(*) AS users,
       avg(cardinality(ARRAY(SELECT unnest(by_id) INTERSECT SELECT unnest(by_history))) / 10.0) >= 0.7
         AS lists_agree
  FROM hst_lists GROUP BY m ORDER BY m;
-- a history's list is closer to its own user's list than to the next user's
-- (lists by predicted rating share many popular items between users)
SELECT m,
       avg(cardinality(ARRAY(SELECT unnest(a.by_id) INTERSECT SELECT unnest(a.by_history))))
       > 1.5 * avg(cardinality(ARRAY(SELECT unnest(b.by_id) INTERSECT SELECT unnest(a.by_history))))
         AS follows_its_history
  FROM hst_lists a JOIN hst_lists b USING (m)
 WHERE b.user_id = a.user_id % 30 + 1
 GROUP BY m ORDER BY m;
-- predicted ratings from the own history are close to those by id
SELECT m, avg(abs(recsys_predict(m, h.items, h.ratings, i) - recsys_predict(m, h.user_id, i))) < 0.15
         AS ratings_agree
  FROM hst_models, hst_histories h, generate_series(1, 120, 7) i
 GROUP BY m ORDER BY m;
-- a new user who rated the same items high, or low: higher or lower predictions
SELECT m, avg(recsys_predict(m, ARRAY[1, 2, 3, 4, 5, 6], ARRAY[5, 5, 5, 5, 5, 5]::real[], i))
        > avg(recsys_predict(m, ARRAY[1, 2, 3, 4, 5, 6], ARRAY[1, 1, 1, 1, 1, 1]::real[], i)) + 0.5
         AS follows_the_ratings
  FROM hst_models, generate_series(7, 120) i
 WHERE m LIKE '%rating'
 GROUP BY m ORDER BY m;
-- no history: the cold start of an unknown user
SELECT m, bool_and(abs(recsys_predict(m, '{}'::bigint[], '{}'::real[], i) - recsys_predict(m, -1, i)) < 1e-6)
         AS cold_start
  FROM hst_models, generate_series(1, 120, 11) i
 GROUP BY m ORDER BY m;

SELECT recsys_drop(m) FROM hst_models ORDER BY m;
DROP TABLE hst_ratings, hst_models, hst_histories, hst_lists;
