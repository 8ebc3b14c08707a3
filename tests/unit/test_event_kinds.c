// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of event kinds (tools/lib/events/): every type of enum
 * kht_event_type has a kind, and its wire fields store every byte of its
 * struct but the named pads, in both encodings. A member added to a struct
 * without a wire field, or a type added without a kind, fails here.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "kht_test.h"
#include "lib/event_fmt.h"
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

/* The spans the timeline groups and orders by, and the rules overlap. */
TEST(event_kind_spans)
{
	struct kht_collapse c = { .hdr = { .ts_ns = 900, .type = KHT_EV_COLLAPSE }, .start_ns = 100,
				  .ino = 7, .dev = 39, .gen = 2, .start_index = 512, .nr = 512,
				  .name = "f", .flags = KHT_F_HAVE_INODE | KHT_F_HAVE_START };
	struct kht_uffd u = { .hdr = { .ts_ns = 50, .type = KHT_EV_UFFD }, .start_ns = 40,
			      .len = 3 * 4096 - 1, .file = { .ino = 7, .index = 10 },
			      .flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION };
	struct kht_seek sk = { .hdr = { .ts_ns = 60, .type = KHT_EV_SEEK }, .start_ns = 55,
			       .file = { .ino = 7, .index = 33 }, .flags = KHT_O_HAVE_INODE };
	struct kht_reader rd = { .hdr = { .ts_ns = 70, .type = KHT_EV_READER }, .start_ns = 65,
				 .file = { .ino = 7, .index = 600, .dev = 39, .gen = 2 } };
	struct kht_lock_window w = { .hdr = { .ts_ns = 80, .type = KHT_EV_LOCK_WINDOW },
				     .start_ns = 75, .file = { .ino = 7, .index = 512 } };
	struct kht_span s;

	memset(&s, 0, sizeof(s));
	kht_ev_collapse.span(&c, &s);
	/* no KHT_F_HAVE_DURATION: the entry was not seen, it begins at its end */
	CHECK(!s.has_begin && s.begin_ns == 900 && s.end_ns == 900);
	CHECK(s.has_file && s.file.ino == 7 && s.file.dev == 39 && s.file.gen == 2);
	CHECK(s.first_page == 512 && s.last_page == 1023 && !strcmp(s.name, "f"));
	c.flags |= KHT_F_HAVE_DURATION;
	c.flags &= ~KHT_F_HAVE_START;	/* derived start: only kht_collapse_start() knows */
	kht_ev_collapse.span(&c, &s);
	CHECK(s.has_begin && s.begin_ns == 100 && s.first_page == 0 && s.last_page == ~0ULL);

	kht_ev_uffd.span(&u, &s);
	CHECK(s.has_begin && s.begin_ns == 40 && s.end_ns == 50);
	CHECK(s.has_file && s.first_page == 10 && s.last_page == 12);
	u.flags = KHT_O_ANON;
	kht_ev_uffd.span(&u, &s);
	CHECK(!s.has_file && !s.has_begin && s.begin_ns == 50);

	kht_ev_seek.span(&sk, &s);
	CHECK(!s.has_begin && s.has_file && s.first_page == 33 && s.last_page == 33);

	/* readers and lock windows are always timed and always a file, without a name */
	kht_ev_reader.span(&rd, &s);
	CHECK(s.has_begin && s.begin_ns == 65 && s.has_file && s.file.index == 600 && !s.name);
	CHECK(s.first_page == 600 && s.last_page == 600);
	kht_ev_lock_window.span(&w, &s);
	CHECK(s.has_begin && s.begin_ns == 75 && s.first_page == 512 && s.last_page == 1023);
}

/* What kht_win_batch_each hands on for each window of a batch */
struct win_seen {
	int n;
	struct kht_lock_window w[KHT_WIN_BATCH];
	int stop_at;		/* return 7 at this call (1-based), 0: never */
};

static int win_seen(void *ctx, const struct kht_lock_window *w)
{
	struct win_seen *s = ctx;

	s->w[s->n++] = *w;
	return s->n == s->stop_at ? 7 : 0;
}

TEST(event_kind_lock_window_batch_expands)
{
	struct kht_win_batch b;
	struct win_seen s;

	memset(&b, 0xa5, sizeof(b));	/* entries past n are never read */
	memset(&b.hdr, 0, sizeof(b.hdr));
	b.hdr.type = KHT_WIRE_LOCK_WINDOWS;
	b.hdr.size = sizeof(b);
	b.hdr.pid = 10;
	b.hdr.tid = 11;
	strcpy(b.hdr.comm, "khugepaged");
	b.hdr.ts_ns = 999;
	b.file = (struct kht_fileref){ .ino = 7, .index = 512, .dev = 39, .gen = 2 };
	b.n = 3;
	for (unsigned i = 0; i < 3; i++)
		b.w[i] = (struct kht_win_entry){ .start_ns = 100 * (i + 1), .hold_ns = 5 + i,
						 .window = 4 + i, .slot = i == 2 ? KHT_SLOT_NEW : KHT_SLOT_OLD,
						 .uptodate = i == 2, .readers = (unsigned short)i };

	memset(&s, 0, sizeof(s));
	CHECK(kht_win_batch_each(&b, sizeof(b), win_seen, &s) == 0);
	CHECK(s.n == 3);
	for (int i = 0; i < s.n; i++) {
		const struct kht_lock_window *w = &s.w[i];

		/* one KHT_EV_LOCK_WINDOW each, as the BPF side sent them before batching */
		CHECK(w->hdr.type == KHT_EV_LOCK_WINDOW && w->hdr.size == sizeof(*w));
		CHECK(w->hdr.pid == 10 && w->hdr.tid == 11 && !strcmp(w->hdr.comm, "khugepaged"));
		CHECK(w->start_ns == 100ULL * (i + 1) && w->hold_ns == 5ULL + i);
		CHECK(w->hdr.ts_ns == w->start_ns + w->hold_ns);	/* its end */
		CHECK(w->file.ino == 7 && w->file.index == 512 && w->file.dev == 39 && w->file.gen == 2);
		CHECK(w->window == 4U + i && w->readers == (unsigned)i);
	}
	CHECK(s.w[2].slot == KHT_SLOT_NEW && s.w[2].uptodate && s.w[0].slot == KHT_SLOT_OLD);
	CHECK(kht_event_kind(KHT_WIRE_LOCK_WINDOWS) == NULL);	/* never a kind of its own */

	/* the callback's first non-zero return ends the walk */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK(kht_win_batch_each(&b, sizeof(b), win_seen, &s) == 7 && s.n == 2);

	/* malformed: nothing handed on */
	memset(&s, 0, sizeof(s));
	CHECK(kht_win_batch_each(&b, sizeof(b) - 1, win_seen, &s) == -EINVAL && s.n == 0);
	b.n = 0;
	CHECK(kht_win_batch_each(&b, sizeof(b), win_seen, &s) == -EINVAL && s.n == 0);
	b.n = KHT_WIN_BATCH + 1;
	CHECK(kht_win_batch_each(&b, sizeof(b), win_seen, &s) == -EINVAL && s.n == 0);
	b.n = KHT_WIN_BATCH;
	CHECK(kht_win_batch_each(&b, sizeof(b), win_seen, &s) == 0 && s.n == KHT_WIN_BATCH);
}
