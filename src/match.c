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
#include "common/hashfn.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pipeline.h"
#include "catalog.h"
#include "citus.h"
#include "index_scan.h"
#include "match.h"

static TimestampTz oj_lookback_start(TimestampTz t, const Interval *lookback);

PG_FUNCTION_INFO_V1(oj_attribute);

struct OjMatcher
{
	bool		citus;			/* the Citus layout: batched lookups in SQL */
	MemoryContext cxt;			/* Citus: the current batch's lookups */
	Oid			txn_oid;		/* Citus: the transactions table (its shell) */
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
};

/* Opens the online tables and their lookup indexes for matching. */
OjMatcher *
oj_matcher_open(void)
{
	OjMatcher  *m = palloc0(sizeof(OjMatcher));

	if (oj_tables("offline_join") == OJ_TABLES_CITUS)
	{
		/* the shells say who may read and whether RLS applies; rows come by SQL */
		const char *const names[2] = {"transactions", "sessions"};

		for (int i = 0; i < 2; i++)
		{
			Relation	rel = table_open(oj_relation_oid(names[i]), AccessShareLock);

			oj_check_table_privilege(rel, ACL_SELECT);
			oj_check_no_rls(rel);
			if (i == 0)
				m->txn_oid = RelationGetRelid(rel);
			table_close(rel, NoLock);
		}
		m->citus = true;
		m->cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join match batch",
									   ALLOCSET_DEFAULT_SIZES);
		return m;
	}
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
	m->s_started = oj_typed_column(m->sess_rel, "started_at", TIMESTAMPTZOID);
	return m;
}

/* Releases what oj_matcher_open took (locks stay until transaction end). */
void
oj_matcher_close(OjMatcher *m)
{
	if (m->citus)
	{
		MemoryContextDelete(m->cxt);
		pfree(m);
		return;
	}
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

/* Compares two texts as byte strings (COLLATE "C"). */
static int
oj_text_cmp_bytes(text *a, text *b)
{
	int			la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
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
		earliest = oj_lookback_start(event_time, lookback);

		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
							   m->sess_idx->rd_indcollation[0], F_TEXTEQ,
							   PointerGetDatum(customer_id));
		ScanKeyEntryInitialize(&keys[1], 0, 2, BTGreaterEqualStrategyNumber, InvalidOid,
							   InvalidOid, F_TIMESTAMPTZ_GE, TimestampTzGetDatum(earliest));
		ScanKeyEntryInitialize(&keys[2], 0, 2, BTLessEqualStrategyNumber, InvalidOid,
							   InvalidOid, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(event_time));
		/*
		 * Backwards: the latest session first; of sessions that started at
		 * the same instant, the greatest session_id in byte order (the
		 * Citus layout's lookups order them so too).
		 */
		if (oj_index_scan_first(m->sess_scan, keys, 3, BackwardScanDirection))
		{
			TupleTableSlot *slot = oj_index_scan_slot(m->sess_scan);
			bool		isnull;
			TimestampTz latest = DatumGetTimestampTz(slot_getattr(slot, m->s_started, &isnull));
			text	   *best = DatumGetTextPP(oj_slot_copy(slot, m->s_session, &isnull));

			oj_fill(out, "customer", slot, m->s_visitor, m->s_session, m->s_attrs);
			while (oj_index_scan_next(m->sess_scan, BackwardScanDirection))
			{
				text	   *sid;

				slot = oj_index_scan_slot(m->sess_scan);
				if (DatumGetTimestampTz(slot_getattr(slot, m->s_started, &isnull)) != latest)
					break;
				sid = DatumGetTextPP(slot_getattr(slot, m->s_session, &isnull));
				if (oj_text_cmp_bytes(sid, best) > 0)
				{
					best = DatumGetTextPP(oj_slot_copy(slot, m->s_session, &isnull));
					oj_fill(out, "customer", slot, m->s_visitor, m->s_session, m->s_attrs);
				}
			}
		}
	}
}

/* Whether the matcher answers batches only (oj_match_many()). */
bool
oj_matcher_batched(OjMatcher *m)
{
	return m->citus;
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

/* A row found by a batched lookup, copied out of SPI. */
typedef struct OjFound
{
	char	   *key;			/* transaction ID or customer ID (hash key) */
	TimestampTz at;				/* expires_at, or started_at */
	Datum		visitor_id, session_id, snapshot;
	bool		visitor_null, session_null, snapshot_null;
	struct OjFound *next;		/* a customer's next older session */
} OjFound;

typedef struct OjFoundEntry
{
	char	   *key;
	OjFound    *first;
	OjFound    *last;
} OjFoundEntry;

/* A NUL-terminated copy of a non-empty text key, or NULL. */
static char *
oj_key(text *t)
{
	return (t != NULL && VARSIZE_ANY_EXHDR(t) > 0) ? text_to_cstring(t) : NULL;
}

/* Hash tables keyed by a pointer to a NUL-terminated string. */
static uint32
oj_strptr_hash(const void *key, Size keysize)
{
	const char *k = *(const char *const *) key;

	return hash_bytes((const unsigned char *) k, (int) strlen(k));
}

static int
oj_strptr_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static HTAB *
oj_found_hash(const char *name, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(OjFoundEntry);
	ctl.hcxt = cxt;
	ctl.hash = oj_strptr_hash;
	ctl.match = oj_strptr_match;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* Adds k to *keys unless seen has it; its entry in seen. */
static OjFoundEntry *
oj_add_key(HTAB *seen, List **keys, char *k)
{
	bool		exists;
	OjFoundEntry *e = hash_search(seen, &k, HASH_ENTER, &exists);

	if (!exists)
	{
		e->first = e->last = NULL;
		*keys = lappend(*keys, k);
	}
	return e;
}

/* The keys as one text[] in CurrentMemoryContext. */
static Datum
oj_keys_array(List *keys)
{
	Datum	   *elems = palloc(sizeof(Datum) * list_length(keys));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, keys)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Where a lookup's rows go: each row (key, at, visitor_id, session_id,
 * snapshot) is copied into cxt and filed under its key as the executor
 * hands it over.  SPI's own result (a tuple table of every row, each
 * formed as a heap tuple, then read column by column) would hold a
 * customer lookup's 250,000 sessions twice until the copies are made.
 */
typedef struct OjFoundDest
{
	DestReceiver pub;
	HTAB	   *found;
	MemoryContext cxt;
} OjFoundDest;

/* Column col of slot copied into CurrentMemoryContext (not null: *isnull). */
static Datum
oj_slot_datum(TupleTableSlot *slot, int col, bool *isnull)
{
	*isnull = slot->tts_isnull[col];
	return *isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(slot->tts_values[col]));
}

static bool
oj_found_receive(TupleTableSlot *slot, DestReceiver *self)
{
	OjFoundDest *d = (OjFoundDest *) self;
	MemoryContext old = MemoryContextSwitchTo(d->cxt);
	OjFound    *f = palloc0(sizeof(OjFound));
	OjFoundEntry *e;
	bool		exists;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		elog(ERROR, "offline_join matching lookup returned a row without its key");
	f->key = TextDatumGetCString(slot->tts_values[0]);
	f->at = DatumGetTimestampTz(slot->tts_values[1]);
	f->visitor_id = oj_slot_datum(slot, 2, &f->visitor_null);
	f->session_id = oj_slot_datum(slot, 3, &f->session_null);
	f->snapshot = oj_slot_datum(slot, 4, &f->snapshot_null);
	e = hash_search(d->found, &f->key, HASH_ENTER, &exists);
	if (!exists)
		e->first = e->last = f;
	else
	{
		e->last->next = f;
		e->last = f;
	}
	MemoryContextSwitchTo(old);
	return true;
}

static void
oj_found_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
oj_found_nothing(DestReceiver *self)
{
}

/* Runs sql (inside SPI) and files each row under its key, copied into cxt. */
static void
oj_lookup_query(HTAB *found, const char *sql, int nargs, Oid *types, Datum *args, MemoryContext cxt)
{
	OjFoundDest dest;
	SPIExecuteOptions options;
	ParamListInfo params = makeParamList(nargs);
	int			rc;

	for (int i = 0; i < nargs; i++)
	{
		params->params[i].value = args[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = oj_found_receive;
	dest.pub.rStartup = oj_found_startup;
	dest.pub.rShutdown = oj_found_nothing;
	dest.pub.rDestroy = oj_found_nothing;
	/* any but DestNone (results thrown away) and DestSPI (SPI's tuple table) */
	dest.pub.mydest = DestTuplestore;
	dest.found = found;
	dest.cxt = cxt;
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = true;
	options.dest = &dest.pub;
	rc = SPI_execute_extended(sql, &options);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "offline_join matching lookup failed: %s", SPI_result_code_string(rc));
}

/*
 * The sessions of keys (customer IDs) that started in [from, to], from
 * every shard: sessions is distributed by session_id.  Up to
 * OJ_CUSTOMERS_INLINE keys go in the query as an array, more as a
 * materialized CTE, which Citus sends to each node once as an intermediate
 * result before the shards' queries.  Measured on 32 shards (one query, a
 * PL/pgSQL loop): 1 key 2.2 ms inline against 5.8 ms as a CTE, 100 keys 5.5
 * against 8.4 ms, 300 keys 17 against 15 ms, 1,000 keys 69 against 29 ms
 * (and with 20,000 keys a load's lookups took 13.4 s inline against 11.8
 * s).  attribute(), a LATERAL row at a time, asks for one.
 */
#define OJ_CUSTOMERS_INLINE 100
#define OJ_SESSIONS_COLS "SELECT s.customer_id, s.started_at, s.visitor_id, s.session_id, s.attrs"
#define OJ_SESSIONS_WINDOW "s.started_at OPERATOR(pg_catalog.>=) $2 AND s.started_at OPERATOR(pg_catalog.<=) $3"

static void
oj_lookup_customers(HTAB *found, List *keys, TimestampTz from, TimestampTz to, MemoryContext cxt)
{
	Datum		args[3];
	Oid			types[3] = {TEXTARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID};

	if (keys == NIL)
		return;
	args[0] = oj_keys_array(keys);
	args[1] = TimestampTzGetDatum(from);
	args[2] = TimestampTzGetDatum(to);
	SPI_connect();
	oj_lookup_query(found,
					list_length(keys) <= OJ_CUSTOMERS_INLINE
					? OJ_SESSIONS_COLS " FROM offline_join.sessions s"
					" WHERE s.customer_id OPERATOR(pg_catalog.=) ANY ($1) AND " OJ_SESSIONS_WINDOW
					: "WITH k AS MATERIALIZED (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS id) "
					OJ_SESSIONS_COLS " FROM offline_join.sessions s JOIN k ON s.customer_id OPERATOR(pg_catalog.=) k.id"
					" WHERE " OJ_SESSIONS_WINDOW,
					3, types, args, cxt);
	SPI_finish();
}

/*
 * The transactions rows of keys, asked shard by shard: transactions (table
 * txn_oid) is distributed by transaction_id, so Citus's own hash puts each
 * key in one shard (oj_citus_shard_groups()), and each shard's keys go in
 * one query that Citus routes to that shard alone.
 * One query for all keys would send every key to every shard (Citus gives
 * each shard the whole array or intermediate result), and every shard
 * would probe for them all: shards times keys.
 */
static void
oj_lookup_txns(HTAB *found, List *keys, Oid txn_oid, MemoryContext cxt)
{
	Oid			type = TEXTARRAYOID;
	Datum		all;
	Datum	   *groups;
	uint64		ngroups;

	if (keys == NIL)
		return;
	all = oj_keys_array(keys);
	SPI_connect();
	/* the groups live until SPI_finish(), the rows found in cxt */
	ngroups = oj_citus_shard_groups(txn_oid, 1, &all, &groups, CurrentMemoryContext);
	for (uint64 g = 0; g < ngroups; g++)
		oj_lookup_query(found,
						"SELECT t.transaction_id, t.expires_at, t.visitor_id, t.session_id, t.snapshot"
						" FROM offline_join.transactions t"
						" WHERE t.transaction_id OPERATOR(pg_catalog.=) ANY ($1)",
						1, &type, &groups[g], cxt);
	SPI_finish();
}

static void
oj_fill_found(OjMatch *out, const char *kind, const OjFound *f)
{
	out->kind = kind;
	out->visitor_id = f->visitor_id;
	out->visitor_null = f->visitor_null;
	out->session_id = f->session_id;
	out->session_null = f->session_null;
	out->snapshot = f->snapshot;
	out->snapshot_null = f->snapshot_null;
}

/*
 * The rule for n events at once, for the Citus layout: the transaction IDs
 * of the batch, each shard asked only for its own (oj_lookup_txns()); the
 * sessions of every customer of the batch that the first did not match, in
 * the widest window any of its events needs; and then the rule in C per
 * event, as oj_match() applies it: the latest session in the event's
 * window, of equal started_at the greatest session_id in byte order.
 * Sessions are distributed by session_id, so every shard may hold a
 * session of any customer: the customer keys go to every shard
 * (oj_lookup_customers()).  Results live until the next batch (or until
 * the matcher is closed); out[i] is event i's.
 */
void
oj_match_many(OjMatcher *m, int n, const TimestampTz *times, text *const *customers,
			  text *const *txns, const Interval *lookback, OjMatch *out)
{
	MemoryContext old;
	HTAB	   *by_txn;
	HTAB	   *by_customer;
	HTAB	   *seen;
	List	   *keys = NIL;
	TimestampTz from = DT_NOEND,
				to = DT_NOBEGIN;

	if (!m->citus)
	{
		for (int i = 0; i < n; i++)
			oj_match(m, times[i], customers[i], txns[i], lookback, &out[i]);
		return;
	}
	MemoryContextReset(m->cxt);
	old = MemoryContextSwitchTo(m->cxt);
	by_txn = oj_found_hash("offline_join transaction IDs", m->cxt);
	by_customer = oj_found_hash("offline_join customers", m->cxt);

	seen = oj_found_hash("offline_join keys", m->cxt);
	for (int i = 0; i < n; i++)
	{
		char	   *k = oj_key(txns[i]);

		out[i].kind = "unmatched";
		out[i].visitor_null = out[i].session_null = out[i].snapshot_null = true;
		out[i].visitor_id = out[i].session_id = out[i].snapshot = (Datum) 0;
		if (k)
			(void) oj_add_key(seen, &keys, k);
	}
	oj_lookup_txns(by_txn, keys, m->txn_oid, m->cxt);

	keys = NIL;
	hash_destroy(seen);
	seen = oj_found_hash("offline_join keys", m->cxt);
	for (int i = 0; i < n; i++)
	{
		char	   *k = oj_key(txns[i]);
		bool		exists;

		if (k)
		{
			OjFoundEntry *e = hash_search(by_txn, &k, HASH_FIND, &exists);

			if (exists && e->first && times[i] <= e->first->at)
			{
				oj_fill_found(&out[i], "transaction", e->first);
				continue;
			}
		}
		k = oj_key(customers[i]);
		if (k)
		{
			/* one window for the batch: a window per key made the shards slower */
			TimestampTz start = oj_lookback_start(times[i], lookback);

			if (start < from)
				from = start;
			if (times[i] > to)
				to = times[i];
			(void) oj_add_key(seen, &keys, k);
		}
	}
	oj_lookup_customers(by_customer, keys, from, to, m->cxt);

	for (int i = 0; i < n; i++)
	{
		char	   *k;
		OjFoundEntry *e;
		bool		exists;
		TimestampTz start;
		OjFound    *best;

		if (strcmp(out[i].kind, "unmatched") != 0 || (k = oj_key(customers[i])) == NULL)
			continue;
		e = hash_search(by_customer, &k, HASH_FIND, &exists);
		if (!exists)
			continue;
		start = oj_lookback_start(times[i], lookback);
		best = NULL;
		for (OjFound *f = e->first; f != NULL; f = f->next)
		{
			if (f->at > times[i] || f->at < start)
				continue;
			if (best == NULL || f->at > best->at ||
				(f->at == best->at &&
				 oj_text_cmp_bytes(DatumGetTextPP(f->session_id), DatumGetTextPP(best->session_id)) > 0))
				best = f;
		}
		if (best != NULL)
			oj_fill_found(&out[i], "customer", best);
	}
	MemoryContextSwitchTo(old);
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
		if (m->citus)
		{
			/* out of the batch's context, which closing the matcher frees */
			res.visitor_id = res.visitor_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(res.visitor_id));
			res.session_id = res.session_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(res.session_id));
			res.snapshot = res.snapshot_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(res.snapshot));
		}
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
