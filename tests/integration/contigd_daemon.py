#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""contigd as a service, end to end on this host (collapse backend).

Starts a private contigd (its own runtime directory and configuration)
and checks, through the control socket spoken by contigproto.py:
  - status names the backend and the observer mode;
  - the daemon keeps only the capabilities it uses (CapEff, CapPrm);
  - a second contigd on the same socket refuses to start (exit 9);
  - defrag --wait with progress turns a scattered 64 MiB region into
    >= 31 of 32 aligned 2 MiB blocks (independent pagemap walk), with the
    contents intact; a queued hint is honoured too;
  - show reports the hot VMA of a refaulting process hotter than its
    cold one within 5 s, and the defragmented VMA as done;
  - malformed, oversized, truncated, wrong-version and bad-range packets
    get the documented errors, and the daemon answers afterwards;
  - a user without privilege is refused another user's process with
    "Permission denied: the caller may not read the memory of pid N", and
    may target its own;
  - SIGHUP with a broken file keeps the old settings (file:line logged),
    with a good one applies it; the stats file passes promtool;
  - SIGTERM drains: exit 0, socket removed;
  - contigctl show lists the daemon's heat and state per VMA.

usage: contigd_daemon.py CONTIGD COLLAPSE_TARGET HOTCOLD CONTIGCTL
Needs root: exits 77 (skipped) otherwise.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contigproto as cp  # noqa: E402
import daemon_test  # noqa: E402
from daemon_test import Daemon, check, finish, need_root  # noqa: E402

EPERM, ESRCH, EINVAL, EBADMSG, EMSGSIZE, EPROTO = 1, 3, 22, 74, 90, 71
CAP = {"dac_override": 1, "dac_read_search": 2, "sys_ptrace": 19,
       "sys_admin": 21, "sys_nice": 23}


def fatal(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def aligned_blocks(pid, start, end):
    return daemon_test.aligned_blocks_of(daemon_test.pfns(pid, start, end))


def start_target(exe):
    return daemon_test.start_target(exe, 64)


def verify(proc, what):
    proc.stdin.write("v\n")
    proc.stdin.flush()
    check(proc.stdout.readline().strip() == "ok", what + ": contents intact")


def cap_bits(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                v = int(line.split()[1], 16)
                return {i for i in range(64) if v >> i & 1}
    return set()


def wait_for(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        r = cond()
        if r:
            return r
        time.sleep(0.1)
    return cond()


def metric(path, name):
    with open(path) as f:
        for line in f:
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return None


def as_nobody(sock, code):
    """Run client code as uid/gid 65534; returns its stdout lines."""
    prog = ("import sys; sys.path.insert(0, %r); import contigproto as cp; "
            "c = cp.Client(%r); " % (os.path.dirname(
                os.path.abspath(__file__)), sock)) + code
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", "--inh-caps=-all",
                        sys.executable, "-c", prog],
                       capture_output=True, text=True, timeout=60)
    if r.returncode:
        fatal("client as nobody failed: " + r.stderr)
    return r.stdout.splitlines()


def malformed(c):
    good = cp.range_req(cp.DEFRAG, 1, 0)
    cases = [
        ("bad magic", cp.hdr(cp.STATUS, 16, 7, magic=0x12345678), EBADMSG),
        ("three bytes", b"abc", EBADMSG),
        ("oversized", good + b"\0" * 300, EMSGSIZE),
        ("other version", cp.hdr(cp.STATUS, 16, 7, version=2), EPROTO),
        ("unknown type", cp.hdr(99, 16, 7), EBADMSG),
        ("length field wrong", cp.hdr(cp.STATUS, 20, 7), EBADMSG),
        ("truncated range", good[:40], EBADMSG),
        ("reserved field", cp.range_req(cp.DEFRAG, 1, 0, reserved=5),
         EBADMSG),
        ("unknown flag", cp.range_req(cp.DEFRAG, 1, 1 << 20), EBADMSG),
        ("two hint modes", cp.range_req(cp.HINT, 1, 3), EBADMSG),
        ("unaligned range", cp.range_req(cp.DEFRAG, 1, 0, 0x1001, 0x3000),
         EINVAL),
        ("empty range", cp.range_req(cp.DEFRAG, 1, 0, 0x3000, 0x3000),
         EINVAL),
    ]
    for what, pkt, err in cases:
        c.send(pkt)
        r = c.recv()
        check(r["error"] == err and r["message"],
              "%s: error %d (%s)" % (what, r["error"], r["message"]))
    r = c.call(cp.status_req(seq=42))
    check(r["error"] == 0 and r["seq"] == 42,
          "status still answered after malformed packets")
    return len(cases)


def main():
    if len(sys.argv) != 5:
        fatal("usage: contigd_daemon.py CONTIGD COLLAPSE_TARGET HOTCOLD "
              "CONTIGCTL")
    contigd, target, hotcold, contigctl = sys.argv[1:]
    need_root()
    base = ("backend = collapse\nstats_interval = 1\nscan_interval = 1\n"
            "watch_min_rss = 1M\ninclude = hotcold\n")
    d = Daemon(contigd, base, args=("--foreground", "-v"))
    rd, conf, stats, sock = d.rd, d.conf, d.stats, d.sock
    procs = []
    try:
        c = cp.Client(sock)
        st = c.call(cp.status_req())
        check(st["error"] == 0 and st["backend"] == "collapse",
              "status: backend %s" % st.get("backend"))
        check(st["observer"] in ("bpf", "proc"),
              "status: observer %s" % st.get("observer"))

        want = {CAP["sys_admin"], CAP["sys_ptrace"], CAP["sys_nice"],
                CAP["dac_read_search"]}
        # The access sampler writes clear_refs without the kernel helper,
        # in either mode (no /dev/contig on this host).
        if st["observer"] in ("bpf", "proc"):
            want.add(CAP["dac_override"])
        eff, prm = cap_bits(d.pid, "CapEff"), cap_bits(d.pid, "CapPrm")
        check(eff == want and prm == want,
              "capabilities kept: eff %s prm %s, want %s"
              % (sorted(eff), sorted(prm), sorted(want)))

        r = subprocess.run([contigd, "--config", conf, "--runtime-dir", rd],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 9 and "another contigd" in r.stderr,
              "second contigd refused: exit %d %s" % (r.returncode,
                                                       r.stderr.strip()))

        tp, tpid, s, e = start_target(target)
        procs.append(tp)
        before = aligned_blocks(tpid, s, e)
        prog = []
        r = c.call(cp.range_req(cp.DEFRAG, tpid,
                                cp.REQ_WAIT | cp.REQ_PROGRESS, s, e),
                   progress=prog)
        after = aligned_blocks(tpid, s, e)
        print("defrag: %s" % {k: r.get(k) for k in (
            "error", "message", "flags", "ops", "done", "failed",
            "duration_us")})
        check(r["error"] == 0 and r["flags"] & cp.REP_REACHED,
              "defrag --wait reached its target")
        check(before <= 4 and after >= 31,
              "defrag: aligned blocks %d -> %d (pagemap)" % (before, after))
        check(r["after"]["aligned_2m"] >= 31,
              "defrag reply: after.aligned_2m %d" % r["after"]["aligned_2m"])
        check(len(prog) >= 1 and prog[-1]["ops_done"] <= prog[-1]["ops_total"],
              "defrag: %d progress packets" % len(prog))
        verify(tp, "defrag")

        tp2, tpid2, s2, e2 = start_target(target)
        procs.append(tp2)
        r = c.call(cp.range_req(cp.HINT, tpid2, cp.HINT_WANT, s2, e2))
        check(r["error"] == 0 and r["flags"] & cp.REP_QUEUED,
              "hint WANT queued")
        n = wait_for(lambda: aligned_blocks(tpid2, s2, e2) >= 31 and
                     aligned_blocks(tpid2, s2, e2), 120)
        check(n and n >= 31, "queued hint honoured: %s aligned blocks" % n)
        verify(tp2, "hint")
        sh = c.call(cp.show_req(tpid))
        mine = [v for v in sh.get("vmas", []) if v["start"] <= s < v["end"]]
        check(sh["error"] == 0 and mine and
              mine[0]["state"] & cp.VMA_DONE,
              "show: defragmented VMA is done")

        hc = subprocess.Popen([hotcold], stdout=subprocess.PIPE, text=True)
        procs.append(hc)
        hot, cold, _ = (int(x, 16) for x in hc.stdout.readline().split())

        def ranked():
            r = c.call(cp.show_req(hc.pid))
            heat = {v["start"]: v["heat"] for v in r.get("vmas", [])}
            h, k = heat.get(hot, 0), heat.get(cold, 0)
            return h > k and (h, k)
        t0 = time.time()
        hk = wait_for(ranked, 5)
        check(bool(hk), "show: hot VMA hotter than cold within 5 s "
              "(%s after %.1f s)" % (hk, time.time() - t0))

        r = subprocess.run([contigctl, "show", str(hc.pid), "--json",
                            "--runtime-dir", rd], capture_output=True,
                           text=True, timeout=60)
        js = json.loads(r.stdout) if r.returncode == 0 else {}
        heat = {int(v["start"], 16): v.get("heat") for v in js.get("vmas", [])}
        check(js.get("daemon") is True and heat.get(hot, 0) > 0 and
              heat.get(hot, 0) > heat.get(cold, 0),
              "contigctl show: heat hot %s cold %s" % (heat.get(hot),
                                                       heat.get(cold)))
        r = subprocess.run([contigctl, "show", str(tpid), "--runtime-dir",
                            rd], capture_output=True, text=True, timeout=60)
        check("contigd: heat" in r.stdout and " done" in r.stdout,
              "contigctl show (text): the daemon's line per VMA")

        nbad = malformed(c)

        me = as_nobody(sock, (
            "r = c.call(cp.range_req(cp.DEFRAG, %d, 0)); "
            "print(r['error']); print(r['message']); "
            "r = c.call(cp.range_req(cp.HINT, 0, cp.HINT_WANT)); "
            "print(r['error']); "
            "r = c.call(cp.status_req()); print(r['error'])") % tpid)
        check(me[0] == str(EPERM) and me[1] ==
              "Permission denied: the caller may not read the memory of "
              "pid %d (no /proc/%d/pagemap descriptor)" % (tpid, tpid),
              "nobody refused a root process: %s" % me[:2])
        check(me[2] == "0", "nobody may hint its own process")
        check(me[3] == "0", "nobody may ask status")

        # two of the bad packets are bad ranges (EINVAL), not malformed
        check(wait_for(lambda: os.path.exists(stats) and (metric(
            stats, 'contigd_request_errors_total{error="malformed"}')
            or 0) >= nbad - 2, 5), "stats: malformed requests counted")
        r = subprocess.run(["promtool", "check", "metrics"],
                           stdin=open(stats), capture_output=True, text=True)
        check(r.returncode == 0, "promtool accepts the stats file " +
              r.stdout + r.stderr)
        check((metric(stats, 'contigd_requests_total{type="defrag"}') or 0)
              >= 2, "stats: defrag requests counted")
        check((metric(stats, 'contigd_blocks_collapsed_total') or 0) >= 60,
              "stats: blocks collapsed counted")

        with open(conf, "a") as f:
            f.write("bogus_knob = 1\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        check("contigd.conf:6:" in d.text() and d.proc.poll() is None,
              "SIGHUP with a bad file: file:line logged, still running")
        with open(conf, "w") as f:
            f.write(base + "budget_pages = 1000\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        check("reloaded" in d.text(), "SIGHUP with a good file: reloaded")
        c.close()
    finally:
        for p in procs:
            if p.stdin:
                p.stdin.close()
            p.kill()
            p.wait()
        text = d.stop()
        print("--- contigd log (tail)\n" + "".join(
            ln for ln in text.splitlines(True)[-60:] if "libbpf" not in ln))
    finish()


if __name__ == "__main__":
    main()
