#!/bin/bash
# Lock windows from call sites against gated fentry, in a qemu guest
# (bench/README.md "Lock windows from call sites"):
#
#   bench/lockwin-vm.sh [SERIES]      (default 6.12; as root, like bench/run-vm.sh)
#
# One guest boot, one vCPU, icount (guest ns = instructions): two warm-up runs
# of bench/pagecache_load, then ROUNDS rounds of it untraced and under
# `khugetrace collapse -a fentry` with --lock-windows fentry, with
# --lock-windows callsite and with --no-inside; per traced run the lock
# windows and collapse_file durations the tracer saw and the run counts and
# times of its lock programs (kernel.bpf_stats_enabled, bench/prog_stats).
# Env: ROUNDS (2), ITERS (300), KHT_VM_LOG_DIR (/tmp/kht-bench-lockwin).
set -eu
# shellcheck source=bench/vm_bench.sh
. "$(dirname "$0")/vm_bench.sh"
vm_bench_init lockwin "${1:-}"
vm_bench_tool prog_stats
cat >"$work/test.sh" <<EOF
#!/bin/sh
ITERS=$ITERS ROUNDS=$ROUNDS
EOF
cat >>"$work/test.sh" <<'EOF'
echo "guest: $(uname -r) cpus=$(nproc)"
run() { # none | fentry | callsite | noinside
	case $1 in
	none) /bin/pagecache_load -i $ITERS -f 4 -c 10 >/tmp/pl.out 2>&1 ;;
	*)
		case $1 in
		noinside) opts=--no-inside ;;
		*) opts="--lock-windows $1" ;;
		esac
		rm -f /tmp/r.err
		/bin/khugetrace collapse -j -a fentry $opts >/tmp/r.out 2>/tmp/r.err &
		p=$!
		i=0
		while ! grep -q "^Tracing" /tmp/r.err 2>/dev/null && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
		echo 1 >/proc/sys/kernel/bpf_stats_enabled
		/bin/pagecache_load -i $ITERS -f 4 -c 10 >/tmp/pl.out 2>&1
		echo 0 >/proc/sys/kernel/bpf_stats_enabled
		/bin/prog_stats $(seq 1 400) 2>/dev/null | grep -E " (lock_|unlock_)" | sed "s/^/  stats $1| /"
		kill -INT $p
		wait $p
		grep '"event":"collapse"' /tmp/r.out >/tmp/c.out
		sum() { grep -o "\"$1\":[0-9]*" /tmp/c.out | sed 's/.*://' | awk '{s+=$1} END {print s+0}'; }
		echo "  $1 traced: collapses=$(grep -c . /tmp/c.out) windows=$(sum windows) dur_ns_sum=$(sum duration_ns)"
		;;
	esac
	echo "  $1 $(grep -E '^op=(pread|collapse) ' /tmp/pl.out | tr '\n' ' ') $(grep '^total' /tmp/pl.out)"
}
echo "warm-up"; run none; run none
r=1
while [ $r -le $ROUNDS ]; do
	for c in none fentry callsite noinside; do echo "round $r $c"; run $c; done
	r=$((r + 1))
done
EOF
vm_bench_boot 1500 .output-static/bin/khugetrace "$work/pagecache_load" "$work/prog_stats"
