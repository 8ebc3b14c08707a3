// SPDX-License-Identifier: GPL-2.0
/* The race rules in epochs over a stream: see races_stream.h. */
#include <stdlib.h>
#include <string.h>
#include "races_stream.h"
#include "grow.h"
#include "events/event_kind.h"

/*
 * Ends of events not held, in blocks: each end as its distance from the one
 * before (2 bytes: ends come about in order, 1 us apart on a busy host), or
 * after GHOST_ESCAPE in full (4 more words) where that does not fit. No end is
 * taken out alone: a block counts the ends at or after its floor (the
 * latest keep window that pruned it), and goes once none is.
 */
#define GHOST_WORDS 8192
#define GHOST_ESCAPE 0xffff
struct kht_rs_ghosts {
	unsigned long long last, min, floor;	/* last: the newest end put; min: of those live */
	unsigned n, live, nw;			/* ends put, ends live, words used */
	unsigned short w[GHOST_WORDS];
};

/* A story's newest held collapse: what keeps the story's place (see spans). */
struct kht_rs_guard {
	struct kht_tl_key key;
	unsigned long long begin_ns, end_ns;
	unsigned seq;
	bool used, usable;	/* usable: named and passing the filter */
};

/* A point in a story: spans and compact collapses sort by these (inode, then time). */
struct story_at {
	unsigned dev, gen;
	unsigned long long ino, begin_ns;
};

static int story_at_cmp(struct story_at x, struct story_at y)
{
	if (x.dev != y.dev)
		return x.dev < y.dev ? -1 : 1;
	if (x.ino != y.ino)
		return x.ino < y.ino ? -1 : 1;
	if (x.gen != y.gen)
		return x.gen < y.gen ? -1 : 1;
	return x.begin_ns < y.begin_ns ? -1 : x.begin_ns > y.begin_ns;
}

static int span_cmp(const void *a, const void *b)
{
	const struct kht_rs_span *x = a, *y = b;

	return story_at_cmp((struct story_at){ x->dev, x->gen, x->ino, x->begin_ns },
			    (struct story_at){ y->dev, y->gen, y->ino, y->begin_ns });
}

int kht_rs_spans_add(struct kht_rs_spans *sp, const struct kht_hdr *h, size_t size)
{
	struct kht_tl_event e;
	struct kht_tl_key k;

	/* times and story only: the event itself is not kept */
	if (h->type != KHT_EV_COLLAPSE || kht_tl_event_times(&e, &k, h, size))
		return 0;
	if (k.kind != KHT_TL_INODE)
		return 0;
	if (kht_grow((void **)&sp->s, &sp->cap, sp->n, sizeof(*sp->s), 256))
		return -1;
	/* only a collapse whose entry was seen weighs seeks: the others reach no overlap */
	sp->s[sp->n++] = (struct kht_rs_span){ k.dev, k.gen, k.ino, e.begin_ns,
					       e.has_begin ? e.end_ns + 1 : 0 };
	return 0;
}

/*
 * Sorted by inode and begin; end_ns becomes the latest end + 1 of the
 * inode's collapses so far whose entry was seen (0: none). A collapse whose
 * entry was not seen adds no end: it goes, but for the first of its inode
 * (spans_any), as the span before it answers spans_overlap the same. End-only
 * modes (tp_btf) would otherwise keep 32 bytes a collapse for nothing.
 */
void kht_rs_spans_done(struct kht_rs_spans *sp)
{
	size_t kept = sp->n ? 1 : 0;
	void *p;

	qsort(sp->s, sp->n, sizeof(*sp->s), span_cmp);
	for (size_t i = 1; i < sp->n; i++) {
		struct kht_rs_span *prev = &sp->s[kept - 1];
		bool same = sp->s[i].dev == prev->dev && sp->s[i].ino == prev->ino &&
			    sp->s[i].gen == prev->gen;

		if (same && !sp->s[i].end_ns)
			continue;
		sp->s[kept] = sp->s[i];
		if (same && prev->end_ns > sp->s[kept].end_ns)
			sp->s[kept].end_ns = prev->end_ns;
		kept++;
	}
	sp->n = kept;
	/* give the first pass's memory back for the judging pass */
	if (kept && kept < sp->cap / 2 && (p = realloc(sp->s, kept * sizeof(*sp->s)))) {
		sp->s = p;
		sp->cap = kept;
	}
}

void kht_rs_spans_free(struct kht_rs_spans *sp)
{
	free(sp->s);
	memset(sp, 0, sizeof(*sp));
}

/* The first span of sp after (inode k, begin `at`) in its order (after: or at it too). */
static size_t spans_after(const struct kht_rs_spans *sp, const struct kht_tl_key *k,
			  unsigned long long at, bool at_too)
{
	struct kht_rs_span probe = { k->dev, k->gen, k->ino, at, 0 };
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = span_cmp(&sp->s[mid], &probe);

		if (c < 0 || (c == 0 && !at_too))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool span_of(const struct kht_rs_span *s, const struct kht_tl_key *k)
{
	return s->dev == k->dev && s->ino == k->ino && s->gen == k->gen;
}

/* Does inode k have a collapse at all? */
static bool spans_any(const struct kht_rs_spans *sp, const struct kht_tl_key *k)
{
	size_t i = spans_after(sp, k, 0, true);

	return i < sp->n && span_of(&sp->s[i], k);
}

/* Does a collapse of inode k whose entry was seen overlap [from, to]? */
static bool spans_overlap(const struct kht_rs_spans *sp, const struct kht_tl_key *k,
			  unsigned long long from, unsigned long long to)
{
	/* the last collapse that began by `to`: the latest end of those before it */
	size_t i = spans_after(sp, k, to, false);

	return i && span_of(&sp->s[i - 1], k) && sp->s[i - 1].end_ns > from;
}

static size_t guard_hash(const struct kht_tl_key *k, size_t cap)
{
	unsigned long long h = k->ino * 0x9E3779B97F4A7C15ULL ^ k->dev * 0xC2B2AE3D27D4EB4FULL ^
			       k->gen ^ k->pid;

	return (size_t)(h ^ h >> 29) & (cap - 1);
}

static struct kht_rs_guard *guard_find(const struct kht_races_stream *rs, const struct kht_tl_key *k)
{
	if (!rs->cap_guards)
		return NULL;
	for (size_t i = guard_hash(k, rs->cap_guards);; i = (i + 1) & (rs->cap_guards - 1)) {
		struct kht_rs_guard *g = &rs->guards[i];

		if (!g->used)
			return NULL;
		if (!memcmp(&g->key, k, sizeof(*k)))
			return g;
	}
}

/* The slot of story k, made if new; NULL: no memory. */
static struct kht_rs_guard *guard_slot(struct kht_races_stream *rs, const struct kht_tl_key *k)
{
	struct kht_rs_guard *g = guard_find(rs, k);

	if (g)
		return g;
	if (2 * (rs->nguards + 1) > rs->cap_guards) {
		size_t cap = rs->cap_guards ? rs->cap_guards * 2 : 64;
		struct kht_rs_guard *old = rs->guards, *p = calloc(cap, sizeof(*p));
		size_t ocap = rs->cap_guards;

		if (!p)
			return NULL;
		rs->guards = p;
		rs->cap_guards = cap;
		for (size_t i = 0; i < ocap; i++) {
			size_t j = guard_hash(&old[i].key, cap);

			if (!old[i].used)
				continue;
			while (p[j].used)
				j = (j + 1) & (cap - 1);
			p[j] = old[i];
		}
		free(old);
	}
	for (size_t i = guard_hash(k, rs->cap_guards);; i = (i + 1) & (rs->cap_guards - 1))
		if (!rs->guards[i].used) {
			rs->nguards++;
			rs->guards[i] = (struct kht_rs_guard){ .key = *k, .used = true };
			return &rs->guards[i];
		}
}

/* A collapse was just held: its story's guard is now it. 0 or -1 (no memory). */
static int guard_note(struct kht_races_stream *rs, const struct kht_tl_event *c)
{
	struct kht_span sp = { 0 };
	struct kht_rs_guard *g;
	struct kht_tl_key k;

	kht_tl_key(c, &k);
	if (k.kind != KHT_TL_INODE)
		return 0;
	if (!(g = guard_slot(rs, &k)))
		return -1;
	kht_event_kind(c->ev.hdr.type)->span(&c->ev, &sp);
	g->begin_ns = c->begin_ns;
	g->end_ns = c->end_ns;
	g->seq = c->seq;
	g->usable = sp.name && sp.name[0] && kht_tl_event_passes(c, &rs->filter, rs->base_ns);
	return 0;
}

/*
 * May e (to arrive with seq rs->tl.next_seq) go unheld? When no rule can
 * weigh it for any collapse, and its absence changes no story the reports
 * print: its story is filtered out, or a process's (never judged), or has
 * no collapse in the whole stream (nothing to report), or an older held
 * collapse of its story, named, comes first and is held as long
 * as e would be (so the story's place and name stay).
 */
static bool ghost_ok(const struct kht_races_stream *rs, const struct kht_tl_event *e)
{
	const struct kht_rs_guard *g;
	struct kht_tl_key k;

	if (e->ev.hdr.type == KHT_EV_UFFD) {
		unsigned op = e->ev.uffd.op;

		if (op == KHT_UFFD_REGISTER || op == KHT_UFFD_UNREGISTER || op == KHT_UFFD_CONTINUE)
			return false;
	} else if (e->ev.hdr.type != KHT_EV_SEEK && e->ev.hdr.type != KHT_EV_MINCORE) {
		return false;
	}
	if (!kht_tl_event_passes(e, &rs->filter, rs->base_ns))
		return true;
	kht_tl_key(e, &k);
	if (k.kind != KHT_TL_INODE || !spans_any(rs->spans, &k))
		return true;
	if (e->ev.hdr.type != KHT_EV_UFFD && spans_overlap(rs->spans, &k, e->begin_ns, e->end_ns))
		return false;
	if (rs->filter.pid && e->ev.hdr.pid == rs->filter.pid)
		return false;	/* it may be what keeps its story under -p */
	g = guard_find(rs, &k);
	return g && g->usable &&
	       (g->begin_ns < e->begin_ns || (g->begin_ns == e->begin_ns && g->seq < rs->tl.next_seq)) &&
	       e->end_ns <= g->end_ns + (KHT_RS_KEEP_COLLAPSES_NS - KHT_RS_KEEP_NS) &&
	       g->end_ns + (KHT_RS_KEEP_COLLAPSES_NS - KHT_RS_KEEP_NS) >= rs->kept_from;
}

/* Put end into b; false: no room (or below its floor: a new block counts it). */
static bool ghost_put(struct kht_rs_ghosts *b, unsigned long long end)
{
	if (end < b->floor)
		return false;
	if (b->n && end >= b->last && end - b->last < GHOST_ESCAPE && b->nw < GHOST_WORDS) {
		b->w[b->nw++] = (unsigned short)(end - b->last);
	} else if (b->nw + 5 <= GHOST_WORDS) {
		b->w[b->nw++] = GHOST_ESCAPE;
		for (int k = 0; k < 4; k++)
			b->w[b->nw++] = (unsigned short)(end >> 16 * k);
	} else {
		return false;
	}
	b->n++;
	b->live++;
	b->last = end;
	if (end < b->min)
		b->min = end;
	return true;
}

/* The end after prev at word *i of b (ghost_put's coding); *i moves past it. */
static unsigned long long ghost_next(const struct kht_rs_ghosts *b, unsigned *i,
				     unsigned long long prev)
{
	unsigned long long end = 0;

	if (b->w[*i] != GHOST_ESCAPE)
		return prev + b->w[(*i)++];
	for (int k = 0; k < 4; k++)
		end |= (unsigned long long)b->w[*i + 1 + k] << 16 * k;
	*i += 5;
	return end;
}

/* Note the end of an event not held. 0 or -1 (no memory). */
static int ghost_add(struct kht_races_stream *rs, unsigned long long end_ns)
{
	struct kht_rs_ghosts *b = rs->nghost_blocks ? rs->ghosts[rs->nghost_blocks - 1] : NULL;

	if (!b || !ghost_put(b, end_ns)) {
		if (kht_grow((void **)&rs->ghosts, &rs->cap_ghost_blocks, rs->nghost_blocks,
			 sizeof(*rs->ghosts), 64) || !(b = malloc(sizeof(*b))))
			return -1;
		b->n = b->live = b->nw = 0;
		b->last = b->floor = 0;
		b->min = ~0ULL;
		rs->ghosts[rs->nghost_blocks++] = b;
		ghost_put(b, end_ns);	/* an empty block takes any end */
	}
	rs->nghosts++;
	rs->ghosted++;
	return 0;
}

/* Count b's ends at or after keep_from (its floor from now on) again. */
static void ghost_recount(struct kht_rs_ghosts *b, unsigned long long keep_from)
{
	unsigned long long end = 0;

	if (keep_from > b->floor)
		b->floor = keep_from;
	b->live = 0;
	b->min = ~0ULL;
	for (unsigned i = 0; i < b->nw;) {
		end = ghost_next(b, &i, end);
		if (end < b->floor)
			continue;
		b->live++;
		if (end < b->min)
			b->min = end;
	}
}

/* The keep window moved to keep_from: forget the ends it dropped. */
static void ghost_prune(struct kht_races_stream *rs, unsigned long long keep_from)
{
	size_t kept = 0;

	for (size_t i = 0; i < rs->nghost_blocks; i++) {
		struct kht_rs_ghosts *b = rs->ghosts[i];

		if (b->min < keep_from) {
			unsigned live = b->live;

			ghost_recount(b, keep_from);
			rs->nghosts -= live - b->live;
		}
		if (b->live || i == rs->nghost_blocks - 1)
			rs->ghosts[kept++] = b;
		else
			free(b);
	}
	rs->nghost_blocks = kept;
}

/* What the schedule counts: the events held (in full or compact), and those not held that would be. */
static size_t counted(const struct kht_races_stream *rs)
{
	return rs->tl.n + rs->nold + rs->nghosts;
}

static int old_cmp(const void *a, const void *b)
{
	const struct kht_old_collapse *x = a, *y = b;
	int c = story_at_cmp((struct story_at){ x->dev, x->gen, x->ino, x->begin_ns },
			     (struct story_at){ y->dev, y->gen, y->ino, y->begin_ns });

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same_story(const struct kht_old_collapse *x, const struct kht_old_collapse *y)
{
	return x->dev == y->dev && x->ino == y->ino && x->gen == y->gen;
}

/*
 * A collapse judged for good, as kept from now on: nothing of it is judged
 * again, and the rules skip collapses when they walk a story, so its span,
 * story, arrival, task and name are all that later epochs can see of it.
 */
static void old_from(struct kht_old_collapse *o, const struct kht_tl_event *e,
		     const struct kht_races_stream *rs)
{
	const struct kht_collapse *c = &e->ev.collapse;

	*o = (struct kht_old_collapse){
		.ino = c->ino, .begin_ns = e->begin_ns, .end_ns = e->end_ns, .dev = c->dev,
		.gen = c->gen, .seq = e->seq, .pid = c->hdr.pid, .has_begin = e->has_begin,
		.in_story = kht_tl_event_passes(e, &rs->filter, rs->base_ns),
	};
	memcpy(o->name, c->name, sizeof(o->name));
}

/* The event o stands for, as far as a judging can tell (see old_from). */
static void stand_in(struct kht_tl_event *e, const struct kht_old_collapse *o)
{
	struct kht_collapse *c = &e->ev.collapse;

	memset(e, 0, sizeof(*e));
	e->begin_ns = o->begin_ns;
	e->end_ns = o->end_ns;
	e->has_begin = o->has_begin;
	e->seq = o->seq;
	e->stand_in = true;
	c->hdr.type = KHT_EV_COLLAPSE;
	c->hdr.size = sizeof(*c);
	c->hdr.ts_ns = o->end_ns;
	c->hdr.pid = o->pid;
	c->start_ns = o->begin_ns;
	c->flags = KHT_F_HAVE_INODE | (o->has_begin ? KHT_F_HAVE_DURATION : 0);
	c->ino = o->ino;
	c->dev = o->dev;
	c->gen = o->gen;
	memcpy(c->name, o->name, sizeof(c->name));
}

static int push_stand_in(struct kht_races_stream *rs, const struct kht_old_collapse *o)
{
	if (kht_tl_room(&rs->tl, 256))
		return -1;
	stand_in(&rs->tl.ev[rs->tl.n++], o);
	return 0;
}

/*
 * For one judging, put back the old collapses that can decide something of
 * their story: which event comes first (its place in the output), the
 * first name, and under -p whether the pid is in it. The rest weigh only
 * as spans (kht_race_opts.old). 0 or -1 (no memory).
 */
static int add_stand_ins(struct kht_races_stream *rs)
{
	const size_t none = (size_t)-1;

	for (size_t i = 0, j; i < rs->nold; i = j) {
		size_t first = none, named = none, of_pid = none;

		for (j = i; j < rs->nold && same_story(&rs->old[j], &rs->old[i]); j++) {
			const struct kht_old_collapse *o = &rs->old[j];

			if (!o->in_story)
				continue;
			if (first == none)
				first = j;
			if (named == none && o->name[0])
				named = j;
			if (of_pid == none && rs->filter.pid && o->pid == rs->filter.pid)
				of_pid = j;
		}
		if ((first != none && push_stand_in(rs, &rs->old[first])) ||
		    (named != none && named != first && push_stand_in(rs, &rs->old[named])) ||
		    (of_pid != none && of_pid != first && of_pid != named &&
		     push_stand_in(rs, &rs->old[of_pid])))
			return -1;
	}
	return 0;
}

/* Is e an inode collapse judged by now (ended before cut)? Stand-ins are not. */
static bool retires(const struct kht_tl_event *e, unsigned long long cut)
{
	struct kht_tl_key k;

	if (e->stand_in || e->ev.hdr.type != KHT_EV_COLLAPSE || e->end_ns >= cut)
		return false;
	kht_tl_key(e, &k);
	return k.kind == KHT_TL_INODE;
}

/* Merge the sorted batch b (n) into rs->old (room made), from the back. */
static void old_merge(struct kht_races_stream *rs, const struct kht_old_collapse *b, size_t n)
{
	size_t i = rs->nold, w = rs->nold + n;

	rs->nold = w;
	while (n) {
		if (i && old_cmp(&rs->old[i - 1], &b[n - 1]) > 0)
			rs->old[--w] = rs->old[--i];
		else
			rs->old[--w] = b[--n];
	}
}

/*
 * After a judging: drop the stand-ins, and move the inode collapses that
 * ended before cut (all judged now: an earlier epoch moved the older ones)
 * out of the timeline into their compact form. 0 or -1 (no memory).
 */
static int retire(struct kht_races_stream *rs, unsigned long long cut)
{
	struct kht_old_collapse *b = NULL;
	size_t n = 0, kept = 0;

	for (size_t i = 0; i < rs->tl.n; i++)
		n += retires(&rs->tl.ev[i], cut);
	while (rs->cap_old < rs->nold + n)
		if (kht_grow((void **)&rs->old, &rs->cap_old, rs->cap_old, sizeof(*rs->old), 256))
			return -1;
	if (n && !(b = malloc(n * sizeof(*b))))
		return -1;
	n = 0;
	for (size_t i = 0; i < rs->tl.n; i++) {
		const struct kht_tl_event *e = &rs->tl.ev[i];

		if (retires(e, cut))
			old_from(&b[n++], e, rs);
		else if (!e->stand_in)
			rs->tl.ev[kept++] = *e;
	}
	rs->tl.n = kept;
	qsort(b, n, sizeof(*b), old_cmp);
	old_merge(rs, b, n);
	free(b);
	return 0;
}

/* The compact collapses that the keep window of collapses left (see keep_old). */
static void old_prune(struct kht_races_stream *rs, unsigned long long keep_from)
{
	size_t kept = 0;

	for (size_t i = 0; i < rs->nold; i++)
		if (rs->old[i].end_ns + (KHT_RS_KEEP_COLLAPSES_NS - KHT_RS_KEEP_NS) >= keep_from)
			rs->old[kept++] = rs->old[i];
	rs->dropped += rs->nold - kept;
	rs->nold = kept;
}

static size_t epoch_size(const struct kht_races_stream *rs)
{
	return rs->epoch_events ? rs->epoch_events : KHT_RS_EPOCH_EVENTS;
}

/*
 * An event older than the keep window stays if it is a collapse within the
 * longer window of collapses, or a registration still in force: no
 * unregistration, also older, removed it (a later one is still in the
 * window and needs its registration to match).
 */
struct prune_ctx {
	unsigned long long keep_from;
	size_t *unreg, nunreg;		/* positions of the old UFFDIO_UNREGISTERs */
};

static bool keep_old(const struct kht_timeline *t, const struct kht_tl_event *e, void *ctx)
{
	const struct prune_ctx *pc = ctx;

	if (e->ev.hdr.type == KHT_EV_COLLAPSE)
		return e->end_ns + (KHT_RS_KEEP_COLLAPSES_NS - KHT_RS_KEEP_NS) >= pc->keep_from;
	if (e->ev.hdr.type != KHT_EV_UFFD || e->ev.uffd.op != KHT_UFFD_REGISTER || e->ev.uffd.result)
		return false;
	for (size_t i = 0; i < pc->nunreg; i++)
		if (kht_races_unregisters(&t->ev[pc->unreg[i]], e))
			return false;
	return true;
}

/* Drop what no later judgement needs; -1: no memory (nothing dropped). */
static int prune(struct kht_races_stream *rs, unsigned long long keep_from)
{
	struct prune_ctx pc = { .keep_from = keep_from };
	size_t n = 0;

	for (size_t i = 0; i < rs->tl.n; i++)
		n += rs->tl.ev[i].end_ns < keep_from && rs->tl.ev[i].ev.hdr.type == KHT_EV_UFFD &&
		     rs->tl.ev[i].ev.uffd.op == KHT_UFFD_UNREGISTER;
	if (n && !(pc.unreg = malloc(n * sizeof(*pc.unreg))))
		return -1;
	for (size_t i = 0; i < rs->tl.n; i++)
		if (rs->tl.ev[i].end_ns < keep_from && rs->tl.ev[i].ev.hdr.type == KHT_EV_UFFD &&
		    rs->tl.ev[i].ev.uffd.op == KHT_UFFD_UNREGISTER)
			pc.unreg[pc.nunreg++] = i;
	rs->dropped += kht_tl_prune(&rs->tl, keep_from, keep_old, &pc);
	free(pc.unreg);
	old_prune(rs, keep_from);
	ghost_prune(rs, keep_from);
	rs->kept_from = keep_from;
	return 0;
}

/*
 * Judge the collapses that ended before cut (~0: all that are left), emit
 * their reports, and drop the events no later judgement needs.
 */
static int epoch(struct kht_races_stream *rs, unsigned long long cut)
{
	struct kht_judge_span span = rs->judged;
	int ret;

	span.end_before = cut;
	rs->epochs++;
	/* held whole or compact: as many as before records were kept (-v) */
	if (rs->tl.n + rs->nold > rs->peak_events)
		rs->peak_events = rs->tl.n + rs->nold;
	ret = add_stand_ins(rs);
	rs->opts.old = rs->old;
	rs->opts.nold = rs->nold;
	if (!ret)
		ret = kht_tl_build(&rs->tl, &rs->filter, rs->base_ns);
	if (!ret)
		ret = kht_races_find_some(&rs->races, &rs->tl, rs->results, &rs->opts, &span);
	if (!ret && rs->emit)
		rs->emit(rs->ctx, &rs->races);
	kht_races_forget(&rs->races);
	kht_tl_unbuild(&rs->tl);
	/* at the end nothing is judged again: only the stand-ins go */
	if (ret || retire(rs, cut == ~0ULL || rs->keep_judged ? 0 : cut))
		return -1;
	/* what arrives from now on was not judged, whenever it ended */
	rs->judged.judged_before = cut;
	rs->judged.seq_from = rs->tl.next_seq;
	if (cut != ~0ULL && prune(rs, cut > KHT_RS_KEEP_NS ? cut - KHT_RS_KEEP_NS : 0))
		return -1;
	/* a window that alone fills an epoch: wait for it to double, not for each event */
	rs->next_epoch = counted(rs) * 2 > epoch_size(rs) ? counted(rs) * 2 : epoch_size(rs);
	return 0;
}

size_t kht_rs_epoch_from_env(void)
{
	const char *v = getenv("KHT_RACES_EPOCH_EVENTS");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return 0;
	n = strtoull(v, &end, 10);
	return *end || !n ? 0 : (size_t)n;
}

int kht_rs_add(struct kht_races_stream *rs, const struct kht_hdr *h, size_t size)
{
	struct kht_tl_event e;
	int ret = kht_tl_event_init(&e, h, size);	/* made once, held or not */

	/* < 0: not an event; > 0: summarised (lock windows), not held, as kht_tl_add */
	if (ret < 0)
		return -1;
	if (!ret && rs->spans && (h->type == KHT_EV_SEEK || h->type == KHT_EV_MINCORE ||
				  h->type == KHT_EV_UFFD) && ghost_ok(rs, &e)) {
		if (ghost_add(rs, e.end_ns))
			return -1;
		rs->tl.next_seq++;	/* the held events keep the numbers they had */
	} else if (!ret && (kht_tl_push(&rs->tl, &e) ||
			    (h->type == KHT_EV_COLLAPSE &&
			     guard_note(rs, &rs->tl.ev[rs->tl.n - 1])))) {
		return -1;
	}
	if (h->ts_ns > rs->newest_ns)
		rs->newest_ns = h->ts_ns;
	if (!rs->next_epoch)
		rs->next_epoch = epoch_size(rs);
	if (rs->tick_only || rs->newest_ns <= KHT_RS_LAG_NS)
		return 0;
	if (counted(rs) < rs->next_epoch &&
	    rs->newest_ns - KHT_RS_LAG_NS < rs->judged.judged_before + KHT_RS_PERIOD_NS)
		return 0;
	return epoch(rs, rs->newest_ns - KHT_RS_LAG_NS);
}

int kht_rs_tick(struct kht_races_stream *rs, unsigned long long now_ns)
{
	if (!rs->next_epoch)
		rs->next_epoch = epoch_size(rs);
	if (now_ns <= KHT_RS_LAG_NS || !counted(rs) ||
	    (now_ns - KHT_RS_LAG_NS < rs->judged.judged_before + KHT_RS_PERIOD_NS &&
	     !(rs->tick_only && counted(rs) >= rs->next_epoch)))
		return 0;
	return epoch(rs, now_ns - KHT_RS_LAG_NS);
}

int kht_rs_note_loss(struct kht_races_stream *rs, unsigned long long from_ns,
		     unsigned long long to_ns)
{
	size_t kept = 0;

	/* spans older than anything still to judge can go */
	for (size_t i = 0; i < rs->nlosses; i++)
		if (rs->losses[i].to_ns + KHT_RS_KEEP_COLLAPSES_NS >= rs->judged.judged_before)
			rs->losses[kept++] = rs->losses[i];
	rs->nlosses = kept;
	if (kht_grow((void **)&rs->losses, &rs->cap_losses, rs->nlosses, sizeof(*rs->losses), 16))
		return -1;
	rs->losses[rs->nlosses++] = (struct kht_loss){ from_ns, to_ns };
	rs->opts.losses = rs->losses;
	rs->opts.nlosses = rs->nlosses;
	return 0;
}

int kht_rs_finish(struct kht_races_stream *rs)
{
	return epoch(rs, ~0ULL);
}

void kht_rs_free(struct kht_races_stream *rs)
{
	kht_tl_free(&rs->tl);
	kht_races_free(&rs->races);
	free(rs->losses);
	for (size_t i = 0; i < rs->nghost_blocks; i++)
		free(rs->ghosts[i]);
	free(rs->ghosts);
	free(rs->guards);
	free(rs->old);
}
