"""Parameter distributions and correlated sampling (a Gaussian copula).

Every parameter with a range (``low < high`` in ``aiscale/data/parameters.csv``) is
uncertain, except the policy levers (:data:`POLICY_LEVERS`), which scenarios set. Its
default distribution is the **three-point** form of compute-centric takeoff models
(Davidson 2023, "What a compute-centric framework says about takeoff speeds", and
Epoch's ``opmodel`` Monte Carlo, which call it a skewed log-uniform): half the
probability spread uniformly from ``low`` to the central value and half from the
central value to ``high``, in log space for positive parameters and in linear space for
the others. The central value (the table's value, or a scenario's override) is then
the median, and the range is a hard support. A central value on a bound of the range
would put half the probability on that bound; the whole range then takes it uniformly
(in the same space), so no value is a point mass. A scenario's ``[distributions]`` table
replaces the default for a parameter with one of:

``{kind = "three_point", low, central, high, space = "log" | "linear" | "odds"}``
``{kind = "uniform", low, high}``          ``{kind = "loguniform", low, high}``
``{kind = "normal", mean, sd}``            ``{kind = "lognormal", median, sigma}``
``{kind = "fixed"}``  (not varied: the scenario's value is used in every draw)

Normal and lognormal draws are truncated to the parameter's range (the model rejects
values outside it); the other kinds must lie within it.

**Correlations.** Draws are correlated through a Gaussian copula: the user gives
Spearman rank correlations between pairs of parameters (a scenario's
``[[correlations]]``; see the baseline scenario for the documented matrix); they become
the normal copula's correlations by r = 2 sin(pi rho / 6) (Kruskal 1958), a draw is
Z ~ N(0, R), U = Phi(Z), and each parameter is its marginal's quantile function at U.
The same seed gives the same draws, whatever the chunking of the ensemble.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

# Parameters that are policy choices, not uncertainties: scenarios set them; the Monte
# Carlo leaves them at the scenario's value unless a [distributions] entry asks otherwise.
POLICY_LEVERS = (
    "supply_disruption_fraction", "capacity_expansion_multiplier", "power_permitting_multiplier",
    "export_controlled_share", "data_restricted_fraction", "compute_tax_rate",
    "reporting_threshold_flop", "reporting_cost_fraction",
)

KINDS = {
    "three_point": ("low", "central", "high"),
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "fixed": (),
}
SPACES = ("log", "linear", "odds")


class DistributionError(ValueError):
    """A distribution that cannot be used: unknown kind, missing or bad numbers."""


@dataclass(frozen=True)
class Distribution:
    """A marginal distribution, truncated to ``[low_bound, high_bound]`` where given."""

    kind: str
    args: tuple[tuple[str, float], ...]
    space: str = "log"

    @classmethod
    def make(cls, kind: str, space: str | None = None, **args: float) -> Distribution:
        if kind not in KINDS:
            raise DistributionError(f"unknown distribution kind {kind!r}; choose one of {', '.join(KINDS)}")
        need = KINDS[kind]
        missing = [a for a in need if a not in args]
        extra = [a for a in args if a not in need]
        if missing:
            raise DistributionError(f"a {kind} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
        if extra:
            raise DistributionError(f"a {kind} distribution takes {', '.join(need) or 'no numbers'}; "
                                    f"unexpected {', '.join(extra)}")
        values = {a: float(args[a]) for a in need}
        if space is not None and kind != "three_point":
            raise DistributionError(f"only a three_point distribution takes a space, not {kind}")
        d = cls(kind, tuple(values.items()), space or "log")
        d._check()
        return d

    def __getitem__(self, name: str) -> float:
        return dict(self.args)[name]

    def _check(self) -> None:
        a = dict(self.args)
        if self.kind in ("three_point", "uniform", "loguniform") and not a["low"] < a["high"]:
            raise DistributionError(f"{self.kind}: low ({a['low']:g}) must be below high ({a['high']:g})")
        if self.kind == "three_point":
            if self.space not in SPACES:
                raise DistributionError(f"unknown space {self.space!r}; choose one of {', '.join(SPACES)}")
            if not a["low"] <= a["central"] <= a["high"]:
                raise DistributionError(f"three_point: central ({a['central']:g}) must lie in "
                                        f"[{a['low']:g}, {a['high']:g}]")
            if self.space == "log" and a["low"] <= 0:
                raise DistributionError("three_point in log space needs low > 0; use space = \"linear\"")
            if self.space == "odds" and not (0 < a["low"] and a["high"] < 1):
                raise DistributionError("three_point in odds space needs 0 < low and high < 1")
        if self.kind == "loguniform" and a["low"] <= 0:
            raise DistributionError("loguniform needs low > 0")
        if self.kind == "normal" and a["sd"] <= 0 or self.kind == "lognormal" and (
                a["sigma"] <= 0 or a["median"] <= 0):
            raise DistributionError(f"{self.kind}: the spread and (for lognormal) the median must be positive")

    @property
    def support(self) -> tuple[float, float]:
        """Where the distribution puts probability before truncation."""
        a = dict(self.args)
        if self.kind in ("three_point", "uniform", "loguniform"):
            return a["low"], a["high"]
        if self.kind == "lognormal":
            return 0.0, np.inf
        return -np.inf, np.inf

    @property
    def varied(self) -> bool:
        return self.kind != "fixed"

    def ppf(self, u: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
        """Quantile function at ``u`` in [0, 1]; normal and lognormal are truncated to
        ``[low, high]`` (the parameter's range)."""
        from scipy import special  # imported when used: scipy.special takes a while to import
        a = dict(self.args)
        u = np.asarray(u, dtype=float)
        if self.kind == "uniform":
            return a["low"] + u * (a["high"] - a["low"])
        if self.kind == "loguniform":
            return np.exp(np.log(a["low"]) + u * (np.log(a["high"]) - np.log(a["low"])))
        if self.kind == "three_point":
            return _three_point(u, a["low"], a["central"], a["high"], self.space)
        if self.kind in ("normal", "lognormal"):
            log = self.kind == "lognormal"
            mu = np.log(a["median"]) if log else a["mean"]
            sd = a["sigma"] if log else a["sd"]
            lo = -np.inf if low is None or (log and low <= 0) else (np.log(low) if log else low)
            hi = np.inf if high is None else (np.log(high) if log else high)
            p_lo, p_hi = special.ndtr((lo - mu) / sd), special.ndtr((hi - mu) / sd)
            p = np.clip(p_lo + u * (p_hi - p_lo), 1e-300, 1 - 1e-16)
            z = mu + sd * special.ndtri(p)
            z = np.clip(z, lo, hi)
            return np.exp(z) if log else z
        raise DistributionError(f"a {self.kind} distribution has no quantile function")

    def describe(self) -> str:
        a = ", ".join(f"{k}={v:g}" for k, v in self.args)
        space = f", {self.space}" if self.kind == "three_point" else ""
        return f"{self.kind}({a}{space})"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, **dict(self.args)}
        if self.kind == "three_point":
            out["space"] = self.space
        return out


def _forward(x: np.ndarray | float, space: str) -> Any:
    if space == "log":
        return np.log(x)
    if space == "odds":
        return np.log(x / (1 - x))
    return x


def _backward(z: np.ndarray, space: str) -> np.ndarray:
    if space == "log":
        return np.exp(z)
    if space == "odds":
        return 1 / (1 + np.exp(-z))
    return z


def _three_point(u: np.ndarray, low: float, central: float, high: float, space: str) -> np.ndarray:
    """Half the mass uniform on [low, central], half on [central, high], in ``space``."""
    zl, zc, zh = (_forward(v, space) for v in (low, central, high))
    if zc == zl or zc == zh:
        # a central value on a bound would put half the probability exactly on it (a
        # point mass): the other side takes all of it, uniformly
        z = zl + u * (zh - zl)
        x = np.clip(_backward(z, space), low, high)
        return np.select([z == zl, z == zh], [low, high], x)
    z = np.where(u < 0.5, zl + 2 * u * (zc - zl), zc + (2 * u - 1) * (zh - zc))
    x = np.clip(_backward(z, space), low, high)
    # the three points themselves exactly (exp(log(x)) need not be x)
    return np.select([z == zc, z == zl, z == zh], [central, low, high], x)


def default_distribution(value: float, low: float, high: float) -> Distribution:
    """The three-point form on the parameter's range, centred on its value: in log
    space when the range is positive, else linear."""
    space = "log" if low > 0 else "linear"
    return Distribution.make("three_point", space=space, low=low, central=value, high=high)


# ---------------------------------------------------------------------- copula
def spearman_to_pearson(rho: np.ndarray) -> np.ndarray:
    """The normal copula correlation giving rank correlation ``rho`` (Kruskal 1958)."""
    return 2 * np.sin(np.pi * np.asarray(rho) / 6)


def correlation_matrix(names: Sequence[str], pairs: Mapping[tuple[str, str], float]) -> np.ndarray:
    """The rank-correlation matrix over ``names`` (identity plus the given pairs; pairs
    naming a parameter that is not varied are ignored)."""
    index = {n: i for i, n in enumerate(names)}
    s = np.eye(len(names))
    for (a, b), rho in pairs.items():
        if a in index and b in index:
            s[index[a], index[b]] = s[index[b], index[a]] = rho
    return s


def sample(distributions: Mapping[str, tuple[Distribution, float | None, float | None]],
           n: int, seed: Any, correlations: Mapping[tuple[str, str], float] | None = None,
           ranges: Mapping[str, tuple[float, float]] | None = None) -> dict[str, np.ndarray]:
    """``n`` correlated draws of every distribution (name -> (distribution, low, high)).

    Names are taken in sorted order, so the draws depend on the seed and the set of
    distributions only, never on their order in a file. ``ranges``: a parameter's
    marginal truncated to the quantiles ``(u_low, u_high)`` (the copula's uniform is
    rescaled into them, so rank correlations are kept)."""
    from scipy import special  # imported when used: scipy.special takes a while to import
    names = sorted(name for name, (d, _, _) in distributions.items() if d.varied)
    if not names:
        return {}
    spearman = correlation_matrix(names, correlations or {})
    pearson = spearman_to_pearson(spearman)
    try:
        chol = np.linalg.cholesky(pearson)
    except np.linalg.LinAlgError:
        worst = float(np.linalg.eigvalsh(pearson).min())
        raise DistributionError(f"the rank correlations are not a valid correlation matrix (smallest "
                                f"eigenvalue {worst:.3g} after the copula transform): lower some of them") from None
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(names))) @ chol.T

    def marginal(j: int) -> np.ndarray:
        d, low, high = distributions[names[j]]
        lo, hi = (ranges or {}).get(names[j], (0.0, 1.0))
        u = special.ndtr(z[:, j])
        return d.ppf(u if (lo, hi) == (0.0, 1.0) else lo + u * (hi - lo), low, high)

    # element by element, so the same numbers whichever thread computes a column (numpy
    # and scipy's ufuncs run without the GIL: a 100,000-member draw takes half the time)
    threads = min(os.cpu_count() or 1, 8) if z.size >= 1_000_000 else 1
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            columns = list(pool.map(marginal, range(len(names))))
    else:
        columns = [marginal(j) for j in range(len(names))]
    return dict(zip(names, columns))


def uniform_to_draws(u: np.ndarray, names: Sequence[str],
                     distributions: Mapping[str, tuple[Distribution, float | None, float | None]]
                     ) -> dict[str, np.ndarray]:
    """Map independent uniforms ``u`` (n, len(names)) through each marginal (for SALib)."""
    return {name: distributions[name][0].ppf(u[:, j], *distributions[name][1:]) for j, name in enumerate(names)}


@dataclass(frozen=True)
class Empirical:
    """The marginal of a sample (e.g. one column of the calibration posterior): its
    quantile function, linear between order statistics."""

    values: tuple[float, ...]
    source: str = "sample"
    kind: str = "empirical"
    varied: bool = True

    @classmethod
    def of(cls, values: Any, source: str = "sample") -> Empirical:
        return cls(tuple(float(v) for v in np.sort(np.asarray(values, dtype=float))), source)

    def ppf(self, u: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
        v = np.asarray(self.values)
        return np.interp(np.asarray(u, dtype=float), (np.arange(len(v)) + 0.5) / len(v), v)

    def describe(self) -> str:
        return f"empirical({len(self.values)} draws of {self.source})"


@dataclass(frozen=True)
class Narrowed:
    """A marginal truncated to its quantiles ``[u_low, u_high]``."""

    base: Any
    u_low: float
    u_high: float

    @property
    def kind(self) -> str:
        return self.base.kind

    @property
    def varied(self) -> bool:
        return self.u_high > self.u_low

    def ppf(self, u: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
        return self.base.ppf(self.u_low + np.asarray(u, dtype=float) * (self.u_high - self.u_low), low, high)

    def describe(self) -> str:
        return f"{self.base.describe()} within its quantiles {self.u_low:.3g}-{self.u_high:.3g}"
