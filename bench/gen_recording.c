// SPDX-License-Identifier: GPL-2.0
/*
 * gen_recording: write a synthetic `khugetrace record` file of N events for
 * the offline report bench, through the project's own writer
 * (tools/lib/tracefile_write.c), so the file is exactly what record produces.
 *
 * Deterministic mix, per 100 events: 2 collapses (MADV_COLLAPSE and
 * khugepaged, varied results and holes), 3 userfaultfd ioctls, 75 seeks
 * (SEEK_DATA/SEEK_HOLE), 20 mincore calls; over 256 inodes and 8 processes,
 * timestamps 1 us apart. The scan_result names come from this kernel's BTF
 * (as record stores them), falling back to none.
 *
 * With -b BYTES (bench/damage.sh) it writes a hostile file instead: a file
 * header, then BYTES of record blocks that each inflate to 1 MiB of
 * well-framed empty records, no trailer. Alone: zlib bombs, deflate's
 * 1000:1 at level 9. With -r RATIO: blocks that inflate RATIO times their
 * stored size, most of it the same level-9 zeros (one-byte-distance copies,
 * zlib's slowest output) with stored bytes making up the rest: what a file
 * built to stay under the reader's bound (KHT_TF_MAX_RATIO) costs at worst.
 *
 * Usage: gen_recording -o FILE -n EVENTS | -o FILE -b BYTES [-r RATIO]
 * Output: "events=N bytes=B" / "blocks=N bytes=B" on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "khugetrace.h"
#include "lib/btf_enum.h"
#include "lib/tracefile.h"

static void hdr(struct kht_hdr *h, unsigned type, unsigned size, unsigned long long ts,
		unsigned i)
{
	unsigned pid = 1000 + i % 8;

	h->ts_ns = ts;
	h->type = type;
	h->size = size;
	h->pid = pid;
	h->tid = pid + (i / 8) % 4;
	snprintf(h->comm, sizeof(h->comm), "worker%u", i % 8);
}

static void le(unsigned char *p, unsigned v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = v;
}

/*
 * One hostile record block at out (32-byte header, docs/file-format.md, then
 * the payload); its size, 0 if deflate failed. ratio 0: all level 9.
 */
static size_t hostile_block(unsigned char *out, size_t cap, unsigned seq, unsigned ratio)
{
	static unsigned char zeros[1 << 20];	/* records of type 0, length 0 */
	size_t stored = ratio ? sizeof(zeros) / ratio : 0;
	z_stream zs = {};
	size_t clen;

	if (deflateInit(&zs, 9) != Z_OK)
		return 0;
	zs.next_in = zeros;
	zs.avail_in = sizeof(zeros) - stored;
	zs.next_out = out + 32;
	zs.avail_out = cap - 32;
	if (stored && (deflate(&zs, Z_NO_FLUSH) != Z_OK ||
		       deflateParams(&zs, 0, Z_DEFAULT_STRATEGY) != Z_OK))
		goto fail;
	zs.avail_in += stored;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto fail;
	clen = zs.total_out;
	deflateEnd(&zs);
	memcpy(out, "KHTB\1\0\0\0", 8);	/* kind 1 (records), flags 0 */
	le(out + 8, seq);
	le(out + 12, sizeof(zeros));
	le(out + 16, clen);
	le(out + 20, sizeof(zeros) / 8);
	le(out + 24, crc32(0, out + 32, clen));
	le(out + 28, crc32(0, out, 28));
	return 32 + clen;
fail:
	deflateEnd(&zs);
	return 0;
}

/* -b: a file header (the writer's), then hostile blocks up to about bytes. */
static int write_hostile(const char *path, const struct kht_tf_meta *meta,
			 unsigned long long bytes, unsigned ratio)
{
	static unsigned char blk[(1 << 20) + 4096];
	unsigned long long len;
	struct kht_tf_wstats ws;
	struct kht_tf_writer *w;
	unsigned seq = 0;
	char err[256];
	FILE *f;

	w = kht_tf_create(path, meta, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "gen_recording: %s\n", err);
		return 1;
	}
	kht_tf_writer_stats(w, &ws);	/* the header only */
	len = ws.bytes_out;
	kht_tf_close(w, NULL);
	f = fopen(path, "r+");
	if (!f || ftruncate(fileno(f), len) || fseek(f, len, SEEK_SET))
		goto fail;
	while (len < bytes) {
		size_t n = hostile_block(blk, sizeof(blk), seq++, ratio);

		if (!n || fwrite(blk, n, 1, f) != 1)
			goto fail;
		len += n;
	}
	if (fclose(f)) {
		f = NULL;
		goto fail;
	}
	printf("blocks=%u bytes=%llu\n", seq, len);
	return 0;
fail:
	fprintf(stderr, "gen_recording: writing hostile blocks into %s failed: %s.\n", path,
		strerror(errno));
	if (f)
		fclose(f);
	return 1;
}

int main(int argc, char **argv)
{
	static struct kht_tf_meta meta;
	static struct kht_enum results;
	const char *path = NULL;
	unsigned long long n = 0, hostile = 0, base;
	unsigned ratio = 0;
	struct kht_tf_writer *w;
	struct kht_tf_wstats ws;
	char err[256];
	int opt;

	while ((opt = getopt(argc, argv, "o:n:b:r:")) != -1) {
		switch (opt) {
		case 'o': path = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'b': hostile = strtoull(optarg, NULL, 10); break;
		case 'r': ratio = strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!path || !n == !hostile || (ratio && (!hostile || ratio > 1000))) {
		fprintf(stderr, "Usage: gen_recording -o FILE -n EVENTS | -o FILE -b BYTES "
			"[-r RATIO (1-1000)]\n");
		return 2;
	}
	kht_tf_meta_init(&meta);
	kht_tf_meta_add_hook(&meta, "mm_khugepaged_collapse_file", "tp_btf");
	kht_tf_meta_add_hook(&meta, "mm_khugepaged_scan_file", "tp_btf");
	kht_tf_meta_add_hook(&meta, "sys_enter_ioctl", "syscalls");
	kht_tf_meta_add_hook(&meta, "sys_enter_lseek", "syscalls");
	kht_tf_meta_add_hook(&meta, "sys_enter_mincore", "syscalls");
	if (kht_enum_from_vmlinux(&results, "scan_result") == 0)
		kht_tf_meta_add_enum(&meta, "scan_result", &results);
	if (hostile)
		return write_hostile(path, &meta, hostile, ratio);
	w = kht_tf_create(path, &meta, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "gen_recording: %s\n", err);
		return 1;
	}
	base = meta.mono_base_ns;
	for (unsigned long long i = 0; i < n; i++) {
		unsigned k = i % 100, ino = 2 + (i * 7) % 256;
		unsigned long long ts = base + i * 1000;
		int rc;

		if (k < 2) {
			struct kht_collapse c = {};

			hdr(&c.hdr, KHT_EV_COLLAPSE, sizeof(c), ts, i);
			c.start_ns = ts - 300000;
			c.ino = ino;
			c.dev = 39;
			c.gen = 12345;	/* and the seeks, mincore and uffd ops: one story */
			c.start_index = c.end_index = (i % 64) * 512;
			c.addr = 0x7f0000000000ULL + (i % 64) * (2ULL << 20);
			c.mm = 0xffff888000000000ULL + (i % 8) * 4096;
			c.nr = 512;
			c.result = (i / 100) % 3 == 0 ? 1 : (i / 100) % 3 == 1 ? 0 : 3;
			c.present = 256;
			c.nr_none = 256;
			c.flags = KHT_F_HAVE_START | KHT_F_HAVE_HOLES | KHT_F_SHMEM | KHT_F_HAVE_INODE |
				  KHT_F_HAVE_RESULT | KHT_F_HAVE_ADDR | KHT_F_HAVE_END_INDEX |
				  (k ? KHT_F_KHUGEPAGED : 0);
			c.attach = KHT_MODE_TP_BTF;
			snprintf(c.name, sizeof(c.name), "file%u", ino);
			rc = kht_tf_write_event(w, &c);
		} else if (k < 5) {
			struct kht_uffd u = {};

			hdr(&u.hdr, KHT_EV_UFFD, sizeof(u), ts, i);
			u.start_ns = ts - 2000;
			u.duration_ns = 2000;
			u.addr = 0x7f0000000000ULL + (i % 64) * (2ULL << 20);
			u.len = 2ULL << 20;
			u.uffd_mode = 1;
			u.op = k == 2 ? KHT_UFFD_REGISTER : k == 3 ? KHT_UFFD_COPY : KHT_UFFD_UNREGISTER;
			u.file.ino = ino;
			u.file.dev = 39;
			u.file.gen = 12345;
			u.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION | KHT_O_SHMEM;
			u.attach = KHT_MODE_SYSCALLS;
			snprintf(u.name, sizeof(u.name), "file%u", ino);
			rc = kht_tf_write_event(w, &u);
		} else if (k < 80) {
			struct kht_seek s = {};

			hdr(&s.hdr, KHT_EV_SEEK, sizeof(s), ts, i);
			s.start_ns = ts - 500;
			s.duration_ns = 500;
			s.offset = (long long)(i % 1024) * 4096;
			s.result = s.offset + 65536;
			s.file.ino = ino;
			s.file.index = i % 1024;
			s.file.dev = 39;
			s.file.gen = 12345;
			s.whence = k & 1 ? KHT_SEEK_DATA : KHT_SEEK_HOLE;
			s.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION | KHT_O_SHMEM;
			s.attach = KHT_MODE_SYSCALLS;
			snprintf(s.name, sizeof(s.name), "file%u", ino);
			rc = kht_tf_write_event(w, &s);
		} else {
			struct kht_mincore m = {};

			hdr(&m.hdr, KHT_EV_MINCORE, sizeof(m), ts, i);
			m.start_ns = ts - 3000;
			m.duration_ns = 3000;
			m.addr = 0x7f0000000000ULL + (i % 64) * (2ULL << 20);
			m.len = 256 << 10;
			m.file.ino = ino;
			m.file.dev = 39;
			m.file.gen = 12345;
			m.pages = 64;
			m.resident = 32;
			m.flags = KHT_O_HAVE_INODE | KHT_O_HAVE_DURATION | KHT_O_SHMEM;
			m.attach = KHT_MODE_SYSCALLS;
			snprintf(m.name, sizeof(m.name), "file%u", ino);
			rc = kht_tf_write_event(w, &m);
		}
		if (rc < 0) {
			fprintf(stderr, "gen_recording: writing event %llu failed: %s.\n", i, strerror(-rc));
			kht_tf_close(w, NULL);
			unlink(path);
			return 1;
		}
	}
	kht_tf_writer_stats(w, &ws);
	if (kht_tf_close(w, NULL) < 0) {
		fprintf(stderr, "gen_recording: closing %s failed.\n", path);
		return 1;
	}
	printf("events=%llu bytes=%llu\n", n, ws.bytes_out);
	return 0;
}
