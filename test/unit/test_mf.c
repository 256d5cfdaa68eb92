/*
 * test_mf.c
 *		Tests of the mf kind: finite-difference gradient check of the
 *		minibatch loss, seeded reproducibility, learning a planted low-rank
 *		model with each optimizer, score_items against predict, and the
 *		article's plain dot-product set-up.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mf.h"
#include "model.h"
#include "unit.h"

/* ratings mu + p_u . q_i (rank 3) + noise on a seeded ~half of the pairs */
static rs_dataset
make_lowrank(int32_t n_users, int32_t n_items, double noise, uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	double	   *pu = malloc(sizeof(double) * 3 * n_users);
	double	   *qi = malloc(sizeof(double) * 3 * n_items);
	size_t		cap = (size_t) n_users * n_items;
	int32_t		u,
				i;
	int			f;

	memset(&d, 0, sizeof(d));
	rs_rng_seed(&rng, seed);
	for (u = 0; u < 3 * n_users; u++)
		pu[u] = 0.8 * rs_rng_normal(&rng);
	for (i = 0; i < 3 * n_items; i++)
		qi[i] = 0.8 * rs_rng_normal(&rng);
	d.user = malloc(cap * sizeof(int32_t));
	d.item = malloc(cap * sizeof(int32_t));
	d.rating = malloc(cap * sizeof(float));
	d.user_ids = malloc(n_users * sizeof(int64_t));
	d.item_ids = malloc(n_items * sizeof(int64_t));
	d.n_users = n_users;
	d.n_items = n_items;
	for (u = 0; u < n_users; u++)
		d.user_ids[u] = u + 1;
	for (i = 0; i < n_items; i++)
		d.item_ids[i] = i + 1;
	for (u = 0; u < n_users; u++)
		for (i = 0; i < n_items; i++)
		{
			double		x = 3.0;

			if (rs_rng_uniform(&rng) >= 0.5 && i != u % n_items)
				continue;
			for (f = 0; f < 3; f++)
				x += pu[3 * u + f] * qi[3 * i + f];
			d.user[d.n] = u;
			d.item[d.n] = i;
			d.rating[d.n] = (float) (x + noise * rs_rng_normal(&rng));
			d.n++;
		}
	free(pu);
	free(qi);
	return d;
}

/*
 * Compare the analytic gradient of mf_batch_loss_grad with central
 * differences of its loss, for every weight.  The loss is accumulated in
 * double but the weights are float32, so the step is 1e-3 and the check is
 * relative: |g - fd| <= 1e-3 + 2e-2 |fd|.
 */
static void
gradient_check(bool biases)
{
	rs_dataset	d = make_lowrank(6, 5, 0.3, 21);
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_rng		rng;
	float	   *grad;
	float	   *fd;
	size_t		j;
	size_t		begin = 2,
				end = 14;
	int			nonzero = 0;

	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "factors", 3, NULL);
	rs_params_set(&p, "biases", biases ? 1 : 0, NULL);
	rs_params_set(&p, "l2", 0.3, NULL);
	rs_params_set(&p, "bias_l2", 0.2, NULL);
	CHECK(rs_model_create(&p, d.n_users, d.n_items, (int64_t) d.n, 0,
						  &rs_malloc_allocator, &m, &err) == RS_OK);
	if (m == NULL)
		return;
	CHECK(m->n_params == (size_t) (6 + 5) * 3 + (biases ? 11 : 0));
	m->global_mean = 3.1;
	rs_rng_seed(&rng, 5);
	for (j = 0; j < m->n_params; j++)
		m->params_buf[j] = (float) (0.5 * rs_rng_normal(&rng));

	grad = calloc(m->n_params, sizeof(float));
	fd = calloc(m->n_params, sizeof(float));
	mf_batch_loss_grad(m, &d, begin, end, grad);
	for (j = 0; j < m->n_params; j++)
	{
		float		w = m->params_buf[j];
		const float h = 1e-3f;
		double		lp,
					lm;
		float	   *scratch = calloc(m->n_params, sizeof(float));

		m->params_buf[j] = w + h;
		lp = mf_batch_loss_grad(m, &d, begin, end, scratch);
		m->params_buf[j] = w - h;
		lm = mf_batch_loss_grad(m, &d, begin, end, scratch);
		m->params_buf[j] = w;
		/* divide by the step actually taken in float */
		fd[j] = (float) ((lp - lm) / ((double) (w + h) - (double) (w - h)));
		free(scratch);
		if (grad[j] != 0.0f)
			nonzero++;
	}
	for (j = 0; j < m->n_params; j++)
		CHECK_MSG(fabs(grad[j] - fd[j]) <= 1e-3 + 2e-2 * fabs(fd[j]),
				  "weight %zu: analytic %.6g, numeric %.6g", j, grad[j], fd[j]);
	/* the batch touches most weights, so the check is not vacuous */
	CHECK(nonzero > (int) m->n_params / 2);
	/* and the gradient accumulates: a second call doubles it */
	{
		float	   *g2 = calloc(m->n_params, sizeof(float));

		mf_batch_loss_grad(m, &d, begin, end, g2);
		mf_batch_loss_grad(m, &d, begin, end, g2);
		for (j = 0; j < m->n_params; j++)
			CHECK_NEAR(g2[j], 2 * grad[j], 1e-5 + 1e-5 * fabs(grad[j]));
		free(g2);
	}
	free(grad);
	free(fd);
	rs_model_free(m);
	unit_free_dataset(&d);
}

static void
test_mf_gradient_biases(void)
{
	gradient_check(true);
}

static void
test_mf_gradient_plain(void)
{
	gradient_check(false);
}

/* train with options name=value pairs (NULL-terminated) on a copy of d */
static rs_model *
train_with(const rs_dataset *src, const char *const *opts)
{
	rs_dataset	d = *src;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	int			o;

	/* rs_model_train shuffles in place: train on a private copy */
	d.user = malloc(d.n * sizeof(int32_t));
	d.item = malloc(d.n * sizeof(int32_t));
	d.rating = malloc(d.n * sizeof(float));
	memcpy(d.user, src->user, d.n * sizeof(int32_t));
	memcpy(d.item, src->item, d.n * sizeof(int32_t));
	memcpy(d.rating, src->rating, d.n * sizeof(float));

	rs_params_default(&p, &rs_kind_mf);
	/* the kind's own rating head; test_rank.c tests the ranking head */
	rs_params_set_choice(&p, "objective", "rating", NULL);
	for (o = 0; opts && opts[o]; o += 2)
	{
		rs_status	rc;
		char	   *end;
		double		x = strtod(opts[o + 1], &end);

		if (*end == '\0')
			rc = rs_params_set(&p, opts[o], x, &err);
		else
			rc = rs_params_set_choice(&p, opts[o], opts[o + 1], &err);
		CHECK_MSG(rc == RS_OK, "%s: %s", err.field, err.message);
	}
	if (rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  train: %s: %s\n", err.field, err.message);
	free(d.user);
	free(d.item);
	free(d.rating);
	return m;
}

/* RMSE of m on rows of d; and of the training mean as a baseline */
static double
rmse(const rs_model *m, const rs_dataset *d)
{
	double		s = 0;
	size_t		r;

	for (r = 0; r < d->n; r++)
	{
		double		e = rs_model_predict(m, d->user[r], d->item[r]) - d->rating[r];

		s += e * e;
	}
	return sqrt(s / d->n);
}

static double
rmse_mean(const rs_dataset *train, const rs_dataset *test)
{
	double		mu = 0,
				s = 0;
	size_t		r;

	for (r = 0; r < train->n; r++)
		mu += train->rating[r];
	mu /= train->n;
	for (r = 0; r < test->n; r++)
		s += (test->rating[r] - mu) * (test->rating[r] - mu);
	return sqrt(s / test->n);
}

/* same seed, same weights; another seed, other weights */
static void
test_mf_reproducible(void)
{
	rs_dataset	d = make_lowrank(40, 30, 0.2, 8);
	const char *const o1[] = {"factors", "8", "epochs", "5", "seed", "7", NULL};
	const char *const o2[] = {"factors", "8", "epochs", "5", "seed", "8", NULL};
	const char *const a1[] = {"factors", "8", "epochs", "5", "seed", "7",
	"optimizer", "adam", "batch_size", "16", NULL};
	rs_model   *a = train_with(&d, o1);
	rs_model   *b = train_with(&d, o1);
	rs_model   *c = train_with(&d, o2);
	rs_model   *x = train_with(&d, a1);
	rs_model   *y = train_with(&d, a1);
	int			e;

	CHECK(a && b && c && x && y);
	if (a && b && c && x && y)
	{
		CHECK(a->n_params == b->n_params);
		CHECK(memcmp(a->params_buf, b->params_buf, a->n_params * sizeof(float)) == 0);
		CHECK(a->n_epochs == b->n_epochs && a->best_epoch == b->best_epoch);
		for (e = 0; e < a->n_epochs && e < b->n_epochs; e++)
		{
			/* every column but the wall time */
			CHECK(a->history[e * RS_HISTORY_COLS + 1] == b->history[e * RS_HISTORY_COLS + 1]);
			CHECK(memcmp(&a->history[e * RS_HISTORY_COLS + 2],
						 &b->history[e * RS_HISTORY_COLS + 2], sizeof(double)) == 0);
		}
		CHECK(memcmp(a->params_buf, c->params_buf, a->n_params * sizeof(float)) != 0);
		CHECK(memcmp(x->params_buf, y->params_buf, x->n_params * sizeof(float)) == 0);
		CHECK(memcmp(x->params_buf, a->params_buf, x->n_params * sizeof(float)) != 0);
	}
	rs_model_free(a);
	rs_model_free(b);
	rs_model_free(c);
	rs_model_free(x);
	rs_model_free(y);
	unit_free_dataset(&d);
}

/* split rows of d: every 5th row to test */
static void
split(const rs_dataset *d, rs_dataset *train, rs_dataset *test)
{
	size_t		r;

	*train = *d;
	*test = *d;
	train->user = malloc(d->n * sizeof(int32_t));
	train->item = malloc(d->n * sizeof(int32_t));
	train->rating = malloc(d->n * sizeof(float));
	test->user = malloc(d->n * sizeof(int32_t));
	test->item = malloc(d->n * sizeof(int32_t));
	test->rating = malloc(d->n * sizeof(float));
	train->n = test->n = 0;
	for (r = 0; r < d->n; r++)
	{
		rs_dataset *t = (r % 5 == 0) ? test : train;

		t->user[t->n] = d->user[r];
		t->item[t->n] = d->item[r];
		t->rating[t->n] = d->rating[r];
		t->n++;
	}
}

/* learning a planted rank-3 model: held-out RMSE far below the mean's */
static void
planted_case(const char *const *opts, double max_ratio)
{
	rs_dataset	d = make_lowrank(150, 120, 0.1, 17);
	rs_dataset	train,
				test;
	rs_model   *m;
	double		base,
				got;

	split(&d, &train, &test);
	m = train_with(&train, opts);
	CHECK(m != NULL);
	if (m)
	{
		base = rmse_mean(&train, &test);
		got = rmse(m, &test);
		CHECK_MSG(got < max_ratio * base, "rmse %.4f, mean baseline %.4f", got, base);
		CHECK(m->history[(m->best_epoch - 1) * RS_HISTORY_COLS + 1] <
			  m->history[1]);
		rs_model_free(m);
	}
	free(train.user);
	free(train.item);
	free(train.rating);
	free(test.user);
	free(test.item);
	free(test.rating);
	unit_free_dataset(&d);
}

static void
test_mf_planted_defaults(void)
{
	planted_case(NULL, 0.3);
}

static void
test_mf_planted_adam(void)
{
	const char *const o[] = {"optimizer", "adam", "batch_size", "64",
	"learning_rate", "0.01", "l2", "0.02", "epochs", "100", NULL};

	planted_case(o, 0.3);
}

static void
test_mf_planted_minibatch_sgd(void)
{
	const char *const o[] = {"batch_size", "8", "learning_rate", "0.3",
	"l2", "0.02", "epochs", "300", "lr_decay", "1", "init_std", "0.1",
	"validation_fraction", "0.1", NULL};

	planted_case(o, 0.3);
}

/* the article's set-up: plain dot product, per-rating SGD, 20 factors */
static void
test_mf_article_setup(void)
{
	const char *const o[] = {"biases", "0", "factors", "20", "batch_size", "1",
	"optimizer", "sgd", "epochs", "30", NULL};
	rs_dataset	d = make_lowrank(150, 120, 0.1, 23);
	rs_model   *m = train_with(&d, o);
	int			e;
	int			finite = 1;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(rs_model_tensor(m, "user_bias") == NULL);
	CHECK(rs_model_tensor(m, "item_bias") == NULL);
	for (e = 0; e < m->n_epochs; e++)
		if (!isfinite(m->history[e * RS_HISTORY_COLS + 1]))
			finite = 0;
	CHECK(finite);
	/* it learns something even without the mean */
	CHECK(m->history[(m->n_epochs - 1) * RS_HISTORY_COLS + 1] < 1.0);
	/* without biases every unknown falls back to the training mean */
	CHECK_NEAR(rs_model_predict(m, -1, 3), m->global_mean, 1e-9);
	CHECK_NEAR(rs_model_predict(m, 3, -1), m->global_mean, 1e-9);
	{
		float	   *s = malloc(d.n_items * sizeof(float));
		int32_t		i;

		rs_model_score_items(m, 4, s);
		for (i = 0; i < d.n_items; i++)
			CHECK_NEAR(s[i], m->kind->predict(m, 4, i), 1e-4);
		rs_model_score_items(m, -1, s);
		CHECK_NEAR(s[0], m->global_mean, 1e-5);
		free(s);
	}
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* a learning rate far too large is reported, not returned as NaN weights */
static void
test_mf_diverges(void)
{
	const char *const o[] = {"learning_rate", "10", "init_std", "5",
	"epochs", "20", "l2", "0", NULL};
	rs_dataset	d = make_lowrank(30, 30, 0.1, 2);
	rs_dataset	c = d;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	int			o_i;

	rs_params_default(&p, &rs_kind_mf);
	for (o_i = 0; o[o_i]; o_i += 2)
		rs_params_set(&p, o[o_i], atof(o[o_i + 1]), NULL);
	CHECK(rs_model_train(&p, &c, &rs_malloc_allocator, NULL, &m, &err) == RS_ERR_PARAM);
	CHECK(m == NULL);
	CHECK(strcmp(err.field, "learning_rate") == 0);
	unit_free_dataset(&d);
}

/* progress is reported through the hook for large epochs */
static size_t progress_calls = 0;

static void
count_progress(void *arg, int epoch, size_t done, size_t total)
{
	progress_calls++;
	CHECK(done <= total);
}

static void
test_mf_progress(void)
{
	rs_dataset	d;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_train_hooks hooks = {NULL, count_progress, NULL, 0};
	rs_rng		rng;
	size_t		r;

	memset(&d, 0, sizeof(d));
	d.n = 3 * RS_PROGRESS_STEP + 5;
	d.n_users = 200;
	d.n_items = 100;
	d.user = malloc(d.n * sizeof(int32_t));
	d.item = malloc(d.n * sizeof(int32_t));
	d.rating = malloc(d.n * sizeof(float));
	d.user_ids = malloc(200 * sizeof(int64_t));
	d.item_ids = malloc(100 * sizeof(int64_t));
	for (r = 0; r < 200; r++)
		d.user_ids[r] = (int64_t) r;
	for (r = 0; r < 100; r++)
		d.item_ids[r] = (int64_t) r;
	rs_rng_seed(&rng, 1);
	for (r = 0; r < d.n; r++)
	{
		d.user[r] = (int32_t) rs_rng_below(&rng, 200);
		d.item[r] = (int32_t) rs_rng_below(&rng, 100);
		d.rating[r] = 1 + (float) rs_rng_below(&rng, 5);
	}
	rs_params_default(&p, &rs_kind_mf);
	rs_params_set_choice(&p, "objective", "rating", NULL);
	rs_params_set(&p, "epochs", 2, NULL);
	rs_params_set(&p, "factors", 4, NULL);
	rs_params_set(&p, "validation_fraction", 0, NULL);
	progress_calls = 0;
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, &hooks, &m, &err) == RS_OK);
	CHECK(progress_calls == 6);
	CHECK(m && m->n_epochs == 2 && m->best_epoch == 2);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/*
 * Hogwild SGD on two threads learns the planted model as well as one
 * thread (test RMSE within 2 %); threads = 1 is the single-threaded path,
 * bit for bit.
 */
static void
test_mf_threads(void)
{
	const char *const o1[] = {"factors", "8", "epochs", "40", "threads", "1", NULL};
	const char *const o2[] = {"factors", "8", "epochs", "40", "threads", "2", NULL};
	const char *const o0[] = {"factors", "8", "epochs", "40", NULL};
	rs_dataset	d = make_lowrank(640, 520, 0.3, 9);
	rs_dataset	train;
	rs_dataset	test;
	rs_model   *m1;
	rs_model   *m2;
	rs_model   *m0;
	rs_rng		rng;
	size_t		n_test;

	rs_rng_seed(&rng, 4);
	rs_dataset_shuffle(&d, &rng);
	n_test = d.n / 10;
	train = rs_dataset_slice(&d, 0, d.n - n_test);
	test = rs_dataset_slice(&d, d.n - n_test, d.n);
	/* enough rows for several rounds of two slices */
	CHECK(train.n > 2 * RS_PROGRESS_STEP);

	m1 = train_with(&train, o1);
	m2 = train_with(&train, o2);
	m0 = train_with(&train, o0);
	CHECK(m1 && m2 && m0);
	if (m1 && m2 && m0)
	{
		double		r1 = rmse(m1, &test);
		double		r2 = rmse(m2, &test);

		CHECK_MSG(r1 < 0.5 * rmse_mean(&train, &test), "1 thread: %.4f", r1);
		CHECK_MSG(fabs(r2 - r1) <= 0.02 * r1, "1 thread %.4f, 2 threads %.4f",
				  r1, r2);
		CHECK(m0->n_params == m1->n_params &&
			  memcmp(m0->params_buf, m1->params_buf,
					 m1->n_params * sizeof(float)) == 0);
		CHECK(m0->n_epochs == m1->n_epochs && m0->best_epoch == m1->best_epoch);
	}
	rs_model_free(m0);
	rs_model_free(m1);
	rs_model_free(m2);
	unit_free_dataset(&d);
}

void
suite_mf(void)
{
	unit_run("mf_gradient_biases", test_mf_gradient_biases);
	unit_run("mf_gradient_plain", test_mf_gradient_plain);
	unit_run("mf_reproducible", test_mf_reproducible);
	unit_run("mf_planted_defaults", test_mf_planted_defaults);
	unit_run("mf_planted_adam", test_mf_planted_adam);
	unit_run("mf_planted_minibatch_sgd", test_mf_planted_minibatch_sgd);
	unit_run("mf_article_setup", test_mf_article_setup);
	unit_run("mf_diverges", test_mf_diverges);
	unit_run("mf_progress", test_mf_progress);
	unit_run("mf_threads", test_mf_threads);
}
