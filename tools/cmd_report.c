// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace report FILE: the live views over a recording — collapse lines
 * (default), --timeline, --perfetto OUT, -j — decoded with the names the
 * recording kernel stored in the file, so it reads the same on any machine.
 * Damaged files are read as far as they go: complete blocks are reported,
 * damaged ones skipped with a warning, a cut-off end measured and said.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "feature.h"
#include "lib/collapse_view.h"
#include "lib/options.h"
#include "lib/races.h"
#include "lib/timeline.h"
#include "lib/tracefile.h"

struct report {
	struct kht_opts opts;
	struct kht_tf_meta meta;
	struct kht_collapse_view view;
	struct kht_timeline tl;
	unsigned long long unknown, undecodable;
	FILE *info;	/* where the "#" header goes: stdout, or stderr under -j */
};

/*
 * The trailer (records, drops) is at the end of the file, but drops belong at
 * the top of the report: kht_tf_peek_trailer() finds it by walking the block
 * headers, without inflating the records (the main pass does that once).
 */
static bool read_stats(const char *path, struct kht_tf_stats *st, struct kht_tf_trailer *t)
{
	memset(st, 0, sizeof(*st));
	st->has_trailer = kht_tf_peek_trailer(path, t, NULL, 0) == 1;
	st->truncated = !st->has_trailer;
	st->trailer = st->has_trailer ? t : NULL;
	return st->has_trailer;
}

static void print_header(struct report *r, const char *path)
{
	static struct kht_tf_trailer t;
	struct kht_tf_stats st;
	bool has_trailer = read_stats(path, &st, &t);
	time_t wall = r->meta.wall_base_ns / 1000000000LL;
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&wall));
	fprintf(r->info, "# recorded %s on kernel %s (format %u.%u)\n", when, r->meta.release,
		r->meta.major, r->meta.minor);
	for (int i = 0; i < r->meta.nhooks; i++)
		fprintf(r->info, "# %s: %s\n", r->meta.hooks[i].hook, r->meta.hooks[i].mode);
	if (!kht_tf_meta_enum(&r->meta, "scan_result"))
		fprintf(r->info, "# no scan_result names in the file: results print as numbers\n");
	if (has_trailer)
		fprintf(r->info, "# %llu records, %llu dropped while recording%s\n", t.records,
			t.drops, t.drops ? " (ring buffer full: the views below miss them)" : "");
	else
		fprintf(r->info, "# no trailer: the recording did not finish (counts and drops "
			"unknown)\n");
	fflush(r->info);
}

/* false once the default view has printed its -c COUNT collapses: stop reading */
static bool add_record(struct report *r, unsigned rtype, const void *data, unsigned len)
{
	unsigned type;
	union kht_any_event ev;

	type = kht_tf_event_type(rtype);	/* fixed (1.x) or packed (2.0) */
	if (!kht_event_size(type)) {
		r->unknown++;	/* a newer recorder's event kind: skipped by design */
		return true;
	}
	/*
	 * The default view only shows collapses and lock windows: most records
	 * of a recording (seeks, mincore, uffd) are not even decoded.
	 */
	if (!r->opts.timeline && !r->opts.perfetto && !r->opts.races &&
	    type != KHT_EV_COLLAPSE && type != KHT_EV_LOCK_WINDOW)
		return true;
	if (kht_tf_decode_event(rtype, data, len, &ev, sizeof(ev)) < 0) {
		r->undecodable++;
		return true;
	}
	if (r->opts.timeline || r->opts.perfetto || r->opts.races)
		kht_tl_add(&r->tl, &ev.hdr, kht_event_size(type));
	else if (type == KHT_EV_COLLAPSE)
		return kht_collapse_view_add(&r->view, &ev.collapse);
	else if (type == KHT_EV_LOCK_WINDOW)
		kht_collapse_view_window(&r->view, (const struct kht_lock_window *)&ev);
	return true;
}

/* Stats can only be final once the reader reached the end. */
static void print_losses(const struct kht_tf_stats *st, const char *path)
{
	if (st->corrupt)
		fprintf(stderr, "khugetrace report: %s: %llu damaged spot%s skipped (%llu bytes, "
			"%llu blocks lost): %s\n", path, st->corrupt, st->corrupt == 1 ? "" : "s",
			st->skipped_bytes, st->missing_blocks, st->warning);
	if (st->truncated)
		fprintf(stderr, "khugetrace report: %s is cut off: %llu bytes of an incomplete "
			"block lost and no trailer (the recording did not finish).\n", path,
			st->partial_bytes);
}

static int views(struct report *r)
{
	struct kht_tl_filter f = { .ino = r->opts.inode, .pid = r->opts.pid,
				   .since_s = r->opts.since_s, .until_s = r->opts.until_s };
	char tmp[4096];
	FILE *pf;
	int ret = 0;

	if (!r->opts.timeline && !r->opts.perfetto && !r->opts.races) {
		kht_collapse_view_summary(&r->view, 0);
		return 0;
	}
	if (kht_tl_build(&r->tl, &f, r->meta.mono_base_ns)) {
		fprintf(stderr, "khugetrace report: out of memory building the timeline.\n");
		return 1;
	}
	if (r->opts.races) {
		struct kht_race_opts ro = { .spin_ns = r->opts.spin_us * 1000 };
		struct kht_races races;

		/* recordings name the features they were made with */
		for (int i = 0; i < r->meta.nhooks; i++)
			ro.mods_traced |= !strcmp(r->meta.hooks[i].hook, kht_feat_modify.name);

		if (kht_races_find(&races, &r->tl, r->view.fmt.results, &ro)) {
			fprintf(stderr, "khugetrace report: out of memory judging races.\n");
			return 1;
		}
		if (r->opts.json)
			kht_races_print_json(stdout, &races, &r->view.fmt);
		else
			kht_races_print_text(stdout, &races, &r->view.fmt);
		/* like `races`: 0 found a bug or a slow spin, 1 none */
		ret = kht_races_count(&races, KHT_SEV_BUG) || kht_races_count(&races, KHT_SEV_SLOW) ?
		      0 : 1;
		kht_races_free(&races);
	}
	if (r->opts.timeline && r->opts.json)
		kht_tl_print_json(stdout, &r->tl, &r->view.fmt);
	else if (r->opts.timeline)
		kht_tl_print_text(stdout, &r->tl, &r->view.fmt);
	if (r->opts.perfetto) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", r->opts.perfetto);
		pf = fopen(tmp, "w");
		if (!pf || kht_tl_write_perfetto(pf, &r->tl, &r->view.fmt) | fclose(pf) ||
		    rename(tmp, r->opts.perfetto)) {
			fprintf(stderr, "khugetrace report: cannot write %s: %s.\n", r->opts.perfetto,
				strerror(errno));
			remove(tmp);
			ret = 1;
		}
	}
	return ret;
}

int cmd_report(int argc, char **argv)
{
	static struct report r;
	struct kht_tf_reader *rd;
	struct kht_tf_stats st;
	const char *path;
	const void *data;
	unsigned type, len;
	char err[512];
	int n, ret;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			printf("Usage: khugetrace report FILE [OPTIONS]\n"
			       "Print a recording: collapse lines (default), --timeline, --perfetto OUT,\n"
			       "--races (with --spin-us US).\n"
			       "  -j, -p PID, --inode INO, --since/--until SEC as in the live commands\n");
			return 0;
		}
		fprintf(stderr, "khugetrace report: which recording? Usage: khugetrace report FILE "
			"[OPTIONS].\n");
		return 2;
	}
	path = argv[1];
	if (kht_parse_opts(argc - 1, argv + 1, &r.opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace report: %s (see --help).\n", err);
		return 2;
	}
	rd = kht_tf_open(path, &r.meta, err, sizeof(err));
	if (!rd) {
		fprintf(stderr, "khugetrace report: %s\n", err);
		return r.opts.races ? 2 : 1;	/* --races exits like grep */
	}
	r.info = r.opts.json ? stderr : stdout;
	r.view = (struct kht_collapse_view){ .opts = &r.opts, .out = stdout, .batch = true };
	r.view.fmt.results = kht_tf_meta_enum(&r.meta, "scan_result");
	r.view.fmt.base_ns = r.meta.mono_base_ns;
	print_header(&r, path);
	if (!r.opts.timeline && !r.opts.perfetto && !r.opts.races)
		kht_collapse_view_header(&r.view);
	while ((n = kht_tf_next(rd, &type, &data, &len)) == 1)
		if (!add_record(&r, type, data, len))
			break;	/* -c reached: the rest of the file is not read */
	kht_tf_stats(rd, &st);
	ret = views(&r);
	if (n < 0) {
		fprintf(stderr, "khugetrace report: reading %s failed: %s\n", path, kht_tf_error(rd));
		ret = 2;
	}
	print_losses(&st, path);
	if (r.unknown)
		fprintf(stderr, "khugetrace report: %llu records of kinds this version does not "
			"know were skipped.\n", r.unknown);
	if (r.undecodable)
		fprintf(stderr, "khugetrace report: %llu records were damaged inside a checked "
			"block and could not be decoded: skipped.\n", r.undecodable);
	kht_tl_free(&r.tl);
	kht_tf_free(rd);
	return ret;
}
