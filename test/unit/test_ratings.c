/*
 * test_ratings.c
 *		Rows with id maps: add, merge, serialize, finish.
 */
#include <stdlib.h>
#include <string.h>

#include "ratings.h"
#include "rng.h"
#include "unit.h"

typedef struct test_row
{
	int64_t		user;
	int64_t		item;
	float		rating;
	double		time;
} test_row;

/* n rows with sparse, unordered ids, some duplicate (user, item) pairs */
static test_row *
make_rows(size_t n, uint64_t seed)
{
	test_row   *rows = malloc(sizeof(test_row) * n);
	rs_rng		rng;
	size_t		i;

	rs_rng_seed(&rng, seed);
	for (i = 0; i < n; i++)
	{
		rows[i].user = (int64_t) rs_rng_below(&rng, 60) * 7919 - 100000;
		rows[i].item = (int64_t) rs_rng_below(&rng, 40) * 104729 + ((int64_t) 1 << 40);
		rows[i].rating = (float) (1 + rs_rng_below(&rng, 5));
		rows[i].time = (double) rs_rng_below(&rng, 50);
	}
	return rows;
}

/* a set holding rows */
static rs_ratings *
build(const test_row *rows, size_t n, bool with_time)
{
	rs_ratings *r = rs_ratings_create(&rs_malloc_allocator, with_time);
	rs_error	err;
	size_t		i;

	for (i = 0; i < n; i++)
		if (rs_ratings_add(r, rows[i].user, rows[i].item, rows[i].rating,
						   rows[i].time, &err) != RS_OK)
			CHECK_MSG(0, "add: %s", err.message);
	return r;
}

/* two datasets are identical row by row */
static int
same_dataset(const rs_dataset *a, const rs_dataset *b)
{
	size_t		j;

	if (a->n != b->n || a->n_users != b->n_users || a->n_items != b->n_items ||
		(a->time == NULL) != (b->time == NULL))
		return 0;
	if (memcmp(a->user_ids, b->user_ids, sizeof(int64_t) * (size_t) a->n_users) != 0 ||
		memcmp(a->item_ids, b->item_ids, sizeof(int64_t) * (size_t) a->n_items) != 0)
		return 0;
	for (j = 0; j < a->n; j++)
		if (a->user[j] != b->user[j] || a->item[j] != b->item[j] ||
			a->rating[j] != b->rating[j] || (a->time && a->time[j] != b->time[j]))
			return 0;
	return 1;
}

/* finish: ascending ids, rows sorted, every input row present */
static void
test_ratings_finish(void)
{
	size_t		n = 3000,
				j;
	test_row   *rows = make_rows(n, 1);
	int			with_time;

	for (with_time = 0; with_time <= 1; with_time++)
	{
		rs_ratings *r = build(rows, n, with_time);
		rs_dataset	d;
		rs_error	err;
		int32_t		i;
		double		sum_in = 0,
					sum_out = 0;

		CHECK(rs_ratings_count(r) == n);
		CHECK(rs_ratings_has_time(r) == (with_time != 0));
		CHECK(rs_ratings_memory(r) >= n * 12);
		CHECK(rs_ratings_finish(r, &d, &err) == RS_OK);
		CHECK(d.n == n);
		CHECK(d.n_users == 60 && d.n_items == 40);
		CHECK((d.time != NULL) == (with_time != 0));
		for (i = 1; i < d.n_users; i++)
			CHECK(d.user_ids[i] > d.user_ids[i - 1]);
		for (i = 1; i < d.n_items; i++)
			CHECK(d.item_ids[i] > d.item_ids[i - 1]);
		for (j = 1; j < d.n; j++)
		{
			int			ok = d.user[j] > d.user[j - 1] ||
				(d.user[j] == d.user[j - 1] &&
				 (with_time ? (d.time[j] > d.time[j - 1] ||
							   (d.time[j] == d.time[j - 1] && d.item[j] >= d.item[j - 1]))
				  : d.item[j] >= d.item[j - 1]));

			CHECK_MSG(ok, "row %zu out of order", j);
			if (!ok)
				break;
		}
		/* rows map back to their ids: compare order-independent sums */
		for (j = 0; j < n; j++)
			sum_in += (double) rows[j].rating * (double) (rows[j].user % 1000) +
				(double) (rows[j].item % 997);
		for (j = 0; j < d.n; j++)
			sum_out += (double) d.rating[j] * (double) (d.user_ids[d.user[j]] % 1000) +
				(double) (d.item_ids[d.item[j]] % 997);
		CHECK_NEAR(sum_in, sum_out, 1e-6);
		CHECK(rs_ratings_add(r, 1, 1, 1, 0, &err) != RS_OK);
		rs_ratings_free(r);
	}
	free(rows);
}

/* the finished dataset does not depend on the order rows were added in */
static void
test_ratings_order_independent(void)
{
	size_t		n = 2000,
				j;
	test_row   *rows = make_rows(n, 2);
	rs_rng		rng;
	int			with_time;

	rs_rng_seed(&rng, 77);
	for (with_time = 0; with_time <= 1; with_time++)
	{
		rs_ratings *a = build(rows, n, with_time);
		rs_ratings *b;
		rs_dataset	da,
					db;
		rs_error	err;
		test_row   *shuf = malloc(sizeof(test_row) * n);

		memcpy(shuf, rows, sizeof(test_row) * n);
		for (j = n - 1; j > 0; j--)
		{
			size_t		k = (size_t) rs_rng_below(&rng, j + 1);
			test_row	t = shuf[j];

			shuf[j] = shuf[k];
			shuf[k] = t;
		}
		b = build(shuf, n, with_time);
		CHECK(rs_ratings_finish(a, &da, &err) == RS_OK);
		CHECK(rs_ratings_finish(b, &db, &err) == RS_OK);
		CHECK(same_dataset(&da, &db));
		rs_ratings_free(a);
		rs_ratings_free(b);
		free(shuf);
	}
	free(rows);
}

/* merging parts read in parallel equals reading everything serially */
static void
test_ratings_merge(void)
{
	size_t		n = 2500;
	test_row   *rows = make_rows(n, 3);
	rs_ratings *all = build(rows, n, true);
	rs_ratings *p1 = build(rows, 1000, true);
	rs_ratings *p2 = build(rows + 1000, 900, true);
	rs_ratings *p3 = build(rows + 1900, n - 1900, true);
	rs_ratings *empty = rs_ratings_create(&rs_malloc_allocator, true);
	rs_dataset	da,
				dm;
	rs_error	err;

	/* merge in another order than the rows were read */
	CHECK(rs_ratings_merge(p3, p1, &err) == RS_OK);
	CHECK(rs_ratings_merge(p3, empty, &err) == RS_OK);
	CHECK(rs_ratings_merge(p3, p2, &err) == RS_OK);
	CHECK(rs_ratings_count(p3) == n);
	CHECK(rs_ratings_finish(all, &da, &err) == RS_OK);
	CHECK(rs_ratings_finish(p3, &dm, &err) == RS_OK);
	CHECK(same_dataset(&da, &dm));
	rs_ratings_free(all);
	rs_ratings_free(p1);
	rs_ratings_free(p2);
	rs_ratings_free(p3);
	rs_ratings_free(empty);
	free(rows);
}

/* serialize and deserialize; damaged images are refused */
static void
test_ratings_serialize(void)
{
	size_t		n = 500,
				len,
				cut,
				pos;
	test_row   *rows = make_rows(n, 4);
	int			with_time;

	for (with_time = 0; with_time <= 1; with_time++)
	{
		rs_ratings *r = build(rows, n, with_time);
		rs_ratings *back = NULL;
		rs_ratings *ref = build(rows, n, with_time);
		rs_dataset	d1,
					d2;
		rs_error	err;
		uint8_t    *buf;
		int			crashes_avoided = 0;

		len = rs_ratings_serialized_size(r);
		buf = malloc(len);
		rs_ratings_serialize(r, buf);
		CHECK(rs_ratings_deserialize(buf, len, &rs_malloc_allocator, &back, &err) == RS_OK);
		if (back)
		{
			/* still usable for adding and merging after the trip */
			CHECK(rs_ratings_count(back) == n);
			CHECK(rs_ratings_add(back, rows[0].user, rows[0].item, 5, 1, &err) == RS_OK);
			CHECK(rs_ratings_add(ref, rows[0].user, rows[0].item, 5, 1, &err) == RS_OK);
			CHECK(rs_ratings_finish(back, &d1, &err) == RS_OK);
			CHECK(rs_ratings_finish(ref, &d2, &err) == RS_OK);
			CHECK(same_dataset(&d1, &d2));
			rs_ratings_free(back);
		}

		/* every truncation is refused */
		for (cut = 0; cut < len; cut += (cut < 100 ? 1 : 37))
		{
			back = NULL;
			CHECK(rs_ratings_deserialize(buf, cut, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
			CHECK(back == NULL);
		}
		/* garbled header fields and indexes are refused */
		for (pos = 0; pos < 40 + 16; pos++)
		{
			buf[pos] ^= 0x80;
			back = NULL;
			if (rs_ratings_deserialize(buf, len, &rs_malloc_allocator, &back, &err) == RS_OK)
				rs_ratings_free(back);
			else
				crashes_avoided++;
			buf[pos] ^= 0x80;
		}
		CHECK_MSG(crashes_avoided >= 40, "only %d header corruptions refused", crashes_avoided);
		/* a user index out of range */
		pos = rs_ratings_serialized_size(r) - n * (with_time ? 20 : 12);
		buf[pos + 3] = 0x7f;
		CHECK(rs_ratings_deserialize(buf, len, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
		free(buf);
		rs_ratings_free(r);
		rs_ratings_free(ref);
	}
	free(rows);
}

/* an empty set finishes into an empty dataset */
static void
test_ratings_empty(void)
{
	rs_ratings *r = rs_ratings_create(&rs_malloc_allocator, false);
	rs_dataset	d;
	rs_error	err;
	uint8_t		buf[64];
	rs_ratings *back = NULL;

	CHECK(rs_ratings_serialized_size(r) <= sizeof(buf));
	rs_ratings_serialize(r, buf);
	CHECK(rs_ratings_deserialize(buf, rs_ratings_serialized_size(r),
								 &rs_malloc_allocator, &back, &err) == RS_OK);
	rs_ratings_free(back);
	CHECK(rs_ratings_finish(r, &d, &err) == RS_OK);
	CHECK(d.n == 0 && d.n_users == 0 && d.n_items == 0);
	rs_ratings_free(r);
}

void
suite_ratings(void)
{
	unit_run("ratings_finish", test_ratings_finish);
	unit_run("ratings_order_independent", test_ratings_order_independent);
	unit_run("ratings_merge", test_ratings_merge);
	unit_run("ratings_serialize", test_ratings_serialize);
	unit_run("ratings_empty", test_ratings_empty);
}
