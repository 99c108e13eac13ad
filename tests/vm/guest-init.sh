#!/bin/sh
# /init of the VM test initramfs (busybox).  Mounts the pseudo file systems,
# loads /contig.ko, runs /suite.sh with the arguments from /suite.args under
# a timeout, checks the kernel log and prints the result marker that
# tests/vm/run looks for, then powers the machine off.
#
# Environment seen by the suite (from /suite.env, written by tests/vm/run):
#   CONTIG_KO_LOADED      1 if insmod /contig.ko succeeded, else 0
#   CONTIG_VM_SERIES      kernel series (6.1, 6.12)
#   CONTIG_VM_KVER        kernel release (uname -r)
#   CONTIG_VM_SUITE       suite name
#   CONTIG_VM_SUITE_TIMEOUT  seconds the suite may run
# Guest programs built from tests/vm/guest/*.c and guest/*/ are in /guest
# (on PATH), with the files of CONTIG_VM_EXTRA_FILES; the shared libraries
# of those that are dynamically linked are in /guest/lib (on LD_LIBRARY_PATH).

export PATH=/guest:/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=/guest/lib
export HOME=/root TERM=dumb

/bin/busybox --install -s /bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ -d /sys/kernel/tracing ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
# All kernel messages (module pr_info() included) go to the serial console
# from here on; the host keeps and scans the whole log.
echo 8 >/proc/sys/kernel/printk 2>/dev/null

say() { echo "contig-vm: $*"; }

finish() {
	sync
	# Let the console drain before the marker and the power-off.
	sleep 0.2
	echo "CONTIG-VM-RESULT: $*"
	sleep 0.2
	poweroff -f
	sleep 5
	echo "contig-vm: poweroff failed" >&2
	exit 1
}

if [ -f /suite.env ]; then
	# shellcheck source=/dev/null
	. /suite.env
fi
CONTIG_VM_KVER=$(uname -r)
export CONTIG_VM_KVER
say "kernel $CONTIG_VM_KVER, $(grep -c ^processor /proc/cpuinfo) cpu(s), $(awk '/^MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"

CONTIG_KO_LOADED=0
if [ -f /contig.ko ]; then
	if out=$(insmod /contig.ko 2>&1); then
		CONTIG_KO_LOADED=1
		say "insmod /contig.ko: ok"
	else
		say "insmod /contig.ko: FAILED: $out"
	fi
else
	say "insmod /contig.ko: no /contig.ko in the initramfs"
fi
export CONTIG_KO_LOADED

# Suite arguments, one per line.
set --
if [ -f /suite.args ]; then
	while IFS= read -r a; do
		set -- "$@" "$a"
	done </suite.args
fi

t=${CONTIG_VM_SUITE_TIMEOUT:-60}
say "running suite ${CONTIG_VM_SUITE:-?} (timeout ${t}s): $*"
cd /tmp || finish "FAIL cannot cd /tmp"
timeout "$t" /bin/sh /suite.sh "$@"
rc=$?
cd /
say "suite exited with status $rc"

bad=$(dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN:|kernel BUG at|list_del corruption|list_add corruption|general protection fault|Kernel panic' | head -n 5)
if [ -n "$bad" ]; then
	say "kernel log has errors:"
	echo "$bad"
fi

if [ "$rc" -eq 143 ] || [ "$rc" -eq 124 ]; then
	finish "FAIL suite timed out after ${t}s"
elif [ "$rc" -ne 0 ]; then
	finish "FAIL suite exited with status $rc"
elif [ -n "$bad" ]; then
	finish "FAIL kernel log has errors: $(echo "$bad" | head -n 1 | sed 's/^\[[^]]*\] *//')"
else
	finish "PASS"
fi
