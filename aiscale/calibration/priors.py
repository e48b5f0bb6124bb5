"""Priors of the fitted parameters, declared as data in ``aiscale/data/priors.csv``.

Columns (one row per parameter that is fitted by default or has a declared prior):

* ``name``: a parameter of ``parameters.csv``
* ``fit``: ``1`` when ``aiscale calibrate`` fits it by default (the default free set,
  in file order), else ``0``
* ``prior``: ``normal``, ``lognormal``, ``uniform`` or ``loguniform``; empty for the
  default prior below
* ``lower``, ``upper``: for ``normal`` and ``lognormal`` the central ``interval`` of
  the prior's mass (e.g. a source's 95% confidence interval); for ``uniform`` and
  ``loguniform`` the prior's support
* ``interval``: the share of mass between ``lower`` and ``upper`` (normal and
  lognormal only; default 0.9)
* ``source``: the publication or shipped dataset the prior comes from, or
  ``assumption:`` with the reason (required when ``prior`` is given)

Default prior (``prior`` empty, or a parameter with no row): lognormal when the
parameter's ``low > 0``, else normal, centred on the parameter's value (the table
value, which its source gives: the prior's mode, and its median before truncation)
with a width such that the table range ``[low, high]`` spans 90% of the mass
(sigma = (z(high) - z(low)) / 3.29, with z = ln x for lognormal); when the value is the
range's (geometric) midpoint the range is exactly the untruncated prior's 90% interval.
Its source is the parameter's own.

Every prior is truncated to the parameter's ``[low, high]`` (the model's plausible
range; a uniform or loguniform support narrower than that range narrows the bounds).
Each prior is Gaussian or flat in ``z`` (``z = ln x`` for lognormal and loguniform,
``z = x`` otherwise), so the fit and the sampler work in ``z`` and the prior adds
``((z - mu) / sigma)**2`` to the weighted sum of squares (nothing when flat).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..stocks_flows.elements import Parameter
from .history import read_records

KINDS = ("normal", "lognormal", "uniform", "loguniform")
COLUMNS = ("name", "fit", "prior", "lower", "upper", "interval", "source")
DEFAULT_INTERVAL = 0.9


@dataclass(frozen=True)
class PriorSpec:
    """One row of the priors table, as declared."""

    name: str
    fit: bool
    kind: str | None            # None: the default prior from the parameter's range
    lower: float | None
    upper: float | None
    interval: float
    source: str
    where: str                  # "priors.csv, row 4", for error messages


@dataclass(frozen=True)
class Prior:
    """A parameter's prior, Gaussian (``scale`` > 0) or flat (``scale`` NaN) in
    ``z``, truncated to ``[low, high]``."""

    name: str
    kind: str
    center: float     # mu of z (Gaussian); NaN when flat
    scale: float      # sigma of z (Gaussian); NaN when flat
    low: float        # bounds (values), the parameter's range intersected with a flat prior's support
    high: float
    source: str
    declared: bool    # from the priors table (else the default from the range)

    @property
    def log(self) -> bool:
        return self.kind in ("lognormal", "loguniform")

    @property
    def gaussian(self) -> bool:
        return self.kind in ("normal", "lognormal")

    def z(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if not self.log:
            return x
        with np.errstate(all="ignore"):
            return np.log(np.maximum(x, 1e-300))

    def x(self, z: np.ndarray | float) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        return np.exp(z) if self.log else z

    @property
    def z_bounds(self) -> tuple[float, float]:
        return float(self.z(self.low)), float(self.z(self.high))

    def residual(self, z: np.ndarray) -> np.ndarray:
        """(z - mu) / sigma; zero for a flat prior."""
        if not self.gaussian:
            return np.zeros_like(np.asarray(z, dtype=float))
        return (np.asarray(z, dtype=float) - self.center) / self.scale

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        """Quantiles (values) of the truncated prior: ``ppf(uniform draws)`` samples it."""
        from scipy import stats  # imported when used: scipy.stats takes a while to import
        q = np.asarray(q, dtype=float)
        zlo, zhi = self.z_bounds
        if self.gaussian:
            a, b = (zlo - self.center) / self.scale, (zhi - self.center) / self.scale
            z = stats.truncnorm.ppf(q, a, b, loc=self.center, scale=self.scale)
        else:
            z = zlo + q * (zhi - zlo)
        return np.clip(self.x(z), self.low, self.high)

    def z_width(self, mass: float = 0.95) -> float:
        """Width in z of the truncated prior's central ``mass``."""
        lo, hi = self.z(self.ppf([(1 - mass) / 2, (1 + mass) / 2]))
        return float(hi - lo)

    @property
    def median(self) -> float:
        return float(self.ppf(0.5))

    def describe(self) -> str:
        """E.g. ``lognormal 90% [0.0063, 0.25]`` (before truncation to the bounds)."""
        from scipy import stats  # imported when used: scipy.stats takes a while to import
        if self.gaussian:
            k = stats.norm.ppf(0.5 + DEFAULT_INTERVAL / 2)
            lo, hi = self.x(self.center - k * self.scale), self.x(self.center + k * self.scale)
            text = f"{self.kind} 90% [{lo:.3g}, {hi:.3g}]"
        else:
            text = f"{self.kind} [{self.low:.3g}, {self.high:.3g}]"
        return text if self.declared else text + " (from range)"


# ---------------------------------------------------------------------------- the table
def priors_path() -> Path:
    """The shipped priors table (``aiscale/data/priors.csv``)."""
    return Path(str(resources.files("aiscale.data").joinpath("priors.csv")))


def read_priors(path: str | os.PathLike | None = None) -> dict[str, PriorSpec]:
    """The rows of a priors table (default: the shipped one), checked: a bad row
    raises ValueError naming the file and row."""
    path = Path(path) if path is not None else priors_path()
    if not path.is_file():
        raise ValueError(f"priors table not found: {path}")
    specs: dict[str, PriorSpec] = {}
    for rec in read_records(path, COLUMNS):
        where = f"{path.name}, row {rec.line}"
        name = rec.text("name")
        if not name:
            raise ValueError(f"{where}: empty name")
        if name in specs:
            raise ValueError(f"{where}: {name!r} appears twice")
        fit = rec.text("fit").lower()
        if fit not in ("0", "1", ""):
            raise ValueError(f"{where}: fit must be 1 or 0, not {rec.text('fit')!r}")
        kind = rec.text("prior").lower() or None
        if kind is not None and kind not in KINDS:
            raise ValueError(f"{where}: unknown prior {rec.text('prior')!r} (known: {', '.join(KINDS)})")
        lower, upper = rec.number("lower", required=False), rec.number("upper", required=False)
        interval = rec.number("interval", required=False)
        source = rec.text("source")
        if kind is None:
            if lower is not None or upper is not None or interval is not None:
                raise ValueError(f"{where}: lower/upper/interval given without a prior")
        else:
            if lower is None or upper is None or not lower < upper:
                raise ValueError(f"{where}: {kind} prior needs lower < upper")
            if kind.startswith("log") and lower <= 0:
                raise ValueError(f"{where}: {kind} prior needs lower > 0, not {lower:g}")
            if interval is not None and kind in ("uniform", "loguniform"):
                raise ValueError(f"{where}: interval applies to normal and lognormal priors only")
            if interval is not None and not 0 < interval < 1:
                raise ValueError(f"{where}: interval must lie strictly between 0 and 1, not {interval:g}")
            if not source:
                raise ValueError(f"{where}: a declared prior needs its source")
        specs[name] = PriorSpec(name, fit == "1", kind, lower, upper,
                                DEFAULT_INTERVAL if interval is None else interval, source, where)
    return specs


@lru_cache(maxsize=1)
def shipped_priors() -> dict[str, PriorSpec]:
    return read_priors()


def default_free(path: str | os.PathLike | None = None) -> tuple[str, ...]:
    """The parameters ``aiscale calibrate`` fits by default: ``fit = 1`` in the priors table."""
    specs = shipped_priors() if path is None else read_priors(path)
    return tuple(name for name, s in specs.items() if s.fit)


def prior_for(parameter: Parameter, spec: PriorSpec | None = None) -> Prior:
    """The prior of ``parameter``: the declared one, or the default from its range."""
    from scipy import stats  # imported when used: scipy.stats takes a while to import
    name, low, high = parameter.name, parameter.low, parameter.high
    if low is None or high is None or not high > low:
        raise ValueError(f"parameter {name!r} has no range [low, high] to fit within")
    if spec is None or spec.kind is None:
        kind = "lognormal" if low > 0 else "normal"
        zf = np.log if kind == "lognormal" else (lambda v: v)
        center = float(zf(min(max(parameter.value, low), high)))
        scale = float((zf(high) - zf(low)) / (2 * stats.norm.ppf(0.5 + DEFAULT_INTERVAL / 2)))
        source = f"default from the range [{low:g}, {high:g}]: {parameter.source}"
        return Prior(name, kind, center, scale, float(low), float(high), source, declared=False)
    kind = spec.kind
    if kind == "lognormal" and low <= 0:
        raise ValueError(f"{spec.where}: a lognormal prior needs the parameter's low > 0 "
                         f"(parameters.csv: low = {low:g})")
    zf = np.log if kind.startswith("log") else (lambda v: v)
    if kind in ("normal", "lognormal"):
        k = stats.norm.ppf(0.5 + spec.interval / 2)
        center = float((zf(spec.lower) + zf(spec.upper)) / 2)
        scale = float((zf(spec.upper) - zf(spec.lower)) / (2 * k))
        median = math.exp(center) if kind == "lognormal" else center
        if not low <= median <= high:
            raise ValueError(f"{spec.where}: the prior's median {median:.4g} lies outside {name}'s range "
                             f"[{low:g}, {high:g}] (parameters.csv)")
        return Prior(name, kind, center, scale, float(low), float(high), spec.source, declared=True)
    lo, hi = max(low, spec.lower), min(high, spec.upper)
    if not hi > lo:
        raise ValueError(f"{spec.where}: the {kind} support [{spec.lower:g}, {spec.upper:g}] does not overlap "
                         f"{name}'s range [{low:g}, {high:g}] (parameters.csv)")
    return Prior(name, kind, float("nan"), float("nan"), float(lo), float(hi), spec.source, declared=True)


def priors_table(specs: Mapping[str, PriorSpec] | str | os.PathLike | None = None) -> dict[str, PriorSpec]:
    """``specs`` as a mapping: the shipped table (None), a path, or a mapping as is."""
    if specs is None:
        return shipped_priors()
    if isinstance(specs, Mapping):
        return dict(specs)
    return read_priors(specs)
