#!/bin/bash
# make install, the man pages, the bash completion and make deb, on the host.
# Everything goes into a temporary directory (DESTDIR, DEB_OUTDIR); nothing is
# installed onto this system. Prints "name:rc" lines (0 pass, else fail).
# Needs the source tree, make, help2man, man-db, dpkg-deb; builds the static
# binaries for the package (make STATIC=1) if they are not there.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/kht-install.XXXXXX)
. "$TOP/tests/live/lib.sh"
cd "$TOP" || exit 1
MAKE="make --no-print-directory"

# check NAME CMD...: NAME:0 if CMD succeeds, else NAME:1 and CMD's output
check() {
	local name=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then
		result "$name" 0
	else
		fail "$name" "$*" "$WORK/check.out"
		result "$name" 1
	fi
}

# ---- make install into DESTDIR
root=$WORK/root
bin=$root/usr/bin
man1=$root/usr/share/man/man1
comp=$root/usr/share/bash-completion/completions/khugetrace
check install/make $MAKE install DESTDIR="$root" PREFIX=/usr
commands=$("$bin/khugetrace" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
pages="khugetrace $(for c in $commands; do printf 'khugetrace-%s ' "$c"; done)khugetrace-workload"

installed_files() {
	local f
	[ "$(ls "$root")" = usr ] || { echo "outside PREFIX: $(ls "$root")"; return 1; }
	for f in "$bin/khugetrace" "$bin/khugetrace-workload"; do
		[ -x "$f" ] || { echo "missing: $f"; return 1; }
	done
	for f in $pages; do
		[ -f "$man1/$f.1" ] || { echo "missing: $man1/$f.1"; return 1; }
	done
	[ -f "$comp" ] && [ -L "$comp-workload" ] || { echo "missing: $comp(-workload)"; return 1; }
	[ -n "$commands" ] || { echo "no commands in khugetrace --help"; return 1; }
}
check install/files installed_files

# each page renders without a groff or man warning, and its NAME and SYNOPSIS
# came through (help2man parsed the usage line)
man_page() {
	local page=$1 synopsis=$2 err
	err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$err" ] || { echo "warnings: $err"; return 1; }
	MANWIDTH=80 man -l "$page" 2>/dev/null >"$WORK/page.txt"
	grep -q '^NAME' "$WORK/page.txt" && grep -q '^SYNOPSIS' "$WORK/page.txt" &&
		grep -A1 '^SYNOPSIS' "$WORK/page.txt" | grep -q -- "$synopsis" ||
		{ echo "no NAME or SYNOPSIS '$synopsis' in:"; head -20 "$WORK/page.txt"; return 1; }
}
for p in $pages; do
	case $p in
	khugetrace) syn="khugetrace COMMAND" ;;
	khugetrace-workload) syn="$p \[" ;;
	*) syn="khugetrace ${p#khugetrace-}\( \|$\)" ;;
	esac
	check "install/man/$p" man_page "$man1/$p.1" "$syn"
done

# --version: one line, the same version everywhere
versions() {
	local v c
	v=$("$bin/khugetrace" --version) || return 1
	echo "$v" | grep -qx 'khugetrace [^ ]\+' || { echo "khugetrace --version: '$v'"; return 1; }
	for c in $commands; do
		[ "$("$bin/khugetrace" "$c" --version)" = "$v" ] ||
			{ echo "khugetrace $c --version: not '$v'"; return 1; }
	done
	[ "$("$bin/khugetrace-workload" --version)" = "khugetrace-workload ${v#khugetrace }" ] ||
		{ echo "khugetrace-workload --version: not ${v#khugetrace }"; return 1; }
}
check install/version versions

# ---- bash completion, from the installed file
# complete WORDS...: what the completion offers for the last word, one a line
complete_words() {
	bash -c '. "$0" || exit 1
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		if [ "$1" = khugetrace-workload ]; then _khugetrace_workload; else _khugetrace; fi
		printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@"
}
check install/completion/load \
	bash -c '. "$1" && complete -p khugetrace khugetrace-workload' sh "$comp"
comp_rec() {
	local got
	got=$(complete_words khugetrace rec)
	[ "$got" = record ] || { echo "khugetrace rec<TAB>: '$got', not 'record'"; return 1; }
}
check install/completion/rec comp_rec
comp_commands() {
	local got c
	got=" $(complete_words khugetrace '' | tr '\n' ' ')"
	for c in $commands; do
		case $got in *" $c "*) ;; *) echo "khugetrace <TAB> lacks $c: $got"; return 1 ;; esac
	done
}
check install/completion/commands comp_commands

# help_opts: "NAME ARG" for each option its --help (stdin) lists, ARG empty
# for a flag ("-p, --pid PID" gives "-p PID" and "--pid PID")
help_opts() {
	local line s l a re='^ +(-[A-Za-z0-9])?(, )?(--[a-z][a-z-]*)?(\[=|=| )?([A-Z]+)?'
	while IFS= read -r line; do
		[[ $line =~ ^\ +- ]] && [[ $line =~ $re ]] || continue
		s=${BASH_REMATCH[1]} l=${BASH_REMATCH[3]} a=${BASH_REMATCH[5]}
		[ "${BASH_REMATCH[4]}" = "[=" ] && a=	# --modes[=F]: optional
		[ -n "$s" ] && echo "$s $a"
		[ -n "$l" ] && echo "$l $a"
	done
}
sample() { # a value option $1 accepts
	case $1 in -a | --attach | --lock-windows) echo auto ;; --perfetto-format) echo json ;; --huge) echo never ;; -G | --cgroup) echo / ;; --comm) echo cp ;; *) echo 1 ;; esac
}

# Every option the completion offers for CMD is in 'CMD --help' and accepted
# by CMD; every option of 'CMD --help' is offered, unless CMD refuses it (its
# --help may list options shared with other commands).
# comp_options LABEL PROG [CMD]
comp_options() {
	local label=$1 prog=$2 cmd=${3:-} opts offered o a extra rc
	if [ -n "$cmd" ]; then
		opts=$("$prog" "$cmd" --help | help_opts)
		offered=" $(complete_words khugetrace "$cmd" - | sed 's/=$//' | tr '\n' ' ')"
	else
		opts=$("$prog" --help | help_opts)
		offered=" $(complete_words "${prog##*/}" - | sed 's/=$//' | tr '\n' ' ')"
	fi
	[ -n "$opts" ] || { echo "$label: no options in --help"; return 1; }
	for o in $offered; do
		[ "$o" = --version ] && continue
		echo "$opts" | grep -q -- "^$o " || { echo "$label: offers $o, not in --help"; return 1; }
	done
	while read -r o a; do
		[ -n "$a" ] && a=$(sample "$o")
		extra=
		[ "$cmd:$o" = report:--spin-us ] && extra=--races	# only with --races
		[ "$o" = --perfetto-format ] && extra="--perfetto $WORK/opt.json"	# only with it
		$prog $cmd $extra $o ${a:+"$a"} --help >"$WORK/opt.out" 2>&1
		rc=$?
		case $offered in
		*" $o "*)
			[ $rc -eq 0 ] || { echo "$label: offers $o, which it refuses:"; cat "$WORK/opt.out"; return 1; } ;;
		*)
			[ $rc -eq 2 ] || { echo "$label: $o in --help (accepted) but not offered"; return 1; } ;;
		esac
	done <<-EOF
	$opts
	EOF
}
for c in $commands; do
	check "install/completion/options-$c" comp_options "$c" "$bin/khugetrace" "$c"
done
comp_main_options() {
	local o offered=" $(complete_words khugetrace - | tr '\n' ' ')" opts
	opts=$("$bin/khugetrace" --help | help_opts | cut -d' ' -f1)
	[ -n "$opts" ] || { echo "no options in khugetrace --help"; return 1; }
	for o in $opts; do
		case $offered in *" $o "*) ;; *) echo "khugetrace -<TAB> lacks $o"; return 1 ;; esac
	done
}
check install/completion/options-main comp_main_options
check install/completion/options-workload comp_options workload "$bin/khugetrace-workload"
comp_scenarios() {
	local got s want
	want=$("$bin/khugetrace-workload" --help | sed -n '/^Scenarios:/,/^  -/p' | grep -v '^  -' |
		sed 's/^Scenarios://')
	got=" $(complete_words khugetrace-workload '' | tr '\n' ' ')"
	[ -n "$want" ] || { echo "no scenarios in khugetrace-workload --help"; return 1; }
	for s in $want; do
		case $got in *" $s "*) ;; *) echo "workload <TAB> lacks $s"; return 1 ;; esac
	done
	for s in $got; do
		echo " $want " | tr '\n' ' ' | grep -q " $s " || { echo "offers scenario $s, not in --help"; return 1; }
	done
}
check install/completion/scenarios comp_scenarios

uninstalled() {
	$MAKE uninstall DESTDIR="$root" PREFIX=/usr || return 1
	[ -z "$(find "$root" ! -type d)" ] || { echo "left:"; find "$root" ! -type d; return 1; }
}
check install/uninstall uninstalled

# ---- make deb, into WORK
debdir=$WORK/deb
check deb/make $MAKE deb DEB_OUTDIR="$debdir"
deb=$(ls "$debdir"/khugetrace_*_amd64.deb 2>/dev/null)
deb_contents() {
	local f
	[ -f "$deb" ] && [ "$(echo "$deb" | wc -l)" = 1 ] || { echo "no single .deb: $deb"; return 1; }
	dpkg-deb -c "$deb" | awk '{ print $6 }' >"$WORK/list"
	for f in usr/bin/khugetrace usr/bin/khugetrace-workload \
		 usr/share/bash-completion/completions/khugetrace \
		 usr/share/bash-completion/completions/khugetrace-workload \
		 $(for p in $pages; do echo "usr/share/man/man1/$p.1.gz"; done); do
		grep -qx "\./$f" "$WORK/list" || { echo "not in the package: $f"; return 1; }
	done
	[ "$(dpkg-deb -f "$deb" Package)" = khugetrace ] &&
	[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] &&
	[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] && [ -n "$(dpkg-deb -f "$deb" Description)" ] &&
	[ "${deb##*/}" = "khugetrace_$(dpkg-deb -f "$deb" Version)_amd64.deb" ] ||
		{ dpkg-deb -f "$deb"; return 1; }
}
check deb/contents deb_contents
deb_run() {
	local x=$WORK/x p
	dpkg-deb -x "$deb" "$x" || return 1
	# static: no program interpreter
	! readelf -l "$x/usr/bin/khugetrace" | grep -q INTERP || { echo "not static"; return 1; }
	"$x/usr/bin/khugetrace" --version | grep -qx 'khugetrace [^ ]\+' || return 1
	"$x/usr/bin/khugetrace" probe --help | grep -q '^Usage: khugetrace probe' || return 1
	"$x/usr/bin/khugetrace-workload" --version | grep -q '^khugetrace-workload ' || return 1
	for p in "$x"/usr/share/man/man1/*.1.gz; do
		[ -z "$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)" ] ||
			{ echo "$p: warnings"; return 1; }
	done
}
check deb/run deb_run
