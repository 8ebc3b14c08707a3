// SPDX-License-Identifier: GPL-2.0
/*
 * The recorded-trace metadata and file header (tools/lib/tracefile_meta.c):
 * a round trip, and the headers a reader refuses (magic, cut, version,
 * hostile counts) or still reads (a newer minor).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "kht_test.h"
#include "tracefile_fixtures.h"

TEST(tf_meta_round_trip)
{
	static struct kht_tf_meta m, got;
	const char *path = tmp_path("meta.khtrace");
	const struct kht_enum *e;
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	char err[256] = "";

	test_meta(&m);
	CHECK(m.release[0]);
	CHECK(m.mono_base_ns > 0 && m.wall_base_ns > 1600000000LL * 1000000000LL);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w && !err[0]);
	CHECK(kht_tf_close(w, NULL) == 0);
	r = kht_tf_open(path, &got, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	CHECK(got.major == KHT_TF_MAJOR && got.minor == KHT_TF_MINOR);
	CHECK_STR(got.release, m.release);
	CHECK(got.mono_base_ns == m.mono_base_ns && got.wall_base_ns == m.wall_base_ns);
	CHECK(got.features == ~0ULL);
	CHECK(got.nhooks == 2);
	CHECK_STR(got.hooks[1].hook, "mm_khugepaged_scan_file");
	CHECK_STR(got.hooks[1].mode, "tp_btf");
	CHECK(got.nenums == 2 && got.cut == 0);
	e = kht_tf_meta_enum(&got, "scan_result");
	CHECK(e && e->n == 32);
	if (e) {
		CHECK_STR(kht_enum_name(e, 31), "SCAN_PAGE_FILLED");
		CHECK(!memcmp(e, &m.enums[0].e, sizeof(*e)));
	}
	e = kht_tf_meta_enum(&got, "pageflags");
	CHECK(e && e->n == 3 && e->val[1] == -5 && e->val[2] == LLONG_MAX);
	if (e)
		CHECK(strlen(e->name[2]) == KHT_ENUM_NAME_LEN - 1);
	CHECK(kht_tf_meta_enum(&got, "nope") == NULL);
	CHECK(kht_tf_wall_ns(&got, got.mono_base_ns + 1500) == got.wall_base_ns + 1500);
	CHECK(kht_tf_wall_ns(&got, got.mono_base_ns - 7) == got.wall_base_ns - 7);
	kht_tf_free(r);
	unlink(path);
}

/* ---- refusals ---- */

static void check_refused(const void *buf, size_t len, const char *want)
{
	static struct kht_tf_meta m;
	char err[256] = "";
	struct kht_tf_reader *r = kht_tf_open_mem(buf, len, &m, err, sizeof(err));

	CHECK(r == NULL);
	CHECK_CONTAINS(err, want);
	CHECK(strchr(err, '\n') == NULL && err[strlen(err) - 1] == '.');
	kht_tf_free(r);
}

TEST(tf_refuses_wrong_magic_and_empty)
{
	struct small s;

	small_file(&s);
	if (!s.buf)
		return;
	check_refused(s.buf, 0, "is empty");
	check_refused(NULL, 0, "is empty");
	check_refused(s.buf, 5, "cut off inside its file header");
	check_refused(s.buf, s.hdr_end - 1, "cut off inside its file header");
	check_refused("\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\0\0\0\0", 20, "not a khugetrace recording");
	check_refused("KHTRACE", 3, "cut off");	/* a prefix of the magic: a cut, not a stranger */
	s.buf[7] = 'X';
	check_refused(s.buf, s.len, "bad magic");
	free(s.buf);
}

TEST(tf_versions_major_refused_minor_read)
{
	struct small s;
	static unsigned char big[1 << 16];
	static struct kht_tf_meta m;
	unsigned char raw[64];
	unsigned expect[64];
	size_t hl, len, n;
	char err[256];

	small_file(&s);
	if (!s.buf)
		return;
	/* the next major: refused, naming the version */
	set_le(s.buf + 8, KHT_TF_MAJOR + 1, 2);
	set_le(s.buf + 10, 0, 2);
	reseal_header(s.buf);
	check_refused(s.buf, s.len, "3.0");
	check_refused(s.buf, s.len, "newer khugetrace");
	/* major 0 never existed: refused too */
	set_le(s.buf + 8, 0, 2);
	reseal_header(s.buf);
	check_refused(s.buf, s.len, "0.0");
	/* the 1.x header is the same: still read (and below, with a newer minor) */
	set_le(s.buf + 8, 1, 2);
	reseal_header(s.buf);

	/* minor 7: longer header, an unknown block kind, a longer trailer: all read */
	hl = s.hdr_end;
	memcpy(big, s.buf, hl - 4);
	memset(big + hl - 4, 0xab, 12);		/* a newer minor's header fields */
	len = hl - 4 + 12 + 4;
	set_le(big + 10, 7, 2);
	set_le(big + 12, len, 4);
	reseal_header(big);
	memcpy(big + len, s.buf + hl, s.blk_end[0] - hl);	/* block 0 */
	len += s.blk_end[0] - hl;
	memset(raw, 1, sizeof(raw));
	len += make_block(big + len, 77, 1, raw, sizeof(raw), 0);	/* unknown kind, seq 1 */
	n = s.blk_end[1] - s.blk_end[0];			/* block 1 as seq 2 */
	memcpy(big + len, s.buf + s.blk_end[0], n);
	set_le(big + len + 8, 2, 4);
	set_le(big + len + 28, crc32(0, big + len, 28), 4);
	len += n;
	memset(raw, 0, sizeof(raw));
	set_le(raw, 17, 8);					/* records */
	set_le(raw + 8, 3, 8);					/* drops */
	/* ntypes 0, ncpus 0, then 20 bytes of a newer minor */
	len += make_block(big + len, 2, 3, raw, 8 * 3 + 4 + 4 + 20, 0);
	{
		struct kht_tf_reader *r = kht_tf_open_mem(big, len, &m, err, sizeof(err));
		struct readout o;

		CHECK(r);
		if (!r)
			return;
		CHECK(m.major == 1 && m.minor == 7 && m.nenums == 2 && m.nhooks == 2);
		read_expect(r, expect, small_expect(&s, -1, 2, expect), &o);
		CHECK(o.rc == 0 && o.bad == 0 && o.n == 17);
		CHECK(o.st.unknown_blocks == 1 && !o.st.corrupt && !o.st.missing_blocks);
		CHECK(o.st.has_trailer && o.st.trailer->records == 17 && o.st.trailer->drops == 3);
		kht_tf_free(r);
	}
	free(s.buf);
}

/* Huge counts and lengths in a header that passes its CRC: refused, nothing allocated. */
TEST(tf_hostile_header)
{
	static unsigned char h[256];
	size_t n;

	/* header length field far past any limit */
	memcpy(h, "KHTRACE\0\1\0\0\0", 12);
	set_le(h + 12, 0xfffffff0u, 4);
	check_refused(h, sizeof(h), "damaged file header (length");
	set_le(h + 12, 3, 4);
	check_refused(h, sizeof(h), "damaged file header (length");

	/* each hostile count after valid fixed fields */
	for (int which = 0; which < 5; which++) {
		memset(h + 16, 0, sizeof(h) - 16);
		n = 16 + 24;
		if (which == 0) {		/* release string of 65535 bytes */
			set_le(h + n, 0xffff, 2);
			n += 2 + 20;
		} else {
			n += 2;			/* release "" */
			set_le(h + n, which == 1 ? 0xffff : 0, 2);	/* hooks */
			n += 2;
			set_le(h + n, which == 2 ? 0xffff : 1, 2);	/* enums */
			n += 2;
			if (which >= 3) {
				n += 2;		/* enum name "" */
				set_le(h + n, which == 3 ? 0xffffffffu : 1, 4);	/* values */
				n += 4 + 8;
				if (which == 4)
					set_le(h + n, 5000, 2);	/* value name > 4 KiB */
				n += 2;
			}
		}
		set_le(h + 12, n + 4, 4);
		reseal_header(h);
		check_refused(h, n + 4, "bad field");
	}
}
