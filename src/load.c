/*-------------------------------------------------------------------------
 *
 * load.c
 *	  Loading server files (spec section 3): load(), load_dir() and
 *	  validate_file(); idempotency by sha256 (the ledger, offline_join.loads,
 *	  is ledger.c's), reject_limit, progress in pg_stat_progress_copy, the
 *	  NOTICE summary.
 *
 *	  One load() is one transaction: what it writes commits or aborts with
 *	  the caller's.  The rows of one file are written in a subtransaction so
 *	  that a file over its reject_limit leaves only its 'failed' ledger row,
 *	  and load_dir() can record a failing file and go on with the next.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "commands/progress.h"
#include "commands/sequence.h"
#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "ingest.h"
#include "catalog.h"
#include "citus.h"
#include "files.h"
#include "ledger.h"
#include "load.h"
#include "progress.h"
#include "subxact.h"

PG_FUNCTION_INFO_V1(oj_load);
PG_FUNCTION_INFO_V1(oj_load_dir);

/* what the writers say to do when a Citus node does not answer (oj_citus_check_nodes()) */
PG_FUNCTION_INFO_V1(oj_validate_file);
PG_FUNCTION_INFO_V1(oj_source_files);
PG_FUNCTION_INFO_V1(oj_waiting_files);

#define OJ_PROGRESS_EVERY 4096	/* records between progress reports */


/* Where an error happened, for the error context. */
typedef struct OjErrorPlace
{
	const char *source;
	const char *path;
	int64		line_no;
} OjErrorPlace;

static void
oj_error_context(void *arg)
{
	OjErrorPlace *place = arg;

	if (place->line_no > 0)
		errcontext("source \"%s\", file \"%s\", line %lld",
				   place->source, place->path, (long long) place->line_no);
	else
		errcontext("source \"%s\", file \"%s\"", place->source, place->path);
}

/*
 * The locks that keep a content from being loaded twice by concurrent
 * transactions, all transaction-level and few however many files a call
 * reads: load() holds its source's lock shared and the content's lock
 * (one each); load_dir() holds its source's lock exclusively, which stands
 * for every content of the folder (one in all).  A lock per file, held
 * until the end of a load_dir() over a folder that keeps its files, filled
 * the shared lock table.  Advisory locks in key spaces of their own (the
 * last field: "OJ" for a content, "OS" for a source).
 */
static void
oj_lock_content(const char *source, const char *sha256)
{
	LOCKTAG		tag;
	uint32		h1 = hash_bytes((const unsigned char *) sha256, 64);
	uint32		h2 = hash_bytes((const unsigned char *) source, strlen(source));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, h1, h2, 0x4f4a);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

static void
oj_lock_source(const char *source, LOCKMODE mode)
{
	LOCKTAG		tag;
	uint32		h = hash_bytes((const unsigned char *) source, strlen(source));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, h, 0, 0x4f53);
	(void) LockAcquire(&tag, mode, false, false);
}

/*
 * ingest()'s workers, each file in a transaction of its own: the file's
 * path, held until the worker commits, so that two runs that take the
 * same path one after the other (an ingest() and the next, overlapping)
 * write one ledger row for it: the second sees the first's.
 */
static void
oj_lock_path(const char *source, const char *path)
{
	LOCKTAG		tag;
	uint32		h1 = hash_bytes((const unsigned char *) path, strlen(path));
	uint32		h2 = hash_bytes((const unsigned char *) source, strlen(source));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, h1, h2, 0x4f50);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* The file as the reader reads it, hashed on the way (oj_hashed_read()). */
typedef struct OjHashedRead
{
	int			fd;
	pg_cryptohash_ctx *ctx;		/* NULL: not hashed (validate_file()) */
} OjHashedRead;

static long
oj_hashed_read(void *arg, char *buf, size_t len)
{
	OjHashedRead *h = arg;
	long		n = oj_fd_read(&h->fd, buf, len);

	if (n > 0 && h->ctx != NULL && pg_cryptohash_update(h->ctx, (uint8 *) buf, n) < 0)
		elog(ERROR, "could not compute sha256: %s", pg_cryptohash_error(h->ctx));
	return n;
}

/*
 * ERROR unless the bytes parsed are the bytes whose SHA-256 the ledger
 * keeps: the same length, the same hash, and the file's size and
 * modification time as they were before it was hashed.  Metadata (a chmod,
 * a chown, a hard link) moves only the change time, which is not looked at.
 */
static void
oj_check_unchanged(OjHashedRead *h, const char *path, const char *sha256, int64 bytes_hashed,
				   int64 bytes_read, const struct stat *before)
{
	struct stat now;
	uint8		digest[32];
	char		hex[65];
	int			i;

	if (fstat(h->fd, &now) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (pg_cryptohash_final(h->ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finish sha256: %s", pg_cryptohash_error(h->ctx));
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	if (bytes_read != bytes_hashed || now.st_size != before->st_size)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" changed while it was loaded", path),
				 errdetail("Its size changed: %lld bytes when its SHA-256 was computed, %lld bytes read for its rows, %lld bytes now; nothing of it was kept.",
						   (long long) bytes_hashed, (long long) bytes_read, (long long) now.st_size),
				 errhint("Load a file once it is complete: write it under another name and rename it, or give load_dir() require_fin => true.")));
	if (strcmp(hex, sha256) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" changed while it was loaded", path),
				 errdetail("Its content changed: the bytes read for its rows have SHA-256 %s, not the %s computed first; nothing of it was kept.",
						   hex, sha256),
				 errhint("Load a file once it is complete: write it under another name and rename it, or give load_dir() require_fin => true.")));
	if (now.st_mtim.tv_sec != before->st_mtim.tv_sec || now.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" changed while it was loaded", path),
				 errdetail("It was written to while it was loaded (its modification time moved from %s to %s), although the bytes read match its SHA-256; nothing of it was kept.",
						   pstrdup(timestamptz_to_str(time_t_to_timestamptz(before->st_mtim.tv_sec))),
						   pstrdup(timestamptz_to_str(time_t_to_timestamptz(now.st_mtim.tv_sec)))),
				 errhint("Load a file once it is complete: write it under another name and rename it, or give load_dir() require_fin => true.")));
}

/*
 * Reads the whole file through the pipeline.  Returns false when
 * reject_limit was passed.  sha256 (when not NULL): the hash of the
 * bytes_total bytes the file had before (stat before); the bytes read must
 * be those (oj_check_unchanged()).
 */
static bool
oj_ingest_file(OjIngest *in, int fd, const char *path, int64 bytes_total,
			   const char *sha256, const struct stat *before, OjErrorPlace *place)
{
	OjReader   *reader;
	OjRecord	rec;
	int			rc;
	int64		records = 0;
	const int	progress_index[] = {PROGRESS_COPY_BYTES_PROCESSED, PROGRESS_COPY_TUPLES_PROCESSED,
	PROGRESS_COPY_TUPLES_EXCLUDED};
	int64		progress_value[3];
	OjHashedRead h;

	h.fd = fd;
	h.ctx = NULL;
	if (sha256 != NULL)
	{
		h.ctx = pg_cryptohash_create(PG_SHA256);
		if (pg_cryptohash_init(h.ctx) < 0)
			elog(ERROR, "could not initialize sha256: %s", pg_cryptohash_error(h.ctx));
	}
	reader = oj_ingest_reader(in, oj_hashed_read, &h);
	while ((rc = oj_reader_next(reader, &rec)) == 1)
	{
		CHECK_FOR_INTERRUPTS();
		place->line_no = rec.line_no;
		if (oj_ingest_wants_header(in))
			oj_ingest_header(in, &rec);
		else
			oj_ingest_record(in, &rec);
		if (oj_ingest_over_limit(in))
		{
			oj_reader_destroy(reader);
			if (h.ctx != NULL)
				pg_cryptohash_free(h.ctx);
			return false;
		}
		if (++records % OJ_PROGRESS_EVERY == 0)
		{
			OjIngestCounts c = oj_ingest_counts(in);

			progress_value[0] = oj_reader_bytes(reader);
			progress_value[1] = c.loaded;
			progress_value[2] = c.rejected;
			pgstat_progress_update_multi_param(3, progress_index, progress_value);
			oj_progress_rows(c.total, c.rejected, progress_value[0]);
		}
	}
	if (rc < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	place->line_no = 0;
	if (h.ctx != NULL)
	{
		oj_check_unchanged(&h, path, sha256, bytes_total, oj_reader_bytes(reader), before);
		pg_cryptohash_free(h.ctx);
	}
	progress_value[0] = bytes_total;
	progress_value[1] = oj_ingest_counts(in).loaded;
	progress_value[2] = oj_ingest_counts(in).rejected;
	pgstat_progress_update_multi_param(3, progress_index, progress_value);
	oj_progress_rows(oj_ingest_counts(in).total, progress_value[2], bytes_total);
	oj_reader_destroy(reader);
	return true;
}

/* One file's rows, read in load()'s subtransaction (oj_subxact_run()). */
typedef struct OjLoadBody
{
	OjSource   *src;
	int64		load_id;
	int			fd;
	const char *path;
	int64		bytes;
	const char *sha256;			/* its SHA-256, taken first */
	struct stat hashed;			/* the file before its SHA-256 was taken */
	OjErrorPlace *place;
	OjIngest   *in;				/* out: its counts */
} OjLoadBody;

static bool
oj_load_body(void *arg)
{
	OjLoadBody *b = arg;
	bool		within_limit;

	b->in = oj_ingest_begin(b->src, b->load_id, "load()", true, NULL, NULL);
	within_limit = oj_ingest_file(b->in, b->fd, b->path, b->bytes, b->sha256, &b->hashed, b->place);
	oj_progress_phase(OJ_PHASE_FINISHING);
	oj_ingest_end(b->in);
	return within_limit;
}

/*
 * Reads the file's rows (body) in a subtransaction, so that a file over its
 * reject_limit keeps none of them, with progress in pg_stat_progress_copy.
 * Returns false when reject_limit was passed.
 */
static bool
oj_load_rows(OjLoadBody *body)
{
	const int	index[] = {PROGRESS_COPY_COMMAND, PROGRESS_COPY_TYPE, PROGRESS_COPY_BYTES_TOTAL};
	int64		value[] = {PROGRESS_COPY_COMMAND_FROM, PROGRESS_COPY_TYPE_FILE, body->bytes};
	bool		within_limit;

	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, oj_relation_oid("events"));
	pgstat_progress_update_multi_param(3, index, value);
	oj_progress_phase(OJ_PHASE_LOADING);
	within_limit = oj_subxact_run(oj_load_body, body, NULL);
	pgstat_progress_end_command();
	return within_limit;
}

/*
 * The ledger row of a changed file load_dir() refuses (source option
 * changed_file 'refuse'): failed, not retried for this content, with a
 * WARNING that says how to load it.
 */
static Datum
oj_load_refused_change(OjLedger *l, int64 earlier, TupleDesc result_desc)
{
	l->status = "failed";
	l->retryable = false;
	l->message = psprintf("path loaded before as load %lld with other content; source option changed_file is \"refuse\"",
						  (long long) earlier);
	ereport(WARNING,
			(errmsg("file \"%s\" of source \"%s\" was loaded before as load %lld with other content; not loaded",
					l->path, l->source, (long long) earlier),
			 errhint("Load it with offline_join.load(%s, %s, replaces => %lld) to replace that load, or with force => true to load it as well.",
					 quote_literal_cstr(l->source), quote_literal_cstr(l->path), (long long) earlier)));
	return oj_ledger_write(l, result_desc);
}

/* The ledger row of a file whose content load earlier loaded, with a NOTICE. */
static Datum
oj_load_duplicate(OjLedger *l, int64 earlier, TupleDesc result_desc)
{
	l->status = "duplicate";
	l->message = psprintf("same content as load %lld", (long long) earlier);
	ereport(NOTICE,
			(errmsg("file \"%s\" was already loaded for source \"%s\" as load %lld; nothing loaded",
					l->path, l->source, (long long) earlier),
			 errhint("Use force => true to load it again.")));
	return oj_ledger_write(l, result_desc);
}

/*
 * The outcome of load *l in its ledger row and a NOTICE: the counts of in,
 * or, past src's reject_limit (stopped at line_no), its failure.
 */
static void
oj_load_outcome(OjLedger *l, OjSource *src, OjIngest *in, bool within_limit, int64 line_no)
{
	if (within_limit)
	{
		OjIngestCounts c = oj_ingest_counts(in);

		l->status = "loaded";
		l->rows_total = c.total;
		l->rows_loaded = c.loaded;
		l->rows_rejected = c.rejected;
		l->rows_matched = c.matched;
		ereport(NOTICE,
				(errmsg("load %lld of \"%s\" (source \"%s\"): %lld rows, %lld loaded, %lld rejected, %lld matched",
						(long long) l->load_id, l->path, src->name, (long long) l->rows_total,
						(long long) l->rows_loaded, (long long) l->rows_rejected,
						(long long) l->rows_matched),
				 l->rows_rejected > 0
				 ? errhint("See SELECT * FROM offline_join.rejects WHERE load_id = %lld.", (long long) l->load_id)
				 : 0));
	}
	else
	{
		l->status = "failed";
		l->retryable = false;	/* the content's own failure */
		l->message = psprintf("more than %lld rows rejected (reject_limit of source \"%s\"); "
							  "stopped at line %lld, nothing loaded",
							  (long long) src->reject_limit, src->name, (long long) line_no);
		ereport(NOTICE,
				(errmsg("load %lld of \"%s\" failed: %s", (long long) l->load_id, l->path, l->message),
				 errhint("See the rejected rows with SELECT * FROM offline_join.validate_file(%s, %s).",
						 quote_literal_cstr(src->name), quote_literal_cstr(l->path))));
	}
}

/*
 * Loads one file: the heart of load() and load_dir().  Returns the ledger
 * row, or (Datum) 0 when in_dir and this path with this content already has
 * a ledger row (load_dir skips it without a new row).
 */
static Datum
oj_load_file(OjSource *src, const char *path, bool force, OjLoadMode mode, int64 replaces,
			 TupleDesc result_desc, OjLedger *lp)
{
	OjLedger	l;
	OjErrorPlace place = {src->name, path, 0};
	ErrorContextCallback errcb;
	int			fd;
	int64		size;
	int64		earlier;
	OjLoadBody	body;
	bool		within_limit;
	bool		in_dir = mode != OJ_LOAD_ONE;

	memset(&l, 0, sizeof(l));
	l.source = src->name;
	l.path = path;
	l.started_at = GetCurrentTimestamp();

	errcb.callback = oj_error_context;
	errcb.arg = &place;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	fd = oj_open_file(path, &size);
	oj_progress_phase(OJ_PHASE_HASHING);
	oj_progress_bytes(0, size);
	/* before the hash: a write while it is taken shows at the end too */
	if (fstat(fd, &body.hashed) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	oj_file_sha256(fd, path, l.sha256, &l.bytes);
	oj_progress_phase(OJ_PHASE_CHECKING);
	l.have_sha = true;
	*lp = l;					/* what a failure record can say about the file */

	if (mode != OJ_LOAD_DIR_LOCKED)
	{
		oj_lock_source(src->name, ShareLock);
		oj_lock_content(src->name, l.sha256);
	}
	if (in_dir && !force && oj_ledger_find_loaded(src->name, l.sha256, path) > 0)
	{
		CloseTransientFile(fd);
		error_context_stack = errcb.previous;
		return (Datum) 0;
	}
	if (in_dir && !force && (earlier = oj_ledger_path_loaded_other(src->name, path, l.sha256)) > 0)
	{
		/* a path loaded before with other content: the source says what to do */
		if (src->changed_file == OJ_CHANGED_REFUSE)
		{
			CloseTransientFile(fd);
			error_context_stack = errcb.previous;
			return oj_load_refused_change(&l, earlier, result_desc);
		}
		if (src->changed_file == OJ_CHANGED_REPLACE)
			replaces = earlier;
		else
			ereport(NOTICE,
					(errmsg("file \"%s\" of source \"%s\" was loaded before as load %lld with other content; it is loaded as well",
							path, src->name, (long long) earlier),
					 errhint("Source option changed_file says what load_dir() does with a changed file: load (this), replace or refuse.")));
	}
	if (replaces > 0)
		oj_ledger_check_replaceable(src->name, replaces);
	if (!force && (earlier = oj_ledger_find_loaded(src->name, l.sha256, NULL)) > 0)
	{
		CloseTransientFile(fd);
		error_context_stack = errcb.previous;
		return oj_load_duplicate(&l, earlier, result_desc);
	}

	l.load_id = nextval_internal(oj_relation_oid("loads_load_id_seq"), false);
	oj_progress_load_id(l.load_id);
	body.src = src;
	body.load_id = l.load_id;
	body.fd = fd;
	body.path = path;
	body.bytes = l.bytes;
	body.sha256 = l.sha256;
	body.place = &place;
	within_limit = oj_load_rows(&body);
	CloseTransientFile(fd);
	error_context_stack = errcb.previous;

	oj_load_outcome(&l, src, body.in, within_limit, place.line_no);
	if (replaces > 0 && strcmp(l.status, "loaded") == 0)
	{
		/* the correction is in: the load it replaces goes, in this transaction */
		oj_ledger_unload(replaces);
		l.replaces = replaces;
		ereport(NOTICE,
				(errmsg("load %lld replaces load %lld, which is unloaded", (long long) l.load_id,
						(long long) replaces)));
	}
	return oj_ledger_write(&l, result_desc);
}

/* load(source, path, force, replaces) RETURNS offline_join.loads */
Datum
oj_load(PG_FUNCTION_ARGS)
{
	char	   *source;
	char	   *path;
	TupleDesc	desc;
	OjSource   *src;
	OjLedger	l;
	bool		force = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	int64		replaces = PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_INT64(3) : 0;
	int			progress;
	Datum		row;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();		/* as the STRICT function of 0.2.0 and before */
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3) && replaces <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("replaces must be a load_id, not %lld", (long long) replaces)));
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	oj_check_server_file_access(path);
	(void) oj_tables_writer("offline_join.load()");
	oj_citus_check_nodes("offline_join.load()",
						 OJ_NODE_DOWN_HINT);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	src = oj_source_get(source);
	progress = oj_progress_begin(OJ_PROGRESS_LOAD, src->name, path, GetUserId());
	row = oj_load_file(src, path, force, OJ_LOAD_ONE, replaces, BlessTupleDesc(desc), &l);
	oj_progress_end(progress);
	PG_RETURN_DATUM(row);
}

/* The pattern a folder function reads: its own, or else the source's option pattern. */
static char *
oj_source_pattern(OjSource *src, char *pattern, const char *what)
{
	if (pattern != NULL)
		return pattern;
	if (src->pattern == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a pattern: source \"%s\" has no option pattern", what, src->name),
				 errhint("Give one, or set the source's: UPDATE offline_join.sources SET options = options || '{\"pattern\": \"/path/*.csv\"}' WHERE name = %s.",
						 quote_literal_cstr(src->name))));
	return src->pattern;
}

/* Does path end in ".fin" (an upload marker, never data)? */
static bool
oj_is_fin_marker(const char *path)
{
	size_t		len = strlen(path);

	return len >= 4 && strcmp(path + len - 4, ".fin") == 0;
}

/* One file of load_dir(), in its own subtransaction (oj_subxact_run()). */
typedef struct OjLoadDirBody
{
	OjSource   *src;
	const char *path;
	TupleDesc	desc;
	OjLedger   *known;
	OjLoadMode	mode;
	Datum		row;			/* out: its ledger row, or 0 when skipped */
} OjLoadDirBody;

static bool
oj_load_dir_body(void *arg)
{
	OjLoadDirBody *b = arg;

	b->row = oj_load_file(b->src, b->path, false, b->mode, 0, b->desc, b->known);
	return true;
}

/* Does load_dir() pass over path: a ".fin" marker, a file whose marker is missing (require_fin), a folder? */
static bool
oj_load_dir_skips(const char *path, bool require_fin)
{
	struct stat st;

	if (oj_is_fin_marker(path))
		return true;
	if (require_fin)
	{
		char	   *fin = psprintf("%s.fin", path);

		if (stat(fin, &st) != 0)
			return true;		/* still uploading */
	}
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * One file of load_dir() in its own subtransaction; a cancel or shutdown
 * stops the whole call.  Returns its ledger row (a 'failed' one when it
 * failed), or (Datum) 0 when it is skipped.
 */
static Datum
oj_load_dir_file(OjSource *src, const char *path, OjLoadMode mode, TupleDesc desc)
{
	OjLedger	known;
	OjLoadDirBody dir_file;
	ErrorData  *edata;
	Datum		row;

	memset(&known, 0, sizeof(known));
	known.bytes = -1;
	dir_file.src = src;
	dir_file.path = path;
	dir_file.desc = desc;
	dir_file.known = &known;
	dir_file.mode = mode;
	dir_file.row = (Datum) 0;
	if (oj_subxact_run(oj_load_dir_body, &dir_file, &edata))
		return dir_file.row;
	/* with its sha256 when it was read */
	row = oj_ledger_write_failure(&known, src->name, path, edata, desc);
	FreeErrorData(edata);
	return row;
}

/* The files of paths load_dir() reads or skips: all but the ".fin" markers. */
static int
oj_load_dir_count(List *paths)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, paths)
		n += !oj_is_fin_marker(lfirst(lc));
	return n;
}

/* Adds a row (a datum of the result type) to the result of a materialized SRF. */
static void
oj_put_row(ReturnSetInfo *rsinfo, Datum row)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(row);
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	tuplestore_puttuple(rsinfo->setResult, &tuple);
}

/*
 * load_dir(source, pattern, require_fin) RETURNS SETOF offline_join.loads
 *
 * Every matching file in name order, each in its own subtransaction: a file
 * that fails gets a 'failed' ledger row and the next one goes on.  A file
 * whose path and content already have a ledger row is skipped without a new
 * row, so a scheduled job can run as often as it likes.
 */
Datum
oj_load_dir(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *pattern;
	bool		require_fin;
	OjSource   *src;
	List	   *paths;
	ListCell   *lc;
	TupleDesc	desc;
	int			progress;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;		/* as the STRICT function of 0.2.0 and before */
	src = oj_source_get(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	pattern = oj_source_pattern(src, PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
								"load_dir()");
	require_fin = PG_ARGISNULL(2) ? src->require_fin : PG_GETARG_BOOL(2);
	oj_check_server_file_access(pattern);
	(void) oj_tables_writer("offline_join.load_dir()");
	oj_citus_check_nodes("offline_join.load_dir()",
						 OJ_NODE_DOWN_HINT);
	desc = rsinfo->setDesc;
	/* one lock for every file of the call (oj_lock_source()) */
	oj_lock_source(src->name, ExclusiveLock);
	progress = oj_progress_begin(OJ_PROGRESS_LOAD_DIR, src->name, NULL, GetUserId());

	paths = oj_glob(pattern);
	oj_progress_files(oj_load_dir_count(paths));
	if (paths == NIL)
		ereport(NOTICE,
				(errmsg("no file matches \"%s\"", pattern)));
	foreach(lc, paths)
	{
		char	   *path = lfirst(lc);
		Datum		row;

		CHECK_FOR_INTERRUPTS();
		if (!oj_is_fin_marker(path))
			oj_progress_next_file(path);
		if (oj_load_dir_skips(path, require_fin))
			continue;
		row = oj_load_dir_file(src, path, OJ_LOAD_DIR_LOCKED, desc);
		if (row != (Datum) 0)
			oj_put_row(rsinfo, row);
	}
	oj_progress_end(progress);
	return (Datum) 0;
}

/*
 * One file of a folder as ingest()'s workers load it (load_workers.c), in
 * the worker's transaction: load_dir()'s checks and rules for one path,
 * with load()'s locks (the source's shared, the content's exclusive), so
 * that workers load side by side and a content is still loaded once.
 * Returns the file's ledger row (of type desc), or (Datum) 0 when it is
 * passed over (a marker, a folder, its ".fin" missing, loaded meanwhile).
 */
Datum
oj_load_dir_one(const char *source, const char *path, TupleDesc desc)
{
	OjSource   *src = oj_source_get(source);
	int			progress;
	Datum		row = (Datum) 0;

	oj_check_server_file_access(path);
	(void) oj_tables_writer("offline_join.ingest()");
	oj_citus_check_nodes("offline_join.ingest()",
						 OJ_NODE_DOWN_HINT);
	progress = oj_progress_begin(OJ_PROGRESS_LOAD_DIR, src->name, NULL, GetUserId());
	oj_progress_files(1);
	oj_progress_next_file(path);
	/*
	 * Held until the worker commits, outside the file's subtransaction
	 * (whose rollback would release them before its failure row is
	 * written): the path's lock against another worker, the source's
	 * against a load_dir(), so that either sees this file's ledger row.
	 */
	oj_lock_source(src->name, ShareLock);
	oj_lock_path(src->name, path);
	/* gone since it was listed: nothing to load, as load_dir()'s listing would say */
	if (access(path, F_OK) != 0 && errno == ENOENT)
		ereport(NOTICE,
				(errmsg("file \"%s\" of source \"%s\" is gone; nothing loaded", path, src->name)));
	else if (!oj_load_dir_skips(path, src->require_fin))
		row = oj_load_dir_file(src, path, OJ_LOAD_DIR_SHARED, desc);
	oj_progress_end(progress);
	return row;
}

/* What the ledger says of one path of a source: its latest attempt. */
typedef struct OjPathState
{
	char		path[MAXPGPATH];	/* hash key */
	char		status[16];
	int64		load_id;
	int64		bytes;			/* -1: unknown */
} OjPathState;

/* The latest ledger row of each path of source, by path. */
static HTAB *
oj_latest_by_path(const char *source)
{
	HASHCTL		ctl;
	HTAB	   *h;
	Datum		arg = CStringGetTextDatum(source);
	MemoryContext outer = CurrentMemoryContext;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = MAXPGPATH;
	ctl.entrysize = sizeof(OjPathState);
	ctl.hcxt = outer;
	h = hash_create("offline_join paths", 256, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	SPI_connect();
	if (SPI_execute_with_args("SELECT DISTINCT ON (path) path, status, load_id::pg_catalog.int8,"
							  " coalesce(bytes, -1)::pg_catalog.int8 FROM offline_join.loads"
							  " WHERE source OPERATOR(pg_catalog.=) $1 ORDER BY path, load_id DESC",
							  1, (Oid[]) {TEXTOID}, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.loads failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		char	   *path = SPI_getvalue(t, d, 1);
		bool		isnull;
		OjPathState *e;

		if (strlen(path) >= MAXPGPATH)
			continue;
		e = hash_search(h, path, HASH_ENTER, NULL);
		strlcpy(e->status, SPI_getvalue(t, d, 2), sizeof(e->status));
		e->load_id = DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
		e->bytes = DatumGetInt64(SPI_getbinval(t, d, 4, &isnull));
	}
	SPI_finish();
	return h;
}

/*
 * One file of a source's folder: its state (waiting: no load attempted it;
 * waiting_fin: its .fin marker is missing; changed: loaded, but its size
 * is not the loaded one's; else its latest attempt's status) and that load.
 */
typedef void (*OjFileFn) (void *arg, const char *path, const struct stat *st, const char *state,
						  int64 load_id);

/*
 * The folder a pattern's files are in: the part before the first component
 * with a wildcard (or the last component), which must exist for the
 * pattern ever to match.
 */
static char *
oj_pattern_folder(const char *pattern)
{
	const char *wild = strpbrk(pattern, "*?[");
	const char *end = wild ? wild : pattern + strlen(pattern);

	while (end > pattern && end[-1] != '/')
		end--;
	return end > pattern + 1 ? pnstrdup(pattern, end - pattern - 1) : pstrdup("/");
}

/* Is the folder of a source's pattern there (a mistyped one never matches)? */
static bool
oj_pattern_folder_exists(const char *pattern)
{
	struct stat st;

	return stat(oj_pattern_folder(pattern), &st) == 0 && S_ISDIR(st.st_mode);
}

/* Calls fn for every data file matching pattern (no .fin marker, no folder), in name order. */
static void
oj_source_listing(OjSource *src, const char *pattern, bool require_fin, OjFileFn fn, void *arg)
{
	HTAB	   *latest;
	List	   *paths;
	ListCell   *lc;

	if (!oj_pattern_folder_exists(pattern))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("folder \"%s\" of pattern \"%s\" (source \"%s\") does not exist",
						oj_pattern_folder(pattern), pattern, src->name),
				 errhint("A pattern whose folder is missing never matches a file: check the source's option pattern.")));
	latest = oj_latest_by_path(src->name);
	paths = oj_glob(pattern);

	foreach(lc, paths)
	{
		const char *path = lfirst(lc);
		struct stat st;
		struct stat fin;
		OjPathState *e;
		const char *state;

		CHECK_FOR_INTERRUPTS();
		if (oj_is_fin_marker(path) || stat(path, &st) != 0 || S_ISDIR(st.st_mode))
			continue;
		e = strlen(path) < MAXPGPATH ? hash_search(latest, path, HASH_FIND, NULL) : NULL;
		if (e == NULL)
			state = require_fin && stat(psprintf("%s.fin", path), &fin) != 0 ? "waiting_fin" : "waiting";
		else if (strcmp(e->status, "loaded") == 0 && e->bytes >= 0 && e->bytes != (int64) st.st_size)
			state = "changed";
		else
			state = e->status;
		fn(arg, path, &st, state, e ? e->load_id : 0);
	}
	hash_destroy(latest);
}

/* oj_source_listing() callback of source_files(): one result row. */
static void
oj_source_files_row(void *arg, const char *path, const struct stat *st, const char *state, int64 load_id)
{
	ReturnSetInfo *rsinfo = arg;
	Datum		v[5];
	bool		n[5] = {false, false, false, false, load_id == 0};

	v[0] = CStringGetTextDatum(path);
	v[1] = Int64GetDatum((int64) st->st_size);
	v[2] = TimestampTzGetDatum(time_t_to_timestamptz(st->st_mtime));
	v[3] = CStringGetTextDatum(state);
	v[4] = Int64GetDatum(load_id);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
}

/*
 * source_files(source, pattern DEFAULT NULL): the files of a source's
 * folder (its option pattern by default) and what the ledger says of each,
 * without reading them.
 */
Datum
oj_source_files(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	OjSource   *src;
	char	   *pattern;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	src = oj_source_get(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	pattern = oj_source_pattern(src, PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
								"source_files()");
	oj_check_server_file_access(pattern);
	oj_source_listing(src, pattern, src->require_fin, oj_source_files_row, rsinfo);
	return (Datum) 0;
}

/* oj_source_listing() callback of waiting_files(): counts the files waiting. */
static void
oj_waiting_count(void *arg, const char *path, const struct stat *st, const char *state, int64 load_id)
{
	if (strcmp(state, "waiting") == 0 || strcmp(state, "waiting_fin") == 0 || strcmp(state, "changed") == 0)
		(*(int64 *) arg)++;
}

/*
 * waiting_files(source): how many files of the source's folder (option
 * pattern) no load has attempted yet, those waiting for their .fin marker
 * and changed ones included; NULL without a pattern, or for a caller that
 * may not read server files (source_status shows it to anyone who may read
 * the ledger).
 */
Datum
oj_waiting_files(PG_FUNCTION_ARGS)
{
	OjSource   *src;
	int64		n = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	src = oj_source_get(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (src->pattern == NULL || !oj_may_read_server_files() || !oj_pattern_folder_exists(src->pattern))
		PG_RETURN_NULL();		/* unknown (source_files() and ingest() say why) */
	oj_source_listing(src, src->pattern, src->require_fin, oj_waiting_count, &n);
	PG_RETURN_INT64(n);
}

/* validate_file(source, path) RETURNS TABLE(line_no, field, reason, message): a dry run. */
Datum
oj_validate_file(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	OjSource   *src;
	OjErrorPlace place;
	ErrorContextCallback errcb;
	int			fd;
	int64		size;
	OjIngest   *in;
	OjIngestCounts counts;
	int			progress;

	oj_check_server_file_access(path);
	(void) oj_tables("offline_join.validate_file()");
	src = oj_source_get(source);
	InitMaterializedSRF(fcinfo, 0);

	place.source = src->name;
	place.path = path;
	place.line_no = 0;
	errcb.callback = oj_error_context;
	errcb.arg = &place;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	progress = oj_progress_begin(OJ_PROGRESS_VALIDATE, src->name, path, GetUserId());
	fd = oj_open_file(path, &size);
	oj_progress_bytes(0, size);
	in = oj_ingest_begin(src, 0, "validate_file()", true, rsinfo->setResult, rsinfo->setDesc);
	(void) oj_ingest_file(in, fd, path, size, NULL, NULL, &place);	/* a dry run reports every bad row */
	counts = oj_ingest_counts(in);
	ereport(NOTICE,
			(errmsg("\"%s\" (source \"%s\"): %lld rows, %lld valid, %lld rejected",
					path, src->name, (long long) counts.total, (long long) counts.loaded,
					(long long) counts.rejected)));
	oj_ingest_end(in);
	CloseTransientFile(fd);
	error_context_stack = errcb.previous;
	oj_progress_end(progress);
	return (Datum) 0;
}
