-- ranking: recsys_evaluate_ranking against values computed by hand, the
-- popularity kind, the ranking head's objectives, and the errors
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

-- ---------------------------------------------------------------------------
-- (a) a case small enough to compute by hand
--
-- 4 users, 6 items, 13 ratings; the global mean is 52 / 13 = 4
--   user 1: items 1 2 3        (ratings 5 4 3)
--   user 2: items 1 2 4        (ratings 4 5 5)
--   user 3: items 1 2 5        (ratings 3 4 5)
--   user 4: items 1 3 4 6      (ratings 5 4 3 2)
-- rows per item: 1: 4, 2: 3, 3: 2, 4: 2, 5: 1, 6: 1, so the popularity
-- list is 1 2 3 4 5 6 (equal counts: the lower item id first), and with
-- each user's training items left out the lists are
--   user 1: 4 5 6      user 2: 3 5 6      user 3: 3 4 6      user 4: 2 5
-- (user 4 has only two candidates) and a user the model does not know gets
-- the whole list 1 2 3 4 5 6.
CREATE TABLE rk_train (user_id bigint, item_id bigint, rating real);
INSERT INTO rk_train VALUES
  (1, 1, 5), (1, 2, 4), (1, 3, 3),
  (2, 1, 4), (2, 2, 5), (2, 4, 5),
  (3, 1, 3), (3, 2, 4), (3, 5, 5),
  (4, 1, 5), (4, 3, 4), (4, 4, 3), (4, 6, 2);
SELECT recsys_train('popularity', 'rk_train', 'rk_pop');
SELECT kind, n_users, n_items, n_ratings FROM recsys_models WHERE name = 'rk_pop';
SELECT u AS user_id, array_agg(r.item_id ORDER BY r.ord) AS list
  FROM unnest(ARRAY[1, 2, 3, 4, 9]) u,
       LATERAL recsys_recommend('rk_pop', u, 10) WITH ORDINALITY r(item_id, score, ord)
 GROUP BY u ORDER BY u;

-- the held-out rows (user 9 is unknown to the model; user 4's item 2 comes
-- twice and counts once)
--   user 1: item 5 rated 5, item 6 rated 2
--   user 2: item 3 rated 4
--   user 3: item 6 rated 1
--   user 4: item 2 rated 5 (twice), item 5 rated 3
--   user 9: item 1 rated 4, item 4 rated 2, item 5 rated 1
CREATE TABLE rk_test (user_id bigint, item_id bigint, rating real);
INSERT INTO rk_test VALUES
  (1, 5, 5), (1, 6, 2),
  (2, 3, 4),
  (3, 6, 1),
  (4, 2, 5), (4, 2, 5), (4, 5, 3),
  (9, 1, 4), (9, 4, 2), (9, 5, 1);

-- k = 2, relevant_min NULL (every row is relevant); L = 1 / log2(3), the
-- gain at rank 2
--   user 1: list (4, 5), relevant {5, 6}: hit at rank 2
--           precision 1/2, recall 1/2, DCG = L, IDCG = 1 + L, AP = (1/2) / 2
--   user 2: list (3, 5), relevant {3}: hit at rank 1
--           precision 1/2, recall 1, NDCG 1, AP = 1 / 1
--   user 3: list (3, 4), relevant {6}: no hit: every metric 0
--   user 4: list (2, 5), relevant {2, 5}: hits at ranks 1 and 2
--           precision 1, recall 1, NDCG 1, AP = (1/1 + 2/2) / 2 = 1
--   user 9: list (1, 2), relevant {1, 4, 5}: hit at rank 1
--           precision 1/2, recall 1/3, DCG = 1, IDCG (min(3, 2) = 2 ranks)
--           = 1 + L, AP = 1 / min(3, 2)
-- 5 users: hit rate 4/5, precision (1/2 + 1/2 + 0 + 1 + 1/2) / 5,
-- recall (1/2 + 1 + 0 + 1 + 1/3) / 5, NDCG (L/(1+L) + 1 + 0 + 1 + 1/(1+L)) / 5,
-- MAP (1/4 + 1 + 0 + 1 + 1/2) / 5; the lists hold items 1 2 3 4 5:
-- coverage 5/6
SELECT users,
       round(hit_rate::numeric, 6) = round(4 / 5.0, 6) AS hit_rate,
       round(precision::numeric, 6) = round((1/2.0 + 1/2.0 + 0 + 1 + 1/2.0) / 5, 6) AS precision,
       round(recall::numeric, 6) = round((1/2.0 + 1 + 0 + 1 + 1/3.0) / 5, 6) AS recall,
       round(ndcg::numeric, 6) = round(((1 / log(2, 3)) / (1 + 1 / log(2, 3)) + 1 + 0 + 1
                                        + 1 / (1 + 1 / log(2, 3))) / 5, 6) AS ndcg,
       round(map::numeric, 6) = round((1/4.0 + 1 + 0 + 1 + 1/2.0) / 5, 6) AS map,
       round(coverage::numeric, 6) = round(5 / 6.0, 6) AS coverage
  FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 2);

-- k = 2, relevant_min 4: only rows rated 4 or more are relevant
--   user 1: list (4, 5), relevant {5}: hit at rank 2
--           precision 1/2, recall 1, NDCG = L / 1, AP = (1/2) / 1
--   user 2: list (3, 5), relevant {3}: hit at rank 1: 1/2, 1, 1, 1
--   user 3: nothing rated 4 or more: not counted
--   user 4: list (2, 5), relevant {2}: hit at rank 1: 1/2, 1, 1, 1
--   user 9: list (1, 2), relevant {1}: hit at rank 1: 1/2, 1, 1, 1
-- 4 users: hit rate 1, precision 1/2, recall 1, NDCG (L + 3) / 4,
-- MAP (1/2 + 3) / 4, coverage 5/6 (items 1 2 3 4 5)
SELECT users,
       round(hit_rate::numeric, 6) = 1 AS hit_rate,
       round(precision::numeric, 6) = round(1 / 2.0, 6) AS precision,
       round(recall::numeric, 6) = 1 AS recall,
       round(ndcg::numeric, 6) = round((1 / log(2, 3) + 3) / 4, 6) AS ndcg,
       round(map::numeric, 6) = round((1/2.0 + 3) / 4, 6) AS map,
       round(coverage::numeric, 6) = round(5 / 6.0, 6) AS coverage
  FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 2, 4);

-- k = 3, larger than user 4's two candidates; relevant_min NULL
--   user 1: list (4, 5, 6), relevant {5, 6}: hits at ranks 2 and 3
--           precision 2/3, recall 1, DCG = L + 1/2, IDCG = 1 + L,
--           AP = (1/2 + 2/3) / 2
--   user 2: list (3, 5, 6), relevant {3}: hit at rank 1: 1/3, 1, 1, 1
--   user 3: list (3, 4, 6), relevant {6}: hit at rank 3
--           precision 1/3, recall 1, NDCG = (1/2) / 1, AP = (1/3) / 1
--   user 4: list (2, 5), relevant {2, 5}: hits at ranks 1 and 2
--           precision 2/3 (hits / k, the list being shorter), recall 1,
--           NDCG 1, AP (1/1 + 2/2) / 2 = 1
--   user 9: list (1, 2, 3), relevant {1, 4, 5}: hit at rank 1
--           precision 1/3, recall 1/3, IDCG = 1 + L + 1/2, AP = 1 / 3
-- 5 users: hit rate 1; coverage 6/6 (user 1's list has 6, user 9's has 1)
SELECT users,
       round(hit_rate::numeric, 6) = 1 AS hit_rate,
       round(precision::numeric, 6) = round((2/3.0 + 1/3.0 + 1/3.0 + 2/3.0 + 1/3.0) / 5, 6) AS precision,
       round(recall::numeric, 6) = round((1 + 1 + 1 + 1 + 1/3.0) / 5, 6) AS recall,
       round(ndcg::numeric, 6) = round(((1 / log(2, 3) + 1/2.0) / (1 + 1 / log(2, 3)) + 1 + 1/2.0 + 1
                                        + 1 / (1 + 1 / log(2, 3) + 1/2.0)) / 5, 6) AS ndcg,
       round(map::numeric, 6) = round(((1/2.0 + 2/3.0) / 2 + 1 + 1/3.0 + 1 + 1/3.0) / 5, 6) AS map,
       round(coverage::numeric, 6) = 1 AS coverage
  FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 3);

-- k = 10, more than the model's 6 items: the lists are those of k = 3 but
-- user 9's, which is the whole list 1 2 3 4 5 6 with hits at ranks 1, 4, 5
--   precision = hits / k (README "Evaluating lists"):
--     (2 + 1 + 1 + 2 + 3) / 10 / 5
--   recall: every relevant item of every user is listed: 1
--   user 9: DCG = 1 + 1/log2(5) + 1/log2(6), IDCG = 1 + L + 1/2,
--           AP = (1/1 + 2/4 + 3/5) / min(3, 10)
--   the others: NDCG and AP as for k = 3
SELECT users,
       round(hit_rate::numeric, 6) = 1 AS hit_rate,
       round(precision::numeric, 6) = round((2 + 1 + 1 + 2 + 3) / 10.0 / 5, 6) AS precision,
       round(recall::numeric, 6) = 1 AS recall,
       round(ndcg::numeric, 6) = round(((1 / log(2, 3) + 1/2.0) / (1 + 1 / log(2, 3)) + 1 + 1/2.0 + 1
                                        + (1 + 1 / log(2, 5) + 1 / log(2, 6)) / (1 + 1 / log(2, 3) + 1/2.0)) / 5, 6) AS ndcg,
       round(map::numeric, 6) = round(((1/2.0 + 2/3.0) / 2 + 1 + 1/3.0 + 1 + (1 + 2/4.0 + 3/5.0) / 3) / 5, 6) AS map,
       round(coverage::numeric, 6) = 1 AS coverage
  FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 10);

-- a relevant item the model does not know counts as relevant and is never
-- listed.  User 2 also rated item 0 (below every item id of the model) in
-- rk_test_low, or item 7 (above them) in rk_test_high; relevant {3, 0} or
-- {3, 7}, k = 2, relevant_min NULL:
--   user 2: list (3, 5): hit at rank 1, precision 1/2, recall 1/2,
--           DCG = 1, IDCG = 1 + L, AP = 1 / min(2, 2)
--   the others as in the first case (k = 2)
-- 5 users: hit rate 4/5, precision 1/2, recall (1/2 + 1/2 + 0 + 1 + 1/3) / 5,
-- NDCG (L/(1+L) + 1/(1+L) + 0 + 1 + 1/(1+L)) / 5, MAP (1/4 + 1/2 + 0 + 1 + 1/2) / 5,
-- coverage 5/6; the same for both tables
CREATE TABLE rk_test_low AS SELECT * FROM rk_test;
INSERT INTO rk_test_low VALUES (2, 0, 5);
CREATE TABLE rk_test_high AS SELECT * FROM rk_test;
INSERT INTO rk_test_high VALUES (2, 7, 5);
SELECT t AS source, users,
       round(hit_rate::numeric, 6) = round(4 / 5.0, 6) AS hit_rate,
       round(precision::numeric, 6) = round(1 / 2.0, 6) AS precision,
       round(recall::numeric, 6) = round((1/2.0 + 1/2.0 + 0 + 1 + 1/3.0) / 5, 6) AS recall,
       round(ndcg::numeric, 6) = round(((1 / log(2, 3)) / (1 + 1 / log(2, 3)) + 1 / (1 + 1 / log(2, 3))
                                        + 0 + 1 + 1 / (1 + 1 / log(2, 3))) / 5, 6) AS ndcg,
       round(map::numeric, 6) = round((1/4.0 + 1/2.0 + 0 + 1 + 1/2.0) / 5, 6) AS map,
       round(coverage::numeric, 6) = round(5 / 6.0, 6) AS coverage
  FROM unnest(ARRAY['rk_test_low', 'rk_test_high']) t,
       LATERAL recsys_evaluate_ranking('rk_pop', t::regclass, 2) e
 ORDER BY t DESC;

-- the lists are recsys_recommend's: the first case's NDCG from SQL, with
-- each user's k = 2 list and the relevant items of rk_test
SELECT round(e.ndcg::numeric, 6) = round(s.ndcg::numeric, 6) AS ndcg_as_in_sql
  FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 2) e,
       (SELECT avg(dcg / idcg) AS ndcg
          FROM (SELECT u.user_id,
                       (SELECT coalesce(sum(1 / log(2, r.ord + 1)), 0)
                          FROM recsys_recommend('rk_pop', u.user_id, 2) WITH ORDINALITY r(item_id, score, ord)
                         WHERE r.item_id IN (SELECT item_id FROM rk_test t WHERE t.user_id = u.user_id)) AS dcg,
                       (SELECT sum(1 / log(2, j + 1))
                          FROM generate_series(1, least(2, (SELECT count(DISTINCT item_id) FROM rk_test t
                                                             WHERE t.user_id = u.user_id))) j) AS idcg
                  FROM (SELECT DISTINCT user_id FROM rk_test) u) per_user) s;

-- a model without ratings counts every row relevant, relevant_min or not:
-- popularity on the same pairs without ratings has the same lists, so the
-- first case again, and relevant_min 4 changes nothing; its source needs
-- no rating column
SELECT recsys_train('popularity', 'rk_train', 'rk_pop_implicit', '{"rating_column": null}');
CREATE TABLE rk_test_pairs AS SELECT user_id, item_id FROM rk_test;
SELECT users,
       round(ndcg::numeric, 6) = round(((1 / log(2, 3)) / (1 + 1 / log(2, 3)) + 1 + 0 + 1
                                        + 1 / (1 + 1 / log(2, 3))) / 5, 6) AS ndcg,
       round(map::numeric, 6) = round((1/4.0 + 1 + 0 + 1 + 1/2.0) / 5, 6) AS map
  FROM recsys_evaluate_ranking('rk_pop_implicit', 'rk_test_pairs', 2, 4);

-- ---------------------------------------------------------------------------
-- (b) the popularity kind
--
-- recsys_recommend: the most-rated items the user has not rated, equal
-- counts by item id; the same list for a known user with exclude_rated
-- false and for a user the model does not know
SELECT array_agg(item_id ORDER BY ord) AS user_1
  FROM recsys_recommend('rk_pop', 1, 10) WITH ORDINALITY r(item_id, score, ord);
SELECT array_agg(item_id ORDER BY ord) AS user_1_all
  FROM recsys_recommend('rk_pop', 1, 10, false) WITH ORDINALITY r(item_id, score, ord);
SELECT array_agg(item_id ORDER BY ord) AS unknown_user_k3
  FROM recsys_recommend('rk_pop', 9, 3) WITH ORDINALITY r(item_id, score, ord);
-- the score is the item's count of training rows (README: "its score is
-- that count"), also for counts outside the rating range (here 2 to 5)
SELECT bool_and(r.score = c.n) AS scores_are_counts
  FROM recsys_recommend('rk_pop', 9, 10) r
  JOIN (SELECT item_id, count(*) AS n FROM rk_train GROUP BY item_id) c USING (item_id);
-- recsys_predict: the item's mean rating shrunk towards the global mean (4)
-- by "shrinkage" (10) pseudo-ratings, (sum + 10 * 4) / (count + 10):
--   item 1: (17 + 40) / 14   item 2: (13 + 40) / 13   item 3: (7 + 40) / 12
--   item 4: (8 + 40) / 12    item 5: (5 + 40) / 11    item 6: (2 + 40) / 11
-- the same for every user, known or not; an unknown item gets the global mean
SELECT i AS item_id,
       abs(recsys_predict('rk_pop', 1, i) - d.damped) < 1e-5 AS damped_mean,
       recsys_predict('rk_pop', 1, i) BETWEEN least(d.mean, 4) AND greatest(d.mean, 4) AS between_means,
       recsys_predict('rk_pop', 1, i) = recsys_predict('rk_pop', 9, i) AS same_for_unknown_user
  FROM generate_series(1, 6) i
  JOIN (SELECT item_id, (sum(rating)::float8 + 10 * 4) / (count(*) + 10) AS damped, avg(rating) AS mean
          FROM rk_train GROUP BY item_id) d ON d.item_id = i
 ORDER BY i;
SELECT abs(recsys_predict('rk_pop', 1, 100) - 4) < 1e-6 AS unknown_item_global_mean,
       abs(recsys_predict('rk_pop', 9, 100) - 4) < 1e-6 AS both_unknown_global_mean;
-- shrinkage 0: the plain item mean
SELECT recsys_train('popularity', 'rk_train', 'rk_pop_raw', '{"shrinkage": 0}');
SELECT bool_and(abs(recsys_predict('rk_pop_raw', 1, item_id) - mean) < 1e-5) AS plain_mean
  FROM (SELECT item_id, avg(rating) AS mean FROM rk_train GROUP BY item_id) s;
-- without ratings, predict is the count (README "The popularity kind")
SELECT bool_and(recsys_predict('rk_pop_implicit', 1, item_id) = n) AS predict_is_count
  FROM (SELECT item_id, count(*) AS n FROM rk_train GROUP BY item_id) s;

-- ---------------------------------------------------------------------------
-- (c) the ranking head of mf
--
-- lists where the ranking head must beat popularity: 60 users and 30 items;
-- user u has item i when (37 u + 11 i) mod 100 is below 50 if u and i are
-- in the same group (id mod 3), below 5 if not, so users whose 37 u mod 100
-- are close share their items, every item has about as many rows as any
-- other, and only the other users say which items a user picks.
-- (recsys_synthetic_ratings does not do here: which items a user rates is
-- drawn by Zipf popularity alone, src/core/synthetic.c, so on it the
-- popularity list is the best list there is.)
CREATE TABLE rk_groups AS
SELECT u::bigint AS user_id, i::bigint AS item_id, (1 + (u + 2 * i) % 5)::real AS rating
  FROM generate_series(1, 60) u, generate_series(1, 30) i
 WHERE (u * 37 + i * 11) % 100 < CASE WHEN u % 3 = i % 3 THEN 50 ELSE 5 END;
CREATE TABLE rk_groups_train AS SELECT * FROM rk_groups WHERE (user_id * 7 + item_id) % 5 <> 0;
CREATE TABLE rk_groups_test AS SELECT * FROM rk_groups WHERE (user_id * 7 + item_id) % 5 = 0;
SELECT recsys_train('mf', 'rk_groups_train', 'rk_groups_mf');
SELECT recsys_train('popularity', 'rk_groups_train', 'rk_groups_pop');
SELECT m.ndcg > p.ndcg + 0.3 AS mf_beats_popularity,
       m.hit_rate > p.hit_rate AS mf_hits_more
  FROM recsys_evaluate_ranking('rk_groups_mf', 'rk_groups_test', 5) m,
       recsys_evaluate_ranking('rk_groups_pop', 'rk_groups_test', 5) p;

-- mf with default options on synthetic data: recsys_evaluate_ranking runs,
-- counts the users with a held-out row, and its metrics are in range
CREATE TABLE rk_syn AS SELECT * FROM recsys_synthetic_ratings(200, 100, 6000, 5);
CREATE TABLE rk_syn_train AS SELECT * FROM rk_syn WHERE (user_id * 7 + item_id) % 5 <> 0;
CREATE TABLE rk_syn_test AS SELECT * FROM rk_syn WHERE (user_id * 7 + item_id) % 5 = 0;
SELECT recsys_train('mf', 'rk_syn_train', 'rk_both', '{"seed": 1}');
SELECT options->>'objective' AS objective FROM recsys_models WHERE name = 'rk_both';
SELECT users = (SELECT count(DISTINCT user_id) FROM rk_syn_test) AS all_users,
       hit_rate BETWEEN 0 AND 1 AND precision BETWEEN 0 AND hit_rate AS hit_rate_precision,
       recall BETWEEN 0 AND 1 AND ndcg BETWEEN 0 AND 1 AND map BETWEEN 0 AND 1 AS in_range,
       ndcg > 0 AS some_hits,
       coverage > 0 AND coverage <= 1 AS coverage
  FROM recsys_evaluate_ranking('rk_both', 'rk_syn_test');
-- relevant_min 4: fewer users (those with a held-out rating of 4 or more)
SELECT users = (SELECT count(DISTINCT user_id) FROM rk_syn_test WHERE rating >= 4) AS relevant_users
  FROM recsys_evaluate_ranking('rk_both', 'rk_syn_test', 10, 4);

-- the objectives, one seed: "rating" trains the rating loss only,
-- "ranking" the ranking head only, "both" (the default) one then the other
SELECT recsys_train('mf', 'rk_syn_train', 'rk_rating', '{"seed": 1, "objective": "rating"}');
SELECT recsys_train('mf', 'rk_syn_train', 'rk_ranking', '{"seed": 1, "objective": "ranking"}');
SELECT name,
       (SELECT count(*) FROM recsys_tensors t WHERE t.model_id = m.id AND t.tensor LIKE 'rank\_%') AS rank_tensors,
       (metrics->>'n_epochs')::int > 0 AS rating_epochs
  FROM recsys_models m WHERE name IN ('rk_both', 'rk_rating', 'rk_ranking') ORDER BY name;
-- "both" predicts what "rating" predicts
SELECT bool_and(recsys_predict('rk_both', user_id, item_id)
                = recsys_predict('rk_rating', user_id, item_id)) AS both_predicts_rating,
       bool_and(recsys_predict('rk_both', user_id, item_id) BETWEEN 1 AND 5) AS in_rating_range
  FROM rk_syn_test;
-- "both" recommends by the ranking head: its scores are the "ranking"
-- model's (the same head), not clipped ratings (some below the lowest
-- rating, 1), and not its own predictions
SELECT count(*) AS n,
       bool_and(abs(score - recsys_predict('rk_ranking', 7, item_id)) < 1e-6) AS ranking_scores,
       bool_or(score < 1) AS below_rating_range,
       bool_and(abs(score - recsys_predict('rk_both', 7, item_id)) > 1e-3) AS not_predictions
  FROM recsys_recommend('rk_both', 7, 20);
-- "rating" recommends by predicted rating: its scores are its predictions
-- and the best is the best prediction among the unrated items
SELECT bool_and(abs(score - recsys_predict('rk_rating', 7, item_id)) < 1e-4) AS scores_are_predictions,
       bool_and(score BETWEEN 1 AND 5) AS in_rating_range
  FROM recsys_recommend('rk_rating', 7, 20);
SELECT (SELECT item_id FROM recsys_recommend('rk_rating', 7, 1)) =
       (SELECT i.item_id FROM (SELECT DISTINCT item_id FROM rk_syn_train) i
         WHERE i.item_id NOT IN (SELECT item_id FROM rk_syn_train WHERE user_id = 7)
         ORDER BY recsys_predict('rk_rating', 7, i.item_id) DESC, i.item_id LIMIT 1) AS best_prediction;
-- "ranking": recsys_predict returns the ranking score, the number recommend
-- ranks by; an unknown user's is the item's count of training rows, an
-- unknown item's 0
SELECT bool_and(abs(recsys_predict('rk_ranking', 7, item_id) - score) < 1e-6) AS predict_is_score
  FROM recsys_recommend('rk_ranking', 7, 20);
SELECT bool_and(recsys_predict('rk_ranking', 100000, item_id) = n) AS unknown_user_count,
       bool_and(recsys_predict('rk_ranking', 7, 100000) = 0) AS unknown_item_zero
  FROM (SELECT item_id, count(*) AS n FROM rk_syn_train GROUP BY item_id) s;
-- the three rank the held-out items: "both" and "ranking" alike
SELECT round(b.ndcg::numeric, 9) = round(r.ndcg::numeric, 9) AS same_lists
  FROM recsys_evaluate_ranking('rk_both', 'rk_syn_test') b,
       recsys_evaluate_ranking('rk_ranking', 'rk_syn_test') r;

-- ---------------------------------------------------------------------------
-- (d) errors
\set VERBOSITY terse
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 0);
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_test', -3);
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_test', NULL);
SELECT * FROM recsys_evaluate_ranking(NULL, 'rk_test');
SELECT * FROM recsys_evaluate_ranking('rk_pop', NULL);
SELECT * FROM recsys_evaluate_ranking('rk_no_such_model', 'rk_test');
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_no_such_table');
-- a source without the model's columns
CREATE TABLE rk_other_columns (u bigint, i bigint, r real);
INSERT INTO rk_other_columns VALUES (1, 5, 5);
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_other_columns');
-- relevant_min needs the rating column; NULL does not
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_test_pairs', 2, 4);
SELECT users FROM recsys_evaluate_ranking('rk_pop', 'rk_test_pairs', 2);
-- no relevant row: relevant_min above every rating, or an empty source
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 2, 6);
CREATE TABLE rk_empty (LIKE rk_test);
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_empty');
SELECT * FROM recsys_evaluate_ranking('rk_pop', 'rk_test', 2, 'NaN');
-- recsys_evaluate compares ratings: not for a model without them
SELECT * FROM recsys_evaluate('rk_pop_implicit', 'rk_test');
\set VERBOSITY default
-- the options of the ranking head: the hint lists the valid values or the range
SELECT recsys_train('mf', 'rk_train', 'rk_bad', '{"objective": "precision"}');
SELECT recsys_train('mf', 'rk_train', 'rk_bad', '{"rank_factors": 0}');
SELECT recsys_train('mf', 'rk_train', 'rk_bad', '{"rank_unobserved_weight": -1}');
-- without ratings only the ranking objective can be trained
SELECT recsys_train('mf', 'rk_train', 'rk_bad', '{"rating_column": null, "objective": "both"}');
-- popularity has no ranking head
SELECT recsys_train('popularity', 'rk_train', 'rk_bad', '{"objective": "ranking"}');
SELECT count(*) AS bad_models FROM recsys_models WHERE name = 'rk_bad';

SELECT recsys_drop(name) FROM recsys_models WHERE name LIKE 'rk\_%' ORDER BY name;
DROP TABLE rk_train, rk_test, rk_test_low, rk_test_high, rk_test_pairs,
           rk_groups, rk_groups_train, rk_groups_test, rk_syn, rk_syn_train,
           rk_syn_test, rk_other_columns, rk_empty;
