// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd: the helpers every scenario that registers uses (a uffd per
 * registration mode, register/unregister a chunk and print it), and the
 * scenarios about it: uffd-missing (MADV_COLLAPSE of a MISSING-registered
 * range with holes), uffd-modes, uffd-continue, uffd-fault (anonymous memory).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include "workload.h"

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
int uffd_open(void)
{
	return uffd_open_api(0, NULL);
}

/*
 * The features this kernel's userfaultfd offers.  UFFDIO_API works once per
 * fd, so a throw-away fd asks with features=0 (the kernel reports them all).
 * Returns -1 with errno set if there is no userfaultfd at all.
 */
int uffd_probe(uint64_t *avail)
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

const struct uffd_mode uffd_modes[4] = {
	{ "MISSING", UFFDIO_REGISTER_MODE_MISSING, 0 },
	{ "WP", UFFDIO_REGISTER_MODE_WP, UFFD_FEATURE_WP_HUGETLBFS_SHMEM },
	{ "MINOR", UFFDIO_REGISTER_MODE_MINOR, UFFD_FEATURE_MINOR_SHMEM },
	{ "MISSING+WP", UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
	  UFFD_FEATURE_WP_HUGETLBFS_SHMEM },
};

/* A uffd for mode, with its feature requested only if the kernel offers it. */
int uffd_open_mode(const struct uffd_mode *m, uint64_t avail)
{
	int fd = uffd_open_api(m->feature & avail, NULL);

	if (fd < 0)
		die_errno(EXIT_FAIL, "userfaultfd for mode %s failed", m->name);
	return fd;
}

/* Registers chunk i with mode m and prints it; returns 0 or the errno. */
int uffd_register_chunk(int uffd, const struct tfile *f, int i,
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

void uffd_unregister_chunk(int uffd, const struct tfile *f, int i)
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
int uffd_register_cycle(const struct tfile *f, int i,
			       const struct uffd_mode *m, uint64_t avail)
{
	int uffd = uffd_open_mode(m, avail), err;

	err = uffd_register_chunk(uffd, f, i, m);
	if (!err)
		uffd_unregister_chunk(uffd, f, i);
	close(uffd);
	return err;
}

void skip(const char *scenario, int err)
{
	fprintf(stderr, "%s: skipping %s (%s)\n", wl_prog, scenario, strerror(err));
	emit("skip scenario=%s errno=%s", scenario, errno_name(err));
	wl.st.uffd_skipped++;
}

/* -- uffd-missing -- */

void run_uffd_missing(bool in_mixed)
{
	int i, uffd = uffd_open(), ret, err;
	struct tfile f;

	if (uffd < 0) {
		if (!in_mixed)
			die(EXIT_ENV, "userfaultfd is not available on this kernel (%s), so uffd-missing cannot run",
			    strerror(errno));
		fprintf(stderr, "%s: userfaultfd is not available (%s); skipping uffd-missing\n",
			wl_prog, strerror(errno));
		emit("skip scenario=uffd-missing errno=%s", errno_name(errno));
		wl.st.uffd_skipped++;
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
		collapse_chunk(&f, i, NULL);
	close(uffd);
	file_destroy(&f);
}

/* -- uffd-modes -- */

void run_uffd_modes(void)
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
void run_uffd_continue(void)
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

/* -- uffd-fault -- */

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

void run_uffd_fault(void)
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

