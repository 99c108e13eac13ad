# SPDX-License-Identifier: GPL-2.0-only
"""The control-socket protocol of contigd (include/contig_proto.h) in
Python, written from the header for the tests: packing requests, reading
replies, and a client that can also send malformed packets on purpose."""
import os
import socket
import struct

MAGIC = 0x434F4E54
VERSION = 1
HINT, DEFRAG, STATUS, SHOW = 1, 2, 3, 4
REPLY, PROGRESS, ERROR = 0x8000, 0x4000, 0x7FFF
HINT_WANT, HINT_NOW, HINT_NEVER = 1, 2, 4
REQ_WAIT, REQ_PROGRESS = 1 << 8, 1 << 9
REP_QUEUED, REP_REACHED, REP_TRUNCATED = 1, 2, 4
VMA_QUEUED, VMA_RUNNING, VMA_CLAIMED, VMA_NEVER, VMA_HINTED, VMA_DONE = (
    1, 2, 4, 8, 16, 32)
MAX_REQUEST, MAX_REPLY = 256, 65536

HDR = struct.Struct("<IHHII")
RANGE = struct.Struct("<iIQQII")
SHOWREQ = struct.Struct("<iI")
REPHDR = struct.Struct("<iI120s")
FIGS = struct.Struct("<6Q")
RESULT = struct.Struct("<5QII")
PROG = struct.Struct("<QQII")
STATUSREP = struct.Struct("<16s16s16s160sIIIIQQQQQQQ16s96s16sII")
SHOWHDR = struct.Struct("<II")
VMA = struct.Struct("<6QII")
FIG_NAMES = ("pages", "present", "runs", "largest_run", "runs_99",
             "aligned_2m")


def hdr(mtype, length, seq, magic=MAGIC, version=VERSION):
    return HDR.pack(magic, version, mtype, length, seq)


def range_req(mtype, pid, flags, start=0, end=0, timeout_ms=0, seq=1,
              reserved=0):
    n = HDR.size + RANGE.size
    return hdr(mtype, n, seq) + RANGE.pack(pid, flags, start, end,
                                           timeout_ms, reserved)


def status_req(seq=1):
    return hdr(STATUS, HDR.size, seq)


def show_req(pid, seq=1):
    return hdr(SHOW, HDR.size + SHOWREQ.size, seq) + SHOWREQ.pack(pid, 0)


def cstr(b):
    return b.split(b"\0", 1)[0].decode()


def figures(buf):
    return dict(zip(FIG_NAMES, FIGS.unpack(buf)))


def is_progress(mtype):
    return mtype != ERROR and mtype & PROGRESS and not mtype & REPLY


def parse(pkt):
    """A reply packet as a dict; raises ValueError on a malformed one."""
    if len(pkt) < HDR.size + REPHDR.size:
        raise ValueError("short packet: %d bytes" % len(pkt))
    magic, version, mtype, length, seq = HDR.unpack_from(pkt)
    if magic != MAGIC or length != len(pkt):
        raise ValueError("bad header")
    err, flags, msg = REPHDR.unpack_from(pkt, HDR.size)
    r = {"type": mtype, "seq": seq, "version": version, "error": err,
         "flags": flags, "message": cstr(msg)}
    off = HDR.size + REPHDR.size
    base = mtype & ~REPLY
    if is_progress(mtype):
        (r["ops_done"], r["ops_total"], r["pieces_done"],
         r["pieces_total"]) = PROG.unpack_from(pkt, off)
    elif mtype in (HINT | REPLY, DEFRAG | REPLY) and len(pkt) > off:
        r["before"] = figures(pkt[off:off + FIGS.size])
        r["after"] = figures(pkt[off + FIGS.size:off + 2 * FIGS.size])
        (r["ops"], r["done"], r["failed"], r["pages_verified"],
         r["duration_us"], r["pieces"], _) = RESULT.unpack_from(
             pkt, off + 2 * FIGS.size)
    elif mtype == STATUS | REPLY and len(pkt) > off:
        f = STATUSREP.unpack_from(pkt, off)
        r.update(version_str=cstr(f[0]), backend=cstr(f[1]),
                 observer=cstr(f[2]), backend_reason=cstr(f[3]),
                 backend_abi=f[4], queue_length=f[5], watched=f[6],
                 claims=f[7], uptime_s=f[8], passes=f[9],
                 pages_moved=f[10], pages_exchanged=f[11],
                 blocks_collapsed=f[12], ops_failed=f[13],
                 bytes_contiguous=f[14], heat_source=cstr(f[15]),
                 tlb=cstr(f[16]), submission=cstr(f[17]), depth=f[18])
    elif base == SHOW and len(pkt) > off:
        nr, _ = SHOWHDR.unpack_from(pkt, off)
        off += SHOWHDR.size
        if len(pkt) != off + nr * VMA.size:
            raise ValueError("SHOW size does not match nr")
        r["vmas"] = []
        for i in range(nr):
            v = VMA.unpack_from(pkt, off + i * VMA.size)
            r["vmas"].append(dict(zip(
                ("start", "end", "heat", "anchor_pfn", "last_runs",
                 "last_pass_unix", "state", "failures"), v)))
    return r


class Client:
    def __init__(self, path, timeout=30.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(path)

    def send(self, pkt, fds=()):
        if fds:
            socket.send_fds(self.s, [pkt], list(fds))
        else:
            self.s.send(pkt)

    @staticmethod
    def proof_for(pkt):
        """The descriptor a process request goes with, as libcontig and
        contigctl send it: /proc/PID/pagemap of the pid it names (self for
        0), opened by this process; None when it names no process or the
        kernel refuses the open."""
        if len(pkt) < HDR.size + 4:
            return None
        mtype = HDR.unpack_from(pkt)[2]
        if mtype not in (HINT, DEFRAG, SHOW):
            return None
        pid = struct.unpack_from("<i", pkt, HDR.size)[0]
        try:
            return os.open("/proc/%s/pagemap" % (pid or "self"),
                           os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None

    def recv(self):
        pkt = self.s.recv(MAX_REPLY)
        if not pkt:
            raise ConnectionError("contigd closed the connection")
        return parse(pkt)

    def call(self, pkt, progress=None, proof=True):
        """Send a request (with its proof of access unless proof is
        False); the final answer (progress packets go to progress, a
        list, when given)."""
        fd = self.proof_for(pkt) if proof else None
        try:
            self.send(pkt, () if fd is None else (fd,))
        finally:
            if fd is not None:
                os.close(fd)
        while True:
            r = self.recv()
            if is_progress(r["type"]):
                if progress is not None:
                    progress.append(r)
                continue
            return r

    def close(self):
        self.s.close()


def socket_path(runtime_dir):
    return os.path.join(runtime_dir, "contigd.sock")
