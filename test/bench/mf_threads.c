/*-------------------------------------------------------------------------
 *
 * mf_threads.c
 *		Seconds per epoch of mf's per-rating SGD against the number of
 *		threads, on synthetic ratings, without a server: the measurement
 *		behind the choice of parallel scheme (see RESULTS.md "Scale: analysis").
 *
 *	  mf_threads N_RATINGS EPOCHS THREADS [name=value ...]
 *
 * Users and items are scaled like MovieLens-20M (138,000 and 27,000 for
 * 20 M ratings).  Prints one line per epoch and the mean of epochs 2..E.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  test/bench/mf_threads.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ratings.h"
#include "synthetic.h"

static double sum_seconds = 0.0;
static int	n_seen = 0;

/* print an epoch and add its time (the first epoch warms caches: skipped) */
static void
on_epoch(void *arg, const rs_epoch_info *info)
{
	printf("epoch %d: loss %.4f val %.4f %.3f s\n", info->epoch,
		   info->train_loss, info->val_rmse, info->seconds);
	if (info->epoch > 1)
	{
		sum_seconds += info->seconds;
		n_seen++;
	}
}

/* generate, train, report */
int
main(int argc, char **argv)
{
	int64_t		n = argc > 1 ? atoll(argv[1]) : 5000000;
	int			epochs = argc > 2 ? atoi(argv[2]) : 4;
	int			threads = argc > 3 ? atoi(argv[3]) : 1;
	int32_t		nu = (int32_t) (138000.0 * (double) n / 2e7);
	int32_t		ni = (int32_t) (27000.0 * (double) n / 2e7);
	rs_synth   *s;
	rs_synth_row row;
	rs_ratings *r;
	rs_dataset	d;
	rs_params	p;
	rs_model   *m;
	rs_error	err;
	rs_train_hooks hooks = {NULL, NULL, on_epoch, 0};
	int			a;

	hooks.threads = threads;
	if (rs_synth_create(nu, ni, n, 1, &rs_malloc_allocator, &s, &err) != RS_OK)
		return 1;
	r = rs_ratings_create(&rs_malloc_allocator, false);
	while (rs_synth_next(s, &row))
		rs_ratings_add(r, row.user_id, row.item_id, row.rating, 0.0, &err);
	if (rs_ratings_finish(r, &d, &err) != RS_OK)
		return 1;
	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "epochs", epochs, &err);
	for (a = 4; a < argc; a++)
	{
		char	   *eq = strchr(argv[a], '=');

		if (eq)
		{
			*eq = '\0';
			if (rs_params_set(&p, argv[a], atof(eq + 1), &err) != RS_OK)
				fprintf(stderr, "%s: %s\n", err.field, err.message);
		}
	}
	if (rs_model_train(&p, &d, &rs_malloc_allocator, &hooks, &m, &err) != RS_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	printf("threads %d: %.3f s per epoch (mean of epochs 2..%d)\n", threads,
		   n_seen ? sum_seconds / n_seen : 0.0, epochs);
	rs_model_free(m);
	rs_ratings_free(r);
	rs_synth_free(s);
	return 0;
}
