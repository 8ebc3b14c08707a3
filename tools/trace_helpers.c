// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "trace_helpers.h"

volatile int kht_exiting;

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static int verbose_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

/* -v: what went wrong, not the ~1,200 lines of a normal load */
static int warn_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

void kht_libbpf_verbose(int level)
{
	libbpf_set_print(level >= 2 ? verbose_print : level == 1 ? warn_print : quiet_print);
}

static void on_signal(int sig)
{
	kht_exiting = sig;
}

void kht_install_signals(bool restart)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = restart ? SA_RESTART : 0 };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool kht_check_env(const char *cmd, const struct kht_env *env)
{
	if (!env->root) {
		fprintf(stderr, "khugetrace %s: must run as root (it loads BPF tracing programs).\n",
			cmd);
		return false;
	}
	if (!env->btf) {
		fprintf(stderr, "khugetrace %s: this kernel has no BTF (/sys/kernel/btf/vmlinux is "
			"missing): it must be built with CONFIG_DEBUG_INFO_BTF=y.\n", cmd);
		return false;
	}
	if (!env->tracefs)
		fprintf(stderr, "khugetrace %s: tracefs is not mounted and could not be mounted "
			"(try: mount -t tracefs nodev /sys/kernel/tracing); tracepoint modes are off.\n",
			cmd);
	return true;
}

unsigned long long kht_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

unsigned long long kht_percpu_sum_key(int map_fd, unsigned int key)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;

	if (ncpu <= 0)
		return 0;
	unsigned long long vals[ncpu];

	if (bpf_map_lookup_elem(map_fd, &key, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

unsigned long long kht_percpu_sum(int map_fd)
{
	return kht_percpu_sum_key(map_fd, 0);
}

const char *kht_errname(int err)
{
	switch (-err) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case 524: return "ENOTSUPP";	/* kernel-internal ENOTSUPP */
	case EACCES: return "EACCES";
	case E2BIG: return "E2BIG";
	case ESRCH: return "ESRCH";
	case ENOMEDIUM: return "no-tracefs";	/* tracefs not mounted: not the kernel's fault */
	case ENOPKG: return "no-module";	/* in a module that is not loaded */
	default: return "error";
	}
}
