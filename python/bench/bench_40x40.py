#!/usr/bin/env python3
"""Agent-updates per second of 40x40 worlds driven from Python, against the CLI.

For each of `unrest bench`'s three classic 40x40 cases, in one process:
  - Python: unrest.Model(scenario, seed=1, set=...), then the wall time of
    m.step(STEPS) alone (setup excluded), as `unrest bench-case` times
    World::step;
  - CLI: `unrest bench-case SCENARIO --steps STEPS` (its own JSON report:
    the same seed, the same steps, setup excluded);
  - Mesa 3.5.1 (when `mesa` imports): validation/mesa/mesa_cv.py's run,
    called in this process with the arguments `unrest bench` gives it.
Python and the CLI alternate for --rounds rounds and the best of each is
kept (the machine is shared; the best is the least disturbed). Use a release
build of both (pip install ./python; cargo build --release -p unrest-cli).

    python python/bench/bench_40x40.py --cli target/release/unrest [--steps 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import subprocess
import sys
import time

import unrest

REPO = pathlib.Path(__file__).resolve().parents[2]

# (label, scenario, --set overrides, mesa_cv.py arguments): as in crates/unrest-cli/src/bench.rs.
CASES = [
    ("mesa-default 40x40", "mesa-default", [], []),
    (
        "Run-2-like, Mesa's rules",
        "mesa-default",
        ["cop_density=0.04", "legitimacy=0.82", "max_jail_term=30"],
        ["--cop-density", "0.04", "--legitimacy", "0.82", "--max-jail-term", "30"],
    ),
    (
        "epstein-run1 40x40",
        "epstein-run1",
        [],
        ["--citizen-vision", "1", "--cop-vision", "1", "--no-movement", "--legitimacy", "0.89",
         "--max-jail-term", "15", "--cop-density", "0.04"],
    ),
]


def python_rate(scenario: str, sets: list[str], steps: int) -> tuple[float, float]:
    """Agent-updates per second of wall time and of CPU time (this thread's:
    Model.step runs the model on the calling thread, the GIL released)."""
    m = unrest.Model(scenario, seed=1, set=sets)
    c = m.counts
    agents = c["quiet"] + c["active"] + c["jailed"] + c["cops"]
    t, cpu = time.perf_counter(), time.thread_time()
    m.step(steps)
    wall, cpu = time.perf_counter() - t, time.thread_time() - cpu
    return steps * agents / wall, steps * agents / cpu


def cli_rate(cli: str, scenario: str, sets: list[str], steps: int) -> tuple[float, float]:
    """The same from `unrest bench-case`'s report (its CPU time is the
    process's, in clock ticks: use enough steps for a second or more)."""
    args = [cli, "bench-case", scenario, "--steps", str(steps)]
    for s in sets:
        args += ["--set", s]
    r = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    n = r["steps"] * r["agents"]
    return n / r["step_seconds"], n / max(r.get("step_cpu_seconds", 0.0), 1e-9)


def mesa_rate(mesa_args: list[str], steps: int) -> float | None:
    try:
        sys.path.insert(0, str(REPO / "validation" / "mesa"))
        import mesa_cv
    except ImportError:
        return None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        mesa_cv.main(["--steps", str(steps), "--lean", "--quiet-log", "--seed", "1", *mesa_args])
    for word in out.getvalue().split():
        if word.startswith("agent_updates_per_s="):
            return float(word.split("=", 1)[1])
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_cli = os.environ.get("UNREST_BIN", str(REPO / "target" / "release" / "unrest"))
    p.add_argument("--cli", default=default_cli, help="the unrest binary (release build)")
    p.add_argument("--steps", type=int, default=2000, help="steps per timing (unrest bench: 2000 quick, 20000 full)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--mesa-steps", type=int, default=100)
    p.add_argument("--no-mesa", action="store_true")
    p.add_argument("--min-ratio", type=float, default=None, help="exit 1 if python/cli falls below this")
    a = p.parse_args()
    print(f"unrest {unrest.__version__} from {pathlib.Path(unrest.__file__).parent}; CLI {a.cli}")
    print(f"{a.steps} steps, best of {a.rounds} alternating rounds; 'cpu' columns: per CPU second (robust to a busy machine)")
    print(
        f"{'case':<26} {'python upd/s':>13} {'cli upd/s':>13} {'py/cli':>7} {'py/cli cpu':>10}"
        f" {'mesa upd/s':>11} {'py/mesa':>8}"
    )
    worst = float("inf")
    for label, scenario, sets, margs in CASES:
        py, cl, py_cpu, cl_cpu = 0.0, 0.0, 0.0, 0.0
        for _ in range(a.rounds):
            w, c = python_rate(scenario, sets, a.steps)
            py, py_cpu = max(py, w), max(py_cpu, c)
            w, c = cli_rate(a.cli, scenario, sets, a.steps)
            cl, cl_cpu = max(cl, w), max(cl_cpu, c)
        mesa = None if a.no_mesa else mesa_rate(margs, a.mesa_steps)
        ratio = py / cl
        worst = min(worst, ratio)
        m = "-" if mesa is None else f"{mesa:11.3e}"
        mr = "-" if mesa is None else f"{py / mesa:7.0f}x"
        print(f"{label:<26} {py:13.3e} {cl:13.3e} {ratio:7.3f} {py_cpu / cl_cpu:10.3f} {m:>11} {mr:>8}")
    print(f"lowest python/cli ratio (wall): {worst:.3f}")
    return 1 if a.min_ratio is not None and worst < a.min_ratio else 0


if __name__ == "__main__":
    sys.exit(main())
