/*-------------------------------------------------------------------------
 *
 * ids.c
 *		User and item ids as SQL values: integers, uuid and text.
 *
 * The functions that take ids declare them "any", so one function serves
 * a model of bigint ids and one of uuid users and text items alike; the
 * SQL type of each argument (get_fn_expr_argtype) says how to read it.
 * The integer types are one id type (a smallint 7 is the bigint 7); uuid
 * and text/varchar are keys (keys.h), whose bytes the core hashes to its
 * int64 ids.  A literal without a type ('...', of type unknown) is read
 * as the model's own id type.  An id of another type than the model's is
 * an error that names both.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/ids.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "keys.h"
#include "recsys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "funcapi.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

static const char *const side_name[2] = {"user", "item"};

/* the name of an id type in messages */
const char *
IdTypeName(rs_id_type type)
{
	switch (type)
	{
		case RS_ID_INTEGER:
			return "integer";
		case RS_ID_UUID:
			return "uuid";
		case RS_ID_TEXT:
			return "text";
	}
	return "unknown";
}

/*
 * The base type of typid (a domain counts as its base type), without a
 * catalog lookup for the types ids usually have: predict calls this per row
 */
static Oid
IdBaseType(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case UUIDOID:
		case TEXTOID:
		case VARCHAROID:
		case UNKNOWNOID:
			return typid;
	}
	return getBaseType(typid);
}

/* the id type of values of base type base, or -1 */
static int
IdTypeOfBase(Oid base)
{
	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return RS_ID_INTEGER;
		case UUIDOID:
			return RS_ID_UUID;
		case TEXTOID:
		case VARCHAROID:
			return RS_ID_TEXT;
	}
	return -1;
}

/*
 * The id type of values of SQL type typid, or -1 when ids cannot be of
 * that type.  unknown, the type of an untyped literal, is -1 too: its id
 * type is the model's.
 */
int
IdTypeOfSqlType(Oid typid)
{
	return IdTypeOfBase(IdBaseType(typid));
}

/* the int64 of an integer id of base type base */
static int64
IntegerId(Datum d, Oid base)
{
	switch (base)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

/* the bytes of a key (uuid or text id) of base type base */
static void
KeyBytes(Datum d, Oid base, const uint8 **key, size_t *len)
{
	if (base == UUIDOID)
	{
		*key = DatumGetUUIDP(d)->data;
		*len = UUID_LEN;
	}
	else
	{
		text	   *t = DatumGetTextPP(d);

		*key = (const uint8 *) VARDATA_ANY(t);
		*len = VARSIZE_ANY_EXHDR(t);
	}
}

/*
 * An untyped literal (a cstring) as a value of the model's id type for
 * side, and that type's oid into *typid
 */
static Datum
LiteralAsId(const rs_model *m, int side, Datum d, Oid *typid)
{
	char	   *s = DatumGetCString(d);

	switch (m->id_type[side])
	{
		case RS_ID_INTEGER:
			*typid = INT8OID;
			return DirectFunctionCall1(int8in, CStringGetDatum(s));
		case RS_ID_UUID:
			*typid = UUIDOID;
			return DirectFunctionCall1(uuid_in, CStringGetDatum(s));
		case RS_ID_TEXT:
			break;
	}
	*typid = TEXTOID;
	return CStringGetTextDatum(s);
}

/* error: an id of SQL type typid for a side whose ids are of another type */
static void
WrongIdType(const rs_model *m, const char *model_name, int side,
			const char *what, Oid typid)
{
	const char *want = IdTypeName(m->id_type[side]);

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%s has type %s, but model \"%s\" has %s %s ids",
					what, format_type_be(typid), model_name, want,
					side_name[side]),
			 m->id_type[side] == RS_ID_INTEGER ?
			 errhint("Pass a smallint, integer or bigint.") :
			 errhint("Pass a value of type %s, or cast it: ...::%s.", want, want)));
}

/* the dense index of an id of base type base, which is side's id type */
static int32
IndexOfBase(const rs_model *m, int side, Datum d, Oid base)
{
	const uint8 *key;
	size_t		len;

	if (m->id_type[side] == RS_ID_INTEGER)
		return side == RS_SIDE_USER ? rs_model_user_index(m, IntegerId(d, base))
			: rs_model_item_index(m, IntegerId(d, base));
	KeyBytes(d, base, &key, &len);
	return rs_model_key_index(m, side, key, len);
}

/*
 * The dense index of id value d of SQL type typid on side of model m (-1
 * for an id the model does not know); what names the argument in errors,
 * which name the model: model_name, or else argument 0 of fcinfo (read only
 * for an error, so that a call per row allocates nothing).
 */
static int32
IdIndexOf(const rs_model *m, int side, Datum d, Oid typid, const char *what,
		  const char *model_name, FunctionCallInfo fcinfo)
{
	Oid			base;

	if (typid == UNKNOWNOID)
		d = LiteralAsId(m, side, d, &typid);
	base = IdBaseType(typid);
	if (IdTypeOfBase(base) != (int) m->id_type[side])
		WrongIdType(m, model_name ? model_name : text_to_cstring(PG_GETARG_TEXT_PP(0)),
					side, what, typid);
	return IndexOfBase(m, side, d, base);
}

/* IdIndexOf for a caller that knows the model's name */
int32
IdIndex(const rs_model *m, const char *model_name, int side, Datum d,
		Oid typid, const char *what)
{
	return IdIndexOf(m, side, d, typid, what, model_name, NULL);
}

/* IdIndexOf of argument argno of the calling function */
int32
IdArgIndex(FunctionCallInfo fcinfo, int argno, const rs_model *m, int side,
		   const char *what)
{
	return IdIndexOf(m, side, PG_GETARG_DATUM(argno),
					 get_fn_expr_argtype(fcinfo->flinfo, argno), what, NULL,
					 fcinfo);
}

/*
 * The array argument argno holding ids of side: an untyped literal
 * ('{...}') is read as an array of the model's id type; any other
 * non-array type is an error
 */
ArrayType *
IdArrayArg(FunctionCallInfo fcinfo, int argno, const rs_model *m, int side,
		   const char *what)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Datum		arg = PG_GETARG_DATUM(argno);

	if (typid == UNKNOWNOID)
	{
		static const Oid elem_of[] = {INT8OID, UUIDOID, TEXTOID};
		Oid			input;
		Oid			ioparam;

		typid = get_array_type(elem_of[m->id_type[side]]);
		getTypeInputInfo(typid, &input, &ioparam);
		arg = OidInputFunctionCall(input, DatumGetCString(arg), ioparam, -1);
	}
	if (!OidIsValid(get_element_type(getBaseType(typid))))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be an array, not type %s", what,
						format_type_be(typid))));
	return DatumGetArrayTypeP(arg);
}

/*
 * The dense indexes of the elements of array a (ids of side; -1 for ids
 * the model does not know), into *n of them; NULL elements are an error
 */
int32_t *
IdArrayIndexes(ArrayType *a, const rs_model *m, const char *model_name,
			   int side, const char *what, size_t *n)
{
	Oid			elemtype = ARR_ELEMTYPE(a);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int			j;
	int32_t    *out;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign,
					  &elems, &nulls, &count);
	out = palloc(sizeof(int32_t) * Max(count, 1));
	for (j = 0; j < count; j++)
	{
		if (nulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what),
					 errdetail("Element %d of %s is NULL.", j + 1, what)));
		out[j] = IdIndex(m, model_name, side, elems[j], elemtype, what);
	}
	*n = (size_t) count;
	return out;
}

/* IdArrayIndexes of the array argument argno (model name in argument 0) */
int32_t *
IdArrayArgIndexes(FunctionCallInfo fcinfo, int argno, const rs_model *m,
				  int side, const char *what, size_t *n)
{
	return IdArrayIndexes(IdArrayArg(fcinfo, argno, m, side, what), m,
						  text_to_cstring(PG_GETARG_TEXT_PP(0)), side, what, n);
}

/* the id of index i of side as text: the number, the uuid, or the key */
static Datum
IdText(const rs_model *m, int side, int32 i)
{
	const uint8 *key;
	size_t		len;

	switch (m->id_type[side])
	{
		case RS_ID_INTEGER:
			return CStringGetTextDatum(psprintf(INT64_FORMAT,
												side == RS_SIDE_USER ?
												m->user_ids[i] : m->item_ids[i]));
		case RS_ID_UUID:
			{
				pg_uuid_t	u;

				key = rs_model_key(m, side, i, &len);
				memcpy(u.data, key, UUID_LEN);
				return CStringGetTextDatum(DatumGetCString(DirectFunctionCall1(uuid_out,
																			   UUIDPGetDatum(&u))));
			}
		case RS_ID_TEXT:
			break;
	}
	key = rs_model_key(m, side, i, &len);
	return PointerGetDatum(cstring_to_text_with_len((const char *) key, (int) len));
}

/*
 * Error unless column col of the calling set-returning function's result
 * can hold the ids of side: a bigint column holds integer ids only; the
 * _text forms return every id as text.
 */
void
CheckResultIds(FunctionCallInfo fcinfo, const rs_model *m, int side, int col)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (TupleDescAttr(rsinfo->setDesc, col)->atttypid == TEXTOID ||
		m->id_type[side] == RS_ID_INTEGER)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("model \"%s\" has %s %s ids, which %s returns as text only",
					text_to_cstring(PG_GETARG_TEXT_PP(0)),
					IdTypeName(m->id_type[side]),
					side == RS_SIDE_USER ? "user" : "item",
					get_func_name(fcinfo->flinfo->fn_oid)),
			 m->id_type[side] == RS_ID_UUID ?
			 errhint("Use %s_text, which returns the ids as text: cast them back with ::uuid.",
					 get_func_name(fcinfo->flinfo->fn_oid)) :
			 errhint("Use %s_text, which returns the ids as text.",
					 get_func_name(fcinfo->flinfo->fn_oid))));
}

/*
 * Index i of side as the value of column col of the result (checked by
 * CheckResultIds): a bigint, or text
 */
Datum
IdResult(const rs_model *m, int side, int32 i, TupleDesc desc, int col)
{
	if (TupleDescAttr(desc, col)->atttypid == TEXTOID)
		return IdText(m, side, i);
	return Int64GetDatum(side == RS_SIDE_USER ? m->user_ids[i] : m->item_ids[i]);
}

/*
 * While training: the int64 id of value d of SQL type typid, whose id type
 * is type, adding a key to keys
 */
int64
TrainingId(Datum d, Oid typid, rs_id_type type, rs_keys *keys)
{
	const uint8 *key;
	size_t		len;
	int64		id;
	rs_error	err;
	Oid			base = IdBaseType(typid);

	if (type == RS_ID_INTEGER)
		return IntegerId(d, base);
	KeyBytes(d, base, &key, &len);
	if (rs_keys_add(keys, key, len, &id, &err) != RS_OK)
		ReportCoreError(&err, NULL);
	return id;
}

/*
 * Error unless column of relation relid (a source of recsys_evaluate and
 * recsys_evaluate_ranking) holds ids of the type side of model m has
 */
void
CheckColumnIds(const rs_model *m, const char *model_name, int side,
			   Oid relid, const char *column)
{
	AttrNumber	attnum = get_attnum(relid, column);
	Oid			typid = get_atttype(relid, attnum);

	if (IdTypeOfSqlType(typid) != (int) m->id_type[side])
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" has type %s, but model \"%s\" has %s %s ids",
						column, get_rel_name(relid), format_type_be(typid),
						model_name, IdTypeName(m->id_type[side]),
						side == RS_SIDE_USER ? "user" : "item"),
				 errhint("Cast the column in a view.")));
}
