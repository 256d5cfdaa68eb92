-- the lstm kind: training on each user's ratings in time order, serving a
-- training user and a history given at query time
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE tl_ratings AS SELECT * FROM recsys_synthetic_ratings(60, 40, 1500, 6);
-- a few steps of a small network (the option values are also those of the
-- recsys_fit calls below); "objective": "rating" trains the network alone,
-- and recommend ranks by its ratings (the default, with the ranking head,
-- is at the end)
SELECT recsys_train('lstm', 'tl_ratings', 'tl_m',
                    '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4, "objective": "rating"}');
SELECT name, kind, n_users, n_items,
       n_ratings = (SELECT count(*) FROM tl_ratings) AS all_rows,
       options->'seq_len' AS seq_len, options->>'time_column' AS time_column,
       jsonb_array_length(metrics->'history') BETWEEN 1 AND 3 AS has_history
  FROM recsys_models WHERE name = 'tl_m';

-- predictions for training users stay in the rating range, and vary
SELECT bool_and(p BETWEEN 1 AND 5) AS in_range, count(DISTINCT p) > 10 AS varied
  FROM (SELECT recsys_predict('tl_m', user_id, item_id) AS p FROM tl_ratings) s;
-- unknown users and items are served too (cold start), in range
SELECT recsys_predict('tl_m', -1, 1) BETWEEN 1 AND 5 AS unknown_user,
       recsys_predict('tl_m', 1, -1) BETWEEN 1 AND 5 AS unknown_item,
       recsys_predict('tl_m', -1, -1) BETWEEN 1 AND 5 AS both_unknown;

-- recommend: k rows, best first, scores equal to the predictions
SELECT count(*) AS k FROM recsys_recommend('tl_m', 7, 5);
SELECT bool_and(score <= prev) AS ordered
  FROM (SELECT score, lag(score, 1, 'infinity') OVER (ORDER BY ord) AS prev
          FROM recsys_recommend('tl_m', 7, 10, false) WITH ORDINALITY r(item_id, score, ord)) s;
SELECT count(*) AS n, bool_and(abs(score - recsys_predict('tl_m', 7, item_id)) < 1e-4) AS same
  FROM recsys_recommend('tl_m', 7, 1000, false);
-- no rated item when exclude_rated
SELECT count(*) AS rated_returned
  FROM recsys_recommend('tl_m', 7, 1000) r
  JOIN tl_ratings t ON t.user_id = 7 AND t.item_id = r.item_id;

-- evaluate
SELECT n = (SELECT count(*) FROM tl_ratings) AS all_rows, rmse < 2 AS rmse_bounded,
       mae <= rmse AS mae_le_rmse
  FROM recsys_evaluate('tl_m', 'tl_ratings');

-- recsys_fit with the time as timestamptz or as a number trains the same
-- model as recsys_train: only the order of each user's ratings counts
SELECT recsys_store('tl_fit_ts',
         recsys_fit('lstm', user_id, item_id, rating, ts,
                    '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4, "objective": "rating"}'))
  FROM tl_ratings;
SELECT recsys_store('tl_fit_epoch',
         recsys_fit('lstm', user_id, item_id, rating, extract(epoch FROM ts)::float8,
                    '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4, "objective": "rating"}'))
  FROM tl_ratings;
SELECT bool_and(abs(recsys_predict('tl_fit_ts', user_id, item_id)
                    - recsys_predict('tl_m', user_id, item_id)) < 1e-9) AS ts_same,
       bool_and(abs(recsys_predict('tl_fit_epoch', user_id, item_id)
                    - recsys_predict('tl_m', user_id, item_id)) < 1e-9) AS epoch_same
  FROM tl_ratings;
-- parallel workers ship each row's time with it: the same model again
ANALYZE tl_ratings;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT recsys_fit('lstm', user_id, item_id, rating, ts,
                  '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4, "objective": "rating"}')
  FROM tl_ratings;
CREATE TABLE tl_parallel AS
SELECT recsys_fit('lstm', user_id, item_id, rating, ts,
                  '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4, "objective": "rating"}') AS model
  FROM tl_ratings;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
SELECT recsys_store('tl_parallel', model) FROM tl_parallel;
SELECT bool_and(abs(recsys_predict('tl_parallel', user_id, item_id)
                    - recsys_predict('tl_m', user_id, item_id)) < 1e-9) AS parallel_same
  FROM tl_ratings;
-- the order matters: reversed time trains another model
SELECT recsys_store('tl_fit_reversed',
         recsys_fit('lstm', user_id, item_id, rating, -extract(epoch FROM ts)::float8,
                    '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4, "objective": "rating"}'))
  FROM tl_ratings;
SELECT bool_or(abs(recsys_predict('tl_fit_reversed', user_id, item_id)
                   - recsys_predict('tl_m', user_id, item_id)) > 1e-6) AS reversed_differs
  FROM tl_ratings;
-- mf given a time trains as without it
SELECT recsys_store('tl_mf_ts', recsys_fit('mf', user_id, item_id, rating, ts, '{"seed": 1, "epochs": 3}')),
       recsys_store('tl_mf', recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "epochs": 3}'))
  FROM tl_ratings;
SELECT bool_and(recsys_predict('tl_mf_ts', user_id, item_id)
                = recsys_predict('tl_mf', user_id, item_id)) AS mf_ignores_time
  FROM tl_ratings;

-- a history given at query time: user 7's ratings in time order (longer
-- than seq_len, 4)
CREATE TABLE tl_hist AS
SELECT array_agg(item_id ORDER BY ts, item_id) AS items,
       array_agg(rating ORDER BY ts, item_id) AS ratings,
       count(*) AS n
  FROM tl_ratings WHERE user_id = 7;
SELECT n > 4 AS longer_than_seq_len FROM tl_hist;
-- predictions from a history stay in range
SELECT bool_and(recsys_predict('tl_m', h.items, h.ratings, i) BETWEEN 1 AND 5) AS in_range
  FROM tl_hist h, generate_series(1, 40) i;
-- the two history forms agree: recommend's score is predict's prediction
SELECT count(*) AS n,
       bool_and(abs(r.score - recsys_predict('tl_m', h.items, h.ratings, r.item_id)) < 1e-4) AS same
  FROM tl_hist h, LATERAL recsys_recommend('tl_m', h.items, h.ratings, 1000, false) r;
-- best first, k rows, 10 by default
SELECT count(*) AS k FROM tl_hist h, LATERAL recsys_recommend('tl_m', h.items, h.ratings, 5) r;
SELECT count(*) AS default_k FROM tl_hist h, LATERAL recsys_recommend('tl_m', h.items, h.ratings) r;
SELECT bool_and(score <= prev) AS ordered
  FROM (SELECT score, lag(score, 1, 'infinity') OVER (ORDER BY ord) AS prev
          FROM tl_hist h,
               LATERAL recsys_recommend('tl_m', h.items, h.ratings, 40, false)
                       WITH ORDINALITY r(item_id, score, ord)) s;
-- only the newest seq_len steps count
SELECT bool_and(abs(recsys_predict('tl_m', h.items, h.ratings, i)
                    - recsys_predict('tl_m', h.items[h.n - 3:h.n], h.ratings[h.n - 3:h.n], i)) < 1e-6) AS newest_only,
       bool_or(abs(recsys_predict('tl_m', h.items, h.ratings, i)
                   - recsys_predict('tl_m', h.items[h.n - 2:h.n], h.ratings[h.n - 2:h.n], i)) > 1e-6) AS three_differ
  FROM tl_hist h, generate_series(1, 40) i;
-- unknown items are dropped before the newest steps are taken
SELECT bool_and(abs(recsys_predict('tl_m', ARRAY[-1] || h.items || ARRAY[100000::bigint],
                                   ARRAY[5::real] || h.ratings || ARRAY[1::real], i)
                    - recsys_predict('tl_m', h.items, h.ratings, i)) < 1e-6) AS unknown_dropped
  FROM tl_hist h, generate_series(1, 40) i;
-- the ratings of the history count (they are fed back into the network)
SELECT bool_or(abs(recsys_predict('tl_m', h.items, array_fill(1::real, ARRAY[h.n::int]), i)
                   - recsys_predict('tl_m', h.items, array_fill(5::real, ARRAY[h.n::int]), i)) > 1e-6) AS ratings_count
  FROM tl_hist h, generate_series(1, 40) i;
-- the history's items are left out when exclude_rated (the default)
SELECT count(*) AS history_items_returned
  FROM tl_hist h, LATERAL recsys_recommend('tl_m', h.items, h.ratings, 1000) r
 WHERE r.item_id = ANY (h.items);
SELECT count(*) = 40 - (SELECT count(DISTINCT item_id) FROM tl_ratings WHERE user_id = 7) AS all_others
  FROM tl_hist h, LATERAL recsys_recommend('tl_m', h.items, h.ratings, 1000) r;
-- an empty history is a cold start: the unknown user's predictions
SELECT bool_and(abs(recsys_predict('tl_m', '{}'::bigint[], '{}'::real[], i)
                    - recsys_predict('tl_m', -1, i)) < 1e-4) AS empty_is_unknown_user
  FROM generate_series(1, 40) i;
SELECT count(*) AS n,
       bool_and(abs(score - recsys_predict('tl_m', -1, item_id)) < 1e-4) AS same
  FROM recsys_recommend('tl_m', '{}'::bigint[], '{}'::real[], 1000);
-- one history per row of a query
SELECT count(*) AS rows, count(DISTINCT user_id) AS users
  FROM (SELECT user_id, array_agg(item_id ORDER BY ts, item_id) AS items,
               array_agg(rating ORDER BY ts, item_id) AS ratings
          FROM tl_ratings WHERE user_id <= 5 GROUP BY user_id) h,
       LATERAL recsys_recommend('tl_m', h.items, h.ratings, 3, false) r;

-- the default objective ("both"): the same network, then the ranking head
SELECT recsys_train('lstm', 'tl_ratings', 'tl_both',
                    '{"seed": 1, "epochs": 3, "factors": 8, "hidden": 8, "seq_len": 4}');
SELECT options->>'objective' AS objective, options->'rank_recency' AS rank_recency
  FROM recsys_models WHERE name = 'tl_both';
-- predict is the network's, for a training user and after a history
SELECT bool_and(recsys_predict('tl_both', user_id, item_id)
                = recsys_predict('tl_m', user_id, item_id)) AS same_network
  FROM tl_ratings;
SELECT bool_and(abs(recsys_predict('tl_both', h.items, h.ratings, i)
                    - recsys_predict('tl_m', h.items, h.ratings, i)) < 1e-9) AS same_history_predictions
  FROM tl_hist h, generate_series(1, 40) i;
-- recommend ranks by the head: scores are not the network's ratings
SELECT count(*) AS n, bool_and(abs(score - recsys_predict('tl_both', 7, item_id)) > 1e-3) AS not_predictions
  FROM recsys_recommend('tl_both', 7, 1000, false);
SELECT bool_and(score <= prev) AS ordered
  FROM (SELECT score, lag(score, 1, 'infinity') OVER (ORDER BY ord) AS prev
          FROM recsys_recommend('tl_both', 7, 40, false) WITH ORDINALITY r(item_id, score, ord)) s;
-- from a history the user's row of the head is solved from the history's
-- items: their ratings do not count, their order does (rank_recency), and
-- they are left out when exclude_rated
SELECT count(*) AS n, count(*) FILTER (WHERE r.item_id = ANY (h.items)) AS history_items_returned
  FROM tl_hist h, LATERAL recsys_recommend('tl_both', h.items, h.ratings, 1000) r;
SELECT bool_and(abs(a.score - b.score) < 1e-6 AND a.item_id = b.item_id) AS ratings_ignored
  FROM tl_hist h,
       LATERAL recsys_recommend('tl_both', h.items, array_fill(1::real, ARRAY[h.n::int]), 40, false)
               WITH ORDINALITY a(item_id, score, ord)
       JOIN LATERAL recsys_recommend('tl_both', h.items, array_fill(5::real, ARRAY[h.n::int]), 40, false)
               WITH ORDINALITY b(item_id, score, ord) ON a.ord = b.ord;
SELECT bool_or(abs(a.score - b.score) > 1e-6) AS order_counts
  FROM tl_hist h,
       LATERAL recsys_recommend('tl_both', h.items, h.ratings, 40, false) a
       JOIN LATERAL (SELECT * FROM recsys_recommend('tl_both',
                                   (SELECT array_agg(x ORDER BY o DESC) FROM unnest(h.items) WITH ORDINALITY u(x, o)),
                                   (SELECT array_agg(x ORDER BY o DESC) FROM unnest(h.ratings) WITH ORDINALITY u(x, o)),
                                   40, false)) b ON a.item_id = b.item_id;
-- an empty history is a cold start: the items by their count of rows
SELECT count(*) AS n, bool_and(r.score = c.n) AS score_is_count
  FROM recsys_recommend('tl_both', '{}'::bigint[], '{}'::real[], 1000) r
  JOIN (SELECT item_id, count(*) AS n FROM tl_ratings GROUP BY item_id) c USING (item_id);

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE tl_ratings, tl_hist, tl_parallel;
