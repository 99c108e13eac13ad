#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""contigctl defrag and status against a private contigd (collapse).

  - status: text and JSON (backend, observer, queue_length, ...);
  - defrag --wait: figures before/after, exit 0, the region collapsed;
    --json carries the same; progress lines on stderr (not a terminal);
  - defrag without --wait: queued, exit 0;
  - nobody (setpriv) against a root process: "Permission denied: the
    caller may not read the memory of pid N ...", exit 3; its own process:
    allowed;
  - no such process 2, bad range 1, bad options 1, no daemon 10, and a
    --timeout shorter than the work: exit 11, the work goes on.

usage: contigctl_defrag.py CONTIGD CONTIGCTL COLLAPSE_TARGET
Needs root: 77 otherwise.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_test  # noqa: E402
from daemon_test import Daemon, check, finish, need_root  # noqa: E402


def start_target(exe, mib):
    p, pid, s, e = daemon_test.start_target(exe, mib)
    return p, pid, "0x%x-0x%x" % (s, e)


def main():
    contigd, ctl, target = sys.argv[1:4]
    need_root()
    # 512 pages/s: one 2 MiB block a second, slow enough to time out
    d = Daemon(contigd, "backend = collapse\nobserver = proc\n"
               "budget_pages = 512\n")
    rd, tmp = d.rd, d.tmp
    procs = []

    def run(*args, user=None):
        cmd = [ctl, "--runtime-dir", rd] + list(args)
        if user:
            cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                   "--clear-groups"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        print("$ contigctl %s -> %d\n%s%s" % (" ".join(args), r.returncode,
                                              r.stdout, r.stderr), end="")
        return r

    try:
        r = run("status")
        check(r.returncode == 0 and "backend   collapse" in r.stdout and
              "observer  proc" in r.stdout, "status text")
        r = run("status", "--json")
        js = json.loads(r.stdout)
        check(js["backend"] == "collapse" and js["observer"] == "proc" and
              js["queue_length"] == 0 and "uptime_s" in js, "status json")

        p, pid, rng = start_target(target, 8)
        procs.append(p)
        r = run("defrag", str(pid), "--range", rng, "--wait")
        lines = r.stdout.splitlines()
        check(r.returncode == 0 and len(lines) == 4 and
              lines[0].split()[-1] == "aligned_2m" and
              lines[2].split()[0] == "after" and
              lines[2].split()[-1] == "4" and
              lines[3].endswith("target reached"),
              "defrag --wait: figures, target reached")
        check("progress:" in r.stderr, "defrag --wait: progress on stderr")
        r = run("defrag", str(pid), "--range", rng, "--wait", "--json")
        js = json.loads(r.stdout) if r.returncode == 0 else {}
        check(js.get("reached") is True and
              js.get("after", {}).get("aligned_2m") == 4,
              "defrag --wait --json")

        p2, pid2, rng2 = start_target(target, 16)
        procs.append(p2)
        r = run("defrag", str(pid2), "--json")
        check(r.returncode == 0 and json.loads(r.stdout) ==
              {"version": 1, "pid": pid2, "queued": True}, "defrag: queued")

        r = run("defrag", str(pid), user=65534)
        check(r.returncode == 3 and r.stderr.strip() ==
              "contigctl: Permission denied: the caller may not read the "
              "memory of pid %d (no /proc/%d/pagemap descriptor)" % (pid, pid),
              "nobody refused a root process")
        mine = subprocess.Popen(["setpriv", "--reuid=65534",
                                 "--regid=65534", "--clear-groups",
                                 target, "4"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        procs.append(mine)
        own = int(mine.stdout.readline().split()[1])
        r = run("defrag", str(own), user=65534)
        check(r.returncode == 0 and "queued" in r.stdout,
              "nobody may defrag its own process")

        r = run("defrag", "4000000")
        check(r.returncode == 2 and "No such process" in r.stderr,
              "no such process: exit 2")
        r = run("defrag", str(pid), "--range", "0x1000-0x2000")
        check(r.returncode == 1 and "no private writable anonymous memory"
              in r.stderr, "range without memory: exit 1")
        for bad in (["defrag", str(pid), "--range", "0x1001-0x2000"],
                    ["defrag", str(pid), "--timeout", "5"],
                    ["show", str(pid), "--wait"],
                    ["status", "--range", "0-4096"],
                    ["defrag", "abc"]):
            r = run(*bad)
            check(r.returncode == 1 and len(r.stderr.splitlines()) == 1,
                  "usage error: %s" % " ".join(bad))
        r = subprocess.run([ctl, "--runtime-dir", tmp + "/none", "status"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 10 and "not running" in r.stderr,
              "no daemon: exit 10")

        p3, pid3, rng3 = start_target(target, 32)
        procs.append(p3)
        r = run("defrag", str(pid3), "--wait", "--timeout", "1500")
        check(r.returncode == 11 and "the work goes on" in r.stderr,
              "--timeout shorter than the work: exit 11")
    finally:
        for p in procs:
            p.stdin.close()
            p.kill()
            p.wait()
        d.stop()
    finish()


if __name__ == "__main__":
    main()
