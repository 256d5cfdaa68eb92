/*-------------------------------------------------------------------------
 *
 * ratings.c
 *		Growable set of rating rows with external ids mapped to dense indexes.
 *
 * Rows live in parallel arrays (user and item int32, rating float, time
 * double when asked for), grown geometrically through the allocator.  Each
 * of the two id maps is an append-only array of external ids (dense index ->
 * id) plus an open-addressing hash table with linear probing (Knuth, TAOCP
 * vol. 3, 6.4, algorithm L) whose slots hold dense index + 1, 0 meaning
 * empty, so a zeroed allocation is an empty table.  The table is doubled
 * when more than 5/8 full, which keeps probe sequences short.  Ids are
 * hashed with the splitmix64 finalizer (Steele, Lea and Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014), which spreads
 * sequential ids over the whole table.
 *
 * rs_ratings_finish() makes the dataset a function of the multiset of rows
 * only, not of the order they were read in (serial and parallel reading must
 * train the same model):
 *   1. the ids of each map are sorted and the dense indexes renumbered so
 *      that user_ids and item_ids ascend;
 *   2. the rows are grouped by user with a counting sort (O(n + n_users),
 *      stable), scattering one array at a time into a new buffer;
 *   3. each user's rows are sorted by (time if present, item, rating) with a
 *      comparison sort, O(d log d) for a user of d rows.  Rows equal in every
 *      key are identical, so the order among them does not matter.
 *      Duplicate (user, item) rows are kept.
 * Memory peak of finish: the row arrays (12 bytes a row, 16 with time), plus
 * one more copy of the largest single row array while it is scattered (4
 * bytes a row, 8 with time), plus 16 bytes per id for the sort of the id
 * tables, 8 bytes per user for the counting sort, and 16 bytes per row of
 * the largest user for step 3.  The hash tables are freed first.
 *
 * Serialized image (all little-endian):
 *   u32 magic "RSRT", u32 version, u32 flags (1 = time), u32 reserved (0),
 *   u64 n, u64 n_users, u64 n_items,
 *   i64 user_ids[n_users], i64 item_ids[n_items],
 *   i32 user[n], i32 item[n], f32 rating[n], [f64 time[n]]
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/ratings.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "ratings.h"

#define RS_RATINGS_MAGIC 0x54525352u	/* "RSRT" read as little-endian */
#define RS_RATINGS_VERSION 1u
#define RS_RATINGS_HEADER 40
#define RS_RATINGS_MIN_CAP 1024
#define RS_ID_MAX ((size_t) INT32_MAX)

/* one id map: dense index -> external id, and a hash table for the reverse */
typedef struct rs_idmap
{
	int64_t    *ids;			/* (cap) external id of each dense index */
	size_t		n;
	size_t		cap;
	uint32_t   *slots;			/* (n_slots) dense index + 1, 0 = empty */
	size_t		n_slots;		/* power of two, or 0 once finished */
} rs_idmap;

struct rs_ratings
{
	rs_allocator alloc;
	bool		with_time;
	bool		finished;

	/* rows */
	size_t		n;
	size_t		cap;
	int32_t    *user;			/* (cap) */
	int32_t    *item;			/* (cap) */
	float	   *rating;			/* (cap) */
	double	   *time;			/* (cap) or NULL */

	rs_idmap	users;
	rs_idmap	items;
};

/* ---------- id maps ---------- */

/* splitmix64 finalizer: a bijective 64-bit mix */
static inline uint64_t
hash_id(int64_t id)
{
	uint64_t	z = (uint64_t) id;

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* slot of id in m's table: either its entry or the empty slot to fill */
static size_t
idmap_slot(const rs_idmap *m, int64_t id)
{
	size_t		mask = m->n_slots - 1;
	size_t		pos = (size_t) hash_id(id) & mask;

	while (m->slots[pos] != 0 && m->ids[m->slots[pos] - 1] != id)
		pos = (pos + 1) & mask;
	return pos;
}

/* rebuild the hash table of m with n_slots slots */
static rs_status
idmap_rehash(rs_idmap *m, const rs_allocator *a, size_t n_slots, rs_error *err)
{
	uint32_t   *slots = rs_alloc(a, rs_mul_size(n_slots, sizeof(uint32_t)));
	size_t		i;

	if (slots == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for the id table");
	rs_free(a, m->slots);
	m->slots = slots;
	m->n_slots = n_slots;
	for (i = 0; i < m->n; i++)
		m->slots[idmap_slot(m, m->ids[i])] = (uint32_t) (i + 1);
	return RS_OK;
}

/* dense index of id in m, adding it when new; -1 with err set on failure */
static int32_t
idmap_get(rs_idmap *m, const rs_allocator *a, int64_t id, const char *what,
		  rs_error *err)
{
	size_t		pos;

	if (m->n_slots == 0 || (m->n + 1) * 8 > m->n_slots * 5)
	{
		size_t		n_slots = m->n_slots ? m->n_slots * 2 : 1024;

		if (n_slots > ((size_t) 1 << 33) ||
			idmap_rehash(m, a, n_slots, err) != RS_OK)
		{
			if (n_slots > ((size_t) 1 << 33))
				rs_error_set(err, RS_ERR_LIMIT, what, "too many %ss", what);
			return -1;
		}
	}
	pos = idmap_slot(m, id);
	if (m->slots[pos] != 0)
		return (int32_t) (m->slots[pos] - 1);

	if (m->n >= RS_ID_MAX)
	{
		rs_error_set(err, RS_ERR_LIMIT, what,
					 "more than %zu distinct %s ids", RS_ID_MAX, what);
		return -1;
	}
	if (m->n == m->cap)
	{
		size_t		cap = m->cap ? m->cap * 2 : 256;
		int64_t    *ids = rs_realloc(a, m->ids, rs_mul_size(cap, sizeof(int64_t)));

		if (ids == NULL)
		{
			rs_error_set(err, RS_ERR_NOMEM, what, "out of memory for %s ids", what);
			return -1;
		}
		m->ids = ids;
		m->cap = cap;
	}
	m->ids[m->n] = id;
	m->slots[pos] = (uint32_t) (m->n + 1);
	return (int32_t) m->n++;
}

/* free what m holds */
static void
idmap_free(rs_idmap *m, const rs_allocator *a)
{
	rs_free(a, m->ids);
	rs_free(a, m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---------- rows ---------- */

/* an empty set of rows */
rs_ratings *
rs_ratings_create(const rs_allocator *alloc, bool with_time)
{
	rs_ratings *r = rs_alloc(alloc, sizeof(rs_ratings));

	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->alloc = *alloc;
	r->with_time = with_time;
	return r;
}

/* free r and everything it holds, including a finished dataset's arrays */
void
rs_ratings_free(rs_ratings *r)
{
	rs_allocator a;

	if (r == NULL)
		return;
	a = r->alloc;
	rs_free(&a, r->user);
	rs_free(&a, r->item);
	rs_free(&a, r->rating);
	rs_free(&a, r->time);
	idmap_free(&r->users, &a);
	idmap_free(&r->items, &a);
	rs_free(&a, r);
}

/* make room for at least need rows */
static rs_status
ratings_reserve(rs_ratings *r, size_t need, rs_error *err)
{
	size_t		cap;
	void	   *p;

	if (need <= r->cap)
		return RS_OK;
	cap = r->cap < RS_RATINGS_MIN_CAP ? RS_RATINGS_MIN_CAP : r->cap;
	while (cap < need)
		cap = rs_mul_size(cap, 2);
	/* 16 bytes a row is the most we hold; refuse sizes that overflow */
	if (rs_mul_size(cap, 16) == (size_t) -1)
		return rs_error_set(err, RS_ERR_LIMIT, "", "too many rows");

	if ((p = rs_realloc(&r->alloc, r->user, cap * sizeof(int32_t))) == NULL)
		goto nomem;
	r->user = p;
	if ((p = rs_realloc(&r->alloc, r->item, cap * sizeof(int32_t))) == NULL)
		goto nomem;
	r->item = p;
	if ((p = rs_realloc(&r->alloc, r->rating, cap * sizeof(float))) == NULL)
		goto nomem;
	r->rating = p;
	if (r->with_time)
	{
		if ((p = rs_realloc(&r->alloc, r->time, cap * sizeof(double))) == NULL)
			goto nomem;
		r->time = p;
	}
	r->cap = cap;
	return RS_OK;

nomem:
	/* arrays already grown stay valid: they are merely larger than cap */
	return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for %zu rows", need);
}

/* append one row, mapping its ids to dense indexes */
rs_status
rs_ratings_add(rs_ratings *r, int64_t user_id, int64_t item_id,
			   float rating, double time, rs_error *err)
{
	int32_t		u,
				i;
	rs_status	st;

	if (r->finished)
		return rs_error_set(err, RS_ERR_PARAM, "", "rows added after finish");
	if ((st = ratings_reserve(r, r->n + 1, err)) != RS_OK)
		return st;
	if ((u = idmap_get(&r->users, &r->alloc, user_id, "user", err)) < 0)
		return err ? err->code : RS_ERR_NOMEM;
	if ((i = idmap_get(&r->items, &r->alloc, item_id, "item", err)) < 0)
		return err ? err->code : RS_ERR_NOMEM;
	r->user[r->n] = u;
	r->item[r->n] = i;
	r->rating[r->n] = rating;
	if (r->with_time)
		r->time[r->n] = time;
	r->n++;
	return RS_OK;
}

/* map every id of src through dst's table; map has src->n entries */
static rs_status
merge_map(rs_idmap *dst, const rs_allocator *a, const rs_idmap *src,
		  int32_t *map, const char *what, rs_error *err)
{
	size_t		i;

	for (i = 0; i < src->n; i++)
	{
		map[i] = idmap_get(dst, a, src->ids[i], what, err);
		if (map[i] < 0)
			return err ? err->code : RS_ERR_NOMEM;
	}
	return RS_OK;
}

/* append every row of src to dst */
rs_status
rs_ratings_merge(rs_ratings *dst, const rs_ratings *src, rs_error *err)
{
	int32_t    *umap = NULL,
			   *imap = NULL;
	size_t		j,
				base;
	rs_status	st;

	if (dst->finished || src->finished)
		return rs_error_set(err, RS_ERR_PARAM, "", "merge of a finished set of ratings");
	if (src->n == 0)
		return RS_OK;
	if ((st = ratings_reserve(dst, rs_add_size(dst->n, src->n), err)) != RS_OK)
		return st;
	umap = rs_alloc(&dst->alloc, rs_mul_size(src->users.n + 1, sizeof(int32_t)));
	imap = rs_alloc(&dst->alloc, rs_mul_size(src->items.n + 1, sizeof(int32_t)));
	if (umap == NULL || imap == NULL)
	{
		st = rs_error_set(err, RS_ERR_NOMEM, "", "out of memory merging ratings");
		goto done;
	}
	if ((st = merge_map(&dst->users, &dst->alloc, &src->users, umap, "user", err)) != RS_OK ||
		(st = merge_map(&dst->items, &dst->alloc, &src->items, imap, "item", err)) != RS_OK)
		goto done;

	base = dst->n;
	for (j = 0; j < src->n; j++)
	{
		dst->user[base + j] = umap[src->user[j]];
		dst->item[base + j] = imap[src->item[j]];
		dst->rating[base + j] = src->rating[j];
		if (dst->with_time)
			dst->time[base + j] = src->with_time ? src->time[j] : 0.0;
	}
	dst->n += src->n;

done:
	rs_free(&dst->alloc, umap);
	rs_free(&dst->alloc, imap);
	return st;
}

/* number of rows */
size_t
rs_ratings_count(const rs_ratings *r)
{
	return r->n;
}

/* whether rows carry a time */
bool
rs_ratings_has_time(const rs_ratings *r)
{
	return r->with_time;
}

/* bytes allocated for r, for the memory limit */
size_t
rs_ratings_memory(const rs_ratings *r)
{
	size_t		row = 2 * sizeof(int32_t) + sizeof(float) +
		(r->with_time ? sizeof(double) : 0);
	size_t		total = sizeof(rs_ratings);

	total = rs_add_size(total, rs_mul_size(r->cap, row));
	total = rs_add_size(total, rs_mul_size(r->users.cap, sizeof(int64_t)));
	total = rs_add_size(total, rs_mul_size(r->items.cap, sizeof(int64_t)));
	total = rs_add_size(total, rs_mul_size(r->users.n_slots, sizeof(uint32_t)));
	total = rs_add_size(total, rs_mul_size(r->items.n_slots, sizeof(uint32_t)));
	return total;
}

/*
 * Bytes a collector of n rows of n_users users and n_items items holds once
 * they are all added (the rows at their exact count, the id tables, the
 * hash tables at their load factor): what rs_ratings_memory will say, give
 * or take the growth of the arrays.
 */
size_t
rs_ratings_estimate_memory(size_t n, size_t n_users, size_t n_items,
						   bool with_time)
{
	size_t		row = 2 * sizeof(int32_t) + sizeof(float) +
		(with_time ? sizeof(double) : 0);
	size_t		total = sizeof(rs_ratings);

	total = rs_add_size(total, rs_mul_size(n, row));
	total = rs_add_size(total, rs_mul_size(rs_add_size(n_users, n_items),
										   sizeof(int64_t)));
	/* slots: at most 5/8 full, so about 8/5 of the ids */
	total = rs_add_size(total, rs_mul_size(rs_add_size(n_users, n_items) / 5 * 8,
										   sizeof(uint32_t)));
	return total;
}

/* ---------- serialization ---------- */

/* bytes of the image of r; SIZE_MAX if it would not fit in memory */
static size_t
image_size(size_t n, size_t n_users, size_t n_items, bool with_time)
{
	size_t		row = 2 * sizeof(int32_t) + sizeof(float) +
		(with_time ? sizeof(double) : 0);
	size_t		total = RS_RATINGS_HEADER;

	total = rs_add_size(total, rs_mul_size(n_users, 8));
	total = rs_add_size(total, rs_mul_size(n_items, 8));
	total = rs_add_size(total, rs_mul_size(n, row));
	return total;
}

/* size of the flat image of r */
size_t
rs_ratings_serialized_size(const rs_ratings *r)
{
	return image_size(r->n, r->users.n, r->items.n, r->with_time);
}

/* write the flat image of r to buf (rs_ratings_serialized_size bytes) */
void
rs_ratings_serialize(const rs_ratings *r, uint8_t *buf)
{
	uint8_t    *p = buf;

	rs_put_u32(p, RS_RATINGS_MAGIC);
	rs_put_u32(p + 4, RS_RATINGS_VERSION);
	rs_put_u32(p + 8, r->with_time ? 1u : 0u);
	rs_put_u32(p + 12, 0);
	rs_put_u64(p + 16, r->n);
	rs_put_u64(p + 24, r->users.n);
	rs_put_u64(p + 32, r->items.n);
	p += RS_RATINGS_HEADER;
	rs_copy_le(p, r->users.ids, r->users.n, 8);
	p += r->users.n * 8;
	rs_copy_le(p, r->items.ids, r->items.n, 8);
	p += r->items.n * 8;
	rs_copy_le(p, r->user, r->n, 4);
	p += r->n * 4;
	rs_copy_le(p, r->item, r->n, 4);
	p += r->n * 4;
	rs_copy_le(p, r->rating, r->n, 4);
	p += r->n * 4;
	if (r->with_time)
		rs_copy_le(p, r->time, r->n, 8);
}

/* load n ids into m and build its table; duplicates are corruption */
static rs_status
idmap_load(rs_idmap *m, const rs_allocator *a, const uint8_t *p, size_t n,
		   const char *what, rs_error *err)
{
	size_t		n_slots = 1024;
	size_t		i;

	m->ids = rs_alloc(a, rs_mul_size(n ? n : 1, sizeof(int64_t)));
	if (m->ids == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, what, "out of memory for %s ids", what);
	m->cap = n ? n : 1;
	rs_copy_le(m->ids, p, n, 8);
	while (n * 8 > n_slots * 5)
		n_slots *= 2;
	m->slots = rs_alloc(a, rs_mul_size(n_slots, sizeof(uint32_t)));
	if (m->slots == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, what, "out of memory for the id table");
	m->n_slots = n_slots;
	for (i = 0; i < n; i++)
	{
		size_t		pos;

		m->n = i;				/* the probe only looks at ids[0..i) */
		pos = idmap_slot(m, m->ids[i]);
		if (m->slots[pos] != 0)
			return rs_error_set(err, RS_ERR_CORRUPT, what,
								"duplicate %s id in serialized ratings", what);
		m->slots[pos] = (uint32_t) (i + 1);
	}
	m->n = n;
	return RS_OK;
}

/* check an image and rebuild the set of ratings it holds */
rs_status
rs_ratings_deserialize(const uint8_t *buf, size_t len,
					   const rs_allocator *alloc,
					   rs_ratings **out, rs_error *err)
{
	uint32_t	flags;
	uint64_t	n,
				n_users,
				n_items;
	size_t		j;
	const uint8_t *p;
	rs_ratings *r;
	rs_status	st;

	*out = NULL;
	if (len < RS_RATINGS_HEADER)
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized ratings truncated: %zu bytes", len);
	if (rs_get_u32(buf) != RS_RATINGS_MAGIC)
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized ratings have a wrong magic number");
	if (rs_get_u32(buf + 4) != RS_RATINGS_VERSION)
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized ratings have version %u, expected %u",
							rs_get_u32(buf + 4), RS_RATINGS_VERSION);
	flags = rs_get_u32(buf + 8);
	if ((flags & ~1u) != 0 || rs_get_u32(buf + 12) != 0)
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized ratings have unknown flags");
	n = rs_get_u64(buf + 16);
	n_users = rs_get_u64(buf + 24);
	n_items = rs_get_u64(buf + 32);
	/* check the counts against the length before allocating anything */
	if (n_users > RS_ID_MAX || n_items > RS_ID_MAX || n > SIZE_MAX / 16 ||
		image_size((size_t) n, (size_t) n_users, (size_t) n_items, flags & 1) != len)
		return rs_error_set(err, RS_ERR_CORRUPT, "",
							"serialized ratings have %zu bytes, not what their counts need", len);

	r = rs_ratings_create(alloc, (flags & 1) != 0);
	if (r == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for ratings");
	p = buf + RS_RATINGS_HEADER;
	if ((st = idmap_load(&r->users, alloc, p, (size_t) n_users, "user", err)) != RS_OK)
		goto fail;
	p += n_users * 8;
	if ((st = idmap_load(&r->items, alloc, p, (size_t) n_items, "item", err)) != RS_OK)
		goto fail;
	p += n_items * 8;
	if ((st = ratings_reserve(r, (size_t) n, err)) != RS_OK)
		goto fail;
	rs_copy_le(r->user, p, (size_t) n, 4);
	p += n * 4;
	rs_copy_le(r->item, p, (size_t) n, 4);
	p += n * 4;
	rs_copy_le(r->rating, p, (size_t) n, 4);
	p += n * 4;
	if (r->with_time)
		rs_copy_le(r->time, p, (size_t) n, 8);
	r->n = (size_t) n;

	for (j = 0; j < r->n; j++)
	{
		if (r->user[j] < 0 || (uint64_t) r->user[j] >= n_users ||
			r->item[j] < 0 || (uint64_t) r->item[j] >= n_items)
		{
			st = rs_error_set(err, RS_ERR_CORRUPT, "",
							  "serialized ratings row %zu has an index out of range", j);
			goto fail;
		}
		if (!isfinite(r->rating[j]))
		{
			st = rs_error_set(err, RS_ERR_CORRUPT, "rating",
							  "serialized ratings row %zu has a rating that is not finite", j);
			goto fail;
		}
	}
	*out = r;
	return RS_OK;

fail:
	rs_ratings_free(r);
	return st;
}

/* ---------- finish ---------- */

typedef struct id_rank
{
	int64_t		id;
	int32_t		old;
} id_rank;

/* qsort order of id_rank by id */
static int
cmp_id_rank(const void *a, const void *b)
{
	int64_t		x = ((const id_rank *) a)->id;
	int64_t		y = ((const id_rank *) b)->id;

	return (x > y) - (x < y);
}

/*
 * Sort the ids of m ascending and replace each index idx[0..n) (old dense
 * indexes of m) by the new index of the same id.
 */
static rs_status
renumber(rs_idmap *m, const rs_allocator *a, int32_t *idx, size_t n,
		 rs_error *err)
{
	id_rank    *tmp;
	int32_t    *new_of_old;
	size_t		i;

	tmp = rs_alloc(a, rs_mul_size(m->n ? m->n : 1, sizeof(id_rank)));
	new_of_old = rs_alloc(a, rs_mul_size(m->n ? m->n : 1, sizeof(int32_t)));
	if (tmp == NULL || new_of_old == NULL)
	{
		rs_free(a, tmp);
		rs_free(a, new_of_old);
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory sorting ids");
	}
	for (i = 0; i < m->n; i++)
	{
		tmp[i].id = m->ids[i];
		tmp[i].old = (int32_t) i;
	}
	qsort(tmp, m->n, sizeof(id_rank), cmp_id_rank);
	for (i = 0; i < m->n; i++)
	{
		m->ids[i] = tmp[i].id;
		new_of_old[tmp[i].old] = (int32_t) i;
	}
	rs_free(a, tmp);
	for (i = 0; i < n; i++)
		idx[i] = new_of_old[idx[i]];
	rs_free(a, new_of_old);
	return RS_OK;
}

/* the sort key of a row inside its user's group */
typedef struct row_key
{
	double		time;			/* 0 when there is no time column */
	int32_t		item;
	float		rating;
} row_key;

/* total order of doubles: NaN after everything, so qsort stays consistent */
static inline int
cmp_double(double x, double y)
{
	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return (int) isnan(x) - (int) isnan(y);
}

/* qsort order of row_key by (time, item, rating) */
static int
cmp_row_key(const void *a, const void *b)
{
	const row_key *x = a;
	const row_key *y = b;
	int			c;

	if ((c = cmp_double(x->time, y->time)) != 0)
		return c;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return cmp_double(x->rating, y->rating);
}

/*
 * Scatter array src (n elements of width bytes) into a new array in the
 * order given by the user of each row and the running offsets in cursor
 * (a copy of the group starts); frees src and returns the new array.
 */
static void *
scatter(const rs_allocator *a, void *src, size_t n, size_t width,
		const int32_t *user, const size_t *start, size_t *cursor,
		size_t n_users)
{
	uint8_t    *dst = rs_alloc(a, rs_mul_size(n ? n : 1, width));
	size_t		j;

	if (dst == NULL)
		return NULL;
	memcpy(cursor, start, n_users * sizeof(size_t));
	for (j = 0; j < n; j++)
		memcpy(dst + cursor[user[j]]++ * width, (uint8_t *) src + j * width, width);
	rs_free(a, src);
	return dst;
}

/* renumber ids ascending, sort rows by (user, time, item), give a dataset */
rs_status
rs_ratings_finish(rs_ratings *r, rs_dataset *out, rs_error *err)
{
	const rs_allocator *a = &r->alloc;
	size_t		n_users = r->users.n;
	size_t	   *start = NULL,
			   *cursor = NULL;
	row_key    *keys = NULL;
	size_t		u,
				j,
				max_group = 0;
	void	   *p;
	rs_status	st = RS_OK;

	memset(out, 0, sizeof(*out));
	if (r->finished)
		return rs_error_set(err, RS_ERR_PARAM, "", "ratings finished twice");

	/* the hash tables are of no use once indexes change: free them first */
	rs_free(a, r->users.slots);
	rs_free(a, r->items.slots);
	r->users.slots = r->items.slots = NULL;
	r->users.n_slots = r->items.n_slots = 0;
	r->finished = true;

	if ((st = renumber(&r->users, a, r->user, r->n, err)) != RS_OK ||
		(st = renumber(&r->items, a, r->item, r->n, err)) != RS_OK)
		return st;

	/* counting sort by user: group starts, then one array at a time */
	start = rs_alloc(a, rs_mul_size(n_users + 1, sizeof(size_t)));
	cursor = rs_alloc(a, rs_mul_size(n_users + 1, sizeof(size_t)));
	if (start == NULL || cursor == NULL)
		goto nomem;
	for (j = 0; j < r->n; j++)
		start[r->user[j] + 1]++;
	for (u = 0; u < n_users; u++)
	{
		if (start[u + 1] > max_group)
			max_group = start[u + 1];
		start[u + 1] += start[u];
	}
	if ((p = scatter(a, r->item, r->n, sizeof(int32_t), r->user, start, cursor, n_users)) == NULL)
		goto nomem;
	r->item = p;
	if ((p = scatter(a, r->rating, r->n, sizeof(float), r->user, start, cursor, n_users)) == NULL)
		goto nomem;
	r->rating = p;
	if (r->with_time)
	{
		if ((p = scatter(a, r->time, r->n, sizeof(double), r->user, start, cursor, n_users)) == NULL)
			goto nomem;
		r->time = p;
	}
	for (u = 0; u < n_users; u++)
		for (j = start[u]; j < start[u + 1]; j++)
			r->user[j] = (int32_t) u;
	rs_free(a, cursor);
	cursor = NULL;

	/* within each user: (time, item, rating) */
	keys = rs_alloc(a, rs_mul_size(max_group ? max_group : 1, sizeof(row_key)));
	if (keys == NULL)
		goto nomem;
	for (u = 0; u < n_users; u++)
	{
		size_t		b = start[u],
					d = start[u + 1] - start[u];

		if (d < 2)
			continue;
		for (j = 0; j < d; j++)
		{
			keys[j].time = r->with_time ? r->time[b + j] : 0.0;
			keys[j].item = r->item[b + j];
			keys[j].rating = r->rating[b + j];
		}
		qsort(keys, d, sizeof(row_key), cmp_row_key);
		for (j = 0; j < d; j++)
		{
			if (r->with_time)
				r->time[b + j] = keys[j].time;
			r->item[b + j] = keys[j].item;
			r->rating[b + j] = keys[j].rating;
		}
	}
	rs_free(a, keys);
	rs_free(a, start);

	out->n = r->n;
	out->n_users = (int32_t) r->users.n;
	out->n_items = (int32_t) r->items.n;
	out->user = r->user;
	out->item = r->item;
	out->rating = r->rating;
	out->time = r->with_time ? r->time : NULL;
	out->user_ids = r->users.ids;
	out->item_ids = r->items.ids;
	return RS_OK;

nomem:
	/*
	 * A failed scatter leaves its source array in place, so r stays
	 * consistent enough to be freed; the dataset is not usable.
	 */
	rs_free(a, start);
	rs_free(a, cursor);
	rs_free(a, keys);
	return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory sorting %zu ratings", r->n);
}
