// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_READER: a lockless page-cache lookup on a mapping under collapse, with
 * its overlap with the collapser's i_pages hold (fentry only: bpf/inside.bpf.h).
 */
#include <stdio.h>
#include "event_kind.h"
#include "../tracefile_decode.h"
#include "../json.h"

static const char *reader_fn_name(unsigned fn)
{
	static const char *const names[] = {
		[KHT_RD_FILEMAP_GET_ENTRY] = "filemap_get_entry",
		[KHT_RD_FILEMAP_GET_FOLIO] = "__filemap_get_folio",
		[KHT_RD_FILEMAP_GET_FOLIO_MPOL] = "__filemap_get_folio_mpol",
		[KHT_RD_SEEK_HOLE_DATA] = "mapping_seek_hole_data",
	};

	return fn < sizeof(names) / sizeof(names[0]) && names[fn] ? names[fn] : "reader";
}

static int desc(char *buf, size_t len, const void *e, enum kht_row row,
		const struct kht_fmt *f)
{
	const struct kht_reader *ev = e;

	return snprintf(buf, len, "reader %s page %llu: %.1f us, %.1f us inside a lock hold "
			"of collapser %u", reader_fn_name(ev->fn), ev->file.index, ev->duration_ns / 1e3,
			ev->overlap_ns / 1e3, ev->collapser_tid);
}

static int json(char *buf, size_t len, const void *e, const struct kht_fmt *f)
{
	const struct kht_reader *ev = e;
	struct kht_buf b;
	char dev[24];

	kht_json_event_begin(&b, buf, len, "reader", &ev->hdr, KHT_MODE_FENTRY, f);
	KHT_JSTR(&b, "function", reader_fn_name(ev->fn));
	kht_dev_str(ev->file.dev, dev, sizeof(dev));
	KHT_JSTR(&b, "dev", dev);
	KHT_JU64(&b, "ino", ev->file.ino);
	KHT_JU64(&b, "gen", ev->file.gen);
	KHT_JU64(&b, "index", ev->file.index);
	KHT_JU64(&b, "start_ns", ev->start_ns);
	KHT_JU64(&b, "duration_ns", ev->duration_ns);
	KHT_JU64(&b, "overlap_ns", ev->overlap_ns);
	KHT_JU64(&b, "collapser_tid", ev->collapser_tid);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}


static void span(const void *e, struct kht_span *s)
{
	const struct kht_reader *ev = e;

	/* always timed, always a file; no name: the collapse in the same story has it */
	kht_span_op(s, &ev->hdr, KHT_O_HAVE_DURATION | KHT_O_HAVE_INODE, ev->start_ns, &ev->file,
		    NULL);
	s->first_page = s->last_page = ev->file.index;
}

/* Wire order (docs/file-format.md): APPEND ONLY. */
static const struct kht_field fields[] = {
	KHT_OP_FIELDS(struct kht_reader),
	KHT_FI(struct kht_reader, overlap_ns), KHT_FILEREF_FIELDS(struct kht_reader),
	KHT_FI(struct kht_reader, fn),
	KHT_FI(struct kht_reader, collapser_tid),
};

KHT_EVENT_KIND(kht_ev_reader, KHT_EV_READER, "reader", struct kht_reader,
	       .desc = desc, .json = json, .span = span);
