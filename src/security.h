/*-------------------------------------------------------------------------
 *
 * security.h
 *	  The trust boundary (security.c): the extension's owner, whether the
 *	  schema and the tables that code with the owner's rights writes can be
 *	  trusted, the switch to the owner and back, and the privilege and
 *	  row-level-security checks of the code that works below the executor.
 *	  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_SECURITY_H
#define OJ_SECURITY_H

#include "nodes/parsenodes.h"
#include "utils/relcache.h"

/* The user and security context to return to after oj_become(). */
typedef struct OjSavedUser
{
	Oid			userid;
	int			sec_context;
} OjSavedUser;

/* What code with the owner's rights writes (oj_owner_writes_trusted()). */
typedef enum OjOwnerWrites
{
	OJ_WRITES_NONE,				/* nothing: reads only */
	OJ_WRITES_INBOX,			/* events, rejects, loads */
	OJ_WRITES_EXPIRY,			/* transactions, expiry_runs */
	OJ_WRITES_EXPIRY_REJECTS	/* rejects, expiry_runs: the purge of old rejects */
} OjOwnerWrites;

/* the search_path of the extension's functions (their SET clause) */
#define OJ_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

extern Oid	oj_extension_owner(void);
extern bool oj_schema_trusted(Oid ext_owner, char **why);
extern void oj_check_schema_trusted(Oid ext_owner, const char *what, OjOwnerWrites writes);
extern bool oj_owner_writes_trusted(Oid ext_owner, OjOwnerWrites writes, char **why);
extern bool oj_owner_writes_run_user_code(void);
extern bool oj_owner_writes_need_pinned_rows(void);
extern void oj_become(Oid role, OjSavedUser *saved);
extern void oj_unbecome(const OjSavedUser *saved);
extern int	oj_pin_search_path(void);
extern void oj_unpin_search_path(int level);
extern void oj_check_table_privilege(Relation rel, AclMode mode);
extern void oj_check_no_rls(Relation rel);
extern bool oj_role_can_select(Oid role, const char *table);

#endif							/* OJ_SECURITY_H */
