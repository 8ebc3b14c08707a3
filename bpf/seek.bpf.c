// SPDX-License-Identifier: GPL-2.0
/*
 * What page-cache readers see: lseek(SEEK_DATA/SEEK_HOLE) and mincore().
 * These are the user-visible windows onto the transient states of a
 * collapse (seed 004: a !uptodate huge folio reads as a hole).
 *
 * Seeks, by mode:
 *   fentry/fexit or kprobe/kretprobe  shmem_file_llseek(file, offset, whence):
 *                                     shmem only, measured inside the kernel
 *   syscalls                          sys_enter/exit_lseek, fd -> file in BPF,
 *                                     any regular file
 * mincore: sys_enter/exit_mincore in every mode (no kernel function is
 * hookable on all our kernels); file-backed ranges only, the resident count
 * read back from the user's vector, bounded to KHT_MINCORE_MAX pages.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "khugetrace.h"
#include "kht_bpf_common.h"

#define S_IFMT	00170000
#define S_IFREG	0100000

struct seek_start {
	struct kht_seek ev;
};

struct mincore_start {
	struct kht_mincore ev;
	__u64 vec;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct kht_seek);
} seeks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct mincore_start);
} mincores SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mincore_start);
} scratch SEC(".maps");

static __always_inline int seek_enter(struct file *file, long long offset, int whence,
				      __u32 attach)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_seek ev = {};

	if ((whence != KHT_SEEK_DATA && whence != KHT_SEEK_HOLE) || kht_tgid_filtered())
		return 0;
	if (!kht_file_ident(file, &ev.file, ev.name))
		return 0;
	kht_fill_hdr(&ev.hdr, KHT_EV_SEEK, sizeof(ev));
	ev.start_ns = bpf_ktime_get_ns();
	ev.offset = offset;
	ev.whence = whence;
	ev.attach = attach;
	ev.file.index = offset >= 0 ? offset >> 12 : 0;
	ev.flags = KHT_O_HAVE_INODE;
	if (kht_file_is_shmem(file))
		ev.flags |= KHT_O_SHMEM;
	bpf_map_update_elem(&seeks, &tid, &ev, BPF_ANY);
	return 0;
}

static __always_inline int seek_exit(void *ctx, long long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kht_seek *ev = bpf_map_lookup_elem(&seeks, &tid);

	if (!ev)
		return 0;
	ev->result = ret;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->duration_ns = ev->hdr.ts_ns - ev->start_ns;
	ev->flags |= KHT_O_HAVE_DURATION;
	kht_output(ctx, ev, sizeof(*ev));
	bpf_map_delete_elem(&seeks, &tid);
	return 0;
}

SEC("fentry/shmem_file_llseek")
int BPF_PROG(seek_fentry, struct file *file, long long offset, int whence)
{
	return seek_enter(file, offset, whence, KHT_MODE_FENTRY);
}

SEC("fexit/shmem_file_llseek")
int BPF_PROG(seek_fexit, struct file *file, long long offset, int whence, long long ret)
{
	return seek_exit(ctx, ret);
}

SEC("kprobe/shmem_file_llseek")
int BPF_KPROBE(seek_kprobe, struct file *file, long long offset, int whence)
{
	return seek_enter(file, offset, whence, KHT_MODE_KPROBE);
}

SEC("kretprobe/shmem_file_llseek")
int BPF_KRETPROBE(seek_kretprobe, long long ret)
{
	return seek_exit(ctx, ret);
}

struct sys_enter_lseek_args {
	__u64 unused;
	long syscall_nr;
	__u64 fd;
	__s64 offset;
	__u64 whence;
};

struct sys_exit_args {
	__u64 unused;
	long syscall_nr;
	long ret;
};

SEC("tracepoint/syscalls/sys_enter_lseek")
int seek_sys_enter(struct sys_enter_lseek_args *args)
{
	struct file *file;

	if (args->whence != KHT_SEEK_DATA && args->whence != KHT_SEEK_HOLE)
		return 0;
	file = kht_fd_file(args->fd);
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	return seek_enter(file, args->offset, args->whence, KHT_MODE_SYSCALLS);
}

SEC("tracepoint/syscalls/sys_exit_lseek")
int seek_sys_exit(struct sys_exit_args *args)
{
	return seek_exit(args, args->ret);
}

/* ---- mincore ---- */

struct sys_enter_mincore_args {
	__u64 unused;
	long syscall_nr;
	__u64 start;
	__u64 len;
	__u64 vec;
};

SEC("tracepoint/syscalls/sys_enter_mincore")
int mincore_enter(struct sys_enter_mincore_args *args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct kht_vma_info vi = {};
	struct mincore_start *m;

	if (kht_tgid_filtered())
		return 0;
	m = bpf_map_lookup_elem(&scratch, &zero);
	if (!m || !kht_vma_lookup(&vi, args->start))
		return 0;
	/* "mincore on file-backed ranges": anonymous memory is not our story */
	if (vi.filtered || !(vi.flags & KHT_O_HAVE_INODE))
		return 0;
	__builtin_memset(m, 0, sizeof(*m));
	kht_fill_hdr(&m->ev.hdr, KHT_EV_MINCORE, sizeof(m->ev));
	m->ev.start_ns = bpf_ktime_get_ns();
	m->ev.addr = args->start;
	m->ev.len = args->len;
	m->ev.file = vi.ref;
	m->ev.flags = vi.flags;
	m->ev.attach = KHT_MODE_SYSCALLS;
	__builtin_memcpy(m->ev.name, vi.name, sizeof(m->ev.name));
	m->vec = args->vec;
	bpf_map_update_elem(&mincores, &tid, m, BPF_ANY);
	return 0;
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

SEC("tracepoint/syscalls/sys_exit_mincore")
int mincore_exit(struct sys_exit_args *args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mincore_start *m = bpf_map_lookup_elem(&mincores, &tid);
	__u64 pages, counted;
	__u64 buf[VEC_WORDS];

	if (!m)
		return 0;
	m->ev.result = args->ret;
	pages = (m->ev.len + 4095) >> 12;
	counted = pages > KHT_MINCORE_MAX ? KHT_MINCORE_MAX : pages;
	if (pages > KHT_MINCORE_MAX)
		m->ev.flags |= KHT_O_TRUNCATED;
	m->ev.pages = counted;
	if (args->ret == 0) {
		for (int c = 0; c < KHT_MINCORE_MAX / sizeof(buf); c++) {
			__u64 base = (__u64)c * sizeof(buf);

			if (base >= counted)
				break;
			if (bpf_probe_read_user(buf, sizeof(buf), (void *)(m->vec + base)))
				break;
			for (int i = 0; i < VEC_WORDS; i++) {
				__u64 first = base + i * 8;

				if (first >= counted)
					break;
				m->ev.resident += resident_in_word(buf[i], counted - first);
			}
		}
	}
	m->ev.hdr.ts_ns = bpf_ktime_get_ns();
	m->ev.duration_ns = m->ev.hdr.ts_ns - m->ev.start_ns;
	m->ev.flags |= KHT_O_HAVE_DURATION;
	kht_output(args, &m->ev, sizeof(m->ev));
	bpf_map_delete_elem(&mincores, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
