// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace collapse: one line per collapse_file() call.
 *
 * The attach mode is decided here at run time: the hooks are probed with
 * tiny programs, the first usable mode (fentry, kprobe, tp_btf, raw_tp,
 * syscalls) is loaded for real, and if that load or attach still fails the
 * next one is tried. The banner says which mode won and what it cannot see.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "collapse.skel.h"
#include "capability.h"
#include "commands.h"
#include "trace_helpers.h"
#include "lib/btf_enum.h"
#include "lib/event_fmt.h"
#include "lib/options.h"
#include "lib/procmaps.h"

struct run {
	struct kht_opts opts;
	struct kht_enum results;
	struct kht_fmt fmt;
	struct kht_summary summary;
	unsigned long long seen;
	int mode;
};

static void set_autoload(struct collapse_bpf *skel, int mode, int scan_method)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	switch (mode) {
	case KHT_MODE_FENTRY:
		bpf_program__set_autoload(skel->progs.collapse_fentry, true);
		bpf_program__set_autoload(skel->progs.collapse_fexit, true);
		break;
	case KHT_MODE_KPROBE:
		bpf_program__set_autoload(skel->progs.collapse_kprobe, true);
		bpf_program__set_autoload(skel->progs.collapse_kretprobe, true);
		break;
	case KHT_MODE_TP_BTF:
		bpf_program__set_autoload(skel->progs.collapse_tp_btf, true);
		break;
	case KHT_MODE_RAW_TP:
		bpf_program__set_autoload(skel->progs.collapse_raw_tp, true);
		break;
	case KHT_MODE_SYSCALLS:
		bpf_program__set_autoload(skel->progs.madvise_enter, true);
		bpf_program__set_autoload(skel->progs.madvise_exit, true);
		break;
	}
	if (scan_method == KHT_M_TP_BTF)
		bpf_program__set_autoload(skel->progs.scan_file_tp_btf, true);
	else if (scan_method == KHT_M_RAW_TP)
		bpf_program__set_autoload(skel->progs.scan_file_raw_tp, true);
}

/* Load and attach one mode for real; NULL and `why` filled on failure. */
static struct collapse_bpf *try_mode(const struct run *r, int mode, int scan_method,
				     char *why, int len)
{
	struct collapse_bpf *skel = collapse_bpf__open();
	int err;

	if (!skel) {
		snprintf(why, len, "cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	skel->rodata->target_tgid = r->opts.pid;
	skel->rodata->target_ino = r->opts.inode;
	skel->rodata->holes_from_scan = scan_method >= 0;
	set_autoload(skel, mode, scan_method);
	err = collapse_bpf__load(skel);
	if (err) {
		snprintf(why, len, "%s: loading failed: %s", kht_mode_names[mode], strerror(-err));
		goto fail;
	}
	err = collapse_bpf__attach(skel);
	if (err) {
		snprintf(why, len, "%s: attaching failed: %s", kht_mode_names[mode], strerror(-err));
		goto fail;
	}
	return skel;
fail:
	collapse_bpf__destroy(skel);
	return NULL;
}

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

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	struct kht_collapse ev;
	char line[1024];

	if (size < sizeof(struct kht_hdr) || (r->opts.count && r->seen >= r->opts.count))
		return 0;
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	if (ev.hdr.type != KHT_EV_COLLAPSE)
		return 0;
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

static void usage(FILE *f)
{
	fprintf(f, "Usage: khugetrace collapse [OPTIONS]\n"
		"Trace collapse_file(): khugepaged and MADV_COLLAPSE collapsing shmem/file\n"
		"page cache into huge pages, one line per call.\n\n%s", kht_opts_usage());
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
	static const int order[] = { KHT_MODE_FENTRY, KHT_MODE_KPROBE, KHT_MODE_TP_BTF,
				     KHT_MODE_RAW_TP, KHT_MODE_SYSCALLS };
	struct collapse_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	char err[256], why[1024] = "", one[256];
	struct kht_env env;
	struct run r = {};
	int scan_method, ret = 1;

	if (kht_parse_opts(argc, argv, &r.opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace collapse: %s (see --help).\n", err);
		return 2;
	}
	if (r.opts.help) {
		usage(stdout);
		return 0;
	}
	kht_libbpf_verbose(r.opts.verbose);
	kht_env_probe(&env);
	if (!kht_check_env("collapse", &env))
		return 1;
	if (r.opts.pid && kill(r.opts.pid, 0) && errno == ESRCH) {
		fprintf(stderr, "khugetrace collapse: no process with PID %u.\n", r.opts.pid);
		return 1;
	}
	if (kht_enum_from_vmlinux(&r.results, "scan_result"))
		fprintf(stderr, "khugetrace collapse: enum scan_result is not in this kernel's BTF: "
			"results print as numbers.\n");
	r.fmt.results = &r.results;

	kht_probe_collapse_hooks(&env);
	scan_method = kht_scan_file_method();
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]) && !skel; i++) {
		int mode = order[i];

		if (r.opts.attach && mode != r.opts.attach)
			continue;
		if (!kht_collapse_mode_usable(mode, one, sizeof(one)) ||
		    !(skel = try_mode(&r, mode, scan_method, one, sizeof(one)))) {
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
				 why[0] ? "; " : "", one);
			continue;
		}
		r.mode = mode;
	}
	if (!skel) {
		if (r.opts.attach)
			fprintf(stderr, "khugetrace collapse: attach mode '%s' is not available on this "
				"kernel (%s).\n", kht_mode_names[r.opts.attach], why);
		else
			fprintf(stderr, "khugetrace collapse: no way to observe collapse_file on this "
				"kernel (%s).\n", why);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &r, NULL);
	if (!rb) {
		fprintf(stderr, "khugetrace collapse: cannot create the ring buffer: %s.\n",
			strerror(errno));
		goto out;
	}
	kht_install_signals();
	r.fmt.base_ns = kht_now_ns();
	fprintf(stderr, "khugetrace collapse: attach mode %s (%s) — %s; holes: %s%s.\n",
		kht_mode_names[r.mode], r.mode <= KHT_MODE_KPROBE ? "full" : "degraded",
		kht_collapse_mode_limits(r.mode),
		scan_method >= 0 ? "scan_file via " : "not visible",
		scan_method >= 0 ? kht_method_name(scan_method) : "");
	if (why[0] && r.opts.verbose)
		fprintf(stderr, "khugetrace collapse: modes skipped: %s.\n", why);
	fprintf(stderr, "Tracing collapse_file... Hit Ctrl-C to end.\n");
	if (!r.opts.json)
		printf("%s\n", kht_collapse_header());
	fflush(stdout);

	unsigned long long deadline = r.opts.duration_s > 0 ?
		r.fmt.base_ns + (unsigned long long)(r.opts.duration_s * 1e9) : 0;

	while (!kht_exiting) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "khugetrace collapse: reading the ring buffer failed: %s.\n",
				strerror(-n));
			goto out;
		}
		if (deadline && kht_now_ns() >= deadline)
			break;
	}
	/* Detach first so nothing new arrives, then drain what is buffered. */
	collapse_bpf__detach(skel);
	ring_buffer__consume(rb);
	print_summary(&r, kht_percpu_sum(bpf_map__fd(skel->maps.drops)));
	ret = 0;
out:
	ring_buffer__free(rb);
	collapse_bpf__destroy(skel);
	return ret;
}
