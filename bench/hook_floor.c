// SPDX-License-Identifier: GPL-2.0
/*
 * hook_floor: the same hooks as khugetrace, with empty programs — the floor
 * any tracer of those hooks pays before its programs do anything (the
 * trampoline, the kprobe trap, the tracepoint dispatch). The host's floor is
 * bpftrace with empty bodies (bench/run.sh); the qemu guests have no
 * bpftrace, so this loads "r0 = 0; exit" on each hook with libbpf's
 * low-level API, no object file, no BTF of its own.
 *
 *   hook_floor HOOK...      HOOK: fentry:FUNC  fexit:FUNC  kprobe:FUNC[+OFF]
 *                                 tp_btf:TRACEPOINT
 *
 * A hook that does not attach is named on stderr and skipped (the tracer
 * would not have it either). Prints "hook_floor: N of M hooks attached",
 * then holds them until SIGINT/SIGTERM.
 * Exit: 0, 1 when nothing attached, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static const struct bpf_insn empty[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static struct btf *vmlinux;

/* fentry/fexit/tp_btf: a tracing program bound to a BTF id of vmlinux. */
static int attach_tracing(const char *name, enum bpf_attach_type type)
{
	char tname[256];
	int id, fd;

	if (type == BPF_TRACE_RAW_TP) {
		snprintf(tname, sizeof(tname), "btf_trace_%s", name);
		id = btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF);
	} else {
		id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
	}
	if (id < 0)
		return -ENOENT;
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = type, .attach_btf_id = id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "floor", "GPL", empty, 2, &po);
	if (fd < 0)
		return fd;
	if (type == BPF_TRACE_RAW_TP)
		return bpf_raw_tracepoint_open(NULL, fd) < 0 ? -errno : 0;
	return bpf_link_create(fd, 0, type, NULL) < 0 ? -errno : 0;
}

/* kprobe at FUNC+OFF through the kprobe PMU, as libbpf does on these kernels. */
static int attach_kprobe(const char *spec)
{
	char func[256], *plus;
	unsigned long off = 0;
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type, pfd, fd;
	FILE *f;

	snprintf(func, sizeof(func), "%s", spec);
	plus = strchr(func, '+');
	if (plus) {
		*plus = '\0';
		off = strtoul(plus + 1, NULL, 0);
	}
	f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	if (type < 0)
		return -EINVAL;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "floor", "GPL", empty, 2, NULL);
	if (fd < 0)
		return fd;
	attr.type = type;
	attr.config1 = (unsigned long)func;
	attr.config2 = off;
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0))
		return -errno;
	return 0;
}

static void on_signal(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	int ok = 0;

	if (argc < 2 || !strcmp(argv[1], "-h")) {
		fprintf(stderr, "usage: hook_floor HOOK...  (fentry:F fexit:F kprobe:F[+OFF] tp_btf:TP)\n");
		return 2;
	}
	libbpf_set_print(NULL);
	vmlinux = btf__load_vmlinux_btf();
	for (int i = 1; i < argc; i++) {
		const char *colon = strchr(argv[i], ':');
		int err;

		if (!colon) {
			fprintf(stderr, "hook_floor: '%s' is not KIND:NAME.\n", argv[i]);
			return 2;
		}
		if (!strncmp(argv[i], "kprobe:", 7))
			err = attach_kprobe(colon + 1);
		else if (!vmlinux)
			err = -ENOENT;
		else if (!strncmp(argv[i], "fentry:", 7))
			err = attach_tracing(colon + 1, BPF_TRACE_FENTRY);
		else if (!strncmp(argv[i], "fexit:", 6))
			err = attach_tracing(colon + 1, BPF_TRACE_FEXIT);
		else if (!strncmp(argv[i], "tp_btf:", 7))
			err = attach_tracing(colon + 1, BPF_TRACE_RAW_TP);
		else {
			fprintf(stderr, "hook_floor: unknown kind in '%s'.\n", argv[i]);
			return 2;
		}
		if (err)
			fprintf(stderr, "hook_floor: %s: %s (skipped)\n", argv[i], strerror(-err));
		else
			ok++;
	}
	printf("hook_floor: %d of %d hooks attached\n", ok, argc - 1);
	fflush(stdout);
	if (!ok)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pause();
	return 0;
}
