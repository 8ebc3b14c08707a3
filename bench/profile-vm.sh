#!/bin/bash
# What the default profile costs against everything on, in a qemu guest
# (bench/README.md "Production profile"):
#
#   bench/profile-vm.sh [SERIES]      (default 6.12; as root, like bench/run-vm.sh)
#
# One guest boot, one vCPU, icount (guest ns = instructions). Two loads of
# bench/pagecache_load: "read" (-c 0: pread, SEEK_DATA/SEEK_HOLE, FIONREAD
# and mincore on files nothing collapses) and "mixed" (-c 10: the same plus
# a MADV_COLLAPSE of another file every 10 iterations). Each runs untraced
# and under `khugetrace timeline -j -a fentry` (every feature, output to
# /dev/null) with
#   default  the default profile: call-site lock windows, no reader probes,
#            seeks, mincore, writes and fills only where they overlap a collapse
#   full     --spins --all-seeks --all-writes: every probe and every event (the default
#            before the profile)
#   floor    bench/hook_floor: the default's hooks (collapse_file, the
#            call-site kprobes `probe --lock-sites` verifies, scan_file,
#            userfaultfd, llseek, mincore, modify) with empty programs
#   floor+rd the same plus the reader hooks --spins adds
#   record   `khugetrace record` instead of `timeline -j` (not in the
#            default VARIANTS)
#   floor-G  the floor without one group of hooks, G one of collapse,
#            sites, uffd, seek, mincore, modify: what that group's hooks
#            alone cost (not in the default VARIANTS)
# ROUNDS rounds, the variants in the same order each round (icount makes
# the guest deterministic but for the tracer's own scheduling).
# Env: ROUNDS (2), ITERS (300), FILES (4; make bench-vm's mix: ITERS=1000
# FILES=8), VARIANTS (all five, in this order),
# KHT_VM_LOG_DIR (/tmp/kht-bench-profile).
set -eu
# shellcheck source=bench/vm_bench.sh
. "$(dirname "$0")/vm_bench.sh"
vm_bench_init profile "${1:-}"
VARIANTS=${VARIANTS:-none default full floor floor+rd}
FILES=${FILES:-4}
case $FILES in '' | *[!0-9]*) echo "bench/profile-vm.sh: FILES is a number." >&2; exit 1 ;; esac
vm_bench_tool hook_floor
cat >"$work/test.sh" <<EOF
#!/bin/sh
ITERS=$ITERS FILES=$FILES ROUNDS=$ROUNDS VARIANTS="$VARIANTS"
EOF
cat >>"$work/test.sh" <<'EOF'
echo "guest: $(uname -r) cpus=$(nproc)"
# The tracer's own CPU time (schedstat: ns on a CPU; under icount,
# instructions): on the guest's one vCPU it is part of the loads' slowdown.
# Then where it went: minor faults, user and system clock ticks (10 ms)
# from /proc/PID/stat (fields 10, 14, 15; the name in field 2 has no space).
tracer_stat() { # PID (none: zeros) -> "CPU_NS MINFLT UTIME STIME"
	if [ -n "$1" ]; then
		echo "$(cut -d' ' -f1 "/proc/$1/schedstat") $(awk '{ print $10, $14, $15 }' "/proc/$1/stat")"
	else
		echo 0 0 0 0
	fi
}
tracer_delta() { # BEFORE AFTER (tracer_stat lines)
	echo "$1 $2" | awk '{ print "tracer_cpu_ns=" $5 - $1, "tracer_minflt=" $6 - $2,
		"tracer_utime_ms=" ($7 - $3) * 10, "tracer_stime_ms=" ($8 - $4) * 10 }'
}
loads() { # VARIANT [TRACER_PID]: both loads, one line each
	for l in read mixed; do
		case $l in read) c=0 ;; mixed) c=10 ;; esac
		t0=$(tracer_stat "${2:-}")
		/bin/pagecache_load -i $ITERS -f $FILES -c $c >/tmp/pl.out 2>&1
		t1=$(tracer_stat "${2:-}")
		echo "  $1 $l $(grep -E '^op=(pread|seek_data|mincore|collapse) ' /tmp/pl.out | sed 's/ ops_s=[0-9.]*//' | tr '\n' ' ') $(grep '^total' /tmp/pl.out) $(tracer_delta "$t0" "$t1")"
	done
}
# the default profile's hooks (fentry mode), for hook_floor
sites=$(/bin/khugetrace probe --lock-sites 2>/dev/null | awk '$NF == "verified" { print "kprobe:" $1 }')
# by feature, so that floor-GROUP can leave one group out
hooks_collapse="fentry:collapse_file fexit:collapse_file tp_btf:mm_khugepaged_scan_file"
hooks_sites="$sites"
hooks_uffd="fentry:userfaultfd_ioctl fexit:userfaultfd_ioctl fentry:handle_userfault fexit:handle_userfault"
hooks_seek="fentry:shmem_file_llseek fexit:shmem_file_llseek fentry:ext4_llseek fexit:ext4_llseek"
hooks_mincore="fentry:__x64_sys_mincore fexit:__x64_sys_mincore"
hooks_modify="fentry:vfs_fallocate fexit:vfs_fallocate fentry:do_truncate fexit:do_truncate
fentry:shmem_write_begin fentry:shmem_add_to_page_cache"
groups="collapse sites uffd seek mincore modify"
hooks_but() { # GROUP: the default's hooks without that group's ("" : all)
	local g
	for g in $groups; do
		[ "$g" = "$1" ] || eval "echo \$hooks_$g"
	done
}
hooks=$(hooks_but "")
readers="fentry:filemap_get_entry fexit:filemap_get_entry fentry:__filemap_get_folio
fexit:__filemap_get_folio fentry:__filemap_get_folio_mpol fexit:__filemap_get_folio_mpol
fentry:mapping_seek_hole_data fexit:mapping_seek_hole_data"
floor() { # floor VARIANT HOOKS...
	local v=$1
	shift
	# the last variant's line must not be taken for this one's: the
	# redirection below truncates only once the child runs
	rm -f /tmp/f.out
	/bin/hook_floor "$@" >/tmp/f.out 2>/tmp/f.err &
	p=$!
	i=0
	# attaching ~40 trampolines takes a while under TCG: the load must not
	# start before they are all in (a 6.1 run timed out here and measured
	# the attaching instead); hook_floor prints its line when it is done
	while ! grep -q "hooks attached" /tmp/f.out 2>/dev/null && [ $i -lt 36000 ]; do sleep 0.1; i=$((i + 1)); done
	sed "s/^/  $v tracer| /" /tmp/f.out
	loads "$v" $p
	kill -INT $p
	wait $p
	sleep 5	# let the trampolines go before the next variant
}
run() { # none | default | full | record | floor | floor+rd | floor-G
	case $1 in
	none) loads none; return ;;
	# shellcheck disable=SC2086
	floor) floor floor $hooks; return ;;
	# shellcheck disable=SC2086
	floor+rd) floor floor+rd $hooks $readers; return ;;
	# shellcheck disable=SC2046
	floor-*) floor "$1" $(hooks_but "${1#floor-}"); return ;;
	default) cmd="timeline -j" opts= ;;
	full) cmd="timeline -j" opts="--spins --all-seeks --all-writes" ;;
	record) cmd="record -q -f -o /tmp/r.kht" opts= ;;
	esac
	rm -f /tmp/r.err
	# shellcheck disable=SC2086
	/bin/khugetrace $cmd -a fentry $opts >/dev/null 2>/tmp/r.err &
	p=$!
	i=0
	while ! grep -q "^Tracing" /tmp/r.err 2>/dev/null && [ $i -lt 36000 ]; do sleep 0.1; i=$((i + 1)); done
	# what it does on its own once tracing (a start-up tail would be
	# counted in the loads' tracer_cpu_ns otherwise)
	t0=$(tracer_stat $p)
	sleep 1
	echo "  $1 tracer| $(tracer_delta "$t0" "$(tracer_stat $p)") in 1 s before the loads"
	loads $1 $p
	kill -INT $p
	wait $p
	grep -E 'lock windows|counted|events' /tmp/r.err | sed "s/^/  $1 tracer| /" | cut -c1-400
	[ "$1" = record ] || return 0
	# the same events judged offline: what timeline's -j costs apart
	# from the probes (report runs alone, its CPU time is the whole of it)
	# (busybox sh has no time keyword: the waited-for children's CPU time
	# from /proc/self/stat, in clock ticks of 10 ms)
	for v in "" "--timeline -j"; do
		t0=$(awk '{ print $16 + $17 }' /proc/$$/stat)
		# shellcheck disable=SC2086
		/bin/khugetrace report $v /tmp/r.kht >/dev/null 2>&1
		t1=$(awk '{ print $16 + $17 }' /proc/$$/stat)
		echo "  record| report $v of $(wc -c </tmp/r.kht) bytes: cpu_ms=$(((t1 - t0) * 10))"
	done
}
echo "warm-up"; loads none
r=1
while [ $r -le $ROUNDS ]; do
	for v in $VARIANTS; do echo "round $r $v"; run $v; done
	r=$((r + 1))
done
EOF
vm_bench_boot 2400 .output-static/bin/khugetrace "$work/pagecache_load" "$work/hook_floor"
