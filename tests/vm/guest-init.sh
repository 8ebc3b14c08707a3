#!/bin/sh
# /init of the test initramfs: set up the pseudo filesystems the tracer and
# the tests need, run /test.sh between markers the host parses, power off.
# Runs under busybox sh as PID 1; must never exit (that would panic the guest).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The kernel opens /dev/console before /init only if the initramfs has the
# node; re-open it from devtmpfs so output reaches the serial port either way.
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /tmp /run
# what udev/systemd provide on a real system (devtmpfs alone does not)
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
# Not every kernel has every one of these; tests check what they need.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ip link set lo up 2>/dev/null

# kht.args="a b" (quoted, may hold spaces) or kht.args=word.  Dotted
# parameters are not handed to init by the kernel, so read /proc/cmdline.
cmdline=$(cat /proc/cmdline)
case $cmdline in
*'kht.args="'*) KHT_ARGS=$(echo "$cmdline" | sed -n 's/.*kht\.args="\([^"]*\)".*/\1/p') ;;
*kht.args=*) KHT_ARGS=$(echo "$cmdline" | sed -n 's/.*kht\.args=\([^ ]*\).*/\1/p') ;;
*) KHT_ARGS= ;;
esac
export KHT_ARGS

echo "KHT-GUEST-KERNEL: $(uname -r)"
echo "=== KHT-RESULTS-BEGIN ==="
cd /tmp || :
sh /test.sh
rc=$?
cd / || :
echo "=== KHT-RESULTS-END rc=$rc ==="
# Give the UART time to drain: poweroff -f does not wait for the tty.
sync
sleep 1
poweroff -f
echo o >/proc/sysrq-trigger
# Still alive (no ACPI?): idle rather than exit and panic.
while :; do sleep 60; done
