// SPDX-License-Identifier: GPL-2.0
/* The test-side Perfetto trace reader (pf_walk.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pf_walk.h"

struct rd {
	const unsigned char *p, *end;
};

struct field {
	unsigned num, wire;
	uint64_t v;			/* varint / fixed64 value */
	const unsigned char *data;	/* length-delimited */
	size_t len;
};

static bool varint(struct rd *r, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		unsigned char c = *r->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

/* 1 a field, 0 the end, -1 malformed */
static int next(struct rd *r, struct field *f)
{
	uint64_t key;

	if (r->p == r->end)
		return 0;
	if (!varint(r, &key) || !(key >> 3))
		return -1;
	f->num = key >> 3;
	f->wire = key & 7;
	switch (f->wire) {
	case 0:
		return varint(r, &f->v) ? 1 : -1;
	case 1:
		if (r->end - r->p < 8)
			return -1;
		memcpy(&f->v, r->p, 8);
		r->p += 8;
		return 1;
	case 2:
		if (!varint(r, &f->v) || f->v > (uint64_t)(r->end - r->p))
			return -1;
		f->data = r->p;
		f->len = f->v;
		r->p += f->len;
		return 1;
	case 5:
		if (r->end - r->p < 4)
			return -1;
		r->p += 4;
		return 1;
	}
	return -1;
}

/* ---- interning: per index, iid -> string, and the period it was given in ---- */

enum { IX_NAMES, IX_ANNOS, IX_STRINGS, IX_MAX };

struct entry {
	char *s;
	size_t period;	/* valid while the walk's period equals this */
};

struct walk {
	struct pf_trace *t;
	struct entry *ix[IX_MAX];
	size_t cap[IX_MAX];
	size_t period;	/* counts CLEARED packets; 0 = no incremental state yet */
};

static int fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->t->error[0]) {
		va_start(ap, fmt);
		vsnprintf(w->t->error, sizeof(w->t->error), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int intern_entry(struct walk *w, int ix, const unsigned char *p, size_t len)
{
	struct rd r = { p, p + len };
	struct field f;
	uint64_t iid = 0;
	char s[256] = "";
	int rc;

	while ((rc = next(&r, &f)) == 1) {
		if (f.num == 1 && f.wire == 0)
			iid = f.v;
		else if (f.num == 2 && f.wire == 2 && f.len < sizeof(s))
			memcpy(s, f.data, f.len), s[f.len] = '\0';
	}
	if (rc < 0 || !iid || iid > 1u << 24)
		return fail(w, "bad interned entry (iid %llu)", (unsigned long long)iid);
	if (iid >= w->cap[ix]) {
		size_t cap = iid * 2;
		struct entry *e = realloc(w->ix[ix], cap * sizeof(*e));

		if (!e)
			return fail(w, "out of memory");
		memset(e + w->cap[ix], 0, (cap - w->cap[ix]) * sizeof(*e));
		w->ix[ix] = e;
		w->cap[ix] = cap;
	}
	if (w->ix[ix][iid].s && strcmp(w->ix[ix][iid].s, s))
		return fail(w, "iid %llu reused: \"%s\" then \"%s\"", (unsigned long long)iid,
			    w->ix[ix][iid].s, s);
	free(w->ix[ix][iid].s);
	w->ix[ix][iid].s = strdup(s);
	w->ix[ix][iid].period = w->period;
	return 0;
}

static const char *resolve(struct walk *w, int ix, uint64_t iid)
{
	if (iid >= w->cap[ix] || !w->ix[ix][iid].s || w->ix[ix][iid].period != w->period)
		return NULL;
	return w->ix[ix][iid].s;
}

static int interned_data(struct walk *w, const unsigned char *p, size_t len)
{
	struct rd r = { p, p + len };
	struct field f;
	int rc;

	while ((rc = next(&r, &f)) == 1) {
		int ix = f.num == 2 ? IX_NAMES : f.num == 3 ? IX_ANNOS : f.num == 29 ? IX_STRINGS : -1;

		if (ix >= 0 && (f.wire != 2 || intern_entry(w, ix, f.data, f.len)))
			return fail(w, "bad InternedData field %u", f.num);
	}
	return rc < 0 ? fail(w, "malformed InternedData") : 0;
}

/* ---- tracks and events ---- */

/* Room for element n of an array of n: doubled at 16, 32, 64... 0 or -1. */
static int grow(void **a, size_t n, size_t size)
{
	void *p;

	if (n && (n < 16 || (n & (n - 1))))
		return 0;
	p = realloc(*a, (n < 16 ? 16 : 2 * n) * size);
	if (!p)
		return -1;
	*a = p;
	return 0;
}

static const struct pf_track *track(const struct pf_trace *t, uint64_t uuid)
{
	for (size_t i = 0; i < t->ntracks; i++)
		if (t->tracks[i].uuid == uuid)
			return &t->tracks[i];
	return NULL;
}

static int track_descriptor(struct walk *w, const unsigned char *p, size_t len)
{
	struct rd r = { p, p + len };
	struct pf_track tr = { 0 };
	struct pf_trace *t = w->t;
	struct field f;
	int rc;

	while ((rc = next(&r, &f)) == 1) {
		if (f.num == 1 && f.wire == 0)
			tr.uuid = f.v;
		else if (f.num == 5 && f.wire == 0)
			tr.parent = f.v;
		else if (f.num == 2 && f.wire == 2 && f.len < sizeof(tr.name))
			memcpy(tr.name, f.data, f.len);
	}
	if (rc < 0 || !tr.uuid || !tr.name[0])
		return fail(w, "bad TrackDescriptor");
	if (track(t, tr.uuid))
		return fail(w, "track %llu declared twice", (unsigned long long)tr.uuid);
	if (tr.parent && !track(t, tr.parent))
		return fail(w, "track %llu has an unknown parent", (unsigned long long)tr.uuid);
	if (grow((void **)&t->tracks, t->ntracks, sizeof(tr)))
		return fail(w, "out of memory");
	t->tracks[t->ntracks++] = tr;
	return 0;
}

static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (n < cap)
		vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

#define ANNOS_MAX 1024

static int annotation(struct walk *w, struct pf_event *e, const unsigned char *p, size_t len)
{
	struct rd r = { p, p + len };
	struct field f;
	const char *key = NULL, *s;
	char val[300] = "";
	int rc;
	double d;

	while ((rc = next(&r, &f)) == 1) {
		switch (f.num) {
		case 1: key = resolve(w, IX_ANNOS, f.v); break;
		case 2: snprintf(val, sizeof(val), "%s", f.v ? "true" : "false"); break;
		case 3: snprintf(val, sizeof(val), "%llu", (unsigned long long)f.v); break;
		case 4: snprintf(val, sizeof(val), "%lld", (long long)f.v); break;
		case 5: memcpy(&d, &f.v, 8); snprintf(val, sizeof(val), "%g", d); break;
		case 6: case 9:
			snprintf(val, sizeof(val), "%.*s", (int)(f.len < 299 ? f.len : 299), f.data);
			break;
		case 17:
			if (!(s = resolve(w, IX_STRINGS, f.v)))
				return fail(w, "annotation string iid %llu does not resolve",
					    (unsigned long long)f.v);
			snprintf(val, sizeof(val), "%s", s);
			break;
		}
	}
	if (rc < 0 || !key)
		return fail(w, "annotation without a resolvable name");
	append(e->annos, ANNOS_MAX, "%s=%s;", key, val);
	return 0;
}

static int track_event(struct walk *w, uint64_t ts, unsigned flags, const unsigned char *p,
		       size_t len)
{
	struct rd r = { p, p + len };
	struct pf_trace *t = w->t;
	struct pf_event e = { .ts = ts };
	struct field f;
	const char *name;
	char nbuf[128] = "", abuf[ANNOS_MAX] = "";
	int rc;

	e.name = nbuf;
	e.annos = abuf;

	if (!(flags & 2) || !w->period)
		return fail(w, "track event without incremental state (flags %u)", flags);
	while ((rc = next(&r, &f)) == 1) {
		if (f.num == 9)
			e.type = f.v;
		else if (f.num == 11)
			e.track = f.v;
		else if (f.num == 10) {
			if (!(name = resolve(w, IX_NAMES, f.v)))
				return fail(w, "event name iid %llu does not resolve",
					    (unsigned long long)f.v);
			snprintf(nbuf, sizeof(nbuf), "%s", name);
		} else if (f.num == 23) {
			snprintf(nbuf, sizeof(nbuf), "%.*s", (int)f.len, f.data);
		} else if (f.num == 4 && annotation(w, &e, f.data, f.len)) {
			return -1;
		}
	}
	if (rc < 0)
		return fail(w, "malformed TrackEvent");
	if (e.type < 1 || e.type > 3)
		return fail(w, "TrackEvent type %d", e.type);
	if (!track(t, e.track))
		return fail(w, "event on undeclared track %llu", (unsigned long long)e.track);
	if (e.type != 2 && !nbuf[0])
		return fail(w, "slice begin or instant without a name");
	e.name = t->detail ? strdup(nbuf) : NULL;
	e.annos = t->detail ? strdup(abuf) : NULL;
	if (grow((void **)&t->events, t->nevents, sizeof(e)))
		return fail(w, "out of memory");
	t->events[t->nevents++] = e;
	return 0;
}

static int packet(struct walk *w, const unsigned char *p, size_t len)
{
	struct rd r = { p, p + len };
	struct field f, ev = { 0 }, in = { 0 }, td = { 0 };
	uint64_t ts = 0, seq = 0;
	unsigned flags = 0;
	bool has_ts = false;
	int rc;

	while ((rc = next(&r, &f)) == 1) {
		switch (f.num) {
		case 8: ts = f.v; has_ts = true; break;
		case 10: seq = f.v; break;
		case 13: flags = f.v; break;
		case 11: ev = f; break;
		case 12: in = f; break;
		case 60: td = f; break;
		}
	}
	if (rc < 0)
		return fail(w, "malformed TracePacket %zu", w->t->packets);
	if (!seq)
		return fail(w, "packet %zu without a sequence id", w->t->packets);
	if (flags & 1) {	/* new period: what was interned before is gone */
		w->period++;
		w->t->cleared++;
	}
	/* interned data first: the packet's own entries serve its event */
	if (in.data && interned_data(w, in.data, in.len))
		return -1;
	if (td.data && track_descriptor(w, td.data, td.len))
		return -1;
	if (ev.data) {
		if (!has_ts)
			return fail(w, "track event without a timestamp");
		return track_event(w, ts, flags, ev.data, ev.len);
	}
	return 0;
}

/* Slices per track, in time order as the trace processor sorts them: every end closes a begin. */
static int ev_cmp(const void *a, const void *b)
{
	const struct pf_event *x = *(const struct pf_event *const *)a,
			      *y = *(const struct pf_event *const *)b;

	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x < y ? -1 : x > y;	/* stable: file order */
}

static int pair_slices(struct walk *w)
{
	struct pf_trace *t = w->t;
	const struct pf_event **v = malloc((t->nevents + 1) * sizeof(*v));
	size_t depth = 0;

	if (!v)
		return fail(w, "out of memory");
	for (size_t i = 0; i < t->nevents; i++)
		v[i] = &t->events[i];
	qsort(v, t->nevents, sizeof(*v), ev_cmp);
	for (size_t i = 0; i < t->nevents; i++) {
		if (i && v[i]->track != v[i - 1]->track && depth) {
			fail(w, "%zu slices never end on track %llu", depth,
			     (unsigned long long)v[i - 1]->track);
			break;
		}
		if (v[i]->type == 1) {
			depth++;
		} else if (v[i]->type == 2) {
			if (!depth) {
				fail(w, "slice end without a begin on track %llu at %llu",
				     (unsigned long long)v[i]->track, (unsigned long long)v[i]->ts);
				break;
			}
			depth--;
			t->slices++;
		}
	}
	free(v);
	if (t->error[0])
		return -1;
	return depth ? fail(w, "%zu slices never end", depth) : 0;
}

int pf_walk(const unsigned char *buf, size_t len, struct pf_trace *t)
{
	struct rd r = { buf, buf + len };
	struct walk w = { .t = t };
	struct field f;
	bool detail = t->detail;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->detail = detail;
	while (!t->error[0] && (rc = next(&r, &f)) == 1) {
		if (f.num != 1 || f.wire != 2) {
			fail(&w, "top-level field %u is not a TracePacket", f.num);
			break;
		}
		packet(&w, f.data, f.len);
		t->packets++;
	}
	if (rc < 0)
		fail(&w, "truncated or malformed at byte %zu", (size_t)(r.p - buf));
	if (!t->error[0] && !t->packets)
		fail(&w, "no packets");
	if (!t->error[0])
		pair_slices(&w);
	for (int i = 0; i < IX_MAX; i++) {
		for (size_t j = 0; j < w.cap[i]; j++)
			free(w.ix[i][j].s);
		free(w.ix[i]);
	}
	return t->error[0] ? -1 : 0;
}

void pf_free(struct pf_trace *t)
{
	for (size_t i = 0; i < t->nevents; i++) {
		free(t->events[i].name);
		free(t->events[i].annos);
	}
	free(t->tracks);
	free(t->events);
	memset(t, 0, sizeof(*t));
}

size_t pf_children(const struct pf_trace *t, uint64_t uuid)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ntracks; i++)
		n += t->tracks[i].parent == uuid;
	return n;
}

const struct pf_track *pf_track_named(const struct pf_trace *t, const char *name)
{
	for (size_t i = 0; i < t->ntracks; i++)
		if (!strcmp(t->tracks[i].name, name))
			return &t->tracks[i];
	return NULL;
}
