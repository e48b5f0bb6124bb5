"""Monte Carlo ensembles of a scenario, chunked and run on Dask.

:func:`monte_carlo` gives ``n`` members of a scenario's posterior-predictive
distribution (:class:`Conditioning`): the parameters fitted to history drawn jointly from
the calibration posterior, the others from their marginals (:meth:`Scenario.uncertainty`,
through the copula of :func:`.distributions.sample`) narrowed to their history-plausible
ranges (:func:`.matching.plausible_ranges`), and every member checked against 2012-2025
history (:class:`.matching.HistoryCheck`); draws that fail are replaced by new seeded
draws, round after round, until ``n`` match (``prior_only``: every parameter over its
prior, nothing rejected; only draws the model cannot start from are replaced, each
chunk checking its own). The draws are split into chunks of ``chunk_size`` members;
each member is integrated on its own adaptive step (``Settings.method = "rk45"``:
Dormand-Prince 5(4) with relative tolerance ``rtol``, in compiled code,
:func:`aiscale.stocks_flows.ensemble.run_adaptive`), or with fixed RK4 steps
(``"rk4"``, the old default, faster and less accurate). Every member's arithmetic is
its own, so results are identical whatever the chunking. Each chunk returns its
members' metrics (:mod:`.metrics`, from quarterly output), stop and blow-up times, a
few yearly series and its history check; chunks are small and are collected as soon as
they finish.

Where chunks run (:mod:`.execution`): by default on Dask's embedded local scheduler, in worker processes
forked from this one (one per core; they start at once, with the model already built:
threads would not help, the per-equation Python overhead holds the GIL); on Linux they
read their draws from, and write their results into, shared memory of this process
(:class:`.execution.SharedArrays`), so that this process neither pickles the draws nor
unpickles and copies the results, and has nothing to gather when the last chunk is in; with
``scheduler="tcp://HOST:PORT"`` on a Dask distributed cluster, whose workers need
aiscale installed (they rebuild the model from the scenario, which is plain data). A
chunk that fails is retried (``retries`` times) without touching the others; if it
still fails, :class:`EnsembleError` says which runs, and carries the finished chunks.

The result is an ``xarray.Dataset`` (assembled by :mod:`.dataset`): the draws and every metric per run, stop and
blow-up times, yearly series (run, time) of the largest run, effective compute,
automation, GWP growth, research speed-up, AI spending and the binding constraint, each
member's value for every historical observation and its history check, the
observations, and summaries (quantiles of each series over time, quantiles and
reached-shares of each metric, the share of runs each constraint binds over time); its
attributes say what the distribution is conditioned on and how many draws were
rejected, and why. A member that blows up stops there and keeps its blow-up time; its
series stay finite. A metric never reached is NaN per run, and +inf in the metric
quantiles.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..stocks_flows import Model
from ..timespan import END_YEAR, START_YEAR
from .distributions import sample
from .execution import Chunk, Columns, EnsembleError, SharedArrays, execute  # noqa: F401 (EnsembleError: part of this module's API)
from .gather import Gathered, into_shared, shared_memory, take  # noqa: F401 (take: part of this module's API)
from .dataset import assemble
from .metrics import CAPPED_RUN, INPUTS, METRICS, binding_index, compute_metrics
from .scenario import Scenario, base_model, load_scenario

SERIES = ("largest_training_run_flop", "effective_compute_flop", "automation_fraction",
          "gwp_growth_rate_per_year", "research_speedup", "ai_spending_usd_per_year")
# members per chunk: a chunk's fixed cost is about 10 ms against 0.15-0.6 s of work, and
# small chunks keep every worker busy to the end (10,000 posterior-predictive members:
# 9.5-9.7 s in chunks of 200, 10.0-10.4 s in chunks of 192 or 256). Fixed-step chunks are
# rounded up to a multiple of the block the kernel computes together (fixed_step_chunk).
DEFAULT_CHUNK = 200


def fixed_step_chunk(chunk_size: int) -> int:
    """``chunk_size`` rounded up to a whole number of the fixed-step loops' blocks
    (.stocks_flows.blocked.BLOCK, 64 members computed together, a partial block padded)."""
    from ..stocks_flows.blocked import BLOCK

    return -(-chunk_size // BLOCK) * BLOCK
# The relative tolerance of each member's adaptive step: milestone years within 0.05 years
# of an adaptive single run (rtol 1e-6) for 99% of members (benchmarks/bench_ensemble.py).
# Measured over 1,000 members (seeds 3 and 7): 5e-5 99.6% and 99.9%, 3e-5 99.9% and 99.8%,
# 1e-5 99.8% (seed 7), 1e-4 99.4% (seed 3); the misses are milestones that land in another
# quarter (0.25 years), whatever the tolerance. 5e-5 takes a quarter fewer evaluations than 1e-5.
ADAPTIVE_RTOL = 5e-5


@dataclass(frozen=True)
class Settings:
    """How each member is integrated and what is kept: ``method="rk45"`` (default)
    integrates every member on its own adaptive step (Dormand-Prince 5(4), relative
    tolerance ``rtol``, in compiled code), so that its milestone years are those of an
    adaptive single run; ``"rk4"`` or ``"euler"`` take fixed steps of ``dt`` (faster,
    less accurate: the old default)."""

    start: float = START_YEAR
    stop: float = END_YEAR
    method: str = "rk45"
    dt: float = 0.25
    saveper: float = 0.25      # resolution of the output the metrics read
    series_step: float = 1.0   # resolution of the series kept in the dataset
    rtol: float = ADAPTIVE_RTOL
    # rk45: a member that fails the history check is integrated only to the end of history
    # (its results are NaN), the others go on from there, step for step as in one pass
    match_history: bool = False
    # draws the model cannot start from (:func:`.matching.start_inconsistencies`) are not
    # run: a chunk checks its own draws and returns results of the others only
    check_start: bool = False

    def __post_init__(self) -> None:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop:g}) must be after start ({self.start:g})")
        if self.method not in ("rk45", "rk4", "euler"):
            raise ValueError(f"unknown ensemble method {self.method!r}; choose rk45, rk4 or euler")
        if not (np.isfinite(self.rtol) and 0 < self.rtol < 1):
            raise ValueError(f"rtol must be a number between 0 and 1, not {self.rtol!r}")
        ratio = self.series_step / self.saveper
        if abs(ratio - round(ratio)) > 1e-9 or ratio < 1:
            raise ValueError(f"series_step ({self.series_step:g}) must be a whole multiple of saveper "
                             f"({self.saveper:g})")

    def describe(self) -> str:
        if self.method == "rk45":
            return f"adaptive RK45 per member, rtol = {self.rtol:g}"
        return f"{self.method.upper()} dt = {self.dt:g}"


# ---------------------------------------------------------------------- one chunk
@dataclass(frozen=True, eq=False)
class _ModelKey:
    """A scenario as a cache key: two are the same key when they give the same model."""

    scenario: Scenario

    def __hash__(self) -> int:
        return hash(self.scenario.fingerprint)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ModelKey) and other.scenario.fingerprint == self.scenario.fingerprint


@lru_cache(maxsize=8)
def _built(key: _ModelKey) -> Model:
    return key.scenario.apply(base_model())


def scenario_model(scenario: Scenario) -> Model:
    """The default model with ``scenario`` applied, built once per process (forked
    workers inherit it from the parent)."""
    return _built(_ModelKey(scenario))


def run_chunk(scenario: Scenario, chunk: Chunk, settings: Settings) -> dict[str, Any]:
    """Integrate one chunk; return its metrics, stop and blow-up times, series and its
    members' history check."""
    from ..model import DEFAULT_BLOWUP
    from .matching import HistoryCheck

    model = scenario_model(scenario)
    draws = dict(chunk.draws)
    if not draws:  # nothing varies: every member is the scenario itself
        name = next(iter(model.parameters))
        draws = {name: np.full(chunk.size, model.parameters[name].value)}
    history = HistoryCheck.make(model.plan.dynamic_names, _save_times(settings))
    if settings.check_start:  # (the run below reuses the initial state the check computes)
        from .matching import start_inconsistencies

        culprits = start_inconsistencies(model, draws, settings.start, DEFAULT_BLOWUP)
        if (culprits != "").any():
            draws = {k: v[culprits == ""] for k, v in draws.items()}
        if not (culprits == "").any():
            return {**_empty_result(model, settings), "start": culprits}
        return {**_run_members(model, draws, history, settings), "start": culprits}
    return _run_members(model, draws, history, settings)


def _run_members(model: Model, draws: Mapping[str, np.ndarray], history: Any, settings: Settings
                 ) -> dict[str, Any]:
    """Integrate the members ``draws``; their metrics, stop and blow-up times, series
    and history check."""
    from ..model import DEFAULT_BLOWUP
    from .matching import HistoryCheck

    size = len(next(iter(draws.values())))
    screening = settings.method == "rk45" and settings.match_history and settings.start < history.end < settings.stop
    # the history check reads its variables at the screen when there is one, else at the end
    outputs = list(dict.fromkeys([*INPUTS, *([CAPPED_RUN] if CAPPED_RUN in model.equations else []), *SERIES,
                                  *([] if screening else history.variables)]))
    checked: dict[str, np.ndarray] = {}
    if settings.method == "rk45":
        from ..stocks_flows.ensemble import run_adaptive

        def screen(early: np.ndarray, values: dict[str, np.ndarray], stop: np.ndarray) -> np.ndarray:
            checked.update(HistoryCheck.make(model.plan.dynamic_names, early).check(values, stop))
            return checked["plausible"]

        r = run_adaptive(model, draws, settings.start, settings.stop, saveper=settings.saveper, rtol=settings.rtol,
                         blowup=DEFAULT_BLOWUP, outputs=outputs, screen=screen if screening else None,
                         screen_until=history.end, screen_outputs=history.variables)
        times, series, stop, blowup = r["times"], r["values"], r["stop_time"], r["blowup_time"]
    else:
        ds = model.run_ensemble(draws, settings.start, settings.stop, method=settings.method, dt=settings.dt,
                                saveper=settings.saveper, blowup=DEFAULT_BLOWUP, outputs=outputs,
                                include_parameters=False, max_seconds=None, log_space=False)
        times = ds["time"].values
        series = {name: ds[name].values for name in outputs}
        stop, blowup = ds["stop_time"].values, ds["blowup_time"].values
    every = int(round(settings.series_step / settings.saveper))
    keep = slice(None, None, every)
    if checked and not len(r["kept"]):  # no member of the chunk matches history
        out = _no_members(times[keep])
    else:
        metrics = compute_metrics(times, series, stop, blowup)
        if settings.method == "rk45":
            _metrics_to_the_stop(metrics, times, series, stop, blowup)
        out = {"metrics": metrics, "stop_time": stop, "blowup_time": blowup,
               "series": {name: _finite(series[name][:, keep]) for name in SERIES},
               "binding": binding_index(series)[:, keep], "times": times[keep]}
    if not checked:  # integrated in one pass: every member is here
        return {**out, "history": history.check(series, stop)}
    return {**_spread(out, r["kept"], size), "history": checked}


def _no_members(times: np.ndarray) -> dict[str, Any]:
    """The results of no member, with series at ``times``."""
    size = len(times)
    return {"metrics": {m.key: np.empty(0) for m in METRICS}, "stop_time": np.empty(0), "blowup_time": np.empty(0),
            "series": {name: np.empty((0, size)) for name in SERIES}, "binding": np.empty((0, size), dtype=np.int8),
            "times": times}


def _empty_result(model: Model, settings: Settings) -> dict[str, Any]:
    """What a chunk of no member returns (each array with no row)."""
    from .matching import HistoryCheck

    history = HistoryCheck.make(model.plan.dynamic_names, _save_times(settings))
    none = {v: np.empty((0, len(history.times))) for v in history.variables}
    return {**_no_members(_series_times(settings)), "history": history.check(none, np.empty(0))}


def _spread(out: Mapping[str, Any], kept: np.ndarray, n: int) -> dict[str, Any]:
    """Results of the members ``kept`` of ``n`` as results of all ``n``: the others
    (which failed the history check and were not integrated further) NaN, binding 0."""
    def spread(values: np.ndarray, fill: Any) -> np.ndarray:
        full = np.full((n, *values.shape[1:]), fill, dtype=values.dtype)
        full[kept] = values
        return full

    return {"metrics": {k: spread(v, np.nan) for k, v in out["metrics"].items()},
            "stop_time": spread(out["stop_time"], np.nan), "blowup_time": spread(out["blowup_time"], np.nan),
            "series": {k: spread(v, np.nan) for k, v in out["series"].items()},
            "binding": spread(out["binding"], 0), "times": out["times"]}


def _metrics_to_the_stop(metrics: dict[str, np.ndarray], times: np.ndarray, series: Mapping[str, np.ndarray],
                         stop: np.ndarray, blowup: np.ndarray) -> None:
    """The metrics of members that stopped between saved times, from their saved points
    and their state at the stop (held at the next saved time), as a single run's frame
    ends at its stop: a milestone reached on the way to a blow-up counts."""
    for m in np.flatnonzero(stop < times[-1] - 1e-9):
        k = int(np.searchsorted(times, stop[m], side="right"))  # saved times up to the stop
        if k == 0 or k >= len(times) or times[k - 1] >= stop[m]:
            continue
        own = compute_metrics(np.append(times[:k], stop[m]), {name: v[m:m + 1, :k + 1] for name, v in series.items()},
                              stop[m:m + 1], blowup[m:m + 1])
        for key, values in own.items():
            metrics[key][m] = values[0]


def _save_times(settings: Settings) -> np.ndarray:
    from ..stocks_flows.integrate import save_times

    return save_times(settings.start, settings.stop, settings.saveper)


def _series_times(settings: Settings) -> np.ndarray:
    """The times of the series kept in the dataset."""
    return _save_times(settings)[::int(round(settings.series_step / settings.saveper))]


def _finite(values: np.ndarray) -> np.ndarray:
    """Series as saved: never inf (a value past float range is held at the largest
    float). NaN is left as it is: it would be a model error, not to be hidden."""
    big = np.finfo(float).max
    return np.where(np.isposinf(values), big, np.where(np.isneginf(values), -big, values))


def memory_needed(n: int, varied: int, settings: Settings) -> int:
    """Bytes that ``n`` runs hold at once in this process: the draws (with the copula's
    working copies), each run's metrics, and its series kept in the dataset (twice: the
    results of a second round of draws are copied once more)."""
    years = int(round((settings.stop - settings.start) / settings.series_step)) + 1
    per_run = 8 * (3 * varied + 2 * len(METRICS) + 4) + 2 * (8 * len(SERIES) + 1) * years
    return n * per_run


def check_memory(n: int, varied: int, settings: Settings, asked: str = "", runs_per_unit: int = 1) -> None:
    """Refuse, before any work, ``n`` runs whose results would not fit in half of this
    machine's memory (rather than fail after minutes, or swap). ``asked`` says what the
    user asked for when it is not ``n`` runs (e.g. a sensitivity's base sample), and
    ``runs_per_unit`` converts the largest feasible number of runs back into it."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    need = memory_needed(n, varied, settings)
    if need > total / 2:
        most = int(n * total / 2 / need) // runs_per_unit
        raise ValueError(f"{asked or f'{n:,} runs'} need about {_size(need)} of memory for their draws and "
                         f"results, and this machine has {_size(total)}: ask for at most about "
                         f"{most:,}{'' if asked else ' runs'}")


def _size(nbytes: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1000
    return f"{nbytes:.3g} PB"


def make_chunks(draws: Mapping[str, np.ndarray], n: int, chunk_size: int, first_chunk: int = 0,
                first_run: int = 0, shared: bool = False) -> list[Chunk]:
    """Chunks of ``chunk_size`` draws, numbered from ``first_chunk`` and their runs from
    ``first_run`` (a later round of draws continues the numbering of the earlier ones);
    ``shared``: the draws in shared memory, which local workers read them from (close
    it, ``chunks[0].draws.shared[0].close()``, when they are done)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    starts = range(0, n, chunk_size)
    names = list(draws)
    memory = shared_memory({"values": np.empty((0, n))}, len(names)) if shared else None
    values = np.empty((len(names), n)) if memory is None else memory.arrays["values"]
    for row, name in enumerate(names):
        values[row] = np.asarray(draws[name])[:n]
    return [Chunk(first_chunk + i, first_run + s, min(chunk_size, n - s),
                  Columns(names, values[:, s:s + chunk_size], None if memory is None else (memory, s, s + chunk_size)))
            for i, s in enumerate(starts)]


def run_draws(scenario: Scenario, draws: Mapping[str, np.ndarray], n: int, settings: Settings = Settings(),
              *, chunk_size: int = DEFAULT_CHUNK, scheduler: str | None = None, workers: int | None = None,
              retries: int = 2, progress: bool = False, runner: Callable = run_chunk, first_chunk: int = 0,
              first_run: int = 0) -> dict[str, Any]:
    """Run ``n`` members with the given draws; the chunks' results, members in order
    (``settings.check_start``: with ``"start"``, each draw's culprit stock or "", and
    every other result of the draws inconsistent with the start left unset). Local
    worker processes write their results into shared memory where they can
    (:class:`.execution.SharedArrays`)."""
    shared = None
    if settings.method != "rk45":
        chunk_size = fixed_step_chunk(chunk_size)
    if not scheduler:
        model = scenario_model(scenario)  # built here, so that forked workers start with it
        if (workers or os.cpu_count() or 1) > 1 and n > chunk_size and SharedArrays.available():
            template = _empty_result(model, settings)
            shared = shared_memory({k: v for k, v in template.items() if k != "times"}, n)
            if shared is not None:
                runner = partial(into_shared, runner, shared, first_run)
    chunks = make_chunks(draws, n, chunk_size, first_chunk, first_run, shared=shared is not None)
    gathered = Gathered(n, first_run, None if shared is None else {**shared.arrays, "times": template["times"]})
    try:
        execute(runner, chunks, (scenario, settings), scheduler=scheduler, workers=workers, retries=retries,
                progress=progress, total=n, keep=gathered.put)
    finally:
        if shared is not None:
            shared.close()
            if chunks[0].draws.shared is not None:
                chunks[0].draws.shared[0].close()
    return gathered.result()


# ---------------------------------------------------------------------- the Monte Carlo
MAX_ROUNDS = 8          # rounds of draws to find n members that match history
MAX_DRAWS_PER_MEMBER = 50  # at most 50 n draws in all


@dataclass(frozen=True)
class Conditioning:
    """What an ensemble's distribution is conditioned on: ``fitted`` parameters drawn
    jointly from the calibration posterior (rows of ``aiscale/data/posterior.csv``), the
    others from their priors through the copula, and members kept only when they match
    history (:mod:`.matching`); ``prior_only``: every parameter from its prior and no
    member rejected (the history check is still reported)."""

    prior_only: bool
    fitted: tuple[str, ...] = ()
    posterior_draws: int = 0
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # first wave: quantile ranges
    range_sigmas: float = 0.0

    def describe(self, history: str) -> str:
        if self.prior_only:
            return ("prior only: every uncertain parameter drawn from its prior range (three-point marginals "
                    "through the Gaussian copula); NOT conditioned on history: no member is rejected for it (only "
                    "draws inconsistent with the start, which the watchdog would stop at once, are replaced)")
        fitted = (f"the {len(self.fitted)} parameters fitted to history ({', '.join(self.fitted)}) drawn jointly "
                  f"from the calibration posterior ({self.posterior_draws} MCMC draws, aiscale/data/posterior.csv)"
                  if self.fitted else "no calibration posterior applies to this scenario's varied parameters")
        narrowed = sum(1 for lo, hi in self.ranges.values() if 0 < hi - lo < 1)
        held = sum(1 for lo, hi in self.ranges.values() if hi - lo == 0)
        fitted += (f"; the other {len(self.ranges)} from their priors through the copula, each truncated to the "
                   f"quantiles where it alone moves no observation by more than {self.range_sigmas:g} sigma "
                   f"({narrowed} narrowed, {held} held at their value, the rest whole)")
        return f"posterior-predictive: {fitted}; members kept only if they match 2012-2025 history: {history}"


def conditioning(scenario: Scenario, marginals: Mapping[str, Any], prior_only: bool,
                 settings: Settings = Settings()) -> tuple[Conditioning, Any]:
    """The conditioning of ``scenario``'s ensemble and the posterior draws it uses (a
    DataFrame, or None): a fitted parameter comes from the posterior unless the scenario
    sets its value or its distribution, or ``--set`` fixes it; every other varied
    parameter from its prior truncated to its one-at-a-time plausible range
    (:func:`.matching.plausible_ranges`)."""
    from ..model.parameters import posterior_samples
    from .matching import RANGE_SIGMAS

    if prior_only:
        return Conditioning(prior_only=True), None
    posterior = posterior_samples()
    fitted = () if posterior is None else tuple(
        c for c in posterior.columns if c in marginals and c not in scenario.parameters
        and c not in scenario.distributions)
    others = tuple(sorted(name for name in marginals if name not in fitted))
    ranges = _ranges(_ModelKey(scenario), tuple(sorted(marginals.items())), others, settings.start,
                     settings.saveper, settings.rtol)
    return (Conditioning(False, fitted, 0 if posterior is None else len(posterior), ranges, RANGE_SIGMAS),
            None if posterior is None else posterior[list(fitted)])


@lru_cache(maxsize=16)
def _ranges(key: _ModelKey, marginals: tuple, names: tuple[str, ...], start: float, saveper: float,
            rtol: float) -> dict[str, tuple[float, float]]:
    """:func:`.matching.plausible_ranges` of a scenario's model, once per process, and
    remembered on disk (a few seconds of one core each time otherwise): keyed on the
    model's compiled equations and parameter values, the marginals, the settings, the
    observations, and the code of the scan, of the quantile functions and of the
    integrator."""
    from ..stocks_flows import atomic_write
    from ..stocks_flows.compile import cache_dir
    from . import matching

    model = _built(key)
    path = cache_dir("ranges") / f"{_ranges_key(model, marginals, names, start, saveper, rtol)}.json"
    try:
        known = json.loads(path.read_text())
        return {name: (float(lo), float(hi)) for name, (lo, hi) in known.items()}
    except (OSError, ValueError, TypeError):
        pass
    ranges = matching.plausible_ranges(model, dict(marginals), names, start, saveper, rtol)
    try:
        atomic_write(path, lambda p: Path(p).write_text(json.dumps(ranges)))
    except OSError:  # a read-only cache costs only the time of scanning again
        pass
    return ranges


def _ranges_key(model: Model, marginals: tuple, names: tuple[str, ...], start: float, saveper: float,
                rtol: float) -> str:
    import hashlib

    from .. import __version__
    from ..calibration.series import SERIES
    from . import matching

    from ..stocks_flows import ensemble as members
    from . import distributions

    kernel = model.plan.kernel
    # the code of the scan, of the marginals' quantile functions and of the integrator
    code = [Path(m.__file__).read_text() for m in (matching, distributions, members)]
    parts = [__version__, code, getattr(kernel.derivatives, "__module__", None) if kernel else None,
             sorted((name, repr(p.value)) for name, p in model.parameters.items()), repr(marginals), names,
             start, saveper, rtol, matching.RANGE_SIGMAS, matching.RANGE_GRID, matching.RANGE_BISECTIONS,
             matching.TOLERANCE_SIGMAS, matching.observations().to_csv(),
             sorted((k, s.variable, s.sigma, s.sampling) for k, s in SERIES.items())]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def draw(scenario: Scenario, marginals: Mapping[str, Any], n: int, seed: int, round_: int,
         cond: Conditioning, posterior: Any) -> dict[str, np.ndarray]:
    """Round ``round_`` of ``n`` draws (round 0 with ``seed`` itself, as before rounds
    existed): the posterior's rows for the fitted parameters, the copula for the others."""
    key: Any = seed if round_ == 0 else [seed, round_]
    prior = {k: v for k, v in marginals.items() if k not in cond.fitted}
    draws = sample(prior, n, key, scenario.correlations, cond.ranges)
    if cond.fitted:
        rows = np.random.default_rng([seed, round_, 1]).integers(0, len(posterior), n)
        for name in cond.fitted:
            draws[name] = posterior[name].to_numpy(dtype=float)[rows]
    return draws


def monte_carlo(scenario: str | Path | Scenario = "baseline", n: int = 1000, seed: int = 0,
                settings: Settings = Settings(), *, prior_only: bool = False, chunk_size: int = DEFAULT_CHUNK,
                scheduler: str | None = None, workers: int | None = None, retries: int = 2,
                progress: bool = False, runner: Callable = run_chunk) -> xr.Dataset:
    """``n`` members of ``scenario``: posterior-predictive by default (see
    :class:`Conditioning`; draws that do not match history are replaced by new draws,
    in seeded rounds, until ``n`` match), or prior-only. Run in chunks on Dask; see the
    module docstring for the dataset."""
    if n < 1:
        raise ValueError(f"the ensemble needs at least one member, not {n}")
    scenario = load_scenario(scenario)
    marginals = scenario.uncertainty()
    check_memory(n, len(marginals), settings)
    cond, posterior = conditioning(scenario, marginals, prior_only, settings)
    # each chunk runs only its draws that can start (the others would stop at once), and
    # when matching history integrates the draws that fail it only to the end of history
    settings = dataclasses.replace(settings, check_start=True, match_history=not prior_only)
    kept: list[tuple[dict[str, Any], np.ndarray | None]] = []  # each round's results and the rows kept
    kept_draws: list[tuple[dict[str, np.ndarray], np.ndarray | None]] = []
    checked: list[tuple[dict[str, np.ndarray], np.ndarray]] = []
    culprits: list[np.ndarray] = []
    found, total, usable, chunks_so_far = 0, 0, 0, 0
    for round_ in range(MAX_ROUNDS):
        want = n - found
        rate = usable / total if total else 1.0
        size = want if round_ == 0 else min(int(np.ceil(want / max(rate, 0.02) * 1.2)) + 8,
                                            MAX_DRAWS_PER_MEMBER * n - total)
        if size <= 0:
            break
        draws = draw(scenario, marginals, size, seed, round_, cond, posterior)
        out = run_draws(scenario, draws, size, settings, chunk_size=chunk_size, scheduler=scheduler,
                        workers=workers, retries=retries, progress=progress, runner=runner,
                        first_chunk=chunks_so_far, first_run=total)
        chunks_so_far += -(-size // chunk_size)
        total += size
        culprits.append(out["start"])
        runs = np.flatnonzero(out["start"] == "")
        ok = np.ones(len(runs), dtype=bool) if prior_only else out["history"]["plausible"][runs]
        usable += int(ok.sum())
        rows = runs[np.flatnonzero(ok)[:want]]
        whole = len(rows) == size  # every draw of the round kept, in order: nothing to copy
        kept.append((out, None if whole else rows))
        kept_draws.append((draws, None if whole else rows))
        if not prior_only:  # the history check of every draw that could start is reported
            checked.append((out["history"], runs))
        found += len(rows)
        if found >= n:
            break
    if found == 0:
        raise ValueError(f"none of {total:,} draws of scenario {scenario.name!r} "
                         + ("can start from the model's 2012 state" if prior_only else
                            "matches 2012-2025 history within the tolerance: run it with --prior-only, or check "
                            "its parameters"))
    out = take(kept)
    del kept
    draws = take(kept_draws)
    # prior only, the members' history checks are reported
    audit = out["history"] if prior_only else take(checked)
    matching = _matching_summary(scenario, audit, total, found, n, cond, settings, np.concatenate(culprits))
    return assemble(scenario, draws, marginals, out, settings, seed, chunk_size, cond=cond, matching=matching)


def _matching_summary(scenario: Scenario, audit: Mapping[str, np.ndarray], total: int, found: int, n: int,
                      cond: Conditioning, settings: Settings, culprits: np.ndarray) -> dict[str, Any]:
    """Attributes that say what the members are conditioned on and how many draws were
    rejected (inconsistent with the start, or failing the history check), and why."""
    from .matching import HistoryCheck, rejection_reasons, start_summary

    history = HistoryCheck.make(scenario_model(scenario).plan.dynamic_names, _save_times(settings))
    rejected = ~audit["plausible"]
    reasons = rejection_reasons(audit["outside"][rejected], audit["stopped"][rejected], history.series)
    inconsistent = int((culprits != "").sum())
    return {"conditioning": cond.describe(history.describe()), "prior_only": int(cond.prior_only),
            "posterior_parameters": ", ".join(cond.fitted), "draws_total": total,
            "draws_rejected": inconsistent + (int(rejected.sum()) if not cond.prior_only else 0),
            "draws_inconsistent_start": inconsistent, "start_inconsistencies": json.dumps(start_summary(culprits)),
            "draws_failing_history": int(rejected.sum()), "members_requested": n, "members": found,
            "rejection_reasons": json.dumps(reasons), "history_tolerance_sigmas": history.tolerance,
            "history_observations": len(history.observations),
            "history_keys": json.dumps([[s, int(y)] for s, y in zip(history.observations["series"],
                                                                      history.observations["year"])])}
