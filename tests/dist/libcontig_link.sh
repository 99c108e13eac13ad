#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# libcontig as a user gets it: install the build into a scratch root, then
#  - the archive and the shared object define no global symbol but contig_*
#  - a program links statically through `pkg-config --static contig`
#    (static_user.c, which owns the names libcontig uses inside) and runs
#  - the same program links against the shared library and runs.
# With sanitizers (SANITIZE=1) the library needs their runtime: the
# program links against the shared library only, with -fsanitize.
# Usage: libcontig_link.sh BUILD_DIR SOURCE_DIR [SANITIZE]
set -eu
build=$1
src=$2
sanitize=${3:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "libcontig_link: FAIL: $*" >&2; exit 1; }

DESTDIR=$tmp/root cmake --install "$build" >/dev/null
pc=$(find "$tmp/root" -name contig.pc | head -n 1)
[ -n "$pc" ] || fail "contig.pc not installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
libdir=$(dirname "$PKG_CONFIG_PATH")
archive=$libdir/libcontig.a
[ -f "$archive" ] || fail "$archive not installed"

for lib in "$archive" "$libdir/libcontig.so"; do
	case $lib in
	*.so) syms=$(nm -D --defined-only "$lib") ;;
	*) syms=$(nm -g --defined-only "$lib") ;;
	esac
	extra=$(printf '%s\n' "$syms" | awk 'NF == 3 && $3 !~ /^contig_/ && $3 != "LIBCONTIG_0" { print $3 }')
	[ -z "$extra" ] || fail "$(basename "$lib") exports: $(printf '%s' "$extra" | tr '\n' ' ')"
	echo "$(basename "$lib"): only contig_* exported"
done

mkdir "$tmp/run"
export CONTIGD_RUNTIME_DIR="$tmp/run"
san=
if [ "$sanitize" = 1 ]; then
	san=-fsanitize=address,undefined
	echo "libcontig_link: sanitized build: no static link"
else
	# shellcheck disable=SC2046  # pkg-config prints words
	cc -static -o "$tmp/static_user" "$src/tests/dist/static_user.c" \
		$(pkg-config --cflags --libs --static contig) ||
		fail "static link through pkg-config --static contig"
	"$tmp/static_user" || fail "the statically linked program"
	file "$tmp/static_user" | grep -q 'statically linked' || fail "not static"
fi
# shellcheck disable=SC2046,SC2086  # words; $san may be empty
cc $san -o "$tmp/shared_user" "$src/tests/dist/static_user.c" \
	$(pkg-config --cflags --libs contig) -Wl,-rpath,"$libdir" ||
	fail "shared link through pkg-config contig"
"$tmp/shared_user" || fail "the program linked against libcontig.so"
echo "libcontig_link: ok"
