# SPDX-License-Identifier: GPL-2.0-only
"""The client programs of hostile_user.py: each runs as nobody after
hostile_user's prelude (json, os, socket, subprocess, sys, time, the
contigproto module as cp, and SOCK) and prints one JSON line."""

# nobody's own child waits for a byte, then execs su (set-uid root),
# which waits for a password on a pipe that stays open.
EXEC_ATTACK = r"""
rd, wr = os.pipe()
pw_r, pw_w = os.pipe()
pid = os.fork()
if not pid:
    os.close(wr)
    os.read(rd, 1)
    os.dup2(pw_r, 0)
    os.execv("/bin/su", ["su", "root", "-c", "true"])
c = cp.Client(SOCK, timeout=40)
req = cp.range_req(cp.DEFRAG, pid, cp.REQ_WAIT, timeout_ms=30000)
fd = c.proof_for(req)
c.send(req, (fd,))
os.close(fd)
time.sleep(0.5)
os.write(wr, b"x")
time.sleep(0.5)
with open("/proc/%d/status" % pid) as f:
    euid = [l.split()[2] for l in f if l.startswith("Uid:")][0]
r = c.recv()
r["target"] = pid
r["euid"] = int(euid)
os.kill(pid, 9)
print(json.dumps(r))
"""


# Run under clone_vm_exec: CONTIG_VICTIM runs su now, exec'd by a child
# that shared our parent's mm; CONTIG_PROOF reads that mm, still alive.
CLONE_VM_ATTACK = r"""
pid = int(os.environ["CONTIG_VICTIM"])
proof = int(os.environ["CONTIG_PROOF"])
with open("/proc/%d/status" % pid) as f:
    euid = [l.split()[2] for l in f if l.startswith("Uid:")][0]
c = cp.Client(SOCK, timeout=20)
c.send(cp.show_req(pid), (proof,))
r = c.recv()
r["target"] = pid
r["euid"] = int(euid)
print(json.dumps(r))
"""


# Zero-length packets, each with 4 descriptors.
ZLEN_ATTACK = r"""
null = os.open("/dev/null", os.O_RDONLY)
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(SOCK)
    socket.send_fds(s, [b""], [null] * 4)
    s.settimeout(5)
    try:
        s.recv(512)
    except OSError:
        pass
    s.close()
print(json.dumps({"sent": 100}))
"""


# TCP sockets that linger (SO_LINGER for a day) with data the peer never
# reads, passed to contigd: (a) behind an empty packet (itself behind
# SHOWs, which keep contigd busy meanwhile), so that they are
# still queued when contigd closes the connection; (b) as the fifth of 5
# descriptors; (c) as a second descriptor, then 4200 packets of 4 (more
# than a pipe to a stuck closer holds), then 5 more sockets. The closes
# must not hold contigd's main loop.
LINGER_ATTACK = r"""
import struct, threading
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(128)
keep = []
def lingering():
    t = socket.socket()
    t.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    t.connect(lst.getsockname())
    a, _ = lst.accept()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    keep.append(a)
    t.setblocking(False)
    try:
        while True:
            t.send(b"x" * 65536)
    except BlockingIOError:
        pass
    t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 86400))
    return t
def drop(t):
    # our close may be the last one, and linger: not on this thread
    threading.Thread(target=t.close, daemon=True).start()
held = []
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(SOCK)
    s.settimeout(2)
    held.append(s)
    return s
def call(s, fds):
    try:
        socket.send_fds(s, [b"abcd"], fds)
        s.recv(512)
        return 1
    except OSError:
        return 0
def attack():
    # (a): SHOWs first keep contigd busy while the rest is queued
    for _ in range(3):
        s = conn()
        t = lingering()
        for _ in range(3):
            req = cp.show_req(0)
            socket.send_fds(s, [req], [cp.Client.proof_for(req)])
        s.send(b"")
        try:
            socket.send_fds(s, [b"abcd"], [t.fileno()])
        except OSError:
            pass
        drop(t)
        try:  # the replies, then contigd's end of it (uid slots are few)
            while s.recv(cp.MAX_REPLY):
                pass
        except OSError:
            pass
    # (b)
    s = conn()
    t = lingering()
    try:
        socket.send_fds(s, [b"abcd"], [null] * 4 + [t.fileno()])
    except OSError:
        pass
    drop(t)
    # (c): one for the closer, 4200 packets to fill its queue, 5 more
    s = conn()
    t = lingering()
    call(s, [null, t.fileno()])
    drop(t)
    sent = 0
    for _ in range(4200):
        if not call(s, [null] * 4):
            break
        sent += 1
    for _ in range(5):
        t = lingering()
        call(s, [null, t.fileno()])
        drop(t)
    return sent, sum(call(s, [null] * 4) for _ in range(20))
null = os.open("/dev/null", os.O_RDONLY)
try:
    sent, after = attack()
    print(json.dumps({"sent": sent, "after": after}), flush=True)
    sys.stdin.read()
finally:
    # reset every connection, so that no close lingers
    for a in keep:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        a.close()
"""


QUOTA_ATTACK = r"""
kids = [subprocess.Popen(["sleep", "60"]) for _ in range(43)]
time.sleep(0.3)
c = cp.Client(SOCK, timeout=10)
want = [c.call(cp.range_req(cp.HINT, k.pid, cp.HINT_WANT)) for k in kids[:40]]
now = []
for k in kids[40:]:
    n = cp.Client(SOCK, timeout=2)
    req = cp.range_req(cp.HINT, k.pid, cp.HINT_NOW, timeout_ms=20000)
    fd = n.proof_for(req)
    n.send(req, (fd,))
    os.close(fd)
    now.append(n)
answers = []
for n in now:
    try:
        answers.append(n.recv())
    except socket.timeout:
        answers.append({"error": None})
for k in kids:
    k.kill()
print(json.dumps({"want": want, "now": answers}))
"""


SLOTS_ATTACK = r"""
held = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(SOCK)
    held.append(s)
time.sleep(0.5)
busy = 0
for s in held:
    s.setblocking(False)
    try:
        pkt = s.recv(cp.MAX_REPLY)
        busy += bool(pkt) and cp.parse(pkt)["error"] == 16
    except BlockingIOError:
        pass
print(json.dumps({"busy": busy}), flush=True)
sys.stdin.read()
"""


FDS_ATTACK = r"""
kids = [subprocess.Popen(["sleep", "60"]) for _ in range(200)]
time.sleep(0.5)
c = cp.Client(SOCK, timeout=5)
answered = 0
for k in kids:
    try:
        c.call(cp.range_req(cp.HINT, k.pid, cp.HINT_WANT))
        answered += 1
    except (OSError, ValueError, ConnectionError):
        c = cp.Client(SOCK, timeout=5)
print(json.dumps({"answered": answered, "kids": [k.pid for k in kids]}),
      flush=True)
sys.stdin.read()
for k in kids:
    k.kill()
"""


LOG_ATTACK = r"""
n = 0
for conns in ((1, 2000), (5, 200)):
    for _ in range(conns[0]):
        c = cp.Client(SOCK, timeout=5)
        for _ in range(conns[1]):
            r = c.call(cp.range_req(cp.DEFRAG, 1, 0))
            n += r["error"] == 1
        c.close()
print(json.dumps({"refused": n}))
"""


MEMORY_ATTACK = r"""
import ctypes, mmap
NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
libc = ctypes.CDLL(None)
maps = []
for _ in range(4):
    m = mmap.mmap(-1, 63 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS |
                  NORESERVE)
    for k in range(8):
        m[(k * (7 << 30)) | 4096] = 1
    # its first page read-only, or the four would merge into one VMA
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    libc.mprotect(ctypes.c_void_p(addr), 4096, 1)
    maps.append(m)
c = cp.Client(SOCK, timeout=120)
r = c.call(cp.range_req(cp.DEFRAG, 0, cp.REQ_WAIT, timeout_ms=100000))
print(json.dumps(r))
"""


SLICE_ATTACK = r"""
c = cp.Client(SOCK, timeout=120)
print(json.dumps(c.call(cp.range_req(cp.DEFRAG, %d, cp.REQ_WAIT,
                                     timeout_ms=100000))))
"""
