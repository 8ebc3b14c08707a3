// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "timeline.h"
#include "grow.h"
#include "json.h"
#include "events/event_kind.h"

/* Its span, through the registry; callers add only known types (kht_tl_add checks). */
static void ev_span(const union kht_any_event *e, struct kht_span *sp)
{
	memset(sp, 0, sizeof(*sp));
	kht_event_kind(e->hdr.type)->span(e, sp);
}

/* The story of an event whose span is sp (kht_tl_key). */
static void key_of(const struct kht_span *sp, unsigned pid, struct kht_tl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->kind = sp->has_file ? KHT_TL_INODE : KHT_TL_PROCESS;
	if (k->kind == KHT_TL_INODE) {
		k->dev = sp->file.dev;
		k->ino = sp->file.ino;
		k->gen = sp->file.gen;
	} else {
		k->pid = pid;
	}
}

int kht_tl_event_times(struct kht_tl_event *e, struct kht_tl_key *key, const struct kht_hdr *h,
		       size_t size)
{
	const struct kht_event_kind *k = kht_event_kind(h->type);
	struct kht_span sp;

	if (!k || size < k->size || k->size > sizeof(e->ev))
		return -1;
	if (k->summarised)
		return 1;	/* lock windows: in their collapse event; not part of a story */
	memset(&sp, 0, sizeof(sp));
	k->span(h, &sp);
	e->end_ns = sp.end_ns;
	e->has_begin = sp.has_begin;
	e->begin_ns = sp.begin_ns;
	/* a begin after the end is a corrupt record: trust only the end */
	if (!e->has_begin || e->begin_ns > e->end_ns) {
		e->has_begin = false;
		e->begin_ns = e->end_ns;
	}
	if (key)
		key_of(&sp, h->pid, key);
	return 0;
}

void kht_tl_event_fill(struct kht_tl_event *e, const struct kht_tl_event *times,
		       const struct kht_hdr *h)
{
	size_t n = kht_event_kind(h->type)->size;

	memset(e, 0, offsetof(struct kht_tl_event, ev));
	e->begin_ns = times->begin_ns;
	e->end_ns = times->end_ns;
	e->has_begin = times->has_begin;
	memcpy(&e->ev, h, n);
	memset((char *)&e->ev + n, 0, sizeof(e->ev) - n);
}

int kht_tl_event_init(struct kht_tl_event *e, const struct kht_hdr *h, size_t size)
{
	struct kht_tl_event times;
	int ret = kht_tl_event_times(&times, NULL, h, size);

	if (ret)
		return ret;
	kht_tl_event_fill(e, &times, h);
	return 0;
}

int kht_tl_room(struct kht_timeline *t, size_t first)
{
	return kht_grow((void **)&t->ev, &t->cap, t->n, sizeof(*t->ev), first);
}

int kht_tl_push(struct kht_timeline *t, const struct kht_tl_event *e)
{
	if (kht_tl_room(t, 256))
		return -1;
	t->ev[t->n] = *e;
	t->ev[t->n++].seq = t->next_seq++;
	return 0;
}

int kht_tl_add(struct kht_timeline *t, const struct kht_hdr *h, size_t size)
{
	struct kht_tl_event ev;
	int ret = kht_tl_event_init(&ev, h, size);

	if (ret)
		return ret < 0 ? -1 : 0;
	return kht_tl_push(t, &ev);
}

static int by_time(const void *a, const void *b)
{
	const struct kht_tl_event *x = a, *y = b;

	if (x->begin_ns != y->begin_ns)
		return x->begin_ns < y->begin_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void kht_tl_key(const struct kht_tl_event *e, struct kht_tl_key *k)
{
	struct kht_span sp;

	ev_span(&e->ev, &sp);
	key_of(&sp, e->ev.hdr.pid, k);
}

/* The file name the event carries (inode stories), else NULL. */
static const char *ev_name(const union kht_any_event *e)
{
	struct kht_span sp;

	ev_span(e, &sp);
	return sp.name;
}

static struct kht_tl_group *find_group(struct kht_timeline *t, const struct kht_tl_event *e)
{
	static const char no_name[KHT_NAME_LEN];
	const char *name;
	struct kht_tl_group *g;
	struct kht_tl_key k;

	kht_tl_key(e, &k);
	for (size_t i = t->ngroups; i-- > 0;) {
		g = &t->groups[i];
		if (g->kind == k.kind && (k.kind == KHT_TL_INODE ?
		    g->dev == k.dev && g->ino == k.ino && g->gen == k.gen : g->pid == k.pid)) {
			if (!g->name[0] && k.kind == KHT_TL_INODE && (name = ev_name(&e->ev)))
				memcpy(g->name, name, KHT_NAME_LEN);
			return g;
		}
	}
	name = k.kind == KHT_TL_INODE ? ev_name(&e->ev) : e->ev.hdr.comm;
	if (!name)
		name = no_name;
	g = realloc(t->groups, (t->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	t->groups = g;
	g = &t->groups[t->ngroups++];
	memset(g, 0, sizeof(*g));
	g->kind = k.kind;
	g->dev = k.dev;
	g->ino = k.ino;
	g->gen = k.gen;
	g->pid = k.pid;
	memcpy(g->name, name, k.kind == KHT_TL_INODE ? KHT_NAME_LEN : KHT_COMM_LEN);
	return g;
}

/* Append v to the array *a of *n elements (capacity *cap, doubled as needed). */
static int push(size_t **a, size_t *n, size_t *cap, size_t v)
{
	if (kht_grow((void **)a, cap, *n, sizeof(**a), 16))
		return -1;
	(*a)[(*n)++] = v;
	return 0;
}

static int group_add(struct kht_timeline *t, struct kht_tl_group *g, size_t idx)
{
	const struct kht_tl_event *e = &t->ev[idx];

	if (e->end_ns - e->begin_ns > g->max_span_ns)
		g->max_span_ns = e->end_ns - e->begin_ns;
	if (e->ev.hdr.type == KHT_EV_UFFD && push(&g->uffd, &g->nuffd, &g->cap_uffd, g->n))
		return -1;
	return push(&g->idx, &g->n, &g->cap, idx);
}

static bool in_window(const struct kht_tl_event *e, const struct kht_tl_filter *f,
		      unsigned long long base_ns)
{
	double t = e->begin_ns >= base_ns ? (e->begin_ns - base_ns) / 1e9 : 0;

	return t >= f->since_s && (!f->until_set || t <= f->until_s);
}

bool kht_tl_event_passes(const struct kht_tl_event *e, const struct kht_tl_filter *f,
			 unsigned long long base_ns)
{
	struct kht_tl_key k;

	if (!f->ino)
		return in_window(e, f, base_ns);
	kht_tl_key(e, &k);
	return kht_tl_key_passes(e, &k, f, base_ns);
}

bool kht_tl_key_passes(const struct kht_tl_event *e, const struct kht_tl_key *k,
		       const struct kht_tl_filter *f, unsigned long long base_ns)
{
	if (!in_window(e, f, base_ns))
		return false;
	return !f->ino || (k->kind == KHT_TL_INODE && k->ino == f->ino);
}

static bool group_has_pid(const struct kht_timeline *t, const struct kht_tl_group *g, unsigned pid)
{
	for (size_t i = 0; i < g->n; i++)
		if (t->ev[g->idx[i]].ev.hdr.pid == pid)
			return true;
	return false;
}

static void drop_group(struct kht_timeline *t, size_t i)
{
	free(t->groups[i].idx);
	free(t->groups[i].uffd);
	memmove(&t->groups[i], &t->groups[i + 1], (t->ngroups - i - 1) * sizeof(*t->groups));
	t->ngroups--;
}

/* The sort key of an event, and where it is: sorting these moves 16 bytes, not an event. */
struct sort_key {
	unsigned long long begin_ns;
	unsigned seq, at;
};

static int by_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->begin_ns != y->begin_ns)
		return x->begin_ns < y->begin_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * t->ev in (begin, seq) order: by_time's order, each event moved once, in
 * place (the keys' cycles): a second array of events would double the peak.
 */
static void sort_events(struct kht_timeline *t)
{
	struct kht_tl_event tmp;
	struct sort_key *k;
	size_t i;

	for (i = 1; i < t->n && by_time(&t->ev[i - 1], &t->ev[i]) < 0; i++)
		;
	if (i >= t->n)
		return;	/* in order already: a quiet story usually is */
	k = malloc(t->n * sizeof(*k));
	if (!k) {
		qsort(t->ev, t->n, sizeof(*t->ev), by_time);
		return;
	}
	for (i = 0; i < t->n; i++)
		k[i] = (struct sort_key){ t->ev[i].begin_ns, t->ev[i].seq, i };
	qsort(k, t->n, sizeof(*k), by_key);
	/* position j takes the event at k[j].at; a done position points at itself */
	for (i = 0; i < t->n; i++) {
		size_t j = i;

		if (k[i].at == i)
			continue;
		tmp = t->ev[i];
		while (k[j].at != i) {
			size_t from = k[j].at;

			t->ev[j] = t->ev[from];
			k[j].at = j;
			j = from;
		}
		t->ev[j] = tmp;
		k[j].at = j;
	}
	free(k);
}

int kht_tl_build(struct kht_timeline *t, const struct kht_tl_filter *f, unsigned long long base_ns)
{
	sort_events(t);
	for (size_t i = 0; i < t->n; i++) {
		struct kht_tl_group *g;

		if (!in_window(&t->ev[i], f, base_ns))
			continue;
		g = find_group(t, &t->ev[i]);
		if (!g || group_add(t, g, i))
			return -1;
	}
	/* Filters on groups: an inode's story keeps its other tasks' events. */
	for (size_t i = t->ngroups; i-- > 0;) {
		const struct kht_tl_group *g = &t->groups[i];

		if ((f->ino && (g->kind != KHT_TL_INODE || g->ino != f->ino)) ||
		    (f->pid && !group_has_pid(t, g, f->pid)))
			drop_group(t, i);
	}
	return 0;
}

void kht_tl_unbuild(struct kht_timeline *t)
{
	for (size_t i = 0; i < t->ngroups; i++) {
		free(t->groups[i].idx);
		free(t->groups[i].uffd);
	}
	free(t->groups);
	t->groups = NULL;
	t->ngroups = 0;
}

size_t kht_tl_prune(struct kht_timeline *t, unsigned long long keep_from,
		    bool (*keep_old)(const struct kht_timeline *t, const struct kht_tl_event *e,
				     void *ctx),
		    void *ctx)
{
	size_t kept = 0, n = t->n;

	/* keep_old sees the whole array: decide first, then compact */
	for (size_t i = 0; i < n; i++)
		t->ev[i].doomed = t->ev[i].end_ns < keep_from && !(keep_old && keep_old(t, &t->ev[i], ctx));
	for (size_t i = 0; i < n; i++)
		if (!t->ev[i].doomed)
			t->ev[kept++] = t->ev[i];
	t->n = kept;
	/* give memory back once the window is much smaller than the peak */
	if (t->cap > 1024 && kept < t->cap / 4) {
		void *p = realloc(t->ev, (t->cap / 2) * sizeof(*t->ev));

		if (p) {
			t->ev = p;
			t->cap /= 2;
		}
	}
	return n - kept;
}

void kht_tl_free(struct kht_timeline *t)
{
	kht_tl_unbuild(t);
	free(t->ev);
	memset(t, 0, sizeof(*t));
}

size_t kht_tl_first_at(const struct kht_timeline *t, const struct kht_tl_group *g,
		       unsigned long long ts)
{
	unsigned long long from = ts > g->max_span_ns ? ts - g->max_span_ns : 0;
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ev[g->idx[mid]].begin_ns < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool kht_tl_collapse_retry(const struct kht_timeline *t, const struct kht_tl_group *g, size_t i,
			   const struct kht_enum *results)
{
	const struct kht_tl_event *e = &t->ev[g->idx[i]];
	unsigned long long start, prev_start;
	long long dirty;
	bool exact;

	if (e->ev.hdr.type != KHT_EV_COLLAPSE || !results ||
	    !kht_enum_value(results, "SCAN_PAGE_DIRTY_OR_WRITEBACK", &dirty) ||
	    !kht_collapse_start(&e->ev.collapse, results, &start, &exact))
		return false;
	/*
	 * The task's previous collapse in this story, if it was the first
	 * attempt: back in begin order over a second or two (other tasks'
	 * seeks and writes may be many in between; count is no bound).
	 */
	for (size_t j = i; j-- > 0;) {
		const struct kht_tl_event *p = &t->ev[g->idx[j]];
		const struct kht_collapse *pc = &p->ev.collapse;

		if (p->begin_ns + 2000000000ULL < e->begin_ns)
			break;
		if (p->ev.hdr.type != KHT_EV_COLLAPSE || pc->hdr.tid != e->ev.hdr.tid)
			continue;
		return (pc->flags & KHT_F_HAVE_RESULT) && pc->result == dirty &&
		       p->end_ns <= e->end_ns && e->end_ns - p->end_ns < 1000000000ULL &&
		       kht_collapse_start(pc, results, &prev_start, &exact) && prev_start == start;
	}
	return false;
}

bool kht_tl_in_window(const struct kht_tl_event *c, unsigned long long ts)
{
	return c->ev.hdr.type == KHT_EV_COLLAPSE && c->has_begin &&
	       ts >= c->begin_ns && ts <= c->end_ns;
}
