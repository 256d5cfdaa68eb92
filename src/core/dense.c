/*-------------------------------------------------------------------------
 *
 * dense.c
 *		The dense kind: user and item embeddings into a feed-forward network.
 *
 *	   x = [e_u ; e_i]									(2k)
 *	   a_1 = ReLU(W_1 x + c_1), a_l = ReLU(W_l a_{l-1} + c_l)	(hidden)
 *	   rhat(u, i) = mu + b_u + b_i + w . a_L + c
 *
 * the "dense" model of the "PyTorch for Recommenders 101" article (two
 * embeddings concatenated, Linear, ReLU, Linear), itself the neural
 * collaborative filtering MLP of He et al., "Neural collaborative
 * filtering", WWW 2017, section 3.3, with a regression output.  The global
 * mean mu and the biases b_u, b_i ("biases" option) are the baseline
 * predictors of Koren, "Factorization meets the neighborhood", KDD 2008:
 * the network then only learns the interaction.  Dropout (Srivastava et al.
 * 2014) follows each hidden ReLU during training.
 *
 * Training is minibatch MSE (nn_mse_loss) with Adam or SGD and L2 weight
 * decay in the gradient, as torch.optim.Adam's weight_decay.  The
 * embeddings and biases are updated lazily, only the rows a batch touched
 * (torch.optim.SparseAdam's rule); the network's weights are dense.
 *
 * Hidden layers: "hidden" is the width of every hidden layer and "layers"
 * their number.  Each option of the core is one number (one float64 in the
 * saved model), so a list of widths would need a new option type through
 * the core, the glue and the storage format; equal widths cover the models
 * we tuned.
 *
 * Serving: W_1 = [W_u | W_i] splits into a user part and an item part, so
 * W_1 x = W_u e_u + W_i e_i.  score_items computes the item part of every
 * item, (n_items, hidden), once per loaded model (lazily, into a buffer of
 * the model that is not saved), and then for one user adds W_u e_u + c_1,
 * applies ReLU and the remaining layers as sgemm over chunks of items, and
 * the output layer as one sgemv per chunk.
 *
 * Cold start: an unknown user or item gets a zero embedding and a zero
 * bias, the centre the embeddings are initialised around and weight decay
 * pulls towards; both unknown is the network's output for two zero
 * embeddings plus mu.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/dense.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dense.h"
#include "model.h"
#include "rank.h"
#include "nn.h"

#define DENSE_MAX_LAYERS 4
#define DENSE_MAX_FACTORS 512
#define DENSE_MAX_HIDDEN 1024
/* items per sgemm in score_items: bounds its scratch space */
#define DENSE_CHUNK 1024

/* ---------- options ---------- */

/* indexes into dense_options[]; keep in the same order */
enum
{
	OPT_FACTORS,
	OPT_HIDDEN,
	OPT_LAYERS,
	OPT_DROPOUT,
	OPT_WEIGHT_DECAY,
	OPT_EPOCHS,
	OPT_LEARNING_RATE,
	OPT_OPTIMIZER,
	OPT_BATCH_SIZE,
	OPT_VALIDATION_FRACTION,
	OPT_PATIENCE,
	OPT_SEED,
	OPT_BIASES,
	OPT_INIT_STD,
	OPT_THREADS,
	OPT_L2,
	OPT_LAZY,
	DENSE_N_OPTIONS
};

/* the defaults are tuned on a validation part of MovieLens-100K u1.base */
static const rs_option_def dense_options[DENSE_N_OPTIONS + RS_RANK_N_OPTIONS] = {
	{"factors", RS_OPT_INT, 20, 1, DENSE_MAX_FACTORS, NULL,
	"size k of the user and of the item embedding"},
	{"hidden", RS_OPT_INT, 64, 1, DENSE_MAX_HIDDEN, NULL,
	"width of each hidden layer"},
	{"layers", RS_OPT_INT, 1, 1, DENSE_MAX_LAYERS, NULL,
	"number of hidden layers (Linear and ReLU)"},
	RS_OPTION_DROPOUT(0, "probability of zeroing a hidden unit in training"),
	RS_OPTION_WEIGHT_DECAY(0.001),
	RS_OPTION_EPOCHS(100),
	RS_OPTION_LEARNING_RATE(0.003),
	RS_OPTION_OPTIMIZER(RS_OPTIMIZER_ADAM),
	RS_OPTION_BATCH_SIZE(256, 65536, "ratings per step"),
	RS_OPTION_VALIDATION_FRACTION(0.02),
	RS_OPTION_PATIENCE(6),
	RS_OPTION_SEED(42, "seed of the shuffles, the initial weights and dropout"),
	RS_OPTION_BIASES(1, "learn user and item biases next to the network"),
	RS_OPTION_INIT_STD(0.1, "standard deviation of the initial embeddings"),
	RS_OPTION_THREADS("OpenBLAS threads of training (0: the caller's default, recsys.threads)"),
	{"l2", RS_OPT_REAL, 0, 0, 100, NULL,
	"L2 regularisation of the embeddings and biases, per rating"},
	{"lazy", RS_OPT_BOOL, 0, 0, 1, NULL,
	"update only the embedding rows a batch touched (for large models)"},
	RS_RANK_OPTIONS(0),
};

/* ---------- model state ---------- */

typedef struct dense_impl
{
	int			k;
	int			h;
	int			layers;
	bool		biases;
	float	   *ue;				/* (n_users, k) user embeddings */
	float	   *ie;				/* (n_items, k) item embeddings */
	float	   *ub;				/* (n_users) user bias, or NULL */
	float	   *ib;				/* (n_items) item bias, or NULL */
	float	   *W[DENSE_MAX_LAYERS];	/* (h, 2k) then (h, h) */
	float	   *c[DENSE_MAX_LAYERS];	/* (h) */
	float	   *wo;				/* (1, h) output weights */
	float	   *co;				/* (1) output bias */
	size_t		sparse_n;		/* params_buf[0, sparse_n): per-row tensors */

	/* serving: derived from the weights, never saved */
	float	   *item_part;		/* (n_items, h) W_i e_i of every item */
	float	   *scratch;		/* (2, DENSE_CHUNK, h) */
	bool		item_part_ready;

	/* training only (train_begin .. train_end); one allocation at ws */
	void	   *ws;
	size_t		bs;				/* rows of the batch buffers */
	float	   *grad;			/* (n_params) */
	float	   *m1;				/* (n_params) Adam moments */
	float	   *m2;
	nn_touched	users;			/* rows of ue and ub this batch touched */
	nn_touched	items;			/* rows of ie and ib this batch touched */
	float	   *x;				/* (bs, 2k) input */
	float	   *dx;				/* (bs, 2k) */
	float	   *act[DENSE_MAX_LAYERS];	/* (bs, h) ReLU outputs */
	float	   *drop[DENSE_MAX_LAYERS]; /* (bs, h) after dropout */
	float	   *mask[DENSE_MAX_LAYERS]; /* (bs, h) */
	float	   *ga;				/* (bs, max(h, 2k)) gradient buffers */
	float	   *gb;
	float	   *y;				/* (bs) predictions */
	float	   *dy;				/* (bs) */
	nn_adam		adam;
	int			saved_threads;	/* nn_blas_threads_hold's, 0 when not held */
} dense_impl;

/* number of weights: embeddings, biases, layers, output */
static size_t
dense_param_count(const rs_params *p, int32_t n_users, int32_t n_items,
				  size_t *sparse_n)
{
	size_t		k = (size_t) p->value[OPT_FACTORS];
	size_t		h = (size_t) p->value[OPT_HIDDEN];
	size_t		layers = (size_t) p->value[OPT_LAYERS];
	size_t		rows = rs_add_size((size_t) n_users, (size_t) n_items);
	size_t		n;

	n = rs_mul_size(rows, k);
	if (p->value[OPT_BIASES] != 0)
		n = rs_add_size(n, rows);
	if (sparse_n)
		*sparse_n = n;
	n = rs_add_size(n, h * 2 * k + h);
	n = rs_add_size(n, (layers - 1) * (h * h + h));
	n = rs_add_size(n, h + 1);
	return n;
}

/* bytes of the serving buffers kept with the model */
static size_t
dense_serving_bytes(const rs_params *p, int32_t n_items)
{
	size_t		h = (size_t) p->value[OPT_HIDDEN];

	return rs_mul_size(rs_add_size((size_t) n_items, 2 * DENSE_CHUNK),
					   rs_mul_size(h, sizeof(float)));
}

/* the buffers of the training workspace, in layout order */
enum
{
	DENSE_WS_GRAD,				/* (n_params) */
	DENSE_WS_M1,				/* (n_params) Adam's moments, none for SGD */
	DENSE_WS_M2,
	DENSE_WS_X,					/* (bs, 2k) input */
	DENSE_WS_DX,				/* (bs, 2k) */
	DENSE_WS_ACT,				/* (bs, h) ReLU outputs of layer l at + 3 l */
	DENSE_WS_DROP,				/* (bs, h) after dropout, at + 3 l */
	DENSE_WS_MASK,				/* (bs, h) dropout factors, at + 3 l */
	DENSE_WS_GA = DENSE_WS_ACT + 3 * DENSE_MAX_LAYERS,	/* (bs, max(h, 2k)) */
	DENSE_WS_GB,
	DENSE_WS_Y,					/* (bs) predictions */
	DENSE_WS_DY,				/* (bs) */
	DENSE_WS_USER_STAMP,		/* (n_users) stamps of nn_touched */
	DENSE_WS_ITEM_STAMP,		/* (n_items) */
	DENSE_WS_USER_ROWS,			/* (bs) rows a batch touched */
	DENSE_WS_ITEM_ROWS,
	DENSE_N_WS
};

/* bytes of each buffer of the training workspace, for batches of bs rows */
static void
dense_workspace(const rs_params *p, int32_t n_users, int32_t n_items,
				size_t bs, size_t sizes[DENSE_N_WS])
{
	size_t		k = (size_t) p->value[OPT_FACTORS];
	size_t		h = (size_t) p->value[OPT_HIDDEN];
	size_t		layers = (size_t) p->value[OPT_LAYERS];
	size_t		wide = h > 2 * k ? h : 2 * k;
	size_t		grad = rs_mul_size(dense_param_count(p, n_users, n_items, NULL),
								   sizeof(float));
	bool		adam = (int) p->value[OPT_OPTIMIZER] == RS_OPTIMIZER_ADAM;
	size_t		l;

	sizes[DENSE_WS_GRAD] = grad;
	sizes[DENSE_WS_M1] = adam ? grad : 0;
	sizes[DENSE_WS_M2] = adam ? grad : 0;
	sizes[DENSE_WS_X] = rs_mul_size(bs, 2 * k * sizeof(float));
	sizes[DENSE_WS_DX] = sizes[DENSE_WS_X];
	for (l = 0; l < DENSE_MAX_LAYERS; l++)
	{
		size_t		act = l < layers ? rs_mul_size(bs, h * sizeof(float)) : 0;

		sizes[DENSE_WS_ACT + 3 * l] = act;
		sizes[DENSE_WS_DROP + 3 * l] = act;
		sizes[DENSE_WS_MASK + 3 * l] = act;
	}
	sizes[DENSE_WS_GA] = rs_mul_size(bs, wide * sizeof(float));
	sizes[DENSE_WS_GB] = sizes[DENSE_WS_GA];
	sizes[DENSE_WS_Y] = rs_mul_size(bs, sizeof(float));
	sizes[DENSE_WS_DY] = sizes[DENSE_WS_Y];
	sizes[DENSE_WS_USER_STAMP] = rs_mul_size((size_t) n_users, sizeof(int32_t));
	sizes[DENSE_WS_ITEM_STAMP] = rs_mul_size((size_t) n_items, sizeof(int32_t));
	sizes[DENSE_WS_USER_ROWS] = rs_mul_size(bs, sizeof(int32_t));
	sizes[DENSE_WS_ITEM_ROWS] = sizes[DENSE_WS_USER_ROWS];
}

/* bytes of a training: weights, snapshot, serving buffers, workspace */
static size_t
dense_train_memory(const rs_params *p, int32_t n_users, int32_t n_items,
				   size_t n_ratings)
{
	size_t		np = dense_param_count(p, n_users, n_items, NULL);
	size_t		bs = (size_t) p->value[OPT_BATCH_SIZE];
	size_t		copies = 1;		/* the weights */
	size_t		sizes[DENSE_N_WS];
	size_t		total;

	if (p->value[OPT_VALIDATION_FRACTION] > 0)
		copies++;				/* early-stopping snapshot */
	if (bs > n_ratings && n_ratings > 0)
		bs = n_ratings;
	total = rs_mul_size(rs_mul_size(np, copies), sizeof(float));
	total = rs_add_size(total, sizeof(dense_impl));
	total = rs_add_size(total, dense_serving_bytes(p, n_items));
	dense_workspace(p, n_users, n_items, bs, sizes);
	return rs_add_size(total, rs_workspace_bytes(sizes, DENSE_N_WS));
}

/* carve params_buf into the tensors of the header comment and register them */
static rs_status
dense_init(rs_model *m, rs_error *err)
{
	const rs_params *p = &m->params;
	int			k = (int) p->value[OPT_FACTORS];
	int			h = (int) p->value[OPT_HIDDEN];
	int			layers = (int) p->value[OPT_LAYERS];
	size_t		sparse_n;
	size_t		n_params = dense_param_count(p, m->n_users, m->n_items, &sparse_n);
	size_t		bytes = rs_mul_size(n_params, sizeof(float));
	size_t		serve = dense_serving_bytes(p, m->n_items);
	size_t		impl_bytes = rs_add_size(sizeof(dense_impl), serve);
	dense_impl *impl;
	float	   *w;
	rs_status	rc;
	int			l;
	char		name[RS_TENSOR_NAME_LEN];

	if (bytes == SIZE_MAX || impl_bytes == SIZE_MAX)
		return rs_error_set(err, RS_ERR_LIMIT, "factors",
							"the model would be too large");
	/* the serving buffers follow the struct in one allocation */
	impl = rs_alloc(&m->alloc, impl_bytes);
	if (impl == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory allocating %zu bytes", impl_bytes);
	memset(impl, 0, sizeof(*impl));
	m->impl = impl;
	impl->item_part = (float *) (impl + 1);
	impl->scratch = impl->item_part + (size_t) m->n_items * (size_t) h;
	m->params_buf = rs_alloc(&m->alloc, bytes);
	if (m->params_buf == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory allocating %zu bytes of weights", bytes);
	memset(m->params_buf, 0, bytes);
	m->n_params = n_params;

	impl->k = k;
	impl->h = h;
	impl->layers = layers;
	impl->biases = p->value[OPT_BIASES] != 0;
	impl->sparse_n = sparse_n;
	w = m->params_buf;
	impl->ue = w;
	w += (size_t) m->n_users * (size_t) k;
	impl->ie = w;
	w += (size_t) m->n_items * (size_t) k;
	if (impl->biases)
	{
		impl->ub = w;
		w += m->n_users;
		impl->ib = w;
		w += m->n_items;
	}
	for (l = 0; l < layers; l++)
	{
		size_t		d_in = l == 0 ? 2 * (size_t) k : (size_t) h;

		impl->W[l] = w;
		w += (size_t) h * d_in;
		impl->c[l] = w;
		w += h;
	}
	impl->wo = w;
	w += h;
	impl->co = w;

	rc = rs_model_add_param_tensor(m, "user_embedding", impl->ue, 2,
								   m->n_users, k, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "item_embedding", impl->ie, 2,
									   m->n_items, k, err);
	if (rc == RS_OK && impl->biases)
		rc = rs_model_add_param_tensor(m, "user_bias", impl->ub, 1,
									   m->n_users, 1, err);
	if (rc == RS_OK && impl->biases)
		rc = rs_model_add_param_tensor(m, "item_bias", impl->ib, 1,
									   m->n_items, 1, err);
	for (l = 0; l < layers && rc == RS_OK; l++)
	{
		snprintf(name, sizeof(name), "hidden%d_weight", l + 1);
		rc = rs_model_add_param_tensor(m, name, impl->W[l], 2, h,
									   l == 0 ? 2 * k : h, err);
		if (rc == RS_OK)
		{
			snprintf(name, sizeof(name), "hidden%d_bias", l + 1);
			rc = rs_model_add_param_tensor(m, name, impl->c[l], 1, h, 1, err);
		}
	}
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "output_weight", impl->wo, 2, 1, h, err);
	if (rc == RS_OK)
		rc = rs_model_add_param_tensor(m, "output_bias", impl->co, 1, 1, 1, err);
	return rc;
}

/*
 * Embeddings from N(0, init_std^2), biases zero, linear layers as PyTorch's
 * nn.Linear default (He et al. 2015's uniform form with a = sqrt(5)):
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases; the output
 * bias starts at zero since mu already centres the output.
 */
static void
dense_init_weights(rs_model *m, rs_rng *rng)
{
	dense_impl *impl = m->impl;
	double		std = m->params.value[OPT_INIT_STD];
	size_t		ne = ((size_t) m->n_users + (size_t) m->n_items) * (size_t) impl->k;
	size_t		j;
	int			l;

	for (j = 0; j < ne; j++)
		m->params_buf[j] = (float) (std * rs_rng_normal(rng));
	for (j = ne; j < impl->sparse_n; j++)
		m->params_buf[j] = 0.0f;
	for (l = 0; l <= impl->layers; l++)
	{
		size_t		d_in = l == 0 ? 2 * (size_t) impl->k : (size_t) impl->h;
		size_t		d_out = l == impl->layers ? 1 : (size_t) impl->h;
		float	   *W = l == impl->layers ? impl->wo : impl->W[l];
		float	   *c = l == impl->layers ? NULL : impl->c[l];
		double		bound = 1.0 / sqrt((double) d_in);

		for (j = 0; j < d_out * d_in; j++)
			W[j] = (float) (bound * (2.0 * rs_rng_uniform(rng) - 1.0));
		for (j = 0; c && j < d_out; j++)
			c[j] = (float) (bound * (2.0 * rs_rng_uniform(rng) - 1.0));
	}
	impl->co[0] = 0.0f;
}

/* ---------- training ---------- */

/* gradient offset of the user bias / item bias of a row */
#define UB_OFF(impl, nu, ni) ((size_t) ((nu) + (ni)) * (size_t) (impl)->k)
#define IB_OFF(impl, nu, ni) (UB_OFF(impl, nu, ni) + (size_t) (nu))

/*
 * Forward and backward over rows [begin, end) of d (B <= impl->bs rows):
 * the gradient of the mean squared error goes into grad, the squared
 * errors before the step are added to *sq_err.  With track, each
 * embedding row of grad is zeroed when the batch first touches it and the
 * touched rows are listed, and the network part of grad is zeroed first;
 * otherwise everything is added to grad as given.  train applies dropout.
 */
static void
dense_batch(rs_model *m, dense_impl *impl, const rs_dataset *d,
			size_t begin, size_t end, float *grad, bool track, bool train,
			rs_rng *rng, double *sq_err)
{
	const size_t B = end - begin;
	const size_t k = (size_t) impl->k;
	const size_t h = (size_t) impl->h;
	const size_t nu = (size_t) m->n_users;
	const size_t ni = (size_t) m->n_items;
	const int	L = impl->layers;
	const float p_drop = train ? (float) m->params.value[OPT_DROPOUT] : 0.0f;
	const float l2 = (float) m->params.value[OPT_L2];
	const int32_t *uidx = d->user + begin;
	const int32_t *iidx = d->item + begin;
	const float *target = d->rating + begin;
	float	   *gue = grad;
	float	   *gie = grad + nu * k;
	float	   *gub = impl->biases ? grad + UB_OFF(impl, nu, ni) : NULL;
	float	   *gib = impl->biases ? grad + IB_OFF(impl, nu, ni) : NULL;
	const float *inp;
	float	   *gout;
	float	   *gin;
	size_t		b;
	int			l;

	if (track)
	{
		memset(grad + impl->sparse_n, 0,
			   (m->n_params - impl->sparse_n) * sizeof(float));
		for (b = 0; b < B; b++)
		{
			nn_touch(&impl->users, uidx[b], gue, k, gub);
			nn_touch(&impl->items, iidx[b], gie, k, gib);
		}
	}

	/* forward: x = [e_u ; e_i], hidden layers, output */
	nn_embedding_forward(impl->x, uidx, impl->ue, B, k, 2 * k);
	nn_embedding_forward(impl->x + k, iidx, impl->ie, B, k, 2 * k);
	inp = impl->x;
	for (l = 0; l < L; l++)
	{
		size_t		d_in = l == 0 ? 2 * k : h;

		nn_linear_forward(impl->act[l], inp, impl->W[l], impl->c[l], B, d_in, h);
		nn_relu_forward(impl->act[l], impl->act[l], B * h);
		if (p_drop > 0.0f)
		{
			nn_dropout_forward(impl->drop[l], impl->mask[l], impl->act[l],
							   B * h, p_drop, rng);
			inp = impl->drop[l];
		}
		else
			inp = impl->act[l];
	}
	nn_linear_forward(impl->y, inp, impl->wo, impl->co, B, h, 1);
	for (b = 0; b < B; b++)
	{
		impl->y[b] += (float) m->global_mean;
		if (impl->biases)
			impl->y[b] += impl->ub[uidx[b]] + impl->ib[iidx[b]];
	}
	*sq_err += nn_mse_loss(impl->dy, impl->y, target, B) * (double) B;

	/* backward */
	if (impl->biases)
	{
		for (b = 0; b < B; b++)
		{
			gub[uidx[b]] += impl->dy[b];
			gib[iidx[b]] += impl->dy[b];
		}
	}
	gout = impl->ga;
	gin = impl->gb;
	memset(gout, 0, B * h * sizeof(float));
	nn_linear_backward(gout, grad + (impl->wo - m->params_buf),
					   grad + (impl->co - m->params_buf), impl->dy, inp,
					   impl->wo, B, h, 1);
	for (l = L - 1; l >= 0; l--)
	{
		size_t		d_in = l == 0 ? 2 * k : h;
		const float *layer_in;
		float	   *dlayer_in;

		/* gout is the gradient of this layer's output (after dropout) */
		if (p_drop > 0.0f)
		{
			memset(gin, 0, B * h * sizeof(float));
			nn_dropout_backward(gin, gout, impl->mask[l], B * h);
			/* swap: gout now holds d(act) */
			{
				float	   *t = gout;

				gout = gin;
				gin = t;
			}
		}
		memset(gin, 0, B * h * sizeof(float));
		nn_relu_backward(gin, gout, impl->act[l], B * h);
		/* gin = d(pre-activation) */
		if (l == 0)
		{
			layer_in = impl->x;
			dlayer_in = impl->dx;
		}
		else
		{
			layer_in = p_drop > 0.0f ? impl->drop[l - 1] : impl->act[l - 1];
			dlayer_in = gout;	/* free now */
		}
		memset(dlayer_in, 0, B * d_in * sizeof(float));
		nn_linear_backward(dlayer_in, grad + (impl->W[l] - m->params_buf),
						   grad + (impl->c[l] - m->params_buf), gin,
						   layer_in, impl->W[l], B, d_in, h);
		/* next iteration: gout = d(output of layer l - 1); gin is free */
		if (l > 0)
			gout = dlayer_in;
	}
	nn_embedding_backward(gue, impl->dx, uidx, B, k, 2 * k);
	nn_embedding_backward(gie, impl->dx + k, iidx, B, k, 2 * k);
	if (l2 > 0.0f)
	{
		/* gradient of l2 / B sum_b (|e_u|^2 + |e_i|^2 + b_u^2 + b_i^2) / 2 */
		float		s = l2 / (float) B;

		for (b = 0; b < B; b++)
		{
			size_t		uo = (size_t) uidx[b] * k;
			size_t		io = (size_t) iidx[b] * k;
			size_t		f;

			for (f = 0; f < k; f++)
			{
				gue[uo + f] += s * impl->ue[uo + f];
				gie[io + f] += s * impl->ie[io + f];
			}
			if (impl->biases)
			{
				gub[uidx[b]] += s * impl->ub[uidx[b]];
				gib[iidx[b]] += s * impl->ib[iidx[b]];
			}
		}
	}
}

/* public wrapper for the gradient check: no dropout, plain accumulation */
double
dense_batch_loss_grad(rs_model *m, const rs_dataset *d, size_t begin,
					  size_t end, float *grad)
{
	dense_impl *impl = m->impl;
	double		sq = 0.0;

	if (end <= begin || impl->ws == NULL || end - begin > impl->bs)
		return NAN;
	dense_batch(m, impl, d, begin, end, grad, false, false, NULL, &sq);
	return sq / (double) (end - begin);
}

/* apply the gradient of the current batch: lazy rows, then the network */
static void
dense_apply(rs_model *m, dense_impl *impl, float lr)
{
	const size_t k = (size_t) impl->k;
	const size_t nu = (size_t) m->n_users;
	const size_t ni = (size_t) m->n_items;
	const float wd = (float) m->params.value[OPT_WEIGHT_DECAY];
	const size_t dn = m->n_params - impl->sparse_n;
	float	   *w = m->params_buf;
	size_t		ie_off = nu * k;

	if (m->params.value[OPT_LAZY] == 0)
	{
		/* every weight steps, as torch.optim.Adam with dense gradients */
		if ((int) m->params.value[OPT_OPTIMIZER] == RS_OPTIMIZER_ADAM)
		{
			nn_adam_next(&impl->adam);
			nn_adam_step(&impl->adam, w, impl->grad, impl->m1, impl->m2,
						 m->n_params, lr, wd);
		}
		else
			nn_sgd_step(w, impl->grad, m->n_params, lr, wd);
		memset(impl->grad, 0, impl->sparse_n * sizeof(float));
		return;
	}
	if ((int) m->params.value[OPT_OPTIMIZER] == RS_OPTIMIZER_ADAM)
	{
		nn_adam_next(&impl->adam);
		nn_adam_rows(&impl->adam, w, impl->grad, impl->m1, impl->m2,
					 impl->users.rows, impl->users.n_rows, k, lr, wd);
		nn_adam_rows(&impl->adam, w + ie_off, impl->grad + ie_off,
					 impl->m1 + ie_off, impl->m2 + ie_off,
					 impl->items.rows, impl->items.n_rows, k, lr, wd);
		if (impl->biases)
		{
			size_t		ub = UB_OFF(impl, nu, ni);
			size_t		ib = IB_OFF(impl, nu, ni);

			nn_adam_rows(&impl->adam, w + ub, impl->grad + ub, impl->m1 + ub,
						 impl->m2 + ub, impl->users.rows, impl->users.n_rows,
						 1, lr, wd);
			nn_adam_rows(&impl->adam, w + ib, impl->grad + ib, impl->m1 + ib,
						 impl->m2 + ib, impl->items.rows, impl->items.n_rows,
						 1, lr, wd);
		}
		nn_adam_step(&impl->adam, w + impl->sparse_n, impl->grad + impl->sparse_n,
					 impl->m1 + impl->sparse_n, impl->m2 + impl->sparse_n,
					 dn, lr, wd);
	}
	else
	{
		nn_sgd_rows(w, impl->grad, impl->users.rows, impl->users.n_rows,
					k, lr, wd);
		nn_sgd_rows(w + ie_off, impl->grad + ie_off, impl->items.rows,
					impl->items.n_rows, k, lr, wd);
		if (impl->biases)
		{
			size_t		ub = UB_OFF(impl, nu, ni);
			size_t		ib = IB_OFF(impl, nu, ni);

			nn_sgd_rows(w + ub, impl->grad + ub, impl->users.rows,
						impl->users.n_rows, 1, lr, wd);
			nn_sgd_rows(w + ib, impl->grad + ib, impl->items.rows,
						impl->items.n_rows, 1, lr, wd);
		}
		nn_sgd_step(w + impl->sparse_n, impl->grad + impl->sparse_n, dn, lr, wd);
	}
}

/* allocate the training workspace and point the buffers of impl into it */
static rs_status
dense_train_begin(rs_model *m, rs_dataset *train, rs_error *err)
{
	dense_impl *impl = m->impl;
	size_t		bs = (size_t) m->params.value[OPT_BATCH_SIZE];
	size_t		sizes[DENSE_N_WS];
	void	   *parts[DENSE_N_WS];
	rs_status	rc;
	int			l;

	if (bs > train->n)
		bs = train->n;
	impl->bs = bs;
	dense_workspace(&m->params, m->n_users, m->n_items, bs, sizes);
	rc = rs_workspace_alloc(m, sizes, DENSE_N_WS, "optimizer state",
							&impl->ws, parts, err);
	if (rc != RS_OK)
		return rc;
	impl->grad = parts[DENSE_WS_GRAD];
	impl->m1 = parts[DENSE_WS_M1];
	impl->m2 = parts[DENSE_WS_M2];
	impl->x = parts[DENSE_WS_X];
	impl->dx = parts[DENSE_WS_DX];
	for (l = 0; l < DENSE_MAX_LAYERS; l++)
	{
		impl->act[l] = parts[DENSE_WS_ACT + 3 * l];
		impl->drop[l] = parts[DENSE_WS_DROP + 3 * l];
		impl->mask[l] = parts[DENSE_WS_MASK + 3 * l];
	}
	impl->ga = parts[DENSE_WS_GA];
	impl->gb = parts[DENSE_WS_GB];
	impl->y = parts[DENSE_WS_Y];
	impl->dy = parts[DENSE_WS_DY];
	nn_touched_init(&impl->users, parts[DENSE_WS_USER_STAMP],
					parts[DENSE_WS_USER_ROWS]);
	nn_touched_init(&impl->items, parts[DENSE_WS_ITEM_STAMP],
					parts[DENSE_WS_ITEM_ROWS]);

	nn_adam_init(&impl->adam);
	impl->saved_threads = 0;
	impl->item_part_ready = false;
	return RS_OK;
}

/* reshuffle, then one pass of minibatches; mean squared error before steps */
static double
dense_train_epoch(rs_model *m, rs_dataset *train, int epoch, rs_rng *rng,
				  const rs_train_hooks *hooks)
{
	dense_impl *impl = m->impl;
	float		lr = (float) m->params.value[OPT_LEARNING_RATE];
	size_t		bs = impl->bs;
	size_t		begin;
	rs_progress progress;
	double		sq = 0.0;

	/* OpenBLAS's thread count is process-wide: held until train_end */
	nn_blas_threads_hold(&impl->saved_threads,
						 rs_train_threads(m, hooks, RS_MAX_TRAIN_THREADS));
	if (epoch > 1)
		rs_dataset_shuffle(train, rng);

	rs_progress_begin(&progress, hooks, epoch, train->n, RS_PROGRESS_STEP);
	for (begin = 0; begin < train->n; begin += bs)
	{
		size_t		end = begin + bs < train->n ? begin + bs : train->n;

		nn_touched_next_batch(&impl->users, (size_t) m->n_users);
		nn_touched_next_batch(&impl->items, (size_t) m->n_items);
		dense_batch(m, impl, train, begin, end, impl->grad, true, true, rng, &sq);
		dense_apply(m, impl, lr);
		rs_progress_rows(&progress, end);
	}
	return sq / (double) train->n;
}

/* free the training state and restore OpenBLAS's thread count */
static void
dense_train_end(rs_model *m)
{
	dense_impl *impl = m->impl;
	int			l;

	if (impl == NULL)
		return;
	nn_blas_threads_release(&impl->saved_threads);
	rs_free(&m->alloc, impl->ws);
	impl->ws = NULL;
	impl->grad = impl->m1 = impl->m2 = NULL;
	impl->x = impl->dx = impl->ga = impl->gb = impl->y = impl->dy = NULL;
	for (l = 0; l < DENSE_MAX_LAYERS; l++)
		impl->act[l] = impl->drop[l] = impl->mask[l] = NULL;
	memset(&impl->users, 0, sizeof(impl->users));
	memset(&impl->items, 0, sizeof(impl->items));
	/* the weights changed: the item part is computed again when needed */
	impl->item_part_ready = false;
}

/* ---------- serving ---------- */

/*
 * A user as serving sees it: an embedding (k floats) and a bias.  A
 * training user's are its rows of the weights; an unknown user's are zero;
 * a history given at query time gets them from dense_fold_in.
 */
typedef struct dense_user
{
	const float *e;
	float		b;
} dense_user;

/* the embedding of an unknown user */
static const float dense_zero_embedding[DENSE_MAX_FACTORS];

/* the serving view of user index u (-1: unknown, zero) */
static dense_user
dense_user_of(const dense_impl *impl, int32_t u)
{
	dense_user	du;

	du.e = u >= 0 ? impl->ue + (size_t) u * impl->k : dense_zero_embedding;
	du.b = (impl->biases && u >= 0) ? impl->ub[u] : 0.0f;
	return du;
}

/*
 * The hidden activations of item i (-1: unknown, zero embedding) for a
 * user: z_1 = W_u e_u + W_i e_i + c_1 and a_l = ReLU(z_l), every layer's
 * a_l into act (layers x h).  Returns the raw prediction.  Uses only the
 * stack, act and the weights, so it is safe to call from several threads.
 */
static double
dense_forward_pair(const rs_model *m, const dense_user *du, int32_t i,
				   float *act)
{
	const dense_impl *impl = m->impl;
	const size_t k = (size_t) impl->k;
	const size_t h = (size_t) impl->h;
	float		x[2 * DENSE_MAX_FACTORS];
	float		z[DENSE_MAX_HIDDEN];
	double		out;
	int			l;

	memcpy(x, du->e, k * sizeof(float));
	nn_embedding_forward(x + k, &i, impl->ie, 1, k, 2 * k);
	for (l = 0; l < impl->layers; l++)
	{
		size_t		d_in = l == 0 ? 2 * k : h;

		memcpy(z, impl->c[l], h * sizeof(float));
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) h, (int) d_in, 1.0f,
					impl->W[l], (int) d_in, l == 0 ? x : act + (l - 1) * h,
					1, 1.0f, z, 1);
		nn_relu_forward(act + l * h, z, h);
	}
	out = (double) cblas_sdot((int) h, impl->wo, 1, act + (impl->layers - 1) * h, 1) +
		impl->co[0] + m->global_mean + du->b;
	if (impl->biases && i >= 0)
		out += impl->ib[i];
	return out;
}

/*
 * Raw prediction for one pair, unknown (-1) sides as zero embeddings and
 * biases.  Uses only the stack and the weights, so it is safe to call from
 * several threads at once.
 */
static double
dense_predict(const rs_model *m, int32_t u, int32_t i)
{
	float		act[DENSE_MAX_LAYERS * DENSE_MAX_HIDDEN];
	dense_user	du = dense_user_of(m->impl, u);

	return dense_forward_pair(m, &du, i, act);
}

/* W_i e_i for every item: (n_items, k) x (h, k)^T with W_i = W_1[:, k:] */
static void
dense_fill_item_part(const rs_model *m, dense_impl *impl)
{
	int			k = impl->k;
	int			h = impl->h;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m->n_items, h, k,
				1.0f, impl->ie, k, impl->W[0] + k, 2 * k,
				0.0f, impl->item_part, h);
	impl->item_part_ready = true;
}

/*
 * Scores of every item for a user: the cached item part plus the user
 * part W_u e_u + c_1, ReLU, then the other layers and the output over
 * chunks of DENSE_CHUNK items.  The first call after training or loading
 * fills the cache; the glue calls this from its one thread.
 */
static void
dense_score_user(const rs_model *m, const dense_user *du, float *out)
{
	dense_impl *impl = m->impl;
	const size_t k = (size_t) impl->k;
	const size_t h = (size_t) impl->h;
	const size_t ni = (size_t) m->n_items;
	float		upart[DENSE_MAX_HIDDEN];
	float		base = (float) m->global_mean + impl->co[0] + du->b;
	size_t		start;
	size_t		j;

	if (!impl->item_part_ready)
		dense_fill_item_part(m, impl);

	/* W_u e_u + c_1 with W_u = W_1[:, :k] */
	memcpy(upart, impl->c[0], h * sizeof(float));
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) h, (int) k, 1.0f,
				impl->W[0], (int) (2 * k), du->e, 1, 1.0f, upart, 1);

	for (start = 0; start < ni; start += DENSE_CHUNK)
	{
		size_t		n = ni - start < DENSE_CHUNK ? ni - start : DENSE_CHUNK;
		float	   *a = impl->scratch;
		float	   *b = impl->scratch + DENSE_CHUNK * h;
		const float *ip = impl->item_part + start * h;
		int			l;

		for (j = 0; j < n; j++)
		{
			size_t		f;

			for (f = 0; f < h; f++)
			{
				float		v = ip[j * h + f] + upart[f];

				a[j * h + f] = v > 0.0f ? v : 0.0f;
			}
		}
		for (l = 1; l < impl->layers; l++)
		{
			float	   *t;

			nn_linear_forward(b, a, impl->W[l], impl->c[l], n, h, h);
			nn_relu_forward(b, b, n * h);
			t = a;
			a = b;
			b = t;
		}
		/* output layer: one sgemv over the chunk */
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) n, (int) h, 1.0f,
					a, (int) h, impl->wo, 1, 0.0f, out + start, 1);
		for (j = 0; j < n; j++)
		{
			out[start + j] += base;
			if (impl->biases)
				out[start + j] += impl->ib[start + j];
		}
	}
}

/* scores of every item for user u (-1: unknown) */
static void
dense_score_items(const rs_model *m, int32_t u, float *out)
{
	dense_user	du = dense_user_of(m->impl, u);

	dense_score_user(m, &du, out);
}

/*
 * d y / d e_u of a pair whose activations dense_forward_pair left in act,
 * into g (k): back through the layers, delta_L = w_o . ReLU'(z_L),
 * delta_{l-1} = W_l^T delta_l . ReLU'(z_{l-1}), then W_u^T delta_1.
 */
static void
dense_user_gradient(const dense_impl *impl, const float *act, float *g)
{
	const int	h = impl->h;
	const int	k = impl->k;
	float		delta[DENSE_MAX_HIDDEN];
	float		prev[DENSE_MAX_HIDDEN];
	int			l;
	int			f;

	for (f = 0; f < h; f++)
		delta[f] = act[(impl->layers - 1) * h + f] > 0 ? impl->wo[f] : 0.0f;
	for (l = impl->layers - 1; l > 0; l--)
	{
		cblas_sgemv(CblasRowMajor, CblasTrans, h, h, 1.0f, impl->W[l], h,
					delta, 1, 0.0f, prev, 1);
		for (f = 0; f < h; f++)
			delta[f] = act[(l - 1) * h + f] > 0 ? prev[f] : 0.0f;
	}
	cblas_sgemv(CblasRowMajor, CblasTrans, h, k, 1.0f, impl->W[0], 2 * k,
				delta, 1, 0.0f, g, 1);
}

/* Gauss-Newton iterations of dense_fold_in, and halvings of a step */
#define DENSE_FOLD_ITERATIONS 20
#define DENSE_FOLD_HALVINGS 8

/*
 * The regularised squared error of dense_fold_in at the user's weights w
 * (k + 1: embedding and bias)
 */
static double
dense_fold_loss(const rs_model *m, const int32_t *items, const float *ratings,
				size_t n, const float *w, double lambda, double lambda_b,
				float *act)
{
	const dense_impl *impl = m->impl;
	dense_user	du = {w, impl->biases ? w[impl->k] : 0.0f};
	double		loss = 0;
	size_t		j;
	int			x;

	for (j = 0; j < n; j++)
	{
		double		e = dense_forward_pair(m, &du, items[j], act) - ratings[j];

		loss += e * e;
	}
	for (x = 0; x < impl->k; x++)
		loss += lambda * (double) w[x] * w[x];
	if (impl->biases)
		loss += lambda_b * (double) w[impl->k] * w[impl->k];
	return loss;
}

/*
 * Fold-in of a history given at query time: the user's embedding and bias
 * w that minimise
 *
 *	 sum_j (rhat(w, i_j) - r_j)^2 + lambda |e_u|^2 + lambda_b b_u^2
 *
 * against the fixed item embeddings and network, lambda = 1 + n (l2 +
 * weight_decay): the training's per-rating penalties plus a unit prior that
 * keeps a short history near the cold start (w = 0).  The network is
 * piecewise linear in e_u (ReLU), so Gauss-Newton steps (J^T J + lambda I)
 * dw = -(J^T e + lambda w) are exact within one activation pattern and
 * converge in a few iterations; a step that does not lower the loss is
 * halved.  No history leaves w = 0.
 */
static rs_status
dense_fold_in(const rs_model *m, const int32_t *items, const float *ratings,
			  size_t n, float *w, rs_error *err)
{
	const dense_impl *impl = m->impl;
	const int	k = impl->k;
	const int	d = k + (impl->biases ? 1 : 0);
	const double lambda = 1.0 + (double) n *
		(m->params.value[OPT_L2] + m->params.value[OPT_WEIGHT_DECAY]);
	const double lambda_b = 1.0 + (double) n * m->params.value[OPT_L2];
	double	   *A;
	double	   *b;
	float	   *act;
	float	   *g;
	float	   *trial;
	double		loss;
	int			it;

	memset(w, 0, (size_t) (k + 1) * sizeof(float));
	if (n == 0)
		return RS_OK;
	A = rs_alloc(&m->alloc, rs_mul_size((size_t) d * (d + 1), sizeof(double)));
	act = rs_alloc(&m->alloc, rs_mul_size((size_t) impl->layers * impl->h +
										  2 * ((size_t) k + 1), sizeof(float)));
	if (A == NULL || act == NULL)
	{
		rs_free(&m->alloc, A);
		rs_free(&m->alloc, act);
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	}
	b = A + (size_t) d * d;
	g = act + (size_t) impl->layers * impl->h;
	trial = g + k + 1;
	loss = dense_fold_loss(m, items, ratings, n, w, lambda, lambda_b, act);

	for (it = 0; it < DENSE_FOLD_ITERATIONS; it++)
	{
		dense_user	du = {w, impl->biases ? w[k] : 0.0f};
		double		step = 1.0;
		double		moved = 0;
		size_t		j;
		int			x;
		int			y;
		int			halving;

		/* J^T J + lambda I into A's upper triangle, -(J^T e + lambda w) into b */
		memset(A, 0, (size_t) d * (d + 1) * sizeof(double));
		for (x = 0; x < d; x++)
		{
			A[x * d + x] = x < k ? lambda : lambda_b;
			b[x] = -(x < k ? lambda : lambda_b) * w[x];
		}
		for (j = 0; j < n; j++)
		{
			double		e = dense_forward_pair(m, &du, items[j], act) - ratings[j];

			dense_user_gradient(impl, act, g);
			if (impl->biases)
				g[k] = 1.0f;
			for (x = 0; x < d; x++)
			{
				b[x] -= e * g[x];
				for (y = x; y < d; y++)
					A[x * d + y] += (double) g[x] * g[y];
			}
		}
		if (!rs_cholesky_solve(A, b, d))
			break;

		/* the step, halved until it lowers the loss */
		for (halving = 0; halving < DENSE_FOLD_HALVINGS; halving++, step *= 0.5)
		{
			double		trial_loss;

			for (x = 0; x < d; x++)
				trial[x] = (float) (w[x] + step * b[x]);
			trial_loss = dense_fold_loss(m, items, ratings, n, trial,
										 lambda, lambda_b, act);
			if (trial_loss < loss)
			{
				for (x = 0; x < d; x++)
					moved += fabs(step * b[x]);
				memcpy(w, trial, (size_t) d * sizeof(float));
				loss = trial_loss;
				break;
			}
		}
		if (moved < 1e-6 * d)
			break;
	}
	rs_free(&m->alloc, A);
	rs_free(&m->alloc, act);
	return RS_OK;
}

/* raw scores of n_cands items (cands NULL: every item) after a history */
static rs_status
dense_score_history(const rs_model *m, const int32_t *items,
					const float *ratings, size_t n, const int32_t *cands,
					size_t n_cands, float *out, rs_error *err)
{
	const dense_impl *impl = m->impl;
	float	   *w;
	float	   *act;
	dense_user	du;
	size_t		c;
	rs_status	rc;

	w = rs_alloc(&m->alloc, rs_mul_size((size_t) impl->k + 1 +
										(size_t) impl->layers * impl->h,
										sizeof(float)));
	if (w == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	act = w + impl->k + 1;
	rc = dense_fold_in(m, items, ratings, n, w, err);
	du.e = w;
	du.b = impl->biases ? w[impl->k] : 0.0f;
	if (rc == RS_OK && cands == NULL)
		dense_score_user(m, &du, out);
	else
		for (c = 0; rc == RS_OK && c < n_cands; c++)
			out[c] = (float) dense_forward_pair(m, &du, cands[c], act);
	rs_free(&m->alloc, w);
	return rc;
}

const rs_kind rs_kind_dense = {
	"dense",
	"user and item embeddings into a feed-forward network (Linear, ReLU, Linear)",
	dense_options,
	DENSE_N_OPTIONS + RS_RANK_N_OPTIONS,
	NULL,
	dense_train_memory,
	dense_init,
	dense_init_weights,
	dense_train_begin,
	dense_train_epoch,
	dense_train_end,
	dense_predict,
	dense_score_items,
	false,						/* not sequential */
	dense_score_history,
	false						/* scores are ratings */
};
