/*-------------------------------------------------------------------------
 *
 * copy_state.h
 *	  What a running COPY FROM shows the inbox triggers (copy_state.c): the
 *	  one reader of COPY's private state (commands/copyfrom_internal.h).
 *	  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_COPY_STATE_H
#define OJ_COPY_STATE_H

#include "nodes/pg_list.h"
#include "utils/relcache.h"

/* A COPY FROM into a relation, as the row being inserted sees it. */
typedef struct OjCopyState
{
	bool		binary;			/* FORMAT binary */
	bool		csv;			/* FORMAT csv */
	bool		header;			/* HEADER (true or match) */
	bool		has_where;		/* a WHERE clause */
	const char *null_print;		/* its NULL string, or NULL */
	char		delimiter;
	char		quote;			/* csv only */
	char		escape;			/* csv only */
	List	   *attnums;		/* the statement's columns (attribute numbers) */
	bool		line_valid;		/* line holds the current row's text */
	const char *line;			/* the row's text as read, its line end stripped */
	size_t		line_len;
	const char *filename;		/* the server file it reads, or NULL (client, program) */
} OjCopyState;

/* in copy_state.c */
extern bool oj_copy_state(Relation rel, OjCopyState *out);

#endif							/* OJ_COPY_STATE_H */
