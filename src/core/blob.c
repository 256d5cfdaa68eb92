/*-------------------------------------------------------------------------
 *
 * blob.c
 *		Saving and loading models: header, tensor chunks, whole-model blobs.
 *
 * Header (little-endian):
 *   "RSYM", u32 version, u32 header length (all bytes, CRC included),
 *   u32 kind name length, kind name,
 *   i32 n_users, i32 n_items, i64 n_ratings, i32 n_epochs, i32 best_epoch,
 *   f64 global_mean, f64 rating_min, f64 rating_max,
 *   (version 2) u32 user id type, u32 item id type, u64 bytes of the user
 *   keys, u64 bytes of the item keys (rs_id_type, keys.h),
 *   u32 number of options, then per option u32 name length, name, f64 value,
 *   u32 CRC-32C of every byte before it.
 * Options are stored by name, so an option added to a kind later loads with
 * its default (but "objective", older than its option: see below), while a name the kind does not know means a damaged or
 * foreign blob.
 *
 * Version 1 (0.1 to 0.4) has no id types: its ids are integers.  This
 * build writes version 2 and reads both.
 *
 * Chunk (84 bytes of fields, then the payload):
 *   "RSYC", u32 version, u32 dtype, u32 ndim, char name[32] (NUL padded),
 *   i64 shape[0], i64 shape[1], u64 offset, u64 count (elements),
 *   u32 CRC-32C, payload of count elements.
 * The CRC covers the 80 bytes of fields before it as well as the payload, so
 * a damaged offset or name is caught like a damaged weight.  The chunks of a
 * tensor must be read in ascending offset order, each starting where the
 * previous one ended: then counting the elements filled per tensor detects
 * a missing, doubled or overlapping chunk exactly.
 *
 * Whole-model blob: u64 header length, header, u64 number of chunks, then
 * per chunk u64 length and the chunk.
 *
 * CRC-32C: the Castagnoli polynomial (Castagnoli, Braeuer and Herrmann,
 * "Optimization of cyclic redundancy-check codes with 24 and 32 parity
 * bits", IEEE Trans. Communications 41(6), 1993), reflected 0x82F63B78,
 * computed a byte at a time from a 256-entry table (Sarwate, "Computation of
 * cyclic redundancy checks via table look-up", CACM 31(8), 1988); the table
 * below was generated from the polynomial.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/blob.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "blob.h"
#include "keys.h"
#include "rank.h"
#include "byteorder.h"

#define RS_HEADER_MAGIC "RSYM"
#define RS_CHUNK_MAGIC "RSYC"
#define RS_CHUNK_FIELDS 84		/* bytes before the payload */
#define RS_NAME_MAX 63			/* longest kind or option name */
#define RS_MAX_EPOCHS_SANE 1000000

/* fuzzing builds skip the checksums so mutations reach the later checks */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define IGNORE_CRC 1
#else
#define IGNORE_CRC 0
#endif

static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/* CRC-32C of data by the table, a byte at a time (see rs_crc32c) */
uint32_t
rs_crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t		i;

	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = crc32c_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RS_CRC32C_SSE42 1

/*
 * The same CRC by SSE 4.2's crc32 instruction, eight bytes at a time: the
 * table's pace is a byte a cycle at best, and every chunk of a model is
 * checksummed when it is stored and again when it is loaded.
 */
__attribute__((target("sse4.2")))
static uint32_t
crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t	c = ~crc;

	for (; len >= 8; p += 8, len -= 8)
	{
		uint64_t	v;

		memcpy(&v, p, 8);		/* little-endian, as the CRC reads bytes */
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t) c;
	for (; len > 0; p++, len--)
		crc = __builtin_ia32_crc32qi(crc, *p);
	return ~crc;
}
#endif

/* CRC-32C of data, continuing from crc (0 to start) */
uint32_t
rs_crc32c(uint32_t crc, const void *data, size_t len)
{
#ifdef RS_CRC32C_SSE42
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_sse42(crc, data, len);
#endif
	return rs_crc32c_portable(crc, data, len);
}

/* a bounds-checked reader over a buffer */
typedef struct reader
{
	const uint8_t *p;
	size_t		left;
} reader;

/* take n bytes from rd, or NULL when fewer are left */
static const uint8_t *
take(reader *rd, size_t n)
{
	const uint8_t *p = rd->p;

	if (n > rd->left)
		return NULL;
	rd->p += n;
	rd->left -= n;
	return p;
}

/* ---------- header ---------- */

/* bytes of the header of m */
size_t
rs_header_size(const rs_model *m)
{
	size_t		size = 4 + 4 + 4 + 4 + strlen(m->kind->name) +
		4 + 4 + 8 + 4 + 4 + 8 * 3 + 4 + 8 + 16;
	int			i;

	for (i = 0; i < m->kind->n_options; i++)
		size += 4 + strlen(m->kind->options[i].name) + 8;
	return size + 4;			/* the CRC */
}

/* write a length-prefixed name at p; returns the bytes written */
static size_t
put_name(uint8_t *p, const char *name)
{
	size_t		len = strlen(name);

	rs_put_u32(p, (uint32_t) len);
	memcpy(p + 4, name, len);
	return 4 + len;
}

/* write the header of m to buf (rs_header_size bytes) */
void
rs_header_write(const rs_model *m, uint8_t *buf)
{
	size_t		size = rs_header_size(m);
	uint8_t    *p = buf;
	int			i;

	memcpy(p, RS_HEADER_MAGIC, 4);
	rs_put_u32(p + 4, RS_BLOB_VERSION);
	rs_put_u32(p + 8, (uint32_t) size);
	p += 12;
	p += put_name(p, m->kind->name);
	rs_put_u32(p, (uint32_t) m->n_users);
	rs_put_u32(p + 4, (uint32_t) m->n_items);
	rs_put_u64(p + 8, (uint64_t) m->n_ratings);
	rs_put_u32(p + 16, (uint32_t) m->n_epochs);
	rs_put_u32(p + 20, (uint32_t) m->best_epoch);
	rs_put_f64(p + 24, m->global_mean);
	rs_put_f64(p + 32, m->rating_min);
	rs_put_f64(p + 40, m->rating_max);
	rs_put_u32(p + 48, (uint32_t) m->id_type[RS_SIDE_USER]);
	rs_put_u32(p + 52, (uint32_t) m->id_type[RS_SIDE_ITEM]);
	rs_put_u64(p + 56, (uint64_t) m->key_bytes[RS_SIDE_USER]);
	rs_put_u64(p + 64, (uint64_t) m->key_bytes[RS_SIDE_ITEM]);
	rs_put_u32(p + 72, (uint32_t) m->kind->n_options);
	p += 76;
	for (i = 0; i < m->kind->n_options; i++)
	{
		p += put_name(p, m->kind->options[i].name);
		rs_put_f64(p, m->params.value[i]);
		p += 8;
	}
	rs_put_u32(p, rs_crc32c(0, buf, (size_t) (p - buf)));
}

/* read a length-prefixed name into out (RS_NAME_MAX + 1 bytes) */
static bool
take_name(reader *rd, char *out)
{
	const uint8_t *p = take(rd, 4);
	uint32_t	len;

	if (p == NULL)
		return false;
	len = rs_get_u32(p);
	if (len == 0 || len > RS_NAME_MAX || (p = take(rd, len)) == NULL)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	/* an embedded NUL would make the name mean something else */
	return strlen(out) == len;
}

/* check value against the definition of an option */
static bool
option_value_ok(const rs_option_def *def, double v)
{
	if (!isfinite(v))
		return false;
	switch (def->type)
	{
		case RS_OPT_INT:
			return v == floor(v) && v >= def->min && v <= def->max;
		case RS_OPT_REAL:
			return v >= def->min && v <= def->max;
		case RS_OPT_BOOL:
			return v == 0.0 || v == 1.0;
		case RS_OPT_ENUM:
			{
				int			n = 0;

				if (def->choices)
					while (def->choices[n])
						n++;
				return v == floor(v) && v >= 0 && v < n;
			}
	}
	return false;
}

/* the scalars of a header, parsed but not yet turned into a model */
typedef struct header_info
{
	rs_params	params;
	int32_t		n_users;
	int32_t		n_items;
	int64_t		n_ratings;
	int32_t		n_epochs;
	int32_t		best_epoch;
	double		global_mean;
	double		rating_min;
	double		rating_max;
	rs_id_type	id_type[2];
	int64_t		key_bytes[2];
} header_info;

#define HEADER_CORRUPT(...) rs_error_set(err, RS_ERR_CORRUPT, "header", __VA_ARGS__)

/* parse and check a header of exactly len bytes */
static rs_status
header_parse(const uint8_t *buf, size_t len, header_info *h, rs_error *err)
{
	reader		rd = {buf, len};
	const uint8_t *p;
	char		name[RS_NAME_MAX + 1];
	const rs_kind *kind;
	uint32_t	n_opts,
				i;
	bool		seen[RS_MAX_OPTIONS];
	uint32_t	stored_len;
	uint32_t	version;

	if (len < 16)
		return HEADER_CORRUPT("model header truncated: %zu bytes", len);
	if (memcmp(buf, RS_HEADER_MAGIC, 4) != 0)
		return HEADER_CORRUPT("model header has a wrong magic number");
	version = rs_get_u32(buf + 4);
	if (version < 1 || version > RS_BLOB_VERSION)
		return HEADER_CORRUPT("model header has format version %u, this build reads versions 1 to %d",
							  version, RS_BLOB_VERSION);
	stored_len = rs_get_u32(buf + 8);
	if (stored_len != len)
		return HEADER_CORRUPT("model header length is %zu bytes, header says %u", len, stored_len);
	if (rs_crc32c(0, buf, len - 4) != rs_get_u32(buf + len - 4) && !IGNORE_CRC)
		return HEADER_CORRUPT("checksum mismatch in model header");
	rd.left = len - 4;			/* the CRC is checked */
	take(&rd, 12);

	if (!take_name(&rd, name))
		return HEADER_CORRUPT("model header has an invalid kind name");
	if ((kind = rs_kind_find(name)) == NULL)
		return rs_error_set(err, RS_ERR_CORRUPT, "kind",
							"model header names an unrecognized model kind: \"%s\"", name);
	if ((p = take(&rd, 52)) == NULL)
		return HEADER_CORRUPT("model header truncated in its sizes");
	h->n_users = (int32_t) rs_get_u32(p);
	h->n_items = (int32_t) rs_get_u32(p + 4);
	h->n_ratings = (int64_t) rs_get_u64(p + 8);
	h->n_epochs = (int32_t) rs_get_u32(p + 16);
	h->best_epoch = (int32_t) rs_get_u32(p + 20);
	h->global_mean = rs_get_f64(p + 24);
	h->rating_min = rs_get_f64(p + 32);
	h->rating_max = rs_get_f64(p + 40);
	n_opts = rs_get_u32(p + 48);
	h->id_type[RS_SIDE_USER] = h->id_type[RS_SIDE_ITEM] = RS_ID_INTEGER;
	h->key_bytes[RS_SIDE_USER] = h->key_bytes[RS_SIDE_ITEM] = 0;
	if (version >= 2)
	{
		uint32_t	types[2];
		int			side;

		types[0] = n_opts;
		if ((p = take(&rd, 24)) == NULL)
			return HEADER_CORRUPT("model header truncated in its id types");
		types[1] = rs_get_u32(p);
		h->key_bytes[RS_SIDE_USER] = (int64_t) rs_get_u64(p + 4);
		h->key_bytes[RS_SIDE_ITEM] = (int64_t) rs_get_u64(p + 12);
		n_opts = rs_get_u32(p + 20);
		for (side = 0; side < 2; side++)
		{
			if (types[side] > RS_ID_TYPE_MAX)
				return HEADER_CORRUPT("model header has an invalid id type %u", types[side]);
			h->id_type[side] = (rs_id_type) types[side];
		}
		for (side = 0; side < 2; side++)
		{
			int64_t		n = side == RS_SIDE_USER ? h->n_users : h->n_items;

			/* at most RS_KEY_MAX_BYTES a key: bounds what loading allocates */
			if (h->key_bytes[side] < 0 || n < 0 ||
				h->key_bytes[side] > n * (int64_t) RS_KEY_MAX_BYTES ||
				(h->id_type[side] == RS_ID_INTEGER && h->key_bytes[side] != 0))
				return HEADER_CORRUPT("model header has an invalid size of keys");
		}
	}

	if (h->n_users < 0 || h->n_items < 0 || h->n_ratings < 0)
		return HEADER_CORRUPT("model header has a negative size");
	if (h->n_epochs < 0 || h->n_epochs > RS_MAX_EPOCHS_SANE ||
		h->best_epoch < 0 || h->best_epoch > h->n_epochs)
		return HEADER_CORRUPT("model header has an invalid epoch count %d (best %d)",
							  h->n_epochs, h->best_epoch);
	if (!isfinite(h->global_mean) || !isfinite(h->rating_min) ||
		!isfinite(h->rating_max) || h->rating_min > h->rating_max)
		return HEADER_CORRUPT("model header has an invalid rating range");
	if (n_opts > RS_MAX_OPTIONS)
		return HEADER_CORRUPT("model header lists %u options", n_opts);

	rs_params_default(&h->params, kind);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n_opts; i++)
	{
		int			idx;
		double		v;

		if (!take_name(&rd, name) || (p = take(&rd, 8)) == NULL)
			return HEADER_CORRUPT("model header has an invalid option name");
		v = rs_get_f64(p);
		idx = rs_params_find(&h->params, name);
		if (idx < 0)
			return rs_error_set(err, RS_ERR_CORRUPT, name,
								"model header has option \"%s\", which kind \"%s\" does not have",
								name, kind->name);
		if (seen[idx])
			return rs_error_set(err, RS_ERR_CORRUPT, name,
								"model header has option \"%s\" twice", name);
		seen[idx] = true;
		if (!option_value_ok(&kind->options[idx], v))
			return rs_error_set(err, RS_ERR_CORRUPT, name,
								"model header has an invalid value for option \"%s\": %g",
								name, v);
		h->params.value[idx] = v;
	}
	if (rd.left != 0)
		return HEADER_CORRUPT("model header has %zu bytes after its options", rd.left);
	{
		/*
		 * Models from before the ranking head have no "objective": they
		 * were trained for ratings alone, which is what they load as.
		 */
		int			obj = rs_params_find(&h->params, "objective");

		if (obj >= 0 && !seen[obj])
			h->params.value[obj] = RS_OBJECTIVE_RATING;
	}
	if (rs_params_check(&h->params, err) != RS_OK)
	{
		/* options that pass one by one but not together: damaged blob */
		if (err)
			err->code = RS_ERR_CORRUPT;
		return RS_ERR_CORRUPT;
	}
	return RS_OK;
}

/* make the model a parsed header describes */
static rs_status
header_create(const header_info *h, const rs_allocator *alloc,
			  rs_model **out, rs_error *err)
{
	rs_model   *m;
	rs_status	st;
	int			side;

	st = rs_model_create(&h->params, h->n_users, h->n_items, h->n_ratings,
						 h->n_epochs, alloc, &m, err);
	if (st != RS_OK)
	{
		/* sizes the kind refuses come from the blob: it is damaged */
		if (st != RS_ERR_NOMEM)
		{
			st = RS_ERR_CORRUPT;
			if (err)
				err->code = st;
		}
		return st;
	}
	m->n_epochs = h->n_epochs;
	m->best_epoch = h->best_epoch;
	m->global_mean = h->global_mean;
	m->rating_min = h->rating_min;
	m->rating_max = h->rating_max;
	for (side = 0; side < 2; side++)
	{
		st = rs_model_add_key_tensors(m, side, h->id_type[side],
									  h->key_bytes[side], err);
		if (st != RS_OK)
		{
			rs_model_free(m);
			if (st != RS_ERR_NOMEM && err)
				err->code = st = RS_ERR_CORRUPT;
			return st;
		}
	}
	*out = m;
	return RS_OK;
}

/* check a header and create the model it describes, tensors zeroed */
rs_status
rs_header_read(const uint8_t *buf, size_t len, const rs_allocator *alloc,
			   rs_model **out, rs_error *err)
{
	header_info h;
	rs_status	st;

	*out = NULL;
	if ((st = header_parse(buf, len, &h, err)) != RS_OK)
		return st;
	return header_create(&h, alloc, out, err);
}

/* ---------- chunks ---------- */

/* bytes of a chunk of count elements of t */
size_t
rs_chunk_size(const rs_tensor *t, size_t count)
{
	return rs_add_size(RS_CHUNK_FIELDS, rs_mul_size(count, rs_dtype_size(t->dtype)));
}

/* elements of t that fit in one chunk of at most RS_CHUNK_MAX_BYTES */
size_t
rs_chunk_elements(const rs_tensor *t)
{
	size_t		n = (RS_CHUNK_MAX_BYTES - RS_CHUNK_FIELDS) / rs_dtype_size(t->dtype);

	return n > 0 ? n : 1;
}

/* write elements [offset, offset + count) of t as a chunk to buf */
void
rs_chunk_write(const rs_tensor *t, size_t offset, size_t count, uint8_t *buf)
{
	size_t		width = rs_dtype_size(t->dtype);
	uint32_t	crc;

	memset(buf, 0, RS_CHUNK_FIELDS);
	memcpy(buf, RS_CHUNK_MAGIC, 4);
	rs_put_u32(buf + 4, RS_BLOB_VERSION);
	rs_put_u32(buf + 8, (uint32_t) t->dtype);
	rs_put_u32(buf + 12, (uint32_t) t->ndim);
	memcpy(buf + 16, t->name, strnlen(t->name, RS_TENSOR_NAME_LEN - 1));
	rs_put_u64(buf + 48, (uint64_t) t->shape[0]);
	rs_put_u64(buf + 56, (uint64_t) (t->ndim >= 2 ? t->shape[1] : 1));
	rs_put_u64(buf + 64, offset);
	rs_put_u64(buf + 72, count);
	rs_copy_le(buf + RS_CHUNK_FIELDS, (const uint8_t *) t->data + offset * width,
			count, width);
	crc = rs_crc32c(0, buf, 80);
	crc = rs_crc32c(crc, buf + RS_CHUNK_FIELDS, count * width);
	rs_put_u32(buf + 80, crc);
}

#define CHUNK_CORRUPT(...) rs_error_set(err, RS_ERR_CORRUPT, tname, __VA_ARGS__)

/* check a chunk and copy its payload into the tensor of m it names */
rs_status
rs_chunk_read(rs_model *m, const uint8_t *buf, size_t len, size_t *filled,
			  rs_error *err)
{
	char		tname[RS_TENSOR_NAME_LEN];
	rs_tensor  *t = NULL;
	int			ti;
	size_t		width,
				total,
				chunk_no;
	uint64_t	offset,
				count;
	uint32_t	dtype,
				ndim;
	int64_t		shape0,
				shape1;
	uint32_t	crc;

	/*
	 * Take the tensor name first, so that every error names the tensor even
	 * when a field before the name is damaged; "chunk" when it is unreadable.
	 */
	strcpy(tname, "chunk");
	if (len >= RS_CHUNK_FIELDS)
	{
		size_t		nlen = strnlen((const char *) buf + 16, RS_TENSOR_NAME_LEN);
		size_t		i;
		bool		ok = nlen > 0 && nlen < RS_TENSOR_NAME_LEN;

		for (i = nlen; ok && i < 32; i++)
			if (buf[16 + i] != 0)
				ok = false;
		if (ok)
			memcpy(tname, buf + 16, nlen + 1);
		else
			return CHUNK_CORRUPT("tensor chunk has an invalid tensor name");
	}
	if (len < RS_CHUNK_FIELDS)
		return CHUNK_CORRUPT("tensor chunk truncated: %zu bytes", len);
	if (memcmp(buf, RS_CHUNK_MAGIC, 4) != 0)
		return CHUNK_CORRUPT("tensor chunk has a wrong magic number");
	if (rs_get_u32(buf + 4) < 1 || rs_get_u32(buf + 4) > RS_BLOB_VERSION)
		return CHUNK_CORRUPT("tensor chunk has format version %u, this build reads version %d",
							 rs_get_u32(buf + 4), RS_BLOB_VERSION);
	for (ti = 0; ti < m->n_tensors; ti++)
		if (strcmp(m->tensors[ti].name, tname) == 0)
		{
			t = &m->tensors[ti];
			break;
		}
	if (t == NULL)
		return CHUNK_CORRUPT("chunk names tensor \"%s\", which model kind \"%s\" does not have",
							 tname, m->kind->name);

	dtype = rs_get_u32(buf + 8);
	ndim = rs_get_u32(buf + 12);
	shape0 = (int64_t) rs_get_u64(buf + 48);
	shape1 = (int64_t) rs_get_u64(buf + 56);
	offset = rs_get_u64(buf + 64);
	count = rs_get_u64(buf + 72);
	width = rs_dtype_size(t->dtype);
	total = rs_tensor_count(t);
	chunk_no = rs_chunk_elements(t);
	chunk_no = offset / chunk_no;

	if (dtype != (uint32_t) t->dtype)
		return CHUNK_CORRUPT("dtype %u in chunk %zu of tensor \"%s\", expected %s",
							 dtype, chunk_no, tname, rs_dtype_name(t->dtype));
	if (ndim != (uint32_t) t->ndim || shape0 != t->shape[0] ||
		shape1 != (t->ndim >= 2 ? t->shape[1] : 1))
		return CHUNK_CORRUPT("shape (%lld, %lld) in chunk %zu of tensor \"%s\", expected (%lld, %lld)",
							 (long long) shape0, (long long) shape1, chunk_no, tname,
							 (long long) t->shape[0],
							 (long long) (t->ndim >= 2 ? t->shape[1] : 1));
	if (offset > total || count > total - offset)
		return CHUNK_CORRUPT("chunk %zu of tensor \"%s\" covers elements beyond its %zu",
							 chunk_no, tname, total);
	if (count == 0 || len != RS_CHUNK_FIELDS + count * width)
		return CHUNK_CORRUPT("chunk %zu of tensor \"%s\" has %zu bytes for %llu elements",
							 chunk_no, tname, len, (unsigned long long) count);
	crc = rs_crc32c(0, buf, 80);
	crc = rs_crc32c(crc, buf + RS_CHUNK_FIELDS, count * width);
	if (crc != rs_get_u32(buf + 80) && !IGNORE_CRC)
		return CHUNK_CORRUPT("checksum mismatch in chunk %zu of tensor \"%s\"",
							 chunk_no, tname);
	if (offset != filled[ti])
		return CHUNK_CORRUPT("chunk %zu of tensor \"%s\" starts at element %llu, expected %zu (missing, doubled or out-of-order chunk)",
							 chunk_no, tname, (unsigned long long) offset, filled[ti]);
	rs_copy_le((uint8_t *) t->data + offset * width, buf + RS_CHUNK_FIELDS,
			count, width);
	filled[ti] += count;
	return RS_OK;
}

#undef CHUNK_CORRUPT

/*
 * Check that the index tensors are consistent, so that serving code can
 * follow them without bounds checks: ids strictly ascending (binary search),
 * rated_offsets a CSR row-start array over rated_items, items in range.
 */
static rs_status
check_index_tensors(const rs_model *m, rs_error *err)
{
	int64_t		i;

	if (m->user_ids)
		for (i = 1; i < m->n_users; i++)
			if (m->user_ids[i] <= m->user_ids[i - 1])
				return rs_error_set(err, RS_ERR_CORRUPT, "user_ids",
									"tensor \"user_ids\" is not strictly ascending");
	if (m->item_ids)
		for (i = 1; i < m->n_items; i++)
			if (m->item_ids[i] <= m->item_ids[i - 1])
				return rs_error_set(err, RS_ERR_CORRUPT, "item_ids",
									"tensor \"item_ids\" is not strictly ascending");
	if (m->rated_offsets)
	{
		if (m->rated_offsets[0] != 0 ||
			m->rated_offsets[m->n_users] != m->n_ratings)
			return rs_error_set(err, RS_ERR_CORRUPT, "rated_offsets",
								"tensor \"rated_offsets\" does not span the %lld rated items",
								(long long) m->n_ratings);
		for (i = 0; i < m->n_users; i++)
			if (m->rated_offsets[i + 1] < m->rated_offsets[i])
				return rs_error_set(err, RS_ERR_CORRUPT, "rated_offsets",
									"tensor \"rated_offsets\" decreases at user %lld",
									(long long) i);
	}
	if (m->rated_items)
		for (i = 0; i < m->n_ratings; i++)
			if (m->rated_items[i] < 0 || m->rated_items[i] >= m->n_items)
				return rs_error_set(err, RS_ERR_CORRUPT, "rated_items",
									"tensor \"rated_items\" has an item index out of range");
	if (rs_model_check_keys(m, RS_SIDE_USER, err) != RS_OK ||
		rs_model_check_keys(m, RS_SIDE_ITEM, err) != RS_OK)
		return RS_ERR_CORRUPT;
	return RS_OK;
}

/* check that every tensor of m was filled exactly once, and its indexes */
rs_status
rs_chunks_complete(const rs_model *m, const size_t *filled, rs_error *err)
{
	int			ti;

	for (ti = 0; ti < m->n_tensors; ti++)
	{
		const rs_tensor *t = &m->tensors[ti];

		if (filled[ti] != rs_tensor_count(t))
			return rs_error_set(err, RS_ERR_CORRUPT, t->name,
								"tensor \"%s\" has %zu of its %zu elements (missing chunk)",
								t->name, filled[ti], rs_tensor_count(t));
	}
	return check_index_tensors(m, err);
}

/* ---------- whole model ---------- */

/* bytes of the blob of m */
size_t
rs_model_blob_size(const rs_model *m)
{
	size_t		size = 8 + rs_header_size(m) + 8;
	int			ti;

	for (ti = 0; ti < m->n_tensors; ti++)
	{
		const rs_tensor *t = &m->tensors[ti];
		size_t		total = rs_tensor_count(t);
		size_t		per = rs_chunk_elements(t);
		size_t		off;

		for (off = 0; off < total; off += per)
		{
			size_t		count = total - off < per ? total - off : per;

			size = rs_add_size(size, rs_add_size(8, rs_chunk_size(t, count)));
		}
	}
	return size;
}

/* write the blob of m to buf (rs_model_blob_size bytes) */
void
rs_model_blob_write(const rs_model *m, uint8_t *buf)
{
	size_t		hsize = rs_header_size(m);
	uint8_t    *p = buf;
	uint8_t    *count_at;
	uint64_t	n_chunks = 0;
	int			ti;

	rs_put_u64(p, hsize);
	rs_header_write(m, p + 8);
	p += 8 + hsize;
	count_at = p;
	p += 8;
	for (ti = 0; ti < m->n_tensors; ti++)
	{
		const rs_tensor *t = &m->tensors[ti];
		size_t		total = rs_tensor_count(t);
		size_t		per = rs_chunk_elements(t);
		size_t		off;

		for (off = 0; off < total; off += per)
		{
			size_t		count = total - off < per ? total - off : per;
			size_t		csize = rs_chunk_size(t, count);

			rs_put_u64(p, csize);
			rs_chunk_write(t, off, count, p + 8);
			p += 8 + csize;
			n_chunks++;
		}
	}
	rs_put_u64(count_at, n_chunks);
}

/* check a whole-model blob and rebuild the model */
rs_status
rs_model_blob_read(const uint8_t *buf, size_t len, const rs_allocator *alloc,
				   rs_model **out, rs_error *err)
{
	reader		rd = {buf, len};
	const uint8_t *p;
	uint64_t	hsize,
				n_chunks,
				c;
	header_info h;
	rs_model   *m = NULL;
	size_t	   *filled = NULL;
	size_t		need;
	rs_status	st;

	*out = NULL;
	if ((p = take(&rd, 8)) == NULL)
		return HEADER_CORRUPT("model blob truncated: %zu bytes", len);
	hsize = rs_get_u64(p);
	if (hsize > rd.left)
		return HEADER_CORRUPT("model blob truncated in its header");
	if ((st = header_parse(take(&rd, (size_t) hsize), (size_t) hsize, &h, err)) != RS_OK)
		return st;

	/*
	 * The shared tensors hold 8 bytes a user and an item, 4 a rating, 32 an
	 * epoch: a blob shorter than that cannot be whole, and checking it first
	 * keeps a forged header from making us allocate more than the blob's size
	 * warrants.
	 */
	need = rs_mul_size((size_t) h.n_users + (size_t) h.n_items, 8);
	need = rs_add_size(need, rs_mul_size((size_t) h.n_ratings, 4));
	need = rs_add_size(need, rs_mul_size((size_t) h.n_epochs, 8 * RS_HISTORY_COLS));
	need = rs_add_size(need, (size_t) h.key_bytes[RS_SIDE_USER]);
	need = rs_add_size(need, (size_t) h.key_bytes[RS_SIDE_ITEM]);
	if (need > rd.left)
		return HEADER_CORRUPT("model blob of %zu bytes is too short for its sizes", len);

	if ((st = header_create(&h, alloc, &m, err)) != RS_OK)
		return st;
	filled = rs_alloc(alloc, sizeof(size_t) * RS_MAX_TENSORS);
	if (filled == NULL)
	{
		st = rs_error_set(err, RS_ERR_NOMEM, "", "out of memory loading a model");
		goto fail;
	}
	if ((p = take(&rd, 8)) == NULL)
	{
		st = HEADER_CORRUPT("model blob truncated before its chunk count");
		goto fail;
	}
	n_chunks = rs_get_u64(p);
	if (n_chunks > rd.left / (8 + RS_CHUNK_FIELDS))
	{
		st = HEADER_CORRUPT("model blob claims %llu chunks in %zu bytes",
							(unsigned long long) n_chunks, rd.left);
		goto fail;
	}
	for (c = 0; c < n_chunks; c++)
	{
		uint64_t	csize;

		if ((p = take(&rd, 8)) == NULL || (csize = rs_get_u64(p)) > rd.left)
		{
			st = HEADER_CORRUPT("model blob truncated in chunk %llu", (unsigned long long) c);
			goto fail;
		}
		p = take(&rd, (size_t) csize);
		if ((st = rs_chunk_read(m, p, (size_t) csize, filled, err)) != RS_OK)
			goto fail;
	}
	if (rd.left != 0)
	{
		st = HEADER_CORRUPT("model blob has %zu bytes after its last chunk", rd.left);
		goto fail;
	}
	if ((st = rs_chunks_complete(m, filled, err)) != RS_OK)
		goto fail;
	rs_free(alloc, filled);
	*out = m;
	return RS_OK;

fail:
	rs_free(alloc, filled);
	rs_model_free(m);
	return st;
}
