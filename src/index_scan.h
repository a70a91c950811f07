/*-------------------------------------------------------------------------
 *
 * index_scan.h
 *	  Index scans kept open across rows, each in a memory context that
 *	  outlives the rows (index_scan.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_INDEX_SCAN_H
#define OJ_INDEX_SCAN_H

#include "access/sdir.h"
#include "access/skey.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

struct TupleTableSlot;

typedef struct OjIndexScan OjIndexScan;

extern OjIndexScan *oj_index_scan_begin(Relation heap, Relation index, Snapshot snapshot, int nkeys);
extern bool oj_index_scan_first(OjIndexScan *s, ScanKey keys, int nkeys, ScanDirection dir);
extern bool oj_index_scan_next(OjIndexScan *s, ScanDirection dir);
extern struct TupleTableSlot *oj_index_scan_slot(OjIndexScan *s);
extern void oj_index_scan_end(OjIndexScan *s);

#endif							/* OJ_INDEX_SCAN_H */
