"""Builtins written out as the elements they stand for: a pure function from a
model's declarations to its parameters, stocks and equations.

* SMOOTH N (XMILE ``SMTH1``/``SMTH3``/``SMTHN``): exponential smoothing through N
  first-order stages, each with time ``averaging_time / N``.
* DELAY N (``DELAY1``/``DELAY3``/``DELAYN``): a material delay of N pipeline stocks
  holding input x time, so nothing is lost on the way (Sterman 2000, Business
  Dynamics, ch. 11). An input that is not a flow enters through a generated flow.
* DELAY FIXED (``DELAY``): a discrete pipeline; the output is the input one delay
  time earlier (whole time steps), the initial value before.
* TREND (``TREND``) and FORECAST (``FORCST``): a first-order average ``AV`` of the
  input, started at ``input / (1 + initial_trend * averaging_time)``;
  ``TREND = ZIDZ(input - AV, averaging_time * ABS(AV))`` and
  ``FORECAST = input * (1 + ZIDZ(input - AV, averaging_time * AV) * horizon)``
  (Vensim reference: TREND, FORECAST).
* INITIAL (``INIT``): the input's value at the start of the run.

The generated elements have role ``generated`` and ``owner`` the builtin's name; the
builtin's output keeps the role ``user``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .elements import Builtin, Equation, Parameter, Stock
from .errors import DuplicateNameError
from .functions import absolute, safe_div
from .subscripts import (
    Array,
    ArrayDeclaration,
    Dimension,
    Part,
    Resolver,
    SubscriptError,
    bind,
    flat_name,
    part_elements,
)


@dataclass(frozen=True)
class BuiltinDeclaration:
    """A builtin as the modeller declared it: the public record and the numbers it was
    given (held as generated parameters ``<name>__time`` and the like)."""

    builtin: Builtin
    numbers: tuple[Parameter, ...] = field(default=())


Declaration = Parameter | Stock | Equation | BuiltinDeclaration | ArrayDeclaration


@dataclass
class Expanded:
    parameters: dict[str, Parameter] = field(default_factory=dict)
    stocks: dict[str, Stock] = field(default_factory=dict)
    equations: dict[str, Equation] = field(default_factory=dict)
    builtins: dict[str, Builtin] = field(default_factory=dict)
    arrays: dict[str, Array] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)

    def kind_of(self, name: str) -> str | None:
        if name in self.parameters:
            return "parameter"
        if name in self.stocks:
            return "stock"
        if name in self.equations:
            return self.equations[name].kind
        return None


def expand(declared: Mapping[str, Declaration], time_unit: str,
           dimensions: Mapping[str, Dimension] | None = None) -> Expanded:
    """Every element of a model: the declared ones, each builtin written out and each
    array written out element by element (:mod:`.subscripts`), in declaration order.
    ``declared`` is not changed."""
    out = Expanded(dimensions=dict(dimensions or {}))
    flows = _declared_flows(declared)
    resolver = Resolver(out.dimensions, {n: d.dims for n, d in declared.items()
                                         if isinstance(d, ArrayDeclaration) and d.dims})
    for item in declared.values():
        if isinstance(item, BuiltinDeclaration):
            builder = _Builder(out, item.builtin, time_unit, flows)
            for p in item.numbers:
                builder.parameter(p)
            out.builtins[item.builtin.name] = builder.expand()
        elif isinstance(item, ArrayDeclaration):
            _flatten(out, item, resolver)
        elif isinstance(item, Equation) and any(i in resolver.arrays for i in item.inputs):
            # a scalar equation reading an array: resolved (or refused) as arrays are
            _flatten(out, ArrayDeclaration(item.name, item.kind, (), item, parts=(
                Part((), item.function, item.inputs),)), resolver)
        else:
            _add(out, item)
    return out


def _flatten(out: Expanded, a: ArrayDeclaration, resolver: Resolver) -> None:
    """An array's scalar elements ``name[e1,...]``, and its :class:`Array` record."""
    dims = out.dimensions
    combos = list(itertools.product(*(dims[d].elements for d in a.dims)))
    names = {c: flat_name(a.name, c) for c in combos}
    template = dataclasses.replace(a.element, array=a.name if a.dims else None)
    what = f"{a.kind} {a.name!r}"
    bound: dict[tuple[str, ...], tuple[str, ...]] = {}
    if a.kind == "parameter":
        for c in combos:
            _add(out, dataclasses.replace(template, name=names[c], value=float(a.values[c])))
    elif a.kind == "stock":
        s = template
        for c in combos:
            def one(ref: str) -> str:
                fn, found = resolver.resolve(what, ref, a.dims, c)
                if len(found) != 1 or fn is not None:
                    raise SubscriptError(f"{what}: {ref!r} must name one element")
                return found[0]
            flows_in, flows_out = [], []
            for listed, into in ((s.inflows, flows_in), (s.outflows, flows_out)):
                for f in listed:
                    flow = one(f)
                    if a.dims and flow == f and f not in resolver.arrays:
                        raise SubscriptError(
                            f"{what} ranges over {', '.join(a.dims)} but lists the scalar flow {f!r}: "
                            "every element would receive all of it; make the flow an array too")
                    into.append(flow)
            initial = a.values[c]
            initial = one(initial) if isinstance(initial, str) else float(initial)
            _add(out, dataclasses.replace(s, name=names[c], initial=initial, inflows=tuple(flows_in),
                                          outflows=tuple(flows_out)))
    else:
        owner: dict[tuple[str, ...], tuple[Part, tuple[str, ...]]] = {}
        for part in a.parts:
            for c in part_elements(part, dims):
                if c in owner:
                    raise SubscriptError(f"{what}: element {flat_name(a.name, c)} is defined twice")
                owner[c] = (part, c)
        missing = [names[c] for c in combos if c not in owner]
        if missing:
            raise SubscriptError(f"{what}: no equation for {', '.join(missing)}")
        for c in combos:
            part, current = owner[c]
            function, inputs = bind(what, part, current, resolver)
            bound[c] = inputs
            _add(out, dataclasses.replace(template, name=names[c], function=function, inputs=inputs))
    if not a.dims:
        return
    a2a = []
    for part in a.parts:
        texts = (tuple(resolver.a2a_text(what, part.refs.get(arg, arg), part.dims) for arg in part.args)
                 if part.dims == a.dims else None)
        a2a.append(None if texts is None or None in texts else texts)
    out.arrays[a.name] = Array(a.name, a.kind, a.dims, names, a.parts, tuple(a2a), bound)  # type: ignore[arg-type]


def _declared_flows(declared: Mapping[str, Declaration]) -> set[str]:
    """Names that are flows: declared flows and the outputs of material delays."""
    flows = {n for n, d in declared.items() if isinstance(d, Equation) and d.kind == "flow"}
    flows |= {n for n, d in declared.items() if isinstance(d, BuiltinDeclaration)
              and d.builtin.kind == "delay"}
    attached = {f for d in declared.values() if isinstance(d, Stock) for f in (*d.inflows, *d.outflows)}
    flows |= {n for n, d in declared.items() if isinstance(d, BuiltinDeclaration)
              and d.builtin.kind == "delay_fixed" and n in attached}
    return flows


def _add(out: Expanded, element: Parameter | Stock | Equation) -> None:
    kind = out.kind_of(element.name)
    if kind is not None:
        raise DuplicateNameError(f"duplicate name {element.name!r}: already declared as a {kind}"
                                 + (f" (generated by {element.owner!r})" if element.owner else ""))
    table = (out.parameters if isinstance(element, Parameter) else
             out.stocks if isinstance(element, Stock) else out.equations)
    table[element.name] = element  # type: ignore[index]


def _identity(x: Any) -> Any:
    return x


class _InitialValueOf:
    """The function of an INITIAL: the plan freezes its value at the start of a run
    (to its input's value then); called directly it is the identity."""

    def __init__(self, input: str):
        self.input = input

    def __call__(self, x: Any) -> Any:
        return x


def _held(x: Any, delay_time: Any, initial: Any) -> Any:
    """DELAY FIXED as a function of its input: the plan supplies the delayed value from
    the pipeline; this is what the output follows (for units, graph and polarity)."""
    return x


class _Builder:
    def __init__(self, out: Expanded, b: Builtin, time_unit: str, flows: set[str]):
        self.out, self.b, self.time_unit, self.flows = out, b, time_unit, flows
        self.generated: list[str] = []
        self.stage_time: str | None = None

    # -------------------------------------------------------------- adding elements
    def parameter(self, p: Parameter) -> None:
        """A number the builtin was given (role generated, owner the builtin; not in
        ``Builtin.generated``, which lists the elements it is written out as)."""
        _add(self.out, p)

    def equation(self, name: str, kind: str, fn: Callable, inputs: tuple[str, ...], unit: str | None,
                 hidden: bool = True, doc: str | None = None, **extra: Any) -> None:
        b = self.b
        _add(self.out, Equation(name, kind, fn, inputs, unit,  # type: ignore[arg-type]
                                doc=doc if doc is not None else b.doc if not hidden else f"internal to {b.name}",
                                source=b.source, role="generated" if hidden else "user",
                                owner=b.name, sector=b.sector, **extra))
        self.generated.append(name)

    def stock(self, name: str, initial: str, unit: str | None, inflows: tuple[str, ...],
              outflows: tuple[str, ...] = (), hidden: bool = True) -> None:
        b = self.b
        _add(self.out, Stock(name, initial, unit, inflows, outflows,
                             doc=b.doc if not hidden else "", source=b.source if not hidden else "",
                             role="generated" if hidden else "user", owner=b.name, sector=b.sector))
        self.generated.append(name)

    def initial_input(self) -> str:
        """The name holding the input's value at the start of the run."""
        name = f"{self.b.name}__initial_input"
        self.equation(name, "auxiliary", _InitialValueOf(self.b.input), (self.b.input,), self.b.input_unit,
                      doc=f"initial value of {self.b.input}, for {self.b.name}", initial_only=True,
                      initial_value_of=self.b.input)
        return name

    # -------------------------------------------------------------- the builtins
    def expand(self) -> Builtin:
        getattr(self, f"_{self.b.kind}")()
        return replace(self.b, generated=tuple(self.generated), stage_time=self.stage_time)

    def _stage(self) -> str:
        b, n = self.b, self.b.order
        name = f"{b.name}__stage_time"
        self.equation(name, "auxiliary", _Divide(n), (b.delay_time,), self.time_unit)  # type: ignore[arg-type]
        self.stage_time = name
        return name

    def _smooth(self) -> None:
        b, n = self.b, self.b.order
        stage_tau = self._stage()
        rate_unit = None if b.unit is None else f"({b.unit})/{self.time_unit}"
        init = b.initial or f"{b.name}__initial_input"
        stages = [f"{b.name}__{i}" for i in range(1, n)] + [b.name]
        for i, (stage, before) in enumerate(zip(stages, [b.input] + stages[:-1]), start=1):
            flow = f"{b.name}__adjust{i}"
            self.equation(flow, "flow", _adjust, (before, stage, stage_tau), rate_unit)
            self.stock(stage, init, b.unit, (flow,), hidden=stage != b.name)
        if b.initial is None:
            self.initial_input()

    def _delay(self) -> None:
        b, n = self.b, self.b.order
        stage_tau = self._stage()
        stock_unit = None if b.unit is None else f"({b.unit})*{self.time_unit}"
        init = b.initial or f"{b.name}__initial_input"
        self.equation(f"{b.name}__stock_initial", "auxiliary", _times, (init, stage_tau), stock_unit,
                      initial_only=True)
        inflow = b.input
        if b.input not in self.flows:  # a material delay of an auxiliary, stock or parameter
            inflow = f"{b.name}__inflow"
            self.equation(inflow, "flow", _identity, (b.input,), b.unit)
        stocks = [f"{b.name}__stock{i}" for i in range(1, n + 1)]
        outflows = [f"{b.name}__out{i}" for i in range(1, n)] + [b.name]
        for i, (stock, out) in enumerate(zip(stocks, outflows)):
            self.stock(stock, f"{b.name}__stock_initial", stock_unit,
                       (inflow if i == 0 else outflows[i - 1],), (out,))
            self.equation(out, "flow", _divide, (stock, stage_tau), b.unit, hidden=out != b.name)
        if b.initial is None:
            self.initial_input()

    def _delay_fixed(self) -> None:
        b = self.b
        init = b.initial or self.initial_input()
        kind = "flow" if b.name in self.flows else "auxiliary"
        self.equation(b.name, kind, _held, (b.input, b.delay_time, init), b.unit,  # type: ignore[arg-type]
                      hidden=False)

    def _average(self) -> tuple[str, str]:
        """The first-order average of TREND and FORECAST, and its initial value."""
        b = self.b
        self.stage_time = b.delay_time
        average = f"{b.name}__average"
        rate_unit = None if b.input_unit is None else f"({b.input_unit})/{self.time_unit}"
        x0 = self.initial_input()
        self.equation(f"{average}_initial", "auxiliary", _trend_start,
                      (x0, b.initial, b.delay_time), b.input_unit, initial_only=True)  # type: ignore[arg-type]
        self.equation(f"{average}_change", "flow", _adjust, (b.input, average, b.delay_time), rate_unit)  # type: ignore[arg-type]
        self.stock(average, f"{average}_initial", b.input_unit, (f"{average}_change",))
        return average, x0

    def _trend(self) -> None:
        b = self.b
        average, _ = self._average()
        self.equation(b.name, "auxiliary", _trend, (b.input, average, b.delay_time), b.unit,  # type: ignore[arg-type]
                      hidden=False)

    def _forecast(self) -> None:
        b = self.b
        average, _ = self._average()
        self.equation(b.name, "auxiliary", _forecast, (b.input, average, b.delay_time, b.horizon),  # type: ignore[arg-type]
                      b.unit, hidden=False)

    def _initial(self) -> None:
        b = self.b
        self.equation(b.name, "auxiliary", _InitialValueOf(b.input), (b.input,), b.unit, hidden=False,
                      initial_value_of=b.input)


class _Divide:
    """``t / n``: the time of one of a builtin's ``n`` stages."""

    def __init__(self, n: int):
        self.n = n

    def __call__(self, t: Any) -> Any:
        return t / self.n


def _adjust(x: Any, s: Any, t: Any) -> Any:
    return (x - s) / t


def _times(v: Any, t: Any) -> Any:
    return v * t


def _divide(s: Any, t: Any) -> Any:
    return s / t


def _trend_start(x0: Any, initial_trend: Any, averaging_time: Any) -> Any:
    return x0 / (1 + initial_trend * averaging_time)


def _trend(x: Any, average: Any, averaging_time: Any) -> Any:
    return safe_div(x - average, averaging_time * absolute(average))


def _forecast(x: Any, average: Any, averaging_time: Any, horizon: Any) -> Any:
    return x * (1 + safe_div(x - average, averaging_time * average) * horizon)
