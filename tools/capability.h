/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this kernel allows, found by really loading and attaching a two-
 * instruction program to each hook point in each attach mode. Guessing from
 * BTF alone is wrong on our own host: fentry targets are in BTF but attaching
 * gives EPERM, and kprobes are listed nowhere because the PMU does not exist.
 */
#ifndef KHT_CAPABILITY_H
#define KHT_CAPABILITY_H

#include <stdbool.h>

enum kht_hook_kind { KHT_HOOK_FUNC, KHT_HOOK_TP };

/* Attach methods, in the order they are tried. */
enum kht_method {
	KHT_M_FENTRY, KHT_M_FEXIT, KHT_M_KPROBE, KHT_M_KRETPROBE,
	KHT_M_TP_BTF, KHT_M_RAW_TP, KHT_M_TRACEPOINT,
	KHT_M_MAX,
};

struct kht_hook {
	const char *name;	/* function, or "category:event" for tracepoints */
	enum kht_hook_kind kind;
	const char *why;	/* which feature needs it */
	int err[KHT_M_MAX];	/* 0 = attached; -errno otherwise; 1 = not applicable */
};

struct kht_env {
	char release[128];
	bool root;
	bool btf;		/* /sys/kernel/btf/vmlinux readable */
	bool tracefs;		/* events/ reachable */
	char tracefs_path[64];
	bool kprobe_pmu;
};

extern struct kht_hook kht_hooks[];
extern const int kht_nhooks;

const char *kht_method_name(enum kht_method m);
/* Fill env: release, root, BTF, tracefs (mounting it if it is missing). */
void kht_env_probe(struct kht_env *env);
/* Try every method on one hook; fills hook->err. */
void kht_hook_probe(const struct kht_env *env, struct kht_hook *hook);
struct kht_hook *kht_hook_find(const char *name);
/* Tracefs directory of a tracepoint event, e.g. ".../events/syscalls/sys_enter_madvise". */
int kht_tracefs_event_dir(const struct kht_env *env, const char *tp, char *buf, int len);

#endif

/* ---- what the hook results mean for the collapse tracer ---- */

/* Probe just the hooks the collapse tracer uses. */
void kht_probe_collapse_hooks(const struct kht_env *env);
/*
 * Whether attach mode `mode` (enum kht_attach_mode) can work, from the probed
 * hooks; on false, `why` says which hook refused and how.
 */
bool kht_collapse_mode_usable(int mode, char *why, int len);
/* How the scan_file tracepoint attaches: KHT_M_TP_BTF, KHT_M_RAW_TP, or -1. */
int kht_scan_file_method(void);
/* What a mode cannot see, for banners and `probe`. */
const char *kht_collapse_mode_limits(int mode);
