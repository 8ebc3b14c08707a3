// SPDX-License-Identifier: GPL-2.0
/*
 * sparse-copy: GNU cp --sparse=always copying a sparse tmpfs file while its
 * chunks are collapsed; every copy is checked page by page (truth records).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "workload.h"

/*
 * A real client of SEEK_DATA/SEEK_HOLE: GNU cp copying a sparse tmpfs file
 * whose chunks are being collapsed.  Every 2 MiB chunk holds 511 stamped
 * pages and a 4 KiB hole at its end, so each collapse fills a hole; the
 * collapser punches it again, which keeps the chunks collapsible.  The
 * source's content never changes (a hole and a collapse-filled page both
 * read as zeros), so every copy must equal cpy_stamp() page by page.
 */
#define CPY_SECONDS	10
#define CPY_TRUTH_LINES	1000

static struct {
	struct tfile src;
	char dst[512];
	const char *cp;
	volatile int stop;
} cpy;

static struct {
	long copies, corrupt, bad_pages, truth_lines, repunches, repunch_kept;
} cst;

static bool cpy_is_hole(unsigned long p)
{
	return p % PMD_PAGES == PMD_PAGES - 1;
}

/* Page p's expected content: zeros for a hole, else (p + 1, word) stamps. */
static void cpy_stamp(unsigned long p, uint64_t *page)
{
	unsigned long w;

	for (w = 0; w < PAGE_SZ / 8; w++)
		page[w] = cpy_is_hole(p) ? 0 : ((uint64_t)(p + 1) << 32 | w);
}

static void cpy_stamp_chunk(unsigned long first, char *buf)
{
	unsigned long k;

	for (k = 0; k < PMD_PAGES; k++)
		cpy_stamp(first + k, (uint64_t *)(buf + k * PAGE_SZ));
}

/* file_create_map() wrote a plain pattern; stamp each data page instead. */
static void cpy_write_src(char *buf)
{
	int c;

	for (c = 0; c < cpy.src.nchunks; c++) {
		cpy_stamp_chunk(c * PMD_PAGES, buf);
		pwrite_all(&cpy.src, buf, (PMD_PAGES - 1) * PAGE_SZ, (off_t)c * PMD_SZ);
	}
}

/*
 * The default copier: /bin/cp, unless that is busybox (whose cp does not
 * look for holes with SEEK_DATA) and the GNU cp of our initramfs is there.
 */
static const char *cpy_default_cp(void)
{
	char real[PATH_MAX];
	const char *base;

	if (!realpath("/bin/cp", real))
		return access(CPY_LIBEXEC_CP, X_OK) ? "/bin/cp" : CPY_LIBEXEC_CP;
	base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	if (!strcmp(base, "busybox")) {
		if (!access(CPY_LIBEXEC_CP, X_OK))
			return CPY_LIBEXEC_CP;
		fprintf(stderr, "%s: /bin/cp is busybox, which does not use SEEK_DATA/SEEK_HOLE, and %s is missing: the copies will not exercise them\n",
			wl_prog, CPY_LIBEXEC_CP);
	}
	return "/bin/cp";
}

/* cp --sparse=always SRC DST in a child with default signal handling. */
static int cpy_run_cp(void)
{
	char *argv[] = { (char *)cpy.cp, "--sparse=always", cpy.src.path, cpy.dst, NULL };
	extern char **environ;
	posix_spawnattr_t sa;
	sigset_t none, all;
	pid_t pid;
	int err, status;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&sa);
	/* Or a signal before exec would run our cleanup in the child. */
	posix_spawnattr_setsigdefault(&sa, &all);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	err = posix_spawn(&pid, cpy.cp, NULL, &sa, argv, environ);
	posix_spawnattr_destroy(&sa);
	if (err)
		die(EXIT_FAIL, "cannot run %s: %s", cpy.cp, strerror(err));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(EXIT_FAIL, "waitpid for %s failed", cpy.cp);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Are pages [first, first + n) of SRC itself as expected? */
static bool cpy_src_ok(unsigned long first, unsigned long n, char *buf, char *want)
{
	unsigned long k;

	for (k = first; k < first + n; k++) {
		if (pread(cpy.src.fd, buf, PAGE_SZ, (off_t)(k * PAGE_SZ)) != (ssize_t)PAGE_SZ)
			return false;
		cpy_stamp(k, (uint64_t *)want);
		if (memcmp(buf, want, PAGE_SZ))
			return false;
	}
	return true;
}

static bool page_is_zero(const char *p)
{
	unsigned long k;

	for (k = 0; k < PAGE_SZ; k++)
		if (p[k])
			return false;
	return true;
}

static void cpy_report_run(unsigned long first, unsigned long n, unsigned long zeros,
			   long k, uint64_t t0, char *buf, char *want)
{
	cst.bad_pages += n;
	if (cst.truth_lines++ >= CPY_TRUTH_LINES)
		return;
	emit("truth-corrupt-copy ino=%lu index=%lu pages=%lu copy=%ld t_ns=%llu zero_pages=%lu src_ok=%d",
	     cpy.src.ino, first, n, k, (unsigned long long)t0, zeros,
	     cpy_src_ok(first, n, buf, want));
}

/*
 * DST against the expected content, page by page; one truth record per run
 * of differing pages.  Returns the number of differing pages.
 */
static long cpy_compare(long k, uint64_t t0, char *blk, char *want)
{
	unsigned long p, c, run = 0, zeros = 0, pages = cpy.src.nchunks * PMD_PAGES;
	long bad = 0;
	ssize_t got;
	bool differs;
	int fd = open(cpy.dst, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno(EXIT_FAIL, "open of the copy %s failed", cpy.dst);
	for (c = 0; c < (unsigned long)cpy.src.nchunks; c++) {
		got = pread(fd, blk, PMD_SZ, (off_t)c * PMD_SZ);
		if (got < 0)
			die_errno(EXIT_FAIL, "read of the copy %s failed", cpy.dst);
		/* A short copy: the missing tail differs from anything expected. */
		memset(blk + got, 0xff, PMD_SZ - got);
		cpy_stamp_chunk(c * PMD_PAGES, want);
		for (p = c * PMD_PAGES; p <= (c + 1) * PMD_PAGES; p++) {
			size_t o = (p - c * PMD_PAGES) * PAGE_SZ;

			differs = p < (c + 1) * PMD_PAGES &&
				  memcmp(blk + o, want + o, PAGE_SZ);
			if (differs) {
				run++;
				zeros += page_is_zero(blk + o);
				bad++;
				continue;
			}
			/* A run ends at a good page, the chunk's end, or the file's. */
			if (run && (p < (c + 1) * PMD_PAGES || p == pages)) {
				cpy_report_run(p - run, run, zeros, k, t0, blk, want);
				run = zeros = 0;
			}
		}
	}
	close(fd);
	return bad;
}

static void cpy_copy_once(long k, char *blk, char *want)
{
	long collapses0 = __atomic_load_n(&wl.st.collapses, __ATOMIC_RELAXED), bad;
	uint64_t t0, t1;
	int rc;

	if (unlink(cpy.dst) && errno != ENOENT)
		die_errno(EXIT_FAIL, "unlink of %s failed", cpy.dst);
	t0 = now_ns();
	rc = cpy_run_cp();
	t1 = now_ns();
	if (rc)
		die(EXIT_FAIL, "%s --sparse=always %s %s exited with status %d",
		    cpy.cp, cpy.src.path, cpy.dst, rc);
	bad = cpy_compare(k, t0, blk, want);
	cst.copies++;
	cst.corrupt += bad > 0;
	emit("copy copy=%ld ok=%d bad_pages=%ld t_ns=%llu dur_ns=%llu collapses=%ld",
	     k, !bad, bad, (unsigned long long)t0, (unsigned long long)(t1 - t0),
	     __atomic_load_n(&wl.st.collapses, __ATOMIC_RELAXED) - collapses0);
}

/* A collapse filled chunk c's hole: punch it again so it stays sparse. */
static void cpy_repunch(int c)
{
	unsigned long p = c * PMD_PAGES + PMD_PAGES - 1;
	uint64_t t0 = now_ns();
	long holes;

	if (fallocate(cpy.src.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(p * PAGE_SZ), (off_t)PAGE_SZ))
		die_errno(EXIT_FAIL, "fallocate(PUNCH_HOLE) on %s failed", cpy.src.path);
	/* A THP that cannot be split keeps the page, zeroed: no hole. */
	holes = count_holes(cpy.src.fd, (off_t)c * PMD_SZ, PMD_SZ);
	cst.repunches++;
	cst.repunch_kept += holes == 0;
	emit("punch ino=%lu index=%lu pages=1 tid=%d t_ns=%llu holes_now=%ld",
	     cpy.src.ino, p, gettid_(), (unsigned long long)t0, holes);
}

static void *cpy_collapser(void *arg)
{
	struct collapse_res res;
	struct rng r;
	int c;

	rng_seed(&r, wl.opt.seed ^ 0xc0113c7ULL);
	while (!cpy.stop) {
		c = (int)rng_below(&r, cpy.src.nchunks);
		collapse_chunk(&cpy.src, c, &res);
		if (res.holes_now == 0)
			cpy_repunch(c);
	}
	return NULL;
}

void run_sparse_copy(void)
{
	int secs = wl.opt.seconds ? wl.opt.seconds : CPY_SECONDS;
	char *blk = malloc(PMD_SZ), *want = malloc(PMD_SZ);
	uint64_t deadline;
	pthread_t th;
	long k = 0;
	int dst_slot;

	if (!blk || !want)
		die(EXIT_FAIL, "out of memory");
	cpy.cp = wl.opt.cp ? wl.opt.cp : cpy_default_cp();
	if (access(cpy.cp, X_OK))
		die(EXIT_ENV, "the copier %s is not an executable file (--cp names another)", cpy.cp);
	emit("sparse-copy seed=%llu chunks=%d size=%lu seconds=%d cp=%s",
	     (unsigned long long)wl.opt.seed, chunks(CPY_CHUNKS),
	     chunks(CPY_CHUNKS) * PMD_SZ, secs, cpy.cp);
	/* Every 512th page (the last of each chunk) a hole. */
	file_create(&cpy.src, "sparse-src", chunks(CPY_CHUNKS), PMD_PAGES, PMD_PAGES);
	cpy_write_src(blk);
	file_map(&cpy.src);
	snprintf(cpy.dst, sizeof(cpy.dst), "%s/sparse-dst-%d", wl.tmpfs.dir, (int)getpid());
	dst_slot = live_add_path(cpy.dst);
	if (!cpy_src_ok(0, cpy.src.nchunks * PMD_PAGES, blk, want))
		die(EXIT_FAIL, "%s does not hold what was written to it", cpy.src.path);
	start_worker(&th, cpy_collapser, NULL);
	deadline = now_ns() + secs * 1000000000ULL;
	do
		cpy_copy_once(++k, blk, want);
	while (now_ns() < deadline);
	cpy.stop = 1;
	pthread_join(th, NULL);
	if (unlink(cpy.dst))
		die_errno(EXIT_FAIL, "unlink of %s failed", cpy.dst);
	if (dst_slot >= 0)
		wl.live_used[dst_slot] = 0;
	file_destroy(&cpy.src);
	free(blk);
	free(want);
}

void sparse_copy_summary(char *buf, size_t len)
{
	snprintf(buf, len,
		 " seed=%llu copies=%ld corrupt_copies=%ld bad_pages=%ld truth_lines=%ld repunches=%ld repunch_kept=%ld",
		 (unsigned long long)wl.opt.seed, cst.copies, cst.corrupt,
		 cst.bad_pages, cst.truth_lines, cst.repunches, cst.repunch_kept);
}

/* The source and its copy, plus THP slack. */
long sparse_copy_tmpfs_mb(void)
{
	return 2L * chunks(CPY_CHUNKS) * (PMD_SZ >> 20) + 64;
}
