// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace: observe THP collapse of shmem/file page cache.
 * One binary, perf-style subcommands; see docs/architecture.md.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "lib/options.h"

/* The Makefile passes -DKHT_VERSION="$(VERSION)" (git describe, or its fallback). */
#ifndef KHT_VERSION
#define KHT_VERSION "unknown"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "probe", cmd_probe, "what this kernel allows: hooks, attach modes, features" },
	{ "collapse", cmd_collapse, "one line per collapse_file() call (khugepaged, MADV_COLLAPSE)" },
	{ "timeline", cmd_timeline, "per-inode stories: collapses, userfaultfd, seeks, mincore" },
	{ "races", cmd_races, "detect the seed races: uffd-missing-fill, seek-transient-hole, ..." },
	{ "check-kernel", cmd_check_kernel, "does this kernel have the seed bugs? (exit 0/1/2)" },
	{ "record", cmd_record, "record every event into a compressed file (-o FILE)" },
	{ "report", cmd_report, "print a recording: collapse lines, --timeline, --perfetto" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: khugetrace COMMAND [OPTIONS]\n\nCommands:\n");
	for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s  %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nOptions:\n"
		"  -h, --help     this text\n"
		"  -V, --version  print the version (also 'khugetrace COMMAND --version')\n"
		"\n'khugetrace COMMAND --help' describes a command's options.\n");
}

int kht_cmd_opts(int argc, char **argv, const char *cmd, unsigned long long allowed,
		 const char *refused_why, struct kht_opts *o, void (*usage)(void))
{
	char err[512];

	if (kht_parse_opts_ex(argc, argv, KHT_OPTS_COMMAND, o, err, sizeof(err)) ||
	    kht_opts_only(o, allowed, cmd, refused_why, err, sizeof(err))) {
		fprintf(stderr, "khugetrace %s: %s (see --help).\n", cmd, err);
		return 2;
	}
	if (o->help) {
		usage();
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("khugetrace %s\n", KHT_VERSION);
		return 0;
	}
	for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		/* COMMAND --version, anywhere before "--": the commands' parsers need not know it */
		for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (!strcmp(argv[a], "--version")) {
				printf("khugetrace %s\n", KHT_VERSION);
				return 0;
			}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "khugetrace: unknown command '%s' (see khugetrace --help).\n", argv[1]);
	return 2;
}
