// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "options.h"
#include "event_fmt.h"

const char *kht_opts_usage(void)
{
	return "  -p, --pid PID        only collapses initiated by process PID\n"
	       "  -t, --tid TID        only events of thread TID\n"
	       "      --comm NAME      only events of tasks named NAME (exact; the kernel\n"
	       "                       keeps 15 bytes: longer names match on those)\n"
	       "  -G, --cgroup PATH    only events of tasks in cgroup v2 PATH (that cgroup\n"
	       "                       itself, not its children; relative to the cgroup2 mount)\n"
	       "  -i, --inode INO      only this inode\n"
	       "  -m, --min-us US      only collapses that took at least US microseconds\n"
	       "                       (needs an attach mode that sees the entry)\n"
	       "  -a, --attach MODE    auto (default), fentry, kprobe, tp_btf, raw_tp, syscalls\n"
	       "  -d, --duration SEC   stop after SEC seconds\n"
	       "  -c, --count N        stop after N events\n"
	       "      --no-inside      fentry mode: skip the i_pages lock-window probes\n"
	       "      --spins          fentry mode: also watch lockless page-cache readers for\n"
	       "                       XA_RETRY_ENTRY spins (probes on every page-cache\n"
	       "                       lookup of the system: off by default)\n"
	       "      --all-seeks      record every SEEK_DATA/SEEK_HOLE and mincore, not only\n"
	       "                       those that overlapped a collapse of their inode (with\n"
	       "                       an end-only collapse mode: trace them at all)\n"
	       "      --all-writes     record writes and hole fills of inodes a collapse touched\n"
	       "                       in the last 10 s, not only those during a collapse\n"
	       "                       (with an end-only collapse mode: trace writes at all)\n"
	       "      --lock-windows HOW  fentry mode: auto (default: call-site kprobes in\n"
	       "                       collapse_file when every site verifies, else fentry on\n"
	       "                       the spinlock functions), callsite, fentry\n"
	       "  -j, --json           one JSON object per line\n"
	       "  -v, --verbose        attach diagnostics and libbpf warnings on stderr;\n"
	       "                       -vv: every libbpf message (~1,200 lines of load log)\n"
	       "  -h, --help           this text\n";
}

const char *kht_opts_timeline_usage(void)
{
	return "      --perfetto FILE  also write the stories as a Perfetto trace (ui.perfetto.dev)\n"
	       "      --perfetto-format FMT  proto (default) or json (Chrome trace events;\n"
	       "                       the default for a FILE named *.json)\n"
	       "      --since SEC      only events from SEC seconds after the start\n"
	       "      --until SEC      only events up to SEC seconds after the start\n"
	       "      --spin-us US     races: report retry spins longer than US (default 0)\n";
}

bool kht_perfetto_json(const struct kht_opts *o)
{
	size_t n = o->perfetto ? strlen(o->perfetto) : 0;

	if (o->perfetto_format)
		return o->perfetto_format == KHT_PERFETTO_JSON;
	return n > 5 && !strcasecmp(o->perfetto + n - 5, ".json");
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

/* Where cgroup2 is mounted (/sys/fs/cgroup, or .../unified on hybrid hosts). */
static bool cgroup2_mount(char *out, size_t len)
{
	char dev[256], dir[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2"))
			found = snprintf(out, len, "%s", dir) < (int)len;
	fclose(f);
	return found;
}

static bool is_cgroup2_dir(const char *path)
{
	struct statfs sf;
	struct stat st;

	return !statfs(path, &sf) && sf.f_type == CGROUP2_SUPER_MAGIC && !stat(path, &st) &&
	       S_ISDIR(st.st_mode);
}

int kht_cgroup_id(const char *path, unsigned long long *id, char *err, int errlen)
{
	char mnt[PATH_MAX], full[2 * PATH_MAX];
	const char *p = path;
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 64];
	} h;
	struct stat st;
	int mount_id;

	if (!*path) {
		snprintf(err, errlen, "--cgroup needs a cgroup v2 path");
		return -1;
	}
	if (path[0] != '/' || !is_cgroup2_dir(path)) {
		if (!cgroup2_mount(mnt, sizeof(mnt))) {
			snprintf(err, errlen, "invalid --cgroup '%s': no cgroup v2 hierarchy is "
				 "mounted", path);
			return -1;
		}
		while (*p == '/')
			p++;
		snprintf(full, sizeof(full), "%s/%s", mnt, p);
		p = full;
		if (!is_cgroup2_dir(p)) {
			snprintf(err, errlen, "invalid --cgroup '%s': %s is not a cgroup v2 directory",
				 path, p);
			return -1;
		}
	}
	/* the kernfs file handle is the cgroup id; st_ino is the same on 64-bit */
	h.fh.handle_bytes = sizeof(h.buf) - sizeof(struct file_handle);
	if (!name_to_handle_at(AT_FDCWD, p, &h.fh, &mount_id, 0) && h.fh.handle_bytes == 8) {
		memcpy(id, h.fh.f_handle, 8);
		return 0;
	}
	if (stat(p, &st)) {
		snprintf(err, errlen, "invalid --cgroup '%s': %s", path, strerror(errno));
		return -1;
	}
	*id = st.st_ino;
	return 0;
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

/* The options that take a number: where it goes, its bound, what a bad one is told. */
static const struct num_opt {
	int c;
	unsigned long long max;
	bool positive;			/* 0 is not a value */
	size_t off, size;		/* the field in struct kht_opts (unsigned or u64) */
	const char *bad;		/* format, the argument as %s */
} num_opts[] = {
#define NUM(c, max, pos, field, bad) \
	{ c, max, pos, offsetof(struct kht_opts, field), sizeof(((struct kht_opts *)0)->field), bad }
	NUM('p', 0x3fffffff, true, pid, "invalid PID '%s': expected a positive number"),
	NUM('t', 0x3fffffff, true, tid, "invalid TID '%s': expected a positive number"),
	NUM('i', ~0ULL, true, inode, "invalid inode '%s': expected a positive number"),
	NUM('m', ~0ULL / 1000, false, min_us, "invalid --min-us '%s': expected microseconds"),
	NUM('c', ~0ULL, true, count, "invalid count '%s': expected a positive number"),
	NUM('W', ~0ULL / 1000, false, spin_us, "invalid --spin-us '%s': expected microseconds"),
#undef NUM
};

/* Option c's entry in num_opts; NULL if c takes no number. */
static const struct num_opt *num_opt_of(int c)
{
	for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++)
		if (num_opts[i].c == c)
			return &num_opts[i];
	return NULL;
}

/* arg into n's field of o; false if it is not a number n takes. */
static bool parse_number(const struct num_opt *n, const char *arg, struct kht_opts *o)
{
	char *field = (char *)o + n->off;
	unsigned long long v;

	if (!parse_u64(arg, n->max, &v) || (n->positive && !v))
		return false;
	if (n->size == sizeof(unsigned))	/* its bound fits */
		*(unsigned *)field = v;
	else
		*(unsigned long long *)field = v;
	return true;
}

/* A word option's value: -1 if arg is none of the names. */
struct word {
	const char *name;
	int value;
};

static int parse_word(const struct word *w, const char *arg)
{
	for (; w->name; w++)
		if (!strcmp(w->name, arg))
			return w->value;
	return -1;
}

static const struct word perfetto_formats[] = {
	{ "proto", KHT_PERFETTO_PROTO }, { "protobuf", KHT_PERFETTO_PROTO },
	{ "json", KHT_PERFETTO_JSON }, { NULL, 0 },
};
static const struct word lock_window_modes[] = {
	{ "auto", KHT_LW_AUTO }, { "callsite", KHT_LW_CALLSITE }, { "fentry", KHT_LW_FENTRY },
	{ NULL, 0 },
};

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
		{ "comm", required_argument, NULL, 'C' },
		{ "tid", required_argument, NULL, 't' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "perfetto-format", required_argument, NULL, 'F' },
		{ "lock-windows", required_argument, NULL, 'L' },
		{ "spins", no_argument, NULL, 'Y' },
		{ "all-seeks", no_argument, NULL, 'A' },
		{ "all-writes", no_argument, NULL, 'B' },
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

/* One sentence into err, and the parse fails. */
#define FAIL(...) return (snprintf(err, errlen, __VA_ARGS__), -1)

int kht_parse_opts_ex(int argc, char **argv, unsigned flags, struct kht_opts *o,
		      char *err, int errlen)
{
	const struct num_opt *num;
	int c, li = -1;

	memset(o, 0, sizeof(*o));
	optind = 0;	/* full re-initialisation: parse may run more than once */
	opterr = 0;
	/*
	 * no leading '+': GNU getopt permutes, so operands may precede options;
	 * but a command's own options are its own: stop at its name
	 */
	while ((c = getopt_long(argc, argv, flags & KHT_OPTS_COMMAND ? "+:p:i:m:a:d:c:o:t:G:jvhfq" :
				":p:i:m:a:d:c:o:t:G:jvhfq", longopts, &li)) != -1) {
		if (c == 'i' && li < 0 && (flags & KHT_OPTS_I_INPUT))
			c = 'I';	/* the short -i only: --inode stays the inode */
		li = -1;
		mark_seen(o, c);
		if ((num = num_opt_of(c))) {	/* the options that take a number: their table */
			if (!parse_number(num, optarg, o))
				FAIL(num->bad, optarg);
			continue;
		}
		switch (c) {
		case 'C':
			if (!*optarg)
				FAIL("--comm needs a name");
			/* the kernel keeps TASK_COMM_LEN - 1 bytes of the name */
			snprintf(o->comm, sizeof(o->comm), "%s", optarg);
			break;
		case 'G':
			o->cgroup = optarg;
			if (kht_cgroup_id(optarg, &o->cgroup_id, err, errlen))
				return -1;
			break;
		case 'a':
			o->attach = kht_mode_from_name(optarg);
			if (o->attach < 0)
				FAIL("unknown attach mode '%s': use auto, fentry, kprobe, "
				     "tp_btf, raw_tp or syscalls", optarg);
			break;
		case 'd':
			if (!parse_seconds(optarg, &o->duration_s) || !(o->duration_s > 0))
				FAIL("invalid duration '%s': expected seconds > 0 "
				     "(inf: until Ctrl-C)", optarg);
			break;
		case 'P': case 'I': case 'o':	/* file names */
			if (!*optarg)
				FAIL("%s needs a file name",
				     c == 'P' ? "--perfetto" : c == 'I' ? "-i" : "-o");
			*(c == 'P' ? &o->perfetto : c == 'I' ? &o->input : &o->output) = optarg;
			break;
		case 'F':
			if ((o->perfetto_format = parse_word(perfetto_formats, optarg)) < 0)
				FAIL("unknown --perfetto-format '%s': use proto or json", optarg);
			break;
		case 'S':
		case 'U':
			if (!parse_seconds(optarg, c == 'S' ? &o->since_s : &o->until_s))
				FAIL("invalid %s '%s': expected seconds >= 0",
				     c == 'S' ? "--since" : "--until", optarg);
			*(c == 'S' ? &o->since_set : &o->until_set) = true;
			break;
		case 'f': o->force = true; break;
		case 'T': o->timeline = true; break;
		case 'R': o->races = true; break;
		case 'N': o->no_inside = true; break;
		case 'Y': o->spins = true; break;
		case 'A': o->all_seeks = true; break;
		case 'B': o->all_writes = true; break;
		case 'L':
			if ((o->lock_windows = parse_word(lock_window_modes, optarg)) < 0)
				FAIL("invalid --lock-windows '%s': expected auto, "
				     "callsite or fentry", optarg);
			break;
		case 'j': o->json = true; break;
		case 'v': o->verbose++; break;
		case 'h': o->help = true; break;
		case 'q': o->quiet = true; break;
		case ':':
			FAIL("option '%s' needs a value", argv[optind - 1]);
		default:
			FAIL("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc && !(flags & (KHT_OPTS_OPERANDS | KHT_OPTS_COMMAND)))
		FAIL("unexpected argument '%s'", argv[optind]);
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->perfetto_format && !o->perfetto)
		FAIL("--perfetto-format goes with --perfetto FILE");
	if (o->until_set && o->until_s < o->since_s)
		FAIL("--until must not be before --since");
	return 0;
}
