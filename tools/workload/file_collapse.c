// SPDX-License-Identifier: GPL-2.0
/* file-collapse: a regular file on a filesystem with large folios (7.x). */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <sys/statfs.h>
#include "workload.h"

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
void run_file_collapse(void)
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
	if (statfs(wl.tmpfs.dir, &sf))
		die_errno(EXIT_ENV, "statfs of %s failed", wl.tmpfs.dir);
	emit("fs dir=%s f_type=0x%lx f_bsize=%ld", wl.tmpfs.dir, (unsigned long)sf.f_type,
	     (long)sf.f_bsize);
	wl.opt.small_writes = true;
	file_create(&f, "file", n, 0, 16);
	if (fsync(f.fd))
		die_errno(EXIT_FAIL, "fsync of %s failed", f.path);
	file_map(&f);
	for (i = 0; i < n; i++)
		file_touch(&f, i);
	seek_paced_start(&th, &f, 4000);
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
		collapse_chunk(&f, i, NULL);
		if (i == n - 1) {
			char back[PAGE_SZ];

			if (pread(f.fd, back, PAGE_SZ, doff) != (ssize_t)PAGE_SZ)
				die_errno(EXIT_FAIL, "read back of %s failed", f.path);
			emit("dirty-after ino=%lu index=%lu data_ok=%d", f.ino, i * PMD_PAGES,
			     !memcmp(back, page, PAGE_SZ));
		}
	}
	seek_paced_stop(th);
	file_destroy(&f);
}

