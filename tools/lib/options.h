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

struct kht_opts {
	unsigned int pid;		/* -p: only this process (tgid) */
	unsigned long long inode;	/* --inode */
	unsigned long long min_us;	/* --min-us: collapses shorter than this are hidden */
	bool json;			/* -j */
	bool verbose;			/* -v */
	bool help;			/* -h */
	int attach;			/* --attach: enum kht_attach_mode, KHT_MODE_NONE = auto */
	double duration_s;		/* -d: stop after this long (0 = until Ctrl-C) */
	unsigned long long count;	/* -c: stop after this many events (0 = no limit) */
	/* timeline views */
	const char *perfetto;		/* --perfetto FILE */
	const char *output;		/* record: -o FILE */
	bool timeline, races;		/* report: --timeline, --races */
	bool no_inside;
	unsigned long long spin_us;	/* races: --spin-us, retry-spin threshold */			/* --no-inside: skip lock-window and reader probes */
	double since_s, until_s;	/* --since/--until: window in seconds from the start */
};

/* 0 on success; otherwise -1 and one sentence in err. */
int kht_parse_opts(int argc, char **argv, struct kht_opts *o, char *err, int errlen);
/* "fentry" -> KHT_MODE_FENTRY; -1 if unknown. "auto" -> KHT_MODE_NONE. */
int kht_mode_from_name(const char *name);
const char *kht_opts_usage(void);
const char *kht_opts_timeline_usage(void);

#endif
