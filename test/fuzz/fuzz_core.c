/*-------------------------------------------------------------------------
 *
 * fuzz_core.c
 *	  libFuzzer harness of the plain-C core: reader and validator.
 *
 * The first input byte selects the case, the rest is the file:
 *	  bit 0		0: rmc (CSV dialect), 1: adobe (TSV dialect)
 *	  bit 1		rmc, csv: 1 = the first record is the header, 0 = no header;
 *				adobe: 1 = the first record is the header, 0 = a built-in one
 *	  bits 2-7	seed of the read sizes; with bit 0 clear and bits 2-3 set, a
 *				csv source instead of rmc, its descriptor built from options
 *				that bits 4-7 choose (delimiter, decimal comma, time
 *				template, skip_lines), as create_source() builds it
 *
 * The file is read twice: in small chunks whose sizes derive from the data
 * (to hit buffer boundaries) and all at once; both reads must give the same
 * records.  Every record is validated with and without the UTF-8 check, and
 * the invariants of the core's contract are asserted.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "format.h"
#include "format_util.h"
#include "validate.h"

#define FUZZ_MAX_RECORD		4096

/* Abort with a message when an invariant does not hold. */
#define ASSERT(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* The input file, read in chunks of varying size. */
typedef struct FuzzFile
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	unsigned	seed;			/* 0: read as much as asked */
} FuzzFile;

/* OjReadFn: chunk sizes of 1 to 64 bytes derived from the data and the seed. */
static long
fuzz_read(void *arg, char *buf, size_t len)
{
	FuzzFile   *f = arg;
	size_t		n = f->len - f->pos;

	if (n > len)
		n = len;
	if (f->seed != 0 && n > 0)
	{
		size_t		want = 1 + ((f->data[f->pos] * 31u + f->seed * 7u + (unsigned) f->pos) % 64);

		if (n > want)
			n = want;
	}
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (long) n;
}

/* A copy of a record, to compare the two reads. */
typedef struct SavedRecord
{
	int64_t		line_no;
	int			nfields;
	OjReason	error;
	size_t		raw_len;
	uint64_t	hash;			/* of raw and fields */
} SavedRecord;

/* FNV-1a over bytes, continuing h. */
static uint64_t
hash_bytes(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t) p[i]) * UINT64_C(1099511628211);
	return h;
}

/* Check a reject's invariants: known reason, bounded printable message. */
static void
check_reject(const OjReject *rj)
{
	size_t		len = strnlen(rj->message, sizeof(rj->message));

	ASSERT(rj->reason > OJ_OK && rj->reason <= OJ_R_TOTAL_MISMATCH);
	ASSERT(len > 0 && len < sizeof(rj->message));
	for (size_t i = 0; i < len; i++)
		ASSERT((uint8_t) rj->message[i] >= 0x20 && rj->message[i] != 0x7f);
}

/*
 * A csv descriptor from options, as create_source() makes it: variant bits
 * choose the delimiter, the decimal separator, ISO 8601 times or a
 * template, and a skipped first line; header says whether columns are
 * named ("t", "c", "x", "n") or by position (2, 1, 4, 3).  Built once per
 * variant and kept.
 */
static OjFormatKind
csv_format(unsigned variant, bool header)
{
	static OjFormatKind cache[32];
	static const char *const delims[] = {";", ",", "|", "\t"};
	unsigned	k = (variant & 15) | (header ? 16 : 0);
	bool		comma = (variant & 3) != 1 && (variant & 4);
	OjOption	o[12];
	int			n = 0;
	OjOptionError err;

	if (cache[k] != NULL)
		return cache[k];
#define OPT(nm, p0, p1, ty, tx) 	(o[n] = (OjOption) {nm, {p0, p1}, (p1) ? 2 : (p0) ? 1 : 0, -1, ty, tx}, n++)
	OPT("header", NULL, NULL, OJ_OPT_BOOL, header ? "true" : "false");
	OPT("delimiter", NULL, NULL, OJ_OPT_STRING, delims[variant & 3]);
	if (comma)
		OPT("decimal", NULL, NULL, OJ_OPT_STRING, ",");
	if (variant & 8)
		OPT("time_format", NULL, NULL, OJ_OPT_STRING, "DD.MM.YYYY HH12:MI:SS.US AM TZH:TZM");
	if ((variant & 5) == 5)
		OPT("skip_lines", NULL, NULL, OJ_OPT_NUMBER, "1");
	OPT("unmapped", NULL, NULL, OJ_OPT_STRING, "attrs");
	OPT("columns", "event_time", NULL, header ? OJ_OPT_STRING : OJ_OPT_NUMBER, header ? "t" : "2");
	OPT("columns", "customer_id", NULL, header ? OJ_OPT_STRING : OJ_OPT_NUMBER, header ? "c" : "1");
	OPT("columns", "transaction_id", NULL, header ? OJ_OPT_STRING : OJ_OPT_NUMBER, header ? "x" : "4");
	OPT("columns", "num1", NULL, header ? OJ_OPT_STRING : OJ_OPT_NUMBER, header ? "n" : "3");
	OPT("columns", "dims", "d", header ? OJ_OPT_STRING : OJ_OPT_NUMBER, header ? "d" : "5");
#undef OPT
	ASSERT(oj_format_configure(OJ_FORMAT_CSV, o, n, &oj_malloc_allocator, &cache[k], &err));
	return cache[k];
}

/* Check a valid row's invariants. */
static void
check_row(const OjLayout *layout, const OjRecord *rec, const OjRow *row)
{
	ASSERT(row->ndims >= 0 && row->ndims <= rec->nfields);
	ASSERT(row->nattrs >= 0 && row->nattrs <= rec->nfields);
	ASSERT(row->month >= 1 && row->month <= 12 && row->day >= 1 && row->day <= 31);
	ASSERT(row->hour >= 0 && row->hour <= 23 && row->second <= 59);
	for (int i = 0; i < row->ndims; i++)
		ASSERT(row->dims[i].key != NULL && row->dims[i].value.len > 0);
	for (int i = 0; i < row->nattrs; i++)
	{
		ASSERT(row->attrs[i].key != NULL);
		if (row->attrs[i].numeric)
			ASSERT(oj_is_plain_decimal(row->attrs[i].value.data, row->attrs[i].value.len));
	}
	if (row->has_num1)
	{
		const char *why;

		ASSERT(oj_check_number(&row->num1, layout->format->decimal, &why) == OJ_OK);
	}
	if (row->has_num2)
		ASSERT(oj_is_plain_decimal(row->num2.data, row->num2.len));
	ASSERT(row->usec >= 0 && row->usec < 1000000);
	ASSERT(!row->has_offset || (row->utc_offset > -16 * 3600 && row->utc_offset < 16 * 3600));
	if (layout->format->csv != NULL)
		ASSERT(row->has_customer || row->has_transaction);
	else if (layout->format == OJ_FORMAT_ADOBE)
	{
		ASSERT(row->ndims > 0 || row->has_product || row->has_category);
		/* the row's day is known already, or it brings a new one while there is room */
		ASSERT(layout->ndays >= 0 && layout->ndays <= OJ_ADOBE_MAX_DAYS);
		ASSERT(row->new_day == 0 ? layout->ndays >= 1 : layout->ndays < OJ_ADOBE_MAX_DAYS);
		ASSERT(row->has_customer != row->has_transaction);
	}
	else
		ASSERT(row->has_customer && row->has_product && row->has_num1 && row->has_num2 &&
			   row->has_event_type);
}

/* Read the whole file once; validate each record; return the records read. */
static size_t
read_file(const uint8_t *data, size_t len, uint8_t selector, unsigned seed,
		  SavedRecord *saved, size_t nsaved, bool compare)
{
	bool		adobe = selector & 1;
	bool		header = (selector & 2) != 0;
	bool		csv = !adobe && ((selector >> 2) & 3) == 3;
	OjFormatKind format = adobe ? OJ_FORMAT_ADOBE : csv ? csv_format(selector >> 4, header) : OJ_FORMAT_RMC;
	FuzzFile	f = {data, len, 0, seed};
	OjReader   *r = oj_reader_create(&format->dialect, fuzz_read, &f, &oj_malloc_allocator,
									 FUZZ_MAX_RECORD);
	OjLayout	layouts[2];
	bool		have_layout = false;
	OjNow		now = {2026, 3, 10, 12, 0, 0};
	OjRecord	rec;
	int64_t		last_line = 0;
	int64_t		lines = 1;
	size_t		count = 0;
	int			rc;
	char		err[512];

	/* line breaks: LF, CRLF, and (for CSV) a lone CR */
	for (size_t i = 0; i < len; i++)
		lines += (data[i] == '\n') ||
			(!adobe && data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'));
	ASSERT(r != NULL);

	if (!header)
	{
		/* rmc without header, or adobe with a fixed header */
		static const OjField adobe_fields[] = {
			{"Date", 4}, {"VisitorID", 9}, {"Evar 1", 6}, {"Product", 7}, {"Category", 8},
			{"Quantity", 8}, {"Price", 5}, {"Event 7", 7}
		};
		OjRecord	h = {1, 8, (OjField *) adobe_fields, "", 0, OJ_OK, NULL};

		for (int k = 0; k < 2; k++)
			have_layout = oj_layout_init(&layouts[k], format, adobe ? &h : NULL,
										 &oj_malloc_allocator, err, sizeof(err));
		ASSERT(have_layout);
	}

	while ((rc = oj_reader_next(r, &rec)) == 1)
	{
		SavedRecord s = {rec.line_no, rec.nfields, rec.error, rec.raw_len, 14695981039346656037u};

		/* reader invariants */
		ASSERT(rec.line_no >= 1 && rec.line_no >= last_line && rec.line_no <= lines);
		last_line = rec.line_no;
		ASSERT(rec.raw_len <= FUZZ_MAX_RECORD);
		ASSERT(rec.raw_len == 0 || rec.raw != NULL);
		if (rec.error != OJ_OK)
		{
			ASSERT(rec.error == OJ_R_PARSE || rec.error == OJ_R_TOO_LONG);
			ASSERT(rec.nfields == 0 && rec.fields == NULL && rec.error_message != NULL);
		}
		else
		{
			size_t		total = 0;

			ASSERT(rec.nfields >= 1 && rec.fields != NULL && rec.error_message == NULL);
			for (int i = 0; i < rec.nfields; i++)
			{
				ASSERT(rec.fields[i].data != NULL);
				total += rec.fields[i].len;
				s.hash = hash_bytes(s.hash, rec.fields[i].data, rec.fields[i].len);
				s.hash = hash_bytes(s.hash, "|", 1);
			}
			ASSERT(total <= rec.raw_len);
		}
		s.hash = hash_bytes(s.hash, rec.raw, rec.raw_len);
		if (count < nsaved)
		{
			if (compare)
				ASSERT(saved[count].line_no == s.line_no && saved[count].nfields == s.nfields &&
					   saved[count].error == s.error && saved[count].raw_len == s.raw_len &&
					   saved[count].hash == s.hash);
			else
				saved[count] = s;
		}
		count++;

		/* the header, then validation of each row with and without UTF-8 checks */
		if (header && count == 1)
		{
			for (int k = 0; k < 2; k++)
			{
				err[0] = '\0';
				have_layout = oj_layout_init(&layouts[k], format, &rec, &oj_malloc_allocator,
											 err, sizeof(err));
				ASSERT(have_layout || err[0] != '\0');
			}
			if (!have_layout)
				break;
			continue;
		}
		for (int k = 0; have_layout && k < 2; k++)
		{
			OjRow		row;
			OjReject	rj;

			if (oj_validate_record(&layouts[k], &rec, &now, k == 0, &row, &rj, &oj_malloc_allocator))
			{
				ASSERT(rec.error == OJ_OK);
				check_row(&layouts[k], &rec, &row);
				oj_layout_accept(&layouts[k], &row);
			}
			else
				check_reject(&rj);
		}
	}
	ASSERT(rc == 0 || (rc == 1 && !have_layout));
	if (rc == 0)
		ASSERT(oj_reader_bytes(r) == (int64_t) len);
	if (have_layout)
		for (int k = 0; k < 2; k++)
			oj_layout_free(&layouts[k], &oj_malloc_allocator);
	oj_reader_destroy(r);
	return count;
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static SavedRecord saved[4096];
	uint8_t		selector;
	size_t		n1;
	size_t		n2;

	if (size < 1)
		return 0;
	selector = data[0];
	n1 = read_file(data + 1, size - 1, selector, 1 + (selector >> 2), saved, 4096, false);
	n2 = read_file(data + 1, size - 1, selector, 0, saved, 4096, true);
	ASSERT(n1 == n2);
	return 0;
}
