"""Vectorised ensembles equal single runs."""

import numpy as np
import pytest
import xarray as xr

from .reference_models import delays, sir
from .test_simulation import blowup_model


def test_ensemble_of_1000_equals_1000_single_runs_exactly():
    m = sir()
    rng = np.random.default_rng(7)
    sets = {"contact_infectivity": rng.uniform(0.1, 1.0, 1000), "duration": rng.uniform(2, 10, 1000)}
    ds = m.run_ensemble(sets, 0, 40, method="rk4", dt=0.25)
    assert isinstance(ds, xr.Dataset) and ds["infectious"].dims == ("run", "time")
    for i in range(1000):
        single = m.run(0, 40, method="rk4", dt=0.25,
                       parameters={k: v[i] for k, v in sets.items()})
        for name in ("susceptible", "infectious", "recovered", "succumbing", "recovering"):
            assert np.array_equal(ds[name].values[i], single[name].to_numpy()), (i, name)


def test_ensemble_with_delays_equals_single_runs_euler():
    m = delays()
    times = np.array([0.5, 1.0, 2.0, 4.0])
    ds = m.run_ensemble({"shipping_time": times}, 0, 20, method="euler", dt=0.125)
    for i, value in enumerate(times):
        single = m.run(0, 20, method="euler", dt=0.125, parameters={"shipping_time": value})
        for name in single.frame:
            assert np.array_equal(ds[name].values[i], single[name].to_numpy()), name


def test_adaptive_ensemble_is_close_to_single_runs():
    m = sir()
    values = np.array([0.2, 0.5, 0.9])
    ds = m.run_ensemble({"contact_infectivity": values}, 0, 60, rtol=1e-8)
    for i, v in enumerate(values):
        single = m.run(0, 60, rtol=1e-8, parameters={"contact_infectivity": v})
        np.testing.assert_allclose(ds["infectious"].values[i], single["infectious"], rtol=1e-5, atol=1e-6)


def test_ensemble_member_blowup_keeps_its_time_and_no_nan():
    m = blowup_model()
    rates = np.array([0.5, 1.0, 2.0, 0.1])  # singularity at 1/rate: 2, 1, 0.5, 10
    for method, kw in (("RK45", {}), ("rk4", {"dt": 0.001})):
        ds = m.run_ensemble({"unit_rate": rates}, 0, 5, method=method, **kw)
        stop = ds["stop_time"].values
        np.testing.assert_allclose(stop[:3], 1 / rates[:3], rtol=0.02)
        assert stop[3] == 5.0
        assert np.isfinite(ds["s"].values).all()


def test_ensemble_rejects_mismatched_lengths_and_unknown_names():
    m = sir()
    with pytest.raises(ValueError, match="different lengths"):
        m.run_ensemble({"duration": [1, 2, 3], "contact_infectivity": [0.1, 0.2]}, 0, 1, method="euler", dt=0.5)
    with pytest.raises(KeyError, match="contact_infectivity"):
        m.run_ensemble({"contact_infectivty": [0.1, 0.2]}, 0, 1, method="euler", dt=0.5)


# ---------------------------------------------------------------------- adaptive members
@pytest.fixture
def jit(monkeypatch):
    """Models built in the test get the compiled kernel the adaptive members need."""
    monkeypatch.setenv("AISCALE_JIT", "1")


def test_adaptive_members_equal_adaptive_single_runs(jit):
    from aiscale.stocks_flows.ensemble import run_adaptive

    m = sir()
    rng = np.random.default_rng(3)
    sets = {"contact_infectivity": rng.uniform(0.1, 1.0, 40), "duration": rng.uniform(2, 10, 40)}
    r = run_adaptive(m, sets, 0, 40, saveper=0.5, rtol=1e-6, outputs=["infectious", "recovered", "succumbing"])
    assert r["values"]["infectious"].shape == (40, 81) and np.isnan(r["blowup_time"]).all()
    assert (r["rejected"] < r["steps"]).all() and r["nfev"] > 0
    for i in range(0, 40, 7):
        single = m.run(0, 40, saveper=0.5, rtol=1e-8, parameters={k: v[i] for k, v in sets.items()})
        for name in ("infectious", "recovered", "succumbing"):
            np.testing.assert_allclose(r["values"][name][i], single[name].to_numpy(), rtol=1e-4, atol=1e-3)
    # each member's step is its own: a member alone takes the same steps as in company
    alone = run_adaptive(m, {k: v[5:6] for k, v in sets.items()}, 0, 40, saveper=0.5, rtol=1e-6,
                         outputs=["infectious"])
    assert alone["steps"][0] == r["steps"][5]
    np.testing.assert_array_equal(alone["values"]["infectious"][0], r["values"]["infectious"][5])


def test_screened_members_go_on_exactly_as_in_one_pass(jit):
    """Members integrated to a screening time, screened, and the kept ones continued
    from where they paused: the same steps and values, bit for bit, as one pass; the
    screen sees every member's values up to then."""
    from aiscale.stocks_flows.ensemble import run_adaptive

    m = sir()
    rng = np.random.default_rng(4)
    sets = {"contact_infectivity": rng.uniform(0.1, 1.0, 30), "duration": rng.uniform(2, 10, 30)}
    names = ["infectious", "recovered", "succumbing"]
    whole = run_adaptive(m, sets, 0, 40, saveper=0.5, rtol=1e-6, outputs=names)
    seen = {}

    def screen(times, values, stop):
        seen.update(times=times, values=values)
        return values["infectious"][:, -1] > np.median(values["infectious"][:, -1])

    part = run_adaptive(m, sets, 0, 40, saveper=0.5, rtol=1e-6, outputs=names, screen=screen, screen_until=12.3,
                        screen_outputs=["infectious"])
    assert seen["times"][-1] == 12.0 and seen["values"]["infectious"].shape == (30, 25)
    np.testing.assert_array_equal(seen["values"]["infectious"], whole["values"]["infectious"][:, :25])
    kept = part["kept"]
    assert len(kept) == 15 and (whole["steps"] > 20).all()
    for key in ("steps", "rejected", "stop_time"):
        np.testing.assert_array_equal(part[key], whole[key][kept])
    for name in names:
        np.testing.assert_array_equal(part["values"][name], whole["values"][name][kept])


def test_adaptive_members_stop_at_a_blowup_with_finite_values(jit):
    from aiscale.stocks_flows.ensemble import run_adaptive

    m = blowup_model()
    rates = np.array([0.5, 1.0, 2.0, 0.1])  # S = 1 / (1 - rate t): singular at t = 1 / rate
    r = run_adaptive(m, {"unit_rate": rates}, 0, 3, saveper=0.25, rtol=1e-6, outputs=["s", "growth"])
    blew = r["blowup_time"]
    np.testing.assert_allclose(blew[:3], 1 / rates[:3], rtol=0.01)
    assert (blew[:3] <= 1 / rates[:3] + 1e-9).all() and np.isnan(blew[3])
    np.testing.assert_array_equal(r["stop_time"][:3], blew[:3])
    assert r["stop_time"][3] == 3.0
    for values in r["values"].values():
        assert np.isfinite(values).all()
    assert [e.kind for e in r["events"]] == ["blow-up"] * 3
