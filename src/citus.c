/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  offline_join on a Citus cluster.
 *
 *	  Citus keeps the rows of a distributed, reference or Citus-managed local
 *	  table in shards; on the node where a query starts, the table itself is
 *	  an empty shell.  offline_join reads and writes its tables below the
 *	  executor (index scans, buffered heap inserts, in-place updates), which
 *	  would read that shell as empty and write rows no query ever sees.  So
 *	  until each path has its distributed form, every entry point refuses
 *	  while any table of schema offline_join is known to Citus, naming it.
 *
 *	  Citus is not linked: its catalog pg_catalog.pg_dist_partition is read
 *	  when it exists (it is created with the citus extension, on the
 *	  coordinator and on every node with synced metadata).  The lookup is
 *	  one syscache probe when Citus is not installed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "access/xact.h"
#include "storage/proc.h"

#include "backend.h"
#include "pg_compat.h"

/* What Citus calls a table of pg_dist_partition, from its method and model. */
static const char *
oj_citus_kind(char partmethod, char repmodel)
{
	if (partmethod == 'n')
		return repmodel == 't' ? "reference" : "local (managed by Citus)";
	return "distributed";
}

/*
 * The table of pg_dist_partition, opened and checked, or NULL when Citus is
 * not installed in this database.  *att_* get the columns read here.
 */
static Relation
oj_dist_partition_open(AttrNumber *att_rel, AttrNumber *att_method, AttrNumber *att_model)
{
	Oid			relid = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	Relation	rel;
	TupleDesc	desc;

	if (!OidIsValid(relid))
		return NULL;
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	*att_rel = get_attnum(relid, "logicalrelid");
	*att_method = get_attnum(relid, "partmethod");
	*att_model = get_attnum(relid, "repmodel");
	if (*att_rel == InvalidAttrNumber || *att_method == InvalidAttrNumber ||
		*att_model == InvalidAttrNumber ||
		TupleDescAttr(desc, *att_rel - 1)->atttypid != REGCLASSOID ||
		TupleDescAttr(desc, *att_method - 1)->atttypid != CHAROID ||
		TupleDescAttr(desc, *att_model - 1)->atttypid != CHAROID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("catalog \"pg_catalog.pg_dist_partition\" does not have the columns offline_join knows"),
				 errdetail("offline_join reads logicalrelid (regclass), partmethod and repmodel (\"char\") to find tables managed by Citus."),
				 errhint("This version of Citus is not supported by offline_join.")));
	return rel;
}

/*
 * Whether this command has already found no table of the extension managed
 * by Citus: attribute() runs once per row of a LATERAL join and opens two
 * tables each time, and one scan of pg_dist_partition per command is
 * enough (Citus changes its catalog in commands of its own, which get a
 * new command id).
 */
static LocalTransactionId oj_none_lxid = InvalidLocalTransactionId;
static CommandId oj_none_cid = InvalidCommandId;
static bool oj_none_callback = false;

/* The answer is forgotten when its transaction ends (local ids wrap around). */
static void
oj_citus_xact_end(XactEvent event, void *arg)
{
	oj_none_lxid = InvalidLocalTransactionId;
	oj_none_cid = InvalidCommandId;
}

/*
 * A table of schema offline_join that Citus manages (only that one, when
 * only is valid), or InvalidOid; *kind then says what Citus calls it.
 */
Oid
oj_citus_table(Oid only, const char **kind)
{
	AttrNumber	att_rel,
				att_method,
				att_model;
	Relation	dist;
	Oid			nsp;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			found = InvalidOid;
	bool		any = false;
	LocalTransactionId lxid = oj_my_local_xid();
	CommandId	cid = GetCurrentCommandId(false);

	if (lxid == oj_none_lxid && cid == oj_none_cid)
		return InvalidOid;
	dist = oj_dist_partition_open(&att_rel, &att_method, &att_model);
	if (dist == NULL)
		return InvalidOid;
	nsp = get_namespace_oid(OJ_SCHEMA, false);
	scan = systable_beginscan(dist, InvalidOid, false, NULL, 0, NULL);
	while (!OidIsValid(found) && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, att_rel, RelationGetDescr(dist), &isnull);
		Oid			relid = isnull ? InvalidOid : DatumGetObjectId(d);
		char		method,
					model;

		if (!OidIsValid(relid) || get_rel_namespace(relid) != nsp)
			continue;
		any = true;
		if (OidIsValid(only) && relid != only)
			continue;
		found = relid;
		d = heap_getattr(tup, att_method, RelationGetDescr(dist), &isnull);
		method = isnull ? 0 : DatumGetChar(d);
		d = heap_getattr(tup, att_model, RelationGetDescr(dist), &isnull);
		model = isnull ? 0 : DatumGetChar(d);
		*kind = oj_citus_kind(method, model);
	}
	systable_endscan(scan);
	table_close(dist, AccessShareLock);
	if (!any)
	{
		if (!oj_none_callback)
		{
			RegisterXactCallback(oj_citus_xact_end, NULL);
			oj_none_callback = true;
		}
		oj_none_lxid = lxid;
		oj_none_cid = cid;
	}
	return found;
}

/* The refusal; what names the caller. */
static void
oj_refuse_citus(Oid only, const char *what)
{
	const char *kind = NULL;
	Oid			found = oj_citus_table(only, &kind);
	char	   *name;

	if (!OidIsValid(found))
		return;
	name = get_rel_name(found);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s cannot run: table \"%s.%s\" is a Citus %s table",
					what, OJ_SCHEMA, name ? name : "?", kind),
			 errdetail("offline_join reads and writes its tables below the executor, where a Citus table is an empty shell whose rows live in shards."),
			 errhint("offline_join does not run on Citus tables yet: keep the extension's tables local (README, \"Citus\").")));
}

/* ERROR when any table of schema offline_join is managed by Citus. */
void
oj_refuse_citus_tables(const char *what)
{
	oj_refuse_citus(InvalidOid, what);
}

/* ERROR when rel (a table of schema offline_join) is managed by Citus. */
void
oj_refuse_citus_table(Relation rel, const char *what)
{
	oj_refuse_citus(RelationGetRelid(rel), what);
}
