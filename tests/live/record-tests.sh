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
   "$KHT" report "$WORK/cap.kht" --races -j >"$WORK/races.out" 2>&1 &&
   grep -q '"event":"races-summary"' "$WORK/races.out" &&
   "$KHT" report "$WORK/cap.kht" --perfetto "$WORK/cap.json" >/dev/null 2>&1 &&
   "$UNIT" --validate-json-doc "$WORK/cap.json" &&
   "$KHT" report "$WORK/cap.kht" --perfetto "$WORK/cap.tr" --perfetto-format json >/dev/null 2>&1 &&
   "$UNIT" --validate-json-doc "$WORK/cap.tr"; then
	result $name 0
else
	fail $name "an offline view failed" "$WORK/tl.out"
	result $name 1
fi

# the protobuf trace (the default): the walker accepts it, one top-level
# track per story of --timeline, one slice or instant per event
name=record/perfetto-protobuf
"$KHT" report "$WORK/cap.kht" --timeline -j >"$WORK/tlj.out" 2>/dev/null
"$KHT" report "$WORK/cap.kht" --perfetto "$WORK/cap.pftrace" >/dev/null 2>"$WORK/pb.err" &&
	"$UNIT" --check-perfetto "$WORK/cap.pftrace" >"$WORK/pb.out" 2>>"$WORK/pb.err"
rc=$?
stories=$(grep -c '^{"event":"story",' "$WORK/tlj.out")
# the summary line alone: a capture group over a story line (hundreds of
# KiB) backtracks for minutes in the guests' busybox sed
events=$(grep '^{"event":"timeline-summary"' "$WORK/tlj.out" |
	sed -n 's/.*"stories":[0-9]*,"events":\([0-9]*\).*/\1/p')
got=$(sed -n 's/.*(\([0-9]*\) stories), \([0-9]*\) slices, \([0-9]*\) instants/\1 \2 \3/p' "$WORK/pb.out")
read -r pst psl pin <<EOF
$got
EOF
if [ $rc -eq 0 ] && [ "${pst:-x}" = "$stories" ] && [ $(( ${psl:-0} + ${pin:-0} )) = "${events:-x}" ] &&
   [ "$stories" -ge 1 ]; then
	echo "  $name: $(cat "$WORK/pb.out"); $stories stories, $events events in --timeline"
	result $name 0
else
	fail $name "rc=$rc: '$got' against $stories stories, $events events" "$WORK/pb.err"
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

# ---- outputs: written through or replaced safely, never over an input ----

# valid NAME FILE: FILE is a complete recording (report reads it, no damage said)
valid() {
	"$KHT" report "$2" >"$WORK/$1.rep" 2>"$WORK/$1.rerr" && [ ! -s "$WORK/$1.rerr" ]
}
# ok NAME CONDITION-STATUS [WHY FILE]
ok() {
	if [ "$2" -eq 0 ]; then
		result "$1" 0
	else
		fail "$1" "${3:-}" "${4:-/dev/null}"
		result "$1" 1
	fi
}

# record/collapse/timeline -- CMD: CMD starts once the probes are attached
# (its first collapse is in), only its process is traced, tracing ends with it
name=record/command
"$KHT" record -o "$WORK/cmd.kht" -- "$KW" collapse-holes >"$WORK/cmd.wl" 2>"$WORK/cmd.err"
rc=$?
pid=$(field pid "$(grep '^start ' "$WORK/cmd.wl")")
want=$(grep -c '^collapse ' "$WORK/cmd.wl")
"$KHT" report "$WORK/cmd.kht" -j 2>/dev/null | grep '"event":"collapse"' >"$WORK/cmd.rep"
n=$(grep -c "\"pid\":$pid," "$WORK/cmd.rep")
[ $rc -eq 0 ] && [ -n "$pid" ] && [ "$want" -ge 2 ] && [ "$n" -eq "$want" ] &&
	[ "$(wc -l <"$WORK/cmd.rep")" -eq "$n" ] && ! grep -q SIGTERM "$WORK/cmd.err"
ok $name $? "rc=$rc: $n of $want collapses of pid $pid, $(wc -l <"$WORK/cmd.rep") in all" "$WORK/cmd.err"

name=collapse/command
"$KHT" collapse -j "$KW" collapse-full >"$WORK/ccmd.out" 2>"$WORK/ccmd.err"
rc=$?
pid=$(field pid "$(grep '^start ' "$WORK/ccmd.out")")
want=$(grep -c '^collapse ' "$WORK/ccmd.out")
n=$(grep '"event":"collapse"' "$WORK/ccmd.out" | grep -c "\"pid\":$pid,")
[ $rc -eq 0 ] && [ "$want" -ge 1 ] && [ "$n" -eq "$want" ] && grep -q '"event":"summary"' "$WORK/ccmd.out"
ok $name $? "rc=$rc: $n of $want collapses of pid $pid" "$WORK/ccmd.err"

name=timeline/command
"$KHT" timeline -j -- "$KW" collapse-holes >"$WORK/tcmd.out" 2>"$WORK/tcmd.err"
rc=$?
[ $rc -eq 0 ] && grep -q '"holes-' "$WORK/tcmd.out"
ok $name $? "rc=$rc: no story of the command's file" "$WORK/tcmd.err"

expect record/bad/command-pid 2 "do not go together" "$KHT" record -p 1 -o "$WORK/x.kht" -- true
name=collapse/bad/command
"$KHT" collapse /nonexistent/cmd >/dev/null 2>"$WORK/nx.err"
rc=$?
[ $rc -eq 1 ] && grep -q "cannot run '/nonexistent/cmd': No such file" "$WORK/nx.err"
ok $name $? "rc=$rc" "$WORK/nx.err"

# a status line on stderr every 3 s (events, drops, bytes); -q: none
name=record/status-line
"$KHT" record -o "$WORK/st.kht" -d 4 >/dev/null 2>"$WORK/st.err" &&
	grep -q "^khugetrace record: [0-9]* s, [0-9]* events so far, [0-9]* dropped, [0-9]* bytes written$" \
		"$WORK/st.err" &&
	"$KHT" record -q -f -o "$WORK/st.kht" -d 4 >/dev/null 2>"$WORK/stq.err" &&
	! grep -q "so far" "$WORK/stq.err"
ok $name $? "no status line in 4 s, or one despite -q" "$WORK/st.err"

name=record/symlink-stays
echo "not a recording yet" >"$WORK/target.kht"
ln -s target.kht "$WORK/link.kht"
"$KHT" record -o "$WORK/link.kht" -d 1 >/dev/null 2>"$WORK/link.err"
[ -L "$WORK/link.kht" ] && valid link "$WORK/target.kht" &&
	grep -q "not a recording yet" "$WORK/target.kht.old"
ok $name $? "the link was replaced, or its target holds no recording" "$WORK/link.err"

# /dev/fd/1 first: a binary that renames over its output fails there harmlessly
# (nothing can be created in /proc) and never gets to replace the host's /dev/stdout
name=record/dev-stdout
"$KHT" record -o /dev/fd/1 -d 1 >"$WORK/fd1.kht" 2>"$WORK/so.err" && valid fd1 "$WORK/fd1.kht" &&
	"$KHT" record -o /dev/stdout -d 1 >"$WORK/so.kht" 2>"$WORK/so.err" &&
	[ -L /dev/stdout ] && valid so "$WORK/so.kht" &&
	"$KHT" record -o - -d 1 2>/dev/null | cat >"$WORK/dash.kht" && valid dash "$WORK/dash.kht"
ok $name $? "recording to /dev/fd/1, /dev/stdout or - failed" "$WORK/so.err"

name=record/fifo
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/fromfifo.kht" &
CAT=$!
"$KHT" record -o "$WORK/fifo" -d 1 >/dev/null 2>"$WORK/fifo.err"
rc=$?
[ -p "$WORK/fifo" ] || kill $CAT 2>/dev/null	# replaced: cat would wait forever
wait $CAT
[ $rc -eq 0 ] && [ -p "$WORK/fifo" ] && valid fifo "$WORK/fromfifo.kht"
ok $name $? "rc=$rc: the FIFO was replaced or its reader got no recording" "$WORK/fifo.err"

# an earlier recording becomes FILE.old (two records onto one path: nothing lost); -f overwrites
name=record/rotate
rm -f "$WORK/rot.kht" "$WORK/rot.kht.old"
"$KHT" record -o "$WORK/rot.kht" -d 1 >/dev/null 2>&1
cp "$WORK/rot.kht" "$WORK/first.kht"
"$KHT" record -o "$WORK/rot.kht" -d 1 >/dev/null 2>"$WORK/rot.err"
cmp -s "$WORK/first.kht" "$WORK/rot.kht.old" && valid rot "$WORK/rot.kht" &&
	grep -q "is kept as .*rot.kht.old" "$WORK/rot.err" &&
	rm "$WORK/rot.kht.old" && "$KHT" record -f -o "$WORK/rot.kht" -d 1 >/dev/null 2>&1 &&
	[ ! -e "$WORK/rot.kht.old" ]
ok $name $? "the earlier recording was not kept as .old (or -f kept it)" "$WORK/rot.err"

# without -o: khugetrace.data here; report without a file reads it; -i FILE as in perf
name=record/default-file
mkdir -p "$WORK/here"
case $KHT in /*) kht=$KHT ;; */*) kht=$(pwd)/$KHT ;; *) kht=$KHT ;; esac
(cd "$WORK/here" && "$kht" record -d 1 >/dev/null 2>&1 && "$kht" report >"$WORK/dflt.out" 2>&1 &&
	"$kht" report -i khugetrace.data >"$WORK/dflt-i.out" 2>&1) &&
	grep -q "^# recorded" "$WORK/dflt.out" && cmp -s "$WORK/dflt.out" "$WORK/dflt-i.out"
ok $name $? "record/report without a file name" "$WORK/dflt.out"

# An end-only collapse mode (forced: the modify feature then runs on syscall
# tracepoints, no fills): no write is traced by default, the header says so
# and report's uffd rule says it when it downgrades (on 6.1 the collapse
# fills the registered holes); --all-writes keeps the 10 s horizon. The
# seek feature is left out there (# seek:profile: off), --all-seeks loads it
# and records every seek (all)
name=record/modify-profile
"$KHT" record -a syscalls -o "$WORK/mp.kht" -- "$KW" uffd-missing >"$WORK/mp.wl" 2>"$WORK/mp.err" &&
	"$KHT" report "$WORK/mp.kht" --races -j >"$WORK/mp.out" 2>"$WORK/mp.rep" &&
	"$KHT" record -a syscalls --all-writes --all-seeks -o "$WORK/mpa.kht" -d 1 >/dev/null 2>&1 &&
	"$KHT" report "$WORK/mpa.kht" >"$WORK/mpa.rep" 2>&1 &&
	cat "$WORK/mp.rep" "$WORK/mp.out" | grep -q '^# modify:profile: no-writes$' &&
	cat "$WORK/mp.rep" "$WORK/mp.out" | grep -q '^# seek:profile: off$' &&
	grep -q '^# modify:profile: near-collapses$' "$WORK/mpa.rep" &&
	grep -q '^# seek:profile: all$' "$WORK/mpa.rep" &&
	[ "$(cat "$WORK/mp.rep" "$WORK/mp.out" "$WORK/mpa.rep" | grep -c '^# seek:profile:')" = 2 ]
r=$?
holes=$(field holes_now "$(grep '^after ' "$WORK/mp.wl")")
echo "  $name: holes left after the collapse: ${holes:-?}"
if [ $r -eq 0 ] && [ "$holes" = 0 ]; then
	grep -q '"rule":"uffd-missing-fill","severity":"WARN".*"downgraded":"hole fills by faults are not traced in this mode, nor writes by default' "$WORK/mp.out"
	r=$?
fi
ok $name $r "record -a syscalls: header or report" "$WORK/mp.rep"

# ENOSPC: the real errno, and the count is what report then reads
name=record/enospc
mkdir -p "$WORK/tiny"
if mount -t tmpfs -o size=16k none "$WORK/tiny" 2>/dev/null; then
	# --all-seeks: the storm's seeks are events in every mode (end-only modes trace none by default)
	"$KHT" record --all-seeks -o "$WORK/tiny/r.kht" -d 20 >/dev/null 2>"$WORK/nospc.err" &
	REC=$!
	# the load starts once tracing does (loading takes a while in the TCG guests)
	i=0
	while ! grep -q "^Tracing" "$WORK/nospc.err" 2>/dev/null && kill -0 $REC 2>/dev/null &&
	      [ $i -lt $((${READY_TIMEOUT:-30} * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$KW" seek-storm -s 3 >/dev/null 2>&1 &
	WL=$!
	i=0
	while kill -0 $REC 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	kill -INT $REC 2>/dev/null
	wait $REC
	rc=$?
	kill $WL 2>/dev/null
	wait $WL
	# records, as report counts them (a lock-window batch is one record)
	said=$(sed -n 's/.*: [0-9]* events in \([0-9]*\) records, .*/\1/p' "$WORK/nospc.err")
	"$KHT" report "$WORK/tiny/r.kht" >/dev/null 2>"$WORK/nospc.rep"
	read=$(sed -n 's/.* cut off after \([0-9]*\) records.*/\1/p' "$WORK/nospc.rep")
	umount "$WORK/tiny"
	[ $rc -eq 1 ] && grep -q "failed: No space left on device\." "$WORK/nospc.err" &&
		[ -n "$said" ] && [ "$said" = "$read" ]
	ok $name $? "rc=$rc, record said '$said' records, report read '$read'" "$WORK/nospc.err"
else
	result $name 77
fi

name=report/perfetto-fifo
mkfifo "$WORK/pfifo"
cat "$WORK/pfifo" >"$WORK/pfifo.json" &
CAT=$!
"$KHT" report "$WORK/cap.kht" --perfetto "$WORK/pfifo" >/dev/null 2>"$WORK/pfifo.err"
rc=$?
[ -p "$WORK/pfifo" ] || kill $CAT 2>/dev/null	# replaced: cat would wait forever
wait $CAT
[ $rc -eq 0 ] && [ -p "$WORK/pfifo" ] && "$UNIT" --check-perfetto "$WORK/pfifo.json" >/dev/null
ok $name $? "rc=$rc: the FIFO was replaced or got no trace" "$WORK/pfifo.err"

name=report/perfetto-stdout
"$KHT" report "$WORK/cap.kht" --perfetto /dev/fd/1 >"$WORK/pfd1.tr" 2>"$WORK/pso.err" &&
	"$UNIT" --check-perfetto "$WORK/pfd1.tr" >/dev/null &&
	"$KHT" report "$WORK/cap.kht" --perfetto /dev/stdout >"$WORK/pso.tr" 2>"$WORK/pso.err" &&
	[ -L /dev/stdout ] &&
	"$UNIT" --check-perfetto "$WORK/pso.tr" >/dev/null &&
	"$KHT" report "$WORK/cap.kht" --perfetto - >"$WORK/pdash.tr" 2>/dev/null &&
	"$UNIT" --check-perfetto "$WORK/pdash.tr" >/dev/null &&
	"$KHT" report "$WORK/cap.kht" --perfetto - --perfetto-format json >"$WORK/pdash.json" \
		2>/dev/null &&
	"$UNIT" --validate-json-doc "$WORK/pdash.json"
ok $name $? "--perfetto /dev/stdout or - gave no trace on stdout" "$WORK/pso.err"

# a symlink stays a link, the file gets the recordings' mode
name=report/perfetto-symlink
echo '{}' >"$WORK/p.json"
chmod 644 "$WORK/p.json"
ln -s p.json "$WORK/plink.json"
"$KHT" report "$WORK/cap.kht" --perfetto "$WORK/plink.json" >/dev/null 2>"$WORK/plink.err" &&
	[ -L "$WORK/plink.json" ] && "$UNIT" --validate-json-doc "$WORK/p.json" &&
	[ "$(ls -l "$WORK/p.json" | cut -c1-10)" = "-rw-------" ]
ok $name $? "the link was replaced, or p.json is not a 0600 trace" "$WORK/plink.err"

name=report/perfetto-over-input
cp "$WORK/cap.kht" "$WORK/self.kht"
ln -s self.kht "$WORK/selflink.kht"
expect $name 1 "same file as the input" "$KHT" report "$WORK/self.kht" --perfetto "$WORK/self.kht"
expect $name-link 1 "same file as the input" \
	"$KHT" report "$WORK/selflink.kht" --perfetto "$WORK/self.kht"
name=report/input-intact
cmp -s "$WORK/cap.kht" "$WORK/self.kht" && [ ! -s "$WORK/x.out" ]
ok $name $? "the recording was changed, or something was printed" "$WORK/x.out"

# report - reads a pipe; options before the file work (GNU permutation)
name=report/stdin
"$KHT" report "$WORK/cap.kht" -j >"$WORK/a.out" 2>/dev/null
cat "$WORK/cap.kht" | "$KHT" report - -j >"$WORK/b.out" 2>/dev/null &&
	"$KHT" report -j "$WORK/cap.kht" >"$WORK/c.out" 2>/dev/null &&
	[ -s "$WORK/a.out" ] && cmp -s "$WORK/a.out" "$WORK/b.out" && cmp -s "$WORK/a.out" "$WORK/c.out"
ok $name $? "report - (a pipe) or report -j FILE differs from report FILE -j" "$WORK/b.out"

# --since/--until apply to the default view; --until 0 means until 0 s, not "no limit"
# (events caught while the later features were still loading have times < 0)
name=report/window
all=$("$KHT" report "$WORK/cap.kht" -j 2>/dev/null | grep -c '"event":"collapse"')
after0=$("$KHT" report "$WORK/cap.kht" -j --until 0 2>/dev/null | grep -c '"time_s":[0-9]')
late=$("$KHT" report "$WORK/cap.kht" -j --since 99999 2>/dev/null | grep -c '"event":"collapse"')
[ "$all" -ge 2 ] && [ "$after0" -eq 0 ] && [ "$late" -eq 0 ]
ok $name $? "collapses: $all in all, $after0 after 0 s with --until 0, $late with --since 99999"

# options a command would ignore are refused (exit 2, one sentence)
expect report/bad/attach 2 "does not apply to report" "$KHT" report "$WORK/cap.kht" -a tp_btf
expect report/bad/duration 2 "does not apply to report" "$KHT" report "$WORK/cap.kht" -d 1
expect report/bad/no-inside 2 "does not apply to report" "$KHT" report "$WORK/cap.kht" --no-inside
expect report/bad/min-us 2 "does not apply to --timeline" \
	"$KHT" report "$WORK/cap.kht" --timeline -m 5
expect report/bad/two-files 2 "one recording at a time" \
	"$KHT" report "$WORK/cap.kht" "$WORK/cut.kht"
expect record/bad/json 2 "does not apply to record" "$KHT" record -j -o "$WORK/j.kht" -d 1
expect collapse/bad/spin-us 2 "does not apply to collapse" "$KHT" collapse --spin-us 5 -d 1
expect collapse/bad/duration 2 "invalid duration '-1'" "$KHT" collapse -d -1
expect collapse/bad/duration-nan 2 "invalid duration 'nan'" "$KHT" collapse -d nan

# -d inf and huge values mean "until Ctrl-C", not "stop at once"
for d in inf 99999999999999; do
	name=collapse/duration-$d
	if start_kht dinf collapse -d $d; then
		sleep 1.5
		kill -0 $TPID 2>/dev/null
		alive=$?
		stop_kht
		[ $alive -eq 0 ] && [ $TRC -eq 0 ]
		ok $name $? "collapse -d $d stopped by itself (rc $TRC)" "$WORK/dinf.err"
	else
		result $name 1
	fi
done

# for the host: a capture made in a qemu guest travels in the console log
if [ -n "${KHT_EXPORT_CAPTURE:-}" ] && command -v base64 >/dev/null 2>&1; then
	echo "record-collapses=$(grep -c '^collapse ' "$WORK/rec.wl")"
	echo "=== KHT-CAPTURE-BEGIN ==="
	base64 "$WORK/cap.kht"
	echo "=== KHT-CAPTURE-END ==="
fi
