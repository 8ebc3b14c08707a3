// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd ioctls: registration (with its MISSING/WP/MINOR modes),
 * unregistration, UFFDIO_COPY / ZEROPAGE / CONTINUE / WRITEPROTECT.
 *
 * The ioctl argument is read from user memory at entry (the kernel copies
 * the same bytes), the range's first VMA is resolved to a file page index,
 * and the result (plus copy/continue progress written back to the user
 * struct) is taken at exit. Modes:
 *   fentry/fexit or kprobe/kretprobe  userfaultfd_ioctl (present on every
 *                                     kernel; userfaultfd_register is inlined on 6.1)
 *   syscalls                          sys_enter/exit_ioctl with _IOC_TYPE 0xAA on
 *                                     an fd whose file is "[userfaultfd]"
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "khugetrace.h"
#include "kht_bpf_common.h"

struct inflight {
	struct kht_uffd ev;
	__u64 uarg;	/* user pointer: progress is read back from it at exit */
	__u64 vma_retry;	/* the range's VMA was not found at entry: try again at exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

KHT_ONE_SLOT_MAP(scratch, BPF_MAP_TYPE_PERCPU_ARRAY, struct inflight)

/*
 * userfaultfd ioctls in flight, all tasks (kht_pending_put). In syscalls
 * mode every ioctl in the system reaches on_exit; this lets the others leave
 * before the hash lookup (measured: ~100 ns -> a few ns per ioctl).
 */
volatile __u32 uffd_inflight = 0;

/* The range's file (or anon/hugetlb) into the event; false if not found. */
static __always_inline bool uffd_resolve(struct inflight *in, struct kht_vma_info *vi)
{
	if (!kht_vma_lookup(vi, in->ev.addr))
		return false;
	in->ev.file = vi->ref;
	in->ev.flags |= vi->flags;
	__builtin_memcpy(in->ev.name, vi->name, sizeof(in->ev.name));
	return true;
}

/* The scratch slot, zeroed, as an event of op starting now; NULL if filtered. */
static __always_inline struct inflight *new_uffd(__u32 op, __u32 attach)
{
	struct inflight *in;

	if (kht_task_filtered())
		return NULL;
	in = scratch_slot();
	if (!in)
		return NULL;
	__builtin_memset(in, 0, sizeof(*in));
	kht_fill_hdr(&in->ev.hdr, KHT_EV_UFFD, sizeof(in->ev));
	in->ev.start_ns = bpf_ktime_get_ns();
	in->ev.op = op;
	in->ev.attach = attach;
	return in;
}

/* Byte offset of the progress field (copy.copy, zeropage.zeropage, continue.mapped). */
static __always_inline int out_offset(__u32 op)
{
	switch (op) {
	case KHT_UFFD_COPY: return 32;
	case KHT_UFFD_ZEROPAGE:
	case KHT_UFFD_CONTINUE: return 24;
	}
	return -1;
}

static __always_inline int on_enter(unsigned int cmd, __u64 uarg, __u32 attach)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_vma_info vi = {};
	struct inflight *in;
	__u64 a[5] = {};
	__u32 op = cmd & 0xff;

	if (((cmd >> 8) & 0xff) != KHT_UFFD_IOC_TYPE || op == KHT_UFFD_API)
		return 0;
	in = new_uffd(op, attach);
	if (!in)
		return 0;
	in->uarg = uarg;
	/*
	 * Read only what the op's struct has: the range (16 bytes) always, the
	 * mode word where there is one. UNREGISTER and WAKE are just a range, and
	 * reading past them could cross into an unmapped page.
	 */
	bpf_probe_read_user(a, 16, (void *)uarg);
	in->ev.addr = a[0];
	in->ev.len = a[1];
	switch (op) {
	case KHT_UFFD_COPY:	/* {dst, src, len, mode, copy} */
		bpf_probe_read_user(&a[2], 16, (void *)(uarg + 16));
		in->ev.len = a[2];
		in->ev.uffd_mode = a[3];
		break;
	case KHT_UFFD_REGISTER:
	case KHT_UFFD_ZEROPAGE:
	case KHT_UFFD_WRITEPROTECT:
	case KHT_UFFD_CONTINUE:	/* {range, mode, ...} */
		bpf_probe_read_user(&a[2], 8, (void *)(uarg + 16));
		in->ev.uffd_mode = a[2];
		break;
	}
	if (uffd_resolve(in, &vi)) {
		if (vi.filtered)
			return 0;
	} else {
		/*
		 * bpf_find_vma only try-locks mmap_lock: a thread that maps or
		 * unmaps at that moment makes it fail, and a registration without
		 * its file cannot be matched to the collapses of that file.
		 */
		in->vma_retry = 1;
	}
	kht_pending_put(&inflight, &tid, in, &uffd_inflight);
	return 0;
}

static __always_inline int on_exit(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *in;
	int off;

	if (!uffd_inflight)
		return 0;
	in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return 0;
	if (in->vma_retry) {
		struct kht_vma_info vi = {};
		bool found = uffd_resolve(in, &vi);

		if (target_ino && (!found || vi.filtered)) {
			kht_pending_del(&inflight, &tid, &uffd_inflight);
			return 0;
		}
	}
	in->ev.result = ret;
	in->ev.duration_ns = bpf_ktime_get_ns() - in->ev.start_ns;
	in->ev.flags |= KHT_O_HAVE_DURATION;
	off = out_offset(in->ev.op);
	if (off > 0 && !bpf_probe_read_user(&in->ev.out, sizeof(in->ev.out),
					    (void *)(in->uarg + off)))
		in->ev.flags |= KHT_O_HAVE_OUT;
	in->ev.hdr.ts_ns = bpf_ktime_get_ns();
	kht_output(ctx, &in->ev, sizeof(in->ev));
	kht_pending_del(&inflight, &tid, &uffd_inflight);
	return 0;
}

SEC("fentry/userfaultfd_ioctl")
int BPF_PROG(uffd_fentry, struct file *file, unsigned int cmd, unsigned long arg)
{
	return on_enter(cmd, arg, KHT_MODE_FENTRY);
}

SEC("fexit/userfaultfd_ioctl")
int BPF_PROG(uffd_fexit, struct file *file, unsigned int cmd, unsigned long arg, long ret)
{
	return on_exit(ctx, ret);
}

SEC("kprobe/userfaultfd_ioctl")
int BPF_KPROBE(uffd_kprobe, struct file *file, unsigned int cmd, unsigned long arg)
{
	return on_enter(cmd, arg, KHT_MODE_KPROBE);
}

SEC("kretprobe/userfaultfd_ioctl")
int BPF_KRETPROBE(uffd_kretprobe, long ret)
{
	return on_exit(ctx, ret);
}

/* ---- faults handed to userfaultfd (fentry only: needs a trusted vmf) ---- */

#define KHT_VM_UFFD_MISSING 0x200
#define KHT_VM_UFFD_WP 0x1000

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct kht_uffd);
} faults SEC(".maps");

SEC("fentry/handle_userfault")
int BPF_PROG(fault_fentry, struct vm_fault *vmf, unsigned long reason)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_vma_info vi = {};
	struct inflight *in;

	in = new_uffd(KHT_UFFD_FAULT, KHT_MODE_FENTRY);
	if (!in)
		return 0;
	in->ev.addr = vmf->address & ~4095ULL;
	in->ev.len = 4096;
	/* reason is exactly one VM_UFFD_* bit; MINOR's bit number moves between versions */
	in->ev.uffd_mode = reason == KHT_VM_UFFD_MISSING ? KHT_UFFD_MODE_MISSING :
		      reason == KHT_VM_UFFD_WP ? KHT_UFFD_MODE_WP : KHT_UFFD_MODE_MINOR;
	vi.addr = in->ev.addr;
	kht_vma_cb(NULL, vmf->vma, &vi);
	if (vi.filtered || (target_ino && !(vi.flags & KHT_O_HAVE_INODE)))
		return 0;
	in->ev.file = vi.ref;
	in->ev.flags = vi.flags;
	__builtin_memcpy(in->ev.name, vi.name, sizeof(in->ev.name));
	bpf_map_update_elem(&faults, &tid, &in->ev, BPF_ANY);
	return 0;
}

SEC("fexit/handle_userfault")
int BPF_PROG(fault_fexit, struct vm_fault *vmf, unsigned long reason, unsigned int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_uffd *ev = bpf_map_lookup_elem(&faults, &tid);

	if (!ev)
		return 0;
	ev->result = ret;	/* vm_fault_t bits: VM_FAULT_RETRY when the handler resolved it */
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->duration_ns = ev->hdr.ts_ns - ev->start_ns;	/* how long the task waited */
	ev->flags |= KHT_O_HAVE_DURATION;
	kht_output(ctx, ev, sizeof(*ev));
	bpf_map_delete_elem(&faults, &tid);
	return 0;
}

struct sys_enter_ioctl_args {
	__u64 unused;
	long syscall_nr;
	__u64 fd;
	__u64 cmd;
	__u64 arg;
};

static __always_inline bool is_uffd_file(struct file *file)
{
	static const char want[] = "[userfaultfd]";
	char name[sizeof(want)] = {};
	const unsigned char *dname = BPF_CORE_READ(file, f_path.dentry, d_name.name);

	bpf_probe_read_kernel_str(name, sizeof(name), dname);
	for (int i = 0; i < sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	return true;
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int uffd_sys_enter(struct sys_enter_ioctl_args *args)
{
	struct file *file;

	/* cheap test first: ioctl is hot, userfaultfd ioctls are rare */
	if (((args->cmd >> 8) & 0xff) != KHT_UFFD_IOC_TYPE)
		return 0;
	file = kht_fd_file(args->fd);
	if (!file || !is_uffd_file(file))
		return 0;
	return on_enter(args->cmd, args->arg, KHT_MODE_SYSCALLS);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int uffd_sys_exit(struct sys_exit_args *args)
{
	return on_exit(args, args->ret);
}

char LICENSE[] SEC("license") = "GPL";
