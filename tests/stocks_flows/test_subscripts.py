"""Subscripts (arrays): a 4-cohort aging chain and a two-region SIR written with
subscripts equal the same models written with one scalar stock per element; PySD and
simlin reproduce their XMILE exports (arrays and flattened); the graph, loops, units
and ensembles work element by element; bad declarations are refused by name."""

import warnings

import numpy as np
import pandas as pd
import pysd
import pytest
import simlin

from aiscale.stocks_flows import Model, ModelError, ModelValidationError, export_xmile
from aiscale.stocks_flows.structure import feedback_loops, influence_graph
from aiscale.stocks_flows.subscripts import SubscriptError
from aiscale.stocks_flows.xmile import flattened_name

from .subscript_models import (
    aging_chain,
    aging_chain_scalar,
    scalar_name,
    two_region_sir,
    two_region_sir_scalar,
)

PAIRS = {"aging_chain": (aging_chain, aging_chain_scalar),
         "two_region_sir": (two_region_sir, two_region_sir_scalar)}
SOLVERS = {"euler": dict(method="euler", dt=0.125), "rk4": dict(method="rk4", dt=0.25),
           "adaptive": dict(rtol=1e-8)}


def assert_same(got: pd.DataFrame, want: pd.DataFrame, name_of, rtol=1e-12):
    assert np.allclose(got.index.to_numpy(), want.index.to_numpy(), rtol=0, atol=1e-12)
    for column in got.columns:
        g, w = got[column].to_numpy(), want[name_of(column)].to_numpy()
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-12 * np.abs(w).max(), err_msg=column)


@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("pair", list(PAIRS))
def test_subscripted_model_equals_its_scalar_twin(pair, solver):
    arrays, scalars = (build() for build in PAIRS[pair])
    got, want = arrays.run(**SOLVERS[solver]), scalars.run(**SOLVERS[solver])
    assert sorted(map(scalar_name, got.frame.columns)) == sorted(want.frame.columns)
    assert_same(got.frame, want.frame, scalar_name)


def test_elements_are_named_as_vensim_pysd_and_simlin_name_them():
    m = aging_chain()
    assert list(m.stocks) == ["chips[c1]", "chips[c2]", "chips[c3]", "chips[c4]"]
    # entering[c1] reads production; entering[c2] reads aging[c1] (later -> earlier)
    assert m.equations["entering[c1]"].inputs == ("production",)
    assert m.equations["entering[c3]"].inputs == ("aging[c2]",)
    assert m.equations["total_chips"].inputs == tuple(f"chips[{c}]" for c in ("c1", "c2", "c3", "c4"))
    sir = two_region_sir()
    assert "infectious[south]" in sir.equations["infection[north]"].inputs
    assert sir.stocks["susceptible[south]"].outflows == ("infection[south]",)


def test_result_and_ensemble_as_arrays():
    m = two_region_sir()
    r = m.run(method="euler", dt=0.25)
    infected = r.array("infectious")
    assert infected.dims == ("time", "region") and list(infected.region.values) == ["north", "south"]
    np.testing.assert_array_equal(infected.sel(region="south").values, r["infectious[south]"].to_numpy())
    # an ensemble vectorises over runs and elements together: one member per row of
    # parameter values, every element a row of the same state matrix
    rates = [0.2, 0.3, 0.5]
    ds = m.run_ensemble({"contact_rate[south]": rates}, method="euler", dt=0.25)
    arr = m.as_array(ds, "infectious")
    assert arr.dims == ("run", "time", "region")
    for k, rate in enumerate(rates):
        single = m.run(method="euler", dt=0.25, parameters={"contact_rate[south]": rate})
        np.testing.assert_allclose(arr.isel(run=k).values, single.array("infectious").values, rtol=1e-12)


def test_a_whole_array_parameter_is_set_at_once_or_element_by_element():
    m = two_region_sir()
    both = m.with_parameters(contact_rate=0.25)
    assert both.parameters["contact_rate[north]"].value == both.parameters["contact_rate[south]"].value == 0.25
    one = m.with_parameters({"contact_rate[north]": 0.1})
    assert one.parameters["contact_rate[north]"].value == 0.1
    assert one.parameters["contact_rate[south]"].value == 0.45
    assert m.parameters["contact_rate[north]"].value == 0.3  # the input model is unchanged
    with pytest.raises(ModelError, match=r"contact_rate\[south\]"):  # the range is checked per element
        m.with_parameters({"contact_rate[south]": 9.0})


def test_graph_and_loops_are_per_element():
    m = two_region_sir()
    g = influence_graph(m)
    assert g.has_edge("infectious[south]", "infection[north]")  # travel
    assert g.has_edge("infection[north]", "infectious[north]")
    assert not g.has_edge("infectious[north]", "recovery[south]")
    loops = feedback_loops(m)
    members = [set(loop.variables) for loop in loops]
    # each region's own contagion loop, and one through both regions
    assert {"infectious[north]", "infection[north]"} in members
    assert {"infectious[south]", "infection[south]"} in members
    assert any({"infectious[north]", "infectious[south]"} <= s for s in members)


def test_units_are_checked_per_element():
    m = Model("bad", time_unit="day", units=["person = [population]"])
    m.dimension("region", ["north", "south"])
    m.parameter("rate", 0.1, "1/day", dims="region")
    m.stock("people", 10.0, "person", dims="region", inflows=["growth"])

    @m.flow("person", dims="region")  # should be person/day
    def growth(people, rate):
        return people * rate

    with pytest.raises(ModelValidationError, match=r"growth\[north\]"):
        m.build()


# ----------------------------------------------------------------------------- XMILE
def run_pysd(path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pysd.read_xmile(str(path)).run()


def run_simlin(path) -> pd.DataFrame:
    model = simlin.load(path)
    assert not [i for i in model.check() if i.severity == "error"]
    return model.run(analyze_loops=False).results


@pytest.mark.parametrize("mode", ["arrays", "flatten"])
@pytest.mark.parametrize("pair", list(PAIRS))
def test_pysd_and_simlin_reproduce_the_export(pair, mode, tmp_path):
    m = PAIRS[pair][0]()
    want = m.run(method="euler", dt=0.125).frame
    path = tmp_path / f"{pair}.xmile"
    text = export_xmile(m, path, dt=0.125, arrays=mode)
    assert ("<dimensions>" in text) == (mode == "arrays")
    name_of = flattened_name if mode == "flatten" else (lambda n: n)
    for engine, got in (("pysd", run_pysd(path)), ("simlin", run_simlin(path))):
        got = got.rename(columns=str.lower)
        got.index = want.index  # both save every dt from the same start
        assert_same(want, got, lambda c: name_of(c).lower(), rtol=1e-10)


def test_export_writes_one_equation_for_a_whole_array_where_it_can():
    text = export_xmile(two_region_sir(), dt=0.25)
    assert "<eqn>infectious[region] / duration</eqn>" in text
    assert '<element subscript="south">' in text  # the partner mapping: element by element
    chain = export_xmile(aging_chain(), dt=0.25)
    assert "<eqn>chips[cohort] / residence_time[cohort]</eqn>" in chain
    assert "<eqn>aging[c2]</eqn>" in chain  # entering[c3]


# ----------------------------------------------------------------------------- refused
def _regions() -> Model:
    m = Model("m", time_unit="day")
    m.dimension("region", ["north", "south"])
    m.parameter("x", {"north": 1.0, "south": 2.0}, "dimensionless", dims="region")
    return m


@pytest.mark.parametrize("declare, message", [
    (lambda m: m.auxiliary("dimensionless", name="y")(lambda x: x * 2),
     r"does not range over: .*sum\(x\[region!\]\)"),
    (lambda m: m.auxiliary("dimensionless", name="y", refs={"x": "x[east]"})(lambda x: x),
     r"'east' in 'x\[east\]' is neither an element of 'region'"),
    (lambda m: m.auxiliary("dimensionless", name="y", refs={"x": "x[region!]"})(lambda x: x),
     r"names several elements; reduce them with sum"),
    (lambda m: m.auxiliary("dimensionless", name="y", dims="north")(lambda x: x),
     r"no equation for y\[south\]"),
    (lambda m: m.stock("s", 0.0, "dimensionless", dims="region", inflows=["f"]) or
     m.flow("1/day", name="f")(lambda: 1.0),
     r"lists the scalar flow 'f'"),
])
def test_bad_array_declarations_are_refused_by_name(declare, message):
    m = _regions()
    declare(m)
    with pytest.raises(SubscriptError, match=message):
        m.build()


def test_bad_dimensions_and_values_are_refused_at_declaration():
    m = _regions()
    with pytest.raises(SubscriptError, match="not a declared dimension"):
        m.parameter("y", 1.0, "dimensionless", dims="regoin")
    with pytest.raises(SubscriptError, match=r"no value for \[south\]"):
        m.parameter("z", {"north": 1.0}, "dimensionless", dims="region")
    with pytest.raises(ModelError, match="below its lower bound"):
        m.parameter("w", {"north": 1.0, "south": -1.0}, "dimensionless", low=0.0, dims="region")
    with pytest.raises(ValueError, match="distinct identifiers"):
        m.dimension("bad", ["a", "a"])
    with pytest.raises(SubscriptError, match="defined twice"):
        m.auxiliary("dimensionless", name="v", dims="region")(lambda x: x)
        m.auxiliary("dimensionless", name="v", dims="north")(lambda x: x)
        m.build()


@pytest.mark.parametrize("mode", ["arrays", "flatten"])
def test_an_intervention_on_one_element_runs_and_exports(mode, tmp_path):
    from aiscale.stocks_flows import Intervention

    base = two_region_sir()
    m = base.with_interventions([Intervention("step", "contact_rate[north]", start=10, value=0.1)])
    want = m.run(method="euler", dt=0.25).frame
    assert want["infectious[north]"].iloc[-1] < 0.1 * base.run(method="euler", dt=0.25)["infectious[north]"].iloc[-1]
    path = tmp_path / "intervened.xmile"
    export_xmile(m, path, dt=0.25, arrays=mode)
    name_of = flattened_name if mode == "flatten" else (lambda n: n)
    for got in (run_pysd(path), run_simlin(path)):
        got = got.rename(columns=str.lower)
        got.index = want.index
        for column in ("infectious[north]", "infectious[south]"):
            np.testing.assert_allclose(got[name_of(column).lower()], want[column], rtol=1e-10)
