// SPDX-License-Identifier: GPL-2.0
/* Every race rule on synthetic streams: positive, negative and near misses. */
#include <stdlib.h>
#include <string.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "lib/json.h"
#include "lib/races.h"

static struct kht_enum e612;
#define MS 1000000ULL

static long long code(const char *name)
{
	long long v = -1;

	if (!e612.n)
		kht_fixture_enum(KHT_FIX_612, &e612);
	kht_enum_value(&e612, name, &v);
	return v;
}

/* A collapse of pages 0-511 of inode 7 by pid 100, [begin, end] in ms. */
static struct kht_collapse col(unsigned long long begin_ms, unsigned long long end_ms,
			       const char *result, unsigned holes)
{
	struct kht_collapse c = {
		.hdr = { .ts_ns = end_ms * MS, .type = KHT_EV_COLLAPSE, .size = sizeof(c),
			 .pid = 100, .tid = 100, .comm = "collapser" },
		.start_ns = begin_ms * MS, .duration_ns = (end_ms - begin_ms) * MS, .ino = 7,
		.gen = 1, .dev = 39, .start_index = 0, .nr = 512, .nr_none = holes,
		.result = code(result), .mode = KHT_MODE_FENTRY, .name = "f",
		.flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_INODE |
			 KHT_F_HAVE_RESULT | KHT_F_HAVE_HOLES,
	};
	return c;
}

static struct kht_uffd uffd(unsigned long long at_ms, unsigned op, unsigned long long mode,
			    unsigned long long index, unsigned long long ino)
{
	struct kht_uffd u = {
		.hdr = { .ts_ns = at_ms * MS + 1000, .type = KHT_EV_UFFD, .size = sizeof(u),
			 .pid = 200, .tid = 200, .comm = "vmm" },
		.start_ns = at_ms * MS, .duration_ns = 1000, .addr = 0x7f0000000000ULL,
		.len = 512 * 4096, .mode = mode, .op = op, .attach = KHT_MODE_FENTRY,
		.file = { .ino = ino, .index = index, .dev = 39, .gen = 1 },
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION | KHT_O_SHMEM,
	};
	return u;
}

static struct kht_seek seek(unsigned long long at_ms, unsigned whence, long long off, long long ret)
{
	struct kht_seek s = {
		.hdr = { .ts_ns = at_ms * MS + 500, .type = KHT_EV_SEEK, .size = sizeof(s),
			 .pid = 300, .tid = 301, .comm = "cp" },
		.start_ns = at_ms * MS, .duration_ns = 500, .offset = off, .result = ret,
		.whence = whence, .file = { .ino = 7, .index = off >> 12, .dev = 39, .gen = 1 },
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION, .attach = KHT_MODE_FENTRY,
	};
	return s;
}

static struct kht_races judge(struct kht_timeline *t, unsigned long long spin_ns)
{
	struct kht_tl_filter f = { 0 };
	struct kht_race_opts o = { .spin_ns = spin_ns };
	struct kht_races r;

	kht_tl_build(t, &f, 0);
	CHECK(kht_races_find(&r, t, &e612, &o) == 0);
	return r;
}

#define ADD(t, ev) CHECK(kht_tl_add(&(t), &(ev).hdr, sizeof(ev)) == 0)
#define BUGS(r, rule) kht_races_count_rule(&(r), rule, KHT_SEV_BUG)

TEST(race_uffd_missing_fill)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 12, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, reg);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1);
	CHECK(r.n == 1 && r.r[0].value == 64 && r.r[0].other->ev.hdr.pid == 200);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_uffd_missing_guarded_and_near_misses)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse backed = col(10, 12, "SCAN_EXCEED_NONE_PTE", 64);
	struct kht_collapse full = col(20, 22, "SCAN_SUCCEED", 0);	/* no holes */
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, reg);
	ADD(t, backed);
	ADD(t, full);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 0);
	CHECK(kht_races_count(&r, KHT_SEV_GUARDED) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* adjacent range (pages 512-1023), other inode, registration after the collapse,
	 * unregistered before it, failed registration, WP only: no report */
	struct kht_uffd near[] = {
		uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 512, 7),
		uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 8),
		uffd(13, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7),
	};
	struct kht_collapse c = col(10, 12, "SCAN_SUCCEED", 64);

	for (unsigned i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		struct kht_timeline t2 = { 0 };

		ADD(t2, near[i]);
		ADD(t2, c);
		r = judge(&t2, 0);
		CHECK(r.n == 0);
		kht_races_free(&r);
		kht_tl_free(&t2);
	}
	struct kht_uffd unreg = uffd(7, KHT_UFFD_UNREGISTER, 0, 0, 7);
	struct kht_uffd failed = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);

	failed.result = -22;
	t = (struct kht_timeline){ 0 };
	ADD(t, reg);
	ADD(t, unreg);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
	t = (struct kht_timeline){ 0 };
	ADD(t, failed);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(r.n == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_seek_transient_hole)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 0);
	/* inside the window: a hole at page 16 of an all-data range, and data skipped */
	struct kht_seek hole = seek(12, KHT_SEEK_HOLE, 0, 16 * 4096);
	struct kht_seek skip = seek(14, KHT_SEEK_DATA, 0, 512 * 4096);
	/* near misses: before the window, a hole at the range's end, another range */
	struct kht_seek before = seek(5, KHT_SEEK_HOLE, 0, 16 * 4096);
	struct kht_seek at_end = seek(15, KHT_SEEK_HOLE, 0, 512 * 4096);
	struct kht_seek other = seek(15, KHT_SEEK_HOLE, 600 * 4096, 601 * 4096);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, c);
	ADD(t, hole);
	ADD(t, skip);
	ADD(t, before);
	ADD(t, at_end);
	ADD(t, other);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 2);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* a range that had holes before: a hole inside may be real, not judged */
	struct kht_collapse holes = col(10, 20, "SCAN_SUCCEED", 32);

	t = (struct kht_timeline){ 0 };
	ADD(t, holes);
	ADD(t, hole);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 0);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* an end-only collapse (tracepoint mode) cannot be judged: counted, not reported */
	struct kht_collapse endonly = col(20, 20, "SCAN_SUCCEED", 0);

	endonly.flags &= ~KHT_F_HAVE_DURATION;
	t = (struct kht_timeline){ 0 };
	ADD(t, endonly);
	ADD(t, hole);
	r = judge(&t, 0);
	CHECK(r.n == 0 && r.not_evaluable == 1);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_seek_transient_mincore)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 0);
	struct kht_mincore m = {
		.hdr = { .ts_ns = 15 * MS, .type = KHT_EV_MINCORE, .size = sizeof(m), .pid = 5 },
		.start_ns = 14 * MS, .len = 2 << 20, .pages = 512, .resident = 500,
		.file = { .ino = 7, .index = 0, .dev = 39, .gen = 1 },
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION,
	};
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, c);
	ADD(t, m);
	m.resident = 512;	/* all resident: fine */
	ADD(t, m);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 1 && r.r[0].value == 12);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_publish_before_uptodate)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse bug = col(10, 20, "SCAN_SUCCEED", 0);
	struct kht_collapse fixed = col(30, 40, "SCAN_SUCCEED", 0);
	struct kht_collapse unpublished = col(50, 60, "SCAN_PAGE_LOCK", 0);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	bug.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED;
	bug.publish_ns = 11 * MS;
	fixed.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_UPTODATE_AT_PUBLISH;
	unpublished.flags |= KHT_F_HAVE_WINDOWS;
	ADD(t, bug);
	ADD(t, fixed);
	ADD(t, unpublished);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_PUBLISH_BEFORE_UPTODATE) == 1);
	CHECK(r.r[0].collapse->begin_ns == 10 * MS && r.r[0].value == 1 * MS);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_collapse_on_uffd_armed)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 20, "SCAN_PTE_MAPPED_HUGEPAGE", 0);
	struct kht_uffd minor = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MINOR, 0, 7);
	struct kht_uffd cont = uffd(15, KHT_UFFD_CONTINUE, 0, 0, 7);
	struct kht_uffd missing = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, minor);
	ADD(t, cont);
	ADD(t, missing);	/* MISSING alone does not arm this rule */
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_COLLAPSE_ON_UFFD_ARMED) == 1);	/* the CONTINUE race */
	CHECK(kht_races_count_rule(&r, KHT_RULE_COLLAPSE_ON_UFFD_ARMED, KHT_SEV_WARN) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* a CONTINUE after the collapse ended, and a failed collapse: nothing */
	struct kht_uffd late = uffd(25, KHT_UFFD_CONTINUE, 0, 0, 7);
	struct kht_collapse failed = col(10, 20, "SCAN_PAGE_COUNT", 0);

	t = (struct kht_timeline){ 0 };
	ADD(t, minor);
	ADD(t, late);
	ADD(t, failed);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_COLLAPSE_ON_UFFD_ARMED) == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_retry_spin)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 32);
	struct kht_reader rd = {
		.hdr = { .ts_ns = 19 * MS, .type = KHT_EV_READER, .size = sizeof(rd), .pid = 9,
			 .tid = 9, .comm = "reader" },
		.begin_ns = 17 * MS, .duration_ns = 2 * MS, .ino = 7, .index = 40, .dev = 39,
		.gen = 1, .fn = KHT_RD_FILEMAP_GET_ENTRY, .collapser_tid = 100,
	};
	struct kht_reader early = rd;
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	/* fixed kernel: published uptodate at the final unlock, holes -> retry entries */
	c.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_UPTODATE_AT_PUBLISH;
	c.last_win_begin_ns = 18 * MS;
	c.last_win_end_ns = c.publish_ns = 19500000;
	early.begin_ns = 11 * MS;	/* ended before the final hold */
	early.duration_ns = 1 * MS;
	early.hdr.ts_ns = 12 * MS;
	ADD(t, c);
	ADD(t, rd);
	ADD(t, early);
	r = judge(&t, 0);
	CHECK(kht_races_count_rule(&r, KHT_RULE_RETRY_SPIN, KHT_SEV_SLOW) == 1);
	CHECK(r.r[0].value == 1 * MS);	/* overlap of [17,19] with [18,19.5] */
	kht_races_free(&r);
	/* over the threshold only */
	r = judge(&t, 2 * MS);
	CHECK(r.n == 0);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* no holes: no retry entries, no spin */
	c.nr_none = 0;
	t = (struct kht_timeline){ 0 };
	ADD(t, c);
	ADD(t, rd);
	r = judge(&t, 0);
	CHECK(r.n == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_output_formats)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 12, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_fmt f = { .results = &e612 };
	struct kht_races r;
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, reg);
	ADD(t, c);
	r = judge(&t, 0);
	m = open_memstream(&buf, &len);
	kht_races_print_text(m, &r, &f);
	fclose(m);
	CHECK_CONTAINS(buf, "[BUG] uffd-missing-fill (seed 000/001): inode 0:39 #7 \"f\" pages 0-511");
	CHECK_CONTAINS(buf, "1 bug, 0 slow, 0 warnings, 0 guarded");
	free(buf);
	buf = NULL;
	m = open_memstream(&buf, &len);
	kht_races_print_json(m, &r, &f);
	fclose(m);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		CHECK(kht_json_valid(line, strlen(line)));
	free(buf);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * 6.1: collapse_file replaced the pages (the new folio was still at the range's
 * first slot when the lock was dropped the last time) but returned what
 * retract_page_tables() said: the holes were filled all the same. Measured in
 * the 6.1 guest: MISSING-registered holes filled under result pmd_none.
 */
TEST(race_uffd_missing_fill_kept_under_retract_result)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse kept = col(10, 12, "SCAN_PMD_NONE", 6);
	struct kht_collapse rolled_back = col(30, 32, "SCAN_PMD_NONE", 6);
	struct kht_collapse untraced = col(50, 52, "SCAN_PMD_NONE", 6);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	kept.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_NEW_AT_END;
	rolled_back.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED;	/* published, then undone */
	/* untraced: no windows, the flag alone is not trusted */
	untraced.flags |= KHT_F_NEW_AT_END;
	ADD(t, reg);
	ADD(t, kept);
	ADD(t, rolled_back);
	ADD(t, untraced);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1);
	CHECK(r.n >= 1 && r.r[0].collapse->ev.collapse.start_ns == 10 * MS && r.r[0].value == 6);
	kht_races_free(&r);
	kht_tl_free(&t);
}
