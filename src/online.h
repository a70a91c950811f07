/*-------------------------------------------------------------------------
 *
 * online.h
 *	  The online side (online.c): record_transaction() and the trigger that
 *	  fills transactions.expires_at; the check of a transaction ID.
 *	  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_ONLINE_H
#define OJ_ONLINE_H

extern void oj_check_transaction_id(const char *id, size_t len);

#endif							/* OJ_ONLINE_H */
