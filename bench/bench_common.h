/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the bench generators (pagecache_load.c, event_storm.c): a private
 * tmpfs in a new mount namespace (nothing leaks into the caller's namespace,
 * and the mount disappears with the process even if it is killed), cleanup on
 * signals, a monotonic clock.
 */
#ifndef KHT_BENCH_COMMON_H
#define KHT_BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

static const char *bench_prog = "bench";
static char bench_dir[256];
static volatile sig_atomic_t bench_mounted, bench_made;

static void bench_cleanup(void)
{
	/* async-signal-safe: only syscalls */
	if (bench_mounted && umount2(bench_dir, MNT_DETACH) == 0)
		bench_mounted = 0;
	if (bench_made && rmdir(bench_dir) == 0)
		bench_made = 0;
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
	char data[64];

	if (geteuid() != 0) {
		errno = 0;
		bench_die("must run as root (it mounts a private tmpfs)");
	}
	bench_install_signals();
	if (unshare(CLONE_NEWNS))
		bench_die("unshare(CLONE_NEWNS) failed:");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		bench_die("making / private in the new mount namespace failed:");
	snprintf(bench_dir, sizeof(bench_dir), "/tmp/kht-bench.XXXXXX");
	if (!mkdtemp(bench_dir))
		bench_die("cannot create a directory in /tmp:");
	bench_made = 1;
	snprintf(data, sizeof(data), "size=%s,huge=never,mode=0700", size);
	if (mount("tmpfs", bench_dir, "tmpfs", 0, data))
		bench_die("mounting tmpfs (%s) on %s failed:", data, bench_dir);
	bench_mounted = 1;
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
