/* recsys--0.3--0.4.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION recsys UPDATE TO '0.4'" to load this file. \quit

-- 0.4: private models and sharing, business filters, every user's list.
--
-- Until 0.3 every role could read every model, and only superusers could
-- train.  From 0.4 the catalog has row-level security: a model is seen and
-- served by its owner (and the owner's members) and by the roles it was
-- shared with (recsys_grant), and written only through the functions that
-- check ownership.  The stored models keep their owner and are shared with
-- no one: their owners share them again with recsys_grant.

ALTER TABLE recsys_models ADD COLUMN readers regrole[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN recsys_models.owner IS 'the role that trained the model: it (and its members) may serve, share, replace and drop it';
COMMENT ON COLUMN recsys_models.readers IS 'the roles the owner shared the model with (recsys_grant): they may serve it and read its rows';

CREATE FUNCTION recsys_may_read(owner name, readers regrole[])
RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recsys_may_read(name, regrole[]) IS 'whether the current role may use a model of this owner and these readers: the test of the catalog''s row-level security';

ALTER TABLE recsys_models ENABLE ROW LEVEL SECURITY;
ALTER TABLE recsys_tensors ENABLE ROW LEVEL SECURITY;
CREATE POLICY recsys_models_read ON recsys_models FOR SELECT
	USING (@extschema@.recsys_may_read(owner, readers));
CREATE POLICY recsys_tensors_read ON recsys_tensors FOR SELECT
	USING (EXISTS (SELECT 1 FROM @extschema@.recsys_models m
				   WHERE m.id = recsys_tensors.model_id));

CREATE FUNCTION recsys_grant(model text, role regrole)
RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION recsys_grant(text, regrole) IS 'shares a model with a role (and its members): they may serve it and read its rows; only the model''s owner may';

CREATE FUNCTION recsys_revoke(model text, role regrole)
RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION recsys_revoke(text, regrole) IS 'takes back what recsys_grant gave a role; only the model''s owner may';

-- user and item ids of the integer types, uuid, text or varchar: the
-- functions that take ids take "any" and read each id as the model has
-- its ids; the forms of 0.3 with bigint ids make way for them (a call
-- written for 0.3 works unchanged)
DROP AGGREGATE recsys_fit(text, bigint, bigint, double precision);
DROP AGGREGATE recsys_fit(text, bigint, bigint, double precision, jsonb);
DROP AGGREGATE recsys_fit(text, bigint, bigint, double precision, timestamptz, jsonb);
DROP AGGREGATE recsys_fit(text, bigint, bigint, double precision, double precision, jsonb);
DROP AGGREGATE recsys_fit(text, bigint, bigint);
DROP AGGREGATE recsys_fit(text, bigint, bigint, jsonb);
DROP AGGREGATE recsys_fit(text, bigint, bigint, timestamptz, jsonb);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, jsonb);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, timestamptz, jsonb);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint, double precision, double precision, jsonb);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint, jsonb);
DROP FUNCTION recsys_fit_trans(internal, text, bigint, bigint, timestamptz, jsonb);
DROP FUNCTION recsys_predict(text, bigint, bigint);
DROP FUNCTION recsys_predict(text, bigint[], real[], bigint);

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision) IS 'transition function of recsys_fit: collects one rating';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, jsonb)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, jsonb) IS 'transition function of recsys_fit: collects one rating';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any", rating double precision) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any", double precision) IS 'trains a model of the given kind on the rows of any query and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any", rating double precision, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any", double precision, jsonb) IS 'trains a model of the given kind, with options, on the rows of any query and returns it as bytea (store it with recsys_store)';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, timestamptz, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_timestamptz' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, timestamptz, jsonb) IS 'transition function of recsys_fit: collects one rating and its time';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, double precision, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_float8' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, double precision, jsonb) IS 'transition function of recsys_fit: collects one rating and its time';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any", rating double precision, ts timestamptz, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any", double precision, timestamptz, jsonb) IS 'trains a model of the given kind, with options, on the rows of any query, each user''s ratings in time order, and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any", rating double precision, ts double precision, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any", double precision, double precision, jsonb) IS 'trains a model of the given kind, with options, on the rows of any query, each user''s ratings in the order of a numeric time, and returns it as bytea (store it with recsys_store)';

CREATE FUNCTION recsys_predict(model text, user_id "any", item_id "any")
RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION recsys_predict(text, "any", "any") IS 'predicted rating of an item by a user, in the training data''s units and range';

CREATE FUNCTION recsys_predict(model text, history_items anyarray, history_ratings real[], item_id "any")
RETURNS double precision AS 'MODULE_PATHNAME', 'recsys_predict_history' LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION recsys_predict(text, anyarray, real[], "any") IS 'predicted rating of an item after a history of items and their ratings given at query time, oldest first: lstm runs the history through its state, mf and dense fold it in';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any")
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_implicit' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any") IS 'transition function of recsys_fit: collects one interaction without a rating';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_implicit' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", jsonb) IS 'transition function of recsys_fit: collects one interaction without a rating';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", timestamptz, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recsys_fit_trans_implicit_timestamptz' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", timestamptz, jsonb) IS 'transition function of recsys_fit: collects one interaction without a rating, and its time';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any") (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any") IS 'trains a model of the given kind on the (user, item) interactions of any query, without ratings, and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any", options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any", jsonb) IS 'trains a model of the given kind, with options, on the (user, item) interactions of any query, without ratings, and returns it as bytea (store it with recsys_store)';

CREATE AGGREGATE recsys_fit(kind text, user_id "any", item_id "any", ts timestamptz, options jsonb) (
	SFUNC = recsys_fit_trans,
	STYPE = internal,
	FINALFUNC = recsys_fit_final,
	COMBINEFUNC = recsys_fit_combine,
	SERIALFUNC = recsys_fit_serialize,
	DESERIALFUNC = recsys_fit_deserialize,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE recsys_fit(text, "any", "any", timestamptz, jsonb) IS 'trains a model of the given kind, with options, on the (user, item) interactions of any query, without ratings, each user''s in time order, and returns it as bytea (store it with recsys_store)';

-- recsys_recommend gains the filters candidates and exclude, after the
-- existing parameters: a call that worked under 0.3 works the same
DROP FUNCTION recsys_recommend(text, bigint, integer, boolean);
DROP FUNCTION recsys_recommend(text, bigint[], real[], integer, boolean);
-- serving with business rules (0.4): rank only the candidates, never the
-- excluded items, and still return k rows while k eligible items remain

CREATE FUNCTION recsys_recommend(model text, user_id "any", k integer DEFAULT 10, exclude_rated boolean DEFAULT true, candidates "any" DEFAULT NULL, exclude "any" DEFAULT NULL)
RETURNS TABLE (item_id bigint, score double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend(text, "any", integer, boolean, "any", "any") IS 'the k best items for a user, best first (by the ranking head''s score when the model has one, else by predicted rating), among the candidates when given, never the excluded items';

CREATE FUNCTION recsys_recommend(model text, history_items anyarray, history_ratings real[], k integer DEFAULT 10, exclude_rated boolean DEFAULT true, candidates "any" DEFAULT NULL, exclude "any" DEFAULT NULL)
RETURNS TABLE (item_id bigint, score double precision)
AS 'MODULE_PATHNAME', 'recsys_recommend_history' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend(text, anyarray, real[], integer, boolean, "any", "any") IS 'the k best items, best first, after a history of items and their ratings given at query time, oldest first (lstm runs it through its state, mf and dense fold it in), among the candidates when given, never the excluded items';

-- every user's list at once (0.4), for nightly batch scoring

CREATE FUNCTION recsys_recommend_all(model text, k integer DEFAULT 10, exclude_rated boolean DEFAULT true)
RETURNS TABLE (user_id bigint, rank integer, item_id bigint, score double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION recsys_recommend_all(text, integer, boolean) IS 'the k best items of every user of a model, as recsys_recommend gives them, computed for blocks of users at once';

-- the same lists with the ids as text (0.4), for models whose ids are uuid
-- or text (and any other: an integer id comes as its digits); cast them
-- back, as in item_id::uuid

CREATE FUNCTION recsys_recommend_text(model text, user_id "any", k integer DEFAULT 10, exclude_rated boolean DEFAULT true, candidates "any" DEFAULT NULL, exclude "any" DEFAULT NULL)
RETURNS TABLE (item_id text, score double precision)
AS 'MODULE_PATHNAME', 'recsys_recommend' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend_text(text, "any", integer, boolean, "any", "any") IS 'recsys_recommend with the item ids as text, for models of uuid or text item ids';

CREATE FUNCTION recsys_recommend_text(model text, history_items anyarray, history_ratings real[], k integer DEFAULT 10, exclude_rated boolean DEFAULT true, candidates "any" DEFAULT NULL, exclude "any" DEFAULT NULL)
RETURNS TABLE (item_id text, score double precision)
AS 'MODULE_PATHNAME', 'recsys_recommend_history' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend_text(text, anyarray, real[], integer, boolean, "any", "any") IS 'recsys_recommend after a history given at query time, with the item ids as text, for models of uuid or text item ids';

CREATE FUNCTION recsys_recommend_all_text(model text, k integer DEFAULT 10, exclude_rated boolean DEFAULT true)
RETURNS TABLE (user_id text, rank integer, item_id text, score double precision)
AS 'MODULE_PATHNAME', 'recsys_recommend_all' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION recsys_recommend_all_text(text, integer, boolean) IS 'recsys_recommend_all with the user and item ids as text, for models of uuid or text ids';
