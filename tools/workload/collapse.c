// SPDX-License-Identifier: GPL-2.0
/*
 * The plain collapse scenarios: MADV_COLLAPSE of every chunk of a file
 * (collapse-full, collapse-holes), and khugepaged doing it (khugepaged:
 * its tunables made eager for the run, restored by cleanup()).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "workload.h"

/* khugepaged's knobs: scan often, collapse any chunk with holes. */
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

/* For cleanup(): async-signal-safe. */
void khugepaged_restore(void)
{
	size_t i;

	for (i = 0; i < N_TUNABLES; i++)
		if (tunables[i].have && write_str(tunables[i].path, tunables[i].saved))
			swrite("khugetrace-workload: could not restore ", tunables[i].path);
}

/* -- collapse-full, collapse-holes -- */

static void run_collapse(const char *tag, int nchunks, int stride)
{
	struct tfile f;
	int i;

	file_create(&f, tag, nchunks, stride, stride);
	file_map(&f);
	for (i = 0; i < nchunks; i++)
		file_touch(&f, i);
	for (i = 0; i < nchunks; i++)
		collapse_chunk(&f, i, NULL);
	file_destroy(&f);
}

void run_full(void)
{
	run_collapse("full", chunks(2), 0);
}

void run_holes(void)
{
	run_collapse("holes", chunks(2), 16);	/* 32 holes per chunk */
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
void register_mm_with_khugepaged(void)
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
	if (!strcmp(wl.thp.sh, "deny"))
		fprintf(stderr, "%s: shmem_enabled=deny disables huge pages on every tmpfs mount, so khugepaged will not collapse\n",
			wl_prog);
	if (!strcmp(wl.thp.en, "never") || !strcmp(wl.thp.en2, "never"))
		fprintf(stderr, "%s: transparent_hugepage/enabled=%s (2048kB: %s): khugepaged may not be running at all\n",
			wl_prog, wl.thp.en, wl.thp.en2);
	if (wl.opt.dir)
		fprintf(stderr, "%s: with -d the directory's own huge= setting applies; khugepaged needs huge=advise or better\n",
			wl_prog);
}

void run_khugepaged(void)
{
	int i, left, secs = wl.opt.seconds ? wl.opt.seconds : 30;
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
	wl.st.kh_chunks += f.nchunks;
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
			wl.st.kh_collapsed += pmd == 1 || thp == 1;
			emit("khugepaged ino=%lu index=%lu nr=%lu pmd_mapped=%d thp=%d waited_ms=%llu",
			     f.ino, i * PMD_PAGES, PMD_PAGES, pmd, thp,
			     (unsigned long long)((now_ns() - t0) / 1000000));
		}
		if (left)
			sleep_ms(50);
	}
	if (wl.st.kh_collapsed < wl.st.kh_chunks)
		fprintf(stderr, "%s: khugepaged did not collapse every chunk within %d s\n", wl_prog, secs);
	free(done);
	file_destroy(&f);
}
