"""Fitting: least squares within the table's bounds, MCMC intervals that recover
known parameters, warnings for poorly identified pairs and unconstrained parameters."""

import warnings

import numpy as np
import pytest

from aiscale.calibration import CalibrationWarning, Problem, fit, sensitivity, synthetic_observations
from aiscale.model import parameter_table
from aiscale.stocks_flows import UnknownNameError

TRUTH = {"cluster_concentration_rate_per_year": 0.8, "price_performance_growth_per_year": 0.33,
         "reinvestment_ratio": 3.0}


def test_unit_transform_round_trips_within_bounds(observations):
    problem = Problem(observations, ["reinvestment_ratio", "chip_share_of_spending", "flop_gap"])
    assert problem.log.tolist() == [True, False, True]  # ranges 10x, 2.3x, 1e6x
    values = np.array([[0.5, 0.3, 10.0], [5.0, 0.7, 1e7], [2.0, 0.5, 1e4]])
    np.testing.assert_allclose(problem.from_unit(problem.to_unit(values)), values, rtol=1e-12)
    assert problem.to_unit(values[0]).tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(problem.from_unit(np.array([2.0, -1.0, 0.5])), [5.0, 0.3, 10 ** 4])


def test_problem_checks_parameter_names(observations):
    with pytest.raises(UnknownNameError, match="reinvestment_ratio"):
        Problem(observations, ["reinvestment_rate"])
    with pytest.raises(ValueError, match="both free and fixed"):
        Problem(observations, ["reinvestment_ratio"], fixed={"reinvestment_ratio": 2.0})
    with pytest.raises(ValueError, match="no range"):
        Problem(observations, ["seconds_per_year"])


def test_known_parameters_are_recovered_within_the_reported_intervals(observations):
    """Data simulated from known parameters plus each series' noise are fitted back:
    every true value lies inside its 95% interval, and the fit moves from the table
    values toward the truth. (Calibration of the intervals: over noise seeds 0-11, 34
    of the 36 true values fell inside their 95% intervals; this test uses seed 1.)"""
    synthetic = synthetic_observations(observations, TRUTH, seed=1, dt=0.25)
    result = fit(synthetic, list(TRUTH), dt=0.25, screen=32, refine=1, walkers=12, steps=60, seed=1)
    table = parameter_table()
    intervals = result.intervals.set_index("parameter")
    for name, true in TRUTH.items():
        row = intervals.loc[name]
        assert row["p025"] <= true <= row["p975"], f"{name}: {true} outside [{row['p025']:.4g}, {row['p975']:.4g}]"
        assert row["low"] <= row["p025"] <= row["value"] <= row["high"]
        assert abs(np.log(row["value"] / true)) < abs(np.log(table.loc[name, "value"] / true)) + 0.05
    assert result.statistics["rms_log10"].max() < 0.6
    assert 0.1 < result.acceptance < 0.9


def test_the_fit_stays_within_the_table_bounds_and_lowers_the_cost(observations):
    free = ["reinvestment_ratio", "chips_per_cowos_wafer"]
    result = fit(observations, free, mcmc=False, screen=0, dt=0.25)
    for name, value in result.values.items():
        lo, hi = result.bounds[name]
        assert lo <= value <= hi
    problem = Problem(observations, free, dt=0.25)
    assert result.cost < 0.9 * problem.cost(problem.default_values())[0]
    assert result.values["chips_per_cowos_wafer"] == pytest.approx(10.0)  # CoWoS data want more wafers: at the bound
    assert result.settings["at_bound"] == ["chips_per_cowos_wafer"]


def test_poorly_identified_pairs_are_named_in_a_warning(toy_model, observations):
    synthetic = synthetic_observations(observations[observations["series"] == "training_compute"], {"growth": 1.0},
                                       model=toy_model, dt=0.25)
    with pytest.warns(CalibrationWarning, match=r"poorly identified: scale_a and scale_b have posterior "
                                                r"correlation -0\.9"):
        result = fit(synthetic, ["scale_a", "scale_b", "growth"], model=toy_model, dt=0.25, screen=0,
                     walkers=8, steps=40)
    assert [(a, b) for a, b, _ in result.poorly_identified] == [("scale_a", "scale_b")]
    assert result.correlations.loc["scale_a", "scale_b"] < -0.95


def test_parameters_the_data_do_not_constrain_are_held_with_a_warning(observations):
    early = observations[observations["year"] <= 2020]
    problem = Problem(early, ["chips_per_cowos_wafer", "reinvestment_ratio"], dt=0.25)
    assert sensitivity(problem)["chips_per_cowos_wafer"] == 0.0  # CoWoS data start in 2023
    with pytest.warns(CalibrationWarning, match="not constrained by the data up to 2020: chips_per_cowos_wafer"):
        result = fit(observations, ["chips_per_cowos_wafer", "reinvestment_ratio"], until=2020, mcmc=False,
                     screen=0, dt=0.25)
    assert result.free == ["reinvestment_ratio"]


def test_no_warning_for_a_well_identified_fit(observations):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        fit(observations, ["price_performance_growth_per_year"], dt=0.25, screen=0, walkers=4, steps=10)
