# SPDX-License-Identifier: GPL-2.0-only
"""The stats file of a running contigd against contigd(8)'s METRICS
section: every family written is documented with its type, and every
documented family is written; contigd_build_info{version} is 1 with the
daemon's version, contigd_start_time_seconds is the start, the one
contigd_backend_info series is 1, and the observer mode is named as in
the configuration (`observer = off` is mode "off").

Usage: metrics_doc.py CONTIGD CONTIGD_8 INTEGRATION_TEST_DIR"""
import os
import re
import subprocess
import sys
import time

contigd, manpage = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from daemon_test import Daemon, check, finish  # noqa: E402


def documented():
    """{family: type} from the METRICS section of contigd(8)."""
    out, sec, name = {}, False, None
    with open(manpage) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".Sh "):
                sec = line == ".Sh METRICS"
                continue
            if not sec:
                continue
            m = re.match(r"\.It Li (contigd_[a-z0-9_]+)", line)
            if m:
                name = m.group(1)
                continue
            if name:
                out[name] = line.split(",")[0].split()[0]
                name = None
    return out


def written(text):
    """{family: type} and the samples [(name, labels, value)]."""
    types, samples = {}, []
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)$", line)
        if m:
            types[m.group(1)] = m.group(2)
        elif line and not line.startswith("#"):
            m = re.match(r"([a-z0-9_]+)(\{[^}]*\})? (\S+)$", line)
            check(m is not None, "sample line parses: %r" % line)
            if m:
                samples.append((m.group(1), m.group(2) or "",
                                float(m.group(3))))
    return types, samples


def main():
    doc = documented()
    check(len(doc) >= 20, "contigd(8) METRICS lists %d families" % len(doc))
    version = subprocess.run([contigd, "--version"], capture_output=True,
                             text=True).stdout.split()[-1]
    t0 = time.time()
    d = Daemon(contigd, "backend = collapse\nobserver = off\n"
               "stats_interval = 1\n")
    try:
        end = time.time() + 30
        while not os.path.exists(d.stats) and time.time() < end:
            time.sleep(0.2)
        with open(d.stats) as f:
            text = f.read()
    finally:
        d.stop()
    types, samples = written(text)
    for name, t in sorted(types.items()):
        check(doc.get(name) == t, "%s (%s) documented as %s"
              % (name, t, doc.get(name)))
    for name in sorted(doc):
        check(name in types, "documented %s is written" % name)

    def series(name):
        return [(lab, v) for n, lab, v in samples if n == name]
    check(series("contigd_build_info") ==
          [('{version="%s"}' % version, 1.0)],
          "build_info{version=\"%s\"} 1 (%r)"
          % (version, series("contigd_build_info")))
    st = series("contigd_start_time_seconds")
    check(len(st) == 1 and t0 - 5 <= st[0][1] <= time.time() + 5,
          "start_time_seconds is the start (%r, started %.0f)" % (st, t0))
    bi = series("contigd_backend_info")
    check(len(bi) == 1 and bi[0][1] == 1.0 and 'backend="collapse"' in bi[0][0],
          "one backend_info series, collapse, 1 (%r)" % bi)
    for name in types:
        if name.endswith("_info"):
            check(all(v == 1.0 for _, v in series(name)),
                  "%s series are all 1" % name)
    om = dict(series("contigd_observer_mode"))
    check(om.get('{mode="off"}') == 1.0 and sum(om.values()) == 1.0,
          "observer = off is mode \"off\" (%r)" % om)
    finish()


main()
