/*-------------------------------------------------------------------------
 *
 * serve.c
 *		recsys_predict, recsys_recommend (for a training user or a history
 *		given at query time) and recsys_evaluate.
 *
 * All three find their model through GetModel (cache.c), which checks
 * the catalog once per statement and call site and otherwise returns the
 * cached model.  recsys_predict is called once per row of big queries, so
 * after the first row it does nothing but the cache check, two binary
 * searches over the id tables and the kind's prediction: no allocation and
 * no catalog access.  recsys_recommend scores every item in one pass into a
 * per-backend buffer and keeps the k best with a bounded heap (topk.h).
 *
 * Cold start is the core's: an unknown user gets the global mean plus the
 * item's bias, an unknown item the mean plus the user's bias, both unknown
 * the mean (for kinds with biases).
 *
 * Every kind but popularity also serves a history given at query time as
 * two arrays, items and ratings, oldest first, instead of a training user:
 * the items are mapped to dense indexes here (unknown ones to -1, which
 * the core drops); lstm runs the newest seq_len steps through its state,
 * mf and dense fold the history in (the user's weights solved against the
 * fixed item weights), a ranking head folds it into its user row.  The history
 * forms share the model lookup, the score buffer and the top-k output with
 * the user-id forms.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/serve.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "metrics.h"
#include "miscadmin.h"
#include "rank.h"
#include "recsys.h"
#include "topk.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

/* model names up to this many bytes are read without an allocation */
#define NAME_BUF_LEN 256

/* per-backend buffer of item scores for recommend, grown as needed */
static float *ScoreBuf = NULL;
static size_t ScoreBufLen = 0;

/*
 * The model named by argument 0.  Short names are copied to a stack buffer
 * so a call allocates nothing; GetModel keeps its own copy.
 */
static const rs_model *
ModelArg(FunctionCallInfo fcinfo)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	char		buf[NAME_BUF_LEN];

	if (len < sizeof(buf))
	{
		memcpy(buf, VARDATA_ANY(t), len);
		buf[len] = '\0';
		return GetModel(fcinfo, buf);
	}
	return GetModel(fcinfo, text_to_cstring(t));
}

PG_FUNCTION_INFO_V1(recsys_predict);
/* SQL recsys_predict(model, user_id, item_id): the predicted rating */
Datum
recsys_predict(PG_FUNCTION_ARGS)
{
	const rs_model *m = ModelArg(fcinfo);
	int32_t		u = IdArgIndex(fcinfo, 1, m, RS_SIDE_USER, "user_id");
	int32_t		i = IdArgIndex(fcinfo, 2, m, RS_SIDE_ITEM, "item_id");

	PG_RETURN_FLOAT8(rs_model_predict(m, u, i));
}

/* a score buffer of at least n floats, kept for the backend's life */
static float *
ScoreBuffer(size_t n)
{
	if (n > ScoreBufLen)
	{
		if (ScoreBuf != NULL)
			pfree(ScoreBuf);
		ScoreBuf = NULL;
		ScoreBufLen = 0;
		ScoreBuf = MemoryContextAllocHuge(TopMemoryContext,
										  mul_size(Max(n, 1), sizeof(float)));
		ScoreBufLen = Max(n, 1);
	}
	return ScoreBuf;
}

/* error unless k, the number of items to recommend, is at least 1 */
static void
CheckK(int32 k)
{
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1")));
}

/*
 * Return the k best items of scores (n_items; excluded items are -INFINITY
 * and never come back) as rows, best first: ranking scores as they are,
 * ratings clipped to the rating range.
 */
static void
EmitTopK(ReturnSetInfo *rsinfo, const rs_model *m, const float *scores,
		 int32 k)
{
	int32_t    *top_index;
	float	   *top_score;
	int			n;
	int			j;

	k = Min(k, m->n_items);
	if (k <= 0)
		return;
	top_index = palloc(sizeof(int32_t) * k);
	top_score = palloc(sizeof(float) * k);
	n = rs_model_top_items(m, scores, k, top_index, top_score);
	for (j = 0; j < n; j++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = IdResult(m, RS_SIDE_ITEM, top_index[j], rsinfo->setDesc, 0);
		values[1] = Float8GetDatum(top_score[j]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(top_index);
	pfree(top_score);
}

/*
 * Apply the business filters of arguments argno (candidates) and argno + 1
 * (exclude), when not NULL, to scores: only candidates are ranked, never
 * the excluded items.  Items the model does not know are ignored in both.
 * The SQL declarations of versions before 0.4 have no filter arguments.
 */
static void
ApplyFilters(FunctionCallInfo fcinfo, int argno, const rs_model *m,
			 float *scores)
{
	size_t		n;
	int32_t    *items;

	if (PG_NARGS() < argno + 2)
		return;
	if (!PG_ARGISNULL(argno))
	{
		float	   *saved;

		items = IdArrayArgIndexes(fcinfo, argno, m, RS_SIDE_ITEM, "candidates", &n);
		saved = palloc(sizeof(float) * Max(n, 1));
		rs_scores_keep_only(scores, m->n_items, items, n, saved);
		pfree(saved);
		pfree(items);
	}
	if (!PG_ARGISNULL(argno + 1))
	{
		items = IdArrayArgIndexes(fcinfo, argno + 1, m, RS_SIDE_ITEM, "exclude", &n);
		rs_scores_exclude(scores, m->n_items, items, n);
		pfree(items);
	}
}

/* true when any of the first n arguments is NULL */
static bool
AnyArgIsNull(FunctionCallInfo fcinfo, int n)
{
	int			j;

	for (j = 0; j < n; j++)
		if (PG_ARGISNULL(j))
			return true;
	return false;
}

PG_FUNCTION_INFO_V1(recsys_recommend);
/*
 * SQL recsys_recommend(model, user_id, k, exclude_rated, candidates,
 * exclude): the k best items for a user
 */
Datum
recsys_recommend(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const rs_model *m;
	int32		k;
	int32_t		u;
	float	   *scores;

	InitMaterializedSRF(fcinfo, 0);
	/* as if strict in the model, the user and the settings: no rows */
	if (AnyArgIsNull(fcinfo, 4))
		return (Datum) 0;
	k = PG_GETARG_INT32(2);
	CheckK(k);
	m = ModelArg(fcinfo);
	CheckResultIds(fcinfo, m, RS_SIDE_ITEM, 0);
	u = IdArgIndex(fcinfo, 1, m, RS_SIDE_USER, "user_id");
	if (m->n_items == 0)
		return (Datum) 0;

	scores = ScoreBuffer((size_t) m->n_items);
	rs_model_score_items(m, u, scores);
	if (PG_GETARG_BOOL(3))
		rs_model_exclude_rated(m, u, scores);
	ApplyFilters(fcinfo, 4, m, scores);

	EmitTopK(rsinfo, m, scores, k);
	return (Datum) 0;
}

/* A history given at query time, read from arguments 1 and 2 */
typedef struct QueryHistory
{
	int32_t    *items;			/* (n) dense indexes, -1 for unknown items */
	const float *ratings;		/* (n) points into the ratings array */
	size_t		n;
} QueryHistory;

/*
 * Error unless the model takes a history given at query time; hint names
 * the user-id form of the calling function.
 */
static void
CheckHistoryKind(FunctionCallInfo fcinfo, const rs_model *m, bool for_predict,
				 const char *hint)
{
	if (!rs_model_takes_history(m, for_predict))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" of kind \"%s\" does not take a history",
						text_to_cstring(PG_GETARG_TEXT_PP(0)), m->kind->name),
				 errdetail("Kinds mf, dense and lstm serve a history given at query time."),
				 errhint("%s", hint)));
}

/*
 * The first element of an array; ARR_DATA_PTR with the offset's sign made
 * explicit (the macro mixes int32 and size_t, which -Wextra reports).
 */
static const char *
ArrayDataStart(ArrayType *a)
{
	return (const char *) a + (ARR_HASNULL(a) ? (size_t) a->dataoffset :
							   ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

/*
 * Read the history arrays history_items bigint[] and history_ratings
 * real[] (arguments 1 and 2): one-dimensional (or empty), of the same
 * length, without NULLs, with finite ratings.  Items are mapped to the
 * model's dense indexes; an unknown item becomes -1 and the core drops it.
 */
static void
ReadHistory(FunctionCallInfo fcinfo, const rs_model *m, QueryHistory *h)
{
	ArrayType  *items = IdArrayArg(fcinfo, 1, m, RS_SIDE_ITEM, "history_items");
	ArrayType  *ratings = PG_GETARG_ARRAYTYPE_P(2);
	int			n_items;
	int			n_ratings;
	size_t		n;
	int			t;

	if (ARR_ELEMTYPE(ratings) != FLOAT4OID)
		elog(ERROR, "history_ratings has element type %u", ARR_ELEMTYPE(ratings));
	if (ARR_NDIM(items) > 1 || ARR_NDIM(ratings) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("history arrays must be one-dimensional"),
				 errdetail("The number of dimensions of history_items is %d, that of history_ratings %d.",
						   ARR_NDIM(items), ARR_NDIM(ratings))));
	n_items = ArrayGetNItems(ARR_NDIM(items), ARR_DIMS(items));
	n_ratings = ArrayGetNItems(ARR_NDIM(ratings), ARR_DIMS(ratings));
	if (n_items != n_ratings)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("history arrays must have the same length"),
				 errdetail("The length of history_items is %d, that of history_ratings %d.",
						   n_items, n_ratings),
				 errhint("Pass the items and their ratings step by step, oldest first.")));
	if (array_contains_nulls(items) || array_contains_nulls(ratings))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("history arrays must not contain NULL"),
				 errhint("Leave out the steps whose item or rating is not known.")));

	/* without NULLs the ratings are a plain C array */
	h->ratings = (const float *) ArrayDataStart(ratings);
	h->items = IdArrayIndexes(items, m, text_to_cstring(PG_GETARG_TEXT_PP(0)),
							  RS_SIDE_ITEM, "history_items", &n);
	h->n = n;
	for (t = 0; t < n_items; t++)
		if (isnan(h->ratings[t]) || isinf(h->ratings[t]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("rating must be a finite number"),
					 errdetail("Element %d of history_ratings is %s.",
							   t + 1, float8out_internal(h->ratings[t]))));
}

PG_FUNCTION_INFO_V1(recsys_predict_history);
/*
 * SQL recsys_predict(model, history_items, history_ratings, item_id): the
 * predicted rating of an item after a history given at query time
 */
Datum
recsys_predict_history(PG_FUNCTION_ARGS)
{
	const rs_model *m = ModelArg(fcinfo);
	QueryHistory h;
	int32_t		i;
	double		result;
	rs_error	err;

	CheckHistoryKind(fcinfo, m, true,
					 "Use recsys_predict(model, user_id, item_id) for a user of the training data.");
	ReadHistory(fcinfo, m, &h);
	i = IdArgIndex(fcinfo, 3, m, RS_SIDE_ITEM, "item_id");
	if (rs_model_predict_history(m, h.items, h.ratings, h.n, i, &result,
								 &err) != RS_OK)
		ReportCoreError(&err, NULL);
	pfree(h.items);

	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(recsys_recommend_history);
/*
 * SQL recsys_recommend(model, history_items, history_ratings, k,
 * exclude_rated, candidates, exclude): the k best items after a history
 * given at query time
 */
Datum
recsys_recommend_history(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const rs_model *m;
	int32		k;
	QueryHistory h;
	float	   *scores;
	rs_error	err;

	InitMaterializedSRF(fcinfo, 0);
	/* as if strict in the model, the history and the settings: no rows */
	if (AnyArgIsNull(fcinfo, 5))
		return (Datum) 0;
	k = PG_GETARG_INT32(3);
	CheckK(k);
	m = ModelArg(fcinfo);
	CheckHistoryKind(fcinfo, m, false,
					 "Use recsys_recommend(model, user_id, k) for a user of the training data.");
	CheckResultIds(fcinfo, m, RS_SIDE_ITEM, 0);
	ReadHistory(fcinfo, m, &h);
	if (m->n_items == 0)
		return (Datum) 0;

	scores = ScoreBuffer((size_t) m->n_items);
	if (rs_model_score_history(m, h.items, h.ratings, h.n, scores,
							   &err) != RS_OK)
		ReportCoreError(&err, NULL);

	/* the history's items are left out, all of them, not only the newest */
	if (PG_GETARG_BOOL(4))
		rs_scores_exclude(scores, m->n_items, h.items, h.n);
	ApplyFilters(fcinfo, 5, m, scores);

	EmitTopK(rsinfo, m, scores, k);
	pfree(h.items);
	return (Datum) 0;
}

/* scores of one block of recsys_recommend_all, at most this many floats */
#define RECOMMEND_ALL_BLOCK_FLOATS (4 * 1024 * 1024)

PG_FUNCTION_INFO_V1(recsys_recommend_all);
/*
 * SQL recsys_recommend_all(model, k, exclude_rated): the k best items of
 * every user, as recsys_recommend gives them, in user order.  The users go
 * in blocks whose scores come from one matrix product where the model
 * allows (rs_model_score_users); the block's scores are a buffer of
 * bounded size and the rows go to a tuplestore, which spills to disk past
 * work_mem, so memory is bounded whatever the number of users.
 */
Datum
recsys_recommend_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const rs_model *m;
	int32		k = PG_GETARG_INT32(1);
	bool		exclude_rated = PG_GETARG_BOOL(2);
	int32_t		block;
	int32_t		first;
	float	   *scores;
	int32_t    *top_index;
	float	   *top_score;

	CheckK(k);
	InitMaterializedSRF(fcinfo, 0);
	m = ModelArg(fcinfo);
	CheckResultIds(fcinfo, m, RS_SIDE_USER, 0);
	CheckResultIds(fcinfo, m, RS_SIDE_ITEM, 2);
	if (m->n_items == 0 || m->n_users == 0)
		return (Datum) 0;

	k = Min(k, m->n_items);
	block = rs_model_users_per_block(m, RECOMMEND_ALL_BLOCK_FLOATS);
	scores = palloc_extended(mul_size(mul_size((Size) block, (Size) m->n_items),
									  sizeof(float)), MCXT_ALLOC_HUGE);
	top_index = palloc(sizeof(int32_t) * k);
	top_score = palloc(sizeof(float) * k);

	for (first = 0; first < m->n_users; first += block)
	{
		int32_t		n_users = Min(block, m->n_users - first);
		int32_t		u;

		CHECK_FOR_INTERRUPTS();
		rs_model_score_users(m, first, n_users, scores);
		for (u = 0; u < n_users; u++)
		{
			float	   *row = scores + (size_t) u * m->n_items;
			Datum		user = IdResult(m, RS_SIDE_USER, first + u,
										rsinfo->setDesc, 0);
			int			n;
			int			j;

			if (exclude_rated)
				rs_model_exclude_rated(m, first + u, row);
			n = rs_model_top_items(m, row, k, top_index, top_score);
			for (j = 0; j < n; j++)
			{
				Datum		values[4];
				bool		nulls[4] = {false, false, false, false};

				values[0] = user;
				values[1] = Int32GetDatum(j + 1);
				values[2] = IdResult(m, RS_SIDE_ITEM, top_index[j],
									 rsinfo->setDesc, 2);
				values[3] = Float8GetDatum(top_score[j]);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
									 values, nulls);
			}
		}
	}
	pfree(scores);
	pfree(top_index);
	pfree(top_score);
	return (Datum) 0;
}

/*
 * The source columns model name was trained with, into cols (user, item,
 * rating); a column the catalog does not name keeps the value cols has.
 * The rating column is NULL for a model trained without ratings.
 */
static void
ModelSourceColumns(FunctionCallInfo fcinfo, const char *name, char **cols)
{
	const char *schema;
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			ret;
	int			c;

	schema = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
	sql = psprintf("SELECT options->>'user_column', options->>'item_column', "
				   "options->>'rating_column', options ? 'rating_column' "
				   "FROM %s.recsys_models WHERE name = $1",
				   schema);
	args[0] = CStringGetTextDatum(name);
	ret = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return;
	for (c = 0; c < 3; c++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, c + 1);

		if (v != NULL)
			cols[c] = v;
	}
	/* "rating_column": null, a model of implicit feedback */
	if (SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3) == NULL &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4), "t") == 0)
		cols[2] = NULL;
}

PG_FUNCTION_INFO_V1(recsys_evaluate);
/* SQL recsys_evaluate(model, source): RMSE and MAE on a table of ratings */
Datum
recsys_evaluate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			relid = PG_GETARG_OID(1);
	const rs_model *m;
	char	   *relname;
	char	   *nspname;
	char	   *cols[3] = {"user_id", "item_id", "rating"};
	char	   *sql;
	Portal		portal;
	uint64		n = 0;
	double		sum_sq = 0.0;
	double		sum_abs = 0.0;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int			ret;
	int			c;

	InitMaterializedSRF(fcinfo, 0);
	m = GetModel(fcinfo, name);

	relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	nspname = get_namespace_name(get_rel_namespace(relid));

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));

	ModelSourceColumns(fcinfo, name, cols);
	if (cols[2] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" was trained without ratings", name),
				 errdetail("RMSE and MAE compare predicted ratings with ratings."),
				 errhint("Use recsys_evaluate_ranking(model, source) to score its lists.")));
	if (m->objective == RS_OBJECTIVE_RANKING)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" was trained for ranking only", name),
				 errdetail("Its objective is \"ranking\": it predicts ranking scores, not ratings."),
				 errhint("Use recsys_evaluate_ranking(model, source) to score its lists, or train with \"objective\": \"both\" for ratings too.")));

	for (c = 0; c < 3; c++)
		CheckSourceColumn(relid, cols[c], c == 2, NULL);
	CheckColumnIds(m, name, RS_SIDE_USER, relid, cols[0]);
	CheckColumnIds(m, name, RS_SIDE_ITEM, relid, cols[1]);

	/* ids as they are: the model says which type it takes */
	sql = psprintf("SELECT %s, %s, %s::float8 FROM %s",
				   quote_identifier(cols[0]), quote_identifier(cols[1]),
				   quote_identifier(cols[2]),
				   quote_qualified_identifier(nspname, relname));
	portal = SPI_cursor_open_with_args(NULL, sql, 0, NULL, NULL, NULL, true, 0);
	for (;;)
	{
		uint64		r;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		nu,
						ni,
						nr;
			Datum		du = SPI_getbinval(tup, desc, 1, &nu);
			Datum		di = SPI_getbinval(tup, desc, 2, &ni);
			Datum		dr = SPI_getbinval(tup, desc, 3, &nr);
			double		rating;
			double		err;

			/* rows with a NULL are skipped, as in training */
			if (nu || ni || nr)
				continue;
			rating = DatumGetFloat8(dr);
			if (!isfinite(rating))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("rating must be a finite number"),
						 errdetail("Relation \"%s\" has a rating of %g.",
								   relname, rating)));
			err = rs_model_predict(m,
								   IdIndex(m, name, RS_SIDE_USER, du,
										   SPI_gettypeid(desc, 1), cols[0]),
								   IdIndex(m, name, RS_SIDE_ITEM, di,
										   SPI_gettypeid(desc, 2), cols[1]))
				- rating;
			sum_sq += err * err;
			sum_abs += fabs(err);
			n++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();

	values[0] = Int64GetDatum((int64) n);
	if (n == 0)
	{
		nulls[1] = nulls[2] = nulls[3] = true;
		values[1] = values[2] = values[3] = (Datum) 0;
	}
	else
	{
		double		rmse = sqrt(sum_sq / n);
		double		range = m->rating_max - m->rating_min;

		values[1] = Float8GetDatum(rmse);
		values[2] = Float8GetDatum(sum_abs / n);
		if (range > 0)
			values[3] = Float8GetDatum(rmse / range);
		else
		{
			values[3] = (Datum) 0;
			nulls[3] = true;
		}
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* qsort comparator of dense item indexes */
static int
CompareItemIndex(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/*
 * Add the list of user_id to e against its relevant items (dense indexes,
 * -1 for items the model does not know).  The items came in id order, so
 * the known indexes are ascending already, but the unknown ones stand where
 * their ids fell: sort, as the core's lookup needs them ascending.
 */
static void
AddRankingUser(rs_rank_eval *e, const rs_model *m, int32_t u,
			   int32_t *relevant, size_t n_rel)
{
	qsort(relevant, n_rel, sizeof(int32_t), CompareItemIndex);
	rs_rank_eval_user(e, m, u, relevant, n_rel);
}

/*
 * Read the relevant rows of the source (user, item; rating >= relevant_min
 * when the model has ratings and relevant_min is given), each distinct pair
 * once, ordered by user, and add each user's list to e.  The ids come as
 * the source has them (the model's id type); SQL marks the first row of
 * each user, whatever the type.
 */
static void
EvaluateRankingRows(const rs_model *m, const char *name, Oid relid,
					char **cols, bool use_min, double relevant_min,
					rs_rank_eval *e)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));
	const char *user_col = quote_identifier(cols[0]);
	const char *item_col = quote_identifier(cols[1]);
	char	   *sql;
	Oid			argtypes[1] = {FLOAT8OID};
	Datum		args[1];
	Portal		portal;
	int32_t    *relevant = NULL;
	size_t		n_rel = 0;
	size_t		cap = 0;
	int32_t		cur_user = -1;
	bool		have_user = false;

	sql = psprintf("SELECT u, i, u IS DISTINCT FROM pg_catalog.lag(u) OVER (ORDER BY u, i) "
				   "FROM (SELECT DISTINCT %s AS u, %s AS i FROM %s "
				   "WHERE %s IS NOT NULL AND %s IS NOT NULL%s%s%s) s ORDER BY u, i",
				   user_col, item_col, quote_qualified_identifier(nspname, relname),
				   user_col, item_col,
				   use_min ? " AND " : "",
				   use_min ? quote_identifier(cols[2]) : "",
				   use_min ? "::pg_catalog.float8 OPERATOR(pg_catalog.>=) $1" : "");
	args[0] = Float8GetDatum(relevant_min);
	portal = SPI_cursor_open_with_args(NULL, sql, use_min ? 1 : 0, argtypes,
									   args, NULL, true, 0);
	for (;;)
	{
		uint64		r;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			bool		first_of_user = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));

			if (first_of_user)
			{
				if (have_user)
					AddRankingUser(e, m, cur_user, relevant, n_rel);
				n_rel = 0;
				have_user = true;
				cur_user = IdIndex(m, name, RS_SIDE_USER,
								   SPI_getbinval(tup, desc, 1, &isnull),
								   SPI_gettypeid(desc, 1), cols[0]);
			}
			if (n_rel == cap)
			{
				cap = cap ? cap * 2 : 64;
				relevant = relevant ? repalloc(relevant, cap * sizeof(int32_t)) :
					palloc(cap * sizeof(int32_t));
			}
			relevant[n_rel++] = IdIndex(m, name, RS_SIDE_ITEM,
										SPI_getbinval(tup, desc, 2, &isnull),
										SPI_gettypeid(desc, 2), cols[1]);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	if (have_user)
		AddRankingUser(e, m, cur_user, relevant, n_rel);
	SPI_cursor_close(portal);
}

PG_FUNCTION_INFO_V1(recsys_evaluate_ranking);
/*
 * SQL recsys_evaluate_ranking(model, source, k, relevant_min): hit rate,
 * precision, recall, NDCG, MAP at k and coverage of the model's lists for
 * the users of source (protocol in metrics.h and the README)
 */
Datum
recsys_evaluate_ranking(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	Oid			relid;
	int32		k;
	bool		use_min;
	const rs_model *m;
	char	   *cols[3] = {"user_id", "item_id", "rating"};
	rs_rank_eval e;
	rs_rank_result res;
	rs_allocator alloc;
	rs_error	err;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model, source and k must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relid = PG_GETARG_OID(1);
	k = PG_GETARG_INT32(2);
	CheckK(k);
	if (!PG_ARGISNULL(3) && isnan(PG_GETARG_FLOAT8(3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relevant_min must not be NaN")));

	InitMaterializedSRF(fcinfo, 0);
	m = GetModel(fcinfo, name);
	if (get_rel_name(relid) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	ModelSourceColumns(fcinfo, name, cols);
	/* a model without ratings counts every row of the source relevant */
	use_min = !PG_ARGISNULL(3) && cols[2] != NULL;
	CheckSourceColumn(relid, cols[0], false, NULL);
	CheckSourceColumn(relid, cols[1], false, NULL);
	CheckColumnIds(m, name, RS_SIDE_USER, relid, cols[0]);
	CheckColumnIds(m, name, RS_SIDE_ITEM, relid, cols[1]);
	if (use_min)
		CheckSourceColumn(relid, cols[2], true, NULL);

	RecsysAllocatorInit(&alloc, CurrentMemoryContext);
	if (rs_rank_eval_init(&e, m->n_items, k, &alloc, &err) != RS_OK)
		ReportCoreError(&err, NULL);
	EvaluateRankingRows(m, name, relid, cols, use_min,
						use_min ? PG_GETARG_FLOAT8(3) : 0, &e);
	/* e's memory belongs to SPI's context: read it before SPI_finish */
	rs_rank_eval_result(&e, &res);
	rs_rank_eval_free(&e);
	SPI_finish();

	if (res.users == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("relation \"%s\" has no relevant rows", get_rel_name(relid)),
				 use_min ?
				 errdetail("No row has a rating of at least %g.", PG_GETARG_FLOAT8(3)) :
				 errdetail("It has no row with a user and an item."),
				 use_min ?
				 errhint("Ranking metrics need at least one relevant item of one user; lower relevant_min, or pass NULL to count every row.") :
				 errhint("Ranking metrics need at least one relevant item of one user.")));

	values[0] = Int64GetDatum(res.users);
	values[1] = Float8GetDatum(res.hit_rate);
	values[2] = Float8GetDatum(res.precision);
	values[3] = Float8GetDatum(res.recall);
	values[4] = Float8GetDatum(res.ndcg);
	values[5] = Float8GetDatum(res.map);
	values[6] = Float8GetDatum(res.coverage);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
