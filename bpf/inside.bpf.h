/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside collapse_file (fentry mode): the collapsing task's i_pages
 * lock windows, what the range's first page-cache slot holds at each unlock
 * (so we see when the new huge folio is published and whether it is uptodate
 * then), and lockless page-cache readers on the same mapping that overlap a
 * lock hold — the ones that spin on XA_RETRY_ENTRY in the final window.
 *
 * lib/xarray.c cannot be traced on our kernels (fentry EBUSY, kprobe EINVAL),
 * so the store itself is invisible: the slot is read from BPF with a bounded
 * xarray walk at lock release. See docs/races.md for the inference.
 *
 * Cost: the gated fentry lock probes fire for every such lock on the system;
 * `collapsing_now` is checked first so that, outside a collapse, each costs
 * one load and a branch. The call-site kprobes cost nothing outside
 * collapse_file (see win_open()). The reader probes fire on every page-cache
 * lookup of the system (a trampoline each, even when they leave at once):
 * they are loaded only with --spins (docs/races.md, "retry-spin").
 */
#ifndef KHT_INSIDE_BPF_H
#define KHT_INSIDE_BPF_H

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_MASK 63
#define XA_RETRY_ENTRY 0x402ULL

/* Set by the front-end when the lock programs are loaded, */
const volatile bool inside = false;
/* ... and when the reader programs are too (--spins). */
const volatile bool spins = false;
/* collapse_file calls in flight: the early exit of every lock/reader probe */
volatile __u32 collapsing_now = 0;

struct inside_state {
	__u64 lock;		/* &mapping->i_pages.xa_lock */
	__u64 mapping;
	__u64 start;
	__u64 old_entry;	/* slot at start when collapse_file began */
	__u64 win_begin;	/* 0 when the lock is not held */
	__u64 last_win_begin;
	__u64 last_win_end;
	__u32 win_readers;	/* readers that overlapped the current/last hold */
	__u64 win_spin_ns;
	/*
	 * The collapse event's window summary, kept here and copied into it at
	 * exit (inside_exit): an unlock then looks up one map, not two.
	 */
	__u32 windows;
	__u32 flags;		/* KHT_F_PUBLISHED, _UPTODATE_AT_PUBLISH, _NEW_AT_END */
	__u64 hold_total_ns;
	__u64 hold_max_ns;
	__u64 publish_ns;
	struct kht_fileref file;	/* for the window events; index = start */
	struct kht_hdr win_hdr;		/* ... and their header but the time */
	/* the xarray leaf node holding start's slot (0: walk from the head) */
	__u64 leaf;
	/* windows not sent yet (win_flush) */
	__u32 nbatch;
	__u32 pad2;
	struct kht_win_entry batch[KHT_WIN_BATCH];
};

/*
 * Where a collapsing task's state is found at every lock and unlock: an
 * array slot picked by its tid (an inlined lookup, a few instructions),
 * not a hash (measured on 6.12: ~170 instructions per probe, a quarter of
 * the windows' cost). A slot is claimed at collapse_file entry by an
 * insert into `inside_claims` (BPF_NOEXIST: atomic, where two collapsing
 * tids that share a slot could race) and freed at its exit. A collapse
 * whose slot is taken keeps its state in the `inside_states` hash, looked
 * at only while `inside_overflow` counts one.
 */
#define INSIDE_SLOTS 1024

struct inside_slot {
	__u32 tid;		/* the owner; 0: free */
	__u32 pad;
	struct inside_state st;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, INSIDE_SLOTS);
	__type(key, __u32);	/* tid % INSIDE_SLOTS */
	__type(value, struct inside_slot);
} inside_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, INSIDE_SLOTS);
	__type(key, __u32);	/* slot index */
	__type(value, __u32);	/* its owner's tid */
} inside_claims SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* tid of the collapsing task */
	__type(value, struct inside_state);
} inside_states SEC(".maps");

volatile __u32 inside_overflow = 0;

/* The state of tid's collapse in flight, or NULL. */
static __always_inline struct inside_state *inside_of(__u32 tid)
{
	__u32 k = tid % INSIDE_SLOTS;
	struct inside_slot *s = bpf_map_lookup_elem(&inside_slots, &k);

	if (s && s->tid == tid && tid)	/* 0: a free slot, not the idle task's */
		return &s->st;
	if (!inside_overflow)
		return NULL;
	return bpf_map_lookup_elem(&inside_states, &tid);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);	/* struct address_space * under collapse */
	__type(value, __u32);	/* its collapsing tid */
} collapsing_mappings SEC(".maps");

struct reader_state {
	__u64 begin;
	__u64 mapping;
	__u64 index;
	__u32 fn;
	__u32 collapser;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct reader_state);
} readers SEC(".maps");

/*
 * The raw entry at index: a bounded walk from xa_head (at most 6 levels).
 * *leaf: the level-0 node whose slot it is, or 0 (a multi-index entry
 * higher up, xa_head itself, a sibling).
 */
static __always_inline __u64 xa_slot_leaf(struct address_space *mapping, __u64 index, __u64 *leaf)
{
	__u64 e = (__u64)BPF_CORE_READ(mapping, i_pages.xa_head);

	*leaf = 0;
	for (int level = 0; level < 6; level++) {
		struct xa_node *node;
		__u32 off;
		__u8 shift;

		/* internal entries > 4096 are nodes; everything else is the answer */
		if ((e & 3) != 2 || e <= 4096)
			return e;
		node = (struct xa_node *)(e - 2);
		shift = BPF_CORE_READ(node, shift);
		off = (index >> shift) & XA_CHUNK_MASK;
		bpf_probe_read_kernel(&e, sizeof(e), &node->slots[off]);
		if ((e & 3) == 2 && (e >> 2) < 64) {	/* sibling: the canonical slot */
			bpf_probe_read_kernel(&e, sizeof(e), &node->slots[(e >> 2) & XA_CHUNK_MASK]);
			return e;
		}
		if (shift == 0)
			*leaf = (__u64)node;
	}
	return e;
}

/*
 * The entry at the collapse's start through the leaf found last time: two
 * reads instead of a walk from the head at every unlock. The leaf is still
 * the one if it belongs to this xarray at level 0 and at the same place in
 * its parent: a node the xarray frees is marked XA_RCU_FREE in `array`
 * first (xa_node_free), and is not reused before a grace period, which the
 * collapsing task's irq-disabled hold cannot let pass. Otherwise walk again.
 */
static __always_inline __u64 xa_start_slot(struct inside_state *st, struct address_space *mapping)
{
	struct {
		__u8 shift, offset, count, nr_values;
		__u32 pad;
		__u64 parent, array, private_list[2], slot0;
	} h;
	__u64 leaf = st->leaf, e;
	/*
	 * The header read in one go where the layout is the one we know (all
	 * so far). A collapse starts at a multiple of HPAGE_PMD_NR, so its
	 * entry is its leaf's slots[0], right after the header: one read for
	 * both (a helper call fewer at every unlock, ~1% of a 6.1 collapse).
	 */
	bool one_read = bpf_core_field_offset(struct xa_node, slots) == 40 &&
			!(st->start & XA_CHUNK_MASK);

	if (leaf && bpf_core_field_offset(struct xa_node, offset) == 1 &&
	    bpf_core_field_offset(struct xa_node, array) == 16 &&
	    !bpf_probe_read_kernel(&h, one_read ? sizeof(h) : offsetof(typeof(h), private_list),
				   (void *)leaf) &&
	    h.array == (__u64)__builtin_preserve_access_index(&mapping->i_pages) && h.shift == 0 &&
	    h.offset == ((st->start >> XA_CHUNK_SHIFT) & XA_CHUNK_MASK)) {
		if (one_read)
			e = h.slot0;
		else if (bpf_probe_read_kernel(&e, sizeof(e),
				&((struct xa_node *)leaf)->slots[st->start & XA_CHUNK_MASK]))
			goto walk;
		if (!((e & 3) == 2 && ((e >> 2) < 64 || e > 4096)))	/* not a sibling or a node */
			return e;
	}
walk:
	e = xa_slot_leaf(mapping, st->start, &leaf);
	st->leaf = leaf;
	return e;
}

static __always_inline __u64 page_flags(__u64 page)
{
	__u64 flags = 0;

	/* struct page's first word is its flags on every version (a struct on 6.18) */
	bpf_probe_read_kernel(&flags, sizeof(flags), (void *)page);
	return flags;
}

static __always_inline __u32 slot_state(__u64 e, __u64 old, bool *uptodate)
{
	__u64 flags;

	*uptodate = false;
	if (!e)
		return KHT_SLOT_EMPTY;
	if (e == XA_RETRY_ENTRY)
		return KHT_SLOT_RETRY;
	if (e & 1)
		return KHT_SLOT_VALUE;
	if (e == old)
		return KHT_SLOT_OLD;
	if (e & 3)
		return KHT_SLOT_OTHER;
	flags = page_flags(e);
	if (!(flags & (1ULL << bpf_core_enum_value(enum pageflags, PG_head))))
		return KHT_SLOT_OTHER;
	*uptodate = flags & (1ULL << bpf_core_enum_value(enum pageflags, PG_uptodate));
	return KHT_SLOT_NEW;
}

/* Take tid's slot for st (false: another collapse holds it). */
static __always_inline bool inside_claim(__u32 tid, struct inside_state *st)
{
	__u32 k = tid % INSIDE_SLOTS;
	struct inside_slot *s;

	if (bpf_map_update_elem(&inside_claims, &k, &tid, BPF_NOEXIST)) {
		__u32 *owner = bpf_map_lookup_elem(&inside_claims, &k);

		/* ours already: a return we did not see; start over in it, as
		 * an insert would replace it (never another tid's) */
		if (!owner || *owner != tid)
			return false;
	}
	s = bpf_map_lookup_elem(&inside_slots, &k);
	if (!s) {
		bpf_map_delete_elem(&inside_claims, &k);
		return false;
	}
	s->st = *st;
	s->tid = tid;	/* last: the slot is found only once it is whole */
	return true;
}

/* Forget tid's state, wherever it is. */
static __always_inline void inside_release(__u32 tid)
{
	__u32 k = tid % INSIDE_SLOTS;
	struct inside_slot *s = bpf_map_lookup_elem(&inside_slots, &k);

	if (s && s->tid == tid) {
		s->tid = 0;
		bpf_map_delete_elem(&inside_claims, &k);
	} else if (!bpf_map_delete_elem(&inside_states, &tid)) {
		__sync_fetch_and_add(&inside_overflow, -1);
	}
}

/* Where inside_enter builds the state: too big for the stack since the batch. */
KHT_ONE_SLOT_MAP(inside_stage, BPF_MAP_TYPE_PERCPU_ARRAY, struct inside_state)

static __always_inline void inside_enter(struct file *file, __u64 start,
					 const struct kht_collapse *ev)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct address_space *mapping;
	struct inside_state *st;
	__u64 m;

	if (!inside)
		return;
	st = inside_stage_slot();
	if (!st)
		return;
	__builtin_memset(st, 0, sizeof(*st));
	mapping = BPF_CORE_READ(file, f_mapping);
	m = (__u64)mapping;
	st->mapping = m;
	st->lock = (__u64)__builtin_preserve_access_index(&mapping->i_pages.xa_lock);
	st->start = start;
	st->old_entry = xa_slot_leaf(mapping, start, &st->leaf);
	st->file.ino = ev->ino;
	st->file.dev = ev->dev;
	st->file.gen = ev->gen;
	st->file.index = start;
	/* the collapsing task's: the windows' pid and comm are their collapse's */
	st->win_hdr = ev->hdr;
	st->win_hdr.type = KHT_WIRE_LOCK_WINDOWS;
	st->win_hdr.size = sizeof(struct kht_win_batch);
	if (!inside_claim(tid, st)) {
		if (!bpf_map_update_elem(&inside_states, &tid, st, BPF_ANY))
			__sync_fetch_and_add(&inside_overflow, 1);
	}
	bpf_map_update_elem(&collapsing_mappings, &m, &tid, BPF_ANY);
	__sync_fetch_and_add(&collapsing_now, 1);
}

/*
 * Send st's pending windows in one record (struct kht_win_batch). The
 * whole batch array is copied, so every byte of the record is written.
 */
static __always_inline void win_flush(struct inside_state *st)
{
	struct kht_win_batch *b;
	__u32 n = st->nbatch;

	if (!n)
		return;
	st->nbatch = 0;
	b = bpf_ringbuf_reserve(&events, sizeof(*b), 0);
	if (!b) {
		kht_count_drops(n);
		return;
	}
	b->hdr = st->win_hdr;
	b->hdr.ts_ns = st->last_win_end;
	b->file = st->file;
	b->n = n;
	b->pad = 0;
	__builtin_memcpy(b->w, st->batch, sizeof(b->w));
	kht_submit_quiet(b);	/* the collapse's event wakes the reader */
}

/* Copy the inside summary into the collapse event and forget the state. */
static __always_inline void inside_exit(struct kht_collapse *ev)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inside_state *st;

	if (!inside)
		return;
	st = inside_of(tid);
	if (!st)
		return;
	ev->flags |= KHT_F_HAVE_WINDOWS | (spins ? 0 : KHT_F_NO_READERS) | st->flags;
	ev->windows = st->windows;
	ev->hold_total_ns = st->hold_total_ns;
	ev->hold_max_ns = st->hold_max_ns;
	ev->last_win_begin_ns = st->last_win_begin;
	ev->last_win_end_ns = st->last_win_end;
	ev->publish_ns = st->publish_ns;
	ev->retry_readers = st->win_readers;
	ev->retry_spin_ns = st->win_spin_ns;
	win_flush(st);		/* before the collapse's event, which comes next */
	bpf_map_delete_elem(&collapsing_mappings, &st->mapping);
	inside_release(tid);
	__sync_fetch_and_add(&collapsing_now, -1);
}

/* The current task's collapse in flight, or NULL; one load and a branch when none runs. */
static __always_inline struct inside_state *my_collapse(void)
{
	return collapsing_now ? inside_of((__u32)bpf_get_current_pid_tgid()) : NULL;
}

static __always_inline struct inside_state *my_lock(void *lock)
{
	struct inside_state *st = my_collapse();

	return st && st->lock == (__u64)lock ? st : NULL;
}

/*
 * A window opens when the collapsing task asks for the lock (it rarely waits:
 * only RCU readers share the mapping) and closes when it asks to release it.
 * Two ways to see those calls, one body each (win_open/win_close), so the
 * events are the same whichever fires:
 *
 *  - gated fentry on _raw_spin_lock_irq/_raw_spin_unlock_irq: every such
 *    call of the system fires, `collapsing_now` makes it cheap outside a
 *    collapse. fentry, not fexit, on the lock: fexit trampolines on spinlock
 *    functions have crashed 6.1 guests on detach.
 *  - call-site kprobes: attached by user space at the offsets of
 *    collapse_file's own call instructions to those functions
 *    (tools/callsites.c), so they fire only inside collapse_file. A lock
 *    call is probed after it (win_open_held), an unlock call after it where
 *    the kernel can jump-optimize the probe there (win_close_after), else
 *    at the call, as a tail jump is: there the argument registers are set
 *    up, the lock is PARM1.
 */
static __always_inline void win_begin(struct inside_state *st)
{
	st->win_begin = bpf_ktime_get_ns();
	st->win_readers = 0;
	st->win_spin_ns = 0;
}

static __always_inline int win_open(void *lock)
{
	struct inside_state *st = my_lock(lock);

	if (st)
		win_begin(st);
	return 0;
}

/* interrupts enabled, in the saved flags (pt_regs->flags) */
#define X86_EFLAGS_IF 0x200

/*
 * The lock call-site kprobe sits after the call (its return address): a
 * kprobe on the call instruction itself is never jump-optimized, the one
 * after it usually is, which spares an int3 trap per window. There the lock
 * argument is gone (RDI is caller-saved), so the lock is recognised
 * otherwise: we are the collapsing task, no window is open (irq-disabling
 * spinlocks do not nest), and the lock is held. Interrupts disabled at the
 * probed instruction (the saved flags' IF bit, read from the context) say
 * so: spin_lock_irq() just disabled them, and collapse_file runs with them
 * enabled outside its i_pages holds, so a jump there from elsewhere comes
 * with IF set. With IF set, the mapping's i_pages lock word is read (the
 * locked byte of its qspinlock, the first of the lock word on x86): a
 * paravirtualized guest (Xen PV) masks interrupts without clearing IF.
 * The flags test spares that read at nearly every window. A window opened
 * here starts with the lock held: it leaves out the wait for it, which the
 * gated fentry fallback includes.
 */
static __always_inline int win_open_held(struct pt_regs *regs)
{
	struct inside_state *st = my_collapse();
	__u32 word = 0;

	if (!st || st->win_begin)
		return 0;
	if (regs->flags & X86_EFLAGS_IF) {
		bpf_probe_read_kernel(&word, sizeof(word), (void *)st->lock);
		if (!(word & 0xff))
			return 0;
	}
	win_begin(st);
	return 0;
}

/* Close st's open window: its summary, and its entry in the batch. */
static __always_inline int win_end(struct inside_state *st)
{
	struct kht_win_entry *w;
	struct address_space *mapping;
	__u64 now, hold;
	bool uptodate;
	__u32 slot, n;

	now = bpf_ktime_get_ns();
	hold = now - st->win_begin;
	mapping = (struct address_space *)st->mapping;
	barrier_var(mapping);	/* see reader_exit() */
	slot = slot_state(xa_start_slot(st, mapping), st->old_entry, &uptodate);
	st->windows++;
	st->hold_total_ns += hold;
	if (hold > st->hold_max_ns)
		st->hold_max_ns = hold;
	/*
	 * What the last unlock leaves is what the page cache keeps: a
	 * rollback takes the lock once more to put the old pages back.
	 * 6.1 returns retract_page_tables()'s verdict (pmd_none, ...)
	 * from a collapse that did replace the pages: this tells.
	 */
	if (slot == KHT_SLOT_NEW)
		st->flags |= KHT_F_NEW_AT_END;
	else
		st->flags &= ~KHT_F_NEW_AT_END;
	if (slot == KHT_SLOT_NEW && !(st->flags & KHT_F_PUBLISHED)) {
		st->flags |= KHT_F_PUBLISHED;
		st->publish_ns = now;
		if (uptodate)
			st->flags |= KHT_F_UPTODATE_AT_PUBLISH;
	}
	st->last_win_begin = st->win_begin;
	st->last_win_end = now;
	st->win_begin = 0;
	n = st->nbatch;
	if (n >= KHT_WIN_BATCH)		/* never: a full batch goes at once; for the verifier */
		return 0;
	w = &st->batch[n];
	w->start_ns = st->last_win_begin;
	w->hold_ns = hold;
	w->window = st->windows;
	w->slot = slot;
	w->uptodate = uptodate;
	w->readers = st->win_readers < 0xffff ? st->win_readers : 0xffff;
	st->nbatch = n + 1;
	if (n + 1 == KHT_WIN_BATCH)
		win_flush(st);
	return 0;
}

static __always_inline int win_close(void *lock)
{
	struct inside_state *st = my_lock(lock);

	return st && st->win_begin ? win_end(st) : 0;
}

/*
 * After an unlock call (tools/callsites.c decides where: only where the
 * kernel can jump-optimize the probe, else an int3 on a plain instruction
 * costs more than the one on the call, which the kernel emulates). The
 * probe's own work is then out of the hold: the lock is released before it
 * runs. The lock argument is gone there, so the unlock is recognised
 * otherwise: we are the collapsing task, a window is open, and interrupts
 * are enabled again at the probed instruction (the saved flags' IF bit):
 * spin_unlock_irq() enabled them, and they stay disabled while the
 * irq-disabling i_pages lock is held, so a jump to that instruction from a
 * path that still holds the lock closes nothing. The window ends when the
 * unlock returned: an interrupt pending during the hold runs first and is
 * counted in it. The slot is read just after the release, before the
 * collapsing task goes on; another task can change it there only where it
 * is a hole (a fault filling it), never the new folio (locked) nor its
 * PG_uptodate.
 */
static __always_inline int win_close_after(struct pt_regs *regs)
{
	struct inside_state *st = my_collapse();

	if (!st || !st->win_begin || !(regs->flags & X86_EFLAGS_IF))
		return 0;
	return win_end(st);
}

SEC("fentry/_raw_spin_lock_irq")
int BPF_PROG(lock_acquired, raw_spinlock_t *lock) { return win_open(lock); }

SEC("fentry/_raw_spin_unlock_irq")
int BPF_PROG(lock_released, raw_spinlock_t *lock) { return win_close(lock); }

/* Attached by user space only, at collapse_file+OFF (no target here). */
SEC("kprobe")
int BPF_KPROBE(lock_site, void *lock) { return win_open(lock); }

/* ... after a lock call (probe_off in tools/callsites.h) */
SEC("kprobe")
int BPF_KPROBE(lock_site_held) { return win_open_held(ctx); }

/* ... at an unlock call (or tail jump) */
SEC("kprobe")
int BPF_KPROBE(unlock_site, void *lock) { return win_close(lock); }

/* ... after an unlock call, where that probe can be jump-optimized */
SEC("kprobe")
int BPF_KPROBE(unlock_site_after) { return win_close_after(ctx); }

/* ---- lockless readers on a mapping under collapse ---- */

/*
 * Readers with a pending entry in `readers` (kht_pending_put): the exit
 * probes fire on every page-cache lookup of the system, and without this each
 * paid a hash lookup (measured: 217 vs 82 instructions per hit for the
 * entry's early exit). Not collapsing_now: a reader that began inside a
 * collapse may end after it.
 */
volatile __u32 readers_now = 0;

static __always_inline int reader_enter(struct address_space *mapping, __u64 index, __u32 fn)
{
	__u32 tid, *collapser;
	struct reader_state rs = {};
	__u64 m = (__u64)mapping;

	if (!collapsing_now)
		return 0;
	collapser = bpf_map_lookup_elem(&collapsing_mappings, &m);
	if (!collapser)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	if (tid == *collapser)	/* collapse_file's own lookups are not readers */
		return 0;
	rs.begin = bpf_ktime_get_ns();
	rs.mapping = m;
	rs.index = index;
	rs.fn = fn;
	rs.collapser = *collapser;
	kht_pending_put(&readers, &tid, &rs, &readers_now);
	return 0;
}

static __always_inline int reader_exit(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct address_space *mapping;
	struct kht_reader r = {};
	struct reader_state *rs;
	struct inside_state *st;
	struct inode *inode;
	__u64 now, from, to;

	if (!readers_now)
		return 0;
	rs = bpf_map_lookup_elem(&readers, &tid);
	if (!rs)
		return 0;
	now = bpf_ktime_get_ns();
	kht_fill_hdr(&r.hdr, KHT_EV_READER, sizeof(r));
	r.hdr.ts_ns = now;
	r.start_ns = rs->begin;
	r.duration_ns = now - rs->begin;
	r.file.index = rs->index;
	r.fn = rs->fn;
	r.collapser_tid = rs->collapser;
	/* the barrier keeps clang from folding our own struct's field into the
	 * CO-RE access chain (a relocation against a type the kernel lacks) */
	mapping = (struct address_space *)rs->mapping;
	barrier_var(mapping);
	inode = BPF_CORE_READ(mapping, host);
	r.file.ino = BPF_CORE_READ(inode, i_ino);
	r.file.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	r.file.gen = BPF_CORE_READ(inode, i_generation);
	/* overlap with the collapser's current (or just finished) lock hold */
	st = inside_of(rs->collapser);
	if (st) {
		/* the hold in progress, or the one that ended last */
		from = st->win_begin ? st->win_begin : st->last_win_begin;
		to = st->win_begin ? now : st->last_win_end;
		if (from < rs->begin)
			from = rs->begin;
		if (to > from) {
			r.overlap_ns = to - from;
			st->win_readers++;
			st->win_spin_ns += r.overlap_ns;
		}
	}
	kht_output(ctx, &r, sizeof(r));
	kht_pending_del(&readers, &tid, &readers_now);
	return 0;
}

/* A page-cache lookup by index: fentry keeps it, fexit reports it. */
#define READER_PROGS(name, func, fn)							\
SEC("fentry/" #func)									\
int BPF_PROG(name##_in, struct address_space *mapping, unsigned long index)		\
{											\
	return reader_enter(mapping, index, fn);					\
}											\
SEC("fexit/" #func)									\
int BPF_PROG(name##_out) { return reader_exit(ctx); }

READER_PROGS(rd_get_entry, filemap_get_entry, KHT_RD_FILEMAP_GET_ENTRY)
READER_PROGS(rd_get_folio, __filemap_get_folio, KHT_RD_FILEMAP_GET_FOLIO)
READER_PROGS(rd_get_folio_mpol, __filemap_get_folio_mpol, KHT_RD_FILEMAP_GET_FOLIO_MPOL)

SEC("fentry/mapping_seek_hole_data")
int BPF_PROG(rd_seek_in, struct address_space *mapping, long long start)
{
	return reader_enter(mapping, start >= 0 ? start >> 12 : 0, KHT_RD_SEEK_HOLE_DATA);
}

SEC("fexit/mapping_seek_hole_data")
int BPF_PROG(rd_seek_out) { return reader_exit(ctx); }

#endif
