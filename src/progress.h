/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  Progress of running loads (progress.c): one shared-memory slot per
 *	  backend, written by its own backend only, read by
 *	  offline_join.progress().  Every call is a no-op when the library was
 *	  not preloaded.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_PROGRESS_H
#define OJ_PROGRESS_H

/* The entry point a run came through. */
typedef enum OjProgressEntry
{
	OJ_PROGRESS_LOAD,			/* load() */
	OJ_PROGRESS_LOAD_DIR,		/* load_dir(): one file after the other */
	OJ_PROGRESS_VALIDATE,		/* validate_file(): a dry run */
	OJ_PROGRESS_INBOX_COPY,		/* COPY into an inbox */
	OJ_PROGRESS_INBOX_INSERT	/* INSERT into an inbox */
} OjProgressEntry;

/* What a run is doing now (the names are the view's). */
typedef enum OjProgressPhase
{
	OJ_PHASE_LISTING,			/* load_dir(): matching the pattern, choosing the next file */
	OJ_PHASE_HASHING,			/* the file's SHA-256 */
	OJ_PHASE_CHECKING,			/* its content's lock, the ledger: loaded before? */
	OJ_PHASE_LOADING,			/* rows read, checked, matched, written */
	OJ_PHASE_VALIDATING,		/* validate_file(): rows read and checked */
	OJ_PHASE_FINISHING			/* last rows flushed, their triggers, the ledger row */
} OjProgressPhase;

/* in progress.c */
extern void oj_progress_init(void);
extern int	oj_progress_begin(OjProgressEntry entry, const char *source, const char *path,
							  Oid role);
extern void oj_progress_end(int level);
extern void oj_progress_phase(OjProgressPhase phase);
extern void oj_progress_path(const char *path);
extern void oj_progress_load_id(int64 load_id);
extern void oj_progress_bytes(int64 bytes_done, int64 bytes_total);
extern void oj_progress_rows(int64 rows_done, int64 rows_rejected, int64 bytes_done);
extern int	oj_progress_begin_inbox(Oid relid, const char *source, Oid role);
extern void oj_progress_inbox_rows(int64 rows_done, int64 rows_rejected);
extern void oj_progress_files(int files_total);
extern void oj_progress_next_file(const char *path);

#endif							/* OJ_PROGRESS_H */
