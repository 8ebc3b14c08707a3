// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "event_fmt.h"

const char *kht_opts_usage(void)
{
	return "  -p, --pid PID        only collapses initiated by process PID\n"
	       "  -i, --inode INO      only this inode\n"
	       "  -m, --min-us US      only collapses that took at least US microseconds\n"
	       "                       (needs an attach mode that sees the entry)\n"
	       "  -a, --attach MODE    auto (default), fentry, kprobe, tp_btf, raw_tp, syscalls\n"
	       "  -d, --duration SEC   stop after SEC seconds\n"
	       "  -c, --count N        stop after N events\n"
	       "      --no-inside      fentry mode: skip the i_pages lock-window and reader\n"
	       "                       probes (they fire on every spin_lock_irq of the system)\n"
	       "  -j, --json           one JSON object per line\n"
	       "  -v, --verbose        libbpf and attach diagnostics on stderr\n"
	       "  -h, --help           this text\n";
}

const char *kht_opts_timeline_usage(void)
{
	return "      --perfetto FILE  also write Chrome trace-event JSON (Perfetto UI)\n"
	       "      --since SEC      only events from SEC seconds after the start\n"
	       "      --until SEC      only events up to SEC seconds after the start\n"
	       "      --spin-us US     races: report retry spins longer than US (default 0)\n";
}

/* Seconds >= 0; "inf" and huge values are fine (forever), NaN and negatives are not. */
static bool parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno == ERANGE && *out != 0)
		errno = 0;	/* 1e999 overflowed to inf: that is forever */
	return !errno && !*end && end != s && *out >= 0;
}

/*
 * Past ~31 years a deadline is "forever": converting s * 1e9 to an integer
 * beyond 2^64 is undefined (it made -d inf stop at once).
 */
unsigned long long kht_deadline_ns(unsigned long long base_ns, double duration_s)
{
	if (!(duration_s > 0) || duration_s >= 1e9)
		return 0;
	return base_ns + (unsigned long long)(duration_s * 1e9);
}

int kht_mode_from_name(const char *name)
{
	if (!strcmp(name, "auto"))
		return KHT_MODE_NONE;
	for (int m = KHT_MODE_NONE + 1; m < KHT_MODE_MAX; m++)
		if (!strcmp(name, kht_mode_names[m]))
			return m;
	return -1;
}

/* Whole-string unsigned parse: "12x", "", "-1" and overflow are errors. */
static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end && *out <= max;
}

/* In enum kht_opt order: the name of bit i is longopts[i]. */
static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "inode", required_argument, NULL, 'i' },
		{ "min-us", required_argument, NULL, 'm' },
		{ "attach", required_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "perfetto", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "timeline", no_argument, NULL, 'T' },
		{ "races", no_argument, NULL, 'R' },
		{ "no-inside", no_argument, NULL, 'N' },
		{ "spin-us", required_argument, NULL, 'W' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "force", no_argument, NULL, 'f' },
		{ "input", required_argument, NULL, 'I' },
		{},
	};

static void mark_seen(struct kht_opts *o, int c)
{
	for (int i = 0; i < KHT_OPT_MAX; i++)
		if (longopts[i].val == c)
			o->seen |= 1ULL << i;
}

int kht_opts_only(const struct kht_opts *o, unsigned long long allowed, const char *cmd,
		  const char *why, char *err, int errlen)
{
	for (int i = 0; i < KHT_OPT_MAX; i++) {
		int c = longopts[i].val;

		if (!(o->seen & ~allowed & (1ULL << i)))
			continue;
		if (c >= 'a' && c <= 'z')
			snprintf(err, errlen, "-%c/--%s does not apply to %s%s%s", c, longopts[i].name,
				 cmd, why ? ": " : "", why ? why : "");
		else
			snprintf(err, errlen, "--%s does not apply to %s%s%s", longopts[i].name, cmd,
				 why ? ": " : "", why ? why : "");
		return -1;
	}
	return 0;
}

int kht_parse_opts(int argc, char **argv, struct kht_opts *o, char *err, int errlen)
{
	return kht_parse_opts_ex(argc, argv, 0, o, err, errlen);
}

int kht_parse_opts_ex(int argc, char **argv, unsigned flags, struct kht_opts *o,
		      char *err, int errlen)
{
	unsigned long long v;
	int c, li = -1;

	memset(o, 0, sizeof(*o));
	optind = 0;	/* full re-initialisation: parse may run more than once */
	opterr = 0;
	/* no leading '+': GNU getopt permutes, so operands may precede options */
	while ((c = getopt_long(argc, argv, ":p:i:m:a:d:c:o:jvhf", longopts, &li)) != -1) {
		if (c == 'i' && li < 0 && (flags & KHT_OPTS_I_INPUT))
			c = 'I';	/* the short -i only: --inode stays the inode */
		li = -1;
		mark_seen(o, c);
		switch (c) {
		case 'p':
			if (!parse_u64(optarg, 0x3fffffff, &v) || !v) {
				snprintf(err, errlen, "invalid PID '%s': expected a positive number", optarg);
				return -1;
			}
			o->pid = v;
			break;
		case 'i':
			if (!parse_u64(optarg, ~0ULL, &o->inode) || !o->inode) {
				snprintf(err, errlen, "invalid inode '%s': expected a positive number", optarg);
				return -1;
			}
			break;
		case 'm':
			if (!parse_u64(optarg, ~0ULL / 1000, &o->min_us)) {
				snprintf(err, errlen, "invalid --min-us '%s': expected microseconds", optarg);
				return -1;
			}
			break;
		case 'a':
			o->attach = kht_mode_from_name(optarg);
			if (o->attach < 0) {
				snprintf(err, errlen, "unknown attach mode '%s': use auto, fentry, kprobe, "
					 "tp_btf, raw_tp or syscalls", optarg);
				return -1;
			}
			break;
		case 'd':
			if (!parse_seconds(optarg, &o->duration_s) || !(o->duration_s > 0)) {
				snprintf(err, errlen, "invalid duration '%s': expected seconds > 0 "
					 "(inf: until Ctrl-C)", optarg);
				return -1;
			}
			break;
		case 'c':
			if (!parse_u64(optarg, ~0ULL, &o->count) || !o->count) {
				snprintf(err, errlen, "invalid count '%s': expected a positive number", optarg);
				return -1;
			}
			break;
		case 'P':
			if (!*optarg) {
				snprintf(err, errlen, "--perfetto needs a file name");
				return -1;
			}
			o->perfetto = optarg;
			break;
		case 'S':
		case 'U':
			if (!parse_seconds(optarg, c == 'S' ? &o->since_s : &o->until_s)) {
				snprintf(err, errlen, "invalid %s '%s': expected seconds >= 0",
					 c == 'S' ? "--since" : "--until", optarg);
				return -1;
			}
			*(c == 'S' ? &o->since_set : &o->until_set) = true;
			break;
		case 'I':
			if (!*optarg) {
				snprintf(err, errlen, "-i needs a file name");
				return -1;
			}
			o->input = optarg;
			break;
		case 'f': o->force = true; break;
		case 'o':
			if (!*optarg) {
				snprintf(err, errlen, "-o needs a file name");
				return -1;
			}
			o->output = optarg;
			break;
		case 'T': o->timeline = true; break;
		case 'R': o->races = true; break;
		case 'N': o->no_inside = true; break;
		case 'W':
			if (!parse_u64(optarg, ~0ULL / 1000, &o->spin_us)) {
				snprintf(err, errlen, "invalid --spin-us '%s': expected microseconds",
					 optarg);
				return -1;
			}
			break;
		case 'j': o->json = true; break;
		case 'v': o->verbose = true; break;
		case 'h': o->help = true; break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc && !(flags & KHT_OPTS_OPERANDS)) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->until_set && o->until_s < o->since_s) {
		snprintf(err, errlen, "--until must not be before --since");
		return -1;
	}
	return 0;
}
