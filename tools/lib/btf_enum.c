// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "btf_enum.h"

static void add(struct kht_enum *e, const char *name, long long val)
{
	if (e->n >= KHT_ENUM_MAX)
		return;
	e->val[e->n] = val;
	snprintf(e->name[e->n], KHT_ENUM_NAME_LEN, "%s", name);
	e->n++;
}

int kht_enum_from_btf(struct kht_enum *e, const struct btf *btf, const char *enum_name)
{
	int n = btf__type_cnt(btf);

	memset(e, 0, sizeof(*e));
	for (int id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!btf_is_any_enum(t) || strcmp(btf__name_by_offset(btf, t->name_off), enum_name))
			continue;
		if (btf_is_enum(t)) {
			const struct btf_enum *v = btf_enum(t);

			for (int i = 0; i < btf_vlen(t); i++, v++)
				add(e, btf__name_by_offset(btf, v->name_off), v->val);
		} else {
			const struct btf_enum64 *v = btf_enum64(t);

			for (int i = 0; i < btf_vlen(t); i++, v++)
				add(e, btf__name_by_offset(btf, v->name_off),
				    (long long)btf_enum64_value(v));
		}
		return 0;
	}
	return -ENOENT;
}

/* From a BTF this call loaded (NULL: the load failed, errno says why), which it frees. */
static int enum_from_loaded(struct kht_enum *e, struct btf *btf, const char *enum_name)
{
	int err;

	if (!btf)
		return -errno;
	err = kht_enum_from_btf(e, btf, enum_name);
	btf__free(btf);
	return err;
}

int kht_enum_from_blob(struct kht_enum *e, const void *data, unsigned size, const char *enum_name)
{
	return enum_from_loaded(e, btf__new(data, size), enum_name);
}

int kht_enum_from_vmlinux(struct kht_enum *e, const char *enum_name)
{
	return enum_from_loaded(e, btf__load_vmlinux_btf(), enum_name);
}

const char *kht_enum_name(const struct kht_enum *e, long long val)
{
	for (int i = 0; i < e->n; i++)
		if (e->val[i] == val)
			return e->name[i];
	return NULL;
}

bool kht_enum_value(const struct kht_enum *e, const char *name, long long *val)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->name[i], name)) {
			*val = e->val[i];
			return true;
		}
	return false;
}

void kht_enum_short(const char *name, const char *prefix, char *out, int len)
{
	size_t pl = strlen(prefix);
	int i = 0;

	if (!strncmp(name, prefix, pl))
		name += pl;
	for (; name[i] && i < len - 1; i++)
		out[i] = tolower((unsigned char)name[i]);
	out[i] = '\0';
}
