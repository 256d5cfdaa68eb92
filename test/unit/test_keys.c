/*
 * test_keys.c: uuid and text ids (keys.c).  The hash is fixed (stored
 * models depend on it); the collector keeps each distinct key once, merges
 * and serializes exactly; a model keeps the key of every id, finds an id
 * by its key only when the bytes agree, survives the blob format and
 * refuses damaged keys; a version-1 header (integer ids) still loads.
 */
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "byteorder.h"
#include "keys.h"
#include "model.h"
#include "unit.h"

/* the values stored models depend on: a change here breaks them */
static void
test_keys_hash_is_fixed(void)
{
	const uint8_t uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21};

	CHECK(rs_key_hash((const uint8_t *) "", 0) == INT64_C(-2152535657050944081));
	CHECK(rs_key_hash((const uint8_t *) "sku-1", 5) == INT64_C(-3816276945611345661));
	CHECK(rs_key_hash(uuid, 16) == INT64_C(-8178721599356169647));
	/* keys that differ in a trailing zero byte or in case are different */
	CHECK(rs_key_hash((const uint8_t *) "a\0", 2) != rs_key_hash((const uint8_t *) "a", 1));
	CHECK(rs_key_hash((const uint8_t *) "Item", 4) != rs_key_hash((const uint8_t *) "item", 4));
}

static void
test_keys_collector(void)
{
	rs_keys    *k = rs_keys_create(&rs_malloc_allocator);
	rs_keys    *other = rs_keys_create(&rs_malloc_allocator);
	rs_keys    *back = NULL;
	rs_error	err;
	int64_t		a,
				b,
				c;
	uint8_t    *buf;
	size_t		len;
	uint8_t		big[RS_KEY_MAX_BYTES + 1];
	char		name[32];
	int			j;

	CHECK(rs_keys_add(k, (const uint8_t *) "alpha", 5, &a, &err) == RS_OK);
	CHECK(rs_keys_add(k, (const uint8_t *) "beta", 4, &b, &err) == RS_OK);
	CHECK(rs_keys_add(k, (const uint8_t *) "alpha", 5, &c, &err) == RS_OK);
	CHECK(a == c && a != b);
	CHECK(rs_keys_count(k) == 2);
	/* many keys: the table grows */
	for (j = 0; j < 5000; j++)
	{
		snprintf(name, sizeof(name), "key %d", j);
		CHECK(rs_keys_add(other, (const uint8_t *) name, strlen(name), &c, &err) == RS_OK);
	}
	CHECK(rs_keys_add(other, (const uint8_t *) "beta", 4, &c, &err) == RS_OK);
	CHECK(rs_keys_merge(k, other, &err) == RS_OK);
	CHECK(rs_keys_count(k) == 5002);

	len = rs_keys_serialized_size(k);
	buf = malloc(len);
	rs_keys_serialize(k, buf);
	CHECK(rs_keys_deserialize(buf, len, &rs_malloc_allocator, &back, &err) == RS_OK);
	CHECK(back != NULL && rs_keys_count(back) == 5002);
	CHECK(rs_keys_deserialize(buf, len - 1, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
	free(buf);

	memset(big, 'x', sizeof(big));
	CHECK(rs_keys_add(k, big, sizeof(big), &c, &err) == RS_ERR_LIMIT);
	CHECK(rs_keys_add(k, big, RS_KEY_MAX_BYTES, &c, &err) == RS_OK);
	rs_keys_free(k);
	rs_keys_free(other);
}

/* an mf model trained on keyed users and items */
static rs_model *
keyed_model(rs_keys **users, rs_keys **items)
{
	static const char *const item_keys[5] = {"sku-1", "SKU-1", "sku-22", "\xc3\xa9t\xc3\xa9", ""};
	rs_dataset	d;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	int64_t		uid[6];
	int64_t		iid[5];
	int			u;
	int			i;

	*users = rs_keys_create(&rs_malloc_allocator);
	*items = rs_keys_create(&rs_malloc_allocator);
	for (u = 0; u < 6; u++)
	{
		uint8_t		uuid[16];

		memset(uuid, 0, 16);
		uuid[0] = (uint8_t) (u * 37);
		uuid[15] = (uint8_t) u;
		rs_keys_add(*users, uuid, 16, &uid[u], &err);
	}
	for (i = 0; i < 5; i++)
		rs_keys_add(*items, (const uint8_t *) item_keys[i], strlen(item_keys[i]), &iid[i], &err);

	/* the dataset with ascending ids, as rs_ratings_finish makes it */
	memset(&d, 0, sizeof(d));
	d.n_users = 6;
	d.n_items = 5;
	d.user_ids = malloc(6 * sizeof(int64_t));
	d.item_ids = malloc(5 * sizeof(int64_t));
	memcpy(d.user_ids, uid, sizeof(uid));
	memcpy(d.item_ids, iid, sizeof(iid));
	for (u = 1; u < 6; u++)
		for (i = u; i > 0 && d.user_ids[i] < d.user_ids[i - 1]; i--)
		{
			int64_t		t = d.user_ids[i];

			d.user_ids[i] = d.user_ids[i - 1];
			d.user_ids[i - 1] = t;
		}
	for (u = 1; u < 5; u++)
		for (i = u; i > 0 && d.item_ids[i] < d.item_ids[i - 1]; i--)
		{
			int64_t		t = d.item_ids[i];

			d.item_ids[i] = d.item_ids[i - 1];
			d.item_ids[i - 1] = t;
		}
	d.user = malloc(30 * sizeof(int32_t));
	d.item = malloc(30 * sizeof(int32_t));
	d.rating = malloc(30 * sizeof(float));
	for (u = 0; u < 6; u++)
		for (i = 0; i < 5; i++)
		{
			d.user[d.n] = u;
			d.item[d.n] = i;
			d.rating[d.n] = (float) (1 + (u + i) % 5);
			d.n++;
		}
	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "factors", 2, NULL);
	rs_params_set(&p, "epochs", 2, NULL);
	if (rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  training failed: %s\n", err.message);
	unit_free_dataset(&d);
	if (m != NULL &&
		(rs_model_set_keys(m, RS_SIDE_USER, RS_ID_UUID, *users, &err) != RS_OK ||
		 rs_model_set_keys(m, RS_SIDE_ITEM, RS_ID_TEXT, *items, &err) != RS_OK))
	{
		fprintf(stderr, "  keys: %s\n", err.message);
		rs_model_free(m);
		m = NULL;
	}
	return m;
}

/* every key finds its own index; other bytes find nothing */
static void
check_lookups(const rs_model *m)
{
	int32_t		i;
	size_t		len;
	const uint8_t *key;

	for (i = 0; i < m->n_items; i++)
	{
		key = rs_model_key(m, RS_SIDE_ITEM, i, &len);
		CHECK(rs_model_key_index(m, RS_SIDE_ITEM, key, len) == i);
	}
	for (i = 0; i < m->n_users; i++)
	{
		key = rs_model_key(m, RS_SIDE_USER, i, &len);
		CHECK(len == 16);
		CHECK(rs_model_key_index(m, RS_SIDE_USER, key, len) == i);
	}
	CHECK(rs_model_key_index(m, RS_SIDE_ITEM, (const uint8_t *) "sku-2", 5) == -1);
	CHECK(rs_model_key_index(m, RS_SIDE_ITEM, (const uint8_t *) "sku-1", 5) !=
		  rs_model_key_index(m, RS_SIDE_ITEM, (const uint8_t *) "SKU-1", 5));
	CHECK(rs_model_key_index(m, RS_SIDE_ITEM, (const uint8_t *) "", 0) >= 0);
	CHECK(rs_model_key_index(m, RS_SIDE_ITEM, (const uint8_t *) "\xc3\xa9t\xc3\xa9", 5) >= 0);
}

static void
test_keys_model(void)
{
	rs_keys    *users;
	rs_keys    *items;
	rs_model   *m = keyed_model(&users, &items);
	rs_model   *back = NULL;
	rs_error	err;
	uint8_t    *blob;
	size_t		len;
	int			t;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(m->id_type[RS_SIDE_USER] == RS_ID_UUID && m->id_type[RS_SIDE_ITEM] == RS_ID_TEXT);
	check_lookups(m);

	len = rs_model_blob_size(m);
	blob = malloc(len);
	rs_model_blob_write(m, blob);
	CHECK(rs_model_blob_read(blob, len, &rs_malloc_allocator, &back, &err) == RS_OK);
	if (back)
	{
		CHECK(back->id_type[RS_SIDE_USER] == RS_ID_UUID);
		CHECK(back->key_bytes[RS_SIDE_ITEM] == m->key_bytes[RS_SIDE_ITEM]);
		check_lookups(back);
		rs_model_free(back);
		back = NULL;
	}

	/*
	 * offsets that leave the key bytes before they come back (found by the
	 * fuzzer: the keys were hashed before every offset was checked)
	 */
	for (t = 0; t < m->n_tensors; t++)
		if (strcmp(m->tensors[t].name, "item_key_offsets") == 0)
		{
			int64_t    *off = m->tensors[t].data;
			int64_t		saved = off[1];

			off[1] = m->key_bytes[RS_SIDE_ITEM] + 500;
			rs_model_blob_write(m, blob);
			CHECK(rs_model_blob_read(blob, len, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
			CHECK_MSG(strcmp(err.field, "item_key_offsets") == 0, "field %s", err.field);
			off[1] = saved;
		}

	/* a key that does not match its id is damage, even with a good CRC */
	for (t = 0; t < m->n_tensors; t++)
		if (strcmp(m->tensors[t].name, "item_keys") == 0)
			((uint8_t *) m->tensors[t].data)[0] ^= 1;
	rs_model_blob_write(m, blob);
	CHECK(rs_model_blob_read(blob, len, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
	CHECK_MSG(strcmp(err.field, "item_keys") == 0, "field %s", err.field);
	free(blob);
	rs_model_free(m);
	rs_keys_free(users);
	rs_keys_free(items);
}

/* a header of format version 1 (no id types) loads with integer ids */
static void
test_keys_version_1_header(void)
{
	rs_params	p;
	rs_model   *m = NULL;
	rs_model   *back = NULL;
	rs_error	err;
	size_t		hlen;
	size_t		at;
	uint8_t    *h;

	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "factors", 2, NULL);
	CHECK(rs_model_create(&p, 3, 4, 5, 1, &rs_malloc_allocator, &m, &err) == RS_OK);
	if (m == NULL)
		return;
	hlen = rs_header_size(m);
	h = malloc(hlen);
	rs_header_write(m, h);
	/* cut the 24 bytes of id types and key sizes, keep the option count */
	at = 12 + 4 + strlen(m->kind->name) + 48;
	memmove(h + at, h + at + 24, hlen - at - 24);
	hlen -= 24;
	rs_put_u32(h + 4, 1);
	rs_put_u32(h + 8, (uint32_t) hlen);
	rs_put_u32(h + hlen - 4, rs_crc32c(0, h, hlen - 4));
	CHECK_MSG(rs_header_read(h, hlen, &rs_malloc_allocator, &back, &err) == RS_OK,
			  "%s", err.message);
	if (back)
	{
		CHECK(back->id_type[RS_SIDE_USER] == RS_ID_INTEGER);
		CHECK(back->id_type[RS_SIDE_ITEM] == RS_ID_INTEGER);
		CHECK(back->keys[RS_SIDE_ITEM] == NULL);
		rs_model_free(back);
	}
	/* a size of keys no key count could reach is refused before allocating */
	{
		size_t		v2len = rs_header_size(m);
		uint8_t    *v2 = malloc(v2len);
		size_t		types = 12 + 4 + strlen(m->kind->name) + 48;

		m->id_type[RS_SIDE_ITEM] = RS_ID_TEXT;
		rs_header_write(m, v2);
		m->id_type[RS_SIDE_ITEM] = RS_ID_INTEGER;
		rs_put_u64(v2 + types + 16, (uint64_t) 4 * RS_KEY_MAX_BYTES + 1);
		rs_put_u32(v2 + v2len - 4, rs_crc32c(0, v2, v2len - 4));
		CHECK(rs_header_read(v2, v2len, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
		rs_put_u64(v2 + types + 16, (uint64_t) 4 * RS_KEY_MAX_BYTES);
		rs_put_u32(v2 + v2len - 4, rs_crc32c(0, v2, v2len - 4));
		CHECK_MSG(rs_header_read(v2, v2len, &rs_malloc_allocator, &back, &err) == RS_OK,
				  "%s", err.message);
		rs_model_free(back);
		back = NULL;
		free(v2);
	}

	/* a version this build does not know is refused */
	rs_put_u32(h + 4, RS_BLOB_VERSION + 1);
	CHECK(rs_header_read(h, hlen, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
	free(h);
	rs_model_free(m);
}

void
suite_keys(void)
{
	unit_run("keys_hash_is_fixed", test_keys_hash_is_fixed);
	unit_run("keys_collector", test_keys_collector);
	unit_run("keys_model", test_keys_model);
	unit_run("keys_version_1_header", test_keys_version_1_header);
}
