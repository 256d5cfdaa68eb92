/*-------------------------------------------------------------------------
 *
 * rng.c
 *		Seeded pseudo-random numbers with explicit state.
 *
 * xoshiro256** 1.0: D. Blackman and S. Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 47(4), 2021 (https://prng.di.unimi.it/).
 * The 256-bit state is filled from a 64-bit seed with splitmix64 (G. Steele,
 * D. Lea, C. Flood, "Fast splittable pseudorandom number generators",
 * OOPSLA 2014), as the xoshiro authors recommend, so that seeds close to each
 * other still give unrelated streams and the state is never all zero.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/rng.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "rng.h"

/* rotate x left by k bits (0 < k < 64) */
static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* one step of splitmix64 on *x, returning the mixed output */
static uint64_t
splitmix64_next(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* seed the four state words from seed through splitmix64 */
void
rs_rng_seed(rs_rng *rng, uint64_t seed)
{
	uint64_t	x = seed;
	int			i;

	for (i = 0; i < 4; i++)
		rng->s[i] = splitmix64_next(&x);
}

/* next 64 random bits (xoshiro256**) */
uint64_t
rs_rng_next(rs_rng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* uniform double in [0, 1) from the top 53 bits */
double
rs_rng_uniform(rs_rng *rng)
{
	return (double) (rs_rng_next(rng) >> 11) * 0x1.0p-53;
}

/*
 * Uniform integer in [0, n) without modulo bias, by rejection: draws below
 * 2^64 mod n are thrown away so every residue is equally likely (the
 * "threshold" variant of D. Lemire, "Fast random integer generation in an
 * interval", ACM TOMACS 2019, without the multiply trick).
 */
uint64_t
rs_rng_below(rs_rng *rng, uint64_t n)
{
	uint64_t	threshold;
	uint64_t	r;

	if (n <= 1)
		return 0;
	/* (2^64 - n) mod n == 2^64 mod n */
	threshold = (0 - n) % n;
	do
	{
		r = rs_rng_next(rng);
	} while (r < threshold);
	return r % n;
}

/*
 * Standard normal by the Box-Muller transform (G. Box and M. Muller, Ann.
 * Math. Statist. 29, 1958).  One of the two values is thrown away to keep
 * the state a plain xoshiro state; initialisation is not a hot path.
 */
double
rs_rng_normal(rs_rng *rng)
{
	double		u1;
	double		u2;

	/* u1 in (0, 1] so that log(u1) is finite */
	u1 = 1.0 - rs_rng_uniform(rng);
	u2 = rs_rng_uniform(rng);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/*
 * See rng.h.  Marsaglia's polar method (G. Marsaglia and T. Bray, SIAM
 * Review 6, 1964): a point drawn uniformly in the unit disc (two 24-bit
 * coordinates from one draw; about 21 % of draws are rejected) gives two
 * independent normals with one logarithm and no trigonometric function.
 */
void
rs_rng_normal_fill(rs_rng *rng, float *out, size_t n, double std)
{
	const float sd = (float) std;
	size_t		j = 0;

	while (j < n)
	{
		uint64_t	b = rs_rng_next(rng);
		/* odd multiples of 2^-24 in (-1, 1): never 0, symmetric */
		float		u = (float) (int32_t) (((b >> 40) << 1) | 1) * 0x1.0p-24f - 1.0f;
		float		v = (float) (int32_t) ((((b >> 16) & 0xffffff) << 1) | 1) * 0x1.0p-24f - 1.0f;
		float		q = u * u + v * v;
		float		f;

		if (q >= 1.0f)
			continue;
		f = sd * sqrtf(-2.0f * logf(q) / q);
		out[j++] = u * f;
		if (j < n)
			out[j++] = v * f;
	}
}
