/*-------------------------------------------------------------------------
 *
 * nn.c
 *		Layers of the numeric core: embedding, linear (OpenBLAS sgemm), ReLU,
 *		dropout, LSTM, MSE loss, SGD and Adam, gradient clipping.  See nn.h
 *		for the conventions.
 *
 * The forward/backward pairs follow the derivations of llm.c's
 * train_gpt2.c (Karpathy, 2024): a linear layer y = x W^T + b has
 * dx = dy W, dW = dy^T x and db = sum over rows of dy.  Each pair has a
 * finite-difference check in test/unit/test_nn.c.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/nn.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "nn.h"

/* OpenBLAS's thread control (cblas.h of other BLAS builds lacks them) */
extern void openblas_set_num_threads(int);
extern int	openblas_get_num_threads(void);

/*
 * The optimizer loops run over every weight at every step.  The Makefile
 * builds the core with -fno-math-errno (sqrtf here only sees sums of
 * squares, never a negative number), without which GCC keeps a call to
 * sqrtf in the loop and cannot vectorize Adam: a dense training on
 * ML-100K takes 2.8 times as long (test/bench/TUNING.md).  -O3's cost model
 * vectorizes the short loops that -O2 leaves; clang, used for the bitcode,
 * ignores the pragma, so it is only given to GCC.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("O3")
#endif

/* ---------- embedding ---------- */

/* gather rows of table into out; unknown (negative) indexes give zeros */
void
nn_embedding_forward(float *out, const int32_t *idx, const float *table,
					 size_t B, size_t d, size_t ld)
{
	size_t		b;

	for (b = 0; b < B; b++)
	{
		float	   *o = out + b * ld;

		if (idx[b] < 0)
			memset(o, 0, d * sizeof(float));
		else
			memcpy(o, table + (size_t) idx[b] * d, d * sizeof(float));
	}
}

/* scatter-add the rows of dout into the rows of dtable they came from */
void
nn_embedding_backward(float *dtable, const float *dout, const int32_t *idx,
					  size_t B, size_t d, size_t ld)
{
	size_t		b;
	size_t		j;

	for (b = 0; b < B; b++)
	{
		float	   *g;
		const float *o = dout + b * ld;

		if (idx[b] < 0)
			continue;
		g = dtable + (size_t) idx[b] * d;
		for (j = 0; j < d; j++)
			g[j] += o[j];
	}
}

/* ---------- linear ---------- */

/* out = inp W^T + bias over a minibatch, one sgemm */
void
nn_linear_forward(float *out, const float *inp, const float *W,
				  const float *bias, size_t B, size_t d_in, size_t d_out)
{
	size_t		b;

	if (bias)
	{
		for (b = 0; b < B; b++)
			memcpy(out + b * d_out, bias, d_out * sizeof(float));
	}
	/* (B, d_in) x (d_out, d_in)^T -> (B, d_out), adding to the bias rows */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
				(int) B, (int) d_out, (int) d_in,
				1.0f, inp, (int) d_in, W, (int) d_in,
				bias ? 1.0f : 0.0f, out, (int) d_out);
}

/* dinp += dout W; dW += dout^T inp; dbias += sum_b dout[b] */
void
nn_linear_backward(float *dinp, float *dW, float *dbias, const float *dout,
				   const float *inp, const float *W, size_t B, size_t d_in,
				   size_t d_out)
{
	size_t		b;
	size_t		o;

	if (dinp)
		/* (B, d_out) x (d_out, d_in) -> (B, d_in) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
					(int) B, (int) d_in, (int) d_out,
					1.0f, dout, (int) d_out, W, (int) d_in,
					1.0f, dinp, (int) d_in);
	/* (B, d_out)^T x (B, d_in) -> (d_out, d_in) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
				(int) d_out, (int) d_in, (int) B,
				1.0f, dout, (int) d_out, inp, (int) d_in,
				1.0f, dW, (int) d_in);
	if (dbias)
	{
		for (b = 0; b < B; b++)
		{
			const float *row = dout + b * d_out;

			for (o = 0; o < d_out; o++)
				dbias[o] += row[o];
		}
	}
}

/* ---------- activations ---------- */

/* elementwise max(x, 0) */
void
nn_relu_forward(float *out, const float *inp, size_t n)
{
	size_t		j;

	for (j = 0; j < n; j++)
		out[j] = inp[j] > 0.0f ? inp[j] : 0.0f;
}

/* gradient passes where the unit was active */
void
nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	size_t		j;

	/* load dout unconditionally so that the loop vectorizes */
	for (j = 0; j < n; j++)
	{
		float		d = dout[j];

		dinp[j] += out[j] > 0.0f ? d : 0.0f;
	}
}

/* inverted dropout with keep probability 1 - p */
void
nn_dropout_forward(float *out, float *mask, const float *inp, size_t n,
				   float p, rs_rng *rng)
{
	float		scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
	size_t		j;

	for (j = 0; j < n; j++)
	{
		mask[j] = rs_rng_uniform(rng) < (double) p ? 0.0f : scale;
		out[j] = inp[j] * mask[j];
	}
}

/* the gradient goes through the kept elements with their scale */
void
nn_dropout_backward(float *dinp, const float *dout, const float *mask,
					size_t n)
{
	size_t		j;

	for (j = 0; j < n; j++)
		dinp[j] += dout[j] * mask[j];
}

/* ---------- recurrent: LSTM ---------- */

/*
 * e^x in float, within about 2 ulp, for the LSTM's gates.  glibc's expf and
 * tanhf are calls the compiler cannot vectorize, and they were 90 % of the
 * time of scoring every item for a user; this form is plain arithmetic, so
 * a loop of it vectorizes.  Range reduction x = n ln 2 + r with |r| <=
 * ln 2 / 2 (n rounded by the 1.5 * 2^23 shifter), the minimax polynomial
 * of Cephes's expf for e^r, and 2^n built in the exponent bits.  x is
 * clamped to [-87, 88], where 2^n stays a normal float.
 */
static inline float
nn_expf(float x)
{
	const float shifter = 12582912.0f;	/* 1.5 * 2^23 */
	float		t;
	float		n;
	float		r;
	float		p;
	float		scale;
	uint32_t	bits;

	x = x < -87.0f ? -87.0f : x;
	x = x > 88.0f ? 88.0f : x;
	t = x * 1.44269504088896341f + shifter;
	n = t - shifter;
	r = x - n * 0.693359375f;
	r = r - n * -2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	memcpy(&bits, &t, sizeof(bits));
	bits = (bits - 0x4B400000u + 127u) << 23;	/* (n + 127) << 23 */
	memcpy(&scale, &bits, sizeof(scale));
	return p * scale;
}

/* logistic sigmoid */
static inline float
nn_sigmoid(float x)
{
	return 1.0f / (1.0f + nn_expf(-x));
}

/* tanh x = 1 - 2 / (e^{2x} + 1): absolute error below 1e-7 */
static inline float
nn_tanh(float x)
{
	return 1.0f - 2.0f / (nn_expf(2.0f * x) + 1.0f);
}

/*
 * One LSTM cell of width H: a holds the 4H pre-activations and receives
 * the activated gates i, f, g, o in place; c_prev NULL means zeros.  Each
 * loop is plain arithmetic over an array, so the compiler vectorizes it;
 * on x86-64 an AVX2 clone is chosen at load time where the CPU has it
 * (AVX2 without FMA: the same operations in the same order, so the same
 * bits as the SSE2 version).
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void
nn_lstm_cell(float *restrict h, float *restrict c, float *restrict a,
			 const float *restrict c_prev, size_t H)
{
	size_t		j;

	for (j = 0; j < 2 * H; j++)	/* i and f */
		a[j] = nn_sigmoid(a[j]);
	for (j = 2 * H; j < 3 * H; j++)	/* g */
		a[j] = nn_tanh(a[j]);
	for (j = 3 * H; j < 4 * H; j++)	/* o */
		a[j] = nn_sigmoid(a[j]);
	if (c_prev)
	{
		for (j = 0; j < H; j++)
			c[j] = a[j] * a[2 * H + j] + a[H + j] * c_prev[j];
	}
	else
	{
		for (j = 0; j < H; j++)
			c[j] = a[j] * a[2 * H + j];
	}
	for (j = 0; j < H; j++)
		h[j] = a[3 * H + j] * nn_tanh(c[j]);
}

/*
 * LSTM forward (Hochreiter and Schmidhuber 1997, with a forget gate; gate
 * order i, f, g, o as in nn.h).  gates first holds the pre-activations
 * a_t, then in place the activated gates.
 */
void
nn_lstm_forward(float *h_out, float *c_out, float *gates, const float *inp,
				const float *h0, const float *c0, const float *W_x,
				const float *W_h, const float *b, size_t B, size_t T,
				size_t D, size_t H)
{
	size_t		G = 4 * H;
	size_t		r;
	size_t		t;
	size_t		bi;

	/* a = b + inp W_x^T for all B*T steps at once: (B*T, D) x (4H, D)^T */
	for (r = 0; r < B * T; r++)
		memcpy(gates + r * G, b, G * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
				(int) (B * T), (int) G, (int) D,
				1.0f, inp, (int) D, W_x, (int) D,
				1.0f, gates, (int) G);

	for (t = 0; t < T; t++)
	{
		/* a_t += h_{t-1} W_h^T: (B, H) x (4H, H)^T, rows T*4H apart */
		if (t > 0)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
						(int) B, (int) G, (int) H,
						1.0f, h_out + (t - 1) * H, (int) (T * H), W_h, (int) H,
						1.0f, gates + t * G, (int) (T * G));
		else if (h0)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
						(int) B, (int) G, (int) H,
						1.0f, h0, (int) H, W_h, (int) H,
						1.0f, gates, (int) (T * G));

		for (bi = 0; bi < B; bi++)
		{
			size_t		s = bi * T + t;
			float	   *a = gates + s * G;
			float	   *c = c_out + s * H;
			float	   *h = h_out + s * H;
			const float *cp = t > 0 ? c_out + (s - 1) * H :
				(c0 ? c0 + bi * H : NULL);

			nn_lstm_cell(h, c, a, cp, H);
		}
	}
}

/*
 * The backward of one cell, elementwise (the formulas below): da (4H)
 * receives dL/da_t; dc (H) holds dL/dc_t from the step after and receives
 * dL/dc_{t-1}.  a holds the activated gates, c the cell, c_prev the cell
 * before (NULL: zeros), dh_out and dh_next the two parts of dL/dh_t.
 * Plain loops over arrays, vectorized like the forward cell.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
nn_lstm_cell_backward(float *restrict da, float *restrict dc,
					  const float *restrict a, const float *restrict c,
					  const float *restrict c_prev,
					  const float *restrict dh_out,
					  const float *restrict dh_next, size_t H)
{
	size_t		j;

	for (j = 0; j < H; j++)
	{
		float		ig = a[j];
		float		fg = a[H + j];
		float		gg = a[2 * H + j];
		float		og = a[3 * H + j];
		float		tc = nn_tanh(c[j]);
		float		dh = dh_out[j] + dh_next[j];
		float		dcv = dc[j] + dh * og * (1.0f - tc * tc);

		da[j] = dcv * gg * ig * (1.0f - ig);
		da[2 * H + j] = dcv * ig * (1.0f - gg * gg);
		da[3 * H + j] = dh * tc * og * (1.0f - og);
		/* da_f needs c_{t-1}; keep dc_t there until the next loop */
		da[H + j] = dcv * fg * (1.0f - fg);
		dc[j] = dcv * fg;
	}
	if (c_prev)
	{
		for (j = 0; j < H; j++)
			da[H + j] *= c_prev[j];
	}
	else
	{
		for (j = 0; j < H; j++)
			da[H + j] = 0.0f;
	}
}

/* scratch for nn_lstm_backward: dgates (B, T, 4H), dh_next and dc_next (B, H) */
size_t
nn_lstm_scratch_size(size_t B, size_t T, size_t H)
{
	return B * T * 4 * H + 2 * B * H;
}

/*
 * BPTT for the LSTM (Werbos 1990; the LSTM gradients as in Graves,
 * "Supervised sequence labelling with recurrent neural networks", 2012,
 * ch. 4.6, here with full gradients rather than the 1997 truncated ones).
 * Walking t from T-1 down, with dh_next = dL/dh_t from step t+1 and
 * dc_next = dL/dc_t from step t+1:
 *
 *	 dh = dh_out[t] + dh_next
 *	 dc = dc_next + dh * o * (1 - tanh(c_t)^2)
 *	 da_o = dh * tanh(c_t) * o (1 - o)
 *	 da_i = dc * g * i (1 - i);  da_f = dc * c_{t-1} * f (1 - f)
 *	 da_g = dc * i * (1 - g^2)
 *	 dh_next = da_t W_h;  dc_next = dc * f;  dW_h += da_t^T h_{t-1}
 *
 * and after the loop, over all steps at once, dinp += da W_x,
 * dW_x += da^T inp, db += column sums of da.
 */
void
nn_lstm_backward(float *dinp, float *dW_x, float *dW_h, float *db,
				 float *dh0, float *dc0, float *scratch, const float *dh_out,
				 const float *dc_last, const float *h_out, const float *c_out,
				 const float *gates, const float *inp, const float *h0,
				 const float *c0, const float *W_x, const float *W_h,
				 size_t B, size_t T, size_t D, size_t H)
{
	size_t		G = 4 * H;
	float	   *dgates = scratch;	/* (B, T, 4H) */
	float	   *dh_next = scratch + B * T * G;	/* (B, H) */
	float	   *dc_next = dh_next + B * H;	/* (B, H) */
	size_t		t;
	size_t		bi;
	size_t		j;
	size_t		r;

	memset(dh_next, 0, B * H * sizeof(float));
	if (dc_last)
		memcpy(dc_next, dc_last, B * H * sizeof(float));
	else
		memset(dc_next, 0, B * H * sizeof(float));

	for (t = T; t-- > 0;)
	{
		for (bi = 0; bi < B; bi++)
		{
			size_t		s = bi * T + t;
			const float *a = gates + s * G;
			const float *c = c_out + s * H;
			const float *cp = t > 0 ? c_out + (s - 1) * H :
				(c0 ? c0 + bi * H : NULL);

			nn_lstm_cell_backward(dgates + s * G, dc_next + bi * H, a, c, cp,
								  dh_out + s * H, dh_next + bi * H, H);
		}

		/* dh_next = da_t W_h: (B, 4H) x (4H, H), overwriting */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
					(int) B, (int) H, (int) G,
					1.0f, dgates + t * G, (int) (T * G), W_h, (int) H,
					0.0f, dh_next, (int) H);
		/* dW_h += da_t^T h_{t-1}: (B, 4H)^T x (B, H) */
		if (t > 0)
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
						(int) G, (int) H, (int) B,
						1.0f, dgates + t * G, (int) (T * G),
						h_out + (t - 1) * H, (int) (T * H),
						1.0f, dW_h, (int) H);
		else if (h0)
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
						(int) G, (int) H, (int) B,
						1.0f, dgates, (int) (T * G), h0, (int) H,
						1.0f, dW_h, (int) H);
	}

	if (dh0)
		for (j = 0; j < B * H; j++)
			dh0[j] += dh_next[j];
	if (dc0)
		for (j = 0; j < B * H; j++)
			dc0[j] += dc_next[j];

	/* the input projection, all B*T steps in one sgemm each */
	if (dinp)
		/* (B*T, 4H) x (4H, D) -> (B*T, D) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
					(int) (B * T), (int) D, (int) G,
					1.0f, dgates, (int) G, W_x, (int) D,
					1.0f, dinp, (int) D);
	/* (B*T, 4H)^T x (B*T, D) -> (4H, D) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
				(int) G, (int) D, (int) (B * T),
				1.0f, dgates, (int) G, inp, (int) D,
				1.0f, dW_x, (int) D);
	for (r = 0; r < B * T; r++)
	{
		const float *da = dgates + r * G;

		for (j = 0; j < G; j++)
			db[j] += da[j];
	}
}

/* ---------- loss ---------- */

/* mean of (pred - target)^2 and its gradient */
double
nn_mse_loss(float *dpred, const float *pred, const float *target, size_t B)
{
	double		sum = 0.0;
	float		scale = 2.0f / (float) B;
	size_t		b;

	for (b = 0; b < B; b++)
	{
		float		e = pred[b] - target[b];

		sum += (double) e * e;
		if (dpred)
			dpred[b] = scale * e;
	}
	return B > 0 ? sum / (double) B : 0.0;
}

/* ---------- optimizers ---------- */

/* Adam's default constants, no step taken */
void
nn_adam_init(nn_adam *a)
{
	a->beta1 = 0.9f;
	a->beta2 = 0.999f;
	a->eps = 1e-8f;
	a->t = 0;
	a->c1 = 1.0f;
	a->c2 = 1.0f;
}

/* next step: bias corrections 1 - beta^t */
void
nn_adam_next(nn_adam *a)
{
	a->t++;
	a->c1 = (float) (1.0 - pow((double) a->beta1, (double) a->t));
	a->c2 = (float) (1.0 - pow((double) a->beta2, (double) a->t));
}

/* w -= lr (g + wd w) */
void
nn_sgd_step(float *w, const float *g, size_t n, float lr, float wd)
{
	nn_sgd_update(w, g, n, lr, wd);
}

/*
 * One Adam step on n weights with L2 decay in the gradient.  With dense
 * updates this loop runs over every weight of the model at every step and
 * is the largest cost of a dense training: GCC also builds an AVX2 and an
 * AVX-512 version and the loader picks the best the CPU has (PGXS builds for
 * the baseline x86-64 otherwise).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void
nn_adam_step(const nn_adam *a, float *restrict w, const float *restrict g, float *restrict m1,
			 float *restrict m2, size_t n, float lr, float wd)
{
	nn_adam_update(a, w, g, m1, m2, n, lr, wd);
}

/* SGD on the listed rows of a table */
void
nn_sgd_rows(float *table, const float *g, const int32_t *rows,
			size_t n_rows, size_t d, float lr, float wd)
{
	size_t		r;

	for (r = 0; r < n_rows; r++)
	{
		size_t		off = (size_t) rows[r] * d;

		nn_sgd_step(table + off, g + off, d, lr, wd);
	}
}

/* lazy Adam on the listed rows of a table */
void
nn_adam_rows(const nn_adam *a, float *table, const float *g, float *m1,
			 float *m2, const int32_t *rows, size_t n_rows, size_t d,
			 float lr, float wd)
{
	size_t		r;

	for (r = 0; r < n_rows; r++)
	{
		size_t		off = (size_t) rows[r] * d;

		nn_adam_step(a, table + off, g + off, m1 + off, m2 + off, d, lr, wd);
	}
}

/* ---------- rows a minibatch touched ---------- */

/* no batch yet: a stamp of 0 is older than every batch */
void
nn_touched_init(nn_touched *t, int32_t *stamp, int32_t *rows)
{
	t->stamp = stamp;
	t->rows = rows;
	t->n_rows = 0;
	t->batch = 0;
}

/* a new stamp; when the stamps would wrap, forget them all */
void
nn_touched_next_batch(nn_touched *t, size_t n_table)
{
	t->batch++;
	if (t->batch == INT32_MAX)
	{
		memset(t->stamp, 0, n_table * sizeof(int32_t));
		t->batch = 1;
	}
	t->n_rows = 0;
}

/* ---------- gradient clipping ---------- */

/* scale a set of gradient buffers to global L2 norm max_norm if above it */
double
nn_clip_grad_norm(float *const *grads, const size_t *sizes, size_t n_bufs,
				  float max_norm)
{
	double		sq = 0.0;
	double		norm;
	size_t		k;
	size_t		j;

	for (k = 0; k < n_bufs; k++)
		for (j = 0; j < sizes[k]; j++)
			sq += (double) grads[k][j] * grads[k][j];
	norm = sqrt(sq);
	if (norm > (double) max_norm)
	{
		/* the 1e-6 as PyTorch, so a zero max_norm cannot divide by zero */
		float		scale = (float) ((double) max_norm / (norm + 1e-6));

		for (k = 0; k < n_bufs; k++)
			for (j = 0; j < sizes[k]; j++)
				grads[k][j] *= scale;
	}
	return norm;
}

/* ---------- BLAS threads ---------- */

/* set OpenBLAS's thread count; returns the count before */
int
nn_blas_threads_set(int threads)
{
	int			saved = openblas_get_num_threads();

	openblas_set_num_threads(threads);
	return saved;
}

/* put back a count returned by nn_blas_threads_set */
void
nn_blas_threads_restore(int saved)
{
	openblas_set_num_threads(saved);
}

/* set the count unless already held */
void
nn_blas_threads_hold(int *saved, int threads)
{
	if (*saved == 0)
		*saved = nn_blas_threads_set(threads);
}

/* put back the count before the hold, if any */
void
nn_blas_threads_release(int *saved)
{
	if (*saved > 0)
		nn_blas_threads_restore(*saved);
	*saved = 0;
}
