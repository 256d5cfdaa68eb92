/*-------------------------------------------------------------------------
 *
 * access.c
 *		Who may use a model: its owner, the roles it is shared with
 *		(recsys_grant, recsys_revoke), and the switch to the catalog's
 *		owner through which the extension reads and writes the catalog.
 *
 * Models are private.  A role may use a model when it has the privileges
 * of the model's owner or of one of the roles in its readers column (a
 * superuser may use every model): RoleMayRead.  recsys_models and
 * recsys_tensors have row-level security with that test, for what roles
 * read of the tables themselves.  Serving reads the catalog as its owner
 * and applies the same test to the row it found (cache.c): on a Citus
 * worker the rows are read from the local shard of a reference table
 * (cluster.c), which the policies of the table need not cover.  To a role
 * that may not use a model, the model does not exist.
 *
 * Nobody but the catalog's owner (the role that created the extension) may
 * write the catalog tables: PUBLIC has SELECT on them and nothing else.
 * The functions that write (recsys_train, recsys_store, recsys_drop,
 * recsys_grant, recsys_revoke) check ownership themselves, with the
 * caller's identity, and then run their catalog statements as the
 * catalog's owner (BeginCatalogAccess), as PostgreSQL's foreign key triggers act as a table's
 * owner: the user id switched with SECURITY_LOCAL_USERID_CHANGE and
 * SECURITY_RESTRICTED_OPERATION, and search_path pinned to "pg_catalog,
 * pg_temp" so that no function or operator of the caller's can be reached
 * by name while privileged.  The switch covers the catalog statements
 * only: a training reads its source with the caller's own rights before.
 * An error inside aborts the (sub)transaction, which restores the user id
 * and the settings.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/access.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "recsys.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* the owner of the catalog table recsys_models, who writes the catalog */
Oid
CatalogOwner(void)
{
	Oid			relid = get_relname_relid("recsys_models", RecsysSchemaOid());
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		elog(ERROR, "could not find the table recsys_models of extension recsys");
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Act as the catalog's owner until EndCatalogAccess (see the file header).
 * w->caller is the role the caller acts as: checks of rights use it.
 * Reads and writes of the catalog by the extension's own statements go
 * through this; nothing of the caller's is evaluated in between.
 */
void
BeginCatalogAccess(CatalogAccess *w)
{
	Oid			owner = CatalogOwner();

	GetUserIdAndSecContext(&w->caller, &w->sec_context);
	SetUserIdAndSecContext(owner, w->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	w->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/* back to the caller's identity and settings */
void
EndCatalogAccess(CatalogAccess *w)
{
	AtEOXact_GUC(false, w->guc_level);
	SetUserIdAndSecContext(w->caller, w->sec_context);
}

/*
 * The cheap switch, for serving's lookup of a model on every statement:
 * the user id only, to owner (CatalogOwner's answer, kept by the caller).
 * Only for statements that name every table, type, function and operator
 * with its schema (OPERATOR(pg_catalog.=) and the like), as PostgreSQL's
 * foreign key triggers do: a plan is planned again under the search_path
 * of the moment, which is the caller's here.
 */
void
BeginCatalogRead(CatalogAccess *w, Oid owner)
{
	GetUserIdAndSecContext(&w->caller, &w->sec_context);
	SetUserIdAndSecContext(owner, w->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	w->guc_level = -1;
}

void
EndCatalogRead(CatalogAccess *w)
{
	SetUserIdAndSecContext(w->caller, w->sec_context);
}

/* true when role may act for the role called owner (missing: only superusers) */
static bool
HasRightsOf(Oid role, const char *owner)
{
	Oid			owner_oid = get_role_oid(owner, true);

	return OidIsValid(owner_oid) && has_privs_of_role(role, owner_oid);
}

/* error out unless role may change the model name owned by owner */
void
CheckModelOwner(Oid role, const char *name, const char *owner)
{
	if (!superuser_arg(role) && !HasRightsOf(role, owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of model \"%s\"", name),
				 errdetail("The model belongs to role \"%s\".", owner)));
}

/* whether role may use a model of this owner shared with these readers */
bool
RoleMayRead(Oid role, const char *owner, ArrayType *readers)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			j;

	if (superuser_arg(role) || HasRightsOf(role, owner))
		return true;

	deconstruct_array(readers, REGROLEOID, sizeof(Oid), true, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (j = 0; j < n; j++)
		if (!nulls[j] && has_privs_of_role(role, DatumGetObjectId(elems[j])))
			return true;
	return false;
}

/*
 * RoleMayRead with the readers as names (text[]): how serving reads them,
 * because on a Citus coordinator a regrole read from a worker's copy of
 * the catalog may arrive as the worker's OID of the role, which names
 * another role here or none; a name means the same role on every node.
 * A name that is no role's (the output of a dropped role's OID) is no
 * reader.
 */
bool
RoleMayReadByName(Oid role, const char *owner, ArrayType *reader_names)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			j;

	if (superuser_arg(role) || HasRightsOf(role, owner))
		return true;

	deconstruct_array(reader_names, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (j = 0; j < n; j++)
		if (!nulls[j] && HasRightsOf(role, TextDatumGetCString(elems[j])))
			return true;
	return false;
}

PG_FUNCTION_INFO_V1(recsys_may_read);
/*
 * SQL recsys_may_read(owner name, readers regrole[]): whether the current
 * role may see a model's rows; the test of the catalog's row-level
 * security policies.
 */
Datum
recsys_may_read(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(RoleMayRead(GetUserId(), NameStr(*PG_GETARG_NAME(0)),
							   PG_GETARG_ARRAYTYPE_P(1)));
}

/*
 * Add reader to the readers of model name (share) or take it out; only its
 * owner may.  Sharing with the owner itself changes nothing.
 */
static void
ChangeReaders(const char *name, Oid reader, bool share)
{
	const char *schema = RecsysSchema();
	CatalogAccess w;
	ModelRow	row;
	char	   *sql;
	Oid			argtypes[2] = {TEXTOID, REGROLEOID};
	Datum		values[2];
	int			ret;

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	BeginCatalogAccess(&w);
	if (!LockModelRow(schema, name, CurrentMemoryContext, &row))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name)));
	CheckModelOwner(w.caller, name, row.owner);

	/* one entry per role, in the order shared */
	if (share)
		sql = psprintf("UPDATE %s.recsys_models "
					   "SET readers = array_append(readers, $2) "
					   "WHERE name = $1 AND $2 <> ALL (readers)", schema);
	else
		sql = psprintf("UPDATE %s.recsys_models "
					   "SET readers = array_remove(readers, $2) "
					   "WHERE name = $1 AND $2 = ANY (readers)", schema);
	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(reader);
	ret = SPI_execute_with_args(sql, 2, argtypes, values, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	EndCatalogAccess(&w);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(recsys_grant);
/* SQL recsys_grant(model, role): let role serve the model and read its rows */
Datum
recsys_grant(PG_FUNCTION_ARGS)
{
	Oid			reader = PG_GETARG_OID(1);

	/* a regrole given as a number need not name a role */
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(reader)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", reader)));
	ChangeReaders(text_to_cstring(PG_GETARG_TEXT_PP(0)), reader, true);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(recsys_revoke);
/*
 * SQL recsys_revoke(model, role): take back what recsys_grant gave.  The
 * role need not exist any more: a dropped reader stays in readers as its
 * OID until revoked.
 */
Datum
recsys_revoke(PG_FUNCTION_ARGS)
{
	ChangeReaders(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_OID(1), false);
	PG_RETURN_VOID();
}
