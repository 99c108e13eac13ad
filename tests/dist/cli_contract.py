# SPDX-License-Identifier: GPL-2.0-only
"""contigctl as an operator meets it:

  - every text output (show on the fake /proc fixtures and on a live
    process the daemon knows, status, defrag --wait, --help) fits 80
    columns; --wide gives the full table;
  - every JSON document has "version": 1 and only keys contigctl(8)'s
    JSON section documents (status: exactly those);
  - --help describes every option of contigctl(8)'s OPTIONS;
  - without --timeout, defrag --wait waits the daemon's wait_timeout_ms
    (exit 11 when it runs out), and --timeout overrides it; so does
    contig_advise(CONTIG_NOW) (ETIMEDOUT), and $CONTIG_TIMEOUT_MS;
  - status says why the kernel helper is unavailable and what to do;
  - contigd(8) and contigctl(8) carry one exit-code table, the one in
    src/common/exit_codes.h; no daemon is exit 10.

Usage: cli_contract.py CONTIGD CONTIGCTL COLLAPSE_TARGET SOURCE_DIR ADVISE_WAIT
The daemon parts need root (skipped otherwise)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

contigd, ctl, target, src, advise = sys.argv[1:6]
sys.path.insert(0, os.path.join(src, "tests", "integration"))
import daemon_test  # noqa: E402
from daemon_test import Daemon, check, finish  # noqa: E402
from show_fake_proc import PRESENT, write_tree  # noqa: E402

MAN8 = os.path.join(src, "man")


def sections(page, sh):
    """Lines of section `.Sh sh` of a man page."""
    out, on = [], False
    with open(os.path.join(MAN8, page)) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".Sh "):
                on = line == ".Sh " + sh
                continue
            if on:
                out.append(line)
    return out


def json_doc():
    """{subsection: set of keys} from contigctl(8)'s JSON section."""
    keys, cur = {}, None
    for line in sections("contigctl.8", "JSON"):
        if line.startswith(".Ss "):
            cur = line[4:]
            keys[cur] = set()
        elif line.startswith(".It Cm ") and cur:
            for k in line[7:].split(" , "):
                keys[cur].add(k.split()[0])
    return keys


DOC = json_doc()
FIGURES = {"pages", "present", "runs", "largest_run", "runs_99", "aligned_2m"}


def narrow(what, text):
    wide = [ln for ln in text.splitlines() if len(ln) > 80]
    check(not wide, "%s: every line <= 80 columns %r" % (what, wide[:2]))


def keys_ok(what, obj, allowed, exact=False):
    got = set(obj)
    check(got <= allowed, "%s: keys documented (extra %s)"
          % (what, sorted(got - allowed)))
    if exact:
        check(got == allowed, "%s: every documented key present (missing %s)"
              % (what, sorted(allowed - got)))


def run(*args, proc_root=None, rd=None):
    cmd = [ctl]
    if proc_root:
        cmd += ["--proc-root", proc_root]
    if rd:
        cmd += ["--runtime-dir", rd]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True,
                       timeout=120)
    print("$ contigctl %s -> %d" % (" ".join(args), r.returncode))
    return r


def show_checks(label, r_text, r_wide, r_json):
    narrow(label + " show", r_text.stdout)
    head = [ln for ln in r_wide.stdout.splitlines()
            if ln.startswith("START")][:1] or [""]
    check(head[0].split()[:3] == ["START", "END", "SIZE"]
          and " PAGES " in head[0],
          label + " show --wide: the full table")
    doc = json.loads(r_json.stdout)
    check(doc.get("version") == 1 and list(doc)[0] == "version",
          label + " show --json: version 1 first")
    keys_ok(label + " show --json", doc, DOC["show"])
    for v in doc["vmas"]:
        keys_ok(label + " show --json VMA", v, DOC["show: each VMA"])
    return doc


def fixtures():
    """A scattered VMA (long run map) and a file with a long path."""
    a, b = 0x400000, 0x7f0000000000
    entries = {}
    for k in range(1024):  # runs of 12 pages, each somewhere else
        entries[a // 4096 + k] = PRESENT | (0x90000 - 64 * (k // 12) + k % 12)
    for k in range(16):
        entries[b // 4096 + k] = PRESENT | (0x20000 + k)
    path = "/usr/lib/x86_64-linux-gnu/" + "a-rather-long-library-name" * 3 + ".so.1"
    maps = ("%x-%x rw-p 00000000 00:00 0 \n" % (a, a + 1024 * 4096) +
            "%x-%x r--p 00000000 08:01 1234    %s\n" % (b, b + 16 * 4096, path))
    with tempfile.TemporaryDirectory() as root:
        write_tree(root, entries, maps,
                   stat="42 (a-long-comm-15) S 1 42 42 0 -1 4194560 0 0\n")
        t = run("show", "42", proc_root=root)
        w = run("show", "42", "--wide", proc_root=root)
        j = run("show", "42", "--json", proc_root=root)
        check(t.returncode == 0 and w.returncode == 0 and j.returncode == 0,
              "fixture show: exit 0 (%s)" % t.stderr)
        show_checks("fixture", t, w, j)
        check("..." in t.stdout and path not in t.stdout and path in w.stdout,
              "fixture show: the long path shortened, whole with --wide")
        check(len([ln for ln in t.stdout.splitlines()
                   if ln.startswith("          ")]) >= 1,
              "fixture show: the run map continues on indented lines")


def help_and_exit_codes():
    for prog, page in ((ctl, "contigctl.8"), (contigd, "contigd.8")):
        r = subprocess.run([prog, "--help"], capture_output=True, text=True)
        narrow(page + " --help", r.stdout)
        opts = set()
        for line in sections(page, "OPTIONS"):
            m = re.match(r"\.It Fl -([a-z-]+)", line)
            if m:
                opts.add(m.group(1))
        check(len(opts) >= 6, "%s lists %d options" % (page, len(opts)))
        for o in sorted(opts | {"help", "version"}):
            described = [ln for ln in r.stdout.splitlines()
                         if re.match(r"\s+(-\w, )?--%s\b.*\s{2,}\S" % o, ln)]
            check(bool(described), "%s --help describes --%s" % (page, o))

    def table(page):
        lines = sections(page, "EXIT STATUS")
        return lines[:lines.index(".El") + 1]
    a, b = table("contigd.8"), table("contigctl.8")
    check(a == b and len(a) > 10, "contigd(8) and contigctl(8): one table")
    with open(os.path.join(src, "src", "common", "exit_codes.h")) as f:
        enum = sorted(int(v) for v in re.findall(r"CONTIG_EXIT_\w+ = (\d+),",
                                                 f.read()))
    man = sorted(int(ln[4:]) for ln in a if re.match(r"\.It \d+$", ln))
    check(enum == man, "the table's codes are the header's (%r %r)"
          % (enum, man))
    with tempfile.TemporaryDirectory() as empty:
        r = run("status", rd=empty)
        check(r.returncode == 10, "no daemon: exit 10 (%d)" % r.returncode)


def with_daemon():
    if os.geteuid() != 0:
        print("skip: the daemon parts need root")
        return
    # 512 pages/s: a 64 MiB region takes 32 s, far over wait_timeout_ms.
    # backend auto: on a host without contig.ko, collapse and the reason.
    d = Daemon(contigd, "backend = auto\nobserver = proc\n"
               "budget_pages = 512\nwait_timeout_ms = 1500\n")
    procs = []
    try:
        r = run("status", rd=d.rd)
        print(r.stdout, end="")
        narrow("status", r.stdout)
        check(re.search(r"modprobe contig|signed modules only|"
                        r"/dev/contig answers", r.stdout) is not None,
              "status: why there is no kernel helper, what to do")
        js = json.loads(run("status", "--json", rd=d.rd).stdout)
        check(js.get("version") == 1, "status --json: version 1")
        keys_ok("status --json", js, DOC["status"], exact=True)

        p, pid, s, e = daemon_test.start_target(target, 8)
        procs.append(p)
        rng = "0x%x-0x%x" % (s, e)
        r = run("defrag", str(pid), "--range", rng, "--wait", "--timeout",
                "60000", rd=d.rd)
        check(r.returncode == 0, "defrag --wait: target reached (%d %s)"
              % (r.returncode, r.stderr))
        narrow("defrag --wait", r.stdout)
        js = json.loads(run("defrag", str(pid), "--range", rng, "--wait",
                            "--timeout", "60000", "--json", rd=d.rd).stdout)
        check(js.get("version") == 1, "defrag --json: version 1")
        keys_ok("defrag --json", js, DOC["defrag"])
        keys_ok("defrag --json before", js.get("before", {}), FIGURES, True)
        js = json.loads(run("defrag", str(pid), "--json", rd=d.rd).stdout)
        keys_ok("defrag (queued) --json", js, DOC["defrag"])
        doc = show_checks("live", run("show", str(pid), rd=d.rd),
                          run("show", str(pid), "--wide", rd=d.rd),
                          run("show", str(pid), "--json", rd=d.rd))
        check(doc.get("daemon") is True, "live show: the daemon answered")

        p2, pid2, s2, e2 = daemon_test.start_target(target, 64)
        procs.append(p2)
        t0 = time.time()
        r = run("defrag", str(pid2), "--wait", rd=d.rd)
        took = time.time() - t0
        check(r.returncode == 11 and took < 15,
              "defrag --wait waits wait_timeout_ms (1.5 s): exit %d after "
              "%.1f s" % (r.returncode, took))
        t0 = time.time()
        r = run("defrag", str(pid2), "--wait", "--timeout", "4000", rd=d.rd)
        took = time.time() - t0
        check(r.returncode == 11 and 3.5 < took < 15,
              "--timeout 4000 overrides it: exit %d after %.1f s"
              % (r.returncode, took))

        def advise_wait(extra):
            env = dict(os.environ, CONTIGD_RUNTIME_DIR=d.rd, **extra)
            out = subprocess.run([advise, "64"], capture_output=True,
                                 text=True, env=env, timeout=120).stdout
            print("$ advise_wait 64 %r -> %s" % (extra, out.strip()))
            w = out.split()
            return (w[1], int(w[2]) / 1000) if len(w) == 3 else ("", 0)
        res, took = advise_wait({})
        check(res == "ETIMEDOUT" and took < 15,
              "contig_advise waits wait_timeout_ms (1.5 s): %s after %.1f s"
              % (res, took))
        res, took = advise_wait({"CONTIG_TIMEOUT_MS": "4000"})
        check(res == "ETIMEDOUT" and 3.5 < took < 15,
              "CONTIG_TIMEOUT_MS=4000 overrides it: %s after %.1f s"
              % (res, took))
    finally:
        for p in procs:
            p.stdin.close()
            p.kill()
        d.stop()


fixtures()
help_and_exit_codes()
with_daemon()
finish()
