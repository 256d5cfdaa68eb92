/* recsys--0.4--0.5.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION recsys UPDATE TO '0.5'" to load this file. \quit

-- 0.5: models on every node of a Citus cluster (recsys_distribute).

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
