#!/bin/bash
# Installs what building and testing khugetrace needs on a Debian 12 machine.
# Idempotent and quiet when everything is already there; never edits apt sources.
set -eu
pkgs="make gcc clang pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev help2man man-db
      qemu-system-x86 busybox-static bash-static cpio zstd xz-utils ca-certificates util-linux e2fsprogs xfsprogs"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install them." >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# qemu's recommends pull in a desktop stack the tests never use
apt-get install -y -qq --no-install-recommends $missing >/dev/null
