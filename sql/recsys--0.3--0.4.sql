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

-- mf and dense serve a history given at query time too: they fold it in
COMMENT ON FUNCTION recsys_predict(text, bigint[], real[], bigint) IS 'predicted rating of an item after a history of items and their ratings given at query time, oldest first: lstm runs the history through its state, mf and dense fold it in';

-- recsys_recommend gains the filters candidates and exclude, after the
-- existing parameters: a call that worked under 0.3 works the same
DROP FUNCTION recsys_recommend(text, bigint, integer, boolean);
DROP FUNCTION recsys_recommend(text, bigint[], real[], integer, boolean);
-- serving with business rules (0.4): rank only the candidates, never the
-- excluded items, and still return k rows while k eligible items remain

CREATE FUNCTION recsys_recommend(model text, user_id bigint, k integer DEFAULT 10, exclude_rated boolean DEFAULT true, candidates bigint[] DEFAULT NULL, exclude bigint[] DEFAULT NULL)
RETURNS TABLE (item_id bigint, score double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend(text, bigint, integer, boolean, bigint[], bigint[]) IS 'the k best items for a user, best first (by the ranking head''s score when the model has one, else by predicted rating), among the candidates when given, never the excluded items';

CREATE FUNCTION recsys_recommend(model text, history_items bigint[], history_ratings real[], k integer DEFAULT 10, exclude_rated boolean DEFAULT true, candidates bigint[] DEFAULT NULL, exclude bigint[] DEFAULT NULL)
RETURNS TABLE (item_id bigint, score double precision)
AS 'MODULE_PATHNAME', 'recsys_recommend_history' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION recsys_recommend(text, bigint[], real[], integer, boolean, bigint[], bigint[]) IS 'the k best items, best first, after a history of items and their ratings given at query time, oldest first (lstm runs it through its state, mf and dense fold it in), among the candidates when given, never the excluded items';

-- every user's list at once (0.4), for nightly batch scoring

CREATE FUNCTION recsys_recommend_all(model text, k integer DEFAULT 10, exclude_rated boolean DEFAULT true)
RETURNS TABLE (user_id bigint, rank integer, item_id bigint, score double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION recsys_recommend_all(text, integer, boolean) IS 'the k best items of every user of a model, as recsys_recommend gives them, computed for blocks of users at once';
