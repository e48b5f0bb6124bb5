"""Influence graph, feedback loops, polarity and loop dominance (Loops that Matter)."""

from __future__ import annotations

import inspect
import itertools
import time
import warnings

import networkx as nx
import numpy as np
import pytest

from aiscale.stocks_flows import Model, Threshold
from aiscale.stocks_flows.structure import (
    LoopAnalysis,
    LoopEnumerationWarning,
    collapse_hidden,
    dominant_periods,
    feedback_loops,
    find_cycles,
    influence_graph,
    loop_dominance,
)

from .reference_models import delays, lookups, sir, teacup

EULER = {"method": "euler", "dt": 0.0625, "saveper": 0.0625}

SIR_XMILE = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>sir</name><vendor>hand</vendor><product version="0">hand</product></header>
  <sim_specs method="Euler" time_units="day"><start>0</start><stop>100</stop><dt>0.0625</dt></sim_specs>
  <model><variables>
    <stock name="susceptible"><eqn>total_population</eqn><outflow>succumbing</outflow></stock>
    <stock name="infectious"><eqn>5</eqn><inflow>succumbing</inflow><outflow>recovering</outflow></stock>
    <stock name="recovered"><eqn>0</eqn><inflow>recovering</inflow></stock>
    <flow name="succumbing"><eqn>susceptible * infectious / total_population * contact_infectivity</eqn></flow>
    <flow name="recovering"><eqn>infectious / duration</eqn></flow>
    <aux name="total_population"><eqn>1000</eqn></aux>
    <aux name="contact_infectivity"><eqn>0.3</eqn></aux>
    <aux name="duration"><eqn>5</eqn></aux>
  </variables></model>
</xmile>
"""

SIR_LOOPS = {
    "contagion": {"infectious", "succumbing"},
    "depletion": {"susceptible", "succumbing"},
    "recovery": {"infectious", "recovering"},
}


def by_vars(loops):
    return {frozenset(lp.variables): lp for lp in loops}


def logistic(growth_rate: float = 0.5, capacity: float = 1000, initial: float = 10) -> Model:
    """One stock, one flow whose derivative w.r.t. the stock changes sign at capacity/2."""
    m = Model("logistic", units=["animal = [animal]"])
    m.parameter("r", growth_rate, "1/year")
    m.parameter("k", capacity, "animal")
    m.stock("population", initial, "animal", inflows=["net_growth"])

    @m.flow("animal/year")
    def net_growth(population, r, k):
        return r * population * (1 - population / k)

    return m


def inventory() -> Model:
    """A balancing inventory loop that runs through a SMOOTH and a DELAY3, plus a
    direct balancing loop (sales proportional to inventory)."""
    m = Model("inventory", units=["widget = [widget]"])
    m.parameter("desired", 100, "widget")
    m.parameter("adjustment_time", 2, "year")
    m.parameter("lead_time", 3, "year")
    m.parameter("demand", 20, "widget/year")
    m.stock("inventory", 50, "widget", inflows=["arrivals"], outflows=["sales"])

    @m.flow("widget/year")
    def sales(demand, inventory, desired):
        return demand * inventory / desired

    @m.flow("widget/year")
    def orders(desired, perceived_inventory, adjustment_time, demand):
        return demand + (desired - perceived_inventory) / adjustment_time

    m.smooth("perceived_inventory", "inventory", 1.0, order=1, unit="widget")
    m.delay("arrivals", "orders", "lead_time", order=3, unit="widget/year")
    m.stock("ordered", 0, "widget", inflows=["orders"])
    return m


# ---------------------------------------------------------------------- the graph
def test_sir_graph_has_signed_flow_edges_and_equation_inputs():
    g = influence_graph(sir())
    assert set(g.nodes) == {"susceptible", "infectious", "recovered", "succumbing", "recovering"}
    assert g.nodes["susceptible"]["kind"] == "stock" and g.nodes["succumbing"]["kind"] == "flow"
    flows = {(u, v): d["sign"] for u, v, d in g.edges(data=True) if d["kind"] == "flow"}
    assert flows == {("succumbing", "susceptible"): -1, ("succumbing", "infectious"): 1,
                     ("recovering", "infectious"): -1, ("recovering", "recovered"): 1}
    influences = {(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "influence"}
    assert influences == {("susceptible", "succumbing"), ("infectious", "succumbing"),
                          ("infectious", "recovering")}


def test_graph_with_parameters_and_time():
    g = influence_graph(sir(), include_parameters=True)
    assert g.nodes["duration"]["kind"] == "parameter"
    assert g.has_edge("duration", "recovering") and g.has_edge("total_population", "succumbing")
    assert not g.has_edge("total_population", "susceptible")  # an initial value is no influence
    g = influence_graph(lookups(), include_parameters=True)
    assert g.nodes["time"]["kind"] == "time" and g.has_edge("time", "lookup_function_call")
    assert "time" not in influence_graph(lookups())


def test_graph_keeps_hidden_delay_internals_but_not_initialisers():
    g = influence_graph(delays())
    assert g.nodes["shipments__stock2"]["hidden"] and g.nodes["shipments__stock2"]["builtin"] == "shipments"
    assert g.nodes["shipments__stock2"]["label"] == "shipments (stock2)"
    assert g.edges["orders", "shipments__stock1"] == {"kind": "flow", "sign": 1}
    assert g.edges["shipments", "shipments__stock3"]["sign"] == -1
    assert g.edges["shipments", "backlog"]["sign"] == -1
    # equations that only initialise stocks are not part of the dynamics
    assert "shipments__stock_initial" not in g and "perceived_orders__initial_input" not in g


def test_collapse_hidden_gives_the_drawn_graph():
    g = collapse_hidden(influence_graph(inventory()))
    assert not any(d["hidden"] for _, d in g.nodes(data=True))
    assert g.edges["inventory", "perceived_inventory"] == {"kind": "builtin", "via": ("perceived_inventory",)}
    assert g.edges["orders", "arrivals"] == {"kind": "builtin", "via": ("arrivals",)}
    assert g.edges["arrivals", "inventory"] == {"kind": "flow", "sign": 1}
    assert nx.number_of_selfloops(g) == 0
    cycles = {frozenset(c) for c in nx.simple_cycles(g)}
    assert cycles == {frozenset({"inventory", "sales"}),
                      frozenset({"inventory", "perceived_inventory", "orders", "arrivals"})}


# ---------------------------------------------------------------------- loops
def test_sir_loops_are_the_textbook_ones():
    names = {name: sorted(vs) for name, vs in SIR_LOOPS.items()}
    loops = feedback_loops(sir(), stop=100, names=names)
    assert len(loops) == 3
    found = {lp.name: lp for lp in loops}
    assert found["contagion"].polarity == "reinforcing"
    assert found["depletion"].polarity == "balancing"
    assert found["recovery"].polarity == "balancing"
    assert not any(lp.sign_changes for lp in loops)
    contagion = found["contagion"]
    assert contagion.variables == ("infectious", "succumbing")  # starts at its stock
    assert [(lk.source, lk.target, lk.kind, lk.polarity) for lk in contagion.links] == [
        ("infectious", "succumbing", "influence", "+"), ("succumbing", "infectious", "flow", "+")]
    depletion = found["depletion"]
    assert [lk.polarity for lk in depletion.links] == ["+", "-"]
    assert sorted(lp.id for lp in loops) == ["L1", "L2", "L3"]


def test_teacup_has_one_balancing_loop():
    (loop,) = feedback_loops(teacup(), stop=30)
    assert set(loop.variables) == {"teacup_temperature", "heat_loss_to_room"}
    assert loop.polarity == "balancing" and not loop.sign_changes


def test_model_without_loops():
    assert feedback_loops(lookups(), stop=45) == []
    assert loop_dominance(lookups(), stop=45).shape[1] == 0


def test_unknown_loop_name_is_an_error():
    with pytest.raises(ValueError, match="typo"):
        feedback_loops(sir(), names={"typo": ["infectious", "recovered"]})


def test_sign_change_is_flagged():
    growth_rate, capacity, initial = 0.5, 1000.0, 10.0
    (loop,) = feedback_loops(logistic(growth_rate, capacity, initial), stop=30, saveper=0.1)
    assert loop.polarity == "ambiguous" and loop.sign_changes and loop.symbol == "R/B"
    assert [lk.polarity for lk in loop.links] == ["+/-", "+"]
    # d(net_growth)/d(population) = r (1 - 2 P / K) changes sign when P = K / 2
    half_time = np.log((capacity - initial) / initial) / growth_rate
    assert loop.first_sign_change == pytest.approx(half_time, abs=0.15)
    # the same loop below half capacity only is purely reinforcing
    (early,) = feedback_loops(logistic(growth_rate, capacity, initial), stop=8, saveper=0.1)
    assert early.polarity == "reinforcing" and not early.sign_changes


def test_delay_and_smooth_internal_loops_are_found():
    loops = feedback_loops(delays(), stop=20)
    # one first-order drain per stage: DELAY3 + SMTH3 + DELAY1 + SMTH1
    assert len(loops) == 3 + 3 + 1 + 1
    assert all(lp.internal and lp.polarity == "balancing" for lp in loops)
    assert {lp.builtins for lp in loops} == {("shipments",), ("returns",), ("perceived_orders",),
                                            ("perceived_returns",)}
    assert frozenset({"shipments__stock3", "shipments"}) in by_vars(loops)
    assert feedback_loops(delays(), stop=20, include_internal=False) == []


def test_loop_through_delay_and_smooth():
    loops = feedback_loops(inventory(), stop=40)
    external = [lp for lp in loops if not lp.internal]
    assert len(external) == 2
    through = next(lp for lp in external if lp.builtins)
    assert through.visible_variables == ("inventory", "perceived_inventory", "orders", "arrivals")
    assert through.builtins == ("arrivals", "perceived_inventory")
    assert "arrivals__stock2" in through.variables
    assert through.polarity == "balancing"


# ---------------------------------------------------------------------- dominance
def test_sir_dominance_contagion_early_balancing_after_peak():
    m = sir()
    result = m.run(0, 100, **EULER)
    analysis = LoopAnalysis(m, result)
    ids = {name: next(lp.id for lp in analysis.loops if set(lp.variables) == vs)
           for name, vs in SIR_LOOPS.items()}
    dominance = analysis.dominance()
    assert list(dominance.columns) == [lp.id for lp in analysis.loops]
    assert dominance.iloc[0].isna().all()
    np.testing.assert_allclose(dominance.iloc[1:].abs().sum(axis=1), 1.0, rtol=1e-12)
    assert (dominance[ids["contagion"]].iloc[1:] > 0).all()
    assert (dominance[[ids["depletion"], ids["recovery"]]].iloc[1:] < 0).all().all()

    periods = dominant_periods(dominance)
    peak = float(result["infectious"].idxmax())
    assert periods[0][0] == 0.0 and periods[0][2] == ids["contagion"]
    assert periods[0][1] > 20  # the epidemic's growth phase
    assert periods[-1][1] == 100.0
    balancing = {ids["depletion"], ids["recovery"]}
    for begin, end, loop_id in periods[1:]:
        assert loop_id in balancing
    assert periods[0][1] < peak  # balancing loops have taken over by the peak
    # periods tile the run
    assert all(a[1] == b[0] for a, b in zip(periods, periods[1:]))


def test_link_scores_follow_the_ltm_formulas():
    m = sir()
    result = m.run(0, 50, **EULER)
    analysis = LoopAnalysis(m, result)
    f = result.frame
    k = 100
    S, I, succ, rec = (f[c].to_numpy() for c in ("susceptible", "infectious", "succumbing", "recovering"))
    beta, n = 0.3, 1000.0
    # infectious -> succumbing: change in succumbing had only infectious changed, over the change
    partial = S[k - 1] * I[k] / n * beta - succ[k - 1]
    expected = abs(partial / (succ[k] - succ[k - 1])) * np.sign(partial / (I[k] - I[k - 1]))
    assert analysis.link_score("infectious", "succumbing")[k] == pytest.approx(expected, rel=1e-12)
    # outflow recovering -> infectious: -|Δrecovering / Δ(net flow of infectious)|
    dnet = (succ[k] - rec[k]) - (succ[k - 1] - rec[k - 1])
    expected = -abs((rec[k] - rec[k - 1]) / dnet)
    assert analysis.link_score("recovering", "infectious")[k] == pytest.approx(expected, rel=1e-12)
    # a stock with a single flow: the flow-to-stock score is exactly ±1
    assert analysis.link_score("succumbing", "susceptible")[1:] == pytest.approx(-1.0)
    assert np.isnan(analysis.link_score("succumbing", "susceptible")[0])


def test_teacup_single_loop_scores_minus_one():
    d = loop_dominance(teacup(), stop=30, **EULER)
    assert d.shape[1] == 1
    np.testing.assert_allclose(d.iloc[1:, 0], -1.0)


def _simlin_run(tmp_path, text: str):
    simlin = pytest.importorskip("simlin")
    path = tmp_path / "model.xmile"
    path.write_text(text)
    return simlin.load(path).run()


def _export(model, stop, dt):
    xmile = pytest.importorskip("aiscale.stocks_flows.xmile")
    return xmile.export_xmile(model, None, 0.0, stop, dt)


@pytest.mark.parametrize("source", ["hand-written", "exported"])
def test_sir_matches_simlin_loops_that_matter(tmp_path, source):
    """pysimlin implements LTM independently (Rust engine): same loops, polarities and
    relative loop scores at every step of the same Euler run."""
    m = sir()
    text = SIR_XMILE if source == "hand-written" else _export(m, 100.0, 0.0625)
    run = _simlin_run(tmp_path, text)
    result = m.run(0, 100, **EULER)
    analysis = LoopAnalysis(m, result)
    ours = by_vars(analysis.loops)
    theirs = {frozenset(lp.variables): lp for lp in run.loops}
    assert set(ours) == set(theirs)
    dominance = analysis.dominance()
    for key, their in theirs.items():
        our = ours[key]
        assert {"R": "reinforcing", "B": "balancing"}[str(their.polarity)] == our.polarity
        np.testing.assert_allclose(dominance[our.id].to_numpy()[1:], their.behavior_time_series[1:],
                                   rtol=0, atol=1e-9)


def test_loop_through_delays_matches_simlin(tmp_path):
    """simlin scores a loop through a macro by its composite (strongest-path) link score
    and drops loops internal to the macro; with one pathway that equals the expanded
    analysis here."""
    m = inventory()
    run = _simlin_run(tmp_path, _export(m, 40.0, 0.03125))
    result = m.run(0, 40, method="euler", dt=0.03125, saveper=0.03125)
    analysis = LoopAnalysis(m, result)
    dominance = analysis.dominance()
    external = [lp for lp in analysis.loops if not lp.internal]
    assert len(run.loops) == len(external) == 2
    for their in run.loops:
        public = {v for v in their.variables if not v.startswith("$")}
        our = next(lp for lp in external if set(lp.visible_variables) == public)
        assert our.polarity == "balancing" and str(their.polarity) == "B"
        np.testing.assert_allclose(dominance[our.id].to_numpy()[1:], their.behavior_time_series[1:],
                                   rtol=0, atol=1e-9)


def test_result_with_hidden_stocks_is_analysed_from_its_stored_states(monkeypatch):
    m = inventory()
    result = m.run(0, 40)  # adaptive: the frame lacks the delay's hidden stocks, result.states has them
    assert "arrivals__stock2" in result.state_names and "arrivals__stock2" not in result.frame

    def no_rerun(*args, **kwargs):
        raise AssertionError("the analysis re-ran the model")

    import importlib

    monkeypatch.setattr(importlib.import_module("aiscale.stocks_flows.simulate"), "simulate", no_rerun)
    analysis = LoopAnalysis(m, result)
    np.testing.assert_array_equal(analysis.trajectory.values["arrivals__stock2"],
                                  result.states["arrivals__stock2"].to_numpy())
    np.testing.assert_allclose(analysis.trajectory.values["inventory"], result["inventory"].to_numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(analysis.trajectory.values["arrivals"], result["arrivals"].to_numpy(),
                               rtol=1e-9)
    assert analysis.trajectory.values["arrivals__stock2"].shape == result["inventory"].shape


def test_result_stopped_by_an_event_is_analysed_to_its_end():
    m = inventory()
    result = m.run(0, 40, events=[Threshold("inventory", 80, terminal=True)])
    stopped = result.events[0].time
    assert result.frame.index[-1] == stopped  # off the save grid
    analysis = LoopAnalysis(m, result)
    assert analysis.trajectory.times[-1] == stopped
    np.testing.assert_array_equal(analysis.trajectory.values["inventory"], result["inventory"].to_numpy())


def test_result_without_its_states_or_with_run_options_is_refused():
    m = inventory()
    result = m.run(0, 10)
    with pytest.raises(TypeError, match="apply only when the analysis runs the model"):
        LoopAnalysis(m, result, method="euler")
    result.states = None  # e.g. built by hand from a frame: the delay's stocks are unknown
    with pytest.raises(ValueError, match="lacks the stocks"):
        LoopAnalysis(m, result)


def test_result_with_changed_parameters_is_used():
    """Polarity is measured on the run given, with that run's parameters."""
    m = logistic(initial=10)
    early = m.run(0, 30, parameters={"k": 1e9}, saveper=0.1)  # never near capacity
    (loop,) = feedback_loops(m, early)
    assert loop.polarity == "reinforcing"
    (loop,) = feedback_loops(m, m.run(0, 30, saveper=0.1))
    assert loop.polarity == "ambiguous"


# ---------------------------------------------------------------------- scale
def _function(names, body):
    def f(*args):
        return body(*args)
    f.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    return f


def coupled(n: int = 50, fan_in: int = 3, seed: int = 1) -> Model:
    """n stocks, n flows, n auxiliaries (3n variables), each auxiliary averaging a few
    random stocks: a strongly connected graph with a combinatorial number of loops."""
    rng = np.random.default_rng(seed)
    m = Model("coupled", units=["thing = [thing]"])
    m.parameter("rate", 0.05, "1/year")
    for i in range(n):
        m.stock(f"s{i}", 1.0 + i, "thing", inflows=[f"f{i}"])
    for i in range(n):
        sources = sorted({int(j) for j in rng.choice(n, fan_in, replace=False)} | {(i + 1) % n})
        m.auxiliary("thing", name=f"a{i}")(
            _function([f"s{j}" for j in sources], lambda *xs: sum(xs) / len(xs)))
        m.flow("thing/year", name=f"f{i}")(
            _function([f"a{i}", f"s{i}", "rate"], lambda a, s, r: r * (a - s)))
    return m


def test_many_loops_are_bounded_by_length_with_a_warning():
    m = coupled()
    g = influence_graph(m)
    assert g.number_of_nodes() == 150
    started = time.perf_counter()
    with pytest.warns(LoopEnumerationWarning, match="only loops of at most"):
        analysis = LoopAnalysis(m, stop=20, max_loops=1000)
    bound = analysis.length_bound
    assert bound is not None and 2 <= bound < 150
    assert 0 < len(analysis.loops) <= 1000
    assert max(len(lp) for lp in analysis.loops) <= bound
    # every loop within the bound was found, and the next bound would exceed the cap
    assert len(analysis.loops) == sum(1 for _ in nx.simple_cycles(g, length_bound=bound))
    assert len(list(itertools.islice(nx.simple_cycles(g, length_bound=bound + 1), 1001))) > 1000
    d = analysis.dominance()
    assert d.shape == (len(analysis.trajectory.times), len(analysis.loops))
    np.testing.assert_allclose(d.iloc[1:].abs().sum(axis=1), 1.0, rtol=1e-9)
    assert time.perf_counter() - started < 60


def test_find_cycles_without_limit_gives_all_and_no_warning():
    g = influence_graph(sir())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cycles, bound = find_cycles(g)
    assert bound is None and len(cycles) == 3
    with pytest.raises(ValueError, match="length_bound"):
        find_cycles(influence_graph(coupled(20)), length_bound=40, max_loops=5)


def crowded_population() -> Model:
    """Logistic growth whose births run through two parallel flows (two reinforcing
    loops of one family) and whose crowding deaths form one balancing loop:
    d(S)/dt = r S - r S^2 / K, inflection at S = K / 2."""
    m = Model("crowding", units=["animal = [population]"])
    m.parameter("growth_rate", 1.0, "1/year")
    m.parameter("carrying_capacity", 1000.0, "animal")
    m.stock("population", 10.0, "animal", inflows=["births_young_parents", "births_old_parents"],
            outflows=["crowding_deaths"])

    @m.flow("animal/year")
    def births_young_parents(population, growth_rate):
        return 0.5 * growth_rate * population

    @m.flow("animal/year")
    def births_old_parents(population, growth_rate):
        return 0.5 * growth_rate * population

    @m.flow("animal/year")
    def crowding_deaths(population, growth_rate, carrying_capacity):
        return growth_rate * population * population / carrying_capacity

    return m


def test_grouped_dominance_sums_every_loop_of_a_family():
    """LTM on logistic growth: the growth family dominates until the inflection
    (S = K/2, t = ln 99), crowding after. Loop by loop, crowding would already win
    at S = K/4 (each birth loop carries half the growth): comparing representative
    loops instead of whole families misplaces the shift by a year."""
    m = crowded_population()
    analysis = LoopAnalysis(m, m.run(0, 10, saveper=0.05, rtol=1e-9))
    groups = {lp.id: "growth" if any(v.startswith("births") for v in lp.variables) else "crowding"
              for lp in analysis.loops}
    assert sorted(groups.values()) == ["crowding", "growth", "growth"]
    family = analysis.grouped_dominance(groups)
    assert list(family.columns) == list(dict.fromkeys(groups[lp.id] for lp in analysis.loops))
    assert family.attrs["loops"] == {"growth": 2, "crowding": 1}
    periods = dominant_periods(family)
    assert [p[2] for p in periods] == ["growth", "crowding"]
    assert periods[0][1] == pytest.approx(np.log(99), abs=0.05)  # the inflection
    np.testing.assert_allclose(family.abs().sum(axis=1).iloc[1:], 1.0)
    assert (family["growth"].iloc[1:] > 0).all() and (family["crowding"].iloc[1:] < 0).all()
    by_loop = dominant_periods(analysis.dominance())
    assert groups[by_loop[1][2]] == "crowding" and by_loop[0][1] == pytest.approx(np.log(99 / 3), abs=0.05)
    # unnamed loops count as "other loops", and still compete
    partial = analysis.grouped_dominance({k: v for k, v in groups.items() if v == "growth"})
    assert list(partial.columns) == ["growth", "other loops"]
    np.testing.assert_allclose(partial["other loops"], family["crowding"])
