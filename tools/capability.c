// SPDX-License-Identifier: GPL-2.0
/* Attach-mode probing: one tiny program per hook and method, really attached. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capability.h"

/*
 * Every hook point a feature's modes attach (the reqs tables and the
 * kht_hook_ok() calls of tools/feat_*.c), and nothing else: probe tries each
 * in every method, so a hook nothing attaches would only cost attach trials
 * and print a row that means nothing.
 */
struct kht_hook kht_hooks[] = {
	{ "collapse_file", KHT_HOOK_FUNC, "collapse: entry/exit, exact start, duration" },
	{ "huge_memory:mm_khugepaged_collapse_file", KHT_HOOK_TP, "collapse: end-only (6.2+)" },
	{ "huge_memory:mm_khugepaged_scan_file", KHT_HOOK_TP, "collapse: holes (present/swap)" },
	{ "syscalls:sys_enter_madvise", KHT_HOOK_TP, "collapse: MADV_COLLAPSE callers" },
	{ "syscalls:sys_exit_madvise", KHT_HOOK_TP, "collapse: MADV_COLLAPSE return" },
	{ "userfaultfd_ioctl", KHT_HOOK_FUNC, "uffd: ioctl entry" },
	{ "handle_userfault", KHT_HOOK_FUNC, "uffd: faults handed to userfaultfd" },
	{ "syscalls:sys_enter_ioctl", KHT_HOOK_TP, "uffd: degraded UFFDIO_* decoding" },
	{ "syscalls:sys_exit_ioctl", KHT_HOOK_TP, "uffd: degraded ioctl result" },
	{ "mapping_seek_hole_data", KHT_HOOK_FUNC, "seek: SEEK_DATA/SEEK_HOLE walk" },
	{ "shmem_file_llseek", KHT_HOOK_FUNC, "seek: shmem lseek" },
	{ "ext4_llseek", KHT_HOOK_FUNC, "seek: ext4 lseek (regular-file collapse, 7.x)" },
	{ "xfs_file_llseek", KHT_HOOK_FUNC, "seek: xfs lseek (regular-file collapse, 7.x)",
	  .module = "xfs" },
	{ "syscalls:sys_enter_lseek", KHT_HOOK_TP, "seek: degraded lseek" },
	{ "syscalls:sys_exit_lseek", KHT_HOOK_TP, "seek: degraded lseek result" },
	{ "__x64_sys_mincore", KHT_HOOK_FUNC, "mincore: syscall function (x86_64)" },
	{ "syscalls:sys_enter_mincore", KHT_HOOK_TP, "mincore: range" },
	{ "syscalls:sys_exit_mincore", KHT_HOOK_TP, "mincore: resident pages" },
	{ "filemap_get_entry", KHT_HOOK_FUNC, "retry spins: page-cache lookup" },
	{ "__filemap_get_folio", KHT_HOOK_FUNC, "retry spins: page-cache lookup (6.1, 6.12)" },
	{ "__filemap_get_folio_mpol", KHT_HOOK_FUNC, "retry spins: page-cache lookup (6.19)" },
	{ "_raw_spin_lock_irq", KHT_HOOK_FUNC, "lock windows: i_pages lock" },
	{ "_raw_spin_unlock_irq", KHT_HOOK_FUNC, "lock windows: i_pages unlock" },
	{ "vfs_fallocate", KHT_HOOK_FUNC, "modify: hole punches, fallocate, MADV_REMOVE" },
	{ "do_truncate", KHT_HOOK_FUNC, "modify: truncate, ftruncate" },
	{ "shmem_write_begin", KHT_HOOK_FUNC, "modify: writes into shmem" },
	{ "shmem_add_to_page_cache", KHT_HOOK_FUNC, "modify: holes filled (faults, writes)" },
	{ "syscalls:sys_enter_fallocate", KHT_HOOK_TP, "modify: degraded fallocate" },
	{ "syscalls:sys_exit_fallocate", KHT_HOOK_TP, "modify: degraded fallocate result" },
	{ "syscalls:sys_enter_ftruncate", KHT_HOOK_TP, "modify: degraded ftruncate" },
	{ "syscalls:sys_exit_ftruncate", KHT_HOOK_TP, "modify: degraded ftruncate result" },
	{ "syscalls:sys_enter_pwrite64", KHT_HOOK_TP, "modify: degraded pwrite" },
	{ "syscalls:sys_exit_pwrite64", KHT_HOOK_TP, "modify: degraded pwrite result" },
	{ "syscalls:sys_enter_write", KHT_HOOK_TP, "modify: degraded write" },
	{ "syscalls:sys_exit_write", KHT_HOOK_TP, "modify: degraded write result" },
};
const int kht_nhooks = sizeof(kht_hooks) / sizeof(kht_hooks[0]);

static const char *method_names[KHT_M_MAX] = {
	"fentry", "fexit", "kprobe", "kretprobe", "tp_btf", "raw_tp", "tracepoint",
};

const char *kht_method_name(enum kht_method m)
{
	return m < KHT_M_MAX ? method_names[m] : "none";
}

struct kht_hook *kht_hook_find(const char *name)
{
	for (int i = 0; i < kht_nhooks; i++)
		if (!strcmp(kht_hooks[i].name, name))
			return &kht_hooks[i];
	return NULL;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void kht_env_probe(struct kht_env *env)
{
	static const char *const tracefs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	struct utsname u;

	memset(env, 0, sizeof(*env));
	if (uname(&u) == 0)
		snprintf(env->release, sizeof(env->release), "%s", u.release);
	env->root = geteuid() == 0;
	env->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	env->kprobe_pmu = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
	for (int pass = 0; pass < 2 && !env->tracefs; pass++) {
		for (unsigned i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]); i++) {
			char p[96];

			snprintf(p, sizeof(p), "%s/events", tracefs[i]);
			if (is_dir(p)) {
				env->tracefs = true;
				snprintf(env->tracefs_path, sizeof(env->tracefs_path), "%s", tracefs[i]);
				break;
			}
		}
		/* Not mounted (our Firecracker host boots without it): mount it once. */
		if (!env->tracefs && pass == 0 && env->root)
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	}
}

int kht_tracefs_event_dir(const struct kht_env *env, const char *tp, char *buf, int len)
{
	const char *colon = strchr(tp, ':');

	if (!colon || !env->tracefs)
		return -ENOENT;
	snprintf(buf, len, "%s/events/%.*s/%s", env->tracefs_path, (int)(colon - tp), tp, colon + 1);
	return 0;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load(enum bpf_prog_type type, enum bpf_attach_type at, int btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = at,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, NULL, "GPL", ret0, 2, &opts);

	return fd < 0 ? -errno : fd;
}

/*
 * Attach program fd (or its load error) through BPF_RAW_TRACEPOINT_OPEN:
 * event NULL for a tracing program bound by BTF id, or a raw tracepoint's
 * name; then let both go. 0 or -errno.
 */
static int raw_tp_trial(int fd, const char *event)
{
	int lfd, err;

	if (fd < 0)
		return fd;
	lfd = bpf_raw_tracepoint_open(event, fd);
	err = lfd < 0 ? -errno : 0;
	if (lfd >= 0)
		close(lfd);
	close(fd);
	return err;
}

/* fentry/fexit/tp_btf: a BPF_PROG_TYPE_TRACING program attached by BTF id. */
static int try_tracing(const char *btf_name, enum bpf_attach_type at)
{
	int id = libbpf_find_vmlinux_btf_id(btf_name, at);

	if (id < 0)
		return -ENOENT;
	return raw_tp_trial(load(BPF_PROG_TYPE_TRACING, at, id), NULL);
}

static int perf_attach(int prog_fd, struct perf_event_attr *attr)
{
	int pfd = syscall(__NR_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	int err = 0;

	if (pfd < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0)
		err = -errno;
	close(pfd);
	return err;
}

static struct kht_env probed_env;
static bool have_env;

static int read_int_file(const char *path, long *out)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%ld", out) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int try_kprobe_at(const struct kht_env *env, const char *func, unsigned long off, bool ret)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	long type;
	int fd, err;

	if (!env->kprobe_pmu ||
	    read_int_file("/sys/bus/event_source/devices/kprobe/type", &type))
		return -EOPNOTSUPP;
	fd = load(BPF_PROG_TYPE_KPROBE, 0, 0);
	if (fd < 0)
		return fd;
	attr.type = type;
	attr.config = ret ? 1 : 0;	/* format/retprobe is "config:0" on every kernel */
	attr.config1 = (unsigned long)func;
	attr.config2 = off;
	err = perf_attach(fd, &attr);
	close(fd);
	return err;
}

static int try_kprobe(const struct kht_env *env, const char *func, bool ret)
{
	return try_kprobe_at(env, func, 0, ret);
}

/*
 * A kprobe at func+off: the kernel refuses an offset that is not an
 * instruction boundary of func with EILSEQ (it decodes func from its start).
 */
int kht_kprobe_at_ok(const char *func, unsigned long off)
{
	return have_env ? try_kprobe_at(&probed_env, func, off, false) : -EPERM;
}

static int try_classic_tp(const struct kht_env *env, const char *tp)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .type = PERF_TYPE_TRACEPOINT };
	char dir[256], path[300];
	long id;
	int fd, err;

	if (!env->tracefs)
		return -ENOMEDIUM;	/* not the kernel's fault: say so (kht_hook_ok) */
	if (kht_tracefs_event_dir(env, tp, dir, sizeof(dir)))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/id", dir);
	err = read_int_file(path, &id);
	if (err)
		return err;
	fd = load(BPF_PROG_TYPE_TRACEPOINT, 0, 0);
	if (fd < 0)
		return fd;
	attr.config = id;
	attr.sample_period = 1;
	err = perf_attach(fd, &attr);
	close(fd);
	return err;
}

static int try_raw_tp(const char *event)
{
	return raw_tp_trial(load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0), event);
}

/*
 * A function of a module (xfs): hookable only while the module is loaded,
 * and described by the module's own BTF, not vmlinux's. fentry/fexit are
 * looked up there and not trial-attached (the real attach is the test, as
 * for every fentry in kht_hook_ok); -ENOPKG: the module is not loaded.
 */
static int module_func(const struct kht_env *env, const struct kht_hook *h, enum kht_method m)
{
	struct btf *vmlinux, *mod;
	char path[128];
	int id;

	if (m != KHT_M_FENTRY && m != KHT_M_FEXIT && m != KHT_M_KPROBE && m != KHT_M_KRETPROBE)
		return 1;
	snprintf(path, sizeof(path), "/sys/module/%s", h->module);
	if (access(path, F_OK))
		return -ENOPKG;
	if (m == KHT_M_KPROBE || m == KHT_M_KRETPROBE)
		return try_kprobe(env, h->name, m == KHT_M_KRETPROBE);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return -ENOENT;
	mod = btf__load_module_btf(h->module, vmlinux);
	id = mod ? btf__find_by_name_kind(mod, h->name, BTF_KIND_FUNC) : -ENOENT;
	btf__free(mod);
	btf__free(vmlinux);
	return id > 0 ? 0 : -ENOENT;
}

int kht_probe_method(const struct kht_env *env, struct kht_hook *h, enum kht_method m)
{
	const char *event = strchr(h->name, ':');

	if (h->kind == KHT_HOOK_FUNC && h->module)
		return module_func(env, h, m);
	if (h->kind == KHT_HOOK_FUNC) {
		switch (m) {
		case KHT_M_FENTRY: return try_tracing(h->name, BPF_TRACE_FENTRY);
		case KHT_M_FEXIT: return try_tracing(h->name, BPF_TRACE_FEXIT);
		case KHT_M_KPROBE: return try_kprobe(env, h->name, false);
		case KHT_M_KRETPROBE: return try_kprobe(env, h->name, true);
		default: return 1;
		}
	}
	switch (m) {
	case KHT_M_TP_BTF: return try_tracing(event + 1, BPF_TRACE_RAW_TP);
	case KHT_M_RAW_TP: return try_raw_tp(event + 1);
	case KHT_M_TRACEPOINT: return try_classic_tp(env, h->name);
	default: return 1;
	}
}

void kht_hook_probe(const struct kht_env *env, struct kht_hook *h)
{
	for (int m = 0; m < KHT_M_MAX; m++)
		h->err[m] = kht_probe_method(env, h, m);
	h->probed = true;
}

void kht_capability_init(const struct kht_env *env)
{
	probed_env = *env;
	have_env = true;
}

const struct kht_env *kht_capability_env(void)
{
	return have_env ? &probed_env : NULL;
}

bool kht_hook_ok(const char *name, enum kht_method m, char *why, int len)
{
	struct kht_hook *h = kht_hook_find(name);

	if (!h || !have_env) {
		snprintf(why, len, "%s: unknown hook", name);
		return false;
	}
	/*
	 * Probe only the method asked for, once: attaching and detaching a
	 * kprobe on a hot function just before the real fentry attach left
	 * 6.1's fentry on collapse_file silently dead in our guests. fentry and
	 * fexit are only looked up in BTF here: the real attach that follows
	 * is the test (a failure falls back to the next mode), and every
	 * trial attach costs a round of live text patching.
	 */
	if (!h->probed && !(h->tried & (1u << m))) {
		h->err[m] = (m == KHT_M_FENTRY || m == KHT_M_FEXIT) && !h->module ?
			    (libbpf_find_vmlinux_btf_id(h->name, m == KHT_M_FENTRY ?
							BPF_TRACE_FENTRY : BPF_TRACE_FEXIT) > 0 ?
			     0 : -ENOENT) :
			    kht_probe_method(&probed_env, h, m);
		h->tried |= 1u << m;
	}
	if (h->err[m] == 0)
		return true;
	snprintf(why, len, "%s %s: %s", kht_method_name(m), name,
		 h->err[m] == -ENOENT ? "does not exist on this kernel" :
		 h->err[m] == -ENOPKG ? "is in a module that is not loaded" :
		 h->err[m] == -ENOMEDIUM ? "needs tracefs, which is not mounted and could not be "
					    "mounted" :
		 h->err[m] == 1 ? "not applicable" : strerror(-h->err[m]));
	return false;
}
