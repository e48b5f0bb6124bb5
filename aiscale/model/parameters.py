"""The parameter table shipped with the package (``aiscale/data/parameters.csv``).

Every parameter has a value, a unit, a plausible low/high range (used for Monte
Carlo and fitting) and a source: a publication or dataset, or ``assumption:`` with
the reasoning.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from ..stocks_flows import Model

COLUMNS = ["name", "value", "unit", "low", "high", "sector", "source", "doc"]


@lru_cache(maxsize=1)
def parameter_table() -> pd.DataFrame:
    """The shipped parameter table, one row per parameter, indexed by name."""
    with resources.files("aiscale.data").joinpath("parameters.csv").open() as f:
        table = pd.read_csv(f)
    missing = set(COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(f"parameters.csv lacks columns {sorted(missing)}")
    return table.set_index("name")


def declare(model: Model, sector: str) -> None:
    """Add every parameter of ``sector`` from the table to ``model``."""
    table = parameter_table()
    for name, row in table[table["sector"] == sector].iterrows():
        model.parameter(str(name), float(row["value"]), str(row["unit"]), low=float(row["low"]),
                        high=float(row["high"]), source=str(row["source"]), doc=str(row["doc"]))
