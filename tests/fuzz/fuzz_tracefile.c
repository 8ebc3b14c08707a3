// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the recorded-trace reader: any byte string is opened
 * with kht_tf_open_mem(), every record is read (and decoded when its type is
 * known), and the reader's promises are checked: a refusal always says why,
 * records lie inside the input's bounds, and the counts add up.
 *
 * Mutated bytes almost never pass a CRC or inflate, which would keep the
 * fuzzer out of everything behind them (record framing, trailer, header
 * fields). So each input is read twice: as it is, and "repacked": every
 * block's payload is inflated (or, if that fails, taken as raw records),
 * recompressed, and all CRCs are recomputed, keeping the mutated kind, seq,
 * record count and (if bit 0 of the reserved flags is set) uncompressed length.
 *
 * kht_tf_peek_trailer_mem() must return exactly the trailer the full read
 * ends with (or none), and refuse exactly the inputs kht_tf_open_mem() does;
 * a read after kht_tf_find_trailer() (one pass: the walk's scans are not
 * repeated; run-fuzz.sh builds with every scanned spot kept) must deliver
 * what the plain read does.
 * Events come in both encodings (fixed 1.x, packed 2.0; the seeds have both);
 * a packed event that decodes must decode the same after pack(decode(it)).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Itools \
 *         tests/fuzz/fuzz_tracefile.c tools/lib/tracefile_*.c -lz
 *
 * Built with -DKHT_TF_SEEDGEN (and without -fsanitize=fuzzer) it is instead
 * `seedgen DIR`, which writes small real recordings into DIR as the corpus.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "khugetrace.h"
#include "lib/tracefile.h"
#include "lib/event_fmt.h"	/* kht_tf_win_batch_each */

#ifndef KHT_TF_SEEDGEN

volatile unsigned char kht_fuzz_sink;

static int count_window(void *ctx, const struct kht_lock_window *w)
{
	kht_fuzz_sink ^= (unsigned char)w->window;
	++*(unsigned *)ctx;
	return 0;
}

static void fail(const char *why)
{
	fprintf(stderr, "invariant broken: %s\n", why);
	abort();
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = v;
}

/* The input with valid CRCs and zlib streams (see the top); its length, 0 if none. */
static size_t repack(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	static uint8_t raw[256 << 10];
	size_t off, o, hl;

	if (n < 20)
		return 0;
	hl = le32(in + 12);
	if (hl < 20 || hl > n || hl > cap)
		return 0;
	memcpy(out, in, hl);
	set32(out + hl - 4, crc32(0, out, hl - 4));
	for (off = o = hl; n - off >= 32 && cap - o >= 32; ) {
		const uint8_t *h = in + off;
		size_t clen = le32(h + 16) < n - off - 32 ? le32(h + 16) : n - off - 32;
		uLongf ulen = sizeof(raw), c2 = cap - o - 32;

		if (uncompress(raw, &ulen, h + 32, clen) != Z_OK) {
			ulen = clen;
			memcpy(raw, h + 32, clen);
		}
		if (compress2(out + o + 32, &c2, raw, ulen, 1) != Z_OK)
			break;
		memcpy(out + o, h, 28);
		if (!(h[6] & 1))
			set32(out + o + 12, ulen);
		set32(out + o + 16, c2);
		set32(out + o + 24, crc32(0, out + o + 32, c2));
		set32(out + o + 28, crc32(0, out + o, 28));
		o += 32 + c2;
		off += 32 + clen;
	}
	return o;
}

static void check(const uint8_t *data, size_t size);

/* Records and stats of a read after kht_tf_find_trailer(): as the plain read's? */
static void check_one_pass(const uint8_t *data, size_t size, int peek_rc,
			   unsigned long long n, const struct kht_tf_stats *plain)
{
	static struct kht_tf_meta m;
	static struct kht_tf_trailer t;
	struct kht_tf_reader *r = kht_tf_open_mem(data, size, &m, NULL, 0);
	struct kht_tf_stats st;
	const void *rec;
	unsigned type, len;

	if (!r)
		fail("a buffer opened once is refused the second time");
	if (kht_tf_find_trailer(r, &t, NULL, 0) != peek_rc)
		fail("kht_tf_find_trailer and the peek disagree");
	while (kht_tf_next(r, &type, &rec, &len) == 1)
		n--;
	kht_tf_stats(r, &st);
	if (n || st.records != plain->records || st.blocks != plain->blocks ||
	    st.corrupt != plain->corrupt || st.skipped_bytes != plain->skipped_bytes ||
	    st.missing_blocks != plain->missing_blocks || st.partial_bytes != plain->partial_bytes ||
	    st.unknown_blocks != plain->unknown_blocks || st.has_trailer != plain->has_trailer ||
	    strcmp(st.warning, plain->warning))
		fail("the one-pass read and the plain read disagree");
	kht_tf_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t packed[1 << 20];
	size_t n;

	check(data, size);
	n = repack(data, size, packed, sizeof(packed));
	if (n)
		check(packed, n);
	return 0;
}

static void check(const uint8_t *data, size_t size)
{
	static struct kht_tf_meta m;	/* ~52 KiB: not on the stack */
	static struct kht_tf_trailer peeked;	/* ~33 KiB */
	int peek_rc;
	struct kht_tf_reader *r;
	struct kht_tf_stats st;
	unsigned long long n = 0;
	char err[256] = "";
	const void *rec;
	unsigned type, len;
	int rc;

	peek_rc = kht_tf_peek_trailer_mem(data, size, &peeked, NULL, 0);
	r = kht_tf_open_mem(data, size, &m, err, sizeof(err));
	if (!r) {
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			fail("refused without a message");
		if (peek_rc != -EINVAL)
			fail("the peek does not refuse what the reader refuses");
		return;
	}
	if (m.nhooks < 0 || m.nhooks > KHT_TF_MAX_HOOKS || m.nenums < 0 ||
	    m.nenums > KHT_TF_MAX_ENUMS || !memchr(m.release, 0, sizeof(m.release)))
		fail("metadata out of bounds");
	for (int i = 0; i < m.nenums; i++)
		if (m.enums[i].e.n < 0 || m.enums[i].e.n > KHT_ENUM_MAX)
			fail("enum table out of bounds");
	while ((rc = kht_tf_next(r, &type, &rec, &len)) == 1) {
		union {
			struct kht_collapse c;
			struct kht_uffd u;
			struct kht_seek s;
			struct kht_mincore mc;
			struct kht_lock_window w;
			struct kht_reader rd;
		} ev, ev2;
		int dn;

		if (len > KHT_TF_MAX_ULEN)
			fail("record longer than a block");
		/* touch every byte: ASan catches a pointer outside the block */
		for (unsigned i = 0; i < len; i++)
			kht_fuzz_sink ^= ((const unsigned char *)rec)[i];
		/* a lock-window batch (2.1): at most 16 windows, or none and -EINVAL */
		if (type == KHT_TF_WIN_BATCH) {
			unsigned nw = 0;
			int br = kht_tf_win_batch_each(rec, len, count_window, &nw);

			if (br ? br != -EINVAL || nw : nw < 1 || nw > KHT_WIN_BATCH)
				fail("a lock-window batch gave a window count out of 1..16");
		}
		dn = kht_tf_decode_event(type, rec, len, &ev, sizeof(ev));
		if (dn > 0 && (type & KHT_TF_PACKED)) {
			unsigned char wire[1024];
			int pn = kht_tf_pack_event(&ev, wire, sizeof(wire));

			if (pn < 0 || kht_tf_decode_event(type, wire, pn, &ev2, sizeof(ev2)) != dn ||
			    memcmp(&ev, &ev2, dn))
				fail("a packed event does not survive pack(decode())");
		}
		n++;
	}
	kht_tf_stats(r, &st);
	if (rc != 0)
		fail("memory reader returned an error");
	if (st.records != n)
		fail("records delivered != stats.records");
	if (st.has_trailer != (st.trailer != NULL) || st.has_trailer == st.truncated)
		fail("trailer flags disagree");
	if (st.partial_bytes > size || st.skipped_bytes > size)
		fail("lost more bytes than the input has");
	if (st.corrupt && !st.warning[0])
		fail("corruption without a warning");
	if (kht_tf_next(r, &type, &rec, &len) != 0)
		fail("records after the end");
	if (peek_rc != (st.has_trailer ? 1 : 0))
		fail("the peek and the full read disagree on the trailer");
	if (st.has_trailer && memcmp(&peeked, st.trailer, sizeof(peeked)))
		fail("the peek found another trailer than the full read");
	check_one_pass(data, size, peek_rc, n, &st);
	kht_tf_free(r);
}

#else /* KHT_TF_SEEDGEN: write a small corpus of real recordings */

static struct kht_tf_meta meta;

static struct kht_collapse collapse(unsigned i)
{
	struct kht_collapse ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.ts_ns = 5000000000ULL + i * 12345ULL;
	ev.hdr.type = KHT_EV_COLLAPSE;
	ev.hdr.size = sizeof(ev);
	ev.hdr.pid = 100 + i;
	ev.hdr.tid = 100 + i;
	snprintf(ev.hdr.comm, KHT_COMM_LEN, "workload");
	ev.ino = 4242;
	ev.start_index = i * 512ULL;
	ev.result = i % 5 ? 1 : 31;
	ev.nr = 512;
	ev.nr_none = i % 33;
	ev.flags = KHT_F_HAVE_RESULT | KHT_F_SHMEM | KHT_F_HAVE_START;
	ev.attach = KHT_MODE_FENTRY;
	snprintf(ev.name, KHT_NAME_LEN, "data-%u.bin", i);
	return ev;
}

/* One recording: nblocks blocks of per records each, with or without a trailer. */
static int gen(const char *dir, const char *name, int nblocks, int per, int trailer)
{
	static struct kht_tf_trailer t;
	char path[512], err[256];
	struct kht_tf_writer *w;
	unsigned i = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	w = kht_tf_create(path, &meta, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "seedgen: %s\n", err);
		return 1;
	}
	for (int b = 0; b < nblocks; b++) {
		for (int k = 0; k < per; k++, i++) {
			struct kht_collapse ev = collapse(i);
			struct kht_seek s;

			kht_tf_write_event(w, &ev);
			if (k % 3 == 1) {
				memset(&s, 0, sizeof(s));
				s.hdr = ev.hdr;
				s.hdr.type = KHT_EV_SEEK;
				s.whence = KHT_SEEK_DATA;
				s.result = -6;
				kht_tf_write_event(w, &s);
			}
			if (k % 4 == 2)
				kht_tf_write(w, 999, "future", 6);	/* an unknown type */
			if (k % 4 == 1) {
				/* lock windows, batched as record writes them (2.1) */
				struct kht_win_batch wb;

				memset(&wb, 0, sizeof(wb));
				wb.hdr = ev.hdr;
				wb.hdr.type = KHT_WIRE_LOCK_WINDOWS;
				wb.file.ino = ev.ino;
				wb.file.index = ev.start_index;
				wb.n = k % KHT_WIN_BATCH + 1;
				for (unsigned e = 0; e < wb.n; e++)
					wb.w[e] = (struct kht_win_entry){ .start_ns = ev.hdr.ts_ns - 9000 + e * 100,
									  .hold_ns = 40 + e, .window = e + 1,
									  .slot = e % 3, .readers = e };
				kht_tf_write_win_batch(w, &wb);
			}
			if (k % 5 == 3) {
				/* a 1.0 writer's fixed encoding */
				unsigned char buf[512];
				int len = kht_tf_encode_event(&ev, buf, sizeof(buf));

				if (len > 0)
					kht_tf_write(w, KHT_EV_COLLAPSE, buf, len);
			}
		}
		kht_tf_flush(w);
	}
	if (!trailer) {
		/* what a crash leaves: the flushed blocks, no trailer (leaks w: a one-shot tool) */
		return 0;
	}
	memset(&t, 0, sizeof(t));
	t.drops = 3;
	t.ncpus = 4;
	t.drops_per_cpu[2] = 3;
	return kht_tf_close(w, &t) != 0;
}

int main(int argc, char **argv)
{
	static struct kht_enum results;
	static const char *const names[] = { "SCAN_FAIL", "SCAN_SUCCEED", "SCAN_PMD_NULL" };
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: seedgen DIR\n");
		return 2;
	}
	kht_tf_meta_init(&meta);
	kht_tf_meta_add_hook(&meta, "collapse_file", "fentry");
	kht_tf_meta_add_hook(&meta, "lseek", "syscalls");
	for (int i = 0; i < 3; i++) {
		results.val[i] = i;
		snprintf(results.name[i], KHT_ENUM_NAME_LEN, "%s", names[i]);
	}
	results.n = 3;
	kht_tf_meta_add_enum(&meta, "scan_result", &results);
	rc |= gen(argv[1], "empty-recording", 0, 0, 1);
	rc |= gen(argv[1], "one-block", 1, 4, 1);
	rc |= gen(argv[1], "three-blocks", 3, 3, 1);
	rc |= gen(argv[1], "no-trailer", 2, 3, 0);
	rc |= gen(argv[1], "bigger-block", 1, 60, 1);
	return rc;
}

#endif
