// SPDX-License-Identifier: GPL-2.0
/*
 * Events <-> record payloads: the fixed encoding (1.x: every field
 * little-endian at its size) and the packed one (2.0: varints). Each kind's
 * fields come from its tools/lib/events/ev_*.c; docs/file-format.md
 * "Event records" is the specification.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "khugetrace.h"
#include "tracefile_internal.h"
#include "events/event_kind.h"

/*
 * Each kind's wire-field table is in its tools/lib/events/ev_*.c: APPEND
 * ONLY, so older files decode with newer members zero and older readers
 * ignore them; explicit `pad` members are not stored. Field kinds:
 * tools/lib/events/event_kind.h (short names here).
 */
enum { F_INT = KHT_WIRE_INT, F_SINT = KHT_WIRE_SINT, F_TS = KHT_WIRE_TS, F_BYTES = KHT_WIRE_BYTES };

unsigned kht_tf_event_wire_size(unsigned type)
{
	const struct kht_event_kind *c = kht_event_kind(type);
	unsigned n = 0;

	for (unsigned i = 0; c && i < c->nfields; i++)
		n += c->fields[i].size;
	return n;
}

int kht_tf_encode_event(const void *ev, void *out, unsigned outlen)
{
	struct kht_hdr hdr;
	const struct kht_event_kind *c;
	unsigned char *o = out;
	unsigned n = 0;

	memcpy(&hdr, ev, sizeof(hdr));
	c = kht_event_kind(hdr.type);
	if (!c)
		return -ENOENT;
	if (kht_tf_event_wire_size(hdr.type) > outlen)
		return -ENOSPC;
	for (unsigned i = 0; i < c->nfields; i++) {
		const struct kht_field *f = &c->fields[i];
		const unsigned char *src = (const unsigned char *)ev + f->off;

		if (f->kind == F_BYTES) {
			memcpy(o + n, src, f->size);
		} else if (f->size == 8) {
			uint64_t v;

			memcpy(&v, src, 8);
			set_le(o + n, v, 8);
		} else {
			uint32_t v;

			memcpy(&v, src, 4);
			set_le(o + n, v, 4);
		}
		n += f->size;
	}
	return n;
}

/*
 * ---- the packed (2.0) encoding ----
 *
 * The same fields in the same order, each as an LEB128 varint: F_INT as is,
 * F_SINT zigzagged (sign-extended from its size), F_TS relative to hdr.ts_ns
 * (ts_pack), F_BYTES as a varint count of the bytes up to the last non-zero
 * one, then those bytes. About a third of the fixed size: inflate, most of a
 * report's time, has a third of the bytes to make.
 */
/*
 * A timestamp as a small number: zigzag(v - ts), with the value that means
 * v == 0 ("unknown", frequent) swapped to 0 and the ones below it shifted up
 * by one. A bijection on u64, so every value round-trips.
 */
static uint64_t ts_pack(uint64_t v, uint64_t ts)
{
	uint64_t x = kht_zigzag(v - ts), z0 = kht_zigzag(0 - ts);

	return x == z0 ? 0 : x < z0 ? x + 1 : x;
}

static unsigned put_varint(unsigned char *o, uint64_t v)
{
	unsigned n = 0;

	while (v >= 0x80) {
		o[n++] = (v & 0x7f) | 0x80;
		v >>= 7;
	}
	o[n++] = v;
	return n;
}

/* The most bytes a packed event of this type can take. */
static unsigned packed_max(const struct kht_event_kind *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nfields; i++)
		n += c->fields[i].kind == F_BYTES ? c->fields[i].size + 2 : c->fields[i].size == 8 ? 10 : 5;
	return n;
}

int kht_tf_pack_event(const void *ev, void *out, unsigned outlen)
{
	const unsigned char *e = ev;
	unsigned char *o = out;
	const struct kht_event_kind *c;
	struct kht_hdr hdr;
	unsigned n = 0;

	memcpy(&hdr, ev, sizeof(hdr));
	c = kht_event_kind(hdr.type);
	if (!c)
		return -ENOENT;
	if (packed_max(c) > outlen)
		return -ENOSPC;
	for (unsigned i = 0; i < c->nfields; i++) {
		const struct kht_field *f = &c->fields[i];
		uint64_t v;

		if (f->kind == F_BYTES) {
			unsigned k = f->size;

			while (k && !e[f->off + k - 1])
				k--;
			n += put_varint(o + n, k);
			memcpy(o + n, e + f->off, k);
			n += k;
			continue;
		}
		if (f->size == 8) {
			memcpy(&v, e + f->off, 8);
		} else {
			uint32_t v32;

			memcpy(&v32, e + f->off, 4);
			v = f->kind == F_SINT ? (uint64_t)(int64_t)(int32_t)v32 : v32;
		}
		if (f->kind == F_SINT)
			v = kht_zigzag(v);
		else if (f->kind == F_TS)
			v = ts_pack(v, hdr.ts_ns);
		n += put_varint(o + n, v);
	}
	return n;
}

/* The kind's own decoder (its table compiled in), or the loop over its table. */
static int decode_fields(const struct kht_event_kind *c, bool packed, const unsigned char *in,
			 unsigned len, unsigned char *o)
{
	if (c->decode)
		return c->decode(in, len, o, packed);
	return packed ? kht_wire_decode_packed(c->fields, c->nfields, in, len, o) :
			kht_wire_decode_fixed(c->fields, c->nfields, in, len, o);
}

int kht_tf_decode_with(const struct kht_event_kind *c, unsigned type, const void *data,
		       unsigned len, void *out, unsigned outlen)
{
	struct kht_hdr hdr;
	int rc;

	if (!c)
		return -ENOENT;
	if (outlen < c->size)
		return -ENOSPC;
	memset(out, 0, c->size);
	rc = decode_fields(c, type & KHT_TF_PACKED, data, len, out);
	if (rc)
		return rc;
	memcpy(&hdr, out, sizeof(hdr));
	hdr.type = kht_tf_event_type(type);
	hdr.size = c->size;
	memcpy(out, &hdr, sizeof(hdr));
	return c->size;
}

int kht_tf_decode_event(unsigned type, const void *data, unsigned len, void *out, unsigned outlen)
{
	return kht_tf_decode_with(kht_event_kind(kht_tf_event_type(type)), type, data, len, out,
				  outlen);
}
