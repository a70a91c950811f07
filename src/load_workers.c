/*-------------------------------------------------------------------------
 *
 * load_workers.c
 *	  Files of a folder loaded side by side: offline_join.ingest_files(),
 *	  which ingest(source, pattern, workers) calls, starts background
 *	  workers "offline_join ingest" that take the files one at a time from
 *	  a shared list and load each in a transaction of its own, committed
 *	  when the file is in (load.c's oj_load_dir_one(): load_dir()'s rules
 *	  for one path, load()'s locks).  A worker runs as the caller: the
 *	  same session user, role, current user and security context, and the
 *	  caller's settings (TimeZone, DateStyle, offline_join.*), as a
 *	  parallel query's workers do, each transaction READ COMMITTED (load()'s
 *	  locks, not serializable snapshots, keep a content from loading
 *	  twice).  The caller waits for them; a cancel, a terminate or an error
 *	  of the caller stops them (a file being loaded is rolled back, whole),
 *	  and a worker stops by itself once the caller is gone; a file no
 *	  worker took is left to ingest(), which loads it itself.  The caller
 *	  must hold nothing its workers could wait for: ingest() commits before
 *	  it calls, and ingest_files() refuses a transaction that wrote or
 *	  holds more than AccessShareLock, and a server in recovery.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "mb/pg_wchar.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "files.h"
#include "load.h"

/*
 * libpq/libpq.h's, declared here: that header pulls in libpq-be.h, which
 * needs GSSAPI's headers on builds with GSSAPI (Debian's 17 and 18).
 * MyProcPort is miscadmin.h's.
 */
extern bool pq_check_connection(void);

PG_FUNCTION_INFO_V1(oj_ingest_files);
PGDLLEXPORT void oj_ingest_worker_main(Datum main_arg);

#define OJ_INGEST_MAX_WORKERS	64
#define OJ_INGEST_MESSAGE_LEN	512

/* A file's slot, written by the worker that took it and read by the caller once it stopped. */
typedef enum OjIngestState
{
	OJ_INGEST_WAITING,			/* no worker took it */
	OJ_INGEST_TAKEN,			/* a worker is loading it */
	OJ_INGEST_DONE				/* loaded, failed or passed over */
} OjIngestState;

typedef struct OjIngestFile
{
	Size		path;			/* offset of its path in the segment */
	pg_atomic_uint32 state;		/* OjIngestState */
	bool		ledger_row;		/* false: passed over (nothing to say) */
	int64		load_id;		/* 0: no ledger row */
	char		status[16];
	char		message[OJ_INGEST_MESSAGE_LEN];
} OjIngestFile;

/* The segment: who the workers are, the caller's settings, the files. */
typedef struct OjIngestShared
{
	Oid			database_id;
	Oid			authenticated_user_id;
	Oid			outer_user_id;
	Oid			current_user_id;
	bool		role_is_superuser;
	int			sec_context;
	int			leader_pid;		/* the caller: a worker stops once it is gone */
	pg_atomic_uint32 next_file;
	pg_atomic_uint32 stop;		/* the caller asks the workers to take no more */
	/* the first error that escaped a file's record (the source gone, a right missing, a node down) */
	pg_atomic_uint32 error_set;
	int			error_code;
	char		error_message[OJ_INGEST_MESSAGE_LEN];
	char		error_detail[OJ_INGEST_MESSAGE_LEN];
	char		error_hint[OJ_INGEST_MESSAGE_LEN];
	Size		source;			/* offset of the source's name */
	Size		gucs;			/* offset of the caller's settings (SerializeGUCState()) */
	uint32		nfiles;
	OjIngestFile files[FLEXIBLE_ARRAY_MEMBER];
} OjIngestShared;

#define OJ_AT(sh, off)	((char *) (sh) + (off))

/* Copies text into a slot of size bytes, cut at a character boundary. */
static void
oj_ingest_clip(char *dst, const char *src, int size)
{
	int			len = pg_mbcliplen(src, strlen(src), size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Puts one ledger row's outcome into its slot. */
static void
oj_ingest_note_row(OjIngestFile *f, Datum row)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(row);
	bool		isnull;
	Datum		d;

	f->ledger_row = true;
	d = GetAttributeByName(th, "load_id", &isnull);
	f->load_id = isnull ? 0 : DatumGetInt64(d);
	d = GetAttributeByName(th, "status", &isnull);
	oj_ingest_clip(f->status, isnull ? "" : TextDatumGetCString(d), sizeof(f->status));
	d = GetAttributeByName(th, "message", &isnull);
	oj_ingest_clip(f->message, isnull ? "" : TextDatumGetCString(d), sizeof(f->message));
}

/* Keeps edata as the call's error, unless another worker's came first. */
static void
oj_ingest_keep_error(OjIngestShared *sh, ErrorData *edata)
{
	uint32		unset = 0;

	if (!pg_atomic_compare_exchange_u32(&sh->error_set, &unset, 1))
		return;
	sh->error_code = edata->sqlerrcode;
	oj_ingest_clip(sh->error_message, edata->message ? edata->message : "", OJ_INGEST_MESSAGE_LEN);
	oj_ingest_clip(sh->error_detail, edata->detail ? edata->detail : "", OJ_INGEST_MESSAGE_LEN);
	oj_ingest_clip(sh->error_hint, edata->hint ? edata->hint : "", OJ_INGEST_MESSAGE_LEN);
	pg_write_barrier();
	pg_atomic_write_u32(&sh->error_set, 2);
}

/*
 * Loads file i in a transaction of its own.  Returns false when an error
 * escaped the file's own failure record (the source was dropped, a right
 * is missing, a node is down: the next files would fail the same way).
 */
static bool
oj_ingest_worker_file(OjIngestShared *sh, uint32 i, MemoryContext cxt)
{
	OjIngestFile *f = &sh->files[i];
	const char *path = OJ_AT(sh, f->path);
	volatile bool ok = true;

	pg_atomic_write_u32(&f->state, OJ_INGEST_TAKEN);
	MemoryContextSwitchTo(cxt);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, psprintf("offline_join ingest: %s", path));
	PG_TRY();
	{
		Oid			rowtype = get_rel_type_id(oj_relation_oid("loads"));
		TupleDesc	desc = lookup_rowtype_tupdesc_copy(rowtype, -1);
		Datum		row = oj_load_dir_one(OJ_AT(sh, sh->source), path, desc);

		if (row != (Datum) 0)
			oj_ingest_note_row(f, row);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		EmitErrorReport();		/* the server log has it whole */
		FlushErrorState();
		AbortCurrentTransaction();
		f->ledger_row = true;
		f->load_id = 0;
		oj_ingest_clip(f->status, "failed", sizeof(f->status));
		oj_ingest_clip(f->message, edata->message, sizeof(f->message));
		oj_ingest_keep_error(sh, edata);
		ok = false;
	}
	PG_END_TRY();
	pg_write_barrier();
	pg_atomic_write_u32(&f->state, OJ_INGEST_DONE);
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextReset(cxt);
	return ok;
}

/*
 * A worker: attaches the segment, becomes the caller (session user, role,
 * current user, settings), then takes files until none is left, the
 * caller says stop or is gone, or an error outside a file's own record.
 */
void
oj_ingest_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	OjIngestShared *sh;
	MemoryContext cxt;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("offline_join ingest worker could not attach its shared memory segment"),
				 errdetail("The ingest() call that started it has ended.")));
	sh = dsm_segment_address(seg);
	BackgroundWorkerInitializeConnectionByOid(sh->database_id, sh->authenticated_user_id, 0);
	StartTransactionCommand();
	RestoreGUCState(OJ_AT(sh, sh->gucs));
	CommitTransactionCommand();
	/* concurrent serializable loads would fail each other; the locks decide */
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_SESSION);
	SetCurrentRoleId(sh->outer_user_id, sh->role_is_superuser);
	SetUserIdAndSecContext(sh->current_user_id, sh->sec_context);

	cxt = AllocSetContextCreate(TopMemoryContext, "offline_join ingest", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		uint32		i;

		CHECK_FOR_INTERRUPTS();
		if (pg_atomic_read_u32(&sh->stop) != 0 || BackendPidGetProc(sh->leader_pid) == NULL)
			break;
		i = pg_atomic_fetch_add_u32(&sh->next_file, 1);
		if (i >= sh->nfiles || !oj_ingest_worker_file(sh, i, cxt))
			break;
	}
	dsm_detach(seg);
	proc_exit(0);
}

/* The segment for paths, filled in: the caller's identity and settings. */
static dsm_segment *
oj_ingest_segment(const char *source, Datum *paths, int npaths)
{
	Size		fixed = add_size(offsetof(OjIngestShared, files),
								 mul_size(npaths, sizeof(OjIngestFile)));
	Size		gucs_len = EstimateGUCStateSpace();
	Size		size = add_size(fixed, add_size(gucs_len, strlen(source) + 1));
	Size		off;
	dsm_segment *seg;
	OjIngestShared *sh;
	int			i;

	for (i = 0; i < npaths; i++)
		size = add_size(size, VARSIZE_ANY_EXHDR(DatumGetPointer(paths[i])) + 1);
	seg = dsm_create(size, 0);
	sh = dsm_segment_address(seg);
	memset(sh, 0, fixed);
	sh->database_id = MyDatabaseId;
	sh->leader_pid = MyProcPid;
	sh->authenticated_user_id = GetAuthenticatedUserId();
	sh->outer_user_id = GetCurrentRoleId();
	sh->role_is_superuser = OidIsValid(sh->outer_user_id) && superuser_arg(sh->outer_user_id);
	GetUserIdAndSecContext(&sh->current_user_id, &sh->sec_context);
	pg_atomic_init_u32(&sh->next_file, 0);
	pg_atomic_init_u32(&sh->stop, 0);
	pg_atomic_init_u32(&sh->error_set, 0);
	sh->nfiles = npaths;
	off = fixed;
	sh->gucs = off;
	SerializeGUCState(gucs_len, OJ_AT(sh, off));
	off += gucs_len;
	sh->source = off;
	strcpy(OJ_AT(sh, off), source);
	off += strlen(source) + 1;
	for (i = 0; i < npaths; i++)
	{
		text	   *t = DatumGetTextPP(paths[i]);
		Size		len = VARSIZE_ANY_EXHDR(t);

		pg_atomic_init_u32(&sh->files[i].state, OJ_INGEST_WAITING);
		sh->files[i].path = off;
		memcpy(OJ_AT(sh, off), VARDATA_ANY(t), len);
		OJ_AT(sh, off)[len] = '\0';
		off += len + 1;
	}
	return seg;
}

/* Starts up to n workers on seg; returns how many the postmaster took. */
static int
oj_ingest_start(dsm_segment *seg, BackgroundWorkerHandle **handles, int n)
{
	BackgroundWorker worker;
	int			started = 0;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;
	strlcpy(worker.bgw_library_name, "offline_join", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "oj_ingest_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "offline_join ingest worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "offline_join ingest", BGW_MAXLEN);
	while (started < n && RegisterDynamicBackgroundWorker(&worker, &handles[started]))
		started++;
	return started;
}

/* The workers of a call, for oj_ingest_stop(). */
typedef struct OjIngestWorkers
{
	OjIngestShared *sh;
	BackgroundWorkerHandle **handles;
	int			n;
} OjIngestWorkers;

/* Stops the workers: on an error, a cancel, and a FATAL such as a terminate (PG_ENSURE_ERROR_CLEANUP). */
static void
oj_ingest_stop(int code, Datum arg)
{
	OjIngestWorkers *w = (OjIngestWorkers *) DatumGetPointer(arg);
	int			i;

	pg_atomic_write_u32(&w->sh->stop, 1);
	for (i = 0; i < w->n; i++)
		TerminateBackgroundWorker(w->handles[i]);
}

/* Have all n workers stopped? */
static bool
oj_ingest_all_stopped(BackgroundWorkerHandle **handles, int n)
{
	pid_t		pid;
	int			i;

	for (i = 0; i < n; i++)
		if (GetBackgroundWorkerPid(handles[i], &pid) != BGWH_STOPPED)
			return false;
	return true;
}

/*
 * Waits for the workers to stop (the postmaster sets this backend's latch
 * when one does: bgw_notify_pid); whatever ends the caller first stops
 * them, a client gone included (checked every second, whatever
 * client_connection_check_interval says).
 */
static void
oj_ingest_wait(OjIngestShared *sh, BackgroundWorkerHandle **handles, int n)
{
	OjIngestWorkers w = {sh, handles, n};

	PG_ENSURE_ERROR_CLEANUP(oj_ingest_stop, PointerGetDatum(&w));
	{
		while (!oj_ingest_all_stopped(handles, n))
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			if (MyProcPort != NULL && !pq_check_connection())
				ereport(FATAL,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("connection to client lost while offline_join.ingest() waited for its workers")));
		}
	}
	PG_END_ENSURE_ERROR_CLEANUP(oj_ingest_stop, PointerGetDatum(&w));
	pg_read_barrier();
}

/* One result row: path, load_id, status, message. */
static void
oj_ingest_put(ReturnSetInfo *rsinfo, const char *path, int64 load_id, const char *status,
			  const char *message)
{
	Datum		values[4];
	bool		nulls[4] = {false, load_id == 0, false, message[0] == '\0'};

	values[0] = CStringGetTextDatum(path);
	values[1] = Int64GetDatum(load_id);
	values[2] = CStringGetTextDatum(status);
	values[3] = CStringGetTextDatum(message);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Each path as load() checks it: the right to read server files, an absolute path. */
static void
oj_ingest_check_paths(ArrayType *paths)
{
	ArrayIterator it = array_create_iterator(paths, 0, NULL);
	Datum		d;
	bool		isnull;

	while (array_iterate(it, &d, &isnull))
		oj_check_server_file_access(TextDatumGetCString(d));
	array_free_iterator(it);
}

/*
 * Does this transaction hold what a worker might wait for, or what a third
 * session's lock request could queue behind while the workers queue
 * behind that request (the caller waits on a latch, which the deadlock
 * detector does not see): an XID (rows it wrote, which the workers could
 * neither see nor wait out), any lock on a relation of the database's own
 * (offline_join's tables, a user's), more than AccessShareLock on a
 * catalog, offline_join's own advisory locks (load_dir()'s), or any other
 * kind of lock?  Users' advisory locks, which no worker takes, and the
 * transaction's own IDs are left aside.
 */
static bool
oj_ingest_caller_holds_locks(void)
{
	LockData   *locks;
	int			i;

	if (TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return true;
	locks = GetLockStatusData();
	for (i = 0; i < locks->nelements; i++)
	{
		LockInstanceData *l = &locks->locks[i];
		LOCKTAG    *tag = &l->locktag;

		if (l->pid != MyProcPid || l->holdMask == 0)
			continue;
		switch ((LockTagType) tag->locktag_type)
		{
			case LOCKTAG_VIRTUALTRANSACTION:
			case LOCKTAG_TRANSACTION:
				continue;
			case LOCKTAG_ADVISORY:
				if (tag->locktag_field4 == 0x4f4a || tag->locktag_field4 == 0x4f53 ||
					tag->locktag_field4 == 0x4f50)
					return true;
				continue;
			case LOCKTAG_RELATION:
				if (tag->locktag_field2 >= FirstNormalObjectId || l->holdMask != LOCKBIT_ON(AccessShareLock))
					return true;
				continue;
			default:
				return true;
		}
	}
	return false;
}

/* The checks before a worker starts: the arguments, the right to read server files, the server, the transaction. */
static void
oj_ingest_check(const char *source, ArrayType *paths, int workers)
{
	if (workers < 1 || workers > OJ_INGEST_MAX_WORKERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workers must be between 1 and %d, not %d", OJ_INGEST_MAX_WORKERS, workers),
				 errhint("The server starts at most max_worker_processes (%d) background workers, its own included.",
						 max_worker_processes)));
	if (ARR_NDIM(paths) > 1 || ARR_ELEMTYPE(paths) != TEXTOID || array_contains_nulls(paths))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("paths must be a one-dimensional text array without NULLs")));
	oj_ingest_check_paths(paths);
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("offline_join.ingest_files() cannot run during recovery"),
				 errdetail("This server is a standby: it loads nothing, and starts no worker before it is promoted.")));
	/*
	 * The source, the rights to write and the cluster's nodes are checked
	 * by each worker (oj_load_dir_one()), not here: what the caller reads
	 * it keeps locked while it waits (see oj_ingest_caller_holds_locks()).
	 * ingest() has read the source's folder before it calls.
	 */
	/* a subtransaction's rollback could not undo them either */
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("offline_join.ingest_files() cannot run inside a transaction block"),
				 errdetail("Its workers commit each file on its own, which a transaction block could not undo."),
				 errhint("Call offline_join.ingest(source, workers => n) outside a transaction block, or load_dir() inside one.")));
	if (oj_ingest_caller_holds_locks())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("offline_join.ingest_files() cannot run in a transaction that has written or locked something"),
				 errdetail("Its workers would not see what the transaction wrote, and would wait for its locks (or for a lock that waits for them) while it waits for them."),
				 errhint("Commit first, and call it alone in its statement: offline_join.ingest() does.")));
}

/*
 * ingest_files(source text, paths text[], workers integer)
 *   RETURNS TABLE (path text, load_id bigint, status text, message text)
 *
 * Loads paths (files of source's folder) in up to workers background
 * workers, each file committed on its own.  An error that escaped a
 * file's record in a worker (the source does not exist, a right is
 * missing, a node is down) is this call's ERROR, once every worker has
 * stopped; the files loaded by then stay loaded.  A row for each file a worker
 * took: its ledger row's load_id, status and message; status 'skipped'
 * when the worker passed it over as load_dir() would (loaded meanwhile,
 * its ".fin" missing, its content failed before); or status 'failed'
 * without a load_id when the worker stopped or failed before the file's
 * ledger row was written (it is retried at the next run).  A file no
 * worker took (none could start) has no row.
 */
Datum
oj_ingest_files(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source;
	ArrayType  *arr;
	Datum	   *paths;
	int			npaths;
	int			workers;
	int			started;
	dsm_segment *seg;
	OjIngestShared *sh;
	BackgroundWorkerHandle *handles[OJ_INGEST_MAX_WORKERS];
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("offline_join.ingest_files() needs a source, paths and a number of workers, not NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	arr = PG_GETARG_ARRAYTYPE_P(1);
	workers = PG_GETARG_INT32(2);
	oj_ingest_check(source, arr, workers);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &paths, NULL, &npaths);
	if (npaths == 0)
		return (Datum) 0;

	seg = oj_ingest_segment(source, paths, npaths);
	sh = dsm_segment_address(seg);
	started = oj_ingest_start(seg, handles, Min(workers, npaths));
	if (started < Min(workers, npaths))
		ereport(NOTICE,
				(errmsg("offline_join.ingest() started %d of %d workers", started, Min(workers, npaths)),
				 errdetail("The server has no free background worker slot (max_worker_processes is %d).",
						   max_worker_processes),
				 errhint("ingest() loads the files no worker took itself, one after the other.")));
	oj_ingest_wait(sh, handles, started);
	if (pg_atomic_read_u32(&sh->error_set) == 2)
		ereport(ERROR,
				(errcode(sh->error_code),
				 errmsg_internal("%s", sh->error_message),
				 sh->error_detail[0] ? errdetail_internal("%s", sh->error_detail) : 0,
				 sh->error_hint[0] ? errhint("%s", sh->error_hint) : 0,
				 errcontext("offline_join ingest worker; the files loaded before it stay loaded")));

	for (i = 0; i < npaths; i++)
	{
		OjIngestFile *f = &sh->files[i];
		uint32		state = pg_atomic_read_u32(&f->state);

		if (state == OJ_INGEST_DONE && f->ledger_row)
			oj_ingest_put(rsinfo, OJ_AT(sh, f->path), f->load_id, f->status, f->message);
		else if (state == OJ_INGEST_DONE)
			oj_ingest_put(rsinfo, OJ_AT(sh, f->path), 0, "skipped", "");
		else if (state == OJ_INGEST_TAKEN)
			oj_ingest_put(rsinfo, OJ_AT(sh, f->path), 0, "failed",
						  "the worker loading it stopped before the file was in (see the server log); it is loaded again at the next run");
	}
	if (started > 0 && pg_atomic_read_u32(&sh->next_file) == 0)
		ereport(NOTICE,
				(errmsg("offline_join.ingest()'s workers stopped before they took a file"),
				 errdetail("The server log says why (a worker connects as session user \"%s\").",
						   GetUserNameFromId(GetAuthenticatedUserId(), false)),
				 errhint("ingest() loads the files itself, one after the other.")));
	dsm_detach(seg);
	return (Datum) 0;
}
