// SPDX-License-Identifier: GPL-2.0
/* The capture `timeline` and `races` share: see capture.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "capture.h"
#include "feature.h"

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

int kht_capture(const char *cmd, const struct kht_opts *opts, struct run *r,
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
	kht_session_note_not_recorded(s);
	return ret;
}

void kht_capture_warn_losses(const char *cmd, const struct run *r)
{
	if (r->drops || r->lost)
		fprintf(stderr, "khugetrace %s: WARNING: %llu events dropped (ring buffer full), "
			"%llu unusable: the views miss them.\n", cmd, r->drops, r->lost);
}
