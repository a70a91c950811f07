/*-------------------------------------------------------------------------
 *
 * format_util.h
 *	  What the formats' descriptors share (format_util.c): option checks,
 *	  the closest valid name, a column's field and rule in words.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_FORMAT_UTIL_H
#define OJ_FORMAT_UTIL_H

#include "format.h"

/* in format_util.c */
extern const char *oj_closest_name(const char *word, const char *const *names);
extern const char *oj_role_field(OjRole role);
extern void oj_column_rule(OjFormatKind kind, const OjColumn *col, char *buf, size_t len);
extern int	oj_format_table(OjFormatKind kind, OjColumn *cols, int *positions, int max);
extern bool oj_option_scalar(const OjOption *o, OjOptionType type, const char *want, OjOptionError *err);
extern bool oj_option_bool(const OjOption *o, OjOptionError *err);
extern void oj_option_name(const OjOption *o, char *buf, size_t len);

#endif							/* OJ_FORMAT_UTIL_H */
