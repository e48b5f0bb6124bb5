"""The playground's tables, settings and scenario files, without a browser."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from aiscale.cli import main
from aiscale.playground import controls as controls_module
from aiscale.playground.controls import CHARTS, CONTROLS, FANS, chart_columns, controls
from aiscale.playground.session import FILE_NAME, PREVIEW, Playground, Settings, SettingsError, ensemble, fan
from aiscale.scenarios import load_scenario
from aiscale.scenarios.ensemble import SERIES
from aiscale.scenarios.ensemble import Settings as EnsembleSettings
from aiscale.scenarios.ensemble import monte_carlo
from aiscale.scenarios.scenario import base_model, builtin_names
from aiscale.stocks_flows import ModelError

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def playground():
    return Playground("baseline")


def test_every_control_is_a_parameter_with_a_range():
    table = controls(base_model())
    assert 20 <= len(table) <= 30
    groups = [c["group"] for c in table]
    assert len(set(groups)) == 7
    for c in table:
        p = base_model().parameters[c["name"]]
        assert (c["unit"], c["low"], c["high"], c["doc"], c["source"]) == (
            p.unit or "dimensionless", p.low, p.high, p.doc, p.source)
        assert c["log"] == (p.low > 0 and p.high / p.low >= 100)
    assert {c["name"] for c in table if c["lever"]} <= set(__import__(
        "aiscale.scenarios.distributions", fromlist=["POLICY_LEVERS"]).POLICY_LEVERS)
    assert next(c for c in table if c["name"] == "full_automation_effective_flop")["log"]


def test_a_control_that_names_no_parameter_fails_naming_it(monkeypatch):
    monkeypatch.setattr(controls_module, "CONTROLS", (*CONTROLS, ("Data", "flop_gapp", None)))
    with pytest.raises(ModelError, match=r"playground control 'flop_gapp' \(Data\) names no parameter of the model"
                                         r" \(did you mean: flop_gap[,?].*\): edit CONTROLS"):
        controls(base_model())
    monkeypatch.setattr(controls_module, "CONTROLS", (("Data", "flop_per_token_parameter", None),))
    with pytest.raises(ModelError, match="has no range to slide over"):
        controls(base_model())


def test_every_chart_and_fan_draws_model_outputs(playground):
    model = base_model()
    assert set(chart_columns()) <= set(model.plan.public_names)
    assert {name for name, _, _ in FANS} <= set(SERIES)
    assert all(chart["series"] for chart in CHARTS)


def test_settings_travel_in_the_address():
    settings = Settings("pause", 2045.0, {"flop_gap": "100", "compute_tax_rate": "0.3"}, {"compute_tax_rate": 2030.0})
    query = settings.query()
    assert "compute_tax_rate=0.3@2030" in query
    assert Settings.from_query(query) == settings
    with pytest.raises(SettingsError, match="until: the year must be a number"):
        Settings.from_query("until=soon")
    with pytest.raises(SettingsError, match="must be a finite number"):
        Settings.from_query("compute_tax_rate=0.3@inf")


def test_config_offers_every_builtin_scenario_with_its_values(playground):
    config = playground.config()
    assert [s["key"] for s in config["scenarios"]][0] == "baseline"
    assert {s["key"] for s in config["scenarios"]} == set(builtin_names())
    tax = next(s for s in config["scenarios"] if s["key"] == "compute-tax")
    assert (tax["values"]["compute_tax_rate"], tax["starts"]["compute_tax_rate"]) == (0.5, 2027.0)
    assert len(config["history"]["time"]) >= 10


def test_the_scenario_file_is_the_scenario_run(playground, tmp_path):
    settings = Settings("compute-tax", 2050.0, {"flop_gap": "300", "compute_tax_rate": "0.2"},
                        {"compute_tax_rate": 2031.0})
    scenario, text = playground.scenario(settings)
    assert text.startswith("# A scenario made in the aiscale playground") and f"--until 2050" in text
    doc = tomllib.loads(text)
    assert doc["parameters"]["flop_gap"] == 300
    steps = [iv for iv in doc["interventions"] if iv["target"] == "compute_tax_rate"]
    assert steps == [{"kind": "step", "target": "compute_tax_rate", "start": 2031.0, "value": 0.2,
                      "note": "set in the aiscale playground"}]  # the scenario's own step is replaced
    path = tmp_path / FILE_NAME
    path.write_text(text)
    again = load_scenario(path)
    assert (dict(again.parameters), again.interventions) == (dict(scenario.parameters), scenario.interventions)
    drawn = playground.run(settings, exact=False)
    expected = again.simulate(stop=2050, **PREVIEW).frame
    np.testing.assert_allclose(np.array(drawn["run"]["largest_training_run_flop"], dtype=float),
                               expected["largest_training_run_flop"], rtol=1e-12)
    assert drawn["reference"] == playground.reference(Settings("compute-tax", 2050.0), exact=False)["run"]


@pytest.mark.parametrize("values,control,message", [
    ({"flop_gap": "abc"}, "flop_gap", "[parameters] flop_gap must be a number, not a string ('abc')"),
    ({"flop_gap": "1e9"}, "flop_gap", "[parameters] flop_gap = 1e+09 is out of range: it must lie in [10, 1e+08]"),
    ({"flop_gap": "nan"}, "flop_gap", "[parameters] flop_gap must be a finite number, not nan"),
    ({"compute_tax_rate": "2"}, "compute_tax_rate", "sets parameter 'compute_tax_rate' to 2, outside its range"),
])
def test_bad_values_get_the_command_lines_message(playground, values, control, message, tmp_path, capsys):
    settings = Settings("baseline", 2060.0, values)
    with pytest.raises(SettingsError) as info:
        playground.run(settings, exact=False)
    assert message in str(info.value) and info.value.control == control
    path = tmp_path / FILE_NAME
    path.write_text(playground.scenario_toml(settings))
    assert main(["run", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.strip().endswith(f"{path}: {info.value}")


def test_other_bad_settings_are_one_line(playground):
    for settings, match in [(Settings("nope"), "unknown scenario 'nope'"),
                            (Settings(until=2200.0), r"the last year must lie in \(2012, 2100\]"),
                            (Settings(values={"gwp_2012": "7e13"}), "'gwp_2012' is not a control")]:
        with pytest.raises(SettingsError, match=match):
            playground.scenario_toml(settings)


def test_a_scenario_file_given_on_the_command_line_comes_first(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\nextends = "pause"\n[parameters]\nflop_gap = 1000\n')
    pg = Playground(str(path))
    config = pg.config()
    assert config["first"] == str(path) and config["scenarios"][0]["values"]["flop_gap"] == 1000
    assert len(config["scenarios"]) == len(builtin_names()) + 1
    scenario, _ = pg.scenario(Settings(str(path)))
    assert dict(scenario.parameters)["flop_gap"] == 1000 and scenario.interventions == load_scenario(
        "pause").interventions


def test_the_ensemble_fan_is_monte_carlo(playground):
    scenario, _ = playground.scenario(Settings(values={"flop_gap": "100"}, until=2035.0))
    ds = ensemble(scenario, 2035.0, n=24, seed=3, chunk_size=10)
    reference = monte_carlo(scenario, n=24, seed=3, settings=EnsembleSettings(stop=2035.0), workers=1)
    np.testing.assert_array_equal(ds["largest_training_run_flop"].values,
                                  reference["largest_training_run_flop"].values)
    out = fan(ds)
    assert out["members"] == 24 and len(out["time"]) == len(out["largest_training_run_flop"]["p50"])
    assert [row[0] for row in out["milestones"]][0] == "largest run >= 1e+28 FLOP"
