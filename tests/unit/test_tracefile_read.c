// SPDX-License-Identifier: GPL-2.0
/*
 * The recorded-trace reader on damaged files (tools/lib/tracefile_read.c):
 * cut at every byte, every bit flipped, random garbage, resync in a large
 * file, hostile blocks, paths it refuses, and damage at disk speed (zero
 * runs scanned once, zlib bombs refused unread).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "kht_test.h"
#include "tracefile_fixtures.h"

/* ---- damaged files ---- */

/* Cut at every byte: all complete blocks before the cut, nothing else, the loss reported. */
TEST(tf_truncated_at_every_byte)
{
	struct small s;
	unsigned expect[64];
	unsigned failures = 0;

	small_file(&s);
	if (!s.buf)
		return;
	for (size_t cut = 0; cut <= s.len; cut++) {
		static struct kht_tf_meta m;
		struct kht_tf_reader *r;
		struct readout o;
		char err[256] = "";
		int complete = 0;
		size_t last_end = s.hdr_end;
		unsigned n;

		r = kht_tf_open_mem(s.buf, cut, &m, err, sizeof(err));
		if (cut < s.hdr_end) {
			if (r || !err[0])
				failures++;
			kht_tf_free(r);
			continue;
		}
		if (!r) {
			failures++;
			continue;
		}
		while (complete < SMALL_BLOCKS && s.blk_end[complete] <= cut)
			last_end = s.blk_end[complete++];
		n = small_expect(&s, -1, complete, expect);
		read_expect(r, expect, n, &o);
		if (o.rc != 0 || o.n != n || o.bad || o.st.corrupt || o.st.missing_blocks)
			failures++;
		if (cut == s.len) {
			if (!o.st.has_trailer || o.st.truncated || o.st.partial_bytes)
				failures++;
		} else if (o.st.has_trailer || !o.st.truncated || o.st.partial_bytes != cut - last_end) {
			failures++;
		}
		kht_tf_free(r);
	}
	if (failures)
		fprintf(stderr, "  %u of %zu cuts misread\n", failures, s.len + 1);
	CHECK(failures == 0);
	free(s.buf);
}

/* Flip every bit: the header refuses to open, a block is skipped whole, the rest is read. */
TEST(tf_every_bit_flipped)
{
	struct small s;
	unsigned expect[64], failures = 0, flips = 0;
	unsigned char *copy;

	small_file(&s);
	if (!s.buf)
		return;
	copy = malloc(s.len);
	for (size_t pos = 0; pos < s.len; pos++) {
		for (int bit = 0; bit < 8; bit++) {
			static struct kht_tf_meta m;
			struct kht_tf_reader *r;
			struct readout o;
			char err[256] = "";
			int hit = -1;
			unsigned n;

			memcpy(copy, s.buf, s.len);
			copy[pos] ^= 1u << bit;
			flips++;
			r = kht_tf_open_mem(copy, s.len, &m, err, sizeof(err));
			if (pos < s.hdr_end) {
				if (r || !err[0])
					failures++;
				kht_tf_free(r);
				continue;
			}
			if (!r) {
				failures++;
				continue;
			}
			for (int b = 0; b < SMALL_BLOCKS; b++)
				if (pos < s.blk_end[b] && hit < 0)
					hit = b;
			n = small_expect(&s, hit, SMALL_BLOCKS, expect);
			read_expect(r, expect, n, &o);
			if (o.rc != 0 || o.n != n || o.bad || o.st.corrupt < 1 || !o.st.warning[0])
				failures++;
			/* the trailer is damaged (not cut): the loss is reported all the same */
			if (hit < 0 && (o.st.has_trailer || !o.st.truncated))
				failures++;
			if (hit >= 0 && (!o.st.has_trailer || o.st.missing_blocks != 1))
				failures++;
			kht_tf_free(r);
		}
	}
	if (failures)
		fprintf(stderr, "  %u of %u bit flips misread\n", failures, flips);
	CHECK(failures == 0 && flips == s.len * 8);
	free(copy);
	free(s.buf);
}

/* Random garbage runs: never a record that was not written, never out of order. */
TEST(tf_random_garbage)
{
	struct small s;
	unsigned failures = 0, opened = 0, damaged = 0;
	unsigned char *copy;
	unsigned seed = 12345;

	small_file(&s);
	if (!s.buf)
		return;
	copy = malloc(s.len);
	for (int iter = 0; iter < 4000; iter++) {
		static struct kht_tf_meta m;
		struct kht_tf_reader *r;
		const void *data;
		unsigned type, len, prev = 0, n = 0;
		char err[256] = "";
		size_t pos, run;
		struct kht_tf_stats st;
		int rc;

		memcpy(copy, s.buf, s.len);
		/* mostly after the header (a damaged header is simply refused) */
		if (iter % 4)
			pos = s.hdr_end + rand_r(&seed) % (s.len - s.hdr_end);
		else
			pos = rand_r(&seed) % s.len;
		run = 1 + rand_r(&seed) % 64;
		for (size_t k = pos; k < pos + run && k < s.len; k++)
			copy[k] = rand_r(&seed);
		if (!memcmp(copy, s.buf, s.len))
			continue;
		r = kht_tf_open_mem(copy, s.len, &m, err, sizeof(err));
		if (!r) {
			if (!err[0] || pos >= s.hdr_end)
				failures++;
			continue;
		}
		opened++;
		while ((rc = kht_tf_next(r, &type, &data, &len)) == 1) {
			unsigned i = len >= 4 ? le(data, 4) : ~0u;

			if (type == KHT_EV_COLLAPSE && len >= 20)
				i = le((const unsigned char *)data + 16, 4);	/* hdr.pid */
			if (i >= s.first[SMALL_BLOCKS] || (n && i <= prev) || !synth_eq(i, type, data, len))
				failures++;
			prev = i;
			n++;
		}
		kht_tf_stats(r, &st);
		damaged += st.corrupt > 0;
		if (rc != 0 || !st.corrupt)
			failures++;
		kht_tf_free(r);
	}
	if (failures || opened < 3000 || damaged != opened)
		fprintf(stderr, "  %u failures, %u opened, %u damaged\n", failures, opened, damaged);
	CHECK(failures == 0);
	CHECK(opened >= 3000 && damaged == opened);
	free(copy);
	free(s.buf);
}

/* A damaged block in the middle of a large file: resync across the file window. */
TEST(tf_resync_in_large_file)
{
	static struct kht_tf_meta m;
	const char *path = tmp_path("resync.khtrace");
	struct kht_tf_writer *w;
	struct kht_tf_reader *r;
	struct kht_tf_stats st;
	unsigned char buf[256], *file;
	unsigned type, len, n = 0, bad = 0, prev = 0;
	const void *data;
	size_t flen, bpos[4000];
	unsigned nb = 0;
	char err[256];

	test_meta(&m);
	w = kht_tf_create(path, &m, err, sizeof(err));
	CHECK(w);
	if (!w)
		return;
	/* incompressible-ish payloads so the file is several windows long */
	for (unsigned i = 0; i < 30000; i++) {
		unsigned seed = i;

		set_le(buf, i, 4);
		for (int k = 4; k < 200; k++)
			buf[k] = rand_r(&seed);
		kht_tf_write(w, 3000, buf, 200);
		if (i % 100 == 99) {
			struct kht_tf_wstats ws;

			kht_tf_writer_stats(w, &ws);
			kht_tf_flush(w);
			if (nb < 4000)
				bpos[nb++] = ws.bytes_out;	/* where the block just flushed starts */
		}
	}
	CHECK(kht_tf_close(w, NULL) == 0);
	file = slurp(path, &flen);
	CHECK(flen > 4u << 20 && nb == 300);
	/* smash the headers of blocks 150..151 and the payload of block 200 */
	memset(file + bpos[150] + 4, 0xee, 40);
	memset(file + bpos[151], 0, 16);
	file[bpos[200] + 100] ^= 0x10;
	spit(path, file, flen);
	r = kht_tf_open(path, &m, err, sizeof(err));
	CHECK(r);
	if (!r)
		return;
	while (kht_tf_next(r, &type, &data, &len) == 1) {
		unsigned i = le(data, 4);

		if (type != 3000 || len != 200 || (n && i <= prev))
			bad++;
		prev = i;
		n++;
	}
	kht_tf_stats(r, &st);
	CHECK(bad == 0);
	CHECK(n == 30000 - 300);
	CHECK(st.corrupt == 2 && st.missing_blocks == 3 && st.has_trailer);
	CHECK_CONTAINS(st.warning, "payload CRC");
	{
		static struct kht_tf_trailer pt;
		unsigned long long before = kht_tf_inflate_count();

		CHECK(kht_tf_peek_trailer(path, &pt, err, sizeof(err)) == 1);
		CHECK(kht_tf_inflate_count() - before == 1);
		CHECK(st.trailer && !memcmp(&pt, st.trailer, sizeof(pt)));
		CHECK(pt.records == 30000);
	}
	kht_tf_free(r);
	free(file);
	unlink(path);
}

/* The file reader sees what the memory reader sees on a cut-off file. */
TEST(tf_file_reader_truncated)
{
	struct small s;
	const char *path = tmp_path("cut.khtrace");
	unsigned expect[64];

	small_file(&s);
	if (!s.buf)
		return;
	for (int b = 0; b < SMALL_BLOCKS; b++) {
		static struct kht_tf_meta m;
		struct kht_tf_reader *r;
		struct readout o;
		size_t cut = s.blk_end[b] + 5;
		char err[256];

		spit(path, s.buf, cut);
		r = kht_tf_open(path, &m, err, sizeof(err));
		CHECK(r);
		if (!r)
			continue;
		read_expect(r, expect, small_expect(&s, -1, b + 1, expect), &o);
		CHECK(o.rc == 0 && o.bad == 0 && o.n == s.first[b + 1]);
		CHECK(o.st.truncated && !o.st.has_trailer && o.st.partial_bytes == 5);
		kht_tf_free(r);
	}
	unlink(path);
	free(s.buf);
}

/* Hand-made blocks that pass their CRCs but lie inside. */
TEST(tf_hostile_blocks)
{
	struct small s;
	static unsigned char file[1 << 16], raw[256];
	static struct kht_tf_meta m;
	unsigned expect[64];
	size_t len, n;
	unsigned seq = 0;

	small_file(&s);
	if (!s.buf)
		return;
	len = s.hdr_end;
	memcpy(file, s.buf, len);
	/* 1: record length past the block */
	set_le(raw, 1000, 4);
	set_le(raw + 4, 0xfffffff0u, 4);
	len += make_block(file + len, 1, seq++, raw, 16, 1);
	/* 2: record count disagrees */
	set_le(raw + 4, 8, 4);
	len += make_block(file + len, 1, seq++, raw, 16, 2);
	/* 3: claims 1 MiB uncompressed, holds 16 bytes */
	n = make_block(file + len, 1, seq++, raw, 16, 1);
	set_le(file + len + 12, 1u << 20, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n;
	/* 4: lengths over the limits, header CRC valid: treated as a damaged header */
	n = make_block(file + len, 1, seq++, raw, 16, 1);
	set_le(file + len + 12, 0xffffffffu, 4);
	set_le(file + len + 16, 0xffffffffu, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n;
	/* 5: not zlib data at all */
	n = make_block(file + len, 1, seq++, raw, 16, 1);
	memset(file + len + 32, 0x5a, n - 32);
	set_le(file + len + 24, crc32(0, file + len + 32, n - 32), 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n;
	/* 6: valid zlib stream followed by junk inside the payload */
	n = make_block(file + len, 1, seq++, raw, 16, 1);	/* one 8-byte record: fine */
	memcpy(file + len + n, "junk", 4);
	set_le(file + len + 16, n - 32 + 4, 4);
	set_le(file + len + 24, crc32(0, file + len + 32, n - 32 + 4), 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += n + 4;
	/* then the real block 0, renumbered */
	{
		size_t b0 = s.hdr_end, b0len = s.blk_end[0] - b0;

		memcpy(file + len, s.buf + b0, b0len);
		set_le(file + len + 8, seq++, 4);
		set_le(file + len + 28, crc32(0, file + len, 28), 4);
		len += b0len;
	}
	{
		struct kht_tf_reader *r;
		struct readout o;
		char err[256];

		r = kht_tf_open_mem(file, len, &m, err, sizeof(err));
		CHECK(r);
		if (r) {
			read_expect(r, expect, small_expect(&s, -1, 1, expect), &o);
			CHECK(o.rc == 0 && o.bad == 0 && o.n == small_counts[0]);
			CHECK(o.st.corrupt == 6 && o.st.blocks == 1 && o.st.missing_blocks == 6);
			CHECK(o.st.truncated && !o.st.partial_bytes);
			kht_tf_free(r);
		}
	}
	free(s.buf);
}

/* ---- refusals ---- */

TEST(tf_refuses_paths)
{
	static struct kht_tf_meta m;
	char err[256] = "";
	const char *fifo = tmp_path("fifo");

	CHECK(kht_tf_open(tmp_path("does-not-exist"), &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "cannot open");
	CHECK_CONTAINS(err, "No such file");
	CHECK(kht_tf_open(tmpdir, &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is a directory");
	unlink(fifo);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(kht_tf_open(fifo, &m, err, sizeof(err)) == NULL);	/* must not hang */
	CHECK_CONTAINS(err, "not a regular file");
	unlink(fifo);
	spit(tmp_path("empty"), "", 0);
	CHECK(kht_tf_open(tmp_path("empty"), &m, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is empty.");
	unlink(tmp_path("empty"));
}

/* ---- damage at disk speed: one pass, fast scans, bounded inflate ---- */

/* The small file with n bytes of fill inserted where block `at` starts (its length). */
static size_t insert_fill(const struct small *s, int at, const unsigned char *fill, size_t n,
			  unsigned char **out)
{
	size_t where = at ? s->blk_end[at - 1] : s->hdr_end;

	*out = malloc(s->len + n);
	if (!*out)
		return 0;
	memcpy(*out, s->buf, where);
	memcpy(*out + where, fill, n);
	memcpy(*out + where + n, s->buf + where, s->len - where);
	return s->len + n;
}

static bool stats_equal(const struct kht_tf_stats *a, const struct kht_tf_stats *b)
{
	return a->blocks == b->blocks && a->records == b->records && a->corrupt == b->corrupt &&
	       a->skipped_bytes == b->skipped_bytes && a->missing_blocks == b->missing_blocks &&
	       a->unknown_blocks == b->unknown_blocks && a->partial_bytes == b->partial_bytes &&
	       a->truncated == b->truncated && a->has_trailer == b->has_trailer &&
	       !strcmp(a->warning, b->warning);
}

/* Open a buffer, or (path set) the file holding it: the window code then runs too. */
static struct kht_tf_reader *open_either(const void *buf, size_t len, const char *path)
{
	static struct kht_tf_meta m;

	if (!path)
		return kht_tf_open_mem(buf, len, &m, NULL, 0);
	spit(path, buf, len);
	return kht_tf_open(path, &m, NULL, 0);
}

/*
 * 8 MiB of zeros between two blocks (a disk that lost a stretch), and 8 MiB
 * of zeros instead of the end (a file padded after a crash): the reader goes
 * on at the next block, says so once, and the trailer walk plus the records
 * pass scan the zeros once between them, not once each.
 */
TEST(tf_zero_run_scanned_once)
{
	static struct kht_tf_trailer t;
	const size_t zn = 8u << 20;
	const char *path = tmp_path("zeros.khtrace");
	unsigned char *zeros = calloc(1, zn), *file;
	unsigned expect[64];
	struct small s;

	small_file(&s);
	if (!s.buf || !zeros)
		return;
	for (int f = 0; f < 2; f++) {
		const char *where = f ? path : NULL;
		unsigned long long scanned;
		struct kht_tf_reader *r;
		struct readout o;
		size_t len;

		/* a run inside: every record, one damaged spot, the trailer found behind it */
		len = insert_fill(&s, 1, zeros, zn, &file);
		r = open_either(file, len, where);
		CHECK(r);
		if (!r)
			break;
		scanned = kht_tf_scan_count();
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 1 && t.records == 30);
		read_expect(r, expect, small_expect(&s, -1, SMALL_BLOCKS, expect), &o);
		scanned = kht_tf_scan_count() - scanned;
		CHECK(o.rc == 0 && o.bad == 0 && o.n == 30);
		CHECK(o.st.corrupt == 1 && o.st.skipped_bytes == zn && o.st.missing_blocks == 0);
		CHECK(o.st.has_trailer && o.st.trailer->records == 30);
		CHECK_CONTAINS(o.st.warning, "bad block header");
		CHECK(scanned < zn + (zn >> 3));	/* once; twice before kht_tf_find_trailer */
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == -EINVAL);	/* records were read */
		kht_tf_free(r);
		free(file);

		/* a run instead of the end: the blocks before it, cut off, no trailer */
		file = malloc(s.blk_end[1] + zn);
		memcpy(file, s.buf, s.blk_end[1]);
		memset(file + s.blk_end[1], 0, zn);
		r = open_either(file, s.blk_end[1] + zn, where);
		CHECK(r);
		if (!r)
			break;
		scanned = kht_tf_scan_count();
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 0);
		read_expect(r, expect, small_expect(&s, -1, 2, expect), &o);
		scanned = kht_tf_scan_count() - scanned;
		CHECK(o.rc == 0 && o.bad == 0 && o.n == s.first[2]);
		CHECK(o.st.corrupt == 1 && o.st.truncated && o.st.partial_bytes == 31);
		CHECK(o.st.skipped_bytes == zn - 31);
		CHECK(scanned < zn + (zn >> 3));
		kht_tf_free(r);
		free(file);
	}
	unlink(path);
	free(zeros);
	free(s.buf);
}

/*
 * The records pass takes up the walk's scan where it ended and checks from
 * there: a recording that was still being written when the walk ran (its end
 * zeros then, blocks since) is read to its new end.
 */
TEST(tf_zero_run_then_file_grows)
{
	static struct kht_tf_meta m;
	static struct kht_tf_trailer t;
	const char *path = tmp_path("grows.khtrace");
	const size_t zn = 1u << 20;
	unsigned char *file = NULL;
	struct kht_tf_reader *r;
	struct readout o;
	unsigned expect[64];
	struct small s;
	size_t len;
	int fd;

	small_file(&s);
	if (!s.buf)
		return;
	file = calloc(1, s.len + zn);
	memcpy(file, s.buf, s.blk_end[0]);
	len = s.blk_end[0] + zn;			/* block 0, then zeros */
	spit(path, file, len);
	r = kht_tf_open(path, &m, NULL, 0);
	CHECK(r);
	if (r) {
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 0);
		fd = open(path, O_WRONLY | O_APPEND);	/* blocks 1, 2 and the trailer arrive */
		CHECK(fd >= 0 && write(fd, s.buf + s.blk_end[0], s.len - s.blk_end[0]) ==
				 (ssize_t)(s.len - s.blk_end[0]));
		close(fd);
		read_expect(r, expect, small_expect(&s, -1, SMALL_BLOCKS, expect), &o);
		CHECK(o.rc == 0 && o.bad == 0 && o.n == 30);
		CHECK(o.st.corrupt == 1 && o.st.skipped_bytes == zn && o.st.has_trailer);
		kht_tf_free(r);
	}
	unlink(path);
	free(file);
	free(s.buf);
}

/*
 * The one pass reads what a plain read reads: runs of damage (zeros, junk,
 * 'K's, torn copies of block headers), long enough for the walk to keep them,
 * at random places.
 */
TEST(tf_one_pass_agrees_with_plain_read)
{
	static struct kht_tf_trailer t;
	static unsigned char fill[300 << 10];
	unsigned failures = 0, kept = 0;
	unsigned seed = 4242;
	struct small s;

	small_file(&s);
	if (!s.buf)
		return;
	for (int iter = 0; iter < 60; iter++) {
		size_t n = (64 << 10) + rand_r(&seed) % (sizeof(fill) - (64 << 10));
		struct readout plain, once;
		unsigned char *file;
		unsigned long long scanned, walk;
		struct kht_tf_reader *r;
		size_t len;

		for (size_t k = 0; k < n; k++) {
			unsigned x = rand_r(&seed) % 100;

			fill[k] = x < 70 ? 0 : x < 80 ? 'K' : rand_r(&seed);
		}
		for (int k = 0; k < 8; k++) {	/* torn block headers: magic, some with a valid CRC */
			size_t at = rand_r(&seed) % (n - 32);

			memcpy(fill + at, s.buf + s.hdr_end, 32);
			set_le(fill + at + 20, rand_r(&seed) % 3, 4);
			if (k & 1)
				set_le(fill + at + 28, crc32(0, fill + at, 28), 4);
		}
		len = insert_fill(&s, rand_r(&seed) % (SMALL_BLOCKS + 1), fill,
				  n - rand_r(&seed) % 64, &file);
		if (iter % 4 == 3)
			len -= rand_r(&seed) % (len - s.hdr_end);	/* and cut somewhere */
		r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
		read_expect(r, NULL, 0, &plain);
		kht_tf_free(r);
		r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
		walk = kht_tf_scan_count();
		CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == plain.st.has_trailer);
		walk = kht_tf_scan_count() - walk;
		scanned = kht_tf_scan_count();
		read_expect(r, NULL, 0, &once);
		kept += kht_tf_scan_count() - scanned < walk;	/* the walk's spans were used */
		kht_tf_free(r);
		if (plain.rc != once.rc || plain.n != once.n || !stats_equal(&plain.st, &once.st))
			failures++;
		free(file);
	}
	if (failures)
		fprintf(stderr, "  %u of 60 damaged files read otherwise in one pass\n", failures);
	CHECK(failures == 0 && kept >= 30);
	free(s.buf);
}

/*
 * A zlib bomb: 1 MiB of well-framed records stored in ~1 KiB (deflate's
 * 1000:1) is refused by its header before anything is inflated, with the
 * reason, and reading goes on at the next block. The same records at zlib
 * level 1 (the writer's, ~230:1, all a block of repeated records can give)
 * are read: the bound refuses nothing a recorder writes.
 */
TEST(tf_zlib_bomb_refused_unread)
{
	static unsigned char raw[1 << 20], file[(1 << 20) + (64 << 10)];
	static struct kht_tf_trailer t;
	const unsigned nrec = sizeof(raw) / 8;
	unsigned long long inflated;
	unsigned expect[64], seq = 0;
	struct kht_tf_reader *r;
	struct readout o;
	struct small s;
	size_t len, bomb, mild;
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	for (unsigned i = 0; i < nrec; i++)
		set_le(raw + 8 * i, 3000, 4);	/* type 3000, length 0 */
	memcpy(file, s.buf, s.hdr_end);
	len = s.hdr_end;
	bomb = make_block_at(file + len, 1, seq++, raw, sizeof(raw), nrec, 9);
	CHECK(bomb - 32 < sizeof(raw) / KHT_TF_MAX_RATIO);
	len += bomb;
	{	/* then the real block 0, renumbered */
		size_t b0 = s.hdr_end, b0len = s.blk_end[0] - b0;

		memcpy(file + len, s.buf + b0, b0len);
		set_le(file + len + 8, seq++, 4);
		set_le(file + len + 28, crc32(0, file + len, 28), 4);
		len += b0len;
	}
	inflated = kht_tf_inflate_count();
	r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
	read_expect(r, expect, small_expect(&s, -1, 1, expect), &o);
	kht_tf_free(r);
	CHECK(kht_tf_inflate_count() - inflated == 1);	/* block 0 only */
	CHECK(o.rc == 0 && o.bad == 0 && o.n == small_counts[0]);
	CHECK(o.st.corrupt == 1 && o.st.skipped_bytes == bomb && o.st.blocks == 1);
	CHECK_CONTAINS(o.st.warning, "over 256 times its stored size: a zlib bomb");
	CHECK(peek_agrees(file, len, &rc) && rc == 0);

	/* level 1: read whole */
	len = s.hdr_end;
	mild = make_block_at(file + len, 1, 0, raw, sizeof(raw), nrec, 1);
	CHECK(mild - 32 >= sizeof(raw) / KHT_TF_MAX_RATIO);
	len += mild;
	memcpy(file + len, s.buf + s.blk_end[SMALL_BLOCKS - 1], s.len - s.blk_end[SMALL_BLOCKS - 1]);
	set_le(file + len + 8, 1, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += s.len - s.blk_end[SMALL_BLOCKS - 1];
	r = kht_tf_open_mem(file, len, &(struct kht_tf_meta){}, NULL, 0);
	CHECK(kht_tf_find_trailer(r, &t, NULL, 0) == 1);
	read_expect(r, NULL, 0, &o);
	kht_tf_free(r);
	CHECK(o.rc == 0 && o.n == nrec && o.st.corrupt == 0 && o.st.has_trailer);
	free(s.buf);
}
