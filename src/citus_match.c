/*-------------------------------------------------------------------------
 *
 * citus_match.c
 *	  The matching rule's candidate lookups on the Citus layout (match.c
 *	  applies the rule): a batch of events at a time, with SQL that Citus
 *	  plans.  The transaction IDs of the batch go to their shards, each
 *	  shard asked only for its own (oj_lookup_txns()); the sessions of the
 *	  customers that did not match by transaction ID come from every shard
 *	  (sessions is distributed by session_id), in the widest window any of
 *	  their events needs (oj_lookup_customers()).  The rows found are kept
 *	  in hash tables by key until the next batch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/params.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "source.h"
#include "security.h"
#include "catalog.h"
#include "citus.h"
#include "match.h"

/* A row found by a batched lookup, copied out of SPI. */
typedef struct OjFound
{
	text	   *key;			/* transaction ID or customer ID (hash key) */
	TimestampTz at;				/* expires_at, or started_at */
	Datum		visitor_id, session_id, snapshot;
	bool		visitor_null, session_null, snapshot_null;
	struct OjFound *next;		/* a customer's next older session */
} OjFound;

typedef struct OjFoundEntry
{
	text	   *key;
	OjFound    *first;
	OjFound    *last;
} OjFoundEntry;

/*
 * Hash tables keyed by a pointer to a text value (either header), compared
 * by its bytes: the keys of the rows read are looked up as they are, not
 * copied into C strings first (a transaction-ID load spent a sixth of the
 * coordinator's time in these tables when they were).
 */
static uint32
oj_textptr_hash(const void *key, Size keysize)
{
	const text *k = *(const text *const *) key;

	return hash_bytes((const unsigned char *) VARDATA_ANY(k), (int) VARSIZE_ANY_EXHDR(k));
}

static int
oj_textptr_match(const void *a, const void *b, Size keysize)
{
	const text *x = *(const text *const *) a;
	const text *y = *(const text *const *) b;
	Size		len = VARSIZE_ANY_EXHDR(x);

	return len == VARSIZE_ANY_EXHDR(y) ? memcmp(VARDATA_ANY(x), VARDATA_ANY(y), len) : 1;
}

/* A hash table of found rows by key, in cxt, sized for nkeys keys. */
static HTAB *
oj_found_hash(const char *name, MemoryContext cxt, int nkeys)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(text *);
	ctl.entrysize = sizeof(OjFoundEntry);
	ctl.hcxt = cxt;
	ctl.hash = oj_textptr_hash;
	ctl.match = oj_textptr_match;
	return hash_create(name, Max(nkeys, 16), &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * Adds k to *keys unless seen has it, as a copy in CurrentMemoryContext;
 * its entry in seen.
 */
static OjFoundEntry *
oj_add_key(HTAB *seen, List **keys, text *k)
{
	bool		exists;
	OjFoundEntry *e = hash_search(seen, &k, HASH_ENTER, &exists);

	if (!exists)
	{
		e->key = (text *) DatumGetPointer(datumCopy(PointerGetDatum(k), false, -1));
		e->first = e->last = NULL;
		*keys = lappend(*keys, e->key);
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
		elems[n++] = PointerGetDatum(lfirst(lc));
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

/* Files one row of a lookup under its key, copied into the destination's context. */
static bool
oj_found_receive(TupleTableSlot *slot, DestReceiver *self)
{
	OjFoundDest *d = (OjFoundDest *) self;
	MemoryContext old = MemoryContextSwitchTo(d->cxt);
	OjFound    *f = palloc0(sizeof(OjFound));
	OjFoundEntry *e;
	bool		exists;
	bool		isnull;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		elog(ERROR, "offline_join matching lookup returned a row without its key");
	f->key = (text *) DatumGetPointer(oj_slot_datum(slot, 0, &isnull));
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

/* Nothing to set up or to shut down. */
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

/* What a batch's lookups know: the rule asks first, then gets answers. */
typedef enum OjCitusPhase
{
	OJ_ASK_TXNS,				/* the rule's first pass: the transaction IDs it asks for */
	OJ_ASK_SESSIONS,			/* its second: the customers it asks for, and their window */
	OJ_ANSWER					/* its third: every row found */
} OjCitusPhase;

typedef struct OjCitusLookups
{
	MemoryContext cxt;			/* the current batch's lookups */
	Oid			txn_oid;		/* the transactions table (its shell) */
	OjCitusPhase phase;
	int			nevents;		/* in the current batch */
	HTAB	   *by_txn;			/* rows found, by transaction ID */
	HTAB	   *by_customer;	/* by customer ID, each customer's sessions in a list */
	HTAB	   *seen;			/* the keys asked for in this phase */
	List	   *keys;			/* the same, in the order asked */
	TimestampTz from,			/* the sessions' window: the union of the events' */
				to;
	OjFound    *txn;			/* the row found last */
	OjFound    *session;
} OjCitusLookups;

/* Notes a key the rule asks for (once), copied into the batch's context. */
static void
oj_citus_ask(OjCitusLookups *c, text *key)
{
	MemoryContext old = MemoryContextSwitchTo(c->cxt);

	(void) oj_add_key(c->seen, &c->keys, pg_detoast_datum_packed(key));
	MemoryContextSwitchTo(old);
}

/* The row found under key, or NULL. */
static OjFound *
oj_citus_found(HTAB *found, text *key)
{
	bool		exists;
	OjFoundEntry *e;

	key = pg_detoast_datum_packed(key);
	e = hash_search(found, &key, HASH_FIND, &exists);

	return exists ? e->first : NULL;
}

/* First pass: notes the transaction ID; then the row found for it, if any. */
static bool
oj_citus_txn(void *state, text *txn, TimestampTz *expires_at)
{
	OjCitusLookups *c = state;

	if (c->phase == OJ_ASK_TXNS)
	{
		oj_citus_ask(c, txn);
		return false;
	}
	c->txn = oj_citus_found(c->by_txn, txn);
	if (c->txn == NULL)
		return false;
	*expires_at = c->txn->at;
	return true;
}

/* Copies a found row's match columns into *out (the batch's memory). */
static void
oj_fill_found(OjMatch *out, const OjFound *f)
{
	out->visitor_id = f->visitor_id;
	out->visitor_null = f->visitor_null;
	out->session_id = f->session_id;
	out->session_null = f->session_null;
	out->snapshot = f->snapshot;
	out->snapshot_null = f->snapshot_null;
}

/* Copies the transactions row found last into *out. */
static void
oj_citus_txn_fill(void *state, OjMatch *out)
{
	oj_fill_found(out, ((OjCitusLookups *) state)->txn);
}

/* The current session's started_at and session_id, or false after the last. */
static bool
oj_citus_session(OjCitusLookups *c, TimestampTz *started_at, text **session_id)
{
	if (c->session == NULL)
		return false;
	*started_at = c->session->at;
	*session_id = DatumGetTextPP(c->session->session_id);
	return true;
}

/*
 * The customer's sessions found in the batch's window, in no particular
 * order (the rule checks each against its event's window).
 */
static bool
oj_citus_sessions_first(void *state, text *customer, TimestampTz from, TimestampTz to,
						TimestampTz *started_at, text **session_id)
{
	OjCitusLookups *c = state;

	if (c->phase == OJ_ASK_TXNS)
		return false;
	if (c->phase == OJ_ASK_SESSIONS)
	{
		/* one window for the batch: a window per key made the shards slower */
		if (from < c->from)
			c->from = from;
		if (to > c->to)
			c->to = to;
		oj_citus_ask(c, customer);
		return false;
	}
	c->session = oj_citus_found(c->by_customer, customer);
	return oj_citus_session(c, started_at, session_id);
}

/* The customer's next session found. */
static bool
oj_citus_sessions_next(void *state, TimestampTz *started_at, text **session_id)
{
	OjCitusLookups *c = state;

	c->session = c->session->next;
	return oj_citus_session(c, started_at, session_id);
}

/* Copies the session found last into *out. */
static void
oj_citus_session_fill(void *state, OjMatch *out)
{
	oj_fill_found(out, ((OjCitusLookups *) state)->session);
}

/*
 * A new batch of nevents events: forgets the last one's rows; the rule asks
 * for transaction IDs first.  Each table holds at most a key per event.
 */
static void
oj_citus_batch_begin(void *state, int nevents)
{
	OjCitusLookups *c = state;

	MemoryContextReset(c->cxt);
	c->nevents = nevents;
	c->by_txn = oj_found_hash("offline_join transaction IDs", c->cxt, nevents);
	c->by_customer = oj_found_hash("offline_join customers", c->cxt, nevents);
	c->seen = oj_found_hash("offline_join keys", c->cxt, nevents);
	c->keys = NIL;
	c->from = DT_NOEND;
	c->to = DT_NOBEGIN;
	c->txn = c->session = NULL;
	c->phase = OJ_ASK_TXNS;
}

/* Looks up what the rule asked for in its last pass; it gets the answers in the next. */
static void
oj_citus_batch_lookup(void *state)
{
	OjCitusLookups *c = state;
	MemoryContext old = MemoryContextSwitchTo(c->cxt);

	if (c->phase == OJ_ASK_TXNS)
	{
		oj_lookup_txns(c->by_txn, c->keys, c->txn_oid, c->cxt);
		c->phase = OJ_ASK_SESSIONS;
		/* the second pass asks for customers afresh */
		hash_destroy(c->seen);
		c->seen = oj_found_hash("offline_join keys", c->cxt, c->nevents);
	}
	else
	{
		oj_lookup_customers(c->by_customer, c->keys, c->from, c->to, c->cxt);
		c->phase = OJ_ANSWER;
	}
	c->keys = NIL;
	MemoryContextSwitchTo(old);
}

/* Frees the batch's rows and the lookups. */
static void
oj_citus_close(void *state)
{
	OjCitusLookups *c = state;

	MemoryContextDelete(c->cxt);
	pfree(c);
}

static const OjLookups oj_citus_lookups = {
	.ordered = false,
	.txn = oj_citus_txn,
	.txn_fill = oj_citus_txn_fill,
	.sessions_first = oj_citus_sessions_first,
	.sessions_next = oj_citus_sessions_next,
	.session_fill = oj_citus_session_fill,
	.batch_begin = oj_citus_batch_begin,
	.batch_lookup = oj_citus_batch_lookup,
	.close = oj_citus_close,
};

/*
 * Checks that the caller may read the online tables (their shells say who
 * may and whether row-level security applies; the rows come by SQL), and
 * opens the batched lookups; *state is theirs.
 */
const OjLookups *
oj_citus_lookups_open(void **state)
{
	OjCitusLookups *c = palloc0(sizeof(OjCitusLookups));
	const char *const names[2] = {"transactions", "sessions"};

	for (int i = 0; i < 2; i++)
	{
		Relation	rel = table_open(oj_relation_oid(names[i]), AccessShareLock);

		oj_check_table_privilege(rel, ACL_SELECT);
		oj_check_no_rls(rel);
		if (i == 0)
			c->txn_oid = RelationGetRelid(rel);
		table_close(rel, NoLock);
	}
	c->cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join match batch",
								   ALLOCSET_DEFAULT_SIZES);
	*state = c;
	return &oj_citus_lookups;
}
