"""XMILE export: the model as an OASIS XMILE 1.0 document, for Stella, Vensim, PySD
and simlin.

Nothing here is a second copy of an equation. The text of every flow and auxiliary
comes from *tracing* its Python function: the kernel calls it with
:class:`~.functions.Symbol` inputs, and the math helpers (``minimum``, ``exp``,
``if_then_else``, ``step`` ...) build XMILE expressions instead of numbers. An
equation that cannot be traced (it uses Python's ``if``/``min``/``math``, or numpy
directly) is an error naming that equation.

How the kernel's elements map to XMILE:

- parameter -> ``<aux>`` holding its current value (so a ``with_parameters`` copy
  exports its own values);
- stock -> ``<stock>`` with its initial value (a number or a name), ``<inflow>``,
  ``<outflow>``, ``<non_negative/>``;
- flow -> ``<flow>``; auxiliary -> ``<aux>``;
- lookup -> ``<aux>`` with an inline ``<gf>`` given by ``<xpts>``/``<ypts>`` only
  (no ``<xscale>``: PySD ignores ``xpts`` when ``xscale`` is present);
- builtins -> one ``<aux>`` (or ``<flow>`` for a delay a stock lists) calling
  ``SMTH1``/``SMTH3``/``SMTHN``, ``DELAY1``/``DELAY3``/``DELAYN``, ``DELAY`` (DELAY
  FIXED), ``TREND``, ``FORCST`` or ``INIT``. The hidden stocks and flows the kernel
  expanded them into are left out. An argument given as a number (kept by the kernel
  as a generated parameter such as ``<name>__time``) is written inline, unless
  another element reads that parameter.

Simulation specs: ``method="Euler"``, ``time_units`` = the model's time unit, and the
save interval (``saveper``) as simlin's/Stella's ``isee:save_interval``; PySD
always saves every DT.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .elements import Builtin, Equation, Parameter, Stock
from .functions import Symbol, _sym

if TYPE_CHECKING:
    from .model import Model
    from .subscripts import Array

__all__ = ["export_xmile", "equation_text"]

XMILE_NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
ISEE_NS = "http://iseesystems.com/XMILE"

# Names XMILE gives a meaning of its own (compared case-insensitively: XMILE names are).
_RESERVED = {"time", "dt", "starttime", "stoptime", "if", "then", "else", "and", "or", "not",
             "mod", "pi", "inf", "nan", "true", "false"}


# --------------------------------------------------------------------------- equations
def equation_text(eq: Equation, name_of: Callable[[str], str] | None = None) -> str:
    """The XMILE text of one flow or auxiliary, traced from its Python function
    (``name_of``: how an input's name is written, e.g. flattened array elements).

    A lookup gives the text of its input (its table goes into a ``<gf>`` element).
    """
    if eq.lookup is not None:
        return _input_symbol(eq.inputs[0], name_of).text
    return _traced(eq, eq.function, [_input_symbol(name, name_of) for name in eq.inputs])


def _traced(eq: Equation, function: Callable, symbols: list[Symbol]) -> str:
    try:
        out = function(*symbols)
    except Exception as exc:
        raise ValueError(
            f"cannot export {eq.kind} {eq.name!r} to XMILE: tracing its function with symbolic "
            f"inputs failed ({type(exc).__name__}: {exc}). Equations must use the helpers from "
            "aiscale.stocks_flows (minimum, maximum, exp, log, if_then_else, step, ...) rather "
            "than Python's if/min/max, math or numpy functions"
        ) from exc
    try:
        return _sym(out).text
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot export {eq.kind} {eq.name!r} to XMILE: tracing returned "
                         f"{out!r}, not an expression or a number") from exc


def _input_symbol(name: str, name_of: Callable[[str], str] | None = None) -> Symbol:
    from .model import TIME
    return Symbol("TIME" if name == TIME else name_of(name) if name_of else name)


def flattened_name(name: str) -> str:
    """``x[north,c1]`` -> ``x_north_c1``: an array element as a scalar XMILE name (also
    inside a longer name, e.g. ``x[north]__intervened``)."""
    return name.replace("[", "_").replace(",", "_").replace("]", "")


def _number(value: float) -> str:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"cannot write the non-finite number {value!r} to XMILE")
    return _sym(value).text


def _constant(value: float) -> str:
    """A constant written as a float (``20.0``, not ``20``): PySD keeps ``20`` an integer,
    and its SMTH1/SMTH3 then hold their state in an integer array, truncating the
    input on the first step when the initial value is such a constant."""
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"cannot write the non-finite number {value!r} to XMILE")
    return repr(value)


def _numbers(values: Iterable[float]) -> str:
    return ",".join(_number(v) for v in values)


def _units(unit: str | None) -> str | None:
    """A pint unit string in XMILE syntax (``**`` becomes ``^``)."""
    if unit is None:
        return None
    return unit.replace("**", "^")


def _doc(doc: str, source: str) -> str:
    parts = [doc.strip()] if doc and doc.strip() else []
    if source and source.strip():
        parts.append(f"Source: {source.strip()}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- document
EXPANDABLE = ("smooth", "delay", "trend", "forecast")


def export_xmile(model: Model, path: str | os.PathLike | None = None, start: float | None = None,
                 stop: float | None = None, dt: float = 1.0, saveper: float | None = None,
                 builtins: str = "native", arrays: str = "arrays") -> str:
    """The model as an XMILE 1.0 document (Euler, from ``start`` to ``stop``, default
    the model's span, by ``dt``, saving every ``saveper``, default ``dt``). With
    ``path``, also write it there atomically. Returns the document text.

    ``builtins="native"`` writes SMOOTH, DELAY, TREND and FORECAST as XMILE builtins
    (``SMTHN``, ``DELAYN``, ``FORCST`` ... which PySD reads; simlin 0.8 reads only
    orders 1 and 3 and no ``FORCST``); ``"expand"`` writes them as the stocks and flows
    they stand for, which every engine reads.

    ``arrays="arrays"`` writes subscripted elements as XMILE arrays (``<dimensions>``,
    one equation for the whole array where it can, else one per element; sums written
    out element by element, which PySD 3 and simlin both read); ``"flatten"`` writes
    each element as a scalar named ``x_north`` for readers without arrays."""
    if builtins not in ("native", "expand"):
        raise ValueError(f"builtins must be 'native' or 'expand', not {builtins!r}")
    if arrays not in ("arrays", "flatten"):
        raise ValueError(f"arrays must be 'arrays' or 'flatten', not {arrays!r}")
    flatten = arrays == "flatten" or not model.elements.arrays
    start = model.start if start is None else start
    stop = model.stop if stop is None else stop
    if not stop > start:
        raise ValueError(f"stop ({stop}) must be after start ({start})")
    if not dt > 0:
        raise ValueError(f"dt must be positive, not {dt}")
    if saveper is not None:
        ratio = saveper / dt
        if saveper <= 0 or not np.isclose(ratio, round(ratio), rtol=1e-9) or round(ratio) < 1:
            raise ValueError(f"saveper {saveper:g} must be a whole multiple of dt {dt:g}")
    model.build()  # export only models that validate
    _check_names(model, flattened_name if flatten else _array_or_flattened(model))

    root = ET.Element("xmile", {"version": "1.0", "xmlns": XMILE_NS, "xmlns:isee": ISEE_NS})
    header = ET.SubElement(root, "header")
    from .. import __version__
    _text(header, "vendor", "aiscale")
    _text(header, "product", "aiscale", version=str(__version__), lang="en")
    _text(header, "name", model.name)
    if model.doc:
        _text(header, "caption", model.doc)

    specs = ET.SubElement(root, "sim_specs", {"method": "Euler", "time_units": model.time_unit})
    if saveper is not None:
        specs.set("isee:save_interval", _number(saveper))
    _text(specs, "start", _number(start))
    _text(specs, "stop", _number(stop))
    _text(specs, "dt", _number(dt))

    unit_defs = _model_units(model.unit_definitions)
    if unit_defs:
        mu = ET.SubElement(root, "model_units")
        for name, eqn in unit_defs:
            unit = ET.SubElement(mu, "unit", {"name": name})
            if eqn:
                _text(unit, "eqn", eqn)

    if not flatten:
        dims = ET.SubElement(root, "dimensions")
        for d in model.elements.dimensions.values():
            if d.of is None:
                dim = ET.SubElement(dims, "dim", {"name": d.name})
                for e in d.elements:
                    ET.SubElement(dim, "elem", {"name": e})
    variables = ET.SubElement(ET.SubElement(root, "model"), "variables")
    for element in _variables(model, expand=builtins == "expand", flatten=flatten):
        variables.append(element)

    ET.indent(root, space="  ")
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    if path is not None:
        from .simulate import atomic_write
        atomic_write(Path(path), lambda p: Path(p).write_text(text, encoding="utf-8"))
    return text


def _text(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _model_units(definitions: Iterable[str]) -> list[tuple[str, str]]:
    """``name = [dimension]`` (a new base unit) and ``name = expression`` definitions."""
    out = []
    for definition in definitions:
        parts = [p.strip() for p in definition.split("=")]
        if len(parts) < 2 or not parts[0].isidentifier():
            continue  # pint directives (@alias, @system ...) have no XMILE counterpart
        eqn = "" if parts[1].startswith("[") else _units(parts[1]) or ""
        out.append((parts[0], eqn))
    return out


def _array_or_flattened(model: Model) -> Callable[[str], str]:
    """How a name is written when arrays are exported as arrays: an array's element as
    ``x[north]``, any other name with brackets (an intervention on one element) flattened."""
    members = {n for a in model.elements.arrays.values() for n in a.names.values()}
    return lambda name: name if name in members else flattened_name(name)


def _check_names(model: Model, name_of: Callable[[str], str]) -> None:
    """Names XMILE reserves, or that XMILE would read as one (case-insensitively; an
    array element flattened to a name the model already has)."""
    seen: dict[str, str] = {}  # the name as XMILE reads it -> the element (or array) written so
    for name in model.names():
        text = name_of(name)
        array = model.element(name).array if "[" in text else None
        written, source = (text.split("[")[0], array) if array else (text, name)
        key = written.lower()
        if key in _RESERVED:
            raise ValueError(f"cannot export {name!r} to XMILE: it is a reserved XMILE name "
                             "(rename the element)")
        if seen.setdefault(key, source) != source:
            raise ValueError(f"cannot export to XMILE: {seen[key]!r} and {source!r} are both written "
                             f"{written!r} (XMILE names are case-insensitive)")


def builtin_arguments(b: Builtin) -> list[str | int]:
    """A builtin's arguments in XMILE order: element names, and a SMTHN/DELAYN order."""
    if b.kind == "initial":
        return [b.input]
    args: list[str | int] = [b.input, b.delay_time]  # type: ignore[list-item]
    if b.kind in ("smooth", "delay") and b.function.endswith("N"):
        args.append(b.order)
    if b.kind == "forecast":
        args.append(b.horizon)  # type: ignore[arg-type]
    if b.initial is not None:
        args.append(b.initial)
    return args


def builtin_text(b: Builtin, text_of: Callable[[str], str]) -> str:
    """``FUNCTION(arguments)``, each element argument written by ``text_of``."""
    args = [str(a) if isinstance(a, int) else text_of(a) for a in builtin_arguments(b)]
    return f"{b.function}({', '.join(args)})"


def _variables(model: Model, expand: bool, flatten: bool = True) -> list[ET.Element]:
    """Every exported element, in declaration order: parameters, stocks, equations
    (builtins where the kernel declared their output, unless ``expand``; arrays as
    arrays unless ``flatten``)."""
    builtins = {name: b for name, b in model.builtins.items()
                if not (expand and b.kind in EXPANDABLE)}
    generated = {g for b in builtins.values() for g in b.generated}
    outputs = {b.name: b for b in builtins.values()}

    # Numbers given to a builtin are held as generated parameters (<name>__time ...);
    # write them inline unless something other than the builtin reads them.
    inline: dict[str, float] = {}
    for b in builtins.values():
        for arg in builtin_arguments(b):
            p = model.parameters.get(arg) if isinstance(arg, str) else None
            if p is not None and p.owner == b.name:
                inline[p.name] = p.value
    visible_stocks = [s for s in model.stocks.values() if s.name not in generated]
    visible_eqs = [e for e in model.equations.values() if e.name not in generated]
    for s in visible_stocks:
        if isinstance(s.initial, str):
            inline.pop(s.initial, None)
    for e in visible_eqs:
        for name in e.inputs:
            inline.pop(name, None)

    attached = {f for s in visible_stocks for f in (*s.inflows, *s.outflows)}
    omitted = (generated - set(outputs)) | set(inline)
    for e in visible_eqs:
        bad = [n for n in e.inputs if n in omitted]
        if bad:
            raise ValueError(f"cannot export {e.name!r} to XMILE: it reads {bad}, internal "
                             "element(s) of a builtin")

    name_of = flattened_name if flatten else _array_or_flattened(model)
    written: set[str] = set()

    def array(element: Parameter | Stock | Equation) -> bool:
        """Whether ``element`` is an array element (its array written once, here)."""
        if flatten or element.array is None:
            return False
        if element.array not in written:
            written.add(element.array)
            elements.extend(_array(model, model.elements.arrays[element.array], name_of))
        return True

    elements: list[ET.Element] = []
    for p in model.parameters.values():
        if p.name in inline or array(p):
            continue
        elements.append(_variable("aux", name_of(p.name) if name_of else p.name, _constant(p.value),
                                  p.unit, _doc(p.doc, p.source)))
    for s in model.stocks.values():
        if s.name in outputs:
            elements.append(_builtin(outputs[s.name], attached, inline, name_of))
        elif s.name not in generated and not array(s):
            elements.append(_stock(s, name_of))
    for e in model.equations.values():
        if e.name in outputs:
            elements.append(_builtin(outputs[e.name], attached, inline, name_of))
        elif e.name not in generated and not array(e):
            elements.append(_equation(e, name_of))
    return elements


def _array(model: Model, a: Array, name_of: Callable[[str], str]) -> list[ET.Element]:
    """An array as XMILE: one equation for all elements where one serves, else one per
    element; a stock array starts from an array of its initial values."""
    names = a.names
    first = model.element(next(iter(names.values())))
    tag = {"parameter": "aux", "auxiliary": "aux"}.get(a.kind, a.kind)
    el = ET.Element(tag, {"name": a.name})
    dims = ET.SubElement(el, "dimensions")
    for d in a.dims:
        ET.SubElement(dims, "dim", {"name": d})
    out = [el]

    def per_element(texts: dict[tuple[str, ...], str]) -> None:
        if len(set(texts.values())) == 1:
            _text(el, "eqn", next(iter(texts.values())))
            return
        for c, text in texts.items():
            _text(_text(el, "element", subscript=",".join(c)), "eqn", text)

    if a.kind == "parameter":
        per_element({c: _constant(model.parameters[n].value) for c, n in names.items()})
    elif a.kind == "stock":
        stocks = {c: model.stocks[n] for c, n in names.items()}
        initial = _array_initial(model, a, stocks)
        if initial is None:  # numbers, or names, element by element: an array of them
            start = f"{a.name}_initial"
            if start.lower() in {n.split("[")[0].lower() for n in model.names()}:
                raise ValueError(f"cannot export stock array {a.name!r}: its initial values need an "
                                 f"array named {start!r}, which the model already uses")
            init = ET.Element("aux", {"name": start})
            dims2 = ET.SubElement(init, "dimensions")
            for d in a.dims:
                ET.SubElement(dims2, "dim", {"name": d})
            for c, s in stocks.items():
                text = s.initial if isinstance(s.initial, str) else _constant(s.initial)
                _text(_text(init, "element", subscript=",".join(c)), "eqn", text)
            _finish(init, first.unit, f"initial values of {a.name}")
            out.insert(0, init)
            initial = f"{start}[{', '.join(a.dims)}]"
        _text(el, "eqn", initial)
        s0 = next(iter(stocks.values()))
        for tag_, flows in (("inflow", s0.inflows), ("outflow", s0.outflows)):
            for f in flows:
                owner = model.equations[f].array
                if owner is None or any(model.equations[getattr(s, tag_ + "s")[flows.index(f)]].array != owner
                                        for s in stocks.values()):
                    raise ValueError(f"cannot export stock array {a.name!r} as an XMILE array: its "
                                     f"{tag_} {f!r} is not one flow array (export with arrays='flatten')")
                _text(el, tag_, owner)
        if s0.non_negative:
            ET.SubElement(el, "non_negative")
    else:
        eqs = {c: model.equations[n] for c, n in names.items()}
        rewired = any(e.inputs != a.inputs.get(c) for c, e in eqs.items())  # e.g. an intervention
        if len(a.parts) == 1 and a.a2a[0] is not None and not rewired:
            part = a.parts[0]
            symbols = [_input_symbol(t) for t in a.a2a[0]]
            _text(el, "eqn", _traced(first, part.function, symbols))  # type: ignore[arg-type]
        else:
            per_element({c: equation_text(e, name_of) for c, e in eqs.items()})
    return [*out[:-1], _finish(el, first.unit, _doc(first.doc, first.source))]


def _array_initial(model: Model, a: Array, stocks: dict[tuple[str, ...], Stock]) -> str | None:
    """One initial-value text for a whole stock array, or None."""
    initials = [s.initial for s in stocks.values()]
    if all(isinstance(v, float) for v in initials) and len(set(initials)) == 1:
        return _constant(initials[0])  # type: ignore[arg-type]
    if all(isinstance(v, str) for v in initials):
        if len(set(initials)) == 1 and "[" not in initials[0]:  # type: ignore[operator]
            return initials[0]  # type: ignore[return-value]
        owner = model.element(initials[0]).array  # type: ignore[arg-type]
        other = model.elements.arrays.get(owner) if owner else None
        if other is not None and other.dims == a.dims and all(
                s.initial == other.names[c] for c, s in stocks.items()):
            return f"{owner}[{', '.join(a.dims)}]"
    return None


def _variable(tag: str, name: str, eqn: str, unit: str | None, doc: str) -> ET.Element:
    el = ET.Element(tag, {"name": name})
    _text(el, "eqn", eqn)
    return _finish(el, unit, doc)


def _finish(el: ET.Element, unit: str | None, doc: str) -> ET.Element:
    if unit is not None:
        _text(el, "units", _units(unit))
    if doc:
        _text(el, "doc", doc)
    return el


def _stock(s: Stock, name_of: Callable[[str], str] | None = None) -> ET.Element:
    rename = name_of or (lambda n: n)
    el = ET.Element("stock", {"name": rename(s.name)})
    _text(el, "eqn", rename(s.initial) if isinstance(s.initial, str) else _constant(s.initial))
    for f in s.inflows:
        _text(el, "inflow", rename(f))
    for f in s.outflows:
        _text(el, "outflow", rename(f))
    if s.non_negative:
        ET.SubElement(el, "non_negative")
    return _finish(el, s.unit, _doc(s.doc, s.source))


def _equation(e: Equation, name_of: Callable[[str], str] | None = None) -> ET.Element:
    el = ET.Element("flow" if e.kind == "flow" else "aux", {"name": name_of(e.name) if name_of else e.name})
    if e.initial_value_of is not None:  # frozen at the start
        _text(el, "eqn", f"INIT({_input_symbol(e.initial_value_of, name_of).text})")
    else:
        _text(el, "eqn", equation_text(e, name_of))
    if e.lookup is not None:
        gf = ET.SubElement(el, "gf")
        _text(gf, "xpts", _numbers(e.lookup.x))
        _text(gf, "ypts", _numbers(e.lookup.y))
    return _finish(el, e.unit, _doc(e.doc, e.source))


def _builtin(b: Builtin, attached: set[str], inline: dict[str, float],
             name_of: Callable[[str], str] | None = None) -> ET.Element:
    def arg(name: str) -> str:
        return _constant(inline[name]) if name in inline else _input_symbol(name, name_of).text

    tag = "flow" if b.kind in ("delay", "delay_fixed") and b.name in attached else "aux"
    return _variable(tag, name_of(b.name) if name_of else b.name, builtin_text(b, arg), b.unit,
                     _doc(b.doc, b.source))
