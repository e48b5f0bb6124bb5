"""Backtests: nothing after the cutoff reaches the fit; held-out errors per series and
year; what the pre-cutoff data cannot identify stays near its prior."""

import numpy as np
import pytest

from aiscale.calibration import backtest, fit
from aiscale.calibration.fit import table_model
from aiscale.calibration.series import model_series

FREE = ["cluster_concentration_rate_per_year", "price_performance_growth_per_year"]


def available(observations):
    return model_series(observations, table_model().names())[0]


def test_changing_post_cutoff_data_leaves_the_fit_unchanged(observations):
    changed = observations.copy()
    later = changed["year"] > 2020
    changed.loc[later, "value"] *= np.where(changed.loc[later, "year"] % 2 == 0, 10.0, 0.1)
    kwargs = dict(dt=0.25, screen=16, refine=2, walkers=6, steps=8, seed=3)
    a = fit(observations, FREE, until=2020, **kwargs)
    b = fit(changed, FREE, until=2020, **kwargs)
    assert a.values == b.values
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.statistics.equals(b.statistics)
    assert (a.observations["year"] <= 2020).all() and len(a.observations) < len(observations)


def test_backtest_reports_every_held_out_point(observations):
    bt = backtest(observations, 2020, FREE, dt=0.25, screen=0, mcmc=False)
    held = available(observations[observations["year"] > 2020])
    assert len(bt.errors) == len(held)
    assert bt.errors["year"].min() == 2021 and set(bt.errors["series"]) == set(held["series"])
    np.testing.assert_allclose(bt.errors["log10_error"],
                               np.log10(bt.errors["predicted"] / bt.errors["observed"]), atol=1e-12)
    np.testing.assert_allclose(bt.errors["percent_error"],
                               100 * (bt.errors["predicted"] / bt.errors["observed"] - 1), atol=1e-9)
    summary = bt.summary.set_index("series")
    tc = summary.loc["training_compute"]
    assert tc["held_out_points"] == 5 and tc["years"] == "2021-2025"
    errors = bt.errors[bt.errors["series"] == "training_compute"].set_index("year")["log10_error"]
    assert tc["worst_log10"] == errors.loc[tc["worst_year"]] and abs(tc["worst_log10"]) == errors.abs().max()
    assert tc["rms_log10"] == np.sqrt(np.mean(errors ** 2))
    assert summary.loc["hyperscaler_capex", "fitted_points"] == 0  # capex data start in 2023


def test_what_the_pre_cutoff_data_cannot_identify_stays_near_its_prior(observations):
    """The old failure: fitted to 2020 by bounded least squares, a parameter no
    pre-2021 series identifies ran to its bound. With priors, every parameter the
    data do not identify (posterior/prior width > 0.8) keeps its MAP in the middle of
    its prior and away from the bounds."""
    bt = backtest(observations, 2020, dt=0.25, screen=0, mcmc=False, warn=False)
    iv = bt.result.intervals.set_index("parameter")
    loose = iv[~iv["identified"]]
    assert len(loose) >= 1  # the default set has parameters only later data identify
    for j, name in enumerate(bt.result.free):
        if name in loose.index:
            prior = bt.result.priors[j]
            lo, hi = prior.ppf([0.1, 0.9])
            assert lo <= iv.loc[name, "value"] <= hi, name
            assert iv.loc[name, "at_bound"] == "", name


@pytest.mark.xfail(reason="fitted to 2020 (MAP) the merged model predicts 2021-2025 training compute at 0.35 "
                          "orders of magnitude RMS, worst 2024 (+0.52; --until 2022: 0.45, worst 2023 -0.74, "
                          "Gemini 1.0 Ultra's 5e25, which the full fit also misses by -0.45); a straight line "
                          "fitted to 2014-2020 misses by 0.55; open in issue 11", strict=False)
def test_acceptance_backtest_to_2020_predicts_training_compute_within_0_3(observations):
    bt = backtest(observations, 2020, dt=0.25, screen=64, mcmc=False, warn=False)
    tc = bt.summary.set_index("series").loc["training_compute"]
    assert tc["rms_log10"] <= 0.3 and abs(tc["worst_log10"]) <= 0.5, tc
