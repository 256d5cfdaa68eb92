/*
 * test_synthetic.c
 *		The planted-model generator: determinism, counts, ranges, order, skew.
 */
#include <stdlib.h>
#include <string.h>

#include "synthetic.h"
#include "unit.h"

/* generate everything of one configuration, checking row invariants */
static void
check_stream(int32_t nu, int32_t ni, int64_t nr, uint64_t seed)
{
	rs_synth   *s = NULL;
	rs_error	err;
	rs_synth_row row;
	int64_t		n = 0;
	int64_t		last_user = 0;
	double		last_time = -1;
	int64_t    *per_item = calloc((size_t) ni, sizeof(int64_t));
	char	   *seen = calloc((size_t) ni, 1);
	int64_t		bad_range = 0,
				bad_order = 0,
				dup = 0;
	double		sum = 0,
				sumsq = 0;

	CHECK(rs_synth_create(nu, ni, nr, seed, &rs_malloc_allocator, &s, &err) == RS_OK);
	if (s == NULL)
		return;
	while (rs_synth_next(s, &row))
	{
		if (row.user_id < 1 || row.user_id > nu || row.item_id < 1 ||
			row.item_id > ni || row.rating < 1 || row.rating > 5 ||
			row.rating != floorf(row.rating))
			bad_range++;
		else
		{
			if (row.user_id != last_user)
			{
				if (row.user_id < last_user)
					bad_order++;
				memset(seen, 0, (size_t) ni);
				last_time = -1;
				last_user = row.user_id;
			}
			if (!(row.time > last_time))
				bad_order++;
			last_time = row.time;
			if (seen[row.item_id - 1])
				dup++;
			seen[row.item_id - 1] = 1;
			per_item[row.item_id - 1]++;
		}
		sum += row.rating;
		sumsq += (double) row.rating * row.rating;
		n++;
	}
	CHECK(!rs_synth_next(s, &row));
	CHECK_MSG(n == nr, "%lld rows, expected %lld", (long long) n, (long long) nr);
	CHECK(bad_range == 0);
	CHECK(bad_order == 0);
	CHECK(dup == 0);
	if (nr >= 10000)
	{
		/* the most popular tenth of the items: a large share of ratings */
		int64_t    *sorted = malloc(sizeof(int64_t) * (size_t) ni);
		int64_t		top = 0;
		int32_t		i,
					j;
		double		mean = sum / (double) n;

		memcpy(sorted, per_item, sizeof(int64_t) * (size_t) ni);
		for (i = 0; i < ni / 10; i++)	/* partial selection sort, small ni */
		{
			int32_t		best = i;

			for (j = i + 1; j < ni; j++)
				if (sorted[j] > sorted[best])
					best = j;
			top += sorted[best];
			sorted[best] = sorted[i];
		}
		CHECK_MSG(top > 0.35 * (double) n, "top decile share %.3f", (double) top / (double) n);
		CHECK_MSG(mean > 3.0 && mean < 4.0, "mean rating %.3f", mean);
		CHECK_MSG(sqrt(sumsq / (double) n - mean * mean) > 0.7, "rating spread too small");
		free(sorted);
	}
	rs_synth_free(s);
	free(per_item);
	free(seen);
}

/* counts, ranges, distinct items, time order, skew */
static void
test_synth_stream(void)
{
	check_stream(500, 300, 20000, 1);
	check_stream(50, 40, 1900, 2);	/* heavy users: near a full matrix */
	check_stream(7, 5, 35, 3);		/* exactly full */
	check_stream(10, 10, 0, 4);
	check_stream(1, 1000, 999, 5);
}

/* same arguments, same stream; another seed, another stream */
static void
test_synth_determinism(void)
{
	rs_synth   *a = NULL,
			   *b = NULL,
			   *c = NULL;
	rs_error	err;
	rs_synth_row ra,
				rb,
				rc;
	int			same = 1,
				differ = 0;

	CHECK(rs_synth_create(100, 80, 3000, 9, &rs_malloc_allocator, &a, &err) == RS_OK);
	CHECK(rs_synth_create(100, 80, 3000, 9, &rs_malloc_allocator, &b, &err) == RS_OK);
	CHECK(rs_synth_create(100, 80, 3000, 10, &rs_malloc_allocator, &c, &err) == RS_OK);
	while (rs_synth_next(a, &ra))
	{
		CHECK(rs_synth_next(b, &rb));
		CHECK(rs_synth_next(c, &rc));
		if (ra.user_id != rb.user_id || ra.item_id != rb.item_id ||
			ra.rating != rb.rating || ra.time != rb.time)
			same = 0;
		if (ra.item_id != rc.item_id || ra.rating != rc.rating)
			differ = 1;
	}
	CHECK(same);
	CHECK(differ);
	rs_synth_free(a);
	rs_synth_free(b);
	rs_synth_free(c);
}

/* impossible sizes are refused, not looped on */
static void
test_synth_params(void)
{
	rs_synth   *s = NULL;
	rs_error	err;

	CHECK(rs_synth_create(10, 10, 101, 1, &rs_malloc_allocator, &s, &err) == RS_ERR_PARAM);
	CHECK(s == NULL);
	CHECK(rs_synth_create(0, 10, 1, 1, &rs_malloc_allocator, &s, &err) == RS_ERR_PARAM);
	CHECK(rs_synth_create(10, 0, 1, 1, &rs_malloc_allocator, &s, &err) == RS_ERR_PARAM);
	CHECK(rs_synth_create(10, 10, -1, 1, &rs_malloc_allocator, &s, &err) == RS_ERR_PARAM);
	CHECK(rs_synth_noise_std() > 0 && rs_synth_noise_std() < 1);
}

void
suite_synthetic(void)
{
	unit_run("synthetic_stream", test_synth_stream);
	unit_run("synthetic_determinism", test_synth_determinism);
	unit_run("synthetic_params", test_synth_params);
}
