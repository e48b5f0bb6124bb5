"""Fitting free parameters to history: weighted least squares on log10 residuals,
then MCMC (emcee) for intervals and correlations.

* The model starts from the parameter table (``build_model(calibrated=False)``), so
  a fit never depends on an earlier calibration. Parameters not fitted keep their
  table values (or the ``fixed`` overrides).
* Each free parameter is searched in ``[low, high]`` of the table, on a log scale
  when its range spans a factor of 10 or more and ``low > 0``, else linearly; both
  are mapped onto the unit interval, where the prior is uniform.
* Every evaluation is a vectorised fixed-step RK4 ensemble (``dt`` = 1/8 year by
  default: within 1e-3 orders of magnitude of the adaptive solver on every series),
  so a Jacobian costs one ensemble of ``k + 1`` members and an MCMC step one
  ensemble of all walkers.
* Cost: ``sum_i w_i r_i**2`` with ``r_i = log10(model) - log10(observed)`` and
  ``w_i = 1 / sigma_s**2`` for the point's series ``s`` (see :mod:`.series`).
* Likelihood for MCMC: Gaussian in ``r_i`` with the series' sigma, inflated to the
  series' RMS residual at the optimum when the fit is worse than sigma (an honest
  width for a series the model cannot follow).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from ..model import DEFAULT_BLOWUP, START_YEAR, build_model
from ..stocks_flows import Model
from .series import SERIES, Comparison, sampling_weights

# The default free parameters: each is identified by at least one series.
DEFAULT_FREE = (
    "cluster_concentration_rate_per_year",   # training-compute growth (concentration into one run)
    "max_frontier_cluster_share",            # training-compute level in the 2020s
    "price_performance_growth_per_year",     # FLOP/s per $
    "ai_share_increase_years",               # how fast foundries follow AI demand: accelerator output
    "chips_per_cowos_wafer",                 # CoWoS wafers per accelerator
    "market_share_at_reference",             # AI revenue level
    "reinvestment_ratio",                    # AI spending per $ of revenue: capex, NVIDIA revenue
)
FIT_DT = 1 / 8
SAVEPER = 0.25
CORRELATION_WARNING = 0.95
INTERVAL = (2.5, 97.5)  # percentiles of the reported intervals (95%)


@lru_cache(maxsize=1)
def table_model() -> Model:
    """The model with the parameter table's values (no calibration), built once."""
    return build_model(calibrated=False)


class CalibrationWarning(UserWarning):
    """A fit that is poorly identified or did not converge."""


# ---------------------------------------------------------------------------- the problem
class Problem:
    """Observations, free parameters and how to evaluate the model on them."""

    def __init__(self, observations: pd.DataFrame, free: Sequence[str] = DEFAULT_FREE,
                 model: Model | None = None, fixed: Mapping[str, float] | None = None,
                 dt: float = FIT_DT, start: float = START_YEAR):
        if len(observations) == 0:
            raise ValueError("no observations to fit")
        self.model = model or table_model()
        self.free = list(dict.fromkeys(free))
        if not self.free:
            raise ValueError("no free parameters")
        for name in self.free:
            p = self.model.parameter_named(name)  # unknown names raise, with a suggestion
            if p.low is None or p.high is None or not p.high > p.low:
                raise ValueError(f"parameter {name!r} has no range [low, high] to fit within")
        self.fixed = dict(fixed or {})
        overlap = set(self.fixed) & set(self.free)
        if overlap:
            raise ValueError(f"parameters both free and fixed: {', '.join(sorted(overlap))}")
        self.dt = dt
        self.start = start
        self.low = np.array([self.model.parameters[n].low for n in self.free], dtype=float)
        self.high = np.array([self.model.parameters[n].high for n in self.free], dtype=float)
        self.log = (self.low > 0) & (self.high / np.where(self.low > 0, self.low, 1) >= 10)
        self.observations = observations.reset_index(drop=True)
        self.stop = float(self.observations["year"].max() + 1)
        self.times = np.round(np.arange(start, self.stop + 1e-9, SAVEPER), 10)
        self.comparison = Comparison(self.observations, self.times)
        self.sigma = self.comparison.sigma.copy()
        self.evaluations = 0
        self.members = 0
        self.on_evaluation: Callable[[int], None] | None = None

    # unit-interval transform ---------------------------------------------------
    def to_unit(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        lo, hi = self.low, self.high
        with np.errstate(all="ignore"):
            u = np.where(self.log, (np.log(np.maximum(v, 1e-300)) - np.log(np.where(self.log, lo, 1)))
                         / np.log(np.where(self.log, hi / np.where(self.log, lo, 1), math.e)),
                         (v - lo) / (hi - lo))
        return np.clip(u, 0.0, 1.0)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        lo, hi = self.low, self.high
        with np.errstate(all="ignore"):
            logv = np.exp(np.log(np.where(self.log, lo, 1)) + u * np.log(np.where(self.log, hi / np.where(self.log, lo, 1), 1)))
        v = np.where(self.log, logv, lo + u * (hi - lo))
        return np.clip(v, lo, hi)

    def default_values(self) -> np.ndarray:
        return np.array([self.model.parameters[n].value for n in self.free], dtype=float)

    # evaluation -----------------------------------------------------------------
    def outputs(self, values: np.ndarray, stop: float | None = None,
                variables: Sequence[str] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Run the ensemble of parameter rows ``values`` (N, k); return times and the
        requested outputs, each (N, T)."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        n = values.shape[0]
        columns = {name: values[:, j] for j, name in enumerate(self.free)}
        columns.update({name: np.full(n, float(v)) for name, v in self.fixed.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ds = self.model.run_ensemble(columns, self.start, stop or self.stop, method="rk4", dt=self.dt,
                                         saveper=SAVEPER, blowup=DEFAULT_BLOWUP, max_seconds=None)
        self.evaluations += 1
        self.members += n
        if self.on_evaluation is not None:
            self.on_evaluation(n)
        times = ds["time"].values
        return times, {v: ds[v].values for v in (variables or self.comparison.variables)}

    def residuals(self, values: np.ndarray) -> np.ndarray:
        """log10 residuals, shape (N, n_obs)."""
        times, outputs = self.outputs(values)
        if len(times) != len(self.times) or not np.allclose(times, self.times):
            raise RuntimeError("the ensemble's output times differ from the comparison grid")
        return self.comparison.residuals(outputs)

    def weighted(self, values: np.ndarray) -> np.ndarray:
        return self.residuals(values) / self.sigma

    def cost(self, values: np.ndarray) -> np.ndarray:
        return (self.weighted(values) ** 2).sum(axis=1)


# ---------------------------------------------------------------------------- results
@dataclass
class FitResult:
    """A calibration: fitted values, statistics, residuals and (with MCMC) intervals."""

    free: list[str]
    values: dict[str, float]
    defaults: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    observations: pd.DataFrame
    residuals: pd.DataFrame
    statistics: pd.DataFrame
    cost: float
    success: bool
    message: str
    evaluations: int
    until: int | None = None
    fixed: dict[str, float] = field(default_factory=dict)
    samples: np.ndarray | None = None          # (S, k) posterior samples, parameter values
    acceptance: float | None = None
    sigma_scale: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    fit_date: str = field(default_factory=lambda: date.today().isoformat())

    @property
    def intervals(self) -> pd.DataFrame:
        """Per parameter: fitted value, table default, bounds and the posterior
        median and 95% interval (NaN without MCMC)."""
        rows = []
        for j, name in enumerate(self.free):
            lo, hi = self.bounds[name]
            row = {"parameter": name, "value": self.values[name], "default": self.defaults[name],
                   "low": lo, "high": hi}
            if self.samples is not None:
                q = np.percentile(self.samples[:, j], [INTERVAL[0], 50, INTERVAL[1]])
                row.update(p025=q[0], median=q[1], p975=q[2])
            else:
                row.update(p025=np.nan, median=np.nan, p975=np.nan)
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def correlations(self) -> pd.DataFrame | None:
        """Posterior correlations (of log values for log-scaled parameters)."""
        if self.samples is None or len(self.samples) < 3:
            return None
        x = self.samples.copy()
        for j, name in enumerate(self.free):
            lo, hi = self.bounds[name]
            if lo > 0 and hi / lo >= 10:
                x[:, j] = np.log(x[:, j])
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
    def parameters(self) -> dict[str, float]:
        """Every override this fit implies: the fitted values and the fixed ones."""
        return {**self.fixed, **self.values}


def statistics(residuals: pd.DataFrame) -> pd.DataFrame:
    """Per series: points, RMS and mean (bias) of the log10 residuals, sigma, weight."""
    rows = []
    for name in SERIES:
        r = residuals.loc[residuals["series"] == name, "log10_error"].to_numpy()
        if len(r) == 0:
            continue
        s = SERIES[name]
        rows.append({"series": name, "points": len(r), "years": f"{residuals.loc[residuals['series'] == name, 'year'].min()}"
                     f"-{residuals.loc[residuals['series'] == name, 'year'].max()}",
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


# ---------------------------------------------------------------------------- least squares
def least_squares(problem: Problem, start: np.ndarray | None = None, max_nfev: int = 60,
                  step: float = 1e-3) -> optimize.OptimizeResult:
    """Weighted least squares in the unit space, with the Jacobian by forward
    differences from one ensemble of k + 1 members."""
    k = len(problem.free)
    u0 = problem.to_unit(problem.default_values() if start is None else start)
    cache: dict[bytes, np.ndarray] = {}

    def fun(u: np.ndarray) -> np.ndarray:
        key = np.asarray(u, dtype=float).tobytes()
        if key not in cache:
            cache[key] = problem.weighted(problem.from_unit(u))[0]
        return cache[key]

    def jac(u: np.ndarray) -> np.ndarray:
        steps = np.where(u + step <= 1.0, step, -step)
        members = np.vstack([u] + [u + np.eye(k)[j] * steps[j] for j in range(k)])
        w = problem.weighted(problem.from_unit(members))
        cache[np.asarray(u, dtype=float).tobytes()] = w[0]
        return ((w[1:] - w[0]) / steps[:, None]).T

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
    """The table defaults and the best Sobol points, by cost, as parameter values."""
    default = problem.default_values()
    if screen <= 0 or refine <= 1:
        return [default]
    from scipy.stats import qmc

    u = qmc.Sobol(len(problem.free), seed=seed).random(screen)
    candidates = np.vstack([problem.to_unit(default), u])
    cost = problem.cost(problem.from_unit(candidates))
    order = np.argsort(np.where(np.isfinite(cost), cost, np.inf))
    return [problem.from_unit(candidates[i]) for i in order[:refine]]


# ---------------------------------------------------------------------------- MCMC
def laplace_covariance(problem: Problem, u: np.ndarray, max_std: float = 0.25) -> np.ndarray:
    """Gauss-Newton posterior covariance at ``u`` (unit space) from one Jacobian
    ensemble, with every direction's standard deviation capped at ``max_std`` (a
    poorly identified direction is limited by the bounds, not by the data)."""
    k = len(u)
    step = 1e-3
    steps = np.where(u + step <= 1.0, step, -step)
    w = problem.weighted(problem.from_unit(np.vstack([u] + [u + np.eye(k)[j] * steps[j] for j in range(k)])))
    jac = ((w[1:] - w[0]) / steps[:, None]).T
    values, vectors = np.linalg.eigh(jac.T @ jac)
    variances = np.minimum(1.0 / np.maximum(values, 1e-12), max_std ** 2)
    return (vectors * variances) @ vectors.T


def sample(problem: Problem, u_best: np.ndarray, walkers: int | None = None, steps: int = 300,
           burn: int | None = None, thin: int = 1, seed: int = 0, progress: bool | str = False
           ) -> tuple[np.ndarray, float, float]:
    """Posterior samples (values) with emcee, every step one vectorised ensemble.

    The walkers start from the Gauss-Newton (Laplace) approximation of the posterior
    around the optimum, so that short chains already span poorly identified ridges.
    Returns the samples after burn-in, the mean acceptance fraction and the largest
    autocorrelation time (steps; NaN when the chain is too short to estimate it)."""
    import emcee

    k = len(problem.free)
    walkers = max(walkers or 4 * k, 2 * k + 2)
    walkers += walkers % 2
    burn = steps // 3 if burn is None else burn
    rng = np.random.default_rng(seed)
    cov = laplace_covariance(problem, u_best)
    p0 = np.clip(rng.multivariate_normal(u_best, cov, size=walkers, method="eigh"), 1e-6, 1 - 1e-6)

    def log_prob(u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(u)
        inside = np.all((u >= 0) & (u <= 1), axis=1)
        out = np.full(len(u), -np.inf)
        if inside.any():
            out[inside] = -0.5 * problem.cost(problem.from_unit(u[inside]))
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
        mcmc: bool = True, walkers: int | None = None, steps: int = 300, burn: int | None = None,
        seed: int = 0, max_nfev: int = 60, screen: int = 512, refine: int = 3, progress: bool = False,
        warn: bool = True) -> FitResult:
    """Fit ``free`` parameters (default :data:`DEFAULT_FREE`) to the ``observations``
    (those up to ``until`` only, when given), then sample the posterior with emcee.

    Starting points: the table defaults and the best of ``screen`` scrambled-Sobol
    points of the unit box (one ensemble); least squares runs from the ``refine``
    best of them and keeps the lowest cost.

    ``progress``: show progress bars (tqdm, on stderr) for the screening and least
    squares (model evaluations) and for the MCMC (steps).
    """
    free = list(free or DEFAULT_FREE)
    used = observations if until is None else observations[observations["year"] <= until]
    if len(used) == 0:
        raise ValueError(f"no observations up to {until}")
    problem = Problem(used, free, model=model, fixed=fixed, dt=dt)
    unconstrained = [n for n, norm in sensitivity(problem).items() if norm < 1e-9]
    if unconstrained:
        if warn:
            warnings.warn(f"not constrained by the data{'' if until is None else f' up to {until}'}: "
                          f"{', '.join(unconstrained)} (held at the table value)", CalibrationWarning, stacklevel=2)
        free = [n for n in free if n not in unconstrained]
        if not free:
            raise ValueError("none of the free parameters affects the observations")
        problem = Problem(used, free, model=model, fixed=fixed, dt=dt)
    from tqdm.auto import tqdm

    bar = tqdm(desc="least squares", unit=" runs", disable=not progress, leave=True)
    problem.on_evaluation = lambda n: bar.update(n)
    result = None
    try:
        for start in starting_points(problem, screen, refine, seed):
            trial = least_squares(problem, start=start, max_nfev=max_nfev)
            if result is None or trial.cost < result.cost:
                result = trial
    finally:
        problem.on_evaluation = None
        bar.close()
    u_best = result.x
    best = problem.from_unit(u_best)
    r = problem.residuals(best)[0]
    frame = residual_frame(problem.observations, r)
    stats = statistics(frame)
    defaults = dict(zip(free, problem.default_values().tolist()))
    bounds = {n: (float(lo), float(hi)) for n, lo, hi in zip(free, problem.low, problem.high)}
    values = dict(zip(free, best.tolist()))
    fit_result = FitResult(free, values, defaults, bounds, problem.observations, frame, stats,
                           cost=float(np.sum((r / problem.sigma) ** 2)), success=bool(result.success),
                           message=str(result.message), evaluations=problem.evaluations, until=until,
                           fixed=dict(fixed or {}),
                           settings={"dt": dt, "method": "rk4", "saveper": SAVEPER, "start": problem.start,
                                     "stop": problem.stop, "max_nfev": max_nfev, "screen": screen,
                                     "refine": refine, "mcmc": mcmc, "unconstrained": unconstrained})
    at_bound = [n for n, u in zip(free, u_best) if u < 1e-4 or u > 1 - 1e-4]
    fit_result.settings["at_bound"] = at_bound

    if mcmc:
        # inflate each series' sigma to its RMS at the optimum when the fit is worse
        scale = {}
        for row in stats.itertuples():
            scale[row.series] = max(1.0, row.rms_log10 / row.sigma_log10)
        problem.sigma = problem.comparison.sigma * problem.observations["series"].map(scale).to_numpy()
        samples, acceptance, tau = sample(problem, u_best, walkers=walkers, steps=steps, burn=burn, seed=seed,
                                     progress=progress)
        fit_result.samples = samples
        fit_result.acceptance = acceptance
        fit_result.sigma_scale = scale
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
    if not result.success:
        warnings.warn(f"least squares did not converge: {result.message}", CalibrationWarning, stacklevel=3)


# ---------------------------------------------------------------------------- predictions
def predict(result: FitResult, observations: pd.DataFrame, model: Model | None = None,
            dt: float | None = None, draws: int = 0, seed: int = 0) -> pd.DataFrame:
    """The fitted model on ``observations`` (any years): observed, predicted, log10 and
    % errors, and with ``draws`` posterior draws the 2.5-97.5% band."""
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
    """Per series, the model sampled by the series' rule for each year in ``years``:
    the fit and (with MCMC samples) the 2.5, 50 and 97.5 percentiles of ``draws``
    posterior draws."""
    base = model or table_model()
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
