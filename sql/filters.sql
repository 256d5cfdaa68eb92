-- business filters of recsys_recommend (candidates, exclude) for every
-- kind and the history forms, and recsys_recommend_all: every user's list
-- equal to the per-user one
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE flt_ratings AS SELECT * FROM recsys_synthetic_ratings(60, 50, 900, 5);
SELECT recsys_train('mf', 'flt_ratings', 'flt_mf', '{"seed": 1, "factors": 4, "epochs": 3}');
SELECT recsys_train('mf', 'flt_ratings', 'flt_mf_rating', '{"seed": 1, "factors": 4, "epochs": 3, "objective": "rating"}');
SELECT recsys_train('dense', 'flt_ratings', 'flt_dense', '{"seed": 1, "factors": 4, "hidden": 8, "epochs": 2}');
SELECT recsys_train('lstm', 'flt_ratings', 'flt_lstm', '{"seed": 1, "factors": 4, "hidden": 4, "epochs": 1, "time_column": "ts"}');
SELECT recsys_train('popularity', 'flt_ratings', 'flt_pop');
CREATE TABLE flt_models (m text);
INSERT INTO flt_models VALUES ('flt_mf'), ('flt_mf_rating'), ('flt_dense'), ('flt_lstm'), ('flt_pop');

-- candidates: only they come back, best first, as many as k allows
SELECT m, count(*) AS n, bool_and(r.item_id IN (2, 4, 6, 8, 10)) AS only_candidates
  FROM flt_models, LATERAL recsys_recommend(m, 1, 3, false, candidates => ARRAY[2, 4, 6, 8, 10]) r
 GROUP BY m ORDER BY m;
-- their order is the unfiltered order of those items
SELECT m, (SELECT array_agg(item_id) FROM recsys_recommend(m, 1, 5, false, candidates => ARRAY[2, 4, 6, 8, 10]))
        = (SELECT array_agg(item_id) FROM recsys_recommend(m, 1, 50, false) WHERE item_id IN (2, 4, 6, 8, 10))
       AS same_order
  FROM flt_models ORDER BY m;
-- exclude: never the excluded items, and still k rows
SELECT m, count(*) AS n,
       bool_and(r.item_id <> ALL (ARRAY(SELECT item_id FROM recsys_recommend(m, 1, 5, false))))
         AS none_of_the_excluded
  FROM flt_models,
       LATERAL recsys_recommend(m, 1, 5, false,
                                exclude => (SELECT array_agg(item_id) FROM recsys_recommend(m, 1, 5, false))) r
 GROUP BY m ORDER BY m;
-- fewer eligible items than k: all of them, and no more
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, false,
                                           candidates => ARRAY[1, 2, 3], exclude => ARRAY[2]);
-- with the user's training items left out as well
SELECT count(*) = (SELECT count(*) FROM unnest(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]) c
                    WHERE c NOT IN (SELECT item_id FROM flt_ratings WHERE user_id = 1))
       AS rated_left_out
  FROM recsys_recommend('flt_mf', 1, 10, candidates => ARRAY[1, 2, 3, 4, 5, 6, 7, 8]);
-- unknown items are ignored; an empty candidate list leaves nothing; NULL
-- filters are no filters
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, false, candidates => ARRAY[1, 99999]);
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, false, candidates => '{}');
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, false, candidates => NULL, exclude => NULL);
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, false, exclude => ARRAY[99999]);
-- a multi-dimensional array is taken element by element
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, false, candidates => ARRAY[[1, 2], [3, 4]]);
-- NULL model, user or settings: no rows, as before the filters
SELECT count(*) AS n FROM recsys_recommend(NULL, 1, 10);
SELECT count(*) AS n FROM recsys_recommend('flt_mf', NULL, 10);
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, NULL);
SELECT count(*) AS n FROM recsys_recommend('flt_mf', 1, 10, NULL);
-- bad filters
SELECT * FROM recsys_recommend('flt_mf', 1, 10, candidates => ARRAY[1, NULL]);
SELECT * FROM recsys_recommend('flt_mf', 1, 10, exclude => ARRAY[NULL::bigint]);

-- the history forms take the filters too (lstm, and kinds with a ranking head)
SELECT m, count(*) AS n, bool_and(r.item_id IN (3, 5, 7, 9)) AS only_candidates,
       bool_and(r.item_id <> 5) AS not_excluded
  FROM unnest(ARRAY['flt_lstm', 'flt_mf']) m,
       LATERAL recsys_recommend(m, ARRAY[1, 2]::bigint[], ARRAY[4, 5]::real[], 3,
                                candidates => ARRAY[3, 5, 7, 9], exclude => ARRAY[5]) r
 GROUP BY m ORDER BY m;
SELECT count(*) AS n FROM recsys_recommend('flt_lstm', ARRAY[1, 2]::bigint[], ARRAY[4, 5]::real[], 5,
                                           candidates => ARRAY[1, 2, 3]);
SELECT count(*) AS n FROM recsys_recommend('flt_lstm', ARRAY[1, 2]::bigint[], ARRAY[4, 5]::real[], 5, false,
                                           candidates => ARRAY[1, 2, 3]);
SELECT count(*) AS n FROM recsys_recommend('flt_lstm', NULL::bigint[], ARRAY[4]::real[]);

-- every user's list at once: the per-user lists, for every kind (scores
-- to float rounding: blocks are scored by a matrix product)
CREATE TABLE flt_one AS
SELECT m, u AS user_id, r.ord::int AS rank, r.item_id, r.score
  FROM flt_models, (SELECT DISTINCT user_id FROM flt_ratings) s(u),
       LATERAL recsys_recommend(m, u, 4) WITH ORDINALITY r(item_id, score, ord);
CREATE TABLE flt_all AS
SELECT m, a.* FROM flt_models, LATERAL recsys_recommend_all(m, 4) a;
SELECT m, count(*) AS rows, count(DISTINCT user_id) AS users,
       bool_and(o.item_id = a.item_id) AS same_items,
       max(abs(o.score - a.score)) < 1e-5 AS same_scores
  FROM flt_one o FULL JOIN flt_all a USING (m, user_id, rank)
 GROUP BY m ORDER BY m;
-- without leaving out the training items, and k above the number of items
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, max(rank) AS max_rank
  FROM recsys_recommend_all('flt_mf', 1000, false);
SELECT count(*) AS rows FROM recsys_recommend_all('flt_mf', 0);
SELECT count(*) AS rows FROM recsys_recommend_all('no_such_model');
SELECT count(*) AS rows FROM recsys_recommend_all(NULL);

SELECT recsys_drop(m) FROM flt_models ORDER BY m;
DROP TABLE flt_ratings, flt_models, flt_one, flt_all;
