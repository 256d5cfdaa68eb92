-- movielens.sql: load MovieLens-100K's u1 split into u1_base and u1_test
-- (user_id, item_id, rating, ts), and the titles into movies when u.item is
-- there.  Used by scripts/demo.sh, test/integration/movielens.sh and
-- test/bench/serve.sh.
--   psql -v ml_dir=/path/to/ml-100k -v with_titles=1 -f scripts/movielens.sql
-- \copy takes the rest of its line literally, so the folder reaches it through
-- an environment variable that the client-side shell of FROM PROGRAM expands.
\set ON_ERROR_STOP on
\setenv RECSYS_ML_DIR :ml_dir

-- u?.base / u?.test: user id | item id | rating | unix time, tab-separated
CREATE TEMP TABLE ml_stage (user_id integer, item_id integer, rating integer, epoch bigint);

CREATE TABLE u1_base (user_id integer NOT NULL, item_id integer NOT NULL,
                      rating real NOT NULL, ts timestamptz NOT NULL);
CREATE TABLE u1_test (LIKE u1_base);

\copy ml_stage FROM PROGRAM 'cat "$RECSYS_ML_DIR/u1.base"'
INSERT INTO u1_base SELECT user_id, item_id, rating, to_timestamp(epoch) FROM ml_stage;
TRUNCATE ml_stage;
\copy ml_stage FROM PROGRAM 'cat "$RECSYS_ML_DIR/u1.test"'
INSERT INTO u1_test SELECT user_id, item_id, rating, to_timestamp(epoch) FROM ml_stage;
DROP TABLE ml_stage;

\if :with_titles
-- u.item: '|'-separated, latin1; keep the item id and the title.  Each line
-- is read whole (delimiter and quote set to bytes that never occur) and split
-- in SQL, so titles with commas or quotes need no escaping.
CREATE TEMP TABLE ml_items (line text);
\copy ml_items FROM PROGRAM 'cat "$RECSYS_ML_DIR/u.item"' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01', ENCODING 'LATIN1')
CREATE TABLE movies AS
SELECT split_part(line, '|', 1)::integer AS item_id, split_part(line, '|', 2) AS title
  FROM ml_items;
DROP TABLE ml_items;
\endif

ANALYZE u1_base;
ANALYZE u1_test;
