#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# contigctl status names the kernel helper's state and what to do, on a
# real kernel: contigd (backend auto, observer off) started three times,
#   - with contig.ko loaded: backend kmod, "/dev/contig answers ABI N";
#   - with it unloaded: backend collapse, "contig.ko not loaded: modprobe
#     contig" (or the signed-modules sentence under lockdown);
#   - with it loaded with symbols=0: backend kmod, "kernel symbols
#     missing: no in-place exchange, migration only";
# each status fits 80 columns and its JSON says the same.
# Needs /guest/contigd_static, contigctl_static (CONTIG_VM_EXTRA_FILES).
set -eu

rd=/tmp/contigd
dpid=
say() { echo "helper_status: $*"; }
fail() {
	say "FAIL: $*"
	[ -f /tmp/contigd.log ] && sed 's/^/helper_status: contigd: /' /tmp/contigd.log | tail -n 20
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	exit 1
}

# Start contigd, print contigctl status, stop contigd; the text in $st.
status() { # what
	mkdir -p "$rd"
	printf 'backend = auto\nobserver = off\n' >/tmp/contigd.conf
	contigd_static --config /tmp/contigd.conf --runtime-dir "$rd" \
		>/tmp/contigd.log 2>&1 &
	dpid=$!
	i=0
	while [ ! -S "$rd/contigd.sock" ]; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "$1: contigd did not start in 30 s"
		kill -0 "$dpid" 2>/dev/null || fail "$1: contigd exited"
		sleep 0.1
	done
	st=$(contigctl_static --runtime-dir "$rd" status) || fail "$1: status"
	js=$(contigctl_static --runtime-dir "$rd" status --json) || fail "$1: status --json"
	printf '%s\n' "$st" | sed "s/^/helper_status: $1: /"
	long=$(printf '%s\n' "$st" | awk 'length > 80')
	[ -z "$long" ] || fail "$1: status lines over 80 columns: $long"
	kill "$dpid"
	wait "$dpid" || fail "$1: contigd did not stop cleanly"
	dpid=
	# The reason comes whole in the JSON.
	reason=$(printf '%s\n' "$js" | sed -n 's/.*"backend_reason":"\([^"]*\)".*/\1/p')
	say "$1: backend_reason: $reason"
}

[ "${CONTIG_KO_LOADED:-0}" = 1 ] || fail "contig.ko did not load"
for p in contigd_static contigctl_static; do
	command -v "$p" >/dev/null || fail "no $p in /guest (CONTIG_VM_EXTRA_FILES)"
done

status loaded
case $reason in
"auto: /dev/contig answers ABI "*) ;;
*) fail "loaded: backend_reason '$reason'" ;;
esac
case $reason in *"symbols missing"*) fail "loaded: in-place exchange said missing" ;; esac
printf '%s\n' "$js" | grep -q '"backend":"kmod"' || fail "loaded: backend is not kmod"

rmmod contig || fail "rmmod contig"
status unloaded
case $reason in
*"contig.ko not loaded: modprobe contig"* | *"signed modules only"*) ;;
*) fail "unloaded: backend_reason '$reason'" ;;
esac
printf '%s\n' "$js" | grep -q '"backend":"collapse"' || fail "unloaded: backend is not collapse"

insmod /contig.ko symbols=0 || fail "insmod /contig.ko symbols=0"
status symbols=0
case $reason in
*"kernel symbols missing: no in-place exchange, migration only"*) ;;
*) fail "symbols=0: backend_reason '$reason'" ;;
esac
say "ok"
