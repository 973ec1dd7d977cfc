#!/usr/bin/env python3
"""Docking analysis: compare two sets of per-seed civil-violence time series.

Pure Python 3 standard library (no numpy/scipy), so it runs in CI as is.

Each input file is a CSV with a header containing at least the columns
``step, quiet, active, jailed`` (``arrested`` is accepted for ``jailed``);
other columns are ignored. One file = one run (one seed). Mesa's files from
``validation/mesa/mesa_cv.py`` / ``validation/run_mesa.sh`` have this shape.

Usage:
    python3 validation/dock.py --a A_FILES... --b B_FILES... \
        [--a-name mesa] [--b-name unrest] [--burn-in 100] \
        [--outburst-threshold 50] [--json out.json] [--alpha 0.05]
    python3 validation/dock.py --selftest

Each --a/--b item may be a CSV file, a directory (searched recursively for
``timeseries.csv`` files, or for ``*.csv`` if it has none) or a glob pattern
(quote it so the shell does not expand it; unquoted also works).

What is compared (all after the burn-in, i.e. rows with step > burn_in):
  * active (pooled steps)   - every post-burn-in step of every run pooled. The
                              series are autocorrelated, so the KS p-value of
                              this row is anti-conservative (too small); read
                              it as descriptive only. Its mean CI is computed
                              from the per-run means (batch means), not from
                              the pooled steps.
  * per-run mean active, per-run mean jailed, per-run mean quiet,
    per-run peak active, per-run number of outbursts   - one value per run:
                              these are independent across seeds, so KS and
                              t-intervals are honest here.
  * outburst peak size, outburst duration, waiting time between outburst
    starts                  - pooled over all outbursts of all runs (events of
                              one run are only weakly dependent).
An outburst is a maximal run of consecutive post-burn-in steps with
active > threshold (strict). One already in progress at the burn-in boundary
or still going at the end of a run is counted (truncated). The waiting time
is the difference between consecutive outburst start steps in one run.

Statistics:
  * KS: two-sample Kolmogorov-Smirnov statistic D = sup |F_a - F_b| (ties
    handled by evaluating both ECDFs after each distinct value). Two-sided
    p-value:
      - "exact" when n_a*n_b <= --exact-limit (default 250000): the
        permutation null distribution of D, counted by lattice paths
        (Hodges 1958) with integer arithmetic. It assumes no ties; with
        tied (e.g. integer) data it is conservative.
      - otherwise "asymp": Kolmogorov's limiting distribution
        Q(lam) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lam^2), with Stephens'
        small-sample correction lam = (sqrt(ne) + 0.12 + 0.11/sqrt(ne)) * D,
        ne = n_a n_b / (n_a + n_b) (as in Numerical Recipes' kstwo). For
        small lam the equivalent theta-function form
        1 - sqrt(2 pi)/lam sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 lam^2)) is used.
  * mean with 95% CI: mean +- t(0.975, n-1) * s / sqrt(n), t from a table
    (exact to 3 decimals for df 1..30; linear interpolation in 1/df between
    40, 60, 80, 100, 120 and infinity = 1.960, error < 0.002).
  * diff: mean_b - mean_a with a Welch 95% CI (Welch-Satterthwaite df).
  A '*' after p marks p < alpha (no multiple-testing correction; with ~10
  rows expect a false alarm now and then).

Exit status: 0 after a comparison (whatever it finds); 2 for bad input (the
message names the file); --selftest exits 0 if all checks pass, else 1.
"""

import argparse
import glob
import json
import math
import os
import re
import sys
from fractions import Fraction

# ----------------------------------------------------------------- statistics


def ks_statistic(x, y):
    """Return (D, Dnum) where D = sup|F_x - F_y| and D = Dnum / (n*m) exactly."""
    xs = sorted(x)
    ys = sorted(y)
    n, m = len(xs), len(ys)
    if n == 0 or m == 0:
        raise ValueError("KS needs two non-empty samples")
    i = j = 0
    best = 0  # max |i*m - j*n| evaluated after each distinct value
    while i < n or j < m:
        if j >= m or (i < n and xs[i] <= ys[j]):
            v = xs[i]
        else:
            v = ys[j]
        while i < n and xs[i] == v:
            i += 1
        while j < m and ys[j] == v:
            j += 1
        diff = abs(i * m - j * n)
        if diff > best:
            best = diff
    return best / (n * m), best


def ks_exact_pvalue(n, m, dnum):
    """P(D >= dnum/(n*m)) under H0 (continuous data), by lattice-path counting.

    A path from (0,0) to (n,m) (i = #x taken, j = #y taken) stays 'inside'
    when |i*m - j*n| < dnum at every point; p = 1 - inside / C(n+m, n).
    """
    if dnum <= 0:
        return 1.0
    # row by row over i, keeping counts for j = 0..m
    prev = [0] * (m + 1)
    for i in range(n + 1):
        cur = [0] * (m + 1)
        for j in range(m + 1):
            if abs(i * m - j * n) >= dnum:
                cur[j] = 0
                continue
            if i == 0 and j == 0:
                cur[j] = 1
                continue
            c = 0
            if i > 0:
                c += prev[j]
            if j > 0:
                c += cur[j - 1]
            cur[j] = c
        prev = cur
    inside = prev[m]
    total = math.comb(n + m, n)
    p = Fraction(total - inside, total)
    return float(p)


def kolmogorov_q(lam):
    """Q_KS(lam) = P(K > lam) for the Kolmogorov distribution."""
    if lam <= 0:
        return 1.0
    if lam < 1.18:
        # theta-function form, converges fast for small lam
        s = 0.0
        for j in range(1, 100):
            t = math.exp(-((2 * j - 1) ** 2) * math.pi ** 2 / (8 * lam * lam))
            s += t
            if t < 1e-17 * max(s, 1e-300):
                break
        q = 1.0 - math.sqrt(2 * math.pi) / lam * s
    else:
        s = 0.0
        sign = 1.0
        for j in range(1, 101):
            t = math.exp(-2.0 * j * j * lam * lam)
            s += sign * t
            if t < 1e-17:
                break
            sign = -sign
        q = 2.0 * s
    return min(1.0, max(0.0, q))


def ks_asymp_pvalue(n, m, d):
    ne = n * m / (n + m)
    sq = math.sqrt(ne)
    lam = (sq + 0.12 + 0.11 / sq) * d
    return kolmogorov_q(lam)


def ks_2samp(x, y, exact_limit=250000):
    """Return dict(D, p, method)."""
    d, dnum = ks_statistic(x, y)
    n, m = len(x), len(y)
    if n * m <= exact_limit:
        p = ks_exact_pvalue(n, m, dnum)
        method = "exact"
    else:
        p = ks_asymp_pvalue(n, m, d)
        method = "asymp"
    return {"D": d, "p": p, "method": method}


# two-sided 95% Student t critical values t(0.975, df)
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
    8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145,
    15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
    21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056,
    27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
    80: 1.990, 100: 1.984, 120: 1.980,
}
_T_KNOTS = sorted(_T975)


def t975(df):
    """t(0.975, df) for real df >= 1 (table + interpolation in 1/df)."""
    if df < 1:
        df = 1
    if df in _T975:
        return _T975[df]
    if df <= 30 and float(df).is_integer():
        return _T975[int(df)]
    knots = [(1.0 / k, _T975[k]) for k in _T_KNOTS] + [(0.0, 1.960)]
    u = 1.0 / df
    for (u1, t1), (u2, t2) in zip(knots, knots[1:]):
        if u2 <= u <= u1:
            w = (u - u2) / (u1 - u2)
            return t2 + w * (t1 - t2)
    return 1.960


def mean_ci(values):
    """Return (mean, lo, hi, sd); CI is None when n < 2."""
    n = len(values)
    if n == 0:
        return (float("nan"), None, None, float("nan"))
    mu = sum(values) / n
    if n < 2:
        return (mu, None, None, float("nan"))
    var = sum((v - mu) ** 2 for v in values) / (n - 1)
    sd = math.sqrt(var)
    h = t975(n - 1) * sd / math.sqrt(n)
    return (mu, mu - h, mu + h, sd)


def welch_diff(a, b):
    """mean(b) - mean(a) with Welch 95% CI; (diff, lo, hi) or (diff, None, None)."""
    na, nb = len(a), len(b)
    if na == 0 or nb == 0:
        return (float("nan"), None, None)
    ma, mb = sum(a) / na, sum(b) / nb
    diff = mb - ma
    if na < 2 or nb < 2:
        return (diff, None, None)
    va = sum((v - ma) ** 2 for v in a) / (na - 1)
    vb = sum((v - mb) ** 2 for v in b) / (nb - 1)
    se2 = va / na + vb / nb
    if se2 == 0:
        return (diff, diff, diff)
    df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    h = t975(df) * math.sqrt(se2)
    return (diff, diff - h, diff + h)


# ----------------------------------------------------------------- input


class InputError(Exception):
    pass


def _natural_key(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def expand_inputs(items, label):
    files = []
    for it in items:
        if os.path.isdir(it):
            found = []
            for root, _dirs, names in os.walk(it):
                for nm in names:
                    if nm == "timeseries.csv":
                        found.append(os.path.join(root, nm))
            if not found:
                for root, _dirs, names in os.walk(it):
                    for nm in names:
                        if nm.endswith(".csv"):
                            found.append(os.path.join(root, nm))
            if not found:
                raise InputError(f"side {label}: directory '{it}' holds no CSV files")
            files.extend(sorted(found, key=_natural_key))
        elif os.path.isfile(it):
            files.append(it)
        elif any(ch in it for ch in "*?["):
            g = sorted(glob.glob(it, recursive=True), key=_natural_key)
            g = [p for p in g if os.path.isfile(p)]
            if not g:
                raise InputError(f"side {label}: pattern '{it}' matches no files")
            files.extend(g)
        else:
            raise InputError(f"side {label}: '{it}' does not exist")
    # drop duplicates, keep order
    seen = set()
    out = []
    for f in files:
        k = os.path.abspath(f)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


_ALIASES = {
    "step": ("step", "t", "tick"),
    "quiet": ("quiet",),
    "active": ("active", "actives"),
    "jailed": ("jailed", "arrested", "jail"),
}


def read_run(path):
    import csv

    try:
        fh = open(path, newline="")
    except OSError as e:
        raise InputError(f"cannot read '{path}': {e}")
    with fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"'{path}' is empty")
    header = [h.strip().lower() for h in rows[0]]
    idx = {}
    for key, names in _ALIASES.items():
        for nm in names:
            if nm in header:
                idx[key] = header.index(nm)
                break
        else:
            raise InputError(
                f"'{path}': missing column '{key}' (header: {','.join(rows[0])})"
            )
    data = []
    for ln, r in enumerate(rows[1:], start=2):
        try:
            rec = {}
            for key, i in idx.items():
                v = float(r[i])
                if not math.isfinite(v):
                    raise ValueError
                rec[key] = v
        except (ValueError, IndexError):
            raise InputError(f"'{path}' line {ln}: bad or missing number")
        data.append(rec)
    if not data:
        raise InputError(f"'{path}' has a header but no data rows")
    data.sort(key=lambda d: d["step"])
    steps = [d["step"] for d in data]
    if len(set(steps)) != len(steps):
        raise InputError(f"'{path}': repeated step values")
    return {
        "path": path,
        "step": steps,
        "quiet": [d["quiet"] for d in data],
        "active": [d["active"] for d in data],
        "jailed": [d["jailed"] for d in data],
    }


# ----------------------------------------------------------------- metrics


def outbursts(steps, active, threshold):
    """List of (start_step, end_step, peak, duration) of maximal runs active > threshold.

    Consecutive means consecutive rows (steps are expected to be 1 apart).
    """
    res = []
    cur = None
    for s, a in zip(steps, active):
        if a > threshold:
            if cur is None:
                cur = [s, s, a, 1]
            else:
                cur[1] = s
                cur[2] = max(cur[2], a)
                cur[3] += 1
        elif cur is not None:
            res.append(tuple(cur))
            cur = None
    if cur is not None:
        res.append(tuple(cur))
    return res


def run_metrics(run, burn_in, threshold):
    keep = [i for i, s in enumerate(run["step"]) if s > burn_in]
    if not keep:
        raise InputError(
            f"'{run['path']}': no rows after burn-in (last step {run['step'][-1]:g}, "
            f"burn-in {burn_in})"
        )
    st = [run["step"][i] for i in keep]
    ac = [run["active"][i] for i in keep]
    ja = [run["jailed"][i] for i in keep]
    qu = [run["quiet"][i] for i in keep]
    ob = outbursts(st, ac, threshold)
    starts = [o[0] for o in ob]
    return {
        "path": run["path"],
        "n_steps": len(st),
        "first_step": st[0],
        "last_step": st[-1],
        "active_series": ac,
        "mean_active": sum(ac) / len(ac),
        "mean_jailed": sum(ja) / len(ja),
        "mean_quiet": sum(qu) / len(qu),
        "peak_active": max(ac),
        "n_outbursts": len(ob),
        "outburst_peaks": [o[2] for o in ob],
        "outburst_durations": [o[3] for o in ob],
        "waiting_times": [b - a for a, b in zip(starts, starts[1:])],
    }


METRICS = [
    # key, label, how to gather the sample from per-run metrics
    ("active_pooled", "active (pooled steps; KS anti-conservative)", "pooled"),
    ("mean_active", "per-run mean active", "run"),
    ("mean_jailed", "per-run mean jailed", "run"),
    ("mean_quiet", "per-run mean quiet", "run"),
    ("peak_active", "per-run peak active", "run"),
    ("n_outbursts", "per-run number of outbursts", "run"),
    ("outburst_peaks", "outburst peak size (pooled events)", "events"),
    ("outburst_durations", "outburst duration, steps (pooled events)", "events"),
    ("waiting_times", "waiting time between outburst starts (pooled)", "events"),
]


def gather(side_metrics, key, kind):
    if kind == "pooled":
        out = []
        for r in side_metrics:
            out.extend(r["active_series"])
        return out
    if kind == "run":
        return [r[key] for r in side_metrics]
    out = []
    for r in side_metrics:
        out.extend(r[key])
    return out


def compare(a_runs, b_runs, exact_limit, alpha):
    rows = []
    for key, label, kind in METRICS:
        xa = gather(a_runs, key, kind)
        xb = gather(b_runs, key, kind)
        row = {"metric": key, "label": label, "n_a": len(xa), "n_b": len(xb)}
        if kind == "pooled":
            # honest CI for the mean: batch means (per-run means)
            ma = mean_ci([r["mean_active"] for r in a_runs])
            mb = mean_ci([r["mean_active"] for r in b_runs])
            ma = (sum(xa) / len(xa),) + ma[1:]
            mb = (sum(xb) / len(xb),) + mb[1:]
            dd = welch_diff([r["mean_active"] for r in a_runs],
                            [r["mean_active"] for r in b_runs])
            dd = (mb[0] - ma[0],) + dd[1:]
        else:
            ma = mean_ci(xa)
            mb = mean_ci(xb)
            dd = welch_diff(xa, xb)
        row.update({
            "mean_a": ma[0], "ci_a": [ma[1], ma[2]], "sd_a": ma[3],
            "mean_b": mb[0], "ci_b": [mb[1], mb[2]], "sd_b": mb[3],
            "diff_b_minus_a": dd[0], "diff_ci": [dd[1], dd[2]],
        })
        if xa and xb:
            ks = ks_2samp(xa, xb, exact_limit)
            row.update({"ks_D": ks["D"], "ks_p": ks["p"], "ks_method": ks["method"],
                        "reject": ks["p"] < alpha})
        else:
            row.update({"ks_D": None, "ks_p": None, "ks_method": "n/a", "reject": None})
        rows.append(row)
    return rows


# ----------------------------------------------------------------- output


def _f(v, nd=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{nd}f}"


def _mci(m, ci):
    if ci[0] is None:
        return f"{_f(m)}"
    return f"{_f(m)} [{_f(ci[0])}, {_f(ci[1])}]"


def _p(p):
    if p is None:
        return "–"
    if p < 1e-4:
        return f"{p:.1e}"
    return f"{p:.4f}"


def markdown(rows, name_a, name_b, alpha, info):
    out = []
    out.append(f"Docking: A = {name_a} ({info['runs_a']} runs), "
               f"B = {name_b} ({info['runs_b']} runs); burn-in {info['burn_in']:g} steps, "
               f"outburst = active > {info['threshold']:g}")
    out.append("")
    out.append(f"| metric | n A | n B | mean A [95% CI] | mean B [95% CI] | "
               f"B − A [95% CI] | KS D | KS p | p method |")
    out.append("|---|---:|---:|---|---|---|---:|---:|---|")
    for r in rows:
        star = " *" if r["reject"] else ""
        out.append(
            f"| {r['label']} | {r['n_a']} | {r['n_b']} | {_mci(r['mean_a'], r['ci_a'])} | "
            f"{_mci(r['mean_b'], r['ci_b'])} | {_mci(r['diff_b_minus_a'], r['diff_ci'])} | "
            f"{_f(r['ks_D'], 3)} | {_p(r['ks_p'])}{star} | {r['ks_method']} |"
        )
    out.append("")
    out.append(f"`*` = KS p < {alpha:g}. The pooled-steps row is descriptive only "
               f"(autocorrelated series); its CI uses per-run means.")
    for w in info["warnings"]:
        out.append(f"WARNING: {w}")
    return "\n".join(out)


# ----------------------------------------------------------------- self-test


def selftest():
    fails = []

    def check(name, got, want, tol=1e-9):
        ok = abs(got - want) <= tol
        print(f"{'ok  ' if ok else 'FAIL'} {name}: got {got!r}, want {want!r} (tol {tol})")
        if not ok:
            fails.append(name)

    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    r = ks_2samp(x, list(x))
    check("identical samples D", r["D"], 0.0)
    check("identical samples p", r["p"], 1.0)
    r = ks_2samp(x, [6.0, 7.0, 8.0, 9.0, 10.0])
    check("disjoint samples D", r["D"], 1.0)
    # exact: only the 2 fully separated orderings of C(10,5)=252 reach D=1
    check("disjoint samples exact p = 2/252", r["p"], 2 / 252, 1e-12)
    # hand case: x={1,2,3,4}, y={3,4,5,6,7}; ECDF gap after 2: 2/4-0=0.5,
    # after 3: 3/4-1/5=0.55, after 4: 1-2/5=0.6 -> D=0.6
    d, dnum = ks_statistic([1, 2, 3, 4], [3, 4, 5, 6, 7])
    check("hand case D", d, 0.6)
    check("hand case D numerator (|i*m-j*n|)", dnum, 12)
    # exact p for n=4, m=5, D=0.6 by brute force over all C(9,4)=126 splits
    from itertools import combinations
    pool = list(range(9))
    cnt = 0
    for comb in combinations(pool, 4):
        xx = [float(v) for v in comb]
        yy = [float(v) for v in pool if v not in comb]
        if ks_statistic(xx, yy)[1] >= 12:
            cnt += 1
    check("hand case exact p = brute-force permutation p", ks_exact_pvalue(4, 5, 12),
          cnt / 126, 1e-12)
    # ties: D evaluated after each distinct value
    d, _ = ks_statistic([1, 1, 2, 2], [1, 2, 2, 2])
    check("ties D = |2/4 - 1/4|", d, 0.25)
    # Kolmogorov limiting distribution (reference values of P(K > lam))
    check("Q_KS(0.5)", kolmogorov_q(0.5), 0.9639452436648751, 1e-9)
    check("Q_KS(1.0)", kolmogorov_q(1.0), 0.26999967167735456, 1e-9)
    check("Q_KS(1.3580986)", kolmogorov_q(1.3580986393225505), 0.05, 1e-7)
    check("Q_KS(1.17) vs (1.19) both forms continuous",
          kolmogorov_q(1.17999) - kolmogorov_q(1.18001), 0.0, 1e-4)
    # both Q forms agree where both converge
    lam = 1.0
    s = sum((-1) ** (j - 1) * math.exp(-2 * j * j * lam * lam) for j in range(1, 50))
    check("Q_KS series forms agree at 1.0", kolmogorov_q(1.0), 2 * s, 1e-12)
    # asymptotic vs exact should roughly agree for moderate n
    xa = [i / 40 for i in range(40)]
    xb = [i / 40 + 0.16 for i in range(40)]
    ra = ks_2samp(xa, xb, exact_limit=0)
    rb = ks_2samp(xa, xb)
    # exact (= scipy's method='exact') 0.5786; asymptotic forms are ~0.05 lower
    check("exact p (n=m=40, D=0.175) = 0.5786001416508443", rb["p"], 0.5786001416508443, 1e-12)
    check("asymp ~ exact p (n=m=40, D=0.175)", ra["p"], rb["p"], 0.06)
    check("t975(10)", t975(10), 2.228, 1e-12)
    check("t975(1e9) -> normal", t975(1e9), 1.960, 1e-3)
    check("t975(50) interpolated ~ 2.009", t975(50), 2.009, 0.003)
    m, lo, hi, _ = mean_ci([1.0, 2.0, 3.0])
    check("mean_ci mean", m, 2.0)
    check("mean_ci half-width = 4.303*1/sqrt(3)", hi - m, 4.303 / math.sqrt(3), 1e-12)
    ob = outbursts([1, 2, 3, 4, 5, 6, 7], [60, 70, 10, 51, 50, 80, 90], 50)
    check("outbursts count (strict >)", len(ob), 3)
    check("outburst peaks", sum(o[2] for o in ob), 70 + 51 + 90)
    check("outburst 1 duration", ob[0][3], 2)
    print("selftest:", "PASS" if not fails else f"FAIL ({len(fails)}): {', '.join(fails)}")
    return 0 if not fails else 1


# ----------------------------------------------------------------- main


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Docking analysis of two sets of per-seed time-series CSVs "
        "(columns step,quiet,active,jailed). Pure standard library.",
        epilog="See the module docstring (head of this file) for the statistics used.",
    )
    p.add_argument("--a", nargs="+", metavar="FILE", help="side A: CSV files, dirs or globs")
    p.add_argument("--b", nargs="+", metavar="FILE", help="side B: CSV files, dirs or globs")
    p.add_argument("--a-name", default="A")
    p.add_argument("--b-name", default="B")
    p.add_argument("--burn-in", type=float, default=100,
                   help="drop rows with step <= this (default 100)")
    p.add_argument("--outburst-threshold", type=float, default=50,
                   help="outburst = consecutive steps with active > this (default 50)")
    p.add_argument("--alpha", type=float, default=0.05, help="flag KS p below this")
    p.add_argument("--exact-limit", type=int, default=250000,
                   help="use the exact KS p-value when n_a*n_b <= this (default 250000)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--selftest", action="store_true", help="check the statistics and exit")
    a = p.parse_args(argv)

    if a.selftest:
        return selftest()
    if not a.a or not a.b:
        p.print_usage(sys.stderr)
        print("dock.py: both --a and --b are required (or --selftest)", file=sys.stderr)
        return 2
    try:
        fa = expand_inputs(a.a, a.a_name)
        fb = expand_inputs(a.b, a.b_name)
        ra = [run_metrics(read_run(f), a.burn_in, a.outburst_threshold) for f in fa]
        rb = [run_metrics(read_run(f), a.burn_in, a.outburst_threshold) for f in fb]
    except InputError as e:
        print(f"dock.py: error: {e}", file=sys.stderr)
        return 2

    warnings = []
    la = sorted({r["n_steps"] for r in ra})
    lb = sorted({r["n_steps"] for r in rb})
    if la != lb or len(la) > 1:
        warnings.append(
            f"post-burn-in run lengths differ (A: {la}, B: {lb}); counts of outbursts "
            f"and peaks depend on run length"
        )
    if len(ra) < 5 or len(rb) < 5:
        warnings.append("fewer than 5 runs on a side: per-run tests have little power")

    rows = compare(ra, rb, a.exact_limit, a.alpha)
    info = {"runs_a": len(ra), "runs_b": len(rb), "burn_in": a.burn_in,
            "threshold": a.outburst_threshold, "warnings": warnings}
    print(markdown(rows, a.a_name, a.b_name, a.alpha, info))

    if a.json:
        def strip(r):
            return {k: v for k, v in r.items() if k != "active_series"}
        doc = {
            "a_name": a.a_name, "b_name": a.b_name, "burn_in": a.burn_in,
            "outburst_threshold": a.outburst_threshold, "alpha": a.alpha,
            "files_a": fa, "files_b": fb, "warnings": warnings,
            "comparisons": rows,
            "runs_a": [strip(r) for r in ra], "runs_b": [strip(r) for r in rb],
        }
        try:
            with open(a.json, "w") as fh:
                json.dump(doc, fh, indent=1)
                fh.write("\n")
        except OSError as e:
            print(f"dock.py: error: cannot write '{a.json}': {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
