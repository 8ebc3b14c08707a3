/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening an output file safely: the one place that decides how record,
 * report --perfetto and timeline --perfetto write what the user named.
 *
 *  - "-" is standard output; so is any /proc/self/fd link to one of our
 *    descriptors (/dev/stdout, /dev/fd/N): the descriptor is duplicated, so
 *    `-o /dev/stdout >> x` appends where the shell said.
 *  - An output that is not a regular file (device, FIFO, socket, or a
 *    symlink to one) is opened and written through, never replaced.
 *  - A regular file (or a name that does not exist yet) is written as a
 *    temporary beside its real location (symlinks resolved) and renamed
 *    over it by kht_out_publish(): a failure leaves the old file intact, and
 *    a symlink stays a symlink whose target gets the new content.
 *  - An output that is one of the inputs (same st_dev/st_ino, through any
 *    link) is refused before anything is written.
 *
 * Functions return 0 or -errno, with one sentence in err ("cannot create X:
 * No such file or directory.").
 */
#ifndef KHT_OUTFILE_H
#define KHT_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

/* kht_out_open() flags */
#define KHT_OUT_ROTATE 1	/* publish moves an existing regular file to FILE.old (perf-style) */

struct kht_outfile {
	int fd;			/* write here; -1 once closed or handed over */
	FILE *f;		/* kht_out_stream(): a stdio stream over fd */
	const char *path;	/* as given: for messages */
	char *target;		/* the resolved file the rename lands on (temp+rename only) */
	char *tmp;		/* the temporary until published, else NULL */
	bool through;		/* written in place: not a regular file, or a descriptor */
	char old[4096];		/* where publish kept an earlier file (TARGET.old), or "" */
	unsigned flags;
};

/*
 * Open path for writing (mode 0600 when created). inputs: the files this
 * command reads ("-" = standard input); the output must be none of them.
 */
int kht_out_open(struct kht_outfile *o, const char *path, unsigned flags,
		 const char *const *inputs, int ninputs, char *err, int errlen);
/*
 * Put the temporary in place (rotating an existing file if asked); the
 * descriptor stays open for more writing. A no-op when written through.
 */
int kht_out_publish(struct kht_outfile *o, char *err, int errlen);
/* A stdio stream over the descriptor, owned by o (commit flushes and closes it). */
FILE *kht_out_stream(struct kht_outfile *o);
/*
 * Flush the stream, fsync, publish if not yet done, close: the real errno of
 * what failed (the temporary is removed then, the old file left as it was).
 */
int kht_out_commit(struct kht_outfile *o, char *err, int errlen);
/* Close and remove the temporary (an output written through is left as it is). */
void kht_out_abort(struct kht_outfile *o);
/* Free what open allocated once fd has been handed to someone else (after publish). */
void kht_out_release(struct kht_outfile *o);

#endif
