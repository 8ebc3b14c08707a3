// SPDX-License-Identifier: GPL-2.0
/* The collapse feature: bpf/collapse.bpf.c in one of five attach modes. */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "collapse.skel.h"
#include "callsites.h"
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
 * Lock windows and readers: fentry mode only. The windows come from kprobes
 * at collapse_file's own calls of the lock functions (tools/callsites.c),
 * which fire only inside collapse_file, or else from fentry on the spinlock
 * functions gated on "this task is inside collapse_file", which fire on every
 * spin_lock_irq of the system. One collapse feature per process: the choice
 * and the call-site links are kept here.
 */
static struct {
	bool looked;		/* call sites searched (once) */
	bool found;		/* a lock and an unlock site among the candidates */
	struct kht_sites sites;
	char not_found[512];	/* why not call sites */
	bool attached;		/* attach() ran: desc says what it did */
	int in_use;		/* KHT_LW_CALLSITE or KHT_LW_FENTRY, 0: no windows */
	char desc[2048];	/* for the banner and probe */
	struct bpf_link *links[KHT_MAX_SITES + 2];
	int nlinks;
} lw;

static void look_for_sites(void)
{
	const struct kht_env *env = kht_capability_env();

	if (lw.looked)
		return;
	lw.looked = true;
	if (env && !env->kprobe_pmu)
		snprintf(lw.not_found, sizeof(lw.not_found), "no kprobe PMU");
	else
		lw.found = kht_find_lock_sites(&lw.sites, lw.not_found, sizeof(lw.not_found)) == 0;
}

/* fentry on both spinlock functions; why (may be NULL) says what is missing. */
static bool lock_fentry_ok(char *why, int len)
{
	char tmp[256];

	if (!why) {
		why = tmp;
		len = sizeof(tmp);
	}
	return kht_hook_ok("_raw_spin_lock_irq", KHT_M_FENTRY, why, len) &&
	       kht_hook_ok("_raw_spin_unlock_irq", KHT_M_FENTRY, why, len);
}

/* Which lock-window programs a mode loads: call-site kprobes, gated fentry (fallback). */
static void lw_plan(int mode, const struct kht_opts *o, bool *sites, bool *fentry)
{
	*sites = *fentry = false;
	if (mode != KHT_MODE_FENTRY || o->no_inside)
		return;
	if (o->lock_windows != KHT_LW_FENTRY) {
		look_for_sites();
		*sites = lw.found;
	}
	*fentry = o->lock_windows != KHT_LW_CALLSITE && lock_fentry_ok(NULL, 0);
}

static bool inside_loaded(int mode, const struct kht_opts *o)
{
	bool sites, fentry;

	lw_plan(mode, o, &sites, &fentry);
	return sites || fentry;
}

static void detach_sites(void)
{
	for (int i = 0; i < lw.nlinks; i++)
		bpf_link__destroy(lw.links[i]);
	lw.nlinks = 0;
}

/*
 * What probe --lock-sites asks: would this site take its kprobe? 0 or
 * -errno. A site probed after its call (kht_site.probe_off) is first tried
 * at the call, so the kernel vouches that the E8 byte begins an instruction
 * there too.
 */
static int site_trial(const struct kht_site *st)
{
	int e = st->probe_off == st->off ? 0 : kht_kprobe_at_ok(st->sym, st->off);

	return e ? e : kht_kprobe_at_ok(st->sym, st->probe_off);
}

/*
 * A kprobe at every candidate site. The kernel refuses one that is not an
 * instruction boundary (EILSEQ): the E8 byte was inside another instruction,
 * not a call, so it is dropped. Any other refusal: call sites are not usable.
 * A site probed after its call is not tried at the call first, as probe
 * --lock-sites does: the trial kprobes (each registered, then unregistered)
 * took a 6.12 guest's start from 1.25 to 2.2 s (instructions, icount), and an
 * E8 inside another instruction whose next four bytes reach a lock function
 * exactly would be a 1 in 2^32 coincidence, after which the boundary at its
 * end must hold as well.
 */
static int attach_sites(struct collapse_bpf *skel, char *err, int len)
{
	for (int i = 0; i < lw.sites.n;) {
		const struct kht_site *st = &lw.sites.s[i];
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .offset = st->probe_off);
		bool after = st->probe_off != st->off;
		struct bpf_program *prog = st->kind == KHT_SITE_UNLOCK
						   ? (after ? skel->progs.unlock_site_after
							    : skel->progs.unlock_site)
						   : (after ? skel->progs.lock_site_held
							    : skel->progs.lock_site);
		struct bpf_link *l = bpf_program__attach_kprobe_opts(prog, st->sym, &ko);

		if (!l && errno == EILSEQ) {
			kht_sites_drop(&lw.sites, i);
			continue;
		}
		if (!l) {
			snprintf(err, len, "kprobe at %s+0x%lx: %s", st->sym, st->probe_off,
				 strerror(errno));
			return -1;
		}
		lw.links[lw.nlinks++] = l;
		i++;
	}
	if (!kht_sites_complete(&lw.sites)) {
		snprintf(err, len, "the kernel refused the candidate sites of one lock function as "
			 "not instruction boundaries");
		return -1;
	}
	return 0;
}

static int attach_fentry(struct collapse_bpf *skel, char *err, int len)
{
	struct bpf_program *progs[2] = { skel->progs.lock_acquired, skel->progs.lock_released };

	for (int i = 0; i < 2; i++) {
		struct bpf_link *l = bpf_program__attach(progs[i]);

		if (!l) {
			snprintf(err, len, "fentry %s: %s", bpf_program__name(progs[i]),
				 strerror(errno));
			return -1;
		}
		lw.links[lw.nlinks++] = l;
	}
	return 0;
}

static void describe_sites(const char *prefix)
{
	char list[1536];

	kht_sites_str(&lw.sites, list, sizeof(list));
	snprintf(lw.desc, sizeof(lw.desc), "%slock windows: call-site kprobes (%s)", prefix, list);
}

/* not_sites: why call sites are not used; NULL when --lock-windows fentry said so */
static void describe_fentry(const char *not_sites)
{
	snprintf(lw.desc, sizeof(lw.desc), "lock windows: gated fentry on the spinlock functions%s%s",
		 not_sites ? ": call sites not usable: " : " (--lock-windows fentry)",
		 not_sites ? not_sites : "");
}

/*
 * Retry spins are inferred from lockless readers (filemap_get_entry & co.)
 * that overlap a lock hold. Their probes fire on every page-cache lookup of
 * the system, a trampoline each even when they leave at once: with no
 * collapse running a 4 KiB pread paid 5.8% for the empty trampolines alone
 * and 10.8% with the programs (6.12 guest, bench/README.md "Production
 * profile"), so they are opt-in.
 */
static bool spins_watched(int mode, const struct kht_opts *o);

static void describe_spins(int mode, const struct kht_opts *o)
{
	size_t n = strlen(lw.desc);

	snprintf(lw.desc + n, sizeof(lw.desc) - n, "; retry spins: %s",
		 !o->spins ? "not watched (--spins: reader probes on every page-cache lookup)" :
		 spins_watched(mode, o) ? "reader probes" : "not watched (no reader function can be hooked)");
}

static int attach(void *s, int mode, const struct kht_opts *o, char *why, int len)
{
	struct collapse_bpf *skel = s;
	char err[512] = "";
	bool sites, fentry;

	lw_plan(mode, o, &sites, &fentry);
	lw.attached = true;
	lw.in_use = 0;
	lw.desc[0] = '\0';
	if (mode != KHT_MODE_FENTRY || o->no_inside)
		return 0;
	if (sites && !attach_sites(skel, err, sizeof(err))) {
		lw.in_use = KHT_LW_CALLSITE;
		describe_sites("");
		describe_spins(mode, o);
		return 0;
	}
	detach_sites();
	if (!sites)
		snprintf(err, sizeof(err), "%s", o->lock_windows == KHT_LW_FENTRY ?
			 "not tried (--lock-windows fentry)" : lw.not_found);
	if (o->lock_windows == KHT_LW_CALLSITE) {
		snprintf(why, len, "fentry: lock windows: call sites not usable: %s", err);
		return -1;
	}
	if (!fentry && sites) {	/* the BPF side counts windows (.rodata): none would come */
		snprintf(why, len, "fentry: lock windows: call sites not usable: %s", err);
		return -1;
	}
	if (!fentry) {
		char nf[256];

		lock_fentry_ok(nf, sizeof(nf));
		/*
		 * A kernel built with CONFIG_INLINE_SPIN_LOCK_IRQ/_UNLOCK_IRQ (typical
		 * without preemption) has no lock function to call or to hook.
		 */
		snprintf(lw.desc, sizeof(lw.desc), "lock windows, publish order and retry spins "
			 "off: call sites not usable: %s; %s", err, nf);
		return 0;
	}
	if (attach_fentry(skel, why, len))
		return -1;
	lw.in_use = KHT_LW_FENTRY;
	describe_fentry(o->lock_windows == KHT_LW_FENTRY ? NULL : err);
	describe_spins(mode, o);
	return 0;
}

static void detach(void *skel)
{
	detach_sites();
}

/* What probe says about the fentry mode: the same choice, made with test kprobes. */
static void plan_by_trial(void)
{
	char err[512] = "", nf[256];

	look_for_sites();
	if (lw.found) {
		for (int i = 0; i < lw.sites.n && !err[0];) {
			const struct kht_site *st = &lw.sites.s[i];
			int e = site_trial(st);

			if (e == -EILSEQ) {
				kht_sites_drop(&lw.sites, i);
				continue;
			}
			if (e)
				snprintf(err, sizeof(err), "kprobe at %s+0x%lx: %s", st->sym,
					 st->probe_off, strerror(-e));
			i++;
		}
		if (!err[0] && !kht_sites_complete(&lw.sites))
			snprintf(err, sizeof(err), "candidates refused as not instruction boundaries");
		if (!err[0]) {
			describe_sites("");
			return;
		}
	} else {
		snprintf(err, sizeof(err), "%s", lw.not_found);
	}
	if (lock_fentry_ok(nf, sizeof(nf)))
		describe_fentry(err);
	else
		snprintf(lw.desc, sizeof(lw.desc), "lock windows, publish order and retry spins "
			 "off: call sites not usable: %s; %s", err, nf);
}

int kht_lock_sites_report(void)
{
	struct kht_sites c;
	char why[512];
	int ok[2] = { 0, 0 };

	if (kht_find_lock_sites(&c, why, sizeof(why))) {
		printf("lock sites: none: %s\n", why);
		return 1;
	}
	printf("lock sites: %d candidate%s in %lu bytes of text (%s)\n", c.n, c.n == 1 ? "" : "s",
	       c.text_len, c.parts);
	/* first the address probed (bench/profile-vm.sh reads it), then what is there */
	for (int i = 0; i < c.n; i++) {
		const struct kht_site *st = &c.s[i];
		char after[64] = "";
		int e = site_trial(st);

		if (st->probe_off != st->off)
			snprintf(after, sizeof(after), ", after the call at +0x%lx", st->off);
		printf("  %s+0x%lx %-6s -> %s%s%s%s: %s\n", st->sym, st->probe_off,
		       st->kind == KHT_SITE_LOCK ? "lock" : "unlock", kht_site_funcs[st->kind],
		       st->thunk ? " via call thunk" : "", after,
		       st->int3 ? ", call under another kprobe's int3" : "",
		       !e ? "verified" : e == -EILSEQ ? "not an instruction boundary" : strerror(-e));
		if (!e)
			ok[c.s[i].kind]++;
	}
	printf("lock sites: %d lock, %d unlock verified: %s\n", ok[0], ok[1],
	       ok[0] && ok[1] ? "usable" : "not usable");
	return ok[0] && ok[1] ? 0 : 1;
}

int kht_lock_windows_in_use(void)
{
	return lw.in_use;
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
	case KHT_MODE_FENTRY:
		/* after loading: what attach() did; for probe: the same choice by test kprobes */
		if (!lw.attached && !lw.desc[0])
			plan_by_trial();
		return lw.desc;
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

/* Reader functions this kernel lets fentry hook (each has its in/out pair). */
static bool reader_ok(unsigned i)
{
	char why[256];

	return kht_hook_ok(reader_progs[i].hook, KHT_M_FENTRY, why, sizeof(why));
}

static bool spins_watched(int mode, const struct kht_opts *o)
{
	for (unsigned i = 0; o->spins && i < sizeof(reader_progs) / sizeof(reader_progs[0]); i++)
		if (reader_ok(i))
			return inside_loaded(mode, o);
	return false;
}

static void *open_skel(void) { return collapse_bpf__open(); }

static bool sees_entry;

bool kht_collapse_sees_entry(void) { return sees_entry; }

bool kht_collapse_mode_sees_entry(int mode)
{
	return mode == KHT_MODE_FENTRY || mode == KHT_MODE_KPROBE;
}

static void configure(void *s, int mode, const struct kht_opts *o)
{
	struct collapse_bpf *skel = s;

	/* on_entry() marks the inode watched when collapse_file begins */
	sees_entry = kht_collapse_mode_sees_entry(mode);
	KHT_SET_FILTERS(skel->rodata, o);
	/* hold each event until the scan_file tracepoint adds the holes */
	skel->rodata->holes_from_scan = kht_scan_file_method() >= 0;
	skel->rodata->inside = inside_loaded(mode, o);
	skel->rodata->spins = spins_watched(mode, o);
	/* attach() attaches them, if call sites are not usable */
	bpf_program__set_autoattach(skel->progs.lock_acquired, false);
	bpf_program__set_autoattach(skel->progs.lock_released, false);
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
	bool sites, fentry;

	lw_plan(mode, o, &sites, &fentry);
	if (!sites && !fentry)
		return;
	if (sites) {
		names[n++] = "lock_site";
		names[n++] = "lock_site_held";
		names[n++] = "unlock_site";
		names[n++] = "unlock_site_after";
	}
	if (fentry) {
		names[n++] = "lock_acquired";
		names[n++] = "lock_released";
	}
	for (unsigned i = 0; o->spins && i < sizeof(reader_progs) / sizeof(reader_progs[0]); i++) {
		if (n + 2 > max || !reader_ok(i))
			continue;
		names[n++] = reader_progs[i].in;
		names[n++] = reader_progs[i].out;
	}
}

const struct kht_feature kht_feat_collapse = {
	.name = "collapse",
	.reqs = {
		[KHT_MODE_FENTRY] = { KHT_REQ_FENTRY(H_COLLAPSE) },
		[KHT_MODE_KPROBE] = { KHT_REQ_KPROBE(H_COLLAPSE) },
		[KHT_MODE_TP_BTF] = { { H_COLLAPSE_TP, KHT_M_TP_BTF } },
		[KHT_MODE_RAW_TP] = { { H_COLLAPSE_TP, KHT_M_RAW_TP } },
		[KHT_MODE_SYSCALLS] = { KHT_REQ_SYSCALL(madvise) },
	},
	.also_needs = also_needs, .limits = limits, .open = open_skel, .configure = configure,
	.programs = programs, .attach = attach, .detach = detach,
	/* the inodes whose modifications the modify feature reports */
	.shares = (const char *const[]){ "watched", "watch_gate", NULL },
};
