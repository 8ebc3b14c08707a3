// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_COLLAPSE: one collapse_file() call (bpf/collapse.bpf.c), whatever
 * attach mode saw it. Also the collapse view's table line (kht_collapse_text)
 * and the helpers the rules read it with: the range's start, the data map.
 */
#include <stdio.h>
#include <string.h>
#include "event_kind.h"
#include "../tracefile_decode.h"
#include "../json.h"

static bool result_is(const struct kht_enum *results, int result, const char *name)
{
	long long v;

	return results && kht_enum_value(results, name, &v) && v == result;
}

bool kht_collapse_start(const struct kht_collapse *ev, const struct kht_enum *results,
			unsigned long long *start, bool *exact)
{
	/* Results only reached after the scan loop ran to start + HPAGE_PMD_NR. */
	static const char *const after_loop[] = {
		"SCAN_SUCCEED", "SCAN_PTE_MAPPED_HUGEPAGE", "SCAN_PAGE_FILLED",
		"SCAN_COPY_MC", "SCAN_EXCEED_NONE_PTE",
	};
	unsigned long long idx = ev->end_index;

	*exact = false;
	if (ev->flags & KHT_F_HAVE_START) {
		*start = ev->start_index;
		*exact = true;
		return true;
	}
	if (!(ev->flags & KHT_F_HAVE_END_INDEX) || !(ev->flags & KHT_F_HAVE_RESULT))
		return false;
	if (result_is(results, ev->result, "SCAN_ALLOC_HUGE_PAGE_FAIL") ||
	    result_is(results, ev->result, "SCAN_CGROUP_CHARGE_FAIL"))
		return false;
	for (size_t i = 0; i < sizeof(after_loop) / sizeof(after_loop[0]); i++) {
		if (result_is(results, ev->result, after_loop[i])) {
			if (idx < KHT_HPAGE_NR || idx % KHT_HPAGE_NR)
				return false;
			*start = idx - KHT_HPAGE_NR;
			return true;
		}
	}
	*start = idx - idx % KHT_HPAGE_NR;
	return true;
}

const char *kht_initiator(const struct kht_collapse *ev)
{
	return ev->flags & KHT_F_KHUGEPAGED ? "khugepaged" : "madvise";
}

bool kht_collapse_page_had_data(const struct kht_collapse *c, unsigned long long page, bool *known)
{
	unsigned long long i = page - c->start_index;
	bool k = (c->flags & KHT_F_HAVE_DATAMAP) && page >= c->start_index && i < KHT_HPAGE_NR;

	if (known)
		*known = k;
	return k && (c->data_map[i / 64] >> (i % 64) & 1);
}

unsigned kht_collapse_data_pages(const struct kht_collapse *c)
{
	unsigned n = 0;

	if (!(c->flags & KHT_F_HAVE_DATAMAP))
		return 0;
	for (int w = 0; w < KHT_DATAMAP_WORDS; w++)
		n += __builtin_popcountll(c->data_map[w]);
	return n;
}

void kht_collapse_data_map_hex(const struct kht_collapse *c, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t j;

	if (!len)
		return;
	for (j = 0; j < KHT_DATAMAP_HEX_LEN && j + 1 < len; j++)
		buf[j] = hex[c->data_map[j / 16] >> (j % 16 * 4) & 0xf];
	buf[j] = '\0';
}

const char *kht_collapse_header(void)
{
	return "TIME(s)      INITIATOR  COMM             PID     DEV      INODE      FILE"
	       "             START      NR   HOLES  RESULT                DUR(us)   WIN   "
	       "MAXHOLD(us) SPINS PUBLISHED";
}

int kht_collapse_text(char *buf, size_t len, const struct kht_collapse *ev, const struct kht_fmt *f)
{
	char res[48], dev[24], start_s[24] = "-", holes[16] = "-", dur[24] = "-", ino[24] = "-";
	char win[16] = "-", hold[24] = "-", spins[16] = "-", pub[16] = "-";
	char comm[KHT_COMM_LEN + 1], name[KHT_NAME_LEN + 1];
	unsigned long long start;
	bool exact;

	kht_cstr(comm, ev->hdr.comm, KHT_COMM_LEN);
	kht_cstr(name, ev->name, KHT_NAME_LEN);
	kht_dev_str(ev->dev, dev, sizeof(dev));
	if (ev->flags & KHT_F_HAVE_INODE)
		snprintf(ino, sizeof(ino), "%llu", ev->ino);
	else
		snprintf(dev, sizeof(dev), "-");
	if (kht_collapse_start(ev, f->results, &start, &exact))
		snprintf(start_s, sizeof(start_s), "%s%llu", exact ? "" : "~", start);
	if (ev->flags & KHT_F_HAVE_HOLES)
		snprintf(holes, sizeof(holes), "%u", ev->nr_none);
	if (ev->flags & KHT_F_HAVE_DURATION)
		snprintf(dur, sizeof(dur), "%.1f", ev->duration_ns / 1e3);
	if (ev->flags & KHT_F_HAVE_RESULT)
		kht_result_name(f->results, ev->result, res, sizeof(res));
	else
		snprintf(res, sizeof(res), "-");
	if (ev->flags & KHT_F_HAVE_WINDOWS) {
		snprintf(win, sizeof(win), "%u", ev->windows);
		snprintf(hold, sizeof(hold), "%.1f", ev->hold_max_ns / 1e3);
		if (!(ev->flags & KHT_F_NO_READERS))	/* else "-": not watched */
			snprintf(spins, sizeof(spins), "%u", ev->retry_readers);
		snprintf(pub, sizeof(pub), "%s", !(ev->flags & KHT_F_PUBLISHED) ? "no" :
			 ev->flags & KHT_F_UPTODATE_AT_PUBLISH ? "uptodate" : "NOT-UPTODATE");
	}
	return snprintf(buf, len, "%-12.6f %-10s %-16s %-7u %-8s %-10s %-16.16s %-10s %-4u %-6s "
			"%-21s %-9s %-5s %-11s %-5s %s",
			kht_rel_s(ev->hdr.ts_ns, f->base_ns), kht_initiator(ev), comm, ev->hdr.pid, dev,
			ino, name[0] ? name : "-", start_s, ev->nr, holes, res, dur, win, hold, spins, pub);
}

int kht_collapse_json(char *buf, size_t len, const struct kht_collapse *ev, const struct kht_fmt *f)
{
	char res[48], dev[24], comm[KHT_COMM_LEN + 1], name[KHT_NAME_LEN + 1];
	unsigned long long start;
	struct kht_buf b;
	bool exact;

	kht_cstr(comm, ev->hdr.comm, KHT_COMM_LEN);
	kht_cstr(name, ev->name, KHT_NAME_LEN);
	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	KHT_JSTR(&b, "event", "collapse");
	KHT_JU64(&b, "ts_ns", ev->hdr.ts_ns);
	kht_json_double(&b, "time_s", kht_rel_s(ev->hdr.ts_ns, f->base_ns));
	KHT_JSTR(&b, "mode", ev->attach < KHT_MODE_MAX ? kht_mode_names[ev->attach] : "?");
	KHT_JSTR(&b, "initiator", kht_initiator(ev));
	KHT_JSTR(&b, "comm", comm);
	KHT_JU64(&b, "pid", ev->hdr.pid);
	KHT_JU64(&b, "tid", ev->hdr.tid);
	if (ev->flags & KHT_F_HAVE_INODE) {
		kht_dev_str(ev->dev, dev, sizeof(dev));
		KHT_JSTR(&b, "dev", dev);
		KHT_JU64(&b, "ino", ev->ino);
		KHT_JSTR(&b, "file", name);
	} else {
		KHT_JNULL(&b, "ino");
	}
	if (kht_collapse_start(ev, f->results, &start, &exact)) {
		KHT_JU64(&b, "start", start);
		kht_json_bool(&b, "start_exact", exact);
	} else {
		KHT_JNULL(&b, "start");
	}
	KHT_JU64(&b, "nr", ev->nr);
	if (ev->flags & KHT_F_HAVE_HOLES)
		KHT_JU64(&b, "holes", ev->nr_none);
	else
		KHT_JNULL(&b, "holes");
	if (ev->flags & KHT_F_HAVE_RESULT) {
		const char *en = kht_result_enum(f->results, ev->result);

		KHT_JSTR(&b, "result", kht_result_name(f->results, ev->result, res, sizeof(res)));
		if (en)
			KHT_JSTR(&b, "result_enum", en);
		else
			KHT_JNULL(&b, "result_enum");
		KHT_JI64(&b, "result_code", ev->result);
	} else {
		KHT_JNULL(&b, "result");
		KHT_JNULL(&b, "result_enum");
	}
	if (ev->flags & KHT_F_HAVE_DURATION)
		KHT_JU64(&b, "duration_ns", ev->duration_ns);
	else
		KHT_JNULL(&b, "duration_ns");
	if (ev->flags & KHT_F_HAVE_ADDR)
		KHT_JU64(&b, "addr", ev->addr);
	if (ev->flags & KHT_F_TP_ARGS_SWAPPED)	/* only then: older output unchanged */
		kht_json_bool(&b, "tp_args_swapped", true);
	if (ev->flags & KHT_F_HAVE_DATAMAP) {
		char map[KHT_DATAMAP_HEX_LEN + 1];

		KHT_JU64(&b, "data_pages", kht_collapse_data_pages(ev));
		if (ev->flags & KHT_F_DATAMAP_PENDING)
			kht_json_bool(&b, "data_map_pending", true);
		kht_collapse_data_map_hex(ev, map, sizeof(map));
		KHT_JSTR(&b, "data_map", map);
	}
	if (ev->flags & KHT_F_HAVE_WINDOWS) {
		KHT_JU64(&b, "windows", ev->windows);
		KHT_JU64(&b, "hold_total_ns", ev->hold_total_ns);
		KHT_JU64(&b, "hold_max_ns", ev->hold_max_ns);
		kht_json_bool(&b, "published", ev->flags & KHT_F_PUBLISHED);
		if (ev->flags & KHT_F_PUBLISHED) {
			KHT_JU64(&b, "publish_ns", ev->publish_ns);
			kht_json_bool(&b, "uptodate_at_publish", ev->flags & KHT_F_UPTODATE_AT_PUBLISH);
			kht_json_bool(&b, "kept", ev->flags & KHT_F_NEW_AT_END);
		}
		KHT_JU64(&b, "last_window_begin_ns", ev->last_win_begin_ns);
		KHT_JU64(&b, "last_window_end_ns", ev->last_win_end_ns);
		if (!(ev->flags & KHT_F_NO_READERS)) {	/* readers watched (--spins) */
			KHT_JU64(&b, "retry_readers", ev->retry_readers);
			KHT_JU64(&b, "retry_spin_ns", ev->retry_spin_ns);
		}
	}
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}


/* A story's row: the window's begin, its end, or (begin not seen) the whole collapse. */
static int desc(char *buf, size_t len, const void *ev, enum kht_row row, const struct kht_fmt *f)
{
	const struct kht_collapse *c = ev;
	char res[48], holes[24] = "", dur[32] = "", start_s[40] = "pages ?";
	unsigned long long start;
	bool exact;

	if (kht_collapse_start(c, f->results, &start, &exact))
		snprintf(start_s, sizeof(start_s), "pages %s%llu-%llu", exact ? "" : "~", start,
			 start + c->nr - 1);
	if (row == KHT_ROW_BEGIN)
		return snprintf(buf, len, "collapse begin %s [%s, %s]", start_s, kht_initiator(c),
				kht_mode_names[c->attach < KHT_MODE_MAX ? c->attach : 0]);
	if (c->flags & KHT_F_HAVE_HOLES)
		snprintf(holes, sizeof(holes), ", holes %u", c->nr_none);
	if (c->flags & KHT_F_HAVE_DURATION)
		snprintf(dur, sizeof(dur), ", %.1f us", c->duration_ns / 1e3);
	return snprintf(buf, len, "collapse %s%s: %s%s%s%s", row == KHT_ROW_END ? "end   " : "",
			start_s, c->flags & KHT_F_HAVE_RESULT ?
			kht_result_name(f->results, c->result, res, sizeof(res)) : "?",
			holes, dur, row == KHT_ROW_END ? "" :
			" (window not visible in this attach mode)");
}

static int json(char *buf, size_t len, const void *ev, const struct kht_fmt *f)
{
	return kht_collapse_json(buf, len, ev, f);
}

static void span(const void *ev, struct kht_span *s)
{
	const struct kht_collapse *c = ev;
	bool exact = c->flags & KHT_F_HAVE_START;

	s->end_ns = c->hdr.ts_ns;
	s->has_begin = c->flags & KHT_F_HAVE_DURATION;
	s->begin_ns = s->has_begin ? c->start_ns : s->end_ns;
	s->has_file = c->flags & KHT_F_HAVE_INODE;
	s->file = (struct kht_fileref){ .ino = c->ino, .index = c->start_index, .dev = c->dev,
					.gen = c->gen };
	s->name = c->name;
	s->first_page = exact ? c->start_index : 0;
	s->last_page = exact ? c->start_index + (c->nr ? c->nr : KHT_HPAGE_NR) - 1 : ~0ULL;
}

/* Wire order (docs/file-format.md): APPEND ONLY; the explicit pad is not stored. */
static const struct kht_field fields[] = {
	KHT_OP_FIELDS(struct kht_collapse),
	KHT_FI(struct kht_collapse, ino), KHT_FI(struct kht_collapse, start_index),
	KHT_FI(struct kht_collapse, end_index), KHT_FI(struct kht_collapse, addr),
	KHT_FI(struct kht_collapse, mm), KHT_FI(struct kht_collapse, dev),
	KHT_FI(struct kht_collapse, gen), KHT_FS(struct kht_collapse, result),
	KHT_FI(struct kht_collapse, nr), KHT_FI(struct kht_collapse, nr_none),
	KHT_FI(struct kht_collapse, present), KHT_FI(struct kht_collapse, swap),
	KHT_FI(struct kht_collapse, flags), KHT_FI(struct kht_collapse, attach),
	KHT_FB(struct kht_collapse, name),
	/* 1.0, inside collapse_file */
	KHT_FI(struct kht_collapse, windows), KHT_FI(struct kht_collapse, retry_readers),
	KHT_FI(struct kht_collapse, hold_total_ns), KHT_FI(struct kht_collapse, hold_max_ns),
	KHT_FT(struct kht_collapse, publish_ns), KHT_FT(struct kht_collapse, last_win_begin_ns),
	KHT_FT(struct kht_collapse, last_win_end_ns), KHT_FI(struct kht_collapse, retry_spin_ns),
	/* 2.0: the range's data pages at entry (64 bytes; packed: up to the last non-zero one) */
	KHT_FB(struct kht_collapse, data_map),
};

KHT_EVENT_KIND(kht_ev_collapse, KHT_EV_COLLAPSE, "collapse", struct kht_collapse,
	       .window = true, .desc = desc, .json = json, .span = span);
