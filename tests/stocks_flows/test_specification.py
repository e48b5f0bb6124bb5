"""The model as a specification: typed roles instead of name conventions, pure
transforms, one range check, and solver settings as small immutable objects."""

import dataclasses
import inspect
import math

import numpy as np
import pytest

from aiscale.stocks_flows import (
    FixedStep,
    Intervention,
    InterventionError,
    Limits,
    Model,
    ParameterRangeError,
    SaveAt,
    Solver,
    UnknownNameError,
)

from .reference_models import delays, sir


def snapshot(m: Model) -> dict:
    """Everything a transform could change, by value."""
    return {"declared": dict(m._declared), "values": dict(m._values), "interventions": m.interventions,
            "span": (m.start, m.stop), "parameters": {n: p for n, p in m.parameters.items()},
            "stocks": dict(m.stocks), "equations": dict(m.equations), "builtins": dict(m.builtins)}


def test_transforms_never_change_their_input():
    m = delays().build()
    before = snapshot(m)
    plan = m.plan
    changed = [
        m.with_parameters(shipping_time=3.0),
        m.with_interventions([Intervention("step", "base_orders", start=5.0, value=150.0)]),
        m.replace(dataclasses.replace(m.parameters["perception_time"], value=2.0, source="a fit")),
        m.with_span(5, 15),
    ]
    assert snapshot(m) == before and m.plan is plan
    assert changed[0].parameters["shipping_time"].value == 3.0
    assert "base_orders__intervened" in changed[1].equations
    assert changed[2].parameters["perception_time"].source == "a fit"
    assert (changed[3].start, changed[3].stop) == (5.0, 15.0)
    # a chain of transforms composes; the original still runs as before
    again = changed[1].with_parameters(base_orders=120.0).with_interventions([])
    assert again.parameters["base_orders"].value == 120.0 and m.parameters["base_orders"].value == 100.0
    np.testing.assert_array_equal(m.run(0, 5, method="euler", dt=0.25)["shipments"],
                                  delays().run(0, 5, method="euler", dt=0.25)["shipments"])


def test_roles_are_typed_metadata_not_names():
    m = delays().with_interventions([Intervention("cap", "orders", start=4.0, value=120.0)])
    roles = {name: m.element(name).role for name in m.names()}
    assert roles["shipping_time"] == roles["backlog"] == roles["orders"] == "user"
    assert roles["shipments"] == "user"  # a builtin's output is the modeller's
    assert roles["shipments__stock2"] == roles["returns__time"] == "generated"
    assert m.element("shipments__stock2").owner == "shipments"
    assert roles["orders__base"] == roles["orders__iv0_value"] == "policy"
    assert m.element("orders__iv0_start").owner == "orders"
    frame = m.run(0, 10, method="euler", dt=0.25).frame
    assert "orders__base" in frame and "shipments__stock2" not in frame
    ds = m.run_ensemble({"shipping_time": [1.0, 2.0]}, 0, 2, method="euler", dt=0.25)
    assert "shipping_time" in ds and "orders__iv0_value" not in ds and "returns__time" not in ds


def test_an_override_of_an_unknown_or_generated_name_is_refused_with_the_closest_names():
    m = delays()
    with pytest.raises(UnknownNameError, match=r"unknown parameter 'shiping_time' \(did you mean: shipping_time"):
        m.run(0, 1, parameters={"shiping_time": 1.0})
    for attempt in (lambda: m.run(0, 1, parameters={"returns__time": 1.0}),
                    lambda: m.with_parameters(returns__time=1.0),
                    lambda: m.run_ensemble({"returns__time": [1.0, 2.0]}, 0, 1, method="euler", dt=0.5)):
        with pytest.raises(UnknownNameError, match=r"'returns__time' is generated \(internal to 'returns'\) "
                                                   r"and cannot be set"):
            attempt()
    # policy parameters (an intervention's numbers) may be varied
    capped = sir().with_interventions([Intervention("cap", "succumbing", start=5.0, value=20.0)])
    assert capped.with_parameters(succumbing__iv0_value=10.0).parameters["succumbing__iv0_value"].value == 10.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_one_range_check_refuses_non_finite_values_everywhere(bad):
    m = sir()
    for attempt in (lambda: m.run(0, 1, parameters={"duration": bad}),
                    lambda: m.with_parameters(duration=bad),
                    lambda: m.with_parameters(duration=bad, check_ranges=False),
                    lambda: m.run_ensemble({"duration": [1.0, bad]}, 0, 1, method="euler", dt=0.5),
                    lambda: m.parameter("new_one", bad, "day")):
        with pytest.raises(ParameterRangeError, match="not a finite number"):
            attempt()
    with pytest.raises(InterventionError, match="must be a finite number"):
        Intervention("step", "duration", start=1.0, value=bad)
    with pytest.raises(InterventionError, match="must be a finite number"):
        Intervention("step", "duration", start=bad, value=1.0)


def test_range_messages_come_from_one_place():
    p = sir().parameters["duration"]
    assert p.violation(5.0) is None
    assert p.violation(500.0) == "= 500 is above its upper bound 100 (range [0.1, 100])"
    assert p.violation(np.array([1.0, 0.01])) == "= 0.01 is below its lower bound 0.1 (range [0.1, 100])"
    with pytest.raises(InterventionError, match=r"to 500, outside its range \[0.1, 100\]"):
        sir().with_interventions([Intervention("step", "duration", start=1, value=500)])


# ---------------------------------------------------------------------- settings
def test_settings_objects_equal_the_flat_keywords():
    m = sir()
    a = m.run(0, 20, solver=FixedStep(0.125, "rk4"), saveat=SaveAt(0.5))
    b = m.run(0, 20, method="rk4", dt=0.125, saveper=0.5)
    assert a.frame.equals(b.frame) and a.metadata == b.metadata
    c = m.run(0, 20, solver=Solver("DOP853", rtol=1e-8), saveat=SaveAt(1.0), limits=Limits(10_000, None))
    d = m.run(0, 20, method="DOP853", rtol=1e-8, saveper=1.0, max_evaluations=10_000, max_seconds=None)
    assert c.frame.equals(d.frame)
    with pytest.raises(ValueError, match="not both"):
        m.run(0, 1, solver=FixedStep(0.5), method="euler")


@pytest.mark.parametrize("make,message", [
    (lambda: FixedStep(0), "dt must be a positive finite number"),
    (lambda: FixedStep(-0.25), "dt must be a positive finite number"),
    (lambda: FixedStep(math.nan), "dt must be a positive finite number"),
    (lambda: FixedStep(0.5, "RK45"), "an adaptive method: use Solver"),
    (lambda: Solver("euler"), "a fixed-step method: use FixedStep"),
    (lambda: Solver("RK54"), "unknown method 'RK54'"),
    (lambda: Solver(rtol=-1), "rtol must be a positive finite number"),
    (lambda: SaveAt(math.inf), "saveper must be a positive finite number"),
    (lambda: Limits(max_evaluations=0), "max_evaluations must be a whole number"),
    (lambda: sir().run(0, math.nan), "stop must be a finite number"),
    (lambda: sir().run(5, 1), r"stop \(1\) must be after start \(5\)"),
    (lambda: sir().run(0, 1, method="euler", dt=0.3, saveper=0.5), "whole multiple of dt"),
])
def test_bad_settings_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_settings_are_immutable_and_run_has_an_explicit_signature():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Solver().rtol = 1.0  # type: ignore[misc]
    parameters = inspect.signature(Model.run).parameters
    assert not any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters.values())
    assert {"start", "stop", "solver", "saveat", "parameters", "events", "limits"} <= set(parameters)


def test_a_model_declares_its_span_once_and_a_result_is_short():
    m = Model("span", units=["widget = [widget]"], start=2012, stop=2030)
    m.parameter("rate", 0.1, "1/year")
    m.stock("size", 1.0, "widget", inflows=["growth"])

    @m.flow("widget/year")
    def growth(size, rate):
        return size * rate

    r = m.run()
    assert (r.frame.index[0], r.frame.index[-1]) == (2012.0, 2030.0)
    assert m.run(method="euler", dt=0.5).frame.index[-1] == 2030.0
    assert sir().run().frame.index[-1] == 100.0  # no span declared: Vensim's 0 to 100
    text = repr(r)
    assert text.startswith("<Result 'span' 2012-2030: RK45 rtol=1e-06") and "\n" not in text
    assert len(text) < 160
    assert r.frame.attrs["units"]["size"] == "widget"
