// SPDX-License-Identifier: GPL-2.0
/*
 * The Perfetto protobuf writer: the encoder's bytes, and timelines written
 * and read back by the independent walker (pf_walk.h).
 */
#include <stdlib.h>
#include <string.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "pf_walk.h"
#include "lib/options.h"
#include "lib/perfetto_pb.h"
#include "lib/timeline.h"

static bool bytes_are(const struct kht_pb *b, const unsigned char *want, size_t n)
{
	return !b->oom && b->len == n && !memcmp(b->p, want, n);
}

TEST(perfetto_pb_varints_and_fields)
{
	struct kht_pb b = { 0 };

	kht_pb_varint(&b, 1, 0);
	kht_pb_varint(&b, 1, 127);
	kht_pb_varint(&b, 1, 128);
	kht_pb_varint(&b, 1, 300);
	CHECK(bytes_are(&b, (const unsigned char[]){ 0x08, 0x00, 0x08, 0x7f, 0x08, 0x80, 0x01,
						      0x08, 0xac, 0x02 }, 10));
	b.len = 0;
	kht_pb_varint(&b, 60, ~0ULL);	/* a two-byte tag; ten-byte value */
	CHECK(bytes_are(&b, (const unsigned char[]){ 0xe0, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						      0xff, 0xff, 0xff, 0x01 }, 12));
	b.len = 0;
	kht_pb_double(&b, 5, 1.0);
	CHECK(bytes_are(&b, (const unsigned char[]){ 0x29, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f }, 9));
	b.len = 0;
	kht_pb_str(&b, 2, "ab");
	CHECK(bytes_are(&b, (const unsigned char[]){ 0x12, 0x02, 'a', 'b' }, 4));
	kht_pb_free(&b);
}

/* A nested message longer than 127 bytes: its length takes two bytes, the body moves up. */
TEST(perfetto_pb_nested_length_grows)
{
	struct kht_pb b = { 0 };
	char s[200];
	size_t at, inner;

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	at = kht_pb_open(&b, 11);
	inner = kht_pb_open(&b, 4);
	kht_pb_varint(&b, 1, 7);
	kht_pb_close(&b, inner);
	kht_pb_str(&b, 23, s);	/* 2 + 2 + 199 bytes */
	kht_pb_close(&b, at);
	CHECK(!b.oom);
	CHECK(b.len == 1 + 2 + 4 + 2 + 2 + 199);
	CHECK(b.p[0] == 0x5a && b.p[1] == ((b.len - 3) | 0x80) && b.p[2] == (b.len - 3) >> 7);
	CHECK(b.p[3] == 0x22 && b.p[4] == 2 && b.p[5] == 0x08 && b.p[6] == 7);
	CHECK(b.p[7] == 0xba && b.p[8] == 0x01 && b.p[9] == 199 && b.p[10] == 0x01);
	CHECK(b.p[b.len - 1] == 'x');
	kht_pb_free(&b);
}

static struct kht_collapse collapse_at(unsigned long long begin, unsigned long long end,
				       unsigned long long ino, unsigned tid)
{
	struct kht_collapse c = {
		.hdr = { .ts_ns = end, .type = KHT_EV_COLLAPSE, .size = sizeof(c), .pid = 100,
			 .tid = tid, .comm = "collapser" },
		.start_ns = begin, .duration_ns = end - begin, .ino = ino, .gen = 1, .dev = 39,
		.nr = 512, .nr_none = 3, .result = 1, .attach = KHT_MODE_FENTRY,
		.flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_INODE |
			 KHT_F_HAVE_RESULT | KHT_F_HAVE_HOLES,
		.name = "f",
	};
	return c;
}

static struct kht_seek seek_at(unsigned long long begin, unsigned long long ino, unsigned tid)
{
	struct kht_seek s = {
		.hdr = { .ts_ns = begin + 10, .type = KHT_EV_SEEK, .size = sizeof(s), .pid = 200,
			 .tid = tid, .comm = "seeker" },
		.start_ns = begin, .duration_ns = 10, .offset = 8192, .result = 12288,
		.file = { .ino = ino, .gen = 1, .dev = 39 }, .whence = KHT_SEEK_HOLE,
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION, .attach = KHT_MODE_FENTRY,
		.name = "g \"quoted\"",
	};
	return s;
}

/* Written to memory and walked back. */
static unsigned char *write_pb(const struct kht_timeline *t, const struct kht_fmt *f, size_t *len,
			       int *rc)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	*rc = kht_tl_write_perfetto_pb(m, t, f);
	fclose(m);
	return (unsigned char *)buf;
}

static const struct pf_event *event_named(const struct pf_trace *p, const char *name, int type)
{
	for (size_t i = 0; i < p->nevents; i++)
		if (!strcmp(p->events[i].name, name) && p->events[i].type == type)
			return &p->events[i];
	return NULL;
}

/*
 * Two inodes: #7 with a collapse (tid 101), an end-only collapse (tid 101)
 * and seeks of two threads; #8 with one seek. Tracks: one per inode, one per
 * task under it; slices paired; names and annotations resolve; times exact.
 */
TEST(perfetto_pb_timeline_reads_back)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter flt = { 0 };
	struct kht_enum en;
	struct kht_fmt f = { .results = &en };
	struct kht_collapse c = collapse_at(1000, 5000, 7, 101), tp = collapse_at(6000, 6000, 7, 101);
	struct kht_seek s1 = seek_at(2000, 7, 201), s2 = seek_at(3000, 7, 202),
			s3 = seek_at(2500, 7, 201), s4 = seek_at(4000, 8, 201);
	const struct pf_track *i7, *i8, *task;
	const struct pf_event *e;
	struct pf_trace p = { .detail = true };
	unsigned char *buf;
	size_t len;
	int rc;

	kht_fixture_enum(KHT_FIX_612, &en);
	tp.flags &= ~(KHT_F_HAVE_DURATION | KHT_F_HAVE_START);
	CHECK(!kht_tl_add(&t, &c.hdr, sizeof(c)) && !kht_tl_add(&t, &tp.hdr, sizeof(tp)));
	CHECK(!kht_tl_add(&t, &s1.hdr, sizeof(s1)) && !kht_tl_add(&t, &s2.hdr, sizeof(s2)));
	CHECK(!kht_tl_add(&t, &s3.hdr, sizeof(s3)) && !kht_tl_add(&t, &s4.hdr, sizeof(s4)));
	CHECK(!kht_tl_build(&t, &flt, 0));
	buf = write_pb(&t, &f, &len, &rc);
	CHECK(rc == 0);
	CHECK(pf_walk(buf, len, &p) == 0);
	if (p.error[0])
		fprintf(stderr, "  walker: %s\n", p.error);

	/* 2 stories + 3 tasks in #7 + 1 in #8; 5 slices x 2 + 1 instant, the first clearing */
	CHECK(p.ntracks == 6);
	CHECK(p.cleared == 1);
	CHECK(p.packets == 6 + 11);
	CHECK(p.nevents == 11 && p.slices == 5);
	i7 = pf_track_named(&p, "inode 0:39#7 f");
	i8 = pf_track_named(&p, "inode 0:39#8 g \"quoted\"");	/* named by its file, quotes and all */
	CHECK(i7 && i8 && !i7->parent && !i8->parent);
	if (!i7 || !i8)
		goto out;
	CHECK(pf_children(&p, i7->uuid) == 3);
	CHECK(pf_children(&p, i8->uuid) == 1);
	task = pf_track_named(&p, "collapser 101 (pid 100)");
	CHECK(task && task->parent == i7->uuid);

	e = event_named(&p, "collapse succeeded", 1);
	CHECK(e && e->ts == 1000 && task && e->track == task->uuid);
	if (e) {
		CHECK_CONTAINS(e->annos, "initiator=");
		CHECK_CONTAINS(e->annos, "nr=512;");
		CHECK_CONTAINS(e->annos, "holes=3;");
		CHECK_CONTAINS(e->annos, "result_enum=SCAN_SUCCEED;");
		/* what the tracks and the packet say is not repeated */
		CHECK(!strstr(e->annos, "ino=") && !strstr(e->annos, "comm=") &&
		      !strstr(e->annos, "ts_ns=") && !strstr(e->annos, "duration_ns="));
	}
	/* its end: the next event of that track in time, at the collapse's end */
	for (size_t i = 0; task && i < p.nevents; i++)
		if (p.events[i].track == task->uuid && p.events[i].type == 2)
			CHECK(p.events[i].ts == 5000);
	e = event_named(&p, "collapse succeeded", 3);	/* end-only: an instant at its time */
	CHECK(e && e->ts == 6000);
	if (e)
		CHECK(!strstr(e->annos, "duration_ns"));	/* null: left out */
	e = event_named(&p, "seek SEEK_HOLE", 1);
	CHECK(e != NULL);
	if (e) {
		CHECK_CONTAINS(e->annos, "offset=8192;ret=12288;");
		CHECK_CONTAINS(e->annos, "whence=SEEK_HOLE;");
	}
out:
	pf_free(&p);
	free(buf);
	kht_tl_free(&t);
}

/* The walker is a real check: a cut-off trace and an end without a begin are refused. */
TEST(perfetto_pb_walker_refuses_damage)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter flt = { 0 };
	struct kht_fmt f = { 0 };
	struct kht_seek s = seek_at(2000, 7, 201);
	struct pf_trace p = { 0 };
	struct kht_pf_writer w;
	unsigned char *buf;
	char *mem = NULL;
	size_t len;
	int rc;
	FILE *m;

	CHECK(!kht_tl_add(&t, &s.hdr, sizeof(s)) && !kht_tl_build(&t, &flt, 0));
	buf = write_pb(&t, &f, &len, &rc);
	CHECK(pf_walk(buf, len, &p) == 0 && p.slices == 1);
	pf_free(&p);
	CHECK(pf_walk(buf, len - 1, &p) == -1);
	CHECK_CONTAINS(p.error, "malformed");
	pf_free(&p);
	free(buf);
	kht_tl_free(&t);

	m = open_memstream(&mem, &len);
	kht_pf_init(&w, m);
	kht_pf_event_begin(&w, 10, kht_pf_track(&w, 0, "t"), PF_TYPE_SLICE_END, NULL);
	kht_pf_event_end(&w);
	CHECK(kht_pf_finish(&w) == 0);
	fclose(m);
	CHECK(pf_walk((unsigned char *)mem, len, &p) == -1);
	CHECK_CONTAINS(p.error, "slice end without a begin");
	pf_free(&p);
	free(mem);
}

/*
 * More distinct names than one interning period holds: the writer clears
 * the incremental state and starts again, every name still resolves, no iid
 * is reused, and the tables stay bounded.
 */
TEST(perfetto_pb_interning_resets_when_full)
{
	struct kht_pf_writer w;
	struct pf_trace p = { .detail = true };
	char *mem = NULL, name[32];
	size_t len, n = KHT_PF_INTERN_MAX + 100, seen = 0;
	uint64_t tr;
	FILE *m = open_memstream(&mem, &len);

	kht_pf_init(&w, m);
	tr = kht_pf_track(&w, 0, "t");
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		kht_pf_event_begin(&w, 100 + i, tr, PF_TYPE_INSTANT, name);
		kht_pf_anno_str(&w, "same", "v", 1);
		kht_pf_event_end(&w);
		CHECK(w.names.n <= KHT_PF_INTERN_MAX);
	}
	CHECK(kht_pf_finish(&w) == 0);
	fclose(m);
	CHECK(pf_walk((unsigned char *)mem, len, &p) == 0);
	if (p.error[0])
		fprintf(stderr, "  walker: %s\n", p.error);
	CHECK(p.cleared == 2);
	CHECK(p.nevents == n);
	for (size_t i = 0; i < p.nevents; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		seen += !strcmp(p.events[i].name, name) && p.events[i].ts == 100 + i &&
			!strcmp(p.events[i].annos, "same=v;");
	}
	CHECK(seen == n);
	pf_free(&p);
	free(mem);
}

TEST(perfetto_format_by_option_or_name)
{
	struct kht_opts o;
	char err[256];
	char *a[] = { "report", "--perfetto", "x.json" };
	char *b[] = { "report", "--perfetto", "x.pftrace" };
	char *c[] = { "report", "--perfetto", "x.json", "--perfetto-format", "proto" };
	char *d[] = { "report", "--perfetto", "x", "--perfetto-format=json" };
	char *e[] = { "report", "--perfetto-format", "json" };
	char *g[] = { "report", "--perfetto", "x", "--perfetto-format", "xml" };

	CHECK(!kht_parse_opts(3, a, &o, err, sizeof(err)) && kht_perfetto_json(&o));
	CHECK(!kht_parse_opts(3, b, &o, err, sizeof(err)) && !kht_perfetto_json(&o));
	CHECK(!kht_parse_opts(5, c, &o, err, sizeof(err)) && !kht_perfetto_json(&o));
	CHECK(!kht_parse_opts(4, d, &o, err, sizeof(err)) && kht_perfetto_json(&o));
	CHECK(kht_parse_opts(3, e, &o, err, sizeof(err)) == -1);
	CHECK_STR(err, "--perfetto-format goes with --perfetto FILE");
	CHECK(kht_parse_opts(5, g, &o, err, sizeof(err)) == -1);
	CHECK_STR(err, "unknown --perfetto-format 'xml': use proto or json");
}
