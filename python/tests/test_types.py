"""The package's annotations and the native module's stubs agree (mypy on python/unrest)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

import unrest

PACKAGE = pathlib.Path(unrest.__file__).parent
SOURCE = pathlib.Path(__file__).resolve().parents[1] / "unrest"


def test_stubs_and_py_typed_are_installed():
    assert (PACKAGE / "py.typed").exists()
    assert (PACKAGE / "_unrest.pyi").exists()


def test_mypy_accepts_the_package():
    pytest.importorskip("mypy")
    p = subprocess.run(
        # The cache lives in the venv (fast when warm; nothing written into the repository).
        [sys.executable, "-m", "mypy", "--cache-dir", str(pathlib.Path(sys.prefix) / "mypy-cache"),
         "--disallow-untyped-defs", str(SOURCE)],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stdout + p.stderr
