#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A hostile local user against a root contigd (collapse backend, private
runtime directory). Every attack runs as nobody (setpriv; unshare -Ur
for the user-namespace one), bounded in time, and asserts the refusal
(message, errno), that the victims' memory is unchanged (a pattern, the
frame of every page, AnonHugePages) and that root's `contigctl status`
still answers within 1 s:

  userns     nobody in a user namespace of its own (uid 0 there) asks
             SHOW and DEFRAG of a root process: EPERM, the kernel does
             not let it open /proc/PID/pagemap;
  thread     SHOW of a thread id whose thread called setresuid(nobody)
             in a root process: EPERM;
  nondump    DEFRAG of a non-dumpable process of nobody's own uid (an
             execute-only binary): EPERM, the kernel's ptrace rule;
  exec       DEFRAG of its own process, which then execs a set-uid root
             binary (su) while the job waits in the queue: the job ends
             with "target changed: pid N exec'd" (ESRCH), no figures;
  clone_vm   SHOW of its own child, spawned sharing its mm (CLONE_VM),
             with a pagemap descriptor opened before the child exec'd
             su: EPERM, the descriptor does not read the current image;
  zlen       100 packets of 0 bytes, each with 4 descriptors: contigd
             keeps none of them;
  linger     TCP sockets lingering with unsent data passed behind an
             empty packet, as a fifth descriptor, and before and after
             4200 packets of 4 descriptors: root's status still answers;
  quota      40 queued hints and 3 CONTIG_NOW: the per-uid limits refuse
             the excess with EAGAIN;
  slots      20 idle connections (16 slots): the excess is told EBUSY,
             root's status still answers;
  slice      a 64 MiB defrag of nobody's own (32 s at the budget) does
             not hold root's 4 MiB one back more than a time slice;
  memory     four sparse 63 GiB VMAs of nobody's own, 8 pages in each,
             defragmented: contigd's peak RSS grows by less than 16 MiB;
  fds        contigd limited to 160 descriptors, 200 processes hinted:
             no EMFILE spin, descriptors stay bounded;
  logflood   3000 refused requests: a bounded number of log lines, the
             rest counted as suppressed;
  rundir     a runtime directory owned by nobody, world-writable, or a
             symlink: contigd refuses to start, with a clear line.

usage: hostile_user.py CONTIGD CONTIGCTL COLLAPSE_TARGET CLONE_VM_EXEC
Needs root: 77 otherwise. CONTIG_HOSTILE_LOG set: print contigd's whole
log at the end (else its last lines).
"""
import errno
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import contigproto as cp  # noqa: E402
import daemon_test  # noqa: E402
from hostile_attacks import (  # noqa: E402
    EXEC_ATTACK,
    CLONE_VM_ATTACK,
    ZLEN_ATTACK,
    LINGER_ATTACK,
    QUOTA_ATTACK,
    SLOTS_ATTACK,
    FDS_ATTACK,
    LOG_ATTACK,
    MEMORY_ATTACK,
    SLICE_ATTACK)
from daemon_test import Daemon, check, finish, need_root  # noqa: E402

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=-all"]
CONFIG = ("backend = collapse\nobserver = off\nmax_clients = 16\n"
          "client_timeout_ms = 60000\nbudget_pages = 512\nbatch = 1\n")
PAGE = os.sysconf("SC_PAGE_SIZE")
# Inside unshare -Ur nobody has no capability left in our namespace: a
# Python nobody can reach (ours may live under /root).
SYSTEM_PYTHON = (sys.executable if os.access(sys.executable, os.X_OK) and
                 not sys.executable.startswith("/root/") else
                 shutil.which("python3", path="/usr/bin:/bin") or
                 sys.executable)

# A root process with one thread that switched to nobody (only that
# thread: the raw system call), and 8 MiB of patterned memory.
THREAD_VICTIM = r"""
import ctypes, mmap, os, sys, threading
m = mmap.mmap(-1, 8 << 20)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
for off in range(0, len(m), %d):
    m[off:off + 8] = (addr + off).to_bytes(8, "little")
def ok():
    return all(m[o:o + 8] == (addr + o).to_bytes(8, "little")
               for o in range(0, len(m), %d))
tid, ready = [0], threading.Event()
def body():
    tid[0] = threading.get_native_id()
    ctypes.CDLL(None).syscall(117, 65534, 65534, 65534)
    ready.set()
    threading.Event().wait()
threading.Thread(target=body, daemon=True).start()
ready.wait()
print("pid", os.getpid(), "tid", tid[0], flush=True)
print("region", hex(addr), hex(addr + len(m)), flush=True)
for line in sys.stdin:
    print("ok" if ok() else "bad", flush=True)
""" % (PAGE, PAGE)

# Client code run as nobody: CLIENT_PRELUDE, then the attack's, which
# prints one JSON line.
CLIENT_PRELUDE = ("import json, os, socket, subprocess, sys, time\n"
                  "sys.path.insert(0, %r)\nimport contigproto as cp\n"
                  "SOCK = %r\n")


def as_nobody(sock, code, prefix=(), timeout=60, python=sys.executable,
              stdin=None):
    """Run code as nobody; its last stdout line as JSON."""
    prog = CLIENT_PRELUDE % (HERE, sock) + code
    r = subprocess.run(NOBODY + list(prefix) + [python, "-c", prog],
                       capture_output=True, text=True, timeout=timeout,
                       stdin=stdin)
    lines = r.stdout.strip().splitlines()
    if r.returncode or not lines:
        print("client as nobody: exit %d\n%s%s" % (r.returncode, r.stdout,
                                                   r.stderr))
        return {}
    return json.loads(lines[-1])


def nobody_popen(sock, code):
    """Start code as nobody, with pipes to its stdin and stdout."""
    prog = CLIENT_PRELUDE % (HERE, sock) + code
    return subprocess.Popen(NOBODY + [sys.executable, "-c", prog],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


class Victim:
    """A process whose memory must not change: its pattern, the frame of
    every page of its region, and its AnonHugePages."""

    def __init__(self, cmd, user=None):
        if user:
            # setpriv execs with its capabilities still in effect: a shell
            # without them execs the program, so that the kernel sees
            # nobody exec it
            cmd = NOBODY + ["/bin/sh", "-c", 'exec "$0" "$@"'] + cmd
        self.proc = subprocess.Popen(cmd,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline().split()
        self.pid = int(first[1])
        self.tid = int(first[3]) if len(first) > 3 else None
        _, s, e = self.proc.stdout.readline().split()
        self.start, self.end = int(s, 16), int(e, 16)
        self.snap = self.snapshot()

    def frames(self):
        n = (self.end - self.start) // PAGE
        with open("/proc/%d/pagemap" % self.pid, "rb") as f:
            f.seek(self.start // PAGE * 8)
            raw = f.read(n * 8)
        return [e & ((1 << 55) - 1) for e in struct.unpack("<%dQ" % n, raw)]

    def anon_huge(self):
        with open("/proc/%d/smaps_rollup" % self.pid) as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1])
        return -1

    def snapshot(self):
        return self.frames(), self.anon_huge()

    def intact(self, what):
        self.proc.stdin.write("v\n")
        self.proc.stdin.flush()
        pattern = self.proc.stdout.readline().strip()
        frames, huge = self.snapshot()
        moved = sum(a != b for a, b in zip(frames, self.snap[0]))
        check(pattern == "ok" and moved == 0 and huge == self.snap[1],
              "%s: victim pid %d unchanged (pattern %s, %d of %d frames "
              "moved, AnonHugePages %d -> %d kB)"
              % (what, self.pid, pattern, moved, len(frames), self.snap[1],
                 huge))

    def stop(self):
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


def root_status(ctl, rd, what):
    t0 = time.time()
    try:
        r = subprocess.run([ctl, "--runtime-dir", rd, "status"],
                           capture_output=True, text=True, timeout=5)
        ok = r.returncode == 0
    except subprocess.TimeoutExpired:
        ok = False
    dt = time.time() - t0
    check(ok and dt < 1.0, "%s: root's contigctl status answers (%.2f s)"
          % (what, dt))


def refused(r, err, text, what):
    check(r.get("error") == err and text in r.get("message", ""),
          "%s: error %s (want %d), %r" % (what, r.get("error"), err,
                                          r.get("message")))


def attack_userns(d, victim):
    if subprocess.run(NOBODY + ["unshare", "-Ur", "true"],
                      capture_output=True).returncode:
        print("skip: userns: this kernel gives nobody no user namespace")
        return
    r = as_nobody(d.sock, (
        "c = cp.Client(SOCK, timeout=20)\n"
        "s = c.call(cp.show_req(%d))\n"
        "f = c.call(cp.range_req(cp.DEFRAG, %d, cp.REQ_WAIT, %d, %d, "
        "timeout_ms=15000))\n"
        "print(json.dumps({'uid': os.getuid(), 'show': s, 'defrag': f}))\n"
        % (victim.pid, victim.pid, victim.start, victim.end)),
        prefix=["unshare", "-Ur"], python=SYSTEM_PYTHON)
    check(r.get("uid") == 0, "userns: the client is uid 0 in its namespace")
    refused(r.get("show", {}), errno.EPERM, "Permission denied",
            "userns: SHOW of root's pid %d" % victim.pid)
    refused(r.get("defrag", {}), errno.EPERM, "Permission denied",
            "userns: DEFRAG of root's pid %d" % victim.pid)


def attack_thread(d, victim):
    r = as_nobody(d.sock, (
        "c = cp.Client(SOCK, timeout=20)\n"
        "print(json.dumps(c.call(cp.show_req(%d))))\n" % victim.tid))
    refused(r, errno.EPERM, "Permission denied",
            "thread: SHOW of tid %d (a thread of root's pid %d at uid 65534)"
            % (victim.tid, victim.pid))


def attack_nondumpable(d, victim):
    r = as_nobody(d.sock, (
        "c = cp.Client(SOCK, timeout=20)\n"
        "print(json.dumps(c.call(cp.range_req(cp.DEFRAG, %d, cp.REQ_WAIT, "
        "%d, %d, timeout_ms=15000))))\n"
        % (victim.pid, victim.start, victim.end)))
    refused(r, errno.EPERM, "Permission denied",
            "nondump: DEFRAG of nobody's non-dumpable pid %d" % victim.pid)


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def attack_memory(d, ctl):
    hwm0 = hwm_kib(d.pid)
    t0 = time.time()
    r = as_nobody(d.sock, MEMORY_ATTACK, timeout=150)
    dt = time.time() - t0
    hwm1 = hwm_kib(d.pid)
    check(r.get("error") in (0, errno.EIO, errno.ENOSPC) and
          r.get("pieces", 0) >= 4,
          "memory: nobody's defrag of its 4 x 63 GiB sparse VMAs ran "
          "(error %s, %s pieces, %.1f s)" % (r.get("error"), r.get("pieces"),
                                             dt))
    check(hwm1 - hwm0 < 16384, "memory: contigd's peak RSS %d -> %d KiB"
          % (hwm0, hwm1))
    root_status(ctl, d.rd, "memory")


def log_lines(d):
    return len(d.text().splitlines())


def attack_exec(d, ctl, busy_pid):
    # the worker is busy with root's job: nobody's waits in the queue
    r = subprocess.run([ctl, "--runtime-dir", d.rd, "defrag", str(busy_pid)],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 0, "exec: root's long job queued")
    r = as_nobody(d.sock, EXEC_ATTACK, timeout=60)
    check(r.get("euid") == 0, "exec: pid %s runs su at euid %s"
          % (r.get("target"), r.get("euid")))
    refused(r, errno.ESRCH, "target changed: pid %s exec'd" % r.get("target"),
            "exec: the queued DEFRAG of pid %s" % r.get("target"))
    check(r.get("before", {}).get("pages", 1) == 0 and
          r.get("after", {}).get("pages", 1) == 0,
          "exec: no figures of the new image")


def attack_clone_vm(d, helper):
    # su waits for a password on a pipe nobody never writes; a shell
    # execs the helper without setpriv's capabilities, so that it stays
    # dumpable (its child's pagemap can be opened)
    rd, wr = os.pipe()
    try:
        r = as_nobody(d.sock, CLONE_VM_ATTACK, timeout=60, stdin=rd,
                      prefix=["/bin/sh", "-c", 'exec "$0" "$@"', helper,
                              "/bin/su", "root", "-c", "true", "--"],
                      python=SYSTEM_PYTHON)
    finally:
        os.close(rd)
        os.close(wr)
    check(r.get("euid") == 0, "clone_vm: pid %s runs su at euid %s"
          % (r.get("target"), r.get("euid")))
    refused(r, errno.EPERM, "does not read the current image of pid %s"
            % r.get("target"), "clone_vm: SHOW of pid %s with a proof of "
            "the mm it shared before exec" % r.get("target"))
    check(not r.get("vmas"), "clone_vm: no VMA of the new image shown")


def attack_zlen(d):
    n0 = len(os.listdir("/proc/%d/fd" % d.pid))
    r = as_nobody(d.sock, ZLEN_ATTACK, timeout=60)
    time.sleep(0.5)
    n1 = len(os.listdir("/proc/%d/fd" % d.pid))
    check(r.get("sent") == 100 and n1 - n0 < 10,
          "zlen: 100 empty packets with 4 descriptors each: contigd holds "
          "%d -> %d descriptors" % (n0, n1))


def attack_linger(d, ctl):
    p = nobody_popen(d.sock, LINGER_ATTACK)
    try:
        r = json.loads(p.stdout.readline() or "{}")
        check(r.get("sent") == 4200 and r.get("after") == 20,
              "linger: %s of 4200 packets answered, then %s of 20"
              % (r.get("sent"), r.get("after")))
        root_status(ctl, d.rd, "linger: lingering TCP sockets passed")
        nfd = len(os.listdir("/proc/%d/fd" % d.pid))
        check(nfd < 40, "linger: contigd holds %d descriptors" % nfd)
    finally:
        p.stdin.close()
        p.wait(timeout=20)


def attack_quota(d):
    r = as_nobody(d.sock, QUOTA_ATTACK, timeout=60)
    want = r.get("want", [])
    limit = [w for w in want if w["error"] == errno.EAGAIN and
             "per-user limit" in w["message"]]
    check(len(want) == 40 and len(limit) >= 8,
          "quota: %d of %d queued hints refused by the per-uid limit"
          % (len(limit), len(want)))
    now = [a for a in r.get("now", []) if a.get("error") == errno.EAGAIN and
           "per-user limit" in a.get("message", "")]
    check(len(now) >= 1, "quota: %d of 3 CONTIG_NOW refused at once"
          % len(now))


def attack_slots(d, ctl):
    p = nobody_popen(d.sock, SLOTS_ATTACK)
    try:
        r = json.loads(p.stdout.readline() or "{}")
        check(r.get("busy", 0) >= 4,
              "slots: %s of nobody's 20 connections told EBUSY"
              % r.get("busy"))
        root_status(ctl, d.rd, "slots: 20 connections held by nobody")
    finally:
        p.stdin.close()
        p.wait(timeout=10)


def queue_empty(ctl, rd, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        r = subprocess.run([ctl, "--runtime-dir", rd, "status", "--json"],
                           capture_output=True, text=True, timeout=5)
        if r.returncode == 0 and json.loads(r.stdout)["queue_length"] == 0:
            return True
        time.sleep(0.2)
    return False


def attack_slice(d, ctl, target):
    check(queue_empty(ctl, d.rd), "slice: the queue drained first")
    big = subprocess.Popen(NOBODY + [target, "64"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    big_pid = int(big.stdout.readline().split()[1])
    big.stdout.readline()
    small, small_pid, s, e = daemon_test.start_target(target, 4)
    prog = CLIENT_PRELUDE % (HERE, d.sock) + SLICE_ATTACK % big_pid
    p = subprocess.Popen(NOBODY + [sys.executable, "-c", prog],
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # nobody's pass is running
        t0 = time.time()
        r = subprocess.run([ctl, "--runtime-dir", d.rd, "defrag",
                            str(small_pid), "--range", "0x%x-0x%x" % (s, e),
                            "--wait", "--timeout", "15000"],
                           capture_output=True, text=True, timeout=30)
        dt = time.time() - t0
        check(r.returncode == 0 and dt < 6.0,
              "slice: root's 4 MiB defrag done in %.1f s (exit %d) while "
              "nobody's 64 MiB one runs%s"
              % (dt, r.returncode, "" if not r.returncode else
                 ": " + r.stderr.strip().splitlines()[-1]))
    finally:
        big.kill()
        big.wait()
        out = p.communicate(timeout=60)[0].strip().splitlines()
        small.kill()
        small.wait()
    r = json.loads(out[-1]) if out else {}
    refused(r, errno.ESRCH, "target changed: pid %d exited" % big_pid,
            "slice: nobody's job ends when its target is killed")


def attack_fds(contigd, ctl):
    d = Daemon(contigd, CONFIG, wrapper=["prlimit", "--nofile=160:160"])
    p = nobody_popen(d.sock, FDS_ATTACK)
    try:
        lines0 = log_lines(d)
        r = json.loads(p.stdout.readline() or "{}")
        check(r.get("answered") == 200, "fds: %s of 200 hints answered"
              % r.get("answered"))
        nfd = len(os.listdir("/proc/%d/fd" % d.pid))
        check(nfd < 120, "fds: contigd holds %d descriptors (limit 160)"
              % nfd)
        root_status(ctl, d.rd, "fds: 200 targets")
        time.sleep(1)
        grew = log_lines(d) - lines0
        check(grew < 100, "fds: %d log lines meanwhile" % grew)
    finally:
        p.stdin.close()
        p.wait(timeout=20)
        d.stop()


def attack_log(d, ctl):
    lines0 = log_lines(d)
    r = as_nobody(d.sock, LOG_ATTACK, timeout=120)
    check(r.get("refused") == 3000, "logflood: %s of 3000 refused (EPERM)"
          % r.get("refused"))
    grew = log_lines(d) - lines0
    check(grew < 30, "logflood: %d log lines for 3000 refusals" % grew)
    root_status(ctl, d.rd, "logflood")


def attack_rundir(contigd, tmp):
    conf = os.path.join(tmp, "rundir.conf")
    with open(conf, "w") as f:
        f.write(CONFIG)
    good = os.path.join(tmp, "good")
    os.mkdir(good, 0o755)
    cases = []
    mine = os.path.join(tmp, "nobodys")
    os.mkdir(mine, 0o755)
    os.chown(mine, 65534, 65534)
    cases.append(("owned by nobody", mine, "owned by uid 65534"))
    world = os.path.join(tmp, "world")
    os.mkdir(world)
    os.chmod(world, 0o1777)
    cases.append(("world-writable", world, "mode 1777"))
    link = os.path.join(tmp, "link")
    os.symlink(good, link)
    cases.append(("a symlink", link, "symlink is not followed"))
    for what, path, text in cases:
        try:
            r = subprocess.run([contigd, "--config", conf, "--runtime-dir",
                                path], capture_output=True, text=True,
                               timeout=20)
            rc, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:
            rc, err = "running", ""
        check(rc not in (0, "running") and text in err and
              not os.path.exists(os.path.join(path, "contigd.sock")),
              "rundir %s: contigd exits %s: %s"
              % (what, rc, err.strip().splitlines()[-1:]))


def main():
    contigd, ctl, target, helper = sys.argv[1:5]
    need_root()
    tmp = tempfile.mkdtemp(prefix="hostile.")
    os.chmod(tmp, 0o755)
    exe = os.path.join(tmp, "collapse_target")
    shutil.copy(target, exe)
    os.chmod(exe, 0o711)  # execute-only: nobody runs it non-dumpable
    d = Daemon(contigd, CONFIG)
    victims, busy = [], None
    try:
        t0 = time.time()
        attack_rundir(contigd, tmp)
        root_proc = Victim([target, "8"])
        thr = Victim([sys.executable, "-c", THREAD_VICTIM])
        nodump = Victim([exe, "8"], user=True)
        victims = [root_proc, thr, nodump]

        attack_userns(d, root_proc)
        root_status(ctl, d.rd, "userns")
        attack_thread(d, thr)
        root_status(ctl, d.rd, "thread")
        attack_nondumpable(d, nodump)
        root_status(ctl, d.rd, "nondump")

        attack_clone_vm(d, helper)
        root_status(ctl, d.rd, "clone_vm")
        attack_zlen(d)
        root_status(ctl, d.rd, "zlen")
        attack_linger(d, ctl)
        busy, busy_pid, _, _ = daemon_test.start_target(target, 16)
        attack_exec(d, ctl, busy_pid)
        root_status(ctl, d.rd, "exec")
        busy.kill()
        busy.wait()
        busy, busy_pid, _, _ = daemon_test.start_target(target, 16)
        r = subprocess.run([ctl, "--runtime-dir", d.rd, "defrag",
                            str(busy_pid)], capture_output=True, timeout=10)
        check(r.returncode == 0, "quota: root's long job queued")
        attack_quota(d)
        root_status(ctl, d.rd, "quota")
        busy.kill()
        busy.wait()
        busy = None
        attack_slice(d, ctl, target)
        attack_memory(d, ctl)
        attack_slots(d, ctl)
        attack_log(d, ctl)
        for v in victims:
            v.intact("all attacks")
        attack_fds(contigd, ctl)
        end = time.time() + 15
        while "log lines suppressed" not in d.text() and time.time() < end:
            time.sleep(0.5)
        lines = [ln for ln in d.text().splitlines()
                 if "uid 65534: " in ln and "log lines suppressed" in ln]
        check(bool(lines), "logflood: the count of suppressed lines: %s"
              % lines[-1:])
        print("attacks took %.1f s" % (time.time() - t0))
    finally:
        for v in victims:
            v.stop()
        if busy:
            busy.kill()
            busy.wait()
        text = d.stop()
        lines = text.splitlines()
        if "CONTIG_HOSTILE_LOG" not in os.environ:
            lines = lines[-15:]
        print("--- contigd log, last %d lines:\n%s"
              % (len(lines), "\n".join(lines)))
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
