// SPDX-License-Identifier: GPL-2.0
/* The userfaultfd feature: bpf/uffd.bpf.c. */
#include <stdio.h>
#include "uffd.skel.h"
#include "capability.h"
#include "feature.h"

#define H_IOCTL "userfaultfd_ioctl"

static const char *limits(int mode)
{
	return mode == KHT_MODE_SYSCALLS ?
	       "ioctl syscall tracepoints: every ioctl on the system pays a type check; "
	       "faults handed to userfaultfd are not seen (fentry only)" :
	       mode == KHT_MODE_KPROBE ? "faults handed to userfaultfd are not seen (fentry only)" :
	       "";
}

static void *open_skel(void) { return uffd_bpf__open(); }

static void configure(void *s, int mode, const struct kht_opts *o)
{
	struct uffd_bpf *skel = s;

	KHT_SET_FILTERS(skel->rodata, o);
}

static void programs(int mode, const struct kht_opts *o, const char **names, int max)
{
	char why[256];

	/* faults: fentry only, and only where handle_userfault is in BTF */
	if (mode == KHT_MODE_FENTRY &&
	    kht_hook_ok("handle_userfault", KHT_M_FENTRY, why, sizeof(why)) &&
	    kht_hook_ok("handle_userfault", KHT_M_FEXIT, why, sizeof(why))) {
		names[2] = "fault_fentry";
		names[3] = "fault_fexit";
	}
	names[0] = mode == KHT_MODE_FENTRY ? "uffd_fentry" :
		   mode == KHT_MODE_KPROBE ? "uffd_kprobe" : "uffd_sys_enter";
	names[1] = mode == KHT_MODE_FENTRY ? "uffd_fexit" :
		   mode == KHT_MODE_KPROBE ? "uffd_kretprobe" : "uffd_sys_exit";
}

const struct kht_feature kht_feat_uffd = {
	.name = "userfaultfd",
	.reqs = {
		[KHT_MODE_FENTRY] = { KHT_REQ_FENTRY(H_IOCTL) },
		[KHT_MODE_KPROBE] = { KHT_REQ_KPROBE(H_IOCTL) },
		[KHT_MODE_SYSCALLS] = { KHT_REQ_SYSCALL(ioctl) },
	},
	.limits = limits, .open = open_skel, .configure = configure,
	.programs = programs,
};
