// SPDX-License-Identifier: GPL-2.0
/*
 * pagecache_load: the page-cache-heavy load of the khugetrace overhead bench.
 *
 * On a private tmpfs (own mount namespace, huge=never) it creates FILES files
 * of 4 MiB with holes (every other 64 KiB block written) and one 2 MiB
 * collapse file, then runs ITERS iterations of a fixed, deterministic mix.
 * Per iteration and per file:
 *
 *   16 x pread 4 KiB          (not traced: shows the cost of tracing the
 *                              other syscalls' tracepoints, which is ~none)
 *    4 x lseek SEEK_DATA      (traced: seek_sys_enter/exit in syscalls mode)
 *    4 x lseek SEEK_HOLE      (traced)
 *    4 x ioctl FIONREAD       (traced hook, cheap exit: not a userfaultfd ioctl)
 *    1 x mincore over 256 KiB (traced: mincore_enter/exit, VMA lookup,
 *                              64-byte vector read back)
 *
 * and every COLLAPSE_EVERY iterations one collapse cycle: madvise(MADV_COLLAPSE)
 * of the 2 MiB-aligned mapping of the collapse file (traced: the
 * mm_khugepaged_collapse_file / scan_file tracepoints), then "refill":
 * truncate the file to 0 and rewrite half of its pages, so that the next
 * collapse has real work to do (copy 256 pages, fill 256 holes).
 *
 * Output, one "key=value ..." line per op kind and a total:
 *   op=pread n=... ns=... ops_s=...
 *   total n=... wall_ns=... ops_s=...
 *   collapse_ok=K collapse_calls=N
 * The op lines time only that op kind (batched clock reads); the total line
 * is every op over the whole wall time (refill included) - the workload's
 * throughput, which is what the slowdown is computed from.
 */
#include "bench_common.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define PAGE		4096UL
#define PMD		KHT_PMD_SZ
#define FILE_SZ		(4UL << 20)
#define BLOCK		(64UL << 10)
#define MAX_FILES	64
#define MINCORE_LEN	(256UL << 10)

enum { OP_PREAD, OP_SEEK_DATA, OP_SEEK_HOLE, OP_IOCTL, OP_MINCORE, OP_COLLAPSE,
       OP_REFILL, N_OPS };
static const char *const op_name[N_OPS] = {
	"pread", "seek_data", "seek_hole", "ioctl", "mincore", "collapse", "refill",
};
static unsigned long long op_n[N_OPS], op_ns[N_OPS];

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned long long next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void *map_aligned(int fd, size_t len)
{
	struct kht_pmd_area a;

	if (kht_pmd_reserve(&a, len))
		bench_die("reserving %zu bytes of address space failed:", len + PMD);
	if (kht_pmd_map_file(&a, 0, fd, 0, len))
		bench_die("mmap of a tmpfs file failed:");
	return a.base;
}

static int make_file(const char *name, size_t size, size_t step, size_t chunk)
{
	static char buf[BLOCK];
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", bench_tmpfs.dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		bench_die("cannot create %s:", path);
	memset(buf, 0x5a, sizeof(buf));
	if (ftruncate(fd, size))
		bench_die("ftruncate %s failed:", path);
	for (size_t off = 0; off < size; off += step)
		if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk)
			bench_die("writing %s failed:", path);
	return fd;
}

/* truncate + rewrite every other page: the next MADV_COLLAPSE has work */
static void refill(int fd)
{
	static char page[PAGE];

	memset(page, 0xa5, sizeof(page));
	if (ftruncate(fd, 0) || ftruncate(fd, PMD))
		bench_die("truncating the collapse file failed:");
	for (size_t off = 0; off < PMD; off += 2 * PAGE)
		if (pwrite(fd, page, PAGE, off) != (ssize_t)PAGE)
			bench_die("refilling the collapse file failed:");
}

static void usage(void)
{
	printf("Usage: pagecache_load [-i ITERS] [-f FILES] [-c COLLAPSE_EVERY]\n"
	       "  -i ITERS           iterations of the mix (default 2000)\n"
	       "  -f FILES           4 MiB files with holes (default 8, max %d)\n"
	       "  -c COLLAPSE_EVERY  one MADV_COLLAPSE cycle every N iterations\n"
	       "                     (default 10; 0 = none)\n", MAX_FILES);
}

int main(int argc, char **argv)
{
	unsigned long long iters = 2000, nfiles = 8, every = 10, t_start, t_end, total = 0;
	unsigned long long collapse_ok = 0, collapse_calls = 0, collapse_errno = 0;
	int fds[MAX_FILES], cfd, opt;
	char *maps[MAX_FILES], *cmap, buf[PAGE];
	unsigned char vec[MINCORE_LEN / PAGE];

	bench_prog = "pagecache_load";
	while ((opt = getopt(argc, argv, "i:f:c:h")) != -1) {
		switch (opt) {
		case 'i': iters = bench_num("-i", optarg); break;
		case 'f': nfiles = bench_num("-f", optarg); break;
		case 'c': every = bench_num("-c", optarg); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (!nfiles || nfiles > MAX_FILES || !iters) {
		fprintf(stderr, "pagecache_load: -f must be 1..%d and -i at least 1.\n", MAX_FILES);
		return 2;
	}
	bench_setup_tmpfs("512m");
	for (unsigned i = 0; i < nfiles; i++) {
		char name[32];

		snprintf(name, sizeof(name), "holes%u", i);
		/* one 64 KiB block written, one left a hole */
		fds[i] = make_file(name, FILE_SZ, 2 * BLOCK, BLOCK);
		maps[i] = map_aligned(fds[i], FILE_SZ);
	}
	cfd = make_file("collapse", PMD, 2 * PAGE, PAGE);
	cmap = map_aligned(cfd, PMD);

	t_start = bench_now_ns();
	for (unsigned long long it = 0; it < iters; it++) {
		for (unsigned f = 0; f < nfiles; f++) {
			int fd = fds[f];
			unsigned long long t0, t1;
			int avail;

			t0 = bench_now_ns();
			for (int k = 0; k < 16; k++)
				if (pread(fd, buf, PAGE, (next_rand() % (FILE_SZ / PAGE)) * PAGE) != PAGE)
					bench_die("pread failed:");
			t1 = bench_now_ns();
			op_ns[OP_PREAD] += t1 - t0;
			op_n[OP_PREAD] += 16;
			for (int k = 0; k < 4; k++)
				if (lseek(fd, (next_rand() % (FILE_SZ / PAGE)) * PAGE, SEEK_DATA) < 0 &&
				    errno != ENXIO)
					bench_die("lseek SEEK_DATA failed:");
			t0 = bench_now_ns();
			op_ns[OP_SEEK_DATA] += t0 - t1;
			op_n[OP_SEEK_DATA] += 4;
			for (int k = 0; k < 4; k++)
				if (lseek(fd, (next_rand() % (FILE_SZ / PAGE)) * PAGE, SEEK_HOLE) < 0)
					bench_die("lseek SEEK_HOLE failed:");
			t1 = bench_now_ns();
			op_ns[OP_SEEK_HOLE] += t1 - t0;
			op_n[OP_SEEK_HOLE] += 4;
			for (int k = 0; k < 4; k++)
				if (ioctl(fd, FIONREAD, &avail))
					bench_die("ioctl FIONREAD failed:");
			t0 = bench_now_ns();
			op_ns[OP_IOCTL] += t0 - t1;
			op_n[OP_IOCTL] += 4;
			if (mincore(maps[f] + (it % (FILE_SZ / MINCORE_LEN)) * MINCORE_LEN, MINCORE_LEN, vec))
				bench_die("mincore failed:");
			t1 = bench_now_ns();
			op_ns[OP_MINCORE] += t1 - t0;
			op_n[OP_MINCORE]++;
		}
		if (every && it % every == every - 1) {
			unsigned long long t0 = bench_now_ns(), t1, t2;

			collapse_calls++;
			if (madvise(cmap, PMD, MADV_COLLAPSE) == 0)
				collapse_ok++;
			else
				collapse_errno = errno;
			t1 = bench_now_ns();
			refill(cfd);
			t2 = bench_now_ns();
			op_ns[OP_COLLAPSE] += t1 - t0;
			op_n[OP_COLLAPSE]++;
			op_ns[OP_REFILL] += t2 - t1;
			op_n[OP_REFILL]++;
		}
	}
	t_end = bench_now_ns();

	for (int o = 0; o < N_OPS; o++) {
		if (!op_n[o])
			continue;
		total += op_n[o];
		printf("op=%s n=%llu ns=%llu ops_s=%.1f\n", op_name[o], op_n[o], op_ns[o],
		       op_n[o] * 1e9 / (op_ns[o] ? op_ns[o] : 1));
	}
	printf("total n=%llu wall_ns=%llu ops_s=%.1f\n", total, t_end - t_start,
	       total * 1e9 / (t_end - t_start));
	printf("collapse_ok=%llu collapse_calls=%llu\n", collapse_ok, collapse_calls);
	if (collapse_calls && !collapse_ok)
		fprintf(stderr, "pagecache_load: no MADV_COLLAPSE succeeded (last errno: %s): "
			"the collapse tracepoints were not exercised.\n", strerror(collapse_errno));
	return 0;
}
