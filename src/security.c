/*-------------------------------------------------------------------------
 *
 * security.c
 *	  The trust boundary: who owns the extension, whether its schema can be
 *	  trusted for code that runs with the owner's rights, the switch to the
 *	  owner and back (the inbox triggers write as the owner, the way
 *	  PostgreSQL's foreign-key triggers run as the table's owner), and the
 *	  table-privilege checks of the code that reads or writes below the
 *	  executor.
 *
 *	  No function of the extension is SECURITY DEFINER.  Code that acts for
 *	  a less privileged role checks what it runs on, keeps the caller's
 *	  identity for every decision about what to tell it, and becomes the
 *	  owner only for the writes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "utils/regproc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/rls.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "access/genam.h"
#include "access/table.h"

#include "backend.h"

PG_FUNCTION_INFO_V1(oj_my_rejects);

/* The owner of extension offline_join; ERROR when it is not installed. */
Oid
oj_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("offline_join"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"offline_join\" does not exist")));
	return owner;
}

/* Is function funcid the owner's or a superuser's? */
static bool
oj_function_trusted(Oid funcid, Oid owner, Oid *proowner)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));

	*proowner = InvalidOid;
	if (!HeapTupleIsValid(tup))
		return false;
	*proowner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return *proowner == owner || superuser_arg(*proowner);
}

typedef struct OjFuncCheck
{
	Oid			owner;
	Oid			bad;			/* the first function of another role */
	Oid			bad_owner;
} OjFuncCheck;

static bool
oj_untrusted_function(Oid funcid, void *context)
{
	OjFuncCheck *c = context;

	if (oj_function_trusted(funcid, c->owner, &c->bad_owner))
		return false;
	c->bad = funcid;
	return true;
}

static bool
oj_untrusted_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, oj_untrusted_function, context))
		return true;
	return expression_tree_walker(node, oj_untrusted_walker, context);
}

/*
 * Why rel, one of the tables (or its partitions and inheritance children)
 * that code with the owner's rights writes, could run another role's code
 * with those rights, or NULL: it must be the owner's or a superuser's
 * (only a table's owner gives it constraints, defaults, indexes, policies
 * or partitions), and its enabled triggers, with the functions of their
 * WHEN conditions, must run only the owner's or a superuser's functions.
 */
static char *
oj_table_untrusted(Relation rel, Oid ext_owner)
{
	Oid			relowner = rel->rd_rel->relowner;
	TriggerDesc *td = rel->trigdesc;

	if (relowner != ext_owner && !superuser_arg(relowner))
		return psprintf("table \"%s.%s\" is owned by role \"%s\"",
						get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel),
						GetUserNameFromId(relowner, true));
	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *trig = &td->triggers[i];
		OjFuncCheck c = {ext_owner, InvalidOid, InvalidOid};

		if (trig->tgenabled == TRIGGER_DISABLED)
			continue;
		if (!oj_untrusted_function(trig->tgfoid, &c) && trig->tgqual != NULL)
			(void) oj_untrusted_walker(stringToNode(trig->tgqual), &c);
		if (OidIsValid(c.bad))
			return psprintf("trigger \"%s\" on table \"%s.%s\" runs function %s, which role \"%s\" owns "
							"(drop the trigger, or let the owner of extension offline_join own the function)",
							trig->tgname, get_namespace_name(RelationGetNamespace(rel)),
							RelationGetRelationName(rel), format_procedure(c.bad),
							OidIsValid(c.bad_owner) ? GetUserNameFromId(c.bad_owner, true) : "?");
	}
	return NULL;
}

/*
 * Do the tables that code with the owner's rights writes (the inbox
 * triggers: events, rejects, loads; the expiry worker: transactions,
 * expiry_runs), their partitions and inheritance children run only the
 * owner's or a superuser's code (oj_table_untrusted())?  A trigger, and
 * the functions of its WHEN condition, run with the rights of the role
 * that writes: a role granted TRIGGER on one of them, or one that added a
 * trigger before that grant was revoked, or one given a partition, would
 * otherwise run its own code as the owner by sending an inbox a row, or
 * by leaving an expired transaction ID for the worker.
 */
static bool
oj_triggers_trusted(Oid ext_owner, char **why)
{
	static const char *const tables[] = {"events", "rejects", "loads", "transactions", "expiry_runs"};
	Oid			nsp = get_namespace_oid(OJ_SCHEMA, false);

	for (int t = 0; t < lengthof(tables); t++)
	{
		Oid			relid = get_relname_relid(tables[t], nsp);
		List	   *rels;
		ListCell   *lc;

		if (!OidIsValid(relid))
			continue;
		rels = find_all_inheritors(relid, AccessShareLock, NULL);
		foreach(lc, rels)
		{
			Relation	rel = try_relation_open(lfirst_oid(lc), NoLock);

			if (rel == NULL)
				continue;
			*why = oj_table_untrusted(rel, ext_owner);
			relation_close(rel, NoLock);
			if (*why != NULL)
				return false;
		}
	}
	return true;
}

/*
 * Can code running with the owner's rights trust the names in schema
 * offline_join?  Only when the extension's owner owns the schema and no
 * other role may create objects in it: then nobody else can put a table,
 * view or function where our code looks one up.  False with *why set.
 */
bool
oj_schema_trusted(Oid ext_owner, char **why)
{
	HeapTuple	tup;
	Form_pg_namespace nsp;
	Datum		acldatum;
	bool		isnull;

	tup = SearchSysCache1(NAMESPACENAME, CStringGetDatum(OJ_SCHEMA));
	if (!HeapTupleIsValid(tup))
	{
		*why = psprintf("schema \"%s\" does not exist", OJ_SCHEMA);
		return false;
	}
	nsp = (Form_pg_namespace) GETSTRUCT(tup);
	if (nsp->nspowner != ext_owner)
	{
		*why = psprintf("schema \"%s\" is owned by role \"%s\", not by \"%s\", the owner of extension offline_join",
						OJ_SCHEMA, GetUserNameFromId(nsp->nspowner, true),
						GetUserNameFromId(ext_owner, true));
		ReleaseSysCache(tup);
		return false;
	}
	acldatum = SysCacheGetAttr(NAMESPACENAME, tup, Anum_pg_namespace_nspacl, &isnull);
	if (!isnull)
	{
		Acl		   *acl = DatumGetAclPCopy(acldatum);
		AclItem    *items = ACL_DAT(acl);
		int			i;

		for (i = 0; i < ACL_NUM(acl); i++)
			if (items[i].ai_grantee != nsp->nspowner &&
				(ACLITEM_GET_PRIVS(items[i]) & ACL_CREATE))
			{
				*why = psprintf("role \"%s\" may create objects in schema \"%s\"",
								items[i].ai_grantee == ACL_ID_PUBLIC ? "public"
								: GetUserNameFromId(items[i].ai_grantee, true),
								OJ_SCHEMA);
				ReleaseSysCache(tup);
				return false;
			}
	}
	ReleaseSysCache(tup);
	return true;
}

/* oj_schema_trusted(), and the tables the owner's code writes run only trusted triggers. */
bool
oj_owner_writes_trusted(Oid ext_owner, char **why)
{
	return oj_schema_trusted(ext_owner, why) && oj_triggers_trusted(ext_owner, why);
}

/*
 * ERROR naming the problem unless oj_schema_trusted() (writes: and
 * oj_owner_writes_trusted()); what says who needs it.
 */
void
oj_check_schema_trusted(Oid ext_owner, const char *what, bool writes)
{
	char	   *why;

	if (!(writes ? oj_owner_writes_trusted(ext_owner, &why) : oj_schema_trusted(ext_owner, &why)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s refuses to run: %s", what, why),
				 errdetail("It writes with the rights of the extension's owner, so every object it uses must be the owner's."),
				 errhint("Let only the owner of extension offline_join own and create objects in schema %s "
						 "(ALTER SCHEMA ... OWNER TO, REVOKE CREATE ON SCHEMA ...), and own the tables it writes and the functions of their triggers, then try again.",
						 OJ_SCHEMA)));
}

/* Becomes role (for writes below a less privileged caller); *saved restores. */
void
oj_become(Oid role, OjSavedUser *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(role, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

/* Back to the user oj_become() saved. */
void
oj_unbecome(const OjSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/*
 * ERROR unless the current user has the privilege on rel: the loaders write
 * and read below the executor, so they check what the executor would.
 */
void
oj_check_table_privilege(Relation rel, AclMode mode)
{
	AclResult	r = pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), mode);

	if (r != ACLCHECK_OK)
		aclcheck_error(r, OBJECT_TABLE, RelationGetRelationName(rel));
}

/*
 * ERROR when row-level security applies to rel for the current user: the
 * loaders read and write below the executor, where no policy is applied,
 * so they refuse as COPY FROM refuses.  (The table's owner, unless the
 * table forces it, and roles with BYPASSRLS are not subject to it.)
 */
void
oj_check_no_rls(Relation rel)
{
	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("offline_join does not apply row-level security, which table \"%s\" has for role \"%s\"",
						RelationGetRelationName(rel), GetUserNameFromId(GetUserId(), false)),
				 errhint("Run it as a role that row-level security does not apply to (the table's owner, or a role with BYPASSRLS), or disable row-level security on the table.")));
}

/* May role read all of offline_join.<table>?  (false when the table is missing) */
bool
oj_role_can_select(Oid role, const char *table)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid(OJ_SCHEMA, false));

	/* all of it: policies would hide rows that the owner's lookups see */
	return OidIsValid(relid) && pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK &&
		check_enable_rls(relid, role, true) != RLS_ENABLED;
}

/*
 * my_rejects(load_id DEFAULT NULL): the rejects of the loads made by the
 * current role (or a role whose privileges it has), of one load or all.
 *
 * The rows are chosen here, as the extension's owner, and only they leave
 * the function: a view with a security barrier over rejects would let the
 * planner push a caller's leakproof conditions below the barrier, where
 * EXPLAIN ANALYZE counts rows the caller may not see.
 */
Datum
oj_my_rejects(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			invoker = GetUserId();
	Oid			owner = oj_extension_owner();
	Datum		args[2];
	char		nulls[2] = {' ', PG_ARGISNULL(0) ? 'n' : ' '};
	OjSavedUser saved;
	uint64		i;
	int			rc;

	InitMaterializedSRF(fcinfo, 0);
	oj_check_schema_trusted(owner, "my_rejects()", false);
	args[0] = ObjectIdGetDatum(invoker);
	args[1] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	oj_become(owner, &saved);
	SPI_connect();
	rc = SPI_execute_with_args("SELECT r.load_id::pg_catalog.int8, r.line_no::pg_catalog.int8, r.field::pg_catalog.text,"
							   "       r.reason::pg_catalog.text, r.message::pg_catalog.text, r.raw::pg_catalog.text"
							   "  FROM offline_join.rejects r"
							   "  JOIN offline_join.loads l ON l.load_id OPERATOR(pg_catalog.=) r.load_id"
							   " WHERE pg_catalog.pg_has_role($1, l.loaded_by::pg_catalog.oid, 'USAGE')"
							   "   AND ($2 IS NULL OR r.load_id OPERATOR(pg_catalog.=) $2)"
							   " ORDER BY r.load_id, r.line_no",
							   2, (Oid[]) {OIDOID, INT8OID}, args, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.rejects failed: %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[6];
		bool		isnull[6];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, isnull);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	SPI_finish();
	oj_unbecome(&saved);
	return (Datum) 0;
}
