/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracing session: the features a command needs, loaded in their best
 * modes, one ring-buffer poller over all of them, and the common exit path
 * (duration, SIGINT/SIGTERM, drain, drops). Commands supply a callback.
 */
#ifndef KHT_SESSION_H
#define KHT_SESSION_H

#include <stddef.h>
#include "feature.h"
#include "khugetrace.h"
#include "lib/btf_enum.h"

#define KHT_SESSION_MAX 6

/*
 * `khugetrace CMD [OPTIONS] [--] PROG ARGS` (as perf record -- PROG): PROG is
 * forked before anything is loaded, so its pid can be the -p filter, and held
 * on a pipe until the probes are attached; the session stops when it exits.
 */
struct kht_child {
	int pid;		/* 0: no command */
	int go_fd;		/* write end: one byte releases the child */
	int err_fd;		/* read end: exec's errno, or EOF once it ran (CLOEXEC) */
	int status;		/* wait status, once reaped */
	bool reaped, killed;
};

/* Fork argv[0..] held; 0, or 1 with a sentence on stderr. */
int kht_child_fork(struct kht_child *c, const char *cmd, char **argv);
/* Release it; 0 once exec succeeded, 1 (sentence on stderr) if it could not run. */
int kht_child_start(struct kht_child *c, const char *cmd, const char *prog);
/* Reaped already, or now without blocking. */
bool kht_child_exited(struct kht_child *c);
/* Still running (tracing ended first: -d, -c, Ctrl-C): SIGTERM it; reap; say how it ended. */
void kht_child_end(struct kht_child *c, const char *cmd, const char *prog);
/*
 * The command-line half shared by the tracers: operands are a command to
 * run; with one, -p is refused and set to its pid. 0, or the exit status.
 */
int kht_child_from_opts(struct kht_child *c, const char *cmd, struct kht_opts *o);

typedef int (*kht_event_fn)(void *ctx, const struct kht_hdr *hdr, const void *data, size_t size);

struct kht_session {
	const char *cmd;
	struct kht_loaded feat[KHT_SESSION_MAX];
	int nfeat;
	/* features this session left out (kht_feature.off) and why */
	struct { const struct kht_feature *f; const char *why; } off[KHT_SESSION_MAX];
	int noff;
	struct ring_buffer *rb;
	kht_event_fn fn;
	void *ctx;
	void (*tick)(void *ctx);	/* optional: called after every poll (~10/s) */
	unsigned long long base_ns;	/* CLOCK_MONOTONIC when tracing started */
	struct kht_enum results;	/* enum scan_result of this kernel */
	struct kht_child *child;	/* optional: stop when this command exits */
	/*
	 * fn gets lock windows as the BPF side batches them (type
	 * KHT_WIRE_LOCK_WINDOWS, struct kht_win_batch, n checked), not one
	 * event each: record stores the batches as they come.
	 */
	bool window_batches;
};

/*
 * Checks the environment, loads every feature (all required), sets up the
 * ring buffers. On failure prints one sentence and returns the exit status
 * to use (1); 0 on success.
 */
int kht_session_open(struct kht_session *s, const char *cmd,
		     const struct kht_feature *const *feats, int n,
		     const struct kht_opts *o, kht_event_fn fn, void *ctx);
/*
 * "khugetrace CMD: collapse via tp_btf (degraded): ..." per feature, "CMD:
 * seek/mincore not traced: why" per feature left out, then "Tracing...".
 */
void kht_session_banner(const struct kht_session *s, const struct kht_opts *o);
/*
 * Poll until SIGINT/SIGTERM, -d elapsed, the callback sets kht_exiting or the
 * child command exited; detach; drain.
 */
int kht_session_run(struct kht_session *s, const struct kht_opts *o);
unsigned long long kht_session_drops(const struct kht_session *s);
/* The production profile's count of seeks/mincore calls not recorded, on stderr (if any). */
void kht_session_note_not_recorded(const struct kht_session *s);
/* Drops per CPU summed over features into out[0..n); returns the CPU count. */
int kht_session_drops_per_cpu(const struct kht_session *s, unsigned long long *out, int n);
void kht_session_close(struct kht_session *s);
/* Did the session leave f out (kht_feature.off)? */
bool kht_session_left_out(const struct kht_session *s, const struct kht_feature *f);

#endif
