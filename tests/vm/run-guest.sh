#!/bin/bash
# Boot a cached Debian kernel with a test initramfs under qemu and report.
#
#   tests/vm/run-guest.sh SERIES INITRAMFS [TIMEOUT_S]
#
# stdout: the "name:rc" lines the guest printed between the result markers.
# Exit: 0 END marker seen, 3 timeout/hang, 4 kernel panic, 5 guest died
# without result, 1 usage/setup error.
# Env: KHT_VM_LOG_DIR (default /tmp), KHT_ARGS (-> kht.args= on the kernel
# command line, visible to /test.sh as $KHT_ARGS), KHT_VM_APPEND (extra
# kernel parameters), KHT_VM_MEM (MiB, default 1024), KHT_VM_SMP (default 2),
# KHT_VM_ACCEL (tcg|auto|kvm, default tcg), KHT_VM_ICOUNT (TCG only: N adds
# -icount shift=N,sleep=off, so that guest time counts instructions and the
# load on the host does not change what the guest measures).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
die() { printf 'run-guest: error: %s\n' "$*" >&2; exit 1; }

{ [ $# -ge 2 ] && [ $# -le 3 ]; } || die "usage: $0 SERIES INITRAMFS [TIMEOUT_S]"
series=$1 initrd=$2 tmo=${3:-300}
[ -r "$initrd" ] || die "initramfs '$initrd' not readable"
case $tmo in '' | *[!0-9]*) die "timeout must be whole seconds" ;; esac

read -r _ kernel release < <("$here/fetch-kernels.sh" "$series" | tail -n1) ||
	die "fetch-kernels.sh $series failed"
[ -r "$kernel" ] || die "kernel '$kernel' not readable"

logdir=${KHT_VM_LOG_DIR:-/tmp}
mkdir -p "$logdir"
log=$logdir/kht-vm-$series.log
: >"$log"

append="console=ttyS0 panic=-1 quiet transparent_hugepage=madvise"
if [ -n "${KHT_ARGS:-}" ]; then
	case $KHT_ARGS in *'"'*) die "KHT_ARGS must not contain double quotes" ;; esac
	append="$append kht.args=\"$KHT_ARGS\""
fi
append="$append ${KHT_VM_APPEND:-}"

# KVM only if asked (auto or kvm), and with auto only if it really works:
# under some hypervisors (Firecracker) /dev/kvm opens fine but qemu aborts
# setting up the vCPU.  The probe holds the vCPU stopped (-S), so surviving
# 2 s means setup went through -- unless the host is so loaded that qemu had
# not reached the vCPU setup yet: that once sent a whole test matrix to a
# KVM that aborts. Hence TCG by default: what the tests and the benchmark
# are written for (single-threaded, optionally instruction-counted).
kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local rc
	# The inner "echo" keeps bash from exec'ing qemu, so its "Aborted" job
	# notice lands in the subshell's silenced stderr instead of ours.
	rc=$( (timeout 2 qemu-system-x86_64 -machine q35 -accel kvm -cpu max -m 64 -nodefaults \
		-display none -monitor none -serial none -S </dev/null >/dev/null 2>&1
	echo $?) 2>/dev/null)
	[ "$rc" = 124 ]
}
# Single-threaded TCG: with thread=multi, attaching fentry to hot kernel
# functions (text_poke_bp's int3 live patching) while other vCPUs run them
# crashed 6.1 and 6.12 guests ("Oops: int3" at the patched site); one host
# thread for all vCPUs makes the patching atomic as on real hardware.
tcg=(-accel "tcg,thread=${KHT_VM_TCG_THREAD:-single}")
if [ -n "${KHT_VM_ICOUNT:-}" ]; then
	case $KHT_VM_ICOUNT in *[!0-9]*) die "KHT_VM_ICOUNT must be a shift (0-10)" ;; esac
	tcg+=(-icount "shift=$KHT_VM_ICOUNT,sleep=off")
fi
case ${KHT_VM_ACCEL:-tcg} in
kvm) accel=(-accel kvm) ;;
tcg) accel=("${tcg[@]}") ;;
auto) if kvm_usable; then accel=(-accel kvm); else accel=("${tcg[@]}"); fi ;;
*) die "KHT_VM_ACCEL must be auto, kvm or tcg" ;;
esac

# Serial goes straight to the log file instead of -nographic's stdio: qemu
# then never touches the terminal settings and cannot block on (or quit at)
# the EOF of a CI job's stdin.  -nodefaults drops the NIC/VGA we do not use.
# No virtio-rng: its driver is a module in the cloud kernels (we load none);
# -cpu max gives RDRAND, which seeds the guest's CRNG at boot.
qemu=(qemu-system-x86_64 -machine q35 "${accel[@]}" -cpu max
	-m "${KHT_VM_MEM:-1024}" -smp "${KHT_VM_SMP:-2}"
	-nodefaults -display none -no-reboot
	-serial "file:$log" -monitor none
	-kernel "$kernel" -initrd "$initrd" -append "$append")

printf 'run-guest: booting %s (%s) with %s%s, timeout %ss, log %s\n' "$series" "$release" "${accel[1]}" "${accel[3]:+ icount ${accel[3]}}" "$tmo" "$log" >&2
start=$(date +%s)
# timeout(1) runs qemu in its own process group, so a ^C to this script would
# not reach it: forward it.
timeout -k 10 "$tmo" "${qemu[@]}" </dev/null >>"$log.qemu" 2>&1 &
qpid=$!
trap 'kill -TERM "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; exit 130' INT TERM
qrc=0
wait "$qpid" || qrc=$?
trap - INT TERM
elapsed=$(($(date +%s) - start))
# qemu's own messages (bad option, missing firmware) are appended to the log.
if [ -s "$log.qemu" ]; then
	{ echo "--- qemu stderr (rc=$qrc) ---"; cat "$log.qemu"; } >>"$log"
fi
rm -f "$log.qemu"

# Print results even on failure: partial results help triage.
sed -e 's/\r$//' "$log" | sed -n '/^=== KHT-RESULTS-BEGIN ===$/,/^=== KHT-RESULTS-END rc=/p' |
	grep -E '^[^[:space:]]+:-?[0-9]+$' || true

fail() {
	printf 'run-guest: %s: %s (after %ss)\n' "$series" "$1" "$elapsed" >&2
	printf -- '--- last 30 lines of %s ---\n' "$log" >&2
	tail -n 30 "$log" | sed -e 's/\r$//' >&2
	exit "$2"
}

if grep -q '^=== KHT-RESULTS-END rc=' "$log"; then
	grc=$(sed -n 's/^=== KHT-RESULTS-END rc=\([0-9]*\) ===.*/\1/p' "$log" | tail -n1)
	printf 'run-guest: %s: finished in %ss, /test.sh rc=%s\n' "$series" "$elapsed" "$grc" >&2
	exit 0
fi
grep -q 'Kernel panic' "$log" && fail "kernel panic before the end-of-results marker" 4
# timeout(1) says 124, or 137 if qemu needed SIGKILL.
{ [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; } && fail "timed out after ${tmo}s, guest hung" 3
fail "guest stopped (qemu rc=$qrc) without the end-of-results marker" 5
