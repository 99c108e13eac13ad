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
# Three starting points: fresh (a freshly booted guest, most memory free),
# full (before the workload, contig_scatter holds all but about 512 MiB of
# the free memory, faulted in random order: few free frames and no free
# 2 MiB block; its pages are checked at the end too) and thp (Debian's
# default THP=always: every other 2 MiB block of the buffer a THP, the
# rest base pages faulted interleaved with the partner, as the thp suite
# makes it; the line adds the workload's "thp" object with AnonHugePages
# of the buffer before and after).
# Prints one line for the host:
#   CONTIG-JSON: {"kernel","strategy","scenario","mib","before":{...},"after":{...},
#     "misplaced_min","pages_changed","pages_moved","page_ops",
#     "ops_per_misplaced","wall_s","integrity_errors","hint_error",
#     "profile":{...}}
# profile (rfc, contigd; from the stats file contigd writes as it stops):
# pass_s, the pass's plan_s (frame map, anchor, plan), apply_s (batches in
# the module) and verify_s; the op times the planner weighed in the end
# (move_us, exchange_us, exchange_migrate_us) and the batches they were
# fitted to (cost_batches).
# micro (contigd): the exchange microbenchmark of bench.sh, 1024 pairs,
# run in the same boot after the pass (contig_test bench's JSON object).
# pages_moved counts page copies (a move 1, an exchange 2, a collapsed
# page 1); page_ops the daemon's operations (moves + exchanges) or, for
# collapse, its page copies; misplaced_min the fewest pages that any one
# physical run would have to move (from the frames before).
# Fails only on integrity errors or a missing figure: how well a strategy
# does is what is measured, not asserted.
# Usage: compare.sh STRATEGY [MiB [fresh|full|thp [SETTING...]]]
#                                                  (default 64 fresh)
# SETTINGs, for experiments with the daemon strategies: KEY=VALUE lines
# for contigd.conf (batch=1024), or submission=ioctl (CONTIG_SUBMISSION).
# Needs contigd_static, contigctl_static, contig_workload_static in /guest.
set -eu
. /suite-lib/contigd.sh
. /suite-lib/json.sh
. /suite-lib/filler.sh

strategy=${1:-}
mib=${2:-64}
scenario=${3:-fresh}
[ $# -gt 3 ] && shift 3 || set --
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
thp_args=
case $scenario in
fresh | full) ;;
thp)
	echo always >/sys/kernel/mm/transparent_hugepage/enabled || fail "cannot set THP=always"
	thp_args="--thp-blocks $((mib / 4))"
	;;
*) fail "scenario $scenario: not fresh, full or thp" ;;
esac
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
	for kv in "$@"; do
		case $kv in
		submission=*) export CONTIG_SUBMISSION="${kv#*=}" ;;
		*=*) echo "${kv%%=*} = ${kv#*=}" >>/tmp/contigd.conf ;;
		*) fail "setting $kv: not KEY=VALUE" ;;
		esac
		echo "compare: setting $kv"
	done
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
	contig_workload_static --mib "$mib" --writers 2 --hint "$hint" $thp_args --json) || wrc=$?
echo "compare: $strategy: workload (exit $wrc): $out"
case $wrc in 0 | 3) ;; *) fail "the workload exited with $wrc" ;; esac

# prom NAME: the value of the sample NAME (with its labels) in the stats file
prom() {
	awk -v k="$1" '$1 == k { print $2; exit }' "$rd/metrics.prom" 2>/dev/null
}
us() { awk -v s="${1:-0}" 'BEGIN { printf "%.1f", s * 1e6 }'; }

moves=0 exchanges=0 profile='{}'
if [ -n "$dpid" ]; then
	status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "contigctl status"
	echo "compare: $strategy: status: $status"
	moves=$(num pages_moved "$status")
	exchanges=$(num pages_exchanged "$status")
	kill -TERM "$dpid"
	wait "$dpid" || fail "contigd exited with status $? on SIGTERM"
	profile="{\"pass_s\":$(prom contigd_pass_duration_seconds_sum),\"plan_s\":$(prom 'contigd_pass_phase_seconds_total{phase="plan"}'),\"apply_s\":$(prom 'contigd_pass_phase_seconds_total{phase="apply"}'),\"verify_s\":$(prom 'contigd_pass_phase_seconds_total{phase="verify"}'),\"move_us\":$(us "$(prom 'contigd_op_cost_seconds{kind="move"}')"),\"exchange_us\":$(us "$(prom 'contigd_op_cost_seconds{kind="exchange"}')"),\"exchange_migrate_us\":$(us "$(prom 'contigd_op_cost_seconds{kind="exchange_migrate"}')"),\"cost_batches\":$(prom contigd_op_cost_batches)}"
	echo "compare: $strategy: profile: $profile"
	case $profile in *:,* | *:}*) fail "no profile in the stats file" ;; esac
fi

filler_bad=0
if [ -n "$fpid" ]; then
	kill -TERM "$fpid"
	wait "$fpid" || filler_bad=1
	fpid=
	sed 's/^/compare: filler: /' /tmp/filler.out | tail -n 2
	[ "$filler_bad" = 0 ] || fail "the filler found pages corrupt"
fi

micro='{}'
if [ "$strategy" = contigd ]; then
	m=$(contig_test bench 1024) || fail "the microbenchmark failed"
	micro=$(printf '%s\n' "$m" | sed -n 's/^CONTIG-JSON: //p' | head -n 1)
	[ -n "$micro" ] || fail "no figures from the microbenchmark"
	echo "compare: microbenchmark: $micro"
fi

before=$(obj before "$out")
after=$(obj after "$out")
errors=$(num integrity_errors "$out")
thpj=$(obj thp "$out")
[ -n "$thpj" ] || thpj={}
misplaced=$(num misplaced_min "$out")
changed=$(num changed "$out")
[ -n "$after" ] && [ -n "$misplaced" ] && [ -n "$changed" ] ||
	fail "no figures from the workload"
case $strategy in
collapse) copies=$changed ops=$changed ;;
*) copies=$((moves + 2 * exchanges)) ops=$((moves + exchanges)) ;;
esac
per=$(awk -v o="$ops" -v m="$misplaced" 'BEGIN { printf "%.3f", m ? o / m : 0 }')
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"strategy\":\"$strategy\",\"scenario\":\"$scenario\",\"mib\":$mib,\"before\":$before,\"after\":$after,\"misplaced_min\":$misplaced,\"pages_changed\":$changed,\"pages_moved\":$copies,\"moves\":$moves,\"exchanges\":$exchanges,\"page_ops\":$ops,\"ops_per_misplaced\":$per,\"wall_s\":$(num hint_seconds "$out"),\"integrity_errors\":$errors,\"profile\":$profile,\"thp\":$thpj,\"micro\":$micro,\"hint_error\":\"$(printf '%s\n' "$out" | sed -n 's/.*"hint_error":"\([^"]*\)".*/\1/p')\"}"
[ "$errors" = 0 ] || fail "$errors integrity errors"
echo "compare: ok"
