/*
 * test_blob.c
 *		Model blobs: CRC-32C, round trips, and that damage is always refused.
 */
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "ratings.h"
#include "synthetic.h"
#include "unit.h"

/* a small trained mf model: synthetic rows -> ratings -> training */
static rs_model *
small_model(void)
{
	rs_synth   *s = NULL;
	rs_synth_row row;
	rs_ratings *r = rs_ratings_create(&rs_malloc_allocator, false);
	rs_dataset	d;
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;

	if (rs_synth_create(30, 20, 300, 11, &rs_malloc_allocator, &s, &err) != RS_OK)
		return NULL;
	while (rs_synth_next(s, &row))
		rs_ratings_add(r, row.user_id * 10, row.item_id + 5000, row.rating, 0, &err);
	rs_synth_free(s);
	CHECK(rs_ratings_finish(r, &d, &err) == RS_OK);
	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "factors", 3, NULL);
	rs_params_set(&p, "epochs", 3, NULL);
	rs_params_set(&p, "seed", 5, NULL);
	if (rs_model_train(&p, &d, &rs_malloc_allocator, NULL, &m, &err) != RS_OK)
		fprintf(stderr, "  train: %s: %s\n", err.field, err.message);
	rs_ratings_free(r);
	return m;
}

/* a and b have the same scalars, tensors and predictions */
static int
same_model(const rs_model *a, const rs_model *b)
{
	int			t,
				o,
				ok = 1;
	int32_t		u,
				i;

	if (a->kind != b->kind || a->n_users != b->n_users ||
		a->n_items != b->n_items || a->n_ratings != b->n_ratings ||
		a->n_epochs != b->n_epochs || a->best_epoch != b->best_epoch ||
		a->global_mean != b->global_mean || a->rating_min != b->rating_min ||
		a->rating_max != b->rating_max || a->n_tensors != b->n_tensors)
		return 0;
	for (o = 0; o < a->kind->n_options; o++)
		if (a->params.value[o] != b->params.value[o])
			return 0;
	for (t = 0; t < a->n_tensors && ok; t++)
	{
		const rs_tensor *x = &a->tensors[t];
		const rs_tensor *y = &b->tensors[t];

		ok = strcmp(x->name, y->name) == 0 && x->dtype == y->dtype &&
			x->ndim == y->ndim && x->shape[0] == y->shape[0] &&
			x->shape[1] == y->shape[1] &&
			memcmp(x->data, y->data, rs_tensor_bytes(x)) == 0;
	}
	for (u = -1; u < a->n_users && ok; u++)
		for (i = -1; i < a->n_items; i++)
			if (rs_model_predict(a, u, i) != rs_model_predict(b, u, i))
				ok = 0;
	return ok;
}

/* the check value of the CRC-32C catalogue, and chaining */
static void
test_crc32c(void)
{
	CHECK(rs_crc32c(0, "123456789", 9) == 0xE3069283u);
	CHECK(rs_crc32c(rs_crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
	CHECK(rs_crc32c(0, "", 0) == 0);
	CHECK(rs_crc32c_portable(0, "123456789", 9) == 0xE3069283u);

	/* the instruction's path and the table agree at every length and offset */
	{
		uint8_t		buf[300];
		size_t		off,
					len;
		int			same = 1;

		for (len = 0; len < sizeof(buf); len++)
			buf[len] = (uint8_t) (len * 131 + 7);
		for (off = 0; off < 8; off++)
			for (len = 0; len + off <= sizeof(buf); len += 1 + len / 8)
				if (rs_crc32c(0x1234567u, buf + off, len) !=
					rs_crc32c_portable(0x1234567u, buf + off, len))
					same = 0;
		CHECK(same);
	}
}

/* write, read back: every tensor and prediction equal */
static void
test_blob_round_trip(void)
{
	rs_model   *m = small_model();
	rs_model   *back = NULL;
	rs_error	err;
	size_t		len;
	uint8_t    *buf;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	len = rs_model_blob_size(m);
	buf = malloc(len);
	rs_model_blob_write(m, buf);
	CHECK_MSG(rs_model_blob_read(buf, len, &rs_malloc_allocator, &back, &err) == RS_OK,
			  "%s: %s", err.field, err.message);
	if (back)
	{
		CHECK(same_model(m, back));
		CHECK(rs_model_user_index(back, 10) == 0);
		rs_model_free(back);
	}
	free(buf);
	rs_model_free(m);
}

/* the header and chunks separately, tensors split into many small chunks */
static void
test_blob_chunks(void)
{
	rs_model   *m = small_model();
	rs_model   *back = NULL;
	rs_error	err;
	size_t		hlen,
				filled[RS_MAX_TENSORS];
	uint8_t    *hbuf,
			   *cbuf;
	int			t;
	rs_tensor  *f;

	if (m == NULL)
		return;
	hlen = rs_header_size(m);
	hbuf = malloc(hlen);
	rs_header_write(m, hbuf);
	CHECK(rs_header_read(hbuf, hlen, &rs_malloc_allocator, &back, &err) == RS_OK);
	rs_model_free(back);
	back = NULL;
	CHECK(rs_header_read(hbuf, hlen - 1, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
	CHECK(rs_header_read(hbuf, hlen, &rs_malloc_allocator, &back, &err) == RS_OK);
	if (back == NULL)
		return;
	memset(filled, 0, sizeof(filled));
	cbuf = malloc(rs_chunk_size(&m->tensors[0], 1 << 20) > 0 ? 1 << 22 : 1);
	for (t = 0; t < m->n_tensors; t++)
	{
		const rs_tensor *x = &m->tensors[t];
		size_t		total = rs_tensor_count(x),
					off;

		CHECK(rs_chunk_elements(x) >= 1);
		for (off = 0; off < total; off += 7)
		{
			size_t		count = total - off < 7 ? total - off : 7;

			rs_chunk_write(x, off, count, cbuf);
			CHECK_MSG(rs_chunk_read(back, cbuf, rs_chunk_size(x, count), filled, &err) == RS_OK,
					  "%s", err.message);
			if (off == 7)
			{
				/* the same chunk again: doubled */
				CHECK(rs_chunk_read(back, cbuf, rs_chunk_size(x, count), filled, &err) == RS_ERR_CORRUPT);
				CHECK(strcmp(err.field, x->name) == 0);
			}
		}
	}
	CHECK(rs_chunks_complete(back, filled, &err) == RS_OK);
	CHECK(same_model(m, back));

	/* a missing chunk of item_factors is named */
	f = rs_model_tensor(m, "item_factors");
	CHECK(f != NULL);
	if (f)
	{
		int			fi = (int) (f - m->tensors);

		filled[fi] -= 1;
		CHECK(rs_chunks_complete(back, filled, &err) == RS_ERR_CORRUPT);
		CHECK(strcmp(err.field, "item_factors") == 0);
		filled[fi] += 1;

		/* a damaged payload byte: the message says which chunk and tensor */
		rs_chunk_write(f, 0, 4, cbuf);
		cbuf[rs_chunk_size(f, 4) - 1] ^= 1;
		filled[fi] = 0;
		CHECK(rs_chunk_read(back, cbuf, rs_chunk_size(f, 4), filled, &err) == RS_ERR_CORRUPT);
		CHECK_MSG(strcmp(err.message, "checksum mismatch in chunk 0 of tensor \"item_factors\"") == 0,
				  "message: %s", err.message);
	}
	free(cbuf);
	free(hbuf);
	rs_model_free(back);
	rs_model_free(m);
}

/* every single-byte flip and every truncation of a blob is refused */
static void
test_blob_damage(void)
{
	rs_model   *m = small_model();
	rs_model   *back;
	rs_error	err;
	size_t		len,
				pos;
	uint8_t    *buf;
	int			loaded = 0,
				bit;

	if (m == NULL)
		return;
	len = rs_model_blob_size(m);
	buf = malloc(len);
	rs_model_blob_write(m, buf);
	for (bit = 0; bit < 8; bit += 7)
		for (pos = 0; pos < len; pos++)
		{
			rs_status	st;

			buf[pos] ^= (uint8_t) (1 << bit);
			back = NULL;
			memset(&err, 0, sizeof(err));
			st = rs_model_blob_read(buf, len, &rs_malloc_allocator, &back, &err);
			if (st == RS_OK)
			{
				loaded++;
				CHECK_MSG(same_model(m, back), "flip at %zu loaded a different model", pos);
				rs_model_free(back);
			}
			else
			{
				CHECK(st == RS_ERR_CORRUPT);
				CHECK(back == NULL);
				CHECK_MSG(err.field[0] != '\0' && err.message[0] != '\0',
						  "flip at %zu: field \"%s\", message \"%s\"", pos, err.field, err.message);
			}
			buf[pos] ^= (uint8_t) (1 << bit);
		}
	CHECK_MSG(loaded == 0, "%d flips loaded", loaded);
	for (pos = 0; pos < len; pos++)
	{
		back = NULL;
		CHECK(rs_model_blob_read(buf, pos, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
	}
	/* and the undamaged blob still loads */
	CHECK(rs_model_blob_read(buf, len, &rs_malloc_allocator, &back, &err) == RS_OK);
	rs_model_free(back);
	free(buf);
	rs_model_free(m);
}

/* store a little-endian u32 (test helper) */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* options by name: unknown names are damage, missing ones take defaults */
static void
test_blob_header_options(void)
{
	rs_model   *m = small_model();
	rs_model   *back = NULL;
	rs_error	err;
	size_t		hlen,
				at,
				last_len;
	uint8_t    *h;
	const rs_kind *kind;
	int			n_opts;
	double		saved;

	if (m == NULL)
		return;
	kind = m->kind;
	n_opts = kind->n_options;
	/* give the last option a value other than its default */
	saved = m->params.value[n_opts - 1];
	m->params.value[n_opts - 1] = kind->options[n_opts - 1].def;
	hlen = rs_header_size(m);
	h = malloc(hlen);
	rs_header_write(m, h);

	/* rename the first option and fix the CRC: still refused */
	/* version 2: the sizes and id types take 76 bytes after the kind */
	at = 12 + 4 + strlen(kind->name) + 76 + 4;
	h[at] ^= 0x20;
	put32(h + hlen - 4, rs_crc32c(0, h, hlen - 4));
	CHECK(rs_header_read(h, hlen, &rs_malloc_allocator, &back, &err) == RS_ERR_CORRUPT);
	CHECK_MSG(strcmp(err.field + 1, kind->options[0].name + 1) == 0, "field %s", err.field);
	h[at] ^= 0x20;

	/* drop the last option: it loads with its default */
	last_len = 4 + strlen(kind->options[n_opts - 1].name) + 8;
	put32(h + 12 + 4 + strlen(kind->name) + 72, (uint32_t) (n_opts - 1));
	put32(h + 8, (uint32_t) (hlen - last_len));
	put32(h + hlen - last_len - 4, rs_crc32c(0, h, hlen - last_len - 4));
	CHECK_MSG(rs_header_read(h, hlen - last_len, &rs_malloc_allocator, &back, &err) == RS_OK,
			  "%s", err.message);
	if (back)
	{
		CHECK(back->params.value[n_opts - 1] == kind->options[n_opts - 1].def);
		rs_model_free(back);
	}
	m->params.value[n_opts - 1] = saved;
	free(h);
	rs_model_free(m);
}

void
suite_blob(void)
{
	unit_run("crc32c", test_crc32c);
	unit_run("blob_round_trip", test_blob_round_trip);
	unit_run("blob_chunks", test_blob_chunks);
	unit_run("blob_damage", test_blob_damage);
	unit_run("blob_header_options", test_blob_header_options);
}
