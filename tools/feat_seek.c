// SPDX-License-Identifier: GPL-2.0
/* The seek/mincore feature: bpf/seek.bpf.c. */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "seek.skel.h"
#include "capability.h"
#include "feature.h"

#define H_LLSEEK "shmem_file_llseek"
/*
 * Optional: regular files of the filesystems 7.x collapses (directories are
 * filtered in BPF). xfs is a module: hooked when it is loaded at start.
 */
#define H_EXT4 "ext4_llseek"
#define H_XFS "xfs_file_llseek"
/*
 * mincore's own function (x86_64 wrapper) where functions can be hooked:
 * its syscall tracepoints would put every syscall on the slow path.
 */
#define H_MINCORE "__x64_sys_mincore"

static bool fs_ok(const char *hook, int mode)
{
	char why[256];

	return mode != KHT_MODE_SYSCALLS &&
	       kht_hook_ok(hook, mode == KHT_MODE_FENTRY ? KHT_M_FENTRY : KHT_M_KPROBE,
			   why, sizeof(why));
}

/* The profile configure() chose (docs/timeline.md "What is recorded"). */
static enum kht_seek_profile profile;

enum kht_seek_profile kht_seek_profile(void) { return profile; }

static const char *profile_str(void)
{
	return profile == KHT_SEEKS_DURING_COLLAPSES ?
	       "; only those that overlapped a collapse of their inode are recorded, the "
	       "others counted (--all-seeks: all)" : "";
}

static const char *limits(int mode)
{
	static char buf[512];
	bool ext4 = fs_ok(H_EXT4, mode), xfs = fs_ok(H_XFS, mode);

	if (mode == KHT_MODE_SYSCALLS) {
		snprintf(buf, sizeof(buf), "lseek syscall tracepoints: any regular file; duration "
			 "includes the syscall%s", profile_str());
		return buf;
	}
	snprintf(buf, sizeof(buf),
		 "shmem_file_llseek%s%s: seeks on %s are not traced (-a syscalls sees them)%s",
		 ext4 ? ", ext4_llseek" : "", xfs ? ", xfs_file_llseek" : "",
		 ext4 && xfs ? "other filesystems (btrfs, ...)" :
		 ext4 ? "other filesystems (xfs when its module is not loaded, btrfs, ...)" :
		 "regular files (ext4, xfs, ...)", profile_str());
	return buf;
}

static void *open_skel(void) { return seek_bpf__open(); }

/*
 * Where the collapse feature sees only ends (tp_btf, raw_tp, syscalls), the
 * seek rule judges no collapse (it needs the collapse's window: races.c
 * skips collapses without a begin), and no other rule reads a seek or a
 * mincore call. Tracing them there would cost every lseek and mincore on
 * the system (320,000 seeks x 376 ns in the host's bench) for the timeline
 * alone, so the production profile leaves the feature out; --all-seeks
 * traces every call.
 */
const char kht_seek_off_why[] = "the collapse mode does not see a collapse begin, so no race "
				 "rule could judge them (--all-seeks traces every call)";

static const char *off(const struct kht_opts *o)
{
	if (o->all_seeks || kht_watch_fd("watched") < 0 || kht_collapse_sees_entry())
		return NULL;
	return kht_seek_off_why;
}

/*
 * The production profile needs the collapse object's watch maps and a mode
 * in which a collapse marks its inode when it begins (end-only modes mark it
 * when it is over: the seeks that overlapped it would be gone; off() leaves
 * the feature out there, but under --all-seeks).
 */
static void configure(void *s, int mode, const struct kht_opts *o)
{
	struct seek_bpf *skel = s;
	int watched = kht_watch_fd("watched"), gate = kht_watch_fd("watch_gate");

	KHT_SET_FILTERS(skel->rodata, o);
	if (o->all_seeks || watched < 0 || gate < 0 || !kht_collapse_sees_entry())
		profile = KHT_SEEKS_ALL;
	else if (bpf_map__reuse_fd(skel->maps.watched, watched) ||
		 bpf_map__reuse_fd(skel->maps.watch_gate, gate))
		profile = KHT_SEEKS_ALL;
	else
		profile = KHT_SEEKS_DURING_COLLAPSES;
	skel->rodata->during_collapses_only = profile == KHT_SEEKS_DURING_COLLAPSES;
}

static void programs(int mode, const struct kht_opts *o, const char **names, int max)
{
	int n = 4;

	names[0] = mode == KHT_MODE_FENTRY ? "mincore_fentry" :
		   mode == KHT_MODE_KPROBE ? "mincore_ksyscall" : "mincore_enter";
	names[1] = mode == KHT_MODE_FENTRY ? "mincore_fexit" :
		   mode == KHT_MODE_KPROBE ? "mincore_kretsyscall" : "mincore_exit";
	names[2] = mode == KHT_MODE_FENTRY ? "seek_fentry" :
		   mode == KHT_MODE_KPROBE ? "seek_kprobe" : "seek_sys_enter";
	names[3] = mode == KHT_MODE_FENTRY ? "seek_fexit" :
		   mode == KHT_MODE_KPROBE ? "seek_kretprobe" : "seek_sys_exit";
	if (n + 2 < max && fs_ok(H_EXT4, mode)) {
		names[n++] = mode == KHT_MODE_FENTRY ? "seek_ext4_fentry" : "seek_ext4_kprobe";
		names[n++] = mode == KHT_MODE_FENTRY ? "seek_ext4_fexit" : "seek_ext4_kretprobe";
	}
	if (n + 2 < max && fs_ok(H_XFS, mode)) {
		names[n++] = mode == KHT_MODE_FENTRY ? "seek_xfs_fentry" : "seek_xfs_kprobe";
		names[n++] = mode == KHT_MODE_FENTRY ? "seek_xfs_fexit" : "seek_xfs_kretprobe";
	}
}

const struct kht_feature kht_feat_seek = {
	.name = "seek/mincore",
	.reqs = {
		KHT_REQS_FUNCS2(H_LLSEEK, H_MINCORE),
		[KHT_MODE_SYSCALLS] = { KHT_REQ_SYSCALL(lseek), KHT_REQ_SYSCALL(mincore) },
	},
	.limits = limits, .open = open_skel, .configure = configure,
	.programs = programs, .off = off,
};
