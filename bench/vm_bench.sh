# Sourced by the guest benches (bench/lockwin-vm.sh, bench/profile-vm.sh):
# one guest boot, one vCPU, icount (guest ns = instructions), ROUNDS and
# ITERS from the environment, a scratch directory, the static tree and
# bench/pagecache_load built, and a libbpf tool built static on request.
#
#   vm_bench_init NAME [SERIES]    sets top, series, work; exports the guest knobs
#   vm_bench_tool NAME             builds bench/NAME.c (libbpf) into $work/NAME
#   vm_bench_boot TIMEOUT FILE...  the initramfs of $work/test.sh and FILEs,
#                                  booted; prints the guest's part of the log
vm_bench_init() {
	bench_name=$1
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	cd "$top"
	series=${2:-6.12}
	ROUNDS=${ROUNDS:-2} ITERS=${ITERS:-300}
	case "$ROUNDS$ITERS" in
	*[!0-9]*) echo "bench/$bench_name-vm.sh: ROUNDS and ITERS are numbers." >&2; exit 1 ;;
	esac
	export KHT_VM_SMP=1 KHT_VM_ICOUNT=0 KHT_VM_LOG_DIR=${KHT_VM_LOG_DIR:-/tmp/kht-bench-$bench_name}
	work=$(mktemp -d "/tmp/kht-bench-$bench_name.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	make -s STATIC=1 >"$work/make.log" 2>&1 || { tail -20 "$work/make.log" >&2; exit 1; }
	gcc -static -O2 -Wall -o "$work/pagecache_load" bench/pagecache_load.c tools/common/tmpfs_pmd.c
}

vm_bench_tool() {
	# shellcheck disable=SC2046
	gcc -static -O2 -Wall $(pkg-config --cflags libbpf 2>/dev/null) -o "$work/$1" "bench/$1.c" \
		$(pkg-config --static --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
}

vm_bench_boot() {
	local tmo=$1 rc=0
	shift
	tests/vm/mkinitramfs.sh "$work/initrd.cpio.gz" "$work/test.sh" "$@" >/dev/null
	tests/vm/run-guest.sh "$series" "$work/initrd.cpio.gz" "$tmo" >/dev/null || rc=$?
	sed -e 's/\r$//' "$KHT_VM_LOG_DIR/kht-vm-$series.log" | sed -n '/^guest: /,/^=== KHT-RESULTS-END/p'
	return $rc
}
