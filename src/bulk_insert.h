/*-------------------------------------------------------------------------
 *
 * bulk_insert.h
 *	  Buffered inserts the way COPY FROM does them: a sink's direct path
 *	  (bulk_insert.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_BULK_INSERT_H
#define OJ_BULK_INSERT_H

#include "utils/relcache.h"

typedef struct OjBulk OjBulk;

extern OjBulk *oj_bulk_open(Relation rel, bool fire_triggers);
extern void oj_bulk_add(OjBulk *b, Datum *values, bool *nulls);
extern void oj_bulk_flush(OjBulk *b);
extern void oj_bulk_close(OjBulk *b);

#endif							/* OJ_BULK_INSERT_H */
