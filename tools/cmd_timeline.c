// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace timeline: collapse, userfaultfd, seek and mincore events merged
 * into one time-ordered story per inode (and per process for anonymous or
 * hugetlb memory), printed when tracing stops.
 *
 * -p filters stories, not events: the BPF side keeps every task, so the
 * khugepaged collapse of a file the process uses stays in its story.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "feature.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/options.h"
#include "lib/outfile.h"
#include "capture.h"
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

static int finish_perfetto(struct kht_outfile *out, const struct kht_timeline *tl,
			   const struct kht_fmt *fmt, bool json)
{
	FILE *f = kht_out_stream(out);
	char err[512];

	int wr = !f ? -1 : json ? kht_tl_write_perfetto(f, tl, fmt) :
		 kht_tl_write_perfetto_pb(f, tl, fmt);

	if (wr < 0 && f && !ferror(f)) {	/* a write error is the commit's to say */
		fprintf(stderr, "khugetrace timeline: out of memory writing %s.\n", out->path);
		kht_out_abort(out);
		return 1;
	}
	if (!f || kht_out_commit(out, err, sizeof(err))) {
		fprintf(stderr, "khugetrace timeline: Perfetto file: %s\n", f ? err : strerror(errno));
		kht_out_abort(out);
		return 1;
	}
	fprintf(stderr, "khugetrace timeline: Perfetto trace written to %s (open it in "
		"ui.perfetto.dev%s).\n", out->path, json ? " or chrome://tracing" : "");
	return 0;
}

static void usage(void)
{
	printf("Usage: khugetrace timeline [OPTIONS] [--] [COMMAND [ARGS]]\n"
	       "Trace collapses, userfaultfd ioctls, SEEK_DATA/SEEK_HOLE and mincore until\n"
	       "Ctrl-C (or -d), then print one time-ordered story per inode. Lines marked\n"
	       "'|' happened inside a collapse window of that inode. With COMMAND: run it\n"
	       "once the probes are attached, keep its stories (as -p) and stop when it\n"
	       "exits.\n\n%s%s",
	       kht_opts_usage(), kht_opts_timeline_usage());
}

int cmd_timeline(int argc, char **argv)
{
	struct kht_outfile pf = { .fd = -1 };
	struct kht_tl_filter filter;
	struct kht_session s;
	struct kht_opts opts;
	struct kht_child child;
	struct kht_fmt fmt;
	struct run r = {};
	int ret;

	ret = kht_cmd_opts(argc, argv, "timeline", TIMELINE_OPTS, NULL, &opts, usage);
	if (ret >= 0)
		return ret;
	/* not root: nothing will be traced, so create nothing */
	if (opts.perfetto && geteuid() == 0 &&
	    (ret = open_perfetto(&pf, opts.perfetto, kht_perfetto_json(&opts))))
		return ret;
	ret = kht_child_from_opts(&child, "timeline", &opts);
	if (ret) {
		kht_out_abort(&pf);
		return ret;
	}
	ret = kht_capture("timeline", &opts, &r, &s, &child);
	if (ret && !s.nfeat) {
		kht_out_abort(&pf);
		return ret;
	}
	fmt = (struct kht_fmt){ .results = &s.results, .base_ns = s.base_ns };
	filter = (struct kht_tl_filter){ .ino = opts.inode, .pid = opts.pid,
					 .since_s = opts.since_s, .until_s = opts.until_s,
					 .until_set = opts.until_set };
	if (kht_tl_build(&r.tl, &filter, s.base_ns)) {
		fprintf(stderr, "khugetrace timeline: out of memory building the timeline.\n");
		ret = 1;
	} else if (opts.inode && !r.tl.ngroups) {
		fprintf(stderr, "khugetrace timeline: no events for inode %llu: nothing touched it "
			"while tracing.\n", opts.inode);
		ret = 1;
	} else if (opts.json) {
		kht_tl_print_json(stdout, &r.tl, &fmt, r.drops);
	} else {
		kht_tl_print_text(stdout, &r.tl, &fmt);
	}
	fflush(stdout);
	if (pf.fd >= 0 && !ret)
		ret = finish_perfetto(&pf, &r.tl, &fmt, kht_perfetto_json(&opts));
	else
		kht_out_abort(&pf);	/* an error exit leaves nothing half-written */
	if (!ret)
		fprintf(stderr, "khugetrace timeline: %llu events, %zu stories.\n", r.events,
			r.tl.ngroups);
	kht_capture_warn_losses("timeline", &r);
	kht_tl_free(&r.tl);
	kht_session_close(&s);
	return ret;
}
