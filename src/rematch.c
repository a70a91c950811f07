/*-------------------------------------------------------------------------
 *
 * rematch.c
 *	  rematch(): retries the unmatched events with oj_match(), the rule of
 *	  load time, and updates the ones that now match in place.
 *
 *	  The unmatched events are read with one query over the loads the ledger
 *	  shows with unmatched events (or the one load asked for); the BRIN
 *	  index events_brin_idx (load_id, event_time, match) lets it read only
 *	  the page ranges of those loads that held unmatched events, in heap
 *	  order.  Each match is written with
 *	  table_tuple_update() and index insertions, below the executor, the way
 *	  the loaders write: no cursor, no UPDATE join per batch.  Indexes whose
 *	  key and predicate the update does not change (event_id, (load_id,
 *	  line_no), ...) get their new entry without a uniqueness check, which an
 *	  UPDATE statement would repeat; that and the missing join make rematch() faster than the
 *	  same answer computed by one UPDATE statement.
 *
 *	  A row changed by a concurrent transaction is handled as UPDATE does in
 *	  READ COMMITTED: the latest version is locked and, if still unmatched,
 *	  matched again; in REPEATABLE READ and SERIALIZABLE it is a
 *	  serialization failure.
 *
 *	  That in-place rewrite is taken only when events is a plain heap table
 *	  with nothing an UPDATE would honour and it would not: no update
 *	  trigger, no row-level security, no generated column, no deferrable or
 *	  exclusion index on a column it changes.  Otherwise the general path
 *	  (oj_rematch_statement()) runs one UPDATE statement over the new
 *	  matches, and PostgreSQL applies all of that itself.
 *
 *	  On the Citus layout rematch() moves the events instead
 *	  (citus_rematch.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/sysattr.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "catalog/namespace.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/reltrigger.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "ingest.h"
#include "catalog.h"
#include "citus.h"
#include "event_row.h"
#include "guc.h"
#include "match.h"
#include "security.h"
#include "sink.h"
#include "pg_compat.h"

PG_FUNCTION_INFO_V1(oj_rematch);

typedef struct OjRematch
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	ExprState **predicates;		/* per index, prepared on first use */
	bool	   *key_changed;	/* per index: does the update change its key? */
	TupleTableSlot *old_slot;
	TupleTableSlot *new_slot;
	Snapshot	snapshot;
	CommandId	cid;
	OjMatcher  *matcher;
	OjLookbacks *lookbacks;		/* each source's */
	MemoryContext row_cxt;
	/* column numbers */
	AttrNumber	a_source, a_time, a_customer, a_txn, a_match, a_visitor, a_session, a_snapshot;
} OjRematch;

/*
 * Does the update of these columns change the index's key, or whether a row
 * is in it (a partial index's predicate)?
 */
static bool
oj_index_touches(IndexInfo *ii, const AttrNumber *changed, int nchanged)
{
	Bitmapset  *used = NULL;

	if (ii->ii_Expressions != NIL)
		return true;
	for (int k = 0; k < ii->ii_NumIndexAttrs; k++)
		for (int c = 0; c < nchanged; c++)
			if (ii->ii_IndexAttrNumbers[k] == changed[c])
				return true;
	pull_varattnos((Node *) ii->ii_Predicate, 1, &used);
	for (int c = 0; c < nchanged; c++)
		if (bms_is_member(changed[c] - FirstLowInvalidHeapAttributeNumber, used))
			return true;
	return false;
}

/*
 * Why the in-place rewrite cannot update events as an UPDATE statement
 * would, or NULL when it can: then the general path runs one UPDATE
 * statement instead, which honours all of it by construction.
 */
static char *
oj_rematch_why_executor(Relation rel, const AttrNumber *changed, int nchanged)
{
	TriggerDesc *td = rel->trigdesc;
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *indexes;
	ListCell   *lc;
	char	   *why = NULL;

	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED)
		return psprintf("it has row-level security");
	if ((why = oj_not_plain_heap(rel)) != NULL)
		return why;
	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (TRIGGER_FOR_UPDATE(t->tgtype) && t->tgenabled != TRIGGER_DISABLED)
			return psprintf("it has update trigger \"%s\"", t->tgname);
	}
	if (desc->constr != NULL && desc->constr->has_generated_stored)
		return psprintf("it has a generated column");
	/* a deferrable or exclusion index whose key or predicate the update changes */
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		IndexInfo  *ii = BuildIndexInfo(idx);

		if ((ii->ii_ExclusionOps != NULL || (ii->ii_Unique && !idx->rd_index->indimmediate)) &&
			oj_index_touches(ii, changed, nchanged))
			why = psprintf("its index \"%s\" is a deferrable or exclusion constraint on a column it changes",
						   RelationGetRelationName(idx));
		index_close(idx, AccessShareLock);
		if (why)
			break;
	}
	list_free(indexes);
	return why;
}

/*
 * Which indexes need a uniqueness check after our update: those whose key,
 * or whose predicate (a partial index), the update changes.
 */
static void
oj_rematch_index_keys(OjRematch *r)
{
	AttrNumber	changed[4] = {r->a_match, r->a_visitor, r->a_session, r->a_snapshot};

	r->predicates = palloc0(sizeof(ExprState *) * r->rri->ri_NumIndices);
	r->key_changed = palloc0(sizeof(bool) * r->rri->ri_NumIndices);
	for (int i = 0; i < r->rri->ri_NumIndices; i++)
		r->key_changed[i] = oj_index_touches(r->rri->ri_IndexRelationInfo[i], changed, 4);
}

/*
 * Opens events and decides the path: NULL for the in-place rewrite (then
 * everything it needs is set up), or why the UPDATE statement runs instead.
 */
static char *
oj_rematch_open(OjRematch *r)
{
	MemoryContext old;
	char	   *why;

	memset(r, 0, sizeof(OjRematch));
	r->rel = oj_table_open("events", RowExclusiveLock);
	oj_check_table_privilege(r->rel, ACL_SELECT);
	oj_check_table_privilege(r->rel, ACL_UPDATE);
	oj_refuse_rules(r->rel, CMD_UPDATE, "rematch()");
	(void) oj_event_column_att(r->rel, OJ_EC_EVENT_ID);
	r->a_source = oj_event_column_att(r->rel, OJ_EC_SOURCE);
	r->a_time = oj_event_field_att(r->rel, OJ_EV_EVENT_TIME);
	r->a_customer = oj_event_field_att(r->rel, OJ_EV_CUSTOMER_ID);
	r->a_txn = oj_event_field_att(r->rel, OJ_EV_TRANSACTION_ID);
	r->a_match = oj_event_column_att(r->rel, OJ_EC_MATCH);
	r->a_visitor = oj_event_column_att(r->rel, OJ_EC_VISITOR_ID);
	r->a_session = oj_event_column_att(r->rel, OJ_EC_SESSION_ID);
	r->a_snapshot = oj_event_column_att(r->rel, OJ_EC_SNAPSHOT);
	why = oj_rematch_why_executor(r->rel, (AttrNumber[]) {r->a_match, r->a_visitor, r->a_session, r->a_snapshot}, 4);
	r->matcher = oj_matcher_open();
	r->lookbacks = oj_lookbacks_read();
	r->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join rematch row",
									   ALLOCSET_DEFAULT_SIZES);
	if (why != NULL)
		return why;

	r->estate = CreateExecutorState();
	old = MemoryContextSwitchTo(r->estate->es_query_cxt);
	r->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(r->rri, r->rel, 0, NULL, 0);
	ExecOpenIndices(r->rri, false);
	oj_rematch_index_keys(r);
	MemoryContextSwitchTo(old);

	r->new_slot = MakeSingleTupleTableSlot(RelationGetDescr(r->rel), &TTSOpsVirtual);
	r->old_slot = table_slot_create(r->rel, NULL);
	r->snapshot = RegisterSnapshot(GetActiveSnapshot());
	r->cid = GetCurrentCommandId(true);
	return NULL;
}

static void
oj_rematch_close(OjRematch *r)
{
	oj_matcher_close(r->matcher);
	ExecDropSingleTupleTableSlot(r->new_slot);
	ExecDropSingleTupleTableSlot(r->old_slot);
	UnregisterSnapshot(r->snapshot);
	ExecCloseIndices(r->rri);
	FreeExecutorState(r->estate);
	table_close(r->rel, NoLock);
	MemoryContextDelete(r->row_cxt);
}

/*
 * Index entries for the new version in slot.  An index whose key the update
 * keeps cannot get a duplicate from it, so it is inserted without a check.
 * No index is hinted as unchanged: the old versions are this transaction's
 * and cannot be removed yet, so a full leaf page is deduplicated rather than
 * sent through a bottom-up deletion pass that would visit the heap in vain.
 */
static void
oj_rematch_insert_indexes(OjRematch *r, TupleTableSlot *slot, bool only_summarizing)
{
	ExprContext *econtext = GetPerTupleExprContext(r->estate);
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];
	int			i;

	econtext->ecxt_scantuple = slot;
	for (i = 0; i < r->rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = r->rri->ri_IndexRelationInfo[i];
		Relation	idx = r->rri->ri_IndexRelationDescs[i];

		if (idx == NULL || !ii->ii_ReadyForInserts)
			continue;
		/* a HOT update that changed only summarizing indexes' columns (16 on) */
		if (only_summarizing && !oj_index_is_summarizing(ii))
			continue;
		if (ii->ii_Predicate != NIL)
		{
			if (r->predicates[i] == NULL)
			{
				MemoryContext old = MemoryContextSwitchTo(r->estate->es_query_cxt);

				r->predicates[i] = ExecPrepareQual(ii->ii_Predicate, r->estate);
				MemoryContextSwitchTo(old);
			}
			if (!ExecQual(r->predicates[i], econtext))
				continue;
		}
		FormIndexDatum(ii, slot, r->estate, values, isnull);
		index_insert(idx, values, isnull, &slot->tts_tid, r->rel,
					 r->key_changed[i] && ii->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
					 false, ii);
	}
}

/*
 * Matches the event in r->old_slot; when it now matches, writes the new
 * version.  Follows concurrent updates as UPDATE does.  Returns whether the
 * event was updated.
 */
static bool
oj_rematch_row(OjRematch *r)
{
	TupleTableSlot *old = r->old_slot;
	TupleTableSlot *new = r->new_slot;

	for (;;)
	{
		bool		isnull;
		Datum		d;
		OjMatch		res;
		text	   *customer, *txn;
		TM_FailureData tmfd;
		TM_Result	tm;
		LockTupleMode lockmode;
		OjUpdateIndexes update_indexes;
		ItemPointerData tid;

		d = slot_getattr(old, r->a_match, &isnull);
		if (isnull || strcmp(TextDatumGetCString(d), "unmatched") != 0)
			return false;		/* only after following a concurrent update */
		d = slot_getattr(old, r->a_customer, &isnull);
		customer = isnull ? NULL : DatumGetTextPP(d);
		d = slot_getattr(old, r->a_txn, &isnull);
		txn = isnull ? NULL : DatumGetTextPP(d);
		oj_match(r->matcher, DatumGetTimestampTz(slot_getattr(old, r->a_time, &isnull)),
				 customer, txn,
				 oj_lookback_of(r->lookbacks, DatumGetTextPP(slot_getattr(old, r->a_source, &isnull))),
				 &res);
		if (strcmp(res.kind, "unmatched") == 0)
			return false;

		slot_getallattrs(old);
		ExecClearTuple(new);
		memcpy(new->tts_values, old->tts_values, sizeof(Datum) * old->tts_nvalid);
		memcpy(new->tts_isnull, old->tts_isnull, sizeof(bool) * old->tts_nvalid);
		new->tts_values[r->a_match - 1] = CStringGetTextDatum(res.kind);
		new->tts_isnull[r->a_match - 1] = false;
		new->tts_values[r->a_visitor - 1] = res.visitor_id;
		new->tts_isnull[r->a_visitor - 1] = res.visitor_null;
		new->tts_values[r->a_session - 1] = res.session_id;
		new->tts_isnull[r->a_session - 1] = res.session_null;
		new->tts_values[r->a_snapshot - 1] = res.snapshot;
		new->tts_isnull[r->a_snapshot - 1] = res.snapshot_null;
		ExecStoreVirtualTuple(new);
		if (r->rel->rd_att->constr != NULL)
			ExecConstraints(r->rri, new, r->estate);

		tid = old->tts_tid;
		tm = table_tuple_update(r->rel, &tid, new, r->cid, r->snapshot, InvalidSnapshot,
								true, &tmfd, &lockmode, &update_indexes);
		switch (tm)
		{
			case TM_Ok:
				if (oj_update_needs_indexes(update_indexes))
					oj_rematch_insert_indexes(r, new, oj_update_only_summarizing(update_indexes));
				return true;
			case TM_SelfModified:
			case TM_Deleted:
				return false;	/* already rewritten by us, or gone */
			case TM_Updated:
				if (IsolationUsesXactSnapshot())
					ereport(ERROR,
							(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
							 errmsg("could not serialize access due to concurrent update")));
				/* lock the latest version and look at it again */
				tm = table_tuple_lock(r->rel, &tid, r->snapshot, old, r->cid, lockmode,
									  LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
				if (tm != TM_Ok)
					return false;	/* deleted meanwhile */
				break;
			default:
				elog(ERROR, "unexpected table_tuple_update status: %d", tm);
		}
	}
}

/* The load IDs of an int8[] (no NULLs: the ledger's keys, or the one asked for). */
static int64 *
oj_rematch_load_ids(ArrayType *loads, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *ids;

	deconstruct_array(loads, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	ids = palloc(sizeof(int64) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		ids[i] = DatumGetInt64(elems[i]);
	return ids;
}

/* The name of column i of desc. */
#define OJ_COL(desc, i) NameStr(TupleDescAttr((desc), (i))->attname)

/*
 * The general path's read: the first four columns of desc (event_id,
 * event_time, customer_id, transaction_id) and source of the unmatched
 * events of load $1 (one query per load: a BRIN index takes load_id and
 * match as keys of one scan only when each is a plain comparison).
 */
static char *
oj_rematch_select_sql(TupleDesc desc)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < 4; i++)
		appendStringInfo(&sql, "%s, ", OJ_COL(desc, i));
	appendStringInfo(&sql, "%s FROM offline_join.events WHERE %s OPERATOR(pg_catalog.=) 'unmatched'"
					 " AND %s OPERATOR(pg_catalog.=) $1",
					 oj_event_columns_info[OJ_EC_SOURCE].name, OJ_COL(desc, 4),
					 oj_event_columns_info[OJ_EC_LOAD_ID].name);
	return sql.data;
}

/*
 * The general path's write: the new match (columns 5-8 of desc) of each
 * event that is still unmatched with the time, customer and transaction ID
 * read (columns 1-4).
 */
static char *
oj_rematch_update_sql(TupleDesc desc)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "UPDATE offline_join.events e SET ");
	for (int i = 4; i < 8; i++)
		appendStringInfo(&sql, "%s%s = r.%s", i > 4 ? ", " : "", OJ_COL(desc, i), OJ_COL(desc, i));
	appendStringInfo(&sql, " FROM %s WHERE e.%s OPERATOR(pg_catalog.=) r.%s AND e.%s OPERATOR(pg_catalog.=) 'unmatched'",
					 oj_rows_source(desc), OJ_COL(desc, 0), OJ_COL(desc, 0), OJ_COL(desc, 4));
	for (int i = 1; i < 4; i++)
		appendStringInfo(&sql, " AND e.%s %s r.%s", OJ_COL(desc, i),
						 i == 1 ? "OPERATOR(pg_catalog.=)" : "IS NOT DISTINCT FROM", OJ_COL(desc, i));
	return sql.data;
}

/*
 * The general path: reads the unmatched events with a cursor, matches each
 * with oj_match(), keeps the new matches in a tuplestore, and writes them
 * with one UPDATE statement, which honours whatever an UPDATE of events
 * would (triggers, row-level security, generated columns, constraints,
 * every index, partitions).  A row another transaction changed meanwhile is
 * updated only if it is still unmatched with the same time, customer and
 * transaction ID (the statement re-checks them on the latest version);
 * otherwise it is left for the next rematch().
 */
/*
 * Runs sql (its one parameter: a load ID) for each load in the array,
 * through a read-only cursor, and hands each batch of rows (SPI_tuptable)
 * to batch.  One query per load: a BRIN index takes load_id and match as
 * keys of one scan only when each is a plain comparison.  Returns what the
 * batches return, summed.
 */
typedef int64 (*OjRematchBatch) (OjRematch *r, void *arg);

static int64
oj_rematch_each_batch(OjRematch *r, ArrayType *loads, const char *sql, OjRematchBatch batch, void *arg)
{
	int			nloads;
	int64	   *ids = oj_rematch_load_ids(loads, &nloads);
	int64		sum = 0;

	SPI_connect();
	for (int l = 0; l < nloads; l++)
	{
		Portal		portal = SPI_cursor_open_with_args(NULL, sql, 1, (Oid[]) {INT8OID},
													   (Datum[]) {Int64GetDatum(ids[l])}, NULL, true, 0);

		for (;;)
		{
			SPI_cursor_fetch(portal, true, 1000);
			if (SPI_processed == 0)
				break;
			sum += batch(r, arg);
			SPI_freetuptable(SPI_tuptable);
			CHECK_FOR_INTERRUPTS();
		}
		SPI_cursor_close(portal);
	}
	SPI_finish();
	return sum;
}

/* The general path's tuplestore of new matches, and its shape. */
typedef struct OjRematchStore
{
	TupleDesc	desc;
	Tuplestorestate *store;
} OjRematchStore;

/* The general path's matching of the rows fetched: the new matches into the store. */
static int64
oj_rematch_collect(OjRematch *r, void *arg)
{
	OjRematchStore *st = arg;
	int64		found = 0;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		MemoryContext spi = MemoryContextSwitchTo(r->row_cxt);
		Datum		v[8];
		bool		n[8];
		OjMatch		m;

		for (int c = 0; c < 4; c++)
			v[c] = SPI_getbinval(tup, td, c + 1, &n[c]);
		oj_match(r->matcher, DatumGetTimestampTz(v[1]),
				 n[2] ? NULL : DatumGetTextPP(v[2]), n[3] ? NULL : DatumGetTextPP(v[3]),
				 oj_lookback_of(r->lookbacks, DatumGetTextPP(SPI_getbinval(tup, td, 5, &n[4]))), &m);
		if (strcmp(m.kind, "unmatched") != 0)
		{
			oj_match_datums(&m, v + 4, n + 4);
			tuplestore_putvalues(st->store, st->desc, v, n);
			found++;
		}
		MemoryContextSwitchTo(spi);
		MemoryContextReset(r->row_cxt);
	}
	return found;
}

static int64
oj_rematch_statement(OjRematch *r, ArrayType *loads)
{
	const OjEventFieldInfo *cols[8] = {
		&oj_event_columns_info[OJ_EC_EVENT_ID], &oj_event_fields[OJ_EV_EVENT_TIME],
		&oj_event_fields[OJ_EV_CUSTOMER_ID], &oj_event_fields[OJ_EV_TRANSACTION_ID],
		&oj_event_columns_info[OJ_EC_MATCH], &oj_event_columns_info[OJ_EC_VISITOR_ID],
		&oj_event_columns_info[OJ_EC_SESSION_ID], &oj_event_columns_info[OJ_EC_SNAPSHOT]
	};
	OjRematchStore st;
	int64		found;

	st.desc = CreateTemplateTupleDesc(8);
	for (int i = 0; i < 8; i++)
		TupleDescInitEntry(st.desc, i + 1, cols[i]->name, cols[i]->type, -1, 0);
	st.store = tuplestore_begin_heap(false, false, work_mem);
	found = oj_rematch_each_batch(r, loads, oj_rematch_select_sql(st.desc), oj_rematch_collect, &st);
	if (found == 0)
	{
		tuplestore_end(st.store);
		return 0;
	}
	return oj_rows_execute(oj_rematch_update_sql(st.desc), st.store, st.desc);
}

/*
 * The ledger follows rematch() (0.2.1 on): the loads that have unmatched
 * events before the run get their rows_matched counted again after it, and
 * the run gets a row in rematch_runs.  Written as the extension's owner, as
 * the inbox writes the ledger: the matches the caller made are real, and
 * the ledger says so whatever the caller may write.
 */
typedef struct OjRematchRun
{
	bool		keep;			/* the schema has rematch_runs */
	bool		citus;			/* events is distributed (oj_citus_rematch()) */
	TimestampTz started_at;
	ArrayType  *loads;			/* load_ids with unmatched events before */
	MemoryContext cxt;			/* where the run's arrays live */
} OjRematchRun;

/*
 * Runs sql with args as the extension's owner, in the schema it trusts.
 * With into, the first row's first column, an array, is copied there.
 */
static ArrayType *
oj_rematch_as_owner(const char *sql, int nargs, Oid *types, Datum *args, MemoryContext into)
{
	Oid			owner = oj_extension_owner();
	OjSavedUser saved;
	ArrayType  *result = NULL;
	int			rc;

	oj_check_schema_trusted(owner, "rematch()", OJ_WRITES_INBOX);
	oj_become(owner, &saved);
	SPI_connect();
	rc = SPI_execute_with_args(sql, nargs, types, args, NULL, into != NULL, 0);
	if (rc < 0)
		elog(ERROR, "rematch(): a statement on the ledger failed: %s", SPI_result_code_string(rc));
	if (into != NULL)
	{
		MemoryContext spi = MemoryContextSwitchTo(into);
		bool		isnull;

		result = DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	oj_unbecome(&saved);
	return result;
}

/*
 * Before the run: which loads it looks at, and may change.  All loads: those
 * the ledger shows with unmatched events (read as the extension's owner, who
 * keeps it; loads whose events all matched are not read again).
 */
static void
oj_rematch_run_begin(OjRematchRun *run, bool all, int64 load_id)
{
	Datum		arg = Int64GetDatum(load_id);

	memset(run, 0, sizeof(*run));
	run->cxt = CurrentMemoryContext;
	run->started_at = GetCurrentTimestamp();
	run->keep = OidIsValid(get_relname_relid("rematch_runs", get_namespace_oid(OJ_SCHEMA, false)));
	if (all)
		run->loads = oj_rematch_as_owner("SELECT coalesce(pg_catalog.array_agg(load_id ORDER BY load_id), '{}')::pg_catalog.int8[]"
										 "  FROM offline_join.loads"
										 " WHERE status OPERATOR(pg_catalog.=) 'loaded'"
										 "   AND rows_matched OPERATOR(pg_catalog.<) rows_loaded",
										 0, NULL, NULL, run->cxt);
	else
		run->loads = construct_array(&arg, 1, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * One server: each load's unmatched events counted by its own query, so
 * that the BRIN index takes load_id and match as keys of one scan.  Into
 * *ids and *counts (int8[] each, in run->cxt).  Inside SPI.
 */
static void
oj_rematch_count_local(OjRematchRun *run, Datum *ids, Datum *counts)
{
	int			nloads;
	int64	   *loads = oj_rematch_load_ids(run->loads, &nloads);
	Datum	   *id = palloc(sizeof(Datum) * Max(nloads, 1));
	Datum	   *n = palloc(sizeof(Datum) * Max(nloads, 1));
	MemoryContext spi;

	for (int l = 0; l < nloads; l++)
	{
		bool		isnull;

		if (SPI_execute_with_args("SELECT pg_catalog.count(*) FROM offline_join.events"
								  " WHERE load_id OPERATOR(pg_catalog.=) $1"
								  "   AND match OPERATOR(pg_catalog.=) 'unmatched'",
								  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(loads[l])},
								  NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "rematch(): counting the unmatched events failed");
		id[l] = Int64GetDatum(loads[l]);
		n[l] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		SPI_freetuptable(SPI_tuptable);
	}
	spi = MemoryContextSwitchTo(run->cxt);
	*ids = PointerGetDatum(construct_array(id, nloads, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	*counts = PointerGetDatum(construct_array(n, nloads, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	MemoryContextSwitchTo(spi);
}

/* After the run: the ledger's rows_matched of those loads, and the run's row. */
static void
oj_rematch_run_end(OjRematchRun *run, bool all, int64 load_id, int64 matched)
{
	Datum		args[5];

	if (!run->keep)
		return;
	/*
	 * Counted first, then written (Citus takes no subquery of events in an
	 * UPDATE of the ledger); not read-only, so that it sees the run's updates.
	 */
	args[0] = PointerGetDatum(run->loads);
	SPI_connect();
	if (run->citus)
	{
		if (SPI_execute_with_args("SELECT coalesce(pg_catalog.array_agg(c.load_id), '{}'), coalesce(pg_catalog.array_agg(c.n), '{}')"
								  "  FROM (SELECT e.load_id, pg_catalog.count(*) AS n FROM offline_join.events AS e"
								  "         WHERE e.load_id OPERATOR(pg_catalog.=) ANY ($1)"
								  "           AND e.match OPERATOR(pg_catalog.=) 'unmatched' GROUP BY e.load_id) AS c",
								  1, (Oid[]) {INT8ARRAYOID}, args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "rematch(): counting the unmatched events failed");
		{
			MemoryContext spi = MemoryContextSwitchTo(run->cxt);
			bool		isnull;

			args[1] = PointerGetDatum(DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
			args[2] = PointerGetDatum(DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)));
			MemoryContextSwitchTo(spi);
		}
	}
	else
		oj_rematch_count_local(run, &args[1], &args[2]);
	SPI_finish();
	oj_rematch_as_owner("UPDATE offline_join.loads AS l"
						"   SET rows_matched = l.rows_loaded OPERATOR(pg_catalog.-) coalesce(u.n, 0)"
						"  FROM (SELECT x.id, y.n FROM pg_catalog.unnest($1) AS x(id)"
						"          LEFT JOIN ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS y(id, n)"
						"            ON y.id OPERATOR(pg_catalog.=) x.id) AS u"
						" WHERE l.load_id OPERATOR(pg_catalog.=) u.id AND l.status OPERATOR(pg_catalog.=) 'loaded'",
						3, (Oid[]) {INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}, args, NULL);
	args[0] = TimestampTzGetDatum(run->started_at);
	args[1] = Int64GetDatum(load_id);
	args[2] = Int64GetDatum(matched);
	args[3] = Int32GetDatum(ArrayGetNItems(ARR_NDIM(run->loads), ARR_DIMS(run->loads)));
	args[4] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	oj_rematch_as_owner(all
						? "INSERT INTO offline_join.rematch_runs (started_at, finished_at, load_id, rows_matched, loads_updated, run_by)"
						"  VALUES ($1, pg_catalog.clock_timestamp(), NULL, $3, $4, $5)"
						: "INSERT INTO offline_join.rematch_runs (started_at, finished_at, load_id, rows_matched, loads_updated, run_by)"
						"  VALUES ($1, pg_catalog.clock_timestamp(), $2, $3, $4, $5)",
						5, (Oid[]) {TIMESTAMPTZOID, INT8OID, INT8OID, INT4OID, TEXTOID}, args, NULL);
}

/*
 * The in-place path: the unmatched events of each load in the array, by a
 * read-only cursor (BRIN: the page ranges of the load that held unmatched
 * events, in heap order), each fetched as of the run's snapshot and matched
 * again (oj_rematch_fetched(), per batch).  The cursor's snapshot is the
 * run's: the versions the run writes are not in it.
 */
static int64
oj_rematch_fetched(OjRematch *r, void *arg)
{
	int64		matched = 0;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		ItemPointer tid = (ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i],
																	  SPI_tuptable->tupdesc, 1, &isnull));
		MemoryContext old = MemoryContextSwitchTo(r->row_cxt);

		ResetPerTupleExprContext(r->estate);
		if (table_tuple_fetch_row_version(r->rel, tid, r->snapshot, r->old_slot) &&
			oj_rematch_row(r))
			matched++;
		MemoryContextSwitchTo(old);
		MemoryContextReset(r->row_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	return matched;
}

static int64
oj_rematch_in_place(OjRematch *r, ArrayType *loads)
{
	char	   *sql = psprintf("SELECT ctid FROM offline_join.events WHERE %s OPERATOR(pg_catalog.=) 'unmatched'"
							   " AND %s OPERATOR(pg_catalog.=) $1",
							   oj_event_columns_info[OJ_EC_MATCH].name,
							   oj_event_columns_info[OJ_EC_LOAD_ID].name);

	return oj_rematch_each_batch(r, loads, sql, oj_rematch_fetched, NULL);
}

/*
 * rematch(load_id DEFAULT NULL) RETURNS bigint
 *
 * Retries the unmatched events (of one load, or all) with the same rule as
 * load time, each with its source's lookback; returns how many now match.
 */
Datum
oj_rematch(PG_FUNCTION_ARGS)
{
	OjRematch	r;
	int64		matched = 0;
	char	   *why;

	bool		all = PG_ARGISNULL(0);
	int64		load_id = all ? 0 : PG_GETARG_INT64(0);
	OjRematchRun run;

	if (oj_tables("offline_join.rematch()") == OJ_TABLES_CITUS)
	{
		oj_rematch_run_begin(&run, all, load_id);
		run.citus = true;
		matched = oj_citus_rematch(all, load_id);
		oj_rematch_run_end(&run, all, load_id, matched);
		PG_RETURN_INT64(matched);
	}
	/* what it refuses to write, before it reads anything */
	why = oj_rematch_open(&r);
	oj_rematch_run_begin(&run, all, load_id);

	if (why != NULL)
	{
		oj_require_sink_rows(RelationGetRelationName(r.rel), why);
		ereport(DEBUG1,
				(errmsg("rematch() updates table \"%s\" with one UPDATE statement: %s",
						RelationGetRelationName(r.rel), why)));
		matched = oj_rematch_statement(&r, run.loads);
		oj_matcher_close(r.matcher);
		table_close(r.rel, NoLock);
		MemoryContextDelete(r.row_cxt);
		oj_rematch_run_end(&run, all, load_id, matched);
		PG_RETURN_INT64(matched);
	}
	matched = oj_rematch_in_place(&r, run.loads);
	oj_rematch_close(&r);
	oj_rematch_run_end(&run, all, load_id, matched);
	PG_RETURN_INT64(matched);
}
