#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The packages deb_build.sh made, installed into a clean Debian 12 root
# (a copy of a debootstrap --variant=minbase root cached under
# ~/.cache/contigd/debian12-root, built on first use), where:
#  - dpkg installs all four; the unit, the configuration, the
#    modules-load.d entry and the DKMS tree are in place;
#  - DKMS builds and installs contig.ko against the Debian 6.1 headers
#    that tests/vm/fetch-kernels caches (~/.cache/contigd/vm/6.1);
#  - a program links statically against the installed libcontig through
#    pkg-config and runs;
#  - contigd --check-config accepts the shipped configuration file and
#    refuses a bad one with file:line and exit 7.
# Needs root (chroot). Usage: deb_install.sh DEB_DIR SOURCE_DIR
set -eu
debs=$1
src=$2
cache=${CONTIGD_CACHE:-${HOME:-/root}/.cache/contigd}
# What the packages depend on (liburing2: contigd's io_uring submission),
# plus a compiler for DKMS and the static link. The cache is named after
# the list, so a changed list makes a new root.
root_pkgs=dkms,gcc,make,libc6-dev,pkg-config,libbpf1,libcap2,liburing2,kmod
root_cache=$cache/debian12-root-$(printf %s "$root_pkgs" | md5sum | cut -c1-8)
kcache=${CONTIGD_VM_CACHE:-$cache/vm}/6.1
fail() { echo "deb_install: FAIL: $*" >&2; exit 1; }
skip() { echo "deb_install: skip: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (chroot)"
command -v debootstrap >/dev/null || skip "no debootstrap (scripts/install-deps)"
[ -d "$kcache/root" ] || skip "no 6.1 headers in $kcache (tests/vm/fetch-kernels 6.1)"
ls "$debs"/*.deb >/dev/null 2>&1 || fail "no .deb in $debs (deb_build first)"

# The cached root ($root_pkgs), made once, renamed into place when
# complete.
if [ ! -d "$root_cache" ]; then
	echo "deb_install: debootstrap into $root_cache (once)"
	rm -rf "$root_cache.tmp"
	mkdir -p "$cache"
	debootstrap --variant=minbase \
		--include="$root_pkgs" \
		bookworm "$root_cache.tmp" http://deb.debian.org/debian \
		>"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log"; fail "debootstrap"; }
	rm -rf "$root_cache.tmp/var/cache/apt/archives"/*.deb
	mv "$root_cache.tmp" "$root_cache"
fi

tmp=$(mktemp -d)
r=$tmp/root
cleanup() {
	umount "$r/proc" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
cp -a "$root_cache" "$r"
# The headers packages' trees (/lib is a link to /usr/lib in the root).
cp -a "$kcache/root/usr/." "$r/usr/"
cp -a "$kcache/root/lib/." "$r/lib/."
kver=$(ls "$kcache/root/lib/modules")
# Its relative links assumed /lib/modules; here that is /usr/lib/modules.
ln -sfn "/usr/src/linux-headers-$kver" "$r/usr/lib/modules/$kver/build"
ln -sfn "/usr/src/$(readlink "$kcache/root/lib/modules/$kver/source" | sed 's|.*/||')" \
	"$r/usr/lib/modules/$kver/source"
mkdir -p "$r/debs"
cp "$debs"/*.deb "$r/debs/"
cp "$src/tests/dist/static_user.c" "$r/"
mount -t proc proc "$r/proc" || fail "mounting /proc in the chroot"
in_root() { chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

in_root sh -c 'dpkg -i /debs/*.deb' >"$tmp/dpkg.log" 2>&1 ||
	{ cat "$tmp/dpkg.log"; fail "dpkg -i"; }
# shellcheck disable=SC2016  # dpkg-query's own ${Package}
echo "deb_install: installed $(in_root dpkg-query -W -f '${Package} ' contigd contig-dkms libcontig0 libcontig-dev)"
for f in /usr/sbin/contigd /usr/bin/contigctl /lib/systemd/system/contigd.service \
	/etc/contigd/contigd.conf /usr/lib/modules-load.d/contig.conf; do
	[ -e "$r$f" ] || fail "$f not installed"
done
grep -qx contig "$r/usr/lib/modules-load.d/contig.conf" || fail "modules-load.d entry"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$r"/usr/src/contig-*/dkms.conf)
[ -n "$ver" ] || fail "no PACKAGE_VERSION in dkms.conf"
in_root dkms status -m contig | grep -q "contig/$ver" || fail "dkms does not know contig/$ver"
in_root dkms build -m contig -v "$ver" -k "$kver" >"$tmp/dkms.log" 2>&1 ||
	{ cat "$tmp/dkms.log"; cat "$r/var/lib/dkms/contig/$ver/build/make.log" 2>/dev/null; fail "dkms build against $kver"; }
in_root dkms install -m contig -v "$ver" -k "$kver" >>"$tmp/dkms.log" 2>&1 ||
	{ cat "$tmp/dkms.log"; fail "dkms install for $kver"; }
ko=$(find "$r/lib/modules/$kver" -name 'contig.ko*' | head -n 1)
[ -n "$ko" ] || fail "contig.ko not installed under /lib/modules/$kver"
vm=$(in_root modinfo -F vermagic "${ko#"$r"}")
case $vm in "$kver "*) ;; *) fail "contig.ko vermagic '$vm', want $kver" ;; esac
echo "deb_install: dkms built and installed ${ko#"$r"} ($vm)"

mkdir -p "$r/tmp/run"
# shellcheck disable=SC2016  # expanded by the shell in the root
in_root sh -c 'cc -static -o /static_user /static_user.c $(pkg-config --cflags --libs --static contig)' ||
	fail "static link against the installed libcontig"
in_root env CONTIGD_RUNTIME_DIR=/tmp/run /static_user || fail "the static program"

in_root contigd --check-config >"$tmp/check.log" 2>&1 ||
	{ cat "$tmp/check.log"; fail "the shipped contigd.conf does not pass --check-config"; }
printf 'observer = sometimes\n' >"$r/tmp/bad.conf"
set +e
in_root contigd --check-config /tmp/bad.conf >"$tmp/check.log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 7 ] || ! grep -q '/tmp/bad.conf:1:' "$tmp/check.log"; then
	cat "$tmp/check.log"
	fail "--check-config on a bad file: exit $rc"
fi
echo "deb_install: ok"
