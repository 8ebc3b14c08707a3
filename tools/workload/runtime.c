// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace-workload's process plumbing: records on stdout, errors and
 * their exit, cleanup on exit and on signals (the private tmpfs, the live
 * files, khugepaged's tunables), time, worker threads.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "workload.h"

const char wl_prog[] = "khugetrace-workload";
struct workload wl = { .opt = { .huge = "never", .seed = 1 } };
static int cleaned;

void swrite(const char *a, const char *b)
{
	if (write(2, a, strlen(a)) < 0 || write(2, b, strlen(b)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, s, strlen(s));
	close(fd);
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

/* Idempotent and async-signal-safe; callable from any thread. */
void cleanup(void)
{
	sigset_t all;
	size_t i;
	int failed;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (__atomic_exchange_n(&cleaned, 1, __ATOMIC_SEQ_CST))
		return;
	khugepaged_restore();
	for (i = 0; i < LIVE_SLOTS; i++)
		if (wl.live_used[i])
			unlink(wl.live_path[i]);
	failed = kht_tmpfs_remove(&wl.tmpfs);
	if (failed & KHT_TMPFS_UNMOUNT_FAILED)
		swrite("khugetrace-workload: could not unmount ", wl.tmpfs.dir);
	if (failed & KHT_TMPFS_RMDIR_FAILED)
		swrite("khugetrace-workload: could not remove ", wl.tmpfs.dir);
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", wl_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	cleanup();
	_exit(code);
}

void __attribute__((format(printf, 1, 2))) vlog(const char *fmt, ...)
{
	va_list ap;

	if (!wl.opt.verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void __attribute__((format(printf, 1, 2))) emit(const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	funlockfile(stdout);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC is what bpf_ktime_get_ns() reads. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

const char *errno_name(int e)
{
#define E(x) { x, #x }
	static const struct { int e; const char *n; } tab[] = {
		{ 0, "0" }, E(EINVAL), E(EAGAIN), E(EBUSY), E(ENOMEM), E(EPERM),
		E(EFAULT), E(ENOSYS), E(ENOENT), E(EIO), E(EEXIST), E(ENXIO),
		E(EACCES), E(EOPNOTSUPP), E(EHWPOISON), E(EINTR),
	};
#undef E
	static __thread char buf[16];
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].e == e)
			return tab[i].n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

int live_add_path(const char *path)
{
	int i;

	for (i = 0; i < LIVE_SLOTS; i++)
		if (!wl.live_used[i]) {
			snprintf(wl.live_path[i], sizeof(wl.live_path[i]), "%s", path);
			wl.live_used[i] = 1;
			return i;
		}
	return -1;
}

int chunks(int def)
{
	return wl.opt.n ? wl.opt.n : def;
}

void start_worker(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int err;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		die(EXIT_FAIL, "pthread_create failed: %s", strerror(err));
}

/* Waits (spinning politely) until *flag is set by another thread. */
void wait_flag(const volatile int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* A plain tmpfs: huge=always/within_size would allocate THPs at write time. */
void setup_tmpfs(const char *huge, long size_mb)
{
	static const char *const parents[] = { "/tmp", "/run", "/dev/shm", NULL };
	char opts[64], why[512];

	snprintf(opts, sizeof(opts), "size=%ldm,huge=%s,mode=0700", size_mb, huge);
	if (kht_tmpfs_mount(&wl.tmpfs, parents, "khugetrace-wl", opts, why, sizeof(why)))
		die(EXIT_ENV, "%s", why);
}

void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	/* SIGPIPE: a reader that stops early (| head) must not leave the dir. */
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE }, i;

	sigfillset(&sa.sa_mask);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		if (sigaction(sigs[i], &sa, NULL))
			die_errno(EXIT_ENV, "sigaction failed");
}

