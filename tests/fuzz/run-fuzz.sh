#!/bin/bash
# Fuzz the recorded-trace reader with libFuzzer + ASan + UBSan.
#   tests/fuzz/run-fuzz.sh [SECONDS]      (default 30)
# Builds .output/fuzz/{seedgen,fuzz_tracefile}, writes fresh seed recordings,
# runs for SECONDS (corpus kept in .output/fuzz/corpus between runs), prints
#   fuzz: execs=N exec/s=N crashes=N corpus=N
# and exits non-zero if anything crashed (artifacts in .output/fuzz/crashes/).
# Environment: CLANG (clang), KHT_FUZZ_OUT (.output/fuzz),
#              KHT_FUZZ_ARGS (extra libFuzzer flags, e.g. -jobs=2).
set -u
secs=${1:-30}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
out=${KHT_FUZZ_OUT:-$top/.output/fuzz}
clang=${CLANG:-clang}
cflags=(-g -O1 -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror
	-Iinclude -Itools)
# the recording reader and what it links: output files, the event-kind registry
srcs=(tests/fuzz/fuzz_tracefile.c tools/lib/tracefile_*.c tools/lib/outfile.c tools/lib/events/*.c
	tools/lib/event_fmt.c tools/lib/json.c tools/lib/btf_enum.c)
count() { find "$1" -type f | wc -l; }

mkdir -p "$out/corpus" "$out/crashes" || exit 2
rm -rf "$out/seeds" && mkdir -p "$out/seeds" || exit 2

# Seeds: real recordings from the library's own writer (so they track the format).
"$clang" "${cflags[@]}" -DKHT_TF_SEEDGEN "${srcs[@]}" -lbpf -lelf -lz -o "$out/seedgen" ||
	{ echo "fuzz: seedgen build failed"; exit 2; }
"$out/seedgen" "$out/seeds" || { echo "fuzz: seedgen failed"; exit 2; }
# every damaged spot the trailer walk scans is kept (not only those of 64 KiB and
# more), so the records pass's jumps over them meet the fuzzer's small inputs
"$clang" "${cflags[@]}" -DKHT_TF_SPAN_MIN=1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all "${srcs[@]}" -lbpf -lelf -lz \
	-o "$out/fuzz_tracefile" || { echo "fuzz: build failed"; exit 2; }

# The magics and the usual sizes help the mutator find block boundaries.
cat >"$out/dict" <<'EOF'
"KHTRACE\x00"
"KHTB"
"\x01\x00"
"\x02\x00"
"\x01\x00\x01\x00"
"\x00\x00\x10\x00"
"\xff\xff\xff\xff"
EOF

log=$out/last.log
before=$(count "$out/crashes")
seeds="$out/seeds"
[ -d tests/fuzz/corpus ] && seeds="$seeds tests/fuzz/corpus"
# The first directory receives new inputs; the seeds are only read.
# shellcheck disable=SC2086
"$out/fuzz_tracefile" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	-dict="$out/dict" -artifact_prefix="$out/crashes/" -print_final_stats=1 ${KHT_FUZZ_ARGS:-} \
	"$out/corpus" $seeds >"$log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
crashes=$(($(count "$out/crashes") - before))
corpus=$(count "$out/corpus")
echo "fuzz: execs=${execs:-?} exec/s=${rate:-?} crashes=$crashes corpus=$corpus (${secs}s, log $log)"
if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
	grep -E -A30 '^==[0-9]+==ERROR|runtime error|invariant broken|deadly signal' "$log" | head -60
	echo "fuzz: FAILED (rc $rc); reproduce with $out/fuzz_tracefile $out/crashes/<file>"
	exit 1
fi
exit 0
