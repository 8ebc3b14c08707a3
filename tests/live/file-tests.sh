#!/bin/sh
# Regular-file collapse (7.x: collapse_file's non-shmem path on ext4 and xfs) under
# every collapse attach mode: khugetrace-workload file-collapse on the
# filesystem at $KHT_FILE_DIR (an ext4 or xfs mount; the qemu guests make them from
# a loop device, tests/vm/guest-test.sh), watched live by `collapse -j` and
# recorded by `record -- workload`, whose capture gives the collapses, the
# timeline and the races.
# POSIX sh + busybox. Prints name:rc lines; 77 where the kernel or the
# machine cannot show it (no such filesystem; MADV_COLLAPSE of a regular file
# refused: kernels before 7.x without CONFIG_READ_ONLY_THP_FOR_FS).
# Usage: file-tests.sh [MODE...] (default: `khugetrace probe --modes`)
# KHT_FILE_TAG names the results (default file; the guests run it again on
# xfs as file-xfs).
WORK=${WORK:-/tmp/kht-file.$$}
. "$(dirname "$0")/lib.sh"
TAG=${KHT_FILE_TAG:-file}

DIR=${KHT_FILE_DIR:-}
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then
	echo "  $TAG: no regular filesystem to collapse on (KHT_FILE_DIR unset or missing)"
	result $TAG/supported 77
	exit 0
fi
# One untraced run first: does this kernel collapse regular files at all?
"$KW" -d "$DIR" -n 2 --log-seeks 0 file-collapse >"$WORK/pre.wl" 2>"$WORK/pre.err"
if [ $? -ne 0 ]; then
	fail $TAG/supported "the workload failed" "$WORK/pre.err"
	result $TAG/supported 1
	exit 0
fi
if ! grep '^collapse ' "$WORK/pre.wl" | grep -vq 'errno=EINVAL'; then
	echo "  $TAG: MADV_COLLAPSE of a regular file is refused (EINVAL) on $(uname -r): no file collapse here"
	result $TAG/supported 77
	exit 0
fi
grep '^fs ' "$WORK/pre.wl" | sed "s/^/  $TAG: /"
result $TAG/supported 0

MODES=${*:-$("$KHT" probe --modes)}

strip_time() {
	sed -e 's/"ts_ns":[0-9]*,"time_s":[-0-9.]*,//' -e 's/"duration_ns":[0-9a-z]*,//'
}

# The trace's collapse lines of the workload run for one chunk.
chunk_events() { # OUT PID INO START
	grep '"event":"collapse"' "$1" | grep "\"pid\":$2," | grep "\"ino\":$3," |
		grep "\"start\":$4,"
}

# check_collapses NAME MODE OUT WL: every chunk's MADV_COLLAPSE is traced on
# the file's inode (dev and ino of the workload's file line) with the result
# its effect implies; the dirty chunk twice (write-back retry) where the mode
# sees collapse_file itself.
check_collapses() {
	local name=$1 mode=$2 out=$3 wl=$4 bad=0 n=0 line ino idx huge ev cnt pid dev dirty first last
	pid=$(field pid "$(grep '^start ' "$wl")")
	dev=$(field dev "$(grep '^file ' "$wl")")
	dirty=$(field index "$(grep '^dirty ' "$wl")")
	grep '^collapse ' "$wl" >"$WORK/$(echo "$name" | tr / _).cl"
	while read -r line; do
		ino=$(field ino "$line")
		idx=$(field index "$line")
		huge=$(field collapsed "$(grep "^after ino=$ino index=$idx " "$wl")")
		n=$((n + 1))
		ev=$(chunk_events "$out" "$pid" "$ino" "$idx")
		cnt=$(echo "$ev" | grep -c '"event"')
		echo "  $name: chunk $idx ($(field errno "$line"), collapsed=$huge): $cnt line(s): $(echo "$ev" | sed -n 's/.*"result_enum":"\([A-Z_]*\)".*/\1/p' | tr '\n' ' ')"
		if [ "$cnt" -eq 0 ]; then
			fail "$name" "no collapse traced for ino=$ino start=$idx" "$out"
			bad=1
			continue
		fi
		echo "$ev" | grep -vq "\"dev\":\"$dev\"" &&
			{ fail "$name" "not on the filesystem's device $dev: $ev"; bad=1; }
		last=$(echo "$ev" | tail -1)
		if [ "$huge" = 1 ]; then
			echo "$last" | grep -Eq '"result":"(succeeded|pte_mapped_hugepage)"' ||
				{ fail "$name" "page cache is huge but the result says otherwise: $last"; bad=1; }
		elif [ "$huge" = 0 ]; then
			echo "$last" | grep -Eq '"result":"(succeeded|pte_mapped_hugepage)"' &&
				{ fail "$name" "no huge page but the result says success: $last"; bad=1; }
		fi
		if [ "$idx" = "$dirty" ]; then
			# the write-back retry reaches collapse_file again when it
			# succeeds; when MADV_COLLAPSE still fails (EAGAIN) the retry's
			# scan may have stopped before collapse_file (the page still
			# under write-back), and modes that trace collapse_file (all
			# but syscalls) then see one call (7.2 guest, xfs, tp_btf)
			first=$(echo "$ev" | head -1)
			want=2
			[ "$huge" = 1 ] || [ "$mode" = syscalls ] || [ "$cnt" -ne 1 ] || want=1
			if [ "$cnt" -ne "$want" ] || ! echo "$first" | grep -q '"result_enum":"SCAN_PAGE_DIRTY_OR_WRITEBACK"'; then
				fail "$name" "dirty chunk $idx (collapsed=$huge): want $want collapse_file calls, the first SCAN_PAGE_DIRTY_OR_WRITEBACK; got $cnt" "$out"
				bad=1
			fi
		elif [ "$cnt" -ne 1 ]; then
			fail "$name" "chunk $idx: $cnt collapse lines for one madvise" "$out"
			bad=1
		fi
	done <"$WORK/$(echo "$name" | tr / _).cl"
	[ $n -gt 0 ] || { fail "$name" "the workload made no collapse" "$wl"; return 1; }
	return $bad
}

# every logged seek-op in the file's story (one awk: a loop of greps
# costs tens of seconds in a TCG guest)
check_seeks() { # NAME WL TIMELINE
	local name=$1 wl=$2 out=$3 tag dev ino res n miss
	tag=$WORK/$(echo "$name" | tr / _)
	dev=$(field dev "$(grep '^file ' "$wl")")
	ino=$(field ino "$(grep '^file ' "$wl")")
	grep "^{\"event\":\"story\",\"group\":\"inode\",\"dev\":\"$dev\",\"ino\":$ino," "$out" >"$tag.story"
	grep '^seek-op ' "$wl" | awk -v story="$tag.story" '
		BEGIN { while ((getline l < story) > 0) s = s l }
		{
			wh = off = got = ""
			for (i = 2; i <= NF; i++) {
				k = substr($i, 1, index($i, "=") - 1); v = substr($i, index($i, "=") + 1)
				if (k == "whence") wh = v; else if (k == "offset") off = v; else if (k == "got") got = v
			}
			if (got == "-1") got = "-6"	# ENXIO
			n++
			if (!index(s, "\"whence\":\"" wh "\",\"offset\":" off ",\"ret\":" got ",")) {
				miss++
				if (miss <= 3) print "    missing: " $0
			}
		}
		END { print n + 0, miss + 0 }' >"$tag.chk"
	res=$(tail -1 "$tag.chk")
	n=${res% *}
	miss=${res#* }
	[ "$n" -gt 0 ] || { fail "$name" "the workload logged no seek" "$wl"; return 1; }
	if [ "$miss" -ne 0 ]; then
		fail "$name" "$miss of $n seeks not in the story of $dev #$ino" "$tag.chk"
		return 1
	fi
	echo "  $name: $n seeks on $dev #$ino in its story"
	return 0
}

# Per mode one `record -- workload` (its capture: collapses, timeline,
# races); in the first mode also `collapse -j` and `timeline -j` live beside
# it. Each tracer start costs seconds in a TCG guest: this keeps the 7.2
# guest's share to about two minutes.
first=1
for m in $MODES; do
	name=$TAG/$m/collapse
	wl=$WORK/$m.wl
	t0=$(date +%s)
	LIVE="" TL=""
	if [ $first = 1 ]; then
		start_kht "$m" collapse -j -a "$m" && LIVE=$TPID
		start_kht tl timeline -j --all-seeks && TL=$TPID
	fi
	"$KHT" record -q -a "$m" --all-seeks -o "$WORK/$m.kht" -- "$KW" -d "$DIR" file-collapse >"$wl" 2>"$WORK/$m.rec.err"
	rrc=$?
	t1=$(date +%s)
	"$KHT" report -j "$WORK/$m.kht" >"$WORK/$m.rep" 2>"$WORK/$m.rep.err"
	grep -o 'collapse via [a-z_]*' "$WORK/$m.rec.err" | head -1 | sed "s|^|  $name: record: |"
	if [ $rrc -eq 0 ] && check_collapses "$name" "$m" "$WORK/$m.rep" "$wl"; then
		result $name 0
	else
		[ $rrc -eq 0 ] || fail $name "record rc=$rrc" "$WORK/$m.rec.err"
		result $name 1
	fi
	grep -E '^(dirty|dirty-after|seek|summary) ' "$wl" | sed "s|^|  $name: wl: |"

	if [ $first = 1 ]; then
		sleep 0.5
		pid=$(field pid "$(grep '^start ' "$wl")")
		name=$TAG/$m/collapse-live
		if [ -n "$LIVE" ]; then
			TPID=$LIVE
			stop_kht
			grep '"event":"collapse"' "$WORK/$m.out" | grep "\"pid\":$pid," | strip_time >"$WORK/$m.live.c"
			grep '"event":"collapse"' "$WORK/$m.rep" | grep "\"pid\":$pid," | strip_time >"$WORK/$m.rep.c"
			if check_collapses "$name" "$m" "$WORK/$m.out" "$wl" >/dev/null &&
			   [ "$(wc -l <"$WORK/$m.rep.c")" -eq "$(wc -l <"$WORK/$m.live.c")" ]; then
				echo "  $name: $(wc -l <"$WORK/$m.live.c") collapse lines live, as many recorded"
				result $name 0
			else
				fail $name "live collapse -j differs from the recording" "$WORK/$m.out"
				result $name 1
			fi
		else
			result $name 1
		fi
		name=$TAG/timeline-live
		if [ -n "$TL" ]; then
			TPID=$TL
			stop_kht
			grep 'seek/mincore via' "$WORK/tl.err" | head -1 | sed "s|^|  $name: |"
			if check_seeks "$name" "$wl" "$WORK/tl.out"; then
				result $name 0
			else
				result $name 1
			fi
		else
			result $name 1
		fi
		first=0
	fi

	name=$TAG/$m/seeks
	"$KHT" report -j --timeline "$WORK/$m.kht" >"$WORK/$m.tl" 2>"$WORK/$m.tl.err"
	grep -o 'seek/mincore via [a-z_]*[^;]*' "$WORK/$m.rec.err" | head -1 | sed "s|^|  $name: |"
	if check_seeks "$name" "$wl" "$WORK/$m.tl"; then
		result $name 0
	else
		result $name 1
	fi

	# the dirty chunk's two collapse_file calls: the second is shown as the
	# second attempt of one MADV_COLLAPSE, once per write-back retry
	# (a retry that stopped in its scan made no second line: nothing to show)
	name=$TAG/$m/retry-attempt
	calls=$(grep -c '^collapse ' "$wl")
	lines=$(grep -o '"event":"collapse"' "$WORK/$m.tl" | wc -l)
	want=$((lines - calls))
	got=$(grep -o '"attempt":2' "$WORK/$m.tl" | wc -l)
	echo "  $name: $calls MADV_COLLAPSE calls, $lines collapse lines: $want write-back retries, $got shown as attempt 2"
	if [ "$got" -eq "$want" ] && { [ "$want" -gt 0 ] || [ "$(field collapsed "$(grep "^after .* index=$(field index "$(grep '^dirty ' "$wl")") " "$wl")")" = 0 ]; }; then
		result $name 0
	else
		fail $name "want $want retries shown as \"attempt\":2, got $got" "$WORK/$m.tl"
		result $name 1
	fi

	name=$TAG/$m/races
	"$KHT" report -j --races "$WORK/$m.kht" >"$WORK/$m.races" 2>"$WORK/$m.races.err"
	sum=$(grep '"event":"races-summary"' "$WORK/$m.races")
	echo "  $name: $(echo "$sum" | cut -c1-130)"
	if [ -z "$sum" ] || ! echo "$sum" | grep -q '"bugs":0,'; then
		fail $name "races reported a BUG (or nothing) for regular-file collapses" "$WORK/$m.races"
		result $name 1
	elif { [ "$m" = fentry ] || [ "$m" = kprobe ]; } && echo "$sum" | grep -q '"not_shmem":0[,}]'; then
		fail $name "the seek rule did not say it cannot judge the regular file" "$WORK/$m.races"
		result $name 1
	else
		result $name 0
	fi
	echo "  $TAG/$m: $(($(date +%s) - t0)) s ($((t1 - t0)) s tracers and workload)"
done
