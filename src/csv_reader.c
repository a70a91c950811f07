/*-------------------------------------------------------------------------
 *
 * csv_reader.c
 *	  Streaming record reader of the plain-C core, by a dialect (core.h):
 *	  RFC 4180 records through libcsv when the dialect quotes (rmc's commas,
 *	  or any delimiter and quote a csv source names), else lines split on
 *	  the delimiter with comment lines skipped (Adobe's tabs).  The
 *	  dialect's skip_lines lines before the first record are read past.
 *
 * The reader pulls bytes through an OjReadFn into a 64 KiB buffer and
 * returns one record per oj_reader_next() call, with the physical line where
 * the record starts and its raw bytes.  Malformed and over-long records come
 * back as error records (OJ_R_PARSE, OJ_R_TOO_LONG) and reading goes on after
 * them, so a caller can account for every line of a file.
 *
 * CSV: libcsv is fed one piece at a time, a piece ending at the first '\n'
 * or '\r' (or at the end of the buffer).  libcsv can only end a row on such
 * a byte, so a row always ends with the piece that completes it: the reader
 * knows the line of every record (it counts '\n' itself, quoted ones too)
 * and the extent of its raw bytes.  A record's length is checked before each
 * piece is fed, and its field count against max_record / sizeof(OjField),
 * so the reader's memory is bounded by the record cap (OJ_CORE_MAX_BLOCK):
 * a record over either bound is a too_long error record, never a failure
 * of the read.  After a parse error the record ends at the end of the
 * physical line holding the error; after an over-long record, where quote
 * parity says it ends (see skip_start).
 *
 * Everything is allocated through the caller's OjAllocator, libcsv's field
 * buffer too (its hooks have no context argument: a static pointer names the
 * reader around every libcsv call).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core.h"

#define OJ_READ_BUFFER_SIZE		(64 * 1024)
#define OJ_CSV_OPTIONS			(CSV_STRICT | CSV_STRICT_FINI)
#define OJ_CSV_ROW_NOT_BEGUN	0	/* libcsv's parser states (libcsv.c) */
#define OJ_CSV_FIELD_BEGUN		2
#define OJ_CSV_BUFFER_SLACK		256 /* libcsv's field buffer may exceed the cap by this */
#define OJ_ARENA_INITIAL		4096
#define OJ_FIELDS_INITIAL		64

const OjDialectSpec oj_dialect_comma = {',', '"', '\0', 0};
const OjDialectSpec oj_dialect_tab = {'\t', '\0', '#', 0};

/* A growable byte array. */
typedef struct OjBytes
{
	char	   *data;
	size_t		len;
	size_t		cap;
} OjBytes;

struct OjReader
{
	bool		quoted;			/* the dialect quotes: libcsv reads */
	char		delim;
	char		quote;
	char		comment;
	int			skip_left;		/* lines still to read past before the first record */
	OjReadFn	read;
	void	   *read_arg;
	OjAllocator alloc;
	size_t		max_record;		/* longer records are too_long */
	int			max_fields;		/* records with more fields are too_long */

	/* input */
	char	   *buf;
	size_t		buf_len;
	size_t		pos;			/* next unconsumed byte of buf */
	int64_t		bytes;			/* consumed from the read function */
	int64_t		line;			/* physical line of buf[pos], 1-based */
	bool		started;		/* BOM check done */
	bool		eof;			/* the read function returned 0 */
	bool		done;			/* end of file handled */
	bool		failed;			/* the read function (or memory) failed */
	int			saved_errno;

	/* the record being assembled: raw = raw.data + buf[raw_start, pos) */
	int64_t		rec_line;
	OjBytes		raw;
	size_t		raw_start;
	OjBytes		data;			/* CSV field bytes, back to back */
	OjField    *fields;
	int			nfields;
	int			fields_cap;

	/* libcsv */
	struct csv_parser parser;
	bool		row_done;		/* the row callback fired */
	bool		oom;			/* a callback could not allocate */
	bool		too_many;		/* a callback found more than max_fields fields */

	/* resynchronisation after an error: skip to the end of the record */
	bool		cr_pending;	/* a CR ended the buffer: the next byte says if it ended a line */
	bool		skipping;
	bool		skip_report;	/* return an error record when the skip ends */
	OjReason	skip_reason;
	int			parity;			/* quotes seen in the record, mod 2 */
	size_t		rec_total;		/* bytes of the skipped record so far */
	size_t		raw_limit;		/* bytes of it kept in raw */

	/* a record whose quote never closed: its lines after the first, read again */
	OjBytes		replay;
	size_t		replay_pos;

	char		message[128];
};

/* libcsv's allocation hooks have no context: the reader of the current call. */
static OjReader *oj_csv_reader;

/* malloc-based allocator for callers outside the backend. */
static void *
malloc_alloc(void *ctx, size_t size)
{
	(void) ctx;
	return malloc(size);
}

/* realloc counterpart of malloc_alloc. */
static void *
malloc_realloc(void *ctx, void *ptr, size_t size)
{
	(void) ctx;
	return realloc(ptr, size);
}

/* free counterpart of malloc_alloc. */
static void
malloc_free(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

const OjAllocator oj_malloc_allocator = {malloc_alloc, malloc_realloc, malloc_free, NULL};

/* libcsv space function: nothing is a space, so fields are never trimmed. */
static int
csv_no_space(unsigned char c)
{
	(void) c;
	return 0;
}

/* libcsv realloc hook: the reader's allocator, capped, growing geometrically. */
static void *
csv_realloc_hook(void *ptr, size_t size)
{
	OjReader   *r = oj_csv_reader;
	size_t		cap = r->max_record > SIZE_MAX - OJ_CSV_BUFFER_SLACK ?
		SIZE_MAX : r->max_record + OJ_CSV_BUFFER_SLACK;
	void	   *p;

	if (size > cap)
		return NULL;
	p = r->alloc.realloc(r->alloc.ctx, ptr, size);
	if (p != NULL)
		csv_set_blk_size(&r->parser, size);	/* next growth doubles */
	return p;
}

/* libcsv free hook: the reader's allocator. */
static void
csv_free_hook(void *ptr)
{
	oj_csv_reader->alloc.free(oj_csv_reader->alloc.ctx, ptr);
}

/* (Re)initialise the libcsv parser, freeing its previous buffer. */
static void
csv_reset(OjReader *r)
{
	oj_csv_reader = r;
	csv_free(&r->parser);
	csv_init(&r->parser, OJ_CSV_OPTIONS);
	csv_set_space_func(&r->parser, csv_no_space);
	csv_set_delim(&r->parser, (unsigned char) r->delim);
	csv_set_quote(&r->parser, (unsigned char) r->quote);
	csv_set_realloc_func(&r->parser, csv_realloc_hook);
	csv_set_free_func(&r->parser, csv_free_hook);
}

/* Make room for len more bytes in b; false when memory runs out. */
static bool
bytes_reserve(OjReader *r, OjBytes *b, size_t len)
{
	size_t		cap = b->cap;
	char	   *p;

	if (b->len + len <= cap)
		return true;
	if (cap == 0)
		cap = OJ_ARENA_INITIAL;
	while (cap < b->len + len)
	{
		if (cap > SIZE_MAX / 2)
			return false;
		cap *= 2;
	}
	p = r->alloc.realloc(r->alloc.ctx, b->data, cap);
	if (p == NULL)
		return false;
	b->data = p;
	b->cap = cap;
	return true;
}

/* Append len bytes to b, keeping at most limit bytes in it. */
static bool
bytes_append(OjReader *r, OjBytes *b, const char *src, size_t len, size_t limit)
{
	if (b->len >= limit)
		return true;
	if (len > limit - b->len)
		len = limit - b->len;
	if (len == 0)
		return true;
	if (!bytes_reserve(r, b, len))
		return false;
	memcpy(b->data + b->len, src, len);
	b->len += len;
	return true;
}

/*
 * Make room for one more field; false when memory runs out.  The caller
 * checks max_fields first, so the array never outgrows the record cap.
 */
static bool
fields_reserve(OjReader *r)
{
	OjField    *p;
	size_t		cap;

	if (r->nfields < r->fields_cap)
		return true;
	cap = (size_t) r->fields_cap * 2;
	if (cap > (size_t) r->max_fields)
		cap = (size_t) r->max_fields;
	p = r->alloc.realloc(r->alloc.ctx, r->fields, cap * sizeof(OjField));
	if (p == NULL)
		return false;
	r->fields = p;
	r->fields_cap = (int) cap;
	return true;
}

/* Remember a read or memory failure; oj_reader_next returns -1 from now on. */
static int
reader_fail(OjReader *r, int err)
{
	r->failed = true;
	r->saved_errno = err;
	errno = err;
	return -1;
}

/*
 * Refill the buffer: 1 when bytes are available, 0 at end of file, -1 on a
 * read error.  The open CSV record's bytes are moved out of the buffer first.
 */
static int
refill(OjReader *r)
{
	size_t		len = 0;

	if (r->quoted && !r->skipping &&
		r->parser.pstate != OJ_CSV_ROW_NOT_BEGUN)
	{
		if (!bytes_append(r, &r->raw, r->buf + r->raw_start,
						  r->buf_len - r->raw_start, SIZE_MAX))
			return reader_fail(r, ENOMEM);
	}
	r->raw_start = 0;
	r->pos = 0;
	r->buf_len = 0;
	if (r->replay_pos < r->replay.len)
	{
		len = r->replay.len - r->replay_pos;
		if (len > OJ_READ_BUFFER_SIZE)
			len = OJ_READ_BUFFER_SIZE;
		memcpy(r->buf, r->replay.data + r->replay_pos, len);
		r->replay_pos += len;
		r->buf_len = len;
		return 1;
	}
	while (!r->eof)
	{
		long		n = r->read(r->read_arg, r->buf + len, OJ_READ_BUFFER_SIZE - len);

		if (n < 0)
			return reader_fail(r, errno);
		if (n == 0)
		{
			r->eof = true;
			break;
		}
		len += (size_t) n;
		r->bytes += n;
		if (!r->started)
		{
			/* a UTF-8 byte order mark at the very start is not data */
			if (len < 3)
				continue;
			r->started = true;
			if (memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
				r->pos = 3;
		}
		if (len > r->pos)
			break;
	}
	r->started = true;
	r->buf_len = len;
	return r->buf_len > r->pos ? 1 : 0;
}

/* Fill rec as an error record of the reader's current record. */
static int
error_record(OjReader *r, OjRecord *rec, OjReason reason, const char *raw, size_t raw_len)
{
	rec->line_no = r->rec_line;
	rec->nfields = 0;
	rec->fields = NULL;
	rec->raw = raw;
	rec->raw_len = raw_len;
	rec->error = reason;
	rec->error_message = r->message;
	return 1;
}

/* Returns the fields gathered in r as the record starting at r->rec_line. */
static int
fields_record(OjReader *r, OjRecord *rec, const char *raw, size_t raw_len)
{
	rec->line_no = r->rec_line;
	rec->nfields = r->nfields;
	rec->fields = r->fields;
	rec->raw = raw;
	rec->raw_len = raw_len;
	rec->error = OJ_OK;
	rec->error_message = NULL;
	return 1;
}

/* Point the fields at their bytes (contiguous in data) and fill rec. */
static int
good_record(OjReader *r, OjRecord *rec, const char *base, const char *raw, size_t raw_len)
{
	size_t		off = 0;

	for (int i = 0; i < r->nfields; i++)
	{
		r->fields[i].data = base + off;
		off += r->fields[i].len;
	}
	return fields_record(r, rec, raw, raw_len);
}

/* libcsv field callback: copy the field into the record's data arena. */
static void
csv_field_cb(void *s, size_t len, void *arg)
{
	OjReader   *r = arg;

	if (r->oom || r->too_many)
		return;
	if (r->nfields == r->max_fields)
	{
		r->too_many = true;
		return;
	}
	if (!fields_reserve(r) || !bytes_append(r, &r->data, s, len, SIZE_MAX))
	{
		r->oom = true;
		return;
	}
	r->fields[r->nfields].data = NULL;
	r->fields[r->nfields].len = len;
	r->nfields++;
}

/* libcsv row callback: the record is complete. */
static void
csv_row_cb(int c, void *arg)
{
	(void) c;
	((OjReader *) arg)->row_done = true;
}

/*
 * Start skipping the current record from buf[pos] on; raw keeps a bounded
 * prefix.  After a too-long prefix the record's quote parity so far decides
 * where it ends; after a parse error the skip starts outside quotes.
 */
static bool
skip_start(OjReader *r, OjReason reason)
{
	const char *tail = r->buf + r->raw_start;
	size_t		tail_len = r->pos - r->raw_start;
	int			quotes = 0;

	if (r->quoted)
	{
		for (size_t i = 0; i < r->raw.len; i++)
			quotes += (r->raw.data[i] == r->quote);
		for (size_t i = 0; i < tail_len; i++)
			quotes += (tail[i] == r->quote);
	}
	r->parity = reason == OJ_R_PARSE ? 0 : quotes & 1;
	r->rec_total = r->raw.len + tail_len;
	r->raw_limit = (reason == OJ_R_TOO_LONG) ? OJ_MAX_RAW_KEEP : r->max_record;
	if (r->raw.len > r->raw_limit)
		r->raw.len = r->raw_limit;
	if (!bytes_append(r, &r->raw, tail, tail_len, r->raw_limit))
		return false;
	r->skipping = true;
	r->skip_report = true;
	r->skip_reason = reason;
	if (reason == OJ_R_TOO_LONG && r->too_many)
		snprintf(r->message, sizeof(r->message), "record has more than %d fields", r->max_fields);
	else if (reason == OJ_R_TOO_LONG)
		snprintf(r->message, sizeof(r->message), "%s is longer than %zu bytes",
				 r->quoted ? "record" : "line", r->max_record);
	else if (r->parser.pstate == OJ_CSV_FIELD_BEGUN && !r->parser.quoted)
		snprintf(r->message, sizeof(r->message), "unexpected quote inside an unquoted field");
	else
		snprintf(r->message, sizeof(r->message),
				 "unexpected character after the closing quote of a field");
	return true;
}

/*
 * A '\r' at buffer index at ends a line unless a '\n' follows it (then the
 * CRLF's '\n' counts): files from old Macs end their lines with a lone CR,
 * and each record must keep a line of its own.  When the CR is the last
 * byte of the buffer, the first byte of the next one decides.
 */
static void
count_cr(OjReader *r, size_t at)
{
	if (at + 1 < r->buf_len)
		r->line += (r->buf[at + 1] != '\n');
	else
		r->cr_pending = true;
}

/*
 * Skip bytes of the current erroneous record, keeping a prefix as raw: 1 once
 * its end is reached (a line end outside quotes), 0 if not yet, -1 when
 * memory runs out.
 */
static int
skip_some(OjReader *r)
{
	const char *s = r->buf + r->pos;
	const char *end = r->buf + r->buf_len;
	const char *p = s;
	bool		ended = false;
	char		term = 0;

	if (!r->quoted)
	{
		p = memchr(s, '\n', (size_t) (end - s));
		if (p != NULL)
		{
			ended = true;
			term = '\n';
			r->line++;
		}
		else
			p = end;
	}
	else
	{
		for (; p < end; p++)
		{
			/* a parse error's record ends at its line's end: quotes open nothing */
			if (*p == r->quote && r->skip_reason != OJ_R_PARSE)
				r->parity ^= 1;
			else if (*p == '\n')
			{
				r->line++;
				if (!r->parity)
				{
					ended = true;
					term = '\n';
					break;
				}
			}
			else if (*p == '\r')
			{
				count_cr(r, (size_t) (p - r->buf));
				if (!r->parity)
				{
					ended = true;
					term = '\r';
					break;
				}
			}
		}
	}
	if (r->skip_report &&
		!bytes_append(r, &r->raw, s, (size_t) (p - s), r->raw_limit))
		return reader_fail(r, ENOMEM);
	r->rec_total += (size_t) (p - s);
	r->pos = (size_t) (p - r->buf) + (ended ? 1 : 0);
	if (term == '\n' && r->raw.len == r->rec_total && r->raw.len > 0 &&
		r->raw.data[r->raw.len - 1] == '\r')
	{
		r->raw.len--;
		r->rec_total--;
	}
	return ended;
}

/* The skipped record is over: reset the parser and return its error record. */
static int
skip_finish(OjReader *r, OjRecord *rec)
{
	size_t		raw_len = r->raw.len;

	r->skipping = false;
	r->too_many = false;
	r->raw.len = 0;				/* the bytes stay valid until the next call */
	if (r->quoted)
		csv_reset(r);
	if (!r->skip_report)
		return 0;
	if (r->rec_total > r->max_record && raw_len > OJ_MAX_RAW_KEEP)
		raw_len = OJ_MAX_RAW_KEEP;
	return error_record(r, rec, r->skip_reason, r->raw.data, raw_len);
}

/* End of a CSV file: finish the open record, if any. */
static int
csv_at_eof(OjReader *r, OjRecord *rec)
{
	if (r->done)
		return 0;
	r->done = true;
	if (r->skipping)
	{
		/* the record ran to the end of the file: drop its final line end */
		if (r->raw.len == r->rec_total && r->raw.len > 0 &&
			r->raw.data[r->raw.len - 1] == '\n')
		{
			r->raw.len--;
			r->rec_total--;
			if (r->raw.len > 0 && r->raw.data[r->raw.len - 1] == '\r')
			{
				r->raw.len--;
				r->rec_total--;
			}
		}
		return skip_finish(r, rec);
	}
	if (r->parser.pstate == OJ_CSV_ROW_NOT_BEGUN)
		return 0;

	r->row_done = false;
	oj_csv_reader = r;
	if (csv_fini(&r->parser, csv_field_cb, csv_row_cb, r) != 0)
	{
		size_t		raw_len = r->raw.len;
		size_t		first = 0;

		csv_reset(r);
		if (raw_len > 0 && r->raw.data[raw_len - 1] == '\n')
			raw_len--;
		if (raw_len > 0 && r->raw.data[raw_len - 1] == '\r')
			raw_len--;
		snprintf(r->message, sizeof(r->message), "unterminated quoted field at end of file");

		/*
		 * The error is the record up to the end of the physical line where
		 * the quote that never closed opened (quoted values before it may
		 * span lines of their own); the lines after it, which it
		 * swallowed, are read again as records of their own.  The raw
		 * bytes are all here: a record over the cap would have been
		 * too_long before the end.
		 */
		{
			bool		quoted = false;
			size_t		opened = 0;
			size_t		closed = SIZE_MAX;
			int64_t		lines = 1;

			for (size_t i = 0; i < raw_len; i++)
				if (r->raw.data[i] == r->quote)
				{
					quoted = !quoted;
					if (!quoted)
						closed = i;
					else if (closed == SIZE_MAX || i != closed + 1)
						opened = i; /* not the second quote of a doubled one */
				}
			first = opened;
			while (first < raw_len && r->raw.data[first] != '\n' && r->raw.data[first] != '\r')
				first++;
			for (size_t i = 0; i < first; i++)
				lines += r->raw.data[i] == '\n' ||
					(r->raw.data[i] == '\r' && (i + 1 >= first || r->raw.data[i + 1] != '\n'));
			if (first < raw_len)
			{
				size_t		next = first + 1;

				if (r->raw.data[first] == '\r' && next < r->raw.len && r->raw.data[next] == '\n')
					next++;
				r->replay.len = 0;
				r->replay_pos = 0;
				if (!bytes_append(r, &r->replay, r->raw.data + next, r->raw.len - next, SIZE_MAX))
					return reader_fail(r, ENOMEM);
				r->line = r->rec_line + lines;
				r->cr_pending = false;
				r->done = false;
			}
		}
		return error_record(r, rec, OJ_R_PARSE, r->raw.data, first);
	}
	if (r->oom)
		return reader_fail(r, ENOMEM);
	if (!r->row_done)
		return 0;
	return good_record(r, rec, r->data.data, r->raw.data, r->raw.len);
}

/*
 * Splits a whole line on the delimiter in one pass: 1 done, 0 (nothing kept) when
 * it holds a quote, which only libcsv may read, -1 when it has more than
 * max_fields fields, -2 when memory runs out.
 */
static int
fast_split(OjReader *r, const char *p, const char *end)
{
	const char *f = p;

	r->nfields = 0;
	for (;; p++)
	{
		if (p < end && *p != r->delim)
		{
			if (*p == r->quote)
			{
				r->nfields = 0;
				return 0;
			}
			continue;
		}
		if (r->nfields == r->max_fields)
		{
			r->nfields = 0;
			return memchr(p, r->quote, (size_t) (end - p)) ? 0 : -1;
		}
		if (!fields_reserve(r))
		{
			r->nfields = 0;
			return -2;
		}
		r->fields[r->nfields].data = f;
		r->fields[r->nfields].len = (size_t) (p - f);
		r->nfields++;
		if (p == end)
			return 1;
		f = p + 1;
	}
}

/*
 * The start of a record at p (n bytes up to and including the first line
 * end, term says whether one is there): 0 for a blank line read past, the
 * record (1) or -1 from the fast path, 2 when libcsv must read it.
 */
static int
csv_begin_record(OjReader *r, const char *p, size_t n, bool term, OjRecord *rec)
{
	if (n == 1 && term)
	{
		/* a blank line, or the LF of a CRLF: libcsv would ignore it */
		if (*p == '\n')
			r->line++;
		else
			count_cr(r, r->pos);
		r->pos++;
		return 0;
	}
	r->rec_line = r->line;
	r->raw.len = 0;
	r->raw_start = r->pos;
	r->data.len = 0;
	r->nfields = 0;

	/*
	 * Fast path: a whole line without a quote is split on delimiters
	 * right here, which is exactly what libcsv would do with it,
	 * without its byte-by-byte state machine.  Quoted records, and
	 * lines not whole in the buffer, go to libcsv below.
	 */
	if (term && n - 1 <= r->max_record)
	{
		int			rc = fast_split(r, p, p + n - 1);

		if (rc == -2)
			return reader_fail(r, ENOMEM);
		if (rc != 0)
		{
			r->pos += n;
			if (p[n - 1] == '\n')
				r->line++;
			else
				count_cr(r, r->pos - 1);
			if (rc > 0)
				return fields_record(r, rec, p, n - 1);
			snprintf(r->message, sizeof(r->message), "record has more than %d fields",
					 r->max_fields);
			return error_record(r, rec, OJ_R_TOO_LONG, p,
								n - 1 < OJ_MAX_RAW_KEEP ? n - 1 : OJ_MAX_RAW_KEEP);
		}
	}
	return 2;
}

/* oj_reader_next for a quoting dialect. */
static int
csv_next(OjReader *r, OjRecord *rec)
{
	for (;;)
	{
		const char *p;
		const char *nl;
		const char *cr;
		size_t		avail;
		size_t		n;
		size_t		rec_len;
		size_t		used;
		bool		term;
		bool		too_long;

		if (r->pos == r->buf_len)
		{
			int			rc = refill(r);

			if (rc < 0)
				return -1;
			if (rc == 0)
				return csv_at_eof(r, rec);
		}
		if (r->cr_pending)
		{
			r->cr_pending = false;
			r->line += (r->buf[r->pos] != '\n');
		}
		if (r->skipping)
		{
			int			rc = skip_some(r);

			if (rc < 0)
				return -1;
			if (rc > 0)
				return skip_finish(r, rec);
			continue;
		}

		/* the next piece: up to the first '\n' or '\r', or the buffer's end */
		p = r->buf + r->pos;
		avail = r->buf_len - r->pos;
		nl = memchr(p, '\n', avail);
		n = nl ? (size_t) (nl - p) + 1 : avail;
		cr = memchr(p, '\r', n);
		if (cr != NULL)
			n = (size_t) (cr - p) + 1;
		term = (p[n - 1] == '\n' || p[n - 1] == '\r');

		if (r->parser.pstate == OJ_CSV_ROW_NOT_BEGUN)
		{
			int			rc = csv_begin_record(r, p, n, term, rec);

			if (rc == 0)
				continue;
			if (rc != 2)
				return rc;
		}

		/*
		 * A record over the cap is too_long, unless its first max_record
		 * bytes hold a parse error: feed only those, so that the outcome does
		 * not depend on how the input was chunked.
		 */
		rec_len = r->raw.len + (r->pos - r->raw_start);
		too_long = rec_len + n - (term ? 1 : 0) > r->max_record;
		if (too_long)
			n = rec_len < r->max_record ? r->max_record - rec_len : 0;

		r->row_done = false;
		oj_csv_reader = r;
		used = csv_parse(&r->parser, p, n, csv_field_cb, csv_row_cb, r);
		if (r->oom)
			return reader_fail(r, ENOMEM);
		if (used < n && csv_error(&r->parser) != CSV_EPARSE)
			return reader_fail(r, ENOMEM);
		if (r->too_many)
		{
			/*
			 * More fields than the record cap allows: too_long, even when
			 * libcsv met a parse error further on (the field cap came first,
			 * however the input was chunked).  The skip goes on from where
			 * libcsv stopped, the bad byte included, or from the piece's
			 * line end, and ends the record when its quotes are balanced.
			 */
			r->pos += used < n ? used : n - (term ? 1 : 0);
			if (!skip_start(r, OJ_R_TOO_LONG))
				return reader_fail(r, ENOMEM);
			continue;
		}
		r->too_many = false;
		if (used < n || too_long)
		{
			/*
			 * libcsv stops at the bad byte, which is never a line end.  Both
			 * strict errors happen outside an open quoted field, so the skip
			 * goes on from after that byte with even parity: a stray quote
			 * opens nothing, and the record normally ends at this line's end.
			 */
			if (used < n)
				r->pos += used + 1;
			if (!skip_start(r, used < n ? OJ_R_PARSE : OJ_R_TOO_LONG))
				return reader_fail(r, ENOMEM);
			continue;
		}
		r->pos += n;
		if (p[n - 1] == '\n')
			r->line++;
		else if (p[n - 1] == '\r')
			count_cr(r, r->pos - 1);
		if (r->row_done)
		{
			size_t		tail = r->pos - r->raw_start - (term ? 1 : 0);

			if (r->raw.len == 0)
				return good_record(r, rec, r->data.data, r->buf + r->raw_start, tail);
			if (!bytes_append(r, &r->raw, r->buf + r->raw_start, tail, SIZE_MAX))
				return reader_fail(r, ENOMEM);
			return good_record(r, rec, r->data.data, r->raw.data, r->raw.len);
		}
	}
}

/*
 * Turn one complete TSV line (line end excluded) into rec: 0 for a blank or
 * comment line, else 1.
 */
static int
tsv_line(OjReader *r, OjRecord *rec, const char *s, size_t len)
{
	const char *end;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len == 0 || (r->comment != '\0' && s[0] == r->comment))
		return 0;
	if (len > r->max_record)
	{
		snprintf(r->message, sizeof(r->message), "line is longer than %zu bytes", r->max_record);
		return error_record(r, rec, OJ_R_TOO_LONG, s, len < OJ_MAX_RAW_KEEP ? len : OJ_MAX_RAW_KEEP);
	}
	r->nfields = 0;
	end = s + len;
	for (const char *f = s;;)
	{
		const char *tab = memchr(f, r->delim, (size_t) (end - f));
		const char *fend = tab ? tab : end;

		if (r->nfields == r->max_fields)
		{
			snprintf(r->message, sizeof(r->message), "line has more than %d fields", r->max_fields);
			return error_record(r, rec, OJ_R_TOO_LONG, s, len < OJ_MAX_RAW_KEEP ? len : OJ_MAX_RAW_KEEP);
		}
		if (!fields_reserve(r))
			return reader_fail(r, ENOMEM);
		r->fields[r->nfields].data = f;
		r->fields[r->nfields].len = (size_t) (fend - f);
		r->nfields++;
		if (tab == NULL)
			break;
		f = tab + 1;
	}
	return fields_record(r, rec, s, len);
}

/* oj_reader_next for an unquoted dialect (lines split on '\n', fields on the delimiter). */
static int
tsv_next(OjReader *r, OjRecord *rec)
{
	for (;;)
	{
		const char *p;
		const char *nl;
		size_t		avail;
		size_t		n;
		int			rc;

		if (r->pos == r->buf_len)
		{
			rc = refill(r);
			if (rc < 0)
				return -1;
			if (rc == 0)
			{
				if (r->done)
					return 0;
				r->done = true;
				if (r->skipping)
					return skip_finish(r, rec);
				if (r->raw.len == 0)
					return 0;
				r->rec_line = r->line;
				return tsv_line(r, rec, r->raw.data, r->raw.len);
			}
		}
		if (r->skipping)
		{
			rc = skip_some(r);
			if (rc > 0)
				rc = skip_finish(r, rec);
			if (rc != 0)
				return rc;
			continue;
		}

		p = r->buf + r->pos;
		avail = r->buf_len - r->pos;
		nl = memchr(p, '\n', avail);
		if (nl == NULL)
		{
			/* a line continued in the next buffer: keep its start */
			if (r->raw.len == 0)
			{
				r->rec_line = r->line;
				if (r->comment != '\0' && *p == r->comment)
				{
					r->skipping = true;
					r->skip_report = false;
					r->rec_total = 0;
					continue;
				}
			}
			if (r->raw.len + avail > r->max_record + 1)
			{
				r->raw_start = r->pos;
				if (!skip_start(r, OJ_R_TOO_LONG))
					return reader_fail(r, ENOMEM);
				continue;
			}
			if (!bytes_append(r, &r->raw, p, avail, SIZE_MAX))
				return reader_fail(r, ENOMEM);
			r->pos = r->buf_len;
			continue;
		}

		n = (size_t) (nl - p);
		r->pos += n + 1;
		if (r->raw.len == 0)
		{
			r->rec_line = r->line++;
			rc = tsv_line(r, rec, p, n);
		}
		else
		{
			/* the end of a line begun in an earlier buffer */
			r->line++;
			if (!bytes_append(r, &r->raw, p, n, SIZE_MAX))
				return reader_fail(r, ENOMEM);
			rc = tsv_line(r, rec, r->raw.data, r->raw.len);
			r->raw.len = 0;		/* the bytes stay valid until the next call */
		}
		if (rc != 0)
			return rc;
	}
}

/* Create a reader of one file; NULL when memory runs out. */
OjReader *
oj_reader_create(OjDialect dialect, OjReadFn read, void *read_arg,
				 const OjAllocator *alloc, size_t max_record_bytes)
{
	OjReader   *r;

	if (alloc == NULL)
		alloc = &oj_malloc_allocator;
	r = alloc->alloc(alloc->ctx, sizeof(OjReader));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(OjReader));
	r->quoted = dialect->quote != '\0';
	r->delim = dialect->delimiter;
	r->quote = dialect->quote;
	r->comment = dialect->comment;
	r->skip_left = dialect->skip_lines;
	r->read = read;
	r->read_arg = read_arg;
	r->alloc = *alloc;
	r->max_record = max_record_bytes > 0 ? max_record_bytes : OJ_MAX_RECORD_BYTES;
	r->max_fields = (int) OJ_MAX_FIELDS_FOR(r->max_record);
	r->line = 1;
	r->buf = alloc->alloc(alloc->ctx, OJ_READ_BUFFER_SIZE);
	r->raw.data = alloc->alloc(alloc->ctx, OJ_ARENA_INITIAL);
	r->raw.cap = OJ_ARENA_INITIAL;
	r->data.data = alloc->alloc(alloc->ctx, OJ_ARENA_INITIAL);
	r->data.cap = OJ_ARENA_INITIAL;
	r->fields = alloc->alloc(alloc->ctx, OJ_FIELDS_INITIAL * sizeof(OjField));
	r->fields_cap = OJ_FIELDS_INITIAL;
	if (r->quoted)
		csv_reset(r);			/* the zeroed parser has no buffer to free */
	if (r->buf == NULL || r->raw.data == NULL || r->data.data == NULL || r->fields == NULL)
	{
		oj_reader_destroy(r);
		return NULL;
	}
	return r;
}

/*
 * Read past one of the lines before the first record (skip_lines): 1 done,
 * 0 at end of file, -1 on a read error.  Its bytes are not kept, so a line
 * of any length costs no memory.
 */
static int
skip_line(OjReader *r)
{
	for (;;)
	{
		const char *p;
		const char *nl;
		const char *cr;

		if (r->pos == r->buf_len)
		{
			int			rc = refill(r);

			if (rc <= 0)
			{
				r->skip_left = 0;
				return rc;
			}
		}
		p = r->buf + r->pos;
		nl = memchr(p, '\n', r->buf_len - r->pos);
		/* a quoting dialect ends lines at a lone CR too, as the reader does */
		cr = r->quoted ? memchr(p, '\r', (nl ? (size_t) (nl - p) : r->buf_len - r->pos)) : NULL;
		if (nl == NULL && cr == NULL)
		{
			r->pos = r->buf_len;
			continue;
		}
		r->line++;
		r->skip_left--;
		if (cr == NULL)
		{
			r->pos = (size_t) (nl - r->buf) + 1;
			return 1;
		}
		/* CR: a CRLF's LF, maybe in the next buffer, belongs to it */
		r->pos = (size_t) (cr - r->buf) + 1;
		if (r->pos == r->buf_len)
		{
			int			rc = refill(r);

			if (rc < 0)
				return rc;
			if (rc == 0)
				return 1;
		}
		if (r->buf[r->pos] == '\n')
			r->pos++;
		return 1;
	}
}

/* Next record into rec: 1 a record (maybe an error record), 0 end of file, -1 read error. */
int
oj_reader_next(OjReader *r, OjRecord *rec)
{
	if (r->failed)
	{
		errno = r->saved_errno;
		return -1;
	}
	while (r->skip_left > 0)
	{
		int			rc = skip_line(r);

		if (rc <= 0)
			return rc;
	}
	if (r->quoted)
		return csv_next(r, rec);
	return tsv_next(r, rec);
}

/* Bytes consumed from the read function so far. */
int64_t
oj_reader_bytes(const OjReader *r)
{
	return r->bytes;
}

/* Free the reader and everything it allocated. */
void
oj_reader_destroy(OjReader *r)
{
	const OjAllocator *a;

	if (r == NULL)
		return;
	a = &r->alloc;
	if (r->quoted)
	{
		oj_csv_reader = r;
		csv_free(&r->parser);
	}
	if (r->buf)
		a->free(a->ctx, r->buf);
	if (r->raw.data)
		a->free(a->ctx, r->raw.data);
	if (r->data.data)
		a->free(a->ctx, r->data.data);
	if (r->replay.data)
		a->free(a->ctx, r->replay.data);
	if (r->fields)
		a->free(a->ctx, r->fields);
	a->free(a->ctx, r);
}
