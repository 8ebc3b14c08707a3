/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KHT_IDENT_BPF_H
#define KHT_IDENT_BPF_H

/*
 * Seekers and writers hammer the same few files, and most of a seek event's
 * cost was naming its file again and again: in syscalls mode the file comes
 * from the fd table, a plain number to the verifier, so every field is a
 * bpf_probe_read_kernel() (~35 ns each on the host, eleven of them); in every
 * mode the dentry name is a byte-by-byte string copy (a third of the fexit
 * program's instructions in the guest). So each CPU remembers the identity
 * of the last files it resolved. A hit costs three reads: the file's f_inode,
 * that inode's i_ino and i_generation must still be what they were. A closed
 * file and an unlinked inode come back at the same addresses, and a fresh
 * tmpfs mount numbers its inodes from the start again (the live tests caught
 * exactly that: same file, inode and i_ino, another mount), but tmpfs draws
 * i_generation at random. The name can lag a rename until the slot is reused.
 */
#define IDENT_SLOTS 16

struct ident_slot {
	__u64 file;
	__u64 inode;
	struct kht_fileref ref;
	__u16 mode;
	bool shmem;
	char name[KHT_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IDENT_SLOTS);
	__type(key, __u32);
	__type(value, struct ident_slot);
} ident_cache SEC(".maps");

/*
 * file's identity into ref (not its index) and name, through the cache;
 * false if --inode filters it.
 * btf: file is a BTF pointer (fexit argument): plain loads instead of helper
 * calls. Always a constant, so each caller keeps only its own branch (the
 * verifier would refuse plain loads through a pointer taken from the fd table).
 */
static __always_inline bool kht_cached_ident(struct file *file, bool btf, struct kht_fileref *ref,
					     char *name, bool *shmem, __u16 *mode)
{
	struct ident_slot *c;
	struct inode *inode;
	__u32 gen, key;
	__u64 ino;
	bool ok;

	if (!file)
		return false;
	if (btf) {
		inode = file->f_inode;
		ino = inode->i_ino;
		gen = inode->i_generation;
	} else {
		inode = BPF_CORE_READ(file, f_inode);
		ino = BPF_CORE_READ(inode, i_ino);
		gen = BPF_CORE_READ(inode, i_generation);
	}
	/* slot by inode number: the verifier allows no arithmetic on a BTF pointer */
	key = (ino ^ (ino >> 4) ^ gen) & (IDENT_SLOTS - 1);
	c = bpf_map_lookup_elem(&ident_cache, &key);
	if (!c)
		return false;
	if (c->file != (__u64)file || c->inode != (__u64)inode || c->ref.ino != ino ||
	    c->ref.gen != gen) {
		c->file = 0;	/* half-filled until the end */
		ok = btf ? kht_file_ident_btf(file, &c->ref, c->name, &c->shmem, &c->mode) :
			   kht_file_ident(file, &c->ref, c->name, &c->shmem, &c->mode);
		if (!ok)
			return false;	/* filtered: nothing cached for other inodes */
		c->file = (__u64)file;
		c->inode = (__u64)inode;
	}
	if (target_ino && c->ref.ino != target_ino)
		return false;
	ref->ino = c->ref.ino;
	ref->dev = c->ref.dev;
	ref->gen = c->ref.gen;
	__builtin_memcpy(name, c->name, KHT_NAME_LEN);
	*shmem = c->shmem;
	*mode = c->mode;
	return true;
}

#endif /* KHT_IDENT_BPF_H */
