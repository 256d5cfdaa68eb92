/*-------------------------------------------------------------------------
 *
 * nn.h
 *		Neural-network layers of the numeric core, written once for every
 *		kind that needs them (dense and lstm).
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

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* ---------- recurrent: LSTM ---------- */

/*
 * Long short-term memory (Hochreiter and Schmidhuber, "Long short-term
 * memory", Neural Computation 9(8), 1997) with the forget gate of Gers,
 * Schmidhuber and Cummins (2000), in the form PyTorch's nn.LSTM computes
 * with a single bias:
 *
 *	 a_t = x_t W_x^T + h_{t-1} W_h^T + b			(4H pre-activations)
 *	 i = sigmoid(a[0:H])		input gate
 *	 f = sigmoid(a[H:2H])		forget gate
 *	 g = tanh(a[2H:3H])			cell candidate
 *	 o = sigmoid(a[3H:4H])		output gate
 *	 c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
 *
 * The gate order i, f, g, o is PyTorch's, so weights can be compared with
 * a torch.nn.LSTM (its b_ih + b_hh is our b).  B windows of T steps run
 * together: inp, h_out, c_out and gates are (B, T, .) with the window as
 * the leading dimension.
 */

/*
 * One step of one cell, elementwise: a (4H) holds the pre-activations
 * x W_x^T + h_{t-1} W_h^T + b and receives the activated gates i, f, g, o;
 * c (H) and h (H) receive the new state.  c_prev NULL means zeros.  The
 * forward below and the serving step of the lstm kind share it, so both
 * compute bit for bit the same.
 */
extern void nn_lstm_cell(float *restrict h, float *restrict c,
						 float *restrict a, const float *restrict c_prev,
						 size_t H);

/*
 * Forward over T steps.  gates receives the post-activation i, f, g, o of
 * every step, which with c_out is all nn_lstm_backward needs.  h0 and c0
 * are the states before step 0; NULL means zeros.  The input projection of
 * all B*T steps is one sgemm; the recurrent term one sgemm per step.
 */
extern void nn_lstm_forward(float *h_out,	/* (B, T, H) */
							float *c_out,	/* (B, T, H) */
							float *gates,	/* (B, T, 4H) */
							const float *inp,	/* (B, T, D) */
							const float *h0,	/* (B, H) or NULL */
							const float *c0,	/* (B, H) or NULL */
							const float *W_x,	/* (4H, D) */
							const float *W_h,	/* (4H, H) */
							const float *b, /* (4H) */
							size_t B, size_t T, size_t D, size_t H);

/* floats of scratch nn_lstm_backward needs: B*T*4H + 2*B*H */
extern size_t nn_lstm_scratch_size(size_t B, size_t T, size_t H);

/*
 * Backpropagation through time (Werbos, "Backpropagation through time:
 * what it does and how to do it", Proc. IEEE 78(10), 1990) over the T
 * steps of nn_lstm_forward, given dh_out = dL/dh_t at every step and
 * optionally dc_last = dL/dc_{T-1} (NULL: none).  Adds into dinp, dW_x,
 * dW_h, db, dh0 and dc0; dinp, dh0 and dc0 may be NULL when not needed.
 * h0 and c0 are the forward's (NULL for zeros); scratch has
 * nn_lstm_scratch_size(B, T, H) floats.
 */
extern void nn_lstm_backward(float *dinp,	/* (B, T, D) */
							 float *dW_x,	/* (4H, D) */
							 float *dW_h,	/* (4H, H) */
							 float *db, /* (4H) */
							 float *dh0,	/* (B, H) */
							 float *dc0,	/* (B, H) */
							 float *scratch,
							 const float *dh_out,	/* (B, T, H) */
							 const float *dc_last,	/* (B, H) or NULL */
							 const float *h_out,	/* (B, T, H) */
							 const float *c_out,	/* (B, T, H) */
							 const float *gates,	/* (B, T, 4H) */
							 const float *inp,	/* (B, T, D) */
							 const float *h0,	/* (B, H) or NULL */
							 const float *c0,	/* (B, H) or NULL */
							 const float *W_x,	/* (4H, D) */
							 const float *W_h,	/* (4H, H) */
							 size_t B, size_t T, size_t D, size_t H);

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

/* ---------- BLAS threads ---------- */

/*
 * OpenBLAS's thread count is process-wide: a training sets it to its
 * budget with nn_blas_threads_set, which returns the count before, and
 * puts that back with nn_blas_threads_restore when it ends.
 */
extern int	nn_blas_threads_set(int threads);
extern void nn_blas_threads_restore(int saved);

/*
 * The same as a hold a training keeps in its state: *saved is 0 while
 * nothing is held.  The first nn_blas_threads_hold sets the count and keeps
 * the one before in *saved, later ones do nothing (a kind learns its
 * budget with the hooks of its first epoch, and holds it to the end);
 * nn_blas_threads_release puts the kept count back and clears *saved.
 */
extern void nn_blas_threads_hold(int *saved, int threads);
extern void nn_blas_threads_release(int *saved);

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
 * The two rules themselves, written once: nn_sgd_step and nn_adam_step are
 * these over a whole buffer, and the mf kind calls them inline for the two
 * short rows of each rating, where a call per row would cost more than the
 * step.
 */
static inline void
nn_sgd_update(float *restrict w, const float *restrict g, size_t n,
			  float lr, float wd)
{
	size_t		j;

	/*
	 * Without decay, g + 0 w is g to the bit for any finite w, but the
	 * compiler may not drop the term (w could be infinite): drop it here,
	 * which keeps mf's minibatch SGD as fast as its own loop was.
	 */
	if (wd == 0.0f)
	{
		for (j = 0; j < n; j++)
			w[j] -= lr * g[j];
		return;
	}
	for (j = 0; j < n; j++)
		w[j] -= lr * (g[j] + wd * w[j]);
}

static inline void
nn_adam_update(const nn_adam *a, float *restrict w, const float *restrict g,
			   float *restrict m1, float *restrict m2, size_t n, float lr,
			   float wd)
{
	const float b1 = a->beta1;
	const float b2 = a->beta2;
	const float step = lr / a->c1;
	const float ic2 = 1.0f / a->c2;
	size_t		j;

	for (j = 0; j < n; j++)
	{
		float		gj = g[j] + wd * w[j];

		m1[j] = b1 * m1[j] + (1.0f - b1) * gj;
		m2[j] = b2 * m2[j] + (1.0f - b2) * gj * gj;
		w[j] -= step * m1[j] / (sqrtf(m2[j] * ic2) + a->eps);
	}
}

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

/* ---------- rows a minibatch touched ---------- */

/*
 * The rows of a table (an embedding and its bias) that the current
 * minibatch touched, for the lazy updates above: the first touch of a row
 * in a batch zeroes its gradient and lists the row, so that a step reads
 * and writes only the listed rows.  A stamp per row, the number of the
 * batch that touched it last, tells a first touch without clearing
 * anything between batches.
 */
typedef struct nn_touched
{
	int32_t    *stamp;			/* (table rows) batch that touched it last */
	int32_t    *rows;			/* (batch size) rows this batch touched */
	int32_t		n_rows;			/* entries of rows */
	int32_t		batch;			/* number of the current batch, from 1 */
} nn_touched;

/* point t at a zeroed stamp per row of the table and a list for a batch */
extern void nn_touched_init(nn_touched *t, int32_t *stamp, int32_t *rows);

/*
 * Start the next batch, with no row touched yet; n_table, the rows of the
 * table, is only read when the stamps wrap and are cleared.
 */
extern void nn_touched_next_batch(nn_touched *t, size_t n_table);

/*
 * The batch touches row: the first time, list it and zero its gradient,
 * d floats at grad + row * d and grad_bias[row] (grad_bias may be NULL).
 * Inline: the mf kind calls it for every rating of a batch.
 */
static inline void
nn_touch(nn_touched *t, int32_t row, float *grad, size_t d, float *grad_bias)
{
	if (t->stamp[row] == t->batch)
		return;
	t->stamp[row] = t->batch;
	t->rows[t->n_rows++] = row;
	memset(grad + (size_t) row * d, 0, d * sizeof(float));
	if (grad_bias)
		grad_bias[row] = 0.0f;
}

/*
 * Gradient clipping by global norm (Pascanu, Mikolov and Bengio, "On the
 * difficulty of training recurrent neural networks", ICML 2013), as
 * torch.nn.utils.clip_grad_norm_: the n_bufs buffers grads[k] of sizes[k]
 * floats are seen as one vector; when its L2 norm exceeds max_norm every
 * element is scaled by max_norm / (norm + 1e-6).  Returns the norm before
 * clipping.
 */
extern double nn_clip_grad_norm(float *const *grads, const size_t *sizes,
								size_t n_bufs, float max_norm);

#endif							/* RECSYS_NN_H */
