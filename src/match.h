/*-------------------------------------------------------------------------
 *
 * match.h
 *	  The matching rule of spec section 5 (match.c), for load(), the inbox,
 *	  rematch() and attribute().  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_MATCH_H
#define OJ_MATCH_H

#include "datatype/timestamp.h"

/* The result of matching one event. */
typedef struct OjMatch
{
	const char *kind;			/* "transaction", "customer" or "unmatched" */
	Datum		visitor_id, session_id, snapshot;
	bool		visitor_null, session_null, snapshot_null;
} OjMatch;

typedef struct OjMatcher OjMatcher;

extern OjMatcher *oj_matcher_open(void);
extern void oj_match(OjMatcher *m, TimestampTz event_time, text *customer_id,
					 text *transaction_id, const Interval *lookback, OjMatch *out);
extern bool oj_matcher_batched(OjMatcher *m);
extern void oj_match_many(OjMatcher *m, int n, const TimestampTz *times, text *const *customers,
						  text *const *txns, const Interval *lookback, OjMatch *out);
extern void oj_matcher_close(OjMatcher *m);

#endif							/* OJ_MATCH_H */
