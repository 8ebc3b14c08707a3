/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, independent reader of the Perfetto protobuf traces khugetrace
 * writes, for the tests: it walks the wire format itself (not through
 * tools/lib/perfetto_pb.c) and checks what the Perfetto trace processor
 * relies on — every record a TracePacket, tracks declared before use with
 * known parents, interned ids resolving within their incremental-state
 * period and never reused for another string, slice begins and ends paired
 * per track in time order.
 */
#ifndef KHT_PF_WALK_H
#define KHT_PF_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pf_track {
	uint64_t uuid, parent;
	char name[128];
};

struct pf_event {
	uint64_t ts, track;
	int type;		/* 1 begin, 2 end, 3 instant */
	char *name;		/* with pf_trace.detail: resolved, "" when none */
	char *annos;		/* with detail: "key=value;" per debug annotation, resolved */
};

struct pf_trace {
	bool detail;			/* keep each event's name and annotations (set before) */
	size_t packets, cleared;	/* cleared: SEQ_INCREMENTAL_STATE_CLEARED packets */
	struct pf_track *tracks;
	size_t ntracks;
	struct pf_event *events;
	size_t nevents;
	size_t slices;			/* begin/end pairs matched */
	char error[256];		/* "" when the trace is accepted */
};

/* Walk buf[0..len) (t->detail as the caller set it); 0 when accepted, else -1 with t->error. */
int pf_walk(const unsigned char *buf, size_t len, struct pf_trace *t);
void pf_free(struct pf_trace *t);
/* Children of track uuid. */
size_t pf_children(const struct pf_trace *t, uint64_t uuid);
/* The track named name, or NULL. */
const struct pf_track *pf_track_named(const struct pf_trace *t, const char *name);

#endif
