/*-------------------------------------------------------------------------
 *
 * core_palloc.h
 *	  The plain-C core's allocator on palloc (core_palloc.c).  Include
 *	  after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_CORE_PALLOC_H
#define OJ_CORE_PALLOC_H

#include "core.h"
#include "utils/palloc.h"

/* in core_palloc.c */
extern OjAllocator oj_palloc_allocator(MemoryContext cxt);

#endif							/* OJ_CORE_PALLOC_H */
