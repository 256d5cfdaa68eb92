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
