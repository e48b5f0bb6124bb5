"""The AI-scaling model, built with :mod:`aiscale.stocks_flows`, one module per sector.

    from aiscale.model import build_model, simulate_baseline
    result = simulate_baseline()            # 2012-2060
    result.frame[["largest_training_run_flop", "binding_constraint"]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..stocks_flows import BlowUp, Model, Result
from ..timespan import END_YEAR, START_YEAR
from .allocation import add_allocation
from .automation import add_automation
from .capability import add_capability
from .capacity import add_capacity_planning
from .compute import add_compute
from .constraints import CONSTRAINTS, add_constraints
from .cost_of_delay import add_cost_of_delay
from .data import add_data
from .economy import add_economy
from .parameters import apply_calibration, calibrated_parameters, calibration_info, declare, parameter_table
from .research import add_research
from .semiconductors import add_semiconductors

UNITS = (
    "FLOP = [compute]",
    "USD = [currency]",
    "wafer = [wafer]",
    "chip = [accelerator]",
    "token = [text]",
    "parameter = [model_parameter]",
    "researcher = [research_labour]",
    "worker = [labour]",
)

SECTORS = (add_capacity_planning, add_semiconductors, add_compute, add_allocation, add_cost_of_delay, add_data,
           add_research, add_automation, add_economy, add_constraints, add_capability)


# A takeoff may end in a finite-time singularity; stop it at a reported event.
DEFAULT_BLOWUP = BlowUp(max_value=1e200, max_growth_rate=50.0)


def build_model(calibrated: bool = True) -> Model:
    """The full AI-scaling model with the shipped default parameters: the values
    calibrated to history (``aiscale/data/calibrated.toml``), or with
    ``calibrated=False`` the hand-set values of the parameter table."""
    m = Model("aiscale", time_unit="year", units=UNITS, start=START_YEAR, stop=END_YEAR,
              doc="System-dynamics model of AI scaling: chips, power, data, algorithms, money and "
                  "AI-accelerated research.")
    declare(m, "common")
    for add_sector in SECTORS:
        add_sector(m)
    if calibrated:
        m = apply_calibration(m)
    return m.build()


def label_binding_constraint(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the ``binding_constraint`` column (money/chips/power/data/latency)."""
    index = frame["binding_constraint_index"].round().astype(int).clip(0, len(CONSTRAINTS) - 1)
    frame["binding_constraint"] = np.asarray(CONSTRAINTS, dtype=object)[index.to_numpy()]
    return frame


def simulate_baseline(model: Model | None = None, start: float = START_YEAR, stop: float = END_YEAR,
                      **kwargs: Any) -> Result:
    """Simulate the AI-scaling model (adaptive RK45, quarterly output by default)."""
    model = model or build_model()
    kwargs.setdefault("saveper", 0.25)
    kwargs.setdefault("blowup", DEFAULT_BLOWUP)
    result = model.run(start, stop, **kwargs)
    label_binding_constraint(result.frame)
    return result


__all__ = ["build_model", "simulate_baseline", "parameter_table", "calibrated_parameters", "calibration_info",
           "CONSTRAINTS", "UNITS", "START_YEAR", "END_YEAR"]
