// SPDX-License-Identifier: GPL-2.0
#include "collapse_view.h"

bool kht_collapse_view_add(struct kht_collapse_view *v, const struct kht_collapse *ev)
{
	const struct kht_opts *o = v->opts;
	char line[1024];

	if (o->count && v->seen >= o->count)
		return false;
	if (o->min_us && (ev->flags & KHT_F_HAVE_DURATION) && ev->duration_ns < o->min_us * 1000)
		return true;
	/* offline, the filters BPF applied live are applied here */
	if ((o->pid && ev->hdr.pid != o->pid) || (o->inode && ev->ino != o->inode))
		return true;
	kht_summary_add(&v->summary, ev);
	if (o->json)
		kht_collapse_json(line, sizeof(line), ev, &v->fmt);
	else
		kht_collapse_text(line, sizeof(line), ev, &v->fmt);
	fprintf(v->out, "%s\n", line);
	fflush(v->out);
	return !o->count || ++v->seen < o->count;
}

void kht_collapse_view_header(struct kht_collapse_view *v)
{
	if (!v->opts->json)
		fprintf(v->out, "%s\n", kht_collapse_header());
	fflush(v->out);
}

void kht_collapse_view_summary(struct kht_collapse_view *v, unsigned long long drops)
{
	char buf[4096];

	if (v->opts->json) {
		kht_summary_json(buf, sizeof(buf), &v->summary, &v->fmt, drops);
		fprintf(v->out, "%s\n", buf);
	} else {
		kht_summary_text(buf, sizeof(buf), &v->summary, &v->fmt);
		fprintf(v->out, "\n%s\n", buf);
	}
	fflush(v->out);
}
