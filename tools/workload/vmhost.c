// SPDX-License-Identifier: GPL-2.0
/*
 * vmhost: what a VM host does to shmem-backed guest RAM, with the truth of
 * what the guest's pages held to judge every reader against.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "workload.h"

/*
 * What a VM host does to shmem-backed guest RAM, on one file mapped twice.
 * On the guest mapping: a collapser (MADV_COLLAPSE of random chunks), a
 * balloon (punch, then refault after a short delay) and a walker
 * (SEEK_DATA/SEEK_HOLE extent walks as cp or qemu-img do, mincore).  On a
 * second mapping: postcopy registering userfaultfd MISSING or MINOR on random
 * chunks for a few ms.  Each thread has its own PRNG stream from --seed.
 *
 * Truth comes from state only the balloon changes downward: ver[p] is odd
 * while the balloon punches or refaults page p, data[p] says whether p holds
 * data.  Pages only go hole -> data by a refault or a collapse, so a page
 * that had data=1 and the same even version before and after a walk held
 * data all through it.
 */
#define VH_CHUNKS	16	/* default -n: 32 MiB of guest RAM */
#define VH_SECONDS	10
#define VH_REFAULT_MS	20	/* balloon: punch to refault, 0..this ms */
#define VH_HOLD_MS	8	/* postcopy: a registration is held 1..this ms */
#define VH_TRUTH_LINES	5000	/* truth-hole lines printed; counts are complete */

struct vh_chunk {
	/*
	 * Held by postcopy while the chunk is registered and taken by the
	 * balloon for each punch and refault, so that only a collapse can fill
	 * a registered chunk's holes.  The collapser never takes it: collapses
	 * must race registrations.
	 */
	pthread_mutex_t reg_lock;
	/* Orders data[] updates: the balloon's against the collapser's. */
	pthread_mutex_t state_lock;
	/*
	 * The registration as the collapser sees it, seqlock style: seq is odd
	 * while one is in force (from after UFFDIO_REGISTER returned to before
	 * UFFDIO_UNREGISTER), missing/holes describe it.
	 */
	unsigned long seq;
	bool missing;
	long holes;		/* trusted holes counted after registering */
	/*
	 * The collapser's side, for postcopy's fill truth: cseq is odd while
	 * its MADV_COLLAPSE of the chunk runs; ok_end_ns is when the last one
	 * that succeeded returned.
	 */
	unsigned long cseq;
	uint64_t ok_end_ns;
};

static struct {
	struct tfile guest;	/* the mapping the "guest" runs on */
	struct tfile post;	/* the same file mapped again: postcopy's */
	unsigned long pages;
	unsigned int *ver;	/* per page: odd while the balloon changes it */
	uint64_t *changed;	/* per page: now_ns() of its last version change */
	unsigned char *data;	/* per page: 1 = holds data (also guest.wmap) */
	struct vh_chunk *ch;
	uint64_t avail;		/* userfaultfd API features */
	bool uffd;		/* userfaultfd usable at all */
	uint64_t deadline;
} vh;

/* Each counter has one writer thread; main reads them after the joins. */
static struct {
	long punches, removes, refaults, pwrites, walks, walk_seeks, mincores;
	long regs, refused, unregs, truth_holes, truth_hole_pages;
	long uffd_fills, uffd_collapses;
	/* Coverage: how often the truth had a chance to fire. */
	long regs_holes;	/* MISSING registrations with trusted holes */
	long collapses_holes;	/* collapses of a chunk with holes */
	long collapses_uffd;	/* ... all through such a registration */
} vst;

static int vh_chunks(void)
{
	return vh.guest.nchunks;
}

static bool vh_running(void)
{
	return now_ns() < vh.deadline;
}

/* A per-thread stream: the same seed gives each thread the same choices. */
static void vh_rng(struct rng *r, uint64_t thread)
{
	rng_seed(r, splitmix64(wl.opt.seed) ^ thread * 0x9e3779b97f4a7c15ULL);
}

static char *vh_page_addr(const struct tfile *f, unsigned long p)
{
	return chunk_addr(f, p / PMD_PAGES) + p % PMD_PAGES * PAGE_SZ;
}

/*
 * Pages [first, first + n) inside data extents per SEEK_DATA/SEEK_HOLE get
 * seen[k] = 1, the rest 0.  Returns the number of lseek() calls.
 */
static long extent_map(int fd, unsigned long first, unsigned long n,
		       unsigned char *seen, long *extents)
{
	off_t pos = first * PAGE_SZ, end = (first + n) * PAGE_SZ, d, h;
	long seeks = 0;

	memset(seen, 0, n);
	while (pos < end) {
		d = lseek(fd, pos, SEEK_DATA);
		seeks++;
		if (d < 0 && errno == ENXIO)
			break;
		if (d < 0)
			die_errno(EXIT_FAIL, "lseek SEEK_DATA failed");
		if (d >= end)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		seeks++;
		if (h < 0)
			die_errno(EXIT_FAIL, "lseek SEEK_HOLE failed");
		if (h > end)
			h = end;
		if (h > d) {
			memset(seen + (d / PAGE_SZ - first), 1,
			       (h + PAGE_SZ - 1) / PAGE_SZ - d / PAGE_SZ);
			if (extents)
				(*extents)++;
		}
		pos = h > d ? h : d + (off_t)PAGE_SZ;
	}
	return seeks;
}

static void vh_ver_bump(unsigned long p, unsigned long n)
{
	for (; n--; p++) {
		__atomic_add_fetch(&vh.ver[p], 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&vh.changed[p], now_ns(), __ATOMIC_RELEASE);
	}
}

/* One truth-hole record: n pages from first vanished from a reader that began at t0. */
static void vh_truth_hole(unsigned long first, unsigned long n, uint64_t t0, const char *via)
{
	if (vst.truth_holes++ < VH_TRUTH_LINES)
		emit("truth-hole ino=%lu index=%lu t_ns=%llu pages=%lu via=%s tid=%d",
		     vh.guest.ino, first, (unsigned long long)t0, n, via, gettid_());
	vst.truth_hole_pages += n;
}

/*
 * Page p held data, untouched by the balloon, from before t0 until now: the
 * truth of a single lseek() that began at t0 and called p a hole. Per call,
 * not per walk: a page punched and refaulted earlier in the walk still
 * counts when the seek that misses it came after.
 */
static bool vh_stable_since(unsigned long p, uint64_t t0)
{
	unsigned int v = __atomic_load_n(&vh.ver[p], __ATOMIC_ACQUIRE);
	/* data first: a page that just became data has its changed[] set before */
	unsigned char d = __atomic_load_n(&vh.data[p], __ATOMIC_ACQUIRE);
	uint64_t c = __atomic_load_n(&vh.changed[p], __ATOMIC_ACQUIRE);

	return !(v & 1) && d && c < t0 &&
	       __atomic_load_n(&vh.ver[p], __ATOMIC_ACQUIRE) == v;
}

/* truth-hole lines for the stable data pages among [first, last] a seek at t0 called holes */
static void vh_judge_seek(unsigned long first, unsigned long last, uint64_t t0)
{
	unsigned long p, run = 0;

	for (p = first; p <= last + 1; p++) {
		if (p <= last && p < vh.pages && vh_stable_since(p, t0)) {
			run++;
			continue;
		}
		if (!run)
			continue;
		vh_truth_hole(p - run, run, t0, "seek");
		run = 0;
	}
}

/*
 * extent_map() for the walker: the same extents, each lseek() judged on its
 * own (what it called holes, against the pages stable since it began).
 */
static long vh_extent_walk(int fd, unsigned char *seen, long *extents)
{
	off_t pos = 0, end = (off_t)vh.pages * PAGE_SZ, d, h;
	uint64_t t0;
	long seeks = 0;

	memset(seen, 0, vh.pages);
	while (pos < end) {
		t0 = now_ns();
		d = lseek(fd, pos, SEEK_DATA);
		seeks++;
		if (d < 0 && errno != ENXIO)
			die_errno(EXIT_FAIL, "lseek SEEK_DATA failed");
		/* [pos, d) were called holes (all the rest, on ENXIO) */
		if (d < 0 || d > pos)
			vh_judge_seek(pos / PAGE_SZ, (d < 0 || d >= end ? end : d) / PAGE_SZ - 1, t0);
		if (d < 0 || d >= end)
			break;
		t0 = now_ns();
		h = lseek(fd, d, SEEK_HOLE);
		seeks++;
		if (h < 0)
			die_errno(EXIT_FAIL, "lseek SEEK_HOLE failed");
		if (h < end)
			vh_judge_seek(h / PAGE_SZ, h / PAGE_SZ, t0);	/* h's page was called a hole */
		if (h > end)
			h = end;
		if (h > d) {
			memset(seen + d / PAGE_SZ, 1, (h + PAGE_SZ - 1) / PAGE_SZ - d / PAGE_SZ);
			(*extents)++;
		}
		pos = h > d ? h : d + (off_t)PAGE_SZ;
	}
	return seeks;
}

static void vh_set_data(unsigned long p, unsigned long n, unsigned char v)
{
	for (; n--; p++)
		__atomic_store_n(&vh.data[p], v, __ATOMIC_RELEASE);
}

/* Version and data flag of pages [first, first + n), version first. */
static void vh_snapshot(unsigned long first, unsigned long n,
			unsigned int *ver, unsigned char *data)
{
	unsigned long k;

	for (k = 0; k < n; k++) {
		ver[k] = __atomic_load_n(&vh.ver[first + k], __ATOMIC_ACQUIRE);
		data[k] = __atomic_load_n(&vh.data[first + k], __ATOMIC_ACQUIRE);
	}
}

/*
 * After a walk or mincore over [first, first + n) that started with the
 * snapshot ver0/data0: a page reported without data (seen 0) that held data
 * at the start and that the balloon has not touched since (same even
 * version) is a truth-hole.  One record per run of such pages.
 */
static void vh_judge(const char *via, unsigned long first, unsigned long n,
		     const unsigned int *ver0, const unsigned char *data0,
		     const unsigned char *seen, uint64_t t0)
{
	unsigned long k, run = 0;
	bool bad;

	for (k = 0; k <= n; k++) {
		bad = k < n && !seen[k] && data0[k] && !(ver0[k] & 1) &&
		      __atomic_load_n(&vh.ver[first + k], __ATOMIC_ACQUIRE) == ver0[k];
		if (bad) {
			run++;
			continue;
		}
		if (!run)
			continue;
		vh_truth_hole(first + k - run, run, t0, via);
		run = 0;
	}
}

static bool vh_chunk_full(int c)
{
	unsigned long k;

	for (k = c * PMD_PAGES; k < (c + 1) * PMD_PAGES; k++)
		if (!__atomic_load_n(&vh.data[k], __ATOMIC_RELAXED))
			return false;
	return true;
}

/*
 * A random chunk; three times in four the first one with holes from there
 * on, if any: a collapse or registration of a full chunk tests little, and
 * after the first second most chunks are full (as khugepaged skips THPs).
 */
static int vh_pick_chunk(struct rng *r)
{
	int n = vh_chunks(), start = (int)rng_below(r, n), k, c;
	bool any = rng_below(r, 4) == 0;

	for (k = 0; k < n && !any; k++) {
		c = (start + k) % n;
		if (!vh_chunk_full(c))
			return c;
	}
	return start;
}

/* Takes the locks of the chunks that pages [p, p + n) touch, in order. */
static void vh_lock_range(unsigned long p, unsigned long n, bool reg)
{
	unsigned long c;

	for (c = p / PMD_PAGES; c <= (p + n - 1) / PMD_PAGES; c++)
		pthread_mutex_lock(reg ? &vh.ch[c].reg_lock : &vh.ch[c].state_lock);
}

static void vh_unlock_range(unsigned long p, unsigned long n, bool reg)
{
	unsigned long c;

	for (c = p / PMD_PAGES; c <= (p + n - 1) / PMD_PAGES; c++)
		pthread_mutex_unlock(reg ? &vh.ch[c].reg_lock : &vh.ch[c].state_lock);
}

/* MADV_REMOVE works on one VMA: one call per chunk the range touches. */
static void vh_madv_remove(unsigned long p, unsigned long n)
{
	unsigned long end = p + n, stop;

	for (; p < end; p = stop) {
		stop = (p / PMD_PAGES + 1) * PMD_PAGES;
		if (stop > end)
			stop = end;
		if (madvise(vh_page_addr(&vh.guest, p), (stop - p) * PAGE_SZ, MADV_REMOVE))
			die_errno(EXIT_FAIL, "madvise(MADV_REMOVE) on %s failed", vh.guest.path);
	}
}

/*
 * The balloon changes pages [p, p + n): it waits for a registration of
 * their chunks to end (reg_lock), holds off the collapser's data[] updates
 * (state_lock), and keeps their versions odd until vh_change_end() says
 * whether they hold data now. Returns when the change starts.
 */
static uint64_t vh_change_begin(unsigned long p, unsigned long n)
{
	vh_lock_range(p, n, true);
	vh_lock_range(p, n, false);
	vh_ver_bump(p, n);
	return now_ns();
}

static void vh_change_end(unsigned long p, unsigned long n, unsigned char data)
{
	vh_set_data(p, n, data);
	vh_ver_bump(p, n);
	vh_unlock_range(p, n, false);
	vh_unlock_range(p, n, true);
}

/* The guest gives pages back: the host punches them out of the file. */
static void vh_punch(unsigned long p, unsigned long n, bool remove)
{
	uint64_t t0;

	t0 = vh_change_begin(p, n);
	if (remove)
		vh_madv_remove(p, n);
	else if (fallocate(vh.guest.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   (off_t)(p * PAGE_SZ), (off_t)(n * PAGE_SZ)))
		die_errno(EXIT_FAIL, "fallocate(PUNCH_HOLE) on %s failed", vh.guest.path);
	vh_change_end(p, n, 0);
	remove ? vst.removes++ : vst.punches++;
	emit("punch ino=%lu index=%lu pages=%lu how=%s tid=%d t_ns=%llu", vh.guest.ino,
	     p, n, remove ? "madv_remove" : "fallocate", gettid_(), (unsigned long long)t0);
}

/* The guest uses the pages again: a write fault each, or the host's pwrite. */
static void vh_refault(unsigned long p, unsigned long n, bool use_pwrite)
{
	static __thread char *buf;
	unsigned long k;
	uint64_t t0;

	if (!buf && !(buf = malloc(PMD_SZ)))
		die(EXIT_FAIL, "out of memory");
	t0 = vh_change_begin(p, n);
	if (use_pwrite) {
		memset(buf, 0x6b, n * PAGE_SZ);
		pwrite_all(&vh.guest, buf, n * PAGE_SZ, (off_t)(p * PAGE_SZ));
	} else {
		for (k = p; k < p + n; k++)
			*(volatile uint64_t *)vh_page_addr(&vh.guest, k) = k;
	}
	vh_change_end(p, n, 1);
	use_pwrite ? vst.pwrites++ : vst.refaults++;
	emit("refault ino=%lu index=%lu pages=%lu how=%s tid=%d t_ns=%llu", vh.guest.ino,
	     p, n, use_pwrite ? "pwrite" : "write", gettid_(), (unsigned long long)t0);
}

static void *vh_balloon(void *arg)
{
	unsigned long p, n;
	bool remove, use_pwrite;
	long delay;
	struct rng r;

	vh_rng(&r, 1);
	while (vh_running()) {
		/* One after the other: initializers are not evaluated in order. */
		p = rng_below(&r, vh.pages);
		n = 1 + rng_below(&r, PMD_PAGES);	/* 4 KiB .. 2 MiB */
		remove = rng_below(&r, 4) == 0;
		use_pwrite = rng_below(&r, 4) == 0;
		delay = (long)rng_below(&r, VH_REFAULT_MS + 1);
		if (p + n > vh.pages)
			n = vh.pages - p;
		vh_punch(p, n, remove);
		sleep_ms(delay);
		vh_refault(p, n, use_pwrite);
	}
	return NULL;
}

/*
 * Chunk c is all data by SEEK_HOLE, under the state lock (no punch can slip
 * in between): mark it so, the collapse or refault that filled it is done.
 */
static void vh_mark_if_full(int c)
{
	unsigned char seen[PMD_PAGES];
	unsigned long k;

	pthread_mutex_lock(&vh.ch[c].state_lock);
	extent_map(vh.guest.fd, c * PMD_PAGES, PMD_PAGES, seen, NULL);
	for (k = 0; k < PMD_PAGES && seen[k]; k++)
		;
	/*
	 * A hole the collapse filled became data just now: say so in changed[]
	 * (before data[], which readers load first), or a seek that began
	 * while it was still a hole and called it one would look like a page
	 * that vanished (seen on 6.12: single-page truth-holes, no kernel bug).
	 */
	if (k == PMD_PAGES) {
		for (k = 0; k < PMD_PAGES; k++)
			if (!__atomic_load_n(&vh.data[c * PMD_PAGES + k], __ATOMIC_RELAXED))
				__atomic_store_n(&vh.changed[c * PMD_PAGES + k], now_ns(),
						 __ATOMIC_RELEASE);
		vh_set_data(c * PMD_PAGES, PMD_PAGES, 1);
	}
	pthread_mutex_unlock(&vh.ch[c].state_lock);
}

static const char *collapse_result(const struct collapse_res *r)
{
	if (r->ok)
		return "collapsed";
	return r->ret ? errno_name(r->err) : "unchanged";
}

static void vh_collapse(int c)
{
	struct vh_chunk *ch = &vh.ch[c];
	struct collapse_res r;
	unsigned long seq0, seq1;
	long reg_holes;
	bool missing;

	seq0 = __atomic_load_n(&ch->seq, __ATOMIC_ACQUIRE);
	missing = __atomic_load_n(&ch->missing, __ATOMIC_RELAXED);
	reg_holes = __atomic_load_n(&ch->holes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ch->cseq, 1, __ATOMIC_SEQ_CST);
	collapse_measure(&vh.guest, c, &r);
	if (r.ok)
		__atomic_store_n(&ch->ok_end_ns, now_ns(), __ATOMIC_RELAXED);
	__atomic_add_fetch(&ch->cseq, 1, __ATOMIC_SEQ_CST);
	seq1 = __atomic_load_n(&ch->seq, __ATOMIC_ACQUIRE);
	emit("collapse ino=%lu index=%lu nr=%lu holes=%ld ret=%d errno=%s tid=%d t_ns=%llu dur_ns=%llu addr=%p thp_before=%d pmd_mapped=%d holes_now=%ld thp=%d result=%s",
	     vh.guest.ino, c * PMD_PAGES, PMD_PAGES, r.holes, r.ret, errno_name(r.err),
	     r.tid, (unsigned long long)r.t0, (unsigned long long)r.dur_ns,
	     (void *)chunk_addr(&vh.guest, c), r.thp_before, r.pmd, r.holes_now, r.thp,
	     collapse_result(&r));
	vh_mark_if_full(c);
	vst.collapses_holes += r.holes > 0;
	/* The same MISSING registration with holes was in force all through. */
	if (seq0 != seq1 || !(seq0 & 1) || !missing || reg_holes <= 0 || r.holes <= 0)
		return;
	vst.collapses_uffd++;
	if (r.ok) {
		vst.uffd_collapses++;
		emit("truth-uffd-collapse ino=%lu index=%lu holes=%ld ret=%d errno=%s t_ns=%llu",
		     vh.guest.ino, c * PMD_PAGES, r.holes, r.ret, errno_name(r.err),
		     (unsigned long long)r.t0);
	}
}

static void *vh_collapser(void *arg)
{
	struct rng r;

	vh_rng(&r, 2);
	while (vh_running()) {
		vh_collapse(vh_pick_chunk(&r));
		sleep_ms((long)rng_below(&r, 2));
	}
	return NULL;
}

/* One extent walk over the whole file from the walker's own fd. */
static void vh_walk(int fd, unsigned char *seen)
{
	uint64_t t0;
	long seeks, extents = 0;
	unsigned long k, data_pages = 0;

	t0 = now_ns();
	seeks = vh_extent_walk(fd, seen, &extents);
	for (k = 0; k < vh.pages; k++)
		data_pages += seen[k];
	vst.walks++;
	vst.walk_seeks += seeks;
	emit("walk ino=%lu extents=%ld data_pages=%lu seeks=%ld tid=%d t_ns=%llu dur_ns=%llu",
	     vh.guest.ino, extents, data_pages, seeks, gettid_(),
	     (unsigned long long)t0, (unsigned long long)(now_ns() - t0));
}

/* mincore() of chunk c: a resident bit 0 is "no data" as SEEK_DATA's hole. */
static void vh_mincore(int c, unsigned int *ver0, unsigned char *data0, unsigned char *seen)
{
	unsigned long k, first = c * PMD_PAGES;
	uint64_t t0;
	long res;

	vh_snapshot(first, PMD_PAGES, ver0, data0);
	t0 = now_ns();
	res = chunk_resident_vec(&vh.guest, c, seen);
	if (res < 0)
		die_errno(EXIT_FAIL, "mincore of %s failed", vh.guest.path);
	for (k = 0; k < PMD_PAGES; k++)
		seen[k] &= 1;
	vh_judge("mincore", first, PMD_PAGES, ver0, data0, seen, t0);
	vst.mincores++;
	emit_mincore(&vh.guest, c, res, t0);
}

static void *vh_walker(void *arg)
{
	unsigned int *ver0 = calloc(vh.pages, sizeof(*ver0));
	unsigned char *data0 = malloc(vh.pages), *seen = malloc(vh.pages);
	struct rng r;
	int fd;

	if (!ver0 || !data0 || !seen)
		die(EXIT_FAIL, "out of memory");
	/* Its own open file, as a copier would have. */
	fd = open(vh.guest.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(EXIT_FAIL, "open of %s failed", vh.guest.path);
	vh_rng(&r, 3);
	while (vh_running()) {
		vh_walk(fd, seen);
		vh_mincore((int)rng_below(&r, vh_chunks()), ver0, data0, seen);
		sleep_ms((long)rng_below(&r, 2));
	}
	close(fd);
	free(ver0);
	free(data0);
	free(seen);
	return NULL;
}

/*
 * Holes of chunk c now, counting only pages that SEEK_DATA/SEEK_HOLE call a
 * hole and the balloon left as one: a hole reported where data is could be
 * the very bug (seed 004), and must not make a later fill look like truth.
 */
static long vh_trusted_holes(int c)
{
	unsigned char seen[PMD_PAGES];
	unsigned long k, first = c * PMD_PAGES;
	long holes = 0;

	extent_map(vh.guest.fd, first, PMD_PAGES, seen, NULL);
	for (k = 0; k < PMD_PAGES; k++)
		holes += !seen[k] && !__atomic_load_n(&vh.data[first + k], __ATOMIC_ACQUIRE);
	return holes;
}

/* Fields first, then the sequence: a collapser that saw seq saw them. */
static void vh_reg_publish(struct vh_chunk *ch, bool missing, long holes)
{
	__atomic_store_n(&ch->missing, missing, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->holes, holes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ch->seq, 1, __ATOMIC_RELEASE);
}

/* Register chunk c of the second mapping, hold it, unregister it. */
static void vh_register_cycle(int c, const struct uffd_mode *m, long hold_ms)
{
	struct vh_chunk *ch = &vh.ch[c];
	bool missing = m == UFFD_MODE_MISSING;
	long holes, holes_now, holes_after = -1;
	uint64_t reg_ns, unreg_ns, ok_end;
	unsigned long c0, c1;
	int uffd, err;

	pthread_mutex_lock(&ch->reg_lock);
	uffd = uffd_open_mode(m, vh.avail);
	err = uffd_register_chunk(uffd, &vh.post, c, m);
	if (err) {
		close(uffd);
		pthread_mutex_unlock(&ch->reg_lock);
		vst.refused++;
		return;
	}
	vst.regs++;
	holes = vh_trusted_holes(c);
	vst.regs_holes += missing && holes > 0;
	vh_reg_publish(ch, missing, holes);
	reg_ns = now_ns();
	sleep_ms(hold_ms);
	holes_now = count_holes(vh.guest.fd, (off_t)c * PMD_SZ, PMD_SZ);
	vh_reg_publish(ch, false, 0);
	unreg_ns = now_ns();
	uffd_unregister_chunk(uffd, &vh.post, c);
	vst.unregs++;
	/*
	 * A collapse still finishing when holes_now was counted (6.1 shows its
	 * not-uptodate folio as holes) filled them before the unregistration
	 * if our collapser's success returned before it: count again now, with
	 * no MADV_COLLAPSE of the chunk running across the count.
	 */
	if (missing && holes > 0 && holes_now > 0) {
		c0 = __atomic_load_n(&ch->cseq, __ATOMIC_SEQ_CST);
		holes_after = count_holes(vh.guest.fd, (off_t)c * PMD_SZ, PMD_SZ);
		c1 = __atomic_load_n(&ch->cseq, __ATOMIC_SEQ_CST);
		ok_end = __atomic_load_n(&ch->ok_end_ns, __ATOMIC_RELAXED);
		if (c0 != c1 || (c0 & 1) || ok_end <= reg_ns || ok_end >= unreg_ns)
			holes_after = -1;
	}
	/* Nobody but a collapse could fill them: the balloon waits for us. */
	if (missing && holes > 0 && (holes_now == 0 || holes_after == 0)) {
		vst.uffd_fills++;
		emit("truth-uffd-fill ino=%lu index=%lu holes=%ld seen=%s", vh.guest.ino,
		     c * PMD_PAGES, holes, holes_now == 0 ? "registered" : "after-collapse");
	}
	close(uffd);
	pthread_mutex_unlock(&ch->reg_lock);
}

static void *vh_postcopy(void *arg)
{
	const struct uffd_mode *m;
	bool minor = vh.avail & UFFD_FEATURE_MINOR_SHMEM;
	long hold, gap;
	struct rng r;
	int c;

	vh_rng(&r, 4);
	while (vh_running()) {
		c = vh_pick_chunk(&r);
		m = rng_below(&r, 2) && minor ? UFFD_MODE_MINOR : UFFD_MODE_MISSING;
		hold = 1 + (long)rng_below(&r, VH_HOLD_MS);
		gap = (long)rng_below(&r, 3);
		vh_register_cycle(c, m, hold);
		sleep_ms(gap);
	}
	return NULL;
}

/* The guest RAM file: its initial layout comes from the seed, per chunk. */
static void vh_setup(int nchunks)
{
	struct rng r;
	int c;

	vh.pages = nchunks * PMD_PAGES;
	vh.ver = calloc(vh.pages, sizeof(*vh.ver));
	vh.changed = calloc(vh.pages, sizeof(*vh.changed));
	vh.data = malloc(vh.pages);
	vh.ch = calloc(nchunks, sizeof(*vh.ch));
	if (!vh.ver || !vh.changed || !vh.data || !vh.ch)
		die(EXIT_FAIL, "out of memory");
	vh_rng(&r, 0);
	for (c = 0; c < nchunks; c++) {
		rng_chunk_layout(&r, vh.data + c * PMD_PAGES);
		pthread_mutex_init(&vh.ch[c].reg_lock, NULL);
		pthread_mutex_init(&vh.ch[c].state_lock, NULL);
	}
	file_create_map(&vh.guest, "vmhost", nchunks, 0, 0, vh.data);
	file_map(&vh.guest);
	vh.post = vh.guest;
	file_map(&vh.post);	/* same fd, its own VMAs */
	for (c = 0; c < nchunks; c++) {
		if (madvise(chunk_addr(&vh.guest, c), PMD_SZ, MADV_HUGEPAGE))
			die_errno(EXIT_FAIL, "MADV_HUGEPAGE on %s failed", vh.guest.path);
		file_touch(&vh.guest, c);	/* nothing is registered yet */
	}
	register_mm_with_khugepaged();
}

void run_vmhost(void)
{
	int secs = wl.opt.seconds ? wl.opt.seconds : VH_SECONDS;
	pthread_t th[4];
	int n = 0, k;

	if (uffd_probe(&vh.avail)) {
		skip("vmhost-uffd", errno);
	} else {
		vh.uffd = true;
	}
	emit("vmhost seed=%llu chunks=%d seconds=%d uffd=%d minor=%d",
	     (unsigned long long)wl.opt.seed, chunks(VH_CHUNKS), secs, vh.uffd,
	     !!(vh.avail & UFFD_FEATURE_MINOR_SHMEM));
	vh_setup(chunks(VH_CHUNKS));
	/* Registered chunks must never be faulted: no probe touches at all. */
	wl.probe_no_touch = true;
	vh.deadline = now_ns() + secs * 1000000000ULL;
	start_worker(&th[n++], vh_collapser, NULL);
	start_worker(&th[n++], vh_balloon, NULL);
	start_worker(&th[n++], vh_walker, NULL);
	if (vh.uffd)
		start_worker(&th[n++], vh_postcopy, NULL);
	for (k = 0; k < n; k++)
		pthread_join(th[k], NULL);
	wl.probe_no_touch = false;
	if (kht_pmd_release(&vh.post.area))
		die_errno(EXIT_FAIL, "munmap of %s failed", vh.post.path);
	file_destroy(&vh.guest);
}

void vmhost_summary(char *buf, size_t len)
{
	snprintf(buf, len,
		 " seed=%llu punches=%ld removes=%ld refaults=%ld pwrites=%ld walks=%ld walk_seeks=%ld mincores=%ld uffd_registrations=%ld uffd_refused=%ld uffd_unregistrations=%ld truth_holes=%ld truth_hole_pages=%ld uffd_fills=%ld uffd_collapses=%ld missing_regs_with_holes=%ld collapses_with_holes=%ld collapses_in_missing_with_holes=%ld",
		 (unsigned long long)wl.opt.seed, vst.punches, vst.removes,
		 vst.refaults, vst.pwrites, vst.walks, vst.walk_seeks,
		 vst.mincores, vst.regs, vst.refused, vst.unregs,
		 vst.truth_holes, vst.truth_hole_pages, vst.uffd_fills,
		 vst.uffd_collapses, vst.regs_holes, vst.collapses_holes,
		 vst.collapses_uffd);
}
