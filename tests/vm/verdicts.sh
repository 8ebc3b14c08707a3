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
#   tests/vm/verdicts.sh --judge LOG                     (judge the console log of a run)
#   KHT_VERDICT_MODES=fentry,kprobe limits the attach modes.
#
# The guest runs for long: the script copies itself first and runs the copy,
# so editing it meanwhile does not break the judging at the end.
#
# Prints one line per run and a closing "verdicts SERIES: N runs, ..." line;
# exit 0 when every run holds. Needs the static build (make STATIC=1).
set -u
top=${KHT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${KHT_VERDICTS_COPY:-}" ] && [ "${1:-}" != --judge ]; then
	copy=$(mktemp /tmp/kht-verdicts-sh.XXXXXX)
	cp "$0" "$copy"
	KHT_TOP=$top KHT_VERDICTS_COPY=1 bash "$copy" "$@"
	rc=$?
	rm -f "$copy"
	exit $rc
fi
if [ "${1:-}" = --judge ]; then
	log=$2 series=$(basename "$2" .log)
	work=$(mktemp -d /tmp/kht-verdicts-judge.XXXXXX)
else
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
	KHT_ARGS="${KHT_VERDICT_MODES:+modes=$KHT_VERDICT_MODES }$secs $seeds" KHT_VM_LOG_DIR=$work "$top/tests/vm/run-guest.sh" "$series" "$initrd" \
		$(( 300 + runs * (secs + 90) )) >"$work/results" 2>"$work/stderr"
	log=$work/kht-vm-$series.log
fi
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
	function kv(k,   i, a, n) { n = split($0, a, /[ =]/); for (i = 1; i < n; i++) if (a[i] == k) return a[i + 1]; return "" }
	# two passes: the truth of a run is printed after its reports
	FNR == 1 { run = 0; pass++ }
	/^verdicts / { run++; m = $0; sub(/.* mode=/, "", m); sub(/ .*/, "", m); mode[run] = m
		vmhost[run] = $0 ~ / scenario=vmhost / }
	# per lseek/mincore: the walker truth line and the BUG naming that call
	pass == 1 && /^  truth\| truth-hole .* tid=/ { nt++; T_run[nt] = run; T_ino[nt] = kv("ino"); T_idx[nt] = kv("index")
		T_np[nt] = kv("pages"); T_t[nt] = kv("t_ns"); T_tid[nt] = kv("tid") }
	pass == 2 && /^  bug\| seek-transient-hole .* tid=/ && vmhost[run] { nb++; B_run[nb] = run; B_ino[nb] = kv("ino")
		split(kv("pages"), pg, "-"); B_f[nb] = pg[1]; B_l[nb] = pg[2]; B_tid[nb] = kv("tid"); B_ts[nb] = kv("ts") }
	pass == 1 && /^  truth\| truth-hole / { split($0, a, /[ =]/); for (i in a) { if (a[i] == "ino") ino = a[i+1]; if (a[i] == "index") idx = a[i+1]; if (a[i] == "pages") np = a[i+1] }
		for (p = idx; p < idx + np; p++) hole[run, ino, int(p / 512)] = 1 }
	pass == 1 && /^  truth\| truth-corrupt-copy / { split($0, a, /[ =]/); for (i in a) { if (a[i] == "ino") ino = a[i+1]; if (a[i] == "index") idx = a[i+1] }
		hole[run, ino, int(idx / 512)] = 1 }
	pass == 1 && /^  truth\| truth-uffd-(fill|collapse) / { split($0, a, /[ =]/); for (i in a) { if (a[i] == "ino") ino = a[i+1]; if (a[i] == "index") idx = a[i+1] }
		fill[run, ino, int(idx / 512)] = 1 }
	pass == 2 && /^  bug\| / { split($3, q, "="); ino = q[2]; split($4, pg, /[=-]/); chunk = int(pg[2] / 512)
		n[$2]++
		if ($2 == "seek-transient-hole" && !((run, ino, chunk) in hole)) { u[$2]++; bad++ }
		if ($2 == "uffd-missing-fill" && !((run, ino, chunk) in fill)) { u[$2]++; bad++ }
		if ($2 == "seek-transient-hole") seekbug[run, ino, chunk] = 1
		if ($2 == "uffd-missing-fill") fillbug[run, ino, chunk] = 1 }
	END {
		for (k in n) print "  6.1 BUG reports: " k " " n[k] ", unconfirmed " u[k] + 0
		# recall, by chunk: of the chunks where the workload saw data vanish
		# (the first 5000 truth lines of each run) or holes filled under a
		# registration, how many got a BUG of their rule
		for (k in hole) { split(k, x, SUBSEP); m = mode[x[1]]; ms[m] = 1; th[m]++; tr[m] += (k in seekbug) }
		for (k in fill) { split(k, x, SUBSEP); m = mode[x[1]]; ms[m] = 1; tf[m]++; rf[m] += (k in fillbug) }
		for (m in ms)
			printf "  6.1 recall (chunks) %s: seek-transient-hole %d of %d, uffd-missing-fill %d of %d\n",
				m, tr[m], th[m], rf[m], tf[m]
		# the same per call: a BUG names the call if same run, inode and
		# thread, pages overlap, and it returned within 200 ms of its start
		for (i = 1; i <= nt; i++) {
			m = mode[T_run[i]]; lm[m]++
			for (j = 1; j <= nb; j++)
				if (B_run[j] == T_run[i] && B_tid[j] == T_tid[i] && B_ino[j] == T_ino[i] &&
				    B_ts[j] >= T_t[i] && B_ts[j] - T_t[i] < 200000000 &&
				    B_f[j] <= T_idx[i] + T_np[i] - 1 && T_idx[i] <= B_l[j]) { lr[m]++; hit[j] = 1; break }
		}
		for (j = 1; j <= nb; j++) { m = mode[B_run[j]]; bm[m]++; bh[m] += (j in hit) }
		for (m in lm)
			printf "  6.1 per call %s: %d of %d truth-hole calls got their BUG; %d of %d seek BUGs named a truth-hole call\n",
				m, lr[m], lm[m], bh[m], bm[m]
		exit bad > 0 }' "$work/clean.log" "$work/clean.log" || bad=$((bad + 1))
fi
echo "verdicts $series: $nruns runs, $bad problems (log $log)"
[ "$nruns" -gt 0 ] && [ "$bad" = 0 ]
