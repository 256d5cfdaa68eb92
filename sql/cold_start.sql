-- cold start: unknown users and items
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

-- users 1..30 and items 1..20; ids 1000+ are unknown to the model
CREATE TABLE cold_train AS
SELECT u::bigint AS user_id, i::bigint AS item_id,
       (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3)::real AS rating
  FROM generate_series(1, 30) u, generate_series(1, 20) i
 WHERE (u + i) % 3 <> 0;
-- no held-out rows, so the global mean is the mean of the whole table;
-- "objective": "rating", so that recommend ranks by predicted rating too
-- (the ranking head's cold start is below)
SELECT recsys_train('mf', 'cold_train', 'cold_m',
       '{"seed": 1, "factors": 3, "biases": true, "validation_fraction": 0, "objective": "rating"}');

-- both unknown: the global mean
SELECT abs(recsys_predict('cold_m', 1000, 1000) - avg(rating)) < 1e-4 AS global_mean
  FROM cold_train;

-- unknown user: mean + item bias, the same for every unknown user, and it
-- follows the items' planted effects
SELECT bool_and(recsys_predict('cold_m', 1000, i) = recsys_predict('cold_m', -5, i)) AS same_users,
       count(DISTINCT round(recsys_predict('cold_m', 1000, i)::numeric, 6)) > 1 AS varies
  FROM generate_series(1, 20) i;
SELECT corr(recsys_predict('cold_m', 1000, item_id), avg_rating) > 0.9 AS follows_items
  FROM (SELECT item_id, avg(rating) AS avg_rating FROM cold_train GROUP BY item_id) s;

-- unknown item: mean + user bias
SELECT bool_and(recsys_predict('cold_m', u, 1000) = recsys_predict('cold_m', u, 2000)) AS same_items,
       count(DISTINCT round(recsys_predict('cold_m', u, 1000)::numeric, 6)) > 1 AS varies
  FROM generate_series(1, 30) u;
SELECT corr(recsys_predict('cold_m', user_id, 1000), avg_rating) > 0.9 AS follows_users
  FROM (SELECT user_id, avg(rating) AS avg_rating FROM cold_train GROUP BY user_id) s;

-- recommend for an unknown user: k items by item bias, not an error
SELECT count(*) AS k FROM recsys_recommend('cold_m', 1000, 5);
SELECT min(score) >= (SELECT max(recsys_predict('cold_m', 1000, i))
                        FROM generate_series(1, 20) i
                       WHERE i NOT IN (SELECT item_id FROM recsys_recommend('cold_m', 1000, 5)))
                     - 1e-4 AS best_by_item_bias
  FROM recsys_recommend('cold_m', 1000, 5);
SELECT bool_and(score <= prev) AS ordered
  FROM (SELECT score, lag(score, 1, 'infinity') OVER (ORDER BY ord) AS prev
          FROM recsys_recommend('cold_m', 1000, 20) WITH ORDINALITY r(item_id, score, ord)) s;
SELECT bool_and(abs(score - recsys_predict('cold_m', 1000, item_id)) < 1e-4) AS scores
  FROM recsys_recommend('cold_m', 1000, 20);
SELECT count(*) AS all_items FROM recsys_recommend('cold_m', 1000, 100);

-- with the ranking head (the default objective) an unknown user's list is
-- the items by their count of training rows, equal counts by item id, and
-- the score is the count; predict still gives mean + item bias
SELECT recsys_train('mf', 'cold_train', 'cold_both',
       '{"seed": 1, "factors": 3, "biases": true, "validation_fraction": 0}');
SELECT array_agg(item_id ORDER BY ord) =
       (SELECT array_agg(item_id ORDER BY n DESC, item_id)
          FROM (SELECT item_id, count(*) AS n FROM cold_train GROUP BY item_id
                 ORDER BY n DESC, item_id LIMIT 5) s) AS most_popular
  FROM recsys_recommend('cold_both', 1000, 5) WITH ORDINALITY r(item_id, score, ord);
SELECT bool_and(r.score = c.n) AS score_is_count, count(*) AS all_items
  FROM recsys_recommend('cold_both', 1000, 100) r
  JOIN (SELECT item_id, count(*) AS n FROM cold_train GROUP BY item_id) c USING (item_id);
SELECT bool_and(recsys_predict('cold_both', 1000, i) = recsys_predict('cold_m', 1000, i)) AS same_predictions
  FROM generate_series(1, 20) i;

-- without biases every cold start is the global mean
SELECT recsys_train('mf', 'cold_train', 'cold_nb',
       '{"seed": 1, "factors": 3, "biases": false, "validation_fraction": 0}');
SELECT abs(recsys_predict('cold_nb', 1000, 1) - avg(rating)) < 1e-4 AS unknown_user,
       abs(recsys_predict('cold_nb', 1, 1000) - avg(rating)) < 1e-4 AS unknown_item,
       abs(recsys_predict('cold_nb', 1000, 1000) - avg(rating)) < 1e-4 AS both
  FROM cold_train;

SELECT recsys_drop('cold_m');
SELECT recsys_drop('cold_nb');
SELECT recsys_drop('cold_both');
DROP TABLE cold_train;
