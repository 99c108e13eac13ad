#!/bin/sh
# Stress in the guest: contigd (kmod backend) works through >= 100 000
# pages (moved or exchanged) of workloads whose chaos thread keeps
# forking children that read the buffer and exit, mapping and unmapping a
# side region and mprotect()ing parts of the buffer (splitting its VMA)
# while the writer threads rewrite and check every page. Nothing may be
# lost (integrity errors 0 in every run); the kernel log must stay free of
# BUG/WARNING/Oops (tests/vm/run checks). Targets of contiguity are not
# asked for here: the chaos splits the very VMAs being worked on.
# Prints "CONTIG-JSON: {...}" with the totals.
# Usage: stress.sh [MIN_PAGES] [MiB per run]   (default 100000 128)
set -eu

min=${1:-100000}
mib=${2:-128}
rd=/tmp/contigd
fail() {
	echo "stress: FAIL: $*"
	[ -f /tmp/contigd.log ] && grep -v libbpf /tmp/contigd.log | tail -n 30 | sed 's/^/stress: contigd: /'
	exit 1
}
num() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
mkdir -p "$rd"
contigd_static --backend kmod --runtime-dir "$rd" >/tmp/contigd.log 2>&1 &
dpid=$!
i=0
until [ -S "$rd/contigd.sock" ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "contigd did not start"
	sleep 0.1
done

t0=$(date +%s)
runs=0 done_pages=0 errors=0 forks=0 mprotects=0
while [ "$done_pages" -lt "$min" ]; do
	runs=$((runs + 1))
	[ "$runs" -le 12 ] || fail "only $done_pages pages after 11 runs"
	rc=0
	out=$(CONTIGD_RUNTIME_DIR=$rd CONTIG_TIMEOUT_MS=600000 \
		contig_workload_static --mib "$mib" --writers 1 --chaos --json) || rc=$?
	echo "stress: run $runs (exit $rc): $out"
	case $rc in 0 | 3) ;; *) fail "workload run $runs exited with $rc" ;; esac
	e=$(num integrity_errors "$out")
	[ "$e" = 0 ] || fail "run $runs: $e integrity errors"
	forks=$((forks + $(num forks "$out")))
	mprotects=$((mprotects + $(num mprotects "$out")))
	status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "status"
	done_pages=$(($(num pages_moved "$status") + $(num pages_exchanged "$status")))
done
kill -0 "$dpid" 2>/dev/null || fail "contigd died"
kill -TERM "$dpid"
wait "$dpid" || fail "contigd exited with status $?"
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"runs\":$runs,\"pages_moved\":$(num pages_moved "$status"),\"pages_exchanged\":$(num pages_exchanged "$status"),\"ops_failed\":$(num ops_failed "$status"),\"forks\":$forks,\"mprotects\":$mprotects,\"integrity_errors\":$errors,\"seconds\":$(($(date +%s) - t0))}"
echo "stress: ok"
