/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The registry of event kinds. A kind is one file in tools/lib/events/: its
 * struct (include/khugetrace.h), name, wire fields for recordings, text and
 * JSON formatters and a span accessor (time span, file, task) — everything
 * the views and the recording format need to know about it. The views ask
 * the registry instead of switching on the type.
 *
 * Every type of enum kht_event_type has a kind (a unit test holds it to
 * that); adding one is docs/architecture.md, "How to add an event kind".
 */
#ifndef KHT_EVENT_KIND_H
#define KHT_EVENT_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
/* The head of an operation's wire fields (seek, mincore, uffd, modify, reader). */
#define KHT_OP_FIELDS(T) KHT_HDR_FIELDS(T), KHT_FT(T, start_ns), KHT_FI(T, duration_ns)
#define KHT_FILEREF_FIELDS(T) KHT_FI(T, file.ino), KHT_FI(T, file.index), \
	KHT_FI(T, file.dev), KHT_FI(T, file.gen)

/* What every kind looks like to a timeline or a rule. */
struct kht_span {
	unsigned long long begin_ns;	/* entry time when has_begin, else end_ns */
	unsigned long long end_ns;	/* hdr.ts_ns */
	bool has_begin;
	bool has_file;			/* file-backed: file and name are valid */
	struct kht_fileref file;
	/*
	 * Pages touched (has_file). A collapse whose start the event does not
	 * hold exactly says 0..~0: its derivation needs the recording kernel's
	 * results (kht_collapse_start()).
	 */
	unsigned long long first_page, last_page;
	/* dentry name: KHT_NAME_LEN bytes, maybe unterminated; NULL for a kind that carries none */
	const char *name;
};

/*
 * Which row of a story a description is for. A window kind (a collapse)
 * whose begin was seen shows as a begin row and an end row; every other
 * event, and a window without its begin, as one row.
 */
enum kht_row { KHT_ROW_ONE, KHT_ROW_BEGIN, KHT_ROW_END };

struct kht_event_kind {
	unsigned type;			/* enum kht_event_type */
	const char *name;		/* the JSON "event" value */
	unsigned size;			/* sizeof its struct */
	/* Wire order in recordings. APPEND ONLY: older files decode with new members zero. */
	const struct kht_field *fields;
	unsigned nfields;
	/*
	 * Payload -> struct, the loop over fields compiled with the table a
	 * constant (KHT_WIRE_DECODER, tools/lib/tracefile_decode.h): the same
	 * result as the loop, without a branch per field. 0, -EINVAL.
	 */
	int (*decode)(const void *in, unsigned len, void *out, bool packed);
	/* Struct -> packed payload, compiled the same way (KHT_WIRE_PACKER). */
	int (*pack)(const void *ev, uint64_t ts, void *out, unsigned outlen);
	/*
	 * A window the story's other rows can fall inside (marked '|'): shown
	 * as begin and end rows when its begin is known.
	 */
	bool window;
	/*
	 * Only summarised (lock windows: in their collapse event and the hold
	 * histogram): no row in a story, no desc and no json.
	 */
	bool summarised;
	/* One line without the time/task prefix (the views add it); -1 when buf is too small. */
	int (*desc)(char *buf, size_t len, const void *ev, enum kht_row row,
		    const struct kht_fmt *f);
	/* One JSON object; -1 when buf is too small. */
	int (*json)(char *buf, size_t len, const void *ev, const struct kht_fmt *f);
	void (*span)(const void *ev, struct kht_span *s);
};

#define KHT_FIELDS(f) (f), sizeof(f) / sizeof((f)[0])

/*
 * A kind's registry entry, at the end of its file: its static `fields`
 * table with the decoder and packer compiled from it, and the members it has
 * (.desc, .json, .span, .window, ...) as the rest.
 */
#define KHT_EVENT_KIND(var, TYPE, NAME, T, ...)					\
	KHT_WIRE_DECODER(decode, fields)					\
	KHT_WIRE_PACKER(pack, fields)						\
	const struct kht_event_kind var = {					\
		.type = TYPE, .name = NAME, .size = sizeof(T),			\
		.fields = KHT_FIELDS(fields), .decode = decode, .pack = pack,	\
		__VA_ARGS__ }

/*
 * The span of an operation on a file range (every kind but the collapse):
 * begin from start_ns with KHT_O_HAVE_DURATION, the file with
 * KHT_O_HAVE_INODE; pages are the kind's to set, kht_span_bytes() for len
 * bytes from the file reference's index.
 */
void kht_span_op(struct kht_span *s, const struct kht_hdr *h, unsigned flags,
		 unsigned long long start_ns, const struct kht_fileref *file, const char *name);
void kht_span_bytes(struct kht_span *s, unsigned long long len);
/* The span of an operation of type T on len bytes from its file reference (mincore, uffd). */
#define KHT_SPAN_OP_BYTES(T)								\
	static void span(const void *e, struct kht_span *s)				\
	{										\
		const T *ev = e;							\
											\
		kht_span_op(s, &ev->hdr, ev->flags, ev->start_ns, &ev->file, ev->name);	\
		kht_span_bytes(s, ev->len);						\
	}

/* The kind of a type, or NULL for a type this build does not know (a newer recorder's). */
const struct kht_event_kind *kht_event_kind(unsigned type);
/* Its description; -1 for an unknown or summarised type, or a buf too small. */
int kht_event_desc(char *buf, size_t len, const struct kht_hdr *h, enum kht_row row,
		   const struct kht_fmt *f);

extern const struct kht_event_kind kht_ev_collapse, kht_ev_uffd, kht_ev_seek, kht_ev_mincore,
	kht_ev_lock_window, kht_ev_reader, kht_ev_modify;

#endif
