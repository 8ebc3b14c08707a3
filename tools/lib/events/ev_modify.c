// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_MODIFY: a punch, truncation, write or fallocate of a file's pages
 * (bpf/modify.bpf.c). The race rules read the page range: a modification of
 * a collapsing range explains a hole that a reader saw.
 */
#include <stdio.h>
#include "event_kind.h"
#include "../tracefile_decode.h"
#include "../json.h"

static const char *op_name(unsigned op)
{
	switch (op) {
	case KHT_MOD_PUNCH: return "punch";
	case KHT_MOD_TRUNCATE: return "truncate";
	case KHT_MOD_WRITE: return "write";
	case KHT_MOD_FALLOCATE: return "fallocate";
	case KHT_MOD_FILL: return "fill";
	}
	return "modify?";
}

/* Pages touched: a punch zeroes partial pages, so any page it reaches counts. */
static void pages(const struct kht_modify *m, unsigned long long *first, unsigned long long *last)
{
	unsigned long long off = m->offset > 0 ? m->offset : 0;

	*first = off >> 12;
	if (m->op == KHT_MOD_TRUNCATE || m->len <= 0)
		*last = m->op == KHT_MOD_TRUNCATE ? ~0ULL : *first;
	else
		*last = (off + m->len - 1) >> 12;
}

static int desc(char *buf, size_t len, const void *ev, enum kht_row row,
		const struct kht_fmt *f)
{
	const struct kht_modify *m = ev;
	unsigned long long first, last;
	char ret[24];
	struct kht_buf b;

	pages(m, &first, &last);
	kht_buf_init(&b, buf, len);
	if (m->op == KHT_MOD_FILL)
		snprintf(ret, sizeof(ret), "-");
	else if (m->result == 0 && m->op != KHT_MOD_WRITE)
		snprintf(ret, sizeof(ret), "ok");
	else
		kht_ret_str(m->result, ret, sizeof(ret));
	if (m->op == KHT_MOD_TRUNCATE)
		kht_buf_printf(&b, "truncate to %lld (pages %llu on)", m->offset, first);
	else
		kht_buf_printf(&b, "%s pages %llu-%llu (%lld bytes at %lld)", op_name(m->op), first,
			       last, m->len, m->offset);
	if (m->op == KHT_MOD_FALLOCATE)
		kht_buf_printf(&b, " mode 0x%x", m->fmode);
	kht_buf_printf(&b, " -> %s", ret);
	return b.overflow ? -1 : (int)b.len;
}

static int json(char *buf, size_t len, const void *ev, const struct kht_fmt *f)
{
	const struct kht_modify *m = ev;
	unsigned long long first, last;
	struct kht_buf b;

	pages(m, &first, &last);
	kht_json_event_begin(&b, buf, len, "modify", &m->hdr, m->attach, f);
	KHT_JSTR(&b, "op", op_name(m->op));
	KHT_JU64(&b, "falloc_mode", m->fmode);
	KHT_JI64(&b, "offset", m->offset);
	KHT_JI64(&b, "len", m->len);
	KHT_JU64(&b, "first_page", first);
	if (m->op == KHT_MOD_TRUNCATE)
		KHT_JNULL(&b, "last_page");	/* to the end of the file */
	else
		KHT_JU64(&b, "last_page", last);
	KHT_JI64(&b, "ret", m->result);
	return kht_json_op_end(&b, m->flags, &m->file, m->name, m->start_ns, m->duration_ns);
}

static void span(const void *ev, struct kht_span *s)
{
	const struct kht_modify *m = ev;

	kht_span_op(s, &m->hdr, m->flags, m->start_ns, &m->file, m->name);
	pages(m, &s->first_page, &s->last_page);
}

static const struct kht_field fields[] = {
	KHT_OP_FIELDS(struct kht_modify),
	KHT_FS(struct kht_modify, offset), KHT_FS(struct kht_modify, len),
	KHT_FS(struct kht_modify, result), KHT_FILEREF_FIELDS(struct kht_modify),
	KHT_FI(struct kht_modify, op), KHT_FI(struct kht_modify, fmode),
	KHT_FI(struct kht_modify, flags), KHT_FI(struct kht_modify, attach),
	KHT_FB(struct kht_modify, name),
};

KHT_EVENT_KIND(kht_ev_modify, KHT_EV_MODIFY, "modify", struct kht_modify,
	       .desc = desc, .json = json, .span = span);
