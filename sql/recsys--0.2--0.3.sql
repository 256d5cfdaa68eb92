/* recsys--0.2--0.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION recsys UPDATE TO '0.3'" to load this file. \quit

-- 0.3: the ranking head (option "objective"), implicit feedback
-- ("rating_column": null) and ranking metrics.  Stored models keep their
-- weights: a model without the "objective" option loads as "rating", the
-- only objective 0.2 had, and serves as before; its options column says so,
-- as it lists every option a model was trained with.
UPDATE recsys_models SET options = options || '{"objective": "rating"}'
 WHERE kind IN ('mf', 'dense', 'lstm') AND NOT options ? 'objective';

CREATE FUNCTION recsys_evaluate_ranking(model text, source regclass, k integer DEFAULT 10, relevant_min double precision DEFAULT NULL)
RETURNS TABLE (users bigint, hit_rate double precision, "precision" double precision, recall double precision, ndcg double precision, map double precision, coverage double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION recsys_evaluate_ranking(text, regclass, integer, double precision) IS 'hit rate, precision, recall, NDCG and MAP at k and the coverage of a model''s top-k lists for the users of a table (relevant: rows with rating >= relevant_min, or every row when NULL), the users'' training items left out';

COMMENT ON FUNCTION recsys_recommend(text, bigint, integer, boolean) IS 'the k best items for a user, best first: by the ranking head''s score when the model has one (objective "both" or "ranking"), else by predicted rating';
COMMENT ON FUNCTION recsys_recommend(text, bigint[], real[], integer, boolean) IS 'the k best items, best first, after a history of items and their ratings given at query time, oldest first (sequence kinds, and every kind with a ranking head)';

-- the forms without a rating (0.3): purchases, plays, clicks; every row is
-- one interaction (a repeated pair counts more) and the model learns the
-- ranking objective alone

CREATE FUNCTION recsys_fit_trans(internal, text, bigint, bigint)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_implicit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, bigint, bigint) IS 'transition function of recsys_fit: collects one interaction without a rating';

CREATE FUNCTION recsys_fit_trans(internal, text, bigint, bigint, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_implicit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, bigint, bigint, jsonb) IS 'transition function of recsys_fit: collects one interaction without a rating';

CREATE FUNCTION recsys_fit_trans(internal, text, bigint, bigint, timestamptz, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_implicit_timestamptz' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, bigint, bigint, timestamptz, jsonb) IS 'transition function of recsys_fit: collects one interaction without a rating, and its time';

CREATE AGGREGATE recsys_fit(kind text, user_id bigint, item_id bigint) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE recsys_fit(text, bigint, bigint) IS 'trains a model of the given kind on the (user, item) interactions of any query, without ratings, and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id bigint, item_id bigint, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE recsys_fit(text, bigint, bigint, jsonb) IS 'trains a model of the given kind, with options, on the (user, item) interactions of any query, without ratings, and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id bigint, item_id bigint, ts timestamptz, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE recsys_fit(text, bigint, bigint, timestamptz, jsonb) IS 'trains a model of the given kind, with options, on the (user, item) interactions of any query, without ratings, each user''s in time order, and returns it as bytea (store it with recsys_store)';
