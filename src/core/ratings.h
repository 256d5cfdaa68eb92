/*-------------------------------------------------------------------------
 *
 * ratings.h
 *		Growable set of (user, item, rating[, time]) rows read from a table.
 *
 * Rows arrive one at a time from the aggregate's transition function.
 * External bigint ids are mapped to dense int32 indexes on arrival with two
 * open-addressing hash tables, so a row costs 12 bytes (16 with time) rather
 * than 20, and the state of a parallel worker can be serialized, shipped to
 * the leader and merged there.  rs_ratings_finish() renumbers the indexes so
 * that the id tables are ascending and hands out an rs_dataset view.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/ratings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_RATINGS_H
#define RECSYS_RATINGS_H

#include "model.h"

typedef struct rs_ratings rs_ratings;

/* an empty set; with_time keeps a double per row for sequence models */
extern rs_ratings *rs_ratings_create(const rs_allocator *alloc, bool with_time);
extern void rs_ratings_free(rs_ratings *r);

/*
 * Append one row.  rating must be finite (the caller reports NaN with its own
 * message).  Fails with RS_ERR_LIMIT past 2^31-1 users or items.
 */
extern rs_status rs_ratings_add(rs_ratings *r, int64_t user_id, int64_t item_id,
								float rating, double time, rs_error *err);

/* append every row of src to dst (ids are mapped through dst's tables) */
extern rs_status rs_ratings_merge(rs_ratings *dst, const rs_ratings *src,
								  rs_error *err);

extern size_t rs_ratings_count(const rs_ratings *r);
extern bool rs_ratings_has_time(const rs_ratings *r);
/* bytes currently allocated, for the memory limit */
extern size_t rs_ratings_memory(const rs_ratings *r);
/* bytes a collector of such data will hold, estimated before reading */
extern size_t rs_ratings_estimate_memory(size_t n, size_t n_users,
										 size_t n_items, bool with_time);

/* flat little-endian image, for the aggregate's serial/deserial functions */
extern size_t rs_ratings_serialized_size(const rs_ratings *r);
extern void rs_ratings_serialize(const rs_ratings *r, uint8_t *buf);
extern rs_status rs_ratings_deserialize(const uint8_t *buf, size_t len,
										const rs_allocator *alloc,
										rs_ratings **out, rs_error *err);

/*
 * Renumber users and items in ascending id order, sort the rows by (user,
 * time if present, item, rating) and describe them as a dataset, which then
 * depends only on the multiset of rows, not on the order they were read in
 * (serial and parallel reading train the same model).  Duplicate (user,
 * item) rows are kept.  The dataset's arrays belong to r (free r after the
 * training); no row may be added afterwards.
 *
 * Memory peak: the row arrays (12 bytes a row, 16 with time) plus one copy
 * of the widest row array (4 bytes a row, 8 with time) plus 20 bytes per
 * distinct id, 16 per user and 16 per row of the most active user; the hash
 * tables are freed before.
 */
extern rs_status rs_ratings_finish(rs_ratings *r, rs_dataset *out, rs_error *err);

#endif							/* RECSYS_RATINGS_H */
