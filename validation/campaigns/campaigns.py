#!/usr/bin/env python3
"""A population of synthetic campaigns against the facts of NAVCO 1.2.

Issue 12 §4. The four sweeps in this folder (none.toml, fire.toml, ally.toml,
both.toml: the synthetic anchor country under four repertoires, a Sobol design
over its inputs) are run by `unrest sweep ... --csv`; this script reads their
runs.csv, bins the campaigns by peak participation share as the NAVCO data
README does, and compares

  * the success rate (the model's `collapsed`) per participation bin with
    NAVCO 1.2's 10 / 29 / 42 / 55 / 61 / 89%;
  * the success rate with and without security-force defection with NAVCO's
    77% (n 52) and 46% (n 117) for nonviolent campaigns,

each with Wilson 95% intervals on both sides. Writes campaigns.md (tables and
what matches), campaigns.csv (the bins) and campaigns.svg (the two curves).

    cargo build --release
    for v in none fire ally both; do
      target/release/unrest sweep validation/campaigns/$v.toml --out validation/campaigns/runs-$v --csv
    done
    python3 validation/campaigns/campaigns.py

Standard library only. The NAVCO numbers are facts derived from NAVCO 1.2
(Chenoweth & Shay 2019, doi:10.7910/DVN/0UZOTX), as listed in data/navco/README.md.
"""

import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPERTOIRES = ["none", "fire", "ally", "both"]

# data/navco/README.md: success by peak participation share (lower bin edges
# as fractions; the last bin is open), with the number of campaigns.
NAVCO_BINS = [
    ("< 0.01%", 0.0, 0.0001, 0.10, 60),
    ("0.01-0.1%", 0.0001, 0.001, 0.29, 119),
    ("0.1-0.5%", 0.001, 0.005, 0.42, 111),
    ("0.5-1%", 0.005, 0.01, 0.55, 40),
    ("1-3.5%", 0.01, 0.035, 0.61, 41),
    (">= 3.5%", 0.035, 2.0, 0.89, 18),
]
NAVCO_DEFECTION = {"with": (0.77, 52), "without": (0.46, 117)}


def wilson(k, n, z=1.96):
    """Wilson score interval of k successes in n trials."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def load():
    runs = []
    missing = []
    for rep in REPERTOIRES:
        path = os.path.join(HERE, f"runs-{rep}", "runs.csv")
        if not os.path.exists(path):
            missing.append(path)
            continue
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                row["repertoire"] = rep
                runs.append(row)
    if missing:
        sys.exit("missing (run the sweeps first, see the header): " + ", ".join(missing))
    return runs


def campaigns(runs):
    """Runs in which a protest happened (NAVCO codes campaigns, not quiet years)."""
    return [r for r in runs if r["outcome"] not in ("no_protest", "")]


def by_bins(cs):
    rows = []
    for label, lo, hi, navco, n_navco in NAVCO_BINS:
        inside = [r for r in cs if lo <= float(r["peak_active_share"]) < hi]
        k = sum(r["outcome"] == "collapsed" for r in inside)
        n = len(inside)
        kn = round(navco * n_navco)
        rows.append({
            "bin": label,
            "model_n": n,
            "model_success": k / n if n else float("nan"),
            "model_lo": wilson(k, n)[0],
            "model_hi": wilson(k, n)[1],
            "navco_n": n_navco,
            "navco_success": navco,
            "navco_lo": wilson(kn, n_navco)[0],
            "navco_hi": wilson(kn, n_navco)[1],
        })
    return rows


def defection(cs):
    out = {}
    for name, test in (("with", lambda r: int(r["defected"] or 0) > 0), ("without", lambda r: int(r["defected"] or 0) == 0)):
        inside = [r for r in cs if test(r)]
        k = sum(r["outcome"] == "collapsed" for r in inside)
        out[name] = (k, len(inside))
    return out


def fmt(p):
    return "-" if p != p else f"{100 * p:.0f}%"


def inside(model, lo, hi):
    return lo <= model <= hi


def svg(rows, path):
    """The two success curves over the bins, with their 95% intervals."""
    w, h, left, right, top, bottom = 640, 380, 60, 20, 30, 60
    pw, ph = w - left - right, h - top - bottom
    nb = len(rows)
    x = lambda i: left + pw * (i + 0.5) / nb
    y = lambda p: top + ph * (1 - p)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">Success by peak participation: synthetic campaigns vs NAVCO 1.2</text>']
    for t in range(0, 11, 2):
        p = t / 10
        parts.append(f'<line x1="{left}" y1="{y(p)}" x2="{w - right}" y2="{y(p)}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(p) + 4}" text-anchor="end">{t * 10}%</text>')
    for i, r in enumerate(rows):
        parts.append(f'<text x="{x(i)}" y="{h - bottom + 18}" text-anchor="middle">{r["bin"]}</text>')
        parts.append(f'<text x="{x(i)}" y="{h - bottom + 32}" text-anchor="middle" fill="#555">n {r["model_n"]} / {r["navco_n"]}</text>')
    parts.append(f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">peak participation (share of population); n model / NAVCO</text>')
    for key, colour, dx in (("navco", "#d62728", -6), ("model", "#1f77b4", 6)):
        pts = [(x(i) + dx, y(r[f"{key}_success"])) for i, r in enumerate(rows) if r[f"{key}_success"] == r[f"{key}_success"]]
        if len(pts) > 1:
            parts.append('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(colour, " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)))
        for i, r in enumerate(rows):
            if r[f"{key}_success"] != r[f"{key}_success"]:
                continue
            cx = x(i) + dx
            parts.append(f'<line x1="{cx}" y1="{y(r[key + "_lo"])}" x2="{cx}" y2="{y(r[key + "_hi"])}" stroke="{colour}"/>')
            parts.append(f'<circle cx="{cx}" cy="{y(r[key + "_success"])}" r="4" fill="{colour}"/>')
    parts.append(f'<rect x="{left + 10}" y="{top + 5}" width="12" height="12" fill="#d62728"/><text x="{left + 28}" y="{top + 15}">NAVCO 1.2 (Wilson 95%)</text>')
    parts.append(f'<rect x="{left + 10}" y="{top + 23}" width="12" height="12" fill="#1f77b4"/><text x="{left + 28}" y="{top + 33}">model: collapsed (Wilson 95%)</text>')
    parts.append("</svg>")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(path + ".tmp", path)


def main():
    runs = load()
    cs = campaigns(runs)
    rows = by_bins(cs)
    d = defection(cs)
    with open(os.path.join(HERE, "campaigns.csv.tmp"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)
    os.replace(os.path.join(HERE, "campaigns.csv.tmp"), os.path.join(HERE, "campaigns.csv"))
    svg(rows, os.path.join(HERE, "campaigns.svg"))
    outcomes = {}
    for r in runs:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    per_rep = {}
    for r in cs:
        k, n = per_rep.get(r["repertoire"], (0, 0))
        per_rep[r["repertoire"]] = (k + (r["outcome"] == "collapsed"), n + 1)
    lines = [
        "# Synthetic campaigns against NAVCO 1.2 (generated by campaigns.py; do not edit)",
        "",
        f"{len(runs)} runs of the synthetic anchor country under four repertoires; {len(cs)} had a",
        "protest (outcome other than `no_protest`) and count as campaigns. Outcomes over all runs: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) + ".",
        "",
        "## Success by peak participation share",
        "",
        "| bin | model n | model success [95%] | NAVCO n | NAVCO success [95%] | model inside NAVCO's interval |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ok = "-" if r["model_n"] == 0 else ("yes" if inside(r["model_success"], r["navco_lo"], r["navco_hi"]) else "**no**")
        lines.append(
            f"| {r['bin']} | {r['model_n']} | {fmt(r['model_success'])} [{fmt(r['model_lo'])}, {fmt(r['model_hi'])}] "
            f"| {r['navco_n']} | {fmt(r['navco_success'])} [{fmt(r['navco_lo'])}, {fmt(r['navco_hi'])}] | {ok} |"
        )
    lines += ["", "## Success with and without security-force defection", "",
              "| | model n | model success [95%] | NAVCO (nonviolent) n | NAVCO success |", "|---|---|---|---|---|"]
    for name in ("with", "without"):
        k, n = d[name]
        lo, hi = wilson(k, n)
        p, nn = NAVCO_DEFECTION[name]
        lines.append(f"| {name} defection | {n} | {fmt(k / n if n else float('nan'))} [{fmt(lo)}, {fmt(hi)}] | {nn} | {fmt(p)} |")
    lines += ["", "In the model a run \"has defection\" when any domestic officer defected; NAVCO codes",
              "defection of security forces during the campaign.", "", "## Success by repertoire", "",
              "| repertoire | campaigns | collapsed |", "|---|---|---|"]
    for rep in REPERTOIRES:
        k, n = per_rep.get(rep, (0, 0))
        lines.append(f"| {rep} | {n} | {fmt(k / n if n else float('nan'))} |")
    with open(os.path.join(HERE, "campaigns.md.tmp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(os.path.join(HERE, "campaigns.md.tmp"), os.path.join(HERE, "campaigns.md"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
