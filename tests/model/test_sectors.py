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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        restricted = simulate_baseline(model, stop=2035, parameters={"data_restricted_fraction": 0.5})
    base = baseline.frame["max_run_flop_data"].loc[:2035]
    lower = restricted.frame["max_run_flop_data"].loc[base.index]
    assert (lower < base).all()
    # at a fixed state, halving usable text quarters the Chinchilla ceiling (C ~ D^2)
    a = evaluate(model, 2025, baseline)
    b = evaluate(model, 2025, baseline, change_params={"data_restricted_fraction": 0.5})
    human_share = a["usable_human_text_tokens"] * a["multimodal_data_multiplier"] / a["data_stock_tokens"]
    assert b["max_run_flop_data"] < a["max_run_flop_data"] * (1 - 0.5 * human_share) ** 2 * 1.0001


def test_without_ai_research_labour_progress_is_human_driven(model, baseline):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        human_only = simulate_baseline(model, stop=2040, parameters={"research_inference_share_of_fleet": 0.0})
    f = human_only.frame
    assert (f["ai_research_labour"] == 0).all()
    np.testing.assert_allclose(f["research_speedup"], 1.0)
    np.testing.assert_allclose(f["research_input"], f["human_only_research_input"])
    # and AI research labour speeds progress in the baseline once automation starts
    b = baseline.frame
    late = b.index[(b["automation_fraction"] > 0.05) & b.index.isin(f.index)]  # both runs saved these times
    assert (b.loc[late, "algorithmic_progress_rate_per_year"] > f.loc[late, "algorithmic_progress_rate_per_year"]).all()


def test_revenue_falling_short_of_spending_makes_spending_fall(model, baseline):
    disappointing = evaluate(model, 2025, baseline, change_state={"ai_revenue_usd_per_year": 0.05})
    assert disappointing["revenue_per_dollar_spent"] < baseline.parameters["required_revenue_to_spending"]
    assert disappointing["optimism_change"] < 0
    assert disappointing["ai_spending_change"] < 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        run = simulate_baseline(model, stop=2030, parameters={"market_share_at_reference": 0.0005,
                                                              "adoption_rate_per_year": 0.2})
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


def test_gwp_ceiling_stops_spending_growth(model, baseline):
    at_ceiling = evaluate(model, 2025, baseline, change_params={"max_ai_spending_share_of_gwp": 0.01})
    assert at_ceiling["ai_spending_share_of_gwp"] < 0.01 or at_ceiling["ai_spending_change"] <= 0
