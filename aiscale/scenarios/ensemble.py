"""Monte Carlo ensembles of a scenario, chunked and run on Dask.

:func:`monte_carlo` draws ``n`` correlated parameter sets from the scenario's
uncertainty (:meth:`Scenario.uncertainty`, :func:`.distributions.sample`; seeded), splits
them into chunks of ``chunk_size`` members, and integrates each chunk as one vectorised
system (fixed-step RK4, dt = 1/4 year by default: within 0.2% of the adaptive solver on
the baseline, and bit-identical whatever the chunking, because every member's
arithmetic is its own). Each chunk returns its members' metrics
(:mod:`.metrics`, from quarterly output), stop and blow-up times and a few yearly
series; chunks are small and are collected as soon as they finish.

Where chunks run: by default on Dask's embedded local scheduler, in worker processes
forked from this one (one per core; they start at once, with the model already built:
threads would not help, the per-equation Python overhead holds the GIL); with
``scheduler="tcp://HOST:PORT"`` on a Dask distributed cluster, whose workers need
aiscale installed (they rebuild the model from the scenario, which is plain data). A
chunk that fails is retried (``retries`` times) without touching the others; if it
still fails, :class:`EnsembleError` says which runs, and carries the finished chunks.

The result is an ``xarray.Dataset``: the draws and every metric per run, stop and
blow-up times, yearly series (run, time) of the largest run, effective compute,
automation, GWP growth, research speed-up and the binding constraint, and summaries
(quantiles of each series over time, quantiles and reached-shares of each metric, the
share of runs each constraint binds over time). A member that blows up is frozen at
its last finite state and keeps its blow-up time: no NaN comes from a blow-up. A
metric never reached is NaN per run, and +inf in the metric quantiles.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..stocks_flows import Model, atomic_write
from ..timespan import END_YEAR, START_YEAR
from .distributions import Distribution, correlation_matrix, sample
from .metrics import BINDING, BY_KEY, CAPPED_RUN, INPUTS, METRICS, binding_index, compute_metrics
from .scenario import Scenario, base_model, load_scenario

SERIES = ("largest_training_run_flop", "effective_compute_flop", "automation_fraction",
          "gwp_growth_rate_per_year", "research_speedup")
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
DEFAULT_CHUNK = 1000  # members per chunk: ~the fastest per member (cache-sized arrays)
PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies
CONNECT_TIMEOUT = "15s"  # to reach a Dask scheduler


class EnsembleError(RuntimeError):
    """A chunk failed after its retries. ``finished`` maps chunk index -> result of
    every chunk that did finish, so nothing finished is lost."""

    def __init__(self, message: str, finished: Mapping[int, Any]):
        super().__init__(message)
        self.finished = dict(finished)


@dataclass(frozen=True)
class Settings:
    """How each member is integrated and what is kept."""

    start: float = START_YEAR
    stop: float = END_YEAR
    method: str = "rk4"
    dt: float = 0.25
    saveper: float = 0.25      # resolution of the output the metrics read
    series_step: float = 1.0   # resolution of the series kept in the dataset

    def __post_init__(self) -> None:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop:g}) must be after start ({self.start:g})")
        ratio = self.series_step / self.saveper
        if abs(ratio - round(ratio)) > 1e-9 or ratio < 1:
            raise ValueError(f"series_step ({self.series_step:g}) must be a whole multiple of saveper "
                             f"({self.saveper:g})")


@dataclass(frozen=True)
class Chunk:
    """Members ``first`` .. ``first + size - 1`` of an ensemble, with their draws."""

    index: int
    first: int
    size: int
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)


# ---------------------------------------------------------------------- one chunk
_models: dict[str, Model] = {}
_models_lock = threading.Lock()


def scenario_model(scenario: Scenario) -> Model:
    """The default model with ``scenario`` applied, built once per process."""
    with _models_lock:
        model = _models.get(scenario.fingerprint)
        if model is None:
            model = _models[scenario.fingerprint] = scenario.apply(base_model())
    return model


def run_chunk(scenario: Scenario, chunk: Chunk, settings: Settings) -> dict[str, Any]:
    """Integrate one chunk; return its metrics, stop and blow-up times and series."""
    from ..model import DEFAULT_BLOWUP

    model = scenario_model(scenario)
    draws = dict(chunk.draws)
    if not draws:  # nothing varies: every member is the scenario itself
        name = next(iter(model.parameters))
        draws = {name: np.full(chunk.size, model.parameters[name].value)}
    outputs = [*INPUTS, *([CAPPED_RUN] if CAPPED_RUN in model.equations else [])]
    ds = model.run_ensemble(draws, settings.start, settings.stop, method=settings.method, dt=settings.dt,
                            saveper=settings.saveper, blowup=DEFAULT_BLOWUP, outputs=outputs,
                            include_parameters=False, max_seconds=None, log_space="always")
    times = ds["time"].values
    series = {name: ds[name].values for name in outputs}
    stop, blowup = ds["stop_time"].values, ds["blowup_time"].values
    metrics = compute_metrics(times, series, stop, blowup)
    every = int(round(settings.series_step / settings.saveper))
    keep = slice(None, None, every)
    return {"metrics": metrics, "stop_time": stop, "blowup_time": blowup,
            "series": {name: series[name][:, keep] for name in SERIES},
            "binding": binding_index(series)[:, keep], "times": times[keep]}


# ---------------------------------------------------------------------- executing chunks
class ChunkFailed(RuntimeError):
    """A chunk that still failed after its retries (raised inside the task)."""

    def __init__(self, index: int, message: str):
        super().__init__(index, message)
        self.index, self.message = index, message


def retrying(function: Callable, retries: int, scenario: Scenario, chunk: Chunk, *args: Any) -> Any:
    """``function(scenario, chunk, *args)``, tried up to ``1 + retries`` times (the local
    schedulers have no retries of their own)."""
    for _ in range(retries + 1):
        try:
            return function(scenario, chunk, *args)
        except Exception as err:  # noqa: BLE001 - any failure of a chunk is retried
            last = err
    raise ChunkFailed(chunk.index, f"failed after {retries} retries: {type(last).__name__}: {last}")


def execute(function: Callable, chunks: Sequence[Chunk], args: tuple, *, scheduler: str | None = None,
            workers: int | None = None, retries: int = 2, progress: bool = False,
            total: int | None = None) -> list[Any]:
    """``function(args[0], chunk, *args[1:])`` for every chunk, on Dask: the embedded
    local scheduler by default (worker processes forked from this one, so they start
    at once with the model already built; in-process when there is one worker or one
    chunk), or the distributed cluster at ``scheduler``. Results come back in chunk
    order; each is kept as soon as its chunk finishes, so a failure elsewhere loses
    none of them (:class:`EnsembleError` carries them)."""
    from tqdm import tqdm

    bar = tqdm(total=total if total is not None else len(chunks), unit="run", disable=not progress,
               file=sys.stderr, desc="ensemble", leave=False)
    results: dict[int, Any] = {}

    def done(chunk: Chunk, result: Any) -> None:
        results[chunk.index] = result
        bar.update(chunk.size if total is not None else 1)

    try:
        if scheduler:
            _run_distributed(function, chunks, args, scheduler, retries, done, results)
        else:
            _run_local(function, chunks, args, workers, retries, done, results)
    finally:
        bar.close()
    return [results[c.index] for c in chunks]


def _failed(chunk: Chunk, message: str, results: Mapping[int, Any]) -> EnsembleError:
    return EnsembleError(f"chunk {chunk.index} (runs {chunk.first}-{chunk.first + chunk.size - 1}) {message}; "
                         f"{len(results)} finished chunk(s) kept", results)


def _run_local(function, chunks, args, workers, retries, done, results) -> None:
    import multiprocessing

    import dask
    from dask.callbacks import Callback

    workers = workers or os.cpu_count() or 1
    keys = {f"aiscale-chunk-{c.index}": c for c in chunks}
    tasks = [dask.delayed(retrying)(function, retries, args[0], c, *args[1:], dask_key_name=k)
             for k, c in keys.items()]

    class Collect(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):  # runs in this process
            if key in keys:
                done(keys[key], result)

    parallel = workers > 1 and len(chunks) > 1
    try:
        with Collect():
            if not parallel:
                dask.compute(*tasks, scheduler="synchronous")
                return
            context = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            pool = multiprocessing.get_context(context).Pool(workers, initializer=worker_started,
                                                             initargs=(os.getpid(),))
            try:
                dask.compute(*tasks, scheduler="processes", num_workers=workers, pool=pool)
                pool.close()
            except BaseException:  # a failure, Ctrl-C or SIGTERM: stop the workers now
                pool.terminate()
                raise
            finally:
                pool.join()
    except ChunkFailed as err:
        failed = next(c for c in chunks if c.index == err.index)
        raise _failed(failed, err.message, results) from None


def worker_started(parent: int) -> None:
    """Run in each local worker process as it starts: it ends with its parent, whatever
    ends the parent (SIGKILL included: Linux's PR_SET_PDEATHSIG, elsewhere a thread that
    watches the parent), and leaves Ctrl-C and SIGTERM to the parent, which stops it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    watched = False
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            watched = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            watched = False
    if os.getppid() != parent:  # the parent died before the watch began
        os._exit(1)
    if not watched:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="aiscale-parent-watch").start()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _run_distributed(function, chunks, args, scheduler, retries, done, results) -> None:
    from dask.distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as err:
        raise OSError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
    token = uuid.uuid4().hex[:8]
    try:
        futures = {client.submit(function, args[0], chunk, *args[1:], retries=retries, pure=False,
                                 key=f"aiscale-chunk-{token}-{chunk.index}"): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            if future.status != "finished":
                error = future.exception()
                for other in futures:
                    other.cancel()
                raise _failed(chunk, f"failed after {retries} retries: {type(error).__name__}: {error}", results)
            done(chunk, future.result())
            future.release()
    finally:
        client.close()


def memory_needed(n: int, varied: int, settings: Settings) -> int:
    """Bytes that ``n`` runs hold at once in this process: the draws (with the copula's
    working copies), each run's metrics, and its series kept in the dataset (the
    chunks' and their concatenation)."""
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


def make_chunks(draws: Mapping[str, np.ndarray], n: int, chunk_size: int) -> list[Chunk]:
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    starts = range(0, n, chunk_size)
    return [Chunk(i, s, min(chunk_size, n - s), {k: v[s:s + chunk_size] for k, v in draws.items()})
            for i, s in enumerate(starts)]


def run_draws(scenario: Scenario, draws: Mapping[str, np.ndarray], n: int, settings: Settings = Settings(),
              *, chunk_size: int = DEFAULT_CHUNK, scheduler: str | None = None, workers: int | None = None,
              retries: int = 2, progress: bool = False, runner: Callable = run_chunk) -> dict[str, Any]:
    """Run ``n`` members with the given draws; the chunks' results concatenated."""
    chunks = make_chunks(draws, n, chunk_size)
    if not scheduler:
        scenario_model(scenario)  # built here, so that forked workers start with it
    parts = execute(runner, chunks, (scenario, settings), scheduler=scheduler, workers=workers,
                    retries=retries, progress=progress, total=n)
    return {"metrics": {k: np.concatenate([p["metrics"][k] for p in parts]) for k in parts[0]["metrics"]},
            "stop_time": np.concatenate([p["stop_time"] for p in parts]),
            "blowup_time": np.concatenate([p["blowup_time"] for p in parts]),
            "series": {k: np.concatenate([p["series"][k] for p in parts]) for k in parts[0]["series"]},
            "binding": np.concatenate([p["binding"] for p in parts]), "times": parts[0]["times"]}


# ---------------------------------------------------------------------- the Monte Carlo
def monte_carlo(scenario: str | Path | Scenario = "baseline", n: int = 1000, seed: int = 0,
                settings: Settings = Settings(), *, chunk_size: int = DEFAULT_CHUNK,
                scheduler: str | None = None, workers: int | None = None, retries: int = 2,
                progress: bool = False, runner: Callable = run_chunk) -> xr.Dataset:
    """``n`` seeded, correlated draws of ``scenario``'s uncertain parameters, run in
    chunks on Dask; see the module docstring for the dataset."""
    if n < 1:
        raise ValueError(f"the ensemble needs at least one member, not {n}")
    scenario = load_scenario(scenario)
    marginals = scenario.uncertainty()
    check_memory(n, len(marginals), settings)
    draws = sample(marginals, n, seed, scenario.correlations)
    out = run_draws(scenario, draws, n, settings, chunk_size=chunk_size, scheduler=scheduler, workers=workers,
                    retries=retries, progress=progress, runner=runner)
    return assemble(scenario, draws, marginals, out, settings, seed, chunk_size)


def assemble(scenario: Scenario, draws: Mapping[str, np.ndarray],
             marginals: Mapping[str, tuple[Distribution, float | None, float | None]], out: Mapping[str, Any],
             settings: Settings, seed: int, chunk_size: int) -> xr.Dataset:
    """The ensemble dataset: per-run draws, metrics and series, and their summaries."""
    from .. import __version__

    model = base_model()
    n = len(out["stop_time"])
    data: dict[str, Any] = {}
    for name, values in draws.items():
        p = model.parameters[name]
        data[name] = xr.Variable(("run",), values, {"units": p.unit or "", "distribution":
                                                    marginals[name][0].describe(), "long_name": p.doc})
    for key, values in out["metrics"].items():
        m = BY_KEY[key]
        data[key] = xr.Variable(("run",), values, {"units": m.unit, "long_name": m.label,
                                                  "note": "NaN: not reached before the run stopped"})
    data["stop_time"] = xr.Variable(("run",), out["stop_time"], {"units": "year",
                                    "long_name": "when the run stopped (the end, or its blow-up)"})
    data["blowup_time"] = xr.Variable(("run",), out["blowup_time"], {"units": "year",
                                      "long_name": "time of the finite-time blow-up (NaN: none)"})
    for name, values in out["series"].items():
        unit = model.element(name).unit or ""
        data[name] = xr.Variable(("run", "time"), values, {"units": unit, "long_name": model.element(name).doc,
                                 "note": "a member that blew up is held at its last finite state"})
        data[f"{name}_quantiles"] = xr.Variable(("quantile", "time"), np.quantile(values, QUANTILES, axis=0),
                                                {"units": unit})
    data["binding_constraint"] = xr.Variable(("run", "time"), out["binding"].astype(np.int8), {
        "flag_values": np.arange(len(BINDING), dtype=np.int8), "flag_meanings": " ".join(BINDING),
        "long_name": "binding constraint on the largest run (policy: an intervention holds it down)"})
    shares = np.stack([(out["binding"] == k).mean(axis=0) for k in range(len(BINDING))])
    data["binding_share"] = xr.Variable(("constraint", "time"), shares,
                                        {"long_name": "share of runs in which each constraint binds"})
    table = np.stack([out["metrics"][m.key] for m in METRICS])
    data["metric_quantiles"] = xr.Variable(("metric", "quantile"), _metric_quantiles(table), {
        "note": "+inf: that share of runs never reaches the milestone"})
    data["metric_reached_share"] = xr.Variable(("metric",), np.mean(~np.isnan(table), axis=1))
    names = sorted(draws)
    data["rank_correlation"] = xr.Variable(("parameter", "parameter_2"),
                                           correlation_matrix(names, scenario.correlations),
                                           {"long_name": "Spearman rank correlations of the Gaussian copula"})
    coords = {"run": np.arange(n), "time": out["times"], "quantile": list(QUANTILES),
              "constraint": list(BINDING), "metric": [m.key for m in METRICS], "parameter": names,
              "parameter_2": names}
    attrs = {"title": f"aiscale Monte Carlo ensemble: {scenario.name}", "scenario": scenario.name,
             "scenario_description": scenario.description, "scenario_toml": scenario.to_toml(),
             "members": n, "seed": seed, "chunk_size": chunk_size, "method": settings.method,
             "dt": settings.dt, "saveper": settings.saveper, "start": settings.start, "stop": settings.stop,
             "aiscale_version": __version__, "varied_parameters": len(draws),
             "metric_labels": "; ".join(f"{m.key}: {m.label}" for m in METRICS)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _metric_quantiles(table: np.ndarray) -> np.ndarray:
    """(metric, quantile): quantiles over runs with "never reached" as +inf (a data
    point, not interpolated, so that an unreached share shows as inf)."""
    filled = np.where(np.isnan(table), np.inf, table)
    return np.quantile(filled, QUANTILES, axis=1, method="inverted_cdf").T


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write the dataset to NetCDF (HDF5) atomically: a failed write leaves no file."""
    path = Path(path)
    atomic_write(path, lambda p: ds.to_netcdf(p, engine="h5netcdf"))
    return path


def summary_table(ds: xr.Dataset, keys: Sequence[str] | None = None):
    """Quantiles and reached-share of each metric, one row per metric (a DataFrame)."""
    import pandas as pd

    rows = []
    for key in keys or [m.key for m in METRICS]:
        q = ds["metric_quantiles"].sel(metric=key).values
        m = BY_KEY[key]
        rows.append({"metric": m.label, **{f"p{round(qq * 100)}": _fmt_quantile(m, v) for qq, v in zip(QUANTILES, q)},
                     "reached": f"{float(ds['metric_reached_share'].sel(metric=key)):.0%}"})
    return pd.DataFrame(rows)


def _fmt_quantile(metric, value: float) -> str:
    if np.isinf(value):
        return "never"
    return metric.format(float(value))
