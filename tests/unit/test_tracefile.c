// SPDX-License-Identifier: GPL-2.0
/*
 * The recorded-trace file: round trips, the layout of docs/file-format.md,
 * and damaged files (cut at every byte, every bit flipped, random garbage,
 * hostile lengths, newer versions).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "khugetrace.h"
#include "lib/tracefile.h"

/* ---- helpers ---- */

static char tmpdir[64];

static void remove_tmpdir(void)
{
	rmdir(tmpdir);		/* the tests unlink their files */
}

/* A path in a per-run temporary directory (one of 4 rotating buffers). */
static const char *tmp_path(const char *name)
{
	static char path[4][128];
	static int next;
	char *p = path[next++ % 4];

	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/kht-tf-XXXXXX");
		if (mkdtemp(tmpdir))
			atexit(remove_tmpdir);
		else
			strcpy(tmpdir, "/tmp");
	}
	snprintf(p, 128, "%s/%s", tmpdir, name);
	return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) == (size_t)n)
		*len = n;
	fclose(f);
	return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

static uint64_t le(const unsigned char *p, int size)
{
	uint64_t v = 0;

	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void set_le(unsigned char *p, uint64_t v, int size)
{
	for (int i = 0; i < size; i++, v >>= 8)
		p[i] = v & 0xff;
}

static void test_meta(struct kht_tf_meta *m)
{
	static struct kht_enum e612, flags;

	kht_tf_meta_init(m);
	kht_tf_meta_add_hook(m, "collapse_file", "fentry");
	kht_tf_meta_add_hook(m, "mm_khugepaged_scan_file", "tp_btf");
	kht_fixture_enum(KHT_FIX_612, &e612);
	kht_tf_meta_add_enum(m, "scan_result", &e612);
	flags.n = 3;
	flags.val[0] = 0;
	flags.val[1] = -5;
	flags.val[2] = LLONG_MAX;
	strcpy(flags.name[0], "PG_locked");
	strcpy(flags.name[1], "PG_negative");
	memset(flags.name[2], 'X', KHT_ENUM_NAME_LEN - 1);	/* longest name that fits */
	kht_tf_meta_add_enum(m, "pageflags", &flags);
	m->features = ~0ULL;
}

/* A collapse event whose fields all derive from i. */
static struct kht_collapse collapse_ev(unsigned i)
{
	struct kht_collapse ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.ts_ns = 1000000000ULL + i * 1000ULL;
	ev.hdr.type = KHT_EV_COLLAPSE;
	ev.hdr.size = sizeof(ev);
	ev.hdr.pid = i;
	ev.hdr.tid = i + 1;
	snprintf(ev.hdr.comm, KHT_COMM_LEN, "wl-%u", i % 1000);
	ev.duration_ns = i * 3;
	ev.ino = 100 + i % 7;
	ev.start_index = (i % 64) * 512ULL;
	ev.end_index = ev.start_index + 512;
	ev.result = (int)(i % 32) - 3;
	ev.nr = 512;
	ev.flags = KHT_F_HAVE_RESULT | KHT_F_SHMEM;
	ev.attach = KHT_MODE_FENTRY;
	snprintf(ev.name, KHT_NAME_LEN, "file-%u.bin", i % 13);
	return ev;
}

/*
 * Record i of the synthetic stream: every third an encoded collapse event,
 * the others types the reader does not know, with an i-dependent payload
 * whose first 4 bytes are i. *len <= 64.
 */
static unsigned synth(unsigned i, unsigned char *buf, unsigned *len)
{
	if (i % 3 == 0) {
		struct kht_collapse ev = collapse_ev(i);

		*len = kht_tf_encode_event(&ev, buf, 512);
		return KHT_EV_COLLAPSE;
	}
	*len = 4 + (i * 7) % 40;
	set_le(buf, i, 4);
	for (unsigned k = 4; k < *len; k++)
		buf[k] = (i * 31 + k) & 0xff;
	return 1000 + i % 5;
}

/* Does a delivered record equal synthetic record i? */
static int synth_eq(unsigned i, unsigned type, const void *data, unsigned len)
{
	unsigned char want[512];
	unsigned wlen, wtype = synth(i, want, &wlen);

	return type == wtype && len == wlen && !memcmp(data, want, len);
}

/* A small file: header, 3 record blocks of 10/7/13 records, trailer. */
#define SMALL_BLOCKS 3
struct small {
	unsigned char *buf;
	size_t len;
	size_t hdr_end;
	size_t blk_end[SMALL_BLOCKS];	/* file offset where each block ends */
	unsigned first[SMALL_BLOCKS + 1];	/* first record index of each block */
};

static const unsigned small_counts[SMALL_BLOCKS] = { 10, 7, 13 };

static void small_file(struct small *s)
{
	const char *path = tmp_path("small.khtrace");
	static struct kht_tf_meta m;
	struct kht_tf_wstats ws;
	struct kht_tf_writer *w;
	unsigned i = 0;
	char err[256];

	memset(s, 0, sizeof(*s));
	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	kht_tf_writer_stats(w, &ws);
	s->hdr_end = ws.bytes_out;
	for (int b = 0; b < SMALL_BLOCKS; b++) {
		s->first[b] = i;
		for (unsigned k = 0; k < small_counts[b]; k++, i++) {
			unsigned char buf[512];
			unsigned len, type = synth(i, buf, &len);

			CHECK(kht_tf_write(w, type, buf, len) == 0);
		}
		CHECK(kht_tf_flush(w) == 0);
		kht_tf_writer_stats(w, &ws);
		s->blk_end[b] = ws.bytes_out;
	}
	s->first[SMALL_BLOCKS] = i;
	CHECK(kht_tf_close(w, NULL) == 0);
	s->buf = slurp(path, &s->len);
	CHECK(s->len > s->blk_end[SMALL_BLOCKS - 1]);
	unlink(path);
}

/* Read everything; every record must be synthetic record expect[k] in order. */
struct readout {
	int rc;			/* kht_tf_next's last return */
	unsigned n;		/* records delivered */
	unsigned bad;		/* delivered records that are not the expected ones */
	struct kht_tf_stats st;
};

static void read_expect(struct kht_tf_reader *r, const unsigned *expect, unsigned nexpect,
			struct readout *o)
{
	const void *data;
	unsigned type, len;

	memset(o, 0, sizeof(*o));
	while ((o->rc = kht_tf_next(r, &type, &data, &len)) == 1) {
		if (o->n >= nexpect || !synth_eq(expect[o->n], type, data, len))
			o->bad++;
		o->n++;
	}
	kht_tf_stats(r, &o->st);
}

/* The records of the small file's blocks, except block `skip` (-1: none), up to block `upto`. */
static unsigned small_expect(const struct small *s, int skip, int upto, unsigned *out)
{
	unsigned n = 0;

	for (int b = 0; b < upto; b++)
		for (unsigned i = s->first[b]; i < s->first[b + 1]; i++)
			if (b != skip)
				out[n++] = i;
	return n;
}

/* Build one block by hand, as docs/file-format.md describes it, at this zlib level. */
static size_t make_block_at(unsigned char *out, unsigned kind, unsigned seq, const void *raw,
			    unsigned ulen, unsigned nrec, int level)
{
	uLongf clen = compressBound(ulen);

	compress2(out + 32, &clen, raw, ulen, level);
	memcpy(out, "KHTB", 4);
	set_le(out + 4, kind, 2);
	set_le(out + 6, 0, 2);
	set_le(out + 8, seq, 4);
	set_le(out + 12, ulen, 4);
	set_le(out + 16, clen, 4);
	set_le(out + 20, nrec, 4);
	set_le(out + 24, crc32(0, out + 32, clen), 4);
	set_le(out + 28, crc32(0, out, 28), 4);
	return 32 + clen;
}

static size_t make_block(unsigned char *out, unsigned kind, unsigned seq, const void *raw,
			 unsigned ulen, unsigned nrec)
{
	return make_block_at(out, kind, seq, raw, ulen, nrec, 6);
}

/* Re-seal a file header after editing it in place. */
static void reseal_header(unsigned char *buf)
{
	unsigned hlen = le(buf + 12, 4);

	set_le(buf + hlen - 4, crc32(0, buf, hlen - 4), 4);
}

/* ---- round trips ---- */

TEST(tf_meta_round_trip)
{
	static struct kht_tf_meta m, got;
	const char *path = tmp_path("meta.khtrace");
	const struct kht_enum *e;
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	char err[256] = "";

	test_meta(&m);
	CHECK(m.release[0]);
	CHECK(m.mono_base_ns > 0 && m.wall_base_ns > 1600000000LL * 1000000000LL);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w && !err[0]);
	CHECK(kht_tf_close(w, NULL) == 0);
	r = kht_tf_open(path, &got, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	CHECK(got.major == KHT_TF_MAJOR && got.minor == KHT_TF_MINOR);
	CHECK_STR(got.release, m.release);
	CHECK(got.mono_base_ns == m.mono_base_ns && got.wall_base_ns == m.wall_base_ns);
	CHECK(got.features == ~0ULL);
	CHECK(got.nhooks == 2);
	CHECK_STR(got.hooks[1].hook, "mm_khugepaged_scan_file");
	CHECK_STR(got.hooks[1].mode, "tp_btf");
	CHECK(got.nenums == 2 && got.cut == 0);
	e = kht_tf_meta_enum(&got, "scan_result");
	CHECK(e && e->n == 32);
	if (e) {
		CHECK_STR(kht_enum_name(e, 31), "SCAN_PAGE_FILLED");
		CHECK(!memcmp(e, &m.enums[0].e, sizeof(*e)));
	}
	e = kht_tf_meta_enum(&got, "pageflags");
	CHECK(e && e->n == 3 && e->val[1] == -5 && e->val[2] == LLONG_MAX);
	if (e)
		CHECK(strlen(e->name[2]) == KHT_ENUM_NAME_LEN - 1);
	CHECK(kht_tf_meta_enum(&got, "nope") == NULL);
	CHECK(kht_tf_wall_ns(&got, got.mono_base_ns + 1500) == got.wall_base_ns + 1500);
	CHECK(kht_tf_wall_ns(&got, got.mono_base_ns - 7) == got.wall_base_ns - 7);
	kht_tf_free(r);
	unlink(path);
}

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

/* 100k events: many blocks, read back through the file window, counts in the trailer. */
TEST(tf_many_blocks)
{
	static struct kht_tf_meta m;
	static struct kht_tf_trailer t;
	const char *path = tmp_path("many.khtrace");
	const unsigned N = 100000;
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	struct kht_tf_wstats ws;
	struct kht_tf_stats st;
	unsigned type, len, n = 0, bad = 0;
	const void *data;
	char err[256];

	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	for (unsigned i = 0; i < N; i++) {
		struct kht_collapse ev = collapse_ev(i);

		if (kht_tf_write_event(w, &ev))
			bad++;
		if (i % 1000 == 0)
			kht_tf_write(w, 4242, &i, sizeof(i));
	}
	CHECK(bad == 0);
	CHECK(kht_tf_flush(w) == 0);
	kht_tf_writer_stats(w, &ws);
	CHECK(ws.records == N + N / 1000);
	CHECK(ws.blocks > 100);
	memset(&t, 0, sizeof(t));
	t.drops = 12345;
	t.ncpus = KHT_TF_MAX_CPUS;
	for (unsigned c = 0; c < t.ncpus; c++)
		t.drops_per_cpu[c] = c == 7 ? ~0ULL : c;
	t.end_mono_ns = 99;
	CHECK(kht_tf_close(w, &t) == 0);

	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		struct kht_collapse ev, want = collapse_ev(n);

		if (type == 4242)
			continue;
		if (kht_tf_decode_event(type, data, len, &ev, sizeof(ev)) != sizeof(ev) ||
		    memcmp(&ev, &want, offsetof(struct kht_collapse, name) + KHT_NAME_LEN))
			bad++;
		n++;
	}
	kht_tf_stats(r, &st);
	CHECK(n == N && bad == 0);
	CHECK(st.blocks == ws.blocks && st.records == N + N / 1000);
	CHECK(st.has_trailer && !st.truncated && !st.corrupt && !st.partial_bytes);
	CHECK(st.trailer && st.trailer->records == N + N / 1000 && st.trailer->drops == 12345);
	if (st.trailer) {
		CHECK(st.trailer->end_mono_ns == 99);
		CHECK(st.trailer->ntypes == 2);
		CHECK(st.trailer->types[0].type == KHT_EV_COLLAPSE &&
		      st.trailer->types[0].count == N);
		CHECK(st.trailer->types[1].type == 4242 && st.trailer->types[1].count == N / 1000);
		CHECK(st.trailer->ncpus == KHT_TF_MAX_CPUS);
		CHECK(st.trailer->drops_per_cpu[7] == ~0ULL && st.trailer->drops_per_cpu[4095] == 4095);
	}
	/* the peek finds the same trailer and inflates only it */
	{
		static struct kht_tf_trailer pt;
		unsigned long long before = kht_tf_inflate_count();

		memset(&pt, 0x5a, sizeof(pt));
		CHECK(kht_tf_peek_trailer(path, &pt, err, sizeof(err)) == 1);
		CHECK(kht_tf_inflate_count() - before == 1);
		CHECK(st.trailer && !memcmp(&pt, st.trailer, sizeof(pt)));
	}
	kht_tf_free(r);
	unlink(path);
}

/* A 64 KiB record (the largest) and the limits of kht_tf_write. */
TEST(tf_write_limits)
{
	static struct kht_tf_meta m;
	static unsigned char big[KHT_TF_MAX_RECORD + 1];
	const char *path = tmp_path("limits.khtrace");
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	unsigned type, len, n = 0;
	const void *data;
	char err[256];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	CHECK(kht_tf_write(w, 0, big, 1) == -EINVAL);
	CHECK(kht_tf_write(w, 5, big, KHT_TF_MAX_RECORD + 1) == -E2BIG);
	CHECK(kht_tf_write(w, 5, big, 3) == 0);
	CHECK(kht_tf_write(w, 6, big, KHT_TF_MAX_RECORD) == 0);
	CHECK(kht_tf_write(w, 7, big, KHT_TF_MAX_RECORD) == 0);
	CHECK(kht_tf_flush(w) == 0);
	CHECK(kht_tf_flush(w) == 0);	/* nothing pending: no empty block */
	CHECK(kht_tf_close(w, NULL) == 0);
	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		CHECK(type == 5 + n);
		CHECK(len == (n ? KHT_TF_MAX_RECORD : 3) && !memcmp(data, big, len));
		n++;
	}
	CHECK(n == 3);
	kht_tf_free(r);
	unlink(path);
}

/* ---- the documented layout ---- */

/* The writer's bytes are exactly what docs/file-format.md says, field by field. */
TEST(tf_layout_matches_doc)
{
	static struct kht_tf_meta m;
	const char *path = tmp_path("layout.khtrace");
	unsigned char rec[8 + 5], un[256], *buf, *p;
	struct kht_tf_writer *w;
	size_t len, off;
	uLongf ulen;
	char err[256];

	memset(&m, 0, sizeof(m));
	strcpy(m.release, "6.12.0");
	m.mono_base_ns = 0x0102030405060708ULL;
	m.wall_base_ns = -2;
	m.features = 0x55;
	kht_tf_meta_add_hook(&m, "h", "kprobe");
	m.enums[0].e.n = 1;
	m.enums[0].e.val[0] = 31;
	strcpy(m.enums[0].e.name[0], "SCAN_X");
	strcpy(m.enums[0].name, "scan_result");
	m.nenums = 1;
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	CHECK(kht_tf_write(w, 9, "hello", 5) == 0);
	CHECK(kht_tf_close(w, NULL) == 0);
	buf = slurp(path, &len);
	CHECK(buf && len > 100);
	if (!buf || len <= 100)
		return;

	/* file header */
	static const unsigned char want[] = {
		'K', 'H', 'T', 'R', 'A', 'C', 'E', 0, 2, 0, 0, 0, 0, 0, 0, 0,	/* 2.0, length at 12 */
		8, 7, 6, 5, 4, 3, 2, 1,  0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x55, 0, 0, 0, 0, 0, 0, 0,
		6, 0, '6', '.', '1', '2', '.', '0',
		1, 0, 1, 0, 'h', 6, 0, 'k', 'p', 'r', 'o', 'b', 'e',
		1, 0, 11, 0, 's', 'c', 'a', 'n', '_', 'r', 'e', 's', 'u', 'l', 't',
		1, 0, 0, 0, 31, 0, 0, 0, 0, 0, 0, 0, 6, 0, 'S', 'C', 'A', 'N', '_', 'X',
	};
	off = sizeof(want) + 4;
	CHECK(le(buf + 12, 4) == off);
	CHECK(!memcmp(buf, want, 12) && !memcmp(buf + 16, want + 16, sizeof(want) - 16));
	CHECK(le(buf + off - 4, 4) == crc32(0, buf, off - 4));

	/* block 0: one record */
	p = buf + off;
	CHECK(!memcmp(p, "KHTB", 4) && le(p + 4, 2) == 1 && le(p + 6, 2) == 0);
	CHECK(le(p + 8, 4) == 0 && le(p + 12, 4) == sizeof(rec) && le(p + 20, 4) == 1);
	CHECK(le(p + 24, 4) == crc32(0, p + 32, le(p + 16, 4)));
	CHECK(le(p + 28, 4) == crc32(0, p, 28));
	ulen = sizeof(un);
	CHECK(uncompress(un, &ulen, p + 32, le(p + 16, 4)) == Z_OK && ulen == sizeof(rec));
	set_le(rec, 9, 4);
	set_le(rec + 4, 5, 4);
	memcpy(rec + 8, "hello", 5);
	CHECK(!memcmp(un, rec, sizeof(rec)));
	off += 32 + le(p + 16, 4);

	/* block 1: the trailer, the last bytes of the file */
	p = buf + off;
	CHECK(!memcmp(p, "KHTB", 4) && le(p + 4, 2) == 2 && le(p + 8, 4) == 1 && le(p + 20, 4) == 0);
	CHECK(off + 32 + le(p + 16, 4) == len);
	ulen = sizeof(un);
	CHECK(uncompress(un, &ulen, p + 32, le(p + 16, 4)) == Z_OK);
	CHECK(ulen == 8 + 8 + 8 + 4 + 12 + 4);
	CHECK(le(un, 8) == 1 && le(un + 8, 8) == 0 && le(un + 16, 8) > 0);
	CHECK(le(un + 24, 4) == 1 && le(un + 28, 4) == 9 && le(un + 32, 8) == 1);
	CHECK(le(un + 40, 4) == 0);
	free(buf);
	unlink(path);
}

/* ---- damaged files ---- */

/* Cut at every byte: all complete blocks before the cut, nothing else, the loss reported. */
TEST(tf_truncated_at_every_byte)
{
	struct small s;
	unsigned expect[64];
	unsigned failures = 0;

	small_file(&s);
	if (!s.buf)
		return;
	for (size_t cut = 0; cut <= s.len; cut++) {
		static struct kht_tf_meta m;
		struct kht_tf_reader *r;
		struct readout o;
		char err[256] = "";
		int complete = 0;
		size_t last_end = s.hdr_end;
		unsigned n;

		r = kht_tf_open_mem(s.buf, cut, &m, err, sizeof(err));
		if (cut < s.hdr_end) {
			if (r || !err[0])
				failures++;
			kht_tf_free(r);
			continue;
		}
		if (!r) {
			failures++;
			continue;
		}
		while (complete < SMALL_BLOCKS && s.blk_end[complete] <= cut)
			last_end = s.blk_end[complete++];
		n = small_expect(&s, -1, complete, expect);
		read_expect(r, expect, n, &o);
		if (o.rc != 0 || o.n != n || o.bad || o.st.corrupt || o.st.missing_blocks)
			failures++;
		if (cut == s.len) {
			if (!o.st.has_trailer || o.st.truncated || o.st.partial_bytes)
				failures++;
		} else if (o.st.has_trailer || !o.st.truncated || o.st.partial_bytes != cut - last_end) {
			failures++;
		}
		kht_tf_free(r);
	}
	if (failures)
		fprintf(stderr, "  %u of %zu cuts misread\n", failures, s.len + 1);
	CHECK(failures == 0);
	free(s.buf);
}

/* Flip every bit: the header refuses to open, a block is skipped whole, the rest is read. */
TEST(tf_every_bit_flipped)
{
	struct small s;
	unsigned expect[64], failures = 0, flips = 0;
	unsigned char *copy;

	small_file(&s);
	if (!s.buf)
		return;
	copy = malloc(s.len);
	for (size_t pos = 0; pos < s.len; pos++) {
		for (int bit = 0; bit < 8; bit++) {
			static struct kht_tf_meta m;
			struct kht_tf_reader *r;
			struct readout o;
			char err[256] = "";
			int hit = -1;
			unsigned n;

			memcpy(copy, s.buf, s.len);
			copy[pos] ^= 1u << bit;
			flips++;
			r = kht_tf_open_mem(copy, s.len, &m, err, sizeof(err));
			if (pos < s.hdr_end) {
				if (r || !err[0])
					failures++;
				kht_tf_free(r);
				continue;
			}
			if (!r) {
				failures++;
				continue;
			}
			for (int b = 0; b < SMALL_BLOCKS; b++)
				if (pos < s.blk_end[b] && hit < 0)
					hit = b;
			n = small_expect(&s, hit, SMALL_BLOCKS, expect);
			read_expect(r, expect, n, &o);
			if (o.rc != 0 || o.n != n || o.bad || o.st.corrupt < 1 || !o.st.warning[0])
				failures++;
			/* the trailer is damaged (not cut): the loss is reported all the same */
			if (hit < 0 && (o.st.has_trailer || !o.st.truncated))
				failures++;
			if (hit >= 0 && (!o.st.has_trailer || o.st.missing_blocks != 1))
				failures++;
			kht_tf_free(r);
		}
	}
	if (failures)
		fprintf(stderr, "  %u of %u bit flips misread\n", failures, flips);
	CHECK(failures == 0 && flips == s.len * 8);
	free(copy);
	free(s.buf);
}

/* Random garbage runs: never a record that was not written, never out of order. */
TEST(tf_random_garbage)
{
	struct small s;
	unsigned failures = 0, opened = 0, damaged = 0;
	unsigned char *copy;
	unsigned seed = 12345;

	small_file(&s);
	if (!s.buf)
		return;
	copy = malloc(s.len);
	for (int iter = 0; iter < 4000; iter++) {
		static struct kht_tf_meta m;
		struct kht_tf_reader *r;
		const void *data;
		unsigned type, len, prev = 0, n = 0;
		char err[256] = "";
		size_t pos, run;
		struct kht_tf_stats st;
		int rc;

		memcpy(copy, s.buf, s.len);
		/* mostly after the header (a damaged header is simply refused) */
		if (iter % 4)
			pos = s.hdr_end + rand_r(&seed) % (s.len - s.hdr_end);
		else
			pos = rand_r(&seed) % s.len;
		run = 1 + rand_r(&seed) % 64;
		for (size_t k = pos; k < pos + run && k < s.len; k++)
			copy[k] = rand_r(&seed);
		if (!memcmp(copy, s.buf, s.len))
			continue;
		r = kht_tf_open_mem(copy, s.len, &m, err, sizeof(err));
		if (!r) {
			if (!err[0] || pos >= s.hdr_end)
				failures++;
			continue;
		}
		opened++;
		while ((rc = kht_tf_next(r, &type, &data, &len)) == 1) {
			unsigned i = len >= 4 ? le(data, 4) : ~0u;

			if (type == KHT_EV_COLLAPSE && len >= 20)
				i = le((const unsigned char *)data + 16, 4);	/* hdr.pid */
			if (i >= s.first[SMALL_BLOCKS] || (n && i <= prev) || !synth_eq(i, type, data, len))
				failures++;
			prev = i;
			n++;
		}
		kht_tf_stats(r, &st);
		damaged += st.corrupt > 0;
		if (rc != 0 || !st.corrupt)
			failures++;
		kht_tf_free(r);
	}
	if (failures || opened < 3000 || damaged != opened)
		fprintf(stderr, "  %u failures, %u opened, %u damaged\n", failures, opened, damaged);
	CHECK(failures == 0);
	CHECK(opened >= 3000 && damaged == opened);
	free(copy);
	free(s.buf);
}

/* A damaged block in the middle of a large file: resync across the file window. */
TEST(tf_resync_in_large_file)
{
	static struct kht_tf_meta m;
	const char *path = tmp_path("resync.khtrace");
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	struct kht_tf_stats st;
	unsigned char buf[256], *file;
	unsigned type, len, n = 0, bad = 0, prev = 0;
	const void *data;
	size_t flen, bpos[4000];
	unsigned nb = 0;
	char err[256];

	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	/* incompressible-ish payloads so the file is several windows long */
	for (unsigned i = 0; i < 30000; i++) {
		unsigned seed = i;

		set_le(buf, i, 4);
		for (int k = 4; k < 200; k++)
			buf[k] = rand_r(&seed);
		kht_tf_write(w, 3000, buf, 200);
		if (i % 100 == 99) {
			struct kht_tf_wstats ws;

			kht_tf_writer_stats(w, &ws);
			kht_tf_flush(w);
			if (nb < 4000)
				bpos[nb++] = ws.bytes_out;	/* where the block just flushed starts */
		}
	}
	CHECK(kht_tf_close(w, NULL) == 0);
	file = slurp(path, &flen);
	CHECK(flen > 4u << 20 && nb == 300);
	/* smash the headers of blocks 150..151 and the payload of block 200 */
	memset(file + bpos[150] + 4, 0xee, 40);
	memset(file + bpos[151], 0, 16);
	file[bpos[200] + 100] ^= 0x10;
	spit(path, file, flen);
	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		unsigned i = le(data, 4);

		if (type != 3000 || len != 200 || (n && i <= prev))
			bad++;
		prev = i;
		n++;
	}
	kht_tf_stats(r, &st);
	CHECK(bad == 0);
	CHECK(n == 30000 - 300);
	CHECK(st.corrupt == 2 && st.missing_blocks == 3 && st.has_trailer);
	CHECK_CONTAINS(st.warning, "payload CRC");
	{
		static struct kht_tf_trailer pt;
		unsigned long long before = kht_tf_inflate_count();

		CHECK(kht_tf_peek_trailer(path, &pt, err, sizeof(err)) == 1);
		CHECK(kht_tf_inflate_count() - before == 1);
		CHECK(st.trailer && !memcmp(&pt, st.trailer, sizeof(pt)));
		CHECK(pt.records == 30000);
	}
	kht_tf_free(r);
	free(file);
	unlink(path);
}

/* The file reader sees what the memory reader sees on a cut-off file. */
TEST(tf_file_reader_truncated)
{
	struct small s;
	const char *path = tmp_path("cut.khtrace");
	unsigned expect[64];

	small_file(&s);
	if (!s.buf)
		return;
	for (int b = 0; b < SMALL_BLOCKS; b++) {
		static struct kht_tf_meta m;
		struct kht_tf_reader *r;
		struct readout o;
		size_t cut = s.blk_end[b] + 5;
		char err[256];

		spit(path, s.buf, cut);
		r = kht_tf_open(path, &m, err, sizeof(err));
		CHECK(r);
		if (!r)
			continue;
		read_expect(r, expect, small_expect(&s, -1, b + 1, expect), &o);
		CHECK(o.rc == 0 && o.bad == 0 && o.n == s.first[b + 1]);
		CHECK(o.st.truncated && !o.st.has_trailer && o.st.partial_bytes == 5);
		kht_tf_free(r);
	}
	unlink(path);
	free(s.buf);
}

/* Hand-made blocks that pass their CRCs but lie inside. */
TEST(tf_hostile_blocks)
{
	struct small s;
	static unsigned char file[1 << 16], raw[256];
	static struct kht_tf_meta m;
	unsigned expect[64];
	size_t len, n;
	unsigned seq = 0;

	small_file(&s);
	if (!s.buf)
		return;
	len = s.hdr_end;
	memcpy(file, s.buf, len);
	/* 1: record length past the block */
	set_le(raw, 1000, 4);
	set_le(raw + 4, 0xfffffff0u, 4);
	len += make_block(file + len, 1, seq++, raw, 16, 1);
	/* 2: record count disagrees */
	set_le(raw + 4, 8, 4);
	len += make_block(file + len, 1, seq++, raw, 16, 2);
	/* 3: claims 1 MiB uncompressed, holds 16 bytes */
	n = make_block(file + len, 1, seq++, raw, 16, 1);
	set_le(file + len + 12, 1u << 20, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n;
	/* 4: lengths over the limits, header CRC valid: treated as a damaged header */
	n = make_block(file + len, 1, seq++, raw, 16, 1);
	set_le(file + len + 12, 0xffffffffu, 4);
	set_le(file + len + 16, 0xffffffffu, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n;
	/* 5: not zlib data at all */
	n = make_block(file + len, 1, seq++, raw, 16, 1);
	memset(file + len + 32, 0x5a, n - 32);
	set_le(file + len + 24, crc32(0, file + len + 32, n - 32), 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n;
	/* 6: valid zlib stream followed by junk inside the payload */
	n = make_block(file + len, 1, seq++, raw, 16, 1);	/* one 8-byte record: fine */
	memcpy(file + len + n, "junk", 4);
	set_le(file + len + 16, n - 32 + 4, 4);
	set_le(file + len + 24, crc32(0, file + len + 32, n - 32 + 4), 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n + 4;
	/* then the real block 0, renumbered */
	{
		size_t b0 = s.hdr_end, b0len = s.blk_end[0] - b0;

		memcpy(file + len, s.buf + b0, b0len);
		set_le(file + len + 8, seq++, 4);
		set_le(file + len + 28, crc32(0, file + len, 28), 4);
		len += b0len;
	}
	{
		struct kht_tf_reader *r;
		struct readout o;
		char err[256];

		r = kht_tf_open_mem(file, len, &m, err, sizeof(err));
		CHECK(r);
		if (r) {
			read_expect(r, expect, small_expect(&s, -1, 1, expect), &o);
			CHECK(o.rc == 0 && o.bad == 0 && o.n == small_counts[0]);
			CHECK(o.st.corrupt == 6 && o.st.blocks == 1 && o.st.missing_blocks == 6);
			CHECK(o.st.truncated && !o.st.partial_bytes);
			kht_tf_free(r);
		}
	}
	free(s.buf);
}

/* ---- refusals ---- */

static void check_refused(const void *buf, size_t len, const char *want)
{
	static struct kht_tf_meta m;
	char err[256] = "";
	struct kht_tf_reader *r = kht_tf_open_mem(buf, len, &m, err, sizeof(err));

	CHECK(r == NULL);
	CHECK_CONTAINS(err, want);
	CHECK(strchr(err, '\n') == NULL && err[strlen(err) - 1] == '.');
	kht_tf_free(r);
}

TEST(tf_refuses_wrong_magic_and_empty)
{
	struct small s;

	small_file(&s);
	if (!s.buf)
		return;
	check_refused(s.buf, 0, "is empty");
	check_refused(NULL, 0, "is empty");
	check_refused(s.buf, 5, "cut off inside its file header");
	check_refused(s.buf, s.hdr_end - 1, "cut off inside its file header");
	check_refused("\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\0\0\0\0", 20, "not a khugetrace recording");
	check_refused("KHTRACE", 3, "cut off");	/* a prefix of the magic: a cut, not a stranger */
	s.buf[7] = 'X';
	check_refused(s.buf, s.len, "bad magic");
	free(s.buf);
}

TEST(tf_versions_major_refused_minor_read)
{
	struct small s;
	static unsigned char big[1 << 16];
	static struct kht_tf_meta m;
	unsigned char raw[64];
	unsigned expect[64];
	size_t hl, len, n;
	char err[256];

	small_file(&s);
	if (!s.buf)
		return;
	/* the next major: refused, naming the version */
	set_le(s.buf + 8, KHT_TF_MAJOR + 1, 2);
	set_le(s.buf + 10, 0, 2);
	reseal_header(s.buf);
	check_refused(s.buf, s.len, "3.0");
	check_refused(s.buf, s.len, "newer khugetrace");
	/* major 0 never existed: refused too */
	set_le(s.buf + 8, 0, 2);
	reseal_header(s.buf);
	check_refused(s.buf, s.len, "0.0");
	/* the 1.x header is the same: still read (and below, with a newer minor) */
	set_le(s.buf + 8, 1, 2);
	reseal_header(s.buf);

	/* minor 7: longer header, an unknown block kind, a longer trailer: all read */
	hl = s.hdr_end;
	memcpy(big, s.buf, hl - 4);
	memset(big + hl - 4, 0xab, 12);		/* a newer minor's header fields */
	len = hl - 4 + 12 + 4;
	set_le(big + 10, 7, 2);
	set_le(big + 12, len, 4);
	reseal_header(big);
	memcpy(big + len, s.buf + hl, s.blk_end[0] - hl);	/* block 0 */
	len += s.blk_end[0] - hl;
	memset(raw, 1, sizeof(raw));
	len += make_block(big + len, 77, 1, raw, sizeof(raw), 0);	/* unknown kind, seq 1 */
	n = s.blk_end[1] - s.blk_end[0];			/* block 1 as seq 2 */
	memcpy(big + len, s.buf + s.blk_end[0], n);
	set_le(big + len + 8, 2, 4);
	set_le(big + len + 28, crc32(0, big + len, 28), 4);
	len += n;
	memset(raw, 0, sizeof(raw));
	set_le(raw, 17, 8);					/* records */
	set_le(raw + 8, 3, 8);					/* drops */
	/* ntypes 0, ncpus 0, then 20 bytes of a newer minor */
	len += make_block(big + len, 2, 3, raw, 8 * 3 + 4 + 4 + 20, 0);
	{
		struct kht_tf_reader *r = kht_tf_open_mem(big, len, &m, err, sizeof(err));
		struct readout o;

		CHECK(r);
		if (!r)
			return;
		CHECK(m.major == 1 && m.minor == 7 && m.nenums == 2 && m.nhooks == 2);
		read_expect(r, expect, small_expect(&s, -1, 2, expect), &o);
		CHECK(o.rc == 0 && o.bad == 0 && o.n == 17);
		CHECK(o.st.unknown_blocks == 1 && !o.st.corrupt && !o.st.missing_blocks);
		CHECK(o.st.has_trailer && o.st.trailer->records == 17 && o.st.trailer->drops == 3);
		kht_tf_free(r);
	}
	free(s.buf);
}

/* Huge counts and lengths in a header that passes its CRC: refused, nothing allocated. */
TEST(tf_hostile_header)
{
	static unsigned char h[256];
	size_t n;

	/* header length field far past any limit */
	memcpy(h, "KHTRACE\0\1\0\0\0", 12);
	set_le(h + 12, 0xfffffff0u, 4);
	check_refused(h, sizeof(h), "damaged file header (length");
	set_le(h + 12, 3, 4);
	check_refused(h, sizeof(h), "damaged file header (length");

	/* each hostile count after valid fixed fields */
	for (int which = 0; which < 5; which++) {
		memset(h + 16, 0, sizeof(h) - 16);
		n = 16 + 24;
		if (which == 0) {		/* release string of 65535 bytes */
			set_le(h + n, 0xffff, 2);
			n += 2 + 20;
		} else {
			n += 2;			/* release "" */
			set_le(h + n, which == 1 ? 0xffff : 0, 2);	/* hooks */
			n += 2;
			set_le(h + n, which == 2 ? 0xffff : 1, 2);	/* enums */
			n += 2;
			if (which >= 3) {
				n += 2;		/* enum name "" */
				set_le(h + n, which == 3 ? 0xffffffffu : 1, 4);	/* values */
				n += 4 + 8;
				if (which == 4)
					set_le(h + n, 5000, 2);	/* value name > 4 KiB */
				n += 2;
			}
		}
		set_le(h + 12, n + 4, 4);
		reseal_header(h);
		check_refused(h, n + 4, "bad field");
	}
}

TEST(tf_refuses_paths)
{
	static struct kht_tf_meta m;
	char err[256] = "";
	const char *fifo = tmp_path("fifo");

	CHECK(kht_tf_open(tmp_path("does-not-exist"), &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "cannot open");
	CHECK_CONTAINS(err, "No such file");
	CHECK(kht_tf_open(tmpdir, &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is a directory");
	unlink(fifo);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(kht_tf_open(fifo, &m, err, sizeof(err)) == NULL);	/* must not hang */
	CHECK_CONTAINS(err, "not a regular file");
	unlink(fifo);
	spit(tmp_path("empty"), "", 0);
	CHECK(kht_tf_open(tmp_path("empty"), &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is empty.");
	unlink(tmp_path("empty"));
}

/* ---- kht_tf_peek_trailer ---- */

/* The trailer a full read ends with: 1 (into *t), 0 none, -EINVAL refused. */
static int full_trailer(const void *buf, size_t len, struct kht_tf_trailer *t)
{
	static struct kht_tf_meta m;
	struct kht_tf_reader *r = kht_tf_open_mem(buf, len, &m, NULL, 0);
	struct kht_tf_stats st;
	const void *data;
	unsigned type, rlen;

	if (!r)
		return -EINVAL;
	while (kht_tf_next(r, &type, &data, &rlen) == 1)
		;
	kht_tf_stats(r, &st);
	if (st.has_trailer)
		memcpy(t, st.trailer, sizeof(*t));
	kht_tf_free(r);
	return st.has_trailer;
}

/* Does the peek return what the full read ends with (and say why when it has none)? */
static bool peek_agrees(const void *buf, size_t len, int *rc)
{
	static struct kht_tf_trailer full, peeked;
	char err[256] = "";
	int want = full_trailer(buf, len, &full);

	*rc = kht_tf_peek_trailer_mem(buf, len, &peeked, err, sizeof(err));
	if (*rc != want)
		return false;
	if (*rc < 1)
		return err[0] && memchr(err, 0, sizeof(err));
	return !memcmp(&full, &peeked, sizeof(full));
}

TEST(tf_peek_small_file_and_every_cut)
{
	static struct kht_tf_trailer t;
	const char *path = tmp_path("peek-cut.khtrace");
	struct small s;
	unsigned failures = 0;
	char err[256];
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	memset(&t, 0, sizeof(t));
	CHECK(kht_tf_peek_trailer_mem(s.buf, s.len, &t, err, sizeof(err)) == 1);
	CHECK(t.records == 30 && t.drops == 0 && t.ntypes == 6 && t.ncpus == 0);
	CHECK(t.end_mono_ns != 0);
	for (size_t cut = 0; cut <= s.len; cut++) {
		bool ok = peek_agrees(s.buf, cut, &rc);

		/* refused inside the header, like kht_tf_open; then no trailer up to the last byte */
		if (!ok || rc != (cut < s.hdr_end ? -EINVAL : cut == s.len ? 1 : 0))
			failures++;
	}
	if (failures)
		fprintf(stderr, "  %u of %zu cuts misread\n", failures, s.len + 1);
	CHECK(failures == 0);
	/* the file peek on cuts inside each block, at each block end, inside the trailer */
	for (int b = 0; b <= SMALL_BLOCKS; b++) {
		size_t ends[3] = { b ? s.blk_end[b - 1] : s.hdr_end, 0, 0 };

		ends[1] = ends[0] + 5;		/* inside the next block's header */
		ends[2] = ends[0] + 40;		/* inside its payload */
		for (int k = 0; k < 3; k++) {
			if (ends[k] >= s.len)
				continue;
			spit(path, s.buf, ends[k]);
			err[0] = 0;
			CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 0);
			CHECK_CONTAINS(err, "no intact trailer");
		}
	}
	spit(path, s.buf, s.len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	unlink(path);
	free(s.buf);
}

/* Every bit flipped: the peek agrees with the full read; in the trailer: no trailer. */
TEST(tf_peek_every_bit_flipped)
{
	size_t tr = 0;
	struct small s;
	unsigned failures = 0, in_trailer = 0;
	unsigned char *copy;
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	tr = s.blk_end[SMALL_BLOCKS - 1];	/* the trailer block starts here */
	copy = malloc(s.len);
	for (size_t pos = 0; pos < s.len; pos++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, s.buf, s.len);
			copy[pos] ^= 1u << bit;
			if (!peek_agrees(copy, s.len, &rc))
				failures++;
			if (pos >= tr) {
				in_trailer++;
				if (rc != 0)
					failures++;
			} else if (pos >= s.hdr_end && rc != 1) {
				failures++;	/* a damaged record block is skipped by length */
			}
		}
	}
	if (failures)
		fprintf(stderr, "  %u bit flips misread\n", failures);
	CHECK(failures == 0 && in_trailer == (s.len - tr) * 8);
	free(copy);
	free(s.buf);
}

/* Random garbage runs and hand-made hostile blocks: the peek agrees with the full read. */
TEST(tf_peek_random_garbage)
{
	struct small s;
	unsigned failures = 0, found = 0, none = 0;
	unsigned char *copy;
	unsigned seed = 777;
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	copy = malloc(s.len + 64);
	for (int iter = 0; iter < 4000; iter++) {
		size_t pos = s.hdr_end + rand_r(&seed) % (s.len - s.hdr_end);
		size_t run = 1 + rand_r(&seed) % 64, len = s.len;

		memcpy(copy, s.buf, s.len);
		for (size_t k = pos; k < pos + run && k < s.len; k++)
			copy[k] = rand_r(&seed);
		if (iter % 5 == 0) {		/* and junk after the end */
			for (int k = 0; k < 64; k++)
				copy[s.len + k] = rand_r(&seed);
			len += 1 + rand_r(&seed) % 64;
		}
		if (!peek_agrees(copy, len, &rc))
			failures++;
		found += rc == 1;
		none += rc == 0;
	}
	if (failures || found < 1000 || none < 100)
		fprintf(stderr, "  %u of 4000 garbage runs misread (%u found, %u none)\n",
			failures, found, none);
	CHECK(failures == 0 && found >= 1000 && none >= 100);
	free(copy);
	free(s.buf);
}

/*
 * The design's guarantee: record blocks are stepped over by their stored
 * length, never read. Record payloads overwritten (header CRCs intact): the
 * trailer is found and only it is inflated; a damaged block header is
 * scanned past as the full read does; a second trailer after the first, or a
 * damaged one before an intact one: the same choice as the full read.
 */
TEST(tf_peek_skips_record_payloads)
{
	static struct kht_tf_trailer t;
	static unsigned char file[1 << 16];
	const char *path = tmp_path("peek-skip.khtrace");
	struct small s;
	unsigned long long before;
	size_t tr, trlen;
	char err[256];
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	tr = s.blk_end[SMALL_BLOCKS - 1];
	trlen = s.len - tr;
	/* intact: one inflate (the trailer), where the full read inflates every block */
	before = kht_tf_inflate_count();
	CHECK(kht_tf_peek_trailer_mem(s.buf, s.len, &t, err, sizeof(err)) == 1);
	CHECK(kht_tf_inflate_count() - before == 1);
	before = kht_tf_inflate_count();
	CHECK(full_trailer(s.buf, s.len, &t) == 1);
	CHECK(kht_tf_inflate_count() - before == SMALL_BLOCKS + 1);

	/* every record payload wiped: still found (the file variant too), one inflate */
	memcpy(file, s.buf, s.len);
	for (int b = 0; b < SMALL_BLOCKS; b++) {
		size_t start = b ? s.blk_end[b - 1] : s.hdr_end;

		memset(file + start + 32, 0xcc, s.blk_end[b] - start - 32);
	}
	spit(path, file, s.len);
	before = kht_tf_inflate_count();
	memset(&t, 0, sizeof(t));
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	CHECK(kht_tf_inflate_count() - before == 1);
	CHECK(peek_agrees(file, s.len, &rc) && rc == 1);

	/* block 1's header smashed: scanned past, as the full read does */
	memcpy(file, s.buf, s.len);
	memset(file + s.blk_end[0], 0xee, 20);
	spit(path, file, s.len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	CHECK(peek_agrees(file, s.len, &rc) && rc == 1);

	/* the trailer twice, the first one damaged: both readers take the second */
	memcpy(file, s.buf, s.len);
	memcpy(file + s.len, s.buf + tr, trlen);
	file[tr + 40] ^= 1;
	CHECK(peek_agrees(file, s.len + trlen, &rc) && rc == 1);
	/* both intact, the second edited: the first wins, the rest is not the recording */
	memcpy(file, s.buf, s.len);
	memcpy(file + s.len, s.buf + tr, trlen);
	file[s.len + 40] ^= 1;
	CHECK(peek_agrees(file, s.len + trlen, &rc) && rc == 1);
	CHECK(kht_tf_peek_trailer_mem(file, s.len + trlen, &t, err, sizeof(err)) == 1 &&
	      t.records == 30);
	unlink(path);
	free(s.buf);
}

/* A block claiming the largest lengths, cut off: no trailer, nothing read past the end. */
TEST(tf_peek_hostile_lengths)
{
	static unsigned char file[1 << 16];
	static struct kht_tf_trailer t;
	const char *path = tmp_path("peek-hostile.khtrace");
	struct small s;
	size_t len;
	char err[256];
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	len = s.blk_end[0];
	memcpy(file, s.buf, len);
	memcpy(file + len, s.buf + s.blk_end[0], 32);	/* block 1's header only */
	set_le(file + len + 16, KHT_TF_MAX_CLEN, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += 32 + 100;
	CHECK(peek_agrees(file, len, &rc) && rc == 0);
	spit(path, file, len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 0);
	/* over the limit (header CRC valid): a damaged header, scanned past to the end */
	set_le(file + s.blk_end[0] + 16, KHT_TF_MAX_CLEN + 1, 4);
	set_le(file + s.blk_end[0] + 28, crc32(0, file + s.blk_end[0], 28), 4);
	CHECK(peek_agrees(file, len, &rc) && rc == 0);
	/* then the trailer after the junk: found behind the damage */
	memcpy(file + len, s.buf + s.blk_end[SMALL_BLOCKS - 1], s.len - s.blk_end[SMALL_BLOCKS - 1]);
	len += s.len - s.blk_end[SMALL_BLOCKS - 1];
	CHECK(peek_agrees(file, len, &rc) && rc == 1);
	spit(path, file, len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	unlink(path);
	free(s.buf);
}

/* ---- damage at disk speed: one pass, fast scans, bounded inflate ---- */

/* The small file with n bytes of fill inserted where block `at` starts (its length). */
static size_t insert_fill(const struct small *s, int at, const unsigned char *fill, size_t n,
			  unsigned char **out)
{
	size_t where = at ? s->blk_end[at - 1] : s->hdr_end;

	*out = malloc(s->len + n);
	if (!*out)
		return 0;
	memcpy(*out, s->buf, where);
	memcpy(*out + where, fill, n);
	memcpy(*out + where + n, s->buf + where, s->len - where);
	return s->len + n;
}

static bool stats_equal(const struct kht_tf_stats *a, const struct kht_tf_stats *b)
{
	return a->blocks == b->blocks && a->records == b->records && a->corrupt == b->corrupt &&
	       a->skipped_bytes == b->skipped_bytes && a->missing_blocks == b->missing_blocks &&
	       a->unknown_blocks == b->unknown_blocks && a->partial_bytes == b->partial_bytes &&
	       a->truncated == b->truncated && a->has_trailer == b->has_trailer &&
	       !strcmp(a->warning, b->warning);
}

/* Open a buffer, or (path set) the file holding it: the window code then runs too. */
static struct kht_tf_reader *open_either(const void *buf, size_t len, const char *path)
{
	static struct kht_tf_meta m;

	if (!path)
		return kht_tf_open_mem(buf, len, &m, NULL, 0);
	spit(path, buf, len);
	return kht_tf_open(path, &m, NULL, 0);
}

/*
 * 8 MiB of zeros between two blocks (a disk that lost a stretch), and 8 MiB
 * of zeros instead of the end (a file padded after a crash): the reader goes
 * on at the next block, says so once, and the trailer walk plus the records
 * pass scan the zeros once between them, not once each.
 */
TEST(tf_zero_run_scanned_once)
{
	static struct kht_tf_trailer t;
	const size_t zn = 8u << 20;
	const char *path = tmp_path("zeros.khtrace");
	unsigned char *zeros = calloc(1, zn), *file;
	unsigned expect[64];
	struct small s;

	small_file(&s);
	if (!s.buf || !zeros)
		return;
	for (int f = 0; f < 2; f++) {
		const char *where = f ? path : NULL;
		unsigned long long scanned;
		struct kht_tf_reader *r;
		struct readout o;
		size_t len;

		/* a run inside: every record, one damaged spot, the trailer found behind it */
		len = insert_fill(&s, 1, zeros, zn, &file);
		r = open_either(file, len, where);
		CHECK(r);
		if (!r)
			break;
		scanned = kht_tf_scan_count();
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 1 && t.records == 30);
		read_expect(r, expect, small_expect(&s, -1, SMALL_BLOCKS, expect), &o);
		scanned = kht_tf_scan_count() - scanned;
		CHECK(o.rc == 0 && o.bad == 0 && o.n == 30);
		CHECK(o.st.corrupt == 1 && o.st.skipped_bytes == zn && o.st.missing_blocks == 0);
		CHECK(o.st.has_trailer && o.st.trailer->records == 30);
		CHECK_CONTAINS(o.st.warning, "bad block header");
		CHECK(scanned < zn + (zn >> 3));	/* once; twice before kht_tf_find_trailer */
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == -EINVAL);	/* records were read */
		kht_tf_free(r);
		free(file);

		/* a run instead of the end: the blocks before it, cut off, no trailer */
		file = malloc(s.blk_end[1] + zn);
		memcpy(file, s.buf, s.blk_end[1]);
		memset(file + s.blk_end[1], 0, zn);
		r = open_either(file, s.blk_end[1] + zn, where);
		CHECK(r);
		if (!r)
			break;
		scanned = kht_tf_scan_count();
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 0);
		read_expect(r, expect, small_expect(&s, -1, 2, expect), &o);
		scanned = kht_tf_scan_count() - scanned;
		CHECK(o.rc == 0 && o.bad == 0 && o.n == s.first[2]);
		CHECK(o.st.corrupt == 1 && o.st.truncated && o.st.partial_bytes == 31);
		CHECK(o.st.skipped_bytes == zn - 31);
		CHECK(scanned < zn + (zn >> 3));
		kht_tf_free(r);
		free(file);
	}
	unlink(path);
	free(zeros);
	free(s.buf);
}

/*
 * The records pass takes up the walk's scan where it ended and checks from
 * there: a recording that was still being written when the walk ran (its end
 * zeros then, blocks since) is read to its new end.
 */
TEST(tf_zero_run_then_file_grows)
{
	static struct kht_tf_meta m;
	static struct kht_tf_trailer t;
	const char *path = tmp_path("grows.khtrace");
	const size_t zn = 1u << 20;
	unsigned char *file = NULL;
	struct kht_tf_reader *r;
	struct readout o;
	unsigned expect[64];
	struct small s;
	size_t len;
	int fd;

	small_file(&s);
	if (!s.buf)
		return;
	file = calloc(1, s.len + zn);
	memcpy(file, s.buf, s.blk_end[0]);
	len = s.blk_end[0] + zn;			/* block 0, then zeros */
	spit(path, file, len);
	r = kht_tf_open(path, &m, NULL, 0);
	CHECK(r);
	if (r) {
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 0);
		fd = open(path, O_WRONLY | O_APPEND);	/* blocks 1, 2 and the trailer arrive */
		CHECK(fd >= 0 && write(fd, s.buf + s.blk_end[0], s.len - s.blk_end[0]) ==
				 (ssize_t)(s.len - s.blk_end[0]));
		close(fd);
		read_expect(r, expect, small_expect(&s, -1, SMALL_BLOCKS, expect), &o);
		CHECK(o.rc == 0 && o.bad == 0 && o.n == 30);
		CHECK(o.st.corrupt == 1 && o.st.skipped_bytes == zn && o.st.has_trailer);
		kht_tf_free(r);
	}
	unlink(path);
	free(file);
	free(s.buf);
}

/*
 * The one pass reads what a plain read reads: runs of damage (zeros, junk,
 * 'K's, torn copies of block headers), long enough for the walk to keep them,
 * at random places.
 */
TEST(tf_one_pass_agrees_with_plain_read)
{
	static struct kht_tf_trailer t;
	static unsigned char fill[300 << 10];
	unsigned failures = 0, kept = 0;
	unsigned seed = 4242;
	struct small s;

	small_file(&s);
	if (!s.buf)
		return;
	for (int iter = 0; iter < 60; iter++) {
		size_t n = (64 << 10) + rand_r(&seed) % (sizeof(fill) - (64 << 10));
		struct readout plain, once;
		unsigned char *file;
		unsigned long long scanned, walk;
		struct kht_tf_reader *r;
		size_t len;

		for (size_t k = 0; k < n; k++) {
			unsigned x = rand_r(&seed) % 100;

			fill[k] = x < 70 ? 0 : x < 80 ? 'K' : rand_r(&seed);
		}
		for (int k = 0; k < 8; k++) {	/* torn block headers: magic, some with a valid CRC */
			size_t at = rand_r(&seed) % (n - 32);

			memcpy(fill + at, s.buf + s.hdr_end, 32);
			set_le(fill + at + 20, rand_r(&seed) % 3, 4);
			if (k & 1)
				set_le(fill + at + 28, crc32(0, fill + at, 28), 4);
		}
		len = insert_fill(&s, rand_r(&seed) % (SMALL_BLOCKS + 1), fill,
				  n - rand_r(&seed) % 64, &file);
		if (iter % 4 == 3)
			len -= rand_r(&seed) % (len - s.hdr_end);	/* and cut somewhere */
		r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
		read_expect(r, NULL, 0, &plain);
		kht_tf_free(r);
		r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
		walk = kht_tf_scan_count();
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == plain.st.has_trailer);
		walk = kht_tf_scan_count() - walk;
		scanned = kht_tf_scan_count();
		read_expect(r, NULL, 0, &once);
		kept += kht_tf_scan_count() - scanned < walk;	/* the walk's spans were used */
		kht_tf_free(r);
		if (plain.rc != once.rc || plain.n != once.n || !stats_equal(&plain.st, &once.st))
			failures++;
		free(file);
	}
	if (failures)
		fprintf(stderr, "  %u of 60 damaged files read otherwise in one pass\n", failures);
	CHECK(failures == 0 && kept >= 30);
	free(s.buf);
}

/*
 * A zlib bomb: 1 MiB of well-framed records stored in ~1 KiB (deflate's
 * 1000:1) is refused by its header before anything is inflated, with the
 * reason, and reading goes on at the next block. The same records at zlib
 * level 1 (the writer's, ~230:1, all a block of repeated records can give)
 * are read: the bound refuses nothing a recorder writes.
 */
TEST(tf_zlib_bomb_refused_unread)
{
	static unsigned char raw[1 << 20], file[(1 << 20) + (64 << 10)];
	static struct kht_tf_trailer t;
	const unsigned nrec = sizeof(raw) / 8;
	unsigned long long inflated;
	unsigned expect[64], seq = 0;
	struct kht_tf_reader *r;
	struct readout o;
	struct small s;
	size_t len, bomb, mild;
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	for (unsigned i = 0; i < nrec; i++)
		set_le(raw + 8 * i, 3000, 4);	/* type 3000, length 0 */
	memcpy(file, s.buf, s.hdr_end);
	len = s.hdr_end;
	bomb = make_block_at(file + len, 1, seq++, raw, sizeof(raw), nrec, 9);
	CHECK(bomb - 32 < sizeof(raw) / KHT_TF_MAX_RATIO);
	len += bomb;
	{	/* then the real block 0, renumbered */
		size_t b0 = s.hdr_end, b0len = s.blk_end[0] - b0;

		memcpy(file + len, s.buf + b0, b0len);
		set_le(file + len + 8, seq++, 4);
		set_le(file + len + 28, crc32(0, file + len, 28), 4);
		len += b0len;
	}
	inflated = kht_tf_inflate_count();
	r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
	read_expect(r, expect, small_expect(&s, -1, 1, expect), &o);
	kht_tf_free(r);
	CHECK(kht_tf_inflate_count() - inflated == 1);	/* block 0 only */
	CHECK(o.rc == 0 && o.bad == 0 && o.n == small_counts[0]);
	CHECK(o.st.corrupt == 1 && o.st.skipped_bytes == bomb && o.st.blocks == 1);
	CHECK_CONTAINS(o.st.warning, "over 256 times its stored size: a zlib bomb");
	CHECK(peek_agrees(file, len, &rc) && rc == 0);

	/* level 1: read whole */
	len = s.hdr_end;
	mild = make_block_at(file + len, 1, 0, raw, sizeof(raw), nrec, 1);
	CHECK(mild - 32 >= sizeof(raw) / KHT_TF_MAX_RATIO);
	len += mild;
	memcpy(file + len, s.buf + s.blk_end[SMALL_BLOCKS - 1], s.len - s.blk_end[SMALL_BLOCKS - 1]);
	set_le(file + len + 8, 1, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += s.len - s.blk_end[SMALL_BLOCKS - 1];
	r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
	CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 1);
	read_expect(r, NULL, 0, &o);
	kht_tf_free(r);
	CHECK(o.rc == 0 && o.n == nrec && o.st.corrupt == 0 && o.st.has_trailer);
	free(s.buf);
}

TEST(tf_peek_refuses_paths)
{
	static struct kht_tf_trailer t;
	char err[256] = "";
	const char *fifo = tmp_path("peek-fifo");

	CHECK(kht_tf_peek_trailer(tmp_path("does-not-exist"), &t, err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "cannot open");
	CHECK(kht_tf_peek_trailer(tmpdir, &t, err, sizeof(err)) == -EISDIR);
	CHECK_CONTAINS(err, "is a directory");
	unlink(fifo);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(kht_tf_peek_trailer(fifo, &t, err, sizeof(err)) == -EINVAL);	/* must not hang */
	CHECK_CONTAINS(err, "not a regular file");
	unlink(fifo);
	CHECK(kht_tf_peek_trailer("/dev/null", &t, err, sizeof(err)) == -EINVAL);
	spit(tmp_path("peek-empty"), "", 0);
	CHECK(kht_tf_peek_trailer(tmp_path("peek-empty"), &t, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "is empty.");
	unlink(tmp_path("peek-empty"));
	spit(tmp_path("peek-elf"), "\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	CHECK(kht_tf_peek_trailer(tmp_path("peek-elf"), &t, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "bad magic");
	unlink(tmp_path("peek-elf"));
	CHECK(kht_tf_peek_trailer_mem(NULL, 0, &t, err, sizeof(err)) == -EINVAL);
	CHECK(kht_tf_peek_trailer(tmp_path("x"), &t, NULL, 0) == -ENOENT);	/* err optional */
}

/* ---- creating ---- */

static int dir_entries(const char *dir)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

TEST(tf_create_failures_leave_nothing)
{
	static struct kht_tf_meta m;
	char err[256] = "", path[160];
	struct kht_tf_writer *w;
	int before;

	test_meta(&m);
	tmp_path("x");
	before = dir_entries(tmpdir);
	snprintf(path, sizeof(path), "%s/no/such/dir/out.khtrace", tmpdir);
	CHECK(kht_tf_create(path, &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "cannot create");
	CHECK_CONTAINS(err, "No such file");
	CHECK(kht_tf_create(tmpdir, &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is a directory");
	CHECK(dir_entries(tmpdir) == before);

	/* replacing an existing file: the old one stays until the new header is written */
	snprintf(path, sizeof(path), "%s/old.khtrace", tmpdir);
	spit(path, "old contents", 12);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (w)
		CHECK(kht_tf_close(w, NULL) == 0);
	{
		size_t len;
		unsigned char *buf = slurp(path, &len);
		struct stat st;

		CHECK(buf && len > 12 && !memcmp(buf, "KHTRACE", 8));
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
		free(buf);
	}
	CHECK(dir_entries(tmpdir) == before + 1);	/* no temporary left behind */
	unlink(path);

	/* a device is written in place */
	w = kht_tf_create("/dev/null", &m, err, sizeof(err));
	CHECK(w);
	if (w) {
		CHECK(kht_tf_write(w, 1, "x", 1) == 0);
		CHECK(kht_tf_close(w, NULL) == 0);
	}
}
