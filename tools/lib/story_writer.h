/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stories written by a thread of their own, off the ring-buffer path.
 *
 * Live `timeline` builds stories on the thread that drains the ring buffer.
 * Formatting a story cut at KHT_TLS_STORY_EVENTS events takes that thread
 * away from the buffer for as long as the formatting lasts (a second for a
 * 65k-event part in a TCG guest), and a seek storm fills the buffer
 * meanwhile: events are dropped that a free CPU could have taken. Here the
 * drain thread only hands the story over (kht_sw_put, its events moved, not
 * copied) and a writer thread formats it, in the order handed over.
 *
 * Memory stays bounded: the drain thread waits while the stories waiting to
 * be written hold more than max_pending events (the writer is then the
 * bottleneck and the ring buffer counts what is dropped, as before).
 */
#ifndef KHT_STORY_WRITER_H
#define KHT_STORY_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include "timeline.h"

/*
 * Writes one story: t holds it as group 0 (built, as timeline_stream's
 * emit() gets it). *tag is the caller's, kept across the parts of a story
 * (0 at its first part), as for kht_tl_stream.emit.
 */
typedef void (*kht_sw_write_fn)(void *ctx, const struct kht_timeline *t,
				const struct kht_tl_group *g, unsigned long long *tag);

struct kht_story_writer;

/* A writer thread calling write(ctx, ...); NULL (no memory, no thread: errno set). */
struct kht_story_writer *kht_sw_start(kht_sw_write_fn write, void *ctx, size_t max_pending);
/*
 * Hand over a built story (t is the writer's from now on, freed after it is
 * written). story: the same nonzero number for every part of one story. 0,
 * or -1 (no memory: t is freed unwritten).
 */
int kht_sw_put(struct kht_story_writer *w, struct kht_timeline *t, unsigned long long story);
/*
 * kht_tl_stream.take for a stream whose ctx is w: numbers the story at its
 * first part (*tag, on the stream's side) and puts it.
 */
int kht_sw_take(void *w, struct kht_timeline *t, unsigned long long *tag);
/* Write everything handed over, stop the thread, free it. */
void kht_sw_finish(struct kht_story_writer *w, size_t *peak_pending, unsigned long long *waits);

#endif
