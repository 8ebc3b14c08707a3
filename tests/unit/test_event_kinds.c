// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of event kinds (tools/lib/events/): every type of enum
 * kht_event_type has a kind, and its wire fields store every byte of its
 * struct but the named pads, in both encodings. A member added to a struct
 * without a wire field, or a type added without a kind, fails here.
 */
#include <stddef.h>
#include <string.h>
#include "kht_test.h"
#include "lib/events/event_kind.h"
#include "lib/timeline.h"
#include "lib/tracefile.h"

/* What this test needs to know of each kind: its struct size and the members not recorded. */
static const struct {
	unsigned type;
	size_t size;
	size_t pad_off;		/* 0: none (offset 0 is the header, never a pad) */
} structs[] = {
	{ KHT_EV_COLLAPSE, sizeof(struct kht_collapse), offsetof(struct kht_collapse, pad) },
	{ KHT_EV_UFFD, sizeof(struct kht_uffd), offsetof(struct kht_uffd, pad) },
	{ KHT_EV_SEEK, sizeof(struct kht_seek), offsetof(struct kht_seek, pad) },
	{ KHT_EV_MINCORE, sizeof(struct kht_mincore), 0 },
	{ KHT_EV_LOCK_WINDOW, sizeof(struct kht_lock_window), 0 },
	{ KHT_EV_READER, sizeof(struct kht_reader), 0 },
	{ KHT_EV_MODIFY, sizeof(struct kht_modify), 0 },
};
#define PAD_LEN 4	/* every pad is an unsigned int */

static int struct_of(unsigned type)
{
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++)
		if (structs[i].type == type)
			return i;
	return -1;
}

static bool is_pad(int s, size_t b)
{
	return structs[s].pad_off && b >= structs[s].pad_off && b < structs[s].pad_off + PAD_LEN;
}

/* hdr.type and hdr.size are set by the decoder, not taken from the wire */
static bool decoder_sets(size_t b)
{
	return b >= offsetof(struct kht_hdr, type) && b < offsetof(struct kht_hdr, pid);
}

TEST(event_kind_for_every_type)
{
	for (unsigned type = 1; type < KHT_EV_MAX; type++) {
		const struct kht_event_kind *k = kht_event_kind(type);
		int s = struct_of(type);

		if (!k || s < 0) {
			fprintf(stderr, "  type %u: %s\n", type, !k ? "no kind in the registry" :
				"not in this test's struct table");
			CHECK(0);
			continue;
		}
		CHECK(k->type == type);
		CHECK(k->size == structs[s].size && kht_event_size(type) == k->size);
		CHECK(k->size <= sizeof(union kht_any_event));	/* the timeline copies it there */
		CHECK(k->name && k->name[0] && k->span && k->fields && k->nfields);
		/* a kind a story shows has a line and a JSON object */
		CHECK(k->summarised || (k->desc && k->json));
		for (unsigned other = 1; other < type; other++)
			CHECK(!kht_event_kind(other) || strcmp(kht_event_kind(other)->name, k->name));
	}
	CHECK(kht_event_kind(0) == NULL && kht_event_kind(KHT_EV_MAX) == NULL);
	CHECK(kht_event_kind(~0u) == NULL && kht_event_size(KHT_EV_MAX) == 0);
}

/* The table itself: header first, sane sizes, no overlap, every byte but the pads. */
TEST(event_kind_fields_cover_struct)
{
	for (unsigned type = 1; type < KHT_EV_MAX; type++) {
		const struct kht_event_kind *k = kht_event_kind(type);
		unsigned char covered[512] = { 0 };
		int s = struct_of(type);

		if (!k || s < 0 || k->size > sizeof(covered))
			continue;	/* event_kind_for_every_type says why */
		CHECK(k->nfields > 6 && k->fields[0].off == offsetof(struct kht_hdr, ts_ns) &&
		      k->fields[5].off == offsetof(struct kht_hdr, comm));
		for (unsigned i = 0; i < k->nfields; i++) {
			const struct kht_field *f = &k->fields[i];

			CHECK(f->kind <= KHT_WIRE_BYTES);
			CHECK(f->kind == KHT_WIRE_BYTES || f->size == 4 || f->size == 8);
			if (f->off + f->size > k->size) {
				CHECK(0);
				continue;
			}
			for (unsigned b = f->off; b < f->off + f->size; b++)
				if (covered[b]++) {
					fprintf(stderr, "  %s: byte %u in two fields\n", k->name, b);
					CHECK(0);
				}
		}
		for (size_t b = 0; b < k->size; b++)
			if (!covered[b] != is_pad(s, b)) {
				fprintf(stderr, "  %s: byte %zu %s\n", k->name, b, covered[b] ?
					"is a pad but recorded" : "is in no wire field: it would not be recorded");
				CHECK(0);
				break;
			}
	}
}

/* Both encodings give back every recorded byte, each in its place. */
TEST(event_kind_round_trip)
{
	for (unsigned type = 1; type < KHT_EV_MAX; type++) {
		const struct kht_event_kind *k = kht_event_kind(type);
		int s = struct_of(type);

		if (!k || s < 0)
			continue;
		for (int packed = 0; packed < 2; packed++) {
			unsigned char in[512] __attribute__((aligned(8))), wire[1024], out[512];
			struct kht_hdr *h = (struct kht_hdr *)in;
			int n;

			/* a different value in every byte: a field stored in the wrong place shows */
			for (size_t b = 0; b < sizeof(in); b++)
				in[b] = b * 7 + 1 + packed;
			h->type = type;
			n = packed ? kht_tf_pack_event(in, wire, sizeof(wire)) :
				     kht_tf_encode_event(in, wire, sizeof(wire));
			CHECK(n > 0);
			if (n <= 0)
				continue;
			memset(out, 0, sizeof(out));
			CHECK(kht_tf_decode_event(type | (packed ? KHT_TF_PACKED : 0), wire, n, out,
						  sizeof(out)) == (int)k->size);
			for (size_t b = 0; b < k->size; b++)
				if (!decoder_sets(b) && out[b] != (is_pad(s, b) ? 0 : in[b])) {
					fprintf(stderr, "  %s%s: byte %zu not stored\n", k->name,
						packed ? " packed" : "", b);
					CHECK(0);
					break;
				}
		}
	}
}

/* A summarised kind has no JSON or line of its own: the lookups say so (a lock window crashed). */
TEST(event_kind_summarised_has_no_line)
{
	struct kht_lock_window w = { .hdr = { .type = KHT_EV_LOCK_WINDOW, .size = sizeof(w) } };
	struct kht_hdr unknown = { .type = KHT_EV_MAX };
	struct kht_fmt f = { 0 };
	struct kht_timeline t = { 0 };
	char buf[1024];

	CHECK(kht_event_kind(KHT_EV_LOCK_WINDOW)->summarised);
	CHECK(kht_event_json(buf, sizeof(buf), &w.hdr, sizeof(w), &f) == -1);
	CHECK(kht_event_desc(buf, sizeof(buf), &w.hdr, KHT_ROW_ONE, &f) == -1);
	CHECK(kht_event_json(buf, sizeof(buf), &unknown, sizeof(w), &f) == -1);
	CHECK(kht_event_desc(buf, sizeof(buf), &unknown, KHT_ROW_ONE, &f) == -1);
	/* not part of a story, and not an error */
	CHECK(kht_tl_add(&t, &w.hdr, sizeof(w)) == 0 && t.n == 0);
	CHECK(kht_tl_add(&t, &unknown, sizeof(w)) == -1);
	kht_tl_free(&t);
}
