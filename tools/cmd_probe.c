// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace probe: what this kernel allows. Every hook is tried in every
 * applicable method by loading and attaching a two-instruction program, and
 * the features are graded from those results (full / degraded / off).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "capability.h"
#include "feature.h"
#include "commands.h"
#include "trace_helpers.h"
#include "lib/btf_enum.h"
#include "lib/event_fmt.h"
#include "lib/json.h"

struct feature {
	const char *name;
	const char *status;	/* full, degraded, off */
	char detail[2048];
};

static const char *cell(int err)
{
	if (err == 1)
		return ".";
	if (err == -ENOENT)
		return "absent";
	return err ? kht_errname(err) : "ok";
}


/*
 * What the tracers' default leaves out of kf here, beside an end-only
 * collapse mode: the seek feature (tools/feat_seek.c off()), the modify
 * feature's writes (tools/feat_modify.c); NULL for nothing.
 */
static const char *left_out(const struct kht_feature *kf, int mode, const char **what)
{
	char skipped[1024];
	int cmode;

	if ((kf != &kht_feat_seek && kf != &kht_feat_modify) || !mode)
		return NULL;
	cmode = kht_feature_best_mode(&kht_feat_collapse, skipped, sizeof(skipped));
	if (!cmode)
		return NULL;
	if (kf == &kht_feat_seek) {
		*what = "not traced by default here";
		return kht_collapse_mode_sees_entry(cmode) ? NULL : kht_seek_off_why;
	}
	*what = "writes not traced by default here";
	return kht_modify_leaves_writes_out(mode, kht_collapse_mode_sees_entry(cmode)) ?
	       kht_writes_off_why : NULL;
}

static void grade_feature(struct feature *f, const struct kht_feature *kf)
{
	char skipped[1024];
	int mode = kht_feature_best_mode(kf, skipped, sizeof(skipped));
	const char *lim = mode ? kf->limits(mode) : "", *what = "";
	const char *off = left_out(kf, mode, &what);

	f->name = kf->name;
	f->status = !mode ? "off" : kht_mode_is_full(mode) ? "full" : "degraded";
	snprintf(f->detail, sizeof(f->detail), "%s%s%s%s%s%s%s%s%s", mode ? kht_mode_names[mode] : "",
		 lim[0] ? ": " : "", lim, off ? "; " : "", off ? what : "", off ? ": " : "",
		 off ? off : "", skipped[0] ? " — not usable: " : "", skipped);
}

static int grade(struct feature *f)
{
	int scan = kht_scan_file_method(), n = 0;
	struct kht_enum results;

	for (int i = 0; i < kht_ntrace_features; i++)
		grade_feature(&f[n++], kht_trace_features[i]);

	f[n].name = "collapse-holes";
	f[n].status = scan >= 0 ? "full" : "off";
	snprintf(f[n].detail, sizeof(f[n].detail), "%s",
		 scan >= 0 ? (scan == KHT_M_TP_BTF ? "scan_file tracepoint via tp_btf"
						    : "scan_file tracepoint via raw_tp")
			   : "mm_khugepaged_scan_file cannot be attached");
	n++;
	f[n].name = "result-names";
	if (kht_enum_from_vmlinux(&results, "scan_result") == 0) {
		f[n].status = "full";
		snprintf(f[n].detail, sizeof(f[n].detail),
			 "enum scan_result from BTF: %d values", results.n);
	} else {
		f[n].status = "off";
		snprintf(f[n].detail, sizeof(f[n].detail), "enum scan_result not in BTF: numbers only");
	}
	return n + 1;
}

/* --modes[=FEATURE]: the usable attach modes, one line (for scripts and tests) */
static struct kht_env env_copy;

static int print_modes(const char *which)
{
	char why[256];

	for (int i = 0; i < kht_ntrace_features; i++) {
		const struct kht_feature *f = kht_trace_features[i];

		if (strncmp(f->name, which, strlen(which)))
			continue;
		/* scripts choose test modes from this: really attach, do not guess */
		for (int m = KHT_MODE_NONE + 1; m < KHT_MODE_MAX; m++)
			for (int r = 0; r < KHT_MAX_REQS && f->reqs[m][r].hook; r++) {
				struct kht_hook *h = kht_hook_find(f->reqs[m][r].hook);

				if (h && !h->probed)
					kht_hook_probe(&env_copy, h);
			}
		for (int m = KHT_MODE_NONE + 1; m < KHT_MODE_MAX; m++)
			if (kht_feature_offers(f, m) && kht_feature_usable(f, m, why, sizeof(why)))
				printf("%s ", kht_mode_names[m]);
		printf("\n");
		return 0;
	}
	fprintf(stderr, "khugetrace probe: unknown feature '%s' (%s).\n", which,
		kht_trace_feature_names());
	return 2;
}

static void print_text(const struct kht_env *env, struct feature *f, int nf)
{
	printf("kernel    %s\nroot      %s\nbtf       %s\ntracefs   %s\nkprobes   %s\n\n",
	       env->release, env->root ? "yes" : "no",
	       env->btf ? "yes (/sys/kernel/btf/vmlinux)" : "no",
	       env->tracefs ? env->tracefs_path : "not mounted",
	       env->kprobe_pmu ? "yes" : "no (no kprobe PMU: kprobes are not built in)");
	printf("%-42s", "HOOK");
	for (int m = 0; m < KHT_M_MAX; m++)
		printf(" %-10s", kht_method_name(m));
	printf(" NEEDED FOR\n");
	for (int i = 0; i < kht_nhooks; i++) {
		struct kht_hook *h = &kht_hooks[i];

		printf("%-42s", h->name);
		for (int m = 0; m < KHT_M_MAX; m++)
			printf(" %-10s", cell(h->err[m]));
		printf(" %s\n", h->why);
	}
	printf("\nFEATURES\n");
	for (int i = 0; i < nf; i++)
		printf("  %-16s %-9s %s\n", f[i].name, f[i].status, f[i].detail);
}

static void print_json(const struct kht_env *env, struct feature *f, int nf)
{
	static char mem[32768];
	struct kht_buf b;

	kht_buf_init(&b, mem, sizeof(mem));
	kht_json_begin(&b);
	kht_json_str(&b, "event", "probe");	/* like every other -j object */
	kht_json_str(&b, "kernel", env->release);
	kht_json_bool(&b, "root", env->root);
	kht_json_bool(&b, "btf", env->btf);
	if (env->tracefs)
		kht_json_str(&b, "tracefs", env->tracefs_path);
	else
		kht_json_null(&b, "tracefs");
	kht_json_bool(&b, "kprobes", env->kprobe_pmu);
	kht_json_key(&b, "hooks");
	kht_buf_printf(&b, "[");
	for (int i = 0; i < kht_nhooks; i++) {
		kht_json_begin(&b);
		kht_json_str(&b, "name", kht_hooks[i].name);
		kht_json_str(&b, "kind", kht_hooks[i].kind == KHT_HOOK_FUNC ? "function" : "tracepoint");
		kht_json_str(&b, "needed_for", kht_hooks[i].why);
		kht_json_key(&b, "modes");
		kht_json_begin(&b);
		for (int m = 0; m < KHT_M_MAX; m++)
			if (kht_hooks[i].err[m] != 1)
				kht_json_str(&b, kht_method_name(m), cell(kht_hooks[i].err[m]));
		kht_json_end(&b);
		kht_json_end(&b);
	}
	kht_buf_printf(&b, "]");
	kht_json_key(&b, "features");
	kht_json_begin(&b);
	for (int i = 0; i < nf; i++) {
		kht_json_key(&b, f[i].name);
		kht_json_begin(&b);
		kht_json_str(&b, "status", f[i].status);
		kht_json_str(&b, "detail", f[i].detail);
		kht_json_end(&b);
	}
	kht_json_end(&b);
	kht_json_end(&b);
	printf("%s\n", mem);
}

int cmd_probe(int argc, char **argv)
{
	bool json = false;
	int verbose = 0;
	const char *modes = NULL;
	bool sites = false;
	struct feature f[kht_ntrace_features + 2];	/* + collapse-holes, result-names */
	struct kht_env env;
	int nf;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--modes")) {
			modes = "collapse";
		} else if (!strncmp(argv[i], "--modes=", 8)) {
			modes = argv[i] + 8;
		} else if (!strcmp(argv[i], "--lock-sites")) {
			sites = true;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose++;
		} else if (!strcmp(argv[i], "-vv")) {
			verbose += 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: khugetrace probe [-j] [-v|-vv] [--modes] [--lock-sites]\n"
			       "Load and attach a tiny program on every hook khugetrace uses, in every\n"
			       "attach method, and say which features work here.\n"
			       "  -j, --json     machine-readable\n"
			       "  --modes[=F]    only the usable attach modes of feature F, one line\n"
			       "                 (%s; default collapse)\n"
			       "  --lock-sites   collapse_file's calls of the i_pages lock functions and\n"
			       "                 whether a kprobe attaches at each (exit 1: not usable)\n"
			       "  -v, --verbose  libbpf warnings; -vv: every libbpf message\n"
			       "  -h, --help     this text\n", kht_trace_feature_names());
			return 0;
		} else {
			fprintf(stderr, "khugetrace probe: unknown option '%s' (see --help).\n", argv[i]);
			return 2;
		}
	}
	kht_libbpf_verbose(verbose);
	kht_env_probe(&env);
	if (!kht_check_env("probe", &env))
		return 1;
	kht_capability_init(&env);
	env_copy = env;
	if (modes)
		return print_modes(modes);
	if (sites)
		return kht_lock_sites_report();
	for (int i = 0; i < kht_nhooks; i++)
		kht_hook_probe(&env, &kht_hooks[i]);
	nf = grade(f);
	if (json)
		print_json(&env, f, nf);
	else
		print_text(&env, f, nf);
	return 0;
}
