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
};

struct kht_races {
	struct kht_race *r;
	size_t n, cap;
	unsigned long long not_evaluable;	/* collapses seen without an entry (tp modes) */
	unsigned long long not_shmem;		/* regular-file collapses: no seek rule (7.x) */
	bool mods_traced;			/* kht_race_opts.mods_traced of the judging */
};

const char *kht_rule_name(enum kht_race_rule rule);
const char *kht_rule_seed(enum kht_race_rule rule);
const char *kht_severity_name(enum kht_severity sev);

/* Run every rule over t (already built). 0, or -1 when out of memory. */
int kht_races_find(struct kht_races *out, const struct kht_timeline *t,
		   const struct kht_enum *results, const struct kht_race_opts *o);
void kht_races_free(struct kht_races *r);
size_t kht_races_count(const struct kht_races *r, enum kht_severity sev);
size_t kht_races_count_rule(const struct kht_races *r, enum kht_race_rule rule,
			    enum kht_severity sev);

void kht_races_print_text(FILE *out, const struct kht_races *r, const struct kht_fmt *f);
void kht_races_print_json(FILE *out, const struct kht_races *r, const struct kht_fmt *f);

#endif
