"""Before any fitting, the hand-set table values reproduce 2012-2025 within ~3x of
history (``build_model(calibrated=False)``); the calibrated defaults are tested in
tests/calibration."""

import numpy as np
import pytest

from aiscale.model import CONSTRAINTS


def annual_growth(series, start, end):
    """Average growth factor per year between two years."""
    return (series.loc[end] / series.loc[start]) ** (1 / (end - start))


@pytest.mark.parametrize("year,observed", [
    (2020, 3.14e23),   # GPT-3 (Epoch notable models)
    pytest.param(2023, 5.0e25, marks=pytest.mark.xfail(
        reason="with the v2 economy's credible finance (issue 11) the table values give 7.2e24 at the start "
               "of 2023, 7x below Gemini 1.0 Ultra's 5e25 of December 2023 (the calibrated run: 7.1e24 then, "
               "1.8e25 at mid-2023, its sampling in the calibration)", strict=False)),  # Gemini 1.0 Ultra
    (2025, 5.0e26),    # largest run by 2025 (Grok 4)
])
def test_largest_run_within_3x_of_history(uncalibrated_baseline, year, observed):
    simulated = uncalibrated_baseline.frame["largest_training_run_flop"].loc[year]
    assert observed / 3 <= simulated <= observed * 3, f"{year}: {simulated:.2e} vs {observed:.2e}"


def test_training_compute_grows_4_to_5x_per_year(uncalibrated_baseline):
    growth = annual_growth(uncalibrated_baseline.frame["largest_training_run_flop"], 2015, 2025)
    assert 3.5 <= growth <= 6.0


def test_algorithmic_efficiency_grows_about_3x_per_year(uncalibrated_baseline):
    growth = annual_growth(uncalibrated_baseline.frame["algorithmic_efficiency"], 2012, 2024)
    assert 2.0 <= growth <= 4.5  # Ho et al. 2024: 2.8x/yr, 95% CI 1.8-5.3


def test_price_performance_grows_about_1_3x_per_year(uncalibrated_baseline):
    growth = annual_growth(uncalibrated_baseline.frame["flop_per_s_per_usd"], 2012, 2024)
    assert 1.25 <= growth <= 1.45


def test_ai_spending_rises_strongly_from_2023(uncalibrated_baseline):
    spending = uncalibrated_baseline.frame["ai_spending_usd_per_year"]
    assert annual_growth(spending, 2023, 2025) > 1.6
    assert annual_growth(spending, 2023, 2025) > annual_growth(spending, 2015, 2020)
    assert 1e11 <= spending.loc[2025] <= 1e12  # hyperscaler capex ~$357B in 2025


def test_required_output_columns_exist(baseline):
    required = ["largest_training_run_flop", "effective_compute_flop", "max_run_flop_money",
                "max_run_flop_chips", "max_run_flop_power", "max_run_flop_data", "max_run_flop_latency",
                "binding_constraint", "automation_fraction", "algorithmic_efficiency",
                "ai_revenue_usd_per_year", "ai_spending_usd_per_year", "gpu_fleet_flop_per_s",
                "cowos_capacity_wafers_per_year", "wafer_capacity_wafers_per_year", "data_stock_tokens",
                "gwp_usd_per_year"]
    assert not set(required) - set(baseline.frame.columns)


def test_binding_constraint_is_the_lowest_ceiling(baseline):
    f = baseline.frame
    ceilings = f[[f"max_run_flop_{c}" for c in CONSTRAINTS]].to_numpy()
    lowest = np.asarray(CONSTRAINTS)[ceilings.argmin(axis=1)]
    assert (f["binding_constraint"].to_numpy() == lowest).all()
    assert (f["largest_training_run_flop"].to_numpy() <= ceilings.min(axis=1) * (1 + 1e-9)).all()


def test_baseline_ends_at_a_reported_blowup_without_nan(baseline):
    assert np.isfinite(baseline.frame.drop(columns="binding_constraint").to_numpy(dtype=float)).all()
    if baseline.frame.index[-1] < 2060:
        assert baseline.blew_up
