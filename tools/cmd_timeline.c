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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "commands.h"
#include "feature.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/options.h"
#include "lib/outfile.h"
#include "lib/races.h"
#include "lib/races_stream.h"
#include "lib/timeline.h"

struct run {
	struct kht_timeline tl;
	/* races: judged as the events come, in bounded memory (not tl) */
	struct kht_races_stream *rs;
	/* called once the session is open, before any event arrives */
	void (*ready)(struct run *r, struct kht_session *s, const struct kht_opts *opts);
	unsigned long long events, lost, drops;
};

static int on_event(void *ctx, const struct kht_hdr *h, const void *data, size_t size)
{
	struct run *r = ctx;

	if (r->rs ? kht_rs_add(r->rs, h, size) : kht_tl_add(&r->tl, h, size))
		r->lost++;
	else
		r->events++;
	return 0;
}

/* userfaultfd may be configured out: say so instead of tracing ioctls for nothing */
static bool kernel_has_uffd(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has;

	if (!btf)
		return true;	/* cannot tell: let the feature loader decide */
	has = btf__find_by_name_kind(btf, "userfaultfd_ioctl", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return has;
}

/* Open the output now (outfile.h) so a bad path fails before tracing. */
static int open_perfetto(struct kht_outfile *out, const char *path)
{
	char err[512];

	if (!kht_out_open(out, path, 0, NULL, 0, err, sizeof(err)))
		return 0;
	fprintf(stderr, "khugetrace timeline: cannot write the Perfetto file: %s\n", err);
	return 1;
}

static int finish_perfetto(struct kht_outfile *out, const struct kht_timeline *tl,
			   const struct kht_fmt *fmt)
{
	FILE *f = kht_out_stream(out);
	char err[512];

	if (f)
		kht_tl_write_perfetto(f, tl, fmt);
	if (!f || kht_out_commit(out, err, sizeof(err))) {
		fprintf(stderr, "khugetrace timeline: Perfetto file: %s\n", f ? err : strerror(errno));
		kht_out_abort(out);
		return 1;
	}
	fprintf(stderr, "khugetrace timeline: Perfetto trace written to %s "
		"(open it in ui.perfetto.dev or chrome://tracing).\n", out->path);
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

/*
 * Trace with every feature until Ctrl-C/-d and keep all events. -p filters
 * stories later, not events in BPF; --comm/--tid/--cgroup are event filters
 * in BPF, as everywhere (they also hide khugepaged's collapses). Returns the exit status (0 = traced).
 */
static int collect(const char *cmd, const struct kht_opts *opts, struct run *r,
		   struct kht_session *s, struct kht_child *child)
{
	struct kht_opts bpf_opts = *opts;
	int ret;

	if (geteuid() == 0 && !kernel_has_uffd()) {
		fprintf(stderr, "khugetrace %s: this kernel has no userfaultfd "
			"(userfaultfd_ioctl is not in its BTF: CONFIG_USERFAULTFD is off).\n", cmd);
		return 1;
	}
	bpf_opts.pid = 0;
	ret = kht_session_open(s, cmd, kht_trace_features, kht_ntrace_features, &bpf_opts, on_event, r);
	if (!ret && opts->pid && kill(opts->pid, 0) && errno == ESRCH) {
		fprintf(stderr, "khugetrace %s: no process with PID %u.\n", cmd, opts->pid);
		kht_session_close(s);
		ret = 1;
	}
	if (ret) {
		kht_child_end(child, cmd, NULL);
		return ret;
	}
	s->child = child->pid ? child : NULL;
	if (r->ready)
		r->ready(r, s, opts);
	kht_session_banner(s, opts);
	if (child->pid && kht_child_start(child, cmd, opts->args[0])) {
		kht_session_close(s);
		return 1;
	}
	ret = kht_session_run(s, opts);
	kht_child_end(child, cmd, opts->nargs ? opts->args[0] : NULL);
	r->drops = kht_session_drops(s);
	return ret;
}

/* timeline keeps every event: no -c, no --min-us; races writes no Perfetto file */
#define TIMELINE_OPTS (KHT_O(PID) | KHT_O(INODE) | KHT_O(ATTACH) | KHT_O(DURATION) | \
		       KHT_O(JSON) | KHT_O(VERBOSE) | KHT_O(HELP) | KHT_O(PERFETTO) | \
		       KHT_O(NO_INSIDE) | KHT_O(SINCE) | KHT_O(UNTIL) | KHT_O_TASK_FILTERS)
#define RACES_OPTS ((TIMELINE_OPTS & ~KHT_O(PERFETTO)) | KHT_O(SPIN_US))

static void warn_losses(const char *cmd, const struct run *r)
{
	if (r->drops || r->lost)
		fprintf(stderr, "khugetrace %s: WARNING: %llu events dropped (ring buffer full), "
			"%llu unusable: the views miss them.\n", cmd, r->drops, r->lost);
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
	char err[256];
	int ret;

	if (kht_parse_opts_ex(argc, argv, KHT_OPTS_COMMAND, &opts, err, sizeof(err)) ||
	    kht_opts_only(&opts, TIMELINE_OPTS, "timeline", NULL, err, sizeof(err))) {
		fprintf(stderr, "khugetrace timeline: %s (see --help).\n", err);
		return 2;
	}
	if (opts.help) {
		usage();
		return 0;
	}
	/* not root: nothing will be traced, so create nothing */
	if (opts.perfetto && geteuid() == 0 && open_perfetto(&pf, opts.perfetto))
		return 1;
	ret = kht_child_from_opts(&child, "timeline", &opts);
	if (ret) {
		kht_out_abort(&pf);
		return ret;
	}
	ret = collect("timeline", &opts, &r, &s, &child);
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
		ret = finish_perfetto(&pf, &r.tl, &fmt);
	else
		kht_out_abort(&pf);	/* an error exit leaves nothing half-written */
	if (!ret)
		fprintf(stderr, "khugetrace timeline: %llu events, %zu stories.\n", r.events,
			r.tl.ngroups);
	warn_losses("timeline", &r);
	kht_tl_free(&r.tl);
	kht_session_close(&s);
	return ret;
}

/*
 * khugetrace races: the same capture, judged by the rules of lib/races.c as
 * it comes (lib/races_stream.c): reports are printed every epoch, memory
 * holds the last seconds of events, not the whole run.
 * Exit like grep: 0 something found (a bug or a slow spin), 1 nothing, 2 error.
 */
struct races_run {
	struct kht_races_stream rs;
	struct kht_fmt fmt;
	bool json;
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

static void races_ready(struct run *r, struct kht_session *s, const struct kht_opts *opts)
{
	struct races_run *rr = (struct races_run *)r->rs;

	for (int i = 0; i < s->nfeat; i++) {
		bool mod = s->feat[i].f == &kht_feat_modify;

		rr->rs.opts.mods_traced |= mod;
		rr->rs.opts.fills_traced |= mod && kht_modify_sees_fills(s->feat[i].mode);
	}
	rr->rs.opts.spin_ns = opts->spin_us * 1000;
	rr->rs.results = &s->results;
	rr->rs.base_ns = s->base_ns;
	rr->rs.filter = (struct kht_tl_filter){ .ino = opts->inode, .pid = opts->pid,
						.since_s = opts->since_s, .until_s = opts->until_s,
						.until_set = opts->until_set };
	rr->fmt = (struct kht_fmt){ .results = &s->results, .base_ns = s->base_ns };
}

int cmd_races(int argc, char **argv)
{
	struct races_run rr = { .rs = { .emit = races_emit } };
	struct kht_session s;
	struct kht_opts opts;
	struct kht_child child;
	struct run r = { .rs = &rr.rs, .ready = races_ready };
	char err[256];
	int ret;

	if (kht_parse_opts_ex(argc, argv, KHT_OPTS_COMMAND, &opts, err, sizeof(err)) ||
	    kht_opts_only(&opts, RACES_OPTS, "races", NULL, err, sizeof(err))) {
		fprintf(stderr, "khugetrace races: %s (see --help).\n", err);
		return 2;
	}
	if (opts.help) {
		printf("Usage: khugetrace races [OPTIONS] [--] [COMMAND [ARGS]]\n"
		       "Trace until Ctrl-C (or -d) and report the races of docs/races.md as\n"
		       "they are judged (a few seconds after each collapse):\n"
		       "uffd-missing-fill, seek-transient-hole, publish-before-uptodate,\n"
		       "collapse-on-uffd-armed, retry-spin. Exit 0 if a bug or a slow spin was\n"
		       "found, 1 if none, 2 on error.\n\n%s%s", kht_opts_usage(),
		       kht_opts_timeline_usage());
		return 0;
	}
	rr.rs.ctx = &rr;
	rr.rs.epoch_events = kht_rs_epoch_from_env();
	rr.json = opts.json;
	ret = kht_child_from_opts(&child, "races", &opts);
	if (ret)
		return 2;
	ret = collect("races", &opts, &r, &s, &child);
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
	warn_losses("races", &r);
	kht_rs_free(&rr.rs);
	kht_session_close(&s);
	return ret;
}
