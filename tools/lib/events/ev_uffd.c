// SPDX-License-Identifier: GPL-2.0
/*
 * KHT_EV_UFFD: one userfaultfd ioctl (register, unregister, copy, continue...)
 * or a fault handed to userfaultfd (bpf/uffd.bpf.c).
 */
#include <stdio.h>
#include "event_kind.h"
#include "../tracefile_decode.h"
#include "../json.h"

const char *kht_uffd_op_name(unsigned op)
{
	switch (op) {
	case KHT_UFFD_REGISTER: return "register";
	case KHT_UFFD_UNREGISTER: return "unregister";
	case KHT_UFFD_WAKE: return "wake";
	case KHT_UFFD_COPY: return "copy";
	case KHT_UFFD_ZEROPAGE: return "zeropage";
	case KHT_UFFD_MOVE: return "move";
	case KHT_UFFD_WRITEPROTECT: return "writeprotect";
	case KHT_UFFD_CONTINUE: return "continue";
	case KHT_UFFD_POISON: return "poison";
	case KHT_UFFD_FAULT: return "fault";
	}
	return "ioctl";
}

void kht_uffd_mode_str(unsigned long long mode, char *buf, int len)
{
	static const char *const names[] = { "MISSING", "WP", "MINOR" };
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	for (int i = 0; i < 3; i++)
		if (mode & (1ULL << i))
			kht_buf_printf(&b, "%s%s", b.len ? "+" : "", names[i]);
	if (mode >> 3)
		kht_buf_printf(&b, "%s0x%llx", b.len ? "+" : "", mode & ~7ULL);
	if (!b.len)
		kht_buf_printf(&b, "-");
}

static int desc(char *buf, size_t len, const void *e, enum kht_row row,
		const struct kht_fmt *f)
{
	const struct kht_uffd *ev = e;
	char mode[48], ret[24], out[24];
	struct kht_buf b;

	kht_buf_init(&b, buf, len);
	kht_ret_str(ev->result, ret, sizeof(ret));
	kht_buf_printf(&b, "uffd-%s ", kht_uffd_op_name(ev->op));
	if (ev->op == KHT_UFFD_REGISTER || ev->op == KHT_UFFD_FAULT) {
		kht_uffd_mode_str(ev->uffd_mode, mode, sizeof(mode));
		kht_buf_printf(&b, "%s ", mode);
	}
	kht_range_str(&b, ev->flags, &ev->file, ev->addr, ev->len);
	kht_buf_printf(&b, " -> %s", ret);
	if (ev->flags & KHT_O_HAVE_OUT) {
		kht_ret_str(ev->out, out, sizeof(out));
		kht_buf_printf(&b, " (done %s bytes)", out);
	}
	return b.overflow ? -1 : (int)b.len;
}

static int json(char *buf, size_t len, const void *e, const struct kht_fmt *f)
{
	const struct kht_uffd *ev = e;
	char mode[48];
	struct kht_buf b;

	kht_json_event_begin(&b, buf, len, "uffd", &ev->hdr, ev->attach, f);
	KHT_JSTR(&b, "op", kht_uffd_op_name(ev->op));
	kht_uffd_mode_str(ev->uffd_mode, mode, sizeof(mode));
	KHT_JSTR(&b, "uffd_mode", mode);
	KHT_JU64(&b, "mode_bits", ev->uffd_mode);
	KHT_JU64(&b, "addr", ev->addr);
	KHT_JU64(&b, "len", ev->len);
	KHT_JU64(&b, "nr", (ev->len + 4095) >> 12);
	kht_json_file(&b, ev->flags, &ev->file, ev->name);
	KHT_JI64(&b, "ret", ev->result);
	if (ev->flags & KHT_O_HAVE_OUT)
		KHT_JI64(&b, "done", ev->out);
	kht_json_duration(&b, ev->flags, ev->start_ns, ev->duration_ns);
	kht_json_end(&b);
	return b.overflow ? -1 : (int)b.len;
}

KHT_SPAN_OP_BYTES(struct kht_uffd)

/* Wire order (docs/file-format.md): APPEND ONLY; the explicit pad is not stored. */
static const struct kht_field fields[] = {
	KHT_OP_FIELDS(struct kht_uffd),
	KHT_FI(struct kht_uffd, addr), KHT_FI(struct kht_uffd, len), KHT_FI(struct kht_uffd, uffd_mode),
	KHT_FS(struct kht_uffd, result), KHT_FS(struct kht_uffd, out),
	KHT_FILEREF_FIELDS(struct kht_uffd), KHT_FI(struct kht_uffd, op),
	KHT_FI(struct kht_uffd, flags), KHT_FI(struct kht_uffd, attach), KHT_FB(struct kht_uffd, name),
};

KHT_EVENT_KIND(kht_ev_uffd, KHT_EV_UFFD, "uffd", struct kht_uffd,
	       .desc = desc, .json = json, .span = span);
