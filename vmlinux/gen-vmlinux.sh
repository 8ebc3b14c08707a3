#!/bin/bash
# Regenerate vmlinux/vmlinux.h from kernel BTF.
#
#   vmlinux/gen-vmlinux.sh [-o OUT] [BTF_FILE]          (default /sys/kernel/btf/vmlinux)
#   vmlinux/gen-vmlinux.sh [-o OUT] --from-vmlinuz PATH  (bzImage, e.g. a Debian vmlinuz)
#
# OUT defaults to vmlinux.h next to this script.  --from-vmlinuz lets us take
# the BTF of a kernel we are not running (the qemu test matrix kernels).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$here/vmlinux.h
btf=/sys/kernel/btf/vmlinux
vmlinuz=""
die() { printf 'gen-vmlinux: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || die "-o needs a file"; out=$2; shift 2 ;;
	--from-vmlinuz) [ $# -ge 2 ] || die "--from-vmlinuz needs a file"; vmlinuz=$2; shift 2 ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	-*) die "unknown option '$1'" ;;
	*) btf=$1; shift ;;
	esac
done
command -v "${BPFTOOL:-bpftool}" >/dev/null || die "bpftool not found (apt-get install bpftool)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-vmlinux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

# Same approach as the kernel's scripts/extract-vmlinux: a bzImage is a small
# decompressor followed by the compressed ELF, so try every offset where a
# compressor's magic appears until one decompresses to an ELF.  Decompressors
# complain about the trailing data after the payload; that is expected.
extract_vmlinux() {
	local img=$1 dst=$2 magic tool off
	# magic (grep -P bytes) and tool; zstd first as Debian uses it since 6.x.
	while read -r magic tool; do
		command -v "${tool%% *}" >/dev/null || continue
		while read -r off; do
			# shellcheck disable=SC2086 # $tool carries its own options
			tail -c "+$((off + 1))" "$img" | $tool >"$dst" 2>/dev/null || true
			if [ -s "$dst" ] && is_elf "$dst"; then
				printf 'gen-vmlinux: found %s payload at offset %s\n' "${tool%% *}" "$off" >&2
				return 0
			fi
		done < <(LC_ALL=C grep -aobUP "$magic" "$img" | cut -d: -f1)
	done <<-'MAGICS'
		\x28\xb5\x2f\xfd zstd -dcq
		\xfd\x37\x7a\x58\x5a\x00 xz -dcq
		\x1f\x8b\x08 gzip -dcq
		\x02\x21\x4c\x18 lz4 -dcq
		\x42\x5a\x68 bzip2 -dcq
		\x5d\x00\x00\x00 lzma -dcq
		\x89\x4c\x5a\x4f lzop -dcq
	MAGICS
	# An uncompressed vmlinux passed by mistake is fine too.
	is_elf "$img" && cp "$img" "$dst" && return 0
	return 1
}

if [ -n "$vmlinuz" ]; then
	[ -r "$vmlinuz" ] || die "'$vmlinuz' not readable"
	extract_vmlinux "$vmlinuz" "$tmp/vmlinux" ||
		die "no compressed ELF found in '$vmlinuz' (missing zstd/xz/gzip?)"
	btf=$tmp/vmlinux
fi
[ -r "$btf" ] || die "BTF source '$btf' not readable"

# Write beside the target and rename, so a failed dump never leaves a
# truncated header that the build would pick up.
"${BPFTOOL:-bpftool}" btf dump file "$btf" format c >"$tmp/vmlinux.h" ||
	die "bpftool could not dump BTF from '$btf' (kernel built without CONFIG_DEBUG_INFO_BTF?)"
[ -s "$tmp/vmlinux.h" ] || die "bpftool produced no output"
mv "$tmp/vmlinux.h" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
printf 'gen-vmlinux: wrote %s (%s lines)\n' "$out" "$(wc -l <"$out")" >&2
