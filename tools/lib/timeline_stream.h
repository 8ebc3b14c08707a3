/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stories over an endless event stream, in bounded memory: events are held
 * per story (inode or process) only while the story is active; a story is
 * handed to emit() once it has gone quiet (no event for KHT_TLS_QUIET_NS,
 * counted from KHT_TLS_LAG_NS before the newest event or the clock: what a
 * late CPU may still deliver), the rest at the end. A story that never goes
 * quiet is cut into parts when it holds KHT_TLS_STORY_EVENTS events, and the
 * biggest stories are cut when all of them together hold more than
 * KHT_TLS_HELD_EVENTS. Memory follows the active stories, not the run.
 *
 * Each story handed out is built (kht_tl_build: one group, filters applied)
 * and rendered by the caller with kht_tl_story_*(). A story that fits is the
 * one kht_tl_build would make of the whole stream, the same rows: unit-tested
 * against it. Order: docs/timeline.md "Streamed stories".
 */
#ifndef KHT_TIMELINE_STREAM_H
#define KHT_TIMELINE_STREAM_H

#include "timeline.h"

/* How late an event may arrive (ring-buffer CPUs, a long collapse emitted at its end): as races_stream. */
#define KHT_TLS_LAG_NS (2000ULL * 1000 * 1000)
/*
 * A story is over after this long without an event: modifications of a
 * watched inode come up to KHT_WATCH_HORIZON_NS after its collapse, and a
 * retried MADV_COLLAPSE (kht_tl_collapse_retry) follows within a second.
 */
#define KHT_TLS_QUIET_NS KHT_WATCH_HORIZON_NS
/* A story holding this many events is written as a part; the next part continues it. */
#define KHT_TLS_STORY_EVENTS (1u << 16)
/* All stories together: past this, the biggest are cut (each event held is ~312 bytes). */
#define KHT_TLS_HELD_EVENTS (1u << 17)
/* ... but never below this many events: small stories are O(active stories) anyway. */
#define KHT_TLS_MIN_PART 256

struct kht_tls_story;

struct kht_tl_stream {
	struct kht_tl_filter filter;
	unsigned long long base_ns;
	size_t story_events, held_events;	/* 0: the defaults above (tests set them small) */
	/*
	 * A story (t holds exactly group g, built; g->part/g->more say if it
	 * is a part). *tag is the caller's, kept for the story's later parts
	 * (its Perfetto track), 0 at its first.
	 */
	void (*emit)(void *ctx, const struct kht_timeline *t, const struct kht_tl_group *g,
		     unsigned long long *tag);
	/*
	 * Instead of emit: the story is handed over, t (malloc'ed, built, the
	 * story is group 0) is the callee's to free with kht_tl_free() and
	 * free(). For a writer of its own (story_writer.h): the events move,
	 * nothing is copied, and the story's array starts again. 0, or -1 (no
	 * memory: the story is lost, and kht_tls_* return -1).
	 */
	int (*take)(void *ctx, struct kht_timeline *t, unsigned long long *tag);
	void *ctx;
	/* internal */
	struct kht_tls_story **hash, *oldest, *newest;	/* newest: last event added */
	size_t nbuckets, nstories, held;
	unsigned long long newest_ns;
	size_t next_cut;		/* cut the biggest when held passes this */
	unsigned long long arrivals;	/* events seen */
	/* what came out and what it cost: for the summary, -v and the tests */
	unsigned long long stories_out, events_out;
	size_t peak_held, peak_stories;
	/*
	 * Slots allocated for all stories (their arrays' capacity): a story cut
	 * into parts keeps its array while this stays under twice the held
	 * bound, so memory follows the bound, not the number of busy stories.
	 */
	size_t cap_held, peak_cap_held;
};

/* Add one event (copied); may emit stories. 0, or -1 (bad record, no memory). */
int kht_tls_add(struct kht_tl_stream *s, const struct kht_hdr *h, size_t size);
/*
 * The clock (CLOCK_MONOTONIC, the events' clock) says now_ns: emit the
 * stories quiet by then, even if no event came. 0 or -1 (no memory).
 */
int kht_tls_tick(struct kht_tl_stream *s, unsigned long long now_ns);
/* Emit every story left, first event first. 0 or -1 (no memory). */
int kht_tls_finish(struct kht_tl_stream *s);
void kht_tls_free(struct kht_tl_stream *s);

#endif
