#!/bin/sh
# What the default (production) profile records of seeks and mincore calls:
# in the modes that see a collapse begin and return (fentry, kprobe), only
# calls that overlapped a collapse of their inode; the others are counted
# and the tracer says how many. --all-seeks records all of them; end-only
# collapse modes (tp_btf, raw_tp, syscalls) trace none and say why.
#
# The workload (`khugetrace-workload timeline`) mincores its chunk once
# before its collapse and once after it, and seeks across the collapse. In
# the default profile of fentry/kprobe both mincore calls and every seek
# that began after the collapse (MADV_COLLAPSE) returned are left out;
# with --all-seeks all of them are in the story. An end-only mode (the
# collapse feature sees no collapse begin) traces none: no rule could judge
# them there, and the seek feature is not even loaded.
# (When MADV_COLLAPSE gives up in its scan, before collapse_file, because
# a racing seek held a page, EAGAIN, there is nothing to trace: the workload
# runs once more, and the test is skipped if that happens twice.)
# And a seek that began on one CPU and ended on another (seek-migrate) is
# recorded in every mode (fentry keeps pending seeks in per-CPU slots).
# Writes likewise: where the collapse mode sees only ends and the modify
# feature sees no hole fills, the default traces none (no rule could judge
# one) and --all-writes traces them.
# POSIX sh + busybox: runs on the host and in the guests.
WORK=${WORK:-/tmp/kht-profile.$$}
. "$(dirname "$0")/lib.sh"

story() { # story OUT DEV INO
	grep "^{\"event\":\"story\",\"group\":\"inode\",\"dev\":\"$2\",\"ino\":$3," "$1"
}

# run NAME MODE [OPTS...]: the workload under `timeline -j -a MODE OPTS`
run() {
	local name=$1 m=$2
	shift 2
	"$KHT" timeline -j -a "$m" "$@" -- "$KW" timeline >"$WORK/$name.out" 2>"$WORK/$name.err"
}

# check NAME WANT_MINCORE: the inode's story holds WANT_MINCORE mincore
# calls (of the workload's 2) and, when that is 2, every seek the workload
# began after its collapse ended; when it is 0, none of those seeks
check() {
	local name=$1 want=$2 wl ino dev st n after=0 miss=0 line t end late
	wl="$WORK/$name.out"
	ino=$(field ino "$(grep '^mincore ' "$wl" | head -1)")
	line=$(grep "^collapse ino=$ino " "$wl" | head -1)
	dev=$(field dev "$(grep "^file .* ino=$ino " "$wl" | tail -1)")
	end=$(($(field t_ns "$line") + $(field dur_ns "$line")))
	st=$(story "$wl" "$dev" "$ino")
	# MADV_COLLAPSE gave up in its scan, before collapse_file, when a racing
	# seek held a page (EAGAIN): nothing to trace, so no story in the default
	# profile; the caller runs the workload once more
	if [ -n "$ino" ] && [ -z "$st" ] && [ "$want" -eq 0 ] &&
	   [ "$(field errno "$line")" = EAGAIN ]; then
		echo "  $name: the collapse of ino $ino gave up before collapse_file (EAGAIN)"
		return 77
	fi
	[ -n "$ino" ] && [ -n "$st" ] || { fail "$name" "no collapse line or no story" "$wl"; return 1; }
	n=$(echo "$st" | grep -o '"event":"mincore"' | wc -l)
	grep '^seek-op ' "$wl" | grep " ino=$ino " >"$WORK/$name.sk"
	while read -r line; do
		t=$(field t_ns "$line")
		[ "$t" -gt "$end" ] || continue
		after=$((after + 1))
		echo "$st" | grep -q "\"whence\":\"$(field whence "$line")\",\"offset\":$(field offset "$line")," ||
			miss=$((miss + 1))
	done <"$WORK/$name.sk"
	echo "  $name: $n of 2 mincore calls in the story (want $want), $((after - miss)) of $after seeks begun after the collapse"
	[ "$n" -eq "$want" ] || return 1
	[ "$want" -eq 2 ] && { [ $miss -eq 0 ]; return; }
	# only overlapping seeks: each began before the collapse returned (the
	# same clock: CLOCK_MONOTONIC is what bpf_ktime_get_ns reads)
	late=$(echo "$st" | grep -o '"event":"seek",[^}]*"start_ns":[0-9]*' |
		sed 's/.*"start_ns"://' | awk -v end="$end" '$1 > end' | wc -l)
	echo "  $name: $late seeks in the story began after the collapse returned (want 0)"
	[ "$late" -eq 0 ]
}

# migrated NAME MODE: a seek that began on one CPU and ended on another (the
# workload's seek-migrate) is in its inode's story: fentry keeps a seek's
# entry in a per-CPU slot, and the exit must find it on the CPU it began on
migrated() {
	local name=$1 m=$2 line ino dev tid st
	"$KHT" timeline -j -a "$m" --all-seeks -- "$KW" seek-migrate >"$WORK/$name.out" 2>"$WORK/$name.err" ||
		{ fail "$name" "timeline failed:" "$WORK/$name.err"; return 1; }
	line=$(grep '^seek-migrate ' "$WORK/$name.out")
	if grep -q '^skip scenario=seek-migrate' "$WORK/$name.out" ||
	   [ "$(field cpu_before "$line")" = "$(field cpu_after "$line")" ]; then
		echo "  SKIP $name: the seek did not move to another CPU (${line:-one CPU})"
		return 77
	fi
	ino=$(field ino "$line")
	tid=$(field tid "$line")
	dev=$(field dev "$(grep "^file .* ino=$ino " "$WORK/$name.out" | tail -1)")
	st=$(story "$WORK/$name.out" "$dev" "$ino")
	echo "  $name: seek of tid $tid from CPU $(field cpu_before "$line") to $(field cpu_after "$line")"
	echo "$st" | grep -q "\"event\":\"seek\",[^}]*\"tid\":$tid,\"whence\":\"SEEK_DATA\",\"offset\":$(field offset "$line")," ||
		{ fail "$name" "the migrated seek is not in the story of ino $ino:" "$WORK/$name.out"; return 1; }
}

# writes NAME MODE: in an end-only collapse mode beside a modify mode that
# sees no hole fills (syscall tracepoints), no rule could judge a write:
# the default traces none and says so, --all-writes traces the writes of
# inodes a collapse touched. The VM-host load pwrites into the guest file
# it collapses (its refault lines say when).
writes() {
	local name=$1 m=$2 pw n
	"$KHT" timeline -j -a "$m" -- "$KW" vmhost -s 2 >"$WORK/$name.out" 2>"$WORK/$name.err" &&
		"$KHT" timeline -j -a "$m" --all-writes -- "$KW" vmhost -s 2 >"$WORK/$name-all.out" \
			2>"$WORK/$name-all.err" ||
		{ fail "$name" "timeline failed:" "$WORK/$name.err"; return 1; }
	# the pwrites that began after a collapse returned: an end-only mode
	# watches an inode from its first collapse's end on
	pw=$(awk '/^collapse / && !end { for (i = 1; i <= NF; i++) { split($i, kv, "=")
			if (kv[1] == "t_ns") t = kv[2] + 0; if (kv[1] == "dur_ns") d = kv[2] + 0 }; end = t + d }
		/^refault .* how=pwrite / && end { for (i = 1; i <= NF; i++) { split($i, kv, "=")
			if (kv[1] == "t_ns" && kv[2] + 0 > end) n++ } }
		END { print n + 0 }' "$WORK/$name-all.out")
	n=$(grep -o '"event":"modify",[^}]*"op":"write"' "$WORK/$name.out" | wc -l)
	echo "  $name: default: $n write events (want 0)"
	[ "$n" -eq 0 ] && grep -q 'modify via .*writes are not traced: the collapse mode does not see a collapse begin' "$WORK/$name.err" ||
		{ fail "$name" "default: writes traced or not said:" "$WORK/$name.err"; return 1; }
	n=$(grep -o '"event":"modify",[^}]*"op":"write"' "$WORK/$name-all.out" | wc -l)
	echo "  $name: --all-writes: $n write events of the workload's $pw pwrites after its first collapse"
	if [ "$pw" -eq 0 ]; then
		echo "  SKIP $name: the workload made no pwrite after its first collapse"
		return 77
	fi
	[ "$n" -ge 1 ] && ! grep -q 'writes are not traced' "$WORK/$name-all.err" ||
		{ fail "$name" "--all-writes: no write event:" "$WORK/$name-all.err"; return 1; }
}

for m in $("$KHT" probe --modes); do
	case $m in
	fentry | kprobe) entry=1 ;;
	*) entry=0 ;;
	esac
	name=profile-$m
	if run "$name" "$m"; then
		if [ $entry = 1 ]; then
			{ check "$name" 0 || { [ $? -eq 77 ] && run "$name" "$m" && check "$name" 0; }; } &&
				grep -q 'only those that overlapped a collapse of their inode are recorded' "$WORK/$name.err" &&
				grep -q 'SEEK_DATA/SEEK_HOLE and [1-9][0-9]* mincore calls that overlapped no collapse of their inode were counted, not recorded' "$WORK/$name.err" &&
				grep -q 'writes and hole fills are recorded only during a collapse of their inode' "$WORK/$name.err"
		else
			# end-only: no rule could judge a seek, so none is traced at all
			# (the feature is not loaded: no hook, no cost)
			grep -q '^seek-op ' "$WORK/$name.out" && grep -q '^mincore ' "$WORK/$name.out" &&
				! grep -q '"event":"\(seek\|mincore\)"' "$WORK/$name.out" &&
				grep -q 'seek/mincore not traced: the collapse mode does not see a collapse begin' "$WORK/$name.err" &&
				! grep -q 'seek/mincore via' "$WORK/$name.err" &&
				echo "  $name: $(grep -c '^seek-op ' "$WORK/$name.out") seeks and the mincore calls made, none traced"
		fi
		r=$?
	else
		r=1
	fi
	[ $r -eq 0 ] || [ $r -eq 77 ] || fail "$name" "default profile:" "$WORK/$name.err"
	result "profile/$m/default" $r

	name=profile-$m-all
	run "$name" "$m" --all-seeks && check "$name" 2 &&
		! grep -q 'counted, not recorded' "$WORK/$name.err"
	r=$?
	[ $r -eq 0 ] || fail "$name" "--all-seeks:" "$WORK/$name.err"
	result "profile/$m/all-seeks" $r

	migrated "profile-$m-migrated" "$m"
	result "profile/$m/seek-migrated" $?

	# writes: where the collapse mode sees no begin (forcing an end-only
	# mode forces the modify feature onto syscall tracepoints: no fills).
	# The first such mode only: the others decide the same way (the modify
	# feature asks only whether the collapse mode sees a begin), and each
	# run costs two tracer loads and two VM-host loads in the TCG guests
	if [ $entry = 0 ] && [ -z "${wrote:-}" ]; then
		wrote=1
		writes "profile-$m-writes" "$m"
		result "profile/$m/writes" $?
	fi
done
