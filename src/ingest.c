/*-------------------------------------------------------------------------
 *
 * ingest.c
 *	  The per-row pipeline every loader drives: the core validates a record,
 *	  then this file checks what needs the database (encoding, products),
 *	  converts the already-checked fields (so no input function can throw),
 *	  matches the event and hands it to a sink: buffered inserts into events
 *	  and rejects, or, for validate_file(), a tuplestore of rejects.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"
#include "utils/timestamp.h"

#include "ingest.h"
#include "jsonb_flat.h"
#include "core_palloc.h"
#include "catalog.h"
#include "citus.h"
#include "event_row.h"
#include "guc.h"
#include "index_scan.h"
#include "match.h"
#include "security.h"
#include "sink.h"
#include "validate.h"

/* One run of the row pipeline: a file, or a COPY statement. */
struct OjIngest
{
	OjSource   *src;
	int64		load_id;		/* 0: dry run */
	OjLayout	layout;
	bool		layout_ready;
	OjAllocator alloc;
	OjNow		now;
	bool		check_utf8;
	int			encoding;
	int			file_encoding;	/* files read in another encoding: converted, or -1 */
	Oid			conversion;		/* its conversion function */
	MemoryContext cxt;
	MemoryContext rowcxt;		/* reset after every row */
	bool		tz_fixed;		/* the zone has one offset, tz_fixed_offset */
	int			tz_fixed_offset;
	bool		tz_cached;		/* the zone offset of local minute tz_minute */
	int64		tz_minute;
	int			tz_offset;
	bool		tz_gap;			/* that minute does not exist (daylight saving time) */
	bool		tz_mixed;		/* its seconds differ in offset or existence */
	text	   *source_text;
	Jsonb	   *empty_object;
	/* sinks */
	OjMatcher  *matcher;
	OjSink	   *events;
	OjSink	   *rejects;
	EState	   *trig_estate;	/* the trigger query level of a writer with its own statement */
	struct Tuplestorestate *dry_rejects;
	TupleDesc	dry_desc;
	Datum	   *ev_values;
	bool	   *ev_nulls;
	/* the Citus layout: events wait here for their batch's lookups */
	bool		batched;
	MemoryContext batchcxt;
	int			nbatch;
	int			batch_cap;		/* offline_join.citus_match_batch when it began */
	Datum	   *batch_values;	/* batch_cap rows of EV_NCOLS + 1 */
	bool	   *batch_nulls;
	TimestampTz *batch_times;
	OjMatch    *batch_matches;
	/* product feed, when the source's options use it */
	Relation	prod_rel;
	Relation	prod_idx;
	OjIndexScan *prod_scan;
	Snapshot	prod_snapshot;
	AttrNumber	prod_price_att;
	/* builds a reject's raw text when the record has none (the inbox) */
	void		(*make_raw) (void *arg, const OjRecord *rec, const char **raw, size_t *len);
	void	   *make_raw_arg;
	/* counts */
	int64		rows_total;
	int64		rows_loaded;
	int64		rows_rejected;
	int64		rows_matched;
};

/*
 * The columns of offline_join.events a loader fills, in the order its sink
 * takes them: the load's own, the file row's fields (oj_event_fields), the
 * match's.  event_id is the identity column: the sink gives it.
 */
#define EV_LOAD_ID		0
#define EV_LINE_NO		1
#define EV_SOURCE		2
#define EV_FIELD(f)		(3 + (f))
#define EV_MATCH		EV_FIELD(OJ_EV_NFIELDS)
#define EV_VISITOR_ID	(EV_MATCH + 1)
#define EV_SESSION_ID	(EV_MATCH + 2)
#define EV_SNAPSHOT		(EV_MATCH + 3)
#define EV_NCOLS		(EV_MATCH + 4)
/* the Citus layout's distribution key (offline_join.distribute()) */
#define EV_DIST_KEY		EV_NCOLS

static const char *oj_event_columns[EV_NCOLS + 1];
static Oid	oj_event_types[EV_NCOLS + 1];
static int16 oj_event_typlen[EV_NCOLS + 1];
static bool oj_event_typbyval[EV_NCOLS + 1];

/* Fills oj_event_columns and oj_event_types from oj_event_fields (once). */
static void
oj_event_columns_init(void)
{
	static const char *const own[3] = {"load_id", "line_no", "source"};
	static const Oid own_types[3] = {INT8OID, INT8OID, TEXTOID};
	static const char *const match[4] = {"match", "visitor_id", "session_id", "snapshot"};
	static const Oid match_types[4] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID};

	if (oj_event_columns[0] != NULL)
		return;
	for (int i = 0; i < 3; i++)
		oj_event_columns[i] = own[i], oj_event_types[i] = own_types[i];
	for (int f = 0; f < OJ_EV_NFIELDS; f++)
		oj_event_columns[EV_FIELD(f)] = oj_event_fields[f].name, oj_event_types[EV_FIELD(f)] = oj_event_fields[f].type;
	for (int i = 0; i < 4; i++)
		oj_event_columns[EV_MATCH + i] = match[i], oj_event_types[EV_MATCH + i] = match_types[i];
	oj_event_columns[EV_DIST_KEY] = "dist_key";
	oj_event_types[EV_DIST_KEY] = TEXTOID;
	for (int c = 0; c <= EV_DIST_KEY; c++)
		get_typlenbyval(oj_event_types[c], &oj_event_typlen[c], &oj_event_typbyval[c]);
}

/* The columns of offline_join.rejects, in the order its sink takes them. */
static const char *const oj_reject_columns[6] = {"load_id", "line_no", "field", "reason", "message", "raw"};
static const Oid oj_reject_types[6] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};

/*
 * Text that is safe to store whatever the bytes: NUL bytes and sequences
 * invalid in the database encoding become \xNN.
 */
text *
oj_safe_text(const char *s, size_t len)
{
	int			enc = GetDatabaseEncoding();
	StringInfoData buf;
	size_t		i = 0;

	if (memchr(s, '\0', len) == NULL && pg_verify_mbstr(enc, s, len, true))
		return cstring_to_text_with_len(s, len);
	initStringInfo(&buf);
	while (i < len)
	{
		int			l = s[i] == '\0' ? -1 : pg_encoding_verifymbchar(enc, s + i, len - i);

		if (l <= 0)
		{
			appendStringInfo(&buf, "\\x%02x", (unsigned char) s[i]);
			i++;
		}
		else
		{
			appendBinaryStringInfo(&buf, s + i, l);
			i += l;
		}
	}
	return cstring_to_text_with_len(buf.data, buf.len);
}

/* Opens the product feed when the source's options need it. */
static void
oj_products_open(OjIngest *in)
{
	if (oj_tables("offline_join") == OJ_TABLES_CITUS)
	{
		/*
		 * A reference table: its rows are in this node's placement, which
		 * Citus keeps in step with every other; the table says who may
		 * read it.
		 */
		Relation	logical = table_open(oj_relation_oid("products"), AccessShareLock);
		char	   *index;

		oj_check_table_privilege(logical, ACL_SELECT);
		oj_check_no_rls(logical);
		table_close(logical, NoLock);
		in->prod_rel = table_open(oj_citus_local_placement("products"), AccessShareLock);
		index = psprintf("products_pkey%s", RelationGetRelationName(in->prod_rel) + strlen("products"));
		in->prod_idx = oj_index_open(in->prod_rel, index, 1, (Oid[]) {TEXTOID});
	}
	else
	{
		in->prod_rel = oj_table_open("products", AccessShareLock);
		in->prod_idx = oj_index_open(in->prod_rel, "products_pkey", 1, (Oid[]) {TEXTOID});
		oj_check_table_privilege(in->prod_rel, ACL_SELECT);
		oj_check_no_rls(in->prod_rel);
	}
	in->prod_snapshot = RegisterSnapshot(GetActiveSnapshot());
	in->prod_scan = oj_index_scan_begin(in->prod_rel, in->prod_idx, in->prod_snapshot, 1);
	in->prod_price_att = oj_typed_column(in->prod_rel, "unit_price", NUMERICOID);
}

/*
 * Starts a pipeline for one file or COPY statement.  With load_id > 0 good
 * rows go to events and bad ones to rejects; with load_id 0 (dry run) the
 * rejects go to the tuplestore dry_rejects.
 */
OjIngest *
oj_ingest_begin(OjSource *src, int64 load_id, const char *writer, bool own_statement,
				Tuplestorestate *dry_rejects, TupleDesc dry_desc)
{
	OjIngest   *in = palloc0(sizeof(OjIngest));
	TimestampTz now = GetCurrentTimestamp();
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	in->src = src;
	in->load_id = load_id;
	in->cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join ingest", ALLOCSET_DEFAULT_SIZES);
	in->rowcxt = AllocSetContextCreate(in->cxt, "offline_join row", ALLOCSET_DEFAULT_SIZES);
	in->alloc = oj_palloc_allocator(in->cxt);
	in->encoding = GetDatabaseEncoding();
	in->check_utf8 = in->encoding == PG_UTF8;
	in->file_encoding = -1;
	in->dry_rejects = dry_rejects;
	in->dry_desc = dry_desc;

	/* "now" as local time of the source's zone, for the future-date rule */
	timestamp2tm(now, &tz, &tm, &fsec, NULL, src->tz);
	in->now.year = tm.tm_year;
	in->now.month = tm.tm_mon;
	in->now.day = tm.tm_mday;
	in->now.hour = tm.tm_hour;
	in->now.minute = tm.tm_min;
	in->now.second = tm.tm_sec;

	{
		long		gmtoff;

		in->tz_fixed = pg_get_timezone_offset(src->tz, &gmtoff);
		in->tz_fixed_offset = in->tz_fixed ? (int) -gmtoff : 0;	/* seconds west, as tm2timestamp */
	}
	in->source_text = cstring_to_text(src->name);
	in->empty_object = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));

	if (load_id > 0)
	{
		oj_event_columns_init();

		/*
		 * A writer with a statement of its own (load()) applies the caller's
		 * row-level security, and the triggers its sinks fire directly run
		 * when this query level ends, at oj_ingest_end(), as a COPY's run
		 * when it ends.  An inbox's rows arrive inside the sender's COPY:
		 * its sinks take the executor path for any trigger.
		 */
		if (own_statement)
		{
			in->trig_estate = CreateExecutorState();
			AfterTriggerBeginQuery();
		}
		in->matcher = oj_matcher_open();
		in->batched = oj_matcher_batched(in->matcher);
		in->events = oj_sink_open("events", writer, own_statement, own_statement,
								  in->batched ? EV_NCOLS + 1 : EV_NCOLS,
								  oj_event_columns, oj_event_types);
		in->rejects = oj_sink_open("rejects", writer, own_statement, own_statement, 6,
								   oj_reject_columns, oj_reject_types);
		in->ev_values = palloc0(sizeof(Datum) * EV_NCOLS);
		in->ev_nulls = palloc(sizeof(bool) * EV_NCOLS);
		if (in->batched)
		{
			in->batchcxt = AllocSetContextCreate(in->cxt, "offline_join match batch rows",
												 ALLOCSET_DEFAULT_SIZES);
			in->batch_cap = oj_citus_match_batch;
			in->batch_values = palloc(sizeof(Datum) * (EV_NCOLS + 1) * in->batch_cap);
			in->batch_nulls = palloc(sizeof(bool) * (EV_NCOLS + 1) * in->batch_cap);
			in->batch_times = palloc(sizeof(TimestampTz) * in->batch_cap);
			in->batch_matches = palloc(sizeof(OjMatch) * in->batch_cap);
		}
	}
	if (src->require_known_product || src->has_tolerance)
		oj_products_open(in);
	return in;
}

/* Column i of the run's layout, if the layout knows it: its column, else NULL. */
static const OjColumn *
oj_layout_column(OjIngest *in, int i)
{
	if (!in->layout_ready || i >= Max(in->layout.ncols, in->layout.min_fields))
		return NULL;
	return &in->layout.cols[i];
}

/* Whether len bytes at s are all ASCII. */
static bool
oj_is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return false;
	return true;
}

/*
 * A reject's raw text of a file in another encoding, in the database's:
 * converted when its bytes are valid, else as oj_safe_text() shows them.
 */
static text *
oj_raw_text(OjIngest *in, const char *raw, size_t len)
{
	if (in->file_encoding >= 0 && !oj_is_ascii(raw, len) && len <= OJ_MAX_RECORD_BYTES)
	{
		int			cap = (int) len * MAX_CONVERSION_GROWTH + 1;
		unsigned char *dest = palloc(cap);

		if (pg_do_encoding_conversion_buf(in->conversion, in->file_encoding, in->encoding,
										  (unsigned char *) unconstify(char *, raw), (int) len,
										  dest, cap, true) == (int) len)
			return cstring_to_text((char *) dest);
	}
	return oj_safe_text(raw, len);
}

/*
 * A record of a file in another encoding, converted to the database's
 * into out (in the row's memory): -1, or the index of the first field
 * whose bytes are not valid in the file's encoding.  Without a conversion,
 * out is rec.  Fields of ASCII only are kept as they are; the raw text is
 * converted when a reject is written (oj_raw_text()).
 */
static int
oj_convert_record(OjIngest *in, const OjRecord *rec, OjRecord *out)
{
	*out = *rec;
	if (in->file_encoding < 0 || rec->error != OJ_OK || rec->nfields == 0)
		return -1;
	out->fields = palloc(sizeof(OjField) * rec->nfields);
	for (int i = 0; i < rec->nfields; i++)
	{
		const OjField *f = &rec->fields[i];
		int			cap;
		unsigned char *dest;

		out->fields[i] = *f;
		if (oj_is_ascii(f->data, f->len) ||
			(oj_layout_column(in, i) != NULL && oj_layout_column(in, i)->role == OJ_COL_IGNORE))
			continue;
		if (f->len > (MaxAllocSize - 1) / MAX_CONVERSION_GROWTH)
			return i;
		cap = (int) f->len * MAX_CONVERSION_GROWTH + 1;
		dest = palloc(cap);
		if (pg_do_encoding_conversion_buf(in->conversion, in->file_encoding, in->encoding,
										  (unsigned char *) unconstify(char *, f->data), (int) f->len,
										  dest, cap, true) < (int) f->len)
			return i;
		out->fields[i].data = (const char *) dest;
		out->fields[i].len = strlen((char *) dest);
	}
	return -1;
}

/* Does the next record have to be the header? */
bool
oj_ingest_wants_header(OjIngest *in)
{
	return !in->layout_ready && in->src->format->header;
}

/* Has the run its layout (from a header, or the format's defaults)? */
bool
oj_ingest_layout_ready(const OjIngest *in)
{
	return in->layout_ready;
}

/* Reads the header record (or, with rec NULL, sets up a header-less layout). */
void
oj_ingest_header(OjIngest *in, const OjRecord *rec)
{
	char		err[512];
	OjRecord	converted;
	int			bad;

	if (rec != NULL && rec->error != OJ_OK)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("cannot read the header line of a %s file: %s",
						in->src->format->name, rec->error_message)));
	if (rec != NULL && (bad = oj_convert_record(in, rec, &converted)) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("cannot read the header line of a %s file: column %d is not valid in encoding %s",
						in->src->format->name, bad + 1, pg_encoding_to_char(in->file_encoding))));
	if (rec != NULL)
		rec = &converted;
	/* names become keys of attrs and words of messages: valid text, no nul */
	for (int i = 0; rec != NULL && i < rec->nfields; i++)
		if (!pg_verify_mbstr(in->encoding, rec->fields[i].data, (int) rec->fields[i].len, true))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("cannot read the header line of a %s file: column %d is not valid in encoding %s",
							in->src->format->name, i + 1, GetDatabaseEncodingName()),
					 errhint("A column's name may not contain a nul byte, nor bytes that are not valid in the file's encoding.")));
	if (!oj_layout_init(&in->layout, in->src->format, rec, &in->alloc, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("invalid header for source \"%s\": %s", in->src->name, err)));
	in->layout_ready = true;
}

/* The layout column name for a role, for rejects found here. */
static const char *
oj_role_name(OjIngest *in, OjRole role)
{
	const OjFormat *format = in->src->format;

	for (int i = 0; i < in->layout.ncols; i++)
		if (in->layout.cols[i].role == role)
			return in->layout.cols[i].name;
	/* without a header: the format's own table names it (rmc's, a csv source's "column N") */
	for (int i = 0; i < format->ncolumns; i++)
		if (format->columns[i].role == role)
			return format->columns[i].name;
	return NULL;
}


/* Stores one reject in the sink. */
static void
oj_emit_reject(OjIngest *in, const OjRecord *rec, const OjReject *rj)
{
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	in->rows_rejected++;
	values[0] = Int64GetDatum(in->load_id);
	values[1] = Int64GetDatum(rec->line_no);
	values[2] = rj->field ? PointerGetDatum(oj_safe_text(rj->field, strlen(rj->field))) : (Datum) 0;
	nulls[2] = rj->field == NULL;
	values[3] = CStringGetTextDatum(oj_reason_name(rj->reason));
	values[4] = PointerGetDatum(oj_safe_text(rj->message, strlen(rj->message)));
	if (rec->raw == NULL && in->make_raw != NULL)
	{
		const char *raw;
		size_t		len;

		in->make_raw(in->make_raw_arg, rec, &raw, &len);
		values[5] = PointerGetDatum(oj_safe_text(raw, len));
	}
	else
		values[5] = PointerGetDatum(oj_raw_text(in, rec->raw ? rec->raw : "", rec->raw_len));
	if (in->rejects)
		oj_sink_put(in->rejects, values, nulls);
	else if (in->dry_rejects)
		tuplestore_putvalues(in->dry_rejects, in->dry_desc, values + 1, nulls + 1);
}

/*
 * numeric from a checked decimal, whose separator is sep.  A plain
 * [sign] digits [sep digits] of at most 18 digits is made from its int64
 * value and scale (what numeric_in() makes of it: the same digits, weight
 * and display scale); anything else goes through numeric_in().
 */
static Datum
oj_numeric(OjField f, char sep)
{
	const char *p = f.data;
	const char *end = f.data + f.len;
	bool		neg = false;
	int64		v = 0;
	int			ndigits = 0;
	int			scale = -1;		/* digits after sep; -1 before it */
	char	   *s;

	if (p < end && (*p == '-' || *p == '+'))
		neg = (*p++ == '-');
	for (; p < end; p++)
	{
		if (*p >= '0' && *p <= '9' && ndigits < 18)
		{
			v = v * 10 + (*p - '0');
			ndigits++;
			if (scale >= 0)
				scale++;
		}
		else if (*p == sep && scale < 0)
			scale = 0;
		else
			break;
	}
	if (p == end && ndigits > 0)
		return NumericGetDatum(int64_div_fast_to_numeric(neg ? -v : v, scale < 0 ? 0 : scale));

	s = pnstrdup(f.data, f.len);
	if (sep != '.')
	{
		char	   *q = strchr(s, sep);

		if (q != NULL)
			*q = '.';
	}
	return DirectFunctionCall3(numeric_in, CStringGetDatum(s), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/*
 * A jsonb object of the key/values, or the shared empty object.  Written in
 * jsonb's binary form at once (jsonb_flat.c); built the general way only
 * when a key repeats or the object is too large for that.
 */
static Datum
oj_jsonb_object(OjIngest *in, const OjKeyValue *kv, int n)
{
	OjJsonbMember *m;
	JsonbParseState *state = NULL;
	JsonbValue *res;
	Jsonb	   *flat;

	if (n == 0)
		return JsonbPGetDatum(in->empty_object);
	m = palloc(sizeof(OjJsonbMember) * n);
	for (int i = 0; i < n; i++)
	{
		m[i].key = kv[i].key;
		m[i].str = kv[i].value.data;
		m[i].len = kv[i].value.len;
		m[i].num = kv[i].numeric ? DatumGetNumeric(oj_numeric(kv[i].value, '.')) : NULL;
	}
	if ((flat = oj_jsonb_flat(m, n)) != NULL)
		return JsonbPGetDatum(flat);

	/* from kv, in its order: the general way keeps the last value of a key, as jsonb does */
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = unconstify(char *, kv[i].key);
		k.val.string.len = strlen(kv[i].key);
		pushJsonbValue(&state, WJB_KEY, &k);
		if (kv[i].numeric)
		{
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(oj_numeric(kv[i].value, '.'));
		}
		else
		{
			v.type = jbvString;
			v.val.string.val = unconstify(char *, kv[i].value.data);
			v.val.string.len = kv[i].value.len;
		}
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

/* What oj_event_time() found. */
typedef enum OjTimeResult
{
	OJ_TIME_OK,
	OJ_TIME_OUT_OF_RANGE,		/* outside timestamptz's range */
	OJ_TIME_IN_GAP				/* a local time the zone skips (daylight saving time) */
} OjTimeResult;

/*
 * The zone's offset for local time *tm, and whether that local time exists
 * (*gap false): it does when its instant shows it again in the zone.
 */
static int
oj_local_offset(struct pg_tm *tm, pg_tz *zone, bool *gap)
{
	struct pg_tm back;
	TimestampTz t;
	fsec_t		fsec;
	int			offset = DetermineTimeZoneOffset(tm, zone);
	int			shown;

	*gap = tm2timestamp(tm, 0, &offset, &t) == 0 &&
		timestamp2tm(t, &shown, &back, &fsec, NULL, zone) == 0 &&
		(back.tm_sec != tm->tm_sec || back.tm_min != tm->tm_min ||
		 back.tm_hour != tm->tm_hour || back.tm_mday != tm->tm_mday);
	return offset;
}

/*
 * event_time from the row's local time in the source's zone.  A local time
 * the clocks skip when daylight saving time starts does not exist: it is
 * refused (PostgreSQL's own input would move it by the gap).  A local time
 * that occurs twice when it ends is read as PostgreSQL reads it, as the
 * later instant (standard time).
 */
static OjTimeResult
oj_event_time(OjIngest *in, const OjRow *row, TimestampTz *result)
{
	struct pg_tm tm;
	int			tz;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = row->year;
	tm.tm_mon = row->month;
	tm.tm_mday = row->day;
	tm.tm_hour = row->hour;
	tm.tm_min = row->minute;
	tm.tm_sec = row->second;

	/* a value that gave its own offset: the zone does not apply */
	if (row->has_offset)
	{
		tz = -row->utc_offset;
		return tm2timestamp(&tm, row->usec, &tz, result) == 0 && IS_VALID_TIMESTAMP(*result)
			? OJ_TIME_OK : OJ_TIME_OUT_OF_RANGE;
	}

	/*
	 * A zone with one fixed offset (UTC, the default) has no gaps.  In any
	 * other, rows of one local minute share the offset and whether they
	 * exist when the minute's first and last seconds agree on both (a file's
	 * rows usually come in time order); a minute where they differ (a
	 * change of offset on a second that is not :00, as historical local
	 * mean times had: Africa/Monrovia went from -0:44:30 to 0) is decided
	 * second by second.
	 */
	if (in->tz_fixed)
		tz = in->tz_fixed_offset;
	else
	{
		int64		minute = (((int64) row->year * 100 + row->month) * 100 + row->day) * 10000 +
			row->hour * 100 + row->minute;
		bool		gap;

		if (minute != in->tz_minute || !in->tz_cached)
		{
			int			last_offset;
			bool		last_gap;

			tm.tm_sec = 0;
			in->tz_offset = oj_local_offset(&tm, in->src->tz, &in->tz_gap);
			in->tz_mixed = false;
			/* only an offset with seconds (a local mean time) can change within a minute */
			if (in->tz_offset % 60 != 0)
			{
				tm.tm_sec = 59;
				last_offset = oj_local_offset(&tm, in->src->tz, &last_gap);
				in->tz_mixed = last_offset != in->tz_offset || last_gap != in->tz_gap;
			}
			tm.tm_sec = row->second;
			in->tz_minute = minute;
			in->tz_cached = true;
		}
		if (in->tz_mixed)
			tz = oj_local_offset(&tm, in->src->tz, &gap);
		else
		{
			tz = in->tz_offset;
			gap = in->tz_gap;
		}
		if (gap)
			return OJ_TIME_IN_GAP;
	}
	return tm2timestamp(&tm, row->usec, &tz, result) == 0 && IS_VALID_TIMESTAMP(*result)
		? OJ_TIME_OK : OJ_TIME_OUT_OF_RANGE;
}

/* Database-side checks of a valid row: encoding, product feed.  False with *rj filled. */
static bool
oj_check_row(OjIngest *in, const OjRecord *rec, const OjRow *row, OjReject *rj)
{
	if (!in->check_utf8 && in->encoding != PG_SQL_ASCII)
	{
		int			i;

		for (i = 0; i < rec->nfields; i++)
		{
			const OjColumn *col = oj_layout_column(in, i);

			if (col != NULL && col->role == OJ_COL_IGNORE)
				continue;		/* read past: its bytes are not kept */
			if (!pg_verify_mbstr(in->encoding, rec->fields[i].data, rec->fields[i].len, true))
			{
				rj->reason = OJ_R_ENCODING;
				rj->field = col ? col->name : NULL;
				if (col)
					snprintf(rj->message, sizeof(rj->message), "value in column \"%s\" is not valid in encoding %s",
							 col->name, GetDatabaseEncodingName());
				else
					snprintf(rj->message, sizeof(rj->message), "field %d is not valid in encoding %s",
							 i + 1, GetDatabaseEncodingName());
				return false;
			}
		}
	}
	if (in->prod_rel != NULL && row->has_product)
	{
		ScanKeyData key;
		text	   *code = cstring_to_text_with_len(row->product.data, row->product.len);
		bool		found;

		ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
							   in->prod_idx->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(code));
		found = oj_index_scan_first(in->prod_scan, &key, 1, ForwardScanDirection);
		if (!found && in->src->require_known_product)
		{
			rj->reason = OJ_R_UNKNOWN_PRODUCT;
			rj->field = oj_role_name(in, OJ_COL_PRODUCT);
			snprintf(rj->message, sizeof(rj->message),
					 "product \"%.*s\" is not in offline_join.products",
					 pg_mbcliplen(row->product.data, row->product.len, 60), row->product.data);
			return false;
		}
		if (found && in->src->has_tolerance && row->has_num1 && row->has_num2)
		{
			bool		isnull;
			Datum		price = slot_getattr(oj_index_scan_slot(in->prod_scan), in->prod_price_att, &isnull);

			if (!isnull)
			{
				Datum		expected = DirectFunctionCall2(numeric_mul, oj_numeric(row->num1, row->decimal), price);
				Datum		diff = DirectFunctionCall1(numeric_abs,
													   DirectFunctionCall2(numeric_sub, oj_numeric(row->num2, row->decimal), expected));

				if (DatumGetBool(DirectFunctionCall2(numeric_gt, diff,
													 NumericGetDatum(in->src->total_tolerance))))
				{
					rj->reason = OJ_R_TOTAL_MISMATCH;
					rj->field = oj_role_name(in, OJ_COL_NUM2);
					snprintf(rj->message, sizeof(rj->message),
							 "total %.*s differs from %.*s x unit price %s = %s by more than %s",
							 (int) Min(row->num2.len, 40), row->num2.data,
							 (int) Min(row->num1.len, 40), row->num1.data,
							 DatumGetCString(DirectFunctionCall1(numeric_out, price)),
							 DatumGetCString(DirectFunctionCall1(numeric_out, expected)),
							 DatumGetCString(DirectFunctionCall1(numeric_out,
																 NumericGetDatum(in->src->total_tolerance))));
					return false;
				}
			}
		}
	}
	return true;
}

/*
 * The value of field f of a checked row, in the field's type (the one event
 * builder: the loaders' events rows and the foreign table's columns).
 */
Datum
oj_event_value(OjIngest *in, OjEventField f, const OjRow *row, TimestampTz t, bool *isnull)
{
	const OjField *text_field = NULL;
	bool		has = true;

	*isnull = false;
	switch (f)
	{
		case OJ_EV_EVENT_TIME:
			return TimestampTzGetDatum(t);
		case OJ_EV_CUSTOMER_ID:
			has = row->has_customer, text_field = &row->customer_id;
			break;
		case OJ_EV_TRANSACTION_ID:
			has = row->has_transaction, text_field = &row->transaction_id;
			break;
		case OJ_EV_CATEGORY:
			has = row->has_category, text_field = &row->category;
			break;
		case OJ_EV_PRODUCT:
			has = row->has_product, text_field = &row->product;
			break;
		case OJ_EV_EVENT_TYPE:
			if (!row->has_event_type)
				break;
			return Int32GetDatum(row->event_type);
		case OJ_EV_NUM1:
			if (!row->has_num1)
				break;
			return oj_numeric(row->num1, row->decimal);
		case OJ_EV_NUM2:
			if (!row->has_num2)
				break;
			return oj_numeric(row->num2, row->decimal);
		case OJ_EV_DIMS:
			return oj_jsonb_object(in, row->dims, row->ndims);
		case OJ_EV_ATTRS:
			return oj_jsonb_object(in, row->attrs, row->nattrs);
		case OJ_EV_NFIELDS:
			elog(ERROR, "no such event field");
	}
	if (text_field != NULL && has)
		return PointerGetDatum(cstring_to_text_with_len(text_field->data, text_field->len));
	*isnull = true;
	return (Datum) 0;
}

/* A reader of the source's dialect, with the run's allocator and the record cap. */
OjReader *
oj_ingest_reader(OjIngest *in, OjReadFn read, void *read_arg)
{
	if (in->src->encoding >= 0)
	{
		in->file_encoding = in->src->encoding;
		in->conversion = FindDefaultConversionProc(in->file_encoding, in->encoding);
		if (!OidIsValid(in->conversion))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("source \"%s\" reads files in encoding %s, which has no conversion to the database's encoding %s",
							in->src->name, pg_encoding_to_char(in->file_encoding),
							GetDatabaseEncodingName())));
	}
	return oj_reader_create(&in->src->format->dialect, read, read_arg, &in->alloc,
							OJ_MAX_RECORD_BYTES);
}

/* The run's counts so far (also after oj_ingest_end()). */
OjIngestCounts
oj_ingest_counts(const OjIngest *in)
{
	OjIngestCounts c = {in->rows_total, in->rows_loaded, in->rows_rejected, in->rows_matched};

	return c;
}

/* Has a writing run passed its source's reject_limit?  (A dry run never does.) */
bool
oj_ingest_over_limit(const OjIngest *in)
{
	return in->load_id > 0 && in->src->reject_limit >= 0 && in->rows_rejected > in->src->reject_limit;
}

/* How to rebuild a reject's raw text when the record has none (the inbox's rows). */
void
oj_ingest_set_raw_maker(OjIngest *in,
						void (*make_raw) (void *arg, const OjRecord *rec, const char **raw, size_t *len),
						void *arg)
{
	in->make_raw = make_raw;
	in->make_raw_arg = arg;
}

/* Does matching a row run SQL (the Citus layout's lookups, per batch)? */
bool
oj_ingest_runs_sql(const OjIngest *in)
{
	return in->batched;
}

/* Sets the match columns of an events row (and its distribution key). */
static void
oj_set_match(OjIngest *in, Datum *v, bool *n, const OjMatch *m)
{
	v[EV_MATCH] = CStringGetTextDatum(m->kind);
	n[EV_MATCH] = false;
	v[EV_VISITOR_ID] = m->visitor_id;
	n[EV_VISITOR_ID] = m->visitor_null;
	v[EV_SESSION_ID] = m->session_id;
	n[EV_SESSION_ID] = m->session_null;
	v[EV_SNAPSHOT] = m->snapshot;
	n[EV_SNAPSHOT] = m->snapshot_null;
	if (strcmp(m->kind, "unmatched") != 0)
		in->rows_matched++;
}

/*
 * The Citus layout: matches the batch's events with one set of lookups,
 * and puts them into the sink with their distribution key: the matched
 * session's ID (so that an event lives beside its session), or
 * '~<load_id>.<line_no>' when it has none.
 */
static void
oj_flush_batch(OjIngest *in)
{
	MemoryContext old;
	text	  **customers;
	text	  **txns;

	if (in->nbatch == 0)
		return;
	old = MemoryContextSwitchTo(in->batchcxt);
	customers = palloc(sizeof(text *) * in->nbatch);
	txns = palloc(sizeof(text *) * in->nbatch);
	for (int i = 0; i < in->nbatch; i++)
	{
		Datum	   *v = in->batch_values + (Size) i * (EV_NCOLS + 1);
		bool	   *n = in->batch_nulls + (Size) i * (EV_NCOLS + 1);

		customers[i] = n[EV_FIELD(OJ_EV_CUSTOMER_ID)] ? NULL : DatumGetTextPP(v[EV_FIELD(OJ_EV_CUSTOMER_ID)]);
		txns[i] = n[EV_FIELD(OJ_EV_TRANSACTION_ID)] ? NULL : DatumGetTextPP(v[EV_FIELD(OJ_EV_TRANSACTION_ID)]);
	}
	oj_match_many(in->matcher, in->nbatch, in->batch_times, customers, txns,
				  &in->src->lookback, in->batch_matches);
	for (int i = 0; i < in->nbatch; i++)
	{
		Datum	   *v = in->batch_values + (Size) i * (EV_NCOLS + 1);
		bool	   *n = in->batch_nulls + (Size) i * (EV_NCOLS + 1);

		oj_set_match(in, v, n, &in->batch_matches[i]);
		if (!n[EV_SESSION_ID])
			v[EV_DIST_KEY] = v[EV_SESSION_ID];
		else
			v[EV_DIST_KEY] = CStringGetTextDatum(psprintf("~" INT64_FORMAT "." INT64_FORMAT,
														  DatumGetInt64(v[EV_LOAD_ID]),
														  DatumGetInt64(v[EV_LINE_NO])));
		n[EV_DIST_KEY] = false;
		oj_sink_put(in->events, v, n);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(in->batchcxt);
	in->nbatch = 0;
}

/* Builds, matches and buffers one events row from a valid row. */
static void
oj_emit_event(OjIngest *in, const OjRecord *rec, const OjRow *row, TimestampTz event_time)
{
	Datum	   *v = in->ev_values;
	bool	   *n = in->ev_nulls;
	OjMatch		m;
	text	   *customer = NULL;
	text	   *txn = NULL;

	memset(n, true, sizeof(bool) * EV_NCOLS);
#define SET(col, val) (v[col] = (val), n[col] = false)
	SET(EV_LOAD_ID, Int64GetDatum(in->load_id));
	SET(EV_LINE_NO, Int64GetDatum(rec->line_no));
	SET(EV_SOURCE, PointerGetDatum(in->source_text));
	for (int f = 0; f < OJ_EV_NFIELDS; f++)
		v[EV_FIELD(f)] = oj_event_value(in, f, row, event_time, &n[EV_FIELD(f)]);
#undef SET
	in->rows_loaded++;
	if (in->batched)
	{
		/* keep a copy until the batch is matched */
		MemoryContext old = MemoryContextSwitchTo(in->batchcxt);
		Datum	   *bv = in->batch_values + (Size) in->nbatch * (EV_NCOLS + 1);
		bool	   *bn = in->batch_nulls + (Size) in->nbatch * (EV_NCOLS + 1);

		for (int c = 0; c < EV_NCOLS; c++)
		{
			bn[c] = n[c];
			if (n[c])
				bv[c] = (Datum) 0;
			else if (c == EV_SOURCE)
				bv[c] = v[c];	/* in->source_text lives as long as the run */
			else
				bv[c] = datumCopy(v[c], oj_event_typbyval[c], oj_event_typlen[c]);
		}
		in->batch_times[in->nbatch++] = event_time;
		MemoryContextSwitchTo(old);
		if (in->nbatch == in->batch_cap)
			oj_flush_batch(in);
		return;
	}
	customer = n[EV_FIELD(OJ_EV_CUSTOMER_ID)] ? NULL : DatumGetTextPP(v[EV_FIELD(OJ_EV_CUSTOMER_ID)]);
	txn = n[EV_FIELD(OJ_EV_TRANSACTION_ID)] ? NULL : DatumGetTextPP(v[EV_FIELD(OJ_EV_TRANSACTION_ID)]);
	oj_match(in->matcher, event_time, customer, txn, &in->src->lookback, &m);
	oj_set_match(in, v, n, &m);
	oj_sink_put(in->events, v, n);
}

/*
 * Every check of one record: the core's, then the database's (encoding,
 * product feed), then its instant.  True with *row and *event_time filled,
 * or false with *rj filled.  Writes nothing; the FDW calls it directly.
 */
bool
oj_ingest_check(OjIngest *in, const OjRecord *rec, OjRow *row, OjReject *rj, TimestampTz *event_time)
{
	OjRecord	converted;
	int			bad;

	if (!in->layout_ready)
		oj_ingest_header(in, NULL);
	rj->reason = OJ_OK;
	rj->field = NULL;
	rj->message[0] = '\0';
	if ((bad = oj_convert_record(in, rec, &converted)) >= 0)
	{
		const OjColumn *col = oj_layout_column(in, bad);
		bool		valid = pg_verify_mbstr(in->file_encoding, rec->fields[bad].data,
											(int) rec->fields[bad].len, true);
		char		what[64];

		rj->reason = OJ_R_ENCODING;
		rj->field = col ? col->name : NULL;
		if (col)
			snprintf(what, sizeof(what), "value in column \"%.40s\"", col->name);
		else
			snprintf(what, sizeof(what), "field %d", bad + 1);
		if (valid)
			snprintf(rj->message, sizeof(rj->message), "%s cannot be converted from encoding %s to %s",
					 what, pg_encoding_to_char(in->file_encoding), GetDatabaseEncodingName());
		else
			snprintf(rj->message, sizeof(rj->message), "%s is not valid in encoding %s",
					 what, pg_encoding_to_char(in->file_encoding));
		return false;
	}
	rec = &converted;
	if (!oj_validate_record(&in->layout, rec, &in->now, in->check_utf8, row, rj, &in->alloc) ||
		!oj_check_row(in, rec, row, rj))
		return false;
	switch (oj_event_time(in, row, event_time))
	{
		case OJ_TIME_OK:
			break;
		case OJ_TIME_OUT_OF_RANGE:
			rj->reason = OJ_R_RANGE;
			rj->field = oj_role_name(in, OJ_COL_TIME);
			snprintf(rj->message, sizeof(rj->message), "time %04d-%02d-%02d %02d:%02d:%02d is out of range",
					 row->year, row->month, row->day, row->hour, row->minute, row->second);
			return false;
		case OJ_TIME_IN_GAP:
			rj->reason = OJ_R_RANGE;
			rj->field = oj_role_name(in, OJ_COL_TIME);
			snprintf(rj->message, sizeof(rj->message),
					 "time %04d-%02d-%02d %02d:%02d:%02d does not exist in time zone \"%s\" (the clocks skip it for daylight saving time)",
					 row->year, row->month, row->day, row->hour, row->minute, row->second,
					 in->src->timezone);
			return false;
	}
	oj_layout_accept(&in->layout, row);
	return true;
}

/* Runs one record through the pipeline: an event or a reject, never neither. */
void
oj_ingest_record(OjIngest *in, const OjRecord *rec)
{
	MemoryContext old = MemoryContextSwitchTo(in->rowcxt);
	OjRow		row;
	OjReject	rj;
	TimestampTz event_time = 0;

	in->rows_total++;
	if (!oj_ingest_check(in, rec, &row, &rj, &event_time))
		oj_emit_reject(in, rec, &rj);
	else if (in->events)
		oj_emit_event(in, rec, &row, event_time);
	else
		in->rows_loaded++;		/* dry run: valid */
	MemoryContextSwitchTo(old);
	MemoryContextReset(in->rowcxt);
}

/* Flushes the sinks and releases the pipeline's resources. */
void
oj_ingest_end(OjIngest *in)
{
	if (in->events)
	{
		if (in->batched)
			oj_flush_batch(in);
		oj_sink_close(in->events);
		oj_sink_close(in->rejects);
		if (in->trig_estate)
		{
			AfterTriggerEndQuery(in->trig_estate);
			ExecResetTupleTable(in->trig_estate->es_tupleTable, false);
			ExecCloseResultRelations(in->trig_estate);
			FreeExecutorState(in->trig_estate);
		}
		oj_matcher_close(in->matcher);
	}
	if (in->prod_rel)
	{
		oj_index_scan_end(in->prod_scan);
		UnregisterSnapshot(in->prod_snapshot);
		index_close(in->prod_idx, NoLock);
		table_close(in->prod_rel, NoLock);
	}
	MemoryContextDelete(in->cxt);
}
