// SPDX-License-Identifier: GPL-2.0
/*
 * What page-cache readers see: lseek(SEEK_DATA/SEEK_HOLE) and mincore().
 * These are the user-visible windows onto the transient states of a
 * collapse (seed 004: a !uptodate huge folio reads as a hole).
 *
 * Seeks, by mode:
 *   fentry/fexit or kprobe/kretprobe  shmem_file_llseek(file, offset, whence):
 *                                     shmem only, measured inside the kernel;
 *                                     and ext4_llseek (same arguments) where it
 *                                     attaches: 7.x collapses ext4 files too
 *                                     (xfs and others: not traced in these modes)
 *   syscalls                          sys_enter/exit_lseek, fd -> file in BPF,
 *                                     any regular file
 * mincore, by mode: fentry/fexit or ksyscall/kretsyscall on the syscall's
 * function (__x64_sys_mincore: do_mincore is static and inlined), syscall
 * tracepoints otherwise; file-backed ranges only, the resident count read
 * back from the user's vector, bounded to KHT_MINCORE_MAX pages.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "khugetrace.h"
#include "kht_bpf_common.h"
#include "kht_watch.bpf.h"
#include "kht_ident.bpf.h"

/*
 * The production profile (default where the collapse feature sees a
 * collapse begin and end: fentry and kprobe modes): a seek or mincore is
 * recorded only if it overlapped a collapse_file call on its inode. The
 * race rules judge only observations that overlap a collapse of their
 * inode, and a collapse marks its inode at entry and at return
 * (kht_watch_begin/end), so none they need is left out. The others are
 * counted in `not_recorded`. Decided at the exit, never at the entry: a
 * call that was under way when a collapse began must still be seen. The
 * watch maps are the collapse object's (tools/feat_seek.c shares them).
 * --all-seeks: everything.
 */
const volatile bool during_collapses_only = false;

enum { NR_SEEK, NR_MINCORE, NR_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} not_recorded SEC(".maps");

static __always_inline void count_not_recorded(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&not_recorded, &what);

	if (n)
		*n += 1;
}

#define S_IFMT	00170000
#define S_IFREG	0100000

/*
 * What an entry probe leaves for its exit probe. Task-local storage rather
 * than a hash keyed by tid: after a task's first seek the slot is found
 * through the task itself, with no hashing, allocation or delete per call.
 * whence == 0: nothing pending (the entry filtered the call out).
 */
struct seek_pending {
	__u64 start_ns;
	__s64 offset;
	__u64 file;		/* kprobe: the struct file for the return probe */
	__u32 fd;		/* syscalls: resolved at exit */
	__u32 whence;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct seek_pending);
} seek_slot SEC(".maps");

/*
 * fentry mode's faster slot: one per CPU, an inlined lookup where a task
 * storage get costs ~100 instructions (measured: 200 of a seek's ~400).
 * A seek that sleeps (inode_lock) may be resumed on another CPU, and
 * another seek may start on this one meanwhile, so the slot names its
 * owner: a seek that finds it taken keeps its entry in task storage, and
 * an exit that finds neither looks for its entry on the other CPUs
 * (seek_take_elsewhere). Only where the exit sees whence (fexit): a
 * kretprobe or syscall exit cannot tell a seek it must look for from an
 * lseek(SEEK_SET) it must not, so those modes keep task storage alone.
 */
struct seek_cpu {
	__u32 tid;		/* the owner; 0: free */
	__u32 pad;
	struct seek_pending p;
};

KHT_ONE_SLOT_MAP(seek_cpu, BPF_MAP_TYPE_PERCPU_ARRAY, struct seek_cpu)

#define KHT_MAX_CPUS 8192	/* the search stops at the first CPU id past nr_cpu_ids */

static __always_inline bool seek_wanted(int whence)
{
	return (whence == KHT_SEEK_DATA || whence == KHT_SEEK_HOLE) && !kht_task_filtered();
}

static __always_inline void seek_pending_fill(struct seek_pending *p, long long offset, int whence)
{
	p->start_ns = bpf_ktime_get_ns();
	p->offset = offset;
	p->whence = whence;
}

/* Entry half, every mode: only SEEK_DATA/SEEK_HOLE, only what is cheap. */
static __always_inline struct seek_pending *seek_enter(long long offset, int whence)
{
	struct seek_pending *p;

	if (!seek_wanted(whence))
		return NULL;
	p = bpf_task_storage_get(&seek_slot, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (p)
		seek_pending_fill(p, offset, whence);
	return p;
}

/* ... fentry: this CPU's slot when it is free. */
static __always_inline void seek_enter_fast(long long offset, int whence)
{
	struct seek_cpu *c;

	if (!seek_wanted(whence))
		return;
	c = seek_cpu_slot();
	if (c && !c->tid) {
		seek_pending_fill(&c->p, offset, whence);
		c->tid = (__u32)bpf_get_current_pid_tgid();
		return;
	}
	seek_enter(offset, whence);
}

/*
 * Whether a pending entry is to be looked at: copied out if so. A seek that
 * ran while no collapse ran anywhere is counted here, before anything is
 * copied (the production profile's common case: the gate is one inlined
 * array load).
 */
static __always_inline bool seek_pending_keep(const struct seek_pending *p, struct seek_pending *out)
{
	if (during_collapses_only && !kht_any_collapse_since(p->start_ns)) {
		count_not_recorded(NR_SEEK);
		return false;
	}
	*out = *p;
	return true;
}

/* Exit half: this task's pending entry in task storage, consumed. */
static __always_inline bool seek_pending_take(struct seek_pending *out)
{
	struct seek_pending *p = bpf_task_storage_get(&seek_slot, bpf_get_current_task_btf(), 0, 0);
	__u32 whence;

	if (!p || !p->whence)
		return false;
	whence = p->whence;
	p->whence = 0;
	if (!seek_pending_keep(p, out))
		return false;
	out->whence = whence;
	return true;
}

struct seek_search {
	__u32 tid;
	bool found;
	bool keep;
	struct seek_pending *out;
};

static long seek_search_cpu(__u32 cpu, void *ctx)
{
	struct seek_search *s = ctx;
	__u32 zero = 0;
	struct seek_cpu *c = bpf_map_lookup_percpu_elem(&seek_cpu, &zero, cpu);

	if (!c)
		return 1;	/* past the last CPU */
	if (c->tid != s->tid)
		return 0;
	s->found = true;
	s->keep = seek_pending_keep(&c->p, s->out);
	c->tid = 0;
	return 1;
}

/* The entry of a seek resumed on another CPU than it began on (rare). */
static __always_inline bool seek_take_elsewhere(__u32 tid, struct seek_pending *out)
{
	struct seek_search s = { .tid = tid, .out = out };

	bpf_loop(KHT_MAX_CPUS, seek_search_cpu, &s, 0);
	return s.found && s.keep;
}

/* ... fentry: this CPU's slot, task storage, the other CPUs' slots. */
static __always_inline bool seek_take_fast(int whence, struct seek_pending *out)
{
	struct seek_cpu *c;
	bool keep;
	__u32 tid;

	if (!seek_wanted(whence))
		return false;
	tid = (__u32)bpf_get_current_pid_tgid();
	c = seek_cpu_slot();
	if (c && c->tid == tid) {
		keep = seek_pending_keep(&c->p, out);
		c->tid = 0;	/* after the copy: the next seek here may take it */
		return keep;
	}
	return seek_pending_take(out) || seek_take_elsewhere(tid, out);
}

/* The event for a finished seek whose file identity is already in ev. */
static __always_inline void seek_emit(void *ctx, struct seek_pending *p, struct kht_seek *ev,
				      bool shmem, long long ret, __u32 attach)
{
	kht_fill_hdr(&ev->hdr, KHT_EV_SEEK, sizeof(*ev));
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->start_ns = p->start_ns;
	ev->duration_ns = ev->hdr.ts_ns - p->start_ns;
	ev->offset = p->offset;
	ev->result = ret;
	ev->whence = p->whence;
	ev->attach = attach;
	ev->file.index = p->offset >= 0 ? p->offset >> 12 : 0;
	ev->flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION | (shmem ? KHT_O_SHMEM : 0);
	kht_output(ctx, ev, sizeof(*ev));
}

/*
 * Where the exit finds the file: fexit sees the arguments again (a BTF
 * pointer, read inline), a kretprobe gets the one its kprobe kept, the
 * syscall tracepoint only has the fd.
 */
enum seek_src { SEEK_FILE_ARG, SEEK_FILE_KEPT, SEEK_FILE_FD };

/* A finished seek that may overlap a collapse: its file named, recorded or counted. */
static __always_inline void seek_judge(void *ctx, struct seek_pending *p, struct file *file,
				       enum seek_src src, long long ret, __u16 attach,
				       bool regular_only)
{
	struct kht_seek ev = {};
	__u16 mode = 0;
	bool shmem;

	if (src == SEEK_FILE_KEPT)
		file = (struct file *)p->file;
	else if (src == SEEK_FILE_FD)
		file = kht_fd_file(p->fd);
	if (!kht_cached_ident(file, src == SEEK_FILE_ARG, &ev.file, ev.name, &shmem, &mode) ||
	    (regular_only && (mode & S_IFMT) != S_IFREG))
		return;
	if (during_collapses_only &&
	    !kht_watch_overlaps(ev.file.dev, ev.file.ino, ev.file.gen, p->start_ns))
		count_not_recorded(NR_SEEK);
	else
		seek_emit(ctx, p, &ev, shmem, ret, attach);
}

/* The exit every seek hook shares. regular_only: the syscall and a
 * filesystem's own llseek also answer for directories and devices. */
static __always_inline void seek_exit(void *ctx, struct file *file, enum seek_src src,
				      long long ret, __u16 attach, bool regular_only)
{
	struct seek_pending p;

	if (!seek_pending_take(&p))
		return;
	seek_judge(ctx, &p, file, src, ret, attach, regular_only);
}

/* ... fexit (SEEK_FILE_ARG): whence is an argument again. */
static __always_inline void seek_exit_fast(void *ctx, struct file *file, int whence,
					   long long ret, bool regular_only)
{
	struct seek_pending p;

	if (!seek_take_fast(whence, &p))
		return;
	seek_judge(ctx, &p, file, SEEK_FILE_ARG, ret, KHT_MODE_FENTRY, regular_only);
}

static __always_inline void seek_kprobe_enter(struct file *file, long long offset, int whence)
{
	struct seek_pending *p = seek_enter(offset, whence);

	if (p)
		p->file = (__u64)file;
}

SEC("fentry/shmem_file_llseek")
int BPF_PROG(seek_fentry, struct file *file, long long offset, int whence)
{
	seek_enter_fast(offset, whence);
	return 0;
}

SEC("fexit/shmem_file_llseek")
int BPF_PROG(seek_fexit, struct file *file, long long offset, int whence, long long ret)
{
	seek_exit_fast(ctx, file, whence, ret, false);
	return 0;
}

SEC("kprobe/shmem_file_llseek")
int BPF_KPROBE(seek_kprobe, struct file *file, long long offset, int whence)
{
	seek_kprobe_enter(file, offset, whence);
	return 0;
}

SEC("kretprobe/shmem_file_llseek")
int BPF_KRETPROBE(seek_kretprobe, long long ret)
{
	seek_exit(ctx, NULL, SEEK_FILE_KEPT, ret, KHT_MODE_KPROBE, false);
	return 0;
}

/*
 * A filesystem's own llseek (7.x collapses regular ext4 and xfs files): the
 * same four bodies, regular files only. xfs is a module: its programs load
 * only when it is loaded at start (tools/feat_seek.c).
 */
#define SEEK_FS_PROGS(fs, func)								\
SEC("fentry/" #func)									\
int BPF_PROG(seek_##fs##_fentry, struct file *file, long long offset, int whence)	\
{											\
	seek_enter_fast(offset, whence);						\
	return 0;									\
}											\
SEC("fexit/" #func)									\
int BPF_PROG(seek_##fs##_fexit, struct file *file, long long offset, int whence,	\
	     long long ret)								\
{											\
	seek_exit_fast(ctx, file, whence, ret, true);					\
	return 0;									\
}											\
SEC("kprobe/" #func)									\
int BPF_KPROBE(seek_##fs##_kprobe, struct file *file, long long offset, int whence)	\
{											\
	seek_kprobe_enter(file, offset, whence);					\
	return 0;									\
}											\
SEC("kretprobe/" #func)									\
int BPF_KRETPROBE(seek_##fs##_kretprobe, long long ret)				\
{											\
	seek_exit(ctx, NULL, SEEK_FILE_KEPT, ret, KHT_MODE_KPROBE, true);		\
	return 0;									\
}

SEEK_FS_PROGS(ext4, ext4_llseek)
SEEK_FS_PROGS(xfs, xfs_file_llseek)

struct sys_enter_lseek_args {
	__u64 unused;
	long syscall_nr;
	__u64 fd;
	__s64 offset;
	__u64 whence;
};

/* lseek is hot and mostly SEEK_SET/SEEK_CUR: the entry only keeps the fd. */
SEC("tracepoint/syscalls/sys_enter_lseek")
int seek_sys_enter(struct sys_enter_lseek_args *args)
{
	struct seek_pending *p = seek_enter(args->offset, args->whence);

	if (p)
		p->fd = args->fd;
	return 0;
}

/* The fd still names the same file unless another thread raced a close(). */
SEC("tracepoint/syscalls/sys_exit_lseek")
int seek_sys_exit(struct sys_exit_args *args)
{
	seek_exit(args, NULL, SEEK_FILE_FD, args->ret, KHT_MODE_SYSCALLS, true);
	return 0;
}

/* ---- mincore ---- */

struct sys_enter_mincore_args {
	__u64 unused;
	long syscall_nr;
	__u64 start;
	__u64 len;
	__u64 vec;
};

/* Like seek_pending: the call's arguments until its exit. len == 0: none. */
struct mincore_pending {
	__u64 start_ns;
	__u64 addr;
	__u64 len;
	__u64 vec;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mincore_pending);
} mincore_slot SEC(".maps");

static __always_inline int mincore_begin(__u64 start, __u64 len, __u64 vec)
{
	struct mincore_pending *p;

	if (!len || kht_task_filtered())
		return 0;
	p = bpf_task_storage_get(&mincore_slot, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p)
		return 0;
	p->start_ns = bpf_ktime_get_ns();
	p->addr = start;
	p->len = len;
	p->vec = vec;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mincore")
int mincore_enter(struct sys_enter_mincore_args *args)
{
	return mincore_begin(args->start, args->len, args->vec);
}

#define VEC_WORDS 8	/* the vector is read 64 bytes (8 words) at a time */

/* Resident pages among n (<= 8) vector bytes in w: bit 0 of each byte. */
static __always_inline __u32 resident_in_word(__u64 w, __u64 n)
{
	__u64 x = w & 0x0101010101010101ULL;

	if (n < 8)
		x &= (1ULL << (n * 8)) - 1;
	/* the multiply sums the eight 0/1 bytes into the top byte */
	return (x * 0x0101010101010101ULL) >> 56;
}

/*
 * Everything is resolved here, once the call is done: which file backs the
 * range (the VMA is still there: mincore does not unmap), how many of the
 * first KHT_MINCORE_MAX pages the kernel reported resident.
 */
static __always_inline int mincore_end(void *ctx, long ret, __u32 attach)
{
	struct mincore_pending *p = bpf_task_storage_get(&mincore_slot, bpf_get_current_task_btf(), 0, 0);
	struct kht_vma_info vi = {};
	struct kht_mincore ev = {};
	__u64 pages, counted, vec;
	__u64 buf[VEC_WORDS];

	if (!p || !p->len)
		return 0;
	ev.len = p->len;
	p->len = 0;
	if (during_collapses_only && !kht_any_collapse_since(p->start_ns)) {
		count_not_recorded(NR_MINCORE);	/* before the VMA walk */
		return 0;
	}
	/* "mincore on file-backed ranges": anonymous memory is not our story */
	if (!kht_vma_lookup(&vi, p->addr) || vi.filtered || !(vi.flags & KHT_O_HAVE_INODE))
		return 0;
	if (during_collapses_only &&
	    !kht_watch_overlaps(vi.ref.dev, vi.ref.ino, vi.ref.gen, p->start_ns)) {
		count_not_recorded(NR_MINCORE);
		return 0;
	}
	kht_fill_hdr(&ev.hdr, KHT_EV_MINCORE, sizeof(ev));
	ev.start_ns = p->start_ns;
	ev.addr = p->addr;
	ev.file = vi.ref;
	ev.flags = vi.flags;
	ev.attach = attach;
	__builtin_memcpy(ev.name, vi.name, sizeof(ev.name));
	ev.result = ret;
	vec = p->vec;
	pages = (ev.len + 4095) >> 12;
	counted = pages > KHT_MINCORE_MAX ? KHT_MINCORE_MAX : pages;
	if (pages > KHT_MINCORE_MAX)
		ev.flags |= KHT_O_TRUNCATED;
	ev.pages = counted;
	if (ret == 0) {
		for (int c = 0; c < KHT_MINCORE_MAX / sizeof(buf); c++) {
			__u64 base = (__u64)c * sizeof(buf);

			if (base >= counted)
				break;
			if (bpf_probe_read_user(buf, sizeof(buf), (void *)(vec + base)))
				break;
			for (int i = 0; i < VEC_WORDS; i++) {
				__u64 first = base + i * 8;

				if (first >= counted)
					break;
				ev.resident += resident_in_word(buf[i], counted - first);
			}
		}
	}
	ev.hdr.ts_ns = bpf_ktime_get_ns();
	ev.duration_ns = ev.hdr.ts_ns - ev.start_ns;
	ev.flags |= KHT_O_HAVE_DURATION;
	kht_output(ctx, &ev, sizeof(ev));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mincore")
int mincore_exit(struct sys_exit_args *args)
{
	return mincore_end(args, args->ret, KHT_MODE_SYSCALLS);
}

/*
 * fentry/kprobe modes hook the syscall's own function instead of its
 * tracepoints. An attached syscall tracepoint sends every system call of
 * every task through the slow entry path (TIF_SYSCALL_TRACEPOINT), traced or
 * not: in the benchmark that was most of what fentry mode still cost. The
 * wrapper is __x64_sys_mincore(const struct pt_regs *regs), arguments in the
 * user registers it was handed.
 */
SEC("fentry/__x64_sys_mincore")
int BPF_PROG(mincore_fentry, struct pt_regs *regs)
{
	return mincore_begin(regs->di, regs->si, regs->dx);
}

SEC("fexit/__x64_sys_mincore")
int BPF_PROG(mincore_fexit, struct pt_regs *regs, long ret)
{
	return mincore_end(ctx, ret, KHT_MODE_FENTRY);
}

SEC("ksyscall/mincore")
int BPF_KSYSCALL(mincore_ksyscall, unsigned long start, size_t len, unsigned char *vec)
{
	return mincore_begin(start, len, (__u64)vec);
}

SEC("kretsyscall/mincore")
int BPF_KRETPROBE(mincore_kretsyscall, long ret)
{
	return mincore_end(ctx, ret, KHT_MODE_KPROBE);
}

char LICENSE[] SEC("license") = "GPL";
