"""Ensembles: N parameter sets integrated together as one vectorised system.

Parameters become arrays of shape (N,) and flow through the same equation functions
as a single run, so an ensemble costs one integration, not N. With a fixed step the
result is identical, bit for bit, to N single runs.

:func:`run_adaptive` integrates every member on its own adaptive step instead (scipy's
RK45 pair, in compiled code over the plan's kernel), so that each member agrees with
an adaptive single run of its parameters to the solver's tolerance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
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
    plan = model.plan
    if trajectory.captured and all(name in trajectory.captured or name in plan.state_index for name in names):
        # nothing to evaluate (the kernel kept every variable asked for): each output is
        # a copy, run by run
        values = evaluate_outputs(model, times, states, params, trajectory.frozen, names, trajectory.captured)
        return {name: np.ascontiguousarray(v.T) for name, v in values.items()}
    out = {name: np.empty((n_runs, len(times))) for name in names}
    for s in range(0, len(times), block):
        part = slice(s, s + block)
        kept = {k: v[part] for k, v in trajectory.captured.items()}
        values = evaluate_outputs(model, times[part], states[part], params, trajectory.frozen, names, kept)
        for name, v in values.items():
            out[name][:, part] = v.T
    return out


# ---------------------------------------------------------------------- adaptive members
# Each member integrated on its own, with its own step size, by the compiled step of
# scipy's RK45 that single runs take (.rk45: the same tableau, error norm, step-size
# control and quartic dense output; log space for positive stocks), over the plan's
# kernel. A shared step for the batch would let the fastest member set everyone's step;
# per member, an ensemble member is the adaptive single run, up to the solver's tolerance.
ADAPTIVE_MEMBERS = """
from aiscale.stocks_flows.rk45 import P as PD  # scipy's RK45 dense output, defined once


@njit(cache=True, error_model='numpy', nogil=True, _nrt=False)
def _save(OUT, s, m, z, K, h, x, is_log):
    # the quartic dense output of the step at fraction x of it, as states (the powers
    # of x multiplied out, as x ** k would)
    x2 = x * x
    x3 = x2 * x
    x4 = x2 * x2
    for i in range(z.shape[0]):
        c1 = c2 = c3 = c4 = 0.0
        for j in range(7):
            k = K[j, i]
            c1 += k * PD[j, 0]
            c2 += k * PD[j, 1]
            c3 += k * PD[j, 2]
            c4 += k * PD[j, 3]
        v = z[i] + h * (((c1 * x + c2 * x2) + c3 * x3) + c4 * x4)
        OUT[s, i, m] = np.exp(v) if is_log[i] else v


@njit(cache=True, error_model='numpy', nogil=True)
def adaptive_members(t0, t1, t_pause, save_t, Y0, P, OUT, ATOL, log_rows, linear_rows, positive_rows, log_max,
                     log_rate, RTOL, h_max, bps, max_steps, stop_time, event_time, event_kind, steps, rejected,
                     at_t, at_z, at_h, at_s):
    # event_kind: 0 none, 1 blow-up (indicator crossed), 2 step size vanished, 3 too many steps.
    # A member stops stepping at the first accepted step that reaches t_pause (< t1) and
    # leaves its solver state in at_t, at_z, at_h, at_s (next saved time); at_s = -1:
    # start at t0, -2: done. A paused member goes on from there when called again,
    # exactly as if it had not paused.
    n, N = Y0.shape
    T = save_t.shape[0]
    is_log = np.zeros(n, dtype=np.bool_)
    for r in log_rows:
        is_log[r] = True
    one = np.ones(1, dtype=np.bool_)
    # one member's working arrays, each contiguous
    y = np.empty((n, 1))
    dy = np.empty((n, 1))
    V = np.empty((V_ROWS, 1))
    g = np.empty(1)
    tmp = np.empty((2, log_rows.shape[0]))
    K = np.empty((7, n))
    z = np.empty(n)
    z_new = np.empty(n)
    ytmp = np.empty(n)
    atol = np.empty(n)
    total = 0
    for m in range(N):
        if at_s[m] == -2:
            continue
        W = (P[:, m:m + 1], y, dy, V, one, log_rows, linear_rows, positive_rows, log_max, log_rate, g, tmp)
        for i in range(n):
            atol[i] = ATOL[i, m]
        if at_s[m] == -1:
            for i in range(n):
                z[i] = np.log(Y0[i, m]) if is_log[i] else Y0[i, m]
            t = t0
            s = 0
            while s < T and save_t[s] <= t0:
                for i in range(n):
                    OUT[s, i, m] = Y0[i, m]
                s += 1
            stop_time[m] = t1
            h = min(h_max, 0.01 * (t1 - t0))
            count = 0
        else:  # where it paused: the same state and step as it had there
            for i in range(n):
                z[i] = at_z[i, m]
            t, h, s, count = at_t[m], at_h[m], at_s[m], steps[m]
        solver_rates(t, z, K[0], True, np.inf, W)
        g_old = g[0]
        total += 1
        if at_s[m] == -1 and g_old >= 0:
            event_kind[m], event_time[m], stop_time[m] = 1, t0, t0
        b = 0
        while b < bps.shape[0] and bps[b] <= t:
            b += 1
        while event_kind[m] == 0 and t < t1 and t < t_pause:
            seg_end = bps[b] if b < bps.shape[0] and bps[b] < t1 else t1
            ok, t_new, h, nfev = rk45_step(t, z, h, seg_end, seg_end if seg_end < t1 else np.inf, h_max, RTOL,
                                           atol, K, ytmp, z_new, W)
            total += nfev
            attempts = nfev // 6  # (six evaluations an attempt)
            count += attempts
            rejected[m] += attempts - 1 if ok else attempts
            if not ok:
                event_kind[m], event_time[m], stop_time[m] = 2, t, t
                break
            g_new = g[0]
            step = t_new - t
            crossed = g_old < 0 <= g_new
            t_end = t_new
            if crossed:
                frac = g_old / (g_old - g_new) if np.isfinite(g_new) else 1.0
                t_end = t + step * min(max(frac, 0.0), 1.0)
            while s < T and save_t[s] <= t_end + 1e-12 * max(1.0, abs(t_end)):
                _save(OUT, s, m, z, K, step, (min(save_t[s], t_new) - t) / step, is_log)
                s += 1
            if crossed:
                event_kind[m], event_time[m], stop_time[m] = 1, t_end, t_end
                _save(OUT, T - 1, m, z, K, step, (t_end - t) / step, is_log)  # the state at the event
                for i in range(n):
                    z[i] = np.log(OUT[T - 1, i, m]) if is_log[i] else OUT[T - 1, i, m]
                break
            t = t_new
            for i in range(n):
                z[i] = z_new[i]
                K[0, i] = K[6, i]
            g_old = g_new
            if t == seg_end and seg_end < t1:  # a breakpoint: the right-hand side changes here
                b += 1
                solver_rates(t, z, K[0], True, np.inf, W)
                g_old = g[0]
                total += 1
            if count >= max_steps and t < t1:
                event_kind[m], event_time[m], stop_time[m] = 3, t, t
        steps[m] = count
        if event_kind[m] == 0 and t < t1:  # paused
            for i in range(n):
                at_z[i, m] = z[i]
            at_t[m], at_h[m], at_s[m] = t, h, s
            continue
        at_s[m] = -2
        for q in range(s, T):  # stopped early: hold the state where it stopped
            for i in range(n):
                OUT[q, i, m] = np.exp(z[i]) if is_log[i] else z[i]
    return total
"""

EVENT_KINDS = {1: ("blow-up", ""), 2: ("singularity", "the step size shrank to zero"),
               3: ("watchdog", "too many steps")}


def adaptive_loop(model: Model) -> Any:
    """The compiled per-member adaptive loop over ``model``'s kernel (generated once per
    kernel and cached on disk with it)."""
    from .compile import _load_cached

    kernel = model.plan.kernel
    if kernel is None:
        raise ValueError("adaptive ensembles need the JIT kernel (numba, and AISCALE_JIT not 0)")
    source = "\n".join([
        f"# generated by aiscale from model {model.plan.model_name!r}: adaptive RK45 member by member",
        "import numpy as np",
        "from numba import njit",
        f"from {kernel.rk45_module.__name__} import rk45_step, solver_rates",
        ADAPTIVE_MEMBERS.replace("V_ROWS", str(max(len(kernel.variables), 1))),
    ]) + "\n"
    return _load_cached(source).adaptive_members


def run_adaptive(model: Model, parameter_sets: pd.DataFrame | Mapping[str, Sequence[float]],
                 start: float, stop: float, *, saveper: float = 0.25, rtol: float = 1e-4,
                 max_step: float = 2.0, blowup: BlowUp | None = None, outputs: Sequence[str] = (),
                 max_steps: int = 50_000, breakpoints: Sequence[float] = (), linear_rtol: float | None = None,
                 screen: Callable[[np.ndarray, dict[str, np.ndarray], np.ndarray], np.ndarray] | None = None,
                 screen_until: float | None = None, screen_outputs: Sequence[str] = ()) -> dict[str, Any]:
    """Every row of ``parameter_sets`` integrated on its own adaptive step (RK45 with
    relative tolerance ``rtol``, positive stocks in log space, absolute tolerances as a
    single run's), in compiled code: ``times`` (T,), each of ``outputs`` as (N, T),
    ``stop_time`` and ``blowup_time`` (N,; NaN: ran through), ``steps`` (N,) and
    ``events``. A member that blows up is held at its state at the blow-up.

    ``screen``: every member is first integrated only until ``screen_until`` (its
    first step that reaches it); ``screen(times, values, stop_time)`` gets the saved
    times up to then and ``screen_outputs`` over them (N, k), and returns which members
    go on (bool, (N,)). Those continue from where they paused, step for step as a single
    pass would take them (the same solver state, step size and saved points), and only
    they are returned (``kept``: their indices; the per-member results are theirs)."""
    from .integrate import save_times
    from .simulate import evaluate_outputs, prepare

    columns = {k: np.asarray(v, dtype=float) for k, v in dict(parameter_sets).items()}
    n = len(next(iter(columns.values()))) if columns else 1
    params, n = prepare(model, columns, n)
    plan = model.plan
    kernel = plan.kernel
    loop = adaptive_loop(model)
    y0, frozen = plan.initial_state(params, start, n)
    bps = {float(b) for b in breakpoints}
    if plan.switches or plan.switch_names:
        with np.errstate(all="ignore"):
            at_start = plan.evaluate(start, y0, params, frozen)
        bps |= set(plan.breakpoints(at_start, start, stop))
    P = kernel.input_matrix(plan.static_values(params, frozen), n)
    times = save_times(start, stop, saveper)
    out = np.empty((len(times), len(plan.state_names), n))
    positive = np.flatnonzero(plan.positive)
    with np.errstate(all="ignore"):
        lin = rtol if linear_rtol is None else linear_rtol
        atol = np.where(plan.positive[:, None], rtol, lin * np.maximum(np.abs(y0), 1e-6))
        rtols = np.where(plan.positive, rtol, lin)
        # a positive stock at zero cannot go to log space (single runs refuse it too)
        if (y0[positive] <= 0).any():
            bad = [plan.state_names[i] for i in positive if (y0[i] <= 0).any()]
            raise ValueError(f"stocks declared positive start at or below zero: {', '.join(bad)}")
    blowup = blowup or BlowUp()
    log_max, log_rate = blowup._log_bounds
    stop_time, event_time = np.empty(n), np.full(n, np.nan)
    kind, steps, rejected = (np.zeros(n, dtype=np.int64) for _ in range(3))
    at = {"t": np.empty(n), "z": np.empty((len(plan.state_names), n)), "h": np.empty(n),
          "s": np.full(n, -1, dtype=np.int64)}
    y0, atol = np.ascontiguousarray(y0), np.ascontiguousarray(atol)
    settings = (positive.astype(np.uint64), np.flatnonzero(~plan.positive).astype(np.uint64),
                positive.astype(np.int64), float(log_max),
                np.nan if log_rate is None else float(log_rate), rtols, float(max_step),
                np.array(sorted(bps), dtype=float), int(max_steps))

    def integrate(until: float) -> int:  # (the members' arrays as they are bound when called)
        return loop(float(start), float(stop), float(until), times, y0, P, out, atol, *settings, stop_time,
                    event_time, kind, steps, rejected, at["t"], at["z"], at["h"], at["s"])

    kept = np.arange(n)
    screening = screen is not None and screen_until is not None and start < screen_until < stop
    if screening:
        nfev = integrate(screen_until)
        k = int(np.searchsorted(times, screen_until, side="right"))  # saved by every member by now
        early = list(dict.fromkeys(screen_outputs))
        values = evaluate_outputs(model, times[:k], out[:k], params, frozen, early,
                                  kernel.capture(times[:k], out[:k], P, early))
        go_on = np.asarray(screen(times[:k], {name: np.ascontiguousarray(v.T) for name, v in values.items()},
                                  stop_time.copy()), dtype=bool)
        kept = np.flatnonzero(go_on)
        n = len(kept)
        params, frozen = _members(params, kept), _members(frozen, kept)
        P, out, atol = np.asfortranarray(P[:, kept]), np.ascontiguousarray(out[:, :, kept]), atol[:, kept].copy()
        stop_time, event_time, kind, steps, rejected = (a[kept].copy() for a in (stop_time, event_time, kind, steps,
                                                                                  rejected))
        at = {key: np.ascontiguousarray(v[..., kept]) for key, v in at.items()}
        y0 = np.ascontiguousarray(y0[:, kept])
        nfev += integrate(stop)
    else:
        nfev = integrate(stop)
    names = list(dict.fromkeys(outputs))
    captured = kernel.capture(times, out, P, names)
    values = evaluate_outputs(model, times, out, params, frozen, names, captured)
    events = [Event(EVENT_KINDS[k][0], float(event_time[m]), EVENT_KINDS[k][0], int(kept[m]), EVENT_KINDS[k][1])
              for m, k in enumerate(kind) if k]
    return {"times": times, "values": {name: np.ascontiguousarray(v.T) for name, v in values.items()},
            "stop_time": stop_time, "blowup_time": event_time, "steps": steps, "rejected": rejected, "nfev": int(nfev),
            "events": events, "kept": kept}


def _members(values: Mapping[str, Any], keep: np.ndarray) -> dict[str, Any]:
    """Per-member values (last axis: members) of the members ``keep``; scalars as they are."""
    return {k: np.asarray(v)[..., keep] if np.ndim(v) else v for k, v in values.items()}
