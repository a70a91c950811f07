/*-------------------------------------------------------------------------
 *
 * inbox_am.h
 *	  The table access method of inboxes (inbox_am.c): offline_join_inbox
 *	  keeps no row, so that the inbox's row trigger can hand the executor
 *	  the rows it accepted, for COPY and INSERT to count them.  Include
 *	  after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_INBOX_AM_H
#define OJ_INBOX_AM_H

#include "access/htup.h"
#include "utils/relcache.h"

extern bool oj_inbox_am_keeps_nothing(Relation rel);
extern Datum oj_inbox_am_row_result(Relation rel, HeapTuple row, bool accepted);

#endif							/* OJ_INBOX_AM_H */
