/*
 * test_dense.c
 *		Tests of the dense kind: finite-difference gradient check of the
 *		whole network (one and two hidden layers, with and without biases),
 *		learning a planted model, score_items against predict (through the
 *		cached item part, before and after the weights change), cold start,
 *		and seeded reproducibility.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dense.h"
#include "model.h"
#include "unit.h"

/* ratings 3 + p_u . q_i (rank 2) + noise on a seeded ~half of the pairs */
static rs_dataset
make_planted(int32_t n_users, int32_t n_items, double noise, uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	double	   *pu = malloc(sizeof(double) * 2 * n_users);
	double	   *qi = malloc(sizeof(double) * 2 * n_items);
	size_t		cap = (size_t) n_users * n_items;
	int32_t		u,
				i;

	memset(&d, 0, sizeof(d));
	rs_rng_seed(&rng, seed);
	for (u = 0; u < 2 * n_users; u++)
		pu[u] = 0.8 * rs_rng_normal(&rng);
	for (i = 0; i < 2 * n_items; i++)
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
			double		x = 3.0 + pu[2 * u] * qi[2 * i] + pu[2 * u + 1] * qi[2 * i + 1];

			if (rs_rng_uniform(&rng) >= 0.5 && i != u % n_items)
				continue;
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
 * Analytic gradient of dense_batch_loss_grad against central differences
 * of its loss for every weight.  Float weights: step 1e-3, relative check
 * |g - fd| <= 1e-3 + 3e-2 |fd|.  A ReLU input can cross zero within the
 * step, so at most 1 % of the weights may miss.
 */
static void
gradient_check(int layers, bool biases)
{
	rs_dataset	d = make_planted(6, 5, 0.3, 21);
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_rng		rng;
	float	   *grad;
	float	   *scratch;
	size_t		j;
	size_t		begin = 2,
				end = 14;
	int			nonzero = 0;
	int			bad = 0;

	rs_params_default(&p, &rs_kind_dense);
	rs_params_set(&p, "factors", 3, NULL);
	rs_params_set(&p, "hidden", 4, NULL);
	rs_params_set(&p, "layers", layers, NULL);
	rs_params_set(&p, "biases", biases ? 1 : 0, NULL);
	rs_params_set(&p, "batch_size", 16, NULL);
	CHECK(rs_model_create(&p, d.n_users, d.n_items, (int64_t) d.n, 0,
						  &rs_malloc_allocator, &m, &err) == RS_OK);
	if (m == NULL)
		return;
	CHECK(m->n_params == (size_t) (6 + 5) * 3 + (biases ? 11 : 0) +
		  4 * 6 + 4 + (size_t) (layers - 1) * 20 + 4 + 1);
	CHECK(m->kind->train_begin(m, &d, &err) == RS_OK);
	m->global_mean = 3.1;
	rs_rng_seed(&rng, 5);
	for (j = 0; j < m->n_params; j++)
		m->params_buf[j] = (float) (0.7 * rs_rng_normal(&rng));

	grad = calloc(m->n_params, sizeof(float));
	scratch = calloc(m->n_params, sizeof(float));
	dense_batch_loss_grad(m, &d, begin, end, grad);
	for (j = 0; j < m->n_params; j++)
	{
		float		w = m->params_buf[j];
		const float h = 1e-3f;
		double		lp,
					lm,
					fd;

		m->params_buf[j] = w + h;
		lp = dense_batch_loss_grad(m, &d, begin, end, scratch);
		m->params_buf[j] = w - h;
		lm = dense_batch_loss_grad(m, &d, begin, end, scratch);
		m->params_buf[j] = w;
		fd = (lp - lm) / ((double) (w + h) - (double) (w - h));
		if (!(fabs(grad[j] - fd) <= 1e-3 + 3e-2 * fabs(fd)))
		{
			bad++;
			fprintf(stderr, "  weight %zu: analytic %.6g, numeric %.6g\n",
					j, grad[j], fd);
		}
		if (grad[j] != 0.0f)
			nonzero++;
	}
	CHECK_MSG(bad <= (int) m->n_params / 100, "%d of %zu weights differ",
			  bad, m->n_params);
	CHECK(nonzero > (int) m->n_params / 2);
	m->kind->train_end(m);
	free(grad);
	free(scratch);
	rs_model_free(m);
	unit_free_dataset(&d);
}

static void
test_dense_gradient_one_layer(void)
{
	gradient_check(1, true);
}

static void
test_dense_gradient_two_layers_plain(void)
{
	gradient_check(2, false);
}

/* train dense with name=value pairs (NULL-terminated) on a copy of src */
static rs_model *
train_with(const rs_dataset *src, const char *const *opts)
{
	rs_dataset	d = *src;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	int			o;

	d.user = malloc(d.n * sizeof(int32_t));
	d.item = malloc(d.n * sizeof(int32_t));
	d.rating = malloc(d.n * sizeof(float));
	memcpy(d.user, src->user, d.n * sizeof(int32_t));
	memcpy(d.item, src->item, d.n * sizeof(int32_t));
	memcpy(d.rating, src->rating, d.n * sizeof(float));

	rs_params_default(&p, &rs_kind_dense);
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

/* RMSE of m on every row of d */
static double
rmse(const rs_model *m, const rs_dataset *d)
{
	double		s = 0.0;
	size_t		r;

	for (r = 0; r < d->n; r++)
	{
		double		e = rs_model_predict(m, d->user[r], d->item[r]) - d->rating[r];

		s += e * e;
	}
	return sqrt(s / (double) d->n);
}

/* RMSE of predicting the mean of d for every row */
static double
mean_rmse(const rs_dataset *d)
{
	double		mu = 0.0,
				s = 0.0;
	size_t		r;

	for (r = 0; r < d->n; r++)
		mu += d->rating[r];
	mu /= (double) d->n;
	for (r = 0; r < d->n; r++)
		s += (d->rating[r] - mu) * (d->rating[r] - mu);
	return sqrt(s / (double) d->n);
}

/* check score_items equals predict for user u (unclipped, within float) */
static void
check_scores(const rs_model *m, int32_t u)
{
	float	   *s = malloc(sizeof(float) * m->n_items);
	int32_t		i;

	rs_model_score_items(m, u, s);
	for (i = 0; i < m->n_items; i++)
		CHECK_NEAR(s[i], m->kind->predict(m, u < m->n_users ? u : -1, i),
				   1e-4 + 1e-5 * fabs(s[i]));
	free(s);
}

/* defaults learn a planted model clearly better than the mean */
static void
test_dense_planted_defaults(void)
{
	rs_dataset	d = make_planted(60, 50, 0.1, 7);
	rs_model   *m = train_with(&d, NULL);

	CHECK(m != NULL);
	if (m)
	{
		double		r = rmse(m, &d);

		CHECK_MSG(r < 0.6 * mean_rmse(&d), "train RMSE %.4f, mean %.4f",
				  r, mean_rmse(&d));
		CHECK(m->best_epoch >= 1 && m->best_epoch <= m->n_epochs);
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/* every optimizer path trains to a finite, useful model */
static void
test_dense_options_paths(void)
{
	rs_dataset	d = make_planted(40, 30, 0.1, 8);
	const char *const sets[][16] = {
		{"layers", "2", "hidden", "16", "dropout", "0.2", NULL},
		{"optimizer", "sgd", "learning_rate", "0.05", "epochs", "40", NULL},
		{"lazy", "1", "biases", "0", "epochs", "40", NULL},
		{"l2", "0.05", "batch_size", "7", "validation_fraction", "0", "epochs", "20", NULL},
	};
	size_t		s;

	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
	{
		rs_model   *m = train_with(&d, sets[s]);

		CHECK_MSG(m != NULL, "set %zu", s);
		if (m == NULL)
			continue;
		CHECK_MSG(rmse(m, &d) < mean_rmse(&d), "set %zu: RMSE %.4f, mean %.4f",
				  s, rmse(m, &d), mean_rmse(&d));
		check_scores(m, 3);
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/*
 * score_items goes through the cached item part: equal to predict for known
 * and unknown users, and recomputed after the weights change in training.
 */
static void
test_dense_score_items(void)
{
	rs_dataset	d = make_planted(30, 2100, 0.1, 9);	/* > one chunk */
	const char *const opts[] = {"layers", "2", "hidden", "8", "epochs", "3", NULL};
	rs_model   *m = train_with(&d, opts);
	rs_error	err;

	CHECK(m != NULL);
	if (m == NULL)
	{
		unit_free_dataset(&d);
		return;
	}
	check_scores(m, 0);
	check_scores(m, 29);
	check_scores(m, -1);
	/* change the weights through another training pass: cache refreshed */
	CHECK(m->kind->train_begin(m, &d, &err) == RS_OK);
	{
		rs_rng		rng;

		rs_rng_seed(&rng, 1);
		m->kind->train_epoch(m, &d, 2, &rng, NULL);
	}
	m->kind->train_end(m);
	check_scores(m, 5);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* unknown users and items: finite, in range, the documented fallback */
static void
test_dense_cold_start(void)
{
	rs_dataset	d = make_planted(30, 20, 0.1, 10);
	rs_model   *m = train_with(&d, NULL);

	CHECK(m != NULL);
	if (m)
	{
		double		a = rs_model_predict(m, -1, 3);
		double		b = rs_model_predict(m, 4, -1);
		double		c = rs_model_predict(m, -1, -1);

		CHECK(isfinite(a) && isfinite(b) && isfinite(c));
		CHECK(c >= m->rating_min && c <= m->rating_max);
		/* both unknown is the same for any unknown pair, and near the mean */
		CHECK(rs_model_predict(m, 99, 99) == c);
		CHECK_NEAR(c, m->global_mean, 1.0);
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/* the same seed gives the same weights */
static void
test_dense_reproducible(void)
{
	rs_dataset	d = make_planted(20, 15, 0.1, 11);
	const char *const opts[] = {"dropout", "0.1", "epochs", "5", NULL};
	rs_model   *a = train_with(&d, opts);
	rs_model   *b = train_with(&d, opts);

	CHECK(a && b);
	if (a && b)
		CHECK(a->n_params == b->n_params &&
			  memcmp(a->params_buf, b->params_buf, a->n_params * sizeof(float)) == 0);
	rs_model_free(a);
	rs_model_free(b);
	unit_free_dataset(&d);
}

/* every test of the dense kind */
void
suite_dense(void)
{
	unit_run("dense_gradient_one_layer", test_dense_gradient_one_layer);
	unit_run("dense_gradient_two_layers_plain", test_dense_gradient_two_layers_plain);
	unit_run("dense_planted_defaults", test_dense_planted_defaults);
	unit_run("dense_options_paths", test_dense_options_paths);
	unit_run("dense_score_items", test_dense_score_items);
	unit_run("dense_cold_start", test_dense_cold_start);
	unit_run("dense_reproducible", test_dense_reproducible);
}
