// SPDX-License-Identifier: GPL-2.0
/*
 * Modifications of a file's pages: hole punches, truncations, writes. They
 * explain holes: a SEEK_HOLE that answers inside a range a collapse just
 * made whole is a kernel bug only if nobody punched, truncated or rewrote
 * the range meanwhile. So the race rules need them, and only for the inodes
 * being collapsed: every probe here leaves at once unless a collapse touched
 * the file's inode within KHT_WATCH_HORIZON_NS (kht_watch.bpf.h).
 *
 * By mode:
 *   fentry/fexit, kprobe/kretprobe  vfs_fallocate (fallocate(2), MADV_REMOVE,
 *                                   loop/nfsd discards), do_truncate
 *                                   (truncate, ftruncate, O_TRUNC) and
 *                                   shmem_write_begin (each chunk of a write
 *                                   into shmem: instant events)
 *   syscalls                        fallocate, ftruncate, pwrite64 and write
 *                                   tracepoints, fd -> file in BPF; truncate(2)
 *                                   by path and MADV_REMOVE are not seen
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "khugetrace.h"
#include "kht_bpf_common.h"
#include "kht_watch.bpf.h"
#include "kht_ident.bpf.h"

#define S_IFMT	00170000
#define S_IFREG	0100000
#define O_APPEND 02000

/* No collapse feature to share the watch with: report every modification. */
const volatile bool watch_all = false;
/*
 * The production profile (where collapse_file's entry and exit are seen):
 * writes and hole fills, the hot ones, only while a collapse of their inode
 * runs. The rules need them only there: a write or fill cannot make a hole,
 * so what they explain is a hole the kernel counted and no longer found
 * between the collapse's entry (its data map) and its decision. Punches,
 * fallocate and truncations stay on the watch's horizon: they make holes a
 * reader may see after the collapse returned. --all-writes: the horizon.
 */
const volatile bool during_collapses_only = false;

/* What an entry probe leaves for its exit probe; op == 0: nothing pending. */
struct mod_pending {
	struct kht_modify ev;
	__u64 file;	/* kprobe / syscalls: the struct file, read again at exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mod_pending);
} mod_slot SEC(".maps");

/* Events held between entry and exit: the exit probes (every write's) leave at 0. */
volatile __u32 mods_pending = 0;

/*
 * Identity of an inode into ev; false unless it is a regular file (that
 * passes --inode). Two copies from one body, as in kht_bpf_common.h: plain
 * loads for BTF pointers, BPF_CORE_READ otherwise.
 */
#define MOD_DEFINE_INODE_IDENT(fn, RD)						\
static __always_inline bool fn(struct inode *inode, struct kht_modify *ev)	\
{										\
	struct super_block *sb;							\
										\
	if (!inode || (RD(inode, i_mode) & S_IFMT) != S_IFREG)			\
		return false;							\
	sb = RD(inode, i_sb);							\
	ev->file.ino = RD(inode, i_ino);					\
	ev->file.dev = RD(sb, s_dev);						\
	if (target_ino && ev->file.ino != target_ino)				\
		return false;							\
	ev->file.gen = RD(inode, i_generation);					\
	ev->flags |= KHT_O_HAVE_INODE;						\
	if (RD(sb, s_magic) == TMPFS_MAGIC)					\
		ev->flags |= KHT_O_SHMEM;					\
	return true;								\
}
MOD_DEFINE_INODE_IDENT(mod_inode_ident, KHT_RD_CORE)
MOD_DEFINE_INODE_IDENT(mod_inode_ident_btf, KHT_RD_BTF)

/* Everything but the identity: task, op and range. */
static __always_inline void mod_fill(struct kht_modify *ev, __u32 op, __u32 fmode,
				     long long offset, long long len, __u32 attach)
{
	kht_fill_hdr(&ev->hdr, KHT_EV_MODIFY, sizeof(*ev));
	ev->start_ns = bpf_ktime_get_ns();
	ev->op = op;
	ev->fmode = fmode;
	ev->offset = offset;
	ev->len = len;
	ev->attach = attach;
	ev->file.index = offset > 0 ? offset >> 12 : 0;
}

static __always_inline bool mod_quiet(void)
{
	return (!watch_all && kht_watch_idle()) || kht_task_filtered();
}

/*
 * Is ev worth an event? hot: a write or fill, which began at since (an
 * instant one: ~0, only a collapse in flight counts).
 */
static __always_inline bool mod_kept(const struct kht_modify *ev, bool hot, __u64 since)
{
	if (watch_all)
		return true;
	if (hot && during_collapses_only)
		return kht_watch_overlaps(ev->file.dev, ev->file.ino, ev->file.gen, since);
	return kht_watching(ev->file.dev, ev->file.ino, ev->file.gen);
}

static __always_inline __u32 falloc_op(int mode)
{
	return mode & KHT_FALLOC_PUNCH_HOLE ? KHT_MOD_PUNCH : KHT_MOD_FALLOCATE;
}

/* An event with no exit to wait for (a write chunk, a fill): sent at once. */
static __always_inline void instant_event(void *ctx, struct kht_modify *ev, __u32 op,
					  long long offset, long long len, __u32 attach)
{
	mod_fill(ev, op, 0, offset, len, attach);
	ev->hdr.ts_ns = ev->start_ns;
	ev->result = op == KHT_MOD_WRITE ? len : 0;
	kht_output(ctx, ev, sizeof(*ev));
}

/* Entry half: keep the event for the exit probe (which knows the result). */
static __always_inline struct mod_pending *mod_hold(struct kht_modify *ev, struct file *file)
{
	struct mod_pending *p = bpf_task_storage_get(&mod_slot, bpf_get_current_task_btf(), 0,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!p)
		return NULL;
	if (!p->ev.op)
		__sync_fetch_and_add(&mods_pending, 1);
	p->ev = *ev;
	p->file = (__u64)file;
	return p;
}

/* Exit half: the pending event of this task, finished and sent. */
static __always_inline void mod_finish(void *ctx, long long ret)
{
	struct mod_pending *p;
	struct kht_modify *ev;

	if (!mods_pending)
		return;
	p = bpf_task_storage_get(&mod_slot, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->ev.op)
		return;
	__sync_fetch_and_add(&mods_pending, -1);
	ev = &p->ev;
	/* decided at exit: a punch already running when a collapse began counts */
	if (!mod_kept(ev, ev->op == KHT_MOD_WRITE, ev->start_ns)) {
		ev->op = 0;
		return;
	}
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->duration_ns = ev->hdr.ts_ns - ev->start_ns;
	ev->result = ret;
	ev->flags |= KHT_O_HAVE_DURATION;
	kht_output(ctx, ev, sizeof(*ev));
	ev->op = 0;
}

static __always_inline void mod_name(struct kht_modify *ev, struct dentry *dentry)
{
	bpf_probe_read_kernel_str(ev->name, sizeof(ev->name), BPF_CORE_READ(dentry, d_name.name));
}

/* The entry half of fallocate and truncate: the event, named, held for the exit. */
static __always_inline void mod_enter(struct kht_modify *ev, __u32 op, __u32 fmode,
				      long long offset, long long len, __u32 attach,
				      struct dentry *dentry, struct file *file)
{
	mod_fill(ev, op, fmode, offset, len, attach);
	mod_name(ev, dentry);
	mod_hold(ev, file);
}

/* ---- fentry/fexit ---- */

SEC("fentry/vfs_fallocate")
int BPF_PROG(falloc_fentry, struct file *file, int mode, loff_t offset, loff_t len)
{
	struct kht_modify ev = {};

	if (!kht_task_filtered() && mod_inode_ident_btf(file->f_inode, &ev))
		mod_enter(&ev, falloc_op(mode), mode, offset, len, KHT_MODE_FENTRY,
			  file->f_path.dentry, file);
	return 0;
}

SEC("fexit/vfs_fallocate")
int BPF_PROG(falloc_fexit, struct file *file, int mode, loff_t offset, loff_t len, long ret)
{
	mod_finish(ctx, ret);
	return 0;
}

/* 6.1 passes a user_namespace first, 6.3+ a mnt_idmap: neither is read. */
SEC("fentry/do_truncate")
int BPF_PROG(trunc_fentry, void *idmap, struct dentry *dentry, loff_t length)
{
	struct kht_modify ev = {};

	if (!kht_task_filtered() && mod_inode_ident_btf(dentry->d_inode, &ev))
		mod_enter(&ev, KHT_MOD_TRUNCATE, 0, length, 0, KHT_MODE_FENTRY, dentry, NULL);
	return 0;
}

SEC("fexit/do_truncate")
int BPF_PROG(trunc_fexit, void *idmap, struct dentry *dentry, loff_t length,
	     unsigned int time_attrs, struct file *filp, int ret)
{
	mod_finish(ctx, ret);
	return 0;
}

/*
 * An event on a mapping's inode, kept only while it is watched, from both
 * attach modes: fentry (BTF loads of mapping->host) and kprobe (CO-RE reads).
 * emit(attach) sends it, with ctx, ev and the arguments in scope. The gate
 * is checked before the event is built: these run on every shmem write
 * chunk and page-cache fill of the system.
 */
#define MOD_GATED_BODY(ident, emit, attach)						\
{											\
	struct kht_modify ev;								\
											\
	if ((during_collapses_only && !kht_any_collapse_since(~0ULL)) || mod_quiet())	\
		return 0;								\
	__builtin_memset(&ev, 0, sizeof(ev));						\
	if ((ident) && mod_kept(&ev, true, ~0ULL))					\
		emit(attach);								\
	return 0;									\
}
#define MOD_MAPPING_PROGS(name, func, emit, args...)					\
SEC("fentry/" #func)									\
int BPF_PROG(name##_fentry, args)							\
MOD_GATED_BODY(mod_inode_ident_btf(mapping->host, &ev), emit, KHT_MODE_FENTRY)		\
SEC("kprobe/" #func)									\
int BPF_KPROBE(name##_kprobe, args)							\
MOD_GATED_BODY(mod_inode_ident(BPF_CORE_READ(mapping, host), &ev), emit, KHT_MODE_KPROBE)

/*
 * One chunk of a write into shmem (generic_perform_write calls it per folio
 * chunk). The first argument is a struct file before 6.17 and a kiocb since:
 * only the mapping, position and length are read, and they have not moved.
 */
#define WRITE_EMIT(attach) instant_event(ctx, &ev, KHT_MOD_WRITE, pos, len, attach)
MOD_MAPPING_PROGS(write, shmem_write_begin, WRITE_EMIT, void *file_or_iocb,
		  struct address_space *mapping, loff_t pos, unsigned int len)

/*
 * A new folio put into the page cache of shmem: a hole filled, by a fault
 * (the guest touching punched memory again), a write, fallocate or
 * UFFDIO_COPY. collapse_file stores its folio itself, so it is not seen here.
 * Arguments (folio, mapping, index, ...) are the same on every kernel we
 * read; the return value's position is not, so the entry alone is kept.
 */
static __always_inline void fill_event(void *ctx, struct kht_modify *ev, __u64 index,
				       struct folio *folio, __u32 attach)
{
	__u64 flags = 0;

	/* the folio's first word is its flags on every version (a struct on 6.18) */
	bpf_probe_read_kernel(&flags, sizeof(flags), folio);
	/* a large folio fills its whole (aligned) range: say the PMD, conservatively */
	bool large = flags & (1ULL << bpf_core_enum_value(enum pageflags, PG_head));
	__u64 first = large ? index & ~(__u64)(KHT_HPAGE_NR - 1) : index;

	instant_event(ctx, ev, KHT_MOD_FILL, first << 12, large ? KHT_HPAGE_NR * 4096 : 4096,
		      attach);
}

#define FILL_EMIT(attach) fill_event(ctx, &ev, index, folio, attach)
MOD_MAPPING_PROGS(fill, shmem_add_to_page_cache, FILL_EMIT, struct folio *folio,
		  struct address_space *mapping, unsigned long index)

/* ---- kprobe/kretprobe ---- */

SEC("kprobe/vfs_fallocate")
int BPF_KPROBE(falloc_kprobe, struct file *file, int mode, loff_t offset, loff_t len)
{
	struct kht_modify ev = {};

	if (!kht_task_filtered() && mod_inode_ident(BPF_CORE_READ(file, f_inode), &ev))
		mod_enter(&ev, falloc_op(mode), mode, offset, len, KHT_MODE_KPROBE,
			  BPF_CORE_READ(file, f_path.dentry), file);
	return 0;
}

SEC("kretprobe/vfs_fallocate")
int BPF_KRETPROBE(falloc_kretprobe, long ret)
{
	mod_finish(ctx, ret);
	return 0;
}

SEC("kprobe/do_truncate")
int BPF_KPROBE(trunc_kprobe, void *idmap, struct dentry *dentry, loff_t length)
{
	struct kht_modify ev = {};

	if (!kht_task_filtered() && mod_inode_ident(BPF_CORE_READ(dentry, d_inode), &ev))
		mod_enter(&ev, KHT_MOD_TRUNCATE, 0, length, 0, KHT_MODE_KPROBE, dentry, NULL);
	return 0;
}

SEC("kretprobe/do_truncate")
int BPF_KRETPROBE(trunc_kretprobe, int ret)
{
	mod_finish(ctx, ret);
	return 0;
}

/* ---- syscall tracepoints (degraded) ---- */

/*
 * The fd's regular file: identity and dentry name into ev. gated: a write,
 * which only matters while watched (it cannot make a hole) and is hot.
 */
static __always_inline struct file *mod_fd(unsigned int fd, struct kht_modify *ev, bool gated)
{
	struct file *file;
	__u16 mode = 0;
	bool shmem;

	if (gated ? mod_quiet() : kht_task_filtered())
		return NULL;
	file = kht_fd_file(fd);
	/* write(2) to a pipe, socket or tty: gone before it takes a cache slot */
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFREG)
		return NULL;
	/* a per-CPU cache of identities (kht_ident.bpf.h): a writer writes one file again and again */
	if (!kht_cached_ident(file, false, &ev->file, ev->name, &shmem, &mode))
		return NULL;
	ev->flags |= KHT_O_HAVE_INODE | (shmem ? KHT_O_SHMEM : 0);
	if (gated && !mod_kept(ev, false, 0))	/* the horizon; the exit decides */
		return NULL;
	return file;
}

/* A call on an fd, held for its exit: fallocate, ftruncate, pwrite64 (gated: a write). */
static __always_inline void mod_sys_enter(struct sys_enter_args *a, __u32 op, __u32 fmode,
					  long long offset, long long len, bool gated)
{
	struct kht_modify ev = {};
	struct file *file = mod_fd(a->args[0], &ev, gated);

	if (file) {
		mod_fill(&ev, op, fmode, offset, len, KHT_MODE_SYSCALLS);
		mod_hold(&ev, file);
	}
}

SEC("tracepoint/syscalls/sys_enter_fallocate")
int falloc_sys_enter(struct sys_enter_args *a)
{
	mod_sys_enter(a, falloc_op(a->args[1]), a->args[1], a->args[2], a->args[3], false);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ftruncate")
int trunc_sys_enter(struct sys_enter_args *a)
{
	mod_sys_enter(a, KHT_MOD_TRUNCATE, 0, a->args[1], 0, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_pwrite64")
int pwrite_sys_enter(struct sys_enter_args *a)
{
	mod_sys_enter(a, KHT_MOD_WRITE, 0, a->args[3], a->args[2], true);
	return 0;
}

/* write(2) writes at f_pos, or at the end with O_APPEND. */
SEC("tracepoint/syscalls/sys_enter_write")
int write_sys_enter(struct sys_enter_args *a)
{
	struct kht_modify ev = {};
	struct file *file = mod_fd(a->args[0], &ev, true);
	long long pos;

	if (!file)
		return 0;
	pos = BPF_CORE_READ(file, f_flags) & O_APPEND ?
	      BPF_CORE_READ(file, f_inode, i_size) : BPF_CORE_READ(file, f_pos);
	mod_fill(&ev, KHT_MOD_WRITE, 0, pos, a->args[2], KHT_MODE_SYSCALLS);
	mod_hold(&ev, file);
	return 0;
}

/* The exits: the pending slot says which call it was. */
#define MOD_SYS_EXIT(prog, call)					\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int prog(struct sys_exit_args *a)					\
{									\
	mod_finish(a, a->ret);						\
	return 0;							\
}
MOD_SYS_EXIT(falloc_sys_exit, fallocate)
MOD_SYS_EXIT(trunc_sys_exit, ftruncate)
MOD_SYS_EXIT(pwrite_sys_exit, pwrite64)
MOD_SYS_EXIT(write_sys_exit, write)

char LICENSE[] SEC("license") = "GPL";
