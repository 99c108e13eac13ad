#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile clients against contigd's control socket.

A private contigd (max_clients 16) is hit with:
  - a flood of 400 connections held open: the ones over the limit are
    closed at once and counted, the daemon answers status meanwhile;
  - 20000 random and mutated packets (wrong sizes, versions, types,
    flags, truncated and oversized), each answered with an error or
    a reply, on connections that come and go;
  - a slow client that sends requests and never reads the replies: it
    is disconnected, the others are served;
  - requests naming another pid in the payload from an unprivileged
    client: without a descriptor of that pid's pagemap (which the kernel
    does not give nobody) it is refused.
Throughout, the daemon must stay responsive (status within 1 s) and its
resident memory bounded (grows by less than 8 MiB), and it must exit 0
on SIGTERM.

usage: contigd_abuse.py [--sanitized] CONTIGD [WRAPPER...]
--sanitized: contigd is built with ASan, whose quarantine holds freed
memory: the resident memory bound is not checked.
WRAPPER (e.g. valgrind and its options) is put before contigd's command
line; with valgrind, an error it reports fails the test. Needs root for the privilege part; runs as any user otherwise and skips
that part.
"""
import os
import random
from errno import EBUSY
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contigproto as cp  # noqa: E402
from daemon_test import Daemon, check, finish  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def responsive(sock):
    t0 = time.time()
    c = cp.Client(sock, timeout=5)
    r = c.call(cp.status_req(seq=9))
    c.close()
    return r["error"] == 0 and time.time() - t0 < 1.0


def mutate(rng):
    base = rng.choice([cp.status_req(), cp.show_req(0),
                       cp.range_req(cp.DEFRAG, 0, 0),
                       cp.range_req(cp.HINT, 0, cp.HINT_WANT)])
    b = bytearray(base)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:
        b = b[:rng.randrange(len(b))]
    elif kind == 2:
        b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    elif kind == 3:
        b = bytearray(os.urandom(rng.randrange(1, 400)))
    elif kind == 4:
        struct.pack_into("<H", b, 4, rng.randrange(65536))  # version
    else:
        struct.pack_into("<H", b, 6, rng.randrange(65536))  # type
    if len(b) == cp.HDR.size + cp.RANGE.size:
        # never make it wait: one answer per packet keeps the count exact
        flags = struct.unpack_from("<I", b, 20)[0]
        struct.pack_into("<I", b, 20, flags & ~(cp.REQ_WAIT | cp.HINT_NOW))
    return bytes(b) or b"\0"


def flood(sock, n):
    held, refused = [], 0
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(sock)
        except OSError:
            refused += 1
            s.close()
            continue
        held.append(s)
    return held, refused


def fuzz(sock, rng, n):
    answered = 0
    c = cp.Client(sock, timeout=5)
    for i in range(n):
        if i % 500 == 0:
            c.close()
            c = cp.Client(sock, timeout=5)
        pkt = mutate(rng)
        c.send(pkt)
        try:
            r = c.recv()
        except (ValueError, ConnectionError, socket.timeout) as e:
            check(False, "packet %r: bad answer %s" % (pkt[:32], e))
            c = cp.Client(sock, timeout=5)
            continue
        answered += r["type"] in (cp.ERROR, cp.STATUS | cp.REPLY,
                                  cp.SHOW | cp.REPLY, cp.HINT | cp.REPLY,
                                  cp.DEFRAG | cp.REPLY)
    c.close()
    return answered


def slow_client(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(sock)
    s.setblocking(False)
    sent = 0
    try:
        for _ in range(20000):
            s.send(cp.show_req(0))
            sent += 1
    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
        pass
    time.sleep(0.5)
    # the daemon gave up on it: reading ends in EOF or reset
    s.setblocking(True)
    s.settimeout(5)
    closed = False
    try:
        while True:
            if not s.recv(cp.MAX_REPLY):
                closed = True
                break
    except (ConnectionResetError, socket.timeout):
        closed = True
    s.close()
    return sent, closed


def main():
    args = sys.argv[1:]
    sanitized = args[:1] == ["--sanitized"]
    args = args[sanitized:]
    contigd, wrapper = args[0], args[1:]
    d = Daemon(contigd, "backend = collapse\nobserver = off\n"
               "max_clients = 16\nclient_timeout_ms = 200\n"
               "stats_interval = 1\n", wrapper=wrapper)
    sock = d.sock
    rng = random.Random(1234)
    try:
        check(responsive(sock), "responsive at start")
        rss0 = rss_kib(d.pid)

        held, refused = flood(sock, 400)
        time.sleep(0.5)
        alive = busy = 0
        for s in held:
            s.setblocking(False)
            try:
                # a refused connection gets one EBUSY packet, then EOF
                pkt = s.recv(cp.MAX_REPLY)
                busy += bool(pkt) and cp.parse(pkt)["error"] == EBUSY
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        check(busy > 0, "flood: %d refused connections told EBUSY" % busy)
        check(alive <= 16, "flood: %d of 400 connections kept (max 16)"
              % alive)
        for s in held:
            s.close()
        time.sleep(0.5)
        check(responsive(sock), "responsive after the flood")

        n = 20000
        answered = fuzz(sock, rng, n)
        check(answered == n, "random packets: %d of %d answered"
              % (answered, n))
        check(responsive(sock), "responsive after random packets")

        sent, closed = slow_client(sock)
        check(closed, "slow client (%d requests unread) disconnected" % sent)
        check(responsive(sock), "responsive after the slow client")

        if os.geteuid() == 0:
            r = subprocess.run(
                ["setpriv", "--reuid=65534", "--regid=65534",
                 "--clear-groups", sys.executable, "-c",
                 "import sys; sys.path.insert(0, %r); import contigproto "
                 "as cp; c = cp.Client(%r); r = c.call(cp.range_req("
                 "cp.DEFRAG, 1, 0)); print(r['error'], r['message'])"
                 % (os.path.dirname(os.path.abspath(__file__)), sock)],
                capture_output=True, text=True, timeout=30)
            check(r.stdout.startswith("1 Permission denied: the caller may "
                                      "not read the memory of pid 1 "),
                  "pid 1 in the payload of nobody's request: %s"
                  % r.stdout.strip())
        rss1 = rss_kib(d.pid)
        if not wrapper and not sanitized:  # their memory would count
            check(rss1 - rss0 < 8192, "resident memory %d KiB -> %d KiB"
                  % (rss0, rss1))
        check(d.proc.poll() is None, "daemon still running")
    finally:
        lines = d.stop().splitlines()
        print("--- contigd log: %d lines, last:\n%s"
              % (len(lines), "\n".join(lines[-10:])))
    finish()


if __name__ == "__main__":
    main()
