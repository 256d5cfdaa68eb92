/*
 * test_lstm.c
 *		Tests of the lstm kind: finite-difference gradient check of a whole
 *		batch of windows (embedding, feedback inputs, LSTM, output layer,
 *		biases, masked padding), serving from the kept state against the
 *		same history given at query time, the item-part path against single
 *		predictions, history truncation and unknown items, learning a
 *		per-user offset from feedback, both window modes, cold start, the
 *		missing-time error and seeded reproducibility.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"
#include "model.h"
#include "unit.h"

/*
 * Each user rates 3..(3 + max_extra) distinct items at increasing times;
 * rating = 3 + offset_u + 0.5 * (item % 3 - 1) + noise.  offset_u ~ N(0, 1)
 * is what the feedback inputs reveal.
 */
static rs_dataset
make_sequences(int32_t n_users, int32_t n_items, int max_extra, double noise,
			   uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	size_t		cap = (size_t) n_users * (size_t) (3 + max_extra);
	int32_t		u;
	int32_t		i;

	memset(&d, 0, sizeof(d));
	rs_rng_seed(&rng, seed);
	d.user = malloc(cap * sizeof(int32_t));
	d.item = malloc(cap * sizeof(int32_t));
	d.rating = malloc(cap * sizeof(float));
	d.time = malloc(cap * sizeof(double));
	d.user_ids = malloc(n_users * sizeof(int64_t));
	d.item_ids = malloc(n_items * sizeof(int64_t));
	d.n_users = n_users;
	d.n_items = n_items;
	for (u = 0; u < n_users; u++)
		d.user_ids[u] = 10 + u;
	for (i = 0; i < n_items; i++)
		d.item_ids[i] = 100 + 2 * i;
	for (u = 0; u < n_users; u++)
	{
		double		offset = rs_rng_normal(&rng);
		int			len = 3 + (int) rs_rng_below(&rng, (uint64_t) max_extra + 1);
		int32_t		first = (int32_t) rs_rng_below(&rng, (uint64_t) n_items);
		int			t;

		if (len > n_items)
			len = n_items;
		for (t = 0; t < len; t++)
		{
			int32_t		item = (first + 7 * t) % n_items;

			d.user[d.n] = u;
			d.item[d.n] = item;
			d.rating[d.n] = (float) (3.0 + offset + 0.5 * (item % 3 - 1) +
									 noise * rs_rng_normal(&rng));
			/* times out of row order, a tie now and then */
			d.time[d.n] = 1000.0 * u + (double) (t - t % 4 / 3);
			d.n++;
		}
	}
	/* rows arrive in any order */
	rs_dataset_shuffle(&d, &rng);
	return d;
}

/* a copy of d's arrays, for histories after training shuffled d */
static rs_dataset
copy_dataset(const rs_dataset *d)
{
	rs_dataset	c = *d;

	c.user = malloc(d->n * sizeof(int32_t));
	c.item = malloc(d->n * sizeof(int32_t));
	c.rating = malloc(d->n * sizeof(float));
	c.time = malloc(d->n * sizeof(double));
	c.user_ids = malloc(d->n_users * sizeof(int64_t));
	c.item_ids = malloc(d->n_items * sizeof(int64_t));
	memcpy(c.user, d->user, d->n * sizeof(int32_t));
	memcpy(c.item, d->item, d->n * sizeof(int32_t));
	memcpy(c.rating, d->rating, d->n * sizeof(float));
	memcpy(c.time, d->time, d->n * sizeof(double));
	memcpy(c.user_ids, d->user_ids, d->n_users * sizeof(int64_t));
	memcpy(c.item_ids, d->item_ids, d->n_items * sizeof(int64_t));
	return c;
}

/*
 * User u's history in time order (ties by item): items and ratings into
 * the arrays (room for d->n); returns its length.
 */
static size_t
history_of(const rs_dataset *d, int32_t u, int32_t *items, float *ratings)
{
	size_t		n = 0;
	size_t		r;
	size_t		a;
	double	   *times = malloc(d->n * sizeof(double));

	for (r = 0; r < d->n; r++)
	{
		if (d->user[r] != u)
			continue;
		/* insertion by (time, item) */
		a = n;
		while (a > 0 && (times[a - 1] > d->time[r] ||
						 (times[a - 1] == d->time[r] && items[a - 1] > d->item[r])))
		{
			times[a] = times[a - 1];
			items[a] = items[a - 1];
			ratings[a] = ratings[a - 1];
			a--;
		}
		times[a] = d->time[r];
		items[a] = d->item[r];
		ratings[a] = d->rating[r];
		n++;
	}
	free(times);
	return n;
}

/* train on d with the given name/value options (NULL-terminated pairs) */
static rs_model *
train_with(rs_dataset *d, const char *const *opts)
{
	rs_params	p;
	rs_error	err;
	rs_model   *m = NULL;

	rs_params_default(&p, &rs_kind_lstm);
	/* the kind's own rating head; test_rank.c tests the ranking head */
	rs_params_set_choice(&p, "objective", "rating", NULL);
	rs_params_set(&p, "factors", 4, NULL);
	rs_params_set(&p, "hidden", 6, NULL);
	rs_params_set(&p, "seq_len", 4, NULL);
	rs_params_set(&p, "epochs", 4, NULL);
	rs_params_set(&p, "threads", 1, NULL);
	for (; opts && opts[0]; opts += 2)
	{
		if (rs_params_set(&p, opts[0], atof(opts[1]), &err) != RS_OK)
			fprintf(stderr, "  option %s: %s\n", opts[0], err.message);
	}
	if (rs_model_train(&p, d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
	{
		fprintf(stderr, "  training failed: %s\n", err.message);
		return NULL;
	}
	return m;
}

/*
 * Analytic gradient of lstm_batch_loss_grad against central differences of
 * its mean squared error for every trained weight, over windows that start
 * at a user's first step and in the middle (feedback from the step before)
 * and end in padding.  Step 1e-3, |g - fd| <= 1e-3 + 3e-2 |fd|.
 */
static void
gradient_check(bool feedback, bool biases)
{
	rs_dataset	d = make_sequences(4, 6, 6, 0.3, 31);
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_rng		rng;
	float	   *grad;
	size_t		n_trained;
	size_t		j;
	const int32_t users[3] = {0, 1, 2};
	const int32_t starts[3] = {0, 2, 1};
	const int32_t lens[3] = {4, 1, 2};
	double		n_real = 7;
	int			nonzero = 0;
	int			bad = 0;

	rs_params_default(&p, &rs_kind_lstm);
	rs_params_set(&p, "factors", 3, NULL);
	rs_params_set(&p, "hidden", 4, NULL);
	rs_params_set(&p, "seq_len", 4, NULL);
	rs_params_set(&p, "batch_size", 3, NULL);
	rs_params_set(&p, "feedback", feedback ? 1 : 0, NULL);
	rs_params_set(&p, "biases", biases ? 1 : 0, NULL);
	rs_params_set(&p, "carry_state", 0, NULL);
	CHECK(rs_model_create(&p, d.n_users, d.n_items, (int64_t) d.n, 0,
						  &rs_malloc_allocator, &m, &err) == RS_OK);
	if (m == NULL)
		return;
	m->global_mean = 3.1;
	m->rating_min = 1;
	m->rating_max = 5;
	CHECK(m->kind->train_begin(m, &d, &err) == RS_OK);
	n_trained = lstm_trained_params(m);
	CHECK(n_trained == (size_t) 6 * 3 + 16 * (3 + (feedback ? 2 : 0)) + 16 * 4 +
		  16 + 4 + 1 + (biases ? 6 + 4 : 0));
	rs_rng_seed(&rng, 5);
	for (j = 0; j < n_trained; j++)
		m->params_buf[j] = (float) (0.5 * rs_rng_normal(&rng));

	grad = calloc(n_trained, sizeof(float));
	lstm_batch_loss_grad(m, users, starts, lens, 3, false, grad);
	for (j = 0; j < n_trained; j++)
	{
		float		w = m->params_buf[j];
		const float h = 1e-3f;
		double		lp,
					lm,
					fd;

		m->params_buf[j] = w + h;
		lp = lstm_batch_loss_grad(m, users, starts, lens, 3, false, NULL) / n_real;
		m->params_buf[j] = w - h;
		lm = lstm_batch_loss_grad(m, users, starts, lens, 3, false, NULL) / n_real;
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
	CHECK_MSG(bad == 0, "%d of %zu weights differ", bad, n_trained);
	CHECK(nonzero > (int) n_trained / 2);
	m->kind->train_end(m);
	free(grad);
	rs_model_free(m);
	unit_free_dataset(&d);
}

static void
test_lstm_gradient_feedback_biases(void)
{
	gradient_check(true, true);
}

static void
test_lstm_gradient_plain(void)
{
	gradient_check(false, false);
}

/*
 * With carry_state and seq_len at least as long as every history, the
 * state kept for a user is the state after its whole history, so predict
 * equals the same history given at query time (without biases: a learned
 * user bias is what a query-time history cannot know); recommend's
 * item-part path equals single predictions, with biases too.
 */
static void
state_matches_history(const char *biases)
{
	rs_dataset	d = make_sequences(12, 15, 9, 0.2, 41);
	rs_dataset	orig = copy_dataset(&d);
	const char *const opts[] = {"seq_len", "12", "validation_fraction", "0",
		"carry_state", "1", "biases", biases, NULL};
	rs_model   *m = train_with(&d, opts);
	bool		same_history = strcmp(biases, "0") == 0;
	int32_t    *items = malloc(orig.n * sizeof(int32_t));
	float	   *ratings = malloc(orig.n * sizeof(float));
	float	   *scores = malloc(orig.n_items * sizeof(float));
	float	   *hscores = malloc(orig.n_items * sizeof(float));
	rs_error	err;
	int32_t		u;
	int32_t		i;

	CHECK(m != NULL);
	for (u = 0; m && u < orig.n_users; u++)
	{
		size_t		n = history_of(&orig, u, items, ratings);

		CHECK(n <= 12);
		rs_model_score_items(m, u, scores);
		CHECK(rs_model_score_history(m, items, ratings, n, hscores, &err) == RS_OK);
		for (i = 0; i < orig.n_items; i++)
		{
			double		hp;

			CHECK(rs_model_predict_history(m, items, ratings, n, i, &hp, &err) == RS_OK);
			if (same_history)
			{
				CHECK_NEAR(rs_model_predict(m, u, i), hp, 1e-4);
				CHECK_NEAR(scores[i], hscores[i], 1e-4);
			}
			CHECK_NEAR(hp, fmin(fmax(hscores[i], m->rating_min), m->rating_max), 1e-4);
			CHECK_NEAR(rs_model_predict(m, u, i),
					   fmin(fmax(scores[i], m->rating_min), m->rating_max), 1e-4);
		}
	}
	rs_model_free(m);
	free(items);
	free(ratings);
	free(scores);
	free(hscores);
	unit_free_dataset(&orig);
	unit_free_dataset(&d);
}

static void
test_lstm_state_matches_history(void)
{
	state_matches_history("0");
}

static void
test_lstm_scores_match_predict(void)
{
	state_matches_history("1");
}

/* only the newest seq_len known steps of a query-time history count */
static void
test_lstm_history_truncation(void)
{
	rs_dataset	d = make_sequences(10, 12, 4, 0.2, 43);
	rs_model   *m = train_with(&d, NULL);	/* seq_len 4 */
	const int32_t long_items[7] = {3, 5, -1, 7, 1, 2, 9};
	const float long_ratings[7] = {1, 5, 2, 4, 4, 2, 3};
	const int32_t short_items[4] = {7, 1, 2, 9};
	const float short_ratings[4] = {4, 4, 2, 3};
	const int32_t with_unknown[5] = {7, 1, -1, 2, 9};
	const float with_unknown_r[5] = {4, 4, 1, 2, 3};
	rs_error	err;
	double		a,
				b,
				c;

	CHECK(m != NULL);
	if (m)
	{
		CHECK(rs_model_predict_history(m, long_items, long_ratings, 7, 4, &a, &err) == RS_OK);
		CHECK(rs_model_predict_history(m, short_items, short_ratings, 4, 4, &b, &err) == RS_OK);
		CHECK(rs_model_predict_history(m, with_unknown, with_unknown_r, 5, 4, &c, &err) == RS_OK);
		CHECK(a == b);
		CHECK(c == b);
		/* a history changes the prediction */
		CHECK(rs_model_predict(m, -1, 4) != b);
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/* an empty history and an unknown user are the same cold start */
static void
test_lstm_cold_start(void)
{
	rs_dataset	d = make_sequences(10, 12, 4, 0.2, 45);
	rs_model   *m = train_with(&d, NULL);
	rs_error	err;
	double		h;

	CHECK(m != NULL);
	if (m)
	{
		CHECK(rs_model_predict_history(m, NULL, NULL, 0, 3, &h, &err) == RS_OK);
		CHECK(rs_model_predict(m, -1, 3) == h);
		CHECK(isfinite(rs_model_predict(m, 2, -1)));
		CHECK(isfinite(rs_model_predict(m, -1, -1)));
		CHECK(rs_model_predict(m, -1, -1) >= m->rating_min &&
			  rs_model_predict(m, -1, -1) <= m->rating_max);
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/*
 * Ratings carry a per-user offset only the user's feedback reveals: the
 * trained model must beat the global mean by far on held-out rows, in both
 * window modes.
 */
static void
learns_offsets(const char *carry)
{
	rs_dataset	d = make_sequences(150, 30, 20, 0.2, 47);
	const char *const opts[] = {"epochs", "40", "carry_state", carry,
		"learning_rate", "0.01", "hidden", "8", "patience", "40", NULL};
	rs_model   *m = train_with(&d, opts);
	const double *h;
	double		best = INFINITY;
	int			e;

	CHECK(m != NULL);
	if (m == NULL)
	{
		unit_free_dataset(&d);
		return;
	}
	h = m->history;
	for (e = 0; e < m->n_epochs; e++)
		best = fmin(best, h[e * RS_HISTORY_COLS + 2]);
	/* the ratings' spread is about 1.1 (the offsets); noise is 0.2 */
	CHECK_MSG(best < 0.6, "best validation RMSE %.3f", best);
	rs_model_free(m);
	unit_free_dataset(&d);
}

static void
test_lstm_learns_carry(void)
{
	learns_offsets("1");
}

static void
test_lstm_learns_windows(void)
{
	learns_offsets("0");
}

/* no time column: a clear error, nothing allocated */
static void
test_lstm_needs_time(void)
{
	rs_dataset	d = make_sequences(5, 6, 3, 0.2, 49);
	double	   *time = d.time;
	rs_params	p;
	rs_error	err;
	rs_model   *m = NULL;

	d.time = NULL;
	rs_params_default(&p, &rs_kind_lstm);
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) == RS_ERR_DATA);
	CHECK(m == NULL);
	CHECK(strcmp(err.field, "time_column") == 0);
	d.time = time;
	unit_free_dataset(&d);
}

/* the same seed gives the same weights and states, dropout included */
static void
test_lstm_reproducible(void)
{
	rs_dataset	d1 = make_sequences(20, 15, 6, 0.1, 51);
	rs_dataset	d2 = make_sequences(20, 15, 6, 0.1, 51);
	const char *const opts[] = {"dropout", "0.2", "epochs", "3", NULL};
	rs_model   *a = train_with(&d1, opts);
	rs_model   *b = train_with(&d2, opts);

	CHECK(a && b);
	if (a && b)
		CHECK(a->n_params == b->n_params &&
			  memcmp(a->params_buf, b->params_buf, a->n_params * sizeof(float)) == 0);
	rs_model_free(a);
	rs_model_free(b);
	unit_free_dataset(&d1);
	unit_free_dataset(&d2);
}

/* popularity takes no history (mf and dense fold one in: test_recommend.c) */
static void
test_lstm_history_not_for_popularity(void)
{
	rs_dataset	d = make_sequences(5, 6, 3, 0.2, 53);
	rs_params	p;
	rs_error	err;
	rs_model   *m = NULL;
	double		out;
	const int32_t items[1] = {1};
	const float ratings[1] = {4};

	rs_params_default(&p, &rs_kind_popularity);
	CHECK(rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) == RS_OK);
	if (m)
	{
		CHECK(!rs_model_takes_history(m, true));
		CHECK(rs_model_predict_history(m, items, ratings, 1, 0, &out, &err) == RS_ERR_PARAM);
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/* an allocator that tracks the peak of live bytes (size in a header) */
typedef struct counting
{
	size_t		live;
	size_t		peak;
} counting;

static void *
counting_alloc(void *state, size_t size)
{
	counting   *c = state;
	size_t	   *p = calloc(1, size + 16);

	if (p == NULL)
		return NULL;
	*p = size;
	c->live += size;
	if (c->live > c->peak)
		c->peak = c->live;
	return (char *) p + 16;
}

static void
counting_free(void *state, void *ptr)
{
	counting   *c = state;
	size_t	   *p = (size_t *) ((char *) ptr - 16);

	c->live -= *p;
	free(p);
}

static void *
counting_realloc(void *state, void *ptr, size_t size)
{
	void	   *q = counting_alloc(state, size);

	if (q && ptr)
	{
		size_t		old = *(size_t *) ((char *) ptr - 16);

		memcpy(q, ptr, old < size ? old : size);
		counting_free(state, ptr);
	}
	return q;
}

/* the estimate the memory limit is checked against bounds what training takes */
static void
memory_bounded(const char *carry)
{
	rs_dataset	d = make_sequences(40, 25, 30, 0.2, 55);
	counting	c = {0, 0};
	rs_allocator alloc = {counting_alloc, counting_realloc, counting_free, &c};
	rs_params	p;
	rs_error	err;
	rs_model   *m = NULL;
	size_t		estimate;

	rs_params_default(&p, &rs_kind_lstm);
	rs_params_set(&p, "epochs", 2, NULL);
	rs_params_set(&p, "threads", 1, NULL);
	rs_params_set(&p, "batch_size", 16, NULL);
	rs_params_set(&p, "carry_state", atof(carry), NULL);
	estimate = rs_train_memory(&p, d.n_users, d.n_items, d.n);
	CHECK(rs_model_train(&p, &d, &alloc, NULL, &m, &err) == RS_OK);
	CHECK_MSG(c.peak <= estimate, "peak %zu bytes, estimate %zu", c.peak, estimate);
	/* and is not wildly above it either */
	CHECK_MSG(estimate < 4 * c.peak, "peak %zu bytes, estimate %zu", c.peak, estimate);
	rs_model_free(m);
	CHECK(c.live == 0);
	unit_free_dataset(&d);
}

static void
test_lstm_memory_windows(void)
{
	memory_bounded("0");
}

static void
test_lstm_memory_carry(void)
{
	memory_bounded("1");
}

/* every test of the lstm kind */
void
suite_lstm(void)
{
	unit_run("lstm_gradient_feedback_biases", test_lstm_gradient_feedback_biases);
	unit_run("lstm_gradient_plain", test_lstm_gradient_plain);
	unit_run("lstm_state_matches_history", test_lstm_state_matches_history);
	unit_run("lstm_scores_match_predict", test_lstm_scores_match_predict);
	unit_run("lstm_history_truncation", test_lstm_history_truncation);
	unit_run("lstm_cold_start", test_lstm_cold_start);
	unit_run("lstm_learns_carry", test_lstm_learns_carry);
	unit_run("lstm_learns_windows", test_lstm_learns_windows);
	unit_run("lstm_needs_time", test_lstm_needs_time);
	unit_run("lstm_reproducible", test_lstm_reproducible);
	unit_run("lstm_history_not_for_popularity", test_lstm_history_not_for_popularity);
	unit_run("lstm_memory_windows", test_lstm_memory_windows);
	unit_run("lstm_memory_carry", test_lstm_memory_carry);
}
