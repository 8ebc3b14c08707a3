/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `timeline` and `races` share: trace with every feature until Ctrl-C,
 * -d or the command's exit, and hand each event to a stream of stories
 * (timeline) or a stream judged as it comes (races).
 */
#ifndef KHT_CAPTURE_H
#define KHT_CAPTURE_H

#include "session.h"
#include "lib/options.h"
#include "lib/races_stream.h"
#include "lib/timeline.h"
#include "lib/timeline_stream.h"

struct run {
	/* timeline: stories written as they go quiet, in bounded memory */
	struct kht_tl_stream *ts;
	/* races: judged as the events come, in bounded memory */
	struct kht_races_stream *rs;
	/* called once the session is open, before any event arrives */
	void (*ready)(struct run *r, struct kht_session *s, const struct kht_opts *opts);
	unsigned long long events, lost, drops;
};

/* timeline keeps every event: no -c, no --min-us; races writes no Perfetto file */
#define TIMELINE_OPTS (KHT_O(PID) | KHT_O(INODE) | KHT_O(ATTACH) | KHT_O(DURATION) | \
		       KHT_O(JSON) | KHT_O(VERBOSE) | KHT_O(HELP) | KHT_O(PERFETTO) | \
		       KHT_O(PERFETTO_FORMAT) | KHT_O(NO_INSIDE) | KHT_O(LOCK_WINDOWS) | KHT_O(SINCE) | \
		       KHT_O(UNTIL) | KHT_O(SPINS) | KHT_O(ALL_SEEKS) | KHT_O(ALL_WRITES) | KHT_O_TASK_FILTERS)
#define RACES_OPTS ((TIMELINE_OPTS & ~(KHT_O(PERFETTO) | KHT_O(PERFETTO_FORMAT))) | \
		    KHT_O(SPIN_US))

/*
 * Trace with every feature until Ctrl-C/-d and hand every event to r. -p
 * filters stories later, not events in BPF; --comm/--tid/--cgroup are event
 * filters in BPF, as everywhere (they also hide khugepaged's collapses).
 * Returns the exit status (0 = traced).
 */
int kht_capture(const char *cmd, const struct kht_opts *opts, struct run *r,
		struct kht_session *s, struct kht_child *child);
/* Dropped or unusable events, said once at the end. */
void kht_capture_warn_losses(const char *cmd, const struct run *r);

#endif
