"""Scenario files: loading, inheritance, and one precise message per kind of bad input."""

import textwrap

import pytest

from aiscale.cli import main
from aiscale.scenarios import ScenarioError, builtin_names, load_scenario, parse_scenario

GOOD = """
name = "mine"
description = "a test scenario"
extends = "baseline"
sources = ["nowhere"]

[parameters]
fab_construction_years = 4

[[interventions]]
kind = "cap"
target = "largest_training_run_flop"
start = 2030
value = 1e28

[distributions]
research_returns = { kind = "lognormal", median = 2.0, sigma = 0.3 }

[[correlations]]
between = ["research_returns", "flop_gap"]
rank = 0.2
why = "a test"
"""


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_scenario_file_merges_with_what_it_extends(tmp_path, model):
    s = load_scenario(write(tmp_path, GOOD), model)
    assert s.name == "mine" and s.lineage == ("baseline",)
    assert s.parameters == {"fab_construction_years": 4.0}
    assert [iv.kind for iv in s.interventions] == ["cap"]
    assert s.distributions["research_returns"].kind == "lognormal"
    base = load_scenario("baseline", model)
    assert set(base.correlations) < set(s.correlations)  # inherited, plus its own
    applied = s.apply(model)
    assert applied.parameters["fab_construction_years"].value == 4.0
    assert "largest_training_run_flop__base" in applied.equations
    # a child of the child, by relative path, adds its interventions after the parent's
    child = write(tmp_path, """
        name = "child"
        extends = "s.toml"
        [[interventions]]
        kind = "step"
        target = "export_controlled_share"
        start = 2030
        value = 0.2
        """, "child.toml")
    c = load_scenario(child, model)
    assert [iv.target for iv in c.interventions] == ["largest_training_run_flop", "export_controlled_share"]
    assert c.lineage == ("mine", "baseline") and c.parameters == s.parameters
    # the resolved TOML reads back to the same scenario
    again = parse_scenario(c.to_toml(), model)
    assert again.parameters == c.parameters and again.interventions == c.interventions
    assert again.correlations == c.correlations


def test_the_calibration_format_is_a_scenario(tmp_path, model):
    path = write(tmp_path, """
        # fit date: today
        name = "calibrated"
        description = "Parameters fitted to history"
        [parameters]
        reinvestment_ratio = 3.0
        """)
    assert load_scenario(path, model).parameters == {"reinvestment_ratio": 3.0}


BAD = [
    ("unknown parameter", """
        [parameters]
        fab_constrution_years = 4
        """, "unknown parameter 'fab_constrution_years' (did you mean: fab_construction_years?)"),
    ("wrong type", """
        [parameters]
        fab_construction_years = "three"
        """, "[parameters] fab_construction_years must be a number, not a string ('three')"),
    ("boolean is not a number", """
        [parameters]
        fab_construction_years = true
        """, "must be a number, not a boolean"),
    ("not a number", """
        [parameters]
        fab_construction_years = nan
        """, "[parameters] fab_construction_years must be a finite number, not nan"),
    ("infinite intervention value", """
        [[interventions]]
        kind = "step"
        target = "compute_tax_rate"
        start = 2030
        value = inf
        """, "'value' must be a finite number, not inf"),
    ("out of range", """
        [parameters]
        fab_construction_years = 9
        """, "fab_construction_years = 9 is out of range: it must lie in [2, 5] (year)"),
    ("intervention on a non-existent target", """
        [[interventions]]
        kind = "cap"
        target = "largest_trainig_run_flop"
        start = 2027
        value = 1e27
        """, "unknown intervention target 'largest_trainig_run_flop' (did you mean: largest_training_run_flop"),
    ("intervention on a stock", """
        [[interventions]]
        kind = "step"
        target = "frontier_cluster_share"
        start = 2027
        value = 1
        """, "is a stock, which only its flows change"),
    ("intervention value out of range", """
        [[interventions]]
        kind = "step"
        target = "supply_disruption_fraction"
        start = 2027
        value = 1.5
        """, "outside its range [0, 1]"),
    ("intervention kind", """
        [[interventions]]
        kind = "clamp"
        target = "export_controlled_share"
        start = 2027
        value = 0.1
        """, "intervention 1: unknown intervention kind 'clamp'"),
    ("intervention times", """
        [[interventions]]
        kind = "pulse"
        target = "export_controlled_share"
        start = 2027
        end = 2020
        value = 0.1
        """, "end (2020) must be after start (2027)"),
    ("intervention key", """
        [[interventions]]
        kind = "step"
        target = "export_controlled_share"
        begin = 2027
        value = 0.1
        """, "unknown key 'begin'"),
    ("top-level key", """
        [paramters]
        fab_construction_years = 4
        """, "unknown key 'paramters' (did you mean: parameters?)"),
    ("unknown extends", """
        extends = "basline"
        """, "extends: unknown scenario 'basline' (did you mean: baseline?)"),
    ("distribution kind", """
        [distributions]
        research_returns = { kind = "gamma", low = 1, high = 2 }
        """, "[distributions] research_returns: unknown distribution kind 'gamma'"),
    ("distribution out of range", """
        [distributions]
        research_returns = { kind = "uniform", low = 0.1, high = 2 }
        """, "[distributions] research_returns: [0.1, 2] is out of range: it must lie in [0.5, 3]"),
    ("correlation out of range", """
        [[correlations]]
        between = ["research_returns", "flop_gap"]
        rank = 1.5
        """, "rank = 1.5 is out of range"),
    ("correlation names", """
        [[correlations]]
        between = ["research_return", "flop_gap"]
        rank = 0.5
        """, "unknown parameter 'research_return' (did you mean: research_returns"),
]


@pytest.mark.parametrize("label,text,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_a_precise_one_line_message(tmp_path, model, label, text, message):
    path = write(tmp_path, 'name = "bad"\n' + textwrap.dedent(text))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, model)
    text = str(info.value)
    assert message in text, text
    assert text.startswith(str(path)) and "\n" not in text


def test_malformed_toml_names_the_line(tmp_path, model):
    path = write(tmp_path, 'name = "bad"\n\n[parameters]\nfab_construction_years 4\n')
    with pytest.raises(ScenarioError, match=r"malformed TOML: .*\(at line 4, column \d+\)"):
        load_scenario(path, model)


def test_cyclic_extends_is_reported_with_the_cycle(tmp_path, model):
    write(tmp_path, 'name = "a"\nextends = "b.toml"\n', "a.toml")
    write(tmp_path, 'name = "b"\nextends = "c.toml"\n', "b.toml")
    write(tmp_path, 'name = "c"\nextends = "a.toml"\n', "c.toml")
    with pytest.raises(ScenarioError, match=r"cyclic 'extends': a -> b -> c -> a"):
        load_scenario(tmp_path / "a.toml", model)
    write(tmp_path, 'name = "self"\nextends = "self.toml"\n', "self.toml")
    with pytest.raises(ScenarioError, match="cyclic 'extends': self -> self"):
        load_scenario(tmp_path / "self.toml", model)


def test_unknown_scenario_names_and_missing_files(model):
    with pytest.raises(ScenarioError, match=r"unknown scenario 'pasue' \(did you mean: pause\?\)"):
        load_scenario("pasue", model)
    with pytest.raises(ScenarioError, match="no scenario file"):
        load_scenario("nowhere/none.toml", model)
    assert len(builtin_names()) >= 12


@pytest.mark.parametrize("verb", [["run", "--until", "2014"], ["compare", "baseline"],
                                  ["ensemble", "-n", "4"], ["sensitivity", "-n", "2"]])
def test_cli_rejects_a_bad_scenario_with_exit_2_and_one_line(tmp_path, capsys, verb):
    bad = write(tmp_path, 'name = "bad"\n[parameters]\nfab_construction_years = 9\n')
    out = tmp_path / "out"
    argv = [*verb, "--out", str(out / "x.nc" if verb[0] == "ensemble" else out)]
    if verb[0] == "run":
        argv += ["--scenario", str(bad)]
    else:
        argv.insert(1, str(bad))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "out of range" in err and err.startswith(f"aiscale {verb[0]}: error:")
    assert not out.exists()
