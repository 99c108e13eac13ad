#!/bin/sh
# Minimal suite: the module loaded and created /dev/contig, and the guest
# has enough memory, including a Normal zone (RAM above 4 GiB).
# Usage: smoke.sh [--no-normal]   (--no-normal: do not require a Normal zone)
set -eu

need_normal=1
[ "${1:-}" = --no-normal ] && need_normal=0

fail() { echo "smoke: FAIL: $*"; exit 1; }

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
grep -qw contig /proc/modules || fail "contig is not in /proc/modules"
[ -c /dev/contig ] || fail "/dev/contig is missing or not a character device"
echo "smoke: /dev/contig: $(ls -l /dev/contig)"
grep -w contig /proc/misc || fail "contig is not in /proc/misc"

echo "smoke: zones:"
grep -E '^Node [0-9]+, zone' /proc/zoneinfo
if [ "$need_normal" = 1 ]; then
	present=$(awk '/^Node [0-9]+, zone +Normal/ { z = 1; next } /^Node/ { z = 0 } z && $1 == "present" { print $2; exit }' /proc/zoneinfo)
	if [ -z "$present" ] || [ "$present" -eq 0 ]; then
		fail "no populated Normal zone (boot with more memory: tests/vm/run --mem)"
	fi
	echo "smoke: Normal zone: $present pages"
fi

free_pages=$(awk '$1 == "nr_free_pages" { print $2; exit }' /proc/vmstat)
[ "$free_pages" -ge 4096 ] || fail "only $free_pages free pages"
echo "smoke: $free_pages free pages"

for g in /guest/*; do
	[ -x "$g" ] && echo "smoke: guest program $(basename "$g")"
done
echo "smoke: ok"
