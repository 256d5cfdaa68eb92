-- recsys_recommend: k best, ordering, rated items, errors
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE rec_train AS
SELECT u::bigint AS user_id, i::bigint AS item_id,
       (3 + ((u % 5) - 2) * 0.4 + ((i % 7) - 3) * 0.3)::real AS rating
  FROM generate_series(1, 40) u, generate_series(1, 30) i
 WHERE (u + i) % 4 <> 0;
-- "objective": "rating": recommend ranks by predicted rating (the default,
-- "both", ranks by the ranking head: below)
SELECT recsys_train('mf', 'rec_train', 'rec_m', '{"seed": 1, "factors": 4, "objective": "rating"}');

-- k rows, best first
SELECT count(*) AS k FROM recsys_recommend('rec_m', 7, 5);
SELECT bool_and(score <= prev) AS ordered
  FROM (SELECT score, lag(score, 1, 'infinity') OVER (ORDER BY ord) AS prev
          FROM recsys_recommend('rec_m', 7, 10) WITH ORDINALITY r(item_id, score, ord)) s;
-- the default k is 10
SELECT count(*) AS default_k FROM recsys_recommend('rec_m', 7, exclude_rated => false);

-- no rated item comes back when exclude_rated (the default)
SELECT count(*) AS rated_returned
  FROM recsys_recommend('rec_m', 7, 30) r
  JOIN rec_train t ON t.user_id = 7 AND t.item_id = r.item_id;
-- k larger than the number of items: every unrated item, once
SELECT count(*) AS n, count(DISTINCT item_id) AS distinct_items,
       count(*) = 30 - (SELECT count(*) FROM rec_train WHERE user_id = 7) AS all_unrated
  FROM recsys_recommend('rec_m', 7, 1000);
-- rated items allowed when exclude_rated is false
SELECT count(*) AS n FROM recsys_recommend('rec_m', 7, 1000, false);
SELECT count(*) > 0 AS has_rated
  FROM recsys_recommend('rec_m', 7, 30, false) r
  JOIN rec_train t ON t.user_id = 7 AND t.item_id = r.item_id;

-- scores are what recsys_predict says for the same pairs
SELECT bool_and(abs(score - recsys_predict('rec_m', 7, item_id)) < 1e-4) AS same
  FROM recsys_recommend('rec_m', 7, 1000, false);
-- and the best one is the top prediction among unrated items
SELECT (SELECT item_id FROM recsys_recommend('rec_m', 7, 1)) =
       (SELECT i FROM generate_series(1, 30) i
         WHERE (7 + i) % 4 = 0
         ORDER BY recsys_predict('rec_m', 7, i) DESC, i LIMIT 1) AS best;

-- the default objective ("both") recommends by the ranking head's score:
-- the order and scores of recsys_predict of a model trained for ranking
-- alone with the same seed (the same head), not predicted ratings
SELECT recsys_train('mf', 'rec_train', 'rec_both', '{"seed": 1, "factors": 4}');
SELECT recsys_train('mf', 'rec_train', 'rec_ranking', '{"seed": 1, "factors": 4, "objective": "ranking"}');
SELECT count(*) AS n,
       bool_and(abs(score - recsys_predict('rec_ranking', 7, item_id)) < 1e-6) AS ranking_scores,
       bool_and(abs(score - recsys_predict('rec_both', 7, item_id)) > 1e-3) AS not_predictions
  FROM recsys_recommend('rec_both', 7, 1000, false);
SELECT array_agg(item_id ORDER BY ord) =
       (SELECT array_agg(i::bigint ORDER BY p DESC, i)
          FROM (SELECT i, recsys_predict('rec_ranking', 7, i) AS p
                  FROM generate_series(1, 30) i WHERE (7 + i) % 4 = 0
                 ORDER BY p DESC, i LIMIT 5) s) AS by_ranking_score
  FROM recsys_recommend('rec_both', 7, 5) WITH ORDINALITY r(item_id, score, ord);
-- its predictions are the rating model's
SELECT bool_and(recsys_predict('rec_both', user_id, item_id)
                = recsys_predict('rec_m', user_id, item_id)) AS same_ratings
  FROM rec_train;

-- lateral use over several users
SELECT count(*) AS rows, count(DISTINCT u) AS users
  FROM generate_series(1, 5) u, LATERAL recsys_recommend('rec_m', u, 3);

-- errors
\set VERBOSITY terse
SELECT * FROM recsys_recommend('rec_m', 7, 0);
SELECT * FROM recsys_recommend('rec_m', 7, -5);
SELECT * FROM recsys_recommend('no_such_model', 7, 5);
\set VERBOSITY default
SELECT count(*) AS strict_null FROM recsys_recommend('rec_m', NULL, 5);

SELECT recsys_drop('rec_m');
SELECT recsys_drop('rec_both');
SELECT recsys_drop('rec_ranking');
DROP TABLE rec_train;
