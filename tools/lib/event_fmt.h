/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning struct kht_collapse into what a person (text) or a program (JSON
 * lines) reads, the per-result summary printed on exit, and the pieces every
 * event kind's formatters share (the kinds themselves: tools/lib/events/).
 * No BPF here: the unit tests drive it with synthetic events.
 */
#ifndef KHT_EVENT_FMT_H
#define KHT_EVENT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include "khugetrace.h"
#include "btf_enum.h"

struct kht_buf;

struct kht_fmt {
	const struct kht_enum *results;	/* enum scan_result of the recording kernel */
	unsigned long long base_ns;	/* timestamps print relative to this */
};

/*
 * The range's first page index. Exact when the entry was seen (or the VMA
 * resolved); otherwise derived from the tracepoint's loop index, which is
 * start + 512 when the scan loop completed and the failing index when it
 * stopped inside the range. Returns false when it cannot be known (the
 * allocation failed before the loop: the index is 0 then).
 */
bool kht_collapse_start(const struct kht_collapse *ev, const struct kht_enum *results,
			unsigned long long *start, bool *exact);
/*
 * The result as the kernel's tracepoints print it ("succeeded", "failed",
 * "exceed_none_pte", ...: the SCAN_STATUS table of huge_memory.h, so lines
 * match `perf script`), or "result_N" for a value the table lacks.
 */
const char *kht_result_name(const struct kht_enum *results, int result, char *buf, int len);
/* "SCAN_SUCCEED", or NULL for a value the table lacks (JSON "result_enum"). */
const char *kht_result_enum(const struct kht_enum *results, int result);
/* Enum name -> printed name ("SCAN_CGROUP_CHARGE_FAIL" -> "ccgroup_charge_failed"). */
const char *kht_result_printed(const char *enum_name, char *buf, int len);
/* "khugepaged" or "madvise" */
const char *kht_initiator(const struct kht_collapse *ev);
/* Kernel dev_t (MAJOR<<20|MINOR) to the "maj:min" that stat(1) prints. */
void kht_dev_str(unsigned int dev, char *buf, int len);

/*
 * The data map (KHT_F_HAVE_DATAMAP): which pages of the range held data when
 * collapse_file began. kht_collapse_page_had_data() sets *known (when not
 * NULL) to whether the event can tell for that page — the map is there and
 * the page is inside [start_index, start_index + 512) — and returns false
 * whenever it cannot.
 */
bool kht_collapse_page_had_data(const struct kht_collapse *c, unsigned long long page, bool *known);
/* Pages with data (popcount of the map); 0 without a map. */
unsigned kht_collapse_data_pages(const struct kht_collapse *c);
/*
 * The map as 128 hex digits in page order: digit j covers pages 4j..4j+3,
 * its bit b (value 1 << b) is page 4j + b. "f" = four data pages, "e" = a
 * hole at the first of them. len >= KHT_DATAMAP_HEX_LEN + 1.
 */
#define KHT_DATAMAP_HEX_LEN (KHT_HPAGE_NR / 4)
void kht_collapse_data_map_hex(const struct kht_collapse *c, char *buf, size_t len);

/*
 * Each window of a KHT_WIRE_LOCK_WINDOWS record (struct kht_win_batch, as
 * the BPF programs batch them) as the KHT_EV_LOCK_WINDOW event it stands
 * for, in order: fn's first non-zero return ends the walk and is returned.
 * -EINVAL for a record shorter than its layout or with n outside
 * 1..KHT_WIN_BATCH, before any fn call (the BPF side never sends one).
 */
int kht_win_batch_each(const void *data, size_t size,
		       int (*fn)(void *ctx, const struct kht_lock_window *w), void *ctx);
/* The check kht_win_batch_each makes: size covers the layout, n in 1..KHT_WIN_BATCH. */
bool kht_win_batch_valid(const void *data, size_t size);
/*
 * The same batch in a recording (record type KHT_TF_WIN_BATCH, tracefile.h):
 * packed, and its windows back. Pack: bytes used, -EINVAL for n outside
 * 1..KHT_WIN_BATCH, -ENOSPC when out may be too small (1024 bytes never are).
 * Each: -EINVAL for a payload that does not decode or whose n is outside
 * 1..KHT_WIN_BATCH, before any fn call.
 */
int kht_tf_pack_win_batch(const struct kht_win_batch *b, void *out, unsigned outlen);
int kht_tf_win_batch_each(const void *payload, unsigned len,
			  int (*fn)(void *ctx, const struct kht_lock_window *w), void *ctx);

const char *kht_collapse_header(void);
int kht_collapse_text(char *buf, size_t len, const struct kht_collapse *ev, const struct kht_fmt *f);
int kht_collapse_json(char *buf, size_t len, const struct kht_collapse *ev, const struct kht_fmt *f);

/* KHT_F_TP_ARGS_SWAPPED, said once after the summary (include/kht_collapse_tp.h) */
#define KHT_TP_ARGS_SWAPPED_NOTE "note: tracepoint arguments swapped (pre-37f0b47c5143 kernel), " \
	"corrected: is_shmem recovered; addr lost where the kernel passed it through a bool"

/* Counts per result, for the summary on exit. */
struct kht_summary {
	unsigned long long total;
	int n;
	int result[KHT_ENUM_MAX];
	unsigned long long count[KHT_ENUM_MAX];
	unsigned long long tp_args_swapped;	/* events with KHT_F_TP_ARGS_SWAPPED */
};

void kht_summary_add(struct kht_summary *s, const struct kht_collapse *ev);
/*
 * Sorted by count, descending; one "  NAME  COUNT" line each, then a note if
 * a pre-37f0b47c5143 kernel's tracepoint arguments had to be corrected.
 */
int kht_summary_text(char *buf, size_t len, const struct kht_summary *s, const struct kht_fmt *f);
int kht_summary_json(char *buf, size_t len, const struct kht_summary *s, const struct kht_fmt *f,
		     unsigned long long drops);

extern const char *const kht_mode_names[KHT_MODE_MAX];


/* ---- pieces the event kinds share (tools/lib/events/) ---- */

const char *kht_uffd_op_name(unsigned op);
const char *kht_whence_name(unsigned whence);
/* "MISSING+WP" etc.; "-" for none */
void kht_uffd_mode_str(unsigned long long mode, char *buf, int len);
/* "ok", "-ENXIO", "-EBUSY"... for a kernel return value; numbers unchanged */
void kht_ret_str(long long ret, char *buf, int len);
/* The same, appended to b. */
void kht_buf_ret(struct kht_buf *b, long long ret);
/* Kernel strings may lack a terminator: copy n bytes into dst[n + 1], terminated. */
void kht_cstr(char *dst, const char *src, size_t n);
/* Seconds from base to ts, negative before it (every view's TIME). */
double kht_rel_s(unsigned long long ts, unsigned long long base);

/*
 * Any event by type, through the registry (tools/lib/events/registry.c); -1
 * for unknown or summarised types or a size too small for the type.
 */
int kht_event_json(char *buf, size_t len, const struct kht_hdr *h, size_t size,
		   const struct kht_fmt *f);
/* Pieces every event's JSON shares (event name, time, task; file; duration). */
struct kht_buf;
/* A JSON line in buf begun with the common pieces: {"event":...,"tid":N */
void kht_json_event_begin(struct kht_buf *b, char *buf, size_t len, const char *event,
			  const struct kht_hdr *h, unsigned attach, const struct kht_fmt *f);
void kht_json_common(struct kht_buf *b, const char *event, const struct kht_hdr *h,
		     unsigned attach, const struct kht_fmt *f);
void kht_json_file(struct kht_buf *b, unsigned flags, const struct kht_fileref *fr,
		   const char *name);
void kht_json_duration(struct kht_buf *b, unsigned flags, unsigned long long start,
		       unsigned long long dur);
/* The tail of a file operation's object: file, duration, end; its length or -1 (overflow). */
int kht_json_op_end(struct kht_buf *b, unsigned flags, const struct kht_fileref *fr,
		    const char *name, unsigned long long start, unsigned long long dur);
/* The last page of len bytes from page index (a zero length still touches index). */
static inline unsigned long long kht_last_page(unsigned long long index, unsigned long long len)
{
	unsigned long long pages = (len + 4095) >> 12;

	return index + (pages ? pages - 1 : 0);
}
/* "pages 0-511" of a file-backed range (KHT_O_HAVE_INODE), else "anon 0x7f..+2097152" */
void kht_range_str(struct kht_buf *b, unsigned flags, const struct kht_fileref *f,
		   unsigned long long addr, unsigned long long len);
/* Size of a known event type (its struct), 0 if unknown. */
size_t kht_event_size(unsigned type);

#endif
