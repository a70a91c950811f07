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

#include "source.h"
#include "guc.h"
#include "pg_compat.h"

char	   *oj_transaction_window_string = NULL;
int			oj_expire_naptime = 60;
int			oj_expire_batch_size = 10000;
int			oj_citus_match_batch = 50000;
char	   *oj_database = NULL;
char	   *oj_reject_retention_string = NULL;

/* The parsed value of offline_join.transaction_window (set by the assign hook). */
static Interval oj_window_value;

/* The parsed value of offline_join.reject_retention; on false: 'off'. */
typedef struct OjRetention
{
	bool		on;
	Interval	value;
} OjRetention;
static OjRetention oj_reject_retention_value;

#define OJ_REJECT_RETENTION_HINT \
	"Rejects are kept for more than zero and at most 2 years after their load, such as \"90 days\" or \"1 year\", " \
	"all parts of the interval of one sign; \"off\" keeps them forever."

/*
 * Parses an interval the way interval_in does with IntervalStyle 'postgres',
 * whatever the session's style, but reports failure instead of throwing: a
 * stored option ("1 2:00") reads the same in every session and in a restore.
 */
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
	int			style = IntervalStyle;

	if (str == NULL || strlen(str) >= sizeof(workbuf) - 1)
		return false;
	/* DecodeInterval reads IntervalStyle and never throws */
	IntervalStyle = INTSTYLE_POSTGRES;
	dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm_in);
	IntervalStyle = style;
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

/*
 * t + iv (or t - iv) in UTC's calendar: months, then days, then time, as
 * timestamptz arithmetic does, but in no session's time zone, so that every
 * session (and a restore) computes the same instant.
 */
TimestampTz
oj_utc_plus(TimestampTz t, const Interval *iv, bool minus)
{
	return DatumGetTimestamp(DirectFunctionCall2(minus ? timestamp_mi_interval : timestamp_pl_interval,
												 TimestampGetDatum(t),
												 IntervalPGetDatum(unconstify(Interval *, iv))));
}

/* The longest span offline_join keeps or looks back over: 2 years. */
static const Interval oj_two_years = {0, 0, 24};

/*
 * Is iv "positive (or zero, when allowed), at most 2 years": NULL if so,
 * else why not.  One rule for the transaction window, a retention and a
 * lookback, applied as they are used: calendar arithmetic (UTC) from the
 * time they apply to, forwards and backwards.  A value is set before that
 * time is known, so it must hold from every date: the dates of a 4-year
 * cycle (every month length and leap day) are tried.  Mixed signs are
 * refused outright: '1000 months -29290 days' compares as less than 2
 * years but adds more than 3.
 */
const char *
oj_span_problem(const Interval *iv, bool allow_zero)
{
	static Interval checked;	/* the last value found good */
	static bool have_checked = false;
	bool		negative = iv->month < 0 || iv->day < 0 || iv->time < 0;
	bool		positive = iv->month > 0 || iv->day > 0 || iv->time > 0;
	TimestampTz start;
	int			d;

	if (negative && positive)
		return "mixes positive and negative parts";
	if (negative)
		return allow_zero ? "must not be negative" : "must be positive";
	if (!positive)
		return allow_zero ? NULL : "must be positive";
	/* no part alone may be over 2 years (nor overflow what follows) */
	if (iv->month > 24 || iv->day > 800 || iv->time > 800 * USECS_PER_DAY)
		return "must be at most 2 years";
	/* a month is at most 31 days, and 2 years at least 730 */
	if ((int64) iv->month * 31 + iv->day + iv->time / USECS_PER_DAY + (iv->time % USECS_PER_DAY != 0) <= 730 ||
		(iv->month == 24 && iv->day == 0 && iv->time == 0))
		return NULL;
	if (have_checked && memcmp(&checked, iv, sizeof(Interval)) == 0)
		return NULL;
	if (iv->month == 24 || (int64) iv->day + iv->time / USECS_PER_DAY > 800)
		return "must be at most 2 years";
	/* 2024-01-01 00:00 UTC, a leap year's first day */
	start = (TimestampTz) 8766 * USECS_PER_DAY;
	for (d = 0; d < 4 * 365 + 1; d++)
	{
		TimestampTz t = start + (TimestampTz) d * USECS_PER_DAY;

		if (oj_utc_plus(t, iv, false) > oj_utc_plus(t, &oj_two_years, false) ||
			oj_utc_plus(t, iv, true) < oj_utc_plus(t, &oj_two_years, true))
			return "must be at most 2 years from any date";
	}
	checked = *iv;
	have_checked = true;
	return NULL;
}

/*
 * Raises ERROR 22023 unless iv passes oj_span_problem(); what names the
 * setting or argument, hint says what it is for.
 */
void
oj_check_span(const Interval *iv, bool allow_zero, const char *what, const char *hint)
{
	const char *why = oj_span_problem(iv, allow_zero);

	if (why != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %s", what, why),
				 errdetail("The value given is \"%s\".",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(unconstify(Interval *, iv))))),
				 errhint("%s", hint)));
}

/* Raises ERROR 22023 unless retention is within (0, 2 years]; what names the argument. */
void
oj_check_retention(const Interval *retention, const char *what)
{
	oj_check_span(retention, false, what,
				  "Transaction IDs are kept for more than zero and at most 2 years, such as \"90 days\" or \"2 years\"; all parts of the interval of one sign.");
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
	if ((why = oj_span_problem(&value, false)) != NULL)
	{
		GUC_check_errdetail("The transaction window %s.", why);
		GUC_check_errhint("Transaction IDs are kept for more than zero and at most 2 years, such as \"90 days\" or \"2 years\"; all parts of the interval of one sign.");
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

/* The current offline_join.reject_retention; NULL when it is off (rejects are kept forever). */
const Interval *
oj_reject_retention(void)
{
	return oj_reject_retention_value.on ? &oj_reject_retention_value.value : NULL;
}

/* Raises ERROR 22023 unless a retention of rejects is within (0, 2 years]; what names the argument. */
void
oj_check_reject_retention(const Interval *retention, const char *what)
{
	oj_check_span(retention, false, what, OJ_REJECT_RETENTION_HINT);
}

/* 'off', or an interval by the one rule for spans (oj_span_problem()), in any IntervalStyle. */
static bool
check_reject_retention(char **newval, void **extra, GucSource source)
{
	OjRetention value = {true};
	const char *why;
	OjRetention *copy;

	if (pg_strcasecmp(*newval, "off") == 0)
		value.on = false;
	else if (!oj_parse_interval(*newval, &value.value))
	{
		GUC_check_errdetail("\"%s\" is neither an interval nor \"off\".", *newval);
		GUC_check_errhint(OJ_REJECT_RETENTION_HINT);
		return false;
	}
	else if ((why = oj_span_problem(&value.value, false)) != NULL)
	{
		GUC_check_errdetail("The retention of rejects %s.", why);
		GUC_check_errhint(OJ_REJECT_RETENTION_HINT);
		return false;
	}
	copy = oj_guc_malloc(sizeof(OjRetention));
	if (copy == NULL)
		return false;
	*copy = value;
	*extra = copy;
	return true;
}

static void
assign_reject_retention(const char *newval, void *extra)
{
	oj_reject_retention_value = *(OjRetention *) extra;
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
	 * PGC_SUSET: it decides when evidence is deleted.  The worker reads the
	 * server's value; a superuser's session value applies to that
	 * session's expire_rejects().
	 */
	DefineCustomStringVariable("offline_join.reject_retention",
							   "How long the rejects of a load are kept after the load, or off.",
							   "The expiry worker deletes the rejects (with their raw lines) of loads "
							   "that finished longer ago; the ledger row keeps its counts.  At most 2 years; "
							   "off keeps them forever.",
							   &oj_reject_retention_string,
							   "90 days",
							   PGC_SUSET, 0,
							   check_reject_retention, assign_reject_retention, NULL);

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
