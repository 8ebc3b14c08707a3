#!/bin/sh
# Live tests of record/report: a capture reports the same collapse lines as
# the live tracer that watched the same run, the views work offline, and a
# damaged copy is read as far as it goes. POSIX sh + busybox.
WORK=${WORK:-/tmp/kht-rec.$$}
. "$(dirname "$0")/lib.sh"

# Two tracers measure times and lock-hold overlaps each on their own: compare
# what both must agree on (identity, range, holes, result, windows, publish).
strip_time() {
	sed -e 's/"ts_ns":[0-9]*,"time_s":[-0-9.]*,//' \
	    -e 's/"\(duration_ns\|hold_total_ns\|hold_max_ns\|publish_ns\|last_window_begin_ns\|last_window_end_ns\|retry_readers\|retry_spin_ns\)":[0-9a-z]*,\{0,1\}//g'
}

name=record/same-as-live
if start_kht live collapse -j && { LIVE=$TPID; start_kht rec record -o "$WORK/cap.kht"; }; then
	REC=$TPID
	"$KW" collapse-holes >"$WORK/rec.wl" 2>&1
	"$KW" uffd-missing >>"$WORK/rec.wl" 2>&1
	sleep 0.5
	kill -INT $LIVE $REC
	wait $LIVE
	wait $REC
	"$KHT" report "$WORK/cap.kht" -j >"$WORK/rep.out" 2>"$WORK/rep.err"
	rc=$?
	pid=$(field pid "$(grep '^start ' "$WORK/rec.wl" | head -1)")
	grep '"event":"collapse"' "$WORK/live.out" | strip_time >"$WORK/live.c"
	grep '"event":"collapse"' "$WORK/rep.out" | strip_time >"$WORK/rep.c"
	n=$(grep -c "\"pid\":$pid," "$WORK/rep.c")
	if [ $rc -eq 0 ] && [ "$n" -ge 2 ] && cmp -s "$WORK/live.c" "$WORK/rep.c"; then
		echo "  $name: $(wc -l <"$WORK/rep.c") collapse lines identical live and offline"
		result $name 0
	else
		fail $name "report (rc $rc, $n lines of pid $pid) differs from live" "$WORK/rep.c"
		diff "$WORK/live.c" "$WORK/rep.c" | head -5
		result $name 1
	fi
else
	result $name 1
fi

name=record/views
if "$KHT" report "$WORK/cap.kht" --timeline >"$WORK/tl.out" 2>&1 &&
   grep -q '^inode .* "holes-' "$WORK/tl.out" &&
   { "$KHT" report "$WORK/cap.kht" --races -j >"$WORK/races.out" 2>&1; [ $? -le 1 ]; } &&
   grep -q '"event":"races-summary"' "$WORK/races.out" &&
   "$KHT" report "$WORK/cap.kht" --perfetto "$WORK/cap.json" >/dev/null 2>&1 &&
   "$UNIT" --validate-json-doc "$WORK/cap.json"; then
	result $name 0
else
	fail $name "an offline view failed" "$WORK/tl.out"
	result $name 1
fi

# a cut copy: the complete blocks are reported, the loss is said, exit 0
name=record/truncated
size=$(wc -c <"$WORK/cap.kht")
head -c $((size - 7)) "$WORK/cap.kht" >"$WORK/cut.kht"
"$KHT" report "$WORK/cut.kht" >"$WORK/cut.out" 2>"$WORK/cut.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "is cut off" "$WORK/cut.err"; then
	result $name 0
else
	fail $name "rc=$rc" "$WORK/cut.err"
	result $name 1
fi

name=record/not-a-recording
"$KHT" report /proc/self/status >/dev/null 2>"$WORK/bad.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$WORK/bad.err")" -eq 1 ]; then
	result $name 0
else
	fail $name "rc=$rc" "$WORK/bad.err"
	result $name 1
fi

# for the host: a capture made in a qemu guest travels in the console log
if [ -n "${KHT_EXPORT_CAPTURE:-}" ] && command -v base64 >/dev/null 2>&1; then
	echo "record-collapses=$(grep -c '^collapse ' "$WORK/rec.wl")"
	echo "=== KHT-CAPTURE-BEGIN ==="
	base64 "$WORK/cap.kht"
	echo "=== KHT-CAPTURE-END ==="
fi
