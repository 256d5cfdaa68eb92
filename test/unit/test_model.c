/*
 * test_model.c
 *		Tests of the shared model layer: the kind table, option checks, the
 *		dataset helpers, the memory estimate, the model layout, id lookup,
 *		clipping, cold start and early stopping.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "unit.h"

/* ratings 3 + p_u . q_i + noise for a seeded ~60% of (user, item) pairs */
static rs_dataset
make_planted(int32_t n_users, int32_t n_items, uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	double		pu[200][2];
	double		qi[200][2];
	size_t		cap = (size_t) n_users * n_items;
	int32_t		u,
				i;

	memset(&d, 0, sizeof(d));
	rs_rng_seed(&rng, seed);
	for (u = 0; u < n_users; u++)
	{
		pu[u][0] = rs_rng_normal(&rng);
		pu[u][1] = rs_rng_normal(&rng);
	}
	for (i = 0; i < n_items; i++)
	{
		qi[i][0] = rs_rng_normal(&rng);
		qi[i][1] = rs_rng_normal(&rng);
	}
	d.user = malloc(cap * sizeof(int32_t));
	d.item = malloc(cap * sizeof(int32_t));
	d.rating = malloc(cap * sizeof(float));
	d.user_ids = malloc(n_users * sizeof(int64_t));
	d.item_ids = malloc(n_items * sizeof(int64_t));
	d.n_users = n_users;
	d.n_items = n_items;
	for (u = 0; u < n_users; u++)
		d.user_ids[u] = 100 + 2 * u;	/* even ids: odd ones are missing */
	for (i = 0; i < n_items; i++)
		d.item_ids[i] = 1000 + 3 * i;
	for (u = 0; u < n_users; u++)
		for (i = 0; i < n_items; i++)
		{
			if (rs_rng_uniform(&rng) < 0.6 || i == u % n_items)
			{
				d.user[d.n] = u;
				d.item[d.n] = i;
				d.rating[d.n] = (float) (3.0 + pu[u][0] * qi[i][0] + pu[u][1] * qi[i][1]
										 + 0.1 * rs_rng_normal(&rng));
				d.n++;
			}
		}
	return d;
}

/* the kind table finds mf and nothing else */
static void
test_kind_find(void)
{
	CHECK(rs_kind_find("mf") == &rs_kind_mf);
	CHECK(rs_kind_find("nope") == NULL);
	CHECK(rs_kind_find(NULL) == NULL);
	CHECK(rs_kinds[0] != NULL);
}

/* range, type, boolean, enum and unknown-option errors name the field */
static void
test_params_errors(void)
{
	rs_params	p;
	rs_error	err;
	int			idx;

	rs_params_default(&p, &rs_kind_mf);
	idx = rs_params_find(&p, "factors");
	CHECK(idx >= 0);
	CHECK(rs_params_find(&p, "no_such") == -1);
	CHECK(p.value[idx] == rs_kind_mf.options[idx].def);

	memset(&err, 0, sizeof(err));
	CHECK(rs_params_set(&p, "factors", 0, &err) == RS_ERR_PARAM);
	CHECK(strcmp(err.field, "factors") == 0);
	CHECK_MSG(strcmp(err.message, "must be between 1 and 4096") == 0, "%s", err.message);
	CHECK(rs_params_set(&p, "factors", 2.5, &err) == RS_ERR_PARAM);
	CHECK_MSG(strcmp(err.message, "must be an integer") == 0, "%s", err.message);
	CHECK(rs_params_set(&p, "factors", NAN, &err) == RS_ERR_PARAM);
	CHECK(rs_params_set(&p, "learning_rate", INFINITY, &err) == RS_ERR_PARAM);
	CHECK(strcmp(err.field, "learning_rate") == 0);
	CHECK(rs_params_set(&p, "learning_rate", -1, &err) == RS_ERR_PARAM);
	CHECK(strncmp(err.message, "must be between", 15) == 0);
	CHECK(rs_params_set(&p, "biases", 2, &err) == RS_ERR_PARAM);
	CHECK_MSG(strcmp(err.message, "must be a boolean") == 0, "%s", err.message);
	CHECK(rs_params_set(&p, "bogus", 1, &err) == RS_ERR_PARAM);
	CHECK(strcmp(err.field, "bogus") == 0);
	CHECK(rs_params_set(&p, "optimizer", 1, &err) == RS_ERR_PARAM);

	/* a failed set leaves the value alone; a good one stores it */
	CHECK(rs_params_get(&p, "factors") == rs_kind_mf.options[idx].def);
	CHECK(rs_params_set(&p, "factors", 7, &err) == RS_OK);
	CHECK(rs_params_get(&p, "factors") == 7);

	CHECK(rs_params_set_choice(&p, "optimizer", "adam", &err) == RS_OK);
	CHECK(rs_params_get(&p, "optimizer") == 1);
	CHECK(rs_params_set_choice(&p, "optimizer", "rmsprop", &err) == RS_ERR_PARAM);
	CHECK(strcmp(err.field, "optimizer") == 0);
	CHECK_MSG(strstr(err.message, "\"sgd\"") && strstr(err.message, "\"adam\""),
			  "%s", err.message);
	CHECK(rs_params_get(&p, "optimizer") == 1);
	CHECK(rs_params_set_choice(&p, "factors", "ten", &err) == RS_ERR_PARAM);
	CHECK(rs_params_set_choice(&p, "bogus", "x", &err) == RS_ERR_PARAM);
	CHECK(rs_params_check(&p, &err) == RS_OK);
}

/* shuffle permutes rows together; slice is a view */
static void
test_dataset_shuffle_slice(void)
{
	rs_dataset	d = make_planted(20, 10, 5);
	rs_dataset	s;
	rs_rng		rng;
	double	   *key;
	size_t		r;
	int			aligned = 1;
	int			moved = 0;
	double		sum_before = 0,
				sum_after = 0;

	d.time = malloc(d.n * sizeof(double));
	key = malloc(d.n * sizeof(double));
	for (r = 0; r < d.n; r++)
	{
		d.time[r] = (double) d.user[r] * 1000 + d.item[r];
		key[r] = d.rating[r];
		sum_before += d.rating[r];
	}
	rs_rng_seed(&rng, 1);
	rs_dataset_shuffle(&d, &rng);
	for (r = 0; r < d.n; r++)
	{
		if (d.time[r] != (double) d.user[r] * 1000 + d.item[r])
			aligned = 0;
		if (d.rating[r] != key[r])
			moved++;
		sum_after += d.rating[r];
	}
	CHECK(aligned);
	CHECK(moved > (int) d.n / 2);
	CHECK_NEAR(sum_before, sum_after, 1e-6 * fabs(sum_before));

	s = rs_dataset_slice(&d, 3, 8);
	CHECK(s.n == 5);
	CHECK(s.user == d.user + 3 && s.rating == d.rating + 3 && s.time == d.time + 3);
	s = rs_dataset_slice(&d, 5, d.n + 10);
	CHECK(s.n == d.n - 5);
	free(key);
	unit_free_dataset(&d);
}

/* the memory estimate grows with the data and saturates instead of wrapping */
static void
test_train_memory(void)
{
	rs_params	p;
	size_t		small,
				big;

	rs_params_default(&p, &rs_kind_mf);
	small = rs_train_memory(&p, 100, 100, 1000);
	big = rs_train_memory(&p, 100, 100, 100000);
	CHECK(small > 0 && small < big);
	/* weights alone are at least (users + items) * factors floats */
	CHECK(small >= 200 * (size_t) rs_params_get(&p, "factors") * sizeof(float));
	CHECK(rs_train_memory(&p, 100, 100, SIZE_MAX / 2) == SIZE_MAX);
	CHECK(rs_train_memory(&p, INT32_MAX, INT32_MAX, SIZE_MAX / 3) == SIZE_MAX);
	rs_params_set(&p, "factors", 4096, NULL);
	CHECK(rs_train_memory(&p, INT32_MAX, INT32_MAX, 10) > (size_t) INT32_MAX * 4096);
}

/* create lays out the shared tensors with their names and shapes */
static void
test_model_create(void)
{
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_tensor  *t;

	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "factors", 4, NULL);
	CHECK(rs_model_create(&p, 5, 7, 20, 3, &rs_malloc_allocator, &m, &err) == RS_OK);
	if (m == NULL)
		return;
	t = rs_model_tensor(m, "user_ids");
	CHECK(t && t->dtype == RS_I64 && t->shape[0] == 5 && t->owned);
	t = rs_model_tensor(m, "item_ids");
	CHECK(t && t->dtype == RS_I64 && t->shape[0] == 7);
	t = rs_model_tensor(m, "rated_offsets");
	CHECK(t && t->dtype == RS_I64 && t->shape[0] == 6);
	t = rs_model_tensor(m, "rated_items");
	CHECK(t && t->dtype == RS_I32 && t->shape[0] == 20);
	t = rs_model_tensor(m, "history");
	CHECK(t && t->dtype == RS_F64 && t->ndim == 2 && t->shape[0] == 3 &&
		  t->shape[1] == RS_HISTORY_COLS);
	t = rs_model_tensor(m, "user_factors");
	CHECK(t && t->dtype == RS_F32 && t->shape[0] == 5 && t->shape[1] == 4 && !t->owned);
	CHECK(t && (float *) t->data == m->params_buf);
	t = rs_model_tensor(m, "item_bias");
	CHECK(t && t->ndim == 1 && t->shape[0] == 7);
	CHECK(m->n_params == (5 + 7) * 4 + 5 + 7);
	CHECK(rs_model_tensor(m, "nope") == NULL);
	rs_model_free(m);

	CHECK(rs_model_create(&p, 0, 7, 20, 3, &rs_malloc_allocator, &m, &err) != RS_OK);
	CHECK(m == NULL);
}

/* train a small model for the tests below */
static rs_model *
train_small(rs_dataset *d, double val_fraction, int epochs)
{
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;

	rs_params_default(&p, &rs_kind_mf);
	/* the kind's own rating head; test_rank.c tests the ranking head */
	rs_params_set_choice(&p, "objective", "rating", NULL);
	rs_params_set(&p, "factors", 4, NULL);
	rs_params_set(&p, "epochs", epochs, NULL);
	rs_params_set(&p, "validation_fraction", val_fraction, NULL);
	rs_params_set(&p, "seed", 3, NULL);
	if (rs_model_train(&p, d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  train: %s: %s\n", err.field, err.message);
	return m;
}

/* ids map to dense indexes; missing ids give -1 */
static void
test_id_lookup(void)
{
	rs_dataset	d = make_planted(30, 20, 9);
	rs_model   *m = train_small(&d, 0.0, 2);
	int32_t		u;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	for (u = 0; u < 30; u++)
		CHECK(rs_model_user_index(m, 100 + 2 * u) == u);
	CHECK(rs_model_user_index(m, 101) == -1);
	CHECK(rs_model_user_index(m, 99) == -1);
	CHECK(rs_model_user_index(m, 100 + 2 * 30) == -1);
	CHECK(rs_model_user_index(m, INT64_MIN) == -1);
	CHECK(rs_model_item_index(m, 1000) == 0);
	CHECK(rs_model_item_index(m, 1000 + 3 * 19) == 19);
	CHECK(rs_model_item_index(m, 1001) == -1);
	CHECK(rs_model_item_index(m, INT64_MAX) == -1);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* rated items: every row appears, ascending per user */
static void
test_rated_index(void)
{
	rs_dataset	d = make_planted(30, 20, 9);
	rs_model   *m = train_small(&d, 0.2, 2);
	int			sorted = 1;
	int			found = 1;
	int32_t		u;
	size_t		r;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(m->rated_offsets[0] == 0);
	CHECK(m->rated_offsets[30] == (int64_t) d.n);
	CHECK(m->n_ratings == (int64_t) d.n);
	for (u = 0; u < 30; u++)
	{
		int64_t		k;

		for (k = m->rated_offsets[u] + 1; k < m->rated_offsets[u + 1]; k++)
			if (m->rated_items[k - 1] >= m->rated_items[k])
				sorted = 0;
	}
	for (r = 0; r < d.n; r++)
	{
		int64_t		k;
		int			hit = 0;

		for (k = m->rated_offsets[d.user[r]]; k < m->rated_offsets[d.user[r] + 1]; k++)
			if (m->rated_items[k] == d.item[r])
				hit = 1;
		if (!hit)
			found = 0;
	}
	CHECK(sorted);
	CHECK(found);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* predictions are clipped to the training range; NaN is safe */
static void
test_predict_clip_cold(void)
{
	rs_dataset	d = make_planted(30, 20, 4);
	rs_model   *m = train_small(&d, 0.0, 3);
	rs_tensor  *bu,
			   *bi,
			   *pf;
	float	   *scores;
	int32_t		u,
				i;
	int			in_range = 1;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	for (u = 0; u < 30; u++)
		for (i = 0; i < 20; i++)
		{
			double		x = rs_model_predict(m, u, i);

			if (!(x >= m->rating_min && x <= m->rating_max))
				in_range = 0;
		}
	CHECK(in_range);

	bu = rs_model_tensor(m, "user_bias");
	bi = rs_model_tensor(m, "item_bias");
	pf = rs_model_tensor(m, "user_factors");
	CHECK(bu && bi && pf);
	if (!bu || !bi || !pf)
		return;
	/* force a value far above the range: clipped to rating_max */
	((float *) bu->data)[0] = 1e6f;
	CHECK(rs_model_predict(m, 0, 0) == m->rating_max);
	((float *) bu->data)[0] = -1e6f;
	CHECK(rs_model_predict(m, 0, 0) == m->rating_min);
	((float *) bu->data)[0] = NAN;
	CHECK(!isnan(rs_model_predict(m, 0, 0)));
	((float *) bu->data)[0] = 0.1f;

	/* cold start: unknown user -> mean + item bias, unknown item -> mean + user bias */
	((float *) bi->data)[2] = 0.25f;
	CHECK_NEAR(rs_model_predict(m, -1, 2), m->global_mean + 0.25, 1e-6);
	CHECK_NEAR(rs_model_predict(m, 0, -1), m->global_mean + 0.1, 1e-6);
	CHECK_NEAR(rs_model_predict(m, -1, -1), m->global_mean, 1e-9);
	CHECK_NEAR(rs_model_predict(m, 1000, -5), m->global_mean, 1e-9);

	/* scores of an unknown user are mean + item bias, of a known user raw */
	scores = malloc(20 * sizeof(float));
	rs_model_score_items(m, -1, scores);
	CHECK_NEAR(scores[2], m->global_mean + 0.25, 1e-5);
	rs_model_score_items(m, 0, scores);
	for (i = 0; i < 20; i++)
		CHECK_NEAR(scores[i], m->kind->predict(m, 0, i), 1e-4);
	free(scores);
	rs_model_free(m);
	unit_free_dataset(&d);
}

static int	hook_epochs = 0;

static void
count_epoch(void *arg, const rs_epoch_info *info)
{
	hook_epochs++;
	CHECK(info->epoch == hook_epochs);
}

/* early stopping keeps the weights of the best epoch of the history */
static void
test_early_stopping(void)
{
	rs_dataset	d = make_planted(60, 50, 12);
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_train_hooks hooks = {NULL, NULL, count_epoch, 0};
	double		best = INFINITY;
	int			best_e = 0;
	int			e;
	size_t		n_val;
	rs_dataset	val;
	double		sum = 0;
	size_t		r;
	rs_tensor  *h;

	rs_params_default(&p, &rs_kind_mf);
	/* many factors and no regularisation: it overfits and stops early */
	rs_params_set(&p, "factors", 32, NULL);
	rs_params_set(&p, "l2", 0, NULL);
	rs_params_set(&p, "bias_l2", 0, NULL);
	rs_params_set(&p, "learning_rate", 0.05, NULL);
	rs_params_set(&p, "lr_decay", 1, NULL);
	rs_params_set(&p, "epochs", 200, NULL);
	rs_params_set(&p, "patience", 3, NULL);
	rs_params_set(&p, "init_std", 0.3, NULL);
	rs_params_set(&p, "validation_fraction", 0.3, NULL);
	hook_epochs = 0;
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, &hooks, &m, &err) == RS_OK);
	if (m == NULL)
		return;
	CHECK(hook_epochs == m->n_epochs);
	CHECK(m->n_epochs < 200);
	h = rs_model_tensor(m, "history");
	CHECK(h && h->shape[0] == m->n_epochs);
	for (e = 0; e < m->n_epochs; e++)
	{
		double		v = m->history[e * RS_HISTORY_COLS + 2];

		CHECK(m->history[e * RS_HISTORY_COLS] == e + 1);
		CHECK(m->history[e * RS_HISTORY_COLS + 3] >= 0);
		if (v < best)
		{
			best = v;
			best_e = e + 1;
		}
	}
	CHECK(m->best_epoch == best_e);
	CHECK(m->best_epoch < m->n_epochs);
	/* stopped within patience epochs after the best one */
	CHECK(m->n_epochs - m->best_epoch >= 1 && m->n_epochs - m->best_epoch <= 3);

	/* the kept weights give the best epoch's validation RMSE (last rows) */
	n_val = (size_t) floor(d.n * 0.3);
	val = rs_dataset_slice(&d, d.n - n_val, d.n);
	for (r = 0; r < val.n; r++)
	{
		double		x = rs_model_predict(m, val.user[r], val.item[r]) - val.rating[r];

		sum += x * x;
	}
	CHECK_NEAR(sqrt(sum / val.n), best, 1e-9);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* bad data is refused with a data error and nothing allocated */
static void
test_train_bad_data(void)
{
	rs_dataset	d = make_planted(10, 10, 2);
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	size_t		n = d.n;

	rs_params_default(&p, &rs_kind_mf);
	d.n = 0;
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) == RS_ERR_DATA);
	CHECK(m == NULL);
	d.n = n;
	d.rating[3] = NAN;
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) == RS_ERR_DATA);
	d.rating[3] = 3;
	d.item[4] = 10;
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) == RS_ERR_DATA);
	CHECK(m == NULL);
	unit_free_dataset(&d);
}

/* parts back to back, zeroed, NULL when empty; an overflow is refused */
static void
test_workspace(void)
{
	size_t		sizes[4] = {8, 0, 12, 4};
	size_t		huge[2] = {SIZE_MAX - 4, 8};
	void	   *parts[4];
	void	   *block = NULL;
	rs_model	m;
	rs_error	err;
	size_t		j;

	memset(&m, 0, sizeof(m));
	m.alloc = rs_malloc_allocator;
	CHECK(rs_workspace_bytes(sizes, 4) == 24);
	CHECK(rs_workspace_alloc(&m, sizes, 4, "test state", &block, parts,
							 &err) == RS_OK);
	CHECK(parts[0] == block && parts[1] == NULL);
	CHECK((char *) parts[2] == (char *) block + 8);
	CHECK((char *) parts[3] == (char *) block + 20);
	for (j = 0; j < 24; j++)
		CHECK(((char *) block)[j] == 0);
	rs_free(&m.alloc, block);

	CHECK(rs_workspace_bytes(huge, 2) == SIZE_MAX);
	CHECK(rs_workspace_alloc(&m, huge, 2, "test state", &block, parts,
							 &err) == RS_ERR_LIMIT);
	CHECK(strcmp(err.message, "the test state would be too large") == 0);
}

static size_t progress_calls;
static size_t progress_last;

static void
count_progress(void *arg, int epoch, size_t done, size_t total)
{
	CHECK(epoch == 3 && total == 35);
	progress_calls++;
	progress_last = done;
}

/*
 * A throttled report is due every 10 rows: a batch that passes several
 * marks reports once, and the next is due at the mark after it.
 */
static void
test_progress_throttle(void)
{
	rs_train_hooks hooks;
	rs_progress pr;

	memset(&hooks, 0, sizeof(hooks));
	hooks.progress = count_progress;
	progress_calls = 0;
	rs_progress_begin(&pr, &hooks, 3, 35, 10);
	rs_progress_rows(&pr, 5);
	CHECK(progress_calls == 0);
	rs_progress_rows(&pr, 10);
	CHECK(progress_calls == 1 && progress_last == 10);
	rs_progress_rows(&pr, 12);
	rs_progress_rows(&pr, 31);
	CHECK(progress_calls == 2 && progress_last == 31);
	rs_progress_rows(&pr, 35);
	CHECK(progress_calls == 2);
	rs_progress_report(&pr, 35);
	CHECK(progress_calls == 3 && progress_last == 35);

	rs_progress_begin(&pr, NULL, 3, 35, 10);	/* no hooks: no call */
	rs_progress_rows(&pr, 20);
	rs_progress_report(&pr, 35);
	CHECK(progress_calls == 3);
}

/*
 * The options the trained kinds declare with the RS_OPTION macros agree in
 * type and bounds (batch_size's upper bound is the kind's own).
 */
static void
test_shared_options(void)
{
	static const char *const shared[] = {"epochs", "learning_rate",
		"optimizer", "batch_size", "validation_fraction", "patience", "seed",
		"biases", "init_std", "threads", NULL};
	const rs_kind *const kinds[] = {&rs_kind_mf, &rs_kind_dense, &rs_kind_lstm};
	int			n;
	int			k;

	for (n = 0; shared[n] != NULL; n++)
	{
		const rs_option_def *first = NULL;

		for (k = 0; k < 3; k++)
		{
			rs_params	p;
			const rs_option_def *def;
			int			idx;

			rs_params_default(&p, kinds[k]);
			idx = rs_params_find(&p, shared[n]);
			CHECK_MSG(idx >= 0, "%s has no %s", kinds[k]->name, shared[n]);
			if (idx < 0)
				continue;
			def = &kinds[k]->options[idx];
			if (first == NULL)
				first = def;
			CHECK_MSG(def->type == first->type && def->min == first->min &&
					  (def->max == first->max ||
					   strcmp(shared[n], "batch_size") == 0) &&
					  def->choices == first->choices,
					  "%s's %s differs", kinds[k]->name, shared[n]);
		}
	}
	CHECK(strcmp(rs_optimizer_names[RS_OPTIMIZER_SGD], "sgd") == 0);
	CHECK(strcmp(rs_optimizer_names[RS_OPTIMIZER_ADAM], "adam") == 0);
}

void
suite_model(void)
{
	unit_run("model_kind_find", test_kind_find);
	unit_run("model_params_errors", test_params_errors);
	unit_run("model_dataset_shuffle_slice", test_dataset_shuffle_slice);
	unit_run("model_train_memory", test_train_memory);
	unit_run("model_workspace", test_workspace);
	unit_run("model_progress_throttle", test_progress_throttle);
	unit_run("model_shared_options", test_shared_options);
	unit_run("model_create", test_model_create);
	unit_run("model_id_lookup", test_id_lookup);
	unit_run("model_rated_index", test_rated_index);
	unit_run("model_predict_clip_cold", test_predict_clip_cold);
	unit_run("model_early_stopping", test_early_stopping);
	unit_run("model_train_bad_data", test_train_bad_data);
}
