/*
 * fuzz_blob.c
 *		libFuzzer target: arbitrary bytes into rs_model_blob_read.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined and
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes blob.c ignore
 * checksum mismatches so mutations reach the checks behind the CRCs.  The
 * same file built with -DFUZZ_MAKE_SEED is a program that writes a valid
 * blob of a small mf model, the seed of the corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

#ifdef FUZZ_MAKE_SEED

/* write a small consistent mf model as a blob to argv[1] */
int
main(int argc, char **argv)
{
	rs_params	p;
	rs_model   *m = NULL;
	rs_error	err;
	size_t		len,
				i;
	uint8_t    *buf;
	FILE	   *f;

	if (argc < 2)
		return 2;
	rs_params_default(&p, &rs_kind_mf);
	rs_params_set(&p, "factors", 2, NULL);
	if (rs_model_create(&p, 3, 4, 5, 2, &rs_malloc_allocator, &m, &err) != RS_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	for (i = 0; i < 3; i++)
		m->user_ids[i] = 10 * (int64_t) i + 1;
	for (i = 0; i < 4; i++)
		m->item_ids[i] = 100 + (int64_t) i;
	m->rated_offsets[0] = 0;
	m->rated_offsets[1] = 2;
	m->rated_offsets[2] = 3;
	m->rated_offsets[3] = 5;
	for (i = 0; i < 5; i++)
		m->rated_items[i] = (int32_t) (i % 4);
	for (i = 0; i < m->n_params; i++)
		m->params_buf[i] = 0.125f * (float) i;
	m->best_epoch = 1;
	m->global_mean = 3.5;
	m->rating_min = 1;
	m->rating_max = 5;
	len = rs_model_blob_size(m);
	buf = malloc(len);
	rs_model_blob_write(m, buf);
	f = fopen(argv[1], "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len)
		return 1;
	fclose(f);
	free(buf);
	rs_model_free(m);
	return 0;
}

#else

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* one input: load it, and if it loads, use it as serving would */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rs_model   *m = NULL;
	rs_error	err;

	if (rs_model_blob_read(data, size, &rs_malloc_allocator, &m, &err) == RS_OK)
	{
		float	   *scores = malloc(sizeof(float) * (size_t) (m->n_items + 1));
		int32_t		u;

		for (u = -1; u < m->n_users && u < 4; u++)
		{
			(void) rs_model_predict(m, u, m->n_items > 0 ? 0 : -1);
			rs_model_score_items(m, u, scores);
		}
		(void) rs_model_user_index(m, 11);
		(void) rs_model_item_index(m, 101);
		free(scores);
		rs_model_free(m);
	}
	return 0;
}

#endif
