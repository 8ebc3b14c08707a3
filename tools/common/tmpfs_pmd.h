/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A private tmpfs and PMD-aligned mappings of its files: what every program
 * that drives collapse_file() on shmem needs first (khugetrace-workload,
 * khugetrace check-kernel, the bench generators). Plain C and syscalls only:
 * it goes into static binaries for busybox guests, and bench/ builds it with
 * a bare gcc command line.
 */
#ifndef KHT_TMPFS_PMD_H
#define KHT_TMPFS_PMD_H

#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

#define KHT_PAGE_SZ	4096UL
#define KHT_PMD_PAGES	512UL
#define KHT_PMD_SZ	(KHT_PAGE_SZ * KHT_PMD_PAGES)

/* Older libc headers lack these; the values are the kernel ABI. */
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE	14
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

struct kht_tmpfs {
	/* the mount point; a caller may put its own directory here instead (-d) */
	char dir[256];
	/* what kht_tmpfs_remove() must undo; read in signal handlers */
	volatile sig_atomic_t made, mounted;
};

/*
 * Mounts a tmpfs with the options opts ("size=..,huge=.."; the caller's
 * choice of huge= decides whether writes make small pages) on a new
 * directory PARENT/NAME.XXXXXX, in the first of the NULL-terminated parents
 * that takes one, inside a new mount namespace made private first (or the
 * mount would propagate back into the caller's namespace; and the mount goes
 * away with the process, even a killed one). 0, or -1 with one sentence
 * (no final period) in why.
 */
int kht_tmpfs_mount(struct kht_tmpfs *t, const char *const *parents, const char *name,
		    const char *opts, char *why, size_t len);
/*
 * Unmounts (MNT_DETACH: mappings or fds may still pin it) and removes what
 * kht_tmpfs_mount() made. Async-signal-safe and idempotent. Returns 0, or
 * the KHT_TMPFS_* bits of what could not be undone.
 */
#define KHT_TMPFS_UNMOUNT_FAILED	1
#define KHT_TMPFS_RMDIR_FAILED		2
int kht_tmpfs_remove(struct kht_tmpfs *t);

/*
 * Address space whose base is a PMD boundary, PROT_NONE until files are
 * mapped into it: a file mapped at base + a multiple of KHT_PMD_SZ can be
 * PMD-mapped, which is what MADV_COLLAPSE and khugepaged need.
 */
struct kht_pmd_area {
	char *base;
	void *reserve;		/* the whole reservation, for munmap */
	size_t reserve_len;
};

/* Room for len bytes from a PMD boundary: 0, or -1 with errno set. */
int kht_pmd_reserve(struct kht_pmd_area *a, size_t len);
/* len bytes of fd from off, shared and writable, at base + at: 0, or -1 with errno. */
int kht_pmd_map_file(const struct kht_pmd_area *a, size_t at, int fd, off_t off, size_t len);
/* Unmaps the reservation and whatever is mapped in it: 0, or -1 with errno. */
int kht_pmd_release(struct kht_pmd_area *a);

#endif
