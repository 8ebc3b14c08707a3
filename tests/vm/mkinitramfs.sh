#!/bin/bash
# Build a busybox initramfs for the qemu test VMs.
#
#   tests/vm/mkinitramfs.sh OUT.cpio.gz GUEST_SCRIPT [FILE...]
#
# GUEST_SCRIPT becomes /test.sh (run by tests/vm/guest-init.sh as /init).
# A regular FILE is copied to /bin/ (it must be static: the image has no
# libc); a directory FILE is copied recursively to /<basename>.
# GNU cp (KHT_GNU_CP, default /bin/cp; empty: none) goes in as
# /usr/libexec/khugetrace/cp, with the libraries and loader `ldd` names under
# their own paths: busybox cp does not look for holes with SEEK_DATA, and
# khugetrace-workload's sparse-copy scenario needs a copier that does.
# Needs no root: ownership is forced to 0:0 by cpio, device nodes come from
# devtmpfs at boot.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
die() { printf 'mkinitramfs: error: %s\n' "$*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 OUT.cpio.gz GUEST_SCRIPT [FILE...]"
out=$1 script=$2
shift 2
[ -f "$script" ] || die "guest script '$script' not found"

busybox=${KHT_BUSYBOX:-}
if [ -z "$busybox" ]; then
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && { busybox=$b; break; }
	done
fi
[ -n "$busybox" ] || die "busybox not found (install busybox-static)"

# ldd exits non-zero for static binaries; a dynamic one would fail in the
# guest with a confusing "not found".
is_dynamic() { ldd "$1" >/dev/null 2>&1; }
is_dynamic "$busybox" && die "$busybox is dynamically linked (install busybox-static)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/kht-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,mnt}
cp "$busybox" "$stage/bin/busybox"
# Same result as "busybox --install -s", done on the host so the image is
# complete before boot.
"$busybox" --list-full | while read -r applet; do
	[ -e "$stage/$applet" ] || [ -L "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
[ -e "$stage/bin/sh" ] || ln -s busybox "$stage/bin/sh"

install -m 0755 "$here/guest-init.sh" "$stage/init"
install -m 0755 "$script" "$stage/test.sh"
: >"$stage/etc/fstab"
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

# Dynamic, unlike everything else here: its libraries come along, each at
# the path ldd resolved it to, so the loader's default search finds them.
add_gnu_cp() {
	local cp=$1 lib
	if ! "$cp" --version 2>/dev/null | head -n1 | grep -q 'GNU coreutils'; then
		printf 'mkinitramfs: warning: %s is not GNU cp; the image has no /usr/libexec/khugetrace/cp\n' "$cp" >&2
		return 0
	fi
	install -D -m 0755 "$cp" "$stage/usr/libexec/khugetrace/cp"
	# "libc.so.6 => /lib/.../libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
	ldd "$cp" | sed -n -e 's/.*=> \(\/[^ ]*\) (.*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		while read -r lib; do
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
}
gnu_cp=${KHT_GNU_CP-/bin/cp}
[ -z "$gnu_cp" ] || add_gnu_cp "$gnu_cp"

for f in "$@"; do
	if [ -d "$f" ]; then
		cp -a "$f" "$stage/$(basename "$f")"
	elif [ -f "$f" ]; then
		if is_dynamic "$f"; then
			printf 'mkinitramfs: warning: %s is dynamically linked; it will not run in the guest\n' "$f" >&2
		fi
		# May shadow a busybox applet symlink; cp would write through it.
		rm -f "$stage/bin/$(basename "$f")"
		cp "$f" "$stage/bin/"
		chmod 0755 "$stage/bin/$(basename "$f")"
	else
		die "'$f' not found"
	fi
done

# Sorted, with fixed owner, so identical inputs give an identical image.
tmpout=$out.tmp.$$
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) | gzip -6n >"$tmpout"
mv "$tmpout" "$out"
