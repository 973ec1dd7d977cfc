#!/usr/bin/env python3
"""Reproduce the headline results of Epstein (2002), figure by figure, with `unrest`.

J. M. Epstein, "Modeling civil violence: an agent-based computational approach",
PNAS 99 suppl. 3 (2002) 7243-7250. Results and numbers quoted in validation/paper.md.

Pure Python 3 standard library. Runs the built-in scenarios epstein-run1..8 and
epstein-safe-havens (plus variants made with --set) for several seeds through the
`unrest` binary, reads each run's timeseries.csv and prints one Markdown section
per figure, with the paper's number next to ours.

Usage:
    python3 validation/paper.py [--seeds 20] [--out DIR] [--bin PATH] [--jobs 2]
                                [--only run2,run7,...] [--explore]

    --explore   instead of the figures, try the conventions the paper leaves open
                (neighbourhood shape, C/A rule, rule order, jail placement) on the
                Model I runs and print one table per run: what was used to choose
                the settings in the epstein-run*.toml files.

Runs are cached in DIR (default validation/out/paper, git-ignored) under a name made
of scenario, settings, seed and steps, so a second call only re-reads them. Delete
DIR after changing the model. Exit status 0 after printing, 2 for bad usage or a
failed run (the message names the command).

Definitions (the paper's, as far as its text gives them):
  outburst      a maximal run of consecutive steps with active > 50 (the paper: an
                outburst starts when actives "exceed 50" and ends when they fall
                back below). Steps before --burn-in (default 20, the start-up
                transient in which every aggrieved citizen turns active at once)
                are ignored.
  waiting time  steps between the starts of consecutive outbursts in one run
                (paper Fig 5: mean 60, sd 55).
  total activation  sum of the active counts over the steps of one outburst
                (paper Fig 7: mean 708, sd 230). Our reading: the paper does not
                print its formula in the text we could read.
"""

import argparse
import concurrent.futures as cf
import csv
import hashlib
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# The scenario files are read from the working tree (not the copies built into the
# binary), so results always match the files next to this script.
SCEN_DIR = os.path.join(REPO, "crates", "unrest-scenario", "scenarios")

# ------------------------------------------------------------------ running


class RunError(Exception):
    pass


def scenario_path(scenario):
    """A scenario file given by path, else the working-tree file of a built-in name."""
    if os.path.isfile(scenario):
        return scenario
    return os.path.join(SCEN_DIR, scenario + ".toml")


def without_schedule(R, scenario):
    """Writes a copy of a scenario file without its [[schedule]] blocks (a control run)."""
    text = open(scenario_path(scenario)).read()
    cut = text.find("[[schedule]]")
    body = text if cut < 0 else text[:cut]
    body = body.replace(f'name = "{scenario}"', f'name = "{scenario}-no-schedule"')
    path = os.path.join(R.outdir, f"{scenario}-no-schedule.toml")
    with open(path, "w") as fh:
        fh.write(body)
    return path


def run_key(scenario, sets, seed, steps):
    """Cache name; it changes with the scenario file's text, so edits invalidate it."""
    tag = ",".join(f"{k}={v}" for k, v in sorted(sets.items()))
    path = scenario_path(scenario)
    text = open(path, "rb").read() if os.path.isfile(path) else b""
    h = hashlib.sha1(f"{scenario}|{tag}|{seed}|{steps}|".encode() + text).hexdigest()[:12]
    return f"{os.path.basename(scenario).replace('.toml', '')}-s{seed}-n{steps}-{h}"


def run_one(binary, outdir, scenario, sets, seed, steps):
    """Runs unrest once (or reuses a cached run) and returns its rows as dicts of ints."""
    d = os.path.join(outdir, run_key(scenario, sets, seed, steps))
    f = os.path.join(d, "timeseries.csv")
    if not os.path.isfile(f):
        path = scenario_path(scenario)
        cmd = [binary, "run", path if os.path.isfile(path) else scenario, "--seed", str(seed), "--steps", str(steps), "--out", d]
        for k, v in sorted(sets.items()):
            cmd += ["--set", f"{k}={v}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0 or not os.path.isfile(f):
            raise RunError(f"`{' '.join(cmd)}` failed: {r.stderr.strip()}")
    with open(f, newline="") as fh:
        return [{k: int(v) for k, v in row.items()} for row in csv.DictReader(fh)]


class Runner:
    def __init__(self, binary, outdir, seeds, jobs):
        self.binary, self.outdir, self.seeds, self.jobs = binary, outdir, seeds, jobs
        self.pool = cf.ThreadPoolExecutor(max_workers=jobs)

    def runs(self, scenario, steps, **sets):
        """All seeds 1..N of one setting, in seed order (whatever the job count)."""
        futs = [self.pool.submit(run_one, self.binary, self.outdir, scenario, sets, s, steps)
                for s in range(1, self.seeds + 1)]
        return [f.result() for f in futs]


# ------------------------------------------------------------------ statistics


def mean(v):
    return sum(v) / len(v) if v else float("nan")


def sd(v):
    if len(v) < 2:
        return float("nan")
    m = mean(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def ci95(v):
    """Half-width of a normal-approximation 95% CI of the mean (t for small n)."""
    t = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 8: 2.36, 10: 2.26, 15: 2.14, 20: 2.09, 30: 2.05}
    n = len(v)
    if n < 2:
        return float("nan")
    tk = t[max(k for k in t if k <= n)] if n <= 30 else 1.96
    return tk * sd(v) / math.sqrt(n)


def fmt(x, nd=1):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{nd}f}"


def outbursts(rows, threshold=50, burn_in=20):
    """(start, end, peak, total activation) of each maximal run of active > threshold."""
    out, cur = [], None
    for r in rows:
        if r["step"] <= burn_in:
            continue
        a = r["active"]
        if a > threshold:
            if cur is None:
                cur = [r["step"], r["step"], a, a]
            else:
                cur[1] = r["step"]
                cur[2] = max(cur[2], a)
                cur[3] += a
        elif cur is not None:
            out.append(tuple(cur))
            cur = None
    if cur is not None:
        out.append(tuple(cur))
    return out


def punctuation(runs, burn_in=20):
    """Outburst statistics pooled over runs (events) and per run."""
    waits, totals, peaks, n_ob, mean_act, durs = [], [], [], [], [], []
    for rows in runs:
        ob = outbursts(rows, burn_in=burn_in)
        starts = [o[0] for o in ob]
        waits += [b - a for a, b in zip(starts, starts[1:])]
        totals += [o[3] for o in ob]
        peaks += [o[2] for o in ob]
        durs += [o[1] - o[0] + 1 for o in ob]
        n_ob.append(len(ob))
        mean_act.append(mean([r["active"] for r in rows if r["step"] > burn_in]))
    steps = runs[0][-1]["step"] - burn_in
    return {
        "outbursts_per_1000": mean(n_ob) * 1000 / steps,
        "runs_without": sum(1 for n in n_ob if n == 0),
        "wait_mean": mean(waits), "wait_sd": sd(waits), "n_waits": len(waits),
        "total_mean": mean(totals), "total_sd": sd(totals),
        "peak_mean": mean(peaks), "dur_mean": mean(durs),
        "mean_active": mean(mean_act),
    }


def exp_slope(waits, cut=30):
    """Slope of log(frequency) against waiting time for waits <= cut (paper Fig 6)."""
    if not waits:
        return float("nan")
    counts = {}
    for w in waits:
        if w <= cut:
            counts[w] = counts.get(w, 0) + 1
    pts = [(w, math.log(c)) for w, c in counts.items() if c > 0]
    if len(pts) < 3:
        return float("nan")
    mx, my = mean([p[0] for p in pts]), mean([p[1] for p in pts])
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else float("nan")


def series_mean(runs, key, lo, hi):
    return mean([mean([r[key] for r in rows if lo <= r["step"] <= hi]) for rows in runs])


# ------------------------------------------------------------------ figures

PE_HEAD = ("| setting | outbursts /1000 steps | waiting time mean (sd) | total activation mean (sd) "
           "| peak mean | mean active |\n|---|---:|---:|---:|---:|---:|")


def pe_row(label, st):
    return (f"| {label} | {fmt(st['outbursts_per_1000'])} | {fmt(st['wait_mean'])} ({fmt(st['wait_sd'])}) | "
            f"{fmt(st['total_mean'], 0)} ({fmt(st['total_sd'], 0)}) | {fmt(st['peak_mean'])} | "
            f"{fmt(st['mean_active'])} |")


def fig_run2(R, steps):
    print("## Figs 3–8 — Run 2: punctuated equilibrium\n")
    print(f"{R.seeds} seeds × {steps} steps each; outburst = active > 50 after step 20.\n")
    print(PE_HEAD)
    print("| paper (Figs 5, 7) | – | 60 (55) | 708 (230) | – | – |")
    variants = [
        ("epstein-run2 as shipped (disk, round, cop takes site)", {}),
        ("literal rule: ratio_rule = real", {"ratio_rule": "real"}),
        ("floor(C/A) instead of rounding", {"ratio_rule": "floor"}),
        ("cop moves by Rule M after an arrest", {"cop_after_arrest": "move"}),
        ("the paper's cross (as Runs 3-4), floor, Rule M",
         {"neighbourhood": "cross", "ratio_rule": "floor", "cop_after_arrest": "move"}),
        ("Mesa's von Neumann diamond", {"neighbourhood": "von-neumann"}),
    ]
    all_waits = None
    for label, sets in variants:
        runs = R.runs("epstein-run2", steps, **sets)
        st = punctuation(runs)
        print(pe_row(label, st))
        if not sets:
            all_waits = []
            for rows in runs:
                s = [o[0] for o in outbursts(rows)]
                all_waits += [b - a for a, b in zip(s, s[1:])]
    print()
    if all_waits:
        sl = exp_slope(all_waits)
        print(f"Fig 6 (log frequency of waiting times ≤ 30, paper slope ≈ −0.07): slope {fmt(sl, 3)}; "
              f"an exponential law with our mean wait would give {fmt(-1 / mean(all_waits), 3)}.\n")


def run1_row(R, steps, label, lo=50, **sets):
    runs = R.runs("epstein-run1", steps, **sets)
    nocops = R.runs("epstein-run1", steps, **dict(sets, cop_density=0))
    act = series_mean(runs, "active", lo, steps)
    act0 = series_mean(nocops, "active", lo, steps)
    arrests = series_mean(runs, "arrests", lo, steps)
    peaks = [max(r["active"] for r in rows if r["step"] > lo) for rows in runs]
    n_ob = mean([len(outbursts(rows, burn_in=lo)) for rows in runs])
    return (f"| {label} | {fmt(act0)} | {fmt(act)} | {fmt(100 * (1 - act / act0), 0)} % | {fmt(arrests, 2)} | "
            f"{fmt(mean(peaks))} | {fmt(n_ob)} |")


RUN1_HEAD = ("| setting | would-be actives (no cops) | mean active | deception: share of would-be "
             "actives quiet | arrests per step | per-run peak active | outbursts > 50 per run |\n"
             "|---|---:|---:|---:|---:|---:|---:|")


# The conventions chosen for Run 2 (see paper.md), applied to other runs for comparison.
RUN2_CONV = {"neighbourhood": "disk", "ratio_rule": "round-half-even", "cop_after_arrest": "take-site"}

RUN1_VARIANTS = [
    ("cops stand still too (cop_movement = false)", {"cop_movement": "false"}),
    ("the paper's cross (4 sites) instead of the disk (8)", {"neighbourhood": "cross"}),
    ("floor(C/A) instead of rounding", {"ratio_rule": "floor"}),
    ("literal rule (ratio_rule = real)", {"ratio_rule": "real"}),
]


def fig_run1(R, steps):
    print("## Figs 1–2 — Run 1: deception and local outbursts\n")
    pop = R.runs("epstein-run1", steps)[0][0]["quiet"]
    # Citizens whose grievance alone clears the threshold: G = H(1 - 0.89) > 0.1 <=> H > 0.909.
    print(f"{R.seeds} seeds × {steps} steps; averages over steps 50..{steps}. Of {pop} citizens, "
          f"{fmt(pop * (1 - 0.1 / 0.11), 0)} are expected to have G > T (H > 0.909): they turn active "
          f"whenever no cop is in sight (floor or rounding makes P = 0 then). 'Would-be actives' is "
          f"the mean active count of the same run with no cops at all.\n")
    print(RUN1_HEAD)
    print(run1_row(R, steps, "epstein-run1 as shipped"))
    for label, sets in RUN1_VARIANTS:
        print(run1_row(R, steps, label, **sets))
    print()


def fig_run34(R, steps):
    print("## Figs 9–10 — Runs 3 and 4: salami tactics vs one sudden drop\n")
    print(f"{R.seeds} seeds × {steps} steps; legitimacy starts to fall at t = 77. Run 3: 0.9 → 0.2, "
          f"linearly over t = 77..147 (1 % per step); Run 4: 0.9 → 0.7 at t = 77. At L = 0.9 nobody "
          f"can be active (G = 0.1·H ≤ T), so both runs are quiet before t = 77.\n")

    def peak_after(rows, t=77):
        return max(r["active"] for r in rows if r["step"] >= t)

    def jump(rows, t=77):
        return max(rows[i]["active"] - rows[i - 1]["active"] for i in range(1, len(rows)) if rows[i]["step"] >= t)

    for title, sets in [("as shipped (the paper's cross, floor, Rule M)", {}),
                        ("with Run 2's conventions (disk, round, cop takes site)", RUN2_CONV)]:
        r3 = R.runs("epstein-run3", steps, **sets)
        r4 = R.runs("epstein-run4", steps, **sets)
        print(f"**{title}**\n")
        print("| quantity | Run 3 (salami) | Run 4 (one jump) |")
        print("|---|---:|---:|")
        for label, f in [
            ("peak active after t = 77 (mean ± 95% CI)", lambda rs: [peak_after(r) for r in rs]),
            ("largest one-step rise of actives", lambda rs: [jump(r) for r in rs]),
            ("jailed at t = 150", lambda rs: [r[150]["jailed"] for r in rs]),
            (f"jailed at t = {steps}", lambda rs: [r[-1]["jailed"] for r in rs]),
            (f"active at t = {steps}", lambda rs: [r[-1]["active"] for r in rs]),
        ]:
            a, b = f(r3), f(r4)
            print(f"| {label} | {fmt(mean(a))} ± {fmt(ci95(a))} | {fmt(mean(b))} ± {fmt(ci95(b))} |")
        sp3 = sum(1 for r in r3 if peak_after(r) > 50)
        sp4 = sum(1 for r in r4 if peak_after(r) > 50)
        print(f"| runs with an outburst (> 50 actives) | {sp3}/{R.seeds} | {sp4}/{R.seeds} |")
        print()


def fig_run5(R, steps):
    print("## Fig 11 — Run 5: tipping by cutting cops\n")
    print(f"{R.seeds} seeds × {steps} steps; L = 0.8, J_max = ∞; cop density falls linearly from "
          f"0.074 (t = 50) to 0.02 (t = 250) (our schedule; the paper's is not in the text we read). "
          f"'Tips' = the first step after t = 50 with more than 50 actives.\n")
    print("| setting | active t 30–50 | jailed at t = 50 | runs that tip | tipping step (mean; range) "
          "| cop density then (mean; range) | control: cops kept at 0.074, runs with an outburst |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, sets in [("as shipped (Run 2's conventions)", {}),
                        ("the paper's cross, floor, Rule M (as Runs 3-4)",
                         {"neighbourhood": "cross", "ratio_rule": "floor", "cop_after_arrest": "move"})]:
        r5 = R.runs("epstein-run5", steps, **sets)
        # Control without cuts: the schedule's end value set to the start value.
        ctl = R.runs(without_schedule(R, "epstein-run5"), steps, **sets)
        tips = [next((r for r in rows if r["step"] > 50 and r["active"] > 50), None) for rows in r5]
        t = [x for x in tips if x is not None]
        ctl_ob = sum(1 for rows in ctl if any(r["active"] > 50 for r in rows if r["step"] > 50))
        st = [x["step"] for x in t]
        cp = [x["cops"] / 1600 for x in t]
        print(f"| {label} | {fmt(series_mean(r5, 'active', 30, 50))} | "
              f"{fmt(mean([rows[50]['jailed'] for rows in r5]), 0)} | {len(t)}/{R.seeds} | "
              + (f"{fmt(mean(st), 0)}; {min(st)}–{max(st)} | {fmt(mean(cp), 3)}; {min(cp):.3f}–{max(cp):.3f}"
                 if t else "– | –")
              + f" | {ctl_ob}/{R.seeds} |")
    print()


def model2_stats(runs, tail=200):
    """Killing over time. The CSV has no per-group counts, so what is measured is
    when killing stops: the last step with a kill, and whether any kill happened
    in the last `tail` steps. Killing stops when no would-be killer (active) has a
    member of the other group within reach: after genocide, or when the survivors
    sit where nobody dares to act (safe havens)."""
    out = []
    for rows in runs:
        last = rows[-1]["step"]
        kills_in = lambda a, b: sum(r["kills"] for r in rows if a < r["step"] <= b)
        out.append({
            "kills": kills_in(0, last),
            "w": [kills_in(0, 50), kills_in(50, 200), kills_in(200, 1000), kills_in(1000, last)],
            "stopped": kills_in(last - tail, last) == 0,
            "last_kill": max((r["step"] for r in rows if r["kills"] > 0), default=0),
            "active_late": mean([r["active"] for r in rows if r["step"] > 1000]),
            "alive_end": rows[-1]["quiet"] + rows[-1]["active"] + rows[-1]["jailed"],
        })
    return out


def fig_model2(R, steps):
    print("## Figs 12–17 — Model II: coexistence, genocide, safe havens\n")
    print(f"{R.seeds} seeds × {steps} steps. Kills per window of steps, means over seeds. "
          f"'Killing ended' = no kill in the last 200 steps; its step is the last kill. Our CSV "
          f"has no per-group counts, so genocide (one group gone) and safe havens (survivors out "
          f"of every killer's reach) look the same here (see paper.md).\n")
    head = ("| run | kills t 1–50 | 51–200 | 201–1000 | after 1000 | killing ended (runs) "
            "| last kill, mean (sd) | active after t 1000 | alive at end |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for title, conv in [("as shipped (Run 2's conventions: disk, round, cop takes site)", {}),
                        ("the paper's cross (4 sites) instead of the disk (8)", {"neighbourhood": "cross"})]:
        print(f"**{title}**\n")
        print(head)
        for label, scen in [
            ("Run 6: L 0.9, no cops (Fig 12)", "epstein-run6"),
            ("Run 7: L 0.8, no cops (Fig 13)", "epstein-run7"),
            ("Run 8: L 0.8, cops 0.04", "epstein-run8"),
            ("safe havens: Run 7 + peacekeepers 0.04 at t = 50 (Fig 14)", "epstein-safe-havens"),
        ]:
            st = model2_stats(R.runs(scen, steps, **conv))
            ended = [x["last_kill"] for x in st if x["stopped"] and x["kills"] > 0]
            w = [fmt(mean([x["w"][k] for x in st]), 0) for k in range(4)]
            print(f"| {label} | {' | '.join(w)} | {len(ended)}/{len(st)} | "
                  f"{fmt(mean(ended), 0)} ({fmt(sd(ended), 0)}) | "
                  f"{fmt(mean([x['active_late'] for x in st]))} | {fmt(mean([x['alive_end'] for x in st]), 0)} |")
        print()
    print(f"**Figs 15–17: when killing ends, against peacekeeper density** (Run 8 with cops from the "
          f"start, as shipped; {R.seeds} seeds × {steps} steps)\n")
    print("| cop density | killing ended (runs) | last kill, mean | sd | kills after t 200 (mean) |"
          "\n|---:|---:|---:|---:|---:|")
    for cd in ["0", "0.02", "0.04", "0.06", "0.08", "0.1"]:
        st = model2_stats(R.runs("epstein-run8", steps, cop_density=cd))
        ended = [x["last_kill"] for x in st if x["stopped"] and x["kills"] > 0]
        print(f"| {cd} | {len(ended)}/{len(st)} | {fmt(mean(ended), 0)} | {fmt(sd(ended), 0)} | "
              f"{fmt(mean([x['w'][2] + x['w'][3] for x in st]), 1)} |")
    print()


# ------------------------------------------------------------------ exploration

def score(st):
    """Distance of Run 2 from the paper: sum of |log(ours / paper)| over waiting-time
    mean and sd (paper 60, 55) and total-activation mean and sd (708, 230)."""
    vals = [st[k] for k in ("wait_mean", "wait_sd", "total_mean", "total_sd")]
    if any(math.isnan(v) or v <= 0 for v in vals):
        return float("nan")  # no outbursts (or too few to measure): no score
    return sum(abs(math.log(v / p)) for v, p in zip(vals, (60, 55, 708, 230)))


def explore(R, steps):
    """Every combination of the open conventions that matter most, on Runs 2-5."""
    print("## Exploring the conventions the paper leaves open\n")
    print(f"{R.seeds} seeds; Run 2 {steps} steps, Runs 3-4 300, Run 5 400. Rule order, self-count "
          f"and the rest as the paper states them (move then act, A counts the agent).\n")
    print("| neighbourhood, C/A rule, cop after arrest, jail | Run 2 wait mean (sd) | Run 2 activation "
          "mean (sd) | Run 2 mean active | score | Run 3 peak | Run 4 peak | Run 5 tips (step, cop density) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for nb in ["cross", "von-neumann", "disk"]:
        for rr in ["floor", "round-half-even"]:
            for ca, jp in [("move", "off-lattice"), ("move", "stay-on-site"), ("take-site", "off-lattice")]:
                conv = dict(neighbourhood=nb, ratio_rule=rr, cop_after_arrest=ca, jail_placement=jp)
                st = punctuation(R.runs("epstein-run2", steps, **conv))
                r3 = R.runs("epstein-run3", 300, **conv)
                r4 = R.runs("epstein-run4", 300, **conv)
                r5 = R.runs("epstein-run5", 400, **conv)

                def pk(rs):
                    return mean([max(r["active"] for r in rows if r["step"] >= 77) for rows in rs])

                tips = [next((r for r in rows if r["step"] > 50 and r["active"] > 50), None) for rows in r5]
                t = [x for x in tips if x is not None]
                tip = f"{len(t)}/{R.seeds}" + (
                    f" ({mean([x['step'] for x in t]):.0f}, {mean([x['cops'] for x in t]) / 1600:.3f})" if t else "")
                print(f"| {nb}, {rr}, {ca}, {jp} | {fmt(st['wait_mean'])} ({fmt(st['wait_sd'])}) | "
                      f"{fmt(st['total_mean'], 0)} ({fmt(st['total_sd'], 0)}) | {st['mean_active']:.1f} | "
                      f"{fmt(score(st), 2)} | {pk(r3):.0f} | {pk(r4):.0f} | {tip} |", flush=True)
    print()
    print("Conventions the paper states, varied on Run 2 as shipped:\n")
    print(PE_HEAD)
    for label, sets in [("as shipped", {}), ("act, then move (Mesa)", {"rule_order": "act-then-move"}),
                        ("A counts the agent only when active", {"self_count": "if-active"}),
                        ("the literal real C/A", {"ratio_rule": "real"})]:
        st = punctuation(R.runs("epstein-run2", steps, **sets))
        print(pe_row(f"{label} [score {fmt(score(st), 2)}]", st), flush=True)
    print()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--out", default=os.path.join(HERE, "out", "paper"))
    p.add_argument("--bin", default=None, help="unrest binary (default: build target/release/unrest)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--only", default="run1,run2,run34,run5,model2")
    p.add_argument("--explore", action="store_true")
    p.add_argument("--steps-run2", type=int, default=3000)
    a = p.parse_args(argv)
    if a.seeds < 2 or a.jobs < 1:
        print("paper.py: need --seeds >= 2 and --jobs >= 1", file=sys.stderr)
        return 2
    binary = a.bin
    if binary is None:
        r = subprocess.run(["cargo", "build", "--release", "-q", "-p", "unrest-cli"], cwd=REPO)
        if r.returncode != 0:
            print("paper.py: cargo build failed", file=sys.stderr)
            return 2
        binary = os.path.join(REPO, "target", "release", "unrest")
    os.makedirs(a.out, exist_ok=True)
    R = Runner(binary, a.out, a.seeds, a.jobs)
    try:
        if a.explore:
            explore(R, a.steps_run2)
            return 0
        figs = {"run1": (fig_run1, 500), "run2": (fig_run2, a.steps_run2), "run34": (fig_run34, 300),
                "run5": (fig_run5, 400), "model2": (fig_model2, 3000)}
        for name in a.only.split(","):
            if name not in figs:
                print(f"paper.py: unknown figure group {name!r}; choose from {', '.join(figs)}",
                      file=sys.stderr)
                return 2
            f, steps = figs[name]
            f(R, steps)
            sys.stdout.flush()
    except RunError as e:
        print(f"paper.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
