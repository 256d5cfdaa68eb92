/*
 * test_rank.c: the ranking head (rank.c) and the ranking metrics
 * (metrics.c): every solve is the exact minimiser of its row (finite
 * differences of the loss vanish there), sweeps never raise the loss,
 * the head ranks planted choices above popular ones, a history folded in
 * at query time follows the trained row, and the metrics of hand-made
 * lists are the numbers a person computes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "model.h"
#include "rank.h"
#include "unit.h"

/*
 * Users in 3 groups pick 6 items of their group's 10 each; item 30 is
 * picked by every user (the popular one).  Ratings are all 1.
 */
static rs_dataset
make_groups(int32_t n_users, uint64_t seed)
{
	rs_dataset	d;
	rs_rng		rng;
	size_t		cap = (size_t) n_users * 7;
	int32_t		u;

	memset(&d, 0, sizeof(d));
	d.n_users = n_users;
	d.n_items = 31;
	d.user = malloc(cap * sizeof(int32_t));
	d.item = malloc(cap * sizeof(int32_t));
	d.rating = malloc(cap * sizeof(float));
	d.user_ids = malloc((size_t) n_users * sizeof(int64_t));
	d.item_ids = malloc(31 * sizeof(int64_t));
	for (u = 0; u < n_users; u++)
		d.user_ids[u] = 1000 + u;
	for (u = 0; u < 31; u++)
		d.item_ids[u] = 7 * u;
	rs_rng_seed(&rng, seed);
	for (u = 0; u < n_users; u++)
	{
		int			g = u % 3;
		int			picked[10] = {0};
		int			n = 0;

		while (n < 6)
		{
			int			j = (int) rs_rng_below(&rng, 10);

			if (picked[j])
				continue;
			picked[j] = 1;
			d.user[d.n] = u;
			d.item[d.n] = g * 10 + j;
			d.rating[d.n] = 1;
			d.n++;
			n++;
		}
		d.user[d.n] = u;
		d.item[d.n] = 30;
		d.rating[d.n] = 1;
		d.n++;
	}
	return d;
}

static rs_model *
train_rank(const rs_dataset *src, int iterations, double l2, int cg_steps)
{
	rs_dataset	d = *src;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;

	d.user = malloc(d.n * sizeof(int32_t));
	d.item = malloc(d.n * sizeof(int32_t));
	d.rating = malloc(d.n * sizeof(float));
	memcpy(d.user, src->user, d.n * sizeof(int32_t));
	memcpy(d.item, src->item, d.n * sizeof(int32_t));
	memcpy(d.rating, src->rating, d.n * sizeof(float));
	rs_params_default(&p, &rs_kind_mf);
	rs_params_set_choice(&p, "objective", "ranking", NULL);
	rs_params_set(&p, "rank_factors", 4, NULL);
	rs_params_set(&p, "rank_iterations", iterations, NULL);
	rs_params_set(&p, "rank_l2", l2, NULL);
	rs_params_set(&p, "rank_unobserved_weight", 0.1, NULL);
	rs_params_set(&p, "threads", 2, NULL);
	rs_params_set(&p, "rank_cg_steps", cg_steps, NULL);
	if (rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  training failed: %s\n", err.message);
	free(d.user);
	free(d.item);
	free(d.rating);
	return m;
}

/*
 * The last half sweep solved every item row exactly, so the loss is
 * stationary in each item factor: its central finite difference is ~0,
 * while a user factor (solved against older item rows) is not held to it.
 * A second difference checks that it is a minimum, not a saddle.
 */
static void
test_rank_rows_are_minimisers(void)
{
	rs_dataset	d = make_groups(24, 3);
	rs_model   *m = train_rank(&d, 6, 0.05, 0);
	const double h = 1e-3;
	double		max_grad = 0;
	double		scale = 0;
	int			x;

	CHECK(m != NULL && m->rank_item != NULL);
	if (m == NULL)
	{
		unit_free_dataset(&d);
		return;
	}
	for (x = 0; x < m->n_items * 4; x += 3)
	{
		float		orig = m->rank_item[x];
		double		plus;
		double		minus;
		double		base = rs_rank_loss(m, &d);

		m->rank_item[x] = orig + (float) h;
		plus = rs_rank_loss(m, &d);
		m->rank_item[x] = orig - (float) h;
		minus = rs_rank_loss(m, &d);
		m->rank_item[x] = orig;
		max_grad = fmax(max_grad, fabs(plus - minus) / (2 * h));
		scale = fmax(scale, fabs(base));
		CHECK_MSG(plus + minus - 2 * base > -1e-6, "entry %d is not a minimum", x);
	}
	/* the gradient of a loss of order 10-100 vanishes to float rounding */
	CHECK_MSG(max_grad < 2e-3 * fmax(1.0, scale / 100), "max |dL/dh| = %g", max_grad);
	CHECK(isfinite(rs_rank_loss(m, &d)));
	rs_model_free(m);
	unit_free_dataset(&d);
}

/* alternating exact solves never raise the loss */
static void
test_rank_loss_decreases(void)
{
	rs_dataset	d = make_groups(30, 5);
	double		prev = INFINITY;
	int			it;

	for (it = 1; it <= 5; it++)
	{
		rs_model   *m = train_rank(&d, it, 0.05, 0);
		double		loss;

		CHECK(m != NULL);
		if (m == NULL)
			break;
		loss = rs_rank_loss(m, &d);
		CHECK_MSG(loss <= prev * (1 + 1e-5), "sweeps %d: %g after %g", it, loss, prev);
		prev = loss;
		rs_model_free(m);
	}
	unit_free_dataset(&d);
}

/*
 * Conjugate-gradient sweeps (the default) reach the loss of exact solves:
 * after the same sweeps, within 1 %, and each sweep count lowers it.
 */
static void
test_rank_cg_close_to_exact(void)
{
	rs_dataset	d = make_groups(30, 9);
	rs_model   *exact = train_rank(&d, 8, 0.05, 0);
	rs_model   *cg1 = train_rank(&d, 2, 0.05, 3);
	rs_model   *cg = train_rank(&d, 8, 0.05, 3);

	CHECK(exact != NULL && cg != NULL && cg1 != NULL);
	if (exact != NULL && cg != NULL && cg1 != NULL)
	{
		double		le = rs_rank_loss(exact, &d);
		double		lc = rs_rank_loss(cg, &d);
		double		l1 = rs_rank_loss(cg1, &d);

		CHECK_MSG(lc <= le * 1.01, "CG %g, exact %g", lc, le);
		CHECK_MSG(lc <= l1, "8 sweeps %g, 2 sweeps %g", lc, l1);
	}
	rs_model_free(exact);
	rs_model_free(cg);
	rs_model_free(cg1);
	unit_free_dataset(&d);
}

/*
 * The head ranks a user's unpicked group items above other groups' items;
 * an unknown user gets the item counts (the popular item first); the
 * ranking-only model predicts the ranking score.
 */
static void
test_rank_learns_groups(void)
{
	rs_dataset	d = make_groups(60, 7);
	rs_model   *m = train_rank(&d, 8, 0.02, 3);
	float	   *s = malloc(31 * sizeof(float));
	int			good = 0;
	int			total = 0;
	int32_t		u;

	CHECK(m != NULL);
	if (m == NULL)
	{
		free(s);
		unit_free_dataset(&d);
		return;
	}
	for (u = 0; u < m->n_users; u++)
	{
		int			g = u % 3;
		int			j;
		int			o;

		rs_model_score_items(m, u, s);
		for (j = 0; j < 10; j++)
			for (o = 0; o < 30; o++)
			{
				if (o / 10 == g)
					continue;
				total++;
				if (s[g * 10 + j] > s[o])
					good++;
			}
		CHECK_NEAR(rs_model_predict(m, u, 3), s[3], 1e-4);
	}
	CHECK_MSG(good > total * 0.98, "%d of %d pairs in order", good, total);
	rs_model_score_items(m, -1, s);
	CHECK_NEAR(s[30], 60, 1e-6);
	CHECK_NEAR(rs_model_predict(m, -1, 30), 60, 1e-6);
	free(s);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/*
 * A training user's items folded in at query time give nearly its trained
 * list: the fold-in solves the same system against the final item rows.
 */
static void
test_rank_history_fold_in(void)
{
	rs_dataset	d = make_groups(45, 11);
	rs_model   *m = train_rank(&d, 10, 0.02, 0);
	float	   *a = malloc(31 * sizeof(float));
	float	   *b = malloc(31 * sizeof(float));
	float	   *ratings = malloc(8 * sizeof(float));
	rs_error	err;
	int32_t		u;
	double		max_diff = 0;

	CHECK(m != NULL);
	if (m == NULL)
		goto done;
	for (u = 0; u < 8; u++)
		ratings[u] = 1;
	for (u = 0; u < m->n_users; u++)
	{
		int64_t		b0 = m->rated_offsets[u];
		size_t		n = (size_t) (m->rated_offsets[u + 1] - b0);
		int			i;

		rs_model_score_items(m, u, a);
		CHECK(rs_model_score_history(m, m->rated_items + b0, ratings, n, b, &err) == RS_OK);
		for (i = 0; i < 31; i++)
			max_diff = fmax(max_diff, fabs(a[i] - b[i]));
	}
	CHECK_MSG(max_diff < 0.05, "fold-in differs from the trained rows by %g", max_diff);
	/* an empty history is the cold-start list */
	CHECK(rs_model_score_history(m, NULL, NULL, 0, b, &err) == RS_OK);
	CHECK_NEAR(b[30], 45, 1e-6);
done:
	free(a);
	free(b);
	free(ratings);
	rs_model_free(m);
	unit_free_dataset(&d);
}

/*
 * Two users, k = 3, five items.  User A: list {4, 1, 0}, relevant {1, 2}:
 * one hit at rank 2: DCG = 1/log2(3), IDCG = 1 + 1/log2(3), AP = (1/2)/2,
 * precision 1/3, recall 1/2.  User B: list {2, 3}, relevant {2}: NDCG 1,
 * AP 1, precision 1/3, recall 1.  Coverage: items {0, 1, 2, 3, 4} = 1.
 */
static void
test_rank_metrics_by_hand(void)
{
	rs_rank_eval e;
	rs_rank_result r;
	rs_error	err;
	const int32_t list_a[3] = {4, 1, 0};
	const int32_t rel_a[2] = {1, 2};
	const int32_t list_b[2] = {2, 3};
	const int32_t rel_b[2] = {-1, 2};	/* one relevant item the model lacks */
	double		ndcg_a = (1 / log2(3.0)) / (1 + 1 / log2(3.0));

	CHECK(rs_rank_eval_init(&e, 5, 3, &rs_malloc_allocator, &err) == RS_OK);
	rs_rank_eval_list(&e, list_a, 3, rel_a, 2);
	rs_rank_eval_list(&e, list_b, 2, rel_b, 2);
	rs_rank_eval_list(&e, list_b, 2, rel_b, 0);	/* no relevant item: not a user */
	rs_rank_eval_result(&e, &r);
	CHECK(r.users == 2);
	CHECK_NEAR(r.hit_rate, 1.0, 1e-12);
	CHECK_NEAR(r.precision, (1.0 / 3 + 1.0 / 3) / 2, 1e-12);
	/* B's unknown relevant item counts: recall 1/2, IDCG over 2 */
	CHECK_NEAR(r.recall, (0.5 + 0.5) / 2, 1e-12);
	CHECK_NEAR(r.ndcg, (ndcg_a + 1 / (1 + 1 / log2(3.0))) / 2, 1e-12);
	CHECK_NEAR(r.map, (0.25 + 0.5) / 2, 1e-12);
	CHECK_NEAR(r.coverage, 1.0, 1e-12);
	rs_rank_eval_free(&e);

	CHECK(rs_rank_eval_init(&e, 5, 0, &rs_malloc_allocator, &err) == RS_ERR_PARAM);
	CHECK(rs_rank_eval_init(&e, 5, 3, &rs_malloc_allocator, &err) == RS_OK);
	rs_rank_eval_result(&e, &r);
	CHECK(r.users == 0 && isnan(r.ndcg));
	rs_rank_eval_free(&e);
}

/* models stored before the ranking head load as objective "rating" */
static void
test_rank_objective_default(void)
{
	rs_params	p;

	rs_params_default(&p, &rs_kind_mf);
	CHECK(rs_rank_objective(&p) == RS_OBJECTIVE_BOTH);
	CHECK(rs_rank_enabled(&p));
	CHECK(rs_params_set_choice(&p, "objective", "rating", NULL) == RS_OK);
	CHECK(!rs_rank_enabled(&p));
	CHECK(rs_rank_train_memory(&p, 10, 10, 100) == 0);
	CHECK(rs_params_set_choice(&p, "objective", "rank", NULL) == RS_ERR_PARAM);
}

void
suite_rank(void)
{
	unit_run("rank_rows_are_minimisers", test_rank_rows_are_minimisers);
	unit_run("rank_loss_decreases", test_rank_loss_decreases);
	unit_run("rank_cg_close_to_exact", test_rank_cg_close_to_exact);
	unit_run("rank_learns_groups", test_rank_learns_groups);
	unit_run("rank_history_fold_in", test_rank_history_fold_in);
	unit_run("rank_metrics_by_hand", test_rank_metrics_by_hand);
	unit_run("rank_objective_default", test_rank_objective_default);
}
