// SPDX-License-Identifier: GPL-2.0
/* A private tmpfs and PMD-aligned mappings (tmpfs_pmd.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include "tmpfs_pmd.h"

/* "/tmp, /run or /dev/shm": the parents, as a sentence names them. */
static void name_parents(const char *const *parents, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; parents[i] && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", !i ? "" : parents[i + 1] ? ", " : " or ",
			      parents[i]);
}

int kht_tmpfs_mount(struct kht_tmpfs *t, const char *const *parents, const char *name,
		    const char *opts, char *why, size_t len)
{
	char where[128];
	int i;

	if (unshare(CLONE_NEWNS)) {
		snprintf(why, len, "unshare(CLONE_NEWNS) failed: %s", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, len, "making / private in the new mount namespace failed: %s",
			 strerror(errno));
		return -1;
	}
	for (i = 0; parents[i]; i++) {
		snprintf(t->dir, sizeof(t->dir), "%s/%s.XXXXXX", parents[i], name);
		if (mkdtemp(t->dir))
			break;
	}
	if (!parents[i]) {
		int err = errno;

		name_parents(parents, where, sizeof(where));
		snprintf(why, len, "cannot create a temporary directory in %s: %s", where,
			 strerror(err));
		return -1;
	}
	t->made = 1;
	if (mount("tmpfs", t->dir, "tmpfs", 0, opts)) {
		snprintf(why, len, "mounting tmpfs (%s) on %s failed: %s", opts, t->dir,
			 strerror(errno));
		return -1;
	}
	t->mounted = 1;
	return 0;
}

int kht_tmpfs_remove(struct kht_tmpfs *t)
{
	int failed = 0;

	/* only syscalls: this runs in signal handlers */
	if (t->mounted) {
		if (umount2(t->dir, MNT_DETACH))
			failed |= KHT_TMPFS_UNMOUNT_FAILED;
		else
			t->mounted = 0;
	}
	if (t->made) {
		if (rmdir(t->dir))
			failed |= KHT_TMPFS_RMDIR_FAILED;
		else
			t->made = 0;
	}
	return failed;
}

int kht_pmd_reserve(struct kht_pmd_area *a, size_t len)
{
	/* one PMD of slack puts a boundary inside; NORESERVE: nothing is committed */
	a->reserve_len = len + KHT_PMD_SZ;
	a->reserve = mmap(NULL, a->reserve_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->reserve == MAP_FAILED) {
		a->reserve = NULL;
		return -1;
	}
	a->base = (char *)(((uintptr_t)a->reserve + KHT_PMD_SZ - 1) & ~(KHT_PMD_SZ - 1));
	return 0;
}

int kht_pmd_map_file(const struct kht_pmd_area *a, size_t at, int fd, off_t off, size_t len)
{
	if (at + len > a->reserve_len - (size_t)(a->base - (char *)a->reserve)) {
		errno = EINVAL;
		return -1;
	}
	return mmap(a->base + at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		    off) == MAP_FAILED ? -1 : 0;
}

int kht_pmd_release(struct kht_pmd_area *a)
{
	int ret = a->reserve ? munmap(a->reserve, a->reserve_len) : 0;

	if (!ret)
		a->reserve = NULL;
	return ret;
}
