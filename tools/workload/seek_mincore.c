// SPDX-License-Identifier: GPL-2.0
/*
 * SEEK_DATA/SEEK_HOLE and mincore() racing collapses: the seek-storm and
 * mincore-loop scenarios, and the seek threads and mincore records other
 * scenarios reuse (timeline, random, vmhost, file-collapse). A seek thread
 * judges every answer against the pages the file was written with: a
 * written page that reads as a hole is an anomaly record.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "workload.h"

/* -- seek-storm -- */

static struct {
	pthread_mutex_t lock;
	struct tfile *cur;	/* fully written file, or NULL between files */
	volatile int stop;
	volatile int started;	/* the seek thread has made its first seek */
	long budget;		/* the seek thread stops after this many; 0: no limit */
} storm = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool seeks_spent(void)
{
	return storm.budget && wl.st.seeks >= storm.budget;
}

/* lseek() that counts, and prints the first wl.opt.log_seeks as seek-op lines. */
off_t seek_op(const struct tfile *f, int fd, off_t off, int whence)
{
	bool log = wl.st.seeks++ < wl.opt.log_seeks;
	uint64_t t0 = log ? now_ns() : 0;	/* unlogged: exactly the old timing */
	off_t got = lseek(fd, off, whence);
	int err = got < 0 ? errno : 0;

	if (log)
		emit("seek-op tid=%d ino=%lu whence=%s offset=%lld got=%lld errno=%s t_ns=%llu",
		     gettid_(), f->ino, whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE",
		     (long long)off, (long long)got, errno_name(err),
		     (unsigned long long)t0);
	if (!storm.started)
		__atomic_store_n(&storm.started, 1, __ATOMIC_RELEASE);
	errno = err;
	return got;
}

/* Byte offset of the first written page at or after off, or size if none. */
static off_t next_written(const struct tfile *f, off_t off)
{
	unsigned long p, total = f->nchunks * PMD_PAGES;

	for (p = off / PAGE_SZ; p < total; p++)
		if (page_written(f, p))
			return (off_t)(p * PAGE_SZ) > off ? (off_t)(p * PAGE_SZ) : off;
	return file_size(f);
}

void anomaly(const struct tfile *f, const char *whence, off_t off, off_t got)
{
	if (++wl.st.anomalies > MAX_ANOMALY_LINES)
		return;
	emit("anomaly ino=%lu whence=%s offset=%lld got=%lld t_ns=%llu",
	     f->ino, whence, (long long)off, (long long)got,
	     (unsigned long long)now_ns());
}

/*
 * Written pages must always read as data.  Pages left as holes may turn into
 * data when a collapse fills them, so for those either answer is right.
 */
static void seek_walk(const struct tfile *f, int fd)
{
	off_t off = 0, size = file_size(f), d, h, want;

	while (off < size && !seeks_spent()) {
		want = next_written(f, off);
		d = seek_op(f, fd, off, SEEK_DATA);
		if (d < 0) {
			if (errno != ENXIO)
				die_errno(EXIT_FAIL, "lseek SEEK_DATA on %s failed", f->path);
			if (want < size)
				anomaly(f, "SEEK_DATA", off, -1);
			return;
		}
		if (d > want)
			anomaly(f, "SEEK_DATA", off, d);
		if (seeks_spent())
			return;
		h = seek_op(f, fd, d, SEEK_HOLE);
		if (h < 0)
			die_errno(EXIT_FAIL, "lseek SEEK_HOLE on %s failed", f->path);
		if (h < size && page_written(f, h / PAGE_SZ))
			anomaly(f, "SEEK_HOLE", d, h);
		off = h > d ? h : d + (off_t)PAGE_SZ;
	}
}

static void *seek_thread(void *arg)
{
	struct tfile snap = { .ino = 0 };
	int fd;

	while (!storm.stop && !seeks_spent()) {
		pthread_mutex_lock(&storm.lock);
		fd = -1;
		if (storm.cur) {
			snap = *storm.cur;
			/* Our own fd: the file may be closed and unlinked under us. */
			fd = dup(snap.fd);
			if (fd < 0)
				die_errno(EXIT_FAIL, "dup failed");
		}
		pthread_mutex_unlock(&storm.lock);
		if (fd < 0) {
			sched_yield();
			continue;
		}
		seek_walk(&snap, fd);
		close(fd);
	}
	emit("seek tid=%d ino=%lu seeks=%ld anomalies=%ld", gettid_(),
	     snap.ino, wl.st.seeks, wl.st.anomalies);
	return NULL;
}

/*
 * Re-collapsing the same range would first need a split, so instead every
 * round uses a new file: collapse each chunk once, drop it, start over.
 */
void run_seek_storm(void)
{
	int i, secs = wl.opt.seconds ? wl.opt.seconds : 3, rounds = 0;
	uint64_t deadline = now_ns() + secs * 1000000000ULL;
	pthread_t th;
	struct tfile f;

	start_worker(&th, seek_thread, NULL);
	do {
		/* Even chunks fully written, odd ones with a hole every 16th page. */
		file_create(&f, "seek", chunks(8), 0, 16);
		file_map(&f);
		for (i = 0; i < f.nchunks; i++)
			file_touch(&f, i);
		pthread_mutex_lock(&storm.lock);
		storm.cur = &f;
		pthread_mutex_unlock(&storm.lock);
		for (i = 0; i < f.nchunks; i++)
			collapse_chunk(&f, i, NULL);
		pthread_mutex_lock(&storm.lock);
		storm.cur = NULL;
		pthread_mutex_unlock(&storm.lock);
		file_destroy(&f);
		rounds++;
	} while (now_ns() < deadline);
	storm.stop = 1;
	pthread_join(th, NULL);
	vlog("seek-storm: %d rounds", rounds);
}

/* seek-storm's walk, paced: one walk every 2 ms (file-collapse). */
static void *paced_seek_thread(void *arg)
{
	struct tfile *f = arg;
	int fd = dup(f->fd);

	if (fd < 0)
		die_errno(EXIT_FAIL, "dup failed");
	while (!storm.stop && !seeks_spent()) {
		seek_walk(f, fd);
		sleep_ms(2);
	}
	close(fd);
	emit("seek tid=%d ino=%lu seeks=%ld anomalies=%ld", gettid_(),
	     f->ino, wl.st.seeks, wl.st.anomalies);
	return NULL;
}

void seek_paced_start(pthread_t *th, struct tfile *f, long budget)
{
	storm.budget = budget;
	start_worker(th, paced_seek_thread, f);
	wait_flag(&storm.started);
}

void seek_paced_stop(pthread_t th)
{
	storm.stop = 1;
	pthread_join(th, NULL);
}

/* The seek-storm thread on one file until budget seeks (timeline). */
void seek_budget_start(pthread_t *th, struct tfile *f, long budget)
{
	storm.budget = budget;
	storm.cur = f;
	start_worker(th, seek_thread, NULL);
	wait_flag(&storm.started);
}

void seek_budget_join(pthread_t th)
{
	pthread_join(th, NULL);
	storm.cur = NULL;
}

/* -- mincore-loop -- */

/* Pages of chunk i that mincore() reports resident; -1 with errno set. */
long chunk_resident_vec(const struct tfile *f, int i, unsigned char *vec)
{
	unsigned long k;
	long n = 0;

	if (mincore(chunk_addr(f, i), PMD_SZ, vec))
		return -1;
	for (k = 0; k < PMD_PAGES; k++)
		n += vec[k] & 1;
	return n;
}

static long chunk_resident(const struct tfile *f, int i)
{
	unsigned char vec[PMD_PAGES];

	return chunk_resident_vec(f, i, vec);
}

void emit_mincore(const struct tfile *f, int i, long res, uint64_t t0)
{
	emit("mincore ino=%lu index=%lu nr=%lu addr=%p len=%lu resident=%ld ret=0 tid=%d t_ns=%llu",
	     f->ino, i * PMD_PAGES, PMD_PAGES, (void *)chunk_addr(f, i), PMD_SZ,
	     res, gettid_(), (unsigned long long)t0);
}

void mincore_chunk(const struct tfile *f, int i)
{
	uint64_t t0 = now_ns();
	long res = chunk_resident(f, i);

	if (res < 0)
		die_errno(EXIT_FAIL, "mincore of %s failed", f->path);
	emit_mincore(f, i, res, t0);
}

static struct {
	volatile int stop;
	volatile int started;	/* one pass over all chunks is done */
} mstorm;

/* mincore() over every chunk until stopped; one summary line, no per-call lines. */
static void *mincore_thread(void *arg)
{
	const struct tfile *f = arg;
	long calls = 0, lo = LONG_MAX, hi = -1, r;
	int i;

	while (!mstorm.stop) {
		for (i = 0; i < f->nchunks; i++) {
			r = chunk_resident(f, i);
			if (r < 0)
				die_errno(EXIT_FAIL, "mincore of %s failed", f->path);
			calls++;
			lo = r < lo ? r : lo;
			hi = r > hi ? r : hi;
		}
		__atomic_store_n(&mstorm.started, 1, __ATOMIC_RELEASE);
	}
	emit("mincore-storm tid=%d calls=%ld min_resident=%ld max_resident=%ld",
	     gettid_(), calls, lo, hi);
	return NULL;
}

/* mincore, MADV_COLLAPSE, mincore; with -s a second thread storms mincore. */
void run_mincore_loop(void)
{
	uint64_t deadline = now_ns() + wl.opt.seconds * 1000000000ULL;
	struct tfile f;
	pthread_t th;
	int i;

	/* Chunk 0 fully written, chunk 1 (every odd chunk) every 16th page a hole. */
	file_create(&f, "mincore", chunks(2), 0, 16);
	file_map(&f);
	for (i = 0; i < f.nchunks; i++)
		file_touch(&f, i);
	for (i = 0; i < f.nchunks; i++)
		mincore_chunk(&f, i);
	if (wl.opt.seconds) {
		start_worker(&th, mincore_thread, &f);
		wait_flag(&mstorm.started);
	}
	for (i = 0; i < f.nchunks; i++)
		collapse_chunk(&f, i, NULL);
	if (wl.opt.seconds) {
		while (now_ns() < deadline)
			sleep_ms(10);
		mstorm.stop = 1;
		pthread_join(th, NULL);
	}
	for (i = 0; i < f.nchunks; i++)
		mincore_chunk(&f, i);
	file_destroy(&f);
}

/* -- seek-migrate -- */

/*
 * A SEEK_DATA that sleeps on its inode's lock (shmem_file_llseek takes it;
 * a long write holds it) and is moved to another CPU meanwhile: its entry
 * and its exit run on different CPUs, the case the tracer's per-CPU pending
 * slots must survive (bpf/seek.bpf.c). The seek is moved only once it is
 * seen asleep (state D); an attempt whose seek got the lock first is made
 * again, up to MIGRATE_TRIES. One seek-migrate record says where the seek
 * began and ended. The chunk is collapsed after, so that the inode has a
 * story to find the seek in.
 */
#define MIGRATE_WRITE_MB 128
#define MIGRATE_TRIES 5
#define MIGRATE_OFFSET (7 * PAGE_SZ)	/* no other seek of the scenario asks here */

static struct {
	struct tfile *f;
	volatile int writing, seeking, sought;
	int tid, cpu_before, cpu_after, err;
	off_t got;
	uint64_t t0, t1;
} mig;

static int pin_to(int tid, int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(tid, sizeof(s), &s);
}

static void *mig_writer(void *arg)
{
	size_t len = (size_t)MIGRATE_WRITE_MB << 20;
	char *buf = arg;

	if (pin_to(0, 1))
		die_errno(EXIT_FAIL, "pinning the writer to CPU 1 failed");
	__atomic_store_n(&mig.writing, 1, __ATOMIC_RELEASE);
	/* past the chunk: the seek's answer does not change */
	pwrite_all(mig.f, buf, len, file_size(mig.f) + PMD_SZ);
	return NULL;
}

static void *mig_seeker(void *arg)
{
	(void)arg;
	if (pin_to(0, 0))
		die_errno(EXIT_FAIL, "pinning the seeker to CPU 0 failed");
	mig.tid = gettid_();
	mig.cpu_before = sched_getcpu();
	__atomic_store_n(&mig.seeking, 1, __ATOMIC_RELEASE);
	mig.t0 = now_ns();
	mig.got = lseek(mig.f->fd, MIGRATE_OFFSET, SEEK_DATA);
	mig.err = mig.got < 0 ? errno : 0;
	mig.t1 = now_ns();
	mig.cpu_after = sched_getcpu();
	__atomic_store_n(&mig.sought, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The thread's scheduler state letter (/proc/self/task/TID/stat), or 0. */
static char task_state(int tid)
{
	char path[64], buf[256], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	p = p ? strrchr(buf, ')') : NULL;	/* comm may hold spaces */
	return p && p[1] == ' ' ? p[2] : 0;
}

/* One try: true if the seek slept on the lock and was moved while asleep. */
static bool mig_try(char *buf)
{
	pthread_t w, s;
	bool moved = false;

	mig.writing = mig.seeking = mig.sought = 0;
	if (ftruncate(mig.f->fd, file_size(mig.f)))
		die_errno(EXIT_FAIL, "truncating %s failed", mig.f->path);
	start_worker(&w, mig_writer, buf);
	wait_flag(&mig.writing);
	start_worker(&s, mig_seeker, NULL);
	wait_flag(&mig.seeking);
	while (!__atomic_load_n(&mig.sought, __ATOMIC_ACQUIRE)) {
		if (task_state(mig.tid) == 'D') {
			moved = !pin_to(mig.tid, 1);	/* it resumes where the writer runs */
			break;
		}
		sched_yield();
	}
	pthread_join(s, NULL);
	pthread_join(w, NULL);
	return moved && mig.cpu_after != mig.cpu_before;
}

void run_seek_migrate(void)
{
	size_t len = (size_t)MIGRATE_WRITE_MB << 20;
	struct tfile f;
	char *buf;
	int tries = 0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip("seek-migrate", ENODEV);	/* one CPU: nowhere to move to */
		return;
	}
	buf = malloc(len);
	if (!buf)
		die(EXIT_FAIL, "out of memory");
	memset(buf, 'w', len);
	file_create(&f, "migrate", 1, 0, 0);
	file_map(&f);
	file_touch(&f, 0);
	mig.f = &f;
	while (tries++ < MIGRATE_TRIES && !mig_try(buf))
		;
	free(buf);
	if (ftruncate(f.fd, file_size(&f)))
		die_errno(EXIT_FAIL, "truncating %s failed", f.path);
	emit("seek-migrate tid=%d ino=%lu whence=SEEK_DATA offset=%lld got=%lld errno=%s cpu_before=%d cpu_after=%d tries=%d t_ns=%llu dur_ns=%llu",
	     mig.tid, f.ino, (long long)MIGRATE_OFFSET, (long long)mig.got, errno_name(mig.err),
	     mig.cpu_before, mig.cpu_after, tries > MIGRATE_TRIES ? MIGRATE_TRIES : tries,
	     (unsigned long long)mig.t0, (unsigned long long)(mig.t1 - mig.t0));
	collapse_chunk(&f, 0, NULL);
	file_destroy(&f);
}
