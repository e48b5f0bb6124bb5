"""aiscale.stocks_flows: a small system-dynamics kernel on numpy and scipy.

Stocks, flows, auxiliaries, parameters, lookups and delays; simulation (adaptive
scipy solvers or fixed-step Euler/RK4), vectorised ensembles, events and blow-up
detection; the influence graph and feedback loops; XMILE export; a documentation
table. It knows nothing about AI.
"""

from .elements import Builtin, Equation, Lookup, Parameter, Stock
from .errors import (
    DuplicateNameError,
    ModelError,
    ModelValidationError,
    ParameterRangeError,
    UnknownNameError,
)
from .events import BlowUp, Event, Threshold
from .functions import (
    absolute,
    clip,
    exp,
    if_then_else,
    log,
    log10,
    maximum,
    minimum,
    pulse,
    ramp,
    sqrt,
    step,
)
from .model import Model
from .simulate import Result, atomic_write, simulate

__all__ = [
    "Model", "Parameter", "Stock", "Equation", "Lookup", "Builtin", "Result", "simulate",
    "atomic_write", "Threshold", "BlowUp", "Event", "ModelError", "ModelValidationError",
    "UnknownNameError", "DuplicateNameError", "ParameterRangeError", "minimum", "maximum",
    "clip", "exp", "log", "log10", "sqrt", "absolute", "if_then_else", "step", "ramp", "pulse",
]
