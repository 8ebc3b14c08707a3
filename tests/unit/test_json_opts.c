// SPDX-License-Identifier: GPL-2.0
/* The JSON validator itself, option parsing, /proc/PID/maps resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kht_test.h"
#include "lib/json.h"
#include "lib/options.h"
#include "lib/procmaps.h"

#define VALID(s) kht_json_valid(s, strlen(s))

TEST(json_validator_accepts)
{
	CHECK(VALID("{}"));
	CHECK(VALID(" {\"a\":[1,2.5,-3e4,true,false,null,\"x\\u00e9\"]} "));
	CHECK(VALID("[[],{}]"));
	CHECK(VALID("0"));
}

TEST(json_validator_rejects)
{
	CHECK(!VALID(""));
	CHECK(!VALID("{"));
	CHECK(!VALID("{\"a\":1,}"));
	CHECK(!VALID("{\"a\" 1}"));
	CHECK(!VALID("[01]"));
	CHECK(!VALID("\"\x01\""));
	CHECK(!VALID("\"\\x\""));
	CHECK(!VALID("{} {}"));
	CHECK(!VALID("nul"));
	char deep[200];

	memset(deep, '[', sizeof(deep));
	CHECK(!kht_json_valid(deep, sizeof(deep)));	/* depth bound, no stack blowup */
}

static int parse(struct kht_opts *o, char *err, const char *a0, const char *a1, const char *a2,
		 const char *a3)
{
	char *argv[] = { (char *)"collapse", (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	return kht_parse_opts(argc, argv, o, err, 200);
}

TEST(opts_good)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse(&o, err, "-p", "123", "--inode=77", "-j") == 0);
	CHECK(o.pid == 123 && o.inode == 77 && o.json && !o.verbose);
	CHECK(parse(&o, err, "--attach", "tp_btf", "--min-us", "50") == 0);
	CHECK(o.attach == KHT_MODE_TP_BTF && o.min_us == 50);
	CHECK(parse(&o, err, "-d", "1.5", "-c", "3") == 0);
	CHECK(o.duration_s == 1.5 && o.count == 3);
	CHECK(parse(&o, err, "-a", "auto", NULL, NULL) == 0 && o.attach == KHT_MODE_NONE);
	CHECK(parse(&o, err, "-h", NULL, NULL, NULL) == 0 && o.help);
}

TEST(opts_bad_input_gets_a_sentence)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse(&o, err, "-p", "abc", NULL, NULL) == -1);
	CHECK_CONTAINS(err, "invalid PID 'abc'");
	CHECK(parse(&o, err, "-p", "0", NULL, NULL) == -1);
	CHECK(parse(&o, err, "-p", "-5", NULL, NULL) == -1);
	CHECK(parse(&o, err, "-p", "99999999999999999999", NULL, NULL) == -1);
	CHECK(parse(&o, err, "--attach", "uprobe", NULL, NULL) == -1);
	CHECK_CONTAINS(err, "unknown attach mode 'uprobe'");
	CHECK(parse(&o, err, "--bogus", NULL, NULL, NULL) == -1);
	CHECK_CONTAINS(err, "unknown option '--bogus'");
	CHECK(parse(&o, err, "-p", NULL, NULL, NULL) == -1);
	CHECK_CONTAINS(err, "needs a value");
	CHECK(parse(&o, err, "-d", "0", NULL, NULL) == -1);
	CHECK(parse(&o, err, "-d", "soon", NULL, NULL) == -1);
	CHECK(parse(&o, err, "--min-us", "1x", NULL, NULL) == -1);
	CHECK(parse(&o, err, "stray", NULL, NULL, NULL) == -1);
	CHECK_CONTAINS(err, "unexpected argument 'stray'");
}

TEST(procmaps_resolves_file_index)
{
	char path[] = "/tmp/kht-maps-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	unsigned long long idx = 0, ino = 0;

	fprintf(f, "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/x\n"
		   "7f0000000000-7f0000400000 rw-s 00200000 00:27 12345     /tmp/t/data\n"
		   "7f0000600000-7f0000800000 rw-p 00000000 00:00 0 \n");
	fclose(f);
	CHECK(kht_maps_index(path, 0x7f0000200000ULL, &idx, &ino));
	CHECK(idx == 512 + 512 && ino == 12345);
	CHECK(!kht_maps_index(path, 0x7f0000600000ULL, &idx, &ino));	/* anonymous */
	CHECK(!kht_maps_index(path, 0x1000, &idx, &ino));
	CHECK(!kht_maps_index("/nonexistent/maps", 0x1000, &idx, &ino));
	unlink(path);
}
