/*-------------------------------------------------------------------------
 *
 * source.c
 *	  Offline sources (spec section 2): the name/format/options rules shared
 *	  by create_source(), the CHECK on offline_join.sources and every loader.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "backend.h"
#include "guc.h"

PG_FUNCTION_INFO_V1(oj_source_is_valid);
PG_FUNCTION_INFO_V1(oj_create_source);

#define OJ_VALID_OPTIONS "header, timezone, reject_limit, lookback, require_known_product, total_tolerance"
#define OJ_MAX_SOURCE_NAME 57	/* so that inbox_<name> fits NAMEDATALEN */

/* Raises ERROR unless name is 1-57 characters of a-z, 0-9 and _, not starting with a digit. */
static void
oj_check_source_name(const char *name)
{
	size_t		len = strlen(name);
	const char *p;

	if (len == 0 || len > OJ_MAX_SOURCE_NAME || (name[0] >= '0' && name[0] <= '9'))
		goto bad;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			goto bad;
	return;
bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_NAME),
			 errmsg("invalid source name \"%s\"", name),
			 errdetail("A source name is 1 to %d characters of lower-case letters, digits and underscores, not starting with a digit.",
					   OJ_MAX_SOURCE_NAME)));
}

/* The text of a jsonb scalar for messages. */
static char *
oj_jsonb_value_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNull:
			return pstrdup("null");
		default:
			return pstrdup("(a JSON array or object)");
	}
}

/* Raises the error for an option whose value has the wrong type or range. */
static void
oj_bad_option(const char *source, const char *option, JsonbValue *v, const char *want)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value %s for option \"%s\" of source \"%s\"",
					oj_jsonb_value_text(v), option, source),
			 errdetail("Option \"%s\" takes %s.", option, want)));
}

/*
 * Checks name, format and options and fills *src.  Every problem is an
 * ERROR that names the source and the option.
 */
void
oj_source_parse(const char *name, const char *format, Jsonb *options, OjSource *src)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	oj_check_source_name(name);
	memset(src, 0, sizeof(*src));
	src->name = pstrdup(name);
	if (!oj_format_from_name(format, &src->kind))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown format \"%s\" for source \"%s\"", format, name),
				 errhint("Valid formats are: rmc, adobe.")));
	src->header = true;
	src->timezone = "UTC";
	src->reject_limit = -1;
	src->lookback.day = 30;

	if (options == NULL)
		goto done;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of source \"%s\" must be a JSON object", name),
				 errhint("Valid options are: " OJ_VALID_OPTIONS ".")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;

		if (strcmp(key, "header") == 0)
		{
			if (v.type != jbvBool)
				oj_bad_option(name, key, &v, "true or false");
			src->header = v.val.boolean;
			if (!src->header && src->kind == OJ_FORMAT_ADOBE)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("source \"%s\" of format adobe cannot have header false", name),
						 errdetail("An Adobe Data Sources file always starts with its header line; the header decides the join key.")));
		}
		else if (strcmp(key, "timezone") == 0)
		{
			if (v.type != jbvString)
				oj_bad_option(name, key, &v, "a time zone name such as \"Europe/Copenhagen\"");
			src->timezone = oj_jsonb_value_text(&v);
			/*
			 * A digit means an offset: "UTC+5", "+05:00" and "Etc/GMT+5" are
			 * POSIX zones, whose sign is the opposite of ISO 8601's (five
			 * hours west of UTC).  Refused rather than read the surprising way.
			 */
			if (strpbrk(src->timezone, "0123456789") != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for option \"timezone\" of source \"%s\"",
								src->timezone, name),
						 errdetail("Offsets such as \"UTC+5\", \"+05:00\" or \"Etc/GMT+5\" are POSIX time zones, whose sign is the opposite of ISO 8601's: \"UTC+5\" means five hours west of UTC."),
						 errhint("Use a time zone name such as \"Europe/Copenhagen\" or \"America/New_York\", or \"UTC\".")));
			if (pg_tzset(src->timezone) == NULL)
				oj_bad_option(name, key, &v, "a time zone name such as \"Europe/Copenhagen\"");
		}
		else if (strcmp(key, "reject_limit") == 0)
		{
			char	   *text;
			char	   *end;
			long long	n;

			if (v.type != jbvNumeric)
				oj_bad_option(name, key, &v, "a whole number of rows, 0 or more");
			text = oj_jsonb_value_text(&v);
			errno = 0;
			n = strtoll(text, &end, 10);
			if (*end != '\0' || errno != 0 || n < 0)
				oj_bad_option(name, key, &v, "a whole number of rows, 0 or more");
			src->reject_limit = n;
		}
		else if (strcmp(key, "lookback") == 0)
		{
			if (v.type != jbvString || !oj_parse_interval(oj_jsonb_value_text(&v), &src->lookback) ||
				oj_span_problem(&src->lookback, false) != NULL)
				oj_bad_option(name, key, &v, "a positive interval of at most 2 years from any date, all of its parts of one sign, such as \"30 days\"");
		}
		else if (strcmp(key, "require_known_product") == 0)
		{
			if (v.type != jbvBool)
				oj_bad_option(name, key, &v, "true or false");
			src->require_known_product = v.val.boolean;
		}
		else if (strcmp(key, "total_tolerance") == 0)
		{
			if (v.type != jbvNumeric || numeric_is_nan(v.val.numeric) ||
				numeric_is_inf(v.val.numeric) ||
				DatumGetBool(DirectFunctionCall2(numeric_lt, NumericGetDatum(v.val.numeric),
												 DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))))
				oj_bad_option(name, key, &v, "a number, 0 or more");
			src->has_tolerance = true;
			src->total_tolerance = DatumGetNumeric(datumCopy(NumericGetDatum(v.val.numeric), false, -1));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" for source \"%s\"", key, name),
					 errhint("Valid options are: " OJ_VALID_OPTIONS ".")));
	}
done:
	src->tz = pg_tzset(src->timezone);
}

/* Looks up a source by name; ERROR 42704 naming it when there is none. */
OjSource *
oj_source_get(const char *name)
{
	OjSource   *src = palloc(sizeof(OjSource));
	Datum		arg = CStringGetTextDatum(name);
	char	   *format;
	Jsonb	   *options;
	bool		isnull;
	MemoryContext outer = CurrentMemoryContext;
	int			rc;

	SPI_connect();
	rc = SPI_execute_with_args("SELECT format::pg_catalog.text, options::pg_catalog.jsonb FROM offline_join.sources"
							   " WHERE name OPERATOR(pg_catalog.=) $1",
							   1, (Oid[]) {TEXTOID}, &arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.sources failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" does not exist", name),
				 errhint("Create it with offline_join.create_source(name, format, options).")));
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);

		format = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		options = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	oj_source_parse(name, format, options, src);
	return src;
}

/* source_is_valid(name, format, options): the CHECK of offline_join.sources. */
Datum
oj_source_is_valid(PG_FUNCTION_ARGS)
{
	OjSource	src;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();		/* NOT NULL constraints speak for these */
	oj_source_parse(text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
					PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &src);
	PG_RETURN_BOOL(true);
}

/* create_source(name, format, options): validates and inserts one source. */
Datum
oj_create_source(PG_FUNCTION_ARGS)
{
	OjSource	src;
	char	   *name;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			rc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source name and format must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	oj_source_parse(name, text_to_cstring(PG_GETARG_TEXT_PP(1)),
					PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &src);

	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")) : PG_GETARG_DATUM(2);
	SPI_connect();
	rc = SPI_execute_with_args("INSERT INTO offline_join.sources (name, format, options)"
							   " VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
							   3, (Oid[]) {TEXTOID, TEXTOID, JSONBOID}, args, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "inserting into offline_join.sources failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("source \"%s\" already exists", name),
				 errhint("Change it with UPDATE offline_join.sources.")));
	SPI_finish();
	PG_RETURN_VOID();
}
