#!/bin/sh
# /test.sh inside a qemu guest: the same live tests as on the host, every
# attach mode this kernel offers, plus the kernel's own facts for the log.
echo "guest: $(uname -r)"
/bin/khugetrace probe | sed 's/^/  probe| /'
echo "guest: collapse modes: $(/bin/khugetrace probe --modes)"
export KHT=/bin/khugetrace KW=/bin/khugetrace-workload UNIT=/bin/unit-tests READY_TIMEOUT=120
# a look inside collapse_file on this kernel, for the log (fentry only)
if /bin/khugetrace probe --modes | grep -q fentry; then
	/bin/khugetrace collapse -a fentry >/tmp/inside.out 2>&1 &
	pid=$!
	sleep 3
	/bin/khugetrace-workload collapse-holes >/dev/null 2>&1
	sleep 1
	kill -INT $pid
	wait $pid
	sed 's/^/  inside| /' /tmp/inside.out
fi
# regular-file collapse on ext4 (7.x): a loop device, if the initramfs has one
. /bin/guest-ext4.sh
ext4_mount
sh /bin/file-tests.sh
# the same on xfs (a module on Debian: its llseek is hooked because it is loaded first)
if [ -n "${KHT_XFS_DIR:-}" ]; then
	KHT_FILE_DIR=$KHT_XFS_DIR KHT_FILE_TAG=file-xfs sh /bin/file-tests.sh
fi
sh /bin/live-tests.sh
sh /bin/timeline-tests.sh
sh /bin/races-tests.sh
sh /bin/count-tests.sh
sh /bin/lockwin-tests.sh
sh /bin/profile-tests.sh
KHT_EXPORT_CAPTURE=1 sh /bin/record-tests.sh
