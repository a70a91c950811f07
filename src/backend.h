/*-------------------------------------------------------------------------
 *
 * backend.h
 *	  The helpers every backend file shares: the trust boundary
 *	  (security.c), parameters (guc.c), sources (source.c), server files
 *	  (files.c); and the entry points of the online side.  The modules with
 *	  a header of their own (catalog.h, citus.h, index_scan.h, subxact.h,
 *	  expiry.h, ...) are not declared here.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_BACKEND_H
#define OJ_BACKEND_H

#include "core.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"
#include "nodes/pg_list.h"
#include "nodes/parsenodes.h"
#include "utils/snapshot.h"
#include "access/tupdesc.h"
#include "access/sdir.h"
#include "access/skey.h"

#define OJ_SCHEMA "offline_join"

/* The user and security context to return to after oj_become() (security.c). */
typedef struct OjSavedUser
{
	Oid			userid;
	int			sec_context;
} OjSavedUser;

/* in security.c */
extern Oid	oj_extension_owner(void);
extern bool oj_schema_trusted(Oid ext_owner, char **why);
/* What code with the owner's rights writes (oj_owner_writes_trusted()). */
typedef enum OjOwnerWrites
{
	OJ_WRITES_NONE,				/* nothing: reads only */
	OJ_WRITES_INBOX,			/* events, rejects, loads */
	OJ_WRITES_EXPIRY			/* transactions, expiry_runs */
} OjOwnerWrites;
extern void oj_check_schema_trusted(Oid ext_owner, const char *what, OjOwnerWrites writes);
extern bool oj_owner_writes_trusted(Oid ext_owner, OjOwnerWrites writes, char **why);
extern bool oj_owner_writes_run_user_code(void);
extern void oj_become(Oid role, OjSavedUser *saved);
extern void oj_unbecome(const OjSavedUser *saved);
extern void oj_check_table_privilege(Relation rel, AclMode mode);
extern void oj_check_no_rls(Relation rel);
extern bool oj_role_can_select(Oid role, const char *table);

/* in guc.c */
extern char *oj_transaction_window_string;
extern int	oj_expire_naptime;
extern int	oj_expire_batch_size;
extern int	oj_citus_match_batch;
extern char *oj_database;
extern void oj_guc_init(void);
extern bool oj_parse_interval(const char *str, Interval *result);
extern Interval *oj_transaction_window(void);
extern void oj_check_retention(const Interval *retention, const char *what);
extern TimestampTz oj_utc_plus(TimestampTz t, const Interval *iv, bool minus);
extern const char *oj_span_problem(const Interval *iv, bool allow_zero);
extern void oj_check_span(const Interval *iv, bool allow_zero, const char *what, const char *hint);

/* An offline source with its options checked (source.c). */
typedef struct OjSource
{
	char	   *name;
	OjFormatKind kind;
	bool		header;
	char	   *timezone;
	struct pg_tz *tz;
	int64		reject_limit;	/* -1: no limit */
	Interval	lookback;
	bool		require_known_product;
	bool		has_tolerance;
	struct NumericData *total_tolerance;
} OjSource;

/* in source.c */
extern void oj_source_parse(const char *name, const char *format, Jsonb *options,
							OjSource *src);
extern OjSource *oj_source_get(const char *name);

struct Tuplestorestate;

/* in files.c */
extern void oj_check_server_file_access(const char *path);
extern int	oj_open_file(const char *path, int64 *size);
extern long oj_fd_read(void *arg, char *buf, size_t len);
extern void oj_file_sha256(int fd, const char *path, char hex[65], int64 *bytes);
extern List *oj_glob(const char *pattern);

/* in load.c */
extern bool oj_ledger_role_by_name(void);

/* in expiry.c */
extern void oj_expiry_init(void);

/* in online.c */
extern void oj_check_transaction_id(const char *id, size_t len);

#endif							/* OJ_BACKEND_H */
