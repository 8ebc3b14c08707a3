// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace record -o FILE: every event of every feature, streamed into a
 * compressed, block-checksummed file (docs/file-format.md) for `report`
 * on this or another machine. Blocks are flushed at least once a second so
 * a crash loses at most the last second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "feature.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/options.h"
#include "lib/event_fmt.h"
#include "lib/tracefile.h"

struct rec {
	struct kht_tf_writer *w;
	unsigned long long events, errors, last_flush;
	int err;
};

static int on_event(void *ctx, const struct kht_hdr *h, const void *data, size_t size)
{
	struct rec *r = ctx;
	int err = kht_tf_event_wire_size(h->type) ? kht_tf_write_event(r->w, data)
						  : kht_tf_write(r->w, h->type, data, size);

	if (err < 0) {
		r->errors++;
		r->err = err;
		kht_exiting = -1;	/* a file we cannot write is not worth tracing into */
	} else {
		r->events++;
	}
	return 0;
}

static void on_tick(void *ctx)
{
	struct rec *r = ctx;
	unsigned long long now = kht_now_ns();

	if (now - r->last_flush >= 1000000000ULL) {
		if (kht_tf_flush(r->w) < 0 && !r->err)
			r->err = -1, kht_exiting = -1;
		r->last_flush = now;
	}
}

/* Fail before loading anything when the file's directory is not writable. */
static bool dir_writable(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return access(".", W_OK | X_OK) == 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return access(dir, W_OK | X_OK) == 0;
}

static void usage(void)
{
	printf("Usage: khugetrace record -o FILE [OPTIONS]\n"
	       "Record collapses, userfaultfd ioctls, seeks, mincore, lock windows and readers\n"
	       "into FILE until Ctrl-C (or -d); read it with 'khugetrace report FILE'.\n\n%s",
	       kht_opts_usage());
}

int cmd_record(int argc, char **argv)
{
	static struct kht_tf_trailer trailer;	/* ~33 KiB */
	static struct kht_tf_meta meta;
	struct kht_tf_wstats ws;
	struct kht_session s;
	struct kht_opts opts;
	struct rec r = {};
	char err[512];
	int ret;

	if (kht_parse_opts(argc, argv, &opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace record: %s (see --help).\n", err);
		return 2;
	}
	if (opts.help) {
		usage();
		return 0;
	}
	if (!opts.output) {
		fprintf(stderr, "khugetrace record: -o FILE is required (see --help).\n");
		return 2;
	}
	if (!dir_writable(opts.output)) {
		fprintf(stderr, "khugetrace record: cannot write %s: %s.\n", opts.output,
			strerror(errno));
		return 1;
	}
	ret = kht_session_open(&s, "record", kht_trace_features, kht_ntrace_features, &opts, on_event, &r);
	if (ret)
		return ret;
	kht_tf_meta_init(&meta);
	for (int i = 0; i < s.nfeat; i++)
		kht_tf_meta_add_hook(&meta, s.feat[i].f->name, kht_mode_names[s.feat[i].mode]);
	kht_tf_meta_add_enum(&meta, "scan_result", &s.results);
	r.w = kht_tf_create(opts.output, &meta, err, sizeof(err));
	if (!r.w) {
		fprintf(stderr, "khugetrace record: %s\n", err);
		kht_session_close(&s);
		return 1;
	}
	r.last_flush = kht_now_ns();
	s.tick = on_tick;
	kht_session_banner(&s, &opts);
	ret = kht_session_run(&s, &opts);
	trailer.drops = kht_session_drops(&s);
	trailer.ncpus = kht_session_drops_per_cpu(&s, trailer.drops_per_cpu, KHT_TF_MAX_CPUS);
	kht_tf_writer_stats(r.w, &ws);
	if (kht_tf_close(r.w, &trailer) < 0 || r.err) {
		fprintf(stderr, "khugetrace record: writing %s failed: %s.\n", opts.output,
			strerror(r.err ? -r.err : EIO));
		ret = 1;
	}
	fprintf(stderr, "khugetrace record: %llu events, %llu blocks, %llu bytes written to %s",
		r.events, ws.blocks, ws.bytes_out, opts.output);
	if (trailer.drops)
		fprintf(stderr, "; WARNING: %llu events dropped (ring buffer full)", trailer.drops);
	fprintf(stderr, ".\n");
	kht_session_close(&s);
	return ret;
}
