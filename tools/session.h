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

typedef int (*kht_event_fn)(void *ctx, const struct kht_hdr *hdr, const void *data, size_t size);

struct kht_session {
	const char *cmd;
	struct kht_loaded feat[KHT_SESSION_MAX];
	int nfeat;
	struct ring_buffer *rb;
	kht_event_fn fn;
	void *ctx;
	void (*tick)(void *ctx);	/* optional: called after every poll (~10/s) */
	unsigned long long base_ns;	/* CLOCK_MONOTONIC when tracing started */
	struct kht_enum results;	/* enum scan_result of this kernel */
};

/*
 * Checks the environment, loads every feature (all required), sets up the
 * ring buffers. On failure prints one sentence and returns the exit status
 * to use (1); 0 on success.
 */
int kht_session_open(struct kht_session *s, const char *cmd,
		     const struct kht_feature *const *feats, int n,
		     const struct kht_opts *o, kht_event_fn fn, void *ctx);
/* "khugetrace CMD: collapse: tp_btf (degraded: ...)" per feature, then "Tracing...". */
void kht_session_banner(const struct kht_session *s, const struct kht_opts *o);
/* Poll until SIGINT/SIGTERM, -d elapsed or the callback sets kht_exiting; detach; drain. */
int kht_session_run(struct kht_session *s, const struct kht_opts *o);
unsigned long long kht_session_drops(const struct kht_session *s);
/* Drops per CPU summed over features into out[0..n); returns the CPU count. */
int kht_session_drops_per_cpu(const struct kht_session *s, unsigned long long *out, int n);
void kht_session_close(struct kht_session *s);

#endif
