"""Which sector declares each element, and the influences between sectors (for the
sector diagram: ``aiscale.plots.sector_diagram``)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ..stocks_flows import Model

# Around the diagram: money buys chips, chips make compute, compute meets its ceilings,
# data and the cost of delay shape them, research feeds capability back to money.
ORDER = ("economy", "semiconductors", "compute", "constraints", "data", "cost_of_delay", "research")


@lru_cache(maxsize=1)
def element_sectors() -> dict[str, str]:
    """Element name -> the sector module (``aiscale/model/<sector>.py``) that declares
    it; ``"common"`` for the shared parameters."""
    from . import SECTORS, UNITS
    from .parameters import declare

    m = Model("aiscale", time_unit="year", units=UNITS)
    declare(m, "common")
    out = {name: "common" for name in m.names()}
    for add_sector in SECTORS:
        add_sector(m)
        sector = add_sector.__module__.rsplit(".", 1)[1]
        out.update({name: sector for name in m.names() if name not in out})
    return out


def sector_links(model: Model) -> tuple[pd.DataFrame, dict[str, int]]:
    """The influences between sectors in ``model``'s equations (``source, target,
    links``: how many influence edges run from one sector's elements to another's,
    parameters left out) and the number of stocks of each sector with dynamics (a stock
    array, such as a chain of cohorts, counts once: it is written once)."""
    from ..stocks_flows import influence_graph

    sectors = element_sectors()
    graph = influence_graph(model)
    counts: dict[tuple[str, str], int] = {}
    for u, v in graph.edges:
        a, b = sectors.get(u), sectors.get(v)
        if a and b and a != b:
            counts[(a, b)] = counts.get((a, b), 0) + 1
    stocks = {s: 0 for s in dict.fromkeys(sectors.values()) if s != "common"}
    counted = set()
    for name, stock in model.stocks.items():
        if not stock.hidden and sectors.get(name) in stocks and (stock.array or name) not in counted:
            counted.add(stock.array or name)
            stocks[sectors[name]] += 1
    links = pd.DataFrame([(a, b, n) for (a, b), n in sorted(counts.items())], columns=["source", "target", "links"])
    used = set(links["source"]) | set(links["target"])
    rank = {s: i for i, s in enumerate(ORDER)}
    ordered = sorted(stocks, key=lambda s: rank.get(s, len(ORDER)))
    return links, {s: stocks[s] for s in ordered if stocks[s] or s in used}
