#!/bin/sh
# The background daemon finds memory by access in the guest: contigd
# (kmod backend, default observer, no hint, no request, scan_interval 2)
# with the kernel helper's access sampler. Three processes hold a
# scattered VMA each (access_target): one reads it at random without
# pause, one never touches it again, one drops and rewrites 2 MiB at a
# time (churn). Fails unless the status names the heat source "young",
# the hot VMA is chosen (contigctl show: queued, running or done) within
# three scan intervals and becomes one run, its pass says young heat,
# contigctl show gives it heat from "young", the idle VMA gets no pass and
# is no more contiguous than before (its pages may be traded away by the
# hot VMA's exchanges), and the churning VMA gets one pass at most.
# Prints one line: CONTIG-JSON: {"kernel","chosen_ms","done_ms","pass_s",
# "source","churn_passes"}.
# Usage: access.sh [MiB]   (default 16: a pass under TCG takes seconds)
# Needs /guest/contigd_static, contigctl_static, access_target_static.
set -u
. /suite-lib/contigd.sh

mib=${1:-16}
rd=/tmp/contigd
scan=2
fail() {
	echo "access: FAIL: $*"
	[ -f /tmp/contigd.log ] && grep -v libbpf /tmp/contigd.log |
		sed 's/^/access: contigd: /' | tail -n 40
	exit 1
}

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
for p in contigd_static contigctl_static access_target_static; do
	command -v "$p" >/dev/null || fail "no $p in /guest (CONTIG_VM_EXTRA_FILES)"
done
mkdir -p "$rd"
printf 'backend = kmod\nscan_interval = %s\nwatch_min_rss = 8M\ninclude = acc_*\n' \
	"$scan" >/tmp/contigd.conf
contigd_static --config /tmp/contigd.conf --runtime-dir "$rd" -v \
	>/tmp/contigd.log 2>&1 &
dpid=$!
contigd_wait_socket "$rd" "$dpid" 30
status=$(contigctl_static --runtime-dir "$rd" status --json) || fail "contigctl status"
echo "access: status: $status"
case $status in
*'"heat_source":"young"'*) ;;
*) fail "the heat does not come from the kernel helper's sampler" ;;
esac

start() { # mode fd: the process reads the fifo held open on fd; sets pid s e
	rm -f "/tmp/acc_$1.in"
	mkfifo "/tmp/acc_$1.in"
	: >"/tmp/acc_$1.out"
	access_target_static "$1" "$mib" --nohugepage <"/tmp/acc_$1.in" >"/tmp/acc_$1.out" 2>&1 &
	eval "exec $2>/tmp/acc_$1.in"
	while [ "$(grep -c '' "/tmp/acc_$1.out")" -lt 2 ]; do
		kill -0 $! 2>/dev/null || fail "access_target $1: $(cat "/tmp/acc_$1.out")"
		sleep 0.1
	done
	pid=$(sed -n 's/^pid //p' "/tmp/acc_$1.out")
	set -- $(sed -n 's/^region //p' "/tmp/acc_$1.out")
	s=$1 e=$2
}
start idle 3
ipid=$pid is=$s ie=$e
start hot 4
hpid=$pid hs=$s he=$e
start churn 5
cpid=$pid
t0=$(contig_layout --clock)
idle_before=$(contig_layout "$ipid" "$is" "$ie")
echo "access: hot $hpid $hs-$he, idle $ipid $is-$ie"
echo "access: hot before: $(contig_layout "$hpid" "$hs" "$he")"

# Chosen (queued, running or done in contigctl show) within three scan
# intervals; one physical run once the passes are through (TCG is slow,
# and the worker runs one pass at a time).
chosen_ms= done_s=
i=0
while [ "$i" -lt 300 ] && [ -z "$done_s" ]; do
	now=$(( ($(contig_layout --clock) - t0) / 1000000 ))
	if [ -z "$chosen_ms" ] && contigctl_static --runtime-dir "$rd" show "$hpid" --json |
		sed 's/},{/}\n{/g' | grep -F "\"start\":\"$hs\"" |
		grep -qE '"(queued|running|done)"'; then
		chosen_ms=$now
	fi
	if contig_layout "$hpid" "$hs" "$he" | grep -q 'contiguous yes'; then
		done_s=$now
		[ -n "$chosen_ms" ] || chosen_ms=$now
	fi
	i=$((i + 1))
	sleep 0.2
done
[ -n "$done_s" ] || fail "the hot VMA did not become one run in 60 s"
line=$(grep -F "pass: pid $hpid (acc_hot) $hs-" /tmp/contigd.log | head -n 1)
echo "access: $line"
pass_s=$(printf '%s\n' "$line" | sed -n 's/.*, \([0-9.]*\) s, .*/\1/p')
[ -n "$pass_s" ] || fail "no pass line for the hot VMA"
printf '%s\n' "$line" | grep -q '(young)' || fail "the pass was not chosen by young heat"
limit=$((3 * scan * 1000 + 1000))
echo "access: chosen after ${chosen_ms} ms (limit ${limit} ms), one run after ${done_s} ms"
[ "$chosen_ms" -le "$limit" ] || fail "not chosen within three scan intervals"

show=$(contigctl_static --runtime-dir "$rd" show "$hpid" --json) || fail "contigctl show"
printf '%s\n' "$show" | grep -q '"heat_source":"young"' || fail "show: no young heat"
sleep $((2 * scan))
# Untouched: no pass and no more contiguous than it was.  Its pages may
# have changed frames: an exchange for the hot VMA's window trades them
# for the hot VMA's own (their contents are checked at the end).
idle_after=$(contig_layout "$ipid" "$is" "$ie")
[ "$idle_after" = "$idle_before" ] || echo "access: idle VMA: pages exchanged away by the hot VMA's pass: $idle_after"
r99() { printf '%s\n' "$1" | sed -n 's/.* runs_99 \([0-9]*\) .*/\1/p'; }
[ "$(r99 "$idle_after")" -ge $(($(r99 "$idle_before") * 9 / 10)) ] ||
	fail "the idle VMA was defragmented: $idle_before -> $idle_after"
grep -q "pass: pid $ipid " /tmp/contigd.log && fail "the idle VMA got a pass"
churn=$(grep -c "pass: pid $cpid " /tmp/contigd.log)
echo "access: churning VMA: $churn pass(es)"
[ "$churn" -le 1 ] || fail "the churning VMA got $churn passes"

exec 3>&- 4>&- 5>&-
wait "$hpid" || fail "hot: a word changed: $(cat /tmp/acc_hot.out)"
wait "$ipid" || fail "idle: a word changed: $(cat /tmp/acc_idle.out)"
wait "$cpid" || fail "churn: a word changed: $(cat /tmp/acc_churn.out)"
kill -TERM "$dpid"
wait "$dpid" || fail "contigd exit status $?"
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"chosen_ms\":$chosen_ms,\"done_ms\":$done_s,\"pass_s\":$pass_s,\"source\":\"young\",\"churn_passes\":$churn}"
echo "access: ok"
