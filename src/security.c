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
#include "storage/lmgr.h"
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
#include "utils/guc.h"
#include "access/genam.h"
#include "access/table.h"

#include "catalog/pg_constraint.h"
#include "access/stratnum.h"
#include "rewrite/rowsecurity.h"
#include "utils/relcache.h"
#include "catalog/pg_class.h"
#include "catalog/index.h"
#include "rewrite/prs2lock.h"
#include "rewrite/rewriteDefine.h"
#include "nodes/parsenodes.h"
#include "source.h"
#include "catalog.h"
#include "ledger.h"
#include "security.h"

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

/* Is role the extension's owner or a superuser? */
static bool
oj_role_trusted(Oid role, Oid owner)
{
	return role == owner || superuser_arg(role);
}

/*
 * What the trust check found first: a function, or a domain (whose
 * constraints run code), that a role other than the owner or a superuser
 * owns.
 */
typedef struct OjCodeCheck
{
	Oid			owner;
	Oid			bad_func;
	Oid			bad_type;
	Oid			bad_owner;
} OjCodeCheck;

/*
 * Did the last check meet a function outside pg_catalog (trusted or not),
 * one that may look up a table by name while it runs?
 */
static bool oj_saw_user_code = false;
static bool oj_saw_site_check = false;	/* a CHECK the extension did not create (oj_own_check()) */

static bool
oj_untrusted_function(Oid funcid, void *context)
{
	OjCodeCheck *c = context;
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Oid			proowner = InvalidOid;

	if (HeapTupleIsValid(tup))
	{
		proowner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
		if (((Form_pg_proc) GETSTRUCT(tup))->pronamespace != PG_CATALOG_NAMESPACE)
			oj_saw_user_code = true;
		ReleaseSysCache(tup);
	}
	if (OidIsValid(proowner) && oj_role_trusted(proowner, c->owner))
		return false;
	c->bad_func = funcid;
	c->bad_owner = proowner;
	return true;
}

static bool oj_untrusted_walker(Node *node, void *context);

/* Do the CHECK constraints of domain typid call only trusted code? */
static bool
oj_domain_checks_trusted(Oid typid, OjCodeCheck *c)
{
	Relation	con = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		ok = true;

	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(con, ConstraintTypidIndexId, true, NULL, 1, &key);
	while (ok && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin = heap_getattr(tup, Anum_pg_constraint_conbin, RelationGetDescr(con), &isnull);

		if (!isnull && oj_untrusted_walker(stringToNode(TextDatumGetCString(bin)), c))
			ok = false;
	}
	systable_endscan(scan);
	table_close(con, AccessShareLock);
	return ok;
}

/* Is type typid (a domain, an array of one, a domain over one, ...) free of other roles' code? */
static bool
oj_type_trusted(Oid typid, OjCodeCheck *c)
{
	for (int depth = 0; OidIsValid(typid) && depth < 32; depth++)
	{
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		Form_pg_type t;
		Oid			next;

		if (!HeapTupleIsValid(tup))
			return true;
		t = (Form_pg_type) GETSTRUCT(tup);
		if (t->typtype == TYPTYPE_DOMAIN && !oj_role_trusted(t->typowner, c->owner))
		{
			c->bad_type = typid;
			c->bad_owner = t->typowner;
			ReleaseSysCache(tup);
			return false;
		}
		next = t->typtype == TYPTYPE_DOMAIN ? t->typbasetype : t->typelem;
		if (t->typtype == TYPTYPE_DOMAIN && !oj_domain_checks_trusted(typid, c))
		{
			ReleaseSysCache(tup);
			return false;
		}
		ReleaseSysCache(tup);
		typid = next;
	}
	return true;
}

static bool
oj_untrusted_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, CoerceToDomain) &&
		!oj_type_trusted(((CoerceToDomain *) node)->resulttype, context))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, oj_untrusted_walker, context, 0);
	if (check_functions_in_node(node, oj_untrusted_function, context))
		return true;
	return expression_tree_walker(node, oj_untrusted_walker, context);
}

/* Does the expression (nodeToString form, or a node) run only trusted code? */
static bool
oj_expr_trusted(Node *expr, OjCodeCheck *c)
{
	return expr == NULL || !oj_untrusted_walker(expr, c);
}

/* "function f(int), which role "r" owns" / "domain d, which ..." */
static char *
oj_code_named(const OjCodeCheck *c)
{
	return psprintf("%s %s, which role \"%s\" owns",
					OidIsValid(c->bad_func) ? "function" : "domain",
					OidIsValid(c->bad_func) ? format_procedure(c->bad_func) : format_type_be(c->bad_type),
					OidIsValid(c->bad_owner) ? GetUserNameFromId(c->bad_owner, true) : "?");
}

static char *oj_tables_untrusted(Oid relid, Oid ext_owner, bool deletes, int depth);

/*
 * Why a role other than rel's owner or a superuser holds TRIGGER on it (or,
 * with deletes, REFERENCES), with which it could make the table run its own
 * code; or NULL.
 */
static char *
oj_grants_untrusted(Relation rel, bool deletes, const char *nsp, const char *name)
{
	Oid			relowner = rel->rd_rel->relowner;
	AclMode		others_may = ACL_TRIGGER | (deletes ? ACL_REFERENCES : 0);
	HeapTuple	ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(RelationGetRelid(rel)));
	bool		isnull;
	Datum		acldatum;
	char	   *why = NULL;

	if (!HeapTupleIsValid(ctup))
		return NULL;
	acldatum = SysCacheGetAttr(RELOID, ctup, Anum_pg_class_relacl, &isnull);
	if (!isnull)
	{
		Acl		   *acl = DatumGetAclPCopy(acldatum);
		AclItem    *items = ACL_DAT(acl);

		for (int i = 0; why == NULL && i < ACL_NUM(acl); i++)
		{
			AclMode		held = ACLITEM_GET_PRIVS(items[i]) & others_may;
			bool		public = items[i].ai_grantee == ACL_ID_PUBLIC;

			if (held == 0 || items[i].ai_grantee == relowner ||
				(!public && superuser_arg(items[i].ai_grantee)))
				continue;
			why = psprintf("role \"%s\" holds %s on table \"%s.%s\": it could make the table run its own code "
						   "(REVOKE %s ON %s.%s FROM %s)",
						   public ? "public" : GetUserNameFromId(items[i].ai_grantee, true),
						   (held & ACL_TRIGGER) ? "TRIGGER" : "REFERENCES", nsp, name,
						   (held & ACL_TRIGGER) ? "TRIGGER" : "REFERENCES",
						   quote_identifier(nsp), quote_identifier(name),
						   public ? "PUBLIC" : quote_identifier(GetUserNameFromId(items[i].ai_grantee, true)));
		}
	}
	ReleaseSysCache(ctup);
	return why;
}

/*
 * Why deleting from rel could run another role's code, or NULL: a foreign
 * key into the table with an ON DELETE action, or one of another role's
 * table, makes the action run the referencing table's triggers (and so on
 * down its own references) as the deleting role.
 */
static char *
oj_references_untrusted(Relation rel, Oid ext_owner, int depth, const char *nsp, const char *name)
{
	Relation	con = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *why = NULL;

	ScanKeyInit(&key, Anum_pg_constraint_confrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationGetRelid(rel)));
	scan = systable_beginscan(con, InvalidOid, false, NULL, 1, &key);
	while (why == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint f = (Form_pg_constraint) GETSTRUCT(tup);
		HeapTuple	rtup;

		if (f->contype != CONSTRAINT_FOREIGN)
			continue;
		if (f->confdeltype != FKCONSTR_ACTION_NOACTION && f->confdeltype != FKCONSTR_ACTION_RESTRICT &&
			f->conrelid != RelationGetRelid(rel))
		{
			/* the action deletes or updates there: that table runs its code too */
			if (depth >= 8)
				why = psprintf("foreign keys with ON DELETE actions lead from table \"%s.%s\" more than 8 tables deep",
							   nsp, name);
			else
				why = oj_tables_untrusted(f->conrelid, ext_owner, true, depth + 1);
			if (why != NULL)
				break;
		}
		rtup = SearchSysCache1(RELOID, ObjectIdGetDatum(f->conrelid));
		if (HeapTupleIsValid(rtup))
		{
			Form_pg_class rc = (Form_pg_class) GETSTRUCT(rtup);

			if (!oj_role_trusted(rc->relowner, ext_owner))
				why = psprintf("table \"%s.%s\" of role \"%s\" references table \"%s.%s\" (foreign key \"%s\"), "
							   "so deleting from it runs that table's triggers",
							   get_namespace_name(rc->relnamespace), NameStr(rc->relname),
							   GetUserNameFromId(rc->relowner, true), nsp, name, NameStr(f->conname));
			ReleaseSysCache(rtup);
		}
	}
	systable_endscan(scan);
	table_close(con, AccessShareLock);
	return why;
}

/* Why an enabled trigger of rel (its function or WHEN condition) runs untrusted code, or NULL. */
static char *
oj_triggers_untrusted(Relation rel, OjCodeCheck *c, const char *nsp, const char *name)
{
	TriggerDesc *td = rel->trigdesc;

	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *trig = &td->triggers[i];

		if (trig->tgenabled == TRIGGER_DISABLED)
			continue;
		if (oj_untrusted_function(trig->tgfoid, c) ||
			(trig->tgqual != NULL && !oj_expr_trusted(stringToNode(trig->tgqual), c)))
			return psprintf("trigger \"%s\" on table \"%s.%s\" runs %s "
							"(drop the trigger, or let the owner of extension offline_join own it)",
							trig->tgname, nsp, name, oj_code_named(c));
	}
	return NULL;
}

/*
 * Is name one of the CHECK constraints the extension's scripts give the
 * tables the inbox writes?  Each compares a column with constants.
 */
static bool
oj_own_check(const char *name)
{
	static const char *const own[] = {"events_match", "loads_status", "loads_rows_add_up", NULL};

	for (int i = 0; own[i] != NULL; i++)
		if (strcmp(name, own[i]) == 0)
			return true;
	return false;
}

/* Why a column type, CHECK constraint or default of rel runs untrusted code, or NULL. */
static char *
oj_columns_untrusted(Relation rel, OjCodeCheck *c, const char *nsp, const char *name)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleConstr *tc = desc->constr;

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && !oj_type_trusted(att->atttypid, c))
			return psprintf("column \"%s\" of table \"%s.%s\" (type %s) runs %s", NameStr(att->attname), nsp, name,
							format_type_be(att->atttypid), oj_code_named(c));
	}
	if (tc == NULL)
		return NULL;
	for (int i = 0; i < tc->num_check; i++)
	{
		if (!oj_expr_trusted(stringToNode(tc->check[i].ccbin), c))
			return psprintf("constraint \"%s\" of table \"%s.%s\" runs %s", tc->check[i].ccname, nsp, name,
							oj_code_named(c));
		/* a site's own CHECK may call a built-in that looks a name up (a regclass cast) */
		if (!oj_own_check(tc->check[i].ccname))
			oj_saw_site_check = true;
	}
	for (int i = 0; i < tc->num_defval; i++)
		if (!oj_expr_trusted(stringToNode(tc->defval[i].adbin), c))
			return psprintf("the default of column \"%s\" of table \"%s.%s\" runs %s",
							NameStr(TupleDescAttr(desc, tc->defval[i].adnum - 1)->attname), nsp, name,
							oj_code_named(c));
	return NULL;
}

/* Why an index expression or predicate, or a policy, of rel runs untrusted code, or NULL. */
static char *
oj_indexes_policies_untrusted(Relation rel, OjCodeCheck *c, const char *nsp, const char *name)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	ind = index_open(lfirst_oid(lc), AccessShareLock);
		bool		ok = oj_expr_trusted((Node *) RelationGetIndexExpressions(ind), c) &&
			oj_expr_trusted((Node *) RelationGetIndexPredicate(ind), c);
		char	   *why = ok ? NULL : psprintf("index \"%s\" of table \"%s.%s\" runs %s",
											   RelationGetRelationName(ind), nsp, name, oj_code_named(c));

		index_close(ind, AccessShareLock);
		if (why != NULL)
			return why;
	}

	if (rel->rd_rsdesc != NULL)
	{
		foreach(lc, rel->rd_rsdesc->policies)
		{
			RowSecurityPolicy *pol = lfirst(lc);

			if (!oj_expr_trusted((Node *) pol->qual, c) || !oj_expr_trusted((Node *) pol->with_check_qual, c))
				return psprintf("policy \"%s\" of table \"%s.%s\" runs %s", pol->policy_name, nsp, name,
								oj_code_named(c));
		}
	}
	return NULL;
}

/*
 * Why rel, one of the tables (or its partitions and inheritance children)
 * that code with the owner's rights writes, could run another role's code
 * with those rights, or NULL.  Checked: its owner (only the owner gives a
 * table constraints, defaults, indexes, policies or partitions); that no
 * other role holds TRIGGER on it (nor, for deletes, REFERENCES: an ON
 * DELETE action's AFTER triggers run as the deleting role) and no other
 * role's table references it; and that its triggers (with their WHEN
 * conditions), CHECK constraints, defaults and generated columns, index
 * expressions and predicates, policies and column types run only
 * functions and domains of the owner or a superuser.
 */
static char *
oj_table_untrusted(Relation rel, Oid ext_owner, bool deletes, int depth)
{
	Oid			relowner = rel->rd_rel->relowner;
	const char *nsp = get_namespace_name(RelationGetNamespace(rel));
	const char *name = RelationGetRelationName(rel);
	OjCodeCheck c = {ext_owner, InvalidOid, InvalidOid, InvalidOid};
	char	   *why;

	if (!oj_role_trusted(relowner, ext_owner))
		return psprintf("table \"%s.%s\" is owned by role \"%s\"", nsp, name,
						GetUserNameFromId(relowner, true));
	if ((why = oj_grants_untrusted(rel, deletes, nsp, name)) != NULL)
		return why;

	/* a rule runs its actions in the writer's statement, as the writer */
	for (int i = 0; rel->rd_rules != NULL && i < rel->rd_rules->numLocks; i++)
		if (rel->rd_rules->rules[i]->enabled != RULE_DISABLED)
			return psprintf("table \"%s.%s\" has a rule, which would run as the writer (drop or disable it)", nsp, name);

	if (deletes && (why = oj_references_untrusted(rel, ext_owner, depth, nsp, name)) != NULL)
		return why;
	if ((why = oj_triggers_untrusted(rel, &c, nsp, name)) != NULL ||
		(why = oj_columns_untrusted(rel, &c, nsp, name)) != NULL)
		return why;
	return oj_indexes_policies_untrusted(rel, &c, nsp, name);
}

/*
 * Do the tables that code with the owner's rights writes (the inbox
 * triggers: events, rejects, loads; the expiry worker: transactions or
 * rejects, and expiry_runs, from which it deletes), their partitions and inheritance
 * children run only the owner's or a superuser's code
 * (oj_table_untrusted())?  Such code runs with the rights of the role that
 * writes: a role granted TRIGGER on one of them, or one that added a
 * trigger before that grant was revoked, or one given a partition, or one
 * whose function a constraint calls, would otherwise run its own code as
 * the owner by sending an inbox a row, or by leaving an expired
 * transaction ID for the worker.
 */
/*
 * oj_table_untrusted() of table relid and its partitions and inheritance
 * children, each locked as for writing until the transaction ends: CREATE
 * TRIGGER and ALTER TABLE wait for that lock, and one under way,
 * uncommitted, is waited for here and then seen.
 */
static char *
oj_tables_untrusted(Oid relid, Oid ext_owner, bool deletes, int depth)
{
	List	   *rels;
	ListCell   *lc;

	LockRelationOid(relid, RowExclusiveLock);
	rels = find_all_inheritors(relid, RowExclusiveLock, NULL);
	foreach(lc, rels)
	{
		Relation	rel = try_relation_open(lfirst_oid(lc), NoLock);
		char	   *why;

		if (rel == NULL)
			continue;
		why = oj_table_untrusted(rel, ext_owner, deletes, depth);
		relation_close(rel, NoLock);
		if (why != NULL)
			return why;
	}
	return NULL;
}

static bool
oj_written_tables_trusted(Oid ext_owner, OjOwnerWrites writes, char **why)
{
	static const char *const inbox[] = {"events", "rejects", "loads", NULL};
	static const char *const expiry[] = {"transactions", "expiry_runs", NULL};
	static const char *const expiry_rejects[] = {"rejects", "expiry_runs", NULL};
	const char *const *tables = writes == OJ_WRITES_INBOX ? inbox
		: writes == OJ_WRITES_EXPIRY ? expiry : expiry_rejects;
	Oid			nsp = get_namespace_oid(OJ_SCHEMA, false);

	oj_saw_user_code = false;
	oj_saw_site_check = false;
	for (int t = 0; tables[t] != NULL; t++)
	{
		Oid			relid = get_relname_relid(tables[t], nsp);

		if (OidIsValid(relid) &&
			(*why = oj_tables_untrusted(relid, ext_owner, writes != OJ_WRITES_INBOX, 0)) != NULL)
			return false;
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

/*
 * oj_schema_trusted(), and the tables the owner's code writes (writes: the
 * inbox's or the expiry worker's) run only the owner's or a superuser's
 * code; they stay locked as for writing until the transaction ends.
 */
bool
oj_owner_writes_trusted(Oid ext_owner, OjOwnerWrites writes, char **why)
{
	return oj_schema_trusted(ext_owner, why) && oj_written_tables_trusted(ext_owner, writes, why);
}

/*
 * Whether the tables that the last oj_owner_writes_trusted() checked run a
 * function outside pg_catalog (a trigger's, a constraint's, ...): one that,
 * run as the owner in the caller's session, may look a table up by a name
 * without its schema, and so find the caller's temporary table first.
 */
bool
oj_owner_writes_run_user_code(void)
{
	return oj_saw_user_code;
}

/*
 * Whether those tables run code that may look a name up through
 * search_path on every row: oj_owner_writes_run_user_code(), or a CHECK
 * constraint the extension did not create, which may call a built-in
 * that does (a cast to regclass, to_regclass()).
 */
bool
oj_owner_writes_need_pinned_rows(void)
{
	return oj_saw_user_code || oj_saw_site_check;
}

/*
 * ERROR naming the problem unless oj_schema_trusted() (writes: and
 * oj_owner_writes_trusted()); what says who needs it.
 */
void
oj_check_schema_trusted(Oid ext_owner, const char *what, OjOwnerWrites writes)
{
	char	   *why;

	if (!(writes != OJ_WRITES_NONE ? oj_owner_writes_trusted(ext_owner, writes, &why)
		  : oj_schema_trusted(ext_owner, &why)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s refuses to run: %s", what, why),
				 errdetail("It writes with the rights of the extension's owner, so every object it uses must be the owner's."),
				 errhint("Let only the owner of extension offline_join own and create objects in schema %s "
						 "(ALTER SCHEMA ... OWNER TO, REVOKE CREATE ON SCHEMA ...), and own the tables it writes and every function or domain they run, then try again.",
						 OJ_SCHEMA)));
}

/* Becomes role (for writes below a less privileged caller); *saved restores. */
void
oj_become(Oid role, OjSavedUser *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(role, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

/*
 * The search_path the extension's functions declare (SET search_path =
 * pg_catalog, pg_temp), set from C for a stretch of code run as the owner:
 * the inbox row trigger's rows that may resolve a name (inbox.c) and each
 * batch of index insertions (bulk_insert.c), since a function's SET clause
 * would cost a GUC nest level on every row.  Returns
 * the level for oj_unpin_search_path(); an error unwinds it with the
 * (sub)transaction, as it unwinds a SET clause.
 */
int
oj_pin_search_path(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("search_path", OJ_PINNED_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/* The caller's search_path again, after oj_pin_search_path(). */
void
oj_unpin_search_path(int level)
{
	AtEOXact_GUC(true, level);
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
 * my_rejects() reads with its owner's rights (a pipeline role has no
 * SELECT on the rejects): it refuses, naming the table, when policies on
 * the rejects or the ledger apply to the caller, which it could not honour.
 */
static void
oj_my_rejects_check_rls(Oid invoker)
{
	const char *tables[] = {"rejects", "loads"};
	int			i;

	for (i = 0; i < lengthof(tables); i++)
		if (check_enable_rls(oj_relation_oid(tables[i]), invoker, true) == RLS_ENABLED)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("my_rejects() cannot apply row-level security on table \"%s.%s\"", OJ_SCHEMA, tables[i]),
					 errdetail("Policies on the table apply to role \"%s\", and my_rejects() reads it with its owner's rights.",
							   GetUserNameFromId(invoker, false)),
					 errhint("Read offline_join.rejects directly: its policies apply there.")));
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
	oj_check_schema_trusted(owner, "my_rejects()", OJ_WRITES_NONE);
	oj_my_rejects_check_rls(invoker);
	args[0] = ObjectIdGetDatum(invoker);
	args[1] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	oj_become(owner, &saved);
	SPI_connect();
	rc = SPI_execute_with_args(psprintf("SELECT r.load_id::pg_catalog.int8, r.line_no::pg_catalog.int8, r.field::pg_catalog.text,"
							   "       r.reason::pg_catalog.text, r.message::pg_catalog.text, r.raw::pg_catalog.text"
							   "  FROM offline_join.rejects r"
							   "  JOIN offline_join.loads l ON l.load_id OPERATOR(pg_catalog.=) r.load_id"
							   " WHERE %s"
							   "   AND ($2 IS NULL OR r.load_id OPERATOR(pg_catalog.=) $2)"
							   " ORDER BY r.load_id, r.line_no",
							   /* by name from 0.1.5 on; a role the cluster lacks is no one's */
							   oj_ledger_role_by_name()
							   ? "EXISTS (SELECT FROM pg_catalog.pg_roles a"
							   "   WHERE a.rolname OPERATOR(pg_catalog.=) l.loaded_by"
							   "     AND pg_catalog.pg_has_role($1, a.oid, 'USAGE'))"
							   : "pg_catalog.pg_has_role($1, l.loaded_by::pg_catalog.oid, 'USAGE')"),
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
