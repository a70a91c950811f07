/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  The row validator every format shares (format.h): the reason codes of
 *	  spec section 3, the layout's memory, the checks of one value (encoding,
 *	  numbers, calendar), and the column engine that checks a record field
 *	  by field by its layout's column table (rmc and csv read by it; adobe
 *	  adds its own row rules around the same checks).
 *
 * oj_layout_init() asks the format to read a file's header (or its
 * default) into an OjLayout: what each column is, its name for rejects and
 * its json key.  oj_validate_record() then checks a record and either fills
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

#include "validate.h"

static bool is_decimal(const char *s, size_t len, char point);

static const char *const reason_names[] = {
	"ok", "parse", "columns", "missing", "format", "range", "encoding",
	"too_long", "forbidden", "too_many_days", "unknown_product", "total_mismatch"
};

/* The reason code's name as stored in rejects.reason. */
const char *
oj_reason_name(OjReason reason)
{
	if ((int) reason < 0 || (int) reason >= (int) (sizeof(reason_names) / sizeof(reason_names[0])))
		return "unknown";
	return reason_names[reason];
}

/* The private block of a layout. */
OjLayoutBlock *
oj_layout_block(const OjLayout *layout)
{
	return (OjLayoutBlock *) ((char *) layout->cols - offsetof(OjLayoutBlock, cols));
}

/* Allocate a block for cap columns plus strbytes of strings; NULL on failure. */
OjLayoutBlock *
oj_block_alloc(const OjAllocator *alloc, int cap, size_t strbytes, char **strings)
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

/* Free the layout's block. */
void
oj_layout_free(OjLayout *layout, const OjAllocator *alloc)
{
	if (layout->cols != NULL)
		alloc->free(alloc->ctx, oj_layout_block(layout));
	layout->cols = NULL;
	layout->ncols = 0;
}

/* Whether a header name equals a known one, ignoring ASCII case. */
bool
oj_name_equals(const OjField *f, const char *name)
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
const char *
oj_quote_value(char *dst, const char *s, size_t len)
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

/*
 * Copy a formatted message into dst (dstlen bytes), writing control
 * characters and bytes that are not valid UTF-8 as \xNN: a column name read
 * from a file's header or a value cut by the buffer must not put raw bytes
 * into a reject or an error.  Stops at a character boundary when full.
 */
static void
escape_message(char *dst, size_t dstlen, const char *src)
{
	const unsigned char *p = (const unsigned char *) src;
	size_t		left = strlen(src);
	size_t		o = 0;

	while (left > 0)
	{
		int			n = (*p < 0x20 || *p == 0x7f) ? 0 : utf8_seq_len(p, left);
		size_t		need = n == 0 ? 4 : (size_t) n;

		if (o + need >= dstlen)
			break;
		if (n == 0)
		{
			snprintf(dst + o, dstlen - o, "\\x%02x", *p);
			n = 1;
		}
		else
			memcpy(dst + o, p, need);
		o += need;
		p += n;
		left -= (size_t) n;
	}
	dst[o] = '\0';
}

/* Fill the reject and return false. */
bool
oj_reject_row(OjReject *reject, OjReason reason, const char *field, const char *fmt,...)
{
	va_list		ap;

	char		raw[sizeof(reject->message)];

	reject->reason = reason;
	reject->field = field;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_message(reject->message, sizeof(reject->message), raw);
	return false;
}

/* Write a layout error into errbuf and return false. */
bool
oj_layout_error(char *errbuf, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	char		raw[1024];

	if (errbuf == NULL || errlen == 0)
		return false;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_message(errbuf, errlen, raw);
	return false;
}

/* Whether a field is empty or only spaces and tabs. */
bool
oj_is_blank(const OjField *f)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] != ' ' && f->data[i] != '\t')
			return false;
	return true;
}

/* Check a field's bytes: no NUL, and valid UTF-8 when check_utf8; else reject. */
bool
oj_check_encoding(const OjField *f, const OjColumn *col, bool check_utf8, OjReject *reject)
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
			return oj_reject_row(reject, OJ_R_ENCODING, col->name,
							  "value %s in column \"%s\" contains a nul byte",
							  oj_quote_value(q, f->data, f->len), col->name);
		if (*p < 0x80)
		{
			p++;
			continue;
		}
		if (utf8_seq_len(p, (size_t) (end - p)) == 0)
			return oj_reject_row(reject, OJ_R_ENCODING, col->name,
							  "value %s in column \"%s\" is not valid utf-8",
							  oj_quote_value(q, f->data, f->len), col->name);
		p += utf8_seq_len(p, (size_t) (end - p));
	}
	return true;
}

/*
 * Is the record's raw text all ASCII without NUL?  Its fields are ranges of
 * those bytes, so then no field needs its own encoding check (most rows of
 * most files: one pass over the line instead of one per field).
 */
bool
oj_raw_is_clean(const OjRecord *rec)
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
	return is_decimal(s, len, '.');
}


#define OJ_STR(x) OJ_STR2(x)
#define OJ_STR2(x) #x

/* Whether s is a plain decimal with separator point: [+-]?([0-9]+(p[0-9]*)?|p[0-9]+). */
static bool
is_decimal(const char *s, size_t len, char point)
{
	size_t		i = 0;
	size_t		digits = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == point)
	{
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	return i == len && digits > 0;
}

/*
 * Check a number field, a plain decimal with the given decimal separator
 * (no thousands separators): OJ_OK, or format / range with *why set.
 */
OjReason
oj_check_number(const OjField *f, char decimal, const char **why)
{
	OjField		word = *f;
	size_t		digits = 0;

	if (is_decimal(f->data, f->len, decimal))
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
	if (oj_name_equals(&word, "nan") || oj_name_equals(&word, "inf") || oj_name_equals(&word, "infinity"))
	{
		*why = "not a finite number";
		return OJ_R_RANGE;
	}
	*why = decimal == ',' ? "expected a plain decimal number with a decimal comma such as 12,50"
		: "expected a plain decimal number such as 12.50";
	return OJ_R_FORMAT;
}
/* Value of n decimal digits at s, or -1 if one of them is not a digit. */
int
oj_parse_digits(const char *s, int n)
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
const char *
oj_check_calendar(const OjRow *row)
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

/* Check a time value by the layout's format: OJ_OK, or false with reject filled. */
static bool
check_time(const OjLayout *layout, const OjColumn *col, const OjField *f, OjRow *row,
		   OjReject *reject)
{
	const OjFormat *format = layout->format;
	char		q[OJ_QUOTE_BUF];
	const char *why;
	OjReason	reason = format->parse_time(format, f, row);

	if (reason == OJ_R_RANGE)
		return oj_reject_row(reject, OJ_R_RANGE, col->name,
							 "invalid timestamp %s in column \"%s\": an hour or offset out of range",
							 oj_quote_value(q, f->data, f->len), col->name);
	if (reason != OJ_OK)
		return oj_reject_row(reject, OJ_R_FORMAT, col->name,
							 "invalid timestamp %s in column \"%s\": expected %s",
							 oj_quote_value(q, f->data, f->len), col->name, format->time_expected);
	if ((why = oj_check_calendar(row)) != NULL)
		return oj_reject_row(reject, OJ_R_RANGE, col->name,
							 "invalid timestamp %s in column \"%s\": %s",
							 oj_quote_value(q, f->data, f->len), col->name, why);
	return true;
}

/* Check an ID (customer or transaction) against its length bound. */
static bool
check_id(const OjColumn *col, const OjField *f, size_t max, OjReject *reject)
{
	char		q[OJ_QUOTE_BUF];

	if (f->len <= max)
		return true;
	return oj_reject_row(reject, OJ_R_TOO_LONG, col->name,
						 "value %s in column \"%s\" is longer than %zu bytes",
						 oj_quote_value(q, f->data, f->len), col->name, max);
}

/* Check one non-blank value by its column's role and put it into row. */
static bool
check_value(OjLayout *layout, const OjColumn *col, const OjField *f, OjRow *row,
			OjReject *reject)
{
	char		q[OJ_QUOTE_BUF];
	const char *why;
	OjReason	reason;

	switch (col->role)
	{
		case OJ_COL_TIME:
			return check_time(layout, col, f, row, reject);
		case OJ_COL_CUSTOMER:
			if (!check_id(col, f, OJ_MAX_CUSTOMER_ID_BYTES, reject))
				return false;
			row->customer_id = *f;
			row->has_customer = true;
			break;
		case OJ_COL_TRANSACTION:
			if (!check_id(col, f, OJ_MAX_ID_BYTES, reject))
				return false;
			row->transaction_id = *f;
			row->has_transaction = true;
			break;
		case OJ_COL_EVENT_TYPE:
			reason = parse_int32(f, &row->event_type);
			if (reason == OJ_R_FORMAT)
				return oj_reject_row(reject, reason, col->name,
									 "invalid integer %s in column \"%s\"",
									 oj_quote_value(q, f->data, f->len), col->name);
			if (reason == OJ_R_RANGE)
				return oj_reject_row(reject, reason, col->name,
									 "integer %s in column \"%s\" is out of range",
									 oj_quote_value(q, f->data, f->len), col->name);
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
		case OJ_COL_METRIC:
			if ((reason = oj_check_number(f, layout->format->decimal, &why)) != OJ_OK)
				return oj_reject_row(reject, reason, col->name,
									 "invalid number %s in column \"%s\": %s",
									 oj_quote_value(q, f->data, f->len), col->name, why);
			if (col->role == OJ_COL_NUM1)
				row->num1 = *f, row->has_num1 = true;
			else if (col->role == OJ_COL_NUM2)
				row->num2 = *f, row->has_num2 = true;
			else
				row->attrs[row->nattrs++] = (OjKeyValue) {col->key, *f, true};
			break;
		case OJ_COL_DIM:
			row->dims[row->ndims++] = (OjKeyValue) {col->key, *f, false};
			break;
		case OJ_COL_ATTR:
			row->attrs[row->nattrs++] = (OjKeyValue) {col->key, *f, false};
			break;
		case OJ_COL_IGNORE:
			break;
	}
	return true;
}

/*
 * The column engine: each field in file order, by its layout column: its
 * bytes, then a value where the column requires one, then the column's
 * rule.  The first failing check is the row's reject.
 */
bool
oj_validate_columns(OjLayout *layout, const OjRecord *rec, bool check_utf8, OjRow *row,
					OjReject *reject)
{
	bool		clean = oj_raw_is_clean(rec);

	for (int i = 0; i < rec->nfields; i++)
	{
		const OjColumn *col = &layout->cols[i];
		const OjField *f = &rec->fields[i];

		if (col->role == OJ_COL_IGNORE)
			continue;
		if (!clean && !oj_check_encoding(f, col, check_utf8, reject))
			return false;
		if (oj_is_blank(f))
		{
			if (col->required)
				return oj_reject_row(reject, OJ_R_MISSING, col->name,
									 "missing value in column \"%s\"", col->name);
			continue;
		}
		if (!check_value(layout, col, f, row, reject))
			return false;
	}
	return true;
}

/* Read the header (or the format's default) into layout; false with errbuf set if unusable. */
bool
oj_layout_init(OjLayout *layout, OjFormatKind kind, const OjRecord *header,
			   const OjAllocator *alloc, char *errbuf, size_t errlen)
{
	memset(layout, 0, sizeof(OjLayout));
	layout->format = kind;
	if (header != NULL && header->error != OJ_OK)
		return oj_layout_error(errbuf, errlen, "header line is not valid: %s",
							   header->error_message ? header->error_message : oj_reason_name(header->error));
	if (header != NULL && header->nfields < 1)
		return oj_layout_error(errbuf, errlen, "header line has no columns");
	return kind->layout_init(layout, header, alloc, errbuf, errlen);
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
	row->decimal = layout->format->decimal;
	if (rec->error != OJ_OK)
	{
		reject->reason = rec->error;
		reject->field = NULL;
		snprintf(reject->message, sizeof(reject->message), "%s",
				 rec->error_message ? rec->error_message : oj_reason_name(rec->error));
		return false;
	}
	return layout->format->validate(layout, rec, now, check_utf8, row, reject, alloc);
}
