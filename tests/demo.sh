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
[ $wrc -eq 0 ] && [ $trc -eq 0 ]
