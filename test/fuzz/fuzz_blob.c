/*
 * fuzz_blob.c
 *		libFuzzer target: arbitrary bytes into rs_model_blob_read, the
 *		loader of stored weights, and what serving then does with a model
 *		that loaded.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined and
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes blob.c ignore
 * checksum mismatches so mutations reach the checks behind the CRCs.  The
 * same file built with -DFUZZ_MAKE_SEED is a program that writes the seeds
 * of the corpus into a folder: small consistent models of every kind, one
 * with a ranking head, and one of uuid users and text items (keys.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "keys.h"

#ifdef FUZZ_MAKE_SEED

/*
 * A model of kind with 3 users and 4 items, its index tensors consistent
 * and its weights a pattern; keyed: uuid users and text items.
 */
static rs_model *
seed_model(const rs_kind *kind, const char *objective, bool keyed)
{
	static const char *const items[4] = {"sku-1", "SKU-1", "", "cr\xc3\xa8me"};
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	rs_keys    *users = rs_keys_create(&rs_malloc_allocator);
	rs_keys    *item_keys = rs_keys_create(&rs_malloc_allocator);
	int64_t		id;
	size_t		i;
	size_t		j;

	rs_params_default(&p, kind);
	rs_params_set(&p, "factors", 2, NULL);
	if (rs_params_find(&p, "hidden") >= 0)
		rs_params_set(&p, "hidden", 3, NULL);
	if (rs_params_find(&p, "rank_factors") >= 0)
	{
		rs_params_set(&p, "rank_factors", 2, NULL);
		rs_params_set_choice(&p, "objective", objective, NULL);
	}
	if (rs_model_create(&p, 3, 4, 5, 2, &rs_malloc_allocator, &m, &err) != RS_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		exit(1);
	}
	for (i = 0; i < 3; i++)
		m->user_ids[i] = 10 * (int64_t) i + 1;
	for (i = 0; i < 4; i++)
		m->item_ids[i] = 100 + (int64_t) i;
	if (keyed)
	{
		/* ids are the keys' hashes, ascending */
		for (i = 0; i < 3; i++)
		{
			uint8_t		uuid[16] = {0};

			uuid[0] = (uint8_t) (17 * i + 1);
			rs_keys_add(users, uuid, 16, &m->user_ids[i], &err);
		}
		for (i = 0; i < 4; i++)
			rs_keys_add(item_keys, (const uint8_t *) items[i], strlen(items[i]),
						&m->item_ids[i], &err);
		for (i = 1; i < 4; i++)
			for (j = i; j > 0; j--)
			{
				if (i < 3 && m->user_ids[j] < m->user_ids[j - 1])
				{
					id = m->user_ids[j];
					m->user_ids[j] = m->user_ids[j - 1];
					m->user_ids[j - 1] = id;
				}
				if (m->item_ids[j] < m->item_ids[j - 1])
				{
					id = m->item_ids[j];
					m->item_ids[j] = m->item_ids[j - 1];
					m->item_ids[j - 1] = id;
				}
			}
		if (rs_model_set_keys(m, RS_SIDE_USER, RS_ID_UUID, users, &err) != RS_OK ||
			rs_model_set_keys(m, RS_SIDE_ITEM, RS_ID_TEXT, item_keys, &err) != RS_OK)
		{
			fprintf(stderr, "%s\n", err.message);
			exit(1);
		}
	}
	m->rated_offsets[0] = 0;
	m->rated_offsets[1] = 2;
	m->rated_offsets[2] = 3;
	m->rated_offsets[3] = 5;
	for (i = 0; i < 5; i++)
		m->rated_items[i] = (int32_t) (i % 4);
	for (i = 0; i < m->n_params; i++)
		m->params_buf[i] = 0.125f * (float) (i % 7) - 0.25f;
	if (m->rank_user != NULL)
		for (i = 0; i < 8; i++)
		{
			m->rank_user[i % 6] = 0.5f - 0.1f * (float) i;
			m->rank_item[i] = 0.1f * (float) i;
		}
	m->best_epoch = 1;
	m->global_mean = 3.5;
	m->rating_min = 1;
	m->rating_max = 5;
	rs_keys_free(users);
	rs_keys_free(item_keys);
	return m;
}

/* write m as a blob to dir/name */
static void
write_seed(const char *dir, const char *name, rs_model *m)
{
	size_t		len = rs_model_blob_size(m);
	uint8_t    *buf = malloc(len);
	char		path[4096];
	FILE	   *f;

	rs_model_blob_write(m, buf);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len)
	{
		fprintf(stderr, "could not write %s\n", path);
		exit(1);
	}
	fclose(f);
	free(buf);
	rs_model_free(m);
}

/* write the seeds into the folder argv[1] */
int
main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	write_seed(argv[1], "seed-mf.blob", seed_model(&rs_kind_mf, "rating", false));
	write_seed(argv[1], "seed-mf-both.blob", seed_model(&rs_kind_mf, "both", false));
	write_seed(argv[1], "seed-mf-keys.blob", seed_model(&rs_kind_mf, "both", true));
	write_seed(argv[1], "seed-dense.blob", seed_model(&rs_kind_dense, "rating", false));
	write_seed(argv[1], "seed-lstm.blob", seed_model(&rs_kind_lstm, "rating", true));
	write_seed(argv[1], "seed-popularity.blob", seed_model(&rs_kind_popularity, "rating", false));
	return 0;
}

#else

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the key lookups and key reads serving does, on both sides */
static void
use_keys(const rs_model *m)
{
	int			side;

	for (side = 0; side < 2; side++)
	{
		int32_t		n = side == RS_SIDE_USER ? m->n_users : m->n_items;
		int32_t		i;
		size_t		len;

		(void) rs_model_key_index(m, side, (const uint8_t *) "sku-1", 5);
		if (m->id_type[side] == RS_ID_INTEGER)
			continue;
		for (i = 0; i < n && i < 4; i++)
		{
			const uint8_t *key = rs_model_key(m, side, i, &len);

			(void) rs_model_key_index(m, side, key, len);
		}
	}
}

/* one input: load it, and if it loads, use it as serving would */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rs_model   *m = NULL;
	rs_error	err;

	if (rs_model_blob_read(data, size, &rs_malloc_allocator, &m, &err) == RS_OK)
	{
		float	   *scores = malloc(sizeof(float) * (size_t) (m->n_items + 1));
		int32_t		top[4];
		float		top_score[4];
		int32_t		history[2] = {0, m->n_items > 1 ? 1 : 0};
		float		ratings[2] = {4, 2};
		double		rating;
		int32_t		u;

		for (u = -1; u < m->n_users && u < 4; u++)
		{
			(void) rs_model_predict(m, u, m->n_items > 0 ? 0 : -1);
			rs_model_score_items(m, u, scores);
			rs_model_exclude_rated(m, u, scores);
			(void) rs_model_top_items(m, scores, 4, top, top_score);
		}
		if (m->n_items > 0 && m->n_users > 0)
			rs_model_score_users(m, 0, 1, scores);
		if (m->n_items > 0 && rs_model_takes_history(m, false))
		{
			(void) rs_model_score_history(m, history, ratings, 2, scores, &err);
			(void) rs_model_predict_history(m, history, ratings, 2, 0, &rating, &err);
		}
		(void) rs_model_user_index(m, 11);
		(void) rs_model_item_index(m, 101);
		use_keys(m);
		free(scores);
		rs_model_free(m);
	}
	return 0;
}

#endif
