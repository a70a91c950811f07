/*-------------------------------------------------------------------------
 *
 * core_palloc.c
 *	  The plain-C core's allocator in the backend: palloc in a memory
 *	  context, NULL instead of an ERROR, so that the core's own bounds
 *	  decide what happens when memory runs out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "core_palloc.h"

/*
 * palloc-backed allocator for the core: NULL instead of ERROR past
 * OJ_CORE_MAX_BLOCK (which the core's own bounds never reach) and when
 * memory runs out.
 */
static void *
oj_core_alloc(void *ctx, size_t size)
{
	if (size > OJ_CORE_MAX_BLOCK)
		return NULL;
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
}

/* The core's realloc: repalloc, within the same bound. */
static void *
oj_core_realloc(void *ctx, void *ptr, size_t size)
{
	if (ptr == NULL)
		return oj_core_alloc(ctx, size);
	if (size > OJ_CORE_MAX_BLOCK)
		return NULL;
	return repalloc_huge(ptr, size);
}

/* The core's free. */
static void
oj_core_free(void *ctx, void *ptr)
{
	if (ptr != NULL)
		pfree(ptr);
}

/* An allocator for the core that allocates in cxt. */
OjAllocator
oj_palloc_allocator(MemoryContext cxt)
{
	OjAllocator a = {oj_core_alloc, oj_core_realloc, oj_core_free, cxt};

	return a;
}
