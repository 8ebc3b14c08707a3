/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorded-trace file (`khugetrace record -o FILE` / `khugetrace report`).
 * The byte layout is in docs/file-format.md; in short:
 *
 *   file header   magic "KHTRACE\0", major/minor, length, metadata, CRC32
 *   block ...     32-byte block header + zlib-compressed {u32 type, u32 len, payload} records
 *   trailer       a last block of kind "trailer": record counts and drops
 *
 * The writer streams with bounded memory (one 64 KiB block buffered); a crash
 * loses at most the block being filled. The reader delivers every record of
 * every intact block, skips damaged blocks (resyncing on the block magic),
 * reports a cut-off end, and never trusts a length from the file beyond the
 * KHT_TF_MAX_* limits below. Record payloads are opaque to the container:
 * kht_tf_encode_event()/kht_tf_decode_event() turn the events of
 * include/khugetrace.h into a padding-free little-endian form and back.
 *
 * Functions returning int return 0 (or a positive count) on success and
 * -errno on failure, unless said otherwise. Not thread-safe per object.
 */
#ifndef KHT_TRACEFILE_H
#define KHT_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "btf_enum.h"
#include "outfile.h"

/*
 * What this code writes, and the oldest major it still reads. 2.0 changed the
 * event encoding (packed records): a 1.x reader must refuse such a file, not
 * read it as one full of unknown record types.
 */
#define KHT_TF_MAJOR 2
#define KHT_TF_MINOR 1
#define KHT_TF_MAJOR_OLDEST 1

/*
 * Record types: the enum kht_event_type values, in the fixed (1.x) encoding;
 * the same values with KHT_TF_PACKED set for the packed encoding (2.0, what
 * kht_tf_write_event writes). 0 is reserved (never written).
 */
#define KHT_TF_PACKED (1u << 16)
/*
 * Up to KHT_WIN_BATCH lock windows of one collapse in one record, as the BPF
 * programs send them (KHT_WIRE_LOCK_WINDOWS, include/khugetrace.h): what
 * `record` writes for lock windows since 2.1. Not an event type: readers
 * expand it into KHT_EV_LOCK_WINDOW events (kht_tf_win_batch_each,
 * event_fmt.h); a 2.0 reader skips it as a record type it does not know.
 */
#define KHT_TF_WIN_BATCH (0x100u | KHT_TF_PACKED)
/* The event type of a record type, whatever its encoding. */
static inline unsigned kht_tf_event_type(unsigned type)
{
	return type & ~KHT_TF_PACKED;
}

/* In-memory sizes of the metadata the reader keeps (the file may hold more; see .cut). */
#define KHT_TF_RELEASE_LEN 128
#define KHT_TF_HOOK_LEN 64
#define KHT_TF_MODE_LEN 16
#define KHT_TF_ENUM_NAME_LEN 32
#define KHT_TF_MAX_HOOKS 32
#define KHT_TF_MAX_ENUMS 8
#define KHT_TF_MAX_TYPES 64		/* per-type counts kept in the trailer */
#define KHT_TF_MAX_CPUS 4096

/* Hard limits on what the reader accepts from a file (anything larger is corrupt). */
#define KHT_TF_MAX_HEADER (1u << 20)		/* whole file header */
#define KHT_TF_MAX_STR 4096			/* any string in the header */
#define KHT_TF_MAX_FILE_HOOKS 256
#define KHT_TF_MAX_FILE_ENUMS 64
#define KHT_TF_MAX_ENUM_VALS 1024
#define KHT_TF_MAX_FILE_TYPES 1024		/* trailer entries */
#define KHT_TF_MAX_ULEN (1u << 20)		/* uncompressed block */
#define KHT_TF_MAX_CLEN ((1u << 20) + 1024)	/* compressed block (>= compressBound(1 MiB)) */
/*
 * Uncompressed bytes per stored byte of a block (ulen <= this * clen). The
 * writer's zlib level 1 gives at most ~230 (all zeros); recorded events ~5
 * (packed) to ~75 (fixed, nothing but the time changing); deflate itself up
 * to 1032. A block over it is a zlib bomb: refused unread, so a hostile file
 * costs at most what a real one this many times its size would.
 */
#define KHT_TF_MAX_RATIO 256

/* What the writer buffers before compressing a block, and so the largest record. */
#define KHT_TF_BLOCK_SIZE (64u * 1024)
#define KHT_TF_REC_HDR 8
#define KHT_TF_MAX_RECORD (KHT_TF_BLOCK_SIZE - KHT_TF_REC_HDR)

struct kht_tf_hook {
	char hook[KHT_TF_HOOK_LEN];	/* "collapse_file", ... */
	char mode[KHT_TF_MODE_LEN];	/* "fentry", "kprobe", ... */
};

struct kht_tf_named_enum {
	char name[KHT_TF_ENUM_NAME_LEN];	/* "scan_result" */
	struct kht_enum e;
};

/* Everything `report` needs to print a recording made on another machine. */
struct kht_tf_meta {
	unsigned major, minor;		/* reader: the file's version; writer: ignored */
	char release[KHT_TF_RELEASE_LEN];	/* uname -r of the recording kernel */
	/* CLOCK_MONOTONIC and CLOCK_REALTIME read at the same moment: event
	 * timestamps (bpf_ktime_get_ns) map to wall time as
	 * wall = wall_base_ns + (ts - mono_base_ns); see kht_tf_wall_ns(). */
	unsigned long long mono_base_ns;
	long long wall_base_ns;
	unsigned long long features;	/* caller-defined feature bits */
	int nhooks;
	struct kht_tf_hook hooks[KHT_TF_MAX_HOOKS];
	int nenums;
	struct kht_tf_named_enum enums[KHT_TF_MAX_ENUMS];
	unsigned cut;			/* reader: hooks, enums, enum values or string bytes
					 * in the file that did not fit these arrays */
};

struct kht_tf_type_count {
	unsigned type;
	unsigned long long count;
};

/* ~33 KiB: keep it static or on the heap. */
struct kht_tf_trailer {
	unsigned long long records;	/* written (counted by the writer) */
	unsigned long long drops;	/* lost before reaching the writer (caller's count) */
	unsigned long long end_mono_ns;	/* CLOCK_MONOTONIC at close (writer fills it if 0) */
	unsigned ntypes;		/* records per type (counted by the writer) */
	struct kht_tf_type_count types[KHT_TF_MAX_TYPES];
	unsigned ncpus;			/* caller's per-CPU drop counts, may be 0 */
	unsigned long long drops_per_cpu[KHT_TF_MAX_CPUS];
};

/* ---- metadata helpers ---- */

/* Zero m, then fill release (uname) and the two clock bases. */
void kht_tf_meta_init(struct kht_tf_meta *m);
/* -ENOSPC when the table is full; strings are cut to the field sizes. */
int kht_tf_meta_add_hook(struct kht_tf_meta *m, const char *hook, const char *mode);
int kht_tf_meta_add_enum(struct kht_tf_meta *m, const char *name, const struct kht_enum *e);
/* The table stored under name, or NULL. */
const struct kht_enum *kht_tf_meta_enum(const struct kht_tf_meta *m, const char *name);
/* A CLOCK_MONOTONIC event timestamp as CLOCK_REALTIME ns. */
long long kht_tf_wall_ns(const struct kht_tf_meta *m, unsigned long long mono_ns);

/* ---- writing ---- */

struct kht_tf_writer;

/*
 * Create path with the file header, opened as outfile.h says (no rotation,
 * no inputs): a regular file is written under a temporary name beside it
 * and renamed over it once the header is on disk, so a failed create leaves
 * neither a new file nor a damaged old one; a device, FIFO or /dev/stdout is
 * written through. NULL and one sentence in err on failure. The file is mode
 * 0600: it holds process and file names.
 */
struct kht_tf_writer *kht_tf_create(const char *path, const struct kht_tf_meta *m,
				    char *err, int errlen);
/*
 * The same over an output the caller opened (kht_out_open: its flags, its
 * input check): writes the header, publishes, and takes the descriptor. o is
 * released on success and aborted on failure.
 */
struct kht_tf_writer *kht_tf_create_out(struct kht_outfile *o, const struct kht_tf_meta *m,
					char *err, int errlen);
/* Append one record (type != 0, len <= KHT_TF_MAX_RECORD); flushes a full block. */
int kht_tf_write(struct kht_tf_writer *w, unsigned type, const void *data, unsigned len);
/*
 * Append an event of include/khugetrace.h in its packed encoding: record type
 * hdr.type | KHT_TF_PACKED, counted in the trailer under hdr.type.
 */
int kht_tf_write_event(struct kht_tf_writer *w, const void *ev);
/*
 * Append a batch of lock windows (struct kht_win_batch) as one
 * KHT_TF_WIN_BATCH record, counted as b->n events; -EINVAL for n outside
 * 1..KHT_WIN_BATCH.
 */
struct kht_win_batch;
int kht_tf_write_win_batch(struct kht_tf_writer *w, const struct kht_win_batch *b);
/* Write the partial block now (call it every second or so); no-op when empty. No fsync. */
int kht_tf_flush(struct kht_tf_writer *w);
/*
 * Flush, write the trailer, fsync, close and free w (always freed). t may be
 * NULL; only its drops, ncpus/drops_per_cpu and end_mono_ns are used: the
 * writer counts records and types itself.
 */
int kht_tf_close(struct kht_tf_writer *w, const struct kht_tf_trailer *t);

struct kht_tf_wstats {
	unsigned long long records;	/* accepted by kht_tf_write*() */
	unsigned long long records_out;	/* in record blocks written to the file (all of
					 * them after a clean close; what a reader finds
					 * after a write error) */
	unsigned long long events;	/* the same as events: a batch record counts
					 * its windows */
	unsigned long long events_out;
	unsigned long long blocks;
	unsigned long long bytes_in;	/* uncompressed record bytes */
	unsigned long long bytes_out;	/* file size so far (header + written blocks) */
};
void kht_tf_writer_stats(const struct kht_tf_writer *w, struct kht_tf_wstats *s);
/* kht_tf_close() that also says what reached the file (ws may be NULL). */
int kht_tf_close_stats(struct kht_tf_writer *w, const struct kht_tf_trailer *t,
		       struct kht_tf_wstats *ws);

/* ---- reading ---- */

struct kht_tf_reader;

struct kht_tf_stats {
	unsigned long long blocks;	/* intact record blocks read */
	unsigned long long records;	/* records delivered */
	unsigned long long corrupt;	/* damaged spots skipped (each one warning) */
	unsigned long long skipped_bytes;	/* bytes skipped in those */
	unsigned long long missing_blocks;	/* blocks lost, from gaps in block numbers */
	unsigned long long unknown_blocks;	/* intact blocks of a kind this reader lacks */
	unsigned long long partial_bytes;	/* bytes of an incomplete last block: lost */
	bool truncated;			/* the file ends before a trailer: recording cut off */
	bool has_trailer;
	const struct kht_tf_trailer *trailer;	/* when has_trailer; valid until kht_tf_free */
	char warning[160];		/* the last corruption warning, "" if none */
};

/*
 * Open a recording and read its header into m. NULL and one sentence in err
 * when it is missing, not a regular file, empty, not a recording, has a
 * damaged header or a newer major version. Memory is bounded (~2 MiB).
 */
struct kht_tf_reader *kht_tf_open(const char *path, struct kht_tf_meta *m, char *err, int errlen);
/*
 * The same over an open descriptor (taken: freed with the reader); label
 * names it in messages. It must be a regular file: the reader seeks.
 */
struct kht_tf_reader *kht_tf_open_fd(int fd, const char *label, struct kht_tf_meta *m,
				    char *err, int errlen);
/* The same over a buffer, which must outlive the reader (tests, fuzzing). */
struct kht_tf_reader *kht_tf_open_mem(const void *buf, size_t len, struct kht_tf_meta *m,
				      char *err, int errlen);
/*
 * Next record: 1 with *type, *data, *len set; 0 at the end; -1 on a read
 * error (kht_tf_error() says which; later calls return 0). *data is valid
 * until the next call and not aligned: memcpy it or use kht_tf_decode_event().
 * Every record type is delivered; callers skip the types they do not know.
 */
int kht_tf_next(struct kht_tf_reader *r, unsigned *type, const void **data, unsigned *len);
void kht_tf_stats(const struct kht_tf_reader *r, struct kht_tf_stats *s);
/* The sentence for a -1 from kht_tf_next(), "" if none. */
const char *kht_tf_error(const struct kht_tf_reader *r);
void kht_tf_free(struct kht_tf_reader *r);

/*
 * The trailer of a recording, without reading its records: walks the block
 * headers from the end of the file header, stepping over every block but a
 * trailer by its (CRC-checked) stored length, unread and not inflated, and
 * inflates only the trailer. Where a block header is damaged it scans for the
 * next valid one exactly as kht_tf_next() does, so it returns the trailer a
 * full read ends with, on any input: 1 with *t filled (~33 KiB: static or
 * heap); 0 when there is none (cut off, damaged end; err says so); -EINVAL
 * when kht_tf_open() would refuse the file (not a regular file, not a
 * recording, damaged header, other major; -EISDIR for a directory); another
 * -errno when it cannot be opened or read, or -ENOMEM. Cost: one 32-byte
 * read per block, plus the damaged bytes scanned; memory as a reader's.
 */
int kht_tf_peek_trailer(const char *path, struct kht_tf_trailer *t, char *err, int errlen);
/*
 * The same with an open reader, before its first kht_tf_next(), which then
 * reads from the first block: the file is read once, as the records pass
 * steps over the damaged spots the walk scanned instead of scanning them
 * again (`report` puts the trailer's counts above the records this way).
 * -EINVAL when records were read already.
 */
int kht_tf_find_trailer(struct kht_tf_reader *r, struct kht_tf_trailer *t, char *err, int errlen);
/* The same over a descriptor (taken), as kht_tf_open_fd(). */
int kht_tf_peek_trailer_fd(int fd, const char *label, struct kht_tf_trailer *t,
			   char *err, int errlen);
/* The same over a buffer (tests, fuzzing); -EINVAL for any refused buffer. */
int kht_tf_peek_trailer_mem(const void *buf, size_t len, struct kht_tf_trailer *t,
			    char *err, int errlen);
/* Blocks this process has decompressed (CRC-checked payloads): tests and benchmarks. */
unsigned long long kht_tf_inflate_count(void);
/* Bytes this process's scans for a valid block header went over: tests and benchmarks. */
unsigned long long kht_tf_scan_count(void);

/* ---- event encoding ---- */

/*
 * Events of include/khugetrace.h are stored field by field, in the order of
 * their kind's fields (tools/lib/events/ev_*.c; new fields are only ever
 * appended), either fixed (1.0: each field little-endian at its size, no
 * padding; record type = event type) or packed (2.0: varints, see
 * docs/file-format.md; record type = event type | KHT_TF_PACKED). encode
 * (fixed) / pack: bytes written to out, -ENOENT for a type without a table,
 * -ENOSPC if outlen is too small (pack wants the most a packed event can take;
 * 512 bytes is plenty). decode takes the record type and so either encoding:
 * fills *out (a struct of that event type, outlen >= its size) and returns its
 * size; fields missing from a short (older) payload are zero, extra (newer)
 * bytes are ignored; hdr.type/size are set to the event type and the local
 * size. -ENOENT for an unknown type, -EINVAL if the payload lacks the common
 * header (or, packed, is malformed).
 */
int kht_tf_encode_event(const void *ev, void *out, unsigned outlen);
int kht_tf_pack_event(const void *ev, void *out, unsigned outlen);
int kht_tf_decode_event(unsigned type, const void *data, unsigned len, void *out, unsigned outlen);
/* Fixed-encoding size of the type's current fields, or 0 if it has no table. */
unsigned kht_tf_event_wire_size(unsigned type);

#endif
