// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capability.h"
#include "session.h"
#include "trace_helpers.h"
#include "lib/event_fmt.h"

static int on_window(void *ctx, const struct kht_lock_window *w)
{
	struct kht_session *s = ctx;

	return s->fn(s->ctx, &w->hdr, w, sizeof(*w));
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct kht_session *s = ctx;
	const struct kht_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	/* lock windows come batched (include/khugetrace.h): one event each from here on */
	if (h->type == KHT_WIRE_LOCK_WINDOWS) {
		int r;

		if (s->window_batches)	/* as they came, checked as the expansion checks them */
			return kht_win_batch_valid(data, size) ? s->fn(s->ctx, h, data, size) : 0;
		r = kht_win_batch_each(data, size, on_window, s);
		return r == -EINVAL ? 0 : r;
	}
	return s->fn(s->ctx, h, data, size);
}

int kht_session_open(struct kht_session *s, const char *cmd,
		     const struct kht_feature *const *feats, int n,
		     const struct kht_opts *o, kht_event_fn fn, void *ctx)
{
	struct kht_env env;
	char err[2048];

	/*
	 * Before anything loads: a SIGINT or SIGTERM that comes while the
	 * programs load (seconds in a TCG guest) ends tracing as soon as it
	 * begins, summarised. Installed after the load, it was lost by a
	 * background job of a non-interactive shell (SIGINT ignored from its
	 * start) and killed the tracer without a summary otherwise.
	 */
	kht_install_signals(true);
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
		const char *why = feats[i]->off ? feats[i]->off(o) : NULL;

		if (why) {
			s->off[s->noff].f = feats[i];
			s->off[s->noff++].why = why;
			continue;
		}
		if (kht_feature_load(feats[i], o, l, err, sizeof(err))) {
			if (feats[i]->optional || o->best_effort) {
				/* say what is lost, trace the rest */
				fprintf(stderr, "khugetrace %s: %s; %s.\n", cmd, err,
					feats[i]->optional ? feats[i]->optional : "not traced");
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
	if (!s->nfeat) {
		fprintf(stderr, "khugetrace %s: nothing can be traced on this kernel.\n", cmd);
		kht_session_close(s);
		return 1;
	}
	kht_install_signals(false);	/* tracing: as before this change */
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
	for (int i = 0; i < s->noff; i++)
		fprintf(stderr, "khugetrace %s: %s not traced: %s\n", s->cmd, s->off[i].f->name,
			s->off[i].why);
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
		if (s->child && kht_child_exited(s->child))
			break;
	}
	/* Detach first so nothing new arrives, then take what is buffered. */
	for (int i = 0; i < s->nfeat; i++)
		kht_loaded_detach(&s->feat[i]);
	ring_buffer__consume(s->rb);
	return ret;
}

bool kht_session_left_out(const struct kht_session *s, const struct kht_feature *f)
{
	for (int i = 0; i < s->noff; i++)
		if (s->off[i].f == f)
			return true;
	return false;
}

unsigned long long kht_session_drops(const struct kht_session *s)
{
	unsigned long long sum = 0;

	for (int i = 0; i < s->nfeat; i++)
		sum += kht_percpu_sum(kht_loaded_drops_fd(&s->feat[i]));
	return sum;
}

void kht_session_note_not_recorded(const struct kht_session *s)
{
	unsigned long long seeks = 0, mincores = 0;

	for (int i = 0; i < s->nfeat; i++) {
		seeks += kht_loaded_not_recorded(&s->feat[i], KHT_NR_SEEK);
		mincores += kht_loaded_not_recorded(&s->feat[i], KHT_NR_MINCORE);
	}
	if (seeks || mincores)
		fprintf(stderr, "khugetrace %s: %llu SEEK_DATA/SEEK_HOLE and %llu mincore calls "
			"that overlapped no collapse of their inode were counted, not recorded "
			"(--all-seeks records them).\n", s->cmd, seeks, mincores);
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

/* ---- the command to trace: `khugetrace CMD -- PROG ARGS` ---------------- */

int kht_child_fork(struct kht_child *c, const char *cmd, char **argv)
{
	int go[2], ex[2];

	memset(c, 0, sizeof(*c));
	c->go_fd = c->err_fd = -1;
	if (pipe2(go, O_CLOEXEC) || pipe2(ex, O_CLOEXEC)) {
		fprintf(stderr, "khugetrace %s: pipe: %s.\n", cmd, strerror(errno));
		return 1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		fprintf(stderr, "khugetrace %s: cannot fork: %s.\n", cmd, strerror(errno));
		c->pid = 0;
		return 1;
	}
	if (!c->pid) {
		char b;
		int err;

		close(go[1]);
		close(ex[0]);
		/* EOF without the byte: the tracer gave up, the command must not run */
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		err = errno;
		if (write(ex[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ex[1]);
	c->go_fd = go[1];
	c->err_fd = ex[0];
	return 0;
}

int kht_child_start(struct kht_child *c, const char *cmd, const char *prog)
{
	int err = 0;
	ssize_t n;

	if (write(c->go_fd, "g", 1) != 1) {
		fprintf(stderr, "khugetrace %s: cannot start '%s': %s.\n", cmd, prog, strerror(errno));
		return 1;
	}
	close(c->go_fd);
	c->go_fd = -1;
	do
		n = read(c->err_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	c->err_fd = -1;
	if (n == sizeof(err)) {
		fprintf(stderr, "khugetrace %s: cannot run '%s': %s.\n", cmd, prog, strerror(err));
		waitpid(c->pid, &c->status, 0);
		c->pid = 0;	/* said; nothing for kht_child_end() to add */
		return 1;
	}
	return 0;
}

bool kht_child_exited(struct kht_child *c)
{
	if (!c->pid || c->reaped)
		return true;
	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->reaped = true;
	return c->reaped;
}

void kht_child_end(struct kht_child *c, const char *cmd, const char *prog)
{
	if (!c->pid)
		return;
	if (c->go_fd >= 0) {
		/* never released (loading failed): EOF makes it exit without running */
		close(c->go_fd);
		close(c->err_fd);
		c->go_fd = c->err_fd = -1;
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
		return;
	}
	if (!kht_child_exited(c)) {
		kill(c->pid, SIGTERM);
		c->killed = true;
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->reaped = true;
	}
	if (c->killed)
		fprintf(stderr, "khugetrace %s: tracing ended before '%s': it was sent SIGTERM.\n",
			cmd, prog);
	else if (WIFEXITED(c->status) && WEXITSTATUS(c->status))
		fprintf(stderr, "khugetrace %s: '%s' exited with status %d.\n", cmd, prog,
			WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		fprintf(stderr, "khugetrace %s: '%s' was killed by signal %d.\n", cmd, prog,
			WTERMSIG(c->status));
	c->pid = 0;
}

int kht_child_from_opts(struct kht_child *c, const char *cmd, struct kht_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->go_fd = c->err_fd = -1;
	if (!o->nargs)
		return 0;
	if (o->pid) {
		fprintf(stderr, "khugetrace %s: -p and a command to run do not go together: the "
			"command's pid is the filter (see --help).\n", cmd);
		return 2;
	}
	if (kht_child_fork(c, cmd, o->args))
		return 1;
	o->pid = c->pid;
	return 0;
}
