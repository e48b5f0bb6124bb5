"""How a run is integrated, as small immutable objects (in the manner of diffrax's
``SaveAt`` and step-size controllers) instead of a dozen loose keywords:

    model.run(2012, 2060, solver=Solver("RK45", rtol=1e-8), saveat=SaveAt(0.25))
    model.run(2012, 2038, solver=FixedStep(1 / 16, "euler"))
    model.run_ensemble(draws, solver=FixedStep(0.25, "rk4", log_space=True),
                       limits=Limits(max_seconds=None))

:func:`resolve` turns the arguments of ``Model.run`` (objects, or the flat keywords
``method=``, ``dt=``, ``saveper=`` ... that older code passes) into one
:class:`RunSettings`, checked once; everything below ``Model.run`` receives that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from .model import Model

ADAPTIVE = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")
FIXED = ("euler", "rk4")
DEFAULT_METHOD = "RK45"  # not LSODA: it never returns after a finite-time blow-up


def _positive(what: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, not {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{what} must be a positive finite number, not {value!r}")
    return v


@dataclass(frozen=True)
class Solver:
    """An adaptive scipy solver (``RK45``, ``RK23``, ``DOP853``, ``Radau``, ``BDF``,
    ``LSODA``) with relative tolerance ``rtol``; ``atol`` (default: ``rtol`` times each
    stock's initial magnitude); ``max_step``; ``log_space``: integrate the logarithm of
    stocks declared ``positive`` (accurate across many orders of magnitude)."""

    method: str = DEFAULT_METHOD
    rtol: float = 1e-6
    atol: Any = None
    max_step: float = math.inf
    log_space: bool = True

    fixed: ClassVar[bool] = False

    def __post_init__(self) -> None:
        _check_method(self.method, "", ADAPTIVE, FIXED, "a fixed-step method: use FixedStep(dt, method)")
        object.__setattr__(self, "rtol", _positive("rtol", self.rtol))
        if not (self.max_step == math.inf or _positive("max_step", self.max_step)):
            raise ValueError(f"max_step must be positive, not {self.max_step!r}")
        object.__setattr__(self, "max_step", float(self.max_step))
        if self.atol is not None:
            a = np.asarray(self.atol, dtype=float)
            if not (np.isfinite(a).all() and (a > 0).all()):
                raise ValueError(f"atol must be positive finite numbers, not {self.atol!r}")
            object.__setattr__(self, "atol", float(a) if a.ndim == 0 else tuple(a.tolist()))
        _check_log_space(self.log_space, "an adaptive Solver")


@dataclass(frozen=True)
class FixedStep:
    """Fixed time step ``dt`` with ``euler`` or ``rk4``, as Vensim, Stella and PySD
    integrate; ``log_space=True`` steps the logarithm of positive stocks instead
    (exact for exponential growth; results then differ from Vensim's). RK4 steps the
    logarithm of stocks declared ``logarithmic`` in any case (see :class:`.Stock`)."""

    dt: float
    method: str = "euler"
    log_space: bool = False

    fixed: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_method(self.method, "fixed-step ", FIXED, ADAPTIVE, "an adaptive method: use Solver(method)")
        object.__setattr__(self, "dt", _positive("dt", self.dt))
        _check_log_space(self.log_space, "FixedStep")


def _check_method(method: str, kind: str, allowed: Sequence[str], other: Sequence[str], hint: str) -> None:
    """Refuse a method not in ``allowed`` (with ``hint`` when it is one of ``other``)."""
    if method not in allowed:
        hint = f" ({hint})" if method in other else ""
        choices = allowed if kind else [*allowed, *other]
        raise ValueError(f"unknown {kind}method {method!r}{hint}; choose one of {', '.join(choices)}")


def _check_log_space(value: Any, what: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"log_space must be True or False for {what}, not {value!r}")


@dataclass(frozen=True)
class SaveAt:
    """Save every ``saveper`` time units (default: every ``dt`` for fixed steps, else
    1 or a hundredth of the run, whichever is shorter)."""

    saveper: float | None = None

    def __post_init__(self) -> None:
        if self.saveper is not None:
            object.__setattr__(self, "saveper", _positive("saveper", self.saveper))


@dataclass(frozen=True)
class Limits:
    """When to give up: more than ``max_evaluations`` right-hand-side evaluations or
    ``max_seconds`` of wall time (None: no limit) end the run with a ``watchdog``
    event (LSODA never returns past a finite-time blow-up)."""

    max_evaluations: int = 2_000_000
    max_seconds: float | None = 300.0

    def __post_init__(self) -> None:
        if isinstance(self.max_evaluations, bool) or int(self.max_evaluations) != self.max_evaluations \
                or self.max_evaluations < 1:
            raise ValueError(f"max_evaluations must be a whole number >= 1, not {self.max_evaluations!r}")
        if self.max_seconds is not None:
            object.__setattr__(self, "max_seconds", _positive("max_seconds", self.max_seconds))


@dataclass(frozen=True)
class RunSettings:
    """Everything that says how one run (or ensemble) is integrated, resolved and
    checked: span, solver, save interval and limits."""

    start: float
    stop: float
    solver: Solver | FixedStep
    saveper: float
    limits: Limits = field(default_factory=Limits)
    log_space_given: Any = None  # the log_space keyword as given (recorded in metadata)

    @property
    def method(self) -> str:
        return self.solver.method

    @property
    def fixed(self) -> bool:
        return self.solver.fixed

    @property
    def dt(self) -> float | None:
        return self.solver.dt if isinstance(self.solver, FixedStep) else None

    @property
    def log_space(self) -> bool | str:
        """As recorded in metadata: True/False for adaptive runs, ``"always"`` for
        fixed-step runs in log space."""
        if self.log_space_given is not None:
            return self.log_space_given
        if isinstance(self.solver, FixedStep):
            return "always" if self.solver.log_space else False
        return self.solver.log_space

    def metadata(self) -> dict[str, Any]:
        """The settings as metadata (enough to repeat the run with the flat keywords)."""
        meta: dict[str, Any] = {"method": self.method, "start": self.start, "stop": self.stop,
                                "saveper": self.saveper, "log_space": self.log_space}
        if isinstance(self.solver, FixedStep):
            meta["max_step"] = math.inf
            meta["dt"] = self.solver.dt
        else:
            meta.update(max_step=self.solver.max_step, rtol=self.solver.rtol)
            if self.solver.atol is not None:
                atol = self.solver.atol
                meta["atol"] = list(atol) if isinstance(atol, tuple) else float(atol)
        return meta

    def describe(self) -> str:
        """One line, e.g. ``RK45 rtol=1e-06`` or ``euler dt=0.0625``."""
        if isinstance(self.solver, FixedStep):
            return f"{self.method} dt={self.solver.dt:g}"
        return f"{self.method} rtol={self.solver.rtol:g}"


_UNSET = "default"


def resolve(model: Model, start: float | None, stop: float | None, *,
            solver: Solver | FixedStep | None = None, saveat: SaveAt | float | None = None,
            limits: Limits | None = None, default_limits: Limits | None = None,
            method: str | None = None, dt: float | None = None, saveper: float | None = None,
            rtol: float | None = None, atol: Any = None, log_space: bool | str | None = None,
            max_step: float | None = None, max_evaluations: int | None = None,
            max_seconds: Any = _UNSET) -> RunSettings:
    """One :class:`RunSettings` from ``Model.run``'s arguments: the settings objects,
    or the flat keywords (not both for the same setting)."""
    start = model.start if start is None else start
    stop = model.stop if stop is None else stop
    for what, value in (("start", start), ("stop", stop)):
        try:
            ok = math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{what} must be a finite number, not {value!r}")
    start, stop = float(start), float(stop)
    if stop <= start:
        raise ValueError(f"stop ({stop:g}) must be after start ({start:g})")

    flat = {k: v for k, v in (("method", method), ("dt", dt), ("rtol", rtol), ("atol", atol),
                              ("max_step", max_step)) if v is not None}
    if solver is not None and (flat or log_space is not None):
        raise ValueError(f"give solver= or the keywords {sorted(flat)}, not both")
    if solver is None:
        solver = _solver_from_keywords(method, dt, rtol, atol, log_space, max_step)
    elif not isinstance(solver, (Solver, FixedStep)):
        raise TypeError(f"solver must be a Solver or FixedStep, not {type(solver).__name__}")

    if saveat is not None and saveper is not None:
        raise ValueError("give saveat= or saveper=, not both")
    if isinstance(saveat, SaveAt):
        saveper = saveat.saveper
    elif saveat is not None:
        saveper = saveat
    saveper = SaveAt(saveper).saveper  # checked
    if saveper is None:
        saveper = solver.dt if isinstance(solver, FixedStep) else min(1.0, (stop - start) / 100)

    if limits is not None and (max_evaluations is not None or max_seconds != _UNSET):
        raise ValueError("give limits= or max_evaluations=/max_seconds=, not both")
    if limits is None:
        base = default_limits or Limits()
        limits = Limits(base.max_evaluations if max_evaluations is None else max_evaluations,
                        base.max_seconds if max_seconds == _UNSET else max_seconds)
    settings = RunSettings(start, stop, solver, saveper, limits,
                           log_space_given=log_space if solver is not None and log_space is not None else None)
    check_grid(settings)
    return settings


def _solver_from_keywords(method: str | None, dt: float | None, rtol: float | None, atol: Any,
                          log_space: bool | str | None, max_step: float | None) -> Solver | FixedStep:
    method = method or DEFAULT_METHOD
    if log_space not in (None, True, False, "always"):
        raise ValueError(f"log_space must be True (adaptive methods only), False or 'always', "
                         f"not {log_space!r}")
    if method in FIXED:
        if dt is None:
            raise ValueError(f"method {method!r} needs a time step dt")
        return FixedStep(dt, method, log_space == "always")
    if method not in ADAPTIVE:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join([*ADAPTIVE, *FIXED])}")
    return Solver(method, 1e-6 if rtol is None else rtol, atol,
                  math.inf if max_step is None else max_step,
                  log_space in (None, True, "always"))


def check_grid(run: RunSettings) -> None:
    """The save interval divides the run, and a whole number of steps fits in it."""
    n = round((run.stop - run.start) / run.saveper)
    if n < 1 or not np.isclose(run.start + n * run.saveper, run.stop, rtol=0,
                               atol=1e-9 * max(1.0, abs(run.stop))):
        raise ValueError(f"stop - start = {run.stop - run.start:g} is not a whole number of "
                         f"saveper = {run.saveper:g}")
    if isinstance(run.solver, FixedStep):
        dt = run.solver.dt
        per_save = round(run.saveper / dt)
        if per_save < 1 or not np.isclose(per_save * dt, run.saveper, rtol=1e-9):
            raise ValueError(f"saveper {run.saveper:g} must be a whole multiple of dt {dt:g}")
