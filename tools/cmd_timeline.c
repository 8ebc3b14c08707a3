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
#include "lib/races.h"
#include "lib/timeline.h"

struct run {
	struct kht_timeline tl;
	unsigned long long events, lost, drops;
};

static int on_event(void *ctx, const struct kht_hdr *h, const void *data, size_t size)
{
	struct run *r = ctx;

	if (kht_tl_add(&r->tl, h, size))
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

/* Open FILE.tmp now so a bad path fails before tracing, rename at the end. */
static FILE *open_perfetto(const char *path, char *tmp, size_t len)
{
	FILE *f;

	snprintf(tmp, len, "%s.tmp.%d", path, getpid());
	f = fopen(tmp, "w");
	if (!f)
		fprintf(stderr, "khugetrace timeline: cannot write the Perfetto file %s: %s.\n",
			path, strerror(errno));
	return f;
}

static int finish_perfetto(FILE *f, const char *tmp, const char *path,
			   const struct kht_timeline *tl, const struct kht_fmt *fmt)
{
	int err = kht_tl_write_perfetto(f, tl, fmt);

	if (fclose(f) || err || rename(tmp, path)) {
		fprintf(stderr, "khugetrace timeline: writing the Perfetto file %s failed: %s.\n",
			path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return 1;
	}
	fprintf(stderr, "khugetrace timeline: Perfetto trace written to %s "
		"(open it in ui.perfetto.dev or chrome://tracing).\n", path);
	return 0;
}

static void usage(void)
{
	printf("Usage: khugetrace timeline [OPTIONS]\n"
	       "Trace collapses, userfaultfd ioctls, SEEK_DATA/SEEK_HOLE and mincore until\n"
	       "Ctrl-C (or -d), then print one time-ordered story per inode. Lines marked\n"
	       "'|' happened inside a collapse window of that inode.\n\n%s%s",
	       kht_opts_usage(), kht_opts_timeline_usage());
}

/*
 * Trace with every feature until Ctrl-C/-d and keep all events. -p filters
 * stories later, not events in BPF. Returns the exit status (0 = traced).
 */
static int collect(const char *cmd, const struct kht_opts *opts, struct run *r,
		   struct kht_session *s)
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
	if (ret)
		return ret;
	kht_session_banner(s, opts);
	ret = kht_session_run(s, opts);
	r->drops = kht_session_drops(s);
	return ret;
}

static void warn_losses(const char *cmd, const struct run *r)
{
	if (r->drops || r->lost)
		fprintf(stderr, "khugetrace %s: WARNING: %llu events dropped (ring buffer full), "
			"%llu unusable: the views miss them.\n", cmd, r->drops, r->lost);
}

int cmd_timeline(int argc, char **argv)
{
	char err[256], tmp[4096];
	struct kht_tl_filter filter;
	struct kht_session s;
	struct kht_opts opts;
	struct kht_fmt fmt;
	struct run r = {};
	FILE *pf = NULL;
	int ret;

	if (kht_parse_opts(argc, argv, &opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace timeline: %s (see --help).\n", err);
		return 2;
	}
	if (opts.help) {
		usage();
		return 0;
	}
	if (opts.perfetto && geteuid() == 0 && !(pf = open_perfetto(opts.perfetto, tmp, sizeof(tmp))))
		return 1;
	ret = collect("timeline", &opts, &r, &s);
	if (ret && !s.nfeat) {
		if (pf) {
			fclose(pf);
			unlink(tmp);
		}
		return ret;
	}
	fmt = (struct kht_fmt){ .results = &s.results, .base_ns = s.base_ns };
	filter = (struct kht_tl_filter){ .ino = opts.inode, .pid = opts.pid,
					 .since_s = opts.since_s, .until_s = opts.until_s };
	if (kht_tl_build(&r.tl, &filter, s.base_ns)) {
		fprintf(stderr, "khugetrace timeline: out of memory building the timeline.\n");
		ret = 1;
	} else if (opts.inode && !r.tl.ngroups) {
		fprintf(stderr, "khugetrace timeline: no events for inode %llu: nothing touched it "
			"while tracing.\n", opts.inode);
		ret = 1;
	} else if (opts.json) {
		kht_tl_print_json(stdout, &r.tl, &fmt);
	} else {
		kht_tl_print_text(stdout, &r.tl, &fmt);
	}
	fflush(stdout);
	if (pf && !ret) {
		ret = finish_perfetto(pf, tmp, opts.perfetto, &r.tl, &fmt);
	} else if (pf) {
		fclose(pf);
		unlink(tmp);	/* an error exit leaves nothing half-written */
	}
	if (!ret)
		fprintf(stderr, "khugetrace timeline: %llu events, %zu stories.\n", r.events,
			r.tl.ngroups);
	warn_losses("timeline", &r);
	kht_tl_free(&r.tl);
	kht_session_close(&s);
	return ret;
}

/*
 * khugetrace races: the same capture, judged by the rules of lib/races.c.
 * Exit like grep: 0 something found (a bug or a slow spin), 1 nothing, 2 error.
 */
int cmd_races(int argc, char **argv)
{
	struct kht_race_opts ro = { 0 };
	struct kht_tl_filter filter;
	struct kht_races races;
	struct kht_session s;
	struct kht_opts opts;
	struct kht_fmt fmt;
	struct run r = {};
	char err[256];
	int ret;

	if (kht_parse_opts(argc, argv, &opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace races: %s (see --help).\n", err);
		return 2;
	}
	if (opts.help) {
		printf("Usage: khugetrace races [OPTIONS]\n"
		       "Trace until Ctrl-C (or -d), then report the races of docs/races.md:\n"
		       "uffd-missing-fill, seek-transient-hole, publish-before-uptodate,\n"
		       "collapse-on-uffd-armed, retry-spin. Exit 0 if a bug or a slow spin was\n"
		       "found, 1 if none, 2 on error.\n\n%s%s", kht_opts_usage(),
		       kht_opts_timeline_usage());
		return 0;
	}
	ret = collect("races", &opts, &r, &s);
	if (ret)
		return 2;
	ro.spin_ns = opts.spin_us * 1000;
	for (int i = 0; i < s.nfeat; i++)
		ro.mods_traced |= s.feat[i].f == &kht_feat_modify;
	fmt = (struct kht_fmt){ .results = &s.results, .base_ns = s.base_ns };
	filter = (struct kht_tl_filter){ .ino = opts.inode, .pid = opts.pid,
					 .since_s = opts.since_s, .until_s = opts.until_s };
	if (kht_tl_build(&r.tl, &filter, s.base_ns) ||
	    kht_races_find(&races, &r.tl, &s.results, &ro)) {
		fprintf(stderr, "khugetrace races: out of memory.\n");
		ret = 2;
	} else {
		if (opts.json)
			kht_races_print_json(stdout, &races, &fmt);
		else
			kht_races_print_text(stdout, &races, &fmt);
		ret = kht_races_count(&races, KHT_SEV_BUG) || kht_races_count(&races, KHT_SEV_SLOW) ?
		      0 : 1;
		kht_races_free(&races);
	}
	warn_losses("races", &r);
	kht_tl_free(&r.tl);
	kht_session_close(&s);
	return ret;
}
