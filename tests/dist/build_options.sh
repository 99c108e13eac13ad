#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# What a distribution's build gets, configured from scratch:
#  - BUILD_TESTING=OFF configures with Check hidden from pkg-config and
#    defines no test program;
#  - warnings are errors only with CONTIG_WERROR=ON.
# Usage: build_options.sh SOURCE_DIR
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "build_options: FAIL: $*" >&2; exit 1; }

# pkg-config that knows no Check.
cat > "$tmp/pkg-config" <<'WRAP'
#!/bin/sh
for a in "$@"; do
	case $a in check | check[\ \>=\<]*) exit 1 ;; esac
done
exec pkg-config "$@"
WRAP
chmod +x "$tmp/pkg-config"

cmake -S "$src" -B "$tmp/notest" -DBUILD_TESTING=OFF \
	-DPKG_CONFIG_EXECUTABLE="$tmp/pkg-config" \
	-DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$tmp/notest.log" 2>&1 ||
	{ cat "$tmp/notest.log"; fail "BUILD_TESTING=OFF without Check does not configure"; }
targets=$(cmake --build "$tmp/notest" --target help)
for t in test_planner test_libcontig contig_workload collapse_target; do
	printf '%s\n' "$targets" | grep -q "\\.\\.\\. $t\$" &&
		fail "BUILD_TESTING=OFF still defines $t"
done
for t in contigd contigctl contig; do
	printf '%s\n' "$targets" | grep -q "\\.\\.\\. $t\$" ||
		fail "BUILD_TESTING=OFF lost $t"
done
grep -q -- '-Werror' "$tmp/notest/compile_commands.json" &&
	fail "-Werror without CONTIG_WERROR"
cmake -S "$src" -B "$tmp/werror" -DBUILD_TESTING=OFF -DCONTIG_WERROR=ON \
	-DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null 2>&1 ||
	fail "CONTIG_WERROR=ON does not configure"
grep -q -- '-Werror' "$tmp/werror/compile_commands.json" ||
	fail "CONTIG_WERROR=ON without -Werror"
echo "build_options: ok"
