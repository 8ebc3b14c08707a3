/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A feature is one BPF object (skeleton) that observes one thing — collapses,
 * userfaultfd ioctls, seeks — in one of several attach modes. Each feature
 * says which modes it offers, what each needs (checked against the probed
 * hooks) and how to load itself in a mode; kht_feature_load() walks the
 * modes best-first and keeps the first that really loads and attaches.
 */
#ifndef KHT_FEATURE_H
#define KHT_FEATURE_H

#include <stdbool.h>
#include "khugetrace.h"
#include "lib/options.h"

/* One hook a mode needs, attached with one method (enum kht_method). */
struct kht_req {
	const char *hook;
	int method;
};
/* A hook's entry and exit, in each mode that has both: the rows of kht_feature.reqs. */
#define KHT_REQ_FENTRY(h) { h, KHT_M_FENTRY }, { h, KHT_M_FEXIT }
#define KHT_REQ_KPROBE(h) { h, KHT_M_KPROBE }, { h, KHT_M_KRETPROBE }
/* A feature on two kernel functions, each hooked at entry and return. */
#define KHT_REQS_FUNCS2(a, b)							\
	[KHT_MODE_FENTRY] = { KHT_REQ_FENTRY(a), KHT_REQ_FENTRY(b) },		\
	[KHT_MODE_KPROBE] = { KHT_REQ_KPROBE(a), KHT_REQ_KPROBE(b) }
#define KHT_REQ_SYSCALL(call)					\
	{ "syscalls:sys_enter_" #call, KHT_M_TRACEPOINT },	\
	{ "syscalls:sys_exit_" #call, KHT_M_TRACEPOINT }


#define KHT_MAX_REQS 8

struct kht_feature {
	const char *name;
	/*
	 * What each attach mode needs; a mode with no requirement is not
	 * offered. Modes are tried in enum order: fentry first, syscalls last.
	 */
	struct kht_req reqs[KHT_MODE_MAX][KHT_MAX_REQS];
	/* Needs beyond the table (optional); why on false. */
	bool (*also_needs)(int mode, char *why, int len);
	/* What this mode cannot see ("" when nothing is missing). */
	const char *(*limits)(int mode);
	/* The generated X_bpf__open(); the loading itself is generic (feature.c). */
	void *(*open)(void);
	/* Set .rodata (filters, mode switches) between open and load. */
	void (*configure)(void *skel, int mode, const struct kht_opts *o);
	/* Programs to load in a mode, NULL-terminated (names in the .bpf.c). */
	void (*programs)(int mode, const struct kht_opts *o, const char **names, int max);
	/*
	 * Optional: attach what the skeleton cannot (programs at run-time
	 * offsets), after the skeleton's own programs; -1 with why fails the
	 * mode. detach() undoes it (also called on a failed attach()).
	 */
	int (*attach)(void *skel, int mode, const struct kht_opts *o, char *why, int len);
	void (*detach)(void *skel);
	/* Not needed to trace the rest: what is lost without it (NULL: required). */
	const char *optional;
	/* Maps this feature shares with later ones, by name (optional, NULL-terminated). */
	const char *const *shares;
	/*
	 * Optional: why this session leaves the feature out (nothing loaded,
	 * nothing attached, no cost), or NULL to load it. Asked after the
	 * features before it loaded: what they see may make this one useless.
	 */
	const char *(*off)(const struct kht_opts *o);
};

/*
 * The task and inode filters every BPF object has (kht_bpf_common.h), from
 * the options; rd is a skeleton's ->rodata. For configure().
 */
#define KHT_SET_FILTERS(rd, o)								\
	do {										\
		(rd)->target_tgid = (o)->pid;						\
		(rd)->target_tid = (o)->tid;						\
		(rd)->target_cgroup = (o)->cgroup_id;					\
		(rd)->target_ino = (o)->inode;						\
		(rd)->filter_comm = (o)->comm[0] != '\0';				\
		for (int i_ = 0; i_ < KHT_COMM_LEN; i_++)				\
			(rd)->target_comm[i_] = (o)->comm[i_];				\
	} while (0)

extern const struct kht_feature kht_feat_collapse;
extern const struct kht_feature kht_feat_uffd;
extern const struct kht_feature kht_feat_seek;
extern const struct kht_feature kht_feat_modify;

/* modify: holes filled by faults are seen in this mode (the fill hook attaches) */
bool kht_modify_sees_fills(int mode);
/* modify: writes and fills recorded only during collapses (the production profile) */
bool kht_modify_during_collapses(void);
/* The recording's name for that (a hook entry of its own) */
#define KHT_MODIFY_FILLS_HOOK "modify:fills"
/* a recording's "# modify:profile: in-collapses" line (kht_modify_during_collapses) */
#define KHT_MODIFY_PROFILE_HOOK "modify:profile"
#define KHT_MODIFY_DURING "in-collapses"
/* ... its value: KHT_MODIFY_DURING, "near-collapses" (the 10 s horizon),
 * "all" (no collapse feature to share the watch: every regular file) or
 * KHT_MODIFY_NO_WRITES (punches and truncations only, kht_modify_writes_off) */
const char *kht_modify_profile(void);
#define KHT_MODIFY_NO_WRITES "no-writes"
/* modify: no write is traced (an end-only collapse mode without fills; not --all-writes) */
bool kht_modify_writes_off(void);
/* ... whether the default would, in this mode beside such a collapse mode (probe) */
bool kht_modify_leaves_writes_out(int mode, bool collapse_sees_entry);
/* Why (banner, probe). */
extern const char kht_writes_off_why[];

/* Every tracing feature, in load order (a feature may use maps shared by earlier ones). */
extern const struct kht_feature *const kht_trace_features[];
extern const int kht_ntrace_features;
/* Their names, "collapse, userfaultfd, ...", for messages and help texts. */
const char *kht_trace_feature_names(void);

/*
 * The fd of a map an already loaded feature shares (see `shares`), or -1:
 * the modify feature watches the inodes the collapse feature marks.
 */
int kht_watch_fd(const char *map);

struct kht_loaded {
	const struct kht_feature *f;
	void *skel;
	int mode;
	char skipped[1024];	/* why better modes were not used */
};

/*
 * Load f in the best usable mode. o->attach forces a mode: a feature that
 * offers it must use it; one that does not uses its best mode that is no
 * better than the forced one (forcing tp_btf means "no fentry/kprobe anywhere").
 * 0 on success; -1 with err set.
 */
int kht_feature_load(const struct kht_feature *f, const struct kht_opts *o,
		     struct kht_loaded *l, char *err, int errlen);
/* The mode kht_feature_load would try first (from probed hooks only), or 0. */
int kht_feature_best_mode(const struct kht_feature *f, char *skipped, int len);
bool kht_feature_offers(const struct kht_feature *f, int mode);
/* Every hook the mode needs attaches here (probed once, cached); why on false. */
bool kht_feature_usable(const struct kht_feature *f, int mode, char *why, int len);
bool kht_mode_is_full(int mode);
void kht_loaded_destroy(struct kht_loaded *l);
void kht_loaded_detach(struct kht_loaded *l);
/* The feature's ring buffer and per-CPU drop counter (maps "events", "drops"). */
int kht_loaded_events_fd(const struct kht_loaded *l);
int kht_loaded_drops_fd(const struct kht_loaded *l);

/* collapse: how the lock windows are observed (enum kht_lock_windows), 0: not at all */
int kht_lock_windows_in_use(void);
/* probe --lock-sites: the call sites found and what the kernel says of each; 0 usable */
int kht_lock_sites_report(void);

/* collapse: the mode last configured sees collapse_file begin (fentry, kprobe) */
bool kht_collapse_sees_entry(void);
/* ... and whether a mode would (probe: before anything is configured) */
bool kht_collapse_mode_sees_entry(int mode);

/* seek/mincore: what is recorded (tools/feat_seek.c) */
/* a recording's "# seek:profile: all | in-collapses | off" line (cmd_record.c) */
#define KHT_SEEK_PROFILE_HOOK "seek:profile"
enum kht_seek_profile {
	KHT_SEEKS_ALL,			/* --all-seeks, or no collapse feature to share maps with */
	KHT_SEEKS_DURING_COLLAPSES,	/* only those that overlapped a collapse of their inode */
};
enum kht_seek_profile kht_seek_profile(void);
/* Why the seek feature is left out where the collapse mode sees only ends (banner, probe). */
extern const char kht_seek_off_why[];
/* Seeks and mincore calls counted, not recorded, by the loaded features. */
unsigned long long kht_loaded_not_recorded(const struct kht_loaded *l, int what);
#define KHT_NR_SEEK 0
#define KHT_NR_MINCORE 1

/* collapse: how the scan_file tracepoint attaches (KHT_M_TP_BTF/RAW_TP), or -1 */
int kht_scan_file_method(void);

#endif
