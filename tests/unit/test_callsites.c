// SPDX-License-Identifier: GPL-2.0
/*
 * The lock call-site scanner (tools/callsites.c) on synthetic text: which
 * E8/E9 rel32 reach a lock function, directly or through a call thunk in its
 * padding, and when a set of sites is complete.
 */
#include <stdint.h>
#include <string.h>
#include "kht_test.h"
#include "callsites.h"

#define BASE 0xffffffff81000000UL	/* collapse_file */
#define LOCK 0xffffffff82000000UL	/* _raw_spin_lock_irq */
#define UNLOCK 0xffffffff82000100UL	/* _raw_spin_unlock_irq */

static const struct kht_lock_funcs funcs = {
	.addr = { LOCK, UNLOCK }, .pfx = { LOCK - 16, UNLOCK - 16 },
};

/* op rel32 at text[off], reaching target */
static void put(unsigned char *text, unsigned long off, unsigned char op, unsigned long target)
{
	int32_t rel = (int32_t)(target - (BASE + off + 5));

	text[off] = op;
	memcpy(text + off + 1, &rel, 4);
}

TEST(callsites_calls_of_the_lock_functions)
{
	unsigned char text[256];
	struct kht_sites s = {};
	char buf[512];

	memset(text, 0x90, sizeof(text));
	put(text, 0x10, 0xe8, LOCK);		/* call _raw_spin_lock_irq */
	put(text, 0x20, 0xe8, LOCK + 1);	/* into the function: not a call of it */
	put(text, 0x30, 0xe8, 0xffffffff83000000UL);	/* another function */
	put(text, 0x40, 0xe8, UNLOCK - 10);	/* call-depth thunk in __pfx_ */
	put(text, 0x50, 0xe8, LOCK - 17);	/* before the padding: someone else's */
	put(text, 0x60, 0xe9, UNLOCK);		/* tail jump */
	put(text, 0xfb, 0xe8, LOCK);		/* the last whole rel32 */
	kht_scan_lock_calls("collapse_file", BASE, text, 0x100, &funcs, &s);
	CHECK(s.n == 4);
	CHECK(!s.overflow);
	kht_sites_str(&s, buf, sizeof(buf));
	CHECK_STR(buf, "collapse_file+0x10 (lock, probed at +0x15), "
		       "collapse_file+0x40 (unlock via thunk -10, probed at +0x45), "
		       "collapse_file+0x60 (unlock), collapse_file+0xfb (lock, probed at +0x100)");
	/* calls are probed at their return address (jump-optimizable: NOPs follow) */
	CHECK(s.s[0].probe_off == 0x15 && s.s[1].probe_off == 0x45 && s.s[2].probe_off == 0x60);
	CHECK(kht_sites_complete(&s));
	/* a tail jump to the lock function returns elsewhere: probed at the jump */
	memset(&s, 0, sizeof(s));
	put(text, 0x70, 0xe9, LOCK);
	kht_scan_lock_calls("collapse_file", BASE, text, 0x80, &funcs, &s);
	CHECK(s.n == 4 && s.s[3].off == 0x70 && s.s[3].probe_off == 0x70);
	memset(text + 0x70, 0x90, 5);
	/* one past the end: its rel32 would run over the function */
	memset(&s, 0, sizeof(s));
	kht_scan_lock_calls("collapse_file", BASE, text, 0xff, &funcs, &s);
	CHECK(s.n == 3);
}

/*
 * A second tracer reads the text with the first one's kprobes in it: an
 * unlock call probed at the call shows CC (int3) where its E8 was, the rest
 * of the call intact. Read as the call, or the second tracer would find no
 * unlock and fall back to fentry on the spinlock functions.
 */
TEST(callsites_a_call_under_another_kprobe_is_still_a_call)
{
	unsigned char text[64];
	struct kht_sites s = {};
	char buf[256];

	memset(text, 0x90, sizeof(text));
	put(text, 0x00, 0xe8, LOCK);
	put(text, 0x10, 0xcc, UNLOCK);		/* int3 over call _raw_spin_unlock_irq */
	put(text, 0x20, 0xcc, LOCK);		/* int3 over call _raw_spin_lock_irq */
	put(text, 0x30, 0xcc, 0xffffffff83000000UL);	/* int3 over another call */
	memset(text + 0x38, 0xcc, 8);		/* int3 padding: CC CC CC CC CC */
	kht_scan_lock_calls("collapse_file", BASE, text, sizeof(text), &funcs, &s);
	CHECK(s.n == 3);
	CHECK(kht_sites_complete(&s));
	CHECK(!s.s[0].int3 && s.s[1].int3 && s.s[2].int3);
	/* under an int3 as without: after the call (the NOPs after it are optimizable) */
	CHECK(s.s[1].probe_off == 0x15 && s.s[2].probe_off == 0x25);
	kht_sites_str(&s, buf, sizeof(buf));
	CHECK_STR(buf, "collapse_file+0x0 (lock, probed at +0x5), "
		       "collapse_file+0x10 (unlock, probed at +0x15, under another kprobe), "
		       "collapse_file+0x20 (lock, probed at +0x25, under another kprobe)");
}

TEST(callsites_complete_needs_collapse_files_own_lock_and_unlock)
{
	unsigned char text[64];
	struct kht_sites s = {};

	memset(text, 0x90, sizeof(text));
	put(text, 0, 0xe8, LOCK);
	put(text, 8, 0xe8, UNLOCK);
	/* a callee's pair alone: not collapse_file's windows */
	kht_scan_lock_calls("shmem_charge", BASE, text, sizeof(text), &funcs, &s);
	CHECK(s.n == 2 && !kht_sites_complete(&s));
	kht_scan_lock_calls("collapse_file.cold", BASE, text, 8, &funcs, &s);
	CHECK(s.n == 3 && !kht_sites_complete(&s));	/* only a lock */
	kht_scan_lock_calls("collapse_file", BASE, text, sizeof(text), &funcs, &s);
	CHECK(s.n == 5 && kht_sites_complete(&s));
	/* the kernel refused collapse_file's unlock as no instruction boundary */
	kht_sites_drop(&s, 4);
	CHECK(s.n == 4 && !kht_sites_complete(&s));
	CHECK_STR(s.s[3].sym, "collapse_file");
	CHECK(s.s[3].kind == KHT_SITE_LOCK);
}

TEST(callsites_too_many_is_an_overflow_not_a_cut)
{
	unsigned char text[5 * (KHT_MAX_SITES + 1)];
	struct kht_sites s = {};

	for (int i = 0; i <= KHT_MAX_SITES; i++)
		put(text, 5 * i, 0xe8, LOCK);
	kht_scan_lock_calls("collapse_file", BASE, text, sizeof(text), &funcs, &s);
	CHECK(s.overflow);
	CHECK(s.n == KHT_MAX_SITES);
}

/*
 * Where an unlock call is probed after it: only where the kernel would
 * jump-optimize that probe. The byte sequences are Debian 6.12's
 * collapse_file at two of its unlock calls.
 */
TEST(callsites_unlock_after_only_where_optimizable)
{
	unsigned char text[0x700];
	/* +0x233: call; +0x238: mov 0x68(%rsp),%rdi (48 8b 7c 24 68: 7c is a Jcc byte) */
	static const unsigned char mov_rsp[] = { 0x48, 0x8b, 0x7c, 0x24, 0x68 };
	/* +0x4c8 (optimized there): mov (%r12),%rdi; xor %edx,%edx (49 8b 3c 24 31 d2) */
	static const unsigned char movs[] = { 0x49, 0x8b, 0x3c, 0x24, 0x31, 0xd2 };
	struct kht_sites s = {};

	memset(text, 0x90, sizeof(text));
	CHECK(kht_optimizable_at(text, sizeof(text), 0x238));
	memcpy(text + 0x238, mov_rsp, sizeof(mov_rsp));
	CHECK(!kht_optimizable_at(text, sizeof(text), 0x238));	/* a Jcc opcode byte among the 5 */
	memcpy(text + 0x238, movs, sizeof(movs));
	CHECK(kht_optimizable_at(text, sizeof(text), 0x238));
	/* a jump that lands in (p, p + 5]: p + 5 counts, as in the kernel */
	put(text, 0x4f3, 0xe9, BASE + 0x23d);
	CHECK(!kht_optimizable_at(text, sizeof(text), 0x238));
	put(text, 0x4f3, 0xe9, BASE + 0x23e);
	CHECK(kht_optimizable_at(text, sizeof(text), 0x238));
	text[0x642] = 0x0f;	/* jbe rel32 */
	text[0x643] = 0x86;
	{
		int32_t rel = (int32_t)(0x239 - (0x642 + 6));

		memcpy(text + 0x644, &rel, 4);
	}
	CHECK(!kht_optimizable_at(text, sizeof(text), 0x238));
	memset(text + 0x642, 0x90, 6);
	text[0x260] = 0xeb;	/* jmp rel8 backwards onto p + 2 */
	text[0x261] = (unsigned char)(int8_t)(0x23a - 0x262);
	CHECK(text[0x261] >= 0x80 && !kht_optimizable_at(text, sizeof(text), 0x238));
	text[0x260] = text[0x261] = 0x90;
	text[0x200] = 0x74;	/* je rel8 forwards onto p + 5 */
	text[0x201] = (unsigned char)(0x23d - 0x202);
	CHECK(!kht_optimizable_at(text, sizeof(text), 0x238));
	text[0x200] = text[0x201] = 0x90;
	CHECK(kht_optimizable_at(text, sizeof(text), 0x238));
	/* the function ends within the 5 bytes */
	CHECK(!kht_optimizable_at(text, 0x23c, 0x238));

	/* and so the unlock call is probed after it, or at it */
	put(text, 0x233, 0xe8, UNLOCK);
	put(text, 0x100, 0xe8, LOCK);
	kht_scan_lock_calls("collapse_file", BASE, text, sizeof(text), &funcs, &s);
	CHECK(s.n == 2 && s.s[1].off == 0x233 && s.s[1].probe_off == 0x238);
	memset(&s, 0, sizeof(s));
	memcpy(text + 0x238, mov_rsp, sizeof(mov_rsp));
	kht_scan_lock_calls("collapse_file", BASE, text, sizeof(text), &funcs, &s);
	CHECK(s.n == 2 && s.s[1].off == 0x233 && s.s[1].probe_off == 0x233);
	CHECK(s.s[0].probe_off == 0x105);	/* a lock call: after it, always */
}
