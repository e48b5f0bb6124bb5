"""aiscale: a system-dynamics economic model of AI scaling.

The main entry points (``help(aiscale.NAME)`` for each; imported on first use, so
``import aiscale`` stays fast)::

    import aiscale

    result = aiscale.run("pause", stop=2040, parameters={"fab_construction_years": 4})
    result.frame[["largest_training_run_flop", "binding_constraint"]]   # units: result.frame.attrs
    aiscale.milestones_table(result)

    model = aiscale.build_model()                     # the model itself (aiscale.stocks_flows.Model)
    aiscale.simulate_baseline(model, stop=2040)       # a run of any model, quarterly output
    aiscale.load_scenario("taiwan-shock")             # a built-in name or a .toml file
    aiscale.compare(["baseline", "pause"]).table      # scenarios side by side
    aiscale.ensemble("pause", n=200, seed=1)          # Monte Carlo -> xarray.Dataset
    aiscale.sensitivity("baseline", "morris", n=10)   # Sobol or Morris indices of one metric
    aiscale.parameter_table()                         # every parameter, unit, range and source
    aiscale.export_xmile(model, "aiscale-model.xmile", start=2012, stop=2030, dt=1 / 16)
    aiscale.fit(aiscale.load_history(), ["price_performance_growth_per_year"], mcmc=False)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it
_ENTRY_POINTS = {
    "run": "aiscale.api",
    "ensemble": "aiscale.api",
    "build_model": "aiscale.model",
    "simulate_baseline": "aiscale.model",
    "parameter_table": "aiscale.model",
    "load_scenario": "aiscale.scenarios.scenario",
    "library": "aiscale.scenarios.scenario",
    "Scenario": "aiscale.scenarios.scenario",
    "compare": "aiscale.scenarios.compare",
    "monte_carlo": "aiscale.scenarios.ensemble",
    "sensitivity": "aiscale.scenarios.sensitivity",
    "milestones_table": "aiscale.scenarios.metrics",
    "run_metrics": "aiscale.scenarios.metrics",
    "fit": "aiscale.calibration",
    "load_history": "aiscale.calibration",
    "export_xmile": "aiscale.stocks_flows",
    "Model": "aiscale.stocks_flows",
    "Result": "aiscale.stocks_flows",
    "write_report": "aiscale.report",
}

__all__ = ["__version__", *_ENTRY_POINTS]


def __getattr__(name: str) -> Any:
    if name in _ENTRY_POINTS:
        value = getattr(importlib.import_module(_ENTRY_POINTS[name]), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    raise AttributeError(f"module 'aiscale' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ENTRY_POINTS})
