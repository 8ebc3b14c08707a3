// SPDX-License-Identifier: GPL-2.0
#include "collapse_view.h"
#include "json.h"

/* --since/--until (report): on the TIME column, seconds from the start of tracing */
static bool in_window(const struct kht_collapse_view *v, const struct kht_hdr *h)
{
	const struct kht_opts *o = v->opts;
	double t = kht_rel_s(h->ts_ns, v->fmt.base_ns);

	return (!o->since_set || t >= o->since_s) && (!o->until_set || t <= o->until_s);
}

bool kht_collapse_view_add(struct kht_collapse_view *v, const struct kht_collapse *ev)
{
	const struct kht_opts *o = v->opts;
	char line[2048];

	if (o->count && v->seen >= o->count)
		return false;
	if (o->min_us && (ev->flags & KHT_F_HAVE_DURATION) && ev->duration_ns < o->min_us * 1000)
		return true;
	/* offline, the filters BPF applied live are applied here */
	if ((o->pid && ev->hdr.pid != o->pid) || (o->inode && ev->ino != o->inode) ||
	    !in_window(v, &ev->hdr))
		return true;
	kht_summary_add(&v->summary, ev);
	if (o->json)
		kht_collapse_json(line, sizeof(line), ev, &v->fmt);
	else
		kht_collapse_text(line, sizeof(line), ev, &v->fmt);
	fprintf(v->out, "%s\n", line);
	if (!v->batch)
		fflush(v->out);
	return !o->count || ++v->seen < o->count;
}

void kht_collapse_view_header(struct kht_collapse_view *v)
{
	if (!v->opts->json)
		fprintf(v->out, "%s\n", kht_collapse_header());
	fflush(v->out);
}

void kht_collapse_view_window(struct kht_collapse_view *v, const struct kht_lock_window *w)
{
	unsigned long long us = w->hold_ns / 1000;
	int slot = 0;

	if ((v->opts->pid && w->hdr.pid != v->opts->pid) ||
	    (v->opts->inode && w->file.ino != v->opts->inode) || !in_window(v, &w->hdr))
		return;
	while (us >>= 1)
		slot++;
	v->hold_hist[slot < KHT_HIST_SLOTS ? slot : KHT_HIST_SLOTS - 1]++;
	v->windows++;
}

void kht_print_log2_hist(FILE *out, const unsigned long long *vals, int n, const char *unit)
{
	unsigned long long max = 0;
	int last = -1;

	for (int i = 0; i < n; i++) {
		if (vals[i] > max)
			max = vals[i];
		if (vals[i])
			last = i;
	}
	fprintf(out, "%*s%-*s : count    distribution\n", 10, "", 17, unit);
	for (int i = 0; i <= last; i++) {
		unsigned long long lo = i ? 1ULL << i : 0, hi = (1ULL << (i + 1)) - 1;
		int stars = max ? (int)(vals[i] * 40 / max) : 0;

		fprintf(out, "%10llu -> %-10llu : %-8llu |%-40.*s|\n", lo, hi, vals[i], stars,
			"****************************************");
	}
}

void kht_collapse_view_summary(struct kht_collapse_view *v, unsigned long long drops)
{
	char buf[4096];
	struct kht_buf b;

	if (v->opts->json) {
		kht_summary_json(buf, sizeof(buf), &v->summary, &v->fmt, drops);
		fprintf(v->out, "%s\n", buf);
		if (v->windows) {
			kht_buf_init(&b, buf, sizeof(buf));
			kht_json_begin(&b);
			kht_json_str(&b, "event", "lock-hold-histogram");
			kht_json_str(&b, "unit", "log2 usecs");
			kht_json_u64(&b, "windows", v->windows);
			kht_json_key(&b, "buckets");
			kht_buf_printf(&b, "[");
			for (int i = 0; i < KHT_HIST_SLOTS; i++)
				kht_buf_printf(&b, "%s%llu", i ? "," : "", v->hold_hist[i]);
			kht_buf_printf(&b, "]");
			kht_json_end(&b);
			fprintf(v->out, "%s\n", buf);
		}
	} else {
		kht_summary_text(buf, sizeof(buf), &v->summary, &v->fmt);
		fprintf(v->out, "\n%s\n", buf);
		if (v->windows) {
			fprintf(v->out, "\ni_pages lock hold times of collapsing tasks (%llu windows):\n",
				v->windows);
			kht_print_log2_hist(v->out, v->hold_hist, KHT_HIST_SLOTS, "usecs");
		}
	}
	fflush(v->out);
}
