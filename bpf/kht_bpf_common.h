/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every khugetrace BPF program shares: the ring buffer to user space and
 * the per-CPU count of events it could not take. A full ring buffer must never
 * be silent: the front-end reads `drops` and reports it.
 */
#ifndef KHT_BPF_COMMON_H
#define KHT_BPF_COMMON_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* resized by the front-end (-b) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void kht_output(void *ctx, void *data, __u64 size)
{
	if (bpf_ringbuf_output(&events, data, size, 0)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);

		if (n)
			(*n)++;
	}
}

#endif /* KHT_BPF_COMMON_H */
