/*-------------------------------------------------------------------------
 *
 * jsonb_flat.h
 *	  A flat jsonb object (string and numeric values) written directly in
 *	  jsonb's binary form (jsonb_flat.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_JSONB_FLAT_H
#define OJ_JSONB_FLAT_H

#include "utils/jsonb.h"

/* One member: its key (NUL-terminated), and a string or a Numeric value. */
typedef struct OjJsonbMember
{
	const char *key;
	const char *str;			/* the string value, when num is NULL */
	int			len;
	Numeric		num;			/* the numeric value, or NULL */
} OjJsonbMember;

extern Jsonb *oj_jsonb_flat(OjJsonbMember *m, int n);

#endif							/* OJ_JSONB_FLAT_H */
