-- user and item ids of the integer types, uuid, text and varchar, end to
-- end: training (recsys_train and the aggregate, mixed types), every
-- serving function in the model's own types, the _text forms, the
-- filters and histories, evaluation, wrong types, NULL, empty, long,
-- non-ASCII and case-different ids
SET recsys.threads = 1;
SET recsys.epoch_notices = off;

CREATE TABLE ids_int AS SELECT * FROM recsys_synthetic_ratings(80, 50, 2000, 21);
-- uuid users and text items (the common case), the same ratings
CREATE TABLE ids_keys AS
SELECT md5(user_id::text)::uuid AS user_id, 'sku-' || item_id AS item_id, rating, ts
  FROM ids_int;
-- text users and varchar items
CREATE TABLE ids_text AS
SELECT 'user ' || user_id AS user_id, ('item ' || item_id)::varchar(20) AS item_id, rating, ts
  FROM ids_int;

SELECT recsys_train('mf', 'ids_int', 'ids_int_m', '{"seed": 1, "factors": 4, "epochs": 5}');
SELECT recsys_train('mf', 'ids_keys', 'ids_keys_m', '{"seed": 1, "factors": 4, "epochs": 5}');
SELECT recsys_train('mf', 'ids_text', 'ids_text_m', '{"seed": 1, "factors": 4, "epochs": 5}');
SELECT recsys_train('lstm', 'ids_keys', 'ids_keys_lstm', '{"seed": 1, "factors": 4, "hidden": 4, "epochs": 1}');

-- the same ratings under other ids: the same sizes; the models differ only
-- by the order their ids sort in
SELECT name, n_users, n_items, n_ratings FROM recsys_models ORDER BY name;

-- predict in the model's own types; a literal is read as the model's type
SELECT recsys_predict('ids_keys_m', md5('7')::uuid, 'sku-3') BETWEEN 1 AND 5 AS uuid_text;
SELECT recsys_predict('ids_keys_m', md5('7'), 'sku-3');
SELECT recsys_predict('ids_keys_m', md5('7')::uuid, 'sku-3')
     = recsys_predict('ids_keys_m', '8f14e45f-ceea-167a-5a36-dedd4bea2543', 'sku-3') AS literal_as_uuid;
SELECT recsys_predict('ids_text_m', 'user 7', 'item 3'::varchar) BETWEEN 1 AND 5 AS text_varchar;
SELECT recsys_predict('ids_int_m', 7, 3) = recsys_predict('ids_int_m', 7::smallint, 3::bigint)
   AND recsys_predict('ids_int_m', 7, 3) = recsys_predict('ids_int_m', '7', '3') AS integer_types;
-- every rating of the training data predicted by each model
SELECT count(*) AS n,
       avg(abs(recsys_predict('ids_keys_m', k.user_id, k.item_id) - k.rating)) < 1.5 AS keys_fit,
       avg(abs(recsys_predict('ids_text_m', t.user_id, t.item_id) - t.rating)) < 1.5 AS text_fit
  FROM ids_keys k JOIN ids_text t ON t.rating = k.rating AND t.ts = k.ts
   AND t.user_id = 'user ' || (SELECT user_id FROM ids_int i WHERE md5(i.user_id::text)::uuid = k.user_id LIMIT 1);
-- unknown ids: the cold start, as for integer ids
SELECT recsys_predict('ids_keys_m', gen_random_uuid(), 'sku-3')
     = recsys_predict('ids_keys_m', '00000000-0000-0000-0000-000000000000', 'sku-3') AS unknown_user;
SELECT recsys_predict('ids_keys_m', md5('7')::uuid, 'no such sku') IS NOT NULL AS unknown_item;

-- ids that differ only in case, empty, long and non-ASCII ids are ids
CREATE TABLE ids_odd (user_id text, item_id text, rating real);
INSERT INTO ids_odd
SELECT u, i, 1 + (length(u) + length(i)) % 5
  FROM unnest(ARRAY['Anna', 'anna', 'ANNA', '', repeat('x', 1000), 'Zoë', '日本', 'a b']) u,
       unnest(ARRAY['Item', 'item', 'ITEM', '', repeat('y', 900), 'crème brûlée', 'ß']) i;
SELECT recsys_train('mf', 'ids_odd', 'ids_odd_m', '{"seed": 1, "factors": 2, "epochs": 3}');
SELECT n_users, n_items FROM recsys_models WHERE name = 'ids_odd_m';
SELECT count(DISTINCT item_id) AS items, bool_and(item_id IN ('Item', 'item', 'ITEM', '', repeat('y', 900), 'crème brûlée', 'ß')) AS own_keys
  FROM recsys_recommend_text('ids_odd_m', 'Zoë', 10, false);
SELECT count(*) AS n FROM recsys_recommend_text('ids_odd_m', '', 3, false);
SELECT count(*) AS n FROM recsys_recommend_text('ids_odd_m', repeat('x', 1000), 3, false);
-- an id longer than 1024 bytes cannot be trained on
INSERT INTO ids_odd VALUES (repeat('z', 1025), 'Item', 3);
SELECT recsys_train('mf', 'ids_odd', 'ids_odd_long');
DELETE FROM ids_odd WHERE length(user_id) = 1025;

-- lists: recsys_recommend returns bigint ids, the _text forms any ids as text
SELECT count(*) AS n, bool_and(item_id LIKE 'sku-%') AS own_keys
  FROM recsys_recommend_text('ids_keys_m', md5('7')::uuid, 5);
SELECT * FROM recsys_recommend('ids_keys_m', md5('7')::uuid, 5);
SELECT count(*) AS n FROM recsys_recommend('ids_int_m', 7, 5);
SELECT (SELECT array_agg(item_id::bigint) FROM recsys_recommend_text('ids_int_m', 7, 5))
     = (SELECT array_agg(item_id) FROM recsys_recommend('ids_int_m', 7, 5)) AS text_form_same_list;
-- the text items cast back join the source
SELECT count(*) AS joined FROM recsys_recommend_text('ids_keys_m', md5('7')::uuid, 5) r
  JOIN (SELECT DISTINCT item_id FROM ids_keys) k ON k.item_id = r.item_id;
-- filters in the item type
SELECT count(*) AS n, bool_and(item_id IN ('sku-1', 'sku-2', 'sku-3', 'sku-4')) AS only_candidates
  FROM recsys_recommend_text('ids_keys_m', md5('7')::uuid, 10, false,
                             candidates => ARRAY['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-999'],
                             exclude => '{sku-2}');
SELECT count(*) AS n FROM recsys_recommend_text('ids_keys_m', md5('7')::uuid, 10, false, candidates => ARRAY[1, 2]);
-- histories in the item type, for mf and lstm
SELECT count(*) AS n FROM recsys_recommend_text('ids_keys_m', ARRAY['sku-1', 'sku-5'], ARRAY[5, 1]::real[], 5);
SELECT count(*) AS n FROM recsys_recommend_text('ids_keys_lstm', ARRAY['sku-1', 'sku-5'], ARRAY[5, 1]::real[], 5);
SELECT recsys_predict('ids_keys_lstm', ARRAY['sku-1', 'sku-5'], ARRAY[5, 1]::real[], 'sku-9') BETWEEN 1 AND 5 AS rated;
SELECT recsys_predict('ids_keys_m', ARRAY[1, 5], ARRAY[5, 1]::real[], 'sku-9');
-- every user's list: as text, equal to the per-user lists
SELECT count(*) AS rows, count(DISTINCT user_id) AS users,
       bool_and(user_id::uuid IS NOT NULL) AS uuid_users
  FROM recsys_recommend_all_text('ids_keys_m', 3);
SELECT count(*) AS mismatches
  FROM recsys_recommend_all_text('ids_keys_m', 3) a
  LEFT JOIN LATERAL (SELECT item_id, ord FROM recsys_recommend_text('ids_keys_m', a.user_id::uuid, 3)
                     WITH ORDINALITY r(item_id, score, ord)) o ON o.ord = a.rank
 WHERE o.item_id IS DISTINCT FROM a.item_id;
SELECT count(*) FROM recsys_recommend_all('ids_keys_m', 3);
SELECT count(*) FROM recsys_recommend_all('ids_int_m', 3);

-- the aggregate takes any id type, and mixed types; a parallel plan reads
-- keys in workers and merges them
SELECT recsys_store('ids_agg', recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 4, "epochs": 5}'))
  FROM ids_keys;
SELECT recsys_store('ids_mixed', recsys_fit('mf', user_id, item_id::varchar, rating))
  FROM ids_int;
SELECT recsys_predict('ids_mixed', 7, 'x'::text) IS NOT NULL AS integer_users_text_items;
SELECT recsys_store('ids_literal', recsys_fit('mf', 'u' || g % 5, 'i' || g % 7, (g % 5 + 1)::float8))
  FROM generate_series(1, 200) g;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT recsys_store('ids_parallel', recsys_fit('mf', user_id, item_id, rating, '{"seed": 1, "factors": 4, "epochs": 5}'))
  FROM ids_keys;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
SELECT bool_and(recsys_predict('ids_agg', user_id, item_id) = recsys_predict('ids_parallel', user_id, item_id))
       AS parallel_same
  FROM ids_keys;
SELECT recsys_fit('mf', user_id, item_id::numeric, rating) FROM ids_int;
SELECT recsys_fit('mf', user_id, item_id, rating) FROM (VALUES (1::bigint, NULL::text, 4.0::float8)) v(user_id, item_id, rating);

-- evaluation reads the source's ids as the model has them
SELECT n, rmse < 1.5 AS fits FROM recsys_evaluate('ids_keys_m', 'ids_keys');
SELECT users > 0 AS has_users, coverage > 0 AS covers FROM recsys_evaluate_ranking('ids_keys_m', 'ids_keys', 10);
SELECT * FROM recsys_evaluate('ids_keys_m', 'ids_int');

-- wrong types name the model's type
SELECT recsys_predict('ids_keys_m', 7, 'sku-3');
SELECT recsys_predict('ids_int_m', md5('7')::uuid, 3);
SELECT recsys_predict('ids_keys_m', md5('7')::uuid, 3.5);
SELECT recsys_predict('ids_keys_m', md5('7')::uuid, 'sku-3'::bytea);
SELECT * FROM recsys_recommend('ids_keys_m', 7, 3);
SELECT * FROM recsys_recommend('ids_text_m', 'user 7', 3);
SELECT * FROM recsys_recommend_all('ids_keys_m', 3);
SELECT * FROM recsys_recommend_text('ids_keys_m', md5('7')::uuid, 3, candidates => 'sku-1');
SELECT recsys_predict('ids_keys_m', 'not a uuid', 'sku-3');
-- NULL ids: NULL, or no rows; NULL elements are errors
SELECT recsys_predict('ids_keys_m', NULL::uuid, 'sku-3') IS NULL AS null_user;
SELECT count(*) AS n FROM recsys_recommend_text('ids_keys_m', NULL::uuid, 3);
SELECT * FROM recsys_recommend_text('ids_keys_m', md5('7')::uuid, 3, exclude => ARRAY['sku-1', NULL]);

-- stored like every model: the keys survive a reload in a new session
\c
SET recsys.threads = 1;
SELECT recsys_predict('ids_keys_m', md5('7')::uuid, 'sku-3') BETWEEN 1 AND 5 AS reloaded;
SELECT count(*) AS key_tensors FROM recsys_tensors t JOIN recsys_models m ON m.id = t.model_id
 WHERE m.name = 'ids_keys_m' AND t.tensor IN ('user_keys', 'user_key_offsets', 'item_keys', 'item_key_offsets');
-- a damaged key is found on load
UPDATE recsys_tensors SET data = overlay(data placing '\x00'::bytea from length(data) - 2)
 WHERE tensor = 'item_keys' AND model_id = (SELECT id FROM recsys_models WHERE name = 'ids_text_m');
SELECT recsys_predict('ids_text_m', 'user 7', 'item 3');

SELECT recsys_drop(name) FROM recsys_models ORDER BY name;
DROP TABLE ids_int, ids_keys, ids_text, ids_odd;
