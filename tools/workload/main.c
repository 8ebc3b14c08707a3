// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace-workload: the command line, the scenario table, the start and
 * summary records. The scenarios live in the other files of tools/workload/
 * by family (workload.h).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include "workload.h"

/* The Makefile passes -DKHT_VERSION="$(VERSION)" (git describe, or its fallback). */
#ifndef KHT_VERSION
#define KHT_VERSION "unknown"
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC	0x01021994
#endif

struct scenario {
	const char *name;
	void (*run)(void);
	/* its own part of the summary line (optional) */
	void (*summary)(char *buf, size_t len);
	/* huge= of the private tmpfs whatever --huge says (optional) */
	const char *huge;
	/* the tmpfs size in MiB (optional; default 256) */
	long (*tmpfs_mb)(void);
	/* runs on a regular filesystem: the default -d (optional) */
	const char *dir;
	long log_seeks;		/* default --log-seeks */
};

static void run_uffd(void)
{
	run_uffd_missing(false);
}

static void run_mixed(void)
{
	run_full();
	run_holes();
	run_uffd_missing(true);
}

static const struct scenario scenarios[] = {
	{ "collapse-full", run_full },
	{ "collapse-holes", run_holes },
	/* khugepaged only considers huge=advise mounts for VM_HUGEPAGE VMAs. */
	{ "khugepaged", run_khugepaged, .huge = "advise" },
	{ "seek-storm", run_seek_storm },
	{ "uffd-missing", run_uffd },
	{ "mixed", run_mixed },
	{ "uffd-modes", run_uffd_modes },
	{ "uffd-continue", run_uffd_continue },
	{ "mincore-loop", run_mincore_loop },
	{ "timeline", run_timeline },
	{ "random", run_random, random_summary, .log_seeks = 2000 },
	{ "uffd-fault", run_uffd_fault },
	{ "vmhost", run_vmhost, vmhost_summary, .huge = "advise" },
	{ "sparse-copy", run_sparse_copy, sparse_copy_summary, .tmpfs_mb = sparse_copy_tmpfs_mb },
	{ "file-collapse", run_file_collapse, .dir = FC_DEFAULT_DIR, .log_seeks = 200 },
	{ "seek-migrate", run_seek_migrate },
};

/* Reads the "[selected]" word of a sysfs THP knob, or "-" if absent. */
static void sysfs_choice(const char *path, char *out, size_t len)
{
	char buf[256], *l, *r;
	FILE *fp = fopen(path, "re");

	snprintf(out, len, "-");
	if (!fp)
		return;
	if (fgets(buf, sizeof(buf), fp)) {
		l = strchr(buf, '[');
		r = l ? strchr(l, ']') : NULL;
		if (l && r) {
			*r = 0;
			if (strlen(l + 1) < len)
				strcpy(out, l + 1);
		}
	}
	fclose(fp);
}

static void wait_for_file(const char *path)
{
	uint64_t deadline = now_ns() + 30 * 1000000000ULL;

	vlog("waiting for %s", path);
	while (access(path, F_OK)) {
		if (now_ns() >= deadline)
			die(EXIT_ENV, "timed out after 30 s waiting for %s to exist", path);
		sleep_ms(10);
	}
}

static void print_thp(const char *huge)
{
	sysfs_choice(THP_DIR "/enabled", wl.thp.en, sizeof(wl.thp.en));
	sysfs_choice(THP_DIR "/shmem_enabled", wl.thp.sh, sizeof(wl.thp.sh));
	sysfs_choice(THP_DIR "/hugepages-2048kB/enabled", wl.thp.en2, sizeof(wl.thp.en2));
	sysfs_choice(THP_DIR "/hugepages-2048kB/shmem_enabled", wl.thp.sh2, sizeof(wl.thp.sh2));
	emit("thp enabled=%s shmem_enabled=%s enabled_2m=%s shmem_enabled_2m=%s tmpfs_huge=%s",
	     wl.thp.en, wl.thp.sh, wl.thp.en2, wl.thp.sh2, wl.opt.dir ? "-" : huge);
}

static void print_summary(const struct scenario *sc)
{
	char buf[1024], extra[512] = "";
	int n = 0, e;

	for (e = 0; e < ERRNO_SLOTS && n < (int)sizeof(buf) - 64; e++)
		if (wl.st.err[e])
			n += snprintf(buf + n, sizeof(buf) - n, " err_%s=%ld",
				      errno_name(e), wl.st.err[e]);
	buf[n] = 0;
	if (sc->summary)
		sc->summary(extra, sizeof(extra));
	emit("summary scenario=%s files=%ld collapses=%ld collapsed=%ld ret_ok=%ld%s khugepaged_chunks=%ld khugepaged_collapsed=%ld seeks=%ld anomalies=%ld uffd_skipped=%ld%s",
	     sc->name, wl.st.files, wl.st.collapses, wl.st.collapsed, wl.st.ret_ok, buf,
	     wl.st.kh_chunks, wl.st.kh_collapsed, wl.st.seeks, wl.st.anomalies, wl.st.uffd_skipped,
	     extra);
}

static void usage(FILE *fp)
{
	fprintf(fp,
"Usage: %s [options] SCENARIO\n"
"Drive collapse_file() on a private tmpfs and print key=value records.\n"
"Scenarios: collapse-full collapse-holes khugepaged seek-storm uffd-missing mixed\n"
"           uffd-modes uffd-continue mincore-loop timeline random uffd-fault\n"
"           vmhost sparse-copy file-collapse seek-migrate\n"
"  -n COUNT           number of 2 MiB chunks (1..%d; default per scenario;\n"
"                     vmhost 16, sparse-copy 64)\n"
"  -d DIR             use existing DIR instead of a private tmpfs (debugging;\n"
"                     file-collapse: a regular filesystem, default " FC_DEFAULT_DIR ")\n"
"      --huge=MODE    tmpfs huge= option: never (default) or advise\n"
"  -s SECONDS         duration of khugepaged (30), seek-storm (3), random (5),\n"
"                     vmhost (10), sparse-copy (10);\n"
"                     mincore-loop: run a mincore thread that long (default off)\n"
"      --log-seeks N  seek-storm, file-collapse: print the first N seeks as\n"
"                     seek-op lines (file-collapse: default 200)\n"
"                     (random: default 2000)\n"
"      --seed N       random, vmhost, sparse-copy: PRNG seed, 0..2^64-1 (default 1)\n"
"      --cp PATH      sparse-copy: the copier (default /bin/cp, or\n"
"                     " CPY_LIBEXEC_CP " when /bin/cp is busybox)\n"
"      --wait-file P  after the start line, wait up to 30 s for P to exist\n"
"  -v                 verbose progress on stderr\n"
"  -h, --help         this help\n"
"      --version      print the version\n"
"Exit: 0 ran, 1 scenario failed to run, 2 usage or environment error.\n",
		wl_prog, MAX_CHUNKS);
}

static int parse_int(const char *s, int lo, int hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: %s must be an integer in %d..%d, not '%s'\n",
			wl_prog, what, lo, hi, s);
		usage(stderr);
		exit(EXIT_ENV);
	}
	return (int)v;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "%s: %s must be an unsigned 64-bit integer, not '%s'\n",
			wl_prog, what, s);
		usage(stderr);
		exit(EXIT_ENV);
	}
	return v;
}

static const struct scenario *parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "huge", required_argument, NULL, 'H' },
		{ "wait-file", required_argument, NULL, 'w' },
		{ "log-seeks", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 'S' },
		{ "cp", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "n:d:s:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': wl.opt.n = parse_int(optarg, 1, MAX_CHUNKS, "-n"); break;
		case 's': wl.opt.seconds = parse_int(optarg, 1, 3600, "-s"); break;
		case 'd': wl.opt.dir = optarg; break;
		case 'w': wl.opt.wait_file = optarg; break;
		case 'L':
			wl.opt.log_seeks = parse_int(optarg, 0, INT_MAX, "--log-seeks");
			wl.opt.log_seeks_set = true;
			break;
		case 'S': wl.opt.seed = parse_u64(optarg, "--seed"); break;
		case 'C': wl.opt.cp = optarg; break;
		case 'v': wl.opt.verbose = true; break;
		case 'H':
			if (strcmp(optarg, "never") && strcmp(optarg, "advise")) {
				fprintf(stderr, "%s: --huge must be never or advise\n", wl_prog);
				usage(stderr);
				exit(EXIT_ENV);
			}
			wl.opt.huge = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("%s %s\n", wl_prog, KHT_VERSION); exit(0);
		default: usage(stderr); exit(EXIT_ENV);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: exactly one SCENARIO is required\n", wl_prog);
		usage(stderr);
		exit(EXIT_ENV);
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(argv[optind], scenarios[i].name))
			return &scenarios[i];
	fprintf(stderr, "%s: unknown scenario '%s'\n", wl_prog, argv[optind]);
	usage(stderr);
	exit(EXIT_ENV);
}

int main(int argc, char **argv)
{
	const struct scenario *sc = parse_args(argc, argv);
	const char *huge = sc->huge ? sc->huge : wl.opt.huge;
	struct stat sb;
	struct statfs sf;
	struct utsname u;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: must run as root (it mounts a private tmpfs and tunes khugepaged).\n", wl_prog);
		return EXIT_ENV;
	}
	install_signals();
	if (!wl.opt.dir)
		wl.opt.dir = sc->dir;
	if (!wl.opt.log_seeks_set)
		wl.opt.log_seeks = sc->log_seeks;
	if (wl.opt.dir) {
		if (stat(wl.opt.dir, &sb) || !S_ISDIR(sb.st_mode) || strlen(wl.opt.dir) > 200)
			die(EXIT_ENV, "-d %s is not an existing directory with a short path", wl.opt.dir);
		if (statfs(wl.opt.dir, &sf) == 0 && sf.f_type != TMPFS_MAGIC && !sc->dir)
			fprintf(stderr, "%s: %s is not on tmpfs; collapse_file() of shmem will not be exercised\n",
				wl_prog, wl.opt.dir);
		snprintf(wl.tmpfs.dir, sizeof(wl.tmpfs.dir), "%s", wl.opt.dir);
	} else {
		setup_tmpfs(huge, sc->tmpfs_mb ? sc->tmpfs_mb() : 256);
	}
	uname(&u);
	emit("start scenario=%s pid=%d tmpfs=%s kernel=%s", sc->name,
	     (int)getpid(), wl.tmpfs.dir, u.release);
	print_thp(huge);
	if (wl.opt.wait_file)
		wait_for_file(wl.opt.wait_file);

	sc->run();
	print_summary(sc);
	cleanup();
	return 0;
}

