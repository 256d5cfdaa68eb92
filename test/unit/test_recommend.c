/*
 * test_recommend.c: top-k lists (recommend.c): the business filters leave
 * exactly the eligible items, a list is as long as k or the eligible items,
 * ratings are clipped as predictions are, and the scores of a block of
 * users are those of each user alone, for a ranking head (one matrix
 * product) and for a rating model (user by user).
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

void
suite_recommend(void)
{
	unit_run("recommend_filters", test_recommend_filters);
	unit_run("recommend_top_items", test_recommend_top_items);
	unit_run("recommend_block_scores", test_recommend_block_scores);
	unit_run("recommend_users_per_block", test_recommend_users_per_block);
}
