#!/bin/sh
# One strategy of the benchmark (bench/run): the workload of the e2e suite
# fragments memory with a partner process and churn, then one strategy
# acts on its buffer while the writer threads rewrite and check every
# page:
#   baseline  nothing
#   collapse  madvise(MADV_COLLAPSE) over the buffer, by the workload
#   rfc       contigd (kmod backend) with "anchor = rfc": the exchange-pages
#             RFC's rule, windows first fit from the start of the zone
#   contigd   contigd (kmod backend) as shipped
# The daemon strategies are asked with contig_advise(CONTIG_NOW).
# Two starting points: fresh (a freshly booted guest, most memory free)
# and full (before the workload, contig_scatter holds all but about
# 512 MiB of the free memory, faulted in random order: few free frames and
# no free 2 MiB block; its pages are checked at the end too).
# Prints one line for the host:
#   CONTIG-JSON: {"kernel","strategy","scenario","mib","before":{...},"after":{...},
#     "misplaced_min","pages_changed","pages_moved","page_ops",
#     "ops_per_misplaced","wall_s","integrity_errors","hint_error"}
# pages_moved counts page copies (a move 1, an exchange 2, a collapsed
# page 1); page_ops the daemon's operations (moves + exchanges) or, for
# collapse, its page copies; misplaced_min the fewest pages that any one
# physical run would have to move (from the frames before).
# Fails only on integrity errors or a missing figure: how well a strategy
# does is what is measured, not asserted.
# Usage: compare.sh STRATEGY [MiB [fresh|full]]     (default 64 fresh)
# Needs contigd_static, contigctl_static, contig_workload_static in /guest.
set -eu
. /suite-lib/contigd.sh
. /suite-lib/json.sh
. /suite-lib/filler.sh

strategy=${1:-}
mib=${2:-64}
scenario=${3:-fresh}
rd=/tmp/contigd
fpid=
fail() {
	echo "compare: FAIL: $*"
	if [ -n "$fpid" ]; then kill -KILL "$fpid" 2>/dev/null || true; fi
	[ -f /tmp/contigd.log ] && grep -v libbpf /tmp/contigd.log | sed 's/^/compare: contigd: /' | tail -n 30
	exit 1
}

case $strategy in
baseline) hint=none ;;
collapse) hint=collapse ;;
rfc | contigd) hint=now ;;
*) fail "usage: compare.sh baseline|collapse|rfc|contigd [MiB]" ;;
esac
case $scenario in fresh | full) ;; *) fail "scenario $scenario: not fresh or full" ;; esac
command -v contig_workload_static >/dev/null || fail "no contig_workload_static in /guest"

# full: a filler of all but 512 MiB of MemFree (contig_scatter faults the
# MiB it is given and half the pages of a second mapping that size).
if [ "$scenario" = full ]; then
	filler_start 512
	fpid=$filler_pid
	echo "compare: filler holds about $filler_mib MiB; $(grep MemFree /proc/meminfo)"
fi

dpid=
if [ "$hint" = now ]; then
	[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
	mkdir -p "$rd"
	: >/tmp/contigd.conf
	[ "$strategy" = rfc ] && echo "anchor = rfc" >/tmp/contigd.conf
	contigd_static --backend kmod --config /tmp/contigd.conf \
		--runtime-dir "$rd" -v >/tmp/contigd.log 2>&1 &
	dpid=$!
	contigd_wait_socket "$rd" "$dpid" 30
	if [ "$strategy" = rfc ]; then
		grep -q "anchor rule rfc" /tmp/contigd.log || fail "contigd did not take anchor = rfc"
	fi
fi

wrc=0
out=$(CONTIGD_RUNTIME_DIR=$rd CONTIG_TIMEOUT_MS=1200000 \
	contig_workload_static --mib "$mib" --writers 2 --hint "$hint" --json) || wrc=$?
echo "compare: $strategy: workload (exit $wrc): $out"
case $wrc in 0 | 3) ;; *) fail "the workload exited with $wrc" ;; esac

moves=0 exchanges=0
if [ -n "$dpid" ]; then
	status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "contigctl status"
	echo "compare: $strategy: status: $status"
	moves=$(num pages_moved "$status")
	exchanges=$(num pages_exchanged "$status")
	kill -TERM "$dpid"
	wait "$dpid" || fail "contigd exited with status $? on SIGTERM"
fi

filler_bad=0
if [ -n "$fpid" ]; then
	kill -TERM "$fpid"
	wait "$fpid" || filler_bad=1
	fpid=
	sed 's/^/compare: filler: /' /tmp/filler.out | tail -n 2
	[ "$filler_bad" = 0 ] || fail "the filler found pages corrupt"
fi

before=$(obj before "$out")
after=$(obj after "$out")
errors=$(num integrity_errors "$out")
misplaced=$(num misplaced_min "$out")
changed=$(num changed "$out")
[ -n "$after" ] && [ -n "$misplaced" ] && [ -n "$changed" ] ||
	fail "no figures from the workload"
case $strategy in
collapse) copies=$changed ops=$changed ;;
*) copies=$((moves + 2 * exchanges)) ops=$((moves + exchanges)) ;;
esac
per=$(awk -v o="$ops" -v m="$misplaced" 'BEGIN { printf "%.3f", m ? o / m : 0 }')
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"strategy\":\"$strategy\",\"scenario\":\"$scenario\",\"mib\":$mib,\"before\":$before,\"after\":$after,\"misplaced_min\":$misplaced,\"pages_changed\":$changed,\"pages_moved\":$copies,\"moves\":$moves,\"exchanges\":$exchanges,\"page_ops\":$ops,\"ops_per_misplaced\":$per,\"wall_s\":$(num hint_seconds "$out"),\"integrity_errors\":$errors,\"hint_error\":\"$(printf '%s\n' "$out" | sed -n 's/.*"hint_error":"\([^"]*\)".*/\1/p')\"}"
[ "$errors" = 0 ] || fail "$errors integrity errors"
echo "compare: ok"
