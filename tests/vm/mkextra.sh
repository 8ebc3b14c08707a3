#!/bin/bash
# The /kht-extra directory of the test initramfs (see tests/vm/guest-ext4.sh):
#
#   tests/vm/mkextra.sh DIR SERIES...
#
# DIR/kht-extra/ext4.img: a 32 MiB ext4 (4 KiB blocks, so 7.x gives its files
# PMD-size folios), made with mkfs.ext4; DIR/kht-extra/xfs.img: a 64 MiB xfs
# (4 KiB blocks), made with mkfs.xfs; DIR/kht-extra/<release>/{loop,xfs}.ko
# and modules.order for each SERIES whose kernel collapses regular files (7.x;
# fetch-kernels.sh --modules loop,xfs, cached). Older series get no modules:
# their guests skip the file tests and drop the images. Missing mkfs tools or
# a failed fetch is a warning, not an error: the guest then skips (77)
# instead of the whole matrix failing.
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
# xfs: 64 MiB (mkfs.xfs refuses under 300 MiB unless it believes it runs
# under fstests: TEST_DEV), made empty; the workload creates its files.
if command -v mkfs.xfs >/dev/null 2>&1 || [ -x /sbin/mkfs.xfs ]; then
	truncate -s 64M "$out/xfs.img" &&
		PATH=$PATH:/sbin:/usr/sbin TEST_DEV=1 TEST_DIR=1 QA_CHECK_FS=1 \
			mkfs.xfs -q -f -b size=4096 -L khtxfs "$out/xfs.img" >/dev/null ||
		{ echo "mkextra: warning: mkfs.xfs failed: no xfs tests in the guests" >&2; rm -f "$out/xfs.img"; }
else
	echo "mkextra: warning: mkfs.xfs not found (xfsprogs): no xfs tests in the guests" >&2
fi
for k in "$@"; do
	case $k in [7-9].* | [1-9][0-9].*) ;; *) continue ;; esac
	want=loop
	[ -f "$out/xfs.img" ] && want=loop,xfs
	mods=$("$here/fetch-kernels.sh" --modules $want "$k" 2>>"$top/mkextra.err") ||
		{ echo "mkextra: warning: $k: modules $want not fetched (see $top/mkextra.err)" >&2; continue; }
	rel=$(echo "$mods" | tail -n1 | cut -d' ' -f3)
	mkdir -p "$out/$rel"
	# fetch-kernels prints a module before what it depends on: the guest
	# loads modules.order from the bottom up
	echo "$mods" | sed -n 's/^module [^ ]* \([^ ]*\) \(.*\)$/\1 \2/p' | while read -r m ko; do
		cp "$ko" "$out/$rel/$m.ko"
		echo "$m"
	done >"$out/$rel/modules.order"
done
