"""Run length: frontier runs as long as history says they were (days in 2012, ~15 days
for GPT-3, ~3-4 months by 2023-25), lengthening ~1.2-1.3x a year, and the cost-of-delay
loop: faster progress, shorter runs, never beyond ~15 months."""

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from aiscale.scenarios.scenario import load_scenario

from .test_sectors import evaluate

DAYS_PER_YEAR = 365.25


@pytest.fixture(scope="module")
def run_lengths():
    with resources.files("aiscale.data").joinpath("history", "frontier_run_length.csv").open() as f:
        return pd.read_csv(f)


def observed(run_lengths, metric):
    rows = run_lengths[run_lengths["metric"] == metric]
    return rows.set_index(rows["date"].astype(int))["value"].astype(float)


def simulated_days(baseline, year):
    """The run length under way at mid-year (as the calibration samples frontier compute)."""
    return baseline.frame["run_length_years"].loc[year + 0.5] * DAYS_PER_YEAR


@pytest.mark.parametrize("year", [2012, 2020, 2023, 2024, 2025])
def test_run_length_within_2x_of_the_largest_run_of_the_year(baseline, run_lengths, year):
    """2012: 3 days; 2020: GPT-3, 14.8 days; 2023: Gemini 1.0 Ultra, 100; 2024: Llama
    3.1-405B, 89; 2025: GPT-4.5, 125 (Epoch notable models, frontier_run_length.csv)."""
    days = observed(run_lengths, "largest_run_training_days")[year]
    assert days / 2 <= simulated_days(baseline, year) <= days * 2, (year, simulated_days(baseline, year), days)


def test_runs_lengthen_as_history_says(baseline, run_lengths):
    fits = run_lengths[run_lengths["metric"] == "training_time_growth_per_year"]["value"].astype(float)
    assert fits.min() == pytest.approx(1.21, abs=0.01) and fits.max() == pytest.approx(1.30, abs=0.01)
    growth = (simulated_days(baseline, 2024) / simulated_days(baseline, 2012)) ** (1 / 12)
    assert 1.15 <= growth <= 1.5  # the largest runs: 3 -> 89 days, 1.33x/yr
    # runs lengthen every year of the record (no shrinking back to 2012 lengths)
    days = baseline.frame["run_length_years"].loc[2012:2025]
    assert (np.diff(days.to_numpy()) >= -1e-12).all()


def test_run_length_is_the_lower_of_cost_of_delay_and_what_labs_are_organised_to_run(baseline):
    f = baseline.frame
    growth = (f["hardware_progress_rate_per_year"] + f["algorithmic_progress_rate_per_year"]
              + f["ai_spending_growth_per_year"])
    expected = (1.0 / growth.clip(lower=1 / 1.25)).clip(lower=0.0082)
    np.testing.assert_allclose(f["optimal_run_length_years"], expected, rtol=1e-9)
    np.testing.assert_allclose(f["planned_run_length_years"],
                               np.minimum(f["optimal_run_length_years"], f["organisational_run_length_years"]),
                               rtol=1e-12)
    # history is organisational (short runs, though waiting was cheap); cost of delay binds from the mid-2020s
    early, late = f.loc[2012:2022], f.loc[2027:2030]
    assert (early["organisational_run_length_years"] < early["optimal_run_length_years"] / 3).all()
    assert (late["optimal_run_length_years"] < late["organisational_run_length_years"]).all()
    # Epoch: the optimum with hardware, software and budgets all improving is ~6.5 months
    assert 0.3 <= f["optimal_run_length_years"].loc[2025:2030].median() <= 0.8
    assert (f["run_length_years"] <= 1.25 * (1 + 1e-9)).all()  # runs beyond ~15 months are beaten


def test_faster_progress_means_shorter_runs(model, baseline):
    """The cost-of-delay loop: when AI speeds up algorithms and hardware, runs shorten.
    In the baseline AI never doubles the progress rate (effective compute per dollar grows
    1.0-1.8 e-folds/yr to 2045), so the loop is tested against strong-ai-research, where
    it reaches 2.4-2.8 e-folds/yr in 2032-2035 (measured: runs of 0.28-0.37 years against
    the baseline's 0.48-0.55)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        strong = load_scenario("strong-ai-research").simulate(model).frame
    base = baseline.frame
    years = [2032.5, 2033.5, 2034.5, 2035.5]
    g = "effective_compute_per_dollar_growth_per_year"
    assert (strong.loc[years, g] > 1.25 * base.loc[years, g]).all()
    # the cost of delay sets the run in these years (the organisational bound is 5-40x longer)
    for f in (strong, base):
        assert (f.loc[years, "optimal_run_length_years"] < f.loc[years, "organisational_run_length_years"] / 3).all()
    assert (strong.loc[years, "run_length_years"] < 0.8 * base.loc[years, "run_length_years"]).all()
    # and within the strong scenario, the fastest progress (2032: 2.8 e-folds/yr) gives shorter
    # optimal runs than 2028.5 (1.7 e-folds/yr): measured 0.27 against 0.34 years
    fastest = strong.loc[2028:2040, g].idxmax()
    assert strong.loc[fastest, g] > 1.5 * strong.loc[2028.5, g]
    assert strong.loc[fastest, "optimal_run_length_years"] < 0.85 * strong.loc[2028.5, "optimal_run_length_years"]


def test_run_length_responds_through_the_progress_rates(model, baseline):
    """The supply side lowers hardware_progress_rate_per_year and
    algorithmic_progress_rate_per_year near their ceilings: run length reads them. In a
    year where the cost of delay binds (2027), a design frontier further ahead of the chips
    bought (0.8 orders of magnitude, a tenth of its headroom to the ceiling) raises the
    hardware progress rate (measured 0.29 -> 2.17 e-folds/yr) and shortens the optimal run
    (0.38 -> 0.22 years)."""
    inputs = model.equations["effective_compute_per_dollar_growth_per_year"].inputs
    assert set(inputs) == {"hardware_progress_rate_per_year", "algorithmic_progress_rate_per_year"}
    base = evaluate(model, 2027, baseline)
    ahead = evaluate(model, 2027, baseline, change_state={"flop_per_s_per_usd_design_ooms_below_ceiling": 0.9})
    assert ahead["hardware_progress_rate_per_year"] > base["hardware_progress_rate_per_year"] + 0.5
    assert ahead["optimal_run_length_years"] < 0.8 * base["optimal_run_length_years"]
    assert base["optimal_run_length_years"] < base["organisational_run_length_years"]
    # stalled progress and a shrinking budget: the longest run worth doing, ~15 months
    optimal = model.equations["optimal_run_length_years"].function
    assert optimal(1.0, 0.05, -0.5, 0.0082, 1.25) == pytest.approx(1.25)
    assert optimal(1.0, 1e3, 0.0, 0.0082, 1.25) == pytest.approx(0.0082)  # no run shorter than days
