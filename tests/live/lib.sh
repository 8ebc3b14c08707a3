#!/bin/sh
# Shared by the live test scripts (host and qemu guests; POSIX sh + busybox).
# Source it after setting WORK; it prepares WORK and removes it on exit.
KHT=${KHT:-khugetrace}
KW=${KW:-khugetrace-workload}
UNIT=${UNIT:-unit-tests}
# TCG guests are slow: generous, bounded waits
READY_TIMEOUT=${READY_TIMEOUT:-60}
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

result() { echo "$1:$2"; }
fail() { echo "  FAIL $1: $2"; [ -n "${3:-}" ] && sed 's/^/    | /' "$3" | cut -c1-300 | head -40; }
# expect NAME WANT_RC PATTERN CMD...: exits WANT_RC with one stderr line matching PATTERN
expect() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$WORK/x.out" 2>"$WORK/x.err"
	rc=$?
	if [ $rc -eq "$want" ] && [ "$(wc -l <"$WORK/x.err")" -eq 1 ] && grep -q -- "$pat" "$WORK/x.err"; then
		result "$name" 0
	else
		fail "$name" "rc=$rc (want $want), stderr:" "$WORK/x.err"
		result "$name" 1
	fi
}
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# start_kht NAME SUBCOMMAND ARGS...: khugetrace in the background, output in
# $WORK/NAME.out/.err, waits for its "Tracing" banner. TPID is its pid.
start_kht() {
	local name=$1 i=0
	shift
	# a reused NAME: the old banner must not pass for the new one's
	rm -f "$WORK/$name.out" "$WORK/$name.err"
	"$KHT" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	TPID=$!
	while ! grep -q "^Tracing" "$WORK/$name.err" 2>/dev/null; do
		if ! kill -0 $TPID 2>/dev/null || [ $i -ge $((READY_TIMEOUT * 10)) ]; then
			fail "$name" "khugetrace $1 did not start" "$WORK/$name.err"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# stop_kht: SIGINT, wait; TRC is its exit status
stop_kht() {
	kill -INT $TPID 2>/dev/null
	wait $TPID
	TRC=$?
}
