"""Each sector behaves as its mechanism says, with the rest of the model held fixed.

"Held fixed" is literal: the model is evaluated at one state of the baseline run
with a single stock or parameter changed, so only the mechanism under test responds.
"""

import warnings

import numpy as np
import pytest

from aiscale.model import simulate_baseline


def evaluate(model, year, baseline, change_state=None, change_params=None):
    from aiscale.stocks_flows.simulate import prepare

    plan = model.plan
    params, _ = prepare(model, {**baseline.parameters, **(change_params or {})})
    run = model.run(2012, year, saveper=year - 2012, parameters=baseline.parameters)
    y = np.array([[run.states.loc[year, name]] for name in plan.state_names])
    for name, factor in (change_state or {}).items():
        y[plan.state_index[name]] *= factor
    with np.errstate(all="ignore"):
        _, fixed = plan.initial_state(params, 2012.0, 1)
        ns = plan.evaluate(float(year), y, params, fixed)
    return {k: float(np.asarray(v).ravel()[0]) for k, v in ns.items() if np.size(v) == 1}


def test_more_packaging_raises_chip_output_only_while_packaging_binds(model, baseline):
    base = evaluate(model, 2023, baseline)
    limits = {k: base[k] for k in ("wafer_limited_chips_per_year", "packaging_limited_chips_per_year",
                                  "memory_limited_chips_per_year")}
    more = evaluate(model, 2023, baseline, change_state={"cowos_capacity_wafers_per_year": 1.2})
    if min(limits, key=limits.get) == "packaging_limited_chips_per_year":
        assert more["accelerator_output_chips_per_year"] > base["accelerator_output_chips_per_year"]
    # far more packaging than wafers or memory can use: output is set by the others
    lots = evaluate(model, 2023, baseline, change_state={"cowos_capacity_wafers_per_year": 1e3})
    lots_more = evaluate(model, 2023, baseline, change_state={"cowos_capacity_wafers_per_year": 2e3})
    assert lots["accelerator_output_chips_per_year"] == lots_more["accelerator_output_chips_per_year"]
    assert lots["accelerator_output_chips_per_year"] == min(lots["wafer_limited_chips_per_year"],
                                                             lots["memory_limited_chips_per_year"])


def test_packaging_binds_when_scarce(model, baseline):
    scarce = evaluate(model, 2023, baseline, change_state={"cowos_capacity_wafers_per_year": 1e-3})
    more = evaluate(model, 2023, baseline, change_state={"cowos_capacity_wafers_per_year": 2e-3})
    assert more["accelerator_output_chips_per_year"] == pytest.approx(2 * scarce["accelerator_output_chips_per_year"])


def test_data_restriction_lowers_the_data_ceiling(model, baseline):
    """Restricting half the human text lowers the unique data in every year and the data
    ceiling at any given repetition (C ~ D^2). The ceiling at the repetition in use is not
    lower in every year: once data binds, labs repeat the scarcer data more (measured
    1.48 vs 1.07 epochs in 2029.5), which is what repetition is for."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        restricted = simulate_baseline(model, stop=2035, parameters={"data_restricted_fraction": 0.5}).frame
    base = baseline.frame.loc[restricted.index]
    assert (restricted["data_stock_tokens"] < base["data_stock_tokens"]).all()
    binds = restricted.index[(restricted["binding_constraint"] == "data").to_numpy()]
    assert len(binds) and (restricted.loc[binds, "data_epochs"] >= base.loc[binds, "data_epochs"]).all()
    # at a fixed state, halving usable text cuts the ceiling by the square of the data lost
    a = evaluate(model, 2025, baseline)
    b = evaluate(model, 2025, baseline, change_params={"data_restricted_fraction": 0.5})
    human_share = a["usable_human_text_tokens"] * a["multimodal_data_multiplier"] / a["data_stock_tokens"]
    assert 0.9 < human_share < 1  # synthetic data is still small in 2025
    assert b["max_run_flop_data"] == pytest.approx(a["max_run_flop_data"] * (1 - 0.5 * human_share) ** 2, rel=1e-9)


def test_without_ai_research_labour_progress_is_human_driven(model, baseline):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        human_only = simulate_baseline(model, stop=2040, parameters={"research_inference_weight": 0.0})
    f = human_only.frame
    assert (f["ai_research_labour"] == 0).all()
    np.testing.assert_allclose(f["research_speedup"], 1.0)
    np.testing.assert_allclose(f["research_input"], f["human_only_research_input"])
    # and AI research labour speeds progress in the baseline once AI can do much of the
    # research (before that, the compute it takes from experiments is worth more)
    b = baseline.frame
    late = b.index[(b["automation_fraction"] > 0.2) & b.index.isin(f.index)]  # both runs saved these times
    assert (b.loc[late, "algorithmic_progress_rate_per_year"] > f.loc[late, "algorithmic_progress_rate_per_year"]).all()


def test_revenue_falling_short_of_its_forecast_makes_spending_fall(model, baseline):
    base = evaluate(model, 2026, baseline)
    # the forecasts now due were twenty times what revenue turned out to be
    missed = evaluate(model, 2026, baseline, change_state={
        "forecast_due_usd_per_year": 20.0, "forecast_due_usd_per_year__1": 20.0, "forecast_due_usd_per_year__2": 20.0})
    assert base["revenue_realisation"] >= 1 > missed["revenue_realisation"]
    assert missed["target_investor_confidence"] < base["target_investor_confidence"] == 1
    assert missed["investor_confidence__adjust1"] < 0 == base["investor_confidence__adjust1"]  # confidence falls
    # and once it has fallen far enough for what investors want to drop below the finance
    # available (which sets capex in 2026), spending falls
    shaken = evaluate(model, 2026, baseline, change_state={"investor_confidence": 0.2})
    assert shaken["desired_ai_spending_usd_per_year"] < base["desired_ai_spending_usd_per_year"]
    assert shaken["ai_spending_change"] < base["ai_spending_change"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        run = simulate_baseline(model, stop=2030, parameters={"provider_value_capture": 0.2})
    spending = run.frame["ai_spending_usd_per_year"]
    assert spending.loc[2030] < baseline.frame["ai_spending_usd_per_year"].loc[2030]


def test_faster_progress_shortens_runs(model, baseline):
    slow = evaluate(model, 2025, baseline, change_params={"algorithmic_progress_2012": 0.6})
    fast = evaluate(model, 2025, baseline, change_params={"algorithmic_progress_2012": 1.6})
    assert fast["optimal_run_length_years"] < slow["optimal_run_length_years"]


def test_power_limits_the_usable_fleet(model, baseline):
    starved = evaluate(model, 2025, baseline, change_state={"datacenter_power_w": 0.1})
    assert starved["usable_fleet_flop_per_s"] == pytest.approx(starved["power_limited_fleet_flop_per_s"])
    assert starved["usable_fleet_flop_per_s"] < starved["gpu_fleet_flop_per_s"]


def test_available_finance_caps_spending(model, baseline):
    tight = evaluate(model, 2027, baseline, change_params={"max_ai_spending_share_of_gwp": 0.01,
                                                           "capex_share_of_cash_flow": 0.3})
    assert tight["desired_ai_spending_usd_per_year"] == pytest.approx(tight["available_finance_usd_per_year"])
    assert tight["ai_spending_change"] < evaluate(model, 2027, baseline)["ai_spending_change"]
