#!/bin/sh
# Live tests of `khugetrace timeline`: every userfaultfd registration, every
# logged seek and every mincore the workload made must appear in the story of
# the right inode, with the mode, range and result the workload saw.
# POSIX sh + busybox (runs on the host and in the qemu guests).
# Usage: timeline-tests.sh [MODE...] (default: modes `probe --modes=userfaultfd` lists)
WORK=${WORK:-/tmp/kht-tl.$$}
. "$(dirname "$0")/lib.sh"

# The story (one JSON line) of inode INO created by the workload run.
story() { # story OUT DEV INO
	grep "^{\"event\":\"story\",\"group\":\"inode\",\"dev\":\"$2\",\"ino\":$3," "$1"
}

dev_of() { # dev of inode INO from the workload's file lines
	field dev "$(grep "^file .* ino=$2 " "$1" | tail -1)"
}

errno_ret() { # workload "ret=-1 errno=EEXIST" -> kernel return "-17"
	case $2 in
	0) echo "$1" ;;
	EINVAL) echo -22 ;; EBUSY) echo -16 ;; EEXIST) echo -17 ;; EAGAIN) echo -11 ;;
	ENOENT) echo -2 ;; EPERM) echo -1 ;; ENOMEM) echo -12 ;; EFAULT) echo -14 ;;
	*) echo "?" ;;
	esac
}

# The checks take LABEL WORKLOAD-OUTPUT TIMELINE-OUTPUT.
check_uffd() { # every uffd-* line of the workload is in the right story
	local name=$1 wl=$2 out=$3 bad=0 n=0 line op ino idx mode dev ret st pat
	grep -E '^uffd-(register|unregister|continue) ' "$wl" >"$WORK/$name.uf"
	while read -r line; do
		op=${line%% *}
		op=${op#uffd-}
		ino=$(field ino "$line")
		idx=$(field index "$line")
		mode=$(field mode "$line")
		ret=$(errno_ret "$(field ret "$line")" "$(field errno "$line")")
		dev=$(dev_of "$wl" "$ino")
		n=$((n + 1))
		st=$(story "$out" "$dev" "$ino")
		pat="\"op\":\"$op\""
		# "MISSING+WP": the + is literal in the JSON, a quantifier to grep -E
		[ "$op" = register ] && pat="$pat,\"uffd_mode\":\"$(echo "$mode" | sed 's/+/\\+/g')\""
		pat="$pat[^}]*\"ino\":$ino,[^}]*\"index\":$idx,\"ret\":$ret[,}]"
		if ! echo "$st" | grep -Eq "$pat"; then
			fail "$name" "not in the story of $dev #$ino: $line" "$out"
			bad=1
		fi
	done <"$WORK/$name.uf"
	[ $n -gt 0 ] || { fail "$name" "workload made no uffd ioctl" "$wl"; return 1; }
	echo "  $name: $n uffd operations matched"
	return $bad
}

check_seeks() { # every logged seek-op is in its inode's story with the offset it got
	local name=$1 wl=$2 out=$3 bad=0 n=0 line ino dev wh off got st ret
	grep '^seek-op ' "$wl" >"$WORK/$name.sk"
	while read -r line; do
		ino=$(field ino "$line")
		wh=$(field whence "$line")
		off=$(field offset "$line")
		got=$(field got "$line")
		ret=$(errno_ret "$got" "$(field errno "$line")")
		[ "$got" = -1 ] && ret=-6	# ENXIO: no data/hole past the offset
		dev=$(dev_of "$wl" "$ino")
		st=$(story "$out" "$dev" "$ino")
		n=$((n + 1))
		if ! echo "$st" | grep -q "\"whence\":\"$wh\",\"offset\":$off,\"ret\":$ret,"; then
			fail "$name" "seek not in the story of $dev #$ino: $line"
			bad=1
			[ $bad -eq 1 ] && [ $n -gt 20 ] && break
		fi
	done <"$WORK/$name.sk"
	[ $n -gt 0 ] || { fail "$name" "workload logged no seek" "$wl"; return 1; }
	echo "  $name: $n seeks matched"
	return $bad
}

check_mincore() {
	local name=$1 wl=$2 out=$3 bad=0 n=0 line ino idx res dev st
	grep '^mincore ' "$wl" >"$WORK/$name.mc"
	while read -r line; do
		ino=$(field ino "$line")
		idx=$(field index "$line")
		res=$(field resident "$line")
		dev=$(dev_of "$wl" "$ino")
		st=$(story "$out" "$dev" "$ino")
		n=$((n + 1))
		if ! echo "$st" | grep -Eq "\"event\":\"mincore\"[^}]*\"resident\":$res,[^}]*\"ino\":$ino,[^}]*\"index\":$idx,"; then
			fail "$name" "mincore not in the story of $dev #$ino: $line"
			bad=1
		fi
	done <"$WORK/$name.mc"
	[ $n -gt 0 ] || { fail "$name" "workload made no mincore" "$wl"; return 1; }
	echo "  $name: $n mincore calls matched"
	return $bad
}

# anonymous memory: the registration in the process's story, and (fentry)
# every fault the workload took, at its page address
check_anon() { # check_anon LABEL WL OUT MODE
	local name=$1 wl=$2 out=$3 mode=$4 pid st n=0 line addr
	grep -q '^skip ' "$wl" && return 0
	pid=$(field pid "$(grep '^start ' "$wl")")
	st=$(grep "^{\"event\":\"story\",\"group\":\"process\",\"pid\":$pid," "$out")
	echo "$st" | grep -q '"op":"register","uffd_mode":"MISSING"[^}]*"memory":"anon","ret":0' ||
		{ fail "$name" "anonymous registration of pid $pid not in its story" "$out"; return 1; }
	[ "$mode" = fentry ] || return 0	# faults need fentry on handle_userfault
	grep '^uffd-fault ' "$wl" >"$WORK/$name.fl"
	while read -r line; do
		addr=$(($(field addr "$line")))
		n=$((n + 1))
		echo "$st" | grep -q "\"op\":\"fault\",\"uffd_mode\":\"MISSING\",[^}]*\"addr\":$addr," ||
			{ fail "$name" "fault at $addr not in the story of pid $pid" "$out"; return 1; }
	done <"$WORK/$name.fl"
	echo "  $name: registration and $n faults in the story of pid $pid"
	[ $n -eq 4 ]
}

check_perfetto() {
	"$UNIT" --check-perfetto "$WORK/$1.perfetto" >/dev/null
}

modes=${*:-$("$KHT" probe --modes=userfaultfd)}
for m in $modes; do
	# one tracer per mode for all four workloads: tracer start-up is what a
	# TCG guest pays most for
	name="timeline-$m"
	w="$WORK/$name"
	# --all-seeks: every call the workload logged must be there, near a collapse or not
	if start_kht "$name" timeline -j -a "$m" --all-seeks --perfetto "$w.perfetto"; then
		"$KW" uffd-modes >"$w-uffd.wl" 2>&1
		"$KW" uffd-continue >"$w-cont.wl" 2>&1
		"$KW" timeline >"$w-seek.wl" 2>&1	# 200 logged seeks across a collapse
		"$KW" mincore-loop >"$w-mc.wl" 2>&1
		"$KW" uffd-fault >"$w-fault.wl" 2>&1
		sleep 0.5
		stop_kht
		[ $TRC -eq 0 ] || fail "$name" "timeline exited $TRC" "$w.err"
	else
		TRC=1
	fi
	if [ $TRC -eq 0 ] && check_uffd "$name-uffd" "$w-uffd.wl" "$w.out" &&
	   { grep -q '^skip ' "$w-cont.wl" || check_uffd "$name-cont" "$w-cont.wl" "$w.out"; }; then
		result "timeline/$m/uffd" 0
	else
		result "timeline/$m/uffd" 1
	fi
	if [ $TRC -eq 0 ] && check_seeks "$name-seek" "$w-seek.wl" "$w.out"; then
		result "timeline/$m/seek" 0
	else
		result "timeline/$m/seek" 1
	fi
	if [ $TRC -eq 0 ] && check_mincore "$name-mincore" "$w-mc.wl" "$w.out"; then
		result "timeline/$m/mincore" 0
	else
		result "timeline/$m/mincore" 1
	fi
	if [ $TRC -eq 0 ] && check_anon "$name-anon" "$w-fault.wl" "$w.out" "$m"; then
		result "timeline/$m/anon-faults" 0
	else
		result "timeline/$m/anon-faults" 1
	fi
	# every -j object says what it is; the summary object comes last
	if [ $TRC -eq 0 ] && ! grep -v '^{"event":"story",' "$w.out" | grep -vq '^{"event":"timeline-summary","stories":[1-9][0-9]*,"events":[1-9][0-9]*,"drops":[0-9]*}$' &&
	   tail -1 "$w.out" | grep -q '^{"event":"timeline-summary",'; then
		result "timeline/$m/json-summary" 0
	else
		fail "timeline/$m/json-summary" "an object without \"event\", or no summary last" "$w.out"
		result "timeline/$m/json-summary" 1
	fi
	if [ $TRC -eq 0 ] && check_perfetto "$name"; then
		result "timeline/$m/perfetto" 0
	else
		fail "timeline/$m/perfetto" "not a Perfetto trace the walker accepts" "$w.err"
		result "timeline/$m/perfetto" 1
	fi
done

# bad input: one sentence, non-zero exit, nothing half-written
rm -f "$WORK/none.json"
"$KHT" timeline --perfetto /nonexistent-dir/x.json -d 1 >/dev/null 2>"$WORK/bad.err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/bad.err")" -eq 1 ] && grep -q "cannot write the Perfetto file" "$WORK/bad.err"; then
	result timeline/bad/perfetto-path 0
else
	fail timeline/bad/perfetto-path "rc=$rc" "$WORK/bad.err"
	result timeline/bad/perfetto-path 1
fi
"$KHT" timeline -p 4194304 >/dev/null 2>"$WORK/bad.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "no process with PID" "$WORK/bad.err"; then
	result timeline/bad/pid 0
else
	fail timeline/bad/pid "rc=$rc" "$WORK/bad.err"
	result timeline/bad/pid 1
fi
"$KHT" timeline --inode 987654321 -d 1 --perfetto "$WORK/none.json" >/dev/null 2>"$WORK/bad.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "no events for inode 987654321" "$WORK/bad.err" && [ ! -e "$WORK/none.json" ] &&
   ! ls "$WORK"/none.json.* >/dev/null 2>&1; then
	result timeline/bad/inode 0
else
	fail timeline/bad/inode "rc=$rc (or a Perfetto file was left behind)" "$WORK/bad.err"
	result timeline/bad/inode 1
fi
