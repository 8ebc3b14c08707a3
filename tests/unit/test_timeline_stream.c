// SPDX-License-Identifier: GPL-2.0
/*
 * Streamed stories (lib/timeline_stream.c) against the whole-stream build:
 * the same stories on synthetic streams with CPUs out of order, bounded
 * memory on endless streams, and the parts of a story that never ends.
 */
#define _GNU_SOURCE	/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kht_test.h"
#include "lib/json.h"
#include "lib/timeline.h"
#include "lib/story_writer.h"
#include "lib/timeline_stream.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

/* A seek (or, every 7th, a collapse with a visible window) on inode ino, generation gen. */
static union kht_any_event mk_event(unsigned long long begin, unsigned long long ino, unsigned gen,
				    unsigned i)
{
	union kht_any_event u;

	memset(&u, 0, sizeof(u));
	if (i % 7 == 3) {
		struct kht_collapse *c = &u.collapse;

		c->hdr = (struct kht_hdr){ .ts_ns = begin + 3 * MS, .type = KHT_EV_COLLAPSE,
					   .size = sizeof(*c), .pid = 50, .tid = 50,
					   .comm = "collapser" };
		c->start_ns = begin;
		c->duration_ns = 3 * MS;
		c->ino = ino;
		c->gen = gen;
		c->dev = 39;
		c->nr = 512;
		c->result = 1;
		c->attach = KHT_MODE_FENTRY;
		c->flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_INODE |
			   KHT_F_HAVE_RESULT;
		strcpy(c->name, "f");
		return u;
	}
	u.seek.hdr = (struct kht_hdr){ .ts_ns = begin + 10, .type = KHT_EV_SEEK,
				       .size = sizeof(u.seek), .pid = 60 + i % 3,
				       .tid = 60 + i % 3, .comm = "seeker" };
	u.seek.start_ns = begin;
	u.seek.duration_ns = 10;
	u.seek.offset = i * 4096ULL;
	u.seek.result = i * 4096ULL + 4096;
	u.seek.file = (struct kht_fileref){ .ino = ino, .gen = gen, .dev = 39 };
	u.seek.whence = i % 2 ? KHT_SEEK_HOLE : KHT_SEEK_DATA;
	u.seek.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION;
	u.seek.attach = KHT_MODE_FENTRY;
	strcpy(u.seek.name, "f");
	return u;
}

/*
 * A stream of bursts: burst b is 40 events on inode 1 + b % 5 (generation
 * b: a new story each time, as tmpfs reuses numbers), begun 3 s after the
 * previous one, so earlier ones go quiet while later ones run. Delivered in
 * the order of their end plus a per-CPU delay of up to 1.5 ms (4 CPUs).
 */
struct stamped {
	unsigned long long arrive;
	union kht_any_event ev;
};

static int by_arrival(const void *a, const void *b)
{
	const struct stamped *x = a, *y = b;

	return x->arrive < y->arrive ? -1 : x->arrive > y->arrive;
}

static struct stamped *burst_stream(size_t nbursts, size_t *n)
{
	struct stamped *v = calloc(nbursts * 40, sizeof(*v));
	unsigned rnd = 12345;

	*n = 0;
	for (size_t b = 0; b < nbursts; b++)
		for (unsigned i = 0; i < 40; i++) {
			unsigned long long begin = 1 * SEC + b * 3 * SEC + i * 50 * MS;

			rnd = rnd * 1103515245 + 12345;
			v[*n].ev = mk_event(begin, 1 + b % 5, b, i);
			v[*n].arrive = v[*n].ev.hdr.ts_ns + (rnd >> 16) % 4 * 500000ULL;
			(*n)++;
		}
	qsort(v, *n, sizeof(*v), by_arrival);
	return v;
}

/* Each story rendered (text and JSON) as a string, in the order written. */
struct rendered {
	char **s;
	size_t n;
	struct kht_fmt fmt;
	unsigned long long parts_seen;	/* stories written before finish */
	bool finishing;
};

static void keep(struct rendered *r, const struct kht_timeline *t, const struct kht_tl_group *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	kht_tl_story_text(f, t, g, &r->fmt);
	kht_tl_story_json(f, t, g, &r->fmt);
	fclose(f);
	r->s = realloc(r->s, (r->n + 1) * sizeof(*r->s));
	r->s[r->n++] = buf;
}

static void emit_keep(void *ctx, const struct kht_timeline *t, const struct kht_tl_group *g,
		      unsigned long long *tag)
{
	struct rendered *r = ctx;

	(void)tag;
	keep(r, t, g);
	r->parts_seen += !r->finishing;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The same stories, in any order. */
static void check_same_stories(struct rendered *a, struct rendered *b)
{
	CHECK(a->n == b->n);
	qsort(a->s, a->n, sizeof(char *), by_str);
	qsort(b->s, b->n, sizeof(char *), by_str);
	for (size_t i = 0; i < a->n && i < b->n; i++)
		CHECK_STR(b->s[i], a->s[i]);
}

static void rendered_free(struct rendered *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->s[i]);
	free(r->s);
}

/*
 * The burst stream through s (emit_keep into streamed) and through the
 * whole-stream build (into whole), both with filter f; returns its length.
 */
static size_t both_ways(size_t nbursts, const struct kht_tl_filter *f, struct kht_tl_stream *s,
			struct rendered *whole, struct rendered *streamed)
{
	struct kht_timeline t = { 0 };
	size_t n;
	struct stamped *v = burst_stream(nbursts, &n);

	*s = (struct kht_tl_stream){ .emit = emit_keep, .ctx = streamed, .filter = *f };
	for (size_t i = 0; i < n; i++) {
		CHECK(kht_tl_add(&t, &v[i].ev.hdr, sizeof(v[i].ev)) == 0);
		CHECK(kht_tls_add(s, &v[i].ev.hdr, sizeof(v[i].ev)) == 0);
	}
	streamed->finishing = true;
	CHECK(kht_tls_finish(s) == 0);
	CHECK(kht_tl_build(&t, f, 0) == 0);
	for (size_t gi = 0; gi < t.ngroups; gi++)
		keep(whole, &t, &t.groups[gi]);
	kht_tl_free(&t);
	free(v);
	return n;
}

TEST(tl_stream_same_stories_as_whole_stream)
{
	struct rendered whole = { 0 }, streamed = { 0 };
	struct kht_tl_filter f = { 0 };
	struct kht_tl_stream s;
	size_t n = both_ways(12, &f, &s, &whole, &streamed);

	/* bursts 3 s apart, quiet after 12 s: the first ones were written while the rest came */
	CHECK(streamed.parts_seen >= 5);
	CHECK(s.peak_stories < 12);
	/* as a multiset of stories, each identical (rows, marks, header) */
	CHECK(whole.n == 12);
	CHECK(s.stories_out == 12 && s.events_out == n && s.held == 0);
	check_same_stories(&whole, &streamed);
	rendered_free(&whole);
	rendered_free(&streamed);
	kht_tls_free(&s);
}

/* Filters while reading = filters on the whole stream (-p per story, the rest per event). */
TEST(tl_stream_filters_like_whole_stream)
{
	struct kht_tl_filter filters[] = {
		{ .ino = 3 }, { .pid = 50 }, { .since_s = 10, .until_s = 20, .until_set = true },
		{ .ino = 99 },
	};

	for (size_t fi = 0; fi < sizeof(filters) / sizeof(filters[0]); fi++) {
		struct rendered whole = { 0 }, streamed = { 0 };
		struct kht_tl_stream s;

		both_ways(10, &filters[fi], &s, &whole, &streamed);
		CHECK(fi == 3 ? !whole.n : whole.n > 0);
		check_same_stories(&whole, &streamed);
		CHECK(fi != 3 || !s.peak_stories);	/* --inode: nothing else is even held */
		rendered_free(&whole);
		rendered_free(&streamed);
		kht_tls_free(&s);
	}
}

static void emit_count(void *ctx, const struct kht_timeline *t, const struct kht_tl_group *g,
		       unsigned long long *tag)
{
	(void)ctx;
	(void)t;
	(void)g;
	(void)tag;
}

TEST(tl_stream_endless_busy_inodes_bounded)
{
	/* 8 inodes, none ever quiet: only the bounds cut them */
	struct kht_tl_stream s = { .emit = emit_count, .story_events = 3000, .held_events = 4000 };
	unsigned long long total = 200000;

	for (unsigned long long i = 0; i < total; i++) {
		union kht_any_event e = mk_event(SEC + i * 10000, 1 + i % 8, 1, i);

		CHECK(kht_tls_add(&s, &e.hdr, sizeof(e)) == 0);
	}
	CHECK(s.peak_held <= 4001);
	CHECK(s.peak_stories == 8);
	CHECK(s.stories_out > 8);
	CHECK(s.events_out + s.held == total);
	CHECK(kht_tls_finish(&s) == 0);
	CHECK(s.events_out == total && s.held == 0);
	kht_tls_free(&s);
}

TEST(tl_stream_many_busy_inodes_keep_no_more_than_the_bound)
{
	/*
	 * 600 inodes, all busy, cut into parts again and again: the arrays the
	 * cut stories keep stay within twice what is held at the peak (their
	 * slots round up to powers of two), and all of it is given back.
	 */
	struct kht_tl_stream s = { .emit = emit_count, .story_events = 3000, .held_events = 4000 };
	unsigned long long total = 600000;
	size_t bound;

	for (unsigned long long i = 0; i < total; i++) {
		union kht_any_event e = mk_event(SEC + i * 1000, 1 + i % 600, 1, i);

		CHECK(kht_tls_add(&s, &e.hdr, sizeof(e)) == 0);
	}
	bound = 2 * (s.peak_held > 4000 ? s.peak_held : 4000);
	CHECK(s.stories_out > 600);
	CHECK(s.peak_cap_held <= bound);
	CHECK(s.events_out + s.held == total);
	CHECK(kht_tls_finish(&s) == 0);
	CHECK(s.events_out == total && s.held == 0 && s.cap_held == 0);
	kht_tls_free(&s);
}

TEST(tl_stream_endless_new_inodes_bounded)
{
	/* one new file a second, each busy for a second: only the last ~14 are held */
	struct kht_tl_stream s = { .emit = emit_count };
	unsigned long long total = 0;

	for (unsigned sec = 0; sec < 300; sec++)
		for (unsigned i = 0; i < 100; i++, total++) {
			union kht_any_event e = mk_event(SEC + sec * SEC + i * 10 * MS, 1000 + sec,
							 sec, i);

			CHECK(kht_tls_add(&s, &e.hdr, sizeof(e)) == 0);
		}
	CHECK(s.peak_stories <= (KHT_TLS_QUIET_NS + KHT_TLS_LAG_NS) / SEC + 2);
	CHECK(s.peak_held <= s.peak_stories * 100);
	CHECK(s.stories_out >= 300 - s.peak_stories);
	CHECK(kht_tls_finish(&s) == 0);
	CHECK(s.stories_out == 300 && s.events_out == total);
	kht_tls_free(&s);
}

TEST(tl_stream_splits_an_endless_story)
{
	struct rendered parts = { 0 }, whole = { 0 };
	struct kht_tl_stream s = { .emit = emit_keep, .ctx = &parts, .story_events = 1000 };
	struct kht_timeline t = { 0 };
	struct kht_tl_filter f = { 0 };
	char *joined = NULL, *p;
	size_t jlen = 0, n = 2500;
	FILE *j;

	for (size_t i = 0; i < n; i++) {
		union kht_any_event e = mk_event(SEC + i * MS, 7, 1, i);

		CHECK(kht_tls_add(&s, &e.hdr, sizeof(e)) == 0);
		CHECK(kht_tl_add(&t, &e.hdr, sizeof(e)) == 0);
	}
	CHECK(kht_tls_finish(&s) == 0);
	CHECK(kht_tl_build(&t, &f, 0) == 0);
	/* 999 + 999 + 502: a part keeps its last event for the next (never empty) */
	CHECK(parts.n == 3 && s.events_out == n);
	CHECK_CONTAINS(parts.s[0], "— 999 events");
	CHECK_CONTAINS(parts.s[0], "(part 1)");
	CHECK_CONTAINS(parts.s[0], "(continued in part 2)");
	CHECK_CONTAINS(parts.s[0], "\"part\":1,\"continues\":true,\"events\"");
	CHECK_CONTAINS(parts.s[1], "(part 2, continued)");
	CHECK_CONTAINS(parts.s[1], "\"part\":2,\"continues\":true,");
	CHECK_CONTAINS(parts.s[2], "— 502 events");
	CHECK_CONTAINS(parts.s[2], "(part 3, continued)");
	CHECK_CONTAINS(parts.s[2], "\"part\":3,\"events\"");
	CHECK(!strstr(parts.s[2], "continued in") && !strstr(parts.s[2], "continues"));
	/* the parts' events, in order, are the whole story's */
	j = open_memstream(&joined, &jlen);
	for (size_t i = 0; i < parts.n; i++) {
		p = strstr(parts.s[i], "\"events\":[");
		CHECK(p != NULL);
		if (p)
			fprintf(j, "%s%.*s", i ? "," : "", (int)(strlen(p) - 13), p + 10);
	}
	fclose(j);
	keep(&whole, &t, &t.groups[0]);
	p = strstr(whole.s[0], "\"events\":[");
	CHECK(p && strlen(p) - 13 == strlen(joined) && !strncmp(p + 10, joined, strlen(joined)));
	free(joined);
	rendered_free(&parts);
	rendered_free(&whole);
	kht_tls_free(&s);
	kht_tl_free(&t);
}

/*
 * Stories handed to a writer thread (story_writer.h, live timeline) come out
 * as emit() gives them on the drain thread: the same stories, parts and
 * order, the parts of a story under one tag; and a slow writer holds the
 * drain thread back at its bound instead of queueing without end.
 */
struct tagged {
	struct rendered r;
	unsigned long long next_tag;
	unsigned slow_us;
};

static void emit_tagged(void *ctx, const struct kht_timeline *t, const struct kht_tl_group *g,
			unsigned long long *tag)
{
	struct tagged *tg = ctx;
	char *s;

	if (!*tag)
		*tag = ++tg->next_tag;
	keep(&tg->r, t, g);
	/* the tag (a Perfetto track) written into the story's string: compared too */
	if (asprintf(&s, "tag %llu part %u\n%s", *tag, g->part, tg->r.s[tg->r.n - 1]) > 0) {
		free(tg->r.s[tg->r.n - 1]);
		tg->r.s[tg->r.n - 1] = s;
	}
	if (tg->slow_us)
		usleep(tg->slow_us);
}

/* 3 inodes never quiet (cut by both bounds) and a new one every 5 s (quiet 12 s later). */
static void writer_stream(struct kht_tl_stream *s)
{
	for (unsigned i = 0; i < 6000; i++) {
		union kht_any_event e = mk_event(SEC + i * 5 * MS, i % 4 ? 1 + i % 4 : 100 + i / 1000,
						 1, i);

		CHECK(kht_tls_add(s, &e.hdr, sizeof(e)) == 0);
	}
	CHECK(kht_tls_finish(s) == 0);
}

TEST(tl_stream_writer_thread_writes_what_emit_writes)
{
	struct tagged sync = { 0 }, async = { .slow_us = 300 };
	struct kht_tl_stream a = { .emit = emit_tagged, .ctx = &sync, .story_events = 700,
				   .held_events = 1000 };
	struct kht_tl_stream b = { .take = kht_sw_take, .story_events = 700, .held_events = 1000 };
	struct kht_story_writer *w = kht_sw_start(emit_tagged, &async, 500);
	unsigned long long waits = 0;
	size_t peak = 0, parts = 0;

	CHECK(w != NULL);
	if (!w)
		return;
	b.ctx = w;
	writer_stream(&a);
	writer_stream(&b);
	kht_sw_finish(w, &peak, &waits);
	CHECK(a.stories_out == b.stories_out && a.events_out == 6000 && b.events_out == 6000);
	CHECK(sync.r.n == async.r.n && sync.r.n == a.stories_out);
	for (size_t i = 0; i < sync.r.n && i < async.r.n; i++) {
		CHECK_STR(async.r.s[i], sync.r.s[i]);
		parts += !strncmp(sync.r.s[i], "tag 1 part", 10);
	}
	CHECK(parts > 3);	/* the first story (inode 1) was cut into parts, one tag */
	/* the slow writer held the drain thread at the bound: at most one story over it */
	CHECK(waits > 0);
	CHECK(peak <= 500 + 700);
	CHECK(b.held == 0 && b.cap_held == 0);
	rendered_free(&sync.r);
	rendered_free(&async.r);
	kht_tls_free(&a);
	kht_tls_free(&b);
}
