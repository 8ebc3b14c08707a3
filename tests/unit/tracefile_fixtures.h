/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the recorded-trace tests (test_tracefile_*.c) share; defined in
 * test_tracefile_fixtures.c.
 */
#ifndef KHT_TRACEFILE_FIXTURES_H
#define KHT_TRACEFILE_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "khugetrace.h"
#include "lib/tracefile.h"

/* The per-run temporary directory ("" until tmp_path() made it). */
extern char tmpdir[64];
/* A path in it (one of 4 rotating buffers). */
const char *tmp_path(const char *name);
/* A whole file, malloc'd (NULL if unreadable); write one. */
unsigned char *slurp(const char *path, size_t *len);
void spit(const char *path, const void *buf, size_t len);
/* Little-endian fields, to read and edit files by hand. */
uint64_t le(const unsigned char *p, int size);
void set_le(unsigned char *p, uint64_t v, int size);

/* Metadata with two hooks and two enum tables (one with edge values). */
void test_meta(struct kht_tf_meta *m);
/* kht_tf_create(path) with test_meta(m); NULL (the reason on stderr) on failure. */
struct kht_tf_writer *test_writer(const char *path, struct kht_tf_meta *m);
/* A collapse event whose fields all derive from i. */
struct kht_collapse collapse_ev(unsigned i);
/*
 * Record i of the synthetic stream (every third an encoded collapse event,
 * the others types no reader knows, their first 4 bytes i): its type; and
 * whether a delivered record is it.
 */
unsigned synth(unsigned i, unsigned char *buf, unsigned *len);
int synth_eq(unsigned i, unsigned type, const void *data, unsigned len);

/* A small file: header, 3 record blocks of 10/7/13 records, trailer. */
#define SMALL_BLOCKS 3
struct small {
	unsigned char *buf;
	size_t len;
	size_t hdr_end;
	size_t blk_end[SMALL_BLOCKS];	/* file offset where each block ends */
	unsigned first[SMALL_BLOCKS + 1];	/* first record index of each block */
};
extern const unsigned small_counts[SMALL_BLOCKS];
void small_file(struct small *s);
/* The records of the small file's blocks, except block `skip` (-1: none), up to block `upto`. */
unsigned small_expect(const struct small *s, int skip, int upto, unsigned *out);

/* Read everything; every record must be synthetic record expect[k] in order. */
struct readout {
	int rc;			/* kht_tf_next's last return */
	unsigned n;		/* records delivered */
	unsigned bad;		/* delivered records that are not the expected ones */
	struct kht_tf_stats st;
};
void read_expect(struct kht_tf_reader *r, const unsigned *expect, unsigned nexpect,
		 struct readout *o);

/* One block built by hand, as docs/file-format.md describes it (at zlib level 6, or this one). */
size_t make_block_at(unsigned char *out, unsigned kind, unsigned seq, const void *raw,
		     unsigned ulen, unsigned nrec, int level);
size_t make_block(unsigned char *out, unsigned kind, unsigned seq, const void *raw,
		  unsigned ulen, unsigned nrec);
/* Re-seal a file header after editing it in place. */
void reseal_header(unsigned char *buf);

/* The trailer a full read ends with: 1 (into *t), 0 none, -EINVAL refused. */
int full_trailer(const void *buf, size_t len, struct kht_tf_trailer *t);
/* Does the peek return what the full read ends with (and say why when it has none)? */
bool peek_agrees(const void *buf, size_t len, int *rc);

#endif
