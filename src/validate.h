/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  The row validator every format shares (validate.c): a file's layout
 *	  from its header, one record's checks, the reason codes' names, and
 *	  the checks of one value the formats' own files call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_VALIDATE_H
#define OJ_VALIDATE_H

#include "format.h"

/* in validate.c: the validator every format shares */
extern const char *oj_reason_name(OjReason reason);
extern bool oj_layout_init(OjLayout *layout, OjFormatKind kind, const OjRecord *header,
						   const OjAllocator *alloc, char *errbuf, size_t errlen);
extern bool oj_validate_record(OjLayout *layout, const OjRecord *rec, const OjNow *now,
							   bool check_utf8, OjRow *row, OjReject *reject,
							   const OjAllocator *alloc);
extern void oj_layout_accept(OjLayout *layout, const OjRow *row);
extern void oj_layout_free(OjLayout *layout, const OjAllocator *alloc);
extern bool oj_is_plain_decimal(const char *s, size_t len);

/* in validate.c, for the formats' own files */
typedef struct OjLayoutBlock OjLayoutBlock;
struct OjLayoutBlock
{
	int			cap;			/* columns built */
	int			key_col;		/* adobe: the transactionID / VisitorID column */
	OjKeyValue *dims;			/* cap scratch entries for OjRow.dims */
	OjKeyValue *attrs;			/* cap scratch entries for OjRow.attrs */
	OjColumn	cols[];			/* cap columns, then dims, attrs and strings */
};
#define OJ_MAX_COLUMNS			((int) OJ_MAX_FIELDS_FOR(OJ_MAX_RECORD_BYTES))	/* as the reader */
#define OJ_QUOTE_BYTES			40	/* longer values are cut in messages */
#define OJ_QUOTE_BUF			(OJ_QUOTE_BYTES * 4 + 8)
extern OjLayoutBlock *oj_layout_block(const OjLayout *layout);
extern OjLayoutBlock *oj_block_alloc(const OjAllocator *alloc, int cap, size_t strbytes,
									 char **strings);
extern const char *oj_quote_value(char *dst, const char *s, size_t len);
extern bool oj_reject_row(OjReject *reject, OjReason reason, const char *field,
						  const char *fmt,...) __attribute__((format(printf, 4, 5)));
extern bool oj_layout_error(char *errbuf, size_t errlen, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern bool oj_name_equals(const OjField *f, const char *name);
extern bool oj_is_blank(const OjField *f);
extern bool oj_check_encoding(const OjField *f, const OjColumn *col, bool check_utf8,
							  OjReject *reject);
extern bool oj_raw_is_clean(const OjRecord *rec);
extern OjReason oj_check_number(const OjField *f, char decimal, const char **why);
extern const char *oj_check_calendar(const OjRow *row);
extern int	oj_parse_digits(const char *s, int n);
extern bool oj_validate_columns(OjLayout *layout, const OjRecord *rec, bool check_utf8,
								OjRow *row, OjReject *reject);

#endif							/* OJ_VALIDATE_H */
