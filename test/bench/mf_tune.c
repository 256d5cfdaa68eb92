/*-------------------------------------------------------------------------
 *
 * mf_tune.c
 *		Train a model of the numeric core on a ratings file and report RMSE:
 *		the tool the mf defaults were tuned with (see TUNING.md).
 *
 *	  mf_tune [-k kind] [-holdout F] [-split-seed S] TRAIN [TEST] [name=value ...]
 *
 * TRAIN and TEST are MovieLens-style files (user, item, rating, timestamp
 * separated by tabs).  With -holdout F a fraction F of TRAIN (drawn with
 * split-seed) is kept out of training and reported as "tune" RMSE: the
 * defaults are chosen on that number, never on TEST.  Options are set with
 * rs_params_set (numbers, true/false) or rs_params_set_choice (names).
 * The data files are never part of the repository; this tool is not run by
 * the tests.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  test/bench/mf_tune.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_driver.h"
#include "model.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

/* sorted distinct values of v (n) in place; returns the count */
static size_t
uniq(int64_t *v, size_t n)
{
	size_t		j = 0,
				i;

	qsort(v, n, sizeof(int64_t), cmp_i64);
	for (i = 0; i < n; i++)
		if (j == 0 || v[j - 1] != v[i])
			v[j++] = v[i];
	return j;
}

static int32_t
index_of(const int64_t *v, size_t n, int64_t x)
{
	int64_t    *p = bsearch(&x, v, n, sizeof(int64_t), cmp_i64);

	return p ? (int32_t) (p - v) : -1;
}

/* dense dataset of rows */
static rs_dataset
build_dataset(const row *rows, size_t n)
{
	rs_dataset	d;
	size_t		r;

	memset(&d, 0, sizeof(d));
	d.n = n;
	d.user_ids = malloc(n * sizeof(int64_t));
	d.item_ids = malloc(n * sizeof(int64_t));
	for (r = 0; r < n; r++)
	{
		d.user_ids[r] = rows[r].user;
		d.item_ids[r] = rows[r].item;
	}
	d.n_users = (int32_t) uniq(d.user_ids, n);
	d.n_items = (int32_t) uniq(d.item_ids, n);
	d.user = malloc(n * sizeof(int32_t));
	d.item = malloc(n * sizeof(int32_t));
	d.rating = malloc(n * sizeof(float));
	d.time = malloc(n * sizeof(double));
	for (r = 0; r < n; r++)
	{
		d.time[r] = rows[r].time;
		d.user[r] = index_of(d.user_ids, d.n_users, rows[r].user);
		d.item[r] = index_of(d.item_ids, d.n_items, rows[r].item);
		d.rating[r] = rows[r].rating;
	}
	return d;
}

/* RMSE of m on rows, looking ids up (unknown ids use the cold-start path) */
static double
rmse_on(const rs_model *m, const row *rows, size_t n)
{
	double		s = 0;
	size_t		r;

	for (r = 0; r < n; r++)
	{
		double		e = rs_model_predict(m, rs_model_user_index(m, rows[r].user),
										 rs_model_item_index(m, rows[r].item))
			- rows[r].rating;

		s += e * e;
	}
	return n ? sqrt(s / n) : NAN;
}

int
main(int argc, char **argv)
{
	const char *kind_name = "mf";
	double		holdout = 0;
	uint64_t	split_seed = 1;
	const char *train_path = NULL,
			   *test_path = NULL;
	row		   *all,
			   *test = NULL,
			   *tune = NULL;
	size_t		n_all,
				n_test = 0,
				n_tune = 0,
				n_train;
	rs_params	p;
	rs_error	err;
	rs_dataset	d;
	rs_model   *m;
	rs_train_hooks hooks = {NULL, NULL, epoch_end};
	int			a;
	double		t0,
				secs;
	const rs_kind *kind;

	for (a = 1; a < argc && argv[a][0] == '-'; a++)
	{
		if (strcmp(argv[a], "-k") == 0 && a + 1 < argc)
			kind_name = argv[++a];
		else if (strcmp(argv[a], "-holdout") == 0 && a + 1 < argc)
			holdout = atof(argv[++a]);
		else if (strcmp(argv[a], "-split-seed") == 0 && a + 1 < argc)
			split_seed = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "-v") == 0)
			verbose = 1;
		else
		{
			fprintf(stderr, "unknown flag %s\n", argv[a]);
			return 2;
		}
	}
	if (a >= argc)
	{
		fprintf(stderr, "usage: mf_tune [-k kind] [-holdout F] [-split-seed S] [-v] TRAIN [TEST] [name=value ...]\n");
		return 2;
	}
	kind = rs_kind_find(kind_name);
	if (kind == NULL)
	{
		fprintf(stderr, "unknown kind %s\n", kind_name);
		return 2;
	}
	rs_params_default(&p, kind);
	train_path = argv[a++];
	if (a < argc && strchr(argv[a], '=') == NULL)
		test_path = argv[a++];
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

	all = read_rows(train_path, &n_all);
	if (test_path)
		test = read_rows(test_path, &n_test);
	n_train = n_all;
	if (holdout > 0)
	{
		/* move a seeded random fraction of TRAIN to the end: the tune set */
		rs_rng		rng;
		size_t		r;

		rs_rng_seed(&rng, split_seed);
		for (r = n_all - 1; r > 0; r--)
		{
			size_t		j = rs_rng_below(&rng, r + 1);
			row			t = all[r];

			all[r] = all[j];
			all[j] = t;
		}
		n_tune = (size_t) (holdout * n_all);
		n_train = n_all - n_tune;
		tune = all + n_train;
	}
	d = build_dataset(all, n_train);

	t0 = now();
	if (rs_model_train(&p, &d, &rs_malloc_allocator, &hooks, &m, &err) != RS_OK)
	{
		fprintf(stderr, "train failed: %s: %s\n", err.field, err.message);
		return 1;
	}
	secs = now() - t0;
	printf("epochs %d best %d train_rows %zu seconds %.3f",
		   m->n_epochs, m->best_epoch, n_train, secs);
	if (m->best_epoch > 0)
		printf(" val %.4f", m->history[(m->best_epoch - 1) * RS_HISTORY_COLS + 2]);
	if (n_tune)
		printf(" tune %.4f", rmse_on(m, tune, n_tune));
	if (n_test)
		printf(" test %.4f", rmse_on(m, test, n_test));
	printf("\n");
	rs_model_free(m);
	return 0;
}
