/*
 * test_topk.c
 *		rs_topk against a full sort, with ties, NaN, -inf and k > n.
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "topk.h"
#include "unit.h"

typedef struct ref_entry
{
	float		score;
	int32_t		index;
} ref_entry;

/* full-sort order: higher score first, ties to the lower index */
static int
cmp_ref(const void *a, const void *b)
{
	const ref_entry *x = a;
	const ref_entry *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* compare rs_topk with a sort of the valid scores for one input */
static void
check_against_sort(const float *scores, int32_t n, int32_t k)
{
	ref_entry  *ref = malloc(sizeof(ref_entry) * (size_t) (n > 0 ? n : 1));
	int32_t    *idx = malloc(sizeof(int32_t) * (size_t) (k > 0 ? k : 1));
	float	   *sc = malloc(sizeof(float) * (size_t) (k > 0 ? k : 1));
	int32_t		m = 0,
				i,
				got,
				want;

	for (i = 0; i < n; i++)
		if (!isnan(scores[i]) && scores[i] != -INFINITY)
		{
			ref[m].score = scores[i];
			ref[m].index = i;
			m++;
		}
	qsort(ref, (size_t) m, sizeof(ref_entry), cmp_ref);
	got = rs_topk(scores, n, k, idx, sc);
	want = k < m ? k : m;
	if (want < 0)
		want = 0;
	CHECK_MSG(got == want, "n=%d k=%d got %d want %d", n, k, got, want);
	for (i = 0; i < got && i < want; i++)
	{
		CHECK_MSG(idx[i] == ref[i].index && sc[i] == ref[i].score,
				  "n=%d k=%d rank %d: got (%d, %g) want (%d, %g)", n, k, i,
				  idx[i], sc[i], ref[i].index, ref[i].score);
		if (idx[i] != ref[i].index)
			break;
	}
	free(ref);
	free(idx);
	free(sc);
}

/* random inputs with few distinct values (many ties), NaN and -inf */
static void
test_topk_random(void)
{
	rs_rng		rng;
	int			trial;

	rs_rng_seed(&rng, 42);
	for (trial = 0; trial < 300; trial++)
	{
		int32_t		n = (int32_t) rs_rng_below(&rng, 200);
		int32_t		k = (int32_t) rs_rng_below(&rng, 50) + 1;
		float	   *s = malloc(sizeof(float) * (size_t) (n > 0 ? n : 1));
		int32_t		i;

		for (i = 0; i < n; i++)
		{
			uint64_t	c = rs_rng_below(&rng, 20);

			if (c == 0)
				s[i] = NAN;
			else if (c == 1)
				s[i] = -INFINITY;
			else if (c == 2)
				s[i] = INFINITY;
			else if (trial % 2 == 0)
				s[i] = (float) rs_rng_below(&rng, 5);	/* many ties */
			else
				s[i] = (float) rs_rng_normal(&rng);
		}
		check_against_sort(s, n, k);
		check_against_sort(s, n, n + 3);	/* k > n */
		free(s);
	}
}

/* edge cases: empty, k = 0, all excluded, all equal */
static void
test_topk_edges(void)
{
	float		s[6] = {1, 1, 1, 1, 1, 1};
	float		bad[3] = {NAN, -INFINITY, NAN};
	int32_t		idx[6];
	float		sc[6];
	int			i;

	CHECK(rs_topk(s, 0, 3, idx, sc) == 0);
	CHECK(rs_topk(s, 6, 0, idx, sc) == 0);
	CHECK(rs_topk(bad, 3, 3, idx, sc) == 0);
	CHECK(rs_topk(s, 6, 4, idx, sc) == 4);
	for (i = 0; i < 4; i++)
		CHECK(idx[i] == i);
	check_against_sort(s, 6, 6);
}

void
suite_topk(void)
{
	unit_run("topk_random", test_topk_random);
	unit_run("topk_edges", test_topk_edges);
}
