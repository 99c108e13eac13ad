#!/bin/sh
# The demonstration (scripts/demo): contigd with the kernel helper, a
# workload that fragments memory with a partner process and churn, its
# 64 MiB buffer hinted with contig_advise(CONTIG_NOW), and contigctl show
# of that buffer before and after. Every line meant for the reader starts
# with "demo: " (scripts/demo prints those).
# Usage: demo.sh [MiB]
# Runs in the VM guest (tests/vm/run demo) or on a host that has contig.ko
# loaded (scripts/demo --host), with the static programs on PATH.
set -eu

mib=${1:-64}
rd=${CONTIG_DEMO_RUNDIR:-/tmp/contigd-demo}
say() { printf 'demo: %s\n' "$*"; }
fail() {
	say "FAILED: $*"
	[ -f "$rd/contigd.log" ] && grep -v libbpf "$rd/contigd.log" | tail -n 20 | sed 's/^/demo:   contigd: /'
	exit 1
}
# The buffer's VMA from contigctl show: the column header, its line and
# its indented lines (run map, the daemon's view).
show_buffer() {
	contigctl_static --runtime-dir "$rd" show "$1" |
		awk -v s="$(printf '%012x' "$2")" '
			NR == 2 { print; next }
			$1 == s { on = 1; print; next }
			on && /^    / { print; next }
			{ on = 0 }' | cut -c1-150 | sed 's/^/demo:   /'
}

mkdir -p "$rd"
rm -f "$rd/fifo"
mkfifo "$rd/fifo"
say "starting contigd (kmod backend): contigd --backend kmod --runtime-dir $rd"
contigd_static --backend kmod --runtime-dir "$rd" >"$rd/contigd.log" 2>&1 &
dpid=$!
i=0
until [ -S "$rd/contigd.sock" ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "contigd did not start"
	kill -0 "$dpid" 2>/dev/null || fail "contigd exited"
	sleep 0.1
done
contigctl_static --runtime-dir "$rd" status | sed 's/^/demo:   /'

say ""
say "a workload faults ${mib} MiB interleaved with a partner process, plus churn"
CONTIGD_RUNTIME_DIR=$rd contig_workload_static --mib "$mib" --interactive \
	<"$rd/fifo" >"$rd/workload.out" 2>&1 &
wpid=$!
exec 3>"$rd/fifo"
i=0
until grep -q '^ready' "$rd/workload.out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 3000 ] || fail "the workload did not get ready"
	kill -0 "$wpid" 2>/dev/null || fail "the workload exited: $(cat "$rd/workload.out")"
	sleep 0.1
done
set -- $(grep '^ready' "$rd/workload.out")
pid=$3 start=$5 end=$6
say "its buffer $start-$end (pid $pid), before:"
show_buffer "$pid" "$start"

say ""
say "the workload calls contig_advise(buf, 64 MiB, CONTIG_NOW); its writer threads keep"
say "rewriting and checking every page meanwhile"
echo go >&3
i=0
until grep -q '^hinted' "$rd/workload.out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 6000 ] || fail "no answer to the hint in 600 s"
	sleep 0.1
done
say "$(grep '^hinted' "$rd/workload.out")"
say "after:"
show_buffer "$pid" "$start"
echo done >&3
exec 3>&-
wait "$wpid" || fail "the workload failed: $(tail -n 3 "$rd/workload.out")"
say "$(tail -n 1 "$rd/workload.out")"
say ""
contigctl_static --runtime-dir "$rd" status | sed 's/^/demo:   /'
kill -TERM "$dpid"
wait "$dpid" || fail "contigd exited with status $?"
say "ok"
