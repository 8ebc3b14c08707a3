/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every khugetrace BPF program shares: the ring buffer to user space and
 * the per-CPU count of events it could not take. A full ring buffer must never
 * be silent: the front-end reads `drops` and reports it.
 */
#ifndef KHT_BPF_COMMON_H
#define KHT_BPF_COMMON_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* 4 MiB: ~20k collapse events in flight */
} events SEC(".maps");

/* A map of one slot (type ARRAY or PERCPU_ARRAY) and name##_slot(), its value. */
#define KHT_ONE_SLOT_MAP(name, maptype, vtype)				\
struct {								\
	__uint(type, maptype);						\
	__uint(max_entries, 1);						\
	__type(key, __u32);						\
	__type(value, vtype);						\
} name SEC(".maps");							\
static __always_inline vtype *name##_slot(void)				\
{									\
	__u32 zero = 0;							\
									\
	return bpf_map_lookup_elem(&name, &zero);			\
}

KHT_ONE_SLOT_MAP(drops, BPF_MAP_TYPE_PERCPU_ARRAY, __u64)

/* Filters every program honours; set by the front-end before load. */
const volatile __u32 target_tgid = 0;		/* -p */
const volatile __u32 target_tid = 0;		/* -t/--tid */
const volatile __u64 target_cgroup = 0;		/* -G/--cgroup: cgroup v2 id */
const volatile bool filter_comm = false;	/* --comm given */
const volatile char target_comm[KHT_COMM_LEN] = {};
const volatile __u64 target_ino = 0;

#define TMPFS_MAGIC 0x01021994

/* Classic syscall tracepoint layouts (a stable ABI): any call's entry and its exit. */
struct sys_enter_args {
	__u64 unused;
	long syscall_nr;
	__u64 args[6];
};

struct sys_exit_args {
	__u64 unused;
	long syscall_nr;
	long ret;
};

/*
 * The one task filter every entry point calls: -p, --tid, --cgroup, --comm.
 * The cheap ones first; each is a load of a .rodata constant, so the
 * verifier drops the unused branches entirely (dead code after the
 * constants are frozen). bpf_get_current_cgroup_id: 4.18+, every tracing
 * program type; it is the task's own (leaf) cgroup in the v2 hierarchy.
 */
static __always_inline bool kht_task_filtered(void)
{
	/* not asked for without -p/--tid: a helper call the verifier cannot drop */
	if (target_tgid || target_tid) {
		__u64 id = bpf_get_current_pid_tgid();

		if (target_tgid && (id >> 32) != target_tgid)
			return true;
		if (target_tid && (__u32)id != target_tid)
			return true;
	}
	if (target_cgroup && bpf_get_current_cgroup_id() != target_cgroup)
		return true;
	if (filter_comm) {
		char comm[KHT_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
		for (int i = 0; i < KHT_COMM_LEN; i++) {
			if (comm[i] != target_comm[i])
				return true;
			if (!comm[i])
				break;
		}
	}
	return false;
}

static __always_inline void kht_fill_hdr(struct kht_hdr *h, __u32 type, __u32 size)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->size = size;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * dev/ino/generation, dentry name and whether it is shmem, of the inode behind
 * a struct file; its i_mode too when mode is not NULL. Returns false when
 * --inode filters it out.
 *
 * Two copies from one body: RD(p, field) is how a field is read.
 *   kht_file_ident      BPF_CORE_READ, one bpf_probe_read_kernel() per field:
 *                       for pointers the verifier knows nothing about (kprobe
 *                       arguments, a file taken from the fd table)
 *   kht_file_ident_btf  plain loads, which the verifier inlines as fault-safe
 *                       loads: for BTF pointers (fentry/fexit arguments, the
 *                       VMA bpf_find_vma hands its callback). Measured on the
 *                       hot seek path: a helper call per field was most of it.
 */
#define KHT_RD_CORE(p, field) BPF_CORE_READ(p, field)
#define KHT_RD_BTF(p, field) ((p)->field)

#define KHT_DEFINE_FILE_IDENT(fn, RD)							\
static __always_inline bool fn(struct file *file, struct kht_fileref *ref, char *name,	\
			       bool *shmem, __u16 *mode)				\
{											\
	struct inode *inode = RD(file, f_inode);					\
	struct super_block *sb = RD(inode, i_sb);					\
	struct dentry *dentry = RD(file, f_path.dentry);				\
											\
	ref->ino = RD(inode, i_ino);							\
	if (target_ino && ref->ino != target_ino)					\
		return false;								\
	ref->dev = RD(sb, s_dev);							\
	ref->gen = RD(inode, i_generation);						\
	*shmem = RD(sb, s_magic) == TMPFS_MAGIC;					\
	if (mode)									\
		*mode = RD(inode, i_mode);						\
	bpf_probe_read_kernel_str(name, KHT_NAME_LEN, RD(dentry, d_name.name));		\
	return true;									\
}
KHT_DEFINE_FILE_IDENT(kht_file_ident, KHT_RD_CORE)
KHT_DEFINE_FILE_IDENT(kht_file_ident_btf, KHT_RD_BTF)

/*
 * The task's struct file for fd (syscall-tracepoint modes only see fds).
 * task->files->fdt are plain loads through the BTF task pointer; the slot
 * itself is a `struct file **` the verifier treats as a number, so one
 * bpf_probe_read_kernel() remains.
 */
static __always_inline struct file *kht_fd_file(unsigned int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	struct file *file = NULL;

	if (fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/*
 * Per-tid pending entries counted in a global, for exit probes that fire
 * system-wide (every ioctl, every page-cache lookup): they read the count
 * and leave before any hash lookup while nothing is pending. Only a
 * successful insert counts up and only a successful delete counts down; an
 * overwritten entry stays counted, which costs lookups, never an event.
 */
static __always_inline void kht_pending_put(void *map, __u32 *tid, void *val, volatile __u32 *n)
{
	if (!bpf_map_update_elem(map, tid, val, BPF_ANY))
		__sync_fetch_and_add(n, 1);
}

static __always_inline void kht_pending_del(void *map, __u32 *tid, volatile __u32 *n)
{
	if (!bpf_map_delete_elem(map, tid))
		__sync_fetch_and_add(n, -1);
}

/* What backs a user address: file page index and identity, or anon/hugetlb. */
struct kht_vma_info {
	__u64 addr;
	struct kht_fileref ref;
	__u32 flags;	/* KHT_O_* */
	bool found;
	bool filtered;	/* --inode did not match */
	char name[KHT_NAME_LEN];
};

#define KHT_VM_HUGETLB 0x00400000UL

static long kht_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct kht_vma_info *vi = data;
	struct file *file = vma->vm_file;
	bool shmem;

	vi->found = true;
	if (vma->vm_flags & KHT_VM_HUGETLB)
		vi->flags |= KHT_O_HUGETLB;
	if (!file) {
		vi->flags |= KHT_O_ANON;
		return 0;
	}
	vi->ref.index = vma->vm_pgoff + ((vi->addr - vma->vm_start) >> 12);
	if (!kht_file_ident_btf(file, &vi->ref, vi->name, &shmem, NULL)) {
		vi->filtered = true;
		return 0;
	}
	vi->flags |= KHT_O_HAVE_INODE | (shmem ? KHT_O_SHMEM : 0);
	return 0;
}

/* Resolve addr in the current task's mm (false if no VMA or mmap_lock busy). */
static __always_inline bool kht_vma_lookup(struct kht_vma_info *vi, __u64 addr)
{
	vi->addr = addr;
	return bpf_find_vma(bpf_get_current_task_btf(), addr, kht_vma_cb, vi, 0) == 0 && vi->found;
}

/*
 * Wake the reader only once 256 KiB are waiting: a wakeup is an irq_work
 * self-interrupt (a VM exit under a hypervisor), and with the default policy
 * a fast reader is woken for nearly every event — measured as 5x the cost of
 * the program itself. The front-end also drains every 100 ms, so quiet
 * periods still show up within 0.1 s.
 */
#define KHT_WAKEUP_BYTES (256 * 1024)

static __always_inline __u64 kht_wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= KHT_WAKEUP_BYTES ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void kht_count_drops(__u64 k)
{
	__u64 *n = drops_slot();

	if (n)
		*n += k;
}

static __always_inline void kht_count_drop(void)
{
	kht_count_drops(1);
}

static __always_inline void kht_output(void *ctx, void *data, __u64 size)
{
	if (bpf_ringbuf_output(&events, data, size, kht_wakeup_flags()))
		kht_count_drop();
}

/*
 * A record built in the ring buffer itself (every byte of it written),
 * submitted without asking whether to wake the reader: only for events
 * that always come before another that asks (a batch of lock windows
 * before its collapse's event, a few dozen per collapse against the 4 MiB
 * buffer).
 */
static __always_inline void kht_submit_quiet(void *record)
{
	bpf_ringbuf_submit(record, BPF_RB_NO_WAKEUP);
}

#endif /* KHT_BPF_COMMON_H */
