/*-------------------------------------------------------------------------
 *
 * offline_join.h
 *	  The one private header of offline_join.
 *
 * The first part is the plain-C core: the CSV/TSV reader (csv_reader.c) and
 * the row validator (validate.c).  It needs no backend, so it is built into
 * the extension and, unchanged, into the unit tests and the fuzz harness.
 *
 * The second part, compiled only after postgres.h, declares the backend
 * glue, grouped by the file that defines it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OFFLINE_JOIN_H
#define OFFLINE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ======================================================================
 * Plain-C core
 * ====================================================================== */

/* Limits of the core (bytes). */
#define OJ_MAX_RECORD_BYTES		(1024 * 1024)	/* a record longer is too_long */
/* A record with more fields than this is too_long, too (65536 for 1 MiB). */
#define OJ_MAX_FIELDS_FOR(max_record) ((max_record) / sizeof(OjField) > 1 ? (max_record) / sizeof(OjField) : 1)
/*
 * The one rule for the core's memory, derived from the record cap: no
 * block it asks for is larger than this.  The reader keeps a record's
 * bytes and fields (each below 2 x the cap, growing by doubling); the
 * validator's layout has about 100 bytes per column of a record.
 */
#define OJ_CORE_MAX_BLOCK		((size_t) 8 * OJ_MAX_RECORD_BYTES)
#define OJ_MAX_RAW_KEEP			1024		/* prefix of a too-long record kept as raw */
#define OJ_MAX_ID_BYTES			100			/* transaction IDs */
#define OJ_MAX_CUSTOMER_ID_BYTES 1000		/* customer/visitor IDs: indexed, so bounded */
#define OJ_ADOBE_MAX_ROW_BYTES	4096
#define OJ_ADOBE_MAX_DAYS		90
#define OJ_MAX_NUMBER_DIGITS	1000		/* longer numbers are out of range */

/* Reason codes of spec section 3; keep in step with oj_reason_name(). */
typedef enum OjReason
{
	OJ_OK = 0,
	OJ_R_PARSE,
	OJ_R_COLUMNS,
	OJ_R_MISSING,
	OJ_R_FORMAT,
	OJ_R_RANGE,
	OJ_R_ENCODING,
	OJ_R_TOO_LONG,
	OJ_R_FORBIDDEN,
	OJ_R_TOO_MANY_DAYS,
	OJ_R_UNKNOWN_PRODUCT,
	OJ_R_TOTAL_MISMATCH
} OjReason;

/* A field of a record: bytes, not NUL-terminated, valid until the next read. */
typedef struct OjField
{
	const char *data;
	size_t		len;
} OjField;

/* One record as the reader returns it. */
typedef struct OjRecord
{
	int64_t		line_no;		/* physical line where the record starts, 1-based */
	int			nfields;
	OjField    *fields;
	const char *raw;			/* the record's bytes, line end excluded */
	size_t		raw_len;		/* (cut to OJ_MAX_RAW_KEEP for too-long records) */
	OjReason	error;			/* OJ_OK, or OJ_R_PARSE / OJ_R_TOO_LONG: no fields */
	const char *error_message;	/* lower-case, for error != OJ_OK */
} OjRecord;

/* Allocator the core uses for everything (the backend passes palloc). */
typedef struct OjAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* may return NULL */
	void	   *(*realloc) (void *ctx, void *ptr, size_t size); /* ptr may be NULL */
	void		(*free) (void *ctx, void *ptr);
	void	   *ctx;
} OjAllocator;

/* Returns bytes read into buf (0 at end of file), or -1 with errno set. */
typedef long (*OjReadFn) (void *arg, char *buf, size_t len);

typedef enum OjDialect
{
	OJ_DIALECT_CSV,				/* RFC 4180, libcsv; ',' and '"' */
	OJ_DIALECT_TSV				/* Adobe: tabs, no quoting, '#' comment lines */
} OjDialect;

typedef struct OjReader OjReader;

/* in csv_reader.c */
extern OjReader *oj_reader_create(OjDialect dialect, OjReadFn read, void *read_arg,
								  const OjAllocator *alloc, size_t max_record_bytes);
extern int	oj_reader_next(OjReader *r, OjRecord *rec);	/* 1 record, 0 eof, -1 read error */
extern int64_t oj_reader_bytes(const OjReader *r);	/* bytes consumed so far */
extern void oj_reader_destroy(OjReader *r);
extern const OjAllocator oj_malloc_allocator;	/* malloc/realloc/free */

/* Format of a source. */
typedef enum OjFormatKind
{
	OJ_FORMAT_RMC,
	OJ_FORMAT_ADOBE
} OjFormatKind;

/* Where a column of the file lands (see the spec's mapping table). */
typedef enum OjRole
{
	OJ_COL_TIME,				/* rmc Time Stamp, adobe Date */
	OJ_COL_CUSTOMER,			/* rmc Customer ID, adobe VisitorID */
	OJ_COL_TRANSACTION,			/* adobe transactionID */
	OJ_COL_EVENT_TYPE,			/* rmc Event Type */
	OJ_COL_CATEGORY,
	OJ_COL_PRODUCT,				/* rmc Event Name, adobe Product */
	OJ_COL_NUM1,				/* rmc Num1, adobe Quantity */
	OJ_COL_NUM2,				/* rmc Num2, adobe Price */
	OJ_COL_DIM,					/* -> dims (text) */
	OJ_COL_ATTR,				/* -> attrs (text; rmc) */
	OJ_COL_METRIC				/* -> attrs (number; adobe) */
} OjRole;

typedef struct OjColumn
{
	OjRole		role;
	const char *name;			/* name for rejects: "Time Stamp", "Evar 3" (as in the file for adobe) */
	const char *key;			/* json key for DIM/ATTR/METRIC: "var1", "evar3", "txn_attr2", "cart_adds" */
	bool		required;		/* mandatory non-empty */
} OjColumn;

/* What the header (or the format's default) decided about a file. */
typedef struct OjLayout
{
	OjFormatKind kind;
	int			ncols;			/* fields every row must have (rmc without header: 0 = at least 7) */
	OjColumn   *cols;			/* ncols entries (for rmc without header: built per row width) */
	bool		key_is_transaction; /* adobe: transactionID column present */
	int			ndays;			/* adobe: distinct days of the rows accepted so far */
	int32_t		days[OJ_ADOBE_MAX_DAYS];	/* as yyyymmdd */
} OjLayout;

/* A validated row: every field checked, so the backend's conversions cannot fail. */
typedef struct OjKeyValue
{
	const char *key;
	OjField		value;
	bool		numeric;		/* value is a checked plain decimal */
} OjKeyValue;

typedef struct OjRow
{
	int			year, month, day, hour, minute, second; /* local time in the source's timezone */
	bool		has_customer, has_transaction, has_event_type, has_category, has_product,
				has_num1, has_num2;
	OjField		customer_id, transaction_id, category, product;
	int32_t		event_type;
	OjField		num1, num2;		/* checked plain decimals */
	int			ndims, nattrs;
	OjKeyValue *dims;			/* non-empty values only, file order */
	OjKeyValue *attrs;
	int32_t		new_day;		/* adobe: a day (yyyymmdd) the file has no loaded row of yet */
} OjRow;

typedef struct OjReject
{
	OjReason	reason;
	const char *field;			/* column name, or NULL for the whole record */
	char		message[256];	/* lower-case, names the value and the rule */
} OjReject;

/* "Now" in the source's timezone, for the adobe future-date rule. */
typedef struct OjNow
{
	int			year, month, day, hour, minute, second;
} OjNow;

/* in validate.c */
extern const char *oj_reason_name(OjReason reason);
extern bool oj_format_from_name(const char *name, OjFormatKind *kind);
extern bool oj_layout_init(OjLayout *layout, OjFormatKind kind, const OjRecord *header,
						   const OjAllocator *alloc, char *errbuf, size_t errlen);
extern bool oj_validate_record(OjLayout *layout, const OjRecord *rec, const OjNow *now,
							   bool check_utf8, OjRow *row, OjReject *reject,
							   const OjAllocator *alloc);
extern void oj_layout_accept(OjLayout *layout, const OjRow *row);
extern void oj_layout_free(OjLayout *layout, const OjAllocator *alloc);
extern bool oj_is_plain_decimal(const char *s, size_t len);

/* ======================================================================
 * Backend glue (only after postgres.h)
 * ====================================================================== */
#ifdef POSTGRES_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
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
extern void oj_check_schema_trusted(Oid ext_owner, const char *what);
extern void oj_become(Oid role, OjSavedUser *saved);
extern void oj_unbecome(const OjSavedUser *saved);
extern void oj_check_table_privilege(Relation rel, AclMode mode);
extern void oj_check_no_rls(Relation rel);
extern bool oj_role_can_select(Oid role, const char *table);

/* in guc.c */
extern char *oj_transaction_window_string;
extern int	oj_expire_naptime;
extern int	oj_expire_batch_size;
extern char *oj_database;
extern void oj_guc_init(void);
extern bool oj_parse_interval(const char *str, Interval *result);
extern Interval *oj_transaction_window(void);
extern void oj_check_retention(const Interval *retention, const char *what);
extern bool oj_lookback_ok(const Interval *value, bool allow_zero);

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

/* in index_scan.c: index scans kept open across rows */
typedef struct OjIndexScan OjIndexScan;
extern OjIndexScan *oj_index_scan_begin(Relation heap, Relation index, Snapshot snapshot, int nkeys);
extern bool oj_index_scan_first(OjIndexScan *s, ScanKey keys, int nkeys, ScanDirection dir);
extern bool oj_index_scan_next(OjIndexScan *s, ScanDirection dir);
extern struct TupleTableSlot *oj_index_scan_slot(OjIndexScan *s);
extern void oj_index_scan_end(OjIndexScan *s);

struct Tuplestorestate;

/* in bulk_insert.c: the sink's direct path */
typedef struct OjBulk OjBulk;
extern OjBulk *oj_bulk_open(Relation rel);
extern void oj_bulk_add(OjBulk *b, Datum *values, bool *nulls);
extern void oj_bulk_flush(OjBulk *b);
extern void oj_bulk_close(OjBulk *b);

/* in sink.c: where writers put rows (direct, or one executor statement) */
typedef struct OjSink OjSink;
extern OjSink *oj_sink_open(const char *table, const char *writer, bool apply_rls,
							int ncols, const char *const *names, const Oid *types);
extern void oj_sink_put(OjSink *s, const Datum *values, const bool *nulls);
extern const char *oj_sink_executor_reason(OjSink *s);
extern void oj_sink_close(OjSink *s);
extern int64 oj_rows_execute(const char *sql, struct Tuplestorestate *store, TupleDesc desc);
extern char *oj_rows_source(TupleDesc desc);

/* The result of matching one event (match.c). */
typedef struct OjMatch
{
	const char *kind;			/* "transaction", "customer" or "unmatched" */
	Datum		visitor_id, session_id, snapshot;
	bool		visitor_null, session_null, snapshot_null;
} OjMatch;

/* in match.c */
typedef struct OjMatcher OjMatcher;
extern Oid	oj_relation_oid(const char *name);
extern AttrNumber oj_column(Relation rel, const char *name);
extern AttrNumber oj_typed_column(Relation rel, const char *name, Oid typid);
extern Relation oj_index_open(Relation heap, const char *name, int nkeys, const Oid *types);
extern OjMatcher *oj_matcher_open(void);
extern void oj_match(OjMatcher *m, TimestampTz event_time, text *customer_id,
					 text *transaction_id, const Interval *lookback, OjMatch *out);
extern void oj_matcher_close(OjMatcher *m);

/* One run of the row pipeline (ingest.c): a file, or a COPY statement. */
typedef struct OjIngest
{
	OjSource   *src;
	int64		load_id;		/* 0: dry run */
	OjLayout	layout;
	bool		layout_ready;
	OjAllocator alloc;
	OjNow		now;
	bool		check_utf8;
	int			encoding;
	MemoryContext cxt;
	MemoryContext rowcxt;		/* reset after every row */
	bool		tz_fixed;		/* the zone has one offset, tz_fixed_offset */
	int			tz_fixed_offset;
	bool		tz_cached;		/* the zone offset of local minute tz_minute */
	int64		tz_minute;
	int			tz_offset;
	bool		tz_gap;			/* that minute does not exist (daylight saving time) */
	text	   *source_text;
	Jsonb	   *empty_object;
	/* sinks */
	OjMatcher  *matcher;
	OjSink	   *events;
	OjSink	   *rejects;
	struct Tuplestorestate *dry_rejects;
	TupleDesc	dry_desc;
	Datum	   *ev_values;
	bool	   *ev_nulls;
	/* product feed, when the source's options use it */
	Relation	prod_rel;
	Relation	prod_idx;
	OjIndexScan *prod_scan;
	Snapshot	prod_snapshot;
	AttrNumber	prod_price_att;
	/* builds a reject's raw text when the record has none (the inbox) */
	void		(*make_raw) (struct OjIngest *in, const OjRecord *rec, const char **raw, size_t *len);
	void	   *make_raw_arg;
	/* counts */
	int64		rows_total;
	int64		rows_loaded;
	int64		rows_rejected;
	int64		rows_matched;
} OjIngest;

/* in files.c */
extern void oj_check_server_file_access(const char *path);
extern int	oj_open_file(const char *path, int64 *size);
extern long oj_fd_read(void *arg, char *buf, size_t len);
extern void oj_file_sha256(int fd, const char *path, char hex[65], int64 *bytes);
extern List *oj_glob(const char *pattern);

/* A ledger row before it is written (load.c). */
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
} OjLedger;

/* in load.c */
extern Datum oj_ledger_write(const OjLedger *l, TupleDesc result_desc);
extern bool oj_ledger_has_012(void);

/* in ingest.c */
extern OjAllocator oj_palloc_allocator(MemoryContext cxt);
extern text *oj_safe_text(const char *s, size_t len);
extern OjIngest *oj_ingest_begin(OjSource *src, int64 load_id, const char *writer, bool apply_rls,
								 struct Tuplestorestate *dry_rejects, TupleDesc dry_desc);
extern bool oj_ingest_wants_header(OjIngest *in);
extern void oj_ingest_header(OjIngest *in, const OjRecord *rec);
extern bool oj_ingest_check(OjIngest *in, const OjRecord *rec, OjRow *row, OjReject *rj,
							TimestampTz *event_time);
extern void oj_ingest_record(OjIngest *in, const OjRecord *rec);
extern Datum oj_numeric(OjField f);
extern Datum oj_jsonb_object(OjIngest *in, const OjKeyValue *kv, int n);
extern void oj_ingest_end(OjIngest *in);

/* in expiry.c */
extern void oj_expiry_init(void);

/* in online.c */
extern void oj_check_transaction_id(const char *id, size_t len);

#endif							/* POSTGRES_H */

#endif							/* OFFLINE_JOIN_H */
