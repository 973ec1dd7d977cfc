#!/usr/bin/env bash
# End-to-end test of the Python package (python/, crates/unrest-py; docs/python.md):
# builds and installs it into a venv with one pip command, runs its pytest suite
# (python/tests: the same numbers as the CLI's files, errors, Ctrl-C), and executes
# examples/unrest.ipynb.
#
# The venv lives under ${XDG_CACHE_HOME:-~/.cache}/unrest-ci/py-venv, so later runs on
# the same machine skip the downloads. The extension is built with cargo's dev profile
# (what the tests need; `pip install ./python` builds release for users), into the
# workspace's target directory, so the crates the CLI's build compiled are reused.
#
# Without python3, or without its venv module, it says so and skips (exit 0); any
# other failure (a registry that cannot be reached, a failing test or cell) fails it.
# Usage: scripts/python-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
started=$(date +%s)
say() { printf '\n== [%3d s] %s\n' "$(( $(date +%s) - started ))" "$*"; }

if ! command -v python3 >/dev/null; then
  echo "note: python3 not found; SKIPPING the Python package's tests (scripts/python-e2e.sh)" >&2
  exit 0
fi
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/unrest-ci/py-venv"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  if ! python3 -m venv "$VENV"; then
    rm -rf "$VENV"
    echo "note: python3 -m venv failed (Debian: apt-get install python3-venv); SKIPPING the Python package's tests" >&2
    exit 0
  fi
fi
PY="$VENV/bin/python"

# The CLI the tests compare with: UNREST_BIN when the caller built it (.ci/run's test
# build does), else built here.
if [ -z "${UNREST_BIN:-}" ]; then
  say "building the unrest CLI the tests compare with"
  cargo build -q -p unrest-cli
  export UNREST_BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/unrest"
fi
export UNREST_BIN

say "pip install ./python[test,notebook] (maturin; dev profile)"
MATURIN_PEP517_ARGS="--profile dev" "$PY" -m pip install -q --disable-pip-version-check "./python[test,notebook]"
"$PY" -c 'import unrest, sys; print("unrest", unrest.__version__, "on Python", sys.version.split()[0])'

say "pytest python/tests"
"$PY" -m pytest -q -p no:cacheprovider python/tests

say "executing examples/unrest.ipynb"
(cd examples && "$PY" - <<'PYEOF'
import time
import nbformat
from nbclient import NotebookClient

t = time.perf_counter()
nb = nbformat.read("unrest.ipynb", as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False).execute()
cells = sum(1 for c in nb.cells if c.cell_type == "code")
print(f"examples/unrest.ipynb: {cells} code cells ran without error in {time.perf_counter() - t:.1f} s")
PYEOF
)
echo "python-e2e: passed in $(( $(date +%s) - started )) s"
