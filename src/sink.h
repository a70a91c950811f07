/*-------------------------------------------------------------------------
 *
 * sink.h
 *	  Where writers put rows: directly (bulk_insert.c), or through one
 *	  executor statement that reads them back from offline_join.sink_rows()
 *	  (sink.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_SINK_H
#define OJ_SINK_H

#include "access/tupdesc.h"
#include "nodes/nodes.h"
#include "utils/relcache.h"

struct Tuplestorestate;

typedef struct OjSink OjSink;

extern OjSink *oj_sink_open(const char *table, const char *writer, bool apply_rls,
							bool own_statement, int ncols, const char *const *names,
							const Oid *types);
extern void oj_sink_put(OjSink *s, const Datum *values, const bool *nulls);
extern const char *oj_sink_executor_reason(OjSink *s);
extern void oj_sink_close(OjSink *s);

/* checks shared with rematch()'s writers */
extern char *oj_not_plain_heap(Relation rel);
extern void oj_refuse_rules(Relation rel, CmdType event, const char *writer);
extern void oj_require_sink_rows(const char *table, const char *why);

/* one statement over the rows of a tuplestore */
extern int64 oj_rows_execute(const char *sql, struct Tuplestorestate *store, TupleDesc desc);
extern char *oj_rows_source(TupleDesc desc);

#endif							/* OJ_SINK_H */
