// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event_fmt.h"
#include "events/event_kind.h"
#include "json.h"

const char *const kht_mode_names[KHT_MODE_MAX] = {
	[KHT_MODE_NONE] = "none",
	[KHT_MODE_FENTRY] = "fentry",
	[KHT_MODE_KPROBE] = "kprobe",
	[KHT_MODE_TP_BTF] = "tp_btf",
	[KHT_MODE_RAW_TP] = "raw_tp",
	[KHT_MODE_SYSCALLS] = "syscalls",
};

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

/*
 * The strings the kernel prints for enum scan_result: the SCAN_STATUS table
 * of include/trace/events/huge_memory.h (__print_symbolic in the
 * mm_khugepaged_* tracepoints, what `perf script` shows), keyed by enum name
 * because the numbers move between versions. The union over the kernels we
 * know (6.1 .. 6.18); names not listed (a newer kernel's) fall back to the
 * lower-cased name without SCAN_.
 */
static const struct { const char *name, *printed; } scan_status[] = {
	{ "SCAN_FAIL", "failed" },
	{ "SCAN_SUCCEED", "succeeded" },
	{ "SCAN_PMD_NULL", "pmd_null" },
	{ "SCAN_PMD_NONE", "pmd_none" },
	{ "SCAN_PMD_MAPPED", "page_pmd_mapped" },
	{ "SCAN_EXCEED_NONE_PTE", "exceed_none_pte" },
	{ "SCAN_EXCEED_SWAP_PTE", "exceed_swap_pte" },
	{ "SCAN_EXCEED_SHARED_PTE", "exceed_shared_pte" },
	{ "SCAN_PTE_NON_PRESENT", "pte_non_present" },
	{ "SCAN_PTE_UFFD_WP", "pte_uffd_wp" },
	{ "SCAN_PTE_MAPPED_HUGEPAGE", "pte_mapped_hugepage" },
	{ "SCAN_PAGE_RO", "no_writable_page" },
	{ "SCAN_LACK_REFERENCED_PAGE", "lack_referenced_page" },
	{ "SCAN_PAGE_NULL", "page_null" },
	{ "SCAN_SCAN_ABORT", "scan_aborted" },
	{ "SCAN_PAGE_COUNT", "not_suitable_page_count" },
	{ "SCAN_PAGE_LRU", "page_not_in_lru" },
	{ "SCAN_PAGE_LOCK", "page_locked" },
	{ "SCAN_PAGE_ANON", "page_not_anon" },
	{ "SCAN_PAGE_COMPOUND", "page_compound" },
	{ "SCAN_ANY_PROCESS", "no_process_for_page" },
	{ "SCAN_VMA_NULL", "vma_null" },
	{ "SCAN_VMA_CHECK", "vma_check_failed" },
	{ "SCAN_ADDRESS_RANGE", "not_suitable_address_range" },
	{ "SCAN_SWAP_CACHE_PAGE", "page_swap_cache" },
	{ "SCAN_DEL_PAGE_LRU", "could_not_delete_page_from_lru" },
	{ "SCAN_ALLOC_HUGE_PAGE_FAIL", "alloc_huge_page_failed" },
	{ "SCAN_CGROUP_CHARGE_FAIL", "ccgroup_charge_failed" },	/* sic, as the kernel prints it */
	{ "SCAN_TRUNCATED", "truncated" },
	{ "SCAN_PAGE_HAS_PRIVATE", "page_has_private" },
	{ "SCAN_STORE_FAILED", "store_failed" },
	{ "SCAN_COPY_MC", "copy_poisoned_page" },
	{ "SCAN_PAGE_FILLED", "page_filled" },
};

const char *kht_result_printed(const char *enum_name, char *buf, int len)
{
	for (size_t i = 0; i < sizeof(scan_status) / sizeof(scan_status[0]); i++)
		if (!strcmp(scan_status[i].name, enum_name)) {
			snprintf(buf, len, "%s", scan_status[i].printed);
			return buf;
		}
	kht_enum_short(enum_name, "SCAN_", buf, len);
	return buf;
}

const char *kht_result_enum(const struct kht_enum *results, int result)
{
	return results ? kht_enum_name(results, result) : NULL;
}

const char *kht_result_name(const struct kht_enum *results, int result, char *buf, int len)
{
	const char *n = kht_result_enum(results, result);

	if (!n)
		snprintf(buf, len, "result_%d", result);
	else
		kht_result_printed(n, buf, len);
	return buf;
}

const char *kht_initiator(const struct kht_collapse *ev)
{
	return ev->flags & KHT_F_KHUGEPAGED ? "khugepaged" : "madvise";
}

void kht_dev_str(unsigned int dev, char *buf, int len)
{
	snprintf(buf, len, "%u:%u", dev >> 20, dev & ((1u << 20) - 1));
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

static double rel_s(const struct kht_collapse *ev, const struct kht_fmt *f)
{
	return ev->hdr.ts_ns >= f->base_ns ? (ev->hdr.ts_ns - f->base_ns) / 1e9
					   : -((f->base_ns - ev->hdr.ts_ns) / 1e9);
}

/* Kernel strings may lack a terminator: copy into a terminated buffer. */
static void cstr(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int kht_collapse_text(char *buf, size_t len, const struct kht_collapse *ev, const struct kht_fmt *f)
{
	char res[48], dev[24], start_s[24] = "-", holes[16] = "-", dur[24] = "-", ino[24] = "-";
	char win[16] = "-", hold[24] = "-", spins[16] = "-", pub[16] = "-";
	char comm[KHT_COMM_LEN + 1], name[KHT_NAME_LEN + 1];
	unsigned long long start;
	bool exact;

	cstr(comm, ev->hdr.comm, KHT_COMM_LEN);
	cstr(name, ev->name, KHT_NAME_LEN);
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
		snprintf(spins, sizeof(spins), "%u", ev->retry_readers);
		snprintf(pub, sizeof(pub), "%s", !(ev->flags & KHT_F_PUBLISHED) ? "no" :
			 ev->flags & KHT_F_UPTODATE_AT_PUBLISH ? "uptodate" : "NOT-UPTODATE");
	}
	return snprintf(buf, len, "%-12.6f %-10s %-16s %-7u %-8s %-10s %-16.16s %-10s %-4u %-6s "
			"%-21s %-9s %-5s %-11s %-5s %s",
			rel_s(ev, f), kht_initiator(ev), comm, ev->hdr.pid, dev, ino,
			name[0] ? name : "-", start_s, ev->nr, holes, res, dur, win, hold, spins, pub);
}

int kht_collapse_json(char *buf, size_t len, const struct kht_collapse *ev, const struct kht_fmt *f)
{
	char res[48], dev[24], comm[KHT_COMM_LEN + 1], name[KHT_NAME_LEN + 1];
	unsigned long long start;
	struct kht_buf b;
	bool exact;

	cstr(comm, ev->hdr.comm, KHT_COMM_LEN);
	cstr(name, ev->name, KHT_NAME_LEN);
	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	kht_json_str(&b, "event", "collapse");
	kht_json_u64(&b, "ts_ns", ev->hdr.ts_ns);
	kht_json_double(&b, "time_s", rel_s(ev, f));
	kht_json_str(&b, "mode", ev->mode < KHT_MODE_MAX ? kht_mode_names[ev->mode] : "?");
	kht_json_str(&b, "initiator", kht_initiator(ev));
	kht_json_str(&b, "comm", comm);
	kht_json_u64(&b, "pid", ev->hdr.pid);
	kht_json_u64(&b, "tid", ev->hdr.tid);
	if (ev->flags & KHT_F_HAVE_INODE) {
		kht_dev_str(ev->dev, dev, sizeof(dev));
		kht_json_str(&b, "dev", dev);
		kht_json_u64(&b, "ino", ev->ino);
		kht_json_str(&b, "file", name);
	} else {
		kht_json_null(&b, "ino");
	}
	if (kht_collapse_start(ev, f->results, &start, &exact)) {
		kht_json_u64(&b, "start", start);
		kht_json_bool(&b, "start_exact", exact);
	} else {
		kht_json_null(&b, "start");
	}
	kht_json_u64(&b, "nr", ev->nr);
	if (ev->flags & KHT_F_HAVE_HOLES)
		kht_json_u64(&b, "holes", ev->nr_none);
	else
		kht_json_null(&b, "holes");
	if (ev->flags & KHT_F_HAVE_RESULT) {
		const char *en = kht_result_enum(f->results, ev->result);

		kht_json_str(&b, "result", kht_result_name(f->results, ev->result, res, sizeof(res)));
		if (en)
			kht_json_str(&b, "result_enum", en);
		else
			kht_json_null(&b, "result_enum");
		kht_json_i64(&b, "result_code", ev->result);
	} else {
		kht_json_null(&b, "result");
		kht_json_null(&b, "result_enum");
	}
	if (ev->flags & KHT_F_HAVE_DURATION)
		kht_json_u64(&b, "duration_ns", ev->duration_ns);
	else
		kht_json_null(&b, "duration_ns");
	if (ev->flags & KHT_F_HAVE_ADDR)
		kht_json_u64(&b, "addr", ev->addr);
	if (ev->flags & KHT_F_TP_ARGS_SWAPPED)	/* only then: older output unchanged */
		kht_json_bool(&b, "tp_args_swapped", true);
	if (ev->flags & KHT_F_HAVE_DATAMAP) {
		char map[KHT_DATAMAP_HEX_LEN + 1];

		kht_json_u64(&b, "data_pages", kht_collapse_data_pages(ev));
		if (ev->flags & KHT_F_DATAMAP_PENDING)
			kht_json_bool(&b, "data_map_pending", true);
		kht_collapse_data_map_hex(ev, map, sizeof(map));
		kht_json_str(&b, "data_map", map);
	}
	if (ev->flags & KHT_F_HAVE_WINDOWS) {
		kht_json_u64(&b, "windows", ev->windows);
		kht_json_u64(&b, "hold_total_ns", ev->hold_total_ns);
		kht_json_u64(&b, "hold_max_ns", ev->hold_max_ns);
		kht_json_bool(&b, "published", ev->flags & KHT_F_PUBLISHED);
		if (ev->flags & KHT_F_PUBLISHED) {
			kht_json_u64(&b, "publish_ns", ev->publish_ns);
			kht_json_bool(&b, "uptodate_at_publish", ev->flags & KHT_F_UPTODATE_AT_PUBLISH);
			kht_json_bool(&b, "kept", ev->flags & KHT_F_NEW_AT_END);
		}
		kht_json_u64(&b, "last_window_begin_ns", ev->last_win_begin_ns);
		kht_json_u64(&b, "last_window_end_ns", ev->last_win_end_ns);
		kht_json_u64(&b, "retry_readers", ev->retry_readers);
		kht_json_u64(&b, "retry_spin_ns", ev->retry_spin_ns);
	}
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

void kht_summary_add(struct kht_summary *s, const struct kht_collapse *ev)
{
	int r = ev->flags & KHT_F_HAVE_RESULT ? ev->result : -1;
	int i;

	s->total++;
	if (ev->flags & KHT_F_TP_ARGS_SWAPPED)
		s->tp_args_swapped++;
	for (i = 0; i < s->n; i++)
		if (s->result[i] == r)
			break;
	if (i == s->n) {
		if (s->n == KHT_ENUM_MAX)
			return;
		s->result[s->n++] = r;
	}
	s->count[i]++;
}

static void sorted(const struct kht_summary *s, int *order)
{
	for (int i = 0; i < s->n; i++)
		order[i] = i;
	for (int i = 1; i < s->n; i++)
		for (int j = i; j > 0 && s->count[order[j]] > s->count[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

int kht_summary_text(char *buf, size_t len, const struct kht_summary *s, const struct kht_fmt *f)
{
	int order[KHT_ENUM_MAX];
	struct kht_buf b;
	char res[48];

	kht_buf_init(&b, buf, len);
	kht_buf_printf(&b, "%llu collapse%s", s->total, s->total == 1 ? "" : "s");
	sorted(s, order);
	for (int i = 0; i < s->n; i++) {
		int k = order[i];

		kht_buf_printf(&b, "\n  %-24s %llu",
			       s->result[k] < 0 ? "unknown" :
			       kht_result_name(f->results, s->result[k], res, sizeof(res)),
			       s->count[k]);
	}
	if (s->tp_args_swapped)
		kht_buf_printf(&b, "\n%s (%llu event%s)", KHT_TP_ARGS_SWAPPED_NOTE,
			       s->tp_args_swapped, s->tp_args_swapped == 1 ? "" : "s");
	return b.overflow ? -1 : (int)b.len;
}

int kht_summary_json(char *buf, size_t len, const struct kht_summary *s, const struct kht_fmt *f,
		     unsigned long long drops)
{
	int order[KHT_ENUM_MAX];
	struct kht_buf b;
	char res[48];

	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	kht_json_str(&b, "event", "summary");
	kht_json_u64(&b, "collapses", s->total);
	kht_json_u64(&b, "drops", drops);
	if (s->tp_args_swapped)
		kht_json_u64(&b, "tp_args_swapped", s->tp_args_swapped);
	kht_json_key(&b, "results");
	kht_json_begin(&b);
	sorted(s, order);
	for (int i = 0; i < s->n; i++) {
		int k = order[i];

		kht_json_u64(&b, s->result[k] < 0 ? "unknown" :
			     kht_result_name(f->results, s->result[k], res, sizeof(res)),
			     s->count[k]);
	}
	kht_json_end(&b);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

/* ---- userfaultfd, seek and mincore events ---- */

const char *kht_uffd_op_name(unsigned op)
{
	switch (op) {
	case KHT_UFFD_REGISTER: return "register";
	case KHT_UFFD_UNREGISTER: return "unregister";
	case KHT_UFFD_WAKE: return "wake";
	case KHT_UFFD_COPY: return "copy";
	case KHT_UFFD_ZEROPAGE: return "zeropage";
	case KHT_UFFD_MOVE: return "move";
	case KHT_UFFD_WRITEPROTECT: return "writeprotect";
	case KHT_UFFD_CONTINUE: return "continue";
	case KHT_UFFD_POISON: return "poison";
	case KHT_UFFD_FAULT: return "fault";
	}
	return "ioctl";
}

/* Only SEEK_DATA/SEEK_HOLE are traced; anything else is a damaged event, shown as such. */
const char *kht_whence_name(unsigned whence)
{
	switch (whence) {
	case KHT_SEEK_DATA: return "SEEK_DATA";
	case KHT_SEEK_HOLE: return "SEEK_HOLE";
	}
	return "whence?";
}

void kht_uffd_mode_str(unsigned long long mode, char *buf, int len)
{
	static const char *const names[] = { "MISSING", "WP", "MINOR" };
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	for (int i = 0; i < 3; i++)
		if (mode & (1ULL << i))
			kht_buf_printf(&b, "%s%s", b.len ? "+" : "", names[i]);
	if (mode >> 3)
		kht_buf_printf(&b, "%s0x%llx", b.len ? "+" : "", mode & ~7ULL);
	if (!b.len)
		kht_buf_printf(&b, "-");
}

void kht_ret_str(long long ret, char *buf, int len)
{
	static const struct { int e; const char *n; } names[] = {
		{ 1, "EPERM" }, { 2, "ENOENT" }, { 4, "EINTR" }, { 6, "ENXIO" }, { 11, "EAGAIN" },
		{ 12, "ENOMEM" }, { 14, "EFAULT" }, { 16, "EBUSY" }, { 17, "EEXIST" },
		{ 22, "EINVAL" }, { 38, "ENOSYS" }, { 95, "EOPNOTSUPP" }, { 3, "ESRCH" },
	};

	if (ret >= 0) {
		snprintf(buf, len, "%lld", ret);
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (-ret == names[i].e) {
			snprintf(buf, len, "-%s", names[i].n);
			return;
		}
	snprintf(buf, len, "%lld", ret);
}

/* "pages 0-511 of 0:39#2" or "anon 0x7f..+2097152" */
static void range_str(struct kht_buf *b, unsigned flags, const struct kht_fileref *f,
		      unsigned long long addr, unsigned long long len)
{
	unsigned long long pages = (len + 4095) >> 12;

	if (flags & KHT_O_HAVE_INODE)
		kht_buf_printf(b, "pages %llu-%llu", f->index, f->index + (pages ? pages - 1 : 0));
	else
		kht_buf_printf(b, "%s 0x%llx+%llu", flags & KHT_O_HUGETLB ? "hugetlb" :
			       flags & KHT_O_ANON ? "anon" : "unresolved", addr, len);
}

int kht_uffd_desc(char *buf, size_t len, const struct kht_uffd *ev)
{
	char mode[48], ret[24], out[24];
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_ret_str(ev->result, ret, sizeof(ret));
	kht_buf_printf(&b, "uffd-%s ", kht_uffd_op_name(ev->op));
	if (ev->op == KHT_UFFD_REGISTER || ev->op == KHT_UFFD_FAULT) {
		kht_uffd_mode_str(ev->mode, mode, sizeof(mode));
		kht_buf_printf(&b, "%s ", mode);
	}
	range_str(&b, ev->flags, &ev->file, ev->addr, ev->len);
	kht_buf_printf(&b, " -> %s", ret);
	if (ev->flags & KHT_O_HAVE_OUT) {
		kht_ret_str(ev->out, out, sizeof(out));
		kht_buf_printf(&b, " (done %s bytes)", out);
	}
	return b.overflow ? -1 : (int)b.len;
}

int kht_seek_desc(char *buf, size_t len, const struct kht_seek *ev)
{
	char ret[24];
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_ret_str(ev->result, ret, sizeof(ret));
	kht_buf_printf(&b, "%s from %lld (page %llu) -> %s",
		       kht_whence_name(ev->whence), ev->offset,
		       ev->file.index, ret);
	if (ev->result >= 0)
		kht_buf_printf(&b, " (page %lld)", ev->result >> 12);
	return b.overflow ? -1 : (int)b.len;
}

int kht_mincore_desc(char *buf, size_t len, const struct kht_mincore *ev)
{
	char ret[24];
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_ret_str(ev->result, ret, sizeof(ret));
	kht_buf_printf(&b, "mincore ");
	range_str(&b, ev->flags, &ev->file, ev->addr, ev->len);
	kht_buf_printf(&b, " -> %s, %u/%u resident%s", ret, ev->resident, ev->pages,
		       ev->flags & KHT_O_TRUNCATED ? " (first pages only)" : "");
	return b.overflow ? -1 : (int)b.len;
}

/* Fields every event shares: type, times, task, attach mode. */
void kht_json_common(struct kht_buf *b, const char *event, const struct kht_hdr *h,
			unsigned attach, const struct kht_fmt *f)
{
	char comm[KHT_COMM_LEN + 1];

	cstr(comm, h->comm, KHT_COMM_LEN);
	kht_json_str(b, "event", event);
	kht_json_u64(b, "ts_ns", h->ts_ns);
	kht_json_double(b, "time_s", h->ts_ns >= f->base_ns ? (h->ts_ns - f->base_ns) / 1e9
							     : -((f->base_ns - h->ts_ns) / 1e9));
	kht_json_str(b, "mode", attach < KHT_MODE_MAX ? kht_mode_names[attach] : "?");
	kht_json_str(b, "comm", comm);
	kht_json_u64(b, "pid", h->pid);
	kht_json_u64(b, "tid", h->tid);
}

void kht_json_file(struct kht_buf *b, unsigned flags, const struct kht_fileref *fr,
		      const char *name)
{
	char dev[24], n[KHT_NAME_LEN + 1];

	if (!(flags & KHT_O_HAVE_INODE)) {
		kht_json_null(b, "ino");
		kht_json_str(b, "memory", flags & KHT_O_HUGETLB ? "hugetlb" :
			     flags & KHT_O_ANON ? "anon" : "unresolved");
		return;
	}
	cstr(n, name, KHT_NAME_LEN);
	kht_dev_str(fr->dev, dev, sizeof(dev));
	kht_json_str(b, "dev", dev);
	kht_json_u64(b, "ino", fr->ino);
	kht_json_u64(b, "gen", fr->gen);
	kht_json_str(b, "file", n);
	kht_json_u64(b, "index", fr->index);
}

void kht_json_duration(struct kht_buf *b, unsigned flags, unsigned long long start,
			  unsigned long long dur)
{
	if (flags & KHT_O_HAVE_DURATION) {
		kht_json_u64(b, "start_ns", start);
		kht_json_u64(b, "duration_ns", dur);
	} else {
		kht_json_null(b, "duration_ns");
	}
}

int kht_uffd_json(char *buf, size_t len, const struct kht_uffd *ev, const struct kht_fmt *f)
{
	char mode[48];
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	kht_json_common(&b, "uffd", &ev->hdr, ev->attach, f);
	kht_json_str(&b, "op", kht_uffd_op_name(ev->op));
	kht_uffd_mode_str(ev->mode, mode, sizeof(mode));
	kht_json_str(&b, "uffd_mode", mode);
	kht_json_u64(&b, "mode_bits", ev->mode);
	kht_json_u64(&b, "addr", ev->addr);
	kht_json_u64(&b, "len", ev->len);
	kht_json_u64(&b, "nr", (ev->len + 4095) >> 12);
	kht_json_file(&b, ev->flags, &ev->file, ev->name);
	kht_json_i64(&b, "ret", ev->result);
	if (ev->flags & KHT_O_HAVE_OUT)
		kht_json_i64(&b, "done", ev->out);
	kht_json_duration(&b, ev->flags, ev->start_ns, ev->duration_ns);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

int kht_seek_json(char *buf, size_t len, const struct kht_seek *ev, const struct kht_fmt *f)
{
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	kht_json_common(&b, "seek", &ev->hdr, ev->attach, f);
	kht_json_str(&b, "whence", kht_whence_name(ev->whence));
	kht_json_i64(&b, "offset", ev->offset);
	kht_json_i64(&b, "ret", ev->result);
	kht_json_file(&b, ev->flags, &ev->file, ev->name);
	kht_json_duration(&b, ev->flags, ev->start_ns, ev->duration_ns);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

int kht_mincore_json(char *buf, size_t len, const struct kht_mincore *ev, const struct kht_fmt *f)
{
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	kht_json_common(&b, "mincore", &ev->hdr, ev->attach, f);
	kht_json_u64(&b, "addr", ev->addr);
	kht_json_u64(&b, "len", ev->len);
	kht_json_u64(&b, "pages", ev->pages);
	kht_json_u64(&b, "resident", ev->resident);
	kht_json_bool(&b, "truncated", ev->flags & KHT_O_TRUNCATED);
	kht_json_i64(&b, "ret", ev->result);
	kht_json_file(&b, ev->flags, &ev->file, ev->name);
	kht_json_duration(&b, ev->flags, ev->start_ns, ev->duration_ns);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

static const char *reader_fn_name(unsigned fn)
{
	switch (fn) {
	case KHT_RD_FILEMAP_GET_ENTRY: return "filemap_get_entry";
	case KHT_RD_FILEMAP_GET_FOLIO: return "__filemap_get_folio";
	case KHT_RD_FILEMAP_GET_FOLIO_MPOL: return "__filemap_get_folio_mpol";
	case KHT_RD_SEEK_HOLE_DATA: return "mapping_seek_hole_data";
	}
	return "reader";
}

int kht_reader_desc(char *buf, size_t len, const struct kht_reader *ev)
{
	return snprintf(buf, len, "reader %s page %llu: %.1f us, %.1f us inside a lock hold "
			"of collapser %u", reader_fn_name(ev->fn), ev->index, ev->duration_ns / 1e3,
			ev->overlap_ns / 1e3, ev->collapser_tid);
}

int kht_reader_json(char *buf, size_t len, const struct kht_reader *ev, const struct kht_fmt *f)
{
	struct kht_buf b;
	char dev[24];

	kht_buf_init(&b, buf, len);
	kht_json_begin(&b);
	kht_json_common(&b, "reader", &ev->hdr, KHT_MODE_FENTRY, f);
	kht_json_str(&b, "function", reader_fn_name(ev->fn));
	kht_dev_str(ev->dev, dev, sizeof(dev));
	kht_json_str(&b, "dev", dev);
	kht_json_u64(&b, "ino", ev->ino);
	kht_json_u64(&b, "gen", ev->gen);
	kht_json_u64(&b, "index", ev->index);
	kht_json_u64(&b, "start_ns", ev->begin_ns);
	kht_json_u64(&b, "duration_ns", ev->duration_ns);
	kht_json_u64(&b, "overlap_ns", ev->overlap_ns);
	kht_json_u64(&b, "collapser_tid", ev->collapser_tid);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

size_t kht_event_size(unsigned type)
{
	switch (type) {
	case KHT_EV_LOCK_WINDOW: return sizeof(struct kht_lock_window);
	case KHT_EV_READER: return sizeof(struct kht_reader);
	case KHT_EV_COLLAPSE: return sizeof(struct kht_collapse);
	case KHT_EV_UFFD: return sizeof(struct kht_uffd);
	case KHT_EV_SEEK: return sizeof(struct kht_seek);
	case KHT_EV_MINCORE: return sizeof(struct kht_mincore);
	}
	return kht_event_kind(type) ? kht_event_kind(type)->size : 0;
}

int kht_event_json(char *buf, size_t len, const struct kht_hdr *h, size_t size,
		   const struct kht_fmt *f)
{
	size_t need = kht_event_size(h->type);

	if (!need || size < need)
		return -1;
	switch (h->type) {
	case KHT_EV_COLLAPSE: return kht_collapse_json(buf, len, (const void *)h, f);
	case KHT_EV_UFFD: return kht_uffd_json(buf, len, (const void *)h, f);
	case KHT_EV_SEEK: return kht_seek_json(buf, len, (const void *)h, f);
	case KHT_EV_MINCORE: return kht_mincore_json(buf, len, (const void *)h, f);
	case KHT_EV_READER: return kht_reader_json(buf, len, (const void *)h, f);
	}
	return kht_event_kind(h->type)->json(buf, len, h, f);
}
