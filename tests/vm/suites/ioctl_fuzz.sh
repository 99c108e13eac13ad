#!/bin/sh
# Hostile callers of /dev/contig: 100 000 random and mutated batches from
# four threads (guest/contig_ioctl_fuzz.c), first with every symbol, then
# on the migration fallback. Pages must keep their contents, none may stay
# isolated or leak; tests/vm/run fails the run on any BUG/WARNING/Oops.
# Usage: ioctl_fuzz.sh [BATCHES]
set -eu
n=${1:-100000}
fail() { echo "ioctl_fuzz: FAIL: $*"; exit 1; }
[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
contig_ioctl_fuzz "$n" 4 || fail "contig_ioctl_fuzz (all symbols)"
rmmod contig || fail "rmmod contig"
insmod /contig.ko symbols=0 || fail "insmod contig.ko symbols=0"
contig_ioctl_fuzz "$n" 4 || fail "contig_ioctl_fuzz (migration fallback)"
echo "ioctl_fuzz: ok"
