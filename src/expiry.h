/*-------------------------------------------------------------------------
 *
 * expiry.h
 *	  The expiry of transaction IDs (expiry.c): its entry point from
 *	  _PG_init, which registers the launcher of the expiry worker.
 *	  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_EXPIRY_H
#define OJ_EXPIRY_H

extern void oj_expiry_init(void);

#endif							/* OJ_EXPIRY_H */
