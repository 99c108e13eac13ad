#!/bin/sh
# /dev/contig through io_uring: the cases of /guest/contig_uring_test
# (TAP), then its benchmark (the same pairs by ioctl, then through the
# ring with batches in flight: one CONTIG-JSON line), then the module
# loaded with symbols=0 (exchanges by migration) passes the cases that do
# not compare with the ioctl; no warning in the kernel log.
set -u

fail() { echo "uring: FAIL: $*"; exit 1; }

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
dmesg | grep 'contig:' | sed 's/^/uring: dmesg: /'
contig_uring_test || fail "contig_uring_test exited with status $?"
contig_uring_test bench "${CONTIG_URING_PAIRS:-8192}" | sed 's/^/uring: /' ||
	fail "contig_uring_test bench"
rmmod contig || fail "rmmod contig"
insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
# Migration only: the module cannot drain other CPUs' LRU caches, where
# the pages the async workers just moved sit, so a claim by the ioctl
# from another CPU right after may find them unmovable (-EBUSY,
# contig(4) CAVEATS): no case that compares with the ioctl.
contig_uring_test info_cap_uring probe_empty_batch move_to_any_frame \
	batches_in_flight bad_sqes ||
	fail "contig_uring_test (migration only) exited with status $?"
if dmesg | grep -E 'WARNING|BUG|Oops|general protection'; then
	fail "the kernel complained"
fi
echo "uring: ok"
