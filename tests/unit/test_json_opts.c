// SPDX-License-Identifier: GPL-2.0
/* The JSON validator itself, option parsing, /proc/PID/maps resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kht_test.h"
#include "lib/event_fmt.h"
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

/* The integer formatters print what printf prints: kht_buf_rel_s against "%+.*f" of kht_rel_s. */
static bool rel_same(unsigned long long ts, unsigned long long base, int dec, bool plus)
{
	char want[64], got[64];
	struct kht_buf b;

	snprintf(want, sizeof(want), plus ? "%+.*f" : "%.*f", dec, kht_rel_s(ts, base));
	kht_buf_init(&b, got, sizeof(got));
	kht_buf_rel_s(&b, ts, base, dec, plus);
	if (strcmp(want, got))
		fprintf(stderr, "  rel_s(%llu, %llu, %d): printf %s, ours %s\n", ts, base, dec, want, got);
	return !strcmp(want, got);
}

TEST(buf_numbers_match_printf)
{
	static const long long ints[] = { 0, 1, -1, 9, 10, -10, 4096, 1LL << 40, -(1LL << 40),
					  9223372036854775807LL, -9223372036854775807LL - 1 };
	unsigned long long base = 5000000000ULL, seed = 42, bad = 0;
	char want[64], got[64];
	struct kht_buf b;

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		snprintf(want, sizeof(want), "%lld|%llu", ints[i], (unsigned long long)ints[i]);
		kht_buf_init(&b, got, sizeof(got));
		kht_buf_i64(&b, ints[i]);
		kht_buf_str(&b, "|");
		kht_buf_u64(&b, (unsigned long long)ints[i]);
		CHECK_STR(got, want);
	}
	/* around every rounding boundary (ties included), both signs, near and far */
	for (int dec = 1; dec <= 9; dec++)
		for (long long k = 0; k < 2000; k++) {
			unsigned long long unit = 1, x;

			for (int i = dec; i < 9; i++)
				unit *= 10;
			x = k * unit + unit / 2;
			for (int d = -2; d <= 2; d++) {
				bad += !rel_same(base + x + d, base, dec, true);
				bad += !rel_same(base - x - d, base, dec, true);
				bad += !rel_same(base + x + d, base, dec, false);
			}
		}
	for (int i = 0; i < 200000; i++) {
		unsigned long long x;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		x = (seed >> 11) >> (seed % 40);	/* every magnitude, up to 2^53 ns */
		bad += !rel_same(base + x, base, 6, true) + !rel_same(x, x + base, 3, false);
	}
	/* exact binary ties (0.25 s, 0.0078125 s, ...): printf rounds them to even */
	static const struct { unsigned long long x; int dec; } ties[] = {
		{ 250000000, 1 }, { 750000000, 1 }, { 125000000, 2 }, { 375000000, 2 },
		{ 62500000, 3 }, { 7812500, 6 }, { 1007812500, 6 }, { 3007812500ULL, 6 },
	};
	for (size_t i = 0; i < sizeof(ties) / sizeof(ties[0]); i++)
		bad += !rel_same(base + ties[i].x, base, ties[i].dec, true) +
		       !rel_same(base - ties[i].x, base, ties[i].dec, false);
	/* past 2^20 s: printf's own answer */
	bad += !rel_same(base + (1ULL << 20) * 1000000000ULL + 123456789, base, 6, true);
	bad += !rel_same(~0ULL, 0, 6, true);
	CHECK(bad == 0);
	/* all or nothing, as kht_buf_printf */
	kht_buf_init(&b, got, 6);
	kht_buf_rel_s(&b, base + 1234567890123ULL, base, 6, true);
	CHECK(b.overflow && got[0] == '\0');
}

/* kht_buf_u64 and kht_buf_i64 of v (the same bits) against printf's %llu and %lld */
static bool ints_same(unsigned long long v)
{
	char want[64], got[64];
	struct kht_buf b;

	snprintf(want, sizeof(want), "%llu|%lld|", v, (long long)v);
	kht_buf_init(&b, got, sizeof(got));
	kht_buf_u64(&b, v);
	kht_buf_put(&b, "|", 1);
	kht_buf_i64(&b, (long long)v);
	kht_buf_put(&b, "|", 1);
	if (strcmp(want, got))
		fprintf(stderr, "  %%llu|%%lld| of %llu: printf %s, ours %s\n", v, want, got);
	return !strcmp(want, got);
}

/*
 * The digits are written 8 at a time (put8): every digit count, the edges
 * of each 8-digit chunk (a chunk of zeros, of nines), every bit length, and
 * random values of every magnitude, both signs.
 */
TEST(buf_ints_match_printf_everywhere)
{
	unsigned long long p = 1, seed = 7, bad = 0;
	char got[24];
	struct kht_buf b;

	for (int k = 0; k <= 19; k++, p *= 10)
		for (long long d = -3; d <= 3; d++) {
			bad += !ints_same(p + d) + !ints_same(-(p + d));
			bad += !ints_same(p * 7 + d) + !ints_same(p * 9 + d);
		}
	for (unsigned long long c = 100000000ULL; c; c = c < 100000000ULL * 100000000ULL ? c * 100000000ULL : 0)
		for (unsigned long long k = 1; k < 10; k++)
			bad += !ints_same(k * c) + !ints_same(k * c - 1) + !ints_same(k * c + 1) +
			       !ints_same(k * c + c / 2) + !ints_same(k * c + 10000);
	for (int k = 0; k < 64; k++)
		for (long long d = -1; d <= 1; d++)
			bad += !ints_same((1ULL << k) + d);
	for (int i = 0; i < 2000000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		bad += !ints_same(seed >> (seed % 61));
	}
	CHECK(bad == 0);
	/* all or nothing: 20 digits and the NUL need 21 bytes */
	kht_buf_init(&b, got, 20);
	kht_buf_u64(&b, ~0ULL);
	CHECK(b.overflow && got[0] == '\0');
	kht_buf_init(&b, got, 21);
	kht_buf_u64(&b, ~0ULL);
	CHECK_STR(got, "18446744073709551615");
	kht_buf_init(&b, got, 21);
	kht_buf_i64(&b, -9223372036854775807LL - 1);
	CHECK_STR(got, "-9223372036854775808");
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
	/* the production profile's two ways out, each its own flag and its own bit */
	CHECK(parse(&o, err, "--all-writes", NULL, NULL, NULL) == 0 && o.all_writes && !o.all_seeks);
	CHECK(kht_opts_only(&o, KHT_O(ALL_SEEKS), "races", NULL, err, 200) == -1);
	CHECK_STR(err, "--all-writes does not apply to races");
	CHECK(parse(&o, err, "--all-seeks", NULL, NULL, NULL) == 0 && o.all_seeks && !o.all_writes);
	CHECK(kht_opts_only(&o, KHT_O(ALL_WRITES), "races", NULL, err, 200) == -1);
	CHECK_STR(err, "--all-seeks does not apply to races");
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

static int parse_report(struct kht_opts *o, char *err, const char *a0, const char *a1,
			const char *a2)
{
	char *argv[] = { (char *)"report", (char *)a0, (char *)a1, (char *)a2, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	return kht_parse_opts_ex(argc, argv, KHT_OPTS_OPERANDS | KHT_OPTS_I_INPUT, o, err, 200);
}

/* perf and GNU tools: options before or after the operand */
TEST(opts_operands_anywhere)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse_report(&o, err, "-j", "rec.kht", NULL) == 0);
	CHECK(o.json && o.nargs == 1 && !strcmp(o.args[0], "rec.kht"));
	CHECK(parse_report(&o, err, "rec.kht", "-j", NULL) == 0);
	CHECK(o.json && o.nargs == 1 && !strcmp(o.args[0], "rec.kht"));
	CHECK(parse_report(&o, err, "-i", "in.kht", "--inode=5") == 0);
	CHECK(o.input && !strcmp(o.input, "in.kht") && o.inode == 5 && o.nargs == 0);
	CHECK(parse_report(&o, err, "--", "-weird-name", NULL) == 0);
	CHECK(o.nargs == 1 && !strcmp(o.args[0], "-weird-name"));
}

/* --until 0 is "until 0 s", told apart from no --until */
TEST(opts_window_explicit_zero)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse_report(&o, err, "--until", "0", NULL) == 0);
	CHECK(o.until_set && o.until_s == 0 && !o.since_set);
	CHECK(parse_report(&o, err, NULL, NULL, NULL) == 0);
	CHECK(!o.until_set && !o.since_set);
	CHECK(parse_report(&o, err, "--since", "2", "--until=0") == -1);
	CHECK_CONTAINS(err, "--until must not be before --since");
}

/* -d inf / huge: forever (was an undefined double->integer conversion); NaN, <0 refused */
TEST(opts_duration_forever)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse(&o, err, "-d", "inf", NULL, NULL) == 0);
	CHECK(kht_deadline_ns(1000, o.duration_s) == 0);
	CHECK(parse(&o, err, "-d", "99999999999999", NULL, NULL) == 0);
	CHECK(kht_deadline_ns(1000, o.duration_s) == 0);
	CHECK(parse(&o, err, "-d", "1e999", NULL, NULL) == 0);
	CHECK(kht_deadline_ns(1000, o.duration_s) == 0);
	CHECK(kht_deadline_ns(1000, 1.5) == 1000 + 1500000000ULL);
	CHECK(kht_deadline_ns(1000, 0) == 0);
	CHECK(parse(&o, err, "-d", "nan", NULL, NULL) == -1);
	CHECK_CONTAINS(err, "invalid duration 'nan'");
	CHECK(parse(&o, err, "-d", "-inf", NULL, NULL) == -1);
}

/* an option a command would ignore is named in one sentence */
TEST(opts_refuse_ignored)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse(&o, err, "-j", "--spin-us", "3", NULL) == 0);
	CHECK(kht_opts_only(&o, KHT_O(JSON) | KHT_O(SPIN_US), "races", NULL, err, 200) == 0);
	CHECK(kht_opts_only(&o, KHT_O(SPIN_US), "record", "it stores events", err, 200) == -1);
	CHECK_STR(err, "-j/--json does not apply to record: it stores events");
	CHECK(kht_opts_only(&o, KHT_O(JSON), "collapse", NULL, err, 200) == -1);
	CHECK_STR(err, "--spin-us does not apply to collapse");
	CHECK(parse_report(&o, err, "-i", "x", NULL) == 0);
	CHECK(kht_opts_only(&o, KHT_O(INODE), "report", NULL, err, 200) == -1);
	CHECK_CONTAINS(err, "--input does not apply");
}

/* --comm, --tid, --cgroup: the task filters every BPF object applies */
TEST(opts_task_filters)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse(&o, err, "--comm", "khugepaged", "-t", "42") == 0);
	CHECK_STR(o.comm, "khugepaged");
	CHECK(o.tid == 42 && o.cgroup_id == 0);
	CHECK(o.seen & KHT_O(COMM) && o.seen & KHT_O(TID));
	/* the kernel keeps 15 bytes of a name: longer ones match on those */
	CHECK(parse(&o, err, "--comm=khugetrace-workload", NULL, NULL, NULL) == 0);
	CHECK_STR(o.comm, "khugetrace-work");
	CHECK(parse(&o, err, "--comm", "", NULL, NULL) == -1);
	CHECK(parse(&o, err, "--tid", "0", NULL, NULL) == -1);
	CHECK_CONTAINS(err, "invalid TID '0'");
	CHECK(parse(&o, err, "-t", "x1", NULL, NULL) == -1);
	CHECK(parse(&o, err, "--cgroup", "/no/such/kht-cgroup", NULL, NULL) == -1);
	CHECK_CONTAINS(err, "invalid --cgroup '/no/such/kht-cgroup'");
	CHECK(parse(&o, err, "-G", "", NULL, NULL) == -1);
	CHECK(parse(&o, err, "--comm", "x", NULL, NULL) == 0);
	CHECK(kht_opts_only(&o, KHT_O(PID), "report", NULL, err, 200) == -1);
	CHECK_STR(err, "--comm does not apply to report");
}

/* the root cgroup: its id is 1 wherever cgroup v2 is mounted (skipped elsewhere) */
TEST(opts_cgroup_root_id)
{
	struct kht_opts o;
	char err[200];
	unsigned long long id;

	if (kht_cgroup_id("/", &id, err, sizeof(err)))
		return;	/* no cgroup2 mount here */
	CHECK(id == 1);
	CHECK(parse(&o, err, "--cgroup", "/", NULL, NULL) == 0);
	CHECK(o.cgroup_id == 1);
}

/* record -- CMD ARGS: options end at the command; its options are its own */
TEST(opts_command_operands)
{
	char *argv[] = { "record", "-o", "x.kht", "prog", "-p", "7", "--json", NULL };
	char *argv2[] = { "collapse", "-j", "--", "-weird", "-d", NULL };
	struct kht_opts o;
	char err[200];

	CHECK(kht_parse_opts_ex(7, argv, KHT_OPTS_COMMAND, &o, err, 200) == 0);
	CHECK_STR(o.output, "x.kht");
	CHECK(o.pid == 0 && !o.json);
	CHECK(o.nargs == 4 && !strcmp(o.args[0], "prog") && !strcmp(o.args[3], "--json"));
	CHECK(kht_parse_opts_ex(5, argv2, KHT_OPTS_COMMAND, &o, err, 200) == 0);
	CHECK(o.json && o.duration_s == 0);
	CHECK(o.nargs == 2 && !strcmp(o.args[0], "-weird"));
	/* without the flag a stray operand stays an error */
	CHECK(kht_parse_opts(7, argv, &o, err, 200) == -1);
}

/* -v: warnings; -vv (or -v -v): every libbpf message */
TEST(opts_verbose_levels)
{
	struct kht_opts o;
	char err[200];

	CHECK(parse(&o, err, "-v", NULL, NULL, NULL) == 0 && o.verbose == 1);
	CHECK(parse(&o, err, "-vv", NULL, NULL, NULL) == 0 && o.verbose == 2);
	CHECK(parse(&o, err, "-v", "--verbose", NULL, NULL) == 0 && o.verbose == 2);
	CHECK(parse(&o, err, "-j", NULL, NULL, NULL) == 0 && o.verbose == 0);
}

/* The writer's tokens: escapes, integers at both ends, all-or-nothing at the end of the buffer. */
TEST(json_writer_tokens)
{
	struct kht_buf b;
	char buf[128], tiny[11];

	kht_buf_init(&b, buf, sizeof(buf));
	kht_json_begin(&b);
	kht_json_str(&b, "s", "a\"b\\c\n\x01\xe9z");
	kht_json_u64(&b, "max", ~0ULL);
	kht_json_u64(&b, "zero", 0);
	kht_json_bool(&b, "t", true);
	kht_json_null(&b, "n");
	kht_json_end(&b);
	CHECK(!b.overflow);
	CHECK_STR(buf, "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u00e9z\",\"max\":18446744073709551615,"
		  "\"zero\":0,\"t\":true,\"n\":null}");
	CHECK(kht_json_valid(buf, strlen(buf)));

	kht_buf_init(&b, tiny, sizeof(tiny));
	kht_json_begin(&b);
	kht_json_u64(&b, "k", 12345);	/* {"k":12345 = 10 bytes + NUL: fits */
	CHECK(!b.overflow);
	CHECK_STR(tiny, "{\"k\":12345");
	kht_json_end(&b);		/* one more byte would take the NUL's room */
	CHECK(b.overflow);
	CHECK_STR(tiny, "{\"k\":12345");
}

/* A memo keeps only a whole piece: not after an overflow, not one longer than it holds. */
TEST(memo_keeps_whole_pieces_only)
{
	struct kht_memo m = { .keylen = 0 };
	char mem[512], big[KHT_MEMO_TEXT + 2];
	struct kht_buf b;
	int key = 7, other = 8;

	kht_buf_init(&b, mem, sizeof(mem));
	kht_buf_str(&b, "{\"a\":1");
	kht_memo_keep(&m, &b, 1, &key, sizeof(key));
	CHECK(!kht_memo_put(&b, &m, &other, sizeof(other)));
	CHECK(kht_memo_put(&b, &m, &key, sizeof(key)));
	CHECK_STR(mem, "{\"a\":1\"a\":1");
	/* too long a piece, an overflowed buffer: nothing kept, the next put misses */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kht_buf_init(&b, mem, sizeof(mem));
	kht_buf_str(&b, big);
	kht_memo_keep(&m, &b, 0, &key, sizeof(key));
	CHECK(!kht_memo_put(&b, &m, &key, sizeof(key)));
	kht_buf_init(&b, mem, 4);
	kht_buf_str(&b, "12345");
	kht_memo_keep(&m, &b, 0, &key, sizeof(key));
	CHECK(!kht_memo_put(&b, &m, &key, sizeof(key)));
}

/* A buffer of no bytes overflows at once and writes nothing, not even the NUL. */
TEST(buf_of_no_bytes_writes_nothing)
{
	char mem[2] = { 'x', 'y' };
	struct kht_buf b;

	kht_buf_init(&b, mem, 0);
	kht_buf_str(&b, "abc");
	CHECK(b.overflow && b.len == 0 && mem[0] == 'x');
	kht_buf_init(&b, mem, 0);
	kht_buf_printf(&b, "%d", 5);
	CHECK(b.overflow && b.len == 0 && mem[0] == 'x');
	kht_buf_init(&b, mem, 0);
	kht_buf_u64(&b, 12345);
	CHECK(b.overflow && mem[0] == 'x' && mem[1] == 'y');
}
