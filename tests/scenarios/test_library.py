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
    base = metric(library_runs, "baseline", "takeoff_automation_years")
    assert metric(library_runs, "strong-ai-research", "takeoff_automation_years") < base
    assert later(metric(library_runs, "weak-ai-research", "takeoff_automation_years"), base)
    # Research: strong AI research reaches a 10x research speed-up years earlier (2032.1 vs
    # 2037.6 measured) and weak AI research later or never. The 2x -> 10x span is not the
    # measure here: strong AI research starts its speed-up in 2027-28, in a smaller economy,
    # so its span is about the baseline's (4.4 vs 4.3 years).
    base = metric(library_runs, "baseline", "speedup_10x_year")
    assert metric(library_runs, "strong-ai-research", "speedup_10x_year") < base - 2
    assert later(metric(library_runs, "weak-ai-research", "speedup_10x_year"), base)


@pytest.mark.parametrize("name,key", [
    ("export-controls", "run_1e28_year"),
    ("power-permitting", "run_1e29_year"),  # power binds from 2032; 1e28 (2028.6) comes before it
    ("compute-tax", "run_1e30_year"),
    ("investment-pullback", "run_1e30_year"),
    ("synthetic-data-fails", "run_1e30_year"),
])
def test_restrictive_levers_delay_milestones(library_runs, name, key):
    assert later(metric(library_runs, name, key), metric(library_runs, "baseline", key))


def test_data_restrictions_make_data_bind_sooner(library_runs):
    """Data binds sooner (measured 2028.5 vs 2029.0) with less unique data in every year
    of the lever; the run is smaller when data first binds (0.81x in 2028.5).
    Later the ceiling at the repetition in use need not be lower: labs repeat more."""
    restricted_year = metric(library_runs, "data-restrictions", "data_binding_year")
    assert restricted_year <= metric(library_runs, "baseline", "data_binding_year") - 0.25
    base = library_runs["baseline"][1].frame
    restricted = library_runs["data-restrictions"][1].frame
    window = slice(2025.25, 2034.0)
    assert (restricted.loc[window, "data_stock_tokens"] < base.loc[window, "data_stock_tokens"]).all()
    first = restricted_year + 0.25
    assert restricted.loc[first, "largest_training_run_flop"] < 0.9 * base.loc[first, "largest_training_run_flop"]


def test_fab_subsidies_raise_the_chip_ceiling(library_runs):
    """In the years chips bind in the baseline (2024.5-2026 and 2027.75-2029.75), doubled
    capacity orders from 2023 raise the chip ceiling and the largest run: measured (after
    issue 11's revenue-backed finance, which keeps money close to binding, and the chip
    budget at its cost of ownership) ceiling +0.05 to +0.11 OOM, largest run +0.03 to +0.10.
    Later the subsidised boom meets data and money limits, so the v1 claim of a higher chip
    ceiling in every year to 2034 is not the lever's effect."""
    base = library_runs["baseline"][1].frame
    subsidised = library_runs["fab-subsidies"][1].frame
    chip_years = [t for t in base.loc[2024.5:2029.75].index if base.loc[t, "binding_constraint"] == "chips"]
    assert len(chip_years) >= 14  # chips bind most of 2024.5-2029.75 in the baseline
    for column in ("max_run_flop_chips", "largest_training_run_flop"):
        gain = np.log10(subsidised.loc[chip_years, column] / base.loc[chip_years, column])
        assert (gain > 0.02).all(), (column, gain.min())
        assert gain.loc[2025.0] > 0.06, (column, gain.loc[2025.0])  # measured 0.087 (ceiling), 0.069 (run)
    assert (subsidised.loc[:2022.75, "max_run_flop_chips"] == base.loc[:2022.75, "max_run_flop_chips"]).all()


@pytest.mark.parametrize("preset, run_ooms, revenue_ooms", [
    ("ftm-best-guess", 0.05, 0.05), ("conservative", 0.2, 0.25), ("aggressive", 0.05, 0.1)])
def test_presets_keep_the_history_the_calibration_pins(library_runs, preset, run_ooms, revenue_ooms):
    """FTM's presets set forward-looking values; the 2012-2025 largest run and the labs'
    2023-2025 revenue barely move (measured: runs 0.03 / 0.15 / 0.04 orders of magnitude,
    revenue 0.03 / 0.19 / 0.05). Conservative moves most through FTM's parallelisation
    penalty, which changes the pace of 2012-2024 algorithmic progress. Before the runtime
    level was anchored at 2024's frontier, conservative's revenue moved by 1.0 order of
    magnitude and aggressive's by 0.65; with FTM's 2.5-year hardware delay, which history
    pins at about a year, conservative's run moved by 0.81."""
    base = library_runs["baseline"][1].frame
    other = library_runs[preset][1].frame
    runs = np.log10(other.loc[2012:2025, "largest_training_run_flop"] / base.loc[2012:2025, "largest_training_run_flop"])
    assert np.abs(runs).max() < run_ooms
    revenue = np.log10(other.loc[2024:2026, "frontier_lab_revenue_usd_per_year"]
                       / base.loc[2024:2026, "frontier_lab_revenue_usd_per_year"])
    assert np.abs(revenue).max() < revenue_ooms
    assert "hardware_delay_years" not in library_runs[preset][0].parameters or (
        library_runs[preset][0].parameters["hardware_delay_years"] == 1.0)
