"""Backtests: nothing after the cutoff reaches the fit; held-out errors per series and year."""

import numpy as np

from aiscale.calibration import backtest, fit

FREE = ["cluster_concentration_rate_per_year", "price_performance_growth_per_year"]


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
    held = observations[observations["year"] > 2020]
    assert len(bt.errors) == len(held)
    assert bt.errors["year"].min() == 2021 and set(bt.errors["series"]) == set(held["series"])
    np.testing.assert_allclose(bt.errors["log10_error"],
                               np.log10(bt.errors["predicted"] / bt.errors["observed"]), atol=1e-12)
    np.testing.assert_allclose(bt.errors["percent_error"],
                               100 * (bt.errors["predicted"] / bt.errors["observed"] - 1), atol=1e-9)
    summary = bt.summary.set_index("series")
    assert summary.loc["training_compute", "held_out_points"] == 5
    assert summary.loc["lab_revenue", "fitted_points"] == 0  # lab revenue data start in 2023
