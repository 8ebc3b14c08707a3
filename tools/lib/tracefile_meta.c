// SPDX-License-Identifier: GPL-2.0
/*
 * The metadata a recording carries (kernel release, clock bases, hooks and
 * modes, enum tables), and the file header that stores it: written in one
 * piece and CRC-sealed, parsed back within the KHT_TF_MAX_* limits.
 * docs/file-format.md "File header" is the specification.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include "tracefile_internal.h"

/* ---- metadata ---- */

void kht_tf_meta_init(struct kht_tf_meta *m)
{
	struct utsname u;
	long long best = -1;

	memset(m, 0, sizeof(*m));
	m->major = KHT_TF_MAJOR;
	m->minor = KHT_TF_MINOR;
	if (uname(&u) == 0)
		copy_str(m->release, sizeof(m->release), u.release);
	/*
	 * "The same moment": read REALTIME between two MONOTONIC reads and take
	 * their midpoint; keep the tightest of a few tries (a preemption between
	 * the reads would otherwise skew the mapping by the time slice).
	 */
	for (int i = 0; i < 5; i++) {
		struct timespec a, w, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		clock_gettime(CLOCK_REALTIME, &w);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (best < 0 || ts_ns(&b) - ts_ns(&a) < best) {
			best = ts_ns(&b) - ts_ns(&a);
			m->mono_base_ns = ts_ns(&a) + best / 2;
			m->wall_base_ns = ts_ns(&w);
		}
	}
}

int kht_tf_meta_add_hook(struct kht_tf_meta *m, const char *hook, const char *mode)
{
	if (m->nhooks < 0 || m->nhooks >= KHT_TF_MAX_HOOKS)
		return -ENOSPC;
	copy_str(m->hooks[m->nhooks].hook, KHT_TF_HOOK_LEN, hook);
	copy_str(m->hooks[m->nhooks].mode, KHT_TF_MODE_LEN, mode);
	m->nhooks++;
	return 0;
}

int kht_tf_meta_add_enum(struct kht_tf_meta *m, const char *name, const struct kht_enum *e)
{
	if (m->nenums < 0 || m->nenums >= KHT_TF_MAX_ENUMS)
		return -ENOSPC;
	copy_str(m->enums[m->nenums].name, KHT_TF_ENUM_NAME_LEN, name);
	m->enums[m->nenums].e = *e;
	m->nenums++;
	return 0;
}

const struct kht_enum *kht_tf_meta_enum(const struct kht_tf_meta *m, const char *name)
{
	for (int i = 0; i < m->nenums && i < KHT_TF_MAX_ENUMS; i++)
		if (!strncmp(m->enums[i].name, name, KHT_TF_ENUM_NAME_LEN))
			return &m->enums[i].e;
	return NULL;
}

long long kht_tf_wall_ns(const struct kht_tf_meta *m, unsigned long long mono_ns)
{
	return m->wall_base_ns + (long long)(mono_ns - m->mono_base_ns);
}

/* ---- file header ---- */

static int clamp(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

/* The whole header, CRC included; b->len is its size (count-only when cap is 0). */
void kht_tf_put_header(struct wbuf *b, const struct kht_tf_meta *m)
{
	int nhooks = clamp(m->nhooks, KHT_TF_MAX_HOOKS);
	int nenums = clamp(m->nenums, KHT_TF_MAX_ENUMS);

	put_bytes(b, file_magic, sizeof(file_magic));
	put_le(b, KHT_TF_MAJOR, 2);
	put_le(b, KHT_TF_MINOR, 2);
	put_le(b, 0, 4);		/* header length, patched below */
	put_le(b, m->mono_base_ns, 8);
	put_le(b, m->wall_base_ns, 8);
	put_le(b, m->features, 8);
	put_str(b, m->release, sizeof(m->release));
	put_le(b, nhooks, 2);
	for (int i = 0; i < nhooks; i++) {
		put_str(b, m->hooks[i].hook, KHT_TF_HOOK_LEN);
		put_str(b, m->hooks[i].mode, KHT_TF_MODE_LEN);
	}
	put_le(b, nenums, 2);
	for (int i = 0; i < nenums; i++) {
		const struct kht_enum *e = &m->enums[i].e;
		int n = clamp(e->n, KHT_ENUM_MAX);

		put_str(b, m->enums[i].name, KHT_TF_ENUM_NAME_LEN);
		put_le(b, n, 4);
		for (int j = 0; j < n; j++) {
			put_le(b, e->val[j], 8);
			put_str(b, e->name[j], KHT_ENUM_NAME_LEN);
		}
	}
	if (b->len + 4 <= b->cap) {
		set_le(b->p + 12, b->len + 4, 4);
		put_le(b, crc(b->p, b->len), 4);
	} else {
		b->len += 4;
	}
}

static void get_enum(struct rbuf *c, struct kht_tf_meta *m, bool keep)
{
	struct kht_tf_named_enum *ne = &m->enums[m->nenums];
	char name[KHT_TF_ENUM_NAME_LEN] = "";
	unsigned n;

	get_str(c, name, sizeof(name), &m->cut);
	n = get(c, 4);
	if (n > KHT_TF_MAX_ENUM_VALS)
		c->bad = true;
	if (keep) {
		memset(ne, 0, sizeof(*ne));
		memcpy(ne->name, name, sizeof(name));
	}
	for (unsigned j = 0; j < n && !c->bad; j++) {
		long long val = get(c, 8);
		char vname[KHT_ENUM_NAME_LEN] = "";	/* zeroed: the table is copied whole */

		get_str(c, vname, sizeof(vname), &m->cut);
		if (!keep)
			continue;
		if (ne->e.n >= KHT_ENUM_MAX) {
			m->cut++;
			continue;
		}
		ne->e.val[ne->e.n] = val;
		memcpy(ne->e.name[ne->e.n], vname, sizeof(vname));
		ne->e.n++;
	}
	if (keep)
		m->nenums++;
	else
		m->cut++;
}

/* The body after the prefix; false if a field is missing or over a limit. */
bool kht_tf_parse_header(const unsigned char *p, size_t len, struct kht_tf_meta *m)
{
	struct rbuf c = { p, len - 4, PREFIX_LEN, false };
	unsigned n;

	m->mono_base_ns = get(&c, 8);
	m->wall_base_ns = get(&c, 8);
	m->features = get(&c, 8);
	get_str(&c, m->release, sizeof(m->release), &m->cut);
	n = get(&c, 2);
	if (n > KHT_TF_MAX_FILE_HOOKS)
		return false;
	for (unsigned i = 0; i < n && !c.bad; i++) {
		struct kht_tf_hook h;

		get_str(&c, h.hook, sizeof(h.hook), &m->cut);
		get_str(&c, h.mode, sizeof(h.mode), &m->cut);
		if (m->nhooks < KHT_TF_MAX_HOOKS)
			m->hooks[m->nhooks++] = h;
		else
			m->cut++;
	}
	n = get(&c, 2);
	if (n > KHT_TF_MAX_FILE_ENUMS)
		return false;
	for (unsigned i = 0; i < n && !c.bad; i++)
		get_enum(&c, m, m->nenums < KHT_TF_MAX_ENUMS);
	/* bytes after the known fields: a newer minor version's additions */
	return !c.bad;
}
