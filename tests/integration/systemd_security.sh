#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: systemd_security.sh UNIT MAX
#
# Runs systemd-analyze security --offline=true on UNIT and fails when the
# overall exposure is above MAX (e.g. 3.0). Exits 77 (skipped) without a
# systemd-analyze that knows --offline (systemd 250 and later).
set -u

unit=$1
max=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip: systemd-analyze not found"
	exit 77
fi

out=$(SYSTEMD_COLORS=0 systemd-analyze security --no-pager --offline=true \
	"$unit" 2>&1)
status=$?
printf '%s\n' "$out"
case $out in
*"unrecognized option"*|*"Unknown option"*)
	echo "skip: this systemd-analyze has no --offline"
	exit 77
	;;
esac

level=$(printf '%s\n' "$out" |
	sed -n 's/^.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*$/\1/p')
if [ -z "$level" ]; then
	echo "FAIL: no overall exposure level in the output (status $status)"
	exit 1
fi
if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l + 0 <= m + 0) }'; then
	echo "ok: exposure $level <= $max"
	exit 0
fi
echo "FAIL: exposure $level > $max"
exit 1
