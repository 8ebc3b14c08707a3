// SPDX-License-Identifier: GPL-2.0
/*
 * Opening an output safely (see outfile.h): write through what is not a
 * regular file, temp-and-rename what is, never over an input.
 */
#define _GNU_SOURCE	/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "outfile.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#define MAX_LINKS 40	/* as the kernel's ELOOP limit */

static int seterr(char *err, int errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* "a/b/c" -> "a/b" and "c" (dir "." without a slash); caller frees *dir. */
static int split(const char *p, char **dir, const char **base)
{
	const char *slash = strrchr(p, '/');

	if (!slash) {
		*dir = strdup(".");
		*base = p;
	} else {
		*dir = strndup(p, slash == p ? 1 : (size_t)(slash - p));
		*base = slash + 1;
	}
	return *dir ? 0 : -ENOMEM;
}

/*
 * A symlink inside /proc is a "magic" link to an open file, not a name: it
 * cannot be renamed over, and one in our own fd directory is a descriptor
 * we hold (/dev/stdout -> /proc/self/fd/1). Returns the fd number for ours,
 * -2 for another /proc link, -1 for an ordinary link.
 */
static int magic_link(const char *link)
{
	char *dir, real[PATH_MAX], own[64];
	const char *base;
	struct statfs sf;
	int ret = -1;

	if (split(link, &dir, &base))
		return -1;
	if (statfs(dir, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
		ret = -2;
		snprintf(own, sizeof(own), "/proc/%d/fd", getpid());
		if (realpath(dir, real) && !strcmp(real, own) && *base &&
		    strspn(base, "0123456789") == strlen(base))
			ret = atoi(base);
	}
	free(dir);
	return ret;
}

/* Follow path's symlinks by hand; *magic as magic_link() for a /proc link met on the way. */
static char *resolve_links(const char *path, int *magic)
{
	char *cur = strdup(path), *dir, *next;
	char link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	*magic = -1;
	for (int i = 0; cur && i < MAX_LINKS; i++) {
		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
			return cur;	/* the end of the chain (or a name not there yet) */
		*magic = magic_link(cur);
		if (*magic != -1)
			return cur;
		n = readlink(cur, link, sizeof(link) - 1);
		if (n < 0 || split(cur, &dir, &base)) {
			free(cur);
			return NULL;
		}
		link[n] = '\0';
		next = malloc(strlen(dir) + n + 2);
		if (next && link[0] == '/')
			strcpy(next, link);
		else if (next)
			sprintf(next, "%s/%s", dir, link);
		free(dir);
		free(cur);
		cur = next;
	}
	if (cur)
		errno = ELOOP;
	free(cur);
	return NULL;
}

/* Write through a descriptor of ours (dup: the shell's offset and O_APPEND are kept). */
static int open_dup(struct kht_outfile *o, int fd, char *err, int errlen)
{
	o->through = true;
	o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (o->fd < 0)
		return seterr(err, errlen, -errno, "cannot write %s: %s.", o->path, strerror(errno));
	return 0;
}

/* Not a regular file: open it as it is (a FIFO waits here for its reader). */
static int open_through(struct kht_outfile *o, const char *real, char *err, int errlen)
{
	o->through = true;
	o->fd = open(real, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (o->fd < 0)
		return seterr(err, errlen, -errno, "cannot open %s: %s.", o->path, strerror(errno));
	return 0;
}

/* A regular file or a new name: a temporary in the real directory, renamed at publish. */
static int open_temp(struct kht_outfile *o, const char *real, char *err, int errlen)
{
	char *dir, rdir[PATH_MAX];
	const char *base;

	if (split(real, &dir, &base))
		return seterr(err, errlen, -ENOMEM, "cannot create %s: out of memory.", o->path);
	if (!realpath(dir, rdir)) {
		free(dir);
		return seterr(err, errlen, -errno, "cannot create %s: %s.", o->path, strerror(errno));
	}
	free(dir);
	o->target = malloc(strlen(rdir) + strlen(base) + 2);
	o->tmp = o->target ? malloc(strlen(rdir) + strlen(base) + 9) : NULL;
	if (!o->tmp)
		return seterr(err, errlen, -ENOMEM, "cannot create %s: out of memory.", o->path);
	sprintf(o->target, "%s/%s", strcmp(rdir, "/") ? rdir : "", base);
	sprintf(o->tmp, "%s.XXXXXX", o->target);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);	/* 0600: recordings hold process and file names */
	if (o->fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return seterr(err, errlen, -errno, "cannot create %s: %s.", o->path, strerror(errno));
	}
	return 0;
}

static int input_stat(const char *in, struct stat *st)
{
	return strcmp(in, "-") ? stat(in, st) : fstat(STDIN_FILENO, st);
}

/* The output's identity against each input's: -EEXIST (and err) on a match. */
static int check_inputs(struct kht_outfile *o, const char *const *inputs, int n,
			char *err, int errlen)
{
	struct stat out, in;

	if (o->through ? fstat(o->fd, &out) : stat(o->target, &out))
		return 0;	/* a new name is nobody's input */
	for (int i = 0; i < n; i++)
		if (!input_stat(inputs[i], &in) && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino)
			return seterr(err, errlen, -EEXIST, "refusing to write %s: it is the same "
				      "file as the input %s.", o->path,
				      strcmp(inputs[i], "-") ? inputs[i] : "(standard input)");
	return 0;
}

int kht_out_open(struct kht_outfile *o, const char *path, unsigned flags,
		 const char *const *inputs, int ninputs, char *err, int errlen)
{
	struct stat st;
	char *real;
	int magic, rc;

	*o = (struct kht_outfile){ .fd = -1, .path = path, .flags = flags };
	if (!strcmp(path, "-"))
		rc = open_dup(o, STDOUT_FILENO, err, errlen);
	else if (!(real = resolve_links(path, &magic)))
		return seterr(err, errlen, -errno, "cannot create %s: %s.", path, strerror(errno));
	else {
		if (magic >= 0)
			rc = open_dup(o, magic, err, errlen);
		else if (magic == -2 || (stat(real, &st) == 0 && !S_ISREG(st.st_mode) &&
					 !S_ISDIR(st.st_mode)))
			rc = open_through(o, real, err, errlen);
		else if (stat(real, &st) == 0 && S_ISDIR(st.st_mode))
			rc = seterr(err, errlen, -EISDIR, "cannot create %s: it is a directory.", path);
		else
			rc = open_temp(o, real, err, errlen);
		free(real);
	}
	if (!rc)
		rc = check_inputs(o, inputs, ninputs, err, errlen);
	if (rc)
		kht_out_abort(o);
	return rc;
}

int kht_out_publish(struct kht_outfile *o, char *err, int errlen)
{
	struct stat st;

	if (!o->tmp)
		return 0;
	if ((o->flags & KHT_OUT_ROTATE) && lstat(o->target, &st) == 0 && S_ISREG(st.st_mode)) {
		if (snprintf(o->old, sizeof(o->old), "%s.old", o->target) >= (int)sizeof(o->old))
			return seterr(err, errlen, -ENAMETOOLONG, "cannot keep the earlier %s: %s.",
				      o->path, strerror(ENAMETOOLONG));
		if (rename(o->target, o->old) < 0) {
			int rc = -errno;

			o->old[0] = '\0';
			return seterr(err, errlen, rc, "cannot keep the earlier %s as %s.old: %s.",
				      o->path, o->target, strerror(-rc));
		}
	}
	if (rename(o->tmp, o->target) < 0)
		return seterr(err, errlen, -errno, "cannot create %s: %s.", o->path, strerror(errno));
	free(o->tmp);
	o->tmp = NULL;
	return 0;
}

FILE *kht_out_stream(struct kht_outfile *o)
{
	if (!o->f)
		o->f = fdopen(o->fd, "w");
	return o->f;
}

/* What a stream's writes hit: fflush reports the last failed write's errno. */
static int stream_error(FILE *f)
{
	errno = 0;
	if (fflush(f) == EOF || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}

/* Close the descriptor (or its stream): the errno close really failed with. */
static int close_out(struct kht_outfile *o)
{
	int rc = o->f ? fclose(o->f) : close(o->fd);

	o->f = NULL;
	o->fd = -1;
	return rc ? -errno : 0;
}

int kht_out_commit(struct kht_outfile *o, char *err, int errlen)
{
	int rc = o->f ? stream_error(o->f) : 0;

	/* EINVAL/EROFS: a pipe, a tty, /dev/null: nothing to sync */
	if (!rc && fsync(o->fd) < 0 && errno != EINVAL && errno != EROFS)
		rc = -errno;
	if (rc) {
		seterr(err, errlen, rc, "writing %s failed: %s.", o->path, strerror(-rc));
		kht_out_abort(o);
		return rc;
	}
	rc = kht_out_publish(o, err, errlen);
	if (rc) {
		kht_out_abort(o);
		return rc;
	}
	rc = close_out(o);
	if (rc)
		seterr(err, errlen, rc, "writing %s failed: %s.", o->path, strerror(-rc));
	kht_out_release(o);
	return rc;
}

void kht_out_abort(struct kht_outfile *o)
{
	if (o->fd >= 0)
		close_out(o);
	if (o->tmp)
		unlink(o->tmp);
	kht_out_release(o);
}

void kht_out_release(struct kht_outfile *o)
{
	free(o->tmp);
	free(o->target);
	o->tmp = o->target = NULL;
}
