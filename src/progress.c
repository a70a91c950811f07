/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  offline_join.progress (spec section 9): one row per running load, from
 *	  load(), load_dir() (file k of n), validate_file() and COPY or INSERT
 *	  into an inbox.
 *
 *	  Shared memory holds one slot per backend (MaxBackends), requested when
 *	  the library is preloaded.  A backend writes only its own slot, without
 *	  a lock: like PgBackendStatus's st_changecount, a counter is odd while
 *	  the slot is written and readers copy the slot until they see the same
 *	  even count before and after.  The counters are written every
 *	  OJ_PROGRESS_EVERY rows and every 64 kB hashed, never per row.
 *
 *	  A run begins and ends around an entry point; runs begun inside one
 *	  (a load started by a trigger of a load) are counted but not shown.
 *	  The slot is cleared when the outermost run ends, when the
 *	  (sub)transaction it began in aborts (an ERROR, a cancel, a failed
 *	  file of load_dir() leaves the folder run's row), at the end of every
 *	  transaction, and when the backend exits, so no row outlives its load.
 *
 *	  A role that may read the whole ledger (SELECT on offline_join.loads,
 *	  no row-level security) sees every load of the database; any other
 *	  role sees the loads of the roles whose privileges it has, as
 *	  pg_stat_activity and my_rejects() do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/progress.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "pg_compat.h"
#include "progress.h"
#include "security.h"

PG_FUNCTION_INFO_V1(oj_progress);

#define OJ_PROGRESS_NAME_LEN	128 /* a longer source name is cut */
#define OJ_PROGRESS_MAX_NEST	8	/* runs inside runs that are tracked */
#define OJ_PROGRESS_COLS		14

/* One backend's running load, in shared memory. */
typedef struct OjProgressSlot
{
	uint32		changecount;	/* odd while its backend writes the slot */
	int			pid;			/* 0: no load running */
	Oid			dbid;
	Oid			role;			/* the role that loads */
	int64		load_id;		/* 0: not known yet, or a dry run */
	TimestampTz started_at;
	int32		entry;			/* OjProgressEntry */
	int32		phase;			/* OjProgressPhase */
	int32		file_no;		/* load_dir(): the file being read, from 1 */
	int32		files_total;	/* load_dir(): files matched (-1 until known) */
	int64		bytes_done;
	int64		bytes_total;	/* -1: unknown */
	int64		rows_done;
	int64		rows_rejected;
	bool		has_path;
	char		source[OJ_PROGRESS_NAME_LEN];
	char		path[MAXPGPATH];
} OjProgressSlot;

static const char *const oj_entry_names[] = {"load", "load_dir", "validate_file", "inbox COPY",
"inbox INSERT"};
static const char *const oj_phase_names[] = {"listing", "hashing", "checking ledger", "loading",
"validating", "finishing"};

static OjProgressSlot *oj_slots;	/* MaxBackends slots; NULL when not preloaded */
static shmem_request_hook_type oj_prev_shmem_request;
static shmem_startup_hook_type oj_prev_shmem_startup;

/* This backend's runs: how deep, and the subtransaction each began in. */
static int	oj_nest;
static SubTransactionId oj_nest_subid[OJ_PROGRESS_MAX_NEST];
static bool oj_callbacks;
static Oid	oj_copy_relid;		/* an inbox COPY's table, whose COPY counts the bytes */

/* Writes to a slot: readers retry while the count is odd or has moved. */
#define OJ_BEGIN_WRITE(s) \
	do { START_CRIT_SECTION(); (s)->changecount++; pg_write_barrier(); } while (0)
#define OJ_END_WRITE(s) \
	do { pg_write_barrier(); (s)->changecount++; END_CRIT_SECTION(); } while (0)

/* The slots' size: one per backend. */
static Size
oj_progress_shmem_size(void)
{
	return mul_size(MaxBackends, sizeof(OjProgressSlot));
}

/* shmem_request_hook: asks the postmaster for the slots. */
static void
oj_progress_shmem_request(void)
{
	if (oj_prev_shmem_request)
		oj_prev_shmem_request();
	RequestAddinShmemSpace(oj_progress_shmem_size());
}

/* shmem_startup_hook: the slots, empty when the shared memory is new. */
static void
oj_progress_shmem_startup(void)
{
	bool		found;

	if (oj_prev_shmem_startup)
		oj_prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	oj_slots = ShmemInitStruct("offline_join progress", oj_progress_shmem_size(), &found);
	if (!found)
		memset(oj_slots, 0, oj_progress_shmem_size());
	LWLockRelease(AddinShmemInitLock);
}

/* Asks for the slots when the library is preloaded (called by _PG_init). */
void
oj_progress_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	oj_prev_shmem_request = shmem_request_hook;
	shmem_request_hook = oj_progress_shmem_request;
	oj_prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = oj_progress_shmem_startup;
}

/* This backend's slot, or NULL (not preloaded, or a process without one). */
static OjProgressSlot *
oj_my_slot(void)
{
	int			i;

	if (oj_slots == NULL)
		return NULL;
	i = oj_my_backend_index();
	return i >= 0 && i < MaxBackends ? &oj_slots[i] : NULL;
}

/* The slot the shown run writes, or NULL when no run is shown. */
static OjProgressSlot *
oj_live_slot(void)
{
	return oj_nest == 1 ? oj_my_slot() : NULL;
}

/* Empties this backend's slot: its row leaves the view. */
static void
oj_progress_clear(void)
{
	OjProgressSlot *s = oj_my_slot();

	oj_nest = 0;
	oj_copy_relid = InvalidOid;
	if (s == NULL || s->pid == 0)
		return;
	OJ_BEGIN_WRITE(s);
	s->pid = 0;
	OJ_END_WRITE(s);
}

/* A transaction's end ends every run in it, whatever was not ended. */
static void
oj_progress_xact_cb(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		oj_progress_clear();
}

/*
 * A subtransaction that aborts takes the runs begun in it (or in any
 * subtransaction begun after it) along; one that commits hands its runs to
 * its parent.
 */
static void
oj_progress_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	int			i;

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		int			was = oj_nest;

		while (oj_nest > 0 && oj_nest_subid[oj_nest - 1] >= mySubid)
			oj_nest--;
		if (was > 0 && oj_nest == 0)
			oj_progress_clear();
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		for (i = 0; i < oj_nest; i++)
			if (oj_nest_subid[i] == mySubid)
				oj_nest_subid[i] = parentSubid;
}

/* before_shmem_exit: a backend that exits leaves no row. */
static void
oj_progress_exit(int code, Datum arg)
{
	oj_progress_clear();
}

/* Copies at most size - 1 bytes of s into buf, never cutting a character. */
static void
oj_progress_copy_text(char *buf, size_t size, const char *s)
{
	int			len = (int) strlen(s);

	if (len >= (int) size)
		len = pg_mbcliplen(s, len, (int) size - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
}

/*
 * Begins a run of entry for source (path: the file, or NULL) by role.
 * Returns the level to give oj_progress_end(): 1 for a run that shows,
 * more for a run inside another one, 0 when too deep to track.
 */
int
oj_progress_begin(OjProgressEntry entry, const char *source, const char *path, Oid role)
{
	OjProgressSlot *s;

	if (!oj_callbacks)
	{
		RegisterXactCallback(oj_progress_xact_cb, NULL);
		RegisterSubXactCallback(oj_progress_subxact_cb, NULL);
		before_shmem_exit(oj_progress_exit, (Datum) 0);
		oj_callbacks = true;
	}
	if (oj_nest >= OJ_PROGRESS_MAX_NEST)
		return 0;
	oj_nest_subid[oj_nest++] = GetCurrentSubTransactionId();
	if ((s = oj_live_slot()) == NULL)
		return oj_nest;
	OJ_BEGIN_WRITE(s);
	s->pid = MyProcPid;
	s->dbid = MyDatabaseId;
	s->role = role;
	s->load_id = 0;
	s->started_at = GetCurrentTimestamp();
	s->entry = entry;
	s->phase = entry == OJ_PROGRESS_LOAD ? OJ_PHASE_HASHING :
		entry == OJ_PROGRESS_LOAD_DIR ? OJ_PHASE_LISTING :
		entry == OJ_PROGRESS_VALIDATE ? OJ_PHASE_VALIDATING : OJ_PHASE_LOADING;
	s->file_no = 0;
	s->files_total = -1;
	s->bytes_done = 0;
	s->bytes_total = -1;
	s->rows_done = 0;
	s->rows_rejected = 0;
	oj_progress_copy_text(s->source, sizeof(s->source), source);
	s->has_path = path != NULL;
	oj_progress_copy_text(s->path, sizeof(s->path), path ? path : "");
	OJ_END_WRITE(s);
	return oj_nest;
}

/* Ends the run oj_progress_begin() returned level for (and any inside it). */
void
oj_progress_end(int level)
{
	if (level <= 0 || level > oj_nest)
		return;
	oj_nest = level - 1;
	if (oj_nest == 0)
		oj_progress_clear();
}

/* The shown run's phase; one that reads the file counts its bytes from 0. */
void
oj_progress_phase(OjProgressPhase phase)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->phase = phase;
	if (phase == OJ_PHASE_HASHING || phase == OJ_PHASE_LOADING || phase == OJ_PHASE_VALIDATING)
		s->bytes_done = 0;
	OJ_END_WRITE(s);
}

/* The file the shown run reads (an inbox COPY's server file). */
void
oj_progress_path(const char *path)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL || path == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->has_path = true;
	oj_progress_copy_text(s->path, sizeof(s->path), path);
	OJ_END_WRITE(s);
}

/* The shown run's load ID, once it has one. */
void
oj_progress_load_id(int64 load_id)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->load_id = load_id;
	OJ_END_WRITE(s);
}

/* Bytes read in the current phase, and (bytes_total >= 0) the file's size. */
void
oj_progress_bytes(int64 bytes_done, int64 bytes_total)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->bytes_done = bytes_done;
	if (bytes_total >= 0)
		s->bytes_total = bytes_total;
	OJ_END_WRITE(s);
}

/* Rows read so far (rejected ones included), rows rejected, bytes read. */
void
oj_progress_rows(int64 rows_done, int64 rows_rejected, int64 bytes_done)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->rows_done = rows_done;
	s->rows_rejected = rows_rejected;
	s->bytes_done = bytes_done;
	OJ_END_WRITE(s);
}

/*
 * Begins the run of a statement into the inbox relid: a COPY into it when
 * this backend's COPY progress (pg_stat_progress_copy) names it, which it
 * does before the statement's first trigger; else an INSERT.
 */
int
oj_progress_begin_inbox(Oid relid, const char *source, Oid role)
{
	bool		copy = MyBEEntry != NULL && MyBEEntry->st_progress_command == PROGRESS_COMMAND_COPY &&
		MyBEEntry->st_progress_command_target == relid;
	int			level = oj_progress_begin(copy ? OJ_PROGRESS_INBOX_COPY : OJ_PROGRESS_INBOX_INSERT,
										  source, NULL, role);

	if (level == 1)
		oj_copy_relid = copy ? relid : InvalidOid;
	return level;
}

/* Rows of an inbox statement so far; its COPY's own byte counts when it is one. */
void
oj_progress_inbox_rows(int64 rows_done, int64 rows_rejected)
{
	OjProgressSlot *s = oj_live_slot();
	bool		copy;

	if (s == NULL)
		return;
	copy = OidIsValid(oj_copy_relid) && MyBEEntry != NULL &&
		MyBEEntry->st_progress_command == PROGRESS_COMMAND_COPY &&
		MyBEEntry->st_progress_command_target == oj_copy_relid;
	OJ_BEGIN_WRITE(s);
	s->rows_done = rows_done;
	s->rows_rejected = rows_rejected;
	if (copy)
	{
		s->bytes_done = MyBEEntry->st_progress_param[PROGRESS_COPY_BYTES_PROCESSED];
		if (MyBEEntry->st_progress_param[PROGRESS_COPY_BYTES_TOTAL] > 0)
			s->bytes_total = MyBEEntry->st_progress_param[PROGRESS_COPY_BYTES_TOTAL];
	}
	OJ_END_WRITE(s);
}

/* load_dir(): how many files the pattern matched. */
void
oj_progress_files(int files_total)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->files_total = files_total;
	OJ_END_WRITE(s);
}

/* load_dir(): the next file, with fresh counters. */
void
oj_progress_next_file(const char *path)
{
	OjProgressSlot *s = oj_live_slot();

	if (s == NULL)
		return;
	OJ_BEGIN_WRITE(s);
	s->file_no++;
	s->phase = OJ_PHASE_LISTING;
	s->load_id = 0;
	s->bytes_done = 0;
	s->bytes_total = -1;
	s->rows_done = 0;
	s->rows_rejected = 0;
	s->has_path = true;
	oj_progress_copy_text(s->path, sizeof(s->path), path);
	OJ_END_WRITE(s);
}

/* A consistent copy of slot i (retried while its backend writes it). */
static void
oj_progress_read(int i, OjProgressSlot *out)
{
	volatile OjProgressSlot *s = &oj_slots[i];

	for (;;)
	{
		uint32		before = s->changecount;
		uint32		after;

		pg_read_barrier();
		memcpy(out, (const OjProgressSlot *) s, sizeof(OjProgressSlot));
		pg_read_barrier();
		after = s->changecount;
		if (before == after && (before & 1) == 0)
			return;
		CHECK_FOR_INTERRUPTS();
	}
}

/* The view's row for slot s. */
static void
oj_progress_put(ReturnSetInfo *rsinfo, const OjProgressSlot *s)
{
	Datum		v[OJ_PROGRESS_COLS];
	bool		n[OJ_PROGRESS_COLS];
	const char *role = GetUserNameFromId(s->role, true);
	bool		in_dir = s->entry == OJ_PROGRESS_LOAD_DIR;

	memset(n, false, sizeof(n));
	v[0] = Int32GetDatum(s->pid);
	v[1] = role ? CStringGetTextDatum(role) : (Datum) 0;
	n[1] = role == NULL;
	v[2] = CStringGetTextDatum(s->source);
	v[3] = CStringGetTextDatum(oj_entry_names[s->entry]);
	v[4] = s->has_path ? CStringGetTextDatum(s->path) : (Datum) 0;
	n[4] = !s->has_path;
	v[5] = CStringGetTextDatum(oj_phase_names[s->phase]);
	v[6] = Int64GetDatum(s->load_id);
	n[6] = s->load_id == 0;
	v[7] = Int32GetDatum(s->file_no);
	n[7] = !in_dir || s->file_no == 0;
	v[8] = Int32GetDatum(s->files_total);
	n[8] = !in_dir || s->files_total < 0;
	v[9] = Int64GetDatum(s->bytes_done);
	n[9] = s->entry == OJ_PROGRESS_INBOX_INSERT;
	v[10] = Int64GetDatum(s->bytes_total);
	n[10] = s->bytes_total < 0;
	v[11] = Int64GetDatum(s->rows_done);
	v[12] = Int64GetDatum(s->rows_rejected);
	v[13] = TimestampTzGetDatum(s->started_at);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
}

/*
 * progress() RETURNS SETOF record: the loads running in this database that
 * the caller may see (see the file's header); the view offline_join.progress.
 */
Datum
oj_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			me = GetUserId();
	bool		all;
	int			i;

	if (oj_slots == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("offline_join.progress needs offline_join in shared_preload_libraries"),
				 errdetail("Loads report their progress in shared memory, which the library has only when the server preloads it."),
				 errhint("Add offline_join to shared_preload_libraries and restart the server; meanwhile pg_stat_progress_copy shows load() and COPY into an inbox.")));
	InitMaterializedSRF(fcinfo, 0);
	all = oj_role_can_select(me, "loads");
	for (i = 0; i < MaxBackends; i++)
	{
		OjProgressSlot s;

		if (((volatile OjProgressSlot *) &oj_slots[i])->pid == 0)
			continue;			/* a quick look first: most slots are empty */
		oj_progress_read(i, &s);
		if (s.pid == 0 || s.dbid != MyDatabaseId)
			continue;
		if (!all && !has_privs_of_role(me, s.role))
			continue;
		oj_progress_put(rsinfo, &s);
	}
	return (Datum) 0;
}
