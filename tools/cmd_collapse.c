// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace collapse: one line per collapse_file() call (khugepaged and
 * MADV_COLLAPSE). The attach mode is chosen at run time by the collapse
 * feature (fentry, kprobe, tp_btf, raw_tp, syscalls); the banner says which
 * one won and what it cannot see.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "feature.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/event_fmt.h"
#include "lib/options.h"
#include "lib/procmaps.h"

struct run {
	struct kht_opts opts;
	struct kht_fmt fmt;
	struct kht_summary summary;
	unsigned long long seen;
};

/* syscalls mode sees only the user address: resolve the file index while the caller lives. */
static void resolve_start(struct kht_collapse *ev)
{
	unsigned long long index, ino;
	char path[64];

	if ((ev->flags & KHT_F_HAVE_START) || !(ev->flags & KHT_F_HAVE_ADDR) ||
	    ev->mode != KHT_MODE_SYSCALLS)
		return;
	snprintf(path, sizeof(path), "/proc/%u/maps", ev->hdr.pid);
	if (kht_maps_index(path, ev->addr, &index, &ino) && ino == ev->ino) {
		ev->start_index = index;
		ev->flags |= KHT_F_HAVE_START;
	}
}

static int on_event(void *ctx, const struct kht_hdr *h, const void *data, size_t size)
{
	struct run *r = ctx;
	struct kht_collapse ev;
	char line[1024];

	if (h->type != KHT_EV_COLLAPSE || size < sizeof(ev) ||
	    (r->opts.count && r->seen >= r->opts.count))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	if (r->opts.min_us && (ev.flags & KHT_F_HAVE_DURATION) &&
	    ev.duration_ns < r->opts.min_us * 1000)
		return 0;
	resolve_start(&ev);
	kht_summary_add(&r->summary, &ev);
	if (r->opts.json)
		kht_collapse_json(line, sizeof(line), &ev, &r->fmt);
	else
		kht_collapse_text(line, sizeof(line), &ev, &r->fmt);
	printf("%s\n", line);
	fflush(stdout);
	if (r->opts.count && ++r->seen >= r->opts.count)
		kht_exiting = -1;	/* not a signal: stop polling, still summarise */
	return 0;
}

static void print_summary(struct run *r, unsigned long long drops)
{
	char buf[4096];

	if (r->opts.json) {
		kht_summary_json(buf, sizeof(buf), &r->summary, &r->fmt, drops);
		printf("%s\n", buf);
	} else {
		kht_summary_text(buf, sizeof(buf), &r->summary, &r->fmt);
		printf("\n%s\n", buf);
	}
	if (drops)
		fprintf(stderr, "khugetrace collapse: WARNING: %llu events dropped: the ring buffer "
			"was full (the summary above misses them).\n", drops);
	fflush(stdout);
}

int cmd_collapse(int argc, char **argv)
{
	static const struct kht_feature *const feats[] = { &kht_feat_collapse };
	struct kht_session s;
	struct run r = {};
	char err[256];
	int ret;

	if (kht_parse_opts(argc, argv, &r.opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace collapse: %s (see --help).\n", err);
		return 2;
	}
	if (r.opts.perfetto || r.opts.since_s || r.opts.until_s) {
		fprintf(stderr, "khugetrace collapse: --perfetto, --since and --until belong to "
			"'khugetrace timeline' (see --help).\n");
		return 2;
	}
	if (r.opts.help) {
		printf("Usage: khugetrace collapse [OPTIONS]\n"
		       "Trace collapse_file(): khugepaged and MADV_COLLAPSE collapsing shmem/file\n"
		       "page cache into huge pages, one line per call.\n\n%s", kht_opts_usage());
		return 0;
	}
	ret = kht_session_open(&s, "collapse", feats, 1, &r.opts, on_event, &r);
	if (ret)
		return ret;
	r.fmt.results = &s.results;
	r.fmt.base_ns = s.base_ns;
	kht_session_banner(&s, &r.opts);
	if (!r.opts.json)
		printf("%s\n", kht_collapse_header());
	fflush(stdout);
	ret = kht_session_run(&s, &r.opts);
	print_summary(&r, kht_session_drops(&s));
	kht_session_close(&s);
	return ret;
}
