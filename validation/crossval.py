#!/usr/bin/env python3
"""Score the shared model's outcome forecasts out of sample, against three baselines.

    python3 validation/crossval.py [--bin target/release/unrest] [--seeds 10]

The question each forecast answers: will the ruler fall (`fell` in
data/episodes/index.yaml)? The model's forecast for an episode is the share
of its runs that end `collapsed` (`unrest validate FILE --seeds N --json`,
the committed model, nothing tuned here). Episodes: the 17 converted files
(data/episodes/scenarios/) and the three built-ins, split by
data/episodes/split.yaml (the built-ins are training: they were fitted).

Baselines, each fitted on the training episodes only and scored on the same
held-out episodes:
  1. constant: the training set's share of rulers who fell;
  2. NAVCO base rate: the success rate (SUCCESS = 1) of NAVCO 1.2's campaigns
     of the episode's type (nonviolent or violent, aimed at regime change)
     that ended before the episode's trigger year; episodes NAVCO does not
     list count as nonviolent (all of ours began unarmed);
  3. logistic regression on pre-event features (log population, police per
     100k, opposition share, poverty rate, internet users; missing values
     set to the training mean), ridge-penalised (λ = 1 on standardised
     features: 13 episodes cannot carry six free coefficients), fitted by
     Newton's method.
The baselines are also scored by leave-one-out over all 20 episodes (they
are cheap to refit). The model is not: refitting it without each fold takes
hours (validation/model-fit/README.md), so it is scored on the fixed
held-out split only, and on the training set for reference (in-sample).

Scores: accuracy (forecast ≥ 0.5 means "falls"), Brier score (mean squared
error of the probability) and log score (mean log-likelihood, probabilities
clipped to [0.02, 0.98] so one confident miss is finite). Writes
validation/crossval.md (the tables) and validation/crossval.csv (per episode).
"""
import argparse
import csv
import json
import math
import os
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EP = os.path.join(ROOT, "data", "episodes")
BUILTINS = {"KAZ-2022": "kazakhstan-2022", "BLR-2020": "belarus-2020", "UKR-2013": "euromaidan-2014"}
# Pre-event features of the built-ins (data/episodes/builtin-inputs.yaml keeps their sources).
FEATURES = ["log_population", "police_per_100k", "opposition_share", "poverty_rate", "internet_users"]


def value(x):
    return x.get("value") if isinstance(x, dict) else x


def episode_features(d):
    i = d.get("inputs", {})
    pop = value(i.get("population"))
    h = i.get("hardship", {}) or {}
    return {
        "log_population": math.log10(pop) if pop else None,
        "police_per_100k": value(i.get("police_per_100k")),
        "opposition_share": value(i.get("opposition_share")),
        "poverty_rate": value(h.get("poverty_rate")),
        "internet_users": value(i.get("internet_users")),
    }


def builtin_features(i, d, name):
    """A built-in's features: population, police and opposition share from its
    scenario file; poverty and internet use from builtin-inputs.yaml."""
    import tomllib
    sc = tomllib.load(open(os.path.join(ROOT, "crates", "unrest-scenario", "scenarios", f"{name}.toml"), "rb"))
    pop = sum(r["population"] for r in sc["regions"])
    opp = next((c["share"] for c in sc["constituencies"] if c["name"] == "opposition"), None)
    year = int(sc["calendar"]["start"][:4])
    return {
        "log_population": math.log10(pop),
        "police_per_100k": sc["police"]["per_100k"],
        "opposition_share": opp,
        "poverty_rate": value(d.get("poverty_rate")),
        "internet_users": value(d.get("internet_users")),
    }, year


def navco_rates(path):
    """(nonviolent?, end year, success) of NAVCO 1.2's regime-change campaigns."""
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            try:
                if float(r["REGCHANGE"] or 0) != 1:
                    continue
                rows.append((float(r["NONVIOL"] or 0) == 1, float(r["EYEAR"]), float(r["SUCCESS"] or 0) == 1))
            except ValueError:
                continue
    return rows


def nonviolent_of(navcoid, path):
    if navcoid is None:
        return True
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["NAVCOID"] and float(r["NAVCOID"]) == float(navcoid):
                return float(r["NONVIOL"] or 0) == 1
    return True


def logistic_fit(X, y, lam=1.0, iters=50):
    """Ridge logistic regression by Newton's method (intercept unpenalised)."""
    n, k = len(X), len(X[0])
    w = [0.0] * (k + 1)
    for _ in range(iters):
        g = [0.0] * (k + 1)
        H = [[0.0] * (k + 1) for _ in range(k + 1)]
        for xi, yi in zip(X, y):
            z = [1.0] + xi
            p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(w, z))))
            for a in range(k + 1):
                g[a] += (p - yi) * z[a]
                for b in range(k + 1):
                    H[a][b] += p * (1 - p) * z[a] * z[b]
        for a in range(1, k + 1):
            g[a] += lam * w[a]
            H[a][a] += lam
        step = solve(H, g)
        w = [a - b for a, b in zip(w, step)]
    return w


def solve(A, b):
    n = len(b)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[c][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] if M[i][i] else 0.0 for i in range(n)]


def logistic_forecasts(train, test):
    means = {f: sum(e["x"][f] for e in train if e["x"][f] is not None) / max(1, sum(e["x"][f] is not None for e in train)) for f in FEATURES}
    filled = lambda e: [e["x"][f] if e["x"][f] is not None else means[f] for f in FEATURES]
    Xt = [filled(e) for e in train]
    sd = [max(1e-9, math.sqrt(sum((x[j] - sum(r[j] for r in Xt) / len(Xt)) ** 2 for x in Xt) / len(Xt))) for j in range(len(FEATURES))]
    mu = [sum(r[j] for r in Xt) / len(Xt) for j in range(len(FEATURES))]
    z = lambda x: [(x[j] - mu[j]) / sd[j] for j in range(len(FEATURES))]
    w = logistic_fit([z(x) for x in Xt], [e["fell"] for e in train])
    out = []
    for e in test:
        s = w[0] + sum(a * b for a, b in zip(w[1:], z(filled(e))))
        out.append(1 / (1 + math.exp(-s)))
    return out


def scores(probs, ys):
    clip = lambda p: min(0.98, max(0.02, p))
    n = len(ys)
    acc = sum((p >= 0.5) == bool(y) for p, y in zip(probs, ys)) / n
    brier = sum((p - y) ** 2 for p, y in zip(probs, ys)) / n
    logs = sum(math.log(clip(p)) if y else math.log(1 - clip(p)) for p, y in zip(probs, ys)) / n
    return acc, brier, logs


def model_forecast(binary, target, seeds):
    out = subprocess.run([binary, "validate", target, "--seeds", str(seeds), "--json"], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"unrest validate {target} failed: {out.stderr}")
    res = json.loads(out.stdout)
    outcomes = [o.split()[0] for o in res["outcomes"]]
    return sum(o == "collapsed" for o in outcomes) / len(outcomes), outcomes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "unrest"))
    ap.add_argument("--seeds", type=int, default=10)
    a = ap.parse_args()
    index = yaml.safe_load(open(os.path.join(EP, "index.yaml")))["episodes"]
    split = yaml.safe_load(open(os.path.join(EP, "split.yaml")))
    builtin_inputs = yaml.safe_load(open(os.path.join(EP, "builtin-inputs.yaml")))
    navco = os.path.join(ROOT, "data", "navco", "navco-1.2.tab")
    rates = navco_rates(navco)
    eps = []
    for item in index:
        i = item["id"]
        if i in BUILTINS:
            target, navcoid, part = BUILTINS[i], None, "training"
            x, year = builtin_features(i, builtin_inputs.get(i, {}), target)
        else:
            d = yaml.safe_load(open(os.path.join(EP, item["file"])))
            target = os.path.join(EP, "scenarios", f"{i}.toml")
            year = int(str(d["inputs"]["trigger"]["date"])[:4])
            navcoid = (d.get("navco") or {}).get("navcoid")
            x = episode_features(d)
            part = split[i]
        eps.append({"id": i, "target": target, "year": year, "fell": 1 if item["fell"] else 0, "x": x, "part": part,
                    "nonviolent": nonviolent_of(navcoid, navco)})
    for e in eps:
        e["model"], e["outcomes"] = model_forecast(a.bin, e["target"], a.seeds)

    def navco_rate(e):
        same = [s for nv, y, s in rates if nv == e["nonviolent"] and y < e["year"]]
        return sum(same) / len(same)

    def baselines(train, test):
        const = sum(e["fell"] for e in train) / len(train)
        return {
            "constant": [const] * len(test),
            "navco_base_rate": [navco_rate(e) for e in test],
            "logistic": logistic_forecasts(train, test),
        }

    train = [e for e in eps if e["part"] == "training"]
    held = [e for e in eps if e["part"] == "heldout"]
    ys = [e["fell"] for e in held]
    table = {"model": scores([e["model"] for e in held], ys)}
    for k, p in baselines(train, held).items():
        table[k] = scores(p, ys)
    loo = {k: [] for k in ["constant", "navco_base_rate", "logistic"]}
    for j, e in enumerate(eps):
        rest = eps[:j] + eps[j + 1:]
        for k, p in baselines(rest, [e]).items():
            loo[k].append(p[0])
    loo_table = {k: scores(v, [e["fell"] for e in eps]) for k, v in loo.items()}
    in_sample = scores([e["model"] for e in train], [e["fell"] for e in train])
    base_held = baselines(train, held)

    with open(os.path.join(ROOT, "validation", "crossval.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "part", "fell", "model_p_fell", "outcomes", "constant", "navco_base_rate", "logistic"])
        for e in eps:
            b = {k: v[held.index(e)] for k, v in base_held.items()} if e in held else {}
            w.writerow([e["id"], e["part"], e["fell"], f"{e['model']:.3f}", " ".join(e["outcomes"]),
                        *(f"{b[k]:.3f}" if b else "" for k in ["constant", "navco_base_rate", "logistic"])])
    lines = [
        "# Out-of-sample outcome forecasts: the model against three baselines",
        "",
        f"Made by `python3 validation/crossval.py --seeds {a.seeds}` (method in its docstring) with the",
        "committed model. Forecast: P(the ruler falls); the model's is its share of runs ending",
        "`collapsed`. Per episode: `validation/crossval.csv`.",
        "",
        f"## Held out ({len(held)} episodes, never used in fitting; {sum(ys)} rulers fell)",
        "",
        "| forecast | accuracy | Brier (lower is better) | log score (higher is better) |",
        "|---|---|---|---|",
    ]
    for k, (acc, br, ls) in table.items():
        lines.append(f"| {k} | {acc:.2f} | {br:.3f} | {ls:.3f} |")
    beaten = [k for k in ["constant", "navco_base_rate", "logistic"]
              if table["model"][1] < table[k][1] and table["model"][2] > table[k][2]]
    lines += [
        "",
        f"The model beats {len(beaten)} of the 3 baselines on both Brier and log score"
        + (f" ({', '.join(beaten)})." if beaten else "."),
        "",
        f"## Training set, in sample ({len(train)} episodes, the model was fitted to them)",
        "",
        f"Model: accuracy {in_sample[0]:.2f}, Brier {in_sample[1]:.3f}, log score {in_sample[2]:.3f}.",
        "",
        f"## Baselines by leave-one-out over all {len(eps)} episodes",
        "",
        "| forecast | accuracy | Brier | log score |",
        "|---|---|---|---|",
    ]
    for k, (acc, br, ls) in loo_table.items():
        lines.append(f"| {k} | {acc:.2f} | {br:.3f} | {ls:.3f} |")
    lines += [
        "",
        "The model is not refitted per fold (hours per fit on two cores); a K-fold of the",
        "calibration is the next step (`unrest calibrate --plan` with the fold's episodes).",
        "",
    ]
    open(os.path.join(ROOT, "validation", "crossval.md"), "w").write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
