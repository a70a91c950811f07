/*-------------------------------------------------------------------------
 *
 * expiry.h
 *	  Expiry of transaction IDs: the background worker's registration
 *	  (expiry.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_EXPIRY_H
#define OJ_EXPIRY_H

extern void oj_expiry_init(void);

#endif							/* OJ_EXPIRY_H */
