"""The influence graph of a model and its elementary cycles.

An edge ``x -> z`` for every input ``x`` of every equation ``z`` and an edge
``flow -> stock`` (``sign`` +1 for an inflow, -1 for an outflow), all derived from
the equations; the internal elements of delays and smooths stay in the graph so
loops through delays are found, and :func:`collapse_hidden` gives the graph as the
modeller drew it.
"""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING

import networkx as nx

from .model import TIME

if TYPE_CHECKING:
    from .model import Model

DEFAULT_MAX_LOOPS = 20_000


class LoopEnumerationWarning(UserWarning):
    """Loop enumeration was limited (a length bound) because the model has too many loops."""


def influence_graph(model: Model, include_parameters: bool = False) -> nx.DiGraph:
    """The model's influences as a directed graph.

    Nodes are element names with attributes ``kind`` (``'stock'``, ``'flow'``,
    ``'auxiliary'``, and with ``include_parameters`` also ``'parameter'`` and
    ``'time'``), ``lookup`` (a graphical function), ``hidden`` (internal to a
    delay/smooth), ``builtin`` (the delay/smooth a generated element belongs to, or
    None) and ``label`` (a display name; hidden elements read ``"name (stage)"``).

    Edges: ``input -> equation`` for every equation input (``kind='influence'``) and
    ``flow -> stock`` for every stock's flows (``kind='flow'``, ``sign`` +1 for an
    inflow, -1 for an outflow). Equations that only initialise stocks
    (``initial_only``) are not part of the dynamics and are left out.
    """
    g = nx.DiGraph(name=model.name)
    builtin_of = {name: b.name for b in model.builtins.values() for name in b.generated}
    frozen = {eq.name for eq in model.equations.values() if eq.initial_value_of is not None}

    def add(name: str, kind: str, hidden: bool, unit: str | None, lookup: bool = False) -> None:
        b = builtin_of.get(name)
        label = name
        if hidden and b is not None and name.startswith(b + "__"):
            label = f"{b} ({name[len(b) + 2:]})"
        g.add_node(name, kind=kind, hidden=hidden, builtin=b, lookup=lookup, unit=unit, label=label)

    for s in model.stocks.values():
        add(s.name, "stock", s.hidden, s.unit)
    dynamic = [eq for eq in model.equations.values() if not eq.initial_only]
    for eq in dynamic:
        add(eq.name, eq.kind, eq.hidden, eq.unit, eq.lookup is not None)
    if include_parameters:
        for p in model.parameters.values():
            add(p.name, "parameter", False, p.unit)
        if any(TIME in eq.inputs for eq in dynamic):
            add(TIME, "time", False, model.time_unit)
    for eq in dynamic:
        if eq.name in frozen:  # an INITIAL keeps its first value: no influence after that
            continue
        for name in eq.inputs:
            if name in g:
                g.add_edge(name, eq.name, kind="influence")
    for s in model.stocks.values():
        for flows, sign in ((s.inflows, 1), (s.outflows, -1)):
            for f in flows:
                if g.has_edge(f, s.name):  # listed as both inflow and outflow: no net effect
                    g.edges[f, s.name]["sign"] += sign
                else:
                    g.add_edge(f, s.name, kind="flow", sign=sign)
    return g


def collapse_hidden(graph: nx.DiGraph) -> nx.DiGraph:
    """The graph as drawn: hidden (delay/smooth internal) nodes removed, and every
    path between two visible nodes that runs only through hidden nodes replaced by
    one edge ``kind='builtin'`` with ``via`` naming the delay/smooth(s)."""
    visible = [n for n, d in graph.nodes(data=True) if not d.get("hidden")]
    out = nx.DiGraph()
    out.graph.update(graph.graph)
    out.add_nodes_from((n, graph.nodes[n]) for n in visible)
    for u in visible:
        for v in graph.successors(u):
            if not graph.nodes[v].get("hidden"):
                out.add_edge(u, v, **graph.edges[u, v])
        # walk through hidden successors until visible nodes are reached
        seen: set[str] = set()
        stack = [v for v in graph.successors(u) if graph.nodes[v].get("hidden")]
        while stack:
            h = stack.pop()
            if h in seen:
                continue
            seen.add(h)
            for v in graph.successors(h):
                if graph.nodes[v].get("hidden"):
                    stack.append(v)
                elif v == u:  # a loop inside a delay/smooth: nothing to draw
                    continue
                elif not out.has_edge(u, v):
                    out.add_edge(u, v, kind="builtin", via=(graph.nodes[h].get("builtin"),))
                elif out.edges[u, v].get("kind") == "builtin":
                    via = out.edges[u, v]["via"]
                    b = graph.nodes[h].get("builtin")
                    if b not in via:
                        out.edges[u, v]["via"] = (*via, b)
    return out


def find_cycles(graph: nx.DiGraph, length_bound: int | None = None,
                max_loops: int = DEFAULT_MAX_LOOPS) -> tuple[list[list[str]], int | None]:
    """Elementary cycles of ``graph`` and the length bound used (None: all cycles).

    If there are more than ``max_loops`` cycles and no ``length_bound`` was given,
    the longest bound that keeps the count within ``max_loops`` is used instead and
    a :class:`LoopEnumerationWarning` says so (Johnson's algorithm is exponential in
    the worst case; with ~150 densely coupled variables the full set can be huge).
    """
    def take(bound: int | None) -> list[list[str]]:
        return list(itertools.islice(nx.simple_cycles(graph, length_bound=bound), max_loops + 1))

    cycles = take(length_bound)
    if len(cycles) <= max_loops:
        return cycles, length_bound
    if length_bound is not None:
        raise ValueError(f"more than {max_loops} feedback loops of length <= {length_bound}: "
                         "lower length_bound or raise max_loops")
    # The count grows with the bound: double it until too many loops, then bisect
    # (searches with small bounds are cheap, so this costs a few large searches at most).
    n = graph.number_of_nodes()
    low, best, high = 0, [], n
    probe = 2
    while probe < n:
        found = take(probe)
        if len(found) > max_loops:
            high = probe - 1
            break
        low, best = probe, found
        probe *= 2
    while low < high:
        mid = (low + high + 1) // 2
        found = take(mid)
        if len(found) <= max_loops:
            low, best = mid, found
        else:
            high = mid - 1
    bound = low
    warnings.warn(f"the influence graph has more than {max_loops} feedback loops; only loops "
                  f"of at most {bound} variables were enumerated ({len(best)} loops). Pass "
                  "length_bound= or max_loops= to choose.", LoopEnumerationWarning, stacklevel=3)
    return best, bound
