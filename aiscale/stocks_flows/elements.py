"""The elements a model is made of: parameters, stocks, equations (flows and
auxiliaries, including graphical functions) and the delay/smooth builtins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class Parameter:
    """A constant input, with the plausible range used for Monte Carlo and fitting."""

    name: str
    value: float
    unit: str | None
    low: float | None = None
    high: float | None = None
    source: str = ""
    doc: str = ""


@dataclass(frozen=True)
class Stock:
    """Integrated state. ``initial`` is a number or the name of a parameter.

    ``non_negative``: outflows stop when the stock is empty (Stella's non-negative stock).
    ``positive``: the stock stays > 0 and grows multiplicatively, so adaptive runs may
    integrate its logarithm (accurate across many orders of magnitude).
    """

    name: str
    initial: float | str
    unit: str | None
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    non_negative: bool = False
    positive: bool = False
    doc: str = ""
    source: str = ""
    hidden: bool = False  # internal state of a delay/smooth builtin


@dataclass(frozen=True)
class Equation:
    """A flow (``kind='flow'``) or auxiliary computed by ``function(*inputs)``."""

    name: str
    kind: Literal["flow", "auxiliary"]
    function: Callable[..., Any]
    inputs: tuple[str, ...]
    unit: str | None
    doc: str = ""
    source: str = ""
    lookup: Lookup | None = None  # set when this is a graphical function
    hidden: bool = False
    initial_only: bool = False  # needed only to initialise stocks (not part of the dynamics)


@dataclass(frozen=True)
class Lookup:
    """A piecewise-linear table y(x), held flat beyond its end points (as in Vensim)."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError("a lookup needs at least two points and as many x as y values")
        if any(b <= a for a, b in zip(self.x, self.x[1:])):
            raise ValueError(f"lookup x values must increase strictly: {self.x}")

    def __call__(self, x: Any) -> Any:
        return np.interp(x, self.x, self.y)


@dataclass(frozen=True)
class Builtin:
    """A SMOOTH/DELAY builtin: what was asked for, and the elements it expanded into."""

    name: str
    function: Literal["SMTH1", "SMTH3", "DELAY1", "DELAY3"]
    input: str
    delay_time: str
    initial: str | None
    unit: str | None
    doc: str = ""
    source: str = ""
    generated: tuple[str, ...] = field(default=())
