/*-------------------------------------------------------------------------
 *
 * format_adobe.c
 *	  Format adobe, the Adobe Analytics Data Sources file (spec section 2,
 *	  seed 000): tab-delimited, '#' comment lines, a header line whose names
 *	  (case-insensitive) decide every column, transactionID or VisitorID as
 *	  the join key, the 4096-byte row and 90-day file limits.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "format_util.h"
#include "validate.h"

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

static const char *const adobe_options[] = {"header", NULL};

/* The numbered dimensions and metrics. */
static const OjColumnPattern adobe_patterns[] = {
	{OJ_COL_DIM, "Evar %d", "evar%d", 1, OJ_ADOBE_MAX_EVAR, 0},
	{OJ_COL_METRIC, "Event %d", "event%d", 1, OJ_ADOBE_MAX_EVENT, 0}
};

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
	if (!oj_name_equals(&head, prefix) || f->data[plen] == '0')
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
		if (oj_name_equals(f, adobe_columns[i].name))
			return i;
	if ((n = name_number(f, "Evar ", OJ_ADOBE_MAX_EVAR)) > 0)
		return OJ_ADOBE_EVAR_BASE + n - 1;
	if ((n = name_number(f, "Event ", OJ_ADOBE_MAX_EVENT)) > 0)
		return OJ_ADOBE_EVENT_BASE + n - 1;
	return -1;
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
		return oj_layout_error(errbuf, errlen, "file has no header line");
	if (!oj_name_equals(&header->fields[0], "Date"))
		return oj_layout_error(errbuf, errlen, "first column must be \"Date\", not %s",
							oj_quote_value(q, header->fields[0].data, header->fields[0].len));

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < header->nfields; i++)
	{
		const OjField *f = &header->fields[i];
		int			idx = adobe_name_index(f);

		if (idx < 0)
			return oj_layout_error(errbuf, errlen,
								"unknown column %s in header; valid columns are " OJ_ADOBE_VALID_NAMES,
								oj_quote_value(q, f->data, f->len));
		if (seen[idx])
			return oj_layout_error(errbuf, errlen, "column %s appears twice in header",
								oj_quote_value(q, f->data, f->len));
		seen[idx] = true;
		strbytes += f->len + 1 + sizeof("event1000");
	}
	if (seen[OJ_ADOBE_TRANSACTION] && seen[OJ_ADOBE_VISITOR])
		return oj_layout_error(errbuf, errlen,
							"header has both \"transactionID\" and \"VisitorID\"; a file has one of them");
	if (!seen[OJ_ADOBE_TRANSACTION] && !seen[OJ_ADOBE_VISITOR])
		return oj_layout_error(errbuf, errlen,
							"header has neither \"transactionID\" nor \"VisitorID\"; a file needs one of them");

	b = oj_block_alloc(alloc, header->nfields, strbytes, &s);
	if (b == NULL)
		return oj_layout_error(errbuf, errlen, "out of memory for a layout of %d columns",
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

/* Parse "MM/DD/YYYY" (noon) or "MM/DD/YYYY/HH/mm/SS" into row; false if the shape is wrong. */
static OjReason
parse_adobe_date(const OjFormat *format, const OjField *f, OjRow *row)
{
	const char *s = f->data;

	(void) format;

	if ((f->len != 10 && f->len != 19) || s[2] != '/' || s[5] != '/')
		return OJ_R_FORMAT;
	row->month = oj_parse_digits(s, 2);
	row->day = oj_parse_digits(s + 3, 2);
	row->year = oj_parse_digits(s + 6, 4);
	if (f->len == 10)
	{
		row->hour = 12;
		row->minute = row->second = 0;
	}
	else
	{
		if (s[10] != '/' || s[13] != '/' || s[16] != '/')
			return OJ_R_FORMAT;
		row->hour = oj_parse_digits(s + 11, 2);
		row->minute = oj_parse_digits(s + 14, 2);
		row->second = oj_parse_digits(s + 17, 2);
	}
	return row->year >= 0 && row->month >= 0 && row->day >= 0 &&
		row->hour >= 0 && row->minute >= 0 && row->second >= 0 ? OJ_OK : OJ_R_FORMAT;
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
			   OjRow *row, OjReject *reject, const OjAllocator *alloc)
{
	OjLayoutBlock *b = oj_layout_block(layout);
	const OjColumn *kcol = &layout->cols[b->key_col];
	const OjField *key;
	const OjColumn *dcol = &layout->cols[0];
	const OjField *date;
	char		q[OJ_QUOTE_BUF];
	const char *why;
	int			nmetrics = 0;
	int32_t		day;

	(void) alloc;

	if (rec->raw_len > OJ_ADOBE_MAX_ROW_BYTES)
		return oj_reject_row(reject, OJ_R_TOO_LONG, NULL, "row is longer than %d bytes",
						  OJ_ADOBE_MAX_ROW_BYTES);
	if (rec->nfields != layout->ncols)
		return oj_reject_row(reject, OJ_R_COLUMNS, NULL, "row has %d fields; the header has %d",
						  rec->nfields, layout->ncols);
	if (!oj_raw_is_clean(rec))
		for (int i = 0; i < rec->nfields; i++)
			if (!oj_check_encoding(&rec->fields[i], &layout->cols[i], check_utf8, reject))
				return false;

	key = &rec->fields[b->key_col];
	if (oj_is_blank(key))
		return oj_reject_row(reject, OJ_R_MISSING, kcol->name, "missing value in column \"%s\"",
						  kcol->name);
	date = &rec->fields[0];
	if (oj_is_blank(date))
		return oj_reject_row(reject, OJ_R_MISSING, dcol->name, "missing value in column \"%s\"",
						  dcol->name);
	if (parse_adobe_date(layout->format, date, row) != OJ_OK)
		return oj_reject_row(reject, OJ_R_FORMAT, dcol->name,
						  "invalid date %s in column \"%s\": expected MM/DD/YYYY or MM/DD/YYYY/HH/mm/SS",
						  oj_quote_value(q, date->data, date->len), dcol->name);
	if ((why = oj_check_calendar(row)) != NULL)
		return oj_reject_row(reject, OJ_R_RANGE, dcol->name, "invalid date %s in column \"%s\": %s",
						  oj_quote_value(q, date->data, date->len), dcol->name, why);
	if (now != NULL && is_future(row, now, date->len == 10))
		return oj_reject_row(reject, OJ_R_RANGE, dcol->name, "date %s in column \"%s\" is in the future",
						  oj_quote_value(q, date->data, date->len), dcol->name);
	if (key->len > (layout->key_is_transaction ? OJ_MAX_ID_BYTES : OJ_MAX_CUSTOMER_ID_BYTES))
		return oj_reject_row(reject, OJ_R_TOO_LONG, kcol->name,
						  "value %s in column \"%s\" is longer than %d bytes",
						  oj_quote_value(q, key->data, key->len), kcol->name,
						  layout->key_is_transaction ? OJ_MAX_ID_BYTES : OJ_MAX_CUSTOMER_ID_BYTES);

	for (int i = 1; i < rec->nfields; i++)
	{
		const OjColumn *col = &layout->cols[i];
		const OjField *f = &rec->fields[i];

		if ((col->role == OJ_COL_DIM || col->role == OJ_COL_PRODUCT ||
			 col->role == OJ_COL_CATEGORY) && f->len > 0 &&
			memchr(f->data, layout->format->forbidden, f->len) != NULL)
			return oj_reject_row(reject, OJ_R_FORBIDDEN, col->name,
								 "value %s in column \"%s\" contains \"%c\"",
								 oj_quote_value(q, f->data, f->len), col->name, layout->format->forbidden);
	}

	row->dims = b->dims;
	row->attrs = b->attrs;
	for (int i = 1; i < rec->nfields; i++)
	{
		const OjColumn *col = &layout->cols[i];
		const OjField *f = &rec->fields[i];
		OjReason	reason;

		if (oj_is_blank(f))
			continue;
		switch (col->role)
		{
			case OJ_COL_NUM1:
			case OJ_COL_NUM2:
			case OJ_COL_METRIC:
				if ((reason = oj_check_number(f, '.', &why)) != OJ_OK)
					return oj_reject_row(reject, reason, col->name,
									  "invalid number %s in column \"%s\": %s",
									  oj_quote_value(q, f->data, f->len), col->name, why);
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
			case OJ_COL_IGNORE:
				break;
		}
	}
	if (row->ndims == 0 && !row->has_product && !row->has_category)
		return oj_reject_row(reject, OJ_R_MISSING, "dimension", "row has no dimension value");
	if (nmetrics == 0)
		return oj_reject_row(reject, OJ_R_MISSING, "metric", "row has no metric value");

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
		return oj_reject_row(reject, OJ_R_TOO_MANY_DAYS, dcol->name,
						  "date %s in column \"%s\" would be day %d of the file; a file may span at most %d days",
						  oj_quote_value(q, date->data, date->len), dcol->name,
						  OJ_ADOBE_MAX_DAYS + 1, OJ_ADOBE_MAX_DAYS);
	row->new_day = day;
	return true;
}

/* An inbox's columns: every name the header may hold (extra is not used). */
static int
adobe_inbox_ncolumns(const OjFormat *format, int extra)
{
	(void) extra;
	(void) format;
	return OJ_ADOBE_NAMED + OJ_ADOBE_MAX_EVAR + OJ_ADOBE_MAX_EVENT;
}

/*
 * Name i (0-based) of the inbox's columns: Date, transactionID, VisitorID,
 * "Evar 1" to "Evar 250", the other dimensions, "Event 1" to "Event 1000",
 * the other metrics; buf holds numbered names.
 */
static const char *
adobe_inbox_column(const OjFormat *format, int i, char *buf, size_t len)
{
	int			named_dims = 0;
	int			k;

	(void) format;

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

/* Option header: only true, since the header decides the join key. */
static bool
adobe_configure(const OjFormat *base, const OjOption *opts, int nopts,
				const OjAllocator *alloc, const OjFormat **out, OjOptionError *err)
{
	(void) alloc;
	*out = base;
	for (int i = 0; i < nopts; i++)
	{
		if (!oj_option_bool(&opts[i], err))
			return false;
		if (strcmp(opts[i].text, "false") == 0)
		{
			snprintf(err->message, sizeof(err->message),
					 "of format adobe cannot have header false");
			snprintf(err->detail, sizeof(err->detail),
					 "An Adobe Data Sources file always starts with its header line; the header decides the join key.");
			return false;
		}
	}
	return true;
}

const OjFormat oj_format_adobe = {
	.name = "adobe",
	.title = "Adobe Analytics Data Sources",
	.dialect = {'\t', '\0', '#', 0},
	.header = true,
	.header_optional = false,
	.decimal = '.',
	.columns = adobe_columns,
	.ncolumns = OJ_ADOBE_NAMED,
	.by_position = false,
	.patterns = adobe_patterns,
	.npatterns = 2,
	.forbidden = ';',
	.options = adobe_options,
	.time_expected = "MM/DD/YYYY or MM/DD/YYYY/HH/mm/SS",
	.inbox_header = OJ_INBOX_BY_STATEMENT,
	.inbox_extra = false,
	.configure = adobe_configure,
	.layout_init = adobe_layout_init,
	.validate = validate_adobe,
	.parse_time = parse_adobe_date,
	.inbox_ncolumns = adobe_inbox_ncolumns,
	.inbox_column = adobe_inbox_column,
};
