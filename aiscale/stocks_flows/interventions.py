"""Policy interventions: time-dependent changes to a parameter or a variable.

An :class:`Intervention` changes one *target* over a time window:

``step``      the target takes ``value`` from ``start`` (until ``end``, if given)
``pulse``     the same, for a window that must end: ``start <= time < end``
``ramp``      the target moves linearly from its own value at ``start`` to ``value`` at
              ``end``, and stays there
``cap``       the target is held at or below ``value`` from ``start`` (until ``end``)
``schedule``  the target follows ``table`` (time, value) pairs, linear in between and
              flat after the last one, from the first time in the table (until ``end``)

``mode`` says what ``value`` (or the table) means: ``"set"`` (the default: the new
value), ``"multiply"`` (a factor on the target's own value; a ramp starts from 1) or
``"add"`` (an amount added; a ramp starts from 0). A cap is always an upper bound.

:func:`apply_interventions` (``Model.with_interventions``) gives a new model (the
model it is applied to does not change; the elements it adds have role ``policy``):

* a **parameter** target ``p`` keeps its value (so overrides and ensembles still set
  it); a new auxiliary ``p__intervened`` computes its time-varying value and every
  equation that read ``p`` reads it instead (stocks initialised from ``p`` still start
  from ``p``);
* a **flow or auxiliary** target ``x`` keeps its name; its own equation is kept as the
  auxiliary ``x__base`` and ``x`` becomes the intervened value of ``x__base``, so the
  result shows both (e.g. how far a cap holds a variable below its own value).

The numbers of intervention ``k`` on a target become parameters of the new model
(``<target>__iv<k>_start``, ``_end``, ``_value``; a schedule is the graphical function
``<target>__iv<k>_table`` of time), so units are checked, the XMILE export shows them
and an ensemble may vary them. The switching times are passed to the solver as
breakpoints, so an adaptive step never jumps over the start or end of an intervention
(DESIGN.md section 7: a short policy pulse was stepped over entirely without them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .elements import Equation, Lookup, Parameter
from .errors import ModelError, did_you_mean
from .expand import Expanded
from .functions import clip, if_then_else, minimum

KINDS = ("step", "pulse", "ramp", "cap", "schedule")
MODES = ("set", "multiply", "add")
INTERVENED = "__intervened"
BASE = "__base"


class InterventionError(ModelError, ValueError):
    """An intervention that cannot be applied: unknown target, kind or mode, missing or
    inconsistent times or values, a value outside the target parameter's range."""


@dataclass(frozen=True)
class Intervention:
    """A time-dependent change of one parameter or variable (see the module docstring)."""

    kind: str
    target: str
    start: float | None = None
    end: float | None = None
    value: float | None = None
    table: tuple[tuple[float, float], ...] = ()
    mode: str = "set"
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", tuple((float(t), float(v)) for t, v in self.table))
        for name in ("start", "end", "value"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, float(v))
        where = f"{self.kind} intervention on {self.target!r}"
        numbers = [(n, getattr(self, n)) for n in ("start", "end", "value")]
        numbers += [(f"table point {k}", x) for k, point in enumerate(self.table, 1) for x in point]
        for name, v in numbers:
            if v is not None and not math.isfinite(v):
                raise InterventionError(f"{where}: {name} must be a finite number, not {v}")
        if self.kind not in KINDS:
            raise InterventionError(f"unknown intervention kind {self.kind!r} for {self.target!r}"
                                    f"{did_you_mean(self.kind, KINDS)}; choose one of {', '.join(KINDS)}")
        if self.mode not in MODES:
            raise InterventionError(f"{where}: unknown mode {self.mode!r}{did_you_mean(self.mode, MODES)}; "
                                    f"choose one of {', '.join(MODES)}")
        if self.kind == "cap" and self.mode != "set":
            raise InterventionError(f"{where}: a cap is an upper bound on the value; mode must be 'set'")
        if self.kind == "schedule":
            if not self.table:
                raise InterventionError(f"{where} needs a table of [time, value] pairs")
            if self.value is not None:
                raise InterventionError(f"{where}: give a table, not a value")
            times = [t for t, _ in self.table]
            if any(b <= a for a, b in zip(times, times[1:])):
                raise InterventionError(f"{where}: table times must increase strictly, not {times}")
            if self.start is not None and self.start != times[0]:
                raise InterventionError(f"{where}: start ({self.start:g}) must be the table's first "
                                        f"time ({times[0]:g}) or be left out")
            object.__setattr__(self, "start", times[0])
        else:
            if self.table:
                raise InterventionError(f"{where}: only a schedule takes a table; give a value")
            if self.value is None:
                raise InterventionError(f"{where} needs a value")
            if self.start is None:
                raise InterventionError(f"{where} needs a start time")
        if self.kind in ("ramp", "pulse") and self.end is None:
            raise InterventionError(f"{where} needs an end time")
        if self.end is not None and self.start is not None and self.end <= self.start:
            raise InterventionError(f"{where}: end ({self.end:g}) must be after start ({self.start:g})")

    @property
    def switching_times(self) -> tuple[float, ...]:
        """When the intervention changes regime (solver breakpoints)."""
        times = [self.start, *(t for t, _ in self.table), self.end]
        return tuple(sorted({t for t in times if t is not None}))

    def describe(self) -> str:
        """One line, e.g. ``cap largest_training_run_flop <= 1e+27 from 2027``."""
        when = f"from {self.start:g}" + (f" to {self.end:g}" if self.end is not None else "")
        how = {"set": "=", "multiply": "x", "add": "+"}[self.mode]
        if self.kind == "cap":
            what = f"<= {self.value:g}"
        elif self.kind == "schedule":
            what = f"{how} table " + ", ".join(f"{t:g}: {v:g}" for t, v in self.table)
        elif self.kind == "ramp":
            what = f"ramps to {how} {self.value:g}"
        else:
            what = f"{how} {self.value:g}"
        return f"{self.kind} {self.target} {what} {when}"


# ---------------------------------------------------------------------- applying
def apply_interventions(elements: Expanded, interventions: Sequence[Intervention],
                        time_unit: str) -> Expanded:
    """The elements with ``interventions`` applied, in order: a new :class:`Expanded`;
    ``elements`` is not changed. The new elements have role ``policy``."""
    new = Expanded(dict(elements.parameters), dict(elements.stocks), dict(elements.equations),
                   dict(elements.builtins), dict(elements.arrays), dict(elements.dimensions))
    by_target: dict[str, list[tuple[int, Intervention]]] = {}
    for k, iv in enumerate(interventions):
        by_target.setdefault(iv.target, []).append((k, iv))
    for target, items in by_target.items():
        _apply_to_target(new, target, items, time_unit)
    return new


def _public_targets(m: Expanded) -> list[str]:
    return [*(n for n, p in m.parameters.items() if p.role != "generated"),
            *(n for n, e in m.equations.items() if not e.hidden)]


def _apply_to_target(m: Expanded, target: str, items: list[tuple[int, Intervention]],
                     time_unit: str) -> None:
    if target in m.stocks and not m.stocks[target].hidden:
        s = m.stocks[target]
        flows = ", ".join([*s.inflows, *s.outflows]) or "none"
        raise InterventionError(f"intervention target {target!r} is a stock, which only its flows change; "
                                f"intervene on one of its flows instead ({flows})")
    if target in m.parameters and m.parameters[target].role != "generated":
        p = m.parameters[target]
        for _, iv in items:
            _check_parameter_values(p, iv)
        unit = p.unit
        base_name, out_name, kind, role = target, target + INTERVENED, "auxiliary", "policy"
        _rewire_readers(m, target, out_name)
        doc, source = f"{target} with its interventions", "scenario intervention"
    elif target in m.equations and not m.equations[target].hidden:
        eq = m.equations[target]
        unit, base_name, out_name, kind, role = eq.unit, target + BASE, target, eq.kind, eq.role
        m.equations[base_name] = replace(eq, name=base_name, kind="auxiliary", role="policy", owner=target,
                                         doc=f"{target} before interventions: {eq.doc}")
        del m.equations[target]
        doc, source = eq.doc, "scenario intervention"
    else:
        raise InterventionError(f"unknown intervention target {target!r}"
                                f"{did_you_mean(target, _public_targets(m))}: give a parameter, "
                                "flow or auxiliary of the model")
    inputs: list[str] = [base_name, "time"]
    pieces: list[tuple[Callable, int]] = []
    switches: list[str | float] = []
    for k, iv in items:
        names = _declare_numbers(m, target, k, iv, unit, time_unit)
        inputs += names
        pieces.append((_piece(iv), len(names)))
        switches += [n for n in names if n.endswith(("_start", "_end"))]
        switches += [t for t, _ in iv.table]
    notes = "; ".join(iv.describe() for _, iv in items)
    m.equations[out_name] = Equation(out_name, kind, _compose(pieces), tuple(inputs), unit,  # type: ignore[arg-type]
                                     f"{doc} [interventions: {notes}]".strip(), source, role=role,
                                     owner=target, switch_times=tuple(switches))


def _check_parameter_values(p: Parameter, iv: Intervention) -> None:
    """A ``set`` value (or cap, or table value) on a parameter must be admissible."""
    values = [v for _, v in iv.table] if iv.kind == "schedule" else [iv.value]
    checked = p if iv.mode == "set" else replace(p, low=None, high=None)  # a factor or an amount
    for v in values:
        if checked.violation(v) is not None:
            raise InterventionError(f"{iv.kind} intervention sets parameter {p.name!r} to {v:g}, "
                                    f"outside its range {p.range_text}")


def _rewire_readers(m: Expanded, parameter: str, replacement: str) -> None:
    """Every equation that reads ``parameter`` during the run reads ``replacement``."""
    for name, eq in list(m.equations.items()):
        if parameter in eq.inputs and not eq.initial_only:
            inputs = tuple(replacement if a == parameter else a for a in eq.inputs)
            m.equations[name] = replace(eq, inputs=inputs)


def _declare_numbers(m: Expanded, target: str, k: int, iv: Intervention, unit: str | None,
                     time_unit: str) -> list[str]:
    """The intervention's numbers as policy parameters (and a schedule as a table of time)."""
    prefix = f"{target}__iv{k}"
    value_unit = "dimensionless" if iv.mode == "multiply" else unit
    names = []

    def number(suffix: str, value: float, u: str | None) -> None:
        name = f"{prefix}_{suffix}"
        m.parameters[name] = Parameter(name, value, u, doc=f"{suffix} of: {iv.describe()}",
                                       source="scenario intervention", role="policy", owner=target)
        names.append(name)

    number("start", iv.start, time_unit)  # type: ignore[arg-type]
    if iv.end is not None:
        number("end", iv.end, time_unit)
    if iv.kind == "schedule":
        name = f"{prefix}_table"
        table = Lookup(tuple(t for t, _ in iv.table), tuple(v for _, v in iv.table))
        m.equations[name] = Equation(name, "auxiliary", table, ("time",), value_unit,
                                     f"table of: {iv.describe()}", "scenario intervention", lookup=table,
                                     role="policy", owner=target)
        names.append(name)
    else:
        number("value", iv.value, value_unit)  # type: ignore[arg-type]
    return names


def _piece(iv: Intervention) -> Callable[..., Any]:
    """``f(x, time, start[, end], value_or_table) -> x`` for one intervention."""
    has_end = iv.end is not None
    neutral = {"set": None, "multiply": 1.0, "add": 0.0}[iv.mode]
    kind, mode = iv.kind, iv.mode

    def combine(x: Any, v: Any) -> Any:
        if kind == "cap":
            return minimum(x, v)
        if mode == "multiply":
            return x * v
        if mode == "add":
            return x + v
        return v

    def piece(x: Any, time: Any, start: Any, *rest: Any) -> Any:
        end = rest[0] if has_end else None
        v = rest[-1]
        if kind == "ramp":
            frac = clip((time - start) / (end - start), 0.0, 1.0)
            origin = x if neutral is None else neutral
            v = origin + (v - origin) * frac
        active = time >= start
        if has_end and kind != "ramp":
            active = active & (time < end)
        return if_then_else(active, combine(x, v), x)

    return piece


def _compose(pieces: Sequence[tuple[Callable, int]]) -> Callable[..., Any]:
    """One function ``f(base, time, *numbers)`` applying the pieces in order."""
    def intervened(base: Any, time: Any, *numbers: Any) -> Any:
        x, i = base, 0
        for piece, count in pieces:
            x = piece(x, time, *numbers[i:i + count])
            i += count
        return x
    return intervened
