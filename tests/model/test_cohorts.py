"""The fleet's aging chains are written once, over the ``cohort`` dimension (issue 13,
point 6), and give the answers the same chains written as one scalar stock per cohort
give: the baseline and every built-in scenario, every output, to 1e-9. PySD and simlin
run the whole model's XMILE export, the chains as arrays or flattened."""

import warnings

import numpy as np
import pandas as pd
import pytest

import aiscale.model.compute as compute
from aiscale.model import build_model, parameter_table, simulate_baseline
from aiscale.model.compute import COHORTS, FLEET_COHORTS, cohort_weights
from aiscale.scenarios import load_scenario
from aiscale.stocks_flows import Model
from aiscale.stocks_flows.xmile import export_xmile, flattened_name

from ..stocks_flows.subscript_models import scalar_name

CHAINS = ("gpu_fleet_flop_per_s", "fleet_chip_power_w", "money_limited_fleet_flop_per_s",
          "supply_limited_fleet_flop_per_s")
KEY = ("largest_training_run_flop", "gpu_fleet_flop_per_s", "usable_fleet_flop_per_s", "datacenter_power_w",
       "fleet_h100_equivalents", "flop_per_joule", "binding_constraint_index")


def scalar_cohort_shares(m: Model) -> None:
    """Each cohort's share of the 2012 fleet, one auxiliary per cohort."""
    for k, c in enumerate(COHORTS):
        m.auxiliary("dimensionless", name=f"fleet_cohort_share_2012_{c}",
                    inputs=["fleet_growth_2012", "chip_lifetime_years"])(share_of_cohort(k))


def share_of_cohort(k: int):
    return lambda growth, life: cohort_weights(growth, life)[k]


def scalar_cohort_chain(m: Model, name: str, unit: str, additions: str, initial_total: str, doc: str,
                        efficiency_2012: str | None = None) -> None:
    """The chain as it was written before subscripts: one stock, initial value and
    outflow per cohort, named as the array's elements flattened (``x_cohort_c1``)."""
    for k, c in enumerate(COHORTS):
        if efficiency_2012:
            m.auxiliary(unit, name=f"{name}_cohort_2012_{c}",
                        inputs=[initial_total, f"fleet_cohort_share_2012_{c}", efficiency_2012])(
                lambda total, w, flop_per_joule: total * w / flop_per_joule)
        else:
            m.auxiliary(unit, name=f"{name}_cohort_2012_{c}", inputs=[initial_total, f"fleet_cohort_share_2012_{c}"])(
                lambda total, w: total * w)
        m.stock(f"{name}_cohort_{c}", f"{name}_cohort_2012_{c}", unit, inflows=[f"{name}_entering_{c}"],
                outflows=[f"{name}_ageing_{c}"], positive=True)
        feed = additions if k == 0 else f"{name}_ageing_{COHORTS[k - 1]}"
        m.flow(f"{unit}/year", name=f"{name}_entering_{c}", inputs=[feed])(lambda x: x)
        m.flow(f"{unit}/year", name=f"{name}_ageing_{c}", inputs=[f"{name}_cohort_{c}", "chip_lifetime_years"])(
            lambda cohort, life: cohort * FLEET_COHORTS / life)
    m.auxiliary(unit, name=name, inputs=[f"{name}_cohort_{c}" for c in COHORTS])(lambda a, b, c, d: a + b + c + d)
    m.auxiliary(f"{unit}/year", name=f"{name}_retirement", inputs=[f"{name}_ageing_{COHORTS[-1]}"])(lambda x: x)


@pytest.fixture(scope="module")
def twins():
    """The model, and the model with its chains written cohort by cohort (numpy code:
    no compile for the twin's structure)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AISCALE_JIT", "0")
    arrays = build_model()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compute, "add_cohort_dimension", scalar_cohort_shares)
        patch.setattr(compute, "add_cohort_chain", scalar_cohort_chain)
        scalars = build_model()
    yield arrays, scalars
    mp.undo()


def test_the_chains_are_arrays_over_the_cohort_dimension(twins):
    m, _ = twins
    assert m.dimensions["cohort"].elements == COHORTS == ("c1", "c2", "c3", "c4")
    arrays = m.elements.arrays
    for chain in CHAINS:
        for suffix, kind in (("_cohort", "stock"), ("_entering", "flow"), ("_ageing", "flow"),
                             ("_cohort_2012", "auxiliary")):
            assert arrays[chain + suffix].kind == kind and arrays[chain + suffix].dims == ("cohort",)
        # the fleet total is a sum over the dimension
        assert m.equations[chain].inputs == tuple(f"{chain}_cohort[{c}]" for c in COHORTS)
        assert m.equations[f"{chain}_entering[c3]"].inputs == (f"{chain}_ageing[c2]",)
    assert m.equations["gpu_fleet_flop_per_s_entering[c1]"].inputs == ("fleet_additions_flop_per_s_per_year",)
    assert m.equations["fleet_additions_flop_per_s_per_year"].kind == "auxiliary"


def frames_agree(got: pd.DataFrame, want: pd.DataFrame, rtol: float = 1e-9) -> None:
    assert len(got.index) == len(want.index)
    np.testing.assert_allclose(got.index.to_numpy(), want.index.to_numpy(), rtol=0, atol=1e-12)
    assert sorted(map(scalar_name, got.columns)) == sorted(want.columns)
    for column in got.columns:
        g, w = got[column], want[scalar_name(column)]
        if not pd.api.types.is_numeric_dtype(g):
            assert (g.to_numpy() == w.to_numpy()).all(), column
            continue
        w = w.to_numpy(dtype=float)
        np.testing.assert_allclose(g.to_numpy(dtype=float), w, rtol=rtol,
                                   atol=rtol * np.nanmax(np.abs(w), initial=0.0), err_msg=column)


def test_right_hand_sides_agree_over_random_draws(twins):
    """Initial states and derivatives, for 64 draws of every uncertain parameter at once,
    at the start and at two other states: the same to the last bits."""
    arrays, scalars = twins
    table = parameter_table()
    uncertain = table[table["low"] < table["high"]]
    rng = np.random.default_rng(13)
    n = 64
    params = dict(arrays.parameter_values())
    params.update({name: rng.uniform(row["low"], row["high"], n) for name, row in uncertain.iterrows()})
    a, b = arrays.plan, scalars.plan
    order = [b.state_index[scalar_name(name)] for name in a.state_names]
    y_a, fixed_a = a.initial_state(params, 2012.0, n)
    y_b, fixed_b = b.initial_state(params, 2012.0, n)
    np.testing.assert_allclose(y_a, y_b[order], rtol=1e-13, atol=0)
    for t, scale in ((2012.0, 1.0), (2025.0, 1.7), (2040.0, 0.6)):
        with np.errstate(all="ignore"):
            d_a = a.derivatives(a.evaluate(t, y_a * scale, params, fixed_a), y_a * scale)
            d_b = b.derivatives(b.evaluate(t, y_b * scale, params, fixed_b), y_b * scale)
        np.testing.assert_allclose(d_a, d_b[order], rtol=1e-13, atol=0, err_msg=str(t))


@pytest.mark.parametrize("scenario", ["baseline", "compute-tax", "pause", "taiwan-shock"])
def test_arrays_give_the_answers_of_the_chains_written_per_cohort(twins, scenario):
    """Adaptive runs (the default), every output, 2012-2060 (the scenarios to 2045, to
    keep the test fast; numpy code). The adaptive step sequence changes with any
    difference beyond the last bits (one ulp in a parameter moves the largest run by
    ~1e-4), so agreeing to 1e-9 means doing the same arithmetic. Every other built-in
    scenario agreed bit for bit when the chains became arrays."""
    arrays, scalars = twins
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if scenario == "baseline":
            got, want = simulate_baseline(arrays), simulate_baseline(scalars)
        else:
            s = load_scenario(scenario)
            got, want = s.simulate(arrays, stop=2045), s.simulate(scalars, stop=2045)
    frames_agree(got.frame, want.frame)
    assert (got.frame["binding_constraint"] == want.frame["binding_constraint"]).all()


def test_fixed_step_runs_agree_too(twins):
    arrays, scalars = twins
    got = arrays.run(start=2012, stop=2038, method="euler", dt=0.0625).frame
    want = scalars.run(start=2012, stop=2038, method="euler", dt=0.0625).frame
    frames_agree(got, want, rtol=1e-12)


def test_loops_run_through_the_cohorts_element_by_element(twins):
    from aiscale.stocks_flows.structure import influence_graph

    m, _ = twins
    g = influence_graph(m)
    for k, c in enumerate(COHORTS):
        stock = f"gpu_fleet_flop_per_s_cohort[{c}]"
        assert g.has_edge(f"gpu_fleet_flop_per_s_entering[{c}]", stock)
        assert g.has_edge(stock, f"gpu_fleet_flop_per_s_ageing[{c}]")
        assert g.has_edge(stock, "gpu_fleet_flop_per_s")
        if k:
            assert g.has_edge(f"gpu_fleet_flop_per_s_ageing[{COHORTS[k - 1]}]", f"gpu_fleet_flop_per_s_entering[{c}]")


def run_simlin(path) -> pd.DataFrame:
    import simlin

    model = simlin.load(path)
    assert not [i for i in model.check() if i.severity == "error"]
    return model.run(analyze_loops=False).results.rename(columns=str.lower)


@pytest.mark.parametrize("mode", ["arrays", "flatten"])
def test_simlin_runs_the_whole_models_export(twins, mode, tmp_path):
    """The whole model exported with its chains as XMILE arrays or flattened (builtins
    written out as stocks and flows: simlin 0.8 reads no TREND or FORCST); simlin's
    Euler run agrees with the kernel's on every variable (PySD's run of the default
    export: tests/model/test_properties.py)."""
    m, _ = twins
    dt = 1 / 16
    path = tmp_path / f"aiscale-{mode}.xmile"
    text = export_xmile(m, path, start=2012, stop=2038, dt=dt, arrays=mode, builtins="expand")
    assert ('<dim name="cohort">' in text) == (mode == "arrays")
    want = m.run(2012, 2038, method="euler", dt=dt, saveper=dt).frame
    got = run_simlin(path)
    name_of = flattened_name if mode == "flatten" else (lambda n: n)
    compared = [c for c in want.columns if name_of(c).lower() in got.columns]
    assert {f"{chain}_cohort[{c}]" for chain in CHAINS for c in COHORTS} | set(KEY) <= set(compared)
    for column in compared:
        w = want[column].to_numpy(dtype=float)
        np.testing.assert_allclose(got[name_of(column).lower()].to_numpy(), w, rtol=1e-6,
                                   atol=1e-9 * np.abs(w).max(), err_msg=column)
