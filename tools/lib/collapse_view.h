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

struct kht_collapse_view {
	const struct kht_opts *opts;
	struct kht_fmt fmt;
	struct kht_summary summary;
	unsigned long long seen;
	FILE *out;
};

/* Print ev if it passes the filters; false once -c COUNT lines were printed. */
bool kht_collapse_view_add(struct kht_collapse_view *v, const struct kht_collapse *ev);
void kht_collapse_view_header(struct kht_collapse_view *v);
void kht_collapse_view_summary(struct kht_collapse_view *v, unsigned long long drops);

#endif
