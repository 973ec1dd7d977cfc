#!/usr/bin/env python3
"""Run the converted episode scenarios with the shared model and tabulate them.

    python3 validation/episodes_validate.py [--bin PATH] [--seeds 3]

For each data/episodes/scenarios/<ID>.toml: `unrest validate FILE --seeds N --json`
(share of runs meeting each criterion, outcomes, wall time), then `unrest run FILE
--seed S --out DIR` for the same N seeds (S = seeds::derive(scenario seed, i), as
validate uses) to read the model's national and capital peak, deaths and detentions
from summary.json. Writes the table between the markers in
data/episodes/scenarios/README.md. Nothing is tuned: the model is the committed one.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import tomllib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCEN = os.path.join(ROOT, "data", "episodes", "scenarios")
README = os.path.join(SCEN, "README.md")
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"
M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def derive(seed, index):
    return splitmix64(splitmix64(seed) ^ ((index * 0xD1B54A32D192ED03) & M64))


def people(x):
    if x is None:
        return "—"
    x = float(x)
    return f"{x / 1e6:.2g} M" if x >= 1e6 else (f"{x / 1e3:.3g} k" if x >= 1e3 else f"{x:.0f}")


def rng(rec):
    if not rec:
        return "—"
    v, lo, hi = rec.get("value"), rec.get("low"), rec.get("high")
    if lo is not None or hi is not None:
        return f"{people(lo) if lo is not None else '?'}–{people(hi) if hi is not None else '?'}"
    return people(v)


def main():
    args = sys.argv[1:]
    binary = args[args.index("--bin") + 1] if "--bin" in args else "/work/main/target/release/unrest"
    seeds = int(args[args.index("--seeds") + 1]) if "--seeds" in args else 3
    split = yaml.safe_load(open(os.path.join(ROOT, "data", "episodes", "split.yaml")))
    rows = []
    for name in sorted(os.listdir(SCEN)):
        if not name.endswith(".toml"):
            continue
        path = os.path.join(SCEN, name)
        eid = name[:-5]
        spec = tomllib.load(open(path, "rb"))
        ep = yaml.safe_load(open(os.path.join(ROOT, "data", "episodes", eid + ".yaml")))
        rec = ep["record"]
        v = subprocess.run([binary, "validate", path, "--seeds", str(seeds), "--json"],
                           capture_output=True, text=True)
        res = json.loads(v.stdout)
        sums = []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(seeds):
                out = os.path.join(tmp, str(i))
                subprocess.run([binary, "run", path, "--seed", str(derive(spec["seed"], i)), "--out", out],
                               check=True, capture_output=True)
                sums.append(json.load(open(os.path.join(out, "summary.json"))))
        outs = {}
        for o in res["outcomes"]:
            k = o.split()[0]
            outs[k] = outs.get(k, 0) + 1
        first = min(o.split()[1][:10] for o in res["outcomes"])
        med = lambda key: statistics.median(s[key] for s in sums)
        met = sum(1 for c in res["criteria"] if c["share"] >= 0.8)
        rows.append("| " + " | ".join([
            eid, split.get(eid, "?"), f"1:{spec['scale']:g}",
            rec["outcome"]["value"],
            ", ".join(f"{k} {n}" for k, n in sorted(outs.items())) + f" (first {first})",
            f"{people(med('peak_people'))} / {rng(rec.get('peak_national'))}",
            f"{people(med('capital_peak_people'))} / {rng(rec.get('peak_capital'))}",
            f"{people(med('killed'))} / {rng(rec.get('deaths'))}",
            f"{people(med('detained'))} / {rng(rec.get('detained'))}",
            f"{met} of {len(res['criteria'])}",
            f"{res['wall_seconds']:.1f}",
        ]) + " |")
        print(rows[-1], flush=True)
    head = ("| id | split | scale | record outcome | model outcomes (3 seeds) | national peak model / record "
            "| capital peak model / record | killed model / record | detained model / record "
            "| criteria met (≥ 80% of runs) | validate s |\n" + "|---" * 11 + "|")
    text = open(README, encoding="utf-8").read()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    text = text[:a] + "\n" + head + "\n" + "\n".join(rows) + "\n" + text[b:]
    open(README, "w", encoding="utf-8").write(text)


if __name__ == "__main__":
    main()
