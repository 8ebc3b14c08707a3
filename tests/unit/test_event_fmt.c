// SPDX-License-Identifier: GPL-2.0
/* Event formatting: text lines, JSON lines, start-index derivation, summary. */
#include <stdio.h>
#include <string.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "lib/event_fmt.h"
#include "lib/events/event_kind.h"
#include "lib/json.h"
#include "lib/collapse_view.h"
#include <stdlib.h>

static struct kht_collapse fentry_event(void)
{
	struct kht_collapse ev = {
		.hdr = { .ts_ns = 3500000000ULL, .type = KHT_EV_COLLAPSE, .size = sizeof(ev),
			 .pid = 4242, .tid = 4243, .comm = "workload" },
		.duration_ns = 812345, .ino = 12345, .start_index = 512, .nr = 512,
		.nr_none = 32, .dev = (0u << 20) | 39, .result = 1, .attach = KHT_MODE_FENTRY,
		.flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_HOLES |
			 KHT_F_HAVE_INODE | KHT_F_HAVE_RESULT | KHT_F_SHMEM,
		.name = "data.bin",
	};
	return ev;
}

TEST(fmt_text_has_every_field)
{
	struct kht_enum e;
	struct kht_fmt f = { .results = &e, .base_ns = 1000000000ULL };
	struct kht_collapse ev = fentry_event();
	char line[512];

	kht_fixture_enum(KHT_FIX_612, &e);
	CHECK(kht_collapse_text(line, sizeof(line), &ev, &f) > 0);
	CHECK_CONTAINS(line, "2.500000");
	CHECK_CONTAINS(line, "madvise");
	CHECK_CONTAINS(line, "workload");
	CHECK_CONTAINS(line, "4242");
	CHECK_CONTAINS(line, "0:39");
	CHECK_CONTAINS(line, "12345");
	CHECK_CONTAINS(line, "data.bin");
	CHECK_CONTAINS(line, " 512 ");
	CHECK_CONTAINS(line, " 32 ");
	CHECK_CONTAINS(line, "succeeded");
	CHECK_CONTAINS(line, "812.3");
}

TEST(fmt_text_unknowns_are_dashes)
{
	struct kht_fmt f = { 0 };
	struct kht_collapse ev = fentry_event();
	char line[512];

	ev.flags = KHT_F_KHUGEPAGED;	/* nothing known but the initiator */
	kht_collapse_text(line, sizeof(line), &ev, &f);
	CHECK_CONTAINS(line, "khugepaged");
	CHECK(strstr(line, "812.3") == NULL);
	CHECK(strstr(line, "succeeded") == NULL);
	CHECK(strstr(line, "12345") == NULL);
}

TEST(fmt_comm_without_terminator)
{
	struct kht_fmt f = { 0 };
	struct kht_collapse ev = fentry_event();
	char line[512];

	memset(ev.hdr.comm, 'A', sizeof(ev.hdr.comm));
	memset(ev.name, 'B', sizeof(ev.name));
	CHECK(kht_collapse_text(line, sizeof(line), &ev, &f) > 0);
	CHECK_CONTAINS(line, "AAAAAAAAAAAAAAAA ");
	CHECK(kht_collapse_json(line, sizeof(line), &ev, &f) > 0);
	CHECK(kht_json_valid(line, strlen(line)));
}

/* tp modes: start index derived from the loop index the tracepoint reports */
TEST(fmt_start_derivation)
{
	struct kht_enum e;
	struct kht_collapse ev = fentry_event();
	unsigned long long start = 0;
	long long v;
	bool exact = true;

	kht_fixture_enum(KHT_FIX_619, &e);
	ev.flags = KHT_F_HAVE_END_INDEX | KHT_F_HAVE_RESULT;
	ev.end_index = 1536;	/* loop completed: start + 512 */
	kht_enum_value(&e, "SCAN_SUCCEED", &v);
	ev.result = v;
	CHECK(kht_collapse_start(&ev, &e, &start, &exact) && start == 1024 && !exact);
	kht_enum_value(&e, "SCAN_PTE_MAPPED_HUGEPAGE", &v);
	ev.result = v;
	CHECK(kht_collapse_start(&ev, &e, &start, &exact) && start == 1024);
	/* failed inside the loop at index 1030: the range starts at 1024 */
	kht_enum_value(&e, "SCAN_PAGE_LOCK", &v);
	ev.result = v;
	ev.end_index = 1030;
	CHECK(kht_collapse_start(&ev, &e, &start, &exact) && start == 1024);
	/* failed at the very first index: 1024 is the start, not the end */
	ev.end_index = 1024;
	CHECK(kht_collapse_start(&ev, &e, &start, &exact) && start == 1024);
	/* allocation failed before the loop: the index (0) says nothing */
	kht_enum_value(&e, "SCAN_ALLOC_HUGE_PAGE_FAIL", &v);
	ev.result = v;
	ev.end_index = 0;
	CHECK(!kht_collapse_start(&ev, &e, &start, &exact));
	/* an entry-mode event is exact whatever the index says */
	ev = fentry_event();
	CHECK(kht_collapse_start(&ev, &e, &start, &exact) && start == 512 && exact);
}

TEST(fmt_json_is_valid_and_complete)
{
	struct kht_enum e;
	struct kht_fmt f = { .results = &e };
	struct kht_collapse ev = fentry_event();
	char line[1024];
	int n;

	kht_fixture_enum(KHT_FIX_612, &e);
	strcpy(ev.hdr.comm, "we\"ird\\\n\x01\xff");
	n = kht_collapse_json(line, sizeof(line), &ev, &f);
	CHECK(n > 0 && (size_t)n == strlen(line));
	CHECK(kht_json_valid(line, strlen(line)));
	CHECK_CONTAINS(line, "\"ino\":12345");
	CHECK_CONTAINS(line, "\"start\":512");
	CHECK_CONTAINS(line, "\"start_exact\":true");
	CHECK_CONTAINS(line, "\"holes\":32");
	CHECK_CONTAINS(line, "\"result\":\"succeeded\",\"result_enum\":\"SCAN_SUCCEED\"");
	CHECK_CONTAINS(line, "\"duration_ns\":812345");
	CHECK_CONTAINS(line, "\"mode\":\"fentry\"");
	CHECK_CONTAINS(line, "\"dev\":\"0:39\"");
	/* degraded event: nulls, still valid */
	ev.flags = KHT_F_KHUGEPAGED;
	kht_collapse_json(line, sizeof(line), &ev, &f);
	CHECK(kht_json_valid(line, strlen(line)));
	CHECK_CONTAINS(line, "\"duration_ns\":null");
	CHECK_CONTAINS(line, "\"initiator\":\"khugepaged\"");
}

TEST(fmt_json_overflow_reports)
{
	struct kht_fmt f = { 0 };
	struct kht_collapse ev = fentry_event();
	char small[40];

	CHECK(kht_collapse_json(small, sizeof(small), &ev, &f) == -1);
	CHECK(strlen(small) < sizeof(small));
}

TEST(fmt_dev_encoding)
{
	char buf[24];

	kht_dev_str((8u << 20) | 1, buf, sizeof(buf));
	CHECK_STR(buf, "8:1");
	kht_dev_str((259u << 20) | 1048575, buf, sizeof(buf));
	CHECK_STR(buf, "259:1048575");
}

TEST(summary_counts_and_orders)
{
	struct kht_enum e;
	struct kht_fmt f = { .results = &e };
	struct kht_summary s = { 0 };
	struct kht_collapse ev = fentry_event();
	char buf[1024];

	kht_fixture_enum(KHT_FIX_612, &e);
	kht_summary_add(&s, &ev);
	ev.result = 31;
	kht_summary_add(&s, &ev);
	kht_summary_add(&s, &ev);
	ev.flags &= ~KHT_F_HAVE_RESULT;
	kht_summary_add(&s, &ev);
	CHECK(s.total == 4);
	kht_summary_text(buf, sizeof(buf), &s, &f);
	CHECK_CONTAINS(buf, "4 collapses");
	CHECK(strstr(buf, "page_filled") < strstr(buf, "succeeded"));	/* 2 before 1 */
	CHECK_CONTAINS(buf, "unknown");
	kht_summary_json(buf, sizeof(buf), &s, &f, 7);
	CHECK(kht_json_valid(buf, strlen(buf)));
	CHECK_CONTAINS(buf, "\"page_filled\":2");
	CHECK_CONTAINS(buf, "\"drops\":7");
}

TEST(hold_histogram_buckets_and_prints)
{
	struct kht_opts o = { 0 };
	struct kht_collapse_view v = { .opts = &o };
	struct kht_lock_window w = { .hdr = { .type = KHT_EV_LOCK_WINDOW } };
	char *buf = NULL;
	size_t len = 0;

	v.out = open_memstream(&buf, &len);
	w.hold_ns = 500;		/* 0 us -> slot 0 */
	kht_collapse_view_window(&v, &w);
	w.hold_ns = 3000;		/* 3 us -> slot 1 (2..3) */
	kht_collapse_view_window(&v, &w);
	kht_collapse_view_window(&v, &w);
	w.hold_ns = 300000;		/* 300 us -> slot 8 (256..511) */
	kht_collapse_view_window(&v, &w);
	CHECK(v.windows == 4);
	CHECK(v.hold_hist[0] == 1 && v.hold_hist[1] == 2 && v.hold_hist[8] == 1);
	kht_collapse_view_summary(&v, 0);
	fclose(v.out);
	CHECK_CONTAINS(buf, "4 windows");
	CHECK_CONTAINS(buf, "         2 -> 3          : 2        |****************************************|");
	CHECK_CONTAINS(buf, "       256 -> 511        : 1        |********************");
	CHECK(strstr(buf, "512 -> ") == NULL);	/* stops at the last non-empty bucket */
	free(buf);
}

/* A seek event never says SEEK_HOLE unless it was one (a cleared whence once did). */
TEST(fmt_seek_whence_is_never_guessed)
{
	struct kht_seek s = { .hdr = { .type = KHT_EV_SEEK, .size = sizeof(s) },
			      .whence = KHT_SEEK_HOLE, .offset = 4096, .result = 8192 };
	char buf[256];

	CHECK(kht_event_desc(buf, sizeof(buf), &s.hdr, KHT_ROW_ONE, NULL) > 0);
	CHECK(strstr(buf, "SEEK_HOLE from 4096") != NULL);
	s.whence = KHT_SEEK_DATA;
	CHECK(kht_event_desc(buf, sizeof(buf), &s.hdr, KHT_ROW_ONE, NULL) > 0);
	CHECK(strstr(buf, "SEEK_DATA from 4096") != NULL);
	s.whence = 0;
	CHECK(kht_event_desc(buf, sizeof(buf), &s.hdr, KHT_ROW_ONE, NULL) > 0);
	CHECK(strstr(buf, "SEEK_HOLE") == NULL && strstr(buf, "SEEK_DATA") == NULL);
	CHECK(strstr(buf, "whence?") != NULL);
}

/* The data map: popcount, hex in page order, the per-page helper, JSON. */
TEST(fmt_data_map)
{
	struct kht_enum e;
	struct kht_fmt f = { .results = &e };
	struct kht_collapse ev = fentry_event();
	char line[2048], hex[KHT_DATAMAP_HEX_LEN + 1], want[KHT_DATAMAP_HEX_LEN + 1];
	bool known = true;

	kht_fixture_enum(KHT_FIX_612, &e);
	/* no map: nothing known, no JSON fields */
	CHECK(!kht_collapse_page_had_data(&ev, 512, &known) && !known);
	CHECK(kht_collapse_data_pages(&ev) == 0);
	CHECK(kht_collapse_json(line, sizeof(line), &ev, &f) > 0);
	CHECK(!strstr(line, "data_pages") && !strstr(line, "data_map"));

	/* every 16th page a hole, from the first (the collapse-holes workload) */
	ev.flags |= KHT_F_HAVE_DATAMAP;
	for (int w = 0; w < KHT_DATAMAP_WORDS; w++)
		ev.data_map[w] = ~0x0001000100010001ULL;
	CHECK(kht_collapse_data_pages(&ev) == 512 - 32);
	for (int j = 0; j < KHT_DATAMAP_HEX_LEN; j++)
		want[j] = j % 4 ? 'f' : 'e';
	want[KHT_DATAMAP_HEX_LEN] = 0;
	kht_collapse_data_map_hex(&ev, hex, sizeof(hex));
	CHECK_STR(hex, want);
	CHECK(!kht_collapse_page_had_data(&ev, 512, &known) && known);
	CHECK(kht_collapse_page_had_data(&ev, 513, &known) && known);
	CHECK(!kht_collapse_page_had_data(&ev, 512 + 16, &known) && known);
	CHECK(kht_collapse_page_had_data(&ev, 512 + 511, &known) && known);
	CHECK(!kht_collapse_page_had_data(&ev, 511, &known) && !known);	/* before the range */
	CHECK(!kht_collapse_page_had_data(&ev, 1024, &known) && !known);	/* after it */
	CHECK(kht_collapse_page_had_data(&ev, 513, NULL));
	/* bit order: page start + 4j + b is bit b of hex digit j */
	memset(ev.data_map, 0, sizeof(ev.data_map));
	ev.data_map[0] = 1ULL << 5;		/* page 5: digit 1, value 2 */
	ev.data_map[7] = 1ULL << 63;		/* page 511: digit 127, value 8 */
	kht_collapse_data_map_hex(&ev, hex, sizeof(hex));
	CHECK(!strncmp(hex, "02000", 5) && hex[127] == '8' && strlen(hex) == 128);
	CHECK(kht_collapse_page_had_data(&ev, 512 + 5, NULL) &&
	      !kht_collapse_page_had_data(&ev, 512 + 4, NULL) &&
	      kht_collapse_page_had_data(&ev, 512 + 511, NULL));
	CHECK(kht_collapse_data_pages(&ev) == 2);
	/* a short buffer is cut and terminated */
	kht_collapse_data_map_hex(&ev, hex, 4);
	CHECK_STR(hex, "020");

	/* JSON: the count and the map, with every other field at its widest */
	ev.data_map[3] = ~0ULL;
	ev.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_HAVE_ADDR;
	ev.windows = ~0u;
	ev.hold_total_ns = ev.hold_max_ns = ev.publish_ns = ~0ULL;
	ev.last_win_begin_ns = ev.last_win_end_ns = ev.retry_spin_ns = ~0ULL;
	ev.addr = ev.ino = ev.duration_ns = ~0ULL;
	memset(ev.name, '"', sizeof(ev.name));
	memset(ev.hdr.comm, '"', sizeof(ev.hdr.comm));
	CHECK(kht_collapse_json(line, sizeof(line), &ev, &f) > 0);
	CHECK(kht_json_valid(line, strlen(line)));
	CHECK_CONTAINS(line, "\"data_pages\":66,");
	kht_collapse_data_map_hex(&ev, hex, sizeof(hex));
	snprintf(want, sizeof(want), "%s", hex);
	CHECK_CONTAINS(line, want);
	/* the collapse view's line buffer holds the widest line */
	CHECK(strlen(line) < 2048 - 256);
}

/* The second-to-last column of a collapse line (SPINS; PUBLISHED is last). */
static void spins_column(const char *line, char *out, size_t len)
{
	char copy[1024], *tok, *prev = NULL, *last = NULL, *save;

	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		prev = last;
		last = tok;
	}
	snprintf(out, len, "%s", prev ? prev : "");
}

/* Without --spins the readers were not watched: SPINS is "-", not a count of 0. */
TEST(fmt_spins_not_watched_is_not_zero)
{
	struct kht_fmt f = { 0 };
	struct kht_collapse ev = fentry_event();
	char line[1024], json[4096], col[64];

	ev.flags |= KHT_F_HAVE_WINDOWS;
	ev.windows = 7;
	ev.retry_readers = 0;
	kht_collapse_text(line, sizeof(line), &ev, &f);
	spins_column(line, col, sizeof(col));
	CHECK_STR(col, "0");
	CHECK(kht_collapse_json(json, sizeof(json), &ev, &f) > 0);
	CHECK_CONTAINS(json, "\"retry_readers\":0");

	ev.flags |= KHT_F_NO_READERS;
	kht_collapse_text(line, sizeof(line), &ev, &f);
	spins_column(line, col, sizeof(col));
	CHECK_STR(col, "-");
	CHECK(kht_collapse_json(json, sizeof(json), &ev, &f) > 0);
	CHECK(strstr(json, "retry_readers") == NULL);
	CHECK(strstr(json, "retry_spin_ns") == NULL);
	CHECK_CONTAINS(json, "\"windows\":7");
}

/*
 * A seek from small pools of tasks and files that differ in one member
 * each (gen only, dev only, a name with quotes or control bytes or no
 * terminator, tid only, comm only, attach only), so the memos of
 * kht_json_common and kht_json_file are hit and missed in every way.
 */
static struct kht_seek pooled_seek(unsigned long long r)
{
	/* pairs that differ only in their last byte, the full ones unterminated */
	static const char *const names[] = { "a", "a\"b", "x\x01y", "file16", "file17",
					     "0123456789abcdef0123456789abcdef",
					     "0123456789abcdef0123456789abcdeg" };
	static const char *const comms[] = { "worker", "worker\\", "0123456789abcdef",
					     "0123456789abcdeg", "w\x7f" };
	struct kht_seek ev = {
		.hdr = { .ts_ns = 5000000000ULL + r % 1000000007ULL, .type = KHT_EV_SEEK,
			 .size = sizeof(ev), .pid = 100 + r % 2, .tid = 100 + r / 2 % 3 },
		.start_ns = 4999999000ULL + r % 999983ULL, .duration_ns = r % 7919,
		.offset = (long long)(r % 4096) << 12, .result = -6 + (long long)(r % 9) * 4096,
		.file = { .ino = 16 + r / 7 % 2, .index = r % 513, .dev = (r / 11 % 2) << 20 | 39,
			  .gen = r / 13 % 2 },
		.whence = KHT_SEEK_DATA + r / 17 % 2, .attach = r / 19 % 3,
		.flags = r / 23 % 5 ? KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION : KHT_O_ANON,
	};

	memcpy(ev.hdr.comm, comms[r / 29 % 5], strnlen(comms[r / 29 % 5], KHT_COMM_LEN));
	memcpy(ev.name, names[r / 31 % 7], strnlen(names[r / 31 % 7], KHT_NAME_LEN));
	return ev;
}

/* An event's JSON does not depend on what was formatted before it (the memos) */
TEST(fmt_json_memos_change_nothing)
{
	struct kht_fmt f = { .base_ns = 4000000000ULL };
	struct kht_seek other = pooled_seek(0);
	unsigned long long seed = 3, bad = 0;
	char fresh[1024], after[1024];

	/* a task and a file of its own: formatting it resets both memos */
	other.hdr.pid = other.hdr.tid = 1;
	other.file.ino = 1;
	other.flags = KHT_O_HAVE_INODE;
	for (int i = 0; i < 200000; i++) {
		struct kht_seek ev;
		int n;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		ev = pooled_seek(seed >> 17);
		/* as the previous event left the memos, then after one of no task or file in the pools */
		n = kht_event_json(after, sizeof(after), &ev.hdr, sizeof(ev), &f);
		kht_event_json(fresh, sizeof(fresh), &other.hdr, sizeof(other), &f);
		if (n <= 0 || kht_event_json(fresh, sizeof(fresh), &ev.hdr, sizeof(ev), &f) != n ||
		    strcmp(fresh, after) || !kht_json_valid(after, n)) {
			if (bad++ < 3)
				fprintf(stderr, "  fresh %s\n  after %s\n", fresh, after);
		}
	}
	CHECK(bad == 0);
}
