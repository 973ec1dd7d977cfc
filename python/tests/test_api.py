"""The rest of the surface: list, check, scenario sources, tables, plots."""

from __future__ import annotations

import pathlib

import pyarrow as pa
import pytest

import unrest

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_list_has_both_kinds():
    names = {s["name"]: s["kind"] for s in unrest.list()}
    assert names["epstein-run1"] == "lattice"
    assert names["kazakhstan-2022"] == "country"


def test_check_lattice_and_country():
    c = unrest.check("epstein-run2", set={"steps": 77})
    assert c["kind"] == "lattice" and c["steps"] == 77 and len(c["hash"]) == 16
    k = unrest.check("kazakhstan-2022", scale=1000)
    assert k["kind"] == "country" and k["scale"] == 1000 and "Almaty" in k["report"]


SCENARIO = {
    "name": "from-a-dict",
    "preset": "epstein",
    "steps": 30,
    "seed": 3,
    "params": {"legitimacy": 0.7, "neighbourhood": "moore"},
}


def test_scenario_as_dict_string_and_path_give_the_same_run(tmp_path):
    import tomllib  # noqa: F401  (3.11+; the dict path does not need it)

    text = (
        'name = "from-a-dict"\npreset = "epstein"\nsteps = 30\nseed = 3\n\n'
        '[params]\nlegitimacy = 0.7\nneighbourhood = "moore"\n'
    )
    f = tmp_path / "s.toml"
    f.write_text(text)
    a = unrest.run(SCENARIO)
    b = unrest.run(text)
    c = unrest.run(f)
    d = unrest.run(str(f))
    for r in (b, c, d):
        assert r.timeseries.equals(a.timeseries)
    assert a.summary["scenario_hash"] == c.summary["scenario_hash"]


def test_set_forms_agree():
    a = unrest.run("epstein-run2", seed=2, steps=50, set={"legitimacy": 0.75, "max_jail_term": float("inf")})
    b = unrest.run("epstein-run2", seed=2, steps=50, set=["legitimacy=0.75", "max_jail_term=inf"])
    c = unrest.run("epstein-run2", seed=2, steps=50, set=[("legitimacy", 0.75), ("max_jail_term", "inf")])
    assert a.timeseries.equals(b.timeseries) and a.timeseries.equals(c.timeseries)


def test_country_tables_types_and_helpers():
    r = unrest.run("kazakhstan-2022", scale=4000)
    assert isinstance(r.timeseries, pa.Table)
    assert r.timeseries.schema.field("date").type == pa.timestamp("s")
    assert r.regions.column("region").type == pa.string()
    assert r.events.num_rows > 0
    df = r.to_pandas("regions")
    assert set(df["region"]) >= {"Almaty", "Mangystau"}
    assert r.summary["outcome"] in {"no_protest", "suppressed", "conceded", "collapsed", "ongoing"}
    with pytest.raises(ValueError):
        unrest.run("epstein-run1", steps=5).to_pandas("regions")


def test_to_polars():
    pl = pytest.importorskip("polars")
    df = unrest.run("epstein-run1", seed=1, steps=20).to_polars()
    assert isinstance(df, pl.DataFrame) and df.height == 21


def test_plot_both_kinds():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = unrest.run("epstein-run2", steps=50).plot()
    assert len(ax.get_lines()) == 3
    ax = unrest.run("kazakhstan-2022", scale=4000).plot()
    assert len(ax.get_lines()) >= 2


def test_sweep_from_a_dict_with_out_resumes(tmp_path):
    spec = {
        "scenario": "epstein-run1",
        "seed": 1,
        "replicates": 1,
        "set": {"steps": 20},
        "vary": {"legitimacy": [0.8, 0.9]},
    }
    a = unrest.sweep(spec, out=tmp_path / "s")
    assert a.num_rows == 2 and "legitimacy" in a.column_names
    assert (tmp_path / "s" / "runs.parquet").exists()
    b = unrest.sweep(spec, out=tmp_path / "s")
    assert a.equals(b)


def test_version():
    assert unrest.__version__.count(".") == 2
