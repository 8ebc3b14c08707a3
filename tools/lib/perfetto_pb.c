// SPDX-License-Identifier: GPL-2.0
/* Perfetto protobuf trace writer: encoder, interning, packets (perfetto_pb.h). */
#include <stdlib.h>
#include <string.h>
#include "perfetto_pb.h"

#define SEQUENCE_ID 1	/* one writer, one packet sequence */

/* ---- encoder ---- */

static bool reserve(struct kht_pb *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	unsigned char *p;

	if (b->oom)
		return false;
	if (b->len + more <= b->cap)
		return true;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p = (unsigned char)v;
}

static void raw_varint(struct kht_pb *b, uint64_t v)
{
	if (!reserve(b, 10))
		return;
	put_varint(b->p + b->len, v);
	b->len += varint_len(v);
}

static void tag(struct kht_pb *b, unsigned field, unsigned wire)
{
	raw_varint(b, (uint64_t)field << 3 | wire);
}

void kht_pb_varint(struct kht_pb *b, unsigned field, uint64_t v)
{
	tag(b, field, PB_VARINT);
	raw_varint(b, v);
}

void kht_pb_double(struct kht_pb *b, unsigned field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	tag(b, field, PB_I64);
	if (!reserve(b, 8))
		return;
	for (int i = 0; i < 8; i++)	/* little-endian whatever the host */
		b->p[b->len++] = (unsigned char)(u >> (8 * i));
}

void kht_pb_bytes(struct kht_pb *b, unsigned field, const void *p, size_t n)
{
	tag(b, field, PB_LEN);
	raw_varint(b, n);
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void kht_pb_str(struct kht_pb *b, unsigned field, const char *s)
{
	kht_pb_bytes(b, field, s, strlen(s));
}

/*
 * The length of a nested message is known only at its end: one byte is
 * reserved (most of ours are under 128 bytes), and the body moved up when
 * its length needs more.
 */
size_t kht_pb_open(struct kht_pb *b, unsigned field)
{
	tag(b, field, PB_LEN);
	if (!reserve(b, 1))
		return 0;
	b->p[b->len++] = 0;
	return b->len - 1;
}

void kht_pb_close(struct kht_pb *b, size_t at)
{
	size_t body, n;

	if (b->oom)
		return;
	body = b->len - at - 1;
	n = varint_len(body);
	if (n > 1) {
		if (!reserve(b, n - 1))
			return;
		memmove(b->p + at + n, b->p + at + 1, body);
		b->len += n - 1;
	}
	put_varint(b->p + at, body);
}

void kht_pb_free(struct kht_pb *b)
{
	free(b->p);
	*b = (struct kht_pb){ 0 };
}

/* ---- interning ---- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void kht_pf_map_clear(struct kht_pf_intern *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->key[i]);
	free(t->key);
	free(t->iid);
	*t = (struct kht_pf_intern){ 0 };
}

/* The slot of s: where it is, or the empty one where it goes. */
static size_t intern_slot(const struct kht_pf_intern *t, const char *s)
{
	size_t i = fnv1a(s) & (t->cap - 1);

	while (t->key[i] && strcmp(t->key[i], s))
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* The value of s, 0 if absent (for interning: not interned yet in this period). */
uint64_t kht_pf_map_find(const struct kht_pf_intern *t, const char *s)
{
	size_t i;

	if (!t->cap)
		return 0;
	i = intern_slot(t, s);
	return t->key[i] ? t->iid[i] : 0;
}

int kht_pf_map_add(struct kht_pf_intern *t, const char *s, uint64_t iid)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap) {	/* keep the load under one half */
		struct kht_pf_intern g = { .cap = t->cap ? t->cap * 2 : 64 };

		g.key = calloc(g.cap, sizeof(*g.key));
		g.iid = calloc(g.cap, sizeof(*g.iid));
		if (!g.key || !g.iid) {
			free(g.key);
			free(g.iid);
			return -1;
		}
		for (size_t j = 0; j < t->cap; j++) {
			if (!t->key[j])
				continue;
			i = intern_slot(&g, t->key[j]);
			g.key[i] = t->key[j];
			g.iid[i] = t->iid[j];
		}
		g.n = t->n;
		free(t->key);
		free(t->iid);
		*t = g;
	}
	i = intern_slot(t, s);
	t->key[i] = strdup(s);
	if (!t->key[i])
		return -1;
	t->iid[i] = iid;
	t->n++;
	return 0;
}

/*
 * The iid of s in index t; a new one is announced in the packet's
 * InternedData (field: which index; the entry is {iid = 1; name/str = 2}).
 */
static uint64_t intern(struct kht_pf_writer *w, struct kht_pf_intern *t, unsigned field,
		       const char *s)
{
	uint64_t iid = kht_pf_map_find(t, s);
	size_t at;

	if (iid)
		return iid;
	iid = ++w->next_iid;
	if (kht_pf_map_add(t, s, iid)) {
		w->error = true;
		return 0;
	}
	at = kht_pb_open(&w->interned, field);
	kht_pb_varint(&w->interned, PF_INTERNED_IID, iid);
	kht_pb_str(&w->interned, PF_INTERNED_NAME, s);
	kht_pb_close(&w->interned, at);
	return iid;
}

/* ---- packets ---- */

void kht_pf_init(struct kht_pf_writer *w, FILE *out)
{
	*w = (struct kht_pf_writer){ .out = out };
}

/* The packet in w->pkt, as `repeated TracePacket packet = 1` of the Trace. */
static void emit(struct kht_pf_writer *w)
{
	unsigned char head[11];
	size_t n;

	if (w->pkt.oom || w->interned.oom)
		w->error = true;
	if (w->error)
		return;
	head[0] = PF_TRACE_PACKET << 3 | PB_LEN;
	put_varint(head + 1, w->pkt.len);
	n = 1 + varint_len(w->pkt.len);
	if (fwrite(head, 1, n, w->out) != n ||
	    fwrite(w->pkt.p, 1, w->pkt.len, w->out) != w->pkt.len)
		w->error = true;
	w->packets++;
}

static void packet_start(struct kht_pf_writer *w)
{
	w->pkt.len = 0;
	w->interned.len = 0;
	kht_pb_varint(&w->pkt, PF_PKT_SEQUENCE_ID, SEQUENCE_ID);
}

uint64_t kht_pf_track(struct kht_pf_writer *w, uint64_t parent, const char *name)
{
	uint64_t uuid = ++w->next_uuid;
	size_t at;

	packet_start(w);
	at = kht_pb_open(&w->pkt, PF_PKT_TRACK_DESCRIPTOR);
	kht_pb_varint(&w->pkt, PF_TD_UUID, uuid);
	if (parent)
		kht_pb_varint(&w->pkt, PF_TD_PARENT_UUID, parent);
	kht_pb_str(&w->pkt, PF_TD_NAME, name);
	/* two files or tasks of one name stay two tracks; children in time order */
	kht_pb_varint(&w->pkt, PF_TD_SIBLING_MERGE, 2);
	if (!parent)
		kht_pb_varint(&w->pkt, PF_TD_CHILD_ORDERING, 2);
	kht_pb_close(&w->pkt, at);
	emit(w);
	return uuid;
}

void kht_pf_event_begin(struct kht_pf_writer *w, uint64_t ts, uint64_t track, int type,
			const char *name)
{
	uint64_t name_iid = 0;
	unsigned flags = PF_SEQ_NEEDS_INCREMENTAL_STATE;

	/*
	 * A full table starts a new interning period: the readers forget the
	 * old entries at the cleared packet, so memory stays bounded however
	 * many distinct names a recording has.
	 */
	if (w->names.n + w->annos.n + w->strings.n >= KHT_PF_INTERN_MAX) {
		kht_pf_map_clear(&w->names);
		kht_pf_map_clear(&w->annos);
		kht_pf_map_clear(&w->strings);
		w->cleared = false;
	}
	/* the first packet of a period says so, and the readers reset before reading it */
	if (!w->cleared)
		flags |= PF_SEQ_INCREMENTAL_STATE_CLEARED;
	w->cleared = true;
	packet_start(w);
	kht_pb_varint(&w->pkt, PF_PKT_TIMESTAMP, ts);
	kht_pb_varint(&w->pkt, PF_PKT_SEQUENCE_FLAGS, flags);
	if (name)
		name_iid = intern(w, &w->names, PF_ID_EVENT_NAMES, name);
	w->event_at = kht_pb_open(&w->pkt, PF_PKT_TRACK_EVENT);
	kht_pb_varint(&w->pkt, PF_TE_TYPE, type);
	kht_pb_varint(&w->pkt, PF_TE_TRACK_UUID, track);
	if (name_iid)
		kht_pb_varint(&w->pkt, PF_TE_NAME_IID, name_iid);
}

static void anno_open(struct kht_pf_writer *w, const char *key)
{
	uint64_t iid = intern(w, &w->annos, PF_ID_ANNOTATION_NAMES, key);

	w->anno_at = kht_pb_open(&w->pkt, PF_TE_DEBUG_ANNOTATIONS);
	kht_pb_varint(&w->pkt, PF_DA_NAME_IID, iid);
}

static void anno_varint(struct kht_pf_writer *w, const char *key, unsigned field, uint64_t v)
{
	anno_open(w, key);
	kht_pb_varint(&w->pkt, field, v);
	kht_pb_close(&w->pkt, w->anno_at);
}

void kht_pf_anno_uint(struct kht_pf_writer *w, const char *key, uint64_t v)
{
	anno_varint(w, key, PF_DA_UINT, v);
}

void kht_pf_anno_int(struct kht_pf_writer *w, const char *key, int64_t v)
{
	anno_varint(w, key, PF_DA_INT, (uint64_t)v);	/* int64: two's complement */
}

void kht_pf_anno_bool(struct kht_pf_writer *w, const char *key, bool v)
{
	anno_varint(w, key, PF_DA_BOOL, v);
}

void kht_pf_anno_double(struct kht_pf_writer *w, const char *key, double v)
{
	anno_open(w, key);
	kht_pb_double(&w->pkt, PF_DA_DOUBLE, v);
	kht_pb_close(&w->pkt, w->anno_at);
}

/* Strings that repeat (file names, modes, results) are interned; long ones are not. */
#define INTERN_STR_MAX 64

void kht_pf_anno_str(struct kht_pf_writer *w, const char *key, const char *v, size_t n)
{
	char s[INTERN_STR_MAX + 1];

	anno_open(w, key);
	if (n <= INTERN_STR_MAX && !memchr(v, '\0', n)) {
		memcpy(s, v, n);
		s[n] = '\0';
		kht_pb_varint(&w->pkt, PF_DA_STRING_IID,
			      intern(w, &w->strings, PF_ID_ANNOTATION_STRINGS, s));
	} else {
		kht_pb_bytes(&w->pkt, PF_DA_STRING, v, n);
	}
	kht_pb_close(&w->pkt, w->anno_at);
}

void kht_pf_anno_json(struct kht_pf_writer *w, const char *key, const char *v, size_t n)
{
	anno_open(w, key);
	kht_pb_bytes(&w->pkt, PF_DA_LEGACY_JSON, v, n);
	kht_pb_close(&w->pkt, w->anno_at);
}

void kht_pf_event_name(struct kht_pf_writer *w, const char *name)
{
	kht_pb_varint(&w->pkt, PF_TE_NAME_IID, intern(w, &w->names, PF_ID_EVENT_NAMES, name));
}

void kht_pf_event_end(struct kht_pf_writer *w)
{
	kht_pb_close(&w->pkt, w->event_at);
	if (w->interned.len)
		kht_pb_bytes(&w->pkt, PF_PKT_INTERNED_DATA, w->interned.p, w->interned.len);
	emit(w);
}

int kht_pf_finish(struct kht_pf_writer *w)
{
	if (fflush(w->out) || ferror(w->out))
		w->error = true;
	kht_pb_free(&w->pkt);
	kht_pb_free(&w->interned);
	kht_pf_map_clear(&w->names);
	kht_pf_map_clear(&w->annos);
	kht_pf_map_clear(&w->strings);
	return w->error ? -1 : 0;
}
