/*-------------------------------------------------------------------------
 *
 * last_load.h
 *	  The session's last load through an inbox (last_load.c): noted by the
 *	  inbox's statement-end trigger, read back by offline_join.last_load(),
 *	  so that a client learns the load's ID and counts without parsing a
 *	  NOTICE.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_LAST_LOAD_H
#define OJ_LAST_LOAD_H

extern void oj_last_load_note(int64 load_id);

#endif							/* OJ_LAST_LOAD_H */
