/*-------------------------------------------------------------------------
 *
 * inbox_am.c
 *	  offline_join_inbox, the table access method of inboxes: a table of
 *	  it keeps no row (as Michael Paquier's blackhole_am).  The inbox's
 *	  BEFORE ROW trigger (inbox.c) routes each row into events or rejects
 *	  and returns it when it was loaded into events, NULL otherwise; the
 *	  executor then "inserts" exactly the loaded rows here, and COPY and
 *	  INSERT report how many they were (COPY 3), as they would for a table
 *	  that kept them.  RETURNING shows them.
 *
 *	  A row reaches tuple_insert only when the inbox_route trigger has just
 *	  accepted it for this relation: any other row (the trigger disabled, a
 *	  table made USING offline_join_inbox by hand, an ALTER TABLE rewriting
 *	  a table that holds rows into this method) is refused, never silently
 *	  dropped.
 *
 *	  The relation has storage, always empty (created as heap creates it),
 *	  so that the code that reads a table's files (ANALYZE's block count,
 *	  pg_relation_size(), base backups) finds one.  Scans return nothing,
 *	  sizes are 0, VACUUM moves the table's freeze horizon forward (it
 *	  holds no transaction ID), and an index cannot be built.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "storage/smgr.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "pg_compat.h"
#include "inbox_am.h"

PG_FUNCTION_INFO_V1(oj_inbox_am_handler);

static const TableAmRoutine oj_inbox_am_methods;

/* The inbox whose row inbox_route has just accepted, until it is "inserted". */
static Oid	oj_inbox_am_expected = InvalidOid;
static bool oj_inbox_am_callback = false;

/* Forgets an accepted row at the end of its transaction. */
static void
oj_inbox_am_xact_cb(XactEvent event, void *arg)
{
	oj_inbox_am_expected = InvalidOid;
}

/* ERROR for an operation on rows of an inbox, which keeps none. */
static void
oj_inbox_am_no_rows(Relation rel, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("table \"%s\" keeps no rows: %s is not supported", RelationGetRelationName(rel), what),
			 errdetail("It uses access method offline_join_inbox, whose rows offline_join routes into its own tables.")));
}

/* Is rel of the access method that keeps nothing? */
bool
oj_inbox_am_keeps_nothing(Relation rel)
{
	return rel->rd_tableam == &oj_inbox_am_methods;
}

/*
 * The row trigger's result: the row when it was accepted (loaded into
 * events) and the inbox keeps nothing, for the executor to count it; else
 * NULL (an inbox still of the heap method counts nothing, as before 0.2.1).
 */
Datum
oj_inbox_am_row_result(Relation rel, HeapTuple row, bool accepted)
{
	if (!accepted || !oj_inbox_am_keeps_nothing(rel))
		return PointerGetDatum(NULL);
	if (!oj_inbox_am_callback)
	{
		RegisterXactCallback(oj_inbox_am_xact_cb, NULL);
		oj_inbox_am_callback = true;
	}
	oj_inbox_am_expected = RelationGetRelid(rel);
	return PointerGetDatum(row);
}

/* "Inserts" a row: checks that inbox_route accepted it, and drops it. */
static void
oj_inbox_am_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
						 struct BulkInsertStateData *bistate)
{
	if (oj_inbox_am_expected != RelationGetRelid(rel))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" keeps no rows, and this row did not pass its inbox_route trigger",
						RelationGetRelationName(rel)),
				 errdetail("Access method offline_join_inbox is for inboxes made by offline_join.create_inbox(): their trigger loads each row into offline_join.events."),
				 errhint("Enable the inbox's triggers, or use another access method for a table that keeps its rows.")));
	oj_inbox_am_expected = InvalidOid;
	slot->tts_tableOid = RelationGetRelid(rel);
	ItemPointerSet(&slot->tts_tid, 0, FirstOffsetNumber);
}

/* A bulk insert (COPY without row triggers, never an inbox's): refused as its first row. */
static void
oj_inbox_am_multi_insert(Relation rel, TupleTableSlot **slots, int nslots, CommandId cid,
						 int options, struct BulkInsertStateData *bistate)
{
	for (int i = 0; i < nslots; i++)
		oj_inbox_am_tuple_insert(rel, slots[i], cid, options, bistate);
}

/* INSERT ... ON CONFLICT needs an arbiter index, which an inbox cannot have. */
static void
oj_inbox_am_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
							   struct BulkInsertStateData *bistate, uint32 specToken)
{
	oj_inbox_am_no_rows(rel, "INSERT ... ON CONFLICT");
}

/* The end of a speculative insertion (never begun). */
static void
oj_inbox_am_complete_speculative(Relation rel, TupleTableSlot *slot, uint32 specToken, bool succeeded)
{
}

/* The slots of an inbox hold the heap tuples the trigger hands on. */
static const TupleTableSlotOps *
oj_inbox_am_slot_callbacks(Relation rel)
{
	return &TTSOpsHeapTuple;
}

/* Starts a scan, which will return nothing. */
static TableScanDesc
oj_inbox_am_scan_begin(Relation rel, Snapshot snapshot, int nkeys, struct ScanKeyData *key,
					   ParallelTableScanDesc pscan, uint32 flags)
{
	TableScanDesc scan = palloc0(sizeof(TableScanDescData));

	scan->rs_rd = rel;
	scan->rs_snapshot = snapshot;
	scan->rs_nkeys = nkeys;
	scan->rs_key = key;
	scan->rs_flags = flags;
	scan->rs_parallel = pscan;
	return scan;
}

/* Ends a scan. */
static void
oj_inbox_am_scan_end(TableScanDesc scan)
{
	if (scan->rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(scan->rs_snapshot);
	pfree(scan);
}

/* Restarts a scan. */
static void
oj_inbox_am_scan_rescan(TableScanDesc scan, struct ScanKeyData *key, bool set_params,
						bool allow_strat, bool allow_sync, bool allow_pagemode)
{
}

/* The next row of a scan: none. */
static bool
oj_inbox_am_scan_getnextslot(TableScanDesc scan, ScanDirection direction, TupleTableSlot *slot)
{
	ExecClearTuple(slot);
	return false;
}

/* Starts the fetches of an index scan (an inbox has no index). */
static struct IndexFetchTableData *
oj_inbox_am_index_fetch_begin(Relation rel)
{
	IndexFetchTableData *scan = palloc0(sizeof(IndexFetchTableData));

	scan->rel = rel;
	return scan;
}

/* Resets the fetches of an index scan. */
static void
oj_inbox_am_index_fetch_reset(IndexFetchTableData *scan)
{
}

/* Ends the fetches of an index scan. */
static void
oj_inbox_am_index_fetch_end(IndexFetchTableData *scan)
{
	pfree(scan);
}

/* The row an index points to: none. */
static bool
oj_inbox_am_index_fetch_tuple(struct IndexFetchTableData *scan, ItemPointer tid, Snapshot snapshot,
							  TupleTableSlot *slot, bool *call_again, bool *all_dead)
{
	*call_again = false;
	if (all_dead)
		*all_dead = true;
	return false;
}

/*
 * The row at tid, as an AFTER ROW trigger or a foreign key's check reads
 * the row just inserted: refused, the row is not kept.
 */
static bool
oj_inbox_am_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot)
{
	oj_inbox_am_no_rows(rel, "reading back an inserted row (an AFTER ROW trigger, a foreign key)");
	return false;
}

/* Is tid one of the table's rows?  Never (a WHERE ctid = ... finds nothing). */
static bool
oj_inbox_am_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	return false;
}

/* The latest version of a row (there is none to follow). */
static void
oj_inbox_am_get_latest_tid(TableScanDesc scan, ItemPointer tid)
{
}

/* Does a row satisfy a snapshot?  No row is ever there. */
static bool
oj_inbox_am_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot)
{
	return false;
}

/* Index entries to delete (an inbox has no index). */
static TransactionId
oj_inbox_am_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	return InvalidTransactionId;
}

/* DELETE finds no row to delete; reaching here cannot happen. */
static TM_Result
oj_inbox_am_tuple_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot,
						 Snapshot crosscheck, bool wait, TM_FailureData *tmfd, bool changingPart)
{
	oj_inbox_am_no_rows(rel, "DELETE of a row");
	return TM_Ok;
}

/* UPDATE finds no row to update; reaching here cannot happen. */
static TM_Result
oj_inbox_am_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot, CommandId cid,
						 Snapshot snapshot, Snapshot crosscheck, bool wait, TM_FailureData *tmfd,
						 LockTupleMode *lockmode, OjUpdateIndexes *update_indexes)
{
	oj_inbox_am_no_rows(rel, "UPDATE of a row");
	return TM_Ok;
}

/* SELECT ... FOR UPDATE finds no row to lock; reaching here cannot happen. */
static TM_Result
oj_inbox_am_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot,
					   CommandId cid, LockTupleMode mode, LockWaitPolicy wait_policy, uint8 flags,
					   TM_FailureData *tmfd)
{
	oj_inbox_am_no_rows(rel, "locking a row");
	return TM_Ok;
}

/*
 * New, empty storage for the table (CREATE TABLE, TRUNCATE, a rewrite),
 * with no transaction ID in it to freeze.
 */
static void
oj_inbox_am_set_new_storage(Relation rel, const OjRelFileLocator *locator, char persistence,
							TransactionId *freezeXid, MultiXactId *minmulti)
{
	SMgrRelation srel;

	*freezeXid = InvalidTransactionId;
	*minmulti = InvalidMultiXactId;
	srel = RelationCreateStorage(*locator, persistence, true);
	smgrclose(srel);
}

/* TRUNCATE in the table's own transaction: its storage is empty already. */
static void
oj_inbox_am_nontransactional_truncate(Relation rel)
{
}

/* ALTER TABLE ... SET TABLESPACE: new empty storage there, the old one dropped. */
static void
oj_inbox_am_copy_data(Relation rel, const OjRelFileLocator *locator)
{
	SMgrRelation dst = RelationCreateStorage(*locator, rel->rd_rel->relpersistence, true);

	smgrclose(dst);
	RelationDropStorage(rel);
}

/* VACUUM FULL, CLUSTER: nothing to copy, and no transaction ID to freeze. */
static void
oj_inbox_am_copy_for_cluster(Relation OldTable, Relation NewTable, Relation OldIndex, bool use_sort,
							 TransactionId OldestXmin, TransactionId *xid_cutoff,
							 MultiXactId *multi_cutoff, double *num_tuples, double *tups_vacuumed,
							 double *tups_recently_dead)
{
	*xid_cutoff = InvalidTransactionId;
	*multi_cutoff = InvalidMultiXactId;
	*num_tuples = 0;
	*tups_vacuumed = 0;
	*tups_recently_dead = 0;
}

/*
 * VACUUM: the table holds no transaction ID, so its freeze horizon moves
 * to now.  (An ALTER TABLE that rewrites it sets one; left there, it would
 * age until anti-wraparound autovacuum chose the table at every turn.)
 */
static void
oj_inbox_am_vacuum(Relation rel, struct VacuumParams *params, BufferAccessStrategy bstrategy)
{
	bool		xid_updated,
				mxid_updated;

	oj_vac_update_relstats_empty(rel, ReadNextTransactionId(), ReadNextMultiXactId(),
								 &xid_updated, &mxid_updated);
}

/* ANALYZE: no block to sample (the storage has none). */
static bool
oj_inbox_am_analyze_next_block(OJ_ANALYZE_NEXT_BLOCK_ARGS)
{
	return false;
}

/* ANALYZE: no row on a block. */
static bool
oj_inbox_am_analyze_next_tuple(TableScanDesc scan, TransactionId OldestXmin, double *liverows,
							   double *deadrows, TupleTableSlot *slot)
{
	return false;
}

/* CREATE INDEX: refused, an index of rows that are not kept would point nowhere. */
static double
oj_inbox_am_index_build_range_scan(Relation table_rel, Relation index_rel, struct IndexInfo *index_info,
								   bool allow_sync, bool anyvisible, bool progress,
								   BlockNumber start_blockno, BlockNumber numblocks,
								   IndexBuildCallback callback, void *callback_state,
								   TableScanDesc scan)
{
	oj_inbox_am_no_rows(table_rel, "an index");
	return 0;
}

/* CREATE INDEX CONCURRENTLY's second pass (never reached: the build refuses). */
static void
oj_inbox_am_index_validate_scan(Relation table_rel, Relation index_rel, struct IndexInfo *index_info,
								Snapshot snapshot, struct ValidateIndexState *state)
{
	oj_inbox_am_no_rows(table_rel, "an index");
}

/* The size of a fork: 0. */
static uint64
oj_inbox_am_relation_size(Relation rel, ForkNumber forkNumber)
{
	return 0;
}

/* No TOAST table: no value is kept. */
static bool
oj_inbox_am_needs_toast_table(Relation rel)
{
	return false;
}

/* The access method of a TOAST table (none is made). */
static Oid
oj_inbox_am_toast_am(Relation rel)
{
	return InvalidOid;
}

/* The planner's estimate: no page, no row. */
static void
oj_inbox_am_estimate_size(Relation rel, int32 *attr_widths, BlockNumber *pages, double *tuples,
						  double *allvisfrac)
{
	*pages = 0;
	*tuples = 0;
	*allvisfrac = 0;
}

/* TABLESAMPLE: no block. */
static bool
oj_inbox_am_sample_next_block(TableScanDesc scan, struct SampleScanState *scanstate)
{
	return false;
}

/* TABLESAMPLE: no row. */
static bool
oj_inbox_am_sample_next_tuple(TableScanDesc scan, struct SampleScanState *scanstate, TupleTableSlot *slot)
{
	return false;
}

static const TableAmRoutine oj_inbox_am_methods = {
	.type = T_TableAmRoutine,

	.slot_callbacks = oj_inbox_am_slot_callbacks,
	.scan_begin = oj_inbox_am_scan_begin,
	.scan_end = oj_inbox_am_scan_end,
	.scan_rescan = oj_inbox_am_scan_rescan,
	.scan_getnextslot = oj_inbox_am_scan_getnextslot,

	.parallelscan_estimate = table_block_parallelscan_estimate,
	.parallelscan_initialize = table_block_parallelscan_initialize,
	.parallelscan_reinitialize = table_block_parallelscan_reinitialize,

	.index_fetch_begin = oj_inbox_am_index_fetch_begin,
	.index_fetch_reset = oj_inbox_am_index_fetch_reset,
	.index_fetch_end = oj_inbox_am_index_fetch_end,
	.index_fetch_tuple = oj_inbox_am_index_fetch_tuple,

	.tuple_fetch_row_version = oj_inbox_am_fetch_row_version,
	.tuple_tid_valid = oj_inbox_am_tid_valid,
	.tuple_get_latest_tid = oj_inbox_am_get_latest_tid,
	.tuple_satisfies_snapshot = oj_inbox_am_satisfies_snapshot,
	.index_delete_tuples = oj_inbox_am_index_delete_tuples,

	.tuple_insert = oj_inbox_am_tuple_insert,
	.tuple_insert_speculative = oj_inbox_am_insert_speculative,
	.tuple_complete_speculative = oj_inbox_am_complete_speculative,
	.multi_insert = oj_inbox_am_multi_insert,
	.tuple_delete = oj_inbox_am_tuple_delete,
	.tuple_update = oj_inbox_am_tuple_update,
	.tuple_lock = oj_inbox_am_tuple_lock,

	.OJ_TABLEAM_SET_NEW_STORAGE = oj_inbox_am_set_new_storage,
	.relation_nontransactional_truncate = oj_inbox_am_nontransactional_truncate,
	.relation_copy_data = oj_inbox_am_copy_data,
	.relation_copy_for_cluster = oj_inbox_am_copy_for_cluster,
	.relation_vacuum = oj_inbox_am_vacuum,
	.scan_analyze_next_block = oj_inbox_am_analyze_next_block,
	.scan_analyze_next_tuple = oj_inbox_am_analyze_next_tuple,
	.index_build_range_scan = oj_inbox_am_index_build_range_scan,
	.index_validate_scan = oj_inbox_am_index_validate_scan,

	.relation_size = oj_inbox_am_relation_size,
	.relation_needs_toast_table = oj_inbox_am_needs_toast_table,
	.relation_toast_am = oj_inbox_am_toast_am,

	.relation_estimate_size = oj_inbox_am_estimate_size,

	.scan_sample_next_block = oj_inbox_am_sample_next_block,
	.scan_sample_next_tuple = oj_inbox_am_sample_next_tuple,
};

/* inbox_am_handler(internal) RETURNS table_am_handler: offline_join_inbox's methods. */
Datum
oj_inbox_am_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&oj_inbox_am_methods);
}
