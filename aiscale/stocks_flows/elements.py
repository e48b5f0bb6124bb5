"""The elements a model is made of: parameters, stocks, equations (flows and
auxiliaries, including graphical functions) and builtins (SMOOTH, DELAY, TREND ...).

Every element is a frozen dataclass with typed metadata: ``unit``, ``doc``,
``source``, ``sector`` and a ``role``:

``user``       declared by the modeller (including the output of a builtin it declared);
``generated``  internal to a builtin (the stages of a DELAY3, a delay time given as a
               number): hidden from results, documentation and overrides;
``policy``     added by a scenario intervention (``x__intervened``, its start/end/value
               numbers): shown in results, may be varied by ensembles.

``owner`` names the builtin (or intervention target) an element was generated for.
Nothing is inferred from an element's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .functions import lookup

Role = Literal["user", "generated", "policy"]
ROLES: tuple[str, ...] = ("user", "generated", "policy")


def _bound(x: float | None, default: str) -> str:
    return default if x is None else f"{x:g}"


@dataclass(frozen=True, kw_only=True)
class Typed:
    """The metadata every element has beyond its name, unit, doc and source (keyword
    arguments, after an element's own fields)."""

    role: Role = "user"
    owner: str | None = None
    sector: str | None = None
    array: str | None = None  # the array this is an element of (see .subscripts)

    @property
    def hidden(self) -> bool:
        """Internal to a builtin (a delay stage): not in results, documentation or overrides."""
        return self.role == "generated"


@dataclass(frozen=True)
class Parameter(Typed):
    """A constant input, with the plausible range used for Monte Carlo and fitting."""

    name: str
    value: float
    unit: str | None
    low: float | None = None
    high: float | None = None
    source: str = ""
    doc: str = ""

    @property
    def range_text(self) -> str:
        """``[low, high]`` with open ends as -inf / inf."""
        return f"[{_bound(self.low, '-inf')}, {_bound(self.high, 'inf')}]"

    def violation(self, value: Any) -> str | None:
        """Why ``value`` (a number or an array of them) is not an admissible value of
        this parameter, or None: not finite, below ``low`` or above ``high``. The one
        range check of the kernel: overrides, ensembles, interventions and scenario
        files all ask it."""
        values = np.asarray(value, dtype=float)
        if values.size == 0:
            return None
        if not np.isfinite(values).all():
            bad = values[~np.isfinite(values)].ravel()[0]
            return f"= {float(bad)} is not a finite number"
        lo, hi = float(values.min()), float(values.max())
        if self.low is not None and lo < self.low:
            return f"= {lo:g} is below its lower bound {self.low:g} (range {self.range_text})"
        if self.high is not None and hi > self.high:
            return f"= {hi:g} is above its upper bound {self.high:g} (range {self.range_text})"
        return None

    def check(self, value: Any) -> None:
        """Raise :class:`~.errors.ParameterRangeError` if ``value`` is not admissible."""
        problem = self.violation(value)
        if problem is not None:
            from .errors import ParameterRangeError
            raise ParameterRangeError(f"parameter {self.name!r} {problem}")


@dataclass(frozen=True)
class Stock(Typed):
    """Integrated state. ``initial`` is a number or the name of a parameter (or of an
    equation, for generated stocks).

    ``non_negative``: outflows stop when the stock is empty (Stella's non-negative stock).
    ``positive``: the stock stays > 0 and grows multiplicatively, so adaptive runs may
    integrate its logarithm (accurate across many orders of magnitude).
    ``logarithmic`` (positive stocks): its flows are proportional to it, as a partial
    adjustment in logs (dS/dt = S ln(S*/S) / tau), so every solver but Euler steps its
    logarithm, RK4 included: a step in the stock itself overshoots below zero when S*
    falls far below S within a step (at RK4's quarter-year step, S* < S/8 for tau = 0.26).
    Euler keeps Vensim's arithmetic, which PySD and pysimlin reproduce from an export.
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
    logarithmic: bool = False


@dataclass(frozen=True)
class Equation(Typed):
    """A flow (``kind='flow'``) or auxiliary computed by ``function(*inputs)``.

    ``initial_only``: needed only to initialise stocks (not part of the dynamics).
    ``initial_value_of``: the equation's value is frozen at the start of a run to the
    value of this input then (INITIAL; a delay's default initial value).
    ``switch_times``: parameter names (or numbers) of the times at which the equation
    changes regime beyond what its expression shows (an intervention's start and end):
    adaptive solvers stop there rather than step over them.
    """

    name: str
    kind: Literal["flow", "auxiliary"]
    function: Callable[..., Any]
    inputs: tuple[str, ...]
    unit: str | None
    doc: str = ""
    source: str = ""
    lookup: Lookup | None = None  # set when this is a graphical function
    initial_only: bool = False
    initial_value_of: str | None = None
    switch_times: tuple[str | float, ...] = ()  # when it changes regime (solver breakpoints)


@dataclass(frozen=True)
class Lookup:
    """A piecewise-linear table y(x), held flat beyond its end points (as in Vensim)."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError("a lookup needs at least two points and as many x as y values")
        if not all(np.isfinite(self.x)) or not all(np.isfinite(self.y)):
            raise ValueError(f"lookup points must be finite numbers: {list(zip(self.x, self.y))}")
        if any(b <= a for a, b in zip(self.x, self.x[1:])):
            raise ValueError(f"lookup x values must increase strictly: {self.x}")

    def __call__(self, x: Any) -> Any:
        return lookup(x, self)


BuiltinKind = Literal["smooth", "delay", "delay_fixed", "trend", "forecast", "initial"]


@dataclass(frozen=True)
class Builtin:
    """A builtin as declared (SMOOTH N, DELAY N, DELAY FIXED, TREND, FORECAST,
    INITIAL) and, once the model is expanded, the elements it stands for.

    ``function``: its XMILE name (``SMTH1``, ``SMTH3``, ``SMTHN``, ``DELAY1``,
    ``DELAY3``, ``DELAYN``, ``DELAY``, ``TREND``, ``FORCST``, ``INIT``). Arguments are
    element names (numbers given at declaration are held as generated parameters).
    """

    name: str
    function: str
    input: str
    delay_time: str | None
    initial: str | None
    unit: str | None
    doc: str = ""
    source: str = ""
    generated: tuple[str, ...] = field(default=())
    kind: BuiltinKind = "smooth"
    order: int = 1
    horizon: str | None = None
    sector: str | None = None
    input_unit: str | None = None
    stage_time: str | None = None  # the element holding one stage's time (set by expansion)

    @property
    def label(self) -> str:
        """What the builtin is, in words (``smooth``, ``delay``, ``trend`` ...)."""
        return self.kind.replace("_", " ")
