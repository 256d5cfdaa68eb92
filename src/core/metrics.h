/*-------------------------------------------------------------------------
 *
 * metrics.h
 *		Ranking metrics of top-k lists: an accumulator the glue feeds one
 *		user at a time.
 *
 * The protocol (README "Evaluating lists"): for each user with at least
 * one relevant item, the list is the model's top k over every item of the
 * model except the user's training items; gains are binary; NDCG@k divides
 * by the ideal DCG of min(relevant, k) hits; AP@k divides by min(relevant,
 * k); coverage is the distinct items of all lists over the model's items.
 * Relevant items the model does not know count as relevant and can never be
 * hit.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_METRICS_H
#define RECSYS_METRICS_H

#include "model.h"

typedef struct rs_rank_eval
{
	int32_t		k;				/* as asked: precision divides by it */
	int32_t		list_len;		/* min(k, n_items): the longest list */
	int32_t		n_items;
	const rs_allocator *alloc;

	/* sums over users */
	int64_t		users;
	double		hits;			/* users with at least one hit */
	double		precision;
	double		recall;
	double		ndcg;
	double		ap;
	int64_t		distinct;		/* items in at least one list */
	uint8_t    *listed;			/* (n_items) item was in a list */

	/* scratch of one user */
	float	   *scores;			/* (n_items) */
	int32_t    *top;			/* (k) */
	float	   *top_score;		/* (k) */
} rs_rank_eval;

typedef struct rs_rank_result
{
	int64_t		users;
	double		hit_rate;
	double		precision;
	double		recall;
	double		ndcg;
	double		map;
	double		coverage;
} rs_rank_result;

extern rs_status rs_rank_eval_init(rs_rank_eval *e, int32_t n_items, int32_t k,
								   const rs_allocator *alloc, rs_error *err);
extern void rs_rank_eval_free(rs_rank_eval *e);

/*
 * Add one user's list (n dense item indexes, best first) against its
 * relevant items (n_rel dense indexes, ascending, no duplicates; -1 for
 * items the model does not know, which sort first).
 */
extern void rs_rank_eval_list(rs_rank_eval *e, const int32_t *list, int n,
							  const int32_t *relevant, size_t n_rel);

/*
 * Add user u (-1: unknown to the model) of m: its list from the model's
 * scores with its training items left out, against relevant as above.
 */
extern void rs_rank_eval_user(rs_rank_eval *e, const rs_model *m, int32_t u,
							  const int32_t *relevant, size_t n_rel);

extern void rs_rank_eval_result(const rs_rank_eval *e, rs_rank_result *out);

#endif							/* RECSYS_METRICS_H */
