/*-------------------------------------------------------------------------
 *
 * dense.h
 *		Internals of the dense kind that the unit tests check directly.
 *
 * The kind itself is reached through rs_kind_dense (model.h); this header
 * exposes the minibatch loss and gradient so that test_dense.c can compare
 * the whole network's backward pass with finite differences.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/dense.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_DENSE_H
#define RECSYS_DENSE_H

#include "model.h"

/*
 * Mean squared error of rows [begin, end) of d (at most the batch_size of
 * the model's options) under the weights of m, without dropout or weight
 * decay, and its gradient with respect to params_buf added into grad
 * (n_params, same layout).  m must be between train_begin and train_end.
 */
extern double dense_batch_loss_grad(rs_model *m, const rs_dataset *d,
									size_t begin, size_t end,
									float *grad /* (n_params) */ );

#endif							/* RECSYS_DENSE_H */
