/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-inode timelines: collapse, userfaultfd, seek and mincore events merged
 * into one time-ordered story per inode (and, for anonymous/hugetlb memory,
 * per process). Plain C over event records: the unit tests feed it synthetic
 * streams (CPUs out of order, equal timestamps, reused inode numbers).
 */
#ifndef KHT_TIMELINE_H
#define KHT_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "khugetrace.h"
#include "event_fmt.h"

/* Any event kind: a story holds them all (kht_tl_add refuses a kind that does not fit). */
union kht_any_event {
	struct kht_hdr hdr;
	struct kht_collapse collapse;
	struct kht_uffd uffd;
	struct kht_seek seek;
	struct kht_mincore mincore;
	struct kht_reader reader;
	struct kht_lock_window window;
	struct kht_modify modify;
};

struct kht_tl_event {
	unsigned long long begin_ns;	/* entry time when seen, else the event time */
	unsigned long long end_ns;	/* the event time (hdr.ts_ns) */
	bool has_begin;			/* begin_ns is a real entry time */
	bool doomed;			/* kht_tl_prune's mark */
	bool stand_in;			/* races_stream: an old collapse, for one epoch */
	unsigned seq;			/* arrival order: breaks timestamp ties stably */
	union kht_any_event ev;
};

enum kht_tl_kind { KHT_TL_INODE, KHT_TL_PROCESS };

/* One inode (dev, ino, generation) or one process (anonymous/hugetlb memory). */
struct kht_tl_group {
	enum kht_tl_kind kind;
	unsigned dev, gen, pid;
	unsigned long long ino;
	char name[KHT_NAME_LEN + 1];	/* file name, or the process's comm */
	size_t *idx;			/* into kht_timeline.ev, time-ordered */
	size_t n, cap;
	/* For lookups in time: no event of the group lasted longer than this. */
	unsigned long long max_span_ns;
	/* Positions in idx of its userfaultfd events (the rules weigh them for every collapse). */
	size_t *uffd;
	size_t nuffd, cap_uffd;
	/*
	 * Streamed (timeline_stream.h): 0, the whole story; else part `part`
	 * (1, 2, ...) of a story split for its size, `more` if another follows.
	 */
	unsigned part;
	bool more;
};

/* What a story is about: kht_tl_key() of any of its events. */
struct kht_tl_key {
	enum kht_tl_kind kind;
	unsigned dev, gen, pid;		/* pid: process stories only */
	unsigned long long ino;
};

struct kht_tl_filter {
	unsigned long long ino;		/* 0: all */
	unsigned pid;			/* 0: all; an inode group stays if any event has pid */
	double since_s, until_s;	/* window relative to base_ns */
	bool until_set;			/* until_s applies (0 is "until 0 s", not "open") */
};

struct kht_timeline {
	struct kht_tl_event *ev;
	size_t n, cap;
	unsigned next_seq;
	struct kht_tl_group *groups;
	size_t ngroups;
};

/*
 * Fill e from one record (seq left 0): 0, 1 for a kind that is not part of
 * stories (lock windows), -1 for an unknown type or a short record.
 */
int kht_tl_event_init(struct kht_tl_event *e, const struct kht_hdr *h, size_t size);
/*
 * kht_tl_event_init in two steps, for the stream (one copy of each event,
 * straight into its story): its times (begin_ns, end_ns, has_begin; the
 * rest of e untouched) and, if key, its story; 0, 1 or -1 as
 * kht_tl_event_init. Then fill: e becomes what kht_tl_event_init makes.
 */
int kht_tl_event_times(struct kht_tl_event *e, struct kht_tl_key *key, const struct kht_hdr *h,
		       size_t size);
void kht_tl_event_fill(struct kht_tl_event *e, const struct kht_tl_event *times,
		       const struct kht_hdr *h);
/* kht_tl_event_passes for an event whose times only are set (k: its story). */
bool kht_tl_key_passes(const struct kht_tl_event *e, const struct kht_tl_key *k,
		       const struct kht_tl_filter *f, unsigned long long base_ns);
/* The story the event belongs to. */
void kht_tl_key(const struct kht_tl_event *e, struct kht_tl_key *k);
/* Whether the event passes the filter's --since/--until and --inode (not -p: that is per story). */
bool kht_tl_event_passes(const struct kht_tl_event *e, const struct kht_tl_filter *f,
			 unsigned long long base_ns);
/* Room for one more event in t->ev (capacity doubled, first from `first`); 0 or -1. */
int kht_tl_room(struct kht_timeline *t, size_t first);
/* Copy one event in; 0, or -1 for an unknown type / short record / no memory. */
int kht_tl_add(struct kht_timeline *t, const struct kht_hdr *h, size_t size);
/* The same for an event already made (kht_tl_event_init): appended, numbered. */
int kht_tl_push(struct kht_timeline *t, const struct kht_tl_event *e);
/* Sort and group (call once all events are in). 0 or -1 (no memory). */
int kht_tl_build(struct kht_timeline *t, const struct kht_tl_filter *f, unsigned long long base_ns);
void kht_tl_free(struct kht_timeline *t);
/* Forget the grouping of kht_tl_build (the events stay), so events can be added again. */
void kht_tl_unbuild(struct kht_timeline *t);
/*
 * On an unbuilt timeline: keep the events that ended at or after keep_from,
 * and older ones for which keep_old(t, e, ctx) says so (e.g. registrations
 * still in force); the others are freed. Returns how many were dropped.
 */
size_t kht_tl_prune(struct kht_timeline *t, unsigned long long keep_from,
		    bool (*keep_old)(const struct kht_timeline *t, const struct kht_tl_event *e,
				     void *ctx),
		    void *ctx);

/* First position in g->idx of an event that may still run at ts (begin order, max span). */
size_t kht_tl_first_at(const struct kht_timeline *t, const struct kht_tl_group *g,
		       unsigned long long ts);

/*
 * Is collapse g->idx[i] the second attempt of one MADV_COLLAPSE? 7.x writes
 * a range with dirty or writeback folios back and calls collapse_file once
 * more: the same task, the same range, right after a
 * SCAN_PAGE_DIRTY_OR_WRITEBACK (looked up by name: absent before 7.x).
 */
bool kht_tl_collapse_retry(const struct kht_timeline *t, const struct kht_tl_group *g, size_t i,
			   const struct kht_enum *results);

/* Whether collapse event c's window [begin, end] contains time ts. */
bool kht_tl_in_window(const struct kht_tl_event *c, unsigned long long ts);

/* Terminal rendering: one block per group, times relative to base_ns. */
void kht_tl_print_text(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f);
/* One group's block (kht_tl_print_text puts a blank line between them). */
void kht_tl_story_text(FILE *out, const struct kht_timeline *t, const struct kht_tl_group *g,
		       const struct kht_fmt *f);
/* One group's JSON line. */
void kht_tl_story_json(FILE *out, const struct kht_timeline *t, const struct kht_tl_group *g,
		       const struct kht_fmt *f);
/* The last line of -j. 0 or -1 (write error on out). */
int kht_tl_json_summary(FILE *out, unsigned long long stories, unsigned long long events,
			long long drops);
/*
 * One JSON object per group, {"event":"story","group":..., "events":[...]},
 * then {"event":"timeline-summary","stories":N,"events":N,"drops":N}
 * (drops < 0: unknown, null).
 */
int kht_tl_print_json(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f,
		      long long drops);
/* Chrome trace-event JSON (Perfetto UI, chrome://tracing). 0 or -1 (write error). */
int kht_tl_write_perfetto(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f);
/*
 * The same, story by story (streamed stories): begin, then one call per
 * group, then end. *pid is the group's Perfetto process: 0 makes a new one
 * (and sets it); parts of one story pass the same.
 */
struct kht_tl_pfjson {
	FILE *out;
	bool first;
	unsigned next_pid;
};
void kht_tl_pfjson_begin(struct kht_tl_pfjson *p, FILE *out);
void kht_tl_pfjson_story(struct kht_tl_pfjson *p, const struct kht_timeline *t,
			 const struct kht_tl_group *g, const struct kht_fmt *f,
			 unsigned long long *pid);
int kht_tl_pfjson_end(struct kht_tl_pfjson *p);
/*
 * Perfetto's native protobuf trace (timeline_perfetto.c): a track per story,
 * a child track per task, slices and instants with the -j fields as debug
 * annotations. Packets are written as the stories are walked. 0 or -1 (no
 * memory, write error).
 */
int kht_tl_write_perfetto_pb(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f);
/*
 * The same, story by story: *track is the story's track (0: a new one,
 * set); parts of one story pass the same and share its track.
 */
struct kht_tl_pb;
struct kht_tl_pb *kht_tl_pb_begin(FILE *out);	/* NULL: no memory */
void kht_tl_pb_story(struct kht_tl_pb *p, const struct kht_timeline *t,
		     const struct kht_tl_group *g, const struct kht_fmt *f,
		     unsigned long long *track);
int kht_tl_pb_end(struct kht_tl_pb *p);		/* frees p; 0 or -1 (no memory, write error) */

#endif
