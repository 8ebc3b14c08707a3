// SPDX-License-Identifier: GPL-2.0
/* Rendering of built timelines: terminal text, JSON lines, Chrome trace events. */
#include <stdlib.h>
#include <string.h>
#include "timeline.h"
#include "json.h"
#include "events/event_kind.h"

/* A row of the text rendering: a collapse with a visible entry gives two. */
struct row {
	unsigned long long ts;
	const struct kht_tl_event *e;
	enum kht_row part;	/* one row, or a window's begin or end */
	bool retry;	/* the second attempt of one MADV_COLLAPSE (kht_tl_collapse_retry) */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->e->seq != y->e->seq)
		return x->e->seq < y->e->seq ? -1 : 1;
	return x->part - y->part;
}

static void row_desc(char *buf, size_t len, const struct row *r, const struct kht_fmt *f)
{
	if (kht_event_desc(buf, len, &r->e->ev.hdr, r->part, f) < 0)
		snprintf(buf, len, "?");
}

/* s right-aligned (width > 0) or left-aligned (width < 0) in |width| columns, as printf pads */
static void put_padded(struct kht_buf *b, const char *s, size_t n, int width)
{
	static const char spaces[] = "                ";	/* 16 */
	size_t w = width < 0 ? -width : width, pad = n < w ? w - n : 0;

	if (width < 0)
		kht_buf_put(b, s, n);
	while (pad) {
		size_t k = pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1;

		kht_buf_put(b, spaces, k);
		pad -= k;
	}
	if (width > 0)
		kht_buf_put(b, s, n);
}

/*
 * One row: "  %+11.6f %c %7u %-16s %s%s\n" built without printf, which was
 * half of report --timeline's time (the same bytes: kht_buf_rel_s and
 * kht_buf_u64 print what printf does, unit-tested).
 */
static void row_line(char *line, size_t len, unsigned long long ts, unsigned long long base,
		     bool mark, unsigned tid, const char *comm, const char *desc, const char *tail)
{
	char num[48];
	struct kht_buf b, nb;

	kht_buf_init(&b, line, len);
	kht_buf_put(&b, "  ", 2);
	kht_buf_init(&nb, num, sizeof(num));
	kht_buf_rel_s(&nb, ts, base, 6, true);
	put_padded(&b, num, nb.len, 11);
	kht_buf_put(&b, mark ? " | " : "   ", 3);
	kht_buf_init(&nb, num, sizeof(num));
	kht_buf_u64(&nb, tid);
	put_padded(&b, num, nb.len, 7);
	kht_buf_put(&b, " ", 1);
	put_padded(&b, comm, strlen(comm), -16);
	kht_buf_put(&b, " ", 1);
	kht_buf_str(&b, desc);
	kht_buf_str(&b, tail);
	kht_buf_put(&b, "\n", 1);
	if (b.overflow)	/* a row longer than line: printf it */
		snprintf(line, len, "  %+11.6f %c %7u %-16s %s%s\n", kht_rel_s(ts, base),
			 mark ? '|' : ' ', tid, comm, desc, tail);
}

static bool is_window(const struct kht_tl_event *e)
{
	return kht_event_kind(e->ev.hdr.type)->window;
}

/*
 * Marks rows that fall inside a visible collapse window of their story (the
 * collapse's own rows are not marked). Rows are time-sorted, so one sweep over
 * the windows sorted by begin suffices: a row at ts is inside a window iff
 * the latest end among windows begun by ts reaches ts.
 */
static void mark_rows(const struct row *rows, size_t nr, bool *marks)
{
	unsigned long long max_end = 0;
	size_t w = 0;
	/* begin rows are the windows, already in time order among the rows */
	for (size_t i = 0; i < nr; i++) {
		for (; w < nr && rows[w].ts <= rows[i].ts; w++)
			if (rows[w].part == KHT_ROW_BEGIN && rows[w].e->end_ns > max_end)
				max_end = rows[w].e->end_ns;
		marks[i] = !is_window(rows[i].e) && max_end >= rows[i].ts && w > 0;
	}
}

static void print_group_header(FILE *out, const struct kht_tl_group *g, const struct kht_timeline *t,
			       const struct kht_fmt *f)
{
	const struct kht_tl_event *first = &t->ev[g->idx[0]], *last = &t->ev[g->idx[g->n - 1]];
	char dev[24];

	if (g->kind == KHT_TL_INODE) {
		kht_dev_str(g->dev, dev, sizeof(dev));
		fprintf(out, "inode %s #%llu gen %u \"%s\"", dev, g->ino, g->gen, g->name);
	} else {
		fprintf(out, "process %u (%s): anonymous/hugetlb memory", g->pid, g->name);
	}
	fprintf(out, " — %zu event%s, %+.6f .. %+.6f s", g->n, g->n == 1 ? "" : "s",
		kht_rel_s(first->begin_ns, f->base_ns), kht_rel_s(last->end_ns, f->base_ns));
	if (g->part > 1)
		fprintf(out, " (part %u, continued)", g->part);
	else if (g->part)
		fprintf(out, " (part 1)");
	fputc('\n', out);
}

void kht_tl_story_text(FILE *out, const struct kht_timeline *t, const struct kht_tl_group *g,
		       const struct kht_fmt *f)
{
	struct row *rows = calloc(g->n * 2, sizeof(*rows));
	bool *marks = calloc(g->n * 2, sizeof(*marks));
	size_t nr = 0;

	if (!rows || !marks) {
		free(rows);
		free(marks);
		return;
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct kht_tl_event *e = &t->ev[g->idx[i]];
		bool retry = kht_tl_collapse_retry(t, g, i, f->results);

		if (is_window(e) && e->has_begin) {
			rows[nr++] = (struct row){ e->begin_ns, e, KHT_ROW_BEGIN, retry };
			rows[nr++] = (struct row){ e->end_ns, e, KHT_ROW_END, retry };
		} else {
			/* an operation shows at its start: that is when it looked */
			rows[nr++] = (struct row){ e->begin_ns, e, KHT_ROW_ONE, retry };
		}
	}
	/* rows follow the story's time order but for window ends: sort only then */
	for (size_t i = 1; i < nr; i++)
		if (row_cmp(&rows[i - 1], &rows[i]) > 0) {
			qsort(rows, nr, sizeof(*rows), row_cmp);
			break;
		}
	mark_rows(rows, nr, marks);
	print_group_header(out, g, t, f);
	for (size_t i = 0; i < nr; i++) {
		const struct kht_hdr *h = &rows[i].e->ev.hdr;
		char desc[256], comm[KHT_COMM_LEN + 1], line[512];

		memcpy(comm, h->comm, KHT_COMM_LEN);
		comm[KHT_COMM_LEN] = '\0';
		row_desc(desc, sizeof(desc), &rows[i], f);
		row_line(line, sizeof(line), rows[i].ts, f->base_ns, marks[i], h->tid, comm, desc,
			 rows[i].retry && rows[i].part != KHT_ROW_END ?
			 " (attempt 2 of the same MADV_COLLAPSE: written back, retried)" : "");
		fputs(line, out);
	}
	if (g->more)
		fprintf(out, "  (continued in part %u)\n", g->part + 1);
	free(rows);
	free(marks);
}

void kht_tl_print_text(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f)
{
	for (size_t gi = 0; gi < t->ngroups; gi++) {
		if (gi)
			fputc('\n', out);
		kht_tl_story_text(out, t, &t->groups[gi], f);
	}
}

static void group_json_head(struct kht_buf *b, const struct kht_tl_group *g)
{
	char dev[24];

	kht_json_begin(b);
	KHT_JSTR(b, "event", "story");
	if (g->kind == KHT_TL_INODE) {
		kht_dev_str(g->dev, dev, sizeof(dev));
		KHT_JSTR(b, "group", "inode");
		KHT_JSTR(b, "dev", dev);
		KHT_JU64(b, "ino", g->ino);
		KHT_JU64(b, "gen", g->gen);
		KHT_JSTR(b, "file", g->name);
	} else {
		KHT_JSTR(b, "group", "process");
		KHT_JU64(b, "pid", g->pid);
		KHT_JSTR(b, "comm", g->name);
	}
	/* a split story: its parts share the keys above; "continues" on all but the last */
	if (g->part)
		KHT_JU64(b, "part", g->part);
	if (g->more)
		kht_json_bool(b, "continues", true);
	KHT_JKEY(b, "events");
}

void kht_tl_story_json(FILE *out, const struct kht_timeline *t, const struct kht_tl_group *g,
		       const struct kht_fmt *f)
{
	char head[512], line[2048];
	struct kht_buf b;

	kht_buf_init(&b, head, sizeof(head));
	group_json_head(&b, g);
	fprintf(out, "%s[", head);
	for (size_t i = 0; i < g->n; i++) {
		const struct kht_tl_event *e = &t->ev[g->idx[i]];
		int n = kht_event_json(line, sizeof(line), &e->ev.hdr, sizeof(e->ev), f);

		if (n < 0)
			continue;
		/* a retry says so inside its object: {...,"attempt":2} */
		if (i)
			putc(',', out);
		if (n > 0 && line[n - 1] == '}' && kht_tl_collapse_retry(t, g, i, f->results)) {
			fwrite(line, 1, n - 1, out);
			fputs(",\"attempt\":2}", out);
		} else {
			fwrite(line, 1, n, out);
		}
	}
	fprintf(out, "]}\n");
}

int kht_tl_json_summary(FILE *out, unsigned long long stories, unsigned long long events,
			long long drops)
{
	char head[512];
	struct kht_buf b;

	kht_buf_init(&b, head, sizeof(head));
	kht_json_begin(&b);
	KHT_JSTR(&b, "event", "timeline-summary");
	KHT_JU64(&b, "stories", stories);
	KHT_JU64(&b, "events", events);
	if (drops >= 0)
		KHT_JU64(&b, "drops", drops);
	else
		KHT_JNULL(&b, "drops");
	kht_json_end(&b);
	fprintf(out, "%s\n", head);
	return ferror(out) ? -1 : 0;
}

int kht_tl_print_json(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f,
		      long long drops)
{
	unsigned long long events = 0;

	for (size_t gi = 0; gi < t->ngroups; gi++) {
		kht_tl_story_json(out, t, &t->groups[gi], f);
		events += t->groups[gi].n;
	}
	return kht_tl_json_summary(out, t->ngroups, events, drops);
}

/* ---- Chrome trace-event format: one process per group, one thread per task ---- */

static double us(unsigned long long ts, unsigned long long base)
{
	return ts >= base ? (ts - base) / 1e3 : 0;
}

static void pf_event(FILE *out, bool *first, const char *ph, const char *name, const char *cat,
		     unsigned pid, unsigned tid, double ts, double dur, const char *args)
{
	struct kht_buf b;
	char buf[1024];

	kht_buf_init(&b, buf, sizeof(buf));
	kht_json_begin(&b);
	KHT_JSTR(&b, "ph", ph);
	if (name)
		KHT_JSTR(&b, "name", name);
	if (cat)
		KHT_JSTR(&b, "cat", cat);
	KHT_JU64(&b, "pid", pid);
	KHT_JU64(&b, "tid", tid);
	kht_json_double(&b, "ts", ts);
	if (dur >= 0)
		kht_json_double(&b, "dur", dur);
	if (!strcmp(ph, "i"))
		KHT_JSTR(&b, "s", "t");
	if (args) {
		KHT_JKEY(&b, "args");
		kht_buf_printf(&b, "%s", args);
	}
	kht_json_end(&b);
	fprintf(out, "%s\n%s", *first ? "" : ",", buf);
	*first = false;
}

static void pf_names(FILE *out, bool *first, const struct kht_timeline *t,
		     const struct kht_tl_group *g, unsigned pid)
{
	char label[128], args[256], dev[24];
	struct kht_buf b;

	if (g->kind == KHT_TL_INODE) {
		kht_dev_str(g->dev, dev, sizeof(dev));
		snprintf(label, sizeof(label), "inode %s#%llu %s", dev, g->ino, g->name);
	} else {
		snprintf(label, sizeof(label), "process %u %s (anon/hugetlb)", g->pid, g->name);
	}
	kht_buf_init(&b, args, sizeof(args));
	kht_json_begin(&b);
	KHT_JSTR(&b, "name", label);
	kht_json_end(&b);
	pf_event(out, first, "M", "process_name", NULL, pid, 0, 0, -1, args);
	for (size_t i = 0; i < g->n; i++) {
		const struct kht_hdr *h = &t->ev[g->idx[i]].ev.hdr;
		char comm[KHT_COMM_LEN + 1];
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = t->ev[g->idx[j]].ev.hdr.tid == h->tid;
		if (seen)
			continue;
		memcpy(comm, h->comm, KHT_COMM_LEN);
		comm[KHT_COMM_LEN] = '\0';
		snprintf(label, sizeof(label), "%s %u", comm, h->tid);
		kht_buf_init(&b, args, sizeof(args));
		kht_json_begin(&b);
		KHT_JSTR(&b, "name", label);
		kht_json_end(&b);
		pf_event(out, first, "M", "thread_name", NULL, pid, h->tid, 0, -1, args);
	}
}

void kht_tl_pfjson_begin(struct kht_tl_pfjson *p, FILE *out)
{
	*p = (struct kht_tl_pfjson){ .out = out, .first = true, .next_pid = 1 };
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
}

void kht_tl_pfjson_story(struct kht_tl_pfjson *p, const struct kht_timeline *t,
			 const struct kht_tl_group *g, const struct kht_fmt *f,
			 unsigned long long *story_pid)
{
	char desc[256], args[2048];
	FILE *out = p->out;
	unsigned pid;

	/* synthetic: one Perfetto process per story; its parts name it again, harmlessly */
	if (!*story_pid)
		*story_pid = p->next_pid++;
	pid = *story_pid;
	pf_names(out, &p->first, t, g, pid);
	for (size_t i = 0; i < g->n; i++) {
		const struct kht_tl_event *e = &t->ev[g->idx[i]];
		const struct kht_hdr *h = &e->ev.hdr;
		struct row r = { e->begin_ns, e, 0 };

		if (kht_event_json(args, sizeof(args), h, sizeof(e->ev), f) < 0)
			continue;
		if (h->type == KHT_EV_COLLAPSE && e->has_begin) {
			r.part = 1;
			row_desc(desc, sizeof(desc), &r, f);
			pf_event(out, &p->first, "B", desc, "collapse", pid, h->tid,
				 us(e->begin_ns, f->base_ns), -1, args);
			pf_event(out, &p->first, "E", NULL, NULL, pid, h->tid,
				 us(e->end_ns, f->base_ns), -1, NULL);
			continue;
		}
		row_desc(desc, sizeof(desc), &r, f);
		if (e->has_begin)
			pf_event(out, &p->first, "X", desc, NULL, pid, h->tid,
				 us(e->begin_ns, f->base_ns), (e->end_ns - e->begin_ns) / 1e3, args);
		else
			pf_event(out, &p->first, "i", desc, NULL, pid, h->tid,
				 us(e->end_ns, f->base_ns), -1, args);
	}
}

int kht_tl_pfjson_end(struct kht_tl_pfjson *p)
{
	fprintf(p->out, "\n]}\n");
	return ferror(p->out) ? -1 : 0;
}

int kht_tl_write_perfetto(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f)
{
	struct kht_tl_pfjson p;

	kht_tl_pfjson_begin(&p, out);
	for (size_t gi = 0; gi < t->ngroups; gi++) {
		unsigned long long pid = 0;

		kht_tl_pfjson_story(&p, t, &t->groups[gi], f, &pid);
	}
	return kht_tl_pfjson_end(&p);
}
