/*-------------------------------------------------------------------------
 *
 * rank.h
 *		The ranking objective every kind shares: an implicit-feedback
 *		factorization trained by alternating least squares (iALS), and the
 *		options that choose and tune it.
 *
 * A model trained only on squared rating error ranks worse than the list of
 * most popular items: unobserved items never enter its loss, so items with
 * few high ratings float to the top.  The ranking head learns which items a
 * user picks instead.  It is a second pair of factor matrices, W (users) and
 * H (items), that minimise (Hu, Koren and Volinsky, ICDM 2008, in the form
 * of Rendle, Krichene, Zhang and Koren, "Revisiting the performance of iALS
 * on item recommendation benchmarks", RecSys 2022):
 *
 *	 L = sum over observed (u,i) of c_ui (w_u . h_i - 1)^2
 *	   + alpha0 * sum over all (u,i) of (w_u . h_i)^2
 *	   + lambda * sum_u (n_u + alpha0 * n_items) |w_u|^2
 *	   + lambda * sum_i (n_i + alpha0 * n_users) |h_i|^2
 *
 * where c_ui is the confidence of an observed pair (1, plus a bonus for
 * recent steps of a user's history when the kind reads time).  Each half
 * sweep updates every row against the k x k system built from the Gramian
 * of the other side (one ssyrk) and the row's own observed pairs: by a few
 * conjugate-gradient steps that start from the row's value of the sweep
 * before (Takacs, Pilaszy and Tikk, "Applications of the conjugate gradient
 * method for implicit feedback collaborative filtering", RecSys 2011), or
 * by an exact Cholesky solve ("rank_cg_steps": 0).  Rows are independent
 * (threads without locks), and the work is linear in the ratings: a CG
 * step costs O(k^2 + n_row k), an exact solve O(k^3 + n_row k^2).
 *
 * recsys_recommend ranks by w_u . h_i when a model has the head;
 * recsys_predict keeps the kind's rating.  A query-time history is folded
 * in: the user's row is solved against the fixed H.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/rank.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_RANK_H
#define RECSYS_RANK_H

#include "model.h"

/* what a training optimises; the values of the "objective" option */
typedef enum rs_objective
{
	RS_OBJECTIVE_RATING = 0,	/* the kind's rating loss only */
	RS_OBJECTIVE_RANKING = 1,	/* the ranking head only */
	RS_OBJECTIVE_BOTH = 2		/* both: predict rates, recommend ranks */
} rs_objective;

extern const char *const rs_objective_names[];

/*
 * The options of the ranking head, appended to every kind's option table
 * (so they are declared once).  recency is the default confidence bonus of
 * a user's newest step; kinds that read time order use it.
 */
#define RS_RANK_N_OPTIONS 7
#define RS_RANK_OPTIONS(recency) \
	{"objective", RS_OPT_ENUM, RS_OBJECTIVE_BOTH, 0, 2, rs_objective_names, \
	"\"rating\", \"ranking\" or \"both\": what training optimises"}, \
	{"rank_factors", RS_OPT_INT, 64, 1, 1024, NULL, \
	"latent factors of the ranking head"}, \
	{"rank_iterations", RS_OPT_INT, 8, 1, 100, NULL, \
	"alternating least-squares sweeps of the ranking head"}, \
	{"rank_cg_steps", RS_OPT_INT, 3, 0, 100, NULL, \
	"conjugate-gradient steps per row and sweep, from the row's last value (0: solve each row exactly)"}, \
	{"rank_unobserved_weight", RS_OPT_REAL, 0.05, 0, 100, NULL, \
	"weight of every unobserved pair in the ranking loss (alpha0)"}, \
	{"rank_l2", RS_OPT_REAL, 0.03, 0, 1000, NULL, \
	"L2 regularisation of the ranking head, scaled by each row's pairs"}, \
	{"rank_recency", RS_OPT_REAL, (recency), 0, 1000, NULL, \
	"extra confidence of a user's newest step, falling with the fourth power of its age rank to 0 at its oldest (kinds that read time)"}

/* the objective of a model's options */
extern rs_objective rs_rank_objective(const rs_params *p);

/* true when a model of these options trains (and stores) the head */
extern bool rs_rank_enabled(const rs_params *p);

/* bytes the head's training needs beyond the stored factors */
extern size_t rs_rank_train_memory(const rs_params *p, int32_t n_users,
								   int32_t n_items, size_t n_ratings);

/*
 * Register the head's tensors ("rank_user", "rank_item", "item_count") in
 * m, allocated and zeroed; sets m->rank_user, m->rank_item, m->item_count.
 */
extern rs_status rs_rank_init(rs_model *m, rs_error *err);

/*
 * Train the head on every row of d (time ordered by user when recency is
 * used: d->time set).  Calls hooks->progress after each half sweep, on the
 * calling thread.
 */
extern rs_status rs_rank_train(rs_model *m, const rs_dataset *d,
							   const rs_train_hooks *hooks, rs_error *err);

/* ranking score of item i for user u (-1: unknown; see rs_rank_score_items) */
extern double rs_rank_score_pair(const rs_model *m, int32_t u, int32_t i);

/* ranking scores of every item for user u (-1: by item count) into out */
extern void rs_rank_score_items(const rs_model *m, int32_t u, float *out);
/* the scores of users first .. first + n_users - 1 (all known), n_users rows */
extern void rs_rank_score_users(const rs_model *m, int32_t first,
								int32_t n_users, float *out);

/*
 * Ranking scores of every item after a history given at query time (n
 * known items, dense indexes, oldest first): the user's row solved against
 * the fixed item factors, as a training sweep would.  n == 0 gives the
 * item-count scores.
 */
extern rs_status rs_rank_score_history(const rs_model *m,
									   const int32_t *items, size_t n,
									   float *out, rs_error *err);

/* the loss L above on the rows of d, for tests (double precision) */
extern double rs_rank_loss(const rs_model *m, const rs_dataset *d);

#endif							/* RECSYS_RANK_H */
