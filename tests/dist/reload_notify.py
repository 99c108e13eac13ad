# SPDX-License-Identifier: GPL-2.0-only
"""contigd under a fake service manager ($NOTIFY_SOCKET, a datagram
socket of ours): READY=1 at start; on SIGHUP RELOADING=1 with
MONOTONIC_USEC (what Type=notify-reload needs), then READY=1 again, also
when the new file is bad, with a STATUS= saying the old settings were
kept; the daemon keeps serving and a good file after the bad one is
taken. Then contigd --check-config on good, bad and missing files.

Usage: reload_notify.py CONTIGD INTEGRATION_TEST_DIR"""
import os
import signal
import socket
import subprocess
import sys
import time

contigd = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from daemon_test import Daemon, check, finish  # noqa: E402

GOOD = "backend = collapse\nobserver = off\nmax_queue = 64\n"
BAD = "backend = collapse\nobserver = off\nmax_queue = lots\n"


def messages(sock, want, timeout=20):
    """Datagrams until one holds the line `want`; all of them, in order."""
    got = []
    end = time.time() + timeout
    while time.time() < end:
        sock.settimeout(max(0.1, end - time.time()))
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            break
        if want in got[-1].split("\n"):
            return got
    return got


def fields(msgs):
    out = {}
    for m in msgs:
        for line in m.split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def check_config():
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       "contigd-check.%d" % os.getpid())
    os.makedirs(tmp)
    good, bad = os.path.join(tmp, "good.conf"), os.path.join(tmp, "bad.conf")
    with open(good, "w") as f:
        f.write(GOOD)
    with open(bad, "w") as f:
        f.write(BAD)

    def run(*args):
        return subprocess.run([contigd, "--check-config"] + list(args),
                              capture_output=True, text=True)
    r = run(good)
    check(r.returncode == 0 and r.stdout == good + ": ok\n",
          "--check-config on a good file: exit 0, 'ok' (%d %r %r)"
          % (r.returncode, r.stdout, r.stderr))
    r = run(bad)
    check(r.returncode == 7 and (bad + ":3: ") in r.stderr,
          "--check-config on a bad file: exit 7 and file:line (%d %r)"
          % (r.returncode, r.stderr))
    r = run("--config", bad)
    check(r.returncode == 7, "--check-config --config BAD: exit 7")
    r = run(os.path.join(tmp, "missing.conf"))
    check(r.returncode == 7 and "No such file" in r.stderr,
          "--check-config on a missing file: exit 7 (%d %r)"
          % (r.returncode, r.stderr))
    for p in (good, bad):
        os.unlink(p)
    os.rmdir(tmp)


def main():
    check_config()
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = "/tmp/contigd-notify.%d" % os.getpid()
    ns.bind(path)
    os.environ["NOTIFY_SOCKET"] = path
    d = Daemon(contigd, GOOD)
    try:
        got = messages(ns, "READY=1")
        check("READY" in fields(got), "READY=1 at start (%r)" % got)

        with open(d.conf, "w") as f:
            f.write(BAD)
        d.proc.send_signal(signal.SIGHUP)
        got = messages(ns, "READY=1")
        f = fields(got)
        check("RELOADING" in f and "MONOTONIC_USEC" in f,
              "bad reload: RELOADING=1 with MONOTONIC_USEC (%r)" % got)
        check("READY" in f, "bad reload: READY=1 again (%r)" % got)
        st = [s for s in f.get("STATUS", []) if "reload failed" in s]
        check(bool(st) and "contigd.conf:3" in st[0],
              "bad reload: STATUS names the failure and file:line (%r)" % st)
        check(d.proc.poll() is None, "still running after the bad reload")
        check(os.path.exists(d.sock), "still serving its socket")

        with open(d.conf, "w") as f:
            f.write(GOOD.replace("64", "32"))
        d.proc.send_signal(signal.SIGHUP)
        got = messages(ns, "READY=1")
        check("READY" in fields(got), "good reload: READY=1 (%r)" % got)
        check("reloaded" in d.text(), "good reload logged")
    finally:
        d.proc.send_signal(signal.SIGTERM)
        d.proc.wait(timeout=60)
        ns.close()
        os.unlink(path)
    finish()


main()
