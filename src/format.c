/*-------------------------------------------------------------------------
 *
 * format.c
 *	  The registry of formats (format.h): their names, a source's options
 *	  handed to its format, and what every format's option reading shares
 *	  (the option's name as the user wrote it, type checks, the closest
 *	  valid name for a misspelt one).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "format.h"

/* Every format, in the order messages list them.  A new format: one line. */
static const OjFormat *const formats[] = {&oj_format_rmc, &oj_format_adobe, &oj_format_csv};

#define OJ_NFORMATS ((int) (sizeof(formats) / sizeof(formats[0])))

/* Look up a format by its name; false if there is none. */
bool
oj_format_from_name(const char *name, OjFormatKind *kind)
{
	for (int i = 0; i < OJ_NFORMATS; i++)
		if (strcmp(name, formats[i]->name) == 0)
		{
			*kind = formats[i];
			return true;
		}
	return false;
}

/* The formats' names for messages: "rmc, adobe, csv". */
const char *
oj_format_names(void)
{
	static char names[256];

	if (names[0] == '\0')
		for (int i = 0; i < OJ_NFORMATS; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 i > 0 ? ", " : "", formats[i]->name);
	return names;
}

/* The names of the formats whose inboxes take extra columns: "rmc". */
const char *
oj_format_extra_names(void)
{
	static char names[256];

	if (names[0] == '\0')
		for (int i = 0; i < OJ_NFORMATS; i++)
			if (formats[i]->inbox_extra)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
						 names[0] ? ", " : "", formats[i]->name);
	return names;
}

/* How many columns an inbox of the format has (txn_attrs: rmc's extra ones). */
int
oj_format_ncolumns(OjFormatKind kind, int txn_attrs)
{
	return kind->inbox_ncolumns(kind, txn_attrs);
}

/* The header name of an inbox's column i (0-based); buf holds numbered names. */
const char *
oj_format_column(OjFormatKind kind, int i, char *buf, size_t len)
{
	return kind->inbox_column(kind, i, buf, len);
}

/* A source's format-specific options read by its format: a configured descriptor. */
bool
oj_format_configure(OjFormatKind kind, const OjOption *opts, int nopts,
					const OjAllocator *alloc, OjFormatKind *out, OjOptionError *err)
{
	memset(err, 0, sizeof(*err));
	return kind->configure(kind, opts, nopts, alloc, out, err);
}
