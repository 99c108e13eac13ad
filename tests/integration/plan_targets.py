#!/usr/bin/env python3
"""Run `contig-bench plan --json` and check the page-operation targets.

Timings are printed by the benchmark, not asserted here: this checks the
op counts and memory, which are deterministic for a given seed.
"""
import json
import subprocess
import sys


def main():
    bench = sys.argv[1]
    out = subprocess.run([bench, "plan", "--json"], check=True,
                         capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    failures = []
    checks = 0
    names = set()
    for r in rows:
        names.add(r["name"])
        checks += 1 if "lower_bound" not in r else (3 if r["name"] == "partial" else 2)
        if "lower_bound" not in r:
            if r["planner_bytes_per_page"] > 32:
                failures.append(f"{r['name']}: {r['planner_bytes_per_page']}"
                                " bytes per page > 32")
            continue
        if r["ours"] > r["rfc"]:
            failures.append(f"{r['name']}: ours {r['ours']} > rfc {r['rfc']}")
        if r["ours"] > 1.05 * r["lower_bound"]:
            failures.append(f"{r['name']}: ours {r['ours']} > 1.05 x lower "
                            f"bound {r['lower_bound']}")
        if r["name"] == "partial" and r["ours"] > 0.5 * r["rfc"]:
            failures.append(f"partial: ours {r['ours']} > 0.5 x rfc {r['rfc']}")
    for want in ("fresh_boot", "interleaved", "churn", "partial", "plan_16g"):
        if want not in names:
            failures.append(f"scenario {want} missing from the output")
    print(out, end="")
    for f in failures:
        print("FAIL:", f)
    print(f"targets: {checks - len(failures)} met, {len(failures)} missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
