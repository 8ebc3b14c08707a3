#!/bin/bash
# The /kht-extra directory of the test initramfs (see tests/vm/guest-ext4.sh):
#
#   tests/vm/mkextra.sh DIR SERIES...
#
# DIR/kht-extra/ext4.img: a 32 MiB ext4 (4 KiB blocks, so 7.x gives its files
# PMD-size folios), made with mkfs.ext4; DIR/kht-extra/<release>/loop.ko for
# each SERIES whose kernel collapses regular files (7.x; fetch-kernels.sh
# --modules loop, cached). Older series get nothing: their guests skip the
# file tests. Missing mkfs.ext4 or a failed fetch is a warning, not an error:
# the guest then skips (77) instead of the whole matrix failing.
set -u
[ $# -ge 1 ] || { echo "usage: $0 DIR SERIES..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
top=$1
out=$top/kht-extra
shift
mkdir -p "$out"
if ! command -v mkfs.ext4 >/dev/null 2>&1 && [ ! -x /sbin/mkfs.ext4 ]; then
	echo "mkextra: warning: mkfs.ext4 not found (e2fsprogs): no regular-file tests in the guests" >&2
	exit 0
fi
PATH=$PATH:/sbin:/usr/sbin mkfs.ext4 -q -F -b 4096 -L khtfile "$out/ext4.img" 32M >/dev/null ||
	{ echo "mkextra: warning: mkfs.ext4 failed" >&2; rm -f "$out/ext4.img"; exit 0; }
for k in "$@"; do
	case $k in [7-9].* | [1-9][0-9].*) ;; *) continue ;; esac
	mods=$("$here/fetch-kernels.sh" --modules loop "$k" 2>>"$top/mkextra.err") ||
		{ echo "mkextra: warning: $k: loop module not fetched (see $top/mkextra.err)" >&2; continue; }
	rel=$(echo "$mods" | tail -n1 | cut -d' ' -f3)
	ko=$(echo "$mods" | sed -n 's/^module [^ ]* loop //p')
	mkdir -p "$out/$rel"
	cp "$ko" "$out/$rel/loop.ko"
done
