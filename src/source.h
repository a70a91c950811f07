/*-------------------------------------------------------------------------
 *
 * source.h
 *	  Offline sources (source.c): a source's name, its format's descriptor
 *	  configured by its options, and the options every source has.  Also
 *	  OJ_SCHEMA, the extension's schema.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_SOURCE_H
#define OJ_SOURCE_H

#include "core.h"
#include "format.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"
#include "nodes/pg_list.h"
#include "nodes/parsenodes.h"
#include "utils/snapshot.h"
#include "access/tupdesc.h"
#include "access/sdir.h"
#include "access/skey.h"

#define OJ_SCHEMA "offline_join"

/* An offline source with its options checked (source.c). */
/* What load_dir() does with a path loaded before with other content (option changed_file). */
typedef enum OjChangedFile
{
	OJ_CHANGED_LOAD,			/* load it as well (the default) */
	OJ_CHANGED_REPLACE,			/* load it and unload the earlier load */
	OJ_CHANGED_REFUSE			/* record a failure, load nothing */
} OjChangedFile;

typedef struct OjSource
{
	char	   *name;
	const OjFormat *format;		/* its descriptor, configured by its options */
	int			encoding;		/* the files' encoding (format option), or -1: the database's */
	char	   *timezone;
	struct pg_tz *tz;
	int64		reject_limit;	/* -1: no limit */
	Interval	lookback;
	bool		require_known_product;
	bool		has_tolerance;
	struct NumericData *total_tolerance;
	char	   *pattern;		/* load_dir()'s pattern when it names none, or NULL */
	bool		require_fin;	/* load_dir()'s require_fin when it names none */
	OjChangedFile changed_file;
} OjSource;

/* in source.c */
extern void oj_source_parse(const char *name, const char *format, Jsonb *options,
							OjSource *src);
extern OjSource *oj_source_get(const char *name);

struct Tuplestorestate;


#endif							/* OJ_SOURCE_H */
