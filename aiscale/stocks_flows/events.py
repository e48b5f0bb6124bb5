"""Events: named thresholds and blow-up detection."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Threshold:
    """Fires when ``variable`` crosses ``value`` (``direction`` +1 rising, -1 falling,
    0 either way). A terminal threshold stops the run (or, in an ensemble, freezes
    that member)."""

    variable: str
    value: float
    name: str | None = None
    direction: int = 1
    terminal: bool = False

    @property
    def label(self) -> str:
        return self.name or f"{self.variable} crosses {self.value:g}"

    def indicator(self, ns: dict[str, Any], y: np.ndarray) -> np.ndarray:
        v = np.asarray(ns[self.variable], dtype=float)
        return np.broadcast_to(v - self.value, y.shape[1:])


@dataclass(frozen=True)
class BlowUp:
    """A run blows up when any stock's magnitude passes ``max_value``, a stock declared
    ``positive`` grows faster than ``max_growth_rate`` (relative, per time unit; a fast
    fall is a collapse, not a blow-up), or a value stops being finite. Always terminal:
    the run stops at a reported event instead of returning inf or NaN."""

    max_value: float = 1e100
    max_growth_rate: float | None = 1e3

    label = "blow-up"
    direction = 1
    terminal = True

    @cached_property
    def _log_bounds(self) -> tuple[Any, Any]:
        rate = None if self.max_growth_rate is None else np.log(self.max_growth_rate)
        return np.log(self.max_value), rate

    def indicator(self, ns: dict[str, Any], y: np.ndarray, dy: np.ndarray,
                  positive: np.ndarray) -> np.ndarray:
        # (called while integrating, where floating-point warnings are off)
        log_max, log_rate = self._log_bounds
        # log(max|y|) equals max(log|y|) (log and rounding are monotonic), at the
        # cost of N logarithms instead of n_states x N
        g = np.log(np.abs(y).max(axis=0, initial=0.0) + 1e-300) - log_max
        if log_rate is not None and positive.any():
            # growth only: a positive stock falling fast is a collapse, not a blow-up
            rate = dy[positive] / np.maximum(np.abs(y[positive]), 1e-300)
            g = np.maximum(g, np.log(np.maximum(rate.max(axis=0), 1e-300)) - log_rate)
        if np.isfinite(g).all() and np.isfinite(dy).all():
            return g  # the usual case (a finite g implies finite states)
        bad = ~np.isfinite(y).all(axis=0) | ~np.isfinite(dy).all(axis=0)
        return np.where(bad | np.isnan(g), 1.0, g)


    def culprit(self, y: np.ndarray, dy: np.ndarray, positive: np.ndarray, names: list[str]) -> str:
        """Which stock of one member (``y``, ``dy``: shape (n_states,)) tripped the bound."""
        with np.errstate(all="ignore"):
            if not np.isfinite(y).all() or not np.isfinite(dy).all():
                bad = np.flatnonzero(~np.isfinite(y) | ~np.isfinite(dy))
                return f"{names[bad[0]]} stopped being finite"
            size = np.log(np.abs(y) + 1e-300) - np.log(self.max_value)
            rate = np.where(positive, dy / np.maximum(np.abs(y), 1e-300), 0.0)
        i = int(np.argmax(size))
        if self.max_growth_rate is None or size[i] >= np.log(rate.max() + 1e-300) - np.log(self.max_growth_rate):
            return f"{names[i]} = {y[i]:.3g} passed {self.max_value:.3g}"
        j = int(np.argmax(rate))
        return f"{names[j]} grows at {rate[j]:.3g}/time unit (> {self.max_growth_rate:g}): finite-time singularity"


@dataclass(frozen=True)
class Event:
    """An event that happened: what, when, and in which ensemble member."""

    name: str
    time: float
    kind: str  # "threshold", "blow-up", "singularity", "watchdog", "solver-failure"
    run: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "time": float(self.time), "kind": self.kind, "run": int(self.run),
                "detail": self.detail}
