#!/bin/sh
# End to end in the guest: contigd (kmod backend, observer as the kernel
# allows) serves a workload that fragments memory with a partner process
# and churn, then hints its 64 MiB buffer with contig_advise(CONTIG_NOW)
# while writer threads in both processes rewrite and verify every page.
# Prints one JSON line (the host reads it, see tests/vm/README):
#   CONTIG-JSON: {"kernel":...,"before":{...},"after":{...},
#              "integrity_errors":N,"pages_exchanged":N,"seconds":S,...}
# and fails unless contigctl status says "submission":"io_uring",
# after.runs_99 == 1, after.largest_run_pct >= 99 and integrity_errors == 0.
# Usage: e2e.sh [MiB]     (default 64)
# Needs /guest/contigd_static, contigctl_static, contig_workload_static
# (CONTIG_VM_EXTRA_FILES).
set -eu
. /suite-lib/contigd.sh
. /suite-lib/json.sh

mib=${1:-64}
rd=/tmp/contigd
fail() {
	echo "e2e: FAIL: $*"
	[ -f /tmp/contigd.log ] && grep -v libbpf /tmp/contigd.log | sed 's/^/e2e: contigd: /' | tail -n 40
	[ -f "$rd/metrics.prom" ] && grep '^contigd_ops_failed_total\|^contigd_passes' "$rd/metrics.prom" | sed 's/^/e2e: /'
	exit 1
}

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
for p in contigd_static contigctl_static contig_workload_static; do
	command -v "$p" >/dev/null || fail "no $p in /guest (CONTIG_VM_EXTRA_FILES)"
done

mkdir -p "$rd"
contigd_static --backend kmod --runtime-dir "$rd" -v >/tmp/contigd.log 2>&1 &
dpid=$!
contigd_wait_socket "$rd" "$dpid" 30
status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "contigctl status"
echo "e2e: status: $status"
case $status in
*'"backend":"kmod"'*) ;;
*) fail "contigd did not pick the kmod backend" ;;
esac
# The module takes batches through io_uring: contigd must use it.
case $status in
*'"submission":"io_uring"'*) ;;
*) fail "contigd does not submit through io_uring" ;;
esac

t0=$(date +%s)
out=$(CONTIGD_RUNTIME_DIR=$rd CONTIG_TIMEOUT_MS=600000 \
	contig_workload_static --mib "$mib" --writers 2 --json) || wrc=$?
t1=$(date +%s)
echo "e2e: workload: $out (exit ${wrc:-0})"
status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "contigctl status"
echo "e2e: status: $status"
kill -TERM "$dpid"
wait "$dpid" || fail "contigd exited with status $? on SIGTERM"

before=$(obj before "$out")
after=$(obj after "$out")
errors=$(num integrity_errors "$out")
exchanged=$(num pages_exchanged "$status")
moved=$(num pages_moved "$status")
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"before\":$before,\"after\":$after,\"integrity_errors\":$errors,\"pages_exchanged\":$exchanged,\"pages_moved\":$moved,\"seconds\":$((t1 - t0)),\"hint_error\":\"$(printf '%s\n' "$out" | sed -n 's/.*"hint_error":"\([^"]*\)".*/\1/p')\"}"

[ -n "$after" ] || fail "no figures from the workload"
[ "$errors" = 0 ] || fail "$errors integrity errors"
[ "$(num runs_99 "$after")" = 1 ] || fail "after.runs_99 is $(num runs_99 "$after"), not 1"
pct=$(num largest_run_pct "$after")
[ "${pct%.*}" -ge 99 ] || fail "after.largest_run_pct is $pct"
grep -q "AddressSanitizer\|Segmentation" /tmp/contigd.log && fail "contigd crashed"
echo "e2e: ok"
