#!/bin/sh
# Lock windows from call-site kprobes in collapse_file against the gated
# fentry probes on the spinlock functions: the same deterministic workload
# (khugetrace-workload mixed) under each, and every collapse must show the
# same windows, publication and uptodate state. Structure, not timings.
# POSIX sh + busybox: runs on the host (skips without fentry) and in the guests.
WORK=${WORK:-/tmp/kht-lockwin.$$}
. "$(dirname "$0")/lib.sh"

if ! "$KHT" probe --modes | grep -q fentry; then
	result lockwin/callsite 77
	exit 0
fi

"$KHT" probe --lock-sites >"$WORK/sites.out" 2>&1
src=$?
sed 's/^/  lock-sites| /' "$WORK/sites.out"
"$KHT" collapse -a fentry -d 0.1 >/dev/null 2>"$WORK/auto.err"
if [ $src -ne 0 ]; then
	# no usable call sites (inlined spinlocks, no kcore...): auto falls back, and says why
	if grep -q "call sites not usable" "$WORK/auto.err"; then
		result lockwin/fallback 0
	else
		fail lockwin/fallback "no 'call sites not usable' in the banner" "$WORK/auto.err"
		result lockwin/fallback 1
	fi
	expect lockwin/forced-unusable 1 "call sites not usable" \
		"$KHT" collapse -a fentry --lock-windows callsite -d 0.1
	result lockwin/callsite 77
	exit 0
fi

# every site probe --lock-sites listed was verified by the kernel
# (a candidate refused as "not an instruction boundary" is no site: dropped)
if grep -q "lock sites: [1-9][0-9]* lock, [1-9][0-9]* unlock verified: usable" "$WORK/sites.out" &&
   ! grep ' -> ' "$WORK/sites.out" | grep -v -e ': verified$' -e ': not an instruction boundary$' | grep -q .; then
	result lockwin/sites-verified 0
else
	fail lockwin/sites-verified "not every site verified" "$WORK/sites.out"
	result lockwin/sites-verified 1
fi
if grep -q "lock windows: call-site kprobes (collapse_file+0x" "$WORK/auto.err"; then
	result lockwin/auto-picks-callsite 0
else
	fail lockwin/auto-picks-callsite "banner:" "$WORK/auto.err"
	result lockwin/auto-picks-callsite 1
fi

# The fallback, where call sites work: /dev/null over /proc/kcore hides the
# text (a guest's throwaway root; skipped where the bind mount is refused)
if mount --bind /dev/null /proc/kcore 2>/dev/null; then
	"$KHT" probe --lock-sites >"$WORK/nokcore.sites" 2>&1
	prc=$?
	"$KHT" collapse -a fentry -d 0.1 >/dev/null 2>"$WORK/nokcore.err"
	expect lockwin/forced-callsite-without-kcore 1 "call sites not usable: cannot read" \
		"$KHT" collapse -a fentry --lock-windows callsite -d 0.1
	umount /proc/kcore
	if [ $prc -eq 1 ] && grep -q "lock windows: gated fentry on the spinlock functions: call sites not usable: cannot read collapse_file's text from /proc/kcore" "$WORK/nokcore.err"; then
		result lockwin/fallback-without-kcore 0
	else
		fail lockwin/fallback-without-kcore "probe --lock-sites rc=$prc; banner:" "$WORK/nokcore.err"
		result lockwin/fallback-without-kcore 1
	fi
else
	result lockwin/fallback-without-kcore 77
fi

# One line per collapse: what the windows decide, in the order they happened.
summarize() {
	grep '"event":"collapse"' "$1" | while read -r l; do
		printf '%s' "$l" | tr ',' '\n' | grep -E '^"(start|result|windows|published|uptodate_at_publish|kept)":' |
			tr '\n' ' '
		echo
	done
}

# compare NAME MIN EXACT WORKLOAD-ARGS...: the workload under each variant;
# at least MIN collapses, every one with windows, the same per collapse in
# both runs (EXACT=0: the same but for the window count, which may be lower
# with call sites, never higher)
compare() {
	local name=$1 min=$2 exact=$3 lw rc want n
	shift 3
	for lw in fentry callsite; do
		"$KHT" collapse -j -a fentry --lock-windows $lw -- "$KW" "$@" \
			>"$WORK/$lw.out" 2>"$WORK/$lw.err"
		rc=$?
		summarize "$WORK/$lw.out" >"$WORK/$lw.sum"
		sed "s/^/  $name $lw| /" "$WORK/$lw.sum"
		want="gated fentry"
		[ $lw = callsite ] && want="call-site kprobes"
		if [ $rc -eq 0 ] && grep -q "lock windows: $want" "$WORK/$lw.err"; then
			result lockwin/$name/$lw-run 0
		else
			fail lockwin/$name/$lw-run "rc=$rc" "$WORK/$lw.err"
			result lockwin/$name/$lw-run 1
		fi
	done
	n=$(wc -l <"$WORK/callsite.sum")
	if [ "$n" -ge "$min" ] && ! grep -v '"windows":[1-9]' "$WORK/callsite.sum" | grep -q .; then
		result lockwin/$name/every-collapse-has-windows 0
	else
		fail lockwin/$name/every-collapse-has-windows "$n collapses (want $min), some without windows" \
			"$WORK/callsite.sum"
		result lockwin/$name/every-collapse-has-windows 1
	fi
	if [ "$exact" = 0 ]; then
		fewer "$WORK/fentry.sum" "$WORK/callsite.sum" >"$WORK/fewer.out"
		sed 's/"windows":[0-9]*//' "$WORK/fentry.sum" >"$WORK/fentry.nowin"
		sed 's/"windows":[0-9]*//' "$WORK/callsite.sum" >"$WORK/callsite.nowin"
	fi
	if [ "$exact" = 0 ] && cmp -s "$WORK/fentry.nowin" "$WORK/callsite.nowin" &&
	   ! grep -q more "$WORK/fewer.out"; then
		result lockwin/$name/same-as-fentry 0
	elif cmp -s "$WORK/fentry.sum" "$WORK/callsite.sum"; then
		result lockwin/$name/same-as-fentry 0
	else
		fail lockwin/$name/same-as-fentry "per-collapse windows differ (fentry above, callsite below)" \
			"$WORK/fentry.sum"
		sed 's/^/    callsite| /' "$WORK/callsite.sum"
		result lockwin/$name/same-as-fentry 1
	fi
}

# datamap NAME OUT: every collapse event in OUT (collapse -j with the
# workload's own lines) has a data map, and it holds as many data pages as
# the workload counted before its MADV_COLLAPSE (512 - its SEEK_HOLE holes);
# collapse-holes' chunks (a hole every 16th page, the 16th) bit for bit
datamap() {
	local name=$1 out=$2
	awk '
	/^collapse ino=/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		want[f["ino"] " " f["index"]] = 512 - f["holes"]
		next
	}
	/"event":"collapse"/ {
		ino = $0; sub(/.*"ino":/, "", ino); sub(/[^0-9].*/, "", ino)
		st = $0; sub(/.*"start":/, "", st); sub(/[^0-9].*/, "", st)
		if ($0 !~ /"data_map":"/) { print "no data map: ino " ino " start " st; bad++; next }
		m = $0; sub(/.*"data_map":"/, "", m); sub(/".*/, "", m)
		got[ino " " st] = m
		next
	}
	END {
		n = 0
		for (k in got) {
			bits = 0
			for (j = 1; j <= length(got[k]); j++)
				bits += pop[substr(got[k], j, 1)]
			if (!(k in want)) { print "collapse of ino/start " k ": no workload line"; bad++; continue }
			if (bits != want[k]) { print "ino/start " k ": " bits " data pages in the map, the workload wrote " want[k]; bad++ }
			if (want[k] == 480 && got[k] != pat) { print "ino/start " k ": map " got[k] " is not every 16th page a hole"; bad++ }
			n++
		}
		print "  " n " data maps checked"
		exit (bad || !n)
	}
	BEGIN {
		split("0 1 1 2 1 2 2 3 1 2 2 3 2 3 3 4", c, " ")
		for (i = 0; i < 16; i++) pop[sprintf("%x", i)] = c[i + 1]
		pat = ""
		for (i = 0; i < 32; i++) pat = pat "fff7"
	}' "$out" >"$WORK/datamap.out"
	if [ $? -eq 0 ]; then
		cat "$WORK/datamap.out"
		result lockwin/$name/data-map 0
	else
		fail lockwin/$name/data-map "the data maps do not match the workload" "$WORK/datamap.out"
		result lockwin/$name/data-map 1
	fi
}

# "more" for each collapse whose call-site windows outnumber the fentry ones
fewer() {
	paste -d' ' "$1" "$2" | sed -n 's/.*"windows":\([0-9]*\).*"windows":\([0-9]*\).*/\1 \2/p' |
		while read -r f c; do [ "$c" -le "$f" ] || echo more; done
}

# collapse-full (2 collapses), collapse-holes (2), uffd-missing (1 or more)
compare mixed 4 1 mixed
datamap mixed "$WORK/callsite.out"
# A second tracer while the first one's kprobes sit on the calls:
# /proc/kcore shows their int3s (CC) over the unlock calls' E8. It must read
# through them and use call sites too (before: "no call to
# _raw_spin_unlock_irq", gated fentry), and both must see every window
# gated fentry saw above.
second_tracer() {
	local name=lockwin/second-tracer ok=1
	start_kht first collapse -j -a fentry || { result $name 1; return; }
	"$KHT" collapse -j -a fentry -- "$KW" mixed >"$WORK/second.out" 2>"$WORK/second.err"
	sleep 0.5
	stop_kht
	summarize "$WORK/first.out" >"$WORK/first.sum"
	summarize "$WORK/second.out" >"$WORK/second.sum"
	grep -q "lock windows: call-site kprobes (.*under another kprobe" "$WORK/second.err" || {
		ok=0
		fail $name "the second tracer did not use the call sites under the first one's" \
			"$WORK/second.err"
	}
	for t in first second; do
		cmp -s "$WORK/fentry.sum" "$WORK/$t.sum" && continue
		ok=0
		fail $name "the $t tracer's windows differ from gated fentry's (above)" "$WORK/fentry.sum"
		sed "s/^/    $t| /" "$WORK/$t.sum"
	done
	[ $ok = 1 ] && echo "  $name: $(wc -l <"$WORK/second.sum") collapses, both tracers on call sites, windows as gated fentry's"
	result $name $((1 - ok))
}
second_tracer

# Regular files (7.x, ext4 in the guest): collapse_file has the missing pages
# read in, and readahead takes the i_pages lock once per page it adds, in
# functions the whole system calls: gated fentry counts those holds as
# windows, call sites do not (docs/collapse.md).
if [ -n "${KHT_FILE_DIR:-}" ]; then
	compare file 2 0 -d "$KHT_FILE_DIR" -n 2 --log-seeks 0 file-collapse
fi
