/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options of the tracing subcommands, parsed without side
 * effects (no exit, no printing) so the unit tests can feed them bad input.
 * Letters follow libbpf-tools: -p PID, -j JSON, -v verbose.
 */
#ifndef KHT_OPTIONS_H
#define KHT_OPTIONS_H

#include <stdbool.h>
#include "khugetrace.h"

/* One bit per option in kht_opts.seen, so a command can refuse what it would ignore. */
enum kht_opt {
	KHT_OPT_PID, KHT_OPT_INODE, KHT_OPT_MIN_US, KHT_OPT_ATTACH, KHT_OPT_DURATION,
	KHT_OPT_COUNT, KHT_OPT_JSON, KHT_OPT_VERBOSE, KHT_OPT_HELP, KHT_OPT_PERFETTO,
	KHT_OPT_OUTPUT, KHT_OPT_TIMELINE, KHT_OPT_RACES, KHT_OPT_NO_INSIDE, KHT_OPT_SPIN_US,
	KHT_OPT_SINCE, KHT_OPT_UNTIL, KHT_OPT_FORCE, KHT_OPT_INPUT, KHT_OPT_COMM, KHT_OPT_TID,
	KHT_OPT_CGROUP, KHT_OPT_QUIET, KHT_OPT_PERFETTO_FORMAT, KHT_OPT_LOCK_WINDOWS,
	KHT_OPT_SPINS, KHT_OPT_ALL_SEEKS, KHT_OPT_ALL_WRITES,
	KHT_OPT_MAX
};
#define KHT_O(name) (1ULL << KHT_OPT_##name)
/* The task filters, applied in BPF by every feature (kht_task_filtered()) */
#define KHT_O_TASK_FILTERS (KHT_O(COMM) | KHT_O(TID) | KHT_O(CGROUP))

/* --perfetto-format: auto = by the file name (kht_perfetto_json()) */
enum kht_perfetto_format { KHT_PERFETTO_AUTO, KHT_PERFETTO_PROTO, KHT_PERFETTO_JSON };

/* kht_parse_opts_ex() flags */
#define KHT_OPTS_OPERANDS 1	/* operands allowed (in args/nargs), before or after options */
#define KHT_OPTS_I_INPUT 2	/* -i is --input FILE (report, as in perf), not --inode */
#define KHT_OPTS_COMMAND 4	/* operands are a command to run (record -- CMD ARGS): options
				 * end at the first operand, the rest is the command's */

/* --lock-windows: how the i_pages lock windows are observed (fentry mode) */
enum kht_lock_windows {
	KHT_LW_AUTO,		/* call-site kprobes when every site verifies, else gated fentry */
	KHT_LW_CALLSITE,	/* kprobes at collapse_file's calls of the lock functions */
	KHT_LW_FENTRY,		/* fentry on the lock functions, gated on "inside collapse_file" */
};

struct kht_opts {
	unsigned int pid;		/* -p: only this process (tgid) */
	unsigned int tid;		/* -t/--tid: only this thread */
	char comm[KHT_COMM_LEN];	/* --comm: only tasks of this comm (exact; "" = any) */
	const char *cgroup;		/* -G/--cgroup PATH, as given */
	unsigned long long cgroup_id;	/* its cgroup v2 id (0 = any) */
	unsigned long long inode;	/* --inode */
	unsigned long long min_us;	/* --min-us: collapses shorter than this are hidden */
	bool json;			/* -j */
	int verbose;			/* -v: attach diagnostics, libbpf warnings; -vv: all of libbpf */
	bool help;			/* -h */
	bool quiet;			/* -q: record without the status line */
	int attach;			/* --attach: enum kht_attach_mode, KHT_MODE_NONE = auto */
	double duration_s;		/* -d: stop after this long (0 = until Ctrl-C) */
	unsigned long long count;	/* -c: stop after this many events (0 = no limit) */
	/* timeline views */
	const char *perfetto;		/* --perfetto FILE */
	int perfetto_format;		/* --perfetto-format: enum kht_perfetto_format */
	const char *output;		/* record: -o FILE */
	bool timeline, races;		/* report: --timeline, --races */
	bool no_inside;
	int lock_windows;	/* --lock-windows: enum kht_lock_windows */
	bool spins;		/* --spins: the reader probes (retry spins), fentry mode */
	bool all_seeks;		/* --all-seeks: every seek and mincore, not only during collapses */
	bool all_writes;	/* --all-writes: writes and fills within 10 s of a collapse */
	bool best_effort;	/* set by record: a feature that cannot load is named, not fatal */
	unsigned long long spin_us;	/* races: --spin-us, retry-spin threshold */
	double since_s, until_s;	/* --since/--until: window in seconds from the start */
	bool since_set, until_set;	/* given: --until 0 means until 0 s, not "open" */
	bool force;			/* record -f: overwrite FILE instead of keeping FILE.old */
	const char *input;		/* report -i/--input FILE */
	char **args;			/* operands, when KHT_OPTS_OPERANDS */
	int nargs;
	unsigned long long seen;	/* KHT_O() bits of the options given */
};

/*
 * 0 on success; otherwise -1 and one sentence in err. argv[0] is the command
 * name. Options and operands may come in any order (GNU permutation, as in
 * perf); "--" ends the options. kht_parse_opts() refuses operands.
 */
int kht_parse_opts(int argc, char **argv, struct kht_opts *o, char *err, int errlen);
int kht_parse_opts_ex(int argc, char **argv, unsigned flags, struct kht_opts *o,
		      char *err, int errlen);
/*
 * -1 and "-j/--json does not apply to CMD: WHY" in err when an option outside
 * allowed (KHT_O() bits) was given: options a command would silently ignore
 * are refused instead. why: the rest of the sentence, or NULL.
 */
int kht_opts_only(const struct kht_opts *o, unsigned long long allowed, const char *cmd,
		  const char *why, char *err, int errlen);
/*
 * The id of cgroup v2 directory path (as bpf_get_current_cgroup_id() returns
 * it): an absolute path on a cgroup2 mount, else a path under the cgroup2
 * mount ("system.slice/foo", "/" = the root). 0, or -1 with err set.
 */
int kht_cgroup_id(const char *path, unsigned long long *id, char *err, int errlen);
/* The -d deadline on CLOCK_MONOTONIC; 0 = none (no -d, or so long it is forever). */
unsigned long long kht_deadline_ns(unsigned long long base_ns, double duration_s);
/* "fentry" -> KHT_MODE_FENTRY; -1 if unknown. "auto" -> KHT_MODE_NONE. */
int kht_mode_from_name(const char *name);
/*
 * Whether --perfetto writes Chrome trace-event JSON rather than Perfetto's
 * protobuf trace: --perfetto-format json, or no --perfetto-format and a file
 * name ending in ".json" (what the name promises; it also keeps the scripts
 * that wrote x.json before the protobuf format working).
 */
bool kht_perfetto_json(const struct kht_opts *o);
const char *kht_opts_usage(void);
const char *kht_opts_timeline_usage(void);

#endif
