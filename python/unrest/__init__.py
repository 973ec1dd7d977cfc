"""unrest: agent-based simulation of mass protest, repression and regime stability.

Epstein's civil violence model (PNAS 2002) and a country layer (regions,
constituencies, a calendar, the regime's dated actions, loyalty and defection),
written in Rust and called here through the same library functions as the
``unrest`` command-line tool, so that the same seed gives the same numbers.

    >>> import unrest
    >>> r = unrest.run("epstein-run1", seed=7)
    >>> r.summary["peak_active"]
    >>> df = r.to_pandas()                      # or r.to_polars()
    >>> m = unrest.Model("epstein-run2"); m.step(100); m.counts

Tables are :class:`pyarrow.Table` built from Arrow data made in Rust; grids and
agent columns are NumPy arrays. A scenario is a built-in name (see
:func:`list`), a path to a TOML file, a TOML string, or a dict of the same
content. Problems with a scenario raise :class:`ScenarioError` (a
``ValueError``) with the command line's message: file, line and column.
See docs/python.md.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any, Union

import numpy as np
import pyarrow as pa
import pyarrow.ipc

from . import _unrest
from ._unrest import ScenarioError

__version__: str = _unrest.version()

__all__ = [
    "GRID_CODES",
    "AGENT_STATES",
    "Calibration",
    "Comparison",
    "Model",
    "Result",
    "ScenarioError",
    "calibrate",
    "check",
    "compare",
    "list",
    "run",
    "sweep",
    "validate",
]

_list = builtins.list

#: A scenario: a built-in name, a path, a TOML string, or a dict of TOML content.
ScenarioLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]
#: Overrides, as ``unrest run --set`` takes them: a dict ``{"legitimacy": 0.7}``
#: or an iterable of ``"key=value"`` strings or ``(key, value)`` pairs.
SetLike = Union[Mapping[str, Any], Iterable[Any], None]

#: What the codes of :attr:`Model.grid` mean.
GRID_CODES: dict[int, str] = {0: "empty", 1: "quiet", 2: "active", 3: "jailed", 4: "cop"}
#: What the codes of :attr:`Model.state` mean.
AGENT_STATES: dict[int, str] = {0: "quiet", 1: "active", 2: "jailed", 3: "dead", 4: "cop", 5: "cop_off"}


def _source(scenario: ScenarioLike) -> tuple[str, bool, str | None]:
    """(name, path or text; whether it is text; the name errors give it)."""
    if isinstance(scenario, Mapping):
        return _unrest.json_to_toml(json.dumps(scenario)), True, "<dict>"
    if isinstance(scenario, os.PathLike):
        return os.fspath(scenario), False, None
    if not isinstance(scenario, str):
        raise TypeError(f"a scenario is a name, a path, a TOML string or a dict, not {type(scenario).__name__}")
    if "\n" in scenario or ("=" in scenario and not os.path.exists(scenario)):
        return scenario, True, "<string>"
    return scenario, False, None


def _value(v: Any) -> str:
    """A Python value as the text of a ``--set`` value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return "inf" if v == float("inf") else repr(float(v))
    if isinstance(v, str):
        return v
    if isinstance(v, (Mapping, _list, tuple)):
        return _unrest.json_to_toml_value(json.dumps(v))
    return str(v)


def _sets(set: SetLike, scale: float | None = None) -> _list[tuple[str, str]]:
    """Overrides as (key, value-text) pairs, in order; ``scale`` last."""
    items: Iterable[Any]
    if set is None:
        items = ()
    elif isinstance(set, Mapping):
        items = set.items()
    elif isinstance(set, str):
        items = (set,)
    else:
        items = set
    pairs = []
    for item in items:
        if isinstance(item, str):
            key, eq, value = item.partition("=")
            if not eq or not key.strip():
                raise ScenarioError(f"set {item!r}: expected KEY=VALUE, e.g. legitimacy=0.7")
            pairs.append((key.strip(), value.strip()))
        else:
            key, value = item
            pairs.append((str(key), _value(value)))
    if scale is not None:
        pairs.append(("scale", _value(scale)))
    return pairs


def _table(data: bytes) -> pa.Table:
    """An Arrow IPC stream made in Rust, as a table (no copy of the columns)."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _maybe_table(data: bytes | None) -> pa.Table | None:
    return None if data is None else _table(data)


def _pandas(table: pa.Table) -> Any:
    return table.to_pandas()


def _polars(table: pa.Table) -> Any:
    try:
        pl = importlib.import_module("polars")
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_polars() needs polars: pip install polars") from e
    return pl.from_arrow(table)


def list() -> _list[dict[str, str]]:
    """The built-in scenarios, as ``unrest list`` prints them: name, kind
    (``"lattice"`` or ``"country"``) and a one-line summary each."""
    return [{"name": n, "kind": k, "summary": s} for n, k, s in _unrest.builtins()]


def check(scenario: ScenarioLike, set: SetLike = None, scale: float | None = None) -> dict[str, Any]:
    """Loads a scenario without running it, as ``unrest check`` does.

    Returns its name, kind, hash, seed, ``steps`` (lattice) or ``scale``
    (country), and ``report``: the text the command line prints. Raises
    :class:`ScenarioError` with the file, line and column of a problem.
    """
    text, is_text, origin = _source(scenario)
    out: dict[str, Any] = json.loads(_unrest.check(text, is_text, origin, _sets(set, scale)))
    return out


class Result:
    """One run: its time series (and, for a country, regions and events) as
    :class:`pyarrow.Table`, and its summary as a dict.

    ``timeseries`` has the columns of ``timeseries.csv`` (lattice:
    ``step, quiet, active, jailed, dead, cops, arrests, kills, alive_b``;
    country: ``step, date, quiet, active, …, capital_legitimacy``);
    ``regions`` and ``events`` those of ``regions.csv`` and ``events.csv``
    (``None`` for a lattice run). ``summary`` is the content of
    ``summary.json``. Dates are ``timestamp[s]`` on the scenario's calendar.
    """

    def __init__(self, raw: Mapping[str, Any]):
        self.kind: str = raw["kind"]
        self.summary: dict[str, Any] = json.loads(raw["summary"])
        self.timeseries: pa.Table = _table(raw["timeseries"])
        self.regions: pa.Table | None = _maybe_table(raw.get("regions"))
        self.events: pa.Table | None = _maybe_table(raw.get("events"))

    def _pick(self, table: str) -> pa.Table:
        t = getattr(self, table, None) if table in ("timeseries", "regions", "events") else None
        if t is None:
            raise ValueError(f"no {table!r} table in a {self.kind} run (tables: timeseries, regions, events)")
        return t

    def to_pandas(self, table: str = "timeseries") -> Any:
        """A table (``"timeseries"``, ``"regions"`` or ``"events"``) as a pandas DataFrame."""
        return _pandas(self._pick(table))

    def to_polars(self, table: str = "timeseries") -> Any:
        """A table as a polars DataFrame (needs ``polars``)."""
        return _polars(self._pick(table))

    def plot(self, ax: Any = None, columns: Iterable[str] | None = None) -> Any:
        """Plots the time series with matplotlib and returns the axes.

        Lattice runs: quiet, active and jailed citizens against the step.
        Country runs: active citizens (agents) nationally and in the capital
        against the date, with each fired event as a dotted vertical line.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("plot() needs matplotlib: pip install matplotlib") from e
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        ts = self.timeseries
        if self.kind == "lattice":
            x = ts.column("step").to_numpy()
            for c in columns or ("quiet", "active", "jailed"):
                ax.plot(x, ts.column(c).to_numpy(), label=c)
            ax.set_xlabel("step")
        else:
            x = ts.column("date").to_numpy()
            for c in columns or ("active", "capital_active"):
                ax.plot(x, ts.column(c).to_numpy(), label=c)
            if self.events is not None:
                for d in self.events.column("date").to_numpy():
                    ax.axvline(d, color="grey", linestyle=":", linewidth=0.8)
            ax.set_xlabel("date")
            ax.figure.autofmt_xdate()
        ax.set_ylabel("agents")
        ax.set_title(f"{self.summary.get('scenario', '')} (seed {self.summary.get('seed', '')})")
        ax.legend()
        return ax

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<unrest.Result {self.kind} {s.get('scenario')!r} seed {s.get('seed')}: "
            f"{self.timeseries.num_rows} rows, peak active {s.get('peak_active')}>"
        )


def run(
    scenario: ScenarioLike,
    seed: int | None = None,
    set: SetLike = None,
    scale: float | None = None,
    steps: int | None = None,
    outburst_threshold: int = 50,
) -> Result:
    """Runs a scenario as ``unrest run`` does and returns its :class:`Result`.

    ``seed`` defaults to the scenario's; ``set`` overrides keys as ``--set``
    does (``{"legitimacy": 0.7}``, ``{"loyalty.wavering": 1.5}``);
    ``scale`` is a country scenario's people per agent; ``steps`` a lattice
    scenario's length. The GIL is released while the model steps, and Ctrl-C
    stops the run (``KeyboardInterrupt``).
    """
    text, is_text, origin = _source(scenario)
    raw = _unrest.run(text, is_text, origin, _sets(set, scale), seed, steps, outburst_threshold)
    return Result(raw)


class Model:
    """A lattice scenario stepped from Python, as a Mesa model is.

        m = unrest.Model("epstein-run2", seed=3)
        m.step(100)
        m.counts            # {'step': 100, 'quiet': ..., 'active': ..., ...}
        m.grid              # (height, width) uint8 array, codes in GRID_CODES
        m.hardship          # per-agent NumPy arrays (see `agent columns`)

    The same seed gives the same counts as ``unrest run`` step by step.
    Agent columns are indexed by agent slot (citizens and cops, alive or
    not): ``state`` (codes in :data:`AGENT_STATES`), ``site`` (``y * width + x``),
    ``hardship``, ``risk_aversion``, ``jail_term`` (steps left) and ``group``
    (Model II). Each is a fresh copy.
    """

    _COLUMNS = ("state", "site", "hardship", "risk_aversion", "jail_term", "group")

    def __init__(self, scenario: ScenarioLike, seed: int | None = None, set: SetLike = None):
        text, is_text, origin = _source(scenario)
        self._m = _unrest.Model(text, is_text, origin, _sets(set), seed)

    def step(self, n: int = 1) -> None:
        """Makes ``n`` steps (the GIL released; Ctrl-C stops between chunks)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        self._m.step(int(n))

    def run(self) -> None:
        """Steps to the scenario's ``steps`` (what ``unrest run`` makes)."""
        self.step(max(0, self.steps - self.step_index))

    @property
    def counts(self) -> dict[str, int]:
        """Counts after the last step: step, quiet, active, jailed, dead, cops,
        arrests and kills (during that step), alive_b (Model II)."""
        out: dict[str, int] = self._m.counts()
        return out

    @property
    def grid(self) -> np.ndarray:
        """The lattice as a ``(height, width)`` uint8 array: 0 empty, 1 quiet,
        2 active, 3 jailed (held on its site), 4 cop (:data:`GRID_CODES`).
        ``grid[y, x]`` is site ``y * width + x``."""
        return np.frombuffer(self._m.grid(), dtype=np.uint8).reshape(self.height, self.width).copy()

    def __getattr__(self, name: str) -> np.ndarray:
        if name in Model._COLUMNS:
            data, dtype = self._m.agent_column(name)
            return np.frombuffer(data, dtype=np.dtype(dtype)).copy()
        raise AttributeError(f"'Model' object has no attribute {name!r}")

    def __dir__(self) -> _list[str]:
        return sorted(builtins.set(super().__dir__()) | builtins.set(Model._COLUMNS))

    @property
    def timeseries(self) -> pa.Table:
        """Counts of every step made so far, step 0 first (``timeseries.csv``'s columns)."""
        return _table(self._m.timeseries())

    def summary(self, outburst_threshold: int = 50) -> dict[str, Any]:
        """``summary.json`` of the steps made so far (``wall_seconds`` is 0)."""
        out: dict[str, Any] = json.loads(self._m.summary(outburst_threshold))
        return out

    step_index = property(lambda self: self._m.step_index, doc="Steps made so far.")
    width = property(lambda self: self._m.width, doc="Lattice width.")
    height = property(lambda self: self._m.height, doc="Lattice height.")
    steps = property(lambda self: self._m.steps, doc="The scenario's number of steps.")
    name = property(lambda self: self._m.name, doc="The scenario's name.")
    seed = property(lambda self: self._m.seed, doc="The seed.")
    hash = property(lambda self: self._m.hash, doc="Hash of the resolved parameters (as in summary.json).")

    def __repr__(self) -> str:
        return f"<unrest.Model {self.name!r} {self.width}x{self.height} seed {self.seed} at step {self.step_index}>"


def validate(
    scenario: ScenarioLike,
    seeds: int = 20,
    seed: int | None = None,
    set: SetLike = None,
    scale: float | None = None,
    required: float = 0.8,
    posterior: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Runs a country scenario over ``seeds`` seeds and judges it against its
    ``[[criteria]]``, as ``unrest validate --json`` does.

    Returns that JSON object (``criteria`` with each one's ``share`` of runs
    met, ``measured`` and ``miss`` per run; ``distance``; ``outcomes``), with
    ``ok`` added to each criterion (share >= ``required``) and ``passed``
    (every criterion ok: the CLI's exit status). ``posterior`` (a plan
    calibration's posterior.csv) draws each run's fitted values from it, as
    ``--posterior`` does.
    """
    if not 0.0 <= required <= 1.0:
        raise ValueError(f"required {required} must be between 0 and 1")
    text, is_text, origin = _source(scenario)
    post = None if posterior is None else os.fspath(posterior)
    out: dict[str, Any] = json.loads(_unrest.validate(text, is_text, origin, _sets(set, scale), seeds, seed, post))
    for c in out["criteria"]:
        c["ok"] = c["share"] + 1e-12 >= required
    out["required"] = required
    out["passed"] = all(c["ok"] for c in out["criteria"])
    return out


def sweep(spec: ScenarioLike, out: str | os.PathLike[str] | None = None, jobs: int | None = None) -> pa.Table:
    """Runs a sweep spec (a path, a TOML string or a dict; see
    docs/experiments.md) as ``unrest sweep`` does and returns its runs table
    (``runs.parquet``'s rows: run, point, replicate, seed, the varied
    parameters, the metrics).

    With ``out``, the results and journal stay there and a second call
    resumes; without, they go to a temporary directory that is removed.
    """
    text, is_text, origin = _source(spec)
    if out is not None:
        return _table(_unrest.sweep(text, is_text, origin, os.fspath(out), jobs, False)["runs"])
    with tempfile.TemporaryDirectory(prefix="unrest-sweep-") as tmp:
        return _table(_unrest.sweep(text, is_text, origin, tmp, jobs, False)["runs"])


class Comparison:
    """What :func:`compare` returns: ``table`` (``compare.csv``: per variant
    and measure the estimate with its 95% interval and the paired
    difference from the baseline) and ``runs`` (``runs.csv``: every run)."""

    def __init__(self, raw: Mapping[str, Any]):
        self.name: str = raw["name"]
        self.table: pa.Table = _table(raw["table"])
        self.runs: pa.Table = _table(raw["runs"])

    def to_pandas(self, table: str = "table") -> Any:
        """``"table"`` or ``"runs"`` as a pandas DataFrame."""
        return _pandas(self.runs if table == "runs" else self.table)

    def to_polars(self, table: str = "table") -> Any:
        """``"table"`` or ``"runs"`` as a polars DataFrame."""
        return _polars(self.runs if table == "runs" else self.table)

    def __repr__(self) -> str:
        return f"<unrest.Comparison {self.name!r}: {self.table.num_rows} rows, {self.runs.num_rows} runs>"


def _edits(edits: Any) -> _list[tuple[str, str]]:
    """A variant's edits: a dict, "k=v; k=v", or an iterable of either form."""
    if isinstance(edits, str):
        edits = [e for e in (p.strip() for p in edits.split(";")) if e]
    return _sets(edits)


def compare(
    scenario: ScenarioLike,
    variants: Mapping[str, Any],
    seeds: int = 20,
    seed: int | None = None,
    set: SetLike = None,
    scale: float | None = None,
    posterior: str | os.PathLike[str] | None = None,
) -> Comparison:
    """What if: a country scenario as recorded and each variant over the same
    seeds, as ``unrest compare`` does. ``variants`` maps a label to its edits
    (``{"without the CSTO": {"events.drop": "foreign_troops_in"}}``, or
    ``"events.drop=foreign_troops_in; loyalty.wavering=2"``). ``posterior``
    draws run i's fitted values, the same for every variant, as ``--posterior``."""
    if not variants:
        raise ValueError("name at least one variant to compare with the scenario as it is")
    text, is_text, origin = _source(scenario)
    plan = [(str(label), _edits(e)) for label, e in variants.items()]
    post = None if posterior is None else os.fspath(posterior)
    return Comparison(_unrest.compare(text, is_text, origin, _sets(set, scale), plan, seeds, seed, post))


class Calibration:
    """What :func:`calibrate` returns: every ``draws`` (``draws.parquet``), the
    accepted ``posterior`` (``posterior.parquet``) and the ``best`` draw (its
    parameter values, distance and seed). A plan's ABC-SMC (``plan=``) gives
    the ``posterior`` only (its particles and weights); ``draws`` and ``best``
    are ``None`` and its other files are in ``out``."""

    def __init__(self, raw: Mapping[str, Any]):
        self.draws: pa.Table | None = _maybe_table(raw.get("draws"))
        self.posterior: pa.Table = _table(raw["posterior"])
        self.best: dict[str, Any] | None = json.loads(raw["best"]) if "best" in raw else None

    def __repr__(self) -> str:
        n = "-" if self.draws is None else self.draws.num_rows
        return f"<unrest.Calibration {n} draws, {self.posterior.num_rows} in the posterior, best {self.best}>"


def calibrate(
    scenario: str | os.PathLike[str] | None = None,
    target: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    params: Mapping[str, tuple[float, float]] | None = None,
    draws: int = 1000,
    accept: float = 0.05,
    replicates: int = 1,
    seed: int = 1,
    set: SetLike = None,
    jobs: int | None = None,
    plan: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    write_model: str | os.PathLike[str] | None = None,
) -> Calibration:
    """ABC rejection, as ``unrest calibrate`` does: ``draws`` prior draws of
    ``params`` (``{"legitimacy": (0.6, 0.95)}``; integer bounds draw integers),
    each run and compared with ``target`` (a built-in such as ``"KAZ-2022"``,
    a TOML file or string with a ``[stats]`` table, or a dict of it); the
    ``accept`` share closest are the posterior. The scenario is a built-in
    name or a path (each run reloads it).

    With ``plan=`` (a plan file, docs/experiments.md) it is ``unrest calibrate
    --plan``: ABC-SMC of the shared model against many episodes, journalled in
    ``out`` (default ``results/calibrate-<plan name>``, as the CLI's) and
    resumed from it; ``write_model`` writes the best particle into a model file.
    """
    if plan is not None:
        if scenario is not None or target is not None or params is not None:
            raise ValueError("plan= runs a plan file: give no scenario, target or params with it")
        stem = os.path.splitext(os.path.basename(os.fspath(plan)))[0]
        where = os.fspath(out) if out is not None else os.path.join("results", f"calibrate-{stem}")
        model = None if write_model is None else os.fspath(write_model)
        return Calibration(_unrest.calibrate_plan(os.fspath(plan), where, jobs, model))
    if scenario is None or target is None or not params:
        raise ValueError("calibrate needs a scenario, a target and params (or plan=)")
    t: str
    if isinstance(target, Mapping):
        t, t_text = _unrest.json_to_toml(json.dumps(target)), True
    elif isinstance(target, str) and "\n" in target:
        t, t_text = target, True
    else:
        t, t_text = os.fspath(target), False
    priors = [f"{name}={_value(lo)}:{_value(hi)}" for name, (lo, hi) in params.items()]
    raw = _unrest.calibrate(
        os.fspath(scenario), t, t_text, priors, _sets(set), draws, accept, replicates, seed, jobs
    )
    return Calibration(raw)
