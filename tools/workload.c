// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace-workload: a deterministic generator of collapse_file() calls
 * on shmem/tmpfs page cache, printing what it did as key=value lines so the
 * tracer's output can be checked against it.  See docs/workload.md.
 *
 * It must run statically linked under a busybox-only guest, so everything is
 * done with syscalls (no mount(8), no shell-outs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <spawn.h>

/* Older libc headers lack these; the values are the kernel ABI. */
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#if !defined(__NR_userfaultfd) && defined(__x86_64__)
#define __NR_userfaultfd 323
#endif
#ifndef UFFD_FEATURE_MINOR_SHMEM
#define UFFD_FEATURE_MINOR_SHMEM	(1 << 10)
#endif
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM	(1 << 12)
#endif
#ifndef UFFDIO_REGISTER_MODE_MINOR
#define UFFDIO_REGISTER_MODE_MINOR	((__u64)1 << 2)
#endif
#ifndef UFFDIO_CONTINUE
struct uffdio_continue {
	struct uffdio_range range;
	__u64 mode;
	__s64 mapped;
};
#define UFFDIO_CONTINUE _IOWR(UFFDIO, 0x07, struct uffdio_continue)
#endif

#define PAGE_SZ		4096UL
#define PMD_PAGES	512UL
#define PMD_SZ		(PAGE_SZ * PMD_PAGES)
#define MAX_CHUNKS	100	/* keeps every scenario well inside size=256m */
#define EXIT_FAIL	1
#define EXIT_ENV	2
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define KPF_THP		22
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC	0x01021994
#endif
#define MAX_ANOMALY_LINES 100
/* Where tests/vm/mkinitramfs.sh puts GNU cp in busybox-only guests. */
#define CPY_LIBEXEC_CP	"/usr/libexec/khugetrace/cp"

static const char *prog = "khugetrace-workload";
/* The Makefile passes -DKHT_VERSION="$(VERSION)" (git describe, or its fallback). */
#ifndef KHT_VERSION
#define KHT_VERSION "unknown"
#endif

enum scenario {
	SC_FULL, SC_HOLES, SC_KHUGEPAGED, SC_SEEK, SC_UFFD, SC_MIXED,
	SC_UFFD_MODES, SC_UFFD_CONTINUE, SC_MINCORE, SC_TIMELINE, SC_RANDOM,
	SC_UFFD_FAULT, SC_VMHOST, SC_SPARSE_COPY, SC_FILE_COLLAPSE,
};
static const char *const sc_names[] = {
	"collapse-full", "collapse-holes", "khugepaged", "seek-storm",
	"uffd-missing", "mixed", "uffd-modes", "uffd-continue", "mincore-loop",
	"timeline", "random", "uffd-fault", "vmhost", "sparse-copy",
	"file-collapse",
};

static struct {
	int n;			/* 0: scenario default */
	int seconds;		/* 0: scenario default */
	const char *dir;
	const char *huge;
	const char *wait_file;
	long log_seeks;		/* seek-op lines the seek thread prints */
	bool log_seeks_set;	/* --log-seeks was given */
	uint64_t seed;		/* random, vmhost, sparse-copy: PRNG seed */
	const char *cp;		/* sparse-copy: the copier, NULL: default */
	bool verbose;
	bool small_writes;	/* file_fill: one pwrite per page (small folios) */
} opt = { .huge = "never", .seed = 1 };

/* ---- state the cleanup path needs (it may run in a signal handler) ---- */

static char tmpfs_dir[256];
static volatile sig_atomic_t tmpfs_made, tmpfs_mounted;

#define LIVE_SLOTS 4
static char live_path[LIVE_SLOTS][512];
static volatile sig_atomic_t live_used[LIVE_SLOTS];

struct tunable {
	const char *name, *want;
	char path[128], saved[32];
	volatile sig_atomic_t have;
};
static struct tunable tunables[] = {
	{ .name = "scan_sleep_millisecs", .want = "10" },
	{ .name = "alloc_sleep_millisecs", .want = "10" },
	{ .name = "pages_to_scan", .want = "4096" },
	{ .name = "max_ptes_none", .want = "511" },
};
#define N_TUNABLES (sizeof(tunables) / sizeof(tunables[0]))

static int cleaned;

/* The THP sysfs knobs, as read at start ("-" if absent). */
static struct { char en[32], sh[32], en2[32], sh2[32]; } thp;

/* ---- statistics, only touched by the thread that collapses ---- */

#define ERRNO_SLOTS 160
static struct {
	long collapses, collapsed, ret_ok;
	long err[ERRNO_SLOTS];
	long files, kh_chunks, kh_collapsed, seeks, anomalies, uffd_skipped;
} st;

/* ---------------------------------------------------------------------- */

static void swrite(const char *a, const char *b)
{
	/* Signal-handler safe: no stdio. */
	if (write(2, a, strlen(a)) < 0 || write(2, b, strlen(b)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, s, strlen(s));
	close(fd);
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

/* Idempotent and async-signal-safe; callable from any thread. */
static void cleanup(void)
{
	sigset_t all;
	size_t i;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (__atomic_exchange_n(&cleaned, 1, __ATOMIC_SEQ_CST))
		return;
	for (i = 0; i < N_TUNABLES; i++)
		if (tunables[i].have && write_str(tunables[i].path, tunables[i].saved))
			swrite("khugetrace-workload: could not restore ", tunables[i].path);
	for (i = 0; i < LIVE_SLOTS; i++)
		if (live_used[i])
			unlink(live_path[i]);
	/* MNT_DETACH: mappings or fds may still pin the tmpfs when a signal hits. */
	if (tmpfs_mounted && umount2(tmpfs_dir, MNT_DETACH))
		swrite("khugetrace-workload: could not unmount ", tmpfs_dir);
	if (tmpfs_made && rmdir(tmpfs_dir))
		swrite("khugetrace-workload: could not remove ", tmpfs_dir);
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	cleanup();
	_exit(code);
}

#define die_errno(code, fmt, ...) \
	die(code, fmt ": %s", ##__VA_ARGS__, strerror(errno))

static void __attribute__((format(printf, 1, 2))) vlog(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* One record per line, flushed, so a harness can follow it live. */
static void __attribute__((format(printf, 1, 2))) emit(const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	funlockfile(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC is what bpf_ktime_get_ns() reads. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static const char *errno_name(int e)
{
#define E(x) { x, #x }
	static const struct { int e; const char *n; } tab[] = {
		{ 0, "0" }, E(EINVAL), E(EAGAIN), E(EBUSY), E(ENOMEM), E(EPERM),
		E(EFAULT), E(ENOSYS), E(ENOENT), E(EIO), E(EEXIST), E(ENXIO),
		E(EACCES), E(EOPNOTSUPP), E(EHWPOISON), E(EINTR),
	};
#undef E
	static __thread char buf[16];
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].e == e)
			return tab[i].n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* Reads the "[selected]" word of a sysfs THP knob, or "-" if absent. */
static void sysfs_choice(const char *path, char *out, size_t len)
{
	char buf[256], *l, *r;
	FILE *fp = fopen(path, "re");

	snprintf(out, len, "-");
	if (!fp)
		return;
	if (fgets(buf, sizeof(buf), fp)) {
		l = strchr(buf, '[');
		r = l ? strchr(l, ']') : NULL;
		if (l && r) {
			*r = 0;
			if (strlen(l + 1) < len)
				strcpy(out, l + 1);
		}
	}
	fclose(fp);
}

/* ---------------------------- test files ------------------------------ */

struct tfile {
	char path[512];
	int fd, slot;
	unsigned long ino;
	int nchunks;
	int stride[2];	/* even/odd chunks: every stride-th page a hole; 0 = none */
	unsigned char *wmap;	/* if set: one byte per page, 1 = written (overrides stride) */
	char *reserve, *map;
	size_t reserve_len;
};

static bool page_written(const struct tfile *f, unsigned long page)
{
	int s = f->stride[(page / PMD_PAGES) & 1];

	if (f->wmap)
		return f->wmap[page];
	return !s || page % s != (unsigned long)s - 1;
}

static size_t file_size(const struct tfile *f)
{
	return f->nchunks * PMD_SZ;
}

/*
 * Each chunk gets its own VMA, separated by a PROT_NONE gap so the kernel
 * cannot merge them: then a chunk's smaps entry tells whether that chunk,
 * and only it, is PMD-mapped.
 */
static char *chunk_addr(const struct tfile *f, int i)
{
	return f->map + 2UL * i * PMD_SZ;
}

/* Files the cleanup path unlinks (matters with -d); returns the slot or -1. */
static int live_add_path(const char *path)
{
	int i;

	for (i = 0; i < LIVE_SLOTS; i++)
		if (!live_used[i]) {
			snprintf(live_path[i], sizeof(live_path[i]), "%s", path);
			live_used[i] = 1;
			return i;
		}
	return -1;
}

static void live_add(struct tfile *f)
{
	f->slot = live_add_path(f->path);
}

static void pwrite_all(struct tfile *f, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t w = pwrite(f->fd, buf, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die_errno(EXIT_FAIL, "write to %s failed", f->path);
		buf += w, len -= w, off += w;
	}
}

/* write() has no VMA, so on a huge=never/advise tmpfs it makes small pages. */
static void file_fill(struct tfile *f)
{
	static char *buf;
	unsigned long p, q, total = f->nchunks * PMD_PAGES;

	if (!buf) {
		buf = malloc(PMD_SZ);
		if (!buf)
			die(EXIT_FAIL, "out of memory");
		memset(buf, 0x5a, PMD_SZ);
	}
	for (p = 0; p < total;) {
		if (!page_written(f, p)) {
			p++;
			continue;
		}
		for (q = p; q < total && page_written(f, q) && q - p < PMD_PAGES; q++)
			if (opt.small_writes && q > p)
				break;
		pwrite_all(f, buf, (q - p) * PAGE_SZ, p * PAGE_SZ);
		p = q;
	}
}

static void file_create_map(struct tfile *f, const char *tag, int nchunks,
			    int stride_even, int stride_odd, unsigned char *wmap)
{
	static int seq;
	struct stat sb;

	memset(f, 0, sizeof(*f));
	f->nchunks = nchunks;
	f->stride[0] = stride_even;
	f->stride[1] = stride_odd;
	f->wmap = wmap;
	snprintf(f->path, sizeof(f->path), "%s/%s-%d-%d", tmpfs_dir, tag,
		 (int)getpid(), seq++);
	f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f->fd < 0)
		die_errno(EXIT_FAIL, "create of %s failed", f->path);
	live_add(f);
	if (ftruncate(f->fd, file_size(f)))
		die_errno(EXIT_FAIL, "ftruncate of %s failed", f->path);
	file_fill(f);
	if (fstat(f->fd, &sb))
		die_errno(EXIT_FAIL, "fstat of %s failed", f->path);
	f->ino = sb.st_ino;
	st.files++;
	emit("file path=%s dev=%u:%u ino=%lu size=%zu", f->path,
	     major(sb.st_dev), minor(sb.st_dev), f->ino, file_size(f));
}

static void file_create(struct tfile *f, const char *tag, int nchunks,
			int stride_even, int stride_odd)
{
	file_create_map(f, tag, nchunks, stride_even, stride_odd, NULL);
}

static void file_map(struct tfile *f)
{
	uintptr_t base;
	int i;

	f->reserve_len = (2UL * f->nchunks + 1) * PMD_SZ;
	f->reserve = mmap(NULL, f->reserve_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f->reserve == MAP_FAILED)
		die_errno(EXIT_FAIL, "reserving address space for %s failed", f->path);
	base = ((uintptr_t)f->reserve + PMD_SZ - 1) & ~(PMD_SZ - 1);
	f->map = (char *)base;
	for (i = 0; i < f->nchunks; i++)
		if (mmap(chunk_addr(f, i), PMD_SZ, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, f->fd, (off_t)i * PMD_SZ) == MAP_FAILED)
			die_errno(EXIT_FAIL, "mmap of %s failed", f->path);
}

/* Only written pages: a read fault on a shmem hole would allocate a page. */
static void file_touch(const struct tfile *f, int i)
{
	unsigned long p, first = i * PMD_PAGES;

	for (p = first; p < first + PMD_PAGES; p++)
		if (page_written(f, p))
			(void)*(volatile char *)(chunk_addr(f, i) + (p - first) * PAGE_SZ);
}

static void file_destroy(struct tfile *f)
{
	if (f->reserve && munmap(f->reserve, f->reserve_len))
		die_errno(EXIT_FAIL, "munmap of %s failed", f->path);
	close(f->fd);
	if (unlink(f->path))
		die_errno(EXIT_FAIL, "unlink of %s failed", f->path);
	if (f->slot >= 0)
		live_used[f->slot] = 0;
}

/* --------------------------- observing effect -------------------------- */

/* Pages of [off, off+len) that SEEK_DATA/SEEK_HOLE call holes right now. */
static long count_holes(int fd, off_t off, off_t len)
{
	off_t pos = off, end = off + len, d, h;
	long holes = 0;

	while (pos < end) {
		d = lseek(fd, pos, SEEK_DATA);
		if (d < 0 && errno != ENXIO)
			return -1;
		if (d < 0 || d > end)
			d = end;
		holes += (d - pos) / PAGE_SZ;
		if (d >= end)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return -1;
		pos = h > d ? h : d + (off_t)PAGE_SZ;
	}
	return holes;
}

/* kB of the VMA starting at addr that are PMD-mapped; -1 if unknown. */
static long smaps_pmd_kb(const void *addr)
{
	static bool warned;
	char line[1024];
	unsigned long start, end;
	long kb = -1, v;
	bool in = false;
	FILE *fp = fopen("/proc/self/smaps", "re");

	if (!fp) {
		if (!warned)
			fprintf(stderr, "%s: cannot read /proc/self/smaps (%s); pmd_mapped will be -1\n",
				prog, strerror(errno));
		warned = true;
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			if (in)
				break;
			in = start == (uintptr_t)addr;
			if (in)
				kb = 0;
			continue;
		}
		if (in && (sscanf(line, "ShmemPmdMapped: %ld", &v) == 1 ||
			   sscanf(line, "FilePmdMapped: %ld", &v) == 1))
			kb += v;
	}
	fclose(fp);
	return kb;
}

static int pmd_mapped(const void *addr)
{
	long kb = smaps_pmd_kb(addr);

	return kb < 0 ? -1 : kb >= (long)(PMD_SZ >> 10);
}

/*
 * Is the page cache folio behind chunk i a PMD-sized THP?  This sees a
 * collapse even when the new huge page is not (yet) PMD-mapped, as on 6.1
 * where MADV_COLLAPSE of shmem leaves it PTE-mapped.  KPF_THP alone would
 * also match the small large folios other filesystems make, so the 512
 * frames behind the chunk must be one compound page: a head, then tails.
 * probe must be a written page of the chunk: it is faulted in.
 */
/*
 * Set while the chunk being looked at is registered with userfaultfd: then
 * nothing may fault on it (a MINOR fault would block), so the probe is not
 * touched and an unmapped probe gives -1.
 */
static bool probe_no_touch;

static int chunk_is_thp(const void *chunk, const void *probe)
{
	static uint64_t fl[PMD_PAGES];
	uint64_t ent, pfn, head;
	int fd, ok;
	unsigned long k;

	if (!probe_no_touch)
		(void)*(volatile const char *)probe;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = pread(fd, &ent, 8, (uintptr_t)probe / PAGE_SZ * 8) == 8;
	close(fd);
	pfn = ent & ((1ULL << 55) - 1);
	if (!ok || !(ent >> 63) || !pfn)
		return -1;
	head = pfn - ((uintptr_t)probe - (uintptr_t)chunk) / PAGE_SZ;
	if (head % PMD_PAGES)
		return 0;
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = pread(fd, fl, sizeof(fl), head * 8) == sizeof(fl);
	close(fd);
	if (!ok)
		return -1;
	for (k = 0; k < PMD_PAGES; k++)
		if (!(fl[k] >> KPF_THP & 1) || !(fl[k] >> (k ? 16 : 15) & 1))
			return 0;	/* 15: KPF_COMPOUND_HEAD, 16: _TAIL */
	return 1;
}

static void *first_written(const struct tfile *f, int i)
{
	unsigned long p;

	for (p = i * PMD_PAGES; p < (i + 1) * PMD_PAGES; p++)
		if (page_written(f, p))
			return chunk_addr(f, i) + (p - i * PMD_PAGES) * PAGE_SZ;
	return NULL;
}

/* What one MADV_COLLAPSE of a chunk did, measured around the call. */
struct collapse_res {
	long holes, holes_now;	/* pages SEEK_HOLE reports before / after */
	int ret, err, tid;
	int thp_before, pmd, thp;	/* 0, 1, or -1 unknown */
	uint64_t t0, dur_ns;
	bool ok;		/* collapsed, judged by effect */
};

/* What the last collapse_chunk() saw, for callers that judge more. */
static struct collapse_res last_collapse;

/*
 * One madvise per PMD, so one call maps to exactly one collapse_file().
 * Measures and counts, prints nothing: callers differ in what they print.
 * Only one thread of a scenario may call it (st is not locked).
 */
static void collapse_measure(const struct tfile *f, int i, struct collapse_res *r)
{
	void *probe = first_written(f, i);

	r->holes = count_holes(f->fd, (off_t)i * PMD_SZ, PMD_SZ);
	/* Proves the chunk really was made of small pages beforehand. */
	r->thp_before = probe ? chunk_is_thp(chunk_addr(f, i), probe) : -1;
	r->tid = gettid_();
	r->t0 = now_ns();
	r->ret = madvise(chunk_addr(f, i), PMD_SZ, MADV_COLLAPSE);
	r->err = r->ret ? errno : 0;
	r->dur_ns = now_ns() - r->t0;
	r->holes_now = count_holes(f->fd, (off_t)i * PMD_SZ, PMD_SZ);
	r->pmd = pmd_mapped(chunk_addr(f, i));	/* before touching anything */
	probe = first_written(f, i);
	r->thp = probe ? chunk_is_thp(chunk_addr(f, i), probe) : -1;
	r->ok = r->pmd == 1 || r->thp == 1 || (r->holes > 0 && r->holes_now == 0);
	st.collapses++;
	st.ret_ok += r->ret == 0;
	st.collapsed += r->ok;
	st.err[r->err < ERRNO_SLOTS ? r->err : ERRNO_SLOTS - 1]++;
}

/* MADV_COLLAPSE chunk i, print its collapse and after records. */
static bool collapse_chunk(const struct tfile *f, int i)
{
	struct collapse_res *r = &last_collapse;

	collapse_measure(f, i, r);
	emit("collapse ino=%lu index=%lu nr=%lu holes=%ld ret=%d errno=%s tid=%d t_ns=%llu dur_ns=%llu addr=%p thp_before=%d",
	     f->ino, i * PMD_PAGES, PMD_PAGES, r->holes, r->ret, errno_name(r->err),
	     r->tid, (unsigned long long)r->t0, (unsigned long long)r->dur_ns,
	     (void *)chunk_addr(f, i), r->thp_before);
	emit("after ino=%lu index=%lu pmd_mapped=%d holes_now=%ld thp=%d collapsed=%d",
	     f->ino, i * PMD_PAGES, r->pmd, r->holes_now, r->thp, r->ok);
	return r->ok;
}

/* ------------------------------ scenarios ------------------------------ */

static int chunks(int def)
{
	return opt.n ? opt.n : def;
}

/* Signals go to the calling thread only, so cleanup never races a worker. */
static void start_worker(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int err;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		die(EXIT_FAIL, "pthread_create failed: %s", strerror(err));
}

/* Waits (spinning politely) until *flag is set by another thread. */
static void wait_flag(const volatile int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void run_collapse(const char *tag, int nchunks, int stride)
{
	struct tfile f;
	int i;

	file_create(&f, tag, nchunks, stride, stride);
	file_map(&f);
	for (i = 0; i < nchunks; i++)
		file_touch(&f, i);
	for (i = 0; i < nchunks; i++)
		collapse_chunk(&f, i);
	file_destroy(&f);
}

static void run_full(void)
{
	run_collapse("full", chunks(2), 0);
}

static void run_holes(void)
{
	run_collapse("holes", chunks(2), 16);	/* 32 holes per chunk */
}

/* -- uffd-missing -- */

/*
 * Returns a uffd with the given API features enabled, or -1 with errno set;
 * *avail (if not NULL) gets what the kernel offers.
 */
static int uffd_open_api(uint64_t features, uint64_t *avail)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (avail)
		*avail = api.features;
	return fd;
}

/* Returns the uffd, or -1 with errno set if the kernel does not offer one. */
static int uffd_open(void)
{
	return uffd_open_api(0, NULL);
}

/*
 * The features this kernel's userfaultfd offers.  UFFDIO_API works once per
 * fd, so a throw-away fd asks with features=0 (the kernel reports them all).
 * Returns -1 with errno set if there is no userfaultfd at all.
 */
static int uffd_probe(uint64_t *avail)
{
	int fd = uffd_open_api(0, avail);

	if (fd < 0)
		return -1;
	close(fd);
	emit("uffd-features avail=0x%llx minor_shmem=%d wp_shmem=%d",
	     (unsigned long long)*avail, !!(*avail & UFFD_FEATURE_MINOR_SHMEM),
	     !!(*avail & UFFD_FEATURE_WP_HUGETLBFS_SHMEM));
	return 0;
}

struct uffd_mode {
	const char *name;
	uint64_t mode;
	uint64_t feature;	/* API feature shmem needs for this mode */
};

static const struct uffd_mode uffd_modes[] = {
	{ "MISSING", UFFDIO_REGISTER_MODE_MISSING, 0 },
	{ "WP", UFFDIO_REGISTER_MODE_WP, UFFD_FEATURE_WP_HUGETLBFS_SHMEM },
	{ "MINOR", UFFDIO_REGISTER_MODE_MINOR, UFFD_FEATURE_MINOR_SHMEM },
	{ "MISSING+WP", UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
	  UFFD_FEATURE_WP_HUGETLBFS_SHMEM },
};
#define UFFD_MODE_MISSING	(&uffd_modes[0])
#define UFFD_MODE_MINOR		(&uffd_modes[2])

/* A uffd for mode, with its feature requested only if the kernel offers it. */
static int uffd_open_mode(const struct uffd_mode *m, uint64_t avail)
{
	int fd = uffd_open_api(m->feature & avail, NULL);

	if (fd < 0)
		die_errno(EXIT_FAIL, "userfaultfd for mode %s failed", m->name);
	return fd;
}

/* Registers chunk i with mode m and prints it; returns 0 or the errno. */
static int uffd_register_chunk(int uffd, const struct tfile *f, int i,
			       const struct uffd_mode *m)
{
	struct uffdio_register reg = {
		.range = { (uintptr_t)chunk_addr(f, i), PMD_SZ },
		.mode = m->mode,
	};
	uint64_t t0 = now_ns();
	int ret = ioctl(uffd, UFFDIO_REGISTER, &reg), err = ret ? errno : 0;

	emit("uffd-register ino=%lu index=%lu nr=%lu mode=%s addr=%p len=%lu ret=%d errno=%s tid=%d t_ns=%llu",
	     f->ino, i * PMD_PAGES, PMD_PAGES, m->name, (void *)chunk_addr(f, i),
	     PMD_SZ, ret, errno_name(err), gettid_(), (unsigned long long)t0);
	return err;
}

static void uffd_unregister_chunk(int uffd, const struct tfile *f, int i)
{
	struct uffdio_range range = { (uintptr_t)chunk_addr(f, i), PMD_SZ };
	uint64_t t0 = now_ns();
	int ret = ioctl(uffd, UFFDIO_UNREGISTER, &range), err = ret ? errno : 0;

	emit("uffd-unregister ino=%lu index=%lu nr=%lu addr=%p len=%lu ret=%d errno=%s tid=%d t_ns=%llu",
	     f->ino, i * PMD_PAGES, PMD_PAGES, (void *)chunk_addr(f, i), PMD_SZ,
	     ret, errno_name(err), gettid_(), (unsigned long long)t0);
	if (ret)
		die(EXIT_FAIL, "UFFDIO_UNREGISTER of %s failed: %s", f->path, strerror(err));
}

/*
 * A fresh uffd registers chunk i with mode m, and unregisters it again if
 * that worked.  A mode the kernel refuses (EINVAL) is a result, not an error.
 */
static int uffd_register_cycle(const struct tfile *f, int i,
			       const struct uffd_mode *m, uint64_t avail)
{
	int uffd = uffd_open_mode(m, avail), err;

	err = uffd_register_chunk(uffd, f, i, m);
	if (!err)
		uffd_unregister_chunk(uffd, f, i);
	close(uffd);
	return err;
}

static void skip(const char *scenario, int err)
{
	fprintf(stderr, "%s: skipping %s (%s)\n", prog, scenario, strerror(err));
	emit("skip scenario=%s errno=%s", scenario, errno_name(err));
	st.uffd_skipped++;
}

static void run_uffd(bool in_mixed)
{
	int i, uffd = uffd_open(), ret, err;
	struct tfile f;

	if (uffd < 0) {
		if (!in_mixed)
			die(EXIT_ENV, "userfaultfd is not available on this kernel (%s), so uffd-missing cannot run",
			    strerror(errno));
		fprintf(stderr, "%s: userfaultfd is not available (%s); skipping uffd-missing\n",
			prog, strerror(errno));
		emit("skip scenario=uffd-missing errno=%s", errno_name(errno));
		st.uffd_skipped++;
		return;
	}
	file_create(&f, "uffd", chunks(1), 8, 8);	/* 64 holes per chunk */
	file_map(&f);
	for (i = 0; i < f.nchunks; i++) {
		struct uffdio_register reg = {
			.range = { (uintptr_t)chunk_addr(&f, i), PMD_SZ },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		/* Touch before registering; holes are never touched (would block). */
		file_touch(&f, i);
		ret = ioctl(uffd, UFFDIO_REGISTER, &reg);
		err = ret ? errno : 0;
		emit("uffd-register ino=%lu index=%lu nr=%lu mode=MISSING ret=%d errno=%s",
		     f.ino, i * PMD_PAGES, PMD_PAGES, ret, errno_name(err));
		if (ret)
			die(EXIT_FAIL, "UFFDIO_REGISTER of %s failed: %s", f.path, strerror(err));
	}
	for (i = 0; i < f.nchunks; i++)
		collapse_chunk(&f, i);
	close(uffd);
	file_destroy(&f);
}

/* -- uffd-modes -- */

static void run_uffd_modes(void)
{
	uint64_t avail;
	struct tfile f;
	size_t m;
	int i;

	if (uffd_probe(&avail))
		die(EXIT_ENV, "userfaultfd is not available on this kernel (%s), so uffd-modes cannot run",
		    strerror(errno));
	file_create(&f, "uffd-modes", chunks(1), 8, 8);	/* 64 holes per chunk */
	file_map(&f);
	for (i = 0; i < f.nchunks; i++) {
		/* Before any registration: a hole touched while registered blocks. */
		file_touch(&f, i);
		for (m = 0; m < sizeof(uffd_modes) / sizeof(uffd_modes[0]); m++)
			uffd_register_cycle(&f, i, &uffd_modes[m], avail);
	}
	file_destroy(&f);
}

/* -- uffd-continue -- */

static void uffd_continue_print(int uffd, const struct tfile *f, int i, unsigned long pages)
{
	struct uffdio_continue c = {
		.range = { (uintptr_t)chunk_addr(f, i), pages * PAGE_SZ },
	};
	uint64_t t0 = now_ns();
	int ret = ioctl(uffd, UFFDIO_CONTINUE, &c), err = ret ? errno : 0;

	emit("uffd-continue ino=%lu index=%lu nr=%lu addr=%p len=%lu ret=%d errno=%s mapped=%lld tid=%d t_ns=%llu",
	     f->ino, i * PMD_PAGES, pages, (void *)chunk_addr(f, i), pages * PAGE_SZ,
	     ret, errno_name(err), (long long)c.mapped, gettid_(),
	     (unsigned long long)t0);
}

/*
 * The page cache is full but the fresh mapping has no PTEs: CONTINUE maps
 * the first 16 pages (mapped=65536), a second CONTINUE finds them (EEXIST).
 */
static void run_uffd_continue(void)
{
	uint64_t avail;
	struct tfile f;
	int uffd, err;

	if (uffd_probe(&avail)) {
		skip("uffd-continue", errno);
		return;
	}
	if (!(avail & UFFD_FEATURE_MINOR_SHMEM)) {
		skip("uffd-continue", EOPNOTSUPP);
		return;
	}
	file_create(&f, "uffd-continue", 1, 0, 0);
	file_map(&f);			/* not touched: no PTEs yet */
	uffd = uffd_open_mode(UFFD_MODE_MINOR, avail);
	err = uffd_register_chunk(uffd, &f, 0, UFFD_MODE_MINOR);
	if (err) {
		skip("uffd-continue", err);
	} else {
		uffd_continue_print(uffd, &f, 0, 16);
		uffd_continue_print(uffd, &f, 0, 16);
		uffd_unregister_chunk(uffd, &f, 0);
	}
	close(uffd);
	file_destroy(&f);
}

/* -- khugepaged -- */

static void tune_khugepaged(void)
{
	size_t i;
	ssize_t r;
	int fd;

	for (i = 0; i < N_TUNABLES; i++) {
		struct tunable *t = &tunables[i];

		snprintf(t->path, sizeof(t->path), THP_DIR "/khugepaged/%s", t->name);
		fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die_errno(EXIT_ENV, "cannot read %s", t->path);
		r = read(fd, t->saved, sizeof(t->saved) - 1);
		close(fd);
		if (r <= 0)
			die_errno(EXIT_ENV, "cannot read %s", t->path);
		t->saved[strcspn(t->saved, "\n")] = 0;
		t->have = 1;
		if (write_str(t->path, t->want))
			die_errno(EXIT_ENV, "cannot write %s to %s", t->want, t->path);
		vlog("%s: %s -> %s", t->name, t->saved, t->want);
	}
}

/*
 * MADV_HUGEPAGE on the shmem VMA is not enough to put the mm on khugepaged's
 * list everywhere: before 6.2 (and again on 6.18, observed) the check reads
 * the VMA's flags before VM_HUGEPAGE is set.  An anonymous MADV_HUGEPAGE VMA
 * registers it, but only once it has an anon_vma; so fault one page in and
 * drop it again, leaving khugepaged nothing to collapse there (512 empty PTEs
 * exceed any max_ptes_none).
 */
static void register_mm_with_khugepaged(void)
{
	char *anon = mmap(NULL, 2 * PMD_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *pmd;

	if (anon == MAP_FAILED)
		die_errno(EXIT_FAIL, "anonymous mmap failed");
	pmd = (char *)(((uintptr_t)anon + PMD_SZ - 1) & ~(PMD_SZ - 1));
	*(volatile char *)pmd = 1;
	if (madvise(pmd, PAGE_SZ, MADV_DONTNEED))
		die_errno(EXIT_FAIL, "MADV_DONTNEED on anonymous memory failed");
	if (madvise(anon, 2 * PMD_SZ, MADV_HUGEPAGE))
		vlog("MADV_HUGEPAGE on anonymous memory failed: %s", strerror(errno));
}

static void khugepaged_preflight(void)
{
	if (access(THP_DIR "/khugepaged", F_OK))
		die(EXIT_ENV, "%s/khugepaged is missing: this kernel has no THP support", THP_DIR);
	if (!strcmp(thp.sh, "deny"))
		fprintf(stderr, "%s: shmem_enabled=deny disables huge pages on every tmpfs mount, so khugepaged will not collapse\n",
			prog);
	if (!strcmp(thp.en, "never") || !strcmp(thp.en2, "never"))
		fprintf(stderr, "%s: transparent_hugepage/enabled=%s (2048kB: %s): khugepaged may not be running at all\n",
			prog, thp.en, thp.en2);
	if (opt.dir)
		fprintf(stderr, "%s: with -d the directory's own huge= setting applies; khugepaged needs huge=advise or better\n",
			prog);
}

static void run_khugepaged(void)
{
	int i, left, secs = opt.seconds ? opt.seconds : 30;
	uint64_t t0, deadline;
	struct tfile f;
	bool *done;

	khugepaged_preflight();
	file_create(&f, "khugepaged", chunks(1), 0, 0);
	file_map(&f);
	for (i = 0; i < f.nchunks; i++)
		if (madvise(chunk_addr(&f, i), PMD_SZ, MADV_HUGEPAGE))
			die_errno(EXIT_FAIL, "MADV_HUGEPAGE on %s failed", f.path);
	register_mm_with_khugepaged();
	tune_khugepaged();
	for (i = 0; i < f.nchunks; i++)
		file_touch(&f, i);
	done = calloc(f.nchunks, sizeof(*done));
	if (!done)
		die(EXIT_FAIL, "out of memory");
	st.kh_chunks += f.nchunks;
	t0 = now_ns();
	deadline = t0 + secs * 1000000000ULL;
	for (left = f.nchunks; left;) {
		bool timeout = now_ns() >= deadline;

		for (i = 0; i < f.nchunks; i++) {
			int pmd, thp;

			if (done[i])
				continue;
			/*
			 * After collapse_file() the page table is retracted; only
			 * the next fault maps the new THP with a PMD.
			 */
			thp = chunk_is_thp(chunk_addr(&f, i), chunk_addr(&f, i));
			pmd = pmd_mapped(chunk_addr(&f, i));
			if (pmd != 1 && !timeout)
				continue;
			done[i] = true;
			left--;
			st.kh_collapsed += pmd == 1 || thp == 1;
			emit("khugepaged ino=%lu index=%lu nr=%lu pmd_mapped=%d thp=%d waited_ms=%llu",
			     f.ino, i * PMD_PAGES, PMD_PAGES, pmd, thp,
			     (unsigned long long)((now_ns() - t0) / 1000000));
		}
		if (left)
			sleep_ms(50);
	}
	if (st.kh_collapsed < st.kh_chunks)
		fprintf(stderr, "%s: khugepaged did not collapse every chunk within %d s\n", prog, secs);
	free(done);
	file_destroy(&f);
}

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
	return storm.budget && st.seeks >= storm.budget;
}

/* lseek() that counts, and prints the first opt.log_seeks as seek-op lines. */
static off_t seek_op(const struct tfile *f, int fd, off_t off, int whence)
{
	bool log = st.seeks++ < opt.log_seeks;
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

static void anomaly(const struct tfile *f, const char *whence, off_t off, off_t got)
{
	if (++st.anomalies > MAX_ANOMALY_LINES)
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
	     snap.ino, st.seeks, st.anomalies);
	return NULL;
}

/*
 * Re-collapsing the same range would first need a split, so instead every
 * round uses a new file: collapse each chunk once, drop it, start over.
 */
static void run_seek_storm(void)
{
	int i, secs = opt.seconds ? opt.seconds : 3, rounds = 0;
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
			collapse_chunk(&f, i);
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

/* -- mincore-loop -- */

/* Pages of chunk i that mincore() reports resident; -1 with errno set. */
static long chunk_resident_vec(const struct tfile *f, int i, unsigned char *vec)
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

static void emit_mincore(const struct tfile *f, int i, long res, uint64_t t0)
{
	emit("mincore ino=%lu index=%lu nr=%lu addr=%p len=%lu resident=%ld ret=0 tid=%d t_ns=%llu",
	     f->ino, i * PMD_PAGES, PMD_PAGES, (void *)chunk_addr(f, i), PMD_SZ,
	     res, gettid_(), (unsigned long long)t0);
}

static void mincore_chunk(const struct tfile *f, int i)
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
static void run_mincore_loop(void)
{
	uint64_t deadline = now_ns() + opt.seconds * 1000000000ULL;
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
	if (opt.seconds) {
		start_worker(&th, mincore_thread, &f);
		wait_flag(&mstorm.started);
	}
	for (i = 0; i < f.nchunks; i++)
		collapse_chunk(&f, i);
	if (opt.seconds) {
		while (now_ns() < deadline)
			sleep_ms(10);
		mstorm.stop = 1;
		pthread_join(th, NULL);
	}
	for (i = 0; i < f.nchunks; i++)
		mincore_chunk(&f, i);
	file_destroy(&f);
}

/* -- timeline -- */

#define TIMELINE_SEEKS 200

/* MISSING registered over a chunk with holes while it is MADV_COLLAPSEd. */
static void timeline_uffd_missing(uint64_t avail)
{
	struct tfile f;
	int uffd, err;

	file_create(&f, "tl-missing", 1, 8, 8);	/* 64 holes */
	file_map(&f);
	file_touch(&f, 0);
	uffd = uffd_open_mode(UFFD_MODE_MISSING, avail);
	err = uffd_register_chunk(uffd, &f, 0, UFFD_MODE_MISSING);
	collapse_chunk(&f, 0);
	if (!err)
		uffd_unregister_chunk(uffd, &f, 0);
	close(uffd);
	file_destroy(&f);
}

static void timeline_uffd_minor(uint64_t avail)
{
	struct tfile f;

	file_create(&f, "tl-minor", 1, 0, 0);
	file_map(&f);
	uffd_register_cycle(&f, 0, UFFD_MODE_MINOR, avail);
	file_destroy(&f);
}

/* mincore, then TIMELINE_SEEKS logged seeks racing a collapse, then mincore. */
static void timeline_seek_collapse(void)
{
	struct tfile f;
	pthread_t th;

	file_create(&f, "tl-seek", 1, 16, 16);	/* 32 holes */
	file_map(&f);
	file_touch(&f, 0);
	mincore_chunk(&f, 0);
	opt.log_seeks = storm.budget = TIMELINE_SEEKS;
	storm.cur = &f;
	start_worker(&th, seek_thread, NULL);
	wait_flag(&storm.started);
	collapse_chunk(&f, 0);
	mincore_chunk(&f, 0);
	pthread_join(th, NULL);
	storm.cur = NULL;
	file_destroy(&f);
}

static void run_timeline(void)
{
	uint64_t avail = 0;

	if (uffd_probe(&avail)) {
		int err = errno;

		skip("uffd-missing", err);
		skip("uffd-minor", err);
	} else {
		timeline_uffd_missing(avail);
		timeline_uffd_minor(avail);
	}
	timeline_seek_collapse();
}

/* -- random -- */

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
#define R_LOG_SEEKS	2000	/* default seek-op lines */
#define R_MINCORE_MAX	1000	/* mincore records of the seek thread */
#define R_MINCORE_NS	20000000ULL	/* one mincore per 20 ms at most */
#define R_WRITE_MAX	32	/* pages per write step */
#define R_PUNCH_MAX	8	/* pages per punch step */

struct rng { uint64_t s; };

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = splitmix64(seed);
	if (!r->s)
		r->s = 0x9e3779b97f4a7c15ULL;	/* xorshift must not start at 0 */
}

/* xorshift64* */
static uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static unsigned long rng_below(struct rng *r, unsigned long n)
{
	return (unsigned long)((rng_next(r) >> 32) % n);
}

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

/*
 * One chunk's layout into w[0..PMD_PAGES) (1 = data): full, every 16th page
 * a hole, every 8th page a hole, or each page a hole with probability 1/8.
 */
static void rng_chunk_layout(struct rng *r, unsigned char *w)
{
	unsigned long pat = rng_below(r, 4), p;

	for (p = 0; p < PMD_PAGES; p++)
		w[p] = pat == 0 ? 1 :
		       pat == 1 ? p % 16 != 15 :
		       pat == 2 ? p % 8 != 7 :
		       rng_below(r, 8) != 0;
}

/* A new file fi (ino and layout: rng_chunk_layout() per chunk). */
static void r_file_create(int fi)
{
	static unsigned int gen[RF];
	unsigned char *w = rwmap[fi];
	struct rng rr, *r = &rr;
	int k;

	/* Its own stream: the layout of file fi's g-th incarnation is fixed. */
	rng_seed(r, splitmix64(opt.seed) ^ ((uint64_t)fi << 32 | gen[fi]++));
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
	int i = c % RC;
	bool ok;

	probe_no_touch = rchunk[c].uffd >= 0;
	ok = collapse_chunk(f, i);
	probe_no_touch = false;
	if (rchunk[c].uffd >= 0 && rchunk[c].mode == UFFD_MODE_MISSING &&
	    last_collapse.holes > 0 && last_collapse.holes_now == 0) {
		rst.fills++;
		emit("truth-uffd-fill ino=%lu index=%lu holes=%ld", f->ino,
		     i * PMD_PAGES, last_collapse.holes);
	}
	rchunk[c].collapsed = ok;
	/* A collapsed chunk with no holes left is one THP: every page is data. */
	if (ok && last_collapse.holes_now == 0) {
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
		m[nm++] = &uffd_modes[1];
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

	rng_seed(&r, opt.seed ^ 0x5eeca11ULL);
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
	     snap.ino, st.seeks, st.anomalies);
	return NULL;
}

/*
 * uffd-fault: faults handed to userfaultfd on anonymous memory (a VM's guest
 * RAM is usually anonymous). A handler thread resolves each MISSING fault
 * with UFFDIO_ZEROPAGE; the main thread touches four pages and prints each.
 */
struct fault_handler {
	int uffd, want, done;
};

static void *fault_handler_main(void *arg)
{
	struct fault_handler *h = arg;

	while (h->done < h->want) {
		struct uffd_msg msg;
		struct uffdio_zeropage zp = { .mode = 0 };
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(h->uffd, &rd);
		if (select(h->uffd + 1, &rd, NULL, NULL, NULL) < 0 && errno != EINTR)
			break;
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		zp.range.start = msg.arg.pagefault.address & ~(PAGE_SZ - 1);
		zp.range.len = PAGE_SZ;
		ioctl(h->uffd, UFFDIO_ZEROPAGE, &zp);
		h->done++;
	}
	return NULL;
}

static void run_uffd_fault(void)
{
	struct fault_handler h = { .want = 4 };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t thr;
	char *area;
	int ret;

	h.uffd = uffd_open();
	if (h.uffd < 0) {
		emit("skip scenario=uffd-fault errno=%s", errno_name(errno));
		return;
	}
	area = mmap(NULL, PMD_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die_errno(EXIT_FAIL, "anonymous mmap failed");
	reg.range.start = (uintptr_t)area;
	reg.range.len = PMD_SZ;
	ret = ioctl(h.uffd, UFFDIO_REGISTER, &reg);
	emit("uffd-register ino=0 index=0 nr=%lu mode=MISSING addr=%p len=%lu ret=%d errno=%s tid=%d",
	     PMD_SZ / PAGE_SZ, (void *)area, PMD_SZ, ret, errno_name(ret ? errno : 0), gettid_());
	if (ret)
		return;
	if (pthread_create(&thr, NULL, fault_handler_main, &h))
		die_errno(EXIT_FAIL, "pthread_create failed");
	for (int i = 0; i < h.want; i++) {
		volatile char *p = area + (size_t)i * 16 * PAGE_SZ;
		uint64_t t0 = now_ns();

		(void)*p;	/* MISSING fault: blocks until the handler fills the page */
		emit("uffd-fault addr=%p tid=%d t_ns=%llu wait_ns=%llu", (void *)p, gettid_(),
		     (unsigned long long)t0, (unsigned long long)(now_ns() - t0));
	}
	pthread_join(thr, NULL);
	close(h.uffd);
	munmap(area, PMD_SZ);
}

static void run_random(void)
{
	int secs = opt.seconds ? opt.seconds : 5, fi, c;
	uint64_t deadline;
	struct rng r;
	pthread_t th;

	if (!opt.log_seeks_set)
		opt.log_seeks = R_LOG_SEEKS;
	rng_seed(&r, opt.seed);
	emit("random seed=%llu files=%d chunks=%d seconds=%d log_seeks=%ld",
	     (unsigned long long)opt.seed, RF, RC, secs, opt.log_seeks);
	if (uffd_probe(&r_avail)) {
		int err = errno;

		fprintf(stderr, "%s: userfaultfd is not available (%s); random runs without registrations\n",
			prog, strerror(err));
		emit("skip scenario=random-uffd errno=%s", errno_name(err));
		st.uffd_skipped++;
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

/* -- vmhost -- */

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
	rng_seed(r, splitmix64(opt.seed) ^ thread * 0x9e3779b97f4a7c15ULL);
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

/* The guest gives pages back: the host punches them out of the file. */
static void vh_punch(unsigned long p, unsigned long n, bool remove)
{
	uint64_t t0;

	vh_lock_range(p, n, true);
	vh_lock_range(p, n, false);
	vh_ver_bump(p, n);
	t0 = now_ns();
	if (remove)
		vh_madv_remove(p, n);
	else if (fallocate(vh.guest.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   (off_t)(p * PAGE_SZ), (off_t)(n * PAGE_SZ)))
		die_errno(EXIT_FAIL, "fallocate(PUNCH_HOLE) on %s failed", vh.guest.path);
	vh_set_data(p, n, 0);
	vh_ver_bump(p, n);
	vh_unlock_range(p, n, false);
	vh_unlock_range(p, n, true);
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
	/* Waits for a registration of these chunks to end. */
	vh_lock_range(p, n, true);
	vh_lock_range(p, n, false);
	vh_ver_bump(p, n);
	t0 = now_ns();
	if (use_pwrite) {
		memset(buf, 0x6b, n * PAGE_SZ);
		pwrite_all(&vh.guest, buf, n * PAGE_SZ, (off_t)(p * PAGE_SZ));
	} else {
		for (k = p; k < p + n; k++)
			*(volatile uint64_t *)vh_page_addr(&vh.guest, k) = k;
	}
	vh_set_data(p, n, 1);
	vh_ver_bump(p, n);
	vh_unlock_range(p, n, false);
	vh_unlock_range(p, n, true);
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

static void run_vmhost(void)
{
	int secs = opt.seconds ? opt.seconds : VH_SECONDS;
	pthread_t th[4];
	int n = 0, k;

	if (uffd_probe(&vh.avail)) {
		skip("vmhost-uffd", errno);
	} else {
		vh.uffd = true;
	}
	emit("vmhost seed=%llu chunks=%d seconds=%d uffd=%d minor=%d",
	     (unsigned long long)opt.seed, chunks(VH_CHUNKS), secs, vh.uffd,
	     !!(vh.avail & UFFD_FEATURE_MINOR_SHMEM));
	vh_setup(chunks(VH_CHUNKS));
	/* Registered chunks must never be faulted: no probe touches at all. */
	probe_no_touch = true;
	vh.deadline = now_ns() + secs * 1000000000ULL;
	start_worker(&th[n++], vh_collapser, NULL);
	start_worker(&th[n++], vh_balloon, NULL);
	start_worker(&th[n++], vh_walker, NULL);
	if (vh.uffd)
		start_worker(&th[n++], vh_postcopy, NULL);
	for (k = 0; k < n; k++)
		pthread_join(th[k], NULL);
	probe_no_touch = false;
	if (munmap(vh.post.reserve, vh.post.reserve_len))
		die_errno(EXIT_FAIL, "munmap of %s failed", vh.post.path);
	file_destroy(&vh.guest);
}

/* -- sparse-copy -- */

/*
 * A real client of SEEK_DATA/SEEK_HOLE: GNU cp copying a sparse tmpfs file
 * whose chunks are being collapsed.  Every 2 MiB chunk holds 511 stamped
 * pages and a 4 KiB hole at its end, so each collapse fills a hole; the
 * collapser punches it again, which keeps the chunks collapsible.  The
 * source's content never changes (a hole and a collapse-filled page both
 * read as zeros), so every copy must equal cpy_stamp() page by page.
 */
#define CPY_CHUNKS	64	/* default -n: 128 MiB */
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
			prog, CPY_LIBEXEC_CP);
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
	long collapses0 = __atomic_load_n(&st.collapses, __ATOMIC_RELAXED), bad;
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
	     __atomic_load_n(&st.collapses, __ATOMIC_RELAXED) - collapses0);
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
	struct rng r;
	int c;

	rng_seed(&r, opt.seed ^ 0xc0113c7ULL);
	while (!cpy.stop) {
		c = (int)rng_below(&r, cpy.src.nchunks);
		collapse_chunk(&cpy.src, c);
		if (last_collapse.holes_now == 0)
			cpy_repunch(c);
	}
	return NULL;
}

static void run_sparse_copy(void)
{
	int secs = opt.seconds ? opt.seconds : CPY_SECONDS;
	char *blk = malloc(PMD_SZ), *want = malloc(PMD_SZ);
	uint64_t deadline;
	pthread_t th;
	long k = 0;
	int dst_slot;

	if (!blk || !want)
		die(EXIT_FAIL, "out of memory");
	cpy.cp = opt.cp ? opt.cp : cpy_default_cp();
	if (access(cpy.cp, X_OK))
		die(EXIT_ENV, "the copier %s is not an executable file (--cp names another)", cpy.cp);
	emit("sparse-copy seed=%llu chunks=%d size=%lu seconds=%d cp=%s",
	     (unsigned long long)opt.seed, chunks(CPY_CHUNKS),
	     chunks(CPY_CHUNKS) * PMD_SZ, secs, cpy.cp);
	/* Every 512th page (the last of each chunk) a hole. */
	file_create(&cpy.src, "sparse-src", chunks(CPY_CHUNKS), PMD_PAGES, PMD_PAGES);
	cpy_write_src(blk);
	file_map(&cpy.src);
	snprintf(cpy.dst, sizeof(cpy.dst), "%s/sparse-dst-%d", tmpfs_dir, (int)getpid());
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
		live_used[dst_slot] = 0;
	file_destroy(&cpy.src);
	free(blk);
	free(want);
}

/* -- file-collapse: a regular file on a filesystem with large folios (7.x) -- */

#define FC_DEFAULT_DIR	"/mnt/ext4"

/*
 * Linux 7.x collapses regular files where the mapping supports PMD-size
 * folios (ext4 with 4 KiB blocks, xfs); older kernels need
 * CONFIG_READ_ONLY_THP_FOR_FS and, Debian's configs lacking it, refuse the
 * MADV_COLLAPSE with EINVAL. Chunks: even ones all data, odd ones with every
 * 16th page a hole (never written, so holes on disk too), written a page at a
 * time so the page cache holds small folios, then fsync'ed. A thread walks
 * the file with SEEK_DATA/SEEK_HOLE (the filesystem's own llseek) while each
 * chunk is collapsed once. The last chunk is dirtied first (one pwrite, no
 * fsync): on 7.x MADV_COLLAPSE meets SCAN_PAGE_DIRTY_OR_WRITEBACK, writes the
 * range back and retries once (two collapse_file calls for one madvise).
 */
/* seek-storm's walk, paced: one walk every 2 ms, at most 4000 seeks. */
static void *fc_seek_thread(void *arg)
{
	struct tfile *f = arg;
	int fd = dup(f->fd);

	if (fd < 0)
		die_errno(EXIT_FAIL, "dup failed");
	storm.budget = 4000;
	while (!storm.stop && !seeks_spent()) {
		seek_walk(f, fd);
		sleep_ms(2);
	}
	close(fd);
	emit("seek tid=%d ino=%lu seeks=%ld anomalies=%ld", gettid_(),
	     f->ino, st.seeks, st.anomalies);
	return NULL;
}

static void run_file_collapse(void)
{
	int i, n = chunks(4);
	pthread_t th;
	struct tfile f;
	struct statfs sf;
	char page[PAGE_SZ];
	off_t doff = 0;
	uint64_t t0;

	if (n < 2)
		die(EXIT_ENV, "file-collapse needs at least 2 chunks (-n)");
	if (statfs(tmpfs_dir, &sf))
		die_errno(EXIT_ENV, "statfs of %s failed", tmpfs_dir);
	emit("fs dir=%s f_type=0x%lx f_bsize=%ld", tmpfs_dir, (unsigned long)sf.f_type,
	     (long)sf.f_bsize);
	opt.small_writes = true;
	file_create(&f, "file", n, 0, 16);
	if (fsync(f.fd))
		die_errno(EXIT_FAIL, "fsync of %s failed", f.path);
	file_map(&f);
	for (i = 0; i < n; i++)
		file_touch(&f, i);
	start_worker(&th, fc_seek_thread, &f);
	while (!__atomic_load_n(&storm.started, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < n; i++) {
		if (i == n - 1) {
			/* A written page of the chunk: stays data for SEEK_DATA. */
			doff = (off_t)i * PMD_SZ;
			memset(page, 0xa5, sizeof(page));
			t0 = now_ns();
			pwrite_all(&f, page, PAGE_SZ, doff);
			emit("dirty ino=%lu index=%lu pages=1 offset=%lld tid=%d t_ns=%llu fsync=0",
			     f.ino, i * PMD_PAGES, (long long)doff, gettid_(),
			     (unsigned long long)t0);
		}
		collapse_chunk(&f, i);
		if (i == n - 1) {
			char back[PAGE_SZ];

			if (pread(f.fd, back, PAGE_SZ, doff) != (ssize_t)PAGE_SZ)
				die_errno(EXIT_FAIL, "read back of %s failed", f.path);
			emit("dirty-after ino=%lu index=%lu data_ok=%d", f.ino, i * PMD_PAGES,
			     !memcmp(back, page, PAGE_SZ));
		}
	}
	storm.stop = 1;
	pthread_join(th, NULL);
	file_destroy(&f);
}

/* ------------------------------ setup ---------------------------------- */

static void setup_tmpfs(const char *huge, long size_mb)
{
	static const char *const parents[] = { "/tmp", "/run", "/dev/shm" };
	char data[64];
	size_t i;

	if (unshare(CLONE_NEWNS))
		die_errno(EXIT_ENV, "unshare(CLONE_NEWNS) failed");
	/* Or the tmpfs mount would propagate back into the caller's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die_errno(EXIT_ENV, "making / private in the new mount namespace failed");
	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s/khugetrace-wl.XXXXXX", parents[i]);
		if (mkdtemp(tmpfs_dir))
			break;
	}
	if (i == sizeof(parents) / sizeof(parents[0]))
		die_errno(EXIT_ENV, "cannot create a temporary directory in /tmp, /run or /dev/shm");
	tmpfs_made = 1;
	/* A plain tmpfs: huge=always/within_size would allocate THPs at write time. */
	snprintf(data, sizeof(data), "size=%ldm,huge=%s,mode=0700", size_mb, huge);
	if (mount("tmpfs", tmpfs_dir, "tmpfs", 0, data))
		die_errno(EXIT_ENV, "mounting tmpfs (%s) on %s failed", data, tmpfs_dir);
	tmpfs_mounted = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	/* SIGPIPE: a reader that stops early (| head) must not leave the dir. */
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE }, i;

	sigfillset(&sa.sa_mask);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		if (sigaction(sigs[i], &sa, NULL))
			die_errno(EXIT_ENV, "sigaction failed");
}

static void wait_for_file(const char *path)
{
	uint64_t deadline = now_ns() + 30 * 1000000000ULL;

	vlog("waiting for %s", path);
	while (access(path, F_OK)) {
		if (now_ns() >= deadline)
			die(EXIT_ENV, "timed out after 30 s waiting for %s to exist", path);
		sleep_ms(10);
	}
}

static void print_thp(const char *huge)
{
	sysfs_choice(THP_DIR "/enabled", thp.en, sizeof(thp.en));
	sysfs_choice(THP_DIR "/shmem_enabled", thp.sh, sizeof(thp.sh));
	sysfs_choice(THP_DIR "/hugepages-2048kB/enabled", thp.en2, sizeof(thp.en2));
	sysfs_choice(THP_DIR "/hugepages-2048kB/shmem_enabled", thp.sh2, sizeof(thp.sh2));
	emit("thp enabled=%s shmem_enabled=%s enabled_2m=%s shmem_enabled_2m=%s tmpfs_huge=%s",
	     thp.en, thp.sh, thp.en2, thp.sh2, opt.dir ? "-" : huge);
}

static void print_summary(const char *name)
{
	char buf[1024], extra[512] = "";
	int n = 0, e;

	for (e = 0; e < ERRNO_SLOTS && n < (int)sizeof(buf) - 64; e++)
		if (st.err[e])
			n += snprintf(buf + n, sizeof(buf) - n, " err_%s=%ld",
				      errno_name(e), st.err[e]);
	buf[n] = 0;
	if (!strcmp(name, "random"))
		snprintf(extra, sizeof(extra),
			 " seed=%llu steps=%ld writes=%ld punches=%ld uffd_registrations=%ld uffd_refused=%ld uffd_unregistrations=%ld uffd_fills=%ld mincores=%ld recreated=%ld",
			 (unsigned long long)opt.seed, rst.steps, rst.writes,
			 rst.punches, rst.regs, rst.refused, rst.unregs, rst.fills,
			 rst.mincores, rst.recreated);
	if (!strcmp(name, "vmhost"))
		snprintf(extra, sizeof(extra),
			 " seed=%llu punches=%ld removes=%ld refaults=%ld pwrites=%ld walks=%ld walk_seeks=%ld mincores=%ld uffd_registrations=%ld uffd_refused=%ld uffd_unregistrations=%ld truth_holes=%ld truth_hole_pages=%ld uffd_fills=%ld uffd_collapses=%ld missing_regs_with_holes=%ld collapses_with_holes=%ld collapses_in_missing_with_holes=%ld",
			 (unsigned long long)opt.seed, vst.punches, vst.removes,
			 vst.refaults, vst.pwrites, vst.walks, vst.walk_seeks,
			 vst.mincores, vst.regs, vst.refused, vst.unregs,
			 vst.truth_holes, vst.truth_hole_pages, vst.uffd_fills,
			 vst.uffd_collapses, vst.regs_holes, vst.collapses_holes,
			 vst.collapses_uffd);
	if (!strcmp(name, "sparse-copy"))
		snprintf(extra, sizeof(extra),
			 " seed=%llu copies=%ld corrupt_copies=%ld bad_pages=%ld truth_lines=%ld repunches=%ld repunch_kept=%ld",
			 (unsigned long long)opt.seed, cst.copies, cst.corrupt,
			 cst.bad_pages, cst.truth_lines, cst.repunches, cst.repunch_kept);
	emit("summary scenario=%s files=%ld collapses=%ld collapsed=%ld ret_ok=%ld%s khugepaged_chunks=%ld khugepaged_collapsed=%ld seeks=%ld anomalies=%ld uffd_skipped=%ld%s",
	     name, st.files, st.collapses, st.collapsed, st.ret_ok, buf,
	     st.kh_chunks, st.kh_collapsed, st.seeks, st.anomalies, st.uffd_skipped,
	     extra);
}

static void usage(FILE *fp)
{
	fprintf(fp,
"Usage: %s [options] SCENARIO\n"
"Drive collapse_file() on a private tmpfs and print key=value records.\n"
"Scenarios: collapse-full collapse-holes khugepaged seek-storm uffd-missing mixed\n"
"           uffd-modes uffd-continue mincore-loop timeline random uffd-fault\n"
"           vmhost sparse-copy file-collapse\n"
"  -n COUNT           number of 2 MiB chunks (1..%d; default per scenario;\n"
"                     vmhost 16, sparse-copy 64)\n"
"  -d DIR             use existing DIR instead of a private tmpfs (debugging;\n"
"                     file-collapse: a regular filesystem, default " FC_DEFAULT_DIR ")\n"
"      --huge=MODE    tmpfs huge= option: never (default) or advise\n"
"  -s SECONDS         duration of khugepaged (30), seek-storm (3), random (5),\n"
"                     vmhost (10), sparse-copy (10);\n"
"                     mincore-loop: run a mincore thread that long (default off)\n"
"      --log-seeks N  seek-storm, file-collapse: print the first N seeks as\n"
"                     seek-op lines (file-collapse: default 200)\n"
"                     (random: default 2000)\n"
"      --seed N       random, vmhost, sparse-copy: PRNG seed, 0..2^64-1 (default 1)\n"
"      --cp PATH      sparse-copy: the copier (default /bin/cp, or\n"
"                     " CPY_LIBEXEC_CP " when /bin/cp is busybox)\n"
"      --wait-file P  after the start line, wait up to 30 s for P to exist\n"
"  -v                 verbose progress on stderr\n"
"  -h, --help         this help\n"
"      --version      print the version\n"
"Exit: 0 ran, 1 scenario failed to run, 2 usage or environment error.\n",
		prog, MAX_CHUNKS);
}

static int parse_int(const char *s, int lo, int hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: %s must be an integer in %d..%d, not '%s'\n",
			prog, what, lo, hi, s);
		usage(stderr);
		exit(EXIT_ENV);
	}
	return (int)v;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "%s: %s must be an unsigned 64-bit integer, not '%s'\n",
			prog, what, s);
		usage(stderr);
		exit(EXIT_ENV);
	}
	return v;
}

static enum scenario parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "huge", required_argument, NULL, 'H' },
		{ "wait-file", required_argument, NULL, 'w' },
		{ "log-seeks", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 'S' },
		{ "cp", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "n:d:s:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': opt.n = parse_int(optarg, 1, MAX_CHUNKS, "-n"); break;
		case 's': opt.seconds = parse_int(optarg, 1, 3600, "-s"); break;
		case 'd': opt.dir = optarg; break;
		case 'w': opt.wait_file = optarg; break;
		case 'L':
			opt.log_seeks = parse_int(optarg, 0, INT_MAX, "--log-seeks");
			opt.log_seeks_set = true;
			break;
		case 'S': opt.seed = parse_u64(optarg, "--seed"); break;
		case 'C': opt.cp = optarg; break;
		case 'v': opt.verbose = true; break;
		case 'H':
			if (strcmp(optarg, "never") && strcmp(optarg, "advise")) {
				fprintf(stderr, "%s: --huge must be never or advise\n", prog);
				usage(stderr);
				exit(EXIT_ENV);
			}
			opt.huge = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("%s %s\n", prog, KHT_VERSION); exit(0);
		default: usage(stderr); exit(EXIT_ENV);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: exactly one SCENARIO is required\n", prog);
		usage(stderr);
		exit(EXIT_ENV);
	}
	for (i = 0; i < sizeof(sc_names) / sizeof(sc_names[0]); i++)
		if (!strcmp(argv[optind], sc_names[i]))
			return (enum scenario)i;
	fprintf(stderr, "%s: unknown scenario '%s'\n", prog, argv[optind]);
	usage(stderr);
	exit(EXIT_ENV);
}

/* sparse-copy keeps a source and its copy: room for both, plus THP slack. */
static long tmpfs_mb(enum scenario sc)
{
	if (sc == SC_SPARSE_COPY)
		return 2L * chunks(CPY_CHUNKS) * (PMD_SZ >> 20) + 64;
	return 256;
}

int main(int argc, char **argv)
{
	enum scenario sc = parse_args(argc, argv);
	/* khugepaged only considers huge=advise mounts for VM_HUGEPAGE VMAs. */
	const char *huge = sc == SC_KHUGEPAGED || sc == SC_VMHOST ? "advise" : opt.huge;
	struct stat sb;
	struct statfs sf;
	struct utsname u;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: must run as root (it mounts a private tmpfs and tunes khugepaged).\n", prog);
		return EXIT_ENV;
	}
	install_signals();
	if (sc == SC_FILE_COLLAPSE) {
		if (!opt.dir)
			opt.dir = FC_DEFAULT_DIR;
		if (!opt.log_seeks_set)
			opt.log_seeks = 200;
	}
	if (opt.dir) {
		if (stat(opt.dir, &sb) || !S_ISDIR(sb.st_mode) || strlen(opt.dir) > 200)
			die(EXIT_ENV, "-d %s is not an existing directory with a short path", opt.dir);
		if (statfs(opt.dir, &sf) == 0 && sf.f_type != TMPFS_MAGIC && sc != SC_FILE_COLLAPSE)
			fprintf(stderr, "%s: %s is not on tmpfs; collapse_file() of shmem will not be exercised\n",
				prog, opt.dir);
		snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s", opt.dir);
	} else {
		setup_tmpfs(huge, tmpfs_mb(sc));
	}
	uname(&u);
	emit("start scenario=%s pid=%d tmpfs=%s kernel=%s", sc_names[sc],
	     (int)getpid(), tmpfs_dir, u.release);
	print_thp(huge);
	if (opt.wait_file)
		wait_for_file(opt.wait_file);

	switch (sc) {
	case SC_FULL: run_full(); break;
	case SC_HOLES: run_holes(); break;
	case SC_KHUGEPAGED: run_khugepaged(); break;
	case SC_SEEK: run_seek_storm(); break;
	case SC_UFFD: run_uffd(false); break;
	case SC_MIXED:
		run_full();
		run_holes();
		run_uffd(true);
		break;
	case SC_UFFD_MODES: run_uffd_modes(); break;
	case SC_UFFD_CONTINUE: run_uffd_continue(); break;
	case SC_MINCORE: run_mincore_loop(); break;
	case SC_TIMELINE: run_timeline(); break;
	case SC_RANDOM: run_random(); break;
	case SC_UFFD_FAULT: run_uffd_fault(); break;
	case SC_VMHOST: run_vmhost(); break;
	case SC_SPARSE_COPY: run_sparse_copy(); break;
	case SC_FILE_COLLAPSE: run_file_collapse(); break;
	}
	print_summary(sc_names[sc]);
	cleanup();
	return 0;
}
