#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Licensing as a distribution checks it:
#  - `reuse lint`: every file has its license and copyright, every
#    license used has its text in LICENSES/;
#  - libcontig (MIT, see COPYING) is built only from MIT sources: each
#    source CMake compiles into it, and each header those include from
#    the tree, says MIT in its SPDX line.
# Usage: license_check.sh SOURCE_DIR LIBCONTIG_SOURCES_TXT
set -eu
src=$1
list=$2
fail() { echo "license_check: FAIL: $*" >&2; exit 1; }
command -v reuse >/dev/null || { echo "license_check: skip: no reuse (scripts/install-deps)"; exit 77; }

out=$(cd "$src" && reuse lint 2>&1) ||
	{ printf '%s\n' "$out" | tail -n 40; fail "reuse lint"; }

# (no colon after it here: reuse would read it as this file's license)
tag=SPDX-License-Identifier
n=0
while read -r f; do
	# shellcheck disable=SC1003  # tr deletes the backslashes
	deps=$(cc -MM -I"$src/include" -I"$src/src/lib" -I"$src/src/proto" \
		-I"$src/src/core" "$f" | tr -d '\\' | tr ' ' '\n' |
		grep "^$src/" || true)
	for d in $deps; do
		lic=$(grep -m1 -o "$tag: .*" "$d" |
			sed "s/$tag: //; s/ *\\*\\/\$//")
		case $lic in
		MIT | *" OR MIT" | *" OR MIT)") ;;
		*) fail "${d#"$src/"} is in libcontig but licensed '$lic'" ;;
		esac
		n=$((n + 1))
	done
done <"$list"
[ "$n" -gt 0 ] || fail "no libcontig sources in $list"
echo "license_check: ok ($n libcontig files checked, all MIT)"
