/*-------------------------------------------------------------------------
 *
 * citus_layout.c
 *	  The layout of the extension's tables: local, or on a Citus cluster.
 *
 *	  Citus keeps the rows of a distributed, reference or Citus-managed local
 *	  table in shards; on the node where a query starts, the table itself is
 *	  an empty shell.  offline_join reads and writes its tables below the
 *	  executor (index scans, buffered heap inserts, in-place updates), which
 *	  would read that shell as empty and write rows no query ever sees.
 *
 *	  So the extension knows two layouts: local (no table of schema
 *	  offline_join known to Citus) and the one offline_join.distribute()
 *	  makes (oj_citus_shapes below), where the paths that have a distributed
 *	  form take it (SQL that Citus plans; the local placement of a reference
 *	  table) and the others refuse.  Any other shape is refused by every
 *	  entry point, naming the first table that differs.  Tables are opened
 *	  for direct access only through oj_table_open(), which refuses a shell.
 *
 *	  Citus is not linked: its catalog pg_catalog.pg_dist_partition is read
 *	  when it exists (it is created with the citus extension, on the
 *	  coordinator and on every node with synced metadata).  The lookup is
 *	  one syscache probe when Citus is not installed.  Shards are
 *	  citus_shards.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "source.h"
#include "catalog.h"
#include "citus.h"
#include "pg_compat.h"
#include "security.h"

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
 * One row of pg_dist_partition: false unless it is a table of schema nsp;
 * otherwise its relation, method and model.
 */
static bool
oj_dist_partition_row(Relation dist, HeapTuple tup, AttrNumber att_rel, AttrNumber att_method,
					  AttrNumber att_model, Oid nsp, Oid *relid, char *method, char *model)
{
	TupleDesc	desc = RelationGetDescr(dist);
	bool		isnull;
	Datum		d = heap_getattr(tup, att_rel, desc, &isnull);

	*relid = isnull ? InvalidOid : DatumGetObjectId(d);
	if (!OidIsValid(*relid) || get_rel_namespace(*relid) != nsp)
		return false;
	d = heap_getattr(tup, att_method, desc, &isnull);
	*method = isnull ? 0 : DatumGetChar(d);
	d = heap_getattr(tup, att_model, desc, &isnull);
	*model = isnull ? 0 : DatumGetChar(d);
	return true;
}

/*
 * The Citus layout of offline_join.distribute(): each table Citus manages,
 * its kind, and its distribution column.  Tables not listed stay local.
 */
typedef struct OjCitusShape
{
	const char *table;
	char		method;			/* 'h' hash-distributed, 'n' reference */
	const char *column;			/* the distribution column */
} OjCitusShape;

static const OjCitusShape oj_citus_shapes[] = {
	{"layout", 'n', NULL},
	{"sources", 'n', NULL},
	{"products", 'n', NULL},
	{"loads", 'n', NULL},
	{"sessions", 'h', "session_id"},
	{"events", 'h', "dist_key"},
	{"transactions", 'h', "transaction_id"},
	{"rejects", 'h', "load_id"},
};
#define OJ_NSHAPES lengthof(oj_citus_shapes)

/* The answer of this command (layouts change only in commands of their own). */
static LocalTransactionId oj_cached_lxid = InvalidLocalTransactionId;
static CommandId oj_cached_cid = InvalidCommandId;
static OjTables oj_cached_tables;
static bool oj_callback_registered = false;

/* The answer is forgotten when its transaction ends (local ids wrap around). */
static void
oj_citus_xact_end(XactEvent event, void *arg)
{
	oj_cached_lxid = InvalidLocalTransactionId;
	oj_cached_cid = InvalidCommandId;
}

/* The varattno of a distribution key as pg_dist_partition.partkey spells it. */
AttrNumber
oj_partkey_attno(const char *partkey)
{
	const char *p = partkey ? strstr(partkey, ":varattno ") : NULL;

	return p ? (AttrNumber) atoi(p + strlen(":varattno ")) : InvalidAttrNumber;
}

/* What a scan of pg_dist_partition has found of the extension's tables. */
typedef struct OjShapeScan
{
	Relation	dist;			/* pg_dist_partition */
	AttrNumber	att_rel, att_method, att_model, att_key, att_coloc;
	Oid			nsp;			/* schema offline_join */
	bool		seen[OJ_NSHAPES];
	int			nseen;
	int			sessions_coloc, events_coloc;
	Oid			first;			/* the first table of the schema that Citus manages */
	const char *first_kind;
} OjShapeScan;

/*
 * A hash-distributed table of the layout (its row tup): why its
 * distribution column differs from shape's, or NULL; notes the colocation
 * of sessions and events.
 */
static const char *
oj_shape_check_hash(OjShapeScan *s, HeapTuple tup, Oid relid, const char *name,
					const OjCitusShape *shape)
{
	TupleDesc	desc = RelationGetDescr(s->dist);
	char	   *key = NULL;
	AttrNumber	want = get_attnum(relid, shape->column);
	bool		isnull;
	Datum		d;

	if (s->att_key != InvalidAttrNumber &&
		TupleDescAttr(desc, s->att_key - 1)->atttypid == TEXTOID)
	{
		d = heap_getattr(tup, s->att_key, desc, &isnull);
		key = isnull ? NULL : TextDatumGetCString(d);
	}
	if (want == InvalidAttrNumber || oj_partkey_attno(key) != want)
		return psprintf("offline_join.distribute() distributes it by %s", shape->column);
	if (s->att_coloc != InvalidAttrNumber &&
		TupleDescAttr(desc, s->att_coloc - 1)->atttypid == INT4OID)
	{
		d = heap_getattr(tup, s->att_coloc, desc, &isnull);
		if (strcmp(name, "sessions") == 0)
			s->sessions_coloc = isnull ? -1 : DatumGetInt32(d);
		else if (strcmp(name, "events") == 0)
			s->events_coloc = isnull ? -2 : DatumGetInt32(d);
	}
	return NULL;
}

/*
 * One row of pg_dist_partition: NULL when it is no table of the schema or
 * one as the layout has it (then noted as seen); otherwise why it differs,
 * with *bad_table and *bad_kind.
 */
static const char *
oj_shape_check(OjShapeScan *s, HeapTuple tup, Oid *bad_table, const char **bad_kind)
{
	Oid			relid;
	char		method,
				model;
	const char *name;
	const char *why = NULL;
	int			i;

	if (!oj_dist_partition_row(s->dist, tup, s->att_rel, s->att_method, s->att_model, s->nsp,
							   &relid, &method, &model))
		return NULL;
	name = get_rel_name(relid);
	for (i = 0; i < (int) OJ_NSHAPES; i++)
		if (name && strcmp(name, oj_citus_shapes[i].table) == 0)
			break;
	if (i == (int) OJ_NSHAPES)
		why = "offline_join.distribute() keeps it local";
	else if (oj_citus_shapes[i].method != method ||
			 (method == 'n' && model != 't'))
		why = oj_citus_shapes[i].method == 'n' ? "offline_join.distribute() makes it a reference table"
			: "offline_join.distribute() distributes it by hash";
	else if (method == 'h')
		why = oj_shape_check_hash(s, tup, relid, name, &oj_citus_shapes[i]);
	if (why)
	{
		*bad_table = relid;
		*bad_kind = oj_citus_kind(method, model);
		return why;
	}
	if (!s->seen[i])
		s->nseen++;
	s->seen[i] = true;
	if (!OidIsValid(s->first))
	{
		s->first = relid;
		s->first_kind = oj_citus_kind(method, model);
	}
	return NULL;
}

/*
 * After a scan that found no table that differs: local when Citus manages
 * none, the Citus layout when it manages all as offline_join.distribute()
 * lays them out, otherwise (*bad_table, *bad_kind, *why) what is missing.
 */
static OjTables
oj_shapes_complete(const OjShapeScan *s, Oid *bad_table, const char **bad_kind, const char **why)
{
	if (s->nseen == 0)
		return OJ_TABLES_LOCAL;
	for (int i = 0; i < (int) OJ_NSHAPES; i++)
		if (!s->seen[i])
		{
			/* name a table Citus manages, and what is missing */
			*bad_table = s->first;
			*bad_kind = s->first_kind;
			*why = psprintf("offline_join.distribute() would also have made table \"%s.%s\" a Citus table",
							OJ_SCHEMA, oj_citus_shapes[i].table);
			return OJ_TABLES_OTHER;
		}
	if (s->sessions_coloc != s->events_coloc)
	{
		*bad_table = oj_relation_oid("events");
		*bad_kind = "distributed";
		*why = "offline_join.distribute() co-locates it with offline_join.sessions";
		return OJ_TABLES_OTHER;
	}
	return OJ_TABLES_CITUS;
}

/*
 * The layout of the extension's tables.  On a shape that is neither, fills
 * *bad_table and *bad_kind with the first table that differs, and *why.
 */
static OjTables
oj_tables_scan(Oid *bad_table, const char **bad_kind, const char **why)
{
	OjShapeScan s;
	SysScanDesc scan;
	HeapTuple	tup;

	*bad_table = InvalidOid;
	*why = NULL;
	memset(&s, 0, sizeof(s));
	s.dist = oj_dist_partition_open(&s.att_rel, &s.att_method, &s.att_model);
	if (s.dist == NULL)
		return OJ_TABLES_LOCAL;
	s.att_key = get_attnum(RelationGetRelid(s.dist), "partkey");
	s.att_coloc = get_attnum(RelationGetRelid(s.dist), "colocationid");
	s.nsp = get_namespace_oid(OJ_SCHEMA, false);
	s.sessions_coloc = -1;
	s.events_coloc = -2;
	scan = systable_beginscan(s.dist, InvalidOid, false, NULL, 0, NULL);
	while (*why == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
		*why = oj_shape_check(&s, tup, bad_table, bad_kind);
	systable_endscan(scan);
	table_close(s.dist, AccessShareLock);
	if (*why != NULL)
		return OJ_TABLES_OTHER;
	return oj_shapes_complete(&s, bad_table, bad_kind, why);
}

/*
 * The layout of the extension's tables: local, or offline_join.distribute()'s.
 * Any other shape is an ERROR naming what (the caller) and the first table
 * that differs.  One catalog scan per command.
 */
static OjTables
oj_tables_get(const char *what, bool raise)
{
	LocalTransactionId lxid = oj_my_local_xid();
	CommandId	cid = GetCurrentCommandId(false);
	Oid			bad = InvalidOid;
	const char *kind = NULL;
	const char *why = NULL;
	OjTables	layout;
	char	   *name;

	if (lxid == oj_cached_lxid && cid == oj_cached_cid)
		return oj_cached_tables;
	layout = oj_tables_scan(&bad, &kind, &why);
	if (layout != OJ_TABLES_OTHER)
	{
		if (!oj_callback_registered)
		{
			RegisterXactCallback(oj_citus_xact_end, NULL);
			oj_callback_registered = true;
		}
		oj_cached_lxid = lxid;
		oj_cached_cid = cid;
		oj_cached_tables = layout;
		return layout;
	}
	if (!raise)
		return layout;
	name = get_rel_name(bad);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s cannot run: table \"%s.%s\" is a Citus %s table",
					what, OJ_SCHEMA, name ? name : "?", kind),
			 errdetail("offline_join runs on its tables as CREATE EXTENSION makes them, or as offline_join.distribute() lays them out on Citus; %s.", why),
			 errhint("Convert the extension's tables with offline_join.distribute() only (doc/citus.md).")));
	return OJ_TABLES_OTHER;		/* keep the compiler quiet */
}

/* The layout, for entry point what: ERROR on a shape that is neither. */
OjTables
oj_tables(const char *what)
{
	return oj_tables_get(what, true);
}

/* The layout without an ERROR: OJ_TABLES_OTHER for a shape refused. */
OjTables
oj_tables_quiet(void)
{
	return oj_tables_get(NULL, false);
}

/*
 * Before a writer writes on the Citus layout: ERROR, once, naming them,
 * when primary nodes that hold a placement of the extension's tables do
 * not answer.  A load writes its events to the shards on every worker and
 * its ledger row to every placement of the reference table
 * offline_join.loads, so with such a node down nothing of it could commit;
 * Citus would find that out a connection at a time, with a WARNING each,
 * once the file was read.  citus_check_connection_to_node() (Citus 11 and
 * later; without it Citus's own errors stand) connects as the current
 * user with Citus's connection settings, reusing the session's open
 * connections (about 0.4 ms a load), one node after the other; its
 * WARNINGs, which carry libpq's reason, go to the server log only.  The
 * caller runs it as the role whose connections will write (an inbox's
 * owner, not its sender).  hint: what to do next.
 */
void
oj_citus_check_nodes(const char *what, const char *hint)
{
	int			level;
	StringInfoData down;
	uint64		i;
	uint64		n;

	if (oj_tables_quiet() != OJ_TABLES_CITUS ||
		!OidIsValid(LookupFuncName(list_make2(makeString("pg_catalog"),
											  makeString("citus_check_connection_to_node")),
								   2, (Oid[]) {TEXTOID, INT4OID}, true)))
		return;
	level = oj_pin_search_path();
	(void) set_config_option("client_min_messages", "error", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	initStringInfo(&down);
	SPI_connect();
	if (SPI_execute("SELECT pg_catalog.format('%s:%s', n.nodename, n.nodeport) FROM pg_catalog.pg_dist_node n"
					" WHERE n.noderole OPERATOR(pg_catalog.=) 'primary' AND n.groupid OPERATOR(pg_catalog.<>) 0"
					"   AND EXISTS (SELECT FROM pg_catalog.pg_dist_placement p"
					"                 JOIN pg_catalog.pg_dist_shard s ON s.shardid OPERATOR(pg_catalog.=) p.shardid"
					"                 JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.logicalrelid"
					"                WHERE p.groupid OPERATOR(pg_catalog.=) n.groupid"
					"                  AND c.relnamespace OPERATOR(pg_catalog.=) 'offline_join'::pg_catalog.regnamespace)"
					"   AND NOT pg_catalog.citus_check_connection_to_node(n.nodename, n.nodeport)"
					" ORDER BY n.nodeid", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_catalog.pg_dist_node failed");
	n = SPI_processed;
	for (i = 0; i < n; i++)
		appendStringInfo(&down, "%s\"%s\"", i > 0 ? ", " : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	oj_unpin_search_path(level);
	if (n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("%s cannot run: Citus node%s %s did not answer", what, n > 1 ? "s" : "", down.data),
				 errdetail("A load writes its events to the shards on every worker and its ledger row to every node (offline_join.loads is a reference table): nothing is written while a node is down, not even a ledger row.  The server log has Citus's reason."),
				 errhint("%s", hint)));
}

/*
 * For the writers (load(), load_dir(), inbox COPY): the layout, refusing a
 * Citus worker, whose sequences are not the ones IDs come from.
 */
OjTables
oj_tables_writer(const char *what)
{
	OjTables	t = oj_tables(what);
	Oid			relid;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	int32		group = 0;

	if (t != OJ_TABLES_CITUS)
		return t;
	relid = get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(relid))
		return t;
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		AttrNumber	att = get_attnum(relid, "groupid");
		bool		isnull;

		if (att != InvalidAttrNumber && TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid == INT4OID)
		{
			Datum		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);

			group = isnull ? 0 : DatumGetInt32(d);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (group != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s runs on the Citus coordinator, not on a worker node", what),
				 errdetail("The ledger (offline_join.loads) and the sequences that number loads and events live on the coordinator."),
				 errhint("Connect to the coordinator to load files.")));
	return t;
}

/*
 * For an entry point that has no distributed form yet: ERROR unless the
 * layout is local.
 */
void
oj_refuse_citus_tables(const char *what)
{
	if (oj_tables(what) == OJ_TABLES_CITUS)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot run on the Citus layout", what),
				 errdetail("The extension's tables are distributed (offline_join.distribute()), and %s reads or writes them below the executor, where a Citus table is an empty shell.", what),
				 errhint("doc/citus.md lists what runs on a cluster.")));
}

/*
 * ERROR when rel (a table of schema offline_join) is managed by Citus, for
 * what reads or writes it directly.
 */
void
oj_refuse_citus_table(Relation rel, const char *what)
{
	const char *kind = NULL;
	Oid			found = oj_citus_table(RelationGetRelid(rel), &kind);

	if (OidIsValid(found))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot run: table \"%s.%s\" is a Citus %s table",
						what, OJ_SCHEMA, RelationGetRelationName(rel), kind),
				 errdetail("offline_join reads and writes its tables below the executor, where a Citus table is an empty shell whose rows live in shards."),
				 errhint("doc/citus.md lists what runs on a cluster.")));
}

/*
 * The table of schema offline_join that Citus manages (only that one, when
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

	if (oj_tables_get(NULL, false) == OJ_TABLES_LOCAL)
		return InvalidOid;
	dist = oj_dist_partition_open(&att_rel, &att_method, &att_model);
	if (dist == NULL)
		return InvalidOid;
	nsp = get_namespace_oid(OJ_SCHEMA, false);
	scan = systable_beginscan(dist, InvalidOid, false, NULL, 0, NULL);
	while (!OidIsValid(found) && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Oid			relid;
		char		method,
					model;

		if (!oj_dist_partition_row(dist, tup, att_rel, att_method, att_model, nsp, &relid, &method, &model) ||
			(OidIsValid(only) && relid != only))
			continue;
		found = relid;
		*kind = oj_citus_kind(method, model);
	}
	systable_endscan(scan);
	table_close(dist, AccessShareLock);
	return found;
}

/*
 * Opens offline_join.<name> for reading or writing below the executor;
 * ERROR when Citus manages it (its rows are not in this relation).
 */
Relation
oj_table_open(const char *name, LOCKMODE lockmode)
{
	Relation	rel = table_open(oj_relation_oid(name), lockmode);

	oj_refuse_citus_table(rel, "offline_join");
	return rel;
}

/*
 * Opens offline_join.<table> for writer what, which writes with SQL where
 * Citus manages the table: on the Citus layout, when Citus manages it, its
 * shell (which has its shape and privileges; Citus plans the statement and
 * routes the rows), *citus_kind saying what Citus calls it; otherwise the
 * table as oj_table_open() opens it, *citus_kind NULL.
 */
Relation
oj_table_open_writer(const char *table, LOCKMODE lockmode, const char *what, const char **citus_kind)
{
	*citus_kind = NULL;
	if (oj_tables(what) == OJ_TABLES_CITUS &&
		OidIsValid(oj_citus_table(oj_relation_oid(table), citus_kind)))
		return table_open(oj_relation_oid(table), lockmode);
	return oj_table_open(table, lockmode);
}
