// SPDX-License-Identifier: GPL-2.0
/* The one list of event kinds, the lookups every view uses instead of a switch, and span helpers. */
#include <stdio.h>
#include "event_kind.h"

static const struct kht_event_kind *const kinds[KHT_EV_MAX] = {
	[KHT_EV_COLLAPSE] = &kht_ev_collapse,
	[KHT_EV_UFFD] = &kht_ev_uffd,
	[KHT_EV_SEEK] = &kht_ev_seek,
	[KHT_EV_MINCORE] = &kht_ev_mincore,
	[KHT_EV_LOCK_WINDOW] = &kht_ev_lock_window,
	[KHT_EV_READER] = &kht_ev_reader,
	[KHT_EV_MODIFY] = &kht_ev_modify,
};

const struct kht_event_kind *kht_event_kind(unsigned type)
{
	return type < KHT_EV_MAX ? kinds[type] : NULL;
}

size_t kht_event_size(unsigned type)
{
	const struct kht_event_kind *k = kht_event_kind(type);

	return k ? k->size : 0;
}

int kht_event_json(char *buf, size_t len, const struct kht_hdr *h, size_t size,
		   const struct kht_fmt *f)
{
	const struct kht_event_kind *k = kht_event_kind(h->type);

	if (!k || !k->json || size < k->size)
		return -1;
	return k->json(buf, len, h, f);
}

void kht_span_op(struct kht_span *s, const struct kht_hdr *h, unsigned flags,
		 unsigned long long start_ns, const struct kht_fileref *file, const char *name)
{
	s->end_ns = h->ts_ns;
	s->has_begin = flags & KHT_O_HAVE_DURATION;
	s->begin_ns = s->has_begin ? start_ns : s->end_ns;
	s->has_file = flags & KHT_O_HAVE_INODE;
	s->file = *file;
	s->name = name;
}

void kht_span_bytes(struct kht_span *s, unsigned long long len)
{
	s->first_page = s->file.index;
	s->last_page = kht_last_page(s->file.index, len);
}

int kht_event_desc(char *buf, size_t len, const struct kht_hdr *h, enum kht_row row,
		   const struct kht_fmt *f)
{
	const struct kht_event_kind *k = kht_event_kind(h->type);

	return k && k->desc ? k->desc(buf, len, h, row, f) : -1;
}
