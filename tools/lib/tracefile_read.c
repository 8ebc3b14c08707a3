// SPDX-License-Identifier: GPL-2.0
/*
 * The reader: the file read through a window (or a buffer), every record of
 * every intact block delivered, damaged blocks skipped and resynced past,
 * a cut-off end reported, and the trailer found without reading the records
 * (kht_tf_find_trailer, kht_tf_peek_trailer*). Nothing from the file is
 * trusted: see tracefile_internal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tracefile_internal.h"

struct kht_tf_reader {
	/* source: a buffer, or a file read through a window */
	const unsigned char *mem;
	size_t memlen;
	int fd;
	unsigned char *win;
	size_t wcap, wlen;
	unsigned long long woff;	/* file offset of win[0] */
	bool eof;

	size_t readahead;		/* a window refill reads at least this much (<= wcap) */
	unsigned long long size;	/* skim: the data's size when opened */
	bool skim;			/* kht_tf_find_trailer: step over non-trailer blocks unread */

	/* damaged spots the trailer walk scanned, for the records pass to step over */
	struct span *spans;
	unsigned nspans, span_cap, span_next;

	unsigned long long data_start;	/* the first block: the end of the file header */
	unsigned long long pos;		/* file offset of the next unread byte */
	char label[200];		/* the path, for messages */
	char error[256];
	int errnum;			/* errno of the read error in error[] */
	bool done;
	unsigned expect_seq;

	/* the current block's records */
	unsigned char *ubuf;
	size_t ucap, roff;
	unsigned rec_left;
	z_stream zs;			/* raw inflate, reset per block (see unpack) */
	bool zinit;

	struct kht_tf_stats st;
	struct kht_tf_trailer trailer;
};

#define STR_(x) #x
#define STR(x) STR_(x)

struct blk {
	unsigned kind, seq, ulen, clen, nrec, pcrc;
};

/* No valid block header starts at an offset in (from, to): what a scan found. */
struct span {
	unsigned long long from, to;
};

/*
 * The walk keeps spans this long or longer, up to MAX_SPANS (64 KiB):
 * scanning a shorter one again costs less than reading it did; past the cap
 * the records pass scans again, which is slower but still right.
 */
#ifndef KHT_TF_SPAN_MIN		/* the fuzz harness keeps every span: its inputs are small */
#define KHT_TF_SPAN_MIN (64u << 10)
#endif
#define MAX_SPANS 4096

/*
 * Up to n bytes at pos: *got says how many exist (fewer only at the end of
 * the data). NULL on a read error. n never exceeds the window: callers ask
 * for at most one header or one block.
 */
static const unsigned char *peek(struct kht_tf_reader *r, size_t n, size_t *got)
{
	size_t have;

	if (r->mem) {
		have = r->pos < r->memlen ? r->memlen - r->pos : 0;
		*got = have < n ? have : n;
		return r->mem + r->pos;
	}
	if (r->pos < r->woff || r->pos > r->woff + r->wlen) {	/* rewound, or skipped past */
		r->woff = r->pos;
		r->wlen = 0;
		r->eof = false;
	}
	have = r->woff + r->wlen - r->pos;
	if (have < n && !r->eof) {
		memmove(r->win, r->win + (r->pos - r->woff), have);
		r->woff = r->pos;
		r->wlen = have;
		while (r->wlen < n) {
			/* n - wlen is what is missing; read ahead up to the window */
			size_t want = n - r->wlen > r->readahead ? n - r->wlen : r->readahead;
			ssize_t k;

			if (want > r->wcap - r->wlen)
				want = r->wcap - r->wlen;
			k = pread(r->fd, r->win + r->wlen, want, r->woff + r->wlen);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				r->errnum = errno;
				seterr(r->error, sizeof(r->error), "cannot read %s: %s.",
				       r->label, strerror(errno));
				return NULL;
			}
			if (k == 0) {
				r->eof = true;
				break;
			}
			r->wlen += k;
		}
		have = r->wlen;
	}
	*got = have < n ? have : n;
	return r->win + (r->pos - r->woff);
}

/* A block header: magic, its CRC, and lengths within the limits. */
static bool blk_parse(const unsigned char *p, struct blk *b)
{
	if (memcmp(p, block_magic, 4) || crc(p, 28) != get_le(p + 28, 4))
		return false;
	b->kind = get_le(p + 4, 2);
	b->seq = get_le(p + 8, 4);
	b->ulen = get_le(p + 12, 4);
	b->clen = get_le(p + 16, 4);
	b->nrec = get_le(p + 20, 4);
	b->pcrc = get_le(p + 24, 4);
	return b->ulen <= KHT_TF_MAX_ULEN && b->clen <= KHT_TF_MAX_CLEN &&
	       b->nrec <= b->ulen / KHT_TF_REC_HDR;
}

static void warn(struct kht_tf_reader *r, unsigned long long off, const char *why)
{
	r->st.corrupt++;
	snprintf(r->st.warning, sizeof(r->st.warning),
		 "damaged block at offset %llu (%s), skipped", off, why);
}

/* A damaged block whose (CRC-checked) header gave its length: step over it. */
static void skip_block(struct kht_tf_reader *r, const char *why, size_t len)
{
	warn(r, r->pos, why);
	r->st.skipped_bytes += len;
	r->pos += len;
}

/*
 * From pos on, the first offset where a valid block header starts, or where
 * fewer than BLK_HDR bytes are left (the caller then reports an incomplete
 * block). A header starts with 'K', so memchr() skips everything else a
 * window at a time: a run of zeros goes at memory speed, not an offset at a
 * time. 0, or -1 on a read error.
 */
static int scan(struct kht_tf_reader *r)
{
	size_t chunk = r->mem ? SIZE_MAX : r->wcap;	/* as much as the window holds */

	for (;;) {
		const unsigned char *p, *k;
		struct blk b;
		size_t got, fit;

		p = peek(r, chunk, &got);
		if (!p)
			return -1;
		if (got < BLK_HDR)
			return 0;
		fit = got - BLK_HDR + 1;	/* offsets whose header is all in the window */
		for (k = p; (k = memchr(k, 'K', fit - (k - p))); k++)
			if (blk_parse(k, &b)) {
				r->pos += k - p;
				return 0;
			}
		r->pos += fit;
	}
}

static unsigned long long scanned_bytes;	/* kht_tf_scan_count() */

unsigned long long kht_tf_scan_count(void)
{
	return __atomic_load_n(&scanned_bytes, __ATOMIC_RELAXED);
}

/* The walk's span starting at from, if it kept one (the records pass meets them in order). */
static const struct span *known_span(struct kht_tf_reader *r, unsigned long long from)
{
	while (r->span_next < r->nspans && r->spans[r->span_next].from < from)
		r->span_next++;
	if (r->span_next < r->nspans && r->spans[r->span_next].from == from)
		return &r->spans[r->span_next];
	return NULL;
}

static void keep_span(struct kht_tf_reader *r, unsigned long long from, unsigned long long to)
{
	if (to - from < KHT_TF_SPAN_MIN || (r->nspans && from <= r->spans[r->nspans - 1].from))
		return;	/* short, or kept by an earlier walk */
	if (r->nspans == r->span_cap) {
		unsigned cap = r->span_cap ? 2 * r->span_cap : 16;
		struct span *n;

		if (cap > MAX_SPANS || !(n = realloc(r->spans, cap * sizeof(*n))))
			return;	/* the records pass scans this one again */
		r->spans = n;
		r->span_cap = cap;
	}
	r->spans[r->nspans++] = (struct span){ from, to };
}

/*
 * A damaged header: its lengths cannot be trusted, so look for the next
 * place where a valid block header starts. Linear in the damaged bytes, and
 * done once per file: the trailer walk keeps what it scanned (keep_span) and
 * the records pass jumps to where the walk's scan ended, then checks there as
 * a scan would (a file that grew since may go on). Memory stays the window.
 */
static int resync(struct kht_tf_reader *r, const char *why)
{
	unsigned long long start = r->pos;
	const struct span *known = r->skim ? NULL : known_span(r, start);
	unsigned long long from = known ? known->to : start + 1;

	warn(r, start, why);
	r->pos = from;
	if (scan(r) < 0)
		return -1;
	__atomic_add_fetch(&scanned_bytes, r->pos - from, __ATOMIC_RELAXED);
	if (r->skim)
		keep_span(r, start, r->pos);
	r->st.skipped_bytes += r->pos - start;
	return 0;
}

/* Every record header inside the block, exactly filling it, nrec of them. */
static bool records_ok(const unsigned char *p, size_t len, unsigned nrec)
{
	size_t off = 0;
	unsigned n = 0;

	while (off < len) {
		size_t rlen;

		if (len - off < KHT_TF_REC_HDR)
			return false;
		rlen = ld32(p + off + 4);
		if (rlen > len - off - KHT_TF_REC_HDR)
			return false;
		off += KHT_TF_REC_HDR + rlen;
		n++;
	}
	return n == nrec;
}

static unsigned long long inflated_blocks;	/* kht_tf_inflate_count() */

unsigned long long kht_tf_inflate_count(void)
{
	return __atomic_load_n(&inflated_blocks, __ATOMIC_RELAXED);
}

/* The 2-byte zlib header (RFC 1950): deflate, window <= 32 KiB, check bits, no preset dictionary. */
static bool zlib_header_ok(const unsigned char *p)
{
	return (p[0] & 0x0f) == Z_DEFLATED && p[0] >> 4 <= 7 && !(p[1] & 0x20) &&
	       (p[0] << 8 | p[1]) % 31 == 0;
}

/*
 * Decompress a block whose header is valid into ubuf; NULL or why it is damaged.
 *
 * The payload CRC covers every stored byte, the zlib stream's adler32 trailer
 * included, so the adler32 of the inflated bytes cannot catch anything the
 * CRC missed on a file that was written intact: recomputing it cost 12% of a
 * report. The stream is inflated raw after its checked 2-byte header, and
 * must end exactly where the 4-byte trailer then ends the payload; the
 * trailer's value is not recomputed (docs/file-format.md says so).
 */
static const char *unpack(struct kht_tf_reader *r, const struct blk *b, const unsigned char *payload)
{
	int rc;

	/*
	 * A zlib bomb is refused by its header before its payload is looked at.
	 * This bounds inflate as well: it stops at ulen (avail_out below).
	 */
	if (b->ulen > (unsigned long long)b->clen * KHT_TF_MAX_RATIO)
		return "inflates to over " STR(KHT_TF_MAX_RATIO) " times its stored size: a zlib bomb";
	if (crc(payload, b->clen) != b->pcrc)
		return "payload CRC mismatch";
	__atomic_add_fetch(&inflated_blocks, 1, __ATOMIC_RELAXED);
	if (b->ulen > r->ucap || !r->ubuf) {
		size_t cap = b->ulen > KHT_TF_BLOCK_SIZE ? b->ulen : KHT_TF_BLOCK_SIZE;
		unsigned char *n = realloc(r->ubuf, cap);

		if (!n)
			return "out of memory";
		r->ubuf = n;
		r->ucap = cap;
	}
	if (!r->zinit) {
		if (inflateInit2(&r->zs, -MAX_WBITS) != Z_OK)
			return "out of memory";
		r->zinit = true;
	} else if (inflateReset(&r->zs) != Z_OK) {
		return "bad compressed data";
	}
	/* header (2) + at least one deflate byte + adler32 trailer (4) */
	if (b->clen < 7 || !zlib_header_ok(payload))
		return "bad compressed data";
	r->zs.next_in = (unsigned char *)payload + 2;
	r->zs.avail_in = b->clen - 2;
	r->zs.next_out = r->ubuf;
	r->zs.avail_out = b->ulen;	/* inflate stops there: a lying length cannot overrun ubuf */
	rc = inflate(&r->zs, Z_FINISH);
	/* the stream ends exactly at ulen bytes, and exactly 4 bytes before the payload does */
	if (rc != Z_STREAM_END || r->zs.avail_out || r->zs.avail_in != 4)
		return "bad compressed data";
	if (b->kind == BLK_RECORDS && !records_ok(r->ubuf, b->ulen, b->nrec))
		return "bad record lengths";
	return NULL;
}

static bool parse_trailer(struct kht_tf_reader *r, const unsigned char *p, size_t len)
{
	struct kht_tf_trailer *t = &r->trailer;
	struct rbuf c = { p, len, 0, false };
	unsigned n;

	memset(t, 0, sizeof(*t));
	t->records = get(&c, 8);
	t->drops = get(&c, 8);
	t->end_mono_ns = get(&c, 8);
	n = get(&c, 4);
	if (n > KHT_TF_MAX_FILE_TYPES)
		return false;
	for (unsigned i = 0; i < n && !c.bad; i++) {
		unsigned type = get(&c, 4);
		unsigned long long count = get(&c, 8);

		if (t->ntypes < KHT_TF_MAX_TYPES)
			t->types[t->ntypes++] = (struct kht_tf_type_count){ type, count };
	}
	n = get(&c, 4);
	if (n > KHT_TF_MAX_CPUS)
		return false;
	for (unsigned i = 0; i < n && !c.bad; i++)
		t->drops_per_cpu[t->ncpus++] = get(&c, 8);
	return !c.bad;
}

/* The end of the data: partial bytes belong to a block cut off mid-way. */
static int finish(struct kht_tf_reader *r, size_t partial)
{
	r->st.partial_bytes = partial;
	r->pos += partial;
	r->done = true;
	r->st.truncated = !r->st.has_trailer;
	return 0;
}

static void note_seq(struct kht_tf_reader *r, unsigned seq)
{
	if (seq > r->expect_seq)
		r->st.missing_blocks += seq - r->expect_seq;
	r->expect_seq = seq + 1;
}

/* Load the next intact record block: 1; 0 at the end; -1 read error. */
static int load_block(struct kht_tf_reader *r)
{
	for (;;) {
		const unsigned char *p;
		const char *why;
		struct blk b;
		size_t got;

		p = peek(r, BLK_HDR, &got);
		if (!p)
			return -1;
		if (got < BLK_HDR)
			return finish(r, got);
		if (!blk_parse(p, &b)) {
			if (resync(r, "bad block header") < 0)
				return -1;
			continue;
		}
		if (r->skim && b.kind != BLK_TRAILER) {
			/*
			 * Whatever its payload holds, the full read leaves this
			 * block at the same offset (intact: its records; damaged:
			 * skipped by this CRC-checked length), so the peek finds
			 * the same trailer without reading or inflating it.
			 */
			if (r->pos > r->size)	/* grew since opened: stop there */
				return finish(r, 0);
			if (r->size - r->pos < BLK_HDR + (unsigned long long)b.clen)
				return finish(r, r->size - r->pos);
			note_seq(r, b.seq);
			r->pos += BLK_HDR + b.clen;
			continue;
		}
		p = peek(r, BLK_HDR + b.clen, &got);
		if (!p)
			return -1;
		if (got < BLK_HDR + b.clen)
			return finish(r, got);
		if (b.kind != BLK_RECORDS && b.kind != BLK_TRAILER) {
			/* a newer writer's block kind: still check it is one */
			if (crc(p + BLK_HDR, b.clen) != b.pcrc) {
				skip_block(r, "payload CRC mismatch", BLK_HDR + b.clen);
				continue;
			}
			note_seq(r, b.seq);
			r->st.unknown_blocks++;
			r->pos += BLK_HDR + b.clen;
			continue;
		}
		why = unpack(r, &b, p + BLK_HDR);
		if (!why && b.kind == BLK_TRAILER && !parse_trailer(r, r->ubuf, b.ulen))
			why = "bad trailer";
		if (why) {
			skip_block(r, why, BLK_HDR + b.clen);
			continue;
		}
		note_seq(r, b.seq);
		r->pos += BLK_HDR + b.clen;
		if (b.kind == BLK_TRAILER) {
			/* the end; anything after it is not part of the recording */
			r->st.has_trailer = true;
			r->st.trailer = &r->trailer;
			return finish(r, 0);
		}
		r->st.blocks++;
		r->roff = 0;
		r->rec_left = b.nrec;
		return 1;
	}
}

int kht_tf_next(struct kht_tf_reader *r, unsigned *type, const void **data, unsigned *len)
{
	const unsigned char *p;

	while (!r->rec_left) {
		int rc;

		if (r->done)
			return 0;
		rc = load_block(r);
		if (rc < 0)
			r->done = true;
		if (rc <= 0)
			return rc;
	}
	/* records_ok() vouched for every header in this block */
	p = r->ubuf + r->roff;
	*type = ld32(p);
	*len = ld32(p + 4);
	*data = p + KHT_TF_REC_HDR;
	r->roff += KHT_TF_REC_HDR + *len;
	r->rec_left--;
	r->st.records++;
	return 1;
}

void kht_tf_stats(const struct kht_tf_reader *r, struct kht_tf_stats *s)
{
	*s = r->st;
}

const char *kht_tf_error(const struct kht_tf_reader *r)
{
	return r->error;
}

void kht_tf_free(struct kht_tf_reader *r)
{
	if (!r)
		return;
	if (!r->mem && r->fd >= 0)
		close(r->fd);
	if (r->zinit)
		inflateEnd(&r->zs);
	free(r->win);
	free(r->ubuf);
	free(r->spans);
	free(r);
}

/* Magic, header length, CRC, version, fields: the reasons a file is refused. */
static bool read_header(struct kht_tf_reader *r, struct kht_tf_meta *m, char *err, int errlen)
{
	const unsigned char *p;
	unsigned major, minor, hlen;
	size_t got;

	p = peek(r, PREFIX_LEN, &got);
	if (!p) {
		seterr(err, errlen, "%s", r->error);
		return false;
	}
	if (got == 0) {
		seterr(err, errlen, "%s is empty.", r->label);
		return false;
	}
	if (memcmp(p, file_magic, got < 8 ? got : 8)) {
		seterr(err, errlen, "%s is not a khugetrace recording (bad magic).", r->label);
		return false;
	}
	if (got < PREFIX_LEN) {
		seterr(err, errlen, "%s is cut off inside its file header.", r->label);
		return false;
	}
	major = get_le(p + 8, 2);
	minor = get_le(p + 10, 2);
	hlen = get_le(p + 12, 4);
	if (hlen < PREFIX_LEN + 4 || hlen > KHT_TF_MAX_HEADER) {
		seterr(err, errlen, "%s has a damaged file header (length %u).", r->label, hlen);
		return false;
	}
	p = peek(r, hlen, &got);
	if (!p) {
		seterr(err, errlen, "%s", r->error);
		return false;
	}
	if (got < hlen) {
		seterr(err, errlen, "%s is cut off inside its file header (%zu of %u bytes).",
		       r->label, got, hlen);
		return false;
	}
	/* the prefix and the closing CRC are the same in every version: check it first */
	if (crc(p, hlen - 4) != get_le(p + hlen - 4, 4)) {
		seterr(err, errlen, "%s has a damaged file header (CRC mismatch).", r->label);
		return false;
	}
	if (major < KHT_TF_MAJOR_OLDEST || major > KHT_TF_MAJOR) {
		seterr(err, errlen, "%s uses trace format %u.%u; this khugetrace reads %d.x to %d.x only%s.",
		       r->label, major, minor, KHT_TF_MAJOR_OLDEST, KHT_TF_MAJOR,
		       major > KHT_TF_MAJOR ? ": it needs a newer khugetrace" : "");
		return false;
	}
	memset(m, 0, sizeof(*m));
	m->major = major;
	m->minor = minor;
	if (!kht_tf_parse_header(p, hlen, m)) {
		seterr(err, errlen, "%s has a damaged file header (bad field).", r->label);
		return false;
	}
	r->pos = r->data_start = hlen;
	return true;
}

static struct kht_tf_reader *reader_new(const char *label)
{
	struct kht_tf_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	copy_str(r->label, sizeof(r->label), label);
	return r;
}

/* Over a buffer; NULL with err set (the buffer is refused) or ENOMEM in *rc. */
static struct kht_tf_reader *open_mem(const void *buf, size_t len, struct kht_tf_meta *m,
				      char *err, int errlen, int *rc)
{
	static const unsigned char none;
	struct kht_tf_reader *r = reader_new("the buffer");

	if (!r) {
		seterr(err, errlen, "out of memory.");
		*rc = -ENOMEM;
		return NULL;
	}
	r->mem = buf ? buf : &none;
	r->memlen = buf ? len : 0;
	r->size = r->memlen;
	if (!read_header(r, m, err, errlen)) {
		kht_tf_free(r);
		*rc = -EINVAL;
		return NULL;
	}
	return r;
}

/*
 * Over a file; NULL with err set and *rc: -errno when it cannot be opened or
 * read, -EISDIR, -EINVAL when it is refused (not a regular file, not a
 * recording, damaged header, other major).
 */
static struct kht_tf_reader *open_fd(int fd, const char *path, struct kht_tf_meta *m,
				     char *err, int errlen, int *rc)
{
	struct kht_tf_reader *r = reader_new(path);
	struct stat st;

	*rc = -EINVAL;
	if (!r) {
		close(fd);
		seterr(err, errlen, "out of memory.");
		*rc = -ENOMEM;
		return NULL;
	}
	r->fd = fd;
	if (fstat(r->fd, &st) < 0) {
		*rc = -errno;
		seterr(err, errlen, "cannot stat %s: %s.", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		*rc = -EISDIR;
		seterr(err, errlen, "%s is a directory, not a recording.", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s is not a regular file.", path);
		goto fail;
	}
	r->size = st.st_size;
	r->wcap = BLK_HDR + KHT_TF_MAX_CLEN;	/* also >= KHT_TF_MAX_HEADER */
	r->readahead = r->wcap;
	r->win = malloc(r->wcap);
	if (!r->win) {
		*rc = -ENOMEM;
		seterr(err, errlen, "cannot read %s: out of memory.", path);
		goto fail;
	}
	if (!read_header(r, m, err, errlen)) {
		if (r->errnum)
			*rc = -r->errnum;
		goto fail;
	}
	return r;
fail:
	kht_tf_free(r);
	return NULL;
}

static struct kht_tf_reader *open_file(const char *path, struct kht_tf_meta *m,
				       char *err, int errlen, int *rc)
{
	/* O_NONBLOCK: opening a FIFO must not hang before we can refuse it */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*rc = -errno;
		seterr(err, errlen, "cannot open %s: %s.", path, strerror(errno));
		return NULL;
	}
	return open_fd(fd, path, m, err, errlen, rc);
}

struct kht_tf_reader *kht_tf_open_mem(const void *buf, size_t len, struct kht_tf_meta *m,
				      char *err, int errlen)
{
	int rc;

	return open_mem(buf, len, m, err, errlen, &rc);
}

struct kht_tf_reader *kht_tf_open(const char *path, struct kht_tf_meta *m, char *err, int errlen)
{
	int rc;

	return open_file(path, m, err, errlen, &rc);
}

struct kht_tf_reader *kht_tf_open_fd(int fd, const char *label, struct kht_tf_meta *m,
				    char *err, int errlen)
{
	int rc;

	return open_fd(fd, label, m, err, errlen, &rc);
}

/*
 * Walk the block headers to the first intact trailer (skim: every other
 * block is stepped over unread), then rewind for the records pass, which
 * meets the same blocks at the same offsets and the damaged spots the walk
 * kept (keep_span) without scanning them again.
 */
int kht_tf_find_trailer(struct kht_tf_reader *r, struct kht_tf_trailer *t, char *err, int errlen)
{
	struct kht_tf_stats st = r->st;
	unsigned seq = r->expect_seq;
	size_t ra = r->readahead;
	int rc;

	if (r->pos != r->data_start || r->done || r->skim) {
		seterr(err, errlen, "%s: the trailer is looked for before the records are read.",
		       r->label);
		return -EINVAL;
	}
	r->skim = true;
	r->readahead = 0;	/* 32-byte reads: the walk needs block headers only */
	rc = load_block(r);	/* skimming, it only stops at the end */
	r->skim = false;
	r->readahead = ra;
	if (rc < 0) {
		seterr(err, errlen, "%s", r->error);
		rc = r->errnum ? -r->errnum : -EIO;
	} else if (!r->st.has_trailer) {
		seterr(err, errlen, "%s has no intact trailer: the recording did not finish.",
		       r->label);
		rc = 0;
	} else {
		memcpy(t, &r->trailer, sizeof(*t));
		rc = 1;
	}
	r->st = st;
	r->expect_seq = seq;
	r->pos = r->data_start;
	r->done = false;
	r->error[0] = 0;
	r->errnum = 0;
	return rc;
}

/* The trailer of a reader just opened (NULL: *rc says why); frees the reader and m. */
static int peek_done(struct kht_tf_reader *r, struct kht_tf_meta *m, int *rc,
		     struct kht_tf_trailer *t, char *err, int errlen)
{
	if (r)
		*rc = kht_tf_find_trailer(r, t, err, errlen);
	kht_tf_free(r);
	free(m);
	return *rc;
}

/* ~52 KiB: not on the stack */
static struct kht_tf_meta *peek_meta(char *err, int errlen)
{
	struct kht_tf_meta *m = malloc(sizeof(*m));

	if (!m)
		seterr(err, errlen, "out of memory.");
	return m;
}

int kht_tf_peek_trailer_mem(const void *buf, size_t len, struct kht_tf_trailer *t,
			    char *err, int errlen)
{
	struct kht_tf_meta *m = peek_meta(err, errlen);
	int rc = -ENOMEM;

	return m ? peek_done(open_mem(buf, len, m, err, errlen, &rc), m, &rc, t, err, errlen) : rc;
}

int kht_tf_peek_trailer(const char *path, struct kht_tf_trailer *t, char *err, int errlen)
{
	struct kht_tf_meta *m = peek_meta(err, errlen);
	int rc = -ENOMEM;

	return m ? peek_done(open_file(path, m, err, errlen, &rc), m, &rc, t, err, errlen) : rc;
}

int kht_tf_peek_trailer_fd(int fd, const char *label, struct kht_tf_trailer *t,
			   char *err, int errlen)
{
	struct kht_tf_meta *m = peek_meta(err, errlen);
	int rc = -ENOMEM;

	if (!m) {
		close(fd);
		return rc;
	}
	return peek_done(open_fd(fd, label, m, err, errlen, &rc), m, &rc, t, err, errlen);
}
