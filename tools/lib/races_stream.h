/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The race rules over an endless event stream, in bounded memory: events
 * are held in a timeline; every so often the collapses that ended more than
 * KHT_RS_LAG_NS before the newest event are judged, their reports handed to
 * emit(), and events that no later collapse can need (older than
 * KHT_RS_KEEP_NS before that cut; collapses KHT_RS_KEEP_COLLAPSES_NS) are
 * dropped. Memory follows the events of
 * the last KHT_RS_KEEP_NS, not the length of the run: `khugetrace races`
 * left on a VM host for an hour holds what a minute holds.
 *
 * Same reports as judging the whole stream at once (kht_races_find) for
 * every collapse that lasted less than KHT_COLLAPSE_MAX_NS and every
 * event that arrived less than KHT_RS_LAG_NS late; unit-tested against it.
 * Given the stream's collapses beforehand (.spans: report's first pass over
 * a file), events no collapse can weigh are not held at all, with the same
 * reports in the same order as holding them.
 */
#ifndef KHT_RACES_STREAM_H
#define KHT_RACES_STREAM_H

#include "races.h"

/* Collapses are judged this long after they ended: seeks they overlap return by then. */
#define KHT_RS_LAG_NS (2000ULL * 1000 * 1000)
/*
 * What a collapse's judgement looks back on: its own begin (at most
 * KHT_COLLAPSE_MAX_NS before its end) and the scan margin before it (1 s)
 * for seeks, readers and modifications; and, for whether modifications were
 * traced at all, the collapses whose modification horizon
 * (KHT_WATCH_HORIZON_NS) covers it: collapses are kept that much longer.
 */
#define KHT_RS_KEEP_NS (4 * KHT_COLLAPSE_MAX_NS)
#define KHT_RS_KEEP_COLLAPSES_NS (KHT_WATCH_HORIZON_NS + KHT_RS_KEEP_NS)
/* Judge when this many events are held (or twice what the last epoch kept), */
#define KHT_RS_EPOCH_EVENTS (1u << 17)
/* ... or when this much time has passed: a quiet host still sees its reports. */
#define KHT_RS_PERIOD_NS (3000ULL * 1000 * 1000)

/*
 * The collapses of a whole recording that seek and mincore events can matter
 * to (inode, entry seen: the seek rule judges only those), from a first pass
 * over a file: kht_rs_spans_add() each event, kht_rs_spans_done(), then
 * point kht_races_stream.spans at it.
 */
struct kht_rs_span {
	unsigned dev, gen;
	unsigned long long ino, begin_ns, end_ns;	/* end_ns: the latest end so far (sorted) */
};
struct kht_rs_spans {
	struct kht_rs_span *s;
	size_t n, cap;
};
int kht_rs_spans_add(struct kht_rs_spans *sp, const struct kht_hdr *h, size_t size);
void kht_rs_spans_done(struct kht_rs_spans *sp);
void kht_rs_spans_free(struct kht_rs_spans *sp);

/* Ends of events not held (see kht_races_stream.spans), for the epoch schedule. */
struct kht_rs_ghosts;

struct kht_races_stream {
	struct kht_timeline tl;
	struct kht_races races;		/* the current epoch's reports; tallies of all */
	const struct kht_enum *results;
	struct kht_race_opts opts;
	struct kht_tl_filter filter;
	unsigned long long base_ns;
	size_t epoch_events;		/* 0: KHT_RS_EPOCH_EVENTS (tests set it small) */
	bool keep_judged;		/* tests: judged collapses stay whole events (see old) */
	/*
	 * Live tracing: judge only in kht_rs_tick(), which the caller makes
	 * after noting the poll's drops (kht_rs_note_loss): an epoch begun from
	 * kht_rs_add() could judge before the drops of the same poll are known.
	 */
	bool tick_only;
	/*
	 * Every collapse the stream will bring (a recording's first pass), or
	 * NULL (live: unknown). With it, a seek or mincore that no collapse of
	 * its inode overlaps, and a userfaultfd op no rule weighs (COPY, ...),
	 * is not held: only its end is noted, so epochs fall where they would
	 * have (the schedule counts it until the keep window drops it), and only
	 * where an older held collapse of its story keeps the story's place in
	 * the output (so the reports come in the same order).
	 */
	const struct kht_rs_spans *spans;
	/* Called with each epoch's reports (pointing into tl: print them now). */
	void (*emit)(void *ctx, struct kht_races *r);
	void *ctx;
	/* internal */
	struct kht_judge_span judged;	/* .judged_before/.seq_from of the next epoch */
	unsigned long long newest_ns;
	size_t next_epoch;
	/* spans in which the ring buffer dropped events (kht_rs_note_loss) */
	struct kht_loss *losses;
	size_t nlosses, cap_losses;
	/* what it cost: for -v and the tests */
	size_t epochs, peak_events;
	unsigned long long dropped, ghosted;
	/* internal: not-held events still counted, and each story's newest collapse */
	struct kht_rs_ghosts **ghosts;
	size_t nghost_blocks, cap_ghost_blocks, nghosts;
	struct kht_rs_guard *guards;
	size_t nguards, cap_guards;
	/*
	 * Inode collapses judged already: kept only in compact form (their
	 * horizon outlives the keep window; see kht_old_collapse), sorted by
	 * story and begin, and counted by the schedule like held events.
	 */
	struct kht_old_collapse *old;
	size_t nold, cap_old;
	unsigned long long kept_from;	/* the last prune's keep_from */
};

/*
 * The epoch size from the environment (KHT_RACES_EPOCH_EVENTS, a test knob:
 * tests judge a recording in tiny epochs and compare with one big epoch),
 * else 0 (the default).
 */
size_t kht_rs_epoch_from_env(void);
/* Add one event (copied); may judge an epoch. 0, or -1 (bad record, no memory). */
int kht_rs_add(struct kht_races_stream *rs, const struct kht_hdr *h, size_t size);
/*
 * The clock (CLOCK_MONOTONIC, the events' clock) says now_ns: judge what
 * ended KHT_RS_LAG_NS before it if a period has passed, even if no event
 * came. Call it only with every event before now_ns - KHT_RS_LAG_NS added.
 */
int kht_rs_tick(struct kht_races_stream *rs, unsigned long long now_ns);
/*
 * Events were dropped (ring buffer full) at some time in [from_ns, to_ns]:
 * a BUG whose evidence spans it is judged a WARN. 0 or -1 (no memory).
 */
int kht_rs_note_loss(struct kht_races_stream *rs, unsigned long long from_ns,
		     unsigned long long to_ns);
/* Judge everything left and emit it. 0 or -1 (no memory). */
int kht_rs_finish(struct kht_races_stream *rs);
void kht_rs_free(struct kht_races_stream *rs);

#endif
