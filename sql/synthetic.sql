-- recsys_synthetic_ratings: size, ranges, determinism, argument errors
SELECT count(*), count(DISTINCT (user_id, item_id)) AS pairs
  FROM recsys_synthetic_ratings(100, 50, 2000, 1);
SELECT min(user_id) >= 1 AND max(user_id) <= 100 AS users_ok,
       min(item_id) >= 1 AND max(item_id) <= 50 AS items_ok,
       min(rating) >= 1 AND max(rating) <= 5 AS ratings_ok,
       bool_and(rating = round(rating)) AS whole_stars,
       count(DISTINCT rating) > 1 AS varied,
       min(ts) >= '2000-01-01 00:00+00' AS ts_ok
  FROM recsys_synthetic_ratings(100, 50, 2000, 1);
-- times increase per user, in the order the rows come out
SELECT bool_and(ts > prev) AS time_order
  FROM (SELECT user_id, ts, lag(ts) OVER (PARTITION BY user_id ORDER BY n) AS prev
          FROM recsys_synthetic_ratings(100, 50, 2000, 1) WITH ORDINALITY AS r(user_id, item_id, rating, ts, n)) s
 WHERE prev IS NOT NULL;
-- popularity skew: the most rated item has well above the average count
SELECT max(c) > 2 * avg(c) AS skewed
  FROM (SELECT item_id, count(*) AS c FROM recsys_synthetic_ratings(100, 50, 2000, 1) GROUP BY item_id) s;
-- a few rows as they come out (times from 2000-01-01 UTC)
SET TimeZone = 'UTC';
SELECT user_id, item_id, rating, date_trunc('second', ts) AS ts
  FROM recsys_synthetic_ratings(3, 4, 6, 1);
RESET TimeZone;
-- the same seed gives the same rows, another seed others
SELECT (SELECT md5(string_agg(format('%s %s %s %s', user_id, item_id, rating, ts), ',')) FROM recsys_synthetic_ratings(100, 50, 2000, 1))
     = (SELECT md5(string_agg(format('%s %s %s %s', user_id, item_id, rating, ts), ',')) FROM recsys_synthetic_ratings(100, 50, 2000, 1))
       AS same_seed_same_rows;
SELECT (SELECT md5(string_agg(format('%s %s %s', user_id, item_id, rating), ',')) FROM recsys_synthetic_ratings(100, 50, 2000, 1))
    <> (SELECT md5(string_agg(format('%s %s %s', user_id, item_id, rating), ',')) FROM recsys_synthetic_ratings(100, 50, 2000, 2))
       AS other_seed_other_rows;
-- the default seed is 0; negative seeds are fine
SELECT (SELECT sum(rating * item_id) FROM recsys_synthetic_ratings(30, 20, 100))
     = (SELECT sum(rating * item_id) FROM recsys_synthetic_ratings(30, 20, 100, 0)) AS default_seed;
SELECT count(*) FROM recsys_synthetic_ratings(30, 20, 100, -5);
-- every pair once
SELECT count(*), count(DISTINCT (user_id, item_id)) AS pairs
  FROM recsys_synthetic_ratings(10, 10, 100, 1);
SELECT count(*) FROM recsys_synthetic_ratings(1, 1, 1, 1);

\set VERBOSITY terse
SELECT * FROM recsys_synthetic_ratings(0, 10, 10);
SELECT * FROM recsys_synthetic_ratings(10, -1, 10);
SELECT * FROM recsys_synthetic_ratings(10, 10, 0);
SELECT * FROM recsys_synthetic_ratings(10, 10, 101);
SELECT * FROM recsys_synthetic_ratings(10, 10, -5);
SELECT * FROM recsys_synthetic_ratings(200000000, 10, 10);
SELECT * FROM recsys_synthetic_ratings(NULL, 10, 10);
\set VERBOSITY default
