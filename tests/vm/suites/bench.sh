#!/bin/sh
# Benchmark: exchange N pairs of in-use pages in place, and swap the same
# pairs by migration; prints one "CONTIG-JSON: {...}" line.
# Usage: bench.sh [PAIRS]   (default 4096)
set -u

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || { echo "bench: contig.ko did not load"; exit 1; }
contig_test bench "${1:-4096}"
