/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming writer of Perfetto's native trace format
 * (protos/perfetto/trace/trace.proto): a file is a `Trace`, i.e. the
 * concatenation of `repeated TracePacket packet = 1` records, so each packet
 * is encoded into one reusable buffer and written out whole — nothing else is
 * kept but the interning tables.
 *
 * Only what khugetrace writes is covered: track descriptors (custom tracks,
 * one parent per story, one child per task) and track events (slice begin /
 * end, instants) with interned names and debug annotations. The encoder is
 * hand-written (varints and length-delimited fields); no protobuf library.
 *
 * Interning is bounded: when the tables fill up, the writer clears the
 * sequence's incremental state (SEQ_INCREMENTAL_STATE_CLEARED) and starts
 * new tables; interning ids keep counting up, as the format requires (an id
 * is never given to a second string in one trace).
 */
#ifndef KHT_PERFETTO_PB_H
#define KHT_PERFETTO_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- field numbers (google/perfetto protos/perfetto/trace/...) ---- */
enum {
	/* trace.proto: Trace */
	PF_TRACE_PACKET = 1,
	/* trace_packet.proto: TracePacket */
	PF_PKT_TIMESTAMP = 8,
	PF_PKT_SEQUENCE_ID = 10,	/* trusted_packet_sequence_id */
	PF_PKT_TRACK_EVENT = 11,
	PF_PKT_INTERNED_DATA = 12,
	PF_PKT_SEQUENCE_FLAGS = 13,
	PF_PKT_TRACK_DESCRIPTOR = 60,
	PF_SEQ_INCREMENTAL_STATE_CLEARED = 1,
	PF_SEQ_NEEDS_INCREMENTAL_STATE = 2,
	/* track_event/track_descriptor.proto: TrackDescriptor */
	PF_TD_UUID = 1,
	PF_TD_NAME = 2,
	PF_TD_PARENT_UUID = 5,
	PF_TD_CHILD_ORDERING = 11,	/* ChildTracksOrdering: 1 lexicographic, 2 chronological */
	PF_TD_SIBLING_MERGE = 15,	/* SiblingMergeBehavior: 2 = never merge by name */
	/* track_event/track_event.proto: TrackEvent */
	PF_TE_DEBUG_ANNOTATIONS = 4,
	PF_TE_TYPE = 9,
	PF_TE_NAME_IID = 10,
	PF_TE_TRACK_UUID = 11,
	PF_TYPE_SLICE_BEGIN = 1,
	PF_TYPE_SLICE_END = 2,
	PF_TYPE_INSTANT = 3,
	/* track_event/debug_annotation.proto: DebugAnnotation */
	PF_DA_NAME_IID = 1,
	PF_DA_BOOL = 2,
	PF_DA_UINT = 3,
	PF_DA_INT = 4,
	PF_DA_DOUBLE = 5,
	PF_DA_STRING = 6,
	PF_DA_LEGACY_JSON = 9,
	PF_DA_STRING_IID = 17,
	/* interned_data/interned_data.proto: InternedData */
	PF_ID_EVENT_NAMES = 2,		/* EventName { iid = 1; name = 2; } */
	PF_ID_ANNOTATION_NAMES = 3,	/* DebugAnnotationName { iid = 1; name = 2; } */
	PF_ID_ANNOTATION_STRINGS = 29,	/* InternedString { iid = 1; bytes str = 2; } */
	PF_INTERNED_IID = 1,
	PF_INTERNED_NAME = 2,
};

/* Protobuf wire types */
enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

/* A growable encode buffer; on allocation failure `oom` is set and writes stop. */
struct kht_pb {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

void kht_pb_varint(struct kht_pb *b, unsigned field, uint64_t v);
void kht_pb_double(struct kht_pb *b, unsigned field, double v);
void kht_pb_bytes(struct kht_pb *b, unsigned field, const void *p, size_t n);
void kht_pb_str(struct kht_pb *b, unsigned field, const char *s);
/* A nested message: kht_pb_close(b, kht_pb_open(b, field)) around its fields. */
size_t kht_pb_open(struct kht_pb *b, unsigned field);
void kht_pb_close(struct kht_pb *b, size_t at);
void kht_pb_free(struct kht_pb *b);

/*
 * A string -> non-zero number map: an interning index (string -> iid,
 * emitted once per incremental-state period), or any other small map.
 */
struct kht_pf_intern {
	char **key;		/* open addressing, cap slots (power of two) */
	uint64_t *iid;
	size_t n, cap;
};

uint64_t kht_pf_map_find(const struct kht_pf_intern *t, const char *s);	/* 0: absent */
int kht_pf_map_add(struct kht_pf_intern *t, const char *s, uint64_t v);	/* 0 or -1 */
void kht_pf_map_clear(struct kht_pf_intern *t);

/* Above this many strings in one period, incremental state is cleared (bounded memory). */
#define KHT_PF_INTERN_MAX 4096

struct kht_pf_writer {
	FILE *out;
	struct kht_pb pkt;		/* the packet being built */
	struct kht_pb interned;		/* its new InternedData entries, appended at the end */
	size_t event_at, anno_at;	/* open TrackEvent / DebugAnnotation in pkt */
	struct kht_pf_intern names, annos, strings;
	uint64_t next_iid;		/* one counter for all indexes: never reused */
	uint64_t next_uuid;
	bool cleared;			/* this period's first event packet (flags CLEARED) was written */
	unsigned long long packets;	/* written so far */
	bool error;			/* out of memory or a write error */
};

void kht_pf_init(struct kht_pf_writer *w, FILE *out);
/* A track, globally unique uuid returned; parent 0 = top level. */
uint64_t kht_pf_track(struct kht_pf_writer *w, uint64_t parent, const char *name);

/*
 * A TrackEvent packet in three steps: begin (type, name), annotations, end.
 * name may be NULL (a slice end needs none).
 */
void kht_pf_event_begin(struct kht_pf_writer *w, uint64_t ts, uint64_t track, int type,
			const char *name);
void kht_pf_anno_uint(struct kht_pf_writer *w, const char *key, uint64_t v);
void kht_pf_anno_int(struct kht_pf_writer *w, const char *key, int64_t v);
void kht_pf_anno_double(struct kht_pf_writer *w, const char *key, double v);
void kht_pf_anno_bool(struct kht_pf_writer *w, const char *key, bool v);
void kht_pf_anno_str(struct kht_pf_writer *w, const char *key, const char *v, size_t n);
/* A nested JSON value (array, object) as legacy_json_value. */
void kht_pf_anno_json(struct kht_pf_writer *w, const char *key, const char *v, size_t n);
/* Name the event after its annotations were written (once, instead of at begin). */
void kht_pf_event_name(struct kht_pf_writer *w, const char *name);
void kht_pf_event_end(struct kht_pf_writer *w);

/* Flush; free the tables. 0, or -1 if anything failed (memory, writing). */
int kht_pf_finish(struct kht_pf_writer *w);

#endif
