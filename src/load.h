/*-------------------------------------------------------------------------
 *
 * load.h
 *	  Loading server files (load.c): the SQL functions load(), load_dir(),
 *	  validate_file() and a source folder's source_files() and
 *	  waiting_files(), called through fmgr (no C file calls them; the
 *	  ledger they write is ledger.h's).  Include after postgres.h.
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

#endif							/* OJ_LOAD_H */
