// SPDX-License-Identifier: GPL-2.0
/* Every race rule on synthetic streams: positive, negative and near misses. */
#include <stdlib.h>
#include <string.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "lib/json.h"
#include "lib/races.h"
#include "lib/races_stream.h"
#include "lib/tracefile.h"
#include "lib/events/event_kind.h"

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
		.result = code(result), .attach = KHT_MODE_FENTRY, .name = "f",
		.flags = KHT_F_HAVE_START | KHT_F_HAVE_DURATION | KHT_F_HAVE_INODE |
			 KHT_F_HAVE_RESULT | KHT_F_HAVE_HOLES | KHT_F_SHMEM,
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
		.len = 512 * 4096, .uffd_mode = mode, .op = op, .attach = KHT_MODE_FENTRY,
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

/* A modification of inode 7 by pid 400: [at, at + dur_ms], pages first..first+pages-1. */
static struct kht_modify mod(unsigned long long at_ms, unsigned long long dur_ms, unsigned op,
			     unsigned long long first, unsigned long long pages)
{
	struct kht_modify m = {
		.hdr = { .ts_ns = (at_ms + dur_ms) * MS, .type = KHT_EV_MODIFY, .size = sizeof(m),
			 .pid = 400, .tid = 400, .comm = "qemu" },
		.start_ns = at_ms * MS, .duration_ns = dur_ms * MS, .op = op,
		.offset = first * 4096, .len = op == KHT_MOD_TRUNCATE ? 0 : pages * 4096,
		.fmode = op == KHT_MOD_PUNCH ? 3 : 0, .attach = KHT_MODE_FENTRY, .name = "f",
		.file = { .ino = 7, .index = first, .dev = 39, .gen = 1 },
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION | KHT_O_SHMEM,
	};
	return m;
}

static struct kht_races judge_mods(struct kht_timeline *t, unsigned long long spin_ns,
				   bool mods_traced)
{
	struct kht_tl_filter f = { 0 };
	struct kht_race_opts o = { .spin_ns = spin_ns, .mods_traced = mods_traced,
				   .fills_traced = mods_traced };
	struct kht_races r;

	kht_tl_build(t, &f, 0);
	CHECK(kht_races_find(&r, t, &e612, &o) == 0);
	return r;
}

static struct kht_races judge(struct kht_timeline *t, unsigned long long spin_ns)
{
	return judge_mods(t, spin_ns, true);
}

/* The seed-004 mechanism, as the lock probes see it on 6.1: published at 11 ms, not uptodate. */
static struct kht_collapse col_published(unsigned long long begin_ms, unsigned long long end_ms,
					 bool uptodate)
{
	struct kht_collapse c = col(begin_ms, end_ms, "SCAN_SUCCEED", 0);

	c.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_NEW_AT_END |
		   (uptodate ? KHT_F_UPTODATE_AT_PUBLISH : 0);
	c.publish_ns = (begin_ms + 1) * MS;
	c.last_win_begin_ns = (end_ms - 1) * MS;
	c.last_win_end_ns = end_ms * MS - 1000;
	return c;
}

#define ADD(t, ev) CHECK(kht_tl_add(&(t), &(ev).hdr, sizeof(ev)) == 0)
#define BUGS(r, rule) kht_races_count_rule(&(r), rule, KHT_SEV_BUG)
#define SEEK_WARNS(r) kht_races_count_rule(&(r), KHT_RULE_SEEK_TRANSIENT_HOLE, KHT_SEV_WARN)
#define SEEKS(r) (BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) + SEEK_WARNS(r))

/* The i-th report of the seek rule */
static const struct kht_race *seek_report(const struct kht_races *r, unsigned i)
{
	for (size_t k = 0; k < r->n; k++)
		if (r->r[k].rule == KHT_RULE_SEEK_TRANSIENT_HOLE && !i--)
			return &r->r[k];
	return NULL;
}

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
	struct kht_collapse c = col_published(10, 20, false);
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
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 2 && SEEKS(r) == 2);
	CHECK(seek_report(&r, 0)->evidence && !seek_report(&r, 0)->downgrade);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* a range that had holes before: a hole inside may be real, not judged */
	struct kht_collapse holes = col(10, 20, "SCAN_SUCCEED", 32);

	t = (struct kht_timeline){ 0 };
	ADD(t, holes);
	ADD(t, hole);
	r = judge(&t, 0);
	CHECK(r.n == 0);
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

/*
 * 7.x collapses regular files (ext4): holes on disk stay holes for SEEK_HOLE
 * after a successful collapse, so the seek rule must not judge such a
 * collapse, and must say it did not.
 */
TEST(race_seek_regular_file_not_judged)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col_published(10, 20, false);
	struct kht_seek hole = seek(12, KHT_SEEK_HOLE, 0, 16 * 4096);
	struct kht_races r;
	char buf[4096];
	FILE *fp;

	kht_fixture_enum(KHT_FIX_612, &e612);
	c.flags &= ~KHT_F_SHMEM;
	ADD(t, c);
	ADD(t, hole);
	r = judge(&t, 0);
	CHECK(SEEKS(r) == 0 && r.not_shmem == 1);
	/* the publish rule is not about shmem: it still judges */
	CHECK(BUGS(r, KHT_RULE_PUBLISH_BEFORE_UPTODATE) == 1);
	fp = fmemopen(buf, sizeof(buf), "w");
	CHECK(fp != NULL);
	if (fp) {
		struct kht_fmt f = { .results = &e612 };

		kht_races_print_text(fp, &r, &f);
		fclose(fp);
		CHECK(strstr(buf, "1 collapse of regular (non-shmem) files: the seek rule cannot judge") != NULL);
	}
	kht_races_free(&r);
	kht_tl_free(&t);
}

/* The 6.19 report of issue 11: the hole was a punch that followed the collapse. */
TEST(race_seek_hole_explained_by_modification)
{
	struct kht_collapse c = col_published(10, 20, false);
	/* began inside the window, returned after it, with a punch in between */
	struct kht_seek straddle = seek(18, KHT_SEEK_HOLE, 0, 256 * 4096);
	struct kht_modify after[] = {
		mod(20, 1, KHT_MOD_PUNCH, 0, 512),	/* right after the collapse */
		mod(15, 1, KHT_MOD_PUNCH, 256, 1),	/* inside the window */
		mod(19, 2, KHT_MOD_TRUNCATE, 100, 0),	/* a truncation */
		mod(19, 1, KHT_MOD_WRITE, 254, 4),	/* a rewrite */
	};
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	straddle.duration_ns = 4 * MS;
	straddle.hdr.ts_ns = 22 * MS;
	for (unsigned i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		struct kht_timeline t = { 0 };

		ADD(t, c);
		ADD(t, straddle);
		ADD(t, after[i]);
		r = judge(&t, 0);
		CHECK(SEEKS(r) == 0);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
	/*
	 * The same seek with a punch of another range, after the seek returned,
	 * or of another page than the one it called a hole (sparse-copy's re-punch
	 * of the chunk's last page): BUG
	 */
	struct kht_modify unrelated[] = {
		mod(19, 1, KHT_MOD_PUNCH, 512, 512),
		mod(23, 1, KHT_MOD_PUNCH, 0, 512),
		mod(19, 1, KHT_MOD_PUNCH, 511, 1),
	};

	for (unsigned i = 0; i < sizeof(unrelated) / sizeof(unrelated[0]); i++) {
		struct kht_timeline t = { 0 };

		ADD(t, c);
		ADD(t, straddle);
		ADD(t, unrelated[i]);
		r = judge(&t, 0);
		CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
}

/* A BUG needs the mechanism: a not-uptodate publish seen before the reader returned. */
TEST(race_seek_hole_needs_mechanism)
{
	struct kht_seek hole = seek(12, KHT_SEEK_HOLE, 0, 16 * 4096);
	struct kht_collapse fixed = col_published(10, 20, true);
	struct kht_collapse unwatched = col(10, 20, "SCAN_SUCCEED", 0);
	struct kht_collapse late = col_published(10, 20, false);
	struct kht_timeline t = { 0 };
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	late.publish_ns = 13 * MS;	/* the seek returned at 12.0005 ms */
	const struct kht_collapse *cases[] = { &fixed, &unwatched, &late };

	for (unsigned i = 0; i < 3; i++) {
		t = (struct kht_timeline){ 0 };
		ADD(t, *cases[i]);
		ADD(t, hole);
		r = judge(&t, 0);
		CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 0);
		CHECK(kht_races_count_rule(&r, KHT_RULE_SEEK_TRANSIENT_HOLE, KHT_SEV_WARN) == 1);
		CHECK(SEEKS(r) == 1 && seek_report(&r, 0)->downgrade);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
	/* the mechanism seen, but no modification trace: a user may have punched */
	struct kht_collapse bug = col_published(10, 20, false);

	t = (struct kht_timeline){ 0 };
	ADD(t, bug);
	ADD(t, hole);
	r = judge_mods(&t, 0, false);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 0 && SEEK_WARNS(r) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* a seek that began before the watch on the inode began (first collapse): WARN */
	struct kht_seek early = seek(8, KHT_SEEK_HOLE, 0, 16 * 4096);

	early.duration_ns = 4 * MS;
	early.hdr.ts_ns = 12 * MS;
	t = (struct kht_timeline){ 0 };
	ADD(t, bug);
	ADD(t, early);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 0 && SEEK_WARNS(r) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);
	/* ... unless an earlier collapse of the inode started the watch */
	struct kht_collapse earlier = col(1, 2, "SCAN_SUCCEED", 0);

	t = (struct kht_timeline){ 0 };
	ADD(t, earlier);
	ADD(t, bug);
	ADD(t, early);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);
}

TEST(race_seek_transient_mincore)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col_published(10, 20, false);
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
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 1 && seek_report(&r, 0)->value == 12);
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
	/* the BUG does not carry the MINOR warning's reason */
	for (size_t i = 0; i < r.n; i++)
		if (r.r[i].sev == KHT_SEV_BUG)
			CHECK(!r.r[i].downgrade);
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
		.start_ns = 17 * MS, .duration_ns = 2 * MS,
		.file = { .ino = 7, .index = 40, .dev = 39, .gen = 1 },
		.fn = KHT_RD_FILEMAP_GET_ENTRY, .collapser_tid = 100,
	};
	struct kht_reader early = rd;
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	/* fixed kernel: published uptodate at the final unlock, holes -> retry entries */
	c.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_UPTODATE_AT_PUBLISH;
	c.last_win_begin_ns = 18 * MS;
	c.last_win_end_ns = c.publish_ns = 19500000;
	early.start_ns = 11 * MS;	/* ended before the final hold */
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

/* uffd-missing-fill counts a registration only if it held when the kernel decided. */
TEST(race_uffd_registration_at_decision)
{
	struct kht_collapse traced = col(10, 20, "SCAN_SUCCEED", 64);
	struct kht_collapse untraced = col(10, 20, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_uffd reg_during = uffd(15, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	static const struct {
		bool traced, reg_during;
		unsigned long long unreg_ms;	/* 0: never */
		enum kht_severity sev;		/* KHT_SEV_GUARDED here: no report */
	} cases[] = {
		{ true, false, 15, KHT_SEV_GUARDED },	/* removed before the final hold */
		{ true, false, 18, KHT_SEV_WARN },	/* removed during the final hold */
		{ true, false, 25, KHT_SEV_BUG },	/* removed after the collapse */
		{ true, false, 0, KHT_SEV_BUG },
		{ true, true, 0, KHT_SEV_BUG },		/* made before the final hold */
		{ false, false, 15, KHT_SEV_WARN },	/* removed while it ran: unknown */
		{ false, false, 0, KHT_SEV_BUG },
		{ false, true, 0, KHT_SEV_WARN },	/* made while it ran: unknown */
	};
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	traced.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_UPTODATE_AT_PUBLISH |
			KHT_F_NEW_AT_END;
	traced.last_win_begin_ns = 18 * MS;
	traced.last_win_end_ns = traced.publish_ns = 19 * MS;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kht_uffd unreg = uffd(cases[i].unreg_ms, KHT_UFFD_UNREGISTER, 0, 0, 7);
		struct kht_timeline t = { 0 };
		size_t n;

		struct kht_collapse c = cases[i].traced ? traced : untraced;

		ADD(t, c);
		if (cases[i].reg_during)
			ADD(t, reg_during);
		else
			ADD(t, reg);
		if (cases[i].unreg_ms)
			ADD(t, unreg);
		r = judge(&t, 0);
		n = kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL, KHT_SEV_BUG) +
		    kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL, KHT_SEV_WARN);
		if (cases[i].sev == KHT_SEV_GUARDED)
			CHECK(n == 0);
		else
			CHECK(n == 1 && kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL,
							     cases[i].sev) == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
}

/* A folio at the first slot of a punched range may be another task's: WARN. */
TEST(race_publish_with_punch_is_warn)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col_published(10, 20, false);
	struct kht_modify punch = mod(12, 1, KHT_MOD_PUNCH, 0, 1);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, c);
	ADD(t, punch);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_PUBLISH_BEFORE_UPTODATE) == 0);
	CHECK(kht_races_count_rule(&r, KHT_RULE_PUBLISH_BEFORE_UPTODATE, KHT_SEV_WARN) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/* The modification kind through the registry: JSON, text, span and the recording codec. */
TEST(event_kind_modify)
{
	struct kht_modify m = mod(12, 1, KHT_MOD_PUNCH, 16, 32), back;
	struct kht_fmt f = { .results = &e612 };
	unsigned char wire[512];
	char buf[1024];
	int n;

	CHECK(kht_event_size(KHT_EV_MODIFY) == sizeof(m));
	CHECK(kht_event_json(buf, sizeof(buf), &m.hdr, sizeof(m), &f) > 0);
	CHECK(kht_json_valid(buf, strlen(buf)));
	CHECK_CONTAINS(buf, "\"event\":\"modify\"");
	CHECK_CONTAINS(buf, "\"op\":\"punch\"");
	CHECK_CONTAINS(buf, "\"first_page\":16,\"last_page\":47");
	/* the same fields back from both encodings */
	n = kht_tf_pack_event(&m, wire, sizeof(wire));
	CHECK(n > 0);
	memset(&back, 0xff, sizeof(back));
	CHECK(kht_tf_decode_event(KHT_EV_MODIFY | KHT_TF_PACKED, wire, n, &back, sizeof(back)) >= 0);
	CHECK(!memcmp(&back, &m, sizeof(m)));
	n = kht_tf_encode_event(&m, wire, sizeof(wire));
	CHECK(n > 0);
	memset(&back, 0xff, sizeof(back));
	CHECK(kht_tf_decode_event(KHT_EV_MODIFY, wire, n, &back, sizeof(back)) >= 0);
	CHECK(!memcmp(&back, &m, sizeof(m)));
	/* text and span */
	const struct kht_event_kind *k = kht_event_kind(KHT_EV_MODIFY);
	struct kht_span sp = { 0 };

	CHECK(k && k->desc(buf, sizeof(buf), &m, KHT_ROW_ONE, &f) > 0);
	CHECK_CONTAINS(buf, "punch pages 16-47 (131072 bytes at 65536) -> ok");
	k->span(&m, &sp);
	CHECK(sp.has_begin && sp.begin_ns == 12 * MS && sp.end_ns == 13 * MS);
	CHECK(sp.has_file && sp.file.ino == 7 && sp.first_page == 16 && sp.last_page == 47);
	m = mod(12, 1, KHT_MOD_TRUNCATE, 16, 0);
	k->span(&m, &sp);
	CHECK(sp.first_page == 16 && sp.last_page == ~0ULL);
}

/* An unregister whose range BPF could not resolve to a file still ends its registration. */
TEST(race_uffd_unresolved_unregister)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 12, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_uffd unreg = uffd(7, KHT_UFFD_UNREGISTER, 0, 0, 0);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	unreg.flags = KHT_O_HAVE_DURATION;	/* no inode: the process's story */
	ADD(t, reg);
	ADD(t, unreg);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(r.n == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
	/* another address range of the same process: still armed */
	unreg.addr += 4 << 20;
	t = (struct kht_timeline){ 0 };
	ADD(t, reg);
	ADD(t, unreg);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/* syscalls mode on 6.1: a scan that met the existing huge page is not 512 holes filled */
TEST(race_uffd_already_huge_scan)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse scan = col(10, 10, "SCAN_PTE_MAPPED_HUGEPAGE", 512);
	struct kht_collapse fill = col(20, 20, "SCAN_SUCCEED", 512);	/* an empty range, filled */
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	scan.flags &= ~KHT_F_HAVE_DURATION;
	scan.attach = KHT_MODE_SYSCALLS;
	fill.flags &= ~KHT_F_HAVE_DURATION;
	fill.flags |= KHT_F_START_BOUND;	/* the madvise call began at 15 ms */
	fill.start_ns = 15 * MS;
	fill.attach = KHT_MODE_SYSCALLS;
	ADD(t, reg);
	ADD(t, scan);
	ADD(t, fill);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1 && r.r[0].collapse->end_ns == 20 * MS);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * Host 6.18, syscalls mode, VM-host load: a registration 4 us before the end
 * of a collapse whose start is not seen was made while it ran (WARN, not BUG).
 */
TEST(race_uffd_end_only_collapse)
{
	struct kht_collapse c = col(20, 20, "SCAN_SUCCEED", 64);
	struct kht_uffd late = uffd(19, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_uffd early = uffd(10, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	c.flags &= ~KHT_F_HAVE_DURATION;
	c.attach = KHT_MODE_SYSCALLS;
	c.flags |= KHT_F_START_BOUND;
	c.start_ns = 15 * MS;	/* madvise began at 15 ms */
	for (int i = 0; i < 2; i++) {
		struct kht_timeline t = { 0 };

		ADD(t, c);
		if (i)
			ADD(t, early);
		else
			ADD(t, late);
		r = judge(&t, 0);
		CHECK(kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL,
					   i ? KHT_SEV_BUG : KHT_SEV_WARN) == 1 && r.n == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
	/* no bound at all (tp_btf): only a registration made 1 s before the end counts */
	struct kht_collapse tp = col(3000, 3000, "SCAN_SUCCEED", 64);
	struct kht_uffd older = uffd(1000, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_uffd recent = uffd(2500, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);

	tp.flags &= ~KHT_F_HAVE_DURATION;
	tp.attach = KHT_MODE_TP_BTF;
	for (int i = 0; i < 2; i++) {
		struct kht_timeline t = { 0 };

		ADD(t, tp);
		if (i)
			ADD(t, older);
		else
			ADD(t, recent);
		r = judge(&t, 0);
		CHECK(kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL,
					   i ? KHT_SEV_BUG : KHT_SEV_WARN) == 1 && r.n == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
}

/*
 * 6.12 guest, VM-host load: the scan counted holes, the guest's refault
 * filled them, then the range was registered and collapsed: a fixed kernel
 * found no hole to check. A fill or write of the range from the scan to the
 * decision makes the report a WARN.
 */
TEST(race_uffd_holes_filled_meanwhile)
{
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(8, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_modify fills[] = {
		mod(9, 0, KHT_MOD_FILL, 100, 1),	/* during the scan, before the entry */
		mod(15, 0, KHT_MOD_FILL, 0, 512),	/* a huge folio, during the collapse */
		mod(12, 1, KHT_MOD_WRITE, 300, 2),
	};
	struct kht_modify elsewhere = mod(12, 0, KHT_MOD_FILL, 700, 1);
	struct kht_modify punch = mod(12, 1, KHT_MOD_PUNCH, 300, 2);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (unsigned i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
		struct kht_timeline t = { 0 };

		ADD(t, c);
		ADD(t, reg);
		ADD(t, fills[i]);
		r = judge(&t, 0);
		CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 0);
		CHECK(kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL, KHT_SEV_WARN) == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
	/* a fill of another range, or a punch (makes holes, fills none): still a BUG */
	const struct kht_modify *others[] = { &elsewhere, &punch };

	for (unsigned i = 0; i < 2; i++) {
		struct kht_timeline t = { 0 };

		ADD(t, c);
		ADD(t, reg);
		ADD(t, *others[i]);
		r = judge(&t, 0);
		CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
	/* fills not traced (syscalls mode): WARN, with the reason */
	struct kht_timeline t = { 0 };
	struct kht_tl_filter f = { 0 };
	struct kht_race_opts o = { .mods_traced = true, .fills_traced = false };

	ADD(t, c);
	ADD(t, reg);
	kht_tl_build(&t, &f, 0);
	CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
	CHECK(r.n == 1 && r.r[0].sev == KHT_SEV_WARN && r.r[0].downgrade);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * Where no rule could tell a BUG by a write (an end-only collapse mode
 * without fills), the default traces none (writes_left_out): the uffd rule
 * must not read the missing writes as "nobody filled the holes". WARN,
 * naming --all-writes, with fills traced or not; a traced fallocate of the
 * range still gives its own, more specific reason.
 */
TEST(race_uffd_writes_left_out)
{
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(8, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_modify falloc = mod(12, 1, KHT_MOD_FALLOCATE, 0, 512);
	struct kht_tl_filter f = { 0 };
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (int i = 0; i < 3; i++) {
		struct kht_race_opts o = { .mods_traced = true, .fills_traced = i == 1,
					   .writes_left_out = true };
		struct kht_timeline t = { 0 };

		ADD(t, c);
		ADD(t, reg);
		if (i == 2)
			ADD(t, falloc);
		kht_tl_build(&t, &f, 0);
		CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
		CHECK(r.n == 1 && r.r[0].sev == KHT_SEV_WARN && r.r[0].downgrade);
		if (r.n == 1 && r.r[0].downgrade)
			CHECK(i == 2 ? strstr(r.r[0].downgrade, "filled or wrote pages") != NULL
				     : strstr(r.r[0].downgrade, "--all-writes") != NULL);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
	/* the same with writes traced and fills seen: the BUG the rule is for */
	struct kht_race_opts o = { .mods_traced = true, .fills_traced = true };
	struct kht_timeline t = { 0 };

	ADD(t, c);
	ADD(t, reg);
	kht_tl_build(&t, &f, 0);
	CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
	CHECK(r.n == 1 && r.r[0].sev == KHT_SEV_BUG);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * The production profile records writes and fills only while a collapse of
 * their inode runs (writes_in_collapses). A collapse with its data map
 * counted its holes at entry: nothing before it matters, still a BUG.
 * Without the map the holes are the scan's, which ran before the entry
 * where nothing was recorded: WARN, naming it.
 */
TEST(race_uffd_fills_recorded_in_collapses_only)
{
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(8, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_race_opts o = { .mods_traced = true, .fills_traced = true,
				   .writes_in_collapses = true };
	struct kht_tl_filter f = { 0 };
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (int map = 0; map < 2; map++) {
		struct kht_timeline t = { 0 };

		if (map) {
			c.flags |= KHT_F_HAVE_DATAMAP;	/* all holes: the scan's 64 are among them */
			for (int w = 0; w < KHT_DATAMAP_WORDS; w++)
				c.data_map[w] = 0;
		}
		ADD(t, c);
		ADD(t, reg);
		kht_tl_build(&t, &f, 0);
		CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
		CHECK(r.n == 1);
		if (map) {
			CHECK(r.r[0].sev == KHT_SEV_BUG);
		} else {
			CHECK(r.r[0].sev == KHT_SEV_WARN && r.r[0].downgrade &&
			      strstr(r.r[0].downgrade, "before collapse_file began were not recorded"));
		}
		kht_races_free(&r);
		kht_tl_free(&t);
	}
}

/* A sparse range (cp --sparse, VM images): data pages 0-510, a hole at 511. */
static struct kht_collapse col_sparse(bool published_not_uptodate)
{
	struct kht_collapse c = col(10, 20, "SCAN_SUCCEED", 1);

	for (int w = 0; w < KHT_DATAMAP_WORDS; w++)
		c.data_map[w] = ~0ULL;
	c.data_map[7] &= ~(1ULL << 63);
	c.flags |= KHT_F_HAVE_DATAMAP;
	if (published_not_uptodate) {
		c.flags |= KHT_F_HAVE_WINDOWS | KHT_F_PUBLISHED | KHT_F_NEW_AT_END;
		c.publish_ns = 11 * MS;
		c.last_win_begin_ns = 19 * MS;
		c.last_win_end_ns = 20 * MS - 1000;
	}
	return c;
}

TEST(race_seek_sparse_range)
{
	struct kht_collapse c = col_sparse(true);
	struct kht_seek vanished = seek(12, KHT_SEEK_HOLE, 0, 100 * 4096);	/* page 100 had data */
	struct kht_seek real_hole = seek(13, KHT_SEEK_HOLE, 0, 511 * 4096);	/* the hole */
	struct kht_seek skip_real = seek(14, KHT_SEEK_DATA, 511 * 4096, -6);	/* ENXIO from it */
	struct kht_seek skip_data = seek(15, KHT_SEEK_DATA, 300 * 4096, -6);	/* skipped 300-510 */
	struct kht_mincore m = {
		.hdr = { .ts_ns = 16 * MS, .type = KHT_EV_MINCORE, .size = sizeof(m), .pid = 5 },
		.start_ns = 15 * MS, .len = 2 << 20, .pages = 512, .resident = 511,
		.file = { .ino = 7, .index = 0, .dev = 39, .gen = 1 },
		.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION,
	};
	struct kht_timeline t = { 0 };
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, c);
	ADD(t, vanished);
	ADD(t, real_hole);
	ADD(t, skip_real);
	ADD(t, skip_data);
	ADD(t, m);		/* one non-resident page: the hole, fine */
	m.resident = 400;	/* 111 more: vanished */
	m.hdr.ts_ns += MS;
	ADD(t, m);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 3 && SEEKS(r) == 3);
	CHECK(seek_report(&r, 0)->value == 100 * 4096);
	CHECK(seek_report(&r, 2)->value == 111);
	kht_races_free(&r);
	kht_tl_free(&t);

	/* without the data map a range with holes is not judged */
	c.flags &= ~KHT_F_HAVE_DATAMAP;
	t = (struct kht_timeline){ 0 };
	ADD(t, c);
	ADD(t, vanished);
	r = judge(&t, 0);
	CHECK(SEEKS(r) == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/* With the data map, only holes under the registration count. */
TEST(race_uffd_holes_under_registration)
{
	struct kht_collapse c = col_sparse(false);
	struct kht_uffd over_data = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_uffd over_hole = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 256, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	over_data.len = 256 * 4096;	/* pages 0-255: all data */
	over_hole.len = 256 * 4096;	/* pages 256-511: the hole at 511 */
	for (int i = 0; i < 2; i++) {
		struct kht_timeline t = { 0 };

		ADD(t, c);
		if (i)
			ADD(t, over_hole);
		else
			ADD(t, over_data);
		r = judge(&t, 0);
		CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == (size_t)i);
		if (i)
			CHECK(r.r[0].value == 1);
		kht_races_free(&r);
		kht_tl_free(&t);
	}
}

/*
 * GNU cp on 6.1: SEEK_DATA from the previous chunk's hole skipped the chunk
 * being collapsed; the copy came out with that chunk zeroed. The seek began
 * before the collapse's range: still its reader.
 */
TEST(race_seek_data_skips_range_from_before)
{
	struct kht_collapse c = col_sparse(true);
	struct kht_seek skipped = seek(12, KHT_SEEK_DATA, 511 * 4096, 1024 * 4096);
	struct kht_seek fine = seek(13, KHT_SEEK_DATA, 511 * 4096, 512 * 4096);
	struct kht_seek before = seek(14, KHT_SEEK_DATA, 100 * 4096, 300 * 4096);
	struct kht_timeline t = { 0 };
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	c.start_index = 512;	/* pages 512-1023, the hole at 1023 */
	ADD(t, c);
	ADD(t, skipped);
	ADD(t, fine);
	ADD(t, before);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 1 && seek_report(&r, 0)->value == 1024 * 4096);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * Streaming (lib/races_stream.c): a long synthetic VM-host-like stream
 * judged in tiny epochs gives exactly the reports of judging it whole, and
 * the events held stay bounded by the keep window, not the stream's length.
 */
struct rs_seen {
	unsigned long long key[4096][5];
	size_t n;
};

static void rs_collect(void *ctx, struct kht_races *r)
{
	struct rs_seen *s = ctx;

	for (size_t i = 0; i < r->n && s->n < 4096; i++, s->n++) {
		const struct kht_race *x = &r->r[i];

		s->key[s->n][0] = x->rule * 16 + x->sev;
		s->key[s->n][1] = x->collapse->end_ns;
		s->key[s->n][2] = x->other ? x->other->end_ns : 0;
		s->key[s->n][3] = x->first_page;
		s->key[s->n][4] = x->value + (unsigned long long)x->mods * 1000003;
	}
}

static int rs_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 5 * sizeof(unsigned long long));
}

/* One second of the load, starting at ms: collapse, seeks, punches, registrations. */
static void rs_second(struct kht_timeline *t, struct kht_races_stream *rs, unsigned i)
{
	unsigned long long ms = 1000ULL * i;
	struct kht_collapse c = i % 3 ? col(ms + 10, ms + 14, "SCAN_SUCCEED", i % 2 ? 0 : 64) :
				       col_published(ms + 10, ms + 20, i % 6 == 0);
	struct kht_uffd reg = uffd(ms + 5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_uffd unreg = uffd(ms + 30 + (i % 7) * 100, KHT_UFFD_UNREGISTER, 0, 0, 7);
	struct kht_seek hole = seek(ms + 12, KHT_SEEK_HOLE, 0, 16 * 4096);
	struct kht_seek late = seek(ms + 13, KHT_SEEK_DATA, 0, 512 * 4096);
	struct kht_modify punch = mod(ms + 16, 1, KHT_MOD_PUNCH, 8, 4);
	/* began before the collapse: were modifications traced then? (an older collapse's horizon) */
	struct kht_seek early = seek(ms + 9, KHT_SEEK_HOLE, 0, 32 * 4096);
	const struct kht_hdr *ev[7] = { &reg.hdr, &c.hdr, &hole.hdr, &late.hdr, &punch.hdr,
					&unreg.hdr, &early.hdr };
	size_t sz[7] = { sizeof(reg), sizeof(c), sizeof(hole), sizeof(late), sizeof(punch),
			 sizeof(unreg), sizeof(early) };
	unsigned n = 7;

	early.duration_ns = 3 * MS;
	early.hdr.ts_ns = (ms + 12) * MS;

	if (i % 4)
		ev[0] = NULL;		/* a registration every 4 s, removed later */
	if (i % 4)
		ev[5] = NULL;
	if (i % 5)
		ev[4] = NULL;		/* a punch every 5 s */
	if (i % 10 >= 3 && i % 10 <= 8)
		ev[1] = NULL;		/* quiet spells: a collapse's modification horizon matters */
	for (unsigned k = 0; k < n; k++) {
		if (!ev[k])
			continue;
		if (t)
			CHECK(kht_tl_add(t, ev[k], sz[k]) == 0);
		if (rs)
			CHECK(kht_rs_add(rs, ev[k], sz[k]) == 0);
	}
}

static size_t rs_peak(unsigned seconds, struct rs_seen *streamed)
{
	struct kht_races_stream rs = {
		.results = &e612, .opts = { .mods_traced = true, .fills_traced = true },
		.epoch_events = 64, .emit = rs_collect, .ctx = streamed,
	};
	size_t peak;

	for (unsigned i = 0; i < seconds; i++)
		rs_second(NULL, &rs, i);
	CHECK(kht_rs_finish(&rs) == 0);
	peak = rs.peak_events;
	CHECK(rs.epochs > 4 && rs.dropped > 0);
	kht_rs_free(&rs);
	return peak;
}

TEST(race_stream_same_reports_bounded_memory)
{
	static struct rs_seen whole, streamed, longer;
	struct kht_timeline t = { 0 };
	struct kht_races r;
	size_t peak, peak_long;

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (unsigned i = 0; i < 120; i++)
		rs_second(&t, NULL, i);
	r = judge(&t, 0);
	rs_collect(&whole, &r);
	CHECK(whole.n > 50 && BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) > 0 &&
	      BUGS(r, KHT_RULE_UFFD_MISSING_FILL) > 0);
	kht_races_free(&r);
	kht_tl_free(&t);

	peak = rs_peak(120, &streamed);
	CHECK(streamed.n == whole.n);
	qsort(whole.key, whole.n, sizeof(whole.key[0]), rs_cmp);
	qsort(streamed.key, streamed.n, sizeof(streamed.key[0]), rs_cmp);
	CHECK(!memcmp(whole.key, streamed.key, whole.n * sizeof(whole.key[0])));

	/* four times as long: the same peak (removed registrations are dropped too) */
	peak_long = rs_peak(480, &longer);
	CHECK(longer.n > 3 * whole.n);
	CHECK(peak_long <= peak + peak / 4);
}

/*
 * With the stream's collapses known beforehand (report's first pass), seeks
 * and uffd ops no collapse can weigh are not held: on a stream where most
 * events are such noise (far from the collapses, or on an inode never
 * collapsed), the peak falls, and the reports are those of holding
 * everything, in the same order (epochs and story order unchanged), and
 * those of judging the whole stream.
 */
static void rs_noise(struct kht_timeline *t, struct kht_races_stream *rs, unsigned i)
{
	unsigned long long ms = 1000ULL * i;
	/* another story with reports of its own: its place among the stories must stay */
	struct kht_collapse c9 = col_published(ms + 600, ms + 610, false);
	struct kht_uffd copy = uffd(ms + 400, KHT_UFFD_COPY, 0, 0, 7);

	c9.ino = 9;
	/*
	 * One of inode 9's collapses is pid 100's (not its first): under -p 100
	 * the story is kept for it, once judged through its stand-in alone
	 */
	c9.hdr.pid = c9.hdr.tid = i == 2 ? 100 : 500;
	for (unsigned k = 0; k < 120; k++) {
		struct kht_seek s = seek(ms + 100 + 7 * k, k & 1 ? KHT_SEEK_DATA : KHT_SEEK_HOLE,
					 0, 4096);
		/* inode 7 (collapsed), 8 (never), 9 (collapsed later in the second) */
		s.file.ino = 7 + k % 3;
		if (t)
			CHECK(kht_tl_add(t, &s.hdr, sizeof(s)) == 0);
		if (rs)
			CHECK(kht_rs_add(rs, &s.hdr, sizeof(s)) == 0);
	}
	if (t) {
		CHECK(kht_tl_add(t, &copy.hdr, sizeof(copy)) == 0);
		CHECK(kht_tl_add(t, &c9.hdr, sizeof(c9)) == 0);
	}
	if (rs) {
		CHECK(kht_rs_add(rs, &copy.hdr, sizeof(copy)) == 0);
		CHECK(kht_rs_add(rs, &c9.hdr, sizeof(c9)) == 0);
	}
}

static size_t rs_noisy_run(unsigned seconds, const struct kht_rs_spans *sp, struct rs_seen *seen,
			   size_t *counted)
{
	struct kht_races_stream rs = {
		.results = &e612, .opts = { .mods_traced = true, .fills_traced = true },
		.epoch_events = 64, .emit = rs_collect, .ctx = seen, .spans = sp,
	};
	size_t peak;

	for (unsigned i = 0; i < seconds; i++) {
		rs_second(NULL, &rs, i);
		rs_noise(NULL, &rs, i);
	}
	CHECK(kht_rs_finish(&rs) == 0);
	CHECK(rs.epochs > 4);
	CHECK(sp ? rs.ghosted > 0 : rs.ghosted == 0);
	peak = rs.peak_events;
	*counted = rs.tl.n + rs.nold + rs.nghosts;	/* what the schedule counts */
	kht_rs_free(&rs);
	return peak;
}

TEST(race_stream_known_collapses_hold_less_same_reports)
{
	static struct rs_seen whole, held, unheld;
	struct kht_timeline t = { 0 };
	struct kht_rs_spans sp = { 0 };
	struct kht_races r;
	size_t peak_held, peak_unheld, counted_held, counted_unheld;

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (unsigned i = 0; i < 60; i++) {
		rs_second(&t, NULL, i);
		rs_noise(&t, NULL, i);
	}
	for (size_t i = 0; i < t.n; i++)
		CHECK(kht_rs_spans_add(&sp, &t.ev[i].ev.hdr, sizeof(t.ev[i].ev)) == 0);
	kht_rs_spans_done(&sp);
	r = judge(&t, 0);
	rs_collect(&whole, &r);
	CHECK(whole.n > 50 && BUGS(r, KHT_RULE_PUBLISH_BEFORE_UPTODATE) > 0);
	kht_races_free(&r);
	kht_tl_free(&t);

	peak_held = rs_noisy_run(60, NULL, &held, &counted_held);
	peak_unheld = rs_noisy_run(60, &sp, &unheld, &counted_unheld);
	/* the ends of the events not held count as the events would (the schedule) */
	CHECK(counted_unheld == counted_held);
	/* the same reports in the same order */
	CHECK(held.n == whole.n && unheld.n == held.n);
	CHECK(!memcmp(held.key, unheld.key, held.n * sizeof(held.key[0])));
	qsort(whole.key, whole.n, sizeof(whole.key[0]), rs_cmp);
	qsort(unheld.key, unheld.n, sizeof(unheld.key[0]), rs_cmp);
	CHECK(!memcmp(whole.key, unheld.key, whole.n * sizeof(whole.key[0])));
	/* most noise is not held */
	CHECK(peak_unheld * 3 < peak_held);
	kht_rs_spans_free(&sp);
}

/*
 * Judged collapses leave the timeline for compact records (races_stream.c:
 * retire), a few put back as stand-ins for each judging: the reports and
 * their order must be those of holding them whole. The load's quiet spells
 * make seeks depend on older collapses' modification horizon (records by
 * then), and two stories with reports (inodes 7 and 9) must keep their
 * order; also under -p and a time window, which decide what a story holds.
 */
static size_t rs_compact_run(bool keep_judged, const struct kht_tl_filter *f,
			     struct rs_seen *seen, size_t *counted)
{
	struct kht_races_stream rs = {
		.results = &e612, .opts = { .mods_traced = true, .fills_traced = true },
		.epoch_events = 64, .emit = rs_collect, .ctx = seen, .filter = *f,
		.keep_judged = keep_judged,
	};
	size_t old;

	for (unsigned i = 0; i < 60; i++) {
		rs_second(NULL, &rs, i);
		rs_noise(NULL, &rs, i);
	}
	CHECK(kht_rs_finish(&rs) == 0);
	CHECK(rs.epochs > 4);
	old = rs.nold;
	*counted = rs.tl.n + rs.nold + rs.nghosts;
	kht_rs_free(&rs);
	return old;
}

TEST(race_stream_judged_collapses_compact_same_reports)
{
	const struct kht_tl_filter filters[] = {
		{ 0 },
		{ .pid = 100 },
		{ .since_s = 5.0, .until_s = 50.0, .until_set = true },
	};

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (size_t k = 0; k < sizeof(filters) / sizeof(filters[0]); k++) {
		static struct rs_seen whole, compact;
		unsigned long long warn = 0, bug = 0, of9 = 0;
		size_t counted_whole, counted_compact;

		memset(&whole, 0, sizeof(whole));
		memset(&compact, 0, sizeof(compact));
		CHECK(rs_compact_run(true, &filters[k], &whole, &counted_whole) == 0);
		/* collapses were kept as records past their judging, and counted as events */
		CHECK(rs_compact_run(false, &filters[k], &compact, &counted_compact) > 10);
		CHECK(counted_compact == counted_whole);
		for (size_t i = 0; i < whole.n; i++) {
			warn += whole.key[i][0] % 16 == KHT_SEV_WARN;
			bug += whole.key[i][0] % 16 == KHT_SEV_BUG;
			of9 += whole.key[i][1] / MS % 1000 == 610;	/* rs_noise's collapse */
		}
		/* both verdicts, and reports of both stories, to keep in order */
		CHECK(whole.n > 50 && warn > 0 && bug > 0 && of9 > 0 && of9 < whole.n);
		CHECK(compact.n == whole.n);
		CHECK(!memcmp(whole.key, compact.key, whole.n * sizeof(whole.key[0])));
	}
}

/* Text output: the first KHT_RACES_SHOWN warnings of a class in full, the rest counted. */
TEST(race_text_digests_warnings)
{
	struct kht_timeline t = { 0 };
	struct kht_uffd minor = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MINOR, 0, 7);
	struct kht_fmt f = { .results = &e612 };
	struct kht_races r;
	char *buf = NULL, *p;
	size_t len = 0, full = 0;
	FILE *m;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, minor);
	for (unsigned i = 0; i < 5; i++) {
		struct kht_collapse c = col(10 + 10 * i, 12 + 10 * i, "SCAN_SUCCEED", 0);

		ADD(t, c);
	}
	r = judge(&t, 0);
	CHECK(kht_races_count_rule(&r, KHT_RULE_COLLAPSE_ON_UFFD_ARMED, KHT_SEV_WARN) == 5);
	m = open_memstream(&buf, &len);
	kht_races_print_text(m, &r, &f);
	fclose(m);
	for (p = buf; (p = strstr(p, "[WARN] collapse-on-uffd-armed")); p++)
		full++;
	CHECK(full == KHT_RACES_SHOWN);
	CHECK_CONTAINS(buf, "       5  WARN     collapse-on-uffd-armed: which VMAs the kernel "
			    "retracted is not traced");
	CHECK_CONTAINS(buf, "0 bugs, 0 slow, 5 warnings, 0 guarded");
	free(buf);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * The ring buffer dropped events between a registration and the collapse's
 * decision: its removal may be among them, so no BUG; a loss elsewhere in
 * time changes nothing. The same for a seek's hole and a punch.
 */
TEST(race_losses_downgrade)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 12, "SCAN_SUCCEED", 64);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_loss during = { 7 * MS, 8 * MS }, later = { 50 * MS, 60 * MS };
	struct kht_race_opts o = { .mods_traced = true, .fills_traced = true };
	struct kht_tl_filter f = { 0 };
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	ADD(t, reg);
	ADD(t, c);
	kht_tl_build(&t, &f, 0);
	o.losses = &later;
	o.nlosses = 1;
	CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1);
	kht_races_free(&r);
	o.losses = &during;
	CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 0 &&
	      kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL, KHT_SEV_WARN) == 1);
	CHECK(r.r[0].downgrade && strstr(r.r[0].downgrade, "dropped"));
	kht_races_free(&r);
	kht_tl_free(&t);

	/* the seek rule: a hole seen inside a not-uptodate publish, a loss during the collapse */
	struct kht_collapse p = col_published(10, 20, false);
	struct kht_seek hole = seek(12, KHT_SEEK_HOLE, 0, 16 * 4096);
	struct kht_loss in_window = { 11 * MS, 11 * MS + 10 };

	t = (struct kht_timeline){ 0 };
	ADD(t, p);
	ADD(t, hole);
	kht_tl_build(&t, &f, 0);
	o.losses = &later;
	CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 1 && BUGS(r, KHT_RULE_PUBLISH_BEFORE_UPTODATE) == 1);
	kht_races_free(&r);
	o.losses = &in_window;
	CHECK(kht_races_find(&r, &t, &e612, &o) == 0);
	CHECK(BUGS(r, KHT_RULE_SEEK_TRANSIENT_HOLE) == 0 && SEEK_WARNS(r) == 1 &&
	      BUGS(r, KHT_RULE_PUBLISH_BEFORE_UPTODATE) == 0);
	kht_races_free(&r);
	kht_tl_free(&t);
}

/*
 * 7.2 VM-host load, fentry: a refault's pwrite had its folio in the cache,
 * not yet uptodate, when the collapse began. The data map called it a hole;
 * the kernel waited for the write and counted a page, found no hole, and
 * checked no registration (nothing was lost). Such a map proves no hole.
 */
TEST(race_uffd_page_being_written_at_entry)
{
	struct kht_timeline t = { 0 };
	struct kht_collapse c = col(10, 12, "SCAN_SUCCEED", 1);
	struct kht_uffd reg = uffd(5, KHT_UFFD_REGISTER, KHT_UFFD_MODE_MISSING, 0, 7);
	struct kht_races r;

	kht_fixture_enum(KHT_FIX_612, &e612);
	for (int w = 0; w < KHT_DATAMAP_WORDS; w++)
		c.data_map[w] = ~0ULL;
	c.data_map[0] &= ~1ULL;		/* page 0: "a hole" */
	c.flags |= KHT_F_HAVE_DATAMAP;
	ADD(t, reg);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 1);	/* an empty slot: the BUG stands */
	kht_races_free(&r);
	kht_tl_free(&t);

	c.flags |= KHT_F_DATAMAP_PENDING;
	t = (struct kht_timeline){ 0 };
	ADD(t, reg);
	ADD(t, c);
	r = judge(&t, 0);
	CHECK(BUGS(r, KHT_RULE_UFFD_MISSING_FILL) == 0 &&
	      kht_races_count_rule(&r, KHT_RULE_UFFD_MISSING_FILL, KHT_SEV_WARN) == 1);
	CHECK(r.n && r.r[0].downgrade && strstr(r.r[0].downgrade, "being written"));
	kht_races_free(&r);
	kht_tl_free(&t);
}
