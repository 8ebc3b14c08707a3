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
	const char *module;	/* the module the function lives in (its own BTF), or NULL */
	int err[KHT_M_MAX];	/* 0 = attached; -errno otherwise; 1 = not applicable */
	bool probed;		/* every method tried (kht_hook_probe) */
	unsigned tried;		/* methods tried one by one (kht_hook_ok), bit per method */
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
/* Try one method: 0 attached, -errno, or 1 when the method does not apply. */
int kht_probe_method(const struct kht_env *env, struct kht_hook *h, enum kht_method m);
struct kht_hook *kht_hook_find(const char *name);
/* Tracefs directory of a tracepoint event, e.g. ".../events/syscalls/sys_enter_madvise". */
int kht_tracefs_event_dir(const struct kht_env *env, const char *tp, char *buf, int len);

/* Remember env for kht_hook_ok(); call once after kht_env_probe(). */
void kht_capability_init(const struct kht_env *env);
/* Probe the hook once (cached) and say whether method m attaches; why on false. */
bool kht_hook_ok(const char *name, enum kht_method m, char *why, int len);
/*
 * Attach (and detach) a two-instruction kprobe at func+off: 0, or -errno
 * (-EILSEQ: off is not an instruction boundary of func). Not cached.
 */
int kht_kprobe_at_ok(const char *func, unsigned long off);
/* The environment kht_capability_init() was given (kprobe PMU, ...), or NULL. */
const struct kht_env *kht_capability_env(void);

#endif
