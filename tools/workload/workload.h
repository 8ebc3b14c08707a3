/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khugetrace-workload: a deterministic generator of collapse_file() calls on
 * shmem/tmpfs page cache (and regular files), printing what it did as
 * key=value lines so the tracer's output can be checked against it. See
 * docs/workload.md.
 *
 * It must run statically linked under a busybox-only guest, so everything is
 * done with syscalls (no mount(8), no shell-outs).
 *
 * What the files of tools/workload/ share: the options, the statistics of
 * the summary line, the cleanup state (all in `wl`), the records and error
 * exits (runtime.c), the test files and what a MADV_COLLAPSE of one of their
 * chunks did (testfile.c), and the helpers several scenario families use.
 */
#ifndef KHT_WORKLOAD_H
#define KHT_WORKLOAD_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <linux/userfaultfd.h>
#include "common/tmpfs_pmd.h"

/* Older libc and kernel headers lack these; the values are the kernel ABI. */
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

#define PAGE_SZ		KHT_PAGE_SZ
#define PMD_PAGES	KHT_PMD_PAGES
#define PMD_SZ		KHT_PMD_SZ
#define MAX_CHUNKS	100	/* keeps every scenario well inside size=256m */
#define EXIT_FAIL	1
#define EXIT_ENV	2
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define MAX_ANOMALY_LINES 100
/* Where tests/vm/mkinitramfs.sh puts GNU cp in busybox-only guests. */
#define CPY_LIBEXEC_CP	"/usr/libexec/khugetrace/cp"
#define CPY_CHUNKS	64	/* sparse-copy's default -n: 128 MiB */
#define FC_DEFAULT_DIR	"/mnt/ext4"	/* file-collapse's default -d */

extern const char wl_prog[];

/* ------------------------------ shared state ---------------------------- */

#define ERRNO_SLOTS 160
#define LIVE_SLOTS 4

struct workload {
	struct {
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
	} opt;
	/* The summary line; only touched by the thread that collapses. */
	struct {
		long collapses, collapsed, ret_ok;
		long err[ERRNO_SLOTS];
		long files, kh_chunks, kh_collapsed, seeks, anomalies, uffd_skipped;
	} st;
	/*
	 * Where the test files go: the private tmpfs, or -d DIR (then not ours
	 * to unmount). The cleanup path (maybe a signal handler) undoes it and
	 * unlinks the live files.
	 */
	struct kht_tmpfs tmpfs;
	char live_path[LIVE_SLOTS][512];
	volatile sig_atomic_t live_used[LIVE_SLOTS];
	/* The THP sysfs knobs, as read at start ("-" if absent). */
	struct { char en[32], sh[32], en2[32], sh2[32]; } thp;
	/*
	 * Set while the chunk being looked at is registered with userfaultfd:
	 * then nothing may fault on it (a MINOR fault would block), so
	 * chunk_is_thp() does not touch its probe page and an unmapped probe
	 * gives -1.
	 */
	bool probe_no_touch;
};
extern struct workload wl;

/* ------------------------- runtime.c: the process ----------------------- */

void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...);
#define die_errno(code, fmt, ...) \
	die(code, fmt ": %s", ##__VA_ARGS__, strerror(errno))
/* -v progress on stderr */
void __attribute__((format(printf, 1, 2))) vlog(const char *fmt, ...);
/* One record per line, flushed, so a harness can follow it live. */
void __attribute__((format(printf, 1, 2))) emit(const char *fmt, ...);
/* Signal-handler safe: no stdio. */
void swrite(const char *a, const char *b);
int write_str(const char *path, const char *s);
void cleanup(void);
void install_signals(void);
void setup_tmpfs(const char *huge, long size_mb);
/* Files the cleanup path unlinks (matters with -d); returns the slot or -1. */
int live_add_path(const char *path);
uint64_t now_ns(void);
void sleep_ms(long ms);
int gettid_(void);
const char *errno_name(int e);
/* -n, else the scenario's default */
int chunks(int def);
/* Signals go to the calling thread only, so cleanup never races a worker. */
void start_worker(pthread_t *th, void *(*fn)(void *), void *arg);
void wait_flag(const volatile int *flag);

/* ------------------------ testfile.c: the test files --------------------- */

struct tfile {
	char path[512];
	int fd, slot;
	unsigned long ino;
	int nchunks;
	int stride[2];	/* even/odd chunks: every stride-th page a hole; 0 = none */
	unsigned char *wmap;	/* if set: one byte per page, 1 = written (overrides stride) */
	struct kht_pmd_area area;	/* file_map(): chunk i at area.base + 2 i PMD_SZ */
};

bool page_written(const struct tfile *f, unsigned long page);
size_t file_size(const struct tfile *f);
char *chunk_addr(const struct tfile *f, int i);
void pwrite_all(struct tfile *f, const char *buf, size_t len, off_t off);
void file_create_map(struct tfile *f, const char *tag, int nchunks,
		     int stride_even, int stride_odd, unsigned char *wmap);
void file_create(struct tfile *f, const char *tag, int nchunks,
		 int stride_even, int stride_odd);
void file_map(struct tfile *f);
void file_touch(const struct tfile *f, int i);
void file_destroy(struct tfile *f);
long count_holes(int fd, off_t off, off_t len);
int pmd_mapped(const void *addr);
int chunk_is_thp(const void *chunk, const void *probe);

/* What one MADV_COLLAPSE of a chunk did, measured around the call. */
struct collapse_res {
	long holes, holes_now;	/* pages SEEK_HOLE reports before / after */
	int ret, err, tid;
	int thp_before, pmd, thp;	/* 0, 1, or -1 unknown */
	uint64_t t0, dur_ns;
	bool ok;		/* collapsed, judged by effect */
};

void collapse_measure(const struct tfile *f, int i, struct collapse_res *r);
/* MADV_COLLAPSE chunk i, print its collapse and after records; r: what it did */
bool collapse_chunk(const struct tfile *f, int i, struct collapse_res *r);

/* --------------------- rng.c: reproducible choices ---------------------- */

struct rng { uint64_t s; };

uint64_t splitmix64(uint64_t x);
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
unsigned long rng_below(struct rng *r, unsigned long n);
void rng_chunk_layout(struct rng *r, unsigned char *w);

/* ----------------------- uffd.c: userfaultfd helpers --------------------- */

struct uffd_mode {
	const char *name;
	uint64_t mode;
	uint64_t feature;	/* API feature shmem needs for this mode */
};
extern const struct uffd_mode uffd_modes[4];
#define UFFD_MODE_MISSING	(&uffd_modes[0])
#define UFFD_MODE_WP		(&uffd_modes[1])
#define UFFD_MODE_MINOR		(&uffd_modes[2])

int uffd_open(void);
int uffd_probe(uint64_t *avail);
int uffd_open_mode(const struct uffd_mode *m, uint64_t avail);
int uffd_register_chunk(int uffd, const struct tfile *f, int i, const struct uffd_mode *m);
void uffd_unregister_chunk(int uffd, const struct tfile *f, int i);
int uffd_register_cycle(const struct tfile *f, int i, const struct uffd_mode *m,
			uint64_t avail);
/* A scenario (or part) this kernel cannot run: a skip record. */
void skip(const char *scenario, int err);

/* ------------- seek_mincore.c: SEEK_DATA/SEEK_HOLE and mincore ------------ */

off_t seek_op(const struct tfile *f, int fd, off_t off, int whence);
void anomaly(const struct tfile *f, const char *whence, off_t off, off_t got);
/* A seek thread walking f until budget seeks are made; returns once it seeked. */
void seek_budget_start(pthread_t *th, struct tfile *f, long budget);
void seek_budget_join(pthread_t th);
/* One walk of f every 2 ms until budget seeks or seek_paced_stop(). */
void seek_paced_start(pthread_t *th, struct tfile *f, long budget);
void seek_paced_stop(pthread_t th);
long chunk_resident_vec(const struct tfile *f, int i, unsigned char *vec);
void emit_mincore(const struct tfile *f, int i, long res, uint64_t t0);
void mincore_chunk(const struct tfile *f, int i);

/* collapse.c: the mm on khugepaged's list; restoring its tunables (cleanup) */
void register_mm_with_khugepaged(void);
void khugepaged_restore(void);

/* ------------------------------ scenarios ------------------------------- */

void run_full(void);
void run_holes(void);
void run_khugepaged(void);
void run_uffd_missing(bool in_mixed);
void run_uffd_modes(void);
void run_uffd_continue(void);
void run_uffd_fault(void);
void run_seek_storm(void);
void run_mincore_loop(void);
void run_timeline(void);
void run_random(void);
void run_vmhost(void);
void run_sparse_copy(void);
void run_file_collapse(void);
void run_seek_migrate(void);
/* The summary line's scenario-specific part. */
void random_summary(char *buf, size_t len);
void vmhost_summary(char *buf, size_t len);
void sparse_copy_summary(char *buf, size_t len);
long sparse_copy_tmpfs_mb(void);

#endif
