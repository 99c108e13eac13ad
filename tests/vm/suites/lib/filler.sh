# Shared by the guest suites that fill memory (sourced, not run):
#   . /suite-lib/filler.sh
# The suite defines fail MESSAGE (report, clean up, exit non-zero).

# filler_start LEAVE_MiB
# Starts contig_scatter (it faults the MiB it is given and half the pages
# of a second mapping that size, in random order, and checks every page
# on SIGTERM) so that about LEAVE_MiB of MemFree are left, with its
# output in /tmp/filler.out; sets filler_pid and filler_mib (what it
# holds).  Calls fail when less than that is free, or the filler exits or
# has not started in 300 s.
filler_start() {
	_fs_free=$(awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo)
	_fs_fill=$(((_fs_free - $1) * 2 / 3))
	[ "$_fs_fill" -gt 0 ] || fail "only $_fs_free MiB free, $1 MiB to leave"
	contig_scatter "$_fs_fill" >/tmp/filler.out &
	filler_pid=$!
	filler_mib=$((_fs_fill * 3 / 2))
	_fs_n=0
	until grep -q '^region ' /tmp/filler.out; do
		_fs_n=$((_fs_n + 1))
		[ "$_fs_n" -lt 3000 ] || fail "the filler did not start in 300 s"
		kill -0 "$filler_pid" 2>/dev/null || fail "the filler exited"
		sleep 0.1
	done
}
