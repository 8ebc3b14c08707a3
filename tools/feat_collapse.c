// SPDX-License-Identifier: GPL-2.0
/* The collapse feature: bpf/collapse.bpf.c in one of five attach modes. */
#include <string.h>
#include <stdio.h>
#include "collapse.skel.h"
#include "capability.h"
#include "feature.h"
#include "lib/btf_enum.h"

#define H_COLLAPSE "collapse_file"
#define H_COLLAPSE_TP "huge_memory:mm_khugepaged_collapse_file"
#define H_SCAN_TP "huge_memory:mm_khugepaged_scan_file"

int kht_scan_file_method(void)
{
	char why[256];

	if (kht_hook_ok(H_SCAN_TP, KHT_M_TP_BTF, why, sizeof(why)))
		return KHT_M_TP_BTF;
	if (kht_hook_ok(H_SCAN_TP, KHT_M_RAW_TP, why, sizeof(why)))
		return KHT_M_RAW_TP;
	return -1;
}

/*
 * Lock windows and readers: only with fentry (kprobes on spinlocks cost too
 * much). why (may be NULL) says what is missing.
 */
static bool inside_why(int mode, char *why, int len)
{
	char tmp[256];

	if (!why) {
		why = tmp;
		len = sizeof(tmp);
	}
	return mode == KHT_MODE_FENTRY &&
	       kht_hook_ok("_raw_spin_lock_irq", KHT_M_FENTRY, why, len) &&
	       kht_hook_ok("_raw_spin_unlock_irq", KHT_M_FENTRY, why, len);
}

static bool inside_usable(int mode)
{
	return inside_why(mode, NULL, 0);
}

/* syscalls mode gets its collapses from the scan_file tracepoint */
static bool also_needs(int mode, char *why, int len)
{
	if (mode != KHT_MODE_SYSCALLS || kht_scan_file_method() >= 0)
		return true;
	snprintf(why, len, "tp_btf/raw_tp %s: not attachable", H_SCAN_TP);
	return false;
}

static const char *limits(int mode)
{
	switch (mode) {
	case KHT_MODE_FENTRY: {
		static char msg[512];
		char why[256];

		if (inside_why(mode, why, sizeof(why)))
			return "";
		/*
		 * A kernel built with CONFIG_INLINE_SPIN_LOCK_IRQ/_UNLOCK_IRQ (typical
		 * without preemption) has no such function to hook.
		 */
		snprintf(msg, sizeof(msg), "lock windows, publish order and retry spins off: %s%s",
			 why, strstr(why, "does not exist") ?
			 " (inlined: a kernel built with CONFIG_INLINE_SPIN_*_IRQ, as without "
			 "preemption, has no lock function to hook)" : "");
		return msg;
	}
	case KHT_MODE_KPROBE:
		return "lock windows, uptodate-at-publish and retry spins need fentry";
	case KHT_MODE_TP_BTF:
	case KHT_MODE_RAW_TP:
		return "end of collapse only: no duration (--min-us ignored); start index from the "
		       "caller's VMA for MADV_COLLAPSE, derived from the loop index for khugepaged; "
		       "no lock windows, publish order or retry spins (they need fentry)";
	case KHT_MODE_SYSCALLS:
		return "MADV_COLLAPSE only (khugepaged unseen); one line per scanned PMD, result from "
		       "hpage_collapse_scan_file (collapse_scan_file on 7.x); no duration; start index "
		       "from the caller's VMA; "
		       "no lock windows, publish order or retry spins (they need fentry)";
	}
	return "";
}

static const struct {
	const char *hook, *in, *out;
} reader_progs[] = {
	{ "filemap_get_entry", "rd_get_entry_in", "rd_get_entry_out" },
	{ "__filemap_get_folio", "rd_get_folio_in", "rd_get_folio_out" },
	{ "__filemap_get_folio_mpol", "rd_get_folio_mpol_in", "rd_get_folio_mpol_out" },
	{ "mapping_seek_hole_data", "rd_seek_in", "rd_seek_out" },
};

static void *open_skel(void) { return collapse_bpf__open(); }

static void configure(void *s, int mode, const struct kht_opts *o)
{
	struct collapse_bpf *skel = s;

	KHT_SET_FILTERS(skel->rodata, o);
	/* hold each event until the scan_file tracepoint adds the holes */
	skel->rodata->holes_from_scan = kht_scan_file_method() >= 0;
	skel->rodata->inside = inside_usable(mode) && !o->no_inside;
	/* syscalls mode on 7.x: MADV_COLLAPSE's write-back retry scans a PMD twice */
	if (mode == KHT_MODE_SYSCALLS) {
		static struct kht_enum results;
		long long v;

		if (kht_enum_from_vmlinux(&results, "scan_result") == 0 &&
		    kht_enum_value(&results, "SCAN_PAGE_DIRTY_OR_WRITEBACK", &v))
			skel->rodata->scan_dirty_wb = (int)v;
	}
}

static void programs(int mode, const struct kht_opts *o, const char **names, int max)
{
	static const char *const by_mode[KHT_MODE_MAX][3] = {
		[KHT_MODE_FENTRY] = { "collapse_fentry", "collapse_fexit" },
		[KHT_MODE_KPROBE] = { "collapse_kprobe", "collapse_kretprobe" },
		[KHT_MODE_TP_BTF] = { "collapse_tp_btf" },
		[KHT_MODE_RAW_TP] = { "collapse_raw_tp" },
		[KHT_MODE_SYSCALLS] = { "madvise_enter", "madvise_exit" },
	};
	int n = 0, scan = kht_scan_file_method();

	for (int i = 0; i < 3 && by_mode[mode][i] && n < max; i++)
		names[n++] = by_mode[mode][i];
	if (scan >= 0 && n < max)
		names[n++] = scan == KHT_M_TP_BTF ? "scan_file_tp_btf" : "scan_file_raw_tp";
	if (!inside_usable(mode) || o->no_inside)
		return;
	names[n++] = "lock_acquired";
	names[n++] = "lock_released";
	for (unsigned i = 0; i < sizeof(reader_progs) / sizeof(reader_progs[0]); i++) {
		char why[256];

		if (n + 2 > max || !kht_hook_ok(reader_progs[i].hook, KHT_M_FENTRY, why, sizeof(why)))
			continue;
		names[n++] = reader_progs[i].in;
		names[n++] = reader_progs[i].out;
	}
}

const struct kht_feature kht_feat_collapse = {
	.name = "collapse",
	.reqs = {
		[KHT_MODE_FENTRY] = { { H_COLLAPSE, KHT_M_FENTRY }, { H_COLLAPSE, KHT_M_FEXIT } },
		[KHT_MODE_KPROBE] = { { H_COLLAPSE, KHT_M_KPROBE }, { H_COLLAPSE, KHT_M_KRETPROBE } },
		[KHT_MODE_TP_BTF] = { { H_COLLAPSE_TP, KHT_M_TP_BTF } },
		[KHT_MODE_RAW_TP] = { { H_COLLAPSE_TP, KHT_M_RAW_TP } },
		[KHT_MODE_SYSCALLS] = { { "syscalls:sys_enter_madvise", KHT_M_TRACEPOINT },
					{ "syscalls:sys_exit_madvise", KHT_M_TRACEPOINT } },
	},
	.also_needs = also_needs, .limits = limits, .open = open_skel, .configure = configure,
	.programs = programs,
	/* the inodes whose modifications the modify feature reports */
	.shares = (const char *const[]){ "watched", "watch_gate", NULL },
};
