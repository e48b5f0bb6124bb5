"""Interventions: parameters and variables changed over time windows, rebuilt models,
solver breakpoints, ensembles and XMILE export."""

import numpy as np
import pytest

from aiscale.stocks_flows import Intervention, InterventionError, Model, export_xmile

from .reference_models import sir, teacup
from .test_simulation import blowup_model


def tank() -> Model:
    """A stock filled by a constant inflow: its level is the integral of the inflow."""
    m = Model("tank", units=["litre = [volume]"])
    m.parameter("fill_rate", 0.0, "litre/year", low=0, high=100)
    m.stock("level", 0.0, "litre", inflows=["filling"])

    @m.flow("litre/year")
    def filling(fill_rate):
        return fill_rate

    return m


def teacup_exact(t, start_temperature, room, tau):
    return room + (start_temperature - room) * np.exp(-t / tau)


def test_step_on_a_parameter_follows_the_piecewise_analytic_solution():
    m = teacup().with_interventions([Intervention("step", "room_temperature", start=10.0, value=50.0)])
    r = m.run(0, 30, rtol=1e-9, saveper=1.0)
    t = r.frame.index.to_numpy()
    at_switch = teacup_exact(10.0, 180.0, 70.0, 10.0)
    exact = np.where(t < 10, teacup_exact(t, 180.0, 70.0, 10.0), teacup_exact(t - 10, at_switch, 50.0, 10.0))
    np.testing.assert_allclose(r["teacup_temperature"], exact, rtol=1e-6)
    assert list(r["room_temperature__intervened"].loc[[9.0, 10.0, 11.0]]) == [70.0, 50.0, 50.0]
    assert r.parameters["room_temperature"] == 70.0  # the parameter itself is unchanged


def test_a_short_pulse_is_never_stepped_over():
    m = tank().with_interventions([Intervention("pulse", "fill_rate", start=5.0, end=5.05, value=10.0)])
    for method in ("RK45", "DOP853", "LSODA"):
        r = m.run(0, 20, method=method, saveper=1.0)
        assert r["level"].iloc[-1] == pytest.approx(0.5, rel=1e-9), method
    euler = m.run(0, 20, method="euler", dt=0.01, saveper=1.0)
    assert euler["level"].iloc[-1] == pytest.approx(0.5, rel=1e-9)


def test_ramp_schedule_and_modes():
    base = tank().with_parameters(fill_rate=2.0)
    cases = [
        (Intervention("ramp", "fill_rate", start=1, end=3, value=6.0), {0.5: 2, 2: 4, 3: 6, 9: 6}),
        (Intervention("ramp", "fill_rate", start=1, end=3, value=3.0, mode="multiply"), {2: 4, 5: 6}),
        (Intervention("step", "fill_rate", start=1, end=3, value=1.0, mode="add"), {0: 2, 2: 3, 3: 2}),
        (Intervention("schedule", "fill_rate", table=[(2, 10), (4, 0), (6, 5)]),
         {1: 2, 2: 10, 3: 5, 4: 0, 5: 2.5, 8: 5}),
        (Intervention("schedule", "fill_rate", table=[(2, 10), (4, 0)], end=5), {3: 5, 4.5: 0, 5: 2}),
    ]
    for iv, expected in cases:
        m = base.with_interventions([iv])
        r = m.run(0, 10, method="euler", dt=0.5, saveper=0.5)
        got = r["fill_rate__intervened"]
        for t, v in expected.items():
            assert got.loc[t] == pytest.approx(v), (iv.describe(), t)


def test_cap_on_a_variable_keeps_its_own_value_alongside():
    cap = 8.0
    m = sir().with_interventions([Intervention("cap", "succumbing", start=5.0, value=cap)])
    r = m.run(0, 60, method="rk4", dt=0.125, saveper=0.125)
    after = r.frame.loc[5.0:]
    assert after["succumbing"].max() <= cap
    assert after["succumbing__base"].max() > cap  # the epidemic wanted to go faster
    before = r.frame.loc[:4.875]
    assert (before["succumbing"] == before["succumbing__base"]).all()
    # the flow still moves people: conservation holds
    total = r.frame[["susceptible", "infectious", "recovered"]].sum(axis=1)
    np.testing.assert_allclose(total, 1005.0, rtol=1e-12)


def test_interventions_compose_and_leave_the_original_alone():
    m = tank().with_parameters(fill_rate=1.0)
    one = Intervention("step", "fill_rate", start=2, value=5.0)
    two = Intervention("cap", "fill_rate", start=4, value=3.0)
    a = m.with_interventions([one]).with_interventions([two])
    b = m.with_interventions([one, two])
    ra = a.run(0, 6, method="euler", dt=0.5)
    rb = b.run(0, 6, method="euler", dt=0.5)
    assert ra.frame.equals(rb.frame)
    assert list(ra["fill_rate__intervened"].loc[[1, 3, 5]]) == [1, 5, 3]
    assert a.interventions == (one, two) and m.interventions == ()
    assert "fill_rate__intervened" not in m.equations and m.run(0, 1, method="euler", dt=0.5)["level"].iloc[-1] == 1
    # parameters set on the intervened model carry into a further intervention
    c = a.with_parameters(fill_rate=2.0).with_interventions([])
    assert c.run(0, 1, method="euler", dt=0.5)["level"].iloc[-1] == 2.0


def test_ensemble_varies_an_intervention_number_and_equals_single_runs():
    m = sir().with_interventions([Intervention("cap", "succumbing", start=5.0, value=20.0)])
    caps = np.array([5.0, 10.0, 20.0, 40.0])
    ds = m.run_ensemble({"succumbing__iv0_value": caps}, 0, 40, method="rk4", dt=0.25)
    for i, cap in enumerate(caps):
        single = m.run(0, 40, method="rk4", dt=0.25, parameters={"succumbing__iv0_value": cap})
        assert np.array_equal(ds["succumbing"].values[i], single["succumbing"].to_numpy())
        assert ds["succumbing"].values[i, 20:].max() <= cap


def test_intervened_model_exports_to_xmile_and_runs_in_pysd(tmp_path):
    import pysd

    m = teacup().with_interventions([Intervention("step", "room_temperature", start=10.0, value=50.0),
                                     Intervention("cap", "heat_loss_to_room", start=2.0, end=6.0, value=5.0)])
    path = tmp_path / "teacup.xmile"
    export_xmile(m, path, start=0, stop=30, dt=0.125)
    ours = m.run(0, 30, method="euler", dt=0.125, saveper=0.125)
    theirs = pysd.read_xmile(str(path)).run(return_columns=["teacup_temperature"])
    np.testing.assert_allclose(theirs["teacup_temperature"].loc[ours.frame.index].to_numpy(),
                               ours["teacup_temperature"].to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("make,message", [
    (lambda: teacup().with_interventions([Intervention("step", "room_temprature", start=1, value=1)]),
     "unknown intervention target 'room_temprature' (did you mean: room_temperature?)"),
    (lambda: teacup().with_interventions([Intervention("step", "teacup_temperature", start=1, value=1)]),
     "is a stock"),
    (lambda: sir().with_interventions([Intervention("step", "duration", start=1, value=500)]),
     "outside its range [0.1, 100]"),
    (lambda: Intervention("stpe", "x", start=1, value=1), "(did you mean: step?)"),
    (lambda: Intervention("step", "x", start=1), "needs a value"),
    (lambda: Intervention("step", "x", value=1), "needs a start time"),
    (lambda: Intervention("ramp", "x", start=1, value=1), "needs an end time"),
    (lambda: Intervention("pulse", "x", start=3, end=2, value=1), "must be after start"),
    (lambda: Intervention("schedule", "x", table=[(2, 1), (1, 2)]), "must increase strictly"),
    (lambda: Intervention("cap", "x", start=1, value=1, mode="add"), "mode must be 'set'"),
    (lambda: Intervention("step", "x", start=1, value=1, mode="times"), "unknown mode 'times'"),
])
def test_bad_interventions_say_what_is_wrong(make, message):
    with pytest.raises(InterventionError) as info:
        make()
    assert message in str(info.value)


def test_ensemble_outputs_selection_and_blowup_time():
    m = blowup_model()
    rates = np.array([0.5, 1.0, 0.1])
    ds = m.run_ensemble({"unit_rate": rates}, 0, 5, method="rk4", dt=0.001, saveper=0.5, outputs=["s"],
                        include_parameters=False)
    assert set(ds.data_vars) == {"s", "stop_time", "blowup_time"}
    np.testing.assert_allclose(ds["blowup_time"].values[:2], [2.0, 1.0], rtol=0.01)
    assert np.isnan(ds["blowup_time"].values[2]) and ds["stop_time"].values[2] == 5.0
    with pytest.raises(KeyError, match="did you mean"):
        m.run_ensemble({"unit_rate": rates}, 0, 1, method="euler", dt=0.5, outputs=["growht"])
