// SPDX-License-Identifier: GPL-2.0
/*
 * What the recorded-trace tests share (tracefile_fixtures.h): temporary
 * paths, a small synthetic recording and its expected records, hand-made
 * blocks, and the full read a trailer peek must agree with.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "kht_test.h"
#include "btf_fixtures.h"
#include "tracefile_fixtures.h"

char tmpdir[64];

static void remove_tmpdir(void)
{
	rmdir(tmpdir);		/* the tests unlink their files */
}

/* A path in a per-run temporary directory (one of 4 rotating buffers). */
const char *tmp_path(const char *name)
{
	static char path[4][128];
	static int next;
	char *p = path[next++ % 4];

	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/kht-tf-XXXXXX");
		if (mkdtemp(tmpdir))
			atexit(remove_tmpdir);
		else
			strcpy(tmpdir, "/tmp");
	}
	snprintf(p, 128, "%s/%s", tmpdir, name);
	return p;
}

unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) == (size_t)n)
		*len = n;
	fclose(f);
	return buf;
}

void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

uint64_t le(const unsigned char *p, int size)
{
	uint64_t v = 0;

	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void set_le(unsigned char *p, uint64_t v, int size)
{
	for (int i = 0; i < size; i++, v >>= 8)
		p[i] = v & 0xff;
}

struct kht_tf_writer *test_writer(const char *path, struct kht_tf_meta *m)
{
	struct kht_tf_writer *w;
	char err[256];

	test_meta(m);
	w = kht_tf_create(path, m, err, sizeof(err));
	if (!w)
		fprintf(stderr, "  creating %s: %s\n", path, err);
	return w;
}

void test_meta(struct kht_tf_meta *m)
{
	static struct kht_enum e612, flags;

	kht_tf_meta_init(m);
	kht_tf_meta_add_hook(m, "collapse_file", "fentry");
	kht_tf_meta_add_hook(m, "mm_khugepaged_scan_file", "tp_btf");
	kht_fixture_enum(KHT_FIX_612, &e612);
	kht_tf_meta_add_enum(m, "scan_result", &e612);
	flags.n = 3;
	flags.val[0] = 0;
	flags.val[1] = -5;
	flags.val[2] = LLONG_MAX;
	strcpy(flags.name[0], "PG_locked");
	strcpy(flags.name[1], "PG_negative");
	memset(flags.name[2], 'X', KHT_ENUM_NAME_LEN - 1);	/* longest name that fits */
	kht_tf_meta_add_enum(m, "pageflags", &flags);
	m->features = ~0ULL;
}

/* A collapse event whose fields all derive from i. */
struct kht_collapse collapse_ev(unsigned i)
{
	struct kht_collapse ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.ts_ns = 1000000000ULL + i * 1000ULL;
	ev.hdr.type = KHT_EV_COLLAPSE;
	ev.hdr.size = sizeof(ev);
	ev.hdr.pid = i;
	ev.hdr.tid = i + 1;
	snprintf(ev.hdr.comm, KHT_COMM_LEN, "wl-%u", i % 1000);
	ev.duration_ns = i * 3;
	ev.ino = 100 + i % 7;
	ev.start_index = (i % 64) * 512ULL;
	ev.end_index = ev.start_index + 512;
	ev.result = (int)(i % 32) - 3;
	ev.nr = 512;
	ev.flags = KHT_F_HAVE_RESULT | KHT_F_SHMEM;
	ev.attach = KHT_MODE_FENTRY;
	snprintf(ev.name, KHT_NAME_LEN, "file-%u.bin", i % 13);
	return ev;
}

/*
 * Record i of the synthetic stream: every third an encoded collapse event,
 * the others types the reader does not know, with an i-dependent payload
 * whose first 4 bytes are i. *len <= 64.
 */
unsigned synth(unsigned i, unsigned char *buf, unsigned *len)
{
	if (i % 3 == 0) {
		struct kht_collapse ev = collapse_ev(i);

		*len = kht_tf_encode_event(&ev, buf, 512);
		return KHT_EV_COLLAPSE;
	}
	*len = 4 + (i * 7) % 40;
	set_le(buf, i, 4);
	for (unsigned k = 4; k < *len; k++)
		buf[k] = (i * 31 + k) & 0xff;
	return 1000 + i % 5;
}

/* Does a delivered record equal synthetic record i? */
int synth_eq(unsigned i, unsigned type, const void *data, unsigned len)
{
	unsigned char want[512];
	unsigned wlen, wtype = synth(i, want, &wlen);

	return type == wtype && len == wlen && !memcmp(data, want, len);
}

const unsigned small_counts[SMALL_BLOCKS] = { 10, 7, 13 };

/* A small file: header, 3 record blocks of 10/7/13 records, trailer. */
void small_file(struct small *s)
{
	const char *path = tmp_path("small.khtrace");
	static struct kht_tf_meta m;
	struct kht_tf_wstats ws;
	struct kht_tf_writer *w;
	unsigned i = 0;
	char err[256];

	memset(s, 0, sizeof(*s));
	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	kht_tf_writer_stats(w, &ws);
	s->hdr_end = ws.bytes_out;
	for (int b = 0; b < SMALL_BLOCKS; b++) {
		s->first[b] = i;
		for (unsigned k = 0; k < small_counts[b]; k++, i++) {
			unsigned char buf[512];
			unsigned len, type = synth(i, buf, &len);

			CHECK(kht_tf_write(w, type, buf, len) == 0);
		}
		CHECK(kht_tf_flush(w) == 0);
		kht_tf_writer_stats(w, &ws);
		s->blk_end[b] = ws.bytes_out;
	}
	s->first[SMALL_BLOCKS] = i;
	CHECK(kht_tf_close(w, NULL) == 0);
	s->buf = slurp(path, &s->len);
	CHECK(s->len > s->blk_end[SMALL_BLOCKS - 1]);
	unlink(path);
}

/* Read everything; every record must be synthetic record expect[k] in order. */
void read_expect(struct kht_tf_reader *r, const unsigned *expect, unsigned nexpect,
		 struct readout *o)
{
	const void *data;
	unsigned type, len;

	memset(o, 0, sizeof(*o));
	while ((o->rc = kht_tf_next(r, &type, &data, &len)) == 1) {
		if (o->n >= nexpect || !synth_eq(expect[o->n], type, data, len))
			o->bad++;
		o->n++;
	}
	kht_tf_stats(r, &o->st);
}

/* The records of the small file's blocks, except block `skip` (-1: none), up to block `upto`. */
unsigned small_expect(const struct small *s, int skip, int upto, unsigned *out)
{
	unsigned n = 0;

	for (int b = 0; b < upto; b++)
		for (unsigned i = s->first[b]; i < s->first[b + 1]; i++)
			if (b != skip)
				out[n++] = i;
	return n;
}

/* Build one block by hand, as docs/file-format.md describes it, at this zlib level. */
size_t make_block_at(unsigned char *out, unsigned kind, unsigned seq, const void *raw,
		     unsigned ulen, unsigned nrec, int level)
{
	uLongf clen = compressBound(ulen);

	compress2(out + 32, &clen, raw, ulen, level);
	memcpy(out, "KHTB", 4);
	set_le(out + 4, kind, 2);
	set_le(out + 6, 0, 2);
	set_le(out + 8, seq, 4);
	set_le(out + 12, ulen, 4);
	set_le(out + 16, clen, 4);
	set_le(out + 20, nrec, 4);
	set_le(out + 24, crc32(0, out + 32, clen), 4);
	set_le(out + 28, crc32(0, out, 28), 4);
	return 32 + clen;
}

size_t make_block(unsigned char *out, unsigned kind, unsigned seq, const void *raw,
		  unsigned ulen, unsigned nrec)
{
	return make_block_at(out, kind, seq, raw, ulen, nrec, 6);
}

/* Re-seal a file header after editing it in place. */
void reseal_header(unsigned char *buf)
{
	unsigned hlen = le(buf + 12, 4);

	set_le(buf + hlen - 4, crc32(0, buf, hlen - 4), 4);
}

/* The trailer a full read ends with: 1 (into *t), 0 none, -EINVAL refused. */
int full_trailer(const void *buf, size_t len, struct kht_tf_trailer *t)
{
	static struct kht_tf_meta m;
	struct kht_tf_reader *r = kht_tf_open_mem(buf, len, &m, NULL, 0);
	struct kht_tf_stats st;
	const void *data;
	unsigned type, rlen;

	if (!r)
		return -EINVAL;
	while (kht_tf_next(r, &type, &data, &rlen) == 1)
		;
	kht_tf_stats(r, &st);
	if (st.has_trailer)
		memcpy(t, st.trailer, sizeof(*t));
	kht_tf_free(r);
	return st.has_trailer;
}

/* Does the peek return what the full read ends with (and say why when it has none)? */
bool peek_agrees(const void *buf, size_t len, int *rc)
{
	static struct kht_tf_trailer full, peeked;
	char err[256] = "";
	int want = full_trailer(buf, len, &full);

	*rc = kht_tf_peek_trailer_mem(buf, len, &peeked, err, sizeof(err));
	if (*rc != want)
		return false;
	if (*rc < 1)
		return err[0] && memchr(err, 0, sizeof(err));
	return !memcmp(&full, &peeked, sizeof(full));
}
