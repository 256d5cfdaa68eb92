/*-------------------------------------------------------------------------
 *
 * popularity.c
 *		The popularity kind: the baseline every recommender must beat.
 *
 * recsys_recommend lists the items with the most training rows that the
 * user has not rated (the same list for everyone, less what each user
 * already has); recsys_predict gives the item's mean rating shrunk toward
 * the global mean by "shrinkage" pseudo-ratings, the usual damped baseline
 * (Koren, "Factor in the neighbors", TKDD 2010, section 2.1), so that an
 * item with one 5-star rating is not predicted 5.  Both come from one pass
 * over the rows: "epochs" is 1 and there is no hold-out.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/popularity.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "model.h"

enum
{
	OPT_SHRINKAGE,
	OPT_EPOCHS,
	OPT_PATIENCE,
	OPT_VALIDATION_FRACTION,
	OPT_SEED,
	OPT_THREADS,
	POP_N_OPTIONS
};

/* the shared loop reads epochs, patience, validation_fraction, seed, threads */
static const rs_option_def pop_options[POP_N_OPTIONS] = {
	{"shrinkage", RS_OPT_REAL, 10, 0, 1e9, NULL,
	"pseudo-ratings at the global mean added to each item's mean rating"},
	{"epochs", RS_OPT_INT, 1, 1, 1, NULL,
	"one pass counts every row"},
	{"patience", RS_OPT_INT, 1, 1, 1, NULL,
	"(no early stopping)"},
	{"validation_fraction", RS_OPT_REAL, 0, 0, 0, NULL,
	"(no hold-out: every row counts)"},
	{"seed", RS_OPT_INT, 42, 0, 2147483647, NULL,
	"seed of the row shuffle (the model does not depend on it)"},
	{"threads", RS_OPT_INT, 0, 0, 1, NULL,
	"(one pass on one thread)"},
};

/* params_buf: count (n_items), then mean (n_items) */
static float *
pop_count(const rs_model *m)
{
	return m->params_buf;
}

static float *
pop_mean(const rs_model *m)
{
	return m->params_buf + m->n_items;
}

static size_t
pop_train_memory(const rs_params *p, int32_t n_users, int32_t n_items,
				 size_t n_ratings)
{
	return rs_mul_size(rs_mul_size((size_t) n_items, 3), sizeof(float));
}

static rs_status
pop_init(rs_model *m, rs_error *err)
{
	size_t		n = rs_mul_size((size_t) m->n_items, 2);
	rs_status	rc;

	m->params_buf = rs_alloc(&m->alloc, rs_mul_size(n, sizeof(float)));
	if (m->params_buf == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	memset(m->params_buf, 0, n * sizeof(float));
	m->n_params = n;
	rc = rs_model_add_param_tensor(m, "popularity", pop_count(m), 1,
								   m->n_items, 1, err);
	if (rc != RS_OK)
		return rc;
	return rs_model_add_param_tensor(m, "item_mean", pop_mean(m), 1,
									 m->n_items, 1, err);
}

static void
pop_init_weights(rs_model *m, rs_rng *rng)
{
}

static rs_status
pop_train_begin(rs_model *m, rs_dataset *train, rs_error *err)
{
	return RS_OK;
}

/* count every item's rows and its shrunk mean rating; returns the MSE */
static double
pop_train_epoch(rs_model *m, rs_dataset *train, int epoch, rs_rng *rng,
				const rs_train_hooks *hooks)
{
	float	   *count = pop_count(m);
	float	   *mean = pop_mean(m);
	double		shrink = rs_params_get(&m->params, "shrinkage");
	double		sq = 0;
	size_t		r;
	int32_t		i;

	memset(m->params_buf, 0, m->n_params * sizeof(float));
	for (r = 0; r < train->n; r++)
	{
		count[train->item[r]] += 1.0f;
		mean[train->item[r]] += train->rating[r];
	}
	for (i = 0; i < m->n_items; i++)
	{
		double		denom = count[i] + shrink;

		mean[i] = denom > 0 ? (float) ((mean[i] + shrink * m->global_mean) / denom)
			: (float) m->global_mean;
	}
	for (r = 0; r < train->n; r++)
	{
		double		e = mean[train->item[r]] - train->rating[r];

		sq += e * e;
	}
	return sq / (double) train->n;
}

static void
pop_train_end(rs_model *m)
{
}

/*
 * The damped mean rating; on rows that all carry the same rating (data
 * without ratings, where every row counts 1) a mean says nothing, and the
 * prediction is the item's count, the score its list ranks by.
 */
static double
pop_predict(const rs_model *m, int32_t u, int32_t i)
{
	if (m->rating_min == m->rating_max)
		return i < 0 ? 0 : pop_count(m)[i];
	return i < 0 ? m->global_mean : pop_mean(m)[i];
}

/* the same list for every user: the item counts */
static void
pop_score_items(const rs_model *m, int32_t u, float *out)
{
	memcpy(out, pop_count(m), (size_t) m->n_items * sizeof(float));
}

const rs_kind rs_kind_popularity = {
	"popularity",
	"the most-interacted items a user has not rated (the baseline)",
	pop_options,
	POP_N_OPTIONS,
	NULL,
	pop_train_memory,
	pop_init,
	pop_init_weights,
	pop_train_begin,
	pop_train_epoch,
	pop_train_end,
	pop_predict,
	pop_score_items,
	false,						/* not sequential */
	NULL,
	true						/* scores are row counts */
};
