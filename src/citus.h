/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  offline_join on a Citus cluster, behind one interface: the layout of
 *	  the extension's tables (citus_layout.c), Citus's shards of them
 *	  (citus_shards.c), and the distributed forms of matching
 *	  (citus_match.c) and rematch() (citus_rematch.c).  Include after
 *	  postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_CITUS_H
#define OJ_CITUS_H

#include "nodes/pg_list.h"
#include "storage/lockdefs.h"
#include "utils/palloc.h"
#include "utils/relcache.h"

/* in citus_layout.c: which layout the tables have */
typedef enum OjTables
{
	OJ_TABLES_LOCAL,			/* no table of the schema known to Citus */
	OJ_TABLES_CITUS,			/* offline_join.distribute()'s layout */
	OJ_TABLES_OTHER				/* anything else: refused */
} OjTables;

extern OjTables oj_tables(const char *what);
extern OjTables oj_tables_writer(const char *what);
extern void oj_citus_check_nodes(const char *what, const char *hint);
extern OjTables oj_tables_quiet(void);
extern Oid	oj_citus_table(Oid only, const char **kind);
extern void oj_refuse_citus_tables(const char *what);
extern void oj_refuse_citus_table(Relation rel, const char *what);
extern Relation oj_table_open(const char *name, LOCKMODE lockmode);
extern Relation oj_table_open_writer(const char *table, LOCKMODE lockmode, const char *what,
									 const char **citus_kind);
extern AttrNumber oj_partkey_attno(const char *partkey);

/* in citus_shards.c: the shards */
extern bool oj_is_table_or_shard(Relation rel, const char *table);
extern List *oj_citus_local_shards(const char *table);
extern Oid	oj_citus_local_placement(const char *table);
extern List *oj_table_parts(const char *table, MemoryContext cxt);
extern uint64 oj_citus_shard_groups(Oid table, int narrays, const Datum *arrays, Datum **groups,
									 MemoryContext cxt);

/* in citus_match.c: the matching rule's candidate lookups (match.h) */
struct OjLookups;
extern const struct OjLookups *oj_citus_lookups_open(void **state);

/* in citus_rematch.c */
extern int64 oj_citus_rematch(bool all, int64 load_id);

#endif							/* OJ_CITUS_H */
