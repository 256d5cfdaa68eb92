/*-------------------------------------------------------------------------
 *
 * keys.h
 *		External ids that are not integers: uuid and text keys.
 *
 * The core trains and serves on int64 ids.  A uuid or a text key becomes
 * the int64 rs_key_hash of its bytes (a uuid's 16 bytes, a text's bytes in
 * the database encoding); the model keeps every key's bytes beside its id
 * tables (rs_model.user_keys / item_keys, in index order), so that a
 * lookup checks the bytes behind the hash it found and a list gives back
 * the key itself.  Two keys are the same id when their bytes are equal:
 * "Item" and "item" are two ids, whatever the column's collation.
 *
 * While reading, an rs_keys collects the distinct keys of one side (users
 * or items) with their hashes.  Two different keys with the same 64-bit
 * hash cannot both be ids of one model: the collector reports the pair
 * (with ~1e8 keys, the chance of any collision is ~3e-4).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_KEYS_H
#define RECSYS_KEYS_H

#include "model.h"

/* the longest key, in bytes (a text id longer than this is an error) */
#define RS_KEY_MAX_BYTES 1024

/* the int64 id of a key: a fixed 64-bit hash of its bytes */
extern int64_t rs_key_hash(const uint8_t *key, size_t len);

typedef struct rs_keys rs_keys;

extern rs_keys *rs_keys_create(const rs_allocator *alloc);
extern void rs_keys_free(rs_keys *k);

/*
 * The id of key (len bytes, at most RS_KEY_MAX_BYTES) into *id, adding the
 * key when it is new.  RS_ERR_LIMIT for a key that is too long or a hash
 * shared with another key (the error names both).
 */
extern rs_status rs_keys_add(rs_keys *k, const uint8_t *key, size_t len,
							 int64_t *id, rs_error *err);
/* add every key of src to dst */
extern rs_status rs_keys_merge(rs_keys *dst, const rs_keys *src, rs_error *err);

extern size_t rs_keys_count(const rs_keys *k);
/* bytes currently allocated, for the memory limit */
extern size_t rs_keys_memory(const rs_keys *k);

/* flat little-endian image, for the aggregate's serial/deserial functions */
extern size_t rs_keys_serialized_size(const rs_keys *k);
extern void rs_keys_serialize(const rs_keys *k, uint8_t *buf);
extern rs_status rs_keys_deserialize(const uint8_t *buf, size_t len,
									 const rs_allocator *alloc, rs_keys **out,
									 rs_error *err);

/*
 * Give side (RS_SIDE_USER or RS_SIDE_ITEM) of a trained model the id type
 * type and, for keys, the key of each of its ids (all must be in k): adds
 * the tensors "<side>_keys" and "<side>_key_offsets".
 */
extern rs_status rs_model_set_keys(rs_model *m, int side, rs_id_type type,
								   const rs_keys *k, rs_error *err);

#endif							/* RECSYS_KEYS_H */
