"""Type stubs of the native module `unrest._unrest` (crates/unrest-py).

Use the `unrest` package's functions; these are the plain-value calls they make.
Tables come back as Arrow IPC streams (bytes), summaries and reports as JSON text.
"""

from typing import Any

class ScenarioError(ValueError):
    """A scenario, spec, target or override that cannot be used; the CLI's message."""

def builtins() -> list[tuple[str, str, str]]: ...
def json_to_toml(json: str) -> str: ...
def json_to_toml_value(json: str) -> str: ...
def version() -> str: ...
def check(scenario: str, is_text: bool, origin: str | None, sets: list[tuple[str, str]]) -> str: ...
def run(
    scenario: str,
    is_text: bool,
    origin: str | None,
    sets: list[tuple[str, str]],
    seed: int | None,
    steps: int | None,
    outburst_threshold: int,
) -> dict[str, Any]: ...
def validate(
    scenario: str,
    is_text: bool,
    origin: str | None,
    sets: list[tuple[str, str]],
    seeds: int,
    seed: int | None,
    posterior_csv: str | None,
) -> str: ...
def sweep(
    spec: str, is_text: bool, origin: str | None, out: str, jobs: int | None, csv: bool
) -> dict[str, Any]: ...
def compare(
    scenario: str,
    is_text: bool,
    origin: str | None,
    sets: list[tuple[str, str]],
    plan: list[tuple[str, list[tuple[str, str]]]],
    seeds: int,
    seed: int | None,
    posterior_csv: str | None,
) -> dict[str, Any]: ...
def calibrate(
    scenario: str,
    target: str,
    target_is_text: bool,
    params: list[str],
    sets: list[tuple[str, str]],
    draws: int,
    accept: float,
    replicates: int,
    seed: int,
    jobs: int | None,
) -> dict[str, Any]: ...
def calibrate_plan(plan: str, out: str, jobs: int | None, write_model: str | None) -> dict[str, Any]: ...

class Model:
    name: str
    hash: str
    seed: int
    steps: int
    step_index: int
    width: int
    height: int
    def __init__(
        self, scenario: str, is_text: bool, origin: str | None, sets: list[tuple[str, str]], seed: int | None
    ) -> None: ...
    def step(self, n: int) -> None: ...
    def counts(self) -> dict[str, int]: ...
    def grid(self) -> bytes: ...
    def agent_column(self, name: str) -> tuple[bytes, str]: ...
    def timeseries(self) -> bytes: ...
    def summary(self, outburst_threshold: int) -> str: ...
