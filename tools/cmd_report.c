// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace report FILE: the live views over a recording — collapse lines
 * (default), --timeline, --perfetto OUT (protobuf or JSON), -j — decoded with the names the
 * recording kernel stored in the file, so it reads the same on any machine.
 * Damaged files are read as far as they go: complete blocks are reported,
 * damaged ones skipped with a warning, a cut-off end measured and said.
 */
#define _GNU_SOURCE	/* O_TMPFILE, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "commands.h"
#include "feature.h"
#include "lib/collapse_view.h"
#include "lib/options.h"
#include "lib/outfile.h"
#include "lib/races.h"
#include "lib/races_stream.h"
#include "lib/timeline.h"
#include "lib/timeline_stream.h"
#include "lib/tracefile.h"

#define DEFAULT_INPUT "khugetrace.data"	/* what `record` writes without -o */

/* report reads a recording: it traces nothing, so tracing options would be ignored */
#define REPORT_OPTS (KHT_O(PID) | KHT_O(INODE) | KHT_O(MIN_US) | KHT_O(COUNT) | KHT_O(JSON) | \
		     KHT_O(HELP) | KHT_O(PERFETTO) | KHT_O(TIMELINE) | KHT_O(RACES) | \
		     KHT_O(SPIN_US) | KHT_O(SINCE) | KHT_O(UNTIL) | KHT_O(INPUT) | \
		     KHT_O(PERFETTO_FORMAT))

struct report {
	struct kht_opts opts;
	const char *path;	/* the recording, as named ("-": standard input) */
	struct kht_outfile perfetto;
	struct kht_tf_meta meta;
	struct kht_collapse_view view;
	struct kht_timeline tl;
	/* --races alone: judged in epochs as the records come, in bounded memory */
	struct kht_races_stream *rs;
	/* --timeline/--perfetto without --races: stories written as they go quiet */
	struct kht_tl_stream *ts;
	FILE *pf;			/* the Perfetto output, written story by story */
	struct kht_tl_pfjson pfjson;	/* ... as JSON */
	struct kht_tl_pb *pb;		/* ... or as protobuf */
	unsigned long long unknown, undecodable;
	FILE *info;	/* where the "#" header goes: stdout, or stderr under -j */
	long long drops;	/* from the trailer; -1 without one */
	int fd2;		/* the recording again, for --races' first pass; -1 */
};

/*
 * The trailer (records, drops) is at the end of the file, but drops belong at
 * the top of the report: kht_tf_find_trailer() finds it by walking the block
 * headers, without inflating the records, and the records pass then reads
 * the file once (damaged spots the walk scanned are not scanned again).
 */
static void print_header(struct report *r, struct kht_tf_reader *rd)
{
	static struct kht_tf_trailer t;
	bool has_trailer = kht_tf_find_trailer(rd, &t, NULL, 0) == 1;
	time_t wall = r->meta.wall_base_ns / 1000000000LL;
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&wall));
	fprintf(r->info, "# recorded %s on kernel %s (format %u.%u)\n", when, r->meta.release,
		r->meta.major, r->meta.minor);
	for (int i = 0; i < r->meta.nhooks; i++)
		fprintf(r->info, "# %s: %s\n", r->meta.hooks[i].hook, r->meta.hooks[i].mode);
	if (!kht_tf_meta_enum(&r->meta, "scan_result"))
		fprintf(r->info, "# no scan_result names in the file: results print as numbers\n");
	r->drops = has_trailer ? (long long)t.drops : -1;
	if (has_trailer)
		fprintf(r->info, "# %llu records, %llu dropped while recording%s\n", t.records,
			t.drops, t.drops ? " (ring buffer full: the views below miss them)" : "");
	else
		fprintf(r->info, "# no trailer: the recording did not finish (counts and drops "
			"unknown)\n");
	fflush(r->info);
}

static bool add_event(struct report *r, unsigned type, const union kht_any_event *ev);

/* A window of a batch record, where a window record would go. */
static int add_batch_window(void *ctx, const struct kht_lock_window *w)
{
	union kht_any_event ev;

	ev.window = *w;
	return add_event(ctx, KHT_EV_LOCK_WINDOW, &ev) ? 0 : 1;
}

/* false once the default view has printed its -c COUNT collapses: stop reading */
static bool add_record(struct report *r, unsigned rtype, const void *data, unsigned len)
{
	unsigned type;
	union kht_any_event ev;

	/* lock windows batched as the BPF side sent them (2.1): one event each from here */
	if (rtype == KHT_TF_WIN_BATCH) {
		int ret = kht_tf_win_batch_each(data, len, add_batch_window, r);

		r->undecodable += ret < 0;
		return ret <= 0;
	}
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
	return add_event(r, type, &ev);
}

/* A decoded event into the view being built; false as add_record. */
static bool add_event(struct report *r, unsigned type, const union kht_any_event *ev)
{
	if (r->rs)
		kht_rs_add(r->rs, &ev->hdr, kht_event_size(type));
	else if (r->ts)
		kht_tls_add(r->ts, &ev->hdr, kht_event_size(type));
	else if (r->opts.timeline || r->opts.perfetto || r->opts.races)
		kht_tl_add(&r->tl, &ev->hdr, kht_event_size(type));
	else if (type == KHT_EV_COLLAPSE)
		return kht_collapse_view_add(&r->view, &ev->collapse);
	else if (type == KHT_EV_LOCK_WINDOW)
		kht_collapse_view_window(&r->view, &ev->window);
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
		fprintf(stderr, "khugetrace report: %s is cut off after %llu records: %llu bytes of "
			"an incomplete block lost and no trailer (the recording did not finish).\n",
			path, st->records, st->partial_bytes);
}

/*
 * --races: a first pass over the recording gathers its collapses (a few
 * percent of the records), so the judging pass need not hold the seeks and
 * mincore calls none of them overlaps (races_stream.h). The file was opened
 * (stdin spooled), so it can be read twice; without the pass (no memory, a
 * read error: said by the judging pass), everything is held as before.
 */
static void races_first_pass(struct report *r, struct kht_rs_spans *sp)
{
	static struct kht_tf_meta meta;
	struct kht_tf_reader *rd;
	union kht_any_event ev;
	const void *data;
	unsigned rtype, len, type;
	char err[512];
	int n, ret = 0;

	if (r->fd2 < 0)
		return;
	rd = kht_tf_open_fd(r->fd2, r->path, &meta, err, sizeof(err));
	r->fd2 = -1;	/* taken */
	if (!rd)
		return;
	while (!ret && (n = kht_tf_next(rd, &rtype, &data, &len)) == 1) {
		type = kht_tf_event_type(rtype);
		if (type != KHT_EV_COLLAPSE || !kht_event_size(type) ||
		    kht_tf_decode_event(rtype, data, len, &ev, sizeof(ev)) < 0)
			continue;
		ret = kht_rs_spans_add(sp, &ev.hdr, kht_event_size(type));
	}
	kht_tf_free(rd);
	if (ret || n < 0) {
		kht_rs_spans_free(sp);
		return;
	}
	kht_rs_spans_done(sp);
	r->rs->spans = sp;
}

/* The rule options of a recording: it names the features it was made with. */
static struct kht_race_opts race_opts(const struct report *r)
{
	struct kht_race_opts ro = { .spin_ns = r->opts.spin_us * 1000 };

	for (int i = 0; i < r->meta.nhooks; i++) {
		const char *hook = r->meta.hooks[i].hook;
		const char *profile = !strcmp(hook, KHT_MODIFY_PROFILE_HOOK) ? r->meta.hooks[i].mode : "";

		ro.mods_traced |= !strcmp(hook, kht_feat_modify.name);
		ro.fills_traced |= !strcmp(hook, KHT_MODIFY_FILLS_HOOK);
		ro.writes_in_collapses |= !strcmp(profile, KHT_MODIFY_DURING);
		ro.writes_left_out |= !strcmp(profile, KHT_MODIFY_NO_WRITES);
	}
	return ro;
}

static void races_emit(void *ctx, struct kht_races *races)
{
	const struct report *r = ctx;

	if (r->opts.json)
		kht_races_print_json_reports(stdout, races, &r->view.fmt);
	else
		kht_races_print_text_reports(stdout, races, &r->view.fmt);
}

/* A story of the streamed views: to stdout (--timeline) and into the Perfetto trace. */
static void story_emit(void *ctx, const struct kht_timeline *t, const struct kht_tl_group *g,
		       unsigned long long *tag)
{
	struct report *r = ctx;

	if (r->opts.timeline && r->opts.json) {
		kht_tl_story_json(stdout, t, g, &r->view.fmt);
	} else if (r->opts.timeline) {
		if (r->ts->stories_out)
			fputc('\n', stdout);
		kht_tl_story_text(stdout, t, g, &r->view.fmt);
	}
	if (r->pb)
		kht_tl_pb_story(r->pb, t, g, &r->view.fmt, tag);
	else if (r->pf)
		kht_tl_pfjson_story(&r->pfjson, t, g, &r->view.fmt, tag);
}

/* Set up the streamed views before the records pass; 0 or 1 (said why). */
static int stream_begin(struct report *r)
{
	static struct kht_tl_stream ts;

	ts = (struct kht_tl_stream){
		.filter = { .ino = r->opts.inode, .pid = r->opts.pid, .since_s = r->opts.since_s,
			    .until_s = r->opts.until_s, .until_set = r->opts.until_set },
		.base_ns = r->meta.mono_base_ns, .emit = story_emit, .ctx = r,
	};
	r->ts = &ts;
	if (!r->opts.perfetto)
		return 0;
	r->pf = kht_out_stream(&r->perfetto);
	if (r->pf && !kht_perfetto_json(&r->opts) && !(r->pb = kht_tl_pb_begin(r->pf)))
		r->pf = NULL;
	if (!r->pf) {
		fprintf(stderr, "khugetrace report: cannot write %s: %s.\n", r->opts.perfetto,
			strerror(errno ? errno : ENOMEM));
		kht_out_abort(&r->perfetto);
		return 1;
	}
	if (!r->pb)
		kht_tl_pfjson_begin(&r->pfjson, r->pf);
	return 0;
}

/* The rest of the stories, the -j summary, the Perfetto trace's end. */
static int stream_end(struct report *r)
{
	char err[512];
	int ret = 0, wr = 0;

	if (kht_tls_finish(r->ts)) {
		fprintf(stderr, "khugetrace report: out of memory building the timeline.\n");
		ret = 1;
	}
	if (r->opts.timeline && r->opts.json)
		kht_tl_json_summary(stdout, r->ts->stories_out, r->ts->events_out, r->drops);
	if (!r->pf)
		return ret;
	wr = r->pb ? kht_tl_pb_end(r->pb) : kht_tl_pfjson_end(&r->pfjson);
	r->pb = NULL;
	if (wr < 0 && !ferror(r->pf)) {	/* a write error is the commit's to say */
		fprintf(stderr, "khugetrace report: out of memory writing %s.\n", r->opts.perfetto);
		kht_out_abort(&r->perfetto);
		return 1;
	}
	if (ret || kht_out_commit(&r->perfetto, err, sizeof(err))) {
		if (!ret)
			fprintf(stderr, "khugetrace report: %s\n", err);
		kht_out_abort(&r->perfetto);
		return 1;
	}
	return 0;
}

static int views(struct report *r)
{
	struct kht_tl_filter f = { .ino = r->opts.inode, .pid = r->opts.pid,
				   .since_s = r->opts.since_s, .until_s = r->opts.until_s,
				   .until_set = r->opts.until_set };
	char err[512];
	int ret = 0;

	if (!r->opts.timeline && !r->opts.perfetto && !r->opts.races) {
		kht_collapse_view_summary(&r->view, 0);
		return 0;
	}
	if (r->rs) {
		/* exit like report, not like `races`: the file was read (docs/races.md) */
		if (kht_rs_finish(r->rs)) {
			fprintf(stderr, "khugetrace report: out of memory judging races.\n");
			return 1;
		}
		if (r->opts.json)
			kht_races_print_json_summary(stdout, &r->rs->races);
		else
			kht_races_print_text_summary(stdout, &r->rs->races);
		return 0;
	}
	if (r->ts)
		return stream_end(r);
	if (kht_tl_build(&r->tl, &f, r->meta.mono_base_ns)) {
		fprintf(stderr, "khugetrace report: out of memory building the timeline.\n");
		return 1;
	}
	if (r->opts.races) {
		struct kht_race_opts ro = race_opts(r);
		struct kht_races races;

		if (kht_races_find(&races, &r->tl, r->view.fmt.results, &ro)) {
			fprintf(stderr, "khugetrace report: out of memory judging races.\n");
			return 1;
		}
		if (r->opts.json)
			kht_races_print_json(stdout, &races, &r->view.fmt);
		else
			kht_races_print_text(stdout, &races, &r->view.fmt);
		/* exit like report, not like `races`: the file was read (docs/races.md) */
		kht_races_free(&races);
	}
	if (r->opts.timeline && r->opts.json)
		kht_tl_print_json(stdout, &r->tl, &r->view.fmt, r->drops);
	else if (r->opts.timeline)
		kht_tl_print_text(stdout, &r->tl, &r->view.fmt);
	if (r->opts.perfetto) {
		FILE *f = kht_out_stream(&r->perfetto);
		int wr = !f ? -1 : kht_perfetto_json(&r->opts) ?
			 kht_tl_write_perfetto(f, &r->tl, &r->view.fmt) :
			 kht_tl_write_perfetto_pb(f, &r->tl, &r->view.fmt);

		if (wr < 0 && f && !ferror(f)) {	/* a write error is the commit's to say */
			fprintf(stderr, "khugetrace report: out of memory writing %s.\n",
				r->opts.perfetto);
			kht_out_abort(&r->perfetto);
			ret = 1;
		} else if (!f || kht_out_commit(&r->perfetto, err, sizeof(err))) {
			fprintf(stderr, "khugetrace report: %s\n", f ? err : strerror(errno));
			kht_out_abort(&r->perfetto);
			ret = 1;
		}
	}
	return ret;
}

static void usage(void)
{
	printf("Usage: khugetrace report [FILE | -i FILE] [OPTIONS]\n"
	       "Print a recording of 'khugetrace record' (default " DEFAULT_INPUT "; - is standard\n"
	       "input): collapse lines (default), or the views below, which combine.\n\n"
	       "  -i, --input FILE     the recording to read (or FILE as an operand)\n"
	       "      --timeline       per-inode stories, as 'khugetrace timeline'\n"
	       "      --perfetto OUT   the stories as a Perfetto trace (ui.perfetto.dev) into OUT\n"
	       "      --perfetto-format FMT  proto (default) or json (Chrome trace events;\n"
	       "                       the default for an OUT named *.json)\n"
	       "      --races          the race rules, as 'khugetrace races'\n"
	       "      --spin-us US     --races: report retry spins longer than US (default 0)\n"
	       "  -p, --pid PID        only events of process PID\n"
	       "      --inode INO      only this inode\n"
	       "      --since SEC      only events from SEC seconds after the start\n"
	       "      --until SEC      only events up to SEC seconds after the start\n"
	       "  -c, --count N        the collapse view: the first N lines\n"
	       "  -m, --min-us US      the collapse view: collapses at least US long\n"
	       "  -j, --json           one JSON object per line\n"
	       "  -h, --help           this text\n");
}

/* Options the chosen views would ignore are refused, with why. */
static int check_opts(const struct kht_opts *o, char *err, int errlen)
{
	bool views = o->timeline || o->perfetto || o->races;

	if (kht_opts_only(o, REPORT_OPTS, "report", "it reads a recording, it does not trace",
			  err, errlen))
		return -1;
	if (views && kht_opts_only(o, REPORT_OPTS & ~(KHT_O(COUNT) | KHT_O(MIN_US)),
				   "--timeline, --perfetto or --races",
				   "it applies to the collapse view", err, errlen))
		return -1;
	if (!o->races && kht_opts_only(o, REPORT_OPTS & ~KHT_O(SPIN_US), "report without --races",
				       NULL, err, errlen))
		return -1;
	if (o->nargs > 1 || (o->nargs && o->input)) {
		snprintf(err, errlen, "one recording at a time ('%s' is one too many)",
			 o->args[o->nargs - 1]);
		return -1;
	}
	if (o->perfetto && !strcmp(o->perfetto, "-") && (o->timeline || o->races)) {
		snprintf(err, errlen, "--perfetto - and --timeline/--races would share standard "
			 "output");
		return -1;
	}
	return 0;
}

/*
 * A pipe cannot be seeked (the trailer walk goes to its end, then the
 * records pass starts over): copy it to an unlinked temporary file first.
 */
static int spool_stdin(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char buf[65536], tmp[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {	/* no O_TMPFILE there: an unlinked mkstemp file */
		snprintf(tmp, sizeof(tmp), "%s/khugetrace-stdin.XXXXXX", dir);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0)
			return -1;
		unlink(tmp);
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, n) != n) {
			n = errno ? errno : EIO;
			close(fd);
			errno = n;
			return -1;
		}
	}
	return fd;
}

/* The recording, by name or "-"; NULL and the sentence printed on failure. */
static struct kht_tf_reader *open_input(struct report *r)
{
	struct kht_tf_reader *rd;
	char err[512];
	int fd;

	if (strcmp(r->path, "-")) {
		/* O_NONBLOCK: opening a FIFO must not hang before the reader can refuse it */
		fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			fprintf(stderr, "khugetrace report: cannot open %s: %s.\n", r->path,
				strerror(errno));
			return NULL;
		}
	} else if ((fd = spool_stdin()) < 0) {
		fprintf(stderr, "khugetrace report: cannot read standard input: %s.\n",
			strerror(errno));
		return NULL;
	}
	r->fd2 = r->opts.races && !r->opts.timeline && !r->opts.perfetto ?
		 fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	rd = kht_tf_open_fd(fd, strcmp(r->path, "-") ? r->path : "standard input", &r->meta,
			    err, sizeof(err));
	if (!rd)
		fprintf(stderr, "khugetrace report: %s\n", err);
	return rd;
}

/* --perfetto - or /dev/stdout: the "#" header must not go into the trace */
static bool perfetto_on_stdout(const struct report *r)
{
	struct stat a, b;

	return r->opts.perfetto && !fstat(r->perfetto.fd, &a) && !fstat(STDOUT_FILENO, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* -m needs durations: a recording whose collapse mode saw only the end has none. */
static bool has_durations(const struct kht_tf_meta *m)
{
	for (int i = 0; i < m->nhooks; i++)
		if (!strcmp(m->hooks[i].hook, "collapse"))
			return !strcmp(m->hooks[i].mode, "fentry") ||
			       !strcmp(m->hooks[i].mode, "kprobe");
	return false;
}

int cmd_report(int argc, char **argv)
{
	static struct report r;
	struct kht_tf_reader *rd;
	struct kht_tf_stats st;
	const void *data;
	unsigned type, len;
	char err[512];
	int n, ret;

	if (kht_parse_opts_ex(argc, argv, KHT_OPTS_OPERANDS | KHT_OPTS_I_INPUT, &r.opts, err,
			      sizeof(err)) || check_opts(&r.opts, err, sizeof(err))) {
		fprintf(stderr, "khugetrace report: %s (see --help).\n", err);
		return 2;
	}
	if (r.opts.help) {
		usage();
		return 0;
	}
	r.fd2 = -1;
	r.path = r.opts.input ? r.opts.input : r.opts.nargs ? r.opts.args[0] : DEFAULT_INPUT;
	rd = open_input(&r);
	if (!rd)
		return 1;
	if (r.opts.min_us && !has_durations(&r.meta)) {
		fprintf(stderr, "khugetrace report: -m/--min-us needs collapse durations, and %s was "
			"recorded in a mode that has none (see the header).\n", r.path);
		kht_tf_free(rd);
		return 2;
	}
	/* before anything is written: refuses to overwrite the recording being read */
	if (r.opts.perfetto && kht_out_open(&r.perfetto, r.opts.perfetto, 0,
					    (const char *[]){ r.path }, 1, err, sizeof(err))) {
		fprintf(stderr, "khugetrace report: %s\n", err);
		kht_tf_free(rd);
		return 1;
	}
	if (r.opts.perfetto && !kht_perfetto_json(&r.opts) && isatty(r.perfetto.fd)) {
		fprintf(stderr, "khugetrace report: the Perfetto trace is binary and is not written "
			"to a terminal: name a file, or use --perfetto-format json.\n");
		kht_out_abort(&r.perfetto);
		kht_tf_free(rd);
		return 2;
	}
	/*
	 * Nothing is written to stdout yet. Redirected, a report can be
	 * millions of lines: a 1 MiB buffer, not stdio's st_blksize (one
	 * write(2) per 4 KiB to /dev/null or a pipe). A terminal keeps its line buffering.
	 */
	if (!isatty(STDOUT_FILENO)) {
		static char outbuf[1 << 20];

		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	}
	r.info = r.opts.json || perfetto_on_stdout(&r) ? stderr : stdout;
	r.view = (struct kht_collapse_view){ .opts = &r.opts, .out = stdout, .batch = true };
	r.view.fmt.results = kht_tf_meta_enum(&r.meta, "scan_result");
	r.view.fmt.base_ns = r.meta.mono_base_ns;
	print_header(&r, rd);
	if (!r.opts.timeline && !r.opts.perfetto && !r.opts.races)
		kht_collapse_view_header(&r.view);
	if (r.opts.races && !r.opts.timeline && !r.opts.perfetto) {
		static struct kht_races_stream rs;
		static struct kht_rs_spans spans;

		rs = (struct kht_races_stream){
			.results = r.view.fmt.results, .opts = race_opts(&r),
			.filter = { .ino = r.opts.inode, .pid = r.opts.pid, .since_s = r.opts.since_s,
				    .until_s = r.opts.until_s, .until_set = r.opts.until_set },
			.base_ns = r.meta.mono_base_ns, .epoch_events = kht_rs_epoch_from_env(),
			.emit = races_emit, .ctx = &r,
		};
		r.rs = &rs;
		races_first_pass(&r, &spans);
	} else if ((r.opts.timeline || r.opts.perfetto) && !r.opts.races && stream_begin(&r)) {
		kht_tf_free(rd);
		return 1;
	}
	while ((n = kht_tf_next(rd, &type, &data, &len)) == 1)
		if (!add_record(&r, type, data, len))
			break;	/* -c reached: the rest of the file is not read */
	kht_tf_stats(rd, &st);
	ret = views(&r);
	if (n < 0) {
		fprintf(stderr, "khugetrace report: reading %s failed: %s\n", r.path, kht_tf_error(rd));
		ret = 1;
	}
	print_losses(&st, r.path);
	if (r.unknown)
		fprintf(stderr, "khugetrace report: %llu records of kinds this version does not "
			"know were skipped.\n", r.unknown);
	if (r.undecodable)
		fprintf(stderr, "khugetrace report: %llu records were damaged inside a checked "
			"block and could not be decoded: skipped.\n", r.undecodable);
	kht_tl_free(&r.tl);
	if (r.rs) {
		if (r.rs->spans)
			kht_rs_spans_free((struct kht_rs_spans *)r.rs->spans);
		kht_rs_free(r.rs);
	}
	if (r.fd2 >= 0)
		close(r.fd2);
	if (r.ts)
		kht_tls_free(r.ts);
	kht_tf_free(rd);
	return ret;
}
