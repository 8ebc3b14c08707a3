/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inodes worth watching for modifications: those a collapse touched in
 * the last KHT_WATCH_HORIZON_NS. collapse.bpf.c marks them (at collapse_file
 * entry where it is visible, and at every collapse event), modify.bpf.c reads
 * them. Both objects define these maps; the front-end hands the collapse
 * object's maps to the modify object (bpf_map__reuse_fd) so they are one.
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

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct kht_watch_key);
	__type(value, __u64);	/* watched until (bpf_ktime_get_ns) */
} watched SEC(".maps");

/* [0]: the latest "watched until" of any inode: nothing to do past it */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} watch_gate SEC(".maps");

static __always_inline void kht_watch_touch(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch_key k = { .ino = ino, .dev = dev, .gen = gen };
	__u64 until = bpf_ktime_get_ns() + KHT_WATCH_HORIZON_NS;
	__u32 zero = 0;
	__u64 *gate;

	bpf_map_update_elem(&watched, &k, &until, BPF_ANY);
	gate = bpf_map_lookup_elem(&watch_gate, &zero);
	if (gate && *gate < until)
		*gate = until;
}

/* Nothing watched right now: the early exit of every modification probe. */
static __always_inline bool kht_watch_idle(void)
{
	__u32 zero = 0;
	__u64 *gate = bpf_map_lookup_elem(&watch_gate, &zero);

	return !gate || *gate < bpf_ktime_get_ns();
}

static __always_inline bool kht_watching(__u32 dev, __u64 ino, __u32 gen)
{
	struct kht_watch_key k = { .ino = ino, .dev = dev, .gen = gen };
	__u64 *until = bpf_map_lookup_elem(&watched, &k);

	return until && *until >= bpf_ktime_get_ns();
}

#endif /* KHT_WATCH_BPF_H */
