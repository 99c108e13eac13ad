#!/bin/sh
# Stress in the guest: contigd (kmod backend) exchanges >= 100 000 pages
# while processes fork, map and unmap, mprotect and exit around it.
# Each round runs two workloads at once:
#   - a chaos workload (64 MiB, hinted CONTIG_WANT) whose chaos thread
#     keeps forking children that read its buffer and exit, mapping and
#     unmapping a side region and mprotect()ing parts of its buffer
#     (splitting its VMA) for as long as the round lasts;
#   - a main workload (256 MiB, hinted CONTIG_NOW) whose buffer was
#     faulted interleaved with a partner process: the partner's pages in
#     the chosen window are what gets exchanged; the partner exits at the
#     end of the round.
# Writer threads in all four processes rewrite and check every page
# against the sequence number they last wrote; the chaos thread's fork
# children check exact values after the parent rewrote them and must exit
# 0, and so must the partners (contig_workload counts any other status as
# an integrity error).
# Run it in a 1 GiB guest (the ctest does): the workloads then leave no
# free stretch as large as the main buffer, so its window is made of
# other processes' pages and contigd must exchange; with free memory to
# spare it moves pages into free frames instead.
# Nothing may be lost (integrity errors 0 in every workload); the kernel
# log must stay free of BUG/WARNING/Oops (tests/vm/run checks). The
# chaos splits the VMAs being worked on, so contiguity is not asked for.
# Prints "CONTIG-JSON: {...}" with the totals.
# Each round prints MemFree; a hint that fails (exit 3: ENOSPC when no
# stretch of free or movable frames is as long as the buffer, which churn
# brings about on the debug kernel) shows contigd's last failures.
# Usage: stress.sh [MIN_EXCHANGES] [MiB of the main workload] [MiB of the
#        chaos workload] [ROUNDS] [LEAVE_MiB]   (default 100000 256 64 24,
#        no filler; the debug kernel, several times slower, runs
#        2000 64 32 3 320: a filler (contig_scatter, checked at the end)
#        holds all free memory but 320 MiB, so that windows hold other
#        processes' pages and contigd exchanges from the first round)
set -eu
. /suite-lib/filler.sh

min=${1:-100000}
mib=${2:-256}
chaos_mib=${3:-64}
# Rounds bring 7 000 to 13 000 exchanges each (8 to 14 rounds seen for
# 100 000); the cap (ROUNDS) only ends a run that has stopped exchanging.
max_rounds=${4:-24}
# With LEAVE_MiB, a filler holds all free memory but that much.
leave=${5:-0}
rd=/tmp/contigd
fifo=/tmp/chaos.fifo
cpid= fpid=
fail() {
	echo "stress: FAIL: $*"
	if [ -n "$cpid" ]; then kill -KILL "$cpid" 2>/dev/null || true; fi
	if [ -n "$fpid" ]; then kill -KILL "$fpid" 2>/dev/null || true; fi
	[ -f /tmp/chaos.out ] && tail -n 5 /tmp/chaos.out | sed 's/^/stress: chaos: /'
	[ -f /tmp/contigd.log ] && grep -v libbpf /tmp/contigd.log | tail -n 30 | sed 's/^/stress: contigd: /'
	exit 1
}
num() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }
# Wait until file has a line starting with word (the process must live).
await() { # file word pid
	i=0
	until grep -q "^$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 1200 ] || fail "no '$2' from pid $3 in 120 s"
		kill -0 "$3" 2>/dev/null || fail "pid $3 exited before '$2'"
		sleep 0.1
	done
}
# Free memory now.
memory() { # label
	echo "stress: $1: $(grep -e MemFree -e MemAvailable /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
}
# Check a workload's JSON line and add up its chaos.
tally() { # name json exit-status
	echo "stress: $1 (exit $3): $2"
	case $3 in 0 | 3) ;; *) fail "$1 exited with $3" ;; esac
	e=$(num integrity_errors "$2")
	[ "$e" = 0 ] || fail "$1: ${e:-no} integrity errors"
	f=$(num fork_errors "$2")
	[ "${f:-0}" = 0 ] || fail "$1: $f fork children failed"
	errors=$((errors + e))
	forks=$((forks + $(num forks "$2")))
	remaps=$((remaps + $(num remaps "$2")))
	mprotects=$((mprotects + $(num mprotects "$2")))
}

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

# The filler (lib/filler.sh) checks its pages when it ends.
if [ "$leave" -gt 0 ]; then
	filler_start "$leave"
	fpid=$filler_pid
	memory "filler of $filler_mib MiB"
fi

t0=$(date +%s)
runs=0 exchanged=0 errors=0 forks=0 remaps=0 mprotects=0
while [ "$exchanged" -lt "$min" ]; do
	runs=$((runs + 1))
	[ "$runs" -le "$max_rounds" ] ||
		fail "only $exchanged pages exchanged after $max_rounds rounds"
	rm -f "$fifo" /tmp/chaos.out
	mkfifo "$fifo"
	CONTIGD_RUNTIME_DIR=$rd contig_workload_static --mib "$chaos_mib" --writers 1 \
		--hint want --chaos --interactive --json <"$fifo" >/tmp/chaos.out 2>&1 &
	cpid=$!
	exec 3>"$fifo"
	await /tmp/chaos.out ready "$cpid"
	echo >&3
	await /tmp/chaos.out hinted: "$cpid"

	rc=0
	out=$(CONTIGD_RUNTIME_DIR=$rd CONTIG_TIMEOUT_MS=600000 \
		contig_workload_static --mib "$mib" --writers 1 --json) || rc=$?
	tally "round $runs: main" "$out" "$rc"
	memory "round $runs"
	if [ "$rc" = 3 ]; then
		grep -e 'pass over' -e 'failed' /tmp/contigd.log | tail -n 5 |
			sed 's/^/stress: contigd: /'
	fi

	echo >&3
	exec 3>&-
	rc=0
	wait "$cpid" || rc=$?
	cpid=
	tally "round $runs: chaos" "$(grep '^{' /tmp/chaos.out | tail -n 1)" "$rc"

	status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "status"
	exchanged=$(num pages_exchanged "$status")
	echo "stress: round $runs: $exchanged pages exchanged so far ($(num claims "$status") windows claimed)"
done
if [ -n "$fpid" ]; then
	kill -TERM "$fpid"
	rc=0
	wait "$fpid" || rc=$?
	fpid=
	grep '^verify' /tmp/filler.out | tail -n 1 | sed 's/^/stress: filler: /'
	[ "$rc" = 0 ] || fail "the filler found pages changed (exit $rc)"
fi
kill -0 "$dpid" 2>/dev/null || fail "contigd died"
kill -TERM "$dpid"
wait "$dpid" || fail "contigd exited with status $?"
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"runs\":$runs,\"pages_exchanged\":$exchanged,\"pages_moved\":$(num pages_moved "$status"),\"ops_failed\":$(num ops_failed "$status"),\"forks\":$forks,\"remaps\":$remaps,\"mprotects\":$mprotects,\"integrity_errors\":$errors,\"seconds\":$(($(date +%s) - t0))}"
[ "$forks" -gt 0 ] && [ "$mprotects" -gt 0 ] || fail "the chaos did not run ($forks forks, $mprotects mprotects)"
echo "stress: ok"
