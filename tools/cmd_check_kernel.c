// SPDX-License-Identifier: GPL-2.0
/*
 * khugetrace check-kernel: does this kernel have the seed bugs? Answered in
 * seconds by provoking them on a private tmpfs (in a private mount namespace,
 * removed on exit):
 *
 *  uffd-missing-fill (seed 000/001): MADV_COLLAPSE of a 2 MiB shmem range
 *    with holes, registered with a MISSING userfaultfd. Holes filled: the bug.
 *    EBUSY/EAGAIN with the holes intact: the fix (ac492b9c70ca).
 *  publish-before-uptodate (seed 004): one collapse traced with the inside
 *    probes (fentry): was the new folio in the page cache !uptodate at an
 *    unlock? Needs fentry; otherwise "could not tell" and why.
 *
 * Exit: 0 no known bug, 1 a bug is present, 2 could not tell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "capability.h"
#include "commands.h"
#include "feature.h"
#include "trace_helpers.h"
#include "common/tmpfs_pmd.h"
#include "lib/event_fmt.h"
#include "lib/json.h"

enum verdict { V_FIXED, V_PRESENT, V_UNKNOWN };

struct check {
	const char *rule, *seed, *fix;
	enum verdict v;
	char detail[256];
};

static struct kht_tmpfs tmpfs;

static void cleanup(void)
{
	kht_tmpfs_remove(&tmpfs);
}

/* A private tmpfs (huge=never: writes make small pages for collapse to join). */
static int private_tmpfs(char *err, size_t len)
{
	static const char *const parents[] = { "/tmp", NULL };

	atexit(cleanup);
	return kht_tmpfs_mount(&tmpfs, parents, "kht-check", "size=16m,huge=never,mode=0700",
			       err, len);
}

/* A 2 MiB file, every `hole_every`-th page left unwritten (0: none), mapped at a PMD. */
static char *make_file(const char *name, int hole_every, int *fdp, struct stat *st)
{
	char path[300], page[KHT_PAGE_SZ];
	struct kht_pmd_area area;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpfs.dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, KHT_PMD_SZ))
		return NULL;
	memset(page, 0x5a, sizeof(page));
	for (unsigned long i = 0; i < KHT_PMD_PAGES; i++)
		if ((!hole_every || i % hole_every) &&
		    pwrite(fd, page, KHT_PAGE_SZ, i * KHT_PAGE_SZ) != (ssize_t)KHT_PAGE_SZ)
			return NULL;
	if (kht_pmd_reserve(&area, KHT_PMD_SZ) || kht_pmd_map_file(&area, 0, fd, 0, KHT_PMD_SZ) ||
	    fstat(fd, st))
		return NULL;
	*fdp = fd;
	return area.base;
}

static void check_uffd(struct check *c)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct stat st;
	char *addr;
	int fd, uffd, ret, err;
	off_t hole;

	c->v = V_UNKNOWN;
	addr = make_file("uffd", 8, &fd, &st);
	if (!addr) {
		snprintf(c->detail, sizeof(c->detail), "could not set up the test file: %s",
			 strerror(errno));
		return;
	}
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		snprintf(c->detail, sizeof(c->detail), "no userfaultfd here (%s)", strerror(errno));
		return;
	}
	reg.range.start = (unsigned long)addr;
	reg.range.len = KHT_PMD_SZ;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		snprintf(c->detail, sizeof(c->detail), "MISSING registration on shmem refused (%s)",
			 strerror(errno));
		return;
	}
	ret = madvise(addr, KHT_PMD_SZ, MADV_COLLAPSE);
	err = ret ? errno : 0;
	/* the truth is the page cache, not the return value (6.1 says EINVAL on success) */
	hole = lseek(fd, 0, SEEK_HOLE);
	if (hole >= (off_t)KHT_PMD_SZ) {
		c->v = V_PRESENT;
		snprintf(c->detail, sizeof(c->detail), "MADV_COLLAPSE filled the 64 holes of a "
			 "MISSING-registered range (madvise returned %s)", ret ? strerror(err) : "0");
	} else if (err == EBUSY || err == EAGAIN) {
		c->v = V_FIXED;
		snprintf(c->detail, sizeof(c->detail), "MADV_COLLAPSE backed off with %s and the "
			 "holes are still holes", err == EBUSY ? "EBUSY" : "EAGAIN");
	} else {
		snprintf(c->detail, sizeof(c->detail), "the collapse neither filled the holes nor "
			 "backed off as the fix does (madvise: %s)", ret ? strerror(err) : "0");
	}
	close(uffd);
	close(fd);
}

struct traced {
	unsigned long long ino;
	struct kht_collapse ev;
	bool seen;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct traced *t = ctx;
	const struct kht_collapse *ev = data;

	if (size >= sizeof(*ev) && ev->hdr.type == KHT_EV_COLLAPSE && ev->ino == t->ino &&
	    (ev->flags & KHT_F_HAVE_RESULT)) {
		t->ev = *ev;
		t->seen = true;
	}
	return 0;
}

static void check_uptodate(struct check *c)
{
	struct kht_opts o = { .attach = KHT_MODE_FENTRY };
	struct ring_buffer *rb = NULL;
	struct traced t = { 0 };
	struct kht_loaded l;
	struct kht_env env;
	struct stat st;
	char err[1024];
	char *addr;
	int fd;

	c->v = V_UNKNOWN;
	kht_env_probe(&env);
	kht_capability_init(&env);
	if (kht_feature_load(&kht_feat_collapse, &o, &l, err, sizeof(err))) {
		snprintf(c->detail, sizeof(c->detail), "needs fentry on collapse_file: %.180s", err);
		return;
	}
	addr = make_file("uptodate", 0, &fd, &st);
	rb = ring_buffer__new(kht_loaded_events_fd(&l), on_event, &t, NULL);
	if (!addr || !rb) {
		snprintf(c->detail, sizeof(c->detail), "could not set up the traced collapse");
		goto out;
	}
	t.ino = st.st_ino;
	madvise(addr, KHT_PMD_SZ, MADV_COLLAPSE);
	/* the BPF side defers wakeups (kht_output): poll, then drain */
	for (int i = 0; i < 50 && !t.seen; i++) {
		ring_buffer__poll(rb, 100);
		ring_buffer__consume(rb);
	}
	if (!t.seen || !(t.ev.flags & KHT_F_HAVE_WINDOWS))
		snprintf(c->detail, sizeof(c->detail), t.seen ? "the lock-window probes are off "
			 "here (_raw_spin_lock_irq/_raw_spin_unlock_irq not traceable)" :
			 "the traced collapse was not seen");
	else if (!(t.ev.flags & KHT_F_PUBLISHED))
		snprintf(c->detail, sizeof(c->detail), "the collapse did not publish a huge folio "
			 "(result %d): no verdict", t.ev.result);
	else if (!(t.ev.flags & KHT_F_UPTODATE_AT_PUBLISH))
		c->v = V_PRESENT, snprintf(c->detail, sizeof(c->detail), "the new huge folio was "
			 "in the page cache, not uptodate, when the collapsing task dropped the i_pages "
			 "lock (%u lock windows)", t.ev.windows);
	else
		c->v = V_FIXED, snprintf(c->detail, sizeof(c->detail), "the new huge folio was "
			 "uptodate when it first appeared in the page cache (%u lock windows)",
			 t.ev.windows);
out:
	ring_buffer__free(rb);
	kht_loaded_destroy(&l);
}

static const char *vname(enum verdict v)
{
	return v == V_FIXED ? "fixed" : v == V_PRESENT ? "PRESENT" : "could not tell";
}

/* One JSON line in buf, begun with its "event". */
static void json_open(struct kht_buf *b, char *buf, size_t len, const char *event)
{
	kht_buf_init(b, buf, len);
	kht_json_begin(b);
	kht_json_str(b, "event", event);
}

int cmd_check_kernel(int argc, char **argv)
{
	struct check checks[] = {
		{ "uffd-missing-fill", "000/001",
		  "ac492b9c70ca mm/khugepaged: skip shmem with userfaultfd (v6.4)" },
		{ "publish-before-uptodate", "004",
		  "a2e17cc2efc7 mm/khugepaged: maintain page cache uptodate flag (v6.4)" },
	};
	int n = sizeof(checks) / sizeof(checks[0]), present = 0, unknown = 0;
	struct kht_env env;
	bool json = false;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: khugetrace check-kernel [-j]\n"
			       "Provoke the seed bugs on a private tmpfs and say whether this kernel\n"
			       "has them. Exit 0: no known bug, 1: a bug is present, 2: could not tell.\n\n"
			       "  -j, --json     one JSON object per check\n"
			       "  -h, --help     this text\n");
			return 0;
		} else {
			fprintf(stderr, "khugetrace check-kernel: unknown option '%s' (see --help).\n",
				argv[i]);
			return 2;
		}
	}
	kht_libbpf_verbose(0);
	kht_env_probe(&env);
	if (!env.root) {
		fprintf(stderr, "khugetrace check-kernel: must run as root: it mounts a private "
			"tmpfs and loads BPF programs.\n");
		return 2;
	}
	if (private_tmpfs(err, sizeof(err))) {
		fprintf(stderr, "khugetrace check-kernel: %s.\n", err);
		return 2;
	}
	check_uffd(&checks[0]);
	check_uptodate(&checks[1]);
	for (int i = 0; i < n; i++) {
		present += checks[i].v == V_PRESENT;
		unknown += checks[i].v == V_UNKNOWN;
		if (json) {
			char buf[1024];
			struct kht_buf b;

			json_open(&b, buf, sizeof(buf), "check");
			kht_json_str(&b, "check", checks[i].rule);
			kht_json_str(&b, "seed", checks[i].seed);
			kht_json_str(&b, "fix", checks[i].fix);
			kht_json_str(&b, "verdict", vname(checks[i].v));
			kht_json_str(&b, "detail", checks[i].detail);
			kht_json_str(&b, "kernel", env.release);
			kht_json_end(&b);
			printf("%s\n", buf);
		} else {
			printf("%-24s %-15s seed %s, fix %s\n%24s %s\n", checks[i].rule,
			       vname(checks[i].v), checks[i].seed, checks[i].fix, "", checks[i].detail);
		}
	}
	if (json) {
		char buf[512];
		struct kht_buf b;

		/* the overall verdict, as the exit status says it */
		json_open(&b, buf, sizeof(buf), "check-kernel-summary");
		kht_json_str(&b, "verdict", present ? "PRESENT" : unknown ? "could not tell" :
			     "no known bug");
		kht_json_u64(&b, "checks", n);
		kht_json_u64(&b, "present", present);
		kht_json_u64(&b, "could_not_tell", unknown);
		kht_json_str(&b, "kernel", env.release);
		kht_json_i64(&b, "exit", present ? 1 : unknown ? 2 : 0);
		kht_json_end(&b);
		printf("%s\n", buf);
	} else {
		printf("kernel %s: %s\n", env.release, present ? "known bugs PRESENT" :
		       unknown ? "no known bug found, but not every check could run" :
		       "no known bug");
	}
	return present ? 1 : unknown ? 2 : 0;
}
