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
#include "lib/collapse_view.h"
#include "lib/procmaps.h"

/*
 * The BPF side resolves the start index from the caller's VMA; if that
 * failed (mmap_lock busy) and only the user address is known, look it up
 * while the caller lives.
 */
static void resolve_start(struct kht_collapse *ev)
{
	unsigned long long index, ino;
	char path[64];

	if ((ev->flags & KHT_F_HAVE_START) || !(ev->flags & KHT_F_HAVE_ADDR) ||
	    ev->attach != KHT_MODE_SYSCALLS)
		return;
	snprintf(path, sizeof(path), "/proc/%u/maps", ev->hdr.pid);
	if (kht_maps_index(path, ev->addr, &index, &ino) && ino == ev->ino) {
		ev->start_index = index;
		ev->flags |= KHT_F_HAVE_START;
	}
}

static int on_event(void *ctx, const struct kht_hdr *h, const void *data, size_t size)
{
	struct kht_collapse_view *v = ctx;
	struct kht_collapse ev;

	if (h->type == KHT_EV_LOCK_WINDOW && size >= sizeof(struct kht_lock_window)) {
		kht_collapse_view_window(v, data);
		return 0;
	}
	if (h->type != KHT_EV_COLLAPSE || size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	resolve_start(&ev);
	if (!kht_collapse_view_add(v, &ev))
		kht_exiting = -1;	/* -c reached: not a signal; stop polling, still summarise */
	return 0;
}

#define COLLAPSE_OPTS (KHT_O(PID) | KHT_O(INODE) | KHT_O(MIN_US) | KHT_O(ATTACH) | \
		       KHT_O(DURATION) | KHT_O(COUNT) | KHT_O(JSON) | KHT_O(VERBOSE) | \
		       KHT_O(HELP) | KHT_O(NO_INSIDE) | KHT_O(LOCK_WINDOWS) | KHT_O(SPINS) | \
		       KHT_O_TASK_FILTERS)

static void usage(void)
{
	printf("Usage: khugetrace collapse [OPTIONS] [--] [COMMAND [ARGS]]\n"
	       "Trace collapse_file(): khugepaged and MADV_COLLAPSE collapsing shmem/file\n"
	       "page cache into huge pages, one line per call. With COMMAND: run it once\n"
	       "the probes are attached, trace its process (as -p) and stop when it exits.\n"
	       "\n%s", kht_opts_usage());
}

int cmd_collapse(int argc, char **argv)
{
	static const struct kht_feature *const feats[] = { &kht_feat_collapse };
	struct kht_collapse_view v = { .out = stdout };
	struct kht_session s;
	struct kht_opts opts;
	struct kht_child child;
	unsigned long long drops;
	int ret;

	ret = kht_cmd_opts(argc, argv, "collapse", COLLAPSE_OPTS, "it belongs to another command",
			   &opts, usage);
	if (ret >= 0)
		return ret;
	v.opts = &opts;
	ret = kht_child_from_opts(&child, "collapse", &opts);
	if (ret)
		return ret;
	ret = kht_session_open(&s, "collapse", feats, 1, &opts, on_event, &v);
	if (ret) {
		kht_child_end(&child, "collapse", NULL);
		return ret;
	}
	s.child = child.pid ? &child : NULL;
	v.fmt.results = &s.results;
	v.fmt.base_ns = s.base_ns;
	kht_session_banner(&s, &opts);
	kht_collapse_view_header(&v);
	if (child.pid && kht_child_start(&child, "collapse", opts.args[0])) {
		kht_session_close(&s);
		return 1;
	}
	ret = kht_session_run(&s, &opts);
	kht_child_end(&child, "collapse", opts.args[0]);
	drops = kht_session_drops(&s);
	kht_collapse_view_summary(&v, drops);
	if (drops)
		fprintf(stderr, "khugetrace collapse: WARNING: %llu events dropped: the ring buffer "
			"was full (the summary above misses them).\n", drops);
	kht_session_close(&s);
	return ret;
}
