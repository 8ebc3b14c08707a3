// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capability.h"
#include "feature.h"
#include "trace_helpers.h"
#include "lib/event_fmt.h"

const struct kht_feature *const kht_trace_features[] = {
	&kht_feat_collapse, &kht_feat_uffd, &kht_feat_seek, &kht_feat_modify,
};
const int kht_ntrace_features = sizeof(kht_trace_features) / sizeof(kht_trace_features[0]);

const char *kht_trace_feature_names(void)
{
	static char names[256];

	if (!names[0])
		for (int i = 0, n = 0; i < kht_ntrace_features && n < (int)sizeof(names); i++)
			n += snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
				      kht_trace_features[i]->name);
	return names;
}

bool kht_mode_is_full(int mode)
{
	return mode == KHT_MODE_FENTRY || mode == KHT_MODE_KPROBE;
}

bool kht_feature_offers(const struct kht_feature *f, int mode)
{
	return mode > KHT_MODE_NONE && mode < KHT_MODE_MAX && f->reqs[mode][0].hook;
}

bool kht_feature_usable(const struct kht_feature *f, int mode, char *why, int len)
{
	if (!kht_feature_offers(f, mode)) {
		snprintf(why, len, "%s: not offered", kht_mode_names[mode]);
		return false;
	}
	for (int i = 0; i < KHT_MAX_REQS && f->reqs[mode][i].hook; i++)
		if (!kht_hook_ok(f->reqs[mode][i].hook, f->reqs[mode][i].method, why, len))
			return false;
	return !f->also_needs || f->also_needs(mode, why, len);
}

static void append(char *buf, int len, const char *s)
{
	int n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? "; " : "", s);
}

/*
 * Every bpftool-generated skeleton starts with these two members, which is
 * what lets one loader serve all features.
 */
struct skel_head {
	struct bpf_object_skeleton *skeleton;
	struct bpf_object *obj;
};

static void *load(const struct kht_feature *f, int mode, const struct kht_opts *o,
		  char *why, int len)
{
	struct skel_head *skel = f->open();
	const char *names[24] = { 0 };
	struct bpf_program *p;
	int err = 0;

	if (!skel) {
		snprintf(why, len, "cannot open the %s BPF object: %s", f->name, strerror(errno));
		return NULL;
	}
	f->configure(skel, mode, o);
	f->programs(mode, o, names, 23);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (int i = 0; names[i] && !err; i++) {
		p = bpf_object__find_program_by_name(skel->obj, names[i]);
		err = p ? bpf_program__set_autoload(p, true) : -ENOENT;
	}
	if (!err)
		err = bpf_object__load_skeleton(skel->skeleton);
	if (!err)
		err = bpf_object__attach_skeleton(skel->skeleton);
	if (err)
		snprintf(why, len, "%s: loading/attaching failed: %s", kht_mode_names[mode],
			 strerror(-err));
	else if (f->attach && f->attach(skel, mode, o, why, len))
		err = -1;
	if (err) {
		if (f->detach)
			f->detach(skel);
		bpf_object__destroy_skeleton(skel->skeleton);
		free(skel);	/* what the generated X_bpf__destroy() does after it */
		return NULL;
	}
	return skel;
}

void kht_loaded_detach(struct kht_loaded *l)
{
	if (!l->skel)
		return;
	if (l->f->detach)
		l->f->detach(l->skel);
	bpf_object__detach_skeleton(((struct skel_head *)l->skel)->skeleton);
}

static int map_fd(const struct kht_loaded *l, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(((struct skel_head *)l->skel)->obj, name));
}

/* Maps shared by loaded features: name -> fd (the feature keeps the map alive). */
#define MAX_SHARED 4
static struct {
	const struct kht_loaded *owner;
	const char *name;
	int fd;
} shared[MAX_SHARED];

int kht_watch_fd(const char *map)
{
	for (int i = 0; i < MAX_SHARED; i++)
		if (shared[i].owner && !strcmp(shared[i].name, map))
			return shared[i].fd;
	return -1;
}

static void share_maps(const struct kht_loaded *l)
{
	for (int k = 0; l->f->shares && l->f->shares[k]; k++)
		for (int i = 0; i < MAX_SHARED; i++)
			if (!shared[i].owner) {
				shared[i].owner = l;
				shared[i].name = l->f->shares[k];
				shared[i].fd = map_fd(l, l->f->shares[k]);
				break;
			}
}

static void unshare_maps(const struct kht_loaded *l)
{
	for (int i = 0; i < MAX_SHARED; i++)
		if (shared[i].owner == l)
			shared[i].owner = NULL;
}

int kht_loaded_events_fd(const struct kht_loaded *l) { return map_fd(l, "events"); }

unsigned long long kht_loaded_not_recorded(const struct kht_loaded *l, int what)
{
	int fd = map_fd(l, "not_recorded");	/* only seek has it: -EINVAL elsewhere */

	return fd < 0 ? 0 : kht_percpu_sum_key(fd, what);
}

int kht_loaded_drops_fd(const struct kht_loaded *l) { return map_fd(l, "drops"); }

int kht_feature_best_mode(const struct kht_feature *f, char *skipped, int len)
{
	char why[256];

	skipped[0] = '\0';
	for (int mode = KHT_MODE_NONE + 1; mode < KHT_MODE_MAX; mode++) {
		if (!kht_feature_offers(f, mode))
			continue;
		if (kht_feature_usable(f, mode, why, sizeof(why)))
			return mode;
		append(skipped, len, why);
	}
	return 0;
}

int kht_feature_load(const struct kht_feature *f, const struct kht_opts *o,
		     struct kht_loaded *l, char *err, int errlen)
{
	bool forced_here = o->attach && kht_feature_offers(f, o->attach);
	char why[256];

	memset(l, 0, sizeof(*l));
	l->f = f;
	for (int mode = KHT_MODE_NONE + 1; mode < KHT_MODE_MAX; mode++) {
		if (!kht_feature_offers(f, mode))
			continue;
		if (forced_here && mode != o->attach)
			continue;
		if (o->attach && !forced_here && mode < o->attach)
			continue;
		if (!kht_feature_usable(f, mode, why, sizeof(why)) ||
		    !(l->skel = load(f, mode, o, why, sizeof(why)))) {
			append(l->skipped, sizeof(l->skipped), why);
			continue;
		}
		l->mode = mode;
		share_maps(l);
		return 0;
	}
	if (forced_here)
		snprintf(err, errlen, "attach mode '%s' is not available for %s on this kernel (%s)",
			 kht_mode_names[o->attach], f->name, l->skipped);
	else
		snprintf(err, errlen, "no way to observe %s on this kernel (%s)", f->name,
			 l->skipped[0] ? l->skipped : "no mode at or below the forced one");
	return -1;
}

void kht_loaded_destroy(struct kht_loaded *l)
{
	unshare_maps(l);
	if (l->skel) {
		if (l->f->detach)
			l->f->detach(l->skel);
		bpf_object__destroy_skeleton(((struct skel_head *)l->skel)->skeleton);
		free(l->skel);
	}
	l->skel = NULL;
}
