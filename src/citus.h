/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  offline_join on a Citus cluster: the layout of the extension's tables
 *	  (local, or offline_join.distribute()'s) and Citus's shards.
 *	  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_CITUS_H
#define OJ_CITUS_H

#include "nodes/pg_list.h"
#include "utils/palloc.h"
#include "utils/relcache.h"

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

/* in citus_match.c: the matching rule's candidate lookups (match.h) */
struct OjLookups;
extern const struct OjLookups *oj_citus_lookups_open(void **state);

#endif							/* OJ_CITUS_H */
