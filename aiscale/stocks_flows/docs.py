"""The documentation table: every public element with its kind, unit, value or
equation, plausible range, source and description.

Equations are shown as the kernel sees them: each flow or auxiliary function is run
on symbolic inputs (:class:`~aiscale.stocks_flows.functions.Symbol`), so the text is
derived from the same code that runs, in XMILE syntax (``time`` reads ``TIME``).
Delays and smooths are shown as the builtin asked for (``SMTH3(orders,
perception_time)``), their generated internal elements left out. An array is shown
once, as it was written (``aging[cohort]``: one equation per part, in Vensim's
subscript syntax), not element by element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .functions import Symbol, _sym
from .model import TIME
from .xmile import _array_initial, _traced, builtin_text
from .xmile import equation_text as _traced_text

if TYPE_CHECKING:
    from .elements import Builtin, Equation, Stock
    from .model import Model
    from .subscripts import Array, Part

__all__ = ["COLUMNS", "documentation_table", "documentation_markdown", "equation_text"]

COLUMNS = ["name", "kind", "unit", "value_or_equation", "low", "high", "source", "doc"]
HEADERS = {"value_or_equation": "value or equation"}


def _number(x: float) -> str:
    """A number as written in equations: shortest round-trip text, no trailing ``.0``."""
    return _sym(float(x)).text


def equation_text(eq: Equation) -> str:
    """An equation as text, traced from its function by the XMILE exporter (one tracer
    for both); a lookup as its input and points. An equation the tracer cannot follow
    is shown as a call with a note, rather than failing the whole table."""
    if eq.lookup is not None:
        arg = "TIME" if eq.inputs[0] == TIME else eq.inputs[0]
        points = ", ".join(f"({_number(x)}, {_number(y)})" for x, y in zip(eq.lookup.x, eq.lookup.y))
        return f"LOOKUP({arg}): {points}"
    try:
        return _traced_text(eq)
    except ValueError as exc:
        reason = str(exc.__cause__ or exc)
        return f"{eq.name}({', '.join(eq.inputs)})  [not traceable: {reason}]"


def _stock_text(model: Model, s: Stock) -> str:
    rate = " + ".join(s.inflows)
    for f in s.outflows:
        rate = f"{rate} - {f}" if rate else f"-{f}"
    rate = rate or "0"
    if isinstance(s.initial, str):
        initial = s.initial
        if s.initial in model.parameters:
            initial += f" = {_number(model.parameters[s.initial].value)}"
    else:
        initial = _number(s.initial)
    notes = "; non-negative" if s.non_negative else ""
    return f"d/dt = {rate}; initial {initial}{notes}"


def _builtin_text(model: Model, b: Builtin) -> str:
    def arg(name: str) -> str:
        # arguments given as numbers became generated parameters
        p = model.parameters.get(name)
        if p is not None and p.owner == b.name:
            return _number(p.value)
        return "TIME" if name == TIME else name

    return builtin_text(b, arg)


def _row(name: str, kind: str, unit: str | None, text: str, low: Any = None, high: Any = None,
         source: str = "", doc: str = "") -> dict[str, Any]:
    return {"name": name, "kind": kind, "unit": unit or "", "value_or_equation": text,
            "low": np.nan if low is None else float(low), "high": np.nan if high is None else float(high),
            "source": source or "", "doc": " ".join((doc or "").split())}


def documentation_table(model: Model) -> pd.DataFrame:
    """Every public element of ``model``, one row each (an array: one row, named
    ``x[dimension]``).

    Columns: ``name``; ``kind`` (parameter, stock, flow, auxiliary, lookup, smooth,
    delay); ``unit``; ``value_or_equation`` (a parameter's value; a stock's
    ``d/dt = inflows - outflows`` and initial value; an equation traced to text; a
    lookup's points; a builtin call such as ``DELAY3(orders, shipping_time)``; an
    array's equation per part, ``[c1] production; [later] aging[earlier]``, or its
    values per element); ``low``/``high`` (a parameter's plausible range, else NaN);
    ``source``; ``doc``. Hidden elements (the internals of delays and smooths) are
    left out. Rows come in declaration order within the groups: stocks, flows,
    auxiliaries and lookups, delays and smooths, parameters.
    """
    rows: list[dict[str, Any]] = []
    builtin_outputs = {b.name for b in model.builtins.values()}
    shown: set[str] = set()

    def as_array(element: Any, kind: str) -> bool:
        """Whether ``element`` belongs to an array, whose one row is added here."""
        a = model.elements.arrays.get(element.array) if element.array else None
        if a is None or not a.dims:
            return False
        if a.name not in shown:
            shown.add(a.name)
            text = _array_text(model, a)
            if text is None:  # rewired element by element (an intervention): one row each
                return False
            low, high = (element.low, element.high) if kind == "parameter" else (None, None)
            rows.append(_row(f"{a.name}[{', '.join(a.dims)}]", kind, element.unit, text, low, high,
                             element.source, element.doc))
        return True

    for s in model.stocks.values():
        if s.hidden or s.name in builtin_outputs or as_array(s, "stock"):
            continue
        rows.append(_row(s.name, "stock", s.unit, _stock_text(model, s), source=s.source, doc=s.doc))
    for kinds in (("flow",), ("auxiliary",)):
        for eq in model.equations.values():
            if eq.hidden or eq.initial_only or eq.name in builtin_outputs or eq.kind not in kinds:
                continue
            kind = "lookup" if eq.lookup is not None else eq.kind
            if as_array(eq, kind):
                continue
            rows.append(_row(eq.name, kind, eq.unit, equation_text(eq), source=eq.source, doc=eq.doc))
    for b in model.builtins.values():
        element = model.stocks.get(b.name) or model.equations.get(b.name)
        unit = b.unit if b.unit is not None else getattr(element, "unit", None)
        rows.append(_row(b.name, b.label, unit, _builtin_text(model, b), source=b.source, doc=b.doc))
    for p in model.parameters.values():
        if not as_array(p, "parameter"):
            rows.append(_row(p.name, "parameter", p.unit, _number(p.value), p.low, p.high, p.source, p.doc))
    return pd.DataFrame(rows, columns=COLUMNS)


def _label(dims: tuple[str, ...]) -> str:
    """A part's dimensions as written: a single element (held as ``cohort:c1``) by its name."""
    return ", ".join(d.split(":")[-1] for d in dims)


def _array_text(model: Model, a: Array) -> str | None:
    """An array's values or equations as written, once for all its elements; None when
    its elements no longer follow it (an intervention rewired one)."""
    names = a.names
    if a.kind == "parameter":
        values = {c: _number(model.parameters[n].value) for c, n in names.items()}
        if len(set(values.values())) == 1:
            return next(iter(values.values()))
        return ", ".join(f"{','.join(c)}: {v}" for c, v in values.items())
    if a.kind == "stock":
        stocks = {c: model.stocks[n] for c, n in names.items()}
        s0 = next(iter(stocks.values()))
        owners = [model.equations[f].array for f in (*s0.inflows, *s0.outflows)]
        if None in owners:
            return None
        full = f"[{', '.join(a.dims)}]"
        rate = " - ".join([" + ".join(o + full for o in owners[:len(s0.inflows)]) or "0",
                           *(o + full for o in owners[len(s0.inflows):])])
        initial = _array_initial(model, a, stocks) or ", ".join(
            f"{','.join(c)}: {s.initial if isinstance(s.initial, str) else _number(s.initial)}"
            for c, s in stocks.items())
        return f"d/dt = {rate}; initial {initial}" + ("; non-negative" if s0.non_negative else "")
    eqs = {c: model.equations[n] for c, n in names.items()}
    if any(e.inputs != a.inputs.get(c) for c, e in eqs.items()):
        return None
    first = next(iter(eqs.values()))
    texts = [_part_text(model, first, part) for part in a.parts]
    if len(a.parts) == 1 and a.parts[0].dims == a.dims:
        return texts[0]
    return "; ".join(f"[{_label(part.dims)}] {text}" for part, text in zip(a.parts, texts))


def _part_text(model: Model, eq: Equation, part: Part) -> str:
    """One part of an array equation, traced with each argument as written: its
    reference (``aging[earlier]``, ``sum(x[cohort!])``), an array read at the part's
    own subscripts (``chips[later]``), or a scalar's name."""
    families = {model.elements.dimensions[d].family: d for d in part.dims}
    texts = []
    for arg in part.args:
        ref = part.refs.get(arg)
        if ref is not None:
            texts.append(" ".join(ref.split()))
            continue
        a = model.elements.arrays.get(arg)
        if a is not None and a.dims:
            texts.append(f"{arg}[{_label(tuple(families.get(d, d) for d in a.dims))}]")
        else:
            texts.append("TIME" if arg == TIME else arg)
    return _traced(eq, part.function, [Symbol(t) for t in texts])


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = _number(value) if isinstance(value, float) else str(value)
    return " ".join(text.split()).replace("|", "\\|")


def documentation_markdown(model: Model, table: pd.DataFrame | None = None) -> str:
    """The documentation table as a GitHub-flavoured Markdown table (pipes escaped)."""
    table = documentation_table(model) if table is None else table
    header = [HEADERS.get(c, c) for c in table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for record in table.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in record) + " |")
    return "\n".join(lines) + "\n"
