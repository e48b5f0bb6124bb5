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
from .files import atomic_directory
from .interventions import Intervention, InterventionError
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
from .xmile import export_xmile

__all__ = [
    "Model", "Parameter", "Stock", "Equation", "Lookup", "Builtin", "Result", "simulate",
    "atomic_write", "atomic_directory", "export_xmile", "Threshold", "BlowUp", "Event", "ModelError",
    "Intervention", "InterventionError",
    "ModelValidationError",
    "UnknownNameError", "DuplicateNameError", "ParameterRangeError", "minimum", "maximum",
    "clip", "exp", "log", "log10", "sqrt", "absolute", "if_then_else", "step", "ramp", "pulse",
]

from .docs import documentation_markdown, documentation_table
from .structure import (
    Link,
    Loop,
    LoopAnalysis,
    collapse_hidden,
    dominant_periods,
    feedback_loops,
    influence_graph,
    link_scores,
    loop_dominance,
    loop_scores,
)

__all__ += [
    "documentation_table", "documentation_markdown", "Link", "Loop", "LoopAnalysis",
    "influence_graph", "collapse_hidden", "feedback_loops", "link_scores", "loop_scores",
    "loop_dominance", "dominant_periods",
]
