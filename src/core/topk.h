/*-------------------------------------------------------------------------
 *
 * topk.h
 *		The k largest scores without sorting them all.
 *
 * A bounded min-heap of k entries: one pass over n scores, O(n log k), then
 * the k survivors sorted best first.  Ties go to the lower index, so results
 * are deterministic.  NaN and -INFINITY scores (items excluded by the caller)
 * are never returned.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/topk.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_TOPK_H
#define RECSYS_TOPK_H

#include <stdint.h>

/*
 * Write the indexes of the (at most) k best of scores[0..n) to out_index and
 * their scores to out_score, best first; return how many were written.
 * Both out arrays must hold k entries; they are also the heap's storage,
 * so no other work space is needed.
 */
extern int	rs_topk(const float *scores, int32_t n, int32_t k,
					int32_t *out_index, float *out_score);

#endif							/* RECSYS_TOPK_H */
