#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""libcontig against a private contigd (collapse backend on this host).

  - examples/hint_buffer: contig_advise(CONTIG_NOW) on a 32 MiB buffer
    returns 0 and contig_query then finds every 2 MiB block aligned;
  - contig_workload: a buffer faulted interleaved with a partner process
    and churn, hinted while writer threads rewrite and verify every page
    in both processes: the hint is honoured (all blocks aligned), no
    integrity error;
  - the same program against a daemon that is not there: ENOTCONN, the
    program goes on and exits 3 (hint failed), its pages intact.

usage: lib_daemon.py CONTIGD HINT_BUFFER CONTIG_WORKLOAD
Needs root (frame numbers; process_madvise on another process): 77.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_test import Daemon, check, finish, need_root  # noqa: E402


def figures(line):
    words = line.split()
    return {words[i]: int(words[i + 1]) for i in range(1, len(words) - 1, 2)}


def main():
    contigd, hint_buffer, workload = sys.argv[1:4]
    need_root()
    d = Daemon(contigd, "backend = collapse\nobserver = off\n")
    env = dict(os.environ, CONTIGD_RUNTIME_DIR=d.rd)
    try:
        r = subprocess.run([hint_buffer, "32"], env=env, capture_output=True,
                           text=True, timeout=120)
        print(r.stdout + r.stderr, end="")
        lines = r.stdout.splitlines()
        after = figures(lines[1]) if len(lines) > 1 else {}
        check(r.returncode == 0 and after.get("aligned_2m") == 16,
              "hint_buffer: exit %d, after %s" % (r.returncode, after))

        r = subprocess.run([workload, "--mib", "64", "--allow-thp", "--json"],
                           env=env, capture_output=True, text=True,
                           timeout=300)
        print(r.stdout + r.stderr, end="")
        js = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        check(r.returncode == 0 and js.get("hint_error") == "",
              "workload: exit %d, hint error %r" % (r.returncode,
                                                   js.get("hint_error")))
        check(js.get("before", {}).get("aligned_2m", 32) < 4,
              "workload: fragmented before (%s)" % js.get("before"))
        check(js.get("after", {}).get("aligned_2m") == 32,
              "workload: after %s" % js.get("after"))
        check(js.get("integrity_errors") == 0 and js.get("rewrites", 0) > 0,
              "workload: %s rewrites, %s integrity errors"
              % (js.get("rewrites"), js.get("integrity_errors")))

        env["CONTIGD_RUNTIME_DIR"] = os.path.join(d.tmp, "nothing-here")
        r = subprocess.run([workload, "--mib", "8", "--json"], env=env,
                           capture_output=True, text=True, timeout=120)
        js = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        check(r.returncode == 3 and
              js.get("hint_error") == "Transport endpoint is not connected"
              and js.get("integrity_errors") == 0,
              "no daemon: exit %d, %s" % (r.returncode, js.get("hint_error")))
    finally:
        d.stop()
    finish()


if __name__ == "__main__":
    main()
