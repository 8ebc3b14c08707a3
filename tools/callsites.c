// SPDX-License-Identifier: GPL-2.0
/*
 * Where collapse_file calls the i_pages lock functions, read from the running
 * kernel: addresses and sizes from /proc/kallsyms (a function ends where the
 * next symbol begins), the text itself from /proc/kcore (an ELF core file: a
 * kernel address is found through its PT_LOAD segments). Only direct calls
 * (E8 rel32; E9 for a tail jump) are looked for: xas_lock_irq() and
 * xas_unlock_irq() compile to calls of _raw_spin_lock_irq and
 * _raw_spin_unlock_irq unless the kernel inlines its spinlocks
 * (CONFIG_INLINE_SPIN_*_IRQ), and then nothing is found and the caller falls
 * back. A call another kprobe already sits on reads as CC rel32 (see
 * kht_scan_lock_calls). No instruction decoder: a byte E8 inside another instruction whose
 * next four bytes happen to point at a lock function is possible in theory,
 * so every candidate is verified by the kernel when it is probed (a kprobe
 * off an instruction boundary is refused with EILSEQ).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callsites.h"
#include "lib/grow.h"

const char *const kht_site_funcs[2] = { "_raw_spin_lock_irq", "_raw_spin_unlock_irq" };

#define TARGET "collapse_file"
/*
 * Functions whose lock calls are collapse_file's windows: collapse_file
 * itself, and the callees that take the i_pages lock and are called from
 * nowhere else, so their sites fire only inside a collapse too. shmem_charge
 * takes it (xa_lock_irq) to add the holes to nrpages since 6.5 (6.1 did that
 * in collapse_file, under its own hold): without it the call sites saw one
 * window fewer than fentry in every collapse with holes.
 */
static const char *const scanned[] = { TARGET, "shmem_charge" };
#define MAX_PARTS 8
/* CONFIG_FUNCTION_PADDING_BYTES: where call-depth-tracking thunks live (6.2+) */
#define MAX_PADDING 64

struct sym {
	char name[KHT_SITE_SYM_LEN];
	unsigned long addr, end;	/* end: the next symbol's address */
};

/* fn itself or a part GCC split off: collapse_file.cold, .part.0 */
static bool is_part_of(const char *name, const char *fn)
{
	size_t n = strlen(fn);

	return !strncmp(name, fn, n) && (name[n] == '\0' || name[n] == '.');
}

static bool is_part(const char *name)
{
	for (unsigned i = 0; i < sizeof(scanned) / sizeof(scanned[0]); i++)
		if (is_part_of(name, scanned[i]))
			return true;
	return false;
}

/*
 * One line of /proc/kallsyms, "ffffffff81234560 T name" (a module's symbol
 * has "\t[module]" after it, and is skipped): false if it is not that.
 * By hand, not sscanf: 120k+ lines, and under TCG emulation the parse was
 * seconds of every start.
 */
static bool parse_ksym(char *line, unsigned long *addr, char *type, char **name)
{
	char *p, *end;

	*addr = strtoul(line, &p, 16);
	if (p == line || p[0] != ' ' || !p[1] || p[2] != ' ')
		return false;
	*type = p[1];
	*name = p + 3;
	end = *name + strcspn(*name, "\t\n");
	if (*end == '\t' || end == *name)
		return false;
	*end = '\0';
	return true;
}

/*
 * One pass over kallsyms: the symbols we want, and every address, to find
 * the one following each part (kallsyms is not sorted across sections).
 * Module symbols are skipped.
 */
static int read_kallsyms(struct sym *parts, int *nparts, struct kht_lock_funcs *funcs,
			 char *why, int len)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], *name, type;
	unsigned long addr, *addrs = NULL;
	size_t naddrs = 0, cap = 0;
	bool nonzero = false, target = false;

	if (!f) {
		snprintf(why, len, "cannot read /proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	*nparts = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_ksym(line, &addr, &type, &name))
			continue;
		if (kht_grow((void **)&addrs, &cap, naddrs, sizeof(*addrs), 1 << 17)) {
			fclose(f);
			free(addrs);
			snprintf(why, len, "out of memory reading /proc/kallsyms");
			return -1;
		}
		addrs[naddrs++] = addr;
		nonzero |= addr != 0;
		if ((type == 't' || type == 'T') && is_part(name) && *nparts < MAX_PARTS) {
			snprintf(parts[*nparts].name, KHT_SITE_SYM_LEN, "%.63s", name);
			parts[(*nparts)++].addr = addr;
		}
		for (int k = 0; k < 2; k++) {
			if (!strcmp(name, kht_site_funcs[k]))
				funcs->addr[k] = addr;
			else if (!strncmp(name, "__pfx_", 6) && !strcmp(name + 6, kht_site_funcs[k]))
				funcs->pfx[k] = addr;
		}
	}
	for (size_t j = 0; j < naddrs; j++)
		for (int i = 0; i < *nparts; i++)
			if (addrs[j] > parts[i].addr && (!parts[i].end || addrs[j] < parts[i].end))
				parts[i].end = addrs[j];
	free(addrs);
	fclose(f);
	if (!nonzero) {
		snprintf(why, len, "/proc/kallsyms shows no addresses (kptr_restrict, or not root)");
		return -1;
	}
	for (int i = 0; i < *nparts; i++)
		target |= is_part_of(parts[i].name, TARGET);
	if (!target) {
		snprintf(why, len, "%s is not in /proc/kallsyms", TARGET);
		return -1;
	}
	for (int k = 0; k < 2; k++)
		if (!funcs->addr[k]) {
			snprintf(why, len, "%s is not in /proc/kallsyms (spinlocks inlined: "
				 "CONFIG_INLINE_SPIN_*_IRQ, as without preemption)", kht_site_funcs[k]);
			return -1;
		}
	for (int i = 0; i < *nparts; i++)
		if (!parts[i].end || parts[i].end - parts[i].addr > (1 << 20)) {
			snprintf(why, len, "cannot tell where %s ends", parts[i].name);
			return -1;
		}
	return 0;
}

/* Read len bytes of kernel text at vaddr from /proc/kcore. */
static int kcore_read(int fd, unsigned long vaddr, void *buf, size_t len)
{
	Elf64_Ehdr eh;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * eh.e_phentsize) != sizeof(ph))
			return -EIO;
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr || vaddr + len > ph.p_vaddr + ph.p_memsz)
			continue;
		if (pread(fd, buf, len, ph.p_offset + (vaddr - ph.p_vaddr)) != (ssize_t)len)
			return errno ? -errno : -EIO;
		return 0;
	}
	return -ENOENT;
}

/*
 * Which lock function a call to target reaches: the function itself, or a
 * call thunk in its padding (call-depth tracking rewrites `call f` into a
 * call a few bytes before f, inside __pfx_f, which falls through into f).
 */
static int call_kind(const struct kht_lock_funcs *f, unsigned long target, int *thunk)
{
	for (int k = 0; k < 2; k++) {
		*thunk = 0;
		if (target == f->addr[k])
			return k;
		if (f->pfx[k] && target >= f->pfx[k] && target < f->addr[k] &&
		    f->addr[k] - target <= MAX_PADDING) {
			*thunk = f->addr[k] - target;
			return k;
		}
	}
	return -1;
}

/*
 * Would the kernel jump-optimize a kprobe at text[p] (x86
 * arch/x86/kernel/kprobes/opt.c)? It replaces the instructions in the 5
 * bytes from p with a jump to a detour buffer, and refuses when one of them
 * cannot run there (can_boost(): calls, jumps, returns, Jcc, LOCK/REP,
 * shifts, Grp3/4/5, ...) or when a jump in the same function lands in
 * (p, p + 5] (insn_jump_into_range(), which counts p + 5 too). Without an
 * instruction decoder the answer errs one way: any of those opcodes among
 * the 5 bytes, even as a ModRM or displacement byte, and any byte pattern
 * of a direct jump (EB, 70-7F rel8, E9, 0F 80-8F rel32) anywhere in the
 * function that lands there, make it "no". A "no" costs what the call
 * probe costs; a wrong "yes" an int3 plus a single step per window (the
 * 6.12 guest: collapse +1 point). Checked against what the kernel did on
 * Debian 6.1 and 6.12 (docs/collapse.md): never "yes" where it did not.
 */
static bool not_boostable(unsigned char b)
{
	return b == 0x62 || b == 0x9a || (b >= 0x70 && b <= 0x7f) || (b >= 0xc0 && b <= 0xc3) ||
	       (b >= 0xca && b <= 0xcf) || (b >= 0xd0 && b <= 0xd3) || b == 0xd6 ||
	       (b >= 0xd8 && b <= 0xe3) || b == 0xe8 || b == 0xe9 || b == 0xeb ||
	       (b >= 0xf0 && b <= 0xf4) || b == 0xf6 || b == 0xf7 || b == 0xfe || b == 0xff ||
	       b == 0x2e || b == 0x67;
}

bool kht_optimizable_at(const unsigned char *text, unsigned long size, unsigned long p)
{
	if (p + 5 > size)
		return false;
	for (unsigned long i = p; i < p + 5; i++)
		if (not_boostable(text[i]))
			return false;
	for (unsigned long i = 0; i < size; i++) {
		long target;
		int32_t rel;

		if ((text[i] == 0xeb || (text[i] >= 0x70 && text[i] <= 0x7f)) && i + 2 <= size)
			target = (long)i + 2 + (int8_t)text[i + 1];
		else if (text[i] == 0xe9 && i + 5 <= size)
			target = (memcpy(&rel, text + i + 1, 4), (long)i + 5 + rel);
		else if (text[i] == 0x0f && i + 6 <= size && text[i + 1] >= 0x80 && text[i + 1] <= 0x8f)
			target = (memcpy(&rel, text + i + 2, 4), (long)i + 6 + rel);
		else
			continue;
		if (target >= (long)p + 1 && target <= (long)p + 5)
			return false;
	}
	return true;
}

void kht_scan_lock_calls(const char *sym, unsigned long addr, const unsigned char *text,
			 unsigned long size, const struct kht_lock_funcs *f, struct kht_sites *out)
{
	for (unsigned long i = 0; i + 5 <= size; i++) {
		int32_t rel;
		int kind, thunk;

		/*
		 * 0xCC: another kprobe's int3 over the call's E8 (/proc/kcore
		 * shows the live text: a second khugetrace, or any tracer
		 * probing these calls). Its rel32 is intact, so it is read as
		 * the call (E8) it replaced: a lock function is not tail-jumped
		 * to, and a tail jump's unlock would be probed at the jump.
		 */
		if (text[i] != 0xe8 && text[i] != 0xe9 && text[i] != 0xcc)
			continue;
		memcpy(&rel, text + i + 1, 4);
		kind = call_kind(f, addr + i + 5 + (long)rel, &thunk);
		if (kind < 0)
			continue;
		if (out->n >= KHT_MAX_SITES) {
			out->overflow = true;	/* a missed site would be missed windows */
			return;
		}
		snprintf(out->s[out->n].sym, KHT_SITE_SYM_LEN, "%.63s", sym);
		out->s[out->n].off = i;
		/*
		 * After a call (its return address); a tail jump (E9) has none here.
		 * An unlock only where that probe would be jump-optimized: a lock
		 * probe there cannot do without (it needs the lock held), an
		 * unlock probe has the call to fall back to.
		 */
		out->s[out->n].probe_off =
			text[i] != 0xe9 && (kind == KHT_SITE_LOCK ||
					    kht_optimizable_at(text, size, i + 5)) ? i + 5 : i;
		out->s[out->n].kind = kind;
		out->s[out->n].int3 = text[i] == 0xcc;
		out->s[out->n].thunk = thunk;
		out->n++;
	}
}

/* collapse_file's own sites must have both: a callee's alone would not be its windows */
bool kht_sites_complete(const struct kht_sites *s)
{
	bool have[2] = { false, false };

	for (int i = 0; i < s->n; i++)
		if (is_part_of(s->s[i].sym, TARGET))
			have[s->s[i].kind] = true;
	return have[KHT_SITE_LOCK] && have[KHT_SITE_UNLOCK];
}

int kht_find_lock_sites(struct kht_sites *out, char *why, int len)
{
	struct sym parts[MAX_PARTS] = {};
	struct kht_lock_funcs funcs = {};
	int nparts, fd, err = 0;

	memset(out, 0, sizeof(*out));
	if (read_kallsyms(parts, &nparts, &funcs, why, len))
		return -1;
	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "cannot read /proc/kcore: %s", strerror(errno));
		return -1;
	}
	/* collapse_file's parts first: they are what the sites are listed by */
	for (int j = 0; j < 2 * nparts && !err; j++) {
		int i = j % nparts;
		unsigned long size = parts[i].end - parts[i].addr;
		unsigned char *text;

		if (is_part_of(parts[i].name, TARGET) != (j < nparts))
			continue;
		text = malloc(size);
		err = text ? kcore_read(fd, parts[i].addr, text, size) : -ENOMEM;
		if (err)
			snprintf(why, len, "cannot read %s's text from /proc/kcore: %s",
				 parts[i].name, strerror(-err));
		else
			kht_scan_lock_calls(parts[i].name, parts[i].addr, text, size, &funcs, out);
		out->text_len += size;
		snprintf(out->parts + strlen(out->parts), sizeof(out->parts) - strlen(out->parts),
			 "%s%s", out->parts[0] ? ", " : "", parts[i].name);
		free(text);
	}
	close(fd);
	out->nparts = nparts;
	if (err)
		return -1;
	if (out->overflow) {
		snprintf(why, len, "more than %d calls of the lock functions in %s", KHT_MAX_SITES,
			 out->parts);
		return -1;
	}
	if (!kht_sites_complete(out)) {
		snprintf(why, len, "no call to %s in %s (%lu bytes read: %s)",
			 out->n && out->s[0].kind == KHT_SITE_LOCK ? kht_site_funcs[1]
								   : kht_site_funcs[0],
			 TARGET, out->text_len, out->parts);
		return -1;
	}
	return 0;
}

void kht_sites_drop(struct kht_sites *s, int i)
{
	memmove(&s->s[i], &s->s[i + 1], (s->n - i - 1) * sizeof(s->s[0]));
	s->n--;
}

void kht_sites_str(const struct kht_sites *s, char *buf, int len)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n && n < len; i++) {
		n += snprintf(buf + n, len - n, "%s%s+0x%lx (%s", i ? ", " : "", s->s[i].sym,
			      s->s[i].off, s->s[i].kind == KHT_SITE_LOCK ? "lock" : "unlock");
		if (n < len && s->s[i].thunk)
			n += snprintf(buf + n, len - n, " via thunk -%d", s->s[i].thunk);
		if (n < len && s->s[i].probe_off != s->s[i].off)
			n += snprintf(buf + n, len - n, ", probed at +0x%lx", s->s[i].probe_off);
		if (n < len && s->s[i].int3)
			n += snprintf(buf + n, len - n, ", under another kprobe");
		if (n < len)
			n += snprintf(buf + n, len - n, ")");
	}
}
