// SPDX-License-Identifier: GPL-2.0
/*
 * Opening outputs safely (tools/lib/outfile.c): what is not a regular file
 * is written through, a symlink stays a symlink, an input is never
 * overwritten, an earlier file is rotated to .old, errors carry the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kht_test.h"
#include "lib/outfile.h"
#include "lib/tracefile.h"

static char dir[64];

static void remove_dir(void)
{
	rmdir(dir);	/* the tests unlink their files */
}

static const char *in_dir(char *buf, size_t len, const char *name)
{
	if (!dir[0]) {
		strcpy(dir, "/tmp/kht-out-XXXXXX");
		if (mkdtemp(dir))
			atexit(remove_dir);
		else
			strcpy(dir, "/tmp");
	}
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	close(fd);
}

/* The file's contents ("" if missing), in a static buffer. */
static const char *get(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

static int write_commit(const char *path, unsigned flags, const char *s, char *err, int len)
{
	struct kht_outfile o;
	int rc = kht_out_open(&o, path, flags, NULL, 0, err, len);

	if (rc)
		return rc;
	CHECK(write(o.fd, s, strlen(s)) == (ssize_t)strlen(s));
	return kht_out_commit(&o, err, len);
}

static int entries(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

TEST(out_symlink_stays_a_link)
{
	char target[128], link[128], err[256] = "";
	struct stat st;

	in_dir(target, sizeof(target), "target");
	in_dir(link, sizeof(link), "link");
	put(target, "old");
	CHECK(symlink("target", link) == 0);	/* relative, as ln -s makes them */
	CHECK(write_commit(link, 0, "new", err, sizeof(err)) == 0);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK_STR(get(target), "new");
	CHECK(stat(target, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(entries() == 2);	/* no temporary left in either place */
	unlink(link);
	unlink(target);
}

TEST(out_fifo_written_through)
{
	char fifo[128], err[256] = "";
	struct stat st;
	int rd;

	in_dir(fifo, sizeof(fifo), "fifo");
	CHECK(mkfifo(fifo, 0600) == 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);	/* a reader, so the writer's open does not wait */
	CHECK(rd >= 0);
	CHECK(write_commit(fifo, KHT_OUT_ROTATE, "through", err, sizeof(err)) == 0);
	CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	{
		char buf[16] = "";

		CHECK(read(rd, buf, sizeof(buf) - 1) == 7);
		CHECK_STR(buf, "through");
	}
	close(rd);
	unlink(fifo);
}

/* /dev/stdout is /proc/self/fd/1: our own descriptor, written through, never renamed over */
TEST(out_own_descriptor_written_through)
{
	char file[128], proc[64], err[256] = "";
	struct stat before, after;
	int fd;

	in_dir(file, sizeof(file), "redirected");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	CHECK(fd >= 0 && write(fd, "shell:", 6) == 6);
	CHECK(fstat(fd, &before) == 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	CHECK(write_commit(proc, KHT_OUT_ROTATE, "ours", err, sizeof(err)) == 0);
	CHECK(stat(file, &after) == 0 && after.st_ino == before.st_ino);
	CHECK_STR(get(file), "shell:ours");	/* the shell's O_APPEND is kept */
	close(fd);
	unlink(file);
	CHECK(entries() == 0);
}

TEST(out_refuses_an_input)
{
	char in[128], link[128], err[256] = "";
	const char *inputs[1];
	struct kht_outfile o;

	in_dir(in, sizeof(in), "input");
	in_dir(link, sizeof(link), "input-link");
	put(in, "precious");
	CHECK(symlink(in, link) == 0);
	inputs[0] = in;
	CHECK(kht_out_open(&o, in, 0, inputs, 1, err, sizeof(err)) == -EEXIST);
	CHECK_CONTAINS(err, "same file as the input");
	inputs[0] = link;	/* through a link, either way round */
	CHECK(kht_out_open(&o, in, 0, inputs, 1, err, sizeof(err)) == -EEXIST);
	CHECK_STR(get(in), "precious");
	CHECK(entries() == 2);
	unlink(link);
	unlink(in);
}

TEST(out_rotates_to_old)
{
	char path[128], old[160], err[256] = "";

	in_dir(path, sizeof(path), "rec");
	snprintf(old, sizeof(old), "%s.old", path);
	put(path, "first");
	CHECK(write_commit(path, KHT_OUT_ROTATE, "second", err, sizeof(err)) == 0);
	CHECK_STR(get(path), "second");
	CHECK_STR(get(old), "first");
	CHECK(write_commit(path, 0, "third", err, sizeof(err)) == 0);	/* -f: overwrite */
	CHECK_STR(get(path), "third");
	CHECK_STR(get(old), "first");
	unlink(old);
	unlink(path);
}

/* /dev/full: written through, and the error is the real ENOSPC, not EPERM or EIO */
TEST(out_write_error_has_errno)
{
	char err[256] = "";
	struct kht_outfile o;
	struct stat st;
	FILE *f;

	CHECK(kht_out_open(&o, "/dev/full", 0, NULL, 0, err, sizeof(err)) == 0);
	CHECK(o.through);
	f = kht_out_stream(&o);
	CHECK(f != NULL);
	if (f)
		fputs("{\"x\":1}\n", f);
	CHECK(kht_out_commit(&o, err, sizeof(err)) == -ENOSPC);
	CHECK_CONTAINS(err, "No space left on device");
	CHECK(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
}

TEST(out_failed_commit_keeps_the_old_file)
{
	char path[128], err[256] = "";
	struct kht_outfile o;

	in_dir(path, sizeof(path), "keep");
	put(path, "old");
	CHECK(kht_out_open(&o, path, 0, NULL, 0, err, sizeof(err)) == 0);
	CHECK(write(o.fd, "half", 4) == 4);
	kht_out_abort(&o);
	CHECK_STR(get(path), "old");
	CHECK(entries() == 1);
	unlink(path);
}

/* The recording writer goes through the same helper: a linked recording stays linked. */
TEST(tf_create_through_symlink)
{
	static struct kht_tf_meta m;
	char target[128], link[128], err[256] = "";
	struct kht_tf_writer *w;
	struct stat st;

	kht_tf_meta_init(&m);
	in_dir(target, sizeof(target), "rec-target");
	in_dir(link, sizeof(link), "rec-link");
	put(target, "an older recording");
	CHECK(symlink(target, link) == 0);
	w = kht_tf_create(link, &m, err, sizeof(err));
	CHECK(w != NULL);
	if (w)
		CHECK(kht_tf_close(w, NULL) == 0);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(!memcmp(get(target), "KHTRACE", 7));
	unlink(link);
	unlink(target);
}
