"""README's Python example runs as written."""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_readme_python_example_runs():
    text = (REPO / "README.md").read_text()
    section = text.split("## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1 and len(blocks[0].strip().splitlines()) == 6
    env: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), env)
    assert env["r"].kind == "country" and env["m"].step_index == 100
