/*-------------------------------------------------------------------------
 *
 * citus_rematch.c
 *	  rematch() on the Citus layout.  An event lives beside its session
 *	  (dist_key, its distribution column, is the session's ID), and Citus
 *	  cannot change a row's distribution column in place.  So rematch()
 *	  reads the unmatched events with one query, as they are when it starts
 *	  (Citus gathers them on the coordinator, beyond work_mem in a temporary
 *	  file), and takes them in batches of offline_join.citus_match_batch
 *	  (the setting as the call began): it matches each batch with one set
 *	  of lookups (oj_match_many()), deletes the events that now match (only
 *	  while they are still unmatched: a concurrent rematch() may have moved
 *	  one) and inserts them again, each with its own event_id, its new match
 *	  and its session's key.  All in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "source.h"
#include "security.h"
#include "guc.h"
#include "catalog.h"
#include "citus.h"
#include "event_row.h"
#include "match.h"
#include "sink.h"

/* The fields of a file row that rematch() reads, beside every other column. */
static const OjEventField oj_rematch_fields[] = {
	OJ_EV_EVENT_TIME, OJ_EV_CUSTOMER_ID, OJ_EV_TRANSACTION_ID
};

/* One rematch() on the Citus layout. */
typedef struct OjCitusRematch
{
	Relation	rel;			/* the shell of events */
	TupleDesc	desc;			/* the rows read and written again: the whole row */
	int			ncols;
	int			col[OJ_EC_NCOLS];	/* where each of events' own columns is in desc */
	int			field[OJ_EV_NFIELDS];	/* and the fields read (-1: the others) */
	char	   *select_sql;		/* reads the unmatched events */
	char	   *insert_sql;		/* writes the moved ones again */
	OjMatcher  *matcher;
	OjLookbacks *lookbacks;
	MemoryContext batch_cxt;
} OjCitusRematch;

/*
 * Finds events' columns in the shell and prepares the statements: every
 * column an INSERT may give, since the row moves whole; ERROR when a column
 * of the layout is missing or of another type.
 */
static void
oj_citus_rematch_columns(OjCitusRematch *c, bool all)
{
	TupleDesc	shell = RelationGetDescr(c->rel);
	int		   *attidx = palloc(sizeof(int) * shell->natts);	/* desc column -> shell attribute */
	StringInfoData cols;

	memset(c->col, -1, sizeof(c->col));
	memset(c->field, -1, sizeof(c->field));
	initStringInfo(&cols);
	for (int a = 0; a < shell->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(shell, a);
		const char *name = NameStr(att->attname);

		if (att->attisdropped || att->attgenerated)
			continue;
		for (int k = 0; k < OJ_EC_NCOLS; k++)
			if (strcmp(name, oj_event_columns_info[k].name) == 0)
			{
				(void) oj_event_column_att(c->rel, (OjEventColumn) k);
				c->col[k] = c->ncols;
			}
		for (int k = 0; k < (int) lengthof(oj_rematch_fields); k++)
			if (strcmp(name, oj_event_fields[oj_rematch_fields[k]].name) == 0)
			{
				(void) oj_event_field_att(c->rel, oj_rematch_fields[k]);
				c->field[oj_rematch_fields[k]] = c->ncols;
			}
		appendStringInfo(&cols, "%s%s", c->ncols > 0 ? ", " : "", quote_identifier(name));
		attidx[c->ncols++] = a;
	}
	for (int k = 0; k < OJ_EC_NCOLS + (int) lengthof(oj_rematch_fields); k++)
		if ((k < OJ_EC_NCOLS ? c->col[k] : c->field[oj_rematch_fields[k - OJ_EC_NCOLS]]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s.events\" does not have the columns of the Citus layout", OJ_SCHEMA)));
	c->desc = CreateTemplateTupleDesc(c->ncols);
	for (int i = 0; i < c->ncols; i++)
	{
		Form_pg_attribute att = TupleDescAttr(shell, attidx[i]);

		TupleDescInitEntry(c->desc, i + 1, NameStr(att->attname), att->atttypid, att->atttypmod, 0);
	}
	/*
	 * One query, not a page per batch: ORDER BY ... LIMIT on a distributed
	 * table has every shard send up to a batch of rows for each batch kept.
	 */
	c->select_sql = psprintf("SELECT %s FROM offline_join.events WHERE %s OPERATOR(pg_catalog.=) 'unmatched'%s%s%s",
							 cols.data, oj_event_columns_info[OJ_EC_MATCH].name,
							 all ? "" : " AND ", all ? "" : oj_event_columns_info[OJ_EC_LOAD_ID].name,
							 all ? "" : " OPERATOR(pg_catalog.=) $1");
	c->insert_sql = psprintf("INSERT INTO offline_join.events (%s) OVERRIDING SYSTEM VALUE SELECT * FROM %s",
							 cols.data, oj_rows_source(c->desc));
}

/* Column col (a position in desc) of row, or NULL. */
static Datum
oj_row_value(OjCitusRematch *c, HeapTuple row, int col, bool *isnull)
{
	return heap_getattr(row, col + 1, c->desc, isnull);
}

/*
 * Matches a batch of n rows into res, one source (lookback) at a time;
 * the results are copied into the current memory context (the batch's).
 */
static void
oj_citus_rematch_match(OjCitusRematch *c, HeapTuple *rows, int n, OjMatch *res)
{
	TimestampTz *times = palloc(sizeof(TimestampTz) * n);
	text	  **customers = palloc(sizeof(text *) * n);
	text	  **txns = palloc(sizeof(text *) * n);
	bool	   *done = palloc0(sizeof(bool) * n);
	char	  **sources = palloc(sizeof(char *) * n);
	int		   *which = palloc(sizeof(int) * n);
	TimestampTz *t = palloc(sizeof(TimestampTz) * n);
	text	  **cu = palloc(sizeof(text *) * n);
	text	  **tx = palloc(sizeof(text *) * n);
	OjMatch    *out = palloc(sizeof(OjMatch) * n);
	bool		isnull;

	for (int i = 0; i < n; i++)
	{
		Datum		d;

		sources[i] = TextDatumGetCString(oj_row_value(c, rows[i], c->col[OJ_EC_SOURCE], &isnull));
		times[i] = DatumGetTimestampTz(oj_row_value(c, rows[i], c->field[OJ_EV_EVENT_TIME], &isnull));
		d = oj_row_value(c, rows[i], c->field[OJ_EV_CUSTOMER_ID], &isnull);
		customers[i] = isnull ? NULL : DatumGetTextPP(d);
		d = oj_row_value(c, rows[i], c->field[OJ_EV_TRANSACTION_ID], &isnull);
		txns[i] = isnull ? NULL : DatumGetTextPP(d);
	}
	for (int i = 0; i < n; i++)
	{
		int			k = 0;

		if (done[i])
			continue;
		for (int j = i; j < n; j++)
			if (!done[j] && strcmp(sources[j], sources[i]) == 0)
				which[k++] = j;
		for (int j = 0; j < k; j++)
		{
			t[j] = times[which[j]];
			cu[j] = customers[which[j]];
			tx[j] = txns[which[j]];
		}
		oj_match_many(c->matcher, k, t, cu, tx,
					  oj_lookback_of(c->lookbacks, cstring_to_text(sources[i])), out);
		for (int j = 0; j < k; j++)
		{
			OjMatch    *m = &res[which[j]];

			*m = out[j];
			/* out of the matcher's batch context, which the next source resets */
			if (!m->visitor_null)
				m->visitor_id = PointerGetDatum(PG_DETOAST_DATUM_COPY(m->visitor_id));
			if (!m->session_null)
				m->session_id = PointerGetDatum(PG_DETOAST_DATUM_COPY(m->session_id));
			if (!m->snapshot_null)
				m->snapshot = PointerGetDatum(PG_DETOAST_DATUM_COPY(m->snapshot));
			done[which[j]] = true;
		}
	}
}

/*
 * Deletes the events (dist_key keys[i], event_id ids[i]) that are still
 * unmatched, noting each deleted event_id in moved.  Shard by shard, like
 * the transaction-ID lookups: the pairs are grouped by the shard of events
 * (table events_oid) that holds their key (oj_citus_shard_groups()), and
 * each group goes in one DELETE that Citus routes to that shard alone; one
 * DELETE for all would give every shard every pair to join.
 */
static void
oj_citus_rematch_delete(HTAB *moved, Datum *keys, Datum *ids, int n, Oid events_oid)
{
	Datum		args[2];
	Datum	   *groups;
	uint64		ngroups;
	int			rc;
	bool		isnull;

	args[0] = PointerGetDatum(construct_array(keys, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	SPI_connect();
	ngroups = oj_citus_shard_groups(events_oid, 2, args, &groups, CurrentMemoryContext);
	for (uint64 g = 0; g < ngroups; g++)
	{
		/* dist_key = ANY($1): what Citus prunes by, to the one shard */
		rc = SPI_execute_with_args("DELETE FROM offline_join.events e"
								   " USING ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.int8[])) AS m(k, id)"
								   " WHERE e.dist_key OPERATOR(pg_catalog.=) ANY ($1)"
								   " AND e.dist_key OPERATOR(pg_catalog.=) m.k"
								   " AND e.event_id OPERATOR(pg_catalog.=) m.id"
								   " AND e.match OPERATOR(pg_catalog.=) 'unmatched'"
								   " RETURNING e.event_id",
								   2, (Oid[]) {TEXTARRAYOID, INT8ARRAYOID}, &groups[2 * g],
								   NULL, false, 0);
		if (rc != SPI_OK_DELETE_RETURNING)
			elog(ERROR, "moving the matched events failed: %s", SPI_result_code_string(rc));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

			hash_search(moved, &id, HASH_ENTER, NULL);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_finish();
}

/*
 * The rows of the batch that matched and that oj_citus_rematch_delete()
 * deleted (moved), with their new match and, when matched to a session,
 * that session's key, in a tuplestore for the INSERT; *count gets their
 * number.
 */
static Tuplestorestate *
oj_citus_rematch_rows(OjCitusRematch *c, HeapTuple *rows, int n, const OjMatch *res, HTAB *moved,
					  int64 *count)
{
	Tuplestorestate *store = tuplestore_begin_heap(false, false, work_mem);
	const int  *col = c->col;

	*count = 0;
	for (int i = 0; i < n; i++)
	{
		Datum	   *v;
		bool	   *nu;
		int64		id;
		bool		found,
					isnull;

		if (strcmp(res[i].kind, "unmatched") == 0)
			continue;
		id = DatumGetInt64(oj_row_value(c, rows[i], col[OJ_EC_EVENT_ID], &isnull));
		hash_search(moved, &id, HASH_FIND, &found);
		if (!found)
			continue;			/* changed meanwhile: left as it is */
		v = palloc(sizeof(Datum) * c->ncols);
		nu = palloc(sizeof(bool) * c->ncols);
		heap_deform_tuple(rows[i], c->desc, v, nu);
		v[col[OJ_EC_MATCH]] = CStringGetTextDatum(res[i].kind);
		nu[col[OJ_EC_MATCH]] = false;
		v[col[OJ_EC_VISITOR_ID]] = res[i].visitor_id;
		nu[col[OJ_EC_VISITOR_ID]] = res[i].visitor_null;
		v[col[OJ_EC_SESSION_ID]] = res[i].session_id;
		nu[col[OJ_EC_SESSION_ID]] = res[i].session_null;
		v[col[OJ_EC_SNAPSHOT]] = res[i].snapshot;
		nu[col[OJ_EC_SNAPSHOT]] = res[i].snapshot_null;
		if (!res[i].session_null)
			v[col[OJ_EC_DIST_KEY]] = res[i].session_id; /* beside its session */
		tuplestore_putvalues(store, c->desc, v, nu);
		(*count)++;
	}
	return store;
}

/*
 * Moves what now matches in a batch of n rows: deletes the events while
 * they are still unmatched and inserts them again.  Returns how many moved.
 */
static int64
oj_citus_rematch_move(OjCitusRematch *c, HeapTuple *rows, int n, const OjMatch *res)
{
	Datum	   *keys = palloc(sizeof(Datum) * n);
	Datum	   *ids = palloc(sizeof(Datum) * n);
	int			nmatched = 0;
	HTAB	   *moved;
	HASHCTL		ctl;
	Tuplestorestate *store;
	int64		count;
	int64		written;
	bool		isnull;

	for (int i = 0; i < n; i++)
		if (strcmp(res[i].kind, "unmatched") != 0)
		{
			keys[nmatched] = oj_row_value(c, rows[i], c->col[OJ_EC_DIST_KEY], &isnull);
			ids[nmatched] = oj_row_value(c, rows[i], c->col[OJ_EC_EVENT_ID], &isnull);
			nmatched++;
		}
	if (nmatched == 0)
		return 0;
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(int64);
	ctl.hcxt = c->batch_cxt;
	moved = hash_create("offline_join moved events", nmatched, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	oj_citus_rematch_delete(moved, keys, ids, nmatched, RelationGetRelid(c->rel));

	store = oj_citus_rematch_rows(c, rows, n, res, moved, &count);
	if (count == 0)
	{
		tuplestore_end(store);
		return 0;
	}
	written = oj_rows_execute(c->insert_sql, store, c->desc);
	if (written != count)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("rematch() wrote %lld of %lld rows to table \"%s.events\"",
						(long long) written, (long long) count, OJ_SCHEMA)));
	return written;
}

/*
 * rematch() on the Citus layout: the unmatched events (of all loads, or of
 * load load_id) in batches; returns how many now match.
 */
int64
oj_citus_rematch(bool all, int64 load_id)
{
	OjCitusRematch c;
	int			batch = oj_citus_match_batch;
	Portal		portal;
	int64		matched = 0;

	memset(&c, 0, sizeof(c));
	c.rel = table_open(oj_relation_oid("events"), RowExclusiveLock);
	c.batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join rematch batch",
										ALLOCSET_DEFAULT_SIZES);
	oj_check_table_privilege(c.rel, ACL_SELECT);
	oj_check_table_privilege(c.rel, ACL_UPDATE);
	c.lookbacks = oj_lookbacks_read();
	c.matcher = oj_matcher_open();
	oj_citus_rematch_columns(&c, all);

	SPI_connect();
	portal = SPI_cursor_open_with_args(NULL, c.select_sql, all ? 0 : 1, (Oid[]) {INT8OID},
									   (Datum[]) {Int64GetDatum(load_id)}, NULL, true,
									   CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(c.batch_cxt);
		int			n;
		HeapTuple  *rows;
		OjMatch    *res;

		SPI_cursor_fetch(portal, true, batch);
		/* SPI leaves the procedure's context current: the batch's is */
		MemoryContextSwitchTo(c.batch_cxt);
		n = (int) SPI_processed;
		rows = palloc(sizeof(HeapTuple) * Max(n, 1));
		for (int i = 0; i < n; i++)
			rows[i] = heap_copytuple(SPI_tuptable->vals[i]);
		SPI_freetuptable(SPI_tuptable);
		if (n == 0)
		{
			MemoryContextSwitchTo(old);
			break;
		}
		res = palloc(sizeof(OjMatch) * n);
		oj_citus_rematch_match(&c, rows, n, res);
		matched += oj_citus_rematch_move(&c, rows, n, res);
		MemoryContextSwitchTo(old);
		MemoryContextReset(c.batch_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	oj_matcher_close(c.matcher);
	table_close(c.rel, NoLock);
	MemoryContextDelete(c.batch_cxt);
	return matched;
}
