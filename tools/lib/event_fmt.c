// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event_fmt.h"
#include "json.h"

const char *const kht_mode_names[KHT_MODE_MAX] = {
	[KHT_MODE_NONE] = "none",
	[KHT_MODE_FENTRY] = "fentry",
	[KHT_MODE_KPROBE] = "kprobe",
	[KHT_MODE_TP_BTF] = "tp_btf",
	[KHT_MODE_RAW_TP] = "raw_tp",
	[KHT_MODE_SYSCALLS] = "syscalls",
};

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

/* Kernel strings may lack a terminator: copy into a terminated buffer. */
void kht_cstr(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

double kht_rel_s(unsigned long long ts, unsigned long long base)
{
	return ts >= base ? (ts - base) / 1e9 : -((base - ts) / 1e9);
}

void kht_dev_str(unsigned int dev, char *buf, int len)
{
	struct kht_buf b;

	/* "%u:%u" without a format to parse: every event's JSON names its device */
	kht_buf_init(&b, buf, len);
	kht_buf_u64(&b, dev >> 20);
	kht_buf_put(&b, ":", 1);
	kht_buf_u64(&b, dev & ((1u << 20) - 1));
	if (b.overflow)
		snprintf(buf, len, "%u:%u", dev >> 20, dev & ((1u << 20) - 1));
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
	KHT_JSTR(&b, "event", "summary");
	KHT_JU64(&b, "collapses", s->total);
	KHT_JU64(&b, "drops", drops);
	if (s->tp_args_swapped)
		KHT_JU64(&b, "tp_args_swapped", s->tp_args_swapped);
	KHT_JKEY(&b, "results");
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

/* ---- pieces the event kinds share (tools/lib/events/) ---- */

void kht_ret_str(long long ret, char *buf, int len)
{
	static const struct { int e; const char *n; } names[] = {
		{ 1, "EPERM" }, { 2, "ENOENT" }, { 4, "EINTR" }, { 6, "ENXIO" }, { 11, "EAGAIN" },
		{ 12, "ENOMEM" }, { 14, "EFAULT" }, { 16, "EBUSY" }, { 17, "EEXIST" },
		{ 22, "EINVAL" }, { 38, "ENOSYS" }, { 95, "EOPNOTSUPP" }, { 3, "ESRCH" },
	};

	if (ret >= 0) {
		struct kht_buf b;

		kht_buf_init(&b, buf, len);
		kht_buf_i64(&b, ret);
		if (b.overflow)
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

void kht_buf_ret(struct kht_buf *b, long long ret)
{
	char s[24];

	kht_ret_str(ret, s, sizeof(s));
	kht_buf_str(b, s);
}

/* "pages 0-511 of 0:39#2" or "anon 0x7f..+2097152" */
void kht_range_str(struct kht_buf *b, unsigned flags, const struct kht_fileref *f,
		      unsigned long long addr, unsigned long long len)
{
	if (flags & KHT_O_HAVE_INODE) {
		kht_buf_str(b, "pages ");
		kht_buf_u64(b, f->index);
		kht_buf_put(b, "-", 1);
		kht_buf_u64(b, kht_last_page(f->index, len));
	} else
		kht_buf_printf(b, "%s 0x%llx+%llu", flags & KHT_O_HUGETLB ? "hugetlb" :
			       flags & KHT_O_ANON ? "anon" : "unresolved", addr, len);
}

/* "mode", "comm", "pid", "tid": after a separator, the first key without one */
static void json_task(struct kht_buf *b, const struct kht_hdr *h, unsigned attach)
{
	char comm[KHT_COMM_LEN + 1];

	kht_cstr(comm, h->comm, KHT_COMM_LEN);
	KHT_JKEY_NOSEP(b, "mode");
	kht_json_strval(b, attach < KHT_MODE_MAX ? kht_mode_names[attach] : "?");
	KHT_JSTR(b, "comm", comm);
	KHT_JU64(b, "pid", h->pid);
	KHT_JU64(b, "tid", h->tid);
}

/*
 * Fields every event shares: type, times, task, attach mode. The task's
 * fields are copied when the previous event's task was the same (one memo
 * a thread: the live timeline formats on a thread of its own).
 */
void kht_json_common(struct kht_buf *b, const char *event, const struct kht_hdr *h,
			unsigned attach, const struct kht_fmt *f)
{
	static __thread struct kht_memo memo;
	struct { unsigned attach, pid, tid; char comm[KHT_COMM_LEN]; } key;
	size_t from;

	KHT_JSTR(b, "event", event);
	KHT_JU64(b, "ts_ns", h->ts_ns);
	KHT_JKEY(b, "time_s");
	kht_buf_rel_s(b, h->ts_ns, f->base_ns, 3, false);	/* "%.3f" of kht_rel_s() */
	kht_json_sep(b);
	memset(&key, 0, sizeof(key));
	key.attach = attach;
	key.pid = h->pid;
	key.tid = h->tid;
	memcpy(key.comm, h->comm, KHT_COMM_LEN);
	if (kht_memo_put(b, &memo, &key, sizeof(key)))
		return;
	from = b->len;
	json_task(b, h, attach);
	kht_memo_keep(&memo, b, from, &key, sizeof(key));
}

void kht_json_event_begin(struct kht_buf *b, char *buf, size_t len, const char *event,
			  const struct kht_hdr *h, unsigned attach, const struct kht_fmt *f)
{
	kht_buf_init(b, buf, len);
	kht_json_begin(b);
	kht_json_common(b, event, h, attach, f);
}

/* "dev", "ino", "gen", "file" of a file: after a separator, the first key without one */
static void json_file_id(struct kht_buf *b, const struct kht_fileref *fr, const char *name)
{
	char n[KHT_NAME_LEN + 1];

	kht_cstr(n, name, KHT_NAME_LEN);
	/* "dev":"MAJOR:MINOR" (kht_dev_str) written in place: digits and ':' need no escaping */
	KHT_JKEY_NOSEP(b, "dev");
	kht_buf_put(b, "\"", 1);
	kht_buf_u64(b, fr->dev >> 20);
	kht_buf_put(b, ":", 1);
	kht_buf_u64(b, fr->dev & ((1u << 20) - 1));
	kht_buf_put(b, "\"", 1);
	KHT_JU64(b, "ino", fr->ino);
	KHT_JU64(b, "gen", fr->gen);
	KHT_JSTR(b, "file", n);
}

/*
 * The file's fields; all but the index are copied when the previous event
 * on this thread named the same file (every event of a timeline story does).
 */
void kht_json_file(struct kht_buf *b, unsigned flags, const struct kht_fileref *fr,
		      const char *name)
{
	static __thread struct kht_memo memo;
	struct { unsigned long long ino; unsigned dev, gen; char name[KHT_NAME_LEN]; } key;
	size_t from;

	if (!(flags & KHT_O_HAVE_INODE)) {
		KHT_JNULL(b, "ino");
		KHT_JSTR(b, "memory", flags & KHT_O_HUGETLB ? "hugetlb" :
			     flags & KHT_O_ANON ? "anon" : "unresolved");
		return;
	}
	kht_json_sep(b);
	memset(&key, 0, sizeof(key));
	key.ino = fr->ino;
	key.dev = fr->dev;
	key.gen = fr->gen;
	memcpy(key.name, name, KHT_NAME_LEN);
	if (!kht_memo_put(b, &memo, &key, sizeof(key))) {
		from = b->len;
		json_file_id(b, fr, name);
		kht_memo_keep(&memo, b, from, &key, sizeof(key));
	}
	KHT_JU64(b, "index", fr->index);
}

void kht_json_duration(struct kht_buf *b, unsigned flags, unsigned long long start,
			  unsigned long long dur)
{
	if (flags & KHT_O_HAVE_DURATION) {
		KHT_JU64(b, "start_ns", start);
		KHT_JU64(b, "duration_ns", dur);
	} else {
		KHT_JNULL(b, "duration_ns");
	}
}

int kht_json_op_end(struct kht_buf *b, unsigned flags, const struct kht_fileref *fr,
		    const char *name, unsigned long long start, unsigned long long dur)
{
	kht_json_file(b, flags, fr, name);
	kht_json_duration(b, flags, start, dur);
	kht_json_end(b);
	return b->overflow ? -1 : (int)b->len;
}
