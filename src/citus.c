/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  offline_join on a Citus cluster.
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
 *	  entry point, naming the first table that differs.
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
#include "utils/typcache.h"
#include "utils/rel.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "storage/proc.h"

#include "backend.h"
#include "catalog.h"
#include "citus.h"
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
static AttrNumber
oj_partkey_attno(const char *partkey)
{
	const char *p = partkey ? strstr(partkey, ":varattno ") : NULL;

	return p ? (AttrNumber) atoi(p + strlen(":varattno ")) : InvalidAttrNumber;
}

/*
 * The layout of the extension's tables.  On a shape that is neither, fills
 * *bad_table and *bad_kind with the first table that differs, and *why.
 */
static OjTables
oj_tables_scan(Oid *bad_table, const char **bad_kind, const char **why)
{
	AttrNumber	att_rel,
				att_method,
				att_model;
	Relation	dist;
	Oid			nsp;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		seen[OJ_NSHAPES] = {false};
	int			nseen = 0;
	AttrNumber	att_key,
				att_coloc;
	int			sessions_coloc = -1,
				events_coloc = -2;
	Oid			first = InvalidOid;
	const char *first_kind = NULL;

	*bad_table = InvalidOid;
	*why = NULL;
	dist = oj_dist_partition_open(&att_rel, &att_method, &att_model);
	if (dist == NULL)
		return OJ_TABLES_LOCAL;
	att_key = get_attnum(RelationGetRelid(dist), "partkey");
	att_coloc = get_attnum(RelationGetRelid(dist), "colocationid");
	nsp = get_namespace_oid(OJ_SCHEMA, false);
	scan = systable_beginscan(dist, InvalidOid, false, NULL, 0, NULL);
	while (!OidIsValid(*bad_table) && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		TupleDesc	desc = RelationGetDescr(dist);
		bool		isnull;
		Datum		d;
		Oid			relid;
		char		method,
					model;
		const char *name;
		int			i;

		if (!oj_dist_partition_row(dist, tup, att_rel, att_method, att_model, nsp, &relid, &method, &model))
			continue;
		name = get_rel_name(relid);
		for (i = 0; i < (int) OJ_NSHAPES; i++)
			if (name && strcmp(name, oj_citus_shapes[i].table) == 0)
				break;
		if (i == (int) OJ_NSHAPES)
			*why = "offline_join.distribute() keeps it local";
		else if (oj_citus_shapes[i].method != method ||
				 (method == 'n' && model != 't'))
			*why = oj_citus_shapes[i].method == 'n' ? "offline_join.distribute() makes it a reference table"
				: "offline_join.distribute() distributes it by hash";
		else if (method == 'h')
		{
			char	   *key = NULL;
			AttrNumber	want = get_attnum(relid, oj_citus_shapes[i].column);

			if (att_key != InvalidAttrNumber &&
				TupleDescAttr(desc, att_key - 1)->atttypid == TEXTOID)
			{
				d = heap_getattr(tup, att_key, desc, &isnull);
				key = isnull ? NULL : TextDatumGetCString(d);
			}
			if (want == InvalidAttrNumber || oj_partkey_attno(key) != want)
				*why = psprintf("offline_join.distribute() distributes it by %s", oj_citus_shapes[i].column);
			else if (att_coloc != InvalidAttrNumber &&
					 TupleDescAttr(desc, att_coloc - 1)->atttypid == INT4OID)
			{
				d = heap_getattr(tup, att_coloc, desc, &isnull);
				if (strcmp(name, "sessions") == 0)
					sessions_coloc = isnull ? -1 : DatumGetInt32(d);
				else if (strcmp(name, "events") == 0)
					events_coloc = isnull ? -2 : DatumGetInt32(d);
			}
		}
		if (*why)
		{
			*bad_table = relid;
			*bad_kind = oj_citus_kind(method, model);
			break;
		}
		if (!seen[i])
			nseen++;
		seen[i] = true;
		if (!OidIsValid(first))
		{
			first = relid;
			first_kind = oj_citus_kind(method, model);
		}
	}
	systable_endscan(scan);
	table_close(dist, AccessShareLock);
	if (OidIsValid(*bad_table))
		return OJ_TABLES_OTHER;
	if (nseen == 0)
		return OJ_TABLES_LOCAL;
	for (int i = 0; i < (int) OJ_NSHAPES; i++)
		if (!seen[i])
		{
			/* name a table Citus manages, and what is missing */
			*bad_table = first;
			*bad_kind = first_kind;
			*why = psprintf("offline_join.distribute() would also have made table \"%s.%s\" a Citus table",
							OJ_SCHEMA, oj_citus_shapes[i].table);
			return OJ_TABLES_OTHER;
		}
	if (sessions_coloc != events_coloc)
	{
		*bad_table = oj_relation_oid("events");
		*bad_kind = "distributed";
		*why = "offline_join.distribute() co-locates it with offline_join.sessions";
		return OJ_TABLES_OTHER;
	}
	return OJ_TABLES_CITUS;
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
 * Reads pg_dist_shard (Citus's shards) for the shard whose id is shardid:
 * the table it belongs to, or InvalidOid.
 */
static Oid
oj_shard_owner(int64 shardid)
{
	Oid			relid = get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	AttrNumber	att_rel,
				att_id;
	Oid			owner = InvalidOid;

	if (!OidIsValid(relid))
		return InvalidOid;
	rel = table_open(relid, AccessShareLock);
	att_rel = get_attnum(relid, "logicalrelid");
	att_id = get_attnum(relid, "shardid");
	if (att_rel == InvalidAttrNumber || att_id == InvalidAttrNumber ||
		TupleDescAttr(RelationGetDescr(rel), att_rel - 1)->atttypid != REGCLASSOID ||
		TupleDescAttr(RelationGetDescr(rel), att_id - 1)->atttypid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("catalog \"pg_catalog.pg_dist_shard\" does not have the columns offline_join knows"),
				 errhint("This version of Citus is not supported by offline_join.")));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, att_id, RelationGetDescr(rel), &isnull);

		if (!isnull && DatumGetInt64(d) == shardid)
		{
			d = heap_getattr(tup, att_rel, RelationGetDescr(rel), &isnull);
			owner = isnull ? InvalidOid : DatumGetObjectId(d);
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/*
 * Whether rel is offline_join.<table> or one of its Citus shards:
 * offline_join.<table>_<shard id>, in the extension's schema (where only
 * its owner creates tables), and not registered in pg_dist_shard as a shard
 * of another table (a shard being created is not registered yet on the node
 * that holds it).  For trigger functions, which Citus fires on shards; they
 * still check the type of every column they read.
 */
bool
oj_is_table_or_shard(Relation rel, const char *table)
{
	static Oid	last_shard = InvalidOid;
	static Oid	last_owner = InvalidOid;
	Oid			target = oj_relation_oid(table);
	const char *name = RelationGetRelationName(rel);
	size_t		len = strlen(table);
	const char *digits;
	char	   *end;
	int64		shardid;

	if (RelationGetRelid(rel) == target)
		return true;
	if (RelationGetNamespace(rel) != get_namespace_oid(OJ_SCHEMA, false) ||
		strncmp(name, table, len) != 0 || name[len] != '_')
		return false;
	digits = name + len + 1;
	if (*digits < '0' || *digits > '9')
		return false;
	errno = 0;
	shardid = strtoi64(digits, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	if (RelationGetRelid(rel) != last_shard)
	{
		last_owner = oj_shard_owner(shardid);
		last_shard = RelationGetRelid(rel);
	}
	return last_owner == target || !OidIsValid(last_owner);
}

/*
 * The shards of offline_join.<table> that this node holds (Citus's
 * pg_dist_shard and pg_dist_placement, this node's group), as the OIDs of
 * their relations here, in shard order; allocated in CurrentMemoryContext.
 */
List *
oj_citus_local_shards(const char *table)
{
	MemoryContext outer = CurrentMemoryContext;
	Oid			nsp = get_namespace_oid(OJ_SCHEMA, false);
	List	   *shards = NIL;
	int			rc;

	SPI_connect();
	rc = SPI_execute_with_args("SELECT s.shardid FROM pg_catalog.pg_dist_shard s"
							   " JOIN pg_catalog.pg_dist_placement p ON p.shardid OPERATOR(pg_catalog.=) s.shardid"
							   " WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1"
							   " AND p.groupid OPERATOR(pg_catalog.=) (SELECT groupid FROM pg_catalog.pg_dist_local_group)"
							   " ORDER BY s.shardid",
							   1, (Oid[]) {OIDOID}, (Datum[]) {ObjectIdGetDatum(oj_relation_oid(table))},
							   NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading Citus's shards of %s.%s failed: %s", OJ_SCHEMA, table, SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		shardid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		Oid			relid = get_relname_relid(psprintf("%s_" INT64_FORMAT, table, shardid), nsp);
		MemoryContext spi;

		if (!OidIsValid(relid))
			continue;
		spi = MemoryContextSwitchTo(outer); /* the list outlives SPI */
		shards = lappend_oid(shards, relid);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return shards;
}

/*
 * The placement of reference table offline_join.<table> on this node, as a
 * relation this node can read directly (Citus keeps every placement of a
 * reference table in step, under its two-phase commit); ERROR naming the
 * table when this node holds none.
 */
Oid
oj_citus_local_placement(const char *table)
{
	List	   *shards = oj_citus_local_shards(table);

	if (shards == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this node holds no placement of reference table \"%s.%s\"", OJ_SCHEMA, table),
				 errhint("Add the coordinator to the cluster's metadata with citus_set_coordinator_host(), so that it keeps reference tables.")));
	return linitial_oid(shards);
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

/* schema.table of table, quoted, for messages */
static const char *
oj_rel_qualified(Oid table)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(table)), get_rel_name(table));
}

/* A shard's range of hash values, as pg_dist_shard keeps it. */
typedef struct OjShardRange
{
	int32		lo;
	int32		hi;
} OjShardRange;

static int
oj_shard_range_cmp(const void *a, const void *b)
{
	int32		x = ((const OjShardRange *) a)->lo;
	int32		y = ((const OjShardRange *) b)->lo;

	return x < y ? -1 : x > y;
}

/*
 * Splits arrays[0], values of table's distribution column (the table given
 * by OID, so nothing can redirect it), by the shard of table that holds
 * each value; arrays[1..narrays-1], as long as arrays[0], follow their
 * values.  Returns the number of shards met; *groups gets narrays arrays
 * per shard, shard after shard, copied into cxt (one value is one shard
 * already: the arrays themselves).  Runs in the caller's SPI connection.
 * For statements that Citus can then route to one shard each instead of
 * giving every shard every value.
 *
 * A value's shard is found as Citus finds it: the hash function of the
 * column type's default hash operator class, called with the column's
 * collation, and the shard of pg_dist_shard whose range holds the hash.
 * One catalog query per call, then no SQL per value: grouping by
 * get_shard_id_for_distribution_column() in a query was 8% of the
 * coordinator's CPU in a transaction-ID load.  The statements keep their
 * own "column = ANY (values)", by which Citus prunes, so a value put in the
 * wrong group could only cost a query on a second shard, never a wrong row.
 */
uint64
oj_citus_shard_groups(Oid table, int narrays, const Datum *arrays, Datum **groups, MemoryContext cxt)
{
	Datum	   *elems[2];
	Oid			elemtype[2];
	bool	   *nulls[2];
	int16		typlen[2];
	bool		typbyval[2];
	char		typalign[2];
	int			n = 0;
	int			nshards;
	OjShardRange *ranges;
	int		   *shard_of;
	int		   *count;
	int		   *first;
	int		   *pos;
	AttrNumber	attno = InvalidAttrNumber;
	Oid			coltype,
				collation;
	int32		coltypmod;
	TypeCacheEntry *tc;
	uint64		ngroups = 0;
	uint64		g;
	int			rc;

	Assert(narrays >= 1 && narrays <= 2);
	n = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(arrays[0])), ARR_DIMS(DatumGetArrayTypeP(arrays[0])));
	if (n <= 1)
	{
		*groups = MemoryContextAlloc(cxt, sizeof(Datum) * narrays);
		memcpy(*groups, arrays, sizeof(Datum) * narrays);
		return 1;
	}
	for (int i = 0; i < narrays; i++)
	{
		ArrayType  *a = DatumGetArrayTypeP(arrays[i]);
		int			len;

		elemtype[i] = ARR_ELEMTYPE(a);
		get_typlenbyvalalign(elemtype[i], &typlen[i], &typbyval[i], &typalign[i]);
		deconstruct_array(a, elemtype[i], typlen[i], typbyval[i], typalign[i],
						  &elems[i], &nulls[i], &len);
		if (len != n)
			elog(ERROR, "arrays of %d and %d values to group by the shards of table %u", n, len, table);
	}

	rc = SPI_execute_with_args("SELECT s.shardminvalue, s.shardmaxvalue,"
							   " (SELECT p.partkey FROM pg_catalog.pg_dist_partition p"
							   "  WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1"
							   "  AND p.partmethod OPERATOR(pg_catalog.=) 'h')"
							   " FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1",
							   1, (Oid[]) {REGCLASSOID}, (Datum[]) {ObjectIdGetDatum(table)},
							   NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the shards of table %u failed: %s", table, SPI_result_code_string(rc));
	nshards = (int) SPI_processed;
	ranges = palloc(sizeof(OjShardRange) * Max(nshards, 1));
	for (int s = 0; s < nshards; s++)
	{
		HeapTuple	tup = SPI_tuptable->vals[s];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *lo = SPI_getvalue(tup, desc, 1);
		char	   *hi = SPI_getvalue(tup, desc, 2);
		char	   *key = SPI_getvalue(tup, desc, 3);

		if (lo == NULL || hi == NULL)
			nshards = 0;
		else
		{
			ranges[s].lo = pg_strtoint32(lo);
			ranges[s].hi = pg_strtoint32(hi);
		}
		attno = oj_partkey_attno(key);
	}
	SPI_freetuptable(SPI_tuptable);
	if (nshards == 0 || attno == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has no shards by hash in pg_catalog.pg_dist_shard",
						oj_rel_qualified(table)),
				 errhint("Run offline_join.distribute() to give the extension its Citus layout.")));
	qsort(ranges, nshards, sizeof(OjShardRange), oj_shard_range_cmp);

	get_atttypetypmodcoll(table, attno, &coltype, &coltypmod, &collation);
	if (coltype != elemtype[0])
		elog(ERROR, "values of type %u to group by the shards of table %u, whose distribution column has type %u",
			 elemtype[0], table, coltype);
	tc = lookup_type_cache(coltype, TYPECACHE_HASH_PROC_FINFO);
	if (!OidIsValid(tc->hash_proc))
		elog(ERROR, "type %u of the distribution column of table %u has no hash function", coltype, table);

	shard_of = palloc(sizeof(int) * n);
	count = palloc0(sizeof(int) * nshards);
	for (int j = 0; j < n; j++)
	{
		int32		h;
		int			lo = 0,
					hi = nshards - 1;

		if (nulls[0][j])
			elog(ERROR, "null value to group by the shards of table %u", table);
		h = DatumGetInt32(FunctionCall1Coll(&tc->hash_proc_finfo, collation, elems[0][j]));
		/* the last range that starts at or below h */
		while (lo < hi)
		{
			int			mid = lo + (hi - lo + 1) / 2;

			if (ranges[mid].lo <= h)
				lo = mid;
			else
				hi = mid - 1;
		}
		if (h < ranges[lo].lo || h > ranges[lo].hi)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no shard of table %s holds hash value %d", oj_rel_qualified(table), h)));
		shard_of[j] = lo;
		if (count[lo]++ == 0)
			ngroups++;
	}

	/* each shard's values in their order: a counting sort by shard */
	first = palloc(sizeof(int) * nshards);
	pos = palloc(sizeof(int) * n);
	for (int s = 0, at = 0; s < nshards; s++)
	{
		first[s] = at;
		at += count[s];
	}
	for (int j = 0; j < n; j++)
		pos[first[shard_of[j]]++] = j;

	*groups = MemoryContextAlloc(cxt, sizeof(Datum) * narrays * ngroups);
	g = 0;
	for (int s = 0, at = 0; s < nshards; at += count[s], s++)
	{
		int			dims[1] = {count[s]};
		int			lbs[1] = {1};

		if (count[s] == 0)
			continue;
		for (int i = 0; i < narrays; i++)
		{
			Datum	   *vals = palloc(sizeof(Datum) * count[s]);
			bool	   *isnull = palloc(sizeof(bool) * count[s]);
			MemoryContext old;

			for (int k = 0; k < count[s]; k++)
			{
				vals[k] = elems[i][pos[at + k]];
				isnull[k] = nulls[i][pos[at + k]];
			}
			old = MemoryContextSwitchTo(cxt);
			(*groups)[g * narrays + i] =
				PointerGetDatum(construct_md_array(vals, isnull, 1, dims, lbs, elemtype[i],
												   typlen[i], typbyval[i], typalign[i]));
			MemoryContextSwitchTo(old);
		}
		g++;
	}
	return ngroups;
}
