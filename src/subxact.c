/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  The internal-subtransaction pattern, once: run a body, commit or roll
 *	  back, restore the caller's memory context and resource owner, and
 *	  hand a caught error back or throw it on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "subxact.h"

/*
 * Runs body(arg) in an internal subtransaction, which is committed when body
 * returns true and rolled back when it returns false; returns what body
 * returned.  On an error the subtransaction is rolled back and the caller's
 * memory context and resource owner restored; then, with caught NULL, the
 * error is thrown on, otherwise *caught gets a copy of it (in the caller's
 * context) and the result is false.  A cancel or a shutdown is always thrown
 * on.
 */
bool
oj_subxact_run(bool (*body) (void *arg), void *arg, ErrorData **caught)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = false;

	if (caught)
		*caught = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		ok = body(arg);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (caught == NULL || edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION)
			ReThrowError(edata);
		*caught = edata;
		return false;
	}
	PG_END_TRY();
	if (ok)
		ReleaseCurrentSubTransaction();
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return ok;
}
