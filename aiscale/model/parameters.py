"""The parameter table shipped with the package (``aiscale/data/parameters.csv``).

Every parameter has a value, a unit, a plausible low/high range (used for Monte
Carlo and fitting) and a source: a publication or dataset, or ``assumption:`` with
the reasoning.

``aiscale/data/calibrated.toml`` holds the values fitted to history by ``aiscale
calibrate`` (a scenario file: ``name``, ``description``, ``[parameters]``), with the
fit date and the data manifest in ``calibrated.json``; :func:`calibrated_parameters`
reads them and ``build_model()`` applies them unless ``calibrated=False``.
``aiscale/data/posterior.csv`` (when shipped) holds joint posterior draws of the
fitted parameters from the same fit; :func:`posterior_samples` reads it.
"""

from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

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
                        high=float(row["high"]), source=str(row["source"]), doc=str(row["doc"]),
                        sector=sector)


def apply_calibration(model: Model) -> Model:
    """A new model with the calibrated values in place of the table values (``model``
    is not changed); each calibrated parameter's source then names the fit and its
    table value."""
    from dataclasses import replace

    fitted = calibration_info().get("fit_date", "unknown date")
    return model.replace(*(
        replace(p, value=value,
                source=f"calibrated to history on {fitted} (aiscale calibrate; table value {p.value:g}); {p.source}")
        for p, value in ((model.parameters[name], value) for name, value in calibrated_parameters().items())))


@lru_cache(maxsize=1)
def calibrated_parameters() -> dict[str, float]:
    """The calibrated parameter values shipped in ``aiscale/data/calibrated.toml``."""
    table = parameter_table()
    path = resources.files("aiscale.data").joinpath("calibrated.toml")
    with path.open("rb") as f:
        doc = tomllib.load(f)
    values = doc.get("parameters")
    if not isinstance(values, dict):
        raise ValueError(f"{path}: no [parameters] table")
    out = {}
    for name, value in values.items():
        if name not in table.index:
            raise ValueError(f"{path}: unknown parameter {name!r}")
        if not isinstance(value, (int, float)) or not table.loc[name, "low"] <= value <= table.loc[name, "high"]:
            raise ValueError(f"{path}: {name} = {value!r} is not a number within "
                             f"[{table.loc[name, 'low']:g}, {table.loc[name, 'high']:g}]")
        out[name] = float(value)
    return out


@lru_cache(maxsize=1)
def calibration_info() -> dict[str, Any]:
    """What the shipped calibration is: fit date, free parameters, data manifest, fit
    statistics (``aiscale/data/calibrated.json``)."""
    with resources.files("aiscale.data").joinpath("calibrated.json").open() as f:
        return json.load(f)


def posterior_samples(path: str | None = None) -> pd.DataFrame | None:
    """Joint posterior draws of the calibrated parameters (one column each), from
    ``path`` or the shipped ``aiscale/data/posterior.csv``; None when none is shipped.
    Every column must be a parameter of the table and every value finite and within
    its ``[low, high]``."""
    source = resources.files("aiscale.data").joinpath("posterior.csv") if path is None else None
    if path is None and not source.is_file():
        return None
    with (open(path) if path is not None else source.open()) as f:
        draws = pd.read_csv(f, dtype=str, keep_default_na=False)
    where = path or "aiscale/data/posterior.csv"
    table = parameter_table()
    if len(draws) == 0:
        raise ValueError(f"{where}: no draws")
    for name in draws.columns:
        if name not in table.index:
            raise ValueError(f"{where}: unknown parameter {name!r}")
        values = pd.to_numeric(draws[name], errors="coerce").to_numpy(dtype=float)
        lo, hi = table.loc[name, "low"], table.loc[name, "high"]
        bad = ~((values >= lo) & (values <= hi))  # NaN fails too
        if bad.any():
            row = int(bad.argmax())
            raise ValueError(f"{where}, row {row + 2}: {name} = {draws[name].iloc[row]!r} is not a number "
                             f"within [{lo:g}, {hi:g}]")
    return draws.apply(pd.to_numeric)
