/* recsys--0.2--0.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION recsys UPDATE TO '0.3'" to load this file. \quit

-- 0.3: the ranking head (option "objective"), implicit feedback
-- ("rating_column": null) and ranking metrics.  Stored models keep their
-- weights: a model without the "objective" option loads as "rating", the
-- only objective 0.2 had, and serves as before.

CREATE FUNCTION recsys_evaluate_ranking(model text, source regclass, k integer DEFAULT 10, relevant_min double precision DEFAULT NULL)
RETURNS TABLE (users bigint, hit_rate double precision, "precision" double precision, recall double precision, ndcg double precision, map double precision, coverage double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION recsys_evaluate_ranking(text, regclass, integer, double precision) IS 'hit rate, precision, recall, NDCG and MAP at k and the coverage of a model''s top-k lists for the users of a table (relevant: rows with rating >= relevant_min, or every row when NULL), the users'' training items left out';

COMMENT ON FUNCTION recsys_recommend(text, bigint, integer, boolean) IS 'the k best items for a user, best first: by the ranking head''s score when the model has one (objective "both" or "ranking"), else by predicted rating';
COMMENT ON FUNCTION recsys_recommend(text, bigint[], real[], integer, boolean) IS 'the k best items, best first, after a history of items and their ratings given at query time, oldest first (sequence kinds, and every kind with a ranking head)';
