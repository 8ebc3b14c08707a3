// SPDX-License-Identifier: GPL-2.0
/*
 * The test files: NCHUNKS 2 MiB chunks, written with a hole pattern (write()
 * has no VMA, so on a huge=never/advise tmpfs that makes small pages), each
 * chunk mapped at a PMD boundary in a VMA of its own; and what a
 * MADV_COLLAPSE of one chunk did, judged by its effect (SEEK_HOLE, smaps,
 * pagemap + kpageflags), not only by its return value.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "workload.h"

#define KPF_THP		22

bool page_written(const struct tfile *f, unsigned long page)
{
	int s = f->stride[(page / PMD_PAGES) & 1];

	if (f->wmap)
		return f->wmap[page];
	return !s || page % s != (unsigned long)s - 1;
}

size_t file_size(const struct tfile *f)
{
	return f->nchunks * PMD_SZ;
}

/*
 * Each chunk gets its own VMA, separated by a PROT_NONE gap so the kernel
 * cannot merge them: then a chunk's smaps entry tells whether that chunk,
 * and only it, is PMD-mapped.
 */
char *chunk_addr(const struct tfile *f, int i)
{
	return f->area.base + 2UL * i * PMD_SZ;
}

static void live_add(struct tfile *f)
{
	f->slot = live_add_path(f->path);
}

void pwrite_all(struct tfile *f, const char *buf, size_t len, off_t off)
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
			if (wl.opt.small_writes && q > p)
				break;
		pwrite_all(f, buf, (q - p) * PAGE_SZ, p * PAGE_SZ);
		p = q;
	}
}

void file_create_map(struct tfile *f, const char *tag, int nchunks,
			    int stride_even, int stride_odd, unsigned char *wmap)
{
	static int seq;
	struct stat sb;

	memset(f, 0, sizeof(*f));
	f->nchunks = nchunks;
	f->stride[0] = stride_even;
	f->stride[1] = stride_odd;
	f->wmap = wmap;
	snprintf(f->path, sizeof(f->path), "%s/%s-%d-%d", wl.tmpfs.dir, tag,
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
	wl.st.files++;
	emit("file path=%s dev=%u:%u ino=%lu size=%zu", f->path,
	     major(sb.st_dev), minor(sb.st_dev), f->ino, file_size(f));
}

void file_create(struct tfile *f, const char *tag, int nchunks,
			int stride_even, int stride_odd)
{
	file_create_map(f, tag, nchunks, stride_even, stride_odd, NULL);
}

void file_map(struct tfile *f)
{
	int i;

	if (kht_pmd_reserve(&f->area, 2UL * f->nchunks * PMD_SZ))
		die_errno(EXIT_FAIL, "reserving address space for %s failed", f->path);
	for (i = 0; i < f->nchunks; i++)
		if (kht_pmd_map_file(&f->area, 2UL * i * PMD_SZ, f->fd, (off_t)i * PMD_SZ, PMD_SZ))
			die_errno(EXIT_FAIL, "mmap of %s failed", f->path);
}

/* Only written pages: a read fault on a shmem hole would allocate a page. */
void file_touch(const struct tfile *f, int i)
{
	unsigned long p, first = i * PMD_PAGES;

	for (p = first; p < first + PMD_PAGES; p++)
		if (page_written(f, p))
			(void)*(volatile char *)(chunk_addr(f, i) + (p - first) * PAGE_SZ);
}

void file_destroy(struct tfile *f)
{
	if (kht_pmd_release(&f->area))
		die_errno(EXIT_FAIL, "munmap of %s failed", f->path);
	close(f->fd);
	if (unlink(f->path))
		die_errno(EXIT_FAIL, "unlink of %s failed", f->path);
	if (f->slot >= 0)
		wl.live_used[f->slot] = 0;
}

/* ------------------------ what a collapse did --------------------------- */

/* Pages of [off, off+len) that SEEK_DATA/SEEK_HOLE call holes right now. */
long count_holes(int fd, off_t off, off_t len)
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
				wl_prog, strerror(errno));
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

int pmd_mapped(const void *addr)
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
 * probe must be a written page of the chunk: it is faulted in, unless
 * wl.probe_no_touch says the chunk is registered with userfaultfd.
 */
int chunk_is_thp(const void *chunk, const void *probe)
{
	static uint64_t fl[PMD_PAGES];
	uint64_t ent, pfn, head;
	int fd, ok;
	unsigned long k;

	if (!wl.probe_no_touch)
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

/*
 * One madvise per PMD, so one call maps to exactly one collapse_file().
 * Measures and counts, prints nothing: callers differ in what they print.
 * Only one thread of a scenario may call it (wl.st is not locked).
 */
void collapse_measure(const struct tfile *f, int i, struct collapse_res *r)
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
	wl.st.collapses++;
	wl.st.ret_ok += r->ret == 0;
	wl.st.collapsed += r->ok;
	wl.st.err[r->err < ERRNO_SLOTS ? r->err : ERRNO_SLOTS - 1]++;
}

/* MADV_COLLAPSE chunk i, print its collapse and after records. */
bool collapse_chunk(const struct tfile *f, int i, struct collapse_res *r)
{
	struct collapse_res own;

	if (!r)
		r = &own;
	collapse_measure(f, i, r);
	emit("collapse ino=%lu index=%lu nr=%lu holes=%ld ret=%d errno=%s tid=%d t_ns=%llu dur_ns=%llu addr=%p thp_before=%d",
	     f->ino, i * PMD_PAGES, PMD_PAGES, r->holes, r->ret, errno_name(r->err),
	     r->tid, (unsigned long long)r->t0, (unsigned long long)r->dur_ns,
	     (void *)chunk_addr(f, i), r->thp_before);
	emit("after ino=%lu index=%lu pmd_mapped=%d holes_now=%ld thp=%d collapsed=%d",
	     f->ino, i * PMD_PAGES, r->pmd, r->holes_now, r->thp, r->ok);
	return r->ok;
}
