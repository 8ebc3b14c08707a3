// SPDX-License-Identifier: GPL-2.0
/* The modification feature: bpf/modify.bpf.c (punches, truncations, writes). */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "modify.skel.h"
#include "capability.h"
#include "feature.h"

#define H_FALLOC "vfs_fallocate"
#define H_TRUNC "do_truncate"
#define H_WRITE "shmem_write_begin"
#define H_FILL "shmem_add_to_page_cache"

/* The profile configure() chose (docs/timeline.md "What is recorded"). */
static bool during_collapses, every_file, writes_off;

bool kht_modify_during_collapses(void) { return during_collapses; }
bool kht_modify_writes_off(void) { return writes_off; }

const char *kht_modify_profile(void)
{
	return writes_off ? KHT_MODIFY_NO_WRITES : during_collapses ? KHT_MODIFY_DURING :
	       every_file ? "all" : "near-collapses";
}

/*
 * Where the collapse mode sees only ends and hole fills are not seen, no
 * rule can tell a BUG by a write: the window rules need a collapse begin,
 * and the uffd rule says WARN whatever the writes when fills are invisible
 * (races.c holes_unproven). Writes would then cost every write(2) and
 * pwrite64(2) of the system (on syscall tracepoints: 128,512 pwrites x
 * ~570 ns, 72 of the 92 ms of the host bench's programs) for the timeline
 * alone: the default leaves them out. Punches, fallocate and truncations,
 * rare and the holes' makers, stay.
 */
const char kht_writes_off_why[] = "the collapse mode does not see a collapse begin and hole "
				  "fills are not seen, so no race rule could judge them "
				  "(--all-writes traces them)";

/* Would the default leave writes out in this mode (configure, probe)? */
bool kht_modify_leaves_writes_out(int mode, bool collapse_sees_entry)
{
	return !collapse_sees_entry && !kht_modify_sees_fills(mode);
}

static const char *limits(int mode)
{
	static char buf[512], off[256];
	const char *profile = during_collapses ?
			      "writes and hole fills are recorded only during a collapse of "
			      "their inode (--all-writes: within 10 s of one)" : "";

	if (writes_off) {
		snprintf(off, sizeof(off), "writes are not traced: %s", kht_writes_off_why);
		profile = off;
	}
	if (mode == KHT_MODE_SYSCALLS) {
		snprintf(buf, sizeof(buf), "%s syscall tracepoints: truncate(2) by path, "
			 "MADV_REMOVE%s hole fills by faults are not seen%s%s",
			 writes_off ? "fallocate/ftruncate" : "fallocate/ftruncate/write/pwrite64",
			 writes_off ? " and" : ", writev and", *profile ? "; " : "", profile);
		return buf;
	}
	int m = mode == KHT_MODE_FENTRY ? KHT_M_FENTRY : KHT_M_KPROBE;
	bool w = kht_hook_ok(H_WRITE, m, (char[256]){ 0 }, 256);
	bool f = kht_hook_ok(H_FILL, m, (char[256]){ 0 }, 256);
	const char *seen = w && f ? "" : !w && !f ? "writes and hole fills are not seen" :
			   !w ? "writes are not seen (no shmem_write_begin)" :
			   "hole fills (faults) are not seen (no shmem_add_to_page_cache)";

	snprintf(buf, sizeof(buf), "%s%s%s", seen, *seen && *profile ? "; " : "", profile);
	return buf;
}

static void *open_skel(void) { return modify_bpf__open(); }

bool kht_modify_sees_fills(int mode)
{
	char why[256];

	return (mode == KHT_MODE_FENTRY || mode == KHT_MODE_KPROBE) &&
	       kht_hook_ok(H_FILL, mode == KHT_MODE_FENTRY ? KHT_M_FENTRY : KHT_M_KPROBE, why,
			   sizeof(why));
}

/*
 * The inodes to watch are the collapse feature's: share its two maps. Without
 * it (not loaded, or another process's session), watch every regular file.
 */
static void configure(void *s, int mode, const struct kht_opts *o)
{
	struct modify_bpf *skel = s;
	int watched = kht_watch_fd("watched"), gate = kht_watch_fd("watch_gate");

	KHT_SET_FILTERS(skel->rodata, o);
	skel->rodata->watch_all = watched < 0 || gate < 0 ||
				  bpf_map__reuse_fd(skel->maps.watched, watched) ||
				  bpf_map__reuse_fd(skel->maps.watch_gate, gate);
	every_file = skel->rodata->watch_all;
	bool profiled = !skel->rodata->watch_all && !o->all_writes;

	/* only a collapse mode that sees collapse_file begin and return counts them in flight */
	during_collapses = profiled && kht_collapse_sees_entry();
	skel->rodata->during_collapses_only = during_collapses;
	/* no write program is loaded then (programs()) */
	writes_off = profiled && kht_modify_leaves_writes_out(mode, kht_collapse_sees_entry());
}

static void programs(int mode, const struct kht_opts *o, const char **names, int max)
{
	static const char *const by_mode[KHT_MODE_MAX][9] = {
		[KHT_MODE_FENTRY] = { "falloc_fentry", "falloc_fexit", "trunc_fentry",
				      "trunc_fexit", "write_fentry", "fill_fentry" },
		[KHT_MODE_KPROBE] = { "falloc_kprobe", "falloc_kretprobe", "trunc_kprobe",
				      "trunc_kretprobe", "write_kprobe", "fill_kprobe" },
		[KHT_MODE_SYSCALLS] = { "falloc_sys_enter", "falloc_sys_exit", "trunc_sys_enter",
					"trunc_sys_exit", "pwrite_sys_enter", "pwrite_sys_exit",
					"write_sys_enter", "write_sys_exit" },
	};
	char why[256];
	int n = 0;

	for (int i = 0; i < 8 && by_mode[mode][i] && n < max; i++) {
		/* past the punches and truncations: the writes (and fills), see configure() */
		if (i >= 4 && writes_off)
			break;
		/* the write and fill hooks are optional: punches and truncations matter most */
		if (i >= 4 && mode != KHT_MODE_SYSCALLS &&
		    !kht_hook_ok(i == 4 ? H_WRITE : H_FILL,
				 mode == KHT_MODE_FENTRY ? KHT_M_FENTRY : KHT_M_KPROBE, why, sizeof(why)))
			continue;
		names[n++] = by_mode[mode][i];
	}
}

const struct kht_feature kht_feat_modify = {
	.name = "modify",
	.reqs = {
		KHT_REQS_FUNCS2(H_FALLOC, H_TRUNC),
		[KHT_MODE_SYSCALLS] = { KHT_REQ_SYSCALL(fallocate),
					KHT_REQ_SYSCALL(ftruncate),
					KHT_REQ_SYSCALL(pwrite64),
					KHT_REQ_SYSCALL(write) },
	},
	.limits = limits, .open = open_skel, .configure = configure,
	.programs = programs,
	.optional = "punches, truncations and writes are not traced: the hole rules say WARN "
		    "at most (docs/races.md)",
};
