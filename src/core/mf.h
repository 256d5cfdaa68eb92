/*-------------------------------------------------------------------------
 *
 * mf.h
 *		Internals of the mf kind that the unit tests check directly.
 *
 * The kind itself is reached through rs_kind_mf (model.h); this header only
 * exposes the minibatch loss and gradient so that test_mf.c can compare them
 * with finite differences.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/mf.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_MF_H
#define RECSYS_MF_H

#include "model.h"

/*
 * Loss of rows [begin, end) of d under the weights of m, and its gradient
 * with respect to params_buf added into grad (n_params, same layout).  The
 * loss is the one every optimizer of the kind follows:
 *
 *	 L = 1/B sum_b [ 1/2 e_b^2 + 1/2 l2 (|p_u|^2 + |q_i|^2)
 *					 + 1/2 bias_l2 (b_u^2 + b_i^2) ],	e_b = r_b - rhat_b
 *
 * with B = end - begin, the regularisation applied per rating as in Funk's
 * and LibMF's SGD.  Accumulated in double, returned in double.
 */
extern double mf_batch_loss_grad(const rs_model *m, const rs_dataset *d,
								 size_t begin, size_t end,
								 float *grad /* (n_params) */ );

#endif							/* RECSYS_MF_H */
