/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event layouts shared by the BPF programs (bpf/) and the front-ends (tools/).
 * Every event starts with struct kht_hdr so a reader can dispatch on type and
 * skip unknown kinds by size; fields are fixed-width so the layout is the same
 * on both sides (and, later, in recorded files).
 */
#ifndef KHUGETRACE_H
#define KHUGETRACE_H

#define KHT_COMM_LEN 16
#define KHT_NAME_LEN 32		/* dentry name, truncated: "path when cheaply known" */
#define KHT_HPAGE_NR 512	/* PMD-sized folio on x86_64: 2 MiB / 4 KiB */

enum kht_event_type {
	KHT_EV_COLLAPSE = 1,	/* one collapse_file() call */
	KHT_EV_UFFD = 2,	/* one userfaultfd ioctl: register, unregister, copy, continue... */
	KHT_EV_SEEK = 3,	/* one lseek(SEEK_DATA/SEEK_HOLE) */
	KHT_EV_MINCORE = 4,	/* one mincore() on a file-backed range */
	KHT_EV_LOCK_WINDOW = 5,	/* one i_pages lock hold by a collapsing task */
	KHT_EV_READER = 6,	/* a lockless page-cache lookup on a mapping under collapse */
	KHT_EV_MODIFY = 7,	/* a change to a file's pages: punch, truncate, write, fallocate */
	KHT_EV_MAX,
};

/* How the collapse was observed; decides which fields are meaningful. */
enum kht_attach_mode {
	KHT_MODE_NONE = 0,
	KHT_MODE_FENTRY,	/* fentry/fexit collapse_file: everything */
	KHT_MODE_KPROBE,	/* kprobe/kretprobe collapse_file: everything */
	KHT_MODE_TP_BTF,	/* tp_btf mm_khugepaged_collapse_file: end only */
	KHT_MODE_RAW_TP,	/* raw_tp, same tracepoint: end only */
	KHT_MODE_SYSCALLS,	/* madvise(MADV_COLLAPSE) + scan_file tracepoint */
	KHT_MODE_MAX,
};

/* kht_collapse.flags */
#define KHT_F_KHUGEPAGED	(1u << 0)	/* initiator is khugepaged, not MADV_COLLAPSE */
#define KHT_F_HAVE_START	(1u << 1)	/* start_index is exact (entry seen or VMA resolved) */
#define KHT_F_HAVE_DURATION	(1u << 2)	/* entry and exit both seen: duration_ns valid */
#define KHT_F_HAVE_HOLES	(1u << 3)	/* nr_none valid (from the scan_file tracepoint) */
#define KHT_F_SHMEM		(1u << 4)
#define KHT_F_HAVE_END_INDEX	(1u << 5)	/* end_index valid (tracepoint's loop index) */
#define KHT_F_HAVE_INODE	(1u << 6)
#define KHT_F_HAVE_RESULT	(1u << 7)	/* result is a scan_result value */
#define KHT_F_HAVE_ADDR		(1u << 8)
#define KHT_F_HAVE_WINDOWS	(1u << 9)	/* lock windows recorded (fentry + lock probes) */
#define KHT_F_PUBLISHED		(1u << 10)	/* the new huge folio was seen at start */
#define KHT_F_UPTODATE_AT_PUBLISH (1u << 11)	/* ... and it was uptodate then */
#define KHT_F_NEW_AT_END	(1u << 12)	/* ... and still there at the last unlock: kept */
#define KHT_F_HAVE_DATAMAP	(1u << 13)	/* data_map valid: the page cache walked at entry */
#define KHT_F_START_BOUND	(1u << 14)	/* no entry seen, but it began after start_ns */
/*
 * tp_btf/raw_tp: the collapse_file tracepoint's addr and is_shmem came out of
 * order (a kernel without 37f0b47c5143, v6.12) and were corrected
 * (include/kht_collapse_tp.h); without KHT_F_HAVE_ADDR the address was lost.
 */
#define KHT_F_TP_ARGS_SWAPPED	(1u << 15)
/*
 * The data map met a present folio that was not uptodate (a write or a
 * fallocate in progress at collapse_file entry): SEEK calls it a hole, but
 * collapse_file waits for its lock and counts it as a page, not a hole.
 */
#define KHT_F_DATAMAP_PENDING	(1u << 16)
/*
 * Lock windows were traced but lockless readers were not (no --spins): the
 * retry_readers/retry_spin_ns fields mean "not watched", not zero. Recordings
 * from before --spins never set it: their readers were always watched.
 */
#define KHT_F_NO_READERS	(1u << 17)

#define KHT_DATAMAP_WORDS	(KHT_HPAGE_NR / 64)

struct kht_hdr {
	unsigned long long ts_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the event's end */
	unsigned int type;		/* enum kht_event_type */
	unsigned int size;		/* sizeof the whole event */
	unsigned int pid;		/* tgid of the initiator */
	unsigned int tid;
	char comm[KHT_COMM_LEN];
};

struct kht_collapse {
	struct kht_hdr hdr;
	unsigned long long start_ns;	/* entry time (KHT_F_HAVE_DURATION) */
	unsigned long long duration_ns;
	unsigned long long ino;
	unsigned long long start_index;	/* first page index of the range */
	unsigned long long end_index;	/* tracepoint's loop index (see docs) */
	unsigned long long addr;	/* PMD-aligned user address in the initiator's mm */
	unsigned long long mm;		/* mm pointer: groups events of one address space */
	unsigned int dev;		/* kernel dev_t of the superblock (MAJOR<<20|MINOR) */
	unsigned int gen;		/* inode->i_generation: tells a reused inode number apart */
	int result;			/* raw enum scan_result value of the running kernel */
	unsigned int nr;		/* pages in the range (HPAGE_PMD_NR) */
	unsigned int nr_none;		/* holes the scan counted */
	unsigned int present;		/* pages the scan found present */
	unsigned int swap;		/* pages the scan found swapped */
	unsigned int flags;		/* KHT_F_* */
	unsigned int attach;		/* enum kht_attach_mode that produced it */
	char name[KHT_NAME_LEN];	/* file's dentry name */
	/* inside collapse_file (KHT_F_HAVE_WINDOWS) */
	unsigned int windows;		/* i_pages lock acquisitions */
	unsigned int retry_readers;	/* lockless readers in flight during the last window */
	unsigned int pad;		/* the compiler's alignment hole, named: not recorded */
	unsigned long long hold_total_ns;
	unsigned long long hold_max_ns;
	unsigned long long publish_ns;	/* first unlock at which the new folio was at start */
	unsigned long long last_win_begin_ns;	/* the final window: where XA_RETRY_ENTRY lives */
	unsigned long long last_win_end_ns;
	unsigned long long retry_spin_ns;	/* readers' overlap with the last window */
	/*
	 * Which pages of the range held data when collapse_file began
	 * (KHT_F_HAVE_DATAMAP, entry modes): bit i of word i / 64 is page
	 * start_index + i. Data = an uptodate folio or a value (swap) entry;
	 * an empty slot or a !uptodate (fallocated, unwritten) folio is a hole,
	 * as SEEK_DATA sees it.
	 */
	unsigned long long data_map[KHT_DATAMAP_WORDS];
};

/* Flags shared by the uffd, seek and mincore events */
#define KHT_O_HAVE_INODE	(1u << 0)	/* dev/ino/gen/index valid: a file-backed range */
#define KHT_O_HAVE_DURATION	(1u << 1)
#define KHT_O_SHMEM		(1u << 2)
#define KHT_O_HUGETLB		(1u << 3)
#define KHT_O_ANON		(1u << 4)	/* anonymous memory: grouped per process */
#define KHT_O_HAVE_OUT		(1u << 5)	/* kht_uffd.out valid (copy/continue progress) */
#define KHT_O_TRUNCATED		(1u << 6)	/* mincore: only the first KHT_MINCORE_MAX pages counted */

/* UFFDIO_* ioctl numbers (_IOC_NR), as in include/uapi/linux/userfaultfd.h */
enum kht_uffd_op {
	KHT_UFFD_REGISTER = 0x00,
	KHT_UFFD_UNREGISTER = 0x01,
	KHT_UFFD_WAKE = 0x02,
	KHT_UFFD_COPY = 0x03,
	KHT_UFFD_ZEROPAGE = 0x04,
	KHT_UFFD_MOVE = 0x05,
	KHT_UFFD_WRITEPROTECT = 0x06,
	KHT_UFFD_CONTINUE = 0x07,
	KHT_UFFD_POISON = 0x08,
	KHT_UFFD_API = 0x3f,
	KHT_UFFD_FAULT = 0x40,	/* not an ioctl: a fault handed to userfaultfd (handle_userfault) */
};
#define KHT_UFFD_IOC_TYPE 0xAA

/* UFFDIO_REGISTER_MODE_* */
#define KHT_UFFD_MODE_MISSING	(1u << 0)
#define KHT_UFFD_MODE_WP	(1u << 1)
#define KHT_UFFD_MODE_MINOR	(1u << 2)

/* Identity of the file page range an operation touched. */
struct kht_fileref {
	unsigned long long ino;
	unsigned long long index;	/* first page index of the range in the file */
	unsigned int dev;
	unsigned int gen;
};

struct kht_uffd {
	struct kht_hdr hdr;
	unsigned long long start_ns;
	unsigned long long duration_ns;
	unsigned long long addr;	/* user range */
	unsigned long long len;
	unsigned long long uffd_mode;	/* register: UFFDIO_REGISTER_MODE_*; copy/continue: their mode */
	long long result;		/* ioctl return value (0 or -errno) */
	long long out;			/* copy.copy / continue.mapped: bytes done, or -errno */
	struct kht_fileref file;	/* KHT_O_HAVE_INODE */
	unsigned int op;		/* enum kht_uffd_op */
	unsigned int flags;		/* KHT_O_* */
	unsigned int attach;		/* enum kht_attach_mode */
	unsigned int pad;
	char name[KHT_NAME_LEN];
};

#define KHT_SEEK_DATA 3
#define KHT_SEEK_HOLE 4

struct kht_seek {
	struct kht_hdr hdr;
	unsigned long long start_ns;
	unsigned long long duration_ns;
	long long offset;		/* asked */
	long long result;		/* returned offset, or -errno (-ENXIO: no more data/holes) */
	struct kht_fileref file;	/* index = offset's page */
	unsigned int whence;		/* KHT_SEEK_DATA / KHT_SEEK_HOLE */
	unsigned int flags;
	unsigned int attach;
	unsigned int pad;
	char name[KHT_NAME_LEN];
};

#define KHT_MINCORE_MAX 1024	/* pages counted per call: bounded work in BPF */

struct kht_mincore {
	struct kht_hdr hdr;
	unsigned long long start_ns;
	unsigned long long duration_ns;
	unsigned long long addr;
	unsigned long long len;
	long long result;
	struct kht_fileref file;	/* index = first page of the range */
	unsigned int pages;		/* pages in the range (counted up to KHT_MINCORE_MAX) */
	unsigned int resident;		/* of those, reported resident */
	unsigned int flags;
	unsigned int attach;
	char name[KHT_NAME_LEN];
};

/* What the collapsing task left at the range's first slot when it dropped the lock. */
enum kht_slot {
	KHT_SLOT_EMPTY = 0,	/* a hole */
	KHT_SLOT_OLD,		/* the entry that was there when collapse_file started */
	KHT_SLOT_NEW,		/* a different compound head: the new huge folio */
	KHT_SLOT_RETRY,		/* XA_RETRY_ENTRY */
	KHT_SLOT_VALUE,		/* a value entry (swap/shadow) */
	KHT_SLOT_OTHER,		/* some other small folio */
};

struct kht_lock_window {
	struct kht_hdr hdr;
	unsigned long long start_ns;	/* lock acquired (fexit of the lock function) */
	unsigned long long hold_ns;	/* until the unlock */
	struct kht_fileref file;	/* index = the collapse's start_index */
	unsigned int window;		/* 1, 2, ... within its collapse */
	unsigned int slot;		/* enum kht_slot at the unlock */
	unsigned int uptodate;		/* slot is KHT_SLOT_NEW and PG_uptodate was set */
	unsigned int readers;		/* lockless readers that overlapped this hold */
};

/*
 * Lock windows as the BPF programs send them: up to KHT_WIN_BATCH of one
 * collapse in one ring-buffer record, flushed when full and when its
 * collapse_file returns (before the collapse's own event). A record per
 * window cost ~150 instructions of reserve and submit, inside the lock
 * hold. Not an event type (outside enum kht_event_type on purpose): the
 * session (tools/session.c) expands each into KHT_EV_LOCK_WINDOW events on
 * arrival, except for `record`, which stores the batch as it came
 * (KHT_TF_WIN_BATCH, tools/lib/tracefile.h) and `report` expands it there.
 */
#define KHT_WIRE_LOCK_WINDOWS	0x100
#define KHT_WIN_BATCH		16

struct kht_win_entry {
	unsigned long long start_ns;	/* kht_lock_window's, the same meaning */
	unsigned long long hold_ns;
	unsigned int window;
	unsigned char slot;
	unsigned char uptodate;
	unsigned short readers;		/* saturates at 65535 */
};

struct kht_win_batch {
	struct kht_hdr hdr;		/* the collapsing task's; ts_ns: the last window's end */
	struct kht_fileref file;
	unsigned int n;			/* entries used, 1..KHT_WIN_BATCH */
	unsigned int pad;
	struct kht_win_entry w[KHT_WIN_BATCH];
};

enum kht_reader_fn {
	KHT_RD_FILEMAP_GET_ENTRY = 1,	/* 6.12+ */
	KHT_RD_FILEMAP_GET_FOLIO,	/* __filemap_get_folio (6.1, 6.12) */
	KHT_RD_FILEMAP_GET_FOLIO_MPOL,	/* __filemap_get_folio_mpol (6.19) */
	KHT_RD_SEEK_HOLE_DATA,		/* mapping_seek_hole_data */
};

struct kht_reader {
	struct kht_hdr hdr;
	unsigned long long start_ns;
	unsigned long long duration_ns;
	unsigned long long overlap_ns;	/* time inside a lock hold of the collapsing task */
	struct kht_fileref file;	/* index = page looked up (seek: start page) */
	unsigned int fn;		/* enum kht_reader_fn */
	unsigned int collapser_tid;	/* the task collapsing this mapping */
};

/*
 * Modifications of a file's pages (bpf/modify.bpf.c). They are what makes a
 * hole seen during a collapse legitimate, so the race rules need them; they
 * are traced only for inodes a collapse touched within KHT_WATCH_HORIZON_NS
 * (from its entry, or its end where the entry is not visible), which is what
 * keeps the write hook cheap.
 */
#define KHT_WATCH_HORIZON_NS (10ULL * 1000000000ULL)

enum kht_modify_op {
	KHT_MOD_PUNCH = 1,	/* fallocate(PUNCH_HOLE), MADV_REMOVE: pages become holes */
	KHT_MOD_TRUNCATE,	/* truncate/ftruncate: pages from the new size on go */
	KHT_MOD_WRITE,		/* write(2) into the page cache */
	KHT_MOD_FALLOCATE,	/* other fallocate modes (unwritten pages read as holes) */
	KHT_MOD_FILL,		/* a new folio put into a hole: fault, write, UFFDIO_COPY... */
};

#define KHT_FALLOC_PUNCH_HOLE 0x02	/* FALLOC_FL_PUNCH_HOLE */

struct kht_modify {
	struct kht_hdr hdr;
	unsigned long long start_ns;
	unsigned long long duration_ns;
	long long offset;		/* bytes: start of the range; truncate: the new size */
	long long len;			/* bytes; truncate: 0 (to the end of the file) */
	long long result;		/* 0 or bytes written, or -errno */
	struct kht_fileref file;	/* index = offset's page */
	unsigned int op;		/* enum kht_modify_op */
	unsigned int fmode;		/* fallocate: FALLOC_FL_* bits */
	unsigned int flags;		/* KHT_O_* */
	unsigned int attach;		/* enum kht_attach_mode */
	char name[KHT_NAME_LEN];
};

#endif /* KHUGETRACE_H */
