-- demo.sql: train recsys models and show what they do (run by scripts/demo.sh
-- inside a throw-away cluster).
--   psql -v ml_dir=/path/to/ml-100k -v use_movielens=1 -f scripts/demo.sql
-- With use_movielens=0 it trains on synthetic ratings instead.
\set ON_ERROR_STOP on
\set QUIET on
\pset footer off
SET client_min_messages = warning;	-- no per-epoch NOTICEs: keep it short
CREATE EXTENSION recsys;

\if :use_movielens
\set with_titles 1
\ir movielens.sql
CREATE VIEW ratings_train AS SELECT * FROM u1_base;
CREATE VIEW ratings_test AS SELECT * FROM u1_test;
\echo 'data: MovieLens-100K u1 split (80,000 training ratings, 20,000 held out)'
\else
-- the size of MovieLens-100K; an 80/20 split by a hash of the pair
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(943, 1682, 100000, 42);
CREATE TABLE ratings_train AS
	SELECT * FROM ratings WHERE abs(hashint8(user_id * 1000003 + item_id)) % 5 <> 0;
CREATE TABLE ratings_test AS
	SELECT * FROM ratings WHERE abs(hashint8(user_id * 1000003 + item_id)) % 5 = 0;
CREATE TABLE movies AS SELECT g::bigint AS item_id, 'synthetic item ' || g AS title FROM generate_series(1, 1682) g;
SELECT count(*) AS n_train FROM ratings_train \gset
SELECT count(*) AS n_test FROM ratings_test \gset
\echo 'data: synthetic ratings (943 users, 1682 items), ':n_train' for training, ':n_test' held out'
\echo '      (point MOVIELENS at an ml-100k folder to use MovieLens-100K)'
\endif

-- train every kind this build has (today mf; dense and lstm when they land)
SELECT EXISTS (SELECT 1 FROM recsys_options() WHERE kind = 'dense') AS has_dense,
       EXISTS (SELECT 1 FROM recsys_options() WHERE kind = 'lstm') AS has_lstm \gset

\echo
\echo 'training mf with default options ...'
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train('mf', 'ratings_train', 'demo_mf') AS ignored \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS secs \gset
\echo '  done in ':secs' s'
\if :has_dense
\echo 'training dense with default options ...'
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train('dense', 'ratings_train', 'demo_dense') AS ignored \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS secs \gset
\echo '  done in ':secs' s'
\endif
\if :has_lstm
\echo 'training lstm with default options (each user''s ratings in time order) ...'
SELECT clock_timestamp() AS t0 \gset
SELECT recsys_train('lstm', 'ratings_train', 'demo_lstm') AS ignored \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS secs \gset
\echo '  done in ':secs' s'
\endif

\echo
\echo 'accuracy on the held-out ratings (rmse in stars; rmse_scaled on ratings mapped to [0,1],'
\echo 'the scale of the "PyTorch for Recommenders 101" article, whose figures are shown beside it):'
SELECT m.kind, e.n, round(e.rmse::numeric, 4) AS rmse, round(e.mae::numeric, 4) AS mae,
       round(e.rmse_scaled::numeric, 4) AS rmse_scaled, a.article AS article_rmse_scaled
  FROM (VALUES ('mf', 0.66, 1), ('dense', 0.28, 2), ('lstm', 0.43, 3)) AS a (kind, article, ord)
  JOIN recsys_models m ON m.name = 'demo_' || a.kind
 CROSS JOIN LATERAL recsys_evaluate(m.name, 'ratings_test') e
 ORDER BY a.ord;

\echo
\echo 'top-10 lists on the held-out ratings: relevant = rated 4 or more; every item the user did'
\echo 'not rate in training is a candidate; popularity (the most-rated items) is the baseline to beat:'
SELECT recsys_train('popularity', 'ratings_train', 'demo_popularity') AS ignored \gset
SELECT a.kind, e.users, round(e.ndcg::numeric, 4) AS ndcg_at_10, round(e.hit_rate::numeric, 4) AS hit_rate,
       round(e.recall::numeric, 4) AS recall, round(e.coverage::numeric, 4) AS coverage,
       round((e.ndcg / p.ndcg)::numeric, 2) AS vs_popularity
  FROM (VALUES ('popularity', 0), ('mf', 1), ('dense', 2), ('lstm', 3)) AS a (kind, ord)
  JOIN recsys_models m ON m.name = 'demo_' || a.kind
 CROSS JOIN LATERAL recsys_evaluate_ranking(m.name, 'ratings_test', 10, 4) e
 CROSS JOIN recsys_evaluate_ranking('demo_popularity', 'ratings_test', 10, 4) p
 ORDER BY a.ord;

-- a sample user: the lowest id
SELECT min(user_id) AS uid FROM ratings_train \gset
\echo 'user ':uid' rated highest (training data):'
SELECT r.item_id, r.rating, coalesce(mv.title, '') AS title
  FROM ratings_train r LEFT JOIN movies mv ON mv.item_id = r.item_id
 WHERE r.user_id = :uid
 ORDER BY r.rating DESC, r.item_id
 LIMIT 5;
\echo 'top-10 recommendations for user ':uid' by mf (rated items left out; score: the ranking'
\echo 'objective''s, about 0 to 1; predicted: recsys_predict''s rating of the item):'
SELECT rec.item_id, round(rec.score::numeric, 3) AS score,
       round(recsys_predict('demo_mf', :uid, rec.item_id)::numeric, 2) AS predicted,
       coalesce(mv.title, '') AS title
  FROM recsys_recommend('demo_mf', :uid, 10) WITH ORDINALITY AS rec (item_id, score, rank)
  LEFT JOIN movies mv ON mv.item_id = rec.item_id
 ORDER BY rec.rank;
\if :has_lstm
\echo 'top-5 recommendations for user ':uid' by lstm (its list leans towards its latest ratings):'
SELECT rec.item_id, round(rec.score::numeric, 3) AS score,
       round(recsys_predict('demo_lstm', :uid, rec.item_id)::numeric, 2) AS predicted,
       coalesce(mv.title, '') AS title
  FROM recsys_recommend('demo_lstm', :uid, 5) WITH ORDINALITY AS rec (item_id, score, rank)
  LEFT JOIN movies mv ON mv.item_id = rec.item_id
 ORDER BY rec.rank;
-- a user the model never saw: the five items user :uid rated highest, and
-- their ratings, passed as a history (oldest first); no retraining
SELECT array_agg(item_id ORDER BY rating DESC, item_id) AS hist_items,
       array_agg(rating::real ORDER BY rating DESC, item_id) AS hist_ratings
  FROM (SELECT item_id, rating FROM ratings_train WHERE user_id = :uid
         ORDER BY rating DESC, item_id LIMIT 5) h \gset
\echo 'top-5 for a new user whose history is those five ratings, passed as arrays (lstm;'
\echo 'predicted: its rating after that history):'
SELECT rec.item_id, round(rec.score::numeric, 3) AS score,
       round(recsys_predict('demo_lstm', :'hist_items'::bigint[], :'hist_ratings'::real[], rec.item_id)::numeric, 2) AS predicted,
       coalesce(mv.title, '') AS title
  FROM recsys_recommend('demo_lstm', :'hist_items'::bigint[], :'hist_ratings'::real[], 5)
       WITH ORDINALITY AS rec (item_id, score, rank)
  LEFT JOIN movies mv ON mv.item_id = rec.item_id
 ORDER BY rec.rank;
\endif
