"""Math helpers for equations: one definition that works on floats, numpy arrays,
pint quantities (unit checking) and two kinds of symbols: :class:`Symbol` (XMILE
text, for export and documentation) and :class:`~.expr.Expr` (an expression tree,
from which the kernel generates the code that runs).

Equations must use these helpers instead of Python's ``min``/``max``/``math``:
``minimum(a, b)`` runs as ``np.minimum`` on numbers, as ``MIN(a, b)`` when the kernel
traces the equation to write XMILE, and as a ``min`` node when it compiles the model.

Each helper's arithmetic lives in one place, :data:`NUMERIC`: the helpers call it on
numbers and the compiled code calls the same functions, so a compiled model computes
exactly what its equation functions compute.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .expr import Expr, Operators

__all__ = [
    "Symbol",
    "minimum",
    "maximum",
    "exp",
    "log",
    "log10",
    "sqrt",
    "absolute",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "modulo",
    "safe_div",
    "if_then_else",
    "step",
    "ramp",
    "pulse",
    "pulse_train",
    "clip",
    "lookup",
]


# --------------------------------------------------------------------------- numerics
def _step(time: Any, height: Any, start: Any) -> Any:
    return np.where(time >= start, height, height * 0.0)


def _ramp(time: Any, slope: Any, start: Any, end: Any) -> Any:
    return slope * (np.clip(time, start, end) - start)


def _pulse(time: Any, height: Any, start: Any, width: Any) -> Any:
    return np.where((time >= start) & (time < start + width), height, height * 0.0)


def _pulse_train(time: Any, start: Any, width: Any, interval: Any, end: Any) -> Any:
    # Pulse k runs over [start + k interval, start + k interval + width), those two
    # times computed as the solver's breakpoints are (see switching_times).
    k = np.floor((time - start) / interval)
    begin = start + k * interval
    begin = np.where(begin > time, begin - interval, begin)  # k rounded up at a boundary
    on = (time >= start) & (time < end) & (time < begin + width)
    return np.where(on, 1.0, 0.0)


def _safe_div(a: Any, b: Any, on_zero: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):  # a / 0 is computed, then discarded
        return np.where(b == 0, on_zero, a / b)


def _log_base(x: Any, base: Any) -> Any:
    return np.log(x) / np.log(base)


def _lookup(x: Any, xs: tuple[float, ...], ys: tuple[float, ...]) -> Any:
    return np.interp(x, xs, ys)


#: The arithmetic of every helper, by the name its expression-tree node carries.
NUMERIC: dict[str, Any] = {
    "min": np.minimum, "max": np.maximum, "exp": np.exp, "ln": np.log, "log10": np.log10,
    "log": _log_base, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "mod": np.mod, "safediv": _safe_div, "if": np.where, "step": _step, "ramp": _ramp,
    "pulse": _pulse, "pulse_train": _pulse_train, "lookup": _lookup,
}

#: Helpers whose arguments name switching times (solver breakpoints): node name ->
#: positions of (time, start[, end or width]) arguments, see :func:`switching_times`.
SWITCHES = {"step": (2,), "ramp": (2, 3), "pulse": (2, 3), "pulse_train": (1, 2, 3, 4)}


# --------------------------------------------------------------------------- symbols
# Operator precedence, higher binds tighter (XMILE follows the usual math order).
_PREC = {"or": 1, "and": 2, "cmp": 3, "+": 4, "-": 4, "*": 5, "/": 5, "neg": 6, "^": 7, "atom": 9}


_XMILE_OPERATORS = {"**": "^", "==": "=", "!=": "<>"}


class Symbol(Operators):
    """An expression in XMILE syntax, built by running an equation on symbols."""

    __slots__ = ("text", "prec")
    __array_priority__ = 1000  # numpy defers to our operators

    def __init__(self, text: str, prec: int = _PREC["atom"]):
        self.text = text
        self.prec = prec

    def __repr__(self) -> str:
        return f"Symbol({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def _binary(self, other: Any, op: str, reverse: bool = False) -> Symbol:
        op = _XMILE_OPERATORS.get(op, op)
        left, right = (_sym(other), self) if reverse else (self, _sym(other))
        if op in ("&", "|"):
            # AND and OR operands are parenthesised unless they are comparisons or
            # tighter: PySD gives AND and OR the same precedence, so ``a AND b OR c``
            # would be misread.
            word = "AND" if op == "&" else "OR"
            return Symbol(f"{_wrap(left, 3)} {word} {_wrap(right, 3)}", _PREC[word.lower()])
        if op not in _PREC:  # a comparison, for if_then_else. Without ==, ``x == 0`` on a
            # symbol fell back to identity and traced to a constant: a wrong export.
            return Symbol(f"{_wrap(left, 4)} {op} {_wrap(right, 4)}", _PREC["cmp"])
        prec = _PREC[op]
        # Left-associative: the right operand needs parentheses at equal precedence
        # for - and /, and ^ is right-associative in XMILE.
        ltxt = _wrap(left, prec + (1 if op == "^" else 0))
        rtxt = _wrap(right, prec + (0 if op in "+*^" else 1))
        return Symbol(f"{ltxt} {op} {rtxt}", prec)

    def _unary(self, op: str) -> Symbol:
        if op == "neg":
            return Symbol(f"-{_wrap(self, _PREC['neg'])}", _PREC["neg"])
        if op == "not":
            return Symbol(f"NOT {_wrap(self, _PREC['atom'])}", _PREC["and"])
        return _call("ABS", self)

    def __bool__(self) -> bool:
        raise TypeError(
            "an equation used a Python `if`/`and`/`or`/`min`/`max` on a model variable; "
            "use if_then_else(), minimum(), maximum() from aiscale.stocks_flows so the "
            "equation works on arrays and can be exported"
        )


def _sym(x: Any) -> Symbol:
    if isinstance(x, Symbol):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Symbol("1" if x else "0")
    value = float(np.asarray(x))
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    return Symbol(text, _PREC["atom"] if value >= 0 else _PREC["neg"])


def _wrap(s: Symbol, min_prec: int) -> str:
    return s.text if s.prec >= min_prec else f"({s.text})"


def _call(name: str, *args: Any) -> Symbol:
    return Symbol(f"{name}({', '.join(_sym(a).text for a in args)})")


def _if_text(condition: Any, then: Any, otherwise: Any) -> Symbol:
    # a nested IF is parenthesised (PySD accepts no bare IF inside an IF)
    c, a, b = (_wrap(_sym(x), _PREC["or"]) for x in (condition, then, otherwise))
    return Symbol(f"IF {c} THEN {a} ELSE {b}", _PREC["or"] - 1)


def _mod_text(a: Any, b: Any) -> Symbol:
    # the function form: PySD's grammar does not parse every use of the MOD operator
    return _call("MODULO", a, b)


# XMILE text of the helpers that are not a plain call of an XMILE builtin.
_XMILE_TEXT = {
    # LOG10 and LOG(x, base) are not read by every engine: LN(x) / LN(base) is
    "log10": lambda x: _call("LN", x) / _call("LN", 10),
    "log": lambda x, base: _call("LN", x) / _call("LN", base),
    "if": _if_text,
    # STEP and PULSE switch half a DT early in PySD and simlin (``TIME + DT/2 > start``)
    "step": lambda time, height, start: _if_text(time >= start, height, 0),
    "pulse": lambda time, height, start, width: _if_text((time >= start) & (time < start + width),
                                                         height, 0),
    "pulse_train": lambda time, start, width, interval, end: _if_text(
        (time >= start) & (time < end) & (_mod_text(time - start, interval) < width), 1, 0),
    "ramp": lambda time, slope, start, end: _call("RAMP", slope, start, end),
    "mod": _mod_text,
    "safediv": lambda a, b, on_zero: _call("SAFEDIV", a, b) if _is_zero(on_zero)
    else _call("SAFEDIV", a, b, on_zero),
}


def _is_zero(x: Any) -> bool:
    return not isinstance(x, Symbol) and float(np.asarray(x)) == 0.0


def _traced(args: tuple[Any, ...]) -> type | None:
    for a in args:  # a plain loop: this runs for every helper call in every evaluation
        if isinstance(a, (Symbol, Expr)):
            return type(a)
    return None


def _symbolic(*args: Any) -> bool:
    return _traced(args) is not None


def _apply(name: str, *args: Any) -> Any:
    """Helper ``name`` on ``args``: numbers, an XMILE symbol or an expression node."""
    kind = _traced(args)
    if kind is None:
        return NUMERIC[name](*args)
    if kind is Symbol:
        text = _XMILE_TEXT.get(name)
        return text(*args) if text is not None else _call(name.upper(), *args)
    return Expr.call(name, *args)


# --------------------------------------------------------------------------- helpers
def minimum(a: Any, b: Any, *more: Any) -> Any:
    """Elementwise minimum of two or more values (XMILE ``MIN``)."""
    if more:
        return minimum(minimum(a, b), *more)
    return _apply("min", a, b)


def maximum(a: Any, b: Any, *more: Any) -> Any:
    """Elementwise maximum of two or more values (XMILE ``MAX``)."""
    if more:
        return maximum(maximum(a, b), *more)
    return _apply("max", a, b)


def clip(x: Any, low: Any, high: Any) -> Any:
    """``x`` bounded to ``[low, high]``."""
    return minimum(maximum(x, low), high)


def _one_argument(name: str, python_name: str, doc: str) -> Any:
    """The helper ``python_name(x)`` for the node ``name`` (numbers, symbols, trees)."""
    def helper(x: Any) -> Any:
        return _apply(name, x)
    helper.__name__ = helper.__qualname__ = python_name
    helper.__doc__ = doc
    return helper


exp = _one_argument("exp", "exp", "Natural exponential (XMILE ``EXP``).")
log10 = _one_argument("log10", "log10", "Base-10 logarithm. Exported as ``LN(x) / LN(10)``: PySD has no ``LOG10``.")
sqrt = _one_argument("sqrt", "sqrt", "Square root (XMILE ``SQRT``).")
absolute = _one_argument("abs", "absolute", "Absolute value (XMILE ``ABS``).")
sin = _one_argument("sin", "sin", "Sine of ``x`` in radians (XMILE ``SIN``).")
cos = _one_argument("cos", "cos", "Cosine of ``x`` in radians (XMILE ``COS``).")
tan = _one_argument("tan", "tan", "Tangent of ``x`` in radians (XMILE ``TAN``).")
arcsin = _one_argument("arcsin", "arcsin", "Inverse sine, in radians (XMILE ``ARCSIN``).")
arccos = _one_argument("arccos", "arccos", "Inverse cosine, in radians (XMILE ``ARCCOS``).")
arctan = _one_argument("arctan", "arctan", "Inverse tangent, in radians (XMILE ``ARCTAN``).")


def log(x: Any, base: Any = None) -> Any:
    """Natural logarithm (XMILE ``LN``), or with ``base`` the logarithm to that base
    (Vensim ``LOG(x, base)``, exported as ``LN(x) / LN(base)``)."""
    return _apply("ln", x) if base is None else _apply("log", x, base)


def modulo(a: Any, b: Any) -> Any:
    """``a`` modulo ``b``, with the sign of ``b`` (Vensim and XMILE ``MODULO``)."""
    return _apply("mod", a, b)


def safe_div(a: Any, b: Any, on_zero: Any = 0.0) -> Any:
    """``a / b``, or ``on_zero`` where ``b`` is 0 (Vensim ``ZIDZ``/``XIDZ``, XMILE
    ``SAFEDIV``)."""
    return _apply("safediv", a, b, on_zero)


def if_then_else(condition: Any, then: Any, otherwise: Any) -> Any:
    """``then`` where ``condition`` holds, else ``otherwise`` (both are evaluated)."""
    return _apply("if", condition, then, otherwise)


# Test inputs. Each takes ``time`` explicitly, so an equation that uses one lists
# ``time`` among its inputs; the compiler finds their switching times in the
# equation's expression tree and makes them solver breakpoints, so an adaptive step
# never jumps over them.
def step(time: Any, height: Any, start: Any) -> Any:
    """``height`` from ``start`` on, 0 before.

    Exported as ``IF TIME >= start THEN height ELSE 0``, not XMILE ``STEP``: PySD and
    simlin switch ``STEP`` half a DT early (``TIME + DT/2 > start``), which differs
    from this function when ``start`` falls between time steps."""
    return _apply("step", time, height, start)


def ramp(time: Any, slope: Any, start: Any, end: Any) -> Any:
    """0 before ``start``, rising by ``slope`` per time unit until ``end``, then flat
    (XMILE ``RAMP``)."""
    return _apply("ramp", time, slope, start, end)


def pulse(time: Any, height: Any, start: Any, width: Any) -> Any:
    """``height`` while ``start <= time < start + width``, else 0 (a rectangular pulse)."""
    return _apply("pulse", time, height, start, width)


def pulse_train(time: Any, start: Any, width: Any, interval: Any, end: Any) -> Any:
    """Vensim ``PULSE TRAIN(start, width, interval, end)``: 1 during
    ``[start + k interval, start + k interval + width)`` for ``k = 0, 1, ...`` while
    ``time < end``, else 0 (1 throughout when ``interval <= width``).

    Exported as ``IF`` with ``MODULO`` (XMILE has no pulse train of widths)."""
    return _apply("pulse_train", time, start, width, interval, end)


def lookup(x: Any, table: Any) -> Any:
    """The graphical function ``table`` (a :class:`~.elements.Lookup`) at ``x``."""
    if isinstance(x, Expr):
        return Expr.call("lookup", x, table.x, table.y)
    return np.interp(x, table.x, table.y)


# --------------------------------------------------------------------------- trees
_OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a ** b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
}


def evaluate(expr: Expr, ns: Any) -> Any:
    """The value of an expression tree with its variables taken from ``ns``."""
    op, args = expr.op, expr.args
    if op == "var":
        return ns[args[0]]
    if op == "const":
        return args[0]
    if op == "neg":
        return -evaluate(args[0], ns)
    if op == "not":
        return ~evaluate(args[0], ns)
    if op == "call":
        if args[0] == "lookup":
            return _lookup(evaluate(args[1], ns), args[2], args[3])
        return NUMERIC[args[0]](*(evaluate(a, ns) for a in args[1:]))
    return _OPERATORS[op](evaluate(args[0], ns), evaluate(args[1], ns))


def switching_times(node: Expr, ns: Any, stop: float) -> list[Any]:
    """The times (arrays over ensemble members) at which a test-input node (step,
    ramp, pulse, pulse_train) switches, up to ``stop``."""
    name = node.args[0]
    args = [evaluate(a, ns) for a in node.args[1:]]
    if name == "step":
        return [args[2]]
    if name == "ramp":
        return [args[2], args[3]]
    if name == "pulse":
        return [args[2], args[2] + args[3]]
    start, width, interval, end = (np.asarray(a, dtype=float) for a in args[1:5])
    out: list[Any] = []
    last = np.minimum(end, stop)
    with np.errstate(all="ignore"):
        count = np.nan_to_num(np.ceil((last - start) / interval), nan=0, posinf=0, neginf=0)
    for k in range(int(min(np.max(count, initial=0), 10_000)) + 1):
        on = start + k * interval
        out += [np.where(on <= last, on, np.nan), np.where(on + width <= last, on + width, np.nan)]
    out.append(end)
    return out
