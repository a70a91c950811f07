/*-------------------------------------------------------------------------
 *
 * backend.h
 *	  The helpers every backend file shares: sources (source.c), the
 *	  extension's own catalog objects and internal subtransactions
 *	  (catalog.c), index scans kept open across rows (index_scan.c), the
 *	  local and the Citus layout (citus.c).  The trust boundary, parameters,
 *	  server files, the ledger, the expiry worker and the online side have
 *	  headers of their own (security.h, guc.h, files.h, ledger.h, expiry.h,
 *	  online.h).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_BACKEND_H
#define OJ_BACKEND_H

#include "core.h"
#include "format.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"
#include "nodes/pg_list.h"
#include "nodes/parsenodes.h"
#include "utils/snapshot.h"
#include "access/tupdesc.h"
#include "access/sdir.h"
#include "access/skey.h"

#define OJ_SCHEMA "offline_join"

/* An offline source with its options checked (source.c). */
typedef struct OjSource
{
	char	   *name;
	const OjFormat *format;		/* its descriptor, configured by its options */
	int			encoding;		/* the files' encoding (format option), or -1: the database's */
	char	   *timezone;
	struct pg_tz *tz;
	int64		reject_limit;	/* -1: no limit */
	Interval	lookback;
	bool		require_known_product;
	bool		has_tolerance;
	struct NumericData *total_tolerance;
} OjSource;

/* in source.c */
extern void oj_source_parse(const char *name, const char *format, Jsonb *options,
							OjSource *src);
extern OjSource *oj_source_get(const char *name);

/* in index_scan.c: index scans kept open across rows */
typedef struct OjIndexScan OjIndexScan;
extern OjIndexScan *oj_index_scan_begin(Relation heap, Relation index, Snapshot snapshot, int nkeys);
extern bool oj_index_scan_first(OjIndexScan *s, ScanKey keys, int nkeys, ScanDirection dir);
extern bool oj_index_scan_next(OjIndexScan *s, ScanDirection dir);
extern struct TupleTableSlot *oj_index_scan_slot(OjIndexScan *s);
extern void oj_index_scan_end(OjIndexScan *s);

struct Tuplestorestate;

/* in catalog.c: the extension's own objects, checked; internal subtransactions */
extern Oid	oj_relation_oid(const char *name);
extern Relation oj_table_open(const char *name, LOCKMODE lockmode);
extern AttrNumber oj_column(Relation rel, const char *name);
extern AttrNumber oj_typed_column(Relation rel, const char *name, Oid typid);
extern Relation oj_index_open(Relation heap, const char *name, int nkeys, const Oid *types);
extern bool oj_subxact_run(bool (*body) (void *arg), void *arg, ErrorData **caught);

/* in citus.c: the local and the Citus layout */
typedef enum OjTables
{
	OJ_TABLES_LOCAL,			/* no table of the schema known to Citus */
	OJ_TABLES_CITUS,			/* offline_join.distribute()'s layout */
	OJ_TABLES_OTHER				/* anything else: refused */
} OjTables;
extern OjTables oj_tables(const char *what);
extern OjTables oj_tables_writer(const char *what);
extern OjTables oj_tables_quiet(void);
extern Oid	oj_citus_table(Oid only, const char **kind);
extern bool oj_is_table_or_shard(Relation rel, const char *table);
extern List *oj_citus_local_shards(const char *table);
extern Oid	oj_citus_local_placement(const char *table);
extern uint64 oj_citus_shard_groups(Oid table, int narrays, const Datum *arrays, Datum **groups,
									 MemoryContext cxt);
extern void oj_refuse_citus_tables(const char *what);
extern void oj_refuse_citus_table(Relation rel, const char *what);

#endif							/* OJ_BACKEND_H */
