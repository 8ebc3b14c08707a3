#!/bin/bash
# Every test layer, one closing line "N passed, N failed[, N skipped]".
#   tests/run-all.sh [unit|live|vm ...]     (default: all three)
# Layers print "name:rc" lines (0 pass, 77 skipped, anything else fails).
# KHT_KERNELS selects the qemu kernels (default "6.19 7.2 6.1 6.12": the
# slowest guests first, two at a time, so the last to start is a short one).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
layers=${*:-unit live vm}
results=$(mktemp /tmp/kht-results.XXXXXX)
trap 'rm -f "$results"' EXIT
bin=$top/.output/bin
sbin=$top/.output-static/bin

record() { # read name:rc lines on stdin, echo them, keep them
	while IFS= read -r line; do
		echo "$line"
		case $line in *:[0-9]|*:[0-9][0-9]|*:[0-9][0-9][0-9])
			case $line in *" "*) ;; *) echo "$line" >>"$results" ;; esac ;;
		esac
	done
}

run_unit() {
	echo "== unit tests (no kernel)"
	"$bin/unit-tests" 2>&1 | grep -v ' passed, ' | record
	echo "== fuzzing the recording reader for ${KHT_FUZZ_SECONDS:-30} s"
	if tests/fuzz/run-fuzz.sh "${KHT_FUZZ_SECONDS:-30}" >/tmp/kht-fuzz.log 2>&1; then
		tail -1 /tmp/kht-fuzz.log
		echo "fuzz/tracefile:0" | record
	else
		tail -20 /tmp/kht-fuzz.log
		echo "fuzz/tracefile:1" | record
	fi
}

run_live() {
	echo "== live tests on this kernel ($(uname -r))"
	if [ "$(id -u)" != 0 ]; then
		echo "  live tests need root"
		echo "live/root:1" | record
		return
	fi
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload UNIT=$bin/unit-tests \
		sh tests/live/live-tests.sh 2>&1 | record
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload UNIT=$bin/unit-tests \
		sh tests/live/timeline-tests.sh 2>&1 | record
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload \
		sh tests/live/races-tests.sh 2>&1 | record
	# collapses and registrations against the kernel's own tracepoints
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload \
		sh tests/live/count-tests.sh 2>&1 | record
	# regular-file collapse: here only its skip (77) unless KHT_FILE_DIR names
	# a filesystem this kernel collapses files on (the 7.2 guest does)
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload UNIT=$bin/unit-tests \
		sh tests/live/file-tests.sh 2>&1 | record
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload UNIT=$bin/unit-tests \
		sh tests/live/record-tests.sh 2>&1 | record
	# call-site lock windows against gated fentry (skips without fentry)
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload \
		sh tests/live/lockwin-tests.sh 2>&1 | record
	# what the default profile records of seeks and mincore (and --all-seeks)
	KHT=$bin/khugetrace KW=$bin/khugetrace-workload \
		sh tests/live/profile-tests.sh 2>&1 | record
	# make install/deb into temporary directories, man pages, completion (host only)
	bash tests/live/install-tests.sh 2>&1 | record
	# the benchmark is not a test: this only checks that it runs and prints its table
	if NO_BPFTRACE=1 bench/run.sh --smoke >/tmp/kht-bench-smoke.log 2>&1 &&
	   grep -q "GOALS" /tmp/kht-bench-smoke.log; then
		echo "bench/smoke:0" | record
	else
		tail -20 /tmp/kht-bench-smoke.log
		echo "bench/smoke:1" | record
	fi
}

run_vm() {
	make -s STATIC=1 || { echo "vm/static-build:1" | record; return; }
	local initrd=/tmp/kht-initramfs.cpio.gz extra
	local ks=${KHT_KERNELS:-6.19 7.2 6.1 6.12} k running=0
	# An ext4 image and, for kernels that collapse regular files (7.x), the
	# loop module: tests/live/file-tests.sh in the guest (the others skip).
	extra=$(mktemp -d /tmp/kht-extra.XXXXXX)
	# shellcheck disable=SC2086
	tests/vm/mkextra.sh "$extra" $ks
	tests/vm/mkinitramfs.sh "$initrd" tests/vm/guest-test.sh \
		"$sbin/khugetrace" "$sbin/khugetrace-workload" "$sbin/unit-tests" \
		tests/live/lib.sh tests/live/live-tests.sh tests/live/timeline-tests.sh \
		tests/live/races-tests.sh tests/live/record-tests.sh tests/live/lockwin-tests.sh \
		tests/live/count-tests.sh tests/live/file-tests.sh tests/live/profile-tests.sh \
		tests/vm/guest-ext4.sh "$extra/kht-extra" \
		>/dev/null || { rm -rf "$extra"; echo "vm/initramfs:1" | record; return; }
	rm -rf "$extra"
	# Each guest is one single-threaded TCG process: run two at a time (2 cores).
	for k in $ks; do
		tests/vm/fetch-kernels.sh "$k" >/dev/null 2>"/tmp/kht-fetch-$k.err" || true
	done
	for k in $ks; do
		if [ $running -ge "${KHT_VM_PARALLEL:-2}" ]; then
			wait -n
			running=$((running - 1))
		fi
		(
			if ! tests/vm/fetch-kernels.sh "$k" >/dev/null 2>>"/tmp/kht-fetch-$k.err"; then
				echo "fetch-kernel:1" >"/tmp/kht-vm-$k.results"
				exit
			fi
			tests/vm/run-guest.sh "$k" "$initrd" "${KHT_VM_TIMEOUT:-3600}" \
				>"/tmp/kht-vm-$k.results" 2>"/tmp/kht-vm-$k.stderr"
			echo "guest-finished:$?" >>"/tmp/kht-vm-$k.results"
		) &
		running=$((running + 1))
	done
	wait
	for k in $ks; do
		echo "== qemu guest: Debian $k"
		cat "/tmp/kht-vm-$k.stderr" "/tmp/kht-fetch-$k.err" 2>/dev/null | grep -v '^$' | tail -40
		grep -v '^$' "/tmp/kht-vm-$k.results" | sed "s|^|vm-$k/|" | record
		cross_machine_report "$k" | record
	done
}

# A capture recorded in guest k (base64 in its console log), reported here:
# other kernel, other scan_result numbering, same collapses.
cross_machine_report() {
	local k=$1 log=/tmp/kht-vm-$1.log cap=/tmp/kht-vm-$1.kht want got rel
	tr -d '\r' <"$log" | sed -n '/=== KHT-CAPTURE-BEGIN ===/,/=== KHT-CAPTURE-END ===/p' |
		grep -v '^===' | base64 -d >"$cap" 2>/dev/null
	want=$(tr -d '\r' <"$log" | sed -n 's/^record-collapses=//p' | head -1)
	rel=$(tr -d '\r' <"$log" | sed -n 's/^KHT-GUEST-KERNEL: //p' | head -1)
	got=$("$bin/khugetrace" report "$cap" -j 2>/dev/null | grep -c '"event":"collapse"')
	if [ -n "$want" ] && [ "$got" = "$want" ] &&
	   "$bin/khugetrace" report "$cap" 2>/dev/null | grep -q "on kernel $rel "; then
		echo "  vm-$k: capture of $got collapses from kernel $rel reported on $(uname -r)" >&2
		echo "vm-$k/record/cross-machine:0"
	else
		echo "  vm-$k: cross-machine report: want $want collapses, got $got ($rel)" >&2
		echo "vm-$k/record/cross-machine:1"
	fi
}

for l in $layers; do
	case $l in
	unit) run_unit ;;
	live) run_live ;;
	vm) run_vm ;;
	*) echo "run-all: unknown layer '$l' (unit, live, vm)" >&2; exit 2 ;;
	esac
done

passed=$(grep -c ':0$' "$results")
skipped=$(grep -c ':77$' "$results")
failed=$(grep -vc -e ':0$' -e ':77$' "$results")
echo
if [ "$failed" -gt 0 ]; then
	echo "failed tests:"
	grep -v -e ':0$' -e ':77$' "$results" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
