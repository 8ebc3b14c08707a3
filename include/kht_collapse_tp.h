/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The addr/is_shmem arguments of huge_memory:mm_khugepaged_collapse_file,
 * read by position (tp_btf, raw_tp). Shared by bpf/collapse.bpf.c, which
 * applies it per event, and the unit tests: plain C, no kernel types.
 *
 * From 6.2 until 37f0b47c5143 (v6.12; Cc stable 6.2+, so some 6.2-6.11
 * kernels have it backported and some do not: decided per event, not by
 * version) TP_PROTO said (..., bool is_shmem, unsigned long addr, ...) while
 * TP_ARGS and the caller in collapse_file passed (..., addr, is_shmem, ...).
 * The call into the tracepoint's probe converts by the prototype, so the
 * address goes through a bool and arrives as 1: what a program sees in the
 * (addr, is_shmem) positions is (is_shmem, 1) when our probe is called
 * directly (alone on the tracepoint, static call) and (1, is_shmem) when it
 * is called through the iterator (other probes, or no static calls), whose
 * second conversion swaps them back. Upstream's own report shows "addr=1,
 * is_shmem=0" for a non-shmem file. A collapse address is PMD-aligned and
 * never 0, so both values 0 or 1 with one of them 1 can only be that kernel:
 * is_shmem is their AND, the address is gone.
 *
 * An is_shmem above 1 beside an addr of 0 or 1 would be a plain exchange of
 * the two (no kernel we know of produces it: a bool cannot carry an
 * address); it is swapped back, address kept.
 */
#ifndef KHT_COLLAPSE_TP_H
#define KHT_COLLAPSE_TP_H

/*
 * Correct *addr and *is_shmem as read from positions 3 and 4 (after mm,
 * new page/folio and index); true if they were out of order. On return
 * *is_shmem is 0 or 1 when corrected, and *addr is 0 when the address was
 * lost (then it is not to be used).
 */
static inline int kht_collapse_tp_args(unsigned long long *addr, unsigned long long *is_shmem)
{
	unsigned long long a = *addr, s = *is_shmem;

	if (a > 1)		/* an address where it belongs: the fixed order */
		return 0;
	if (s > 1) {		/* the address in the bool's place */
		*addr = s;
		*is_shmem = a;
		return 1;
	}
	if (!a && !s)		/* addr 0 on either order: nothing to tell, leave it */
		return 0;
	*addr = 0;		/* pre-37f0b47c5143: truncated to bool */
	*is_shmem = a & s;
	return 1;
}

#endif /* KHT_COLLAPSE_TP_H */
