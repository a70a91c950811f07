/*-------------------------------------------------------------------------
 *
 * format_rmc.c
 *	  Format rmc, the Offline Data Import CSV (spec section 2, seed 001):
 *	  comma-separated with RFC 4180 quoting, an optional header line, and
 *	  columns read by position: Time Stamp, Customer ID, Event Type,
 *	  Category, Event Name, Num1, Num2, Var 1-5, EventName Attr1-10, then
 *	  any number of EventTransaction Attr N.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "format_util.h"
#include "validate.h"

#define OJ_RMC_MIN_COLUMNS		7
#define OJ_RMC_NAMED_COLUMNS	22	/* up to EventName Attr10 */
#define OJ_RMC_DEFAULT_COLUMNS	32	/* built for rmc without header */

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

static const char *const rmc_options[] = {"header", NULL};

/* Columns 23 on: any number of transaction attributes. */
static const OjColumnPattern rmc_patterns[] = {
	{OJ_COL_ATTR, "EventTransaction Attr%d", "txn_attr%d", 1, 0, OJ_RMC_NAMED_COLUMNS + 1}
};

/* Build the rmc columns 1..cap by position; NULL when memory runs out. */
static OjLayoutBlock *
rmc_block(const OjAllocator *alloc, int cap)
{
	int			extra = cap > OJ_RMC_NAMED_COLUMNS ? cap - OJ_RMC_NAMED_COLUMNS : 0;
	size_t		per = sizeof("EventTransaction Attr") + sizeof("txn_attr") + 2 * 11;
	char	   *s;
	OjLayoutBlock *b = oj_block_alloc(alloc, cap, (size_t) extra * per, &s);

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
		s += sprintf(s, rmc_patterns[0].name, n) + 1;
		col->key = s;
		s += sprintf(s, rmc_patterns[0].key, n) + 1;
	}
	return b;
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
			return oj_layout_error(errbuf, errlen,
								"header has %d columns; the rmc format needs at least %d",
								ncols, OJ_RMC_MIN_COLUMNS);
	}
	b = rmc_block(alloc, ncols > 0 ? ncols : OJ_RMC_DEFAULT_COLUMNS);
	if (b == NULL)
		return oj_layout_error(errbuf, errlen, "out of memory for a layout of %d columns", ncols);
	layout->ncols = ncols;
	layout->cols = b->cols;
	return true;
}

/* Validate an rmc row (columns by position). */
static bool
validate_rmc(OjLayout *layout, const OjRecord *rec, const OjNow *now, bool check_utf8,
			 OjRow *row, OjReject *reject, const OjAllocator *alloc)
{
	OjLayoutBlock *b = oj_layout_block(layout);

	(void) now;

	if (layout->ncols > 0 && rec->nfields != layout->ncols)
		return oj_reject_row(reject, OJ_R_COLUMNS, NULL, "row has %d fields; the header has %d",
						  rec->nfields, layout->ncols);
	if (layout->ncols == 0 && rec->nfields < OJ_RMC_MIN_COLUMNS)
		return oj_reject_row(reject, OJ_R_COLUMNS, NULL,
						  "row has %d fields; the rmc format needs at least %d",
						  rec->nfields, OJ_RMC_MIN_COLUMNS);
	if (rec->nfields > b->cap)
	{
		/* rmc without header: a wider row than any before */
		int			cap = b->cap < OJ_MAX_COLUMNS / 2 ? b->cap * 2 : OJ_MAX_COLUMNS;
		OjLayoutBlock *nb = rmc_block(alloc, cap > rec->nfields ? cap : rec->nfields);

		if (nb == NULL)
			return oj_reject_row(reject, OJ_R_COLUMNS, NULL,
							  "row has %d fields; out of memory for so many columns",
							  rec->nfields);
		alloc->free(alloc->ctx, b);
		b = nb;
		layout->cols = b->cols;
	}
	row->dims = b->dims;
	row->attrs = b->attrs;

	return oj_validate_columns(layout, rec, check_utf8, row, reject);
}

/* Parse "YYYY-MM-DD HH:MM:SS" into row; false if the shape is wrong. */
static OjReason
parse_rmc_time(const OjFormat *format, const OjField *f, OjRow *row)
{
	const char *s = f->data;

	(void) format;

	if (f->len != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' ||
		s[13] != ':' || s[16] != ':')
		return OJ_R_FORMAT;
	row->year = oj_parse_digits(s, 4);
	row->month = oj_parse_digits(s + 5, 2);
	row->day = oj_parse_digits(s + 8, 2);
	row->hour = oj_parse_digits(s + 11, 2);
	row->minute = oj_parse_digits(s + 14, 2);
	row->second = oj_parse_digits(s + 17, 2);
	return row->year >= 0 && row->month >= 0 && row->day >= 0 &&
		row->hour >= 0 && row->minute >= 0 && row->second >= 0 ? OJ_OK : OJ_R_FORMAT;
}

/* An inbox's columns: the named ones, then extra "EventTransaction Attr N". */
static int
rmc_inbox_ncolumns(const OjFormat *format, int extra)
{
	(void) format;
	return OJ_RMC_NAMED_COLUMNS + extra;
}

/* Name i (0-based) of the inbox's columns; buf holds numbered names. */
static const char *
rmc_inbox_column(const OjFormat *format, int i, char *buf, size_t len)
{
	(void) format;
	if (i < OJ_RMC_NAMED_COLUMNS)
		return rmc_columns[i].name;
	snprintf(buf, len, "EventTransaction Attr%d", i - OJ_RMC_NAMED_COLUMNS + 1);
	return buf;
}

/* Option header (true or false); a copy of the descriptor says which. */
static bool
rmc_configure(const OjFormat *base, const OjOption *opts, int nopts,
			  const OjAllocator *alloc, const OjFormat **out, OjOptionError *err)
{
	*out = base;
	for (int i = 0; i < nopts; i++)
	{
		OjFormat   *f;

		if (!oj_option_bool(&opts[i], err))
			return false;
		if (strcmp(opts[i].text, "true") == 0)
			continue;
		f = alloc->alloc(alloc->ctx, sizeof(OjFormat));
		if (f == NULL)
			return false;
		*f = *base;
		f->header = false;
		*out = f;
	}
	return true;
}

const OjFormat oj_format_rmc = {
	.name = "rmc",
	.title = "Offline Data Import CSV",
	.dialect = {',', '"', '\0', 0},
	.header = true,
	.header_optional = true,
	.decimal = '.',
	.columns = rmc_columns,
	.ncolumns = OJ_RMC_NAMED_COLUMNS,
	.by_position = true,
	.patterns = rmc_patterns,
	.npatterns = 1,
	.options = rmc_options,
	.time_expected = "YYYY-MM-DD HH:MM:SS",
	.inbox_header = OJ_INBOX_BY_POSITION,
	.inbox_extra = true,
	.configure = rmc_configure,
	.layout_init = rmc_layout_init,
	.validate = validate_rmc,
	.parse_time = parse_rmc_time,
	.inbox_ncolumns = rmc_inbox_ncolumns,
	.inbox_column = rmc_inbox_column,
};
