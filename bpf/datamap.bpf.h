/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data map (entry modes): which pages of the collapse's range held data
 * when collapse_file began, so that the race rules can judge ranges with
 * holes. Data is what SEEK_DATA calls data on shmem: an uptodate folio, or a
 * value entry (a swapped-out page). An empty slot is a hole, and so is a
 * !uptodate folio (fallocated, never written).
 *
 * The walk goes down the xarray once per 64-page block (one leaf node), not
 * once per page, then copies the leaf's 64 slots with one read. A block
 * that is not under a leaf is covered by one entry of order >= 6 (a
 * multi-index entry in a higher node: a large folio) or by nothing. The
 * 64 steps of 8 pages run in bpf_loop(), so the verifier checks one step,
 * not 64.
 *
 * Needs from inside.bpf.h: XA_CHUNK_MASK, page_flags(); from collapse.bpf.c:
 * the `scratch` map holding the event being built.
 */
#ifndef KHT_DATAMAP_BPF_H
#define KHT_DATAMAP_BPF_H

struct dm_leaf {
	__u64 slot[64];		/* the current block's leaf node, copied */
};

KHT_ONE_SLOT_MAP(dm_leaf, BPF_MAP_TYPE_PERCPU_ARRAY, struct dm_leaf)

struct dm_walk {
	__u64 head;		/* mapping->i_pages.xa_head */
	__u64 start;		/* first index of the range (512-aligned) */
	__u64 uptodate;		/* 1 << PG_uptodate of the running kernel */
	__u64 whole;		/* block not under a leaf: the entry covering it */
	__u32 whole_n;		/* ... for its first whole_n slots (64, or 1 for xa_head) */
	__u32 leaf;		/* dm_leaf holds the block's 64 slots */
	__u32 bad;		/* something not to judge: no map */
	__u32 pending;		/* a present folio was not uptodate (KHT_F_DATAMAP_PENDING) */
};

/* Find what covers the 64 pages from idx (64-aligned). */
static __always_inline void dm_descend(struct dm_walk *w, struct dm_leaf *buf, __u64 idx)
{
	__u64 e = w->head;

	w->leaf = 0;
	w->whole = 0;
	w->whole_n = 0;
	for (int level = 0; level < 6; level++) {
		struct xa_node *node;
		__u32 off;
		__u8 shift;

		if ((e & 3) != 2 || e <= 4096) {
			/* an entry: xa_head alone stands for index 0 only */
			w->whole = e;
			w->whole_n = level ? 64 : idx == 0;
			return;
		}
		node = (struct xa_node *)(e - 2);
		shift = BPF_CORE_READ(node, shift);
		/* beyond what the tree covers: holes (the mask below would wrap) */
		if (level == 0 && (idx >> shift) > XA_CHUNK_MASK)
			return;
		if (shift == 0) {
			if (bpf_probe_read_kernel(buf->slot, sizeof(buf->slot), &node->slots[0]))
				w->bad = 1;
			else
				w->leaf = 1;
			return;
		}
		off = (idx >> shift) & XA_CHUNK_MASK;
		if (bpf_probe_read_kernel(&e, sizeof(e), &node->slots[off]))
			w->bad = 1;
		if ((e & 3) == 2 && (e >> 2) < 64)	/* sibling: the canonical slot */
			bpf_probe_read_kernel(&e, sizeof(e), &node->slots[(e >> 2) & XA_CHUNK_MASK]);
	}
	w->bad = 1;	/* deeper than an xarray gets */
}

static __always_inline bool dm_is_data(struct dm_walk *w, __u64 e)
{
	if (!e)
		return false;
	if (e & 1)		/* value entry: swapped out, still data */
		return true;
	if (e & 2) {		/* retry/zero entry at collapse entry: do not guess */
		w->bad = 1;
		return false;
	}
	if (page_flags(e) & w->uptodate)
		return true;
	w->pending = 1;
	return false;
}

/* Page `slot` of the current block: data or not (dm_step). */
static __always_inline bool dm_page(struct dm_walk *w, struct dm_leaf *buf, __u32 slot)
{
	__u64 e;

	if (w->leaf) {
		e = buf->slot[slot & XA_CHUNK_MASK];
		if ((e & 3) == 2 && (e >> 2) < 64) {	/* a large folio's sibling slot */
			__u64 canon = e >> 2;

			/* clang knows canon < 64 from the test and drops the mask, which
			 * the verifier needs: hide it */
			barrier_var(canon);
			e = buf->slot[canon & XA_CHUNK_MASK];
		}
	} else {
		e = slot < w->whole_n ? w->whole : 0;
	}
	return dm_is_data(w, e);
}

/*
 * Eight pages a step: step i = block i / 8, slots (i % 8) * 8 .. + 7. A step
 * per page cost ~85 instructions of call and map lookups per page (6.12),
 * a third of the map; 64 pages a step, unrolled, made the 6.19 and 7.2
 * verifiers use up a guest's memory. Each page's bit goes to the map value
 * at once, which the verifier does not track, so the paths through one
 * page meet again before the next.
 */
#define DM_STEP_PAGES 8

static long dm_step(__u32 i, void *ctx)
{
	struct dm_walk *w = ctx;
	__u32 blk = (i >> 3) & 7, first = (i & 7) * DM_STEP_PAGES;
	struct kht_collapse *ev = scratch_slot();
	struct dm_leaf *buf = dm_leaf_slot();

	if (!ev || !buf) {
		w->bad = 1;
		return 1;
	}
	if (first == 0)
		dm_descend(w, buf, w->start + blk * 64);
	if (w->bad)
		return 1;
#pragma unroll
	for (int k = 0; k < DM_STEP_PAGES; k++)
		if (dm_page(w, buf, first + k))
			ev->data_map[blk] |= 1ULL << (first + k);
	return w->bad ? 1 : 0;	/* bpf_loop wants 0 or 1, provably */
}

/* ev is the scratch event; sets KHT_F_HAVE_DATAMAP only when all 512 pages were judged. */
static __always_inline void fill_data_map(struct kht_collapse *ev, struct file *file, __u64 start)
{
	struct address_space *mapping = BPF_CORE_READ(file, f_mapping);
	struct dm_walk w = {};

	w.head = (__u64)BPF_CORE_READ(mapping, i_pages.xa_head);
	w.start = start;
	w.uptodate = 1ULL << bpf_core_enum_value(enum pageflags, PG_uptodate);
	if (bpf_loop(KHT_HPAGE_NR / DM_STEP_PAGES, dm_step, &w, 0) == KHT_HPAGE_NR / DM_STEP_PAGES &&
	    !w.bad)
		ev->flags |= KHT_F_HAVE_DATAMAP | (w.pending ? KHT_F_DATAMAP_PENDING : 0);
	else
		__builtin_memset(ev->data_map, 0, sizeof(ev->data_map));
}

#endif
