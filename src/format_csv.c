/*-------------------------------------------------------------------------
 *
 * format_csv.c
 *	  Format csv (spec section 10): a layout the source's options describe.
 *	  Option columns maps each event field to the file's column, by header
 *	  name or, without a header, by 1-based position; dims and attrs map
 *	  json keys to columns.  The dialect (delimiter, quote, header,
 *	  skip_lines), the decimal separator, the time template, which mapped
 *	  fields are required and what becomes of unmapped columns are options
 *	  too.  configure() turns them into a descriptor of its own; a file's
 *	  header then gives every column its role (layout_init), and the
 *	  column engine (validate.c) checks rows as it checks rmc's.
 *
 *	  Times: ISO 8601 by default (date, 'T' or a space, time, optional
 *	  fraction, optional 'Z' or offset), or option time_format, a template
 *	  of to_timestamp's elements YYYY MM DD HH24 HH12 HH MI SS MS US FF1-FF6
 *	  AM PM TZH TZM, double-quoted text and separators, each matched
 *	  exactly, so that a value is checked here and never by to_timestamp.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "format_util.h"
#include "validate.h"

#define OJ_CSV_MAX_MAP		256		/* mapped columns */
#define OJ_CSV_MAX_TEMPLATE 64		/* elements of a time template */
#define OJ_CSV_MAX_SKIP		1000
#define OJ_CSV_DEFAULT_COLS 32		/* columns built at first without a header */

/* One mapped column: the field (or json key) it fills and where it is. */
typedef struct OjCsvMap
{
	OjRole		role;
	const char *key;			/* event field, or the dims/attrs key */
	const char *label;			/* as the options name it: "num1", "dims.campaign" */
	const char *column;			/* the header name (header true) */
	int			position;		/* 1-based (header false) */
	bool		required;
} OjCsvMap;

/* Elements of a time template. */
typedef enum OjTimeElem
{
	TE_YEAR, TE_MONTH, TE_DAY, TE_HOUR24, TE_HOUR12, TE_MINUTE, TE_SECOND,
	TE_FRACTION, TE_AMPM, TE_TZH, TE_TZM, TE_LITERAL
} OjTimeElem;

typedef struct OjTimeStep
{
	OjTimeElem	elem;
	int			width;			/* digits at most (fraction: its digits) */
	char		literal;
} OjTimeStep;

struct OjCsvSpec
{
	int			nmap;
	OjCsvMap   *map;
	bool		unmapped_attrs; /* unmapped columns go to attrs (else read past) */
	bool		iso;			/* no time_format: ISO 8601 */
	int			nsteps;
	OjTimeStep	steps[OJ_CSV_MAX_TEMPLATE];
	char		expected[96];	/* the time shape for messages */
};

static const char *const csv_options[] = {
	"columns", "delimiter", "quote", "header", "skip_lines", "encoding", "decimal",
	"time_format", "required", "unmapped", NULL
};

/* The event fields option columns may map, with their roles. */
static const struct
{
	const char *field;
	OjRole		role;
}			csv_fields[] = {
	{"event_time", OJ_COL_TIME}, {"customer_id", OJ_COL_CUSTOMER},
	{"transaction_id", OJ_COL_TRANSACTION}, {"event_type", OJ_COL_EVENT_TYPE},
	{"category", OJ_COL_CATEGORY}, {"product", OJ_COL_PRODUCT},
	{"num1", OJ_COL_NUM1}, {"num2", OJ_COL_NUM2}, {"dims", OJ_COL_DIM}, {"attrs", OJ_COL_ATTR}
};

#define OJ_CSV_NFIELDS ((int) (sizeof(csv_fields) / sizeof(csv_fields[0])))

static const char *const csv_field_names[] = {
	"event_time", "customer_id", "transaction_id", "event_type", "category", "product",
	"num1", "num2", "dims", "attrs", NULL
};

/* ---------------------------------------------------------------- options */

/* Fill err for option o: invalid value, with detail (and an optional hint). */
static bool
option_error(OjOptionError *err, const OjOption *o, const char *detail, const char *hint)
{
	oj_option_name(o, err->option, sizeof(err->option));
	snprintf(err->value, sizeof(err->value), o->type == OJ_OPT_STRING ? "\"%s\"" : "%s",
			 o->type == OJ_OPT_EMPTY ? "(a JSON array or object)" :
			 o->text != NULL ? o->text : "null");
	snprintf(err->detail, sizeof(err->detail), "%s", detail);
	snprintf(err->hint, sizeof(err->hint), "%s", hint ? hint : "");
	return false;
}

/* Fill err with a message about the options as a whole. */
static bool
spec_error(OjOptionError *err, const char *message, const char *detail)
{
	snprintf(err->message, sizeof(err->message), "%s", message);
	snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
	return false;
}

/* A copy of s made with the allocator (NULL when memory runs out). */
static char *
copy_string(const OjAllocator *alloc, const char *s)
{
	size_t		len = strlen(s) + 1;
	char	   *c = alloc->alloc(alloc->ctx, len);

	if (c != NULL)
		memcpy(c, s, len);
	return c;
}

/* One character option (delimiter, quote): a string of one ASCII character. */
static bool
option_char(const OjOption *o, char *out, OjOptionError *err)
{
	const char *detail = "It takes one ASCII character other than a line end, such as \";\" or \"\\t\".";

	if (!oj_option_scalar(o, OJ_OPT_STRING, "one ASCII character other than a line end, such as \";\"", err))
		return false;
	if (strlen(o->text) != 1 || (unsigned char) o->text[0] >= 0x80 || o->text[0] == '\n' ||
		o->text[0] == '\r')
		return option_error(err, o, detail, NULL);
	*out = o->text[0];
	return true;
}

/* A whole number option within [min, max]. */
static bool
option_int(const OjOption *o, int min, int max, const char *want, int *out, OjOptionError *err)
{
	char	   *end;
	long		n;

	if (!oj_option_scalar(o, OJ_OPT_NUMBER, want, err))
		return false;
	n = strtol(o->text, &end, 10);
	if (*end != '\0' || n < min || n > max)
	{
		char		detail[256];

		snprintf(detail, sizeof(detail), "Option \"%s\" takes %s.", o->name, want);
		return option_error(err, o, detail, NULL);
	}
	*out = (int) n;
	return true;
}

/* The role of a field option columns may map; false with a hint if there is none. */
static bool
field_role(const OjOption *o, const char *field, OjRole *role, OjOptionError *err)
{
	const char *close;
	char		hint[256];

	for (int i = 0; i < OJ_CSV_NFIELDS; i++)
		if (strcmp(field, csv_fields[i].field) == 0)
		{
			*role = csv_fields[i].role;
			return true;
		}
	close = oj_closest_name(field, csv_field_names);
	snprintf(hint, sizeof(hint), "%s%s%sThe fields are: event_time, customer_id, transaction_id, event_type, category, product, num1, num2, dims, attrs.",
			 close ? "Perhaps you meant \"columns." : "", close ? close : "", close ? "\". " : "");
	oj_option_name(o, err->option, sizeof(err->option));
	snprintf(err->message, sizeof(err->message), "has unknown field \"%s\" in option \"columns\"", field);
	snprintf(err->hint, sizeof(err->hint), "%s", hint);
	return false;
}

/* One entry of option columns into m. */
static bool
read_mapping(const OjOption *o, bool header, const OjAllocator *alloc, OjCsvMap *m,
			 OjOptionError *err)
{
	char		label[128];
	bool		keyed;

	memset(m, 0, sizeof(*m));
	if (o->depth < 1)
		return option_error(err, o, "Option \"columns\" takes an object mapping each event field to a column of the file, such as {\"event_time\": \"Date\", \"customer_id\": \"Customer\"}.", NULL);
	if (!field_role(o, o->path[0], &m->role, err))
		return false;
	keyed = m->role == OJ_COL_DIM || m->role == OJ_COL_ATTR;
	if (keyed ? o->depth != 2 : o->depth != 1)
		return option_error(err, o, keyed ? "Fields dims and attrs take an object mapping each json key to a column, such as {\"campaign\": \"Campaign\"}."
							: "A field maps to one column: its name in the header, or its 1-based position when header is false.", NULL);
	if (o->index >= 0)
		return option_error(err, o, "A field maps to one column, not to an array of them.", NULL);
	if (header && (o->type != OJ_OPT_STRING || o->text[0] == '\0'))
		return option_error(err, o, "With a header, a field maps to the name of a column of the header, such as \"Conversion Time\".", "Set option header to false to map columns by position.");
	if (!header)
	{
		char	   *end;
		long		n = o->type == OJ_OPT_NUMBER ? strtol(o->text, &end, 10) : 0;

		if (o->type != OJ_OPT_NUMBER || *end != '\0' || n < 1 || n > OJ_MAX_COLUMNS)
			return option_error(err, o, "Without a header (option header false), a field maps to the 1-based position of a column, such as 3.", NULL);
		m->position = (int) n;
	}
	oj_option_name(o, label, sizeof(label));
	m->label = copy_string(alloc, label + strlen("columns."));
	m->key = copy_string(alloc, keyed ? o->path[1] : o->path[0]);
	m->column = header ? copy_string(alloc, o->text) : NULL;
	if (m->label == NULL || m->key == NULL || (header && m->column == NULL))
		return spec_error(err, "could not be read: out of memory", NULL);
	return true;
}

/* Mark a mapped field required (option required). */
static bool
mark_required(OjCsvSpec *spec, const OjOption *o, OjOptionError *err)
{
	if (o->type != OJ_OPT_STRING || o->depth != 0 || o->index < 0)
		return option_error(err, o, "Option \"required\" takes an array of mapped fields, such as [\"product\", \"num1\", \"dims.campaign\"].", NULL);
	for (int i = 0; i < spec->nmap; i++)
		if (strcmp(spec->map[i].label, o->text) == 0)
		{
			spec->map[i].required = true;
			return true;
		}
	return option_error(err, o, "Every field option required names must be mapped by option columns.", NULL);
}

/* The checks of the options as a whole, once all are read. */
static bool
check_spec(const OjCsvSpec *spec, const OjFormat *f, OjOptionError *err)
{
	bool		time = false,
				key = false;
	char		detail[256];

	for (int i = 0; i < spec->nmap; i++)
	{
		time |= spec->map[i].role == OJ_COL_TIME;
		key |= spec->map[i].role == OJ_COL_CUSTOMER || spec->map[i].role == OJ_COL_TRANSACTION;
		for (int j = 0; j < i; j++)
			if (f->header ? strcmp(spec->map[i].column, spec->map[j].column) == 0
				: spec->map[i].position == spec->map[j].position)
			{
				if (f->header)
					snprintf(detail, sizeof(detail), "Column \"%s\" is mapped to both %s and %s; a column fills one field.",
							 spec->map[i].column, spec->map[j].label, spec->map[i].label);
				else
					snprintf(detail, sizeof(detail), "Column %d is mapped to both %s and %s; a column fills one field.",
							 spec->map[i].position, spec->map[j].label, spec->map[i].label);
				return spec_error(err, "maps a column twice in option \"columns\"", detail);
			}
	}
	if (spec->nmap == 0)
		return spec_error(err, "of format csv needs option \"columns\"",
						  "Option \"columns\" maps event fields to the file's columns, such as {\"event_time\": \"Date\", \"customer_id\": \"Customer\"}.");
	if (!time)
		return spec_error(err, "of format csv must map event_time in option \"columns\"", NULL);
	if (!key)
		return spec_error(err, "of format csv must map customer_id or transaction_id in option \"columns\"",
						  "Events are joined to sessions by transaction ID or by customer ID.");
	if (f->dialect.delimiter == f->dialect.quote)
		return spec_error(err, "has the same character as option \"delimiter\" and option \"quote\"", NULL);
	if (f->decimal == f->dialect.delimiter || f->decimal == f->dialect.quote)
	{
		snprintf(detail, sizeof(detail), "Numbers with a decimal \"%c\" need another %s.",
				 f->decimal, f->decimal == f->dialect.delimiter ? "delimiter, such as \";\"" : "quote character");
		return spec_error(err, f->decimal == f->dialect.delimiter ? "has the same character as option \"decimal\" and option \"delimiter\""
						  : "has the same character as option \"decimal\" and option \"quote\"", detail);
	}
	if (isalnum((unsigned char) f->dialect.delimiter) || isalnum((unsigned char) f->dialect.quote))
		return spec_error(err, "has a letter or digit as option \"delimiter\" or option \"quote\"",
						  "Values hold letters and digits: a delimiter or quote among them would split them.");
	return true;
}

static bool compile_template(OjCsvSpec *spec, const OjOption *o, OjOptionError *err);

/* Options other than columns and required. */
static bool
read_setting(OjFormat *f, OjCsvSpec *spec, const OjOption *o, const OjAllocator *alloc,
			 OjOptionError *err)
{
	const char *n = o->name;

	if (strcmp(n, "delimiter") == 0)
		return option_char(o, &f->dialect.delimiter, err);
	if (strcmp(n, "quote") == 0)
		return option_char(o, &f->dialect.quote, err);
	if (strcmp(n, "skip_lines") == 0)
		return option_int(o, 0, OJ_CSV_MAX_SKIP, "a whole number of lines, 0 to 1000", &f->dialect.skip_lines, err);
	if (strcmp(n, "encoding") == 0)
	{
		if (!oj_option_scalar(o, OJ_OPT_STRING, "an encoding name such as \"WIN1252\" or \"LATIN1\"", err))
			return false;
		return (f->encoding = copy_string(alloc, o->text)) != NULL;
	}
	if (strcmp(n, "decimal") == 0)
	{
		if (!oj_option_scalar(o, OJ_OPT_STRING, "\".\" or \",\"", err))
			return false;
		if (strcmp(o->text, ".") != 0 && strcmp(o->text, ",") != 0)
			return option_error(err, o, "Option \"decimal\" takes \".\" or \",\".", NULL);
		f->decimal = o->text[0];
		return true;
	}
	if (strcmp(n, "time_format") == 0)
		return compile_template(spec, o, err);
	if (strcmp(n, "unmapped") == 0)
	{
		if (!oj_option_scalar(o, OJ_OPT_STRING, "\"ignore\" or \"attrs\"", err))
			return false;
		if (strcmp(o->text, "ignore") != 0 && strcmp(o->text, "attrs") != 0)
			return option_error(err, o, "Option \"unmapped\" takes \"ignore\" or \"attrs\".", NULL);
		spec->unmapped_attrs = strcmp(o->text, "attrs") == 0;
		return true;
	}
	return true;
}

static bool only_key(const OjCsvSpec *spec, OjRole role);

/* The descriptor's column table: the mapped columns, in the order of option columns. */
static bool
column_table(OjFormat *f, const OjCsvSpec *spec, const OjAllocator *alloc)
{
	OjColumn   *cols = alloc->alloc(alloc->ctx, sizeof(OjColumn) * (spec->nmap + 1));
	int		   *pos = f->header ? NULL : alloc->alloc(alloc->ctx, sizeof(int) * (spec->nmap + 1));

	if (cols == NULL || (!f->header && pos == NULL))
		return false;
	for (int i = 0; i < spec->nmap; i++)
	{
		const OjCsvMap *m = &spec->map[i];
		char		name[32];

		snprintf(name, sizeof(name), "column %d", m->position);
		cols[i].role = m->role;
		cols[i].name = f->header ? m->column : copy_string(alloc, name);
		cols[i].key = m->key;
		cols[i].required = m->required ||
			((m->role == OJ_COL_CUSTOMER || m->role == OJ_COL_TRANSACTION) && only_key(spec, m->role));
		if (pos != NULL)
			pos[i] = m->position;
		if (cols[i].name == NULL)
			return false;
	}
	f->columns = cols;
	f->ncolumns = spec->nmap;
	f->by_position = !f->header;
	f->positions = pos;
	return true;
}

/*
 * The csv descriptor of a source: a copy of the base with the options'
 * dialect, columns and settings.  header is read first, since it decides
 * how columns name their columns.
 */
static bool
csv_configure(const OjFormat *base, const OjOption *opts, int nopts,
			  const OjAllocator *alloc, const OjFormat **out, OjOptionError *err)
{
	OjFormat   *f = alloc->alloc(alloc->ctx, sizeof(OjFormat));
	OjCsvSpec  *spec = alloc->alloc(alloc->ctx, sizeof(OjCsvSpec));

	if (f == NULL || spec == NULL ||
		(spec->map = alloc->alloc(alloc->ctx, sizeof(OjCsvMap) * OJ_CSV_MAX_MAP)) == NULL)
		return spec_error(err, "could not be read: out of memory", NULL);
	*f = *base;
	memset(spec, 0, offsetof(OjCsvSpec, map));
	spec->nmap = 0;
	spec->unmapped_attrs = false;
	spec->iso = true;
	spec->nsteps = 0;
	snprintf(spec->expected, sizeof(spec->expected), "%s", base->time_expected);
	f->csv = spec;
	for (int i = 0; i < nopts; i++)
		if (strcmp(opts[i].name, "header") == 0)
		{
			if (!oj_option_bool(&opts[i], err))
				return false;
			f->header = strcmp(opts[i].text, "true") == 0;
		}
	for (int i = 0; i < nopts; i++)
	{
		const OjOption *o = &opts[i];

		if (strcmp(o->name, "columns") == 0)
		{
			if (o->type == OJ_OPT_EMPTY && o->depth == 0)
				continue;
			if (spec->nmap == OJ_CSV_MAX_MAP)
				return spec_error(err, "maps more than 256 columns in option \"columns\"", NULL);
			if (!read_mapping(o, f->header, alloc, &spec->map[spec->nmap], err))
				return false;
			spec->nmap++;
		}
		else if (strcmp(o->name, "required") != 0 && !read_setting(f, spec, o, alloc, err))
			return false;
	}
	for (int i = 0; i < nopts; i++)
		if (strcmp(opts[i].name, "required") == 0 && opts[i].type != OJ_OPT_EMPTY &&
			!mark_required(spec, &opts[i], err))
			return false;
	for (int i = 0; i < spec->nmap; i++)
	{
		const OjCsvMap *m = &spec->map[i];
		int			n;
		char		tail;

		spec->map[i].required |= m->role == OJ_COL_TIME;
		if (!f->header && spec->unmapped_attrs && m->role == OJ_COL_ATTR &&
			sscanf(m->key, "column_%d%c", &n, &tail) == 1)
			return spec_error(err, "maps an attrs key that an unmapped column would fill",
							  "Without a header, unmapped columns are kept in attrs as column_N: choose another key.");
	}
	if (!check_spec(spec, f, err))
		return false;
	f->time_expected = spec->expected;
	f->inbox_header = f->header ? OJ_INBOX_BY_NAME : OJ_INBOX_BY_POSITION;
	if (!column_table(f, spec, alloc))
		return spec_error(err, "could not be read: out of memory", NULL);
	*out = f;
	return true;
}

/* ---------------------------------------------------------------- times */

/* Does the template at p start with element name (ASCII case ignored)? */
static bool
starts(const char *p, const char *name)
{
	for (; *name; p++, name++)
		if ((*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p) != *name)
			return false;
	return true;
}

/* The template elements, longest first where one name starts another. */
static const struct
{
	const char *name;
	OjTimeElem	elem;
	int			width;
}			time_elems[] = {
	{"YYYY", TE_YEAR, 4}, {"HH24", TE_HOUR24, 2}, {"HH12", TE_HOUR12, 2}, {"HH", TE_HOUR12, 2},
	{"MM", TE_MONTH, 2}, {"DD", TE_DAY, 2}, {"MI", TE_MINUTE, 2}, {"SS", TE_SECOND, 2},
	{"MS", TE_FRACTION, 3}, {"US", TE_FRACTION, 6}, {"FF1", TE_FRACTION, 1},
	{"FF2", TE_FRACTION, 2}, {"FF3", TE_FRACTION, 3}, {"FF4", TE_FRACTION, 4},
	{"FF5", TE_FRACTION, 5}, {"FF6", TE_FRACTION, 6}, {"AM", TE_AMPM, 2}, {"PM", TE_AMPM, 2},
	{"TZH", TE_TZH, 2}, {"TZM", TE_TZM, 2}
};

#define OJ_TIME_ELEMS "YYYY, MM, DD, HH24, HH12, HH, MI, SS, MS, US, FF1 to FF6, AM, PM, TZH, TZM"

/* Add a step; false when the template has too many. */
static bool
add_step(OjCsvSpec *spec, OjTimeElem elem, int width, char literal)
{
	if (spec->nsteps == OJ_CSV_MAX_TEMPLATE)
		return false;
	spec->steps[spec->nsteps++] = (OjTimeStep) {elem, width, literal};
	return true;
}

/* Compile option time_format into spec's steps. */
static bool
compile_template(OjCsvSpec *spec, const OjOption *o, OjOptionError *err)
{
	const char *p;
	unsigned	seen = 0;		/* the elements read, one bit each */
	char		detail[256];
	static const char *const unsupported[] = {"SSSSS", "SSSS", "Y,YYY", NULL};

	if (!oj_option_scalar(o, OJ_OPT_STRING, "a to_timestamp template such as \"DD-MM-YYYY HH24:MI\"", err))
		return false;
	spec->iso = false;
	spec->nsteps = 0;
	for (p = o->text; *p;)
	{
		int			k;
		bool		ok = true;

		if (*p == '"')
		{
			for (p++; *p && *p != '"' && ok; p++)
				ok = add_step(spec, TE_LITERAL, 0, *p);
			if (*p != '"')
				return option_error(err, o, "Its double-quoted text does not end.", NULL);
			p++;
		}
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		{
			for (k = 0; unsupported[k] != NULL; k++)
				if (starts(p, unsupported[k]))
				{
					snprintf(detail, sizeof(detail), "Its element \"%s\" is not one this format reads: " OJ_TIME_ELEMS ", double-quoted text and separators.", unsupported[k]);
					return option_error(err, o, detail, NULL);
				}
			for (k = 0; k < (int) (sizeof(time_elems) / sizeof(time_elems[0])); k++)
				if (starts(p, time_elems[k].name))
					break;
			if (k == (int) (sizeof(time_elems) / sizeof(time_elems[0])))
			{
				snprintf(detail, sizeof(detail), "Its element at \"%.12s\" is not one this format reads: " OJ_TIME_ELEMS ", double-quoted text and separators.", p);
				return option_error(err, o, detail, "Put letters meant literally in double quotes, such as \"T\".");
			}
			if (seen & (1u << time_elems[k].elem) ||
				(time_elems[k].elem == TE_HOUR12 && (seen & (1u << TE_HOUR24))) ||
				(time_elems[k].elem == TE_HOUR24 && (seen & (1u << TE_HOUR12))))
			{
				snprintf(detail, sizeof(detail), "It reads %s twice.",
						 time_elems[k].elem == TE_AMPM ? "AM or PM" :
						 time_elems[k].elem == TE_FRACTION ? "the fraction of a second" :
						 time_elems[k].elem == TE_HOUR12 || time_elems[k].elem == TE_HOUR24 ? "the hour" :
						 time_elems[k].name);
				return option_error(err, o, detail, NULL);
			}
			seen |= 1u << time_elems[k].elem;
			ok = add_step(spec, time_elems[k].elem, time_elems[k].width, 0);
			p += strlen(time_elems[k].name);
		}
		else
			ok = add_step(spec, TE_LITERAL, 0, *p++);
		if (!ok)
			return option_error(err, o, "It has more than 64 elements.", NULL);
	}
	if (!(seen & (1u << TE_YEAR)) || !(seen & (1u << TE_MONTH)) || !(seen & (1u << TE_DAY)))
		return option_error(err, o, "It must read the year (YYYY), the month (MM) and the day (DD).", NULL);
	if (!(seen & (1u << TE_HOUR12)) != !(seen & (1u << TE_AMPM)))
		return option_error(err, o, (seen & (1u << TE_HOUR12)) ? "HH12 (and HH) need AM or PM." : "AM and PM need HH12.", NULL);
	if ((seen & (1u << TE_TZM)) && !(seen & (1u << TE_TZH)))
		return option_error(err, o, "TZM needs TZH.", NULL);
	snprintf(spec->expected, sizeof(spec->expected), "%.80s", o->text);
	return true;
}

/* Read up to max digits (at least min) at *p: the value, or -1. */
static int
read_digits(const char **p, const char *end, int min, int max, int *ndigits)
{
	int			v = 0,
				n = 0;

	while (*p < end && n < max && **p >= '0' && **p <= '9')
	{
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (ndigits)
		*ndigits = n;
	return n >= min ? v : -1;
}

/* A fraction of n digits as microseconds. */
static int32_t
fraction_usec(int v, int n)
{
	for (; n < 6; n++)
		v *= 10;
	return v;
}

/* What reading one time has found besides the row's fields. */
typedef struct OjTimeState
{
	int			pm;				/* -1: no AM/PM, 0: AM, 1: PM */
	int			tz_sign;		/* the offset's sign (kept apart: "-00:30" is west) */
	int			tz_hours;
	OjReason	range;			/* OJ_OK, or OJ_R_RANGE: a number out of its range */
} OjTimeState;

/* Read a sign and 1-2 digits of offset hours (TZH) at *p; false if the shape is wrong. */
static bool
read_offset_hours(const char **p, const char *end, OjTimeState *ts)
{
	if (*p >= end || (**p != '+' && **p != '-'))
		return false;
	ts->tz_sign = **p == '-' ? -1 : 1;
	(*p)++;
	if ((ts->tz_hours = read_digits(p, end, 1, 2, NULL)) < 0)
		return false;
	if (ts->tz_hours > 15)
		ts->range = OJ_R_RANGE;
	return true;
}

/* The row's offset from the state and minutes m (a minute out of range: range). */
static void
set_offset(OjRow *row, OjTimeState *ts, int m)
{
	if (m > 59)
		ts->range = OJ_R_RANGE;
	row->has_offset = true;
	row->utc_offset = ts->tz_sign * (ts->tz_hours * 3600 + m * 60);
}

/* Is the next step a number read right after this one (no separator)? */
static bool
next_is_number(const OjCsvSpec *spec, int i)
{
	return i + 1 < spec->nsteps && spec->steps[i + 1].elem != TE_LITERAL &&
		spec->steps[i + 1].elem != TE_AMPM;
}

/* The AM/PM marker at *p into ts; false if it is neither. */
static bool
read_ampm(const char **p, const char *end, OjTimeState *ts)
{
	if (end - *p < 2 || ((*p)[1] != 'M' && (*p)[1] != 'm'))
		return false;
	ts->pm = ((*p)[0] == 'P' || (*p)[0] == 'p') ? 1 : ((*p)[0] == 'A' || (*p)[0] == 'a') ? 0 : -1;
	*p += 2;
	return ts->pm >= 0;
}

/* One step of a template at *p into row and ts; false when its shape does not match. */
static bool
template_step(const OjCsvSpec *spec, int i, const char **p, const char *end, OjRow *row,
			  OjTimeState *ts)
{
	const OjTimeStep *s = &spec->steps[i];
	int			min = (s->elem == TE_YEAR || next_is_number(spec, i)) ? s->width : 1;
	int			v = 0,
				n;

	if (s->elem == TE_LITERAL)
		return *p < end && *(*p)++ == s->literal;
	if (s->elem == TE_AMPM)
		return read_ampm(p, end, ts);
	if (s->elem == TE_TZH)
	{
		if (!read_offset_hours(p, end, ts))
			return false;
		set_offset(row, ts, 0);
		return true;
	}
	if ((v = read_digits(p, end, min, s->width, &n)) < 0)
		return false;
	switch (s->elem)
	{
		case TE_YEAR:
			row->year = v;
			break;
		case TE_MONTH:
			row->month = v;
			break;
		case TE_DAY:
			row->day = v;
			break;
		case TE_HOUR24:
			row->hour = v;
			break;
		case TE_HOUR12:
			if (v < 1 || v > 12)
				ts->range = OJ_R_RANGE;
			row->hour = v;
			break;
		case TE_MINUTE:
			row->minute = v;
			break;
		case TE_SECOND:
			row->second = v;
			break;
		case TE_FRACTION:
			row->usec = fraction_usec(v, n);
			break;
		case TE_TZM:
			set_offset(row, ts, v);
			break;
		default:
			return false;
	}
	return true;
}

/* Read a time by option time_format's template: OJ_OK, format or range. */
static OjReason
parse_template_time(const OjCsvSpec *spec, const OjField *f, OjRow *row)
{
	const char *p = f->data;
	const char *end = f->data + f->len;
	OjTimeState ts = {-1, 1, 0, OJ_OK};

	row->hour = row->minute = row->second = 0;
	for (int i = 0; i < spec->nsteps; i++)
		if (!template_step(spec, i, &p, end, row, &ts))
			return OJ_R_FORMAT;
	if (p != end)
		return OJ_R_FORMAT;
	if (ts.range != OJ_OK)
		return ts.range;
	if (ts.pm >= 0)
		row->hour = row->hour % 12 + (ts.pm ? 12 : 0);
	return OJ_OK;
}

/* An ISO 8601 time's offset at *p: 'Z', or +HH, +HHMM, +HH:MM. */
static OjReason
iso_offset(const char **p, const char *end, OjRow *row)
{
	OjTimeState ts = {-1, 1, 0, OJ_OK};
	int			m = 0;

	if (**p == 'Z')
	{
		(*p)++;
		set_offset(row, &ts, 0);
		return OJ_OK;
	}
	if (!read_offset_hours(p, end, &ts) || (end - *p != 0 && end - *p != 2 && end - *p != 3))
		return OJ_R_FORMAT;
	if (*p < end && **p == ':')
		(*p)++;
	if (*p < end && (m = read_digits(p, end, 2, 2, NULL)) < 0)
		return OJ_R_FORMAT;
	set_offset(row, &ts, m);
	return *p == end ? ts.range : OJ_R_FORMAT;
}

/*
 * Read an ISO 8601 time: YYYY-MM-DD, then optionally 'T' or a space and
 * HH:MM, :SS, a fraction of 1 to 6 digits, and 'Z' or an offset (+HH,
 * +HHMM, +HH:MM): OJ_OK, format, or range (an offset beyond 15:59).
 */
OjReason
oj_parse_iso_time(const OjField *f, OjRow *row)
{
	const char *p = f->data;
	const char *end = f->data + f->len;
	int			n;

	row->hour = row->minute = row->second = 0;
	if ((row->year = read_digits(&p, end, 4, 4, NULL)) < 0 || p >= end || *p++ != '-' ||
		(row->month = read_digits(&p, end, 2, 2, NULL)) < 0 || p >= end || *p++ != '-' ||
		(row->day = read_digits(&p, end, 2, 2, NULL)) < 0)
		return OJ_R_FORMAT;
	if (p == end)
		return OJ_OK;
	if ((*p != 'T' && *p != ' ') || ++p >= end ||
		(row->hour = read_digits(&p, end, 2, 2, NULL)) < 0 || p >= end || *p++ != ':' ||
		(row->minute = read_digits(&p, end, 2, 2, NULL)) < 0)
		return OJ_R_FORMAT;
	if (p < end && *p == ':')
	{
		p++;
		if ((row->second = read_digits(&p, end, 2, 2, NULL)) < 0)
			return OJ_R_FORMAT;
		if (p < end && (*p == '.' || *p == ','))
		{
			int			v;

			p++;
			if ((v = read_digits(&p, end, 1, 6, &n)) < 0 || (p < end && *p >= '0' && *p <= '9'))
				return OJ_R_FORMAT;
			row->usec = fraction_usec(v, n);
		}
	}
	return p < end ? iso_offset(&p, end, row) : OJ_OK;
}

/* The time column of a csv source. */
static OjReason
parse_csv_time(const OjFormat *format, const OjField *f, OjRow *row)
{
	if (format->csv->iso)
		return oj_parse_iso_time(f, row);
	return parse_template_time(format->csv, f, row);
}

/* ---------------------------------------------------------------- layouts */

/* Which header column names a mapped column: its index, -1 if none, -2 if twice. */
static int
find_column(const OjRecord *header, const char *name)
{
	int			found = -1;
	OjField		want = {name, strlen(name)};

	for (int i = 0; i < header->nfields; i++)
		if (header->fields[i].len == want.len && memcmp(header->fields[i].data, name, want.len) == 0)
		{
			if (found >= 0)
				return -2;
			found = i;
		}
	if (found >= 0)
		return found;
	/* no exact match: one that differs only in ASCII case */
	for (int i = 0; i < header->nfields; i++)
		if (oj_name_equals(&header->fields[i], name))
		{
			if (found >= 0)
				return -2;
			found = i;
		}
	return found;
}

/* The error for a mapped column the header lacks: names it and lists the header. */
static bool
missing_column(const OjCsvMap *m, const OjRecord *header, char *errbuf, size_t errlen)
{
	char		list[400];
	size_t		n = 0;
	char		q[OJ_QUOTE_BUF];

	list[0] = '\0';
	for (int i = 0; i < header->nfields; i++)
	{
		const char *piece = oj_quote_value(q, header->fields[i].data, header->fields[i].len);

		/* room for the piece, its separator and a final ", ..." */
		if (n + strlen(piece) + 2 + 6 >= sizeof(list))
		{
			memcpy(list + n, ", ...", 6);
			break;
		}
		n += (size_t) snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? ", " : "", piece);
	}
	return oj_layout_error(errbuf, errlen,
						   "column \"%s\" (mapped to %s) is not in the header; the header's columns are %s",
						   m->column, m->label, list);
}

/* Column i of a layout: its map entry's role, or an unmapped column's. */
static void
set_column(const OjCsvSpec *spec, OjColumn *col, const OjCsvMap *m, const char *name,
		   const char *unmapped_key)
{
	col->name = name;
	if (m != NULL)
	{
		col->role = m->role;
		col->key = m->key;
		col->required = m->required;
		return;
	}
	col->role = spec->unmapped_attrs ? OJ_COL_ATTR : OJ_COL_IGNORE;
	col->key = unmapped_key;
	col->required = false;
}

/* A key column that is the only one mapped must have a value. */
static bool
only_key(const OjCsvSpec *spec, OjRole role)
{
	bool		other = false;

	for (int i = 0; i < spec->nmap; i++)
		other |= (spec->map[i].role == OJ_COL_CUSTOMER || spec->map[i].role == OJ_COL_TRANSACTION) &&
			spec->map[i].role != role;
	return !other;
}

/*
 * No two columns of a layout may fill one json key of dims or of attrs (an
 * unmapped column named like a mapped key, two unmapped columns that only
 * differ in case): the later value would silently replace the earlier.
 */
static bool
unique_keys(const OjColumn *cols, int n, char *errbuf, size_t errlen)
{
	for (int i = 0; i < n; i++)
	{
		bool		dim = cols[i].role == OJ_COL_DIM;

		if (!dim && cols[i].role != OJ_COL_ATTR && cols[i].role != OJ_COL_METRIC)
			continue;
		for (int j = 0; j < i; j++)
			if ((dim ? cols[j].role == OJ_COL_DIM
				 : cols[j].role == OJ_COL_ATTR || cols[j].role == OJ_COL_METRIC) &&
				strcmp(cols[i].key, cols[j].key) == 0)
				return oj_layout_error(errbuf, errlen,
									   "columns \"%s\" and \"%s\" would both fill key \"%s\" of %s",
									   cols[j].name, cols[i].name, cols[i].key, dim ? "dims" : "attrs");
	}
	return true;
}

/* The layout of a file with a header: each header column's role by name. */
static bool
csv_header_layout(OjLayout *layout, const OjRecord *header, const OjAllocator *alloc,
				  char *errbuf, size_t errlen)
{
	const OjCsvSpec *spec = layout->format->csv;
	int			nh = header->nfields;
	size_t		strbytes = 0;
	int		   *mapped;
	char	   *s;
	OjLayoutBlock *b;

	for (int i = 0; i < nh; i++)
		strbytes += 2 * (header->fields[i].len + 1);
	b = oj_block_alloc(alloc, nh, strbytes + sizeof(int) * (size_t) nh, &s);
	if (b == NULL)
		return oj_layout_error(errbuf, errlen, "out of memory for a layout of %d columns", nh);
	mapped = (int *) (void *) s;
	s += sizeof(int) * (size_t) nh;
	for (int i = 0; i < nh; i++)
		mapped[i] = -1;
	for (int k = 0; k < spec->nmap; k++)
	{
		int			at = find_column(header, spec->map[k].column);

		if (at == -1 || at == -2)
		{
			alloc->free(alloc->ctx, b);
			if (at == -1)
				return missing_column(&spec->map[k], header, errbuf, errlen);
			return oj_layout_error(errbuf, errlen, "column \"%s\" (mapped to %s) appears twice in the header",
								   spec->map[k].column, spec->map[k].label);
		}
		if (mapped[at] >= 0)
		{
			const OjCsvMap *other = &spec->map[mapped[at]];

			alloc->free(alloc->ctx, b);
			return oj_layout_error(errbuf, errlen,
								   "header column %d is mapped to both %s (\"%s\") and %s (\"%s\"); a column fills one field",
								   at + 1, other->label, other->column, spec->map[k].label, spec->map[k].column);
		}
		mapped[at] = k;
	}
	for (int i = 0; i < nh; i++)
	{
		size_t		len = header->fields[i].len;
		char	   *name = s;
		char	   *key = s + len + 1;

		memcpy(name, header->fields[i].data, len);
		name[len] = '\0';
		/* an unmapped column's key in attrs: its name in lower case, spaces as _ */
		for (size_t j = 0; j <= len; j++)
			key[j] = name[j] == ' ' ? '_' : (name[j] >= 'A' && name[j] <= 'Z') ? name[j] - 'A' + 'a' : name[j];
		s += 2 * (len + 1);
		set_column(spec, &b->cols[i], mapped[i] >= 0 ? &spec->map[mapped[i]] : NULL, name, key);
		if ((b->cols[i].role == OJ_COL_CUSTOMER || b->cols[i].role == OJ_COL_TRANSACTION) &&
			only_key(spec, b->cols[i].role))
			b->cols[i].required = true;
	}
	if (!unique_keys(b->cols, nh, errbuf, errlen))
	{
		alloc->free(alloc->ctx, b);
		return false;
	}
	layout->ncols = nh;
	layout->cols = b->cols;
	return true;
}

/* Build the columns 1..cap of a file without a header, by position. */
static OjLayoutBlock *
position_block(const OjCsvSpec *spec, const OjAllocator *alloc, int cap)
{
	char	   *s;
	OjLayoutBlock *b = oj_block_alloc(alloc, cap, (size_t) cap * 2 * sizeof("column 65536"), &s);

	if (b == NULL)
		return NULL;
	for (int i = 0; i < cap; i++)
	{
		const OjCsvMap *m = NULL;
		char	   *name = s;
		char	   *key;

		s += sprintf(s, "column %d", i + 1) + 1;
		key = s;
		s += sprintf(s, "column_%d", i + 1) + 1;
		for (int k = 0; k < spec->nmap; k++)
			if (spec->map[k].position == i + 1)
				m = &spec->map[k];
		set_column(spec, &b->cols[i], m, name, key);
		if (m != NULL && (m->role == OJ_COL_CUSTOMER || m->role == OJ_COL_TRANSACTION) &&
			only_key(spec, m->role))
			b->cols[i].required = true;
	}
	return b;
}

/* The highest position option columns maps. */
static int
max_position(const OjCsvSpec *spec)
{
	int			n = 0;

	for (int i = 0; i < spec->nmap; i++)
		if (spec->map[i].position > n)
			n = spec->map[i].position;
	return n;
}

/* The layout of a file: by the header's names, or by position without one. */
static bool
csv_layout_init(OjLayout *layout, const OjRecord *header, const OjAllocator *alloc,
				char *errbuf, size_t errlen)
{
	const OjCsvSpec *spec = layout->format->csv;
	int			need = max_position(spec);
	OjLayoutBlock *b;

	if (header != NULL && layout->format->header)
		return csv_header_layout(layout, header, alloc, errbuf, errlen);
	b = position_block(spec, alloc, need > OJ_CSV_DEFAULT_COLS ? need : OJ_CSV_DEFAULT_COLS);
	if (b == NULL)
		return oj_layout_error(errbuf, errlen, "out of memory for a layout of %d columns", need);
	layout->ncols = 0;
	layout->min_fields = need;
	layout->cols = b->cols;
	return true;
}

/* Validate a csv row: its width, its columns, then its join key. */
static bool
validate_csv(OjLayout *layout, const OjRecord *rec, const OjNow *now, bool check_utf8,
			 OjRow *row, OjReject *reject, const OjAllocator *alloc)
{
	OjLayoutBlock *b = oj_layout_block(layout);
	const OjColumn *keys[2] = {NULL, NULL};

	(void) now;

	if (layout->ncols > 0 && rec->nfields != layout->ncols)
		return oj_reject_row(reject, OJ_R_COLUMNS, NULL, "row has %d fields; the header has %d",
							 rec->nfields, layout->ncols);
	if (layout->ncols == 0 && rec->nfields < layout->min_fields)
		return oj_reject_row(reject, OJ_R_COLUMNS, NULL,
							 "row has %d fields; the source maps column %d",
							 rec->nfields, layout->min_fields);
	if (rec->nfields > b->cap)
	{
		/* without a header: a wider row than any before */
		int			cap = b->cap < OJ_MAX_COLUMNS / 2 ? b->cap * 2 : OJ_MAX_COLUMNS;
		OjLayoutBlock *nb = position_block(layout->format->csv, alloc,
										   cap > rec->nfields ? cap : rec->nfields);

		if (nb == NULL)
			return oj_reject_row(reject, OJ_R_COLUMNS, NULL,
								 "row has %d fields; out of memory for so many columns", rec->nfields);
		alloc->free(alloc->ctx, b);
		b = nb;
		layout->cols = b->cols;
	}
	row->dims = b->dims;
	row->attrs = b->attrs;
	if (!oj_validate_columns(layout, rec, check_utf8, row, reject))
		return false;
	if (row->has_customer || row->has_transaction)
		return true;
	for (int i = 0; i < rec->nfields; i++)
		if (layout->cols[i].role == OJ_COL_CUSTOMER || layout->cols[i].role == OJ_COL_TRANSACTION)
			keys[keys[0] != NULL] = &layout->cols[i];
	if (keys[1] == NULL)
		return true;			/* cannot happen: a lone key column is required */
	return oj_reject_row(reject, OJ_R_MISSING, keys[0]->name,
						 "missing value in column \"%s\" and in column \"%s\"; a row needs one of them",
						 keys[0]->name, keys[1]->name);
}

/* ---------------------------------------------------------------- inboxes */

/* An inbox's columns: the mapped ones (header), or 1 to the highest mapped position. */
static int
csv_inbox_ncolumns(const OjFormat *format, int extra)
{
	(void) extra;
	return format->header ? format->csv->nmap : max_position(format->csv);
}

/* Name i of an inbox's columns. */
static const char *
csv_inbox_column(const OjFormat *format, int i, char *buf, size_t len)
{
	if (format->header)
		return format->csv->map[i].column;
	snprintf(buf, len, "column %d", i + 1);
	return buf;
}

/* The base descriptor; configure() makes each source's own. */
const OjFormat oj_format_csv = {
	.name = "csv",
	.title = "CSV described by the source's options",
	.dialect = {',', '"', '\0', 0},
	.header = true,
	.header_optional = true,
	.decimal = '.',
	.columns = NULL,
	.ncolumns = 0,
	.options = csv_options,
	.time_expected = "an ISO 8601 time such as 2024-03-01 13:45:00 or 2024-03-01T13:45:00+01:00",
	.inbox_header = OJ_INBOX_BY_NAME,
	.inbox_extra = false,
	.configure = csv_configure,
	.layout_init = csv_layout_init,
	.validate = validate_csv,
	.parse_time = parse_csv_time,
	.inbox_ncolumns = csv_inbox_ncolumns,
	.inbox_column = csv_inbox_column,
};
