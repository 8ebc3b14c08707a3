/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the bench generators (pagecache_load.c, event_storm.c): a private
 * tmpfs in a new mount namespace (nothing leaks into the caller's namespace,
 * and the mount disappears with the process even if it is killed; the same
 * helper as khugetrace-workload's, tools/common/tmpfs_pmd.c, which their
 * gcc command lines compile in), cleanup on signals, a monotonic clock.
 */
#ifndef KHT_BENCH_COMMON_H
#define KHT_BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../tools/common/tmpfs_pmd.h"

static const char *bench_prog = "bench";
static struct kht_tmpfs bench_tmpfs;	/* .dir: where the files go */

static void bench_cleanup(void)
{
	kht_tmpfs_remove(&bench_tmpfs);	/* async-signal-safe */
}

static void bench_on_signal(int sig)
{
	bench_cleanup();
	_exit(128 + sig);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bench_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err && fmt[strlen(fmt) - 1] == ':')
		fprintf(stderr, " %s", strerror(err));
	fputs(".\n", stderr);
	bench_cleanup();
	exit(1);
}

static void bench_install_signals(void)
{
	struct sigaction sa = { .sa_handler = bench_on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

	sigfillset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Private mount namespace + tmpfs (huge=never: small pages until MADV_COLLAPSE). */
static void bench_setup_tmpfs(const char *size)
{
	static const char *const parents[] = { "/tmp", NULL };
	char opts[64], why[512];

	if (geteuid() != 0) {
		errno = 0;
		bench_die("must run as root (it mounts a private tmpfs)");
	}
	bench_install_signals();
	snprintf(opts, sizeof(opts), "size=%s,huge=never,mode=0700", size);
	if (kht_tmpfs_mount(&bench_tmpfs, parents, "kht-bench", opts, why, sizeof(why))) {
		errno = 0;
		bench_die("%s", why);
	}
	atexit(bench_cleanup);
}

static inline unsigned long long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Whole-string non-negative number, or die naming the option. */
static unsigned long long bench_num(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		errno = 0;
		bench_die("%s wants a non-negative integer, not '%s'", opt, s);
	}
	return v;
}

#endif
