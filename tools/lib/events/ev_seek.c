// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_SEEK: one lseek(SEEK_DATA/SEEK_HOLE) on a file (bpf/seek.bpf.c). The
 * seek rule reads what it returned: a hole inside a collapsing range.
 */
#include <stdio.h>
#include "event_kind.h"
#include "../tracefile_decode.h"
#include "../json.h"

/* Only SEEK_DATA/SEEK_HOLE are traced; anything else is a damaged event, shown as such. */
const char *kht_whence_name(unsigned whence)
{
	static const char *const names[] = {
		[KHT_SEEK_DATA] = "SEEK_DATA", [KHT_SEEK_HOLE] = "SEEK_HOLE",
	};

	return whence < sizeof(names) / sizeof(names[0]) && names[whence] ? names[whence] :
	       "whence?";
}

static int desc(char *buf, size_t len, const void *e, enum kht_row row,
		const struct kht_fmt *f)
{
	const struct kht_seek *ev = e;
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	/* "%s from %lld (page %llu) -> %s[ (page %lld)]", the hottest row of a timeline */
	kht_buf_str(&b, kht_whence_name(ev->whence));
	kht_buf_str(&b, " from ");
	kht_buf_i64(&b, ev->offset);
	kht_buf_str(&b, " (page ");
	kht_buf_u64(&b, ev->file.index);
	kht_buf_str(&b, ") -> ");
	kht_buf_ret(&b, ev->result);
	if (ev->result >= 0) {
		kht_buf_str(&b, " (page ");
		kht_buf_i64(&b, ev->result >> 12);
		kht_buf_put(&b, ")", 1);
	}
	return b.overflow ? -1 : (int)b.len;
}

static int json(char *buf, size_t len, const void *e, const struct kht_fmt *f)
{
	const struct kht_seek *ev = e;
	struct kht_buf b;

	kht_json_event_begin(&b, buf, len, "seek", &ev->hdr, ev->attach, f);
	KHT_JSTR(&b, "whence", kht_whence_name(ev->whence));
	KHT_JI64(&b, "offset", ev->offset);
	KHT_JI64(&b, "ret", ev->result);
	return kht_json_op_end(&b, ev->flags, &ev->file, ev->name, ev->start_ns, ev->duration_ns);
}

static void span(const void *e, struct kht_span *s)
{
	const struct kht_seek *ev = e;

	kht_span_op(s, &ev->hdr, ev->flags, ev->start_ns, &ev->file, ev->name);
	s->first_page = s->last_page = ev->file.index;
}

/* Wire order (docs/file-format.md): APPEND ONLY; the explicit pad is not stored. */
static const struct kht_field fields[] = {
	KHT_OP_FIELDS(struct kht_seek),
	KHT_FS(struct kht_seek, offset), KHT_FS(struct kht_seek, result),
	KHT_FILEREF_FIELDS(struct kht_seek), KHT_FI(struct kht_seek, whence),
	KHT_FI(struct kht_seek, flags), KHT_FI(struct kht_seek, attach), KHT_FB(struct kht_seek, name),
};

KHT_EVENT_KIND(kht_ev_seek, KHT_EV_SEEK, "seek", struct kht_seek,
	       .desc = desc, .json = json, .span = span);
