/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Configuration parameters of offline_join (spec section 6) and the
 *	  transaction-window rule they share with record_transaction().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "backend.h"
#include "pg_compat.h"

char	   *oj_transaction_window_string = NULL;
int			oj_expire_naptime = 60;
int			oj_expire_batch_size = 10000;
int			oj_citus_match_batch = 50000;
char	   *oj_database = NULL;

/* The parsed value of offline_join.transaction_window (set by the assign hook). */
static Interval oj_window_value;

/* Parses an interval the way interval_in does, but reports failure instead of throwing. */
bool
oj_parse_interval(const char *str, Interval *result)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm_in;
	int			dterr;

	if (str == NULL || strlen(str) >= sizeof(workbuf) - 1)
		return false;
	dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm_in);
	if (dterr == DTERR_BAD_FORMAT)
	{
		char		copy[256];

		strlcpy(copy, str, sizeof(copy));
		dterr = DecodeISO8601Interval(copy, &dtype, &itm_in);
	}
	if (dterr != 0 || dtype != DTK_DELTA)
		return false;
	return itmin2interval(&itm_in, result) == 0;
}

/* Compares two intervals the way the interval type's < and > do. */
static int
oj_interval_cmp(const Interval *a, const Interval *b)
{
	return DatumGetInt32(DirectFunctionCall2(interval_cmp,
											 IntervalPGetDatum(unconstify(Interval *, a)),
											 IntervalPGetDatum(unconstify(Interval *, b))));
}

/* Is the interval positive and at most two years?  Sets *why otherwise. */
static bool
oj_retention_ok(const Interval *value, const char **why)
{
	Interval	zero = {0, 0, 0};
	Interval	ceiling = {0, 0, 24};	/* 2 years */

	if (oj_interval_cmp(value, &zero) <= 0)
	{
		*why = "must be positive";
		return false;
	}
	if (oj_interval_cmp(value, &ceiling) > 0)
	{
		*why = "must be at most 2 years";
		return false;
	}
	return true;
}

/*
 * Is the interval a valid lookback for customer matching: positive (or
 * zero, when allowed) and at most 2 years, the longest a transaction ID may
 * be kept too?  Longer ones would only push event_time - lookback out of
 * timestamptz's range.
 */
bool
oj_lookback_ok(const Interval *value, bool allow_zero)
{
	Interval	zero = {0, 0, 0};
	Interval	ceiling = {0, 0, 24};	/* 2 years */
	int			c = oj_interval_cmp(value, &zero);

	return (allow_zero ? c >= 0 : c > 0) && oj_interval_cmp(value, &ceiling) <= 0;
}

/* Raises ERROR 22023 unless retention is within (0, 2 years]; what names the argument. */
void
oj_check_retention(const Interval *retention, const char *what)
{
	const char *why;

	if (!oj_retention_ok(retention, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %s", what, why),
				 errdetail("The value given is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(unconstify(Interval *, retention))))),
				 errhint("Transaction IDs are kept for more than zero and at most 2 years.")));
}

/* The current offline_join.transaction_window. */
Interval *
oj_transaction_window(void)
{
	return &oj_window_value;
}

static bool
check_transaction_window(char **newval, void **extra, GucSource source)
{
	Interval	value;
	const char *why;
	Interval   *copy;

	if (!oj_parse_interval(*newval, &value))
	{
		GUC_check_errdetail("\"%s\" is not an interval.", *newval);
		return false;
	}
	if (!oj_retention_ok(&value, &why))
	{
		GUC_check_errdetail("The transaction window %s.", why);
		return false;
	}
	copy = oj_guc_malloc(sizeof(Interval));
	if (copy == NULL)
		return false;
	*copy = value;
	*extra = copy;
	return true;
}

static void
assign_transaction_window(const char *newval, void *extra)
{
	oj_window_value = *(Interval *) extra;
}

/* Defines every parameter under the reserved offline_join prefix. */
void
oj_guc_init(void)
{
	DefineCustomStringVariable("offline_join.transaction_window",
							   "How long a recorded transaction ID can be matched.",
							   "Default retention of record_transaction() and of rows inserted "
							   "into offline_join.transactions without expires_at; at most 2 years.",
							   &oj_transaction_window_string,
							   "90 days",
							   PGC_USERSET, 0,
							   check_transaction_window, assign_transaction_window, NULL);

	DefineCustomIntVariable("offline_join.expire_naptime",
							"Seconds the expiry worker sleeps between passes.",
							NULL,
							&oj_expire_naptime,
							60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("offline_join.expire_batch_size",
							"Expired transaction IDs deleted per short transaction.",
							NULL,
							&oj_expire_batch_size,
							10000, 1, 10000000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("offline_join.citus_match_batch",
							"Events matched together, with one set of lookups, on the Citus layout.",
							"More events per batch make fewer trips to the shards and take more memory.",
							&oj_citus_match_batch,
							50000, 1, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	/*
	 * Not PGC_POSTMASTER: that would be FATAL when the library is loaded
	 * without preloading.  The worker restarts itself when it changes.
	 */
	DefineCustomStringVariable("offline_join.database",
							   "Database the expiry worker connects to.",
							   NULL,
							   &oj_database,
							   "postgres",
							   PGC_SIGHUP, 0,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("offline_join");
}
