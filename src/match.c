/*-------------------------------------------------------------------------
 *
 * match.c
 *	  The matching rule of spec section 5, in one place: load(), the inbox,
 *	  rematch() (rematch.c) and attribute() all call oj_match(), so they
 *	  cannot drift.
 *
 *	  An event with a transaction ID matches the transactions row with that
 *	  ID when event_time <= expires_at.  Otherwise an event with a customer ID
 *	  matches that customer's latest session with started_at in
 *	  [event_time - lookback, event_time].  Otherwise it is unmatched.
 *
 *	  Both lookups are btree index scans kept open and rescanned per event
 *	  (index_scan.c runs them in a memory context that outlives the rows).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(oj_attribute);

struct OjMatcher
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
	AttrNumber	s_visitor, s_session, s_attrs;
};

/* Opens the online tables and their lookup indexes for matching. */
OjMatcher *
oj_matcher_open(void)
{
	OjMatcher  *m = palloc0(sizeof(OjMatcher));

	m->snapshot = RegisterSnapshot(GetActiveSnapshot());
	m->txn_rel = oj_table_open("transactions", AccessShareLock);
	m->txn_idx = oj_index_open(m->txn_rel, "transactions_pkey", 1, (Oid[]) {TEXTOID});
	m->sess_rel = oj_table_open("sessions", AccessShareLock);
	m->sess_idx = oj_index_open(m->sess_rel, "sessions_customer_started_idx", 2,
								(Oid[]) {TEXTOID, TIMESTAMPTZOID});
	oj_check_table_privilege(m->txn_rel, ACL_SELECT);
	oj_check_table_privilege(m->sess_rel, ACL_SELECT);
	oj_check_no_rls(m->txn_rel);
	oj_check_no_rls(m->sess_rel);
	m->txn_scan = oj_index_scan_begin(m->txn_rel, m->txn_idx, m->snapshot, 1);
	m->sess_scan = oj_index_scan_begin(m->sess_rel, m->sess_idx, m->snapshot, 3);
	m->t_expires = oj_typed_column(m->txn_rel, "expires_at", TIMESTAMPTZOID);
	m->t_visitor = oj_typed_column(m->txn_rel, "visitor_id", TEXTOID);
	m->t_session = oj_typed_column(m->txn_rel, "session_id", TEXTOID);
	m->t_snapshot = oj_typed_column(m->txn_rel, "snapshot", JSONBOID);
	m->s_visitor = oj_typed_column(m->sess_rel, "visitor_id", TEXTOID);
	m->s_session = oj_typed_column(m->sess_rel, "session_id", TEXTOID);
	m->s_attrs = oj_typed_column(m->sess_rel, "attrs", JSONBOID);
	return m;
}

/* Releases what oj_matcher_open took (locks stay until transaction end). */
void
oj_matcher_close(OjMatcher *m)
{
	oj_index_scan_end(m->txn_scan);
	oj_index_scan_end(m->sess_scan);
	index_close(m->txn_idx, NoLock);
	index_close(m->sess_idx, NoLock);
	table_close(m->txn_rel, NoLock);
	table_close(m->sess_rel, NoLock);
	UnregisterSnapshot(m->snapshot);
	pfree(m);
}

/* A detoasted copy of a slot's column in CurrentMemoryContext, or 0 when NULL. */
static Datum
oj_slot_copy(TupleTableSlot *slot, AttrNumber att, bool *isnull)
{
	Datum		d = slot_getattr(slot, att, isnull);

	return *isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
}

/* Fills the match columns of *out from a matched row. */
static void
oj_fill(OjMatch *out, const char *kind, TupleTableSlot *slot,
		AttrNumber visitor, AttrNumber session, AttrNumber snapshot)
{
	out->kind = kind;
	out->visitor_id = oj_slot_copy(slot, visitor, &out->visitor_null);
	out->session_id = oj_slot_copy(slot, session, &out->session_null);
	out->snapshot = oj_slot_copy(slot, snapshot, &out->snapshot_null);
}

/*
 * Applies the rule to one event.  customer_id and transaction_id are text
 * datums or NULL pointers.  Results are allocated in CurrentMemoryContext.
 */
void
oj_match(OjMatcher *m, TimestampTz event_time, text *customer_id, text *transaction_id,
		 const Interval *lookback, OjMatch *out)
{
	ScanKeyData keys[3];

	out->kind = "unmatched";
	out->visitor_null = out->session_null = out->snapshot_null = true;
	out->visitor_id = out->session_id = out->snapshot = (Datum) 0;

	if (transaction_id != NULL && VARSIZE_ANY_EXHDR(transaction_id) > 0)
	{
		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
							   m->txn_idx->rd_indcollation[0], F_TEXTEQ,
							   PointerGetDatum(transaction_id));
		if (oj_index_scan_first(m->txn_scan, keys, 1, ForwardScanDirection))
		{
			TupleTableSlot *slot = oj_index_scan_slot(m->txn_scan);
			bool		isnull;
			TimestampTz expires = DatumGetTimestampTz(slot_getattr(slot, m->t_expires, &isnull));

			if (!isnull && event_time <= expires)
			{
				oj_fill(out, "transaction", slot, m->t_visitor, m->t_session, m->t_snapshot);
				return;
			}
		}
	}

	if (customer_id != NULL && VARSIZE_ANY_EXHDR(customer_id) > 0)
	{
		TimestampTz earliest;

		/*
		 * A lookback is at most 2 years (24 months of at most 31 days): near
		 * the start of timestamptz's range the window starts at its start.
		 */
		if (event_time < MIN_TIMESTAMP + (TimestampTz) 3 * 366 * USECS_PER_DAY)
			earliest = DT_NOBEGIN;
		else
			earliest = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
															   TimestampTzGetDatum(event_time),
															   IntervalPGetDatum(unconstify(Interval *, lookback))));

		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
							   m->sess_idx->rd_indcollation[0], F_TEXTEQ,
							   PointerGetDatum(customer_id));
		ScanKeyEntryInitialize(&keys[1], 0, 2, BTGreaterEqualStrategyNumber, InvalidOid,
							   InvalidOid, F_TIMESTAMPTZ_GE, TimestampTzGetDatum(earliest));
		ScanKeyEntryInitialize(&keys[2], 0, 2, BTLessEqualStrategyNumber, InvalidOid,
							   InvalidOid, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(event_time));
		/* backwards: the latest session first */
		if (oj_index_scan_first(m->sess_scan, keys, 3, BackwardScanDirection))
			oj_fill(out, "customer", oj_index_scan_slot(m->sess_scan), m->s_visitor, m->s_session,
					m->s_attrs);
	}
}

/*
 * attribute(event_time, customer_id, transaction_id, lookback): the rule for
 * one ad-hoc row.  Always returns exactly one row, so a LATERAL join keeps
 * every offline row.
 */
Datum
oj_attribute(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	OjMatch		res;
	Interval   *lookback;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	oj_refuse_citus_tables("offline_join.attribute()");

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lookback must not be null")));
	lookback = PG_GETARG_INTERVAL_P(3);
	if (!oj_lookback_ok(lookback, true))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lookback of offline_join.attribute() must be between 0 and 2 years"),
				 errdetail("The value given is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(lookback))))));

	res.kind = "unmatched";
	res.visitor_null = res.session_null = res.snapshot_null = true;
	if (!PG_ARGISNULL(0) && !TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(0)))
	{
		OjMatcher  *m = oj_matcher_open();

		oj_match(m, PG_GETARG_TIMESTAMPTZ(0),
				 PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
				 PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
				 lookback, &res);
		oj_matcher_close(m);
	}
	values[0] = CStringGetTextDatum(res.kind);
	values[1] = res.visitor_id;
	nulls[1] = res.visitor_null;
	values[2] = res.session_id;
	nulls[2] = res.session_null;
	values[3] = res.snapshot;
	nulls[3] = res.snapshot_null;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
