/*-------------------------------------------------------------------------
 *
 * pipeline.h
 *	  The row pipeline and what it writes to: ingest.c (one run over a file
 *	  or a COPY statement, the one event builder), match.c (the matching
 *	  rule), sink.c and bulk_insert.c (where rows are written).  Include
 *	  after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_PIPELINE_H
#define OJ_PIPELINE_H

#include "backend.h"

/* in bulk_insert.c: the sink's direct path */
typedef struct OjBulk OjBulk;
extern OjBulk *oj_bulk_open(Relation rel, bool fire_triggers);
extern void oj_bulk_add(OjBulk *b, Datum *values, bool *nulls);
extern void oj_bulk_flush(OjBulk *b);
extern void oj_bulk_close(OjBulk *b);

/* in sink.c: where writers put rows (direct, or one executor statement) */
typedef struct OjSink OjSink;
extern OjSink *oj_sink_open(const char *table, const char *writer, bool apply_rls,
							bool own_statement, int ncols, const char *const *names,
							const Oid *types);
extern void oj_sink_put(OjSink *s, const Datum *values, const bool *nulls);
extern const char *oj_sink_executor_reason(OjSink *s);
extern void oj_sink_close(OjSink *s);
extern char *oj_not_plain_heap(Relation rel);
extern void oj_refuse_rules(Relation rel, CmdType event, const char *writer);
extern void oj_require_sink_rows(const char *table, const char *why);
extern int64 oj_rows_execute(const char *sql, struct Tuplestorestate *store, TupleDesc desc);
extern char *oj_rows_source(TupleDesc desc);

/* The result of matching one event (match.c). */
typedef struct OjMatch
{
	const char *kind;			/* "transaction", "customer" or "unmatched" */
	Datum		visitor_id, session_id, snapshot;
	bool		visitor_null, session_null, snapshot_null;
} OjMatch;

/* in match.c */
typedef struct OjMatcher OjMatcher;
extern OjMatcher *oj_matcher_open(void);
extern void oj_match(OjMatcher *m, TimestampTz event_time, text *customer_id,
					 text *transaction_id, const Interval *lookback, OjMatch *out);
extern bool oj_matcher_batched(OjMatcher *m);
extern void oj_match_many(OjMatcher *m, int n, const TimestampTz *times, text *const *customers,
						  text *const *txns, const Interval *lookback, OjMatch *out);
extern void oj_matcher_close(OjMatcher *m);

/* One run of the row pipeline (ingest.c): a file, or a COPY statement. */
typedef struct OjIngest OjIngest;

/* What a run has counted so far. */
typedef struct OjIngestCounts
{
	int64		total, loaded, rejected, matched;
} OjIngestCounts;

/*
 * The fields of an event that a file row gives, in one order for every
 * reader of rows: the events row the loaders build, the foreign table's
 * columns (ingest.c's oj_event_fields has their names and types).
 */
typedef enum OjEventField
{
	OJ_EV_EVENT_TIME, OJ_EV_CUSTOMER_ID, OJ_EV_TRANSACTION_ID, OJ_EV_EVENT_TYPE,
	OJ_EV_CATEGORY, OJ_EV_PRODUCT, OJ_EV_NUM1, OJ_EV_NUM2, OJ_EV_DIMS, OJ_EV_ATTRS,
	OJ_EV_NFIELDS
} OjEventField;

typedef struct OjEventFieldInfo
{
	const char *name;			/* the column of events (and of a foreign table) */
	Oid			type;
	const char *type_name;
} OjEventFieldInfo;

extern const OjEventFieldInfo oj_event_fields[OJ_EV_NFIELDS];

/* in ingest.c */
extern OjAllocator oj_palloc_allocator(MemoryContext cxt);
extern text *oj_safe_text(const char *s, size_t len);
extern OjIngest *oj_ingest_begin(OjSource *src, int64 load_id, const char *writer, bool own_statement,
								 struct Tuplestorestate *dry_rejects, TupleDesc dry_desc);
extern OjReader *oj_ingest_reader(OjIngest *in, OjReadFn read, void *read_arg);
extern OjIngestCounts oj_ingest_counts(const OjIngest *in);
extern bool oj_ingest_over_limit(const OjIngest *in);
extern void oj_ingest_set_raw_maker(OjIngest *in,
									void (*make_raw) (void *arg, const OjRecord *rec,
													  const char **raw, size_t *len),
									void *arg);
extern Datum oj_event_value(OjIngest *in, OjEventField f, const OjRow *row, TimestampTz t,
							bool *isnull);
extern bool oj_ingest_wants_header(OjIngest *in);
extern bool oj_ingest_layout_ready(const OjIngest *in);
extern void oj_ingest_header(OjIngest *in, const OjRecord *rec);
extern bool oj_ingest_check(OjIngest *in, const OjRecord *rec, OjRow *row, OjReject *rj,
							TimestampTz *event_time);
extern void oj_ingest_record(OjIngest *in, const OjRecord *rec);
extern void oj_ingest_end(OjIngest *in);

#endif							/* OJ_PIPELINE_H */
