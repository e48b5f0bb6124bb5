"""Expression trees: what an equation computes, recorded by running its Python
function on :class:`Expr` inputs, and written back out as Python source.

The compiler (:mod:`.compile`) traces every flow and auxiliary once: arithmetic and
comparisons on an ``Expr`` build nodes, and the math helpers of :mod:`.functions`
(``minimum``, ``exp``, ``if_then_else`` ...) build ``call`` nodes. A function that
cannot be traced (Python ``if`` on a variable, ``math`` or numpy functions) raises
``TypeError`` and is called as it is instead.

The source written for a tree performs the same floating-point operations, in the
same order, as the function did on numbers: constants the function computed from
Python numbers were folded by Python while tracing, exactly as they are when the
function runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

BINARY = ("+", "-", "*", "/", "**", "<", "<=", ">", ">=", "==", "!=", "&", "|")


class Operators:
    """Python's operators, each as ``self._binary(other, op, reverse)`` with ``op`` one
    of :data:`BINARY` (comparisons are never reversed: Python swaps them), and
    ``self._unary(op)`` for ``neg``, ``not`` and ``abs``: how an equation's arithmetic
    is recorded by the symbol classes (:class:`Expr` here, XMILE ``Symbol`` in
    :mod:`.functions`)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    def _binary(self, other: Any, op: str, reverse: bool = False) -> Any:
        raise NotImplementedError

    def _unary(self, op: str) -> Any:
        raise NotImplementedError

    def __add__(self, o): return self._binary(o, "+")
    def __radd__(self, o): return self._binary(o, "+", True)
    def __sub__(self, o): return self._binary(o, "-")
    def __rsub__(self, o): return self._binary(o, "-", True)
    def __mul__(self, o): return self._binary(o, "*")
    def __rmul__(self, o): return self._binary(o, "*", True)
    def __truediv__(self, o): return self._binary(o, "/")
    def __rtruediv__(self, o): return self._binary(o, "/", True)
    def __pow__(self, o): return self._binary(o, "**")
    def __rpow__(self, o): return self._binary(o, "**", True)
    def __lt__(self, o): return self._binary(o, "<")
    def __le__(self, o): return self._binary(o, "<=")
    def __gt__(self, o): return self._binary(o, ">")
    def __ge__(self, o): return self._binary(o, ">=")
    def __eq__(self, o): return self._binary(o, "==")  # type: ignore[override]
    def __ne__(self, o): return self._binary(o, "!=")  # type: ignore[override]
    def __and__(self, o): return self._binary(o, "&")
    def __rand__(self, o): return self._binary(o, "&", True)
    def __or__(self, o): return self._binary(o, "|")
    def __ror__(self, o): return self._binary(o, "|", True)
    def __neg__(self): return self._unary("neg")
    def __pos__(self): return self
    def __invert__(self): return self._unary("not")
    def __abs__(self): return self._unary("abs")


class Expr(Operators):
    """A node of an expression tree: ``op`` with ``args``.

    ``var`` (args: name), ``const`` (args: value), a binary operator of
    :data:`BINARY`, ``neg``, ``not`` (Python ``~``) or ``call`` (args: helper name,
    then its arguments; see :data:`.functions.NUMERIC`).
    """

    __slots__ = ("op", "args")
    __array_ufunc__ = None  # a numpy function on an Expr raises TypeError: not traceable

    def __init__(self, op: str, args: tuple[Any, ...]):
        self.op = op
        self.args = args

    @staticmethod
    def var(name: str) -> Expr:
        return Expr("var", (name,))

    @staticmethod
    def const(value: Any) -> Expr:
        if isinstance(value, (bool, np.bool_)):
            return Expr("const", (bool(value),))
        return Expr("const", (float(np.asarray(value, dtype=float)),))

    @staticmethod
    def wrap(x: Any) -> Expr:
        return x if isinstance(x, Expr) else Expr.const(x)

    @staticmethod
    def call(name: str, *args: Any) -> Expr:
        if name == "lookup":  # (x, xs, ys): the table is data, not expressions
            return Expr("call", (name, Expr.wrap(args[0]), tuple(args[1]), tuple(args[2])))
        return Expr("call", (name, *(Expr.wrap(a) for a in args)))

    def __repr__(self) -> str:
        return f"Expr({to_python(self, lambda n: n)})"

    def _binary(self, other: Any, op: str, reverse: bool = False) -> Expr:
        other = Expr.wrap(other)
        return Expr(op, (other, self) if reverse else (self, other))

    def _unary(self, op: str) -> Expr:
        return Expr.call("abs", self) if op == "abs" else Expr(op, (self,))

    def __bool__(self) -> bool:
        raise TypeError("a Python `if`/`and`/`or`/`min`/`max` on a model variable cannot be traced")

    # ------------------------------------------------------------------ inspection
    def children(self) -> Iterator[Expr]:
        if self.op in ("var", "const"):
            return iter(())
        return (a for a in self.args if isinstance(a, Expr))

    def walk(self) -> Iterator[Expr]:
        """Every node of the tree (shared nodes once), parents before children."""
        seen: set[int] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            stack.extend(node.children())

    def names(self) -> set[str]:
        """The variables the tree reads."""
        return {n.args[0] for n in self.walk() if n.op == "var"}


def trace(function: Callable[..., Any], inputs: tuple[str, ...]) -> Expr | None:
    """The expression tree of ``function`` called on variables named ``inputs``, or
    None if it cannot be traced."""
    try:
        with np.errstate(all="ignore"):
            out = function(*[Expr.var(name) for name in inputs])
        return Expr.wrap(out)
    except Exception:  # anything the function cannot do on an Expr: not traceable
        return None


# ---------------------------------------------------------------------- to source
class Source:
    """Python statements computing expression trees, with shared and deep subtrees
    computed once into temporaries (``t0``, ``t1`` ...).

    ``name_of(var)`` gives the Python name of a variable; ``call_name(helper)`` the
    Python name of a helper's function; ``binary`` and ``unary`` override how an
    operator is written (the numba backend writes ``&`` on booleans as ``and``): a
    format string, or for ``binary`` a function of (node, left text, right text);
    ``replace(node)``, if given, may return the text of a whole subtree instead (the
    vectorised kernel reads subtrees of parameters only from precomputed rows).

    With ``share_costly``, a power, exponential or logarithm is computed once into a
    temporary however many of the expressions written with this object read it (the
    same text reads the same values: every name is assigned once).
    """

    COSTLY_CALLS = frozenset({"exp", "ln", "log10"})

    MAX_DEPTH = 40  # deeper expressions are split: Python's parser has a nesting limit

    def __init__(self, name_of: Callable[[str], str], call_name: Callable[[str], str],
                 constants: dict[str, Any], binary: dict[str, str] | None = None,
                 unary: dict[str, str] | None = None, replace: Callable[[Expr], str | None] | None = None,
                 share_costly: bool = False):
        self.name_of, self.call_name = name_of, call_name
        self.replace = replace
        self.constants = constants  # name -> value, for lookup tables
        self.binary = binary or {}
        self.unary = unary or {}
        self.lines: list[str] = []
        self._temps = 0
        self._costly: dict[str, str] | None = {} if share_costly else None  # text -> temporary

    def expression(self, expr: Expr, indent: str = "    ") -> str:
        """A Python expression for ``expr``; temporaries go to ``lines`` first."""
        counts: dict[int, int] = {}
        for node in _preorder(expr):
            counts[id(node)] = counts.get(id(node), 0) + 1
        done: dict[int, str] = {}

        def emit(node: Expr, depth: int) -> str:
            key = id(node)
            if key in done:
                return done[key]
            text = self.replace(node) if self.replace is not None else None
            if text is not None:
                return text
            text = self._node(node, lambda child: emit(child, depth + 1))
            costly = self._costly is not None and (
                node.op == "**" or (node.op == "call" and node.args[0] in self.COSTLY_CALLS))
            if costly and text in self._costly:  # type: ignore[operator]
                return self._costly[text]  # type: ignore[index]
            computed = text
            shared = (counts.get(key, 0) > 1 or costly) and node.op not in ("var", "const")
            if shared or (depth > self.MAX_DEPTH and node.op not in ("var", "const")):
                name = f"t{self._temps}"
                self._temps += 1
                self.lines.append(f"{indent}{name} = {text}")
                text = name
                depth = 0
            if shared:
                done[key] = text
            if costly:
                self._costly[computed] = text  # type: ignore[index]
            return text

        return emit(expr, 0)

    def _node(self, node: Expr, sub: Callable[[Expr], str]) -> str:
        op, args = node.op, node.args
        if op == "var":
            return self.name_of(args[0])
        if op == "const":
            return repr(args[0])
        if op == "neg":
            return f"(-{sub(args[0])})"
        if op == "not":
            return self.unary.get("not", "(~{0})").format(sub(args[0]))
        if op == "call":
            name = args[0]
            if name == "lookup":
                xs, ys = self._table(args[2]), self._table(args[3])
                return f"{self.call_name('lookup')}({sub(args[1])}, {xs}, {ys})"
            return f"{self.call_name(name)}({', '.join(sub(a) for a in args[1:])})"
        a, b = sub(args[0]), sub(args[1])
        form = self.binary.get(op, "({0} " + op + " {1})")
        return form(node, a, b) if callable(form) else form.format(a, b)

    def _table(self, values: tuple[float, ...]) -> str:
        for name, existing in self.constants.items():
            if existing == values:
                return name
        name = f"_table{len(self.constants)}"
        self.constants[name] = values
        return name


def _preorder(expr: Expr) -> Iterator[Expr]:
    """Every node with repetition (a node reached twice is shared)."""
    stack = [expr]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        yield node
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.children())


def to_python(expr: Expr, name_of: Callable[[str], str]) -> str:
    """One self-contained Python expression for ``expr`` (for display)."""
    src = Source(name_of, lambda n: n, {})
    src.MAX_DEPTH = 10**6
    counts_free = src.expression(expr)
    return "; ".join([*(line.strip() for line in src.lines), counts_free])
