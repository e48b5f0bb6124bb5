"""The right-hand side for a block of members at once, written so that the CPU's vector
units compute several members per instruction (SIMD).

Most of the scalar kernel's time goes to ``log`` and ``pow``, which the compiler cannot
vectorise when they are the math library's. The fixed-step loops (.compile) therefore
compute them as arithmetic (:func:`.runtime._vlog`, ``_vexp``, ``_vpow``: within an ulp
of numpy's for log and exp, pow within (1 + |y log x|) ulp), and :func:`lower` rewrites
their scalar statements, in the same order and with the same arithmetic, as loops over
a block of :data:`BLOCK` members:

* each statement's value goes to a row of a working array ``W`` (block columns), and a
  few consecutive statements share one loop (fewer passes over memory);
* log, log10, exp and powers become loops of their own over rows of ``W``
  (:func:`.runtime._log_block` ...), compiled once rather than inlined everywhere;
* the block's trip count is a compile-time constant, so that LLVM can prove the rows of
  ``W`` apart and vectorise the fused loops without run-time checks.

Same arithmetic, same bits: a member computed in a block equals the same member computed
alone by the scalar loop. Measured on the AI model (78 states; after the compiler's
sharing of costly calls, 23 powers and 13 logarithms an evaluation): about 0.26 us a
member-evaluation against 0.66 us for the scalar kernel; see ``benchmarks/README.md``.
The block loop's one function computes what the flows need, and at the saves every
variable too, to keep the outputs. Single runs and the adaptive solvers keep the scalar
kernel and the math library.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

#: members a block computes together (a multiple of every vector width; 64 measured
#: fastest: 32 took 1.4x as long, 128 was no faster)
BLOCK = 64
#: consecutive statements that share one loop over the block (8: fastest measured; one
#: loop for a whole run of statements stopped LLVM vectorising it)
FUSED = 8
#: the loops over a block that replace a call of the vector math (.runtime)
BLOCK_MATH = {"_log_call": "_log_block", "_log10_call": "_log10_block", "_exp_call": "_exp_block",
              "_pow_call": "_pow_block"}

_ASSIGN = re.compile(r"(x\d+|t\d+) = (.*)")
_READ = re.compile(r"(Y|P)\[(\d+), m\]")
_CLAMP = re.compile(r"if (x\d+) <= 0\.0 and d < 0\.0:")
_STORE = re.compile(r"DY\[(\d+), m\] = d")
_KEEP = re.compile(r"V\[(\d+), m\] = (x\d+)")


class _Lowering(ast.NodeTransformer):
    """An expression of the scalar body as one of the block: locals become rows of ``W``,
    reads of ``Y`` and ``P`` take the member index ``j``, and log/exp/pow become
    block loops appended to ``statements`` (their arguments first, each into a row)."""

    def __init__(self, rows: dict[str, str], statements: list[tuple[str, str]], new_row):
        self.rows, self.statements, self.new_row = rows, statements, new_row

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.rows:
            return _parse(self.rows[node.id])
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        read = _READ.fullmatch(ast.unparse(node))
        if read:
            return _parse(f"{read.group(1)}[{read.group(2)}, j]")
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        helper = BLOCK_MATH.get(ast.unparse(node.func))
        if helper is None:  # other helpers stay calls inside the loop
            return node
        return self._call(helper, *(self._row(arg) for arg in node.args))

    def _row(self, node: ast.AST) -> int:
        """The row of W holding ``node``'s value (a new row and loop unless it is one)."""
        text = ast.unparse(node)
        held = re.fullmatch(r"W\[(\d+), j\]", text)
        if held:
            return int(held.group(1))
        row = self.new_row()
        self.statements.append(("loop", f"W[{row}, j] = {text}"))
        return row

    def _call(self, helper: str, *args: int) -> ast.AST:
        row = self.new_row()
        self.statements.append(("call", f"{helper}(W, {', '.join(map(str, args))}, {row})"))
        return _parse(f"W[{row}, j]")


def _alias(line: str, rows: dict[str, str]) -> bool:
    """Whether ``line`` names a state, an input or the time (``x3 = Y[5, m]``); if so,
    the name is read where it is used."""
    assign = _ASSIGN.fullmatch(line)
    if assign is None:
        return False
    target, text = assign.groups()
    read = _READ.fullmatch(text)
    if read:
        rows[target] = f"{read.group(1)}[{read.group(2)}, j]"
    elif text == "t":
        rows[target] = "t"
    return bool(read) or text == "t"


def _parse(text: str) -> ast.AST:
    return ast.parse(text, mode="eval").body


class Lowered(NamedTuple):
    """The block right-hand side :func:`lower` writes."""

    source: str              # of name(t, Y, P, DY, active, keep_rows, KEPT): KEPT[q] = W[keep_rows[q]]
    variable_rows: list[int]  # the row of W of each variable the scalar body keeps (V[k, m] = ...)


_ROW = re.compile(r"W\[(\d+), j\]")
_CALL = re.compile(r"\w+\(W, ([\d, ]+)\)")


def _needed_for_rates(statements: list[tuple[str, str]]) -> set[int]:
    """The positions of the statements that the rates (``DY[...] = d``) read, directly or
    not (the others compute variables only a caller asks for)."""
    needed: set[int] = set()
    rows: set[int] = set()
    for k in range(len(statements) - 1, -1, -1):  # a row is written before it is read
        kind, text = statements[k]
        if kind == "call":
            *read, written = (int(a) for a in _CALL.fullmatch(text).group(1).split(", "))  # type: ignore[union-attr]
        else:
            found = [int(r) for r in _ROW.findall(text)]
            defines = text.startswith("W[")
            written, read = (found[0], found[1:]) if defines else (None, found)
        if "DY[" in text or written in rows:
            needed.add(k)
            rows.update(read)
    return needed


def lower(body: list[str], name: str = "block_derivatives") -> Lowered:
    """The source of ``name(t, Y, P, DY, active, keep_rows, KEPT)``: the scalar kernel's
    statements ``body`` (those of ``derivatives`` for one member ``m``, with vector math)
    for ``BLOCK`` members. ``Y``, ``DY`` and ``P`` are read and written row by row (give
    them C-ordered, members contiguous). The statements the rates need come first; the
    others (variables only a caller asks for) run only when ``keep_rows`` is not empty,
    and the rows ``keep_rows`` of the working array are then copied into ``KEPT``:
    variable ``k`` (``V[k, m] = x`` in ``body``) is in row ``Lowered.variable_rows[k]``."""
    rows: dict[str, str] = {}
    variable_rows: dict[int, int] = {}
    statements: list[tuple[str, str]] = []   # ("loop", statement for member j) | ("call", ...)
    count = 0

    def new_row() -> int:
        nonlocal count
        count += 1
        return count - 1

    lowering = _Lowering(rows, statements, new_row)
    lines = [line.strip() for line in body]
    k = 0
    while k < len(lines):
        line = lines[k]
        if _alias(line, rows):
            k += 1
            continue
        assign = _ASSIGN.fullmatch(line)
        if assign:
            target, text = assign.groups()
            value = ast.unparse(lowering.visit(_parse(text)))
            row = new_row()
            rows[target] = f"W[{row}, j]"
            statements.append(("loop", f"W[{row}, j] = {value}"))
            k += 1
            continue
        kept = _KEEP.fullmatch(line)
        if kept:  # the variable's row (a row of its own if it is a state, input or the time)
            variable, value = int(kept.group(1)), rows.get(kept.group(2), kept.group(2))
            held = re.fullmatch(r"W\[(\d+), j\]", value)
            if held is None:
                row = new_row()
                statements.append(("loop", f"W[{row}, j] = {value}"))
            variable_rows[variable] = int(held.group(1)) if held else row
            k += 1
            continue
        if line.startswith("d = "):
            rate = [f"d = {ast.unparse(lowering.visit(_parse(line[4:])))}"]
            k += 1
            while _alias(lines[k], rows):  # the stock the clamp reads, first read here
                k += 1
            clamp = _CLAMP.fullmatch(lines[k])
            if clamp:  # a non-negative stock at or below zero does not fall further
                stock = ast.unparse(lowering.visit(_parse(clamp.group(1))))
                rate.append(f"d = 0.0 if ({stock} <= 0.0) & (d < 0.0) else d")
                k += 2
            store = _STORE.fullmatch(lines[k])
            if store is None:
                raise ValueError(f"unexpected statement in the kernel's body: {lines[k]!r}")
            rate.append(f"DY[{store.group(1)}, j] = d")
            statements.append(("loop", "\n".join(rate)))
            k += 1
            continue
        raise ValueError(f"unexpected statement in the kernel's body: {line!r}")

    out = [f"def {name}(t, Y, P, DY, active, keep_rows, KEPT):",
           f"    # {BLOCK} members at once (generated from the scalar kernel by aiscale.stocks_flows.blocked)",
           "    n = Y.shape[0]",
           f"    if Y.shape[1] != {BLOCK} or P.shape[1] != {BLOCK} or DY.shape[1] != {BLOCK}:",
           f"        raise ValueError('the block right-hand side takes exactly {BLOCK} members')",
           f"    W = np.empty(({max(count, 1)}, {BLOCK}))"]
    def emit(part: list[tuple[str, str]], indent: str) -> None:
        run: list[str] = []

        def flush() -> None:
            for c in range(0, len(run), FUSED):
                out.append(f"{indent}for j in range({BLOCK}):")
                out.extend(f"{indent}    " + s for statement in run[c:c + FUSED] for s in statement.split("\n"))
            run.clear()

        for kind, statement in part:
            if kind == "loop":
                run.append(statement)
            else:
                flush()
                out.append(indent + statement)
        flush()

    # what the rates need first; the rest only when variables are asked for (so that one
    # function serves every evaluation, compiled once)
    rates = _needed_for_rates(statements)
    emit([s for k, s in enumerate(statements) if k in rates], "    ")
    out += [f"    for j in range({BLOCK}):",
            "        if not active[j]:",
            "            for i in range(n):",
            "                DY[i, j] = 0.0"]
    out.append("    if len(keep_rows) > 0:  # the variables asked for (their rows: Lowered.variable_rows)")
    emit([s for k, s in enumerate(statements) if k not in rates], "        ")
    out += ["        for q in range(len(keep_rows)):",
            f"            for j in range({BLOCK}):",
            "                KEPT[q, j] = W[keep_rows[q], j]"]
    return Lowered("\n".join(out) + "\n", [variable_rows[v] for v in sorted(variable_rows)])
