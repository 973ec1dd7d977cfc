#!/usr/bin/env python3
"""Dock the start-up burst, step by step, with many runs.

In the first dozen steps of the reference setting (cop density 0.04, L 0.82, J_max 30) every
aggrieved citizen turns active at once and is jailed: the steps where a rule difference would
show most. Running Mesa for hundreds of seeds is slow, so Mesa's side comes from
`mesa_restated.py`, which reproduces Mesa's counts exactly. Per step 1..STEPS it compares the
active and the jailed counts of N runs a side (one value per run, independent across runs)
with a two-sample KS test and a Welch 95% interval of the difference (dock.py's statistics).

Usage:
    python3 validation/transient.py [-n 400] [--steps 12] [--bin target/release/unrest]

About 0.5 s per restated run (a few minutes for 400). Seeds 1001.. on both sides (unrelated
streams: the two programs draw different random numbers).
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dock  # noqa: E402
import mesa_restated  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=400, help="runs per side (default 400)")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(HERE), "target", "release", "unrest"))
    a = ap.parse_args(argv)
    if not os.access(a.bin, os.X_OK):
        print(f"transient.py: no unrest binary at {a.bin} (cargo build --release -p unrest-cli)",
              file=sys.stderr)
        return 2
    seeds = range(1001, 1001 + a.n)
    mesa = [mesa_restated.run(s, a.steps, cop_density=0.04, legitimacy=0.82, max_jail_term=30)
            for s in seeds]
    ours = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in seeds:
            d = os.path.join(tmp, f"s{s}")
            cmd = [a.bin, "run", "mesa-default", "--seed", str(s), "--steps", str(a.steps),
                   "--set", "cop_density=0.04", "--set", "legitimacy=0.82", "--set", "max_jail_term=30",
                   "--out", d]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                print(f"transient.py: `{' '.join(cmd)}` failed: {r.stderr.strip()}", file=sys.stderr)
                return 2
            with open(os.path.join(d, "timeseries.csv"), newline="") as fh:
                ours.append([(int(x["step"]), int(x["quiet"]), int(x["active"]), int(x["jailed"]))
                             for x in csv.DictReader(fh)])
    print(f"Start-up burst: {a.n} restated-Mesa runs vs {a.n} unrest runs, reference setting\n")
    print("| step | count | Mesa mean | unrest mean | unrest − Mesa [95% CI] | KS D | KS p |")
    print("|---:|---|---:|---:|---|---:|---:|")
    pmin = 1.0
    for t in range(1, a.steps + 1):
        for col, name in ((2, "active"), (3, "jailed")):
            x = [run[t][col] for run in mesa]
            y = [run[t][col] for run in ours]
            ks = dock.ks_2samp(x, y)
            d, lo, hi = dock.welch_diff(x, y)
            pmin = min(pmin, ks["p"])
            print(f"| {t} | {name} | {sum(x) / len(x):.1f} | {sum(y) / len(y):.1f} | "
                  f"{d:.1f} [{lo:.1f}, {hi:.1f}] | {ks['D']:.3f} | {ks['p']:.3f} |")
    print(f"\nsmallest KS p of {2 * a.steps}: {pmin:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
