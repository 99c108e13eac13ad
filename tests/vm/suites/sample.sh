#!/bin/sh
# The access sampler of the kernel module (CONTIG_IOC_SAMPLE): the cases
# of /guest/contig_sample_test with every symbol, then the module loaded
# with symbols=0 offers no sampler; no warning in the kernel log.
set -u

fail() { echo "sample: FAIL: $*"; exit 1; }

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
dmesg | grep 'contig:' | sed 's/^/sample: dmesg: /'
contig_sample_test || fail "contig_sample_test"
rmmod contig || fail "rmmod contig"
insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
contig_sample_test --absent || fail "contig_sample_test --absent"
if dmesg | grep -E 'WARNING|BUG|Oops|general protection'; then
	fail "the kernel complained"
fi
echo "sample: ok"
