/*-------------------------------------------------------------------------
 *
 * match.c
 *	  The matching rule of spec section 5, in one place: load(), the inbox,
 *	  rematch() and attribute() all apply oj_match_rule() below, so they
 *	  cannot drift; and the lookback window it uses.
 *
 *	  An event with a transaction ID matches the transactions row with that
 *	  ID when event_time <= expires_at.  Otherwise an event with a customer ID
 *	  matches that customer's latest session with started_at in
 *	  [event_time - lookback, event_time] (of sessions that started at the
 *	  same instant, the greatest session_id in byte order).  Otherwise it is
 *	  unmatched.
 *
 *	  The rows come from candidate lookups (match.h's OjLookups), one per
 *	  layout: index scans per event on the local layout (match_local.c),
 *	  batched SQL on the Citus layout (citus_match.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "source.h"
#include "ingest.h"
#include "citus.h"
#include "guc.h"
#include "match.h"
#include "security.h"

PG_FUNCTION_INFO_V1(oj_attribute);

struct OjMatcher
{
	const OjLookups *lookups;	/* the layout's candidate lookups */
	void	   *state;			/* theirs */
};

/* Opens the candidate lookups of the extension's layout for matching. */
OjMatcher *
oj_matcher_open(void)
{
	OjMatcher  *m = palloc0(sizeof(OjMatcher));

	if (oj_tables("offline_join") == OJ_TABLES_CITUS)
		m->lookups = oj_citus_lookups_open(&m->state);
	else
		m->lookups = oj_local_lookups_open(&m->state);
	return m;
}

/* Releases what oj_matcher_open took (locks stay until transaction end). */
void
oj_matcher_close(OjMatcher *m)
{
	m->lookups->close(m->state);
	pfree(m);
}

/* Whether the matcher answers batches only (oj_match_many()). */
bool
oj_matcher_batched(OjMatcher *m)
{
	return m->lookups->batch_begin != NULL;
}

/* The earliest started_at a customer match may have for an event at t. */
static TimestampTz
oj_lookback_start(TimestampTz t, const Interval *lookback)
{
	/*
	 * A lookback is at most 2 years (24 months of at most 31 days): near the
	 * start of timestamptz's range the window starts at its start.
	 */
	if (t < MIN_TIMESTAMP + (TimestampTz) 3 * 366 * USECS_PER_DAY)
		return DT_NOBEGIN;
	/* in UTC's calendar: the same window in every session */
	return oj_utc_plus(t, lookback, true);
}

/* Compares two texts as byte strings (COLLATE "C"). */
static int
oj_text_cmp_bytes(text *a, text *b)
{
	int			la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* Whether a key (a customer or transaction ID) is given: not NULL, not empty. */
static bool
oj_has_key(text *t)
{
	return t != NULL && VARSIZE_ANY_EXHDR(t) > 0;
}

/*
 * The rule, for one event, on the rows lookups give.  customer_id and
 * transaction_id are text datums or NULL pointers.  Results are allocated
 * in CurrentMemoryContext, or are the lookups' own.
 */
static void
oj_match_rule(const OjLookups *lk, void *state, TimestampTz event_time, text *customer_id,
			  text *transaction_id, const Interval *lookback, OjMatch *out)
{
	TimestampTz expires,
				start,
				at,
				best_at = 0;
	text	   *sid;
	text	   *best = NULL;

	out->kind = "unmatched";
	out->visitor_null = out->session_null = out->snapshot_null = true;
	out->visitor_id = out->session_id = out->snapshot = (Datum) 0;

	if (oj_has_key(transaction_id) && lk->txn(state, transaction_id, &expires) &&
		event_time <= expires)
	{
		out->kind = "transaction";
		lk->txn_fill(state, out);
		return;
	}
	if (!oj_has_key(customer_id))
		return;
	start = oj_lookback_start(event_time, lookback);
	for (bool more = lk->sessions_first(state, customer_id, start, event_time, &at, &sid);
		 more; more = lk->sessions_next(state, &at, &sid))
	{
		if (at < start || at > event_time)
			continue;
		if (best == NULL || at > best_at || (at == best_at && oj_text_cmp_bytes(sid, best) > 0))
		{
			out->kind = "customer";
			lk->session_fill(state, out);
			best = DatumGetTextPP(out->session_id);
			best_at = at;
		}
		else if (lk->ordered && at < best_at)
			break;				/* newest first: no later one can be better */
	}
}

/*
 * Applies the rule to one event.  customer_id and transaction_id are text
 * datums or NULL pointers.  Results are allocated in CurrentMemoryContext
 * (a batched matcher's live until its next batch).
 */
void
oj_match(OjMatcher *m, TimestampTz event_time, text *customer_id, text *transaction_id,
		 const Interval *lookback, OjMatch *out)
{
	if (oj_matcher_batched(m))
		oj_match_many(m, 1, &event_time, &customer_id, &transaction_id, lookback, out);
	else
		oj_match_rule(m->lookups, m->state, event_time, customer_id, transaction_id, lookback, out);
}

/*
 * The rule for n events; out[i] is event i's.  A batched matcher (the Citus
 * layout) asks for the rows of the whole batch at once: the rule runs over
 * the batch three times, the lookups learning from the first which
 * transaction IDs it needs and from the second which customers' sessions
 * (see OjLookups); the results live until the next batch (or until the
 * matcher is closed).
 */
void
oj_match_many(OjMatcher *m, int n, const TimestampTz *times, text *const *customers,
			  text *const *txns, const Interval *lookback, OjMatch *out)
{
	const OjLookups *lk = m->lookups;

	if (lk->batch_begin == NULL)
	{
		for (int i = 0; i < n; i++)
			oj_match_rule(lk, m->state, times[i], customers[i], txns[i], lookback, &out[i]);
		return;
	}
	lk->batch_begin(m->state, n);
	for (int pass = 0; pass < 3; pass++)
	{
		for (int i = 0; i < n; i++)
			oj_match_rule(lk, m->state, times[i], customers[i], txns[i], lookback, &out[i]);
		if (pass < 2)
			lk->batch_lookup(m->state);
	}
}

/* A source's lookback (sources are few; a list searched with a last-hit cache). */
typedef struct OjLookback
{
	char	   *source;
	Interval	lookback;
} OjLookback;

struct OjLookbacks
{
	List	   *list;
	OjLookback *last;
	Interval	default_lookback;	/* events of a dropped source: 30 days */
};

/* Reads every source's lookback once, in CurrentMemoryContext. */
OjLookbacks *
oj_lookbacks_read(void)
{
	MemoryContext outer = CurrentMemoryContext;
	OjLookbacks *l = palloc0(sizeof(OjLookbacks));
	uint64		i;
	int			rc;

	l->default_lookback = (Interval) {0, 30, 0};
	SPI_connect();
	rc = SPI_execute("SELECT name::pg_catalog.text, format::pg_catalog.text, options::pg_catalog.jsonb"
					 " FROM offline_join.sources", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.sources failed: %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		MemoryContext spi = MemoryContextSwitchTo(outer);
		OjLookback *lb = palloc(sizeof(OjLookback));
		OjSource	src;

		lb->source = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		oj_source_parse(lb->source, TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull)),
						DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 3, &isnull)), &src);
		lb->lookback = src.lookback;
		l->list = lappend(l->list, lb);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return l;
}

/* The lookback of the source named source (30 days for one dropped since). */
const Interval *
oj_lookback_of(OjLookbacks *l, text *source)
{
	ListCell   *lc;
	char	   *name = VARDATA_ANY(source);
	int			len = VARSIZE_ANY_EXHDR(source);

	if (l->last != NULL && strlen(l->last->source) == len && memcmp(l->last->source, name, len) == 0)
		return &l->last->lookback;
	foreach(lc, l->list)
	{
		OjLookback *lb = lfirst(lc);

		if (strlen(lb->source) == len && memcmp(lb->source, name, len) == 0)
		{
			l->last = lb;
			return &lb->lookback;
		}
	}
	return &l->default_lookback;
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
	OjMatch		res = {0};
	Interval   *lookback;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	(void) oj_tables("offline_join.attribute()");

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lookback must not be null")));
	lookback = PG_GETARG_INTERVAL_P(3);
	oj_check_span(lookback, true, "lookback of offline_join.attribute()",
				  "A lookback is from 0 to 2 years, such as \"30 days\"; all parts of the interval of one sign.");

	res.kind = "unmatched";
	res.visitor_null = res.session_null = res.snapshot_null = true;
	if (!PG_ARGISNULL(0) && !TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(0)))
	{
		OjMatcher  *m = oj_matcher_open();

		TimestampTz t = PG_GETARG_TIMESTAMPTZ(0);
		text	   *customer = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
		text	   *txn = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);

		oj_match_many(m, 1, &t, &customer, &txn, lookback, &res);
		if (oj_matcher_batched(m))
		{
			/* out of the batch's context, which closing the matcher frees */
			res.visitor_id = res.visitor_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(res.visitor_id));
			res.session_id = res.session_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(res.session_id));
			res.snapshot = res.snapshot_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(res.snapshot));
		}
		oj_matcher_close(m);
	}
	oj_match_datums(&res, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* A match as four columns: match, visitor_id, session_id, snapshot. */
void
oj_match_datums(const OjMatch *res, Datum *values, bool *nulls)
{
	values[0] = CStringGetTextDatum(res->kind);
	nulls[0] = false;
	values[1] = res->visitor_id;
	nulls[1] = res->visitor_null;
	values[2] = res->session_id;
	nulls[2] = res->session_null;
	values[3] = res->snapshot;
	nulls[3] = res->snapshot_null;
}
