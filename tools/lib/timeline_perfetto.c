// SPDX-License-Identifier: GPL-2.0
/*
 * Stories as a Perfetto protobuf trace (perfetto_pb.h): one top-level track
 * per story (inode or process), one child track per task in it; an event
 * with a visible entry is a slice (begin, end), one without an instant. The
 * slice is named by what it did ("seek SEEK_DATA", "collapse
 * pte_mapped_hugepage"), from a small set the writer interns; the details
 * are debug annotations taken from the event's JSON object, the fields
 * `timeline -j` prints less those the tracks and times already say, so a
 * new event kind needs nothing here.
 *
 * Packets are written as each story is walked: memory is the interning
 * tables (bounded) and the task map of the current story.
 */
#include <stdlib.h>
#include <string.h>
#include "timeline.h"
#include "perfetto_pb.h"

/* ---- the event's JSON object, as debug annotations ---- */

/* The end of the JSON string starting at s (at its opening quote), past the closing one. */
static const char *str_end(const char *s, const char *end)
{
	for (s++; s < end && *s != '"'; s++)
		if (*s == '\\')
			s++;
	return s < end ? s + 1 : end;
}

/* Where the JSON value at s ends: at the ',' or '}' after it (nested values included). */
static const char *value_end(const char *s, const char *end)
{
	int depth = 0;

	while (s < end) {
		if (*s == '"') {
			s = str_end(s, end);
			continue;
		}
		if (*s == '{' || *s == '[') {
			depth++;
		} else if (*s == '}' || *s == ']') {
			if (!depth)
				break;	/* the enclosing object's end */
			depth--;
		} else if (*s == ',' && !depth) {
			break;
		}
		s++;
	}
	return s;
}

static size_t put_utf8(char *o, unsigned c)
{
	if (c < 0x80) {
		o[0] = c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = 0xc0 | c >> 6;
		o[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	o[0] = 0xe0 | c >> 12;
	o[1] = 0x80 | ((c >> 6) & 0x3f);
	o[2] = 0x80 | (c & 0x3f);
	return 3;
}

/* JSON string s..e (quotes excluded) unescaped into o (room for e - s bytes). */
static size_t unescape(char *o, const char *s, const char *e)
{
	size_t n = 0;

	while (s < e) {
		if (*s != '\\' || s + 1 >= e) {
			o[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u':
			if (e - s >= 5) {
				char hex[5] = { s[1], s[2], s[3], s[4], 0 };

				n += put_utf8(o + n, strtoul(hex, NULL, 16));	/* \uXXXX <= 3 bytes */
				s += 4;
				break;
			}
			/* fall through */
		default: o[n++] = *s; break;	/* \" \\ \/ */
		}
		s++;
	}
	return n;
}

/* Whether [s, e) has one of the characters of set. */
static bool strpbrk_n(const char *s, const char *e, const char *set)
{
	for (; s < e; s++)
		if (strchr(set, *s))
			return true;
	return false;
}

/* What the slice is called: the event's kind, and what it did when it says so. */
struct label {
	char event[32], what[64];
};

static void label_take(struct label *l, const char *key, const char *v, size_t n)
{
	char *dst = !strcmp(key, "event") ? l->event :
		    !strcmp(key, "op") || !strcmp(key, "whence") || !strcmp(key, "result") ?
		    l->what : NULL;

	if (dst && n < sizeof(l->what) && (dst == l->event ? n < sizeof(l->event) : !*l->what)) {
		memcpy(dst, v, n);
		dst[n] = '\0';
	}
}

/*
 * Fields the packet or its tracks already say: the times (the packet's
 * timestamp), the task (its track's name) and the file (the story's track).
 * A slice's length is its duration.
 */
static bool on_track(const char *key, bool slice)
{
	static const char *const keys[] = { "event", "ts_ns", "time_s", "start_ns", "comm", "pid",
					    "tid", "dev", "ino", "gen", "file" };

	if (!strchr("etscpdigf", key[0]))	/* their first letters: most keys stop here */
		return false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return slice && !strcmp(key, "duration_ns");
}

/*
 * One flat JSON object, {"key":value,...} as kht_event_json() writes it:
 * strings, numbers, booleans, null (left out), nested values (as JSON); the
 * label is picked up on the way.
 */
static void json_annotations(struct kht_pf_writer *w, const char *s, size_t len, struct label *l,
			     bool slice)
{
	const char *end = s + len, *k, *ke, *v, *ve;
	char key[64], val[2048];

	if (len < 2 || *s != '{')
		return;
	for (s++; s < end && *s == '"'; s = ve + (ve < end && *ve == ',')) {
		k = s + 1;
		ke = str_end(s, end) - 1;
		v = ke + 2;	/* past '":' */
		if (v >= end || (size_t)(ke - k) >= sizeof(key))
			return;
		memcpy(key, k, ke - k);
		key[ke - k] = '\0';
		ve = *v == '"' ? str_end(v, end) : value_end(v, end);
		if (*v == '"') {
			size_t n = (size_t)(ve - v - 2) < sizeof(val) ? unescape(val, v + 1, ve - 1) : 0;

			label_take(l, key, val, n);
			if (!on_track(key, slice))
				kht_pf_anno_str(w, key, val, n);
		} else if (!strncmp(v, "null", 4) || on_track(key, slice)) {
			continue;
		} else if (*v == 't' || *v == 'f') {
			kht_pf_anno_bool(w, key, *v == 't');
		} else if (*v == '{' || *v == '[') {
			kht_pf_anno_json(w, key, v, ve - v);
		} else if (strpbrk_n(v, ve, ".eE")) {
			kht_pf_anno_double(w, key, strtod(v, NULL));
		} else if (*v == '-') {
			kht_pf_anno_int(w, key, strtoll(v, NULL, 10));
		} else {
			kht_pf_anno_uint(w, key, strtoull(v, NULL, 10));
		}
	}
}

/* ---- stories ---- */

static uint64_t story_track(struct kht_pf_writer *w, const struct kht_tl_group *g)
{
	char label[128], dev[24];

	if (g->kind == KHT_TL_INODE) {
		kht_dev_str(g->dev, dev, sizeof(dev));
		snprintf(label, sizeof(label), "inode %s#%llu %s", dev, g->ino, g->name);
	} else {
		snprintf(label, sizeof(label), "process %u %s (anon/hugetlb)", g->pid, g->name);
	}
	return kht_pf_track(w, 0, label);
}

/* The track of the event's task in this story (tasks: tid -> track uuid), made on first use. */
static uint64_t task_track(struct kht_pf_writer *w, struct kht_pf_intern *tasks, uint64_t story,
			   const struct kht_hdr *h)
{
	char tid[16], label[80], comm[KHT_COMM_LEN + 1];
	uint64_t uuid;

	snprintf(tid, sizeof(tid), "%u", h->tid);
	uuid = kht_pf_map_find(tasks, tid);
	if (uuid)
		return uuid;
	memcpy(comm, h->comm, KHT_COMM_LEN);
	comm[KHT_COMM_LEN] = '\0';
	if (h->pid == h->tid)
		snprintf(label, sizeof(label), "%s %u", comm, h->tid);
	else
		snprintf(label, sizeof(label), "%s %u (pid %u)", comm, h->tid, h->pid);
	uuid = kht_pf_track(w, story, label);
	if (kht_pf_map_add(tasks, tid, uuid))
		w->error = true;
	return uuid;
}

static void write_event(struct kht_pf_writer *w, uint64_t track, const struct kht_tl_event *e,
			const char *json, size_t n, bool retry)
{
	struct label l = { "" };
	char name[sizeof(l.event) + sizeof(l.what) + 1];

	kht_pf_event_begin(w, e->has_begin ? e->begin_ns : e->end_ns, track,
			   e->has_begin ? PF_TYPE_SLICE_BEGIN : PF_TYPE_INSTANT, NULL);
	json_annotations(w, json, n, &l, e->has_begin);
	if (retry)	/* as -j says it: {...,"attempt":2} */
		kht_pf_anno_uint(w, "attempt", 2);
	/* named once the fields are read: protobuf fields may come in any order */
	snprintf(name, sizeof(name), "%s%s%s", l.event, *l.what ? " " : "", l.what);
	kht_pf_event_name(w, name);
	kht_pf_event_end(w);
	if (e->has_begin) {
		kht_pf_event_begin(w, e->end_ns, track, PF_TYPE_SLICE_END, NULL);
		kht_pf_event_end(w);
	}
}

struct kht_tl_pb {
	struct kht_pf_writer w;
	struct kht_pf_intern tasks;	/* of the current story */
};

struct kht_tl_pb *kht_tl_pb_begin(FILE *out)
{
	struct kht_tl_pb *p = calloc(1, sizeof(*p));

	if (p)
		kht_pf_init(&p->w, out);
	return p;
}

void kht_tl_pb_story(struct kht_tl_pb *p, const struct kht_timeline *t,
		     const struct kht_tl_group *g, const struct kht_fmt *f,
		     unsigned long long *track)
{
	char json[2048];

	if (p->w.error)
		return;
	/* the parts of a split story share its track; their tasks get tracks again (map per part) */
	if (!*track)
		*track = story_track(&p->w, g);
	kht_pf_map_clear(&p->tasks);
	for (size_t i = 0; i < g->n && !p->w.error; i++) {
		const struct kht_tl_event *e = &t->ev[g->idx[i]];
		const struct kht_hdr *h = &e->ev.hdr;
		int n = kht_event_json(json, sizeof(json), h, sizeof(e->ev), f);

		if (n < 0 || (size_t)n >= sizeof(json))
			continue;
		write_event(&p->w, task_track(&p->w, &p->tasks, *track, h), e, json, n,
			    kht_tl_collapse_retry(t, g, i, f->results));
	}
}

int kht_tl_pb_end(struct kht_tl_pb *p)
{
	int ret;

	kht_pf_map_clear(&p->tasks);
	ret = kht_pf_finish(&p->w);
	free(p);
	return ret;
}

int kht_tl_write_perfetto_pb(FILE *out, const struct kht_timeline *t, const struct kht_fmt *f)
{
	struct kht_tl_pb *p = kht_tl_pb_begin(out);

	if (!p)
		return -1;
	for (size_t gi = 0; gi < t->ngroups; gi++) {
		unsigned long long track = 0;

		kht_tl_pb_story(p, t, &t->groups[gi], f, &track);
	}
	return kht_tl_pb_end(p);
}
