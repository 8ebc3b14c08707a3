#!/bin/sh
# Sourced by the guest scripts: mount the regular filesystems for the
# regular-file collapse tests (tests/live/file-tests.sh) from what
# tests/vm/mkextra.sh put in the initramfs under /kht-extra: ext4.img,
# xfs.img and <release>/*.ko with modules.order (the block drivers and xfs
# are modules in Debian's cloud kernels; ext4 is built in).
# ext4_mount sets KHT_FILE_DIR (ext4) and KHT_XFS_DIR (xfs) on success and
# says why not otherwise.
fs_mount() { # FS IMAGE LOOPDEV DIR
	losetup "$3" "$2" && mkdir -p "$4" && mount -t "$1" "$3" "$4"
}

ext4_mount() {
	local x=/kht-extra rel i=0 m
	rel=$(uname -r)
	if [ ! -f $x/ext4.img ] || [ ! -f "$x/$rel/loop.ko" ]; then
		echo "guest: no ext4 image or loop.ko for $rel in the initramfs: file tests skip"
		rm -f $x/ext4.img $x/xfs.img	# 96 MiB of RAM back
		return 1
	fi
	grep -qw ext4 /proc/filesystems || { echo "guest: ext4 not built in"; return 1; }
	# modules.order lists a module before what it needs: load from the bottom
	for m in $(sed -n '1!G;h;$p' "$x/$rel/modules.order"); do
		insmod "$x/$rel/$m.ko" 2>&1 | sed 's/^/guest: insmod: /'
	done
	while [ ! -e /dev/loop1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if [ -f $x/xfs.img ] && grep -qw xfs /proc/filesystems &&
		fs_mount xfs $x/xfs.img /dev/loop1 /mnt/xfs; then
		export KHT_XFS_DIR=/mnt/xfs
		echo "guest: xfs on /dev/loop1 mounted at /mnt/xfs"
	else
		echo "guest: no xfs (image, module or mount missing): xfs file tests skip"
	fi
	if fs_mount ext4 $x/ext4.img /dev/loop0 /mnt/ext4; then
		export KHT_FILE_DIR=/mnt/ext4
		echo "guest: ext4 on /dev/loop0 mounted at /mnt/ext4"
		return 0
	fi
	echo "guest: could not mount the ext4 image"
	return 1
}
