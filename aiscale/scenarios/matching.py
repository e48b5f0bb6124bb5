"""History matching: is an ensemble member consistent with 2012-2025 history?

Every member's outputs are compared with the calibration's observations
(:mod:`aiscale.calibration.series`: the same series, sampling rules and scatter
``sigma``, in orders of magnitude, as ``aiscale calibrate``). A member is *plausible*
when, for every series, the root-mean-square of its residuals ``log10(model) -
log10(observed)`` is within ``TOLERANCE_SIGMAS`` sigmas (Pukelsheim's three-sigma rule,
as history matching uses it: Vernon, Goldstein & Bower 2010, "Galaxy formation: a
Bayesian uncertainty analysis", Bayesian Analysis 5(4)). The series' mean rather than
each point, because a smooth model cannot follow the steps of a running record (the
calibrated run itself has a training-compute point at 3 sigma). A member that blows up,
or whose state stops being finite, before the end of the last observed year is
implausible too. The reasons are counted per series, so the output says how many draws
were rejected and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

TOLERANCE_SIGMAS = 3.0
LAST_YEAR = 2025
BLOWUP_REASON = "blew up before 2026"


@lru_cache(maxsize=1)
def observations() -> pd.DataFrame:
    """The calibration's yearly observations up to :data:`LAST_YEAR` (shipped history)."""
    from ..calibration.series import load_history

    obs = load_history()
    return obs[obs["year"] <= LAST_YEAR].reset_index(drop=True)


@dataclass(frozen=True)
class HistoryCheck:
    """The observations a run from ``start`` to ``stop`` covers, for a model with
    outputs ``names``; :meth:`check` tests ensemble members against them."""

    observations: pd.DataFrame
    times: np.ndarray
    tolerance: float = TOLERANCE_SIGMAS

    @classmethod
    def make(cls, names: Iterable[str], times: np.ndarray, tolerance: float = TOLERANCE_SIGMAS) -> HistoryCheck:
        return _history_check(tuple(names), tuple(np.asarray(times, dtype=float).tolist()), float(tolerance))

    @property
    def variables(self) -> list[str]:
        from ..calibration.series import SERIES

        return sorted({SERIES[s].variable for s in self.observations["series"]})

    @property
    def series(self) -> list[str]:
        return list(dict.fromkeys(self.observations["series"]))

    @property
    def end(self) -> float:
        """The end of the last observed year."""
        return float(self.observations["year"].max() + 1) if len(self.observations) else -np.inf

    def check(self, outputs: Mapping[str, np.ndarray], stop_time: np.ndarray) -> dict[str, np.ndarray]:
        """Per member: ``plausible`` (N,), ``max_sigmas`` (N,: the largest series'
        root-mean-square residual, in sigmas), ``outside`` (N, n_series: which series is
        off by more than the tolerance), ``stopped`` (N,: blew up before :attr:`end`;
        such a member counts as outside no series, its reason is the blow-up) and
        ``model_log10`` (N, n_observations: the model's value for each observation)."""
        n = len(stop_time)
        stopped = stop_time < self.end - 1e-9
        if not len(self.observations):
            return {"plausible": ~stopped, "max_sigmas": np.zeros(n), "outside": np.zeros((n, 0), bool),
                    "stopped": stopped, "model_log10": np.zeros((n, 0))}
        with np.errstate(all="ignore"):
            log_model = self.predict_log10(outputs)
            residuals = log_model - np.log10(self.observations["value"].to_numpy(dtype=float))
            z = residuals / self.sigma
            names = self.observations["series"].to_numpy()
            rms = np.stack([np.sqrt(np.mean(z[:, names == s] ** 2, axis=1)) for s in self.series], axis=1)
        rms = np.where(np.isfinite(rms), rms, np.inf)
        outside = rms > self.tolerance
        outside[stopped] = False
        worst = np.where(stopped, np.inf, rms.max(axis=1))
        return {"plausible": ~stopped & ~outside.any(axis=1), "max_sigmas": worst, "outside": outside,
                "stopped": stopped, "model_log10": log_model}

    @property
    def sigma(self) -> np.ndarray:
        from ..calibration.series import SERIES

        return np.array([SERIES[s].sigma for s in self.observations["series"]])

    def predict_log10(self, outputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """log10 of each member's value for each observation (N, n_observations), sampled
        by the series' rule; -inf/NaN where the model value is not positive. Each
        member's arithmetic is its own (no matrix product), so the result does not
        depend on how members are chunked."""
        first = np.atleast_2d(outputs[self.variables[0]])
        out = np.empty((first.shape[0], len(self.observations)))
        for k, (variable, nz, weights) in enumerate(self._samplings):
            values = np.atleast_2d(outputs[variable])[:, nz]
            out[:, k] = np.log10(np.sum(values * weights, axis=1))
        return out

    @cached_property
    def _samplings(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """For each observation: the model output, the saved times its rule samples, and
        their weights (computed once: every chunk of an ensemble reads them)."""
        from ..calibration.series import SERIES, sampling_weights

        out = []
        for row in self.observations.itertuples():
            s = SERIES[row.series]
            w = sampling_weights(self.times, int(row.year), s.sampling)
            nz = np.flatnonzero(w)
            out.append((s.variable, nz, w[nz]))
        return out

    def describe(self) -> str:
        from ..calibration.series import SERIES

        if not len(self.observations):
            return "no historical observation falls within the run"
        years = f"{int(self.observations['year'].min())}-{int(self.observations['year'].max())}"
        return (f"{len(self.observations)} observations of {len(self.series)} series, {years} "
                f"({', '.join(SERIES[s].title for s in self.series)}); every series' root-mean-square residual "
                f"within {self.tolerance:g} sigma (sigma: its scatter in the calibration, 0.15-0.4 orders of "
                "magnitude)")


@lru_cache(maxsize=16)
def _history_check(names: tuple[str, ...], times: tuple[float, ...], tolerance: float) -> HistoryCheck:
    """:meth:`HistoryCheck.make`, once per process for the same arguments (every chunk of
    an ensemble asks for the same check; the check is immutable)."""
    from ..calibration.series import SERIES, model_series

    obs, _ = model_series(observations(), names)
    end = times[-1]
    covered = [(row.year + (0.5 if SERIES[row.series].sampling == "mid-year" else 1.0)) <= end + 1e-9
               for row in obs.itertuples()]
    saved = np.array(times)
    saved.flags.writeable = False  # (shared by every caller)
    return HistoryCheck(obs[covered].reset_index(drop=True), saved, tolerance)


START_REASON = "inconsistent with the start"


START_CHECK_BLOCK = 10_000  # draws checked at a time: every variable of a block is held at once


def start_inconsistencies(model, draws: Mapping[str, np.ndarray], start: float, blowup) -> np.ndarray:
    """(N,) for each draw, the stock that makes its state at ``start`` one the model
    cannot start from, or "" when it can. A draw is inconsistent with the start when
    the ``blowup`` watchdog would stop it at once: a stock declared positive grows
    faster than the watchdog's rate from the first instant (e.g. capex far below what
    investors want of the draw's revenue: it jumps by 30x within months), a value passes
    its bound, or a value is not finite. That is not a blow-up (nothing has happened
    yet) but parameters that contradict the start's own data; such draws are not run.
    Draws are checked in blocks, so the memory held does not grow with the ensemble."""
    n = len(next(iter(draws.values()))) if draws else 1
    if n <= START_CHECK_BLOCK:
        return _start_inconsistencies(model, draws, start, blowup)
    return np.concatenate([
        _start_inconsistencies(model, {k: np.asarray(v)[i:i + START_CHECK_BLOCK] for k, v in draws.items()},
                               start, blowup)
        for i in range(0, n, START_CHECK_BLOCK)])


def _start_inconsistencies(model, draws: Mapping[str, np.ndarray], start: float, blowup) -> np.ndarray:
    from ..stocks_flows.simulate import prepare

    plan = model.plan
    n = len(next(iter(draws.values()))) if draws else 1
    params, n = prepare(model, dict(draws), n)
    with np.errstate(all="ignore"):
        y0, frozen = plan.initial_state(params, start, n)
        ns = plan.evaluate(start, y0, params, frozen)
        dy = np.broadcast_to(plan.derivatives(ns, y0), y0.shape)
        g = blowup.indicator(ns, y0, dy, plan.positive)
        bad = np.flatnonzero(~(g < 0))
        out = np.full(n, "", dtype=object)
        if not len(bad):
            return out
        y, d = y0[:, bad], dy[:, bad]
        broken = ~np.isfinite(y) | ~np.isfinite(d)
        size = np.log(np.abs(y) + 1e-300) - np.log(blowup.max_value)
        rate = np.where(plan.positive[:, None], d / np.maximum(np.abs(y), 1e-300), -np.inf)
        score = np.where(broken, np.inf, np.maximum(size, np.log(np.maximum(rate, 1e-300))
                                                    - np.log(blowup.max_growth_rate or np.inf)))
    names = np.array(plan.state_names, dtype=object)
    out[bad] = names[np.argmax(score, axis=0)]
    return out


def start_summary(culprits: np.ndarray) -> dict[str, int]:
    """How many draws each stock made inconsistent with the start."""
    names, counts = np.unique(culprits[culprits != ""].astype(str), return_counts=True)
    return {str(k): int(v) for k, v in zip(names, counts)}


def rejection_reasons(outside: np.ndarray, stopped: np.ndarray, series: list[str]) -> dict[str, int]:
    """How many rejected members each reason applies to (a member may have several)."""
    out = {BLOWUP_REASON: int(stopped.sum())}
    for j, s in enumerate(series):
        out[f"{s} outside tolerance"] = int(outside[:, j].sum())
    return {k: v for k, v in out.items() if v}


RANGE_SIGMAS = 0.5    # one parameter alone may move an observation by this much (in sigmas)
RANGE_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 1.0)
RANGE_BISECTIONS = 6  # then each edge is found to within 1/64 of its grid interval


def _quantile_of(marginal: tuple, value: float) -> float:
    """The quantile of ``value`` in a marginal (distribution, low, high): where its
    quantile function comes closest (the median of a three-point form is its central
    value; a value on a bound of the range is quantile 0 or 1)."""
    d, low, high = marginal
    u = np.linspace(0.0, 1.0, 2001)
    x = d.ppf(u, low, high)
    with np.errstate(all="ignore"):
        gap = np.abs(np.log(x / value)) if value > 0 and (x > 0).all() else np.abs(x - value)
    return float(u[int(np.argmin(gap))])


def plausible_ranges(model, marginals: Mapping[str, tuple], names: Iterable[str], start: float, saveper: float,
                     rtol: float, budget: float = RANGE_SIGMAS) -> dict[str, tuple[float, float]]:
    """A first wave of history matching, one parameter at a time: for each of ``names``,
    the quantile range ``(u_low, u_high)`` of its marginal, around its value, within
    which it alone (the others at their values) moves no observation by more than
    ``budget`` sigmas and does not stop the run before the end of history: scanned on
    :data:`RANGE_GRID`, each edge then bisected. Drawing from the marginals truncated to
    these ranges makes joint draws that match history common enough to find by
    rejection (the second wave, :meth:`HistoryCheck.check`)."""
    from ..stocks_flows.integrate import save_times

    names = sorted(names)
    obs_end = float(observations()["year"].max() + 1)
    times = save_times(start, start + np.ceil((obs_end - start) / saveper) * saveper, saveper)
    check = HistoryCheck.make(model.plan.dynamic_names, times)
    if not names or not len(check.observations):
        return {name: (0.0, 1.0) for name in names}
    base = {name: model.parameters[name].value for name in marginals}

    def acceptable(points: list[tuple[str, float]]) -> np.ndarray:
        """Whether each (parameter, quantile) alone keeps history within the budget."""
        columns = {name: np.full(len(points) + 1, value) for name, value in base.items()}
        for k, (name, u) in enumerate(points):
            d, low, high = marginals[name]
            columns[name][k] = d.ppf(np.array([u]), low, high)[0]
        from ..model import DEFAULT_BLOWUP
        from ..stocks_flows.ensemble import run_adaptive

        r = run_adaptive(model, columns, start, float(times[-1]), saveper=saveper, rtol=rtol,
                         blowup=DEFAULT_BLOWUP, outputs=check.variables)
        with np.errstate(all="ignore"):
            z = check.predict_log10(r["values"]) / check.sigma
            moved = np.abs(z[:-1] - z[-1]).max(axis=1)
        return np.isfinite(moved) & (moved <= budget) & (r["stop_time"][:-1] >= check.end - 1e-9)

    grid = list(RANGE_GRID)
    ok = acceptable([(name, u) for name in names for u in grid]).reshape(len(names), len(grid))
    # per (name, side): the last acceptable quantile outward from the parameter's own value
    # and the first one that is not (None: none fails)
    edges: dict[tuple[str, int], list[float | None]] = {}
    for i, name in enumerate(names):
        centre = _quantile_of(marginals[name], base[name])
        below = [j for j, u in enumerate(grid) if u < centre][::-1]
        above = [j for j, u in enumerate(grid) if u > centre]
        for side, order in ((0, below), (1, above)):
            good, bad = centre, None
            for j in order:
                if not ok[i, j]:
                    bad = grid[j]
                    break
                good = grid[j]
            edges[(name, side)] = [good, bad]
    for _ in range(RANGE_BISECTIONS):
        open_ = [key for key, (good, bad) in edges.items() if bad is not None]
        if not open_:
            break
        mids = [(key[0], (edges[key][0] + edges[key][1]) / 2) for key in open_]
        for key, (_, mid), fine in zip(open_, mids, acceptable(mids)):
            edges[key][0 if fine else 1] = mid
    return {name: (float(edges[(name, 0)][0]), float(edges[(name, 1)][0])) for name in names}
