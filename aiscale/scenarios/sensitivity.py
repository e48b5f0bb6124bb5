"""Global sensitivity analysis with SALib: Sobol indices and Morris elementary effects.

Which uncertain parameters drive a chosen output metric (:data:`.metrics.METRICS`,
e.g. ``automation_100_year``)? Each parameter is sampled through its Monte Carlo
marginal (:meth:`Scenario.uncertainty`): SALib designs the experiment on the unit
hypercube and every coordinate goes through the parameter's quantile function, so the
indices are for the same distributions the ensemble uses, taken as independent (Sobol
and Morris assume independent inputs; the copula's correlations are left out). All
model runs of the design go through one chunked, vectorised ensemble
(:func:`.ensemble.run_draws`), locally or on a Dask cluster.

Sobol (Saltelli 2010 design, ``N (D + 2)`` runs without second-order terms): first-order
``S1`` and total ``ST`` indices with bootstrap 95% confidence intervals. Morris
(``N (D + 1)`` runs): ``mu_star`` (mean absolute elementary effect, with its interval)
and ``sigma`` (interactions and nonlinearity).

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


@dataclass
class SensitivityResult:
    """Ranked indices (``table``) of one output metric, and how they were obtained."""

    method: str
    output: str
    table: pd.DataFrame
    runs: int
    censored_share: float


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
    si = analyze.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
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
    si = analyze.analyze(problem, u, y, conf_level=0.95, num_levels=num_levels, seed=seed)
    table = pd.DataFrame({"mu_star": si["mu_star"], "mu_star_conf": si["mu_star_conf"], "mu": si["mu"],
                          "sigma": si["sigma"]}, index=pd.Index(names, name="parameter"))
    return table.sort_values("mu_star", ascending=False), len(y)


def censor(key: str, values: np.ndarray, settings: Settings) -> np.ndarray:
    """A metric with "not reached" (NaN) replaced by the end of the run (years) or the
    whole horizon (durations)."""
    unit = BY_KEY[key].unit
    fill = settings.stop if unit == "year" else settings.stop - settings.start
    return np.where(np.isnan(values), fill, values)


def sensitivity(scenario: str | Path | Scenario = "baseline", method: str = "sobol", n: int = 64,
                output: str = "automation_100_year", seed: int = 0, parameters: Sequence[str] | None = None,
                settings: Settings = Settings(), *, chunk_size: int = DEFAULT_CHUNK, scheduler: str | None = None,
                workers: int | None = None, progress: bool = False) -> SensitivityResult:
    """Sobol or Morris indices of ``output`` for ``scenario``'s uncertain parameters (or
    only ``parameters``; the others stay at the scenario's values)."""
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
        marginals = {p: marginals[p] for p in parameters}
    per_sample = len(marginals) + 2
    runs = (2 ** int(np.ceil(np.log2(n))) if method == "sobol" else n) * per_sample
    check_memory(runs, len(marginals), settings, asked=f"-n {n} ({runs:,} {method} runs of {len(marginals)} "
                 "parameters)", runs_per_unit=per_sample)
    censored: list[float] = []

    def evaluate(draws: dict[str, np.ndarray]) -> np.ndarray:
        count = len(next(iter(draws.values())))
        out = run_draws(scenario, draws, count, settings, chunk_size=chunk_size, scheduler=scheduler,
                        workers=workers, progress=progress)
        values = out["metrics"][output]
        censored.append(float(np.isnan(values).mean()))
        return censor(output, values, settings)

    analysis = sobol_analysis if method == "sobol" else morris_analysis
    table, runs = analysis(evaluate, marginals, n, seed)
    return SensitivityResult(method, output, table, runs, censored[0] if censored else 0.0)
