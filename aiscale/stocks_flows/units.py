"""Unit checking with pint.

Each equation is run twice on the same random magnitudes: once on plain floats, once
on pint quantities carrying the declared units of its inputs. The equation is
consistent when the pint result converts to the declared unit *and* has the same
magnitude as the float result, so an equation that silently multiplies FLOP/s by
years (and so is off by 3.2e7 from FLOP) is caught as well as one adding FLOP to
dollars.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .elements import Equation
from .expr import to_python, trace

if TYPE_CHECKING:
    import pint

    from .model import Model
    from .plan import Plan


@lru_cache(maxsize=32)
def registry(definitions: tuple[str, ...] = ()) -> pint.UnitRegistry:
    """A unit registry with the model's own units (e.g. ``"FLOP = [compute]"``) added."""
    import pint
    ureg = pint.UnitRegistry()
    for definition in definitions:
        ureg.define(definition)
    return ureg


def parse_unit(ureg: pint.UnitRegistry, unit: str) -> pint.Unit | None:
    import pint
    try:
        return ureg.Unit(unit)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError):
        return None


def _conversion_factor(ureg: pint.UnitRegistry, have: Any, want: Any) -> float | None:
    """How many ``want`` one ``have`` is, or None if the dimensions differ."""
    import pint
    try:
        return float(ureg.Quantity(1.0, have).to(want).magnitude)
    except pint.errors.DimensionalityError:
        return None


def check_units(model: Model) -> list[str]:
    """Every unit problem in the model, as messages naming the element."""
    ureg = registry(model.unit_definitions)
    problems: list[str] = []
    units: dict[str, Any] = {}
    for name in [*model.names(), "time"]:
        unit = model.time_unit if name == "time" else model.element(name).unit
        parsed = parse_unit(ureg, unit) if unit is not None else None
        if parsed is None and unit is not None:
            problems.append(f"{name!r} has unit {unit!r}, which is not defined "
                            "(add it to the model's unit definitions)")
        units[name] = parsed
    if problems:
        return problems

    rng = np.random.default_rng(20240601)
    magnitude = {name: float(rng.uniform(1.0, 2.0)) for name in units}
    for eq in model.equations.values():
        problems.extend(_check_equation(ureg, eq, units, magnitude))

    per_time = ureg.Unit(model.time_unit)
    for stock in model.stocks.values():
        want = units[stock.name] / per_time
        for flow in (*stock.inflows, *stock.outflows):
            factor = _conversion_factor(ureg, units[flow], want)
            if factor is None or not np.isclose(factor, 1.0, rtol=1e-9):
                problems.append(f"flow {flow!r} is in {units[flow]:~}, but stock {stock.name!r} "
                                f"needs {want:~} ({stock.unit} per {model.time_unit})")
        if isinstance(stock.initial, str):
            factor = _conversion_factor(ureg, units[stock.initial], units[stock.name])
            if factor is None or not np.isclose(factor, 1.0, rtol=1e-9):
                problems.append(f"stock {stock.name!r} ({units[stock.name]:~}) starts from "
                                f"{stock.initial!r} in {units[stock.initial]:~}")
    return problems


def _check_equation(ureg: pint.UnitRegistry, eq: Equation, units: dict, magnitude: dict) -> list[str]:
    import pint
    declared = units[eq.name]
    if eq.lookup is not None:
        return []  # a table maps its input's value to a number in its own unit
    plain_args = [magnitude[a] for a in eq.inputs]
    unit_args = [ureg.Quantity(magnitude[a], units[a]) for a in eq.inputs]
    with np.errstate(all="ignore"):
        try:
            plain = eq.function(*plain_args)
            result = eq.function(*unit_args)
        except pint.errors.DimensionalityError as err:
            return [f"{eq.kind} {eq.name!r}: inconsistent units inside the equation: {err}"]
        except pint.errors.OffsetUnitCalculusError as err:
            return [f"{eq.kind} {eq.name!r}: offset units cannot be multiplied: {err}"]
        except (ValueError, TypeError) as err:  # e.g. comparing a time with a bare number
            return [f"{eq.kind} {eq.name!r}: units do not fit together inside the equation "
                    f"({err}); give constants a unit by making them parameters"]
    if not isinstance(result, pint.Quantity):
        result = ureg.Quantity(result, "dimensionless")
    try:
        converted = np.asarray(result.to(declared).magnitude)
    except pint.errors.DimensionalityError:
        return [f"{eq.kind} {eq.name!r} computes {result.units:~} but declares {declared:~}"]
    plain = np.asarray(plain)
    # Random magnitudes can take a power of a negative number into the complex plane;
    # then only the dimensions are compared.
    if not np.iscomplexobj(plain) and not np.iscomplexobj(converted) and np.all(np.isfinite(plain)) and not np.allclose(converted, plain, rtol=1e-9, atol=0):
        factor = float(np.mean(converted / plain)) if np.all(plain != 0) else float("nan")
        return [f"{eq.kind} {eq.name!r} computes {result.units:~}, which is {factor:.6g} x its "
                f"declared {declared:~}: convert explicitly (e.g. a seconds-per-year parameter)"]
    return []


def check_units_cached(model: Model, plan: Plan) -> list[str]:
    """:func:`check_units`, remembered on disk for models that passed: keyed on every
    element's name, kind, unit, inputs and equation (its expression tree, or the code
    of a function that cannot be traced), so a model built again skips pint. A model
    whose functions cannot be fingerprinted is checked every time."""
    key = _fingerprint(model, plan)
    if key is None:
        return check_units(model)
    from .compile import cache_dir
    path = cache_dir("units") / f"{key}.json"
    if path.exists():
        return []
    problems = check_units(model)
    if not problems:
        from .simulate import atomic_write
        try:
            atomic_write(path, lambda p: open(p, "w").write("[]"))
        except OSError:  # a read-only cache costs only the time of checking again
            pass
    return problems


def _fingerprint(model: Model, plan: Plan) -> str | None:
    e = model.elements
    parts: list[Any] = [model.time_unit, list(model.unit_definitions)]
    for p in e.parameters.values():
        parts.append(["p", p.name, p.unit])
    for s in e.stocks.values():
        parts.append(["s", s.name, s.unit, s.initial if isinstance(s.initial, str) else None,
                      s.inflows, s.outflows])
    for q in e.equations.values():
        tree = plan.trees[q.name] if q.name in plan.trees else trace(q.function, q.inputs)
        if tree is not None:
            text = to_python(tree, lambda n: n)
        elif q.lookup is not None:
            text = "lookup"
        else:
            text = _code_fingerprint(q.function)
            if text is None:
                return None
        parts.append(["q", q.name, q.kind, q.unit, q.inputs, text])
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def _code_fingerprint(fn: Any) -> str | None:
    """The code, constants and captured values of a function, if they print stably."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    parts = [code.co_code.hex(), repr(code.co_consts), repr(code.co_names), repr(fn.__defaults__)]
    for cell in getattr(fn, "__closure__", None) or ():
        parts.append(repr(cell.cell_contents))
    text = "|".join(parts)
    return None if " at 0x" in text else text
