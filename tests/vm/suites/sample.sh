#!/bin/sh
# The access sampler of the kernel module (CONTIG_IOC_SAMPLE): the cases
# of /guest/contig_sample_test with every symbol, then the module loaded
# with symbols=0 offers no sampler; no warning in the kernel log.
#
# sample.sh cost: what the sampler costs instead, a measurement and no
# test (not in ctest): /guest/observer_bench_static (CONTIG_VM_EXTRA_FILES)
# with the kernel helper's sampler, its CPU per sampled address and the
# slowdown of a memory-bound loop against an unwatched twin in the same
# boot (TCG: read the ratios, not the times); one CONTIG-JSON line.
set -u

fail() { echo "sample: FAIL: $*"; exit 1; }

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
if [ "${1:-}" = cost ]; then
	command -v observer_bench_static >/dev/null ||
		fail "no observer_bench_static in /guest (CONTIG_VM_EXTRA_FILES)"
	observer_bench_static --sampler-only --procs 20 --watch-mib 512 \
		--watch-seconds 30 --loop-mib 64 --loop-phases 4 \
		--loop-seconds 15 --loop-warmup 3 --sample-seconds 1 \
		>/tmp/cost.json 2>/tmp/cost.err ||
		fail "observer_bench_static: $(cat /tmp/cost.err)"
	grep -q '"sampler_source":"young"' /tmp/cost.json ||
		fail "not the kernel helper's sampler: $(cat /tmp/cost.json)"
	echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"bench\":$(cat /tmp/cost.json)}"
	if dmesg | grep -E 'WARNING|BUG|Oops|general protection'; then
		fail "the kernel complained"
	fi
	echo "sample: ok"
	exit 0
fi
dmesg | grep 'contig:' | sed 's/^/sample: dmesg: /'
contig_sample_test || fail "contig_sample_test"
rmmod contig || fail "rmmod contig"
insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
contig_sample_test --absent || fail "contig_sample_test --absent"
if dmesg | grep -E 'WARNING|BUG|Oops|general protection'; then
	fail "the kernel complained"
fi
echo "sample: ok"
