/* recsys--0.5.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION recsys" to load this file. \quit

-- catalog

CREATE SEQUENCE recsys_model_id_seq;

CREATE TABLE recsys_models (
	name		text PRIMARY KEY,
	id			bigint NOT NULL UNIQUE DEFAULT nextval('recsys_model_id_seq'),
	kind		text NOT NULL,
	source		text,
	options		jsonb NOT NULL DEFAULT '{}',
	metrics		jsonb NOT NULL DEFAULT '{}',
	n_users		integer NOT NULL,
	n_items		integer NOT NULL,
	n_ratings	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	owner		name NOT NULL DEFAULT current_user,
	revision	integer NOT NULL DEFAULT 0,
	readers		regrole[] NOT NULL DEFAULT '{}'
);
ALTER SEQUENCE recsys_model_id_seq OWNED BY recsys_models.id;

COMMENT ON TABLE recsys_models IS 'trained recommender models: one row per model';
COMMENT ON COLUMN recsys_models.options IS 'every option of the kind, defaults included, as used in training';
COMMENT ON COLUMN recsys_models.metrics IS 'validation RMSE, best epoch, timings and the per-epoch history';
COMMENT ON COLUMN recsys_models.owner IS 'the role that trained the model: it (and its members) may serve, share, replace and drop it';
COMMENT ON COLUMN recsys_models.readers IS 'the roles the owner shared the model with (recsys_grant): they may serve it and read its rows';
COMMENT ON COLUMN recsys_models.revision IS 'bumped on every change to the model''s tensors, so cached copies are reloaded';

-- One row per chunk of a named tensor; "_header" holds kind, sizes and options.
CREATE TABLE recsys_tensors (
	model_id	bigint NOT NULL REFERENCES recsys_models (id) ON DELETE CASCADE,
	tensor		text NOT NULL,
	chunk		integer NOT NULL,
	dtype		text NOT NULL,
	shape		bigint[] NOT NULL,
	data		bytea NOT NULL,
	PRIMARY KEY (model_id, tensor, chunk)
);
-- weights do not compress; spare the CPU
ALTER TABLE recsys_tensors ALTER COLUMN data SET STORAGE EXTERNAL;

COMMENT ON TABLE recsys_tensors IS 'weights of trained models as checksummed chunks of named tensors';

-- a hand edit of a tensor row must reach every backend's model cache
CREATE FUNCTION recsys_tensors_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE @extschema@.recsys_models SET revision = revision + 1
	 WHERE id = OLD.model_id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION recsys_tensors_touch() IS 'bumps recsys_models.revision when a stored tensor changes';

CREATE TRIGGER recsys_tensors_touch AFTER UPDATE OR DELETE ON recsys_tensors
	FOR EACH ROW EXECUTE FUNCTION recsys_tensors_touch();

SELECT pg_catalog.pg_extension_config_dump('recsys_models', '');
SELECT pg_catalog.pg_extension_config_dump('recsys_tensors', '');
SELECT pg_catalog.pg_extension_config_dump('recsys_model_id_seq', '');

-- Models are private (0.4).  Every role may read the catalog, but row-level
-- security shows it only the rows of the models it owns or that were shared
-- with it; nobody but the catalog's owner may write it: the functions that
-- store, drop and share models check ownership and write as that owner.
GRANT SELECT ON recsys_models, recsys_tensors TO PUBLIC;

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

-- training

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision) IS 'transition function of recsys_fit: collects one rating';

CREATE FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, jsonb)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_trans(internal, text, "any", "any", double precision, jsonb) IS 'transition function of recsys_fit: collects one rating';

CREATE FUNCTION recsys_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_combine(internal, internal) IS 'combine function of recsys_fit: merges the ratings collected by two workers';

CREATE FUNCTION recsys_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_serialize(internal) IS 'serial function of recsys_fit';

CREATE FUNCTION recsys_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_deserialize(bytea, internal) IS 'deserial function of recsys_fit';

CREATE FUNCTION recsys_fit_final(internal)
RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_fit_final(internal) IS 'final function of recsys_fit: trains the model and returns it serialized';

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

-- the forms with the time of each rating (0.2): sequence kinds such as lstm
-- read each user's ratings in time order; the other kinds ignore the time

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

CREATE FUNCTION recsys_train(kind text, source regclass, name text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS text AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION recsys_train(text, regclass, text, jsonb) IS 'trains a model of the given kind on a table or view and stores it; returns the model''s name';

CREATE FUNCTION recsys_store(name text, model bytea, source text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION recsys_store(text, bytea, text) IS 'stores a model returned by recsys_fit under a name, replacing any model of that name';

CREATE FUNCTION recsys_drop(model text, if_exists boolean DEFAULT false)
RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION recsys_drop(text, boolean) IS 'deletes a stored model; returns false when it did not exist and if_exists is true';

CREATE FUNCTION recsys_options(kind text DEFAULT NULL)
RETURNS TABLE (kind text, option text, type text, default_value text, min_value float8, max_value float8, description text)
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION recsys_options(text) IS 'lists the model kinds and the options each accepts, with defaults and ranges';

-- serving

CREATE FUNCTION recsys_predict(model text, user_id "any", item_id "any")
RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recsys_predict(text, "any", "any") IS 'predicted rating of an item by a user, in the training data''s units and range';


-- serving from a history given at query time (0.2; mf and dense from 0.4):
-- for users unseen in training or with ratings newer than the model

CREATE FUNCTION recsys_predict(model text, history_items anyarray, history_ratings real[], item_id "any")
RETURNS double precision AS 'MODULE_PATHNAME', 'recsys_predict_history' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recsys_predict(text, anyarray, real[], "any") IS 'predicted rating of an item after a history of items and their ratings given at query time, oldest first: lstm runs the history through its state, mf and dense fold it in';


CREATE FUNCTION recsys_evaluate(model text, source regclass)
RETURNS TABLE (n bigint, rmse double precision, mae double precision, rmse_scaled double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION recsys_evaluate(text, regclass) IS 'RMSE and MAE of a model on a table of ratings; rmse_scaled is on ratings mapped to [0,1] by the training range';

-- ranking (0.3)

CREATE FUNCTION recsys_evaluate_ranking(model text, source regclass, k integer DEFAULT 10, relevant_min double precision DEFAULT NULL)
RETURNS TABLE (users bigint, hit_rate double precision, "precision" double precision, recall double precision, ndcg double precision, map double precision, coverage double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION recsys_evaluate_ranking(text, regclass, integer, double precision) IS 'hit rate, precision, recall, NDCG and MAP at k and the coverage of a model''s top-k lists for the users of a table (relevant: rows with rating >= relevant_min, or every row when NULL), the users'' training items left out';


-- data

CREATE FUNCTION recsys_synthetic_ratings(n_users integer, n_items integer, n_ratings bigint, seed integer DEFAULT 0)
RETURNS TABLE (user_id bigint, item_id bigint, rating real, ts timestamptz)
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION recsys_synthetic_ratings(integer, integer, bigint, integer) IS 'ratings on the 1-5 scale drawn from a planted low-rank model with popularity skew, in time order per user';

-- the forms without a rating (0.3): purchases, plays, clicks; every row is
-- one interaction (a repeated pair counts more) and the model learns the
-- ranking objective alone

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

-- Citus clusters (0.5).  After CREATE EXTENSION citus and recsys on the
-- coordinator (Citus creates recsys on the workers), recsys_distribute()
-- makes the catalog Citus reference tables: every node holds every model
-- (the coordinator too once it is in Citus's metadata), a retraining or a
-- drop on the coordinator reaches all nodes in its own transaction, and
-- serving reads the node's copy (src/cluster.c).  Citus refuses two things
-- of the single-server catalog, which go: the trigger recsys_tensors_touch
-- (a hand edit of recsys_tensors must then bump recsys_models.revision
-- itself), and the policy of recsys_tensors, whose test is a subquery (the
-- rows of recsys_tensors are then visible to the catalog's owner and
-- superusers only; models are served as before, to their owners and
-- readers).  The foreign key stays: through it Citus runs the rest of a
-- transaction that changed a model over the connections that wrote it, so
-- that the workers serve the new model inside that transaction too.
CREATE FUNCTION recsys_distribute() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	messages text := pg_catalog.current_setting('client_min_messages');
	node record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'extension "citus" is not installed'
			USING ERRCODE = 'undefined_object',
				  HINT = 'recsys_distribute() copies the models to the nodes of a Citus cluster: run it on the coordinator after CREATE EXTENSION citus.';
	END IF;

	-- Citus's notices about the copied rows speak of a step done below
	PERFORM pg_catalog.set_config('client_min_messages', 'warning', true);
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
					WHERE logicalrelid = '@extschema@.recsys_models'::pg_catalog.regclass) THEN
		-- what Citus refuses goes on every node (the workers' tables,
		-- created by their own CREATE EXTENSION, become the tables' shells);
		-- the foreign key goes too while the tables are converted one by one
		-- (Citus would convert recsys_tensors on its own, and fail), and
		-- comes back between the two reference tables
		FOR node IN SELECT * FROM pg_catalog.run_command_on_workers(
				'DROP TRIGGER IF EXISTS recsys_tensors_touch ON @extschema@.recsys_tensors; '
				'DROP POLICY IF EXISTS recsys_tensors_read ON @extschema@.recsys_tensors; '
				'ALTER TABLE @extschema@.recsys_tensors DROP CONSTRAINT IF EXISTS recsys_tensors_model_id_fkey')
		LOOP
			IF NOT node.success THEN
				RAISE EXCEPTION 'could not prepare the recsys catalog on node %:%: %',
					node.nodename, node.nodeport, node.result;
			END IF;
		END LOOP;
		DROP TRIGGER IF EXISTS recsys_tensors_touch ON @extschema@.recsys_tensors;
		DROP POLICY IF EXISTS recsys_tensors_read ON @extschema@.recsys_tensors;
		ALTER TABLE @extschema@.recsys_tensors DROP CONSTRAINT IF EXISTS recsys_tensors_model_id_fkey;
		PERFORM pg_catalog.create_reference_table('@extschema@.recsys_models');
		PERFORM pg_catalog.create_reference_table('@extschema@.recsys_tensors');
		ALTER TABLE @extschema@.recsys_tensors ADD CONSTRAINT recsys_tensors_model_id_fkey
			FOREIGN KEY (model_id) REFERENCES @extschema@.recsys_models (id) ON DELETE CASCADE;
		-- the coordinator's own copy of the rows now lives in the shards
		PERFORM pg_catalog.truncate_local_data_after_distributing_table('@extschema@.recsys_tensors');
		PERFORM pg_catalog.truncate_local_data_after_distributing_table('@extschema@.recsys_models');
	END IF;
	-- a coordinator in the metadata gets its own copy, so that it serves
	-- from it (in PostgreSQL's parallel workers too)
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node WHERE groupid = 0) THEN
		PERFORM pg_catalog.replicate_reference_tables('block_writes');
		PERFORM pg_catalog.set_config('client_min_messages', messages, true);
		RAISE NOTICE 'the recsys catalog is a reference table on every node, the coordinator included';
	ELSE
		PERFORM pg_catalog.set_config('client_min_messages', messages, true);
		RAISE NOTICE 'the recsys catalog is a reference table on every worker; the coordinator has no copy'
			USING HINT = 'The coordinator then reads the models from a worker, and cannot in a parallel query. Add it with citus_set_coordinator_host() and run recsys_distribute() again.';
	END IF;
END
$$;
COMMENT ON FUNCTION recsys_distribute() IS 'on a Citus coordinator: makes the model catalog reference tables, so that every node serves every model (after CREATE EXTENSION citus, and again after citus_set_coordinator_host)';
