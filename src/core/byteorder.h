/*-------------------------------------------------------------------------
 *
 * byteorder.h
 *		Little-endian fields of the serialized formats (blob.c, ratings.c).
 *
 * Every stored integer and float is little-endian, so an image written on
 * one host reads on any other.  Floats share the byte order of integers of
 * their size on every platform we target.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/byteorder.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_BYTEORDER_H
#define RECSYS_BYTEORDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ && \
	__BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
#error "recsys supports little- and big-endian hosts only"
#endif

/* store v little-endian at p */
static inline void
rs_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* store v little-endian at p */
static inline void
rs_put_u64(uint8_t *p, uint64_t v)
{
	rs_put_u32(p, (uint32_t) v);
	rs_put_u32(p + 4, (uint32_t) (v >> 32));
}

/* store a double as its IEEE 754 bits, little-endian */
static inline void
rs_put_f64(uint8_t *p, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	rs_put_u64(p, bits);
}

/* load a little-endian u32 */
static inline uint32_t
rs_get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* load a little-endian u64 */
static inline uint64_t
rs_get_u64(const uint8_t *p)
{
	return (uint64_t) rs_get_u32(p) | ((uint64_t) rs_get_u32(p + 4) << 32);
}

/* load a little-endian double */
static inline double
rs_get_f64(const uint8_t *p)
{
	uint64_t	bits = rs_get_u64(p);
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/*
 * Copy n elements of width bytes between host order and little-endian; the
 * same function works in both directions.
 */
static inline void
rs_copy_le(void *dst, const void *src, size_t n, size_t width)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n > 0)
		memcpy(dst, src, n * width);
#else
	const uint8_t *s = src;
	uint8_t    *d = dst;
	size_t		i,
				b;

	for (i = 0; i < n; i++)
		for (b = 0; b < width; b++)
			d[i * width + b] = s[i * width + width - 1 - b];
#endif
}

#endif							/* RECSYS_BYTEORDER_H */
