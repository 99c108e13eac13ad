#!/bin/sh
# How a MOVE batch claims its frames (tests/vm/guest/contig_claim_test.c):
# taken off the free lists without per-op drains, unused ones given back.
# Also part of the kmod suite; on its own for a quick run, followed by the
# exchange microbenchmark (bench.sh) when given a pair count.
# Usage: claim.sh [PAIRS]
set -u

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || { echo "claim: contig.ko did not load"; exit 1; }
rc=0
contig_claim_test || { echo "claim: FAIL: contig_claim_test exited with status $?"; rc=1; }
if [ $# -gt 0 ]; then
	contig_test bench "$1" || { echo "claim: FAIL: contig_test bench exited with status $?"; rc=1; }
fi
[ "$rc" -eq 0 ] && echo "claim: ok"
exit "$rc"
