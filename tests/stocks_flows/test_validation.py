"""Build-time validation: every error class names its culprit."""

import pytest

from aiscale.stocks_flows import (
    DuplicateNameError,
    Model,
    ModelValidationError,
    ParameterRangeError,
    UnknownNameError,
)

from .reference_models import delays, lookups, sir, teacup


def small_model(**overrides) -> Model:
    m = Model("small", units=["FLOP = [compute]", "USD = [currency]"])
    m.parameter("price_usd_per_flop", 1e-17, "USD/FLOP", low=1e-20, high=1e-10)
    m.parameter("budget_growth", 0.5, "1/year")
    m.stock("budget_usd", 1e9, "USD", inflows=["budget_increase"])

    @m.flow("USD/year")
    def budget_increase(budget_usd, budget_growth):
        return budget_usd * budget_growth

    @m.auxiliary("FLOP")
    def affordable_flop(budget_usd, price_usd_per_flop):
        return budget_usd / price_usd_per_flop

    return m


def test_valid_models_build():
    for build in (small_model, teacup, sir, lookups, delays):
        build().build()


def test_unknown_name_is_named_with_a_suggestion():
    m = small_model()

    @m.auxiliary("USD")
    def spend(budget_us):
        return budget_us

    with pytest.raises(ModelValidationError, match=r"'spend' reads unknown name 'budget_us'.*did you mean: budget_usd"):
        m.build()


def test_unknown_flow_in_stock_is_named():
    m = small_model()
    m.stock("other", 0, "USD", inflows=["budget_increse"])
    with pytest.raises(ModelValidationError, match="'other' lists 'budget_increse'.*did you mean: budget_increase"):
        m.build()


def test_duplicate_name_is_named():
    m = small_model()
    with pytest.raises(DuplicateNameError, match="duplicate name 'budget_growth'.*parameter"):
        m.parameter("budget_growth", 1.0, "1/year")
    with pytest.raises(DuplicateNameError, match="'affordable_flop'"):
        @m.auxiliary("FLOP")
        def affordable_flop(budget_usd):
            return budget_usd


def test_algebraic_loop_names_its_variables():
    m = small_model()

    @m.auxiliary("USD")
    def chicken(egg):
        return egg

    @m.auxiliary("USD")
    def egg(chicken):
        return chicken

    with pytest.raises(ModelValidationError, match="algebraic loop") as info:
        m.build()
    assert "chicken" in str(info.value) and "egg" in str(info.value)
    assert info.value.kinds == {"algebraic-loop"}


def test_unattached_flow_is_named():
    m = small_model()

    @m.flow("USD/year")
    def orphan_spending(budget_usd, budget_growth):
        return budget_usd * budget_growth

    with pytest.raises(ModelValidationError, match="flow 'orphan_spending' is attached to no stock"):
        m.build()


def test_missing_unit_is_named():
    m = small_model()
    m.parameter("mystery", 1.0, None)
    with pytest.raises(ModelValidationError, match="'mystery' declares no unit"):
        m.build()


def test_adding_flop_to_dollars_is_a_unit_error():
    m = small_model()

    @m.auxiliary("USD")
    def nonsense(budget_usd, affordable_flop):
        return budget_usd + affordable_flop

    with pytest.raises(ModelValidationError, match="'nonsense'") as info:
        m.build()
    assert info.value.kinds == {"unit"}


def test_declared_unit_disagreeing_with_result_is_reported():
    m = small_model()

    @m.auxiliary("FLOP")
    def wrong_unit(budget_usd, budget_growth):
        return budget_usd * budget_growth

    with pytest.raises(ModelValidationError, match=r"'wrong_unit' computes .*USD.* but declares FLOP"):
        m.build()


def test_hidden_scale_factor_is_reported():
    """FLOP/s x year is a FLOP count only after converting years to seconds."""
    m = small_model()
    m.parameter("fleet_flop_per_s", 1e18, "FLOP/s")
    m.parameter("run_length", 0.25, "year")

    @m.auxiliary("FLOP")
    def run_flop(fleet_flop_per_s, run_length):
        return fleet_flop_per_s * run_length

    with pytest.raises(ModelValidationError, match=r"'run_flop' .*3.15\d*e\+07 x its declared FLOP"):
        m.build()


def test_flow_unit_must_match_stock_per_time():
    m = small_model()
    m.stock("compute_stock", 0.0, "FLOP", inflows=["bad_flow"])

    @m.flow("USD/year")
    def bad_flow(budget_usd, budget_growth):
        return budget_usd * budget_growth

    with pytest.raises(ModelValidationError, match="flow 'bad_flow' is in USD / a, but stock 'compute_stock' needs FLOP / a"):
        m.build()


def test_every_problem_is_reported_at_once():
    m = small_model()
    m.parameter("mystery", 1.0, None)

    @m.flow("USD/year")
    def orphan(budget_usd):
        return budget_usd

    with pytest.raises(ModelValidationError) as info:
        m.build()
    assert info.value.kinds == {"missing-unit", "unattached-flow"}


def test_unknown_parameter_override_suggests_closest():
    with pytest.raises(UnknownNameError, match="unknown parameter 'budget_grwth'.*did you mean: budget_growth"):
        small_model().run(0, 1, parameters={"budget_grwth": 0.3})


def test_out_of_range_parameter_names_the_bound():
    with pytest.raises(ParameterRangeError, match=r"'price_usd_per_flop' = 1 is above its upper bound 1e-10"):
        small_model().with_parameters(price_usd_per_flop=1.0)
    with pytest.raises(ParameterRangeError, match="below its lower bound 1e-20"):
        small_model().run(0, 1, parameters={"price_usd_per_flop": 0.0})


def test_bad_names_and_time_reserved():
    m = small_model()
    with pytest.raises(ValueError, match="not a valid identifier"):
        m.parameter("bad name", 1.0, "USD")
    with pytest.raises(DuplicateNameError, match="reserved"):
        m.parameter("time", 1.0, "year")


def _rate_source() -> Model:
    m = Model("units_default", units=["widget = [widget]"])
    m.parameter("base_orders", 100, "widget/year")

    @m.flow("widget/year")
    def orders(base_orders):
        return base_orders

    m.stock("backlog", 0, "widget", inflows=["orders"], outflows=["shipments"])
    return m


def test_delay_and_smooth_default_to_the_input_unit():
    m = _rate_source()
    m.delay("shipments", "orders", 2.0, order=3, initial=50.0)
    m.smooth("perceived_orders", "orders", 1.5)
    m.smooth("perceived_backlog", "backlog", 1.0, order=3)
    m.build()  # units check: every generated element has a consistent unit
    assert m.builtins["shipments"].unit == "widget/year"
    assert m.element("shipments").unit == "widget/year"
    assert m.element("shipments__initial").unit == "widget/year"
    assert m.element("perceived_orders").unit == "widget/year"
    assert m.element("perceived_backlog").unit == "widget"
    assert m.element("perceived_backlog__adjust1").unit == "(widget)/year"
    # an explicit unit still wins
    m2 = _rate_source()
    m2.delay("shipments", "orders", 2.0, unit="widget/year")
    assert m2.builtins["shipments"].unit == "widget/year"


def test_delay_of_an_undeclared_input_without_unit_is_reported_once():
    m = _rate_source()
    m.delay("shipments", "late_orders", 2.0, order=3)

    @m.flow("widget/year")
    def late_orders(base_orders):
        return base_orders

    m.stock("sink", 0, "widget", inflows=["late_orders"])
    with pytest.raises(ModelValidationError, match="delay 'shipments' has no unit: pass unit=") as info:
        m.build()
    assert str(info.value).count("shipments") == 1 and info.value.kinds == {"missing-unit"}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinite_parameters_are_refused_everywhere(value):
    """NaN passes every < and > comparison: without its own check it would run."""
    import numpy as np

    from aiscale.stocks_flows import Intervention, InterventionError

    m = small_model().build()
    with pytest.raises(ParameterRangeError, match="'budget_growth' = .* is not a finite number"):
        m.with_parameters(budget_growth=value)
    with pytest.raises(ParameterRangeError, match="not a finite number"):
        m.run(0, 1, parameters={"budget_growth": np.array([0.5, value])})
    with pytest.raises(ParameterRangeError, match="not a finite number"):
        Model("x").parameter("p", value, "1")
    for kwargs in ({"start": value, "value": 1.0}, {"start": 1.0, "value": value},
                   {"start": 1.0, "end": value, "value": 1.0}):
        with pytest.raises(InterventionError, match="must be a finite number"):
            Intervention("step", "budget_growth", mode="multiply", **kwargs)
    with pytest.raises(InterventionError, match="table point 2 must be a finite number"):
        Intervention("schedule", "budget_growth", table=((0, 0.1), (1, value)))


def test_a_solver_failure_is_not_reported_as_a_blow_up():
    """A drain at a constant speed that switches sign at zero makes the state chatter
    there: BDF gives up at t = 0.1 where nothing grows (a solver failure, the run ends
    there with finite values); where a state runs off to infinity (dS/dt = S^2, in
    test_simulation) the same failure is a singularity."""
    import numpy as np

    m = Model("chatter", units=["widget = [widget]"])
    m.parameter("speed", 10.0, "widget/year")
    m.stock("s", 1.0, "widget", outflows=["drain"])

    @m.flow("widget/year")
    def drain(s, speed):
        return speed * np.sign(s)

    r = m.run(0, 1, method="BDF", max_seconds=60)
    assert [e.kind for e in r.events] == ["solver-failure"] and not r.blew_up
    assert r.events[0].time == pytest.approx(0.1, abs=1e-3)
    assert r.frame.index[-1] == pytest.approx(0.1, abs=1e-3) and np.isfinite(r.frame.to_numpy()).all()
