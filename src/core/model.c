/*-------------------------------------------------------------------------
 *
 * model.c
 *		What every model kind shares: the kind table, option handling, the
 *		hold-out split, the epoch loop with early stopping, the model layout
 *		and id lookup, clipping and cold-start entry points.
 *
 * Training follows the usual recipe for explicit-feedback factor models
 * (Koren, Bell and Volinsky, "Matrix factorization techniques for
 * recommender systems", IEEE Computer 2009): shuffle the ratings with the
 * seed, hold out a fraction, run epochs, and keep the weights of the epoch
 * with the lowest held-out RMSE (early stopping; Prechelt, "Early stopping -
 * but when?", 1998).  The best weights are a copy of params_buf, so restoring
 * them is one memcpy whatever the kind.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/model.c
 *
 *-------------------------------------------------------------------------
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "rank.h"

/* every kind, NULL-terminated */
const rs_kind *const rs_kinds[] = {
	&rs_kind_mf,
	&rs_kind_dense,
	&rs_kind_lstm,
	&rs_kind_popularity,
	NULL
};

/* the kind called name, or NULL */
const rs_kind *
rs_kind_find(const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; rs_kinds[i] != NULL; i++)
	{
		if (strcmp(rs_kinds[i]->name, name) == 0)
			return rs_kinds[i];
	}
	return NULL;
}

/* ---------- options ---------- */

/* the choices of RS_OPTION_OPTIMIZER, in the order of enum rs_optimizer */
const char *const rs_optimizer_names[] = {"sgd", "adam", NULL};

/* fill p with the defaults of kind */
void
rs_params_default(rs_params *p, const rs_kind *kind)
{
	int			i;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	for (i = 0; i < kind->n_options && i < RS_MAX_OPTIONS; i++)
		p->value[i] = kind->options[i].def;
}

/* index of the option called name, or -1 */
int
rs_params_find(const rs_params *p, const char *name)
{
	int			i;

	if (p->kind == NULL || name == NULL)
		return -1;
	for (i = 0; i < p->kind->n_options; i++)
	{
		if (strcmp(p->kind->options[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* write the choices of an enum option as "a", "b", "c" into buf */
static void
format_choices(const rs_option_def *def, char *buf, size_t size)
{
	size_t		used = 0;
	int			i;

	buf[0] = '\0';
	for (i = 0; def->choices && def->choices[i] != NULL; i++)
	{
		int			n = snprintf(buf + used, size - used, "%s\"%s\"",
								 i > 0 ? ", " : "", def->choices[i]);

		if (n < 0 || (size_t) n >= size - used)
			break;
		used += (size_t) n;
	}
}

/* error for an option name the kind does not have */
static rs_status
unknown_option(const rs_params *p, const char *name, rs_error *err)
{
	return rs_error_set(err, RS_ERR_PARAM, name,
						"unrecognized option for kind \"%s\"",
						p->kind ? p->kind->name : "?");
}

/*
 * Set a numeric or boolean option.  Integers must be whole numbers, booleans
 * 0 or 1, and every value finite and within the option's inclusive bounds.
 * Enum options are set by name with rs_params_set_choice.
 */
rs_status
rs_params_set(rs_params *p, const char *name, double value, rs_error *err)
{
	int			idx = rs_params_find(p, name);
	const rs_option_def *def;

	if (idx < 0)
		return unknown_option(p, name, err);
	def = &p->kind->options[idx];

	switch (def->type)
	{
		case RS_OPT_ENUM:
			{
				char		choices[200];

				format_choices(def, choices, sizeof(choices));
				return rs_error_set(err, RS_ERR_PARAM, def->name,
									"must be one of %s", choices);
			}
		case RS_OPT_BOOL:
			if (value != 0.0 && value != 1.0)
				return rs_error_set(err, RS_ERR_PARAM, def->name,
									"must be a boolean");
			break;
		case RS_OPT_INT:
			if (!isfinite(value) || value != floor(value))
				return rs_error_set(err, RS_ERR_PARAM, def->name,
									"must be an integer");
			if (value < def->min || value > def->max)
				return rs_error_set(err, RS_ERR_PARAM, def->name,
									"must be between %.0f and %.0f",
									def->min, def->max);
			break;
		case RS_OPT_REAL:
			if (!isfinite(value))
				return rs_error_set(err, RS_ERR_PARAM, def->name,
									"must be a finite number");
			if (value < def->min || value > def->max)
				return rs_error_set(err, RS_ERR_PARAM, def->name,
									"must be between %g and %g",
									def->min, def->max);
			break;
	}
	p->value[idx] = value;
	return RS_OK;
}

/* set an enum option by the name of one of its choices */
rs_status
rs_params_set_choice(rs_params *p, const char *name, const char *choice,
					 rs_error *err)
{
	int			idx = rs_params_find(p, name);
	const rs_option_def *def;
	char		choices[200];
	int			i;

	if (idx < 0)
		return unknown_option(p, name, err);
	def = &p->kind->options[idx];
	if (def->type != RS_OPT_ENUM)
		return rs_error_set(err, RS_ERR_PARAM, def->name,
							def->type == RS_OPT_BOOL ? "must be a boolean" :
							"must be a number");
	for (i = 0; def->choices[i] != NULL; i++)
	{
		if (choice != NULL && strcmp(def->choices[i], choice) == 0)
		{
			p->value[idx] = (double) i;
			return RS_OK;
		}
	}
	format_choices(def, choices, sizeof(choices));
	return rs_error_set(err, RS_ERR_PARAM, def->name,
						"must be one of %s", choices);
}

/* value of an option that must exist */
double
rs_params_get(const rs_params *p, const char *name)
{
	int			idx = rs_params_find(p, name);

	assert(idx >= 0);
	if (idx < 0)
		return NAN;
	return p->value[idx];
}

/* cross-field checks of the kind */
rs_status
rs_params_check(const rs_params *p, rs_error *err)
{
	if (p->kind == NULL)
		return rs_error_set(err, RS_ERR_PARAM, "kind", "no model kind given");
	if (p->kind->check_params)
		return p->kind->check_params(p, err);
	return RS_OK;
}

/* ---------- data ---------- */

/* Fisher-Yates shuffle of every row array of d together */
void
rs_dataset_shuffle(rs_dataset *d, rs_rng *rng)
{
	size_t		i;

	if (d->n < 2)
		return;
	for (i = d->n - 1; i > 0; i--)
	{
		size_t		j = (size_t) rs_rng_below(rng, (uint64_t) i + 1);
		int32_t		ti;
		float		tf;

		ti = d->user[i];
		d->user[i] = d->user[j];
		d->user[j] = ti;
		ti = d->item[i];
		d->item[i] = d->item[j];
		d->item[j] = ti;
		tf = d->rating[i];
		d->rating[i] = d->rating[j];
		d->rating[j] = tf;
		if (d->time)
		{
			double		tt = d->time[i];

			d->time[i] = d->time[j];
			d->time[j] = tt;
		}
	}
}

/* a view of rows [begin, end) sharing the arrays of d */
rs_dataset
rs_dataset_slice(const rs_dataset *d, size_t begin, size_t end)
{
	rs_dataset	s = *d;

	if (end > d->n)
		end = d->n;
	if (begin > end)
		begin = end;
	s.n = end - begin;
	s.user = d->user + begin;
	s.item = d->item + begin;
	s.rating = d->rating + begin;
	s.time = d->time ? d->time + begin : NULL;
	return s;
}

/* ---------- tensors ---------- */

/* append a tensor entry to m's table */
static rs_status
add_tensor(rs_model *m, const char *name, rs_dtype dtype, void *data,
		   int ndim, int64_t rows, int64_t cols, bool owned, rs_error *err)
{
	rs_tensor  *t;

	if (m->n_tensors >= RS_MAX_TENSORS)
		return rs_error_set(err, RS_ERR_LIMIT, name,
							"a model has at most %d tensors", RS_MAX_TENSORS);
	if (strlen(name) >= RS_TENSOR_NAME_LEN)
		return rs_error_set(err, RS_ERR_LIMIT, name,
							"tensor name is longer than %d bytes",
							RS_TENSOR_NAME_LEN - 1);
	if (ndim < 1 || ndim > 2 || rows < 0 || cols < 0 || (ndim == 1 && cols != 1))
		return rs_error_set(err, RS_ERR_LIMIT, name, "invalid tensor shape");
	t = &m->tensors[m->n_tensors++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->shape[0] = rows;
	t->shape[1] = cols;
	t->data = data;
	t->owned = owned;
	return RS_OK;
}

/* register a float tensor that lives in params_buf */
rs_status
rs_model_add_param_tensor(rs_model *m, const char *name, float *data,
						  int ndim, int64_t rows, int64_t cols,
						  rs_error *err)
{
	return add_tensor(m, name, RS_F32, data, ndim, rows, ndim == 1 ? 1 : cols,
					  false, err);
}

/* allocate a zeroed tensor owned by m and register it */
rs_status
rs_model_add_owned_tensor(rs_model *m, const char *name, rs_dtype dtype,
						  int ndim, int64_t rows, int64_t cols, void **data,
						  rs_error *err)
{
	size_t		bytes = rs_mul_size(rs_mul_size((size_t) rows, (size_t) cols),
									rs_dtype_size(dtype));
	void	   *p;
	rs_status	rc;

	if (bytes == SIZE_MAX)
		return rs_error_set(err, RS_ERR_LIMIT, name, "tensor is too large");
	p = rs_alloc(&m->alloc, bytes);
	if (p == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, name,
							"out of memory allocating %zu bytes", bytes);
	rc = add_tensor(m, name, dtype, p, ndim, rows, cols, true, err);
	if (rc != RS_OK)
	{
		rs_free(&m->alloc, p);
		return rc;
	}
	*data = p;
	return RS_OK;
}

/* the tensor called name, or NULL */
rs_tensor *
rs_model_tensor(rs_model *m, const char *name)
{
	int			i;

	for (i = 0; i < m->n_tensors; i++)
	{
		if (strcmp(m->tensors[i].name, name) == 0)
			return &m->tensors[i];
	}
	return NULL;
}

/* ---------- memory ---------- */

/*
 * Bytes of a training in all.  The dataset itself belongs to the caller and
 * is not copied by the shared loop; the kind counts its weights, gradients,
 * optimizer state, any private copy of the rows, and the early-stopping
 * snapshot (a copy of its weights: only the kind knows their number).  Here
 * we add the id tables, the rated-items index with its temporary
 * item-major buffer, and the history.  Saturates at SIZE_MAX.
 */
size_t
rs_train_memory(const rs_params *p, int32_t n_users, int32_t n_items,
				size_t n_ratings)
{
	size_t		total = 0;
	size_t		epochs;
	size_t		nu = n_users > 0 ? (size_t) n_users : 0;
	size_t		ni = n_items > 0 ? (size_t) n_items : 0;

	if (p->kind == NULL)
		return SIZE_MAX;
	epochs = (size_t) rs_params_get(p, "epochs");

	/* the model struct and the id tables */
	total = rs_add_size(total, sizeof(rs_model));
	total = rs_add_size(total, rs_mul_size(nu, sizeof(int64_t)));
	total = rs_add_size(total, rs_mul_size(ni, sizeof(int64_t)));
	/* rated items: offsets and items, plus the item-major buffer built first */
	total = rs_add_size(total, rs_mul_size(rs_add_size(nu, 1), sizeof(int64_t)));
	total = rs_add_size(total, rs_mul_size(n_ratings, sizeof(int32_t)));
	total = rs_add_size(total, rs_mul_size(rs_add_size(ni, 1), sizeof(int64_t)));
	total = rs_add_size(total, rs_mul_size(n_ratings, sizeof(int32_t)));
	total = rs_add_size(total, rs_mul_size(nu, sizeof(int64_t)));
	/* history */
	total = rs_add_size(total, rs_mul_size(epochs, RS_HISTORY_COLS * sizeof(double)));
	/* weights, gradients, optimizer state, snapshot */
	total = rs_add_size(total, p->kind->train_memory(p, n_users, n_items, n_ratings));
	/* the ranking head */
	total = rs_add_size(total, rs_rank_train_memory(p, n_users, n_items, n_ratings));
	return total;
}

/* sum of the parts, SIZE_MAX on overflow */
size_t
rs_workspace_bytes(const size_t *sizes, int n_parts)
{
	size_t		total = 0;
	int			i;

	for (i = 0; i < n_parts; i++)
		total = rs_add_size(total, sizes[i]);
	return total;
}

/* one allocation for every part, each part at the end of the one before */
rs_status
rs_workspace_alloc(rs_model *m, const size_t *sizes, int n_parts,
				   const char *what, void **block, void **parts,
				   rs_error *err)
{
	size_t		bytes = rs_workspace_bytes(sizes, n_parts);
	char	   *next;
	int			i;

	if (bytes == SIZE_MAX)
		return rs_error_set(err, RS_ERR_LIMIT, "batch_size",
							"the %s would be too large", what);
	*block = rs_alloc(&m->alloc, bytes);
	if (*block == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory allocating %zu bytes of %s",
							bytes, what);
	memset(*block, 0, bytes);
	next = *block;
	for (i = 0; i < n_parts; i++)
	{
		parts[i] = sizes[i] > 0 ? next : NULL;
		next += sizes[i];
	}
	return RS_OK;
}

/* ---------- create and free ---------- */

/* create an empty model with every tensor allocated and zeroed */
rs_status
rs_model_create(const rs_params *p, int32_t n_users, int32_t n_items,
				int64_t n_ratings, int32_t n_epochs,
				const rs_allocator *alloc, rs_model **out, rs_error *err)
{
	rs_model   *m;
	rs_status	rc;
	void	   *data;

	*out = NULL;
	if (p->kind == NULL)
		return rs_error_set(err, RS_ERR_PARAM, "kind", "no model kind given");
	if (n_users < 1 || n_items < 1)
		return rs_error_set(err, RS_ERR_DATA, "",
							"a model needs at least one user and one item");
	if (n_ratings < 0 || n_epochs < 0)
		return rs_error_set(err, RS_ERR_CORRUPT, "",
							"negative number of ratings or epochs");

	m = rs_alloc(alloc, sizeof(rs_model));
	if (m == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	memset(m, 0, sizeof(*m));
	m->kind = p->kind;
	m->params = *p;
	m->alloc = *alloc;
	m->n_users = n_users;
	m->n_items = n_items;
	m->n_ratings = n_ratings;
	m->n_epochs = n_epochs;
	m->objective = (int) rs_rank_objective(p);
	m->rank_k = rs_rank_enabled(p) ? (int) rs_params_get(p, "rank_factors") : 0;

	rc = rs_model_add_owned_tensor(m, "user_ids", RS_I64, 1, n_users, 1, &data, err);
	if (rc != RS_OK)
		goto fail;
	m->user_ids = data;
	rc = rs_model_add_owned_tensor(m, "item_ids", RS_I64, 1, n_items, 1, &data, err);
	if (rc != RS_OK)
		goto fail;
	m->item_ids = data;
	rc = rs_model_add_owned_tensor(m, "rated_offsets", RS_I64, 1,
						  (int64_t) n_users + 1, 1, &data, err);
	if (rc != RS_OK)
		goto fail;
	m->rated_offsets = data;
	rc = rs_model_add_owned_tensor(m, "rated_items", RS_I32, 1, n_ratings, 1, &data, err);
	if (rc != RS_OK)
		goto fail;
	m->rated_items = data;
	rc = rs_model_add_owned_tensor(m, "history", RS_F64, 2, n_epochs, RS_HISTORY_COLS,
						  &data, err);
	if (rc != RS_OK)
		goto fail;
	m->history = data;

	rc = p->kind->init(m, err);
	if (rc != RS_OK)
		goto fail;
	if (rs_rank_enabled(p))
	{
		rc = rs_rank_init(m, err);
		if (rc != RS_OK)
			goto fail;
	}
	*out = m;
	return RS_OK;

fail:
	rs_model_free(m);
	return rc;
}

/* free a model and everything it owns (params_buf and impl included) */
void
rs_model_free(rs_model *m)
{
	rs_allocator alloc;
	int			i;

	if (m == NULL)
		return;
	alloc = m->alloc;
	for (i = 0; i < m->n_tensors; i++)
	{
		if (m->tensors[i].owned)
			rs_free(&alloc, m->tensors[i].data);
	}
	rs_free(&alloc, m->params_buf);
	rs_free(&alloc, m->rank_gram);
	rs_free(&alloc, m->impl);
	rs_free(&alloc, m);
}

/* ---------- progress ---------- */

/* the first throttled report is due after `every` rows */
void
rs_progress_begin(rs_progress *pr, const rs_train_hooks *hooks, int epoch,
				  size_t total, size_t every)
{
	pr->hooks = hooks;
	pr->epoch = epoch;
	pr->total = total;
	pr->every = every;
	pr->next = every;
}

/* report, and move the due mark past done (a batch may span several marks) */
void
rs_progress_rows(rs_progress *pr, size_t done)
{
	if (done < pr->next)
		return;
	while (pr->next <= done)
		pr->next += pr->every;
	rs_progress_report(pr, done);
}

/* the hook is optional: tests and tools train without one */
void
rs_progress_report(const rs_progress *pr, size_t done)
{
	if (pr->hooks && pr->hooks->progress)
		pr->hooks->progress(pr->hooks->arg, pr->epoch, done, pr->total);
}

/* ---------- training ---------- */

/* relative gain of validation RMSE that restarts the patience count */
#define RS_MIN_IMPROVEMENT 1e-4

/* seconds of CLOCK_MONOTONIC */
static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* clip x to the model's rating range; NaN becomes the global mean */
static double
clip_rating(const rs_model *m, double x)
{
	if (isnan(x))
		x = m->global_mean;
	if (x < m->rating_min)
		return m->rating_min;
	if (x > m->rating_max)
		return m->rating_max;
	return x;
}

/* check that every row of d has valid indexes and a finite rating */
static rs_status
check_dataset(const rs_dataset *d, rs_error *err)
{
	size_t		r;

	if (d->n == 0)
		return rs_error_set(err, RS_ERR_DATA, "", "no ratings to train on");
	if (d->n_users < 1 || d->n_items < 1)
		return rs_error_set(err, RS_ERR_DATA, "",
							"no users or no items to train on");
	if (d->n > (size_t) INT64_MAX)
		return rs_error_set(err, RS_ERR_LIMIT, "", "too many ratings");
	for (r = 0; r < d->n; r++)
	{
		if (d->user[r] < 0 || d->user[r] >= d->n_users ||
			d->item[r] < 0 || d->item[r] >= d->n_items)
			return rs_error_set(err, RS_ERR_DATA, "",
								"row %zu has a user or item index out of range", r);
		if (!isfinite(d->rating[r]))
			return rs_error_set(err, RS_ERR_DATA, "rating",
								"ratings must be finite numbers");
		if (d->time && !isfinite(d->time[r]))
			return rs_error_set(err, RS_ERR_DATA, "time_column",
								"times must be finite numbers");
	}
	return RS_OK;
}

/*
 * Build the rated-items index of every row of d: for each user the items it
 * rated, ascending.  A counting sort by item first, then a stable pass by
 * user, gives sorted lists in O(n) without comparing.
 */
static rs_status
build_rated(rs_model *m, const rs_dataset *d, rs_error *err)
{
	size_t		n = d->n;
	size_t		ni = (size_t) d->n_items;
	size_t		nu = (size_t) d->n_users;
	int64_t    *item_off;
	int32_t    *by_item;		/* (n) users of the rows, grouped by item */
	int64_t    *ufill;			/* (n_users) next free slot of each user */
	int64_t		start = 0;
	size_t		r;
	size_t		i;

	item_off = rs_alloc(&m->alloc, rs_mul_size(ni + 1, sizeof(int64_t)));
	by_item = rs_alloc(&m->alloc, rs_mul_size(n, sizeof(int32_t)));
	if (item_off == NULL || by_item == NULL)
	{
		rs_free(&m->alloc, item_off);
		rs_free(&m->alloc, by_item);
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory building the rated-items index");
	}
	memset(item_off, 0, (ni + 1) * sizeof(int64_t));
	memset(m->rated_offsets, 0, (nu + 1) * sizeof(int64_t));

	for (r = 0; r < n; r++)
	{
		item_off[d->item[r] + 1]++;
		m->rated_offsets[d->user[r] + 1]++;
	}
	for (i = 0; i < ni; i++)
		item_off[i + 1] += item_off[i];
	for (i = 0; i < nu; i++)
		m->rated_offsets[i + 1] += m->rated_offsets[i];

	/* users grouped by item; item_off[i] becomes the end of group i */
	for (r = 0; r < n; r++)
		by_item[item_off[d->item[r]]++] = d->user[r];

	/* walk items ascending, appending each to its users' lists */
	ufill = rs_alloc(&m->alloc, rs_mul_size(nu, sizeof(int64_t)));
	if (ufill == NULL)
	{
		rs_free(&m->alloc, item_off);
		rs_free(&m->alloc, by_item);
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory building the rated-items index");
	}
	memcpy(ufill, m->rated_offsets, nu * sizeof(int64_t));
	for (i = 0; i < ni; i++)
	{
		int64_t		end = item_off[i];
		int64_t		k;

		for (k = start; k < end; k++)
			m->rated_items[ufill[by_item[k]]++] = (int32_t) i;
		start = end;
	}
	rs_free(&m->alloc, ufill);
	rs_free(&m->alloc, item_off);
	rs_free(&m->alloc, by_item);
	return RS_OK;
}

/* RMSE of the clipped predictions of m on d, NAN when d is empty */
static double
validation_rmse(const rs_model *m, const rs_dataset *d)
{
	double		sum = 0.0;
	size_t		r;

	if (d->n == 0)
		return NAN;
	for (r = 0; r < d->n; r++)
	{
		double		e = clip_rating(m, m->kind->predict(m, d->user[r], d->item[r]))
			- (double) d->rating[r];

		sum += e * e;
	}
	return sqrt(sum / (double) d->n);
}

/*
 * Train a model of p->kind on data: shuffle with the seed, hold out
 * validation_fraction of the rows, run the epochs with early stopping, and
 * return the model with the best epoch's weights.  On error nothing is left
 * allocated.
 */
static rs_status
train_model(const rs_params *p, rs_dataset *data,
			const rs_allocator *alloc, const rs_train_hooks *hooks,
			rs_model **out, rs_error *err)
{
	const rs_kind *kind = p->kind;
	rs_model   *m = NULL;
	float	   *best = NULL;
	rs_rng		rng;
	rs_dataset	train;
	rs_dataset	val;
	size_t		n_val;
	size_t		r;
	int			max_epochs;
	int			patience;
	int			bad_epochs = 0;
	int			epoch;
	double		best_rmse = INFINITY;
	double		patience_ref = INFINITY;
	double		sum;
	bool		begun = false;
	rs_status	rc;

	*out = NULL;
	rc = rs_params_check(p, err);
	if (rc != RS_OK)
		return rc;
	rc = check_dataset(data, err);
	if (rc != RS_OK)
		return rc;
	if (kind->sequential && data->time == NULL)
		return rs_error_set(err, RS_ERR_DATA, "time_column",
							"models of kind \"%s\" need the time of each rating",
							kind->name);

	max_epochs = (int) rs_params_get(p, "epochs");
	patience = (int) rs_params_get(p, "patience");

	rc = rs_model_create(p, data->n_users, data->n_items, (int64_t) data->n,
						 max_epochs, alloc, &m, err);
	if (rc != RS_OK)
		return rc;

	/* shuffle, then hold out the last rows */
	rs_rng_seed(&rng, (uint64_t) rs_params_get(p, "seed"));
	rs_dataset_shuffle(data, &rng);
	n_val = (size_t) floor((double) data->n * rs_params_get(p, "validation_fraction"));
	if (n_val >= data->n)
		n_val = data->n - 1;
	train = rs_dataset_slice(data, 0, data->n - n_val);
	val = rs_dataset_slice(data, data->n - n_val, data->n);

	/* the shared tensors: id tables and what every user rated */
	memcpy(m->user_ids, data->user_ids, (size_t) data->n_users * sizeof(int64_t));
	memcpy(m->item_ids, data->item_ids, (size_t) data->n_items * sizeof(int64_t));
	rc = build_rated(m, data, err);
	if (rc != RS_OK)
		goto fail;

	/* statistics of the training rows */
	sum = 0.0;
	m->rating_min = INFINITY;
	m->rating_max = -INFINITY;
	for (r = 0; r < train.n; r++)
	{
		double		x = train.rating[r];

		sum += x;
		if (x < m->rating_min)
			m->rating_min = x;
		if (x > m->rating_max)
			m->rating_max = x;
	}
	m->global_mean = sum / (double) train.n;

	if (n_val > 0)
	{
		best = rs_alloc(alloc, rs_mul_size(m->n_params, sizeof(float)));
		if (best == NULL && m->n_params > 0)
		{
			rc = rs_error_set(err, RS_ERR_NOMEM, "",
							  "out of memory for the early-stopping snapshot");
			goto fail;
		}
	}

	m->n_epochs = 0;
	if (rs_rank_objective(p) == RS_OBJECTIVE_RANKING)
		max_epochs = 0;			/* the head alone; the kind's weights stay unused */
	else
	{
		kind->init_weights(m, &rng);
		rc = kind->train_begin(m, &train, err);
		if (rc != RS_OK)
			goto fail;
		begun = true;
	}

	for (epoch = 1; epoch <= max_epochs; epoch++)
	{
		double		t0 = now_seconds();
		rs_epoch_info info;
		double	   *row;

		info.train_loss = kind->train_epoch(m, &train, epoch, &rng, hooks);
		if (!isfinite(info.train_loss))
		{
			rc = rs_error_set(err, RS_ERR_PARAM, "learning_rate",
							  "training diverged at epoch %d (the loss is not finite)",
							  epoch);
			goto fail;
		}
		info.epoch = epoch;
		info.val_rmse = validation_rmse(m, &val);
		info.seconds = now_seconds() - t0;
		info.is_best = false;
		if (n_val > 0)
		{
			/*
			 * Any improvement is kept, but only one of more than
			 * RS_MIN_IMPROVEMENT (relative) since the last reset restarts
			 * the patience count: with a decaying learning rate the RMSE
			 * can creep down by tiny steps for hundreds of epochs.
			 */
			if (info.val_rmse < patience_ref * (1.0 - RS_MIN_IMPROVEMENT))
			{
				patience_ref = info.val_rmse;
				bad_epochs = 0;
			}
			else
				bad_epochs++;
			if (info.val_rmse < best_rmse)
			{
				best_rmse = info.val_rmse;
				info.is_best = true;
				m->best_epoch = epoch;
				if (m->n_params > 0)
					memcpy(best, m->params_buf, m->n_params * sizeof(float));
			}
		}
		else
		{
			info.is_best = true;
			m->best_epoch = epoch;
		}

		row = m->history + (size_t) (epoch - 1) * RS_HISTORY_COLS;
		row[0] = epoch;
		row[1] = info.train_loss;
		row[2] = info.val_rmse;
		row[3] = info.seconds;
		m->n_epochs = epoch;

		if (hooks && hooks->epoch_end)
			hooks->epoch_end(hooks->arg, &info);
		if (n_val > 0 && bad_epochs >= patience)
			break;
	}

	/* keep the best epoch's weights */
	if (n_val > 0 && m->best_epoch != m->n_epochs && m->n_params > 0)
		memcpy(m->params_buf, best, m->n_params * sizeof(float));
	if (begun)
		kind->train_end(m);
	begun = false;
	rs_free(alloc, best);
	best = NULL;

	/* the ranking head learns from every row, the held-out ones included */
	if (rs_rank_enabled(p))
	{
		double		t0 = now_seconds();

		rc = rs_rank_train(m, data, hooks, err);
		if (rc != RS_OK)
			goto fail;
		m->rank_seconds = now_seconds() - t0;
	}

	/* the history tensor has one row per epoch run */
	{
		rs_tensor  *h = rs_model_tensor(m, "history");

		if (h)
			h->shape[0] = m->n_epochs;
	}
	*out = m;
	return RS_OK;

fail:
	if (begun)
		kind->train_end(m);
	rs_free(alloc, best);
	rs_model_free(m);
	return rc;
}

/*
 * rs_model_train: train_model with subnormal floats flushed to zero.
 * Adam's second moments of rarely updated rows decay geometrically into
 * the subnormal range, where every operation on them takes a microcode
 * assist on many x86 processors (tens of times slower than a normal
 * float); at zero instead their steps are what they would be to float
 * precision.  The caller's floating-point mode is restored on return, and
 * the threads a kind starts inherit the mode (pthread_create copies it).
 */
rs_status
rs_model_train(const rs_params *p, rs_dataset *data,
			   const rs_allocator *alloc, const rs_train_hooks *hooks,
			   rs_model **out, rs_error *err)
{
	rs_fp_mode	saved = rs_fp_flush_subnormals();
	rs_status	rc = train_model(p, data, alloc, hooks, out, err);

	rs_fp_restore(saved);
	return rc;
}

/* ---------- serving ---------- */

/* index of v in the ascending array a of n, or -1 */
static int32_t
find_id(const int64_t *a, int32_t n, int64_t v)
{
	int32_t		lo = 0;
	int32_t		hi = n - 1;

	while (lo <= hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (a[mid] < v)
			lo = mid + 1;
		else if (a[mid] > v)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

/* dense index of an external user id, or -1 */
int32_t
rs_model_user_index(const rs_model *m, int64_t user_id)
{
	return find_id(m->user_ids, m->n_users, user_id);
}

/* dense index of an external item id, or -1 */
int32_t
rs_model_item_index(const rs_model *m, int64_t item_id)
{
	return find_id(m->item_ids, m->n_items, item_id);
}

/*
 * Clipped prediction; an index out of range counts as unknown (-1).  A
 * model trained for ranking alone has no rating: it returns the ranking
 * score of the pair (the item's count for an unknown user, 0 for an
 * unknown item).
 */
double
rs_model_predict(const rs_model *m, int32_t u, int32_t i)
{
	if (u < 0 || u >= m->n_users)
		u = -1;
	if (i < 0 || i >= m->n_items)
		i = -1;
	if (m->objective == RS_OBJECTIVE_RANKING)
		return rs_rank_score_pair(m, u, i);
	/* rows without ratings (all equal): the kind's score, nothing to clip to */
	if (m->rating_min == m->rating_max)
		return m->kind->predict(m, u, i);
	return clip_rating(m, m->kind->predict(m, u, i));
}

/*
 * Scores of every item for user u (-1 or out of range: unknown): the
 * ranking head's when the model has one, else the kind's raw ratings.
 */
void
rs_model_score_items(const rs_model *m, int32_t u, float *out)
{
	if (u < 0 || u >= m->n_users)
		u = -1;
	if (m->rank_user != NULL)
		rs_rank_score_items(m, u, out);
	else
		m->kind->score_items(m, u, out);
}

/*
 * The known steps of a query-time history: unknown items (-1 or out of
 * range) are dropped.  Returns the number kept; items_out and ratings_out
 * have room for n.
 */
static size_t
known_history(const rs_model *m, const int32_t *items, const float *ratings,
			  size_t n, int32_t *items_out, float *ratings_out)
{
	size_t		kept = 0;
	size_t		t;

	for (t = 0; t < n; t++)
	{
		if (items[t] < 0 || items[t] >= m->n_items)
			continue;
		items_out[kept] = items[t];
		ratings_out[kept] = ratings[t];
		kept++;
	}
	return kept;
}

/* score n_cands items (cands NULL: all) after a query-time history */
static rs_status
score_after_history(const rs_model *m, const int32_t *items,
					const float *ratings, size_t n, const int32_t *cands,
					size_t n_cands, float *out, rs_error *err)
{
	int32_t    *known_items;
	float	   *known_ratings;
	size_t		kept;
	rs_status	rc;

	if (!rs_model_takes_history(m, cands != NULL))
		return rs_error_set(err, RS_ERR_PARAM, "",
							"models of kind \"%s\" do not take a history",
							m->kind->name);
	known_items = rs_alloc(&m->alloc, rs_mul_size(n + 1, sizeof(int32_t)));
	known_ratings = rs_alloc(&m->alloc, rs_mul_size(n + 1, sizeof(float)));
	if (known_items == NULL || known_ratings == NULL)
	{
		rs_free(&m->alloc, known_items);
		rs_free(&m->alloc, known_ratings);
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory for a history of %zu steps", n);
	}
	kept = known_history(m, items, ratings, n, known_items, known_ratings);
	if (cands == NULL && m->rank_user != NULL)
		rc = rs_rank_score_history(m, known_items, kept, out, err);
	else
		rc = m->kind->score_history(m, known_items, known_ratings, kept,
									cands, n_cands, out, err);
	rs_free(&m->alloc, known_items);
	rs_free(&m->alloc, known_ratings);
	return rc;
}

void
rs_model_exclude_rated(const rs_model *m, int32_t u, float *scores)
{
	int64_t		r;

	if (u < 0 || u >= m->n_users || m->rated_offsets == NULL)
		return;
	for (r = m->rated_offsets[u]; r < m->rated_offsets[u + 1]; r++)
		scores[m->rated_items[r]] = -INFINITY;
}

bool
rs_model_takes_history(const rs_model *m, bool for_predict)
{
	if (m->kind->score_history != NULL)
		return true;
	if (m->rank_user == NULL)
		return false;
	return !for_predict ||
		m->objective == RS_OBJECTIVE_RANKING;
}

bool
rs_model_scores_are_ratings(const rs_model *m)
{
	return m->rank_user == NULL && !m->kind->scores_are_counts;
}

/* clipped prediction of item i after a history given at query time */
rs_status
rs_model_predict_history(const rs_model *m, const int32_t *items,
						 const float *ratings, size_t n, int32_t i,
						 double *out, rs_error *err)
{
	float		score;
	rs_status	rc;

	if (i < 0 || i >= m->n_items)
		i = -1;
	if (m->objective == RS_OBJECTIVE_RANKING)
	{
		/* no rating head: the ranking score of i after the history */
		float	   *all = rs_alloc(&m->alloc,
								   rs_mul_size((size_t) m->n_items, sizeof(float)));

		if (all == NULL)
			return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
		rc = rs_model_score_history(m, items, ratings, n, all, err);
		if (rc == RS_OK)
			*out = i < 0 ? 0 : all[i];
		rs_free(&m->alloc, all);
		return rc;
	}
	rc = score_after_history(m, items, ratings, n, &i, 1, &score, err);
	if (rc == RS_OK)
		*out = clip_rating(m, score);
	return rc;
}

/* raw scores of every item after a history given at query time */
rs_status
rs_model_score_history(const rs_model *m, const int32_t *items,
					   const float *ratings, size_t n, float *out,
					   rs_error *err)
{
	return score_after_history(m, items, ratings, n, NULL,
							   (size_t) m->n_items, out, err);
}

/* the threads a training uses (see model.h) */
int
rs_train_threads(const rs_model *m, const rs_train_hooks *hooks, int max)
{
	int			n = (int) rs_params_get(&m->params, "threads");

	if (n <= 0)
		n = hooks ? hooks->threads : 1;
	if (n < 1)
		n = 1;
	return n > max ? max : n;
}
