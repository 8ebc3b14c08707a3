#!/bin/bash
# bench/run.sh inside a qemu guest: a Debian kernel where khugetrace runs in
# fentry mode (the host of bench/README.md only allows tracepoints).
#
#   bench/run-vm.sh [SERIES]      (default 6.12; 6.1, 6.19, 7.2 too; as root, like bench/run.sh)
#
# Builds static khugetrace (make STATIC=1) and static bench generators and
# bench/prog_stats, packs them with bash-static, bench/run.sh and busybox into
# an initramfs (tests/vm/mkinitramfs.sh), boots the cached Debian kernel
# (tests/vm/fetch-kernels.sh, tests/vm/run-guest.sh: single-threaded TCG),
# runs bench/run.sh there with NO_BPFTRACE=1 NO_REPORT=1 and counts sized for
# TCG (about 4 minutes in all), and prints the guest's table on stdout.
# Under TCG the absolute figures mean nothing; the ratios still compare. With
# TCG, guest time counts instructions (qemu -icount shift=0: 1 ns each), so the
# figures are deterministic and immune to other jobs on the host.
#
# Environment: the guest's bench/run.sh knobs ROUNDS ITERS FILES
# COLLAPSE_EVERY STORM_RATES STORM_SECONDS STORM_THREADS (defaults below)
# and KHT_OPTS (e.g. --no-inside);
# KHT_VM_SMP (default 2, like the host; 1 for 6.1) KHT_VM_MEM KHT_VM_ACCEL
# KHT_VM_ICOUNT (default 0; empty = guest time is host wall time) (see
# tests/vm/run-guest.sh); KHT_VM_LOG_DIR (serial log kht-vm-SERIES.log,
# default /tmp/kht-bench-vm); BENCH_VM_INITRD (initramfs path, default in the
# temporary work directory); BENCH_VM_TIMEOUT (seconds, default 1500);
# KEEP=1 keeps the work directory.
# Exit: 0 when the guest's bench/run.sh exited 0, 1 otherwise (the tail of the
# serial log on stderr).
set -eu
# One compound command: bash reads it whole before running it, so editing this
# file during a (minutes-long) run cannot change what the run does.
{
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
series=${1:-6.12}

die() { echo "bench/run-vm.sh: $*" >&2; exit 1; }
note() { echo "bench/run-vm.sh: $*" >&2; }

# Counts for a single-threaded TCG guest (~10x slower than the host); with
# icount the rounds agree to <1%, so 3 are enough.
ROUNDS=${ROUNDS:-3} ITERS=${ITERS:-1000} FILES=${FILES:-8} COLLAPSE_EVERY=${COLLAPSE_EVERY:-10}
STORM_RATES=${STORM_RATES:-"10000 20000 50000 100000 150000 0"}
STORM_SECONDS=${STORM_SECONDS:-1.5} STORM_THREADS=${STORM_THREADS:-1}
for v in ROUNDS ITERS FILES COLLAPSE_EVERY STORM_RATES STORM_SECONDS STORM_THREADS; do
	case ${!v} in '' | *[!0-9.\ ]*) die "$v='${!v}': numbers only." ;; esac
done
KHT_OPTS=${KHT_OPTS:-}
case $KHT_OPTS in *[!-a-z0-9=\ ]*) die "KHT_OPTS='$KHT_OPTS': options and numbers only." ;; esac
# 6.1 with two vCPUs under icount printed nothing, not even its init's
# first line, in 20 minutes (twice, 2026-11-28); with one it runs.
case ${1:-6.12} in 6.1) smp=1 ;; *) smp=2 ;; esac
export KHT_VM_SMP=${KHT_VM_SMP:-$smp}
# TCG: guest time = instructions executed (1 ns each), so other jobs on the
# host do not move the guest's figures. KHT_VM_ICOUNT= (empty) for wall time.
export KHT_VM_ICOUNT=${KHT_VM_ICOUNT-0}
export KHT_VM_LOG_DIR=${KHT_VM_LOG_DIR:-/tmp/kht-bench-vm}

bash_static=
for b in /bin/bash-static /usr/bin/bash-static; do [ -x "$b" ] && { bash_static=$b; break; }; done
[ -n "$bash_static" ] || die "bash-static not found (bench/run.sh is bash; 'make deps' installs it)."

work=$(mktemp -d /tmp/kht-bench-vm.XXXXXX)
# shellcheck disable=SC2064
trap "if [ '${KEEP:-0}' = 1 ]; then echo 'bench/run-vm.sh: work files kept in $work' >&2; else rm -rf '$work'; fi" EXIT
initrd=${BENCH_VM_INITRD:-$work/bench-initramfs.cpio.gz}

# ---- static binaries ---------------------------------------------------------
note "building static khugetrace and bench generators"
make -s STATIC=1 >"$work/make.log" 2>&1 || { tail -20 "$work/make.log" >&2; die "make STATIC=1 failed."; }
# shellcheck disable=SC2046
gcc -static -O2 -Wall -o "$work/pagecache_load" bench/pagecache_load.c tools/common/tmpfs_pmd.c \
	2>"$work/cc.err" &&
gcc -static -O2 -Wall -pthread -o "$work/event_storm" bench/event_storm.c tools/common/tmpfs_pmd.c \
	2>>"$work/cc.err" &&
gcc -static -O2 -Wall $(pkg-config --cflags libbpf 2>/dev/null) -o "$work/prog_stats" bench/prog_stats.c \
	$(pkg-config --static --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) 2>>"$work/cc.err" ||
	{ cat "$work/cc.err" >&2; die "static build of the bench generators failed."; }

# ---- the guest: /bench/run.sh, /bench/equivalent.bt, /test.sh ----------------
mkdir "$work/bench"
cp bench/run.sh bench/equivalent.bt "$work/bench/"
{
	echo '# /test.sh of the bench guest (busybox sh), written by bench/run-vm.sh'
	echo 'ln -sf bash-static /bin/bash'
	for v in ROUNDS ITERS FILES COLLAPSE_EVERY STORM_RATES STORM_SECONDS STORM_THREADS KHT_OPTS; do
		echo "export $v='${!v}'"
	done
	cat <<'GUEST'
export KHT=/bin/khugetrace BENCH_BIN=/bin NO_BPFTRACE=1 NO_REPORT=1 READY_TIMEOUT=300 STOP_TIMEOUT=300
echo "guest: $(uname -r), $(nproc) CPUs, khugetrace modes: $(/bin/khugetrace probe --modes | tr '\n' ' ')"
t0=$(date +%s)
# progress (stderr) straight to the console, the table kept for the markers
bash /bench/run.sh >/tmp/bench.table
rc=$?
echo "bench-seconds=$(($(date +%s) - t0))"
echo "=== KHT-BENCH-TABLE-BEGIN ==="
cat /tmp/bench.table
echo "=== KHT-BENCH-TABLE-END ==="
echo "bench:$rc"
GUEST
} >"$work/bench-guest.sh"
tests/vm/mkinitramfs.sh "$initrd" "$work/bench-guest.sh" .output-static/bin/khugetrace \
	"$work/pagecache_load" "$work/event_storm" "$work/prog_stats" "$bash_static" "$work/bench" ||
	die "building the initramfs failed."

# ---- boot ----------------------------------------------------------------------
tests/vm/fetch-kernels.sh "$series" >/dev/null || die "fetching the Debian $series kernel failed."
note "guest knobs: KHT_OPTS='$KHT_OPTS' ROUNDS=$ROUNDS ITERS=$ITERS FILES=$FILES COLLAPSE_EVERY=$COLLAPSE_EVERY STORM_RATES='$STORM_RATES' STORM_SECONDS=$STORM_SECONDS"
t0=$(date +%s)
rc=0
out=$(tests/vm/run-guest.sh "$series" "$initrd" "${BENCH_VM_TIMEOUT:-1500}") || rc=$?
log=$KHT_VM_LOG_DIR/kht-vm-$series.log
note "guest run: $(($(date +%s) - t0)) s on the host (bench/run.sh in the guest: $(tr -d '\r' <"$log" | sed -n 's/^bench-seconds=//p') s), serial log $log"
tr -d '\r' <"$log" | sed -n '/^=== KHT-BENCH-TABLE-BEGIN ===$/,/^=== KHT-BENCH-TABLE-END ===$/p' | sed '1d;$d'
if [ "$rc" != 0 ] || ! echo "$out" | grep -qx 'bench:0'; then
	tr -d '\r' <"$log" | tail -30 >&2
	die "the guest run failed (run-guest.sh rc=$rc, guest result: $(echo "$out" | tr '\n' ' '))."
fi
exit 0
}
