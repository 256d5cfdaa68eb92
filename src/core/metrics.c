/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		Ranking metrics of top-k lists (see metrics.h for the protocol).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "metrics.h"
#include "topk.h"

rs_status
rs_rank_eval_init(rs_rank_eval *e, int32_t n_items, int32_t k,
				  const rs_allocator *alloc, rs_error *err)
{
	memset(e, 0, sizeof(*e));
	if (k < 1 || n_items < 1)
		return rs_error_set(err, RS_ERR_PARAM, "k",
							"k and the number of items must be at least 1");
	e->k = k;
	/* a list never holds more than the model's items */
	e->list_len = k > n_items ? n_items : k;
	e->n_items = n_items;
	e->alloc = alloc;
	e->listed = rs_alloc(alloc, (size_t) n_items);
	e->scores = rs_alloc(alloc, rs_mul_size((size_t) n_items, sizeof(float)));
	e->top = rs_alloc(alloc, rs_mul_size((size_t) e->list_len, sizeof(int32_t)));
	e->top_score = rs_alloc(alloc, rs_mul_size((size_t) e->list_len, sizeof(float)));
	if (!e->listed || !e->scores || !e->top || !e->top_score)
	{
		rs_rank_eval_free(e);
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
	}
	memset(e->listed, 0, (size_t) n_items);
	return RS_OK;
}

void
rs_rank_eval_free(rs_rank_eval *e)
{
	if (e->alloc == NULL)
		return;
	rs_free(e->alloc, e->listed);
	rs_free(e->alloc, e->scores);
	rs_free(e->alloc, e->top);
	rs_free(e->alloc, e->top_score);
	e->listed = NULL;
	e->scores = NULL;
	e->top = NULL;
	e->top_score = NULL;
}

/* true when item is in the ascending array a of n (unknown items, -1, first) */
static bool
contains(const int32_t *a, size_t n, int32_t item)
{
	size_t		lo = 0;
	size_t		hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (a[mid] < item)
			lo = mid + 1;
		else if (a[mid] > item)
			hi = mid;
		else
			return true;
	}
	return false;
}

void
rs_rank_eval_list(rs_rank_eval *e, const int32_t *list, int n,
				  const int32_t *relevant, size_t n_rel)
{
	double		dcg = 0;
	double		idcg = 0;
	double		ap = 0;
	int			hits = 0;
	int			ideal;
	int			j;

	if (n_rel == 0)
		return;
	for (j = 0; j < n; j++)
	{
		if (list[j] >= 0 && list[j] < e->n_items && !e->listed[list[j]])
		{
			e->listed[list[j]] = 1;
			e->distinct++;
		}
		if (contains(relevant, n_rel, list[j]))
		{
			hits++;
			dcg += 1.0 / log2((double) j + 2);
			ap += (double) hits / (double) (j + 1);
		}
	}
	ideal = n_rel < (size_t) e->k ? (int) n_rel : e->k;
	for (j = 0; j < ideal; j++)
		idcg += 1.0 / log2((double) j + 2);

	e->users++;
	e->hits += hits > 0 ? 1 : 0;
	e->precision += (double) hits / (double) e->k;
	e->recall += (double) hits / (double) n_rel;
	e->ndcg += dcg / idcg;
	e->ap += ap / (double) ideal;
}

void
rs_rank_eval_user(rs_rank_eval *e, const rs_model *m, int32_t u,
				  const int32_t *relevant, size_t n_rel)
{
	int			n;

	rs_model_score_items(m, u, e->scores);
	rs_model_exclude_rated(m, u, e->scores);
	n = rs_topk(e->scores, m->n_items, e->list_len, e->top, e->top_score);
	rs_rank_eval_list(e, e->top, n, relevant, n_rel);
}

void
rs_rank_eval_result(const rs_rank_eval *e, rs_rank_result *out)
{
	double		n = (double) e->users;

	memset(out, 0, sizeof(*out));
	out->users = e->users;
	if (e->users == 0)
	{
		out->hit_rate = out->precision = out->recall = NAN;
		out->ndcg = out->map = out->coverage = NAN;
		return;
	}
	out->hit_rate = e->hits / n;
	out->precision = e->precision / n;
	out->recall = e->recall / n;
	out->ndcg = e->ndcg / n;
	out->map = e->ap / n;
	out->coverage = (double) e->distinct / (double) e->n_items;
}
