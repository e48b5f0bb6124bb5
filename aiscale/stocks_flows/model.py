"""Declaring a model, and the pure transforms from one model to the next.

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

The declaration methods (``parameter``, ``stock``, ``flow`` ...) add to the model
they are called on. Everything after declaration is a pure function from one model to
a new one, never changing its input: builtins are written out (:mod:`.expand`) when
the model's elements are first read, and :meth:`Model.with_parameters`,
:meth:`Model.with_interventions` and :meth:`Model.replace` return new models.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .elements import Builtin, Equation, Lookup, Parameter, Stock
from .errors import DuplicateNameError, ModelError, did_you_mean, unknown_name
from .expand import BuiltinDeclaration, Declaration, Expanded, expand
from .subscripts import (
    ArrayDeclaration,
    Dimension,
    Part,
    SubscriptError,
    dims_tuple,
    element_values,
)

if TYPE_CHECKING:
    from .plan import Plan
    from .settings import FixedStep, Limits, SaveAt, Solver
    from .simulate import Result

TIME = "time"
DEFAULT_START, DEFAULT_STOP = 0.0, 100.0  # Vensim's INITIAL TIME and FINAL TIME defaults


class Model:
    """A system-dynamics model: declare elements, then simulate, analyse or export.

    ``start`` and ``stop``: the model's time span, the default of every run (0 and
    100 when not given, as in Vensim).
    """

    def __init__(self, name: str, time_unit: str = "year", units: Sequence[str] = (), doc: str = "",
                 start: float | None = None, stop: float | None = None):
        self.name = name
        self.time_unit = time_unit
        self.unit_definitions = tuple(units)
        self.doc = doc
        if start is not None and stop is not None and not float(stop) > float(start):
            raise ValueError(f"model {name!r}: stop ({stop}) must be after start ({start})")
        self.start = DEFAULT_START if start is None else float(start)
        self.stop = DEFAULT_STOP if stop is None else float(stop)
        self.interventions: tuple = ()        # applied by with_interventions, in order
        self._declared: dict[str, Declaration] = {}
        self._dimensions: dict[str, Dimension] = {}
        self._values: dict[str, Parameter] = {}  # set by with_parameters on non-declared names
        self._elements: Expanded | None = None
        self._plan: Plan | None = None

    # ------------------------------------------------------------------ declaring
    def _claim(self, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"element name {name!r} is not a valid identifier")
        if name == TIME:
            raise DuplicateNameError(f"{name!r} is reserved for simulation time")
        if name in self._declared:
            raise DuplicateNameError(f"duplicate name {name!r}: already declared as a "
                                     f"{_kind_of(self._declared[name])}")

    def _declare(self, item: Declaration) -> None:
        name = item.builtin.name if isinstance(item, BuiltinDeclaration) else item.name
        self._claim(name)
        self._declared[name] = item
        self._changed()

    def _changed(self, structure: bool = True) -> None:
        self._elements = None
        if structure:
            self._plan = None

    # ------------------------------------------------------------------ subscripts
    def dimension(self, name: str, elements: Sequence[str], of: str | None = None,
                  maps_to: str | None = None) -> Dimension:
        """Declare a dimension (Vensim subscript range) of named ``elements``; with
        ``of``, a subrange of that dimension; with ``maps_to``, its elements stand for
        those of the dimension ``maps_to`` position by position (a Vensim mapping). See
        :mod:`.subscripts`."""
        if not name.isidentifier():
            raise ValueError(f"dimension name {name!r} is not a valid identifier")
        if name in self._dimensions:
            raise DuplicateNameError(f"duplicate dimension {name!r}")
        elements = tuple(str(e) for e in elements)
        bad = [e for e in elements if not e.isidentifier()]
        if not elements or bad or len(set(elements)) < len(elements):
            raise ValueError(f"dimension {name!r}: elements must be distinct identifiers, not {list(elements)}")
        if of is not None:
            if of not in self._dimensions or self._dimensions[of].of is not None:
                raise SubscriptError(f"dimension {name!r}: {of!r} is not a declared (whole) dimension"
                                     f"{did_you_mean(of, self._dimensions)}")
            outside = [e for e in elements if e not in self._dimensions[of].elements]
            if outside:
                raise SubscriptError(f"dimension {name!r}: {outside} are not elements of {of!r}")
        d = Dimension(name, elements, of, maps_to)
        self._dimensions[name] = d
        self._changed()
        return d

    @property
    def dimensions(self) -> Mapping[str, Dimension]:
        return MappingProxyType(self._dimensions)

    def _dims(self, what: str, dims: str | Sequence[str] | None, parts: bool = False) -> tuple[str, ...]:
        """Declared dimensions (for ``parts``, also subranges, and single elements,
        held as one-element subranges ``dimension:element``)."""
        out = []
        for d in dims_tuple(dims):
            if d in self._dimensions and (parts or self._dimensions[d].of is None):
                out.append(d)
                continue
            owners = [k for k, v in self._dimensions.items() if v.of is None and d in v.elements]
            if parts and len(owners) == 1:
                key = f"{owners[0]}:{d}"
                self._dimensions.setdefault(key, Dimension(key, (d,), owners[0]))
                out.append(key)
                continue
            what_else = "a whole dimension (declare the array over it; define parts over subranges)" \
                if d in self._dimensions else "a declared dimension"
            raise SubscriptError(f"{what}: {d!r} is not {what_else}{did_you_mean(d, self._dimensions)}")
        families = [self._dimensions[d].family for d in out]
        if len(set(families)) < len(families):
            raise SubscriptError(f"{what}: dimension listed twice in {list(dims_tuple(dims))}")
        return tuple(out)

    def _array(self, decl: ArrayDeclaration) -> None:
        self._claim(decl.name)
        self._declare(decl)

    def parameter(self, name: str, value: Any, unit: str | None, low: float | None = None,
                  high: float | None = None, source: str = "", doc: str = "",
                  sector: str | None = None, dims: str | Sequence[str] | None = None) -> Parameter:
        """Declare a constant with its unit, plausible range and source. With ``dims``,
        an array: ``value`` is one number for every element, a mapping from element to
        number, or a sequence in element order."""
        self._claim(name)
        if low is not None and high is not None and low > high:
            raise ValueError(f"parameter {name!r}: low ({low:g}) is above high ({high:g})")
        if dims is not None:
            d = self._dims(f"parameter {name!r}", dims)
            values = element_values(f"parameter {name!r}", value, d, self._dimensions)
            template = Parameter(name, 0.0, unit, low, high, source, doc, sector=sector)
            for c, v in values.items():
                dataclasses.replace(template, name=f"{name}[{','.join(c)}]", value=float(v)).check(float(v))
            self._array(ArrayDeclaration(name, "parameter", d, template, values))
            return template
        p = Parameter(name, float(value), unit, low, high, source, doc, sector=sector)
        p.check(p.value)
        self._declare(p)
        return p

    def stock(self, name: str, initial: Any, unit: str | None, inflows: Iterable[str] = (),
              outflows: Iterable[str] = (), non_negative: bool = False, positive: bool = False,
              doc: str = "", source: str = "", hidden: bool = False, sector: str | None = None,
              dims: str | Sequence[str] | None = None, logarithmic: bool = False) -> Stock:
        """Declare a stock: integrated state fed by ``inflows`` and drained by ``outflows``.

        With ``dims``, an array of stocks: ``initial`` is one value (a number, or the
        name of a parameter, an array over the same dimensions read element by
        element), a mapping from element to value, or a sequence in element order; the
        flows are arrays over the same dimensions (or references such as
        ``"aging[earlier]"``). ``non_negative``, ``positive``, ``logarithmic``: see :class:`Stock`."""
        if logarithmic and not positive:
            raise ValueError(f"stock {name!r}: a logarithmic stock must be positive (its logarithm is stepped)")
        self._claim(name)
        if dims is not None:
            d = self._dims(f"stock {name!r}", dims)
            values = element_values(f"stock {name!r}", initial, d, self._dimensions)
            template = Stock(name, 0.0, unit, tuple(inflows), tuple(outflows), non_negative, positive,
                             doc, source, logarithmic, role="generated" if hidden else "user", sector=sector)
            self._array(ArrayDeclaration(name, "stock", d, template, values))
            return template
        s = Stock(name, initial if isinstance(initial, str) else float(initial), unit,
                  tuple(inflows), tuple(outflows), non_negative, positive, doc, source, logarithmic,
                  role="generated" if hidden else "user", sector=sector)
        self._declare(s)
        return s

    def _equation(self, kind: str, unit: str | None, doc: str | None, source: str,
                  name: str | None, inputs: Sequence[str] | None, sector: str | None,
                  dims: str | Sequence[str] | None = None, refs: Mapping[str, str] | None = None
                  ) -> Callable[[Callable], Callable]:
        def register(function: Callable) -> Callable:
            ename = name or function.__name__
            arity = len(inspect.signature(function).parameters)
            if inputs is not None and len(inputs) != arity:
                raise ValueError(f"{ename}: {len(inputs)} input names for a function of {arity} arguments")
            names = tuple(inputs) if inputs is not None else tuple(inspect.signature(function).parameters)
            eq = Equation(ename, kind, function, names, unit,  # type: ignore[arg-type]
                          inspect.cleandoc(doc or function.__doc__ or ""), source, sector=sector)
            if dims is None and not refs:
                self._claim(ename)
                self._declare(eq)
                return function
            where = f"{kind} {ename!r}"
            unknown = sorted(set(refs or {}) - set(names))
            if unknown:
                raise ValueError(f"{where}: refs name {unknown}, which are not arguments of the function "
                                 f"({', '.join(names)})")
            part = Part(self._dims(where, dims, parts=True), function, names, dict(refs or {}))
            families = tuple(self._dimensions[d].family for d in part.dims)
            old = self._declared.get(ename)
            if isinstance(old, ArrayDeclaration) and old.parts and part.dims != families \
                    and old.dims == families and old.kind == kind and old.unit == unit:
                self._declared[ename] = dataclasses.replace(old, parts=(*old.parts, part))  # another part
                self._changed()
                return function
            self._array(ArrayDeclaration(ename, kind, families, eq, parts=(part,)))
            return function
        return register

    def flow(self, unit: str | None, doc: str | None = None, source: str = "",
             name: str | None = None, inputs: Sequence[str] | None = None,
             sector: str | None = None, dims: str | Sequence[str] | None = None,
             refs: Mapping[str, str] | None = None) -> Callable[[Callable], Callable]:
        """Decorator declaring a flow (a rate in stock unit per time unit).

        The function's argument names are the names it reads. A template used for
        several elements gives ``name`` and ``inputs`` (positional) explicitly.
        """
        return self._equation("flow", unit, doc, source, name, inputs, sector, dims, refs)

    def auxiliary(self, unit: str | None, doc: str | None = None, source: str = "",
                  name: str | None = None, inputs: Sequence[str] | None = None,
                  sector: str | None = None, dims: str | Sequence[str] | None = None,
                  refs: Mapping[str, str] | None = None) -> Callable[[Callable], Callable]:
        """Decorator declaring an auxiliary (any other computed quantity); see :meth:`flow`."""
        return self._equation("auxiliary", unit, doc, source, name, inputs, sector, dims, refs)

    def lookup(self, name: str, input: str, points: Sequence[tuple[float, float]], unit: str | None,
               doc: str = "", source: str = "", sector: str | None = None) -> Equation:
        """Declare a graphical function: ``name = table(input)``, piecewise linear."""
        self._claim(name)
        table = Lookup(tuple(float(x) for x, _ in points), tuple(float(y) for _, y in points))
        eq = Equation(name, "auxiliary", table, (input,), unit, doc, source, lookup=table, sector=sector)
        self._declare(eq)
        return eq

    # ------------------------------------------------------------------ builtins
    def smooth(self, name: str, input: str, averaging_time: str | float, order: int = 1,
               initial: str | float | None = None, unit: str | None = None, doc: str = "",
               source: str = "", sector: str | None = None) -> Builtin:
        """Exponential smoothing of ``input`` through ``order`` stages (Vensim SMOOTH,
        SMOOTH3, SMOOTH N; XMILE SMTH1, SMTH3, SMTHN).

        ``initial`` defaults to the input's initial value. ``unit`` defaults to the
        input's unit when the input is already declared (otherwise pass it).
        """
        return self._staged("smooth", "SMTH", name, input, averaging_time, order, initial, unit,
                            doc, source, sector)

    def delay(self, name: str, input: str, delay_time: str | float, order: int = 1,
              initial: str | float | None = None, unit: str | None = None, doc: str = "",
              source: str = "", sector: str | None = None) -> Builtin:
        """Material delay of ``input`` through ``order`` stages (Vensim DELAY1, DELAY3,
        DELAY N; XMILE DELAY1, DELAY3, DELAYN): what goes in comes out ``delay_time``
        later on average, and nothing is lost on the way. The input may be a flow, an
        auxiliary, a stock or a parameter; the output is a flow.

        ``initial`` (the initial output) defaults to the input's initial value. ``unit``
        (the output's, like the input's) defaults to the input's unit when the input is
        already declared (otherwise pass it).
        """
        return self._staged("delay", "DELAY", name, input, delay_time, order, initial, unit,
                            doc, source, sector)

    def delay_fixed(self, name: str, input: str, delay_time: str | float,
                    initial: str | float | None = None, unit: str | None = None, doc: str = "",
                    source: str = "", sector: str | None = None) -> Builtin:
        """A discrete pipeline delay (Vensim DELAY FIXED, XMILE DELAY): the output is the
        input ``delay_time`` earlier, rounded to whole time steps, and ``initial``
        (default: the input's initial value) before that. Fixed-step runs only; the
        delay time is read once, at the start."""
        unit = unit if unit is not None else self._declared_unit(input)
        numbers, (time_name, init_name) = self._numbers(
            name, [("time", delay_time, self.time_unit, "delay time"),
                   ("initial", initial, unit, "initial value")])
        return self._builtin(Builtin(name, "DELAY", input, time_name, init_name, unit, doc, source,
                                     kind="delay_fixed", sector=sector, input_unit=unit), numbers)

    def trend(self, name: str, input: str, averaging_time: str | float, initial_trend: str | float = 0.0,
              unit: str | None = None, doc: str = "", source: str = "", sector: str | None = None
              ) -> Builtin:
        """The input's fractional growth rate (Vensim TREND, XMILE TREND), per time unit:
        ``(input - AV) / (averaging_time * |AV|)``, 0 where AV is 0, with AV the input
        smoothed over ``averaging_time`` and started so that the trend starts at
        ``initial_trend``."""
        input_unit = self._declared_unit(input)
        unit = unit if unit is not None else f"1/{self.time_unit}"
        numbers, (time_name, init_name) = self._numbers(
            name, [("time", averaging_time, self.time_unit, "averaging time"),
                   ("initial_trend", initial_trend, f"1/{self.time_unit}", "initial trend")])
        return self._builtin(Builtin(name, "TREND", input, time_name, init_name, unit, doc, source,
                                     kind="trend", sector=sector, input_unit=input_unit), numbers)

    def forecast(self, name: str, input: str, averaging_time: str | float, horizon: str | float,
                 initial_trend: str | float = 0.0, unit: str | None = None, doc: str = "",
                 source: str = "", sector: str | None = None) -> Builtin:
        """A trend-extrapolating forecast of ``input`` at ``time + horizon`` (Vensim
        FORECAST, XMILE FORCST): ``input * (1 + (input - AV) / (averaging_time * AV) *
        horizon)``, AV as in :meth:`trend`."""
        unit = unit if unit is not None else self._declared_unit(input)
        numbers, (time_name, init_name, horizon_name) = self._numbers(
            name, [("time", averaging_time, self.time_unit, "averaging time"),
                   ("initial_trend", initial_trend, f"1/{self.time_unit}", "initial trend"),
                   ("horizon", horizon, self.time_unit, "forecast horizon")])
        return self._builtin(Builtin(name, "FORCST", input, time_name, init_name, unit, doc, source,
                                     kind="forecast", horizon=horizon_name, sector=sector,
                                     input_unit=unit), numbers)

    def initial(self, name: str, input: str, unit: str | None = None, doc: str = "", source: str = "",
                sector: str | None = None) -> Builtin:
        """The value ``input`` has at the start of the run, held constant (Vensim
        INITIAL, XMILE INIT)."""
        unit = unit if unit is not None else self._declared_unit(input)
        return self._builtin(Builtin(name, "INIT", input, None, None, unit, doc, source, kind="initial",
                                     sector=sector, input_unit=unit), ())

    def _staged(self, kind: str, family: str, name: str, input: str, delay_time: str | float,
                order: int, initial: str | float | None, unit: str | None, doc: str, source: str,
                sector: str | None) -> Builtin:
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"{name}: order must be a whole number >= 1, not {order!r}")
        if unit is None:
            # The output is in the input's unit (a smoothed value, or a delayed quantity).
            unit = self._declared_unit(input)
        numbers, (time_name, init_name) = self._numbers(
            name, [("time", delay_time, self.time_unit, f"{'delay' if kind == 'delay' else 'averaging'} time"),
                   ("initial", initial, unit, "initial value")])
        function = f"{family}{order}" if order in (1, 3) else f"{family}N"
        return self._builtin(Builtin(name, function, input, time_name, init_name, unit, doc, source,
                                     kind=kind, order=order, sector=sector, input_unit=unit),  # type: ignore[arg-type]
                             numbers)

    def _numbers(self, name: str, args: list[tuple[str, Any, str | None, str]]
                 ) -> tuple[tuple[Parameter, ...], list[str | None]]:
        """Arguments given as numbers become generated parameters ``<name>__<suffix>``."""
        numbers, names = [], []
        for suffix, value, unit, what in args:
            if value is None or isinstance(value, str):
                names.append(value)
                continue
            p = Parameter(f"{name}__{suffix}", float(value), unit, doc=f"{what} of {name}",
                          role="generated", owner=name)
            p.check(p.value)
            numbers.append(p)
            names.append(p.name)
        return tuple(numbers), names

    def _builtin(self, b: Builtin, numbers: Sequence[Parameter]) -> Builtin:
        self._claim(b.name)
        for p in numbers:
            self._claim(p.name)
        self._declare(BuiltinDeclaration(b, tuple(numbers)))
        return b

    def _declared_unit(self, name: str) -> str | None:
        item = self._declared.get(name)
        if isinstance(item, BuiltinDeclaration):
            return item.builtin.unit
        return None if item is None else item.unit

    # ------------------------------------------------------------------ the elements
    @property
    def elements(self) -> Expanded:
        """Every element, builtins written out (computed once, then cached)."""
        if self._elements is None:
            from .interventions import apply_interventions
            elements = expand(self._declared, self.time_unit, self._dimensions)
            if self.interventions:
                elements = apply_interventions(elements, self.interventions, self.time_unit)
            for name, p in self._values.items():
                if name in elements.parameters:
                    elements.parameters[name] = p
            self._elements = elements
        return self._elements

    @property
    def parameters(self) -> MutableMapping[str, Parameter]:
        """Every parameter (generated and policy ones included), by name. Assigning a
        :class:`Parameter` replaces a declared one in place (prefer :meth:`replace`)."""
        return _ParameterTable(self)

    @property
    def stocks(self) -> Mapping[str, Stock]:
        return MappingProxyType(self.elements.stocks)

    @property
    def equations(self) -> Mapping[str, Equation]:
        return MappingProxyType(self.elements.equations)

    @property
    def builtins(self) -> Mapping[str, Builtin]:
        return MappingProxyType(self.elements.builtins)

    # ------------------------------------------------------------------ building
    def build(self) -> Model:
        """Validate the model (names, loops, flows, units) and compile its plan."""
        if self._plan is None:
            from .plan import Plan
            self._plan = Plan(self)
        return self

    @property
    def plan(self) -> Plan:
        return self.build()._plan  # type: ignore[return-value]

    def names(self) -> list[str]:
        """Every element name: parameters, stocks, flows and auxiliaries."""
        e = self.elements
        return [*e.parameters, *e.stocks, *e.equations]

    def element(self, name: str) -> Parameter | Stock | Equation:
        e = self.elements
        for table in (e.parameters, e.stocks, e.equations):
            if name in table:
                return table[name]  # type: ignore[return-value]
        raise unknown_name("element", name, self.names())

    # ------------------------------------------------------------------ transforms
    def _copy(self, structure_changed: bool) -> Model:
        new = object.__new__(Model)
        new.__dict__.update(self.__dict__)
        new._declared = dict(self._declared)
        new._dimensions = dict(self._dimensions)
        new._values = dict(self._values)
        new._elements = None
        if structure_changed:
            new._plan = None
        return new

    def with_parameters(self, values: Mapping[str, float] | None = None, check_ranges: bool = True,
                        **kw: float) -> Model:
        """A new model with new parameter values (user or policy parameters; generated
        ones are refused). The compiled plan is shared, not rebuilt."""
        values = self._per_element({**(values or {}), **kw})
        self.build()
        new = self._copy(structure_changed=False)
        for key, value in values.items():
            p = self.overridable(key)
            if check_ranges:
                p.check(value)
            else:
                _check_finite(p, value)
            updated = dataclasses.replace(p, value=float(value))
            if key in new._declared:
                new._declared[key] = updated
            else:
                new._values[key] = updated
        return new

    def _per_element(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values given for a whole parameter array (one value, a mapping from element
        to value, or a sequence) as values of its elements ``name[e]``."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            decl = self._declared.get(key)
            if isinstance(decl, ArrayDeclaration) and decl.kind == "parameter" and decl.dims:
                per = element_values(f"parameter {key!r}", value, decl.dims, self._dimensions)
                out.update({f"{key}[{','.join(c)}]": v for c, v in per.items()})
            else:
                out[key] = value
        return out

    def replace(self, *elements: Parameter) -> Model:
        """A new model with these parameters replacing the declared ones of the same
        names (a new value, range, source or doc; e.g. calibrated values and the fit
        they come from). Values are range-checked."""
        new = self._copy(structure_changed=False)
        for p in elements:
            old = self.overridable(p.name)
            if p.unit != old.unit:
                new._plan = None
            p.check(p.value)
            if p.name in new._declared:
                new._declared[p.name] = dataclasses.replace(p, role=old.role, owner=old.owner)
            else:
                new._values[p.name] = p
        return new

    def with_interventions(self, interventions: Iterable[Any]) -> Model:
        """A new model with time-dependent interventions (step, pulse, ramp, cap,
        schedule) on parameters or variables, after any it already has; see
        :mod:`aiscale.stocks_flows.interventions`."""
        from .interventions import Intervention, InterventionError
        added = tuple(interventions)
        for iv in added:
            if not isinstance(iv, Intervention):
                raise InterventionError(f"expected an Intervention, not {type(iv).__name__}")
        new = self._copy(structure_changed=True)
        new.interventions = (*self.interventions, *added)
        return new.build()

    def with_span(self, start: float, stop: float) -> Model:
        """A new model whose runs default to ``start`` .. ``stop``."""
        if not float(stop) > float(start):
            raise ValueError(f"stop ({stop}) must be after start ({start})")
        new = self._copy(structure_changed=False)
        new.start, new.stop = float(start), float(stop)
        return new

    # ------------------------------------------------------------------ parameters
    def parameter_named(self, name: str) -> Parameter:
        if name not in self.elements.parameters:
            raise unknown_name("parameter", name, self.elements.parameters)
        return self.elements.parameters[name]

    def overridable(self, name: str) -> Parameter:
        """The parameter ``name`` if a run may set it (a user or policy parameter);
        otherwise an error naming the closest names that may be set."""
        params = self.elements.parameters
        p = params.get(name)
        if p is not None and p.role != "generated":
            return p
        allowed = [n for n, q in params.items() if q.role != "generated"]
        if p is None:
            raise unknown_name("parameter", name, allowed)
        if p.role == "generated":
            from .errors import UnknownNameError
            raise UnknownNameError(
                f"parameter {name!r} is generated (internal to {p.owner!r}) and cannot be set"
                f"{did_you_mean(name, allowed)}; to vary it, declare it as a parameter of its own "
                f"and pass its name to {p.owner!r}")
        return p

    def parameter_values(self) -> dict[str, float]:
        return {k: p.value for k, p in self.elements.parameters.items()}

    # ------------------------------------------------------------------ analysis entry points
    def run(self, start: float | None = None, stop: float | None = None, *,
            solver: Solver | FixedStep | None = None, saveat: SaveAt | None = None,
            parameters: Mapping[str, Any] | None = None, events: Sequence[Any] = (),
            blowup: Any = None, breakpoints: Iterable[float] = (), limits: Limits | None = None,
            method: str | None = None, dt: float | None = None, saveper: float | None = None,
            rtol: float | None = None, atol: Any = None, log_space: bool | str | None = None,
            max_step: float | None = None, max_evaluations: int | None = None,
            max_seconds: float | None | str = "default") -> Result:
        """Simulate from ``start`` to ``stop`` (default: the model's span).

        Solver settings are objects (:mod:`.settings`): ``solver=Solver("RK45",
        rtol=1e-6)`` (adaptive, the default) or ``solver=FixedStep(dt, "euler")``;
        ``saveat=SaveAt(saveper)``; ``limits=Limits(max_evaluations, max_seconds)``.
        The flat keywords (``method``, ``dt``, ``saveper``, ``rtol``, ``atol``,
        ``log_space``, ``max_step``, ``max_evaluations``, ``max_seconds``) are
        shorthands for the same objects. ``parameters``: overrides (names and ranges
        checked); ``events``: :class:`~.events.Threshold` s to report (terminal ones stop
        the run); ``blowup``: when a run counts as blown up (always terminal);
        ``breakpoints``: times an adaptive step must not jump over (switching times of
        step/ramp/pulse helpers and interventions are added automatically).
        Returns a :class:`~.simulate.Result`.
        """
        from .settings import resolve
        from .simulate import single_result
        run = resolve(self, start, stop, solver=solver, saveat=saveat, limits=limits, method=method,
                      dt=dt, saveper=saveper, rtol=rtol, atol=atol, log_space=log_space,
                      max_step=max_step, max_evaluations=max_evaluations, max_seconds=max_seconds)
        return single_result(self, run, parameters=parameters, events=events, blowup=blowup,
                             breakpoints=breakpoints)

    def as_array(self, data: Any, name: str) -> Any:
        """The array ``name`` from a results frame or an ensemble dataset (whose
        variables are its elements ``name[e]``) as one ``xarray.DataArray``, the
        array's dimensions last (e.g. ``(run, time, region)``)."""
        from .subscripts import as_array
        if name not in self.elements.arrays:
            raise unknown_name("array", name, self.elements.arrays)
        return as_array(data, self.elements.arrays[name])

    def run_ensemble(self, parameter_sets: Any, start: float | None = None, stop: float | None = None,
                     **kwargs: Any):
        """Simulate N parameter sets in one vectorised run (options as for :meth:`run`,
        plus ``outputs`` and ``include_parameters``); see :func:`.ensemble.run_ensemble`."""
        from .ensemble import run_ensemble
        return run_ensemble(self, parameter_sets, start, stop, **kwargs)

    def __repr__(self) -> str:
        e = self.elements
        ivs = f", {len(self.interventions)} interventions" if self.interventions else ""
        return (f"<Model {self.name!r} {self.start:g}-{self.stop:g} {self.time_unit}s: "
                f"{sum(not s.hidden for s in e.stocks.values())} stocks, "
                f"{sum(not q.hidden for q in e.equations.values())} equations, "
                f"{sum(not p.hidden for p in e.parameters.values())} parameters{ivs}>")


def _kind_of(item: Declaration) -> str:
    if isinstance(item, ArrayDeclaration):
        return f"{item.kind} array" if item.dims else item.kind
    if isinstance(item, BuiltinDeclaration):
        return item.builtin.label
    if isinstance(item, Parameter):
        return "parameter"
    if isinstance(item, Stock):
        return "stock"
    return "equation"


def _check_finite(p: Parameter, value: Any) -> None:
    unbounded = dataclasses.replace(p, low=None, high=None)
    unbounded.check(value)


def check_range(p: Parameter, value: float) -> None:
    """Raise :class:`~.errors.ParameterRangeError` unless ``value`` suits ``p``
    (:meth:`Parameter.check`)."""
    p.check(value)


class _ParameterTable(MutableMapping):
    """``model.parameters``: the model's parameters; assigning one replaces the declared
    parameter of that name (its value, source ...), so older code that edited the
    table keeps working. Transforms (:meth:`Model.replace`) are the better way."""

    def __init__(self, model: Model):
        self._model = model

    def _table(self) -> dict[str, Parameter]:
        return self._model.elements.parameters

    def __getitem__(self, name: str) -> Parameter:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __contains__(self, name: object) -> bool:
        return name in self._table()

    def __setitem__(self, name: str, p: Parameter) -> None:
        m = self._model
        if not isinstance(p, Parameter) or p.name != name:
            raise TypeError(f"model.parameters[{name!r}] takes a Parameter named {name!r}")
        old = self._table().get(name)
        if old is None:
            raise unknown_name("parameter", name, self._table())
        p.check(p.value)
        if name in m._declared:
            m._declared[name] = dataclasses.replace(p, role=old.role, owner=old.owner)
        else:
            m._values[name] = p
        m._changed(structure=p.unit != old.unit)

    def __delitem__(self, name: str) -> None:
        raise ModelError(f"parameters cannot be removed from a model ({name!r})")

    def __repr__(self) -> str:
        return repr(dict(self._table()))
