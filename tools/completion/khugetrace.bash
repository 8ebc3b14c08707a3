# bash completion for khugetrace(1) and khugetrace-workload(1)           -*- sh -*-
# Installed as share/bash-completion/completions/khugetrace (and a link named
# khugetrace-workload); plain bash, bash-completion's helpers are not needed.
#
# The option lists are the options each command accepts, as its --help lists
# them. tests/live/install-tests.sh keeps them honest: every option here is in
# the command's --help and accepted by it, and every option of its --help is
# here unless the command refuses it.

_khugetrace_commands="probe collapse timeline races check-kernel record report"

# _khugetrace_options COMMAND: the options COMMAND accepts
_khugetrace_options()
{
	local trace="-p --pid -t --tid --comm -G --cgroup -i --inode -a --attach -d --duration"
	trace="$trace --no-inside --lock-windows --spins -v --verbose"
	local common="-h --help --version"

	case $1 in
	probe)		echo "-j --json --modes --modes= --lock-sites -v --verbose $common" ;;
	collapse)	echo "$trace -m --min-us -c --count -j --json $common" ;;
	timeline)	echo "$trace --all-seeks --all-writes -j --json --perfetto --perfetto-format --since --until $common" ;;
	races)		echo "$trace --all-seeks --all-writes -j --json --since --until --spin-us $common" ;;
	check-kernel)	echo "-j --json $common" ;;
	record)		echo "$trace --all-seeks --all-writes -o --output -f --force -q --quiet $common" ;;
	report)		echo "-i --input --timeline --perfetto --perfetto-format --races --spin-us" \
			     "-p --pid --inode" \
			     "--since --until -c --count -m --min-us -j --json $common" ;;
	esac
}

# COMPREPLY from the words in $1, or file names when $1 is "@files"
_khugetrace_reply()
{
	local words=$1 cur=$2

	if [ "$words" = @files ]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	# --modes=, --huge=: the value follows without a space
	if [ ${#COMPREPLY[@]} -eq 1 ] && [ "${COMPREPLY[0]%=}" != "${COMPREPLY[0]}" ]; then
		compopt -o nospace 2>/dev/null
	fi
}

# _khugetrace_split: OPT and VAL when the current word is an option's value
# given as --opt=VAL, however COMP_WORDBREAKS split it (with '=' in it, the
# default, "--modes=co" arrives as "--modes" "=" "co").
_khugetrace_split()
{
	local cw=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]}

	OPT= VAL=
	if [ "$cur" = = ] && [ $cw -ge 1 ]; then
		OPT=${COMP_WORDS[cw - 1]} VAL=
	elif [ $cw -ge 2 ] && [ "${COMP_WORDS[cw - 1]}" = = ]; then
		OPT=${COMP_WORDS[cw - 2]} VAL=$cur
	elif [[ $cur == --*=* ]]; then
		OPT=${cur%%=*} VAL=${cur#*=}
		[[ $COMP_WORDBREAKS == *=* ]] || PFX="$OPT="
	fi
}

_khugetrace()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=${COMP_WORDS[1]} OPT VAL PFX= i
	[ "$COMP_CWORD" -ge 1 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	if [ "$COMP_CWORD" -eq 1 ]; then
		if [[ $cur == -* ]]; then
			_khugetrace_reply "-h --help -V --version" "$cur"
		else
			_khugetrace_reply "$_khugetrace_commands" "$cur"
		fi
		return
	fi
	case " $_khugetrace_commands " in *" $cmd "*) ;; *) return ;; esac

	_khugetrace_split
	if [ -n "$OPT" ]; then
		case $cmd:$OPT in
		probe:--modes) _khugetrace_reply "collapse userfaultfd seek modify" "$VAL" ;;
		*:--attach) _khugetrace_reply "auto fentry kprobe tp_btf raw_tp syscalls" "$VAL" ;;
		*:--perfetto-format) _khugetrace_reply "proto json" "$VAL" ;;
		*:--lock-windows) _khugetrace_reply "auto callsite fentry" "$VAL" ;;
		*:--output | *:--input | *:--perfetto) _khugetrace_reply @files "$VAL" ;;
		esac
		[ -n "$PFX" ] && for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$PFX${COMPREPLY[i]}; done
		return
	fi
	case $cmd:$prev in
	*:-a | *:--attach)
		_khugetrace_reply "auto fentry kprobe tp_btf raw_tp syscalls" "$cur"; return ;;
	*:--perfetto-format)
		_khugetrace_reply "proto json" "$cur"; return ;;
	*:--lock-windows)
		_khugetrace_reply "auto callsite fentry" "$cur"; return ;;
	*:-p | *:--pid)
		_khugetrace_reply "$(cd /proc 2>/dev/null && echo [0-9]*)" "$cur"; return ;;
	*:-G | *:--cgroup)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	record:-o | *:--output | report:-i | *:--input | *:--perfetto)
		_khugetrace_reply @files "$cur"; return ;;
	*:-i | *:--inode | *:-m | *:--min-us | *:-d | *:--duration | *:-c | *:--count | \
	*:--since | *:--until | *:--spin-us | *:-t | *:--tid | *:--comm)
		return ;;	# a number
	esac
	if [[ $cur == -* ]]; then
		_khugetrace_reply "$(_khugetrace_options "$cmd")" "$cur"
	elif [ "$cmd" = report ]; then
		_khugetrace_reply @files "$cur"	# the recording
	fi
}

_khugetrace_workload()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= OPT VAL PFX= i
	local scenarios="collapse-full collapse-holes khugepaged seek-storm uffd-missing mixed
		uffd-modes uffd-continue mincore-loop timeline random uffd-fault vmhost sparse-copy file-collapse seek-migrate"
	[ "$COMP_CWORD" -ge 1 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	_khugetrace_split
	if [ -n "$OPT" ]; then
		case $OPT in
		--huge) _khugetrace_reply "never advise" "$VAL" ;;
		--cp | --wait-file) _khugetrace_reply @files "$VAL" ;;
		esac
		[ -n "$PFX" ] && for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$PFX${COMPREPLY[i]}; done
		return
	fi
	case $prev in
	--huge) _khugetrace_reply "never advise" "$cur"; return ;;
	-d) compopt -o dirnames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	--cp | --wait-file) _khugetrace_reply @files "$cur"; return ;;
	-n | -s | --log-seeks | --seed) return ;;
	esac
	if [[ $cur == -* ]]; then
		_khugetrace_reply "-n -d --huge --huge= -s --log-seeks --seed --cp --wait-file -v
			-h --help --version" "$cur"
	else
		_khugetrace_reply "$scenarios" "$cur"
	fi
}

complete -F _khugetrace khugetrace
complete -F _khugetrace_workload khugetrace-workload
