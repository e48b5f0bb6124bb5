"""Global sensitivity analysis with SALib: Sobol indices and Morris elementary effects.

Which uncertain parameters drive a chosen output metric (:data:`.metrics.METRICS`,
e.g. ``automation_100_year``)? By default the indices are those of the
posterior-predictive distribution the ensemble uses: each parameter fitted to history
through its marginal in the calibration posterior, every other one through its prior
truncated to its history-plausible range (:func:`.matching.plausible_ranges`; a
parameter whose range shrinks to its value is held there). ``prior_only``: every
parameter through its prior (:meth:`Scenario.uncertainty`). SALib designs the
experiment on the unit hypercube and every coordinate goes through the parameter's
quantile function; inputs are taken as independent (Sobol and Morris assume it: the
posterior's and the copula's correlations are left out), and no design point is
rejected (the share that fails the history check is reported). All model runs of the
design go through one chunked ensemble (:func:`.ensemble.run_draws`), locally or on a
Dask cluster.

Sobol (Saltelli 2010 design, ``N (D + 2)`` runs without second-order terms): first-order
``S1`` and total ``ST`` indices with bootstrap 95% confidence intervals. Morris
(``N (D + 1)`` runs): ``mu_star`` (mean absolute elementary effect, with its interval)
and ``sigma`` (interactions and nonlinearity). The bootstrap is seeded with the design's
seed (same seed, same intervals). An index whose interval half-width exceeds the index
is flagged as unresolved; when an index that matters (>= 0.05 of the largest) is
unresolved, the result carries the base sample that would narrow every such interval to
half its index (intervals shrink as 1/sqrt(N)).

A milestone that a run never reaches has no year; for the analysis it counts as the
end of the run (``stop``), and a takeoff that never completes as the whole horizon:
the share of such censored runs is reported with the indices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .distributions import Distribution, uniform_to_draws
from .ensemble import DEFAULT_CHUNK, Settings, check_memory, run_draws
from .metrics import BY_KEY, METRIC_KEYS
from .scenario import Scenario, load_scenario

METHODS = ("sobol", "morris")
Marginals = Mapping[str, tuple[Distribution, float | None, float | None]]


BOOTSTRAP_RESAMPLES = 1000
MATTERS = 0.05     # an index counts when it is at least this share of the largest
TARGET_WIDTH = 0.5  # a resolved index: interval half-width at most half the index
UNKNOWN_FACTOR = 16.0  # no interval could be estimated: ask for 16 times the sample (4x narrower)


@dataclass
class SensitivityResult:
    """Ranked indices (``table``, with an ``unresolved`` column: the interval is wider
    than an index) of one output metric, and how they were obtained."""

    method: str
    output: str
    table: pd.DataFrame
    runs: int
    censored_share: float
    n: int = 0                        # the base sample (Sobol) or trajectories (Morris)
    suggested_n: int | None = None    # None: converged
    conditioning: str = ""
    history_failing_share: float = float("nan")
    held: tuple[str, ...] = ()        # parameters held at their value (no plausible range)
    output_varies: bool = True        # False: every run gave the same value (no index means anything)
    start_inconsistent_share: float = 0.0  # points whose parameters contradict the start (they stop at once)

    @property
    def converged(self) -> bool:
        return self.suggested_n is None

    def warning(self) -> str | None:
        """One line when the indices that matter have not converged (or the output does
        not vary at all), else None."""
        if not self.output_varies:
            return (f"warning: {self.output} is the same in all {self.runs} runs ({self.censored_share:.0%} never "
                    "reach it before the end): every index is zero and says nothing; choose a later --until or "
                    "another --output")
        if self.converged:
            return None
        what = "base sample" if self.method == "sobol" else "trajectories"
        return (f"warning: not converged: {int(self.table['unresolved'].sum())} of {len(self.table)} parameters "
                f"have an index whose interval is wider than the index; run -n {self.suggested_n} ({what}) to "
                "narrow the intervals of the indices that matter to half their value")

    def formatted(self) -> pd.DataFrame:
        """Each index with the low and high ends of its 95% interval, and ``wide``: how
        many of the row's indices have an interval wider than the index (not resolved)."""
        columns = (("S1", "S1_conf"), ("ST", "ST_conf")) if self.method == "sobol" else (("mu_star", "mu_star_conf"),)
        out = pd.DataFrame(index=self.table.index)
        wide = np.zeros(len(self.table), dtype=int)
        for value, conf in columns:
            v, c = self.table[value], self.table[conf]
            out[value], out[f"{value}_low"], out[f"{value}_high"] = v, v - c, v + c
            wide += (~(c <= v.abs())).to_numpy(dtype=int)
        if self.method == "morris":
            out["sigma"] = self.table["sigma"]
        out["wide"] = wide
        return out


def _problem(names: Sequence[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sobol_analysis(evaluate: Callable[[dict[str, np.ndarray]], np.ndarray], marginals: Marginals, n: int,
                   seed: int = 0) -> tuple[pd.DataFrame, int]:
    """Sobol S1 and ST (with 95% intervals) of ``evaluate`` over ``marginals``;
    ``n`` is the base sample (rounded up to a power of two). Rows ranked by ST."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as design

    names = sorted(marginals)
    n = 1 << max(0, int(np.ceil(np.log2(max(n, 1)))))
    problem = _problem(names)
    u = design.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    y = np.asarray(evaluate(uniform_to_draws(u, names, marginals)), dtype=float)
    # SALib's Sobol analysis seeds its bootstrap only for a truthy seed: 0 (the CLI's
    # default) would leave the intervals random, so it gets seed + 1
    si = analyze.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed + 1,
                         num_resamples=BOOTSTRAP_RESAMPLES)
    table = pd.DataFrame({"S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]},
                         index=pd.Index(names, name="parameter"))
    return table.sort_values("ST", ascending=False), len(y)


def morris_analysis(evaluate: Callable[[dict[str, np.ndarray]], np.ndarray], marginals: Marginals, n: int,
                    seed: int = 0, num_levels: int = 4) -> tuple[pd.DataFrame, int]:
    """Morris mu*, its 95% interval, mu and sigma of ``evaluate`` over ``marginals``
    (``n`` trajectories). Rows ranked by mu*."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as design

    names = sorted(marginals)
    problem = _problem(names)
    u = design.sample(problem, n, num_levels=num_levels, seed=seed)
    y = np.asarray(evaluate(uniform_to_draws(u, names, marginals)), dtype=float)
    si = analyze.analyze(problem, u, y, conf_level=0.95, num_levels=num_levels, seed=seed,
                         num_resamples=BOOTSTRAP_RESAMPLES)
    table = pd.DataFrame({"mu_star": si["mu_star"], "mu_star_conf": si["mu_star_conf"], "mu": si["mu"],
                          "sigma": si["sigma"]}, index=pd.Index(names, name="parameter"))
    return table.sort_values("mu_star", ascending=False), len(y)


def convergence(table: pd.DataFrame, method: str, n: int) -> tuple[np.ndarray, int | None]:
    """Which rows are unresolved (an interval wider than its index), and the sample
    size that would make every index that matters resolved to half its value (None:
    already so). Sobol sizes are powers of two."""
    pairs = (("S1", "S1_conf"), ("ST", "ST_conf")) if method == "sobol" else (("mu_star", "mu_star_conf"),)
    unresolved = np.zeros(len(table), dtype=bool)
    factor = 1.0
    for value, conf in pairs:
        v, c = table[value].to_numpy(dtype=float), table[conf].to_numpy(dtype=float)
        unresolved |= ~(c <= np.abs(v))
        if not (np.isfinite(v).all() and np.isfinite(c).all()):
            factor = max(factor, UNKNOWN_FACTOR)  # too few runs to estimate an interval at all
            continue
        top = np.abs(v).max() if len(v) else 0.0
        matters = np.abs(v) >= MATTERS * top
        if top > 0:
            factor = max(factor, float(np.max((c[matters] / (TARGET_WIDTH * np.abs(v[matters]))) ** 2)))
    if factor <= 1.0:
        return unresolved, None
    suggested = int(np.ceil(n * factor))
    if method == "sobol":
        suggested = 1 << int(np.ceil(np.log2(suggested)))
    return unresolved, suggested


def censor(key: str, values: np.ndarray, settings: Settings) -> np.ndarray:
    """A metric with "not reached" (NaN) replaced by the end of the run (years) or the
    whole horizon (durations)."""
    unit = BY_KEY[key].unit
    fill = settings.stop if unit == "year" else settings.stop - settings.start
    return np.where(np.isnan(values), fill, values)


def sensitivity(scenario: str | Path | Scenario = "baseline", method: str = "sobol", n: int = 64,
                output: str = "automation_100_year", seed: int = 0, parameters: Sequence[str] | None = None,
                settings: Settings = Settings(), *, prior_only: bool = False, chunk_size: int = DEFAULT_CHUNK,
                scheduler: str | None = None, workers: int | None = None, progress: bool = False
                ) -> SensitivityResult:
    """Sobol or Morris indices of ``output`` for ``scenario``'s uncertain parameters (or
    only ``parameters``; the others stay at the scenario's values), on the
    posterior-predictive distribution (or, ``prior_only``, the priors)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose sobol or morris")
    if output not in METRIC_KEYS:
        from ..stocks_flows.errors import did_you_mean
        raise ValueError(f"unknown output metric {output!r}{did_you_mean(output, METRIC_KEYS)}; "
                         f"choose one of {', '.join(METRIC_KEYS)}")
    if n < 2:
        raise ValueError(f"-n must be at least 2, not {n}")
    scenario = load_scenario(scenario)
    marginals = scenario.uncertainty()
    if parameters:
        unknown = [p for p in parameters if p not in marginals]
        if unknown:
            from ..stocks_flows.errors import did_you_mean
            raise ValueError(f"{unknown[0]!r} is not an uncertain parameter of scenario {scenario.name!r}"
                             f"{did_you_mean(unknown[0], marginals)}")
    marginals, conditioning_text, held = _marginals(scenario, marginals, prior_only, settings)
    if parameters:
        marginals = {p: marginals[p] for p in parameters if p in marginals}
        if not marginals:
            raise ValueError(f"{', '.join(parameters)}: held at their value by the history match (no plausible "
                             "range); use --prior-only to vary them over their priors")
    per_sample = len(marginals) + 2
    runs = (2 ** int(np.ceil(np.log2(n))) if method == "sobol" else n) * per_sample
    check_memory(runs, len(marginals), settings, asked=f"-n {n} ({runs:,} {method} runs of {len(marginals)} "
                 "parameters)", runs_per_unit=per_sample)
    censored: list[float] = []
    failing: list[float] = []
    spread: list[float] = []
    inconsistent: list[float] = []

    def evaluate(draws: dict[str, np.ndarray]) -> np.ndarray:
        from ..model import DEFAULT_BLOWUP
        from .ensemble import scenario_model
        from .matching import start_inconsistencies

        count = len(next(iter(draws.values())))
        culprits = start_inconsistencies(scenario_model(scenario), draws, settings.start, DEFAULT_BLOWUP)
        inconsistent.append(float((culprits != "").mean()))
        out = run_draws(scenario, draws, count, settings, chunk_size=chunk_size, scheduler=scheduler,
                        workers=workers, progress=progress)
        values = out["metrics"][output]
        censored.append(float(np.isnan(values).mean()))
        failing.append(float((~out["history"]["plausible"]).mean()))
        y = censor(output, values, settings)
        spread.append(float(np.ptp(y)) if len(y) else 0.0)
        return y

    analysis = sobol_analysis if method == "sobol" else morris_analysis
    table, runs = analysis(evaluate, marginals, n, seed)
    base = 1 << max(0, int(np.ceil(np.log2(max(n, 1))))) if method == "sobol" else n
    unresolved, suggested = convergence(table, method, base)
    table["unresolved"] = unresolved
    return SensitivityResult(method, output, table, runs, censored[0] if censored else 0.0, base, suggested,
                             conditioning_text, failing[0] if failing else float("nan"),
                             tuple(h for h in held if not parameters or h in parameters),
                             output_varies=bool(spread and spread[0] > 0),
                             start_inconsistent_share=inconsistent[0] if inconsistent else 0.0)


def _marginals(scenario: Scenario, marginals: Marginals, prior_only: bool, settings: Settings
               ) -> tuple[dict, str, tuple[str, ...]]:
    """The inputs of the design: the priors, or the posterior-predictive marginals (the
    calibration posterior's for fitted parameters, history-plausible ranges of the
    priors for the others); what they are; which parameters are held at their value."""
    from .distributions import Empirical, Narrowed
    from .ensemble import conditioning

    if prior_only:
        return dict(marginals), "prior only: every parameter over its prior range (not conditioned on history)", ()
    cond, posterior = conditioning(scenario, marginals, False, settings)
    out, held = {}, []
    for name, (d, low, high) in marginals.items():
        if name in cond.fitted:
            out[name] = (Empirical.of(posterior[name], "the calibration posterior"), low, high)
            continue
        lo, hi = cond.ranges.get(name, (0.0, 1.0))
        if hi <= lo:
            held.append(name)
            continue
        out[name] = (d if (lo, hi) == (0.0, 1.0) else Narrowed(d, lo, hi), low, high)
    text = (f"posterior-predictive marginals: {len(cond.fitted)} fitted parameters over their calibration "
            f"posterior (each marginal; independent, as Sobol and Morris assume), the others over their priors "
            f"within their history-plausible ranges ({len(held)} held at their value)")
    return out, text, tuple(sorted(held))
