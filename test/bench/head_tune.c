/*-------------------------------------------------------------------------
 *
 * head_tune.c
 *		Time and accuracy of a default training (the kind's rating loss,
 *		then the ranking head) without a server: the tool of TUNING.md's
 *		"Training time of the defaults on u1".
 *
 *	  head_tune [-k kind] [-runs R] [-threads T] [-v] TRAIN TEST [name=value ...]
 *	  head_tune [-k kind] [-runs R] [-threads T] -synth N [-holdout F] [name=value ...]
 *
 * TRAIN and TEST are MovieLens-style files (user, item, rating, timestamp
 * separated by tabs).  With -synth N, N ratings come from the core's
 * synthetic generator (users and items in MovieLens-20M's proportions, as
 * mf_threads.c) and a seeded fraction F (default 0.1) of them is the test
 * part.  Each of the R runs (default 5) builds the dataset as the server
 * does (rs_ratings, rows sorted by user and item), trains with T threads
 * (default 2, the caller's budget as recsys.threads gives it), and reports
 * the seconds of the rating loss's epochs and of the head (rank_seconds),
 * the test RMSE and the ranking metrics of recsys_evaluate_ranking: users
 * with a test rating of 4 or more, top 10 over the items the user did not
 * rate in training, binary gains.  The last line is the median of each
 * column over the runs.  Not run by the tests; the data are not in the
 * repository.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  test/bench/head_tune.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <cblas.h>

#include "metrics.h"
#include "bench_driver.h"
#include "model.h"
#include "ratings.h"
#include "synthetic.h"

static double
cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* test rows by user, then item */
static int
cmp_row(const void *a, const void *b)
{
	const row  *x = a;
	const row  *y = b;

	if (x->user != y->user)
		return (x->user > y->user) - (x->user < y->user);
	return (x->item > y->item) - (x->item < y->item);
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* ranking metrics at 10 of m on test (sorted by user): relevant = rating >= 4 */
static void
rank_metrics(const rs_model *m, const row *test, size_t n, rs_rank_result *res)
{
	rs_rank_eval e;
	rs_error	err;
	int32_t    *rel = malloc((n + 1) * sizeof(int32_t));
	size_t		a = 0;

	if (rs_rank_eval_init(&e, m->n_items, 10, &rs_malloc_allocator, &err) != RS_OK)
		exit(1);
	while (a < n)
	{
		size_t		b = a;
		size_t		n_rel = 0;

		while (b < n && test[b].user == test[a].user)
		{
			if (test[b].rating >= 4)
				rel[n_rel++] = rs_model_item_index(m, test[b].item);
			b++;
		}
		if (n_rel > 0)
		{
			qsort(rel, n_rel, sizeof(int32_t), cmp_i32);
			rs_rank_eval_user(&e, m, rs_model_user_index(m, test[a].user),
							  rel, n_rel);
		}
		a = b;
	}
	rs_rank_eval_result(&e, res);
	rs_rank_eval_free(&e);
	free(rel);
}

#define N_COLS 11
static const char *const col_names[N_COLS] = {
	"epochs", "sgd_s", "rank_s", "train_s", "rmse", "ndcg10", "hr10",
	"recall10", "map10", "coverage", "cpu_s"
};

int
main(int argc, char **argv)
{
	const char *kind_name = "mf";
	int			runs = 5;
	int			threads = 2;
	long long	synth = 0;
	double		holdout = 0.1;
	row		   *train = NULL,
			   *test = NULL;
	size_t		n_train = 0,
				n_test = 0;
	rs_params	p;
	rs_error	err;
	double	   *cols[N_COLS];
	int			a;
	int			run;
	int			c;
	const rs_kind *kind;

	for (a = 1; a < argc && argv[a][0] == '-'; a++)
	{
		if (strcmp(argv[a], "-k") == 0 && a + 1 < argc)
			kind_name = argv[++a];
		else if (strcmp(argv[a], "-runs") == 0 && a + 1 < argc)
			runs = atoi(argv[++a]);
		else if (strcmp(argv[a], "-threads") == 0 && a + 1 < argc)
			threads = atoi(argv[++a]);
		else if (strcmp(argv[a], "-synth") == 0 && a + 1 < argc)
			synth = atoll(argv[++a]);
		else if (strcmp(argv[a], "-holdout") == 0 && a + 1 < argc)
			holdout = atof(argv[++a]);
		else if (strcmp(argv[a], "-v") == 0)
			verbose = 1;
		else
		{
			fprintf(stderr, "unknown flag %s\n", argv[a]);
			return 2;
		}
	}
	kind = rs_kind_find(kind_name);
	if (kind == NULL || runs < 1)
	{
		fprintf(stderr, "unknown kind %s or bad -runs\n", kind_name);
		return 2;
	}
	if (synth > 0)
	{
		int32_t		nu = (int32_t) (138000.0 * (double) synth / 2e7);
		int32_t		ni = (int32_t) (27000.0 * (double) synth / 2e7);
		rs_synth   *s;
		rs_synth_row sr;
		rs_rng		rng;

		if (rs_synth_create(nu, ni, synth, 1, &rs_malloc_allocator, &s, &err) != RS_OK)
			return 1;
		train = malloc((size_t) synth * sizeof(row));
		test = malloc((size_t) synth * sizeof(row));
		rs_rng_seed(&rng, 7);
		while (rs_synth_next(s, &sr))
		{
			row			x = {sr.user_id, sr.item_id, sr.rating, sr.time};

			if (rs_rng_uniform(&rng) < holdout)
				test[n_test++] = x;
			else
				train[n_train++] = x;
		}
		rs_synth_free(s);
	}
	else
	{
		if (a + 1 >= argc)
		{
			fprintf(stderr, "usage: head_tune [-k kind] [-runs R] [-threads T] [-v] TRAIN TEST [name=value ...]\n"
					"       head_tune [-k kind] [-runs R] [-threads T] -synth N [-holdout F] [name=value ...]\n");
			return 2;
		}
		train = read_rows(argv[a++], &n_train);
		test = read_rows(argv[a++], &n_test);
	}
	qsort(test, n_test, sizeof(row), cmp_row);

	/*
	 * The evaluation's matrix-vector products on one thread: OpenBLAS's
	 * idle workers spin for a while after a threaded call, and would take
	 * CPU from the next run's training.
	 */
	openblas_set_num_threads(1);

	rs_params_default(&p, kind);
	for (; a < argc; a++)
	{
		char		name[64];
		const char *eq = strchr(argv[a], '=');
		const char *val;
		char	   *endp;
		double		x;
		rs_status	rc;

		if (eq == NULL || (size_t) (eq - argv[a]) >= sizeof(name))
		{
			fprintf(stderr, "bad option %s\n", argv[a]);
			return 2;
		}
		memcpy(name, argv[a], eq - argv[a]);
		name[eq - argv[a]] = '\0';
		val = eq + 1;
		x = strtod(val, &endp);
		if (strcmp(val, "true") == 0)
			rc = rs_params_set(&p, name, 1, &err);
		else if (strcmp(val, "false") == 0)
			rc = rs_params_set(&p, name, 0, &err);
		else if (*endp == '\0' && endp != val)
			rc = rs_params_set(&p, name, x, &err);
		else
			rc = rs_params_set_choice(&p, name, val, &err);
		if (rc != RS_OK)
		{
			fprintf(stderr, "option %s: %s\n", err.field, err.message);
			return 2;
		}
	}

	for (c = 0; c < N_COLS; c++)
		cols[c] = malloc((size_t) runs * sizeof(double));
	for (c = 0; c < N_COLS; c++)
		printf("%s%s", c ? " " : "", col_names[c]);
	printf("\n");
	for (run = 0; run < runs; run++)
	{
		rs_train_hooks hooks = {NULL, NULL, epoch_end, threads};
		rs_ratings *rr = rs_ratings_create(&rs_malloc_allocator,
										   kind->sequential);
		rs_dataset	d;
		rs_model   *m;
		rs_rank_result res;
		double		t0,
					c0,
					secs,
					sq = 0;
		size_t		r;

		for (r = 0; r < n_train; r++)
			if (rs_ratings_add(rr, train[r].user, train[r].item,
							   train[r].rating, train[r].time, &err) != RS_OK)
				return 1;
		if (rs_ratings_finish(rr, &d, &err) != RS_OK)
			return 1;
		c0 = cpu_now();
		t0 = now();
		if (rs_model_train(&p, &d, &rs_malloc_allocator, &hooks, &m, &err) != RS_OK)
		{
			fprintf(stderr, "train failed: %s: %s\n", err.field, err.message);
			return 1;
		}
		secs = now() - t0;
		cols[10][run] = cpu_now() - c0;
		for (r = 0; r < n_test; r++)
		{
			double		e = rs_model_predict(m, rs_model_user_index(m, test[r].user),
											 rs_model_item_index(m, test[r].item))
				- test[r].rating;

			sq += e * e;
		}
		rank_metrics(m, test, n_test, &res);
		cols[0][run] = m->n_epochs;
		cols[1][run] = secs - m->rank_seconds;
		cols[2][run] = m->rank_seconds;
		cols[3][run] = secs;
		cols[4][run] = sqrt(sq / (double) n_test);
		cols[5][run] = res.ndcg;
		cols[6][run] = res.hit_rate;
		cols[7][run] = res.recall;
		cols[8][run] = res.map;
		cols[9][run] = res.coverage;
		printf("%.0f", cols[0][run]);
		for (c = 1; c < N_COLS; c++)
			printf(" %.4f", cols[c][run]);
		printf("\n");
		fflush(stdout);
		rs_model_free(m);
		rs_ratings_free(rr);
	}
	printf("median");
	for (c = 0; c < N_COLS; c++)
	{
		qsort(cols[c], (size_t) runs, sizeof(double), cmp_double);
		printf(" %.4f", runs % 2 ? cols[c][runs / 2] :
			   (cols[c][runs / 2 - 1] + cols[c][runs / 2]) / 2);
	}
	printf("\n");
	for (c = 0; c < N_COLS; c++)
		free(cols[c]);
	free(train);
	free(test);
	return 0;
}
