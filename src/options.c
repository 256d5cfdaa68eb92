/*-------------------------------------------------------------------------
 *
 * options.c
 *		jsonb options of a training turned into core hyper-parameters,
 *		with validation, and hyper-parameters and metrics back into jsonb.
 *
 * An options object mixes two sets of keys: the glue's own (which columns
 * of the source to read, whether to report each epoch) and the kind's
 * hyper-parameters, whose names, types, defaults and ranges come from the
 * kind's option table in the numeric core (rs_kind.options).  Every key is
 * checked here so that a bad option fails before any row is read, with a
 * hint that lists what is valid.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/options.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "rank.h"
#include "recsys.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

/* Options every kind accepts: they are read by the glue, not the core */
static const char *const glue_string_options[] = {
	"user_column", "item_column", "rating_column", "time_column", NULL
};

/* The model kind called name, or an error listing the valid kinds */
const rs_kind *
LookupKind(const char *name)
{
	const rs_kind *kind = rs_kind_find(name);
	StringInfoData kinds;
	int			i;

	if (kind)
		return kind;

	initStringInfo(&kinds);
	for (i = 0; rs_kinds[i] != NULL; i++)
		appendStringInfo(&kinds, "%s%s", i > 0 ? ", " : "", rs_kinds[i]->name);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized model kind: \"%s\"", name),
			 errhint("Valid kinds are: %s.", kinds.data)));
	pg_unreachable();
}

/* Comma-separated names of every option a kind accepts, for hints */
static char *
option_names(const rs_kind *kind)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < kind->n_options; i++)
		appendStringInfo(&buf, "%s, ", kind->options[i].name);
	for (i = 0; glue_string_options[i] != NULL; i++)
		appendStringInfo(&buf, "%s, ", glue_string_options[i]);
	appendStringInfoString(&buf, "verbose");
	return buf.data;
}

/* Comma-separated choices of an enum option */
static char *
choice_names(const rs_option_def *def)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; def->choices && def->choices[i] != NULL; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", def->choices[i]);
	return buf.data;
}

/* The JSON text of a value, to quote it in an error message */
static char *
json_value_text(JsonbValue *v)
{
	Jsonb	   *jb = JsonbValueToJsonb(v);

	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

/* A number as written in the range hint: integers without a fraction */
static char *
number_text(double x)
{
	if (x == floor(x) && fabs(x) < 1e15)
		return psprintf("%.0f", x);
	return float8out_internal(x);
}

/* What values an option takes, as a sentence for a hint */
static char *
option_expectation(const rs_option_def *def)
{
	switch (def->type)
	{
		case RS_OPT_INT:
			return psprintf("Option \"%s\" takes an integer between %s and %s.",
							def->name, number_text(def->min), number_text(def->max));
		case RS_OPT_REAL:
			return psprintf("Option \"%s\" takes a number between %s and %s.",
							def->name, number_text(def->min), number_text(def->max));
		case RS_OPT_BOOL:
			return psprintf("Option \"%s\" takes true or false.", def->name);
		case RS_OPT_ENUM:
			return psprintf("Valid values of option \"%s\" are: %s.",
							def->name, choice_names(def));
	}
	return pstrdup("");
}

/* Error for a value of the wrong type or out of range */
static void
bad_value(const char *name, JsonbValue *v, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\": %s", name, json_value_text(v)),
			 errhint("%s", hint)));
}

/* Set the kind option def (at index idx of p) from a JSON value */
static void
set_kind_option(rs_params *p, const rs_option_def *def, JsonbValue *v)
{
	rs_error	err;
	rs_status	rc = RS_OK;
	char	   *hint = option_expectation(def);

	switch (def->type)
	{
		case RS_OPT_INT:
		case RS_OPT_REAL:
			{
				double		x;

				if (v->type != jbvNumeric)
					bad_value(def->name, v, hint);
				x = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													   NumericGetDatum(v->val.numeric)));
				if (isnan(x) || x < def->min || x > def->max ||
					(def->type == RS_OPT_INT && x != floor(x)))
					bad_value(def->name, v, hint);
				rc = rs_params_set(p, def->name, x, &err);
				break;
			}
		case RS_OPT_BOOL:
			if (v->type != jbvBool)
				bad_value(def->name, v, hint);
			rc = rs_params_set(p, def->name, v->val.boolean ? 1.0 : 0.0, &err);
			break;
		case RS_OPT_ENUM:
			{
				char	   *choice;
				bool		found = false;
				int			c;

				if (v->type != jbvString)
					bad_value(def->name, v, hint);
				choice = pnstrdup(v->val.string.val, v->val.string.len);
				for (c = 0; def->choices && def->choices[c] != NULL; c++)
					found |= strcmp(def->choices[c], choice) == 0;
				if (!found)
					bad_value(def->name, v, hint);
				rc = rs_params_set_choice(p, def->name, choice, &err);
				break;
			}
	}

	/* the core checks again; if it still objects, show its reason */
	if (rc != RS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": %s",
						def->name, json_value_text(v)),
				 errdetail("%s", err.message),
				 errhint("%s", hint)));
}

/* Set a glue option; false if name is not one */
static bool
set_glue_option(RecsysOptions *out, const char *name, JsonbValue *v)
{
	char	  **target = NULL;

	if (strcmp(name, "verbose") == 0)
	{
		if (v->type != jbvBool)
			bad_value(name, v, "Option \"verbose\" takes true or false.");
		out->verbose = v->val.boolean;
		return true;
	}

	if (strcmp(name, "user_column") == 0)
		target = &out->user_column;
	else if (strcmp(name, "item_column") == 0)
		target = &out->item_column;
	else if (strcmp(name, "rating_column") == 0)
		target = &out->rating_column;
	else if (strcmp(name, "time_column") == 0)
		target = &out->time_column;
	else
		return false;

	/* data without ratings: purchases, plays, clicks */
	if (target == &out->rating_column && v->type == jbvNull)
	{
		out->rating_column = NULL;
		return true;
	}
	if (v->type != jbvString || v->val.string.len == 0)
		bad_value(name, v, psprintf("Option \"%s\" takes the name of a column of the source.", name));
	*target = pnstrdup(v->val.string.val, v->val.string.len);
	return true;
}

/*
 * Parse and validate options (NULL = all defaults) for kind into out.
 * Strings in out are palloc'd in the current memory context.
 */
void
ParseOptions(const rs_kind *kind, Jsonb *options, RecsysOptions *out)
{
	rs_error	err;
	bool		objective_given = false;
	int			idx_objective;

	rs_params_default(&out->params, kind);
	out->user_column = pstrdup("user_id");
	out->item_column = pstrdup("item_id");
	out->rating_column = pstrdup("rating");
	out->time_column = pstrdup("ts");
	out->verbose = recsys_epoch_notices;

	if (options != NULL)
	{
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		if (JB_ROOT_IS_SCALAR(options) || !JB_ROOT_IS_OBJECT(options))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options must be a jsonb object"),
					 errhint("Pass options as in '{\"epochs\": 20}'.")));

		it = JsonbIteratorInit(&options->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			char	   *name;
			int			idx;

			if (tok != WJB_KEY)
				continue;
			name = pnstrdup(v.val.string.val, v.val.string.len);
			tok = JsonbIteratorNext(&it, &v, true);
			Assert(tok == WJB_VALUE);

			if (set_glue_option(out, name, &v))
				continue;
			idx = rs_params_find(&out->params, name);
			if (idx < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unrecognized option \"%s\" for model kind \"%s\"",
								name, kind->name),
						 errhint("Valid options are: %s.", option_names(kind))));
			set_kind_option(&out->params, &kind->options[idx], &v);
			if (strcmp(name, "objective") == 0)
				objective_given = true;
		}
	}

	/* without ratings only the ranking objective can be trained */
	if (out->rating_column == NULL)
	{
		if (objective_given &&
			rs_rank_objective(&out->params) != RS_OBJECTIVE_RANKING)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("objective \"%s\" needs ratings",
							rs_objective_names[rs_rank_objective(&out->params)]),
					 errdetail("Option \"rating_column\" is null: the source has no ratings."),
					 errhint("Use \"objective\": \"ranking\", or name the rating column.")));
		/* a kind without the option (popularity) just counts the rows */
		idx_objective = rs_params_find(&out->params, "objective");
		if (idx_objective >= 0)
			out->params.value[idx_objective] = RS_OBJECTIVE_RANKING;
	}

	if (rs_params_check(&out->params, &err) != RS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 err.field[0] ? errmsg("invalid value for option \"%s\": %s",
									   err.field, err.message)
				 : errmsg("invalid options for model kind \"%s\": %s",
						  kind->name, err.message)));
}

/* ---- building jsonb ---- */

/* Push a key into an object being built */
static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/* Push a number value; NaN and infinities become null */
static void
push_number(JsonbParseState **state, double x)
{
	JsonbValue	v;

	if (isnan(x) || isinf(x))
		v.type = jbvNull;
	else
	{
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric,
															Float8GetDatum(x)));
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* Push an integer value */
static void
push_int(JsonbParseState **state, int64 x)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(x);
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* Push a string value */
static void
push_string(JsonbParseState **state, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* Push a boolean value */
static void
push_bool(JsonbParseState **state, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* Push every kind option of p as key and typed value */
static void
push_params(JsonbParseState **state, const rs_params *p)
{
	const rs_kind *kind = p->kind;
	int			i;

	for (i = 0; i < kind->n_options; i++)
	{
		const rs_option_def *def = &kind->options[i];
		double		x = p->value[i];

		push_key(state, def->name);
		switch (def->type)
		{
			case RS_OPT_INT:
				push_int(state, (int64) x);
				break;
			case RS_OPT_REAL:
				push_number(state, x);
				break;
			case RS_OPT_BOOL:
				push_bool(state, x != 0.0);
				break;
			case RS_OPT_ENUM:
				push_string(state, def->choices[(int) x]);
				break;
		}
	}
}

/* Every option of the kind as used, and the column names, as jsonb */
Jsonb *
OptionsToJsonb(const RecsysOptions *opts)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_params(&state, &opts->params);
	push_key(&state, "user_column");
	push_string(&state, opts->user_column);
	push_key(&state, "item_column");
	push_string(&state, opts->item_column);
	push_key(&state, "rating_column");
	if (opts->rating_column == NULL)
	{
		JsonbValue	null_value;

		null_value.type = jbvNull;
		pushJsonbValue(&state, WJB_VALUE, &null_value);
	}
	else
		push_string(&state, opts->rating_column);
	push_key(&state, "time_column");
	push_string(&state, opts->time_column);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* The kind options of a model as jsonb */
Jsonb *
ParamsToJsonb(const rs_params *params)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_params(&state, params);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/*
 * Metrics of a trained model: the best epoch and its validation RMSE, total
 * training time (the epochs and the ranking head), the head's part of it,
 * epochs run, and the per-epoch history.
 */
Jsonb *
MetricsToJsonb(const rs_model *m)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	double		seconds = 0.0;
	double		best_rmse = NAN;
	int			e;

	for (e = 0; e < m->n_epochs; e++)
		seconds += m->history[(size_t) e * RS_HISTORY_COLS + 3];
	seconds += m->rank_seconds;
	if (m->best_epoch >= 1 && m->best_epoch <= m->n_epochs)
		best_rmse = m->history[(size_t) (m->best_epoch - 1) * RS_HISTORY_COLS + 2];

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_key(&state, "best_epoch");
	push_int(&state, m->best_epoch);
	push_key(&state, "val_rmse");
	push_number(&state, best_rmse);
	push_key(&state, "train_seconds");
	push_number(&state, seconds);
	push_key(&state, "rank_seconds");
	push_number(&state, m->rank_seconds);
	push_key(&state, "n_epochs");
	push_int(&state, m->n_epochs);
	push_key(&state, "history");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (e = 0; e < m->n_epochs; e++)
	{
		const double *row = &m->history[(size_t) e * RS_HISTORY_COLS];

		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		push_key(&state, "epoch");
		push_int(&state, (int64) row[0]);
		push_key(&state, "train_loss");
		push_number(&state, row[1]);
		push_key(&state, "val_rmse");
		push_number(&state, row[2]);
		push_key(&state, "seconds");
		push_number(&state, row[3]);
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* ---- recsys_options() ---- */

/* Name of an option type as shown by recsys_options */
static const char *
option_type_name(rs_option_type type)
{
	switch (type)
	{
		case RS_OPT_INT:
			return "integer";
		case RS_OPT_REAL:
			return "real";
		case RS_OPT_BOOL:
			return "boolean";
		case RS_OPT_ENUM:
			return "enum";
	}
	return "?";
}

/* Default of an option as text */
static char *
option_default_text(const rs_option_def *def)
{
	switch (def->type)
	{
		case RS_OPT_INT:
			return psprintf("%.0f", def->def);
		case RS_OPT_REAL:
			return float8out_internal(def->def);
		case RS_OPT_BOOL:
			return pstrdup(def->def != 0.0 ? "true" : "false");
		case RS_OPT_ENUM:
			return pstrdup(def->choices[(int) def->def]);
	}
	return NULL;
}

/* Add the rows of one kind to the result of recsys_options */
static void
options_of_kind(ReturnSetInfo *rsinfo, const rs_kind *kind)
{
	static const char *const glue_defaults[] = {"user_id", "item_id", "rating", "ts"};
	static const char *const glue_help[] = {
		"column of the source holding user ids",
		"column of the source holding item ids",
		"column of the source holding ratings",
		"column of the source holding times (sequence models)"
	};
	Datum		values[7];
	bool		nulls[7];
	int			i;

	for (i = 0; i < kind->n_options; i++)
	{
		const rs_option_def *def = &kind->options[i];
		bool		numeric = def->type == RS_OPT_INT || def->type == RS_OPT_REAL;

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(kind->name);
		values[1] = CStringGetTextDatum(def->name);
		values[2] = CStringGetTextDatum(option_type_name(def->type));
		values[3] = CStringGetTextDatum(option_default_text(def));
		values[4] = Float8GetDatum(def->min);
		values[5] = Float8GetDatum(def->max);
		nulls[4] = nulls[5] = !numeric;
		values[6] = CStringGetTextDatum(def->help ? def->help : "");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	/* the glue's options, accepted by every kind */
	for (i = 0; glue_string_options[i] != NULL; i++)
	{
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(kind->name);
		values[1] = CStringGetTextDatum(glue_string_options[i]);
		values[2] = CStringGetTextDatum("text");
		values[3] = CStringGetTextDatum(glue_defaults[i]);
		nulls[4] = nulls[5] = true;
		values[6] = CStringGetTextDatum(glue_help[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(kind->name);
	values[1] = CStringGetTextDatum("verbose");
	values[2] = CStringGetTextDatum("boolean");
	nulls[3] = true;			/* recsys.epoch_notices */
	nulls[4] = nulls[5] = true;
	values[6] = CStringGetTextDatum("one NOTICE per epoch (default: the recsys.epoch_notices setting)");
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The kinds and the options each accepts; NULL kind = every kind */
PG_FUNCTION_INFO_V1(recsys_options);
Datum
recsys_options(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);

	if (!PG_ARGISNULL(0))
		options_of_kind(rsinfo, LookupKind(text_to_cstring(PG_GETARG_TEXT_PP(0))));
	else
	{
		int			i;

		for (i = 0; rs_kinds[i] != NULL; i++)
			options_of_kind(rsinfo, rs_kinds[i]);
	}
	return (Datum) 0;
}

/*
 * The attribute number of a user column of relid, or an error naming the
 * column and the relation (option: the option that names the column, or
 * NULL when the column comes from a stored model's options).
 */
static AttrNumber
SourceColumnNumber(Oid relid, const char *column, const char *option)
{
	AttrNumber	attnum = get_attnum(relid, column);

	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, get_rel_name(relid)),
				 option ?
				 errhint("Name the column to use with the option \"%s\".", option) :
				 errhint("The model reads the columns named in its training options; rename them in a view.")));
	return attnum;
}

/*
 * Error unless column of the relation exists and can be read as a user or
 * item id (an integer type) or, if is_rating, as a rating (any numeric
 * type); domains count as their base type.  option is the option that names
 * the column in training, or NULL where the column comes from a stored model.
 */
void
CheckSourceColumn(Oid relid, const char *column, bool is_rating,
				  const char *option)
{
	AttrNumber	attnum = SourceColumnNumber(relid, column, option);
	Oid			type;

	type = getBaseType(get_atttype(relid, attnum));
	if (!is_rating && IdTypeOfSqlType(type) >= 0)
		return;
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			if (is_rating)
				return;
			break;
		default:
			break;
	}

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of relation \"%s\" has type %s",
					column, get_rel_name(relid),
					format_type_be(get_atttype(relid, attnum))),
			 is_rating ?
			 errdetail("Ratings must be of type smallint, integer, bigint, real, double precision or numeric.") :
			 errdetail("User and item ids must be of type smallint, integer, bigint, uuid, text or varchar."),
			 option ?
			 errhint("Cast the column in a view, or name another column with the option \"%s\".", option) :
			 errhint("Cast the column in a view.")));
}

/*
 * The type a training reads the id column of the relation as: bigint for
 * the integer types, uuid, or text for text and varchar (the column was
 * checked by CheckSourceColumn)
 */
const char *
IdColumnType(Oid relid, const char *column)
{
	AttrNumber	attnum = SourceColumnNumber(relid, column, NULL);

	switch (IdTypeOfSqlType(get_atttype(relid, attnum)))
	{
		case RS_ID_UUID:
			return "pg_catalog.uuid";
		case RS_ID_TEXT:
			return "pg_catalog.text";
		default:
			return "pg_catalog.int8";
	}
}

/*
 * Error unless the time column of a sequence kind exists and its type has
 * a default btree ordering (the rows are numbered in SQL by ORDER BY time).
 */
void
CheckTimeColumn(Oid relid, const char *column)
{
	AttrNumber	attnum = SourceColumnNumber(relid, column, "time_column");
	Oid			type = get_atttype(relid, attnum);
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_LT_OPR);

	if (!OidIsValid(tc->lt_opr))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" has type %s, which has no ordering",
						column, get_rel_name(relid), format_type_be(type)),
				 errdetail("The time column orders each user's ratings, so its type needs a default btree operator class, as timestamps, dates and numbers have."),
				 errhint("Cast the column in a view, or name another column with the option \"time_column\".")));
}
