/*-------------------------------------------------------------------------
 *
 * recsys.c
 *		Module entry of recsys: settings and the adapters between the
 *		numeric core and PostgreSQL (allocator, errors, memory limit).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/recsys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "recsys.h"
#include "utils/guc.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

/* OpenBLAS's own thread settings; declared here to avoid cblas.h variants */
extern void openblas_set_num_threads(int);
extern int	openblas_get_num_procs(void);

int			recsys_threads = 0;
int			recsys_max_train_memory = 1024 * 1024;	/* kB: 1 GB */
bool		recsys_epoch_notices = true;

void		_PG_init(void);

/* Tell OpenBLAS how many threads it may use (0 = one per core) */
static void
assign_threads(int newval, void *extra)
{
	openblas_set_num_threads(newval > 0 ? newval : openblas_get_num_procs());
}

/* Define the recsys.* settings */
void
_PG_init(void)
{
	DefineCustomIntVariable("recsys.threads",
							"Number of threads used by training and BLAS (0 = one per core).",
							NULL,
							&recsys_threads,
							0, 0, 1024,
							PGC_USERSET,
							0,
							NULL, assign_threads, NULL);

	DefineCustomIntVariable("recsys.max_train_memory",
							"Largest amount of memory a training may use.",
							"The estimate is checked before the training allocates its arrays.",
							&recsys_max_train_memory,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("recsys.epoch_notices",
							 "Reports the progress of training with one NOTICE per epoch.",
							 NULL,
							 &recsys_epoch_notices,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("recsys");
}

/* Allocation hook of the core: huge, zeroed memory in a memory context */
static void *
recsys_alloc(void *state, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) state, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* Reallocation hook of the core */
static void *
recsys_realloc(void *state, void *ptr, size_t size)
{
	if (ptr == NULL)
		return recsys_alloc(state, size);
	return repalloc_huge(ptr, size);
}

/* Free hook of the core */
static void
recsys_free(void *state, void *ptr)
{
	pfree(ptr);
}

/*
 * An allocator that allocates in cxt.  The hooks never return NULL: palloc
 * raises an out-of-memory error itself, which unwinds the context.
 */
void
RecsysAllocatorInit(rs_allocator *alloc, MemoryContext cxt)
{
	alloc->alloc = recsys_alloc;
	alloc->realloc = recsys_realloc;
	alloc->free = recsys_free;
	alloc->state = cxt;
}

/* The SQLSTATE of a core status */
static int
core_errcode(rs_status code)
{
	switch (code)
	{
		case RS_ERR_PARAM:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case RS_ERR_DATA:
			return ERRCODE_DATA_EXCEPTION;
		case RS_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case RS_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case RS_ERR_CORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case RS_OK:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

/*
 * ereport(ERROR) for a core error.  The core's message is the primary
 * message; context (e.g. "training model \"x\"") becomes the error context.
 */
void
ReportCoreError(const rs_error *err, const char *context)
{
	const char *msg = err->message[0] ? err->message : "unspecified error in the numeric core";

	if (context)
		ereport(ERROR,
				(errcode(core_errcode(err->code)),
				 errmsg_internal("%s", msg),
				 errcontext("%s", context)));
	ereport(ERROR,
			(errcode(core_errcode(err->code)),
			 errmsg_internal("%s", msg)));
	pg_unreachable();
}

/* recsys.max_train_memory in bytes */
size_t
RecsysMemoryLimit(void)
{
	return (size_t) recsys_max_train_memory * 1024;
}

/* bytes as the memory errors show them: kB under a 10 MB limit, else MB */
static char *
MemoryText(size_t bytes, size_t limit)
{
	if (limit < (size_t) 10 * 1024 * 1024)
		return psprintf("%zu kB", (bytes + 1023) / 1024);
	return psprintf("%zu MB", (bytes + 1024 * 1024 - 1) / (1024 * 1024));
}

/*
 * Error out if a training of need bytes exceeds recsys.max_train_memory.
 * how says what kind of figure need is: "" for the need itself, "about "
 * for an estimate, "at least " for a lower bound; detail (NULL: none) says
 * where it comes from.  Sizes are shown in MB, or in kB while the limit is
 * under 10 MB, so that small limits (as in tests) read well and need never
 * rounds to the limit.
 */
void
CheckTrainMemoryDetail(size_t need, const char *how, const char *detail)
{
	size_t		limit = RecsysMemoryLimit();

	if (need <= limit)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("training needs %s%s, recsys.max_train_memory is %s",
					how, MemoryText(need, limit), MemoryText(limit, limit)),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("Increase recsys.max_train_memory or train on fewer rows.")));
}

/* Error out if a training of need bytes exceeds recsys.max_train_memory */
void
CheckTrainMemory(size_t need)
{
	CheckTrainMemoryDetail(need, "", NULL);
}
