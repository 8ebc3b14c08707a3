// SPDX-License-Identifier: GPL-2.0
/* Timeline merging, grouping, filters, and the three renderings. */
#include <stdlib.h>
#include <string.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "lib/json.h"
#include "lib/timeline.h"

static struct kht_collapse collapse_ev(unsigned long long begin, unsigned long long end,
				       unsigned long long ino, unsigned gen, unsigned pid)
{
	struct kht_collapse c = {
		.hdr = { .ts_ns = end, .type = KHT_EV_COLLAPSE, .size = sizeof(c), .pid = pid,
			 .tid = pid, .comm = "collapser" },
		.start_ns = begin, .duration_ns = end - begin, .ino = ino, .gen = gen, .dev = 39,
		.start_index = 0, .nr = 512, .nr_none = 3, .result = 1, .attach = KHT_MODE_FENTRY,
		.flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_INODE |
			 KHT_F_HAVE_RESULT | KHT_F_HAVE_HOLES,
		.name = "f",
	};
	return c;
}

static struct kht_seek seek_ev(unsigned long long begin, unsigned long long ino, unsigned gen,
			       unsigned pid)
{
	struct kht_seek s = {
		.hdr = { .ts_ns = begin + 10, .type = KHT_EV_SEEK, .size = sizeof(s), .pid = pid,
			 .tid = pid + 1, .comm = "seeker" },
		.start_ns = begin, .duration_ns = 10, .offset = 0, .result = 4096,
		.file = { .ino = ino, .gen = gen, .dev = 39 }, .whence = KHT_SEEK_HOLE,
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION, .attach = KHT_MODE_FENTRY,
		.name = "f",
	};
	return s;
}

static struct kht_uffd uffd_anon(unsigned long long ts, unsigned pid)
{
	struct kht_uffd u = {
		.hdr = { .ts_ns = ts, .type = KHT_EV_UFFD, .size = sizeof(u), .pid = pid, .tid = pid,
			 .comm = "vmm" },
		.addr = 0x7f0000000000ULL, .len = 1 << 21, .uffd_mode = KHT_UFFD_MODE_MISSING,
		.op = KHT_UFFD_REGISTER, .flags = KHT_O_ANON, .attach = KHT_MODE_SYSCALLS,
	};
	return u;
}

#define ADD(t, ev) CHECK(kht_tl_add(t, &(ev).hdr, sizeof(ev)) == 0)

TEST(timeline_orders_out_of_order_input)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter f = { 0 };
	struct kht_collapse c = collapse_ev(1000, 5000, 7, 1, 100);
	struct kht_seek s1 = seek_ev(3000, 7, 1, 200), s0 = seek_ev(500, 7, 1, 200);

	/* CPUs deliver out of order: the collapse (ends last) arrives first */
	ADD(&t, c);
	ADD(&t, s1);
	ADD(&t, s0);
	CHECK(kht_tl_build(&t, &f, 0) == 0);
	CHECK(t.ngroups == 1 && t.groups[0].n == 3);
	CHECK(t.ev[t.groups[0].idx[0]].begin_ns == 500);
	CHECK(t.ev[t.groups[0].idx[1]].begin_ns == 1000);
	CHECK(t.ev[t.groups[0].idx[2]].begin_ns == 3000);
	/* the seek at 3000 is inside the collapse window, the one at 500 is not */
	CHECK(kht_tl_in_window(&t.ev[t.groups[0].idx[1]], 3000));
	CHECK(!kht_tl_in_window(&t.ev[t.groups[0].idx[1]], 500));
	kht_tl_free(&t);
}

TEST(timeline_equal_timestamps_keep_arrival_order)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter f = { 0 };
	struct kht_seek a = seek_ev(100, 7, 1, 10), b = seek_ev(100, 7, 1, 20);
	struct kht_seek c = seek_ev(100, 7, 1, 30);

	ADD(&t, a);
	ADD(&t, b);
	ADD(&t, c);
	kht_tl_build(&t, &f, 0);
	CHECK(t.groups[0].n == 3);
	CHECK(t.ev[t.groups[0].idx[0]].ev.hdr.pid == 10);
	CHECK(t.ev[t.groups[0].idx[1]].ev.hdr.pid == 20);
	CHECK(t.ev[t.groups[0].idx[2]].ev.hdr.pid == 30);
	kht_tl_free(&t);
}

TEST(timeline_inode_reuse_splits_stories)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter f = { 0 };
	struct kht_collapse old = collapse_ev(10, 20, 7, 111, 1), fresh = collapse_ev(30, 40, 7, 222, 1);
	struct kht_collapse other_dev = collapse_ev(50, 60, 7, 111, 1);

	other_dev.dev = 40;
	ADD(&t, old);
	ADD(&t, fresh);
	ADD(&t, other_dev);
	kht_tl_build(&t, &f, 0);
	CHECK(t.ngroups == 3);
	CHECK(t.groups[0].gen == 111 && t.groups[1].gen == 222 && t.groups[2].dev == 40);
	kht_tl_free(&t);
}

TEST(timeline_anonymous_memory_grouped_per_process)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter f = { 0 };
	struct kht_uffd a = uffd_anon(10, 5), b = uffd_anon(20, 6), c = uffd_anon(30, 5);

	ADD(&t, a);
	ADD(&t, b);
	ADD(&t, c);
	kht_tl_build(&t, &f, 0);
	CHECK(t.ngroups == 2);
	CHECK(t.groups[0].kind == KHT_TL_PROCESS && t.groups[0].pid == 5 && t.groups[0].n == 2);
	CHECK(t.groups[1].pid == 6 && t.groups[1].n == 1);
	kht_tl_free(&t);
}

TEST(timeline_filters)
{
	struct kht_timeline t = { 0 };
	struct kht_tl_filter by_ino = { .ino = 8 }, by_pid = { .pid = 200 };
	struct kht_tl_filter window = { .since_s = 2.0, .until_s = 3.0, .until_set = true };
	struct kht_collapse c7 = collapse_ev(1000000000, 1100000000, 7, 1, 100);
	struct kht_collapse c8 = collapse_ev(2500000000ULL, 2600000000ULL, 8, 1, 100);
	struct kht_seek s8 = seek_ev(3500000000ULL, 8, 1, 200);

	ADD(&t, c7);
	ADD(&t, c8);
	ADD(&t, s8);
	kht_tl_build(&t, &by_ino, 0);
	CHECK(t.ngroups == 1 && t.groups[0].ino == 8 && t.groups[0].n == 2);
	kht_tl_free(&t);

	ADD(&t, c7);
	ADD(&t, c8);
	ADD(&t, s8);
	/* pid 200 only seeked inode 8, but the story keeps pid 100's collapse of it */
	kht_tl_build(&t, &by_pid, 0);
	CHECK(t.ngroups == 1 && t.groups[0].ino == 8 && t.groups[0].n == 2);
	kht_tl_free(&t);

	ADD(&t, c7);
	ADD(&t, c8);
	ADD(&t, s8);
	kht_tl_build(&t, &window, 0);
	CHECK(t.ngroups == 1 && t.groups[0].n == 1 && t.groups[0].ino == 8);
	kht_tl_free(&t);
}

TEST(timeline_rejects_short_and_unknown_records)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = collapse_ev(1, 2, 7, 1, 1);
	struct kht_hdr unknown = { .type = 99, .size = sizeof(unknown) };

	CHECK(kht_tl_add(&t, &c.hdr, sizeof(c) - 1) == -1);
	CHECK(kht_tl_add(&t, &unknown, sizeof(unknown)) == -1);
	/* a begin after the end is not trusted */
	c.start_ns = 10;
	ADD(&t, c);
	CHECK(!t.ev[0].has_begin && t.ev[0].begin_ns == 2);
	kht_tl_free(&t);
}

static __attribute__((noinline)) char *render(void (*fn)(FILE *, const struct kht_timeline *, const struct kht_fmt *),
		    int (*fn2)(FILE *, const struct kht_timeline *, const struct kht_fmt *),
		    const struct kht_timeline *t, const struct kht_fmt *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (fn)
		fn(m, t, f);
	else
		fn2(m, t, f);
	fclose(m);
	return buf;
}

static void sample(struct kht_timeline *t)
{
	struct kht_collapse c = collapse_ev(1000, 5000, 7, 1, 100);
	struct kht_collapse tp = collapse_ev(6000, 6000, 7, 1, 100);
	struct kht_seek s = seek_ev(3000, 7, 1, 200);
	struct kht_uffd u = uffd_anon(4000, 300);
	struct kht_tl_filter f = { 0 };

	tp.flags &= ~KHT_F_HAVE_DURATION;	/* an end-only (tracepoint) collapse */
	kht_tl_add(t, &c.hdr, sizeof(c));
	kht_tl_add(t, &tp.hdr, sizeof(tp));
	kht_tl_add(t, &s.hdr, sizeof(s));
	kht_tl_add(t, &u.hdr, sizeof(u));
	kht_tl_build(t, &f, 0);
}

TEST(timeline_text_marks_collapse_window)
{
	struct kht_timeline t = { 0 };
	struct kht_enum e;
	struct kht_fmt f = { .results = &e };
	char *out, *seek_line;

	kht_fixture_enum(KHT_FIX_612, &e);
	sample(&t);
	out = render(kht_tl_print_text, NULL, &t, &f);
	CHECK_CONTAINS(out, "inode 0:39 #7 gen 1");
	CHECK_CONTAINS(out, "collapse begin pages 0-511");
	CHECK_CONTAINS(out, "collapse end   pages 0-511: succeeded, holes 3");
	CHECK_CONTAINS(out, "window not visible");
	CHECK_CONTAINS(out, "process 300 (vmm)");
	CHECK_CONTAINS(out, "uffd-register MISSING anon");
	seek_line = strstr(out, "SEEK_HOLE");
	CHECK(seek_line && seek_line[-1] != '|');
	/* the seek line carries the window mark '|' before its tid */
	CHECK(strstr(out, "| ") && strstr(out, "| ") < seek_line);
	free(out);
	kht_tl_free(&t);
}

#define CHECK_PREFIX(s, p) CHECK(!strncmp((s), (p), strlen(p)))

static int print_json_drops7(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f)
{
	return kht_tl_print_json(out, t, f, 7);
}

TEST(timeline_json_groups_are_valid)
{
	struct kht_timeline t = { 0 };
	struct kht_fmt f = { 0 };
	char *out, *line, *save = NULL;
	int lines = 0;

	sample(&t);
	out = render(NULL, print_json_drops7, &t, &f);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		CHECK(kht_json_valid(line, strlen(line)));
		/* every object says what it is; stories first, the summary last */
		if (lines < 2)
			CHECK_PREFIX(line, "{\"event\":\"story\",\"group\":");
		else
			CHECK_STR(line, "{\"event\":\"timeline-summary\",\"stories\":2,\"events\":4,"
				  "\"drops\":7}");
		lines++;
	}
	CHECK(lines == 3);
	free(out);
	kht_tl_free(&t);
}

/* Trace-event format: every event has ph/ts/pid/tid; B/E balanced per thread. */
TEST(timeline_perfetto_is_valid_trace_event_json)
{
	struct kht_timeline t = { 0 };
	struct kht_fmt f = { 0 };
	char *out, *line, *save = NULL;
	int depth[8][2] = { { 0 } }, nthreads = 0, events = 0, b = 0, e = 0;

	sample(&t);
	out = render(NULL, kht_tl_write_perfetto, &t, &f);
	CHECK(kht_json_valid(out, strlen(out)));
	CHECK_CONTAINS(out, "\"traceEvents\":[");
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ph = strstr(line, "\"ph\":\"");
		unsigned tid;
		int k;

		if (!ph)
			continue;
		events++;
		CHECK(strstr(line, "\"ts\":") && strstr(line, "\"pid\":") && strstr(line, "\"tid\":"));
		CHECK(sscanf(strstr(line, "\"tid\":") + 6, "%u", &tid) == 1);
		for (k = 0; k < nthreads && depth[k][0] != (int)tid; k++)
			;
		if (k == nthreads && nthreads < 8)
			depth[nthreads++][0] = tid;
		if (ph[6] == 'B') {
			depth[k][1]++;
			b++;
		} else if (ph[6] == 'E') {
			CHECK(--depth[k][1] >= 0);
			e++;
		}
	}
	for (int k = 0; k < nthreads; k++)
		CHECK(depth[k][1] == 0);
	CHECK(b == 1 && e == 1);
	CHECK(events >= 7);	/* 3 process names, threads, B, E, X, 2 instants */
	free(out);
	kht_tl_free(&t);
}

/*
 * 7.x: MADV_COLLAPSE of a range with dirty folios writes it back and calls
 * collapse_file again. The second call is shown as the second attempt of
 * one MADV_COLLAPSE (text and JSON); another task's, another range's or a
 * later collapse is not.
 */
TEST(timeline_collapse_retry_after_writeback)
{
	static struct kht_enum e72;
	struct kht_timeline t = { 0 };
	struct kht_tl_filter flt = { 0 };
	struct kht_fmt f = { .results = &e72 };
	struct kht_collapse c[4];
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	kht_fixture_enum(KHT_FIX_619, &e72);
	/* 7.2's enum has SCAN_PAGE_DIRTY_OR_WRITEBACK; the fixture gets it by name */
	snprintf(e72.name[e72.n], sizeof(e72.name[0]), "SCAN_PAGE_DIRTY_OR_WRITEBACK");
	e72.val[e72.n++] = 40;
	for (int i = 0; i < 4; i++) {
		c[i] = (struct kht_collapse){
			.hdr = { .ts_ns = (10 + 10 * i) * 1000000ULL + 500, .type = KHT_EV_COLLAPSE,
				 .size = sizeof(c[0]), .pid = 100, .tid = 100, .comm = "madv" },
			.start_ns = (10 + 10 * i) * 1000000ULL, .duration_ns = 500, .ino = 7,
			.gen = 1, .dev = 7, .start_index = i == 3 ? 512 : 0, .nr = 512,
			.result = i == 0 ? 40 : 1, .attach = KHT_MODE_FENTRY, .name = "f",
			.flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_INODE |
				 KHT_F_HAVE_RESULT,
		};
		CHECK(kht_tl_add(&t, &c[i].hdr, sizeof(c[i])) == 0);
	}
	/* another task's seeks, many, between the two attempts (7.2: a seek walk beside) */
	for (int k = 0; k < 1000; k++) {
		struct kht_seek sk = {
			.hdr = { .ts_ns = 11000000ULL + k * 1000 + 500, .type = KHT_EV_SEEK,
				 .size = sizeof(sk), .pid = 300, .tid = 301, .comm = "walker" },
			.start_ns = 11000000ULL + k * 1000, .duration_ns = 500, .whence = KHT_SEEK_DATA,
			.file = { .ino = 7, .dev = 7, .gen = 1 },
			.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION,
		};

		CHECK(kht_tl_add(&t, &sk.hdr, sizeof(sk)) == 0);
	}
	CHECK(kht_tl_build(&t, &flt, 0) == 0 && t.ngroups == 1);
	size_t at[4] = { 0 }, nc = 0;

	for (size_t k = 0; k < t.groups[0].n && nc < 4; k++)
		if (t.ev[t.groups[0].idx[k]].ev.hdr.type == KHT_EV_COLLAPSE)
			at[nc++] = k;
	CHECK(nc == 4 && at[1] - at[0] > 256);	/* 1,000 seeks between the attempts */
	CHECK(!kht_tl_collapse_retry(&t, &t.groups[0], at[0], &e72));
	CHECK(kht_tl_collapse_retry(&t, &t.groups[0], at[1], &e72));	/* right after the dirty one */
	CHECK(!kht_tl_collapse_retry(&t, &t.groups[0], at[2], &e72));	/* after a success */
	CHECK(!kht_tl_collapse_retry(&t, &t.groups[0], at[3], &e72));	/* another range */
	m = open_memstream(&buf, &len);
	kht_tl_print_text(m, &t, &f);
	fclose(m);
	CHECK_CONTAINS(buf, "(attempt 2 of the same MADV_COLLAPSE: written back, retried)");
	CHECK(!strstr(strstr(buf, "attempt 2") + 1, "attempt 2"));	/* once: the begin row */
	free(buf);
	buf = NULL;
	m = open_memstream(&buf, &len);
	kht_tl_print_json(m, &t, &f, 0);
	fclose(m);
	CHECK_CONTAINS(buf, ",\"attempt\":2}");
	CHECK(!strstr(strstr(buf, "\"attempt\":2") + 1, "\"attempt\":2"));
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		CHECK(kht_json_valid(l, strlen(l)));
	free(buf);
	kht_tl_free(&t);
}
