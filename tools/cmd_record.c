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
#include "commands.h"
#include "feature.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/options.h"
#include "lib/event_fmt.h"
#include "lib/tracefile.h"

#define DEFAULT_OUTPUT "khugetrace.data"	/* as perf.data: `record` then `report` */

/* What record can honour: filters and modes are applied in BPF, nothing is formatted. */
#define RECORD_OPTS (KHT_O(PID) | KHT_O(INODE) | KHT_O(ATTACH) | KHT_O(DURATION) | \
		     KHT_O(VERBOSE) | KHT_O(HELP) | KHT_O(OUTPUT) | KHT_O(NO_INSIDE) | \
		     KHT_O(LOCK_WINDOWS) | KHT_O(SPINS) | KHT_O(ALL_SEEKS) | KHT_O(ALL_WRITES) | KHT_O(FORCE) | \
		     KHT_O_TASK_FILTERS | KHT_O(QUIET))

#define STATUS_EVERY_NS 3000000000ULL	/* the status line on stderr; -q: none */

struct rec {
	struct kht_tf_writer *w;
	const struct kht_session *s;
	bool quiet;
	unsigned long long last_flush, last_status;
	int err;	/* -errno of the first failed write */
};

/* A file we cannot write is not worth tracing into: stop at the first error. */
static void write_failed(struct rec *r, int err)
{
	if (!r->err)
		r->err = err;
	kht_exiting = -1;
}

static int on_event(void *ctx, const struct kht_hdr *h, const void *data, size_t size)
{
	struct rec *r = ctx;
	int err;

	/* lock windows as the BPF side batched them: one record for up to 16 */
	if (h->type == KHT_WIRE_LOCK_WINDOWS)
		err = kht_tf_write_win_batch(r->w, data);
	else if (kht_tf_event_wire_size(h->type))
		err = kht_tf_write_event(r->w, data);
	else
		err = kht_tf_write(r->w, h->type, data, size);

	if (err < 0)
		write_failed(r, err);
	return 0;
}

static void on_tick(void *ctx)
{
	struct rec *r = ctx;
	unsigned long long now = kht_now_ns();
	int err;

	if (now - r->last_flush >= 1000000000ULL) {
		err = kht_tf_flush(r->w);
		if (err < 0)
			write_failed(r, err);
		r->last_flush = now;
	}
	if (!r->quiet && now - r->last_status >= STATUS_EVERY_NS) {
		struct kht_tf_wstats ws;

		kht_tf_writer_stats(r->w, &ws);
		fprintf(stderr, "khugetrace record: %.0f s, %llu events so far, %llu dropped, "
			"%llu bytes written\n", (now - r->s->base_ns) / 1e9, ws.events,
			kht_session_drops(r->s), ws.bytes_out);
		r->last_status = now;
	}
}

static void usage(void)
{
	printf("Usage: khugetrace record [-o FILE] [OPTIONS] [--] [COMMAND [ARGS]]\n"
	       "Record collapses, userfaultfd ioctls, seeks, mincore, lock windows and readers\n"
	       "into FILE (default " DEFAULT_OUTPUT "; -o - is standard output) until Ctrl-C\n"
	       "(or -d); read it with 'khugetrace report FILE'. An existing FILE is kept as\n"
	       "FILE.old. With COMMAND: run it once the probes are attached, record its\n"
	       "process only (as -p) and stop when it exits.\n\n%s"
	       "  -o, --output FILE    where to record (default " DEFAULT_OUTPUT ")\n"
	       "  -f, --force          overwrite FILE instead of keeping it as FILE.old\n"
	       "  -q, --quiet          no status line (events, drops, bytes) every 3 s\n",
	       kht_opts_usage());
}

/* The header needs the session's modes and names: written once tracing is set up. */
static int start_file(struct rec *r, struct kht_outfile *out, const struct kht_session *s)
{
	static struct kht_tf_meta meta;
	char err[512];

	/* seeks and mincore calls: "all", "in-collapses", or "off" where they are
	 * left out (end-only collapse modes: the file says why it holds none) */
	const char *seeks = kht_session_left_out(s, &kht_feat_seek) ? "off" : NULL;

	kht_tf_meta_init(&meta);
	for (int i = 0; i < s->nfeat; i++) {
		const struct kht_feature *f = s->feat[i].f;

		kht_tf_meta_add_hook(&meta, f->name, kht_mode_names[s->feat[i].mode]);
		if (f == &kht_feat_modify && kht_modify_sees_fills(s->feat[i].mode))
			kht_tf_meta_add_hook(&meta, KHT_MODIFY_FILLS_HOOK,
					     kht_mode_names[s->feat[i].mode]);
		/* whether writes and fills outside collapses were left out (races: holes_unproven) */
		if (f == &kht_feat_modify)
			kht_tf_meta_add_hook(&meta, KHT_MODIFY_PROFILE_HOOK, kht_modify_profile());
		if (f == &kht_feat_seek)
			seeks = kht_seek_profile() == KHT_SEEKS_DURING_COLLAPSES ? "in-collapses" : "all";
	}
	if (seeks)
		kht_tf_meta_add_hook(&meta, KHT_SEEK_PROFILE_HOOK, seeks);
	/* where the lock windows came from (docs/collapse.md): report shows it */
	if (kht_lock_windows_in_use())
		kht_tf_meta_add_hook(&meta, "collapse:lock-windows",
				     kht_lock_windows_in_use() == KHT_LW_CALLSITE ? "callsite" : "fentry");
	kht_tf_meta_add_enum(&meta, "scan_result", &s->results);
	r->w = kht_tf_create_out(out, &meta, err, sizeof(err));
	if (!r->w) {
		fprintf(stderr, "khugetrace record: %s\n", err);
		return 1;
	}
	if (out->old[0])
		fprintf(stderr, "khugetrace record: the earlier %s is kept as %s.\n", out->path,
			out->old);
	return 0;
}

/*
 * Trailer, fsync, close; then say what the file really holds: the events of
 * the blocks that reached it, and the errno of the first write that failed.
 */
static int finish_file(struct rec *r, const struct kht_session *s, const char *path)
{
	static struct kht_tf_trailer trailer;	/* ~33 KiB */
	struct kht_tf_wstats ws;
	int err, ret = 0;

	trailer.drops = kht_session_drops(s);
	trailer.ncpus = kht_session_drops_per_cpu(s, trailer.drops_per_cpu, KHT_TF_MAX_CPUS);
	err = kht_tf_close_stats(r->w, &trailer, &ws);
	if (r->err || err) {
		fprintf(stderr, "khugetrace record: writing %s failed: %s.\n", path,
			strerror(-(r->err ? r->err : err)));
		ret = 1;
	}
	/* records too: report counts them, and a batch record holds up to 16 lock windows */
	fprintf(stderr, "khugetrace record: %llu events in %llu records, %llu blocks, %llu bytes "
		"written to %s", ws.events_out, ws.records_out, ws.blocks, ws.bytes_out, path);
	if (ret)
		fprintf(stderr, " (%llu more events were lost with the failed write)",
			ws.events - ws.events_out);
	if (trailer.drops)
		fprintf(stderr, "; WARNING: %llu events dropped (ring buffer full)", trailer.drops);
	fprintf(stderr, ".\n");
	kht_session_note_not_recorded(s);
	return ret;
}

int cmd_record(int argc, char **argv)
{
	struct kht_session s;
	struct kht_outfile out;
	struct kht_opts opts;
	struct kht_child child;
	struct rec r = {};
	const char *path;
	char err[512];
	int ret;

	ret = kht_cmd_opts(argc, argv, "record", RECORD_OPTS, "it stores every event; 'khugetrace "
			   "report' filters and formats them", &opts, usage);
	if (ret >= 0)
		return ret;
	path = opts.output ? opts.output : DEFAULT_OUTPUT;
	/* before loading anything: a bad path fails at once, and nothing is written yet */
	if (kht_out_open(&out, path, opts.force ? 0 : KHT_OUT_ROTATE, NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "khugetrace record: %s\n", err);
		return 1;
	}
	ret = kht_child_from_opts(&child, "record", &opts);
	if (ret) {
		kht_out_abort(&out);
		return ret;
	}
	opts.best_effort = true;	/* record what can be recorded, name what cannot */
	ret = kht_session_open(&s, "record", kht_trace_features, kht_ntrace_features, &opts,
			       on_event, &r);
	if (ret) {
		kht_child_end(&child, "record", NULL);
		kht_out_abort(&out);
		return ret;
	}
	s.child = child.pid ? &child : NULL;
	if (start_file(&r, &out, &s)) {
		kht_child_end(&child, "record", NULL);
		kht_session_close(&s);
		return 1;
	}
	r.last_flush = r.last_status = kht_now_ns();
	r.s = &s;
	r.quiet = opts.quiet;
	s.tick = on_tick;
	s.window_batches = true;
	kht_session_banner(&s, &opts);
	if (child.pid && kht_child_start(&child, "record", opts.args[0]))
		kht_exiting = -1;	/* nothing to wait for: close the file properly */
	ret = kht_session_run(&s, &opts);
	if (!child.pid && opts.nargs)
		ret = 1;	/* the command could not run */
	kht_child_end(&child, "record", opts.args[0]);
	if (finish_file(&r, &s, path))
		ret = 1;
	kht_session_close(&s);
	return ret;
}
