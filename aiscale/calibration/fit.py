"""Fitting free parameters to history as a Bayesian posterior: the maximum a
posteriori (MAP) point by scipy, then MCMC (emcee) for the posterior.

* The model starts from the parameter table (``build_model(calibrated=False)``), so
  a fit never depends on an earlier calibration. Parameters not fitted keep their
  table values (or the ``fixed`` overrides).
* The free parameters default to those marked ``fit = 1`` in ``aiscale/data/priors.csv``;
  each has a prior (declared there with its source, or the default from its table
  range, see :mod:`.priors`), truncated to its ``[low, high]``. The fit works in
  ``z`` (``ln x`` for lognormal and loguniform priors, ``x`` otherwise), mapped
  linearly onto the unit interval for the optimiser and the sampler.
* Every evaluation is a vectorised fixed-step RK4 ensemble (``dt`` = 1/8 year by
  default: within 1e-3 orders of magnitude of the adaptive solver on every series),
  so a Jacobian costs one ensemble of ``k + 1`` members and an MCMC step one
  ensemble of all walkers.
* Negative log posterior: ``0.5 * (sum_i (r_i / sigma_i)**2 + sum_j ((z_j - mu_j) / s_j)**2)``
  with ``r_i = log10(model) - log10(observed)``, ``sigma_i`` its series' sigma (see
  :mod:`.series`) and the second sum over the Gaussian priors (flat priors add a
  constant). It is a sum of squares, so the MAP is found by scipy's trust-region
  least squares within the bounds, from the table values and the best points of a
  Sobol screen.
* A series the model cannot follow (RMS residual at the first MAP above its sigma)
  has its sigma raised to that RMS, and the MAP is refined under the raised sigma;
  the MCMC samples that same posterior, so the MAP is its mode and a series the model
  misses widens the posterior instead of narrowing it.
* Series whose model output the model lacks are skipped with a note; parameters no
  observation depends on keep their prior (posterior = prior).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scipy import optimize

from ..model import DEFAULT_BLOWUP, START_YEAR, build_model
from ..stocks_flows import Model
from .priors import Prior, PriorSpec, default_free, prior_for, priors_table
from .series import SERIES, Comparison, model_series, sampling_weights

FIT_DT = 1 / 8
SAVEPER = 0.25
CORRELATION_WARNING = 0.95
INTERVAL = (2.5, 97.5)      # percentiles of the reported intervals (95%)
NOT_IDENTIFIED = 0.8        # posterior / prior width above this: the data do not identify the parameter
BOUND_TOLERANCE = 0.01      # within this share of the (z) range of a bound: flagged
POSTERIOR_DRAWS = 2000      # thinned posterior samples written for ensembles

PriorsArg = Mapping[str, PriorSpec] | str | None


@lru_cache(maxsize=1)
def table_model() -> Model:
    """The model with the parameter table's values (no calibration), built once."""
    return build_model(calibrated=False)


class CalibrationWarning(UserWarning):
    """A fit that is poorly identified, at a bound, or did not converge."""


# ---------------------------------------------------------------------------- the problem
class Problem:
    """Observations, free parameters with their priors, and how to evaluate the model."""

    def __init__(self, observations: pd.DataFrame, free: Sequence[str] | None = None,
                 model: Model | None = None, fixed: Mapping[str, float] | None = None,
                 dt: float = FIT_DT, start: float = START_YEAR, priors: PriorsArg = None):
        if len(observations) == 0:
            raise ValueError("no observations to fit")
        self.model = model or table_model()
        self.free = list(dict.fromkeys(default_free() if free is None else free))
        if not self.free:
            raise ValueError("no free parameters")
        specs = priors_table(priors)
        # unknown names raise, with a suggestion; a parameter with no range cannot be fitted
        self.priors: list[Prior] = [prior_for(self.model.parameter_named(n), specs.get(n)) for n in self.free]
        self.fixed = dict(fixed or {})
        overlap = set(self.fixed) & set(self.free)
        if overlap:
            raise ValueError(f"parameters both free and fixed: {', '.join(sorted(overlap))}")
        self.dt = dt
        self.start = start
        self.low = np.array([p.low for p in self.priors])
        self.high = np.array([p.high for p in self.priors])
        self.log = np.array([p.log for p in self.priors])
        self.zlow = np.array([p.z_bounds[0] for p in self.priors])
        self.zhigh = np.array([p.z_bounds[1] for p in self.priors])
        self.gaussian = np.array([p.gaussian for p in self.priors])
        self.center = np.array([p.center for p in self.priors])[self.gaussian]
        self.scale = np.array([p.scale for p in self.priors])[self.gaussian]
        kept, self.skipped = model_series(observations, self.model.names())
        if len(kept) == 0:
            raise ValueError("the model has none of the observed series' outputs: "
                             + ", ".join(f"{s} ({v})" for s, v in self.skipped.items()))
        self.observations = kept.reset_index(drop=True)
        self.stop = float(self.observations["year"].max() + 1)
        self.times = np.round(np.arange(start, self.stop + 1e-9, SAVEPER), 10)
        self.comparison = Comparison(self.observations, self.times)
        self.sigma = self.comparison.sigma.copy()
        self.evaluations = 0
        self.members = 0
        self.on_evaluation: Callable[[int], None] | None = None

    # unit-interval transform: u = (z - z_low) / (z_high - z_low) ----------------
    def to_unit(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        with np.errstate(all="ignore"):
            z = np.where(self.log, np.log(np.maximum(v, 1e-300)), v)
        return np.clip((z - self.zlow) / (self.zhigh - self.zlow), 0.0, 1.0)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        z = self.zlow + np.clip(np.asarray(u, dtype=float), 0.0, 1.0) * (self.zhigh - self.zlow)
        with np.errstate(all="ignore"):
            v = np.where(self.log, np.exp(z), z)
        return np.clip(v, self.low, self.high)

    def default_values(self) -> np.ndarray:
        """The model's values of the free parameters (the table values), within the bounds."""
        v = np.array([self.model.parameters[n].value for n in self.free], dtype=float)
        return np.clip(v, self.low, self.high)

    # priors ---------------------------------------------------------------------
    def prior_residuals(self, u: np.ndarray) -> np.ndarray:
        """(z - mu) / sigma of the Gaussian priors, shape (N, k_gaussian)."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        z = self.zlow + u * (self.zhigh - self.zlow)
        return (z[:, self.gaussian] - self.center) / self.scale

    def prior_jacobian(self) -> np.ndarray:
        """d prior_residuals / d u, shape (k_gaussian, k)."""
        return np.diag(self.zhigh - self.zlow)[self.gaussian] / self.scale[:, None]

    # evaluation -----------------------------------------------------------------
    def outputs(self, values: np.ndarray, stop: float | None = None,
                variables: Sequence[str] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Run the ensemble of parameter rows ``values`` (N, k); return times and the
        requested outputs, each (N, T)."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        n = values.shape[0]
        variables = list(variables or self.comparison.variables)
        columns = {name: values[:, j] for j, name in enumerate(self.free)}
        columns.update({name: np.full(n, float(v)) for name, v in self.fixed.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ds = self.model.run_ensemble(columns, self.start, stop or self.stop, method="rk4", dt=self.dt,
                                         saveper=SAVEPER, blowup=DEFAULT_BLOWUP, max_seconds=None,
                                         outputs=variables, include_parameters=False)
        self.evaluations += 1
        self.members += n
        if self.on_evaluation is not None:
            self.on_evaluation(n)
        return ds["time"].values, {v: ds[v].values for v in variables}

    def residuals(self, values: np.ndarray) -> np.ndarray:
        """log10 residuals, shape (N, n_obs)."""
        times, outputs = self.outputs(values)
        if len(times) != len(self.times) or not np.allclose(times, self.times):
            raise RuntimeError("the ensemble's output times differ from the comparison grid")
        return self.comparison.residuals(outputs)

    def weighted(self, values: np.ndarray) -> np.ndarray:
        return self.residuals(values) / self.sigma

    def cost(self, values: np.ndarray) -> np.ndarray:
        """Weighted sum of squared data residuals per row (no prior)."""
        return (self.weighted(values) ** 2).sum(axis=1)

    def posterior_residuals(self, u: np.ndarray) -> np.ndarray:
        """Weighted data residuals and prior residuals, (N, n_obs + k_gaussian):
        half their sum of squares is the negative log posterior (up to a constant)."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        return np.hstack([self.weighted(self.from_unit(u)), self.prior_residuals(u)])

    def neg_log_posterior(self, u: np.ndarray) -> np.ndarray:
        return 0.5 * (self.posterior_residuals(u) ** 2).sum(axis=1)

    def jacobian(self, u: np.ndarray, step: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
        """Posterior residuals at ``u`` and their Jacobian in the unit space (data part by
        forward differences from one ensemble of k + 1 members, prior part exact)."""
        k = len(self.free)
        steps = np.where(u + step <= 1.0, step, -step)
        members = np.vstack([u] + [u + np.eye(k)[j] * steps[j] for j in range(k)])
        w = self.weighted(self.from_unit(members))
        jac = np.vstack([((w[1:] - w[0]) / steps[:, None]).T, self.prior_jacobian()])
        return np.concatenate([w[0], self.prior_residuals(u)[0]]), jac


# ---------------------------------------------------------------------------- results
@dataclass
class FitResult:
    """A calibration: the MAP values, statistics, residuals, priors and (with MCMC)
    posterior samples."""

    free: list[str]
    values: dict[str, float]                   # MAP
    defaults: dict[str, float]                 # table values
    bounds: dict[str, tuple[float, float]]
    observations: pd.DataFrame
    residuals: pd.DataFrame
    statistics: pd.DataFrame
    cost: float                                # weighted sum of squares with the series' nominal sigma
    success: bool
    message: str
    evaluations: int
    until: int | None = None
    fixed: dict[str, float] = field(default_factory=dict)
    priors: list[Prior] = field(default_factory=list)
    laplace_sd: np.ndarray | None = None       # posterior SD at the MAP (Gauss-Newton), unit space
    neg_log_posterior: float = float("nan")
    skipped: dict[str, str] = field(default_factory=dict)   # series -> the output the model lacks
    samples: np.ndarray | None = None          # (S, k) posterior samples, parameter values
    acceptance: float | None = None
    sigma_scale: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    fit_date: str = field(default_factory=lambda: date.today().isoformat())

    def _z(self, j: int, x: np.ndarray) -> np.ndarray:
        return self.priors[j].z(x) if self.priors else np.asarray(x, dtype=float)

    @property
    def intervals(self) -> pd.DataFrame:
        """Per parameter: MAP, table value, bounds, prior, the posterior median and 95%
        interval (NaN without MCMC), the prior's 95% interval, the ratio of posterior to
        prior width (of ``z``; from the samples, else from the Laplace approximation),
        whether the data identify it, and whether the MAP sits at a bound."""
        unconstrained = set(self.settings.get("unconstrained", []))
        rows = []
        for j, name in enumerate(self.free):
            lo, hi = self.bounds[name]
            row = {"parameter": name, "value": self.values[name], "default": self.defaults[name], "low": lo,
                   "high": hi}
            prior = self.priors[j] if self.priors else None
            row["prior"] = prior.describe() if prior else ""
            if self.samples is not None:
                q = np.percentile(self.samples[:, j], [INTERVAL[0], 50, INTERVAL[1]])
                row.update(p025=q[0], median=q[1], p975=q[2])
                post_width = float(np.diff(self._z(j, q[[0, 2]]))[0])
            else:
                row.update(p025=np.nan, median=np.nan, p975=np.nan)
                post_width = np.nan
            if prior is not None:
                pq = prior.ppf([INTERVAL[0] / 100, INTERVAL[1] / 100])
                row.update(prior_p025=float(pq[0]), prior_p975=float(pq[1]))
                zlo, zhi = prior.z_bounds
                if not np.isfinite(post_width) and self.laplace_sd is not None:
                    post_width = laplace_width(float(prior.z(self.values[name])),
                                               float(self.laplace_sd[j]) * (zhi - zlo), zlo, zhi)
                ratio = post_width / prior.z_width(0.95)
                u = (float(prior.z(self.values[name])) - zlo) / (zhi - zlo)
            else:
                row.update(prior_p025=np.nan, prior_p975=np.nan)
                ratio, u = np.nan, 0.5
            row["width_ratio"] = ratio
            row["identified"] = bool(np.isfinite(ratio) and ratio <= NOT_IDENTIFIED)
            row["at_bound"] = "lower" if u < BOUND_TOLERANCE else "upper" if u > 1 - BOUND_TOLERANCE else ""
            loose = np.isfinite(ratio) and ratio > NOT_IDENTIFIED
            if name in unconstrained:
                note = "no observation depends on it: posterior = prior"
            elif loose:
                note = "not identified by the data" + ("" if row["at_bound"] else ", stays near its prior")
            else:
                note = ""
            if row["at_bound"]:  # a bound first: it matters most
                note = f"at its {row['at_bound']} bound" + (f"; {note}" if note else "")
            row["note"] = note
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def correlations(self) -> pd.DataFrame | None:
        """Posterior correlations of ``z`` (log values for log-scale priors)."""
        if self.samples is None or len(self.samples) < 3:
            return None
        x = np.column_stack([self._z(j, self.samples[:, j]) for j in range(len(self.free))])
        with np.errstate(all="ignore"):
            c = np.corrcoef(x, rowvar=False)
        return pd.DataFrame(np.atleast_2d(c), index=self.free, columns=self.free)

    @property
    def poorly_identified(self) -> list[tuple[str, str, float]]:
        """Parameter pairs whose posterior |correlation| exceeds 0.95."""
        c = self.correlations
        if c is None:
            return []
        out = []
        for i, a in enumerate(self.free):
            for b in self.free[i + 1:]:
                r = float(c.loc[a, b])
                if np.isfinite(r) and abs(r) > CORRELATION_WARNING:
                    out.append((a, b, r))
        return out

    @property
    def at_bound(self) -> list[str]:
        """Free parameters whose MAP lies within 1% of their (z) range of a bound."""
        iv = self.intervals
        return iv.loc[iv["at_bound"] != "", "parameter"].tolist()

    @property
    def parameters(self) -> dict[str, float]:
        """Every override this fit implies: the fitted values and the fixed ones."""
        return {**self.fixed, **self.values}

    def posterior(self, draws: int = POSTERIOR_DRAWS) -> pd.DataFrame | None:
        """At most ``draws`` posterior samples (one column per free parameter), thinned
        evenly over the chain after burn-in, for ensembles that draw the fitted
        parameters jointly; None without MCMC."""
        if self.samples is None:
            return None
        idx = np.unique(np.linspace(0, len(self.samples) - 1, min(draws, len(self.samples))).round().astype(int))
        return pd.DataFrame(self.samples[idx], columns=self.free)


def laplace_width(z: float, sd: float, zlo: float, zhi: float, mass: float = 0.95) -> float:
    """Width of the central ``mass`` of a normal (mean ``z``, SD ``sd``) truncated to [zlo, zhi]."""
    from scipy import stats  # imported when used: scipy.stats takes a while to import
    if not sd > 0:
        return 0.0
    a, b = (zlo - z) / sd, (zhi - z) / sd
    q = stats.truncnorm.ppf([(1 - mass) / 2, (1 + mass) / 2], a, b, loc=z, scale=sd)
    return float(q[1] - q[0])


def statistics(residuals: pd.DataFrame) -> pd.DataFrame:
    """Per series: points, RMS and mean (bias) of the log10 residuals, sigma, weight."""
    rows = []
    for name in SERIES:
        sel = residuals["series"] == name
        r = residuals.loc[sel, "log10_error"].to_numpy()
        if len(r) == 0:
            continue
        s = SERIES[name]
        rows.append({"series": name, "points": len(r),
                     "years": f"{residuals.loc[sel, 'year'].min()}-{residuals.loc[sel, 'year'].max()}",
                     "rms_log10": float(np.sqrt(np.mean(r ** 2))), "bias_log10": float(np.mean(r)),
                     "max_abs_log10": float(np.abs(r).max()), "sigma_log10": s.sigma, "weight": s.weight,
                     "model_output": s.variable})
    return pd.DataFrame(rows)


def residual_frame(observations: pd.DataFrame, residuals: np.ndarray) -> pd.DataFrame:
    frame = observations[["series", "year", "value", "unit"]].rename(columns={"value": "observed"}).copy()
    frame["predicted"] = frame["observed"].to_numpy() * 10 ** residuals
    frame["log10_error"] = residuals
    frame["percent_error"] = (10 ** residuals - 1) * 100
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------- MAP
def maximum_a_posteriori(problem: Problem, start: np.ndarray | None = None, max_nfev: int = 60,
                         step: float = 1e-3) -> optimize.OptimizeResult:
    """Minimise the negative log posterior (a sum of squares: weighted data residuals
    and Gaussian-prior residuals) in the unit space with scipy's bounded trust-region
    least squares; the Jacobian comes from one ensemble of k + 1 members."""
    from scipy import optimize  # imported when used: scipy.optimize takes a while to import
    k = len(problem.free)
    u0 = problem.to_unit(problem.default_values() if start is None else start)
    cache: dict[bytes, np.ndarray] = {}

    def fun(u: np.ndarray) -> np.ndarray:
        key = np.asarray(u, dtype=float).tobytes()
        if key not in cache:
            cache[key] = problem.posterior_residuals(u)[0]
        return cache[key]

    def jac(u: np.ndarray) -> np.ndarray:
        r, j = problem.jacobian(np.asarray(u, dtype=float), step)
        cache[np.asarray(u, dtype=float).tobytes()] = r
        return j

    return optimize.least_squares(fun, u0, jac=jac, bounds=(np.zeros(k), np.ones(k)), method="trf",
                                  x_scale=1.0, max_nfev=max_nfev, xtol=1e-6, ftol=1e-8, gtol=1e-8)


def sensitivity(problem: Problem, values: np.ndarray | None = None, step: float = 0.01) -> dict[str, float]:
    """Per free parameter, the norm of the change of the weighted residuals per unit
    of its (unit-interval) range, by forward differences at ``values`` (default: the
    table values). Zero: the observations do not depend on the parameter."""
    u = problem.to_unit(problem.default_values() if values is None else values)
    k = len(u)
    steps = np.where(u + step <= 1.0, step, -step)
    w = problem.weighted(problem.from_unit(np.vstack([u] + [u + np.eye(k)[j] * steps[j] for j in range(k)])))
    return dict(zip(problem.free, np.linalg.norm((w[1:] - w[0]) / steps[:, None], axis=1).tolist()))


def synthetic_observations(observations: pd.DataFrame, parameters: Mapping[str, float], noise: bool = True,
                           seed: int = 0, model: Model | None = None, dt: float = FIT_DT) -> pd.DataFrame:
    """Observations at the same series and years, simulated with ``parameters``, plus
    (with ``noise``) Gaussian log10 noise of each series' sigma."""
    problem = Problem(observations, list(parameters), model=model, dt=dt)
    pred = problem.comparison.predict(problem.outputs(np.array([list(parameters.values())]))[1])[0]
    log = np.log10(pred)
    if noise:
        log = log + np.random.default_rng(seed).standard_normal(len(log)) * problem.comparison.sigma
    out = problem.observations.copy()
    out["value"] = 10 ** log
    out["source"] = "synthetic"
    out["note"] = "simulated with " + ", ".join(f"{k}={v:g}" for k, v in parameters.items())
    return out


def starting_points(problem: Problem, screen: int = 512, refine: int = 3, seed: int = 0) -> list[np.ndarray]:
    """The table values and the best Sobol points by posterior density, as parameter values."""
    default = problem.default_values()
    if screen <= 0 or refine <= 1:
        return [default]
    from scipy.stats import qmc

    u = qmc.Sobol(len(problem.free), seed=seed).random(screen)
    candidates = np.vstack([problem.to_unit(default), u])
    cost = problem.neg_log_posterior(candidates)
    order = np.argsort(np.where(np.isfinite(cost), cost, np.inf))
    return [problem.from_unit(candidates[i]) for i in order[:refine]]


# ---------------------------------------------------------------------------- MCMC
def laplace_covariance(problem: Problem, u: np.ndarray, max_std: float = 0.5) -> np.ndarray:
    """Gauss-Newton posterior covariance (unit space) at ``u``, priors included, with
    every direction's standard deviation capped at ``max_std`` (a direction neither the
    data nor a Gaussian prior constrain is limited by the bounds)."""
    _, jac = problem.jacobian(np.asarray(u, dtype=float))
    values, vectors = np.linalg.eigh(jac.T @ jac)
    variances = np.minimum(1.0 / np.maximum(values, 1e-12), max_std ** 2)
    return (vectors * variances) @ vectors.T


def sample(problem: Problem, u_best: np.ndarray, walkers: int | None = None, steps: int = 300,
           burn: int | None = None, thin: int = 1, seed: int = 0, progress: bool | str = False,
           cov: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """Posterior samples (values) with emcee, every step one vectorised ensemble.

    The walkers start from the Gauss-Newton (Laplace) approximation of the posterior
    around the MAP, so that short chains already span poorly identified ridges and
    parameters that stay near their priors. Returns the samples after burn-in, the
    mean acceptance fraction and the largest autocorrelation time (steps; NaN when the
    chain is too short to estimate it)."""
    import emcee

    k = len(problem.free)
    walkers = max(walkers or 4 * k, 2 * k + 2)
    walkers += walkers % 2
    burn = steps // 3 if burn is None else burn
    rng = np.random.default_rng(seed)
    cov = laplace_covariance(problem, u_best) if cov is None else cov
    p0 = np.clip(rng.multivariate_normal(u_best, cov, size=walkers, method="eigh"), 1e-6, 1 - 1e-6)

    def log_prob(u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(u)
        inside = np.all((u >= 0) & (u <= 1), axis=1)
        out = np.full(len(u), -np.inf)
        if inside.any():
            out[inside] = -problem.neg_log_posterior(u[inside])
        return out

    sampler = emcee.EnsembleSampler(walkers, k, log_prob, vectorize=True)
    sampler.random_state = np.random.mtrand.RandomState(seed).get_state()  # reproducible moves
    sampler.run_mcmc(p0, steps, progress=progress, progress_kwargs={"desc": "mcmc", "unit": " steps"})
    chain = sampler.get_chain(discard=min(burn, steps - 1), thin=thin, flat=True)
    logging.disable(logging.WARNING)  # emcee logs a warning whenever the chain is short
    try:
        tau = float(np.max(sampler.get_autocorr_time(quiet=True)))
    except Exception:  # noqa: BLE001 - an estimate for the report only
        tau = float("nan")
    finally:
        logging.disable(logging.NOTSET)
    return problem.from_unit(chain), float(np.mean(sampler.acceptance_fraction)), tau


# ---------------------------------------------------------------------------- the fit
def fit(observations: pd.DataFrame, free: Sequence[str] | None = None, *, until: int | None = None,
        fixed: Mapping[str, float] | None = None, model: Model | None = None, dt: float = FIT_DT,
        priors: PriorsArg = None, mcmc: bool = True, walkers: int | None = None, steps: int = 300,
        burn: int | None = None, seed: int = 0, max_nfev: int = 60, screen: int = 512, refine: int = 3,
        progress: bool = False, warn: bool = True) -> FitResult:
    """Fit ``free`` parameters (default: ``fit = 1`` in the priors table) to the
    ``observations`` (those up to ``until`` only, when given): the MAP, then (with
    ``mcmc``) posterior samples from emcee.

    ``priors``: the priors table (default ``aiscale/data/priors.csv``), as a path or as
    read by :func:`.priors.read_priors`. Starting points: the table values and the best
    of ``screen`` scrambled-Sobol points of the unit box (one ensemble); the MAP search
    runs from the ``refine`` best of them and keeps the highest posterior density.

    ``progress``: show progress bars (tqdm, on stderr) for the MAP search (model
    evaluations) and for the MCMC (steps).
    """
    specs = priors_table(priors)
    free = list(free) if free is not None else [n for n, s in specs.items() if s.fit]
    used = observations if until is None else observations[observations["year"] <= until]
    if len(used) == 0:
        raise ValueError(f"no observations up to {until}")
    problem = Problem(used, free, model=model, fixed=fixed, dt=dt, priors=specs)
    free = problem.free
    data = "the data" if until is None else f"the data up to {until}"
    if problem.skipped and warn:
        warnings.warn("skipped series (the model lacks their output): "
                      + ", ".join(f"{s} ({v})" for s, v in problem.skipped.items()), CalibrationWarning,
                      stacklevel=2)
    unconstrained = [n for n, norm in sensitivity(problem).items() if norm < 1e-9]
    if len(unconstrained) == len(free):
        raise ValueError(f"none of the free parameters affects {data}")
    if unconstrained and warn:
        warnings.warn(f"not constrained by {data}: {', '.join(unconstrained)} (posterior = prior)",
                      CalibrationWarning, stacklevel=2)
    from tqdm.auto import tqdm

    bar = tqdm(desc="MAP", unit=" runs", disable=not progress, leave=True)
    problem.on_evaluation = lambda n: bar.update(n)
    try:
        best = None
        for start in starting_points(problem, screen, refine, seed):
            trial = maximum_a_posteriori(problem, start=start, max_nfev=max_nfev)
            if best is None or trial.cost < best.cost:
                best = trial
        # a series the model misses by more than its sigma: raise its sigma to its RMS, refine
        r = problem.residuals(problem.from_unit(best.x))[0]
        first = statistics(residual_frame(problem.observations, r))
        scale = {row.series: max(1.0, row.rms_log10 / row.sigma_log10) for row in first.itertuples()}
        if any(v > 1.0 for v in scale.values()):
            problem.sigma = problem.comparison.sigma * problem.observations["series"].map(scale).to_numpy()
            best = maximum_a_posteriori(problem, start=problem.from_unit(best.x), max_nfev=max_nfev)
        cov = laplace_covariance(problem, best.x)
    finally:
        problem.on_evaluation = None
        bar.close()
    u_best = best.x
    values_best = problem.from_unit(u_best)
    r = problem.residuals(values_best)[0]
    frame = residual_frame(problem.observations, r)
    fit_result = FitResult(
        free, dict(zip(free, values_best.tolist())), dict(zip(free, problem.default_values().tolist())),
        {n: (float(lo), float(hi)) for n, lo, hi in zip(free, problem.low, problem.high)},
        problem.observations, frame, statistics(frame),
        cost=float(np.sum((r / problem.comparison.sigma) ** 2)), success=bool(best.success),
        message=str(best.message), evaluations=problem.evaluations, until=until, fixed=dict(fixed or {}),
        priors=problem.priors, laplace_sd=np.sqrt(np.diag(cov)), neg_log_posterior=float(best.cost),
        skipped=dict(problem.skipped), sigma_scale=scale,
        settings={"dt": dt, "method": "rk4", "saveper": SAVEPER, "start": problem.start, "stop": problem.stop,
                  "max_nfev": max_nfev, "screen": screen, "refine": refine, "mcmc": mcmc,
                  "unconstrained": unconstrained, "priors": "aiscale/data/priors.csv" if priors is None
                  else str(priors) if not isinstance(priors, Mapping) else "given"})
    fit_result.settings["at_bound"] = fit_result.at_bound
    if mcmc:
        samples, acceptance, tau = sample(problem, u_best, walkers=walkers, steps=steps, burn=burn, seed=seed,
                                          progress=progress, cov=cov)
        fit_result.samples = samples
        fit_result.acceptance = acceptance
        fit_result.evaluations = problem.evaluations
        fit_result.settings.update(autocorrelation_steps=tau,
                                   walkers=max(walkers or 4 * len(free), 2 * len(free) + 2), steps=steps,
                                   burn=steps // 3 if burn is None else burn, seed=seed)
    if warn:
        warn_about(fit_result)
    return fit_result


def warn_about(result: FitResult) -> None:
    for a, b, r in result.poorly_identified:
        warnings.warn(f"poorly identified: {a} and {b} have posterior correlation {r:+.3f} "
                      f"(|r| > {CORRELATION_WARNING}); the data constrain only a combination of them",
                      CalibrationWarning, stacklevel=3)
    iv = result.intervals.set_index("parameter")
    for name in result.at_bound:
        side = iv.loc[name, "at_bound"]
        warnings.warn(f"at a bound: {name} = {result.values[name]:.4g} (its {side} bound is "
                      f"{iv.loc[name, 'low' if side == 'lower' else 'high']:g}); the data pull it out of its "
                      f"range", CalibrationWarning, stacklevel=3)
    if not result.success:
        warnings.warn(f"the MAP search did not converge: {result.message}", CalibrationWarning, stacklevel=3)


# ---------------------------------------------------------------------------- predictions
def predict(result: FitResult, observations: pd.DataFrame, model: Model | None = None,
            dt: float | None = None, draws: int = 0, seed: int = 0) -> pd.DataFrame:
    """The fitted model on ``observations`` (any years; series the model lacks are
    left out): observed, predicted, log10 and % errors, and with ``draws`` posterior
    draws the 2.5-97.5% band."""
    problem = Problem(observations, result.free, model=model, fixed=result.fixed,
                      dt=dt or result.settings.get("dt", FIT_DT))
    best = np.array([result.values[n] for n in result.free])
    r = problem.residuals(best)[0]
    frame = residual_frame(problem.observations, r)
    if draws and result.samples is not None:
        rng = np.random.default_rng(seed)
        pick = result.samples[rng.choice(len(result.samples), size=min(draws, len(result.samples)), replace=False)]
        rs = problem.residuals(pick)
        pred = problem.observations["value"].to_numpy() * 10 ** rs
        frame["p025"] = np.percentile(pred, INTERVAL[0], axis=0)
        frame["p975"] = np.percentile(pred, INTERVAL[1], axis=0)
    return frame


def curves(result: FitResult, years: Mapping[str, Sequence[int]], model: Model | None = None,
           draws: int = 100, seed: int = 0, dt: float | None = None) -> dict[str, pd.DataFrame]:
    """Per series (those the model has), the model sampled by the series' rule for
    each year in ``years``: the fit and (with MCMC samples) the 2.5, 50 and 97.5
    percentiles of ``draws`` posterior draws."""
    base = model or table_model()
    names = set(base.names())
    years = {n: ys for n, ys in years.items() if SERIES[n].variable in names}
    if not years:
        return {}
    stop = max(max(y) for y in years.values()) + 1.0
    rows = np.array([[result.values[n] for n in result.free]])
    if draws and result.samples is not None:
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(result.samples), size=min(draws, len(result.samples)), replace=False)
        rows = np.vstack([rows, result.samples[idx]])
    dummy = pd.DataFrame({"series": list(years)[:1], "year": [min(next(iter(years.values())))], "value": [1.0],
                          "unit": [""], "source": [""], "rows": [""], "note": [""]})
    problem = Problem(dummy, result.free, model=base, fixed=result.fixed, dt=dt or result.settings.get("dt", FIT_DT))
    variables = sorted({SERIES[s].variable for s in years})
    times, outputs = problem.outputs(rows, stop=stop, variables=variables)
    out = {}
    for name, ys in years.items():
        s = SERIES[name]
        w = np.array([sampling_weights(times, int(y), s.sampling) for y in ys]).T
        values = outputs[s.variable] @ w  # (N, years)
        frame = pd.DataFrame({"year": list(ys), "fit": values[0]})
        if len(values) > 1:
            frame["p025"], frame["median"], frame["p975"] = np.percentile(values[1:], [INTERVAL[0], 50, INTERVAL[1]],
                                                                         axis=0)
        out[name] = frame
    return out
