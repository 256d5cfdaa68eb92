/*-------------------------------------------------------------------------
 *
 * blob.h
 *		Serialized form of models: a header and tensor chunks.
 *
 * A model is saved as one header (magic "RSYM", format version, kind name,
 * sizes, scalars, and the options as (name, value) pairs so options added
 * later load with their defaults) followed by tensor chunks.  A chunk (magic
 * "RSYC", format version, dtype, tensor name and shape, element offset and
 * count, CRC-32C of these fields and its payload) carries a run of one tensor's elements, so a tensor
 * of any size is stored as several rows of at most RS_CHUNK_MAX_BYTES each
 * and no model is bounded by the 1 GB limit of a bytea.  Every field is
 * checked on load: the magic, the version, the kind, option names and
 * ranges, that each chunk belongs to a tensor of the expected dtype, fits
 * inside it, and matches its checksum, and that every element was covered
 * exactly once.  A damaged image is an RS_ERR_CORRUPT, never a crash.
 *
 * All integers and floats are stored little-endian.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/blob.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_BLOB_H
#define RECSYS_BLOB_H

#include "model.h"

#define RS_BLOB_VERSION 2
/*
 * 1 MB: small enough that storing a chunk never allocates fresh pages for
 * its copies (a Citus coordinator sends each row to every node as a literal
 * and copies it several times on the way; 64 MB chunks made storing a
 * model several times slower there), large enough that the biggest models
 * are some hundreds of rows.  A loader reads chunks of any size, so models
 * written with the earlier 64 MB chunks load as they are.
 */
#define RS_CHUNK_MAX_BYTES ((size_t) 1024 * 1024)

/* CRC-32C (Castagnoli), as used by PostgreSQL's WAL */
extern uint32_t rs_crc32c(uint32_t crc, const void *data, size_t len);
/* the same without the CPU's instruction (what the tests compare against) */
extern uint32_t rs_crc32c_portable(uint32_t crc, const void *data, size_t len);

/* ---- header ---- */
extern size_t rs_header_size(const rs_model *m);
extern void rs_header_write(const rs_model *m, uint8_t *buf);
/*
 * check a header (buf holds exactly its rs_header_size bytes) and create the
 * model it describes, tensors zeroed
 */
extern rs_status rs_header_read(const uint8_t *buf, size_t len,
								const rs_allocator *alloc, rs_model **out,
								rs_error *err);

/* ---- chunks ---- */
/* size of the chunk holding elements [offset, offset + count) of t */
extern size_t rs_chunk_size(const rs_tensor *t, size_t count);
extern void rs_chunk_write(const rs_tensor *t, size_t offset, size_t count,
						   uint8_t *buf);
/* number of elements of t that fit in one chunk (at least 1) */
extern size_t rs_chunk_elements(const rs_tensor *t);

/*
 * Copy a chunk into the tensor of m it names, after checking it.  filled
 * (one counter per tensor of m, zero at first) counts elements written, so
 * rs_chunks_complete can tell a missing or doubled chunk.  The chunks of one
 * tensor must be read in ascending offset order (each starting where the
 * previous one ended; tensors may interleave): that makes the count exact.
 */
extern rs_status rs_chunk_read(rs_model *m, const uint8_t *buf, size_t len,
							   size_t *filled, rs_error *err);
extern rs_status rs_chunks_complete(const rs_model *m, const size_t *filled,
									rs_error *err);

/* ---- a whole model in one buffer (what the aggregate returns) ---- */
extern size_t rs_model_blob_size(const rs_model *m);
extern void rs_model_blob_write(const rs_model *m, uint8_t *buf);
extern rs_status rs_model_blob_read(const uint8_t *buf, size_t len,
									const rs_allocator *alloc, rs_model **out,
									rs_error *err);

#endif							/* RECSYS_BLOB_H */
