"""The compiled model: validation at build time, evaluation order, state layout, and
the vectorised evaluation of every equation and of the stocks' derivatives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import heapq

import numpy as np

from .compile import Kernel, NumpyCode, _ancestors, jit_wanted
from .elements import Builtin, Equation
from .errors import ModelValidationError, did_you_mean
from .expr import Expr, trace
from .functions import SWITCHES, switching_times

if TYPE_CHECKING:
    from .model import Model

TIME = "time"


class StageTooShortError(ValueError):
    """A SMOOTH/DELAY stage (or TREND/FORECAST averaging time) shorter than the time
    step: Euler and RK4 would oscillate or diverge (Vensim reduces a DELAY N's order
    for the same reason)."""


class Plan:
    """The compiled model: evaluation order, state layout, and validation results.

    States are the stocks, then one per DELAY FIXED (its output, updated once per
    time step from the pipeline rather than integrated).
    """

    def __init__(self, model: Model):
        spec = model.elements
        self.spec = spec
        self.model_name = model.name
        self.time_unit = model.time_unit
        problems: list[tuple[str, str]] = []
        names = [*spec.parameters, *spec.stocks, *spec.equations]
        known = set(names) | {TIME}
        eqs = spec.equations

        # Every name an element reads must exist.
        for eq in eqs.values():
            for name in eq.inputs:
                if name not in known:
                    problems.append(("unknown-name", f"{eq.kind} {eq.name!r} reads unknown name "
                                     f"{name!r}{did_you_mean(name, known)}"))
        attached: set[str] = set()
        for s in spec.stocks.values():
            for flow in (*s.inflows, *s.outflows):
                if flow not in eqs or eqs[flow].kind != "flow":
                    what = "is not a flow" if flow in known else "is unknown"
                    problems.append(("unknown-name", f"stock {s.name!r} lists {flow!r}, which {what}"
                                     f"{did_you_mean(flow, [e for e in eqs if eqs[e].kind == 'flow'])}"))
                attached.add(flow)
            if isinstance(s.initial, str) and s.initial not in known:
                problems.append(("unknown-name", f"stock {s.name!r} has unknown initial value "
                                 f"{s.initial!r}{did_you_mean(s.initial, known)}"))
        for eq in eqs.values():
            if eq.kind == "flow" and eq.name not in attached:
                problems.append(("unattached-flow", f"flow {eq.name!r} is attached to no stock "
                                 "(list it in a stock's inflows or outflows)"))
        unitless_builtins: set[str] = set()
        for name in names:
            element = spec.parameters.get(name) or spec.stocks.get(name) or eqs[name]
            if element.unit is not None:
                continue
            b = spec.builtins.get(element.owner or name)
            if b is None:
                problems.append(("missing-unit", f"{name!r} declares no unit "
                                 "(use 'dimensionless' for pure numbers)"))
            elif b.name not in unitless_builtins:  # one message per builtin
                unitless_builtins.add(b.name)
                problems.append(("missing-unit", f"{b.label} {b.name!r} has no unit: pass unit= "
                                 f"(it defaults to the unit of its input {b.input!r} only "
                                 "when the input is declared first)"))

        # DELAY FIXED outputs are states; INITIAL values are frozen at the start: neither
        # depends on its inputs within a time step.
        self.pipelines: list[Builtin] = [b for b in spec.builtins.values() if b.kind == "delay_fixed"]
        pipeline_names = {b.name for b in self.pipelines}
        self.frozen_names = [eq.name for eq in eqs.values() if eq.initial_value_of is not None]
        not_instant = pipeline_names | set(self.frozen_names)

        # Evaluation order: a topological sort of equations over equation->equation links.
        links = {name: set() for name in eqs}
        for eq in eqs.values():
            if eq.name not in not_instant:
                for i in eq.inputs:
                    if i in eqs:
                        links[i].add(eq.name)
        order = _topological_order(links)
        if len(order) < len(eqs):
            import networkx as nx  # only to name the loops
            for cycle in nx.simple_cycles(nx.DiGraph([(a, b) for a, bs in links.items() for b in bs])):
                path = " -> ".join([*cycle, cycle[0]])
                problems.append(("algebraic-loop", f"algebraic loop (no stock in between): {path}"))
        if problems:
            raise ModelValidationError(problems)

        self.order: list[Equation] = [eqs[n] for n in order]
        self.steps = [(eq.name, eq.function, eq.inputs) for eq in self.order
                      if not eq.initial_only and eq.name not in not_instant]
        self.stock_names: list[str] = list(spec.stocks)
        self.state_names: list[str] = [*spec.stocks, *pipeline_names_in_order(self.pipelines)]
        self.state_initials: list[float | str] = [
            *(s.initial for s in spec.stocks.values()),
            *(eqs[b.name].inputs[2] for b in self.pipelines)]
        index = {n: i for i, n in enumerate(self.state_names)}
        flows_of = [(list(s.inflows), list(s.outflows)) for s in spec.stocks.values()]
        flows_of += [([], []) for _ in self.pipelines]
        self.inflows = [f[0] for f in flows_of]
        self.outflows = [f[1] for f in flows_of]
        n_stocks = len(spec.stocks)
        self.non_negative = np.array([s.non_negative for s in spec.stocks.values()]
                                     + [False] * len(self.pipelines), dtype=bool)
        self.positive = np.array([s.positive for s in spec.stocks.values()]
                                 + [False] * len(self.pipelines), dtype=bool)
        self.logarithmic = np.array([s.logarithmic for s in spec.stocks.values()]
                                    + [False] * len(self.pipelines), dtype=bool)
        self.pipeline_rows = np.arange(n_stocks, len(self.state_names))
        self.state_index = index
        self.public_names = [n for n in [*spec.stocks, *eqs] if not _is_hidden(spec, n)]
        self.dynamic_names = [*self.state_names, *(name for name, _, _ in self.steps),
                              *self.frozen_names]
        self._step_names = frozenset(name for name, _, _ in self.steps)
        # Equations that read neither time nor a state (directly or not) are constant
        # during a run: an evaluator computes them once per run, not at every step.
        varying = {TIME, *self.state_names}
        static, dynamic = [], []
        for name, _, inputs in self.steps:
            if any(a in varying for a in inputs):
                varying.add(name)
                dynamic.append(name)
            else:
                static.append(name)
        self.varying = frozenset(varying)
        self.static_names, self.dynamic_step_names = static, dynamic
        # Every equation as an expression tree (None: not traceable), and from the trees
        # the generated code (see .compile).
        self.trees: dict[str, Expr | None] = {name: trace(fn, inputs) for name, fn, inputs in self.steps}
        self.numpy = NumpyCode(self, static, dynamic)
        self._run_static, self._run_dynamic = self.numpy.static, self.numpy.dynamic
        from .units import check_units_cached
        unit_problems = check_units_cached(model, self)
        if unit_problems:
            raise ModelValidationError([("unit", msg) for msg in unit_problems])
        self._kernel: Kernel | None | bool = False  # compiled on first use
        self._last_initial: tuple | None = None     # (key, (states, frozen values))
        self._initial_code: NumpyCode | None = None  # built on first use (_evaluate_initial)
        # Switching times of test inputs (step, ramp, pulse, pulse train) read off the
        # trees, and those equations declare (interventions): adaptive solvers stop at
        # them instead of stepping over.
        self.switches: list[Expr] = []
        self.switch_names: list[str | float] = []
        for name, _, _ in self.steps:
            self.switch_names += eqs[name].switch_times
            tree = self.trees[name]
            if tree is not None:
                self.switches += [node for node in tree.walk()
                                  if node.op == "call" and node.args[0] in SWITCHES]
        # Stage times of builtins, checked against a fixed time step.
        self.stage_times = [(b, b.stage_time) for b in spec.builtins.values() if b.stage_time]
        # Derivative assembly by index: flow values are stacked as rows of F (plus a
        # final row of zeros), and level k of inflows/outflows is one gather. Per stock
        # the sum runs in the declared order, (0 + in1 + in2 ...) - out1 - ..., so the
        # result is bit for bit that of adding the flows one at a time.
        self.flow_names = list(dict.fromkeys(f for fl in (*self.inflows, *self.outflows) for f in fl))
        row = {f: i for i, f in enumerate(self.flow_names)}
        zero = len(self.flow_names)

        def levels(lists: list[list[str]], at_least: int) -> list[np.ndarray]:
            depth = max([at_least, *map(len, lists)])
            return [np.array([row[fl[k]] if k < len(fl) else zero for fl in lists], dtype=np.intp)
                    for k in range(depth)]

        self._in_levels = levels(self.inflows, 1)
        self._out_levels = levels(self.outflows, 0)
        self._any_non_negative = bool(self.non_negative.any())

    @property
    def equations(self) -> Mapping[str, Equation]:
        return self.spec.equations

    @property
    def kernel(self) -> Kernel | None:
        """The JIT-compiled right-hand side, or None where it does not pay (see
        :mod:`.compile`)."""
        if self._kernel is False:
            self._kernel = Kernel(self, self.dynamic_step_names) if jit_wanted(self) else None
        return self._kernel  # type: ignore[return-value]

    # -------------------------------------------------------------- evaluation
    def evaluate(self, t: float, y: np.ndarray, params: Mapping[str, Any],
                 fixed: Mapping[str, Any] | None = None, code: NumpyCode | None = None) -> dict[str, Any]:
        """Every variable at time ``t`` for states ``y`` (shape (n_states, N)) (with
        ``code``, the generated code of a subset of the equations: only those).

        An equation whose name is given in ``params`` or ``fixed`` keeps that value."""
        ns: dict[str, Any] = dict(params)
        if fixed:
            ns.update(fixed)
        if self._step_names.isdisjoint(ns):
            code = code or self.numpy
            code.static(ns)
            ns[TIME] = t
            ns.update(zip(self.state_names, y))
            code.dynamic(ns)
            return ns
        ns[TIME] = t
        ns.update(zip(self.state_names, y))
        for name, fn, inputs in self.steps:
            if name not in ns:
                ns[name] = fn(*[ns[a] for a in inputs])
        return ns

    def evaluator(self, params: Mapping[str, Any], fixed: Mapping[str, Any] | None = None
                  ) -> Callable[[Any, np.ndarray], dict[str, Any]]:
        """``evaluate`` with ``params`` and ``fixed`` bound once: ``f(t, y) -> ns``.

        The equations that depend on neither time nor stocks are evaluated here, once."""
        base: dict[str, Any] = dict(params)
        if fixed:
            base.update(fixed)
        if not self._step_names.isdisjoint(base):
            return lambda t, y: self.evaluate(t, y, params, fixed)
        self._run_static(base)
        run, names = self._run_dynamic, self.state_names

        def evaluate(t: Any, y: np.ndarray) -> dict[str, Any]:
            ns = base.copy()
            ns[TIME] = t
            ns.update(zip(names, y))
            run(ns)
            return ns
        return evaluate

    def static_values(self, params: Mapping[str, Any], fixed: Mapping[str, Any] | None = None
                      ) -> dict[str, Any]:
        """Parameters, frozen values and the equations of parameters only, evaluated."""
        base: dict[str, Any] = dict(params)
        if fixed:
            base.update(fixed)
        self._run_static(base)
        return base

    def derivatives(self, ns: Mapping[str, Any], y: np.ndarray) -> np.ndarray:
        """d(state)/dt from the evaluated flows: inflows minus outflows (0 for the
        DELAY FIXED states, which move once per time step)."""
        shape = y.shape[1:]
        values = [ns[f] for f in self.flow_names]
        values.append(np.zeros(shape))
        try:
            flows = np.array(values, dtype=float)
        except (ValueError, TypeError):  # a flow of another shape (e.g. constant): broadcast it
            flows = None
        if flows is None or flows.shape != (len(values), *shape):
            flows = np.zeros((len(values), *shape))
            for i, v in enumerate(values):
                flows[i] = v
        dy = flows.take(self._in_levels[0], axis=0)
        for idx in self._in_levels[1:]:
            dy += flows.take(idx, axis=0)
        for idx in self._out_levels:
            dy -= flows.take(idx, axis=0)
        if self._any_non_negative:
            empty = self.non_negative[:, None] & (y <= 0) & (dy < 0)
            dy[empty] = 0.0
        return dy

    def initial_state(self, params: Mapping[str, Any], t0: float, n: int) -> tuple[np.ndarray, dict]:
        """States at ``t0`` and the frozen values (INITIAL, delays' initial inputs). The
        last answer is remembered: runs that differ only in solver settings repeat it."""
        key = (float(t0), n, _values_key(params))
        if self._last_initial is not None and self._last_initial[0] == key:
            y, fixed = self._last_initial[1]
            return y.copy(), {k: v.copy() for k, v in fixed.items()}
        # The first passes of the fixed-point iteration see placeholder zeros: 0/0 there is expected.
        with np.errstate(all="ignore"):
            y, fixed = self._initial_state(params, t0, n)
        self._last_initial = (key, (y.copy(), {k: v.copy() for k, v in fixed.items()}))
        return y, fixed

    def _initial_state(self, params: Mapping[str, Any], t0: float, n: int) -> tuple[np.ndarray, dict]:
        y = np.zeros((len(self.state_names), n))
        fixed: dict[str, Any] = {}
        # States initialised from a number or a parameter first; then those initialised
        # from equations (delay pipelines), iterating because a delay's initial value is
        # its input's initial value, which may depend on other delays' outputs.
        pending = []
        for i, initial in enumerate(self.state_initials):
            if isinstance(initial, str) and initial not in params:
                pending.append(i)
            else:
                y[i] = params[initial] if isinstance(initial, str) else initial
        if pending or self.frozen_names:
            for name in self.frozen_names:
                fixed[name] = np.zeros(n)
            eqs = self.spec.equations
            for _ in range(200):
                ns = self._evaluate_initial(t0, y, params, fixed)
                new_fixed = {name: np.broadcast_to(ns[eqs[name].initial_value_of], (n,)).astype(float)
                             for name in self.frozen_names}
                ns.update(new_fixed)
                y_new = y.copy()
                for i in pending:
                    y_new[i] = self._evaluate_named(self.state_initials[i], ns)  # type: ignore[arg-type]
                new = np.concatenate([y_new, *(v[None] for v in new_fixed.values())])
                old = np.concatenate([y, *(v[None] for v in fixed.values())])
                converged = bool(np.all(np.abs(new - old) <= 1e-13 * np.abs(old)))  # allclose, atol 0
                y, fixed = y_new, new_fixed
                if converged:
                    break
        return y, fixed

    def _evaluate_initial(self, t0: float, y: np.ndarray, params: Mapping[str, Any],
                          fixed: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`evaluate` of the equations the initial values read, and only those (the
        fixed-point iteration evaluates them once per level of delays feeding delays, and
        they are often under half the model); the same code for each, so the same values."""
        if self._initial_code is None:
            eqs = self.spec.equations
            sources = [*(i for i in self.state_initials if isinstance(i, str)),
                       *(eqs[name].initial_value_of for name in self.frozen_names)]
            needed = _ancestors(self, [name for name in sources if name in self.equations])
            self._initial_code = NumpyCode(self, self.static_names,
                                           [name for name in self.dynamic_step_names if name in needed])
        return self.evaluate(t0, y, params, fixed, self._initial_code)

    def _evaluate_named(self, name: str, ns: dict) -> Any:
        if name in ns:
            return ns[name]
        eq = self.spec.equations[name]
        return eq.function(*[ns[a] for a in eq.inputs])

    def breakpoints(self, ns: Mapping[str, Any], start: float, stop: float) -> list[float]:
        """Switching times strictly between ``start`` and ``stop``, with the values in
        ``ns`` (the model evaluated at ``start``), for every ensemble member."""
        times: set[float] = set()
        values: list[Any] = [ns[s] if isinstance(s, str) else s for s in self.switch_names]
        with np.errstate(all="ignore"):
            for node in self.switches:
                try:
                    values += switching_times(node, ns, stop)
                except KeyError:  # reads a variable not evaluated here: no fixed time
                    continue
        for value in values:
            times.update(float(v) for v in np.ravel(value) if np.isfinite(v) and start < v < stop)
        return sorted(times)

    def check_stages(self, ns: Mapping[str, Any], dt: float, t: float, only_varying: bool = False) -> None:
        """Refuse a builtin stage shorter than the time step ``dt`` (see
        :class:`StageTooShortError`)."""
        for b, name in self.stage_times:
            if only_varying and name not in self.varying:
                continue
            stage = np.asarray(ns[name], dtype=float)
            short = stage < dt * (1 - 1e-9)
            if short.any():
                value = float(np.ravel(stage)[np.flatnonzero(np.ravel(short))[0]])
                what = {"smooth": "averaging time", "delay": "delay time"}.get(b.kind, "averaging time")
                per = f"{what} / {b.order} = " if b.order > 1 else f"{what} "
                member = f" (run {int(np.flatnonzero(np.ravel(short))[0])})" if np.size(stage) > 1 else ""
                raise StageTooShortError(
                    f"{b.label} {b.name!r}: stage time {per}{value:g} is shorter than the time step "
                    f"dt = {dt:g} at t = {t:g}{member}, where a fixed-step method oscillates; use "
                    f"dt <= {value:g}" + (", a lower order" if b.order > 1 else "")
                    + " or an adaptive method")


def _topological_order(links: Mapping[str, set[str]]) -> list[str]:
    """Names in an order where each comes after every name linking to it, the smallest
    name first where there is a choice (networkx's lexicographical_topological_sort);
    names on or after a cycle are left out."""
    waiting = dict.fromkeys(links, 0)
    for targets in links.values():
        for b in targets:
            waiting[b] += 1
    ready = [name for name, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for b in links[name]:
            waiting[b] -= 1
            if waiting[b] == 0:
                heapq.heappush(ready, b)
    return order


def _values_key(params: Mapping[str, Any]) -> bytes:
    """The parameter values, as bytes (names in order, then every value)."""
    names = sorted(params)
    values = [np.ravel(np.asarray(params[k], dtype=float)) for k in names]
    return "\n".join(names).encode() + (np.concatenate(values).tobytes() if values else b"")


def pipeline_names_in_order(pipelines: list[Builtin]) -> list[str]:
    return [b.name for b in pipelines]


def _is_hidden(spec: Any, name: str) -> bool:
    element = spec.stocks.get(name) or spec.equations.get(name)
    return bool(element is not None and element.hidden)
