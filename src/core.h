/*-------------------------------------------------------------------------
 *
 * core.h
 *	  The plain-C core's records: limits, reason codes, the allocator, the
 *	  dialect and the streaming reader (csv_reader.c).  The formats and
 *	  their validator are format.h's.  The core needs no backend, so it is
 *	  built into the extension and, unchanged, into the unit tests and the
 *	  fuzz harness.
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

/*
 * How a file's bytes make records: a dialect.  A format's descriptor
 * (format.h) holds one; the reader reads by it.  With a quote character,
 * records are RFC 4180 (libcsv); without one, a record is a line split on
 * the delimiter, and lines starting with the comment character are skipped.
 */
typedef struct OjDialectSpec
{
	char		delimiter;		/* ',' ';' '\t' ... */
	char		quote;			/* '"', or '\0': no quoting */
	char		comment;		/* '#': comment lines (unquoted only), or '\0' */
	int			skip_lines;		/* physical lines skipped before the first record */
} OjDialectSpec;

typedef const OjDialectSpec *OjDialect;

/* The built-in formats' dialects (their descriptors' own). */
extern const OjDialectSpec oj_dialect_comma;	/* rmc: ',' and '"' */
extern const OjDialectSpec oj_dialect_tab;	/* adobe: tabs, no quoting, '#' comments */

#define OJ_DIALECT_CSV	(&oj_dialect_comma)
#define OJ_DIALECT_TSV	(&oj_dialect_tab)

typedef struct OjReader OjReader;

/* in csv_reader.c */
extern OjReader *oj_reader_create(OjDialect dialect, OjReadFn read, void *read_arg,
								  const OjAllocator *alloc, size_t max_record_bytes);
extern int	oj_reader_next(OjReader *r, OjRecord *rec);	/* 1 record, 0 eof, -1 read error */
extern int64_t oj_reader_bytes(const OjReader *r);	/* bytes consumed so far */
extern void oj_reader_destroy(OjReader *r);
extern const OjAllocator oj_malloc_allocator;	/* malloc/realloc/free */

#endif							/* OJ_CORE_H */
