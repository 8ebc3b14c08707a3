// SPDX-License-Identifier: GPL-2.0
/*
 * The writer: the file header, then records buffered into 64 KiB blocks,
 * each compressed and written with one write(), then the trailer block with
 * the counts. Memory is one block; a crash loses at most the block being
 * filled. docs/file-format.md "Block", "Trailer" and "Writing" are the
 * specification.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "khugetrace.h"
#include "tracefile_internal.h"
#include "event_fmt.h"	/* kht_tf_pack_win_batch */

#define ZLEVEL 1		/* speed over ratio: the recorder must keep up with the ring buffer */

struct kht_tf_writer {
	int fd;
	int err;			/* first write error (-errno): sticky */
	unsigned seq;			/* next block number */
	size_t ulen;
	unsigned nrec;
	unsigned long long nev;		/* events in the block being filled */
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
	if (kind == BLK_RECORDS) {
		w->st.records_out += w->nrec;	/* in the file now, not just buffered */
		w->st.events_out += w->nev;
	}
	w->st.bytes_out += BLK_HDR + clen;
	w->ulen = 0;
	w->nrec = 0;
	w->nev = 0;
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

/*
 * Append one record of this wire type, counted in the trailer under
 * count_as, standing for nev events.
 */
static int put_record(struct kht_tf_writer *w, unsigned type, unsigned count_as,
		      const void *data, unsigned len, unsigned nev)
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
	w->nev += nev;
	w->st.records++;
	w->st.events += nev;
	w->st.bytes_in += KHT_TF_REC_HDR + len;
	count_type(w, count_as);
	return 0;
}

int kht_tf_write(struct kht_tf_writer *w, unsigned type, const void *data, unsigned len)
{
	return put_record(w, type, type, data, len, 1);
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
	return put_record(w, hdr.type | KHT_TF_PACKED, hdr.type, buf, n, 1);
}

/* Counted in the trailer under KHT_WIRE_LOCK_WINDOWS, the batch's own type. */
int kht_tf_write_win_batch(struct kht_tf_writer *w, const struct kht_win_batch *b)
{
	unsigned char buf[1024];
	int n = kht_tf_pack_win_batch(b, buf, sizeof(buf));

	if (n < 0)
		return n;
	return put_record(w, KHT_TF_WIN_BATCH, KHT_WIRE_LOCK_WINDOWS, buf, n, b->n);
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
	w->nev = 0;
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

	kht_tf_put_header(&b, m);		/* count only */
	b.cap = b.len;
	b.len = 0;
	b.p = malloc(b.cap);
	if (!b.p)
		return -ENOMEM;
	kht_tf_put_header(&b, m);
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
