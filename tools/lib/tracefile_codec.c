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
 * The same fields in the same order, each as an LEB128 varint
 * (kht_wire_pack, tracefile_decode.h). About a third of the fixed size:
 * inflate, most of a report's time, has a third of the bytes to make.
 */
int kht_tf_pack_with(const struct kht_event_kind *c, const void *ev, void *out, unsigned outlen)
{
	struct kht_hdr hdr;

	if (!c)
		return -ENOENT;
	memcpy(&hdr, ev, sizeof(hdr));
	if (c->pack)
		return c->pack(ev, hdr.ts_ns, out, outlen);
	if (kht_wire_packed_max(c->fields, c->nfields) > outlen)
		return -ENOSPC;
	return kht_wire_pack(c->fields, c->nfields, ev, hdr.ts_ns, out);
}

int kht_tf_pack_event(const void *ev, void *out, unsigned outlen)
{
	struct kht_hdr hdr;

	memcpy(&hdr, ev, sizeof(hdr));
	return kht_tf_pack_with(kht_event_kind(hdr.type), ev, out, outlen);
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
