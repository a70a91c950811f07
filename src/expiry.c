/*-------------------------------------------------------------------------
 *
 * expiry.c
 *	  Expiry of transaction IDs (spec section 6) and retention of rejects
 *	  (section 9).  A pass deletes the rows of offline_join.transactions
 *	  past expires_at, batch by batch through the expires_at index, or the
 *	  rejects of the loads that finished more than
 *	  offline_join.reject_retention ago, batch by batch through the
 *	  (load_id, line_no) index, and keeps one row in
 *	  offline_join.expiry_runs (column what says which).  The background
 *	  worker "offline_join expiry" runs a pass of each every
 *	  offline_join.expire_naptime seconds with one short transaction per
 *	  batch; offline_join.expire() and offline_join.expire_rejects() run
 *	  the same pass in the caller's transaction.  The worker is started by
 *	  the launcher "offline_join launcher", which connects to no database:
 *	  it looks offline_join.database up in pg_database, says once when it
 *	  does not exist, and starts the worker there when it does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "access/genam.h"
#include "commands/dbcommands.h"
#include "access/table.h"
#include "catalog/pg_database.h"
#include "utils/fmgroids.h"
#include "utils/relcache.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "source.h"
#include "catalog.h"
#include "citus.h"
#include "expiry.h"
#include "guc.h"
#include "security.h"
#include "subxact.h"
#include "pg_compat.h"

PG_FUNCTION_INFO_V1(oj_expire);
PG_FUNCTION_INFO_V1(oj_expire_rejects);
PGDLLEXPORT void oj_expiry_worker_main(Datum main_arg);
PGDLLEXPORT void oj_expiry_launcher_main(Datum main_arg);

#define OJ_RUNS_KEPT_MINUS_1	999 /* expiry_runs keeps its newest 1000 rows */
#define OJ_MAX_BATCH			10000000	/* as offline_join.expire_batch_size */
#define OJ_RESTART_SECONDS		5	/* bgw_restart_time; the launcher's wait before a new worker */
#define OJ_RANGE_LOCK_TIMEOUT	"10ms"	/* longest wait of a range delete on a row lock */
#define OJ_YIELD_FACTOR			3	/* rest after a batch, while clients run, this many times its time */

/* Was the worker registered, that is, the library preloaded? */
static bool oj_worker_registered = false;

/* One pass, as far as it is done (expire()) or committed (worker). */
typedef struct OjPass
{
	bool		worker;			/* a transaction per batch; else the caller's */
	const char *who;			/* expiry_runs.who */
	int			batch_size;
	TimestampTz started_at;
	TimestampTz lower;			/* the next batch starts at this expires_at */
	bool		exhausted;		/* no expired row left from lower on: the pass is done */
	int64		run_id;			/* its expiry_runs row; 0 until something is deleted */
	bool		run_committed;	/* worker: that row is committed */
	int64		deleted;
	int32		batches;		/* batches that deleted rows */
	double		longest_ms;		/* the longest batch (worker: commit included) */
	const char *table;			/* what it deletes from: offline_join.transactions (or
								 * rejects), or on the Citus layout one of its shards
								 * on this node */
	bool		rejects;		/* purges rejects, not transaction IDs */
	const char *loads;			/* rejects: the ledger as this node reads it */
	TimestampTz cutoff;			/* rejects: of loads that finished before this */
	int64		lower_load;		/* rejects: the next batch starts at this load_id */
	int64		lower_line;		/* rejects: and in that load at this line_no */
} OjPass;

/* Saved plans of this backend; the batch size is a constant in two of them. */
static int	plans_batch = 0;
static char *plans_table = NULL;
static SPIPlanPtr bound_plan = NULL;
static SPIPlanPtr range_plan = NULL;
static SPIPlanPtr locked_plan = NULL;
static SPIPlanPtr run_insert_plan = NULL;
static SPIPlanPtr run_insert_rejects_plan = NULL;
static SPIPlanPtr run_trim_plan = NULL;
static SPIPlanPtr run_update_plan = NULL;

/* Prepares sql once per backend (one generic plan) and keeps it in *slot. */
static SPIPlanPtr
oj_saved_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		*slot = plan;
	}
	return *slot;
}

/* Forgets the plans made for another batch size or another table. */
static void
oj_plans_for(int batch_size, const char *table)
{
	bool		same_table = plans_table != NULL && strcmp(plans_table, table) == 0;

	if (plans_batch == batch_size && same_table)
		return;
	if (bound_plan)
		SPI_freeplan(bound_plan);
	if (locked_plan)
		SPI_freeplan(locked_plan);
	bound_plan = locked_plan = NULL;
	if (!same_table)
	{
		if (range_plan)
			SPI_freeplan(range_plan);
		range_plan = NULL;
		if (plans_table)
			pfree(plans_table);
		plans_table = MemoryContextStrdup(TopMemoryContext, table);
	}
	plans_batch = batch_size;
}

/* Runs a saved plan of timestamptz arguments (SPI connected; sql only needed the first time). */
static int
oj_run_plan(SPIPlanPtr *slot, const char *sql, Datum *args, int nargs)
{
	return SPI_execute_plan(oj_saved_plan(slot, sql, nargs, (Oid[]) {TIMESTAMPTZOID, TIMESTAMPTZOID}),
							args, NULL, false, 0);
}

static bool oj_delete_range(OjPass *p, TimestampTz upper, int64 *n);

/*
 * The exact batch: pg_net's pattern.  SKIP LOCKED leaves alone a row that a
 * concurrent record_transaction() is replacing, and never waits on a row
 * lock.  The outer expires_at test is rechecked on the newest version of a
 * row updated meanwhile, so an unexpired row is never deleted.  When every
 * row taken was deleted, the next batch starts at the last one's
 * expires_at again (rows of the same expires_at may follow).  When some
 * were not (a BEFORE DELETE trigger or a policy kept them, or they changed
 * meanwhile), taking the same rows again would never end: one range
 * delete up to the last one's expires_at takes every row there that can
 * go (a larger batch, only then), and the pass goes on after it.  A kept
 * row thus sees its trigger at most twice in a pass.
 */
static int64
oj_delete_locked(OjPass *p)
{
	Datum		arg = TimestampTzGetDatum(p->lower);
	bool		isnull;
	int64		deleted, taken, more;
	TimestampTz last;
	int			rc;

	rc = oj_run_plan(&locked_plan, locked_plan ? NULL : psprintf(
		"WITH picked AS MATERIALIZED ("
		"  SELECT ctid, expires_at FROM %s"
		"   WHERE expires_at OPERATOR(pg_catalog.>=) $1"
		"     AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()"
		"   ORDER BY expires_at LIMIT %d"
		"   FOR UPDATE SKIP LOCKED),"
		" gone AS ("
		"  DELETE FROM %s"
		"   WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT ctid FROM picked))"
		"     AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()"
		"   RETURNING 1)"
		" SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM picked),"
		"        (SELECT pg_catalog.max(expires_at)::pg_catalog.timestamptz FROM picked)",
		p->table, p->batch_size, p->table), &arg, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "deleting expired transactions failed: %s", SPI_result_code_string(rc));
	deleted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	taken = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (taken == 0)
	{
		p->exhausted = true;
		return deleted;
	}
	last = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (deleted == taken)
	{
		p->lower = last;
		return deleted;
	}
	if (oj_delete_range(p, last, &more))
		deleted += more;
	p->lower = last + 1;		/* timestamptz counts microseconds */
	return deleted;
}

/*
 * The fast batch: every expired row with expires_at in [p->lower, upper], one
 * index range scan (a third of the work of the exact batch).  It runs in a
 * subtransaction with a short lock_timeout: a row lock held elsewhere for
 * longer rolls it back (false), so the pass never holds its locks while
 * waiting long enough for a deadlock.
 */
/* The range delete's body, in its subtransaction (oj_subxact_run()). */
typedef struct OjRangeBody
{
	TimestampTz lower, upper;
	int64	   *n;
	const char *table;
} OjRangeBody;

static bool
oj_delete_range_body(void *arg)
{
	OjRangeBody *b = arg;
	Datum		args[2] = {TimestampTzGetDatum(b->lower), TimestampTzGetDatum(b->upper)};
	int			nest = NewGUCNestLevel();
	int			rc;

	(void) set_config_option("lock_timeout", OJ_RANGE_LOCK_TIMEOUT, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	rc = oj_run_plan(&range_plan, range_plan ? NULL :
					 psprintf("DELETE FROM %s"
							  " WHERE expires_at OPERATOR(pg_catalog.>=) $1"
							  "   AND expires_at OPERATOR(pg_catalog.<=) $2"
							  "   AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()", b->table),
					 args, 2);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "deleting expired transactions failed: %s", SPI_result_code_string(rc));
	*b->n = SPI_processed;
	AtEOXact_GUC(true, nest);
	return true;
}

static bool
oj_delete_range(OjPass *p, TimestampTz upper, int64 *n)
{
	OjRangeBody body = {p->lower, upper, n, p->table};
	ErrorData  *edata;

	if (oj_subxact_run(oj_delete_range_body, &body, &edata))
		return true;
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		ReThrowError(edata);
	FreeErrorData(edata);
	return false;
}

/*
 * Deletes one batch of at most about batch_size rows from p->lower on, in
 * expires_at order, through the expires_at index (SPI connected); returns
 * how many and moves p->lower on past every row it looked at, or sets
 * p->exhausted: rows kept by a trigger or a policy do not stop the pass.
 * Usually a range delete up to the batch_size-th row; the exact batch when
 * that row's expires_at is shared with the next one (the range would be
 * larger than a batch) or when the range delete met a row lock.
 */
static int64
oj_delete_batch(OjPass *p)
{
	Datum		arg = TimestampTzGetDatum(p->lower);
	TimestampTz upper = DT_NOEND;	/* fewer than batch_size rows: all of them */
	int64		n;
	int			rc;

	oj_plans_for(p->batch_size, p->table);
	rc = oj_run_plan(&bound_plan, bound_plan ? NULL : psprintf(
		"SELECT expires_at::pg_catalog.timestamptz FROM %s"
		" WHERE expires_at OPERATOR(pg_catalog.>=) $1"
		"   AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()"
		" ORDER BY expires_at OFFSET %d LIMIT 2", p->table, p->batch_size - 1), &arg, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading %s failed: %s", p->table, SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		bool		isnull;

		upper = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (SPI_processed == 2 &&
			upper == DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[1], SPI_tuptable->tupdesc, 1, &isnull)))
			return oj_delete_locked(p);
	}
	if (!oj_delete_range(p, upper, &n))
		return oj_delete_locked(p);
	/* what the range left is kept by a trigger or a policy: on after it */
	if (upper == DT_NOEND)
		p->exhausted = true;
	else
		p->lower = upper + 1;	/* timestamptz counts microseconds */
	return n;
}

/* Saved plans of the purge of rejects, for one rejects table (or shard) and one ledger. */
static char *reject_plans_table = NULL;
static SPIPlanPtr reject_next_plan = NULL;
static SPIPlanPtr reject_delete_plan = NULL;

/* Forgets the plans made for another rejects table or ledger. */
static void
oj_reject_plans_for(const char *table, const char *loads)
{
	char	   *key = psprintf("%s %s", table, loads);

	if (reject_plans_table != NULL && strcmp(reject_plans_table, key) == 0)
		return;
	if (reject_next_plan)
		SPI_freeplan(reject_next_plan);
	if (reject_delete_plan)
		SPI_freeplan(reject_delete_plan);
	reject_next_plan = reject_delete_plan = NULL;
	if (reject_plans_table)
		pfree(reject_plans_table);
	reject_plans_table = MemoryContextStrdup(TopMemoryContext, key);
}

/* A reject is old when its load finished before the cutoff (a ledger row from before 0.1.2 may lack finished_at). */
#define OJ_LOAD_IS_OLD(l, cutoff) \
	"COALESCE(" l ".finished_at, " l ".started_at) OPERATOR(pg_catalog.<) " cutoff

/*
 * Rejects: the first load_id from p->lower_load on that still has rejects
 * and whose load finished before p->cutoff; false when there is none.  A
 * walk over the distinct load_ids of the rejects (a skip scan of their
 * (load_id, line_no) index, in one statement), each looked up in the ledger
 * by its primary key: a pass costs a probe per load whose rejects are
 * still kept, however long the ledger grows.  Rejects whose load has no
 * ledger row have no age and are kept.
 */
static bool
oj_next_old_load(OjPass *p, int64 *load_id)
{
	Datum		args[2] = {Int64GetDatum(p->lower_load), TimestampTzGetDatum(p->cutoff)};
	bool		isnull;
	int			rc;

	rc = SPI_execute_plan(oj_saved_plan(&reject_next_plan, reject_next_plan ? NULL : psprintf(
		"WITH RECURSIVE walk(load_id) AS ("
		"  SELECT (SELECT r.load_id FROM %s r WHERE r.load_id OPERATOR(pg_catalog.>=) $1"
		"           ORDER BY r.load_id LIMIT 1)"
		"  UNION ALL"
		"  SELECT (SELECT r.load_id FROM %s r WHERE r.load_id OPERATOR(pg_catalog.>) w.load_id"
		"           ORDER BY r.load_id LIMIT 1)"
		"    FROM walk w WHERE w.load_id IS NOT NULL)"
		" SELECT w.load_id FROM walk w"
		"  WHERE w.load_id IS NULL"
		"     OR EXISTS (SELECT FROM %s l WHERE l.load_id OPERATOR(pg_catalog.=) w.load_id"
		"                   AND " OJ_LOAD_IS_OLD("l", "$2") ")"
		"  LIMIT 1", p->table, p->table, p->loads), 2, (Oid[]) {INT8OID, TIMESTAMPTZOID}),
						  args, NULL, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading %s failed: %s", p->table, SPI_result_code_string(rc));
	*load_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return !isnull;
}

/*
 * Rejects: deletes at most want rejects of load load_id from line
 * p->lower_line on, in line order (SPI connected), pg_net's pattern as
 * oj_delete_locked(): SKIP LOCKED leaves rows that a concurrent unload()
 * is deleting; the load's age is checked again in the statement.  Sets
 * *taken to the rows it took, and moves the cursor past them: to the next
 * load when fewer than want were taken, past the last line taken when some
 * were kept (by a trigger or a policy), so kept rows never stop the pass.
 */
static int64
oj_delete_rejects_of(OjPass *p, int64 load_id, int64 want, int64 *taken)
{
	Datum		args[4] = {Int64GetDatum(load_id), Int64GetDatum(p->lower_line), Int64GetDatum(want),
	TimestampTzGetDatum(p->cutoff)};
	bool		isnull;
	int64		deleted, last;
	int			rc;

	rc = SPI_execute_plan(oj_saved_plan(&reject_delete_plan, reject_delete_plan ? NULL : psprintf(
		"WITH picked AS MATERIALIZED ("
		"  SELECT ctid, line_no FROM %s"
		"   WHERE load_id OPERATOR(pg_catalog.=) $1 AND line_no OPERATOR(pg_catalog.>=) $2"
		"     AND EXISTS (SELECT FROM %s l WHERE l.load_id OPERATOR(pg_catalog.=) $1"
		"                    AND " OJ_LOAD_IS_OLD("l", "$4") ")"
		"   ORDER BY line_no LIMIT $3"
		"   FOR UPDATE SKIP LOCKED),"
		" gone AS ("
		"  DELETE FROM %s"
		"   WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT ctid FROM picked))"
		"     AND load_id OPERATOR(pg_catalog.=) $1"
		"   RETURNING 1)"
		" SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM picked),"
		"        (SELECT pg_catalog.max(line_no) FROM picked)",
		p->table, p->loads, p->table), 4, (Oid[]) {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}),
						  args, NULL, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "deleting old rejects failed: %s", SPI_result_code_string(rc));
	deleted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*taken = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	last = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (*taken < want || last == PG_INT64_MAX)
	{
		/* the load is done for this pass (what is left is locked) */
		if (load_id == PG_INT64_MAX)
			p->exhausted = true;
		else
			p->lower_load = load_id + 1;
		p->lower_line = PG_INT64_MIN;
	}
	else
		p->lower_line = deleted == *taken ? last : last + 1;	/* rows of that line may follow */
	return deleted;
}

/*
 * Rejects: deletes one batch of at most batch_size old rejects, load after
 * load from the cursor on (SPI connected); returns how many, or sets
 * p->exhausted when no load with old rejects is left.
 */
static int64
oj_delete_rejects_batch(OjPass *p)
{
	int64		deleted = 0,
				taken = 0;

	oj_reject_plans_for(p->table, p->loads);
	while (taken < p->batch_size)
	{
		int64		load_id, n;

		if (!oj_next_old_load(p, &load_id))
		{
			p->exhausted = true;
			break;
		}
		if (load_id != p->lower_load)
			p->lower_line = PG_INT64_MIN;
		p->lower_load = load_id;
		deleted += oj_delete_rejects_of(p, load_id, p->batch_size - taken, &n);
		taken += n;
		if (p->exhausted)
			break;
	}
	return deleted;
}

/*
 * Writes the pass's expiry_runs row (SPI connected): inserts it the first
 * time, trimming the table to its newest 1000 rows, updates it after.
 */
static void
oj_record_run(OjPass *p, int64 deleted, int32 batches, bool finished, const char *error)
{
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int			rc;

	if (p->run_id == 0)
	{
		bool		isnull;

		values[0] = CStringGetTextDatum(p->who);
		values[1] = TimestampTzGetDatum(p->started_at);
		values[2] = Int64GetDatum(deleted);
		values[3] = Int32GetDatum(batches);
		values[4] = Float8GetDatum(p->longest_ms);
		values[5] = BoolGetDatum(finished);
		values[6] = error ? CStringGetTextDatum(error) : (Datum) 0;
		nulls[6] = error ? ' ' : 'n';
		/* a pass over transactions leaves what to its default: 0.2.0's table has no what */
		rc = SPI_execute_plan(oj_saved_plan(p->rejects ? &run_insert_rejects_plan : &run_insert_plan,
											psprintf("INSERT INTO offline_join.expiry_runs"
													 " (%swho, started_at, deleted, batches, longest_batch_ms, finished_at, error)"
													 " VALUES (%s$1, $2, $3, $4, $5,"
													 "  CASE WHEN $6 THEN pg_catalog.clock_timestamp() END, $7)"
													 " RETURNING run_id::pg_catalog.int8",
													 p->rejects ? "what, " : "", p->rejects ? "'rejects', " : ""),
											7, (Oid[]) {TEXTOID, TIMESTAMPTZOID, INT8OID, INT4OID, FLOAT8OID, BOOLOID, TEXTOID}),
							  values, nulls, false, 0);
		if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
			elog(ERROR, "writing to offline_join.expiry_runs failed: %s", SPI_result_code_string(rc));
		p->run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		rc = SPI_execute_plan(oj_saved_plan(&run_trim_plan,
											"DELETE FROM offline_join.expiry_runs"
											" WHERE run_id OPERATOR(pg_catalog.<) (SELECT run_id"
											"  FROM offline_join.expiry_runs ORDER BY run_id DESC"
											"  OFFSET " CppAsString2(OJ_RUNS_KEPT_MINUS_1) " LIMIT 1)",
											0, NULL),
							  NULL, NULL, false, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "trimming offline_join.expiry_runs failed: %s", SPI_result_code_string(rc));
		return;
	}
	values[0] = Int64GetDatum(p->run_id);
	values[1] = Int64GetDatum(deleted);
	values[2] = Int32GetDatum(batches);
	values[3] = Float8GetDatum(p->longest_ms);
	values[4] = BoolGetDatum(finished);
	values[5] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[5] = error ? ' ' : 'n';
	rc = SPI_execute_plan(oj_saved_plan(&run_update_plan,
										"UPDATE offline_join.expiry_runs"
										" SET deleted = $2, batches = $3, longest_batch_ms = $4,"
										"  finished_at = CASE WHEN $5 THEN pg_catalog.clock_timestamp() END, error = $6"
										" WHERE run_id OPERATOR(pg_catalog.=) $1",
										6, (Oid[]) {INT8OID, INT8OID, INT4OID, FLOAT8OID, BOOLOID, TEXTOID}),
						  values, nulls, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "writing to offline_join.expiry_runs failed: %s", SPI_result_code_string(rc));
}

/* Worker: a run left without finished_at by an earlier worker was cut short (SPI connected). */
static void
oj_mark_interrupted(void)
{
	int			rc = SPI_execute("UPDATE offline_join.expiry_runs"
								 " SET finished_at = pg_catalog.clock_timestamp(), error = 'interrupted'"
								 " WHERE finished_at IS NULL AND who OPERATOR(pg_catalog.=) 'worker'",
								 false, 0);

	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "writing to offline_join.expiry_runs failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
		ereport(LOG,
				(errmsg("offline_join expiry: marked %llu interrupted run(s) in offline_join.expiry_runs as failed",
						(unsigned long long) SPI_processed)));
}

/*
 * Share-locks the extension for the rest of the transaction; false when it is
 * not installed.  DROP EXTENSION locks it first, before any of its tables, so
 * a pass and a DROP wait for each other in one order and cannot deadlock.
 */
static bool
oj_lock_extension(void)
{
	Oid			ext = get_extension_oid("offline_join", true);

	if (!OidIsValid(ext))
		return false;
	LockDatabaseObject(ExtensionRelationId, ext, 0, AccessShareLock);
	return OidIsValid(get_extension_oid("offline_join", true)); /* not dropped while we waited */
}

/*
 * Worker: the worker runs as a superuser, so it touches the schema only
 * while nobody but the extension's owner can put objects there; otherwise
 * it waits, with one WARNING per change of mind.
 */
static bool
oj_worker_trusts_schema(bool rejects)
{
	static char *warned_of[2] = {NULL, NULL};	/* what the last WARNING of each pass said, in TopMemoryContext */
	char	  **warned_p = &warned_of[rejects ? 1 : 0];
	char	   *warned = *warned_p;
	char	   *why;

	if (oj_owner_writes_trusted(oj_extension_owner(), rejects ? OJ_WRITES_EXPIRY_REJECTS : OJ_WRITES_EXPIRY, &why))
	{
		if (warned)
			pfree(warned);
		*warned_p = NULL;
		return true;
	}
	/* one WARNING for each new reason, not one a naptime */
	if (warned == NULL || strcmp(warned, why) != 0)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("offline_join expiry worker waits: %s", why),
				 errhint("Let only the owner of extension offline_join own and create objects in schema %s, "
						 "and own the tables it deletes from and every function or domain they run.",
						 OJ_SCHEMA)));
		if (warned)
			pfree(warned);
		*warned_p = MemoryContextStrdup(TopMemoryContext, why);
	}
	return false;
}

/*
 * Worker: a table managed by Citus is an empty shell here (citus_layout.c).
 * On the layout of offline_join.distribute() the worker deletes from this
 * node's shards of transactions (oj_table_parts()); on any other it waits,
 * with one WARNING per change.
 */
static bool
oj_worker_tables_local(void)
{
	static Oid	warned = InvalidOid;
	const char *kind = NULL;
	Oid			found;

	if (oj_tables_quiet() != OJ_TABLES_OTHER)
	{
		warned = InvalidOid;
		return true;
	}
	found = oj_citus_table(InvalidOid, &kind);
	if (found != warned)
		ereport(WARNING,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("offline_join expiry worker waits: table \"%s.%s\" is a Citus %s table",
						OJ_SCHEMA, get_rel_name(found), kind),
				 errhint("offline_join runs on its tables as CREATE EXTENSION makes them, or as offline_join.distribute() lays them out.")));
	warned = found;
	return false;
}

/* Worker: starts a batch's transaction; false, and no transaction, without the extension. */
static bool
oj_worker_begin(const OjPass *p)
{
	static bool marked = false;

	SetCurrentStatementStartTimestamp();	/* now() of this transaction */
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (!oj_lock_extension() || !oj_worker_trusts_schema(p->rejects) || !oj_worker_tables_local())
	{
		PopActiveSnapshot();
		CommitTransactionCommand();
		return false;
	}
	pgstat_report_activity(STATE_RUNNING, p->rejects ? "offline_join expiry: deleting old rejects"
						   : "offline_join expiry: deleting expired transaction IDs");
	if (!marked)
	{
		SPI_connect();
		oj_mark_interrupted();
		SPI_finish();
		marked = true;
	}
	return true;
}

/*
 * Worker: is a client session running a statement?  Then a purge competes
 * with it for CPU and WAL, and the worker gives way.
 */
static bool
oj_clients_running(void)
{
	int			i, n;

	pgstat_clear_backend_activity_snapshot();
	n = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *l = oj_local_backend_status(i);

		if (l != NULL && l->backendStatus.st_backendType == B_BACKEND &&
			l->backendStatus.st_procpid != MyProcPid &&
			l->backendStatus.st_state == STATE_RUNNING)
			return true;
	}
	return false;
}

/*
 * Worker, between two batches: while client sessions run statements, rests
 * OJ_YIELD_FACTOR times as long as the batch took, so that a purge takes at
 * most a quarter of a core from them and still advances; at full speed
 * otherwise.  SIGTERM and reloads interrupt the rest.
 */
static void
oj_worker_yield(double batch_ms)
{
	if (!oj_clients_running())
		return;
	pgstat_report_activity(STATE_IDLE, "offline_join expiry: giving way to running statements");
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 (long) (batch_ms * OJ_YIELD_FACTOR) + 1, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

/*
 * One pass: batches until one deletes nothing.  Returns the rows deleted, or
 * -1 when the worker finds the extension not installed.
 */
static int64
oj_run_pass(OjPass *p)
{
	for (;;)
	{
		TimestampTz t0 = GetCurrentTimestamp();
		int64		n;
		double		ms;

		CHECK_FOR_INTERRUPTS();
		if (p->worker && !oj_worker_begin(p))
			return p->run_id ? p->deleted : -1;
		SPI_connect();
		n = p->rejects ? oj_delete_rejects_batch(p) : oj_delete_batch(p);
		if (n > 0 || (p->exhausted && p->run_id != 0))
			oj_record_run(p, p->deleted + n, p->batches + (n > 0), p->exhausted, NULL);
		SPI_finish();
		if (p->worker)
		{
			PopActiveSnapshot();
			CommitTransactionCommand();
			p->run_committed = p->run_id != 0;
		}
		ms = (double) (GetCurrentTimestamp() - t0) / 1000.0;
		p->deleted += n;
		if (n > 0)
		{
			p->batches++;
			p->longest_ms = Max(p->longest_ms, ms);
		}
		if (p->exhausted)
			return p->deleted;
		if (p->worker)
			oj_worker_yield(ms);
	}
}

/* A pass that has not started. */
static void
oj_pass_init(OjPass *p, bool worker, int batch_size)
{
	memset(p, 0, sizeof(*p));
	p->worker = worker;
	p->who = worker ? "worker" : "expire()";
	p->batch_size = batch_size;
	p->started_at = GetCurrentTimestamp();
	p->lower = DT_NOBEGIN;
	p->table = "offline_join.transactions";
}

/* A pass over the rejects of the loads that finished more than retention ago. */
static void
oj_pass_init_rejects(OjPass *p, bool worker, int batch_size, const Interval *retention)
{
	oj_pass_init(p, worker, batch_size);
	p->who = worker ? "worker" : "expire_rejects()";
	p->rejects = true;
	p->table = "offline_join.rejects";
	p->loads = "offline_join.loads";
	p->cutoff = oj_utc_plus(p->started_at, retention, true);
	p->lower_load = PG_INT64_MIN;
	p->lower_line = PG_INT64_MIN;
}

/*
 * Worker: after a failed batch, logs the error and records it in the pass's
 * expiry_runs row in a transaction of its own; quietly when the extension has
 * just been dropped.
 */
static void
oj_worker_record_failure(OjPass *p, ErrorData *edata)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (OidIsValid(get_extension_oid("offline_join", true)))
	{
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("offline_join expiry pass failed after deleting %lld %s: %s",
						(long long) p->deleted, p->rejects ? "old rejects" : "expired transaction IDs",
						edata->message)));
		if (!p->run_committed)
			p->run_id = 0;
		SPI_connect();
		oj_record_run(p, p->deleted, p->batches, true, edata->message);
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * Worker: the ledger as this node reads it, allocated in cxt: the table, or
 * on the Citus layout this node's placement of the reference table.
 */
static const char *
oj_loads_here(MemoryContext cxt)
{
	if (oj_tables_quiet() != OJ_TABLES_CITUS)
		return "offline_join.loads";
	return MemoryContextStrdup(cxt, quote_qualified_identifier(OJ_SCHEMA,
															   get_rel_name(oj_citus_local_placement("loads"))));
}

/*
 * Worker: what a pass deletes from, allocated in cxt: the table, or this
 * node's shards of it; for rejects nothing until ALTER EXTENSION UPDATE
 * gave expiry_runs its column what (0.2.1), so that a new library purges
 * no rejects before the update that announces it.
 */
static List *
oj_worker_tables(OjPass *p, MemoryContext cxt)
{
	List	   *tables;

	if (!p->rejects)
		return oj_table_parts("transactions", cxt);
	if (get_attnum(oj_relation_oid("expiry_runs"), "what") == InvalidAttrNumber)
		return NIL;
	tables = oj_table_parts("rejects", cxt);
	if (tables != NIL)
		p->loads = oj_loads_here(cxt);
	return tables;
}

/*
 * Worker: one pass (over the rejects when retention is given, else over
 * the transaction IDs) in its own error boundary; returns false without the
 * extension.
 */
static bool
oj_worker_pass(MemoryContext loopcxt, const Interval *retention)
{
	OjPass	   *p = palloc(sizeof(OjPass)); /* not a local: it must survive a longjmp */
	volatile int64 deleted = 0;

	if (retention)
		oj_pass_init_rejects(p, true, oj_expire_batch_size, retention);
	else
		oj_pass_init(p, true, oj_expire_batch_size);
	PG_TRY();
	{
		List	   *tables = NIL;
		ListCell   *lc;

		if (!oj_worker_begin(p))
			deleted = -1;
		else
		{
			/* in loopcxt: the list outlives the transaction */
			tables = oj_worker_tables(p, loopcxt);
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		foreach(lc, tables)
		{
			p->table = lfirst(lc);
			p->lower = DT_NOBEGIN;
			p->lower_load = p->lower_line = PG_INT64_MIN;
			p->exhausted = false;
			deleted = oj_run_pass(p);
			if (deleted < 0)
				break;
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(loopcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(loopcxt);
		oj_worker_record_failure(p, edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(loopcxt);
	pgstat_report_stat(true);
	if (deleted > 0)
		ereport(DEBUG1,
				(errmsg("offline_join expiry: deleted %lld %s in %d batches",
						(long long) deleted, p->rejects ? "old rejects" : "expired transaction IDs", p->batches)));
	return deleted >= 0;
}

/*
 * Entry point of the background worker "offline_join expiry", started by the
 * launcher with the OID of the database offline_join.database names: runs a
 * pass every offline_join.expire_naptime seconds; waits quietly while the
 * extension is not installed there.  SIGHUP reloads the configuration (a new
 * database: exit 1, and the launcher starts a worker there); SIGTERM ends it
 * (the launcher starts it again).
 */
void
oj_expiry_worker_main(Datum main_arg)
{
	char	   *dbname;
	MemoryContext loopcxt;
	TimestampTz last_pass = 0;
	bool		installed = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	StartTransactionCommand();
	dbname = get_database_name(MyDatabaseId);
	dbname = MemoryContextStrdup(TopMemoryContext, dbname ? dbname : "");
	CommitTransactionCommand();
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	ereport(LOG,
			(errmsg("offline_join expiry worker started in database \"%s\"", dbname)));

	loopcxt = AllocSetContextCreate(TopMemoryContext, "offline_join expiry", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		TimestampTz next_pass;
		long		timeout;

		MemoryContextSwitchTo(loopcxt);
		MemoryContextReset(loopcxt);
		QueryCancelPending = false; /* a cancel between passes has nothing to cancel */
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (strcmp(oj_database, dbname) != 0)
			{
				ereport(LOG,
						(errmsg("offline_join expiry worker restarting: offline_join.database changed from \"%s\" to \"%s\"",
								dbname, oj_database)));
				proc_exit(1);
			}
		}

		next_pass = TimestampTzPlusMilliseconds(last_pass, oj_expire_naptime * 1000L);
		if (last_pass == 0 || GetCurrentTimestamp() >= next_pass)
		{
			installed = oj_worker_pass(loopcxt, NULL);
			if (installed && oj_reject_retention() != NULL)
			{
				MemoryContextSwitchTo(loopcxt);
				(void) oj_worker_pass(loopcxt, oj_reject_retention());
			}
			last_pass = GetCurrentTimestamp();
			next_pass = TimestampTzPlusMilliseconds(last_pass, oj_expire_naptime * 1000L);
		}
		pgstat_report_activity(STATE_IDLE,
							   psprintf(installed ? "offline_join expiry: sleeping, naptime %d s"
										: "offline_join expiry: waiting for CREATE EXTENSION offline_join, naptime %d s",
										oj_expire_naptime));
		timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_pass);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(timeout, 1), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* The launcher's worker, and what it knows about it. */
static BackgroundWorkerHandle *oj_worker_handle = NULL;
static char oj_worker_dbname[NAMEDATALEN];

/* The launcher stops its worker when it exits: a new launcher starts its own. */
static void
oj_launcher_exit(int code, Datum arg)
{
	if (oj_worker_handle != NULL)
		TerminateBackgroundWorker(oj_worker_handle);
}

/*
 * The OID of a database by name, read from pg_database by a connection to
 * no database: through the name index only when the shared relcache has it
 * (as the server's own GetDatabaseTuple() does), otherwise a heap scan.
 */
static Oid
oj_database_oid(const char *name)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Oid			oid = InvalidOid;

	ScanKeyInit(&key, Anum_pg_database_datname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(name));
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = systable_beginscan(rel, DatabaseNameIndexId, criticalSharedRelcachesBuilt, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		oid = ((Form_pg_database) GETSTRUCT(tuple))->oid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return oid;
}

/*
 * Starts the expiry worker in the database offline_join.database names, if
 * it exists; says once per name when it does not, and once when there is no
 * free background worker slot.  True when a worker was started.
 */
static bool
oj_launcher_start_worker(char **missing, bool *no_slot)
{
	BackgroundWorker worker;
	Oid			dboid;

	if (strlen(oj_database) >= NAMEDATALEN)
		dboid = InvalidOid;
	else
	{
		StartTransactionCommand();
		(void) GetTransactionSnapshot();
		dboid = oj_database_oid(oj_database);
		CommitTransactionCommand();
	}
	if (!OidIsValid(dboid))
	{
		if (*missing == NULL || strcmp(*missing, oj_database) != 0)
		{
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_DATABASE),
					 errmsg("database \"%s\" named by offline_join.database does not exist", oj_database),
					 errdetail("The expiry worker starts once the database is created or the parameter names one that exists; this is said once."),
					 errhint("Create the database, or set offline_join.database and reload the configuration.")));
			if (*missing)
				pfree(*missing);
			*missing = MemoryContextStrdup(TopMemoryContext, oj_database);
		}
		pgstat_report_activity(STATE_IDLE,
							   psprintf("offline_join launcher: waiting for database \"%s\"", oj_database));
		return false;
	}
	if (*missing)
	{
		pfree(*missing);
		*missing = NULL;
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;	/* the launcher does it */
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	strlcpy(worker.bgw_library_name, "offline_join", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "oj_expiry_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "offline_join expiry worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "offline_join expiry", BGW_MAXLEN);
	if (!RegisterDynamicBackgroundWorker(&worker, &oj_worker_handle))
	{
		oj_worker_handle = NULL;
		if (!*no_slot)
			ereport(WARNING,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("could not start the offline_join expiry worker: no free background worker slot"),
					 errhint("Raise max_worker_processes; the launcher tries again every %d seconds.",
							 OJ_RESTART_SECONDS)));
		*no_slot = true;
		return false;
	}
	*no_slot = false;
	strlcpy(oj_worker_dbname, oj_database, sizeof(oj_worker_dbname));
	pgstat_report_activity(STATE_IDLE,
						   psprintf("offline_join launcher: worker in database \"%s\"", oj_database));
	return true;
}

/*
 * Entry point of the background worker "offline_join launcher": connects to
 * no database, starts the expiry worker in offline_join.database, starts it
 * again OJ_RESTART_SECONDS after it stopped (at once when the parameter has
 * changed), and waits without a sound for a database that does not exist.
 */
void
oj_expiry_launcher_main(Datum main_arg)
{
	char	   *missing = NULL;
	bool		no_slot = false;
	TimestampTz retry_at = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	before_shmem_exit(oj_launcher_exit, (Datum) 0);

	for (;;)
	{
		long		timeout = OJ_RESTART_SECONDS * 1000L;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (oj_worker_handle == NULL || strcmp(oj_database, oj_worker_dbname) != 0)
				retry_at = 0;	/* a new name: look it up now */
		}
		if (oj_worker_handle != NULL)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(oj_worker_handle, &pid) == BGWH_STOPPED)
			{
				pfree(oj_worker_handle);
				oj_worker_handle = NULL;
				/* it left because the parameter changed: the new one at once */
				retry_at = strcmp(oj_database, oj_worker_dbname) != 0 ? 0
					: TimestampTzPlusMilliseconds(GetCurrentTimestamp(), OJ_RESTART_SECONDS * 1000L);
			}
		}
		if (oj_worker_handle == NULL)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (now >= retry_at && !oj_launcher_start_worker(&missing, &no_slot))
				retry_at = TimestampTzPlusMilliseconds(now, OJ_RESTART_SECONDS * 1000L);
			if (oj_worker_handle == NULL)
				timeout = Max(TimestampDifferenceMilliseconds(now, retry_at), 1);
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * expire() on the Citus layout, in the caller's transaction: batches of
 * expired transaction IDs, oldest first, deleted through Citus (each batch
 * is one statement that Citus sends to the shards holding its IDs).  The
 * expiry workers of the nodes delete from their own shards without it.
 */
static int64
oj_expire_citus(OjPass *p)
{
	char	   *take = psprintf("SELECT pg_catalog.array_agg(transaction_id), pg_catalog.count(*),"
								"       pg_catalog.max(expires_at)::pg_catalog.timestamptz"
								"  FROM (SELECT transaction_id, expires_at FROM offline_join.transactions"
								"         WHERE expires_at OPERATOR(pg_catalog.>=) $1"
								"           AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()"
								"         ORDER BY expires_at LIMIT %d) b",
								p->batch_size);

	for (;;)
	{
		TimestampTz t0 = GetCurrentTimestamp();
		Datum		args[2];
		bool		isnull;
		int64		n, taken;
		TimestampTz last;
		int			rc;

		CHECK_FOR_INTERRUPTS();
		SPI_connect();
		args[0] = TimestampTzGetDatum(p->lower);
		rc = SPI_execute_with_args(take, 1, (Oid[]) {TIMESTAMPTZOID}, args, NULL, true, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "reading expired transactions failed: %s", SPI_result_code_string(rc));
		taken = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		n = 0;
		if (taken > 0)
		{
			args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			last = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
			rc = SPI_execute_with_args("DELETE FROM offline_join.transactions"
									   " WHERE transaction_id OPERATOR(pg_catalog.=) ANY ($1)"
									   "   AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()",
									   1, (Oid[]) {TEXTARRAYOID}, args, NULL, false, 0);
			if (rc != SPI_OK_DELETE)
				elog(ERROR, "deleting expired transactions failed: %s", SPI_result_code_string(rc));
			n = (int64) SPI_processed;
			if (n == taken)
				p->lower = last;	/* rows of the same expires_at may follow */
			else
			{
				/* some were kept (a trigger, a policy): every row up to last that can go */
				args[0] = TimestampTzGetDatum(p->lower);
				args[1] = TimestampTzGetDatum(last);
				rc = SPI_execute_with_args("DELETE FROM offline_join.transactions"
										   " WHERE expires_at OPERATOR(pg_catalog.>=) $1"
										   "   AND expires_at OPERATOR(pg_catalog.<=) $2"
										   "   AND expires_at OPERATOR(pg_catalog.<) pg_catalog.now()",
										   2, (Oid[]) {TIMESTAMPTZOID, TIMESTAMPTZOID}, args, NULL, false, 0);
				if (rc != SPI_OK_DELETE)
					elog(ERROR, "deleting expired transactions failed: %s", SPI_result_code_string(rc));
				n += (int64) SPI_processed;
				p->lower = last + 1;	/* timestamptz counts microseconds */
			}
		}
		if (n > 0 || (taken == 0 && p->run_id != 0))
			oj_record_run(p, p->deleted + n, p->batches + (n > 0), taken == 0, NULL);
		SPI_finish();
		p->deleted += n;
		if (n > 0)
		{
			p->batches++;
			p->longest_ms = Max(p->longest_ms, (double) (GetCurrentTimestamp() - t0) / 1000.0);
		}
		if (taken == 0)
			return p->deleted;
	}
}

/* expire(batch_size int DEFAULT NULL) RETURNS bigint: one pass now, in the caller's transaction. */
Datum
oj_expire(PG_FUNCTION_ARGS)
{
	static bool hinted = false;
	int			batch_size = PG_ARGISNULL(0) ? oj_expire_batch_size : PG_GETARG_INT32(0);
	OjPass		p;

	if (batch_size < 1 || batch_size > OJ_MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size of offline_join.expire() must be between 1 and %d", OJ_MAX_BATCH),
				 errdetail("The value given is %d.", batch_size)));
	if (!oj_worker_registered && !hinted)
	{
		ereport(NOTICE,
				(errmsg("offline_join is not in shared_preload_libraries: no expiry worker runs"),
				 errhint("expire() deletes the expired rows now.  To expire them automatically, add "
						 "offline_join to shared_preload_libraries and restart, or schedule "
						 "offline_join.expire() with pg_cron.")));
		hinted = true;
	}
	if (!oj_lock_extension())
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"offline_join\" does not exist")));
	oj_pass_init(&p, false, batch_size);
	if (oj_tables("offline_join.expire()") == OJ_TABLES_CITUS)
		PG_RETURN_INT64(oj_expire_citus(&p));
	PG_RETURN_INT64(oj_run_pass(&p));
}

/*
 * expire_rejects(batch_size int DEFAULT NULL, retention interval DEFAULT
 * NULL) RETURNS bigint: one pass over the rejects now, in the caller's
 * transaction, with the caller's privileges; retention NULL takes
 * offline_join.reject_retention, and when that is off nothing is deleted.
 */
Datum
oj_expire_rejects(PG_FUNCTION_ARGS)
{
	int			batch_size = PG_ARGISNULL(0) ? oj_expire_batch_size : PG_GETARG_INT32(0);
	const Interval *retention = PG_ARGISNULL(1) ? oj_reject_retention() : PG_GETARG_INTERVAL_P(1);
	OjPass		p;

	if (batch_size < 1 || batch_size > OJ_MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size of offline_join.expire_rejects() must be between 1 and %d", OJ_MAX_BATCH),
				 errdetail("The value given is %d.", batch_size)));
	if (!PG_ARGISNULL(1))
		oj_check_reject_retention(retention, "retention");
	if (retention == NULL)
	{
		ereport(NOTICE,
				(errmsg("offline_join.reject_retention is \"off\": no rejects were deleted"),
				 errhint("Pass a retention, such as expire_rejects(retention => '90 days'), to delete older rejects once.")));
		PG_RETURN_INT64(0);
	}
	if (!oj_lock_extension())
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"offline_join\" does not exist")));
	if (oj_tables("offline_join.expire_rejects()") == OJ_TABLES_CITUS)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("offline_join.expire_rejects() does not run on the Citus layout"),
				 errdetail("The rejects are distributed by load_id; the expiry worker of each node deletes the old rejects of the shards it holds."),
				 errhint("Keep offline_join in shared_preload_libraries on every node, and set offline_join.reject_retention there.")));
	oj_pass_init_rejects(&p, false, batch_size, retention);
	PG_RETURN_INT64(oj_run_pass(&p));
}

/* Registers the expiry launcher when the library is preloaded (called by _PG_init). */
void
oj_expiry_init(void)
{
	BackgroundWorker worker;

	if (!process_shared_preload_libraries_in_progress)
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = OJ_RESTART_SECONDS;
	strlcpy(worker.bgw_library_name, "offline_join", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "oj_expiry_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "offline_join launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "offline_join launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
	oj_worker_registered = true;
}
