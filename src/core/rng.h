/*-------------------------------------------------------------------------
 *
 * rng.h
 *		Seeded pseudo-random numbers with explicit state.
 *
 * xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021), seeded through splitmix64.  State is passed
 * explicitly so training is reproducible from the "seed" option and each
 * worker thread can own a generator.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/rng.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_RNG_H
#define RECSYS_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rs_rng
{
	uint64_t	s[4];
} rs_rng;

extern void rs_rng_seed(rs_rng *rng, uint64_t seed);
extern uint64_t rs_rng_next(rs_rng *rng);
/* uniform in [0, 1) */
extern double rs_rng_uniform(rs_rng *rng);
/* uniform integer in [0, n), n > 0, without modulo bias */
extern uint64_t rs_rng_below(rs_rng *rng, uint64_t n);
/* standard normal (Box-Muller) */
extern double rs_rng_normal(rs_rng *rng);
/*
 * n floats from N(0, std^2) in single precision, for initial weights: two
 * values a draw that falls in the unit disc (Marsaglia's polar method),
 * several times faster than n calls of rs_rng_normal, whose double log and
 * cos made the initialisation a visible part of a small training.
 */
extern void rs_rng_normal_fill(rs_rng *rng, float *out, size_t n, double std);

#endif							/* RECSYS_RNG_H */
