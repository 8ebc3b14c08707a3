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
	# Until its banner: a background job of this shell starts with SIGINT
	# ignored, and a SIGINT sent before khugetrace installs its handler is
	# lost (a fixed `sleep 3` hung two guests whose start took longer)
	i=0
	while ! grep -q '^Tracing' /tmp/inside.out && kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "guest: inside tracer ready after ~$((i / 10)) s"
	/bin/khugetrace-workload collapse-holes >/dev/null 2>&1
	sleep 1
	kill -INT $pid 2>/dev/null
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $pid 2>/dev/null && echo "guest: inside tracer did not stop on SIGINT in 30 s: killed"
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
