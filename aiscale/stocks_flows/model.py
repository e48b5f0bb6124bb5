"""Declaring a model and compiling it into an evaluation plan.

A model is a set of named elements. Flows and auxiliaries are plain Python functions
whose parameter names are the names they read; everything else (evaluation order,
the influence graph, XMILE text, the documentation table) is derived from them.

    m = Model("teacup", time_unit="minute", units=["degree_F = [temperature_F]"])
    m.parameter("room_temperature", 70, "degree_F")
    m.parameter("characteristic_time", 10, "minute")
    m.stock("teacup_temperature", 180, "degree_F", outflows=["heat_loss_to_room"])

    @m.flow("degree_F/minute")
    def heat_loss_to_room(teacup_temperature, room_temperature, characteristic_time):
        return (teacup_temperature - room_temperature) / characteristic_time
"""

from __future__ import annotations

import copy
import inspect
import itertools
import linecache
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .elements import Builtin, Equation, Lookup, Parameter, Stock
from .errors import (
    DuplicateNameError,
    ModelValidationError,
    ParameterRangeError,
    did_you_mean,
    unknown_name,
)

TIME = "time"


class Model:
    """A system-dynamics model: declare elements, then simulate, analyse or export."""

    def __init__(self, name: str, time_unit: str = "year", units: Sequence[str] = (), doc: str = ""):
        self.name = name
        self.time_unit = time_unit
        self.unit_definitions = tuple(units)
        self.doc = doc
        self.parameters: dict[str, Parameter] = {}
        self.stocks: dict[str, Stock] = {}
        self.equations: dict[str, Equation] = {}
        self.builtins: dict[str, Builtin] = {}
        self.interventions: tuple = ()        # applied by with_interventions, in order
        self._pristine: Model | None = None   # the model before any intervention
        self._plan: _Plan | None = None

    # ------------------------------------------------------------------ declaring
    def _claim(self, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"element name {name!r} is not a valid identifier")
        if name == TIME:
            raise DuplicateNameError(f"{name!r} is reserved for simulation time")
        for kind, table in (("parameter", self.parameters), ("stock", self.stocks),
                            ("equation", self.equations)):
            if name in table:
                raise DuplicateNameError(f"duplicate name {name!r}: already declared as a {kind}")
        self._plan = None

    def parameter(self, name: str, value: float, unit: str | None, low: float | None = None,
                  high: float | None = None, source: str = "", doc: str = "") -> Parameter:
        """Declare a constant with its unit, plausible range and source."""
        self._claim(name)
        p = Parameter(name, float(value), unit, low, high, source, doc)
        _check_range(p, p.value)
        self.parameters[name] = p
        return p

    def stock(self, name: str, initial: float | str, unit: str | None, inflows: Iterable[str] = (),
              outflows: Iterable[str] = (), non_negative: bool = False, positive: bool = False,
              doc: str = "", source: str = "", hidden: bool = False) -> Stock:
        """Declare a stock: integrated state fed by ``inflows`` and drained by ``outflows``."""
        self._claim(name)
        s = Stock(name, initial if isinstance(initial, str) else float(initial), unit,
                  tuple(inflows), tuple(outflows), non_negative, positive, doc, source, hidden)
        self.stocks[name] = s
        return s

    def _equation(self, kind: str, unit: str | None, doc: str | None, source: str,
                  name: str | None, inputs: Sequence[str] | None) -> Callable[[Callable], Callable]:
        def register(function: Callable) -> Callable:
            ename = name or function.__name__
            self._claim(ename)
            arity = len(inspect.signature(function).parameters)
            if inputs is not None and len(inputs) != arity:
                raise ValueError(f"{ename}: {len(inputs)} input names for a function of {arity} arguments")
            names = tuple(inputs) if inputs is not None else tuple(inspect.signature(function).parameters)
            self.equations[ename] = Equation(ename, kind, function, names, unit,  # type: ignore[arg-type]
                                             inspect.cleandoc(doc or function.__doc__ or ""), source)
            return function
        return register

    def flow(self, unit: str | None, doc: str | None = None, source: str = "",
             name: str | None = None, inputs: Sequence[str] | None = None
             ) -> Callable[[Callable], Callable]:
        """Decorator declaring a flow (a rate in stock unit per time unit).

        The function's argument names are the names it reads. A template used for
        several elements gives ``name`` and ``inputs`` (positional) explicitly.
        """
        return self._equation("flow", unit, doc, source, name, inputs)

    def auxiliary(self, unit: str | None, doc: str | None = None, source: str = "",
                  name: str | None = None, inputs: Sequence[str] | None = None
                  ) -> Callable[[Callable], Callable]:
        """Decorator declaring an auxiliary (any other computed quantity); see :meth:`flow`."""
        return self._equation("auxiliary", unit, doc, source, name, inputs)

    def lookup(self, name: str, input: str, points: Sequence[tuple[float, float]], unit: str | None,
               doc: str = "", source: str = "") -> Equation:
        """Declare a graphical function: ``name = table(input)``, piecewise linear."""
        self._claim(name)
        table = Lookup(tuple(float(x) for x, _ in points), tuple(float(y) for _, y in points))
        eq = Equation(name, "auxiliary", table, (input,), unit, doc, source, lookup=table)
        self.equations[name] = eq
        return eq

    def smooth(self, name: str, input: str, averaging_time: str | float, order: int = 1,
               initial: str | float | None = None, unit: str | None = None, doc: str = "",
               source: str = "") -> Builtin:
        """Exponential smoothing of ``input`` (SMOOTH / SMOOTH3; XMILE SMTH1 / SMTH3).

        ``initial`` defaults to the input's initial value. ``unit`` defaults to the
        input's unit when the input is already declared (otherwise pass it).
        """
        return self._delay_builtin("SMTH", name, input, averaging_time, order, initial, unit,
                                   doc, source)

    def delay(self, name: str, input: str, delay_time: str | float, order: int = 1,
              initial: str | float | None = None, unit: str | None = None, doc: str = "",
              source: str = "") -> Builtin:
        """Material delay of the flow ``input`` (DELAY1 / DELAY3): what goes in comes
        out ``delay_time`` later on average, and nothing is lost on the way.

        ``initial`` (the initial outflow) defaults to the input's initial value. ``unit``
        (the output's, a rate like the input's) defaults to the input's unit when the
        input is already declared (otherwise pass it).
        """
        return self._delay_builtin("DELAY", name, input, delay_time, order, initial, unit,
                                   doc, source)

    def _delay_builtin(self, family: str, name: str, input: str, delay_time: str | float,
                       order: int, initial: str | float | None, unit: str | None, doc: str,
                       source: str) -> Builtin:
        if order not in (1, 3):
            raise ValueError(f"{name}: order must be 1 or 3, not {order}")
        self._claim(name)
        if unit is None:
            # The output is in the input's unit (a smoothed value, or a delayed flow).
            unit = self._declared_unit(input)
        time_name = delay_time
        if not isinstance(delay_time, str):
            time_name = f"{name}__time"
            self.parameter(time_name, float(delay_time), self.time_unit, doc=f"delay time of {name}")
        init_name = initial
        if initial is not None and not isinstance(initial, str):
            init_name = f"{name}__initial"
            self.parameter(init_name, float(initial), unit, doc=f"initial value of {name}")
        builtin = _expand_delay(self, family, name, input, str(time_name), order,
                                init_name, unit, doc, source)
        self.builtins[name] = builtin
        return builtin

    def _declared_unit(self, name: str) -> str | None:
        for table in (self.parameters, self.stocks, self.equations):
            if name in table:
                return table[name].unit
        return None

    # ------------------------------------------------------------------ building
    def build(self) -> Model:
        """Validate the model (names, loops, flows, units) and compile its plan."""
        if self._plan is None:
            self._plan = _Plan(self)
        return self

    @property
    def plan(self) -> _Plan:
        return self.build()._plan  # type: ignore[return-value]

    def names(self) -> list[str]:
        """Every element name: parameters, stocks, flows and auxiliaries."""
        return [*self.parameters, *self.stocks, *self.equations]

    def element(self, name: str) -> Parameter | Stock | Equation:
        for table in (self.parameters, self.stocks, self.equations):
            if name in table:
                return table[name]
        raise unknown_name("element", name, self.names())

    # ------------------------------------------------------------------ parameters
    def with_parameters(self, values: Mapping[str, float] | None = None, check_ranges: bool = True,
                        **kw: float) -> Model:
        """A copy with new parameter values; the compiled plan is shared, not rebuilt."""
        values = {**(values or {}), **kw}
        self.build()
        new = copy.copy(self)
        new.parameters = dict(self.parameters)
        for key, value in values.items():
            p = self.parameter_named(key)
            if check_ranges:
                _check_range(p, value)
            new.parameters[key] = Parameter(p.name, float(value), p.unit, p.low, p.high,
                                            p.source, p.doc)
        return new

    def with_interventions(self, interventions: Iterable[Any]) -> Model:
        """A rebuilt copy with time-dependent interventions (step, pulse, ramp, cap,
        schedule) on parameters or variables, after any it already has; see
        :mod:`aiscale.stocks_flows.interventions`."""
        from .interventions import apply_interventions
        return apply_interventions(self, interventions)

    def parameter_named(self, name: str) -> Parameter:
        if name not in self.parameters:
            raise unknown_name("parameter", name, self.parameters)
        return self.parameters[name]

    def parameter_values(self) -> dict[str, float]:
        return {k: p.value for k, p in self.parameters.items()}

    # ------------------------------------------------------------------ analysis entry points
    def run(self, *args: Any, **kwargs: Any):
        """Simulate; see :func:`aiscale.stocks_flows.simulate.simulate`."""
        from .simulate import simulate
        return simulate(self, *args, **kwargs)

    def run_ensemble(self, *args: Any, **kwargs: Any):
        """Simulate N parameter sets in one vectorised run; see :func:`.ensemble.run_ensemble`."""
        from .ensemble import run_ensemble
        return run_ensemble(self, *args, **kwargs)

    def __repr__(self) -> str:
        return (f"<Model {self.name!r}: {len(self.stocks)} stocks, {len(self.equations)} equations, "
                f"{len(self.parameters)} parameters>")


def _check_range(p: Parameter, value: float) -> None:
    if p.low is not None and value < p.low:
        raise ParameterRangeError(f"parameter {p.name!r} = {value:g} is below its lower bound "
                                  f"{p.low:g} (range [{p.low:g}, {p.high if p.high is not None else 'inf'}])")
    if p.high is not None and value > p.high:
        raise ParameterRangeError(f"parameter {p.name!r} = {value:g} is above its upper bound "
                                  f"{p.high:g} (range [{p.low if p.low is not None else '-inf'}, {p.high:g}])")


def _expand_delay(m: Model, family: str, name: str, input: str, tau: str, order: int,
                  initial: str | None, unit: str | None, doc: str, source: str) -> Builtin:
    """Write a SMOOTH or DELAY as the stocks and flows it stands for (hidden elements)."""
    generated: list[str] = []
    init = initial or f"{name}__initial_input"  # resolved at run time to the input's t0 value
    time_unit = m.time_unit
    rate_unit = None if unit is None else (f"({unit})/{time_unit}" if family == "SMTH" else unit)
    stage_tau = f"{name}__stage_time"

    def add_eq(ename: str, kind: str, fn: Callable, inputs: tuple[str, ...], eunit: str | None,
               hidden: bool = True) -> None:
        m._claim(ename)
        m.equations[ename] = Equation(ename, kind, fn, inputs, eunit,  # type: ignore[arg-type]
                                      doc if not hidden else f"internal to {name}", source, hidden=hidden)
        generated.append(ename)

    add_eq(stage_tau, "auxiliary", lambda t: t / order, (tau,), time_unit)
    if family == "SMTH":
        stages = [f"{name}__{i}" for i in range(1, order)] + [name]
        upstream = [input] + stages[:-1]
        for i, (stage, before) in enumerate(zip(stages, upstream), start=1):
            flow = f"{name}__adjust{i}"
            add_eq(flow, "flow", lambda x, s, t: (x - s) / t, (before, stage, stage_tau), rate_unit)
            m._claim(stage)
            m.stocks[stage] = Stock(stage, init, unit, (flow,), (), doc=doc, source=source,
                                    hidden=stage != name)
            generated.append(stage)
    else:
        # Material delay: pipeline stocks hold input x time; the last stage's outflow is the output.
        stock_unit = None if unit is None else f"({unit})*{time_unit}"
        stocks = [f"{name}__stock{i}" for i in range(1, order + 1)]
        outflows = [f"{name}__out{i}" for i in range(1, order)] + [name]
        m._claim(f"{name}__stock_initial")
        m.equations[f"{name}__stock_initial"] = Equation(
            f"{name}__stock_initial", "auxiliary", lambda v, t: v * t, (init, stage_tau),
            stock_unit, f"internal to {name}", hidden=True, initial_only=True)
        generated.append(f"{name}__stock_initial")
        for i, (stock, out) in enumerate(zip(stocks, outflows)):
            inflow = input if i == 0 else outflows[i - 1]
            m._claim(stock)
            m.stocks[stock] = Stock(stock, f"{name}__stock_initial", stock_unit, (inflow,), (out,),
                                    hidden=True)
            generated.append(stock)
            add_eq(out, "flow", lambda s, t: s / t, (stock, stage_tau), unit, hidden=out != name)
    if initial is None:
        m._claim(init)
        m.equations[init] = Equation(init, "auxiliary", _InitialValueOf(input), (input,), unit,
                                     f"initial value of {input}, for {name}", hidden=True,
                                     initial_only=True)
        generated.append(init)
    return Builtin(name, f"{family}{order}", input, tau, initial, unit, doc, source, tuple(generated))  # type: ignore[arg-type]


class _InitialValueOf:
    """Placeholder equation: the plan replaces it with the input's value at t0."""

    def __init__(self, input: str):
        self.input = input

    def __call__(self, x: Any) -> Any:
        return x


# ====================================================================== compiled plan
class _Plan:
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
        self.deferred_initials = [eq.name for eq in self.order if isinstance(eq.function, _InitialValueOf)]
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
