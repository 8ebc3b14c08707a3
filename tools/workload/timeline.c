// SPDX-License-Identifier: GPL-2.0
/*
 * timeline: one short story per kind for the timeline tests: a MISSING
 * registration across a collapse, a MINOR registration, and logged seeks
 * and mincore() around a collapse of one file.
 */
#define _GNU_SOURCE
#include <unistd.h>
#include "workload.h"

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
	collapse_chunk(&f, 0, NULL);
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
	wl.opt.log_seeks = TIMELINE_SEEKS;
	seek_budget_start(&th, &f, TIMELINE_SEEKS);
	collapse_chunk(&f, 0, NULL);
	mincore_chunk(&f, 0);
	seek_budget_join(th);
	file_destroy(&f);
}

void run_timeline(void)
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

