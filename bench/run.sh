#!/bin/bash
# khugetrace benchmarks: one run, one table of ratios (absolute figures as context).
#
#   bench/run.sh            full run (~4 min): 5 alternating rounds, bpf_stats,
#                           event-throughput steps, goals
#   bench/run.sh --smoke    seconds: 1 round, tiny counts; checks that every part
#                           runs and the table prints (the test suite calls it)
#
# Parts: 1. overhead of `khugetrace timeline` (the default profile of the attach mode this
# kernel gives) and of bench/equivalent.bt on bench/pagecache_load, rounds
# alternating untraced / khugetrace / bpftrace; 2. ns per hit of every
# khugetrace BPF program (kernel.bpf_stats_enabled, one extra traced run);
# 3. event throughput: paced lseek(SEEK_DATA) storms under khugetrace, drops
# per step; 4. offline report speed: `khugetrace report` of a synthetic
# recording (bench/gen_recording.c), CPU time and peak RSS.
# Method and how to read the table: bench/README.md.
#
# Environment: KHT (khugetrace binary), ROUNDS, ITERS, FILES, COLLAPSE_EVERY,
# STORM_RATES (calls/s, 0 = unpaced), STORM_SECONDS, STORM_THREADS, REPORT_EVENTS,
# KHT_OPTS (extra `khugetrace timeline` options, e.g. --no-inside),
# NO_BPFTRACE=1 (skip the bpftrace side), NO_REPORT=1 (skip part 4), KEEP=1
# (keep the work directory), BENCH_BIN=DIR (prebuilt pagecache_load,
# event_storm, prog_stats and, for part 4, gen_recording: no gcc needed; the
# qemu guest of bench/run-vm.sh uses it).
# Exit status: 0 when every part ran (goals MISSED do not fail the run),
# 1 when something could not run, 2 on a usage error.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bench=$top/bench
KHT=${KHT:-$top/.output/bin/khugetrace}
SMOKE=0
case "${1:-}" in
--smoke) SMOKE=1 ;;
"") ;;
-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
*) echo "bench/run.sh: unknown argument '$1' (usage: bench/run.sh [--smoke])." >&2; exit 2 ;;
esac
if [ $SMOKE = 1 ]; then
	ROUNDS=${ROUNDS:-1} ITERS=${ITERS:-40} FILES=${FILES:-2} COLLAPSE_EVERY=${COLLAPSE_EVERY:-10}
	STORM_RATES=${STORM_RATES:-"20000 0"} STORM_SECONDS=${STORM_SECONDS:-0.3}
	REPORT_EVENTS=${REPORT_EVENTS:-200000}
else
	ROUNDS=${ROUNDS:-5} ITERS=${ITERS:-5000} FILES=${FILES:-8} COLLAPSE_EVERY=${COLLAPSE_EVERY:-10}
	STORM_RATES=${STORM_RATES:-"25000 50000 100000 200000 400000 700000 1000000 1300000 0"}
	STORM_SECONDS=${STORM_SECONDS:-1.5}
	REPORT_EVENTS=${REPORT_EVENTS:-10000000}
fi
# two generator threads where there are two CPUs: one thread alone cannot
# make 1 M seeks/s under tracing; the reader then shares the CPUs with them
STORM_THREADS=${STORM_THREADS:-$(($(nproc) >= 2 ? 2 : 1))}
READY_TIMEOUT=${READY_TIMEOUT:-60}	# seconds for a tracer to attach (bpftrace compiles)
STOP_TIMEOUT=${STOP_TIMEOUT:-120}	# seconds for a tracer to exit after SIGINT

die() { echo "bench/run.sh: $*" >&2; exit 1; }
note() { echo "bench/run.sh: $*" >&2; }

# ---- preconditions ---------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (tracers, bpf_stats, private tmpfs mounts)."
[ -x "$KHT" ] || die "no khugetrace binary at $KHT: run 'make' first (or set KHT=)."
[ -n "${BENCH_BIN:-}" ] || command -v gcc >/dev/null ||
	die "gcc is needed to build the load generators (or set BENCH_BIN= to prebuilt ones)."
[ -r /proc/sys/kernel/bpf_stats_enabled ] || die "this kernel has no kernel.bpf_stats_enabled sysctl."

WORK=$(mktemp -d /tmp/kht-benchrun.XXXXXX) || die "cannot create a work directory in /tmp."
TPID= BPID= STATS_SAVED=

cleanup() {
	local p
	trap - EXIT INT TERM HUP
	for p in $TPID $BPID; do
		kill -INT "$p" 2>/dev/null && { sleep 1; kill -KILL "$p" 2>/dev/null; }
	done
	[ -n "$STATS_SAVED" ] && echo "$STATS_SAVED" >/proc/sys/kernel/bpf_stats_enabled
	if [ "${KEEP:-0}" = 1 ]; then note "work files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'note "interrupted: tracers stopped, mounts and sysctl restored."; exit 130' INT TERM HUP

# ---- build the generators (or take prebuilt ones from BENCH_BIN) -------------
LIBBPF_LIBS=$(pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
if [ -n "${BENCH_BIN:-}" ]; then
	BIN=$BENCH_BIN
	for b in pagecache_load event_storm prog_stats; do
		[ -x "$BIN/$b" ] || die "BENCH_BIN=$BIN has no executable $b."
	done
else
	BIN=$WORK
	# shellcheck disable=SC2046,SC2086
	gcc -O2 -Wall -o "$WORK/pagecache_load" "$bench/pagecache_load.c" "$top/tools/common/tmpfs_pmd.c" \
		2>"$WORK/cc.err" &&
	gcc -O2 -Wall -pthread -o "$WORK/event_storm" "$bench/event_storm.c" "$top/tools/common/tmpfs_pmd.c" \
		2>>"$WORK/cc.err" &&
	gcc -O2 -Wall $(pkg-config --cflags libbpf 2>/dev/null) -o "$WORK/prog_stats" "$bench/prog_stats.c" \
		$LIBBPF_LIBS -lelf -lz 2>>"$WORK/cc.err" ||
		{ cat "$WORK/cc.err" >&2; die "building the load generators / bench/prog_stats.c failed (gcc, libbpf-dev)."; }
fi
LOAD=("$BIN/pagecache_load" -i "$ITERS" -f "$FILES" -c "$COLLAPSE_EVERY")

# ---- attach modes, and the bpftrace script with the same hooks -------------
COLLAPSE_MODE=$("$KHT" probe --modes 2>/dev/null | awk '{print $1}')
[ -n "$COLLAPSE_MODE" ] || die "'khugetrace probe --modes' lists no usable collapse mode: cannot trace here."
# madvise hooks are only loaded by khugetrace's syscalls mode; seek and
# mincore hooks, in an end-only collapse mode, only with --all-seeks, and
# the write hooks there only with --all-writes
strip=
[ "$COLLAPSE_MODE" = syscalls ] || strip="/^\/\/ BEGIN syscalls-mode\$/,/^\/\/ END syscalls-mode\$/d;"
case "$COLLAPSE_MODE ${KHT_OPTS:-}" in
fentry* | kprobe* | *--all-seeks*) ;;
*) strip="$strip /^\/\/ BEGIN seeks\$/,/^\/\/ END seeks\$/d;" ;;
esac
# writes: likewise where the modify feature sees no hole fills, as on
# syscall tracepoints (tools/feat_modify.c), unless --all-writes
case "$COLLAPSE_MODE $("$KHT" probe --modes=modify 2>/dev/null | awk '{print $1}') ${KHT_OPTS:-}" in
fentry* | kprobe* | *" fentry "* | *" kprobe "* | *--all-writes*) ;;
*) strip="$strip /^\/\/ BEGIN writes\$/,/^\/\/ END writes\$/d;" ;;
esac
sed "$strip" "$bench/equivalent.bt" >"$WORK/equivalent.bt"
BT=
if [ "${NO_BPFTRACE:-0}" != 1 ]; then
	if ! command -v bpftrace >/dev/null && [ $SMOKE = 0 ] && command -v apt-get >/dev/null; then
		note "installing Debian's bpftrace package (apt-get) for the comparison..."
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace >"$WORK/apt.log" 2>&1 ||
			note "apt-get install bpftrace failed (see below); the bpftrace column stays empty."
	fi
	BT=$(command -v bpftrace) || note "bpftrace is not installed: the bpftrace comparison is skipped."
fi

# ---- tracer control ----------------------------------------------------------
# wait_ready PID FILE PATTERN: until PATTERN is in FILE; fails if PID dies or times out
wait_ready() {
	local i=0
	while ! grep -q "$3" "$2" 2>/dev/null; do
		kill -0 "$1" 2>/dev/null || return 1
		[ $i -ge $((READY_TIMEOUT * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# stop PID: SIGINT, wait (bounded), SIGKILL if it hangs; sets RC
stop() {
	local i=0
	KILLED=0
	kill -INT "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null; do
		if [ $i -ge $((STOP_TIMEOUT * 10)) ]; then
			note "tracer $1 still running ${STOP_TIMEOUT}s after SIGINT: killed."
			kill -KILL "$1" 2>/dev/null
			KILLED=1
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$1" 2>/dev/null
	RC=$?
}

start_kht() { # start_kht NAME [OPTION...]: khugetrace timeline (default profile), output discarded
	local name=$1
	shift
	# shellcheck disable=SC2086
	"$KHT" timeline -j ${KHT_OPTS:-} "$@" >/dev/null 2>"$WORK/$name.kerr" &
	TPID=$!
	wait_ready "$TPID" "$WORK/$name.kerr" '^Tracing' && return 0
	sed 's/^/  | /' "$WORK/$name.kerr" >&2
	die "khugetrace timeline did not start (stderr above)."
}

stop_kht() { # stop_kht NAME
	stop "$TPID"
	TPID=
	[ $RC = 0 ] || { sed 's/^/  | /' "$WORK/$1.kerr" >&2; die "khugetrace timeline exited $RC."; }
}

start_bt() { # start_bt NAME [SCRIPT]: bpftrace equivalent.bt (or SCRIPT), output discarded
	rm -f "$WORK/$1.ready"
	"$BT" "${2:-$WORK/equivalent.bt}" 2>"$WORK/$1.berr" \
		> >(grep -q -m1 READY && touch "$WORK/$1.ready"; exec cat >/dev/null) &
	BPID=$!
	local i=0
	while [ ! -e "$WORK/$1.ready" ]; do
		if ! kill -0 "$BPID" 2>/dev/null || [ $i -ge $((READY_TIMEOUT * 10)) ]; then
			sed 's/^/  | /' "$WORK/$1.berr" >&2
			die "bpftrace did not attach bench/equivalent.bt (stderr above)."
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

stop_bt() {
	stop "$BPID"
	BPID=
	# bpftrace 0.17 now and then does not end on SIGINT (2 of ~30 stops on
	# the 6.18 host): its round had finished, so its figures stand
	[ $KILLED = 1 ] && { note "bpftrace ignored SIGINT; its round's load had finished and counts."; return; }
	[ $RC = 0 ] || { sed 's/^/  | /' "$WORK/$1.berr" >&2; die "bpftrace exited $RC."; }
}

run_load() { # run_load NAME: the load, its key=value lines in NAME.load
	"${LOAD[@]}" >"$WORK/$1.load" 2>"$WORK/$1.lerr" ||
		{ cat "$WORK/$1.lerr" >&2; die "pagecache_load failed."; }
}

# The hook floor: the same hooks as equivalent.bt with empty programs. What
# attaching there costs before any program does anything (on syscall
# tracepoints: every syscall of every task takes the slow entry path), so
# that "khugetrace slowdown - floor slowdown" is what its programs cost.
if [ -n "$BT" ]; then
	{ echo 'BEGIN { printf("READY\n"); }'
	  awk '/^(tracepoint|kprobe|kretprobe|kfunc|kretfunc|rawtracepoint):/ { print $1 " { }" }' "$WORK/equivalent.bt"
	} >"$WORK/floor.bt"
fi

# ---- part 1: overhead, alternating rounds -----------------------------------
CONFIGS="none kht"
[ -n "$BT" ] && CONFIGS="none kht bt floor"
set -- $CONFIGS
NCONF=$#
note "part 1: overhead, $ROUNDS round(s) of [$CONFIGS], load: $ITERS iterations x $FILES files, MADV_COLLAPSE every $COLLAPSE_EVERY"
for r in $(seq 1 "$ROUNDS"); do
	# rotate the order each round: no configuration always runs first
	order=$(echo $CONFIGS $CONFIGS | awk -v s=$(((r - 1) % NCONF)) -v n=$NCONF \
		'{ for (i = 1; i <= n; i++) printf "%s ", $(i + s) }')
	for c in $order; do
		case $c in
		none) run_load "none.$r" ;;
		kht) start_kht "kht.$r"; run_load "kht.$r"; stop_kht "kht.$r" ;;
		bt) start_bt "bt.$r"; run_load "bt.$r"; stop_bt "bt.$r" ;;
		floor) start_bt "floor.$r" "$WORK/floor.bt"; run_load "floor.$r"; stop_bt "floor.$r" ;;
		esac
		printf '  round %d %-5s %s\n' "$r" "$c" "$(grep '^total' "$WORK/$c.$r.load")" >&2
	done
done
grep -q 'collapse_ok=0 ' "$WORK/none.1.load" &&
	note "warning: MADV_COLLAPSE never succeeded: the collapse tracepoints were not exercised."
COLLAPSED=$(sed -n 's/^collapse_ok=\([0-9]*\) collapse_calls=\([0-9]*\).*/\1\/\2/p' "$WORK/none.1.load")
KMODES=$(sed -n 's/^khugetrace timeline: \([^ ]*\) via \([^ ]*\) .*/\1=\2/p' "$WORK/kht.1.kerr" | tr '\n' ' ')

# ---- part 2: per-program cost from the kernel's accounting ------------------
note "part 2: bpf_stats during one more khugetrace run of the same load"
STATS_SAVED=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled || die "cannot enable kernel.bpf_stats_enabled."
start_kht stats
# khugetrace's own programs: the prog fds it holds (other tracers may be loaded)
ids=$(grep -h '^prog_id:' /proc/"$TPID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un)
[ -n "$ids" ] || die "cannot find khugetrace's BPF programs in /proc/$TPID/fdinfo."
# "ID NAME RUN_TIME_NS RUN_CNT" per program (bench/prog_stats.c)
snap() { # shellcheck disable=SC2086
	"$BIN/prog_stats" $ids >"$1" 2>"$WORK/prog_stats.err" ||
		{ cat "$WORK/prog_stats.err" >&2; die "bench/prog_stats could not read khugetrace's programs ($ids)."; }
}
snap "$WORK/stats.before"
run_load stats
snap "$WORK/stats.after"
stop_kht stats
echo "$STATS_SAVED" >/proc/sys/kernel/bpf_stats_enabled
STATS_SAVED=

# ---- part 3: event throughput -------------------------------------------------
note "part 3: event throughput, lseek(SEEK_DATA) storms of ${STORM_SECONDS}s, $STORM_THREADS thread(s), rates: $STORM_RATES"
: >"$WORK/storm.tab"
for rate in $STORM_RATES; do
	# every seek an event: the production profile would only count these
	# (the storm's file is no collapse's), and the pipeline would carry nothing
	start_kht "storm.$rate" --all-seeks
	"$BIN/event_storm" -t "$STORM_THREADS" -r "$rate" -s "$STORM_SECONDS" >"$WORK/storm.$rate.out" \
		2>"$WORK/storm.$rate.err" || { cat "$WORK/storm.$rate.err" >&2; die "event_storm failed."; }
	stop_kht "storm.$rate"
	gen=$(sed -n 's/.*events=\([0-9]*\) seconds=\([0-9.]*\) rate=\([0-9]*\).*/\1 \2 \3/p' "$WORK/storm.$rate.out")
	got=$(sed -n 's/^khugetrace timeline: \([0-9]*\) events.*/\1/p' "$WORK/storm.$rate.kerr")
	drops=$(sed -n 's/.*WARNING: \([0-9]*\) events dropped.*/\1/p' "$WORK/storm.$rate.kerr")
	[ -n "$gen" ] && [ -n "$got" ] || die "cannot parse the storm step at rate $rate (see $WORK)."
	echo "$rate $gen ${got} ${drops:-0}" >>"$WORK/storm.tab"
	printf '  target %-8s %s\n' "$rate" "$(tail -1 "$WORK/storm.tab")" >&2
done

# ---- part 4: offline report speed ------------------------------------------------
# A synthetic recording of REPORT_EVENTS events written through the project's
# own writer (bench/gen_recording.c + libkhugetrace.a), then
# `khugetrace report FILE >/dev/null` (default view) under /usr/bin/time -v.
REPORT_SKIPPED= TL_STATS=
# report_stats ARGS...: "cpu_s wall_s maxrss_kb" of `khugetrace report rec.ktr ARGS >/dev/null`
report_stats() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v "$KHT" report "$WORK/rec.ktr" "$@" >/dev/null 2>"$WORK/report.time" ||
			{ tail -5 "$WORK/report.time" >&2; return 1; }
		awk -F': ' '/User time/ {u = $2} /System time/ {s = $2}
			/Maximum resident/ {m = $2} /Elapsed/ {e = $2}
			END { n = split(e, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i]
			      print u + s, w, m }' "$WORK/report.time"
	else	# no GNU time: CPU seconds from bash, no peak RSS
		TIMEFORMAT='%U %S %R'
		t=$( { time "$KHT" report "$WORK/rec.ktr" "$@" >/dev/null 2>&1; } 2>&1 ) || return 1
		echo "$t" | awk '{print $1 + $2, $3, 0}'
	fi
}
if [ "${NO_REPORT:-0}" = 1 ]; then
	REPORT_STATS= REPORT_SKIPPED="skipped (NO_REPORT=1)"
	note "part 4: skipped (NO_REPORT=1)"
elif "$KHT" --help 2>&1 | grep -qE '^ +report '; then
	note "part 4: offline report of a synthetic recording of $REPORT_EVENTS events"
	if [ -n "${BENCH_BIN:-}" ]; then
		[ -x "$BIN/gen_recording" ] || die "BENCH_BIN=$BIN has no gen_recording (or set NO_REPORT=1)."
	else
		lib=${KHT_LIB:-$(dirname "$(dirname "$KHT")")/libkhugetrace.a}
		[ -r "$lib" ] || die "no $lib (built by 'make'): needed to write the synthetic recording."
		# shellcheck disable=SC2086
		gcc -O2 -Wall -I"$top/include" -I"$top/tools" -o "$WORK/gen_recording" "$bench/gen_recording.c" \
			"$lib" $LIBBPF_LIBS -lelf -lz 2>"$WORK/cc.err" ||
			{ cat "$WORK/cc.err" >&2; die "building bench/gen_recording.c failed."; }
	fi
	"$BIN/gen_recording" -o "$WORK/rec.ktr" -n "$REPORT_EVENTS" >"$WORK/gen.out" ||
		die "writing the synthetic recording failed."
	REPORT_STATS=$(report_stats) || die "khugetrace report failed on the synthetic recording."
	# the streamed timeline views (issue 14): text and -j, same file
	TL_STATS=$(report_stats --timeline) && TL_STATS="$TL_STATS $(report_stats --timeline -j)" ||
		die "khugetrace report --timeline failed on the synthetic recording."
	REPORT_STATS="$REPORT_STATS $(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$WORK/gen.out")"
	rm -f "$WORK/rec.ktr"
	printf '  report: cpu_s wall_s maxrss_kb file_bytes = %s\n' "$REPORT_STATS" >&2
	printf '  report --timeline, then -j: cpu_s wall_s maxrss_kb = %s\n' "$TL_STATS" >&2
else
	REPORT_STATS= REPORT_SKIPPED="not measured (this khugetrace has no record/report)"
	note "part 4: skipped: this khugetrace has no 'report' command"
fi

# ---- the table ---------------------------------------------------------------
cat "$WORK"/none.*.load >/dev/null
awk -v rounds="$ROUNDS" -v configs="$CONFIGS" -v work="$WORK" -v kmodes="$KMODES" -v collapsed="$COLLAPSED" -v kopts="${KHT_OPTS:-}" \
    -v kernel="$(uname -r)" -v ncpu="$(nproc)" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    -v smoke="$SMOKE" -v iters="$ITERS" -v files="$FILES" -v cevery="$COLLAPSE_EVERY" \
    -v report_stats="$REPORT_STATS" -v tl_stats="$TL_STATS" -v report_skipped="$REPORT_SKIPPED" -v report_events="$REPORT_EVENTS" -v storm_s="$STORM_SECONDS" -v storm_t="$STORM_THREADS" '
function fmt(x) {
	if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
	if (x >= 1e3) return sprintf("%.1fk", x / 1e3)
	return sprintf("%.0f", x)
}
function sort_n(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function median(a, n) { sort_n(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function pct(x) { return sprintf("%+.1f%%", x * 100) }
BEGIN {
	nc = split(configs, cfg, " ")
	label["none"] = "untraced"; label["kht"] = "khugetrace"; label["bt"] = "bpftrace"
	nops = 0
	for (c = 1; c <= nc; c++) for (r = 1; r <= rounds; r++) {
		f = work "/" cfg[c] "." r ".load"
		while ((getline line < f) > 0) {
			n = split(line, kv, " ")
			if (kv[1] ~ /^op=/) { op = substr(kv[1], 4); v = kv[4]; sub("ops_s=", "", v) }
			else if (kv[1] == "total") { op = "TOTAL (mix)"; v = kv[4]; sub("ops_s=", "", v) }
			else continue
			if (!(op in seen)) { seen[op] = 1; ops[++nops] = op }
			val[cfg[c], op, r] = v + 0
		}
		close(f)
	}
	for (i = 1; i <= nops; i++) for (c = 1; c <= nc; c++) {
		k = 0; for (r = 1; r <= rounds; r++) if ((cfg[c], ops[i], r) in val) a[++k] = val[cfg[c], ops[i], r]
		if (!k) continue
		sort_n(a, k); lo[cfg[c], ops[i]] = a[1]; hi[cfg[c], ops[i]] = a[k]
		med[cfg[c], ops[i]] = median(a, k)
	}
	printf "\n"
	printf "khugetrace bench%s - %s, kernel %s, %d CPUs\n", (smoke ? " (SMOKE: tiny counts, figures meaningless)" : ""), date, kernel, ncpu
	printf "attach modes: %s%s\n", kmodes, (kopts != "" ? "(timeline " kopts ")" : "")
	printf "load: bench/pagecache_load %d iterations x %d files, MADV_COLLAPSE every %d (%s ok); %d round(s), order rotated\n\n", iters, files, cevery, collapsed, rounds
	printf "1. OVERHEAD  median ops/s [min-max over rounds]; slowdown = untraced/traced - 1\n"
	printf "%-12s %-24s %-24s %-24s %-24s %9s %9s %9s\n", "op", "untraced", "khugetrace", "bpftrace", "hooks only", "kht slow", "bt slow", "hooks"
	for (i = 1; i <= nops; i++) {
		o = ops[i]; line = sprintf("%-12s", o)
		for (c = 1; c <= 4; c++) {
			x = (c == 1 ? "none" : c == 2 ? "kht" : c == 3 ? "bt" : "floor")
			cell = ((x, o) in med) ? sprintf("%s [%s-%s]", fmt(med[x, o]), fmt(lo[x, o]), fmt(hi[x, o])) : "n/a"
			line = line sprintf(" %-24s", cell)
		}
		for (c = 2; c <= 4; c++) {
			x = (c == 2 ? "kht" : c == 3 ? "bt" : "floor")
			line = line sprintf(" %9s", ((x, o) in med && med[x, o] > 0) ? pct(med["none", o] / med[x, o] - 1) : "n/a")
		}
		print line
	}
	T = "TOTAL (mix)"
	kslow = med["none", T] / med["kht", T] - 1
	have_bt = (("bt", T) in med)
	if (have_bt) bslow = med["none", T] / med["bt", T] - 1
	printf "workload slowdown: khugetrace %s, bpftrace %s", pct(kslow), (have_bt ? pct(bslow) : "n/a")
	if (have_bt) {
		ratio = kslow > 0 ? bslow / kslow : 0
		printf ", bpftrace overhead / khugetrace overhead = %s", (kslow > 0 ? sprintf("%.2fx", ratio) : "n/a (khugetrace overhead <= 0)")
	}
	printf "\n"
	have_floor = (("floor", T) in med)
	if (have_floor) {
		# the floor: the same hooks with empty programs (bench/run.sh floor.bt)
		fslow = med["none", T] / med["floor", T] - 1
		kabove = med["floor", T] / med["kht", T] - 1
		babove = med["floor", T] / med["bt", T] - 1
		printf "hook floor (same hooks, empty programs): %s; above the floor: khugetrace %s, bpftrace %s", pct(fslow), pct(kabove), pct(babove)
		if (kabove > 0) printf " (%.2fx)", babove / kabove
		printf "\n"
	}
	printf "\n"

	printf "2. BPF PROGRAM COST  kernel.bpf_stats_enabled, one more khugetrace run of the same load\n"
	printf "%-18s %12s %10s %12s   (hits include early exits; program body only)\n", "program", "hits", "ns/hit", "total ms"
	while ((getline line < (work "/stats.before")) > 0) { split(line, p, " "); brt[p[1]] = p[3] + 0; bcn[p[1]] = p[4] + 0 }
	while ((getline line < (work "/stats.after")) > 0) {
		split(line, p, " "); hits = p[4] - bcn[p[1]]; ns = p[3] - brt[p[1]]
		printf "%-18s %12d %10s %12.1f\n", p[2], hits, (hits ? sprintf("%.0f", ns / hits) : "-"), ns / 1e6
		sum_ns += ns
	}
	printf "%-18s %12s %10s %12.1f\n\n", "all programs", "", "", sum_ns / 1e6

	printf "3. EVENT THROUGHPUT  khugetrace timeline during lseek(SEEK_DATA) storms, %ss per step, %d thread(s)\n", storm_s, storm_t
	printf "%-10s %12s %12s %12s %10s %8s\n", "target/s", "generated/s", "generated", "delivered", "drops", "drop %"
	best = -1; first_drop = -1; maxrate = 0; lost = 0
	while ((getline line < (work "/storm.tab")) > 0) {
		split(line, s, " ")	# target events seconds rate delivered drops
		for (q = 1; q <= 6; q++) s[q] += 0
		tgt = s[1] == 0 ? "max" : fmt(s[1])
		printf "%-10s %12s %12d %12d %10d %7.2f%%\n", tgt, fmt(s[4]), s[2], s[5], s[6], (s[2] ? 100 * s[6] / s[2] : 0)
		if (s[4] > maxrate) maxrate = s[4]
		# a step counts only if its seeks came out (delivered or dropped):
		# a tracer that filtered them shows nothing about the pipeline
		if (s[5] + s[6] < 0.99 * s[2]) { lost++; continue }
		if (s[6] == 0 && s[4] > best) best = s[4]
		if (s[6] > 0 && (first_drop < 0 || s[4] < first_drop)) first_drop = s[4]
	}
	if (lost)
		printf "%d step(s) delivered less than 99%% of their seeks without dropping them: not counted\n", lost
	printf "highest generated rate with 0 drops: %s events/s%s\n\n", (best >= 0 ? fmt(best) : "none"),
		(first_drop >= 0 ? sprintf("; drops from %s events/s", fmt(first_drop)) : sprintf(" (no drops at any step; the generator topped out at %s/s under tracing)", fmt(maxrate)))

	printf "4. OFFLINE REPORT  khugetrace report FILE >/dev/null, synthetic recording\n"
	have_rep = split(report_stats, rs, " ") >= 4
	if (have_rep) {
		rcpu = rs[1] + 0; rwall = rs[2] + 0; eps = rcpu > 0 ? report_events / rcpu : 0
		printf "%d events (%.1f MiB): %.2f s CPU, %.2f s wall, peak RSS %.1f MiB -> %s events/s per CPU-second\n",
			report_events, rs[4] / 1048576, rcpu, rwall, rs[3] / 1024, fmt(eps)
	}
	have_tl = split(tl_stats, ts, " ") >= 6
	if (have_tl) {
		for (i = 0; i < 2; i++) {
			tcpu[i] = ts[3 * i + 1] + 0; trss[i] = ts[3 * i + 3] / 1024
			teps[i] = tcpu[i] > 0 ? report_events / tcpu[i] : 0
			printf "  --timeline%-3s %.2f s CPU, %.2f s wall, peak RSS %.1f MiB -> %s events/s per CPU-second\n",
				(i ? " -j" : ""), tcpu[i], ts[3 * i + 2], trss[i], fmt(teps[i])
		}
	}
	if (have_rep)
		printf "\n"
	else
		printf "report speed: %s\n\n", report_skipped

	printf "GOALS%s\n", (smoke ? " (smoke run: verdicts not meaningful)" : "")
	printf "%-44s %-34s %s\n", "goal", "measured", "verdict"
	printf "%-44s %-34s %s\n", "<= 3% workload slowdown, default profile", "khugetrace " pct(kslow), (kslow <= 0.03 ? "MET" : "MISSED")
	if (have_floor)
		printf "%-44s %-34s %s\n", "  the same hooks with empty programs", "hooks only " pct(fslow), (fslow > 0.03 ? "(out of reach on these hooks)" : "(within reach)")
	if (have_bt)
		printf "%-44s %-34s %s\n", ">= 5x less overhead than bpftrace", (kslow > 0 ? sprintf("%.2fx (bt %s vs kht %s)", ratio, pct(bslow), pct(kslow)) : sprintf("kht %s (noise), bt %s", pct(kslow), pct(bslow))), ((kslow <= 0 && bslow > 0) || (kslow > 0 && ratio >= 5) ? "MET" : "MISSED")
	else
		printf "%-44s %-34s %s\n", ">= 5x less overhead than bpftrace", "bpftrace not run", "NOT MEASURED"
	if (first_drop >= 0 && first_drop < 1e6) v = "MISSED"
	else if (best >= 1e6) v = "MET"
	else if (lost) v = "NOT SHOWN (seeks not delivered)"
	else v = "NOT SHOWN (1M/s not reached)"
	printf "%-44s %-34s %s\n", "no drops up to 1 M events/s", sprintf("0 drops up to %s/s", best >= 0 ? fmt(best) : "-") (first_drop >= 0 ? sprintf(", drops at %s/s", fmt(first_drop)) : ""), v
	if (have_rep)
		printf "%-44s %-34s %s\n", "report >= 5 M events/s on one core", sprintf("%s events/s (1 thread)", fmt(eps)), (eps >= 5e6 ? "MET" : "MISSED")
	else
		printf "%-44s %-34s %s\n", "report >= 5 M events/s on one core", (report_skipped ~ /^skipped/ ? report_skipped : "not measured"), "NOT MEASURED"
	if (have_tl) {
		trmax = trss[0] > trss[1] ? trss[0] : trss[1]
		temin = teps[0] < teps[1] ? teps[0] : teps[1]
		printf "%-44s %-34s %s\n", "report --timeline (and -j) <= 128 MiB peak", sprintf("%.1f MiB", trmax), (trmax <= 128 ? "MET" : "MISSED")
		printf "%-44s %-34s %s\n", "report --timeline (and -j) >= 2 M events/s", sprintf("%s events/s (slower of the two)", fmt(temin)), (temin >= 2e6 ? "MET" : "MISSED")
	}
}' || die "formatting the table failed."
exit 0
