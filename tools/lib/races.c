// SPDX-License-Identifier: GPL-2.0
/* The race rules. docs/races.md explains each one and the inference behind it. */
#include <stdlib.h>
#include <string.h>
#include "races.h"
#include "grow.h"
#include "json.h"
#include "events/event_kind.h"

static const struct {
	const char *name, *seed, *why;
} rules[KHT_RULE_MAX] = {
	[KHT_RULE_UFFD_MISSING_FILL] = { "uffd-missing-fill", "000/001",
		"collapse_file filled holes of a range that a userfaultfd had registered in MISSING "
		"mode: the holes now hold zeroed pages of the new huge page, so the missing faults "
		"the registrant expects for them will never be delivered (fixed upstream in v6.4 by "
		"ac492b9c70ca, which makes the collapse back off with SCAN_EXCEED_NONE_PTE)." },
	[KHT_RULE_SEEK_TRANSIENT_HOLE] = { "seek-transient-hole", "004",
		"while the range was being collapsed, SEEK_DATA/SEEK_HOLE or mincore() reported a "
		"hole (or a non-resident page) inside it although every page held data before the "
		"collapse and after it: the new huge page was visible in the page cache before it "
		"was uptodate, and folio_seek_hole_data() takes a !uptodate shmem folio for a hole "
		"(fixed in v6.4 by a2e17cc2efc7). Tools that trust SEEK_DATA (cp, tar, qemu-img) "
		"silently skip that data." },
	[KHT_RULE_PUBLISH_BEFORE_UPTODATE] = { "publish-before-uptodate", "004",
		"the new huge folio was already in the page cache, at the range's first slot, when "
		"the collapsing task dropped the i_pages lock, and it was not uptodate then: lockless "
		"readers could find it and take it for an unwritten (fallocated) page (fixed in v6.4 "
		"by a2e17cc2efc7: the folio is marked uptodate before its single store)." },
	[KHT_RULE_COLLAPSE_ON_UFFD_ARMED] = { "collapse-on-uffd-armed", "002/003",
		"a collapse replaced the page tables of a range armed with userfaultfd MINOR or WP, "
		"or raced a UFFDIO_CONTINUE on it: minor/wp faults for those pages are no longer "
		"delivered as the registrant expects (retract_page_tables must check the VMA's uffd "
		"flags; MINOR is checked nowhere in the kernels we read)." },
	[KHT_RULE_RETRY_SPIN] = { "retry-spin", "000/001",
		"a lockless page-cache lookup ran while the collapsing task held the i_pages lock in "
		"its final window, where the range's holes hold XA_RETRY_ENTRY: the reader re-walked "
		"the xarray until the lock was dropped. This costs latency, not correctness." },
};

const char *kht_rule_name(enum kht_race_rule rule) { return rules[rule].name; }
const char *kht_rule_seed(enum kht_race_rule rule) { return rules[rule].seed; }

const char *kht_severity_name(enum kht_severity sev)
{
	return sev == KHT_SEV_BUG ? "BUG" : sev == KHT_SEV_SLOW ? "SLOW" :
	       sev == KHT_SEV_WARN ? "WARN" : "guarded";
}

static bool result_in(const struct kht_enum *results, int result, const char *const *names)
{
	long long v;

	for (; *names; names++)
		if (results && kht_enum_value(results, *names, &v) && v == result)
			return true;
	return false;
}

/*
 * Did the page cache end up holding the new huge folio? The result says so
 * on fixed kernels; 6.1's collapse_file overwrites a success with what
 * retract_page_tables() found afterwards (SCAN_PMD_NONE, SCAN_PMD_NULL,
 * SCAN_PTE_UFFD_WP, ...), so where the lock windows were traced, the folio
 * left at the range's first slot by the last unlock tells instead.
 */
static bool succeeded(const struct kht_collapse *c, const struct kht_enum *results)
{
	static const char *const ok[] = { "SCAN_SUCCEED", "SCAN_PTE_MAPPED_HUGEPAGE", NULL };

	if ((c->flags & KHT_F_HAVE_WINDOWS) && (c->flags & KHT_F_NEW_AT_END))
		return true;
	return (c->flags & KHT_F_HAVE_RESULT) && result_in(results, c->result, ok);
}

static bool backed_off(const struct kht_collapse *c, const struct kht_enum *results)
{
	static const char *const guard[] = { "SCAN_EXCEED_NONE_PTE", "SCAN_PAGE_FILLED", NULL };

	return (c->flags & KHT_F_HAVE_RESULT) && result_in(results, c->result, guard);
}

/*
 * Did the collapse fill holes? nr_none is 512 - present - swap from the
 * scan_file tracepoint. Where no collapse_file entry is seen (syscalls mode
 * on 6.1), a scan that met the range's existing huge page stops at once
 * with pte_mapped_hugepage and present = 0: that is "already collapsed", not
 * 512 holes filled (measured: 6.1 guest, random workload, syscalls mode).
 */
static bool filled_holes(const struct kht_tl_event *c, const struct kht_enum *results)
{
	static const char *const huge[] = { "SCAN_PTE_MAPPED_HUGEPAGE", NULL };
	const struct kht_collapse *col = &c->ev.collapse;

	if (!(col->flags & KHT_F_HAVE_HOLES) || !col->nr_none)
		return false;
	return c->has_begin || col->present || col->swap || !(col->flags & KHT_F_HAVE_RESULT) ||
	       !result_in(results, col->result, huge);
}

struct range {
	unsigned long long first, last;
};


static bool overlap(struct range a, struct range b)
{
	return a.first <= b.last && b.first <= a.last;
}

static bool collapse_range(const struct kht_collapse *c, const struct kht_enum *results,
			   struct range *r)
{
	unsigned long long start;
	bool exact;

	if (!kht_collapse_start(c, results, &start, &exact))
		return false;
	r->first = start;
	r->last = start + (c->nr ? c->nr : KHT_HPAGE_NR) - 1;
	return true;
}

/* The pages of its span, without building one: this is on the rules' hottest path. */
static struct range uffd_range(const struct kht_uffd *u)
{
	return (struct range){ u->file.index, kht_last_page(u->file.index, u->len) };
}

/* The WARN/guarded class of r (NULL: the table is full, r is printed in full). */
static struct kht_race_class *race_class(struct kht_races *out, const struct kht_race *r)
{
	const char *reason = r->sev == KHT_SEV_GUARDED ? NULL : r->downgrade;
	size_t i;

	for (i = 0; i < out->ncls; i++)
		if (out->cls[i].rule == r->rule && out->cls[i].sev == r->sev &&
		    out->cls[i].reason == reason)
			return &out->cls[i];
	if (i == sizeof(out->cls) / sizeof(out->cls[0]))
		return NULL;
	out->ncls++;
	out->cls[i] = (struct kht_race_class){ .rule = r->rule, .sev = r->sev, .reason = reason };
	return &out->cls[i];
}

static int add(struct kht_races *out, struct kht_race r)
{
	if (kht_grow((void **)&out->r, &out->cap, out->n, sizeof(*out->r), 16))
		return -1;
	out->r[out->n++] = r;
	out->tally[r.rule][r.sev]++;
	if (r.sev == KHT_SEV_WARN || r.sev == KHT_SEV_GUARDED) {
		struct kht_race_class *k = race_class(out, &r);

		if (k)
			k->n++;
	}
	return 0;
}

#define EV(t, g, i) (&(t)->ev[(g)->idx[i]])

/* Did the ring buffer drop events at some time in [from, to]? */
static bool lost_in(const struct kht_race_opts *o, unsigned long long from, unsigned long long to)
{
	for (size_t i = 0; i < o->nlosses; i++)
		if (o->losses[i].from_ns <= to && from <= o->losses[i].to_ns)
			return true;
	return false;
}

#define LOST_WHY "events were dropped (ring buffer full) while this happened: what would " \
		 "explain it may be among them"

/*
 * When the kernel decides whether the range may be filled: in its final
 * i_pages lock hold (6.4+ checks the registrations there, once; 6.1 fills
 * the holes there without checking). Where the lock windows were not
 * traced, only the whole collapse is known.
 */
static struct range decision(const struct kht_tl_event *c)
{
	const struct kht_collapse *col = &c->ev.collapse;

	if ((col->flags & KHT_F_HAVE_WINDOWS) && col->last_win_end_ns) {
		struct range d = { col->last_win_begin_ns, col->last_win_end_ns };
		unsigned long long pub = col->publish_ns > col->hold_max_ns ?
					 col->publish_ns - col->hold_max_ns : 0;

		/*
		 * Fixed kernels check the registrations in the hold that stores the
		 * new folio; if that was not the last one (6.19 VM-host load: a
		 * registration between the two was a false BUG), the decision may
		 * lie anywhere from the publishing hold (at most hold_max_ns long)
		 * to the last.
		 */
		if ((col->flags & KHT_F_PUBLISHED) && col->publish_ns && pub < d.first)
			d.first = pub;
		return d;
	}
	if (c->has_begin)
		return (struct range){ c->begin_ns, c->end_ns };
	/* end-only modes: the madvise call's start (syscalls mode), or a generous guess */
	if ((col->flags & KHT_F_START_BOUND) && col->start_ns <= c->end_ns)
		return (struct range){ col->start_ns, c->end_ns };
	return (struct range){ c->end_ns > KHT_COLLAPSE_MAX_NS ? c->end_ns - KHT_COLLAPSE_MAX_NS : 0,
			       c->end_ns };
}

enum arming { NOT_ARMED, ARMED, ARMED_MAYBE };

/* The story of process pid's anonymous memory and unresolved ranges, or NULL. */
static const struct kht_tl_group *process_group(const struct kht_timeline *t, unsigned pid)
{
	for (size_t i = 0; i < t->ngroups; i++)
		if (t->groups[i].kind == KHT_TL_PROCESS && t->groups[i].pid == pid)
			return &t->groups[i];
	return NULL;
}

/*
 * Is v a successful UFFDIO_UNREGISTER of (part of) registration reg, made
 * after it? In its inode's story it is matched by page range; an unregister
 * whose range BPF could not resolve to a file (bpf_find_vma only try-locks
 * mmap_lock) lands in its process's story and is matched by user address.
 */
bool kht_races_unregisters(const struct kht_tl_event *v, const struct kht_tl_event *u)
{
	const struct kht_uffd *un = &v->ev.uffd, *reg = &u->ev.uffd;

	if (v->ev.hdr.type != KHT_EV_UFFD || un->op != KHT_UFFD_UNREGISTER || un->result ||
	    un->hdr.pid != reg->hdr.pid || v->begin_ns < u->end_ns)
		return false;
	if (un->flags & KHT_O_HAVE_INODE)
		return overlap(uffd_range(un), uffd_range(reg));
	return un->len && reg->len && un->addr < reg->addr + reg->len &&
	       reg->addr < un->addr + un->len;
}

/*
 * Was registration u (mode bits `modes`) in force when the kernel decided
 * about collapse c? ARMED: registered before the decision and not
 * unregistered before it ended. ARMED_MAYBE: the registration or its
 * removal overlapped the decision, so which side of it the kernel saw is
 * unknown (*why says which).
 */
static enum arming armed(const struct kht_timeline *t, const struct kht_tl_group *g,
			 const struct kht_tl_event *u, unsigned long long modes,
			 const struct kht_tl_event *c, struct range cr, const char **why)
{
	const struct kht_uffd *reg = &u->ev.uffd;
	struct range d = decision(c);
	enum arming a = ARMED;

	if (reg->op != KHT_UFFD_REGISTER || reg->result || !(reg->uffd_mode & modes) ||
	    !(reg->flags & KHT_O_HAVE_INODE) || !overlap(uffd_range(reg), cr) ||
	    u->begin_ns > d.last)
		return NOT_ARMED;
	if (u->end_ns > d.first) {
		a = ARMED_MAYBE;
		*why = c->ev.collapse.flags & KHT_F_HAVE_WINDOWS ?
		       "the registration was made during the final lock hold" :
		       c->has_begin ? "the registration was made while the collapse ran" :
		       "the collapse's start was not seen (end-only mode): the registration may "
		       "have been made while it ran";
	}
	const struct kht_tl_group *stories[2] = { g, process_group(t, reg->hdr.pid) };

	for (int s = 0; s < 2 && stories[s]; s++) {
		for (size_t k = 0; k < stories[s]->nuffd; k++) {
			const struct kht_tl_event *v = EV(t, stories[s], stories[s]->uffd[k]);

			if (!kht_races_unregisters(v, u))
				continue;
			if (v->end_ns < d.first)
				return NOT_ARMED;	/* gone before the decision */
			if (v->begin_ns <= d.last) {
				a = ARMED_MAYBE;
				*why = c->ev.collapse.flags & KHT_F_HAVE_WINDOWS ?
				       "the range was unregistered during the final lock hold" :
				       "the range was unregistered while the collapse ran, and "
				       "without lock windows (fentry) the moment the kernel "
				       "checked is unknown";
			}
		}
	}
	return a;
}

#define MOD_ANY (~0u)
#define MOD_FILLS ((1u << KHT_MOD_WRITE) | (1u << KHT_MOD_FALLOCATE) | (1u << KHT_MOD_FILL))

/*
 * Modification events of g whose op is in ops (bits 1 << KHT_MOD_*) that
 * touch pages of r and ran at some time in [from, to]. Any of them explains
 * a hole; a fill or write explains a hole that is no longer there.
 */
static unsigned mods_overlapping(const struct kht_timeline *t, const struct kht_tl_group *g,
				 struct range r, unsigned long long from, unsigned long long to,
				 unsigned ops)
{
	unsigned n = 0;

	for (size_t i = kht_tl_first_at(t, g, from); i < g->n; i++) {
		const struct kht_tl_event *m = EV(t, g, i);
		struct kht_span sp = { 0 };

		if (m->begin_ns > to)
			break;
		if (m->ev.hdr.type != KHT_EV_MODIFY || m->end_ns < from ||
		    !(ops & (1u << (m->ev.modify.op & 31))))
			continue;
		kht_ev_modify.span(&m->ev, &sp);
		n += overlap(r, (struct range){ sp.first_page, sp.last_page });
	}
	return n;
}

/* The first of o->old in g's story (sorted by dev, ino, gen, begin). */
static size_t old_first(const struct kht_race_opts *o, const struct kht_tl_group *g)
{
	size_t lo = 0, hi = o->nold;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kht_old_collapse *c = &o->old[mid];

		if (c->dev != g->dev ? c->dev < g->dev : c->ino != g->ino ? c->ino < g->ino :
		    c->gen < g->gen)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool old_of(const struct kht_race_opts *o, size_t j, const struct kht_tl_group *g)
{
	return j < o->nold && o->old[j].dev == g->dev && o->old[j].ino == g->ino &&
	       o->old[j].gen == g->gen;
}

/*
 * Were g's modifications traced over all of [from, to]? The BPF side
 * reports them only for inodes a collapse touched within the horizon: from
 * the collapse's entry (its end where the entry is not seen) to its end plus
 * KHT_WATCH_HORIZON_NS. The story's collapses and its judged ones no longer
 * in the timeline (o->old) are each in begin order: one sweep over both.
 */
static bool mods_cover(const struct kht_timeline *t, const struct kht_tl_group *g,
		       const struct kht_race_opts *o, unsigned long long from, unsigned long long to)
{
	unsigned long long reach = from;
	size_t i = 0, j = old_first(o, g);

	while (reach < to) {
		unsigned long long begin = ~0ULL, end = 0;

		while (i < g->n && EV(t, g, i)->ev.hdr.type != KHT_EV_COLLAPSE)
			i++;
		while (old_of(o, j, g) && !o->old[j].in_story)
			j++;
		if (i < g->n)
			begin = EV(t, g, i)->begin_ns;
		if (old_of(o, j, g) && o->old[j].begin_ns < begin)
			begin = o->old[j].begin_ns, end = o->old[j++].end_ns;
		else if (i < g->n)
			end = EV(t, g, i++)->end_ns;
		if (begin > reach)
			break;	/* (also when both are done: begin stays ~0) */
		if (end + KHT_WATCH_HORIZON_NS > reach)
			reach = end + KHT_WATCH_HORIZON_NS;
	}
	return reach >= to;
}

/*
 * The scan counted holes (nr_none), but a fixed kernel decides on the holes
 * its own walk finds under the final lock: had another task filled them in
 * between (the guest touching punched memory again), a fixed kernel had
 * nothing to check and nothing was lost. NULL when no fill or write of the
 * range ran from shortly before the collapse (the scan precedes its entry)
 * to the decision, and fills were traced over that span.
 */
#define KHT_SCAN_MARGIN_NS (1000ULL * 1000 * 1000)

static const char *holes_unproven(const struct kht_timeline *t, const struct kht_tl_group *g,
				  const struct kht_tl_event *c, struct range cr,
				  const struct kht_race_opts *o, unsigned *mods)
{
	struct range d = decision(c);
	unsigned long long from = d.first > c->begin_ns ? c->begin_ns : d.first;

	/* holes counted at collapse_file entry (the data map) need no margin */
	if (!(c->ev.collapse.flags & KHT_F_HAVE_DATAMAP))
		from = from > KHT_SCAN_MARGIN_NS ? from - KHT_SCAN_MARGIN_NS : 0;
	if (!o->mods_traced)
		return "hole fills were not traced: another task may have filled the holes "
		       "before the kernel decided";
	if (o->writes_in_collapses && from < c->begin_ns)
		return "writes and hole fills before collapse_file began were not recorded "
		       "(--all-writes records them): another task may have filled the holes "
		       "before the kernel decided";
	/* a page being written at entry is a hole to the data map, a page to the kernel */
	if (c->ev.collapse.flags & KHT_F_DATAMAP_PENDING)
		return "a page of the range was being written (present, not yet uptodate) when "
		       "the collapse began: the kernel counts it as a page, so the holes it "
		       "checked may be fewer than the data map shows";
	*mods = mods_overlapping(t, g, cr, from, d.last, MOD_FILLS);
	if (*mods)
		return "another task filled or wrote pages of the range between the scan and the "
		       "kernel's decision: the holes it counted may have been gone";
	if (!o->fills_traced && o->writes_left_out)
		return "hole fills by faults are not traced in this mode, nor writes by default "
		       "(--all-writes traces them): another task may have filled the holes before "
		       "the kernel decided";
	if (!o->fills_traced)
		return "hole fills by faults are not traced in this mode: another task may have "
		       "filled the holes before the kernel decided";
	if (o->writes_left_out)
		return "writes were not traced (--all-writes traces them): another task may have "
		       "filled the holes before the kernel decided";
	return NULL;
}

/*
 * Did page p hold data when the collapse began? From the data map taken at
 * collapse_file entry (fentry, kprobe); without it, only a range the scan
 * found without holes is known: every page held data. *known: can we tell.
 */
static bool had_data(const struct kht_collapse *col, unsigned long long p, bool *known)
{
	if (col->flags & KHT_F_HAVE_DATAMAP)
		return kht_collapse_page_had_data(col, p, known);
	*known = (col->flags & KHT_F_HAVE_HOLES) && !col->nr_none;
	return *known;
}

/* Pages of [from, to] known to have held data; *unknown counts the others unknown. */
static unsigned data_pages(const struct kht_collapse *col, unsigned long long from,
			   unsigned long long to, unsigned *unknown)
{
	unsigned n = 0;
	bool known;

	*unknown = 0;
	for (unsigned long long p = from; p <= to; p++) {
		n += had_data(col, p, &known);
		*unknown += !known;
	}
	return n;
}

/*
 * Holes the registrant of reg could expect faults for: with the data map,
 * the pages of its part of the range that held nothing at collapse_file
 * entry; without it, the scan's count for the whole range.
 */
static unsigned long long registered_holes(const struct kht_collapse *col, struct range cr,
					   const struct kht_uffd *reg)
{
	struct range rr = uffd_range(reg);
	unsigned long long from = rr.first > cr.first ? rr.first : cr.first;
	unsigned long long to = rr.last < cr.last ? rr.last : cr.last;
	unsigned unknown, data;

	if (!(col->flags & KHT_F_HAVE_DATAMAP) || to < from)
		return col->nr_none;
	data = data_pages(col, from, to, &unknown);
	return to - from + 1 - data - unknown;
}

static int rule_uffd(struct kht_races *out, const struct kht_timeline *t,
		     const struct kht_tl_group *g, const struct kht_tl_event *c, struct range cr,
		     const struct kht_enum *results, const struct kht_race_opts *o)
{
	const struct kht_collapse *col = &c->ev.collapse;
	bool ok = succeeded(col, results), guarded = backed_off(col, results);

	for (size_t k = 0; k < g->nuffd; k++) {
		const struct kht_tl_event *u = EV(t, g, g->uffd[k]);
		struct kht_race r = { .group = g, .collapse = c, .other = u,
				      .first_page = cr.first, .last_page = cr.last };
		const char *why = NULL;
		enum arming a;

		/* MISSING: the holes matter; a collapse without holes fills nothing */
		if ((ok || guarded) && filled_holes(c, results) &&
		    (a = armed(t, g, u, KHT_UFFD_MODE_MISSING, c, cr, &why)) != NOT_ARMED &&
		    (r.value = registered_holes(col, cr, &u->ev.uffd))) {
			r.rule = KHT_RULE_UFFD_MISSING_FILL;
			r.sev = !ok ? KHT_SEV_GUARDED : a == ARMED ? KHT_SEV_BUG : KHT_SEV_WARN;
			r.evidence = !ok ? "the registration held when the kernel decided, and the "
					   "kernel backed the collapse off" :
				col->flags & KHT_F_HAVE_WINDOWS ?
				"registered before the final lock hold and not removed until after it; "
				"the collapse kept its new folio with the holes filled" :
				"registered before the collapse began and not removed until it ended; "
				"the collapse succeeded with the holes filled";
			if (a == ARMED_MAYBE && ok)
				r.downgrade = why;
			else if (ok)
				r.downgrade = holes_unproven(t, g, c, cr, o, &r.mods);
			/* its removal may have been dropped */
			if (ok && !r.downgrade && lost_in(o, u->end_ns, decision(c).last))
				r.downgrade = LOST_WHY;
			if (r.downgrade)
				r.sev = KHT_SEV_WARN;
			if (add(out, r))
				return -1;
		}
		/*
		 * WARN, not BUG: every kernel we read skips uffd-wp VMAs when it
		 * retracts page tables, and whether a MINOR registrant loses faults
		 * depends on which VMAs were retracted, which we do not trace.
		 */
		if (ok && armed(t, g, u, KHT_UFFD_MODE_MINOR | KHT_UFFD_MODE_WP, c, cr, &why) !=
		    NOT_ARMED) {
			r.rule = KHT_RULE_COLLAPSE_ON_UFFD_ARMED;
			r.sev = KHT_SEV_WARN;
			r.value = u->ev.uffd.uffd_mode;
			r.evidence = "a MINOR/WP registration covered the range when it was collapsed";
			r.downgrade = "which VMAs the kernel retracted is not traced";
			if (add(out, r))
				return -1;
		}
		/*
		 * UFFDIO_CONTINUE while the range was being collapsed: only a
		 * collapse that went through replaced what CONTINUE installed.
		 */
		if (ok && c->has_begin && u->ev.uffd.op == KHT_UFFD_CONTINUE &&
		    (u->ev.uffd.flags & KHT_O_HAVE_INODE) && overlap(uffd_range(&u->ev.uffd), cr) &&
		    u->begin_ns <= c->end_ns && u->end_ns >= c->begin_ns) {
			r.rule = KHT_RULE_COLLAPSE_ON_UFFD_ARMED;
			r.sev = KHT_SEV_BUG;
			r.value = KHT_UFFD_MODE_MINOR;
			r.evidence = "a UFFDIO_CONTINUE on the range ran inside the window of a "
				     "collapse that succeeded";
			if (add(out, r))
				return -1;
		}
	}
	return 0;
}

/*
 * A reader's answer that says "no data" where data was when the collapse
 * began, inside its range: a SEEK_HOLE that stops at such a page, a
 * SEEK_DATA that skips one, a mincore with more non-resident pages than the
 * range had holes. Value: the seek's result, or the excess of non-resident
 * pages. Works for sparse ranges as well as all-data ones (the files people
 * copy with SEEK_DATA/SEEK_HOLE are sparse).
 */
static bool saw_vanish(const struct kht_tl_event *e, const struct kht_collapse *col,
		       struct range cr, unsigned long long *value, struct range *said)
{
	unsigned long long lo = cr.first << 12, hi = (cr.last + 1) << 12, from, to;
	unsigned unknown;

	if (e->ev.hdr.type == KHT_EV_SEEK) {
		const struct kht_seek *s = &e->ev.seek;
		unsigned long long off = s->offset;

		if (!(s->flags & KHT_O_HAVE_INODE) || s->offset < 0 || off >= hi)
			return false;
		*value = s->result;
		if (s->whence == KHT_SEEK_HOLE) {
			/* [offset, result) said data, result's page said hole */
			if (s->result < 0 || (unsigned long long)s->result >= hi ||
			    (unsigned long long)s->result < lo)
				return false;
			from = to = (unsigned long long)s->result >> 12;
		} else {
			/*
			 * Everything from offset up to the data found said hole: a
			 * SEEK_DATA from before the range (cp, after the previous
			 * chunk's hole) can skip all of it.
			 */
			if (s->result >= 0 && s->result <= s->offset)
				return false;	/* data right there */
			if (s->result >= 0 && (unsigned long long)s->result <= lo)
				return false;	/* stopped before the range */
			from = off < lo ? cr.first : off >> 12;
			to = s->result < 0 || (unsigned long long)s->result >= hi ?
			     cr.last : ((unsigned long long)s->result >> 12) - 1;
			if (to < from)
				return false;
		}
		*said = (struct range){ from, to };
		return data_pages(col, from, to, &unknown) > 0;
	}
	if (e->ev.hdr.type == KHT_EV_MINCORE) {
		const struct kht_mincore *m = &e->ev.mincore;
		struct range mr = { m->file.index, m->file.index + ((m->len + 4095) >> 12) - 1 };
		unsigned data, holes;

		if (!(m->flags & KHT_O_HAVE_INODE) || m->result || !m->len || mr.first < cr.first ||
		    mr.last > cr.last || m->resident >= m->pages || m->pages != mr.last - mr.first + 1)
			return false;
		data = data_pages(col, mr.first, mr.last, &unknown);
		if (unknown)
			return false;
		holes = m->pages - data;
		*value = m->pages - m->resident - holes;
		*said = mr;
		return m->pages - m->resident > holes;
	}
	return false;
}

/*
 * What keeps a hole seen during collapse c from being the seed-004 bug, or
 * NULL when everything its mechanism needs was seen: no user modified the
 * range (traced, over the whole span), and the new folio was published
 * not uptodate before the reader returned.
 */
static const char *hole_unproven(const struct kht_timeline *t, const struct kht_tl_group *g,
				 const struct kht_tl_event *c, const struct kht_tl_event *e,
				 const struct kht_race_opts *o)
{
	const struct kht_collapse *col = &c->ev.collapse;
	unsigned long long from = e->begin_ns < c->begin_ns ? e->begin_ns : c->begin_ns;

	if (!o->mods_traced)
		return "modifications (punch, truncate, write) were not traced: a user may have "
		       "made this hole";
	if (!mods_cover(t, g, o, from, e->end_ns))
		return "the reader began before modifications of this inode were traced";
	if (!(col->flags & KHT_F_HAVE_WINDOWS))
		return "the publish order was not traced (it needs the fentry lock probes), so "
		       "the seed-004 mechanism cannot be confirmed";
	if (!(col->flags & KHT_F_PUBLISHED) || (col->flags & KHT_F_UPTODATE_AT_PUBLISH))
		return "unexplained hole: the new folio was published uptodate, so the seed-004 "
		       "mechanism cannot have made it";
	if (e->end_ns < col->publish_ns)
		return "the reader returned before the new folio was published";
	return NULL;
}

static int rule_seek(struct kht_races *out, const struct kht_timeline *t,
		     const struct kht_tl_group *g, const struct kht_tl_event *c, struct range cr,
		     const struct kht_enum *results, const struct kht_race_opts *o)
{
	const struct kht_collapse *col = &c->ev.collapse;

	/*
	 * Data before (the data map, or a scan without holes) and after (success,
	 * which makes every page data): a page with data that reads as a hole in
	 * between vanished transiently.
	 */
	if (!succeeded(col, results) || (!(col->flags & KHT_F_HAVE_DATAMAP) &&
					 (!(col->flags & KHT_F_HAVE_HOLES) || col->nr_none)))
		return 0;
	for (size_t i = kht_tl_first_at(t, g, c->begin_ns); i < g->n; i++) {
		const struct kht_tl_event *e = EV(t, g, i);
		struct kht_race r = { .rule = KHT_RULE_SEEK_TRANSIENT_HOLE, .sev = KHT_SEV_BUG,
				      .group = g, .collapse = c, .other = e,
				      .first_page = cr.first, .last_page = cr.last };

		struct range said;

		if (e->begin_ns > c->end_ns)
			break;
		if (e->end_ns < c->begin_ns ||
		    !saw_vanish(e, col, cr, &r.value, &said))
			continue;
		/*
		 * A punch, truncation or write of the pages the reader called holes,
		 * since the collapse began: a user's hole, not the kernel's.
		 */
		if (mods_overlapping(t, g, said, e->begin_ns < c->begin_ns ? e->begin_ns : c->begin_ns,
				     e->end_ns, MOD_ANY))
			continue;
		r.downgrade = hole_unproven(t, g, c, e, o);
		/* a punch or write of the range may have been dropped */
		if (!r.downgrade && lost_in(o, c->begin_ns > KHT_COLLAPSE_MAX_NS ?
					    c->begin_ns - KHT_COLLAPSE_MAX_NS : 0, e->end_ns))
			r.downgrade = LOST_WHY;
		if (r.downgrade)
			r.sev = KHT_SEV_WARN;
		r.evidence = "the page held data when the collapse began (its data map, or a range "
			     "without holes) and after it (success); nobody punched, truncated or "
			     "wrote the range from the collapse's start to the reader's return; the "
			     "new folio was published not uptodate before the reader returned";
		if (add(out, r))
			return -1;
	}
	return 0;
}

static int rule_spin(struct kht_races *out, const struct kht_timeline *t,
		     const struct kht_tl_group *g, const struct kht_tl_event *c, struct range cr,
		     const struct kht_race_opts *o)
{
	const struct kht_collapse *col = &c->ev.collapse;

	/* retry entries exist only in the final hold of a fixed kernel, when there were holes */
	if (!(col->flags & KHT_F_HAVE_WINDOWS) || !col->nr_none ||
	    !(col->flags & KHT_F_UPTODATE_AT_PUBLISH) || col->publish_ns != col->last_win_end_ns)
		return 0;
	for (size_t i = kht_tl_first_at(t, g, col->last_win_begin_ns); i < g->n; i++) {
		const struct kht_tl_event *e = EV(t, g, i);
		const struct kht_reader *rd = &e->ev.reader;
		unsigned long long from, to;

		if (e->begin_ns > col->last_win_end_ns)
			break;
		struct kht_race r = { .rule = KHT_RULE_RETRY_SPIN, .sev = KHT_SEV_SLOW, .group = g,
				      .collapse = c, .other = e, .first_page = cr.first,
				      .last_page = cr.last };

		if (e->ev.hdr.type != KHT_EV_READER || rd->collapser_tid != col->hdr.tid ||
		    rd->file.index < cr.first || rd->file.index > cr.last)
			continue;
		from = e->begin_ns > col->last_win_begin_ns ? e->begin_ns : col->last_win_begin_ns;
		to = e->end_ns < col->last_win_end_ns ? e->end_ns : col->last_win_end_ns;
		if (to <= from || to - from <= o->spin_ns)
			continue;
		r.value = to - from;
		r.evidence = "a lockless page-cache lookup of the range overlapped the final "
			     "i_pages lock hold of a collapse with holes (XA_RETRY_ENTRY there)";
		if (add(out, r))
			return -1;
	}
	return 0;
}

int kht_races_find(struct kht_races *out, const struct kht_timeline *t,
		   const struct kht_enum *results, const struct kht_race_opts *o)
{
	struct kht_judge_span all = { .end_before = ~0ULL };

	memset(out, 0, sizeof(*out));
	return kht_races_find_some(out, t, results, o, &all);
}

static bool in_span(const struct kht_tl_event *c, const struct kht_judge_span *s)
{
	/* ~0 is "whatever is left": a collapse ending at ~0 is judged too */
	return (c->end_ns < s->end_before || s->end_before == ~0ULL) &&
	       (c->end_ns >= s->judged_before || c->seq >= s->seq_from);
}

int kht_races_find_some(struct kht_races *out, const struct kht_timeline *t,
			const struct kht_enum *results, const struct kht_race_opts *o,
			const struct kht_judge_span *span)
{
	out->mods_traced = o->mods_traced;
	for (size_t gi = 0; gi < t->ngroups; gi++) {
		const struct kht_tl_group *g = &t->groups[gi];

		if (g->kind != KHT_TL_INODE)
			continue;
		for (size_t i = 0; i < g->n; i++) {
			const struct kht_tl_event *c = EV(t, g, i);
			const struct kht_collapse *col = &c->ev.collapse;
			struct range cr;

			if (c->ev.hdr.type != KHT_EV_COLLAPSE || !in_span(c, span) ||
			    !collapse_range(col, results, &cr))
				continue;
			if (rule_uffd(out, t, g, c, cr, results, o))
				return -1;
			if (!c->has_begin) {
				out->not_evaluable++;	/* window unknown: no seek or spin rule */
				continue;
			}
			/*
			 * A regular file (7.x collapses ext4/xfs files): a collapse
			 * allocates no blocks, so holes on disk stay holes for
			 * SEEK_DATA/SEEK_HOLE (iomap) whatever the page cache holds,
			 * and "every page is data after success" does not hold.
			 * The seek rule cannot judge it: counted and said, not run.
			 */
			if ((col->flags & KHT_F_HAVE_INODE) && !(col->flags & KHT_F_SHMEM))
				out->not_shmem++;
			else if (rule_seek(out, t, g, c, cr, results, o))
				return -1;
			if (rule_spin(out, t, g, c, cr, o))
				return -1;
			if ((col->flags & KHT_F_PUBLISHED) && !(col->flags & KHT_F_UPTODATE_AT_PUBLISH)) {
				struct kht_race r = { .rule = KHT_RULE_PUBLISH_BEFORE_UPTODATE,
						      .sev = KHT_SEV_BUG, .group = g, .collapse = c,
						      .first_page = cr.first, .last_page = cr.last,
						      .value = col->publish_ns - c->begin_ns };

				r.evidence = "at an unlock of the collapse's i_pages lock, the "
					     "range's first slot held a new compound folio without "
					     "PG_uptodate";
				/* another task's folio may have taken a punched first slot */
				r.mods = mods_overlapping(t, g, (struct range){ cr.first, cr.first },
							  c->begin_ns, c->end_ns, MOD_ANY);
				if (r.mods) {
					r.sev = KHT_SEV_WARN;
					r.downgrade = "the range's first page was punched, truncated or "
						      "written during the collapse: the folio seen there "
						      "may not be the collapse's";
				} else if (lost_in(o, c->begin_ns, c->end_ns)) {
					r.sev = KHT_SEV_WARN;
					r.downgrade = LOST_WHY;
				}
				if (add(out, r))
					return -1;
			}
		}
	}
	return 0;
}

void kht_races_forget(struct kht_races *r)
{
	r->n = 0;
}

void kht_races_free(struct kht_races *r)
{
	free(r->r);
	memset(r, 0, sizeof(*r));
}

size_t kht_races_count(const struct kht_races *r, enum kht_severity sev)
{
	size_t n = 0;

	for (int k = 0; k < KHT_RULE_MAX; k++)
		n += r->tally[k][sev];
	return n;
}

size_t kht_races_count_rule(const struct kht_races *r, enum kht_race_rule rule,
			    enum kht_severity sev)
{
	return r->tally[rule][sev];
}

static void task(char *buf, size_t len, const struct kht_hdr *h)
{
	char comm[KHT_COMM_LEN + 1];

	memcpy(comm, h->comm, KHT_COMM_LEN);
	comm[KHT_COMM_LEN] = '\0';
	snprintf(buf, len, "%s pid %u tid %u", comm, h->pid, h->tid);
}

void kht_races_print_text(FILE *out, struct kht_races *r, const struct kht_fmt *f)
{
	kht_races_print_text_reports(out, r, f);
	kht_races_print_text_summary(out, r);
}

void kht_races_print_text_reports(FILE *out, struct kht_races *r, const struct kht_fmt *f)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct kht_race *x = &r->r[i];
		const struct kht_collapse *c = &x->collapse->ev.collapse;
		char dev[24], who[64], res[48], desc[256];
		struct kht_race_class *k = x->sev == KHT_SEV_WARN || x->sev == KHT_SEV_GUARDED ?
					   race_class(r, x) : NULL;

		if (k && k->shown++ >= KHT_RACES_SHOWN)
			continue;	/* counted in the summary */

		kht_dev_str(x->group->dev, dev, sizeof(dev));
		task(who, sizeof(who), &c->hdr);
		fprintf(out, "[%s] %s (seed %s): inode %s #%llu \"%s\" pages %llu-%llu\n",
			kht_severity_name(x->sev), rules[x->rule].name, rules[x->rule].seed, dev,
			x->group->ino, x->group->name, x->first_page, x->last_page);
		fprintf(out, "  collapse by %s (%s) %+.6f .. %+.6f s: %s", who, kht_initiator(c),
			kht_rel_s(x->collapse->begin_ns, f->base_ns),
			kht_rel_s(x->collapse->end_ns, f->base_ns),
			c->flags & KHT_F_HAVE_RESULT ?
			kht_result_name(f->results, c->result, res, sizeof(res)) : "?");
		if (c->flags & KHT_F_HAVE_HOLES)
			fprintf(out, ", %u holes", c->nr_none);
		fprintf(out, "\n");
		if (x->other) {
			task(who, sizeof(who), &x->other->ev.hdr);
			if (kht_event_desc(desc, sizeof(desc), &x->other->ev.hdr, KHT_ROW_ONE, f) < 0)
				snprintf(desc, sizeof(desc), "-");
			fprintf(out, "  %s %+.6f s: %s\n", who,
				kht_rel_s(x->other->begin_ns, f->base_ns), desc);
		}
		if (x->downgrade)
			fprintf(out, "  not a BUG: %s\n", x->downgrade);
		else if (x->evidence && x->sev == KHT_SEV_BUG)
			fprintf(out, "  evidence: %s\n", x->evidence);
		fprintf(out, "  %s%s\n\n", x->sev == KHT_SEV_GUARDED ?
			"guarded: the kernel backed this collapse off as the upstream fix does, so nothing was lost. Had it gone through: " : "",
			rules[x->rule].why);
	}
}

void kht_races_print_text_summary(FILE *out, const struct kht_races *r)
{
	bool hidden = false;

	for (size_t i = 0; i < r->ncls; i++)
		hidden |= r->cls[i].n > KHT_RACES_SHOWN;
	if (hidden) {
		fprintf(out, "Warnings and guarded collapses by rule and reason (the first %d of "
			"each are shown above; -j lists every one, --inode N narrows):\n",
			KHT_RACES_SHOWN);
		for (size_t i = 0; i < r->ncls; i++)
			fprintf(out, "  %8llu  %-7s  %s%s%s\n", r->cls[i].n,
				kht_severity_name(r->cls[i].sev), rules[r->cls[i].rule].name,
				r->cls[i].reason ? ": " : "",
				r->cls[i].reason ? r->cls[i].reason : "");
		fprintf(out, "\n");
	}
	fprintf(out, "%zu bug%s, %zu slow, %zu warning%s, %zu guarded",
		kht_races_count(r, KHT_SEV_BUG), kht_races_count(r, KHT_SEV_BUG) == 1 ? "" : "s",
		kht_races_count(r, KHT_SEV_SLOW), kht_races_count(r, KHT_SEV_WARN),
		kht_races_count(r, KHT_SEV_WARN) == 1 ? "" : "s", kht_races_count(r, KHT_SEV_GUARDED));
	if (r->not_evaluable)
		fprintf(out, "; %llu collapses seen without their entry: seek, spin and publish "
			"rules could not judge them", r->not_evaluable);
	if (r->not_shmem)
		fprintf(out, "; %llu collapse%s of regular (non-shmem) files: the seek rule cannot "
			"judge them (their holes on disk stay holes; seek-transient-hole is a "
			"shmem rule)", r->not_shmem, r->not_shmem == 1 ? "" : "s");
	fprintf(out, "\n");
}

void kht_races_print_json(FILE *out, const struct kht_races *r, const struct kht_fmt *f)
{
	kht_races_print_json_reports(out, r, f);
	kht_races_print_json_summary(out, r);
}

void kht_races_print_json_reports(FILE *out, const struct kht_races *r, const struct kht_fmt *f)
{
	char buf[4096], ev[2048];
	struct kht_buf b;

	for (size_t i = 0; i < r->n; i++) {
		const struct kht_race *x = &r->r[i];
		const struct kht_collapse *c = &x->collapse->ev.collapse;
		char dev[24];

		kht_buf_init(&b, buf, sizeof(buf));
		kht_json_begin(&b);
		kht_json_str(&b, "event", "race");
		kht_json_str(&b, "rule", rules[x->rule].name);
		kht_json_str(&b, "severity", kht_severity_name(x->sev));
		kht_json_str(&b, "seed", rules[x->rule].seed);
		kht_dev_str(x->group->dev, dev, sizeof(dev));
		kht_json_str(&b, "dev", dev);
		kht_json_u64(&b, "ino", x->group->ino);
		kht_json_u64(&b, "gen", x->group->gen);
		kht_json_str(&b, "file", x->group->name);
		kht_json_u64(&b, "first_page", x->first_page);
		kht_json_u64(&b, "last_page", x->last_page);
		kht_json_u64(&b, "value", x->value);
		if (kht_event_json(ev, sizeof(ev), &x->collapse->ev.hdr, sizeof(x->collapse->ev), f) > 0) {
			kht_json_key(&b, "collapse");
			kht_buf_printf(&b, "%s", ev);
		}
		if (x->other &&
		    kht_event_json(ev, sizeof(ev), &x->other->ev.hdr, sizeof(x->other->ev), f) > 0) {
			kht_json_key(&b, "other");
			kht_buf_printf(&b, "%s", ev);
		}
		kht_json_bool(&b, "lock_windows", c->flags & KHT_F_HAVE_WINDOWS);
		kht_json_str(&b, "published", !(c->flags & KHT_F_HAVE_WINDOWS) ? "not traced" :
			     !(c->flags & KHT_F_PUBLISHED) ? "not seen" :
			     c->flags & KHT_F_UPTODATE_AT_PUBLISH ? "uptodate" : "not uptodate");
		kht_json_bool(&b, "modifications_traced", r->mods_traced);
		if (x->evidence)
			kht_json_str(&b, "evidence", x->evidence);
		if (x->downgrade)
			kht_json_str(&b, "downgraded", x->downgrade);
		kht_json_u64(&b, "modifications_weighed", x->mods);
		kht_json_str(&b, "explanation", rules[x->rule].why);
		kht_json_end(&b);
		if (!b.overflow)
			fprintf(out, "%s\n", buf);
	}
}

void kht_races_print_json_summary(FILE *out, const struct kht_races *r)
{
	char buf[4096];
	struct kht_buf b;

	kht_buf_init(&b, buf, sizeof(buf));
	kht_json_begin(&b);
	kht_json_str(&b, "event", "races-summary");
	kht_json_u64(&b, "bugs", kht_races_count(r, KHT_SEV_BUG));
	kht_json_u64(&b, "slow", kht_races_count(r, KHT_SEV_SLOW));
	kht_json_u64(&b, "warnings", kht_races_count(r, KHT_SEV_WARN));
	kht_json_u64(&b, "guarded", kht_races_count(r, KHT_SEV_GUARDED));
	kht_json_u64(&b, "not_evaluable", r->not_evaluable);
	kht_json_u64(&b, "not_shmem", r->not_shmem);
	kht_json_bool(&b, "modifications_traced", r->mods_traced);
	kht_json_key(&b, "rules");
	kht_json_begin(&b);
	for (int k = 0; k < KHT_RULE_MAX; k++) {
		kht_json_key(&b, rules[k].name);
		kht_json_begin(&b);
		kht_json_u64(&b, "bug", kht_races_count_rule(r, k, KHT_SEV_BUG));
		kht_json_u64(&b, "slow", kht_races_count_rule(r, k, KHT_SEV_SLOW));
		kht_json_u64(&b, "warn", kht_races_count_rule(r, k, KHT_SEV_WARN));
		kht_json_u64(&b, "guarded", kht_races_count_rule(r, k, KHT_SEV_GUARDED));
		kht_json_end(&b);
	}
	kht_json_end(&b);
	kht_json_end(&b);
	fprintf(out, "%s\n", buf);
}
