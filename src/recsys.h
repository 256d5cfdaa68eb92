/*-------------------------------------------------------------------------
 *
 * recsys.h
 *		Declarations shared by the PostgreSQL glue of recsys.
 *
 * The glue (the src/ files that include postgres.h) turns SQL calls into calls of
 * the numeric core (src/core, plain C) and core error codes into ereport.
 * Shared helpers here are CamelCase; core functions are rs_lower_snake, so
 * the case tells whether a function may ereport or palloc.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/recsys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_RECSYS_H
#define RECSYS_RECSYS_H

#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "model.h"

/* ---- recsys.c: settings and core adapters ---- */

extern int	recsys_threads;			/* recsys.threads: 0 = one per core */
extern int	recsys_max_train_memory;	/* recsys.max_train_memory, in kB */
extern bool recsys_epoch_notices;	/* recsys.epoch_notices: NOTICE per epoch */

/* an allocator that allocates (huge, zeroed) in cxt */
extern void RecsysAllocatorInit(rs_allocator *alloc, MemoryContext cxt);
/* ereport(ERROR) for a core error; context names what was being done */
extern void ReportCoreError(const rs_error *err, const char *context) pg_attribute_noreturn();
/* the memory limit in bytes */
extern size_t RecsysMemoryLimit(void);
/* error out if a training of need bytes exceeds the limit */
extern void CheckTrainMemory(size_t need);
extern void CheckTrainMemoryDetail(size_t need, const char *how,
								   const char *detail);

/* ---- options.c: jsonb options ---- */

/* Options of one training call: the kind's hyper-parameters plus glue ones. */
typedef struct RecsysOptions
{
	rs_params	params;			/* kind hyper-parameters, validated */
	char	   *user_column;	/* source columns, default user_id ... */
	char	   *item_column;
	char	   *rating_column;
	char	   *time_column;
	bool		verbose;		/* NOTICE per epoch (default recsys.epoch_notices) */
} RecsysOptions;

/* the kind called name, or an error listing the valid kinds */
extern const rs_kind *LookupKind(const char *name);
/* parse and validate options (NULL = all defaults) for kind */
extern void ParseOptions(const rs_kind *kind, Jsonb *options, RecsysOptions *out);
/* every option of the kind, as used, as jsonb (the column-name ones too) */
extern Jsonb *OptionsToJsonb(const RecsysOptions *opts);
/* kind options from a stored model, as jsonb */
extern Jsonb *ParamsToJsonb(const rs_params *params);
/* metrics of a trained model: best epoch, validation RMSE, history */
extern Jsonb *MetricsToJsonb(const rs_model *m);
/* error unless a source column exists with an id (or rating) type */
extern void CheckSourceColumn(Oid relid, const char *column, bool is_rating,
							  const char *option);
/* the SQL type a training reads an id column as */
extern const char *IdColumnType(Oid relid, const char *column);
/* error unless the time column exists and its type has an ordering */
extern void CheckTimeColumn(Oid relid, const char *column);

/* ---- catalog.c: storing and dropping models ---- */

/* the quoted name of the extension's schema, and its oid */
extern char *RecsysSchema(void);
extern Oid	RecsysSchemaOid(void);
/* whether the catalog has recsys_models.readers (0.4 and later) */
extern bool CatalogHasReaders(void);

/* what LockModelRow found of a model's catalog row */
typedef struct ModelRow
{
	char	   *owner;			/* role name */
	Datum		readers;		/* text[]: the readers' names (see RoleMayReadByName) */
} ModelRow;

/*
 * Lock the catalog row of model name against concurrent changes and read
 * it into *row (allocated in cxt); false when there is none.  Connected to
 * SPI, inside BeginCatalogAccess (the row may be private to another role).
 */
extern bool LockModelRow(const char *schema, const char *name,
						 MemoryContext cxt, ModelRow *row);

/*
 * Store m under name in the caller's transaction, replacing a model of that
 * name.  options is what OptionsToJsonb gave (or NULL to derive it from the
 * model); source may be NULL.
 */
extern void StoreModel(const char *name, const char *source, Jsonb *options,
					   const rs_model *m);
/* delete; false if missing (and missing_ok), else an error */
extern bool DropModel(const char *name, bool missing_ok);

/* ---- cache.c: loading models, the per-backend cache ---- */

/*
 * The model called name, from the per-backend cache.  The catalog is
 * consulted once per query execution through the caller's fn_extra: later
 * calls from the same call site cost one comparison.  Errors if the model
 * does not exist or its rows are damaged.
 */
extern const rs_model *GetModel(FunctionCallInfo fcinfo, const char *name);

/* ---- cluster.c: where serving reads the catalog from ---- */

/* the qualified name to read a catalog table by on this node (SPI connected) */
extern char *CatalogTableName(const char *table);
/* changes whenever CatalogTableName's answers may have changed */
extern uint64 CatalogGeneration(void);
/* on a Citus cluster: before a read that a catalog write follows */
extern void SequentialForWrite(void);

/* ---- access.c: owners, sharing, and acting as the catalog's owner ---- */

/* the caller's identity, saved while acting as the catalog's owner */
typedef struct CatalogAccess
{
	Oid			caller;			/* the role the caller acts as */
	int			sec_context;
	int			guc_level;
} CatalogAccess;

/* act as the catalog's owner, with a safe search_path, until the end */
extern void BeginCatalogAccess(CatalogAccess *w);
extern void EndCatalogAccess(CatalogAccess *w);
/* the same, user id only: for statements that qualify every name */
extern void BeginCatalogRead(CatalogAccess *w, Oid owner);
extern void EndCatalogRead(CatalogAccess *w);
/* the owner of the catalog */
extern Oid	CatalogOwner(void);
/* error out unless role may change the model name owned by owner */
extern void CheckModelOwner(Oid role, const char *name, const char *owner);
/* whether role may use a model of this owner shared with these readers */
extern bool RoleMayRead(Oid role, const char *owner, ArrayType *readers);
/* the same with the readers' names (text[]), as serving reads them */
extern bool RoleMayReadByName(Oid role, const char *owner,
							  ArrayType *reader_names);

/* ---- ids.c: user and item ids as SQL values ---- */

struct rs_keys;

/* the name of an id type in messages */
extern const char *IdTypeName(rs_id_type type);
/* the id type of SQL type typid, or -1 (unknown and other types) */
extern int	IdTypeOfSqlType(Oid typid);
/* dense index of id value d of SQL type typid on side (-1: unknown id) */
extern int32 IdIndex(const rs_model *m, const char *model_name, int side,
					 Datum d, Oid typid, const char *what);
/* IdIndex of argument argno (model name in argument 0) */
extern int32 IdArgIndex(FunctionCallInfo fcinfo, int argno, const rs_model *m,
						int side, const char *what);
/* the array argument argno of ids of side (an untyped literal parsed) */
extern ArrayType *IdArrayArg(FunctionCallInfo fcinfo, int argno,
							 const rs_model *m, int side, const char *what);
/* IdIndex of every element of an array of ids */
extern int32_t *IdArrayIndexes(ArrayType *a, const rs_model *m,
							   const char *model_name, int side,
							   const char *what, size_t *n);
/* IdArrayIndexes of the array argument argno (model name in argument 0) */
extern int32_t *IdArrayArgIndexes(FunctionCallInfo fcinfo, int argno,
								  const rs_model *m, int side,
								  const char *what, size_t *n);
/* error unless result column col of the calling SRF can hold side's ids */
extern void CheckResultIds(FunctionCallInfo fcinfo, const rs_model *m,
						   int side, int col);
/* index i of side as the value of result column col (bigint or text) */
extern Datum IdResult(const rs_model *m, int side, int32 i, TupleDesc desc,
					  int col);
/* error unless a source column holds ids of the model's type for side */
extern void CheckColumnIds(const rs_model *m, const char *model_name,
						   int side, Oid relid, const char *column);
/* the int64 a training uses for value d of SQL type typid */
extern int64 TrainingId(Datum d, Oid typid, rs_id_type type,
						struct rs_keys *keys);

/* ---- estimate.c: the memory of a training, before reading ---- */

/* error out when the training of relid is estimated to exceed the limit */
extern void CheckSourceMemory(Oid relid, const RecsysOptions *opts,
							  bool timed);

#endif							/* RECSYS_RECSYS_H */
