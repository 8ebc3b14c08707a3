// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_MINCORE: one mincore() on a file-backed range (bpf/seek.bpf.c holds
 * its probes too): a page reported not resident inside a collapsing range.
 */
#include <stdio.h>
#include "event_kind.h"
#include "../tracefile_decode.h"
#include "../json.h"

static int desc(char *buf, size_t len, const void *e, enum kht_row row,
		const struct kht_fmt *f)
{
	const struct kht_mincore *ev = e;
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_buf_str(&b, "mincore ");
	kht_range_str(&b, ev->flags, &ev->file, ev->addr, ev->len);
	/* " -> %s, %u/%u resident%s" */
	kht_buf_str(&b, " -> ");
	kht_buf_ret(&b, ev->result);
	kht_buf_str(&b, ", ");
	kht_buf_u64(&b, ev->resident);
	kht_buf_put(&b, "/", 1);
	kht_buf_u64(&b, ev->pages);
	kht_buf_str(&b, ev->flags & KHT_O_TRUNCATED ? " resident (first pages only)" : " resident");
	return b.overflow ? -1 : (int)b.len;
}

static int json(char *buf, size_t len, const void *e, const struct kht_fmt *f)
{
	const struct kht_mincore *ev = e;
	struct kht_buf b;

	kht_json_event_begin(&b, buf, len, "mincore", &ev->hdr, ev->attach, f);
	KHT_JU64(&b, "addr", ev->addr);
	KHT_JU64(&b, "len", ev->len);
	KHT_JU64(&b, "pages", ev->pages);
	KHT_JU64(&b, "resident", ev->resident);
	kht_json_bool(&b, "truncated", ev->flags & KHT_O_TRUNCATED);
	KHT_JI64(&b, "ret", ev->result);
	return kht_json_op_end(&b, ev->flags, &ev->file, ev->name, ev->start_ns, ev->duration_ns);
}

KHT_SPAN_OP_BYTES(struct kht_mincore)

/* Wire order (docs/file-format.md): APPEND ONLY. */
static const struct kht_field fields[] = {
	KHT_OP_FIELDS(struct kht_mincore),
	KHT_FI(struct kht_mincore, addr), KHT_FI(struct kht_mincore, len),
	KHT_FS(struct kht_mincore, result), KHT_FILEREF_FIELDS(struct kht_mincore),
	KHT_FI(struct kht_mincore, pages), KHT_FI(struct kht_mincore, resident),
	KHT_FI(struct kht_mincore, flags), KHT_FI(struct kht_mincore, attach),
	KHT_FB(struct kht_mincore, name),
};

KHT_EVENT_KIND(kht_ev_mincore, KHT_EV_MINCORE, "mincore", struct kht_mincore,
	       .desc = desc, .json = json, .span = span);
