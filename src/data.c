/*-------------------------------------------------------------------------
 *
 * data.c
 *		recsys_synthetic_ratings: ratings from a planted low-rank model.
 *
 * The rows come from the core's generator (src/core/synthetic.c), a pure
 * function of the arguments and the seed, and are streamed into a
 * tuplestore, which spills to disk, so tens of millions of rows are fine.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/data.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "recsys.h"
#include "synthetic.h"
#include "utils/timestamp.h"

/* Largest sizes accepted: beyond them the generator's tables get huge */
#define SYNTH_MAX_USERS 100000000
#define SYNTH_MAX_ITEMS 100000000
#define SYNTH_MAX_RATINGS INT64CONST(10000000000)

/* Error for an argument out of range */
static void
bad_argument(const char *name, int64 value, int64 max)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be between 1 and " INT64_FORMAT ", not " INT64_FORMAT,
					name, max, value)));
}

/*
 * Ratings on the 1-5 scale drawn from a planted low-rank model with
 * popularity skew, in time order per user.
 */
PG_FUNCTION_INFO_V1(recsys_synthetic_ratings);
Datum
recsys_synthetic_ratings(PG_FUNCTION_ARGS)
{
	int32		n_users = PG_GETARG_INT32(0);
	int32		n_items = PG_GETARG_INT32(1);
	int64		n_ratings = PG_GETARG_INT64(2);
	int32		seed = PG_GETARG_INT32(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext gen_cxt;
	rs_allocator alloc;
	rs_synth   *synth;
	rs_synth_row row;
	rs_error	err;
	int64		n = 0;

	if (n_users < 1 || n_users > SYNTH_MAX_USERS)
		bad_argument("n_users", n_users, SYNTH_MAX_USERS);
	if (n_items < 1 || n_items > SYNTH_MAX_ITEMS)
		bad_argument("n_items", n_items, SYNTH_MAX_ITEMS);
	if (n_ratings < 1 || n_ratings > SYNTH_MAX_RATINGS)
		bad_argument("n_ratings", n_ratings, SYNTH_MAX_RATINGS);
	/* each (user, item) pair is rated at most once */
	if (n_ratings > (int64) n_users * (int64) n_items)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_ratings cannot exceed n_users * n_items"),
				 errdetail("Each of the %d users can rate each of the %d items at most once, "
						   "which allows " INT64_FORMAT " ratings, not " INT64_FORMAT ".",
						   n_users, n_items, (int64) n_users * (int64) n_items,
						   n_ratings)));

	InitMaterializedSRF(fcinfo, 0);

	gen_cxt = AllocSetContextCreate(CurrentMemoryContext, "recsys synthetic",
									ALLOCSET_DEFAULT_SIZES);
	RecsysAllocatorInit(&alloc, gen_cxt);
	if (rs_synth_create(n_users, n_items, n_ratings, (uint64) (int64) seed,
						&alloc, &synth, &err) != RS_OK)
		ReportCoreError(&err, NULL);

	while (rs_synth_next(synth, &row))
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int64GetDatum(row.user_id);
		values[1] = Int64GetDatum(row.item_id);
		values[2] = Float4GetDatum(row.rating);
		/* PostgreSQL's epoch is 2000-01-01 00:00 UTC, as the generator's */
		values[3] = TimestampTzGetDatum((TimestampTz) (row.time * USECS_PER_SEC));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

		if (++n % 65536 == 0)
			CHECK_FOR_INTERRUPTS();
	}

	rs_synth_free(synth);
	MemoryContextDelete(gen_cxt);
	return (Datum) 0;
}
