/*-------------------------------------------------------------------------
 *
 * topk.c
 *		The k largest scores with a bounded min-heap.
 *
 * The heap keeps the k best entries seen so far with the worst at its root
 * (binary heap: Williams, "Algorithm 232: Heapsort", CACM 7(6), 1964), so
 * each score costs one comparison and, when it beats the root, one sift-down:
 * O(n log k) in all.  At the end the heap is sorted in place by repeatedly
 * moving the root (the worst) to the end, which leaves the best first.
 * "Better" means a higher score, or the same score and a lower index, so the
 * result is a total order and does not depend on the heap's history.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/topk.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "topk.h"

/* true when entry (sa, ia) ranks before entry (sb, ib) */
static inline int
topk_better(float sa, int32_t ia, float sb, int32_t ib)
{
	return sa > sb || (sa == sb && ia < ib);
}

/* restore the heap property below position pos (the worst entry on top) */
static void
topk_sift_down(int32_t *idx, float *score, int32_t size, int32_t pos)
{
	int32_t		i = idx[pos];
	float		s = score[pos];

	for (;;)
	{
		int32_t		child = 2 * pos + 1;

		if (child >= size)
			break;
		/* pick the worse child */
		if (child + 1 < size &&
			topk_better(score[child], idx[child], score[child + 1], idx[child + 1]))
			child++;
		if (!topk_better(s, i, score[child], idx[child]))
			break;
		idx[pos] = idx[child];
		score[pos] = score[child];
		pos = child;
	}
	idx[pos] = i;
	score[pos] = s;
}

/* move entry pos up while it is worse than its parent */
static void
topk_sift_up(int32_t *idx, float *score, int32_t pos)
{
	int32_t		i = idx[pos];
	float		s = score[pos];

	while (pos > 0)
	{
		int32_t		parent = (pos - 1) / 2;

		if (!topk_better(score[parent], idx[parent], s, i))
			break;
		idx[pos] = idx[parent];
		score[pos] = score[parent];
		pos = parent;
	}
	idx[pos] = i;
	score[pos] = s;
}

/* the (at most) k best of scores[0..n), best first, into the out arrays */
int
rs_topk(const float *scores, int32_t n, int32_t k,
		int32_t *out_index, float *out_score)
{
	int32_t		size = 0;
	int32_t		i;

	if (n <= 0 || k <= 0)
		return 0;
	for (i = 0; i < n; i++)
	{
		float		s = scores[i];

		if (isnan(s) || s == -INFINITY)
			continue;
		if (size < k)
		{
			out_index[size] = i;
			out_score[size] = s;
			topk_sift_up(out_index, out_score, size);
			size++;
		}
		else if (topk_better(s, i, out_score[0], out_index[0]))
		{
			out_index[0] = i;
			out_score[0] = s;
			topk_sift_down(out_index, out_score, size, 0);
		}
	}

	/* heap sort: the worst goes to the end, leaving the best first */
	for (i = size - 1; i > 0; i--)
	{
		int32_t		ti = out_index[0];
		float		ts = out_score[0];

		out_index[0] = out_index[i];
		out_score[0] = out_score[i];
		out_index[i] = ti;
		out_score[i] = ts;
		topk_sift_down(out_index, out_score, i, 0);
	}
	return size;
}
