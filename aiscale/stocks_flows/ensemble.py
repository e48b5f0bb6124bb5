"""Ensembles: N parameter sets integrated together as one vectorised system.

Parameters become arrays of shape (N,) and flow through the same equation functions
as a single run, so an ensemble costs one integration, not N. With a fixed step the
result is identical, bit for bit, to N single runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from .errors import unknown_name
from .events import BlowUp, Event, Threshold
from .integrate import Trajectory
from .settings import FixedStep, Limits, SaveAt, Solver, resolve
from .simulate import evaluate_outputs, run_metadata, run_model

if TYPE_CHECKING:
    from .model import Model


def run_ensemble(model: Model, parameter_sets: pd.DataFrame | Mapping[str, Sequence[float]],
                 start: float | None = None, stop: float | None = None, *,
                 solver: Solver | FixedStep | None = None, saveat: SaveAt | None = None,
                 events: Sequence[Threshold] = (), blowup: BlowUp | None = None,
                 breakpoints: Sequence[float] = (), limits: Limits | None = None,
                 outputs: Sequence[str] | None = None, include_parameters: bool = True,
                 method: str | None = None, dt: float | None = None, saveper: float | None = None,
                 rtol: float | None = None, atol: Any = None, log_space: bool | str | None = None,
                 max_step: float | None = None, max_evaluations: int | None = None,
                 max_seconds: Any = "default") -> xr.Dataset:
    """Simulate every row of ``parameter_sets`` (columns: parameter names) at once.

    Solver settings as for :meth:`Model.run` (the default limit on wall time is 600 s).
    Returns an ``xarray.Dataset`` with dims ``(run, time)``: one variable per public
    stock, flow and auxiliary; the user parameters (dim ``run``); ``stop_time`` (when
    each member stopped: the end, or its blow-up / terminal event); and the events as a
    JSON attribute. A member that blows up is frozen at its last finite state and keeps
    its blow-up time, so the dataset never holds NaN or inf from a blow-up.
    Adaptive ensembles share one step size; event times are then interpolated linearly
    within a step. ``blowup_time`` (dim ``run``) is the time of each member's blow-up
    (or solver failure), NaN for members that ran through.

    ``outputs``: only these variables (any stock, flow or auxiliary, hidden ones
    included) instead of every public one; ``include_parameters=False`` leaves the
    parameter columns out. Outputs are evaluated a block of saved times at a time, so
    memory stays bounded for large ensembles.
    """
    columns = {k: np.asarray(v, dtype=float) for k, v in dict(parameter_sets).items()}
    if not columns:
        raise ValueError("parameter_sets is empty: give at least one parameter column")
    n = len(next(iter(columns.values())))
    run = resolve(model, start, stop, solver=solver, saveat=saveat, limits=limits,
                  default_limits=Limits(max_seconds=600.0), method=method, dt=dt, saveper=saveper,
                  rtol=rtol, atol=atol, log_space=log_space, max_step=max_step,
                  max_evaluations=max_evaluations, max_seconds=max_seconds)
    names = _output_names(model, outputs)
    trajectory, params = run_model(model, run, columns, events, blowup, breakpoints, n=n, outputs=names)
    values = _evaluate_in_blocks(model, trajectory, params, names)
    data = {name: (("run", "time"), v) for name, v in values.items()}
    if include_parameters:
        for name, p in model.parameters.items():
            if p.role == "user":
                data[name] = (("run",), np.asarray(params[name]))
    data["stop_time"] = (("run",), trajectory.stop_time)
    data["blowup_time"] = (("run",), blowup_times(trajectory.events, n))
    meta = run_metadata(model, params, trajectory)
    attrs = {**{k: json.dumps(v) if not isinstance(v, (str, int, float)) else v for k, v in meta.items()},
             "events": json.dumps([e.as_dict() for e in trajectory.events]),
             "stats": json.dumps(trajectory.stats, default=str)}
    ds = xr.Dataset(data, coords={"run": np.arange(n), "time": trajectory.times}, attrs=attrs)
    for name, element in [(n_, model.element(n_)) for n_ in values]:
        ds[name].attrs["units"] = element.unit or ""
    return ds


STOPPING_KINDS = ("blow-up", "singularity", "watchdog")


def blowup_times(events: Sequence[Event], n: int) -> np.ndarray:
    """(N,) time of each member's first blow-up, singularity or watchdog event; NaN if none."""
    out = np.full(n, np.nan)
    for e in events:
        if e.kind in STOPPING_KINDS and np.isnan(out[e.run]):
            out[e.run] = e.time
    return out


def _output_names(model: Model, outputs: Sequence[str] | None) -> list[str]:
    plan = model.plan
    if outputs is None:
        return list(plan.public_names)
    known = set(plan.dynamic_names)
    for name in outputs:
        if name not in known:
            raise unknown_name("output variable", name, plan.public_names)
    return list(dict.fromkeys(outputs))


def _evaluate_in_blocks(model: Model, trajectory: Trajectory, params: dict, names: list[str],
                        block: int = 16) -> dict[str, np.ndarray]:
    """Each output as a (run, time) array, evaluated ``block`` saved times at a time."""
    times, states = trajectory.times, trajectory.states
    n_runs = states.shape[2]
    out = {name: np.empty((n_runs, len(times))) for name in names}
    for s in range(0, len(times), block):
        part = slice(s, s + block)
        kept = {k: v[part] for k, v in trajectory.captured.items()}
        values = evaluate_outputs(model, times[part], states[part], params, trajectory.frozen, names, kept)
        for name, v in values.items():
            out[name][:, part] = v.T
    return out
