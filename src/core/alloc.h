/*-------------------------------------------------------------------------
 *
 * alloc.h
 *		Allocator handed to the numeric core by its caller.
 *
 * The core never calls malloc or palloc itself: the PostgreSQL glue routes
 * these hooks to a memory context (so an error or a cancel frees everything
 * with the context), the unit tests route them to malloc.  The hooks may not
 * return on failure (palloc raises an error); a hook that does return NULL
 * makes the core fail with RS_ERR_NOMEM.  Only the thread that called into the
 * core may allocate: worker threads use buffers allocated before they start.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/alloc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_ALLOC_H
#define RECSYS_ALLOC_H

#include <stddef.h>

typedef struct rs_allocator
{
	void	   *(*alloc) (void *state, size_t size);	/* zeroed memory */
	void	   *(*realloc) (void *state, void *ptr, size_t size);
	void		(*free) (void *state, void *ptr);
	void	   *state;
} rs_allocator;

/* the malloc/calloc/realloc/free allocator, for tests and tools */
extern const rs_allocator rs_malloc_allocator;

static inline void *
rs_alloc(const rs_allocator *a, size_t size)
{
	return a->alloc(a->state, size);
}

static inline void *
rs_realloc(const rs_allocator *a, void *ptr, size_t size)
{
	return a->realloc(a->state, ptr, size);
}

static inline void
rs_free(const rs_allocator *a, void *ptr)
{
	if (ptr)
		a->free(a->state, ptr);
}

/* a * b, or SIZE_MAX when it overflows (an allocation of SIZE_MAX fails) */
static inline size_t
rs_mul_size(size_t a, size_t b)
{
	if (a != 0 && b > ((size_t) -1) / a)
		return (size_t) -1;
	return a * b;
}

/* a + b, or SIZE_MAX when it overflows */
static inline size_t
rs_add_size(size_t a, size_t b)
{
	if (a > ((size_t) -1) - b)
		return (size_t) -1;
	return a + b;
}

#endif							/* RECSYS_ALLOC_H */
