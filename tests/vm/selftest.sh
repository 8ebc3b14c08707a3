#!/bin/bash
# Self-check of the VM harness: build a busybox-only initramfs with a probe
# script and boot it on each kernel series.
#
#   tests/vm/selftest.sh [SERIES...]      (default: 6.1 6.12 6.19 7.2)
#
# Exit 0 only if every kernel booted, reported, and every probe passed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12 6.19 7.2

work=$(mktemp -d "${TMPDIR:-/tmp}/kht-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/probe.sh" <<'PROBE'
# Runs in the guest as /test.sh under busybox sh.  Lines "name:rc" are results.
r() { echo "$1:$2"; }

test -s /sys/kernel/btf/vmlinux; r btf $?
test -d /sys/kernel/tracing/events; r tracefs $?
grep -q ' /sys/fs/bpf bpf ' /proc/mounts; r bpffs $?

# shmem THP needs a tmpfs that accepts huge=.
mkdir -p /mnt/shm
mount -t tmpfs -o huge=within_size,size=64m tmpfs /mnt/shm &&
	echo data >/mnt/shm/f && grep -q data /mnt/shm/f && umount /mnt/shm
r tmpfs $?

echo "shmem_enabled: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>&1)"
echo "thp enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>&1)"
echo "huge_memory events: $(ls /sys/kernel/tracing/events/huge_memory/ 2>&1 | tr '\n' ' ')"
# Informational, not a probe: the tracepoint only exists since Linux 6.2.
if test -d /sys/kernel/tracing/events/huge_memory/mm_khugepaged_collapse_file; then
	echo "mm_khugepaged_collapse_file: present"
else
	echo "mm_khugepaged_collapse_file: absent"
fi

test -e /proc/sys/vm/unprivileged_userfaultfd || test -e /dev/userfaultfd
r uffd $?

test "$KHT_ARGS" = "selftest a=1"; r kht_args $?
PROBE

"$here/mkinitramfs.sh" "$work/initrd.cpio.gz" "$work/probe.sh"

# Fetch first so that download time does not count as boot time.
"$here/fetch-kernels.sh" "$@" >/dev/null

overall=0
summary=""
for s in "$@"; do
	echo "### $s"
	t0=$(date +%s%N)
	rc=0
	out=$(KHT_ARGS="selftest a=1" "$here/run-guest.sh" "$s" "$work/initrd.cpio.gz" 300) || rc=$?
	ds=$((($(date +%s%N) - t0) / 100000000))
	t=$((ds / 10)).$((ds % 10))
	echo "$out"
	log=${KHT_VM_LOG_DIR:-/tmp}/kht-vm-$s.log
	grep -E '^(KHT-GUEST-KERNEL|shmem_enabled|thp enabled|huge_memory events|mm_khugepaged_collapse_file):' "$log" | sed -e 's/\r$//' -e 's/^/  /'
	failed=$(echo "$out" | grep -cv ':0$' || true)
	if [ "$rc" != 0 ] || [ -z "$out" ] || [ "$failed" != 0 ]; then
		overall=1
		summary="$summary$s: FAIL (run-guest rc=$rc, $failed failed probes, ${t}s)"$'\n'
	else
		summary="$summary$s: ok ($(echo "$out" | wc -l) probes, ${t}s)"$'\n'
	fi
done
echo "### summary"
printf '%s' "$summary"
exit "$overall"
