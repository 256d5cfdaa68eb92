/*-------------------------------------------------------------------------
 *
 * train.c
 *		Training from SQL: the recsys_fit aggregate and recsys_train,
 *		recsys_store built on it.
 *
 * recsys_fit collects (user, item, rating) rows into the core's compact
 * rs_ratings (12 bytes a row, external ids mapped to dense indexes on
 * arrival) in the aggregate's memory context, and its final function trains
 * the model.  The state is "internal", so it has serial and deserial
 * functions: parallel workers read parts of the table, ship their rows to
 * the leader as bytea, and the leader merges them in the combine function.
 * The core sorts the rows when the reading is finished, so the model does
 * not depend on which process read which row.
 *
 * recsys_train builds a query over the source relation (identifiers quoted,
 * kind and options passed as SPI parameters) that calls recsys_fit, and
 * stores the result.  A model returned as one bytea is bounded by the 1 GB
 * varlena limit, but the stored form is chunked; so while recsys_train runs
 * its query it sets fit_capture, and the final function hands it the trained
 * model itself, allocated in a memory context recsys_train owns, instead of
 * serializing it.  Everything happens in the caller's transaction: an error
 * or a cancel leaves nothing behind.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/train.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <unistd.h>

#include "blob.h"
#include "keys.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "ratings.h"
#include "recsys.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/timestamp.h"

/* How often the transition function checks memory and interrupts */
#define MEMORY_CHECK_ROWS 4096
#define INTERRUPT_CHECK_ROWS 65536

/* Header of a serialized aggregate state */
#define FIT_STATE_MAGIC 0x53465352	/* "RSFS" */
#define FIT_STATE_VERSION 3

/* State of recsys_fit, in the aggregate's memory context */
typedef struct FitState
{
	/* Settings, fixed by the first row */
	const rs_kind *kind;
	bool		timed;			/* the form with a time argument: rows with a
								 * NULL time are skipped, and sequence kinds
								 * keep the time with each row */
	RecsysOptions opts;
	char	   *options_text;	/* options as given, NULL = none; shipped
								 * from workers so the leader parses the same */
	rs_id_type	id_type[2];		/* of the user and the item argument */
	Oid			id_sqltype[2];	/* their SQL types (this process's calls) */

	/* Rows */
	MemoryContext data_cxt;		/* holds ratings; child of the agg context
								 * (NULL after deserialization) */
	rs_allocator alloc;			/* allocates in data_cxt */
	rs_ratings *ratings;
	rs_keys    *keys[2];		/* the user and item keys, NULL for integers */

	/* Statistics */
	int64		n_skipped;		/* rows with a NULL user, item, rating (or
								 * time) */
	int64		n_added;		/* rows added by this process */
	bool		finished;		/* final function ran; ratings are gone */
} FitState;

/* Where recsys_fit_final hands a trained model to recsys_train */
typedef struct FitCapture
{
	MemoryContext cxt;			/* the model is allocated here */
	rs_model   *model;			/* set by recsys_fit_final */
} FitCapture;

static FitCapture *fit_capture = NULL;

/* Arguments of the training hooks */
typedef struct TrainProgress
{
	bool		verbose;
	int			n_epochs;		/* epochs option, 0 if the kind has none */
} TrainProgress;

/* Error if fcinfo is not an aggregate call; returns the agg context */
static MemoryContext
agg_context(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("recsys_fit support functions can only be called as part of an aggregate")));
	return aggcxt;
}

/* Parse options text (NULL = none) as jsonb */
static Jsonb *
options_from_text(const char *text)
{
	if (text == NULL)
		return NULL;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

/*
 * A new, empty state in cxt for kind; options are parsed here, so that a bad
 * option fails on the first row.
 */
static FitState *
make_state(MemoryContext cxt, const rs_kind *kind, const char *options_text,
		   bool timed, const rs_id_type *id_type)
{
	int			side;

	MemoryContext old = MemoryContextSwitchTo(cxt);
	FitState   *state = palloc0(sizeof(FitState));

	state->kind = kind;
	state->timed = timed;
	state->options_text = options_text ? pstrdup(options_text) : NULL;
	ParseOptions(kind, options_from_text(options_text), &state->opts);

	state->data_cxt = AllocSetContextCreate(cxt, "recsys_fit ratings",
											ALLOCSET_DEFAULT_SIZES);
	RecsysAllocatorInit(&state->alloc, state->data_cxt);
	/* only sequence kinds read the time; the others train as without it */
	state->ratings = rs_ratings_create(&state->alloc, timed && kind->sequential);
	if (state->ratings == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	for (side = 0; side < 2; side++)
	{
		state->id_type[side] = id_type[side];
		if (id_type[side] != RS_ID_INTEGER &&
			(state->keys[side] = rs_keys_create(&state->alloc)) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}

	MemoryContextSwitchTo(old);
	return state;
}

/*
 * Error if the rows collected so far exceed recsys.max_train_memory: a
 * lower bound of the need, as the rest of the rows and the weights are not
 * counted yet
 */
static void
check_state_memory(FitState *state)
{
	size_t		mem = rs_ratings_memory(state->ratings);
	int			side;

	for (side = 0; side < 2; side++)
		if (state->keys[side])
			mem = rs_add_size(mem, rs_keys_memory(state->keys[side]));

	if (mem > RecsysMemoryLimit())
		CheckTrainMemoryDetail(mem, "at least ",
							   psprintf("The " INT64_FORMAT " rows read so far need that much in this process; the rest of the rows and the model's weights come on top.",
										state->n_added));
}

/* Error for a NULL argument that must not be NULL */
static void
null_argument(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", what)));
}

/* The rows a NOTICE or an error says were skipped */
static const char *
skipped_rows_text(const FitState *state)
{
	if (state->opts.rating_column == NULL)
		return state->timed ? "a NULL user, item or time" :
			"a NULL user or item";
	return state->timed ? "a NULL user, item, rating or time" :
		"a NULL user, item or rating";
}

/* the id in argument argno of the transition function, as text, for errors */
static char *
row_id(FunctionCallInfo fcinfo, int argno)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			output;
	bool		varlena;

	if (typid == UNKNOWNOID)
		return DatumGetCString(PG_GETARG_DATUM(argno));
	getTypeOutputInfo(typid, &output, &varlena);
	return OidOutputFunctionCall(output, PG_GETARG_DATUM(argno));
}

/*
 * The id types of the user and item arguments of the transition function:
 * the integer types, uuid, text and varchar (an untyped literal is text)
 */
static void
argument_id_types(FunctionCallInfo fcinfo, rs_id_type *id_type)
{
	int			side;

	for (side = 0; side < 2; side++)
	{
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 2 + side);
		int			type = typid == UNKNOWNOID ? RS_ID_TEXT : IdTypeOfSqlType(typid);

		if (type < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s id has type %s", side == RS_SIDE_USER ? "user" : "item",
							format_type_be(typid)),
					 errdetail("User and item ids must be of type smallint, integer, bigint, uuid, text or varchar."),
					 errhint("Cast the ids to one of these types.")));
		id_type[side] = (rs_id_type) type;
	}
}

/*
 * Read the time of a row from argument time_arg (a timestamptz, as
 * microseconds, or a double precision); an infinite or NaN time is an error.
 */
static double
row_time(FunctionCallInfo fcinfo, int time_arg, bool is_timestamp)
{
	if (is_timestamp)
	{
		TimestampTz ts = PG_GETARG_TIMESTAMPTZ(time_arg);

		if (TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("time of a rating must be finite"),
					 errdetail("User %s rated item %s at %s.",
							   row_id(fcinfo, 2), row_id(fcinfo, 3),
							   timestamptz_to_str(ts))));
		return (double) ts;
	}
	else
	{
		double		t = PG_GETARG_FLOAT8(time_arg);

		if (isnan(t) || isinf(t))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("time of a rating must be finite"),
					 errdetail("User %s rated item %s at %s.",
							   row_id(fcinfo, 2), row_id(fcinfo, 3),
							   float8out_internal(t))));
		return t;
	}
}

/*
 * The options text of a new state: the options argument (NULL: none), and
 * for the forms without a rating "rating_column": null on top, so that the
 * options say the model has no ratings (and every process that parses them
 * trains the ranking objective alone).
 */
static char *
state_options_text(FunctionCallInfo fcinfo, int options_arg, bool rated)
{
	Jsonb	   *options = NULL;

	if (options_arg >= 0 && !PG_ARGISNULL(options_arg))
		options = PG_GETARG_JSONB_P(options_arg);
	if (!rated)
	{
		Jsonb	   *no_rating = options_from_text("{\"rating_column\": null}");

		if (options == NULL)
			options = no_rating;
		else if (JB_ROOT_IS_OBJECT(options) && !JB_ROOT_IS_SCALAR(options))
			options = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
														 JsonbPGetDatum(options),
														 JsonbPGetDatum(no_rating)));
		/* anything else is not an object: ParseOptions says so */
	}
	if (options == NULL)
		return NULL;
	return JsonbToCString(NULL, &options->root, VARSIZE(options));
}

/*
 * The transition functions of recsys_fit: collect one rating.  Arguments:
 * state, kind, user, item, then the rating at rating_arg (-1: the forms
 * without ratings, where every row counts 1), the time at time_arg (-1: the
 * forms without time) and the options at options_arg (-1: none).  Rows with
 * a NULL user, item, rating or time are skipped and counted.
 */
static Datum
fit_transition(FunctionCallInfo fcinfo, int rating_arg, int time_arg,
			   bool is_timestamp, int options_arg)
{
	MemoryContext aggcxt = agg_context(fcinfo);
	FitState   *state = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	text	   *kind_text;
	int64		user_id;
	int64		item_id;
	int			side;
	double		rating;
	double		time = 0.0;
	rs_error	err;

	if (PG_ARGISNULL(1))
		null_argument("model kind");
	kind_text = PG_GETARG_TEXT_PP(1);

	if (state == NULL)
	{
		const rs_kind *kind = LookupKind(text_to_cstring(kind_text));
		char	   *options_text;
		rs_id_type	id_type[2];

		if (kind->sequential && time_arg < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("models of kind \"%s\" need the time of each rating",
							kind->name),
					 errdetail("The kind reads each user's ratings in time order."),
					 rating_arg >= 0 ?
					 errhint("Use the form with a time argument, recsys_fit(kind, user_id, item_id, rating, ts, options), where ts is a timestamp with time zone or a double precision.") :
					 errhint("Use the form with a time argument, recsys_fit(kind, user_id, item_id, ts, options), where ts is a timestamp with time zone.")));
		argument_id_types(fcinfo, id_type);
		options_text = state_options_text(fcinfo, options_arg, rating_arg >= 0);
		state = make_state(aggcxt, kind, options_text, time_arg >= 0, id_type);
	}
	else if (VARSIZE_ANY_EXHDR(kind_text) != strlen(state->kind->name) ||
			 memcmp(VARDATA_ANY(kind_text), state->kind->name,
					VARSIZE_ANY_EXHDR(kind_text)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model kind must be the same for every row")));

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
		(rating_arg >= 0 && PG_ARGISNULL(rating_arg)) ||
		(time_arg >= 0 && PG_ARGISNULL(time_arg)))
	{
		state->n_skipped++;
		PG_RETURN_POINTER(state);
	}

	rating = rating_arg >= 0 ? PG_GETARG_FLOAT8(rating_arg) : 1.0;

	if (isnan(rating) || isinf(rating))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("rating must be a finite number"),
				 errdetail("User %s rated item %s with %s.",
						   row_id(fcinfo, 2), row_id(fcinfo, 3),
						   float8out_internal(rating))));
	/* ratings are kept as float4 */
	if (fabs(rating) > FLT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rating is out of range for type real"),
				 errdetail("User %s rated item %s with %s.",
						   row_id(fcinfo, 2), row_id(fcinfo, 3),
						   float8out_internal(rating))));
	if (time_arg >= 0)
		time = row_time(fcinfo, time_arg, is_timestamp);

	/* ids: integers as they are, keys hashed (and kept) */
	for (side = 0; side < 2; side++)
	{
		Oid			typid;
		Datum		d = PG_GETARG_DATUM(2 + side);
		int64		id;

		/* the types are the call's: looked up on the first row */
		if (!OidIsValid(state->id_sqltype[side]))
			state->id_sqltype[side] = get_fn_expr_argtype(fcinfo->flinfo, 2 + side);
		typid = state->id_sqltype[side];

		if (typid == UNKNOWNOID)
		{
			d = CStringGetTextDatum(DatumGetCString(d));
			typid = TEXTOID;
		}
		id = TrainingId(d, typid, state->id_type[side], state->keys[side]);
		if (side == RS_SIDE_USER)
			user_id = id;
		else
			item_id = id;
	}

	if (rs_ratings_add(state->ratings, user_id, item_id, (float) rating, time,
					   &err) != RS_OK)
		ReportCoreError(&err, NULL);

	state->n_added++;
	if (state->n_added % MEMORY_CHECK_ROWS == 0)
		check_state_memory(state);
	if (state->n_added % INTERRUPT_CHECK_ROWS == 0)
		CHECK_FOR_INTERRUPTS();

	PG_RETURN_POINTER(state);
}

/* recsys_fit(kind, user, item, rating [, options]) */
PG_FUNCTION_INFO_V1(recsys_fit_trans);
Datum
recsys_fit_trans(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, 4, -1, false, PG_NARGS() > 5 ? 5 : -1);
}

/* recsys_fit(kind, user, item, rating, ts timestamptz, options) */
PG_FUNCTION_INFO_V1(recsys_fit_trans_timestamptz);
Datum
recsys_fit_trans_timestamptz(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, 4, 5, true, 6);
}

/* recsys_fit(kind, user, item, rating, ts double precision, options) */
PG_FUNCTION_INFO_V1(recsys_fit_trans_float8);
Datum
recsys_fit_trans_float8(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, 4, 5, false, 6);
}

/* recsys_fit(kind, user, item [, options]): interactions without ratings */
PG_FUNCTION_INFO_V1(recsys_fit_trans_implicit);
Datum
recsys_fit_trans_implicit(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, -1, -1, false, PG_NARGS() > 4 ? 4 : -1);
}

/* recsys_fit(kind, user, item, ts timestamptz, options): the same, timed */
PG_FUNCTION_INFO_V1(recsys_fit_trans_implicit_timestamptz);
Datum
recsys_fit_trans_implicit_timestamptz(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, -1, 4, true, 5);
}

/*
 * Combine function of recsys_fit: merge the rows of state 2 into state 1.
 * Not strict: either state may be NULL.  State 2 may live in a short-lived
 * context (after deserialization), so its rows are always copied.
 */
PG_FUNCTION_INFO_V1(recsys_fit_combine);
Datum
recsys_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo);
	FitState   *s1 = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	FitState   *s2 = PG_ARGISNULL(1) ? NULL : (FitState *) PG_GETARG_POINTER(1);
	rs_error	err;
	int			side;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = make_state(aggcxt, s2->kind, s2->options_text, s2->timed,
						s2->id_type);
	else if (s1->kind != s2->kind || s1->timed != s2->timed ||
			 s1->id_type[0] != s2->id_type[0] || s1->id_type[1] != s2->id_type[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model kind must be the same for every row")));

	s1->n_skipped += s2->n_skipped;
	if (rs_ratings_merge(s1->ratings, s2->ratings, &err) != RS_OK)
		ReportCoreError(&err, NULL);
	for (side = 0; side < 2; side++)
		if (s2->keys[side] != NULL &&
			rs_keys_merge(s1->keys[side], s2->keys[side], &err) != RS_OK)
			ReportCoreError(&err, NULL);
	check_state_memory(s1);

	PG_RETURN_POINTER(s1);
}

/* Append len bytes to buf at *pos */
static void
put_bytes(char *buf, size_t *pos, const void *data, size_t len)
{
	memcpy(buf + *pos, data, len);
	*pos += len;
}

/*----
 * Serial function of recsys_fit.  Layout (native byte order: the image only
 * travels between processes of one server):
 *	uint32 magic, uint32 version,
 *	uint32 kind length, kind name,
 *	int32 options length (-1 = none), options text,
 *	uint32 timed (1: the form with a time argument, else 0),
 *	int64 rows skipped,
 *	per side (user, item): uint32 id type, and for keys uint64 length and
 *	the rs_keys image,
 *	uint64 ratings length, rs_ratings image
 */
PG_FUNCTION_INFO_V1(recsys_fit_serialize);
Datum
recsys_fit_serialize(PG_FUNCTION_ARGS)
{
	FitState   *state;
	uint32		magic = FIT_STATE_MAGIC;
	uint32		version = FIT_STATE_VERSION;
	uint32		kind_len;
	int32		options_len;
	uint32		timed;
	uint64		ratings_len;
	uint64		keys_len[2] = {0, 0};
	uint32		id_type;
	size_t		size;
	size_t		pos = 0;
	bytea	   *result;
	char	   *buf;
	int			side;

	agg_context(fcinfo);
	state = (FitState *) PG_GETARG_POINTER(0);

	kind_len = strlen(state->kind->name);
	options_len = state->options_text ? (int32) strlen(state->options_text) : -1;
	timed = state->timed ? 1 : 0;
	ratings_len = rs_ratings_serialized_size(state->ratings);

	size = sizeof(magic) + sizeof(version) + sizeof(kind_len) + kind_len +
		sizeof(options_len) + (options_len > 0 ? options_len : 0) +
		sizeof(timed) + sizeof(int64) + sizeof(ratings_len);
	for (side = 0; side < 2; side++)
	{
		size += sizeof(id_type);
		if (state->keys[side] != NULL)
		{
			keys_len[side] = rs_keys_serialized_size(state->keys[side]);
			size = rs_add_size(size, sizeof(uint64) + keys_len[side]);
		}
	}
	size = rs_add_size(size, ratings_len);
	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rows read by one parallel worker do not fit in 1 GB"),
				 errhint("Set max_parallel_workers_per_gather to 0 so that one process reads the rows.")));

	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	buf = VARDATA(result);
	put_bytes(buf, &pos, &magic, sizeof(magic));
	put_bytes(buf, &pos, &version, sizeof(version));
	put_bytes(buf, &pos, &kind_len, sizeof(kind_len));
	put_bytes(buf, &pos, state->kind->name, kind_len);
	put_bytes(buf, &pos, &options_len, sizeof(options_len));
	if (options_len > 0)
		put_bytes(buf, &pos, state->options_text, options_len);
	put_bytes(buf, &pos, &timed, sizeof(timed));
	put_bytes(buf, &pos, &state->n_skipped, sizeof(int64));
	for (side = 0; side < 2; side++)
	{
		id_type = (uint32) state->id_type[side];
		put_bytes(buf, &pos, &id_type, sizeof(id_type));
		if (state->keys[side] != NULL)
		{
			put_bytes(buf, &pos, &keys_len[side], sizeof(uint64));
			rs_keys_serialize(state->keys[side], (uint8_t *) buf + pos);
			pos += keys_len[side];
		}
	}
	put_bytes(buf, &pos, &ratings_len, sizeof(ratings_len));
	rs_ratings_serialize(state->ratings, (uint8_t *) buf + pos);

	PG_RETURN_BYTEA_P(result);
}

/* A core message (lower case, no period) as a sentence for a detail */
static char *
core_sentence(const char *message)
{
	char	   *s = psprintf("%s.", message);

	s[0] = pg_toupper((unsigned char) s[0]);
	return s;
}

/* Error for a damaged serialized state */
static void
damaged_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("serialized state of recsys_fit is damaged"),
			 errdetail("%s", detail)));
}

/* Read len bytes at *pos of buf (of size) into data, or error */
static void
get_bytes(const char *buf, size_t size, size_t *pos, void *data, size_t len)
{
	if (len > size - *pos)
		damaged_state("The state is truncated.");
	memcpy(data, buf + *pos, len);
	*pos += len;
}

/*
 * Deserial function of recsys_fit: the state in the current (short-lived)
 * memory context; the combine function copies its rows.
 */
PG_FUNCTION_INFO_V1(recsys_fit_deserialize);
Datum
recsys_fit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *image;
	const char *buf;
	size_t		size;
	size_t		pos = 0;
	int			side;
	uint32		magic;
	uint32		version;
	uint32		kind_len;
	int32		options_len;
	uint32		timed;
	uint64		ratings_len;
	int64		n_skipped;
	char	   *kind_name;
	char	   *options_text = NULL;
	const rs_kind *kind;
	FitState   *state;
	rs_error	err;

	agg_context(fcinfo);
	image = PG_GETARG_BYTEA_PP(0);
	buf = VARDATA_ANY(image);
	size = VARSIZE_ANY_EXHDR(image);

	get_bytes(buf, size, &pos, &magic, sizeof(magic));
	get_bytes(buf, size, &pos, &version, sizeof(version));
	if (magic != FIT_STATE_MAGIC || version != FIT_STATE_VERSION)
		damaged_state("The magic number or version does not match.");
	get_bytes(buf, size, &pos, &kind_len, sizeof(kind_len));
	if (kind_len > size - pos)
		damaged_state("The state is truncated.");
	kind_name = pnstrdup(buf + pos, kind_len);
	pos += kind_len;
	get_bytes(buf, size, &pos, &options_len, sizeof(options_len));
	if (options_len >= 0)
	{
		if ((size_t) options_len > size - pos)
			damaged_state("The state is truncated.");
		options_text = pnstrdup(buf + pos, options_len);
		pos += options_len;
	}
	get_bytes(buf, size, &pos, &timed, sizeof(timed));
	if (timed > 1)
		damaged_state("The time flag is neither 0 nor 1.");
	get_bytes(buf, size, &pos, &n_skipped, sizeof(n_skipped));

	state = palloc0(sizeof(FitState));
	RecsysAllocatorInit(&state->alloc, CurrentMemoryContext);
	for (side = 0; side < 2; side++)
	{
		uint32		id_type;
		uint64		keys_len;

		get_bytes(buf, size, &pos, &id_type, sizeof(id_type));
		if (id_type > RS_ID_TYPE_MAX)
			damaged_state("An id type is not recognized.");
		state->id_type[side] = (rs_id_type) id_type;
		if (id_type == RS_ID_INTEGER)
			continue;
		get_bytes(buf, size, &pos, &keys_len, sizeof(keys_len));
		if (keys_len > size - pos)
			damaged_state("The state is truncated.");
		if (rs_keys_deserialize((const uint8_t *) buf + pos, keys_len,
								&state->alloc, &state->keys[side], &err) != RS_OK)
			damaged_state(core_sentence(err.message));
		pos += keys_len;
	}
	get_bytes(buf, size, &pos, &ratings_len, sizeof(ratings_len));
	if (ratings_len != size - pos)
		damaged_state("The length of the ratings does not match.");

	kind = rs_kind_find(kind_name);
	if (kind == NULL)
		damaged_state("The model kind is not recognized.");

	state->kind = kind;
	state->timed = (timed == 1);
	state->options_text = options_text;
	ParseOptions(kind, options_from_text(options_text), &state->opts);
	state->n_skipped = n_skipped;
	state->data_cxt = NULL;		/* the rows go with the current context */
	if (rs_ratings_deserialize((const uint8_t *) buf + pos, ratings_len,
							   &state->alloc, &state->ratings, &err) != RS_OK)
		damaged_state(core_sentence(err.message));
	if (rs_ratings_has_time(state->ratings) != (state->timed && kind->sequential))
		damaged_state("The rows do not have the time the kind needs.");

	PG_RETURN_POINTER(state);
}

/* Training hook: a chance to cancel every few thousand rows */
static void
train_progress(void *arg, int epoch, size_t done, size_t total)
{
	CHECK_FOR_INTERRUPTS();
}

/* Training hook: report an epoch */
static void
train_epoch_end(void *arg, const rs_epoch_info *info)
{
	TrainProgress *progress = (TrainProgress *) arg;
	char		activity[64];

	CHECK_FOR_INTERRUPTS();

	if (progress->verbose)
	{
		/* timings go into the detail, as VACUUM VERBOSE does */
		if (isnan(info->val_rmse))
			ereport(NOTICE,
					(errmsg("epoch %d: train loss %.4f",
							info->epoch, info->train_loss),
					 errdetail("The epoch took %.2f s.", info->seconds)));
		else
			ereport(NOTICE,
					(errmsg("epoch %d: train loss %.4f, validation RMSE %.4f",
							info->epoch, info->train_loss, info->val_rmse),
					 errdetail("The epoch took %.2f s.", info->seconds)));
	}

	if (progress->n_epochs > 0)
		snprintf(activity, sizeof(activity), "recsys: epoch %d/%d",
				 info->epoch, progress->n_epochs);
	else
		snprintf(activity, sizeof(activity), "recsys: epoch %d", info->epoch);
	set_ps_display(activity);
}

/* Threads a training may use: recsys.threads, or one per core when 0 */
static int
training_threads(void)
{
	long		n = recsys_threads;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int) Min(n, 1024) : 1;
}

/*
 * Train a model on the rows of state, allocated in model_cxt.  The memory
 * the training needs is checked against recsys.max_train_memory before
 * anything large is allocated.  The rows are freed afterwards.
 */
static rs_model *
train_state(FitState *state, MemoryContext model_cxt)
{
	const rs_params *params = &state->opts.params;
	rs_dataset	data;
	rs_error	err;
	rs_allocator alloc;
	rs_train_hooks hooks;
	TrainProgress progress;
	rs_model   *model = NULL;
	size_t		need;
	char	   *old_activity;
	int			len;
	rs_fp_mode	fp_mode;
	int			side;
	volatile rs_status rc = RS_OK;

	if (rs_ratings_finish(state->ratings, &data, &err) != RS_OK)
		ReportCoreError(&err, NULL);

	need = rs_add_size(rs_train_memory(params, data.n_users, data.n_items, data.n),
					   rs_ratings_memory(state->ratings));
	CheckTrainMemory(need);

	progress.verbose = state->opts.verbose;
	progress.n_epochs = rs_params_find(params, "epochs") >= 0 ?
		(int) rs_params_get(params, "epochs") : 0;
	hooks.arg = &progress;
	hooks.progress = train_progress;
	hooks.epoch_end = train_epoch_end;
	hooks.threads = training_threads();

	old_activity = pstrdup(get_ps_display(&len));
	old_activity[len] = '\0';

	RecsysAllocatorInit(&alloc, model_cxt);
	/*
	 * A cancel raised in a hook leaves the core without restoring the
	 * floating-point mode it trains in (subnormals flushed to zero); the
	 * backend must not keep it.
	 */
	fp_mode = rs_fp_current();
	PG_TRY();
	{
		rc = rs_model_train(params, &data, &alloc, &hooks, &model, &err);
	}
	PG_FINALLY();
	{
		rs_fp_restore(fp_mode);
	}
	PG_END_TRY();
	if (rc != RS_OK)
		ReportCoreError(&err, psprintf("training a model of kind \"%s\"",
									   state->kind->name));
	/* the model keeps the key of every uuid or text id */
	for (side = 0; side < 2; side++)
		if (rs_model_set_keys(model, side, state->id_type[side],
							  state->keys[side], &err) != RS_OK)
			ReportCoreError(&err, NULL);

	set_ps_display(old_activity);

	/* the rows are no longer needed; spare the memory for other groups */
	if (state->data_cxt)
		MemoryContextDelete(state->data_cxt);
	state->data_cxt = NULL;
	state->ratings = NULL;
	state->keys[0] = state->keys[1] = NULL;

	return model;
}

/*
 * Final function of recsys_fit: train the model and return it serialized,
 * or hand it to recsys_train (see fit_capture) and return NULL.
 */
PG_FUNCTION_INFO_V1(recsys_fit_final);
Datum
recsys_fit_final(PG_FUNCTION_ARGS)
{
	FitState   *state = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	FitCapture *capture = fit_capture;
	MemoryContext model_cxt;
	rs_model   *model;
	size_t		size;
	bytea	   *result;

	agg_context(fcinfo);

	if (state != NULL && state->finished)
		elog(ERROR, "recsys_fit state was already finalized");

	if (state == NULL || rs_ratings_count(state->ratings) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a model on zero ratings"),
				 state != NULL ?
				 errdetail("All " INT64_FORMAT " rows had %s.",
						   state->n_skipped, skipped_rows_text(state)) :
				 errdetail("The source has no rows."),
				 errhint("Train on a source with rows whose %s are not NULL.",
						 state == NULL ? "user, item and rating" :
						 state->opts.rating_column == NULL ?
						 (state->timed ? "user, item and time" : "user and item") :
						 (state->timed ? "user, item, rating and time" :
						  "user, item and rating"))));
	state->finished = true;

	if (state->n_skipped > 0)
		ereport(NOTICE,
				(errmsg("skipped " INT64_FORMAT " rows with %s",
						state->n_skipped, skipped_rows_text(state))));

	/* recsys_train is waiting for this model: train it in its context */
	if (capture != NULL && capture->model == NULL)
	{
		model_cxt = AllocSetContextCreate(capture->cxt, "recsys training",
										  ALLOCSET_DEFAULT_SIZES);
		capture->model = train_state(state, model_cxt);
		PG_RETURN_NULL();
	}

	model_cxt = AllocSetContextCreate(CurrentMemoryContext, "recsys training",
									  ALLOCSET_DEFAULT_SIZES);
	model = train_state(state, model_cxt);

	size = rs_model_blob_size(model);
	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trained model is too large to return as a bytea value"),
				 errdetail("The serialized model needs %zu MB; a bytea value holds at most 1 GB.",
						   size / (1024 * 1024)),
				 errhint("Use recsys_train, which stores large models in chunks.")));
	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	rs_model_blob_write(model, (uint8_t *) VARDATA(result));
	MemoryContextDelete(model_cxt);

	PG_RETURN_BYTEA_P(result);
}

/*
 * Train a model of a kind on a table or view and store it under name
 * (default <relation>_<kind>); returns the name.
 */
PG_FUNCTION_INFO_V1(recsys_train);
Datum
recsys_train(PG_FUNCTION_ARGS)
{
	const rs_kind *kind;
	Oid			relid;
	Jsonb	   *options;
	RecsysOptions opts;
	char	   *relname;
	char	   *nspname;
	char	   *qualified;
	char	   *name;
	char	   *extschema;
	const char *rating_expr;
	StringInfoData query;
	Oid			argtypes[2] = {TEXTOID, JSONBOID};
	Datum		args[2];
	FitCapture	capture;
	rs_model   *model = NULL;

	if (PG_ARGISNULL(0))
		null_argument("model kind");
	if (PG_ARGISNULL(1))
		null_argument("source relation");
	if (PG_ARGISNULL(3))
		null_argument("options");

	kind = LookupKind(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	relid = PG_GETARG_OID(1);
	options = PG_GETARG_JSONB_P(3);
	ParseOptions(kind, options, &opts);

	relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	nspname = get_namespace_name(get_rel_namespace(relid));
	qualified = quote_qualified_identifier(nspname, relname);

	name = PG_ARGISNULL(2) ? psprintf("%s_%s", relname, kind->name)
		: text_to_cstring(PG_GETARG_TEXT_PP(2));

	CheckSourceColumn(relid, opts.user_column, false, "user_column");
	CheckSourceColumn(relid, opts.item_column, false, "item_column");
	if (opts.rating_column != NULL)
		CheckSourceColumn(relid, opts.rating_column, true, "rating_column");
	/* without a rating column every row is one interaction of weight 1 */
	rating_expr = opts.rating_column != NULL ?
		quote_identifier(opts.rating_column) : "1";
	if (kind->sequential)
		CheckTimeColumn(relid, opts.time_column);

	/* a training that cannot fit fails now, not after reading */
	CheckSourceMemory(relid, &opts, kind->sequential);

	/* recsys_fit lives in the schema of this function, the extension's */
	extschema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));

	initStringInfo(&query);
	if (kind->sequential)
	{
		/*
		 * The time becomes each row's position in its user's sequence,
		 * numbered in SQL, so that any type with an ordering works; ties are
		 * broken by item id.  A NULL time stays NULL, and the row is skipped
		 * like a row with a NULL rating.
		 */
		const char *user_col = quote_identifier(opts.user_column);
		const char *item_col = quote_identifier(opts.item_column);
		const char *time_col = quote_identifier(opts.time_column);

		appendStringInfo(&query,
						 "SELECT %s.recsys_fit($1, u, i, r, t, $2) FROM "
						 "(SELECT %s::%s AS u, %s::%s AS i, "
						 "%s::pg_catalog.float8 AS r, "
						 "CASE WHEN %s IS NOT NULL THEN pg_catalog.row_number() "
						 "OVER (PARTITION BY %s ORDER BY %s, %s) END::pg_catalog.float8 AS t "
						 "FROM %s) s",
						 quote_identifier(extschema),
						 user_col, IdColumnType(relid, opts.user_column),
						 item_col, IdColumnType(relid, opts.item_column),
						 rating_expr,
						 time_col, user_col, time_col, item_col,
						 qualified);
	}
	else
		appendStringInfo(&query,
						 "SELECT %s.recsys_fit($1, %s::%s, %s::%s, "
						 "%s::pg_catalog.float8, $2) FROM %s",
						 quote_identifier(extschema),
						 quote_identifier(opts.user_column),
						 IdColumnType(relid, opts.user_column),
						 quote_identifier(opts.item_column),
						 IdColumnType(relid, opts.item_column),
						 rating_expr,
						 qualified);
	args[0] = PointerGetDatum(cstring_to_text(kind->name));
	args[1] = PointerGetDatum(options);

	/* made before SPI_connect, so that SPI_finish does not free the model */
	capture.cxt = AllocSetContextCreate(CurrentMemoryContext, "recsys model",
										ALLOCSET_DEFAULT_SIZES);
	capture.model = NULL;

	PG_TRY();
	{
		int			ret;
		int			save_nestlevel;

		fit_capture = &capture;
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		SequentialForWrite();

		/*
		 * Read with one process.  With parallel workers the leader holds its
		 * own rows, each worker's serialized rows, their deserialized copy
		 * and the merged set at once: at 20 M ratings the backend peaked at
		 * 1.5 GB instead of 0.46 GB, for 4 % less time, since the leader
		 * merges every row again (test/bench/RESULTS.md, "Scale: 1 M to 20 M synthetic ratings").
		 * recsys_fit itself still reads in parallel where the planner
		 * chooses to.  The setting returns to its value after the query (or
		 * on error, with the transaction).
		 */
		save_nestlevel = NewGUCNestLevel();
		(void) set_config_option("max_parallel_workers_per_gather", "0",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		ret = SPI_execute_with_args(query.data, 2, argtypes, args, NULL,
									false, 1);
		AtEOXact_GUC(true, save_nestlevel);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "SPI_execute_with_args returned %d", ret);

		model = capture.model;
		if (model == NULL)
		{
			/*
			 * The aggregate was finalized in a parallel worker (only under
			 * force_parallel_mode), which could not hand the model over: read
			 * the bytea it returned.
			 */
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull);
			bytea	   *blob;
			rs_allocator alloc;
			rs_error	err;

			if (isnull)
				elog(ERROR, "recsys_fit returned no model");
			blob = DatumGetByteaPP(d);
			RecsysAllocatorInit(&alloc, capture.cxt);
			if (rs_model_blob_read((const uint8_t *) VARDATA_ANY(blob),
								   VARSIZE_ANY_EXHDR(blob), &alloc, &model,
								   &err) != RS_OK)
				ReportCoreError(&err, NULL);
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		fit_capture = NULL;
	}
	PG_END_TRY();

	StoreModel(name, qualified, OptionsToJsonb(&opts), model);
	MemoryContextDelete(capture.cxt);

	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* Store a model returned by recsys_fit under a name; returns the name */
PG_FUNCTION_INFO_V1(recsys_store);
Datum
recsys_store(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *source = NULL;
	bytea	   *blob;
	MemoryContext model_cxt;
	rs_allocator alloc;
	rs_model   *model;
	rs_error	err;

	if (PG_ARGISNULL(0))
		null_argument("model name");
	if (PG_ARGISNULL(1))
		null_argument("model");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	blob = PG_GETARG_BYTEA_PP(1);
	if (!PG_ARGISNULL(2))
		source = text_to_cstring(PG_GETARG_TEXT_PP(2));

	model_cxt = AllocSetContextCreate(CurrentMemoryContext, "recsys model",
									  ALLOCSET_DEFAULT_SIZES);
	RecsysAllocatorInit(&alloc, model_cxt);
	if (rs_model_blob_read((const uint8_t *) VARDATA_ANY(blob),
						   VARSIZE_ANY_EXHDR(blob), &alloc, &model,
						   &err) != RS_OK)
	{
		if (err.code == RS_ERR_CORRUPT)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("serialized model is damaged"),
					 errdetail("%s", core_sentence(err.message)),
					 errhint("Pass a value returned by recsys_fit.")));
		ReportCoreError(&err, NULL);
	}

	StoreModel(name, source, NULL, model);
	MemoryContextDelete(model_cxt);

	PG_RETURN_TEXT_P(cstring_to_text(name));
}
