"""Properties a modeller relies on: monotone responses to resources, units, sources,
agreement with PySD running the exported XMILE, the named feedback loops."""

import warnings

import numpy as np
import pytest

from aiscale.model import build_model, parameter_table, simulate_baseline
from aiscale.model.loops import LOOP_FAMILIES, name_loops
from aiscale.stocks_flows.units import check_units

# Each resource and the stocks that hold it now.
RESOURCE_STOCKS = {
    "wafer": ["wafer_capacity_wafers_per_year"],
    "packaging": ["cowos_capacity_wafers_per_year"],
    "power": ["datacenter_power_w"],
    "data": ["human_text_stock_tokens", "synthetic_data_stock_tokens"],
    "money": ["ai_spending_usd_per_year"] + [f"money_limited_fleet_flop_per_s_cohort[c{k}]" for k in range(1, 5)],
}
UNCERTAIN = ["chip_lifetime_years", "price_performance_growth_per_year", "fab_construction_years",
             "power_buildout_years", "packaging_lead_years", "provider_value_capture", "reinvestment_ratio",
             "cluster_concentration_rate_per_year", "hbm_lead_years", "good_dies_per_wafer",
             "max_data_epochs", "synthetic_usable_fraction", "max_frontier_cluster_share"]
# Loops that can make more of a resource today mean less of it later, by design:
# investors pull back when spending outruns revenue, AI-accelerated research shortens
# runs (cost of delay), heavier data use drives opt-outs.
BEHAVIOURAL_LOOPS_OFF = {"pullback_strength": 0.0, "research_inference_weight": 0.0, "opt_out_rate_per_year": 0.0}


@pytest.fixture(scope="module")
def random_states(model):
    """States of 64 random parameter draws at five dates (one vectorised ensemble)."""
    from aiscale.stocks_flows.simulate import _run

    table = parameter_table()
    rng = np.random.default_rng(2024)
    n = 64
    draws = {name: rng.uniform(table.loc[name, "low"], table.loc[name, "high"], n) for name in UNCERTAIN}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        trajectory, params = _run(model, 2012, 2036, method="rk4", dt=1 / 16, saveper=4.0, parameters=draws,
                                  rtol=1e-6, atol=None, log_space=False, max_step=np.inf, events=(),
                                  blowup=None, breakpoints=(), max_evaluations=10**7, max_seconds=None, n=n)
    return trajectory, params


@pytest.mark.parametrize("resource", sorted(RESOURCE_STOCKS))
def test_more_of_a_resource_never_lowers_the_largest_run(model, random_states, resource):
    """At every sampled state of every random draw, 50% more of the resource now never
    lowers the largest training run (the binding-constraint logic is monotone)."""
    trajectory, params = random_states
    plan = model.plan
    fixed = trajectory.frozen
    for k, t in enumerate(trajectory.times[1:], start=1):
        y = trajectory.states[k]
        more = y.copy()
        for stock in RESOURCE_STOCKS[resource]:
            more[plan.state_index[stock]] *= 1.5
        with np.errstate(all="ignore"):
            before = plan.evaluate(t, y, params, fixed)["largest_training_run_flop"]
            after = plan.evaluate(t, more, params, fixed)["largest_training_run_flop"]
        assert (after >= before * (1 - 1e-12)).all(), f"{resource} at {t}"


@pytest.mark.parametrize("lever,setting", [
    ("ai_spending_2012", {}),
    pytest.param("human_text_2012", {"synthetic_usable_fraction": 0.0, "max_data_epochs": 4.0},  # so that data binds
                 marks=pytest.mark.xfail(reason="measured: in 2 of 16 draws more human text lowers the run by at most "
                                         "0.22% (2029-2034): more data, more capability, faster spending growth, and "
                                         "the cost of delay shortens runs by ~0.1-0.2% (a behavioural loop the "
                                         "parameter ranges cannot switch off); open in issue 10", strict=True)),
])
def test_more_money_or_data_never_lowers_the_largest_run_over_time(model, lever, setting):
    """Over whole runs of random draws (behavioural loops off, see above), more money or
    data at the start never lowers the largest run at any later time."""
    table = parameter_table()
    rng = np.random.default_rng(7)
    n = 16
    draws = {name: np.tile(rng.uniform(table.loc[name, "low"], table.loc[name, "high"], n), 2) for name in UNCERTAIN}
    draws.update({k: np.full(2 * n, v) for k, v in {**BEHAVIOURAL_LOOPS_OFF, **setting}.items()})
    value = table.loc[lever, "value"]
    draws[lever] = np.concatenate([np.full(n, value), np.full(n, min(1.5 * value, table.loc[lever, "high"]))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ds = model.run_ensemble(draws, 2012, 2036, method="rk4", dt=1 / 16, saveper=0.5)
    run = ds["largest_training_run_flop"].values
    assert (run[n:] >= run[:n] * (1 - 1e-9)).all()
    assert (run[n:] > run[:n] * 1.001).any()


def test_units_check_passes_on_the_whole_model(model):
    assert check_units(model) == []


def test_every_parameter_has_a_source_or_an_assumption():
    """A publication, a dataset that ships in the package, a definition, or an assumption
    with its reason; never a file the package does not ship."""
    import re

    from aiscale.calibration.history import history_dir

    shipped = {p.name for p in history_dir().iterdir()}
    table = parameter_table()
    assert table["source"].notna().all()
    for name, row in table.iterrows():
        source = str(row["source"]).strip()
        assert source, name
        cited = any(ch.isdigit() for ch in source) or ".csv" in source or source.startswith("definition")
        assert cited or source.startswith("assumption:"), f"{name}: {source!r}"
        assert not re.search(r"DOMAIN|DESIGN\.md", source), f"{name} cites a file that does not ship: {source!r}"
        missing = set(re.findall(r"[\w.-]+\.csv", source)) - shipped
        assert not missing, f"{name} cites {sorted(missing)}, which aiscale/data/history does not ship"
        assert row["low"] <= row["value"] <= row["high"], name
        assert isinstance(row["unit"], str) and row["unit"], name


def test_every_model_parameter_comes_from_the_table(model):
    table = parameter_table()
    assert set(model.parameters) == set(table.index)


def test_pysd_runs_the_exported_model_like_aiscale(model, tmp_path):
    import pysd

    from aiscale.stocks_flows.xmile import export_xmile

    dt = 1 / 32
    path = tmp_path / "aiscale.xmile"
    export_xmile(model, path, start=2012, stop=2035, dt=dt)
    stocks = [s for s in model.stocks if not model.stocks[s].hidden]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pysd.read_xmile(str(path)).run(return_columns=stocks)
        ours = model.run(2012, 2035, method="euler", dt=dt, saveper=dt).frame
    for stock in stocks:
        np.testing.assert_allclose(theirs[stock].to_numpy(), ours[stock].to_numpy(), rtol=0.01, err_msg=stock)


def test_named_feedback_loops_with_their_polarity(model):
    from aiscale.stocks_flows.structure import feedback_loops

    # A loop has a polarity only where it acts: the data-depletion loop acts while data
    # binds, which in the default baseline synthetic data prevents; without it, data
    # binds from ~2029 and every named loop acts at some time.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        run = simulate_baseline(model, parameters={"synthetic_usable_fraction": 0.0})
    loops = feedback_loops(model, run)
    named = {family.name: loop for family, loop in name_loops(loops)}
    assert set(named) == {f.name for f in LOOP_FAMILIES}
    for family in LOOP_FAMILIES:
        assert named[family.name].polarity == family.expected_polarity, family.name
    # the supply-capacity loop runs through a construction delay
    assert any(v.endswith("_completions") for v in named["supply-capacity expansion"].variables)
