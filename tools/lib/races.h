/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Race detection over a built timeline: each rule is named after what it
 * catches, documented in docs/races.md with the LKML seed it comes from, and
 * produces reports with the tasks, inode, page range, times and a one-
 * paragraph explanation. Plain C over events: unit-tested on synthetic streams.
 */
#ifndef KHT_RACES_H
#define KHT_RACES_H

#include <stdio.h>
#include "timeline.h"

enum kht_race_rule {
	KHT_RULE_UFFD_MISSING_FILL = 0,
	KHT_RULE_SEEK_TRANSIENT_HOLE,
	KHT_RULE_PUBLISH_BEFORE_UPTODATE,
	KHT_RULE_COLLAPSE_ON_UFFD_ARMED,
	KHT_RULE_RETRY_SPIN,
	KHT_RULE_MAX,
};

enum kht_severity {
	KHT_SEV_BUG,		/* the seed's bug happened */
	KHT_SEV_SLOW,		/* retry-spin over the threshold: latency, not corruption */
	KHT_SEV_GUARDED,	/* the kernel's fix backed the collapse off: reported, not a bug */
	KHT_SEV_WARN,		/* a risky overlap whose outcome depends on checks we cannot see */
};

struct kht_race {
	enum kht_race_rule rule;
	enum kht_severity sev;
	const struct kht_tl_group *group;
	const struct kht_tl_event *collapse;	/* the collapse involved */
	const struct kht_tl_event *other;	/* registration / seek / mincore / reader, or NULL */
	unsigned long long first_page, last_page;
	unsigned long long value;		/* rule-specific: holes filled, spin ns, offset... */
	/* What backs the verdict, and for a WARN what kept it from being a BUG (static text). */
	const char *evidence;
	const char *downgrade;
	unsigned mods;				/* modification events of the inode weighed */
};

/*
 * Where a collapse's start is not seen at all (tp_btf/raw_tp: khugepaged, or
 * MADV_COLLAPSE without the madvise hook), registrations and removals this
 * close to its end may have happened while it ran. Collapses measured in the
 * guests take at most tens of ms (6.1 under TCG: 28-45 ms).
 */
#define KHT_COLLAPSE_MAX_NS (1000ULL * 1000 * 1000)

/* A span of time in which events were dropped (ring buffer full). */
struct kht_loss {
	unsigned long long from_ns, to_ns;
};

/*
 * What later judgements still weigh of a collapse judged already: its story,
 * its span (modifications traced over its horizon), and for the story's place
 * in the output (races_stream.c) its arrival, task and file name. 80 bytes
 * where an event takes 312.
 */
struct kht_old_collapse {
	unsigned long long ino, begin_ns, end_ns;
	unsigned dev, gen, seq, pid;
	bool has_begin;
	bool in_story;			/* passes the filter: its story holds it */
	char name[KHT_NAME_LEN];
};

struct kht_race_opts {
	unsigned long long spin_ns;	/* retry-spin threshold: report spins longer than this */
	/*
	 * Modification events (punch, truncate, write) were traced while the
	 * events were: without them a hole may have been made by a user, and
	 * the hole rules can say WARN at most.
	 */
	bool mods_traced;
	/* ... including holes filled by faults (shmem_add_to_page_cache, fentry/kprobe) */
	bool fills_traced;
	/*
	 * ... but writes and fills only while a collapse of their inode ran
	 * (the production profile, tools/feat_modify.c): none from the scan
	 * that precedes collapse_file.
	 */
	bool writes_in_collapses;
	/*
	 * ... but no writes at all (the default where the collapse mode sees
	 * no begin and fills are not seen: no rule could tell a BUG by them)
	 */
	bool writes_left_out;
	/*
	 * When the ring buffer dropped events (live tracing): a removal, punch
	 * or write may be among them, so a BUG whose evidence spans such a
	 * time is a WARN.
	 */
	const struct kht_loss *losses;
	size_t nlosses;
	/*
	 * Collapses judged already and no longer in the timeline (races_stream
	 * keeps these instead of whole events), sorted by story and begin: they
	 * still say where modifications were traced (their horizon).
	 */
	const struct kht_old_collapse *old;
	size_t nold;
};

struct kht_races {
	struct kht_race *r;
	size_t n, cap;
	unsigned long long not_evaluable;	/* collapses seen without an entry (tp modes) */
	unsigned long long not_shmem;		/* regular-file collapses: no seek rule (7.x) */
	bool mods_traced;			/* kht_race_opts.mods_traced of the judging */
	/* Reports ever added, per rule and severity: they outlive kht_races_forget(). */
	unsigned long long tally[KHT_RULE_MAX][KHT_SEV_WARN + 1];
	/*
	 * WARN and guarded reports by rule and reason (downgrade text): text
	 * output shows the first KHT_RACES_SHOWN of each class in full and counts
	 * the rest, or a VM host's thousands of warnings bury its bugs.
	 */
	struct kht_race_class {
		enum kht_race_rule rule;
		enum kht_severity sev;
		const char *reason;
		unsigned long long n, shown;
	} cls[64];
	size_t ncls;
};

#define KHT_RACES_SHOWN 3

const char *kht_rule_name(enum kht_race_rule rule);
const char *kht_rule_seed(enum kht_race_rule rule);
const char *kht_severity_name(enum kht_severity sev);

/* Run every rule over t (already built). 0, or -1 when out of memory. */
int kht_races_find(struct kht_races *out, const struct kht_timeline *t,
		   const struct kht_enum *results, const struct kht_race_opts *o);
/*
 * Which collapses kht_races_find_some() judges: those that ended before
 * end_before and were not judged by an earlier call, i.e. that ended at or
 * after judged_before or arrived (seq) at or after seq_from.
 */
struct kht_judge_span {
	unsigned long long end_before, judged_before;
	unsigned seq_from;
};
/* Add the reports of the collapses of span to out (initialised by the caller). */
int kht_races_find_some(struct kht_races *out, const struct kht_timeline *t,
			const struct kht_enum *results, const struct kht_race_opts *o,
			const struct kht_judge_span *span);
/*
 * Is v a successful UFFDIO_UNREGISTER of (part of) registration u, made
 * after it? (Matched by page range, or by user address where BPF could not
 * resolve the range to a file.)
 */
bool kht_races_unregisters(const struct kht_tl_event *v, const struct kht_tl_event *u);
/* Drop the reports (printed already: they point into a timeline); keep the tallies. */
void kht_races_forget(struct kht_races *r);
void kht_races_free(struct kht_races *r);
size_t kht_races_count(const struct kht_races *r, enum kht_severity sev);
size_t kht_races_count_rule(const struct kht_races *r, enum kht_race_rule rule,
			    enum kht_severity sev);

/* The reports, then the summary line (text) or object (JSON); or each part alone. */
void kht_races_print_text(FILE *out, struct kht_races *r, const struct kht_fmt *f);
void kht_races_print_json(FILE *out, const struct kht_races *r, const struct kht_fmt *f);
/* (text: counts what it showed of each WARN/guarded class, for the summary) */
void kht_races_print_text_reports(FILE *out, struct kht_races *r, const struct kht_fmt *f);
void kht_races_print_text_summary(FILE *out, const struct kht_races *r);
void kht_races_print_json_reports(FILE *out, const struct kht_races *r, const struct kht_fmt *f);
void kht_races_print_json_summary(FILE *out, const struct kht_races *r);

#endif
