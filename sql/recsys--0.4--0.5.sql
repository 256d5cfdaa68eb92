/* recsys--0.4--0.5.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION recsys UPDATE TO '0.5'" to load this file. \quit

-- 0.5: models on every node of a Citus cluster (recsys_distribute).

-- Citus clusters (0.5).  After CREATE EXTENSION citus and recsys on the
-- coordinator (Citus creates recsys on the workers), recsys_distribute()
-- makes the catalog Citus reference tables: every node holds every model,
-- a retraining or a drop on the coordinator reaches all nodes in its own
-- transaction, and serving on a worker reads the worker's copy
-- (src/cluster.c).  Citus refuses three things of the single-server
-- catalog, which go: the foreign key from recsys_tensors to recsys_models
-- (Citus would refuse to write a model after a parallel read of a
-- distributed table in the same transaction; the library deletes a model's
-- tensors itself), the trigger recsys_tensors_touch (a hand edit of
-- recsys_tensors must then bump recsys_models.revision itself), and the
-- policy of recsys_tensors, whose test is a subquery (the rows of
-- recsys_tensors are then visible to the catalog's owner and superusers
-- only; models are served as before, to their owners and readers).
CREATE FUNCTION recsys_distribute() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	fkey name;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'extension "citus" is not installed'
			USING ERRCODE = 'undefined_object',
				  HINT = 'recsys_distribute() copies the models to the nodes of a Citus cluster: run it on the coordinator after CREATE EXTENSION citus.';
	END IF;
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
				WHERE logicalrelid = '@extschema@.recsys_models'::pg_catalog.regclass) THEN
		RAISE NOTICE 'the recsys catalog is already distributed';
		RETURN;
	END IF;

	FOR fkey IN SELECT conname FROM pg_catalog.pg_constraint
				 WHERE conrelid = '@extschema@.recsys_tensors'::pg_catalog.regclass
				   AND contype = 'f'
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE @extschema@.recsys_tensors DROP CONSTRAINT %I', fkey);
	END LOOP;
	DROP TRIGGER IF EXISTS recsys_tensors_touch ON @extschema@.recsys_tensors;
	DROP POLICY IF EXISTS recsys_tensors_read ON @extschema@.recsys_tensors;

	PERFORM pg_catalog.create_reference_table('@extschema@.recsys_models');
	PERFORM pg_catalog.create_reference_table('@extschema@.recsys_tensors');
	-- the coordinator's own copy of the rows now lives in the shards
	PERFORM pg_catalog.truncate_local_data_after_distributing_table('@extschema@.recsys_tensors');
	PERFORM pg_catalog.truncate_local_data_after_distributing_table('@extschema@.recsys_models');
END
$$;
COMMENT ON FUNCTION recsys_distribute() IS 'on a Citus coordinator: makes the model catalog reference tables, so that every node serves every model (once, after CREATE EXTENSION citus)';
