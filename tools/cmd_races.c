// SPDX-License-Identifier: GPL-2.0
/* khugetrace races: the rules of lib/races.c over a live capture (capture.c). */
#include <stdio.h>
#include <time.h>
#include "commands.h"
#include "capture.h"
#include "feature.h"
#include "lib/races.h"

/*
 * khugetrace races: the same capture, judged by the rules of lib/races.c as
 * it comes (lib/races_stream.c): reports are printed every epoch, memory
 * holds the last seconds of events, not the whole run.
 * Exit like grep: 0 something found (a bug or a slow spin), 1 nothing, 2 error.
 */
struct races_run {
	struct kht_races_stream rs;	/* first: struct run points at it */
	struct kht_fmt fmt;
	bool json;
	struct kht_session *s;
	unsigned long long drops, last_tick_ns;
};

static void races_emit(void *ctx, struct kht_races *r)
{
	struct races_run *rr = ctx;

	if (rr->json)
		kht_races_print_json_reports(stdout, r, &rr->fmt);
	else
		kht_races_print_text_reports(stdout, r, &rr->fmt);
	fflush(stdout);
}

/* Every poll: a quiet host's collapses are judged without waiting for more events. */
static void races_tick(void *ctx)
{
	struct run *r = ctx;
	struct races_run *rr = (struct races_run *)r->rs;
	unsigned long long now, drops;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* bpf_ktime_get_ns()'s clock */
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/*
	 * Drops since the last poll: the events lost were stamped since then
	 * (10 ms more for an event stamped just before it and reserved after).
	 */
	drops = kht_session_drops(rr->s);
	if (drops > rr->drops &&
	    kht_rs_note_loss(r->rs, rr->last_tick_ns > 10000000 ? rr->last_tick_ns - 10000000 : 0,
			     now))
		r->lost++;
	rr->drops = drops;
	rr->last_tick_ns = now;
	if (kht_rs_tick(r->rs, now))
		r->lost++;
}

static void races_ready(struct run *r, struct kht_session *s, const struct kht_opts *opts)
{
	struct races_run *rr = (struct races_run *)r->rs;

	for (int i = 0; i < s->nfeat; i++) {
		bool mod = s->feat[i].f == &kht_feat_modify;

		rr->rs.opts.mods_traced |= mod;
		rr->rs.opts.fills_traced |= mod && kht_modify_sees_fills(s->feat[i].mode);
		rr->rs.opts.writes_in_collapses |= mod && kht_modify_during_collapses();
		rr->rs.opts.writes_left_out |= mod && kht_modify_writes_off();
	}
	rr->rs.opts.spin_ns = opts->spin_us * 1000;
	rr->rs.results = &s->results;
	rr->rs.base_ns = s->base_ns;
	rr->rs.filter = (struct kht_tl_filter){ .ino = opts->inode, .pid = opts->pid,
						.since_s = opts->since_s, .until_s = opts->until_s,
						.until_set = opts->until_set };
	rr->fmt = (struct kht_fmt){ .results = &s->results, .base_ns = s->base_ns };
	s->tick = races_tick;
	rr->s = s;
	rr->last_tick_ns = s->base_ns;
}

static void usage(void)
{
	printf("Usage: khugetrace races [OPTIONS] [--] [COMMAND [ARGS]]\n"
	       "Trace until Ctrl-C (or -d) and report the races of docs/races.md as\n"
	       "they are judged (a few seconds after each collapse):\n"
	       "uffd-missing-fill, seek-transient-hole, publish-before-uptodate,\n"
	       "collapse-on-uffd-armed, retry-spin. Exit 0 if a bug or a slow spin was\n"
	       "found, 1 if none, 2 on error.\n\n%s%s", kht_opts_usage(),
	       kht_opts_timeline_usage());
}

int cmd_races(int argc, char **argv)
{
	struct races_run rr = { .rs = { .emit = races_emit } };
	struct kht_session s;
	struct kht_opts opts;
	struct kht_child child;
	struct run r = { .rs = &rr.rs, .ready = races_ready };
	int ret;

	ret = kht_cmd_opts(argc, argv, "races", RACES_OPTS, NULL, &opts, usage);
	if (ret >= 0)
		return ret;
	rr.rs.ctx = &rr;
	rr.rs.epoch_events = kht_rs_epoch_from_env();
	rr.rs.tick_only = true;		/* drops are noted at each tick, before judging */
	rr.json = opts.json;
	ret = kht_child_from_opts(&child, "races", &opts);
	if (ret)
		return 2;
	ret = kht_capture("races", &opts, &r, &s, &child);
	if (ret)
		return 2;
	if (kht_rs_finish(&rr.rs)) {
		fprintf(stderr, "khugetrace races: out of memory.\n");
		ret = 2;
	} else {
		if (opts.json)
			kht_races_print_json_summary(stdout, &rr.rs.races);
		else
			kht_races_print_text_summary(stdout, &rr.rs.races);
		ret = kht_races_count(&rr.rs.races, KHT_SEV_BUG) ||
		      kht_races_count(&rr.rs.races, KHT_SEV_SLOW) ? 0 : 1;
	}
	if (opts.verbose)
		fprintf(stderr, "khugetrace races: judged in %zu epochs, at most %zu events held "
			"(%llu dropped once judged).\n", rr.rs.epochs, rr.rs.peak_events,
			rr.rs.dropped);
	kht_capture_warn_losses("races", &r);
	kht_rs_free(&rr.rs);
	kht_session_close(&s);
	return ret;
}
