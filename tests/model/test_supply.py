"""The supply side (issue 10): physical ceilings, a fleet of chip cohorts, power bounded
by the grid, a supply chain that binds when demand outruns its lead times, and
capability that persists. Each test states the behaviour or bound it checks."""

import warnings

import numpy as np
import pandas as pd
import pytest

from aiscale.calibration.history import history_dir
from aiscale.model import build_model, parameter_table, simulate_baseline
from aiscale.model.compute import cohort_weights
from aiscale.model.progress import ceiling_penalty, semi_endogenous_progress_rate

# Every lever of AI-accelerated progress at the end of its range that speeds progress.
MAXIMAL_AI_ACCELERATION = {
    "hardware_research_elasticity": 1.5, "research_inference_weight": 5.0,
    "flop_per_s_per_ai_researcher": 1e14, "full_automation_effective_flop": 1e28, "flop_gap": 10.0,
    "automation_start_effective_flop": 1e21, "research_returns": 3.0, "research_parallelism": 1.0,
    "labour_share_in_research": 0.9, "hardware_rnd_returns": 7.0,
}


def run(model, stop=2060.0, **parameters):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return simulate_baseline(model, stop=stop, parameters=parameters)


@pytest.fixture(scope="module")
def accelerated(model):
    return run(model, **MAXIMAL_AI_ACCELERATION)


# ---------------------------------------------------------------- the law of progress

def test_ceiling_penalty_is_one_at_the_start_and_zero_at_the_ceiling():
    assert ceiling_penalty(1.0, 1.0, 1e12) == pytest.approx(1.0)
    assert ceiling_penalty(1e12, 1.0, 1e12) == pytest.approx(0.0)
    assert ceiling_penalty(1e6, 1.0, 1e12) == pytest.approx(0.5)  # linear in orders of magnitude
    assert ceiling_penalty(1e-3, 1.0, 1e12) == pytest.approx(1.0)  # below the reference: no penalty


def test_semi_endogenous_growth_is_steady_at_returns_times_input_growth():
    """With research input growing at n and X growing at r n, the rate stays put (Jones 1995):
    d ln g / dt = lambda n - (lambda / r) g = 0 when g = r n (far below the ceiling)."""
    g0, r, lam, n = 0.3, 5.2, 0.7, 0.3 / 5.2
    t, ceiling = 10.0, 1e300
    rate = semi_endogenous_progress_rate(g0, np.exp(n * t), lam, np.exp(g0 * t), 1.0, r, ceiling, 1.0)
    assert rate == pytest.approx(g0 * ceiling_penalty(np.exp(g0 * t), 1.0, ceiling), rel=1e-12)


# ---------------------------------------------------------------- ceilings

def test_returns_to_hardware_rnd_leave_history_intact(model, baseline):
    """Human chip R&D grows at n = g / r (the balanced path, g = r n), so the returns r,
    a forward-looking parameter (FTM: 3 / 5.2 / 7), do not rewrite 2012-2025: the largest
    run moves by < 0.05 orders of magnitude over 2012-2025 (measured 0.006; 0.4 when R&D
    grew at a fixed 0.058/yr) and the design frontier keeps its historical pace to 2022."""
    f = baseline.frame
    g = baseline.parameters["price_performance_growth_per_year"]
    for returns in (3.0, 7.0):
        other = run(model, stop=2026, hardware_rnd_returns=returns).frame
        gap = np.log10(other.loc[2012:2025, "largest_training_run_flop"] / f.loc[2012:2025, "largest_training_run_flop"])
        assert np.abs(gap).max() < 0.05, (returns, np.abs(gap).max())
        rate = other.loc[2012:2022, "design_price_performance_rate_per_year"]
        # only the ceiling penalty (FTM's, linear in orders of magnitude) slows it before AI helps
        assert (rate <= g * (1 + 1e-9)).all() and (rate >= 0.85 * g).all(), (returns, rate.min())


def test_hardware_and_algorithms_stay_below_their_ceilings_under_maximal_ai_acceleration(model, accelerated):
    f, p = accelerated.frame, accelerated.parameters
    assert not accelerated.blew_up and f.index[-1] == 2060
    tolerance = 1 + 1e-9  # the design frontiers integrate their distance to the ceiling, so they never cross it
    for level, ceiling in (("flop_per_s_per_usd", "max_flop_per_s_per_usd"),
                           ("flop_per_s_per_usd_design", "max_flop_per_s_per_usd"),
                           ("flop_per_joule_new_chips", "max_flop_per_joule"),
                           ("flop_per_joule_new_chips_design", "max_flop_per_joule"),
                           ("algorithmic_efficiency", "max_algorithmic_efficiency")):
        assert (f[level] <= p[ceiling] * tolerance).all(), level
    assert (f["flop_per_s_per_chip"] <= p["max_flop_per_joule"] * p["max_chip_power_w"] * tolerance).all()
    # and AI acceleration does push them: algorithms end within a factor 10 of their ceiling
    assert f["algorithmic_efficiency"].iloc[-1] > p["max_algorithmic_efficiency"] / 10


def test_progress_slows_as_the_frontier_nears_its_ceiling(accelerated):
    f = accelerated.frame
    for rate in ("algorithmic_progress_rate_per_year", "design_price_performance_rate_per_year",
                 "design_energy_efficiency_rate_per_year"):
        # once at the ceiling, progress stops, however much AI speeds research up
        assert f[rate].loc[2050:].max() < 1e-3 * f[rate].max(), rate
    assert f["research_speedup"].loc[2050:].min() > 1e3


def test_ai_power_never_exceeds_world_electricity(baseline, accelerated):
    for result in (baseline, accelerated):
        f = result.frame
        assert (f["datacenter_power_w"] <= f["world_electricity_w"]).all()
        # every chip that runs has power: the running fleet draws no more than the capacity
        running_draw = f["usable_fleet_flop_per_s"] / f["flop_per_joule"] * result.parameters["datacenter_overhead"]
        assert (running_draw.to_numpy() <= f["datacenter_power_w"].to_numpy() * (1 + 1e-6)).all()


def test_world_electricity_grows_at_its_historical_rate_until_ai_demand_pushes_it(baseline):
    w = baseline.frame["world_electricity_w"]
    growth = np.log(w.loc[2024] / w.loc[2012]) / 12
    assert 0.02 <= growth <= 0.03  # IEA: ~22,700 TWh (2012) to ~30,000 TWh (2024)
    assert (w.loc[2025:].pct_change().dropna() <= np.exp(0.25 * baseline.parameters["max_electricity_growth_per_year"])
            ).all()


# ---------------------------------------------------------------- history the supply side reproduces

def test_hardware_history(baseline):
    """Epoch ML hardware: the H100 (released Sep 2022) gives 1.4e12 FLOP/J and 2.9e10 FLOP/s per $
    ($33,600); the B200 (Nov 2024) 2.25e12 FLOP/J; the design frontier is within 1.5x of each
    at release, and chips bought in volume lag it by about the hardware delay."""
    f = baseline.frame
    for year, flop_per_joule in ((2022.75, 9.894e14 / 700), (2024.75, 2.25e15 / 1000)):
        assert flop_per_joule / 1.5 <= f["flop_per_joule_new_chips_design"].loc[year] <= flop_per_joule * 1.5, year
    assert 2.94e10 / 1.5 <= f["flop_per_s_per_usd_design"].loc[2022.75] <= 2.94e10 * 1.5
    # an H100-class chip (~1e15 FLOP/s) is what is bought in volume in 2023-2024
    assert 5e14 <= f["flop_per_s_per_chip"].loc[2023.5] <= 2e15


def epoch_chip_power_w(year_end: str) -> float:
    """AI chip power (TDP) of every accelerator Epoch tracked as sold up to ``year_end``
    (NVIDIA from 2022, TPU from 2023, AMD and Trainium from 2024), summed over designers."""
    table = pd.read_csv(history_dir() / "epoch_ai_chip_cumulative_by_designer.csv").drop_duplicates()
    return float(table.loc[table["cumulative_to"] == year_end, "power_mw_median"].sum()) * 1e6


@pytest.mark.parametrize("year,year_end", [(2025.0, "2024-12-31"), (2026.0, "2025-12-31")])
def test_fleet_chip_power_within_2x_of_epoch_estimates(baseline, year, year_end):
    """Epoch AI Chip Sales: ~5.3 GW of AI chips sold 2022-2024 and ~12.4 GW by end-2025."""
    observed = epoch_chip_power_w(year_end)
    simulated = baseline.frame["fleet_chip_power_w"].loc[year]
    assert observed / 2 <= simulated <= observed * 2, f"{simulated:.3g} W vs {observed:.3g} W"


def test_ai_datacenter_power_in_2024_is_within_2x_of_published_estimates(baseline):
    """AI datacenter power at the wall in 2024-2025 against Epoch's chip power times the
    datacenter overhead (2x): the estimates of 2024 (~10 GW) and end-2025 (~25 GW)."""
    f = baseline.frame
    for year, year_end in ((2025.0, "2024-12-31"), (2026.0, "2025-12-31")):
        observed = epoch_chip_power_w(year_end) * baseline.parameters["datacenter_overhead"]
        assert observed / 2 <= f["datacenter_power_w"].loc[year] <= observed * 2, year


def test_fleet_in_h100_equivalents_matches_epoch_chip_sales(baseline):
    """Epoch AI Chip Sales: ~6.5M H100e sold 2022-2024 and ~19.7M by end-2025."""
    table = pd.read_csv(history_dir() / "epoch_ai_chip_cumulative_by_designer.csv").drop_duplicates()
    for year, year_end in ((2025.0, "2024-12-31"), (2026.0, "2025-12-31")):
        observed = table.loc[table["cumulative_to"] == year_end, "h100e_median"].sum()
        simulated = baseline.frame["fleet_h100_equivalents"].loc[year]
        assert observed / 3 <= simulated <= observed * 3, year


# ---------------------------------------------------------------- the fleet as cohorts

def test_cohort_weights_are_the_steady_state_of_growing_purchases():
    w = cohort_weights(0.3, 4.5)
    assert sum(w) == pytest.approx(1.0)
    assert all(a > b for a, b in zip(w, w[1:]))
    assert cohort_weights(0.0, 4.5) == pytest.approx([0.25] * 4)


def test_fleet_efficiency_is_a_vintage_average_below_the_newest_chips(baseline):
    f = baseline.frame
    assert (f["flop_per_joule"] <= f["flop_per_joule_new_chips"] * (1 + 1e-9)).all()
    # a chip keeps its efficiency: the fleet lags the newest chips by about one to three years of progress
    lag = np.log(f["flop_per_joule_new_chips"] / f["flop_per_joule"]) / f["energy_efficiency_progress_rate_per_year"]
    assert 0.5 <= lag.loc[2020] <= 3.0


def test_fleet_starts_in_steady_state(baseline):
    """No start-up transient: cohorts, supply lines and capacities start where steady
    growth puts them, so the first quarter's growth rates are smooth."""
    f = baseline.frame
    fleet = f["gpu_fleet_flop_per_s"]
    assert 0.0 < np.log(fleet.loc[2012.25] / fleet.loc[2012.0]) * 4 < 1.5
    for stock in ("wafer_capacity_wafers_per_year", "world_electricity_w"):
        growth = np.log(f[stock].loc[2012.25] / f[stock].loc[2012.0]) * 4
        assert 0.0 <= growth <= 0.15, stock


# ---------------------------------------------------------------- the supply chain

SUPPLY_LINES = ["wafer_capacity_wafers_per_year_under_construction", "cowos_capacity_wafers_per_year_under_construction",
                "hbm_capacity_chips_per_year_under_construction", "datacenter_power_w_under_construction",
                "world_electricity_w_under_construction"]


def test_supply_lines_never_negative_over_10000_random_draws(model):
    table = parameter_table()
    rng = np.random.default_rng(10)
    n = 10_000
    uncertain = table[(table["low"] < table["high"]) & (table["sector"].isin(
        ["semiconductors", "capacity", "compute", "economy"]))].index
    draws = {}
    for name in uncertain:
        low, high = table.loc[name, "low"], table.loc[name, "high"]
        draws[name] = (np.exp(rng.uniform(np.log(low), np.log(high), n)) if low > 0 and high / low > 20
                       else rng.uniform(low, high, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ds = model.run_ensemble(draws, 2012, 2060, method="rk4", dt=0.25, saveper=1.0, outputs=SUPPLY_LINES,
                                include_parameters=False)
    for line in SUPPLY_LINES:
        values = ds[line].values
        assert np.isfinite(values).all(), line
        assert (values >= -1e-9 * np.abs(values).max()).all(), f"{line}: min {values.min():.3g}"


def surge(model, extra=(), stop=2030.0):
    """Demand that jumps as it did in 2023 (a 4x jump in the chip budget's reach)."""
    from aiscale.stocks_flows import Intervention

    surged = model.with_interventions([Intervention("step", "chip_spending_usd_per_year", start=2023.0, value=4.0,
                                                    mode="multiply"), *extra])
    return run(surged, stop=stop)


def test_chips_bind_when_demand_outruns_the_packaging_lead_time(model):
    """A demand surge, as in 2023, finds CoWoS and HBM capacity built for slower growth:
    for a year or more the supply chain, not money, caps the largest run."""
    f = surge(model).frame
    assert (f.loc[2022.0:2022.5, "binding_constraint"] == "money").all()
    assert (f.loc[2023.5:2025.75, "binding_constraint"] == "chips").all()
    window = f.loc[2023.5:2025.75]
    assert (window["max_run_flop_chips"] < window["max_run_flop_power"]).all()


def test_lead_times_matter_when_chips_bind(model):
    """With chips binding, faster packaging build-out gives a larger run (issue: lead times
    used to move the largest run by at most 0.05 orders of magnitude)."""
    from aiscale.stocks_flows import Intervention

    slow = surge(model, [Intervention("step", "packaging_lead_years", start=2012.0, value=3.0),
                         Intervention("step", "hbm_lead_years", start=2012.0, value=3.0)]).frame
    fast = surge(model, [Intervention("step", "packaging_lead_years", start=2012.0, value=0.75),
                         Intervention("step", "hbm_lead_years", start=2012.0, value=0.75)]).frame
    gain = np.log10(fast.loc[2025.0, "largest_training_run_flop"] / slow.loc[2025.0, "largest_training_run_flop"])
    assert gain > 0.2  # measured: 0.33 orders of magnitude


@pytest.mark.parametrize("scenario,years,effect", [
    ("taiwan-shock", (2028.0, 2029.0), (-0.6, -0.15)),   # measured -0.19 and -0.24
    ("fab-subsidies", (2025.0, 2029.0), (0.03, 0.3)),  # measured +0.08 and +0.07 (money binds 2026-2028)
])
def test_supply_policies_move_the_largest_run_in_the_years_chips_bind(model, baseline, scenario, years, effect):
    from aiscale.scenarios import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f = load_scenario(scenario).simulate(model, stop=2032).frame
    for year in years:
        assert f.loc[year, "binding_constraint"] == "chips"
        change = np.log10(f.loc[year, "largest_training_run_flop"] / baseline.frame.loc[year, "largest_training_run_flop"])
        assert effect[0] <= change <= effect[1], (year, change)


def test_energy_cost_enters_the_cost_of_compute(model, baseline):
    dear = run(model, stop=2030, electricity_price_usd_per_kwh=0.2).frame
    assert (dear.loc[2015:2030, "gpu_fleet_flop_per_s"] < baseline.frame.loc[2015:2030, "gpu_fleet_flop_per_s"]).all()
    # An H100 (epoch_ml_hardware_trimmed.csv: $33,600, 700 W) at the table's overhead, price
    # and service life: its electricity is 12% of its cost of ownership.
    table = parameter_table()["value"]
    h100 = pd.read_csv(history_dir() / "epoch_ml_hardware_trimmed.csv").set_index("hardware").loc["NVIDIA H100 SXM5 80GB"]
    energy = (h100["tdp_w"] * table["datacenter_overhead"] * table["chip_lifetime_years"] * table["seconds_per_year"]
              * table["electricity_price_usd_per_kwh"] / table["joules_per_kwh"])
    h100_share = energy / (energy + h100["release_price_usd"])
    assert h100_share == pytest.approx(0.116, abs=0.005)
    share = baseline.frame["energy_share_of_compute_cost"]
    assert h100_share / 2 <= share.loc[2023] <= h100_share * 2


def test_compute_is_bought_at_its_cost_of_ownership(baseline):
    """Purchases x (price + lifetime electricity) = the compute budget, every quarter."""
    f = baseline.frame
    assert np.allclose(f["chip_purchases_affordable_flop_per_s_per_year"] * f["compute_cost_usd_per_flop_per_s"],
                       f["compute_budget_usd_per_year"], rtol=1e-9)
    assert ((f["energy_share_of_compute_cost"] > 0) & (f["energy_share_of_compute_cost"] < 1)).all()
    assert (f["chip_spending_usd_per_year"] > 0).all()


def test_when_chips_become_nearly_free_electricity_is_the_cost_of_compute(model):
    """Price-performance at the top of its range and energy efficiency at the bottom of
    its own: by 2050 electricity is most of what new compute costs, and the fleet's bill
    stays within the compute budget (buyers do not buy chips they cannot power)."""
    f = run(model, max_flop_per_joule=5e14, max_flop_per_s_per_usd=2e22).frame
    assert f.loc[2050:, "energy_share_of_compute_cost"].min() >= 0.9
    assert (f["compute_energy_cost_usd_per_year"] <= f["compute_budget_usd_per_year"]).all()


# ---------------------------------------------------------------- capability persists

def test_capability_follows_the_run_under_way_with_the_run_length_and_release_lag(baseline):
    f = baseline.frame
    assert (f["frontier_model_effective_compute_flop"] <= f["effective_compute_flop"].cummax() * (1 + 1e-6)).all()
    assert (np.diff(f["frontier_model_effective_compute_flop"].to_numpy()) >= 0).all()
    # in steady growth the deployed model is the run started one lag earlier
    lag = f["capability_lag_years"].loc[2024]
    growth = np.log(f["effective_compute_flop"].loc[2025] / f["effective_compute_flop"].loc[2023]) / 2
    behind = np.log(f["effective_compute_flop"].loc[2024] / f["frontier_model_effective_compute_flop"].loc[2024])
    assert behind == pytest.approx(growth * lag, rel=0.35)


def test_ending_a_pause_gives_no_jump_in_capability(model):
    from aiscale.scenarios import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f = load_scenario("pause").simulate(model, stop=2040).frame
    capability = np.log(f["frontier_model_effective_compute_flop"])
    rate = capability.diff() / np.diff(f.index.to_numpy(), prepend=np.nan)
    # no faster than closing the whole gap to the run under way within one capability lag
    bound = np.log(f["effective_compute_flop"] / f["frontier_model_effective_compute_flop"]).shift(1) / (
        f["capability_lag_years"].shift(1))
    assert (rate.dropna() <= bound.dropna().clip(lower=0) * 1.5 + 1.0).all()
    assert capability.diff().max() < np.log(10)  # never 10x in one quarter
