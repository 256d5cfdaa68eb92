/*-------------------------------------------------------------------------
 *
 * estimate.c
 *		The memory a training of a relation will need, estimated before a
 *		row is read.
 *
 * recsys_train checks recsys.max_train_memory three times: here, from the
 * planner's row estimate of the source and the column statistics' numbers
 * of users and items, so that a training that cannot fit fails at once with
 * the whole need; while the rows are read (a lower bound: what the rows read
 * so far need); and once they are read, with the exact need.  The first
 * check is skipped when the planner has no estimate, and says "at least"
 * when the statistics do not know the users and items (the weights then
 * count as one user and one item).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/estimate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/plannodes.h"
#include "ratings.h"
#include "recsys.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"

/* the planner's estimate of the rows of a full scan of qualified; 0: none */
static double
PlannerRows(const char *qualified)
{
	SPIPlanPtr	plan;
	CachedPlan *cplan;
	double		rows = 0;

	plan = SPI_prepare(psprintf("SELECT 1 FROM %s", qualified), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan != NULL && list_length(cplan->stmt_list) == 1)
	{
		PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

		if (stmt->planTree != NULL)
			rows = stmt->planTree->plan_rows;
	}
	if (cplan != NULL)
		ReleaseCachedPlan(cplan, NULL);
	SPI_freeplan(plan);
	return rows;
}

/*
 * Distinct values of column of relid by its statistics (a fraction of rows
 * when negative, as pg_stats keeps it); 0 when there are none.
 */
static double
DistinctValues(Oid relid, const char *column, double rows)
{
	Oid			argtypes[3] = {NAMEOID, NAMEOID, NAMEOID};
	Datum		args[3];
	bool		isnull;
	double		n;
	int			ret;

	args[0] = DirectFunctionCall1(namein, CStringGetDatum(get_namespace_name(get_rel_namespace(relid))));
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(get_rel_name(relid)));
	args[2] = DirectFunctionCall1(namein, CStringGetDatum(column));
	ret = SPI_execute_with_args("SELECT n_distinct::pg_catalog.float8 FROM pg_catalog.pg_stats "
								"WHERE schemaname = $1 AND tablename = $2 AND attname = $3",
								3, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return 0;
	n = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		return 0;
	return n < 0 ? -n * rows : n;
}

/*
 * Error out when a training on the rows of relid, with opts, is estimated
 * to need more than recsys.max_train_memory (see the file comment).
 */
void
CheckSourceMemory(Oid relid, const RecsysOptions *opts, bool timed)
{
	char	   *relname = get_rel_name(relid);
	char	   *qualified;
	double		rows;
	double		users;
	double		items;
	bool		counted;
	size_t		need;
	int			ret;

	qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										   relname);
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	rows = PlannerRows(qualified);
	users = rows >= 1 ? DistinctValues(relid, opts->user_column, rows) : 0;
	items = rows >= 1 ? DistinctValues(relid, opts->item_column, rows) : 0;
	SPI_finish();
	if (rows < 1)
		return;					/* nothing known: the later checks stand */

	counted = users >= 1 && items >= 1;
	users = Min(counted ? users : 1, (double) PG_INT32_MAX);
	items = Min(counted ? items : 1, (double) PG_INT32_MAX);
	rows = Min(rows, (double) (SIZE_MAX / 64));
	need = rs_add_size(rs_train_memory(&opts->params, (int32_t) users,
									   (int32_t) items, (size_t) rows),
					   rs_ratings_estimate_memory((size_t) rows, (size_t) users,
												  (size_t) items, timed));
	if (counted)
		CheckTrainMemoryDetail(need, "about ",
							   psprintf("Estimated before reading, for the %.0f rows the planner expects in \"%s\", with %.0f users and %.0f items by its column statistics.",
										rows, relname, users, items));
	else
		CheckTrainMemoryDetail(need, "at least ",
							   psprintf("Estimated before reading, for the %.0f rows the planner expects in \"%s\"; the numbers of users and items are not known (ANALYZE the table for them).",
										rows, relname));
}
