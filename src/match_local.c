/*-------------------------------------------------------------------------
 *
 * match_local.c
 *	  The matching rule's candidate lookups on the local layout (match.c
 *	  applies the rule): btree index scans kept open and rescanned per
 *	  event, transactions_pkey for a transaction ID and
 *	  sessions_customer_started_idx, read backwards, for a customer's
 *	  sessions newest first (index_scan.c runs them in a memory context that
 *	  outlives the rows).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "source.h"
#include "security.h"
#include "catalog.h"
#include "citus.h"
#include "index_scan.h"
#include "match.h"

typedef struct OjLocalLookups
{
	Relation	txn_rel;
	Relation	txn_idx;
	Relation	sess_rel;
	Relation	sess_idx;
	OjIndexScan *txn_scan;		/* kept open across events (index_scan.c) */
	OjIndexScan *sess_scan;
	Snapshot	snapshot;
	/* column numbers in transactions and sessions */
	AttrNumber	t_expires, t_visitor, t_session, t_snapshot;
	AttrNumber	s_visitor, s_session, s_attrs, s_started;
} OjLocalLookups;

/* A detoasted copy of a slot's column in CurrentMemoryContext, or 0 when NULL. */
static Datum
oj_slot_copy(TupleTableSlot *slot, AttrNumber att, bool *isnull)
{
	Datum		d = slot_getattr(slot, att, isnull);

	return *isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
}

/* Copies the match columns of a matched row into *out. */
static void
oj_fill_slot(OjMatch *out, TupleTableSlot *slot, AttrNumber visitor, AttrNumber session,
			 AttrNumber snapshot)
{
	out->visitor_id = oj_slot_copy(slot, visitor, &out->visitor_null);
	out->session_id = oj_slot_copy(slot, session, &out->session_null);
	out->snapshot = oj_slot_copy(slot, snapshot, &out->snapshot_null);
}

/* The transactions row of txn, if any, with its expires_at (not null). */
static bool
oj_local_txn(void *state, text *txn, TimestampTz *expires_at)
{
	OjLocalLookups *l = state;
	ScanKeyData key;
	bool		isnull;

	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   l->txn_idx->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(txn));
	if (!oj_index_scan_first(l->txn_scan, &key, 1, ForwardScanDirection))
		return false;
	*expires_at = DatumGetTimestampTz(slot_getattr(oj_index_scan_slot(l->txn_scan), l->t_expires, &isnull));
	return !isnull;
}

/* Copies the transactions row found last into *out. */
static void
oj_local_txn_fill(void *state, OjMatch *out)
{
	OjLocalLookups *l = state;

	oj_fill_slot(out, oj_index_scan_slot(l->txn_scan), l->t_visitor, l->t_session, l->t_snapshot);
}

/* The current session's started_at and session_id. */
static void
oj_local_session(OjLocalLookups *l, TimestampTz *started_at, text **session_id)
{
	TupleTableSlot *slot = oj_index_scan_slot(l->sess_scan);
	bool		isnull;

	*started_at = DatumGetTimestampTz(slot_getattr(slot, l->s_started, &isnull));
	*session_id = DatumGetTextPP(slot_getattr(slot, l->s_session, &isnull));
}

/*
 * The customer's latest session that started in [from, to]: backwards
 * through (customer_id, started_at).  Sessions that started at the same
 * instant come in no particular order; the rule compares their IDs.
 */
static bool
oj_local_sessions_first(void *state, text *customer, TimestampTz from, TimestampTz to,
						TimestampTz *started_at, text **session_id)
{
	OjLocalLookups *l = state;
	ScanKeyData keys[3];

	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   l->sess_idx->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(customer));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTGreaterEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_TIMESTAMPTZ_GE, TimestampTzGetDatum(from));
	ScanKeyEntryInitialize(&keys[2], 0, 2, BTLessEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(to));
	if (!oj_index_scan_first(l->sess_scan, keys, 3, BackwardScanDirection))
		return false;
	oj_local_session(l, started_at, session_id);
	return true;
}

/* The next older session (or one of the same started_at). */
static bool
oj_local_sessions_next(void *state, TimestampTz *started_at, text **session_id)
{
	OjLocalLookups *l = state;

	if (!oj_index_scan_next(l->sess_scan, BackwardScanDirection))
		return false;
	oj_local_session(l, started_at, session_id);
	return true;
}

/* Copies the session found last into *out. */
static void
oj_local_session_fill(void *state, OjMatch *out)
{
	OjLocalLookups *l = state;

	oj_fill_slot(out, oj_index_scan_slot(l->sess_scan), l->s_visitor, l->s_session, l->s_attrs);
}

/* Releases what oj_local_lookups_open() took (locks stay until transaction end). */
static void
oj_local_close(void *state)
{
	OjLocalLookups *l = state;

	oj_index_scan_end(l->txn_scan);
	oj_index_scan_end(l->sess_scan);
	index_close(l->txn_idx, NoLock);
	index_close(l->sess_idx, NoLock);
	table_close(l->txn_rel, NoLock);
	table_close(l->sess_rel, NoLock);
	UnregisterSnapshot(l->snapshot);
	pfree(l);
}

static const OjLookups oj_local_lookups = {
	.ordered = true,
	.txn = oj_local_txn,
	.txn_fill = oj_local_txn_fill,
	.sessions_first = oj_local_sessions_first,
	.sessions_next = oj_local_sessions_next,
	.session_fill = oj_local_session_fill,
	.close = oj_local_close,
};

/* Opens the online tables and their lookup indexes; *state is theirs. */
const OjLookups *
oj_local_lookups_open(void **state)
{
	OjLocalLookups *l = palloc0(sizeof(OjLocalLookups));

	l->snapshot = RegisterSnapshot(GetActiveSnapshot());
	l->txn_rel = oj_table_open("transactions", AccessShareLock);
	l->txn_idx = oj_index_open(l->txn_rel, "transactions_pkey", 1, (Oid[]) {TEXTOID});
	l->sess_rel = oj_table_open("sessions", AccessShareLock);
	l->sess_idx = oj_index_open(l->sess_rel, "sessions_customer_started_idx", 2,
								(Oid[]) {TEXTOID, TIMESTAMPTZOID});
	oj_check_table_privilege(l->txn_rel, ACL_SELECT);
	oj_check_table_privilege(l->sess_rel, ACL_SELECT);
	oj_check_no_rls(l->txn_rel);
	oj_check_no_rls(l->sess_rel);
	l->txn_scan = oj_index_scan_begin(l->txn_rel, l->txn_idx, l->snapshot, 1);
	l->sess_scan = oj_index_scan_begin(l->sess_rel, l->sess_idx, l->snapshot, 3);
	l->t_expires = oj_typed_column(l->txn_rel, "expires_at", TIMESTAMPTZOID);
	l->t_visitor = oj_typed_column(l->txn_rel, "visitor_id", TEXTOID);
	l->t_session = oj_typed_column(l->txn_rel, "session_id", TEXTOID);
	l->t_snapshot = oj_typed_column(l->txn_rel, "snapshot", JSONBOID);
	l->s_visitor = oj_typed_column(l->sess_rel, "visitor_id", TEXTOID);
	l->s_session = oj_typed_column(l->sess_rel, "session_id", TEXTOID);
	l->s_attrs = oj_typed_column(l->sess_rel, "attrs", JSONBOID);
	l->s_started = oj_typed_column(l->sess_rel, "started_at", TIMESTAMPTZOID);
	*state = l;
	return &oj_local_lookups;
}
