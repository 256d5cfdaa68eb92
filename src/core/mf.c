/*-------------------------------------------------------------------------
 *
 * mf.c
 *		The mf kind: biased matrix factorization.
 *
 *	   rhat(u, i) = mu + b_u + b_i + p_u . q_i
 *
 * (Koren, Bell and Volinsky, "Matrix factorization techniques for
 * recommender systems", IEEE Computer 2009, eq. 4), trained on squared error
 * with L2 regularisation applied per rating.  With "biases": false it is the
 * plain dot product p_u . q_i of the "PyTorch for Recommenders 101" article,
 * without mean or biases.
 *
 * Two optimizers:
 * - batch_size 1 with sgd: S. Funk's per-rating stochastic gradient descent
 *	 ("Netflix update: try this at home", 2006), the update LibMF and Surprise
 *	 use, written as one tight loop over the shuffled ratings, on several
 *	 threads without locks (Hogwild, see mf_epoch_sgd_parallel) unless the
 *	 "threads" option or the caller's budget is 1;
 * - any other setting: minibatches whose gradient is the mean over the batch
 *	 (mf_batch_loss_grad), applied by SGD or by Adam (Kingma and Ba, "Adam: a
 *	 method for stochastic optimization", ICLR 2015) in its lazy form: only
 *	 the rows a batch touches are updated, as torch.optim.SparseAdam does, so
 *	 a step costs O(batch * k) whatever the size of the model.
 *
 * Cold start: an unknown user gets mu + b_i, an unknown item mu + b_u, both
 * unknown mu.  Without biases the fallback for anything unknown is mu, the
 * mean of the training ratings (the model itself has no mean then).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/mf.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "mf.h"
#include "model.h"
#include "nn.h"
#include "rank.h"

/*
 * The per-rating loops over k are the whole cost of training.  PGXS builds
 * with -O2, where GCC 12 only vectorizes loops without a remainder; -O3's
 * cost model vectorizes them and halves the epoch time (measured on
 * ML-100K, see test/bench/TUNING.md).  clang, used for the bitcode, ignores
 * the pragma, so it is only given to GCC.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("O3")
#endif

/* ---------- options ---------- */

/* indexes into mf_options[]; keep in the same order */
enum
{
	OPT_FACTORS,
	OPT_EPOCHS,
	OPT_LEARNING_RATE,
	OPT_OPTIMIZER,
	OPT_BATCH_SIZE,
	OPT_L2,
	OPT_BIAS_L2,
	OPT_LR_DECAY,
	OPT_VALIDATION_FRACTION,
	OPT_PATIENCE,
	OPT_SEED,
	OPT_BIASES,
	OPT_INIT_STD,
	OPT_THREADS,
	MF_N_OPTIONS
};

/*
 * The defaults are tuned on a validation part of MovieLens-100K u1.base
 * (test/bench/TUNING.md): a high learning rate that decays fast reaches the
 * accuracy of a slow one in a quarter of the epochs, and the decay itself
 * ends the training, so a short patience suffices.
 */
static const rs_option_def mf_options[MF_N_OPTIONS + RS_RANK_N_OPTIONS] = {
	{"factors", RS_OPT_INT, 100, 1, 4096, NULL,
	"number of latent factors k"},
	RS_OPTION_EPOCHS(200),
	RS_OPTION_LEARNING_RATE(0.1),
	RS_OPTION_OPTIMIZER(RS_OPTIMIZER_SGD),
	RS_OPTION_BATCH_SIZE(1, 1048576, "ratings per step; 1 is per-rating SGD"),
	{"l2", RS_OPT_REAL, 0.07, 0, 100, NULL,
	"L2 regularisation of the factors, per rating"},
	{"bias_l2", RS_OPT_REAL, 0.01, 0, 100, NULL,
	"L2 regularisation of the biases, per rating"},
	{"lr_decay", RS_OPT_REAL, 0.8, 0.01, 1, NULL,
	"learning rate multiplier applied after each epoch"},
	RS_OPTION_VALIDATION_FRACTION(0.02),
	RS_OPTION_PATIENCE(3),
	RS_OPTION_SEED(42, "seed of the shuffles and the initial weights"),
	RS_OPTION_BIASES(1, "learn a global mean and user and item biases"),
	RS_OPTION_INIT_STD(0.01, "standard deviation of the initial factors"),
	RS_OPTION_THREADS("threads of per-rating SGD (0: the caller's default, recsys.threads)"),
	RS_RANK_OPTIONS(0),
};

/* ---------- model state ---------- */

/* pointers into params_buf and, while training, the optimizer state */
typedef struct mf_impl
{
	int			k;
	bool		biases;
	float	   *p;				/* (n_users, k) user factors */
	float	   *q;				/* (n_items, k) item factors */
	float	   *bu;				/* (n_users) user bias, or NULL */
	float	   *bi;				/* (n_items) item bias, or NULL */

	/* training only (train_begin .. train_end); one allocation at ws */
	void	   *ws;
	float	   *grad;			/* (n_params) gradient of the batch */
	float	   *m1;				/* (n_params) Adam first moment */
	float	   *m2;				/* (n_params) Adam second moment */
	nn_touched	users;			/* rows of p and bu this batch touched */
	nn_touched	items;			/* rows of q and bi this batch touched */
	nn_adam		adam;			/* Adam's step count and bias corrections */
} mf_impl;

/* bytes of the trainable weights of a model of these sizes */
static size_t
mf_param_count(int k, bool biases, int32_t n_users, int32_t n_items)
{
	size_t		nu = (size_t) n_users;
	size_t		ni = (size_t) n_items;
	size_t		n;

	n = rs_mul_size(rs_add_size(nu, ni), (size_t) k);
	if (biases)
		n = rs_add_size(n, rs_add_size(nu, ni));
	return n;
}

/* true when training goes through the minibatch path */
static bool
mf_uses_batches(const rs_params *p)
{
	return (int) p->value[OPT_OPTIMIZER] != RS_OPTIMIZER_SGD ||
		(int) p->value[OPT_BATCH_SIZE] > 1;
}

/* the buffers of the minibatch path's workspace, in layout order */
enum
{
	MF_WS_GRAD,					/* (n_params) gradient of the batch */
	MF_WS_M1,					/* (n_params) Adam's moments, none for SGD */
	MF_WS_M2,
	MF_WS_USER_STAMP,			/* (n_users) stamps of nn_touched */
	MF_WS_ITEM_STAMP,			/* (n_items) */
	MF_WS_USER_ROWS,			/* (batch rows) rows a batch touched */
	MF_WS_ITEM_ROWS,
	MF_N_WS
};

/* bytes of each buffer of the minibatch workspace, for batches of bs rows */
static void
mf_workspace(const rs_params *p, int32_t n_users, int32_t n_items, size_t bs,
			 size_t sizes[MF_N_WS])
{
	size_t		n_params = mf_param_count((int) p->value[OPT_FACTORS],
										  p->value[OPT_BIASES] != 0,
										  n_users, n_items);
	size_t		grad = rs_mul_size(n_params, sizeof(float));
	bool		adam = (int) p->value[OPT_OPTIMIZER] == RS_OPTIMIZER_ADAM;

	sizes[MF_WS_GRAD] = grad;
	sizes[MF_WS_M1] = adam ? grad : 0;
	sizes[MF_WS_M2] = adam ? grad : 0;
	sizes[MF_WS_USER_STAMP] = rs_mul_size((size_t) n_users, sizeof(int32_t));
	sizes[MF_WS_ITEM_STAMP] = rs_mul_size((size_t) n_items, sizeof(int32_t));
	sizes[MF_WS_USER_ROWS] = rs_mul_size(bs, sizeof(int32_t));
	sizes[MF_WS_ITEM_ROWS] = rs_mul_size(bs, sizeof(int32_t));
}

/*
 * Bytes of a training: weights, snapshot, and the minibatch workspace.  The
 * rows are not split yet, so batch_size bounds a batch.  The threads of
 * per-rating SGD need no buffer of their own: their state (mf_worker) is on
 * the calling thread's stack, and each works on the shared weights and a
 * slice of the rows.
 */
static size_t
mf_train_memory(const rs_params *p, int32_t n_users, int32_t n_items,
				size_t n_ratings)
{
	size_t		n_params = mf_param_count((int) p->value[OPT_FACTORS],
										  p->value[OPT_BIASES] != 0,
										  n_users, n_items);
	size_t		copies = 1;		/* the weights */
	size_t		sizes[MF_N_WS];
	size_t		total;

	if (p->value[OPT_VALIDATION_FRACTION] > 0)
		copies++;				/* early-stopping snapshot */
	total = rs_mul_size(rs_mul_size(n_params, copies), sizeof(float));
	total = rs_add_size(total, sizeof(mf_impl));
	if (mf_uses_batches(p))
	{
		mf_workspace(p, n_users, n_items, (size_t) p->value[OPT_BATCH_SIZE],
					 sizes);
		total = rs_add_size(total, rs_workspace_bytes(sizes, MF_N_WS));
	}
	return total;
}

/* register the weights of m as tensors carved from one buffer */
static rs_status
mf_init(rs_model *m, rs_error *err)
{
	const rs_params *p = &m->params;
	int			k = (int) p->value[OPT_FACTORS];
	bool		biases = p->value[OPT_BIASES] != 0;
	size_t		nu = (size_t) m->n_users;
	size_t		ni = (size_t) m->n_items;
	size_t		n_params = mf_param_count(k, biases, m->n_users, m->n_items);
	size_t		bytes = rs_mul_size(n_params, sizeof(float));
	mf_impl    *impl;
	rs_status	rc;

	if (bytes == SIZE_MAX)
		return rs_error_set(err, RS_ERR_LIMIT, "factors",
							"the model would be too large");
	impl = rs_alloc(&m->alloc, sizeof(mf_impl));
	if (impl == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	memset(impl, 0, sizeof(*impl));
	m->impl = impl;
	m->params_buf = rs_alloc(&m->alloc, bytes);
	if (m->params_buf == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory allocating %zu bytes of weights", bytes);
	memset(m->params_buf, 0, bytes);
	m->n_params = n_params;

	impl->k = k;
	impl->biases = biases;
	impl->p = m->params_buf;
	impl->q = impl->p + nu * (size_t) k;
	if (biases)
	{
		impl->bu = impl->q + ni * (size_t) k;
		impl->bi = impl->bu + nu;
	}

	rc = rs_model_add_param_tensor(m, "user_factors", impl->p, 2,
								   m->n_users, k, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "item_factors", impl->q, 2,
									   m->n_items, k, err);
	if (rc == RS_OK && biases)
		rc = rs_model_add_param_tensor(m, "user_bias", impl->bu, 1,
									   m->n_users, 1, err);
	if (rc == RS_OK && biases)
		rc = rs_model_add_param_tensor(m, "item_bias", impl->bi, 1,
									   m->n_items, 1, err);
	return rc;
}

/* factors from N(0, init_std^2), biases zero */
static void
mf_init_weights(rs_model *m, rs_rng *rng)
{
	mf_impl    *impl = m->impl;
	double		std = m->params.value[OPT_INIT_STD];
	size_t		nf = ((size_t) m->n_users + (size_t) m->n_items) * (size_t) impl->k;
	size_t		j;

	rs_rng_normal_fill(rng, m->params_buf, nf, std);
	for (j = nf; j < m->n_params; j++)
		m->params_buf[j] = 0.0f;
}

/* ---------- kernels ---------- */

/*
 * Dot product of two k-vectors.  32 partial sums (four vectors of eight,
 * GCC's vector extension), so that the multiply-adds of a k of 100 form
 * four independent chains instead of one whose additions wait for each
 * other (the dot product was the latency-bound half of an SGD step); the
 * last k mod 8 products are summed apart.  The order is fixed in the
 * source, so the result does not depend on the vector width the compiler
 * picks.  Unaligned loads and stores go through memcpy; the vectors never
 * cross a call (a vector argument has no fixed ABI without AVX).
 */
typedef float mf_v8 __attribute__((vector_size(32)));

static inline float
mf_dot(const float *restrict a, const float *restrict b, int k)
{
	mf_v8		s0 = {0};
	mf_v8		s1 = {0};
	mf_v8		s2 = {0};
	mf_v8		s3 = {0};
	mf_v8		x;
	mf_v8		y;
	float		t = 0;
	int			f = 0;

	for (; f + 32 <= k; f += 32)
	{
		mf_v8		x1,
					y1,
					x2,
					y2,
					x3,
					y3;

		memcpy(&x, a + f, sizeof(x));
		memcpy(&y, b + f, sizeof(y));
		memcpy(&x1, a + f + 8, sizeof(x));
		memcpy(&y1, b + f + 8, sizeof(y));
		memcpy(&x2, a + f + 16, sizeof(x));
		memcpy(&y2, b + f + 16, sizeof(y));
		memcpy(&x3, a + f + 24, sizeof(x));
		memcpy(&y3, b + f + 24, sizeof(y));
		s0 += x * y;
		s1 += x1 * y1;
		s2 += x2 * y2;
		s3 += x3 * y3;
	}
	for (; f + 8 <= k; f += 8)
	{
		memcpy(&x, a + f, sizeof(x));
		memcpy(&y, b + f, sizeof(y));
		s0 += x * y;
	}
	for (; f < k; f++)
		t += a[f] * b[f];
	s0 = (s0 + s1) + (s2 + s3);
	return t + (((s0[0] + s0[4]) + (s0[1] + s0[5])) +
				((s0[2] + s0[6]) + (s0[3] + s0[7])));
}

/* raw prediction from weights, no clipping */
static inline double
mf_raw(const rs_model *m, const mf_impl *impl, int32_t u, int32_t i)
{
	double		x = mf_dot(impl->p + (size_t) u * impl->k,
						   impl->q + (size_t) i * impl->k, impl->k);

	if (impl->biases)
		x += m->global_mean + impl->bu[u] + impl->bi[i];
	return x;
}

/* fewest rows per thread for a parallel epoch (a thread starts in ~50 us) */
#define MF_MIN_THREAD_ROWS 1024

/* how many ratings ahead mf_sgd_rows prefetches the factor rows */
#ifndef MF_PREFETCH
#define MF_PREFETCH 4
#endif

/*
 * Per-rating SGD (Funk 2006) over rows [begin, end) of d: for each rating,
 * with e = r - rhat,
 *	 b_u += lr (e - bias_l2 b_u),		b_i += lr (e - bias_l2 b_i)
 *	 p_u += lr (e q_i - l2 p_u),		q_i += lr (e p_u - l2 q_i)
 * using the old p_u in the update of q_i.  Adds e^2 before each update to
 * *loss, in row order, so that cutting an epoch into pieces sums the same.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
mf_sgd_rows(const rs_model *m, const rs_dataset *d, size_t begin, size_t end,
			float lr, double *loss)
{
	const mf_impl *impl = m->impl;
	const int	k = impl->k;
	const float l2 = (float) m->params.value[OPT_L2];
	const float bl2 = (float) m->params.value[OPT_BIAS_L2];
	const float mu = impl->biases ? (float) m->global_mean : 0.0f;
	float	   *restrict P = impl->p;
	float	   *restrict Q = impl->q;
	float	   *bu = impl->bu;
	float	   *bi = impl->bi;
	const int32_t *user = d->user;
	const int32_t *item = d->item;
	const float *rating = d->rating;
	double		acc = *loss;
	size_t		r;

	for (r = begin; r < end; r++)
	{
		int32_t		u = user[r];
		int32_t		i = item[r];
		float	   *restrict pu = P + (size_t) u * k;
		float	   *restrict qi = Q + (size_t) i * k;
		float		e;
		int			f;

		/*
		 * At tens of millions of ratings P and Q outgrow the caches and
		 * every rating waits for two rows from memory: ask for the rows of
		 * a rating MF_PREFETCH ahead now, so that the loads overlap.
		 */
		if (r + MF_PREFETCH < end)
		{
			const char *pa = (const char *) (P + (size_t) user[r + MF_PREFETCH] * k);
			const char *qa = (const char *) (Q + (size_t) item[r + MF_PREFETCH] * k);
			size_t		bytes = (size_t) k * sizeof(float);
			size_t		off;

			for (off = 0; off < bytes; off += 64)
			{
				__builtin_prefetch(pa + off, 1, 3);
				__builtin_prefetch(qa + off, 1, 3);
			}
			if (bu)
			{
				__builtin_prefetch(bu + user[r + MF_PREFETCH], 1, 3);
				__builtin_prefetch(bi + item[r + MF_PREFETCH], 1, 3);
			}
		}

		e = rating[r] - mf_dot(pu, qi, k);
		if (bu)
		{
			float		b1 = bu[u];
			float		b2 = bi[i];

			e -= mu + b1 + b2;
			bu[u] = b1 + lr * (e - bl2 * b1);
			bi[i] = b2 + lr * (e - bl2 * b2);
		}
		acc += (double) e * e;
		for (f = 0; f < k; f++)
		{
			float		pf = pu[f];
			float		qf = qi[f];

			pu[f] = pf + lr * (e * qf - l2 * pf);
			qi[f] = qf + lr * (e * pf - l2 * qf);
		}
	}
	*loss = acc;
}

/*
 * One epoch of per-rating SGD on the calling thread; returns the mean of
 * e^2 before each update.  Progress every RS_PROGRESS_STEP rows.
 */
static double
mf_epoch_sgd(rs_model *m, rs_dataset *d, int epoch, float lr,
			 const rs_train_hooks *hooks)
{
	rs_progress progress;
	double		loss = 0.0;
	size_t		begin;

	rs_progress_begin(&progress, hooks, epoch, d->n, RS_PROGRESS_STEP);
	for (begin = 0; begin < d->n; begin += RS_PROGRESS_STEP)
	{
		size_t		end = d->n - begin > RS_PROGRESS_STEP ?
			begin + RS_PROGRESS_STEP : d->n;

		mf_sgd_rows(m, d, begin, end, lr, &loss);
		rs_progress_rows(&progress, end);
	}
	return loss / (double) d->n;
}

/*----
 * Parallel per-rating SGD: Hogwild (Niu, Recht, Re and Wright, "Hogwild!: a
 * lock-free approach to parallelizing stochastic gradient descent", NIPS
 * 2011).  Thread t owns a fixed part t of the rows (they were shuffled
 * once by rs_model_train), shuffles it at the start of each epoch after the
 * first, and runs mf_sgd_rows over it; all threads update P, Q and the
 * biases without locks.  A rating touches one row of P and one of Q out of
 * n_users + n_items, so two threads rarely write the same row at once, and
 * a lost update only adds a little noise to SGD.  Shuffling within the parts
 * (as LibMF shuffles within its blocks) keeps the shuffle parallel too: a
 * serial Fisher-Yates over all rows took a third of a two-thread epoch.
 * LibMF's blocks (Chin, Zhuang, Juan and Lin, ACM TIST 2015) avoid the
 * collisions but need the rows bucketed by block; on two cores Hogwild
 * already runs an epoch 1.75 to 1.85 times faster than one thread
 * (test/bench/RESULTS.md, "Scale: 1 M to 20 M synthetic ratings").
 *
 * The epoch runs in rounds: each thread does at most RS_PROGRESS_STEP rows
 * of its part (or, first, the shuffle of its part); the calling thread does
 * part 0 itself, joins the workers, and only then calls the progress hook,
 * which may longjmp (a cancel): no worker is running then.  Workers touch
 * only the model's weights and the rows, allocated before they start, and
 * never call back.  Creating a thread costs some 50 us a round, well under
 * 1 % of a round's work.
 */
typedef struct mf_worker
{
	const rs_model *m;
	rs_dataset	part;			/* this thread's rows (a slice of the data) */
	size_t		begin;			/* this round: rows [begin, end) of part */
	size_t		end;
	bool		shuffle;		/* this round: shuffle part instead */
	rs_rng		rng;			/* for the shuffle */
	float		lr;
	double		loss;			/* sum of e^2 over the part so far */
	pthread_t	thread;
	bool		started;
} mf_worker;

/* body of a worker thread: one round of its part */
static void *
mf_worker_main(void *arg)
{
	mf_worker  *w = arg;

	if (w->shuffle)
		rs_dataset_shuffle(&w->part, &w->rng);
	else
		mf_sgd_rows(w->m, &w->part, w->begin, w->end, w->lr, &w->loss);
	return NULL;
}

/*
 * Run one round on every thread: workers 1.. on new threads, worker 0 on
 * the calling thread (and any worker whose thread could not start).
 */
static void
mf_round(mf_worker *w, int n_threads)
{
	int			t;

	for (t = 1; t < n_threads; t++)
		w[t].started = pthread_create(&w[t].thread, NULL, mf_worker_main,
									  &w[t]) == 0;
	mf_worker_main(&w[0]);
	for (t = 1; t < n_threads; t++)
	{
		if (w[t].started)
			pthread_join(w[t].thread, NULL);
		else
			mf_worker_main(&w[t]);
	}
}

/* one epoch of Hogwild SGD with n_threads threads (see above) */
static double
mf_epoch_sgd_parallel(rs_model *m, rs_dataset *d, int epoch, float lr,
					  int n_threads, rs_rng *rng, const rs_train_hooks *hooks)
{
	mf_worker	w[RS_MAX_TRAIN_THREADS];	/* on the stack: no allocation */
	size_t		part = (d->n + (size_t) n_threads - 1) / (size_t) n_threads;
	rs_progress progress;
	size_t		done;
	size_t		step;
	double		loss = 0.0;
	int			t;

	rs_progress_begin(&progress, hooks, epoch, d->n, RS_PROGRESS_STEP);
	for (t = 0; t < n_threads; t++)
	{
		size_t		b = (size_t) t * part < d->n ? (size_t) t * part : d->n;
		size_t		e = b + part < d->n ? b + part : d->n;

		w[t].m = m;
		w[t].part = rs_dataset_slice(d, b, e);
		w[t].lr = lr;
		w[t].loss = 0.0;
		rs_rng_seed(&w[t].rng, rs_rng_next(rng));
	}

	/* the first epoch uses the order rs_model_train shuffled into */
	if (epoch > 1)
	{
		for (t = 0; t < n_threads; t++)
			w[t].shuffle = true;
		mf_round(w, n_threads);
		rs_progress_report(&progress, 0);
	}
	for (t = 0; t < n_threads; t++)
		w[t].shuffle = false;

	for (step = 0; step < part; step += RS_PROGRESS_STEP)
	{
		done = 0;
		for (t = 0; t < n_threads; t++)
		{
			size_t		n = w[t].part.n;

			w[t].begin = step < n ? step : n;
			w[t].end = step + RS_PROGRESS_STEP < n ? step + RS_PROGRESS_STEP : n;
			done += w[t].end;
		}
		mf_round(w, n_threads);

		/* no worker runs now: the hook may longjmp */
		rs_progress_report(&progress, done);
	}
	for (t = 0; t < n_threads; t++)
		loss += w[t].loss;
	return loss / (double) d->n;
}

/*
 * Loss and gradient of rows [begin, end) (see mf.h).  When impl has
 * training state, each row of grad is zeroed the first time the batch
 * touches it and the touched users and items are listed, so the caller
 * updates only those; otherwise grad is accumulated as the caller gave it.
 * The sum of squared errors is added to *sq_err when it is not NULL.
 */
static double
mf_batch_grad(const rs_model *m, mf_impl *impl, const rs_dataset *d,
			  size_t begin, size_t end, float *grad, bool track,
			  double *sq_err)
{
	const int	k = impl->k;
	const double l2 = m->params.value[OPT_L2];
	const double bl2 = m->params.value[OPT_BIAS_L2];
	const float scale = 1.0f / (float) (end - begin);
	float	   *gp = grad;
	float	   *gq = grad + (size_t) m->n_users * k;
	float	   *gbu = impl->biases ? gq + (size_t) m->n_items * k : NULL;
	float	   *gbi = impl->biases ? gbu + m->n_users : NULL;
	double		loss = 0.0;
	double		sq = 0.0;
	size_t		r;

	for (r = begin; r < end; r++)
	{
		int32_t		u = d->user[r];
		int32_t		i = d->item[r];
		const float *pu = impl->p + (size_t) u * k;
		const float *qi = impl->q + (size_t) i * k;
		float	   *gpu = gp + (size_t) u * k;
		float	   *gqi = gq + (size_t) i * k;
		double		e;
		float		es;
		int			f;

		if (track)
		{
			nn_touch(&impl->users, u, gp, (size_t) k, gbu);
			nn_touch(&impl->items, i, gq, (size_t) k, gbi);
		}

		e = (double) d->rating[r] - mf_raw(m, impl, u, i);
		loss += 0.5 * e * e;
		sq += e * e;
		{
			double		np = 0.0;
			double		nq = 0.0;

			for (f = 0; f < k; f++)
			{
				np += (double) pu[f] * pu[f];
				nq += (double) qi[f] * qi[f];
			}
			loss += 0.5 * l2 * (np + nq);
		}
		es = (float) e;
		for (f = 0; f < k; f++)
		{
			gpu[f] += scale * ((float) l2 * pu[f] - es * qi[f]);
			gqi[f] += scale * ((float) l2 * qi[f] - es * pu[f]);
		}
		if (gbu)
		{
			loss += 0.5 * bl2 * ((double) impl->bu[u] * impl->bu[u] +
								 (double) impl->bi[i] * impl->bi[i]);
			gbu[u] += scale * ((float) bl2 * impl->bu[u] - es);
			gbi[i] += scale * ((float) bl2 * impl->bi[i] - es);
		}
	}
	if (sq_err)
		*sq_err += sq;
	return loss / (double) (end - begin);
}

/* public wrapper for the gradient check: plain accumulation into grad */
double
mf_batch_loss_grad(const rs_model *m, const rs_dataset *d, size_t begin,
				   size_t end, float *grad)
{
	if (end <= begin)
		return 0.0;
	return mf_batch_grad(m, m->impl, d, begin, end, grad, false, NULL);
}

/*
 * One optimizer step on the n weights at offset off of params_buf, by the
 * rules of nn.h inline (a step is a row of k or a single bias); no weight
 * decay there, mf's L2 is in the gradient.
 */
static inline void
mf_step(rs_model *m, mf_impl *impl, size_t off, size_t n, float lr, bool adam)
{
	if (adam)
		nn_adam_update(&impl->adam, m->params_buf + off, impl->grad + off,
					   impl->m1 + off, impl->m2 + off, n, lr, 0.0f);
	else
		nn_sgd_update(m->params_buf + off, impl->grad + off, n, lr, 0.0f);
}

/* apply the gradient of the current batch to the rows it touched */
static void
mf_apply(rs_model *m, mf_impl *impl, float lr)
{
	const size_t k = (size_t) impl->k;
	const size_t qoff = (size_t) m->n_users * k;
	const size_t buoff = qoff + (size_t) m->n_items * k;
	const size_t bioff = buoff + (size_t) m->n_users;
	bool		adam = (int) m->params.value[OPT_OPTIMIZER] ==
		RS_OPTIMIZER_ADAM;
	int32_t		j;

	if (adam)
		nn_adam_next(&impl->adam);
	for (j = 0; j < impl->users.n_rows; j++)
	{
		size_t		u = (size_t) impl->users.rows[j];

		mf_step(m, impl, u * k, k, lr, adam);
		if (impl->biases)
			mf_step(m, impl, buoff + u, 1, lr, adam);
	}
	for (j = 0; j < impl->items.n_rows; j++)
	{
		size_t		i = (size_t) impl->items.rows[j];

		mf_step(m, impl, qoff + i * k, k, lr, adam);
		if (impl->biases)
			mf_step(m, impl, bioff + i, 1, lr, adam);
	}
}

/* one epoch of minibatches; returns the mean squared error before updates */
static double
mf_epoch_batches(rs_model *m, rs_dataset *d, int epoch, float lr,
				 const rs_train_hooks *hooks)
{
	mf_impl    *impl = m->impl;
	size_t		bs = (size_t) m->params.value[OPT_BATCH_SIZE];
	size_t		begin;
	rs_progress progress;
	double		sq = 0.0;

	rs_progress_begin(&progress, hooks, epoch, d->n, RS_PROGRESS_STEP);
	for (begin = 0; begin < d->n; begin += bs)
	{
		size_t		end = begin + bs < d->n ? begin + bs : d->n;

		nn_touched_next_batch(&impl->users, (size_t) m->n_users);
		nn_touched_next_batch(&impl->items, (size_t) m->n_items);
		/* the squared errors are those before the batch's step */
		mf_batch_grad(m, impl, d, begin, end, impl->grad, true, &sq);
		mf_apply(m, impl, lr);
		rs_progress_rows(&progress, end);
	}
	return sq / (double) d->n;
}

/* allocate the minibatch workspace the options need */
static rs_status
mf_train_begin(rs_model *m, rs_dataset *train, rs_error *err)
{
	mf_impl    *impl = m->impl;
	const rs_params *p = &m->params;
	size_t		bs = (size_t) p->value[OPT_BATCH_SIZE];
	size_t		sizes[MF_N_WS];
	void	   *parts[MF_N_WS];
	rs_status	rc;

	nn_adam_init(&impl->adam);
	if (!mf_uses_batches(p))
		return RS_OK;
	if (bs > train->n)
		bs = train->n;

	mf_workspace(p, m->n_users, m->n_items, bs, sizes);
	rc = rs_workspace_alloc(m, sizes, MF_N_WS, "optimizer state", &impl->ws,
							parts, err);
	if (rc != RS_OK)
		return rc;
	impl->grad = parts[MF_WS_GRAD];
	impl->m1 = parts[MF_WS_M1];
	impl->m2 = parts[MF_WS_M2];
	nn_touched_init(&impl->users, parts[MF_WS_USER_STAMP],
					parts[MF_WS_USER_ROWS]);
	nn_touched_init(&impl->items, parts[MF_WS_ITEM_STAMP],
					parts[MF_WS_ITEM_ROWS]);
	return RS_OK;
}

/* reshuffle the rows, then one pass with the epoch's learning rate */
static double
mf_train_epoch(rs_model *m, rs_dataset *train, int epoch, rs_rng *rng,
			   const rs_train_hooks *hooks)
{
	const rs_params *p = &m->params;
	float		lr = (float) (p->value[OPT_LEARNING_RATE] *
							  pow(p->value[OPT_LR_DECAY], (double) (epoch - 1)));
	int			n_threads = rs_train_threads(m, hooks, RS_MAX_TRAIN_THREADS);

	/* parallel only when every thread gets enough rows to pay its start */
	if (!mf_uses_batches(p) && n_threads > 1 &&
		train->n >= (size_t) n_threads * MF_MIN_THREAD_ROWS)
		return mf_epoch_sgd_parallel(m, train, epoch, lr, n_threads, rng,
									 hooks);

	/* the first epoch uses the order rs_model_train shuffled into */
	if (epoch > 1)
		rs_dataset_shuffle(train, rng);
	if (mf_uses_batches(p))
		return mf_epoch_batches(m, train, epoch, lr, hooks);
	return mf_epoch_sgd(m, train, epoch, lr, hooks);
}

/* free the optimizer state */
static void
mf_train_end(rs_model *m)
{
	mf_impl    *impl = m->impl;

	if (impl == NULL)
		return;
	rs_free(&m->alloc, impl->ws);
	impl->ws = NULL;
	impl->grad = impl->m1 = impl->m2 = NULL;
	memset(&impl->users, 0, sizeof(impl->users));
	memset(&impl->items, 0, sizeof(impl->items));
}

/* ---------- serving ---------- */

/* raw prediction with the cold-start fallbacks of the header comment */
static double
mf_predict(const rs_model *m, int32_t u, int32_t i)
{
	const mf_impl *impl = m->impl;

	if (u >= 0 && i >= 0)
		return mf_raw(m, impl, u, i);
	if (!impl->biases)
		return m->global_mean;
	if (u >= 0)
		return m->global_mean + impl->bu[u];
	if (i >= 0)
		return m->global_mean + impl->bi[i];
	return m->global_mean;
}

/* scores of every item: one sgemv Q p_u, plus the biases */
static void
mf_score_items(const rs_model *m, int32_t u, float *out)
{
	const mf_impl *impl = m->impl;
	size_t		ni = (size_t) m->n_items;
	size_t		i;

	if (u >= 0)
	{
		cblas_sgemv(CblasRowMajor, CblasNoTrans, m->n_items, impl->k, 1.0f,
					impl->q, impl->k, impl->p + (size_t) u * impl->k, 1,
					0.0f, out, 1);
		if (impl->biases)
		{
			float		base = (float) (m->global_mean + impl->bu[u]);

			for (i = 0; i < ni; i++)
				out[i] += base + impl->bi[i];
		}
		return;
	}
	for (i = 0; i < ni; i++)
		out[i] = impl->biases ? (float) (m->global_mean + impl->bi[i])
			: (float) m->global_mean;
}

/*
 * Fold-in of a history given at query time (a user unseen in training, or
 * newer ratings): the user's factors and bias that minimise the training
 * objective on the n steps against the fixed item factors and biases,
 *
 *	 sum_j (r_j - mu - b_ij - b_u - p . q_ij)^2 + n (l2 |p|^2 + bias_l2 b_u^2)
 *
 * (the per-rating regularisation of training, summed over the steps), a
 * ridge regression on x_j = [q_ij ; 1] solved exactly by Cholesky: the
 * "recalculate_user" of implicit's ALS, here for ratings.  No history
 * gives p = 0, b_u = 0: the cold start of an unknown user.  The order of
 * the steps does not matter.
 */
static rs_status
mf_fold_in(const rs_model *m, const int32_t *items, const float *ratings,
		   size_t n, float *pu, float *bu, rs_error *err)
{
	const mf_impl *impl = m->impl;
	const int	k = impl->k;
	const int	d = k + (impl->biases ? 1 : 0);
	double	   *A;
	double	   *b;
	size_t		j;
	int			x;
	int			y;

	memset(pu, 0, (size_t) k * sizeof(float));
	*bu = 0;
	if (n == 0)
		return RS_OK;
	A = rs_alloc(&m->alloc, rs_mul_size((size_t) d * (d + 1), sizeof(double)));
	if (A == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	b = A + (size_t) d * d;
	memset(A, 0, (size_t) d * (d + 1) * sizeof(double));
	for (x = 0; x < k; x++)
		A[x * d + x] = m->params.value[OPT_L2] * (double) n;
	if (impl->biases)
		A[k * d + k] = m->params.value[OPT_BIAS_L2] * (double) n;
	for (j = 0; j < n; j++)
	{
		const float *q = impl->q + (size_t) items[j] * k;
		double		target = ratings[j];

		if (impl->biases)
			target -= m->global_mean + impl->bi[items[j]];
		/* the upper triangle of A += x x^T, and b += target x */
		for (x = 0; x < d; x++)
		{
			double		xv = x < k ? q[x] : 1.0;

			b[x] += target * xv;
			for (y = x; y < d; y++)
				A[x * d + y] += xv * (y < k ? q[y] : 1.0);
		}
	}
	if (rs_cholesky_solve(A, b, d))
	{
		for (x = 0; x < k; x++)
			pu[x] = (float) b[x];
		if (impl->biases)
			*bu = (float) b[k];
	}
	rs_free(&m->alloc, A);
	return RS_OK;
}

/* raw scores of n_cands items (cands NULL: every item) after a history */
static rs_status
mf_score_history(const rs_model *m, const int32_t *items,
				 const float *ratings, size_t n, const int32_t *cands,
				 size_t n_cands, float *out, rs_error *err)
{
	const mf_impl *impl = m->impl;
	float	   *pu;
	float		bu;
	size_t		c;
	rs_status	rc;

	pu = rs_alloc(&m->alloc, rs_mul_size((size_t) impl->k, sizeof(float)));
	if (pu == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	rc = mf_fold_in(m, items, ratings, n, pu, &bu, err);
	for (c = 0; rc == RS_OK && c < n_cands; c++)
	{
		int32_t		i = cands != NULL ? cands[c] : (int32_t) c;
		double		x = 0;

		/* an unknown item falls back as mf_predict's does */
		if (i >= 0)
			x = mf_dot(pu, impl->q + (size_t) i * impl->k, impl->k);
		if (impl->biases)
			x += m->global_mean + bu + (i >= 0 ? impl->bi[i] : 0);
		else if (i < 0)
			x = m->global_mean;
		out[c] = (float) x;
	}
	rs_free(&m->alloc, pu);
	return rc;
}

const rs_kind rs_kind_mf = {
	"mf",
	"biased matrix factorization trained by SGD or Adam",
	mf_options,
	MF_N_OPTIONS + RS_RANK_N_OPTIONS,
	NULL,
	mf_train_memory,
	mf_init,
	mf_init_weights,
	mf_train_begin,
	mf_train_epoch,
	mf_train_end,
	mf_predict,
	mf_score_items,
	false,						/* not sequential */
	mf_score_history,
	false						/* scores are ratings */
};
