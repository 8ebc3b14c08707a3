// SPDX-License-Identifier: GPL-2.0
/*
 * Finding a recording's trailer without reading its records
 * (kht_tf_peek_trailer*, tools/lib/tracefile_read.c): on every cut, every
 * bit flip and random garbage it returns what the full read ends with, and
 * inflates only the trailer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "kht_test.h"
#include "tracefile_fixtures.h"

TEST(tf_peek_small_file_and_every_cut)
{
	static struct kht_tf_trailer t;
	const char *path = tmp_path("peek-cut.khtrace");
	struct small s;
	unsigned failures = 0;
	char err[256];
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	memset(&t, 0, sizeof(t));
	CHECK(kht_tf_peek_trailer_mem(s.buf, s.len, &t, err, sizeof(err)) == 1);
	CHECK(t.records == 30 && t.drops == 0 && t.ntypes == 6 && t.ncpus == 0);
	CHECK(t.end_mono_ns != 0);
	for (size_t cut = 0; cut <= s.len; cut++) {
		bool ok = peek_agrees(s.buf, cut, &rc);

		/* refused inside the header, like kht_tf_open; then no trailer up to the last byte */
		if (!ok || rc != (cut < s.hdr_end ? -EINVAL : cut == s.len ? 1 : 0))
			failures++;
	}
	if (failures)
		fprintf(stderr, "  %u of %zu cuts misread\n", failures, s.len + 1);
	CHECK(failures == 0);
	/* the file peek on cuts inside each block, at each block end, inside the trailer */
	for (int b = 0; b <= SMALL_BLOCKS; b++) {
		size_t ends[3] = { b ? s.blk_end[b - 1] : s.hdr_end, 0, 0 };

		ends[1] = ends[0] + 5;		/* inside the next block's header */
		ends[2] = ends[0] + 40;		/* inside its payload */
		for (int k = 0; k < 3; k++) {
			if (ends[k] >= s.len)
				continue;
			spit(path, s.buf, ends[k]);
			err[0] = 0;
			CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 0);
			CHECK_CONTAINS(err, "no intact trailer");
		}
	}
	spit(path, s.buf, s.len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	unlink(path);
	free(s.buf);
}

/* Every bit flipped: the peek agrees with the full read; in the trailer: no trailer. */
TEST(tf_peek_every_bit_flipped)
{
	size_t tr = 0;
	struct small s;
	unsigned failures = 0, in_trailer = 0;
	unsigned char *copy;
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	tr = s.blk_end[SMALL_BLOCKS - 1];	/* the trailer block starts here */
	copy = malloc(s.len);
	for (size_t pos = 0; pos < s.len; pos++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, s.buf, s.len);
			copy[pos] ^= 1u << bit;
			if (!peek_agrees(copy, s.len, &rc))
				failures++;
			if (pos >= tr) {
				in_trailer++;
				if (rc != 0)
					failures++;
			} else if (pos >= s.hdr_end && rc != 1) {
				failures++;	/* a damaged record block is skipped by length */
			}
		}
	}
	if (failures)
		fprintf(stderr, "  %u bit flips misread\n", failures);
	CHECK(failures == 0 && in_trailer == (s.len - tr) * 8);
	free(copy);
	free(s.buf);
}

/* Random garbage runs and hand-made hostile blocks: the peek agrees with the full read. */
TEST(tf_peek_random_garbage)
{
	struct small s;
	unsigned failures = 0, found = 0, none = 0;
	unsigned char *copy;
	unsigned seed = 777;
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	copy = malloc(s.len + 64);
	for (int iter = 0; iter < 4000; iter++) {
		size_t pos = s.hdr_end + rand_r(&seed) % (s.len - s.hdr_end);
		size_t run = 1 + rand_r(&seed) % 64, len = s.len;

		memcpy(copy, s.buf, s.len);
		for (size_t k = pos; k < pos + run && k < s.len; k++)
			copy[k] = rand_r(&seed);
		if (iter % 5 == 0) {		/* and junk after the end */
			for (int k = 0; k < 64; k++)
				copy[s.len + k] = rand_r(&seed);
			len += 1 + rand_r(&seed) % 64;
		}
		if (!peek_agrees(copy, len, &rc))
			failures++;
		found += rc == 1;
		none += rc == 0;
	}
	if (failures || found < 1000 || none < 100)
		fprintf(stderr, "  %u of 4000 garbage runs misread (%u found, %u none)\n",
			failures, found, none);
	CHECK(failures == 0 && found >= 1000 && none >= 100);
	free(copy);
	free(s.buf);
}

/*
 * The design's guarantee: record blocks are stepped over by their stored
 * length, never read. Record payloads overwritten (header CRCs intact): the
 * trailer is found and only it is inflated; a damaged block header is
 * scanned past as the full read does; a second trailer after the first, or a
 * damaged one before an intact one: the same choice as the full read.
 */
TEST(tf_peek_skips_record_payloads)
{
	static struct kht_tf_trailer t;
	static unsigned char file[1 << 16];
	const char *path = tmp_path("peek-skip.khtrace");
	struct small s;
	unsigned long long before;
	size_t tr, trlen;
	char err[256];
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	tr = s.blk_end[SMALL_BLOCKS - 1];
	trlen = s.len - tr;
	/* intact: one inflate (the trailer), where the full read inflates every block */
	before = kht_tf_inflate_count();
	CHECK(kht_tf_peek_trailer_mem(s.buf, s.len, &t, err, sizeof(err)) == 1);
	CHECK(kht_tf_inflate_count() - before == 1);
	before = kht_tf_inflate_count();
	CHECK(full_trailer(s.buf, s.len, &t) == 1);
	CHECK(kht_tf_inflate_count() - before == SMALL_BLOCKS + 1);

	/* every record payload wiped: still found (the file variant too), one inflate */
	memcpy(file, s.buf, s.len);
	for (int b = 0; b < SMALL_BLOCKS; b++) {
		size_t start = b ? s.blk_end[b - 1] : s.hdr_end;

		memset(file + start + 32, 0xcc, s.blk_end[b] - start - 32);
	}
	spit(path, file, s.len);
	before = kht_tf_inflate_count();
	memset(&t, 0, sizeof(t));
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	CHECK(kht_tf_inflate_count() - before == 1);
	CHECK(peek_agrees(file, s.len, &rc) && rc == 1);

	/* block 1's header smashed: scanned past, as the full read does */
	memcpy(file, s.buf, s.len);
	memset(file + s.blk_end[0], 0xee, 20);
	spit(path, file, s.len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	CHECK(peek_agrees(file, s.len, &rc) && rc == 1);

	/* the trailer twice, the first one damaged: both readers take the second */
	memcpy(file, s.buf, s.len);
	memcpy(file + s.len, s.buf + tr, trlen);
	file[tr + 40] ^= 1;
	CHECK(peek_agrees(file, s.len + trlen, &rc) && rc == 1);
	/* both intact, the second edited: the first wins, the rest is not the recording */
	memcpy(file, s.buf, s.len);
	memcpy(file + s.len, s.buf + tr, trlen);
	file[s.len + 40] ^= 1;
	CHECK(peek_agrees(file, s.len + trlen, &rc) && rc == 1);
	CHECK(kht_tf_peek_trailer_mem(file, s.len + trlen, &t, err, sizeof(err)) == 1 &&
	      t.records == 30);
	unlink(path);
	free(s.buf);
}

/* A block claiming the largest lengths, cut off: no trailer, nothing read past the end. */
TEST(tf_peek_hostile_lengths)
{
	static unsigned char file[1 << 16];
	static struct kht_tf_trailer t;
	const char *path = tmp_path("peek-hostile.khtrace");
	struct small s;
	size_t len;
	char err[256];
	int rc;

	small_file(&s);
	if (!s.buf)
		return;
	len = s.blk_end[0];
	memcpy(file, s.buf, len);
	memcpy(file + len, s.buf + s.blk_end[0], 32);	/* block 1's header only */
	set_le(file + len + 16, KHT_TF_MAX_CLEN, 4);
	set_le(file + len + 28, crc32(0, file + len, 28), 4);
	len += 32 + 100;
	CHECK(peek_agrees(file, len, &rc) && rc == 0);
	spit(path, file, len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 0);
	/* over the limit (header CRC valid): a damaged header, scanned past to the end */
	set_le(file + s.blk_end[0] + 16, KHT_TF_MAX_CLEN + 1, 4);
	set_le(file + s.blk_end[0] + 28, crc32(0, file + s.blk_end[0], 28), 4);
	CHECK(peek_agrees(file, len, &rc) && rc == 0);
	/* then the trailer after the junk: found behind the damage */
	memcpy(file + len, s.buf + s.blk_end[SMALL_BLOCKS - 1], s.len - s.blk_end[SMALL_BLOCKS - 1]);
	len += s.len - s.blk_end[SMALL_BLOCKS - 1];
	CHECK(peek_agrees(file, len, &rc) && rc == 1);
	spit(path, file, len);
	CHECK(kht_tf_peek_trailer(path, &t, err, sizeof(err)) == 1 && t.records == 30);
	unlink(path);
	free(s.buf);
}

TEST(tf_peek_refuses_paths)
{
	static struct kht_tf_trailer t;
	char err[256] = "";
	const char *fifo = tmp_path("peek-fifo");

	CHECK(kht_tf_peek_trailer(tmp_path("does-not-exist"), &t, err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "cannot open");
	CHECK(kht_tf_peek_trailer(tmpdir, &t, err, sizeof(err)) == -EISDIR);
	CHECK_CONTAINS(err, "is a directory");
	unlink(fifo);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(kht_tf_peek_trailer(fifo, &t, err, sizeof(err)) == -EINVAL);	/* must not hang */
	CHECK_CONTAINS(err, "not a regular file");
	unlink(fifo);
	CHECK(kht_tf_peek_trailer("/dev/null", &t, err, sizeof(err)) == -EINVAL);
	spit(tmp_path("peek-empty"), "", 0);
	CHECK(kht_tf_peek_trailer(tmp_path("peek-empty"), &t, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "is empty.");
	unlink(tmp_path("peek-empty"));
	spit(tmp_path("peek-elf"), "\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	CHECK(kht_tf_peek_trailer(tmp_path("peek-elf"), &t, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "bad magic");
	unlink(tmp_path("peek-elf"));
	CHECK(kht_tf_peek_trailer_mem(NULL, 0, &t, err, sizeof(err)) == -EINVAL);
	CHECK(kht_tf_peek_trailer(tmp_path("x"), &t, NULL, 0) == -ENOENT);	/* err optional */
}
