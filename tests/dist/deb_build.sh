#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The Debian packages: dpkg-buildpackage -us -uc -b on a copy of the
# source tree, lintian with no error, the expected files in each package.
# The .debs are left in OUT_DIR for deb_install.sh.
# Usage: deb_build.sh SOURCE_DIR OUT_DIR
set -eu
src=$1
out=$2
fail() { echo "deb_build: FAIL: $*" >&2; exit 1; }
for t in dpkg-buildpackage dh lintian dh_dkms; do
	command -v "$t" >/dev/null || { echo "deb_build: skip: no $t (scripts/install-deps)"; exit 77; }
done

rm -rf "$out"
mkdir -p "$out/src"
tree=$out/src/contigd
# The tracked files plus the work in progress, never a build directory.
(cd "$src" && { git ls-files -co --exclude-standard 2>/dev/null || find . -type f; }) |
	grep -v '^build/' | grep -v '^\./build/' |
	(cd "$src" && while read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done) |
	tar -C "$src" -cf - -T - | { mkdir -p "$tree" && tar -C "$tree" -xf -; }

(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log"; fail "dpkg-buildpackage"; }
ver=$(cd "$tree" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
for p in contigd_${ver}_$arch libcontig0_${ver}_$arch \
	libcontig-dev_${ver}_$arch contig-dkms_${ver}_all; do
	[ -f "$out/src/$p.deb" ] || fail "$p.deb not built"
	cp "$out/src/$p.deb" "$out/"
done

# lintian: no error (its tags are printed for the record).
lintian --tag-display-limit 0 "$out/src/contigd_${ver}_$arch.changes" \
	>"$out/lintian.txt" 2>&1 || true
cat "$out/lintian.txt"
grep -q '^E: ' "$out/lintian.txt" && fail "lintian reports errors"

has() { # deb path
	dpkg-deb -c "$out/$1" | awk '{ print $6 }' | grep -qx "\\.$2" ||
		fail "$1 lacks $2"
}
up=${ver%-*}
has "contigd_${ver}_$arch.deb" /usr/sbin/contigd
has "contigd_${ver}_$arch.deb" /usr/bin/contigctl
has "contigd_${ver}_$arch.deb" /lib/systemd/system/contigd.service
has "contigd_${ver}_$arch.deb" /etc/contigd/contigd.conf
has "contigd_${ver}_$arch.deb" /usr/share/man/man8/contigd.8.gz
has "contigd_${ver}_$arch.deb" /usr/share/bash-completion/completions/contigctl
has "contig-dkms_${ver}_all.deb" "/usr/src/contig-$up/dkms.conf"
has "contig-dkms_${ver}_all.deb" "/usr/src/contig-$up/include/contig_ioctl.h"
has "contig-dkms_${ver}_all.deb" /usr/lib/modules-load.d/contig.conf
has "libcontig-dev_${ver}_$arch.deb" /usr/include/contig.h
dpkg-deb --fsys-tarfile "$out/contig-dkms_${ver}_all.deb" |
	tar -xOf - "./usr/src/contig-$up/dkms.conf" |
	grep -qx "PACKAGE_VERSION=\"$up\"" || fail "dkms.conf is not version $up"
echo "deb_build: ok (version $ver)"
