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

/*
 * A batch as recordings store it (record type KHT_TF_WIN_BATCH,
 * docs/file-format.md "Lock-window batches"): struct kht_win_batch with its
 * entries' narrow members widened to the 4 bytes a wire field has.
 */
struct win_wire {
	unsigned long long start_ns, hold_ns;
	unsigned int window, slot, uptodate, readers;
};

struct win_batch_wire {
	struct kht_hdr hdr;
	struct kht_fileref file;
	unsigned int n;
	unsigned int pad;
	struct win_wire w[KHT_WIN_BATCH];
};

/* One window of a batch as the KHT_EV_LOCK_WINDOW event it stands for. */
static int batch_window(const struct kht_hdr *h, const struct kht_fileref *file,
			const struct win_wire *e,
			int (*fn)(void *ctx, const struct kht_lock_window *w), void *ctx)
{
	struct kht_lock_window w;

	memset(&w, 0, sizeof(w));
	w.hdr = *h;
	w.hdr.type = KHT_EV_LOCK_WINDOW;
	w.hdr.size = sizeof(w);
	w.hdr.ts_ns = e->start_ns + e->hold_ns;	/* its end, as when sent alone */
	w.start_ns = e->start_ns;
	w.hold_ns = e->hold_ns;
	w.file = *file;
	w.window = e->window;
	w.slot = e->slot;
	w.uptodate = e->uptodate;
	w.readers = e->readers;
	return fn(ctx, &w);
}

static void widen(const struct kht_win_entry *e, struct win_wire *o)
{
	*o = (struct win_wire){ e->start_ns, e->hold_ns, e->window, e->slot, e->uptodate,
				e->readers };
}

bool kht_win_batch_valid(const void *data, size_t size)
{
	const struct kht_win_batch *b = data;

	return size >= sizeof(*b) && b->n >= 1 && b->n <= KHT_WIN_BATCH;
}

int kht_win_batch_each(const void *data, size_t size,
		       int (*fn)(void *ctx, const struct kht_lock_window *w), void *ctx)
{
	const struct kht_win_batch *b = data;

	if (!kht_win_batch_valid(data, size))
		return -EINVAL;
	for (unsigned i = 0; i < b->n; i++) {
		struct win_wire e;
		int r;

		widen(&b->w[i], &e);
		r = batch_window(&b->hdr, &b->file, &e, fn, ctx);
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

/*
 * The batch's wire order: the header and file once, n, then all
 * KHT_WIN_BATCH entries (those past n zero: a byte each). A window takes
 * ~13 bytes here against ~52 as an event of its own, whose header and file
 * are the batch's: zlib, most of what `record` spends, has a quarter of the
 * bytes to compress, and the writer half the instructions (bench/README.md
 * "Round 28"). APPEND ONLY, like every table: fields after the entries
 * would go at the end.
 */
#define WIN_ENTRY_FIELDS(i)							\
	KHT_FT(struct win_batch_wire, w[i].start_ns),				\
	KHT_FI(struct win_batch_wire, w[i].hold_ns),				\
	KHT_FI(struct win_batch_wire, w[i].window),				\
	KHT_FI(struct win_batch_wire, w[i].slot),				\
	KHT_FI(struct win_batch_wire, w[i].uptodate),				\
	KHT_FI(struct win_batch_wire, w[i].readers)
static const struct kht_field batch_fields[] = {
	KHT_HDR_FIELDS(struct win_batch_wire),
	KHT_FILEREF_FIELDS(struct win_batch_wire),
	KHT_FI(struct win_batch_wire, n),
	WIN_ENTRY_FIELDS(0), WIN_ENTRY_FIELDS(1), WIN_ENTRY_FIELDS(2), WIN_ENTRY_FIELDS(3),
	WIN_ENTRY_FIELDS(4), WIN_ENTRY_FIELDS(5), WIN_ENTRY_FIELDS(6), WIN_ENTRY_FIELDS(7),
	WIN_ENTRY_FIELDS(8), WIN_ENTRY_FIELDS(9), WIN_ENTRY_FIELDS(10), WIN_ENTRY_FIELDS(11),
	WIN_ENTRY_FIELDS(12), WIN_ENTRY_FIELDS(13), WIN_ENTRY_FIELDS(14), WIN_ENTRY_FIELDS(15),
};
_Static_assert(KHT_WIN_BATCH == 16, "batch_fields lists 16 entries");

KHT_WIRE_PACKER(batch_pack, batch_fields)
KHT_WIRE_DECODER(batch_decode, batch_fields)

int kht_tf_pack_win_batch(const struct kht_win_batch *b, void *out, unsigned outlen)
{
	struct win_batch_wire x;

	if (!kht_win_batch_valid(b, sizeof(*b)))
		return -EINVAL;
	memset(&x, 0, sizeof(x));
	x.hdr = b->hdr;
	x.file = b->file;
	x.n = b->n;
	for (unsigned i = 0; i < b->n; i++)
		widen(&b->w[i], &x.w[i]);
	return batch_pack(&x, x.hdr.ts_ns, out, outlen);
}

int kht_tf_win_batch_each(const void *payload, unsigned len,
			  int (*fn)(void *ctx, const struct kht_lock_window *w), void *ctx)
{
	struct win_batch_wire x;

	memset(&x, 0, sizeof(x));
	if (batch_decode(payload, len, &x, true) || x.n < 1 || x.n > KHT_WIN_BATCH)
		return -EINVAL;
	for (unsigned i = 0; i < x.n; i++) {
		int r = batch_window(&x.hdr, &x.file, &x.w[i], fn, ctx);

		if (r)
			return r;
	}
	return 0;
}

KHT_EVENT_KIND(kht_ev_lock_window, KHT_EV_LOCK_WINDOW, "lock_window", struct kht_lock_window,
	       .summarised = true, .span = span);
