#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check `contigctl show PID --json` against an independent pagemap walk.

Starts `scatter` (64 MiB faulted in a permuted order, an 8 MiB THP region,
a sparse 1 GiB reservation), walks /proc/PID/pagemap itself, computes
pages, present, runs, largest_run, runs_99 and aligned_2m per VMA, and
requires contigctl to agree exactly. Then checks the error cases: a pid
that does not exist, a kernel thread, a process that has exited (zombie,
then reaped) and, as an unprivileged user, hidden frame numbers and
another user's process.

Needs root (PFNs are hidden otherwise): exits 77 (skipped) when not root.
usage: show_vs_pagemap.py CONTIGCTL SCATTER
"""
import json
import os
import signal
import struct
import subprocess
import sys
import time

SKIP = 77
PAGE = 4096
PAGES_2M = 512
PRESENT = 1 << 63
PFN_MASK = (1 << 55) - 1
CONTRACT = ["start", "end", "kind", "pages", "present", "runs",
            "largest_run", "runs_99", "aligned_2m"]
failures = []


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)


def read_maps(pid):
    vmas = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            addrs = line.split()[0]
            start, end = (int(x, 16) for x in addrs.split("-"))
            vmas.append((start, end, line.rstrip("\n")))
    return vmas


def read_pfns(pid, start, end):
    """PFN per page of [start, end), None where not present."""
    out = []
    vpn, last = start // PAGE, end // PAGE
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        while vpn < last:
            n = min(last - vpn, 1 << 16)
            f.seek(vpn * 8)
            data = f.read(n * 8)
            if len(data) != n * 8:
                raise RuntimeError(f"short pagemap read at vpn {vpn:#x}")
            for (e,) in struct.iter_unpack("<Q", data):
                out.append(e & PFN_MASK if e & PRESENT else None)
            vpn += n
    return out


def metrics(start, pfns):
    """The DESIGN.md definitions, computed the obvious way."""
    present = sum(p is not None for p in pfns)
    runs = []
    cur = 0
    for i, p in enumerate(pfns):
        if p is None:
            if cur:
                runs.append(cur)
            cur = 0
        elif cur and pfns[i - 1] is not None and p == pfns[i - 1] + 1:
            cur += 1
        else:
            if cur:
                runs.append(cur)
            cur = 1
    if cur:
        runs.append(cur)
    need = -(-present * 99 // 100)  # ceil(99 % of present)
    covered = runs_99 = 0
    for r in sorted(runs, reverse=True):
        if covered >= need:
            break
        covered += r
        runs_99 += 1
    aligned = 0
    vpn0 = start // PAGE
    first = -(-vpn0 // PAGES_2M) * PAGES_2M
    vpn = first
    while vpn + PAGES_2M <= vpn0 + len(pfns):
        blk = pfns[vpn - vpn0:vpn - vpn0 + PAGES_2M]
        if blk[0] is not None and blk[0] % PAGES_2M == 0 and all(
                blk[k] == blk[0] + k for k in range(PAGES_2M)):
            aligned += 1
        vpn += PAGES_2M
    return {"pages": len(pfns), "present": present, "runs": len(runs),
            "largest_run": max(runs, default=0), "runs_99": runs_99,
            "aligned_2m": aligned}


def run_ctl(ctl, *args, user=None):
    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    return subprocess.run([ctl, *args], capture_output=True, text=True,
                          preexec_fn=drop if user else None, timeout=120)


def start_scatter(scatter, mib="64", user=None):
    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    p = subprocess.Popen([scatter, mib], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         preexec_fn=drop if user else None)
    info = {}
    for _ in range(4):
        key, *vals = p.stdout.readline().split()
        info[key] = int(vals[0]) if key == "pid" else tuple(
            int(v, 16) for v in vals)
    return p, info


def runmap_pages(runmap):
    total = 0
    for tok in runmap.split():
        total += int(tok[1:])
    return total


def compare_all(ctl, pid, info):
    walk1 = {}
    for start, end, line in read_maps(pid):
        if "[vsyscall]" in line or end - start > (4 << 30):
            continue
        walk1[start] = (end, line, metrics(start, read_pfns(pid, start, end)))
    res = run_ctl(ctl, "show", str(pid), "--json")
    check(res.returncode == 0, f"show {pid} --json exits 0 ({res.stderr.strip()})")
    check(res.stdout.count("\n") == 1 and res.stdout.endswith("\n"),
          "JSON is exactly one line")
    pairs = []
    doc = json.loads(res.stdout, object_pairs_hook=lambda kv: (pairs.append(
        [k for k, _ in kv]), dict(kv))[1])
    check(pairs[-1][:3] == ["version", "pid", "vmas"],
          "top-level keys are version, pid, vmas")
    check(doc["pid"] == pid, "pid echoed")
    ctl_vmas = {int(v["start"], 16): v for v in doc["vmas"]}
    key_orders = [k for k in pairs if k and k[0] == "start"]
    check(all(k[:len(CONTRACT)] == CONTRACT for k in key_orders),
          "every VMA starts with the contract keys, in order")
    check(len(doc["vmas"]) == len(read_maps(pid)), "one entry per VMA")

    # A second walk: VMAs that changed in between (none expected) are not
    # held against contigctl, except the test regions.
    regions = {info[k][0]: k for k in ("region", "thp", "sparse")}
    for start, (end, line, m1) in walk1.items():
        m2 = metrics(start, read_pfns(pid, start, end))
        v = ctl_vmas.get(start)
        name = regions.get(start, line.split(None, 5)[-1] if len(
            line.split()) > 5 else "anon")
        if v is None:
            check(False, f"VMA {start:#x} ({name}) is in the JSON")
            continue
        if m1 != m2 and start not in regions:
            print(f"# {start:#x} {name} changed during the test; skipped")
            continue
        got = {k: v[k] for k in m1}
        check(got == m1 and int(v["end"], 16) == end,
              f"{start:#x}-{end:#x} {name}: {got} == {m1}")
        if "\u2026" not in v["runmap"]:
            check(runmap_pages(v["runmap"]) == m1["pages"],
                  f"{start:#x} {name}: run map covers every page")
    return ctl_vmas


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ctl, scatter = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("# skipped: physical frame numbers need root")
        return SKIP

    p, info = start_scatter(scatter)
    pid = info["pid"]
    try:
        r0, r1 = info["region"]
        vmas = read_maps(pid)
        check(any(s == r0 and e == r1 for s, e, _ in vmas),
              "the 64 MiB region is exactly one VMA")
        ctl_vmas = compare_all(ctl, pid, info)
        reg = ctl_vmas.get(r0, {})
        check(reg.get("kind") == "anon", "the region is anon")
        check(reg.get("present") == (r1 - r0) // PAGE,
              "every page of the region is present")
        check(reg.get("runs", 0) > (r1 - r0) // PAGE // 4,
              f"the region is scattered ({reg.get('runs')} runs)")
        sp = ctl_vmas.get(info["sparse"][0], {})
        check(sp.get("present") == 6 and sp.get("runs", 0) >= 4 and
              sp.get("pages") == (1 << 30) // PAGE,
              f"sparse 1 GiB VMA: 6 pages present ({sp.get('present')})")
        print(f"# sparse runmap: {sp.get('runmap')}")
        thp = ctl_vmas.get(info["thp"][0], {})
        print(f"# thp region: aligned_2m={thp.get('aligned_2m')} "
              f"runs={thp.get('runs')}")
        text = run_ctl(ctl, "show", str(pid))
        check(text.returncode == 0 and f"pid {pid} (scatter)" in text.stdout
              and "runs: " in text.stdout, "text output has a header and run maps")
    finally:
        p.stdin.close()
        p.wait(timeout=30)

    # A pid that does not exist.
    with open("/proc/sys/kernel/pid_max") as f:
        gone = int(f.read()) - 1
    while os.path.exists(f"/proc/{gone}"):
        gone -= 1
    res = run_ctl(ctl, "show", str(gone))
    check(res.returncode == 2 and res.stderr ==
          f"contigctl: show {gone}: no such process\n",
          f"nonexistent pid: exit 2, one line ({res.returncode}, {res.stderr!r})")

    # A kernel thread (pid 2, kthreadd, unless we are in a pid namespace).
    kthread = None
    for d in ["2"] + sorted(os.listdir("/proc")):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                flags = int(f.read().rsplit(")", 1)[1].split()[6])
        except OSError:
            continue
        if flags & 0x00200000:
            kthread = int(d)
            break
    if kthread is None:
        print("# no kernel thread visible; skipped")
    else:
        res = run_ctl(ctl, "show", str(kthread))
        check(res.returncode == 8 and res.stderr ==
              f"contigctl: show {kthread}: pid {kthread} is a kernel thread: "
              "it has no user memory\n",
              f"kernel thread {kthread}: exit 8 ({res.returncode}, {res.stderr!r})")

    # A process that has exited: first a zombie, then reaped.
    p, info = start_scatter(scatter, "1")
    pid = info["pid"]
    p.send_signal(signal.SIGKILL)
    for _ in range(500):
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    res = run_ctl(ctl, "show", str(pid), "--json")
    check(res.returncode == 2 and res.stdout == "" and res.stderr ==
          f"contigctl: show {pid}: process exited\n",
          f"zombie: exit 2 ({res.returncode}, {res.stderr!r})")
    p.stdin.close()
    p.wait()
    res = run_ctl(ctl, "show", str(pid))
    check(res.returncode == 2 and "no such process" in res.stderr,
          "reaped: exit 2, no such process")

    res = run_ctl(ctl, "show", "12abc")
    check(res.returncode == 1 and res.stderr.count("\n") == 1,
          "bad pid: exit 1, one line")

    # Unprivileged: our own process (frames hidden), then root's.
    p, info = start_scatter(scatter, "1", user="nobody")
    try:
        res = run_ctl(ctl, "show", str(info["pid"]), user="nobody")
        if res.returncode in (126, 127):
            print("# contigctl not executable by nobody; skipped")
        else:
            check(res.returncode == 3 and res.stderr ==
                  f"contigctl: show {info['pid']}: reading /proc/{info['pid']}"
                  "/pagemap: physical frame numbers are hidden: need "
                  "CAP_SYS_ADMIN\n",
                  f"unprivileged, own process: exit 3 ({res.returncode}, {res.stderr!r})")
            res = run_ctl(ctl, "show", "1", user="nobody")
            check(res.returncode == 3 and "permission denied" in res.stderr
                  and res.stderr.count("\n") == 1,
                  f"unprivileged, root's process: exit 3 ({res.returncode}, {res.stderr!r})")
    except PermissionError:
        print("# contigctl not executable by nobody; skipped")
    finally:
        p.stdin.close()
        p.wait(timeout=30)

    print(f"# {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
