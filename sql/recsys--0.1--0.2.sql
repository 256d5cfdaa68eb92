/* recsys--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION recsys UPDATE TO '0.2'" to load this file. \quit

-- training

-- the forms with the time of each rating (0.2): sequence kinds such as lstm
-- read each user's ratings in time order; the other kinds ignore the time

CREATE FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, timestamptz, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_timestamptz' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, timestamptz, jsonb) IS 'transition function of recsys_fit: collects one rating and its time';

CREATE FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, double precision, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_float8' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, double precision, jsonb) IS 'transition function of recsys_fit: collects one rating and its time';

CREATE AGGREGATE recsys_fit(kind text, user_id bigint, item_id bigint, rating double precision, ts timestamptz, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE recsys_fit(text, bigint, bigint, double precision, timestamptz, jsonb) IS 'trains a model of the given kind, with options, on the rows of any query, each user''s ratings in time order, and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id bigint, item_id bigint, rating double precision, ts double precision, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE recsys_fit(text, bigint, bigint, double precision, double precision, jsonb) IS 'trains a model of the given kind, with options, on the rows of any query, each user''s ratings in the order of a numeric time, and returns it as bytea (store it with recsys_store)';

-- serving

-- serving from a history given at query time (0.2): sequence kinds such as
-- lstm, for users unseen in training or with ratings newer than the model

CREATE FUNCTION recsys_predict(model text, history_items bigint[], history_ratings real[], item_id bigint)
RETURNS double precision AS 'MODULE_PATHNAME', 'recsys_predict_history' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recsys_predict(text, bigint[], real[], bigint) IS 'predicted rating of an item after a history of items and their ratings given at query time, oldest first (sequence kinds such as lstm)';

CREATE FUNCTION recsys_recommend(model text, history_items bigint[], history_ratings real[], k integer DEFAULT 10, exclude_rated boolean DEFAULT true)
RETURNS TABLE (item_id bigint, score double precision)
AS 'MODULE_PATHNAME', 'recsys_recommend_history' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend(text, bigint[], real[], integer, boolean) IS 'the k items with the highest predicted rating, best first, after a history of items and their ratings given at query time, oldest first (sequence kinds such as lstm)';
