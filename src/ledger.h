/*-------------------------------------------------------------------------
 *
 * ledger.h
 *	  The ledger offline_join.loads (ledger.c): one row per load, written by
 *	  load() and load_dir() (load.c) and by the inbox triggers (inbox.c);
 *	  read back for idempotency by sha256 and for load_dir()'s retries.
 *	  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_LEDGER_H
#define OJ_LEDGER_H

#include "access/tupdesc.h"
#include "datatype/timestamp.h"

/* A ledger row before it is written. */
typedef struct OjLedger
{
	int64		load_id;		/* 0: take the next from the identity */
	const char *source;
	const char *path;
	char		sha256[65];
	bool		have_sha;
	int64		bytes;			/* < 0: unknown */
	TimestampTz started_at;
	int64		rows_total, rows_loaded, rows_rejected, rows_matched;
	const char *status;
	const char *message;
	Oid			loaded_by;		/* the role that loads; InvalidOid: the current user */
	bool		retryable;		/* failed: load_dir() tries this path again next time */
	int64		replaces;		/* the load this one replaces (unloaded), or 0 */
} OjLedger;

extern bool oj_ledger_has_012(void);
extern bool oj_ledger_role_by_name(void);
extern bool oj_ledger_has_021(void);
extern int64 oj_ledger_path_loaded_other(const char *source, const char *path, const char *sha256);
extern void oj_ledger_check_replaceable(const char *source, int64 load_id);
extern void oj_ledger_unload(int64 load_id);
extern Datum oj_ledger_write(const OjLedger *l, TupleDesc result_desc);
extern int64 oj_ledger_find_loaded(const char *source, const char *sha256, const char *path);
extern Datum oj_ledger_write_failure(const OjLedger *known, const char *source, const char *path,
									 const ErrorData *edata, TupleDesc result_desc);

#endif							/* OJ_LEDGER_H */
