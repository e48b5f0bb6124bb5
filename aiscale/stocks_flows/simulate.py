"""Running a model: single runs returning a :class:`Result`."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .events import BlowUp, Event, Threshold
from .files import atomic_write
from .integrate import FIXED_METHODS, Trajectory, find_breakpoints, integrate

if TYPE_CHECKING:
    from .model import Model

DEFAULT_METHOD = "RK45"  # not LSODA: it never returns after a finite-time blow-up


@dataclass
class Result:
    """One simulation: a frame of every public variable over time, plus context.

    ``states``: every stock over time, the hidden stocks of delays and smooths included
    (index: the frame's times; columns: the model's state names, in state order), so
    that the whole state of the run can be evaluated again (e.g. by the loop analysis).
    ``metadata``: package version, parameter hash and the solver settings used
    (``method``, ``start``, ``stop``, ``saveper``, ``log_space``, ``max_step``, and
    ``dt`` for fixed-step methods, ``rtol`` and ``log_space_states`` for adaptive
    ones, ``atol`` if given).
    """

    frame: pd.DataFrame
    parameters: dict[str, float]
    events: list[Event] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    states: pd.DataFrame | None = None

    def __getitem__(self, name: str) -> pd.Series:
        return self.frame[name]

    @property
    def state_names(self) -> list[str]:
        """Names of every state (stock), hidden ones included, in state order."""
        return [] if self.states is None else list(self.states.columns)

    @property
    def blew_up(self) -> bool:
        return any(e.kind in ("blow-up", "singularity", "watchdog") for e in self.events)

    def event_time(self, name: str) -> float | None:
        """Time of the first event called ``name``, or None."""
        return next((e.time for e in self.events if e.name == name), None)

    def write(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Write the frame to CSV or Parquet (by suffix or ``format``) atomically, and
        the metadata, parameters, events and solver statistics to ``<path>.json``."""
        path = Path(path)
        fmt = format or path.suffix.lstrip(".").lower()
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"unknown output format {fmt!r}: use .csv or .parquet")
        writer = (lambda p: self.frame.to_csv(p)) if fmt == "csv" else (
            lambda p: self.frame.to_parquet(p))
        atomic_write(path, writer)
        meta = {"metadata": self.metadata, "parameters": self.parameters,
                "events": [e.as_dict() for e in self.events], "stats": self.stats}
        atomic_write(path.with_suffix(path.suffix + ".json"),
                     lambda p: Path(p).write_text(json.dumps(_finite(meta), indent=2, default=_jsonable)))
        return path


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return _finite(x.item())
    if isinstance(x, np.ndarray):
        return _finite(x.tolist())
    return str(x)


def _finite(x: Any) -> Any:
    """``x`` with non-finite floats as the strings "inf", "-inf", "nan" (valid JSON)."""
    if isinstance(x, float) and not np.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def prepare(model: Model, parameters: Mapping[str, Any] | None, n: int | None = None
            ) -> tuple[dict[str, np.ndarray], int]:
    """Parameter arrays of shape (N,), validated (names and ranges)."""
    model.build()
    overrides = dict(parameters or {})
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in overrides.items()}
    sizes = {a.shape[0] for a in arrays.values() if a.shape[0] != 1}
    if len(sizes) > 1:
        raise ValueError(f"parameter arrays have different lengths: {sorted(sizes)}")
    n = n or (sizes.pop() if sizes else 1)
    params = {}
    for name, p in model.parameters.items():
        params[name] = np.full(n, p.value)
    for name, values in arrays.items():
        p = model.parameter_named(name)  # unknown names raise, with a suggestion
        from .model import check_range
        for v in (values.min(), values.max()):
            check_range(p, float(v))
        params[name] = np.broadcast_to(values, (n,)).astype(float)
    return params, n


def simulate(model: Model, start: float = 0.0, stop: float = 100.0, *, method: str = DEFAULT_METHOD,
             dt: float | None = None, saveper: float | None = None, parameters: Mapping[str, Any] | None = None,
             rtol: float = 1e-6, atol: Any = None, log_space: bool | str = True, max_step: float = np.inf,
             events: Sequence[Threshold] = (), blowup: BlowUp | None = None,
             breakpoints: Iterable[float] = (), max_evaluations: int = 2_000_000,
             max_seconds: float | None = 300.0) -> Result:
    """Simulate ``model`` from ``start`` to ``stop``.

    ``method``: ``"euler"`` or ``"rk4"`` (fixed step ``dt``, saving every ``saveper``,
    as Vensim, Stella and PySD do) or a scipy method (``RK45``, ``RK23``, ``DOP853``,
    ``Radau``, ``BDF``, ``LSODA``) with tolerances scaled per stock and, with
    ``log_space``, the logarithm of stocks declared ``positive`` integrated instead
    (``log_space="always"``: in fixed-step runs too, which then differ from Vensim's).
    ``events``: thresholds to report (terminal ones stop the run). ``blowup``: when a run
    counts as blown up (always terminal). Step/ramp/pulse switching times and
    ``breakpoints`` are never stepped over.
    """
    trajectory, params = _run(model, start, stop, method=method, dt=dt, saveper=saveper,
                              parameters=parameters, rtol=rtol, atol=atol, log_space=log_space,
                              max_step=max_step, events=events, blowup=blowup,
                              breakpoints=breakpoints, max_evaluations=max_evaluations,
                              max_seconds=max_seconds)
    stop_at = float(trajectory.stop_time[0])
    keep = trajectory.times <= stop_at + 1e-12
    times, states = trajectory.times[keep], trajectory.states[keep]
    if stop_at < trajectory.times[-1] and (len(times) == 0 or times[-1] < stop_at):
        # end the frame at the event that stopped the run, with the state held there
        times = np.append(times, stop_at)
        states = np.concatenate([states, trajectory.states[keep.sum():keep.sum() + 1]])
    frame = outputs_frame(model, times, states, params, trajectory)
    state_frame = pd.DataFrame(states[:, :, 0], index=frame.index, columns=model.plan.state_names)
    return Result(frame, {k: float(v[0]) for k, v in params.items()}, trajectory.events,
                  trajectory.stats, run_metadata(model, params, trajectory), state_frame)


def _run(model: Model, start: float, stop: float, *, method, dt, saveper, parameters, rtol, atol,
         log_space, max_step, events, blowup, breakpoints, max_evaluations, max_seconds,
         n: int | None = None) -> tuple[Trajectory, dict]:
    if stop <= start:
        raise ValueError(f"stop ({stop}) must be after start ({start})")
    params, n = prepare(model, parameters, n)
    plan = model.plan
    for th in events:
        if th.variable not in plan.dynamic_names:
            from .errors import unknown_name
            raise unknown_name("event variable", th.variable, plan.public_names)
    y0, fixed = plan.initial_state(params, start, n)
    if saveper is None:
        saveper = dt if dt is not None else min(1.0, (stop - start) / 100)
    bps = sorted(set(breakpoints) | set(find_breakpoints(plan, params, fixed, y0, start)))
    trajectory = integrate(plan, params, fixed, y0, float(start), float(stop), method=method, dt=dt,
                           saveper=saveper, rtol=rtol, atol=atol, log_space=log_space,
                           max_step=max_step, thresholds=list(events), blowup=blowup or BlowUp(),
                           breakpoints=bps, max_evaluations=max_evaluations, max_seconds=max_seconds)
    trajectory.stats["fixed"] = fixed
    trajectory.settings = {"method": method, "start": float(start), "stop": float(stop),
                           "saveper": float(saveper), "dt": dt, "rtol": rtol, "atol": atol,
                           "log_space": log_space if isinstance(log_space, str) else bool(log_space),
                           "max_step": float(max_step)}
    return trajectory, params


def evaluate_outputs(model: Model, times: np.ndarray, states: np.ndarray, params: Mapping[str, Any],
                     fixed: Mapping[str, Any], names: Sequence[str] | None = None
                     ) -> dict[str, np.ndarray]:
    """Every public variable (or only ``names``) at every saved time, in one vectorised
    evaluation.

    ``states`` has shape (T, n_states, N) or (T, n_states); parameters broadcast over time.
    """
    plan = model.plan
    y = np.moveaxis(states, 1, 0)                     # (n_states, T[, N])
    t = times.reshape((-1,) + (1,) * (y.ndim - 2))
    with np.errstate(all="ignore"):
        ns = plan.evaluate(t, y, params, fixed)
    shape = y.shape[1:]
    return {name: np.broadcast_to(np.asarray(ns[name], dtype=float), shape)
            for name in (plan.public_names if names is None else names)}


def outputs_frame(model: Model, times: np.ndarray, states: np.ndarray, params: Mapping[str, Any],
                  trajectory: Trajectory) -> pd.DataFrame:
    """The frame of a single run from its states (T, n_states, 1) and parameter arrays
    (1,): evaluated with the same array shapes as an ensemble member, so that numpy
    takes the same (SIMD) code paths for exp, log and powers and a fixed-step single
    run equals its ensemble member bit for bit."""
    fixed = trajectory.stats.get("fixed", {})
    values = evaluate_outputs(model, times, states, params, fixed)
    frame = pd.DataFrame({k: v[:, 0] for k, v in values.items()}, index=pd.Index(times, name="time"))
    frame.attrs.update(variable_attrs(model, frame.columns))
    return frame


def variable_attrs(model: Model, names: Iterable[str]) -> dict[str, Any]:
    """Units and descriptions of output columns, for ``DataFrame.attrs`` and files:
    ``{"units": {name: unit}, "descriptions": {name: doc}, "time_unit": ...}``."""
    units, docs = {}, {}
    for name in names:
        try:
            element = model.element(name)
        except KeyError:
            continue
        units[name], docs[name] = element.unit or "", element.doc or ""
    return {"units": units, "descriptions": docs, "time_unit": model.time_unit}


def parameter_hash(params: Mapping[str, Any]) -> str:
    """A short hash of the parameter values a run used, for its metadata."""
    text = json.dumps({k: np.asarray(v).tolist() for k, v in sorted(params.items())})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_metadata(model: Model, params: Mapping[str, Any], trajectory: Trajectory) -> dict:
    """What a run was: model, package version, parameter hash, and the solver settings
    (enough to repeat it with :func:`simulate`)."""
    from .. import __version__
    settings = trajectory.settings
    method = settings["method"]
    meta = {"model": model.name, "aiscale_version": __version__, "parameter_hash": parameter_hash(params),
            "method": method, "time_unit": model.time_unit, "start": settings["start"],
            "stop": settings["stop"], "saveper": settings["saveper"],
            "log_space": settings["log_space"], "max_step": settings["max_step"]}
    if method in FIXED_METHODS:
        meta["dt"] = settings["dt"]
    else:
        meta.update(rtol=settings["rtol"],
                    log_space_states=trajectory.stats.get("log_space_states", []))
    atol = settings["atol"]
    if atol is not None:
        meta["atol"] = float(atol) if np.ndim(atol) == 0 else np.asarray(atol, dtype=float).tolist()
    return meta
