"""aiscale.stocks_flows: a small system-dynamics kernel on numpy and scipy.

Stocks, flows, auxiliaries, parameters, lookups and builtins (SMOOTH N, DELAY N,
DELAY FIXED, TREND, FORECAST, INITIAL); subscripts (arrays over named dimensions,
:mod:`.subscripts`); simulation (adaptive scipy solvers, RK45 compiled with the model,
or fixed-step Euler/RK4, configured by small settings objects), vectorised ensembles,
events and blow-up detection; the influence graph and feedback loops; XMILE export; a
documentation table. It knows nothing about AI.
"""

from .elements import ROLES, Builtin, Equation, Lookup, Parameter, Role, Stock
from .errors import (
    DuplicateNameError,
    ModelError,
    ModelValidationError,
    ParameterRangeError,
    UnknownNameError,
)
from .events import BlowUp, Event, Threshold
from .files import atomic_directory
from .interventions import Intervention, InterventionError
from .functions import (
    absolute,
    arccos,
    arcsin,
    arctan,
    clip,
    cos,
    exp,
    if_then_else,
    log,
    log10,
    maximum,
    minimum,
    modulo,
    pulse,
    pulse_train,
    ramp,
    safe_div,
    sin,
    sqrt,
    step,
    tan,
)
from .model import Model
from .plan import StageTooShortError
from .settings import FixedStep, Limits, RunSettings, SaveAt, Solver
from .subscripts import Dimension, SubscriptError
from .simulate import Result, atomic_write, simulate
from .xmile import export_xmile

__all__ = [
    "Model", "Parameter", "Stock", "Equation", "Lookup", "Builtin", "Role", "ROLES", "Result",
    "simulate", "Solver", "FixedStep", "SaveAt", "Limits", "RunSettings",
    "atomic_write", "atomic_directory", "export_xmile", "Threshold", "BlowUp", "Event", "ModelError",
    "Intervention", "InterventionError", "StageTooShortError",
    "ModelValidationError", "Dimension", "SubscriptError",
    "UnknownNameError", "DuplicateNameError", "ParameterRangeError", "minimum", "maximum",
    "clip", "exp", "log", "log10", "sqrt", "absolute", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "modulo", "safe_div", "if_then_else", "step", "ramp", "pulse", "pulse_train",
]

# The influence graph, loops and documentation need networkx: imported on first use.
_LAZY = {
    **dict.fromkeys(["documentation_table", "documentation_markdown"], "docs"),
    **dict.fromkeys(["Link", "Loop", "LoopAnalysis", "influence_graph", "collapse_hidden", "feedback_loops",
                     "link_scores", "loop_scores", "loop_dominance", "dominant_periods"], "structure"),
}
__all__ += list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
