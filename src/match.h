/*-------------------------------------------------------------------------
 *
 * match.h
 *	  The matching rule of spec section 5, for load(), the inbox, rematch()
 *	  and attribute() (match.c), and the interface of the candidate lookups
 *	  that feed it: index scans on the local layout (match_local.c), batched
 *	  SQL on the Citus layout (citus_match.c).  Include after postgres.h.
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

/* in match.c: the rule */
typedef struct OjMatcher OjMatcher;
extern OjMatcher *oj_matcher_open(void);
extern void oj_match(OjMatcher *m, TimestampTz event_time, text *customer_id,
					 text *transaction_id, const Interval *lookback, OjMatch *out);
extern bool oj_matcher_batched(OjMatcher *m);
extern void oj_match_many(OjMatcher *m, int n, const TimestampTz *times, text *const *customers,
						  text *const *txns, const Interval *lookback, OjMatch *out);
extern void oj_matcher_close(OjMatcher *m);
extern void oj_match_datums(const OjMatch *res, Datum *values, bool *nulls);

/* in match.c: the lookback of each source, for matching stored events */
typedef struct OjLookbacks OjLookbacks;
extern OjLookbacks *oj_lookbacks_read(void);
extern const Interval *oj_lookback_of(OjLookbacks *l, text *source);

/*
 * The candidate lookups that feed the rule, each with a state of its own.
 * txn() finds the transactions row of an ID, with its expires_at;
 * sessions_first() and sessions_next() walk a customer's sessions that
 * started in [from, to] (newest first when ordered: the rule then stops at
 * the first older than its best); txn_fill() and session_fill() copy the
 * row found last into an OjMatch's columns.
 *
 * A batched lookup (batch_begin set, told the batch's number of events)
 * answers nothing at first: the rule is applied to a batch of events three
 * times, and batch_lookup() runs after
 * the first (the transaction IDs the rule asked for) and the second (the
 * customers' sessions it asked for, those that did not match by
 * transaction ID); the third gets the answers.
 */
typedef struct OjLookups
{
	bool		ordered;
	bool		(*txn) (void *state, text *txn, TimestampTz *expires_at);
	void		(*txn_fill) (void *state, OjMatch *out);
	bool		(*sessions_first) (void *state, text *customer, TimestampTz from, TimestampTz to,
								   TimestampTz *started_at, text **session_id);
	bool		(*sessions_next) (void *state, TimestampTz *started_at, text **session_id);
	void		(*session_fill) (void *state, OjMatch *out);
	void		(*batch_begin) (void *state, int nevents);
	void		(*batch_lookup) (void *state);
	void		(*close) (void *state);
} OjLookups;

/* in match_local.c */
extern const OjLookups *oj_local_lookups_open(void **state);

#endif							/* OJ_MATCH_H */
