/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the recorded-trace files share; not part of the API (tracefile.h is).
 * docs/file-format.md is the specification. The parts:
 *
 *   tracefile_codec.c   events <-> record payloads (fixed 1.x, packed 2.0)
 *   tracefile_meta.c    the metadata, and the file header written from it and parsed into it
 *   tracefile_write.c   the writer: header, compressed record blocks, trailer
 *   tracefile_read.c    the reader: windowed reads, damaged blocks, the trailer walk
 *
 * The byte helpers below are inline because the reader's per-record paths
 * use them (one load per field on a little-endian host).
 *
 * Everything read from a file is untrusted: every length is checked against
 * the KHT_TF_MAX_* limits and against the bytes actually present before it is
 * used, and nothing is allocated from a length in the file beyond those limits.
 */
#ifndef KHT_TRACEFILE_INTERNAL_H
#define KHT_TRACEFILE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "tracefile.h"
#include "tracefile_decode.h"

/* What starts the file and every block (docs/file-format.md). */
static const unsigned char file_magic[8] = { 'K', 'H', 'T', 'R', 'A', 'C', 'E', 0 };
static const unsigned char block_magic[4] = { 'K', 'H', 'T', 'B' };

#define PREFIX_LEN 16		/* magic, major, minor, header length: fixed in every version */
#define BLK_HDR 32
#define BLK_RECORDS 1
#define BLK_TRAILER 2

static inline void seterr(char *err, int errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void seterr(char *err, int errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static inline unsigned crc(const void *p, size_t len)
{
	return crc32(0, p, len);
}

/* ---- little-endian encoding ---- */

static inline uint64_t get_le(const unsigned char *p, int size)
{
	uint64_t v = 0;

	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ld32/ld64: fixed-size loads for the per-record paths */

static inline void set_le(unsigned char *p, uint64_t v, int size)
{
	for (int i = 0; i < size; i++, v >>= 8)
		p[i] = v & 0xff;
}

/*
 * Output buffer. With cap 0 it only counts, which sizes the header exactly
 * before it is written for real.
 */
struct wbuf {
	unsigned char *p;
	size_t len, cap;
};

static inline void put_bytes(struct wbuf *b, const void *src, size_t n)
{
	if (b->len + n <= b->cap)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static inline void put_le(struct wbuf *b, uint64_t v, int size)
{
	unsigned char tmp[8];

	set_le(tmp, v, size);
	put_bytes(b, tmp, size);
}

/* u16 length + bytes, no terminator; s is a char array of at most max bytes */
static inline void put_str(struct wbuf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_le(b, n, 2);
	put_bytes(b, s, n);
}

/* Input cursor: reads past the end set .bad and yield zeros, so parsers check once. */
struct rbuf {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static inline uint64_t get(struct rbuf *c, int size)
{
	if (c->bad || c->len - c->off < (size_t)size) {
		c->bad = true;
		return 0;
	}
	c->off += size;
	return get_le(c->p + c->off - size, size);
}

/* A header string into out[outlen], cut (and counted in *cut) if too long. */
static inline void get_str(struct rbuf *c, char *out, size_t outlen, unsigned *cut)
{
	size_t n = get(c, 2), keep;

	if (n > KHT_TF_MAX_STR || c->len - c->off < n)
		c->bad = true;
	if (c->bad) {
		out[0] = 0;
		return;
	}
	keep = n < outlen ? n : outlen - 1;
	memcpy(out, c->p + c->off, keep);
	out[keep] = 0;
	if (keep < n)
		(*cut)++;
	c->off += n;
}

/* ---- strings and clocks: the metadata's, the writer's trailer, the reader's label ---- */

static inline void copy_str(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src ? src : "");
}

static inline long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* The file header (tracefile_meta.c): written by the writer, parsed by the reader. */

/* The whole header, CRC included; b->len is its size (count-only when cap is 0). */
void kht_tf_put_header(struct wbuf *b, const struct kht_tf_meta *m);
/* The body after the prefix; false if a field is missing or over a limit. */
bool kht_tf_parse_header(const unsigned char *p, size_t len, struct kht_tf_meta *m);

#endif
