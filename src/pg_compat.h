/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *	  Every difference between the PostgreSQL majors offline_join builds
 *	  against (15, 16, 17, 18), in one place, as Citus's pg_version_compat.h
 *	  keeps them: the code calls the oj_ names below, never an #if of its
 *	  own.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_PG_COMPAT_H
#define OJ_PG_COMPAT_H

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 190000
#error "offline_join supports PostgreSQL 15 to 18"
#endif

#include "access/genam.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "executor/executor.h"
#include "optimizer/pathnode.h"
#include "utils/backend_status.h"
#include "commands/vacuum.h"
#include "utils/regproc.h"

/* 16 added onlySummarizing to ExecInsertIndexTuples(). */
#if PG_VERSION_NUM >= 160000
#define oj_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, false)
#else
#define oj_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#endif

/*
 * 16: table_tuple_update() says which indexes the new version needs (none
 * for a HOT update; only the summarizing ones, such as BRIN, for a HOT
 * update that changed their columns); 15 says all or none.
 */
#if PG_VERSION_NUM >= 160000
typedef TU_UpdateIndexes OjUpdateIndexes;
#define oj_update_needs_indexes(u)		((u) != TU_None)
#define oj_update_only_summarizing(u)	((u) == TU_Summarizing)
#define oj_index_is_summarizing(ii)		((ii)->ii_Summarizing)
#else
typedef bool OjUpdateIndexes;
#define oj_update_needs_indexes(u)		(u)
#define oj_update_only_summarizing(u)	false
#define oj_index_is_summarizing(ii)		false
#endif

/* 16 renamed the local backend status lookup (still 1-based). */
#if PG_VERSION_NUM >= 160000
#define oj_local_backend_status(i)	pgstat_get_local_beentry_by_index(i)
#else
#define oj_local_backend_status(i)	pgstat_fetch_stat_local_beentry(i)
#endif

/* 16 added a soft-error context to stringToQualifiedNameList(). */
#if PG_VERSION_NUM >= 160000
#define oj_qualified_name_list(s)	stringToQualifiedNameList((s), NULL)
#else
#define oj_qualified_name_list(s)	stringToQualifiedNameList(s)
#endif

/* 17: getIdentitySequence() takes the relation, not its OID. */
#if PG_VERSION_NUM >= 170000
#define oj_identity_sequence(rel, att)	getIdentitySequence((rel), (att), false)
#else
#define oj_identity_sequence(rel, att)	getIdentitySequence(RelationGetRelid(rel), (att), false)
#endif

/*
 * A foreign scan path without join pushdown or outer path: 17 added
 * fdw_restrictinfo, 18 disabled_nodes.
 */
#if PG_VERSION_NUM >= 180000
#define oj_foreignscan_path(root, rel, rows, startup, total) \
	create_foreignscan_path((root), (rel), NULL, (rows), 0, (startup), (total), NIL, NULL, NULL, NIL, NIL)
#elif PG_VERSION_NUM >= 170000
#define oj_foreignscan_path(root, rel, rows, startup, total) \
	create_foreignscan_path((root), (rel), NULL, (rows), (startup), (total), NIL, NULL, NULL, NIL, NIL)
#else
#define oj_foreignscan_path(root, rel, rows, startup, total) \
	create_foreignscan_path((root), (rel), NULL, (rows), (startup), (total), NIL, NULL, NULL, NIL)
#endif

/* 18 added instrumentation to index_beginscan(). */
#if PG_VERSION_NUM >= 180000
#define oj_index_beginscan(heap, index, snapshot, nkeys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), 0)
#else
#define oj_index_beginscan(heap, index, snapshot, nkeys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), 0)
#endif

/* 18 moved ExplainState and the ExplainProperty functions to headers of their own. */
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#else
#include "commands/explain.h"
#endif

/* 18: vacuum_delay_point() says whether it is ANALYZE (ours always is). */
#if PG_VERSION_NUM >= 180000
#define oj_analyze_delay_point()	vacuum_delay_point(true)
#else
#define oj_analyze_delay_point()	vacuum_delay_point()
#endif

/*
 * A GUC check hook's "extra": 16 on, the GUC machinery frees it with
 * guc_free() from its own memory context, so it must come from guc_malloc();
 * 15 frees it with free().
 */
#if PG_VERSION_NUM >= 160000
#include "utils/guc.h"
#define oj_guc_malloc(size)		guc_malloc(LOG, (size))
#else
#define oj_guc_malloc(size)		malloc(size)
#endif

/* 17 moved the local transaction id into MyProc->vxid. */
#include "storage/proc.h"
#if PG_VERSION_NUM >= 170000
#define oj_my_local_xid()	(MyProc->vxid.lxid)
#else
#define oj_my_local_xid()	(MyProc->lxid)
#endif

/*
 * The table access method of inboxes (inbox_am.c): 16 renamed a relation's
 * storage a RelFileLocator (was RelFileNode) and the callback that makes it
 * relation_set_new_filelocator; 17 hands scan_analyze_next_block a read
 * stream instead of a block; 16 says which indexes an update needs
 * (OjUpdateIndexes above); 18 counts all-frozen pages in
 * vac_update_relstats().  18 dropped scan_bitmap_next_block, which the
 * inbox's method leaves out in every major (bitmap scans are optional).
 */
#include "catalog/storage.h"
#if PG_VERSION_NUM >= 160000
typedef RelFileLocator OjRelFileLocator;
#define OJ_TABLEAM_SET_NEW_STORAGE	relation_set_new_filelocator
#else
typedef RelFileNode OjRelFileLocator;
#define OJ_TABLEAM_SET_NEW_STORAGE	relation_set_new_filenode
#endif
#if PG_VERSION_NUM >= 170000
#define OJ_ANALYZE_NEXT_BLOCK_ARGS	TableScanDesc scan, ReadStream *stream
#else
#define OJ_ANALYZE_NEXT_BLOCK_ARGS	TableScanDesc scan, BlockNumber blockno, BufferAccessStrategy bstrategy
#endif

#if PG_VERSION_NUM >= 180000
#define oj_vac_update_relstats_empty(rel, xid, mxid, xid_upd, mxid_upd) \
	vac_update_relstats((rel), 0, 0, 0, 0, false, (xid), (mxid), (xid_upd), (mxid_upd), false)
#else
#define oj_vac_update_relstats_empty(rel, xid, mxid, xid_upd, mxid_upd) \
	vac_update_relstats((rel), 0, 0, 0, false, (xid), (mxid), (xid_upd), (mxid_upd), false)
#endif

/*
 * This backend's index among MaxBackends, from 0: 17 numbers backends from
 * 0 (MyProcNumber), 15 and 16 from 1 (MyBackendId).
 */
#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#define oj_my_backend_index()	((int) MyProcNumber)
#else
#include "storage/backendid.h"
#define oj_my_backend_index()	((int) MyBackendId - 1)
#endif

#endif							/* OJ_PG_COMPAT_H */
