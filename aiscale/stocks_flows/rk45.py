"""RK45 compiled with the model: the Dormand-Prince 5(4) pair stepped exactly as
``scipy.integrate.RK45`` steps it (the same tableau, error norm, step-size control,
minimum step, initial step and dense output), with each step's six stages run in
numba together with the model's JIT-compiled right-hand side.

scipy's RK45 spends most of an adaptive run of a compiled model in Python: its step
is numpy calls on short vectors, and each of the ~7.5 right-hand-side evaluations of
a step goes through three Python wrappers. :class:`CompiledRK45` has the interface of
scipy's ``OdeSolver`` that :func:`.integrate._adaptive` uses (``step``, ``status``,
``t``, ``t_old``, ``y``, ``dense_output``), so events, breakpoints, saves and the
watchdog are handled as for every other solver. Results agree with scipy's RK45 to
rounding (sums are taken in another order than BLAS takes them), step for step.

It is used for RK45 runs of models with a compiled kernel; ``AISCALE_SCIPY_RK45=1``
uses scipy's instead. The same compiled step (``rk45_step`` in :data:`STEP_SOURCE`)
integrates each member of an adaptive ensemble (:func:`.ensemble.run_adaptive`). Two
departures from scipy, both at the level of rounding or of failure: the exponentials of
log-space states are :func:`.runtime._vexp` (within 1 ulp of numpy's), and a step to a
state that is not finite is rejected instead of accepted.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# scipy.integrate._ivp.rk: RK45's coefficients and step-size control
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0
ERROR_EXPONENT = -1 / (4 + 1)  # error estimator of order 4
C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1])
A = np.array([
    [0, 0, 0, 0, 0],
    [1 / 5, 0, 0, 0, 0],
    [3 / 40, 9 / 40, 0, 0, 0],
    [44 / 45, -56 / 15, 32 / 9, 0, 0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]])
B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
E = np.array([-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
P = np.array([
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423]])

#: The compiled step, written into a module of its own beside a model's kernel, after
#: the right-hand side in the solver's variables (``solver_rates``, inlined: the body of
#: the kernel's ``solver_rhs``, see ``templates.SOLVER_RHS_SOURCE``): used by single runs
#: (:class:`CompiledRK45`) and, member by member, by adaptive ensembles
#: (:data:`.ensemble.ADAPTIVE_MEMBERS`).
STEP_SOURCE = """from aiscale.stocks_flows.rk45 import A, B, C, E


@njit(cache=True, error_model='numpy', nogil=True, _nrt=False, inline='always')
def _weighted(K, weights, k, out):
    # out = sum over the first k stages of K[j] x weights[j], in that order
    for i in range(out.shape[0]):
        out[i] = 0.0
    for j in range(k):
        w = weights[j]
        for i in range(out.shape[0]):
            out[i] += K[j, i] * w


# (without NRT: the arrays are the caller's, and reference counting the working
# arrays at each inlined evaluation cost about a tenth of the run)
@njit(cache=True, error_model='numpy', nogil=True, _nrt=False)
def rk45_step(t, y, h_abs, t_bound, t_limit, max_step, rtol, atol, K, ytmp, y_new, W):
    # One accepted step of scipy's RK45 (RungeKutta._step_impl with rk_step) from
    # (t, y) with K[0] = f(t, y): returns (accepted, t_new, next h_abs, evaluations).
    # y_new, the stages K (K[6] = f(t_new, y_new)) and W's G (the blow-up indicator at
    # t_new) hold the step. Not accepted: the step size fell below scipy's minimum.
    # rtol and atol per row. Unlike scipy, a step to a state not finite is rejected.
    n = y.shape[0]
    min_step = 10 * abs(np.nextafter(t, np.inf) - t)
    if h_abs > max_step:
        h_abs = max_step
    elif h_abs < min_step:
        h_abs = min_step
    rejected = False
    nfev = 0
    while True:
        if h_abs < min_step:
            return False, t, h_abs, nfev
        t_new = t + h_abs
        if t_new - t_bound > 0:
            t_new = t_bound
        h = t_new - t
        h_abs = abs(h)
        for s in range(1, 6):
            _weighted(K, A[s], s, ytmp)
            for i in range(n):
                ytmp[i] = y[i] + ytmp[i] * h
            solver_rates(t + C[s] * h, ytmp, K[s], False, t_limit, W)
        _weighted(K, B, 6, y_new)
        finite = True
        for i in range(n):
            y_new[i] = y[i] + y_new[i] * h
            finite = finite and np.isfinite(y_new[i])
        solver_rates(t + h, y_new, K[6], True, t_limit, W)
        nfev += 6
        error_norm = np.inf
        if finite:
            _weighted(K, E, 7, ytmp)
            total = 0.0
            for i in range(n):
                scale = atol[i] + max(abs(y[i]), abs(y_new[i])) * rtol[i]
                e = ytmp[i] * h / scale
                total += e * e
            error_norm = np.sqrt(total) / np.sqrt(n)
        if error_norm < 1:
            if error_norm == 0:
                factor = MAX_FACTOR
            else:
                factor = min(MAX_FACTOR, SAFETY * error_norm ** ERROR_EXPONENT)
            if rejected:
                factor = min(factor, 1.0)
            return True, t_new, h_abs * factor, nfev
        factor = SAFETY * error_norm ** ERROR_EXPONENT
        h_abs *= factor if factor > MIN_FACTOR else MIN_FACTOR
        rejected = True
""".replace("SAFETY", repr(SAFETY)).replace("MIN_FACTOR", repr(MIN_FACTOR)).replace(
    "MAX_FACTOR", repr(MAX_FACTOR)).replace("ERROR_EXPONENT", repr(ERROR_EXPONENT))


def wanted(system: Any, method: str) -> bool:
    """Whether an RK45 run of ``system`` takes the compiled stepper."""
    return (method == "RK45" and system.kernel is not None
            and os.environ.get("AISCALE_SCIPY_RK45", "").strip().lower() not in ("1", "true", "yes", "on"))


def _norm(x: np.ndarray) -> float:
    return float(np.linalg.norm(x) / x.size ** 0.5)


class CompiledRK45:
    """scipy's ``RK45(fun, t0, y0, t_bound, rtol=, atol=, max_step=)`` for a
    :class:`~.integrate._System` with a compiled kernel (see the module docstring)."""

    def __init__(self, system: Any, t0: float, y0: np.ndarray, t_bound: float, rtol: float,
                 atol: np.ndarray, max_step: float):
        self.system = system
        self.step_function = system.kernel.rk45_step
        self.t, self.t_old, self.t_bound = float(t0), None, float(t_bound)
        self.y = np.asarray(y0, dtype=float)
        self.y_old: np.ndarray | None = None
        self.n = self.y.size
        self.rtol, self.atol = float(rtol), np.broadcast_to(np.asarray(atol, dtype=float), (self.n,)).copy()
        self.max_step = float(max_step)
        self.status = "running" if self.n and t_bound != t0 else "finished"
        self.K = np.empty((7, self.n))
        self._ytmp = np.empty(self.n)
        self._rtol = np.full(self.n, self.rtol)
        # the right-hand side's working arrays: its states, derivatives and variables in
        # the system's scratch buffers (what the system's remembered evaluation reads)
        self._g = np.empty(system.n)
        self._work = (*system.solver_work, self._g, system._rates_tmp)
        # scipy's RungeKutta.__init__: f at the start, then the empirical first step
        self.f = system.rhs(self.t, self.y)
        self.h_abs = self._initial_step()

    def _initial_step(self) -> float:
        """scipy.integrate._ivp.common.select_initial_step for order 4, forwards."""
        y0, f0, t0 = self.y, self.f, self.t
        interval = abs(self.t_bound - t0)
        if interval == 0.0:
            return 0.0
        scale = self.atol + np.abs(y0) * self.rtol
        d0, d1 = _norm(y0 / scale), _norm(f0 / scale)
        h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
        h0 = min(h0, interval)
        f1 = self.system.rhs(t0 + h0, y0 + h0 * f0)
        d2 = _norm((f1 - f0) / scale) / h0
        h1 = max(1e-6, h0 * 1e-3) if d1 <= 1e-15 and d2 <= 1e-15 else (0.01 / max(d1, d2)) ** (1 / 5)
        return min(100 * h0, h1, interval, self.max_step)

    def step(self) -> str | None:
        """One accepted step (OdeSolver.step)."""
        if self.status != "running":
            raise RuntimeError("attempt to step on a failed or finished solver")
        system = self.system
        t = self.t
        y_new = np.empty(self.n)
        self.K[0] = self.f
        ok, t_new, h_abs, nfev = self.step_function(
            t, self.y, self.h_abs, self.t_bound, system.segment_end, self.max_step, self._rtol, self.atol,
            self.K, self._ytmp, y_new, self._work)
        system.charge(nfev)
        if not ok:
            self.status = "failed"
            self.h_abs = h_abs
            return "Required step size is less than spacing between numbers."
        self.t_old, self.y_old = t, self.y
        self.t, self.y, self.f, self.h_abs = float(t_new), y_new, self.K[6].copy(), float(h_abs)
        # the last evaluation (at t_new, y_new): what the event indicators reuse
        system._last = (system._clock(self.t), self.y, system.active.copy(), None, self.f, self._g.copy())
        if self.t - self.t_bound >= 0:
            self.status = "finished"
        return None

    def dense_output(self) -> Any:
        """The step's interpolant (scipy's RkDenseOutput of RK45)."""
        Q = self.K.T.dot(P)
        t_old, h, y_old = self.t_old, self.t - self.t_old, self.y_old

        def at(t: float) -> np.ndarray:
            x = (t - t_old) / h
            p = np.cumprod(np.tile(x, 4))
            return h * np.dot(Q, p) + y_old
        return at
