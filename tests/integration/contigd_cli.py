#!/usr/bin/env python3
"""contigd's command line: bad input gets exit status 1 (or the documented
code) and one line on stderr naming what is wrong; nothing is touched.

usage: contigd_cli.py CONTIGD
"""
import os
import subprocess
import sys
import tempfile

# (arguments, exit status, text the first error line must contain)
CASES = [
    (["--once", "abc"], 1, "--once: 'abc' is not a process id"),
    (["--once", "0"], 1, "is not a process id"),
    (["--once", "-3"], 1, "is not a process id"),
    (["--once", "{pid}", "--range", "bogus"], 1, "--range: 'bogus'"),
    (["--once", "{pid}", "--range", "0x2000-0x1000"], 1, "START < END"),
    (["--once", "{pid}", "--range", "0x1001-0x2000"], 1, "page-aligned"),
    (["--once", "{pid}", "--range", "0x1000-"], 1, "--range"),
    (["--once", "{pid}", "--budget", "-5"], 1, "--budget: '-5'"),
    (["--once", "{pid}", "--budget", "12abc"], 1, "--budget: '12abc'"),
    (["--once", "{pid}", "--backend", "nope"], 1, "--backend: 'nope'"),
    (["--once", "{pid}", "--backend", "sim"], 6, "tests and benchmarks only"),
    (["--once", "99999999999"], 1, "is not a process id"),
    (["--once", "4194304"], 2, "No such process"),
    (["--config", "/nonexistent/contigd.conf"], 7,
     "/nonexistent/contigd.conf: no such file"),
    (["--config", "{badconf}"], 7, "contigd.conf:2: unknown key 'frobnicate'"),
    (["--config", "{badconf}", "--once", "{pid}"], 7,
     "contigd.conf:2: unknown key 'frobnicate'"),
    (["--budget", "5"], 1, "--budget needs --once"),
    (["--backend", "sim"], 6, "tests and benchmarks only"),
]


def main():
    contigd = sys.argv[1]
    sleeper = subprocess.Popen(["sleep", "60"])
    tmp = tempfile.mkdtemp(prefix="contigd-cli.")
    badconf = os.path.join(tmp, "contigd.conf")
    with open(badconf, "w") as f:
        f.write("backend = collapse\nfrobnicate = 3\n")
    failed = 0
    try:
        for n, (args, status, text) in enumerate(CASES, 1):
            argv = [a.format(pid=sleeper.pid, badconf=badconf)
                    for a in args]
            r = subprocess.run([contigd] + argv + ["--stats-file", "/dev/null/x"],
                               capture_output=True, text=True, timeout=30)
            errors = [line for line in r.stderr.splitlines()
                      if "using collapse" not in line]
            ok = r.returncode == status and errors and text in errors[0]
            if status == 1:
                ok = ok and len(errors) == 1
            print(("ok" if ok else "not ok"), n, "-", " ".join(argv) or "(none)")
            if not ok:
                failed += 1
                print("#   exit %d, stderr: %r" % (r.returncode, r.stderr))
        alive = sleeper.poll() is None
        print(("ok" if alive else "not ok"), len(CASES) + 1,
              "- the target process is untouched")
        failed += not alive
    finally:
        sleeper.kill()
        os.unlink(badconf)
        os.rmdir(tmp)
    print("1..%d" % (len(CASES) + 1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
