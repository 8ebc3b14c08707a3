#!/bin/bash
# make demo: trace the bundled workload on this kernel and show both views,
# what the workload did and what khugetrace saw.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/.output/bin
out=$(mktemp -d /tmp/kht-demo.XXXXXX)
trap 'kill $tpid 2>/dev/null; rm -rf "$out"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "make demo: must run as root (BPF tracing, private tmpfs mounts)." >&2
	exit 1
fi
echo "== khugetrace probe: what this kernel ($(uname -r)) allows"
"$bin/khugetrace" probe | sed -n '/^FEATURES/,$p'
echo
echo "== khugetrace collapse, while khugetrace-workload runs its 'mixed' scenario"
"$bin/khugetrace" collapse >"$out/trace" 2>"$out/banner" &
tpid=$!
for _ in $(seq 100); do
	grep -q '^Tracing' "$out/banner" 2>/dev/null && break
	kill -0 $tpid 2>/dev/null || { cat "$out/banner" >&2; exit 1; }
	sleep 0.1
done
cat "$out/banner"
"$bin/khugetrace-workload" mixed >"$out/workload" 2>&1
wrc=$?
sleep 0.5
kill -INT $tpid
wait $tpid
trc=$?
cat "$out/trace"
echo
echo "== what the workload did (its own account: ino, index, holes, madvise return)"
grep -E '^(file|collapse|after|uffd-register) ' "$out/workload" |
	sed -E 's/ (tid|t_ns|dur_ns|addr|thp_before|path)=[^ ]*//g'
[ $wrc -eq 0 ] && [ $trc -eq 0 ] || exit 1

echo
echo "== khugetrace races on this host (tracepoint modes: only the uffd rule can judge)"
"$bin/khugetrace" races >"$out/races" 2>/dev/null &
rpid=$!
sleep 3
"$bin/khugetrace-workload" uffd-missing >/dev/null 2>&1
kill -INT $rpid
wait $rpid
cat "$out/races"

# The same workload on Debian's own kernels: 6.1 (bookworm's default, without the
# v6.4 fixes) and 6.12 (with them), booted under qemu with fentry available.
if [ "${KHT_DEMO_GUESTS:-1}" = 1 ]; then
	make -s -C "$top" STATIC=1 >/dev/null || exit 1
	"$top/tests/vm/mkinitramfs.sh" "$out/demo.cpio.gz" "$top/tests/vm/demo-guest.sh" \
		"$top/.output-static/bin/khugetrace" "$top/.output-static/bin/khugetrace-workload" \
		>/dev/null || exit 1
	for k in 6.1 6.12; do
		echo
		echo "== booting Debian $k under qemu (the first run downloads the kernel)"
		KHT_VM_LOG_DIR=$out "$top/tests/vm/run-guest.sh" "$k" "$out/demo.cpio.gz" 300 \
			>/dev/null || { echo "the $k guest failed: see above"; exit 1; }
		tr -d '\r' <"$out/kht-vm-$k.log" |
			sed -n '/=== KHT-RESULTS-BEGIN ===/,/=== KHT-RESULTS-END/p' |
			grep -v -e '^===' -e '^demo:0' -e '^\[ *[0-9.]*\]'
	done
fi
