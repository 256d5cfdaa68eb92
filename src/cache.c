/*-------------------------------------------------------------------------
 *
 * cache.c
 *		Loading stored models, and the per-backend cache that serving
 *		reads them from (GetModel).
 *
 * Per-backend cache.  Deserializing a model costs a read of all its chunks,
 * far too much per row, so each backend keeps the models it used in a small
 * hash table keyed by model name.  An entry remembers which catalog row it
 * was built from: the model's id, its revision and the row's xmin.  Every
 * call site (an FmgrInfo, i.e. one function call in one query plan) keeps a
 * ModelCallSite in fn_extra that points at the entry; the catalog row is
 * read again only when the call site is new, when the model name changes
 * from one call to the next, or when the statement changed (see below).
 * Later rows cost a name compare and a generation compare.
 *
 * Models are private (access.c).  The lookup reads the catalog as its
 * owner, from where cluster.c says (the local placement on a Citus
 * worker), and then checks the caller's rights on the row it found with
 * the test of the catalog's row-level security (RoleMayReadByName, which
 * takes the readers by name: see access.c): a model the caller may not
 * use does not exist for it.  A cached model serves a role
 * only after that role's own lookup found the same row: the call site's
 * stamp (below) includes the role.
 *
 * Why this is correct under MVCC: a query sees the model that its own
 * snapshot sees.  The catalog row is read with the active snapshot at the
 * first call of the call site, and the (id, revision, xmin) found there
 * decide which cached model serves the query; a concurrent retraining
 * commits a new row (new id) that later statements see and reload.  A
 * retraining inside the same transaction is a new row too, visible to the
 * next command.  Hand edits of recsys_tensors reach the cache because the
 * install script's trigger recsys_tensors_touch bumps recsys_models.revision
 * on every UPDATE or DELETE of a tensor row, which changes the row's
 * (revision, xmin).  A rolled-back model is simply not visible any more:
 * the lookup fails and the stale entry is never used.
 *
 * A call site's FmgrInfo normally lives for one query execution, but
 * PL/pgSQL keeps the state of simple expressions for a whole transaction,
 * so the call site also remembers a stamp of the snapshot it checked under
 * (local transaction id, command id, and the count of completed
 * transactions the snapshot was taken at) and checks again when it
 * changes.  Within one statement the stamp never changes, so a big query
 * still reads the catalog once.
 *
 * The generation number is global and grows on every (re)load, so a call
 * site that points at an entry that was reloaded by another call site
 * notices it and never uses a freed model.  Entries are never removed from
 * the hash table (a dropped model's entry just loses its model), so the
 * pointers held by call sites stay valid for the life of the backend.
 *
 * Each model lives in its own memory context, created under the current
 * context while loading (an error frees it with its parent) and moved under
 * the cache's context only once it is complete.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "blob.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "recsys.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/* One cached model. */
typedef struct ModelCacheEntry
{
	char	   *name;			/* hash key: the model's name (in CacheCxt) */

	/* Which catalog row the model was built from */
	int64		id;
	int32		revision;
	TransactionId xmin;

	/* The model itself, or NULL when not loaded */
	rs_model   *model;
	MemoryContext cxt;			/* holds everything of model */
	uint64		generation;		/* changes on every (re)load */
} ModelCacheEntry;

/* Per call site state, in fn_extra (allocated in fn_mcxt). */
typedef struct ModelCallSite
{
	char	   *name;			/* the name of the last call */
	ModelCacheEntry *entry;		/* its cache entry */
	uint64		generation;		/* entry->generation when checked */
	const rs_model *model;		/* entry->model when checked */

	/*
	 * Stamp of the snapshot the catalog was checked under, and of the role
	 * it was checked as (models are private: see access.c)
	 */
	Oid			userid;
	LocalTransactionId lxid;
	CommandId	curcid;
	uint64		completion;
	bool		stamped;
} ModelCallSite;

static MemoryContext CacheCxt = NULL;	/* the hash table and keys */
static HTAB *ModelCache = NULL;
static uint64 CacheGeneration = 0;

/* saved plan of the catalog lookup, and the catalog it was planned for */
static SPIPlanPtr LookupPlan = NULL;
static uint64 LookupPlanGeneration = 0;
static bool LookupPlanHasReaders = false;
static Oid	LookupPlanOwner = InvalidOid;	/* the catalog's owner */

/* ---------- helpers ---------- */

/* ereport a damaged stored model, with the core's message as detail */
static void
ReportDamaged(const char *name, const char *tensor, const char *check)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stored model \"%s\" is damaged", name),
			 errdetail("Tensor \"%s\" failed a check: %s.", tensor, check),
			 errhint("Train the model again, or restore it from a backup.")));
}

/* ---------- loading ---------- */

/* true if the bigint[] shape matches the ndim entries of t's shape */
static bool
ShapeMatches(ArrayType *shape, const rs_tensor *t)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (ARR_NDIM(shape) > 1 || ARR_ELEMTYPE(shape) != INT8OID)
		return false;
	deconstruct_array(shape, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != t->ndim)
		return false;
	for (i = 0; i < n; i++)
		if (nulls[i] || DatumGetInt64(elems[i]) != t->shape[i])
			return false;
	return true;
}

/*
 * Read the model with the given catalog id from recsys_tensors and build it
 * in cxt.  The caller is connected to SPI.  Every row is checked: the header
 * and each chunk by the core (magic, version, checksum, ranges), and here
 * that the row's dtype and shape columns agree with the model, that chunk
 * numbers run from 0 without gaps and that every element was filled.
 */
static rs_model *
LoadModelRows(const char *name, int64 id,
			  MemoryContext cxt)
{
	MemoryContext scratch;
	MemoryContext oldcxt;
	rs_allocator alloc;
	rs_model   *m = NULL;
	size_t	   *filled = NULL;
	char	   *sql;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	SPIPlanPtr	plan;
	Portal		portal;
	int			cur_tensor = -1;
	int32		next_chunk = 0;
	rs_error	err;

	RecsysAllocatorInit(&alloc, cxt);
	memset(&err, 0, sizeof(err));

	/* the header sorts first; names compare bytewise, whatever the locale */
	sql = psprintf("SELECT tensor, chunk, dtype, shape, data FROM %s "
				   "WHERE model_id = $1 "
				   "ORDER BY tensor <> '_header', tensor COLLATE \"C\", chunk",
				   CatalogTableName("recsys_tensors"));
	plan = SPI_prepare(sql, 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	values[0] = Int64GetDatum(id);
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);

	scratch = AllocSetContextCreate(CurrentMemoryContext,
									"recsys load chunk",
									ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		uint64		r;

		CHECK_FOR_INTERRUPTS();
		/* chunks can be large (64 MB before 0.5): keep few in memory at a time */
		SPI_cursor_fetch(portal, true, 4);
		if (SPI_processed == 0)
			break;

		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			char	   *tname;
			int32		chunk;
			char	   *dtype;
			ArrayType  *shape;
			bytea	   *data;
			int			ti;
			size_t		before;
			rs_status	st;

			oldcxt = MemoryContextSwitchTo(scratch);
			tname = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
			chunk = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
			dtype = TextDatumGetCString(SPI_getbinval(tup, desc, 3, &isnull));
			shape = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 4, &isnull));
			data = DatumGetByteaP(SPI_getbinval(tup, desc, 5, &isnull));
			MemoryContextSwitchTo(oldcxt);

			if (m == NULL)
			{
				/* the first row must be the header */
				if (strcmp(tname, "_header") != 0)
					ReportDamaged(name, "_header", "the header row is missing");
				if (chunk != 0 || strcmp(dtype, "header") != 0 ||
					ARR_NDIM(shape) != 0)
					ReportDamaged(name, "_header",
								  "the header row's chunk, dtype or shape column is wrong");
				st = rs_header_read((const uint8_t *) VARDATA(data),
									VARSIZE(data) - VARHDRSZ, &alloc, &m, &err);
				if (st != RS_OK)
					ReportDamaged(name, err.field[0] ? err.field : "_header",
								  err.message);
				filled = MemoryContextAllocZero(cxt,
												sizeof(size_t) * Max(m->n_tensors, 1));
				MemoryContextReset(scratch);
				continue;
			}

			/* which tensor of the model this row is */
			for (ti = 0; ti < m->n_tensors; ti++)
				if (strcmp(m->tensors[ti].name, tname) == 0)
					break;
			if (ti == m->n_tensors)
				ReportDamaged(name, tname, "the model has no tensor of this name");
			if (ti != cur_tensor)
			{
				cur_tensor = ti;
				next_chunk = 0;
			}
			if (chunk != next_chunk)
				ReportDamaged(name, tname,
							  psprintf("chunk %d found where chunk %d was expected",
									   chunk, next_chunk));
			next_chunk++;
			if (strcmp(dtype, rs_dtype_name(m->tensors[ti].dtype)) != 0)
				ReportDamaged(name, tname,
							  psprintf("dtype column is \"%s\", the model has \"%s\"",
									   dtype, rs_dtype_name(m->tensors[ti].dtype)));
			if (!ShapeMatches(shape, &m->tensors[ti]))
				ReportDamaged(name, tname,
							  "the shape column does not match the model's header");

			/* the chunk must fill the tensor its row names */
			before = filled[ti];
			st = rs_chunk_read(m, (const uint8_t *) VARDATA(data),
							   VARSIZE(data) - VARHDRSZ, filled, &err);
			if (st != RS_OK)
				ReportDamaged(name, err.field[0] ? err.field : tname, err.message);
			if (filled[ti] == before && rs_tensor_count(&m->tensors[ti]) > 0)
				ReportDamaged(name, tname,
							  "the chunk's data belongs to another tensor");
			MemoryContextReset(scratch);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(scratch);

	if (m == NULL)
		ReportDamaged(name, "_header", "the header row is missing");
	if (rs_chunks_complete(m, filled, &err) != RS_OK)
		ReportDamaged(name, err.field[0] ? err.field : "_header", err.message);
	return m;
}

/* ---------- the cache ---------- */

/* hash of a key that is a pointer to a NUL-terminated name */
static uint32
NameKeyHash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

/* compare two name-pointer keys */
static int
NameKeyMatch(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/* copy a name-pointer key: the entry owns a copy of the name */
static void *
NameKeyCopy(void *dest, const void *src, Size keysize)
{
	*(char **) dest = MemoryContextStrdup(CacheCxt, *(const char *const *) src);
	return dest;
}

/*
 * Create the cache on first use.  Keys are pointers to names copied into
 * the cache's context, so a model name of any length is an exact key.
 */
static void
InitModelCache(void)
{
	HASHCTL		ctl;

	if (ModelCache != NULL)
		return;
	if (CacheMemoryContext == NULL)
		CreateCacheMemoryContext();
	CacheCxt = AllocSetContextCreate(CacheMemoryContext, "recsys model cache",
									 ALLOCSET_SMALL_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(ModelCacheEntry);
	ctl.hash = NameKeyHash;
	ctl.match = NameKeyMatch;
	ctl.keycopy = NameKeyCopy;
	ctl.hcxt = CacheCxt;
	ModelCache = hash_create("recsys models", 16, &ctl,
							 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
							 HASH_KEYCOPY | HASH_CONTEXT);
}

/* forget the model of an entry and free its memory */
static void
ForgetModel(ModelCacheEntry *entry)
{
	if (entry->cxt != NULL)
		MemoryContextDelete(entry->cxt);
	entry->cxt = NULL;
	entry->model = NULL;
	entry->id = -1;
	entry->revision = -1;
	entry->xmin = InvalidTransactionId;
	entry->generation = ++CacheGeneration;
}

/*
 * Look the model up in the catalog with the active snapshot, and make the
 * cache entry for name hold the model of the row found, loading it when the
 * row differs from the one the entry was built from.
 */
static ModelCacheEntry *
CheckModel(const char *name)
{
	ModelCacheEntry *entry;
	CatalogAccess access;
	bool		found;
	Datum		values[1];
	bool		isnull;
	int64		id;
	int32		revision;
	TransactionId xmin;
	Datum		readers;
	bool		may_use;
	int			ret;

	InitModelCache();
	entry = (ModelCacheEntry *) hash_search(ModelCache, &name, HASH_ENTER,
											&found);
	if (!found)
	{
		entry->model = NULL;
		entry->cxt = NULL;
		ForgetModel(entry);
	}

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));

	/* one saved plan per backend, planned again when the catalog changes */
	if (LookupPlan == NULL || LookupPlanGeneration != CatalogGeneration())
	{
		Oid			argtypes[1] = {TEXTOID};
		uint64		generation = CatalogGeneration();
		bool		has_readers = CatalogHasReaders();
		SPIPlanPtr	plan;

		if (LookupPlan != NULL)
		{
			SPI_freeplan(LookupPlan);
			LookupPlan = NULL;
		}

		/*
		 * Every name qualified: it runs as the catalog's owner under the
		 * caller's search_path (BeginCatalogRead).  A catalog older than
		 * 0.4 has no readers: every model is public.
		 */
		BeginCatalogAccess(&access);
		plan = SPI_prepare(psprintf("SELECT id, revision, xmin, owner::pg_catalog.text, %s "
									"FROM %s WHERE name OPERATOR(pg_catalog.=) $1",
									has_readers ? "readers::pg_catalog.text[]" : "NULL::pg_catalog.text[]",
									CatalogTableName("recsys_models")),
						   1, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		EndCatalogAccess(&access);
		LookupPlan = plan;
		LookupPlanGeneration = generation;
		LookupPlanHasReaders = has_readers;
		LookupPlanOwner = CatalogOwner();
	}

	values[0] = CStringGetTextDatum(name);
	BeginCatalogRead(&access, LookupPlanOwner);
	ret = SPI_execute_plan(LookupPlan, values, NULL, true, 1);
	EndCatalogRead(&access);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	may_use = SPI_processed == 1;
	if (may_use && LookupPlanHasReaders)
	{
		char	   *owner = SPI_getvalue(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 4);

		readers = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								5, &isnull);
		may_use = owner != NULL && !isnull &&
			RoleMayReadByName(access.caller, owner, DatumGetArrayTypeP(readers));
	}
	if (!may_use)
	{
		ForgetModel(entry);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 errhint("The table recsys_models lists the models you may use; another role's model must be shared with you by recsys_grant.")));
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	revision = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
	xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 3, &isnull));

	if (entry->model == NULL || entry->id != id ||
		entry->revision != revision || entry->xmin != xmin)
	{
		MemoryContext cxt;
		rs_model   *m;

		/*
		 * Build in a context under the current one, so an error frees it;
		 * only a complete model moves under the cache.
		 */
		cxt = AllocSetContextCreate(CurrentMemoryContext, "recsys model",
									ALLOCSET_DEFAULT_SIZES);
		MemoryContextCopyAndSetIdentifier(cxt, name);
		BeginCatalogAccess(&access);
		m = LoadModelRows(name, id, cxt);
		EndCatalogAccess(&access);

		ForgetModel(entry);
		MemoryContextSetParent(cxt, CacheCxt);
		entry->cxt = cxt;
		entry->model = m;
		entry->id = id;
		entry->revision = revision;
		entry->xmin = xmin;
	}
	SPI_finish();
	return entry;
}

/* true if site was checked under a snapshot like the active one (same stamp) */
static inline bool
StampMatches(const ModelCallSite *site)
{
	Snapshot	snap;

	if (!site->stamped || !ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	return site->userid == GetUserId() &&
		site->lxid == MyProc->lxid &&
		site->curcid == snap->curcid &&
		site->completion == snap->snapXactCompletionCount;
}

/*
 * The model called name, from the per-backend cache (see the file header).
 * Once the call site has checked the catalog for name under the current
 * statement's snapshot, a call costs a string compare, a generation compare
 * and the snapshot stamp compare: no allocation and no catalog access.
 */
const rs_model *
GetModel(FunctionCallInfo fcinfo, const char *name)
{
	ModelCallSite *site = (ModelCallSite *) fcinfo->flinfo->fn_extra;
	ModelCacheEntry *entry;
	Snapshot	snap;

	if (site != NULL && site->model != NULL &&
		site->generation == site->entry->generation &&
		strcmp(site->name, name) == 0 &&
		StampMatches(site))
		return site->model;

	if (site == NULL)
	{
		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									  sizeof(ModelCallSite));
		fcinfo->flinfo->fn_extra = site;
	}
	/* forget the old state first, in case the check errors out */
	site->model = NULL;
	site->stamped = false;

	entry = CheckModel(name);

	if (site->name == NULL || strcmp(site->name, name) != 0)
	{
		if (site->name != NULL)
			pfree(site->name);
		site->name = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, name);
	}
	site->entry = entry;
	site->generation = entry->generation;
	site->model = entry->model;
	if (ActiveSnapshotSet())
	{
		snap = GetActiveSnapshot();
		site->userid = GetUserId();
		site->lxid = MyProc->lxid;
		site->curcid = snap->curcid;
		site->completion = snap->snapXactCompletionCount;
		site->stamped = true;
	}
	return site->model;
}
