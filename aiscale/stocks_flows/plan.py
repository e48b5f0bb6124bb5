"""The compiled model: validation at build time, evaluation order, state layout, and
the vectorised evaluation of every equation and of the stocks' derivatives."""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from .delays import InitialValueOf
from .elements import Equation
from .errors import ModelValidationError, did_you_mean

if TYPE_CHECKING:
    from .model import Model

TIME = "time"


class Plan:
    """The compiled model: evaluation order, state layout, and validation results."""

    def __init__(self, model: Model):
        self.model = model
        problems: list[tuple[str, str]] = []
        known = set(model.names()) | {TIME}
        eqs = model.equations

        # Every name an element reads must exist.
        for eq in eqs.values():
            for name in eq.inputs:
                if name not in known:
                    problems.append(("unknown-name", f"{eq.kind} {eq.name!r} reads unknown name "
                                     f"{name!r}{did_you_mean(name, known)}"))
        attached: set[str] = set()
        for s in model.stocks.values():
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
        builtin_of = {g: b for b in model.builtins.values() for g in b.generated}
        unitless_builtins: set[str] = set()
        for name in model.names():
            if model.element(name).unit is None:
                b = builtin_of.get(name) or model.builtins.get(name.removesuffix("__initial"))
                if b is None:
                    problems.append(("missing-unit", f"{name!r} declares no unit "
                                     "(use 'dimensionless' for pure numbers)"))
                elif b.name not in unitless_builtins:  # one message per delay/smooth
                    unitless_builtins.add(b.name)
                    kind = "smooth" if b.function.startswith("SMTH") else "delay"
                    problems.append(("missing-unit", f"{kind} {b.name!r} has no unit: pass unit= "
                                     f"(it defaults to the unit of its input {b.input!r} only "
                                     "when the input is declared first)"))

        # Evaluation order: a topological sort of equations over equation->equation links.
        g = nx.DiGraph()
        g.add_nodes_from(eqs)
        for eq in eqs.values():
            g.add_edges_from((i, eq.name) for i in eq.inputs if i in eqs)
        for cycle in nx.simple_cycles(g):
            path = " -> ".join([*cycle, cycle[0]])
            problems.append(("algebraic-loop", f"algebraic loop (no stock in between): {path}"))
        if not problems:
            from .units import check_units
            problems.extend(("unit", msg) for msg in check_units(model))
        if problems:
            raise ModelValidationError(problems)

        self.order: list[Equation] = [eqs[n] for n in nx.lexicographical_topological_sort(g)]
        self.steps = [(eq.name, eq.function, eq.inputs) for eq in self.order if not eq.initial_only]
        self.state_names: list[str] = list(model.stocks)
        index = {n: i for i, n in enumerate(self.state_names)}
        self.inflows = [list(s.inflows) for s in model.stocks.values()]
        self.outflows = [list(s.outflows) for s in model.stocks.values()]
        self.non_negative = np.array([s.non_negative for s in model.stocks.values()], dtype=bool)
        self.positive = np.array([s.positive for s in model.stocks.values()], dtype=bool)
        self.state_index = index
        self.deferred_initials = [eq.name for eq in self.order if isinstance(eq.function, InitialValueOf)]
        self.public_names = [n for n in [*model.stocks, *eqs] if not _is_hidden(model, n)]
        self.dynamic_names = [*self.state_names, *(name for name, _, _ in self.steps)]
        self._step_names = frozenset(name for name, _, _ in self.steps)
        # Equations that read neither time nor a stock (directly or not) are constant
        # during a run: an evaluator computes them once per run, not at every step.
        varying = {TIME, *self.state_names}
        static, dynamic = [], []
        for step in self.steps:
            if any(a in varying for a in step[2]):
                varying.add(step[0])
                dynamic.append(step)
            else:
                static.append(step)
        self._run_static = _compile_steps(static, model.name, "constant")
        self._run_dynamic = _compile_steps(dynamic, model.name, "varying")
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

    # -------------------------------------------------------------- evaluation
    def evaluate(self, t: float, y: np.ndarray, params: Mapping[str, Any],
                 fixed: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every variable at time ``t`` for states ``y`` (shape (n_states, N)).

        An equation whose name is given in ``params`` or ``fixed`` keeps that value."""
        ns: dict[str, Any] = dict(params)
        if fixed:
            ns.update(fixed)
        if self._step_names.isdisjoint(ns):
            self._run_static(ns)
            ns[TIME] = t
            ns.update(zip(self.state_names, y))
            self._run_dynamic(ns)
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

    def derivatives(self, ns: Mapping[str, Any], y: np.ndarray) -> np.ndarray:
        """d(state)/dt from the evaluated flows: inflows minus outflows."""
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
        """States at ``t0`` and the frozen initial values of delay inputs."""
        # The first passes of the fixed-point iteration see placeholder zeros: 0/0 there is expected.
        with np.errstate(all="ignore"):
            return self._initial_state(params, t0, n)

    def _initial_state(self, params: Mapping[str, Any], t0: float, n: int) -> tuple[np.ndarray, dict]:
        y = np.zeros((len(self.state_names), n))
        fixed: dict[str, Any] = {}
        stocks = self.model.stocks
        # Stocks initialised from a number or a parameter first; then those initialised
        # from equations (delay pipelines), iterating because a delay's initial value is
        # its input's initial value, which may depend on other delays' outputs.
        pending = []
        for i, s in enumerate(stocks.values()):
            if isinstance(s.initial, str) and s.initial not in params:
                pending.append(i)
            else:
                y[i] = params[s.initial] if isinstance(s.initial, str) else s.initial
        if pending or self.deferred_initials:
            for name in self.deferred_initials:
                fixed[name] = np.zeros(n)
            for _ in range(200):
                ns = self.evaluate(t0, y, params, fixed)
                new_fixed = {name: np.broadcast_to(ns[self.model.equations[name].inputs[0]], (n,)).astype(float)
                             for name in self.deferred_initials}
                ns.update(new_fixed)
                y_new = y.copy()
                for i in pending:
                    y_new[i] = self._evaluate_named(stocks[self.state_names[i]].initial, ns, t0)
                converged = np.allclose(y_new, y, rtol=1e-13, atol=0) and all(
                    np.allclose(new_fixed[k], fixed[k], rtol=1e-13, atol=0) for k in fixed)
                y, fixed = y_new, new_fixed
                if converged:
                    break
        return y, fixed

    def _evaluate_named(self, name: str, ns: dict, t0: float) -> Any:
        eq = self.model.equations[name]
        return eq.function(*[ns[a] for a in eq.inputs])


def _compile_steps(steps: list[tuple[str, Callable, tuple[str, ...]]], model_name: str,
                   part: str) -> Callable[[dict[str, Any]], None]:
    """Straight-line Python for the evaluation order: ``run(ns)`` reads the parameters,
    states and time from ``ns`` and stores every equation's value in it, with one plain
    call per equation (no loop, no argument lists: a third of the interpreter overhead
    of looping over the steps). Locals are ``v0, v1, ...`` and functions ``f0, f1, ...``,
    so element names never meet Python syntax."""
    local: dict[str, str] = {}
    namespace: dict[str, Any] = {}
    lines = ["def run(ns):"]
    for k, (name, fn, inputs) in enumerate(steps):
        args = []
        for a in inputs:
            if a not in local:  # not computed before it is used: a parameter, state, time...
                local[a] = f"v{len(local)}"
                lines.append(f"    {local[a]} = ns[{a!r}]")
            args.append(local[a])
        namespace[f"f{k}"] = fn
        local[name] = f"v{len(local)}"
        lines.append(f"    {local[name]} = ns[{name!r}] = f{k}({', '.join(args)})")
    lines.append("    return None")
    source = "\n".join(lines) + "\n"
    filename = f"<{part} equations of model {model_name!r} #{next(_compiled)}>"
    # registered with linecache so that a traceback through it shows the failing line
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace["run"]


_compiled = itertools.count(1)


def _is_hidden(model: Model, name: str) -> bool:
    element = model.stocks.get(name) or model.equations.get(name)
    return bool(element is not None and element.hidden)
