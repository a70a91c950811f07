/*-------------------------------------------------------------------------
 *
 * load.h
 *	  Loading server files (load.c): the SQL functions load(), load_dir(),
 *	  validate_file() and a source folder's source_files() and
 *	  waiting_files(), called through fmgr, and one file of a folder as
 *	  ingest()'s workers load it (load_workers.c; the ledger they write
 *	  is ledger.h's).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_LOAD_H
#define OJ_LOAD_H

#include "fmgr.h"

extern Datum oj_load(PG_FUNCTION_ARGS);
extern Datum oj_load_dir(PG_FUNCTION_ARGS);
extern Datum oj_validate_file(PG_FUNCTION_ARGS);
extern Datum oj_source_files(PG_FUNCTION_ARGS);
extern Datum oj_waiting_files(PG_FUNCTION_ARGS);

/* How a file's load keeps a content from being loaded twice (load.c's locks). */
typedef enum OjLoadMode
{
	OJ_LOAD_ONE,				/* load(): the source's lock shared, the content's */
	OJ_LOAD_DIR_LOCKED,			/* load_dir(): the caller holds the source's exclusively */
	OJ_LOAD_DIR_SHARED			/* ingest()'s workers: a folder's rules, load()'s locks */
} OjLoadMode;

/* What a writer refused because a Citus node did not answer says to do (oj_citus_check_nodes()). */
#define OJ_NODE_DOWN_HINT \
	"Start the node, then load the file again: it has no ledger row, so load_dir() and ingest() load a file of their source's folder on their next run."

extern Datum oj_load_dir_one(const char *source, const char *path, TupleDesc desc);

#endif							/* OJ_LOAD_H */
