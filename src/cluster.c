/*-------------------------------------------------------------------------
 *
 * cluster.c
 *		Where serving reads the catalog's rows from, on one server and on
 *		a Citus cluster.
 *
 * recsys_distribute() (SQL, in the install script) makes recsys_models and
 * recsys_tensors Citus reference tables: every worker holds a full copy of
 * each (its placement of the table's one shard), and so does the
 * coordinator once it is in Citus's metadata (citus_set_coordinator_host);
 * Citus writes every change to all copies in the writing transaction,
 * committed on all nodes or none.  Serving reads the node's own copy, an
 * ordinary local table named <table>_<shard id> in the same schema, where
 * there is one.  It must on a worker: a call of recsys_predict comes there
 * inside a query on a shard of the caller's distributed table, where Citus
 * refuses to start another distributed query ("cannot execute a
 * distributed query from a query on a shard").  On a coordinator without a
 * copy the catalog is read by its name, as on one server, and Citus routes
 * the read to a worker; but not from a PostgreSQL parallel worker, which
 * cannot open a connection of the transaction (CatalogTableName says so).
 *
 * The names are resolved when serving first plans its lookup and again
 * after a relcache invalidation of the catalog tables (Citus invalidates a
 * table on every node when its distribution changes): CatalogGeneration
 * tells the saved plans that they must be planned again.
 *
 * Reading a worker's placement behind Citus's back is right only if every
 * connection of a transaction sees the same catalog.  A transaction that
 * changed a model did so over one connection per worker; the catalog's
 * foreign key makes Citus run the rest of that transaction over those
 * connections (it switches the transaction to sequential mode), so the
 * workers serve the new model inside the transaction too.  Citus refuses
 * such a write after a read of a distributed table over several
 * connections per node (a parallel read): a training, which reads and then
 * writes, asks for sequential mode before its read (SequentialForWrite).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/cluster.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "recsys.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

/* bumped when a catalog table (or every relation) is invalidated */
static uint64 Generation = 1;
static bool CallbackRegistered = false;

/* the relations the current names were resolved for */
static Oid	ModelsRelid = InvalidOid;
static Oid	TensorsRelid = InvalidOid;

static void
CatalogRelcacheCallback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == ModelsRelid || relid == TensorsRelid)
		Generation++;
}

/*
 * A number that changes whenever what CatalogTableName answers may have
 * changed; plans of the catalog saved under another number are stale.
 */
uint64
CatalogGeneration(void)
{
	if (!CallbackRegistered)
	{
		CacheRegisterRelcacheCallback(CatalogRelcacheCallback, (Datum) 0);
		CallbackRegistered = true;
	}
	return Generation;
}

/*
 * The shard id of relid when relid is a Citus table with one shard (a
 * reference table); 0 otherwise.  Connected to SPI.
 */
static int64
ReferenceShard(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	bool		isnull;
	int64		shardid;
	int			ret;

	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return 0;				/* not a Citus node */

	values[0] = ObjectIdGetDatum(relid);
	ret = SPI_execute_with_args("SELECT shardid FROM pg_catalog.pg_dist_shard "
								"WHERE logicalrelid = $1",
								1, argtypes, values, NULL, true, 2);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		return 0;				/* a local or a sharded table */
	shardid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	return isnull ? 0 : shardid;
}

/*
 * The qualified name serving reads the catalog table "table" (recsys_models
 * or recsys_tensors) by, on this node: see the file header.  Connected to
 * SPI.
 */
char *
CatalogTableName(const char *table)
{
	Oid			nspoid = RecsysSchemaOid();
	char	   *schema = RecsysSchema();
	Oid			relid = get_relname_relid(table, nspoid);
	int64		shardid;

	(void) CatalogGeneration();
	if (strcmp(table, "recsys_models") == 0)
		ModelsRelid = relid;
	else
		TensorsRelid = relid;

	shardid = OidIsValid(relid) ? ReferenceShard(relid) : 0;
	if (shardid != 0)
	{
		char	   *shard = psprintf("%s_" INT64_FORMAT, table, shardid);

		if (OidIsValid(get_relname_relid(shard, nspoid)))
			return psprintf("%s.%s", schema, quote_identifier(shard));
		if (IsParallelWorker())
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("recsys cannot serve in a parallel worker of a Citus coordinator that holds no copy of the model catalog"),
					 errhint("Add the coordinator to Citus's metadata with citus_set_coordinator_host() and run SELECT recsys_distribute() again, or SET max_parallel_workers_per_gather = 0.")));
	}
	return psprintf("%s.%s", schema, quote_identifier(table));
}

/*
 * Before a read that a write of the catalog follows in the same statement
 * (a training): on a Citus cluster whose catalog is distributed, run the
 * rest of the transaction with one connection per node, as SET LOCAL
 * citus.multi_shard_modify_mode = sequential does, so that the read does
 * not keep Citus from writing the model (see the file header).  Connected
 * to SPI; outside any GUC nest level that is popped before the write.
 */
void
SequentialForWrite(void)
{
	Oid			relid;

	if (GetConfigOption("citus.multi_shard_modify_mode", true, false) == NULL)
		return;
	/* distributed: recsys_distribute made recsys_models a reference table */
	relid = get_relname_relid("recsys_models", RecsysSchemaOid());
	if (!OidIsValid(relid) || ReferenceShard(relid) == 0)
		return;
	(void) set_config_option("citus.multi_shard_modify_mode", "sequential",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}
