// SPDX-License-Identifier: GPL-2.0
/*
 * random: a reproducible random mix of collapses, writes, punches and
 * userfaultfd registrations over a few files, judged by a seek thread.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

/*
 * A reproducible random mix over RF files of RC chunks: the main thread's
 * choices come from an xorshift64* PRNG seeded by --seed (a fixed number of
 * draws per step), each file incarnation's layout from its own stream; only
 * the collapse outcomes decide when a file is recreated.  A seek thread
 * checks SEEK_DATA/SEEK_HOLE on the chunks the main thread publishes as
 * "stable full" (never written, punched or replaced while published) and
 * now and then mincore()s a chunk.
 */
#define RF		4	/* files */
#define RC		2	/* chunks per file */
#define R_CHUNKS	(RF * RC)
#define R_MINCORE_MAX	1000	/* mincore records of the seek thread */
#define R_MINCORE_NS	20000000ULL	/* one mincore per 20 ms at most */
#define R_WRITE_MAX	32	/* pages per write step */
#define R_PUNCH_MAX	8	/* pages per punch step */

static struct tfile rfile[RF];
static unsigned char rwmap[RF][RC * PMD_PAGES];
static struct {
	int uffd;			/* -1: not registered */
	const struct uffd_mode *mode;
	bool collapsed;			/* last collapse succeeded, no punch since */
} rchunk[R_CHUNKS];

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool seekable[R_CHUNKS];	/* stable full: every page is data */
	bool mapped[RF];		/* rfile[fi] exists and is mapped */
	int busy_chunk;			/* chunk the seek thread is judging, or -1 */
	int busy_file;			/* file whose mapping it uses, or -1 */
	volatile int stop;
} rsync_ = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
	.busy_chunk = -1, .busy_file = -1,
};

static struct {
	long steps, writes, punches, regs, refused, unregs, fills, mincores, recreated;
} rst;

static uint64_t r_avail;	/* userfaultfd API features; r_uffd: usable at all */
static bool r_uffd;

static bool r_chunk_full(int c)
{
	const unsigned char *w = rwmap[c / RC] + (c % RC) * PMD_PAGES;
	unsigned long k;

	for (k = 0; k < PMD_PAGES; k++)
		if (!w[k])
			return false;
	return true;
}

/* Publishes chunk c to the seek thread if it is fully written. */
static void r_publish(int c)
{
	bool full = r_chunk_full(c);

	pthread_mutex_lock(&rsync_.lock);
	rsync_.seekable[c] = full;
	pthread_mutex_unlock(&rsync_.lock);
}

/* Takes chunk c from the seek thread and waits until it has left it. */
static void r_unpublish(int c)
{
	pthread_mutex_lock(&rsync_.lock);
	rsync_.seekable[c] = false;
	while (rsync_.busy_chunk == c)
		pthread_cond_wait(&rsync_.cond, &rsync_.lock);
	pthread_mutex_unlock(&rsync_.lock);
}

/* Both chunks unpublished, and the seek thread off the file's mapping. */
static void r_release_file(int fi)
{
	int k;

	pthread_mutex_lock(&rsync_.lock);
	for (k = 0; k < RC; k++)
		rsync_.seekable[fi * RC + k] = false;
	rsync_.mapped[fi] = false;
	while (rsync_.busy_file == fi ||
	       (rsync_.busy_chunk >= 0 && rsync_.busy_chunk / RC == fi))
		pthread_cond_wait(&rsync_.cond, &rsync_.lock);
	pthread_mutex_unlock(&rsync_.lock);
}

/* A new file fi (ino and layout: rng_chunk_layout() per chunk). */
static void r_file_create(int fi)
{
	static unsigned int gen[RF];
	unsigned char *w = rwmap[fi];
	struct rng rr, *r = &rr;
	int k;

	/* Its own stream: the layout of file fi's g-th incarnation is fixed. */
	rng_seed(r, splitmix64(wl.opt.seed) ^ ((uint64_t)fi << 32 | gen[fi]++));
	for (k = 0; k < RC; k++)
		rng_chunk_layout(r, w + k * PMD_PAGES);
	file_create_map(&rfile[fi], "random", RC, 0, 0, w);
	file_map(&rfile[fi]);
	pthread_mutex_lock(&rsync_.lock);
	rsync_.mapped[fi] = true;
	pthread_mutex_unlock(&rsync_.lock);
	for (k = 0; k < RC; k++) {
		file_touch(&rfile[fi], k);	/* nothing is registered yet */
		rchunk[fi * RC + k].uffd = -1;
		rchunk[fi * RC + k].collapsed = false;
		r_publish(fi * RC + k);
	}
}

static void r_file_destroy(int fi)
{
	r_release_file(fi);
	file_destroy(&rfile[fi]);
}

static void r_collapse(int c)
{
	struct tfile *f = &rfile[c / RC];
	struct collapse_res r;
	int i = c % RC;
	bool ok;

	wl.probe_no_touch = rchunk[c].uffd >= 0;
	ok = collapse_chunk(f, i, &r);
	wl.probe_no_touch = false;
	if (rchunk[c].uffd >= 0 && rchunk[c].mode == UFFD_MODE_MISSING &&
	    r.holes > 0 && r.holes_now == 0) {
		rst.fills++;
		emit("truth-uffd-fill ino=%lu index=%lu holes=%ld", f->ino,
		     i * PMD_PAGES, r.holes);
	}
	rchunk[c].collapsed = ok;
	/* A collapsed chunk with no holes left is one THP: every page is data. */
	if (ok && r.holes_now == 0) {
		memset(rwmap[c / RC] + i * PMD_PAGES, 1, PMD_PAGES);
		r_publish(c);
	}
}

/* The random numbers of one step, all drawn whatever the step does. */
struct rstep {
	unsigned long chunk, action, first, pages, refill, mode;
};

static void r_write_punch(const struct rstep *d, int c, bool punch)
{
	static char buf[R_WRITE_MAX * PAGE_SZ];
	struct tfile *f = &rfile[c / RC];
	unsigned char *w = rwmap[c / RC] + (c % RC) * PMD_PAGES;
	unsigned long first, n, k, max = punch ? R_PUNCH_MAX : R_WRITE_MAX;
	uint64_t t0;

	first = d->first;
	n = 1 + d->pages % max;
	/* Half the writes refill the hole run at or after first (wrapping). */
	if (!punch && d->refill) {
		for (k = 0; k < PMD_PAGES && w[(first + k) % PMD_PAGES]; k++)
			;
		if (k < PMD_PAGES) {
			first = (first + k) % PMD_PAGES;
			for (n = 0; first + n < PMD_PAGES && n < max && !w[first + n]; n++)
				;
		}
	}
	if (first + n > PMD_PAGES)
		n = PMD_PAGES - first;
	r_unpublish(c);
	t0 = now_ns();
	if (punch) {
		if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)((c % RC) * PMD_PAGES + first) * PAGE_SZ,
			      (off_t)n * PAGE_SZ))
			die_errno(EXIT_FAIL, "fallocate(PUNCH_HOLE) on %s failed", f->path);
		memset(w + first, 0, n);
		rchunk[c].collapsed = false;
		rst.punches++;
	} else {
		if (!buf[0])
			memset(buf, 0x5a, sizeof(buf));
		pwrite_all(f, buf, n * PAGE_SZ,
			   (off_t)((c % RC) * PMD_PAGES + first) * PAGE_SZ);
		memset(w + first, 1, n);
		rst.writes++;
	}
	emit("%s ino=%lu index=%lu pages=%lu tid=%d t_ns=%llu",
	     punch ? "punch" : "write", f->ino, (c % RC) * PMD_PAGES + first, n,
	     gettid_(), (unsigned long long)t0);
	r_publish(c);
}

static void r_register(const struct rstep *d, int c)
{
	const struct uffd_mode *m[3];
	int nm = 0, uffd, err;

	m[nm++] = UFFD_MODE_MISSING;
	if (r_avail & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)
		m[nm++] = UFFD_MODE_WP;
	if (r_avail & UFFD_FEATURE_MINOR_SHMEM)
		m[nm++] = UFFD_MODE_MINOR;
	rchunk[c].mode = m[d->mode % nm];
	uffd = uffd_open_mode(rchunk[c].mode, r_avail);
	err = uffd_register_chunk(uffd, &rfile[c / RC], c % RC, rchunk[c].mode);
	if (err) {
		close(uffd);
		rst.refused++;
		return;
	}
	rchunk[c].uffd = uffd;
	rst.regs++;
}

static void r_unregister(int c)
{
	uffd_unregister_chunk(rchunk[c].uffd, &rfile[c / RC], c % RC);
	close(rchunk[c].uffd);
	rchunk[c].uffd = -1;
	rst.unregs++;
}

/*
 * Every step draws the same six numbers, so the n-th step picks the same
 * chunk and action in every run with this seed, whatever the collapses did.
 */
static void r_step(struct rng *r)
{
	struct rstep d;
	unsigned long a;
	int c, fi, k;
	bool again = true;

	/* One after the other: initializers are not evaluated in order. */
	d.chunk = rng_below(r, R_CHUNKS);
	d.action = rng_below(r, 100);
	d.first = rng_below(r, PMD_PAGES);
	d.pages = rng_below(r, R_WRITE_MAX);
	d.refill = rng_below(r, 2);
	d.mode = rng_below(r, 6);
	c = (int)d.chunk;
	fi = c / RC;
	a = d.action;

	rst.steps++;
	if (rchunk[c].uffd >= 0) {
		/* Registered: no writes, no punches, nothing that faults. */
		if (a < 55)
			r_collapse(c);
		else
			r_unregister(c);
	} else if (a < 30) {
		r_collapse(c);
	} else if (a < 55 || (a >= 75 && !r_uffd)) {
		r_write_punch(&d, c, false);
	} else if (a < 75) {
		r_write_punch(&d, c, true);
	} else {
		r_register(&d, c);
	}
	/* A file whose chunks are all collapsed (and free) is replaced. */
	for (k = 0; k < RC; k++)
		again &= rchunk[fi * RC + k].collapsed && rchunk[fi * RC + k].uffd < 0;
	if (again) {
		r_file_destroy(fi);
		r_file_create(fi);
		rst.recreated++;
	}
}

/* Chunk [start, start + PMD_SZ) is fully written: all of it must be data. */
static void r_judge(const struct tfile *f, off_t start, off_t off)
{
	off_t end = start + PMD_SZ, d, h;

	d = seek_op(f, f->fd, off, SEEK_DATA);
	if (d < 0 && errno != ENXIO)
		die_errno(EXIT_FAIL, "lseek SEEK_DATA on %s failed", f->path);
	if (d != off)
		anomaly(f, "SEEK_DATA", off, d < 0 ? -1 : d);
	h = seek_op(f, f->fd, off, SEEK_HOLE);
	if (h < 0)
		die_errno(EXIT_FAIL, "lseek SEEK_HOLE on %s failed", f->path);
	if (h < end)
		anomaly(f, "SEEK_HOLE", off, h);
}

static void *r_seek_thread(void *arg)
{
	struct rng r;
	struct tfile snap = { .ino = 0 };
	uint64_t next_mincore = now_ns() + R_MINCORE_NS;
	int last = 0, k, c, fi;
	bool ok;

	rng_seed(&r, wl.opt.seed ^ 0x5eeca11ULL);
	while (!rsync_.stop) {
		if (rst.mincores < R_MINCORE_MAX && now_ns() >= next_mincore) {
			/* Any chunk: mincore() reads, it never faults. */
			c = (int)rng_below(&r, R_CHUNKS);
			fi = c / RC;
			pthread_mutex_lock(&rsync_.lock);
			ok = rsync_.mapped[fi];
			if (ok) {
				rsync_.busy_file = fi;
				snap = rfile[fi];
			}
			pthread_mutex_unlock(&rsync_.lock);
			if (ok) {
				mincore_chunk(&snap, c % RC);
				rst.mincores++;
				pthread_mutex_lock(&rsync_.lock);
				rsync_.busy_file = -1;
				pthread_cond_broadcast(&rsync_.cond);
				pthread_mutex_unlock(&rsync_.lock);
			}
			next_mincore = now_ns() + R_MINCORE_NS;
		}
		pthread_mutex_lock(&rsync_.lock);
		for (k = 1, c = -1; k <= R_CHUNKS; k++)
			if (rsync_.seekable[(last + k) % R_CHUNKS]) {
				c = (last + k) % R_CHUNKS;
				break;
			}
		if (c >= 0) {
			rsync_.busy_chunk = c;
			snap = rfile[c / RC];
		}
		pthread_mutex_unlock(&rsync_.lock);
		if (c < 0) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
			continue;
		}
		last = c;
		r_judge(&snap, (off_t)(c % RC) * PMD_SZ, (off_t)(c % RC) * PMD_SZ);
		r_judge(&snap, (off_t)(c % RC) * PMD_SZ,
			(off_t)((c % RC) * PMD_PAGES + rng_below(&r, PMD_PAGES)) * PAGE_SZ);
		pthread_mutex_lock(&rsync_.lock);
		rsync_.busy_chunk = -1;
		pthread_cond_broadcast(&rsync_.cond);
		pthread_mutex_unlock(&rsync_.lock);
	}
	emit("seek tid=%d ino=%lu seeks=%ld anomalies=%ld", gettid_(),
	     snap.ino, wl.st.seeks, wl.st.anomalies);
	return NULL;
}

void run_random(void)
{
	int secs = wl.opt.seconds ? wl.opt.seconds : 5, fi, c;
	uint64_t deadline;
	struct rng r;
	pthread_t th;

	rng_seed(&r, wl.opt.seed);
	emit("random seed=%llu files=%d chunks=%d seconds=%d log_seeks=%ld",
	     (unsigned long long)wl.opt.seed, RF, RC, secs, wl.opt.log_seeks);
	if (uffd_probe(&r_avail)) {
		int err = errno;

		fprintf(stderr, "%s: userfaultfd is not available (%s); random runs without registrations\n",
			wl_prog, strerror(err));
		emit("skip scenario=random-uffd errno=%s", errno_name(err));
		wl.st.uffd_skipped++;
	} else {
		r_uffd = true;
	}
	for (fi = 0; fi < RF; fi++)
		r_file_create(fi);
	start_worker(&th, r_seek_thread, NULL);
	deadline = now_ns() + secs * 1000000000ULL;
	while (now_ns() < deadline)
		r_step(&r);
	for (c = 0; c < R_CHUNKS; c++)
		if (rchunk[c].uffd >= 0)
			r_unregister(c);
	rsync_.stop = 1;
	pthread_join(th, NULL);
	for (fi = 0; fi < RF; fi++)
		r_file_destroy(fi);
}

void random_summary(char *buf, size_t len)
{
	snprintf(buf, len,
		 " seed=%llu steps=%ld writes=%ld punches=%ld uffd_registrations=%ld uffd_refused=%ld uffd_unregistrations=%ld uffd_fills=%ld mincores=%ld recreated=%ld",
		 (unsigned long long)wl.opt.seed, rst.steps, rst.writes,
		 rst.punches, rst.regs, rst.refused, rst.unregs, rst.fills,
		 rst.mincores, rst.recreated);
}
