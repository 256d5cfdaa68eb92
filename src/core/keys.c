/*-------------------------------------------------------------------------
 *
 * keys.c
 *		uuid and text ids: their hash, the collector of distinct keys a
 *		training reads, and the keys a model keeps (see keys.h).
 *
 * The collector stores each distinct key once in a byte arena and finds it
 * by hash with open addressing and linear probing (as ratings.c's id maps
 * do), so reading a key costs a hash, a probe and a compare.  A model keeps
 * the keys in index order: since indexes follow ascending ids, the key of a
 * hash found by binary search in user_ids / item_ids sits at the same index.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "byteorder.h"
#include "keys.h"

/* the splitmix64 finalizer (Steele, Lea and Flood, OOPSLA 2014) */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/*
 * Eight bytes at a time, little-endian whatever the machine, each block
 * mixed into the state; the length seeds it, so keys that differ only in
 * trailing zero bytes differ.  Stored models depend on these values: never
 * change them.
 */
int64_t
rs_key_hash(const uint8_t *key, size_t len)
{
	uint64_t	h = UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t) len * UINT64_C(0xc2b2ae3d27d4eb4f));
	size_t		j = 0;

	for (; j + 8 <= len; j += 8)
		h = mix64(h ^ rs_get_u64(key + j)) + UINT64_C(0x9e3779b97f4a7c15);
	if (j < len)
	{
		uint8_t		tail[8] = {0};

		memcpy(tail, key + j, len - j);
		h = mix64(h ^ rs_get_u64(tail) ^ ((uint64_t) (len - j) << 59));
	}
	return (int64_t) mix64(h);
}

/* ---------- the collector ---------- */

struct rs_keys
{
	rs_allocator alloc;
	uint8_t    *bytes;			/* the keys, one after the other */
	size_t		n_bytes;
	size_t		cap_bytes;
	int64_t    *hash;			/* (n) each key's hash */
	size_t	   *start;			/* (n + 1) where each key starts in bytes */
	size_t		n;
	size_t		cap_hash;
	size_t		cap_start;
	int32_t    *slots;			/* key index + 1, 0 for an empty slot */
	size_t		n_slots;		/* a power of two, at least 2 n */
};

rs_keys *
rs_keys_create(const rs_allocator *alloc)
{
	rs_keys    *k = rs_alloc(alloc, sizeof(rs_keys));

	if (k == NULL)
		return NULL;
	memset(k, 0, sizeof(*k));
	k->alloc = *alloc;
	return k;
}

void
rs_keys_free(rs_keys *k)
{
	if (k == NULL)
		return;
	rs_free(&k->alloc, k->bytes);
	rs_free(&k->alloc, k->hash);
	rs_free(&k->alloc, k->start);
	rs_free(&k->alloc, k->slots);
	rs_free(&k->alloc, k);
}

size_t
rs_keys_count(const rs_keys *k)
{
	return k->n;
}

size_t
rs_keys_memory(const rs_keys *k)
{
	return k->cap_bytes + k->cap_hash * sizeof(int64_t) +
		k->cap_start * sizeof(size_t) + k->n_slots * sizeof(int32_t);
}

/* grow the block *p of *cap elements of width to at least need elements */
static bool
grow(const rs_allocator *a, void **p, size_t *cap, size_t need, size_t width)
{
	size_t		n = *cap ? *cap : 64;
	void	   *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	q = rs_alloc(a, rs_mul_size(n, width));
	if (q == NULL)
		return false;
	if (*p != NULL)
		memcpy(q, *p, *cap * width);
	rs_free(a, *p);
	*p = q;
	*cap = n;
	return true;
}

/* rebuild the slots with n_slots of them */
static bool
rehash(rs_keys *k, size_t n_slots)
{
	int32_t    *slots = rs_alloc(&k->alloc, rs_mul_size(n_slots, sizeof(int32_t)));
	size_t		j;

	if (slots == NULL)
		return false;
	memset(slots, 0, n_slots * sizeof(int32_t));
	for (j = 0; j < k->n; j++)
	{
		size_t		pos = (size_t) k->hash[j] & (n_slots - 1);

		while (slots[pos] != 0)
			pos = (pos + 1) & (n_slots - 1);
		slots[pos] = (int32_t) j + 1;
	}
	rs_free(&k->alloc, k->slots);
	k->slots = slots;
	k->n_slots = n_slots;
	return true;
}

/* a key for an error message: its first bytes, or "a uuid" when binary */
static void
describe_key(const uint8_t *key, size_t len, char *out, size_t size)
{
	size_t		j;
	size_t		n = len < size - 1 ? len : size - 1;

	for (j = 0; j < n; j++)
		out[j] = (key[j] >= 32 && key[j] < 127) ? (char) key[j] : '?';
	out[n] = '\0';
}

/* add a key of known hash h: the work of rs_keys_add and rs_keys_merge */
static rs_status
add_hashed(rs_keys *k, const uint8_t *key, size_t len, int64_t h,
		   rs_error *err)
{
	size_t		pos;

	if (k->n_slots == 0 || 2 * (k->n + 1) > k->n_slots)
	{
		if (k->n >= INT32_MAX / 4)
			return rs_error_set(err, RS_ERR_LIMIT, "", "more than %d distinct keys",
								INT32_MAX / 4);
		if (!rehash(k, k->n_slots ? 2 * k->n_slots : 256))
			return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for the keys");
	}
	pos = (size_t) h & (k->n_slots - 1);
	while (k->slots[pos] != 0)
	{
		size_t		j = (size_t) k->slots[pos] - 1;

		if (k->hash[j] == h)
		{
			size_t		jlen = k->start[j + 1] - k->start[j];
			char		a[41];
			char		b[41];

			if (jlen == len && memcmp(k->bytes + k->start[j], key, len) == 0)
				return RS_OK;
			describe_key(k->bytes + k->start[j], jlen, a, sizeof(a));
			describe_key(key, len, b, sizeof(b));
			return rs_error_set(err, RS_ERR_LIMIT, "",
								"ids \"%s\" and \"%s\" have the same 64-bit hash", a, b);
		}
		pos = (pos + 1) & (k->n_slots - 1);
	}

	if (!grow(&k->alloc, (void **) &k->bytes, &k->cap_bytes, k->n_bytes + len, 1) ||
		!grow(&k->alloc, (void **) &k->hash, &k->cap_hash, k->n + 1, sizeof(int64_t)) ||
		!grow(&k->alloc, (void **) &k->start, &k->cap_start, k->n + 2, sizeof(size_t)))
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for the keys");
	if (k->n == 0)
		k->start[0] = 0;
	memcpy(k->bytes + k->n_bytes, key, len);
	k->n_bytes += len;
	k->hash[k->n] = h;
	k->start[k->n + 1] = k->n_bytes;
	k->slots[pos] = (int32_t) k->n + 1;
	k->n++;
	return RS_OK;
}

rs_status
rs_keys_add(rs_keys *k, const uint8_t *key, size_t len, int64_t *id,
			rs_error *err)
{
	if (len > RS_KEY_MAX_BYTES)
		return rs_error_set(err, RS_ERR_LIMIT, "",
							"an id of %zu bytes is longer than the limit of %d bytes",
							len, RS_KEY_MAX_BYTES);
	*id = rs_key_hash(key, len);
	return add_hashed(k, key, len, *id, err);
}

rs_status
rs_keys_merge(rs_keys *dst, const rs_keys *src, rs_error *err)
{
	size_t		j;
	rs_status	st;

	for (j = 0; j < src->n; j++)
		if ((st = add_hashed(dst, src->bytes + src->start[j],
							 src->start[j + 1] - src->start[j], src->hash[j],
							 err)) != RS_OK)
			return st;
	return RS_OK;
}

/* index of hash h in k, or -1 */
static int64_t
find_hash(const rs_keys *k, int64_t h)
{
	size_t		pos;

	if (k->n_slots == 0)
		return -1;
	pos = (size_t) h & (k->n_slots - 1);
	while (k->slots[pos] != 0)
	{
		size_t		j = (size_t) k->slots[pos] - 1;

		if (k->hash[j] == h)
			return (int64_t) j;
		pos = (pos + 1) & (k->n_slots - 1);
	}
	return -1;
}

/* ---------- serialization: u64 count, then (u32 length, bytes) per key ---------- */

size_t
rs_keys_serialized_size(const rs_keys *k)
{
	return 8 + 4 * k->n + k->n_bytes;
}

void
rs_keys_serialize(const rs_keys *k, uint8_t *buf)
{
	size_t		j;

	rs_put_u64(buf, k->n);
	buf += 8;
	for (j = 0; j < k->n; j++)
	{
		size_t		len = k->start[j + 1] - k->start[j];

		rs_put_u32(buf, (uint32_t) len);
		memcpy(buf + 4, k->bytes + k->start[j], len);
		buf += 4 + len;
	}
}

rs_status
rs_keys_deserialize(const uint8_t *buf, size_t len, const rs_allocator *alloc,
					rs_keys **out, rs_error *err)
{
	rs_keys    *k;
	uint64_t	n;
	uint64_t	j;
	size_t		at = 8;
	rs_status	st;

	*out = NULL;
	if (len < 8)
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized keys truncated");
	n = rs_get_u64(buf);
	if (n > (len - 8) / 4)
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized keys count %llu too large",
							(unsigned long long) n);
	if ((k = rs_keys_create(alloc)) == NULL)
		return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory for the keys");
	for (j = 0; j < n; j++)
	{
		uint32_t	klen;
		int64_t		id;

		if (len - at < 4 || (klen = rs_get_u32(buf + at)) > len - at - 4)
		{
			rs_keys_free(k);
			return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized keys truncated");
		}
		if ((st = rs_keys_add(k, buf + at + 4, klen, &id, err)) != RS_OK)
		{
			rs_keys_free(k);
			return st;
		}
		at += 4 + (size_t) klen;
	}
	if (at != len)
	{
		rs_keys_free(k);
		return rs_error_set(err, RS_ERR_CORRUPT, "", "serialized keys have %zu trailing bytes",
							len - at);
	}
	*out = k;
	return RS_OK;
}

/* ---------- the keys of a model ---------- */

static const char *const key_tensor[2] = {"user_keys", "item_keys"};
static const char *const offset_tensor[2] = {"user_key_offsets", "item_key_offsets"};

rs_status
rs_model_add_key_tensors(rs_model *m, int side, rs_id_type type, int64_t bytes,
						 rs_error *err)
{
	int32_t		n = side == RS_SIDE_USER ? m->n_users : m->n_items;
	void	   *data;
	rs_status	st;

	m->id_type[side] = type;
	if (type == RS_ID_INTEGER)
		return RS_OK;
	if (bytes < 0)
		return rs_error_set(err, RS_ERR_CORRUPT, key_tensor[side],
							"negative size of the keys");
	st = rs_model_add_owned_tensor(m, key_tensor[side], RS_U8, 1, bytes, 1,
								   &data, err);
	if (st != RS_OK)
		return st;
	m->keys[side] = data;
	st = rs_model_add_owned_tensor(m, offset_tensor[side], RS_I64, 1,
								   (int64_t) n + 1, 1, &data, err);
	if (st != RS_OK)
		return st;
	m->key_offsets[side] = data;
	m->key_bytes[side] = bytes;
	return RS_OK;
}

rs_status
rs_model_set_keys(rs_model *m, int side, rs_id_type type, const rs_keys *k,
				  rs_error *err)
{
	int32_t		n = side == RS_SIDE_USER ? m->n_users : m->n_items;
	const int64_t *ids = side == RS_SIDE_USER ? m->user_ids : m->item_ids;
	int64_t		bytes = 0;
	int32_t		i;
	rs_status	st;

	if (type == RS_ID_INTEGER)
	{
		m->id_type[side] = type;
		return RS_OK;
	}
	for (i = 0; i < n; i++)
	{
		int64_t		j = find_hash(k, ids[i]);

		if (j < 0)
			return rs_error_set(err, RS_ERR_PARAM, key_tensor[side],
								"id %d of the model has no key", (int) i);
		bytes += (int64_t) (k->start[j + 1] - k->start[j]);
	}
	if ((st = rs_model_add_key_tensors(m, side, type, bytes, err)) != RS_OK)
		return st;
	m->key_offsets[side][0] = 0;
	for (i = 0; i < n; i++)
	{
		int64_t		j = find_hash(k, ids[i]);
		size_t		len = k->start[j + 1] - k->start[j];
		int64_t		at = m->key_offsets[side][i];

		memcpy(m->keys[side] + at, k->bytes + k->start[j], len);
		m->key_offsets[side][i + 1] = at + (int64_t) len;
	}
	return RS_OK;
}

rs_status
rs_model_check_keys(const rs_model *m, int side, rs_error *err)
{
	int32_t		n = side == RS_SIDE_USER ? m->n_users : m->n_items;
	const int64_t *ids = side == RS_SIDE_USER ? m->user_ids : m->item_ids;
	const int64_t *off = m->key_offsets[side];
	int32_t		i;

	if (m->id_type[side] == RS_ID_INTEGER)
		return RS_OK;
	if (off[0] != 0 || off[n] != m->key_bytes[side])
		return rs_error_set(err, RS_ERR_CORRUPT, offset_tensor[side],
							"tensor \"%s\" does not span the keys", offset_tensor[side]);
	/* every key inside the bytes first, then what they hold */
	for (i = 0; i < n; i++)
	{
		int64_t		len = off[i + 1] - off[i];

		if (off[i] < 0 || off[i + 1] > m->key_bytes[side] ||
			len < 0 || len > RS_KEY_MAX_BYTES ||
			(m->id_type[side] == RS_ID_UUID && len != 16))
			return rs_error_set(err, RS_ERR_CORRUPT, offset_tensor[side],
								"tensor \"%s\" gives key %d a length of %lld bytes",
								offset_tensor[side], (int) i, (long long) len);
	}
	for (i = 0; i < n; i++)
	{
		/* the key behind each id is the key of that id: ids follow keys */
		if (rs_key_hash(m->keys[side] + off[i], (size_t) (off[i + 1] - off[i])) != ids[i])
			return rs_error_set(err, RS_ERR_CORRUPT, key_tensor[side],
								"key %d of tensor \"%s\" does not match its id",
								(int) i, key_tensor[side]);
	}
	return RS_OK;
}

int32_t
rs_model_key_index(const rs_model *m, int side, const uint8_t *key, size_t len)
{
	int32_t		i;
	size_t		klen;
	const uint8_t *k;

	if (m->id_type[side] == RS_ID_INTEGER)
		return -1;
	i = side == RS_SIDE_USER ? rs_model_user_index(m, rs_key_hash(key, len))
		: rs_model_item_index(m, rs_key_hash(key, len));
	if (i < 0)
		return -1;
	/* a key whose hash is some id's is that id only if the bytes agree */
	k = rs_model_key(m, side, i, &klen);
	return (klen == len && memcmp(k, key, len) == 0) ? i : -1;
}

const uint8_t *
rs_model_key(const rs_model *m, int side, int32_t i, size_t *len)
{
	const int64_t *off = m->key_offsets[side];

	*len = (size_t) (off[i + 1] - off[i]);
	return m->keys[side] + off[i];
}
