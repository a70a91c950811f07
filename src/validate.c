/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Row validator of the plain-C core: the rmc and adobe formats of the
 *	  spec's section 2, with the reason codes of section 3.
 *
 * oj_layout_init() reads a file's header (or the format's default) into an
 * OjLayout: what each column is, its name for rejects and its json key.
 * oj_validate_record() then checks a record field by field and either fills
 * an OjRow, every value of which the backend can convert without error, or
 * an OjReject naming the first failing check.
 *
 * The layout's columns live in one block allocated with the caller's
 * allocator.  The block starts with a private header (OjLayoutBlock) that
 * also holds the scratch arrays an OjRow's dims and attrs point into, and
 * the generated column names and keys; layout->cols points into it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define OJ_RMC_MIN_COLUMNS		7
#define OJ_RMC_NAMED_COLUMNS	22	/* up to EventName Attr10 */
#define OJ_RMC_DEFAULT_COLUMNS	32	/* built for rmc without header */
#define OJ_MAX_COLUMNS			((int) OJ_MAX_FIELDS_FOR(OJ_MAX_RECORD_BYTES))	/* as the reader */
#define OJ_QUOTE_BYTES			40	/* longer values are cut in messages */
#define OJ_QUOTE_BUF			(OJ_QUOTE_BYTES * 4 + 8)

/* The private block layout->cols points into. */
typedef struct OjLayoutBlock
{
	int			cap;			/* columns built */
	int			key_col;		/* adobe: the transactionID / VisitorID column */
	OjKeyValue *dims;			/* cap scratch entries for OjRow.dims */
	OjKeyValue *attrs;			/* cap scratch entries for OjRow.attrs */
	OjColumn	cols[];			/* cap columns, then dims, attrs and strings */
} OjLayoutBlock;

/* rmc columns by position, up to EventName Attr10. */
static const OjColumn rmc_columns[OJ_RMC_NAMED_COLUMNS] = {
	{OJ_COL_TIME, "Time Stamp", "event_time", true},
	{OJ_COL_CUSTOMER, "Customer ID", "customer_id", true},
	{OJ_COL_EVENT_TYPE, "Event Type", "event_type", true},
	{OJ_COL_CATEGORY, "Category", "category", false},
	{OJ_COL_PRODUCT, "Event Name", "product", true},
	{OJ_COL_NUM1, "Num1", "num1", true},
	{OJ_COL_NUM2, "Num2", "num2", true},
	{OJ_COL_DIM, "Var 1", "var1", false},
	{OJ_COL_DIM, "Var 2", "var2", false},
	{OJ_COL_DIM, "Var 3", "var3", false},
	{OJ_COL_DIM, "Var 4", "var4", false},
	{OJ_COL_DIM, "Var 5", "var5", false},
	{OJ_COL_ATTR, "EventName Attr1", "attr1", false},
	{OJ_COL_ATTR, "EventName Attr2", "attr2", false},
	{OJ_COL_ATTR, "EventName Attr3", "attr3", false},
	{OJ_COL_ATTR, "EventName Attr4", "attr4", false},
	{OJ_COL_ATTR, "EventName Attr5", "attr5", false},
	{OJ_COL_ATTR, "EventName Attr6", "attr6", false},
	{OJ_COL_ATTR, "EventName Attr7", "attr7", false},
	{OJ_COL_ATTR, "EventName Attr8", "attr8", false},
	{OJ_COL_ATTR, "EventName Attr9", "attr9", false},
	{OJ_COL_ATTR, "EventName Attr10", "attr10", false},
};

/* adobe header names other than "Evar N" and "Event N"; Date comes first. */
static const OjColumn adobe_columns[] = {
	{OJ_COL_TIME, "Date", "event_time", true},
	{OJ_COL_TRANSACTION, "transactionID", "transaction_id", true},
	{OJ_COL_CUSTOMER, "VisitorID", "customer_id", true},
	{OJ_COL_PRODUCT, "Product", "product", false},
	{OJ_COL_CATEGORY, "Category", "category", false},
	{OJ_COL_DIM, "Tracking Code", "tracking_code", false},
	{OJ_COL_DIM, "Marketing Channel", "marketing_channel", false},
	{OJ_COL_DIM, "Marketing Channel Detail", "marketing_channel_detail", false},
	{OJ_COL_DIM, "Zip", "zip", false},
	{OJ_COL_DIM, "State", "state", false},
	{OJ_COL_METRIC, "Orders", "orders", false},
	{OJ_COL_NUM1, "Quantity", "num1", false},
	{OJ_COL_NUM2, "Price", "num2", false},
	{OJ_COL_METRIC, "Cart Adds", "cart_adds", false},
	{OJ_COL_METRIC, "Cart Removes", "cart_removes", false},
	{OJ_COL_METRIC, "Cart Views", "cart_views", false},
	{OJ_COL_METRIC, "Cart Opens", "cart_opens", false},
	{OJ_COL_METRIC, "Checkouts", "checkouts", false},
};

#define OJ_ADOBE_TRANSACTION	1	/* indexes in adobe_columns */
#define OJ_ADOBE_VISITOR		2
#define OJ_ADOBE_NAMED		((int) (sizeof(adobe_columns) / sizeof(adobe_columns[0])))
#define OJ_ADOBE_EVAR_BASE	OJ_ADOBE_NAMED
#define OJ_ADOBE_EVENT_BASE	(OJ_ADOBE_EVAR_BASE + OJ_ADOBE_MAX_EVAR)
#define OJ_ADOBE_NAMES		(OJ_ADOBE_EVENT_BASE + OJ_ADOBE_MAX_EVENT)

#define OJ_ADOBE_VALID_NAMES \
	"Date, transactionID, VisitorID, Evar 1 to Evar 250, Product, Category, " \
	"Tracking Code, Marketing Channel, Marketing Channel Detail, Zip, State, " \
	"Event 1 to Event 1000, Orders, Quantity, Price, Cart Adds, Cart Removes, " \
	"Cart Views, Cart Opens, Checkouts"

static const char *const reason_names[] = {
	"ok", "parse", "columns", "missing", "format", "range", "encoding",
	"too_long", "forbidden", "too_many_days", "unknown_product", "total_mismatch"
};

/*
 * The header names of a format's columns, in one order (an inbox table's):
 * rmc: the named columns, then txn_attrs "EventTransaction Attr N"; adobe:
 * Date, transactionID, VisitorID, "Evar 1" to "Evar 250", the other
 * dimensions, "Event 1" to "Event 1000", the other metrics.
 */
int
oj_format_ncolumns(OjFormatKind kind, int txn_attrs)
{
	return kind == OJ_FORMAT_RMC ? OJ_RMC_NAMED_COLUMNS + txn_attrs
		: OJ_ADOBE_NAMED + OJ_ADOBE_MAX_EVAR + OJ_ADOBE_MAX_EVENT;
}

/* Name i (0-based) of that order; buf holds numbered names. */
const char *
oj_format_column(OjFormatKind kind, int i, char *buf, size_t len)
{
	int			named_dims = 0;
	int			k;

	if (kind == OJ_FORMAT_RMC)
	{
		if (i < OJ_RMC_NAMED_COLUMNS)
			return rmc_columns[i].name;
		snprintf(buf, len, "EventTransaction Attr%d", i - OJ_RMC_NAMED_COLUMNS + 1);
		return buf;
	}
	if (i < 3)
		return adobe_columns[i].name;	/* Date, transactionID, VisitorID */
	i -= 3;
	if (i < OJ_ADOBE_MAX_EVAR)
	{
		snprintf(buf, len, "Evar %d", i + 1);
		return buf;
	}
	i -= OJ_ADOBE_MAX_EVAR;
	for (k = 3; k < OJ_ADOBE_NAMED; k++)
	{
		OjRole		r = adobe_columns[k].role;

		if (r != OJ_COL_PRODUCT && r != OJ_COL_CATEGORY && r != OJ_COL_DIM)
			continue;
		if (i == named_dims++)
			return adobe_columns[k].name;
	}
	i -= named_dims;
	if (i < OJ_ADOBE_MAX_EVENT)
	{
		snprintf(buf, len, "Event %d", i + 1);
		return buf;
	}
	i -= OJ_ADOBE_MAX_EVENT;
	for (k = 3; k < OJ_ADOBE_NAMED; k++)
	{
		OjRole		r = adobe_columns[k].role;

		if (r == OJ_COL_PRODUCT || r == OJ_COL_CATEGORY || r == OJ_COL_DIM)
			continue;
		if (i-- == 0)
			return adobe_columns[k].name;
	}
	return NULL;
}

/* The reason code's name as stored in rejects.reason. */
const char *
oj_reason_name(OjReason reason)
{
	if ((int) reason < 0 || (int) reason >= (int) (sizeof(reason_names) / sizeof(reason_names[0])))
		return "unknown";
	return reason_names[reason];
}

/* Look up a built-in format by its name; false if there is none. */
bool
oj_format_from_name(const char *name, OjFormatKind *kind)
{
	if (strcmp(name, "rmc") == 0)
		*kind = OJ_FORMAT_RMC;
	else if (strcmp(name, "adobe") == 0)
		*kind = OJ_FORMAT_ADOBE;
	else
		return false;
	return true;
}

/* The private block of a layout. */
static OjLayoutBlock *
layout_block(const OjLayout *layout)
{
	return (OjLayoutBlock *) ((char *) layout->cols - offsetof(OjLayoutBlock, cols));
}

/* Allocate a block for cap columns plus strbytes of strings; NULL on failure. */
static OjLayoutBlock *
block_alloc(const OjAllocator *alloc, int cap, size_t strbytes, char **strings)
{
	size_t		cols_size = (size_t) cap * sizeof(OjColumn);
	size_t		kv_size = (size_t) cap * sizeof(OjKeyValue);
	OjLayoutBlock *b;

	if (cap < 1 || cap > OJ_MAX_COLUMNS)
		return NULL;
	b = alloc->alloc(alloc->ctx, offsetof(OjLayoutBlock, cols) + cols_size + 2 * kv_size + strbytes);
	if (b == NULL)
		return NULL;
	b->cap = cap;
	b->key_col = -1;
	b->dims = (OjKeyValue *) ((char *) b->cols + cols_size);
	b->attrs = b->dims + cap;
	*strings = (char *) (b->attrs + cap);
	return b;
}

/* Build the rmc columns 1..cap by position; NULL when memory runs out. */
static OjLayoutBlock *
rmc_block(const OjAllocator *alloc, int cap)
{
	int			extra = cap > OJ_RMC_NAMED_COLUMNS ? cap - OJ_RMC_NAMED_COLUMNS : 0;
	size_t		per = sizeof("EventTransaction Attr") + sizeof("txn_attr") + 2 * 11;
	char	   *s;
	OjLayoutBlock *b = block_alloc(alloc, cap, (size_t) extra * per, &s);

	if (b == NULL)
		return NULL;
	for (int i = 0; i < cap; i++)
	{
		OjColumn   *col = &b->cols[i];
		int			n = i - OJ_RMC_NAMED_COLUMNS + 1;

		if (i < OJ_RMC_NAMED_COLUMNS)
		{
			*col = rmc_columns[i];
			continue;
		}
		col->role = OJ_COL_ATTR;
		col->required = false;
		col->name = s;
		s += sprintf(s, "EventTransaction Attr%d", n) + 1;
		col->key = s;
		s += sprintf(s, "txn_attr%d", n) + 1;
	}
	return b;
}

/* Free the layout's block. */
void
oj_layout_free(OjLayout *layout, const OjAllocator *alloc)
{
	if (layout->cols != NULL)
		alloc->free(alloc->ctx, layout_block(layout));
	layout->cols = NULL;
	layout->ncols = 0;
}

/* Whether a header name equals a known one, ignoring ASCII case. */
static bool
name_equals(const OjField *f, const char *name)
{
	size_t		len = strlen(name);

	if (f->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char a = (unsigned char) f->data[i];
		unsigned char b = (unsigned char) name[i];

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return false;
	}
	return true;
}

/* The number of a header name "<prefix>N" with N in 1..max, no leading zeros; 0 if not. */
static int
name_number(const OjField *f, const char *prefix, int max)
{
	size_t		plen = strlen(prefix);
	OjField		head;
	int			n = 0;

	if (f->len <= plen || f->len > plen + 4)
		return 0;
	head.data = f->data;
	head.len = plen;
	if (!name_equals(&head, prefix) || f->data[plen] == '0')
		return 0;
	for (size_t i = plen; i < f->len; i++)
	{
		if (f->data[i] < '0' || f->data[i] > '9')
			return 0;
		n = n * 10 + (f->data[i] - '0');
	}
	return n <= max ? n : 0;
}

/* Index of an adobe header name among all valid names, or -1. */
static int
adobe_name_index(const OjField *f)
{
	int			n;

	for (int i = 0; i < OJ_ADOBE_NAMED; i++)
		if (name_equals(f, adobe_columns[i].name))
			return i;
	if ((n = name_number(f, "Evar ", OJ_ADOBE_MAX_EVAR)) > 0)
		return OJ_ADOBE_EVAR_BASE + n - 1;
	if ((n = name_number(f, "Event ", OJ_ADOBE_MAX_EVENT)) > 0)
		return OJ_ADOBE_EVENT_BASE + n - 1;
	return -1;
}

/* Length of the valid UTF-8 sequence at p (left bytes available), 0 if invalid. */
static int
utf8_seq_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	int			n;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;				/* continuation byte, overlong lead, > U+10FFFF */
	n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if ((size_t) n > left)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) ||	/* overlong */
		(c == 0xed && p[1] >= 0xa0) ||	/* surrogate */
		(c == 0xf0 && p[1] < 0x90) ||	/* overlong */
		(c == 0xf4 && p[1] >= 0x90))	/* > U+10FFFF */
		return 0;
	return n;
}

/*
 * Write a value into dst (OJ_QUOTE_BUF bytes) in double quotes for a message:
 * at most OJ_QUOTE_BYTES bytes of it, cut at a character boundary and marked
 * "..."; control characters and bytes that are not valid UTF-8 as \xNN, so
 * that the message is valid UTF-8 whatever the value.
 */
static const char *
quote_value(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *stop = len > 0 ? p + len : p;
	const unsigned char *end = len > 0 ? p + (len < OJ_QUOTE_BYTES ? len : OJ_QUOTE_BYTES) : p;
	char	   *o = dst;

	*o++ = '"';
	while (p < end)
	{
		int			n = (*p < 0x20 || *p == 0x7f) ? 0 : utf8_seq_len(p, (size_t) (stop - p));

		if (n == 0)
		{
			o += sprintf(o, "\\x%02x", *p);
			p++;
			continue;
		}
		if (p + n > end)
			break;
		memcpy(o, p, (size_t) n);
		o += n;
		p += n;
	}
	*o++ = '"';
	if (p < stop)
	{
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return dst;
}

/* Fill the reject and return false. */
static bool reject_row(OjReject *reject, OjReason reason, const char *field,
					   const char *fmt,...) __attribute__((format(printf, 4, 5)));

static bool
reject_row(OjReject *reject, OjReason reason, const char *field, const char *fmt,...)
{
	va_list		ap;

	reject->reason = reason;
	reject->field = field;
	va_start(ap, fmt);
	vsnprintf(reject->message, sizeof(reject->message), fmt, ap);
	va_end(ap);
	return false;
}

/* Write a layout error into errbuf and return false. */
static bool layout_error(char *errbuf, size_t errlen, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

static bool
layout_error(char *errbuf, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (errbuf == NULL || errlen == 0)
		return false;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* Whether a field is empty or only spaces and tabs. */
static bool
is_blank(const OjField *f)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] != ' ' && f->data[i] != '\t')
			return false;
	return true;
}

/* Check a field's bytes: no NUL, and valid UTF-8 when check_utf8; else reject. */
static bool
check_encoding(const OjField *f, const OjColumn *col, bool check_utf8, OjReject *reject)
{
	const unsigned char *p = (const unsigned char *) f->data;
	const unsigned char *end = p + f->len;
	char		q[OJ_QUOTE_BUF];

	if (!check_utf8)
	{
		if (f->len == 0 || memchr(f->data, '\0', f->len) == NULL)
			return true;
		p = memchr(p, '\0', f->len);
	}
	while (p < end)
	{
		/* fast path: eight ASCII bytes, none of them NUL */
		while (end - p >= 8)
		{
			uint64_t	w;

			memcpy(&w, p, 8);
			if ((w & UINT64_C(0x8080808080808080)) != 0 ||
				((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080)) != 0)
				break;
			p += 8;
		}
		if (p == end)
			break;
		if (*p == '\0')
			return reject_row(reject, OJ_R_ENCODING, col->name,
							  "value %s in column \"%s\" contains a nul byte",
							  quote_value(q, f->data, f->len), col->name);
		if (*p < 0x80)
		{
			p++;
			continue;
		}
		if (utf8_seq_len(p, (size_t) (end - p)) == 0)
			return reject_row(reject, OJ_R_ENCODING, col->name,
							  "value %s in column \"%s\" is not valid utf-8",
							  quote_value(q, f->data, f->len), col->name);
		p += utf8_seq_len(p, (size_t) (end - p));
	}
	return true;
}

/*
 * Is the record's raw text all ASCII without NUL?  Its fields are ranges of
 * those bytes, so then no field needs its own encoding check (most rows of
 * most files: one pass over the line instead of one per field).
 */
static bool
raw_is_clean(const OjRecord *rec)
{
	const unsigned char *p = (const unsigned char *) rec->raw;
	const unsigned char *end;

	if (p == NULL)
		return false;
	end = p + rec->raw_len;
	for (; end - p >= 8; p += 8)
	{
		uint64_t	w;

		memcpy(&w, p, 8);
		if ((w & UINT64_C(0x8080808080808080)) != 0 ||
			((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080)) != 0)
			return false;
	}
	for (; p < end; p++)
		if (*p == 0 || *p >= 0x80)
			return false;
	return true;
}

/* Whether s is a plain decimal: [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+). */
bool
oj_is_plain_decimal(const char *s, size_t len)
{
	size_t		i = 0;
	size_t		digits = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.')
	{
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	return i == len && digits > 0;
}

#define OJ_STR(x) OJ_STR2(x)
#define OJ_STR2(x) #x

/* Check a number field: OJ_OK, or format / range with *why set. */
static OjReason
check_number(const OjField *f, const char **why)
{
	OjField		word = *f;
	size_t		digits = 0;

	if (oj_is_plain_decimal(f->data, f->len))
	{
		for (size_t i = 0; i < f->len; i++)
			digits += (f->data[i] >= '0' && f->data[i] <= '9');
		if (digits <= OJ_MAX_NUMBER_DIGITS)
			return OJ_OK;
		*why = "more than " OJ_STR(OJ_MAX_NUMBER_DIGITS) " digits";
		return OJ_R_RANGE;
	}
	if (word.len > 0 && (word.data[0] == '+' || word.data[0] == '-'))
		word.data++, word.len--;
	if (name_equals(&word, "nan") || name_equals(&word, "inf") || name_equals(&word, "infinity"))
	{
		*why = "not a finite number";
		return OJ_R_RANGE;
	}
	*why = "expected a plain decimal number such as 12.50";
	return OJ_R_FORMAT;
}

/* Value of n decimal digits at s, or -1 if one of them is not a digit. */
static int
parse_digits(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days in a month of the proleptic Gregorian calendar. */
static int
days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* NULL if the row's date and time are real, else what is out of range. */
static const char *
check_calendar(const OjRow *row)
{
	if (row->year < 1)
		return "year out of range";
	if (row->month < 1 || row->month > 12)
		return "month out of range";
	if (row->day < 1 || row->day > days_in_month(row->year, row->month))
		return "day out of range";
	if (row->hour > 23)
		return "hour out of range";
	if (row->minute > 59)
		return "minute out of range";
	if (row->second > 59)
		return "second out of range";
	return NULL;
}

/* Parse "YYYY-MM-DD HH:MM:SS" into row; false if the shape is wrong. */
static bool
parse_rmc_time(const OjField *f, OjRow *row)
{
	const char *s = f->data;

	if (f->len != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' ||
		s[13] != ':' || s[16] != ':')
		return false;
	row->year = parse_digits(s, 4);
	row->month = parse_digits(s + 5, 2);
	row->day = parse_digits(s + 8, 2);
	row->hour = parse_digits(s + 11, 2);
	row->minute = parse_digits(s + 14, 2);
	row->second = parse_digits(s + 17, 2);
	return row->year >= 0 && row->month >= 0 && row->day >= 0 &&
		row->hour >= 0 && row->minute >= 0 && row->second >= 0;
}

/* Parse "MM/DD/YYYY" (noon) or "MM/DD/YYYY/HH/mm/SS" into row; false if the shape is wrong. */
static bool
parse_adobe_date(const OjField *f, OjRow *row)
{
	const char *s = f->data;

	if ((f->len != 10 && f->len != 19) || s[2] != '/' || s[5] != '/')
		return false;
	row->month = parse_digits(s, 2);
	row->day = parse_digits(s + 3, 2);
	row->year = parse_digits(s + 6, 4);
	if (f->len == 10)
	{
		row->hour = 12;
		row->minute = row->second = 0;
	}
	else
	{
		if (s[10] != '/' || s[13] != '/' || s[16] != '/')
			return false;
		row->hour = parse_digits(s + 11, 2);
		row->minute = parse_digits(s + 14, 2);
		row->second = parse_digits(s + 17, 2);
	}
	return row->year >= 0 && row->month >= 0 && row->day >= 0 &&
		row->hour >= 0 && row->minute >= 0 && row->second >= 0;
}

/* Parse an Event Type, [+-]?[0-9]+ within int32: OJ_OK, format or range. */
static OjReason
parse_int32(const OjField *f, int32_t *out)
{
	size_t		i = 0;
	bool		neg = false;
	int64_t		v = 0;

	if (f->len > 0 && (f->data[0] == '+' || f->data[0] == '-'))
	{
		neg = (f->data[0] == '-');
		i++;
	}
	if (i == f->len)
		return OJ_R_FORMAT;
	for (; i < f->len; i++)
	{
		if (f->data[i] < '0' || f->data[i] > '9')
			return OJ_R_FORMAT;
		if (v <= INT64_C(2147483648))
			v = v * 10 + (f->data[i] - '0');
	}
	if (v > (neg ? INT64_C(2147483648) : INT64_C(2147483647)))
		return OJ_R_RANGE;
	*out = (int32_t) (neg ? -v : v);
	return OJ_OK;
}

/* Build a layout for rmc: columns by position, the header only fixes their count. */
static bool
rmc_layout_init(OjLayout *layout, const OjRecord *header, const OjAllocator *alloc,
				char *errbuf, size_t errlen)
{
	int			ncols = 0;
	OjLayoutBlock *b;

	if (header != NULL)
	{
		ncols = header->nfields;
		if (ncols < OJ_RMC_MIN_COLUMNS)
			return layout_error(errbuf, errlen,
								"header has %d columns; the rmc format needs at least %d",
								ncols, OJ_RMC_MIN_COLUMNS);
	}
	b = rmc_block(alloc, ncols > 0 ? ncols : OJ_RMC_DEFAULT_COLUMNS);
	if (b == NULL)
		return layout_error(errbuf, errlen, "out of memory for a layout of %d columns", ncols);
	layout->ncols = ncols;
	layout->cols = b->cols;
	return true;
}

/* Build a layout for adobe from its header line (names case-insensitive). */
static bool
adobe_layout_init(OjLayout *layout, const OjRecord *header, const OjAllocator *alloc,
				  char *errbuf, size_t errlen)
{
	bool		seen[OJ_ADOBE_NAMES];
	char		q[OJ_QUOTE_BUF];
	size_t		strbytes = 0;
	char	   *s;
	OjLayoutBlock *b;

	if (header == NULL)
		return layout_error(errbuf, errlen, "file has no header line");
	if (!name_equals(&header->fields[0], "Date"))
		return layout_error(errbuf, errlen, "first column must be \"Date\", not %s",
							quote_value(q, header->fields[0].data, header->fields[0].len));

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < header->nfields; i++)
	{
		const OjField *f = &header->fields[i];
		int			idx = adobe_name_index(f);

		if (idx < 0)
			return layout_error(errbuf, errlen,
								"unknown column %s in header; valid columns are " OJ_ADOBE_VALID_NAMES,
								quote_value(q, f->data, f->len));
		if (seen[idx])
			return layout_error(errbuf, errlen, "column %s appears twice in header",
								quote_value(q, f->data, f->len));
		seen[idx] = true;
		strbytes += f->len + 1 + sizeof("event1000");
	}
	if (seen[OJ_ADOBE_TRANSACTION] && seen[OJ_ADOBE_VISITOR])
		return layout_error(errbuf, errlen,
							"header has both \"transactionID\" and \"VisitorID\"; a file has one of them");
	if (!seen[OJ_ADOBE_TRANSACTION] && !seen[OJ_ADOBE_VISITOR])
		return layout_error(errbuf, errlen,
							"header has neither \"transactionID\" nor \"VisitorID\"; a file needs one of them");

	b = block_alloc(alloc, header->nfields, strbytes, &s);
	if (b == NULL)
		return layout_error(errbuf, errlen, "out of memory for a layout of %d columns",
							header->nfields);
	for (int i = 0; i < header->nfields; i++)
	{
		const OjField *f = &header->fields[i];
		int			idx = adobe_name_index(f);
		OjColumn   *col = &b->cols[i];

		if (idx < OJ_ADOBE_NAMED)
			*col = adobe_columns[idx];
		else
		{
			bool		evar = idx < OJ_ADOBE_EVENT_BASE;

			col->role = evar ? OJ_COL_DIM : OJ_COL_METRIC;
			col->required = false;
			col->key = s;
			s += sprintf(s, "%s%d", evar ? "evar" : "event",
						 idx - (evar ? OJ_ADOBE_EVAR_BASE : OJ_ADOBE_EVENT_BASE) + 1) + 1;
		}
		if (col->role == OJ_COL_TRANSACTION || col->role == OJ_COL_CUSTOMER)
			b->key_col = i;
		memcpy(s, f->data, f->len);
		s[f->len] = '\0';
		col->name = s;
		s += f->len + 1;
	}
	layout->ncols = header->nfields;
	layout->cols = b->cols;
	layout->key_is_transaction = seen[OJ_ADOBE_TRANSACTION];
	return true;
}

/* Read the header (or the format's default) into layout; false with errbuf set if unusable. */
bool
oj_layout_init(OjLayout *layout, OjFormatKind kind, const OjRecord *header,
			   const OjAllocator *alloc, char *errbuf, size_t errlen)
{
	memset(layout, 0, sizeof(OjLayout));
	layout->kind = kind;
	if (header != NULL && header->error != OJ_OK)
		return layout_error(errbuf, errlen, "header line is not valid: %s",
							header->error_message ? header->error_message : oj_reason_name(header->error));
	if (header != NULL && header->nfields < 1)
		return layout_error(errbuf, errlen, "header line has no columns");
	if (kind == OJ_FORMAT_RMC)
		return rmc_layout_init(layout, header, alloc, errbuf, errlen);
	if (kind == OJ_FORMAT_ADOBE)
		return adobe_layout_init(layout, header, alloc, errbuf, errlen);
	return layout_error(errbuf, errlen, "unknown format %d", (int) kind);
}

/* Validate an rmc row (columns by position). */
static bool
validate_rmc(OjLayout *layout, const OjRecord *rec, bool check_utf8, OjRow *row,
			 OjReject *reject, const OjAllocator *alloc)
{
	OjLayoutBlock *b = layout_block(layout);
	char		q[OJ_QUOTE_BUF];
	bool		clean;

	if (layout->ncols > 0 && rec->nfields != layout->ncols)
		return reject_row(reject, OJ_R_COLUMNS, NULL, "row has %d fields; the header has %d",
						  rec->nfields, layout->ncols);
	if (layout->ncols == 0 && rec->nfields < OJ_RMC_MIN_COLUMNS)
		return reject_row(reject, OJ_R_COLUMNS, NULL,
						  "row has %d fields; the rmc format needs at least %d",
						  rec->nfields, OJ_RMC_MIN_COLUMNS);
	if (rec->nfields > b->cap)
	{
		/* rmc without header: a wider row than any before */
		int			cap = b->cap < OJ_MAX_COLUMNS / 2 ? b->cap * 2 : OJ_MAX_COLUMNS;
		OjLayoutBlock *nb = rmc_block(alloc, cap > rec->nfields ? cap : rec->nfields);

		if (nb == NULL)
			return reject_row(reject, OJ_R_COLUMNS, NULL,
							  "row has %d fields; out of memory for so many columns",
							  rec->nfields);
		alloc->free(alloc->ctx, b);
		b = nb;
		layout->cols = b->cols;
	}
	row->dims = b->dims;
	row->attrs = b->attrs;

	clean = raw_is_clean(rec);
	for (int i = 0; i < rec->nfields; i++)
	{
		const OjColumn *col = &layout->cols[i];
		const OjField *f = &rec->fields[i];
		const char *why;
		OjReason	reason;

		if (!clean && !check_encoding(f, col, check_utf8, reject))
			return false;
		if (is_blank(f))
		{
			if (col->required)
				return reject_row(reject, OJ_R_MISSING, col->name,
								  "missing value in column \"%s\"", col->name);
			continue;
		}
		switch (col->role)
		{
			case OJ_COL_TIME:
				if (!parse_rmc_time(f, row))
					return reject_row(reject, OJ_R_FORMAT, col->name,
									  "invalid timestamp %s in column \"%s\": expected YYYY-MM-DD HH:MM:SS",
									  quote_value(q, f->data, f->len), col->name);
				if ((why = check_calendar(row)) != NULL)
					return reject_row(reject, OJ_R_RANGE, col->name,
									  "invalid timestamp %s in column \"%s\": %s",
									  quote_value(q, f->data, f->len), col->name, why);
				break;
			case OJ_COL_CUSTOMER:
				if (f->len > OJ_MAX_CUSTOMER_ID_BYTES)
					return reject_row(reject, OJ_R_TOO_LONG, col->name,
									  "value %s in column \"%s\" is longer than %d bytes",
									  quote_value(q, f->data, f->len), col->name,
									  OJ_MAX_CUSTOMER_ID_BYTES);
				row->customer_id = *f;
				row->has_customer = true;
				break;
			case OJ_COL_EVENT_TYPE:
				reason = parse_int32(f, &row->event_type);
				if (reason == OJ_R_FORMAT)
					return reject_row(reject, reason, col->name,
									  "invalid integer %s in column \"%s\"",
									  quote_value(q, f->data, f->len), col->name);
				if (reason == OJ_R_RANGE)
					return reject_row(reject, reason, col->name,
									  "integer %s in column \"%s\" is out of range",
									  quote_value(q, f->data, f->len), col->name);
				row->has_event_type = true;
				break;
			case OJ_COL_CATEGORY:
				row->category = *f;
				row->has_category = true;
				break;
			case OJ_COL_PRODUCT:
				row->product = *f;
				row->has_product = true;
				break;
			case OJ_COL_NUM1:
			case OJ_COL_NUM2:
				if ((reason = check_number(f, &why)) != OJ_OK)
					return reject_row(reject, reason, col->name,
									  "invalid number %s in column \"%s\": %s",
									  quote_value(q, f->data, f->len), col->name, why);
				if (col->role == OJ_COL_NUM1)
					row->num1 = *f, row->has_num1 = true;
				else
					row->num2 = *f, row->has_num2 = true;
				break;
			case OJ_COL_DIM:
				row->dims[row->ndims++] = (OjKeyValue) {col->key, *f, false};
				break;
			case OJ_COL_ATTR:
			case OJ_COL_METRIC:
				row->attrs[row->nattrs++] = (OjKeyValue) {col->key, *f, false};
				break;
			case OJ_COL_TRANSACTION:
				break;
		}
	}
	return true;
}

/* Whether a date (and time) is later than now: date-only rows compare dates. */
static bool
is_future(const OjRow *row, const OjNow *now, bool date_only)
{
	int64_t		d = ((int64_t) row->year * 100 + row->month) * 100 + row->day;
	int64_t		nd = ((int64_t) now->year * 100 + now->month) * 100 + now->day;

	if (date_only || d != nd)
		return d > nd;
	return (row->hour * 100 + row->minute) * 100 + row->second >
		(now->hour * 100 + now->minute) * 100 + now->second;
}

/* Validate an adobe row against its header. */
static bool
validate_adobe(OjLayout *layout, const OjRecord *rec, const OjNow *now, bool check_utf8,
			   OjRow *row, OjReject *reject)
{
	OjLayoutBlock *b = layout_block(layout);
	const OjColumn *kcol = &layout->cols[b->key_col];
	const OjField *key;
	const OjColumn *dcol = &layout->cols[0];
	const OjField *date;
	char		q[OJ_QUOTE_BUF];
	const char *why;
	int			nmetrics = 0;
	int32_t		day;

	if (rec->raw_len > OJ_ADOBE_MAX_ROW_BYTES)
		return reject_row(reject, OJ_R_TOO_LONG, NULL, "row is longer than %d bytes",
						  OJ_ADOBE_MAX_ROW_BYTES);
	if (rec->nfields != layout->ncols)
		return reject_row(reject, OJ_R_COLUMNS, NULL, "row has %d fields; the header has %d",
						  rec->nfields, layout->ncols);
	if (!raw_is_clean(rec))
		for (int i = 0; i < rec->nfields; i++)
			if (!check_encoding(&rec->fields[i], &layout->cols[i], check_utf8, reject))
				return false;

	key = &rec->fields[b->key_col];
	if (is_blank(key))
		return reject_row(reject, OJ_R_MISSING, kcol->name, "missing value in column \"%s\"",
						  kcol->name);
	date = &rec->fields[0];
	if (is_blank(date))
		return reject_row(reject, OJ_R_MISSING, dcol->name, "missing value in column \"%s\"",
						  dcol->name);
	if (!parse_adobe_date(date, row))
		return reject_row(reject, OJ_R_FORMAT, dcol->name,
						  "invalid date %s in column \"%s\": expected MM/DD/YYYY or MM/DD/YYYY/HH/mm/SS",
						  quote_value(q, date->data, date->len), dcol->name);
	if ((why = check_calendar(row)) != NULL)
		return reject_row(reject, OJ_R_RANGE, dcol->name, "invalid date %s in column \"%s\": %s",
						  quote_value(q, date->data, date->len), dcol->name, why);
	if (now != NULL && is_future(row, now, date->len == 10))
		return reject_row(reject, OJ_R_RANGE, dcol->name, "date %s in column \"%s\" is in the future",
						  quote_value(q, date->data, date->len), dcol->name);
	if (key->len > (layout->key_is_transaction ? OJ_MAX_ID_BYTES : OJ_MAX_CUSTOMER_ID_BYTES))
		return reject_row(reject, OJ_R_TOO_LONG, kcol->name,
						  "value %s in column \"%s\" is longer than %d bytes",
						  quote_value(q, key->data, key->len), kcol->name,
						  layout->key_is_transaction ? OJ_MAX_ID_BYTES : OJ_MAX_CUSTOMER_ID_BYTES);

	for (int i = 1; i < rec->nfields; i++)
	{
		const OjColumn *col = &layout->cols[i];
		const OjField *f = &rec->fields[i];

		if ((col->role == OJ_COL_DIM || col->role == OJ_COL_PRODUCT ||
			 col->role == OJ_COL_CATEGORY) && f->len > 0 && memchr(f->data, ';', f->len) != NULL)
			return reject_row(reject, OJ_R_FORBIDDEN, col->name,
							  "value %s in column \"%s\" contains \";\"",
							  quote_value(q, f->data, f->len), col->name);
	}

	row->dims = b->dims;
	row->attrs = b->attrs;
	for (int i = 1; i < rec->nfields; i++)
	{
		const OjColumn *col = &layout->cols[i];
		const OjField *f = &rec->fields[i];
		OjReason	reason;

		if (is_blank(f))
			continue;
		switch (col->role)
		{
			case OJ_COL_NUM1:
			case OJ_COL_NUM2:
			case OJ_COL_METRIC:
				if ((reason = check_number(f, &why)) != OJ_OK)
					return reject_row(reject, reason, col->name,
									  "invalid number %s in column \"%s\": %s",
									  quote_value(q, f->data, f->len), col->name, why);
				nmetrics++;
				if (col->role == OJ_COL_NUM1)
					row->num1 = *f, row->has_num1 = true;
				else if (col->role == OJ_COL_NUM2)
					row->num2 = *f, row->has_num2 = true;
				else
					row->attrs[row->nattrs++] = (OjKeyValue) {col->key, *f, true};
				break;
			case OJ_COL_CUSTOMER:
				row->customer_id = *f;
				row->has_customer = true;
				break;
			case OJ_COL_TRANSACTION:
				row->transaction_id = *f;
				row->has_transaction = true;
				break;
			case OJ_COL_PRODUCT:
				row->product = *f;
				row->has_product = true;
				break;
			case OJ_COL_CATEGORY:
				row->category = *f;
				row->has_category = true;
				break;
			case OJ_COL_DIM:
				row->dims[row->ndims++] = (OjKeyValue) {col->key, *f, false};
				break;
			case OJ_COL_TIME:
			case OJ_COL_EVENT_TYPE:
			case OJ_COL_ATTR:
				break;
		}
	}
	if (row->ndims == 0 && !row->has_product && !row->has_category)
		return reject_row(reject, OJ_R_MISSING, "dimension", "row has no dimension value");
	if (nmetrics == 0)
		return reject_row(reject, OJ_R_MISSING, "metric", "row has no metric value");

	/*
	 * At most OJ_ADOBE_MAX_DAYS distinct days per file, counting the days of
	 * loaded rows only: a new day is added by oj_layout_accept() once the
	 * row passed every check, the database's too.
	 */
	day = (row->year * 100 + row->month) * 100 + row->day;
	for (int i = 0; i < layout->ndays; i++)
		if (layout->days[i] == day)
			return true;
	if (layout->ndays == OJ_ADOBE_MAX_DAYS)
		return reject_row(reject, OJ_R_TOO_MANY_DAYS, dcol->name,
						  "date %s in column \"%s\" would be day %d of the file; a file may span at most %d days",
						  quote_value(q, date->data, date->len), dcol->name,
						  OJ_ADOBE_MAX_DAYS + 1, OJ_ADOBE_MAX_DAYS);
	row->new_day = day;
	return true;
}

/* A row passed every check and is loaded: its day (adobe) counts from now on. */
void
oj_layout_accept(OjLayout *layout, const OjRow *row)
{
	if (row->new_day == 0)
		return;
	for (int i = 0; i < layout->ndays; i++)
		if (layout->days[i] == row->new_day)
			return;
	if (layout->ndays < OJ_ADOBE_MAX_DAYS)
		layout->days[layout->ndays++] = row->new_day;
}

/* Validate one record: true with row filled, or false with reject filled. */
bool
oj_validate_record(OjLayout *layout, const OjRecord *rec, const OjNow *now,
				   bool check_utf8, OjRow *row, OjReject *reject,
				   const OjAllocator *alloc)
{
	memset(row, 0, sizeof(OjRow));
	if (rec->error != OJ_OK)
	{
		reject->reason = rec->error;
		reject->field = NULL;
		snprintf(reject->message, sizeof(reject->message), "%s",
				 rec->error_message ? rec->error_message : oj_reason_name(rec->error));
		return false;
	}
	if (layout->kind == OJ_FORMAT_RMC)
		return validate_rmc(layout, rec, check_utf8, row, reject, alloc);
	return validate_adobe(layout, rec, now, check_utf8, row, reject);
}
