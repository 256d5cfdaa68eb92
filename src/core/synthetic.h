/*-------------------------------------------------------------------------
 *
 * synthetic.h
 *		Ratings drawn from a planted low-rank model, for demos, tests and
 *		scale benchmarks that need no download.
 *
 * Each user and item has a latent vector of RS_SYNTH_RANK normal factors,
 * biases, and items have a popularity that follows a Zipf-like law, so a few
 * items get most ratings as in real data.  A rating is
 *   clip(round(mu + b_u + b_i + <p_u, q_i> + noise), 1, 5)
 * on the 1-5 scale; rows come out user by user with increasing times, so a
 * sequence model sees a time order.  The stream is a pure function of the
 * arguments and the seed.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/synthetic.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_SYNTHETIC_H
#define RECSYS_SYNTHETIC_H

#include "model.h"

#define RS_SYNTH_RANK 8

typedef struct rs_synth rs_synth;

typedef struct rs_synth_row
{
	int64_t		user_id;		/* 1..n_users */
	int64_t		item_id;		/* 1..n_items */
	float		rating;			/* 1..5, whole stars */
	double		time;			/* seconds since 2000-01-01, increasing per user */
} rs_synth_row;

extern rs_status rs_synth_create(int32_t n_users, int32_t n_items,
								 int64_t n_ratings, uint64_t seed,
								 const rs_allocator *alloc, rs_synth **out,
								 rs_error *err);
/* next row; false when all n_ratings rows were produced */
extern bool rs_synth_next(rs_synth *s, rs_synth_row *row);
/* standard deviation of the noise before rounding: the RMSE floor */
extern double rs_synth_noise_std(void);
extern void rs_synth_free(rs_synth *s);

#endif							/* RECSYS_SYNTHETIC_H */
