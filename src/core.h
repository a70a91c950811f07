/*-------------------------------------------------------------------------
 *
 * core.h
 *	  The plain-C core: the CSV/TSV reader (csv_reader.c) and the row
 *	  validator (validate.c), with the formats' one description of their
 *	  columns.  It needs no backend, so it is built into the extension and,
 *	  unchanged, into the unit tests and the fuzz harness.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_CORE_H
#define OJ_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
#define OJ_ADOBE_MAX_EVAR		250		/* "Evar 1" to "Evar 250" */
#define OJ_ADOBE_MAX_EVENT		1000	/* "Event 1" to "Event 1000" */
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
extern int	oj_format_ncolumns(OjFormatKind kind, int txn_attrs);
extern const char *oj_format_column(OjFormatKind kind, int i, char *buf, size_t len);
extern bool oj_format_from_name(const char *name, OjFormatKind *kind);
extern bool oj_layout_init(OjLayout *layout, OjFormatKind kind, const OjRecord *header,
						   const OjAllocator *alloc, char *errbuf, size_t errlen);
extern bool oj_validate_record(OjLayout *layout, const OjRecord *rec, const OjNow *now,
							   bool check_utf8, OjRow *row, OjReject *reject,
							   const OjAllocator *alloc);
extern void oj_layout_accept(OjLayout *layout, const OjRow *row);
extern void oj_layout_free(OjLayout *layout, const OjAllocator *alloc);
extern bool oj_is_plain_decimal(const char *s, size_t len);

#endif							/* OJ_CORE_H */
