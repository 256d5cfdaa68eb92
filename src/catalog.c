/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		Storing and dropping models: the writes of the catalog.
 *
 * A stored model is one row of recsys_models and its tensors in
 * recsys_tensors: a "_header" row (kind, sizes, options; see blob.h) and
 * one row per chunk of every named tensor.  StoreModel writes them in the
 * caller's transaction through SPI with parameters, as the catalog's owner
 * (see access.c for who may write what), so a failed or cancelled training
 * leaves nothing behind and a retraining under the same name replaces the
 * old model atomically.  Loading and the per-backend cache are in cache.c.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "blob.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "recsys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* ---------- helpers ---------- */

/*
 * The oid of the schema recsys is installed in.  (PostgreSQL 15 does not
 * export get_extension_schema, so read pg_extension here.)
 */
Oid
RecsysSchemaOid(void)
{
	Oid			extoid = get_extension_oid("recsys", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nspoid = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nspoid = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!OidIsValid(nspoid))
		elog(ERROR, "could not find the schema of extension recsys");
	return nspoid;
}

/*
 * Whether the catalog has the column readers: the library serves the
 * catalogs of earlier versions too, between the install of a new library
 * and ALTER EXTENSION UPDATE.
 */
bool
CatalogHasReaders(void)
{
	Oid			relid = get_relname_relid("recsys_models", RecsysSchemaOid());

	return OidIsValid(relid) &&
		get_attnum(relid, "readers") != InvalidAttrNumber;
}

/* the quoted name of the schema recsys is installed in */
char *
RecsysSchema(void)
{
	char	   *nspname = get_namespace_name(RecsysSchemaOid());

	if (nspname == NULL)
		elog(ERROR, "could not find the schema of extension recsys");
	return pstrdup(quote_identifier(nspname));
}

/* int64 shape of t as a bigint[] of ndim entries */
static ArrayType *
ShapeArray(const rs_tensor *t)
{
	Datum		elems[2];
	int			i;

	for (i = 0; i < t->ndim; i++)
		elems[i] = Int64GetDatum(t->shape[i]);
	return construct_array(elems, t->ndim, INT8OID, sizeof(int64),
						   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

bool
LockModelRow(const char *schema, const char *name, MemoryContext cxt,
			 ModelRow *row)
{
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	Datum		readers;
	bool		isnull;
	MemoryContext oldcxt;
	int			ret;

	/* a catalog older than 0.4 has no readers: shared with no one */
	sql = psprintf("SELECT owner::text, %s FROM %s.recsys_models "
				   "WHERE name = $1 FOR UPDATE",
				   CatalogHasReaders() ? "readers::pg_catalog.text[]" : "'{}'::pg_catalog.text[]",
				   schema);
	values[0] = CStringGetTextDatum(name);
	ret = SPI_execute_with_args(sql, 1, argtypes, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return false;

	row->owner = MemoryContextStrdup(cxt,
									 SPI_getvalue(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1));
	readers = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
							&isnull);
	if (isnull)
		elog(ERROR, "recsys_models.readers is null for model \"%s\"", name);
	oldcxt = MemoryContextSwitchTo(cxt);
	row->readers = PointerGetDatum(DatumGetArrayTypePCopy(readers));
	MemoryContextSwitchTo(oldcxt);
	return true;
}

/* delete the model called name (tensors go by ON DELETE CASCADE) */
static void
DeleteModelRow(const char *schema, const char *name)
{
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	int			ret;

	sql = psprintf("DELETE FROM %s.recsys_models WHERE name = $1", schema);
	values[0] = CStringGetTextDatum(name);
	ret = SPI_execute_with_args(sql, 1, argtypes, values, NULL, false, 0);
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
}

/* ---------- storing ---------- */

/*
 * Store m under name in the caller's transaction, replacing a model of that
 * name.  Each tensor is cut into chunks of rs_chunk_elements elements; every
 * chunk is built in a scratch context reset after its row is inserted, so
 * memory stays bounded by one chunk whatever the size of the model.
 */
void
StoreModel(const char *name, const char *source, Jsonb *options,
		   const rs_model *m)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext scratch;
	char	   *schema;
	CatalogAccess w;
	ModelRow	old;
	bool		has_readers = CatalogHasReaders();
	char	   *sql;
	SPIPlanPtr	model_plan;
	SPIPlanPtr	tensor_plan;
	Oid			model_types[10] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID,
	JSONBOID, INT4OID, INT4OID, INT8OID, TEXTOID, TEXTARRAYOID};
	Oid			tensor_types[6] = {INT8OID, TEXTOID, INT4OID, TEXTOID,
	INT8ARRAYOID, BYTEAOID};
	Datum		values[10];
	char		nulls[10];
	bool		isnull;
	int64		model_id;
	int			ret;
	int			t;
	size_t		hsize;
	bytea	   *blob;

	if (name == NULL || name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));

	schema = RecsysSchema();
	if (options == NULL)
		options = ParamsToJsonb(&m->params);

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));

	BeginCatalogAccess(&w);

	/*
	 * replace: the old model goes first, if the caller may replace it; the
	 * new one keeps its owner and the roles it was shared with, as CREATE
	 * OR REPLACE does
	 */
	if (LockModelRow(schema, name, callercxt, &old))
	{
		CheckModelOwner(w.caller, name, old.owner);
		DeleteModelRow(schema, name);
	}
	else
	{
		old.owner = GetUserNameFromId(w.caller, false);
		old.readers = PointerGetDatum(construct_empty_array(TEXTOID));
	}

	/* the model's row (a catalog older than 0.4 has no readers) */
	if (has_readers)
		sql = psprintf("INSERT INTO %s.recsys_models "
					   "(name, kind, source, options, metrics, n_users, n_items, n_ratings, "
					   "owner, readers) "
					   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
					   "$10::pg_catalog.regrole[]) RETURNING id",
					   schema);
	else
		sql = psprintf("INSERT INTO %s.recsys_models "
					   "(name, kind, source, options, metrics, n_users, n_items, n_ratings, "
					   "owner) "
					   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
					   schema);
	model_plan = SPI_prepare(sql, has_readers ? 10 : 9, model_types);
	if (model_plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(m->kind->name);
	if (source != NULL)
		values[2] = CStringGetTextDatum(source);
	else
	{
		values[2] = (Datum) 0;
		nulls[2] = 'n';
	}
	values[3] = JsonbPGetDatum(options);
	values[4] = JsonbPGetDatum(MetricsToJsonb(m));
	values[5] = Int32GetDatum(m->n_users);
	values[6] = Int32GetDatum(m->n_items);
	values[7] = Int64GetDatum(m->n_ratings);
	values[8] = CStringGetTextDatum(old.owner);
	values[9] = old.readers;
	ret = SPI_execute_plan(model_plan, values, nulls, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));

	/* its tensors: the header first, then every chunk of every tensor */
	sql = psprintf("INSERT INTO %s.recsys_tensors "
				   "(model_id, tensor, chunk, dtype, shape, data) "
				   "VALUES ($1, $2, $3, $4, $5, $6)",
				   schema);
	tensor_plan = SPI_prepare(sql, 6, tensor_types);
	if (tensor_plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	scratch = AllocSetContextCreate(CurrentMemoryContext,
									"recsys store chunk",
									ALLOCSET_DEFAULT_SIZES);
	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(model_id);

	hsize = rs_header_size(m);
	blob = (bytea *) palloc(VARHDRSZ + hsize);
	SET_VARSIZE(blob, VARHDRSZ + hsize);
	rs_header_write(m, (uint8_t *) VARDATA(blob));
	values[1] = CStringGetTextDatum("_header");
	values[2] = Int32GetDatum(0);
	values[3] = CStringGetTextDatum("header");
	values[4] = PointerGetDatum(construct_empty_array(INT8OID));
	values[5] = PointerGetDatum(blob);
	ret = SPI_execute_plan(tensor_plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));

	for (t = 0; t < m->n_tensors; t++)
	{
		const rs_tensor *tensor = &m->tensors[t];
		size_t		count = rs_tensor_count(tensor);
		size_t		per_chunk = rs_chunk_elements(tensor);
		size_t		offset = 0;
		int32		chunk = 0;

		/* an empty tensor has no chunk (the core rejects empty chunks) */
		while (offset < count)
		{
			MemoryContext oldcxt;
			size_t		n = Min(per_chunk, count - offset);
			size_t		csize = rs_chunk_size(tensor, n);

			CHECK_FOR_INTERRUPTS();
			oldcxt = MemoryContextSwitchTo(scratch);
			blob = (bytea *) palloc_extended(VARHDRSZ + csize, 0);
			SET_VARSIZE(blob, VARHDRSZ + csize);
			rs_chunk_write(tensor, offset, n, (uint8_t *) VARDATA(blob));
			values[1] = CStringGetTextDatum(tensor->name);
			values[2] = Int32GetDatum(chunk);
			values[3] = CStringGetTextDatum(rs_dtype_name(tensor->dtype));
			values[4] = PointerGetDatum(ShapeArray(tensor));
			values[5] = PointerGetDatum(blob);
			MemoryContextSwitchTo(oldcxt);

			ret = SPI_execute_plan(tensor_plan, values, nulls, false, 0);
			if (ret != SPI_OK_INSERT)
				elog(ERROR, "SPI_execute_plan failed: %s",
					 SPI_result_code_string(ret));
			MemoryContextReset(scratch);

			offset += n;
			chunk++;
		}
	}

	MemoryContextDelete(scratch);
	EndCatalogAccess(&w);
	SPI_finish();
}

/* ---------- dropping ---------- */

/*
 * Delete the model called name; false if it does not exist and missing_ok,
 * an error otherwise.  Only its owner (or a superuser) may drop it.
 */
bool
DropModel(const char *name, bool missing_ok)
{
	char	   *schema = RecsysSchema();
	CatalogAccess w;
	ModelRow	row;
	int			ret;

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	BeginCatalogAccess(&w);
	if (!LockModelRow(schema, name, CurrentMemoryContext, &row))
	{
		EndCatalogAccess(&w);
		SPI_finish();
		if (missing_ok)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name)));
	}
	CheckModelOwner(w.caller, name, row.owner);
	DeleteModelRow(schema, name);
	EndCatalogAccess(&w);
	SPI_finish();
	return true;
}

PG_FUNCTION_INFO_V1(recsys_drop);
/* SQL recsys_drop(model, if_exists): delete a stored model */
Datum
recsys_drop(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		if_exists = PG_GETARG_BOOL(1);

	PG_RETURN_BOOL(DropModel(name, if_exists));
}

