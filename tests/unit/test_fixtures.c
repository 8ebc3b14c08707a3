// SPDX-License-Identifier: GPL-2.0
/*
 * enum scan_result as 6.12.117 declares it (read from its source) and as 6.19
 * does per ../shared/kernel-notes.md (checked against the guest BTF by the VM tests):
 * 6.19 merged SCAN_PMD_NULL/SCAN_PMD_NONE into SCAN_NO_PTE_TABLE and dropped
 * SCAN_PAGE_RO, so everything after SCAN_FAIL/SCAN_SUCCEED shifts.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "btf_fixtures.h"

static const char *const r612[] = {
	"SCAN_FAIL", "SCAN_SUCCEED", "SCAN_PMD_NULL", "SCAN_PMD_NONE", "SCAN_PMD_MAPPED",
	"SCAN_EXCEED_NONE_PTE", "SCAN_EXCEED_SWAP_PTE", "SCAN_EXCEED_SHARED_PTE", "SCAN_PTE_NON_PRESENT",
	"SCAN_PTE_UFFD_WP", "SCAN_PTE_MAPPED_HUGEPAGE", "SCAN_PAGE_RO", "SCAN_LACK_REFERENCED_PAGE",
	"SCAN_PAGE_NULL", "SCAN_SCAN_ABORT", "SCAN_PAGE_COUNT", "SCAN_PAGE_LRU", "SCAN_PAGE_LOCK",
	"SCAN_PAGE_ANON", "SCAN_PAGE_COMPOUND", "SCAN_ANY_PROCESS", "SCAN_VMA_NULL", "SCAN_VMA_CHECK",
	"SCAN_ADDRESS_RANGE", "SCAN_DEL_PAGE_LRU", "SCAN_ALLOC_HUGE_PAGE_FAIL", "SCAN_CGROUP_CHARGE_FAIL",
	"SCAN_TRUNCATED", "SCAN_PAGE_HAS_PRIVATE", "SCAN_STORE_FAILED", "SCAN_COPY_MC", "SCAN_PAGE_FILLED",
};

static const char *const r619[] = {
	"SCAN_FAIL", "SCAN_SUCCEED", "SCAN_NO_PTE_TABLE", "SCAN_PMD_MAPPED",
	"SCAN_EXCEED_NONE_PTE", "SCAN_EXCEED_SWAP_PTE", "SCAN_EXCEED_SHARED_PTE", "SCAN_PTE_NON_PRESENT",
	"SCAN_PTE_UFFD_WP", "SCAN_PTE_MAPPED_HUGEPAGE", "SCAN_LACK_REFERENCED_PAGE",
	"SCAN_PAGE_NULL", "SCAN_SCAN_ABORT", "SCAN_PAGE_COUNT", "SCAN_PAGE_LRU", "SCAN_PAGE_LOCK",
	"SCAN_PAGE_ANON", "SCAN_PAGE_COMPOUND", "SCAN_ANY_PROCESS", "SCAN_VMA_NULL", "SCAN_VMA_CHECK",
	"SCAN_ADDRESS_RANGE", "SCAN_DEL_PAGE_LRU", "SCAN_ALLOC_HUGE_PAGE_FAIL", "SCAN_CGROUP_CHARGE_FAIL",
	"SCAN_TRUNCATED", "SCAN_PAGE_HAS_PRIVATE", "SCAN_STORE_FAILED", "SCAN_COPY_MC", "SCAN_PAGE_FILLED",
};

void *kht_fixture_btf(enum kht_fixture which, unsigned *size)
{
	const char *const *names = which == KHT_FIX_612 ? r612 : r619;
	int n = which == KHT_FIX_612 ? 32 : 30;
	struct btf *btf = btf__new_empty();
	const void *raw;
	void *copy = NULL;
	__u32 sz;
	int id;

	if (!btf)
		return NULL;
	/* unrelated types first, as in a real vmlinux BTF */
	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	id = btf__add_enum(btf, "pageflags", 4);
	btf__add_enum_value(btf, "PG_locked", 0);
	id = btf__add_enum(btf, "scan_result", 4);
	for (int i = 0; id > 0 && i < n; i++)
		btf__add_enum_value(btf, names[i], i);
	raw = btf__raw_data(btf, &sz);
	if (raw && (copy = malloc(sz))) {
		memcpy(copy, raw, sz);
		*size = sz;
	}
	btf__free(btf);
	return copy;
}

void kht_fixture_enum(enum kht_fixture which, struct kht_enum *e)
{
	unsigned size;
	void *blob = kht_fixture_btf(which, &size);

	memset(e, 0, sizeof(*e));
	if (blob)
		kht_enum_from_blob(e, blob, size, "scan_result");
	free(blob);
}
