#!/bin/sh
# contigd --once with the kmod backend, on the host-built (dynamically
# linked) contigd: contig_scatter holds a buffer faulted in random page
# order and filled with a per-page pattern; contigd --once PID --backend
# kmod --range START-END makes it one physical run.  Checked here, not
# taken from contigd's word: contig_layout reads the buffer's frames from
# pagemap before and after (after: every page present, one run), and
# contig_scatter checks every page's contents.  Three rounds: with the
# in-place exchange through io_uring (contigd's choice: its log must say
# "submission io_uring"), the same through ioctls (CONTIG_SUBMISSION=ioctl),
# the wall times of the two compared in the same boot, then with the module
# reloaded with symbols=0 (migration only, where contigd uses the ioctls).
# Prints the figures, the time per page and one line per round for the
# host:
#   CONTIG-JSON: {"kernel":...,"mode":"inplace|inplace_ioctl|migrate",
#                 "submission":"io_uring|ioctl","pages":N,
#                 "before":{...},"after":{...},"contigd":{...},
#                 "bad_pages":N,"ms":N,"ns_per_page":N}
# Usage: once.sh [MiB]     (default 32)
# Needs contigd in /guest: CONTIG_VM_EXTRA_FILES=<build>/src/daemon/contigd
# (the ctests vm_once_<series> set it).
set -eu

mib=${1:-32}
rd=/tmp/contigd
out=/tmp/contigd-once.out
err=/tmp/contigd-once.err
sout=/tmp/scatter.out
spid=

say() { echo "once: $*"; }
fail() {
	say "FAIL: $*"
	for f in "$out" "$err"; do
		if [ -s "$f" ]; then sed 's/^/once: contigd: /' "$f" | tail -n 30; fi
	done
	if [ -f "$rd/metrics.prom" ]; then
		grep '^contigd_ops_failed_total\|^contigd_retries' "$rd/metrics.prom" |
			grep -v ' 0$' | sed 's/^/once: /'
	fi
	if [ -n "$spid" ]; then kill -KILL "$spid" 2>/dev/null || true; fi
	exit 1
}
# The value after a word in a line of "word value" pairs.
field() { # word line
	printf '%s\n' "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
# A line of "word value" pairs as a JSON object of the given words.
json() { # line "word..."
	sep='' obj='{'
	# shellcheck disable=SC2086  # a list of words
	for k in $2; do
		v=$(field "$k" "$1")
		obj="$obj$sep\"$k\":${v:-null}"
		sep=,
	done
	echo "$obj}"
}

# The /proc/vmstat counters of page migration and compaction.
vmstat_moves() {
	grep -E '^(pgmigrate|compact|thp_migration|numa_pages_migrated|pgsteal|pswp)' /proc/vmstat
}

# What broke the run, for the log: the runs, what occupies the frames the
# pages would continue into, and who else migrated pages during the pass
# (compaction, another contiguous allocation).
diagnose() {
	contig_layout "$pid" "$start" "$end" --runs | grep '^run ' |
		sed "s/^/once: $mode: /"
	say "$mode: /proc/vmstat changes during the pass:"
	printf '%s\n%s\n' "$vmstat_before" "$(vmstat_moves)" |
		awk '{ if ($1 in v) { if ($2 != v[$1]) print $1, v[$1], "->", $2 } else v[$1] = $2 }' |
		sed "s/^/once: $mode:   /"
}

# One round: a fresh contig_scatter, one contigd --once over its buffer,
# its batches submitted as asked (auto: io_uring where the module has it).
round() { # mode [auto|ioctl]
	mode=$1
	submit=${2:-auto}
	rm -f "$out" "$err" "$sout" "$rd/metrics.prom"
	contig_scatter "$mib" >"$sout" &
	spid=$!
	i=0
	until grep -q '^region ' "$sout"; do
		i=$((i + 1))
		[ "$i" -lt 600 ] || fail "contig_scatter did not start in 60 s"
		kill -0 "$spid" 2>/dev/null || fail "contig_scatter exited"
		sleep 0.1
	done
	pid=$(field pid "$(grep '^pid ' "$sout")")
	[ "$pid" = "$spid" ] || fail "contig_scatter says pid $pid, not $spid"
	region=$(grep '^region ' "$sout")
	start=$(echo "$region" | cut -d' ' -f2)
	end=$(echo "$region" | cut -d' ' -f3)
	say "$mode: contig_scatter $pid holds $mib MiB at $start-$end"

	before=$(contig_layout "$pid" "$start" "$end") || fail "contig_layout (before)"
	say "$mode: before: $before"
	pages=$(field pages "$before")
	[ "$(field present "$before")" = "$pages" ] ||
		fail "not every page of the buffer is present"

	mkdir -p "$rd"
	vmstat_before=$(vmstat_moves)
	t0=$(contig_layout --clock)
	rc=0
	CONTIG_SUBMISSION=$submit contigd --once "$pid" --backend kmod \
		--range "$start-$end" --runtime-dir "$rd" -v >"$out" 2>"$err" ||
		rc=$?
	t1=$(contig_layout --clock)
	sed "s/^/once: $mode: contigd: /" "$out"
	grep -v '^$' "$err" | sed "s/^/once: $mode: contigd: /" || true
	[ "$rc" -eq 0 ] || diagnose
	[ "$rc" -eq 0 ] || fail "contigd --once exited with status $rc"
	kill -0 "$spid" 2>/dev/null || fail "contig_scatter died during the pass"

	after=$(contig_layout "$pid" "$start" "$end") || fail "contig_layout (after)"
	say "$mode: after:  $after"
	[ "$(field contiguous "$after")" = yes ] || diagnose
	kill -TERM "$spid"
	src=0
	wait "$spid" || src=$?
	spid=
	verify=$(grep '^verify ' "$sout" | tail -n 1)
	say "$mode: contig_scatter: $verify (exit $src)"

	ns=$((t1 - t0))
	per_page=$((ns / pages))
	say "$mode: contigd --once: $pages pages in $((ns / 1000000)) ms, $per_page ns per page"
	bad=$(field bad "$verify")
	cd_ops=$(grep '^ops ' "$out" || true)
	lay='pages present runs largest runs_99'
	fig='pages present runs runs_99 aligned_2m'
	submission=$(sed -n 's/.*submission \([a-z_]*\).*/\1/p' "$err" | head -n 1)
	j="\"kernel\":\"$(uname -r)\",\"mode\":\"$mode\",\"pages\":$pages"
	j="$j,\"submission\":\"$submission\""
	j="$j,\"before\":$(json "$before" "$lay"),\"after\":$(json "$after" "$lay")"
	j="$j,\"contigd\":{\"before\":$(json "$(grep '^before ' "$out")" "$fig")"
	j="$j,\"after\":$(json "$(grep '^after ' "$out")" "$fig")"
	j="$j,\"ops\":$(json "$cd_ops" 'ops done retries failed refused')"
	# plans in the pass: 2 when a page moved under the first (contigd(8))
	plans=$(sed -n 's/.* \([0-9]*\) plan(s).*/\1/p' "$err" | head -n 1)
	j="$j,\"plans\":${plans:-null}}"
	j="$j,\"bad_pages\":${bad:-null},\"ms\":$((ns / 1000000)),\"ns_per_page\":$per_page"
	echo "CONTIG-JSON: {$j}"

	[ -n "$verify" ] || fail "contig_scatter did not check its pages"
	[ "$bad" = 0 ] || fail "$bad pages corrupted"
	[ "$src" -eq 0 ] || fail "contig_scatter exited with status $src"
	[ "$(field contiguous "$after")" = yes ] ||
		fail "the buffer is not one physical run: $after"
	[ "$(field runs_99 "$after")" = 1 ] || fail "after: runs_99 is not 1"
	case $cd_ops in
	*'target reached'*) ;;
	*) fail "contigd did not report the target reached: $cd_ops" ;;
	esac
	# io_uring only with the in-place exchange (contigd(8))
	want=io_uring
	[ "$submit" = ioctl ] || [ "$mode" = migrate ] && want=ioctl
	[ "$submission" = "$want" ] ||
		fail "contigd submitted by '$submission', not $want"
	last_ms=$((ns / 1000000))
}

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
command -v contigd >/dev/null || fail "no contigd in /guest (CONTIG_VM_EXTRA_FILES)"
contigd --version >/dev/null 2>&1 ||
	fail "contigd does not run in the guest: $(contigd --version 2>&1 | head -n 1)"
say "$(contigd --version 2>&1 | head -n 1); shared libraries:" /guest/lib/*

round inplace
uring_ms=$last_ms
round inplace_ioctl ioctl
ioctl_ms=$last_ms
say "pass wall time: io_uring $uring_ms ms, ioctl $ioctl_ms ms" \
	"(ioctl / io_uring $(awk -v a="$ioctl_ms" -v b="$uring_ms" 'BEGIN { printf "%.2f", b ? a / b : 0 }'))"
echo "CONTIG-JSON: {\"kernel\":\"$(uname -r)\",\"pass_ms_io_uring\":$uring_ms,\"pass_ms_ioctl\":$ioctl_ms}"
rmmod contig || fail "rmmod contig"
insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
round migrate
say "ok"
