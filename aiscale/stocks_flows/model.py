"""Declaring a model; :mod:`.plan` compiles it into an evaluation plan.

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
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .delays import expand_delay
from .elements import Builtin, Equation, Lookup, Parameter, Stock
from .errors import (
    DuplicateNameError,
    ParameterRangeError,
    unknown_name,
)
from .plan import TIME, Plan


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
        self._plan: Plan | None = None

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
        check_range(p, p.value)
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
        builtin = expand_delay(self, family, name, input, str(time_name), order,
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
            self._plan = Plan(self)
        return self

    @property
    def plan(self) -> Plan:
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
                check_range(p, value)
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


def check_range(p: Parameter, value: float) -> None:
    """``value`` is a finite number within ``p``'s range (NaN would pass every < and >)."""
    if not math.isfinite(value):
        raise ParameterRangeError(f"parameter {p.name!r} = {value} is not a finite number")
    if p.low is not None and value < p.low:
        raise ParameterRangeError(f"parameter {p.name!r} = {value:g} is below its lower bound "
                                  f"{p.low:g} (range [{p.low:g}, {p.high if p.high is not None else 'inf'}])")
    if p.high is not None and value > p.high:
        raise ParameterRangeError(f"parameter {p.name!r} = {value:g} is above its upper bound "
                                  f"{p.high:g} (range [{p.low if p.low is not None else '-inf'}, {p.high:g}])")
