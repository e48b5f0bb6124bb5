"""Simulation: analytic solutions, conservation, reference outputs, events, results."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from aiscale.stocks_flows import BlowUp, Model, Threshold, exp, pulse, step
from aiscale.stocks_flows.integrate import ADAPTIVE_METHODS

from .reference_models import (
    LOOKUPS_COLUMNS,
    SIR_COLUMNS,
    TEACUP_COLUMNS,
    canonical,
    lookups,
    sir,
    teacup,
)


def growth_model(rate: float, initial: float = 2.0, positive: bool = True) -> Model:
    m = Model("growth", units=["widget = [widget]"])
    m.parameter("rate", rate, "1/year")
    m.stock("size", initial, "widget", inflows=["net_growth"], positive=positive)

    @m.flow("widget/year")
    def net_growth(size, rate):
        return rate * size

    return m


def logistic_model() -> Model:
    m = Model("logistic", units=["fish = [fish]"])
    m.parameter("growth_rate", 0.8, "1/year")
    m.parameter("carrying_capacity", 1000, "fish")
    m.stock("population", 10, "fish", inflows=["births"], positive=True)

    @m.flow("fish/year")
    def births(population, growth_rate, carrying_capacity):
        return growth_rate * population * (1 - population / carrying_capacity)

    return m


# ----------------------------------------------------------------------------- analytic
@pytest.mark.parametrize("rate", [0.7, -0.4])
@pytest.mark.parametrize("log_space", [True, False])
def test_exponential_matches_closed_form(rate, log_space):
    r = growth_model(rate).run(0, 10, rtol=1e-9, log_space=log_space)
    t = r.frame.index.to_numpy()
    np.testing.assert_allclose(r["size"], 2.0 * np.exp(rate * t), rtol=1e-6)


def test_logistic_matches_closed_form():
    r = logistic_model().run(0, 20, rtol=1e-9)
    t = r.frame.index.to_numpy()
    k, p0, g = 1000.0, 10.0, 0.8
    exact = k / (1 + (k - p0) / p0 * np.exp(-g * t))
    np.testing.assert_allclose(r["population"], exact, rtol=1e-6)


def test_euler_is_the_discrete_recurrence_exactly():
    dt, rate = 0.25, 0.3
    r = growth_model(rate, positive=False).run(0, 5, method="euler", dt=dt)
    expected = [2.0]
    for _ in range(len(r.frame) - 1):
        expected.append(expected[-1] + dt * rate * expected[-1])
    assert r["size"].tolist() == expected


def test_rk4_is_fourth_order():
    errors = []
    for dt in (0.5, 0.25):
        r = growth_model(0.5, positive=False).run(0, 4, method="rk4", dt=dt)
        errors.append(abs(r["size"].iloc[-1] - 2 * math.exp(2.0)))
    assert 12 < errors[0] / errors[1] < 20  # 2^4 = 16


def test_saveper_thins_the_output_but_not_the_step():
    m = growth_model(0.3, positive=False)
    fine = m.run(0, 4, method="euler", dt=0.125)
    thin = m.run(0, 4, method="euler", dt=0.125, saveper=0.5)
    assert list(thin.frame.index) == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]
    pd.testing.assert_series_equal(thin["size"], fine["size"].loc[thin.frame.index])


# ----------------------------------------------------------------------------- conservation
def chain_model() -> Model:
    """source -> a -> b -> c -> sink: only the inflow to a and outflow from c are external."""
    m = Model("chain", units=["item = [item]"])
    m.parameter("inflow_rate", 3.0, "item/year")
    m.parameter("transit_time", 0.7, "year")
    m.parameter("cycle_time", 1.0, "year")
    m.stock("a", 10, "item", inflows=["arrivals"], outflows=["a_to_b"])
    m.stock("b", 1e3, "item", inflows=["a_to_b"], outflows=["b_to_c"])
    m.stock("c", 0.5, "item", inflows=["b_to_c"], outflows=["departures"])

    @m.flow("item/year")
    def arrivals(time, inflow_rate, cycle_time):
        return inflow_rate * (1 + 0.5 * np.sin(time / cycle_time))

    @m.flow("item/year")
    def a_to_b(a, transit_time):
        return a / transit_time

    @m.flow("item/year")
    def b_to_c(b, transit_time):
        return b / transit_time

    @m.flow("item/year")
    def departures(c, transit_time):
        return c / (2 * transit_time)

    return m


def test_chain_conserves_material():
    from scipy.integrate import cumulative_simpson

    r = chain_model().run(0, 10, saveper=0.001, rtol=1e-11, atol=1e-12)
    f = r.frame
    total = f["a"] + f["b"] + f["c"]
    net_external = cumulative_simpson(f["arrivals"] - f["departures"], x=f.index, initial=0)
    change = total - total.iloc[0]
    np.testing.assert_allclose(change, net_external, rtol=0, atol=1e-9 * total.iloc[0])


def test_chain_conserves_exactly_in_euler():
    r = chain_model().run(0, 10, method="euler", dt=0.01)
    f = r.frame
    total = (f["a"] + f["b"] + f["c"]).to_numpy()
    net = (f["arrivals"] - f["departures"]).to_numpy()
    np.testing.assert_allclose(np.diff(total), 0.01 * net[:-1], rtol=1e-9, atol=1e-9 * total[0])


# ----------------------------------------------------------------------------- reference models
@pytest.mark.parametrize("build,name,columns,dt", [
    (teacup, "teacup", TEACUP_COLUMNS, 0.125),
    (sir, "sir", SIR_COLUMNS, 0.03125),
    (lookups, "lookups", LOOKUPS_COLUMNS, 0.25),
])
def test_reference_model_reproduces_canonical_output(build, name, columns, dt):
    ref = canonical(name)
    r = build().run(ref.index[0], ref.index[-1], method="euler", dt=dt)
    np.testing.assert_allclose(r.frame.index, ref.index, rtol=1e-5)  # 6 significant digits
    for theirs, ours in columns.items():
        got = r.frame[ours].to_numpy() if ours in r.frame else np.full(len(ref), r.parameters[ours])
        np.testing.assert_allclose(got, ref[theirs].to_numpy(), rtol=1e-4, atol=1e-4 * 1e-3,
                                   err_msg=f"{name}: {theirs}")


# ----------------------------------------------------------------------------- events and blow-up
def blowup_model() -> Model:
    m = Model("blowup", units=["widget = [widget]"])
    m.parameter("unit_rate", 1.0, "1/widget/year")
    m.stock("s", 1.0, "widget", inflows=["growth"], positive=True)

    @m.flow("widget/year")
    def growth(s, unit_rate):
        """dS/dt = S^2: S = 1/(1 - t), a finite-time singularity at t = 1."""
        return unit_rate * s * s

    return m


@pytest.mark.parametrize("method", sorted(ADAPTIVE_METHODS))
@pytest.mark.parametrize("log_space", [True, False])
def test_blowup_is_reported_near_the_singularity(method, log_space):
    r = blowup_model().run(0, 3, method=method, log_space=log_space, max_seconds=20)
    assert r.blew_up
    event = next(e for e in r.events if e.kind in ("blow-up", "singularity"))
    assert 0.99 < event.time <= 1.0 + 1e-6
    assert np.isfinite(r.frame.to_numpy()).all()
    assert r.frame.index[-1] == pytest.approx(event.time)
    if event.kind == "blow-up":
        assert event.detail.startswith("s "), event.detail  # names the stock that blew up


def test_blowup_in_fixed_step_stops_without_nan():
    r = blowup_model().run(0, 3, method="euler", dt=0.01)
    assert r.blew_up and np.isfinite(r.frame.to_numpy()).all()
    assert 0.9 < r.events[-1].time < 1.3


def test_threshold_events_are_located_exactly():
    m = growth_model(0.5)
    r = m.run(0, 10, events=[Threshold("size", 20.0, name="size 20"), Threshold("size", 100.0)])
    assert r.event_time("size 20") == pytest.approx(2 * math.log(10), rel=1e-8)
    assert r.event_time("size crosses 100") == pytest.approx(2 * math.log(50), rel=1e-8)
    assert r.frame.index[-1] == 10  # not terminal


def test_terminal_threshold_stops_the_run():
    r = growth_model(0.5).run(0, 10, events=[Threshold("size", 20.0, terminal=True)])
    assert r.frame.index[-1] == pytest.approx(2 * math.log(10), rel=1e-8)
    assert r["size"].iloc[-1] == pytest.approx(20.0, rel=1e-6)


def test_short_pulse_is_not_stepped_over():
    """A 0.05-year pulse in a long quiet run: an adaptive solver without breakpoints
    would step right over it."""
    m = Model("pulse", units=["widget = [widget]"])
    m.parameter("height", 100.0, "widget/year")
    m.parameter("pulse_start", 37.3, "year")
    m.parameter("pulse_width", 0.05, "year")
    m.stock("received", 0.0, "widget", inflows=["delivery"])

    @m.flow("widget/year")
    def delivery(time, height, pulse_start, pulse_width):
        return pulse(time, height, pulse_start, pulse_width)

    r = m.run(0, 100)
    assert r["received"].iloc[-1] == pytest.approx(5.0, rel=1e-6)


def test_step_helper_and_breakpoints():
    m = Model("step", units=["widget = [widget]"])
    m.parameter("height", 2.0, "widget/year")
    m.parameter("start_year", 3.0, "year")
    m.stock("total", 0.0, "widget", inflows=["inflow"])

    @m.flow("widget/year")
    def inflow(time, height, start_year):
        return step(time, height, start_year)

    r = m.run(0, 10)
    assert r["total"].iloc[-1] == pytest.approx(14.0, rel=1e-9)
    r2 = m.run(0, 10, parameters={"start_year": 5.0})
    assert r2["total"].iloc[-1] == pytest.approx(10.0, rel=1e-9)


def test_lsoda_stalls_are_caught_by_the_watchdog():
    r = blowup_model().run(0, 3, method="LSODA", blowup=BlowUp(max_value=1e300, max_growth_rate=None),
                           max_seconds=20)
    assert r.blew_up
    assert r.events[-1].time == pytest.approx(1.0, abs=1e-3)


# ----------------------------------------------------------------------------- results and parameters
def test_reparameterising_does_not_rebuild():
    m = sir().build()
    plan = m.plan
    faster = m.with_parameters(contact_infectivity=0.6)
    assert faster.plan is plan
    slow, fast = m.run(0, 50, method="euler", dt=0.125), faster.run(0, 50, method="euler", dt=0.125)
    assert fast["infectious"].max() > slow["infectious"].max()
    assert m.parameters["contact_infectivity"].value == 0.3  # original untouched


def test_result_writes_atomically_with_metadata(tmp_path):
    r = sir().run(0, 10, method="euler", dt=0.125)
    for suffix in (".csv", ".parquet"):
        path = r.write(tmp_path / f"run{suffix}")
        back = pd.read_csv(path, index_col=0) if suffix == ".csv" else pd.read_parquet(path)
        np.testing.assert_allclose(back["infectious"], r["infectious"])
        meta = json.loads(path.with_suffix(suffix + ".json").read_text())
        assert meta["metadata"]["method"] == "euler"
        assert meta["metadata"]["parameter_hash"]
        assert meta["parameters"]["duration"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["run.csv", "run.csv.json", "run.parquet", "run.parquet.json"])


def test_failed_write_leaves_no_file(tmp_path):
    r = sir().run(0, 10, method="euler", dt=0.125)
    r.frame["broken"] = [object()] * len(r.frame)  # parquet cannot store this
    with pytest.raises(Exception):
        r.write(tmp_path / "run.parquet")
    assert list(tmp_path.iterdir()) == []


def test_metadata_hash_follows_parameters():
    a = sir().run(0, 1, method="euler", dt=0.5)
    b = sir().run(0, 1, method="euler", dt=0.5, parameters={"duration": 6})
    assert a.metadata["parameter_hash"] != b.metadata["parameter_hash"]
    assert a.metadata["aiscale_version"]


def test_result_keeps_every_state_and_the_solver_settings():
    from .reference_models import delays

    m = delays()
    r = m.run(0, 10, atol=1e-9, max_step=0.5)
    assert r.state_names == m.plan.state_names and "shipments__stock3" in r.states
    assert r.states.index.equals(r.frame.index)
    np.testing.assert_array_equal(r.states["backlog"], r["backlog"])
    meta = r.metadata
    assert (meta["method"], meta["start"], meta["stop"], meta["saveper"]) == ("RK45", 0.0, 10.0, 0.1)
    assert meta["log_space"] is True and meta["atol"] == 1e-9 and meta["max_step"] == 0.5
    assert meta["rtol"] == 1e-6 and "dt" not in meta
    # the recorded settings repeat the run exactly
    again = m.run(meta["start"], meta["stop"], method=meta["method"], saveper=meta["saveper"],
                  rtol=meta["rtol"], atol=meta["atol"], log_space=meta["log_space"],
                  max_step=meta["max_step"])
    pd.testing.assert_frame_equal(again.states, r.states)
    fixed = m.run(0, 10, method="euler", dt=0.25, saveper=0.5).metadata
    assert fixed["dt"] == 0.25 and fixed["saveper"] == 0.5 and fixed["max_step"] == np.inf
    assert "atol" not in fixed and "rtol" not in fixed


def test_time_only_flows_and_given_equation_values():
    """A flow that depends on time alone (a scalar, not an array of the ensemble's size)
    still feeds its stock, and an equation value given to ``evaluate`` is kept rather
    than recomputed."""
    m = Model("shapes", units=["widget = [widget]"])
    m.parameter("leak_rate", 0.5, "1/year")
    m.lookup("scheduled_inflow_rate", "time", [(0, 1), (10, 3)], "widget/year")
    m.stock("tank", 0, "widget", inflows=["scheduled_inflow"], outflows=["leak"])

    @m.flow("widget/year")
    def scheduled_inflow(scheduled_inflow_rate):
        return scheduled_inflow_rate

    @m.flow("widget/year")
    def leak(tank, leak_rate):
        return tank * leak_rate

    ds = m.run_ensemble({"leak_rate": [0.1, 0.5, 1.0]}, 0, 10, method="euler", dt=0.125)
    for i, rate in enumerate([0.1, 0.5, 1.0]):
        single = m.run(0, 10, method="euler", dt=0.125, parameters={"leak_rate": rate})
        np.testing.assert_array_equal(ds["tank"].values[i], single["tank"].to_numpy())
    tank, t, dt = 0.0, 0.0, 0.125
    for _ in range(8):
        tank += dt * (1 + 0.2 * t - 0.5 * tank)
        t += dt
    assert m.run(0, 1, method="euler", dt=dt)["tank"].iloc[-1] == pytest.approx(tank, rel=1e-12)

    plan = m.plan
    y = np.array([[4.0]])
    ns = plan.evaluate(0.0, y, {"leak_rate": np.array([0.5]), "leak": np.array([7.0])})
    assert ns["leak"][0] == 7.0
    np.testing.assert_array_equal(plan.derivatives(ns, y), [[1.0 - 7.0]])


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from aiscale.stocks_flows import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "x.txt", lambda p: open(p, "w").write("hi"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o644
