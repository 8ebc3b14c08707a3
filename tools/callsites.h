/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collapse_file's own calls to the i_pages lock functions, found in the
 * running kernel's text (/proc/kallsyms + /proc/kcore), so the lock windows
 * can come from kprobes at those call instructions instead of probes on the
 * spinlock functions that fire for the whole system.
 */
#ifndef KHT_CALLSITES_H
#define KHT_CALLSITES_H

#include <stdbool.h>

#define KHT_MAX_SITES 64
#define KHT_SITE_SYM_LEN 64

enum kht_site_kind { KHT_SITE_LOCK, KHT_SITE_UNLOCK };

struct kht_site {
	char sym[KHT_SITE_SYM_LEN];	/* collapse_file, a part of it (collapse_file.cold), a callee */
	unsigned long off;		/* of the call instruction in sym */
	/*
	 * Where the kprobe goes: a lock call's return address (off + 5, the
	 * lock is held there); an unlock call's too where the kernel would
	 * jump-optimize a probe there (kht_optimizable_at), else the call
	 * itself (that program reads the lock argument), as for a tail jump.
	 * Why: a kprobe on a call instruction is never jump-optimized (a call
	 * cannot run from the optimizer's detour buffer), the one after it
	 * often is: an int3 trap saved per window. See bpf/inside.bpf.h.
	 */
	unsigned long probe_off;
	int kind;			/* enum kht_site_kind */
	int thunk;			/* bytes before the lock function the call lands (call thunk), or 0 */
	bool int3;			/* read through another kprobe's int3 (CC over the E8) */
};

struct kht_sites {
	int n;
	struct kht_site s[KHT_MAX_SITES];
	bool overflow;			/* more than KHT_MAX_SITES candidates */
	int nparts;			/* functions and split parts read */
	char parts[160];		/* their names, comma-separated */
	unsigned long text_len;		/* bytes of text read */
};

/* The lock functions, by kind: xas_lock_irq / xas_unlock_irq. */
extern const char *const kht_site_funcs[2];

/*
 * Find the call instructions (E8/E9 rel32) in collapse_file, its split parts
 * and the callees that take the lock only for it (shmem_charge), whose
 * target is a lock function (or its call thunk in the function's
 * padding). 0 with at least one lock and one unlock site; -1 with one
 * sentence in why. Candidates only: an E8 byte inside another instruction
 * could match too, so the caller lets the kernel verify each site (a kprobe
 * off an instruction boundary is refused with EILSEQ).
 */
int kht_find_lock_sites(struct kht_sites *out, char *why, int len);
/* The lock functions' addresses by kind, and of their __pfx_ padding (0: none). */
struct kht_lock_funcs {
	unsigned long addr[2], pfx[2];
};
/*
 * Append the E8/E9 rel32 in text (size bytes of sym's code, at kernel address
 * addr) that reach a lock function to out; out->overflow past KHT_MAX_SITES.
 * CC rel32 counts as a call: another kprobe's int3 replaced its E8.
 */
void kht_scan_lock_calls(const char *sym, unsigned long addr, const unsigned char *text,
			 unsigned long size, const struct kht_lock_funcs *f, struct kht_sites *out);
/*
 * Would the kernel jump-optimize a kprobe at text[p], text being a whole
 * function of size bytes? Errs towards false (tools/callsites.c).
 */
bool kht_optimizable_at(const unsigned char *text, unsigned long size, unsigned long p);
/* Drop site i (the kernel refused it as not an instruction boundary). */
void kht_sites_drop(struct kht_sites *s, int i);
/* Both kinds still present? */
bool kht_sites_complete(const struct kht_sites *s);
/* "collapse_file+0x1a3 (lock), collapse_file+0x1f0 (unlock), ..." */
void kht_sites_str(const struct kht_sites *s, char *buf, int len);

#endif
