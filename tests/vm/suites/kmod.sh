#!/bin/sh
# The kernel module's suite: every case of /guest/contig_test (TAP), those
# of /guest/contig_claim_test (how a MOVE batch claims frames), of
# /guest/contig_fidelity (what travels with an exchanged page) and
# /guest/contig_zone_fill (exchanges by migration with Normal full), then
# unloading and reloading the module.  Exit status 0 when all passed.
set -u

fail() { echo "kmod: FAIL: $*"; exit 1; }

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
[ -c /dev/contig ] || fail "/dev/contig is missing"
mode=$(stat -c %a /dev/contig)
[ "$mode" = 600 ] || fail "/dev/contig has mode $mode, not 600"
dmesg | grep 'contig:' | sed 's/^/kmod: dmesg: /'

# Both supported series must offer the in-place exchange, unless the CPU
# enforces IBT (then the kernel seals the functions it needs and only the
# migration fallback is advertised).
if grep -qw ibt /proc/cpuinfo; then
	echo "kmod: CPU has IBT: the in-place exchange may be unavailable"
else
	case "${CONTIG_VM_SERIES:-}" in
	6.1 | 6.12 | 6.12-debug) export CONTIG_EXPECT_INPLACE=1 ;;
	esac
fi

contig_test "$@"
rc=$?
[ "$rc" -eq 0 ] || fail "contig_test exited with status $rc"
# How a MOVE batch claims its frames (no per-op drains, unused ones back).
if [ $# -eq 0 ]; then
	contig_claim_test || fail "contig_claim_test exited with status $?"
fi

# The module unloads cleanly and loads again.
rmmod contig || fail "rmmod contig"
[ ! -e /dev/contig ] || fail "/dev/contig still exists after rmmod"

# Exported interfaces only (what a kernel without the unexported functions
# gets): moves, exchanges by migration, the error cases and the races.
if [ $# -eq 0 ]; then
	insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
	dmesg | tail -n 1 | sed 's/^/kmod: dmesg: /'
	CONTIG_EXPECT_INPLACE=0 contig_test info move_within_process_2048_pages \
		move_to_any_frame_1024_pages move_other_process \
		exchange_by_migration_512_pages einval_file_mapping eopnotsupp_thp \
		ebusy_pinned_vmsplice ebusy_pinned_io_uring_fixed_buffer \
		ebusy_unmovable_target exdev_other_zone esrch_bad_pid \
		efault_unmapped efault_kernel_address einval_malformed_and_garbage \
		e2big_oversized_batch eperm_no_cap_sys_admin eperm_no_ptrace_access \
		random_frames_anywhere race_target_munmap_and_exit \
		race_target_fork race_own_threads_munmap
	rc=$?
	[ "$rc" -eq 0 ] || fail "contig_test (migration only) exited with status $rc"
	rmmod contig || fail "rmmod contig (migration only)"
fi

insmod /contig.ko || fail "insmod /contig.ko (again)"
contig_test info || fail "contig_test info after reload"

# Swap on zram (Debian's kernels: the modules tests/vm/fetch-zram put in
# /zram; the debug kernel has it built in) and the memory controller, for
# the lazyfree cases under reclaim.
zram_swap() {
	if [ -f /zram/order ]; then
		while read -r m; do
			insmod "/zram/$m.ko" || return 1
		done </zram/order
	fi
	[ -e /sys/block/zram0/disksize ] || return 1
	echo 64M >/sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
}
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null

# What an exchanged page keeps; then exchanges by migration with Normal
# full, without swap (reclaim would take the pages of the pairs).  Last:
# filling Normal leaves the pageblocks retyped for the cases above, whose
# targets must be claimable.
if [ $# -eq 0 ]; then
	contig_fidelity || fail "contig_fidelity exited with status $?"
	zram_swap || fail "no zram swap (tests/vm/fetch-zram)"
	echo "kmod: swap on $(sed -n 2p /proc/swaps)"
	contig_lazyfree_swap || fail "contig_lazyfree_swap exited with status $?"
	swapoff /dev/zram0 || fail "swapoff /dev/zram0"
	contig_zone_fill || fail "contig_zone_fill exited with status $?"
fi
echo "kmod: ok"
