// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capability.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/event_fmt.h"

static int on_sample(void *ctx, void *data, size_t size)
{
	struct kht_session *s = ctx;
	const struct kht_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	return s->fn(s->ctx, h, data, size);
}

int kht_session_open(struct kht_session *s, const char *cmd,
		     const struct kht_feature *const *feats, int n,
		     const struct kht_opts *o, kht_event_fn fn, void *ctx)
{
	struct kht_env env;
	char err[2048];

	memset(s, 0, sizeof(*s));
	s->cmd = cmd;
	s->fn = fn;
	s->ctx = ctx;
	kht_libbpf_verbose(o->verbose);
	kht_env_probe(&env);
	if (!kht_check_env(cmd, &env))
		return 1;
	kht_capability_init(&env);
	if (o->pid && kill(o->pid, 0) && errno == ESRCH) {
		fprintf(stderr, "khugetrace %s: no process with PID %u.\n", cmd, o->pid);
		return 1;
	}
	if (o->tid && kill(o->tid, 0) && errno == ESRCH) {
		fprintf(stderr, "khugetrace %s: no thread with TID %u.\n", cmd, o->tid);
		return 1;
	}
	if (kht_enum_from_vmlinux(&s->results, "scan_result"))
		fprintf(stderr, "khugetrace %s: enum scan_result is not in this kernel's BTF: "
			"results print as numbers.\n", cmd);
	for (int i = 0; i < n && i < KHT_SESSION_MAX; i++) {
		struct kht_loaded *l = &s->feat[s->nfeat];

		if (kht_feature_load(feats[i], o, l, err, sizeof(err))) {
			if (feats[i]->optional) {
				/* say what is lost, trace the rest */
				fprintf(stderr, "khugetrace %s: %s; %s.\n", cmd, err,
					feats[i]->optional);
				continue;
			}
			fprintf(stderr, "khugetrace %s: %s.\n", cmd, err);
			kht_session_close(s);
			return 1;
		}
		s->nfeat++;
		int fd = kht_loaded_events_fd(l);
		int rc = s->rb ? ring_buffer__add(s->rb, fd, on_sample, s) : 0;

		if (!s->rb)
			s->rb = ring_buffer__new(fd, on_sample, s, NULL);
		if (!s->rb || rc) {
			fprintf(stderr, "khugetrace %s: cannot set up the ring buffer: %s.\n", cmd,
				strerror(errno));
			kht_session_close(s);
			return 1;
		}
	}
	kht_install_signals();
	s->base_ns = kht_now_ns();
	return 0;
}

void kht_session_banner(const struct kht_session *s, const struct kht_opts *o)
{
	for (int i = 0; i < s->nfeat; i++) {
		const struct kht_loaded *l = &s->feat[i];
		const char *lim = l->f->limits(l->mode);

		fprintf(stderr, "khugetrace %s: %s via %s (%s)%s%s\n", s->cmd, l->f->name,
			kht_mode_names[l->mode], kht_mode_is_full(l->mode) ? "full" : "degraded",
			lim[0] ? ": " : "", lim);
		if (o->verbose && l->skipped[0])
			fprintf(stderr, "khugetrace %s:   better modes not usable: %s\n", s->cmd,
				l->skipped);
	}
	fprintf(stderr, "Tracing... Hit Ctrl-C to end.\n");
}

int kht_session_run(struct kht_session *s, const struct kht_opts *o)
{
	unsigned long long deadline = kht_deadline_ns(s->base_ns, o->duration_s);
	int ret = 0;

	while (!kht_exiting) {
		int n = ring_buffer__poll(s->rb, 100);

		/* the BPF side wakes us only when a lot is waiting: drain on every tick */
		if (n >= 0)
			n = ring_buffer__consume(s->rb);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "khugetrace %s: reading the ring buffer failed: %s.\n",
				s->cmd, strerror(-n));
			ret = 1;
			break;
		}
		if (s->tick)
			s->tick(s->ctx);
		if (deadline && kht_now_ns() >= deadline)
			break;
	}
	/* Detach first so nothing new arrives, then take what is buffered. */
	for (int i = 0; i < s->nfeat; i++)
		kht_loaded_detach(&s->feat[i]);
	ring_buffer__consume(s->rb);
	return ret;
}

unsigned long long kht_session_drops(const struct kht_session *s)
{
	unsigned long long sum = 0;

	for (int i = 0; i < s->nfeat; i++)
		sum += kht_percpu_sum(kht_loaded_drops_fd(&s->feat[i]));
	return sum;
}

int kht_session_drops_per_cpu(const struct kht_session *s, unsigned long long *out, int n)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;

	if (ncpu <= 0)
		return 0;
	if (ncpu > n)
		ncpu = n;
	memset(out, 0, ncpu * sizeof(*out));

	unsigned long long vals[libbpf_num_possible_cpus()];

	for (int i = 0; i < s->nfeat; i++) {
		if (bpf_map_lookup_elem(kht_loaded_drops_fd(&s->feat[i]), &zero, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[c] += vals[c];
	}
	return ncpu;
}

void kht_session_close(struct kht_session *s)
{
	ring_buffer__free(s->rb);
	s->rb = NULL;
	for (int i = 0; i < s->nfeat; i++)
		kht_loaded_destroy(&s->feat[i]);
	s->nfeat = 0;
}
