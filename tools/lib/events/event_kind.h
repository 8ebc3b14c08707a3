/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The registry of event kinds. A kind is one file in tools/lib/events/: its
 * struct (include/khugetrace.h), name, wire fields for recordings, text and
 * JSON formatters and a span accessor (time span, file, task) — everything
 * the views and the recording format need to know about it. The views ask
 * the registry instead of switching on the type.
 *
 * Kinds move here one at a time (docs/architecture.md, "Adding an event
 * kind"); the ones not moved yet are still dispatched by hand.
 */
#ifndef KHT_EVENT_KIND_H
#define KHT_EVENT_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include "khugetrace.h"
#include "../event_fmt.h"

/*
 * How a field is stored in a recording. In the fixed (1.0) encoding all
 * integers are stored at their size; in the packed (2.0) encoding SINT is
 * zigzagged and TS is stored relative to hdr.ts_ns.
 */
enum kht_wire { KHT_WIRE_INT, KHT_WIRE_SINT, KHT_WIRE_TS, KHT_WIRE_BYTES };

struct kht_field {
	unsigned short off, size, kind;
};

#define KHT_FI(T, m) { offsetof(T, m), sizeof(((T *)0)->m), KHT_WIRE_INT }
#define KHT_FB(T, m) { offsetof(T, m), sizeof(((T *)0)->m), KHT_WIRE_BYTES }
#define KHT_FS(T, m) { offsetof(T, m), sizeof(((T *)0)->m), KHT_WIRE_SINT }
#define KHT_FT(T, m) { offsetof(T, m), sizeof(((T *)0)->m), KHT_WIRE_TS }
#define KHT_HDR_FIELDS(T) KHT_FI(T, hdr.ts_ns), KHT_FI(T, hdr.type), KHT_FI(T, hdr.size), \
	KHT_FI(T, hdr.pid), KHT_FI(T, hdr.tid), KHT_FB(T, hdr.comm)
#define KHT_FILEREF_FIELDS(T) KHT_FI(T, file.ino), KHT_FI(T, file.index), \
	KHT_FI(T, file.dev), KHT_FI(T, file.gen)

/* What every kind looks like to a timeline or a rule. */
struct kht_span {
	unsigned long long begin_ns;	/* entry time when has_begin, else end_ns */
	unsigned long long end_ns;	/* hdr.ts_ns */
	bool has_begin;
	bool has_file;			/* file-backed: file and name are valid */
	struct kht_fileref file;
	unsigned long long first_page, last_page;	/* pages touched (has_file) */
	const char *name;		/* dentry name, "" when unknown */
};

struct kht_event_kind {
	unsigned type;			/* enum kht_event_type */
	const char *name;		/* the JSON "event" value */
	unsigned size;			/* sizeof its struct */
	/* Wire order in recordings. APPEND ONLY: older files decode with new members zero. */
	const struct kht_field *fields;
	unsigned nfields;
	/* One line without the time/task prefix (the views add it). */
	int (*desc)(char *buf, size_t len, const void *ev);
	/* One JSON object; -1 when buf is too small. */
	int (*json)(char *buf, size_t len, const void *ev, const struct kht_fmt *f);
	void (*span)(const void *ev, struct kht_span *s);
};

#define KHT_FIELDS(f) (f), sizeof(f) / sizeof((f)[0])

/* The kind of a type, or NULL when the registry does not know it (yet). */
const struct kht_event_kind *kht_event_kind(unsigned type);

extern const struct kht_event_kind kht_ev_modify;

#endif
