/*-------------------------------------------------------------------------
 *
 * nn.h
 *		Neural-network layers of the numeric core, written once for every
 *		kind that needs them (dense now, lstm next).
 *
 * Each layer is a pair of plain functions in the style of Karpathy's llm.c
 * (train_gpt2.c): outputs first, then inputs, then weights, then sizes.
 * Forward functions overwrite their output; backward functions ADD into
 * their gradient outputs (the caller zeroes them once per step), so a
 * tensor read by two layers receives both gradients.  Tensors are
 * row-major float arrays; a minibatch of B rows is the leading dimension.
 * Shapes are given in the comments as (rows, cols).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/nn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_NN_H
#define RECSYS_NN_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* ---------- embedding ---------- */

/*
 * out[b, :] = table[idx[b], :] for b < B.  Rows of out are ld floats apart
 * (ld >= d), so two lookups can fill the halves of one concatenated input.
 * An index < 0 (unknown id) gives a zero row.
 */
extern void nn_embedding_forward(float *out,	/* (B, ld) */
								 const int32_t *idx,	/* (B) */
								 const float *table,	/* (n, d) */
								 size_t B, size_t d, size_t ld);

/* dtable[idx[b], :] += dout[b, :]; rows with idx < 0 are skipped */
extern void nn_embedding_backward(float *dtable,	/* (n, d) */
								  const float *dout,	/* (B, ld) */
								  const int32_t *idx,	/* (B) */
								  size_t B, size_t d, size_t ld);

/* ---------- linear ---------- */

/* out = inp W^T + bias, as one cblas_sgemm; bias may be NULL */
extern void nn_linear_forward(float *out,	/* (B, d_out) */
							  const float *inp, /* (B, d_in) */
							  const float *W,	/* (d_out, d_in) */
							  const float *bias,	/* (d_out) */
							  size_t B, size_t d_in, size_t d_out);

/*
 * Gradients of nn_linear_forward given dout: dinp += dout W,
 * dW += dout^T inp, dbias += column sums of dout.  dinp and dbias may be
 * NULL when not needed.
 */
extern void nn_linear_backward(float *dinp, /* (B, d_in) */
							   float *dW,	/* (d_out, d_in) */
							   float *dbias,	/* (d_out) */
							   const float *dout,	/* (B, d_out) */
							   const float *inp,	/* (B, d_in) */
							   const float *W,	/* (d_out, d_in) */
							   size_t B, size_t d_in, size_t d_out);

/* ---------- activations ---------- */

/* out = max(inp, 0); out may be inp */
extern void nn_relu_forward(float *out, const float *inp, size_t n);

/* dinp += dout where the forward output was positive */
extern void nn_relu_backward(float *dinp, const float *dout,
							 const float *out, size_t n);

/*
 * Inverted dropout (Srivastava et al., "Dropout: a simple way to prevent
 * neural networks from overfitting", JMLR 2014): each element is zeroed
 * with probability p and the survivors scaled by 1 / (1 - p), so inference
 * is the identity.  mask (n) receives the factor of each element (0 or
 * 1 / (1 - p)) for the backward pass.  out may be inp.
 */
extern void nn_dropout_forward(float *out, float *mask, const float *inp,
							   size_t n, float p, rs_rng *rng);

/* dinp += dout * mask */
extern void nn_dropout_backward(float *dinp, const float *dout,
								const float *mask, size_t n);

/* ---------- loss ---------- */

/*
 * Mean squared error of pred against target over B rows, as PyTorch's
 * nn.MSELoss; when dpred is not NULL it receives (not adds) the gradient
 * 2 (pred - target) / B.  Returns the mean.
 */
extern double nn_mse_loss(float *dpred,	/* (B) */
						  const float *pred,	/* (B) */
						  const float *target,	/* (B) */
						  size_t B);

/* ---------- optimizers ---------- */

/* Adam state shared by every tensor of a model: step count and constants */
typedef struct nn_adam
{
	float		beta1;			/* 0.9 */
	float		beta2;			/* 0.999 */
	float		eps;			/* 1e-8 */
	int64_t		t;				/* steps taken, incremented by nn_adam_next */
	float		c1;				/* 1 - beta1^t */
	float		c2;				/* 1 - beta2^t */
} nn_adam;

extern void nn_adam_init(nn_adam *a);
/* start step t + 1: update the bias corrections */
extern void nn_adam_next(nn_adam *a);

/*
 * Plain SGD with L2 weight decay (added to the gradient, as torch.optim.SGD
 * weight_decay does): w -= lr (g + wd w).
 */
extern void nn_sgd_step(float *w, const float *g, size_t n, float lr, float wd);

/*
 * Adam (Kingma and Ba, "Adam: a method for stochastic optimization", ICLR
 * 2015) with L2 weight decay added to the gradient, as torch.optim.Adam's
 * weight_decay: g' = g + wd w; m1, m2 are the moments of these n weights.
 */
extern void nn_adam_step(const nn_adam *a, float *w, const float *g,
						 float *m1, float *m2, size_t n, float lr, float wd);

/*
 * Lazy (sparse) updates of an embedding table: only the n_rows rows listed
 * in rows are stepped, as torch.optim.SparseAdam does, so a step costs
 * O(rows * d) whatever the size of the table.  g, m1, m2 have the table's
 * shape (n, d); the Adam form uses the shared step count of a.
 */
extern void nn_sgd_rows(float *table, const float *g, const int32_t *rows,
						size_t n_rows, size_t d, float lr, float wd);
extern void nn_adam_rows(const nn_adam *a, float *table, const float *g,
						 float *m1, float *m2, const int32_t *rows,
						 size_t n_rows, size_t d, float lr, float wd);

#endif							/* RECSYS_NN_H */
