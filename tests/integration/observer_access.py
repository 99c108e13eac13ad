#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The background daemon finds memory by access (collapse backend, the
default observer, no hint, no request).

Three processes, each with a scattered 64 MiB VMA (access_target):
  acc_hot    reads its VMA at random without pause (no faults);
  acc_idle   never touches it again;
  acc_churn  drops 2 MiB at a time (MADV_DONTNEED) and writes it again.
Checked by an independent pagemap walk and the daemon's log:
  - the hot VMA is defragmented (32 of 32 aligned 2 MiB blocks) within
    three scan intervals, with its contents intact;
  - the idle VMA's frames are exactly the same at the end;
  - the churning VMA gets at most one pass in the test's window;
  - each pass is logged at info with pid, command, VMA, runs before and
    after, pages moved, time, and the heat and source it was chosen by;
  - contigctl show --json gives the hot VMA's heat with an access source.

usage: observer_access.py CONTIGD ACCESS_TARGET CONTIGCTL
Needs root: exits 77 (skipped) otherwise.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_test import (Daemon, aligned_blocks_of, check, finish,  # noqa
                         need_root, pfns)

SCAN = 2          # scan_interval, seconds
WINDOW = 24.0     # seconds the churning VMA is watched
BLOCKS = 32       # 2 MiB blocks in 64 MiB


def start(exe, mode):
    proc = subprocess.Popen([exe, mode, "64"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    pid = int(proc.stdout.readline().split()[1])
    _, s, e = proc.stdout.readline().split()
    return proc, pid, int(s, 16), int(e, 16)


def passes_logged(text, pid, start):
    """Info lines of passes over pid's VMA at start."""
    pat = re.compile(r"pass: pid %d \(\S+\) 0x%x-" % (pid, start))
    return [ln for ln in text.splitlines() if pat.search(ln)]


def show_json(contigctl, rd, pid):
    r = subprocess.run([contigctl, "show", str(pid), "--json",
                        "--runtime-dir", rd], capture_output=True, text=True,
                       timeout=60)
    return json.loads(r.stdout) if r.returncode == 0 else {}


def main():
    if len(sys.argv) != 4:
        print("usage: observer_access.py CONTIGD ACCESS_TARGET CONTIGCTL")
        sys.exit(2)
    contigd, target, contigctl = sys.argv[1:]
    need_root()
    conf = ("backend = collapse\nscan_interval = %d\nwatch_min_rss = 16M\n"
            "include = acc_*\n" % SCAN)
    d = Daemon(contigd, conf, args=("--foreground",))
    procs = []
    try:
        hot = start(target, "hot")
        idle = start(target, "idle")
        churn = start(target, "churn")
        procs = [hot, idle, churn]
        t0 = time.time()
        idle_before = pfns(idle[1], idle[2], idle[3])
        hot_before = aligned_blocks_of(pfns(hot[1], hot[2], hot[3]))
        check(hot_before < 4 and aligned_blocks_of(idle_before) < 4,
              "set-up: hot and idle VMAs scattered (%d, %d aligned blocks)"
              % (hot_before, aligned_blocks_of(idle_before)))

        took, last_pass, churn_passes = None, set(), 0
        while time.time() - t0 < WINDOW:
            now = time.time() - t0
            if took is None and aligned_blocks_of(
                    pfns(hot[1], hot[2], hot[3])) == BLOCKS:
                took = now
            js = show_json(contigctl, d.rd, churn[1])
            for v in js.get("vmas", []):
                if int(v["start"], 16) == churn[2] and v.get("last_pass"):
                    last_pass.add(v["last_pass"])
            time.sleep(0.25)
        check(took is not None and took <= 3 * SCAN,
              "hot VMA: 32 aligned 2 MiB blocks within %d s (after %s s)"
              % (3 * SCAN, "%.1f" % took if took is not None else "never"))

        idle_after = pfns(idle[1], idle[2], idle[3])
        moved = sum(1 for a, b in zip(idle_before, idle_after) if a != b)
        check(moved == 0, "idle VMA untouched (%d of %d frames changed)"
              % (moved, len(idle_before)))

        text = d.text()
        churn_passes = max(len(passes_logged(text, churn[1], churn[2])),
                           len(last_pass))
        check(churn_passes <= 1, "churning VMA: %d pass(es) in %.0f s"
              % (churn_passes, WINDOW))
        check(not passes_logged(text, idle[1], idle[2]),
              "idle VMA: no pass logged")

        lines = passes_logged(text, hot[1], hot[2])
        print("\n".join(lines))
        check(len(lines) >= 1 and "(acc_hot)" in lines[0] and
              re.search(r"runs \d+ -> \d+", lines[0]) and
              re.search(r"pages moved \d+", lines[0]) and
              re.search(r"heat [\d.]+/s \((young|proc|tlb)\)", lines[0]),
              "hot VMA: pass logged at info with runs, pages, heat, source")

        r = subprocess.run([contigctl, "status", "--json", "--runtime-dir",
                            d.rd], capture_output=True, text=True, timeout=60)
        st = json.loads(r.stdout) if r.returncode == 0 else {}
        pmu = os.path.exists("/sys/bus/event_source/devices/cpu")
        check(st.get("heat_source") in ("young", "proc") and
              st.get("tlb", "").startswith("none") and
              (pmu or "no hardware PMU" in st.get("tlb", "")),
              "contigctl status: heat source %s, tlb %s"
              % (st.get("heat_source"), st.get("tlb")))

        js = show_json(contigctl, d.rd, hot[1])
        mine = [v for v in js.get("vmas", []) if int(v["start"], 16) == hot[2]]
        check(mine and mine[0].get("heat_source") in ("young", "proc", "tlb")
              and mine[0].get("heat", 0) > 0,
              "contigctl show: hot VMA heat %s source %s" % (
                  mine[0].get("heat") if mine else None,
                  mine[0].get("heat_source") if mine else None))
        mine = [v for v in show_json(contigctl, d.rd, idle[1]).get("vmas", [])
                if int(v["start"], 16) == idle[2]]
        check(not mine or not mine[0].get("heat"),
              "contigctl show: idle VMA has no heat (%s)"
              % (mine[0].get("heat") if mine else None))

        for p in procs:
            p[0].stdin.close()
        for p, name in zip(procs, ("hot", "idle", "churn")):
            code = p[0].wait(timeout=60)
            check(code == 0, "%s: contents intact (exit %d)" % (name, code))
        procs = []
    finally:
        for p in procs:
            p[0].kill()
            p[0].wait()
        text = d.stop()
    if failures_seen():
        print("--- contigd log ---\n" + text)
    finish()


def failures_seen():
    import daemon_test
    return bool(daemon_test.failures)


if __name__ == "__main__":
    main()
