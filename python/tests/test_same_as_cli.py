"""Same seed, same numbers: every Python entry point against the CLI's files."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

import unrest
from conftest import REPO

pd.set_option("display.width", 200)


def _without_wall(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "wall_seconds"}


def _dates(col: pd.Series) -> pd.Series:
    """Timestamps as the CSV's date labels."""
    return col.dt.strftime("%Y-%m-%dT%H:%M")


def _as_csv(df: pd.DataFrame) -> pd.DataFrame:
    """A table as the CLI writes it: dates as labels, floats to 4 decimals."""
    df = df.copy()
    for c in df.columns:
        if c == "date":
            df[c] = _dates(df[c])
        elif df[c].dtype == float:
            df[c] = df[c].round(4)
    return df


def test_lattice_run_matches_cli_timeseries_and_summary(run_cli, tmp_path):
    run_cli("run", "epstein-run1", "--seed", "7", "--out", str(tmp_path))
    r = unrest.run("epstein-run1", seed=7)
    expected = pd.read_csv(tmp_path / "timeseries.csv")
    got = r.to_pandas()
    assert list(got.columns) == list(expected.columns)
    assert len(got) == 501
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert _without_wall(r.summary) == _without_wall(json.loads((tmp_path / "summary.json").read_text()))


def test_lattice_run_with_set_matches_cli(run_cli, tmp_path):
    run_cli("run", "epstein-run2", "--seed", "3", "--steps", "150", "--set", "legitimacy=0.7", "--out", str(tmp_path))
    r = unrest.run("epstein-run2", seed=3, steps=150, set={"legitimacy": 0.7})
    pd.testing.assert_frame_equal(r.to_pandas(), pd.read_csv(tmp_path / "timeseries.csv"), check_dtype=False)


def test_country_run_matches_cli_tables_and_summary(run_cli, tmp_path):
    run_cli("run", "kazakhstan-2022", "--seed", "5", "--set", "scale=2000", "--out", str(tmp_path))
    r = unrest.run("kazakhstan-2022", seed=5, scale=2000)
    assert r.kind == "country"
    for name in ("timeseries", "regions", "events"):
        expected = pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False)
        got = _as_csv(r.to_pandas(name))
        assert list(got.columns) == list(expected.columns), name
        assert len(got) == len(expected) > 0, name
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=name)
    assert _without_wall(r.summary) == _without_wall(json.loads((tmp_path / "summary.json").read_text()))


def test_model_stepped_in_pieces_equals_one_run():
    r = unrest.run("epstein-run2", seed=11, steps=120)
    m = unrest.Model("epstein-run2", seed=11, set={"steps": 120})
    for n in (1, 9, 50, 60):
        m.step(n)
    assert m.step_index == 120
    pd.testing.assert_frame_equal(m.timeseries.to_pandas(), r.to_pandas())
    assert {k: v for k, v in m.summary().items() if k != "wall_seconds"} == _without_wall(r.summary)


def test_sweep_matches_cli_runs_parquet(run_cli, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'scenario = "epstein-run2"\nseed = 9\nreplicates = 2\n'
        "[set]\nsteps = 60\n[vary]\nlegitimacy = [0.7, 0.85]\ncop_density = [0.03, 0.06]\n"
    )
    run_cli("sweep", str(spec), "--out", str(tmp_path / "cli"))
    expected = pq.read_table(tmp_path / "cli" / "runs.parquet").to_pandas()
    got = unrest.sweep(spec).to_pandas()
    assert len(got) == 8
    pd.testing.assert_frame_equal(got, expected)
    as_text = unrest.sweep(spec.read_text()).to_pandas()
    pd.testing.assert_frame_equal(as_text, expected)


def test_validate_matches_cli_json(run_cli):
    p = run_cli("validate", "kazakhstan-2022", "--seeds", "3", "--set", "scale=2000", "--json")
    expected = json.loads(p.stdout)
    got = unrest.validate("kazakhstan-2022", seeds=3, scale=2000)
    assert got["criteria"] and got["outcomes"]
    for c in got["criteria"]:
        c.pop("ok")
    for k in ("passed", "required"):
        got.pop(k)
    assert _without_wall(got) == _without_wall(expected)


def test_compare_matches_cli_csv(run_cli, tmp_path):
    variant = "no blackout: events.drop=internet_shutdown"
    run_cli(
        "compare", "kazakhstan-2022", "--seeds", "3", "--set", "scale=2000",
        "--variant", variant, "--out", str(tmp_path),
    )
    c = unrest.compare("kazakhstan-2022", {"no blackout": {"events.drop": "internet_shutdown"}}, seeds=3, scale=2000)
    expected = pd.read_csv(tmp_path / "compare.csv")
    pd.testing.assert_frame_equal(c.to_pandas(), expected, check_dtype=False)
    runs = pd.read_csv(tmp_path / "runs.csv", dtype={"seed": str})
    pd.testing.assert_frame_equal(c.to_pandas("runs"), runs, check_dtype=False)
    again = unrest.compare("kazakhstan-2022", {"no blackout": "events.drop=internet_shutdown"}, seeds=3, scale=2000)
    assert again.table.equals(c.table)


def test_calibrate_matches_cli_draws(run_cli, tmp_path):
    args = ["--target", "KAZ-2022", "--param", "loyalty.wavering=0.5:2.0", "--draws", "6", "--accept", "0.5"]
    run_cli("calibrate", "kazakhstan-2022", *args, "--set", "scale=4000", "--out", str(tmp_path))
    cal = unrest.calibrate(
        "kazakhstan-2022", "KAZ-2022", {"loyalty.wavering": (0.5, 2.0)},
        draws=6, accept=0.5, set={"scale": 4000},
    )
    expected = pq.read_table(tmp_path / "draws.parquet")
    assert cal.draws.num_rows == 6 and cal.posterior.num_rows == 3
    assert cal.draws.to_pandas().equals(expected.to_pandas())
    assert pq.read_table(tmp_path / "posterior.parquet").to_pandas().equals(cal.posterior.to_pandas())


@pytest.mark.parametrize("name", ["epstein-run1", "kazakhstan-2022"])
def test_check_report_is_the_cli_text(run_cli, name):
    assert unrest.check(name)["report"] == run_cli("check", name).stdout


SMC_PLAN = """particles = 4
generations = 1
seeds = 1
seed = 3
[[episodes]]
scenario = "kazakhstan-2022"
name = "kz"
set = ["scale=4000"]
[[params]]
key = "loyalty.crowd_per_officer"
min = 2.0
max = 60.0
log = true
"""


def test_calibrate_plan_matches_cli_posterior(run_cli, tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(SMC_PLAN)
    run_cli("calibrate", "--plan", str(plan), "--out", str(tmp_path / "cli"))
    cal = unrest.calibrate(plan=plan, out=tmp_path / "py")
    assert cal.draws is None and cal.best is None and cal.posterior.num_rows == 4
    expected = pq.read_table(tmp_path / "cli" / "posterior.parquet")
    assert cal.posterior.to_pandas().equals(expected.to_pandas())


def test_validate_and_compare_with_a_posterior_match_cli(run_cli, tmp_path):
    post = "validation/model-fit/smc/posterior.csv"
    args = ["kazakhstan-2022", "--seeds", "3", "--set", "scale=4000", "--posterior", post]
    expected = json.loads(run_cli("validate", *args, "--json").stdout)
    got = unrest.validate("kazakhstan-2022", seeds=3, scale=4000, posterior=REPO / post)
    assert got["posterior"]["particles_drawn"] >= 1
    for c in got["criteria"]:
        c.pop("ok")
    for k in ("passed", "required"):
        got.pop(k)
    got["posterior"]["file"] = expected["posterior"]["file"]  # the same file, named from another directory
    assert _without_wall(got) == _without_wall(expected)
    run_cli("compare", *args, "--variant", "x: events.drop=internet_shutdown", "--out", str(tmp_path))
    c = unrest.compare("kazakhstan-2022", {"x": "events.drop=internet_shutdown"}, seeds=3, scale=4000,
                       posterior=REPO / post)
    pd.testing.assert_frame_equal(c.to_pandas(), pd.read_csv(tmp_path / "compare.csv"), check_dtype=False)
