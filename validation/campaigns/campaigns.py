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

each with Wilson 95% intervals on both sides, and tests whether the peak
crowd sizes (in people) follow a power law or a lognormal (Clauset, Shalizi
& Newman 2009: MLE above the KS-optimal x_min, Vuong's likelihood-ratio
test). Writes campaigns.md (tables and
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


# ---- the heavy tail: power law against lognormal (Clauset, Shalizi & Newman 2009) ----


def _powerlaw_fit(tail, xmin):
    """MLE of the continuous power law above xmin: alpha = 1 + n / sum ln(x/xmin)."""
    s = sum(math.log(x / xmin) for x in tail)
    return 1.0 + len(tail) / s if s > 0 else float("inf")


def _ks_powerlaw(tail, xmin, alpha):
    """Kolmogorov-Smirnov distance between the tail's empirical CDF and the fit."""
    n = len(tail)
    d = 0.0
    for i, x in enumerate(tail):
        f = 1.0 - (x / xmin) ** (1.0 - alpha)
        d = max(d, abs(f - i / n), abs(f - (i + 1) / n))
    return d


def powerlaw(xs, min_tail=50, candidates=200):
    """CSN's fit: for each candidate xmin (quantiles of the data), the MLE alpha
    of the tail above it; keep the xmin whose fit is closest in KS distance."""
    xs = sorted(x for x in xs if x > 0)
    uniq = sorted(set(xs[: max(0, len(xs) - min_tail)]))
    if not uniq:
        return None
    step = max(1, len(uniq) // candidates)
    best = None
    for xmin in uniq[::step]:
        tail = [x for x in xs if x >= xmin]
        a = _powerlaw_fit(tail, xmin)
        if not math.isfinite(a):
            continue
        d = _ks_powerlaw(tail, xmin, a)
        if best is None or d < best[2]:
            best = (xmin, a, d, len(tail))
    return best


def powerlaw_gof(xs, fit, boots=50, seed=12):
    """CSN's goodness of fit: the share of synthetic data sets (the body
    resampled from the data below x_min, the tail drawn from the fitted power
    law, in the data's proportions), refitted the same way, whose KS distance
    is at least the data's. p >= 0.1: the power law is plausible."""
    import random
    rng = random.Random(seed)
    xmin, alpha, ks, n_tail = fit
    xs = sorted(x for x in xs if x > 0)
    body = [x for x in xs if x < xmin]
    n = len(xs)
    worse = 0
    for _ in range(boots):
        synth = []
        for _ in range(n):
            if not body or rng.random() < n_tail / n:
                synth.append(xmin * (1.0 - rng.random()) ** (-1.0 / (alpha - 1.0)))
            else:
                synth.append(rng.choice(body))
        f = powerlaw(synth, candidates=60)
        if f is not None and f[2] >= ks:
            worse += 1
    return worse / boots


def _norm_cdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _lognormal_loglik(tail, xmin, mu, sigma):
    """Per-point log densities of the lognormal truncated below at xmin."""
    if sigma <= 0:
        return None
    surv = 1.0 - _norm_cdf((math.log(xmin) - mu) / sigma)
    if surv <= 1e-300:
        return None
    c = -math.log(sigma * math.sqrt(2 * math.pi)) - math.log(surv)
    return [c - math.log(x) - (math.log(x) - mu) ** 2 / (2 * sigma * sigma) for x in tail]


def _nelder_mead(f, x0, step, iters=400):
    """Minimise f over R^2 (the truncated lognormal's mu, sigma)."""
    pts = [list(x0), [x0[0] + step[0], x0[1]], [x0[0], x0[1] + step[1]]]
    vals = [f(p) for p in pts]
    for _ in range(iters):
        order = sorted(range(3), key=lambda i: vals[i])
        pts, vals = [pts[i] for i in order], [vals[i] for i in order]
        c = [(pts[0][k] + pts[1][k]) / 2 for k in range(2)]
        r = [c[k] + (c[k] - pts[2][k]) for k in range(2)]
        fr = f(r)
        if fr < vals[0]:
            e = [c[k] + 2 * (c[k] - pts[2][k]) for k in range(2)]
            fe = f(e)
            pts[2], vals[2] = (e, fe) if fe < fr else (r, fr)
        elif fr < vals[1]:
            pts[2], vals[2] = r, fr
        else:
            k_ = [c[k] + 0.5 * (pts[2][k] - c[k]) for k in range(2)]
            fk = f(k_)
            if fk < vals[2]:
                pts[2], vals[2] = k_, fk
            else:
                for i in (1, 2):
                    pts[i] = [pts[0][k] + 0.5 * (pts[i][k] - pts[0][k]) for k in range(2)]
                    vals[i] = f(pts[i])
    i = min(range(3), key=lambda i: vals[i])
    return pts[i], vals[i]


def heavy_tail(xs):
    """Power law vs lognormal above the power law's xmin: both fitted by
    maximum likelihood, compared by Vuong's normalised log-likelihood ratio
    R/(sigma sqrt n) with its two-sided p (CSN 2009, section 5). R > 0 with
    small p favours the power law, R < 0 the lognormal; a large p decides
    nothing."""
    pl = powerlaw(xs)
    if pl is None:
        return None
    xmin, alpha, ks, n = pl
    tail = sorted(x for x in xs if x >= xmin)
    logs = [math.log(x) for x in tail]
    m0 = sum(logs) / n
    s0 = math.sqrt(sum((v - m0) ** 2 for v in logs) / n) or 1.0

    def nll(p):
        ll = _lognormal_loglik(tail, xmin, p[0], p[1])
        return float("inf") if ll is None else -sum(ll)

    (mu, sigma), _ = _nelder_mead(nll, (m0, s0), (0.5 * s0, 0.3 * s0))
    ll_ln = _lognormal_loglik(tail, xmin, mu, sigma)
    ll_pl = [math.log((alpha - 1) / xmin) - alpha * math.log(x / xmin) for x in tail]
    diff = [a - b for a, b in zip(ll_pl, ll_ln)]
    r = sum(diff)
    mean = r / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diff) / n)
    z = r / (sd * math.sqrt(n)) if sd > 0 else 0.0
    p = math.erfc(abs(z) / math.sqrt(2.0))
    return {"xmin": xmin, "alpha": alpha, "ks": ks, "n_tail": n, "n": len(xs),
            "mu": mu, "sigma": sigma, "R": r, "z": z, "p": p,
            "gof_p": powerlaw_gof(xs, pl)}


def peak_people(r):
    """A run's peak crowd in people: its peak active share of its population."""
    pop = float(r.get("regions.Capital.population") or 400000) + float(r.get("regions.Province.population") or 400000)
    return float(r["peak_active_share"]) * pop


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
    ht = heavy_tail([peak_people(r) for r in cs])
    lines += ["", "## Peak crowd sizes: power law or lognormal?", ""]
    if ht is None:
        lines.append("Too few campaigns to fit a tail.")
    else:
        plausible = "plausible" if ht["gof_p"] >= 0.1 else "ruled out"
        lr = ("the likelihood ratio favours neither (p ≥ 0.1)" if ht["p"] >= 0.1 else
              ("the likelihood ratio favours the power law" if ht["z"] > 0 else
               "the likelihood ratio favours the lognormal"))
        verdict = (f"the power law is {plausible} (goodness-of-fit p = {ht['gof_p']:.2f}, 50 "
                   f"semi-parametric bootstraps; p ≥ 0.1 is plausible) and {lr}")
        lines += [
            "Peak crowds in people (peak active share × population) of the campaigns, fitted as Clauset,",
            "Shalizi & Newman (2009) do: a continuous power law above the x_min that minimises the",
            "Kolmogorov-Smirnov distance, and a lognormal truncated at the same x_min, both by maximum",
            "likelihood, compared by Vuong's normalised log-likelihood ratio.",
            "",
            "| campaigns | tail above x_min | x_min (people) | alpha | KS | lognormal mu, sigma (of ln people) | LR R | normalised z | p |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {ht['n']} | {ht['n_tail']} | {ht['xmin']:,.0f} | {ht['alpha']:.2f} | {ht['ks']:.3f} | "
            f"{ht['mu']:.2f}, {ht['sigma']:.2f} | {ht['R']:.1f} | {ht['z']:.2f} | {ht['p']:.3g} |",
            "",
            f"Verdict: {verdict}. A lognormal with a low mu and a wide sigma is close to a power law",
            "over a finite range, so a likelihood ratio of a few units on thousands of campaigns says",
            "little; the goodness-of-fit test is the one that can rule the power law out. The countries",
            "here are 0.2-4 million people, so the largest crowds are bounded by the population.",
        ]
    with open(os.path.join(HERE, "campaigns.md.tmp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(os.path.join(HERE, "campaigns.md.tmp"), os.path.join(HERE, "campaigns.md"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
