// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_LOCK_WINDOW: one i_pages lock hold by a collapsing task (fentry
 * only: bpf/inside.bpf.h). Summarised, never shown alone: its collapse event
 * carries the windows' count, longest hold and the last window, and the
 * collapse view draws the holds' histogram (kht_collapse_view_window()).
 */
#include <errno.h>
#include <string.h>
#include "event_kind.h"
#include "../event_fmt.h"
#include "../tracefile_decode.h"

static void span(const void *e, struct kht_span *s)
{
	const struct kht_lock_window *w = e;

	/* always timed, always a file: as if both flags were set */
	kht_span_op(s, &w->hdr, KHT_O_HAVE_DURATION | KHT_O_HAVE_INODE, w->start_ns, &w->file,
		    NULL);
	s->first_page = w->file.index;
	s->last_page = w->file.index + KHT_HPAGE_NR - 1;
}

int kht_win_batch_each(const void *data, size_t size,
		       int (*fn)(void *ctx, const struct kht_lock_window *w), void *ctx)
{
	const struct kht_win_batch *b = data;
	struct kht_lock_window w;

	if (size < sizeof(*b) || b->n < 1 || b->n > KHT_WIN_BATCH)
		return -EINVAL;
	for (unsigned i = 0; i < b->n; i++) {
		const struct kht_win_entry *e = &b->w[i];
		int r;

		memset(&w, 0, sizeof(w));
		w.hdr = b->hdr;
		w.hdr.type = KHT_EV_LOCK_WINDOW;
		w.hdr.size = sizeof(w);
		w.hdr.ts_ns = e->start_ns + e->hold_ns;	/* its end, as when sent alone */
		w.start_ns = e->start_ns;
		w.hold_ns = e->hold_ns;
		w.file = b->file;
		w.window = e->window;
		w.slot = e->slot;
		w.uptodate = e->uptodate;
		w.readers = e->readers;
		r = fn(ctx, &w);
		if (r)
			return r;
	}
	return 0;
}

/* Wire order (docs/file-format.md): APPEND ONLY. */
static const struct kht_field fields[] = {
	KHT_HDR_FIELDS(struct kht_lock_window),
	KHT_FT(struct kht_lock_window, start_ns), KHT_FI(struct kht_lock_window, hold_ns),
	KHT_FILEREF_FIELDS(struct kht_lock_window),
	KHT_FI(struct kht_lock_window, window), KHT_FI(struct kht_lock_window, slot),
	KHT_FI(struct kht_lock_window, uptodate), KHT_FI(struct kht_lock_window, readers),
};

KHT_EVENT_KIND(kht_ev_lock_window, KHT_EV_LOCK_WINDOW, "lock_window", struct kht_lock_window,
	       .summarised = true, .span = span);
