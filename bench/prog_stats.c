// SPDX-License-Identifier: GPL-2.0
/*
 * prog_stats: the kernel's run-time accounting of BPF programs, by id, for
 * part 2 of bench/run.sh (what `bpftool prog show id N` prints as run_time_ns
 * and run_cnt, without needing bpftool: it is built statically for the qemu
 * guests too).
 *
 *   prog_stats ID...
 *
 * Output, one line per id: "ID NAME RUN_TIME_NS RUN_CNT". NAME is the
 * program's function name from its BTF when the kernel's copy is cut at
 * BPF_OBJ_NAME_LEN - 1 characters (as bpftool does), else the kernel's name.
 * The counters only move while kernel.bpf_stats_enabled is 1.
 * Exit: 0, 1 when an id cannot be read (gone, or not root), 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* The BTF name of the program's main function, or NULL. */
static const char *btf_name(int fd, const struct bpf_prog_info *info, char *buf, size_t len)
{
	struct bpf_func_info finfo = {};
	struct bpf_prog_info fi = {};
	__u32 fi_len = sizeof(fi);
	const struct btf_type *t;
	const char *name = NULL;
	struct btf *btf;

	if (!info->btf_id || !info->nr_func_info)
		return NULL;
	fi.nr_func_info = 1;
	fi.func_info_rec_size = sizeof(finfo);
	fi.func_info = (__u64)(unsigned long)&finfo;
	if (bpf_obj_get_info_by_fd(fd, &fi, &fi_len))
		return NULL;
	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return NULL;
	t = btf__type_by_id(btf, finfo.type_id);
	if (t) {
		snprintf(buf, len, "%s", btf__name_by_offset(btf, t->name_off));
		name = buf[0] ? buf : NULL;
	}
	btf__free(btf);
	return name;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2 || !strcmp(argv[1], "-h")) {
		fprintf(stderr, "usage: prog_stats ID...\n"
			"prints \"ID NAME RUN_TIME_NS RUN_CNT\" per BPF program id\n");
		return argc < 2 ? 2 : 0;
	}
	libbpf_set_print(NULL);
	for (i = 1; i < argc; i++) {
		struct bpf_prog_info info = {};
		__u32 info_len = sizeof(info);
		char *end, full[128];
		const char *name;
		unsigned long id;
		int fd;

		errno = 0;
		id = strtoul(argv[i], &end, 10);
		if (errno || end == argv[i] || *end || !id || id > 0xffffffffUL) {
			fprintf(stderr, "prog_stats: '%s' is not a program id\n", argv[i]);
			return 2;
		}
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			fprintf(stderr, "prog_stats: program %lu: %s\n", id, strerror(-fd));
			rc = 1;
			continue;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
			fprintf(stderr, "prog_stats: program %lu: info: %s\n", id, strerror(errno));
			close(fd);
			rc = 1;
			continue;
		}
		name = info.name[0] ? info.name : "?";
		if (strlen(info.name) == BPF_OBJ_NAME_LEN - 1)
			name = btf_name(fd, &info, full, sizeof(full)) ?: name;
		printf("%u %s %llu %llu\n", info.id, name, (unsigned long long)info.run_time_ns,
		       (unsigned long long)info.run_cnt);
		close(fd);
	}
	return rc;
}
