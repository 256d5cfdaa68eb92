/*-------------------------------------------------------------------------
 *
 * bench_driver.h
 *		What the standalone drivers of the numeric core (mf_tune.c,
 *		head_tune.c) share: a ratings file read into rows, a wall clock,
 *		and the epoch notice of -v.  Header-only, so that each driver still
 *		builds with one gcc line (test/bench/TUNING.md).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  test/bench/bench_driver.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_BENCH_DRIVER_H
#define RECSYS_BENCH_DRIVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

typedef struct row
{
	int64_t		user;
	int64_t		item;
	float		rating;
	double		time;			/* the timestamp column, 0 when absent */
} row;

/* read a tab-separated ratings file into a malloc'd array */
static row *
read_rows(const char *path, size_t *n)
{
	FILE	   *f = fopen(path, "r");
	row		   *rows = NULL;
	size_t		cap = 0;
	long long	u,
				i;
	double		r;
	double		t;
	char		line[256];

	*n = 0;
	if (f == NULL)
	{
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f))
	{
		t = 0;
		if (sscanf(line, "%lld %lld %lf %lf", &u, &i, &r, &t) < 3)
			continue;
		if (*n == cap)
		{
			cap = cap ? cap * 2 : 1024;
			rows = realloc(rows, cap * sizeof(row));
		}
		rows[*n].user = u;
		rows[*n].item = i;
		rows[*n].rating = (float) r;
		rows[*n].time = t;
		(*n)++;
	}
	fclose(f);
	return rows;
}

/* seconds of a monotonic clock */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* -v: one line per epoch on stderr */
static int	verbose = 0;

static void
epoch_end(void *arg, const rs_epoch_info *info)
{
	if (verbose)
		fprintf(stderr, "epoch %3d loss %.5f val %.5f %.3fs%s\n", info->epoch,
				info->train_loss, info->val_rmse, info->seconds,
				info->is_best ? " *" : "");
}

#endif							/* RECSYS_BENCH_DRIVER_H */
