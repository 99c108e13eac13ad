#!/bin/sh
# contigd under third-party memory stressors: Debian's stress-ng runs its
# memory stressors with --verify (every stressor checks its own data)
# while contigd, built with ASan and UBSan and dynamically linked, works
# on them from two sides: the observer picks hot VMAs of the stressors
# every 2 s, and `contigctl defrag --wait` is called on one stressor
# process after another (4 s each at most: the work goes on).  The
# stressors exit, fork, mremap, move pages, use userfaultfd, map
# thousands of VMAs (mmapmany) and have KSM merge their pages (ksmd
# runs; stress-ng madvises MERGEABLE at random) mid-pass.  (stress-ng's
# exec stressor refuses to run as root; the guest has no other user.)
# Twice: with the in-place exchange, then with the module reloaded with
# symbols=0 (migration only).
# Fails on any sanitizer report, any stressor failure (a verify failure
# makes stress-ng exit 2), contigd dying or exiting other than 0 on
# SIGTERM, contigctl losing the daemon, or a BUG/WARNING/Oops line
# (tests/vm/run checks the kernel log).  Prints per mode:
#   CONTIG-JSON: {"kernel":...,"mode":"inplace|migrate","seconds":N,
#                 "bogo_ops":{stressor:N,...},"stress_ng_exit":0,
#                 "defrag_calls":N,"defrag_exit":{code:N,...},
#                 "passes":N,"pages_moved":N,"pages_exchanged":N,
#                 "ops_failed":N,"plans_refused":N,"sanitizer_reports":0}
# Usage: stressng.sh [SECONDS per mode [LINES of contigd's log shown]]
#        (default 60 15)
# Needs in /guest: contigd (sanitized, dynamic), contigctl_static and
# stress-ng (CONTIG_VM_EXTRA_FILES; the ctests vm_stressng_<series> set it).
set -eu
. /suite-lib/contigd.sh

secs=${1:-60}
loglines=${2:-15}
rd=/tmp/contigd
conf=/tmp/contigd.conf
log=/tmp/contigd.log
sng=/tmp/stress-ng.out
san=/tmp/sanitizer
dpid=
spid=

say() { echo "stressng: $*"; }
fail() {
	say "FAIL: $*"
	[ -f "$sng" ] && grep -E 'fail|error|metrc|verif' "$sng" | tail -n 20 | sed 's/^/stressng: stress-ng: /'
	[ -f "$log" ] && grep -v libbpf "$log" | tail -n 40 | sed 's/^/stressng: contigd: /'
	for f in "$san".*; do
		[ -f "$f" ] && sed 's/^/stressng: sanitizer: /' "$f" | head -n 60
	done
	[ -n "$spid" ] && kill -KILL "$spid" 2>/dev/null
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	exit 1
}
num() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }
alive() { kill -0 "$dpid" 2>/dev/null || fail "contigd died (see its log and the sanitizer's)"; }
reports() { find /tmp -maxdepth 1 -name "${san##*/}.*" | wc -l; }
# contigctl status --json (10 s each).  A try that fails is reported
# with where contigd's threads are; three fail the run.  (Until the
# observer forgot exited processes in one walk of its maps, contigd took
# 20 to 30 s to answer right after stress-ng's processes exited.)
status() {
	for try in 1 2 3; do
		if st=$(contigctl_static --runtime-dir "$rd" status --json 2>/tmp/status.err); then
			return 0
		fi
		say "contigctl status, try $try: $(cat /tmp/status.err)"
		alive
		[ "$try" -gt 1 ] || threads
	done
	fail "contigctl status failed three times"
}
# Where contigd's threads are: state, user/system ticks, syscall, stack.
threads() {
	for t in /proc/"$dpid"/task/*; do
		[ -d "$t" ] || continue
		say "thread ${t##*/} $(cut -d' ' -f2,3,14,15 "$t/stat" 2>/dev/null) syscall $(cut -d' ' -f1-3 "$t/syscall" 2>/dev/null)"
		sed 's/^/stressng:   /' "$t/stack" 2>/dev/null | head -n 12
	done
}

start_contigd() {
	rm -rf "$rd" "$log"
	mkdir -p "$rd"
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:log_path=$san \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$san \
	GLIBC_TUNABLES=glibc.malloc.check=3 MALLOC_PERTURB_=165 \
		contigd --config "$conf" -v >"$log" 2>&1 &
	dpid=$!
	contigd_wait_socket "$rd" "$dpid" 60
	status
	case $st in *'"backend":"kmod"'*) ;; *) fail "contigd did not pick the kmod backend: $st" ;; esac
	case $st in *'"observer":"bpf"'*) ;; *) fail "the observer is not in bpf mode: $st" ;; esac
}

# One mode: stress-ng for $secs seconds, defrag calls all along.
round() { # mode
	mode=$1
	rm -f "$sng" "$san".*
	start_contigd
	# memory stressors, small enough for a 1 GiB guest, all verifying
	stress-ng --temp-path /tmp --verify --metrics-brief --timeout "${secs}s" \
		--vm 3 --vm-bytes 4M --mmap 1 --mmap-bytes 8M \
		--mremap 1 --mremap-bytes 8M --pagemove 1 --pagemove-bytes 8M \
		--vm-rw 1 --vm-rw-bytes 8M --mmapfork 1 --fork 1 \
		--userfaultfd 1 --userfaultfd-bytes 8M \
		--malloc 1 --malloc-bytes 16K --malloc-max 1024 \
		--vm-addr 1 --tree 1 --tree-size 20000 --mmapmany 1 >"$sng" 2>&1 &
	spid=$!
	t0=$(date +%s)
	calls=0 codes=''
	while kill -0 "$spid" 2>/dev/null; do
		alive
		for p in $(pidof stress-ng 2>/dev/null); do
			[ "$p" = "$spid" ] && continue
			kill -0 "$spid" 2>/dev/null || break
			rc=0
			contigctl_static --runtime-dir "$rd" defrag "$p" --wait \
				--timeout 4000 >/dev/null 2>/tmp/defrag.err || rc=$?
			calls=$((calls + 1))
			codes="$codes $rc"
			case $rc in
			# ok, usage, gone, failed, not reached, timed out
			# (contigctl(8) EXIT STATUS)
			0 | 1 | 2 | 4 | 5 | 11) ;;
			*) fail "contigctl defrag $p exited $rc: $(cat /tmp/defrag.err)" ;;
			esac
			alive
		done
		sleep 0.2
	done
	src=0
	wait "$spid" || src=$?
	spid=
	t1=$(date +%s)
	alive
	status
	kill -TERM "$dpid"
	drc=0
	wait "$dpid" || drc=$?
	dpid=
	# bogo ops per stressor from the metrics lines
	bogo=$(sed -n 's/^stress-ng: metrc: \[[0-9]*\] \([a-z-]*\) *\([0-9][0-9]*\) .*/\1 \2/p' "$sng" |
		awk 'BEGIN { s = "" } { s = s (s == "" ? "" : ",") "\"" $1 "\":" $2 } END { print "{" s "}" }')
	# shellcheck disable=SC2086  # a list of exit codes
	dex=$(printf '%s\n' $codes | sort | uniq -c |
		awk 'BEGIN { s = "" } NF == 2 { s = s (s == "" ? "" : ",") "\"" $2 "\":" $1 } END { print "{" s "}" }')
	refused=$(grep -c 'plan(s) refused' "$log" || true)
	nrep=$(reports)
	j="\"kernel\":\"$(uname -r)\",\"mode\":\"$mode\",\"seconds\":$((t1 - t0))"
	j="$j,\"bogo_ops\":$bogo,\"stress_ng_exit\":$src,\"defrag_calls\":$calls,\"defrag_exit\":$dex"
	j="$j,\"passes\":$(num passes "$st"),\"pages_moved\":$(num pages_moved "$st")"
	j="$j,\"pages_exchanged\":$(num pages_exchanged "$st"),\"ops_failed\":$(num ops_failed "$st")"
	j="$j,\"plans_refused\":$refused,\"contigd_exit\":$drc,\"sanitizer_reports\":$nrep"
	echo "CONTIG-JSON: {$j}"
	# what contigd said, in brief: its last lines and its warnings
	grep -v libbpf "$log" | tail -n "$loglines" | sed "s/^/stressng: $mode: contigd: /"
	grep -E '^stress-ng: (fail|error)' "$sng" | sed "s/^/stressng: $mode: /" || true
	[ "$nrep" = 0 ] || fail "$nrep sanitizer report(s)"
	grep -q 'AddressSanitizer\|UndefinedBehaviorSanitizer\|runtime error\|malloc()\|free()' "$log" &&
		fail "contigd reported memory corruption"
	[ "$drc" = 0 ] || fail "contigd exited with status $drc on SIGTERM"
	# 0: all passed; 3: a stressor lacked resources (not a failure of ours)
	case $src in 0 | 3) ;; *) fail "stress-ng exited $src (a stressor failed or did not verify)" ;; esac
	grep -q 'verif.*fail\|fail.*verif' "$sng" && fail "a stressor's verification failed"
	[ "$calls" -gt 0 ] || fail "no defrag call was made"
	# Passes come from the defrag requests (whole stress-ng processes,
	# long under TCG and a sanitizer) and from the observer, which queues
	# VMAs by access, not by faults: with the migration-only module there
	# is no kernel sampler, and a 60 s round can end before any pass does.
	# The suite asks that contigd made passes under the stressors in at
	# least one of the two modes (the CONTIG-JSON lines give each mode's).
	np=$(num passes "$st")
	total_passes=$((total_passes + ${np:-0}))
	say "$mode: ok"
}

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
for p in contigd contigctl_static stress-ng; do
	command -v "$p" >/dev/null || fail "no $p in /guest (CONTIG_VM_EXTRA_FILES)"
done
contigd --version >/dev/null 2>&1 ||
	fail "contigd does not run in the guest: $(contigd --version 2>&1 | head -n 1)"
if [ -d /sys/kernel/mm/ksm ]; then
	echo 20 >/sys/kernel/mm/ksm/sleep_millisecs
	echo 1000 >/sys/kernel/mm/ksm/pages_to_scan
	echo 1 >/sys/kernel/mm/ksm/run
fi
cat >"$conf" <<EOF
backend = kmod
observer = bpf
runtime_dir = $rd
scan_interval = 2
stats_interval = 1
include = stress-ng*
watch_min_rss = 1M
min_vma_size = 256K
min_heat = 0.1
budget_pages = 0
cpu_share = 100
max_retries = 0
EOF

total_passes=0
round inplace
rmmod contig || fail "rmmod contig"
insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
round migrate
[ "$total_passes" -gt 0 ] || fail "contigd made no pass in either mode"
say "ok"
