#!/bin/bash
# Damaged recordings: does `khugetrace report` answer at the speed of reading them?
#
#   bench/damage.sh        ~1-2 minutes, no root; the 10 GB file is sparse (no disk)
#
# One table: report time / reference time, wall and CPU (on a shared host the
# CPU ratio is the steadier), absolute seconds as context:
#   1. a recording cut off mid-block and padded with zeros to ZERO_TAIL (10G,
#      `truncate`): `khugetrace report` vs `cat FILE >/dev/null`, both with
#      the file in the page cache (one untimed cat first), best of ROUNDS;
#   2. BOMB_BYTES (2 MB) of zlib-bomb blocks (1 MiB of records in ~1 KiB each)
#      vs an intact recording of the same size;
#   3. the same bytes of blocks built to stay just under the reader's inflate
#      bound (-r BOUND_RATIO, 250 of 256): what a hostile file still costs.
# Method and results: bench/README.md ("Damaged recordings").
#
# Environment: KHT (khugetrace binary), ZERO_TAIL (truncate size, 10G),
# BOMB_BYTES (2000000), EVENTS (events before the zeros, 1000000), ROUNDS (3),
# BOUND_RATIO (250), BENCH_BIN=DIR (a prebuilt gen_recording: no gcc needed),
# KEEP=1 (keep the work directory), TMPDIR (where the files go).
# Exit status: 0 when everything ran, 1 with one sentence when something could
# not, 2 on a bad argument.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
KHT=${KHT:-$top/.output/bin/khugetrace}
ZERO_TAIL=${ZERO_TAIL:-10G}
BOMB_BYTES=${BOMB_BYTES:-2000000}
EVENTS=${EVENTS:-1000000}
ROUNDS=${ROUNDS:-3}
BOUND_RATIO=${BOUND_RATIO:-250}

die() { echo "bench/damage.sh: $*" >&2; exit 1; }
case "${1:-}" in
"") ;;
-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
*) echo "bench/damage.sh: unknown argument '$1' (usage: bench/damage.sh)." >&2; exit 2 ;;
esac
[ -x "$KHT" ] || die "no khugetrace binary at $KHT: run 'make' first (or set KHT=)."

WORK=$(mktemp -d "${TMPDIR:-/tmp}/khugetrace-damage.XXXXXX") || die "cannot create a work directory."
cleanup() {
	# the zero tail's page cache: give it back (dd: nocache drops a file's pages)
	[ -f "$WORK/tail.ktr" ] && dd if="$WORK/tail.ktr" iflag=nocache count=0 status=none 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "bench/damage.sh: work directory kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ -n "${BENCH_BIN:-}" ]; then
	GEN=$BENCH_BIN/gen_recording
	[ -x "$GEN" ] || die "BENCH_BIN=$BENCH_BIN has no gen_recording."
else
	GEN=$WORK/gen_recording
	lib=${KHT_LIB:-$(dirname "$(dirname "$KHT")")/libkhugetrace.a}
	[ -r "$lib" ] || die "no $lib (built by 'make'): needed to write the recordings."
	# shellcheck disable=SC2046
	gcc -O2 -Wall -I"$top/include" -I"$top/tools" -o "$GEN" "$top/bench/gen_recording.c" "$lib" \
		$(pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz 2>"$WORK/cc.err" ||
		{ cat "$WORK/cc.err" >&2; die "building bench/gen_recording.c failed."; }
fi

# "wall cpu" seconds of one command, its output dropped; the best (least wall) of ROUNDS
best() {
	local i t out=
	for ((i = 0; i < ROUNDS; i++)); do
		t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
		t=$(echo "$t" | awk '{ printf "%.3f %.3f", $1, $2 + $3 }')
		[ -z "$out" ] || [ "$(echo "$t $out" | awk '{ print ($1 < $3) }')" = 1 ] && out=$t
	done
	echo "$out"
}
report() { "$KHT" report "$1"; }
catnull() { cat "$1"; }

# the report must answer (exit 0) and say the damage for the timing to mean
# anything; a khugetrace from before the inflate bound read bombs as records
answers() {
	"$KHT" report "$1" >/dev/null 2>"$WORK/report.err" ||
		{ cat "$WORK/report.err" >&2; die "khugetrace report $1 failed."; }
	grep -q 'damaged spot' "$WORK/report.err" ||
		echo "bench/damage.sh: note: khugetrace report $1 reported no damage." >&2
}

# ---- 1. zero tail ----
"$GEN" -o "$WORK/rec.ktr" -n "$EVENTS" >/dev/null || die "writing the recording failed."
size=$(stat -c %s "$WORK/rec.ktr")
head -c $((size - 5000)) "$WORK/rec.ktr" >"$WORK/tail.ktr"	# cut inside a block
truncate -s "$ZERO_TAIL" "$WORK/tail.ktr" || die "truncate -s $ZERO_TAIL failed."
echo "bench/damage.sh: reading the ${ZERO_TAIL} file once into the page cache ..." >&2
cat "$WORK/tail.ktr" >/dev/null
answers "$WORK/tail.ktr"
read -r cat_w cat_c <<<"$(best catnull "$WORK/tail.ktr")"
read -r tail_w tail_c <<<"$(best report "$WORK/tail.ktr")"
dd if="$WORK/tail.ktr" iflag=nocache count=0 status=none 2>/dev/null

# ---- 2, 3. bombs, and blocks under the bound, vs an intact recording as large ----
"$GEN" -o "$WORK/bomb.ktr" -b "$BOMB_BYTES" >/dev/null || die "writing the bomb file failed."
"$GEN" -o "$WORK/bound.ktr" -b "$BOMB_BYTES" -r "$BOUND_RATIO" >/dev/null ||
	die "writing the under-the-bound file failed."
# events for a file of about BOMB_BYTES: the generator's mix packs to ~18 bytes an event
"$GEN" -o "$WORK/same.ktr" -n $((BOMB_BYTES / 18)) >/dev/null || die "writing the recording failed."
answers "$WORK/bomb.ktr"
read -r same_w same_c <<<"$(best report "$WORK/same.ktr")"
read -r bomb_w bomb_c <<<"$(best report "$WORK/bomb.ktr")"
read -r bound_w bound_c <<<"$(best report "$WORK/bound.ktr")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
row() {	# label, report wall, report cpu, reference wall, reference cpu
	printf '%-50s %8s %8s %8s / %-7s %8s / %-7s\n' "$1" "$(ratio "$2" "$4")" "$(ratio "$3" "$5")" \
		"$2" "$3" "$4" "$5"
}
printf '\nDAMAGED RECORDINGS  khugetrace report FILE >/dev/null, best of %s, seconds wall / cpu\n' \
	"$ROUNDS"
printf '%-50s %8s %8s %18s %18s\n' "file (reference)" "wall" "cpu" "report" "reference"
row "$ZERO_TAIL, zeros after a cut (cat >/dev/null)" "$tail_w" "$tail_c" "$cat_w" "$cat_c"
row "$BOMB_BYTES B of zlib bombs (a recording as large)" "$bomb_w" "$bomb_c" "$same_w" "$same_c"
row "$BOMB_BYTES B under the bound, ${BOUND_RATIO}:1 (the same)" "$bound_w" "$bound_c" "$same_w" "$same_c"
