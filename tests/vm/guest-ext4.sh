#!/bin/sh
# Sourced by the guest scripts: mount an ext4 filesystem for the regular-file
# collapse tests (tests/live/file-tests.sh) from what tests/vm/mkextra.sh put
# in the initramfs under /kht-extra: ext4.img and <release>/loop.ko (the
# block drivers are modules in Debian's cloud kernels; ext4 is built in).
# Sets KHT_FILE_DIR on success; says why not otherwise.
ext4_mount() {
	local x=/kht-extra rel i=0
	rel=$(uname -r)
	if [ ! -f $x/ext4.img ] || [ ! -f "$x/$rel/loop.ko" ]; then
		echo "guest: no ext4 image or loop.ko for $rel in the initramfs: file tests skip"
		return 1
	fi
	grep -qw ext4 /proc/filesystems || { echo "guest: ext4 not built in"; return 1; }
	insmod "$x/$rel/loop.ko" 2>&1 | sed 's/^/guest: insmod: /'
	while [ ! -e /dev/loop0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	mkdir -p /mnt/ext4
	if losetup /dev/loop0 $x/ext4.img && mount -t ext4 /dev/loop0 /mnt/ext4; then
		export KHT_FILE_DIR=/mnt/ext4
		echo "guest: ext4 on /dev/loop0 mounted at /mnt/ext4"
		return 0
	fi
	echo "guest: could not mount the ext4 image"
	return 1
}
