# SPDX-License-Identifier: GPL-2.0-only
"""What the tests of a running contigd share: checks that are counted, a
private daemon (its own runtime directory and configuration), and the
collapse_target sample process."""
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    """Print ok/FAIL for one assertion; remember the failures."""
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """Exit 1 when any check failed."""
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)


def need_root():
    if os.geteuid() != 0:
        print("skip: needs root")
        sys.exit(77)


def start_target(exe, mib=64):
    """collapse_target holding MiB scattered: (process, pid, start, end)."""
    proc = subprocess.Popen([exe, str(mib)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    pid = int(proc.stdout.readline().split()[1])
    _, s, e = proc.stdout.readline().split()
    return proc, pid, int(s, 16), int(e, 16)


class Daemon:
    """contigd with a private runtime directory and configuration file."""

    def __init__(self, contigd, config, args=(), wrapper=()):
        self.tmp = tempfile.mkdtemp(prefix="contigd-test.")
        os.chmod(self.tmp, 0o755)  # nobody must reach the socket
        self.rd = os.path.join(self.tmp, "run")
        self.conf = os.path.join(self.tmp, "contigd.conf")
        self.sock = os.path.join(self.rd, "contigd.sock")
        self.stats = os.path.join(self.rd, "metrics.prom")
        with open(self.conf, "w") as f:
            f.write(config)
        self.log = open(os.path.join(self.tmp, "contigd.log"), "w+")
        self.proc = subprocess.Popen(
            list(wrapper) + [contigd, "--config", self.conf,
                             "--runtime-dir", self.rd] + list(args),
            stderr=self.log)
        self.pid = self.proc.pid
        end = time.time() + 60
        while not os.path.exists(self.sock):
            if time.time() > end or self.proc.poll() is not None:
                print("FAIL: contigd did not start:\n" + self.text())
                sys.exit(1)
            time.sleep(0.1)

    def text(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """SIGTERM: must drain and exit 0, removing its socket."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "timeout"
        check(code == 0, "SIGTERM: contigd exit status %s" % code)
        check(not os.path.exists(self.sock), "SIGTERM: socket removed")
        text = self.text()
        check("AddressSanitizer" not in text and not any(
            "ERROR SUMMARY: " in ln and "ERROR SUMMARY: 0 " not in ln
            for ln in text.splitlines()), "no sanitizer or valgrind report")
        return text


PAGE = 4096
BLOCK_PAGES = 512
PM_PRESENT = 1 << 63
PM_PFN = (1 << 55) - 1


def pfns(pid, start, end):
    """Frame numbers of [start, end) from /proc/PID/pagemap (None: absent)."""
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(start // PAGE * 8)
        data = f.read((end - start) // PAGE * 8)
    return [e & PM_PFN if e & PM_PRESENT else None
            for (e,) in struct.iter_unpack("<Q", data)]


def aligned_blocks_of(p):
    """2 MiB blocks of a frame list backed by one aligned 2 MiB frame block."""
    n = 0
    for b in range(0, len(p) - BLOCK_PAGES + 1, BLOCK_PAGES):
        first = p[b]
        if first and first % BLOCK_PAGES == 0 and all(
                p[b + i] == first + i for i in range(BLOCK_PAGES)):
            n += 1
    return n
