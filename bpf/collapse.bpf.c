// SPDX-License-Identifier: GPL-2.0
/*
 * collapse_file() observation, in every attach mode the kernels give us.
 *
 * Each mode has its own small entry points; they all funnel into the same
 * helpers so that one collapse becomes one struct kht_collapse whatever saw it:
 *
 *   fentry/fexit, kprobe/kretprobe  entry + exit of collapse_file: exact start
 *                                   index, initiator, result, duration
 *   tp_btf / raw_tp                 huge_memory:mm_khugepaged_collapse_file
 *                                   (6.2+), fired at the end: no duration
 *   syscalls                        madvise(MADV_COLLAPSE) enter/exit; the
 *                                   collapse itself via the scan_file tracepoint
 *
 * The huge_memory:mm_khugepaged_scan_file tracepoint (all versions) fires in
 * the same task right after collapse_file returns, with the scan's present
 * and swap counts: when it is attached we hold the event until it fires and
 * fill in the holes (nr_none). The front-end picks the programs to load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "khugetrace.h"
#include "kht_collapse_tp.h"
#include "kht_bpf_common.h"
#include "kht_watch.bpf.h"

#define MADV_COLLAPSE	25
#define HPAGE_PMD_SIZE	(KHT_HPAGE_NR * 4096ULL)
#define PAGE_SHIFT	12

/* scan_file tracepoint attached: complete and emit the event there */
const volatile bool holes_from_scan = false;
/*
 * SCAN_PAGE_DIRTY_OR_WRITEBACK's value in this kernel's enum scan_result, or
 * -1 (before 7.x). On 7.x, MADV_COLLAPSE writes a dirty range back and scans
 * the same PMD once more (collapse_single_pmd): two scan_file events for one
 * PMD. No other result is followed by another scan in the same madvise
 * (madvise_collapse stops on it), so the event after it is that retry.
 */
const volatile int scan_dirty_wb = -1;

struct madv_ctx {
	__u64 start;	/* madvise range, PMD-aligned up */
	__u64 end;
	__u64 since;	/* the next PMD's collapse begins after this time */
	__u32 next;	/* how many scan_file events this call has produced */
	__u32 retry;	/* 7.x: the next scan_file event is the write-back retry of the last PMD */
};

/* tid -> collapse in flight (entry seen, or end seen and waiting for scan_file) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct kht_collapse);
} inflight SEC(".maps");

/* tid -> MADV_COLLAPSE call in progress (syscalls mode) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct madv_ctx);
} madvise_calls SEC(".maps");

/* Scratch space: struct kht_collapse is too big to build on the BPF stack comfortably. */
KHT_ONE_SLOT_MAP(scratch, BPF_MAP_TYPE_PERCPU_ARRAY, struct kht_collapse)

static __always_inline struct kht_collapse *scratch_event(void)
{
	struct kht_collapse *ev = scratch_slot();

	if (ev)
		__builtin_memset(ev, 0, sizeof(*ev));
	return ev;
}

/* Fill inode identity from a struct file *; false if filtered out. */
static __always_inline bool fill_file(struct kht_collapse *ev, struct file *file)
{
	struct kht_fileref ref = {};
	bool shmem;

	if (!kht_file_ident(file, &ref, ev->name, &shmem, NULL))
		return false;
	if (shmem)
		ev->flags |= KHT_F_SHMEM;
	ev->ino = ref.ino;
	ev->dev = ref.dev;
	ev->gen = ref.gen;
	ev->flags |= KHT_F_HAVE_INODE;
	return true;
}

static __always_inline void fill_task(struct kht_collapse *ev)
{
	kht_fill_hdr(&ev->hdr, KHT_EV_COLLAPSE, sizeof(*ev));
}

/* A zeroed collapse event for the current task and file; NULL if filtered. */
static __always_inline struct kht_collapse *new_event(struct file *file)
{
	struct kht_collapse *ev;

	if (kht_task_filtered())
		return NULL;
	ev = scratch_event();
	if (!ev)
		return NULL;
	fill_task(ev);
	return fill_file(ev, file) ? ev : NULL;
}

static __always_inline void emit(void *ctx, struct kht_collapse *ev)
{
	/* end-only modes: the watch for modifications starts here */
	if (ev->flags & KHT_F_HAVE_INODE)
		kht_watch_touch(ev->dev, ev->ino, ev->gen);
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	kht_output(ctx, ev, sizeof(*ev));
}

#include "inside.bpf.h"
#include "datamap.bpf.h"

/* ---- entry + exit modes (fentry/fexit, kprobe/kretprobe) ---------------- */

static __always_inline int on_entry(struct mm_struct *mm, unsigned long addr,
				    struct file *file, unsigned long start,
				    struct collapse_control *cc, __u32 mode)
{
	struct kht_collapse *ev;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	ev = new_event(file);
	if (!ev)
		return 0;
	ev->start_ns = bpf_ktime_get_ns();
	ev->start_index = start;
	ev->addr = addr;
	ev->mm = (__u64)mm;
	ev->nr = KHT_HPAGE_NR;
	ev->attach = mode;
	ev->flags |= KHT_F_HAVE_START | KHT_F_HAVE_ADDR;
	if (BPF_CORE_READ(cc, is_khugepaged))
		ev->flags |= KHT_F_KHUGEPAGED;
	fill_data_map(ev, file, start);
	bpf_map_update_elem(&inflight, &tid, ev, BPF_ANY);
	/* modifications of this inode matter now; seeks and writes while it runs */
	kht_watch_begin(ev->dev, ev->ino, ev->gen);
	inside_enter(file, start, ev);
	return 0;
}

/* Result known: emit now, or leave it for the scan_file tracepoint to finish. */
static __always_inline int finish_or_hold(void *ctx, __u32 tid, struct kht_collapse *ev)
{
	if (holes_from_scan)
		return 0;
	emit(ctx, ev);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

static __always_inline int on_exit(void *ctx, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_collapse *ev = bpf_map_lookup_elem(&inflight, &tid);

	if (!ev)
		return 0;
	ev->result = ret;
	ev->duration_ns = bpf_ktime_get_ns() - ev->start_ns;
	ev->flags |= KHT_F_HAVE_RESULT | KHT_F_HAVE_DURATION;
	kht_watch_end(ev->dev, ev->ino, ev->gen);
	inside_exit(ev);
	return finish_or_hold(ctx, tid, ev);
}

SEC("fentry/collapse_file")
int BPF_PROG(collapse_fentry, struct mm_struct *mm, unsigned long addr,
	     struct file *file, unsigned long start, struct collapse_control *cc)
{
	return on_entry(mm, addr, file, start, cc, KHT_MODE_FENTRY);
}

SEC("fexit/collapse_file")
int BPF_PROG(collapse_fexit, struct mm_struct *mm, unsigned long addr,
	     struct file *file, unsigned long start, struct collapse_control *cc, int ret)
{
	return on_exit(ctx, ret);
}

SEC("kprobe/collapse_file")
int BPF_KPROBE(collapse_kprobe, struct mm_struct *mm, unsigned long addr,
	       struct file *file, unsigned long start, struct collapse_control *cc)
{
	return on_entry(mm, addr, file, start, cc, KHT_MODE_KPROBE);
}

SEC("kretprobe/collapse_file")
int BPF_KRETPROBE(collapse_kretprobe, int ret)
{
	return on_exit(ctx, ret);
}

/* ---- end-only modes: the collapse_file tracepoint (6.2+) ---------------- */

/* MADV_COLLAPSE: the caller's own VMA gives the exact start index. */
static __always_inline void start_from_vma(struct kht_collapse *ev, __u64 addr)
{
	struct kht_vma_info vi = {};

	if (kht_vma_lookup(&vi, addr) && (vi.flags & KHT_O_HAVE_INODE) && vi.ref.ino == ev->ino) {
		ev->start_index = vi.ref.index;
		ev->flags |= KHT_F_HAVE_START;
	}
}

/*
 * TP_PROTO(mm, new_pfn or new_folio, index, addr, is_shmem, file, nr, result):
 * argument 1 changed type across versions; it is not read. Before
 * 37f0b47c5143 (v6.12) addr reached the probe through a bool
 * (include/kht_collapse_tp.h): checked per event, since stable kernels differ.
 */
static __always_inline int on_collapse_tp(void *ctx, __u64 mm, __u64 index, __u64 addr,
					  __u64 is_shmem, struct file *file, int nr,
					  int result, __u32 mode)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	unsigned long long a = addr, s = is_shmem;
	struct kht_collapse *ev;

	ev = new_event(file);
	if (!ev)
		return 0;
	if (kht_collapse_tp_args(&a, &s))
		ev->flags |= KHT_F_TP_ARGS_SWAPPED;
	ev->attach = mode;
	ev->end_index = index;
	ev->mm = mm;
	ev->nr = nr;
	ev->result = result;
	ev->flags |= KHT_F_HAVE_END_INDEX | KHT_F_HAVE_RESULT;
	if (a) {	/* 0: lost to the pre-fix kernel; never a collapse address */
		ev->addr = a;
		ev->flags |= KHT_F_HAVE_ADDR;
	}
	if (s)
		ev->flags |= KHT_F_SHMEM;
	if ((__u64)task->mm != mm)
		/* a kernel thread working on someone else's mm: khugepaged */
		ev->flags |= KHT_F_KHUGEPAGED;
	else if (a)
		start_from_vma(ev, a);
	bpf_map_update_elem(&inflight, &tid, ev, BPF_ANY);
	ev = bpf_map_lookup_elem(&inflight, &tid);
	if (!ev)
		return 0;
	return finish_or_hold(ctx, tid, ev);
}

SEC("tp_btf/mm_khugepaged_collapse_file")
int BPF_PROG(collapse_tp_btf, struct mm_struct *mm, __u64 new, unsigned long index,
	     unsigned long addr, __u64 is_shmem, struct file *file, int nr, int result)
{
	return on_collapse_tp(ctx, (__u64)mm, index, addr, is_shmem, file, nr, result,
			      KHT_MODE_TP_BTF);
}

SEC("raw_tp/mm_khugepaged_collapse_file")
int BPF_PROG(collapse_raw_tp, __u64 mm, __u64 new, __u64 index, __u64 addr,
	     __u64 is_shmem, struct file *file, __u64 nr, __u64 result)
{
	return on_collapse_tp(ctx, mm, index, addr, is_shmem, file, (int)nr,
			      (int)result, KHT_MODE_RAW_TP);
}

/* ---- scan_file tracepoint: holes, and the syscalls mode ----------------- */

/*
 * TP_PROTO(mm, page or pfn, file, present, swap, result). Completes the
 * collapse held in flight; in syscalls mode it is the collapse.
 */
static __always_inline int on_scan_file(void *ctx, __u64 mm, struct file *file,
					int present, int swap, int result)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_collapse *ev = bpf_map_lookup_elem(&inflight, &tid);
	struct madv_ctx *mc;

	if (ev) {
		ev->present = present;
		ev->swap = swap;
		ev->nr_none = KHT_HPAGE_NR - present - swap;
		ev->flags |= KHT_F_HAVE_HOLES;
		emit(ctx, ev);
		bpf_map_delete_elem(&inflight, &tid);
		return 0;
	}
	/* syscalls mode: only MADV_COLLAPSE callers have a madvise context */
	mc = bpf_map_lookup_elem(&madvise_calls, &tid);
	if (!mc)
		return 0;
	ev = new_event(file);
	if (!ev)
		return 0;
	ev->attach = KHT_MODE_SYSCALLS;
	ev->mm = mm;
	/* madvise_collapse walks the range one PMD at a time, in order */
	if (mc->retry && mc->next) {
		ev->addr = mc->start + (__u64)(mc->next - 1) * HPAGE_PMD_SIZE;
		mc->retry = 0;
	} else {
		ev->addr = mc->start + (__u64)mc->next * HPAGE_PMD_SIZE;
		mc->next++;
		mc->retry = scan_dirty_wb >= 0 && result == scan_dirty_wb;
	}
	ev->nr = KHT_HPAGE_NR;
	ev->result = result;
	ev->present = present;
	ev->swap = swap;
	ev->nr_none = KHT_HPAGE_NR - present - swap;
	ev->flags |= KHT_F_HAVE_RESULT | KHT_F_HAVE_HOLES | KHT_F_HAVE_ADDR;
	/* not the entry, but a bound: the rules need to know what preceded it */
	ev->start_ns = mc->since;
	ev->flags |= KHT_F_START_BOUND;
	start_from_vma(ev, ev->addr);
	emit(ctx, ev);
	mc->since = ev->hdr.ts_ns;
	return 0;
}

SEC("tp_btf/mm_khugepaged_scan_file")
int BPF_PROG(scan_file_tp_btf, struct mm_struct *mm, __u64 page, struct file *file,
	     int present, int swap, int result)
{
	return on_scan_file(ctx, (__u64)mm, file, present, swap, result);
}

SEC("raw_tp/mm_khugepaged_scan_file")
int BPF_PROG(scan_file_raw_tp, __u64 mm, __u64 page, struct file *file,
	     __u64 present, __u64 swap, __u64 result)
{
	return on_scan_file(ctx, mm, file, (int)present, (int)swap, (int)result);
}

/* Classic syscall tracepoint layouts: stable ABI, declared here. */
struct sys_enter_madvise_args {
	__u64 unused;
	long syscall_nr;
	__u64 start;
	__u64 len;
	__u64 behavior;
};

SEC("tracepoint/syscalls/sys_enter_madvise")
int madvise_enter(struct sys_enter_madvise_args *args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct madv_ctx mc = {};

	if (args->behavior != MADV_COLLAPSE || kht_task_filtered())
		return 0;
	mc.start = (args->start + HPAGE_PMD_SIZE - 1) & ~(HPAGE_PMD_SIZE - 1);
	mc.end = args->start + args->len;
	mc.since = bpf_ktime_get_ns();
	bpf_map_update_elem(&madvise_calls, &tid, &mc, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int madvise_exit(void *args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&madvise_calls, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
