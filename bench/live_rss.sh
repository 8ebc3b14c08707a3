#!/bin/bash
# Live `races` (or `timeline`) left on under a seek storm with collapses: is
# its memory flat? (issue 14: "live races over an hour of seek storm keeps a
# flat RSS").
#
#   bench/live_rss.sh [races|timeline]     (as root; default races)
#
# Runs `khugetrace CMD -v -j --all-seeks` (output discarded), and for SECONDS
# (default 600; 3600 for the issue's hour) the VM-host workload
# (khugetrace-workload vmhost: collapses of a sparse shmem guest image, hole
# punches, SEEK_DATA/SEEK_HOLE walks, userfaultfd ranges) next to an lseek
# storm of RATE calls/s (default 50000) on a file of its own. The tracer's
# VmRSS is sampled every STEP seconds (default 10). Prints the samples and
# one line: the highest RSS of the first quarter of the run (after its first
# minute: the stores fill up), of the last quarter, their ratio, events
# delivered and dropped. Flat = the last quarter is no higher than the first.
#
# Environment: KHT (khugetrace binary), WORKLOAD (khugetrace-workload),
# SECONDS_RUN, RATE, STEP, STORM (event_storm binary; built from
# bench/event_storm.c if unset).
# Exit: 0 ran (a growing RSS is a result, printed), 1 could not run.
set -u
{
top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-races}
case $cmd in races | timeline) ;; *) echo "bench/live_rss.sh: races or timeline, not '$cmd'." >&2; exit 1 ;; esac
KHT=${KHT:-$top/.output/bin/khugetrace}
WORKLOAD=${WORKLOAD:-$top/.output/bin/khugetrace-workload}
SECONDS_RUN=${SECONDS_RUN:-600} RATE=${RATE:-50000} STEP=${STEP:-10}
die() { echo "bench/live_rss.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root."
if [ ! -x "$KHT" ] || [ ! -x "$WORKLOAD" ]; then die "no $KHT or $WORKLOAD: run 'make' first."; fi
[ "$SECONDS_RUN" -ge $((4 * STEP)) ] 2>/dev/null || die "SECONDS_RUN must be at least 4 x STEP."
WORK=$(mktemp -d /tmp/kht-live-rss.XXXXXX)
trap 'kill $TPID $WPID $SPID 2>/dev/null; rm -rf "$WORK"' EXIT
STORM=${STORM:-}
if [ -z "$STORM" ]; then
	gcc -O2 -Wall -pthread -I"$top/include" -I"$top/tools" -o "$WORK/event_storm" \
		"$top/bench/event_storm.c" "$top/tools/common/tmpfs_pmd.c" || die "building event_storm failed."
	STORM=$WORK/event_storm
fi

"$KHT" "$cmd" -v -j --all-seeks >/dev/null 2>"$WORK/kht.err" &
TPID=$!
for _ in $(seq 600); do grep -q '^Tracing' "$WORK/kht.err" && break; kill -0 $TPID || break; sleep 0.1; done
grep -q '^Tracing' "$WORK/kht.err" || { cat "$WORK/kht.err" >&2; die "khugetrace $cmd did not start."; }
"$WORKLOAD" -s "$SECONDS_RUN" vmhost >"$WORK/workload.out" 2>&1 &
WPID=$!
"$STORM" -r "$RATE" -s "$SECONDS_RUN" >"$WORK/storm.out" 2>&1 &
SPID=$!

echo "khugetrace $cmd -v -j --all-seeks, $SECONDS_RUN s of vmhost + a $RATE/s lseek storm, $(uname -r)"
echo "t_s rss_kib"
t=0
: >"$WORK/rss"
while [ $t -lt "$SECONDS_RUN" ]; do
	sleep "$STEP"
	t=$((t + STEP))
	rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$TPID/status 2>/dev/null) || break
	[ -n "$rss" ] || break
	echo "$t $rss" | tee -a "$WORK/rss"
done
wait $WPID $SPID
kill -INT $TPID
wait $TPID
grep -v '^Tracing\| via ' "$WORK/kht.err" | sed 's/^/  | /'
# timeline says how many events it took; races how many it judged at most at once
events=$(sed -n -e 's/^khugetrace timeline: \([0-9]*\) events.*/\1 events/p' \
	-e 's/^khugetrace races: judged in \([0-9]*\) epochs, at most \([0-9]*\) events held.*/\1 epochs, at most \2 events held/p' "$WORK/kht.err")
drops=$(sed -n 's/.*WARNING: \([0-9]*\) events dropped.*/\1/p' "$WORK/kht.err")
awk -v n="$SECONDS_RUN" -v ev="${events:-?}" -v dr="${drops:-0}" -v cmd="$cmd" '
	{ t[NR] = $1; r[NR] = $2 }
	END {
		q = n / 4; a = 0; b = 0
		for (i = 1; i <= NR; i++) {
			if (t[i] > 60 && t[i] <= 60 + q && r[i] > a) a = r[i]
			if (t[i] > n - q && r[i] > b) b = r[i]
		}
		printf "%s: peak RSS first quarter (after 60 s) %.1f MiB, last quarter %.1f MiB, ratio %.2f; %s, dropped %s\n",
		       cmd, a / 1024, b / 1024, a ? b / a : 0, ev, dr
	}' "$WORK/rss"
# the whole script is one compound command, read before it runs: editing the
# file during an hour-long run cannot change it, and nothing after it is read
exit 0
}
