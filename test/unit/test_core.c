/*-------------------------------------------------------------------------
 *
 * test_core.c
 *	  Unit tests of the plain-C core: the CSV/TSV reader (csv_reader.c) and
 *	  the row validator (validate.c), built without PostgreSQL.
 *
 * Every reader case runs with the input delivered 1 byte, 7 bytes and all
 * at once per read call; all three must give the same records.  Records are
 * compared as text: "<line>:<field>|<field>" or "<line>:!<reason>", one per
 * line, with control bytes escaped.  Validator cases run a small file
 * through the reader and compare "<line>:ok" or "<line>:<reason>:<field>".
 *
 * Usage: test_core [DATA_DIR]   (default test/unit/data)
 * Prints one line per failing check, then "core: N passed, N failed".
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "format.h"
#include "format_util.h"
#include "validate.h"

static int	n_passed;
static int	n_failed;
static const char *data_dir = "test/unit/data";

/* Count a check; print it when it fails. */
#define CHECK(cond, ...) \
	do { \
		if (cond) \
			n_passed++; \
		else \
		{ \
			n_failed++; \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__); \
			printf("\n"); \
		} \
	} while (0)

/* Compare two strings as a check, printing both when they differ. */
#define CHECK_STR(got, want, what) \
	do { \
		const char *g_ = (got); \
		const char *w_ = (want); \
		CHECK(g_ != NULL && strcmp(g_, w_) == 0, "%s:\n  got:  %s\n  want: %s", \
			  (what), g_ ? g_ : "(null)", w_); \
	} while (0)

/* ---------------------------------------------------------------------- */
/* helpers: growable string, counting allocator, in-memory read function  */

typedef struct Str
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Str;

/* Append n bytes to a string. */
static void
str_add(Str *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap)
	{
		s->cap = (s->len + n + 1) * 2;
		s->data = realloc(s->data, s->cap);
		if (s->data == NULL)
			abort();
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

/* Append formatted text to a string. */
static void str_printf(Str *s, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
str_printf(Str *s, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	str_add(s, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

/* Append bytes with \n, \r, \t, |, \\ and non-printable bytes escaped. */
static void
str_escaped(Str *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) p[i];

		if (c == '\n')
			str_add(s, "\\n", 2);
		else if (c == '\r')
			str_add(s, "\\r", 2);
		else if (c == '\t')
			str_add(s, "\\t", 2);
		else if (c == '|' || c == '\\')
		{
			str_add(s, "\\", 1);
			str_add(s, p + i, 1);
		}
		else if (c < 0x20 || c >= 0x7f)
			str_printf(s, "\\x%02x", c);
		else
			str_add(s, p + i, 1);
	}
}

/* An allocator that counts live blocks and bytes and tracks the peak. */
typedef struct CountAlloc
{
	long		live_blocks;
	size_t		live_bytes;
	size_t		peak_bytes;
} CountAlloc;

/* Allocate with a size header. */
static void *
count_alloc(void *ctx, size_t size)
{
	CountAlloc *ca = ctx;
	size_t	   *p = malloc(size + sizeof(size_t) * 2);

	if (p == NULL)
		return NULL;
	p[0] = size;
	ca->live_blocks++;
	ca->live_bytes += size;
	if (ca->live_bytes > ca->peak_bytes)
		ca->peak_bytes = ca->live_bytes;
	return p + 2;
}

/* Free a block of count_alloc. */
static void
count_free(void *ctx, void *ptr)
{
	CountAlloc *ca = ctx;
	size_t	   *p;

	if (ptr == NULL)
		return;
	p = (size_t *) ptr - 2;
	ca->live_blocks--;
	ca->live_bytes -= p[0];
	free(p);
}

/* Reallocate a block of count_alloc (NULL: allocate). */
static void *
count_realloc(void *ctx, void *ptr, size_t size)
{
	void	   *n = count_alloc(ctx, size);
	size_t		old;

	if (n == NULL || ptr == NULL)
		return n;
	old = ((size_t *) ptr)[-2];
	memcpy(n, ptr, old < size ? old : size);
	count_free(ctx, ptr);
	return n;
}

/* A file in memory, delivered in chunks of at most chunk bytes. */
typedef struct MemFile
{
	const char *data;
	size_t		len;
	size_t		pos;
	size_t		chunk;
	size_t		fail_at;		/* fail once pos reaches this (SIZE_MAX: never) */
} MemFile;

/* OjReadFn over a MemFile. */
static long
mem_read(void *arg, char *buf, size_t len)
{
	MemFile    *f = arg;
	size_t		n = f->len - f->pos;

	if (f->pos >= f->fail_at)
	{
		errno = EIO;
		return -1;
	}
	if (n > len)
		n = len;
	if (n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (long) n;
}

/* Read a whole string to a readable dump of its records. */
static char *
dump_records(OjDialect dialect, const char *input, size_t len, size_t chunk,
			 size_t max_record, bool with_raw)
{
	CountAlloc	ca = {0, 0, 0};
	OjAllocator alloc = {count_alloc, count_realloc, count_free, &ca};
	MemFile		f = {input, len, 0, chunk, SIZE_MAX};
	OjReader   *r = oj_reader_create(dialect, mem_read, &f, &alloc, max_record);
	OjRecord	rec;
	Str			s = {NULL, 0, 0};
	int			rc;

	str_add(&s, "", 0);
	while ((rc = oj_reader_next(r, &rec)) == 1)
	{
		str_printf(&s, "%lld:", (long long) rec.line_no);
		if (rec.error != OJ_OK)
			str_printf(&s, "!%s", oj_reason_name(rec.error));
		for (int i = 0; i < rec.nfields; i++)
		{
			if (i > 0)
				str_add(&s, "|", 1);
			str_escaped(&s, rec.fields[i].data, rec.fields[i].len);
		}
		if (with_raw)
		{
			str_add(&s, " raw=", 5);
			str_escaped(&s, rec.raw, rec.raw_len);
		}
		str_add(&s, "\n", 1);
	}
	if (rc != 0)
		str_printf(&s, "rc=%d\n", rc);
	if (oj_reader_bytes(r) != (int64_t) len)
		str_printf(&s, "bytes=%lld\n", (long long) oj_reader_bytes(r));
	oj_reader_destroy(r);
	if (ca.live_blocks != 0)
		str_printf(&s, "leaked %ld blocks\n", ca.live_blocks);
	return s.data;
}

/* Check a reader case with 1-byte, 7-byte and whole-file reads. */
static void
expect_records(int line, OjDialect dialect, const char *input, size_t len,
			   size_t max_record, bool with_raw, const char *want)
{
	static const size_t chunks[] = {1, 7, SIZE_MAX};

	for (int i = 0; i < 3; i++)
	{
		char	   *got = dump_records(dialect, input, len, chunks[i], max_record, with_raw);

		if (strcmp(got, want) == 0)
			n_passed++;
		else
		{
			Str			in = {NULL, 0, 0};

			str_escaped(&in, input, len < 200 ? len : 200);
			n_failed++;
			printf("FAIL %s:%d: %s input \"%s\" read %zu bytes at a time:\n--- got:\n%s--- want:\n%s",
				   __FILE__, line, dialect == OJ_DIALECT_CSV ? "csv" : "tsv", in.data,
				   chunks[i], got, want);
			free(in.data);
		}
		free(got);
	}
}

#define EXPECT_CSV(input, want) \
	expect_records(__LINE__, OJ_DIALECT_CSV, input, sizeof(input) - 1, 0, false, want)
#define EXPECT_CSV_RAW(input, want) \
	expect_records(__LINE__, OJ_DIALECT_CSV, input, sizeof(input) - 1, 0, true, want)
#define EXPECT_CSV_MAX(input, max, want) \
	expect_records(__LINE__, OJ_DIALECT_CSV, input, sizeof(input) - 1, max, true, want)
#define EXPECT_TSV(input, want) \
	expect_records(__LINE__, OJ_DIALECT_TSV, input, sizeof(input) - 1, 0, false, want)
#define EXPECT_TSV_RAW(input, want) \
	expect_records(__LINE__, OJ_DIALECT_TSV, input, sizeof(input) - 1, 0, true, want)

/* ---------------------------------------------------------------------- */
/* reader tests */

/* CSV quoting, line numbers, line ends, BOM, blank lines, errors. */
static void
test_csv_basics(void)
{
	EXPECT_CSV("a,b\nc,d\n", "1:a|b\n2:c|d\n");
	EXPECT_CSV("\"a,b\",c\n", "1:a,b|c\n");
	EXPECT_CSV("\"a\"\"b\",\"\"\"\"\n", "1:a\"b|\"\n");
	EXPECT_CSV("h1,h2\n\"x\ny\",z\nlast,row\n", "1:h1|h2\n2:x\\ny|z\n4:last|row\n");
	EXPECT_CSV("a,\"1\n2\n3\",b\n\"\n\",c\nd\n", "1:a|1\\n2\\n3|b\n4:\\n|c\n6:d\n");
	EXPECT_CSV("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n");
	EXPECT_CSV("\"x\r\ny\",z\r\nw\r\n", "1:x\\r\\ny|z\n3:w\n");
	EXPECT_CSV("\xEF\xBB\xBF" "a,b\n", "1:a|b\n");
	EXPECT_CSV("\xEF\xBB\xBF", "");
	EXPECT_CSV("\xEF\xBB", "1:\\xef\\xbb\n");
	EXPECT_CSV("a\n\xEF\xBB\xBF" "b\n", "1:a\n2:\\xef\\xbb\\xbfb\n");
	EXPECT_CSV("a\n\n\r\n\nb\n\n", "1:a\n5:b\n");
	EXPECT_CSV("\n\na\n", "3:a\n");
	EXPECT_CSV("", "");
	EXPECT_CSV("a,b\nc,d", "1:a|b\n2:c|d\n");
	EXPECT_CSV("a,\"b\"", "1:a|b\n");
	EXPECT_CSV("a,", "1:a|\n");
	EXPECT_CSV(",\n\"\"\n", "1:|\n2:\n");
	/* a lone CR ends a record and a line (old Mac files); CRLF is one line end */
	EXPECT_CSV("a\rb\rc\nd\n", "1:a\n2:b\n3:c\n4:d\n");
	EXPECT_CSV("\"q\nq\"\rx\ny\n", "1:q\\nq\n3:x\n4:y\n");
	EXPECT_CSV("a\r\r\rb\r\nc\r", "1:a\n4:b\n5:c\n");
	EXPECT_CSV("\"x\ry\"\rz\n", "1:x\\ry\n3:z\n");
	/* spaces and tabs are data */
	EXPECT_CSV(" a , b \n   \n\t\n", "1: a | b \n2:   \n3:\\t\n");
	/* wide records */
	{
		Str			in = {NULL, 0, 0};
		Str			want = {NULL, 0, 0};
		char	   *got;

		for (int d = 0; d < 2; d++)
		{
			in.len = want.len = 0;
			str_add(&want, "1:", 2);
			for (int i = 0; i < 300; i++)
			{
				str_printf(&in, "%s%d", i == 0 ? "" : (d == 0 ? "," : "\t"), i);
				str_printf(&want, "%s%d", i == 0 ? "" : "|", i);
			}
			str_add(&in, "\n", 1);
			str_add(&want, "\n", 1);
			got = dump_records(d == 0 ? OJ_DIALECT_CSV : OJ_DIALECT_TSV, in.data, in.len, 7, 0, false);
			CHECK_STR(got, want.data, "300 fields");
			free(got);
		}
		free(in.data);
		free(want.data);
	}
	/* bytes pass through as they are */
	EXPECT_CSV("a\xff,b\0c\n", "1:a\\xff|b\\x00c\n");
}

/* Raw record bytes: line end excluded, quoted line ends kept. */
static void
test_csv_raw(void)
{
	EXPECT_CSV_RAW("a,\"b\nc\"\r\nd\n", "1:a|b\\nc raw=a,\"b\\nc\"\n3:d raw=d\n");
	EXPECT_CSV_RAW("x,y", "1:x|y raw=x,y\n");
	EXPECT_CSV_RAW("p\rq\r\n", "1:p raw=p\n2:q raw=q\n");
	EXPECT_CSV_RAW("h\na,\"b\"c\r\nd\n", "1:h raw=h\n2:!parse raw=a,\"b\"c\n3:d raw=d\n");
}

/* Strict-mode parse errors and unterminated quotes. */
static void
test_csv_parse_errors(void)
{
	/* text after a closing quote: parity even, the line ends the record */
	EXPECT_CSV("h\na,\"b\"c\nd,e\n", "1:h\n2:!parse\n3:d|e\n");
	EXPECT_CSV("\"a\" ,b\nc\n", "1:!parse\n2:c\n");
	EXPECT_CSV("\"a\"x\r\nb\r\n", "1:!parse\n2:b\n");
	/* a quote inside an unquoted field opens nothing: the line ends the record */
	EXPECT_CSV("1,2\nx,b\"c\ny\"\nok,1\n", "1:1|2\n2:!parse\n3:!parse\n4:ok|1\n");
	/* ... even when a quoted field seems to open after it: every line after
	 * the bad one is read again (0.1.1 swallowed the rest of the file) */
	EXPECT_CSV("x,b\"c,\"d\ne\"\nok\n", "1:!parse\n2:!parse\n3:ok\n");
	EXPECT_CSV("h\n2026-03-02 10:00:00,C1,7,37.8\"N 121\"W,P1,1,2\nC2,ok\nC3,ok\n",
			   "1:h\n2:!parse\n3:C2|ok\n4:C3|ok\n");
	EXPECT_CSV("h\r\na,37.8\"N 121\"W,b\r\nc,d\r\n", "1:h\n2:!parse\n3:c|d\n");
	EXPECT_CSV("h\ra,37.8\"N\rc,d\r", "1:h\n2:!parse\n3:c|d\n");
	/* the error found on a later line of a record: it ends at that line */
	EXPECT_CSV("a,\"b\nc\"x\"y\nd\n", "1:!parse\n3:d\n");
	EXPECT_CSV("a,b\"c\n", "1:!parse\n");
	/* unterminated quote at the end: earlier rows are fine, and the lines
	 * it swallowed are read again (0.1.4 made them part of its reject) */
	EXPECT_CSV("a,b\nc,\"d\ne\n", "1:a|b\n2:!parse\n3:e\n");
	EXPECT_CSV("a,b\n\n\"c", "1:a|b\n3:!parse\n");
	EXPECT_CSV_RAW("a\n\"b\nc\r\n", "1:a raw=a\n2:!parse raw=\"b\n3:c raw=c\n");
	EXPECT_CSV_RAW("a\r\n\"b\r\nc\r\n\r\nf",
				   "1:a raw=a\n2:!parse raw=\"b\n3:c raw=c\n5:f raw=f\n");
	EXPECT_CSV("\"a\rb\rc", "1:!parse\n2:b\n3:c\n");
	/* read again, its lines may hold errors of their own */
	EXPECT_CSV("\"a\nb\n\"\"c\nd", "1:!parse\n2:b\n3:!parse\n4:d\n");
	/* quoted values that close before the one that never does stay in its
	 * reject: only the lines after the line where it opened are read again */
	EXPECT_CSV_RAW("\"x\nfoo,bar\ny\",\"z\nok\n",
				   "1:!parse raw=\"x\\nfoo,bar\\ny\",\"z\n4:ok raw=ok\n");
	EXPECT_CSV_RAW("\"x\r\nfoo\r\ny\",\"z\r\nok\r\n",
				   "1:!parse raw=\"x\\r\\nfoo\\r\\ny\",\"z\n4:ok raw=ok\n");
	EXPECT_CSV("h\n\"a\rb\",\"c\rd\re", "1:h\n2:!parse\n4:d\n5:e\n");
	/* a quote that does close makes one record of its lines, as before */
	EXPECT_CSV("x\n\"a\n\"b\n\"c\n", "1:x\n2:!parse\n4:!parse\n");
	EXPECT_CSV("a\n\"b\"c", "1:a\n2:!parse\n");
	EXPECT_CSV("\"a\"b\n\"c\"d\ne\n", "1:!parse\n2:!parse\n3:e\n");
	EXPECT_CSV_RAW("a,b\"c\r\nd\r\n", "1:!parse raw=a,b\"c\n2:d raw=d\n");

	/* a parse error in a record over the cap: raw is cut to OJ_MAX_RAW_KEEP */
	{
		Str			in = {NULL, 0, 0};
		char	   *filler = malloc(2 * OJ_MAX_RECORD_BYTES);
		char	   *got;

		memset(filler, 'w', 2 * OJ_MAX_RECORD_BYTES);
		str_add(&in, "a,\"b\"c", 6);
		str_add(&in, filler, 2 * OJ_MAX_RECORD_BYTES);
		str_add(&in, "\nz\n", 3);
		got = dump_records(OJ_DIALECT_CSV, in.data, in.len, SIZE_MAX, 0, false);
		CHECK_STR(got, "1:!parse\n2:z\n", "parse error in a 2 MB record");
		free(got);
		{
			MemFile		f = {in.data, in.len, 0, 1000, SIZE_MAX};
			OjReader   *r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, NULL, 0);
			OjRecord	rec;

			CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_R_PARSE &&
				  rec.raw_len == OJ_MAX_RAW_KEEP && memcmp(rec.raw, "a,\"b\"cwww", 9) == 0,
				  "raw of a long parse error record");
			oj_reader_destroy(r);
		}
		free(filler);
		free(in.data);
	}
	/* the message names the problem */
	{
		MemFile		f = {"\"a\"b\nx\"y\n", 9, 0, SIZE_MAX, SIZE_MAX};
		OjReader   *r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, NULL, 0);
		OjRecord	rec;

		CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_R_PARSE && rec.nfields == 0 &&
			  rec.fields == NULL, "parse record");
		CHECK_STR(rec.error_message, "unexpected character after the closing quote of a field",
				  "parse message");
		CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_R_PARSE, "second parse record");
		CHECK_STR(rec.error_message, "unexpected quote inside an unquoted field", "parse message");
		CHECK(oj_reader_next(r, &rec) == 0, "end");
		oj_reader_destroy(r);
	}
}

/* Records over the cap: one too_long record each, reading goes on. */
static void
test_csv_too_long(void)
{
	EXPECT_CSV_MAX("0123456789\n01234567890\nab\n", 10,
				   "1:0123456789 raw=0123456789\n2:!too_long raw=01234567890\n3:ab raw=ab\n");
	EXPECT_CSV_MAX("0123456789\r\n\"0123\n56789\"\nab", 10,
				   "1:0123456789 raw=0123456789\n2:!too_long raw=\"0123\\n56789\"\n4:ab raw=ab\n");
	EXPECT_CSV_MAX("x\n\"a,\nb,\nc,\nd,\ne\"\ny\n", 10,
				   "1:x raw=x\n2:!too_long raw=\"a,\\nb,\\nc,\\nd,\\ne\"\n7:y raw=y\n");
	/*
	 * a parse error within the first max bytes wins, else too_long, however
	 * read; a parse error record keeps at most max bytes as raw
	 */
	EXPECT_CSV_MAX("ab\"cdefghijklm\nx\"\ny\n", 10, "1:!parse raw=ab\"cdefghi\n2:!parse raw=x\"\n3:y raw=y\n");
	EXPECT_CSV_MAX("abcdefghij\"k\nx\"\ny\n", 10, "1:!too_long raw=abcdefghij\"k\\nx\"\n3:y raw=y\n");
	EXPECT_CSV_MAX("\"abcdefghi\"k\ny\n", 10, "1:!too_long raw=\"abcdefghi\"k\n2:y raw=y\n");
	EXPECT_CSV_MAX("\"abcdefg\"klm\ny\n", 10, "1:!parse raw=\"abcdefg\"k\n2:y raw=y\n");
	/* unterminated quote at the start of a long file: one too_long to the end */
	EXPECT_CSV_MAX("\"abc\ndef\nghi\njkl\n", 10, "1:!too_long raw=\"abc\\ndef\\nghi\\njkl\n");

	/* a 3 MB field with the default 1 MiB cap, unquoted and quoted */
	for (int quoted = 0; quoted < 2; quoted++)
	{
		size_t		big = 3 * 1000 * 1000;
		Str			in = {NULL, 0, 0};
		char	   *filler = malloc(big);
		int			newlines = 0;
		char	   *got;
		char		want[200];

		memset(filler, 'y', big);
		if (quoted)
			for (size_t i = 999; i < big; i += 1000)
				filler[i] = '\n', newlines++;
		str_add(&in, "h\nx,", 4);
		if (quoted)
			str_add(&in, "\"", 1);
		str_add(&in, filler, big);
		if (quoted)
			str_add(&in, "\"", 1);
		str_add(&in, "\nnext,row\n", 10);
		got = dump_records(OJ_DIALECT_CSV, in.data, in.len, SIZE_MAX, 0, false);
		snprintf(want, sizeof(want), "1:h\n2:!too_long\n%d:next|row\n", 3 + newlines);
		CHECK_STR(got, want, quoted ? "3 MB quoted field" : "3 MB field");
		free(got);

		/* raw is a bounded prefix; memory stays near the cap */
		{
			CountAlloc	ca = {0, 0, 0};
			OjAllocator alloc = {count_alloc, count_realloc, count_free, &ca};
			MemFile		f = {in.data, in.len, 0, 65536, SIZE_MAX};
			OjReader   *r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, &alloc, 0);
			OjRecord	rec;

			CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_OK, "header");
			CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_R_TOO_LONG &&
				  rec.line_no == 2 && rec.raw_len == OJ_MAX_RAW_KEEP &&
				  memcmp(rec.raw, quoted ? "x,\"yyy" : "x,yyy", quoted ? 6 : 5) == 0,
				  "too_long record and its raw prefix");
			CHECK_STR(rec.error_message, "record is longer than 1048576 bytes", "too_long message");
			CHECK(oj_reader_next(r, &rec) == 1 && rec.nfields == 2, "row after too_long");
			CHECK(oj_reader_next(r, &rec) == 0, "end after too_long");
			CHECK(ca.peak_bytes < 3 * OJ_MAX_RECORD_BYTES + 128 * 1024,
				  "peak memory %zu for a 3 MB field", ca.peak_bytes);
			oj_reader_destroy(r);
			CHECK(ca.live_blocks == 0, "all memory freed (%ld blocks left)", ca.live_blocks);
		}
		free(filler);
		free(in.data);
	}
}

/*
 * Records with more fields than the cap allows (max_record / 16): too_long,
 * never a failure of the read, and the next line is read again.  0.1.1 failed
 * the whole file with "Cannot allocate memory" on 400 KB of commas.
 */
static void
test_too_many_fields(void)
{
	/* max 64 bytes: at most 4 fields */
	EXPECT_CSV_MAX("a,b,c,d\na,b,c,d,e\nx\n", 64, "1:a|b|c|d raw=a,b,c,d\n2:!too_long raw=a,b,c,d,e\n3:x raw=x\n");
	EXPECT_CSV_MAX("\"a\",b,c,d,e\nx\n", 64, "1:!too_long raw=\"a\",b,c,d,e\n2:x raw=x\n");
	EXPECT_CSV_MAX("a,b,c,d,\"e\nf\"\nx\n", 64, "1:!too_long raw=a,b,c,d,\"e\\nf\"\n3:x raw=x\n");
	EXPECT_CSV_MAX("a,b,c,d,e\r\nx\r\n", 64, "1:!too_long raw=a,b,c,d,e\n2:x raw=x\n");
	EXPECT_CSV_MAX("\"a\",b,c,d,e\r\nx\r\n", 64, "1:!too_long raw=\"a\",b,c,d,e\n2:x raw=x\n");
	expect_records(__LINE__, OJ_DIALECT_TSV, "a\tb\tc\td\te\nx\n", 12, 64, true,
				   "1:!too_long raw=a\\tb\\tc\\td\\te\n2:x raw=x\n");

	/* 400,000 commas with the default cap: too_long, in bounded memory */
	for (int quoted = 0; quoted < 2; quoted++)
	{
		size_t		n = 400000;
		Str			in = {NULL, 0, 0};
		char	   *commas = malloc(n);
		CountAlloc	ca = {0, 0, 0};
		OjAllocator alloc = {count_alloc, count_realloc, count_free, &ca};
		MemFile		f;
		OjReader   *r;
		OjRecord	rec;

		memset(commas, ',', n);
		str_add(&in, "h\n", 2);
		if (quoted)
			str_add(&in, "\"q\"", 3);
		str_add(&in, commas, n);
		str_add(&in, "\nnext,row\n", 10);
		f = (MemFile) {in.data, in.len, 0, 65536, SIZE_MAX};
		r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, &alloc, 0);
		CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_OK, "header before commas");
		CHECK(oj_reader_next(r, &rec) == 1 && rec.error == OJ_R_TOO_LONG && rec.line_no == 2 &&
			  rec.raw_len == OJ_MAX_RAW_KEEP, "400,000 commas%s: too_long", quoted ? " after a quote" : "");
		CHECK_STR(rec.error_message, "record has more than 65536 fields", "too many fields message");
		CHECK(oj_reader_next(r, &rec) == 1 && rec.nfields == 2 && rec.line_no == 3, "row after the commas");
		CHECK(oj_reader_next(r, &rec) == 0, "end after the commas");
		CHECK(ca.peak_bytes < 4 * OJ_MAX_RECORD_BYTES, "peak memory %zu for 400,000 commas", ca.peak_bytes);
		oj_reader_destroy(r);
		CHECK(ca.live_blocks == 0, "all memory freed (%ld blocks left)", ca.live_blocks);
		free(commas);
		free(in.data);
	}
}

/* The read function's failure reaches the caller with errno. */
static void
test_read_error(void)
{
	MemFile		f = {"a,b\nc,d\ne,f\n", 12, 0, 4, 8};
	OjReader   *r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, NULL, 0);
	OjRecord	rec;
	int			rc;

	CHECK(oj_reader_next(r, &rec) == 1 && rec.line_no == 1, "first record before the error");
	CHECK(oj_reader_next(r, &rec) == 1 && rec.line_no == 2, "second record before the error");
	errno = 0;
	rc = oj_reader_next(r, &rec);
	CHECK(rc == -1 && errno == EIO, "read error gives -1 with errno (rc %d errno %d)", rc, errno);
	errno = 0;
	rc = oj_reader_next(r, &rec);
	CHECK(rc == -1 && errno == EIO, "read error is sticky");
	CHECK(oj_reader_bytes(r) == 8, "bytes consumed %lld", (long long) oj_reader_bytes(r));
	oj_reader_destroy(r);
}

/* Adobe TSV: comments, blank lines, CRLF, no quoting, long lines. */
static void
test_tsv(void)
{
	EXPECT_TSV("# comment\nDate\tVisitorID\n\n# another\r\nx\ty\r\n", "2:Date|VisitorID\n5:x|y\n");
	EXPECT_TSV("a\"b\t\"c\n", "1:a\"b|\"c\n");
	EXPECT_TSV("a\tb", "1:a|b\n");
	EXPECT_TSV("\t\n\r\n\n", "1:|\n");
	EXPECT_TSV("\xEF\xBB\xBF# c\na\n", "2:a\n");
	EXPECT_TSV("a,b c\n #not a comment\n", "1:a,b c\n2: #not a comment\n");
	EXPECT_TSV("x\ry\tz\n", "1:x\\ry|z\n");
	EXPECT_TSV("#only comments\n#\n", "");
	EXPECT_TSV_RAW("a\tb\r\nc\n", "1:a|b raw=a\\tb\n2:c raw=c\n");
	expect_records(__LINE__, OJ_DIALECT_TSV, "0123456789\n0123456789A\r\nb\n#0123456789ABC\nc", 42, 10,
				   true, "1:0123456789 raw=0123456789\n2:!too_long raw=0123456789A\n3:b raw=b\n5:c raw=c\n");

	/* lines longer than the buffer: too long, and long comments skipped */
	{
		size_t		big = 200 * 1000;
		Str			in = {NULL, 0, 0};
		char	   *filler = malloc(big);
		char	   *got;

		memset(filler, 'z', big);
		str_add(&in, "a\tb\n", 4);
		str_add(&in, filler, big);
		str_add(&in, "\nc\n#", 4);
		str_add(&in, filler, big);
		str_add(&in, "\nd\tz\n", 5);
		str_add(&in, filler, big);
		got = dump_records(OJ_DIALECT_TSV, in.data, in.len, SIZE_MAX, 100 * 1000, false);
		CHECK_STR(got, "1:a|b\n2:!too_long\n3:c\n5:d|z\n6:!too_long\n", "tsv long lines");
		free(got);
		got = dump_records(OJ_DIALECT_TSV, in.data, in.len, SIZE_MAX, 300 * 1000, false);
		CHECK(strncmp(got, "1:a|b\n2:zzz", 11) == 0 && strstr(got, "\n3:c\n5:d|z\n6:zz") != NULL,
			  "tsv lines longer than the buffer: %.40s", got);
		free(got);
		free(filler);
		free(in.data);
	}
}

/* ---------------------------------------------------------------------- */
/* validator tests */

static OjReject last_reject;
static char last_error[512];

/* Validate every row of a file: "<line>:ok" or "<line>:<reason>:<field>", or "layout: <error>". */
static char *
validate_text(OjFormatKind kind, bool header, const char *text, size_t len, const OjNow *now,
			  bool check_utf8)
{
	len = len == SIZE_MAX ? strlen(text) : len;
	CountAlloc	ca = {0, 0, 0};
	OjAllocator alloc = {count_alloc, count_realloc, count_free, &ca};
	MemFile		f = {text, len, 0, SIZE_MAX, SIZE_MAX};
	OjReader   *r = oj_reader_create(&kind->dialect, mem_read, &f, &alloc, 0);
	OjLayout	layout;
	OjRecord	rec;
	OjRow		row;
	Str			s = {NULL, 0, 0};
	bool		ok;

	str_add(&s, "", 0);
	last_error[0] = '\0';
	if (header)
		ok = oj_reader_next(r, &rec) == 1 &&
			oj_layout_init(&layout, kind, &rec, &alloc, last_error, sizeof(last_error));
	else
		ok = oj_layout_init(&layout, kind, NULL, &alloc, last_error, sizeof(last_error));
	if (!ok)
		str_printf(&s, "layout: %s", last_error);
	else
	{
		while (oj_reader_next(r, &rec) == 1)
		{
			if (oj_validate_record(&layout, &rec, now, check_utf8, &row, &last_reject, &alloc))
			{
				oj_layout_accept(&layout, &row);	/* as the loaders do for a row they load */
				str_printf(&s, "%lld:ok\n", (long long) rec.line_no);
			}
			else
				str_printf(&s, "%lld:%s:%s\n", (long long) rec.line_no,
						   oj_reason_name(last_reject.reason),
						   last_reject.field ? last_reject.field : "-");
		}
		oj_layout_free(&layout, &alloc);
	}
	oj_reader_destroy(r);
	if (ca.live_blocks != 0)
		str_printf(&s, "leaked %ld blocks\n", ca.live_blocks);
	return s.data;
}

static const OjNow test_now = {2026, 3, 10, 9, 0, 0};

/* Check a validation case (text is a string literal). */
#define EXPECT_VALID(kind, header, text, want) \
	do { \
		char *got_ = validate_text(kind, header, text, sizeof(text) - 1, &test_now, true); \
		CHECK_STR(got_, want, "validate " #kind " " text); \
		free(got_); \
	} while (0)

#define RMC_HEADER "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
#define RMC_OK "2026-03-02 14:05:11,C1,7,shoes,SKU-1,1,89.95\n"
#define EXPECT_RMC(rows, want) EXPECT_VALID(OJ_FORMAT_RMC, true, RMC_HEADER rows, want)
#define ADOBE_HEADER "Date\tVisitorID\tEvar 1\tProduct\tQuantity\tPrice\tEvent 5\n"
#define EXPECT_ADOBE(rows, want) EXPECT_VALID(OJ_FORMAT_ADOBE, true, ADOBE_HEADER rows, want)

/* Check the message of the last reject. */
#define EXPECT_MESSAGE(want) CHECK_STR(last_reject.message, want, "reject message")

/* Reason names, format names and the plain decimal grammar. */
static void
test_names(void)
{
	static const char *const names[] = {
		"ok", "parse", "columns", "missing", "format", "range", "encoding", "too_long",
		"forbidden", "too_many_days", "unknown_product", "total_mismatch"
	};
	OjFormatKind kind;

	for (int i = 0; i <= OJ_R_TOTAL_MISMATCH; i++)
		CHECK_STR(oj_reason_name((OjReason) i), names[i], "reason name");
	CHECK(oj_format_from_name("rmc", &kind) && kind == OJ_FORMAT_RMC, "format rmc");
	CHECK(oj_format_from_name("adobe", &kind) && kind == OJ_FORMAT_ADOBE, "format adobe");
	CHECK(oj_format_from_name("csv", &kind) && kind == OJ_FORMAT_CSV, "format csv");
	CHECK(!oj_format_from_name("xml", &kind) && !oj_format_from_name("", &kind) &&
		  !oj_format_from_name("RMC ", &kind), "unknown formats");

	CHECK(oj_is_plain_decimal("12.50", 5) && oj_is_plain_decimal("-3", 2) &&
		  oj_is_plain_decimal("+0", 2) && oj_is_plain_decimal(".5", 2) &&
		  oj_is_plain_decimal("5.", 2) && oj_is_plain_decimal("007", 3),
		  "plain decimals");
	CHECK(!oj_is_plain_decimal("", 0) && !oj_is_plain_decimal(".", 1) &&
		  !oj_is_plain_decimal("-", 1) && !oj_is_plain_decimal("1e5", 3) &&
		  !oj_is_plain_decimal(" 1", 2) && !oj_is_plain_decimal("1 ", 2) &&
		  !oj_is_plain_decimal("1.2.3", 5) && !oj_is_plain_decimal("0x10", 4) &&
		  !oj_is_plain_decimal("1,5", 3) && !oj_is_plain_decimal("--1", 3) &&
		  !oj_is_plain_decimal("NaN", 3),
		  "not plain decimals");
}

/* Read a file of the data directory into memory. */
static char *
read_data_file(const char *name, size_t *len)
{
	char		path[1024];
	FILE	   *fp;
	char	   *buf;
	long		n;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
	{
		CHECK(false, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	*len = fread(buf, 1, (size_t) n, fp);
	fclose(fp);
	return buf;
}

/* The sample files validate without rejects; their values land where the spec says. */
static void
test_samples(void)
{
	static const struct
	{
		const char *file;
		OjFormatKind kind;
		const char *want;
	}			samples[] = {
		{"rmc_sample.csv", OJ_FORMAT_RMC, "2:ok\n3:ok\n4:ok\n"},
		{"adobe_transaction_sample.txt", OJ_FORMAT_ADOBE, "4:ok\n5:ok\n"},
		{"adobe_visitor_sample.txt", OJ_FORMAT_ADOBE, "2:ok\n"},
	};

	for (int i = 0; i < 3; i++)
	{
		size_t		len;
		char	   *text = read_data_file(samples[i].file, &len);
		OjNow		now = {2026, 11, 22, 12, 0, 0};
		char	   *got;

		if (text == NULL)
			continue;
		got = validate_text(samples[i].kind, true, text, len, &now, true);
		CHECK_STR(got, samples[i].want, samples[i].file);
		free(got);
		free(text);
	}

	/* the first rmc sample row, field by field */
	{
		size_t		len;
		char	   *text = read_data_file("rmc_sample.csv", &len);
		MemFile		f = {text, len, 0, SIZE_MAX, SIZE_MAX};
		OjReader   *r;
		OjLayout	layout;
		OjRecord	rec;
		OjRow		row;
		OjReject	rj;
		Str			s = {NULL, 0, 0};
		char		err[256];

		if (text == NULL)
			return;
		r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, NULL, 0);
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_layout_init(&layout, OJ_FORMAT_RMC, &rec, &oj_malloc_allocator, err, sizeof(err)),
			  "rmc sample layout");
		CHECK(layout.ncols == 23 && strcmp(layout.cols[22].name, "EventTransaction Attr1") == 0 &&
			  strcmp(layout.cols[22].key, "txn_attr1") == 0 &&
			  strcmp(layout.cols[12].name, "EventName Attr1") == 0 &&
			  layout.cols[0].role == OJ_COL_TIME && layout.cols[4].role == OJ_COL_PRODUCT,
			  "rmc columns");
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &oj_malloc_allocator),
			  "rmc sample row");
		str_printf(&s, "%04d-%02d-%02d %02d:%02d:%02d %.*s %d %.*s %.*s %.*s %.*s",
				   row.year, row.month, row.day, row.hour, row.minute, row.second,
				   (int) row.customer_id.len, row.customer_id.data, row.event_type,
				   (int) row.category.len, row.category.data,
				   (int) row.product.len, row.product.data,
				   (int) row.num1.len, row.num1.data, (int) row.num2.len, row.num2.data);
		for (int i = 0; i < row.ndims; i++)
			str_printf(&s, " d:%s=%.*s", row.dims[i].key, (int) row.dims[i].value.len,
					   row.dims[i].value.data);
		for (int i = 0; i < row.nattrs; i++)
			str_printf(&s, " a:%s=%.*s%s", row.attrs[i].key, (int) row.attrs[i].value.len,
					   row.attrs[i].value.data, row.attrs[i].numeric ? "#" : "");
		CHECK_STR(s.data, "2026-03-02 14:05:11 CUST-1001 7 shoes SKU-RUN-42 1 89.95 "
				  "d:var1=Aarhus d:var2=store-12 a:attr1=blue a:attr2=43 a:txn_attr1=receipt-88121",
				  "rmc row values");
		CHECK(row.has_customer && row.has_event_type && row.has_category && row.has_product &&
			  row.has_num1 && row.has_num2 && !row.has_transaction, "rmc has_ flags");
		oj_layout_free(&layout, &oj_malloc_allocator);
		CHECK(layout.cols == NULL, "layout freed");
		oj_reader_destroy(r);
		free(s.data);
		free(text);
	}
}

/* rmc rows: every check in its order, with exact field names. */
static void
test_rmc_rows(void)
{
	EXPECT_RMC(RMC_OK, "2:ok\n");
	/* customer and visitor IDs are indexed, so bounded: at most 1000 bytes */
	{
		char		text[4096];
		char	   *got;
		int			n;

		for (int len = OJ_MAX_CUSTOMER_ID_BYTES; len <= OJ_MAX_CUSTOMER_ID_BYTES + 1; len++)
		{
			const char *want_rmc = len > OJ_MAX_CUSTOMER_ID_BYTES ? "2:too_long:Customer ID\n" : "2:ok\n";
			const char *want_adobe = len > OJ_MAX_CUSTOMER_ID_BYTES ? "2:too_long:VisitorID\n" : "2:ok\n";

			n = snprintf(text, sizeof(text), RMC_HEADER "2026-03-02 14:05:11,%0*d,7,,P,1,2\n", len, 7);
			got = validate_text(OJ_FORMAT_RMC, true, text, n, &test_now, true);
			CHECK_STR(got, want_rmc, "rmc customer ID length limit");
			free(got);
			n = snprintf(text, sizeof(text), ADOBE_HEADER "03/02/2026\t%0*d\tcall\t\t1\t\t\n", len, 7);
			got = validate_text(OJ_FORMAT_ADOBE, true, text, n, &test_now, true);
			CHECK_STR(got, want_adobe, "adobe visitor ID length limit");
			free(got);
		}
	}
	EXPECT_RMC(RMC_OK "2026-03-02 14:05:11,C1,7,shoes,SKU-1,1\n" RMC_OK
			   "2026-03-02 14:05:11,C1,7,shoes,SKU-1,1,2,3\n",
			   "2:ok\n3:columns:-\n4:ok\n5:columns:-\n");
	EXPECT_MESSAGE("row has 8 fields; the header has 7");

	/* missing: empty or blank mandatory fields; optional Category may be empty */
	EXPECT_RMC(",C1,7,shoes,SKU-1,1,2\n"
			   "2026-03-02 14:05:11, \t,7,shoes,SKU-1,1,2\n"
			   "2026-03-02 14:05:11,C1,,shoes,SKU-1,1,2\n"
			   "2026-03-02 14:05:11,C1,7,,SKU-1,1,2\n"
			   "2026-03-02 14:05:11,C1,7,shoes,,1,2\n"
			   "2026-03-02 14:05:11,C1,7,shoes,SKU-1,,2\n"
			   "2026-03-02 14:05:11,C1,7,shoes,SKU-1,1,\" \"\n",
			   "2:missing:Time Stamp\n3:missing:Customer ID\n4:missing:Event Type\n5:ok\n"
			   "6:missing:Event Name\n7:missing:Num1\n8:missing:Num2\n");
	EXPECT_MESSAGE("missing value in column \"Num2\"");

	/* Time Stamp: shape, then calendar */
	EXPECT_RMC("2026-3-02 14:05:11,C1,7,,P,1,2\n"
			   "2026-03-02T14:05:11,C1,7,,P,1,2\n"
			   "2026-03-02 14:05:11 ,C1,7,,P,1,2\n"
			   "2026-03-02 14:05,C1,7,,P,1,2\n"
			   "2026-03-0x 14:05:11,C1,7,,P,1,2\n"
			   "+026-03-02 14:05:11,C1,7,,P,1,2\n",
			   "2:format:Time Stamp\n3:format:Time Stamp\n4:format:Time Stamp\n"
			   "5:format:Time Stamp\n6:format:Time Stamp\n7:format:Time Stamp\n");
	EXPECT_MESSAGE("invalid timestamp \"+026-03-02 14:05:11\" in column \"Time Stamp\": "
				   "expected YYYY-MM-DD HH:MM:SS");
	EXPECT_RMC("2026-13-01 10:00:00,C1,7,,P,1,2\n", "2:range:Time Stamp\n");
	EXPECT_MESSAGE("invalid timestamp \"2026-13-01 10:00:00\" in column \"Time Stamp\": "
				   "month out of range");
	EXPECT_RMC("2024-02-29 00:00:00,C1,7,,P,1,2\n"
			   "2026-02-29 00:00:00,C1,7,,P,1,2\n"
			   "2000-02-29 23:59:59,C1,7,,P,1,2\n"
			   "1900-02-29 12:00:00,C1,7,,P,1,2\n"
			   "0000-01-01 00:00:00,C1,7,,P,1,2\n"
			   "2026-00-10 00:00:00,C1,7,,P,1,2\n"
			   "2026-04-31 00:00:00,C1,7,,P,1,2\n"
			   "2026-04-00 00:00:00,C1,7,,P,1,2\n"
			   "2026-12-31 24:00:00,C1,7,,P,1,2\n"
			   "2026-12-31 23:60:00,C1,7,,P,1,2\n"
			   "2026-12-31 23:59:60,C1,7,,P,1,2\n"
			   "9999-12-31 23:59:59,C1,7,,P,1,2\n"
			   "0001-01-01 00:00:00,C1,7,,P,1,2\n",
			   "2:ok\n3:range:Time Stamp\n4:ok\n5:range:Time Stamp\n6:range:Time Stamp\n"
			   "7:range:Time Stamp\n8:range:Time Stamp\n9:range:Time Stamp\n10:range:Time Stamp\n"
			   "11:range:Time Stamp\n12:range:Time Stamp\n13:ok\n14:ok\n");
	EXPECT_RMC("2026-02-29 00:00:00,C1,7,,P,1,2\n", "2:range:Time Stamp\n");
	EXPECT_MESSAGE("invalid timestamp \"2026-02-29 00:00:00\" in column \"Time Stamp\": "
				   "day out of range");

	/* rmc has no future-date rule */
	EXPECT_RMC("2099-01-01 00:00:00,C1,7,,P,1,2\n", "2:ok\n");

	/* Event Type */
	EXPECT_RMC("2026-03-02 14:05:11,C1,x,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,7.0,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,-,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,+7,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,-2147483648,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,2147483647,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,2147483648,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,-2147483649,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,00000000000000000007,,P,1,2\n"
			   "2026-03-02 14:05:11,C1,99999999999999999999999,,P,1,2\n",
			   "2:format:Event Type\n3:format:Event Type\n4:format:Event Type\n5:ok\n6:ok\n7:ok\n"
			   "8:range:Event Type\n9:range:Event Type\n10:ok\n11:range:Event Type\n");
	EXPECT_MESSAGE("integer \"99999999999999999999999\" in column \"Event Type\" is out of range");

	/* Num1 / Num2 */
	EXPECT_RMC("2026-03-02 14:05:11,C1,7,,P,abc,2\n"
			   "2026-03-02 14:05:11,C1,7,,P,1,NaN\n"
			   "2026-03-02 14:05:11,C1,7,,P,-Infinity,2\n"
			   "2026-03-02 14:05:11,C1,7,,P,1,+inf\n"
			   "2026-03-02 14:05:11,C1,7,,P,1e5,2\n"
			   "2026-03-02 14:05:11,C1,7,,P,.5,5.\n"
			   "2026-03-02 14:05:11,C1,7,,P,.,2\n"
			   "2026-03-02 14:05:11,C1,7,,P,1, 2\n"
			   "2026-03-02 14:05:11,C1,7,,P,-0.000,+12.50\n"
			   "2026-03-02 14:05:11,C1,7,,P,infinite,2\n",
			   "2:format:Num1\n3:range:Num2\n4:range:Num1\n5:range:Num2\n6:format:Num1\n7:ok\n"
			   "8:format:Num1\n9:format:Num2\n10:ok\n11:format:Num1\n");
	EXPECT_MESSAGE("invalid number \"infinite\" in column \"Num1\": "
				   "expected a plain decimal number such as 12.50");
	EXPECT_RMC("2026-03-02 14:05:11,C1,7,,P,1,nan\n", "2:range:Num2\n");
	EXPECT_MESSAGE("invalid number \"nan\" in column \"Num2\": not a finite number");

	/* more than OJ_MAX_NUMBER_DIGITS digits is out of range */
	{
		Str			t = {NULL, 0, 0};
		char	   *got;

		str_add(&t, RMC_HEADER "2026-03-02 14:05:11,C1,7,,P,", sizeof(RMC_HEADER) - 1 + 28);
		for (int i = 0; i < OJ_MAX_NUMBER_DIGITS; i++)
			str_add(&t, "9", 1);
		str_add(&t, ",0.", 3);
		for (int i = 0; i < OJ_MAX_NUMBER_DIGITS; i++)
			str_add(&t, "1", 1);
		str_add(&t, "\n", 1);
		got = validate_text(OJ_FORMAT_RMC, true, t.data, t.len, NULL, true);
		CHECK_STR(got, "2:range:Num2\n", "1001 digits");
		free(got);
		CHECK(strstr(last_reject.message, "\"0.11111111111111111111111111111111111111\"...") != NULL &&
			  strstr(last_reject.message, "more than 1000 digits") != NULL,
			  "long values are cut in messages: %s", last_reject.message);
		t.len -= 2;				/* 1000 digits: fine */
		str_add(&t, "\n", 1);
		got = validate_text(OJ_FORMAT_RMC, true, t.data, t.len, NULL, true);
		CHECK_STR(got, "2:ok\n", "1000 digits");
		free(got);
		free(t.data);
	}
}

/* Encoding checks: NUL always, UTF-8 when asked, field by field in order. */
static void
test_encoding(void)
{
	static const char text[] = RMC_HEADER
		"2026-03-02 14:05:11,C1,7,caf\xe9,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,a\0b,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,\xc0\xaf,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,\xed\xa0\x80,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,\xf4\x90\x80\x80,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,\xe2\x82,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,\xf0\x9f\x98\x80 caf\xc3\xa9 \xe2\x82\xac,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,abcdefgh\x80,P,1,2\n"
		"2026-03-02 14:05:11,C1,7,\xe9,P,x,2\n"
		"x,C1,7,\xe9,P,1,2\n";
	char	   *got;

	got = validate_text(OJ_FORMAT_RMC, true, text, sizeof(text) - 1, NULL, true);
	CHECK_STR(got, "2:encoding:Category\n3:encoding:Category\n4:encoding:Category\n"
			  "5:encoding:Category\n6:encoding:Category\n7:encoding:Category\n8:ok\n"
			  "9:encoding:Category\n10:encoding:Category\n11:format:Time Stamp\n",
			  "utf-8 checks");
	free(got);
	got = validate_text(OJ_FORMAT_RMC, true, text, sizeof(text) - 1, NULL, false);
	CHECK_STR(got, "2:ok\n3:encoding:Category\n4:ok\n5:ok\n6:ok\n7:ok\n8:ok\n9:ok\n"
			  "10:format:Num1\n11:format:Time Stamp\n",
			  "without utf-8 checks only NUL");
	free(got);

	EXPECT_RMC("2026-03-02 14:05:11,C1,7,\"caf\xe9\n\",P,1,2\n", "2:encoding:Category\n");
	EXPECT_MESSAGE("value \"caf\\xe9\\x0a\" in column \"Category\" is not valid utf-8");

	/* messages never cut a character and are valid UTF-8 */
	EXPECT_RMC("2026-03-02 14:05:11,C1,7,,P,\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9,2\n",
			   "2:format:Num1\n");
	EXPECT_MESSAGE("invalid number \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"... in column \"Num1\": "
				   "expected a plain decimal number such as 12.50");

	EXPECT_RMC("2026-03-02 14:05:11,C1,7,,P,a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9,2\n",
			   "2:format:Num1\n");
	EXPECT_MESSAGE("invalid number \"a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				   "\xc3\xa9\xc3\xa9\xc3\xa9\"... in column \"Num1\": "
				   "expected a plain decimal number such as 12.50");

	/* every column has its name: Var, EventName and EventTransaction attributes */
	EXPECT_VALID(OJ_FORMAT_RMC, true,
				 "h1,h2,h3,h4,h5,h6,h7,h8,h9,h10,h11,h12,h13,h14,h15,h16,h17,h18,h19,h20,h21,h22,h23,h24\n"
				 "2026-03-02 14:05:11,C1,7,,P,1,2,,,\xff,,,,,,,,,,,,,,\n"
				 "2026-03-02 14:05:11,C1,7,,P,1,2,,,,,,,,,,,,,,,\xff,,\n"
				 "2026-03-02 14:05:11,C1,7,,P,1,2,,,,,,,,,,,,,,,,,\xff\n",
				 "2:encoding:Var 3\n3:encoding:EventName Attr10\n4:encoding:EventTransaction Attr2\n");
}

/* Reader errors become rejects; rmc headers; rmc without header. */
static void
test_rmc_layouts(void)
{
	EXPECT_RMC("2026-03-02 14:05:11,\"C\"1,7,,P,1,2\n" RMC_OK, "2:parse:-\n3:ok\n");
	EXPECT_MESSAGE("unexpected character after the closing quote of a field");
	EXPECT_RMC(RMC_OK "2026-03-02 14:05:11,\"C1,7,,P,1,2\n", "2:ok\n3:parse:-\n");
	EXPECT_MESSAGE("unterminated quoted field at end of file");

	EXPECT_VALID(OJ_FORMAT_RMC, true, "a,b,c,d,e\n" RMC_OK,
				 "layout: header has 5 columns; the rmc format needs at least 7");
	EXPECT_VALID(OJ_FORMAT_RMC, true, "\"a\"b,c,d,e,f,g,h\n" RMC_OK,
				 "layout: header line is not valid: "
				 "unexpected character after the closing quote of a field");
	/* header names are not checked: columns are by position */
	EXPECT_VALID(OJ_FORMAT_RMC, true, "1,2,3,4,5,6,7\n" RMC_OK, "2:ok\n");

	/* no header: at least 7 fields, any width, keys built as rows get wider */
	{
		Str			text = {NULL, 0, 0};
		MemFile		f = {NULL, 0, 0, SIZE_MAX, SIZE_MAX};
		CountAlloc	ca = {0, 0, 0};
		OjAllocator alloc = {count_alloc, count_realloc, count_free, &ca};
		OjReader   *r;
		OjLayout	layout;
		OjRecord	rec;
		OjRow		row;
		OjReject	rj;
		char		err[256];

		str_printf(&text, "2026-03-02 14:05:11,C1,7,,P,1,2\n"
				   "2026-03-02 14:05:11,C1,7,,P,1\n"
				   "2026-03-02 14:05:11,C1,7,,P,1,2,v1,,,,,a1,,,,,,,,,,t1,,,,,,,t8\n");
		for (int k = 0; k < 2; k++)
		{
			/* 60 fields, the last one (EventTransaction Attr38) set */
			str_printf(&text, "2026-03-02 14:05:11,C1,7,,P,1,2");
			for (int i = 8; i < 60; i++)
				str_add(&text, ",", 1);
			str_printf(&text, ",%s\n", k == 0 ? "t38" : "\xff");
		}
		f.data = text.data;
		f.len = text.len;
		r = oj_reader_create(OJ_DIALECT_CSV, mem_read, &f, &alloc, 0);
		CHECK(oj_layout_init(&layout, OJ_FORMAT_RMC, NULL, &alloc, err, sizeof(err)) &&
			  layout.ncols == 0, "rmc layout without header");
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &alloc), "7 fields");
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  !oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &alloc) &&
			  rj.reason == OJ_R_COLUMNS, "6 fields");
		CHECK_STR(rj.message, "row has 6 fields; the rmc format needs at least 7", "columns message");
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &alloc) &&
			  row.ndims == 1 && strcmp(row.dims[0].key, "var1") == 0 &&
			  row.nattrs == 3 && strcmp(row.attrs[0].key, "attr1") == 0 &&
			  strcmp(row.attrs[1].key, "txn_attr1") == 0 &&
			  strcmp(row.attrs[2].key, "txn_attr8") == 0 &&
			  row.attrs[2].value.len == 2 && !row.attrs[2].numeric,
			  "30 fields without header");
		CHECK(oj_reader_next(r, &rec) == 1 && rec.nfields == 60 &&
			  oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &alloc) &&
			  row.nattrs == 1 && strcmp(row.attrs[0].key, "txn_attr38") == 0 &&
			  strcmp(layout.cols[59].name, "EventTransaction Attr38") == 0,
			  "60 fields without header: the layout grows");
		CHECK(oj_reader_next(r, &rec) == 1 && rec.nfields == 60 &&
			  !oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &alloc) &&
			  rj.reason == OJ_R_ENCODING && strcmp(rj.field, "EventTransaction Attr38") == 0,
			  "encoding in a generated column");
		oj_layout_free(&layout, &alloc);
		oj_reader_destroy(r);
		free(text.data);
		CHECK(ca.live_blocks == 0, "rmc without header frees everything");
	}

	/* a record the reader found too long is a too_long reject */
	{
		OjLayout	layout;
		OjRecord	rec = {7, 0, NULL, "xyz", 3, OJ_R_TOO_LONG, "record is longer than 10 bytes"};
		OjRow		row;
		OjReject	rj;
		char		err[256];

		CHECK(oj_layout_init(&layout, OJ_FORMAT_RMC, NULL, &oj_malloc_allocator, err, sizeof(err)),
			  "layout");
		CHECK(!oj_validate_record(&layout, &rec, NULL, true, &row, &rj, &oj_malloc_allocator) &&
			  rj.reason == OJ_R_TOO_LONG && rj.field == NULL &&
			  strcmp(rj.message, "record is longer than 10 bytes") == 0, "too_long reject");
		oj_layout_free(&layout, &oj_malloc_allocator);
	}
}

/* adobe headers: names, order, keys, duplicates. */
static void
test_adobe_headers(void)
{
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\tFoo\n", "layout: unknown column \"Foo\" in header; "
				 "valid columns are Date, transactionID, VisitorID, Evar 1 to Evar 250, Product, Category, "
				 "Tracking Code, Marketing Channel, Marketing Channel Detail, Zip, State, Event 1 to "
				 "Event 1000, Orders, Quantity, Price, Cart Adds, Cart Removes, Cart Views, Cart Opens, "
				 "Checkouts");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\tEvar 251\n",
				 "layout: unknown column \"Evar 251\" in header; valid columns are Date, transactionID, "
				 "VisitorID, Evar 1 to Evar 250, Product, Category, Tracking Code, Marketing Channel, "
				 "Marketing Channel Detail, Zip, State, Event 1 to Event 1000, Orders, Quantity, Price, "
				 "Cart Adds, Cart Removes, Cart Views, Cart Opens, Checkouts");
	{
		static const char *const bad[] = {
			"Evar 0", "Evar 01", "Evar1", "Evar  1", "Evar 1 ", "Event 1001", "Event 0",
			"Event -1", "Events 1", "Tracking  Code", "MarketingChannel", "Date ", "transaction id",
			"", "Evar 1x", "Evar 99999"
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			char		text[128];
			char	   *got;

			snprintf(text, sizeof(text), "Date\tVisitorID\t%s\n", bad[i]);
			got = validate_text(OJ_FORMAT_ADOBE, true, text, strlen(text), NULL, true);
			CHECK(strncmp(got, "layout: unknown column \"", 24) == 0, "\"%s\" is unknown: %s", bad[i], got);
			free(got);
		}
	}
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "VisitorID\tDate\tEvar 1\n",
				 "layout: first column must be \"Date\", not \"VisitorID\"");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, " Date\tVisitorID\tEvar 1\n",
				 "layout: first column must be \"Date\", not \" Date\"");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\ttransactionID\tEvar 1\n",
				 "layout: header has both \"transactionID\" and \"VisitorID\"; a file has one of them");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tEvar 1\tOrders\n",
				 "layout: header has neither \"transactionID\" nor \"VisitorID\"; a file needs one of them");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\tEvar 1\tOrders\tEVAR 1\n",
				 "layout: column \"EVAR 1\" appears twice in header");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\tdate\n",
				 "layout: column \"date\" appears twice in header");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\tvisitorid\n",
				 "layout: column \"visitorid\" appears twice in header");
	EXPECT_VALID(OJ_FORMAT_ADOBE, false, "", "layout: file has no header line");

	/* case-insensitive; every known name; reject field names as written */
	{
		static const char text[] =
			"DATE\ttransactionid\tevar 250\tPRODUCT\tcategory\ttracking code\tMarketing channel\t"
			"marketing channel detail\tzip\tSTATE\tevent 1000\torders\tquantity\tprice\tcart adds\t"
			"cart removes\tcart views\tcart opens\tcheckouts\tEvar 7\n"
			"03/02/2026\tT1\te250\tP1\tC1\ttc\tmc\tmcd\t8000\tDK\t5\t1\t2\t3.5\t4\t5\t6\t7\t8\te7\n"
			"03/02/2026\tT1\te250\tP1\tC1\ttc\tmc\tmcd\t8000\tDK\t5\t1\t2\t3.5\t4\t5\t6\t7\tx\te7\n";
		MemFile		f = {text, sizeof(text) - 1, 0, SIZE_MAX, SIZE_MAX};
		OjReader   *r = oj_reader_create(OJ_DIALECT_TSV, mem_read, &f, NULL, 0);
		OjLayout	layout;
		OjRecord	rec;
		OjRow		row;
		OjReject	rj;
		Str			s = {NULL, 0, 0};
		char		err[512];

		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_layout_init(&layout, OJ_FORMAT_ADOBE, &rec, &oj_malloc_allocator, err, sizeof(err)),
			  "all adobe names: %s", err);
		CHECK(layout.ncols == 20 && layout.key_is_transaction &&
			  layout.cols[1].role == OJ_COL_TRANSACTION && layout.cols[1].required &&
			  strcmp(layout.cols[2].name, "evar 250") == 0 && strcmp(layout.cols[2].key, "evar250") == 0 &&
			  layout.cols[12].role == OJ_COL_NUM1 && layout.cols[13].role == OJ_COL_NUM2 &&
			  layout.cols[10].role == OJ_COL_METRIC && strcmp(layout.cols[10].key, "event1000") == 0,
			  "adobe columns");
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_validate_record(&layout, &rec, &test_now, true, &row, &rj, &oj_malloc_allocator),
			  "row with every column: %s", rj.message);
		str_printf(&s, "%04d-%02d-%02d %02d:%02d:%02d %.*s %.*s %.*s %.*s %.*s", row.year, row.month,
				   row.day, row.hour, row.minute, row.second,
				   (int) row.transaction_id.len, row.transaction_id.data,
				   (int) row.product.len, row.product.data, (int) row.category.len, row.category.data,
				   (int) row.num1.len, row.num1.data, (int) row.num2.len, row.num2.data);
		for (int i = 0; i < row.ndims; i++)
			str_printf(&s, " d:%s=%.*s", row.dims[i].key, (int) row.dims[i].value.len,
					   row.dims[i].value.data);
		for (int i = 0; i < row.nattrs; i++)
			str_printf(&s, " a:%s=%.*s%s", row.attrs[i].key, (int) row.attrs[i].value.len,
					   row.attrs[i].value.data, row.attrs[i].numeric ? "#" : "");
		CHECK_STR(s.data, "2026-03-02 12:00:00 T1 P1 C1 2 3.5 d:evar250=e250 d:tracking_code=tc "
				  "d:marketing_channel=mc d:marketing_channel_detail=mcd d:zip=8000 d:state=DK d:evar7=e7 "
				  "a:event1000=5# a:orders=1# a:cart_adds=4# a:cart_removes=5# a:cart_views=6# "
				  "a:cart_opens=7# a:checkouts=8#", "adobe row values");
		CHECK(row.has_transaction && !row.has_customer && row.has_product && row.has_category &&
			  row.has_num1 && row.has_num2 && !row.has_event_type, "adobe has_ flags");
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  !oj_validate_record(&layout, &rec, &test_now, true, &row, &rj, &oj_malloc_allocator) &&
			  rj.reason == OJ_R_FORMAT && strcmp(rj.field, "checkouts") == 0,
			  "reject field name as written in the header");
		oj_layout_free(&layout, &oj_malloc_allocator);
		oj_reader_destroy(r);
		free(s.data);
	}
}

/* adobe rows: every check in its order. */
static void
test_adobe_rows(void)
{
	EXPECT_ADOBE("03/02/2026\tV1\te1\tP1\t1\t9.95\t2\n", "2:ok\n");
	EXPECT_ADOBE("03/02/2026\tV1\te1\tP1\t1\t9.95\n03/02/2026\tV1\te1\tP1\t1\t9.95\t2\t\n",
				 "2:columns:-\n3:columns:-\n");
	EXPECT_MESSAGE("row has 8 fields; the header has 7");
	/* encoding is checked on all fields first */
	EXPECT_ADOBE("xx\tV1\te1\tP1\t1\t9.95\t\xff\n", "2:encoding:Event 5\n");
	EXPECT_ADOBE("03/02/2026\t\tP1\tP1\t1\t9.95\t2\n"
				 "\tV1\te1\tP1\t1\t9.95\t2\n"
				 "\t \tx;y\tP1\tx\t9.95\t2\n",
				 "2:missing:VisitorID\n3:missing:Date\n4:missing:VisitorID\n");
	EXPECT_ADOBE("3/2/2026\tV1\te1\tP1\t1\t9.95\t2\n"
				 "2026-03-02\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/02/2026/10/00\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03-02-2026\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/02/2026 10:00:00\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/02/2026/10/00/0x\tV1\te1\tP1\t1\t9.95\t2\n",
				 "2:format:Date\n3:format:Date\n4:format:Date\n5:format:Date\n6:format:Date\n"
				 "7:format:Date\n");
	EXPECT_MESSAGE("invalid date \"03/02/2026/10/00/0x\" in column \"Date\": "
				   "expected MM/DD/YYYY or MM/DD/YYYY/HH/mm/SS");
	EXPECT_ADOBE("02/29/2024\tV1\te1\tP1\t1\t9.95\t2\n"
				 "02/29/2025\tV1\te1\tP1\t1\t9.95\t2\n"
				 "13/01/2025\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/02/2025/24/00/00\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/02/2025/23/59/60\tV1\te1\tP1\t1\t9.95\t2\n"
				 "00/10/2025\tV1\te1\tP1\t1\t9.95\t2\n"
				 "01/01/0000\tV1\te1\tP1\t1\t9.95\t2\n",
				 "2:ok\n3:range:Date\n4:range:Date\n5:range:Date\n6:range:Date\n7:range:Date\n"
				 "8:range:Date\n");
	EXPECT_ADOBE("02/29/2025\tV1\te1\tP1\t1\t9.95\t2\n", "2:range:Date\n");
	EXPECT_MESSAGE("invalid date \"02/29/2025\" in column \"Date\": day out of range");

	/* the future, with now = 2026-03-10 09:00:00 */
	EXPECT_ADOBE("03/10/2026\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/11/2026\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/10/2026/09/00/00\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/10/2026/09/00/01\tV1\te1\tP1\t1\t9.95\t2\n"
				 "03/09/2026/23/59/59\tV1\te1\tP1\t1\t9.95\t2\n"
				 "01/01/2027\tV1\te1\tP1\t1\t9.95\t2\n"
				 "12/31/2025/23/59/59\tV1\te1\tP1\t1\t9.95\t2\n",
				 "2:ok\n3:range:Date\n4:ok\n5:range:Date\n6:ok\n7:range:Date\n8:ok\n");
	EXPECT_ADOBE("03/11/2026\tV1\te1\tP1\t1\t9.95\t2\n", "2:range:Date\n");
	EXPECT_MESSAGE("date \"03/11/2026\" in column \"Date\" is in the future");

	/* transaction IDs at most 100 bytes */
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\ttransactionID\tEvar 1\tOrders\n"
				 "03/02/2026\t0123456789012345678901234567890123456789012345678901234567890123456789"
				 "012345678901234567890123456789\te1\t1\n"
				 "03/02/2026\t0123456789012345678901234567890123456789012345678901234567890123456789"
				 "0123456789012345678901234567890\te1\t1\n"
				 "03/02/2026\t\te1\t1\n",
				 "2:ok\n3:too_long:transactionID\n4:missing:transactionID\n");

	/* ';' in a dimension, Product and Category included; not in metrics' format check order */
	EXPECT_ADOBE("03/02/2026\tV1\ta;b\tP1\t1\t9.95\t2\n"
				 "03/02/2026\tV1\te1\tP;1\t1\t9.95\t2\n"
				 "03/02/2026\tV1\te1\tP1\tx\t9.95\t2;\n"
				 "03/02/2026\tV;1\te1\tP1\t1\t9.95\t2\n",
				 "2:forbidden:Evar 1\n3:forbidden:Product\n4:format:Quantity\n5:ok\n");
	EXPECT_VALID(OJ_FORMAT_ADOBE, true, "Date\tVisitorID\tCategory\tOrders\n03/02/2026\tV1\tc;\t1\n",
				 "2:forbidden:Category\n");
	EXPECT_MESSAGE("value \"c;\" in column \"Category\" contains \";\"");

	/* metrics */
	EXPECT_ADOBE("03/02/2026\tV1\te1\tP1\t1\tx\t2\n"
				 "03/02/2026\tV1\te1\tP1\t1\t9.95\tNaN\n"
				 "03/02/2026\tV1\te1\tP1\t\t\t-1.5\n"
				 "03/02/2026\tV1\te1\tP1\t1,5\t\t\n",
				 "2:format:Price\n3:range:Event 5\n4:ok\n5:format:Quantity\n");
	EXPECT_MESSAGE("invalid number \"1,5\" in column \"Quantity\": "
				   "expected a plain decimal number such as 12.50");

	/* at least one dimension and one metric */
	EXPECT_ADOBE("03/02/2026\tV1\t\t\t1\t9.95\t2\n"
				 "03/02/2026\tV1\te1\t\t\t\t\n"
				 "03/02/2026\tV1\t \t\t\t\t\n"
				 "03/02/2026\tV1\t\tP1\t\t\t0\n",
				 "2:missing:dimension\n3:missing:metric\n4:missing:dimension\n5:ok\n");
	EXPECT_ADOBE("03/02/2026\tV1\t\t\t1\t9.95\t2\n", "2:missing:dimension\n");
	EXPECT_MESSAGE("row has no dimension value");
	EXPECT_ADOBE("03/02/2026\tV1\te1\t\t\t\t\n", "2:missing:metric\n");
	EXPECT_MESSAGE("row has no metric value");

	/* rows over 4096 bytes */
	{
		Str			t = {NULL, 0, 0};
		char		pad[4096];
		char	   *got;

		memset(pad, 'e', sizeof(pad));
		str_add(&t, ADOBE_HEADER "03/02/2026\tV1\t", sizeof(ADOBE_HEADER) - 1 + 14);
		str_add(&t, pad, 4096 - 14 - 9);
		str_add(&t, "\tP1\t1\t2\t3\n", 10);
		str_add(&t, "03/02/2026\tV1\t", 14);
		str_add(&t, pad, 4097 - 14 - 9);
		str_add(&t, "\tP1\t1\t2\t3\n", 10);
		got = validate_text(OJ_FORMAT_ADOBE, true, t.data, t.len, &test_now, true);
		CHECK_STR(got, "2:ok\n3:too_long:-\n", "adobe rows of 4096 and 4097 bytes");
		EXPECT_MESSAGE("row is longer than 4096 bytes");
		free(got);
		free(t.data);
	}
}

/* At most 90 distinct days per file; rows of known days still count. */
static void
test_adobe_days(void)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	Str			t = {NULL, 0, 0};
	Str			want = {NULL, 0, 0};
	int			month = 1;
	int			day = 1;
	char	   *got;

	str_add(&t, ADOBE_HEADER, sizeof(ADOBE_HEADER) - 1);
	for (int i = 0; i < 91; i++)
	{
		str_printf(&t, "%02d/%02d/2025\tV1\te1\tP1\t1\t9.95\t2\n", month, day);
		str_printf(&want, "%d:%s\n", i + 2, i < 90 ? "ok" : "too_many_days:Date");
		if (++day > mdays[month - 1])
			month++, day = 1;
	}
	str_printf(&t, "01/01/2025/23/00/00\tV1\te1\tP1\t1\t9.95\t2\n%02d/%02d/2025\tV1\te1\tP1\t1\t9.95\t2\n"
			   "03/31/2025\tV1\te1\tP1\t1\t9.95\t2\n", month, day);
	str_printf(&want, "93:ok\n94:too_many_days:Date\n95:ok\n");
	got = validate_text(OJ_FORMAT_ADOBE, true, t.data, t.len, &test_now, true);
	CHECK_STR(got, want.data, "90-day rule");
	CHECK(strstr(last_reject.message, "a file may span at most 90 days") != NULL,
		  "too_many_days message: %s", last_reject.message);
	free(got);

	/* rejected rows take no day: 89 days, a bad row of a new day, then day 90 */
	t.len = 0;
	want.len = 0;
	month = day = 1;
	str_add(&t, ADOBE_HEADER, sizeof(ADOBE_HEADER) - 1);
	for (int i = 0; i < 89; i++)
	{
		str_printf(&t, "%02d/%02d/2025\tV1\te1\tP1\t1\t9.95\t2\n", month, day);
		str_printf(&want, "%d:ok\n", i + 2);
		if (++day > mdays[month - 1])
			month++, day = 1;
	}
	str_printf(&t, "12/24/2025\tV1\te1\tP1\t1\t9.95\tx\n12/25/2025\tV1\te1\tP1\t1\t9.95\t2\n"
			   "12/24/2025\tV1\te1\tP1\t1\t9.95\t2\n");
	str_printf(&want, "91:format:Event 5\n92:ok\n93:too_many_days:Date\n");
	got = validate_text(OJ_FORMAT_ADOBE, true, t.data, t.len, &test_now, true);
	CHECK_STR(got, want.data, "rejected rows take no day");
	free(got);

	/*
	 * A row valid here but rejected later (unknown_product, by the database)
	 * is never accepted: 90 such days, then a loadable row of a 91st day.
	 */
	{
		MemFile		f;
		OjReader   *r;
		OjRecord	rec;
		OjRow		row;
		OjReject	rj;
		OjLayout	layout;
		char		err[256];
		int			accepted_ok = 0;

		t.len = 0;
		month = day = 1;
		str_add(&t, ADOBE_HEADER, sizeof(ADOBE_HEADER) - 1);
		for (int i = 0; i < 91; i++)
		{
			str_printf(&t, "%02d/%02d/2025\tV1\te1\tP1\t1\t9.95\t2\n", month, day);
			if (++day > mdays[month - 1])
				month++, day = 1;
		}
		f = (MemFile) {t.data, t.len, 0, SIZE_MAX, SIZE_MAX};
		r = oj_reader_create(OJ_DIALECT_TSV, mem_read, &f, NULL, 0);
		CHECK(oj_reader_next(r, &rec) == 1 &&
			  oj_layout_init(&layout, OJ_FORMAT_ADOBE, &rec, &oj_malloc_allocator, err, sizeof(err)),
			  "adobe header");
		for (int i = 0; i < 91 && oj_reader_next(r, &rec) == 1; i++)
		{
			bool		ok = oj_validate_record(&layout, &rec, &test_now, true, &row, &rj,
											   &oj_malloc_allocator);

			accepted_ok += ok;
			if (ok && i == 90)
				oj_layout_accept(&layout, &row);
		}
		CHECK(accepted_ok == 91 && layout.ndays == 1,
			  "days of rows rejected after validation do not count (%d ok, %d days)",
			  accepted_ok, layout.ndays);
		oj_layout_free(&layout, &oj_malloc_allocator);
		oj_reader_destroy(r);
	}
	free(t.data);
	free(want.data);
}

/* Run every test; exit non-zero on any failure. */
/* The one description of each format's columns: the inbox's table order. */
static void
test_format_columns(void)
{
	char		buf[64];
	int			n = oj_format_ncolumns(OJ_FORMAT_ADOBE, 0);

	CHECK(oj_format_ncolumns(OJ_FORMAT_RMC, 0) == 22, "rmc: 22 named columns");
	CHECK(oj_format_ncolumns(OJ_FORMAT_RMC, 3) == 25, "rmc: plus transaction attributes");
	CHECK_STR(oj_format_column(OJ_FORMAT_RMC, 0, buf, sizeof(buf)), "Time Stamp", "rmc 0");
	CHECK_STR(oj_format_column(OJ_FORMAT_RMC, 21, buf, sizeof(buf)), "EventName Attr10", "rmc 21");
	CHECK_STR(oj_format_column(OJ_FORMAT_RMC, 24, buf, sizeof(buf)), "EventTransaction Attr3", "rmc 24");
	CHECK(n == 3 + OJ_ADOBE_MAX_EVAR + 7 + OJ_ADOBE_MAX_EVENT + 8, "adobe: %d columns", n);
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 2, buf, sizeof(buf)), "VisitorID", "adobe 2");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 3, buf, sizeof(buf)), "Evar 1", "adobe 3");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 252, buf, sizeof(buf)), "Evar 250", "adobe 252");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 253, buf, sizeof(buf)), "Product", "adobe 253");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 259, buf, sizeof(buf)), "State", "adobe 259");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 260, buf, sizeof(buf)), "Event 1", "adobe 260");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, 1260, buf, sizeof(buf)), "Orders", "adobe 1260");
	CHECK_STR(oj_format_column(OJ_FORMAT_ADOBE, n - 1, buf, sizeof(buf)), "Checkouts", "adobe last");
	CHECK(oj_format_column(OJ_FORMAT_ADOBE, n, buf, sizeof(buf)) == NULL, "adobe past the end");
}

/* A bump allocator for descriptors the tests keep to the end (no leak to report). */
static char arena_buf[1 << 20];
static size_t arena_used;

static void *
arena_alloc(void *ctx, size_t size)
{
	void	   *p = arena_buf + arena_used;

	(void) ctx;
	size = (size + 15) & ~(size_t) 15;
	if (arena_used + size > sizeof(arena_buf))
		return NULL;
	arena_used += size;
	return p;
}

static void
arena_free(void *ctx, void *p)
{
	(void) ctx;
	(void) p;
}

static const OjAllocator arena = {arena_alloc, NULL, arena_free, NULL};

#define OPT(nm, p0, p1, ty, tx) \
	((OjOption) {nm, {p0, p1}, (p1) ? 2 : (p0) ? 1 : 0, -1, ty, tx})

/* A csv descriptor from options; NULL with last_error set when refused. */
static OjFormatKind
csv_kind(const OjOption *o, int n)
{
	OjFormatKind k = NULL;
	OjOptionError err;

	if (!oj_format_configure(OJ_FORMAT_CSV, o, n, &arena, &k, &err))
	{
		snprintf(last_error, sizeof(last_error), "%.100s|%.200s|%.200s", err.option,
				 err.message[0] ? err.message : err.value, err.detail);
		return NULL;
	}
	return k;
}

/* Format csv: options, header mapping, positions, decimal commas, times. */
static void
test_csv_format(void)
{
	OjOption	dk[] = {
		OPT("delimiter", NULL, NULL, OJ_OPT_STRING, ";"),
		OPT("decimal", NULL, NULL, OJ_OPT_STRING, ","),
		OPT("time_format", NULL, NULL, OJ_OPT_STRING, "DD-MM-YYYY HH24:MI"),
		OPT("columns", "customer_id", NULL, OJ_OPT_STRING, "Kunde"),
		OPT("columns", "event_time", NULL, OJ_OPT_STRING, "Dato"),
		OPT("columns", "num2", NULL, OJ_OPT_STRING, "Bel"),
		OPT("columns", "dims", "campaign", OJ_OPT_STRING, "Kampagne"),
	};
	OjOption	iso[] = {
		OPT("columns", "transaction_id", NULL, OJ_OPT_STRING, "id"),
		OPT("columns", "customer_id", NULL, OJ_OPT_STRING, "cust"),
		OPT("columns", "event_time", NULL, OJ_OPT_STRING, "t"),
	};
	OjOption	pos[] = {
		OPT("header", NULL, NULL, OJ_OPT_BOOL, "false"),
		OPT("unmapped", NULL, NULL, OJ_OPT_STRING, "attrs"),
		OPT("columns", "event_time", NULL, OJ_OPT_NUMBER, "2"),
		OPT("columns", "customer_id", NULL, OJ_OPT_NUMBER, "1"),
	};
	OjOption	bad[] = {
		OPT("columns", "event_time", NULL, OJ_OPT_STRING, "t"),
		OPT("columns", "customer_id", NULL, OJ_OPT_STRING, "t"),
	};
	OjFormatKind k;
	char	   *got;
	OjRow		row;
	OjField		f;

	k = csv_kind(dk, 7);
	CHECK(k != NULL && k->dialect.delimiter == ';' && k->decimal == ',', "csv dk: %s", last_error);
	got = validate_text(k, true, "Bel;Kunde;Dato;Kampagne;Note\n"
						"1,5;K1;07-03-2026 14:30;spring;x\n"
						"1.234,5;K2;07-03-2026 14:30;;\n"
						"2;K3;7-3-2026 9:05;;\n"
						"2;K4;2026-03-07 14:30;;\n"
						"2;;07-03-2026 14:30;;\n", SIZE_MAX, &test_now, true);
	CHECK_STR(got, "2:ok\n3:format:Bel\n4:ok\n5:format:Dato\n6:missing:Kunde\n", "csv dk rows");
	free(got);
	got = validate_text(k, true, "Kunde;Bel\nK1;1\n", SIZE_MAX, &test_now, true);
	CHECK_STR(got, "layout: column \"Dato\" (mapped to event_time) is not in the header; the header's columns are \"Kunde\", \"Bel\"",
			  "csv missing column");
	free(got);

	k = csv_kind(iso, 3);
	CHECK(k != NULL, "csv iso: %s", last_error);
	got = validate_text(k, true, "t,id,cust\n2026-03-01,T1,\n2026-03-01T10:00:00.5Z,,C1\n"
						"2026-03-01 10:00+01:00,,\n2026-03-01T24:00,T,\n", SIZE_MAX, &test_now, true);
	CHECK_STR(got, "2:ok\n3:ok\n4:missing:id\n5:range:t\n", "csv iso rows");
	free(got);
	f = (OjField) {"2026-03-01T10:11:12.345+05:30", 29};
	memset(&row, 0, sizeof(row));
	CHECK(oj_parse_iso_time(&f, &row) == OJ_OK && row.hour == 10 && row.second == 12 &&
		  row.usec == 345000 && row.has_offset && row.utc_offset == 5 * 3600 + 30 * 60, "iso time");
	f = (OjField) {"2026-03-01T10:11:12-0330", 24};
	memset(&row, 0, sizeof(row));
	CHECK(oj_parse_iso_time(&f, &row) == OJ_OK && row.utc_offset == -(3 * 3600 + 30 * 60), "iso offset");
	f = (OjField) {"2026-03-01T10:00:00-00:30", 25};
	memset(&row, 0, sizeof(row));
	CHECK(oj_parse_iso_time(&f, &row) == OJ_OK && row.utc_offset == -30 * 60, "iso offset -00:30 is west");
	f = (OjField) {"2026-03-01T10:00:00+16:00", 25};
	CHECK(oj_parse_iso_time(&f, &row) == OJ_R_RANGE, "iso offset beyond 15:59");
	f = (OjField) {"2026-03-01T10:11:12.1234567", 27};
	CHECK(oj_parse_iso_time(&f, &row) == OJ_R_FORMAT, "iso fraction over 6 digits");
	f = (OjField) {"2026-3-01", 9};
	CHECK(oj_parse_iso_time(&f, &row) == OJ_R_FORMAT, "iso one-digit month");

	k = csv_kind(pos, 4);
	CHECK(k != NULL && !k->header, "csv positions: %s", last_error);
	got = validate_text(k, false, "C1,2026-03-01 10:00:00,a,b\nC2\n", SIZE_MAX, &test_now, true);
	CHECK_STR(got, "1:ok\n2:columns:-\n", "csv positions rows");
	free(got);

	CHECK(csv_kind(bad, 2) == NULL && strstr(last_error, "maps a column twice") != NULL,
		  "csv column mapped twice: %s", last_error);
	CHECK(csv_kind(NULL, 0) == NULL && strstr(last_error, "needs option \"columns\"") != NULL,
		  "csv without columns: %s", last_error);
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		data_dir = argv[1];
	test_csv_basics();
	test_csv_raw();
	test_csv_parse_errors();
	test_csv_too_long();
	test_too_many_fields();
	test_read_error();
	test_tsv();
	test_names();
	test_samples();
	test_rmc_rows();
	test_encoding();
	test_rmc_layouts();
	test_adobe_headers();
	test_adobe_rows();
	test_adobe_days();
	test_format_columns();
	test_csv_format();
	printf("core: %d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
