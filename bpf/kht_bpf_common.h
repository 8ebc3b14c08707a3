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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Filters every program honours; set by the front-end before load. */
const volatile __u32 target_tgid = 0;
const volatile __u64 target_ino = 0;

#define TMPFS_MAGIC 0x01021994

static __always_inline bool kht_tgid_filtered(void)
{
	return target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid;
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
 * dev/ino/generation and dentry name of an inode behind a struct file.
 * Returns false when --inode filters it out.
 */
static __always_inline bool kht_file_ident(struct file *file, struct kht_fileref *ref, char *name)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	const unsigned char *dname;

	ref->ino = BPF_CORE_READ(inode, i_ino);
	ref->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ref->gen = BPF_CORE_READ(inode, i_generation);
	if (target_ino && ref->ino != target_ino)
		return false;
	dname = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(name, KHT_NAME_LEN, dname);
	return true;
}

static __always_inline bool kht_file_is_shmem(struct file *file)
{
	return BPF_CORE_READ(file, f_inode, i_sb, s_magic) == TMPFS_MAGIC;
}

/* The task's struct file for fd (syscall-tracepoint modes only see fds). */
static __always_inline struct file *kht_fd_file(unsigned int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;

	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
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

	vi->found = true;
	if (vma->vm_flags & KHT_VM_HUGETLB)
		vi->flags |= KHT_O_HUGETLB;
	if (!file) {
		vi->flags |= KHT_O_ANON;
		return 0;
	}
	vi->ref.index = vma->vm_pgoff + ((vi->addr - vma->vm_start) >> 12);
	if (!kht_file_ident(file, &vi->ref, vi->name)) {
		vi->filtered = true;
		return 0;
	}
	vi->flags |= KHT_O_HAVE_INODE;
	if (kht_file_is_shmem(file))
		vi->flags |= KHT_O_SHMEM;
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

static __always_inline void kht_output(void *ctx, void *data, __u64 size)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= KHT_WAKEUP_BYTES ?
		      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&events, data, size, flags)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);

		if (n)
			(*n)++;
	}
}

#endif /* KHT_BPF_COMMON_H */
