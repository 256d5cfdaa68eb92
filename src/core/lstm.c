/*-------------------------------------------------------------------------
 *
 * lstm.c
 *		The lstm kind: each user's ratings in time order through an LSTM,
 *		a rating predicted at every step.
 *
 * The model of "PyTorch for Recommenders 101" (item embedding, LSTM,
 * Linear, a rating per step), with additions that make it a sequence
 * recommender, each an option whose default was chosen on a tuning part of
 * MovieLens-100K u1.base (test/bench/TUNING.md):
 *
 *	 feedback		(on) the input of step t is [e(i_t) ; f_t ; m_t]: the
 *					user's previous rating and the mean of all its earlier
 *					ratings, each as (r - mu) / (max - min), 0 at the first
 *					step.  Item ids alone carry no sign of a user's taste;
 *					the ratings the user gave do.
 *	 carry_state	(off) a user's whole history runs through consecutive
 *					windows of seq_len steps, the state at a window's end
 *					starting the next (truncated backpropagation through
 *					time: Williams and Peng, Neural Computation 2(4), 1990).
 *					Off, every window starts from zeros and a user's state
 *					for serving is that of its last seq_len - 1 steps: on
 *					held-out ratings this predicted better.
 *	 biases			(on) a learned bias per item and per user in the output.
 *
 * Output: yhat_t = mu + w_out . dropout(h_t) + b_out (+ b_i + b_u),
 * trained on the mean squared error over the real steps of a batch; the
 * last window of a user is padded at its end and the padding masked out
 * (by causality it changes nothing before it).
 *
 * Batches.  With carry_state, users are ordered by their number of
 * windows, most first (ties in random order, redrawn every epoch), and cut
 * into groups of batch_size users; an optimizer step takes one window
 * index of one group, its batch being the group's users that still have a
 * window there, a prefix of the group.  Groups' steps are interleaved at
 * random, in order within a group.  Without carry_state every window of
 * every user is shuffled and batched alone.
 *
 * Serving.  After every epoch, a forward pass without dropout computes each
 * user's state (h, c) after its training history (its last seq_len - 1
 * steps without carry_state) and the feedback of its last rating; these
 * live in params_buf after the trained weights, so the early-stopping
 * snapshot keeps them in step with the weights and they are saved with
 * the model.  A prediction is one more step from that state with the
 * item's embedding; recommend takes that step for every item at once,
 * with the item part e(i) W_x^T of the gates computed once per loaded
 * model.  A history given at query time runs from a zero state instead.
 * Cold start: an unknown user is a zero state with no feedback, an unknown
 * item a zero embedding.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/lstm.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"
#include "model.h"
#include "rank.h"
#include "nn.h"

#define LSTM_MAX_FACTORS 1024
#define LSTM_MAX_HIDDEN 1024
#define LSTM_MAX_SEQ_LEN 1000
/* a step of the LSTM costs more than a rating of mf: report more often */
#define LSTM_PROGRESS_ROWS 4096

/* ---------- options ---------- */

/* indexes into lstm_options[]; keep in the same order */
enum
{
	OPT_FACTORS,
	OPT_HIDDEN,
	OPT_SEQ_LEN,
	OPT_FEEDBACK,
	OPT_CARRY_STATE,
	OPT_DROPOUT,
	OPT_WEIGHT_DECAY,
	OPT_EPOCHS,
	OPT_LEARNING_RATE,
	OPT_OPTIMIZER,
	OPT_BATCH_SIZE,
	OPT_CLIP_NORM,
	OPT_VALIDATION_FRACTION,
	OPT_PATIENCE,
	OPT_SEED,
	OPT_THREADS,
	OPT_BIASES,
	OPT_INIT_STD,
	LSTM_N_OPTIONS
};

/* the defaults are tuned on a validation part of MovieLens-100K u1.base */
static const rs_option_def lstm_options[LSTM_N_OPTIONS + RS_RANK_N_OPTIONS] = {
	{"factors", RS_OPT_INT, 64, 1, LSTM_MAX_FACTORS, NULL,
	"size of the item embedding"},
	{"hidden", RS_OPT_INT, 128, 1, LSTM_MAX_HIDDEN, NULL,
	"size of the LSTM's state"},
	{"seq_len", RS_OPT_INT, 10, 1, LSTM_MAX_SEQ_LEN, NULL,
	"steps per training window (and of a history given at query time)"},
	{"feedback", RS_OPT_BOOL, 1, 0, 1, NULL,
	"feed the user's previous rating into each step"},
	{"carry_state", RS_OPT_BOOL, 0, 0, 1, NULL,
	"carry a user's state through consecutive windows of its whole history"},
	RS_OPTION_DROPOUT(0, "probability of zeroing a unit of the LSTM's output in training"),
	RS_OPTION_WEIGHT_DECAY(0),
	RS_OPTION_EPOCHS(100),
	RS_OPTION_LEARNING_RATE(0.001),
	RS_OPTION_OPTIMIZER(RS_OPTIMIZER_ADAM),
	RS_OPTION_BATCH_SIZE(256, 65536, "users (with carry_state) or windows per step"),
	{"clip_norm", RS_OPT_REAL, 5, 0, 1e6, NULL,
	"largest global norm of a step's gradient (0: no clipping)"},
	RS_OPTION_VALIDATION_FRACTION(0.02),
	RS_OPTION_PATIENCE(4),
	RS_OPTION_SEED(42, "seed of the shuffles, the initial weights and dropout"),
	RS_OPTION_THREADS("OpenBLAS threads of training (0: the caller's default, recsys.threads)"),
	RS_OPTION_BIASES(1, "learn a bias per item and per user, added to the output"),
	RS_OPTION_INIT_STD(0.1, "standard deviation of the initial item embeddings"),
	RS_RANK_OPTIONS(4),
};

/* ---------- model state ---------- */

/* one step of a user's training sequence */
typedef struct lstm_step
{
	double		time;
	int32_t		item;
	float		rating;
	float		mean_before;	/* feedback: the mean of the earlier ratings */
	float		pad_;
} lstm_step;

/* feedback inputs of a step: the previous rating, the mean of all before */
#define LSTM_FEEDBACK_INPUTS 2

/* sort key of a user when ordering users by their number of windows */
typedef struct lstm_rank
{
	int32_t		n_windows;
	int32_t		user;
	uint64_t	tie;			/* random, so equal counts come in any order */
} lstm_rank;

typedef struct lstm_impl
{
	int			E;				/* embedding size */
	int			H;				/* hidden size */
	int			T;				/* window length */
	int			D;				/* input size: E, + 2 with feedback */
	bool		feedback;
	bool		carry;

	/* trained weights, params_buf[0, n_trained) */
	float	   *emb;			/* (n_items, E) */
	float	   *W_x;			/* (4H, D) */
	float	   *W_h;			/* (4H, H) */
	float	   *b;				/* (4H) */
	float	   *w_out;			/* (H) */
	float	   *b_out;			/* (1) */
	float	   *ib;				/* (n_items) item biases, or NULL */
	float	   *ub;				/* (n_users) user biases, or NULL */
	size_t		n_trained;

	/* serving state of every user, after the weights in params_buf */
	float	   *state_h;		/* (n_users, H) */
	float	   *state_c;		/* (n_users, H) */
	float	   *state_f;		/* (n_users, 2) feedback of the next step */

	/* serving cache: derived from the weights, never saved */
	float	   *item_part;		/* (n_items, 4H) e(i) W_x[:, :E]^T */
	bool		item_part_ready;

	/* training only (train_begin .. train_end); one allocation at ws */
	void	   *ws;
	size_t		bs;				/* lanes of the batch buffers */
	lstm_step  *seq;			/* (n_train) rows by user, then time, item */
	size_t	   *user_off;		/* (n_users + 1) start of each user in seq */
	int32_t    *n_windows;		/* (n_users) */
	int32_t    *order;			/* (n_users) users by windows, descending */
	struct lstm_rank *rank;		/* (n_users) sort keys of order */
	int32_t    *schedule;		/* (n_windows_total) group (carry) or window */
	int32_t    *group_next;		/* (n_groups) next window index of a group */
	int32_t    *win_user;		/* (n_windows_total) no carry: each window's */
	int32_t    *win_start;		/* user and first step */
	size_t		n_windows_total;
	size_t		n_groups;
	float	   *lane_h;			/* (n_users, H) carried state in training */
	float	   *lane_c;
	float	   *grad;			/* (n_trained) */
	float	   *m1;				/* (n_trained) Adam moments */
	float	   *m2;
	/* batch buffers, bs lanes of T steps */
	int32_t    *lane_user;		/* (bs) */
	int32_t    *lane_start;		/* (bs) */
	int32_t    *lane_len;		/* (bs) */
	float	   *inp;			/* (bs, T, D) */
	float	   *dinp;			/* (bs, T, D) */
	float	   *h_out;			/* (bs, T, H) */
	float	   *c_out;			/* (bs, T, H) */
	float	   *hd;				/* (bs, T, H) after dropout */
	float	   *mask;			/* (bs, T, H) dropout factors */
	float	   *dh;				/* (bs, T, H) */
	float	   *gates;			/* (bs, T, 4H) */
	float	   *scratch;		/* nn_lstm_scratch_size(bs, T, H) */
	float	   *h0;				/* (bs, H) */
	float	   *c0;				/* (bs, H) */
	float	   *y;				/* (bs, T) predictions */
	float	   *dy;				/* (bs, T) */
	float	   *target;			/* (bs, T) */
	nn_adam		adam;
	int			saved_threads;	/* nn_blas_threads_hold's, 0 when not held */
} lstm_impl;

/* the step input for feedback: a rating centred and scaled by the range */
static inline float
lstm_feedback(const rs_model *m, float rating)
{
	double		range = m->rating_max - m->rating_min;

	if (!(range > 0))
		range = 1.0;
	return (float) (((double) rating - m->global_mean) / range);
}

/* trained weights: embedding, LSTM, output */
static size_t
lstm_trained_count(const rs_params *p, int32_t n_users, int32_t n_items)
{
	size_t		E = (size_t) p->value[OPT_FACTORS];
	size_t		H = (size_t) p->value[OPT_HIDDEN];
	size_t		D = E + (p->value[OPT_FEEDBACK] != 0 ? LSTM_FEEDBACK_INPUTS : 0);
	size_t		n;

	n = rs_mul_size((size_t) n_items, E);
	n = rs_add_size(n, 4 * H * D + 4 * H * H + 4 * H);
	n = rs_add_size(n, H + 1);
	if (p->value[OPT_BIASES] != 0)
		n = rs_add_size(n, rs_add_size((size_t) n_items, (size_t) n_users));
	return n;
}

/* all of params_buf: the trained weights and every user's state */
static size_t
lstm_param_count(const rs_params *p, int32_t n_users, int32_t n_items)
{
	size_t		H = (size_t) p->value[OPT_HIDDEN];

	return rs_add_size(lstm_trained_count(p, n_users, n_items),
					   rs_mul_size((size_t) n_users, 2 * H + LSTM_FEEDBACK_INPUTS));
}

/* an upper bound on the windows of n_rows rows of n_users users */
static size_t
lstm_max_windows(const rs_params *p, int32_t n_users, size_t n_rows)
{
	return n_rows / (size_t) p->value[OPT_SEQ_LEN] + (size_t) n_users + 1;
}

/* lanes of the batch buffers: batch_size, at most the users or windows */
static size_t
lstm_lanes(const rs_params *p, int32_t n_users, size_t n_rows)
{
	size_t		bs = (size_t) p->value[OPT_BATCH_SIZE];
	size_t		most = p->value[OPT_CARRY_STATE] != 0 ? (size_t) n_users :
		lstm_max_windows(p, n_users, n_rows);

	return bs < most ? bs : most;
}

/*
 * The buffers of the training workspace, in layout order: 8-byte members
 * first, then floats, then int32s, so that all stay aligned.
 */
enum
{
	LSTM_WS_SEQ,				/* (n_rows) lstm_step, by user, then time */
	LSTM_WS_USER_OFF,			/* (n_users + 1) size_t, a user's start in seq */
	LSTM_WS_FILL,				/* (n_users + 1) size_t: counting sort */
	LSTM_WS_RANK,				/* (n_users + 1) lstm_rank */
	LSTM_WS_LANE_H,				/* (n_users, H) carried state in training */
	LSTM_WS_LANE_C,
	LSTM_WS_GRAD,				/* (n_trained) */
	LSTM_WS_M1,					/* (n_trained) Adam's moments, none for SGD */
	LSTM_WS_M2,
	LSTM_WS_INP,				/* (bs, T, D) */
	LSTM_WS_DINP,
	LSTM_WS_H_OUT,				/* (bs, T, H) */
	LSTM_WS_C_OUT,
	LSTM_WS_HD,
	LSTM_WS_MASK,
	LSTM_WS_DH,
	LSTM_WS_GATES,				/* (bs, T, 4H) */
	LSTM_WS_SCRATCH,			/* nn_lstm_scratch_size(bs, T, H) */
	LSTM_WS_H0,					/* (bs, H) */
	LSTM_WS_C0,
	LSTM_WS_Y,					/* (bs, T) */
	LSTM_WS_DY,
	LSTM_WS_TARGET,
	LSTM_WS_N_WINDOWS,			/* (n_users + 1) int32 */
	LSTM_WS_ORDER,
	LSTM_WS_GROUP_NEXT,
	LSTM_WS_SCHEDULE,			/* (lstm_max_windows) int32 */
	LSTM_WS_WIN_USER,
	LSTM_WS_WIN_START,
	LSTM_WS_LANE_USER,			/* (bs) int32 */
	LSTM_WS_LANE_START,
	LSTM_WS_LANE_LEN,
	LSTM_N_WS
};

/*
 * Bytes of each buffer of the workspace train_begin allocates for n_rows
 * training rows: the sequences, per-user and per-window tables, carried
 * states, the gradient and optimizer moments, and the batch buffers.
 */
static void
lstm_workspace(const rs_params *p, int32_t n_users, int32_t n_items,
			   size_t n_rows, size_t sizes[LSTM_N_WS])
{
	size_t		users = (size_t) n_users + 1;
	size_t		E = (size_t) p->value[OPT_FACTORS];
	size_t		H = (size_t) p->value[OPT_HIDDEN];
	size_t		T = (size_t) p->value[OPT_SEQ_LEN];
	size_t		D = p->value[OPT_FEEDBACK] != 0 ? E + LSTM_FEEDBACK_INPUTS : E;
	size_t		bs = lstm_lanes(p, n_users, n_rows);
	size_t		steps = rs_mul_size(bs, T);
	size_t		windows = lstm_max_windows(p, n_users, n_rows);
	size_t		grad = rs_mul_size(lstm_trained_count(p, n_users, n_items),
								   sizeof(float));
	bool		adam = (int) p->value[OPT_OPTIMIZER] == RS_OPTIMIZER_ADAM;
	int			i;

	sizes[LSTM_WS_SEQ] = rs_mul_size(n_rows, sizeof(lstm_step));
	sizes[LSTM_WS_USER_OFF] = rs_mul_size(users, sizeof(size_t));
	sizes[LSTM_WS_FILL] = sizes[LSTM_WS_USER_OFF];
	sizes[LSTM_WS_RANK] = rs_mul_size(users, sizeof(lstm_rank));
	sizes[LSTM_WS_LANE_H] = rs_mul_size(rs_mul_size((size_t) n_users, H),
										sizeof(float));
	sizes[LSTM_WS_LANE_C] = sizes[LSTM_WS_LANE_H];
	sizes[LSTM_WS_GRAD] = grad;
	sizes[LSTM_WS_M1] = adam ? grad : 0;
	sizes[LSTM_WS_M2] = adam ? grad : 0;
	sizes[LSTM_WS_INP] = rs_mul_size(steps, D * sizeof(float));
	sizes[LSTM_WS_DINP] = sizes[LSTM_WS_INP];
	for (i = LSTM_WS_H_OUT; i <= LSTM_WS_DH; i++)
		sizes[i] = rs_mul_size(steps, H * sizeof(float));
	sizes[LSTM_WS_GATES] = rs_mul_size(steps, 4 * H * sizeof(float));
	sizes[LSTM_WS_SCRATCH] = rs_mul_size(nn_lstm_scratch_size(bs, T, H),
										 sizeof(float));
	sizes[LSTM_WS_H0] = rs_mul_size(bs, H * sizeof(float));
	sizes[LSTM_WS_C0] = sizes[LSTM_WS_H0];
	for (i = LSTM_WS_Y; i <= LSTM_WS_TARGET; i++)
		sizes[i] = rs_mul_size(steps, sizeof(float));
	for (i = LSTM_WS_N_WINDOWS; i <= LSTM_WS_GROUP_NEXT; i++)
		sizes[i] = rs_mul_size(users, sizeof(int32_t));
	for (i = LSTM_WS_SCHEDULE; i <= LSTM_WS_WIN_START; i++)
		sizes[i] = rs_mul_size(windows, sizeof(int32_t));
	for (i = LSTM_WS_LANE_USER; i <= LSTM_WS_LANE_LEN; i++)
		sizes[i] = rs_mul_size(bs, sizeof(int32_t));
}

/* bytes of a training, for the memory limit check */
static size_t
lstm_train_memory(const rs_params *p, int32_t n_users, int32_t n_items,
				  size_t n_ratings)
{
	size_t		H = (size_t) p->value[OPT_HIDDEN];
	size_t		np = lstm_param_count(p, n_users, n_items);
	size_t		sizes[LSTM_N_WS];
	size_t		total;

	/* the weights and states, and their early-stopping snapshot */
	total = rs_mul_size(np, sizeof(float));
	if (p->value[OPT_VALIDATION_FRACTION] > 0)
		total = rs_add_size(total, rs_mul_size(np, sizeof(float)));
	/* the item part of the serving cache, allocated with the model */
	total = rs_add_size(total, rs_mul_size(rs_mul_size((size_t) n_items, 4 * H),
										   sizeof(float)));
	lstm_workspace(p, n_users, n_items, n_ratings, sizes);
	total = rs_add_size(total, rs_workspace_bytes(sizes, LSTM_N_WS));
	return rs_add_size(total, sizeof(lstm_impl));
}

/* carve params_buf into the tensors and register them */
static rs_status
lstm_init(rs_model *m, rs_error *err)
{
	const rs_params *p = &m->params;
	int			E = (int) p->value[OPT_FACTORS];
	int			H = (int) p->value[OPT_HIDDEN];
	size_t		n_params = lstm_param_count(p, m->n_users, m->n_items);
	size_t		bytes = rs_mul_size(n_params, sizeof(float));
	size_t		cache = rs_mul_size(rs_mul_size((size_t) m->n_items, 4 * (size_t) H),
									sizeof(float));
	size_t		impl_bytes = rs_add_size(sizeof(lstm_impl), cache);
	lstm_impl  *impl;
	float	   *w;
	rs_status	rc;

	if (bytes == SIZE_MAX || impl_bytes == SIZE_MAX)
		return rs_error_set(err, RS_ERR_LIMIT, "hidden",
							"the model would be too large");
	impl = rs_alloc(&m->alloc, impl_bytes);
	if (impl == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory allocating %zu bytes", impl_bytes);
	memset(impl, 0, sizeof(*impl));
	m->impl = impl;
	impl->item_part = (float *) (impl + 1);
	m->params_buf = rs_alloc(&m->alloc, bytes);
	if (m->params_buf == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory allocating %zu bytes of weights", bytes);
	memset(m->params_buf, 0, bytes);
	m->n_params = n_params;

	impl->E = E;
	impl->H = H;
	impl->T = (int) p->value[OPT_SEQ_LEN];
	impl->feedback = p->value[OPT_FEEDBACK] != 0;
	impl->carry = p->value[OPT_CARRY_STATE] != 0;
	impl->D = E + (impl->feedback ? LSTM_FEEDBACK_INPUTS : 0);
	impl->n_trained = lstm_trained_count(p, m->n_users, m->n_items);

	w = m->params_buf;
	impl->emb = w;
	w += (size_t) m->n_items * (size_t) E;
	impl->W_x = w;
	w += 4 * (size_t) H * (size_t) impl->D;
	impl->W_h = w;
	w += 4 * (size_t) H * (size_t) H;
	impl->b = w;
	w += 4 * (size_t) H;
	impl->w_out = w;
	w += H;
	impl->b_out = w;
	w += 1;
	if (p->value[OPT_BIASES] != 0)
	{
		impl->ib = w;
		w += m->n_items;
		impl->ub = w;
		w += m->n_users;
	}
	impl->state_h = w;
	w += (size_t) m->n_users * (size_t) H;
	impl->state_c = w;
	w += (size_t) m->n_users * (size_t) H;
	impl->state_f = w;

	rc = rs_model_add_param_tensor(m, "item_embedding", impl->emb, 2,
								   m->n_items, E, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "lstm_weight_x", impl->W_x, 2,
									   4 * H, impl->D, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "lstm_weight_h", impl->W_h, 2,
									   4 * H, H, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "lstm_bias", impl->b, 1, 4 * H, 1, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "output_weight", impl->w_out, 2, 1, H, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "output_bias", impl->b_out, 1, 1, 1, err);
	if (rc == RS_OK && impl->ib)
		rc = rs_model_add_param_tensor(m, "item_bias", impl->ib, 1,
									   m->n_items, 1, err);
	if (rc == RS_OK && impl->ub)
		rc = rs_model_add_param_tensor(m, "user_bias", impl->ub, 1,
									   m->n_users, 1, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "user_state_h", impl->state_h, 2,
									   m->n_users, H, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "user_state_c", impl->state_c, 2,
									   m->n_users, H, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "user_feedback", impl->state_f, 2,
									   m->n_users, LSTM_FEEDBACK_INPUTS, err);
	return rc;
}

/*
 * PyTorch's defaults: the embedding from N(0, 1); the LSTM's weights from
 * U(-k, k) with k = 1/sqrt(H), its bias as the sum of torch's two (b_ih +
 * b_hh); the output layer from U(-1/sqrt(H), 1/sqrt(H)).
 */
static void
lstm_init_weights(rs_model *m, rs_rng *rng)
{
	lstm_impl  *impl = m->impl;
	size_t		G = 4 * (size_t) impl->H;
	size_t		ne = (size_t) m->n_items * (size_t) impl->E;
	double		k = 1.0 / sqrt((double) impl->H);
	double		std = m->params.value[OPT_INIT_STD];
	size_t		j;

	for (j = 0; j < ne; j++)
		impl->emb[j] = (float) (std * rs_rng_normal(rng));
	for (j = 0; j < G * (size_t) impl->D; j++)
		impl->W_x[j] = (float) (k * (2.0 * rs_rng_uniform(rng) - 1.0));
	for (j = 0; j < G * (size_t) impl->H; j++)
		impl->W_h[j] = (float) (k * (2.0 * rs_rng_uniform(rng) - 1.0));
	for (j = 0; j < G; j++)
		impl->b[j] = (float) (k * (2.0 * rs_rng_uniform(rng) - 1.0) +
							  k * (2.0 * rs_rng_uniform(rng) - 1.0));
	for (j = 0; j < (size_t) impl->H; j++)
		impl->w_out[j] = (float) (k * (2.0 * rs_rng_uniform(rng) - 1.0));
	impl->b_out[0] = (float) (k * (2.0 * rs_rng_uniform(rng) - 1.0));
	if (impl->ib)
	{
		memset(impl->ib, 0, (size_t) m->n_items * sizeof(float));
		memset(impl->ub, 0, (size_t) m->n_users * sizeof(float));
	}
	/* every user's state starts empty, as an unknown user's */
	memset(impl->state_h, 0, (m->n_params - impl->n_trained) * sizeof(float));
}

/* ---------- the batch: forward, loss, backward ---------- */

/*
 * Inputs and targets of the bs lanes set in lane_user/lane_start/lane_len;
 * padded steps are zero inputs with no target.
 */
static void
lstm_fill_inputs(const rs_model *m, lstm_impl *impl, size_t B)
{
	const size_t E = (size_t) impl->E;
	const size_t D = (size_t) impl->D;
	const size_t T = (size_t) impl->T;
	size_t		b;

	memset(impl->inp, 0, B * T * D * sizeof(float));
	memset(impl->target, 0, B * T * sizeof(float));
	for (b = 0; b < B; b++)
	{
		const lstm_step *s = impl->seq + impl->user_off[impl->lane_user[b]] +
			impl->lane_start[b];
		size_t		len = (size_t) impl->lane_len[b];
		size_t		t;

		for (t = 0; t < len; t++)
		{
			float	   *x = impl->inp + (b * T + t) * D;

			memcpy(x, impl->emb + (size_t) s[t].item * E, E * sizeof(float));
			if (impl->feedback && (impl->lane_start[b] > 0 || t > 0))
			{
				x[E] = lstm_feedback(m, s[(ptrdiff_t) t - 1].rating);
				x[E + 1] = s[t].mean_before;
			}
			impl->target[b * T + t] = s[t].rating;
		}
	}
}

/* initial states of the lanes from their users' carried states */
static void
lstm_gather_state(lstm_impl *impl, size_t B)
{
	const size_t H = (size_t) impl->H;
	size_t		b;

	for (b = 0; b < B; b++)
	{
		size_t		u = (size_t) impl->lane_user[b];

		memcpy(impl->h0 + b * H, impl->lane_h + u * H, H * sizeof(float));
		memcpy(impl->c0 + b * H, impl->lane_c + u * H, H * sizeof(float));
	}
}

/* each lane's state after its last real step, back to its user */
static void
lstm_scatter_state(lstm_impl *impl, size_t B)
{
	const size_t H = (size_t) impl->H;
	const size_t T = (size_t) impl->T;
	size_t		b;

	for (b = 0; b < B; b++)
	{
		size_t		u = (size_t) impl->lane_user[b];
		size_t		last = b * T + (size_t) impl->lane_len[b] - 1;

		memcpy(impl->lane_h + u * H, impl->h_out + last * H, H * sizeof(float));
		memcpy(impl->lane_c + u * H, impl->c_out + last * H, H * sizeof(float));
	}
}

/*
 * Forward the B lanes (inputs filled), from the carried states with
 * carry_in, else from zeros; with dropout_rng, dropout on the output path.
 * Leaves predictions in y.
 */
static void
lstm_forward(rs_model *m, lstm_impl *impl, size_t B, bool carry_in,
			 rs_rng *dropout_rng)
{
	const size_t H = (size_t) impl->H;
	const size_t T = (size_t) impl->T;
	float		p = (float) m->params.value[OPT_DROPOUT];
	const float *out_in = impl->h_out;
	size_t		r;

	if (carry_in)
		lstm_gather_state(impl, B);
	nn_lstm_forward(impl->h_out, impl->c_out, impl->gates, impl->inp,
					carry_in ? impl->h0 : NULL, carry_in ? impl->c0 : NULL,
					impl->W_x, impl->W_h, impl->b, B, T, (size_t) impl->D, H);
	if (dropout_rng && p > 0.0f)
	{
		nn_dropout_forward(impl->hd, impl->mask, impl->h_out, B * T * H, p,
						   dropout_rng);
		out_in = impl->hd;
	}
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) (B * T), (int) H, 1.0f,
				out_in, (int) H, impl->w_out, 1, 0.0f, impl->y, 1);
	for (r = 0; r < B * T; r++)
		impl->y[r] += impl->b_out[0] + (float) m->global_mean;
	if (impl->ib)
	{
		size_t		b;
		size_t		t;

		for (b = 0; b < B; b++)
		{
			const lstm_step *s = impl->seq + impl->user_off[impl->lane_user[b]] +
				impl->lane_start[b];

			for (t = 0; t < (size_t) impl->lane_len[b]; t++)
				impl->y[b * T + t] += impl->ib[s[t].item] +
					impl->ub[impl->lane_user[b]];
		}
	}
}

/*
 * Squared errors of the real steps of the B lanes after lstm_forward, and
 * dL/dy of their mean into dy (zero on padding).  *n_real receives the
 * number of real steps.
 */
static double
lstm_loss(lstm_impl *impl, size_t B, size_t *n_real)
{
	const size_t T = (size_t) impl->T;
	size_t		n = 0;
	size_t		b;
	size_t		t;
	double		sq = 0.0;

	for (b = 0; b < B; b++)
		n += (size_t) impl->lane_len[b];
	memset(impl->dy, 0, B * T * sizeof(float));
	for (b = 0; b < B; b++)
	{
		for (t = 0; t < (size_t) impl->lane_len[b]; t++)
		{
			size_t		r = b * T + t;
			double		e = (double) impl->y[r] - (double) impl->target[r];

			sq += e * e;
			impl->dy[r] = (float) (2.0 * e / (double) n);
		}
	}
	*n_real = n;
	return sq;
}

/* backward of the batch after lstm_forward and lstm_loss, into grad */
static void
lstm_backward(rs_model *m, lstm_impl *impl, size_t B, bool carry_in,
			  bool dropped, float *grad)
{
	const size_t E = (size_t) impl->E;
	const size_t H = (size_t) impl->H;
	const size_t T = (size_t) impl->T;
	const size_t D = (size_t) impl->D;
	const size_t BT = B * T;
	const float *out_in = dropped ? impl->hd : impl->h_out;
	float	   *g_emb = grad;
	float	   *g_Wx = grad + (impl->W_x - m->params_buf);
	float	   *g_Wh = grad + (impl->W_h - m->params_buf);
	float	   *g_b = grad + (impl->b - m->params_buf);
	float	   *g_wout = grad + (impl->w_out - m->params_buf);
	float	   *g_bout = grad + (impl->b_out - m->params_buf);
	float	   *g_ib = impl->ib ? grad + (impl->ib - m->params_buf) : NULL;
	float	   *g_ub = impl->ub ? grad + (impl->ub - m->params_buf) : NULL;
	size_t		r;
	size_t		b;
	size_t		t;

	/* output layer: dw_out += out_in^T dy, db_out += sum dy, dh = dy w_out */
	cblas_sgemv(CblasRowMajor, CblasTrans, (int) BT, (int) H, 1.0f, out_in,
				(int) H, impl->dy, 1, 1.0f, g_wout, 1);
	for (r = 0; r < BT; r++)
		g_bout[0] += impl->dy[r];
	memset(impl->dh, 0, BT * H * sizeof(float));
	cblas_sger(CblasRowMajor, (int) BT, (int) H, 1.0f, impl->dy, 1,
			   impl->w_out, 1, impl->dh, (int) H);
	if (dropped)
	{
		for (r = 0; r < BT * H; r++)
			impl->dh[r] *= impl->mask[r];
	}

	memset(impl->dinp, 0, BT * D * sizeof(float));
	nn_lstm_backward(impl->dinp, g_Wx, g_Wh, g_b, NULL, NULL, impl->scratch,
					 impl->dh, NULL, impl->h_out, impl->c_out, impl->gates,
					 impl->inp, carry_in ? impl->h0 : NULL,
					 carry_in ? impl->c0 : NULL, impl->W_x, impl->W_h,
					 B, T, D, H);

	/* the embedding rows and item biases of the real steps */
	for (b = 0; b < B; b++)
	{
		const lstm_step *s = impl->seq + impl->user_off[impl->lane_user[b]] +
			impl->lane_start[b];

		for (t = 0; t < (size_t) impl->lane_len[b]; t++)
		{
			float	   *ge = g_emb + (size_t) s[t].item * E;
			const float *dx = impl->dinp + (b * T + t) * D;
			size_t		j;

			for (j = 0; j < E; j++)
				ge[j] += dx[j];
			if (g_ib)
			{
				g_ib[s[t].item] += impl->dy[b * T + t];
				g_ub[impl->lane_user[b]] += impl->dy[b * T + t];
			}
		}
	}
}

/* see lstm.h */
double
lstm_batch_loss_grad(rs_model *m, const int32_t *users, const int32_t *starts,
					 const int32_t *lens, size_t B, bool carry_in, float *grad)
{
	lstm_impl  *impl = m->impl;
	size_t		n_real;
	double		sq;

	memcpy(impl->lane_user, users, B * sizeof(int32_t));
	memcpy(impl->lane_start, starts, B * sizeof(int32_t));
	memcpy(impl->lane_len, lens, B * sizeof(int32_t));
	lstm_fill_inputs(m, impl, B);
	lstm_forward(m, impl, B, carry_in, NULL);
	sq = lstm_loss(impl, B, &n_real);
	if (grad)
		lstm_backward(m, impl, B, carry_in, false, grad);
	return sq;
}

/* see lstm.h */
size_t
lstm_trained_params(const rs_model *m)
{
	return ((const lstm_impl *) m->impl)->n_trained;
}

/* ---------- training ---------- */

/* a user's steps by time, ties by item index (item ids are ascending) */
static int
lstm_step_cmp(const void *a, const void *b)
{
	const lstm_step *x = a;
	const lstm_step *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

/* users by number of windows, most first, then by the tie-break */
static int
lstm_rank_cmp(const void *a, const void *b)
{
	const lstm_rank *x = a;
	const lstm_rank *y = b;

	if (x->n_windows != y->n_windows)
		return x->n_windows > y->n_windows ? -1 : 1;
	return (x->tie > y->tie) - (x->tie < y->tie);
}

/*
 * Order the users by their number of windows, most first: ties at random
 * with rng (a training epoch), by user index without (the serving pass).
 */
static void
lstm_order_users(rs_model *m, lstm_impl *impl, rs_rng *rng)
{
	int32_t		u;

	for (u = 0; u < m->n_users; u++)
	{
		impl->rank[u].n_windows = impl->n_windows[u];
		impl->rank[u].user = u;
		impl->rank[u].tie = rng ? rs_rng_next(rng) : (uint64_t) u;
	}
	qsort(impl->rank, (size_t) m->n_users, sizeof(lstm_rank), lstm_rank_cmp);
	for (u = 0; u < m->n_users; u++)
		impl->order[u] = impl->rank[u].user;
}

/* point the buffers of impl at the parts of the workspace */
static void
lstm_point_workspace(lstm_impl *impl, void *const *parts)
{
	impl->seq = parts[LSTM_WS_SEQ];
	impl->user_off = parts[LSTM_WS_USER_OFF];
	impl->rank = parts[LSTM_WS_RANK];
	impl->lane_h = parts[LSTM_WS_LANE_H];
	impl->lane_c = parts[LSTM_WS_LANE_C];
	impl->grad = parts[LSTM_WS_GRAD];
	impl->m1 = parts[LSTM_WS_M1];
	impl->m2 = parts[LSTM_WS_M2];
	impl->inp = parts[LSTM_WS_INP];
	impl->dinp = parts[LSTM_WS_DINP];
	impl->h_out = parts[LSTM_WS_H_OUT];
	impl->c_out = parts[LSTM_WS_C_OUT];
	impl->hd = parts[LSTM_WS_HD];
	impl->mask = parts[LSTM_WS_MASK];
	impl->dh = parts[LSTM_WS_DH];
	impl->gates = parts[LSTM_WS_GATES];
	impl->scratch = parts[LSTM_WS_SCRATCH];
	impl->h0 = parts[LSTM_WS_H0];
	impl->c0 = parts[LSTM_WS_C0];
	impl->y = parts[LSTM_WS_Y];
	impl->dy = parts[LSTM_WS_DY];
	impl->target = parts[LSTM_WS_TARGET];
	impl->n_windows = parts[LSTM_WS_N_WINDOWS];
	impl->order = parts[LSTM_WS_ORDER];
	impl->group_next = parts[LSTM_WS_GROUP_NEXT];
	impl->schedule = parts[LSTM_WS_SCHEDULE];
	impl->win_user = parts[LSTM_WS_WIN_USER];
	impl->win_start = parts[LSTM_WS_WIN_START];
	impl->lane_user = parts[LSTM_WS_LANE_USER];
	impl->lane_start = parts[LSTM_WS_LANE_START];
	impl->lane_len = parts[LSTM_WS_LANE_LEN];
}

/*
 * Allocate the workspace and lay out the training rows as time-ordered
 * sequences per user (a counting sort by user, then a sort of each user's
 * rows by time and item).
 */
static rs_status
lstm_train_begin(rs_model *m, rs_dataset *train, rs_error *err)
{
	lstm_impl  *impl = m->impl;
	size_t		nu = (size_t) m->n_users;
	size_t		T = (size_t) impl->T;
	size_t		sizes[LSTM_N_WS];
	void	   *parts[LSTM_N_WS];
	size_t	   *fill;
	size_t		r;
	size_t		u;
	rs_status	rc;

	if (train->time == NULL)
		return rs_error_set(err, RS_ERR_DATA, "time_column",
							"models of kind \"lstm\" need the time of each rating");
	impl->bs = lstm_lanes(&m->params, m->n_users, train->n);
	lstm_workspace(&m->params, m->n_users, m->n_items, train->n, sizes);
	rc = rs_workspace_alloc(m, sizes, LSTM_N_WS, "training state", &impl->ws,
							parts, err);
	if (rc != RS_OK)
		return rc;
	lstm_point_workspace(impl, parts);
	fill = parts[LSTM_WS_FILL];

	/* counting sort of the rows by user, then each user's by time */
	for (r = 0; r < train->n; r++)
		impl->user_off[train->user[r] + 1]++;
	for (u = 0; u < nu; u++)
		impl->user_off[u + 1] += impl->user_off[u];
	for (u = 0; u < nu; u++)
		fill[u] = impl->user_off[u];
	for (r = 0; r < train->n; r++)
	{
		size_t		at = fill[train->user[r]]++;

		impl->seq[at].time = train->time[r];
		impl->seq[at].item = train->item[r];
		impl->seq[at].rating = train->rating[r];
	}
	for (u = 0; u < nu; u++)
	{
		lstm_step  *seq = impl->seq + impl->user_off[u];
		size_t		len = impl->user_off[u + 1] - impl->user_off[u];
		double		sum = 0.0;

		qsort(seq, len, sizeof(lstm_step), lstm_step_cmp);
		impl->n_windows[u] = (int32_t) ((len + T - 1) / T);
		for (r = 0; r < len; r++)
		{
			seq[r].mean_before = r > 0 ? lstm_feedback(m, (float) (sum / (double) r)) : 0.0f;
			sum += seq[r].rating;
		}
		/* the feedback of the step after the history, fixed for the training */
		if (impl->feedback && len > 0)
		{
			float	   *f = impl->state_f + u * LSTM_FEEDBACK_INPUTS;

			f[0] = lstm_feedback(m, seq[len - 1].rating);
			f[1] = lstm_feedback(m, (float) (sum / (double) len));
		}
	}

	/* without carry_state the windows are fixed: list them once */
	impl->n_windows_total = 0;
	for (u = 0; u < nu; u++)
	{
		int32_t		w;

		for (w = 0; w < impl->n_windows[u]; w++)
		{
			impl->win_user[impl->n_windows_total] = (int32_t) u;
			impl->win_start[impl->n_windows_total] = w * (int32_t) T;
			impl->n_windows_total++;
		}
	}

	nn_adam_init(&impl->adam);
	impl->saved_threads = 0;
	impl->item_part_ready = false;
	return RS_OK;
}

/* set lane b to user u's window starting at step start */
static inline void
lstm_set_lane(lstm_impl *impl, size_t b, int32_t u, int32_t start)
{
	size_t		len = impl->user_off[u + 1] - impl->user_off[u] - (size_t) start;

	impl->lane_user[b] = u;
	impl->lane_start[b] = start;
	impl->lane_len[b] = (int32_t) (len < (size_t) impl->T ? len : (size_t) impl->T);
}

/* clip, then one optimizer step over the trained weights; zero the gradient */
static void
lstm_apply(rs_model *m, lstm_impl *impl)
{
	float		lr = (float) m->params.value[OPT_LEARNING_RATE];
	float		wd = (float) m->params.value[OPT_WEIGHT_DECAY];
	float		clip = (float) m->params.value[OPT_CLIP_NORM];
	size_t		n = impl->n_trained;

	if (clip > 0.0f)
	{
		float	   *bufs[1] = {impl->grad};

		nn_clip_grad_norm(bufs, &n, 1, clip);
	}
	if ((int) m->params.value[OPT_OPTIMIZER] == RS_OPTIMIZER_ADAM)
	{
		nn_adam_next(&impl->adam);
		nn_adam_step(&impl->adam, m->params_buf, impl->grad, impl->m1, impl->m2,
					 n, lr, wd);
	}
	else
		nn_sgd_step(m->params_buf, impl->grad, n, lr, wd);
	memset(impl->grad, 0, n * sizeof(float));
}

/* one training step over the B lanes set; returns their squared errors */
static double
lstm_train_step(rs_model *m, lstm_impl *impl, size_t B, bool carry_in,
				rs_rng *rng)
{
	bool		dropped = m->params.value[OPT_DROPOUT] > 0;
	size_t		n_real;
	double		sq;

	lstm_fill_inputs(m, impl, B);
	lstm_forward(m, impl, B, carry_in, rng);
	sq = lstm_loss(impl, B, &n_real);
	lstm_backward(m, impl, B, carry_in, dropped, impl->grad);
	if (impl->carry)
		lstm_scatter_state(impl, B);
	lstm_apply(m, impl);
	return sq;
}

/*
 * The serving state of every user under the current weights: a forward
 * pass without dropout over each user's history (the last T - 1 steps
 * without carry_state), in batches of bs users.  After each batch the
 * progress hook runs with the epoch's rows all done, so the caller can
 * still check for a cancel during this pass (a whole epoch's forward with
 * carry_state).
 */
static void
lstm_refresh_states(rs_model *m, lstm_impl *impl, const rs_progress *progress)
{
	const size_t H = (size_t) impl->H;
	const size_t nu = (size_t) m->n_users;
	const size_t bs = impl->bs;
	size_t		first;

	memset(impl->lane_h, 0, nu * H * sizeof(float));
	memset(impl->lane_c, 0, nu * H * sizeof(float));
	lstm_order_users(m, impl, NULL);

	for (first = 0; first < nu; first += bs)
	{
		size_t		n = nu - first < bs ? nu - first : bs;
		int32_t		w;

		if (impl->carry)
		{
			/* the group's windows in order; active users are a prefix */
			for (w = 0; w < impl->n_windows[impl->order[first]]; w++)
			{
				size_t		B = 0;

				while (B < n && impl->n_windows[impl->order[first + B]] > w)
				{
					lstm_set_lane(impl, B, impl->order[first + B], w * impl->T);
					B++;
				}
				lstm_fill_inputs(m, impl, B);
				lstm_forward(m, impl, B, w > 0, NULL);
				lstm_scatter_state(impl, B);
			}
		}
		else
		{
			size_t		B = 0;
			size_t		j;

			for (j = 0; j < n; j++)
			{
				int32_t		u = impl->order[first + j];
				size_t		len = impl->user_off[u + 1] - impl->user_off[u];
				size_t		keep = len < (size_t) impl->T - 1 ? len : (size_t) impl->T - 1;

				if (keep == 0)
					continue;
				lstm_set_lane(impl, B, u, (int32_t) (len - keep));
				impl->lane_len[B] = (int32_t) keep;
				B++;
			}
			if (B > 0)
			{
				lstm_fill_inputs(m, impl, B);
				lstm_forward(m, impl, B, false, NULL);
				lstm_scatter_state(impl, B);
			}
		}
		rs_progress_report(progress, progress->total);
	}

	/*
	 * The lanes hold each user's final state (zeros for a user without
	 * training rows); the feedback of its next step was set by train_begin.
	 */
	memcpy(impl->state_h, impl->lane_h, nu * H * sizeof(float));
	memcpy(impl->state_c, impl->lane_c, nu * H * sizeof(float));
}

/* one epoch of carry_state training: groups' windows in random interleaving */
static double
lstm_epoch_carry(rs_model *m, lstm_impl *impl, rs_rng *rng,
				 rs_progress *progress)
{
	const size_t nu = (size_t) m->n_users;
	const size_t bs = impl->bs;
	size_t		n_steps = 0;
	size_t		g;
	size_t		s;
	size_t		done = 0;
	double		sq = 0.0;

	lstm_order_users(m, impl, rng);
	impl->n_groups = (nu + bs - 1) / bs;
	for (g = 0; g < impl->n_groups; g++)
	{
		int32_t		w;

		impl->group_next[g] = 0;
		for (w = 0; w < impl->n_windows[impl->order[g * bs]]; w++)
			impl->schedule[n_steps++] = (int32_t) g;
	}
	for (s = n_steps; s > 1; s--)
	{
		size_t		j = (size_t) rs_rng_below(rng, (uint64_t) s);
		int32_t		t = impl->schedule[s - 1];

		impl->schedule[s - 1] = impl->schedule[j];
		impl->schedule[j] = t;
	}

	for (s = 0; s < n_steps; s++)
	{
		size_t		first;
		size_t		n;
		int32_t		w;
		size_t		B = 0;

		g = (size_t) impl->schedule[s];
		first = g * bs;
		n = nu - first < bs ? nu - first : bs;
		w = impl->group_next[g]++;
		while (B < n && impl->n_windows[impl->order[first + B]] > w)
		{
			lstm_set_lane(impl, B, impl->order[first + B], w * impl->T);
			done += (size_t) impl->lane_len[B];
			B++;
		}
		sq += lstm_train_step(m, impl, B, w > 0, rng);
		rs_progress_rows(progress, done);
	}
	return sq;
}

/* one epoch without carry_state: every window alone, shuffled */
static double
lstm_epoch_windows(rs_model *m, lstm_impl *impl, rs_rng *rng,
				   rs_progress *progress)
{
	const size_t nw = impl->n_windows_total;
	size_t		s;
	size_t		first;
	size_t		done = 0;
	double		sq = 0.0;

	for (s = nw; s > 1; s--)
	{
		size_t		j = (size_t) rs_rng_below(rng, (uint64_t) s);
		int32_t		t;

		t = impl->win_user[s - 1];
		impl->win_user[s - 1] = impl->win_user[j];
		impl->win_user[j] = t;
		t = impl->win_start[s - 1];
		impl->win_start[s - 1] = impl->win_start[j];
		impl->win_start[j] = t;
	}
	for (first = 0; first < nw; first += impl->bs)
	{
		size_t		B = nw - first < impl->bs ? nw - first : impl->bs;
		size_t		b;

		for (b = 0; b < B; b++)
		{
			lstm_set_lane(impl, b, impl->win_user[first + b],
						  impl->win_start[first + b]);
			done += (size_t) impl->lane_len[b];
		}
		sq += lstm_train_step(m, impl, B, false, rng);
		rs_progress_rows(progress, done);
	}
	return sq;
}

/* one pass over the training rows, then the users' serving states */
static double
lstm_train_epoch(rs_model *m, rs_dataset *train, int epoch, rs_rng *rng,
				 const rs_train_hooks *hooks)
{
	lstm_impl  *impl = m->impl;
	rs_progress progress;
	double		sq;

	/* OpenBLAS's thread count is process-wide: held until train_end */
	nn_blas_threads_hold(&impl->saved_threads,
						 rs_train_threads(m, hooks, RS_MAX_TRAIN_THREADS));
	rs_progress_begin(&progress, hooks, epoch, train->n, LSTM_PROGRESS_ROWS);
	if (impl->carry)
		sq = lstm_epoch_carry(m, impl, rng, &progress);
	else
		sq = lstm_epoch_windows(m, impl, rng, &progress);
	lstm_refresh_states(m, impl, &progress);
	impl->item_part_ready = false;
	return sq / (double) train->n;
}

/* free the training state and restore OpenBLAS's thread count */
static void
lstm_train_end(rs_model *m)
{
	lstm_impl  *impl = m->impl;

	if (impl == NULL)
		return;
	nn_blas_threads_release(&impl->saved_threads);
	rs_free(&m->alloc, impl->ws);
	impl->ws = NULL;
	impl->seq = NULL;
	impl->user_off = NULL;
	impl->grad = impl->m1 = impl->m2 = NULL;
	impl->lane_h = impl->lane_c = NULL;
	impl->rank = NULL;
	impl->item_part_ready = false;
}

/* ---------- serving ---------- */

/* e(i) W_x[:, :E]^T for every item: (n_items, E) x (4H, E)^T, lda D */
static void
lstm_fill_item_part(const rs_model *m, lstm_impl *impl)
{
	int			G = 4 * impl->H;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m->n_items, G,
				impl->E, 1.0f, impl->emb, impl->E, impl->W_x, impl->D,
				0.0f, impl->item_part, G);
	impl->item_part_ready = true;
}

/*
 * Scores of n_cands items (cands NULL: every item, through the cached item
 * part) for one step from state (h, c) with the feedback inputs f (NULL:
 * none): the user part b + W_h h + W_x[:, E:] f is shared by every item.
 */
static void
lstm_step_scores(const rs_model *m, const float *h, const float *c,
				 const float *f, float user_bias, const int32_t *cands,
				 size_t n_cands, float *out)
{
	lstm_impl  *impl = m->impl;
	const size_t H = (size_t) impl->H;
	const size_t G = 4 * H;
	const size_t D = (size_t) impl->D;
	const size_t E = (size_t) impl->E;
	const float base = (float) m->global_mean + impl->b_out[0] + user_bias;
	float		up[4 * LSTM_MAX_HIDDEN];
	float		a[4 * LSTM_MAX_HIDDEN];
	float		hn[LSTM_MAX_HIDDEN];
	float		cn[LSTM_MAX_HIDDEN];
	size_t		j;
	size_t		n;

	memcpy(up, impl->b, G * sizeof(float));
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) G, (int) H, 1.0f,
				impl->W_h, (int) H, h, 1, 1.0f, up, 1);
	if (impl->feedback && f != NULL)
	{
		for (j = 0; j < G; j++)
			up[j] += f[0] * impl->W_x[j * D + E] + f[1] * impl->W_x[j * D + E + 1];
	}

	if (cands == NULL && !impl->item_part_ready)
		lstm_fill_item_part(m, impl);
	for (n = 0; n < n_cands; n++)
	{
		if (cands == NULL)
		{
			const float *ip = impl->item_part + n * G;

			for (j = 0; j < G; j++)
				a[j] = up[j] + ip[j];
		}
		else
		{
			memcpy(a, up, G * sizeof(float));
			if (cands[n] >= 0)
				cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) G, (int) E, 1.0f,
							impl->W_x, (int) D, impl->emb + (size_t) cands[n] * E,
							1, 1.0f, a, 1);
		}
		nn_lstm_cell(hn, cn, a, c, H);
		out[n] = base + cblas_sdot((int) H, impl->w_out, 1, hn, 1);
		if (impl->ib && (cands == NULL || cands[n] >= 0))
			out[n] += impl->ib[cands ? (size_t) cands[n] : n];
	}
}

/* the serving state of user u (-1: unknown, a zero state) */
static void
lstm_user_state(const rs_model *m, int32_t u, const float **h,
				const float **c, const float **f, float *zeros)
{
	const lstm_impl *impl = m->impl;
	const size_t H = (size_t) impl->H;

	if (u < 0)
	{
		memset(zeros, 0, H * sizeof(float));
		*h = *c = zeros;
		*f = NULL;
		return;
	}
	*h = impl->state_h + (size_t) u * H;
	*c = impl->state_c + (size_t) u * H;
	*f = impl->state_f + (size_t) u * LSTM_FEEDBACK_INPUTS;
}

/* the learned bias of user u, 0 for an unknown user or without biases */
static float
lstm_user_bias(const rs_model *m, int32_t u)
{
	const lstm_impl *impl = m->impl;

	return u >= 0 && impl->ub ? impl->ub[u] : 0.0f;
}

static double
lstm_predict(const rs_model *m, int32_t u, int32_t i)
{
	float		zeros[LSTM_MAX_HIDDEN];
	const float *h;
	const float *c;
	const float *f;
	float		out;

	lstm_user_state(m, u, &h, &c, &f, zeros);
	lstm_step_scores(m, h, c, f, lstm_user_bias(m, u), &i, 1, &out);
	return out;
}

static void
lstm_score_items(const rs_model *m, int32_t u, float *out)
{
	float		zeros[LSTM_MAX_HIDDEN];
	const float *h;
	const float *c;
	const float *f;

	lstm_user_state(m, u, &h, &c, &f, zeros);
	lstm_step_scores(m, h, c, f, lstm_user_bias(m, u), NULL,
					 (size_t) m->n_items, out);
}

/*
 * A history given at query time: its newest seq_len steps from a zero
 * state (each step's feedback the rating before it and the mean of those
 * before it in the history, as in training), then the query step.
 */
static rs_status
lstm_score_history(const rs_model *m, const int32_t *items,
				   const float *ratings, size_t n, const int32_t *cands,
				   size_t n_cands, float *out, rs_error *err)
{
	const lstm_impl *impl = m->impl;
	const size_t H = (size_t) impl->H;
	const size_t D = (size_t) impl->D;
	const size_t E = (size_t) impl->E;
	float		zeros[LSTM_MAX_HIDDEN];
	float		f[LSTM_FEEDBACK_INPUTS];
	double		sum = 0.0;
	float	   *buf;
	float	   *inp;
	float	   *h_out;
	float	   *c_out;
	float	   *gates;
	size_t		t;

	if (n > (size_t) impl->T)
	{
		items += n - (size_t) impl->T;
		ratings += n - (size_t) impl->T;
		n = (size_t) impl->T;
	}
	if (n == 0)
	{
		memset(zeros, 0, H * sizeof(float));
		lstm_step_scores(m, zeros, zeros, NULL, 0.0f, cands, n_cands, out);
		return RS_OK;
	}

	buf = rs_alloc(&m->alloc, n * (D + 6 * H) * sizeof(float));
	if (buf == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory for a history of %zu steps", n);
	inp = buf;
	h_out = inp + n * D;
	c_out = h_out + n * H;
	gates = c_out + n * H;
	memset(inp, 0, n * D * sizeof(float));
	for (t = 0; t < n; t++)
	{
		memcpy(inp + t * D, impl->emb + (size_t) items[t] * E, E * sizeof(float));
		if (impl->feedback && t > 0)
		{
			inp[t * D + E] = lstm_feedback(m, ratings[t - 1]);
			inp[t * D + E + 1] = lstm_feedback(m, (float) (sum / (double) t));
		}
		sum += ratings[t];
	}
	f[0] = lstm_feedback(m, ratings[n - 1]);
	f[1] = lstm_feedback(m, (float) (sum / (double) n));
	nn_lstm_forward(h_out, c_out, gates, inp, NULL, NULL, impl->W_x,
					impl->W_h, impl->b, 1, n, D, H);
	lstm_step_scores(m, h_out + (n - 1) * H, c_out + (n - 1) * H,
					 impl->feedback ? f : NULL, 0.0f, cands, n_cands, out);
	rs_free(&m->alloc, buf);
	return RS_OK;
}

const rs_kind rs_kind_lstm = {
	"lstm",
	"each user's ratings in time order through an LSTM, a rating at every step",
	lstm_options,
	LSTM_N_OPTIONS + RS_RANK_N_OPTIONS,
	NULL,
	lstm_train_memory,
	lstm_init,
	lstm_init_weights,
	lstm_train_begin,
	lstm_train_epoch,
	lstm_train_end,
	lstm_predict,
	lstm_score_items,
	true,						/* sequential */
	lstm_score_history,
	false						/* scores are ratings */
};
