// SPDX-License-Identifier: GPL-2.0
/* The race rules in epochs over a stream: see races_stream.h. */
#include <stdlib.h>
#include <string.h>
#include "races_stream.h"

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
	if (rs->tl.n > rs->peak_events)
		rs->peak_events = rs->tl.n;
	ret = kht_tl_build(&rs->tl, &rs->filter, rs->base_ns);
	if (!ret)
		ret = kht_races_find_some(&rs->races, &rs->tl, rs->results, &rs->opts, &span);
	if (!ret && rs->emit)
		rs->emit(rs->ctx, &rs->races);
	kht_races_forget(&rs->races);
	kht_tl_unbuild(&rs->tl);
	if (ret)
		return -1;
	/* what arrives from now on was not judged, whenever it ended */
	rs->judged.judged_before = cut;
	rs->judged.seq_from = rs->tl.next_seq;
	if (cut != ~0ULL && prune(rs, cut > KHT_RS_KEEP_NS ? cut - KHT_RS_KEEP_NS : 0))
		return -1;
	/* a window that alone fills an epoch: wait for it to double, not for each event */
	rs->next_epoch = rs->tl.n * 2 > epoch_size(rs) ? rs->tl.n * 2 : epoch_size(rs);
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
	if (kht_tl_add(&rs->tl, h, size))
		return -1;
	if (h->ts_ns > rs->newest_ns)
		rs->newest_ns = h->ts_ns;
	if (!rs->next_epoch)
		rs->next_epoch = epoch_size(rs);
	if (rs->tick_only || rs->newest_ns <= KHT_RS_LAG_NS)
		return 0;
	if (rs->tl.n < rs->next_epoch &&
	    rs->newest_ns - KHT_RS_LAG_NS < rs->judged.judged_before + KHT_RS_PERIOD_NS)
		return 0;
	return epoch(rs, rs->newest_ns - KHT_RS_LAG_NS);
}

int kht_rs_tick(struct kht_races_stream *rs, unsigned long long now_ns)
{
	if (!rs->next_epoch)
		rs->next_epoch = epoch_size(rs);
	if (now_ns <= KHT_RS_LAG_NS || !rs->tl.n ||
	    (now_ns - KHT_RS_LAG_NS < rs->judged.judged_before + KHT_RS_PERIOD_NS &&
	     !(rs->tick_only && rs->tl.n >= rs->next_epoch)))
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
	if (rs->nlosses == rs->cap_losses) {
		size_t cap = rs->cap_losses ? rs->cap_losses * 2 : 16;
		void *p = realloc(rs->losses, cap * sizeof(*rs->losses));

		if (!p)
			return -1;
		rs->losses = p;
		rs->cap_losses = cap;
	}
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
}
