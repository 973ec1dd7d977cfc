#!/usr/bin/env python3
"""Mesa 3.5.1's Epstein civil-violence example, restated rule for rule in plain Python.

Written from reading Mesa's source (examples/advanced/epstein_civil_violence, its grid and
agent-set code); no Mesa code is copied and Mesa is not needed. It draws its random numbers
from one `random.Random(seed)` in exactly Mesa's order, so for the same seed it reproduces
Mesa's quiet/active/jailed counts step for step (checked against the 30 reference runs in
validation/mesa/reference: `--check`). That makes it a fast stand-in for Mesa when many runs
are needed (validation/transient.py) and a precise statement of what the `mesa` preset copies.

Usage:
    python3 validation/mesa_restated.py --check REF.csv [--seed S] [--steps N]
    python3 validation/mesa_restated.py --seed S --steps N [--cop-density 0.04 ...]  # CSV to stdout

Stdlib only. About 25 steps per second at 40x40.
"""

import argparse
import csv
import math
import random
import sys

# Mesa's OrthogonalVonNeumannGrid connection order, as (dx, dy) on (x, y) coordinates.
VON_NEUMANN = [(-1, 0), (0, -1), (0, 1), (1, 0)]


def neighbourhood(cell, radius, width, height, cache):
    """Cells within `radius` steps, own cell excluded, in Mesa's breadth-first order."""
    if cell in cache:
        return cache[cell]
    seen = {cell}
    out = []
    layer = [cell]
    for _ in range(radius):
        nxt = []
        for x, y in layer:
            for dx, dy in VON_NEUMANN:
                c = ((x + dx) % width, (y + dy) % height)
                if c not in seen:
                    seen.add(c)
                    nxt.append(c)
                    out.append(c)
        layer = nxt
    cache[cell] = out
    return out


def run(seed, steps, width=40, height=40, citizen_density=0.7, cop_density=0.074, vision=7,
        legitimacy=0.8, max_jail_term=1000, threshold=0.1, k=2.3):
    """Returns [(step, quiet, active, jailed)] for steps 0..steps."""
    rng = random.Random(seed)
    agents = []  # dicts: cop, pos, and for citizens grievance, risk, state, sentence
    occupant = {}
    # Placement: one random() per cell in x-major order, Mesa's cumulative-weight choice;
    # a citizen's hardship and risk aversion are drawn right after its cell's draw.
    for x in range(width):
        for y in range(height):
            u = rng.random()
            if u < citizen_density:
                h = rng.random()
                r = rng.random()
                agents.append({"cop": False, "pos": (x, y), "g": h * (1 - legitimacy), "r": r,
                               "state": "Q", "sentence": 0})
            elif u < citizen_density + cop_density:
                agents.append({"cop": True, "pos": (x, y)})
            else:
                continue
            occupant[(x, y)] = len(agents) - 1
    cache = {}

    def counts(step):
        c = {"Q": 0, "A": 0, "J": 0}
        for a in agents:
            if not a["cop"]:
                c[a["state"]] += 1
        return (step, c["Q"], c["A"], c["J"])

    rows = [counts(0)]
    for step in range(1, steps + 1):
        order = list(range(len(agents)))  # a fresh copy of the creation order, every step
        rng.shuffle(order)
        for i in order:
            a = agents[i]
            if not a["cop"] and a["sentence"] > 0:
                a["sentence"] -= 1  # a jail turn: nothing else happens
                continue
            cells = neighbourhood(a["pos"], vision, width, height, cache)
            empty = [c for c in cells if c not in occupant]
            seen = [agents[occupant[c]] for c in cells if c in occupant]
            if a["cop"]:
                suspects = [b for b in seen if not b["cop"] and b["state"] == "A"]
                if suspects:
                    b = rng.choice(suspects)
                    b["sentence"] = rng.randint(0, max_jail_term)
                    b["state"] = "J"
            else:
                cops = sum(1 for b in seen if b["cop"])
                actives = 1 + sum(1 for b in seen if not b["cop"] and b["state"] == "A")
                p = 1 - math.exp(-1 * k * round(cops / actives))  # Python round: ties to even
                a["state"] = "A" if a["g"] - a["r"] * p > threshold else "Q"
            if empty:  # decide first, then move to a cell that was empty before moving
                dest = rng.choice(empty)
                del occupant[a["pos"]]
                occupant[dest] = i
                a["pos"] = dest
        rows.append(counts(step))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--cop-density", type=float, default=0.04)
    ap.add_argument("--legitimacy", type=float, default=0.82)
    ap.add_argument("--max-jail-term", type=int, default=30)
    ap.add_argument("--check", metavar="REF.csv",
                    help="compare with a Mesa CSV (step,quiet,active,jailed,...) of the same seed")
    a = ap.parse_args(argv)
    rows = run(a.seed, a.steps, cop_density=a.cop_density, legitimacy=a.legitimacy,
               max_jail_term=a.max_jail_term)
    if a.check:
        with open(a.check, newline="") as fh:
            ref = [tuple(int(r[c]) for c in ("step", "quiet", "active", "jailed")) for r in csv.DictReader(fh)]
        bad = [i for i, (x, y) in enumerate(zip(rows, ref)) if x != y]
        n = min(len(rows), len(ref))
        if bad:
            print(f"seed {a.seed}: first difference at step {bad[0]}: ours {rows[bad[0]]}, Mesa {ref[bad[0]]}")
            return 1
        print(f"seed {a.seed}: identical to {a.check} for steps 0..{n - 1}")
        return 0
    w = csv.writer(sys.stdout)
    w.writerow(["step", "quiet", "active", "jailed"])
    w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
