"""Shared fixtures: the `unrest` command-line binary the tests compare with.

The binary is $UNREST_BIN, else target/{debug,release}/unrest of this
repository (scripts/python-e2e.sh builds it and sets UNREST_BIN).
"""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _find_cli() -> pathlib.Path | None:
    env = os.environ.get("UNREST_BIN")
    if env:
        return pathlib.Path(env)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        p = target / profile / "unrest"
        if p.exists():
            return p
    return None


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    p = _find_cli()
    if p is None or not p.exists():
        pytest.skip("no unrest binary (cargo build -p unrest-cli, or set UNREST_BIN)")
    return p


@pytest.fixture(scope="session")
def run_cli(cli):
    """Runs the CLI from the repository root; returns the completed process."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        p = subprocess.run([str(cli), *args], cwd=REPO, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"unrest {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return p

    return run
