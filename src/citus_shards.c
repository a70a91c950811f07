/*-------------------------------------------------------------------------
 *
 * citus_shards.c
 *	  Citus's shards of the extension's tables, read from Citus's catalogs
 *	  (pg_dist_shard, pg_dist_placement, pg_dist_local_group; Citus is not
 *	  linked): whether a relation is a shard of a table (for trigger
 *	  functions, which Citus fires on shards), the shards this node holds
 *	  (for the expiry worker, and a reference table's local placement), and
 *	  which shard holds each of a set of values (for statements that Citus
 *	  then routes to one shard each).
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
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "source.h"
#include "catalog.h"
#include "citus.h"

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
 * The relations that hold the rows of offline_join.<table> on this node, as
 * quoted qualified names allocated in cxt: the table itself, or on the
 * Citus layout the shards of it that this node holds.  Direct changes to
 * shards are what Citus itself does on the node that holds them; Citus
 * asks for citus.enable_manual_changes_to_shards, then set for this
 * session.
 */
List *
oj_table_parts(const char *table, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	List	   *parts = NIL;
	ListCell   *lc;

	if (oj_tables_quiet() != OJ_TABLES_CITUS)
	{
		parts = list_make1(quote_qualified_identifier(OJ_SCHEMA, table));
		MemoryContextSwitchTo(old);
		return parts;
	}
	foreach(lc, oj_citus_local_shards(table))
		parts = lappend(parts, quote_qualified_identifier(OJ_SCHEMA, get_rel_name(lfirst_oid(lc))));
	MemoryContextSwitchTo(old);
	if (parts != NIL && GetConfigOption("citus.enable_manual_changes_to_shards", true, false) != NULL)
		(void) set_config_option("citus.enable_manual_changes_to_shards", "on", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, 0, false);
	return parts;
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

/* The values of an array to group by shard, deconstructed. */
typedef struct OjValues
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
} OjValues;

/*
 * The shards of table (hash-distributed) by their ranges of hash values,
 * sorted, and *attno its distribution column; ERROR when it has none.
 * Runs in the caller's SPI connection.
 */
static OjShardRange *
oj_shard_ranges(Oid table, int *nshards, AttrNumber *attno)
{
	OjShardRange *ranges;
	int			rc;

	*attno = InvalidAttrNumber;
	rc = SPI_execute_with_args("SELECT s.shardminvalue, s.shardmaxvalue,"
							   " (SELECT p.partkey FROM pg_catalog.pg_dist_partition p"
							   "  WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1"
							   "  AND p.partmethod OPERATOR(pg_catalog.=) 'h')"
							   " FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1",
							   1, (Oid[]) {REGCLASSOID}, (Datum[]) {ObjectIdGetDatum(table)},
							   NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the shards of table %u failed: %s", table, SPI_result_code_string(rc));
	*nshards = (int) SPI_processed;
	ranges = palloc(sizeof(OjShardRange) * Max(*nshards, 1));
	for (int s = 0; s < *nshards; s++)
	{
		HeapTuple	tup = SPI_tuptable->vals[s];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *lo = SPI_getvalue(tup, desc, 1);
		char	   *hi = SPI_getvalue(tup, desc, 2);
		char	   *key = SPI_getvalue(tup, desc, 3);

		if (lo == NULL || hi == NULL)
			*nshards = 0;
		else
		{
			ranges[s].lo = pg_strtoint32(lo);
			ranges[s].hi = pg_strtoint32(hi);
		}
		*attno = oj_partkey_attno(key);
	}
	SPI_freetuptable(SPI_tuptable);
	if (*nshards == 0 || *attno == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has no shards by hash in pg_catalog.pg_dist_shard",
						oj_rel_qualified(table)),
				 errhint("Run offline_join.distribute() to give the extension its Citus layout.")));
	qsort(ranges, *nshards, sizeof(OjShardRange), oj_shard_range_cmp);
	return ranges;
}

/*
 * The shard (its index in ranges) of each value of keys, values of table's
 * distribution column attno, in shard_of; count[s] gets the number of
 * values in shard s.  Returns the number of shards met.
 */
static uint64
oj_shards_of(Oid table, AttrNumber attno, const OjValues *keys, const OjShardRange *ranges,
			 int nshards, int *shard_of, int *count)
{
	Oid			coltype,
				collation;
	int32		coltypmod;
	TypeCacheEntry *tc;
	uint64		ngroups = 0;

	get_atttypetypmodcoll(table, attno, &coltype, &coltypmod, &collation);
	if (coltype != keys->type)
		elog(ERROR, "values of type %u to group by the shards of table %u, whose distribution column has type %u",
			 keys->type, table, coltype);
	tc = lookup_type_cache(coltype, TYPECACHE_HASH_PROC_FINFO);
	if (!OidIsValid(tc->hash_proc))
		elog(ERROR, "type %u of the distribution column of table %u has no hash function", coltype, table);
	for (int j = 0; j < keys->n; j++)
	{
		int32		h;
		int			lo = 0,
					hi = nshards - 1;

		if (keys->nulls[j])
			elog(ERROR, "null value to group by the shards of table %u", table);
		h = DatumGetInt32(FunctionCall1Coll(&tc->hash_proc_finfo, collation, keys->elems[j]));
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
	return ngroups;
}

/*
 * The narrays arrays of values split by shard: narrays arrays per shard
 * met, shard after shard, into *groups (allocated in cxt), each shard's
 * values in their order (a counting sort by shard).
 */
static void
oj_shard_group_arrays(const OjValues *vals, int narrays, const int *shard_of, const int *count,
					  int nshards, uint64 ngroups, Datum **groups, MemoryContext cxt)
{
	int			n = vals[0].n;
	int		   *first = palloc(sizeof(int) * nshards);
	int		   *pos = palloc(sizeof(int) * n);
	uint64		g = 0;

	for (int s = 0, at = 0; s < nshards; s++)
	{
		first[s] = at;
		at += count[s];
	}
	for (int j = 0; j < n; j++)
		pos[first[shard_of[j]]++] = j;

	*groups = MemoryContextAlloc(cxt, sizeof(Datum) * narrays * ngroups);
	for (int s = 0, at = 0; s < nshards; at += count[s], s++)
	{
		int			dims[1] = {count[s]};
		int			lbs[1] = {1};

		if (count[s] == 0)
			continue;
		for (int i = 0; i < narrays; i++)
		{
			const OjValues *v = &vals[i];
			Datum	   *elems = palloc(sizeof(Datum) * count[s]);
			bool	   *isnull = palloc(sizeof(bool) * count[s]);
			MemoryContext old;

			for (int k = 0; k < count[s]; k++)
			{
				elems[k] = v->elems[pos[at + k]];
				isnull[k] = v->nulls[pos[at + k]];
			}
			old = MemoryContextSwitchTo(cxt);
			(*groups)[g * narrays + i] =
				PointerGetDatum(construct_md_array(elems, isnull, 1, dims, lbs, v->type,
												   v->typlen, v->typbyval, v->typalign));
			MemoryContextSwitchTo(old);
		}
		g++;
	}
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
	OjValues	vals[2];
	int			n;
	int			nshards;
	OjShardRange *ranges;
	AttrNumber	attno;
	int		   *shard_of;
	int		   *count;
	uint64		ngroups;

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
		OjValues   *v = &vals[i];

		v->type = ARR_ELEMTYPE(a);
		get_typlenbyvalalign(v->type, &v->typlen, &v->typbyval, &v->typalign);
		deconstruct_array(a, v->type, v->typlen, v->typbyval, v->typalign,
						  &v->elems, &v->nulls, &v->n);
		if (v->n != n)
			elog(ERROR, "arrays of %d and %d values to group by the shards of table %u", n, v->n, table);
	}
	ranges = oj_shard_ranges(table, &nshards, &attno);
	shard_of = palloc(sizeof(int) * n);
	count = palloc0(sizeof(int) * nshards);
	ngroups = oj_shards_of(table, attno, &vals[0], ranges, nshards, shard_of, count);
	oj_shard_group_arrays(vals, narrays, shard_of, count, nshards, ngroups, groups, cxt);
	return ngroups;
}
