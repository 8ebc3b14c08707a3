// SPDX-License-Identifier: GPL-2.0
/*
 * The recorded-trace writer (tools/lib/tracefile_write.c): many blocks and
 * the trailer's counts, record limits, the bytes docs/file-format.md
 * describes, and creating a file without leaving debris.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "kht_test.h"
#include "tracefile_fixtures.h"
#include "lib/event_fmt.h"	/* kht_win_batch_each, kht_tf_win_batch_each */

/* 100k events: many blocks, read back through the file window, counts in the trailer. */
TEST(tf_many_blocks)
{
	static struct kht_tf_meta m;
	static struct kht_tf_trailer t;
	const char *path = tmp_path("many.khtrace");
	const unsigned N = 100000;
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	struct kht_tf_wstats ws;
	struct kht_tf_stats st;
	unsigned type, len, n = 0, bad = 0;
	const void *data;
	char err[256];

	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	for (unsigned i = 0; i < N; i++) {
		struct kht_collapse ev = collapse_ev(i);

		if (kht_tf_write_event(w, &ev))
			bad++;
		if (i % 1000 == 0)
			kht_tf_write(w, 4242, &i, sizeof(i));
	}
	CHECK(bad == 0);
	CHECK(kht_tf_flush(w) == 0);
	kht_tf_writer_stats(w, &ws);
	CHECK(ws.records == N + N / 1000);
	CHECK(ws.blocks > 100);
	memset(&t, 0, sizeof(t));
	t.drops = 12345;
	t.ncpus = KHT_TF_MAX_CPUS;
	for (unsigned c = 0; c < t.ncpus; c++)
		t.drops_per_cpu[c] = c == 7 ? ~0ULL : c;
	t.end_mono_ns = 99;
	CHECK(kht_tf_close(w, &t) == 0);

	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		struct kht_collapse ev, want = collapse_ev(n);

		if (type == 4242)
			continue;
		if (kht_tf_decode_event(type, data, len, &ev, sizeof(ev)) != sizeof(ev) ||
		    memcmp(&ev, &want, offsetof(struct kht_collapse, name) + KHT_NAME_LEN))
			bad++;
		n++;
	}
	kht_tf_stats(r, &st);
	CHECK(n == N && bad == 0);
	CHECK(st.blocks == ws.blocks && st.records == N + N / 1000);
	CHECK(st.has_trailer && !st.truncated && !st.corrupt && !st.partial_bytes);
	CHECK(st.trailer && st.trailer->records == N + N / 1000 && st.trailer->drops == 12345);
	if (st.trailer) {
		CHECK(st.trailer->end_mono_ns == 99);
		CHECK(st.trailer->ntypes == 2);
		CHECK(st.trailer->types[0].type == KHT_EV_COLLAPSE &&
		      st.trailer->types[0].count == N);
		CHECK(st.trailer->types[1].type == 4242 && st.trailer->types[1].count == N / 1000);
		CHECK(st.trailer->ncpus == KHT_TF_MAX_CPUS);
		CHECK(st.trailer->drops_per_cpu[7] == ~0ULL && st.trailer->drops_per_cpu[4095] == 4095);
	}
	/* the peek finds the same trailer and inflates only it */
	{
		static struct kht_tf_trailer pt;
		unsigned long long before = kht_tf_inflate_count();

		memset(&pt, 0x5a, sizeof(pt));
		CHECK(kht_tf_peek_trailer(path, &pt, err, sizeof(err)) == 1);
		CHECK(kht_tf_inflate_count() - before == 1);
		CHECK(st.trailer && !memcmp(&pt, st.trailer, sizeof(pt)));
	}
	kht_tf_free(r);
	unlink(path);
}

/* A 64 KiB record (the largest) and the limits of kht_tf_write. */
TEST(tf_write_limits)
{
	static struct kht_tf_meta m;
	static unsigned char big[KHT_TF_MAX_RECORD + 1];
	const char *path = tmp_path("limits.khtrace");
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	unsigned type, len, n = 0;
	const void *data;
	char err[256];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	CHECK(kht_tf_write(w, 0, big, 1) == -EINVAL);
	CHECK(kht_tf_write(w, 5, big, KHT_TF_MAX_RECORD + 1) == -E2BIG);
	CHECK(kht_tf_write(w, 5, big, 3) == 0);
	CHECK(kht_tf_write(w, 6, big, KHT_TF_MAX_RECORD) == 0);
	CHECK(kht_tf_write(w, 7, big, KHT_TF_MAX_RECORD) == 0);
	CHECK(kht_tf_flush(w) == 0);
	CHECK(kht_tf_flush(w) == 0);	/* nothing pending: no empty block */
	CHECK(kht_tf_close(w, NULL) == 0);
	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		CHECK(type == 5 + n);
		CHECK(len == (n ? KHT_TF_MAX_RECORD : 3) && !memcmp(data, big, len));
		n++;
	}
	CHECK(n == 3);
	kht_tf_free(r);
	unlink(path);
}

/* ---- the documented layout ---- */

/* The writer's bytes are exactly what docs/file-format.md says, field by field. */
TEST(tf_layout_matches_doc)
{
	static struct kht_tf_meta m;
	const char *path = tmp_path("layout.khtrace");
	unsigned char rec[8 + 5], un[256], *buf, *p;
	struct kht_tf_writer *w;
	size_t len, off;
	uLongf ulen;
	char err[256];

	memset(&m, 0, sizeof(m));
	strcpy(m.release, "6.12.0");
	m.mono_base_ns = 0x0102030405060708ULL;
	m.wall_base_ns = -2;
	m.features = 0x55;
	kht_tf_meta_add_hook(&m, "h", "kprobe");
	m.enums[0].e.n = 1;
	m.enums[0].e.val[0] = 31;
	strcpy(m.enums[0].e.name[0], "SCAN_X");
	strcpy(m.enums[0].name, "scan_result");
	m.nenums = 1;
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	CHECK(kht_tf_write(w, 9, "hello", 5) == 0);
	CHECK(kht_tf_close(w, NULL) == 0);
	buf = slurp(path, &len);
	CHECK(buf && len > 100);
	if (!buf || len <= 100)
		return;

	/* file header */
	static const unsigned char want[] = {
		'K', 'H', 'T', 'R', 'A', 'C', 'E', 0, 2, 0, 1, 0, 0, 0, 0, 0,	/* 2.1, length at 12 */
		8, 7, 6, 5, 4, 3, 2, 1,  0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x55, 0, 0, 0, 0, 0, 0, 0,
		6, 0, '6', '.', '1', '2', '.', '0',
		1, 0, 1, 0, 'h', 6, 0, 'k', 'p', 'r', 'o', 'b', 'e',
		1, 0, 11, 0, 's', 'c', 'a', 'n', '_', 'r', 'e', 's', 'u', 'l', 't',
		1, 0, 0, 0, 31, 0, 0, 0, 0, 0, 0, 0, 6, 0, 'S', 'C', 'A', 'N', '_', 'X',
	};
	off = sizeof(want) + 4;
	CHECK(le(buf + 12, 4) == off);
	CHECK(!memcmp(buf, want, 12) && !memcmp(buf + 16, want + 16, sizeof(want) - 16));
	CHECK(le(buf + off - 4, 4) == crc32(0, buf, off - 4));

	/* block 0: one record */
	p = buf + off;
	CHECK(!memcmp(p, "KHTB", 4) && le(p + 4, 2) == 1 && le(p + 6, 2) == 0);
	CHECK(le(p + 8, 4) == 0 && le(p + 12, 4) == sizeof(rec) && le(p + 20, 4) == 1);
	CHECK(le(p + 24, 4) == crc32(0, p + 32, le(p + 16, 4)));
	CHECK(le(p + 28, 4) == crc32(0, p, 28));
	ulen = sizeof(un);
	CHECK(uncompress(un, &ulen, p + 32, le(p + 16, 4)) == Z_OK && ulen == sizeof(rec));
	set_le(rec, 9, 4);
	set_le(rec + 4, 5, 4);
	memcpy(rec + 8, "hello", 5);
	CHECK(!memcmp(un, rec, sizeof(rec)));
	off += 32 + le(p + 16, 4);

	/* block 1: the trailer, the last bytes of the file */
	p = buf + off;
	CHECK(!memcmp(p, "KHTB", 4) && le(p + 4, 2) == 2 && le(p + 8, 4) == 1 && le(p + 20, 4) == 0);
	CHECK(off + 32 + le(p + 16, 4) == len);
	ulen = sizeof(un);
	CHECK(uncompress(un, &ulen, p + 32, le(p + 16, 4)) == Z_OK);
	CHECK(ulen == 8 + 8 + 8 + 4 + 12 + 4);
	CHECK(le(un, 8) == 1 && le(un + 8, 8) == 0 && le(un + 16, 8) > 0);
	CHECK(le(un + 24, 4) == 1 && le(un + 28, 4) == 9 && le(un + 32, 8) == 1);
	CHECK(le(un + 40, 4) == 0);
	free(buf);
	unlink(path);
}

/* ---- creating ---- */

static int dir_entries(const char *dir)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

TEST(tf_create_failures_leave_nothing)
{
	static struct kht_tf_meta m;
	char err[256] = "", path[160];
	struct kht_tf_writer *w;
	int before;

	test_meta(&m);
	tmp_path("x");
	before = dir_entries(tmpdir);
	snprintf(path, sizeof(path), "%s/no/such/dir/out.khtrace", tmpdir);
	CHECK(kht_tf_create(path, &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "cannot create");
	CHECK_CONTAINS(err, "No such file");
	CHECK(kht_tf_create(tmpdir, &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is a directory");
	CHECK(dir_entries(tmpdir) == before);

	/* replacing an existing file: the old one stays until the new header is written */
	snprintf(path, sizeof(path), "%s/old.khtrace", tmpdir);
	spit(path, "old contents", 12);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (w)
		CHECK(kht_tf_close(w, NULL) == 0);
	{
		size_t len;
		unsigned char *buf = slurp(path, &len);
		struct stat st;

		CHECK(buf && len > 12 && !memcmp(buf, "KHTRACE", 8));
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
		free(buf);
	}
	CHECK(dir_entries(tmpdir) == before + 1);	/* no temporary left behind */
	unlink(path);

	/* a device is written in place */
	w = kht_tf_create("/dev/null", &m, err, sizeof(err));
	CHECK(w);
	if (w) {
		CHECK(kht_tf_write(w, 1, "x", 1) == 0);
		CHECK(kht_tf_close(w, NULL) == 0);
	}
}

/* Collect windows in order (kht_win_batch_each / kht_tf_win_batch_each). */
struct win_list {
	struct kht_lock_window w[4096];
	unsigned n;
};

static int collect_window(void *ctx, const struct kht_lock_window *w)
{
	struct win_list *l = ctx;

	if (l->n >= sizeof(l->w) / sizeof(l->w[0]))
		return -1;
	l->w[l->n++] = *w;
	return 0;
}

/*
 * Lock-window batches (2.1): what the file gives back is the windows the
 * session would have expanded from the BPF records, field for field, in
 * order; every count from 1 to 16, values from 0 to the members' largest;
 * the writer counts records and events apart; a batch whose n is out of
 * range is refused whole, and a payload that does not decode is -EINVAL.
 */
TEST(tf_window_batches)
{
	static struct kht_tf_meta m;
	static struct win_list want, got;
	const char *path = tmp_path("batches.khtrace");
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	unsigned type, len, records = 0, bad = 0, nbatch = 0, nev = 0;
	struct kht_tf_writer *w = test_writer(path, &m);
	struct kht_tf_reader *r;
	struct kht_tf_wstats ws;
	const void *data;
	char err[256];

	CHECK(w);
	if (!w)
		return;
	memset(&want, 0, sizeof(want));
	for (unsigned i = 0; i < 200; i++) {
		struct kht_win_batch b;
		struct kht_collapse c = collapse_ev(i);

		memset(&b, 0, sizeof(b));
		b.hdr.type = KHT_WIRE_LOCK_WINDOWS;
		b.hdr.size = sizeof(b);
		b.hdr.pid = 100 + i;
		b.hdr.tid = 200 + i;
		snprintf(b.hdr.comm, sizeof(b.hdr.comm), i % 3 ? "khugepaged" : "qemu-system-x86_");
		b.file = (struct kht_fileref){ .ino = 12345 + i, .index = 512ULL * i, .dev = 27,
					       .gen = i % 5 ? i : ~0u };
		b.n = i % KHT_WIN_BATCH + 1;
		for (unsigned k = 0; k < b.n; k++) {
			struct kht_win_entry *e = &b.w[k];

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			e->start_ns = i == 7 ? ~0ULL - 5 : 1000000000ULL * i + 1000 * k + (seed >> 50);
			e->hold_ns = i == 7 ? 5 : seed >> (40 + k % 24);
			e->window = i * 16 + k + 1;
			e->slot = seed >> 60;
			e->uptodate = (seed >> 33) & 1;
			e->readers = i == 9 ? 65535 : (seed >> 20) & 0xff;
		}
		b.hdr.ts_ns = b.w[b.n - 1].start_ns + b.w[b.n - 1].hold_ns;
		CHECK(kht_win_batch_each(&b, sizeof(b), collect_window, &want) == 0);
		bad += kht_tf_write_win_batch(w, &b) != 0;
		nbatch++;
		nev += b.n;
		if (i % 10 == 9) {	/* its collapse after its windows, as live */
			bad += kht_tf_write_event(w, &c) != 0;
			nev++;
		}
	}
	CHECK(bad == 0);
	{
		struct kht_win_batch b0 = { .hdr = { .type = KHT_WIRE_LOCK_WINDOWS } };

		b0.n = 0;
		CHECK(kht_tf_write_win_batch(w, &b0) == -EINVAL);
		b0.n = KHT_WIN_BATCH + 1;
		CHECK(kht_tf_write_win_batch(w, &b0) == -EINVAL);
	}
	kht_tf_writer_stats(w, &ws);
	CHECK(ws.records == nbatch + nbatch / 10 && ws.events == nev);
	CHECK(kht_tf_close_stats(w, NULL, &ws) == 0);
	CHECK(ws.records_out == ws.records && ws.events_out == nev);

	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	CHECK(m.major == KHT_TF_MAJOR && m.minor == 1);
	memset(&got, 0, sizeof(got));
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		records++;
		if (type == KHT_TF_WIN_BATCH) {
			bad += kht_tf_win_batch_each(data, len, collect_window, &got) != 0;
			/* cut inside the header: nothing decodes, no window comes */
			bad += kht_tf_win_batch_each(data, 5, collect_window, &got) != -EINVAL;
		} else {
			bad += type != (KHT_EV_COLLAPSE | KHT_TF_PACKED);
		}
	}
	CHECK(bad == 0);
	CHECK(records == nbatch + nbatch / 10);
	CHECK(got.n == want.n && want.n == nev - nbatch / 10);
	CHECK(!memcmp(got.w, want.w, want.n * sizeof(want.w[0])));
	kht_tf_free(r);
	unlink(path);
}
