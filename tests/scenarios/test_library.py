"""The built-in scenarios: each runs, is documented, and moves the model the way its
lever says (always against the baseline, with the same model)."""

import numpy as np
import pytest

from aiscale.scenarios import builtin_names
from aiscale.scenarios.metrics import binding_constraint_changes

REQUIRED = {"baseline", "compute-threshold", "export-controls", "taiwan-shock", "fab-subsidies",
            "power-permitting", "data-restrictions", "synthetic-data-works", "synthetic-data-fails",
            "investment-pullback", "pause", "strong-ai-research", "weak-ai-research", "compute-tax"}


def later(a, b):
    """a is later than b, counting "never reached" (NaN) as latest."""
    return (np.isnan(a) and not np.isnan(b)) or a > b


def test_the_library_has_every_scenario_documented(library_runs):
    assert REQUIRED <= set(builtin_names())
    for name, (scenario, result, metrics) in library_runs.items():
        assert scenario.description and scenario.rationale.strip() and scenario.sources, name
        assert name == "baseline" or scenario.lineage[-1] == "baseline", name
        assert name == "baseline" or scenario.interventions or scenario.parameters, name
        assert result.frame.index[0] == 2012 and np.isfinite(result.frame["largest_training_run_flop"]).all()
        assert not np.isnan(metrics["run_1e26_year"]), name


def metric(library_runs, name, key):
    return library_runs[name][2][key]


def test_taiwan_shock_delays_the_1e28_milestone(library_runs):
    assert later(metric(library_runs, "taiwan-shock", "run_1e28_year"), metric(library_runs, "baseline", "run_1e28_year"))


def test_a_five_year_pause_delays_1e28_by_a_substantial_part_of_five_years(library_runs):
    base = metric(library_runs, "baseline", "run_1e28_year")
    paused = metric(library_runs, "pause", "run_1e28_year")
    assert paused - base >= 2.0  # measured 2.2 with the v2 economy of issue 11 (1e28 in 2029.6 without the pause)
    frame = library_runs["pause"][1].frame
    during = frame.loc[2027.0:2031.75, "largest_training_run_flop"]
    assert (during <= 2e27 * (1 + 1e-12)).all()
    assert any(to == "policy" for _, _, to in binding_constraint_changes(frame))


def test_a_cap_holds_the_largest_run_at_the_cap(library_runs):
    frame = library_runs["compute-threshold"][1].frame
    after = frame.loc[2027.0:]
    assert (after["largest_training_run_flop"] <= 1e27 * (1 + 1e-12)).all()
    held = after["largest_training_run_flop__base"] > 1e27  # where the model would run above the cap
    assert held.sum() >= 8 and np.isclose(after.loc[held, "largest_training_run_flop"], 1e27, rtol=1e-12).all()
    assert np.isnan(metric(library_runs, "compute-threshold", "run_1e28_year"))
    # algorithms keep improving under the cap
    assert after["effective_compute_flop"].iloc[-1] > 10 * after["effective_compute_flop"].iloc[0]


def no_later(a, b):
    """a is no later than b, counting "never reached" (NaN) as latest."""
    return np.isnan(b) or a <= b


def test_synthetic_data_that_works_delays_or_removes_the_data_constraint(library_runs):
    works, base, fails = (metric(library_runs, name, "data_binding_year")
                          for name in ("synthetic-data-works", "baseline", "synthetic-data-fails"))
    assert later(works, base) or np.isnan(works)
    # and failing synthetic data brings it forward (with 1% of generated text usable the
    # baseline never runs short of data; without synthetic data it does, by ~2030)
    assert no_later(fails, base) and 2026 <= fails <= 2034


def test_strong_ai_research_shortens_takeoff_and_weak_lengthens_it(library_runs):
    for key in ("takeoff_automation_years", "takeoff_research_years"):
        base = metric(library_runs, "baseline", key)
        assert metric(library_runs, "strong-ai-research", key) < base, key
        assert later(metric(library_runs, "weak-ai-research", key), base), key


@pytest.mark.parametrize("name,key", [
    ("export-controls", "run_1e28_year"),
    ("power-permitting", "run_1e28_year"),
    ("compute-tax", "run_1e30_year"),
    ("investment-pullback", "run_1e30_year"),
    ("synthetic-data-fails", "run_1e30_year"),
])
def test_restrictive_levers_delay_milestones(library_runs, name, key):
    assert later(metric(library_runs, name, key), metric(library_runs, "baseline", key))


@pytest.mark.xfail(reason="data binds only briefly in the v2 baseline; open in issue 10", strict=False)
def test_data_restrictions_make_data_bind_sooner(library_runs):
    assert no_later(metric(library_runs, "data-restrictions", "data_binding_year"),
                    metric(library_runs, "baseline", "data_binding_year"))
    base = library_runs["baseline"][1].frame["max_run_flop_data"]
    restricted = library_runs["data-restrictions"][1].frame["max_run_flop_data"]
    window = slice(2026.0, 2034.0)
    assert (restricted.loc[window] < base.loc[window]).all()  # the lever lowers the data ceiling


@pytest.mark.xfail(reason="in model v2 chips bind 2024-2027, before the subsidy build-out lands, so the ceiling test of v1 no longer holds as written; open in issue 10", strict=False)
def test_fab_subsidies_raise_the_chip_ceiling(library_runs):
    base = library_runs["baseline"][1].frame["max_run_flop_chips"]
    subsidised = library_runs["fab-subsidies"][1].frame["max_run_flop_chips"]
    window = slice(2026.0, 2034.0)
    assert (subsidised.loc[window] > base.loc[window]).all()
    assert (subsidised.loc[:2022.75] == base.loc[:2022.75]).all()  # nothing changes before 2023
