/* SPDX-License-Identifier: GPL-2.0 */
/* What every tracing subcommand does the same way: checks, libbpf logging, signals. */
#ifndef KHT_TRACE_HELPERS_H
#define KHT_TRACE_HELPERS_H

#include <stdbool.h>
#include "capability.h"

extern volatile int kht_exiting;

/* libbpf messages only with -v: attach fallbacks would otherwise look like errors. */
/* libbpf messages on stderr: 0 none, 1 warnings only, 2 (-vv) everything */
void kht_libbpf_verbose(int level);
/* SIGINT/SIGTERM set kht_exiting: the poll loop detaches, drains, summarises. */
/*
 * SIGINT/SIGTERM set kht_exiting. restart: interrupted reads and writes are
 * restarted (while loading: a signal must not fail a read of /proc/kcore);
 * without it a blocked write (a stalled pipe) returns EINTR.
 */
void kht_install_signals(bool restart);
/*
 * The checks every tracer needs before loading anything; prints one sentence
 * and returns false when tracing cannot work here.
 */
bool kht_check_env(const char *cmd, const struct kht_env *env);
unsigned long long kht_now_ns(void);
/* Sum of a per-CPU u64 counter at key 0. */
unsigned long long kht_percpu_sum(int map_fd);
/* The same for slot key of a per-CPU array (0 or a lookup error: 0). */
unsigned long long kht_percpu_sum_key(int map_fd, unsigned int key);
const char *kht_errname(int err);

#endif
