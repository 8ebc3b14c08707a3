// SPDX-License-Identifier: GPL-2.0
/*
 * The recorded-trace file: writer, reader, event encoding. docs/file-format.md
 * is the specification; the comments here say why the code is shaped as it is.
 *
 * Everything read from a file is untrusted: every length is checked against
 * the KHT_TF_MAX_* limits and against the bytes actually present before it is
 * used, and nothing is allocated from a length in the file beyond those limits.
 */
#define _GNU_SOURCE	/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "khugetrace.h"
#include "tracefile.h"
#include "events/event_kind.h"

static const unsigned char file_magic[8] = { 'K', 'H', 'T', 'R', 'A', 'C', 'E', 0 };
static const unsigned char block_magic[4] = { 'K', 'H', 'T', 'B' };

#define PREFIX_LEN 16		/* magic, major, minor, header length: fixed in every version */
#define BLK_HDR 32
#define BLK_RECORDS 1
#define BLK_TRAILER 2
#define ZLEVEL 1		/* speed over ratio: the recorder must keep up with the ring buffer */

static void seterr(char *err, int errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, int errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static unsigned crc(const void *p, size_t len)
{
	return crc32(0, p, len);
}

/* ---- little-endian encoding ---- */

static uint64_t get_le(const unsigned char *p, int size)
{
	uint64_t v = 0;

	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Fixed-size loads for the per-record paths (one instruction on little-endian hosts). */
static inline uint32_t ld32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint64_t ld64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static void set_le(unsigned char *p, uint64_t v, int size)
{
	for (int i = 0; i < size; i++, v >>= 8)
		p[i] = v & 0xff;
}

/*
 * Output buffer. With cap 0 it only counts, which sizes the header exactly
 * before it is written for real.
 */
struct wbuf {
	unsigned char *p;
	size_t len, cap;
};

static void put_bytes(struct wbuf *b, const void *src, size_t n)
{
	if (b->len + n <= b->cap)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_le(struct wbuf *b, uint64_t v, int size)
{
	unsigned char tmp[8];

	set_le(tmp, v, size);
	put_bytes(b, tmp, size);
}

/* u16 length + bytes, no terminator; s is a char array of at most max bytes */
static void put_str(struct wbuf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_le(b, n, 2);
	put_bytes(b, s, n);
}

/* Input cursor: reads past the end set .bad and yield zeros, so parsers check once. */
struct rbuf {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static uint64_t get(struct rbuf *c, int size)
{
	if (c->bad || c->len - c->off < (size_t)size) {
		c->bad = true;
		return 0;
	}
	c->off += size;
	return get_le(c->p + c->off - size, size);
}

/* A header string into out[outlen], cut (and counted in *cut) if too long. */
static void get_str(struct rbuf *c, char *out, size_t outlen, unsigned *cut)
{
	size_t n = get(c, 2), keep;

	if (n > KHT_TF_MAX_STR || c->len - c->off < n)
		c->bad = true;
	if (c->bad) {
		out[0] = 0;
		return;
	}
	keep = n < outlen ? n : outlen - 1;
	memcpy(out, c->p + c->off, keep);
	out[keep] = 0;
	if (keep < n)
		(*cut)++;
	c->off += n;
}

/* ---- event encoding ---- */

/*
 * Each kind's wire-field table is in its tools/lib/events/ev_*.c: APPEND
 * ONLY, so older files decode with newer members zero and older readers
 * ignore them; explicit `pad` members are not stored. Field kinds:
 * tools/lib/events/event_kind.h (short names here).
 */
enum { F_INT = KHT_WIRE_INT, F_SINT = KHT_WIRE_SINT, F_TS = KHT_WIRE_TS, F_BYTES = KHT_WIRE_BYTES };

#define HDR_WIRE 40		/* encoded struct kht_hdr: what decode requires */

unsigned kht_tf_event_wire_size(unsigned type)
{
	const struct kht_event_kind *c = kht_event_kind(type);
	unsigned n = 0;

	for (unsigned i = 0; c && i < c->nfields; i++)
		n += c->fields[i].size;
	return n;
}

int kht_tf_encode_event(const void *ev, void *out, unsigned outlen)
{
	struct kht_hdr hdr;
	const struct kht_event_kind *c;
	unsigned char *o = out;
	unsigned n = 0;

	memcpy(&hdr, ev, sizeof(hdr));
	c = kht_event_kind(hdr.type);
	if (!c)
		return -ENOENT;
	if (kht_tf_event_wire_size(hdr.type) > outlen)
		return -ENOSPC;
	for (unsigned i = 0; i < c->nfields; i++) {
		const struct kht_field *f = &c->fields[i];
		const unsigned char *src = (const unsigned char *)ev + f->off;

		if (f->kind == F_BYTES) {
			memcpy(o + n, src, f->size);
		} else if (f->size == 8) {
			uint64_t v;

			memcpy(&v, src, 8);
			set_le(o + n, v, 8);
		} else {
			uint32_t v;

			memcpy(&v, src, 4);
			set_le(o + n, v, 4);
		}
		n += f->size;
	}
	return n;
}

/* The fixed (1.0) encoding: every field at its size, in table order. */
static int decode_fixed(const struct kht_event_kind *c, const unsigned char *in, unsigned len,
			unsigned char *o)
{
	unsigned n = 0;

	if (len < HDR_WIRE)
		return -EINVAL;
	/* fields past a short payload stay zero: an older writer lacked them */
	for (unsigned i = 0; i < c->nfields && len - n >= c->fields[i].size; i++) {
		const struct kht_field *f = &c->fields[i];

		if (f->kind == F_BYTES) {
			memcpy(o + f->off, in + n, f->size);
		} else if (f->size == 8) {
			uint64_t v = ld64(in + n);

			memcpy(o + f->off, &v, 8);
		} else {
			uint32_t v = ld32(in + n);

			memcpy(o + f->off, &v, 4);
		}
		n += f->size;
	}
	return 0;
}

/*
 * ---- the packed (2.0) encoding ----
 *
 * The same fields in the same order, each as an LEB128 varint: F_INT as is,
 * F_SINT zigzagged (sign-extended from its size), F_TS relative to hdr.ts_ns
 * (ts_pack), F_BYTES as a varint count of the bytes up to the last non-zero
 * one, then those bytes. About a third of the fixed size: inflate, most of a
 * report's time, has a third of the bytes to make.
 */
#define HDR_NF 6		/* hdr fields at the start of every table */

static uint64_t zigzag(uint64_t v)
{
	return v << 1 ^ (0 - (v >> 63));
}

static uint64_t unzigzag(uint64_t v)
{
	return v >> 1 ^ (0 - (v & 1));
}

/*
 * A timestamp as a small number: zigzag(v - ts), with the value that means
 * v == 0 ("unknown", frequent) swapped to 0 and the ones below it shifted up
 * by one. A bijection on u64, so every value round-trips.
 */
static uint64_t ts_pack(uint64_t v, uint64_t ts)
{
	uint64_t x = zigzag(v - ts), z0 = zigzag(0 - ts);

	return x == z0 ? 0 : x < z0 ? x + 1 : x;
}

static uint64_t ts_unpack(uint64_t y, uint64_t ts)
{
	uint64_t z0 = zigzag(0 - ts);

	return ts + unzigzag(y == 0 ? z0 : y <= z0 ? y - 1 : y);
}

static unsigned put_varint(unsigned char *o, uint64_t v)
{
	unsigned n = 0;

	while (v >= 0x80) {
		o[n++] = (v & 0x7f) | 0x80;
		v >>= 7;
	}
	o[n++] = v;
	return n;
}

/* Bytes used, or -1 when the varint runs past avail or over 10 bytes. */
static int get_varint(const unsigned char *p, unsigned avail, uint64_t *v)
{
	uint64_t x = 0;

	if (avail && p[0] < 0x80) {
		*v = p[0];
		return 1;
	}
	for (unsigned i = 0; i < avail && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return -1;
}

/* The most bytes a packed event of this type can take. */
static unsigned packed_max(const struct kht_event_kind *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nfields; i++)
		n += c->fields[i].kind == F_BYTES ? c->fields[i].size + 2 : c->fields[i].size == 8 ? 10 : 5;
	return n;
}

int kht_tf_pack_event(const void *ev, void *out, unsigned outlen)
{
	const unsigned char *e = ev;
	unsigned char *o = out;
	const struct kht_event_kind *c;
	struct kht_hdr hdr;
	unsigned n = 0;

	memcpy(&hdr, ev, sizeof(hdr));
	c = kht_event_kind(hdr.type);
	if (!c)
		return -ENOENT;
	if (packed_max(c) > outlen)
		return -ENOSPC;
	for (unsigned i = 0; i < c->nfields; i++) {
		const struct kht_field *f = &c->fields[i];
		uint64_t v;

		if (f->kind == F_BYTES) {
			unsigned k = f->size;

			while (k && !e[f->off + k - 1])
				k--;
			n += put_varint(o + n, k);
			memcpy(o + n, e + f->off, k);
			n += k;
			continue;
		}
		if (f->size == 8) {
			memcpy(&v, e + f->off, 8);
		} else {
			uint32_t v32;

			memcpy(&v32, e + f->off, 4);
			v = f->kind == F_SINT ? (uint64_t)(int64_t)(int32_t)v32 : v32;
		}
		if (f->kind == F_SINT)
			v = zigzag(v);
		else if (f->kind == F_TS)
			v = ts_pack(v, hdr.ts_ns);
		n += put_varint(o + n, v);
	}
	return n;
}

/*
 * Fields after the payload's end stay zero (an older writer); the header
 * fields must all be there; a field cut in the middle, a varint over 10
 * bytes, or a byte count over the field's size is damage.
 */
static int decode_packed(const struct kht_event_kind *c, const unsigned char *in, unsigned len,
			 unsigned char *o)
{
	uint64_t ts = 0;
	unsigned n = 0, i;

	for (i = 0; i < c->nfields && n < len; i++) {
		const struct kht_field *f = &c->fields[i];
		uint64_t v;
		int k = get_varint(in + n, len - n, &v);

		if (k < 0)
			return -EINVAL;
		n += k;
		if (f->kind == F_BYTES) {
			if (v > f->size || v > len - n)
				return -EINVAL;
			memcpy(o + f->off, in + n, v);
			n += v;
			continue;
		}
		if (f->kind == F_SINT)
			v = unzigzag(v);
		else if (f->kind == F_TS)
			v = ts_unpack(v, ts);
		if (i == 0)
			ts = v;		/* hdr.ts_ns */
		if (f->size == 8) {
			memcpy(o + f->off, &v, 8);
		} else {
			uint32_t v32 = v;

			memcpy(o + f->off, &v32, 4);
		}
	}
	return i < HDR_NF ? -EINVAL : 0;
}

int kht_tf_decode_event(unsigned type, const void *data, unsigned len, void *out, unsigned outlen)
{
	unsigned etype = kht_tf_event_type(type);
	const struct kht_event_kind *c = kht_event_kind(etype);
	struct kht_hdr hdr;
	int rc;

	if (!c)
		return -ENOENT;
	if (outlen < c->size)
		return -ENOSPC;
	memset(out, 0, c->size);
	if (type & KHT_TF_PACKED)
		rc = decode_packed(c, data, len, out);
	else
		rc = decode_fixed(c, data, len, out);
	if (rc)
		return rc;
	memcpy(&hdr, out, sizeof(hdr));
	hdr.type = etype;
	hdr.size = c->size;
	memcpy(out, &hdr, sizeof(hdr));
	return c->size;
}

/* ---- metadata ---- */

static void copy_str(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src ? src : "");
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

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
static void put_header(struct wbuf *b, const struct kht_tf_meta *m)
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
static bool parse_header(const unsigned char *p, size_t len, struct kht_tf_meta *m)
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

/* ---- writer ---- */

struct kht_tf_writer {
	int fd;
	int err;			/* first write error (-errno): sticky */
	unsigned seq;			/* next block number */
	size_t ulen;
	unsigned nrec;
	struct kht_tf_wstats st;
	unsigned ntypes;
	struct kht_tf_type_count types[KHT_TF_MAX_TYPES];
	unsigned char ubuf[KHT_TF_BLOCK_SIZE];
	unsigned char *obuf;		/* block header + compressed payload */
	size_t ocap;
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		c += k;
		n -= k;
	}
	return 0;
}

/* Compress ubuf into one block of this kind and write it with one write(). */
static int emit_block(struct kht_tf_writer *w, unsigned kind)
{
	uLongf clen = w->ocap - BLK_HDR;
	unsigned char *h = w->obuf;
	int err;

	if (w->err)
		return w->err;
	if (compress2(h + BLK_HDR, &clen, w->ubuf, w->ulen, ZLEVEL) != Z_OK)
		return w->err = -EIO;
	memcpy(h, block_magic, 4);
	set_le(h + 4, kind, 2);
	set_le(h + 6, 0, 2);
	set_le(h + 8, w->seq, 4);
	set_le(h + 12, w->ulen, 4);
	set_le(h + 16, clen, 4);
	set_le(h + 20, w->nrec, 4);
	set_le(h + 24, crc(h + BLK_HDR, clen), 4);
	set_le(h + 28, crc(h, 28), 4);
	err = write_all(w->fd, h, BLK_HDR + clen);
	if (err)
		return w->err = err;
	w->seq++;
	w->st.blocks++;
	if (kind == BLK_RECORDS)
		w->st.records_out += w->nrec;	/* in the file now, not just buffered */
	w->st.bytes_out += BLK_HDR + clen;
	w->ulen = 0;
	w->nrec = 0;
	return 0;
}

int kht_tf_flush(struct kht_tf_writer *w)
{
	if (w->err)
		return w->err;
	return w->nrec ? emit_block(w, BLK_RECORDS) : 0;
}

static void count_type(struct kht_tf_writer *w, unsigned type)
{
	for (unsigned i = 0; i < w->ntypes; i++) {
		if (w->types[i].type == type) {
			w->types[i].count++;
			return;
		}
	}
	/* more distinct types than the table holds: only the total counts them */
	if (w->ntypes < KHT_TF_MAX_TYPES)
		w->types[w->ntypes++] = (struct kht_tf_type_count){ type, 1 };
}

/* Append one record of this wire type, counted in the trailer under count_as. */
static int put_record(struct kht_tf_writer *w, unsigned type, unsigned count_as,
		      const void *data, unsigned len)
{
	int err;

	if (w->err)
		return w->err;
	if (type == 0)
		return -EINVAL;
	if (len > KHT_TF_MAX_RECORD)
		return -E2BIG;
	if (w->ulen + KHT_TF_REC_HDR + len > sizeof(w->ubuf)) {
		err = emit_block(w, BLK_RECORDS);
		if (err)
			return err;
	}
	set_le(w->ubuf + w->ulen, type, 4);
	set_le(w->ubuf + w->ulen + 4, len, 4);
	if (len)
		memcpy(w->ubuf + w->ulen + KHT_TF_REC_HDR, data, len);
	w->ulen += KHT_TF_REC_HDR + len;
	w->nrec++;
	w->st.records++;
	w->st.bytes_in += KHT_TF_REC_HDR + len;
	count_type(w, count_as);
	return 0;
}

int kht_tf_write(struct kht_tf_writer *w, unsigned type, const void *data, unsigned len)
{
	return put_record(w, type, type, data, len);
}

/* Packed (2.0): the record type says so; the trailer counts it under its event type. */
int kht_tf_write_event(struct kht_tf_writer *w, const void *ev)
{
	unsigned char buf[1024];
	struct kht_hdr hdr;
	int n = kht_tf_pack_event(ev, buf, sizeof(buf));

	if (n < 0)
		return n;
	memcpy(&hdr, ev, sizeof(hdr));
	return put_record(w, hdr.type | KHT_TF_PACKED, hdr.type, buf, n);
}

void kht_tf_writer_stats(const struct kht_tf_writer *w, struct kht_tf_wstats *s)
{
	*s = w->st;
}

/* Trailer body into ubuf (it always fits: ~33 KiB at most). */
static void put_trailer(struct kht_tf_writer *w, const struct kht_tf_trailer *t)
{
	struct wbuf b = { w->ubuf, 0, sizeof(w->ubuf) };
	unsigned ncpus = t ? (t->ncpus > KHT_TF_MAX_CPUS ? KHT_TF_MAX_CPUS : t->ncpus) : 0;
	unsigned long long end = t ? t->end_mono_ns : 0;
	struct timespec now;

	if (!end && clock_gettime(CLOCK_MONOTONIC, &now) == 0)
		end = ts_ns(&now);
	put_le(&b, w->st.records, 8);
	put_le(&b, t ? t->drops : 0, 8);
	put_le(&b, end, 8);
	put_le(&b, w->ntypes, 4);
	for (unsigned i = 0; i < w->ntypes; i++) {
		put_le(&b, w->types[i].type, 4);
		put_le(&b, w->types[i].count, 8);
	}
	put_le(&b, ncpus, 4);
	for (unsigned i = 0; i < ncpus; i++)
		put_le(&b, t->drops_per_cpu[i], 8);
	w->ulen = b.len;
	w->nrec = 0;
}

int kht_tf_close(struct kht_tf_writer *w, const struct kht_tf_trailer *t)
{
	return kht_tf_close_stats(w, t, NULL);
}

int kht_tf_close_stats(struct kht_tf_writer *w, const struct kht_tf_trailer *t,
		       struct kht_tf_wstats *ws)
{
	int err = kht_tf_flush(w);

	if (!err) {
		put_trailer(w, t);
		err = emit_block(w, BLK_TRAILER);
	}
	if (!err && fsync(w->fd) < 0 && errno != EINVAL && errno != EROFS)
		err = -errno;	/* EINVAL: /dev/null, a pipe: nothing to sync */
	if (close(w->fd) < 0 && !err)
		err = -errno;
	if (ws)
		*ws = w->st;
	free(w->obuf);
	free(w);
	return err;
}

static int write_header(int fd, const struct kht_tf_meta *m)
{
	struct wbuf b = { 0 };
	int err;

	put_header(&b, m);		/* count only */
	b.cap = b.len;
	b.len = 0;
	b.p = malloc(b.cap);
	if (!b.p)
		return -ENOMEM;
	put_header(&b, m);
	err = write_all(fd, b.p, b.len);
	free(b.p);
	return err ? err : (int)b.cap;
}

/*
 * The header goes into the temporary (or the file written through), then the
 * temporary is put in place: a failed create leaves the old file as it was.
 */
struct kht_tf_writer *kht_tf_create_out(struct kht_outfile *o, const struct kht_tf_meta *m,
					char *err, int errlen)
{
	struct kht_tf_writer *w = calloc(1, sizeof(*w));
	int n;

	if (w) {
		w->ocap = BLK_HDR + compressBound(KHT_TF_BLOCK_SIZE);
		w->obuf = malloc(w->ocap);
	}
	if (!w || !w->obuf) {
		seterr(err, errlen, "cannot create %s: out of memory.", o->path);
		goto fail;
	}
	n = write_header(o->fd, m);
	if (n < 0) {
		seterr(err, errlen, "cannot write %s: %s.", o->path, strerror(-n));
		goto fail;
	}
	if (kht_out_publish(o, err, errlen))
		goto fail;
	w->fd = o->fd;		/* the writer owns it now */
	o->fd = -1;
	kht_out_release(o);
	w->st.bytes_out = n;
	return w;
fail:
	kht_out_abort(o);
	if (w)
		free(w->obuf);
	free(w);
	return NULL;
}

struct kht_tf_writer *kht_tf_create(const char *path, const struct kht_tf_meta *m,
				    char *err, int errlen)
{
	struct kht_outfile o;

	if (kht_out_open(&o, path, 0, NULL, 0, err, errlen))
		return NULL;
	return kht_tf_create_out(&o, m, err, errlen);
}

/* ---- reader ---- */

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
	if (!parse_header(p, hlen, m)) {
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

int kht_tf_peek_trailer_mem(const void *buf, size_t len, struct kht_tf_trailer *t,
			    char *err, int errlen)
{
	struct kht_tf_meta *m = malloc(sizeof(*m));	/* ~52 KiB: not on the stack */
	struct kht_tf_reader *r;
	int rc = -ENOMEM;

	if (!m) {
		seterr(err, errlen, "out of memory.");
		return rc;
	}
	r = open_mem(buf, len, m, err, errlen, &rc);
	if (r)
		rc = kht_tf_find_trailer(r, t, err, errlen);
	kht_tf_free(r);
	free(m);
	return rc;
}

int kht_tf_peek_trailer(const char *path, struct kht_tf_trailer *t, char *err, int errlen)
{
	struct kht_tf_meta *m = malloc(sizeof(*m));
	struct kht_tf_reader *r;
	int rc = -ENOMEM;

	if (!m) {
		seterr(err, errlen, "out of memory.");
		return rc;
	}
	r = open_file(path, m, err, errlen, &rc);
	if (r)
		rc = kht_tf_find_trailer(r, t, err, errlen);
	kht_tf_free(r);
	free(m);
	return rc;
}

int kht_tf_peek_trailer_fd(int fd, const char *label, struct kht_tf_trailer *t,
			   char *err, int errlen)
{
	struct kht_tf_meta *m = malloc(sizeof(*m));
	struct kht_tf_reader *r;
	int rc = -ENOMEM;

	if (!m) {
		close(fd);
		seterr(err, errlen, "out of memory.");
		return rc;
	}
	r = open_fd(fd, label, m, err, errlen, &rc);
	if (r)
		rc = kht_tf_find_trailer(r, t, err, errlen);
	kht_tf_free(r);
	free(m);
	return rc;
}
