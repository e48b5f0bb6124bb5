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

from .errors import unknown_name
from .events import BlowUp, Event, Threshold
from .files import atomic_write
from .integrate import Trajectory, integrate
from .settings import DEFAULT_METHOD, RunSettings

if TYPE_CHECKING:
    from .model import Model

__all__ = ["Result", "simulate", "atomic_write", "DEFAULT_METHOD"]


@dataclass
class Result:
    """One simulation: a frame of every public variable over time, plus context.

    ``states``: every stock over time, the hidden stocks of delays and smooths included
    (index: the frame's times; columns: the model's state names, in state order), so
    that the whole state of the run can be evaluated again (e.g. by the loop analysis).
    ``metadata``: package version, parameter hash and the solver settings used
    (``method``, ``start``, ``stop``, ``saveper``, ``log_space``, ``max_step``, and
    ``dt`` for fixed-step methods, ``rtol`` and ``log_space_states`` for adaptive
    ones, ``atol`` if given). ``frame.attrs``: the unit and description of every column.
    """

    frame: pd.DataFrame
    parameters: dict[str, float]
    events: list[Event] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    states: pd.DataFrame | None = None
    frozen: dict[str, float] = field(default_factory=dict)  # values frozen at the start (INITIAL)
    arrays: Mapping[str, Any] = field(default_factory=dict)  # the model's arrays (.subscripts.Array)

    def __repr__(self) -> str:
        meta = self.metadata
        times = self.frame.index
        span = f"{times[0]:g}-{times[-1]:g}" if len(times) else "empty"
        how = meta.get("method", "?")
        how += f" dt={meta['dt']:g}" if "dt" in meta else f" rtol={meta.get('rtol', float('nan')):g}"
        stop = next((e for e in self.events if e.kind in ("blow-up", "singularity", "watchdog")), None)
        end = f"; {stop.kind} at {stop.time:.4g}" + (f" ({stop.detail})" if stop.detail else "") if stop else ""
        return (f"<Result {meta.get('model', '?')!r} {span}: {how}, {self.stats.get('nfev', '?')} "
                f"evaluations; {len(times)} times x {self.frame.shape[1]} variables{end}>")

    def __getitem__(self, name: str) -> pd.Series:
        return self.frame[name]

    def array(self, name: str) -> Any:
        """The array ``name`` (columns ``name[e]``) as an ``xarray.DataArray`` with dims
        ``(time, *its dimensions)``."""
        from .errors import unknown_name
        from .subscripts import as_array
        if name not in self.arrays:
            raise unknown_name("array", name, self.arrays)
        return as_array(self.frame, self.arrays[name])

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
    """Parameter arrays of shape (N,), validated: names (user and policy parameters;
    generated ones are refused, with the closest names that may be set), finiteness
    and ranges."""
    model.build()
    overrides = dict(parameters or {})
    arrays = {}
    for k, v in overrides.items():
        try:
            arrays[k] = np.atleast_1d(np.asarray(v, dtype=float))
        except (TypeError, ValueError):
            raise ValueError(f"parameter {k!r}: {v!r} is not a number or an array of numbers") from None
        if arrays[k].ndim != 1:
            raise ValueError(f"parameter {k!r}: give one value or a 1-d array of values, "
                             f"not an array of shape {arrays[k].shape}")
    sizes = {a.shape[0] for a in arrays.values() if a.shape[0] != 1}
    if len(sizes) > 1:
        raise ValueError(f"parameter arrays have different lengths: {sorted(sizes)}")
    n = n or (sizes.pop() if sizes else 1)
    params = {name: np.full(n, p.value) for name, p in model.parameters.items()}
    for name, values in arrays.items():
        model.overridable(name).check(values)
        params[name] = np.broadcast_to(values, (n,)).astype(float)
    return params, n


def simulate(model: Model, start: float | None = None, stop: float | None = None, **options: Any) -> Result:
    """Simulate ``model`` from ``start`` to ``stop``: the same as ``model.run(start, stop,
    **options)`` (see :meth:`~aiscale.stocks_flows.model.Model.run` for the options)."""
    return model.run(start, stop, **options)


def run_model(model: Model, run: RunSettings, parameters: Mapping[str, Any] | None = None,
              events: Sequence[Threshold] = (), blowup: BlowUp | None = None,
              breakpoints: Iterable[float] = (), n: int | None = None,
              outputs: Sequence[str] = ()) -> tuple[Trajectory, dict]:
    """Integrate ``model`` as ``run`` says, for one parameter set or an ensemble of
    ``n``: the raw trajectory (with the variables ``outputs`` kept where the compiled
    loop can keep them) and the parameter arrays used."""
    params, n = prepare(model, parameters, n)
    plan = model.plan
    for th in events:
        if th.variable not in plan.dynamic_names:
            raise unknown_name("event variable", th.variable, plan.public_names)
    y0, frozen = plan.initial_state(params, run.start, n)
    bps = {float(b) for b in breakpoints}
    if plan.switches or plan.switch_names:
        with np.errstate(all="ignore"):
            at_start = plan.evaluate(run.start, y0, params, frozen)
        bps |= set(plan.breakpoints(at_start, run.start, run.stop))
    trajectory = integrate(plan, params, frozen, y0, run, list(events), blowup or BlowUp(), sorted(bps),
                           list(outputs))
    return trajectory, params


def single_result(model: Model, run: RunSettings, **kwargs: Any) -> Result:
    """One run (see :meth:`Model.run`) as a :class:`Result`."""
    plan = model.plan
    trajectory, params = run_model(model, run, outputs=plan.public_names, **kwargs)
    if not trajectory.captured and plan._kernel:  # integrated by the kernel, not its fixed-step loop
        P = plan.kernel.input_matrix(plan.static_values(params, trajectory.frozen), 1)
        trajectory.captured = plan.kernel.capture(trajectory.times, trajectory.states, P, plan.public_names)
    stop_at = float(trajectory.stop_time[0])
    keep = trajectory.times <= stop_at + 1e-12
    times, states = trajectory.times[keep], trajectory.states[keep]
    if stop_at < trajectory.times[-1] and (len(times) == 0 or times[-1] < stop_at):
        # end the frame at the event that stopped the run, with the state held there
        times = np.append(times, stop_at)
        states = np.concatenate([states, trajectory.states[keep.sum():keep.sum() + 1]])
    frame = outputs_frame(model, times, states, params, trajectory)
    state_frame = pd.DataFrame(states[:, :, 0], index=frame.index,
                               columns=pd.Index(model.plan.state_names, dtype=object))
    frozen = {k: float(np.ravel(v)[0]) for k, v in trajectory.frozen.items()}
    return Result(frame, {k: float(v[0]) for k, v in params.items()}, trajectory.events,
                  trajectory.stats, run_metadata(model, params, trajectory), state_frame, frozen,
                  dict(model.elements.arrays))


def _run(model: Model, start: float, stop: float, *, parameters=None, events=(), blowup=None,
         breakpoints=(), n: int | None = None, **keywords: Any) -> tuple[Trajectory, dict]:
    """:func:`run_model` with the flat solver keywords of older code (``method``,
    ``dt``, ``saveper``, ``rtol`` ...)."""
    from .settings import resolve
    run = resolve(model, start, stop, **keywords)
    return run_model(model, run, parameters, events, blowup, breakpoints, n)


def evaluate_outputs(model: Model, times: np.ndarray, states: np.ndarray, params: Mapping[str, Any],
                     fixed: Mapping[str, Any], names: Sequence[str] | None = None,
                     captured: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every public variable (or only ``names``) at every saved time, in one vectorised
    evaluation, or from ``captured`` (variables kept during integration, (T[, N])) with
    states and the values of parameters when those cover every name.

    ``states`` has shape (T, n_states, N) or (T, n_states); parameters broadcast over time.
    """
    shape = states.shape[:1] + states.shape[2:]
    values = _output_values(model, times, states, params, fixed, names, captured)
    return {name: np.broadcast_to(np.asarray(v, dtype=float), shape) for name, v in values.items()}


def _output_values(model: Model, times: np.ndarray, states: np.ndarray, params: Mapping[str, Any],
                   fixed: Mapping[str, Any], names: Sequence[str] | None,
                   captured: Mapping[str, np.ndarray] | None) -> dict[str, Any]:
    """:func:`evaluate_outputs` before broadcasting (a parameter's value is one number
    per member, not one per time)."""
    plan = model.plan
    names = list(plan.public_names if names is None else names)
    if captured:
        out = {}
        base: dict[str, Any] | None = None
        for name in names:
            if name in captured:
                value = captured[name]
            elif name in plan.state_index:
                value = states[:, plan.state_index[name]]
            elif name not in plan.varying:  # a parameter, or an equation of parameters only
                base = base if base is not None else plan.static_values(params, fixed)
                value = base[name]
            else:
                break  # not kept: evaluate everything below
            out[name] = value
        else:
            return out
    y = np.moveaxis(states, 1, 0)                     # (n_states, T[, N])
    t = times.reshape((-1,) + (1,) * (y.ndim - 2))
    with np.errstate(all="ignore"):
        ns = plan.evaluate(t, y, params, fixed)
    return {name: ns[name] for name in names}


def outputs_frame(model: Model, times: np.ndarray, states: np.ndarray, params: Mapping[str, Any],
                  trajectory: Trajectory) -> pd.DataFrame:
    """The frame of a single run from its states (T, n_states, 1) and parameter arrays
    (1,): evaluated with the same array shapes as an ensemble member, so that numpy
    takes the same (SIMD) code paths for exp, log and powers and a fixed-step single
    run equals its ensemble member bit for bit."""
    kept = len(trajectory.times)
    captured = {k: v[:len(times)] for k, v in trajectory.captured.items()} if len(times) <= kept else None
    values = _output_values(model, times, states, params, trajectory.frozen, None, captured)
    table = np.empty((len(times), len(values)))
    for i, v in enumerate(values.values()):
        table[:, i] = np.asarray(v, dtype=float).reshape(-1)  # (T,), or one value for all times
    # one block of floats: much faster to build than a frame from a dict of columns
    frame = pd.DataFrame(table, index=pd.Index(times, name="time"), columns=pd.Index(list(values), dtype=object))
    frame.attrs.update(variable_attrs(model, frame.columns))
    return frame


class _Shared(dict):
    """A table in ``DataFrame.attrs`` that is never changed: pandas deep-copies attrs
    on every operation, and a copy of this one is itself."""

    def __deepcopy__(self, memo: dict) -> _Shared:
        return self


def variable_attrs(model: Model, names: Iterable[str]) -> dict[str, Any]:
    """Units and descriptions of output columns, for ``DataFrame.attrs`` and files:
    ``{"units": {name: unit}, "descriptions": {name: doc}, "time_unit": ...}``."""
    units, docs = _Shared(), _Shared()
    for name in names:
        try:
            element = model.element(name)
        except KeyError:
            continue
        units[name], docs[name] = element.unit or "", element.doc or ""
    return {"units": units, "descriptions": docs, "time_unit": model.time_unit}


def parameter_hash(params: Mapping[str, Any]) -> str:
    """A short hash of the parameter values a run used, for its metadata."""
    keys = sorted(params)
    values = np.concatenate([np.ravel(np.asarray(params[k], dtype=float)) for k in keys]) if keys else np.zeros(0)
    digest = hashlib.sha256("\n".join(keys).encode())
    digest.update(values.tobytes())
    return digest.hexdigest()[:16]


def run_metadata(model: Model, params: Mapping[str, Any], trajectory: Trajectory) -> dict:
    """What a run was: model, package version, parameter hash, and the solver settings
    (enough to repeat it with :meth:`Model.run`)."""
    from .. import __version__
    run = trajectory.run
    meta = {"model": model.name, "aiscale_version": __version__, "parameter_hash": parameter_hash(params),
            "time_unit": model.time_unit, **run.metadata()}  # type: ignore[union-attr]
    if not run.fixed:  # type: ignore[union-attr]
        meta["log_space_states"] = trajectory.stats.get("log_space_states", [])
    return meta
