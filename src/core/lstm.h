/*-------------------------------------------------------------------------
 *
 * lstm.h
 *		Internals of the lstm kind that the unit tests check directly.
 *
 * The kind itself is reached through rs_kind_lstm (model.h); this header
 * exposes the loss and gradient of a batch of windows so that test_lstm.c
 * can compare the whole model's backward pass (embedding, feedback input,
 * LSTM, output layer, masked loss, carried state) with finite differences.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/lstm.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_LSTM_H
#define RECSYS_LSTM_H

#include "model.h"

/*
 * Sum of squared errors of a batch of B windows (B at most the batch_size
 * option): window b covers steps [starts[b], starts[b] + lens[b]) of user
 * users[b]'s time-ordered training sequence (lens[b] <= seq_len).  With
 * carry_in, each window starts from the state its user's previous window
 * left in the training lanes (zeros before the first); otherwise from
 * zeros.  No dropout.  The gradient of the mean squared error over the
 * batch's steps with respect to the trained part of params_buf is added
 * into grad (same layout) when grad is not NULL.  m must be between
 * train_begin and train_end.
 */
extern double lstm_batch_loss_grad(rs_model *m, const int32_t *users,
								   const int32_t *starts, const int32_t *lens,
								   size_t B, bool carry_in, float *grad);

/* number of leading floats of params_buf that training updates */
extern size_t lstm_trained_params(const rs_model *m);

#endif							/* RECSYS_LSTM_H */
