"""Model structure: the influence graph, feedback loops, their polarity, and loop
dominance over time by the Loops that Matter method.

Everything here is derived from the model's equations (``Equation.inputs``) and
stocks (``inflows``/``outflows``); nothing is declared twice.

* :func:`influence_graph`: a :class:`networkx.DiGraph` with an edge ``x -> z`` for
  every input ``x`` of every equation ``z`` and an edge ``flow -> stock`` (``sign``
  +1 for an inflow, -1 for an outflow). The internal elements of delays and smooths
  (``hidden=True``) stay in the graph, so loops through delays are found;
  :func:`collapse_hidden` gives the graph as the modeller drew it.
* :func:`feedback_loops`: every feedback loop (``nx.simple_cycles``), with its
  polarity measured along a simulated trajectory: the sign of the product of the
  links' partial derivatives (finite differences, one input perturbed at a time,
  vectorised over every saved time). A loop whose sign differs between times is
  ``'ambiguous'`` and has ``sign_changes=True``.
* :func:`loop_dominance` / :func:`dominant_periods`: relative loop scores over time
  and the loop that dominates each period, by the Loops that Matter method
  (Schoenberg, Davidsen & Eberlein 2020, System Dynamics Review 36(2): 158-190),
  with the flow-to-stock link score as corrected in Schoenberg, Hayward & Eberlein
  (2023, SDR 39(2): 140-151).

Link scores (computed between consecutive saved times ``t-1 -> t`` and labelled
``t``, as Simlin does; the first saved time has none):

* equation ``z = f(..., x, ...)``: ``|Δx z / Δz| * sign(Δx z / Δx)`` where
  ``Δx z = f(x_t, others_{t-1}) - z_{t-1}``; 0 when ``Δz = 0`` or ``Δx = 0``;
* flow ``f`` into or out of stock ``S``: ``±|Δf / Δnet_S|`` with ``net_S`` the
  stock's inflows minus outflows (the 2023 aggregation-invariant form; ``Δnet_S``
  is the stock's second difference divided by the time step); 0 when ``Δnet_S = 0``.

The loop score is the product of its link scores; the relative loop score divides
it by the sum of the absolute loop scores of the loops in the same cycle partition
(strongly connected component of the influence graph) at that time.

Delays and smooths are analysed fully expanded: a loop through a DELAY3 appears once
per internal pathway, with the exact link scores of the expanded structure (LTM's
"composite link score" keeps only the strongest pathway at each time). Loops
entirely inside one delay or smooth (its first-order drains) are reported with
``internal=True`` and left out of dominance by default, as LTM does.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from .graph import (
    DEFAULT_MAX_LOOPS,
    LoopEnumerationWarning,
    collapse_hidden,
    find_cycles,
    influence_graph,
)

if TYPE_CHECKING:
    from .model import Model
    from .simulate import Result

__all__ = [
    "Link",
    "Loop",
    "LoopAnalysis",
    "LoopEnumerationWarning",
    "influence_graph",
    "collapse_hidden",
    "find_cycles",
    "feedback_loops",
    "link_scores",
    "loop_scores",
    "loop_dominance",
    "group_dominance",
    "dominant_periods",
]

REINFORCING, BALANCING, AMBIGUOUS, UNDETERMINED = "reinforcing", "balancing", "ambiguous", "undetermined"


# ====================================================================== loops
@dataclass(frozen=True)
class Link:
    """A link of a loop: ``source -> target``.

    ``kind``: ``'influence'`` (an equation input) or ``'flow'`` (flow to stock).
    ``polarity`` along the analysed trajectory: ``'+'``, ``'-'``, ``'+/-'`` (the
    partial derivative changed sign) or ``'0'`` (never nonzero).
    """

    source: str
    target: str
    kind: str
    polarity: str

    def __str__(self) -> str:
        return f"{self.source} -({self.polarity})-> {self.target}"


@dataclass(frozen=True)
class Loop:
    """A feedback loop.

    ``variables``: the cycle in order, starting at its first-declared stock; each
    variable influences the next and the last influences the first. ``links``: the
    links in the same order. ``polarity``: ``'reinforcing'`` or ``'balancing'`` if the
    product of the link partial derivatives kept one sign wherever the loop was
    active, ``'ambiguous'`` if it changed sign (``sign_changes`` is then True and
    ``first_sign_change`` the first saved time with the new sign), ``'undetermined'``
    if the loop was never active (some link always had a zero derivative).
    ``internal``: the loop lies entirely inside one delay/smooth.
    ``visible_variables``: ``variables`` without the hidden delay/smooth internals.
    ``builtins``: the delays/smooths the loop passes through. ``partition``: index of
    the loop's strongly connected component (loops are compared within one).
    """

    id: str
    variables: tuple[str, ...]
    links: tuple[Link, ...]
    polarity: str
    sign_changes: bool
    name: str | None = None
    internal: bool = False
    visible_variables: tuple[str, ...] = ()
    builtins: tuple[str, ...] = ()
    partition: int = 0
    first_sign_change: float | None = None

    @property
    def symbol(self) -> str:
        """``'R'``, ``'B'``, ``'R/B'`` (ambiguous) or ``'?'``."""
        return {REINFORCING: "R", BALANCING: "B", AMBIGUOUS: "R/B"}.get(self.polarity, "?")

    def __len__(self) -> int:
        return len(self.variables)

    def __str__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        chain = " -> ".join((*self.variables, self.variables[0]))
        return f"{self.id}{name} ({self.polarity}): {chain}"


@dataclass
class _Trajectory:
    times: np.ndarray                 # (T,)
    values: dict[str, np.ndarray]     # every variable, parameter and time, shape (T,)


class LoopAnalysis:
    """Loops, polarities and link/loop scores of a model along one trajectory.

    ``result``: a :class:`~aiscale.stocks_flows.simulate.Result` of ``model``; every
    variable is evaluated from its ``states`` (which hold the hidden stocks of delays
    and smooths too) at its saved times, with its parameters. Without a result the
    model is simulated from ``start`` to ``stop`` (default: the model's span) with
    ``run_kwargs`` (passed to :meth:`~aiscale.stocks_flows.model.Model.run`).

    Everything is computed once and cached, so one analysis serves
    :attr:`loops`, :meth:`link_scores`, :meth:`loop_scores` and :meth:`dominance`.
    """

    def __init__(self, model: Model, result: Result | None = None, *, start: float | None = None,
                 stop: float | None = None, names: Mapping[str, Iterable[str]] | None = None,
                 length_bound: int | None = None, max_loops: int = DEFAULT_MAX_LOOPS,
                 **run_kwargs: Any):
        self.model = model.build()
        self.graph = influence_graph(model)
        self.trajectory = _trajectory(model, result, start, stop, run_kwargs)
        cycles, self.length_bound = find_cycles(self.graph, length_bound, max_loops)
        self._partials: dict[tuple[str, str], np.ndarray] = {}
        self._scores: dict[tuple[str, str], np.ndarray] = {}
        self._signs: dict[tuple[str, str], tuple[np.ndarray, str, str]] = {}
        self.loops: list[Loop] = self._make_loops(cycles, names or {})

    # -------------------------------------------------------------- loops
    def _make_loops(self, cycles: list[list[str]], names: Mapping[str, Iterable[str]]) -> list[Loop]:
        m, g = self.model, self.graph
        order = {n: i for i, n in enumerate(m.names())}
        canonical = []
        for cycle in cycles:
            k = min(range(len(cycle)), key=lambda i: order[cycle[i]])
            canonical.append(tuple(cycle[k:] + cycle[:k]))
        canonical.sort(key=lambda c: (len(c), [order[n] for n in c]))
        components = sorted(nx.strongly_connected_components(g), key=lambda c: min(order[n] for n in c))
        partition_of = {n: i for i, comp in enumerate(components) for n in comp}
        generated = {b.name: set(b.generated) for b in m.builtins.values()}
        wanted = {name: set(vs) for name, vs in names.items()}
        used: set[str] = set()
        times = self.trajectory.times
        loops = []
        for number, variables in enumerate(canonical, start=1):
            pairs = list(zip(variables, variables[1:] + variables[:1]))
            links, signs = [], np.ones(len(times))
            for u, v in pairs:
                s, text, kind = self._link_sign(u, v)
                links.append(Link(u, v, kind, text))
                signs = signs * s
            active = np.isfinite(signs) & (signs != 0)
            pos, neg = bool((signs[active] > 0).any()), bool((signs[active] < 0).any())
            polarity = AMBIGUOUS if pos and neg else REINFORCING if pos else BALANCING if neg else UNDETERMINED
            first_change = None
            if pos and neg:
                idx = np.flatnonzero(active)
                flips = idx[np.sign(signs[idx]) != np.sign(signs[idx[0]])]
                first_change = float(times[flips[0]])
            vs = set(variables)
            name = next((n for n, w in wanted.items() if w == vs or
                         w == {x for x in variables if not g.nodes[x]["hidden"]}), None)
            if name is not None:
                used.add(name)
            loops.append(Loop(
                id=f"L{number}", variables=variables, links=tuple(links), polarity=polarity,
                sign_changes=pos and neg, name=name,
                internal=any(vs <= gen for gen in generated.values()),
                visible_variables=tuple(x for x in variables if not g.nodes[x]["hidden"]),
                builtins=tuple(sorted({g.nodes[x]["builtin"] for x in variables if g.nodes[x]["hidden"]})),
                partition=partition_of[variables[0]], first_sign_change=first_change))
        missing = set(wanted) - used
        if missing:
            raise ValueError(f"no feedback loop has exactly the variables named for {sorted(missing)}; "
                             f"loops found: {[' -> '.join(lp.visible_variables) for lp in loops]}")
        return loops

    def _link_sign(self, u: str, v: str) -> tuple[np.ndarray, str, str]:
        """Sign of the link's partial derivative over time, its polarity text, its kind."""
        key = (u, v)
        if key not in self._signs:
            edge = self.graph.edges[u, v]
            if edge["kind"] == "flow":
                signs = np.full(len(self.trajectory.times), float(np.sign(edge["sign"])))
            else:
                signs = np.sign(self.partial(u, v))
            self._signs[key] = (signs, _polarity_text(signs), edge["kind"])
        return self._signs[key]

    def partial(self, x: str, z: str) -> np.ndarray:
        """∂z/∂x at every saved time (central finite difference; one-sided where the
        other side is not finite, e.g. at the edge of a function's domain)."""
        key = (x, z)
        if key not in self._partials:
            self._partials[key] = _partial_derivative(self.model.equations[z], x, self.trajectory)
        return self._partials[key]

    # -------------------------------------------------------------- LTM scores
    def link_score(self, u: str, v: str) -> np.ndarray:
        """The LTM link score of ``u -> v`` at every saved time (NaN at the first)."""
        key = (u, v)
        if key not in self._scores:
            edge = self.graph.edges[u, v]
            if edge["kind"] == "flow":
                self._scores[key] = _flow_link_score(self.model, u, v, edge["sign"], self.trajectory)
            else:
                self._scores[key] = _influence_link_score(self.model.equations[v], u, self.trajectory)
        return self._scores[key]

    def link_scores(self, links: Iterable[tuple[str, str]] | None = None) -> pd.DataFrame:
        """LTM link scores over time; columns ``(source, target)``. By default the
        links of every loop."""
        if links is None:
            links = dict.fromkeys((lk.source, lk.target) for lp in self.loops for lk in lp.links)
        links = list(links)
        data = {key: self.link_score(*key) for key in links}
        frame = pd.DataFrame(data, index=pd.Index(self.trajectory.times, name="time"))
        frame.columns = pd.MultiIndex.from_tuples(links, names=["source", "target"]) if links else frame.columns
        return frame

    def _selected(self, loops: Iterable[Loop | str] | None, include_internal: bool) -> list[Loop]:
        if loops is None:
            return [lp for lp in self.loops if include_internal or not lp.internal]
        by_id = {lp.id: lp for lp in self.loops}
        return [by_id[lp] if isinstance(lp, str) else lp for lp in loops]

    def loop_scores(self, loops: Iterable[Loop | str] | None = None, relative: bool = False,
                    include_internal: bool = False) -> pd.DataFrame:
        """Loop scores (product of link scores) over time, one column per loop id.

        ``relative``: divide by the sum of absolute loop scores of the selected loops
        in the same partition at each time (0 where they are all inactive).
        """
        chosen = self._selected(loops, include_internal)
        times = self.trajectory.times
        raw = {}
        for lp in chosen:
            score = np.ones(len(times))
            for lk in lp.links:
                score = score * self.link_score(lk.source, lk.target)
            raw[lp.id] = score
        frame = pd.DataFrame(raw, index=pd.Index(times, name="time"), columns=[lp.id for lp in chosen])
        if relative and chosen:
            with np.errstate(invalid="ignore", divide="ignore"):
                for part in {lp.partition for lp in chosen}:
                    ids = [lp.id for lp in chosen if lp.partition == part]
                    block = frame[ids].to_numpy()
                    total = np.abs(block).sum(axis=1, keepdims=True)
                    rel = np.where(total > 0, block / np.where(total > 0, total, 1.0), 0.0)
                    rel[np.isnan(total[:, 0])] = np.nan
                    frame[ids] = rel
        frame.attrs["partitions"] = {lp.id: lp.partition for lp in chosen}
        frame.attrs["relative"] = relative
        return frame

    def dominance(self, loops: Iterable[Loop | str] | None = None,
                  include_internal: bool = False) -> pd.DataFrame:
        """Relative loop scores over time (see :func:`loop_dominance`)."""
        return self.loop_scores(loops, relative=True, include_internal=include_internal)

    def grouped_dominance(self, groups: Mapping[str, str], other: str = "other loops",
                          include_internal: bool = False) -> pd.DataFrame:
        """Loop dominance over *every* loop, summed by group (see :func:`group_dominance`):
        ``groups`` maps loop id to group name; loops in no group count as ``other``.
        Only the partitions that hold a grouped loop take part: a loop in another
        strongly connected component is a separate feedback system, normalised on
        its own (a lone loop there always scores 1)."""
        partitions = {lp.partition for lp in self.loops if lp.id in groups}
        chosen = [lp for lp in self.loops if lp.partition in partitions and (include_internal or not lp.internal)]
        return group_dominance(self.dominance(chosen, include_internal=True), groups, other)


def _polarity_text(signs: np.ndarray) -> str:
    ok = np.isfinite(signs)
    pos, neg = bool((signs[ok] > 0).any()), bool((signs[ok] < 0).any())
    return "+/-" if pos and neg else "+" if pos else "-" if neg else "0"


# ====================================================================== numerics
def _trajectory(model: Model, result: Result | None, start: float | None, stop: float | None,
                run_kwargs: dict[str, Any]) -> _Trajectory:
    """Every variable (hidden ones, parameters and time included) at the saved times,
    evaluated from the states of ``result`` (or of a run of ``model``)."""
    plan = model.plan
    if result is None:
        result = _simulate(model, start, stop, run_kwargs)
    elif run_kwargs:
        raise TypeError(f"simulation options {sorted(run_kwargs)} were given with a result; "
                        "they apply only when the analysis runs the model itself")
    times = result.frame.index.to_numpy(dtype=float)
    states = _result_states(plan, result)                                    # (n_states, T)
    params = dict(result.parameters)
    fixed = dict(result.frozen)
    with np.errstate(all="ignore"):
        ns = plan.evaluate(times, states, params, fixed)
    T = len(times)
    values = {k: np.broadcast_to(np.asarray(v, dtype=float), (T,)) for k, v in ns.items()
              if _numeric(v)}
    return _Trajectory(times, values)


def _result_states(plan, result: Result) -> np.ndarray:
    """All states of a run, (n_states, T): its ``states`` (hidden stocks included), or
    its frame when the model has no hidden stocks."""
    source = result.states if result.states is not None else result.frame
    missing = [name for name in plan.state_names if name not in source.columns]
    if missing:
        where = "states" if result.states is not None else "frame (and it has no states)"
        raise ValueError(f"the result's {where} lacks the stocks {missing[:5]}"
                         f"{' ...' if len(missing) > 5 else ''}: it is not a run of this model; "
                         "pass a Result returned by Model.run, or no result to run the model")
    return source[plan.state_names].to_numpy(dtype=float).T


def _numeric(v: Any) -> bool:
    try:
        np.asarray(v, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def _simulate(model: Model, start: float | None, stop: float | None, kw: dict[str, Any]) -> Result:
    """Run the model for an analysis, with simulation options ``kw``."""
    from .model import Model
    from .simulate import simulate

    known = {name for name, p in inspect.signature(Model.run).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY}
    unknown = set(kw) - known
    if unknown:
        raise TypeError(f"unknown simulation options {sorted(unknown)}; known: {sorted(known)}")
    return simulate(model, start, stop, **kw)


def _call(eq, args: Sequence[Any], T: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = eq.function(*args)
    return np.broadcast_to(np.asarray(out, dtype=float), (T,))


def _partial_derivative(eq, x: str, traj: _Trajectory) -> np.ndarray:
    T = len(traj.times)
    args = [traj.values[a] for a in eq.inputs]
    i = eq.inputs.index(x)
    xv = args[i]
    scale = float(np.nanmax(np.abs(xv))) if np.isfinite(xv).any() else 0.0
    # relative steps: values can span many orders of magnitude over a run, so a floor
    # tied to the largest value would step past zero early on; the floor is only for x = 0
    h = np.where(xv != 0, 1e-6 * np.abs(xv), 1e-9 * scale)
    h = np.where((h > 0) & np.isfinite(h), h, 1e-8)
    base = traj.values[eq.name]
    up = _call(eq, [*args[:i], xv + h, *args[i + 1:]], T)
    down = _call(eq, [*args[:i], xv - h, *args[i + 1:]], T)
    with np.errstate(all="ignore"):
        central = (up - down) / (2 * h)
        forward = (up - base) / h
        backward = (base - down) / h
        d = np.where(np.isfinite(up) & np.isfinite(down), central,
                     np.where(np.isfinite(up), forward, backward))
        # differences at the level of rounding error are no dependence at all
        noise = 8 * np.finfo(float).eps * np.maximum(np.abs(up), np.abs(down))
        d = np.where(np.abs(up - down) <= noise, 0.0, d)
    return d


def _influence_link_score(eq, x: str, traj: _Trajectory) -> np.ndarray:
    """LTM instantaneous link score of ``x -> eq`` between consecutive saved times."""
    T = len(traj.times)
    out = np.full(T, np.nan)
    if T < 2:
        return out
    args = [traj.values[a][:-1] for a in eq.inputs]
    i = eq.inputs.index(x)
    xv = traj.values[x]
    args[i] = xv[1:]
    z = traj.values[eq.name]
    partial_change = _call(eq, args, T - 1) - z[:-1]
    dz, dx = np.diff(z), np.diff(xv)
    with np.errstate(all="ignore"):
        score = np.abs(partial_change / dz) * np.sign(partial_change / dx)
    out[1:] = np.where((dz == 0) | (dx == 0), 0.0, score)
    return out


def _flow_link_score(model: Model, flow: str, stock: str, sign: float, traj: _Trajectory) -> np.ndarray:
    """LTM flow-to-stock link score (Schoenberg, Hayward & Eberlein 2023): the change in
    the flow over the change in the stock's net flow, signed +1 inflow / -1 outflow."""
    T = len(traj.times)
    out = np.full(T, np.nan)
    if T < 2:
        return out
    s = model.stocks[stock]
    net = sum((traj.values[f] for f in s.inflows), np.zeros(T)) - sum(
        (traj.values[f] for f in s.outflows), np.zeros(T))
    dnet, dflow = np.diff(net), np.diff(traj.values[flow])
    with np.errstate(all="ignore"):
        score = np.sign(sign) * np.abs(dflow / dnet)
    out[1:] = np.where(dnet == 0, 0.0, score)
    return out


# ====================================================================== functions
def feedback_loops(model: Model, result: Result | None = None, *, start: float | None = None,
                   stop: float | None = None, names: Mapping[str, Iterable[str]] | None = None,
                   include_internal: bool = True, length_bound: int | None = None,
                   max_loops: int = DEFAULT_MAX_LOOPS, **run_kwargs: Any) -> list[Loop]:
    """Every feedback loop of ``model``, with its polarity along a trajectory.

    The polarity comes from ``result`` (a run of ``model``) or, without one, from a run
    from ``start`` to ``stop`` with ``run_kwargs``. ``names`` maps a loop name to the
    set of variables of the loop it names (all of them, or only the visible ones).
    ``include_internal=False`` drops loops entirely inside a delay or smooth.
    Loops are enumerated with ``nx.simple_cycles``; past ``max_loops`` loops the
    longest loops are left out (see :func:`find_cycles`).
    """
    analysis = LoopAnalysis(model, result, start=start, stop=stop, names=names,
                            length_bound=length_bound, max_loops=max_loops, **run_kwargs)
    return [lp for lp in analysis.loops if include_internal or not lp.internal]


def link_scores(model: Model, result: Result | None = None, **kwargs: Any) -> pd.DataFrame:
    """LTM link scores of every link in a feedback loop (see :class:`LoopAnalysis`)."""
    return LoopAnalysis(model, result, **kwargs).link_scores()


def loop_scores(model: Model, result: Result | None = None, *, relative: bool = False,
                include_internal: bool = False, **kwargs: Any) -> pd.DataFrame:
    """LTM loop scores (product of link scores) over time, one column per loop id."""
    return LoopAnalysis(model, result, **kwargs).loop_scores(relative=relative,
                                                             include_internal=include_internal)


def loop_dominance(model: Model, result: Result | None = None, *, include_internal: bool = False,
                   **kwargs: Any) -> pd.DataFrame:
    """Relative loop scores over time by the Loops that Matter method.

    Index: saved times; one column per loop id (as in :func:`feedback_loops`, which is
    run with the same arguments); values in [-1, 1], positive for a loop acting as
    reinforcing, negative as balancing; the absolute values of the loops in one
    partition sum to 1 at each time where any of them is active. The first saved time
    has no score (NaN). ``frame.attrs['partitions']`` maps loop id to partition.
    """
    return LoopAnalysis(model, result, **kwargs).dominance(include_internal=include_internal)


def group_dominance(dominance: pd.DataFrame, groups: Mapping[str, str], other: str = "other loops"
                    ) -> pd.DataFrame:
    """Relative loop scores summed by group: one column per group (first-seen order,
    then ``other`` for the loops ``groups`` does not name, if any), signed like the
    scores (positive: the group's loops act as reinforcing in sum). Computed over all
    the loops in ``dominance``, so a group dominates only where its loops carry more of
    the loop score than any other group's, the unnamed ones included; within one
    partition the absolute group scores sum to at most 1. ``frame.attrs['loops']``
    counts each group's loops."""
    names = [groups.get(str(c), other) for c in dominance.columns]
    order = list(dict.fromkeys(n for n in names if n != other)) + ([other] if other in names else [])
    values = dominance.to_numpy(dtype=float)
    out = pd.DataFrame({g: np.sum(values[:, [i for i, n in enumerate(names) if n == g]], axis=1) for g in order},
                       index=dominance.index, columns=order)
    out.loc[dominance.isna().all(axis=1).to_numpy()] = np.nan  # no score at the first saved time
    out.attrs["loops"] = {g: names.count(g) for g in order}
    return out


def dominant_periods(dominance: pd.DataFrame | Model, result: Result | None = None,
                     **kwargs: Any) -> list[tuple[float, float, str]]:
    """The dominant loop over time as ``(start, end, loop id)`` periods.

    At each saved time the dominant loop is the one with the largest absolute relative
    loop score (the score labelled ``t`` describes the interval from the previous saved
    time to ``t``, so a period starts at the saved time before its first row). Times
    where no loop is active are skipped. ``dominance``: a frame from
    :func:`loop_dominance` (select columns to compare only some loops, e.g. one
    partition's) or a model, analysed with ``result`` and ``kwargs``.
    """
    if not isinstance(dominance, pd.DataFrame):
        dominance = loop_dominance(dominance, result, **kwargs)
    times = dominance.index.to_numpy(dtype=float)
    values = np.abs(dominance.to_numpy(dtype=float))
    periods: list[tuple[float, float, str]] = []
    for k in range(len(times)):
        row = values[k]
        if not np.isfinite(row).any() or np.nanmax(row) <= 0:
            continue
        winner = str(dominance.columns[int(np.nanargmax(row))])
        begin = float(times[k - 1]) if k > 0 else float(times[k])
        if periods and periods[-1][2] == winner and periods[-1][1] == begin:
            periods[-1] = (periods[-1][0], float(times[k]), winner)
        else:
            periods.append((begin, float(times[k]), winner))
    return periods

