// SPDX-License-Identifier: GPL-2.0
/* Stories over a stream, written as they go quiet: see timeline_stream.h. */
#include <stdlib.h>
#include <string.h>
#include "timeline_stream.h"

/* One active story: its events so far (since its last part), in arrival order. */
struct kht_tls_story {
	struct kht_tls_story *hnext;		/* hash chain */
	struct kht_tls_story *prev, *next;	/* by last event added, oldest first */
	struct kht_tl_key key;
	struct kht_timeline tl;
	unsigned long long first_ns;		/* begin of the first event held */
	unsigned long long first_arrival;	/* its place in the whole stream */
	unsigned long long last_ns;		/* latest end seen: quiet from then on */
	unsigned parts;				/* written so far (a split story) */
	unsigned long long tag;			/* the caller's (emit) */
};

static size_t story_max(const struct kht_tl_stream *s)
{
	return s->story_events ? s->story_events : KHT_TLS_STORY_EVENTS;
}

static size_t held_max(const struct kht_tl_stream *s)
{
	return s->held_events ? s->held_events : KHT_TLS_HELD_EVENTS;
}

static size_t hash_key(const struct kht_tl_key *k)
{
	unsigned long long h = k->ino * 0x9e3779b97f4a7c15ULL;

	h ^= ((unsigned long long)k->dev << 32 | k->gen) * 0xc2b2ae3d27d4eb4fULL;
	h ^= ((unsigned long long)k->kind << 32 | k->pid) * 0x165667b19e3779f9ULL;
	return h ^ h >> 29;
}

static bool same_key(const struct kht_tl_key *a, const struct kht_tl_key *b)
{
	return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino && a->gen == b->gen &&
	       a->pid == b->pid;
}

static int grow_hash(struct kht_tl_stream *s)
{
	size_t n = s->nbuckets ? s->nbuckets * 2 : 256;
	struct kht_tls_story **h = calloc(n, sizeof(*h));

	if (!h)
		return -1;
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct kht_tls_story *st = s->hash[i], *nx; st; st = nx) {
			size_t b = hash_key(&st->key) & (n - 1);

			nx = st->hnext;
			st->hnext = h[b];
			h[b] = st;
		}
	free(s->hash);
	s->hash = h;
	s->nbuckets = n;
	return 0;
}

static void list_unlink(struct kht_tl_stream *s, struct kht_tls_story *st)
{
	*(st->prev ? &st->prev->next : &s->oldest) = st->next;
	*(st->next ? &st->next->prev : &s->newest) = st->prev;
	st->prev = st->next = NULL;
}

static void list_append(struct kht_tl_stream *s, struct kht_tls_story *st)
{
	st->prev = s->newest;
	st->next = NULL;
	*(s->newest ? &s->newest->next : &s->oldest) = st;
	s->newest = st;
}

static struct kht_tls_story *find_story(struct kht_tl_stream *s, const struct kht_tl_key *k)
{
	struct kht_tls_story *st;
	size_t b;

	if (s->nbuckets) {
		for (st = s->hash[hash_key(k) & (s->nbuckets - 1)]; st; st = st->hnext)
			if (same_key(&st->key, k))
				return st;
	}
	if (s->nstories >= s->nbuckets && grow_hash(s))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->key = *k;
	b = hash_key(k) & (s->nbuckets - 1);
	st->hnext = s->hash[b];
	s->hash[b] = st;
	list_append(s, st);
	if (++s->nstories > s->peak_stories)
		s->peak_stories = s->nstories;
	return st;
}

static void drop_story(struct kht_tl_stream *s, struct kht_tls_story *st)
{
	struct kht_tls_story **p = &s->hash[hash_key(&st->key) & (s->nbuckets - 1)];

	while (*p != st)
		p = &(*p)->hnext;
	*p = st->hnext;
	list_unlink(s, st);
	s->held -= st->tl.n;
	s->cap_held -= st->tl.cap;
	kht_tl_free(&st->tl);
	free(st);
	s->nstories--;
}

/*
 * Room for one more event in the story, its bookkeeping done for an event
 * with these times: the slot, for the caller to fill; NULL (no memory).
 */
static struct kht_tl_event *push_slot(struct kht_tl_stream *s, struct kht_tls_story *st,
				      const struct kht_tl_event *times)
{
	struct kht_timeline *t = &st->tl;

	size_t cap = t->cap;

	/* start small: most stories are a handful of events */
	if (kht_tl_room(t, 4))
		return NULL;
	s->cap_held += t->cap - cap;
	if (s->cap_held > s->peak_cap_held)
		s->peak_cap_held = s->cap_held;
	if (!t->n || times->begin_ns < st->first_ns) {
		st->first_ns = times->begin_ns;
		st->first_arrival = s->arrivals;
	}
	if (times->end_ns > st->last_ns)
		st->last_ns = times->end_ns;
	if (++s->held > s->peak_held)
		s->peak_held = s->held;
	return &t->ev[t->n++];
}

static int push_event(struct kht_tl_stream *s, struct kht_tls_story *st,
		      const struct kht_tl_event *e)
{
	struct kht_tl_event *slot = push_slot(s, st, e);

	if (!slot)
		return -1;
	*slot = *e;
	/* arrival order within the part: ties in time keep it, and it cannot wrap in a part */
	slot->seq = st->tl.next_seq++;
	return 0;
}

/* The built story to s->take: its events go with it, the story starts an empty array. */
static int hand_over(struct kht_tl_stream *s, struct kht_tls_story *st)
{
	struct kht_timeline *t = malloc(sizeof(*t));

	if (!t)
		return -1;
	*t = st->tl;
	s->held -= t->n;
	s->cap_held -= t->cap;
	st->tl = (struct kht_timeline){ 0 };
	return s->take(s->ctx, t, &st->tag);
}

/*
 * Build what the story holds and hand it out: the whole story (its first
 * and last part), or a part (more: another follows). Its events are freed,
 * but for a part the last one: the story's next part is never empty.
 */
static int write_story(struct kht_tl_stream *s, struct kht_tls_story *st, bool more)
{
	/* --since/--until/--inode were applied as events came; -p is per story (part) */
	struct kht_tl_filter f = { .pid = s->filter.pid };
	struct kht_tl_event keep;
	bool kept = false;

	if (kht_tl_build(&st->tl, &f, s->base_ns))
		return -1;
	if (st->tl.ngroups) {
		struct kht_tl_group *g = &st->tl.groups[0];

		if (more && g->n > 1) {
			keep = st->tl.ev[g->idx[--g->n]];
			kept = true;
		}
		if (more || st->parts) {
			g->part = ++st->parts;
			g->more = more;
		}
		s->stories_out++;
		s->events_out += g->n;
		if (s->take)
			return hand_over(s, st) || (kept && push_event(s, st, &keep)) ? -1 : 0;
		if (s->emit)
			s->emit(s->ctx, &st->tl, g, &st->tag);
	}
	s->held -= st->tl.n;
	if (more && s->cap_held <= 2 * held_max(s)) {
		/*
		 * A part: the story is busy and fills its array again; kept, it is
		 * not regrown from 4 events by realloc copies for every part. Not
		 * when many busy stories would keep more than twice the bound.
		 */
		kht_tl_unbuild(&st->tl);
		st->tl.n = 0;
		st->tl.next_seq = 0;
	} else {
		s->cap_held -= st->tl.cap;
		kht_tl_free(&st->tl);
	}
	return kept ? push_event(s, st, &keep) : 0;
}

static int by_first(const void *a, const void *b)
{
	const struct kht_tls_story *x = *(struct kht_tls_story *const *)a;
	const struct kht_tls_story *y = *(struct kht_tls_story *const *)b;

	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return x->first_arrival < y->first_arrival ? -1 : x->first_arrival > y->first_arrival;
}

static int by_size_desc(const void *a, const void *b)
{
	const struct kht_tls_story *x = *(struct kht_tls_story *const *)a;
	const struct kht_tls_story *y = *(struct kht_tls_story *const *)b;

	return x->tl.n < y->tl.n ? 1 : x->tl.n > y->tl.n ? -1 : by_first(a, b);
}

/*
 * Write the n stories of v, first event first: as parts (more), or whole
 * and then forgotten.
 */
static int write_batch(struct kht_tl_stream *s, struct kht_tls_story **v, size_t n, bool more)
{
	qsort(v, n, sizeof(*v), by_first);
	for (size_t i = 0; i < n; i++) {
		if (write_story(s, v[i], more))
			return -1;
		if (!more)
			drop_story(s, v[i]);
	}
	return 0;
}

/* Write the stories with no event since KHT_TLS_QUIET_NS before what may still come. */
static int write_quiet(struct kht_tl_stream *s, unsigned long long ref_ns)
{
	unsigned long long cut;
	struct kht_tls_story **v, *st;
	size_t n = 0;
	int ret;

	if (ref_ns < KHT_TLS_LAG_NS + KHT_TLS_QUIET_NS || !s->oldest)
		return 0;
	cut = ref_ns - KHT_TLS_LAG_NS - KHT_TLS_QUIET_NS;
	/* the list is by arrival: the oldest first, so stop at the first one still active */
	for (st = s->oldest; st && st->last_ns < cut; st = st->next)
		n++;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -1;
	n = 0;
	for (st = s->oldest; st && st->last_ns < cut; st = st->next)
		v[n++] = st;
	ret = write_batch(s, v, n, false);
	free(v);
	return ret;
}

/*
 * Everything held is over the bound: cut the biggest stories (those with at
 * least KHT_TLS_MIN_PART events) until half of it is left.
 */
static int cut_biggest(struct kht_tl_stream *s)
{
	struct kht_tls_story **v, *st;
	size_t n = 0, take = 0, left = s->held;
	int ret;

	for (st = s->oldest; st; st = st->next)
		n += st->tl.n >= KHT_TLS_MIN_PART;
	v = n ? malloc(n * sizeof(*v)) : NULL;
	if (n && !v)
		return -1;
	n = 0;
	for (st = s->oldest; st; st = st->next)
		if (st->tl.n >= KHT_TLS_MIN_PART)
			v[n++] = st;
	qsort(v, n, sizeof(*v), by_size_desc);
	while (take < n && left > held_max(s) / 2)
		left -= v[take++]->tl.n;
	ret = write_batch(s, v, take, true);
	free(v);
	/*
	 * Cut down to half (each cut story keeps one event): the bound again.
	 * Else what is left is many small stories: look after another half bound.
	 */
	s->next_cut = s->held <= held_max(s) / 2 + take ? held_max(s) : s->held + held_max(s) / 2;
	return ret;
}

int kht_tls_add(struct kht_tl_stream *s, const struct kht_hdr *h, size_t size)
{
	struct kht_tls_story *st;
	struct kht_tl_event times, *slot;
	struct kht_tl_key k;
	int ret = kht_tl_event_times(&times, &k, h, size);

	if (ret)
		return ret < 0 ? -1 : 0;
	s->arrivals++;
	if (times.end_ns > s->newest_ns)
		s->newest_ns = times.end_ns;
	if (kht_tl_key_passes(&times, &k, &s->filter, s->base_ns)) {
		st = find_story(s, &k);
		if (!st || !(slot = push_slot(s, st, &times)))
			return -1;
		/* the event's one copy, straight into its story */
		kht_tl_event_fill(slot, &times, h);
		slot->seq = st->tl.next_seq++;
		if (st != s->newest) {
			list_unlink(s, st);
			list_append(s, st);
		}
		if (st->tl.n >= story_max(s) && write_story(s, st, true))
			return -1;
	}
	if (!s->next_cut)
		s->next_cut = held_max(s);
	if (s->held > s->next_cut && cut_biggest(s))
		return -1;
	return write_quiet(s, s->newest_ns);
}

int kht_tls_tick(struct kht_tl_stream *s, unsigned long long now_ns)
{
	return write_quiet(s, now_ns > s->newest_ns ? now_ns : s->newest_ns);
}

int kht_tls_finish(struct kht_tl_stream *s)
{
	struct kht_tls_story **v, *st;
	size_t n = 0;
	int ret;

	if (!s->nstories)
		return 0;
	v = malloc(s->nstories * sizeof(*v));
	if (!v)
		return -1;
	for (st = s->oldest; st; st = st->next)
		v[n++] = st;
	ret = write_batch(s, v, n, false);
	free(v);
	return ret;
}

void kht_tls_free(struct kht_tl_stream *s)
{
	while (s->oldest)
		drop_story(s, s->oldest);
	free(s->hash);
	s->hash = NULL;
	s->nbuckets = 0;
}
