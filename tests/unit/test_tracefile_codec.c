// SPDX-License-Identifier: GPL-2.0
/*
 * The recorded-trace event encodings (tools/lib/tracefile_codec.c): every
 * field of every kind stored, edge values, fixed 1.x and packed 2.0
 * payloads, shorter (older) and longer (newer) ones, malformed ones.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kht_test.h"
#include "tracefile_fixtures.h"
#include "lib/tracefile_decode.h"	/* kht_tf_decode_with */

/* Field edge values of every event type survive encode + write + read + decode. */
TEST(tf_events_edge_values_round_trip)
{
	static struct kht_tf_meta m;
	const char *path = tmp_path("edge.khtrace");
	struct kht_collapse c[3];
	struct kht_uffd u;
	struct kht_seek sk;
	struct kht_mincore mc;
	const void *evs[6] = { &c[0], &c[1], &c[2], &u, &sk, &mc };
	const size_t used[6] = {	/* bytes up to the end of name: no interior padding */
		offsetof(struct kht_collapse, name) + KHT_NAME_LEN,
		offsetof(struct kht_collapse, name) + KHT_NAME_LEN,
		offsetof(struct kht_collapse, name) + KHT_NAME_LEN,
		offsetof(struct kht_uffd, name) + KHT_NAME_LEN,
		offsetof(struct kht_seek, name) + KHT_NAME_LEN,
		offsetof(struct kht_mincore, name) + KHT_NAME_LEN,
	};
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	char err[256];
	unsigned type, len, n = 0, unknown = 0;
	const void *data;
	unsigned char raw[16] = "unknown-payload";

	memset(c, 0, sizeof(c));
	c[0].hdr.type = KHT_EV_COLLAPSE;		/* all zero */
	memset(&c[1], 0xff, sizeof(c[1]));		/* all ones: max u64, -1 */
	c[1].hdr.type = KHT_EV_COLLAPSE;
	c[2] = collapse_ev(7);
	c[2].result = INT_MIN;
	c[2].start_ns = ~0ULL;
	memcpy(c[2].hdr.comm, "ABCDEFGHIJKLMNOP", KHT_COMM_LEN);	/* no terminator */
	memset(c[2].name, 'n', KHT_NAME_LEN);
	memset(&u, 0, sizeof(u));
	u.hdr.type = KHT_EV_UFFD;
	u.result = -22;
	u.out = LLONG_MIN;
	u.uffd_mode = ~0ULL;
	u.file.ino = ~0ULL;
	u.file.gen = 0xffffffffu;
	u.op = KHT_UFFD_API;
	memset(u.name, 'u', KHT_NAME_LEN);
	memset(&sk, 0, sizeof(sk));
	sk.hdr.type = KHT_EV_SEEK;
	sk.offset = LLONG_MAX;
	sk.result = -6;
	sk.whence = KHT_SEEK_HOLE;
	memcpy(sk.hdr.comm, "0123456789abcdef", KHT_COMM_LEN);
	memset(&mc, 0, sizeof(mc));
	mc.hdr.type = KHT_EV_MINCORE;
	mc.len = ~0ULL;
	mc.pages = KHT_MINCORE_MAX;
	mc.resident = 1;
	mc.file.index = 1ULL << 63;
	c[0].hdr.size = c[1].hdr.size = c[2].hdr.size = sizeof(c[0]);
	u.hdr.size = sizeof(u);
	sk.hdr.size = sizeof(sk);
	mc.hdr.size = sizeof(mc);

	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	for (int i = 0; i < 6; i++) {
		CHECK(kht_tf_write_event(w, evs[i]) == 0);
		CHECK(kht_tf_write(w, 0x7fffffff, raw, sizeof(raw)) == 0);	/* unknown types */
		CHECK(kht_tf_write(w, 0xffffffff, NULL, 0) == 0);
	}
	CHECK(kht_tf_close(w, NULL) == 0);

	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		union {
			struct kht_collapse c;
			struct kht_uffd u;
			struct kht_seek s;
			struct kht_mincore m;
		} ev;

		/* a report skips what it does not know, by type */
		if (kht_tf_decode_event(type, data, len, &ev, sizeof(ev)) == -ENOENT) {
			CHECK(type == 0x7fffffff || type == 0xffffffff);
			CHECK(type == 0xffffffff ? len == 0 : len == sizeof(raw) && !memcmp(data, raw, len));
			unknown++;
			continue;
		}
		CHECK(n < 6);
		if (n < 6)
			CHECK(!memcmp(&ev, evs[n], used[n]));
		n++;
	}
	CHECK(n == 6 && unknown == 12);
	kht_tf_free(r);
	unlink(path);
}

/* Every struct member is in the wire table (a forgotten one would decode as zero). */
TEST(tf_codec_covers_every_field)
{
	static const struct { unsigned type; size_t size, end, pad_off, pad_len; } t[] = {
		{ KHT_EV_COLLAPSE, sizeof(struct kht_collapse),
		  offsetof(struct kht_collapse, name) + KHT_NAME_LEN, 0, 0 },
		{ KHT_EV_UFFD, sizeof(struct kht_uffd), offsetof(struct kht_uffd, name) + KHT_NAME_LEN,
		  offsetof(struct kht_uffd, pad), 4 },
		{ KHT_EV_SEEK, sizeof(struct kht_seek), offsetof(struct kht_seek, name) + KHT_NAME_LEN,
		  offsetof(struct kht_seek, pad), 4 },
		{ KHT_EV_MINCORE, sizeof(struct kht_mincore),
		  offsetof(struct kht_mincore, name) + KHT_NAME_LEN, 0, 0 },
		{ KHT_EV_LOCK_WINDOW, sizeof(struct kht_lock_window), sizeof(struct kht_lock_window),
		  0, 0 },
		{ KHT_EV_READER, sizeof(struct kht_reader), sizeof(struct kht_reader), 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned char in[512] __attribute__((aligned(8))), wire[512], out[512];
		struct kht_hdr *h = (struct kht_hdr *)in;
		int n;

		memset(in, 0xa5, sizeof(in));
		h->type = t[i].type;
		for (int packed = 0; packed < 2; packed++) {
		if (packed) {
			n = kht_tf_pack_event(in, wire, sizeof(wire));
			CHECK(n > 0 && kht_tf_decode_event(t[i].type | KHT_TF_PACKED, wire, n, out,
							   sizeof(out)) == (int)t[i].size);
		} else {
			n = kht_tf_encode_event(in, wire, sizeof(wire));
			CHECK(n > 0 && (unsigned)n == kht_tf_event_wire_size(t[i].type));
			CHECK(kht_tf_decode_event(t[i].type, wire, n, out, sizeof(out)) ==
			      (int)t[i].size);
		}
		for (size_t b = 0; b < t[i].end; b++) {
			bool pad = t[i].pad_len && b >= t[i].pad_off && b < t[i].pad_off + t[i].pad_len;

			/* hdr.type and hdr.size are set by decode, small values */
			if (b >= offsetof(struct kht_hdr, type) && b < offsetof(struct kht_hdr, pid))
				continue;

			if (!pad && out[b] != in[b]) {
				fprintf(stderr, "  type %u%s: byte %zu not stored\n", t[i].type,
					packed ? " packed" : "", b);
				CHECK(0);
				break;
			}
		}
		}
	}
}

/* Older (shorter) and newer (longer) payloads; unknown types; too-small buffers. */
TEST(tf_codec_versions)
{
	struct kht_collapse ev = collapse_ev(42), out;
	unsigned char wire[512];
	int n = kht_tf_encode_event(&ev, wire, sizeof(wire));

	CHECK(n > 40);
	/* newer writer: extra bytes after our fields are ignored */
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, n + 16, &out, sizeof(out)) ==
	      sizeof(out));
	CHECK(!memcmp(&out, &ev, offsetof(struct kht_collapse, name) + KHT_NAME_LEN));
	/* older writer: missing trailing fields (the 64-byte data map, the 56
	 * bytes of inside fields, then the name before them) are zero */
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, n - 64 - 56 - KHT_NAME_LEN, &out,
				  sizeof(out)) == sizeof(out));
	CHECK(out.attach == ev.attach && out.name[0] == 0 && out.windows == 0);
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, 39, &out, sizeof(out)) == -EINVAL);
	CHECK(kht_tf_decode_event(99, wire, n, &out, sizeof(out)) == -ENOENT);
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, n, &out, 10) == -ENOSPC);
	CHECK(kht_tf_encode_event(&ev, wire, 10) == -ENOSPC);
	ev.hdr.type = 77;
	CHECK(kht_tf_encode_event(&ev, wire, sizeof(wire)) == -ENOENT);
	CHECK(kht_tf_event_wire_size(77) == 0);
	/* the sizes docs/file-format.md gives: a changed layout must change the doc */
	CHECK(kht_tf_event_wire_size(KHT_EV_COLLAPSE) == 284);
	CHECK(kht_tf_event_wire_size(KHT_EV_LOCK_WINDOW) == 96);
	CHECK(kht_tf_event_wire_size(KHT_EV_READER) == 96);
	CHECK(kht_tf_event_wire_size(KHT_EV_UFFD) == 164);
	CHECK(kht_tf_event_wire_size(KHT_EV_SEEK) == 140);
	CHECK(kht_tf_event_wire_size(KHT_EV_MINCORE) == 152);
}

/*
 * The data map: 64 bytes stored as they are (fixed) or up to the last
 * non-zero byte (packed). A 1.x/early-2.0 writer stopped before it: those
 * payloads are exactly ours cut before the map, and decode with the map zero
 * and KHT_F_HAVE_DATAMAP clear.
 */
TEST(tf_collapse_data_map)
{
	struct kht_collapse ev = collapse_ev(9), out;
	unsigned char wire[512], nomap[512];
	unsigned rt = KHT_EV_COLLAPSE | KHT_TF_PACKED;
	int n, n0, nf;

	ev.flags |= KHT_F_HAVE_DATAMAP | KHT_F_HAVE_START;
	for (int w = 0; w < KHT_DATAMAP_WORDS; w++)
		ev.data_map[w] = 0xfffefffefffefffeULL ^ ((unsigned long long)w << 40);
	/* fixed */
	nf = kht_tf_encode_event(&ev, wire, sizeof(wire));
	CHECK(nf == 284);
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, nf, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	/* packed, a full map: all 64 bytes */
	n = kht_tf_pack_event(&ev, wire, sizeof(wire));
	CHECK(kht_tf_decode_event(rt, wire, n, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	/* packed, only the first page: one byte of map */
	memset(ev.data_map, 0, sizeof(ev.data_map));
	n0 = kht_tf_pack_event(&ev, nomap, sizeof(nomap));
	ev.data_map[0] = 1;
	n = kht_tf_pack_event(&ev, wire, sizeof(wire));
	CHECK(n == n0 + 1 && wire[n - 2] == 1 && wire[n - 1] == 1);
	CHECK(kht_tf_decode_event(rt, wire, n, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	/* packed, only the last page: every byte up to it */
	ev.data_map[0] = 0;
	ev.data_map[KHT_DATAMAP_WORDS - 1] = 1ULL << 63;
	n = kht_tf_pack_event(&ev, wire, sizeof(wire));
	CHECK(n == n0 + 64 && wire[n0 - 1] == 64);
	CHECK(kht_tf_decode_event(rt, wire, n, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	/* a count over 64 is damage */
	wire[n0 - 1] = 65;
	CHECK(kht_tf_decode_event(rt, wire, n, &out, sizeof(out)) == -EINVAL);

	/* an older writer's event: no map, no flag */
	ev = collapse_ev(9);
	ev.windows = 3;
	ev.retry_spin_ns = 77;
	CHECK(nomap[n0 - 1] == 0);	/* zero map: a count of 0, one byte */
	n0 = kht_tf_pack_event(&ev, nomap, sizeof(nomap));
	CHECK(kht_tf_decode_event(rt, nomap, n0 - 1, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	CHECK(!(out.flags & KHT_F_HAVE_DATAMAP) && out.data_map[0] == 0 && out.windows == 3);
	nf = kht_tf_encode_event(&ev, wire, sizeof(wire));
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, nf - 64, &out, sizeof(out)) ==
	      sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	CHECK(!(out.flags & KHT_F_HAVE_DATAMAP) && out.retry_spin_ns == 77);
	/* ... and a map cut in the middle (a fixed payload is whole fields) */
	CHECK(kht_tf_decode_event(KHT_EV_COLLAPSE, wire, nf - 10, &out, sizeof(out)) ==
	      sizeof(out));
	CHECK(out.data_map[0] == 0 && out.retry_spin_ns == 77);
}

/* The packed (2.0) encoding: timestamps at the edges, short/long/malformed payloads, size. */
TEST(tf_packed_codec)
{
	static const unsigned long long ts[] = { 0, 1, 1000000000ULL, 1ULL << 63, ~0ULL };
	static const unsigned long long dt[] = { 0, 1, ~0ULL, 1ULL << 63, (1ULL << 63) - 1,
						 (1ULL << 63) + 1 };
	struct kht_collapse ev = collapse_ev(42), out;
	unsigned char wire[512], fixed[512];
	unsigned rt = KHT_EV_COLLAPSE | KHT_TF_PACKED;
	int n, nf, bad = 0;

	/* start_ns/publish_ns: 0 (unknown), equal, and every distance, wrapping */
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		for (size_t j = 0; j < sizeof(dt) / sizeof(dt[0]); j++) {
			ev.hdr.ts_ns = ts[i];
			ev.start_ns = ts[i] + dt[j];
			ev.publish_ns = dt[j];
			n = kht_tf_pack_event(&ev, wire, sizeof(wire));
			if (n <= 0 || kht_tf_decode_event(rt, wire, n, &out, sizeof(out)) != sizeof(out) ||
			    memcmp(&out, &ev, sizeof(out)))
				bad++;
		}
	}
	CHECK(bad == 0);
	ev = collapse_ev(42);
	ev.start_ns = ev.hdr.ts_ns - 5000;
	n = kht_tf_pack_event(&ev, wire, sizeof(wire));
	nf = kht_tf_encode_event(&ev, fixed, sizeof(fixed));
	CHECK(n > 40 && n * 2 < nf);			/* the point of it */
	CHECK(kht_tf_decode_event(rt, wire, n, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	/* newer writer: extra bytes ignored */
	memset(wire + n, 0x80, 16);
	CHECK(kht_tf_decode_event(rt, wire, n + 16, &out, sizeof(out)) == sizeof(out));
	CHECK(!memcmp(&out, &ev, sizeof(out)));
	/* older writer: the payload ends after the header fields: the rest is zero */
	{
		unsigned char h[64];
		unsigned k = 0;

		h[k++] = 0x85; h[k++] = 0x01;	/* ts_ns 133 */
		h[k++] = 1;			/* type */
		h[k++] = 0x7f;			/* size */
		h[k++] = 5;			/* pid */
		h[k++] = 6;			/* tid */
		h[k++] = 2; h[k++] = 'a'; h[k++] = 'b';	/* comm */
		CHECK(kht_tf_decode_event(rt, h, k, &out, sizeof(out)) == sizeof(out));
		CHECK(out.hdr.ts_ns == 133 && out.hdr.pid == 5 && out.hdr.tid == 6 &&
		      !strcmp(out.hdr.comm, "ab") && out.hdr.type == KHT_EV_COLLAPSE &&
		      out.hdr.size == sizeof(out) && out.start_ns == 0 && out.name[0] == 0);
		/* a header field missing, a cut varint, a cut string, a string too long */
		CHECK(kht_tf_decode_event(rt, h, k - 3, &out, sizeof(out)) == -EINVAL);
		CHECK(kht_tf_decode_event(rt, h, 1, &out, sizeof(out)) == -EINVAL);
		CHECK(kht_tf_decode_event(rt, h, k - 1, &out, sizeof(out)) == -EINVAL);
		h[6] = KHT_COMM_LEN + 1;
		CHECK(kht_tf_decode_event(rt, h, k, &out, sizeof(out)) == -EINVAL);
		/* a varint of 11 bytes */
		memset(h, 0x80, 11);
		h[11] = 0;
		CHECK(kht_tf_decode_event(rt, h, 12, &out, sizeof(out)) == -EINVAL);
	}
	CHECK(kht_tf_decode_event(99 | KHT_TF_PACKED, wire, n, &out, sizeof(out)) == -ENOENT);
	CHECK(kht_tf_pack_event(&ev, wire, 100) == -ENOSPC);
	CHECK(kht_tf_decode_event(rt, wire, 0, &out, sizeof(out)) == -EINVAL);
}

/* A 1.0 file (fixed-encoded events, record type = event type) reads as before. */
TEST(tf_reads_fixed_1_0_events)
{
	static struct kht_tf_meta m;
	const char *path = tmp_path("fixed.khtrace");
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	struct kht_tf_stats st;
	unsigned type, len, n = 0, bad = 0;
	const void *data;
	char err[256];

	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	for (unsigned i = 0; i < 2000; i++) {
		struct kht_collapse ev = collapse_ev(i);
		unsigned char buf[512];
		int k = kht_tf_encode_event(&ev, buf, sizeof(buf));

		/* as a 1.x writer did, alternating with packed events (2.0) */
		if (k < 0 || (i % 2 ? kht_tf_write(w, KHT_EV_COLLAPSE, buf, k) :
				      kht_tf_write_event(w, &ev)))
			bad++;
	}
	CHECK(kht_tf_close(w, NULL) == 0);
	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		struct kht_collapse ev, want = collapse_ev(n);

		if (type != (n % 2 ? KHT_EV_COLLAPSE : KHT_EV_COLLAPSE | KHT_TF_PACKED) ||
		    kht_tf_event_type(type) != KHT_EV_COLLAPSE ||
		    kht_tf_decode_event(type, data, len, &ev, sizeof(ev)) != sizeof(ev) ||
		    memcmp(&ev, &want, sizeof(ev)))
			bad++;
		n++;
	}
	kht_tf_stats(r, &st);
	CHECK(n == 2000 && bad == 0);
	/* both encodings count as their event type in the trailer */
	CHECK(st.trailer && st.trailer->ntypes == 1 && st.trailer->types[0].type == KHT_EV_COLLAPSE &&
	      st.trailer->types[0].count == 2000);
	kht_tf_free(r);
	unlink(path);
}

/* ---- each kind's own decoder (KHT_WIRE_DECODER) against the loop over its table ---- */

static unsigned long long rng_next(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s ^ *s >> 29;
}

/*
 * Random field values of every size a varint takes (0, small, huge, ~0 and
 * 2^63 edges); strings of every length up to full, with no terminator.
 */
static void random_event(const struct kht_event_kind *c, unsigned char *ev, unsigned long long *s)
{
	static const unsigned long long edge[] = { 0, 1, 127, 128, ~0ULL, 1ULL << 63, (1ULL << 63) - 1 };

	memset(ev, 0, c->size);
	for (unsigned i = 0; i < c->nfields; i++) {
		const struct kht_field *f = &c->fields[i];
		unsigned long long r = rng_next(s), v = r >> (r % 64);

		if (f->kind == KHT_WIRE_BYTES) {
			unsigned len = rng_next(s) % (f->size + 1);

			for (unsigned k = 0; k < len; k++)
				ev[f->off + k] = rng_next(s) % 255 + 1;
			continue;
		}
		if (r % 5 == 0)
			v = edge[r / 5 % (sizeof(edge) / sizeof(edge[0]))];
		if (f->kind == KHT_WIRE_TS && r % 7 == 0)
			v = ((struct kht_hdr *)ev)->ts_ns + (r % 3) - 1;	/* near ts */
		memcpy(ev + f->off, &v, f->size);
	}
	((struct kht_hdr *)ev)->type = c->type;
}

/* Both decoders of kind c on one payload: the same result and the same bytes out. */
static bool decoders_agree(const struct kht_event_kind *c, unsigned rtype, const unsigned char *wire,
			   unsigned len)
{
	struct kht_event_kind loop = *c;
	unsigned char a[1024], b[1024];
	int ra, rb;

	loop.decode = NULL;
	memset(a, 0x5a, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	ra = kht_tf_decode_with(c, rtype, wire, len, a, sizeof(a));
	rb = kht_tf_decode_with(&loop, rtype, wire, len, b, sizeof(b));
	if (ra != rb || memcmp(a, b, sizeof(a))) {
		fprintf(stderr, "  kind %s%s, %u bytes: own decoder %d, loop %d\n", c->name,
			rtype & KHT_TF_PACKED ? " packed" : "", len, ra, rb);
		return false;
	}
	return true;
}

/*
 * Every kind has its own decoder, and it decodes what the loop decodes:
 * random events of every kind in both encodings (and back to the event),
 * every shorter payload (older writers, cut fields), and damaged bytes.
 */
TEST(tf_kind_decoders_match_the_loop)
{
	unsigned long long seed = 14, bad = 0, runs = 0;

	for (unsigned t = 0; t < KHT_EV_MAX; t++) {
		const struct kht_event_kind *c = kht_event_kind(t);

		if (!c)
			continue;
		CHECK(c->decode != NULL);
		for (int i = 0; i < 3000; i++) {
			unsigned char ev[1024] __attribute__((aligned(8))), out[1024], wire[1024];
			int packed = i & 1;
			unsigned rtype = t | (packed ? KHT_TF_PACKED : 0);
			int n;

			random_event(c, ev, &seed);
			n = packed ? kht_tf_pack_event(ev, wire, sizeof(wire)) :
				     kht_tf_encode_event(ev, wire, sizeof(wire));
			if (n <= 0) {
				bad++;
				continue;
			}
			/* the whole payload decodes back to the event (pads are zero in both) */
			bad += kht_tf_decode_with(c, rtype, wire, n, out, sizeof(out)) != (int)c->size;
			((struct kht_hdr *)ev)->size = c->size;
			bad += memcmp(out, ev, c->size) != 0;
			for (int len = n; len >= 0; len--, runs++)
				bad += !decoders_agree(c, rtype, wire, len);
			/* a damaged byte or two: whatever the loop makes of it, so does the kind's */
			wire[rng_next(&seed) % n] = rng_next(&seed);
			wire[rng_next(&seed) % n] |= 0x80;
			bad += !decoders_agree(c, rtype, wire, n);
			runs++;
		}
	}
	CHECK(bad == 0);
	CHECK(runs > 100000);
}

/*
 * Every kind has its own packer, and it packs what the loop over its table
 * packs, byte for byte: random events of every kind (random_event: any
 * value in every field, comm and name runs of any length), and the same
 * -ENOSPC for a buffer one byte short of the bound.
 */
TEST(tf_kind_packers_match_the_loop)
{
	unsigned long long seed = 28, bad = 0, runs = 0;

	for (unsigned t = 0; t < KHT_EV_MAX; t++) {
		const struct kht_event_kind *c = kht_event_kind(t);
		struct kht_event_kind loop;

		if (!c)
			continue;
		CHECK(c->pack != NULL);
		loop = *c;
		loop.pack = NULL;
		for (int i = 0; i < 3000; i++, runs++) {
			unsigned char ev[1024] __attribute__((aligned(8))), a[1024], b[1024];
			int ra, rb;

			random_event(c, ev, &seed);
			memset(a, 0x5a, sizeof(a));
			memset(b, 0x5a, sizeof(b));
			ra = kht_tf_pack_with(c, ev, a, sizeof(a));
			rb = kht_tf_pack_with(&loop, ev, b, sizeof(b));
			if (ra <= 0 || ra != rb || memcmp(a, b, sizeof(a))) {
				fprintf(stderr, "  kind %s: own packer %d, loop %d\n", c->name, ra, rb);
				bad++;
			}
		}
		/* the bound is the kind's, not the event's: one byte short is refused */
		{
			unsigned char ev[1024] __attribute__((aligned(8))), a[1024];
			unsigned max = 0;

			for (unsigned f = 0; f < c->nfields; f++)
				max += c->fields[f].kind == KHT_WIRE_BYTES ? c->fields[f].size + 2 :
				       c->fields[f].size == 8 ? 10 : 5;
			random_event(c, ev, &seed);
			bad += kht_tf_pack_with(c, ev, a, max - 1) != -ENOSPC;
			bad += kht_tf_pack_with(&loop, ev, a, max - 1) != -ENOSPC;
			bad += kht_tf_pack_with(c, ev, a, max) <= 0;
		}
	}
	CHECK(bad == 0);
	CHECK(runs > 10000);
}
