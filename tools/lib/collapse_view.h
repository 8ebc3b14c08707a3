/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `collapse` view: filters, one line per collapse, the per-result
 * summary. Shared by the live command and `report`, so a recording prints
 * exactly what the live tracer printed.
 */
#ifndef KHT_COLLAPSE_VIEW_H
#define KHT_COLLAPSE_VIEW_H

#include <stdio.h>
#include "event_fmt.h"
#include "options.h"

#define KHT_HIST_SLOTS 40

struct kht_collapse_view {
	const struct kht_opts *opts;
	struct kht_fmt fmt;
	struct kht_summary summary;
	unsigned long long seen;
	FILE *out;
	bool batch;	/* offline (report): no flush after every line */
	/* i_pages lock hold times of the collapsing tasks, log2(us) buckets */
	unsigned long long hold_hist[KHT_HIST_SLOTS];
	unsigned long long windows;
};

/* Print ev if it passes the filters; false once -c COUNT lines were printed. */
bool kht_collapse_view_add(struct kht_collapse_view *v, const struct kht_collapse *ev);
void kht_collapse_view_header(struct kht_collapse_view *v);
void kht_collapse_view_summary(struct kht_collapse_view *v, unsigned long long drops);
/* A lock window: counted into the hold-time histogram printed with the summary. */
void kht_collapse_view_window(struct kht_collapse_view *v, const struct kht_lock_window *w);
/* print_log2_hist of libbpf-tools: "  lo -> hi : count |****|" lines. */
void kht_print_log2_hist(FILE *out, const unsigned long long *vals, int n, const char *unit);

#endif
