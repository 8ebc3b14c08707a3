#!/bin/sh
# Live tests: run workload scenarios under the tracer and compare what the
# tracer reported with what the workload did. POSIX sh + busybox tools only:
# the same script runs on the host and as /test.sh inside the qemu guests.
#
# Prints one "name:rc" line per test (0 pass, 1 fail, 77 skipped) and the
# details of failures. Usage: live-tests.sh [MODE...] (default: every usable
# collapse attach mode that `khugetrace probe --modes` reports).
WORK=${WORK:-/tmp/kht-live.$$}
. "$(dirname "$0")/lib.sh"

# The kernel's own result strings (SCAN_STATUS in the tracepoint's print fmt)
PRINTED=""
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	f=$d/events/huge_memory/mm_khugepaged_scan_file/format
	[ -r "$f" ] && { PRINTED=$f; break; }
done

start_tracer() { # start_tracer NAME ARGS...: `khugetrace collapse ARGS`
	local name=$1
	shift
	start_kht "$name" collapse "$@"
}
stop_tracer() { stop_kht; }

# The JSON line the tracer printed for (pid, ino, start): empty if none.
# The pid keeps other tmpfs instances' inode numbers out (every tmpfs starts at 2).
traced() { # traced OUT PID INO START
	grep '"event":"collapse"' "$1" | grep "\"pid\":$2," | grep "\"ino\":$3," |
		grep "\"start\":$4,"
}

# check_collapses NAME : every collapse the workload made is in the trace,
# with its inode, start index, nr, holes and a result matching the effect.
check_collapses() {
	local name=$1 out wl bad=0 n=0 line ino idx holes after huge ev wpid res
	out="$WORK/$name.out"
	wl="$WORK/$name.wl"
	grep '^collapse ' "$wl" >"$WORK/$name.cl"
	wpid=$(field pid "$(grep '^start ' "$wl")")
	while read -r line; do
		ino=$(field ino "$line")
		idx=$(field index "$line")
		holes=$(field holes "$line")
		after=$(grep "^after ino=$ino index=$idx " "$wl")
		huge=$(field collapsed "$after")
		n=$((n + 1))
		ev=$(traced "$out" "$wpid" "$ino" "$idx")
		if [ -z "$ev" ]; then
			fail "$name" "no collapse traced for ino=$ino start=$idx" "$out"
			bad=1
			continue
		fi
		echo "$ev" | grep -q '"nr":512' || { fail "$name" "nr != 512: $ev"; bad=1; }
		if ! echo "$ev" | grep -q '"holes":null'; then
			echo "$ev" | grep -q "\"holes\":$holes," ||
				{ fail "$name" "holes != $holes: $ev"; bad=1; }
		fi
		# spelled as the kernel's tracepoints print it (perf script), enum name beside it
		res=$(echo "$ev" | sed -n 's/.*"result":"\([a-z_0-9]*\)".*/\1/p')
		echo "$ev" | grep -q '"result_enum":"SCAN_[A-Z_]*"' ||
			{ fail "$name" "no result_enum: $ev"; bad=1; }
		if [ -r "$PRINTED" ] && [ -n "$res" ] && ! grep -q "\"$res\"" "$PRINTED"; then
			fail "$name" "result '$res' is not a name the kernel prints: $ev"
			bad=1
		fi
		if [ "$huge" = 1 ]; then
			echo "$ev" | grep -Eq '"result":"(succeeded|pte_mapped_hugepage)"' ||
				{ fail "$name" "page cache is huge but result says otherwise: $ev"; bad=1; }
		elif [ "$huge" = 0 ]; then
			echo "$ev" | grep -Eq '"result":"(succeeded|pte_mapped_hugepage)"' &&
				{ fail "$name" "no huge page but result says success: $ev"; bad=1; }
		fi
	done <"$WORK/$name.cl"
	if [ $n -eq 0 ]; then
		fail "$name" "the workload made no collapse" "$wl"
		return 1
	fi
	return $bad
}

# run_scenario NAME MODE SCENARIO [TRACER ARGS...]
run_scenario() {
	local name=$1 mode=$2 scen=$3 wrc
	shift 3
	start_tracer "$name" -j -a "$mode" "$@" || return 1
	"$KW" "$scen" >"$WORK/$name.wl" 2>"$WORK/$name.wlerr"
	wrc=$?
	sleep 0.5
	stop_tracer
	if [ $wrc -ne 0 ]; then
		fail "$name" "workload failed ($wrc)" "$WORK/$name.wlerr"
		return 1
	fi
	if [ $TRC -ne 0 ]; then
		fail "$name" "tracer exited $TRC after SIGINT" "$WORK/$name.err"
		return 1
	fi
	grep -q '"event":"summary"' "$WORK/$name.out" ||
		{ fail "$name" "no summary after SIGINT" "$WORK/$name.out"; return 1; }
	return 0
}

# hold_workload NAME SCENARIO [CGROUP_DIR]: the workload waits at a FIFO, so its
# pid (= its main thread's tid) is known before it runs; WPID. release_workload.
hold_workload() {
	rm -f "$WORK/$1.gate"
	mkfifo "$WORK/$1.gate" || return 1
	sh -c '[ -n "$2" ] && echo $$ >"$2/cgroup.procs"; read x <"$1"; shift 2; exec "$@"' \
		gate "$WORK/$1.gate" "${3:-}" "$KW" "$2" >"$WORK/$1.wl" 2>"$WORK/$1.wlerr" &
	WPID=$!
	GATE=$WORK/$1.gate
}
release_workload() { echo go >"$GATE"; wait $WPID; }

# The cgroup v2 mount, for the --cgroup checks (none in some guests: skipped)
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts 2>/dev/null)

# run_held NAME MODE SCENARIO CGROUP TRACER ARGS...: like run_scenario, workload held
run_held() {
	local name=$1 mode=$2 scen=$3 cg=$4 wrc
	shift 4
	hold_workload "$name" "$scen" "$cg" || return 1
	if ! start_tracer "$name" -j -a "$mode" "$@"; then
		release_workload
		return 1
	fi
	release_workload
	wrc=$?
	sleep 0.5
	stop_tracer
	[ $wrc -eq 0 ] || { fail "$name" "workload failed ($wrc)" "$WORK/$name.wlerr"; return 1; }
	[ $TRC -eq 0 ] || { fail "$name" "tracer exited $TRC" "$WORK/$name.err"; return 1; }
	return 0
}

# --tid/--comm/--cgroup of the workload: every collapse is seen (and the
# programs of this mode load with the filters set); other values: none is.
test_task_filters() {
	local mode=$1 name="live/$1/task-filters" cg="" cgarg="" other="" bad=0 i neg
	if [ -n "$CG2" ] && mkdir "$CG2/kht-live.$$" 2>/dev/null; then
		cg="$CG2/kht-live.$$"
		mkdir "$CG2/kht-live-other.$$" && other="$CG2/kht-live-other.$$"
	fi
	hold_workload "$name" collapse-full "$cg" || { result "$name" 1; return; }
	[ -n "$cg" ] && cgarg="--cgroup=$cg"
	if start_tracer "$name" -j -a "$mode" --tid "$WPID" --comm khugetrace-workload $cgarg; then
		release_workload || bad=1
		sleep 0.5
		stop_tracer
		[ $TRC -eq 0 ] && check_collapses "$name" || bad=1
	else
		release_workload
		bad=1
	fi
	if [ "$mode" = "$FIRST_MODE" ] && [ $bad -eq 0 ]; then
		i=0
		for neg in "--comm=nosuchcomm" "--tid=1" ${other:+"--cgroup=$other"}; do
			i=$((i + 1))
			run_held "$name.neg$i" "$mode" collapse-full "$cg" $neg || { bad=1; break; }
			if grep -q '"event":"collapse"' "$WORK/$name.neg$i.out"; then
				fail "$name" "$neg: filtered events leaked" "$WORK/$name.neg$i.out"
				bad=1
			fi
		done
	fi
	[ -n "$cg" ] && rmdir "$cg"
	[ -n "$other" ] && rmdir "$other"
	[ -z "$cg" ] && echo "  NOTE $name: no cgroup v2 mount, --cgroup not tested"
	result "$name" $bad
}

test_mode() {
	local mode=$1 scen name
	for scen in collapse-full collapse-holes; do
		name="live/$mode/$scen"
		if run_scenario "$name" "$mode" "$scen" && check_collapses "$name"; then
			result "$name" 0
		else
			result "$name" 1
		fi
	done

	# the JSON the tracer printed must all be valid JSON lines: one object each
	name="live/$mode/json-lines"
	if [ -s "$WORK/live/$mode/collapse-holes.out" ] &&
	   ! grep -v '^{.*}$' "$WORK/live/$mode/collapse-holes.out" | grep -q .; then
		result "$name" 0
	else
		fail "$name" "non-JSON line in -j output" "$WORK/live/$mode/collapse-holes.out"
		result "$name" 1
	fi

	# --inode of another file and -p of another process: nothing reported
	name="live/$mode/filters"
	if run_scenario "$name" "$mode" collapse-full --inode 999999999 &&
	   ! grep -q '"event":"collapse"' "$WORK/$name.out" &&
	   run_scenario "$name.p" "$mode" collapse-full -p 1 &&
	   ! grep -q '"event":"collapse"' "$WORK/$name.p.out"; then
		result "$name" 0
	else
		fail "$name" "filtered events leaked" "$WORK/$name.out"
		result "$name" 1
	fi
	test_task_filters "$mode"
}

mkdir -p "$WORK/live"
modes=${*:-$("$KHT" probe --modes)}
FIRST_MODE=${modes%% *}
for m in $modes; do
	mkdir -p "$WORK/live/$m"
	test_mode "$m"
done

# khugepaged-driven collapse: only modes that see khugepaged; skipped (77) when
# khugepaged did not collapse within the workload's wait on this kernel.
for m in $modes; do
	[ "$m" = syscalls ] && continue
	name="live/$m/khugepaged"
	if ! start_tracer "$name" -j -a "$m"; then
		result "$name" 1
		continue
	fi
	"$KW" khugepaged >"$WORK/$name.wl" 2>&1
	sleep 0.5
	stop_tracer
	line=$(grep '^khugepaged ' "$WORK/$name.wl" | head -1)
	ino=$(field ino "$line")
	if [ "$(field pmd_mapped "$line")" != 1 ]; then
		echo "  SKIP $name: khugepaged did not collapse within the wait"
		result "$name" 77
	elif grep '"initiator":"khugepaged"' "$WORK/$name.out" | grep "\"ino\":$ino," |
	     grep -Eq '"result":"(succeeded|pte_mapped_hugepage)"'; then
		result "$name" 0
	else
		fail "$name" "khugepaged collapse of ino=$ino not traced" "$WORK/$name.out"
		result "$name" 1
	fi
	break	# one mode is enough: khugepaged's timing makes this slow
done

# ---- bad input and signals: one sentence on stderr, the right exit status ----
expect live/bad/option 2 "unknown option '--bogus'" "$KHT" collapse --bogus
expect live/bad/command 2 "unknown command 'frobnicate'" "$KHT" frobnicate
expect live/bad/pid 1 "no process with PID" "$KHT" collapse -p 4194304
unusable=""
for m in fentry kprobe tp_btf raw_tp syscalls; do
	echo " $modes " | grep -q " $m " || { unusable=$m; break; }
done
if [ -n "$unusable" ]; then
	expect live/bad/forced-mode 1 "attach mode '$unusable' is not available" \
		"$KHT" collapse -a "$unusable"
fi
# util-linux setpriv drops root; busybox's setpriv cannot (no --reuid): skip there
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	expect live/bad/not-root 1 "must run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$KHT" collapse
else
	result live/bad/not-root 77
fi

# SIGTERM: detach, print the summary, exit 0
name=live/signal/sigterm
if start_tracer sigterm -j; then
	kill -TERM $TPID
	wait $TPID
	rc=$?
	if [ $rc -eq 0 ] && grep -q '"event":"summary"' "$WORK/sigterm.out"; then
		result $name 0
	else
		fail $name "rc=$rc" "$WORK/sigterm.out"
		result $name 1
	fi
else
	result $name 1
fi

# SIGINT while the programs load, to a background job of a non-interactive
# shell (which starts with SIGINT ignored): the tracer catches it before it
# loads anything, and tracing ends as soon as it begins, summarised, exit 0.
# It used to install its handler only after the load (a signal before it was
# lost here, or killed the tracer without a summary).
name=live/signal/while-loading
rm -f "$WORK/early.pid" "$WORK/early.rc"
sh -c '"$1" timeline -j -d 60 >"$2.out" 2>"$2.err" & echo $! >"$2.pid"; wait $!; echo $? >"$2.rc"' \
	sh "$KHT" "$WORK/early" &
SH=$!
i=0
while [ ! -s "$WORK/early.pid" ] && [ $i -lt 100 ]; do sleep 0.01; i=$((i + 1)); done
pid=$(cat "$WORK/early.pid")
# once it catches SIGINT (SigCgt bit 1): before the load now, after it before
i=0
while cgt=$(awk '/^SigCgt:/ { print $2 }' /proc/"$pid"/status 2>/dev/null) &&
      [ $(((0x${cgt:-0} >> 1) & 1)) = 0 ] && [ $i -lt 3000 ]; do
	sleep 0.01
	i=$((i + 1))
done
kill -INT "$pid" 2>/dev/null
grep -q '^Tracing' "$WORK/early.err" 2>/dev/null && when="after" || when="before"
i=0
while kill -0 $SH 2>/dev/null && [ $i -lt $(((${READY_TIMEOUT:-30} + 30) * 10)) ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $SH 2>/dev/null; then
	kill -TERM "$(cat "$WORK/early.pid")" 2>/dev/null
	wait $SH
	fail $name "still tracing $((i / 10)) s after a SIGINT sent $when it was ready" "$WORK/early.err"
	result $name 1
elif wait $SH && [ "$(cat "$WORK/early.rc")" = 0 ] && [ $when = before ] &&
     grep -q '^khugetrace timeline: [0-9]* events' "$WORK/early.err"; then
	echo "  $name: SIGINT sent $when tracing began; ended in $((i / 10)).$((i % 10)) s with its summary"
	result $name 0
else
	fail $name "exit $(cat "$WORK/early.rc") after a SIGINT sent $when tracing began (want: before, exit 0, a summary)" "$WORK/early.err"
	result $name 1
fi

# -v is readable (skipped modes, libbpf warnings); -vv has all of libbpf's log
name=live/verbose-levels
"$KHT" collapse -v -d 0.5 >/dev/null 2>"$WORK/v1.err"
"$KHT" collapse -vv -d 0.5 >/dev/null 2>"$WORK/v2.err"
n1=$(wc -l <"$WORK/v1.err")
n2=$(wc -l <"$WORK/v2.err")
if grep -q "^Tracing" "$WORK/v1.err" && [ "$n1" -lt 60 ] && [ "$n2" -gt $((n1 + 100)) ] &&
   grep -q "^libbpf: " "$WORK/v2.err"; then
	echo "  $name: -v $n1 lines, -vv $n2"
	result $name 0
else
	fail $name "-v printed $n1 lines, -vv $n2" "$WORK/v1.err"
	result $name 1
fi

# probe -j is one valid JSON document
name=live/probe/json
if "$KHT" probe -j >"$WORK/probe.json" && ${UNIT:-unit-tests} --validate-json "$WORK/probe.json" &&
   grep -q '"collapse_file"' "$WORK/probe.json" && grep -q '^{"event":"probe",' "$WORK/probe.json"; then
	result $name 0
else
	fail $name "invalid probe JSON" "$WORK/probe.json"
	result $name 1
fi
