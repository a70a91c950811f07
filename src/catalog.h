/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  The extension's own objects, found by name in schema offline_join and
 *	  checked to be what it created before any Datum of them is read
 *	  (catalog.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_CATALOG_H
#define OJ_CATALOG_H

#include "storage/lockdefs.h"
#include "utils/relcache.h"

extern Oid	oj_relation_oid(const char *name);
extern AttrNumber oj_column(Relation rel, const char *name);
extern AttrNumber oj_typed_column(Relation rel, const char *name, Oid typid);
extern Relation oj_index_open(Relation heap, const char *name, int nkeys, const Oid *types);

#endif							/* OJ_CATALOG_H */
