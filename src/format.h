/*-------------------------------------------------------------------------
 *
 * format.h
 *	  The formats of the plain-C core: one descriptor per format (format.c
 *	  has the registry; format_rmc.c, format_adobe.c and format_csv.c one
 *	  format each), and the row validator they share (validate.c).
 *
 * A descriptor holds everything a file of its format needs: the name, the
 * dialect the reader reads by, the header rule, the column table (each
 * column's target field, name, json key and whether it must have a value),
 * the options it reads and how it reads its time column.  The reader, the
 * validator, the inbox's columns and checks, source option validation and
 * offline_join.format_columns() (the docs' format tables) all read it; no
 * other file knows a format by name.  Adding a format is one file here
 * plus one line of format.c's registry.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_FORMAT_H
#define OJ_FORMAT_H

#include "core.h"

#define OJ_ADOBE_MAX_ROW_BYTES	4096
#define OJ_ADOBE_MAX_DAYS		90
#define OJ_ADOBE_MAX_EVAR		250		/* "Evar 1" to "Evar 250" */
#define OJ_ADOBE_MAX_EVENT		1000	/* "Event 1" to "Event 1000" */
#define OJ_MAX_NUMBER_DIGITS	1000		/* longer numbers are out of range */

/* Where a column of the file lands (see the spec's mapping table). */
typedef enum OjRole
{
	OJ_COL_TIME,				/* -> event_time */
	OJ_COL_CUSTOMER,			/* -> customer_id */
	OJ_COL_TRANSACTION,			/* -> transaction_id */
	OJ_COL_EVENT_TYPE,			/* -> event_type (integer) */
	OJ_COL_CATEGORY,
	OJ_COL_PRODUCT,
	OJ_COL_NUM1,
	OJ_COL_NUM2,
	OJ_COL_DIM,					/* -> dims (text) */
	OJ_COL_ATTR,				/* -> attrs (text) */
	OJ_COL_METRIC,				/* -> attrs (number; adobe) */
	OJ_COL_IGNORE				/* read past (a csv source's unmapped column) */
} OjRole;

typedef struct OjColumn
{
	OjRole		role;
	const char *name;			/* the file's name, for rejects: "Time Stamp", "Evar 3" */
	const char *key;			/* the event field or json key: "event_time", "var1", "cart_adds" */
	bool		required;		/* must have a value */
} OjColumn;

/* Numbered columns a header may name: "Evar 1" to "Evar 250" (name and key take the number). */
typedef struct OjColumnPattern
{
	OjRole		role;
	const char *name;			/* "Evar %d" */
	const char *key;			/* "evar%d" */
	int			first;			/* the first number... */
	int			max;			/* ...and the last (0: any) */
	int			position;		/* by position: the first pattern column's (rmc: 23), else 0 */
} OjColumnPattern;

typedef struct OjFormat OjFormat;

/* What the header (or the format's default) decided about a file. */
typedef struct OjLayout
{
	const OjFormat *format;
	int			ncols;			/* fields every row must have (0: at least min_fields) */
	int			min_fields;		/* without a header: rows need this many fields */
	OjColumn   *cols;			/* ncols entries (without a header: built per row width) */
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
	int32_t		usec;			/* fraction of the second, microseconds */
	bool		has_offset;		/* the value gave its UTC offset: the zone does not apply */
	int32_t		utc_offset;		/* seconds east of UTC */
	bool		has_customer, has_transaction, has_event_type, has_category, has_product,
				has_num1, has_num2;
	OjField		customer_id, transaction_id, category, product;
	int32_t		event_type;
	OjField		num1, num2;		/* checked decimals */
	char		decimal;		/* their decimal separator: '.', or ',' */
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

/*
 * A source option handed to a format: the backend flattens the options
 * object, so that {"columns": {"dims": {"c": "Campaign"}}} arrives as name
 * "columns", path {"dims", "c"}; an array's elements come one by one with
 * their index.
 */
typedef enum OjOptionType
{
	OJ_OPT_NULL, OJ_OPT_BOOL, OJ_OPT_NUMBER, OJ_OPT_STRING, OJ_OPT_EMPTY	/* {} or [] */
} OjOptionType;

#define OJ_OPTION_DEPTH 2

typedef struct OjOption
{
	const char *name;			/* the top-level key */
	const char *path[OJ_OPTION_DEPTH];	/* keys below it, NULL-terminated */
	int			depth;			/* how many of path are set; more than OJ_OPTION_DEPTH: too deep */
	int			index;			/* element of an array, or -1 */
	OjOptionType type;
	const char *text;			/* string or number text, "true"/"false" */
} OjOption;

/* Why a format refused its options. */
typedef struct OjOptionError
{
	char		option[128];	/* the option as the user wrote it: "columns.evnet_time" */
	char		value[128];		/* the value as text, or "" when the option is unknown */
	char		message[256];	/* without value: what follows 'source "x" ' */
	char		detail[256];	/* full sentence(s), or "" */
	char		hint[256];		/* full sentence, or "" */
} OjOptionError;

/* How an inbox's statement makes a file's header. */
typedef enum OjInboxHeader
{
	OJ_INBOX_BY_POSITION,		/* the inbox's columns in order; none may be left out (rmc) */
	OJ_INBOX_BY_STATEMENT,		/* COPY's column list, or an INSERT's first row's values (adobe) */
	OJ_INBOX_BY_NAME			/* COPY's column list, or every column (csv) */
} OjInboxHeader;

/* A csv source's settings (format_csv.c). */
typedef struct OjCsvSpec OjCsvSpec;

/* A format's descriptor. */
struct OjFormat
{
	const char *name;
	const char *title;			/* for the docs: "Offline Data Import CSV" */
	OjDialectSpec dialect;
	bool		header;			/* files start with a header line */
	bool		header_optional;	/* option header may say false */
	char		decimal;		/* decimal separator of numbers */
	const OjColumn *columns;	/* the column table (format_columns()) */
	int			ncolumns;
	bool		by_position;	/* the table's columns are positions 1, 2, ... (else header names) */
	const int  *positions;		/* or each one's position (a csv source without a header) */
	const OjColumnPattern *patterns;	/* numbered columns beyond the table */
	int			npatterns;
	char		forbidden;		/* a character dimensions may not hold (adobe: ';'), or '\0' */
	const char *const *options; /* the options it reads, beyond every source's; NULL-ended */
	const char *time_expected;	/* how its time column reads, for messages */
	OjInboxHeader inbox_header;
	bool		inbox_extra;	/* create_inbox()'s transaction_attrs adds columns */
	const char *encoding;		/* the files' encoding; NULL: the database's */
	const OjCsvSpec *csv;		/* format csv: the source's settings */

	/* a configured descriptor from a source's options (base is this one) */
	bool		(*configure) (const OjFormat *base, const OjOption *opts, int nopts,
							  const OjAllocator *alloc, const OjFormat **out, OjOptionError *err);
	/* the layout of a file from its header (NULL: none) */
	bool		(*layout_init) (OjLayout *layout, const OjRecord *header,
								const OjAllocator *alloc, char *errbuf, size_t errlen);
	/* one record's checks */
	bool		(*validate) (OjLayout *layout, const OjRecord *rec, const OjNow *now,
							 bool check_utf8, OjRow *row, OjReject *reject,
							 const OjAllocator *alloc);
	/* the time column: OJ_OK, or OJ_R_FORMAT when its shape is wrong */
	OjReason	(*parse_time) (const OjFormat *format, const OjField *f, OjRow *row);
	/* an inbox's columns: how many (extra: create_inbox's transaction_attrs), and name i */
	int			(*inbox_ncolumns) (const OjFormat *format, int extra);
	const char *(*inbox_column) (const OjFormat *format, int i, char *buf, size_t len);
};

/* The handle the unit tests and callers use for a format. */
typedef const OjFormat *OjFormatKind;

/* in format.c: the registry */
extern const OjFormat oj_format_rmc;
extern const OjFormat oj_format_adobe;
extern const OjFormat oj_format_csv;
#define OJ_FORMAT_RMC	(&oj_format_rmc)
#define OJ_FORMAT_ADOBE (&oj_format_adobe)
#define OJ_FORMAT_CSV	(&oj_format_csv)
extern bool oj_format_from_name(const char *name, OjFormatKind *kind);
extern const char *oj_format_names(void);	/* "rmc, adobe, csv" */
extern const char *oj_format_extra_names(void); /* those whose inboxes take extra columns */
extern int	oj_format_ncolumns(OjFormatKind kind, int txn_attrs);
extern const char *oj_format_column(OjFormatKind kind, int i, char *buf, size_t len);
extern bool oj_format_configure(OjFormatKind kind, const OjOption *opts, int nopts,
								const OjAllocator *alloc, OjFormatKind *out, OjOptionError *err);

/* in format_csv.c: the csv format's time reading, for the unit tests */
extern OjReason oj_parse_iso_time(const OjField *f, OjRow *row);

#endif							/* OJ_FORMAT_H */
