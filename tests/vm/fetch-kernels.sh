#!/bin/bash
# Fetch Debian cloud kernels for the qemu test matrix into a local cache.
#
#   tests/vm/fetch-kernels.sh [--modules M1,M2] [6.1|6.12|6.19|7.2 ...]
#                                                          (default: all four)
#
# stdout: one line per series: "<series> <path-to-vmlinuz> <kernel-release>".
# --modules: also the named kernel modules (and what they depend on), taken
# from the series' own modules package (linux-modules-<release>, sid/7.x's
# split packaging) or from the kernel package itself when it carries them,
# decompressed into kernels/<series>/modules/<name>.ko; one line
# "module <series> <name> <path>" each, before the series line. The release
# follows the kernel's pin or fallback, so the modules always match it.
# Everything else (apt chatter, warnings) goes to stderr so callers can parse
# stdout.  Cache: ${KHT_CACHE:-/var/cache/khugetrace}/kernels/<series>/.
set -eu

CACHE_ROOT=${KHT_CACHE:-/var/cache/khugetrace}
KDIR=$CACHE_ROOT/kernels
ALL_SERIES="6.1 6.12 6.19 7.2"

# Config options the tracer and the test workloads depend on.
REQUIRED_CONFIG="CONFIG_DEBUG_INFO_BTF CONFIG_USERFAULTFD CONFIG_TRANSPARENT_HUGEPAGE
CONFIG_SERIAL_8250_CONSOLE CONFIG_TMPFS"

log() { printf 'fetch-kernels: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Pinned package per series, plus an ERE for the same series so that we can
# fall back when Debian has dropped the pinned build from the archive.
pin_for() {
	case $1 in
	6.1) echo linux-image-6.1.0-56-cloud-amd64-unsigned ;;
	6.12) echo linux-image-6.12.117+deb12-cloud-amd64-unsigned ;;
	# Since 6.19 Debian splits the kernel: linux-binary-* holds the (signed)
	# vmlinuz, linux-image-* is only a dependency shell, linux-base-* holds
	# config/System.map.  There is no *-unsigned variant any more.
	6.19) echo linux-binary-6.19.14+deb13-cloud-amd64 ;;
	# sid: same split packaging; the vmlinuz lives in usr/lib/modules/<rel>/.
	7.2) echo linux-binary-7.2.13+deb14-cloud-amd64 ;;
	*) return 1 ;;
	esac
}
pattern_for() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
	# Accept the old naming too, in case a later upload goes back to it.
	6.19) echo '^linux-(binary-6\.19\.[0-9]+\+deb13-cloud-amd64|image-6\.19\.[0-9]+\+deb13-cloud-amd64-unsigned)$' ;;
	# When sid drops 7.2.13, the newest 7.x it has (7.2.y, then 7.3, ...).
	7.2) echo '^linux-binary-7\.[0-9]+\.[0-9]+(\+deb[0-9]+)?-cloud-amd64$' ;;
	esac
}
prefix_for() {
	case $1 in
	6.1) echo linux-image-6.1.0- ;;
	6.12) echo linux-image-6.12. ;;
	6.19) printf '%s\n' linux-binary-6.19. linux-image-6.19. ;;
	7.2) echo linux-binary-7. ;;
	esac
}

# APT_OPTS is empty for series that come from the machine's own apt sources
# and points at a private sources list for the ones that do not.
APT_OPTS=()
apt_() { "$1" ${APT_OPTS[@]+"${APT_OPTS[@]}"} "${@:2}"; }

# True if apt knows a downloadable (has a candidate) version of $1.
apt_has() {
	local cand
	cand=$(apt_ apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[ -n "$cand" ] && [ "$cand" != "(none)" ]
}

# Newest package of a series known to apt.  sort -V on the name minus the
# linux-{image,binary}- prefix orders 6.1.0-9 < 6.1.0-56 and 6.12.9 < 6.12.117.
newest_for() {
	local series=$1 pfx
	for pfx in $(prefix_for "$series"); do
		apt_ apt-cache pkgnames "$pfx" 2>/dev/null || true
	done | grep -E "$(pattern_for "$series")" |
		while read -r p; do
			apt_has "$p" && printf '%s %s\n' "${p#linux-*-}" "$p"
		done | sort -V | tail -n1 | cut -d' ' -f2
}

# Build the private apt configuration for trixie-backports from the machine's
# own Debian archive entry, so that no mirror hostname lives in this script
# and the machine's apt state is never touched.
setup_private_apt() {
	local suite=$1 adir=$CACHE_ROOT/apt/$1 codename uri="" key="" f
	# shellcheck disable=SC1091
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot read VERSION_CODENAME from /etc/os-release"

	# deb822 .sources: first enabled stanza of type deb listing $codename.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		[ -n "$uri" ] && break
		read -r uri key < <(awk -v cn="$codename" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " cn " ") && enabled != "no" && uris != "") {
					split(uris, u, " "); print u[1], (sb ~ /^\//) ? sb : ""; found = 1; exit
				}
				types = suites = uris = sb = ""; enabled = "yes"
			}
			BEGIN { enabled = "yes" }
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[A-Za-z-]+:/ {
				k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = v; else if (k == "uris") uris = v
				else if (k == "suites") suites = v; else if (k == "signed-by") sb = v
				else if (k == "enabled") enabled = tolower(v)
			}
			END { if (!found) flush() }' "$f") || true
	done
	# One-line format: deb [opts] URI suite components...
	if [ -z "$uri" ]; then
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -r "$f" ] || continue
			read -r uri key < <(awk -v cn="$codename" '
				$1 != "deb" { next }
				{
					opts = ""; i = 2
					if ($2 ~ /^\[/) { while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break }; i++ } }
					if ($(i + 1) == cn) {
						sb = ""; if (match(opts, /signed-by=[^] ]+/)) sb = substr(opts, RSTART + 10, RLENGTH - 10)
						print $i, sb; exit
					}
				}' "$f") || true
			[ -n "$uri" ] && break
		done
	fi
	[ -n "$uri" ] || die "no Debian archive for '$codename' found in /etc/apt/sources.list{,.d}"

	mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial"
	if [ -n "$key" ]; then
		echo "deb [signed-by=$key] $uri $suite main" >"$adir/sources.list.new"
	else
		echo "deb $uri $suite main" >"$adir/sources.list.new"
	fi
	mv "$adir/sources.list.new" "$adir/sources.list"
	# Dir::Cache is private too: otherwise apt would rebuild the machine's
	# pkgcache.bin with trixie-backports in it.
	APT_OPTS=(-o "Dir::Etc::sourcelist=$adir/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$adir/lists" -o "Dir::Cache=$adir/cache")
}

UPDATED=""
apt_update() {
	[ -z "$UPDATED" ] || return 0
	log "running apt-get update${APT_OPTS[*]:+ (private lists)}"
	if ! apt_ apt-get -q update >&2; then
		die "apt-get update failed (if this is a signature error: the archive key is missing from debian-archive-keyring; verification is deliberately NOT disabled)"
	fi
	UPDATED=1
}

check_config() {
	local series=$1 root=$2 cfg opt
	cfg=$(find "$root/boot" "$root/usr/lib/modules" -maxdepth 2 \( -name 'config-*' -o -name config \) -type f 2>/dev/null | head -n1)
	if [ -z "$cfg" ]; then
		log "warning: $series: no kernel config shipped, cannot verify $(echo "$REQUIRED_CONFIG" | tr '\n' ' ')(boot the VM selftest instead)"
		return 0
	fi
	for opt in $REQUIRED_CONFIG; do
		grep -qx "$opt=y" "$cfg" || log "warning: $series: $opt is not =y in ${cfg#"$root"/}"
	done
}

fetch_series() {
	local series=$1 dir=$KDIR/$1 pin pkg tmp vmlinuz rel base ver
	if [ -e "$dir/vmlinuz" ] && [ -s "$dir/release" ]; then
		echo "$series $dir/vmlinuz $(cat "$dir/release")"
		return 0
	fi
	pin=$(pin_for "$series") || die "unknown series '$series' (known: $ALL_SERIES)"

	APT_OPTS=()
	UPDATED=""
	case $series in
	6.19) setup_private_apt trixie-backports ;;
	7.2) setup_private_apt sid ;;
	esac
	# The private lists start empty, so this also does the first update.
	apt_has "$pin" || apt_update

	mkdir -p "$KDIR"
	tmp=$(mktemp -d "$KDIR/.fetch-$series.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	# Let apt's _apt sandbox user write the .deb (avoids the "unsandboxed" warning).
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi

	pkg=$pin
	if ! (cd "$tmp" && apt_ apt-get -q download "$pkg" >&2); then
		# Lists may be stale (mirror already dropped the file): refresh once.
		if [ -z "$UPDATED" ]; then
			apt_update
			(cd "$tmp" && apt_ apt-get -q download "$pkg" >&2) || pkg=""
		else
			pkg=""
		fi
		if [ -z "$pkg" ]; then
			pkg=$(newest_for "$series")
			[ -n "$pkg" ] || die "$series: pinned $pin is gone and no other $series package found"
			log "warning: $series: pinned $pin not downloadable, falling back to newest: $pkg"
			(cd "$tmp" && apt_ apt-get -q download "$pkg" >&2) || die "$series: download of $pkg failed"
		fi
	fi

	# Split packaging keeps the config in linux-base-<release>; optional, the
	# archive does not always carry it (it only affects the config check).
	base=$(apt_ apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Depends:.*\(linux-base-[^ ,]*\).*/\1/p' | head -n1)
	if [ -n "$base" ]; then
		if apt_has "$base"; then
			(cd "$tmp" && apt_ apt-get -q download "$base" >&2) || log "warning: $series: could not download $base"
		else
			log "note: $series: $base (kernel config) is not in the archive"
		fi
	fi

	mkdir "$tmp/root"
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
	ver=$(dpkg-deb -f "$tmp/$pkg"_*.deb Version)
	# boot/vmlinuz-<rel> up to 6.19; usr/lib/modules/<rel>/vmlinuz since 7.x
	vmlinuz=$(find "$tmp/root/boot" -maxdepth 1 -name 'vmlinuz-*' -type f 2>/dev/null | head -n1)
	if [ -n "$vmlinuz" ]; then
		rel=${vmlinuz##*/vmlinuz-}
		vmlinuz=root/boot/vmlinuz-$rel
	else
		vmlinuz=$(find "$tmp/root/usr/lib/modules" -mindepth 2 -maxdepth 2 -name vmlinuz -type f 2>/dev/null | head -n1)
		[ -n "$vmlinuz" ] || die "$series: $pkg contains neither boot/vmlinuz-* nor usr/lib/modules/*/vmlinuz"
		rel=${vmlinuz%/vmlinuz}
		rel=${rel##*/}
		vmlinuz=root/usr/lib/modules/$rel/vmlinuz
	fi
	check_config "$series" "$tmp/root"

	rm -f "$tmp"/*.deb
	if [ "$(id -u)" = 0 ]; then chown 0:0 "$tmp"; fi
	ln -s "$vmlinuz" "$tmp/vmlinuz"
	echo "$rel" >"$tmp/release"
	echo "$pkg $ver" >"$tmp/package"
	chmod 755 "$tmp"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	trap - EXIT
	log "$series: $pkg $ver -> $rel"
	echo "$series $dir/vmlinuz $rel"
}

# The .ko of module $2 somewhere under $1 (compressed or not), or nothing.
find_ko() {
	find "$1" -type f \( -name "$2.ko" -o -name "$2.ko.xz" -o -name "$2.ko.zst" -o -name "$2.ko.gz" \) 2>/dev/null | head -n1
}

# modinfo's field $2 of the plain .ko $1, without needing kmod on the host.
ko_field() { tr '\0' '\n' <"$1" | sed -n "s/^$2=//p" | head -n1; }

fetch_modules() {
	local series=$1 mods=$2 dir=$KDIR/$1 rel mdir tmp src m pkg want dep
	rel=$(cat "$dir/release")
	mdir=$dir/modules
	mkdir -p "$mdir"
	want=$(echo "$mods" | tr ',' ' ')
	tmp=""
	while [ -n "$want" ]; do
		# shellcheck disable=SC2086 # a list of names
		set -- $want
		m=$1
		shift
		want=$*
		if [ ! -s "$mdir/$m.ko" ]; then
			src=$(find_ko "$dir/root" "$m")
			if [ -z "$src" ]; then
				if [ -z "$tmp" ]; then
					APT_OPTS=()
					UPDATED=""
					case $series in
					6.19) setup_private_apt trixie-backports ;;
					7.2) setup_private_apt sid ;;
					esac
					pkg=linux-modules-$rel
					apt_has "$pkg" || apt_update
					apt_has "$pkg" || die "$series: module $m: not in the kernel package and $pkg is not in the archive"
					tmp=$(mktemp -d "$KDIR/.modules-$series.XXXXXX")
					# shellcheck disable=SC2064
					trap "rm -rf '$tmp'" EXIT
					if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
					(cd "$tmp" && apt_ apt-get -q download "$pkg" >&2) || die "$series: download of $pkg failed"
					mkdir "$tmp/x"
					dpkg -x "$tmp"/*.deb "$tmp/x"
					log "$series: $pkg unpacked for $mods"
				fi
				src=$(find_ko "$tmp/x" "$m")
				[ -n "$src" ] || die "$series: module $m is in neither the kernel package nor linux-modules-$rel"
			fi
			case $src in
			*.xz) xz -dc "$src" >"$mdir/.$m.ko" ;;
			*.zst) zstd -qdc "$src" >"$mdir/.$m.ko" ;;
			*.gz) gzip -dc "$src" >"$mdir/.$m.ko" ;;
			*) cp "$src" "$mdir/.$m.ko" ;;
			esac
			case $(ko_field "$mdir/.$m.ko" vermagic) in
			"$rel "*) ;;
			*) rm -f "$mdir/.$m.ko"; die "$series: $m.ko is not built for $rel" ;;
			esac
			mv "$mdir/.$m.ko" "$mdir/$m.ko"
		fi
		for dep in $(ko_field "$mdir/$m.ko" depends | tr ',' ' '); do
			[ -s "$mdir/$dep.ko" ] || case " $want " in *" $dep "*) ;; *) want="$dep $want" ;; esac
		done
		echo "module $series $m $mdir/$m.ko"
	done
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
		trap - EXIT
	fi
}

MODULES=""
if [ "${1:-}" = --modules ]; then
	[ $# -ge 2 ] || die "--modules needs a comma-separated list of module names"
	MODULES=$2
	shift 2
fi
# shellcheck disable=SC2086 # word splitting of the series list is intended
[ $# -gt 0 ] || set -- $ALL_SERIES
for s in "$@"; do
	if [ -n "$MODULES" ]; then
		fetch_series "$s" >/dev/null
		fetch_modules "$s" "$MODULES"
	fi
	fetch_series "$s"
done
