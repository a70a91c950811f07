/*-------------------------------------------------------------------------
 *
 * offline_join.c
 *	  Module entry point: _PG_init calls each part's init function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "source.h"
#include "expiry.h"
#include "guc.h"
#include "progress.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	if (IsBinaryUpgrade)
		return;
	oj_guc_init();
	oj_expiry_init();			/* the expiry worker, when preloaded */
	oj_progress_init();			/* offline_join.progress, when preloaded */
}
