/*-------------------------------------------------------------------------
 *
 * bulk_insert.c
 *	  Buffered inserts the way COPY FROM does them: tuples collect in slots,
 *	  and every 1000 rows or 64 kB go to table_multi_insert() with a
 *	  BulkInsertState, then to the indexes.  Constraints are checked per row
 *	  as COPY checks them.  The direct path of a sink (sink.c), which takes
 *	  it only for tables it writes exactly as INSERT would.
 *
 *	  One thing COPY does not do: before the rows of a page range go to a
 *	  BRIN index, the range's summary is dropped if it has one
 *	  (oj_bulk_desummarize()), once per range.  A row inserted into a
 *	  summarized range merges its values into the summary, which for a
 *	  minmax-multi column means deserializing, sorting and rewriting it,
 *	  row by row; loads reach such ranges when they fill the free space an
 *	  unload() and a VACUUM left (doc/performance.md, "Loads into summarized
 *	  page ranges").  An unsummarized range is read
 *	  by every query of the index, never skipped, until VACUUM summarizes
 *	  it again with what it then holds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/brin.h"
#include "access/brin_revmap.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/memutils.h"
#include "catalog/pg_am.h"
#include "utils/rel.h"

#include "ingest.h"
#include "bulk_insert.h"
#include "pg_compat.h"

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
	int			nbrin;			/* the relation's BRIN indexes */
	Relation   *brin;
	BlockNumber *brin_range;	/* the range each one last desummarized */
	TupleTableSlot *slots[OJ_BULK_MAX_TUPLES];
};

/*
 * Drops the summary, if any, of each BRIN index's page range that holds
 * block blk, once per range in a row (a bulk insert fills pages in order).
 * A range under summarization (a concurrent VACUUM) keeps it: its rows then
 * go into the summary, as any insert's would.
 */
static void
oj_bulk_desummarize(OjBulk *b, BlockNumber blk)
{
	for (int i = 0; i < b->nbrin; i++)
	{
		BlockNumber range = blk - blk % BrinGetPagesPerRange(b->brin[i]);

		if (range == b->brin_range[i])
			continue;
		(void) brinRevmapDesummarizeRange(b->brin[i], range);
		b->brin_range[i] = range;
	}
}

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
	b->brin = palloc(sizeof(Relation) * Max(b->rri->ri_NumIndices, 1));
	b->brin_range = palloc(sizeof(BlockNumber) * Max(b->rri->ri_NumIndices, 1));
	for (int i = 0; i < b->rri->ri_NumIndices; i++)
		if (b->rri->ri_IndexRelationDescs[i]->rd_rel->relam == BRIN_AM_OID)
		{
			b->brin[b->nbrin] = b->rri->ri_IndexRelationDescs[i];
			b->brin_range[b->nbrin++] = InvalidBlockNumber;
		}
	b->bistate = GetBulkInsertState();
	b->cid = GetCurrentCommandId(true);
	b->check_constraints = b->rel->rd_att->constr != NULL;
	b->fire_triggers = fire_triggers && b->rri->ri_TrigDesc != NULL;
	if (b->fire_triggers)
		ExecBSInsertTriggers(b->estate, b->rri);
	MemoryContextSwitchTo(old);
	return b;
}

/* Writes the buffered rows: heap first, then each index. */
void
oj_bulk_flush(OjBulk *b)
{
	int			i;
	MemoryContext old;

	if (b->nused == 0)
		return;
	old = MemoryContextSwitchTo(GetPerTupleMemoryContext(b->estate));
	table_multi_insert(b->rel, b->slots, b->nused, b->cid, 0, b->bistate);
	for (i = 0; i < b->nused; i++)
	{
		if (b->nbrin > 0)
			oj_bulk_desummarize(b, ItemPointerGetBlockNumber(&b->slots[i]->tts_tid));
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
