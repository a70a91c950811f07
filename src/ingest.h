/*-------------------------------------------------------------------------
 *
 * ingest.h
 *	  The row pipeline: ingest.c (one run over a file or a COPY statement,
 *	  the one event builder).  The matching rule (match.h), where rows
 *	  are written (sink.h, bulk_insert.h), the event row (event_row.h)
 *	  and the ledger (ledger.h) have headers of their own.  Include after
 *	  postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_INGEST_H
#define OJ_INGEST_H

#include "source.h"
#include "event_row.h"

/* One run of the row pipeline (ingest.c): a file, or a COPY statement. */
typedef struct OjIngest OjIngest;

/* What a run has counted so far. */
typedef struct OjIngestCounts
{
	int64		total, loaded, rejected, matched;
} OjIngestCounts;


/* in ingest.c */
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
extern bool oj_ingest_runs_sql(const OjIngest *in);
extern void oj_ingest_header(OjIngest *in, const OjRecord *rec);
extern bool oj_ingest_check(OjIngest *in, const OjRecord *rec, OjRow *row, OjReject *rj,
							TimestampTz *event_time);
extern void oj_ingest_record(OjIngest *in, const OjRecord *rec);
extern void oj_ingest_end(OjIngest *in);

#endif							/* OJ_INGEST_H */
