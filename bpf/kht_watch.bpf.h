/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inodes worth watching for modifications: those a collapse touched in
 * the last KHT_WATCH_HORIZON_NS. collapse.bpf.c marks them (at collapse_file
 * entry where it is visible, and at every collapse event), modify.bpf.c and
 * seek.bpf.c read them. Where collapse_file's entry and return are seen,
 * the watch also counts the calls in flight and stamps the last return:
 * the production profile keeps only the seeks, writes and fills that
 * overlap a collapse. The objects define these maps alike; the front-end
 * hands the collapse object's maps to the others (bpf_map__reuse_fd) so
 * they are one.
 *
 * Cost: the modification probes fire for every write of the system; the
 * gate (one array slot, inlined lookup) sends them away in a few
 * instructions whenever no collapse happened within the horizon.
 */
#ifndef KHT_WATCH_BPF_H
#define KHT_WATCH_BPF_H

/*
 * With the generation: a fresh tmpfs mount reuses the device number of one
 * just unmounted and numbers its inodes from the start again, but tmpfs
 * draws i_generation at random, so another file does not inherit a watch.
 */
struct kht_watch_key {
	__u64 ino;
	__u32 dev;
	__u32 gen;
};

/*
 * What a watch knows of its inode's collapses. `collapsing` and `last_end`
 * are kept only where collapse_file's entry and exit are both seen (fentry,
 * kprobe): they let the production profile keep just the observations that
 * overlap a collapse (kht_watch_overlaps). The value is changed in place,
 * never replaced, so a touch does not lose a collapse in flight.
 */
struct kht_watch {
	__u64 until;		/* watched until (bpf_ktime_get_ns) */
	__u64 last_end;		/* the last collapse_file return seen on the inode */
	__u32 collapsing;	/* collapse_file calls in flight on it (entry seen) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct kht_watch_key);
	__type(value, struct kht_watch);
} watched SEC(".maps");

/*
 * [0]: the same for all inodes together: the latest "watched until" of any
 * (nothing to do past it), the collapse_file calls in flight anywhere and
 * the last return. Most seeks, writes and fills of a watched file run while
 * no collapse does: the gate sends them away before their file is named.
 */
KHT_ONE_SLOT_MAP(watch_gate, BPF_MAP_TYPE_ARRAY, struct kht_watch)

static __always_inline struct kht_watch *kht_watch_of(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch_key k = { .ino = ino, .dev = dev, .gen = gen };

	return bpf_map_lookup_elem(&watched, &k);
}

/* Watch the inode for KHT_WATCH_HORIZON_NS from now; its watch, or NULL. */
static __always_inline struct kht_watch *kht_watch_touch(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch_key k = { .ino = ino, .dev = dev, .gen = gen };
	__u64 until = bpf_ktime_get_ns() + KHT_WATCH_HORIZON_NS;
	struct kht_watch fresh = { .until = until }, *w, *gate = watch_gate_slot();

	w = bpf_map_lookup_elem(&watched, &k);
	if (!w) {
		/* NOEXIST: another CPU's insert (a collapse in flight) is not replaced */
		bpf_map_update_elem(&watched, &k, &fresh, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&watched, &k);
	}
	if (w && w->until < until)
		w->until = until;
	if (gate && gate->until < until)
		gate->until = until;
	return w;
}

/* collapse_file entered on the inode (the caller remembers, for the exit). */
static __always_inline void kht_watch_begin(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch *w = kht_watch_touch(dev, ino, gen), *gate = watch_gate_slot();

	if (gate)
		__sync_fetch_and_add(&gate->collapsing, 1);
	if (w)
		__sync_fetch_and_add(&w->collapsing, 1);
}

/* ... and returned: only for a collapse kht_watch_begin counted. */
static __always_inline void kht_watch_end(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch *w = kht_watch_touch(dev, ino, gen), *gate = watch_gate_slot();
	__u64 now = bpf_ktime_get_ns();

	/* the stamp before the count: a reader that sees the count at 0 sees it */
	if (gate) {
		gate->last_end = now;
		if (gate->collapsing)
			__sync_fetch_and_add(&gate->collapsing, -1);
	}
	if (!w)
		return;
	w->last_end = now;
	/* an LRU eviction may have started the watch over at 0 */
	if (w->collapsing)
		__sync_fetch_and_add(&w->collapsing, -1);
}

/* Nothing watched right now: the early exit of every modification probe. */
static __always_inline bool kht_watch_idle(void)
{
	struct kht_watch *gate = watch_gate_slot();

	return !gate || gate->until < bpf_ktime_get_ns();
}

/* Did any collapse run since `since` (~0: is one running now)? No clock read. */
static __always_inline bool kht_any_collapse_since(__u64 since)
{
	struct kht_watch *gate = watch_gate_slot();

	return gate && (gate->collapsing || gate->last_end >= since);
}

static __always_inline bool kht_watching(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch *w = kht_watch_of(dev, ino, gen);

	return w && w->until >= bpf_ktime_get_ns();
}

/*
 * Did an observation that began at since overlap a collapse of the inode?
 * Asked when it is over: a collapse is in flight now, or one returned after
 * it began. Only where collapse_file's entry is seen (kht_watch_begin).
 */
static __always_inline bool kht_watch_overlaps(__u32 dev, __u64 ino, __u32 gen, __u64 since)
{
	struct kht_watch *w = kht_watch_of(dev, ino, gen);

	return w && (w->collapsing || w->last_end >= since);
}

#endif /* KHT_WATCH_BPF_H */
