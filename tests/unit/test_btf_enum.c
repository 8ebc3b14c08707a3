// SPDX-License-Identifier: GPL-2.0
/* Result decoding from BTF blobs shaped like the real kernels' enum scan_result. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/btf.h>
#include "kht_test.h"
#include "lib/btf_enum.h"
#include "lib/event_fmt.h"
#include "btf_fixtures.h"

TEST(btf_enum_decodes_blob)
{
	struct kht_enum e;
	unsigned size;
	void *blob = kht_fixture_btf(KHT_FIX_612, &size);

	CHECK(blob);
	CHECK(kht_enum_from_blob(&e, blob, size, "scan_result") == 0);
	CHECK(e.n == 32);
	CHECK_STR(kht_enum_name(&e, 1), "SCAN_SUCCEED");
	CHECK_STR(kht_enum_name(&e, 31), "SCAN_PAGE_FILLED");
	CHECK(kht_enum_name(&e, 99) == NULL);
	free(blob);
}

TEST(btf_enum_missing_enum_is_enoent)
{
	struct kht_enum e;
	unsigned size;
	void *blob = kht_fixture_btf(KHT_FIX_612, &size);

	CHECK(kht_enum_from_blob(&e, blob, size, "no_such_enum") == -ENOENT);
	CHECK(e.n == 0);
	free(blob);
}

TEST(btf_enum_garbage_blob_fails)
{
	struct kht_enum e;
	char junk[64] = "definitely not BTF";

	CHECK(kht_enum_from_blob(&e, junk, sizeof(junk), "scan_result") < 0);
}

/* The same raw result code means different things on 6.12 and 6.19. */
TEST(btf_enum_versions_differ)
{
	struct kht_enum e612, e619;
	unsigned s1, s2;
	void *b1 = kht_fixture_btf(KHT_FIX_612, &s1), *b2 = kht_fixture_btf(KHT_FIX_619, &s2);
	long long v612, v619;
	char buf[48];

	CHECK(kht_enum_from_blob(&e612, b1, s1, "scan_result") == 0);
	CHECK(kht_enum_from_blob(&e619, b2, s2, "scan_result") == 0);
	CHECK(kht_enum_value(&e612, "SCAN_EXCEED_NONE_PTE", &v612));
	CHECK(kht_enum_value(&e619, "SCAN_EXCEED_NONE_PTE", &v619));
	CHECK(v612 == 5 && v619 == 4);
	CHECK_STR(kht_result_name(&e612, 4, buf, sizeof(buf)), "page_pmd_mapped");
	CHECK_STR(kht_result_name(&e619, 4, buf, sizeof(buf)), "exceed_none_pte");
	CHECK_STR(kht_result_name(&e619, 77, buf, sizeof(buf)), "result_77");
	CHECK_STR(kht_result_name(NULL, 1, buf, sizeof(buf)), "result_1");
	free(b1);
	free(b2);
}

TEST(btf_enum_short_names)
{
	char buf[16];

	kht_enum_short("SCAN_PAGE_FILLED", "SCAN_", buf, sizeof(buf));
	CHECK_STR(buf, "page_filled");
	kht_enum_short("OTHER_NAME", "SCAN_", buf, sizeof(buf));
	CHECK_STR(buf, "other_name");
	kht_enum_short("SCAN_A_VERY_LONG_RESULT_NAME", "SCAN_", buf, sizeof(buf));
	CHECK(strlen(buf) == sizeof(buf) - 1);
}

/* Spelled as the kernel's SCAN_STATUS table prints them (perf script), not as the enum. */
TEST(result_names_as_the_kernel_prints_them)
{
	struct kht_enum e612;
	unsigned s;
	void *b = kht_fixture_btf(KHT_FIX_612, &s);
	long long v;
	char buf[48];

	CHECK(kht_enum_from_blob(&e612, b, s, "scan_result") == 0);
	CHECK(kht_enum_value(&e612, "SCAN_FAIL", &v));
	CHECK_STR(kht_result_name(&e612, v, buf, sizeof(buf)), "failed");
	CHECK_STR(kht_result_enum(&e612, v), "SCAN_FAIL");
	CHECK(kht_enum_value(&e612, "SCAN_SUCCEED", &v));
	CHECK_STR(kht_result_name(&e612, v, buf, sizeof(buf)), "succeeded");
	CHECK(kht_enum_value(&e612, "SCAN_EXCEED_NONE_PTE", &v));
	CHECK_STR(kht_result_name(&e612, v, buf, sizeof(buf)), "exceed_none_pte");
	CHECK(kht_result_enum(&e612, 77) == NULL);
	CHECK(kht_result_enum(NULL, 1) == NULL);
	CHECK_STR(kht_result_printed("SCAN_CGROUP_CHARGE_FAIL", buf, sizeof(buf)),
		  "ccgroup_charge_failed");
	CHECK_STR(kht_result_printed("SCAN_COPY_MC", buf, sizeof(buf)), "copy_poisoned_page");
	CHECK_STR(kht_result_printed("SCAN_PAGE_RO", buf, sizeof(buf)), "no_writable_page");
	/* a newer kernel's name we do not know: the enum spelling */
	CHECK_STR(kht_result_printed("SCAN_NEW_THING", buf, sizeof(buf)), "new_thing");
	free(b);
}
