#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""`contigctl show` against a fake /proc tree (--proc-root): exact output.

Needs no privilege. Builds <tmp>/42/{stat,maps,pagemap,smaps} with a known
physical layout, and checks the JSON field by field (the contract fields
first, in order, then perms/path/swapped/pmd_mapped_bytes/runmap), the
text table, and each
error: missing pid, kernel thread, zombie, hidden frame numbers, and a
pagemap that ends early (the process exited while being read).

usage: show_fake_proc.py CONTIGCTL
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

PRESENT = 1 << 63
SWAPPED = 1 << 62
failures = []


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)


def runmap(pfns, max_tokens=64):
    """The run map as metrics.h defines it (contigctl's JSON keeps 64)."""
    toks, singles, absent, i = [], 0, 0, 0

    def emit(kind, n):
        if n:
            toks.append(f"{kind}{n}")
    while i < len(pfns):
        if pfns[i] is None:
            emit("-", singles)
            singles = 0
            absent += 1
            i += 1
            continue
        emit("_", absent)
        absent = 0
        j = i + 1
        while j < len(pfns) and pfns[j] is not None and pfns[j] == pfns[j - 1] + 1:
            j += 1
        if j - i == 1:
            singles += 1
        else:
            emit("-", singles)
            singles = 0
            emit("+", j - i)
        i = j
    emit("-", singles)
    emit("_", absent)
    if len(toks) > max_tokens:
        return " ".join(toks[:max_tokens]) + f" \u2026(+{len(toks) - max_tokens})"
    return " ".join(toks)


def write_tree(root, entries, maps, stat="42 (fake prog) S 1 42 42 0 -1 4194560 0 0\n",
               smaps=None):
    os.makedirs(f"{root}/42", exist_ok=True)
    if smaps is not None:
        with open(f"{root}/42/smaps", "w") as f:
            f.write(smaps)
    with open(f"{root}/42/stat", "w") as f:
        f.write(stat)
    with open(f"{root}/42/maps", "w") as f:
        f.write(maps)
    with open(f"{root}/42/pagemap", "wb") as f:  # sparse file
        f.truncate(0)
        for vpn, e in sorted(entries.items()):
            f.seek(vpn * 8)
            f.write(struct.pack("<Q", e))


def run(ctl, root, *args):
    return subprocess.run([ctl, "--proc-root", root, *args],
                          capture_output=True, text=True, timeout=60)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ctl = sys.argv[1]
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from show_vs_pagemap import metrics

    # VMA A: 0x400000-0xc00000 (2048 pages): block 0 aligned contiguous,
    # block 1 empty, block 2 scattered + a swapped page, block 3 empty.
    a_start, a_pages = 0x400000, 2048
    pf = [None] * a_pages
    for k in range(512):
        pf[k] = 0x20000 + k
    for k in range(1024, 1536, 3):
        pf[k] = 0x90000 - k
    pf[1100], pf[1101] = 0x50000, 0x50001
    pf[1100 - 1] = None
    # VMA B: a 4 GiB sparse reservation with 3 pages far apart.
    b_start, b_pages = 0x1000000000, 4 << 18
    b = {0: 7, 600 << 9: 0x30000, (600 << 9) + 1: 0x30001,
         b_pages - 1: 0x40000}
    entries = {}
    for k, p in enumerate(pf):
        if p is not None:
            entries[a_start // 4096 + k] = PRESENT | p
    entries[a_start // 4096 + 1200] = SWAPPED | 0x1234
    for k, p in b.items():
        entries[b_start // 4096 + k] = PRESENT | p
    entries[b_start // 4096 + b_pages] = 0  # file extends past B
    maps = (f"{a_start:x}-{a_start + a_pages * 4096:x} rw-p 00000000 00:00 0 \n"
            f"{b_start:x}-{b_start + b_pages * 4096:x} rw-p 00000000 00:00 0"
            "    [anon:big \"cage\"]\n"
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
            "                  [vsyscall]\n")

    with tempfile.TemporaryDirectory() as root:
        # smaps: VMA A has one PMD-mapped THP (the aligned block)
        smaps = (f"{a_start:x}-{a_start + a_pages * 4096:x} rw-p 00000000 00:00 0 \n"
                 "AnonHugePages:      2048 kB\n"
                 f"{b_start:x}-{b_start + b_pages * 4096:x} rw-p 00000000 00:00 0\n"
                 "AnonHugePages:         0 kB\n")
        write_tree(root, entries, maps, smaps=smaps)
        res = run(ctl, root, "show", "42", "--json")
        check(res.returncode == 0 and res.stderr == "",
              f"show --json exits 0 ({res.returncode} {res.stderr!r})")
        doc = json.loads(res.stdout, object_pairs_hook=lambda kv: kv)
        top = dict(doc)
        check([k for k, _ in doc] == ["version", "pid", "vmas"] and
              top["version"] == 1 and top["pid"] == 42,
              "top level: version 1, pid, vmas")
        vmas = top["vmas"]
        check(len(vmas) == 3, "three VMAs")
        b_pfns = [None] * b_pages
        for k, p in b.items():
            b_pfns[k] = p
        want = []
        for start, pfns, kind, path, swapped, pmd in (
                (a_start, pf, "anon", None, 1, 2 << 20),
                (b_start, b_pfns, "anon", "[anon:big \"cage\"]", 0, 0),
                (0xffffffffff600000, [None], "vsyscall", "[vsyscall]", 0, 0)):
            m = metrics(start, pfns)
            want.append([("start", hex(start)),
                         ("end", hex(start + len(pfns) * 4096)),
                         ("kind", kind)] + list(m.items()) +
                        [("perms", "--xp" if kind == "vsyscall" else "rw-p"),
                         ("path", path), ("swapped", swapped),
                         ("pmd_mapped_bytes", pmd),
                         ("runmap", runmap(pfns))])
        for got, exp in zip(vmas, want):
            check(got == exp, f"VMA {dict(exp)['start']}: {got} == {exp}")
        check(dict(want[0])["aligned_2m"] == 1 and dict(want[0])["runs"] > 100,
              "layout has an aligned block and scatter")

        res = run(ctl, root, "show", "42")
        lines = res.stdout.splitlines()
        check(res.returncode == 0 and lines[0].startswith("pid 42 (fake prog): 3 VMAs")
              and lines[1].split()[:3] == ["START", "SIZE", "KIND"]
              and "4G" in res.stdout and "runs: +512 _512" in res.stdout
              and "huge: 2M PMD-mapped" in res.stdout,
              "text table")

        res = run(ctl, root, "show", "43")
        check(res.returncode == 2 and res.stderr ==
              "contigctl: show 43: no such process\n", "missing pid")

        write_tree(root, {}, "", stat="42 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0\n")
        res = run(ctl, root, "show", "42")
        check(res.returncode == 8 and res.stderr ==
              "contigctl: show 42: pid 42 is a kernel thread: it has no user memory\n",
              f"kernel thread ({res.returncode} {res.stderr!r})")

        write_tree(root, {}, "", stat="42 (gone) Z 1 42 42 0 -1 4227340 0 0\n")
        res = run(ctl, root, "show", "42")
        check(res.returncode == 2 and res.stderr ==
              "contigctl: show 42: process exited\n", "zombie")

        maps_a = maps.splitlines(True)[0]
        write_tree(root, {a_start // 4096: PRESENT,
                          a_start // 4096 + a_pages - 1: 0}, maps_a)
        res = run(ctl, root, "show", "42", "--json")
        check(res.returncode == 3 and res.stdout == "" and res.stderr ==
              f"contigctl: show 42: reading {root}/42/pagemap: physical frame "
              "numbers are hidden: need CAP_SYS_ADMIN\n",
              f"hidden PFNs ({res.returncode} {res.stderr!r})")

        write_tree(root, {a_start // 4096 + 10: PRESENT | 5}, maps)
        res = run(ctl, root, "show", "42")
        check(res.returncode == 2 and res.stderr ==
              f"contigctl: show 42: process exited while reading {root}/42/pagemap\n",
              f"pagemap ends early ({res.returncode} {res.stderr!r})")

        write_tree(root, {}, "400000-401000 rw-p 00000000 00:00 zz\n")
        res = run(ctl, root, "show", "42")
        check(res.returncode == 4 and res.stderr ==
              f"contigctl: show 42: reading {root}/42/maps: unexpected format\n",
              f"malformed maps ({res.returncode} {res.stderr!r})")

    for args, code in ((["show"], 1), (["show", "1", "2"], 1), (["show", "0"], 1),
                       (["show", "-5"], 1), (["frob"], 1), ([], 1),
                       (["--runtime-dir"], 1), (["show", "1", "--bogus"], 1),
                       (["--help"], 0), (["--version"], 0)):
        res = subprocess.run([ctl, *args], capture_output=True, text=True)
        check(res.returncode == code and res.stderr.count("\n") == (1 if code else 0),
              f"contigctl {' '.join(args)}: exit {code} ({res.returncode} {res.stderr!r})")
    res = subprocess.run([ctl, "--runtime-dir", "/nonexistent", "show", "abc"],
                         capture_output=True, text=True)
    check(res.returncode == 1 and "not a process id" in res.stderr,
          "--runtime-dir is accepted before the command")

    print(f"# {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
