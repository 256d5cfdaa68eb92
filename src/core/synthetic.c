/*-------------------------------------------------------------------------
 *
 * synthetic.c
 *		Ratings from a planted low-rank model with Zipf item popularity.
 *
 * At creation we draw, from one generator seeded with the seed, the planted
 * model: RS_SYNTH_RANK normal factors per user and item with standard
 * deviation 0.46 (so the dot product of two such vectors has standard
 * deviation sqrt(RS_SYNTH_RANK) * 0.46^2 = 0.6 stars), normal user and item
 * biases (0.3 stars each), a global mean of 3.5; a Zipf popularity
 * 1 / rank (Zipf, "Human behavior and the principle of least effort", 1949)
 * over a random permutation of the items, kept as a cumulative table; and
 * the number of ratings of every user, proportional to a log-normal weight
 * (so activity varies as in real data), exactly n_ratings in all and at
 * most n_items per user.
 *
 * Rows are then produced user by user, nothing stored: when a user starts,
 * a generator seeded with (seed, user) draws its distinct items.  Light
 * users (fewer ratings than a quarter of the items) draw by inverse CDF with
 * binary search and reject repeats through a small hash set whose slots are
 * stamped with the user, so it never needs clearing.  Heavy users, where
 * rejection would crawl through the long tail, take the top count keys
 * log(u) / w_i of all items (Efraimidis and Spirakis, "Weighted random
 * sampling with a reservoir", Information Processing Letters 97(5), 2006),
 * which is weighted sampling without replacement in one pass.  The rating is
 * clip(round(mean + biases + dot + N(0, 0.5^2)), 1, 5); times start at a
 * random moment of the user's first five years and step by exponential gaps
 * of one day on average.
 *
 * Memory is O(n_users + n_items): about 48 bytes a user and 56 an item.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/synthetic.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "synthetic.h"
#include "topk.h"

#define SYNTH_MEAN 3.5
#define SYNTH_FACTOR_STD 0.46
#define SYNTH_BIAS_STD 0.3
#define SYNTH_NOISE_STD 0.5
#define SYNTH_ACTIVITY_SIGMA 0.8
#define SYNTH_DAY 86400.0
#define SYNTH_START_SPAN (5 * 365 * SYNTH_DAY)

struct rs_synth
{
	rs_allocator alloc;
	int32_t		n_users;
	int32_t		n_items;
	int64_t		n_ratings;
	uint64_t	seed;

	/* the planted model */
	float	   *user_factors;	/* (n_users, RS_SYNTH_RANK) */
	float	   *item_factors;	/* (n_items, RS_SYNTH_RANK) */
	float	   *user_bias;		/* (n_users) */
	float	   *item_bias;		/* (n_items) */
	double	   *cdf;			/* (n_items) cumulative popularity, last = 1 */
	int64_t    *count;			/* (n_users) ratings of each user */

	/* scratch for the current user */
	int32_t    *items;			/* (n_items) its items, in draw order */
	float	   *keys;			/* (n_items) Efraimidis-Spirakis keys */
	float	   *key_score;		/* (n_items) top-k scores, unused */
	int32_t    *set_item;		/* (set_size) hash set of drawn items */
	uint32_t   *set_stamp;		/* (set_size) user + 1 that owns the slot */
	size_t		set_size;		/* power of two */

	/* position in the stream */
	int32_t		user;			/* current user */
	int64_t		pos;			/* next of its items */
	int64_t		produced;
	double		time;
	rs_rng		urng;			/* the current user's generator */
};

/* the noise standard deviation before rounding */
double
rs_synth_noise_std(void)
{
	return SYNTH_NOISE_STD;
}

/* free s */
void
rs_synth_free(rs_synth *s)
{
	rs_allocator a;

	if (s == NULL)
		return;
	a = s->alloc;
	rs_free(&a, s->user_factors);
	rs_free(&a, s->item_factors);
	rs_free(&a, s->user_bias);
	rs_free(&a, s->item_bias);
	rs_free(&a, s->cdf);
	rs_free(&a, s->count);
	rs_free(&a, s->items);
	rs_free(&a, s->keys);
	rs_free(&a, s->key_score);
	rs_free(&a, s->set_item);
	rs_free(&a, s->set_stamp);
	rs_free(&a, s);
}

/*
 * Split n_ratings over the users in proportion to weight, at most cap each,
 * exactly n_ratings in all (the caller checked n_ratings <= n_users * cap).
 */
static void
split_counts(int64_t *count, const double *weight, int32_t n_users,
			 int64_t n_ratings, int64_t cap)
{
	double		total = 0.0;
	int64_t		left = n_ratings;
	int32_t		u;

	for (u = 0; u < n_users; u++)
		total += weight[u];
	for (u = 0; u < n_users; u++)
	{
		int64_t		c = (int64_t) floor((double) n_ratings * weight[u] / total);

		if (c > cap)
			c = cap;
		if (c > left)
			c = left;
		count[u] = c;
		left -= c;
	}
	/* the rounding remainder and what the cap cut off: spread it evenly */
	while (left > 0)
	{
		int64_t		open = 0,
					share;

		for (u = 0; u < n_users; u++)
			if (count[u] < cap)
				open++;
		share = left / open;
		if (share < 1)
			share = 1;
		for (u = 0; u < n_users && left > 0; u++)
		{
			int64_t		add = cap - count[u];

			if (add > share)
				add = share;
			if (add > left)
				add = left;
			count[u] += add;
			left -= add;
		}
	}
}

/* allocate the planted model and the per-user plan */
rs_status
rs_synth_create(int32_t n_users, int32_t n_items, int64_t n_ratings,
				uint64_t seed, const rs_allocator *alloc, rs_synth **out,
				rs_error *err)
{
	rs_synth   *s;
	rs_rng		rng;
	double	   *weight = NULL;
	int32_t    *perm = NULL;
	size_t		nu,
				ni,
				i;
	double		h = 0.0,
				acc = 0.0;

	*out = NULL;
	if (n_users < 1 || n_items < 1)
		return rs_error_set(err, RS_ERR_PARAM, n_users < 1 ? "n_users" : "n_items",
							"numbers of users and items must be at least 1");
	if (n_ratings < 0 || n_ratings > (int64_t) n_users * (int64_t) n_items)
		return rs_error_set(err, RS_ERR_PARAM, "n_ratings",
							"number of ratings must be between 0 and n_users * n_items (%lld)",
							(long long) n_users * (long long) n_items);
	nu = (size_t) n_users;
	ni = (size_t) n_items;

	s = rs_alloc(alloc, sizeof(rs_synth));
	if (s == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for synthetic ratings");
	memset(s, 0, sizeof(*s));
	s->alloc = *alloc;
	s->n_users = n_users;
	s->n_items = n_items;
	s->n_ratings = n_ratings;
	s->seed = seed;
	s->user = -1;

	s->set_size = 16;
	while (s->set_size < ni)
		s->set_size *= 2;
	s->user_factors = rs_alloc(alloc, rs_mul_size(nu, RS_SYNTH_RANK * sizeof(float)));
	s->item_factors = rs_alloc(alloc, rs_mul_size(ni, RS_SYNTH_RANK * sizeof(float)));
	s->user_bias = rs_alloc(alloc, rs_mul_size(nu, sizeof(float)));
	s->item_bias = rs_alloc(alloc, rs_mul_size(ni, sizeof(float)));
	s->cdf = rs_alloc(alloc, rs_mul_size(ni, sizeof(double)));
	s->count = rs_alloc(alloc, rs_mul_size(nu, sizeof(int64_t)));
	s->items = rs_alloc(alloc, rs_mul_size(ni, sizeof(int32_t)));
	s->keys = rs_alloc(alloc, rs_mul_size(ni, sizeof(float)));
	s->key_score = rs_alloc(alloc, rs_mul_size(ni, sizeof(float)));
	s->set_item = rs_alloc(alloc, rs_mul_size(s->set_size, sizeof(int32_t)));
	s->set_stamp = rs_alloc(alloc, rs_mul_size(s->set_size, sizeof(uint32_t)));
	weight = rs_alloc(alloc, rs_mul_size(nu > ni ? nu : ni, sizeof(double)));
	perm = rs_alloc(alloc, rs_mul_size(ni, sizeof(int32_t)));
	if (!s->user_factors || !s->item_factors || !s->user_bias ||
		!s->item_bias || !s->cdf || !s->count || !s->items || !s->keys ||
		!s->key_score || !s->set_item || !s->set_stamp || !weight || !perm)
	{
		rs_free(alloc, weight);
		rs_free(alloc, perm);
		rs_synth_free(s);
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for synthetic ratings");
	}

	rs_rng_seed(&rng, seed);
	for (i = 0; i < nu * RS_SYNTH_RANK; i++)
		s->user_factors[i] = (float) (SYNTH_FACTOR_STD * rs_rng_normal(&rng));
	for (i = 0; i < ni * RS_SYNTH_RANK; i++)
		s->item_factors[i] = (float) (SYNTH_FACTOR_STD * rs_rng_normal(&rng));
	for (i = 0; i < nu; i++)
		s->user_bias[i] = (float) (SYNTH_BIAS_STD * rs_rng_normal(&rng));
	for (i = 0; i < ni; i++)
		s->item_bias[i] = (float) (SYNTH_BIAS_STD * rs_rng_normal(&rng));

	/* popularity: item perm[r] has rank r, weight 1 / (r + 1) */
	for (i = 0; i < ni; i++)
		perm[i] = (int32_t) i;
	for (i = ni - 1; i > 0; i--)
	{
		size_t		j = (size_t) rs_rng_below(&rng, i + 1);
		int32_t		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < ni; i++)
	{
		weight[perm[i]] = 1.0 / (double) (i + 1);
		h += 1.0 / (double) (i + 1);
	}
	for (i = 0; i < ni; i++)
	{
		acc += weight[i] / h;
		s->cdf[i] = acc;
	}
	s->cdf[ni - 1] = 1.0;

	/* activity: log-normal weights, split into exact counts */
	for (i = 0; i < nu; i++)
		weight[i] = exp(SYNTH_ACTIVITY_SIGMA * rs_rng_normal(&rng));
	split_counts(s->count, weight, n_users, n_ratings, n_items);

	rs_free(alloc, weight);
	rs_free(alloc, perm);
	*out = s;
	return RS_OK;
}

/* an item drawn by popularity: the first whose cumulative weight exceeds u */
static int32_t
draw_item(const rs_synth *s, double u)
{
	size_t		lo = 0,
				hi = (size_t) s->n_items - 1;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (s->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (int32_t) lo;
}

/* uniform in (0, 1), never 0, so its log is finite */
static double
open_uniform(rs_rng *rng)
{
	return ((double) (rs_rng_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* draw the distinct items of user u into s->items and start its clock */
static void
start_user(rs_synth *s, int32_t u)
{
	int64_t		count = s->count[u];
	uint32_t	stamp = (uint32_t) u + 1;
	size_t		i;

	rs_rng_seed(&s->urng, s->seed ^ (UINT64_C(0x9E3779B97F4A7C15) * ((uint64_t) u + 1)));
	s->user = u;
	s->pos = 0;
	s->time = open_uniform(&s->urng) * SYNTH_START_SPAN;

	if (count * 4 > s->n_items)
	{
		/* heavy user: Efraimidis-Spirakis keys, the count largest win */
		for (i = 0; i < (size_t) s->n_items; i++)
		{
			double		w = s->cdf[i] - (i > 0 ? s->cdf[i - 1] : 0.0);

			s->keys[i] = w > 0 ? (float) (log(open_uniform(&s->urng)) / w) : -INFINITY;
		}
		rs_topk(s->keys, s->n_items, (int32_t) count, s->items, s->key_score);
		/* the order of the top-k is by key: shuffle it into a draw order */
		for (i = (size_t) count - 1; i > 0 && count > 1; i--)
		{
			size_t		j = (size_t) rs_rng_below(&s->urng, i + 1);
			int32_t		t = s->items[i];

			s->items[i] = s->items[j];
			s->items[j] = t;
		}
	}
	else
	{
		/* light user: inverse CDF, repeats rejected through the stamped set */
		size_t		mask = 16;
		int64_t		k = 0;

		while (mask < (size_t) count * 2)
			mask *= 2;
		mask -= 1;
		while (k < count)
		{
			int32_t		it = draw_item(s, rs_rng_uniform(&s->urng));
			size_t		pos = ((uint32_t) it * UINT32_C(2654435761)) & mask;

			while (s->set_stamp[pos] == stamp && s->set_item[pos] != it)
				pos = (pos + 1) & mask;
			if (s->set_stamp[pos] == stamp)
				continue;		/* a repeat */
			s->set_stamp[pos] = stamp;
			s->set_item[pos] = it;
			s->items[k++] = it;
		}
	}
}

/* the next row of the stream; false at the end */
bool
rs_synth_next(rs_synth *s, rs_synth_row *row)
{
	int32_t		u,
				it;
	double		r;
	int			f;
	const float *pu,
			   *qi;

	if (s->produced >= s->n_ratings)
		return false;
	while (s->user < 0 || s->pos >= s->count[s->user])
		start_user(s, s->user + 1);

	u = s->user;
	it = s->items[s->pos++];
	pu = s->user_factors + (size_t) u * RS_SYNTH_RANK;
	qi = s->item_factors + (size_t) it * RS_SYNTH_RANK;
	r = SYNTH_MEAN + s->user_bias[u] + s->item_bias[it];
	for (f = 0; f < RS_SYNTH_RANK; f++)
		r += (double) pu[f] * qi[f];
	r += SYNTH_NOISE_STD * rs_rng_normal(&s->urng);
	r = floor(r + 0.5);
	if (r < 1.0)
		r = 1.0;
	if (r > 5.0)
		r = 5.0;
	/* exponential gap, at least a second, so times strictly increase */
	s->time += 1.0 + floor(-log(open_uniform(&s->urng)) * SYNTH_DAY);

	row->user_id = (int64_t) u + 1;
	row->item_id = (int64_t) it + 1;
	row->rating = (float) r;
	row->time = s->time;
	s->produced++;
	return true;
}
