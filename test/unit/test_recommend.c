/*
 * test_recommend.c: top-k lists (recommend.c): the business filters leave
 * exactly the eligible items, a list is as long as k or the eligible items,
 * ratings are clipped as predictions are, and the scores of a block of
 * users are those of each user alone, for a ranking head (one matrix
 * product) and for a rating model (user by user); mf and dense fold a
 * history given at query time in: a training user's own history gives
 * nearly its trained predictions, a history of high ratings predicts
 * higher than one of low ratings, and no history is the cold start.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "unit.h"

/* ratings of n_users users on 20 items, 8 random items each */
static rs_dataset
make_ratings(int32_t n_users, uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	size_t		cap = (size_t) n_users * 8;
	int32_t		u;

	memset(&d, 0, sizeof(d));
	d.n_users = n_users;
	d.n_items = 20;
	d.user = malloc(cap * sizeof(int32_t));
	d.item = malloc(cap * sizeof(int32_t));
	d.rating = malloc(cap * sizeof(float));
	d.user_ids = malloc((size_t) n_users * sizeof(int64_t));
	d.item_ids = malloc(20 * sizeof(int64_t));
	for (u = 0; u < n_users; u++)
		d.user_ids[u] = 100 + u;
	for (u = 0; u < 20; u++)
		d.item_ids[u] = u + 1;
	rs_rng_seed(&rng, seed);
	for (u = 0; u < n_users; u++)
	{
		int			picked[20] = {0};
		int			n = 0;

		while (n < 8)
		{
			int			i = (int) rs_rng_below(&rng, 20);

			if (picked[i])
				continue;
			picked[i] = 1;
			d.user[d.n] = u;
			d.item[d.n] = i;
			d.rating[d.n] = (float) (1 + (u + i) % 5);
			d.n++;
			n++;
		}
	}
	return d;
}

/* an mf model of the given objective trained on d (d's arrays are shuffled) */
static rs_model *
train_mf(rs_dataset *d, const char *objective)
{
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;

	rs_params_default(&p, &rs_kind_mf);
	rs_params_set_choice(&p, "objective", objective, NULL);
	rs_params_set(&p, "factors", 4, NULL);
	rs_params_set(&p, "epochs", 3, NULL);
	rs_params_set(&p, "rank_factors", 4, NULL);
	rs_params_set(&p, "threads", 1, NULL);
	if (rs_model_train(&p, d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  training failed: %s\n", err.message);
	return m;
}

/* keep_only leaves the known candidates, exclude takes items away */
static void
test_recommend_filters(void)
{
	float		scores[6] = {1, 2, 3, 4, 5, 6};
	int32_t		keep[4] = {4, -1, 1, 9};	/* unknown and out-of-range skipped */
	int32_t		drop[2] = {4, -1};
	float		saved[4];
	int			i;

	rs_scores_keep_only(scores, 6, keep, 4, saved);
	for (i = 0; i < 6; i++)
	{
		if (i == 1 || i == 4)
			CHECK_NEAR(scores[i], i + 1, 0);
		else
			CHECK(scores[i] == -INFINITY);
	}
	rs_scores_exclude(scores, 6, drop, 2);
	CHECK(scores[4] == -INFINITY);
	CHECK_NEAR(scores[1], 2, 0);

	/* no candidate at all leaves nothing */
	for (i = 0; i < 6; i++)
		scores[i] = (float) i;
	rs_scores_keep_only(scores, 6, keep, 0, saved);
	for (i = 0; i < 6; i++)
		CHECK(scores[i] == -INFINITY);
}

/* lists are as long as k or the eligible items, and ratings are clipped */
static void
test_recommend_top_items(void)
{
	rs_dataset	d = make_ratings(12, 4);
	rs_model   *m = train_mf(&d, "rating");
	float	   *scores;
	int32_t		idx[20];
	float		top[20];
	int32_t		drop[17];
	int			n;
	int			i;

	CHECK(m != NULL);
	if (m == NULL)
	{
		unit_free_dataset(&d);
		return;
	}
	scores = malloc(sizeof(float) * m->n_items);
	rs_model_score_items(m, 0, scores);
	scores[3] = 100;			/* far above the rating range */
	n = rs_model_top_items(m, scores, 5, idx, top);
	CHECK(n == 5);
	CHECK(idx[0] == 3);
	CHECK_NEAR(top[0], m->rating_max, 1e-6);
	for (i = 1; i < n; i++)
		CHECK(top[i] <= top[i - 1]);

	/* 17 of 20 excluded: 3 left, whatever k */
	for (i = 0; i < 17; i++)
		drop[i] = i;
	rs_scores_exclude(scores, m->n_items, drop, 17);
	n = rs_model_top_items(m, scores, 10, idx, top);
	CHECK(n == 3);
	for (i = 0; i < n; i++)
		CHECK(idx[i] >= 17);
	CHECK(rs_model_top_items(m, scores, 0, idx, top) == 0);
	free(scores);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* a block's scores are each user's own, for both ways of scoring */
static void
check_block_scores(const char *objective)
{
	rs_dataset	d = make_ratings(37, 9);
	rs_model   *m = train_mf(&d, objective);
	float	   *block;
	float	   *one;
	int32_t		u;

	CHECK(m != NULL);
	if (m == NULL)
	{
		unit_free_dataset(&d);
		return;
	}
	block = malloc(sizeof(float) * (size_t) m->n_users * m->n_items);
	one = malloc(sizeof(float) * m->n_items);
	/* from user 2 on, so the block does not start at the first user */
	rs_model_score_users(m, 2, m->n_users - 2, block);
	for (u = 2; u < m->n_users; u++)
	{
		char		label[64];

		rs_model_score_items(m, u, one);
		snprintf(label, sizeof(label), "%s user %d", objective, u);
		unit_check_tensor(label, block + (size_t) (u - 2) * m->n_items, one,
						  (size_t) m->n_items, 1e-5);
	}
	free(block);
	free(one);
	rs_model_free(m);
	unit_free_dataset(&d);
}

static void
test_recommend_block_scores(void)
{
	check_block_scores("both");
	check_block_scores("rating");
}

/* blocks hold at least one user, at most the cap, within the budget */
static void
test_recommend_users_per_block(void)
{
	rs_model	m;

	memset(&m, 0, sizeof(m));
	m.n_items = 1000;
	CHECK(rs_model_users_per_block(&m, 4000) == 4);
	CHECK(rs_model_users_per_block(&m, 10) == 1);
	CHECK(rs_model_users_per_block(&m, (size_t) 1 << 40) == RS_MAX_USERS_PER_BLOCK);
}

/*
 * Ratings with a planted structure: r = 3 + 1.5 s_u t_i + 0.5 s_u, s and t
 * in {-1, 1}, on about 60 % of the pairs of 40 users and 20 items
 */
static rs_dataset
make_planted(uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	int32_t		u;
	int32_t		i;

	memset(&d, 0, sizeof(d));
	d.n_users = 40;
	d.n_items = 20;
	d.user = malloc(800 * sizeof(int32_t));
	d.item = malloc(800 * sizeof(int32_t));
	d.rating = malloc(800 * sizeof(float));
	d.user_ids = malloc(40 * sizeof(int64_t));
	d.item_ids = malloc(20 * sizeof(int64_t));
	for (u = 0; u < 40; u++)
		d.user_ids[u] = u + 1;
	for (i = 0; i < 20; i++)
		d.item_ids[i] = i + 1;
	rs_rng_seed(&rng, seed);
	for (u = 0; u < 40; u++)
		for (i = 0; i < 20; i++)
		{
			double		su = u % 2 ? 1 : -1;
			double		ti = i % 3 ? 1 : -1;

			if (rs_rng_below(&rng, 10) >= 6)
				continue;
			d.user[d.n] = u;
			d.item[d.n] = i;
			d.rating[d.n] = (float) (3 + 1.5 * su * ti + 0.5 * su);
			d.n++;
		}
	return d;
}

/* a model of kind trained on d for ratings, with the options the test needs */
static rs_model *
train_kind(const rs_kind *kind, rs_dataset *d)
{
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;

	rs_params_default(&p, kind);
	rs_params_set_choice(&p, "objective", "rating", NULL);
	rs_params_set(&p, "factors", 4, NULL);
	rs_params_set(&p, "epochs", 60, NULL);
	rs_params_set(&p, "threads", 1, NULL);
	rs_params_set(&p, "validation_fraction", 0, NULL);
	if (kind == &rs_kind_dense)
	{
		rs_params_set(&p, "hidden", 8, NULL);
		rs_params_set(&p, "learning_rate", 0.01, NULL);
		rs_params_set(&p, "batch_size", 32, NULL);
	}
	if (rs_model_train(&p, d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  training failed: %s\n", err.message);
	return m;
}

/* the fold-in properties of the file header, for one kind */
static void
check_fold_in(const rs_kind *kind, double max_mean_diff)
{
	rs_dataset	d = make_planted(17);
	rs_model   *m = train_kind(kind, &d);
	int32_t		items[20];
	float		ratings[20];
	float		high[20];
	float		low[20];
	double		diff = 0;
	double		sum_high = 0;
	double		sum_low = 0;
	int			pairs = 0;
	int32_t		u;
	int32_t		i;
	size_t		r;
	rs_error	err;

	CHECK(m != NULL);
	if (m == NULL)
	{
		unit_free_dataset(&d);
		return;
	}
	CHECK(rs_model_takes_history(m, true));
	for (u = 0; u < 10; u++)
	{
		size_t		n = 0;

		/* the user's own training rows, as a history */
		for (r = 0; r < d.n; r++)
			if (d.user[r] == u)
			{
				items[n] = d.item[r];
				ratings[n] = d.rating[r];
				n++;
			}
		for (i = 0; i < m->n_items; i++)
		{
			double		folded;

			CHECK(rs_model_predict_history(m, items, ratings, n, i, &folded,
										   &err) == RS_OK);
			diff += fabs(folded - rs_model_predict(m, u, i));
			pairs++;
		}
	}
	diff /= pairs;
	CHECK_MSG(diff < max_mean_diff, "%s: mean |folded - trained| = %g",
			  kind->name, diff);

	/* the same items rated 5 or 1: predictions follow the history */
	for (i = 0; i < 10; i++)
	{
		items[i] = 2 * i;
		high[i] = 5;
		low[i] = 1;
	}
	for (i = 0; i < m->n_items; i++)
	{
		double		ph;
		double		pl;

		CHECK(rs_model_predict_history(m, items, high, 10, i, &ph, &err) == RS_OK);
		CHECK(rs_model_predict_history(m, items, low, 10, i, &pl, &err) == RS_OK);
		sum_high += ph;
		sum_low += pl;
	}
	CHECK_MSG(sum_high > sum_low + m->n_items * 2.0,
			  "%s: mean after 5s %g, after 1s %g", kind->name,
			  sum_high / m->n_items, sum_low / m->n_items);

	/* no history, and a history of unknown items only: the cold start */
	for (i = 0; i < m->n_items; i++)
	{
		double		cold;
		int32_t		unknown = -1;

		CHECK(rs_model_predict_history(m, NULL, NULL, 0, i, &cold, &err) == RS_OK);
		CHECK_NEAR(cold, rs_model_predict(m, -1, i), 1e-5);
		CHECK(rs_model_predict_history(m, &unknown, high, 1, i, &cold, &err) == RS_OK);
		CHECK_NEAR(cold, rs_model_predict(m, -1, i), 1e-5);
	}
	rs_model_free(m);
	unit_free_dataset(&d);
}

static void
test_recommend_fold_in_mf(void)
{
	check_fold_in(&rs_kind_mf, 0.1);
}

static void
test_recommend_fold_in_dense(void)
{
	check_fold_in(&rs_kind_dense, 0.1);
}

void
suite_recommend(void)
{
	unit_run("recommend_filters", test_recommend_filters);
	unit_run("recommend_top_items", test_recommend_top_items);
	unit_run("recommend_block_scores", test_recommend_block_scores);
	unit_run("recommend_users_per_block", test_recommend_users_per_block);
	unit_run("recommend_fold_in_mf", test_recommend_fold_in_mf);
	unit_run("recommend_fold_in_dense", test_recommend_fold_in_dense);
}
