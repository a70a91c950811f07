/*-------------------------------------------------------------------------
 *
 * copy_state.c
 *	  The one reader of COPY's private state.  An inbox's row trigger runs
 *	  inside the COPY FROM that inserts the row; the COPY is found through
 *	  its error context callback, whose argument is its CopyFromState, and
 *	  what the triggers need of it (its options, its column list, the
 *	  current line) is copied into an OjCopyState.  CopyFromStateData is
 *	  private to PostgreSQL and may change in any major: every field read
 *	  here exists, with this meaning, in 15 to 18 (pg_compat.h keeps the
 *	  versions' differences, none of which touch these fields yet).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/copy.h"
#include "commands/copyfrom_internal.h"

#include "pg_compat.h"
#include "copy_state.h"

/*
 * Fills *out from the COPY FROM into rel running below the current row,
 * if there is one: true then, false when the row comes from anything else
 * (INSERT, a COPY into another table).
 */
bool
oj_copy_state(Relation rel, OjCopyState *out)
{
	ErrorContextCallback *e;
	CopyFromState copy = NULL;

	for (e = error_context_stack; e; e = e->previous)
		if (e->callback == CopyFromErrorCallback)
		{
			copy = (CopyFromState) e->arg;
			break;
		}
	if (copy == NULL || copy->rel != rel)
		return false;
	memset(out, 0, sizeof(*out));
	out->binary = copy->opts.binary;
	out->csv = copy->opts.csv_mode;
	out->header = copy->opts.header_line != COPY_HEADER_FALSE;
	out->has_where = copy->whereClause != NULL;
	out->null_print = copy->opts.null_print;
	out->delimiter = copy->opts.delim ? copy->opts.delim[0] : '\0';
	out->quote = copy->opts.csv_mode && copy->opts.quote ? copy->opts.quote[0] : '\0';
	out->escape = copy->opts.csv_mode && copy->opts.escape ? copy->opts.escape[0] : '\0';
	out->attnums = copy->attnumlist;
	out->line_valid = !copy->opts.binary && copy->line_buf_valid;
	out->line = copy->line_buf.data;
	out->line_len = copy->line_buf.len;
	out->filename = copy->is_program ? NULL : copy->filename;
	return true;
}
