/*-------------------------------------------------------------------------
 *
 * util.c
 *		Small shared pieces of the numeric core: the malloc allocator,
 *		error reporting, and dtype/tensor sizes.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/util.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "model.h"

/* zeroed allocation through calloc */
static void *
malloc_alloc(void *state, size_t size)
{
	return calloc(1, size == 0 ? 1 : size);
}

/* resize through realloc */
static void *
malloc_realloc(void *state, void *ptr, size_t size)
{
	return realloc(ptr, size == 0 ? 1 : size);
}

/* release through free */
static void
malloc_free(void *state, void *ptr)
{
	free(ptr);
}

const rs_allocator rs_malloc_allocator = {
	malloc_alloc, malloc_realloc, malloc_free, NULL
};

/* fill err (when not NULL) with code, field and a formatted message */
rs_status
rs_error_set(rs_error *err, rs_status code, const char *field,
			 const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return code;
	err->code = code;
	if (field)
		snprintf(err->field, sizeof(err->field), "%s", field);
	else
		err->field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* bytes of one element of dtype, 0 for an invalid dtype */
size_t
rs_dtype_size(rs_dtype dtype)
{
	switch (dtype)
	{
		case RS_F32:
		case RS_I32:
			return 4;
		case RS_F64:
		case RS_I64:
			return 8;
		case RS_U8:
			return 1;
	}
	return 0;
}

/* the name of dtype as saved in catalog rows */
const char *
rs_dtype_name(rs_dtype dtype)
{
	switch (dtype)
	{
		case RS_F32:
			return "float32";
		case RS_F64:
			return "float64";
		case RS_I32:
			return "int32";
		case RS_I64:
			return "int64";
		case RS_U8:
			return "uint8";
	}
	return "invalid";
}

/* number of elements of t (SIZE_MAX if the shape is negative or overflows) */
size_t
rs_tensor_count(const rs_tensor *t)
{
	int64_t		rows = t->shape[0];
	int64_t		cols = t->ndim >= 2 ? t->shape[1] : 1;

	if (rows < 0 || cols < 0)
		return (size_t) -1;
	return rs_mul_size((size_t) rows, (size_t) cols);
}

/* bytes of t's data (SIZE_MAX on overflow) */
size_t
rs_tensor_bytes(const rs_tensor *t)
{
	return rs_mul_size(rs_tensor_count(t), rs_dtype_size(t->dtype));
}

/*
 * Set this thread to flush subnormal results and inputs to zero (FTZ and
 * DAZ of the SSE control register); returns the mode to restore.  A no-op
 * where the processor has no such mode.
 */
rs_fp_mode
rs_fp_flush_subnormals(void)
{
#if defined(__SSE__)
	rs_fp_mode	saved = _mm_getcsr();

	_mm_setcsr(saved | 0x8040);	/* FTZ (bit 15) | DAZ (bit 6) */
	return saved;
#else
	return 0;
#endif
}

/* the calling thread's mode, to restore after a training that may not return */
rs_fp_mode
rs_fp_current(void)
{
#if defined(__SSE__)
	return _mm_getcsr();
#else
	return 0;
#endif
}

/* restore the mode rs_fp_flush_subnormals returned */
void
rs_fp_restore(rs_fp_mode saved)
{
#if defined(__SSE__)
	_mm_setcsr(saved);
#endif
}

/* ---------- linear algebra ---------- */

/*
 * Solve A x = b in place for symmetric positive definite A (k x k, upper
 * triangle used and overwritten by its Cholesky factor); b becomes x.
 * Returns false when A is not positive definite (it always is with
 * lambda > 0 or alpha0 > 0 and a non-degenerate other side).
 */
bool
rs_cholesky_solve(double *A, double *b, int k)
{
	int			i;
	int			j;
	int			l;

	/* A = R^T R with R upper triangular, stored in A's upper triangle */
	for (j = 0; j < k; j++)
	{
		double		d = A[j * k + j];

		for (l = 0; l < j; l++)
			d -= A[l * k + j] * A[l * k + j];
		if (!(d > 0))
			return false;
		d = sqrt(d);
		A[j * k + j] = d;
		for (i = j + 1; i < k; i++)
		{
			double		s = A[j * k + i];

			for (l = 0; l < j; l++)
				s -= A[l * k + j] * A[l * k + i];
			A[j * k + i] = s / d;
		}
	}
	/* R^T y = b, then R x = y */
	for (i = 0; i < k; i++)
	{
		double		s = b[i];

		for (l = 0; l < i; l++)
			s -= A[l * k + i] * b[l];
		b[i] = s / A[i * k + i];
	}
	for (i = k - 1; i >= 0; i--)
	{
		double		s = b[i];

		for (l = i + 1; l < k; l++)
			s -= A[i * k + l] * b[l];
		b[i] = s / A[i * k + i];
	}
	return true;
}
