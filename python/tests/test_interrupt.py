"""Ctrl-C stops the long experiments within a few seconds, not when they end."""

from __future__ import annotations

import pathlib
import signal
import subprocess
import sys
import textwrap
import time

# A sweep of about 600 lattice runs of 2,000 steps on 80×80: minutes of work.
CHILD = textwrap.dedent(
    """
    import sys
    import unrest

    spec = '''
    scenario = "epstein-run2"
    replicates = 4
    [set]
    steps = 2000
    width = 80
    height = 80
    [vary]
    legitimacy = { from = 0.6, to = 0.95, count = 150 }
    '''
    print("started", flush=True)
    try:
        unrest.sweep(spec, out=sys.argv[1], jobs=2)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


def _interrupt_after(code: str, args: list[str], wait: float) -> tuple[subprocess.CompletedProcess, float]:
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(wait)
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        raise AssertionError("the experiment did not stop within 30 s of SIGINT")
    return subprocess.CompletedProcess(child.args, child.returncode, out, err), time.perf_counter() - sent


def test_sigint_stops_a_long_sweep_with_keyboard_interrupt(tmp_path: pathlib.Path):
    out = tmp_path / "sweep"
    done, elapsed = _interrupt_after(CHILD, [str(out)], wait=2.0)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "KeyboardInterrupt" in done.stdout
    assert elapsed < 5, elapsed
    # No result file, only the journal of whole parts: the sweep resumes later.
    assert not (out / "runs.parquet").exists()
    assert (out / ".journal").is_dir()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


COUNTRY = textwrap.dedent(
    """
    import sys
    import unrest

    print("started", flush=True)
    try:
        unrest.validate("euromaidan-2014", seeds=200, set={"scale": 100})
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


def test_sigint_stops_a_long_validation_between_steps():
    done, elapsed = _interrupt_after(COUNTRY, [], wait=2.0)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert elapsed < 5, elapsed


OTHERS = textwrap.dedent(
    """
    import sys
    import unrest

    which = sys.argv[1]
    print("started", flush=True)
    try:
        if which == "compare":
            unrest.compare("kazakhstan-2022", {"no CSTO": "events.drop=foreign_troops_in"}, seeds=200, scale=100)
        elif which == "plan":
            unrest.calibrate(plan=sys.argv[2], out=sys.argv[3])
        else:
            unrest.calibrate(
                "epstein-run2",
                target={"stats": {"mean_active": 50.0}},
                params={"legitimacy": (0.6, 0.95)},
                draws=2000,
                set={"steps": 2000, "width": 80, "height": 80},
                jobs=2,
            )
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


def test_sigint_stops_compare_and_calibrate():
    for which in ["compare", "calibrate"]:
        done, elapsed = _interrupt_after(OTHERS, [which], wait=1.5)
        assert done.returncode == 3, (which, done.stdout, done.stderr)
        assert elapsed < 5, (which, elapsed)


PLAN = """particles = 64
generations = 20
seeds = 4
[[episodes]]
scenario = "euromaidan-2014"
set = ["scale=100"]
[[params]]
key = "loyalty.wavering"
min = 0.1
max = 2.0
"""


def test_sigint_stops_a_plan_calibration_and_writes_no_results(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "smc"
    done, elapsed = _interrupt_after(OTHERS, ["plan", str(plan), str(out)], wait=2.0)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert elapsed < 5, elapsed
    # Only the journal of finished evaluations: no posterior, so the plan resumes.
    assert not (out / "posterior.parquet").exists()
