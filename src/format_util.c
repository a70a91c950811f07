/*-------------------------------------------------------------------------
 *
 * format_util.c
 *	  What every format's descriptor shares, below the registry: reading a
 *	  source's options (the option's name as the user wrote it, type
 *	  checks, the closest valid name for a misspelt one), and a column's
 *	  target field and rule in words (format_columns(), the docs' tables).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "format_util.h"

/* The event field a role fills, for the docs' tables and messages. */
const char *
oj_role_field(OjRole role)
{
	switch (role)
	{
		case OJ_COL_TIME:
			return "event_time";
		case OJ_COL_CUSTOMER:
			return "customer_id";
		case OJ_COL_TRANSACTION:
			return "transaction_id";
		case OJ_COL_EVENT_TYPE:
			return "event_type";
		case OJ_COL_CATEGORY:
			return "category";
		case OJ_COL_PRODUCT:
			return "product";
		case OJ_COL_NUM1:
			return "num1";
		case OJ_COL_NUM2:
			return "num2";
		case OJ_COL_DIM:
			return "dims";
		case OJ_COL_ATTR:
		case OJ_COL_METRIC:
			return "attrs";
		case OJ_COL_IGNORE:
			break;
	}
	return "";
}

/*
 * What a column's values must be, in words, from its role and its format
 * (the rules validate.c applies): for the docs' tables and format_columns().
 */
void
oj_column_rule(OjFormatKind kind, const OjColumn *col, char *buf, size_t len)
{
	const char *what;
	bool		dim = col->role == OJ_COL_DIM || col->role == OJ_COL_PRODUCT ||
		col->role == OJ_COL_CATEGORY;

	switch (col->role)
	{
		case OJ_COL_TIME:
			what = kind->time_expected;
			break;
		case OJ_COL_CUSTOMER:
			what = "at most 1000 bytes";
			break;
		case OJ_COL_TRANSACTION:
			what = "at most 100 bytes";
			break;
		case OJ_COL_EVENT_TYPE:
			what = "an integer";
			break;
		case OJ_COL_NUM1:
		case OJ_COL_NUM2:
		case OJ_COL_METRIC:
			what = kind->decimal == ',' ? "a decimal with a comma (12,50)" : "a decimal (12.50)";
			break;
		case OJ_COL_IGNORE:
			what = "not read";
			break;
		default:
			what = "text";
			break;
	}
	snprintf(buf, len, "%s%s%s%s%s", col->role == OJ_COL_IGNORE ? "" : col->required ? "mandatory, " : "optional, ",
			 what, dim && kind->forbidden ? " without \"" : "",
			 dim && kind->forbidden ? (char[2]) {kind->forbidden, '\0'} : "",
			 dim && kind->forbidden ? "\"" : "");
}

/*
 * The format's column table into cols (at most max entries; positions[i]:
 * the column's 1-based position, or 0 when the header names it): the
 * built-in table, or a csv source's mapped columns.  Returns the count.
 */
int
oj_format_table(OjFormatKind kind, OjColumn *cols, int *positions, int max)
{
	int			n = 0;

	for (int i = 0; i < kind->ncolumns && n < max; i++, n++)
	{
		cols[n] = kind->columns[i];
		positions[n] = kind->positions ? kind->positions[i] : kind->by_position ? i + 1 : 0;
	}
	return n;
}

/* The option as the user wrote it: "columns.dims.campaign", "required[2]". */
void
oj_option_name(const OjOption *o, char *buf, size_t len)
{
	size_t		n = (size_t) snprintf(buf, len, "%s", o->name);

	for (int i = 0; i < o->depth && i < OJ_OPTION_DEPTH && n < len; i++)
		n += (size_t) snprintf(buf + n, len - n, ".%s", o->path[i]);
	if (o->index >= 0 && n < len)
		snprintf(buf + n, len - n, "[%d]", o->index);
}

/*
 * Check that an option is a plain value of the type wanted: true, or false
 * with err saying "invalid value ... Option "x" takes <want>."
 */
bool
oj_option_scalar(const OjOption *o, OjOptionType type, const char *want, OjOptionError *err)
{
	if (o->type == type && o->depth == 0 && o->index < 0)
		return true;
	snprintf(err->option, sizeof(err->option), "%s", o->name);
	snprintf(err->value, sizeof(err->value), o->type == OJ_OPT_STRING && o->depth == 0 && o->index < 0 ? "\"%s\"" : "%s",
			 o->depth > 0 || o->index >= 0 || o->type == OJ_OPT_EMPTY ? "(a JSON array or object)"
			 : o->text != NULL ? o->text : "null");
	snprintf(err->detail, sizeof(err->detail), "Option \"%s\" takes %s.", o->name, want);
	return false;
}

/* oj_option_scalar() for true or false. */
bool
oj_option_bool(const OjOption *o, OjOptionError *err)
{
	return oj_option_scalar(o, OJ_OPT_BOOL, "true or false", err);
}

/* Edit distance of a and b (Damerau's: a swap is one edit), at most 64 characters of each. */
static int
edit_distance(const char *a, const char *b)
{
	int			d[65][65];
	int			la = (int) strlen(a);
	int			lb = (int) strlen(b);

	if (la > 64 || lb > 64)
		return 1000;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++)
		for (int j = 1; j <= lb; j++)
		{
			int			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			/* two neighbours swapped count as one edit ("rcm" for "rmc") */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The name of names (NULL-ended) closest to word, or NULL if none is close. */
const char *
oj_closest_name(const char *word, const char *const *names)
{
	const char *best = NULL;
	int			best_d = 1000;

	for (int i = 0; names[i] != NULL; i++)
	{
		int			dist = edit_distance(word, names[i]);

		if (dist < best_d)
		{
			best_d = dist;
			best = names[i];
		}
	}
	/* close: at most a third of the word's letters differ */
	return best != NULL && best_d * 3 <= (int) strlen(word) + 2 ? best : NULL;
}
