"""Why a lever did or did not matter: `aiscale compare` shows, for each scenario, the
binding constraint and each ceiling's slack in the years its interventions act."""

import warnings

import numpy as np
import pandas as pd
import pytest

from aiscale.cli import main
from aiscale.model import CONSTRAINTS
from aiscale.scenarios import load_scenario
from aiscale.scenarios.compare import acting_years, compare


@pytest.fixture(scope="module")
def comparison(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return compare(["baseline", "pause", "taiwan-shock"], stop=2036, model=model)


@pytest.mark.parametrize("name,years", [
    ("baseline", []),
    ("pause", [2027.0, 2031.75]),                 # a cap over [2027, 2032): its start and last quarter
    ("taiwan-shock", [2027.0, 2034.0]),           # a schedule: its first and last times
    ("data-restrictions", [2025.0, 2028.0, 2030.0]),  # a ramp to 2030 and an open-ended step (+3 years)
])
def test_the_years_a_scenarios_interventions_act(model, name, years):
    assert acting_years(load_scenario(name, model), 2012, 2060) == years
    assert acting_years(load_scenario(name, model), 2012, 2027.5) == [y for y in years if y <= 2027.5]


def test_slack_is_orders_of_magnitude_above_the_largest_run(comparison):
    slack = comparison.slack
    assert list(slack.columns) == ["binding", *(f"slack_{c}" for c in CONSTRAINTS)]
    assert list(slack.loc["pause"].index) == [2027.0, 2031.75]
    assert list(slack.loc["baseline"].index) == [2027.0, 2031.75, 2034.0]  # the others' years, for reference
    for (label, year), row in slack.iterrows():
        frame = comparison.results[label].frame
        k = frame.index.get_indexer([year])[0]
        for c in CONSTRAINTS:
            expected = np.log10(frame[f"max_run_flop_{c}"].iloc[k] / frame["largest_training_run_flop"].iloc[k])
            assert row[f"slack_{c}"] == pytest.approx(expected, abs=1e-12)
            assert row[f"slack_{c}"] >= -1e-9
        if row["binding"] in CONSTRAINTS:
            # the installed fleet carries history: after the binding resource switches it sits a
            # below the potential fleets, so the lowest ceiling sits up to ~0.1 OOM above the run
            assert row[f"slack_{row['binding']}"] == pytest.approx(0.0, abs=0.1)


def test_a_cap_that_holds_shows_policy_and_slack_in_every_ceiling(comparison):
    """While the pause holds runs at 2e27, no resource binds: every ceiling has slack, so
    loosening any of them would not have mattered."""
    row = comparison.slack.loc[("pause", 2031.75)]
    assert row["binding"] == "policy"
    assert all(row[f"slack_{c}"] > 0.3 for c in CONSTRAINTS)
    base = comparison.slack.loc[("baseline", 2031.75)]
    assert base["binding"] in CONSTRAINTS and base[f"slack_{base['binding']}"] == pytest.approx(0, abs=0.1)


def test_compare_prints_the_slack_and_writes_slack_csv(tmp_path, capsys):
    assert main(["compare", "baseline", "pause", "--until", "2033", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "why a lever did or did not matter" in out
    block = out.split("in the years the interventions act", 1)[1]
    assert "pause" in block and "policy" in block and "latency" in block
    slack = pd.read_csv(tmp_path / "slack.csv")
    assert list(slack.columns) == ["scenario", "year", "binding", *(f"slack_{c}" for c in CONSTRAINTS)]
    assert set(slack["scenario"]) == {"baseline", "pause"}
