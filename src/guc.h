/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  The configuration parameters of offline_join (guc.c) and the interval
 *	  rules they share with the options of sources and record_transaction():
 *	  parsing a stored interval, the transaction window, spans and
 *	  retentions, UTC arithmetic.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_GUC_H
#define OJ_GUC_H

#include "datatype/timestamp.h"

extern char *oj_transaction_window_string;
extern int	oj_expire_naptime;
extern int	oj_expire_batch_size;
extern int	oj_citus_match_batch;
extern char *oj_database;
extern char *oj_reject_retention_string;

extern void oj_guc_init(void);
extern bool oj_parse_interval(const char *str, Interval *result);
extern Interval *oj_transaction_window(void);
extern void oj_check_retention(const Interval *retention, const char *what);
extern const Interval *oj_reject_retention(void);
extern void oj_check_reject_retention(const Interval *retention, const char *what);
extern TimestampTz oj_utc_plus(TimestampTz t, const Interval *iv, bool minus);
extern const char *oj_span_problem(const Interval *iv, bool allow_zero);
extern void oj_check_span(const Interval *iv, bool allow_zero, const char *what, const char *hint);

#endif							/* OJ_GUC_H */
