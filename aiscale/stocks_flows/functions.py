"""Math helpers for equations: one definition that works on floats, numpy arrays,
pint quantities (unit checking) and symbols (XMILE export).

Equations must use these helpers instead of Python's ``min``/``max``/``math``:
``minimum(a, b)`` runs as ``np.minimum`` on numbers and as ``MIN(a, b)`` when the
kernel traces the equation to write XMILE.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "Symbol",
    "minimum",
    "maximum",
    "exp",
    "log",
    "log10",
    "sqrt",
    "absolute",
    "if_then_else",
    "step",
    "ramp",
    "pulse",
    "clip",
]


# --------------------------------------------------------------------------- symbols
# Operator precedence, higher binds tighter (XMILE follows the usual math order).
_PREC = {"or": 1, "and": 2, "cmp": 3, "+": 4, "-": 4, "*": 5, "/": 5, "neg": 6, "^": 7, "atom": 9}


class Symbol:
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

    # -- binary arithmetic
    def _bin(self, other: Any, op: str, reverse: bool = False) -> Symbol:
        left, right = (_sym(other), self) if reverse else (self, _sym(other))
        prec = _PREC[op]
        # Left-associative: the right operand needs parentheses at equal precedence
        # for - and /, and ^ is right-associative in XMILE.
        ltxt = _wrap(left, prec + (1 if op == "^" else 0))
        rtxt = _wrap(right, prec + (0 if op in "+*^" else 1))
        return Symbol(f"{ltxt} {op} {rtxt}", prec)

    def __add__(self, o): return self._bin(o, "+")
    def __radd__(self, o): return self._bin(o, "+", True)
    def __sub__(self, o): return self._bin(o, "-")
    def __rsub__(self, o): return self._bin(o, "-", True)
    def __mul__(self, o): return self._bin(o, "*")
    def __rmul__(self, o): return self._bin(o, "*", True)
    def __truediv__(self, o): return self._bin(o, "/")
    def __rtruediv__(self, o): return self._bin(o, "/", True)
    def __pow__(self, o): return self._bin(o, "^")
    def __rpow__(self, o): return self._bin(o, "^", True)

    def __neg__(self) -> Symbol:
        return Symbol(f"-{_wrap(self, _PREC['neg'])}", _PREC["neg"])

    def __pos__(self) -> Symbol:
        return self

    # -- comparisons give boolean expressions for if_then_else
    def _cmp(self, other: Any, op: str) -> Symbol:
        return Symbol(f"{_wrap(self, 4)} {op} {_wrap(_sym(other), 4)}", _PREC["cmp"])

    def __gt__(self, o): return self._cmp(o, ">")
    def __ge__(self, o): return self._cmp(o, ">=")
    def __lt__(self, o): return self._cmp(o, "<")
    def __le__(self, o): return self._cmp(o, "<=")
    # Without these, ``x == 0`` on a symbol fell back to identity and traced to a
    # constant (``IF 0 THEN ...``): a silently wrong export.
    def __eq__(self, o): return self._cmp(o, "=")  # type: ignore[override]
    def __ne__(self, o): return self._cmp(o, "<>")  # type: ignore[override]
    __hash__ = None  # type: ignore[assignment]

    # AND and OR operands are parenthesised unless they are comparisons or tighter:
    # PySD gives AND and OR the same precedence, so ``a AND b OR c`` would be misread.
    def __and__(self, o): return Symbol(f"{_wrap(self, 3)} AND {_wrap(_sym(o), 3)}", _PREC["and"])
    def __rand__(self, o): return _sym(o).__and__(self)
    def __or__(self, o): return Symbol(f"{_wrap(self, 3)} OR {_wrap(_sym(o), 3)}", _PREC["or"])
    def __ror__(self, o): return _sym(o).__or__(self)
    def __invert__(self) -> Symbol: return Symbol(f"NOT {_wrap(self, _PREC['atom'])}", _PREC["and"])
    def __abs__(self) -> Symbol: return _call("ABS", self)

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


def _symbolic(*args: Any) -> bool:
    for a in args:  # a plain loop: this runs for every helper call in every evaluation
        if isinstance(a, Symbol):
            return True
    return False


# --------------------------------------------------------------------------- helpers
def minimum(a: Any, b: Any, *more: Any) -> Any:
    """Elementwise minimum of two or more values (XMILE ``MIN``)."""
    if more:
        return minimum(minimum(a, b), *more)
    if isinstance(a, Symbol) or isinstance(b, Symbol):
        return _call("MIN", a, b)
    return np.minimum(a, b)


def maximum(a: Any, b: Any, *more: Any) -> Any:
    """Elementwise maximum of two or more values (XMILE ``MAX``)."""
    if more:
        return maximum(maximum(a, b), *more)
    if isinstance(a, Symbol) or isinstance(b, Symbol):
        return _call("MAX", a, b)
    return np.maximum(a, b)


def clip(x: Any, low: Any, high: Any) -> Any:
    """``x`` bounded to ``[low, high]``."""
    return minimum(maximum(x, low), high)


def exp(x: Any) -> Any:
    """Natural exponential (XMILE ``EXP``)."""
    return _call("EXP", x) if isinstance(x, Symbol) else np.exp(x)


def log(x: Any) -> Any:
    """Natural logarithm (XMILE ``LN``)."""
    return _call("LN", x) if isinstance(x, Symbol) else np.log(x)


def log10(x: Any) -> Any:
    """Base-10 logarithm. Exported as ``LN(x) / LN(10)``: PySD has no ``LOG10``."""
    return _call("LN", x) / _call("LN", 10) if isinstance(x, Symbol) else np.log10(x)


def sqrt(x: Any) -> Any:
    """Square root (XMILE ``SQRT``)."""
    return _call("SQRT", x) if isinstance(x, Symbol) else np.sqrt(x)


def absolute(x: Any) -> Any:
    """Absolute value (XMILE ``ABS``)."""
    return _call("ABS", x) if isinstance(x, Symbol) else np.abs(x)


def if_then_else(condition: Any, then: Any, otherwise: Any) -> Any:
    """``then`` where ``condition`` holds, else ``otherwise`` (both are evaluated)."""
    if _symbolic(condition, then, otherwise):
        # a nested IF is parenthesised (PySD accepts no bare IF inside an IF)
        c, a, b = (_wrap(_sym(x), _PREC["or"]) for x in (condition, then, otherwise))
        return Symbol(f"IF {c} THEN {a} ELSE {b}", _PREC["or"] - 1)
    return np.where(condition, then, otherwise)


# Intervention helpers. Each takes ``time`` explicitly, so an equation that uses one
# lists ``time`` among its inputs; the kernel records their switching times and makes
# them solver breakpoints, so an adaptive step never jumps over an intervention.
_breakpoint_log: list[Any] | None = None


def _note_breakpoints(*times: Any) -> None:
    if _breakpoint_log is not None:
        _breakpoint_log.extend(times)


def step(time: Any, height: Any, start: Any) -> Any:
    """``height`` from ``start`` on, 0 before.

    Exported as ``IF TIME >= start THEN height ELSE 0``, not XMILE ``STEP``: PySD and
    simlin switch ``STEP`` half a DT early (``TIME + DT/2 > start``), which differs
    from this function when ``start`` falls between time steps."""
    if _symbolic(time, height, start):
        return if_then_else(time >= start, height, 0)
    _note_breakpoints(start)
    return np.where(time >= start, height, height * 0.0)


def ramp(time: Any, slope: Any, start: Any, end: Any) -> Any:
    """0 before ``start``, rising by ``slope`` per time unit until ``end``, then flat
    (XMILE ``RAMP``)."""
    if _symbolic(time, slope, start, end):
        return _call("RAMP", slope, start, end)
    _note_breakpoints(start, end)
    return slope * (np.clip(time, start, end) - start)


def pulse(time: Any, height: Any, start: Any, width: Any) -> Any:
    """``height`` while ``start <= time < start + width``, else 0 (a rectangular pulse)."""
    if _symbolic(time, height, start, width):
        return if_then_else((time >= start) & (time < start + width), height, 0)
    _note_breakpoints(start, start + width)
    return np.where((time >= start) & (time < start + width), height, height * 0.0)
