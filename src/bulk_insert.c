/*-------------------------------------------------------------------------
 *
 * bulk_insert.c
 *	  Buffered inserts the way COPY FROM does them: tuples collect in slots,
 *	  and every 1000 rows or 64 kB go to table_multi_insert() with a
 *	  BulkInsertState, then to the indexes.  Constraints are checked per row
 *	  as COPY checks them.  The direct path of a sink (sink.c), which takes
 *	  it only for tables it writes exactly as INSERT would.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ingest.h"
#include "bulk_insert.h"
#include "pg_compat.h"
#include "security.h"

#define OJ_BULK_MAX_TUPLES	1000
#define OJ_BULK_MAX_BYTES	65535

struct OjBulk
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	CommandId	cid;
	MemoryContext cxt;
	bool		check_constraints;
	bool		fire_triggers;	/* AFTER ROW and statement INSERT triggers, as COPY fires them */
	int			nused;
	size_t		bytes;
	TupleTableSlot *slots[OJ_BULK_MAX_TUPLES];
};

/*
 * Buffered inserts into rel, which the caller opened, checked and keeps
 * open.  With fire_triggers, the table's AFTER ROW and statement INSERT
 * triggers fire as COPY FROM fires them (the caller allows no other kind):
 * BEFORE STATEMENT now, AFTER ROW queued per row, AFTER STATEMENT queued at
 * the end; the queued ones run when the caller's trigger query level ends
 * (oj_ingest_end()).
 */
OjBulk *
oj_bulk_open(Relation rel, bool fire_triggers)
{
	OjBulk	   *b = palloc0(sizeof(OjBulk));
	MemoryContext old;

	b->cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join bulk insert",
								   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(b->cxt);
	b->rel = rel;
	b->estate = CreateExecutorState();
	b->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(b->rri, b->rel, 0, NULL, 0);
	ExecOpenIndices(b->rri, false);
	b->bistate = GetBulkInsertState();
	b->cid = GetCurrentCommandId(true);
	b->check_constraints = b->rel->rd_att->constr != NULL;
	b->fire_triggers = fire_triggers && b->rri->ri_TrigDesc != NULL;
	if (b->fire_triggers)
		ExecBSInsertTriggers(b->estate, b->rri);
	MemoryContextSwitchTo(old);
	return b;
}

/*
 * Writes the buffered rows: heap first, then each index.  Under the
 * extension's search_path (oj_pin_search_path()): an index's expressions,
 * predicate and operator class run here, and the inbox's row trigger,
 * which flushes every thousand rows, does not pin it for every row.
 */
void
oj_bulk_flush(OjBulk *b)
{
	int			i;
	int			pinned;
	MemoryContext old;

	if (b->nused == 0)
		return;
	pinned = oj_pin_search_path();
	old = MemoryContextSwitchTo(GetPerTupleMemoryContext(b->estate));
	table_multi_insert(b->rel, b->slots, b->nused, b->cid, 0, b->bistate);
	for (i = 0; i < b->nused; i++)
	{
		if (b->rri->ri_NumIndices > 0)
			list_free(oj_insert_index_tuples(b->rri, b->slots[i], b->estate));
		if (b->fire_triggers)
			ExecARInsertTriggers(b->estate, b->rri, b->slots[i], NIL, NULL);
		ExecClearTuple(b->slots[i]);
	}
	MemoryContextSwitchTo(old);
	ResetPerTupleExprContext(b->estate);
	b->nused = 0;
	b->bytes = 0;
	oj_unpin_search_path(pinned);
}

/* Adds one row (values in the relation's column order); flushes when full. */
void
oj_bulk_add(OjBulk *b, Datum *values, bool *nulls)
{
	TupleTableSlot *slot;
	MemoryContext old;

	if (b->slots[b->nused] == NULL)
	{
		old = MemoryContextSwitchTo(b->cxt);
		b->slots[b->nused] = table_slot_create(b->rel, NULL);
		MemoryContextSwitchTo(old);
	}
	slot = b->slots[b->nused];
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * slot->tts_tupleDescriptor->natts);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	ExecStoreVirtualTuple(slot);
	if (b->check_constraints)
		ExecConstraints(b->rri, slot, b->estate);
	ExecMaterializeSlot(slot);	/* the caller's row memory is reset next row */
	b->nused++;
	b->bytes += ((HeapTupleTableSlot *) slot)->tuple ? ((HeapTupleTableSlot *) slot)->tuple->t_len : 0;
	if (b->nused == OJ_BULK_MAX_TUPLES || b->bytes >= OJ_BULK_MAX_BYTES)
		oj_bulk_flush(b);
}

/* Flushes and releases everything (the lock stays until transaction end). */
void
oj_bulk_close(OjBulk *b)
{
	int			i;

	oj_bulk_flush(b);
	if (b->fire_triggers)
		ExecASInsertTriggers(b->estate, b->rri, NULL);
	for (i = 0; i < OJ_BULK_MAX_TUPLES && b->slots[i] != NULL; i++)
		ExecDropSingleTupleTableSlot(b->slots[i]);
	FreeBulkInsertState(b->bistate);
	ExecCloseIndices(b->rri);
	FreeExecutorState(b->estate);
	MemoryContextDelete(b->cxt);
}
