/* SPDX-License-Identifier: GPL-2.0 */
/* BTF blobs built in memory, shaped like the kernels' enum scan_result. */
#ifndef KHT_BTF_FIXTURES_H
#define KHT_BTF_FIXTURES_H

#include "lib/btf_enum.h"

enum kht_fixture { KHT_FIX_612, KHT_FIX_619 };

/* malloc'd raw BTF (free it), or NULL */
void *kht_fixture_btf(enum kht_fixture which, unsigned *size);
/* The same table, decoded: what the formatting tests use. */
void kht_fixture_enum(enum kht_fixture which, struct kht_enum *e);

#endif
