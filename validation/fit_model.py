#!/usr/bin/env python3
"""Fit the shared model (crates/unrest-scenario/models/script.toml) to the
built-in episodes jointly, by a seeded random search over a documented box.

Method (docs/episodes.md, "One model"): draw N parameter sets from a
scrambled-free Latin hypercube over the box below (uniform, or log-uniform
where marked), fixed seed; score each set by running `unrest validate EPISODE
--seeds S --json --set ...` for every episode and averaging, over all the
episodes' criteria, the share of runs that meet each criterion (1 = every
criterion met in every run). The criteria are the record's facts (onset,
spread, peak date and size, killed, detained, outcome and its date), so the
score is the fraction of facts reproduced. Rows are appended to a CSV as they
finish: a killed search resumes where it stopped. `--write-model` writes the
best set into the model file (every value it changes, nothing else).

The upper end of the legitimacy span is below T − the Sunday drop (0.1 −
0.01): with approval 0 the most aggrieved citizen's grievance is λ, so every
set in the box leaves a country quiet until a dated input moves it (a
country in revolt before its trigger is not the script).

A second stage (`--refine K`) draws new sets around the K best so far, as one
step of sequential Monte Carlo: pick one of the K uniformly, perturb every
coordinate (log coordinates where marked) by a normal kernel of half the K
sets' spread, clip to the box. Its draws are numbered after the first stage's
and seeded by their number, so a resumed refinement draws the same sets.

Two target sets (`--episodes`): `builtin`, the three built-in episodes; and
`training`, those plus the training episodes of data/episodes/split.yaml (the
converted files in data/episodes/scenarios/) — the held-out episodes are never
scored here. Both add the two NAVCO anchors (validation/model-fit/anchor.toml).
`--from CSV` starts a refinement on another target set from that log's best.

Usage (the fit as committed; validation/model-fit/README.md):
  python3 validation/fit_model.py --draws 40 --seeds 2 --out validation/model-fit/search.csv
  python3 validation/fit_model.py --episodes training --refine 6 --draws 30 --seeds 1 \
      --from validation/model-fit/search.csv --out validation/model-fit/joint.csv
  python3 validation/fit_model.py --episodes training --out validation/model-fit/joint.csv --write-model
"""
import argparse, csv, json, math, os, random, re, subprocess, sys, tempfile

EPISODES = ["kazakhstan-2022", "belarus-2020", "euromaidan-2014"]

# The NAVCO anchors (validation/model-fit/anchor.toml): the synthetic country
# with a narrow opposition must not collapse, with a broad one it must — the
# participation gradient of NAVCO 1.2 (10% success below 0.01% of the
# population, 89% at 3.5% or more; data/navco/README.md). Each is one fact.
ANCHOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model-fit", "anchor.toml")
ANCHORS = {
    "anchor-narrow": (0.02, "no_protest|suppressed|conceded|ongoing", "a 2% opposition does not topple the regime"),
    "anchor-broad": (0.6, "collapsed", "a 60% opposition topples it"),
}

# (key as `--set` takes it, low, high, log-uniform?)
BOX = [
    ("rules.legitimacy_span", 0.05, 0.089, False),
    ("rules.fraud_shock", -0.06, -0.01, False),
    ("rules.live_fire_lethality", 0.005, 0.1, True),
    ("rules.mass_detention_factor", 3.0, 100.0, True),
    ("police.arrests_per_day", 0.0005, 0.02, True),
    ("information.contagion", 2.0, 20.0, False),
    ("information.max_threshold_drop", 0.005, 0.04, False),
    ("information.safety_in_numbers", 10.0, 500.0, True),
    ("legitimacy.killed_weight", 1e-4, 1e-2, True),
    ("deterrence.lethal_fear", 1.0, 20.0, True),
    ("loyalty.crowd_per_officer", 2.0, 30.0, True),
    ("loyalty.defection_rate", 0.01, 1.0, True),
    ("loyalty.firing_shock", 0.1, 50.0, True),
    ("loyalty.collapse_share", 0.2, 0.6, False),
]


def lhs(n, seed):
    """Latin hypercube: per dimension, one draw in each of n strata, shuffled."""
    rng = random.Random(seed)
    cols = []
    for _ in BOX:
        perm = list(range(n))
        rng.shuffle(perm)
        cols.append([(p + rng.random()) / n for p in perm])
    rows = []
    for i in range(n):
        row = {}
        for d, (key, lo, hi, log) in enumerate(BOX):
            u = cols[d][i]
            row[key] = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)
        rows.append(row)
    return rows


def to_unit(key, v):
    lo, hi, log = next((b[1], b[2], b[3]) for b in BOX if b[0] == key)
    return (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) if log else (v - lo) / (hi - lo)


def from_unit(key, u):
    lo, hi, log = next((b[1], b[2], b[3]) for b in BOX if b[0] == key)
    u = min(1.0, max(0.0, u))
    return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)


def refine(rows, k, n, seed):
    """n sets drawn around the k best rows (one SMC-like step; see the module doc)."""
    rng = random.Random(seed)
    best = sorted(rows, key=lambda r: -float(r["score"]))[:k]
    keys = [b[0] for b in BOX]
    units = [[to_unit(key, float(r[key])) for key in keys] for r in best]
    spread = []
    for d in range(len(keys)):
        xs = [u[d] for u in units]
        m = sum(xs) / len(xs)
        spread.append(max(0.02, 0.5 * math.sqrt(sum((x - m) ** 2 for x in xs) / max(1, len(xs) - 1))))
    out = []
    for _ in range(n):
        base = units[rng.randrange(len(units))]
        out.append({key: from_unit(key, base[d] + rng.gauss(0.0, spread[d])) for d, key in enumerate(keys)})
    return out


def training_set(root):
    """The built-ins plus the training episodes of data/episodes/split.yaml
    (converted files in data/episodes/scenarios/); held-out ones are never read."""
    import yaml
    split = yaml.safe_load(open(os.path.join(root, "data", "episodes", "split.yaml")))
    ids = sorted(i for i, s in split.items() if s == "training")
    return EPISODES + [os.path.join(root, "data", "episodes", "scenarios", f"{i}.toml") for i in ids]


def short(ep):
    """A column name for an episode: the built-in name or the file's stem."""
    return os.path.splitext(os.path.basename(ep))[0]


def anchor_files(workdir):
    """The two anchor scenarios, each the anchor country plus its one criterion."""
    base = open(ANCHOR).read()
    files = {}
    for name, (share, outcome, label) in ANCHORS.items():
        path = os.path.join(workdir, f"{name}.toml")
        with open(path, "w") as f:
            f.write(base + f'\n[[criteria]]\ncheck = "outcome"\nlabel = "{label}"\noutcome = "{outcome}"\n')
        files[name] = (path, [f"constituencies.opposition.share={share}", f"constituencies.others.share={1 - share:.6g}"])
    return files


def score(binary, params, seeds, anchors, episodes):
    per = {}
    shares = []
    for ep in episodes + list(anchors):
        target, extra = anchors.get(ep, (ep, []))
        cmd = [binary, "validate", target, "--seeds", str(seeds), "--json"]
        for kv in extra:
            cmd += ["--set", kv]
        for k, v in params.items():
            cmd += ["--set", f"{k}={v:.6g}"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr}")
        res = json.loads(out.stdout)
        s = [c["share"] for c in res["criteria"]]
        per[short(ep)] = sum(s) / len(s)
        shares += s
    return sum(shares) / len(shares), per


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default="validation/model-fit/search.csv")
    ap.add_argument("--bin", default="target/release/unrest")
    ap.add_argument("--write-model", action="store_true")
    ap.add_argument("--refine", type=int, default=0, help="draw --draws new sets around the K best")
    ap.add_argument("--model", default="crates/unrest-scenario/models/script.toml")
    ap.add_argument("--episodes", choices=["builtin", "training"], default="builtin",
                    help="builtin: the three built-ins; training: plus the training split of data/episodes")
    ap.add_argument("--from", dest="base", help="with --refine: draw around the K best of this CSV instead of --out")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    episodes = training_set(root) if a.episodes == "training" else EPISODES
    keys = [b[0] for b in BOX]
    workdir = tempfile.mkdtemp(prefix="unrest-fit-")
    anchors = anchor_files(workdir)
    targets = [short(e) for e in episodes] + list(anchors)
    header = ["draw", "score"] + [f"score_{e}" for e in targets] + keys
    done = {}
    if os.path.exists(a.out):
        with open(a.out) as f:
            for r in csv.DictReader(f):
                done[int(r["draw"])] = r
    if not a.write_model:
        if a.refine:
            first = max(done) + 1 if done else 0
            pool = list(done.values())
            if a.base:
                with open(a.base) as f:
                    pool = list(csv.DictReader(f))
            draws = {first + j: p for j, p in enumerate(refine(pool, a.refine, a.draws, a.seed + first))}
        else:
            draws = dict(enumerate(lhs(a.draws, a.seed)))
        new = not os.path.exists(a.out)
        with open(a.out, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(header)
            for i, params in draws.items():
                if i in done:
                    continue
                total, per = score(a.bin, params, a.seeds, anchors, episodes)
                w.writerow([i, f"{total:.4f}"] + [f"{per[e]:.4f}" for e in targets] + [f"{params[k]:.6g}" for k in keys])
                f.flush()
                print(f"draw {i}: score {total:.3f} " + " ".join(f"{e} {per[e]:.2f}" for e in targets), flush=True)
        with open(a.out) as f:
            done = {int(r["draw"]): r for r in csv.DictReader(f)}
    best = max(done.values(), key=lambda r: float(r["score"]))
    print(f"best draw {best['draw']}: score {best['score']}")
    for k in keys:
        print(f"  {k} = {best[k]}")
    if a.write_model:
        text = open(a.model).read()
        section = None
        out = []
        for line in text.splitlines(keepends=True):
            m = re.match(r"\[(\w+)\]", line)
            if m:
                section = m.group(1)
            m = re.match(r"(\w+)\s*=", line)
            if m and section and f"{section}.{m.group(1)}" in best:
                line = f"{m.group(1)} = {float(best[f'{section}.{m.group(1)}']):.6g}\n"
            out.append(line)
        open(a.model, "w").write("".join(out))
        print(f"wrote {a.model}")


if __name__ == "__main__":
    main()
