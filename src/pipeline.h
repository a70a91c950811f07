/*-------------------------------------------------------------------------
 *
 * pipeline.h
 *	  The row pipeline: ingest.c (one run over a file or a COPY statement,
 *	  the one event builder) and load.c (the ledger).  The matching rule
 *	  (match.h) and where rows are written (sink.h, bulk_insert.h) have
 *	  headers of their own.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_PIPELINE_H
#define OJ_PIPELINE_H

#include "backend.h"
#include "event_row.h"

/* One run of the row pipeline (ingest.c): a file, or a COPY statement. */
typedef struct OjIngest OjIngest;

/* What a run has counted so far. */
typedef struct OjIngestCounts
{
	int64		total, loaded, rejected, matched;
} OjIngestCounts;

/* A ledger row before it is written (load.c). */
typedef struct OjLedger
{
	int64		load_id;		/* 0: take the next from the identity */
	const char *source;
	const char *path;
	char		sha256[65];
	bool		have_sha;
	int64		bytes;			/* < 0: unknown */
	TimestampTz started_at;
	int64		rows_total, rows_loaded, rows_rejected, rows_matched;
	const char *status;
	const char *message;
	Oid			loaded_by;		/* the role that loads; InvalidOid: the current user */
	bool		retryable;		/* failed: load_dir() tries this path again next time */
} OjLedger;

/* in load.c */
extern Datum oj_ledger_write(const OjLedger *l, TupleDesc result_desc);
extern bool oj_ledger_has_012(void);

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
