// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace timeline: collapse, userfaultfd, seek and mincore events merged
 * into one time-ordered story per inode (and per process for anonymous or
 * hugetlb memory), each printed once its inode has gone quiet (lib/timeline_stream.c),
 * the rest when tracing stops.
 *
 * -p filters stories, not events: the BPF side keeps every task, so the
 * khugepaged collapse of a file the process uses stays in its story.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "feature.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/options.h"
#include "lib/outfile.h"
#include "capture.h"
#include "lib/story_writer.h"
#include "lib/timeline.h"

/* Open the output now (outfile.h) so a bad path fails before tracing. */
static int open_perfetto(struct kht_outfile *out, const char *path, bool json)
{
	char err[512];

	if (kht_out_open(out, path, 0, NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "khugetrace timeline: cannot write the Perfetto file: %s\n", err);
		return 1;
	}
	if (!json && isatty(out->fd)) {
		fprintf(stderr, "khugetrace timeline: the Perfetto trace is binary and is not "
			"written to a terminal: name a file, or use --perfetto-format json.\n");
		kht_out_abort(out);
		return 2;
	}
	return 0;
}

/* The live stories: written to stdout (and the Perfetto file) as they go quiet. */
struct timeline_run {
	struct kht_tl_stream ts;
	struct kht_fmt fmt;
	bool json;
	struct kht_outfile *pf;
	FILE *pf_out;			/* NULL: no Perfetto file, or it failed */
	bool pf_json;
	struct kht_tl_pfjson pfjson;
	struct kht_tl_pb *pb;
	/* stories are written by a thread of their own, off the ring buffer's path */
	struct kht_story_writer *writer;
	unsigned long long written;		/* stories (writer thread) */
	size_t peak_pending;
	unsigned long long waits;
};

static void story_emit(void *ctx, const struct kht_timeline *t, const struct kht_tl_group *g,
		       unsigned long long *tag)
{
	struct timeline_run *tr = ctx;

	if (tr->json) {
		kht_tl_story_json(stdout, t, g, &tr->fmt);
	} else {
		if (tr->written++)
			fputc('\n', stdout);
		kht_tl_story_text(stdout, t, g, &tr->fmt);
	}
	fflush(stdout);
	if (tr->pb)
		kht_tl_pb_story(tr->pb, t, g, &tr->fmt, tag);
	else if (tr->pf_out)
		kht_tl_pfjson_story(&tr->pfjson, t, g, &tr->fmt, tag);
}

/* Every poll: a story whose inode went quiet is printed without waiting for more events. */
static void timeline_tick(void *ctx)
{
	struct run *r = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);	/* bpf_ktime_get_ns()'s clock */
	if (kht_tls_tick(r->ts, now.tv_sec * 1000000000ULL + now.tv_nsec))
		r->lost++;
}

static void timeline_ready(struct run *r, struct kht_session *s, const struct kht_opts *opts)
{
	struct timeline_run *tr = (struct timeline_run *)r->ts;

	tr->fmt = (struct kht_fmt){ .results = &s->results, .base_ns = s->base_ns };
	tr->ts.base_ns = s->base_ns;
	tr->ts.filter = (struct kht_tl_filter){ .ino = opts->inode, .pid = opts->pid,
						.since_s = opts->since_s, .until_s = opts->until_s,
						.until_set = opts->until_set };
	s->tick = timeline_tick;
	if (tr->pf && tr->pf->fd >= 0) {
		tr->pf_out = kht_out_stream(tr->pf);
		if (tr->pf_out && !tr->pf_json && !(tr->pb = kht_tl_pb_begin(tr->pf_out)))
			tr->pf_out = NULL;
		if (tr->pf_out && !tr->pb)
			kht_tl_pfjson_begin(&tr->pfjson, tr->pf_out);
	}
}

static int finish_perfetto(struct timeline_run *tr)
{
	struct kht_outfile *out = tr->pf;
	char err[512];
	int wr = !tr->pf_out ? -1 : tr->pb ? kht_tl_pb_end(tr->pb) : kht_tl_pfjson_end(&tr->pfjson);

	tr->pb = NULL;
	if (wr < 0 && tr->pf_out && !ferror(tr->pf_out)) {	/* a write error is the commit's to say */
		fprintf(stderr, "khugetrace timeline: out of memory writing %s.\n", out->path);
		kht_out_abort(out);
		return 1;
	}
	if (!tr->pf_out || kht_out_commit(out, err, sizeof(err))) {
		fprintf(stderr, "khugetrace timeline: Perfetto file: %s\n",
			tr->pf_out ? err : strerror(errno ? errno : ENOMEM));
		kht_out_abort(out);
		return 1;
	}
	fprintf(stderr, "khugetrace timeline: Perfetto trace written to %s (open it in "
		"ui.perfetto.dev%s).\n", out->path, tr->pf_json ? " or chrome://tracing" : "");
	return 0;
}

static void usage(void)
{
	printf("Usage: khugetrace timeline [OPTIONS] [--] [COMMAND [ARGS]]\n"
	       "Trace collapses, userfaultfd ioctls, SEEK_DATA/SEEK_HOLE and mincore until\n"
	       "Ctrl-C (or -d), printing one time-ordered story per inode once it has been\n"
	       "quiet for 12 s, the rest at the end. Lines marked\n"
	       "'|' happened inside a collapse window of that inode. With COMMAND: run it\n"
	       "once the probes are attached, keep its stories (as -p) and stop when it\n"
	       "exits.\n\n%s%s",
	       kht_opts_usage(), kht_opts_timeline_usage());
}

int cmd_timeline(int argc, char **argv)
{
	struct kht_outfile pf = { .fd = -1 };
	struct timeline_run tr = { .ts = { .take = kht_sw_take } };
	struct kht_session s;
	struct kht_opts opts;
	struct kht_child child;
	struct run r = { .ts = &tr.ts, .ready = timeline_ready };
	int ret, fin;

	ret = kht_cmd_opts(argc, argv, "timeline", TIMELINE_OPTS, NULL, &opts, usage);
	if (ret >= 0)
		return ret;
	tr.json = opts.json;
	tr.pf_json = kht_perfetto_json(&opts);
	/* not root: nothing will be traced, so create nothing */
	if (opts.perfetto && geteuid() == 0 && (ret = open_perfetto(&pf, opts.perfetto, tr.pf_json)))
		return ret;
	tr.pf = opts.perfetto ? &pf : NULL;
	ret = kht_child_from_opts(&child, "timeline", &opts);
	if (ret) {
		kht_out_abort(&pf);
		return ret;
	}
	tr.writer = kht_sw_start(story_emit, &tr, KHT_TLS_HELD_EVENTS);
	tr.ts.ctx = tr.writer;
	if (!tr.writer) {
		fprintf(stderr, "khugetrace timeline: cannot start the thread that writes stories: "
			"%s.\n", strerror(errno));
		kht_out_abort(&pf);
		return 1;
	}
	ret = kht_capture("timeline", &opts, &r, &s, &child);
	if (ret && !s.nfeat) {
		kht_sw_finish(tr.writer, NULL, NULL);
		if (tr.pb)
			kht_tl_pb_end(tr.pb);
		kht_out_abort(&pf);
		return ret;
	}
	fin = kht_tls_finish(&tr.ts);
	/* everything is handed over: stdout is this thread's again once the writer is done */
	kht_sw_finish(tr.writer, &tr.peak_pending, &tr.waits);
	if (fin) {
		fprintf(stderr, "khugetrace timeline: out of memory building the timeline.\n");
		ret = 1;
	} else if (opts.inode && !tr.ts.stories_out) {
		fprintf(stderr, "khugetrace timeline: no events for inode %llu: nothing touched it "
			"while tracing.\n", opts.inode);
		ret = 1;
	} else if (opts.json) {
		kht_tl_json_summary(stdout, tr.ts.stories_out, tr.ts.events_out, r.drops);
	}
	fflush(stdout);
	if (pf.fd >= 0 && !ret) {
		ret = finish_perfetto(&tr);
	} else {
		if (tr.pb)
			kht_tl_pb_end(tr.pb);
		kht_out_abort(&pf);	/* an error exit leaves nothing half-written */
	}
	if (!ret)
		fprintf(stderr, "khugetrace timeline: %llu events, %llu stories.\n", r.events,
			tr.ts.stories_out);
	if (opts.verbose)
		fprintf(stderr, "khugetrace timeline: at most %zu events in %zu stories held, "
			"%zu waiting to be written (the ring buffer waited %llu times for the "
			"writer).\n", tr.ts.peak_held, tr.ts.peak_stories, tr.peak_pending, tr.waits);
	kht_capture_warn_losses("timeline", &r);
	kht_tls_free(&tr.ts);
	kht_session_close(&s);
	return ret;
}
