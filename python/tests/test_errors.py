"""Bad input raises ScenarioError (a ValueError) with the CLI's message."""

from __future__ import annotations

import pytest

import unrest


def _cli_message(run_cli, *args: str) -> str:
    p = run_cli(*args, check=False)
    assert p.returncode == 2, p
    assert p.stderr.startswith("error: ")
    return p.stderr[len("error: "):].rstrip("\n")


def test_scenario_error_is_a_value_error():
    assert issubclass(unrest.ScenarioError, ValueError)


def test_bad_path_names_the_file(run_cli):
    with pytest.raises(unrest.ScenarioError) as e:
        unrest.run("no/such/scenario.toml")
    assert "no/such/scenario.toml" in str(e.value)
    assert str(e.value) == _cli_message(run_cli, "run", "no/such/scenario.toml")


def test_unknown_name_lists_the_builtins():
    with pytest.raises(unrest.ScenarioError, match="not a built-in"):
        unrest.run("epstein-run9")


def test_bad_set_key_has_the_cli_message(run_cli):
    with pytest.raises(unrest.ScenarioError) as e:
        unrest.run("epstein-run1", set={"legitimacyy": 0.7})
    assert "unknown parameter `legitimacyy`" in str(e.value)
    assert str(e.value) == _cli_message(run_cli, "run", "epstein-run1", "--set", "legitimacyy=0.7")


def test_bad_set_value_and_country_key(run_cli):
    with pytest.raises(unrest.ScenarioError) as e:
        unrest.run("epstein-run1", set={"neighbourhood": "hex"})
    assert str(e.value) == _cli_message(run_cli, "run", "epstein-run1", "--set", "neighbourhood=hex")
    with pytest.raises(unrest.ScenarioError) as e:
        unrest.run("kazakhstan-2022", set={"loyalty.no_such_key": 1})
    assert str(e.value) == _cli_message(run_cli, "run", "kazakhstan-2022", "--set", "loyalty.no_such_key=1")


def test_malformed_set_string():
    with pytest.raises(unrest.ScenarioError, match="KEY=VALUE"):
        unrest.run("epstein-run1", set=["legitimacy"])


BAD_TOML = 'name = "bad"\npreset = "epstein"\n\n[params]\nneighbourhood = "hex"\n'


def test_bad_toml_string_names_line_and_column(run_cli, tmp_path):
    with pytest.raises(unrest.ScenarioError) as e:
        unrest.run(BAD_TOML)
    msg = str(e.value)
    assert msg.startswith("<string>:5:17: bad value for `neighbourhood`")
    f = tmp_path / "bad.toml"
    f.write_text(BAD_TOML)
    cli = _cli_message(run_cli, "run", str(f))
    assert cli == msg.replace("<string>", str(f), 1)


def test_toml_syntax_error_in_a_string():
    with pytest.raises(unrest.ScenarioError, match=r"^<string>:2:\d+: "):
        unrest.run('name = "x"\nsteps = = 3\n')


def test_model_refuses_a_country_scenario():
    with pytest.raises(unrest.ScenarioError, match="country scenario"):
        unrest.Model("kazakhstan-2022")


def test_steps_on_a_country_scenario_is_refused():
    with pytest.raises(unrest.ScenarioError, match="calendar"):
        unrest.run("kazakhstan-2022", steps=10)


def test_bad_sweep_spec_and_target(tmp_path):
    with pytest.raises(unrest.ScenarioError, match="<string>:"):
        unrest.sweep('scenario = "epstein-run2"\n[vary]\nlegitimacy = "high"\n')
    with pytest.raises(unrest.ScenarioError):
        unrest.calibrate("epstein-run2", "no-such-target.toml", {"legitimacy": (0.5, 0.9)}, draws=2)
    with pytest.raises(unrest.ScenarioError, match="not a country scenario"):
        unrest.validate("epstein-run1", seeds=1)
