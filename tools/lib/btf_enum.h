/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Enum value <-> name tables read from BTF. `enum scan_result` is renumbered
 * between kernel versions (6.12 adds SCAN_PAGE_FILLED, 6.18 drops
 * SCAN_PAGE_RO, 6.19 merges the PMD results), so result codes are only ever
 * decoded with the table of the kernel that produced them.
 */
#ifndef KHT_BTF_ENUM_H
#define KHT_BTF_ENUM_H

#include <stdbool.h>

#define KHT_ENUM_MAX 128
#define KHT_ENUM_NAME_LEN 40

struct kht_enum {
	int n;
	long long val[KHT_ENUM_MAX];
	char name[KHT_ENUM_MAX][KHT_ENUM_NAME_LEN];
};

struct btf;

/* 0, or -ENOENT if the enum is not in this BTF. */
int kht_enum_from_btf(struct kht_enum *e, const struct btf *btf, const char *enum_name);
/* Same, from a raw BTF blob (e.g. /sys/kernel/btf/vmlinux contents). */
int kht_enum_from_blob(struct kht_enum *e, const void *data, unsigned size, const char *enum_name);
/* Same, from the running kernel's BTF. */
int kht_enum_from_vmlinux(struct kht_enum *e, const char *enum_name);
/* Name of a value, or NULL. */
const char *kht_enum_name(const struct kht_enum *e, long long val);
bool kht_enum_value(const struct kht_enum *e, const char *name, long long *val);
/* "SCAN_PAGE_FILLED" -> "page_filled": the user-facing spelling. */
void kht_enum_short(const char *name, const char *prefix, char *out, int len);

#endif
