"""SMOOTH and DELAY builtins, written out as the hidden stocks and flows they stand for.

SMTH1/SMTH3: exponential smoothing through one or three stages; DELAY1/DELAY3:
material delays whose pipeline stocks hold input x time, so nothing is lost on the
way (Sterman 2000, Business Dynamics, ch. 11).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .elements import Builtin, Equation, Stock

if TYPE_CHECKING:
    from .model import Model


def expand_delay(m: Model, family: str, name: str, input: str, tau: str, order: int,
                  initial: str | None, unit: str | None, doc: str, source: str) -> Builtin:
    """Write a SMOOTH or DELAY as the stocks and flows it stands for (hidden elements)."""
    generated: list[str] = []
    init = initial or f"{name}__initial_input"  # resolved at run time to the input's t0 value
    time_unit = m.time_unit
    rate_unit = None if unit is None else (f"({unit})/{time_unit}" if family == "SMTH" else unit)
    stage_tau = f"{name}__stage_time"

    def add_eq(ename: str, kind: str, fn: Callable, inputs: tuple[str, ...], eunit: str | None,
               hidden: bool = True) -> None:
        m._claim(ename)
        m.equations[ename] = Equation(ename, kind, fn, inputs, eunit,  # type: ignore[arg-type]
                                      doc if not hidden else f"internal to {name}", source, hidden=hidden)
        generated.append(ename)

    add_eq(stage_tau, "auxiliary", lambda t: t / order, (tau,), time_unit)
    if family == "SMTH":
        stages = [f"{name}__{i}" for i in range(1, order)] + [name]
        upstream = [input] + stages[:-1]
        for i, (stage, before) in enumerate(zip(stages, upstream), start=1):
            flow = f"{name}__adjust{i}"
            add_eq(flow, "flow", lambda x, s, t: (x - s) / t, (before, stage, stage_tau), rate_unit)
            m._claim(stage)
            m.stocks[stage] = Stock(stage, init, unit, (flow,), (), doc=doc, source=source,
                                    hidden=stage != name)
            generated.append(stage)
    else:
        # Material delay: pipeline stocks hold input x time; the last stage's outflow is the output.
        stock_unit = None if unit is None else f"({unit})*{time_unit}"
        stocks = [f"{name}__stock{i}" for i in range(1, order + 1)]
        outflows = [f"{name}__out{i}" for i in range(1, order)] + [name]
        m._claim(f"{name}__stock_initial")
        m.equations[f"{name}__stock_initial"] = Equation(
            f"{name}__stock_initial", "auxiliary", lambda v, t: v * t, (init, stage_tau),
            stock_unit, f"internal to {name}", hidden=True, initial_only=True)
        generated.append(f"{name}__stock_initial")
        for i, (stock, out) in enumerate(zip(stocks, outflows)):
            inflow = input if i == 0 else outflows[i - 1]
            m._claim(stock)
            m.stocks[stock] = Stock(stock, f"{name}__stock_initial", stock_unit, (inflow,), (out,),
                                    hidden=True)
            generated.append(stock)
            add_eq(out, "flow", lambda s, t: s / t, (stock, stage_tau), unit, hidden=out != name)
    if initial is None:
        m._claim(init)
        m.equations[init] = Equation(init, "auxiliary", InitialValueOf(input), (input,), unit,
                                     f"initial value of {input}, for {name}", hidden=True,
                                     initial_only=True)
        generated.append(init)
    return Builtin(name, f"{family}{order}", input, tau, initial, unit, doc, source, tuple(generated))  # type: ignore[arg-type]


class InitialValueOf:
    """Placeholder equation: the plan replaces it with the input's value at t0."""

    def __init__(self, input: str):
        self.input = input

    def __call__(self, x: Any) -> Any:
        return x
