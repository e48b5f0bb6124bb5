"""Fixed-step runs in log space (``log_space="always"``) and what counts as a blow-up."""

import numpy as np
import pytest

from aiscale.stocks_flows import BlowUp, Model, log, step


def growth_model(rate: float = 0.7) -> Model:
    m = Model("growth", units=["widget = [widget]"])
    m.parameter("rate", rate, "1/year", low=-100, high=100)
    m.stock("s", 1.0, "widget", inflows=["growth"], positive=True)

    @m.flow("widget/year")
    def growth(s, rate):
        return s * rate

    return m


def test_log_space_rk4_is_exact_for_exponential_growth_at_any_step():
    m = growth_model(0.7)
    for dt in (1.0, 0.25):
        r = m.run(0, 20, method="rk4", dt=dt, saveper=1.0, log_space="always")
        np.testing.assert_allclose(r["s"], np.exp(0.7 * r.frame.index.to_numpy()), rtol=1e-12)
        assert r.metadata["log_space"] == "always"
    linear = m.run(0, 20, method="rk4", dt=1.0, saveper=1.0)  # Vensim arithmetic: not exact
    assert abs(linear["s"].iloc[-1] / np.exp(14.0) - 1) > 1e-4


def test_a_fast_collapse_is_not_a_blowup_and_stays_positive_in_log_space():
    m = growth_model(-60.0)  # falls e-fold every 1/60 year: faster than the growth bound
    r = m.run(0, 1, method="rk4", dt=0.25, saveper=0.25, log_space="always", blowup=BlowUp(max_growth_rate=50))
    assert not r.blew_up and (r["s"] > 0).all()
    np.testing.assert_allclose(r["s"], np.exp(-60.0 * r.frame.index.to_numpy()), rtol=1e-9)
    grows = growth_model(60.0).run(0, 1, method="rk4", dt=0.01, blowup=BlowUp(max_growth_rate=50))
    assert grows.blew_up and "grows at 60" in grows.events[0].detail


def test_log_space_option_is_checked():
    with pytest.raises(ValueError, match="log_space must be"):
        growth_model().run(0, 1, method="rk4", dt=0.5, log_space="sometimes")


def test_members_equal_single_runs_bit_for_bit_with_exp_log_and_powers():
    """Outputs of single runs are evaluated with the ensemble's array shapes, so numpy's
    vectorised exp, log and power give the same last bits (they may differ from its
    scalar loops)."""
    from aiscale.stocks_flows import exp, log

    m = Model("curvy", units=["widget = [widget]"])
    m.parameter("rate", 0.3, "1/year", low=0, high=1)
    m.parameter("shape", 0.7, "dimensionless", low=0.1, high=2)
    m.parameter("scale", 3.0, "widget")
    m.parameter("year", 1.0, "year")
    m.stock("s", 1.0, "widget", inflows=["growth"], positive=True)

    @m.auxiliary("dimensionless")
    def factor(rate, year, shape):
        """Parameters only: evaluated once per run (numpy's scalar power differs from its
        array power in the last bit for ~5% of inputs)."""
        return (rate * year * 3.7) ** shape

    @m.auxiliary("dimensionless")
    def curve(s, shape, scale, factor):
        return (1 + log(1 + s / scale) ** shape) * exp(-shape * s / scale / 10) * factor

    @m.flow("widget/year")
    def growth(s, rate, curve):
        return s * rate * curve

    rng = np.random.default_rng(3)
    sets = {"rate": rng.uniform(0.1, 0.9, 257), "shape": rng.uniform(0.2, 1.9, 257)}
    for log_space in (False, "always"):
        ds = m.run_ensemble(sets, 0, 3, method="rk4", dt=0.25, saveper=0.25, log_space=log_space)
        for i in range(257):
            single = m.run(0, 3, method="rk4", dt=0.25, saveper=0.25, log_space=log_space,
                           parameters={k: v[i] for k, v in sets.items()})
            for name in ("s", "factor", "curve", "growth"):
                assert np.array_equal(ds[name].values[i], single[name].to_numpy()), (log_space, i, name)


def adjustment_model(logarithmic: bool) -> Model:
    """Capex-like partial adjustment in logs, dS/dt = S ln(S*/S) / tau, towards a target
    that drops 1,000-fold at t = 1."""
    m = Model("adjustment", units=["widget = [widget]"])
    m.parameter("tau", 0.26, "year")
    m.parameter("start_target", 1.0, "widget")
    m.parameter("drop", -0.999, "widget")
    m.parameter("drop_time", 1.0, "year")
    m.stock("s", 1.0, "widget", inflows=["adjusting"], positive=True, logarithmic=logarithmic)

    @m.auxiliary("widget")
    def target(time, start_target, drop, drop_time):
        return start_target + step(time, drop, drop_time)

    @m.flow("widget/year")
    def adjusting(s, target, tau):
        return s * log(target / s) / tau

    return m


def test_a_logarithmic_stock_is_stepped_in_logs_by_fixed_step_solvers():
    """ln S relaxes to ln S* at rate 1/tau: RK4 at a quarter year in logs follows it (to
    RK4's error at dt / tau ~ 1 and at the drop: 15% in S); stepping S itself (without
    the stock's ``logarithmic``) overshoots below zero in the step that meets the drop,
    and the run stops on a non-finite state."""
    r = adjustment_model(True).run(0, 4, method="rk4", dt=0.25, saveper=0.25)
    assert not r.blew_up and r.metadata["log_space"] is False
    t = r.frame.index.to_numpy()
    exact = np.where(t < 1, 0.0, np.log(1e-3) * (1 - np.exp(-(t - 1) / 0.26)))
    away = (t < 1) | (t >= 1.5)  # (the step that meets the drop is first order)
    np.testing.assert_allclose(np.log(r["s"].to_numpy())[away], exact[away], atol=0.15)
    assert r["s"].iloc[-1] == pytest.approx(1e-3, rel=1e-3)
    stepped = adjustment_model(False).run(0, 4, method="rk4", dt=0.25, saveper=0.25)
    assert stepped.blew_up and 0.75 < stepped.events[0].time <= 1.25 and "finite" in stepped.events[0].detail
    with pytest.raises(ValueError, match="a logarithmic stock must be positive"):
        Model("m").stock("s", 1.0, None, logarithmic=True)
