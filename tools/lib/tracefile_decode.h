/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record payload -> event: the field loops of both encodings (fixed 1.x,
 * packed 2.0; docs/file-format.md "Event records"), written once, inline;
 * and event -> packed payload, the same way.
 *
 * tracefile_codec.c runs them over any kind's field table. Each kind's
 * tools/lib/events/ev_*.c also compiles them with its own table
 * (KHT_WIRE_DECODER): with the table a constant, the loop is unrolled and
 * every field's kind, size and offset are known, so no branch per field
 * decides what the field is. Decoding was ~15% of report --timeline -j,
 * mostly those branches mispredicted as the field kinds alternate.
 */
#ifndef KHT_TRACEFILE_DECODE_H
#define KHT_TRACEFILE_DECODE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "events/event_kind.h"

/* Fixed-size loads for the per-record paths (one instruction on little-endian hosts). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define KHT_FROM_LE(bits, v) __builtin_bswap##bits(v)
#else
#define KHT_FROM_LE(bits, v) (v)
#endif
#define KHT_DEFINE_LD(bits)							\
static inline uint##bits##_t ld##bits(const unsigned char *p)			\
{										\
	uint##bits##_t v;							\
										\
	memcpy(&v, p, sizeof(v));						\
	return KHT_FROM_LE(bits, v);						\
}
KHT_DEFINE_LD(32)
KHT_DEFINE_LD(64)

#define KHT_WIRE_HDR 40		/* encoded struct kht_hdr: what a fixed decode requires */
#define KHT_WIRE_HDR_NF 6	/* hdr fields at the start of every table */

static inline uint64_t kht_zigzag(uint64_t v)
{
	return v << 1 ^ (0 - (v >> 63));
}

static inline uint64_t kht_unzigzag(uint64_t v)
{
	return v >> 1 ^ (0 - (v & 1));
}

/* The inverse of tracefile_codec.c's ts_pack (a bijection on u64). */
static inline uint64_t kht_ts_unpack(uint64_t y, uint64_t ts)
{
	uint64_t z0 = kht_zigzag(0 - ts);

	return ts + kht_unzigzag(y == 0 ? z0 : y <= z0 ? y - 1 : y);
}

/* Bytes used, or -1 when the varint runs past avail or over 10 bytes. */
static inline int kht_get_varint(const unsigned char *p, unsigned avail, uint64_t *v)
{
	uint64_t x = 0;

	if (avail && p[0] < 0x80) {
		*v = p[0];
		return 1;
	}
	for (unsigned i = 0; i < avail && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return -1;
}

/*
 * The fixed (1.0) encoding: every field at its size, in table order; fields
 * past a short payload stay zero (an older writer lacked them).
 */
static inline __attribute__((always_inline)) int
kht_wire_decode_fixed(const struct kht_field *fields, unsigned nfields, const unsigned char *in,
		      unsigned len, unsigned char *o)
{
	unsigned n = 0;

	if (len < KHT_WIRE_HDR)
		return -EINVAL;
#pragma GCC unroll 64
	for (unsigned i = 0; i < nfields; i++) {
		const struct kht_field *f = &fields[i];

		if (len - n < f->size)
			break;
		if (f->kind == KHT_WIRE_BYTES) {
			memcpy(o + f->off, in + n, f->size);
		} else if (f->size == 8) {
			uint64_t v = ld64(in + n);

			memcpy(o + f->off, &v, 8);
		} else {
			uint32_t v = ld32(in + n);

			memcpy(o + f->off, &v, 4);
		}
		n += f->size;
	}
	return 0;
}

/*
 * The packed (2.0) encoding: each field an LEB128 varint (see
 * tracefile_codec.c). Fields after the payload's end stay zero (an older
 * writer); the header fields must all be there; a field cut in the middle,
 * a varint over 10 bytes, or a byte count over the field's size is damage.
 */
static inline __attribute__((always_inline)) int
kht_wire_decode_packed(const struct kht_field *fields, unsigned nfields, const unsigned char *in,
		       unsigned len, unsigned char *o)
{
	uint64_t ts = 0;
	unsigned n = 0;

	/* one exit test in the loop's header: a loop with two is not unrolled */
#pragma GCC unroll 64
	for (unsigned i = 0; i < nfields; i++) {
		const struct kht_field *f = &fields[i];
		uint64_t v;
		int k;

		if (n >= len)
			return i < KHT_WIRE_HDR_NF ? -EINVAL : 0;
		k = kht_get_varint(in + n, len - n, &v);
		if (k < 0)
			return -EINVAL;
		n += k;
		if (f->kind == KHT_WIRE_BYTES) {
			if (v > f->size || v > len - n)
				return -EINVAL;
			memcpy(o + f->off, in + n, v);
			n += v;
			continue;
		}
		if (f->kind == KHT_WIRE_SINT)
			v = kht_unzigzag(v);
		else if (f->kind == KHT_WIRE_TS)
			v = kht_ts_unpack(v, ts);
		if (i == 0)
			ts = v;		/* hdr.ts_ns */
		if (f->size == 8) {
			memcpy(o + f->off, &v, 8);
		} else {
			uint32_t v32 = v;

			memcpy(o + f->off, &v32, 4);
		}
	}
	return nfields < KHT_WIRE_HDR_NF ? -EINVAL : 0;
}

/*
 * ---- the other direction: event -> packed (2.0) payload ----
 *
 * A timestamp as a small number: zigzag(v - ts), with the value that means
 * v == 0 ("unknown", frequent) swapped to 0 and the ones below it shifted up
 * by one. A bijection on u64, so every value round-trips (kht_ts_unpack).
 */
static inline uint64_t kht_ts_pack(uint64_t v, uint64_t ts)
{
	uint64_t x = kht_zigzag(v - ts), z0 = kht_zigzag(0 - ts);

	return x == z0 ? 0 : x < z0 ? x + 1 : x;
}

static inline unsigned kht_put_varint(unsigned char *o, uint64_t v)
{
	unsigned n = 0;

	while (v >= 0x80) {
		o[n++] = (v & 0x7f) | 0x80;
		v >>= 7;
	}
	o[n++] = v;
	return n;
}

/* The most bytes a packed event with this table can take. */
static inline __attribute__((always_inline)) unsigned
kht_wire_packed_max(const struct kht_field *fields, unsigned nfields)
{
	unsigned n = 0;

#pragma GCC unroll 64
	for (unsigned i = 0; i < nfields; i++)
		n += fields[i].kind == KHT_WIRE_BYTES ? fields[i].size + 2 :
		     fields[i].size == 8 ? 10 : 5;
	return n;
}

/*
 * The same fields in the same order, each as an LEB128 varint: INT as is,
 * SINT zigzagged (sign-extended from its size), TS relative to hdr.ts_ns,
 * BYTES as a varint count of the bytes up to the last non-zero one, then
 * those bytes. out must hold kht_wire_packed_max(); bytes used.
 */
static inline __attribute__((always_inline)) unsigned
kht_wire_pack(const struct kht_field *fields, unsigned nfields, const unsigned char *e,
	      uint64_t ts, unsigned char *o)
{
	unsigned n = 0;

#pragma GCC unroll 64
	for (unsigned i = 0; i < nfields; i++) {
		const struct kht_field *f = &fields[i];
		uint64_t v;

		if (f->kind == KHT_WIRE_BYTES) {
			unsigned k = f->size;

			while (k && !e[f->off + k - 1])
				k--;
			n += kht_put_varint(o + n, k);
			memcpy(o + n, e + f->off, k);
			n += k;
			continue;
		}
		if (f->size == 8) {
			memcpy(&v, e + f->off, 8);
		} else {
			uint32_t v32;

			memcpy(&v32, e + f->off, 4);
			v = f->kind == KHT_WIRE_SINT ? (uint64_t)(int64_t)(int32_t)v32 : v32;
		}
		if (f->kind == KHT_WIRE_SINT)
			v = kht_zigzag(v);
		else if (f->kind == KHT_WIRE_TS)
			v = kht_ts_pack(v, ts);
		n += kht_put_varint(o + n, v);
	}
	return n;
}

/*
 * A kind's decoder (struct kht_event_kind.decode), its field table compiled
 * in: in ev_*.c, after the table, KHT_WIRE_DECODER(decode, fields).
 */
#define KHT_WIRE_DECODER(name, table)						\
static int name(const void *in, unsigned len, void *out, bool packed)		\
{										\
	unsigned nf = sizeof(table) / sizeof((table)[0]);			\
										\
	return packed ? kht_wire_decode_packed(table, nf, in, len, out) :	\
			kht_wire_decode_fixed(table, nf, in, len, out);		\
}

/*
 * ... and its packer (struct kht_event_kind.pack), the same way: the packed
 * payload of ev, hdr.ts_ns given; -ENOSPC when outlen may be too small.
 * Packing was ~850 instructions a lock window through the loop over the
 * table, a quarter of what `record` spends a window (bench/README.md
 * "Round 28").
 */
#define KHT_WIRE_PACKER(name, table)						\
static int name(const void *ev, uint64_t ts, void *out, unsigned outlen)	\
{										\
	unsigned nf = sizeof(table) / sizeof((table)[0]);			\
										\
	if (outlen < kht_wire_packed_max(table, nf))				\
		return -ENOSPC;							\
	return kht_wire_pack(table, nf, ev, ts, out);				\
}

/*
 * kht_tf_decode_event with the kind given (tracefile_codec.c): the unit test
 * compares a kind's own decoder with the loop over its table (a copy of the
 * kind with decode NULL).
 */
int kht_tf_decode_with(const struct kht_event_kind *c, unsigned type, const void *data,
		       unsigned len, void *out, unsigned outlen);
/* kht_tf_pack_event with the kind given: the same comparison for packers. */
int kht_tf_pack_with(const struct kht_event_kind *c, const void *ev, void *out, unsigned outlen);

#endif
