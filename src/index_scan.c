/*-------------------------------------------------------------------------
 *
 * index_scan.c
 *	  Index scans kept open across rows: the matcher's lookups, the product
 *	  feed's, rematch()'s walk over the unmatched events.  Every call into
 *	  the index AM runs in the scan's own memory context, which lives as
 *	  long as the scan: the AM keeps state between calls that it allocates
 *	  in whatever context is current (btree's list of dead items to mark is
 *	  allocated on first need and freed at endscan), so a caller's per-row
 *	  context, reset before the scan ends, must never be current then.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "source.h"
#include "index_scan.h"
#include "pg_compat.h"

struct OjIndexScan
{
	IndexScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext cxt;			/* the scan, its slot and whatever the AM keeps */
};

/*
 * Begins a scan of index over heap with nkeys keys, in a memory context of
 * its own below the current one.
 */
OjIndexScan *
oj_index_scan_begin(Relation heap, Relation index, Snapshot snapshot, int nkeys)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join index scan",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	OjIndexScan *s = palloc0(sizeof(OjIndexScan));

	s->cxt = cxt;
	s->slot = table_slot_create(heap, NULL);
	s->scan = oj_index_beginscan(heap, index, snapshot, nkeys);
	MemoryContextSwitchTo(old);
	return s;
}

/* Restarts the scan with keys; the first row in dir, or false. */
bool
oj_index_scan_first(OjIndexScan *s, ScanKey keys, int nkeys, ScanDirection dir)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);
	bool		found;

	index_rescan(s->scan, keys, nkeys, NULL, 0);
	found = index_getnext_slot(s->scan, dir, s->slot);
	MemoryContextSwitchTo(old);
	return found;
}

/* The next row in dir, or false. */
bool
oj_index_scan_next(OjIndexScan *s, ScanDirection dir)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);
	bool		found = index_getnext_slot(s->scan, dir, s->slot);

	MemoryContextSwitchTo(old);
	return found;
}

/* The slot holding the scan's current row. */
TupleTableSlot *
oj_index_scan_slot(OjIndexScan *s)
{
	return s->slot;
}

/* Ends the scan and frees everything it had. */
void
oj_index_scan_end(OjIndexScan *s)
{
	MemoryContext cxt = s->cxt;
	MemoryContext old = MemoryContextSwitchTo(cxt);

	index_endscan(s->scan);
	ExecDropSingleTupleTableSlot(s->slot);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
