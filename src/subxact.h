/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  The internal-subtransaction pattern, once (subxact.c).  Include after
 *	  postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_SUBXACT_H
#define OJ_SUBXACT_H

extern bool oj_subxact_run(bool (*body) (void *arg), void *arg, ErrorData **caught);

#endif							/* OJ_SUBXACT_H */
