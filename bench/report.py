#!/usr/bin/python3
"""Turn bench/run's JSON lines into results.json, results.md, results.png.

usage: report.py LINES_FILE OUT_DIR
"""
import json
import sys

STRATEGIES = ["baseline", "collapse", "rfc", "contigd"]
SCENARIOS = ["fresh", "full", "thp"]
START = {"fresh": "fresh start", "full": "full start",
         "thp": "THP=always start"}
COLORS = {"baseline": "#999999", "collapse": "#e69f00", "rfc": "#56b4e9",
          "contigd": "#009e73"}


def series(kernel):
    """6.1.0-56-amd64 -> 6.1"""
    return ".".join(kernel.split(".")[:2])


def load(path):
    runs, micro = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if "strategy" in rec:
                runs.append(rec)
            elif rec.get("bench") == "exchange":
                micro.append(rec)
    if not runs:
        sys.exit("report.py: no benchmark runs in " + path)
    return runs, micro


def groups(runs):
    """(kernel series, scenario, MiB) in report order: the main size first."""
    out = []
    for k in sorted({series(r["kernel"]) for r in runs}):
        for mib in sorted({r["mib"] for r in runs}):
            for sc in SCENARIOS:
                rows = [r for r in runs if series(r["kernel"]) == k
                        and r["scenario"] == sc and r["mib"] == mib]
                if rows:
                    out.append((k, sc, mib, rows))
    return out


def table(runs, micro):
    out = []
    for k, sc, mib, rows in groups(runs):
        rows.sort(key=lambda r: STRATEGIES.index(r["strategy"]))
        out.append(f"kernel {k}, {START[sc]}, {mib} MiB buffer "
                   f"({rows[0]['after']['pages']} pages)")
        out.append("")
        huge = any((r.get("thp") or {}).get("anon_huge_kib_after") is not None
                   for r in rows)
        out.append("    strategy  runs_99      largest run  aligned_2m"
                   "  pages moved  wall s  ops/misplaced  errors"
                   + ("  PMD-mapped before -> after" if huge else ""))
        for r in rows:
            b, a = r["before"], r["after"]
            err = r["integrity_errors"]
            note = f" (hint: {r['hint_error']})" if r["hint_error"] else ""
            t = r.get("thp") or {}
            pmd = ""
            if huge and "anon_huge_kib_after" in t:
                kib = mib * 1024
                pmd = (f"  {100 * t['anon_huge_kib_before'] / kib:>5.1f} % ->"
                       f" {100 * t['anon_huge_kib_after'] / kib:5.1f} %")
            out.append(
                f"    {r['strategy']:<9} {b['runs_99']:>5} -> {a['runs_99']:<5}"
                f" {a['largest_run_pct']:>6.1f} %     {a['aligned_2m']:>4}"
                f"        {r['pages_moved']:>7}  {r['wall_s']:>6.2f}"
                f"  {r['ops_per_misplaced']:>13.3f}  {err:>6}{pmd}{note}")
        out.append("")
    out += targets(runs, micro)
    out += profiles(runs)
    for m in micro:
        x = m["exchange_ns_per_pair"]
        line = (
            f"kernel {m['kernel_series']}, {m['pairs']} pairs of pages: "
            f"exchange in place {x:.0f} ns/pair; two migrations into free "
            f"frames the kernel picks {m['migrate_ns_per_pair']:.0f} ns/pair "
            f"({m['migrate_ns_per_pair'] / x:.2f}x the exchange's time); "
            f"the swap by migration into the chosen frames "
            f"{m['migrate_swap_ns_per_pair']:.0f} ns/pair "
            f"({m['migrate_swap_ns_per_pair'] / x:.2f}x)")
        floor = m.get("userspace_swap_ns_per_pair")
        if floor:
            line += (f"; the copy floor (two pages swapped by plain copies "
                     f"in the guest) {floor:.0f} ns/pair, the exchange "
                     f"{x / floor:.1f}x it")
        if m.get("migrate_to_frame_ns_per_pair"):
            line += (f"; two moves into chosen free frames "
                     f"{m['migrate_to_frame_ns_per_pair']:.0f} ns/pair")
        out.append(line)
    return "\n".join(out) + "\n"


def targets(runs, micro):
    """Per kernel, start and size: contigd against the issue's targets."""
    out = []
    for k, sc, mib, rows in groups(runs):
        xs = [m["exchange_ns_per_pair"] for m in micro
              if m["kernel_series"] == k]
        by = {r["strategy"]: r for r in rows}
        c = by.get("contigd")
        if not c or not c["misplaced_min"]:
            continue
        line = f"kernel {k}, {START[sc]}, {mib} MiB: contigd {c['wall_s']:.2f} s"
        if "collapse" in by and by["collapse"]["wall_s"]:
            col = by["collapse"]["wall_s"]
            line += f" ({c['wall_s'] / col:.2f}x collapse's {col:.2f} s)"
        per = c["wall_s"] * 1e9 / c["misplaced_min"]
        line += f", {per / 1000:.1f} us per misplaced page"
        same = (c.get("micro") or {}).get("exchange_ns_per_pair")
        if same:
            line += (f" ({per / same:.2f}x the exchange per pair, "
                     f"{same / 1000:.1f} us, same boot)")
        elif xs:
            line += f" ({per / xs[0]:.2f}x the exchange per pair)"
        line += f", {c['ops_per_misplaced']:.3f} ops per misplaced page"
        line += f" ({c.get('moves', 0)} moves, {c.get('exchanges', 0)} exchanges)"
        out.append(line)
    if out:
        out.append("")
    return out


def profiles(runs):
    """Where a daemon strategy's pass spent its time (the stats file)."""
    out = []
    for k, sc, mib, rows in groups(runs):
        for r in rows:
            p = r.get("profile") or {}
            if "pass_s" not in p:
                continue
            rest = p["pass_s"] - p["plan_s"] - p["apply_s"] - p["verify_s"]
            out.append(
                f"profile {k}, {START[sc]}, {mib} MiB, {r['strategy']}: pass "
                f"{p['pass_s']:.2f} s = plan {p['plan_s']:.2f} + module "
                f"{p['apply_s']:.2f} + verify {p['verify_s']:.2f} + reads "
                f"{max(rest, 0):.2f}; op times weighed: move "
                f"{p['move_us']:.1f} us, exchange {p['exchange_us']:.1f} us "
                f"({p['cost_batches']} batches)")
    if out:
        out.append("")
    return out


def chart(runs, path):
    main = min(r["mib"] for r in runs)
    runs = [r for r in runs if r["mib"] == main]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kernels = sorted({series(r["kernel"]) for r in runs})
    metrics = [("after runs_99 (log)", lambda r: r["after"]["runs_99"], True),
               ("largest run, % of the buffer",
                lambda r: r["after"]["largest_run_pct"], False),
               ("wall seconds", lambda r: r["wall_s"], False)]
    fig, axes = plt.subplots(len(kernels), len(metrics), squeeze=False,
                             figsize=(4.2 * len(metrics), 3.4 * len(kernels)))
    width = 0.8 / len(STRATEGIES)
    for ki, k in enumerate(kernels):
        for mi, (title, get, log) in enumerate(metrics):
            ax = axes[ki][mi]
            for si, st in enumerate(STRATEGIES):
                xs, ys = [], []
                for ci, sc in enumerate(SCENARIOS):
                    for r in runs:
                        if (series(r["kernel"]) == k and r["scenario"] == sc
                                and r["strategy"] == st):
                            xs.append(ci + (si - 1.5) * width)
                            ys.append(max(get(r), 0.001 if not log else 1))
                ax.bar(xs, ys, width, label=st, color=COLORS[st])
            ax.set_xticks(range(len(SCENARIOS)))
            ax.set_xticklabels([START[s] for s in SCENARIOS])
            ax.set_title(f"{k}: {title}", fontsize=10)
            if log:
                ax.set_yscale("log")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py LINES_FILE OUT_DIR")
    runs, micro = load(sys.argv[1])
    out = sys.argv[2]
    with open(out + "/results.json", "w") as f:
        json.dump({"runs": runs, "exchange_vs_migration": micro}, f,
                  indent=1)
        f.write("\n")
    text = table(runs, micro)
    with open(out + "/results.md", "w") as f:
        f.write(text)
    chart(runs, out + "/results.png")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
