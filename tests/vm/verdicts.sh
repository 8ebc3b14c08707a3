#!/bin/bash
# Precision and recall of the race verdicts on real kernels (issue 11): boots
# a Debian kernel, runs tests/vm/guest-verdicts.sh (the VM-host and
# sparse-copy workloads under `khugetrace races`, every attach mode, several
# seeds), and judges the runs:
#   fixed kernels (6.12, 6.19, ...): no BUG at all;
#   6.1: every BUG confirmed by the workload's truth (seek-transient-hole on a
#   page the walker saw vanish or a copy that came out corrupted, uffd-missing-fill
#   on a chunk whose holes were filled under a registration, publish-before-
#   uptodate by the kernel's known code).
#
#   tests/vm/verdicts.sh SERIES [SECONDS [SEEDS...]]     (default 20 s, seed 1)
#
# Prints one line per run and a closing "verdicts SERIES: N runs, ..." line;
# exit 0 when every run holds. Needs the static build (make STATIC=1).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
series=$1
secs=${2:-20}
shift $(( $# >= 2 ? 2 : $# ))
seeds=${*:-1}
sbin=$top/.output-static/bin
work=${KHT_VERDICTS_DIR:-/tmp/kht-verdicts-$series}
mkdir -p "$work"
initrd=$work/initramfs.cpio.gz
"$top/tests/vm/mkinitramfs.sh" "$initrd" "$top/tests/vm/guest-verdicts.sh" \
	"$sbin/khugetrace" "$sbin/khugetrace-workload" >/dev/null || exit 1
modes=5
runs=$(( modes * 2 * $(echo "$seeds" | wc -w) ))
KHT_ARGS="$secs $seeds" KHT_VM_LOG_DIR=$work "$top/tests/vm/run-guest.sh" "$series" "$initrd" \
	$(( 300 + runs * (secs + 90) )) >"$work/results" 2>"$work/stderr"
log=$work/kht-vm-$series.log
tr -d '\r' <"$log" >"$work/clean.log"
case $(grep -m1 '^guest: ' "$work/clean.log") in *" 6.1."*) buggy=1 ;; *) buggy=0 ;; esac
bad=0 nruns=0
while read -r line; do
	nruns=$((nruns + 1))
	echo "$line"
	bugs=$(echo "$line" | sed -n 's/.* bugs=\([0-9]*\).*/\1/p')
	if [ "$buggy" = 0 ] && [ "${bugs:-1}" != 0 ]; then
		echo "  FALSE ACCUSATION: $bugs BUG reports on a fixed kernel"
		bad=$((bad + 1))
	fi
done < <(grep '^verdicts ' "$work/clean.log")
# 6.1: each BUG must name a page the truth saw vanish (or a filled chunk)
if [ "$buggy" = 1 ]; then
	awk '
	# two passes: the truth of a run is printed after its reports
	FNR == 1 { run = 0; pass++ }
	/^verdicts / { run++ }
	pass == 1 && /^  truth\| truth-hole / { split($0, a, /[ =]/); for (i in a) { if (a[i] == "ino") ino = a[i+1]; if (a[i] == "index") idx = a[i+1]; if (a[i] == "pages") np = a[i+1] }
		for (p = idx; p < idx + np; p++) hole[run, ino, int(p / 512)] = 1 }
	pass == 1 && /^  truth\| truth-corrupt-copy / { split($0, a, /[ =]/); for (i in a) { if (a[i] == "ino") ino = a[i+1]; if (a[i] == "index") idx = a[i+1] }
		hole[run, ino, int(idx / 512)] = 1 }
	pass == 1 && /^  truth\| truth-uffd-(fill|collapse) / { split($0, a, /[ =]/); for (i in a) { if (a[i] == "ino") ino = a[i+1]; if (a[i] == "index") idx = a[i+1] }
		fill[run, ino, int(idx / 512)] = 1 }
	pass == 2 && /^  bug\| / { split($3, q, "="); ino = q[2]; split($4, pg, /[=-]/); chunk = int(pg[2] / 512)
		n[$2]++
		if ($2 == "seek-transient-hole" && !hole[run, ino, chunk]) { u[$2]++; bad++ }
		if ($2 == "uffd-missing-fill" && !fill[run, ino, chunk]) { u[$2]++; bad++ } }
	END { for (k in n) print "  6.1 BUG reports: " k " " n[k] ", unconfirmed " u[k] + 0; exit bad > 0 }' "$work/clean.log" "$work/clean.log" || bad=$((bad + 1))
fi
echo "verdicts $series: $nruns runs, $bad problems (log $log)"
[ "$nruns" -gt 0 ] && [ "$bad" = 0 ]
