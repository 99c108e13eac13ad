#!/bin/sh
# Huge pages in the guest (THP=always).  First /guest/contig_thp_test
# (TAP): the kernel helper's CONTIG_OP_F_SPLIT op by op.  Then contigd
# (kmod backend) serves a
# workload whose 64 MiB buffer mixes 16 THPs (MADV_COLLAPSE of every other
# 2 MiB block) with base pages faulted interleaved with a partner process,
# hinted with contig_advise(CONTIG_NOW) while writer threads in both
# processes rewrite and verify every page.  khugepaged is kept asleep (it
# would collapse blocks behind the pass's back; see contig(4)).
# Prints one JSON line:
#   CONTIG-JSON: {"kernel":...,"before":{...},"after":{...},"thp":{...},
#              "integrity_errors":N,"splits":N,...}
# and fails unless the buffer held THPs before, after.runs_99 == 1,
# at least 90 % of the buffer is PMD-mapped after (the pass's aligned
# blocks promoted in place), integrity_errors == 0 and no op failed for a
# large folio.  Before that, /guest/contig_promote_test (TAP): the
# kernel helper's CONTIG_OP_PROMOTE case by case.
# Needs /guest/contigd_static, contigctl_static, contig_workload_static
# (CONTIG_VM_EXTRA_FILES).
set -eu
. /suite-lib/contigd.sh
. /suite-lib/json.sh

rd=/tmp/contigd
thp=/sys/kernel/mm/transparent_hugepage
fail() {
	echo "thp: FAIL: $*"
	[ -f /tmp/contigd.log ] && grep -v libbpf /tmp/contigd.log | sed 's/^/thp: contigd: /' | tail -n 40
	[ -f "$rd/metrics.prom" ] && grep '^contigd_ops_failed_total\|^contigd_passes\|^contigd_folio' "$rd/metrics.prom" | sed 's/^/thp: /'
	exit 1
}

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
for p in contigd_static contigctl_static contig_workload_static; do
	command -v "$p" >/dev/null || fail "no $p in /guest (CONTIG_VM_EXTRA_FILES)"
done
[ -d "$thp" ] || fail "no $thp: kernel without THP"
echo always >"$thp/enabled" || fail "cannot set THP=always"
echo 600000 >"$thp/khugepaged/scan_sleep_millisecs"
echo 600000 >"$thp/khugepaged/alloc_sleep_millisecs"
echo "thp: enabled: $(cat "$thp/enabled")"

# The split op itself, case by case (exact outcomes, contents intact).
rc=0
contig_thp_test >/tmp/thp_test.tap 2>&1 || rc=$?
sed 's/^/thp: /' /tmp/thp_test.tap
grep -q '^not ok' /tmp/thp_test.tap && rc=1
[ "$rc" -eq 0 ] || fail "contig_thp_test failed"

# In-place promotion, case by case (frames kept, refusals exact).
rc=0
contig_promote_test >/tmp/promote_test.tap 2>&1 || rc=$?
sed 's/^/thp: /' /tmp/promote_test.tap
grep -q '^not ok' /tmp/promote_test.tap && rc=1
[ "$rc" -eq 0 ] || fail "contig_promote_test failed"

mkdir -p "$rd"
contigd_static --backend kmod --runtime-dir "$rd" --stats-file "$rd/metrics.prom" -v >/tmp/contigd.log 2>&1 &
dpid=$!
contigd_wait_socket "$rd" "$dpid" 30

t0=$(date +%s)
out=$(CONTIGD_RUNTIME_DIR=$rd CONTIG_TIMEOUT_MS=600000 \
	contig_workload_static --mib 64 --writers 2 --thp-blocks 16 --json) || wrc=$?
t1=$(date +%s)
echo "thp: workload: $out (exit ${wrc:-0})"
status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "contigctl status"
echo "thp: status: $status"
kill -TERM "$dpid"
wait "$dpid" || fail "contigd exited with status $? on SIGTERM"
grep '^contigd_ops_failed_total\|^contigd_folio' "$rd/metrics.prom" | sed 's/^/thp: /' || true

before=$(obj before "$out")
after=$(obj after "$out")
thpj=$(obj thp "$out")
errors=$(num integrity_errors "$out")
splits=$(sed -n 's/^contigd_folios_split_total \([0-9]*\)$/\1/p' "$rd/metrics.prom")
unsupported=$(sed -n 's/^contigd_ops_failed_total{reason="unsupported"} \([0-9]*\)$/\1/p' "$rd/metrics.prom")
promotions=$(sed -n 's/^contigd_promotions_total \([0-9]*\)$/\1/p' "$rd/metrics.prom")
grep '^contigd_promotion' "$rd/metrics.prom" | grep -v ' 0$' | sed 's/^/thp: /' || true
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"before\":$before,\"after\":$after,\"thp\":$thpj,\"integrity_errors\":$errors,\"splits\":${splits:-0},\"ops_unsupported\":${unsupported:-0},\"promotions\":${promotions:-0},\"seconds\":$((t1 - t0))}"

[ -n "$after" ] || fail "no figures from the workload"
[ "$(num collapsed "$thpj")" = 16 ] || fail "the workload collapsed $(num collapsed "$thpj") blocks, not 16"
[ "$(num anon_huge_kib_before "$thpj")" -ge $((16 * 2048)) ] || fail "only $(num anon_huge_kib_before "$thpj") KiB of THPs before the hint"
[ "$errors" = 0 ] || fail "$errors integrity errors"
[ "${unsupported:-0}" = 0 ] || fail "$unsupported ops refused as unsupported"
[ "$(num runs_99 "$after")" = 1 ] || fail "after.runs_99 is $(num runs_99 "$after"), not 1"
# The pass left every 2 MiB block on aligned frames: promoted in place,
# at least 90 % of the 64 MiB buffer is mapped by PMDs again.
huge_after=$(num anon_huge_kib_after "$thpj")
[ "${huge_after:-0}" -ge $((64 * 1024 * 9 / 10)) ] || fail "AnonHugePages after is ${huge_after:-0} KiB, under 90 % of 64 MiB (promotions: ${promotions:-0})"
grep -q "AddressSanitizer\|Segmentation" /tmp/contigd.log && fail "contigd crashed"
echo "thp: ok"
