/*-------------------------------------------------------------------------
 *
 * recommend.c
 *		Top-k lists from item scores: the business filters (candidates,
 *		excluded items), the clipping of ratings, and the scores of a
 *		block of users at once for every user's list.
 *
 * An item left out of a list gets the score -INFINITY, which rs_topk never
 * returns, so a list is as long as k or the number of eligible items,
 * whichever is smaller, however many items a filter took away.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/recommend.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "model.h"
#include "rank.h"
#include "topk.h"

void
rs_scores_keep_only(float *scores, int32_t n_items, const int32_t *keep,
					size_t n_keep, float *saved)
{
	size_t		j;
	int32_t		i;

	for (j = 0; j < n_keep; j++)
		saved[j] = (keep[j] >= 0 && keep[j] < n_items) ? scores[keep[j]] : -INFINITY;
	for (i = 0; i < n_items; i++)
		scores[i] = -INFINITY;
	for (j = 0; j < n_keep; j++)
		if (keep[j] >= 0 && keep[j] < n_items)
			scores[keep[j]] = saved[j];
}

void
rs_scores_exclude(float *scores, int32_t n_items, const int32_t *items,
				  size_t n)
{
	size_t		j;

	for (j = 0; j < n; j++)
		if (items[j] >= 0 && items[j] < n_items)
			scores[items[j]] = -INFINITY;
}

int
rs_model_top_items(const rs_model *m, const float *scores, int32_t k,
				   int32_t *out_index, float *out_score)
{
	int			n;
	int			j;

	if (k > m->n_items)
		k = m->n_items;
	if (k <= 0)
		return 0;
	n = rs_topk(scores, m->n_items, k, out_index, out_score);
	if (rs_model_scores_are_ratings(m))
		for (j = 0; j < n; j++)
			out_score[j] = fminf(fmaxf(out_score[j], (float) m->rating_min),
								 (float) m->rating_max);
	return n;
}

void
rs_model_score_users(const rs_model *m, int32_t first, int32_t n_users,
					 float *out)
{
	int32_t		u;

	/* the ranking head: one matrix product for the whole block */
	if (m->rank_user != NULL)
	{
		rs_rank_score_users(m, first, n_users, out);
		return;
	}
	for (u = 0; u < n_users; u++)
		rs_model_score_items(m, first + u, out + (size_t) u * m->n_items);
}

int32_t
rs_model_users_per_block(const rs_model *m, size_t max_floats)
{
	size_t		per_user = m->n_items > 0 ? (size_t) m->n_items : 1;
	size_t		n = max_floats / per_user;

	if (n < 1)
		n = 1;
	if (n > RS_MAX_USERS_PER_BLOCK)
		n = RS_MAX_USERS_PER_BLOCK;
	return (int32_t) n;
}
