// SPDX-License-Identifier: GPL-2.0
/*
 * The collapse_file tracepoint's addr/is_shmem by position (include/
 * kht_collapse_tp.h, what bpf/collapse.bpf.c runs per event), and how a
 * corrected event is shown.
 */
#include <string.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "kht_collapse_tp.h"
#include "lib/event_fmt.h"
#include "lib/json.h"

#define UADDR 0x7f3a5c400000ULL	/* PMD-aligned, as collapse_file gets it */

static int tp_args(unsigned long long *a, unsigned long long *s, unsigned long long addr,
		   unsigned long long is_shmem)
{
	*a = addr;
	*s = is_shmem;
	return kht_collapse_tp_args(a, s);
}

TEST(tp_args_fixed_order_unchanged)
{
	unsigned long long a, s;

	CHECK(!tp_args(&a, &s, UADDR, 1));
	CHECK(a == UADDR && s == 1);
	CHECK(!tp_args(&a, &s, UADDR, 0));
	CHECK(a == UADDR && s == 0);
	/* an address in place decides it, whatever the other slot holds */
	CHECK(!tp_args(&a, &s, UADDR, UADDR));
	CHECK(a == UADDR && s == UADDR);
}

/* What 6.2-6.11 without 37f0b47c5143 delivers: the address went through a bool. */
TEST(tp_args_prefix_kernel_address_lost)
{
	unsigned long long a, s;

	/* probe called directly: (is_shmem, 1) */
	CHECK(tp_args(&a, &s, 1, 1));
	CHECK(a == 0 && s == 1);
	CHECK(tp_args(&a, &s, 0, 1));
	CHECK(a == 0 && s == 0);
	/* through the iterator: (1, is_shmem), upstream's "addr=1, is_shmem=0" */
	CHECK(tp_args(&a, &s, 1, 0));
	CHECK(a == 0 && s == 0);
}

/* A plain exchange (the address in the bool's place) is swapped back. */
TEST(tp_args_swapped_address_recovered)
{
	unsigned long long a, s;

	CHECK(tp_args(&a, &s, 1, UADDR));
	CHECK(a == UADDR && s == 1);
	CHECK(tp_args(&a, &s, 0, UADDR));
	CHECK(a == UADDR && s == 0);
}

TEST(tp_args_ambiguous_unchanged)
{
	unsigned long long a, s;

	/* addr 0 with is_shmem 0: no kernel order tells it apart; leave it */
	CHECK(!tp_args(&a, &s, 0, 0));
	CHECK(a == 0 && s == 0);
	/* an address of 2 is not a bool: taken as given */
	CHECK(!tp_args(&a, &s, 2, 1));
	CHECK(a == 2 && s == 1);
}

static struct kht_collapse tp_event(void)
{
	struct kht_collapse ev = {
		.hdr = { .ts_ns = 3500000000ULL, .type = KHT_EV_COLLAPSE, .size = sizeof(ev),
			 .pid = 4242, .tid = 4243, .comm = "workload" },
		.ino = 12345, .end_index = 1024, .nr = 512, .dev = 39, .result = 1,
		.attach = KHT_MODE_RAW_TP, .name = "data.bin",
		.flags = KHT_F_HAVE_END_INDEX | KHT_F_HAVE_INODE | KHT_F_HAVE_RESULT,
	};
	return ev;
}

TEST(tp_args_swapped_shown)
{
	struct kht_enum e;
	struct kht_fmt f = { .results = &e };
	struct kht_summary sum = { 0 };
	struct kht_collapse ev = tp_event();
	char buf[2048];

	kht_fixture_enum(KHT_FIX_612, &e);
	/* a fixed kernel: address, no flag, no key, no note */
	ev.addr = UADDR;
	ev.flags |= KHT_F_HAVE_ADDR;
	kht_collapse_json(buf, sizeof(buf), &ev, &f);
	CHECK(kht_json_valid(buf, strlen(buf)));
	CHECK_CONTAINS(buf, "\"addr\":");
	CHECK(!strstr(buf, "tp_args_swapped"));
	kht_summary_add(&sum, &ev);
	kht_summary_text(buf, sizeof(buf), &sum, &f);
	CHECK(!strstr(buf, "37f0b47c5143"));
	kht_summary_json(buf, sizeof(buf), &sum, &f, 0);
	CHECK(!strstr(buf, "tp_args_swapped"));

	/* a pre-fix kernel: flagged, the address unknown */
	ev = tp_event();
	ev.flags |= KHT_F_TP_ARGS_SWAPPED;
	kht_collapse_json(buf, sizeof(buf), &ev, &f);
	CHECK(kht_json_valid(buf, strlen(buf)));
	CHECK_CONTAINS(buf, "\"tp_args_swapped\":true");
	CHECK(!strstr(buf, "\"addr\":"));
	kht_summary_add(&sum, &ev);
	kht_summary_add(&sum, &ev);
	kht_summary_text(buf, sizeof(buf), &sum, &f);
	CHECK_CONTAINS(buf, "3 collapses");
	CHECK_CONTAINS(buf, "tracepoint arguments swapped (pre-37f0b47c5143 kernel), corrected");
	CHECK_CONTAINS(buf, "(2 events)");
	kht_summary_json(buf, sizeof(buf), &sum, &f, 0);
	CHECK(kht_json_valid(buf, strlen(buf)));
	CHECK_CONTAINS(buf, "\"tp_args_swapped\":2");
}
