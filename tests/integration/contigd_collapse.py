#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""contigd --once with the collapse backend, checked independently.

1. collapse_target holds a scattered 64 MiB 2 MiB-aligned region; after
   `contigd --once PID --backend collapse --range START-END`, a pagemap
   walk written here (not contigd's probe code) must find at least 31 of
   the 32 aligned 2 MiB blocks backed by one aligned 2 MiB frame block,
   the region's contents must be intact, and the stats file must pass
   `promtool check metrics`.
2. The same on a MADV_NOHUGEPAGE region: contigd must say the region
   refuses huge pages, exit 5 (target not reached) and count the refusals.

usage: contigd_collapse.py CONTIGD COLLAPSE_TARGET
Needs root (physical frame numbers, process_madvise on another process):
exits 77 (skipped) otherwise. promtool missing is a failure.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PAGE = 4096
BLOCK_PAGES = 512
PM_PRESENT = 1 << 63
PM_PFN = (1 << 55) - 1


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def pfns(pid, start, end):
    out = []
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(start // PAGE * 8)
        data = f.read((end - start) // PAGE * 8)
    for (e,) in struct.iter_unpack("<Q", data):
        out.append(e & PM_PFN if e & PM_PRESENT else None)
    return out


def aligned_blocks(pid, start, end):
    p = pfns(pid, start, end)
    n = 0
    for b in range(0, len(p) - BLOCK_PAGES + 1, BLOCK_PAGES):
        first = p[b]
        if first is None or first == 0 or first % BLOCK_PAGES:
            continue
        if all(p[b + i] == first + i for i in range(BLOCK_PAGES)):
            n += 1
    return n


def start_target(exe, *args):
    proc = subprocess.Popen([exe, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    pid = int(proc.stdout.readline().split()[1])
    _, s, e = proc.stdout.readline().split()
    return proc, pid, int(s, 16), int(e, 16)


def verify_contents(proc):
    proc.stdin.write("v\n")
    proc.stdin.flush()
    line = proc.stdout.readline().strip()
    if line != "ok":
        fail("memory contents changed: " + line)


def stop(proc):
    proc.stdin.close()
    if proc.wait(timeout=60) != 0:
        fail("collapse_target found its memory changed at exit")


def contigd(exe, pid, s, e, stats):
    cmd = [exe, "--once", str(pid), "--backend", "collapse",
           "--range", "0x%x-0x%x" % (s, e), "--stats-file", stats]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    print("$ " + " ".join(cmd))
    print(r.stdout + r.stderr, end="")
    return r


def promtool(stats):
    r = subprocess.run(["promtool", "check", "metrics"],
                       stdin=open(stats), capture_output=True, text=True)
    if r.returncode != 0:
        fail("promtool check metrics rejects %s: %s%s"
             % (stats, r.stdout, r.stderr))


def metric(stats, line_start):
    with open(stats) as f:
        for line in f:
            if line.startswith(line_start + " "):
                return int(float(line.split()[-1]))
    fail("%s: no sample %s" % (stats, line_start))


def main():
    if len(sys.argv) != 3:
        fail("usage: contigd_collapse.py CONTIGD COLLAPSE_TARGET")
    exe, target = sys.argv[1:]
    if os.geteuid() != 0:
        print("skip: needs root")
        sys.exit(77)
    if not shutil.which("promtool"):
        fail("promtool not found: install the Debian package 'prometheus' "
             "(scripts/install-deps)")
    tmp = tempfile.mkdtemp(prefix="contigd-collapse.")
    stats = os.path.join(tmp, "metrics.prom")

    proc, pid, s, e = start_target(target, "64")
    try:
        before = aligned_blocks(pid, s, e)
        r = contigd(exe, pid, s, e, stats)
        after = aligned_blocks(pid, s, e)
        print("independent pagemap walk: aligned 2 MiB blocks %d -> %d of %d"
              % (before, after, (e - s) // (BLOCK_PAGES * PAGE)))
        if after < 31:
            fail("only %d of 32 blocks aligned" % after)
        if r.returncode not in (0, 5):
            fail("contigd exited %d" % r.returncode)
        if after == 32 and r.returncode != 0:
            fail("all blocks aligned but contigd exited %d" % r.returncode)
        verify_contents(proc)
    finally:
        if proc.poll() is None:
            stop(proc)
    promtool(stats)
    if metric(stats, "contigd_blocks_collapsed_total") < 31:
        fail("stats: contigd_blocks_collapsed_total below 31")

    proc, pid, s, e = start_target(target, "--nohugepage", "8")
    try:
        r = contigd(exe, pid, s, e, stats)
        if r.returncode != 5:
            fail("NOHUGEPAGE region: contigd exited %d, want 5"
                 % r.returncode)
        if "region refuses huge pages (MADV_NOHUGEPAGE)" not in r.stderr:
            fail("NOHUGEPAGE region: no clear message on stderr")
        if aligned_blocks(pid, s, e) != 0:
            fail("NOHUGEPAGE region: blocks were collapsed anyway")
        verify_contents(proc)
    finally:
        if proc.poll() is None:
            stop(proc)
    promtool(stats)
    if metric(stats, 'contigd_ops_failed_total{reason="refused"}') != 4:
        fail("stats: want 4 refused blocks")
    shutil.rmtree(tmp)
    print("ok")


if __name__ == "__main__":
    main()
