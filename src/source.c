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
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "source.h"
#include "core_palloc.h"
#include "format_util.h"
#include "guc.h"

PG_FUNCTION_INFO_V1(oj_source_is_valid);
PG_FUNCTION_INFO_V1(oj_create_source);
PG_FUNCTION_INFO_V1(oj_format_columns);

/* The options of every source; a format reads its own (format.h). */
static const char *const oj_common_options[] = {
	"timezone", "reject_limit", "lookback", "require_known_product", "total_tolerance",
	"pattern", "require_fin", "changed_file", NULL
};
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

/* A jsonb value for a message: a string in double quotes, anything else as JSON writes it. */
static char *
oj_jsonb_value_quoted(JsonbValue *v)
{
	return v->type == jbvString ? psprintf("\"%s\"", oj_jsonb_value_text(v)) : oj_jsonb_value_text(v);
}

/* The format name closest to name, or NULL. */
static const char *
oj_closest_format(const char *name)
{
	char	   *list = pstrdup(oj_format_names());
	const char *names[16];
	int			n = 0;

	for (char *t = strtok(list, ", "); t != NULL && n < 15; t = strtok(NULL, ", "))
		names[n++] = t;
	names[n] = NULL;
	return oj_closest_name(name, names);
}

/* The time zone name closest to name, or NULL. */
static const char *
oj_closest_zone(const char *name)
{
	pg_tzenum  *e = pg_tzenumerate_start();
	pg_tz	   *tz;
	const char **names = palloc(sizeof(char *) * 2048);
	int			n = 0;

	while ((tz = pg_tzenumerate_next(e)) != NULL && n < 2047)
		names[n++] = pstrdup(pg_get_timezone_name(tz));
	pg_tzenumerate_end(e);
	names[n] = NULL;
	return oj_closest_name(name, names);
}

/* Raises the error for an option whose value has the wrong type or range. */
static void
oj_bad_option(const char *source, const char *option, JsonbValue *v, const char *want)
{
	const char *close = strcmp(option, "timezone") == 0 && v->type == jbvString
		? oj_closest_zone(oj_jsonb_value_text(v)) : NULL;

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value %s for option \"%s\" of source \"%s\"",
					oj_jsonb_value_quoted(v), option, source),
			 errdetail("Option \"%s\" takes %s.", option, want),
			 close ? errhint("Perhaps you meant \"%s\".", close) : 0));
}

/* Is key one of the options format base reads? */
static bool
oj_is_format_option(OjFormatKind base, const char *key)
{
	for (int i = 0; base->options[i] != NULL; i++)
		if (strcmp(key, base->options[i]) == 0)
			return true;
	return false;
}

/* "header, timezone, ...": the options a source of the format takes. */
static char *
oj_valid_options(OjFormatKind base)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; base->options[i] != NULL; i++)
		appendStringInfo(&s, "%s, ", base->options[i]);
	for (int i = 0; oj_common_options[i] != NULL; i++)
		appendStringInfo(&s, "%s%s", i > 0 ? ", " : "", oj_common_options[i]);
	return s.data;
}

/* ERROR for an option no source of the format takes, with the closest one. */
static void
oj_unknown_option(const char *source, OjFormatKind base, const char *key)
{
	const char *names[64];
	int			n = 0;
	const char *close;

	for (int i = 0; base->options[i] != NULL && n < 48; i++)
		names[n++] = base->options[i];
	for (int i = 0; oj_common_options[i] != NULL; i++)
		names[n++] = oj_common_options[i];
	names[n] = NULL;
	close = oj_closest_name(key, names);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown option \"%s\" for source \"%s\"", key, source),
			 close ? errhint("Perhaps you meant option \"%s\". Valid options are: %s.", close,
							 oj_valid_options(base))
			 : errhint("Valid options are: %s.", oj_valid_options(base))));
}

/*
 * Flattens one option's value into *opts for the format: an object's
 * members with their keys as the path, an array's elements with their
 * index, an empty one as OJ_OPT_EMPTY.
 */
static void
oj_flatten_option(const char *name, JsonbValue *v, int depth, int index, OjOption **opts, int *n)
{
	static const char *path[OJ_OPTION_DEPTH + 1];
	OjOption   *o;

	if (v->type == jbvBinary)
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	e;
		JsonbIteratorToken tok;
		bool		object = false;
		int			count = 0;
		char	   *key = NULL;

		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			if (tok == WJB_BEGIN_OBJECT)
				object = true;
			else if (tok == WJB_KEY)
				key = pnstrdup(e.val.string.val, e.val.string.len);
			else if (tok == WJB_VALUE || tok == WJB_ELEM)
			{
				if (object && depth < OJ_OPTION_DEPTH)
					path[depth] = key;
				oj_flatten_option(name, &e, object ? depth + 1 : depth,
								  object ? index : count, opts, n);
				count++;
			}
		}
		if (count > 0)
			return;
	}
	*opts = *opts ? repalloc(*opts, sizeof(OjOption) * (*n + 1)) : palloc(sizeof(OjOption));
	o = &(*opts)[(*n)++];
	memset(o, 0, sizeof(*o));
	o->name = pstrdup(name);
	o->depth = depth;
	for (int i = 0; i < depth && i < OJ_OPTION_DEPTH; i++)
		o->path[i] = path[i];
	o->index = index;
	o->type = v->type == jbvBinary ? OJ_OPT_EMPTY : v->type == jbvNull ? OJ_OPT_NULL :
		v->type == jbvBool ? OJ_OPT_BOOL : v->type == jbvNumeric ? OJ_OPT_NUMBER : OJ_OPT_STRING;
	o->text = v->type == jbvBinary ? NULL : oj_jsonb_value_text(v);
}

/* Does the source's format fill the event field of role from some column? */
static bool
oj_format_fills(const OjFormat *format, OjRole role)
{
	for (int i = 0; i < format->ncolumns; i++)
		if (format->columns[i].role == role)
			return true;
	return false;
}

/*
 * The product checks need the fields they compare: ERROR naming the
 * option when the format maps no product (or, for total_tolerance, no
 * num1 or num2).
 */
static void
oj_check_product_options(const OjSource *src)
{
	const char *option = src->require_known_product ? "require_known_product" : "total_tolerance";

	if (!src->require_known_product && !src->has_tolerance)
		return;
	if (!oj_format_fills(src->format, OJ_COL_PRODUCT) ||
		(src->has_tolerance && (!oj_format_fills(src->format, OJ_COL_NUM1) ||
								!oj_format_fills(src->format, OJ_COL_NUM2))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" of source \"%s\" needs %s mapped in option \"columns\"",
						src->has_tolerance && !src->require_known_product ? "total_tolerance" : option,
						src->name, src->has_tolerance ? "product, num1 and num2" : "product")));
}

/* The source's format configured by its options; ERROR naming the option otherwise. */
static void
oj_source_format(OjSource *src, OjFormatKind base, const OjOption *opts, int nopts)
{
	OjAllocator alloc = oj_palloc_allocator(CurrentMemoryContext);
	OjOptionError err;

	if (!oj_format_configure(base, opts, nopts, &alloc, &src->format, &err))
	{
		if (err.message[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value %s for option \"%s\" of source \"%s\"",
							err.value, err.option, src->name),
					 err.detail[0] ? errdetail("%s", err.detail) : 0,
					 err.hint[0] ? errhint("%s", err.hint) : 0));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" %s", src->name, err.message),
				 err.detail[0] ? errdetail("%s", err.detail) : 0,
				 err.hint[0] ? errhint("%s", err.hint) : 0));
	}
	if (src->format->encoding != NULL)
	{
		int			enc = pg_char_to_encoding(src->format->encoding);

		if (enc < 0 || !PG_VALID_FE_ENCODING(enc))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value %s for option \"encoding\" of source \"%s\"",
							src->format->encoding, src->name),
					 errdetail("Option \"encoding\" takes the name of an encoding PostgreSQL converts from, such as \"WIN1252\", \"LATIN1\" or \"UTF8\".")));
		src->encoding = enc == GetDatabaseEncoding() || GetDatabaseEncoding() == PG_SQL_ASCII ? -1 : enc;
	}
}

/*
 * One of the options every source has (oj_common_options) into *src: false
 * when key is none of them.  ERROR naming the option for a bad value.
 */
static bool
oj_common_option(OjSource *src, const char *key, JsonbValue *v_in)
{
	const char *name = src->name;
	JsonbValue	v = *v_in;

	if (strcmp(key, "timezone") == 0)
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
	else if (strcmp(key, "pattern") == 0)
	{
		if (v.type != jbvString || v.val.string.len == 0 || v.val.string.val[0] != '/')
			oj_bad_option(name, key, &v, "an absolute path pattern such as \"/data/incoming/sales_*.csv\"");
		src->pattern = oj_jsonb_value_text(&v);
	}
	else if (strcmp(key, "require_fin") == 0)
	{
		if (v.type != jbvBool)
			oj_bad_option(name, key, &v, "true or false");
		src->require_fin = v.val.boolean;
	}
	else if (strcmp(key, "changed_file") == 0)
	{
		char	   *t = v.type == jbvString ? oj_jsonb_value_text(&v) : NULL;

		if (t == NULL || (strcmp(t, "load") != 0 && strcmp(t, "replace") != 0 && strcmp(t, "refuse") != 0))
			oj_bad_option(name, key, &v, "\"load\", \"replace\" or \"refuse\": what load_dir() does with a path loaded before with other content");
		src->changed_file = t[0] == 'l' ? OJ_CHANGED_LOAD : t[0] == 'r' && t[2] == 'p' ? OJ_CHANGED_REPLACE : OJ_CHANGED_REFUSE;
	}
	else
		return false;
	return true;
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
	OjFormatKind base;
	OjOption   *fopts = NULL;
	int			nfopts = 0;

	oj_check_source_name(name);
	memset(src, 0, sizeof(*src));
	src->name = pstrdup(name);
	if (!oj_format_from_name(format, &base))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown format \"%s\" for source \"%s\"", format, name),
				 oj_closest_format(format) ? errhint("Perhaps you meant format \"%s\". Valid formats are: %s.",
													 oj_closest_format(format), oj_format_names())
				 : errhint("Valid formats are: %s.", oj_format_names())));
	src->format = base;
	src->encoding = -1;
	src->timezone = "UTC";
	src->reject_limit = -1;
	src->lookback.day = 30;

	if (options == NULL)
		goto done;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of source \"%s\" must be a JSON object", name),
				 errhint("Valid options are: %s.", oj_valid_options(base))));

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

		if (oj_is_format_option(base, key))
			oj_flatten_option(key, &v, 0, -1, &fopts, &nfopts);
		else if (!oj_common_option(src, key, &v))
			oj_unknown_option(name, base, key);
	}
done:
	oj_source_format(src, base, fopts, nfopts);
	oj_check_product_options(src);
	src->tz = pg_tzset(src->timezone);
}

/* A numbered column's name pattern with N for its number: "Evar N". */
static char *
oj_pattern_n(const char *pattern)
{
	const char *d = strstr(pattern, "%d");

	return d ? psprintf("%.*sN%s", (int) (d - pattern), pattern, d + 2) : pstrdup(pattern);
}

/*
 * format_columns(format, options DEFAULT '{}'): the format's column table
 * as its descriptor has it (a csv source's: as its options map it), with
 * each column's rule in words; numbered columns as one row each.
 */
Datum
oj_format_columns(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	OjSource	src;
	OjColumn	cols[300];
	int			pos[300];
	int			n;
	char		rule[256];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format must not be null")));
	oj_source_parse("format_columns", text_to_cstring(PG_GETARG_TEXT_PP(0)),
					PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1), &src);
	InitMaterializedSRF(fcinfo, 0);
	n = oj_format_table(src.format, cols, pos, lengthof(cols));
	for (int i = 0; i <= n + src.format->npatterns - 1; i++)
	{
		Datum		v[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		OjColumn	c;

		if (i < n)
		{
			c = cols[i];
			v[0] = Int32GetDatum(pos[i]);
			nulls[0] = pos[i] == 0;
			v[1] = CStringGetTextDatum(c.name);
			v[3] = CStringGetTextDatum(c.key);
		}
		else
		{
			const OjColumnPattern *p = &src.format->patterns[i - n];

			c = (OjColumn) {p->role, p->name, p->key, false};
			v[0] = Int32GetDatum(p->position);
			nulls[0] = p->position == 0;
			v[1] = CStringGetTextDatum(p->max > 0 ? psprintf("%s (N = %d to %d)", oj_pattern_n(p->name), p->first, p->max)
									   : psprintf("%s (N = %d on)", oj_pattern_n(p->name), p->first));
			v[3] = CStringGetTextDatum(oj_pattern_n(p->key));
		}
		oj_column_rule(src.format, &c, rule, sizeof(rule));
		v[2] = CStringGetTextDatum(oj_role_field(c.role));
		v[4] = CStringGetTextDatum(rule);
		v[5] = BoolGetDatum(c.required);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* The name of the existing source closest to name (inside an SPI connection), or NULL. */
static const char *
oj_closest_source(const char *name)
{
	const char **names;

	if (SPI_execute("SELECT name::pg_catalog.text FROM offline_join.sources ORDER BY 1 LIMIT 1000",
					true, 0) != SPI_OK_SELECT)
		return NULL;
	names = palloc(sizeof(char *) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	names[SPI_processed] = NULL;
	return oj_closest_name(name, names);
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
	{
		const char *close = oj_closest_source(name);

		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" does not exist", name),
				 close ? errhint("Perhaps you meant source \"%s\".", close)
				 : errhint("Create it with offline_join.create_source(name, format, options).")));
	}
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
	/*
	 * Files in an encoding this database cannot convert from could never
	 * load.  Checked here, not by the table's CHECK: a dump of the source
	 * restores into a database of another encoding, where loads then say so.
	 */
	if (src.encoding >= 0 && !OidIsValid(FindDefaultConversionProc(src.encoding, GetDatabaseEncoding())))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" reads files in encoding %s, which this database (encoding %s) cannot convert from",
						name, pg_encoding_to_char(src.encoding), GetDatabaseEncodingName()),
				 errhint("Convert the files first, or use a database in encoding UTF8.")));

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
