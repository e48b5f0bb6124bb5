"""The integrators: fixed-step Euler/RK4 with system-dynamics semantics, and adaptive
scipy solvers stepped one step at a time so that events, breakpoints, blow-ups and
stalls are handled here rather than lost inside ``solve_ivp``.

Every run is an ensemble of N members (a single run has N = 1): parameters are
arrays of shape (N,), states have shape (n_states, N), and the same equation
functions are evaluated once per step for all members. A member that hits a
terminal event is frozen (its derivatives become zero) and the others go on; the
run stops when every member is frozen.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import rk45
from .blocked import BLOCK
from .events import BlowUp, Event, Threshold
from .settings import ADAPTIVE, FIXED, FixedStep, RunSettings

ADAPTIVE_METHODS = ADAPTIVE  # scipy.integrate's solvers of these names
FIXED_METHODS = FIXED


def _solver_class(method: str) -> Any:
    """scipy's solver ``method`` (imported when first needed: scipy.integrate takes a
    while to import, and RK45 runs of compiled models do not use it)."""
    from scipy import integrate
    return getattr(integrate, method)


class _Watchdog(Exception):
    pass


@dataclass
class Trajectory:
    """Raw integration output: saved times and states, and what happened."""

    times: np.ndarray                      # (T,)
    states: np.ndarray                     # (T, n_states, N)
    stop_time: np.ndarray                  # (N,) time each member stopped (the end if it ran through)
    events: list[Event] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    run: RunSettings | None = None                 # how it was integrated
    frozen: dict[str, Any] = field(default_factory=dict)  # values frozen at the start (INITIAL)
    captured: dict[str, np.ndarray] = field(default_factory=dict)  # variables at the saved states, (T, N)


def save_times(start: float, stop: float, saveper: float) -> np.ndarray:
    n = int(round((stop - start) / saveper))
    if not np.isclose(start + n * saveper, stop, rtol=0, atol=1e-9 * max(1.0, abs(stop))):
        raise ValueError(f"stop - start = {stop - start:g} is not a whole number of saveper = {saveper:g}")
    return start + saveper * np.arange(n + 1)


class _KernelValues(Mapping):
    """Every variable of a kernel evaluation: dynamic ones from its ``V`` rows, the
    rest (parameters, frozen values, equations of parameters) from ``base``, states
    from ``y``."""

    def __init__(self, kernel, V: np.ndarray, base: dict, y: np.ndarray, t: float,
                 blowup: np.ndarray | None = None):
        self.kernel, self.V, self.base, self.y, self.t = kernel, V, base, y, t
        self.blowup = blowup  # the blow-up indicator, when the kernel computed it

    def __getitem__(self, name: str) -> Any:
        i = self.kernel.variable_index.get(name)
        if i is not None:
            return self.V[i]
        j = self.kernel.plan.state_index.get(name)
        if j is not None:
            return self.y[j]
        if name == "time":
            return self.t
        return self.base[name]

    def __iter__(self):
        return iter([*self.kernel.variables, *self.kernel.plan.state_names, *self.base])

    def __len__(self) -> int:
        return len(self.kernel.variables) + len(self.kernel.plan.state_names) + len(self.base)


class _System:
    """The right-hand side and event indicators for N members at once, evaluated by
    the plan's JIT-compiled kernel where it has one, else by its numpy code.

    The last right-hand-side evaluation is remembered: the event indicators at the end
    of an adaptive step reuse the evaluation the solver made there (RK45, RK23 and
    DOP853 evaluate f at the new point as their "first same as last" stage), and a new
    solver after a breakpoint reuses the one at the segment's start, so events cost no
    extra model evaluations.
    """

    def __init__(self, plan, params, fixed, n, blowup, thresholds, log_mask, limits):
        self.plan, self.params, self.fixed, self.n = plan, params, fixed, n
        self.kernel = plan.kernel
        if self.kernel is None:
            self.evaluate = plan.evaluator(params, fixed)  # (integrate ignores floating-point warnings)
        else:
            self.base = plan.static_values(params, fixed)
            self.P = self.kernel.input_matrix(self.base, n)
            self._positive_rows = np.flatnonzero(plan.positive)
            self._solver_rhs = self.kernel.solver_rhs
            self._scratch = (np.empty((len(plan.state_names), n)), np.empty((len(plan.state_names), n)),
                             np.empty((len(self.kernel.variables), n)))
            log_max, log_rate = blowup._log_bounds
            self._log_max, self._log_rate = float(log_max), np.nan if log_rate is None else float(log_rate)
        self.blowup, self.thresholds = blowup, list(thresholds)
        # which crossings count, per event: rising (direction 1 or 0), falling (-1 or 0)
        self.want_up = np.array([spec.direction != -1 for spec in self.specs])[:, None]
        self.want_down = np.array([spec.direction != 1 for spec in self.specs])[:, None]
        self.log_mask = log_mask                      # (n_states,) integrate ln(S)
        self.log_rows = np.flatnonzero(log_mask)
        self.active = np.ones(n, dtype=bool)
        if self.kernel is not None:  # the kernel's solver_rhs: its working arrays and settings (P ... log_rate)
            y, dy, V = self._scratch
            log_space = np.asarray(log_mask, dtype=bool)
            self.solver_work = (self.P, y, dy, V, self.active, np.flatnonzero(log_space).astype(np.uint64),
                                np.flatnonzero(~log_space).astype(np.uint64), self._positive_rows, self._log_max,
                                self._log_rate)
            self._rates_tmp = np.empty((2, len(self.log_rows)))
        self.nfev = 0
        self.max_evaluations, self.max_seconds = limits.max_evaluations, limits.max_seconds
        self.started = _time.perf_counter()
        self.segment_end = np.inf
        self._last: tuple | None = None  # the last evaluation: (t, z, active, y, ns, dy, dz), or
        # (t, z, active, None, dz, blow-up indicator) from the kernel (y, dy, V in _scratch)

    def to_states(self, z: np.ndarray) -> np.ndarray:
        y = z.reshape(-1, self.n).copy()
        if len(self.log_rows):
            y[self.log_rows] = np.exp(y[self.log_rows])
        return y

    def to_solver(self, y: np.ndarray) -> np.ndarray:
        z = y.copy()
        if len(self.log_rows):
            z[self.log_rows] = np.log(y[self.log_rows])
        return z

    def _clock(self, t: float) -> float:
        if t >= self.segment_end:
            # At a breakpoint the segment ending there sees the left limit, so a pulse
            # ending at b does not lose its last stage to the regime after b.
            return np.nextafter(self.segment_end, -np.inf)
        return t

    def charge(self, evaluations: int = 1) -> None:
        """Count right-hand-side evaluations; past a limit, stop the run (the watchdog)."""
        self.nfev += evaluations
        if self.nfev > self.max_evaluations:
            raise _Watchdog(f"more than {self.max_evaluations} right-hand-side evaluations")
        if (self.max_seconds is not None and (evaluations > 1 or not self.nfev & 15)
                and _time.perf_counter() - self.started > self.max_seconds):
            raise _Watchdog(f"more than {self.max_seconds:g} s of wall time")

    def state_derivatives(self, t: float, y: np.ndarray) -> tuple[Mapping, np.ndarray]:
        self.charge()
        t = self._clock(t)
        if self.kernel is not None:
            dy, V = np.empty_like(y), np.empty((len(self.kernel.variables), self.n))
            self.kernel.derivatives(t, y, self.P, dy, V, self.active)
            return _KernelValues(self.kernel, V, self.base, y, t), dy
        ns = self.evaluate(t, y)
        dy = self.plan.derivatives(ns, y)
        if not self.active.all():
            dy[:, ~self.active] = 0.0
        return ns, dy

    def evaluate_solver_state(self, t: float, z: np.ndarray) -> tuple:
        """States, every variable, d(state)/dt and d(solver variable)/dt at the solver's
        ``(t, z)``; reused when the same point was evaluated last."""
        last = self._last
        clock = self._clock(t)
        if (last is not None and last[0] == clock and (last[1] is z or np.array_equal(last[1], z))
                and np.array_equal(last[2], self.active)):
            if len(last) == 6:  # a kernel evaluation: its variables, when asked for
                y, dy, V = self._scratch
                if self.kernel.pruned:  # the solver's evaluation left out the output-only ones
                    self.kernel.derivatives(clock, y, self.P, dy, V, self.active)
                ns = _KernelValues(self.kernel, V, self.base, y, clock, last[5])
                return y, ns, dy, last[4]
            return last[3:]
        if self.kernel is not None:
            self._kernel_rhs(t, z)
            return self.evaluate_solver_state(t, z)
        else:
            y = self.to_states(z)
            ns, dy = self.state_derivatives(t, y)
            dz = dy.copy()  # the remembered evaluation keeps d(state)/dt
            if len(self.log_rows):
                dz[self.log_rows] = dy[self.log_rows] / y[self.log_rows]
            # A non-finite derivative would poison the solver; the blow-up indicator
            # reports it, so give the solver a finite value here.
            if not np.isfinite(dz).all():
                np.nan_to_num(dz, copy=False, nan=0.0, posinf=1e300, neginf=-1e300)
        self._last = (self._clock(t), np.array(z, copy=True), self.active.copy(), y, ns, dy, dz)
        return y, ns, dy, dz

    def rhs(self, t: float, z: np.ndarray) -> np.ndarray:
        if self.kernel is not None:
            return self._kernel_rhs(t, z)
        return self.evaluate_solver_state(t, z)[3].ravel()

    def _kernel_rhs(self, t: float, z: np.ndarray) -> np.ndarray:
        """d(solver variable)/dt by the kernel, the solver's hot path: y, dy and the
        variables go to scratch buffers, valid until the next evaluation (all that
        the remembered evaluation is used for); dz and the blow-up indicator are kept."""
        if t >= self.segment_end:
            t = self._clock(t)
        self.charge()
        dz = np.empty(z.size)
        g = np.empty(self.n)
        self._solver_rhs(t, np.ascontiguousarray(z, dtype=float), dz, True, np.inf, *self.solver_work, g,
                         self._rates_tmp)
        self._last = (t, z, self.active.copy(), None, dz, g)
        return dz

    def indicators(self, t: float, y: np.ndarray) -> np.ndarray:
        """(n_events, N): event functions; a sign change is a crossing."""
        ns, dy = self.state_derivatives(t, y)
        return self._indicators(ns, y, dy)

    def solver_indicators(self, t: float, z: np.ndarray) -> np.ndarray:
        """:meth:`indicators` at the solver's ``(t, z)``, reusing its last evaluation."""
        last = self._last
        if (not self.thresholds and last is not None and len(last) == 6 and last[1] is z
                and last[0] == self._clock(t) and np.array_equal(last[2], self.active)):
            return last[5][None, :]  # the kernel's blow-up indicator: the only event
        y, ns, dy, _ = self.evaluate_solver_state(t, z)
        return self._indicators(ns, y, dy)

    def _indicators(self, ns: Mapping, y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        rows = [th.indicator(ns, y) for th in self.thresholds]
        g = getattr(ns, "blowup", None)  # computed by the kernel with the evaluation
        rows.append(g if g is not None else self.blowup.indicator(ns, y, dy, self.plan.positive))
        return np.array(rows, dtype=float)

    @property
    def specs(self) -> list:
        return [*self.thresholds, self.blowup]



def _crossings(system: _System, g_old: np.ndarray, g_new: np.ndarray) -> list[tuple[int, int]]:
    """(event, member) pairs whose indicator crossed in its direction between two
    evaluations ((n_events, N) arrays), for active members, in event then member order."""
    if g_new.shape == (1, 1):  # one event (the blow-up), one member: the usual case
        if not (g_old[0, 0] < 0 <= g_new[0, 0] and system.active[0]):
            return []
        return [(0, 0)]
    crossed = (((g_old < 0) & (g_new >= 0) & system.want_up)
               | ((g_old > 0) & (g_new <= 0) & system.want_down)) & system.active
    if not crossed.any():  # the usual case
        return []
    return [(int(e), int(m)) for e, m in zip(*np.nonzero(crossed))]


def _event(spec, t: float, member: int) -> Event:
    kind = "blow-up" if isinstance(spec, BlowUp) else "threshold"
    return Event(spec.label, float(t), kind, member)


def integrate(plan, params: dict, fixed: dict, y0: np.ndarray, run: RunSettings,
              thresholds: list[Threshold], blowup: BlowUp, breakpoints: list[float],
              outputs: list[str] = ()) -> Trajectory:
    """Integrate from ``y0`` (shape (n_states, N)) as ``run`` says. After the compiled
    fixed-step loop, the kernel computes the variables ``outputs`` at the saved states
    (``Trajectory.captured``); other paths leave them to be evaluated afterwards."""
    n = y0.shape[1]
    solver = run.solver
    # stocks declared logarithmic are stepped in logs by every solver but Euler, which
    # keeps Vensim's arithmetic (what PySD and pysimlin reproduce from an export)
    declared = plan.logarithmic if solver.method != "euler" else False
    log_mask = plan.positive & (solver.log_space | declared)
    if log_mask.any() and (y0[log_mask] <= 0).any():
        bad = [plan.state_names[i] for i in np.flatnonzero(log_mask) if (y0[i] <= 0).any()]
        raise ValueError(f"stocks declared positive start at or below zero: {', '.join(bad)}")
    if plan.pipelines and not run.fixed:
        raise ValueError(f"DELAY FIXED {plan.pipelines[0].name!r} is a pipeline of whole time steps: "
                         "run it with a fixed-step method (method='euler' or 'rk4' with dt)")
    # Overflow, 0/0 and the like are expected on the way to a blow-up, which the events
    # report: floating-point warnings are off for the whole integration (set once here
    # rather than around every evaluation).
    with np.errstate(all="ignore"):
        system = _System(plan, params, fixed, n, blowup, thresholds, log_mask, run.limits)
        if isinstance(solver, FixedStep):
            trajectory = _fixed_step(system, y0, run.start, run.stop, solver.dt, run.saveper,
                                     solver.method, outputs=outputs)
        elif not plan.state_names:  # nothing to integrate: evaluate at the saved times
            trajectory = _fixed_step(system, y0, run.start, run.stop, run.saveper, run.saveper,
                                     "euler", exact_events=True)
            trajectory.stats.update(method=solver.method, rtol=solver.rtol)
        else:
            trajectory = _adaptive(system, y0, run.start, run.stop, run.saveper, solver.method,
                                   solver.rtol, solver.atol, solver.max_step, breakpoints)
        _name_blowup_culprits(system, trajectory)
    trajectory.run = run
    trajectory.frozen = fixed
    return trajectory


def _name_blowup_culprits(system: _System, trajectory: Trajectory) -> None:
    """Say in each blow-up event which stock tripped the bound, from the member's last state."""
    pending = [k for k, e in enumerate(trajectory.events) if e.kind == "blow-up" and not e.detail]
    if not pending:
        return
    y = trajectory.states[-1]
    system.active[:] = True  # frozen members' derivatives are zeroed; look at the real ones
    system.max_evaluations += 1
    try:
        _, dy = system.state_derivatives(float(trajectory.stop_time.min()), y)
    except _Watchdog:
        return
    for k in pending:
        e = trajectory.events[k]
        detail = system.blowup.culprit(y[:, e.run], dy[:, e.run], system.plan.positive, system.plan.state_names)
        trajectory.events[k] = Event(e.name, e.time, e.kind, e.run, detail)


# ---------------------------------------------------------------------- fixed step
def _fixed_step(system: _System, y0, start, stop, dt, saveper, method, exact_events=False,
                outputs: list[str] = ()) -> Trajectory:
    """Euler or RK4 at a fixed ``dt``. With log rows (``log_space="always"``) the
    logarithm of positive stocks is stepped instead of the stocks themselves: exact for
    pure exponential growth, and a fast collapse cannot overshoot below zero.

    DELAY FIXED outputs are states that move once per step, to the input recorded
    whole steps earlier (held during RK4's stages). ``exact_events``: locate event
    crossings exactly (a model without stocks, whose variables are known at any time)."""
    steps = int(round((stop - start) / dt))
    per_save = int(round(saveper / dt))
    if not np.isclose(per_save * dt, saveper, rtol=1e-9):
        raise ValueError(f"saveper {saveper:g} must be a whole multiple of dt {dt:g}")
    save_at = save_times(start, start + steps * dt, per_save * dt)
    plan, n = system.plan, system.n
    out = np.empty((len(save_at), len(plan.state_names), n))
    stop_time = np.full(n, start + steps * dt)
    events: list[Event] = []
    to_z, to_y, rate = _fixed_step_space(system.log_rows)
    y = y0.copy()
    z = to_z(y)
    g_old = None
    last_saved = -1

    def f(t, zz):
        yy = to_y(zz)
        return rate(yy, system.state_derivatives(t, yy)[1])

    clamp = plan.non_negative & ~system.log_mask
    clamp = clamp if clamp.any() else None
    pipes = _Pipelines(plan, y0, steps, dt) if plan.pipelines else None
    check_varying_stages = any(name in plan.varying for _, name in plan.stage_times)
    if (system.kernel is not None and not system.thresholds and pipes is None
            and not check_varying_stages and not exact_events):
        return _compiled_fixed_step(system, y0, start, dt, steps, per_save, save_at, method, clamp, out,
                                    stop_time, outputs)
    for k in range(steps + 1):
        t = start + k * dt
        ns, dy = system.state_derivatives(t, y)
        if k == 0 or check_varying_stages:
            plan.check_stages(ns, dt, t, only_varying=k > 0)
        if pipes is not None:
            if k == 0:
                pipes.start(ns)
            pipes.record(k, ns)
        g = np.array([*(th.indicator(ns, y) for th in system.thresholds),
                      system.blowup.indicator(ns, y, dy, plan.positive)])
        if g_old is not None:
            for e, m in _crossings(system, g_old, g):
                spec = system.specs[e]
                te = _interpolate(t - dt, dt, g_old[e, m], g[e, m])
                if exact_events:
                    te = _root(lambda tt: float(system.indicators(tt, y)[e, m]), t - dt, t, te)
                events.append(_event(spec, te, m))
                if spec.terminal:
                    system.active[m] = False
                    stop_time[m] = t
        else:  # already past a blow-up bound at the start
            for m in np.flatnonzero(g[-1] >= 0):
                events.append(_event(system.blowup, t, m))
                system.active[m] = False
                stop_time[m] = t
        g_old = g
        if k % per_save == 0:
            last_saved = k // per_save
            out[last_saved] = y
        if k == steps or not system.active.any():
            break
        k1 = rate(y, dy)
        if method == "euler":
            z_new = z + dt * k1
        else:
            k2 = f(t + dt / 2, z + dt / 2 * k1)
            k3 = f(t + dt / 2, z + dt / 2 * k2)
            k4 = f(t + dt, z + dt * k3)
            z_new = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if clamp is not None:
            z_new[clamp] = np.maximum(z_new[clamp], 0.0)
        if pipes is not None:
            pipes.advance(k + 1, z_new)
        y_new = to_y(z_new)
        finite = np.isfinite(y_new).all(axis=0)
        if not finite.all():
            bad = ~finite & system.active
            for m in np.flatnonzero(bad):
                events.append(Event("blow-up", t + dt, "blow-up", m, "a state became non-finite"))
                stop_time[m] = t + dt
            system.active &= ~bad
        if system.active.all():
            z, y = z_new, y_new
        else:
            z, y = np.where(system.active, z_new, z), np.where(system.active, y_new, y)
    out[last_saved + 1:] = y  # members all stopped early: hold their final state
    stats = {"method": method, "dt": dt, "nfev": system.nfev, "steps": k, "status": "completed",
             "log_space_states": [plan.state_names[i] for i in system.log_rows]}
    return Trajectory(save_at, out, stop_time, events, stats)


FIXED_STEP_BLOCK = BLOCK  # members a compiled fixed-step loop integrates together (see below)


def _compiled_fixed_step(system: _System, y0, start, dt, steps, per_save, save_at, method, clamp, out,
                         stop_time, outputs) -> Trajectory:
    """:func:`_fixed_step` as one call of the kernel's compiled loop (no threshold events,
    pipelines or varying stage times: the blow-up indicator is the only event); the
    kernel's variables among ``outputs`` are kept by the block loop at the saves, or
    computed at the saved states after the one-member loop, with the same math."""
    plan, n = system.plan, system.n
    ns, _ = system.state_derivatives(start, y0)
    plan.check_stages(ns, dt, start)
    event_k = np.full(n, -1, dtype=np.intp)
    event_phase = np.zeros(n, dtype=np.intp)
    g0, g1 = np.zeros(n), np.zeros(n)
    active, P = system.active, system.P
    clamp_rows = np.flatnonzero(clamp) if clamp is not None else np.zeros(0, dtype=np.intp)
    # Members are independent: integrated a block at a time, their working arrays stay
    # in the core's cache (the loop over time runs per block; the same arithmetic).
    # Ensembles of a block or more compute each block's right-hand side together, with
    # vector math (.blocked), the last block padded with stopped copies of its first member.
    together = n >= BLOCK
    size = BLOCK if together else FIXED_STEP_BLOCK
    kernel = system.kernel
    # the outputs: kept by the block loop at the saves, computed afterwards from the saved
    # states otherwise, with the same math and at the same times (the loop's t0 + k dt)
    kept = [name for name in outputs if name in kernel.variable_index]
    outv = np.empty((len(save_at), len(kept), n))
    keep_rows = kernel.block_variable_rows[[kernel.variable_index[name] for name in kept]]
    k = nfev = 0
    for a in range(0, n, size):
        b = slice(a, min(a + size, n))
        arrays = [y0[:, b], P[:, b], out[:, :, b], active[b], event_k[b], event_phase[b], g0[b], g1[b], outv[:, :, b]]
        if together:
            arrays = _padded(arrays, BLOCK)
            arrays[1] = np.ascontiguousarray(arrays[1])  # P read row by row
        yb, Pb, outb, activeb, kb, phaseb, g0b, g1b, outvb = arrays
        common = (float(start), float(dt), steps, per_save, method == "rk4", yb, Pb, outb, system.log_rows,
                  clamp_rows, system._positive_rows, system._log_max, system._log_rate, activeb, kb, phaseb, g0b, g1b)
        if together:
            k_b, nfev_b = kernel.block_fixed_steps(*common, outvb, keep_rows)
        else:
            k_b, nfev_b = kernel.fixed_steps(*common)
        if together and b.stop - b.start < BLOCK:  # back from the padded copies
            m = b.stop - b.start
            for whole, part in zip((out, active, event_k, event_phase, g0, g1, outv),
                                   (outb, activeb, kb, phaseb, g0b, g1b, outvb)):
                whole[..., b] = part[..., :m]
        k, nfev = max(k, k_b), max(nfev, nfev_b)  # as if every block were evaluated together
    if together:
        captured = {name: outv[:, q] for q, name in enumerate(kept)}
    else:
        step_times = float(start) + (np.arange(len(save_at)) * per_save) * float(dt)
        captured = kernel.capture(step_times, out, P, kept, vector=True)
    system.nfev += nfev
    events: list[Event] = []
    for m in sorted(np.flatnonzero(event_k >= 0), key=lambda m: (event_k[m], event_phase[m], m)):
        t = start + event_k[m] * dt
        if event_phase[m] == 1:  # the state stopped being finite during the step
            events.append(Event("blow-up", t + dt, "blow-up", int(m), "a state became non-finite"))
            stop_time[m] = t + dt
            continue
        te = _interpolate(t - dt, dt, g0[m], g1[m]) if event_k[m] > 0 else t
        events.append(_event(system.blowup, te, int(m)))
        stop_time[m] = t
    stats = {"method": method, "dt": dt, "nfev": system.nfev, "steps": int(k), "status": "completed",
             "log_space_states": [plan.state_names[i] for i in system.log_rows]}
    return Trajectory(save_at, out, stop_time, events, stats, captured=captured)


def _padded(arrays: list[np.ndarray], size: int) -> list[np.ndarray]:
    """Copies of ``arrays`` (members on the last axis) with ``size`` members: the missing
    ones copies of the first member, stopped (``arrays[3]`` is ``active``)."""
    m = arrays[0].shape[-1]
    if m == size:
        return list(arrays)
    out = []
    for array in arrays:
        wide = np.empty(array.shape[:-1] + (size,), dtype=array.dtype, order="F" if array.ndim == 2 else "C")
        wide[..., :m] = array
        wide[..., m:] = array[..., :1]
        out.append(wide)
    out[3][m:] = False
    return out


class _Pipelines:
    """The DELAY FIXED pipelines of a fixed-step run: the input at every step start, and
    each member's delay in whole steps (read at the start, at least one step)."""

    def __init__(self, plan, y0: np.ndarray, steps: int, dt: float):
        self.plan, self.dt = plan, dt
        self.rows = plan.pipeline_rows
        self.inputs = [b.input for b in plan.pipelines]
        self.times = [b.delay_time for b in plan.pipelines]
        self.initial = y0[self.rows].copy()                           # (n_pipes, N)
        self.history = np.empty((steps + 1, len(self.rows), y0.shape[1]))
        self.lag = np.ones((len(self.rows), y0.shape[1]), dtype=np.intp)

    def start(self, ns: dict) -> None:
        n = self.initial.shape[1]
        for i, name in enumerate(self.times):
            delay = np.broadcast_to(np.asarray(ns[name], dtype=float), (n,))
            if not np.isfinite(delay).all() or (delay < 0).any():
                raise ValueError(f"DELAY FIXED {self.plan.pipelines[i].name!r}: delay time "
                                 f"{delay[~np.isfinite(delay) | (delay < 0)][0]!r} is not a "
                                 "finite number >= 0")
            self.lag[i] = np.maximum(np.floor(delay / self.dt + 0.5 + 1e-9), 1).astype(np.intp)

    def record(self, k: int, ns: dict) -> None:
        n = self.initial.shape[1]
        for i, name in enumerate(self.inputs):
            self.history[k, i] = np.broadcast_to(ns[name], (n,))

    def advance(self, k: int, z: np.ndarray) -> None:
        """Set the pipeline states for step ``k`` in ``z`` (solver states, not in log space)."""
        source = k - self.lag                                          # (n_pipes, N)
        ready = source >= 0
        idx = np.where(ready, source, 0)
        members = np.arange(self.initial.shape[1])
        for i in range(len(self.rows)):
            z[self.rows[i]] = np.where(ready[i], self.history[idx[i], i, members], self.initial[i])


def _root(g, t0: float, t1: float, guess: float) -> float:
    """The crossing of ``g`` between ``t0`` and ``t1`` (``guess`` if it cannot be bracketed)."""
    try:
        from scipy.optimize import brentq
        return float(brentq(g, t0, t1, xtol=1e-12 * max(1.0, abs(t1)), rtol=1e-12))
    except ValueError:
        return guess


def _fixed_step_space(log_rows: np.ndarray):
    """(to solver space, to states, d(solver)/dt from d(state)/dt): identities without
    log rows (so plain Euler/RK4 is exactly the Vensim/PySD arithmetic)."""
    if not len(log_rows):
        return (lambda y: y), (lambda z: z), (lambda y, dy: dy)

    def to_z(y):
        z = y.copy()
        z[log_rows] = np.log(y[log_rows])
        return z

    def to_y(z):
        y = z.copy()
        y[log_rows] = np.exp(z[log_rows])
        return y

    def rate(y, dy):
        dz = dy.copy()
        dz[log_rows] = dy[log_rows] / y[log_rows]
        return dz

    return to_z, to_y, rate


# ---------------------------------------------------------------------- adaptive
def _adaptive(system: _System, y0, start, stop, saveper, method, rtol, atol, max_step,
              breakpoints) -> Trajectory:
    n, n_states = system.n, y0.shape[0]
    save_at = save_times(start, stop, saveper)
    out = np.empty((len(save_at), n_states, n))
    out[0] = y0
    next_save = 1
    stop_time = np.full(n, stop)
    events: list[Event] = []
    atol_arr = _absolute_tolerances(system, y0, rtol, atol)
    bounds = sorted({b for b in breakpoints if start < b < stop} | {stop})
    z = system.to_solver(y0).ravel()
    t = start
    steps = 0
    status = "completed"
    g_old = system.solver_indicators(t, z)
    for m in np.flatnonzero(g_old[-1] >= 0):
        events.append(_event(system.blowup, t, m))
        system.active[m] = False
        stop_time[m] = t

    while t < stop and system.active.any():
        seg_end = next(b for b in bounds if b > t)
        system.segment_end = seg_end if seg_end < stop else np.inf
        if rk45.wanted(system, method):
            solver = rk45.CompiledRK45(system, t, z, seg_end, rtol, atol_arr, max_step)
        else:
            solver = _solver_class(method)(system.rhs, t, z, seg_end, rtol=rtol, atol=atol_arr,
                                           max_step=max_step)
        restart = False
        stalled = 0
        while solver.status == "running" and not restart:
            try:
                message = solver.step()
            except _Watchdog as err:
                message, solver.status = str(err), "watchdog"
            steps += 1
            if solver.status in ("failed", "watchdog"):
                kind = "watchdog" if solver.status == "watchdog" else _failure_kind(system, solver)
                status = kind
                for m in np.flatnonzero(system.active):
                    events.append(Event(kind, float(solver.t), kind, m, str(message)))
                    stop_time[m] = float(solver.t)
                system.active[:] = False
                t, z = float(solver.t), solver.y  # the last accepted state is held from here
                break
            t_old, t_new = float(solver.t_old), float(solver.t)
            stalled = stalled + 1 if t_new - t_old <= 8 * np.spacing(abs(t_new)) else 0
            if stalled > 50:  # LSODA's failure mode past a singularity: time stops advancing
                for m in np.flatnonzero(system.active):
                    events.append(Event("singularity", t_new, "singularity", m,
                                        "the step size shrank to zero (time stopped advancing)"))
                    stop_time[m] = t_new
                system.active[:] = False
                status = "singularity"
                t, z = t_new, solver.y
                break
            dense = _Lazy(solver.dense_output)  # built only if a crossing or a save needs it
            g_new = system.solver_indicators(t_new, solver.y)
            t_end, terminal_members = t_new, []
            crossings = []
            for e, m in _crossings(system, g_old, g_new):
                te = _locate(system, dense, e, m, t_old, t_new, g_old[e, m], g_new[e, m])
                crossings.append((te, system.specs[e], m))
            terminal = [c for c in crossings if c[1].terminal]
            if terminal:
                t_end = min(c[0] for c in terminal)
                terminal_members = [c[2] for c in terminal if c[0] <= t_end]
            for te, spec, m in sorted(crossings, key=lambda c: c[0]):
                if te <= t_end:
                    events.append(_event(spec, te, m))
            while next_save < len(save_at) and save_at[next_save] <= t_end + 1e-12 * max(1, abs(t_end)):
                out[next_save] = system.to_states(dense(min(save_at[next_save], t_new)))
                next_save += 1
            if terminal_members:
                z = dense(t_end) if t_end < t_new else solver.y
                for m in terminal_members:
                    system.active[m] = False
                    stop_time[m] = t_end
                t, restart = t_end, True
                g_old = system.solver_indicators(t, z)
            else:
                g_old = g_new
        if not restart and solver.status == "finished":
            t, z = float(solver.t), solver.y
    if next_save < len(save_at):  # stopped early: hold each member's final state
        out[next_save:] = system.to_states(z) if system.n else out[next_save - 1]
    stats = {"method": method, "rtol": rtol, "nfev": system.nfev, "steps": steps, "status": status,
             "log_space_states": [system.plan.state_names[i] for i in np.flatnonzero(system.log_mask)]}
    return Trajectory(save_at, out, stop_time, events, stats)


def _failure_kind(system: _System, solver) -> str:
    """Why a solver gave up: ``"singularity"`` when a state grows so fast that it
    would pass any bound within a few of the smallest steps time allows there (a
    finite-time blow-up), ``"solver-failure"`` otherwise (stiffness, a kink the method
    cannot step over): the model did not blow up, the method failed."""
    y, _, dy, _ = system.evaluate_solver_state(float(solver.t), solver.y)
    rows = system.plan.positive if system.plan.positive.any() else np.ones(len(y), dtype=bool)
    with np.errstate(all="ignore"):
        scale = np.abs(y[rows])
        rate = np.where(scale > 0, dy[rows] / scale, 0.0)
    fastest = float(np.nanmax(rate)) if rate.size else 0.0
    return "singularity" if fastest * np.spacing(max(abs(float(solver.t)), 1.0)) > 1e-8 else "solver-failure"


class _Lazy:
    """A solver's dense output, built on first call."""

    def __init__(self, build):
        self.build, self.function = build, None

    def __call__(self, t):
        if self.function is None:
            self.function = self.build()
        return self.function(t)


def _absolute_tolerances(system: _System, y0: np.ndarray, rtol: float, atol: Any) -> np.ndarray:
    """Per-state absolute tolerance: relative to each stock's own scale (stocks span 1e0
    to 1e40), and plain ``rtol`` on log-space states, where it is a relative error."""
    if atol is not None:
        a = np.broadcast_to(np.asarray(atol, dtype=float).reshape(-1, 1) if np.ndim(atol) else atol,
                            y0.shape)
        return np.array(a, dtype=float).ravel()
    # A stock starting at zero has no scale of its own yet: 1e-6 of a unit is the floor.
    scale = np.maximum(np.abs(y0).max(axis=1, keepdims=True), 1e-6)
    a = rtol * scale * np.ones_like(y0)
    a[system.log_mask] = rtol
    return np.maximum(a, 1e-300).ravel()


def _interpolate(t0: float, h: float, g0: float, g1: float) -> float:
    """Where an indicator going from ``g0`` at ``t0`` to ``g1`` at ``t0 + h`` crosses
    zero, linearly (the end when ``g1`` is not finite or equals ``g0``)."""
    frac = g0 / (g0 - g1) if np.isfinite(g1) and g0 != g1 else 1.0
    return t0 + h * float(np.clip(frac, 0.0, 1.0))


def _locate(system: _System, dense, e: int, m: int, t0: float, t1: float, g0: float, g1: float) -> float:
    """Crossing time of event ``e`` for member ``m``: exact (brentq on the dense output)
    for single runs, linear in time for ensembles (which share one step for all members)."""
    if not (np.isfinite(g0) and np.isfinite(g1)) or g0 == g1:
        return t1
    if system.n > 1:
        return _interpolate(t0, t1 - t0, g0, g1)

    return _root(lambda t: float(system.indicators(t, system.to_states(dense(t)))[e, m]), t0, t1, t1)
